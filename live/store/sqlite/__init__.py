"""The embedded store: one SQLite file in the data directory, WAL mode, synchronous=FULL.

One attendee action is one small upsert keyed by (meeting, participant, ...); tallies are aggregate
queries over indexed rows. Writes use one connection and are only ever called by the writer (one
batch at a time, off the eventlet hub); reads use a second connection guarded by a lock. The
method's decisions are the domain's (``live.domain.rules``): this package stores them.

Personal data leaves no copy behind: the data folder and its files are private to the server's
user, freed space is zeroed (``secure_delete``), and an erasure ends with a checkpoint that empties
the write-ahead log, where the old page images would otherwise stay.

One concern per module: ``schema`` (tables, migrations, opening the file), ``reads`` (what the
screens read), ``actions`` (write batches and the host's settings), ``archive`` (export and
import), ``erasure`` (erasure, deletion, old acks). ``SQLiteStore`` puts them together.
"""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import threading

from live.store import Store, StoreUnavailable
from live.store.sqlite.actions import Actions
from live.store.sqlite.archive import Archive, importable_columns
from live.store.sqlite.erasure import Erasure
from live.store.sqlite.reads import Reads
from live.store.sqlite.schema import SCHEMA, connect, make_private, migrate

__all__ = ["SQLiteStore"]

log = logging.getLogger(__name__)


class SQLiteStore(Reads, Actions, Archive, Erasure, Store):
    """SQLite implementation of the store contract.

    State the parts share: ``_w`` (the writer's connection), ``_r`` and ``_r_lock`` (reads, the
    event loop's), ``_themes`` (themes cached per meeting version), ``_cols`` (what an import may
    fill), ``_erased`` (a commit erased personal data: empty the log after it)."""

    def __init__(self, data_dir: str):
        try:
            self._open(data_dir)
        except sqlite3.Error as err:  # damaged, locked or full: the caller says so in Dutch
            raise StoreUnavailable(str(err)) from err

    def _open(self, data_dir: str) -> None:
        self.path = os.path.join(data_dir, "live.sqlite3")
        make_private(data_dir, self.path)
        self._w = connect(self.path)
        # One (deferred) transaction: its pages reach the write-ahead log once, and a store file
        # that has every table takes no write lock at all.
        self._w.executescript(f"BEGIN; {SCHEMA} COMMIT;")
        migrate(self._w)
        self._r = connect(self.path)
        self._r_lock = threading.Lock()
        # Read once here: the writer's thread must never read through ``_r``, whose lock belongs
        # to the event loop.
        self._cols = importable_columns(self._w)
        for (code,) in self._w.execute("SELECT code FROM meetings WHERE importing = 1").fetchall():
            log.warning("an import that did not finish is removed")
            self.import_abort(code)
        self._themes: dict[str, tuple] = {}
        self._secret: str | None = None
        self._erased = False
        self.secret()  # made with the store, so a later start needs no write for it

    def secret(self):
        if self._secret is None:
            rows = self._read("SELECT value FROM meta WHERE key = 'secret'")
            if not rows:  # made once per store and kept: join tickets stay valid over restarts
                self._w.execute(
                    "INSERT INTO meta (key, value) VALUES ('secret', ?) ON CONFLICT (key) DO NOTHING",
                    (secrets.token_urlsafe(32),),
                )
                rows = self._read("SELECT value FROM meta WHERE key = 'secret'")
            self._secret = rows[0][0]
        return self._secret

    def close(self):
        self._w.close()
        self._r.close()
