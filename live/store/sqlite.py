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
import secrets
import sqlite3
import threading
import time

from live.domain import MAX_THEMES, ORIGINS, Meeting, Refused, Theme
from live.store import HOST_ACTOR, WRITING, Action, Replayed, Store, StoreFull

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
    created_at REAL NOT NULL,
    pace TEXT NOT NULL DEFAULT 'all',
    current_theme INTEGER,
    results_hidden INTEGER NOT NULL DEFAULT 0,
    hidden_themes TEXT NOT NULL DEFAULT '',
    choices_locked INTEGER NOT NULL DEFAULT 0,
    importing INTEGER NOT NULL DEFAULT 0,
    wifi_name TEXT NOT NULL DEFAULT '',
    wifi_password TEXT NOT NULL DEFAULT '',
    welcome INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS themes (
    code TEXT NOT NULL REFERENCES meetings(code),
    id INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position INTEGER,
    removed INTEGER NOT NULL DEFAULT 0,
    from_addition INTEGER,
    tables TEXT NOT NULL DEFAULT '',
    capacity INTEGER,
    merged_into INTEGER,
    PRIMARY KEY (code, id)
);
CREATE TABLE IF NOT EXISTS manual_counts (
    code TEXT NOT NULL,
    theme INTEGER NOT NULL,
    answer TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (code, theme, answer)
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
    seat INTEGER NOT NULL DEFAULT 0,
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
    contact_by TEXT NOT NULL DEFAULT '',
    share INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (code, participant, theme)
);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    theme INTEGER NOT NULL,
    field TEXT NOT NULL,
    participant INTEGER NOT NULL,
    text TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_by_meeting ON notes (code, theme, id);
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
-- "Dat herken ik ook": one row per participant and addition (always a group's root), so a tap
-- counts once and a second tap takes it back; raised hands per addition, typed by the host.
CREATE TABLE IF NOT EXISTS endorsements (
    code TEXT NOT NULL,
    addition INTEGER NOT NULL,
    participant INTEGER NOT NULL,
    PRIMARY KEY (code, addition, participant)
);
CREATE TABLE IF NOT EXISTS addition_hands (
    code TEXT NOT NULL,
    addition INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (code, addition)
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- Counts per status and the projector's shown additions, without a walk over every addition.
CREATE INDEX IF NOT EXISTS additions_by_status ON additions (code, status, id);
-- The codes of deleted meetings: never given out again, so an old QR code or link can only say
-- that its meeting is gone, never open somebody else's.
CREATE TABLE IF NOT EXISTS deleted_codes (
    code TEXT PRIMARY KEY,
    deleted_at REAL NOT NULL
);
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

# Columns added after the first version: a store file made by it gets them on opening.
ADDED_COLUMNS = {
    "meetings": {
        "pace": "TEXT NOT NULL DEFAULT 'all'",
        "current_theme": "INTEGER",
        "results_hidden": "INTEGER NOT NULL DEFAULT 0",
        "hidden_themes": "TEXT NOT NULL DEFAULT ''",
        "choices_locked": "INTEGER NOT NULL DEFAULT 0",
        # Empty for meetings made before the helper screen: only the host key opens theirs.
        "helper_key_hash": "TEXT NOT NULL DEFAULT ''",
        # The day the meeting is held (ISO date) and its own retention; NULL: RETENTION_DAYS.
        "held_on": "TEXT NOT NULL DEFAULT ''",
        "retention_days": "INTEGER",
        # 1 while an import writes the meeting in steps: nobody sees it until the last one.
        "importing": "INTEGER NOT NULL DEFAULT 0",
        # The hall's Wi-Fi for the beamer's welcome, and the welcome brought back after the lobby.
        "wifi_name": "TEXT NOT NULL DEFAULT ''",
        "wifi_password": "TEXT NOT NULL DEFAULT ''",
        "welcome": "INTEGER NOT NULL DEFAULT 0",
    },
    "themes": {
        "position": "INTEGER",
        "removed": "INTEGER NOT NULL DEFAULT 0",
        "from_addition": "INTEGER",
        "tables": "TEXT NOT NULL DEFAULT ''",
        "capacity": "INTEGER",
        "merged_into": "INTEGER",
        # The working group's first meeting, JSON {"date", "time", "place"}, set by the host.
        "follow_up": "TEXT NOT NULL DEFAULT ''",
    },
    "choices": {"seat": "INTEGER NOT NULL DEFAULT 0"},
    # phone, paper or helper (live.domain.ORIGINS): every row before this change was a phone.
    "participants": {"origin": "TEXT NOT NULL DEFAULT 'phone'"},
    # When the message was handled, so the table can be pruned (``prune_handled``).
    "handled": {"at": "REAL NOT NULL DEFAULT 0"},
    # The addition a merged addition went into (always one that is not merged itself).
    "additions": {"merged_into": "INTEGER"},
}

# Columns the whole-meeting export leaves out: the meeting code (the import gives a new one when
# it is taken), and secrets (the import makes new keys; old phones cannot come back anyway).
EXPORT_SKIP = {"code", "host_key_hash", "projector_key_hash", "helper_key_hash", "token_hash", "importing"}
# The tables of one meeting, in an order an import can insert them in.
MEETING_TABLES = (
    "meetings",
    "themes",
    "participants",
    "votes",
    "choices",
    "pledges",
    "notes",
    "additions",
    "manual_counts",
    "endorsements",
    "addition_hands",
)
# A meeting's due moment for erasure: the start (UTC) of its day, or its creation for meetings made
# before the day was kept, plus its retention days. So 0 days: erased at the next run.
# A day SQLite cannot read (an imported file written by hand) counts as the creation time: never
# as "no due date", which would keep the names for ever.
_DUE = (
    "coalesce(CAST(strftime('%s', nullif(held_on, '')) AS REAL), created_at)"
    " + 86400 * coalesce(retention_days, ?)"
)


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


def _today() -> str:
    """Today's date on this machine, ISO (the meeting's day when none is given)."""
    return time.strftime("%Y-%m-%d")


ADDITION_STATUSES = ("pending", "shown", "hidden", "promoted", "merged")


# How many people recognise themselves in addition ``a`` (taps and raised hands); a merged one's
# count lives with its root.
_ENDORSED = (
    "(SELECT count(*) FROM endorsements e WHERE e.code = a.code AND e.addition = a.id)"
    " + coalesce((SELECT h.count FROM addition_hands h WHERE h.code = a.code AND h.addition = a.id), 0)"
)


def _addition(row) -> dict:
    """An addition as the protocol has it (``row``: id, theme, text, status, merged_into,
    endorsements); a merged one also names the addition it went into."""
    addition = dict(zip(("id", "theme", "text", "status"), row[:4], strict=True))
    if addition["status"] == "merged":
        addition["merged_into"] = row[4]
    addition["endorsements"] = row[5]
    return addition


# The themes of meeting ?1, followed by whether each is full: true when its capacity is taken,
# NULL when it has none. Append nothing for the full ones, " IS NOT 1" for those with room.
_FULL = (
    "SELECT t.id FROM themes t WHERE t.code = ?1 AND t.removed = 0"
    " AND (t.capacity <= (SELECT count(*) FROM choices c WHERE c.code = ?1 AND c.theme = t.id))"
)


def _places(raw: str) -> tuple:
    """A theme's tables, stored as a JSON list."""
    return tuple(json.loads(raw)) if raw else ()


def _place(raw: str, seat: int) -> str | None:
    """The table a chooser was given, or None when the theme has no table."""
    places = _places(raw)
    return places[seat] if 0 <= seat < len(places) else (places[0] if places else None)


def _seated(place: str | None) -> dict:
    """The ack of a choice: it names the table when the theme has one."""
    return {"ok": True, "table": place} if place else {"ok": True}


def _migrate(conn: sqlite3.Connection) -> None:
    pledge_keys = {row[1] for row in conn.execute("PRAGMA table_info(pledges)") if row[5]}
    if "theme" not in pledge_keys:
        # The first version kept one pledge per participant; now it is one per participant and
        # theme. The old table's pages are zeroed as it goes (it holds names and contacts).
        start = SCHEMA.index("CREATE TABLE IF NOT EXISTS pledges")
        conn.execute("PRAGMA secure_delete = ON")
        conn.executescript(
            "BEGIN; ALTER TABLE pledges RENAME TO pledges_v1;"
            + SCHEMA[start : SCHEMA.index("CREATE TABLE IF NOT EXISTS notes")]
            + "INSERT INTO pledges (code, participant, theme, role, name, email, phone, consent_at)"
            " SELECT code, participant, theme, role, name, email, phone, consent_at FROM pledges_v1;"
            " DROP TABLE pledges_v1; COMMIT;"
        )
    # One transaction: each ALTER rewrites the schema's pages, and as many commits would fill the
    # write-ahead log with copies of them.
    conn.execute("BEGIN")
    for table, columns in ADDED_COLUMNS.items():
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for name, decl in columns.items():
            if name not in have:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")
                if (table, name) == ("handled", "at"):  # rows from before count from now
                    conn.execute("UPDATE handled SET at = ?", (time.time(),))
    conn.execute("COMMIT")


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
        # One (deferred) transaction: its pages reach the write-ahead log once, and a store file
        # that has every table takes no write lock at all.
        self._w.executescript(f"BEGIN; {SCHEMA} COMMIT;")
        _migrate(self._w)
        self._r = _connect(self.path)
        self._r_lock = threading.Lock()
        # The columns an import may fill, read once here: the writer's thread must never read
        # through ``_r``, whose lock belongs to the event loop.
        self._cols = {
            table: {row[1] for row in self._w.execute(f"PRAGMA table_info({table})")}
            for table in MEETING_TABLES
        }
        for (code,) in self._w.execute("SELECT code FROM meetings WHERE importing = 1").fetchall():
            log.warning("an import that did not finish is removed")
            self.import_abort(code)
        self._themes: dict[str, list[Theme]] = {}
        self._secret: str | None = None
        self._erased = False
        self.secret()  # made with the store, so a later start needs no write for it

    # -- reads -----------------------------------------------------------------------------

    def _read(self, sql: str, args=()) -> list[tuple]:
        if getattr(WRITING, "active", False):
            # The read lock is the event loop's (a green lock): taken from the writer's thread it
            # kills that thread and every write after it. Fail loudly instead, in tests too.
            raise RuntimeError("the writer's thread read through the event loop's connection")
        with self._r_lock:
            return self._r.execute(sql, args).fetchall()

    def meeting(self, code):
        rows = self._read(
            "SELECT code, title, place, date, phase, version, host_key_hash, projector_key_hash,"
            " created_at, pace, current_theme, results_hidden, hidden_themes, choices_locked,"
            " helper_key_hash, wifi_name, wifi_password, welcome"
            " FROM meetings WHERE code = ? AND importing = 0",
            (code,),
        )
        if not rows:
            return None
        row = rows[0]
        version = row[5]
        cached = self._themes.get(code)
        if cached is None or cached[0] != version:
            # Themes change only with the meeting's version: cached per process until it moves.
            themes, merged = [], {}
            for theme_id, title, description, origin, tables, capacity, removed, into in self._read(
                "SELECT id, title, description, from_addition, tables, capacity, removed, merged_into"
                " FROM themes WHERE code = ? ORDER BY coalesce(position, id), id",
                (code,),
            ):
                if not removed:
                    themes.append(Theme(theme_id, title, description, origin, _places(tables), capacity))
                elif into is not None:
                    merged[theme_id] = into
            cached = self._themes[code] = (version, themes, merged)
        return Meeting(
            *row[:6],
            themes=cached[1],
            host_key_hash=row[6],
            projector_key_hash=row[7],
            created_at=row[8],
            pace=row[9],
            current_theme=row[10],
            results_hidden=bool(row[11]),
            hidden_themes=frozenset(int(t) for t in row[12].split(",") if t),
            choices_locked=bool(row[13]),
            merged=cached[2],
            helper_key_hash=row[14],
            wifi_name=row[15],
            wifi_password=row[16],
            welcome=bool(row[17]),
        )

    def themes(self, code):
        rows = self._read(
            "SELECT id, title, description, from_addition, removed, merged_into FROM themes WHERE code = ?"
            " ORDER BY removed, coalesce(position, id), id",
            (code,),
        )
        keys = ("id", "title", "description", "from_addition", "removed", "merged_into")
        return [{**dict(zip(keys, row, strict=True)), "removed": bool(row[4])} for row in rows]

    def notes(self, code, theme=None):
        sql = "SELECT id, theme, field, text FROM notes WHERE code = ?"
        args = (code,) if theme is None else (code, theme)
        rows = self._read(sql + (" AND theme = ?" if theme is not None else "") + " ORDER BY id", args)
        return [{"id": i, "theme": t, "field": f, "text": text} for i, t, f, text in rows]

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
                for theme, role, n in self._r.execute(
                    "SELECT theme, role, count(*) FROM pledges WHERE code = ? GROUP BY theme, role", (code,)
                ):
                    row(theme)["pledged"] += n
                    row(theme).setdefault("roles", {})[role] = n
                origins = dict.fromkeys(ORIGINS, 0)
                origins.update(
                    self._r.execute(
                        "SELECT origin, count(*) FROM participants WHERE code = ? GROUP BY origin", (code,)
                    ).fetchall()
                )
                participants = sum(origins.values())
                hands = [
                    {"theme": theme, "answer": answer, "count": n}
                    for theme, answer, n in self._r.execute(
                        "SELECT theme, answer, count FROM manual_counts WHERE code = ?", (code,)
                    )
                ]
            finally:
                self._r.execute("COMMIT")
        return {
            "participants": participants,
            "origins": origins,
            "themes": [counts[k] for k in sorted(counts)],
            "hands": hands,
        }

    def answers(self, code, participant):
        votes = self._read(
            "SELECT theme, answer FROM votes WHERE code = ? AND participant = ?", (code, participant)
        )
        choice = self._read(
            "SELECT c.theme, c.seat, t.tables FROM choices c"
            " JOIN themes t ON t.code = c.code AND t.id = c.theme WHERE c.code = ? AND c.participant = ?",
            (code, participant),
        )
        pledges = self._read(
            "SELECT theme, role, name, email, phone, contact_by, share FROM pledges"
            " WHERE code = ? AND participant = ? ORDER BY consent_at",
            (code, participant),
        )
        additions = self._read(
            "SELECT id, theme, text, status FROM additions WHERE code = ? AND participant = ? ORDER BY id",
            (code, participant),
        )
        notes = self._read(
            "SELECT id, theme, field, text FROM notes WHERE code = ? AND participant = ? ORDER BY id",
            (code, participant),
        )
        endorsed = self._read(
            "SELECT addition FROM endorsements WHERE code = ? AND participant = ? ORDER BY addition",
            (code, participant),
        )
        keys = ("theme", "role", "name", "email", "phone", "contact_by", "share")
        mine = {
            "votes": {str(theme): answer for theme, answer in votes},
            "choice": choice[0][0] if choice else None,
            "table": _place(choice[0][2], choice[0][1]) if choice else None,
            "pledges": [{**dict(zip(keys, row, strict=True)), "share": bool(row[6])} for row in pledges],
            "additions": [{"id": i, "theme": t, "text": text, "status": s} for i, t, text, s in additions],
            "notes": [{"id": i, "theme": t, "field": f, "text": text} for i, t, f, text in notes],
            "endorsed": [addition for (addition,) in endorsed],
        }
        # The newest pledge, as the first version's clients expect.
        mine["pledge"] = mine["pledges"][-1] if mine["pledges"] else None
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
                counts = dict.fromkeys(ADDITION_STATUSES, 0)
                counts.update(
                    self._r.execute(
                        "SELECT status, count(*) FROM additions WHERE code = ? GROUP BY status", (code,)
                    ).fetchall()
                )
                ordering = f"{_ENDORSED} DESC, id" if order == "endorsed" else f"id {direction}"
                rows = self._r.execute(
                    f"SELECT id, theme, text, status, merged_into, {_ENDORSED} FROM additions a"
                    f" WHERE {where} ORDER BY {ordering} LIMIT ? OFFSET ?",
                    (*args, -1 if limit is None else limit, offset),
                ).fetchall()
            finally:
                self._r.execute("COMMIT")
        total = counts[status] if status else sum(counts.values())
        return {
            "additions": [_addition(row) for row in rows],
            "total": total,
            "counts": counts,
            "version": version,
        }

    def addition(self, code, addition_id):
        rows = self._read(
            f"SELECT a.id, a.theme, a.text, a.status, a.merged_into, {_ENDORSED}, m.version"
            " FROM additions a JOIN meetings m ON m.code = a.code WHERE a.code = ? AND a.id = ?",
            (code, addition_id),
        )
        if not rows:
            return None
        return {**_addition(rows[0]), "version": rows[0][6]}

    def endorsements(self, code):
        rows = self._read(
            f"SELECT a.id, a.theme, {_ENDORSED} FROM additions a WHERE a.code = ? AND a.status = 'shown'",
            (code,),
        )
        return {addition: (theme, count) for addition, theme, count in rows}

    def pledges(self, code):
        rows = self._read(
            "SELECT p.theme, p.role, p.name, p.email, p.phone, p.consent_at, p.contact_by, p.share,"
            " p.participant, coalesce(a.origin, 'phone') FROM pledges p"
            " LEFT JOIN participants a ON a.id = p.participant"
            " WHERE p.code = ? ORDER BY p.theme, p.participant",
            (code,),
        )
        keys = ("theme", "role", "name", "email", "phone", "consent_at", "contact_by", "share", "participant")
        keys += ("origin",)
        return [{**dict(zip(keys, row, strict=True)), "share": bool(row[7])} for row in rows]

    # -- writes (called by one writer at a time) -------------------------------------------

    def create_meeting(
        self,
        code,
        title,
        place,
        date,
        themes,
        host_key_hash,
        projector_key_hash,
        helper_key_hash="",
        held_on="",
        wifi=None,
    ):
        conn = self._w
        conn.execute("BEGIN IMMEDIATE")
        try:
            if self._code_retired(conn, code):
                self._rollback(conn)
                return False
            conn.execute(
                "INSERT INTO meetings (code, title, place, date, host_key_hash,"
                " projector_key_hash, created_at, helper_key_hash, held_on, wifi_name, wifi_password)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    code,
                    title,
                    place,
                    date,
                    host_key_hash,
                    projector_key_hash,
                    time.time(),
                    helper_key_hash,
                    held_on or _today(),
                    (wifi or {}).get("name", ""),
                    (wifi or {}).get("password", ""),
                ),
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
            self._erased = False
            conn.execute("ROLLBACK")
            raise
        if self._erased:  # a withdrawn pledge: its old page images leave the log too
            self._erased = False
            conn.execute(f"PRAGMA busy_timeout = {ERASE_BUSY_MS}")  # never stall the votes for long
            try:
                self._empty_wal(conn)
            except sqlite3.OperationalError:
                log.warning("write-ahead log not emptied yet; the next erasure finishes it")
            finally:
                conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
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
                return Replayed(json.loads(seen[0]))
        if action.phases:
            row = conn.execute("SELECT phase FROM meetings WHERE code = ?", (code,)).fetchone()
            if row is None:  # deleted since the check: this action fails, not the whole batch
                raise Refused("unknown_meeting")
            if row[0] not in action.phases:
                raise Refused("wrong_phase")
        result = getattr(self, f"_do_{action.kind}")(conn, code, actor, data)
        if action.msg_id:
            conn.execute(
                "INSERT INTO handled (code, actor, msg_id, result, at) VALUES (?, ?, ?, ?, ?)",
                (code, actor, action.msg_id, json.dumps(result), time.time()),
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
        theme = data["theme"]
        locked, raw_tables, capacity = conn.execute(
            "SELECT m.choices_locked, t.tables, t.capacity FROM meetings m JOIN themes t ON t.code = m.code"
            " WHERE m.code = ? AND t.id = ? AND t.removed = 0",
            (code, theme),
        ).fetchone() or (0, None, None)
        if raw_tables is None:
            raise Refused("unknown_theme")  # removed or merged since the check
        if locked:
            raise Refused("choices_locked")
        current = conn.execute(
            "SELECT theme, seat FROM choices WHERE code = ? AND participant = ?", (code, actor)
        ).fetchone()
        if current and current[0] == theme:
            return _seated(_place(raw_tables, current[1]))
        # Counted inside the write: of two phones taking the last seat, exactly one gets it.
        if capacity is not None:
            (taken,) = conn.execute(
                "SELECT count(*) FROM choices WHERE code = ? AND theme = ?", (code, theme)
            ).fetchone()
            if taken >= capacity:
                return {"ok": False, "error": "theme_full", "room": self._themes_with_room(conn, code)}
        seat, places = 0, _places(raw_tables)
        if len(places) > 1:  # spread choosers over the theme's tables: the emptiest one
            seated = dict(
                conn.execute(
                    "SELECT seat, count(*) FROM choices WHERE code = ? AND theme = ? GROUP BY seat",
                    (code, theme),
                ).fetchall()
            )
            seat = min(range(len(places)), key=lambda n: (seated.get(n, 0), n))
        conn.execute(
            "INSERT INTO choices (code, participant, theme, seat) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (code, participant) DO UPDATE SET theme = excluded.theme, seat = excluded.seat",
            (code, actor, theme, seat),
        )
        return _seated(places[seat] if places else None)

    def full_themes(self, code):
        rows = self._read(f"{_FULL} ORDER BY t.id", (code,))
        return [row[0] for row in rows]

    @staticmethod
    def _themes_with_room(conn, code) -> list[int]:
        rows = conn.execute(f"{_FULL} IS NOT 1 ORDER BY coalesce(t.position, t.id), t.id", (code,))
        return [row[0] for row in rows]

    def _do_pledge(self, conn, code, actor, data):
        # One pledge per participant and theme: a pledge for another theme never replaces this one.
        conn.execute(
            "INSERT INTO pledges (code, participant, theme, role, name, email, phone, consent_at,"
            " contact_by, share) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (code, participant, theme) DO UPDATE SET"
            " role = excluded.role, name = excluded.name, email = excluded.email, phone = excluded.phone,"
            " consent_at = excluded.consent_at, contact_by = excluded.contact_by, share = excluded.share",
            (
                code,
                actor,
                data["theme"],
                data["role"],
                data["name"],
                data["email"],
                data["phone"],
                time.time(),
                data.get("contact_by", ""),
                int(data.get("share", False)),
            ),
        )
        return {"ok": True}

    def _do_withdraw(self, conn, code, actor, data):
        # secure_delete (on for every connection) zeroes the row's bytes in the database file; the
        # write-ahead log is emptied after the commit (see apply).
        cur = conn.execute(
            "DELETE FROM pledges WHERE code = ? AND participant = ? AND theme = ?",
            (code, actor, data["theme"]),
        )
        if cur.rowcount:
            self._erased = True
        return {"ok": True, "withdrawn": bool(cur.rowcount)}

    def _do_note(self, conn, code, actor, data):
        (note_id,) = conn.execute(
            "INSERT INTO notes (code, theme, field, participant, text, created_at) VALUES (?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            (code, data["theme"], data["field"], actor, data["text"], time.time()),
        ).fetchone()
        return {"ok": True, "note": note_id}

    def _own_note(self, conn, code, actor, note_id) -> tuple:
        """The note's theme and field, if this actor may change it: its writer, or the host."""
        row = conn.execute(
            "SELECT theme, field, participant FROM notes WHERE code = ? AND id = ?", (code, note_id)
        ).fetchone()
        if row is None:
            raise Refused("unknown_note")
        if actor not in (HOST_ACTOR, row[2]):
            raise Refused("not_yours")
        return row[0], row[1]

    def _do_edit_note(self, conn, code, actor, data):
        theme, field_name = self._own_note(conn, code, actor, data["note"])
        conn.execute(
            "UPDATE notes SET text = ? WHERE code = ? AND id = ?", (data["text"], code, data["note"])
        )
        return {"ok": True, "theme": theme, "field": field_name}

    def _do_remove_note(self, conn, code, actor, data):
        theme, field_name = self._own_note(conn, code, actor, data["note"])
        conn.execute("DELETE FROM notes WHERE code = ? AND id = ?", (code, data["note"]))
        return {"ok": True, "theme": theme, "field": field_name}

    def _do_lock_choices(self, conn, code, actor, data):
        conn.execute("UPDATE meetings SET choices_locked = ? WHERE code = ?", (int(data["locked"]), code))
        self._bump(conn, code)
        return {"ok": True}

    def _do_merge_themes(self, conn, code, actor, data):
        theme, into = data["theme"], data["into"]
        (alive,) = conn.execute(
            "SELECT count(*) FROM themes WHERE code = ? AND id IN (?, ?) AND removed = 0", (code, theme, into)
        ).fetchone()
        if alive != 2:
            raise Refused("unknown_theme")
        moved = conn.execute(
            "UPDATE choices SET theme = ?, seat = 0 WHERE code = ? AND theme = ?", (into, code, theme)
        ).rowcount
        # A pledge moves along unless its person already pledged for the other theme; then it
        # stays with the merged theme, which stays in the exports.
        conn.execute(
            "UPDATE OR IGNORE pledges SET theme = ? WHERE code = ? AND theme = ?", (into, code, theme)
        )
        conn.execute("UPDATE notes SET theme = ? WHERE code = ? AND theme = ?", (into, code, theme))
        conn.execute(
            "UPDATE themes SET removed = 1, merged_into = ? WHERE code = ? AND id = ?", (into, code, theme)
        )
        conn.execute(
            "UPDATE meetings SET pace = 'all', current_theme = NULL WHERE code = ? AND current_theme = ?",
            (code, theme),
        )
        self._bump(conn, code)
        return {"ok": True, "moved": moved}

    def _do_addition(self, conn, code, actor, data):
        (addition_id,) = conn.execute(
            "INSERT INTO additions (code, participant, theme, text, created_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (code, actor, data["theme"], data["text"], time.time()),
        ).fetchone()
        self._bump(conn, code)
        return {"ok": True, "addition": addition_id}

    def _do_set_wifi(self, conn, code, actor, data):
        conn.execute(
            "UPDATE meetings SET wifi_name = ?, wifi_password = ? WHERE code = ?",
            (data["name"], data["password"], code),
        )
        self._bump(conn, code)
        return {"ok": True}

    def _do_show_welcome(self, conn, code, actor, data):
        conn.execute("UPDATE meetings SET welcome = ? WHERE code = ?", (int(data["show"]), code))
        self._bump(conn, code)
        return {"ok": True}

    def _do_set_phase(self, conn, code, actor, data):
        # Another part of the evening ends a welcome the host brought back: the board shows again.
        (version,) = conn.execute(
            "UPDATE meetings SET phase = ?, welcome = 0, version = version + 1"
            " WHERE code = ? RETURNING version",
            (data["phase"], code),
        ).fetchone()
        return {"ok": True, "phase": data["phase"], "version": version}

    def _do_moderate(self, conn, code, actor, data):
        cur = conn.execute(
            # Showing or hiding a merged addition takes it out of the group again.
            "UPDATE additions SET status = ?, merged_into = NULL WHERE code = ? AND id = ?",
            ("shown" if data["show"] else "hidden", code, data["addition"]),
        )
        if cur.rowcount != 1:
            raise Refused("unknown_addition")
        self._bump(conn, code)
        return {"ok": True}

    @staticmethod
    def _endorsed(conn, code, addition) -> int:
        (count,) = conn.execute(
            f"SELECT {_ENDORSED} FROM additions a WHERE a.code = ? AND a.id = ?", (code, addition)
        ).fetchone()
        return count

    def _shown_root(self, conn, code, addition) -> int:
        """The addition that counts for ``addition`` (its group's root), if the beamer shows it."""
        row = conn.execute(
            "SELECT status, merged_into FROM additions WHERE code = ? AND id = ?", (code, addition)
        ).fetchone()
        if row is None:
            raise Refused("unknown_addition")
        root, status = addition, row[0]
        if status == "merged" and row[1] is not None:
            root = row[1]
            found = conn.execute(
                "SELECT status FROM additions WHERE code = ? AND id = ?", (code, root)
            ).fetchone()
            status = found[0] if found else "hidden"
        if status != "shown":
            raise Refused("not_shown")
        return root

    def _do_endorse(self, conn, code, actor, data):
        root = self._shown_root(conn, code, data["addition"])
        if data["on"]:
            conn.execute("INSERT OR IGNORE INTO endorsements VALUES (?, ?, ?)", (code, root, actor))
        else:
            conn.execute(
                "DELETE FROM endorsements WHERE code = ? AND addition = ? AND participant = ?",
                (code, root, actor),
            )
        return {"ok": True, "endorsements": self._endorsed(conn, code, root)}

    def _do_addition_hands(self, conn, code, actor, data):
        root = self._shown_root(conn, code, data["addition"])
        conn.execute(
            "INSERT INTO addition_hands VALUES (?, ?, ?)"
            " ON CONFLICT (code, addition) DO UPDATE SET count = excluded.count",
            (code, root, data["count"]),
        )
        return {"ok": True, "endorsements": self._endorsed(conn, code, root)}

    def _do_merge_addition(self, conn, code, actor, data):
        addition, into = data["addition"], data["into"]
        found = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT id, status, merged_into FROM additions WHERE code = ? AND id IN (?, ?)",
                (code, addition, into),
            )
        }
        if len(found) != 2:
            raise Refused("unknown_addition")
        (status, merged_into), (into_status, into_root) = found[addition], found[into]
        # Merged additions always point at one that is not merged: never a chain.
        root = into_root if into_status == "merged" else into
        if root == addition:
            raise Refused("bad_merge")
        if status == "merged":
            if merged_into == root:  # a second host did the same: the same outcome, the same ack
                return {"ok": True, "into": root, "moved": []}
            raise Refused("already_merged")
        if status == "promoted":
            raise Refused("already_promoted")
        # What was merged into this addition goes along to the root, so no chain forms.
        moved = [
            row[0]
            for row in conn.execute(
                "UPDATE additions SET merged_into = ?"
                " WHERE code = ? AND merged_into = ? AND status = 'merged' RETURNING id",
                (root, code, addition),
            )
        ]
        conn.execute(
            "UPDATE additions SET status = 'merged', merged_into = ? WHERE code = ? AND id = ?",
            (root, code, addition),
        )
        # Who recognised themselves in it now counts for the root (once, if they tapped both);
        # raised hands add up.
        conn.execute(
            "INSERT OR IGNORE INTO endorsements SELECT code, ?, participant FROM endorsements"
            " WHERE code = ? AND addition = ?",
            (root, code, addition),
        )
        conn.execute("DELETE FROM endorsements WHERE code = ? AND addition = ?", (code, addition))
        hands = conn.execute(
            "DELETE FROM addition_hands WHERE code = ? AND addition = ? RETURNING count", (code, addition)
        ).fetchone()
        if hands:
            conn.execute(
                "INSERT INTO addition_hands VALUES (?, ?, ?)"
                " ON CONFLICT (code, addition) DO UPDATE SET count = count + excluded.count",
                (code, root, hands[0]),
            )
        self._bump(conn, code)
        return {"ok": True, "into": root, "moved": sorted(moved)}

    # -- the host shapes the evening (each bumps the version: every screen redraws) -----------

    def _do_add_theme(self, conn, code, actor, data):
        (count,) = conn.execute(
            "SELECT count(*) FROM themes WHERE code = ? AND removed = 0", (code,)
        ).fetchone()
        if count >= MAX_THEMES:
            raise Refused("too_many_themes")
        addition = data["addition"]
        if addition is not None:
            found = conn.execute(
                "SELECT status FROM additions WHERE code = ? AND id = ?", (code, addition)
            ).fetchone()
            if not found:
                raise Refused("unknown_addition")
            if found[0] == "merged":  # another host merged it first: it is part of another now
                raise Refused("already_merged")
            made = conn.execute(
                "SELECT id FROM themes WHERE code = ? AND from_addition = ? AND removed = 0", (code, addition)
            ).fetchone()
            if made:  # a second host promoting the same addition: one theme, the same answer
                return {"ok": True, "theme": made[0]}
        (theme_id, position) = conn.execute(
            "SELECT coalesce(max(id), 0) + 1, coalesce(max(coalesce(position, id)), 0) + 1"
            " FROM themes WHERE code = ?",
            (code,),
        ).fetchone()
        conn.execute(
            "INSERT INTO themes (code, id, title, description, position, from_addition)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (code, theme_id, data["title"], data["description"], position, addition),
        )
        if addition is not None:
            conn.execute(
                "UPDATE additions SET status = 'promoted' WHERE code = ? AND id = ?", (code, addition)
            )
        self._bump(conn, code)
        return {"ok": True, "theme": theme_id}

    def _do_edit_theme(self, conn, code, actor, data):
        tables = json.dumps(list(data["tables"])) if "tables" in data else None
        cur = conn.execute(
            "UPDATE themes SET title = coalesce(?, title), description = coalesce(?, description),"
            " tables = coalesce(?, tables), capacity = CASE WHEN ? THEN ? ELSE capacity END"
            " WHERE code = ? AND id = ? AND removed = 0",
            (
                data.get("title"),
                data.get("description"),
                tables,
                "capacity" in data,
                data.get("capacity"),
                code,
                data["theme"],
            ),
        )
        if cur.rowcount != 1:
            raise Refused("unknown_theme")
        self._bump(conn, code)
        return {"ok": True}

    def _do_remove_theme(self, conn, code, actor, data):
        theme = data["theme"]
        if not data["confirm"]:
            (answers,) = conn.execute(
                "SELECT (SELECT count(*) FROM votes WHERE code = ?1 AND theme = ?2)"
                " + (SELECT count(*) FROM choices WHERE code = ?1 AND theme = ?2)"
                " + (SELECT count(*) FROM pledges WHERE code = ?1 AND theme = ?2)"
                " + (SELECT count(*) FROM additions WHERE code = ?1 AND theme = ?2)"
                " + (SELECT coalesce(sum(count), 0) FROM manual_counts WHERE code = ?1 AND theme = ?2)",
                (code, theme),
            ).fetchone()
            if answers:
                # Nothing is written: the host is asked first, and sends again with confirm.
                return {"ok": False, "error": "confirm_needed", "answers": answers}
        (left,) = conn.execute(
            "SELECT count(*) FROM themes WHERE code = ? AND removed = 0 AND id != ?", (code, theme)
        ).fetchone()
        if not left:
            raise Refused("last_theme")
        # Kept in the store, and so in the exports; only taken off the screens.
        cur = conn.execute(
            "UPDATE themes SET removed = 1 WHERE code = ? AND id = ? AND removed = 0", (code, theme)
        )
        if cur.rowcount != 1:
            raise Refused("unknown_theme")
        conn.execute(
            "UPDATE meetings SET pace = 'all', current_theme = NULL WHERE code = ? AND current_theme = ?",
            (code, theme),
        )
        self._bump(conn, code)
        return {"ok": True}

    def _do_order_themes(self, conn, code, actor, data):
        active = {
            row[0] for row in conn.execute("SELECT id FROM themes WHERE code = ? AND removed = 0", (code,))
        }
        if sorted(active) != sorted(data["order"]):  # a theme came or went since the host looked
            raise Refused("bad_order")
        conn.executemany(
            "UPDATE themes SET position = ? WHERE code = ? AND id = ?",
            [(position, code, theme) for position, theme in enumerate(data["order"], start=1)],
        )
        self._bump(conn, code)
        return {"ok": True}

    def _do_set_pace(self, conn, code, actor, data):
        conn.execute(
            "UPDATE meetings SET pace = ?, current_theme = ? WHERE code = ?",
            (data["pace"], data["theme"], code),
        )
        self._bump(conn, code)
        return {"ok": True}

    def _do_set_results(self, conn, code, actor, data):
        if data["theme"] is None:  # all at once: one press hides or reveals everything
            conn.execute(
                "UPDATE meetings SET results_hidden = ?, hidden_themes = '' WHERE code = ?",
                (int(data["hidden"]), code),
            )
        else:
            (current, all_hidden) = conn.execute(
                "SELECT hidden_themes, results_hidden FROM meetings WHERE code = ?", (code,)
            ).fetchone()
            hidden = {int(t) for t in current.split(",") if t}
            if all_hidden and not data["hidden"]:
                # Revealing one theme while all are hidden: every other theme (and the whole)
                # stays hidden one by one, so this one can be shown.
                rows = conn.execute("SELECT id FROM themes WHERE code = ? AND removed = 0", (code,))
                hidden = {0} | {t for (t,) in rows}
                conn.execute("UPDATE meetings SET results_hidden = 0 WHERE code = ?", (code,))
            (hidden.add if data["hidden"] else hidden.discard)(data["theme"])
            conn.execute(
                "UPDATE meetings SET hidden_themes = ? WHERE code = ?",
                (",".join(str(t) for t in sorted(hidden)), code),
            )
        self._bump(conn, code)
        return {"ok": True}

    def _do_manual_count(self, conn, code, actor, data):
        conn.execute(
            "INSERT INTO manual_counts (code, theme, answer, count) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (code, theme, answer) DO UPDATE SET count = excluded.count",
            (code, data["theme"], data["answer"], data["count"]),
        )
        return {"ok": True}

    def _do_submit_form(self, conn, code, actor, data):
        # One paper form (or one person helped on a shared device) is a participant of its own,
        # written with all its answers in this one transaction: all of it counts, or none.
        (participant,) = conn.execute(
            "INSERT INTO participants (code, token_hash, created_at, origin) VALUES (?, ?, ?, ?)"
            " RETURNING id",
            (code, data["token_hash"], time.time(), data["origin"]),
        ).fetchone()
        conn.executemany(
            "INSERT INTO votes (code, participant, theme, answer) VALUES (?, ?, ?, ?)",
            [(code, participant, theme, answer) for theme, answer in data["votes"].items()],
        )
        additions = [
            self._do_addition(conn, code, participant, item)["addition"] for item in data["additions"]
        ]
        if data["choice"] is not None:
            # A form is typed in after the fact: the person already sat down at that table, so
            # neither a closed choice nor a full theme refuses it (the seat is the emptiest table).
            places = conn.execute(
                "SELECT tables FROM themes WHERE code = ? AND id = ? AND removed = 0", (code, data["choice"])
            ).fetchone()
            if places is None:
                raise Refused("unknown_theme")
            seated = dict(
                conn.execute(
                    "SELECT seat, count(*) FROM choices WHERE code = ? AND theme = ? GROUP BY seat",
                    (code, data["choice"]),
                ).fetchall()
            )
            seat = min(range(max(1, len(_places(places[0])))), key=lambda n: (seated.get(n, 0), n))
            conn.execute(
                "INSERT INTO choices (code, participant, theme, seat) VALUES (?, ?, ?, ?)",
                (code, participant, data["choice"], seat),
            )
        for pledge in data["pledges"]:
            self._do_pledge(conn, code, participant, pledge)
        for addition in data.get("endorse", ()):
            self._do_endorse(conn, code, participant, {"addition": addition, "on": True})
        return {"ok": True, "participant": participant, "additions": additions}

    @staticmethod
    def _bump(conn, code):
        conn.execute("UPDATE meetings SET version = version + 1 WHERE code = ?", (code,))

    def purge_contacts(self, created_before):
        return self._erase("created_at < ?", (created_before,))

    def erase_due(self, now, default_days):
        return self._erase(f"{_DUE} <= ?", (default_days, now))

    def _erase(self, which: str, args: tuple) -> int:
        """Blank names, contacts, addition texts and card notes of the meetings ``which`` selects
        (a condition on the meetings table), then empty the write-ahead log."""
        conn = self._w
        conn.execute(f"PRAGMA busy_timeout = {ERASE_BUSY_MS}")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                old = f"SELECT code FROM meetings WHERE {which}"
                erased = conn.execute(
                    "UPDATE pledges SET name = '', email = '', phone = ''"
                    f" WHERE (name != '' OR email != '' OR phone != '') AND code IN ({old})",
                    args,
                ).rowcount
                erased += conn.execute(
                    f"UPDATE additions SET text = '' WHERE text != '' AND code IN ({old})", args
                ).rowcount
                # Card notes too: "Wie neemt het voortouw?" is answered with names.
                erased += conn.execute(
                    f"UPDATE notes SET text = '' WHERE text != '' AND code IN ({old})", args
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

    def prune_handled(self, before):
        cur = self._w.execute("DELETE FROM handled WHERE at < ?", (before,))
        return cur.rowcount

    # -- the hand-off: the meeting's day, follow-ups, export, import, delete ------------------

    def meeting_record(self, code):
        rows = self._read(
            "SELECT code, title, place, date, held_on, retention_days, created_at, phase"
            " FROM meetings WHERE code = ? AND importing = 0",
            (code,),
        )
        keys = ("code", "title", "place", "date", "held_on", "retention_days", "created_at", "phase")
        return dict(zip(keys, rows[0], strict=True)) if rows else None

    def set_meeting_dates(self, code, held_on, retention_days):
        cur = self._w.execute(
            "UPDATE meetings SET held_on = ?, retention_days = ? WHERE code = ?",
            (held_on, retention_days, code),
        )
        return cur.rowcount == 1

    def set_follow_up(self, code, theme, follow_up):
        cur = self._w.execute(
            "UPDATE themes SET follow_up = ? WHERE code = ? AND id = ?",
            (json.dumps(follow_up) if follow_up else "", code, theme),
        )
        return cur.rowcount == 1

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

    @staticmethod
    def _code_retired(conn, code) -> bool:
        return conn.execute("SELECT 1 FROM deleted_codes WHERE code = ?", (code,)).fetchone() is not None

    def deleted(self, code):
        return bool(self._read("SELECT 1 FROM deleted_codes WHERE code = ?", (code,)))

    def import_begin(self, code, meeting, host_key_hash, projector_key_hash, helper_key_hash):
        conn = self._w
        conn.execute("BEGIN IMMEDIATE")
        try:
            taken = conn.execute("SELECT 1 FROM meetings WHERE code = ?", (code,)).fetchone()
            if taken or self._code_retired(conn, code):
                self._rollback(conn)
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
            self._rollback(conn)
            raise

    def _import_failed(self, conn, exc: BaseException):
        """Roll back one import step and raise what the caller expects (``docs``: the contract)."""
        self._rollback(conn)
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
                self._rollback(conn)
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

    def close(self):
        self._w.close()
        self._r.close()
