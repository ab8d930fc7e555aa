"""The embedded store: one SQLite file in the data directory, WAL mode, synchronous=FULL.

One attendee action is one small upsert keyed by (meeting, participant, ...); tallies are aggregate
queries over indexed rows. Writes use one connection and are only ever called by the writer (one
batch at a time, off the eventlet hub); reads use a second connection guarded by a lock.

Personal data leaves no copy behind: the data folder and its files are private to the server's
user, freed space is zeroed (``secure_delete``), and an erasure ends with a checkpoint that empties
the write-ahead log, where the old page images would otherwise stay.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time

from live.meeting import Meeting, Refused, Theme
from live.store import HOST_ACTOR, Action, Store, StoreFull

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meetings (
    code TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    place TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL DEFAULT '',
    phase TEXT NOT NULL DEFAULT 'lobby',
    version INTEGER NOT NULL DEFAULT 1,
    host_key_hash TEXT NOT NULL,
    projector_key_hash TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS themes (
    code TEXT NOT NULL REFERENCES meetings(code),
    id INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (code, id)
);
CREATE TABLE IF NOT EXISTS participants (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (code, token_hash)
);
CREATE TABLE IF NOT EXISTS votes (
    code TEXT NOT NULL,
    participant INTEGER NOT NULL,
    theme INTEGER NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (code, participant, theme)
);
CREATE INDEX IF NOT EXISTS votes_by_theme ON votes (code, theme, answer);
CREATE TABLE IF NOT EXISTS choices (
    code TEXT NOT NULL,
    participant INTEGER NOT NULL,
    theme INTEGER NOT NULL,
    PRIMARY KEY (code, participant)
);
CREATE INDEX IF NOT EXISTS choices_by_theme ON choices (code, theme);
CREATE TABLE IF NOT EXISTS pledges (
    code TEXT NOT NULL,
    participant INTEGER NOT NULL,
    theme INTEGER NOT NULL,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    consent_at REAL NOT NULL,
    PRIMARY KEY (code, participant)
);
CREATE TABLE IF NOT EXISTS additions (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    participant INTEGER NOT NULL,
    theme INTEGER NOT NULL,
    text TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS additions_by_meeting ON additions (code, id);
CREATE TABLE IF NOT EXISTS handled (
    code TEXT NOT NULL,
    actor INTEGER NOT NULL,
    msg_id TEXT NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (code, actor, msg_id)
);
"""


BUSY_TIMEOUT = 10.0
# An erasure waits this long for a lock, then gives up and runs again at the next round: a
# database held by someone else must not stall every vote behind the erasure for long.
ERASE_BUSY_MS = 1000
CHECKPOINT_TRIES = 3
STORE_FILES = ("live.sqlite3", "live.sqlite3-wal", "live.sqlite3-shm", "live.sqlite3-journal")


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT)
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: every commit is fsynced before the ack goes out; group commit keeps it cheap.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    # Zero what a delete or update frees, so an edited or erased name leaves no old bytes in the
    # file. Debian builds SQLite with this on already; other builds (macOS, some wheels) do not.
    # A vote only inserts or rewrites its own small row, so this costs it nothing measurable.
    conn.execute("PRAGMA secure_delete=ON")
    return conn


def _make_private(data_dir: str, path: str) -> None:
    """The data folder 0700 and the store files 0600, also when they existed before.

    SQLite creates the -wal and -shm files later with the mode of the main file, so creating
    that one private is enough to keep them private too.
    """
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    try:
        os.chmod(data_dir, 0o700)
    except PermissionError:
        # A folder someone else owns (a mounted volume): the files below are still private.
        log.warning("the data folder %s could not be made private (0700)", data_dir)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for name in STORE_FILES:
        try:
            os.chmod(os.path.join(data_dir, name), 0o600)
        except FileNotFoundError:
            pass


