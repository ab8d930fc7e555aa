"""What the workers of a deployment share (live/shared/): the in-process implementations keep
their promises, and the service takes whatever implementation it is handed."""

from __future__ import annotations

import threading
import time

from test_erasure import Markers, fill_store

from live.settings import from_environment
from live.shared import in_process
from live.shared.local import LocalCoalescer, LocalFullThemes
from live.store.sqlite import SQLiteStore


def spawn(fn, *args):
    threading.Thread(target=fn, args=args, daemon=True).start()


def test_a_burst_of_changes_is_flushed_once_per_interval_and_the_last_change_is_always_sent():
    flushes = []
    done = threading.Semaphore(0)

    def flush(code, tally, counts, endorsed):
        flushes.append((code, tally, counts, endorsed, time.monotonic()))
        done.release()
        return True

    coalescer = LocalCoalescer(0.3, flush, spawn, time.sleep)
    coalescer.changed("AAAAA")  # a quiet meeting: sent at once
    assert done.acquire(timeout=2)
    for _ in range(50):  # within the interval: one flush, after it
        coalescer.changed("AAAAA")
    coalescer.changed("AAAAA", tally=False, counts=True)
    coalescer.changed("CCCCC", tally=False, endorsed=True)  # another meeting does not wait
    assert done.acquire(timeout=2) and done.acquire(timeout=2)
    time.sleep(0.4)
    assert not done.acquire(timeout=0)  # nothing more than those three
    by_meeting = {c: [f for f in flushes if f[0] == c] for c in ("AAAAA", "CCCCC")}
    assert [f[1:4] for f in by_meeting["AAAAA"]] == [(True, False, False), (True, True, False)]
    assert [f[1:4] for f in by_meeting["CCCCC"]] == [(False, False, True)]
    assert by_meeting["AAAAA"][1][4] - by_meeting["AAAAA"][0][4] >= 0.29
    assert coalescer.sent == 3


def test_a_flush_that_sent_nothing_is_not_counted_as_sent():
    done = threading.Event()
    coalescer = LocalCoalescer(0.01, lambda *a: done.set() or False, spawn, time.sleep)
    coalescer.changed("AAAAA")
    assert done.wait(2)
    time.sleep(0.05)
    assert coalescer.sent == 0


def test_full_themes_are_news_once_and_a_deleted_meeting_is_forgotten():
    full = LocalFullThemes()
    assert full.swap("AAAAA", frozenset()) is False  # nothing full was never news
    assert full.swap("AAAAA", frozenset({2})) is True
    assert full.swap("AAAAA", frozenset({2})) is False
    assert full.swap("AAAAA", frozenset()) is True  # a seat came back
    assert full.swap("AAAAA", frozenset({2})) is True
    full.forget("AAAAA")
    assert full.swap("AAAAA", frozenset({2})) is True


class NoLease:
    """Another worker holds every lease."""

    def __init__(self):
        self.asked = []

    def hold(self, name, seconds):
        self.asked.append(name)
        return False


def test_only_the_worker_that_holds_the_erasure_lease_erases(tmp_path):
    from live.app import create_app

    markers = Markers()
    store = SQLiteStore(str(tmp_path))
    fill_store(store, markers)
    store.close()
    config = {"DATA_DIR": str(tmp_path), "TESTING": True, "RETENTION_DAYS": 0, "PURGE_INTERVAL": 0.1}
    shared = in_process({**from_environment(), **config})
    shared.lease = lease = NoLease()
    other = create_app(config, shared).extensions["live"]
    deadline = time.monotonic() + 10
    while len(lease.asked) < 3:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert set(lease.asked) == {"erasure"}
    # (Apps of other tests in this process may still erase their own folders: look at this one.)
    assert other.store.pledges("K7HQA")[0]["name"] != ""  # a worker without the lease erased nothing

    holder = create_app(config).extensions["live"]  # the in-process lease: always held
    while holder.store.pledges("K7HQA")[0]["name"] != "":
        assert time.monotonic() < deadline, "the worker holding the lease did not erase"
        time.sleep(0.05)
    assert markers.found_in(tmp_path) == {}
