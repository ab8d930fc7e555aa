"""Every store the contract suite runs over: a new store is one more line in ``ALL``.

A kind opens a store object on a data folder and releases it. The same folder is the same data:
two objects on one folder are two workers sharing a store, and an object opened again after
``close`` finds what the first one acknowledged. The contract suite (``test_store_contract.py``)
and the store tests in other files take their stores from here (the ``stores`` fixture in
``conftest.py``), so a second store gets all of them.

A child process finds a kind by its name (``KINDS``): the crash test opens the store there.
Nothing here may know a store's insides; tests of one store's own insides (its files, its page
limits) build that store themselves and say so.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from live.store import Store, StoreUnavailable

# The Redis the Redis kind runs on: ``REDIS_URL`` (as the ``redis_url`` fixture), in a database of
# its own, so the tests' keys never meet a running server's.
REDIS_TEST_DB = 13


def _sqlite(data_dir: str) -> Store:
    from live.store.sqlite import SQLiteStore

    return SQLiteStore(data_dir)


def redis_test_url() -> str:
    """``REDIS_URL`` (default 127.0.0.1:6379) with the tests' database number."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/')[0]}/{REDIS_TEST_DB}"


def redis_prefix(data_dir: str) -> str:
    """The key prefix of a data folder: two objects on one folder share data, two tests never."""
    return f"t:{hashlib.sha1(os.path.abspath(data_dir).encode()).hexdigest()[:12]}:"


def _redis(data_dir: str) -> Store:
    from live.store.redis import RedisStore

    try:
        # An unfinished import is given up as soon as a store opens again, as one worker's
        # restart does on SQLite (workers of a deployment wait STALE_IMPORT: test_store_redis).
        return RedisStore(redis_test_url(), prefix=redis_prefix(data_dir), stale_import=0)
    except StoreUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"no Redis answers at {redis_test_url()}; .ci/run must start one ({exc})")
        pytest.skip(f"no Redis at {redis_test_url()}: {exc}")


def _redis_drop(data_dir: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_test_url())
    try:
        keys = list(client.scan_iter(match=f"{redis_prefix(data_dir)}*", count=1000))
        for start in range(0, len(keys), 500):
            client.unlink(*keys[start : start + 500])
    except redis.RedisError:
        pass  # no server: nothing was written either
    finally:
        client.close()


@dataclass(frozen=True)
class Kind:
    """How a test opens, releases and clears one kind of store."""

    name: str
    open: Callable[[str], Store]  # a store object on this data folder
    close: Callable[[Store], None]  # release it; its data stays for the next open
    # Remove a folder's data once the test is over (a file store's data goes with the folder).
    drop: Callable[[str], None] = lambda data_dir: None


# One line per store.
ALL = [
    Kind("sqlite", _sqlite, lambda store: store.close()),
    Kind("redis", _redis, lambda store: store.close(), _redis_drop),
]

KINDS = {kind.name: kind for kind in ALL}
STORES = [pytest.param(kind, id=kind.name) for kind in ALL]


# The methods of the contract: all a test may call on a store it got from here.
CONTRACT = frozenset(name for name, value in vars(Store).items() if callable(value) and name[0] != "_")


class OnlyTheContract:
    """A store seen through the contract alone: a test that calls anything else on it fails now,
    not first when a second store runs it."""

    def __init__(self, store: Store):
        self.inside = store

    def __getattr__(self, name: str):
        if name not in CONTRACT:
            raise AttributeError(f"{name!r} is not a method of the store contract (live/store/__init__.py)")
        return getattr(self.inside, name)


class Opened:
    """Store objects of one kind opened during a test; ``close_all`` releases and clears them."""

    def __init__(self, kind: Kind, root: Path):
        self.kind = kind
        self.folder = str(root / "store")
        self._open: list[OnlyTheContract] = []
        self._folders: set[str] = set()

    def __call__(self, folder: str | None = None) -> Store:
        """Another store object on ``folder`` (default: this test's one store folder)."""
        folder = folder or self.folder
        self._folders.add(folder)
        store = OnlyTheContract(self.kind.open(folder))
        self._open.append(store)
        return store

    def close(self, store: Store) -> None:
        """Release one store object (as a worker that stops); its data stays."""
        self._open.remove(store)
        self.kind.close(store.inside)

    def close_all(self) -> None:
        """Release every object still open and clear the data of every folder used."""
        while self._open:
            self.close(self._open[-1])
        for folder in self._folders:
            self.kind.drop(folder)
