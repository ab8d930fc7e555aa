"""A worker on Redis refuses to start when an acknowledged vote could be lost in a crash."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import redis
from conftest import free_port

from live.store.durability import persistence_problem

pytestmark = pytest.mark.redis


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of this test's own, started with the given settings."""
    started = []

    def start(*args):
        port = free_port()
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
        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return client
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

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
