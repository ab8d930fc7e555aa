"""Rate limits: per participant on every event, and per address on failed meeting look-ups.

Built on the ``limits`` package (fixed windows); the limits are settings. A phone answering ten
themes in a few seconds, plus resends, stays far below the default; a hall behind one address with
a few typos stays below the look-up limit, while someone guessing codes gets ~30 guesses a minute.
The storage is this worker's memory: with several workers each keeps its own count.
"""

from __future__ import annotations

from limits import parse_many, storage, strategies


class Throttle:
    """Answers "may this go ahead?" for events and meeting look-ups."""

    def __init__(self, phone: str, host: str, lookup: str):
        # Fixed windows: the moving window's memory storage re-walks every participant's event
        # list under a lock 100 times a second, which cost 3 ms of CPU per vote at 500 phones
        # (BENCHMARKS.md). A fixed window may let twice the limit through at a window edge.
        self._limiter = strategies.FixedWindowRateLimiter(storage.MemoryStorage())
        self._events = {"phone": parse_many(phone), "host": parse_many(host)}
        self._lookup = parse_many(lookup)

    def event_allowed(self, role: str, key: str) -> bool:
        """Count one event of a participant or host; False when over the limit."""
        return all([self._limiter.hit(item, "event", key) for item in self._events[role]])

    def lookups_blocked(self, address: str) -> bool:
        """Whether this address has used up its failed look-ups for now."""
        return not all(self._limiter.test(item, "lookup", address) for item in self._lookup)

    def lookup_failed(self, address: str) -> None:
        """Count one look-up of a code that does not exist."""
        for item in self._lookup:
            self._limiter.hit(item, "lookup", address)
