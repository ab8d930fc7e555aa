"""A whole meeting out of and into the SQLite store: the export read and the import steps.

The export reads every table of one meeting at one moment; an import writes a meeting in steps
(begun, rows in chunks, links between additions, finished or aborted), each its own short
transaction, so the other meetings' acks never wait long behind it. What an archive may hold is
checked before it gets here (``live.exports.archive``); this module only stores it.
"""

from __future__ import annotations

import secrets
import sqlite3

from live.store import StoreFull
from live.store.sqlite.schema import MEETING_TABLES, code_retired, rollback

# Columns the whole-meeting export leaves out: the meeting code (the import gives a new one when
# it is taken), secrets (the import makes new keys; old phones cannot come back anyway), and the
# store's own bookkeeping (an import's flag; the sequence, which starts again at 1).
EXPORT_SKIP = {
    "code",
    "host_key_hash",
    "projector_key_hash",
    "helper_key_hash",
    "key_hash",
    "token_hash",
    "importing",
    "seq",
}
# The tables whose rows get new ids in an import (references to them follow, in the service).
RENUMBERED = ("participants", "additions", "notes")


def _grouped(table: str, rows: list[dict], known: set) -> list[tuple[tuple, list]]:
    """Rows as ``(columns, [values, …])`` groups of the same columns, for ``executemany``;
    ``KeyError`` for a column the table lacks, ``TypeError`` for a value that is no number or text."""
    groups: dict[tuple, list] = {}
    for row in rows:
        cols = tuple(row)
        if not known.issuperset(cols):
            raise KeyError(f"unknown columns for {table}: {sorted(set(cols) - known)}")
        values = tuple(row.values())
        if not all(v is None or isinstance(v, (int, float, str)) for v in values):
            raise TypeError(f"a value for {table} is not a number or text")
        groups.setdefault(cols, []).append(values)
    return list(groups.items())


def importable_columns(conn: sqlite3.Connection) -> dict[str, set]:
    """The columns an import may fill, per table (the store's bookkeeping excluded)."""
    return {
        table: {row[1] for row in conn.execute(f"PRAGMA table_info({table})")} - {"seq"}
        for table in MEETING_TABLES
    }


class Archive:
    """Export and import for ``SQLiteStore`` (``_cols``: what ``importable_columns`` found)."""

    def export_meeting(self, code):
        out = {}
        with self._r_lock:
            # One read transaction: every table as it was at one moment.
            self._r.execute("BEGIN")
            try:
                for table in MEETING_TABLES:
                    have = [r[1] for r in self._r.execute(f"PRAGMA table_info({table})")]
                    cols = [c for c in have if c not in EXPORT_SKIP]
                    rows = self._r.execute(
                        f"SELECT {', '.join(cols)} FROM {table} WHERE code = ? ORDER BY rowid", (code,)
                    ).fetchall()
                    out[table] = [dict(zip(cols, row, strict=True)) for row in rows]
            finally:
                self._r.execute("COMMIT")
        if not out["meetings"]:
            return None
        meeting = {"code": code, **out.pop("meetings")[0]}
        return {"meeting": meeting, **out}

    def import_begin(self, code, meeting, host_key_hash, projector_key_hash, helper_key_hash):
        conn = self._w
        conn.execute("BEGIN IMMEDIATE")
        try:
            taken = conn.execute("SELECT 1 FROM meetings WHERE code = ?", (code,)).fetchone()
            if taken or code_retired(conn, code):
                rollback(conn)
                return False
            self._insert(
                conn,
                "meetings",
                {
                    **meeting,
                    "code": code,
                    "host_key_hash": host_key_hash,
                    "importing": 1,
                    "projector_key_hash": projector_key_hash,
                    "helper_key_hash": helper_key_hash,
                },
            )
            conn.execute("COMMIT")
        except BaseException as exc:
            self._import_failed(conn, exc)
        return True

    def import_rows(self, code, table, rows):
        conn = self._w
        conn.execute("BEGIN IMMEDIATE")
        try:
            busy = conn.execute("SELECT 1 FROM meetings WHERE code = ? AND importing = 1", (code,))
            if not busy.fetchone():
                raise KeyError("no import under way for this code")
            if table in RENUMBERED:
                ids = []
                for row in rows:
                    if table == "participants":
                        # A random token hash no phone has: old phones cannot come back here anyway.
                        row = {**row, "token_hash": secrets.token_hex(32)}
                    ids.append(self._insert(conn, table, {**row, "code": code}))
            else:  # votes and the like: one statement for the whole step
                ids = []
                mine = [{**row, "code": code} for row in rows]
                for cols, values in _grouped(table, mine, self._cols[table]):
                    marks = ", ".join("?" * len(cols))
                    conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", values)
            conn.execute("COMMIT")
        except BaseException as exc:
            self._import_failed(conn, exc)
        return ids

    def import_links(self, code, links):
        conn = self._w
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "UPDATE additions SET merged_into = ? WHERE code = ? AND id = ?",
                [(into, code, addition) for addition, into in links],
            )
            conn.execute("COMMIT")
        except BaseException as exc:
            self._import_failed(conn, exc)

    def import_finish(self, code):
        cur = self._w.execute("UPDATE meetings SET importing = 0 WHERE code = ? AND importing = 1", (code,))
        return cur.rowcount == 1

    def import_abort(self, code):
        conn = self._w
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM meetings WHERE code = ? AND importing = 1", (code,)).fetchone():
                for table in reversed(MEETING_TABLES):
                    conn.execute(f"DELETE FROM {table} WHERE code = ?", (code,))
            conn.execute("COMMIT")
        except BaseException:
            rollback(conn)
            raise

    def _import_failed(self, conn, exc: BaseException):
        """Roll back one import step and raise what the caller expects (``docs``: the contract)."""
        rollback(conn)
        if isinstance(
            exc,
            (
                KeyError,
                TypeError,
                AttributeError,
                sqlite3.IntegrityError,
                sqlite3.InterfaceError,
                OverflowError,
            ),
        ):
            raise ValueError(f"not a meeting this store can hold: {type(exc).__name__}") from None
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            raise StoreFull("no room to import the meeting") from exc
        raise exc

    def _insert(self, conn, table: str, row: dict) -> int:
        """Insert the columns of ``row`` this table has (others are refused: ``KeyError``)."""
        unknown = set(row) - self._cols[table]
        if unknown:
            raise KeyError(f"unknown columns for {table}: {sorted(unknown)}")
        cols = [c for c in row if row[c] is not None or c != "id"]
        values = [row[c] for c in cols]
        if not all(v is None or isinstance(v, (int, float, str)) for v in values):
            # An archive with a list or an object where a column's value belongs.
            raise TypeError(f"a value for {table} is not a number or text")
        cur = conn.execute(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", values
        )
        return cur.lastrowid
