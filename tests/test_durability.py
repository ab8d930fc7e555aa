"""A worker on Redis refuses to start when an acknowledged vote could be lost in a crash."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest
import redis
from conftest import ROOT, free_port, server_command

from live.store.durability import persistence_problem

pytestmark = pytest.mark.redis


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of this test's own, started with the given settings."""
    started = []

    def start(*args):
        port = free_port()
        start.ports.append(port)
        proc = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                str(tmp_path),
                *args,
            ],
            stdout=subprocess.DEVNULL,
        )
        started.append(proc)
        password = args[args.index("--requirepass") + 1] if "--requirepass" in args else None
        client = redis.Redis(port=port, password=password)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return client
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    start.ports = []
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed; .ci/run installs it")
    yield start
    for proc in started:
        proc.terminate()
        proc.wait(10)


def test_a_redis_that_writes_every_command_to_disk_is_accepted(own_redis):
    assert persistence_problem(own_redis("--appendonly", "yes", "--appendfsync", "always")) is None


@pytest.mark.parametrize(
    ("args", "found"),
    [
        (("--appendonly", "no"), "appendonly no, appendfsync everysec"),
        (("--appendonly", "yes", "--appendfsync", "everysec"), "appendonly yes, appendfsync everysec"),
        (("--appendonly", "yes", "--appendfsync", "no"), "appendonly yes, appendfsync no"),
    ],
)
def test_a_redis_that_could_lose_an_acknowledged_vote_gets_a_clear_dutch_refusal(own_redis, args, found):
    problem = persistence_problem(own_redis(*args))
    assert problem is not None and f"({found})" in problem
    assert "appendonly yes en appendfsync always" in problem and "REDIS_ACCEPT_LOSS=1" in problem


def test_a_redis_that_hides_its_settings_is_not_trusted_blindly(own_redis):
    client = own_redis("--appendonly", "yes", "--appendfsync", "always", "--rename-command", "CONFIG", "")
    problem = persistence_problem(client)
    assert problem is not None and "laat niet zien" in problem and "REDIS_ACCEPT_LOSS=1" in problem


def _start_refused(tmp_path, store: str, **env) -> str:
    """Start ``python -m live`` on this store; it must stop at once. Returns what it printed."""
    port = free_port()
    proc = subprocess.run(
        server_command(port, tmp_path / "data"),
        cwd=ROOT,
        env={**os.environ, "STORE": store, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0, proc.stdout
    return proc.stdout + proc.stderr


def test_a_worker_refuses_a_redis_that_could_lose_a_confirmed_vote(own_redis, tmp_path):
    client = own_redis("--appendonly", "no")
    port = client.connection_pool.connection_kwargs["port"]
    said = _start_refused(tmp_path, f"redis://127.0.0.1:{port}/0")
    assert "appendonly yes en appendfsync always" in said and "REDIS_ACCEPT_LOSS=1" in said
    assert "Traceback" not in said
    assert client.dbsize() == 0  # it wrote nothing before refusing


def test_a_worker_says_plainly_that_redis_is_not_there(tmp_path):
    said = _start_refused(tmp_path, f"redis://127.0.0.1:{free_port()}/0")
    assert "kan Redis niet bereiken" in said and "STORE" in said
    assert "Traceback" not in said


def test_the_password_setting_reaches_a_redis_that_asks_for_one(own_redis, tmp_path):
    # Not durable, so refused, but only after logging in with the password.
    own_redis("--appendonly", "no", "--requirepass", "geheim")
    port = own_redis.ports[-1]
    said = _start_refused(tmp_path, f"redis://127.0.0.1:{port}/0", REDIS_PASSWORD="geheim")
    assert "appendonly yes en appendfsync always" in said, said
    said = _start_refused(tmp_path, f"redis://127.0.0.1:{port}/0", REDIS_PASSWORD="fout")
    assert "kan Redis niet bereiken" in said
