"""The seam's implementations for several workers on one Redis (issue 17).

Every worker of a deployment builds these on the same Redis and key prefix:

- rate limits count in Redis (the ``limits`` package's own Redis storage), so a phone, a meeting's
  host devices and a guesser have one budget for the whole deployment;
- a meeting's coalesced updates: a worker where it changed tells every worker on a channel, and
  each worker sends its own screens at most one update per interval (``Notices``), so the beamer
  gets at most ten a second however many workers take votes, and the last change always.
  Updates carry the store's ``seq``: clients drop an older one;
- the full-theme memory is one key per meeting, swapped atomically, so one worker tells the screens;
- a lease is a key with the holder's id and an expiry: the holder extends it, another worker takes
  over once it expires (a worker that died hands erasure over within two of its intervals).

Keys carry the meeting's code in a hash tag (``{CODE}``) so they work on Redis Cluster.
"""

from __future__ import annotations

import logging
import secrets

import redis
import socketio
from limits.storage import RedisStorage

from live.shared import Shared
from live.shared.local import LocalCoalescer
from live.store import StoreUnavailable
from live.throttle import Throttle

log = logging.getLogger(__name__)

# Connections a worker's shared parts hold at most, and how long a green thread waits for one.
POOL_SIZE = 256
POOL_WAIT = 60.0

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


# Every window of one event budget counted in one step (a phone's vote asked Redis once per window
# before): KEYS the windows' counters, ARGV their expiries, then their limits. Fixed windows, as
# the ``limits`` package counts them; 1 while every window is within its limit.
_WINDOWS = """
local ok = 1
for i, key in ipairs(KEYS) do
  local n = redis.call('INCRBY', key, 1)
  if n == 1 then redis.call('EXPIRE', key, ARGV[i]) end
  if n > tonumber(ARGV[#KEYS + i]) then ok = 0 end
end
return ok
"""


class RedisThrottle(Throttle):
    """The limits in Redis, shared by every worker; a phone's or a host's event is one round
    trip for all its windows (the rest goes through the ``limits`` package's Redis storage)."""

    def __init__(self, config: dict, client: redis.Redis, url: str, pool, prefix: str):
        super().__init__(
            config["PHONE_RATE_LIMIT"],
            config["HOST_RATE_LIMIT"],
            config["LOOKUP_RATE_LIMIT"],
            counts=RedisStorage(url, connection_pool=pool, key_prefix=f"{prefix}limits"),
        )
        self._prefix = prefix
        self._windows = client.register_script(_WINDOWS)
        self._sha = self._windows.sha

    def event_allowed(self, role: str, key: str) -> bool:
        items = self._events[role]
        # One slot per budget (``{key}``): the script's keys stay together on Redis Cluster.
        keys = [f"{self._prefix}ev:{{{key}}}:{role}:{item.amount}/{item.get_expiry()}" for item in items]
        args = [item.get_expiry() for item in items] + [item.amount for item in items]
        try:
            return bool(self._windows(keys=keys, args=args))
        except redis.RedisError as err:
            raise StoreUnavailable(str(err)) from None


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


class Notices:
    """Coalescing for several workers: each worker sends its own screens at most one update per
    interval per meeting, and the last change always, whichever worker took the vote.

    A worker where a meeting changed tells every worker (itself too) on a Redis channel, at most
    once per interval per meeting (``_out``); each worker, told, coalesces again for the screens
    connected to it (``_here``) and sends them the update read from the store, never through the
    message queue. So a beamer, connected to one worker, gets at most ten updates a second however
    many workers take votes, each with the store's ``seq``. A notice that cannot be published
    (Redis away) is tried again every second; a listener that lost Redis sends its meetings once
    more when it is back, so nobody's screen keeps an old tally."""

    each_worker_sends = True  # the service sends its flushes to this worker's own screens only

    def __init__(self, client: redis.Redis, prefix: str, interval, flush, spawn, sleep):
        self._r = client
        self._channel = f"{prefix}changed"
        self._sleep, self._spawn = sleep, spawn
        self._here = LocalCoalescer(interval, flush, spawn, sleep)
        self._out = LocalCoalescer(interval, self._publish, spawn, sleep)
        spawn(self._listen)

    @property
    def sent(self) -> int:
        return self._here.sent

    def changed(self, code: str, tally: bool = True, counts: bool = False, endorsed: bool = False) -> None:
        self._out.changed(code, tally, counts, endorsed)

    def _publish(self, code: str, tally: bool, counts: bool, endorsed: bool) -> bool:
        flags = "".join(flag for flag, on in zip("tce", (tally, counts, endorsed), strict=True) if on)
        try:
            self._r.publish(self._channel, f"{code} {flags}")
            return True
        except redis.RedisError:
            log.warning("a change could not be told to the other workers; trying again")
            self._here.changed(code, tally, counts, endorsed)  # this worker's screens at least
            self._spawn(self._again, code, tally, counts, endorsed)
            return False

    def _again(self, code: str, tally: bool, counts: bool, endorsed: bool) -> None:
        self._sleep(1.0)
        self._out.changed(code, tally, counts, endorsed)

    def _listen(self) -> None:
        wait = 0.5
        while True:
            try:
                pubsub = self._r.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self._channel)
                if wait > 0.5:  # back after a loss: what changed meanwhile was not heard
                    for code in self._here.recent():
                        self._here.changed(code, True, True, True)
                wait = 0.5
                for message in pubsub.listen():
                    code, _, flags = message["data"].decode().partition(" ")
                    self._here.changed(code, "t" in flags, "c" in flags, "e" in flags)
            except Exception:
                log.warning("listening for changes failed; again in %.0f s", wait, exc_info=True)
                self._sleep(wait)
                wait = min(wait * 2, 8.0)


def over_redis(config: dict, url: str, prefix: str = "live:") -> Shared:
    """The seam for a worker of several: limits, turns, memory and leases in Redis at ``url``."""
    # One pool for the limits, notices, memory and leases: green threads wait for a free
    # connection instead of failing (redis-py's plain pool refuses past 100: "Too many
    # connections", which a hall scanning the QR code reached); a Redis that does not answer
    # still fails within the socket timeouts.
    pool = redis.BlockingConnectionPool.from_url(
        url, max_connections=POOL_SIZE, timeout=POOL_WAIT, socket_timeout=5, socket_connect_timeout=5
    )
    client = redis.Redis(connection_pool=pool)
    limits = RedisThrottle(config, client, url, pool, prefix)

    def coalescer(interval, flush, spawn, sleep):
        return Notices(client, prefix, interval, flush, spawn, sleep)

    return Shared(
        limits=limits,
        full=RedisFullThemes(client, prefix),
        lease=RedisLease(client, prefix),
        coalescer=coalescer,
    )


def worker_queue(url: str, prefix: str = "live:") -> socketio.RedisManager:
    """Socket.IO's Redis message queue on this deployment's own channel: a broadcast by one
    worker reaches the screens connected to every worker (rooms stay each worker's own). Its
    client makes a connection per publish that runs at once: not capped at redis-py's 100."""
    return socketio.RedisManager(url, channel=f"{prefix}socketio", redis_options={"max_connections": 100_000})
