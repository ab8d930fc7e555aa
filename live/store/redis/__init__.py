"""The shared store: one Redis (or Redis Cluster slot per meeting) for every worker.

Every attendee action is one atomic step in Redis: the hot ones a Lua script run by EVALSHA
(``scripts``), the ones that need a rule of the method a watched MULTI/EXEC around the domain's
decision (``actions``). A batch goes out in as few round trips as it can. Counters are kept by
every write, so a tally is a read. Every key of a meeting carries its code as a hash tag
(``keys``), so a meeting lives in one Cluster slot.

Connections come from a bounded ``BlockingConnectionPool`` (a caller waits at most
``timeout`` seconds for one); a store object keeps no thread-local and no lock, so one object
serves green threads and plain threads alike. A server that cannot be reached, at start or
later, raises ``StoreUnavailable`` from every read and write (a batch raises whole: no ack for
anything not stored); once the server answers again the same object works again.

Durability is the server's: an ack is only as safe as ``appendonly yes`` with ``appendfsync
always`` makes it (``live.store.durability`` checks that at start).

One concern per module: ``keys`` (the key layout), ``scripts`` (Lua), ``actions`` (write batches,
new meetings, hand-off settings), ``reads``, ``archive`` (export and import), ``erasure``
(erasure, deletion, old acks). ``RedisStore`` puts them together.
"""

from __future__ import annotations

import functools
import logging
import secrets as random_secrets
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from live.store import Store, StoreUnavailable
from live.store.redis.actions import Actions
from live.store.redis.archive import Archive
from live.store.redis.erasure import Erasure
from live.store.redis.keys import CODES, LIVE, SECRET, Meeting
from live.store.redis.reads import Reads
from live.store.redis.scripts import BATCH, UPDATE_IF_EXISTS

__all__ = ["RedisStore"]

log = logging.getLogger("live.store.redis")

# Seconds after its last step when an unfinished import counts as abandoned (a step of a big
# import takes well under a second).
STALE_IMPORT = 600

# Connections one store object may hold at once (a worker's green threads share them: when a
# whole hall scans the QR code, hundreds ask at once), and how long a caller waits for a free one.
# A busy worker is not a Redis that is away: that wait is long, while a connection or a reply
# that does not come within ``TIMEOUT`` is ``StoreUnavailable`` at once.
MAX_CONNECTIONS = 256
POOL_WAIT = 60.0
TIMEOUT = 5.0


class RedisStore(Reads, Actions, Archive, Erasure, Store):
    """Redis implementation of the store contract.

    ``url``: ``redis://host:port/db`` or ``rediss://`` (TLS), a password in it or in
    ``password``; ``prefix`` starts every key, so several deployments (or tests) share a server.
    ``timeout`` bounds the wait for a connection and for a reply (``POOL_WAIT`` the wait for a
    free slot in the pool)."""

    def __init__(
        self,
        url: str,
        prefix: str = "live:",
        password: str | None = None,
        timeout: float = TIMEOUT,
        stale_import: float = STALE_IMPORT,
    ):
        self.prefix = prefix
        self._stale_import = stale_import
        extra = {"password": password} if password is not None else {}
        self._pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=max(timeout, POOL_WAIT),
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            decode_responses=True,
            health_check_interval=30,
            # No silent retry: a script or EXEC whose reply was lost may have run, and running it
            # again would give a replayed ack for a first one. The caller is told (StoreUnavailable)
            # and the phone resends, which the message ids answer. Idle connections are checked.
            retry=Retry(NoBackoff(), 0),
            **extra,
        )
        self._r = redis.Redis(connection_pool=self._pool)
        self._theme_cache: dict[str, tuple] = {}
        try:
            self._r.ping()
            self._aof = self._appendonly()
            self._batch = self._r.register_script(BATCH)
            self._update = self._r.register_script(UPDATE_IF_EXISTS)
            self._secret = self._make_secret()
            self._abort_imports()
        except redis.RedisError as err:  # unreachable, refused, wrong password
            self._pool.disconnect()
            raise StoreUnavailable(f"Redis at {self._pool.connection_kwargs.get('host')}: {err}") from err

    def _g(self, name: str) -> str:
        """A global key (outside every meeting's slot)."""
        return self.prefix + name

    def _keys(self, code: str) -> Meeting:
        return Meeting(self.prefix, code)

    def _appendonly(self) -> bool | None:
        """Whether the server keeps an append-only file (None: it will not say)."""
        try:
            return self._r.config_get("appendonly").get("appendonly") == "yes"
        except redis.ResponseError:  # managed services often refuse CONFIG
            return None

    def _make_secret(self) -> str:
        # Made once per prefix and kept: join tickets stay valid over restarts.
        self._r.set(self._g(SECRET), random_secrets.token_urlsafe(32), nx=True)
        return self._r.get(self._g(SECRET))

    def _abort_imports(self) -> None:
        """Remove meetings whose import never finished (their worker stopped midway). Other
        workers may be importing right now: only an import untouched for ``stale_import``
        seconds (``STALE_IMPORT``) is given up, at start and at every erasure run."""
        codes = [code for code, state in self._r.hgetall(self._g(CODES)).items() if state == LIVE]
        pipe = self._r.pipeline(transaction=False)
        for code in codes:
            pipe.hmget(self._keys(code).key("m"), ["importing", "import_at"])
        now = time.time()
        for code, (importing, at) in zip(codes, pipe.execute(), strict=True):
            if importing == "1" and now - float(at or 0) >= self._stale_import:
                log.warning("an import that did not finish is removed")
                self.import_abort(code)

    def secret(self):
        return self._secret

    def close(self):
        self._pool.disconnect()


def _unavailable(method):
    """``method`` with Redis's connection errors raised as ``StoreUnavailable``."""

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as err:
            raise StoreUnavailable(f"Redis: {err}") from err

    return guarded


for _name, _value in list(vars(Store).items()):
    if callable(_value) and not _name.startswith("_"):
        setattr(RedisStore, _name, _unavailable(getattr(RedisStore, _name)))
