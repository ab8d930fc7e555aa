"""Several workers on one real Redis share one budget, one turn per meeting, one memory of full
themes and one erasure lease (live/shared/redis.py). Each "worker" here is its own set of
objects with its own connections, as each worker process builds them."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from live.settings import from_environment
from live.shared.local import LocalCoalescer
from live.shared.redis import RedisFullThemes, RedisLease, Turns, over_redis

pytestmark = pytest.mark.redis


def spawn(fn, *args):
    threading.Thread(target=fn, args=args, daemon=True).start()


def workers(redis_url, n=2, **limits):
    url, prefix = redis_url
    config = {**from_environment(), **limits}
    return [over_redis(config, url, prefix) for _ in range(n)]


def test_a_phone_has_one_budget_whichever_worker_its_events_reach(redis_url):
    a, b = workers(redis_url, PHONE_RATE_LIMIT="6/minute")
    allowed = [w.limits.event_allowed("phone", "K7HQA:12") for _ in range(6) for w in (a, b)]
    assert allowed.count(True) == 6 and allowed[6:] == [False] * 6
    assert a.limits.event_allowed("phone", "K7HQA:13")  # another phone has its own budget


def test_a_code_guesser_is_blocked_on_every_worker(redis_url):
    a, b = workers(redis_url, LOOKUP_RATE_LIMIT="4/minute")
    for worker in (a, b, a, b):
        assert not worker.limits.lookups_blocked("203.0.113.9")
        worker.limits.lookup_failed("203.0.113.9")
    assert a.limits.lookups_blocked("203.0.113.9") and b.limits.lookups_blocked("203.0.113.9")
    assert not b.limits.lookups_blocked("203.0.113.10")


def test_updates_of_a_meeting_take_turns_across_workers_and_the_last_change_is_always_sent(redis_url):
    url, prefix = redis_url
    interval = 0.25
    flushes = []
    lock = threading.Lock()

    def flusher(name):
        def flush(code, tally, counts, endorsed):
            with lock:
                flushes.append((time.monotonic(), name, code, counts))
            return True

        return flush

    coalescers = [
        LocalCoalescer(
            interval, flusher(n), spawn, time.sleep, gate=Turns(redis.Redis.from_url(url), prefix, interval)
        )
        for n in ("a", "b", "c")
    ]
    start = time.monotonic()
    while time.monotonic() - start < 1.5:  # three workers, each taking votes all the time
        for c in coalescers:
            c.changed("K7HQA")
        time.sleep(0.01)
    last_change = time.monotonic()
    coalescers[2].changed("K7HQA", tally=False, counts=True)
    time.sleep(3 * interval + 0.3)
    mine = sorted(f for f in flushes if f[2] == "K7HQA")
    gaps = [b[0] - a[0] for a, b in zip(mine, mine[1:], strict=False)]
    # One update per interval for the meeting, not one per worker (a margin for a busy machine).
    assert min(gaps) >= interval * 0.8, gaps
    assert len(mine) <= 1.5 / interval + 4  # the first at once, then one per turn (three workers: 3x that)
    assert {name for _, name, _, _ in mine} == {"a", "b", "c"}
    # The last change went out: worker c flushed its counts after it (another worker may still
    # send its own last tally after that; order between workers is the clients' seq to sort).
    assert any(at > last_change and name == "c" and counts for at, name, _, counts in mine), mine[-4:]


def test_a_coalescer_still_sends_when_redis_cannot_be_asked_for_the_turn(redis_url):
    sent = threading.Event()
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    coalescer = LocalCoalescer(
        0.05, lambda *a: sent.set() or True, spawn, time.sleep, gate=Turns(dead, "x:", 0.05)
    )
    coalescer.changed("K7HQA")
    assert sent.wait(5)


def test_one_worker_tells_the_screens_that_a_theme_is_full(redis_url):
    url, prefix = redis_url
    a, b = (RedisFullThemes(redis.Redis.from_url(url), prefix) for _ in range(2))
    assert a.swap("K7HQA", frozenset({2})) is True
    assert b.swap("K7HQA", frozenset({2})) is False  # already told, by the other worker
    assert b.swap("K7HQA", frozenset()) is True  # a seat came back
    assert a.swap("K7HQA", frozenset()) is False
    assert a.swap("K7HQA", frozenset({2, 10})) is True
    assert a.swap("QQQQQ", frozenset({2, 10})) is True  # meetings apart
    b.forget("K7HQA")
    assert a.swap("K7HQA", frozenset({2, 10})) is True


def test_one_worker_runs_erasure_and_another_takes_over_when_it_stops(redis_url):
    url, prefix = redis_url
    a, b = (RedisLease(redis.Redis.from_url(url), prefix) for _ in range(2))
    assert a.hold("erasure", 0.2) is True
    assert b.hold("erasure", 0.2) is False
    assert a.hold("erasure", 0.2) is True  # the holder keeps it round after round
    assert b.hold("other-job", 0.2) is True  # leases are per job
    time.sleep(0.45)  # a stopped: its lease runs out after two rounds
    assert b.hold("erasure", 0.2) is True
    assert a.hold("erasure", 0.2) is False
