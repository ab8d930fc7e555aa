"""The seam's implementations for several workers on one Redis (issue 17).

Every worker of a deployment builds these on the same Redis and key prefix:

- rate limits count in Redis (the ``limits`` package's own Redis storage), so a phone, a meeting's
  host devices and a guesser have one budget for the whole deployment;
- a meeting's coalesced updates take turns: before a worker sends one it takes the meeting's turn
  (``SET NX PX`` for one interval), so the beamer gets at most one update per interval however
  many workers take votes; a worker that finds the turn taken waits for it and then sends, so the
  last change is always sent. Updates carry the store's ``seq``: clients drop an older one;
- the full-theme memory is one key per meeting, swapped atomically, so one worker tells the screens;
- a lease is a key with the holder's id and an expiry: the holder extends it, another worker takes
  over once it expires (a worker that died hands erasure over within two of its intervals).

Keys carry the meeting's code in a hash tag (``{CODE}``) so they work on Redis Cluster.
"""

from __future__ import annotations

import secrets

import redis
import socketio
from limits.storage import RedisStorage

from live.shared import Shared
from live.shared.local import LocalCoalescer
from live.throttle import Throttle

# A swap of the full themes: the old value back, the new one kept for two days (an evening).
_SWAP = """
local old = redis.call('GET', KEYS[1]) or ''
if old == ARGV[1] then return 0 end
if ARGV[1] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[1], 'EX', 172800) end
return 1
"""
# Take a lease, or keep the one this worker holds.
_LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""


class RedisFullThemes:
    """Which themes the screens of a meeting were last told are full, shared by every worker."""

    def __init__(self, client: redis.Redis, prefix: str):
        self._r = client
        self._prefix = prefix
        self._swap = client.register_script(_SWAP)

    def _key(self, code: str) -> str:
        return f"{self._prefix}full:{{{code}}}"

    def swap(self, code: str, full: frozenset) -> bool:
        return bool(self._swap(keys=[self._key(code)], args=[",".join(map(str, sorted(full)))]))

    def forget(self, code: str) -> None:
        self._r.delete(self._key(code))


class RedisLease:
    """A job one worker of the deployment runs at a time."""

    def __init__(self, client: redis.Redis, prefix: str):
        self._prefix = prefix
        self._take = client.register_script(_LEASE)
        self.holder = secrets.token_hex(8)  # this worker

    def hold(self, name: str, seconds: float) -> bool:
        # Kept for two rounds: the holder extends it each round; if it dies, another takes over.
        ms = max(1, int(seconds * 2000))
        return bool(self._take(keys=[f"{self._prefix}lease:{name}"], args=[self.holder, ms]))


class Turns:
    """A meeting's turn to send a coalesced update, shared by every worker."""

    def __init__(self, client: redis.Redis, prefix: str, interval: float):
        self._r = client
        self._prefix = prefix
        self._ms = max(1, int(interval * 1000))

    def __call__(self, code: str) -> float:
        """0 when this worker took the meeting's turn; else the seconds until it is free."""
        key = f"{self._prefix}turn:{{{code}}}"
        if self._r.set(key, 1, nx=True, px=self._ms):
            return 0.0
        left = self._r.pttl(key)
        return max(left, 1) / 1000  # -2 (just expired) or -1: try again at once


def over_redis(config: dict, url: str, prefix: str = "live:") -> Shared:
    """The seam for a worker of several: limits, turns, memory and leases in Redis at ``url``."""
    client = redis.Redis.from_url(url)
    limits = Throttle(
        config["PHONE_RATE_LIMIT"],
        config["HOST_RATE_LIMIT"],
        config["LOOKUP_RATE_LIMIT"],
        counts=RedisStorage(url, key_prefix=f"{prefix}limits"),
    )

    def coalescer(interval, flush, spawn, sleep):
        return LocalCoalescer(interval, flush, spawn, sleep, gate=Turns(client, prefix, interval))

    return Shared(
        limits=limits,
        full=RedisFullThemes(client, prefix),
        lease=RedisLease(client, prefix),
        coalescer=coalescer,
    )


def worker_queue(url: str, prefix: str = "live:") -> socketio.RedisManager:
    """Socket.IO's Redis message queue on this deployment's own channel: a broadcast by one
    worker reaches the screens connected to every worker (rooms stay each worker's own)."""
    return socketio.RedisManager(url, channel=f"{prefix}socketio")
