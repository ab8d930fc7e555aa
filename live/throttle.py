"""Rate limits: per participant on every event, per address on failed meeting look-ups and on
meeting creation.

Built on the ``limits`` package (fixed windows); the limits are settings. A phone answering ten
themes in a few seconds, plus resends, stays far below the default; a hall behind one address with
a few typos stays below the look-up limit, while someone guessing codes gets ~30 guesses a minute.
Creating meetings is limited per address (``CREATE_RATE_LIMIT``), so nobody can fill the disk
with them; an organiser makes a few an evening.
The storage is this worker's memory (``WindowCounts``) unless another ``limits`` storage is handed
in: several workers share one (``live.shared``).
"""

from __future__ import annotations

import time
from functools import lru_cache

from limits import parse_many, storage, strategies

from live.store import StoreUnavailable


@lru_cache(maxsize=8)
def parse_limit(limit: str) -> tuple:
    """The rate limit items of a setting such as ``10/minute;50/day``; ValueError if mistyped."""
    return tuple(parse_many(limit))


class WindowCounts(storage.Storage):
    """A lean in-process storage for the ``limits`` fixed-window strategy.

    ``limits.storage.MemoryStorage`` re-arms an expiry timer on every hit that walks every key
    under a lock; at 2,000 phones that was about an eighth of the server's CPU (BENCHMARKS.md).
    Here an expired window is simply reset when its key is next used, and stale keys are swept
    once in a while, so a hit is one dict look-up.
    """

    STORAGE_SCHEME = ["live-window"]  # noqa: RUF012 (the base class reads it as a list)
    SWEEP_EVERY = 50_000

    def __init__(self):
        super().__init__()
        self._counts: dict[str, list] = {}  # key -> [count, expires_at]
        self._hits = 0

    @property
    def base_exceptions(self):
        return ValueError

    def incr(self, key, expiry, amount=1):
        now = time.monotonic()
        entry = self._counts.get(key)
        if entry is None or entry[1] <= now:
            entry = self._counts[key] = [0, now + expiry]
        entry[0] += amount
        self._hits += 1
        if self._hits % self.SWEEP_EVERY == 0:
            self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
        return entry[0]

    def get(self, key):
        entry = self._counts.get(key)
        return entry[0] if entry and entry[1] > time.monotonic() else 0

    def get_expiry(self, key):
        entry = self._counts.get(key)
        left = entry[1] - time.monotonic() if entry else 0
        return time.time() + max(0.0, left)

    def check(self):
        return True

    def reset(self):
        count = len(self._counts)
        self._counts.clear()
        return count

    def clear(self, key):
        self._counts.pop(key, None)


# What the beamer reports it shows changes on its own every ~10 s and when the host moderates;
# more than this is not a beamer but someone with its key, and is refused.
PROJECTOR_REPORTS = "10/5seconds;60/minute"


class Throttle:
    """Answers "may this go ahead?" for events and meeting look-ups."""

    def __init__(self, phone: str, host: str, lookup: str, counts: storage.Storage | None = None):
        # Fixed windows: the moving window's memory storage re-walks every participant's event
        # list under a lock 100 times a second, which cost 3 ms of CPU per vote at 500 phones
        # (BENCHMARKS.md). A fixed window may let twice the limit through at a window edge.
        self._limiter = strategies.FixedWindowRateLimiter(counts or WindowCounts())
        # A shared storage's own errors (its Redis gone away) arrive as ``StoreUnavailable``:
        # the caller answers ``store_unavailable`` and the phone sends again.
        self._errors = counts.base_exceptions if counts is not None else ()
        self._events = {"phone": parse_many(phone), "host": parse_many(host)}
        self._lookup = parse_many(lookup)
        self._reports = parse_many(PROJECTOR_REPORTS)

    def event_allowed(self, role: str, key: str) -> bool:
        """Count one event of a participant or host; False when over the limit."""
        try:
            return all([self._limiter.hit(item, "event", key) for item in self._events[role]])
        except self._errors as err:
            raise StoreUnavailable(str(err)) from None

    def report_allowed(self, code: str) -> bool:
        """Count one "what is on the beamer" report of a meeting's beamers; False when too many."""
        try:
            return all([self._limiter.hit(item, "report", code) for item in self._reports])
        except self._errors as err:
            raise StoreUnavailable(str(err)) from None

    def lookups_blocked(self, address: str) -> bool:
        """Whether this address has used up its failed look-ups for now."""
        try:
            return not all(self._limiter.test(item, "lookup", address) for item in self._lookup)
        except self._errors as err:
            raise StoreUnavailable(str(err)) from None

    def lookup_failed(self, address: str) -> None:
        """Count one look-up of a code that does not exist."""
        try:
            for item in self._lookup:
                self._limiter.hit(item, "lookup", address)
        except self._errors as err:
            raise StoreUnavailable(str(err)) from None

    def creation_allowed(self, address: str, limit: str) -> bool:
        """Count one attempt to create a meeting from this address; False when over ``limit``."""
        try:
            # Every attempt counts, refused ones too: guessing the organiser key is limited as well.
            return all([self._limiter.hit(item, "create", address) for item in parse_limit(limit)])
        except self._errors as err:
            raise StoreUnavailable(str(err)) from None

    def creation_retry_after(self, address: str, limit: str) -> int:
        """Whole seconds until this address may create a meeting again (for ``Retry-After``)."""
        try:
            waits = [
                stats.reset_time - time.time()
                for stats in (
                    self._limiter.get_window_stats(item, "create", address) for item in parse_limit(limit)
                )
                if stats.remaining == 0
            ]
            return max(1, int(max(waits, default=0)) + 1)
        except self._errors as err:
            raise StoreUnavailable(str(err)) from None
