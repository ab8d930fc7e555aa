"""Rate limits: per participant on every event, and per address on failed meeting look-ups.

Built on the ``limits`` package (moving windows). The storage is this worker's memory; with several
workers each keeps its own count, so a flooder gets at most (workers x limit).
"""

from __future__ import annotations

from limits import parse_many, storage, strategies

# A phone answering ten themes in a few seconds, plus resends, stays far below these.
EVENT_LIMITS = {
    "phone": parse_many("20/5seconds;120/minute"),
    "host": parse_many("60/5seconds;600/minute"),
}
# Failed code look-ups per address. A hall behind one address with a few typos stays under it;
# someone guessing codes gets ~30 guesses a minute.
LOOKUP_LIMIT = parse_many("30/minute")


class Throttle:
    """Answers "may this go ahead?" for events and meeting look-ups."""

    def __init__(self):
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def event_allowed(self, role: str, key: str) -> bool:
        """Count one event of a participant or host; False when over the limit."""
        return all([self._limiter.hit(item, "event", key) for item in EVENT_LIMITS[role]])

    def lookups_blocked(self, address: str) -> bool:
        """Whether this address has used up its failed look-ups for now."""
        return not all(self._limiter.test(item, "lookup", address) for item in LOOKUP_LIMIT)

    def lookup_failed(self, address: str) -> None:
        """Count one look-up of a code that does not exist."""
        for item in LOOKUP_LIMIT:
            self._limiter.hit(item, "lookup", address)
