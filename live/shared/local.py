"""The seam's implementations for one worker: everything in this process' memory."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class LocalFullThemes:
    """The full-theme memory of one process; a deleted meeting is forgotten."""

    def __init__(self):
        self._full: dict[str, frozenset] = {}

    def swap(self, code: str, full: frozenset) -> bool:
        if self._full.get(code, frozenset()) == full:
            return False
        if full:
            self._full[code] = full
        else:
            self._full.pop(code, None)  # nothing full: nothing to keep
        return True

    def forget(self, code: str) -> None:
        self._full.pop(code, None)


class LocalLease:
    """One process is the only worker: it always holds every lease."""

    def hold(self, name: str, seconds: float) -> bool:
        return True


class LocalCoalescer:
    """Coalesces updates in this process: at most one flush per interval per meeting, the last
    change always flushed. A flush runs in a green thread of its own."""

    def __init__(self, interval: float, flush: Callable, spawn: Callable, sleep: Callable):
        self.interval = interval
        self._flush = flush
        self._spawn = spawn
        self._sleep = sleep
        self._dirty: dict[str, list] = {}  # code -> [tally, counts, endorsed] changed
        self._last: dict[str, float] = {}  # code -> when its last flush ended
        self._flushing: set[str] = set()
        self.sent = 0

    def recent(self) -> list[str]:
        """The meetings flushed lately (their screens may still be open)."""
        return list(self._last)

    def changed(self, code: str, tally: bool = True, counts: bool = False, endorsed: bool = False) -> None:
        dirty = self._dirty.get(code)
        if dirty is None:
            self._dirty[code] = [tally, counts, endorsed]
            self._spawn(self._flush_later, code)
        else:
            dirty[0] = dirty[0] or tally
            dirty[1] = dirty[1] or counts
            dirty[2] = dirty[2] or endorsed

    def _flush_later(self, code: str) -> None:
        # An interval from the end of the last flush (when its update left), not its start: on a
        # worker too busy to flush at once, two updates still never leave closer together.
        while True:
            wait = self._last.get(code, 0.0) + self.interval - time.monotonic()
            if code in self._flushing:
                wait = max(wait, self.interval / 4)
            if wait <= 0:
                break
            self._sleep(wait)
        tally, counts, endorsed = self._dirty.pop(code, (True, False, False))
        self._flushing.add(code)
        try:
            if self._flush(code, tally, counts, endorsed):
                self.sent += 1
        finally:
            self._flushing.discard(code)
            self._last[code] = time.monotonic()
        if len(self._last) > 10_000:  # meetings long quiet need no memory of their last flush
            cutoff = time.monotonic() - self.interval
            self._last = {c: t for c, t in self._last.items() if t > cutoff}