class SQLiteStore(Store):
    """SQLite implementation of the store contract."""

    def __init__(self, data_dir: str):
        self.path = os.path.join(data_dir, "live.sqlite3")
        _make_private(data_dir, self.path)
        self._w = _connect(self.path)
        self._w.executescript(SCHEMA)
        self._r = _connect(self.path)
        self._r_lock = threading.Lock()
        self._themes: dict[str, list[Theme]] = {}

    # -- reads -----------------------------------------------------------------------------

    def _read(self, sql: str, args=()) -> list[tuple]:
        with self._r_lock:
            return self._r.execute(sql, args).fetchall()

    def meeting(self, code):
        rows = self._read(
            "SELECT code, title, place, date, phase, version, host_key_hash, projector_key_hash,"
            " created_at FROM meetings WHERE code = ?",
            (code,),
        )
        if not rows:
            return None
        themes = self._themes.get(code)
        if themes is None:
            # Themes never change after creation, so they are cached per process.
            themes = [
                Theme(*row)
                for row in self._read(
                    "SELECT id, title, description FROM themes WHERE code = ? ORDER BY id", (code,)
                )
            ]
            self._themes[code] = themes
        return Meeting(
            *rows[0][:6],
            themes=themes,
            host_key_hash=rows[0][6],
            projector_key_hash=rows[0][7],
            created_at=rows[0][8],
        )

    def participant(self, code, token_hash):
        rows = self._read("SELECT id FROM participants WHERE code = ? AND token_hash = ?", (code, token_hash))
        return rows[0][0] if rows else None

    def seen(self, code, actor, msg_id):
        rows = self._read(
            "SELECT result FROM handled WHERE code = ? AND actor = ? AND msg_id = ?",
            (code, actor, msg_id),
        )
        return json.loads(rows[0][0]) if rows else None

    def tally(self, code):
        counts: dict[int, dict] = {}

        def row(theme):
            return counts.setdefault(
                theme, {"theme": theme, "yes": 0, "partly": 0, "no": 0, "chosen": 0, "pledged": 0}
            )

        with self._r_lock:
            # One read transaction so the counts agree with each other.
            self._r.execute("BEGIN")
            try:
                for theme, answer, n in self._r.execute(
                    "SELECT theme, answer, count(*) FROM votes WHERE code = ? GROUP BY theme, answer",
                    (code,),
                ):
                    row(theme)[answer] = n
                for theme, n in self._r.execute(
                    "SELECT theme, count(*) FROM choices WHERE code = ? GROUP BY theme", (code,)
                ):
                    row(theme)["chosen"] = n
                for theme, n in self._r.execute(
                    "SELECT theme, count(*) FROM pledges WHERE code = ? GROUP BY theme", (code,)
                ):
                    row(theme)["pledged"] = n
                (participants,) = self._r.execute(
                    "SELECT count(*) FROM participants WHERE code = ?", (code,)
                ).fetchone()
            finally:
                self._r.execute("COMMIT")
        return {"participants": participants, "themes": [counts[k] for k in sorted(counts)]}

    def answers(self, code, participant):
        votes = self._read(
            "SELECT theme, answer FROM votes WHERE code = ? AND participant = ?", (code, participant)
        )
        choice = self._read(
            "SELECT theme FROM choices WHERE code = ? AND participant = ?", (code, participant)
        )
        pledge = self._read(
            "SELECT theme, role, name, email, phone FROM pledges WHERE code = ? AND participant = ?",
            (code, participant),
        )
        additions = self._read(
            "SELECT id, theme, text, status FROM additions WHERE code = ? AND participant = ? ORDER BY id",
            (code, participant),
        )
        mine = {
            "votes": {str(theme): answer for theme, answer in votes},
            "choice": choice[0][0] if choice else None,
            "pledge": None,
            "additions": [{"id": i, "theme": t, "text": text, "status": s} for i, t, text, s in additions],
        }
        if pledge:
            theme, role, name, email, phone = pledge[0]
            mine["pledge"] = {"theme": theme, "role": role, "name": name, "email": email, "phone": phone}
        return mine

    def additions(self, code, shown_only=False):
        sql = "SELECT id, theme, text, status FROM additions WHERE code = ?"
        if shown_only:
            sql += " AND status = 'shown'"
        rows = self._read(sql + " ORDER BY id", (code,))
        return [{"id": i, "theme": t, "text": text, "status": s} for i, t, text, s in rows]

    def pledges(self, code):
        rows = self._read(
            "SELECT theme, role, name, email, phone, consent_at FROM pledges WHERE code = ?"
            " ORDER BY theme, participant",
            (code,),
        )
        keys = ("theme", "role", "name", "email", "phone", "consent_at")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    # -- writes (called by one writer at a time) -------------------------------------------

    def create_meeting(self, code, title, place, date, themes, host_key_hash, projector_key_hash):
        conn = self._w
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "INSERT INTO meetings (code, title, place, date, host_key_hash,"
                " projector_key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (code, title, place, date, host_key_hash, projector_key_hash, time.time()),
            )
            conn.executemany(
                "INSERT INTO themes (code, id, title, description) VALUES (?, ?, ?, ?)",
                [(code, t.id, t.title, t.description) for t in themes],
            )
            conn.execute("COMMIT")
        except sqlite3.IntegrityError:
            self._rollback(conn)
            return False
        except BaseException as exc:
            # Whatever failed, the writer's connection must not stay inside a transaction, or
            # every later write fails too. (SQLite rolls back by itself on a full disk.)
            self._rollback(conn)
            if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
                raise StoreFull("no room to store the meeting") from exc
            raise
        return True

    @staticmethod
    def _rollback(conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    def limit_pages(self, pages: int) -> None:
        """Cap the file at this many pages (a test hook: a store that fills up like a full disk)."""
        self._w.execute(f"PRAGMA max_page_count = {int(pages)}")

    def join(self, code, token_hash):
        return self.apply([Action("join", code, HOST_ACTOR, "", {"token_hash": token_hash})])[0][
            "participant"
        ]

    def apply(self, actions):
        conn = self._w
        results = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for action in actions:
                conn.execute("SAVEPOINT action")
                try:
                    result = self._apply_one(conn, action)
                except Refused as refused:
                    conn.execute("ROLLBACK TO action")
                    result = {"ok": False, "error": refused.slug}
                except (sqlite3.IntegrityError, sqlite3.InterfaceError, OverflowError, ValueError):
                    # Bad data in one action fails that action only, never its neighbours in the
                    # batch. (Disk and lock errors still fail the batch: nobody gets a false ack.)
                    log.exception("one write failed")
                    conn.execute("ROLLBACK TO action")
                    result = {"ok": False, "error": "server_error"}
                conn.execute("RELEASE action")
                results.append(result)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return results

    def _apply_one(self, conn: sqlite3.Connection, action: Action) -> dict:
        code, actor, data = action.code, action.actor, action.data
        if action.kind == "join":
            row = conn.execute(
                "INSERT INTO participants (code, token_hash, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (code, token_hash) DO UPDATE SET code = excluded.code RETURNING id",
                (code, data["token_hash"], time.time()),
            ).fetchone()
            return {"ok": True, "participant": row[0]}
        if action.msg_id:
            seen = conn.execute(
                "SELECT result FROM handled WHERE code = ? AND actor = ? AND msg_id = ?",
                (code, actor, action.msg_id),
            ).fetchone()
            if seen:
                return json.loads(seen[0])
        if action.phases:
            (phase,) = conn.execute("SELECT phase FROM meetings WHERE code = ?", (code,)).fetchone()
            if phase not in action.phases:
                raise Refused("wrong_phase")
        result = getattr(self, f"_do_{action.kind}")(conn, code, actor, data)
        if action.msg_id:
            conn.execute(
                "INSERT INTO handled (code, actor, msg_id, result) VALUES (?, ?, ?, ?)",
                (code, actor, action.msg_id, json.dumps(result)),
            )
        return result

    def _do_vote(self, conn, code, actor, data):
        conn.execute(
            "INSERT INTO votes (code, participant, theme, answer) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (code, participant, theme) DO UPDATE SET answer = excluded.answer",
            (code, actor, data["theme"], data["answer"]),
        )
        return {"ok": True}

    def _do_choose(self, conn, code, actor, data):
        conn.execute(
            "INSERT INTO choices (code, participant, theme) VALUES (?, ?, ?)"
            " ON CONFLICT (code, participant) DO UPDATE SET theme = excluded.theme",
            (code, actor, data["theme"]),
        )
        return {"ok": True}

    def _do_pledge(self, conn, code, actor, data):
        conn.execute(
            "INSERT INTO pledges (code, participant, theme, role, name, email, phone, consent_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code, participant) DO UPDATE SET"
            " theme = excluded.theme, role = excluded.role, name = excluded.name,"
            " email = excluded.email, phone = excluded.phone, consent_at = excluded.consent_at",
            (
                code,
                actor,
                data["theme"],
                data["role"],
                data["name"],
                data["email"],
                data["phone"],
                time.time(),
            ),
        )
        return {"ok": True}

    def _do_addition(self, conn, code, actor, data):
        (addition_id,) = conn.execute(
            "INSERT INTO additions (code, participant, theme, text, created_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (code, actor, data["theme"], data["text"], time.time()),
        ).fetchone()
        self._bump(conn, code)
        return {"ok": True, "addition": addition_id}

    def _do_set_phase(self, conn, code, actor, data):
        (version,) = conn.execute(
            "UPDATE meetings SET phase = ?, version = version + 1 WHERE code = ? RETURNING version",
            (data["phase"], code),
        ).fetchone()
        return {"ok": True, "phase": data["phase"], "version": version}

    def _do_moderate(self, conn, code, actor, data):
        cur = conn.execute(
            "UPDATE additions SET status = ? WHERE code = ? AND id = ?",
            ("shown" if data["show"] else "hidden", code, data["addition"]),
        )
        if cur.rowcount != 1:
            raise Refused("unknown_addition")
        self._bump(conn, code)
        return {"ok": True}

    @staticmethod
    def _bump(conn, code):
        conn.execute("UPDATE meetings SET version = version + 1 WHERE code = ?", (code,))

    def purge_contacts(self, created_before):
        conn = self._w
        conn.execute(f"PRAGMA busy_timeout = {ERASE_BUSY_MS}")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                old = "SELECT code FROM meetings WHERE created_at < ?"
                erased = conn.execute(
                    "UPDATE pledges SET name = '', email = '', phone = ''"
                    f" WHERE (name != '' OR email != '' OR phone != '') AND code IN ({old})",
                    (created_before,),
                ).rowcount
                erased += conn.execute(
                    f"UPDATE additions SET text = '' WHERE text != '' AND code IN ({old})",
                    (created_before,),
                ).rowcount
                conn.execute("COMMIT")
            except BaseException:
                self._rollback(conn)
                raise
            # Every run, not only one that erased something: a checkpoint that readers blocked
            # last time is finished now.
            self._empty_wal(conn)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        return erased

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

    def close(self):
        self._w.close()
        self._r.close()
