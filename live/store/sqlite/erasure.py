"""Personal data leaving the SQLite store: erasure after retention, deleting a meeting, old acks.

An erasure blanks names, contact details, addition texts and card notes, then empties the
write-ahead log, where the old page images would otherwise stay (freed pages are zeroed by
``secure_delete``). When a meeting is due is the domain's rule (``rules.erasure_due``); this module
only finds the meetings it names and erases them. Every step waits for a lock only briefly, so
the votes never stall behind an erasure.
"""

from __future__ import annotations

import json
import sqlite3
import time

from live.domain import rules, terugkom
from live.store.sqlite.schema import BUSY_TIMEOUT, CHECKPOINT_TRIES, ERASE_BUSY_MS, MEETING_TABLES, rollback

# The meetings an erasure names, passed as one JSON list.
_NAMED = "code IN (SELECT value FROM json_each(?))"


class Erasure:
    """Erasure and deletion for ``SQLiteStore`` (through its writer's connection ``_w``)."""

    def purge_contacts(self, created_before):
        def old(conn):
            return [
                c
                for (c,) in conn.execute("SELECT code FROM meetings WHERE created_at < ?", (created_before,))
            ]

        return self._erase(old)

    def erase_due(self, now, default_days):
        def due(conn):
            rows = conn.execute("SELECT code, held_on, created_at, retention_days FROM meetings")
            return [
                code
                for code, held_on, created_at, days in rows
                if rules.erasure_due(held_on, days, default_days, created_at) <= now
            ]

        return self._erase(due)

    def _erase(self, which) -> int:
        """Blank names, contacts, addition texts and card notes of the meetings ``which(conn)``
        names (read inside the erasure's transaction), then empty the write-ahead log."""
        conn = self._w
        conn.execute(f"PRAGMA busy_timeout = {ERASE_BUSY_MS}")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                named = json.dumps(which(conn))
                touched = conn.execute(
                    "UPDATE pledges SET name = '', email = '', phone = ''"
                    f" WHERE (name != '' OR email != '' OR phone != '') AND {_NAMED} RETURNING code",
                    (named,),
                ).fetchall()
                touched += conn.execute(
                    f"UPDATE additions SET text = '' WHERE text != '' AND {_NAMED} RETURNING code", (named,)
                ).fetchall()
                # Card notes too: "Wie neemt het voortouw?" is answered with names.
                touched += conn.execute(
                    f"UPDATE notes SET text = '' WHERE text != '' AND {_NAMED} RETURNING code", (named,)
                ).fetchall()
                # A terugkombijeenkomst: the plans ("wie doet wat"), the host's call notes, the
                # members and card a group brought, and who carries out an agreement.
                touched += conn.execute(
                    "UPDATE groups SET plan = '', host_note = ''"
                    f" WHERE (plan != '' OR host_note != '') AND {_NAMED} RETURNING code",
                    (named,),
                ).fetchall()
                for group_code, theme, origin in conn.execute(
                    f"SELECT code, theme, origin FROM groups WHERE origin != '' AND {_NAMED}", (named,)
                ).fetchall():
                    blank = terugkom.erased_origin(origin)
                    if blank != origin:
                        conn.execute(
                            "UPDATE groups SET origin = ? WHERE code = ? AND theme = ?",
                            (blank, group_code, theme),
                        )
                        touched.append((group_code,))
                touched += conn.execute(
                    f"UPDATE agreements SET who = '' WHERE who != '' AND {_NAMED} RETURNING code", (named,)
                ).fetchall()
                # What the screens show changed (blank texts): their number moves on.
                conn.executemany(
                    "UPDATE meetings SET seq = seq + 1 WHERE code = ?",
                    [(c,) for c in {c for (c,) in touched}],
                )
                conn.execute("COMMIT")
            except BaseException:
                rollback(conn)
                raise
            # Every run, not only one that erased something: a checkpoint that readers blocked
            # last time is finished now.
            self._empty_wal(conn)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        return len(touched)

    def prune_handled(self, before):
        cur = self._w.execute("DELETE FROM handled WHERE at < ?", (before,))
        return cur.rowcount

    def delete_meeting(self, code):
        conn = self._w
        conn.execute(f"PRAGMA busy_timeout = {ERASE_BUSY_MS}")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Children first (themes refer to the meeting); secure_delete zeroes every row.
                deleted = 0
                for table in (*reversed(MEETING_TABLES), "handled"):
                    deleted += conn.execute(f"DELETE FROM {table} WHERE code = ?", (code,)).rowcount
                if deleted:
                    conn.execute(
                        "INSERT OR IGNORE INTO deleted_codes (code, deleted_at) VALUES (?, ?)",
                        (code, time.time()),
                    )
                conn.execute("COMMIT")
            except BaseException:
                rollback(conn)
                raise
            self._themes.pop(code, None)
            self._empty_wal(conn)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        return deleted

    def _empty_wal(self, conn: sqlite3.Connection) -> None:
        """Copy the log into the database and cut it to zero bytes, so the page images from
        before the erasure are gone from the -wal file; retried while readers hold it."""
        for _ in range(CHECKPOINT_TRIES):
            # Each try waits up to the busy timeout for readers to finish (SQLite sleeps in C, so
            # no green-thread sleep runs on this worker thread); a reader that stays makes it busy.
            (busy, _log, _done) = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return
        raise sqlite3.OperationalError("the write-ahead log stayed in use; checkpoint not finished")
