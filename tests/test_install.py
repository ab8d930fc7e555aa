"""What ``pipx install .`` gives a facilitator: a wheel with the server only, and the command
``burgerkracht-live``, which starts the same server as ``python -m live``.

The wheel is built from a copy of the project (nothing is written into the checkout), installed
into a folder of its own, and its console script is run from there.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile

import pytest
from conftest import ROOT, free_port

STARTED = "Burgerkracht Live draait."


def only(installed) -> dict:
    """This environment, with the installed folder instead of the checkout on the import path."""
    return {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "PYTHONPATH": str(installed)}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The project's wheel, built by pip as ``pipx install .`` builds it."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "live", source / "live", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (built,) = out.glob("burgerkracht_live-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """The wheel installed into a folder of its own (its dependencies come from this venv)."""
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return target


def test_the_wheel_holds_the_server_and_no_test_or_benchmark_file(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "live/__main__.py" in names and "live/guard/patches.py" in names
    assert "live/static/vendor/socket.io-4.8.4.min.js" in names
    assert any(n.startswith("live/templates/") for n in names)
    assert any(n.endswith(".mo") for n in names)  # the compiled catalogues the pages speak from
    dist = "-".join(wheel.name.split("-")[:2])
    assert {n.split("/")[0] for n in names} == {"live", f"{dist}.dist-info"}
    assert not [n for n in names if "bench" in n or "axe" in n or n.startswith(("tests/", "tools/"))]


def test_the_wheel_names_the_command_burgerkracht_live(wheel):
    entry_points = configparser.ConfigParser()
    with zipfile.ZipFile(wheel) as zf:
        (path,) = [n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt")]
        entry_points.read_string(zf.read(path).decode())
    assert dict(entry_points["console_scripts"]) == {"burgerkracht-live": "live.__main__:main"}


def test_the_command_patches_eventlet_before_flask_is_imported(installed):
    # The console script imports live.__main__ to find main: that import must patch first.
    probe = (
        "import sys\nfrom live.__main__ import main\nimport eventlet.patcher\n"
        "print(eventlet.patcher.is_monkey_patched('socket'), 'flask' in sys.modules,"
        " sys.modules['live'].__file__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=only(installed),
        cwd=installed.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    patched, flask_loaded, where = done.stdout.split()
    assert (patched, flask_loaded) == ("True", "False"), done.stderr
    assert where.startswith(str(installed))


def test_the_installed_command_starts_a_server_that_answers(installed, tmp_path):
    command = installed / "bin" / "burgerkracht-live"
    assert command.is_file()
    port = free_port()
    env = {**only(installed), "PUBLIC_URL": f"http://127.0.0.1:{port}"}
    log = tmp_path / "out.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(command), "--host", "127.0.0.1", "--port", str(port), "--quiet"],
            cwd=tmp_path,  # its data lands in ./instance, as the README says
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                assert proc.poll() is None, log.read_text()
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                        assert json.loads(resp.read()) == {"ok": True}
                        break
                except OSError:
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.1)
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/static/vendor/socket.io-4.8.4.min.js"
            ) as resp:
                assert resp.status == 200
        finally:
            proc.terminate()
            proc.wait(10)
    printed = log.read_text()
    assert STARTED in printed and "Stoppen: Ctrl+C." in printed
    assert (tmp_path / "instance").is_dir()
