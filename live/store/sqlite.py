"""The embedded store: one SQLite file in the data directory, WAL mode, synchronous=FULL.

One attendee action is one small upsert keyed by (meeting, participant, ...); tallies are aggregate
queries over indexed rows. Writes use one connection and are only ever called by the writer (one
batch at a time, off the eventlet hub); reads use a second connection guarded by a lock.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time

from live.meeting import Meeting, Refused, Theme
from live.store import HOST_ACTOR, Action, Store

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
-- Counts per status and the projector's shown additions, without a walk over every addition.
CREATE INDEX IF NOT EXISTS additions_by_status ON additions (code, status, id);
CREATE TABLE IF NOT EXISTS handled (
    code TEXT NOT NULL,
    actor INTEGER NOT NULL,
    msg_id TEXT NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (code, actor, msg_id)
);
"""


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: every commit is fsynced before the ack goes out; group commit keeps it cheap.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class SQLiteStore(Store):
    """SQLite implementation of the store contract."""

    def __init__(self, data_dir: str):
        os.makedirs(data_dir, exist_ok=True)
        self.path = os.path.join(data_dir, "live.sqlite3")
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

    def additions_page(self, code, order="oldest", offset=0, limit=50, status=None):
        where = "code = ?" + (" AND status = ?" if status else "")
        args = (code, status) if status else (code,)
        direction = "DESC" if order == "newest" else "ASC"
        with self._r_lock:
            # One read transaction: the page, the counts and the version agree with each other.
            self._r.execute("BEGIN")
            try:
                (version,) = self._r.execute(
                    "SELECT version FROM meetings WHERE code = ?", (code,)
                ).fetchone() or (0,)
                counts = {"pending": 0, "shown": 0, "hidden": 0}
                counts.update(
                    self._r.execute(
                        "SELECT status, count(*) FROM additions WHERE code = ? GROUP BY status", (code,)
                    ).fetchall()
                )
                rows = self._r.execute(
                    f"SELECT id, theme, text, status FROM additions WHERE {where}"
                    f" ORDER BY id {direction} LIMIT ? OFFSET ?",
                    (*args, -1 if limit is None else limit, offset),
                ).fetchall()
            finally:
                self._r.execute("COMMIT")
        total = counts[status] if status else sum(counts.values())
        return {
            "additions": [{"id": i, "theme": t, "text": text, "status": s} for i, t, text, s in rows],
            "total": total,
            "counts": counts,
            "version": version,
        }

    def addition(self, code, addition_id):
        rows = self._read(
            "SELECT a.id, a.theme, a.text, a.status, m.version FROM additions a"
            " JOIN meetings m ON m.code = a.code WHERE a.code = ? AND a.id = ?",
            (code, addition_id),
        )
        if not rows:
            return None
        return dict(zip(("id", "theme", "text", "status", "version"), rows[0], strict=True))

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
        except sqlite3.IntegrityError:
            conn.execute("ROLLBACK")
            return False
        conn.execute("COMMIT")
        return True

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
        conn.execute("BEGIN IMMEDIATE")
        cur = conn.execute(
            "UPDATE pledges SET name = '', email = '', phone = '' WHERE (name != '' OR email != ''"
            " OR phone != '') AND code IN (SELECT code FROM meetings WHERE created_at < ?)",
            (created_before,),
        )
        conn.execute("COMMIT")
        return cur.rowcount

    def close(self):
        self._w.close()
        self._r.close()
