"""What the workers of one deployment share, behind one seam.

A laptop in a village hall runs one worker; a region's deployment runs several on one Redis. The
service and the handlers only see the small interfaces below, so adding workers swaps these
implementations (``in_process`` here; Redis ones with issue 17) instead of editing handlers:

- ``limits``: rate limits of a phone, a meeting's host and helper devices, failed look-ups per
  address, meeting creation per address and the beamer's reports (``live.throttle.Throttle``). One
  budget per phone for the whole deployment, not one per worker.
- ``coalescer``: at most one tally, additions count or endorsements update per interval per
  meeting, and the last change always sent. What is sent carries the store's per-meeting ``seq``
  (never a worker's clock), so a client can tell an older update from a newer one.
- ``full``: which themes the screens were last told are full, so a change is sent once.
- ``lease``: which worker runs a job that must run once per deployment (erasure).
- Emits to other workers' clients need no interface of their own: ``socketio.emit`` is the seam,
  and Flask-SocketIO's ``message_queue`` carries them between workers. The coalesced updates are
  the exception: a coalescer with ``each_worker_sends`` has every worker send them to its own
  screens, so how often a screen hears is decided where it is connected.

``live.shared.local`` holds the one-process implementations, ``live.shared.redis`` the ones for
several workers on one Redis.

Nothing here knows the method's rules or a store's tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from live.shared.local import LocalCoalescer, LocalFullThemes, LocalLease
from live.throttle import Throttle


class Limits(Protocol):
    """Rate limits; each call counts one attempt unless it says otherwise."""

    def event_allowed(self, role: str, key: str) -> bool: ...
    def lookups_blocked(self, address: str) -> bool: ...
    def lookup_failed(self, address: str) -> None: ...
    def creation_allowed(self, address: str, limit: str) -> bool: ...
    def creation_retry_after(self, address: str, limit: str) -> int: ...
    def report_allowed(self, code: str) -> bool: ...


class FullThemes(Protocol):
    """The themes at capacity as last told to a meeting's screens."""

    def swap(self, code: str, full: frozenset) -> bool:
        """Remember ``full``; True when it differs from what was remembered (news to send)."""
        ...

    def forget(self, code: str) -> None: ...


class Lease(Protocol):
    """A job that one worker of the deployment runs at a time."""

    def hold(self, name: str, seconds: float) -> bool:
        """True when this worker may run ``name`` now (it keeps it for ``seconds``)."""
        ...


class Coalescer(Protocol):
    """Notes that a meeting changed; calls the flush at most once per interval per meeting with
    what changed since the last flush: ``flush(code, tally, counts, endorsed)``."""

    sent: int

    def changed(
        self, code: str, tally: bool = True, counts: bool = False, endorsed: bool = False
    ) -> None: ...


@dataclass
class Shared:
    """The seam: one of each, made once per worker."""

    limits: Limits
    full: FullThemes
    lease: Lease
    # (interval, flush, spawn, sleep) -> Coalescer: the service hands in what a flush sends.
    coalescer: Callable[..., Coalescer]


def in_process(config: dict) -> Shared:
    """The seam for one worker (the laptop): limits, memory and leases in this process."""
    limits = Throttle(config["PHONE_RATE_LIMIT"], config["HOST_RATE_LIMIT"], config["LOOKUP_RATE_LIMIT"])
    return Shared(limits=limits, full=LocalFullThemes(), lease=LocalLease(), coalescer=LocalCoalescer)
