"""The load benchmark runs end to end against a server it starts, and its report adds up.

Only correctness is asserted here (every ack, exact tallies, no refusals, no disconnects); the
timing figures belong in BENCHMARKS.md, not in a test that a busy machine could fail.
"""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "tools" / "bench.py"


def load_bench():
    """tools/bench.py as a module (a script beside the package, not part of it)."""
    spec = importlib.util.spec_from_file_location("bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench", module)  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report():
    """The JSON report of a small benchmark run: 50 phones, one-second storms."""
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--phones",
            "50",
            "--themes",
            "3",
            "--vote-on",
            "all",
            "--window",
            "1",
            "--connect-window",
            "0.5",
            "--ack-timeout",
            "10",
            "--json-only",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_every_phone_connects(report):
    assert report["connect"]["connected"] == 50
    assert report["connect"]["failed"] == 0


def test_every_action_is_acknowledged_without_a_refusal(report):
    assert report["errors"] == {}
    assert report["acks_missing"] == 0
    expected = {"vote": 50 * 3, "choose": 50, "pledge": 50}
    for kind, storm in report["storms"].items():
        assert storm["sent"] == storm["acked"] == expected[kind], kind


def test_the_final_tally_matches_what_the_phones_did(report):
    assert report["exact"] is True
    assert report["final_tally"] == report["expected_tally"]
    assert report["final_tally"]["participants"] == 50


def test_no_connection_drops_during_the_run(report):
    assert report["disconnects"] == 0


def test_the_projector_shows_every_action(report):
    for kind, storm in report["storms"].items():
        assert storm["to_projector_ms"]["never_shown"] == 0, kind


def test_server_memory_is_read_from_proc_when_the_bench_starts_it(report):
    assert report["server"] == "started"
    assert report["server_rss_kb"]["after_connect"] > 0


def test_only_this_machine_is_a_target():
    check_local = load_bench().check_local

    assert check_local("http://127.0.0.1:5000/") == "http://127.0.0.1:5000"
    with pytest.raises(SystemExit):
        check_local("http://example.org:5000")


def test_the_benchmark_is_no_part_of_the_runtime_package():
    assert not list((ROOT / "live").rglob("bench*"))
    imports = re.compile(r"^\s*(from|import)\s+[\w.]*bench", re.M)
    assert [p for p in (ROOT / "live").rglob("*.py") if imports.search(p.read_text(encoding="utf-8"))] == []
