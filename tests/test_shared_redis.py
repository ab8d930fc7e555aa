"""Several workers on one real Redis share one budget, the news of a change, one memory of full
themes and one erasure lease (live/shared/redis.py). Each "worker" here is its own set of
objects with its own connections, as each worker process builds them."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from live.settings import from_environment
from live.shared.redis import Notices, RedisFullThemes, RedisLease, over_redis

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


def test_each_worker_sends_its_own_screens_one_update_per_interval_and_the_last_change(redis_url):
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

    running = [
        Notices(redis.Redis.from_url(url), prefix, interval, flusher(n), spawn, time.sleep) for n in "abc"
    ]
    assert all(w.each_worker_sends for w in running)
    time.sleep(0.3)  # each is listening
    start = time.monotonic()
    while time.monotonic() - start < 1.5:  # three workers, each taking votes all the time
        for w in running:
            w.changed("K7HQA")
        time.sleep(0.01)
    last_change = time.monotonic()
    running[2].changed("K7HQA", tally=False, counts=True)
    time.sleep(3 * interval + 0.5)
    for name in "abc":  # a beamer on any one worker: at most one update per interval
        mine = sorted(f for f in flushes if f[1] == name and f[2] == "K7HQA")
        gaps = [y[0] - x[0] for x, y in zip(mine, mine[1:], strict=False)]
        assert min(gaps) >= interval * 0.8, (name, gaps)
        assert len(mine) <= 1.5 / interval + 4, (name, len(mine))
        # The last change reached every worker's screens: a flush with the counts after it.
        assert any(at > last_change and counts for at, _, _, counts in mine), (name, mine[-3:])
    assert not any(f[2] != "K7HQA" for f in flushes)  # nothing for other meetings


def test_a_change_reaches_this_worker_s_screens_while_redis_is_away(redis_url):
    sent = threading.Event()
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    coalescer = Notices(dead, "x:", 0.05, lambda *a: sent.set() or True, spawn, time.sleep)
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
