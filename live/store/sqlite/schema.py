"""The SQLite file: its schema, the columns added since the first version, opening it privately.

Owns the table definitions and their migrations and how a connection is set up (WAL,
synchronous=FULL, secure_delete). It holds no rule of the method and no query of a meeting.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time

log = logging.getLogger("live.store.sqlite")

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
    welcome INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL DEFAULT 1
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
-- A terugkombijeenkomst (step 5): one row per working group (a theme), its key's hash, its plan
-- (JSON), the host's call list (status, day of the last call, a note) and what it brought from
-- its evening (JSON: card, members who share, counts of the others); and the agreements.
CREATE TABLE IF NOT EXISTS groups (
    code TEXT NOT NULL,
    theme INTEGER NOT NULL,
    key_hash TEXT NOT NULL DEFAULT '',
    plan TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'loopt',
    called_on TEXT NOT NULL DEFAULT '',
    host_note TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (code, theme)
);
CREATE INDEX IF NOT EXISTS groups_by_key ON groups (code, key_hash);
CREATE TABLE IF NOT EXISTS agreements (
    code TEXT NOT NULL,
    id INTEGER NOT NULL,
    text TEXT NOT NULL,
    themes TEXT NOT NULL DEFAULT '',
    who TEXT NOT NULL DEFAULT '',
    due TEXT NOT NULL DEFAULT '',
    removed INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (code, id)
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
        # A number that only grows, bumped by every commit that changes what the meeting's tally,
        # additions counts or endorsements show: coalesced messages carry it, clients order by it.
        "seq": "INTEGER NOT NULL DEFAULT 1",
        # "avond" or "terugkom" (step 5), and the group presenting in a terugkombijeenkomst.
        "kind": "TEXT NOT NULL DEFAULT 'avond'",
        "presenting": "INTEGER",
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
    "additions": {
        "merged_into": "INTEGER",
        # A terugkombijeenkomst's "top" or "question"; "" for an evening's addition.
        "kind": "TEXT NOT NULL DEFAULT ''",
    },
}


# The tables of one meeting, in an order an import can insert them in (and delete them in reverse).
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
    "groups",
    "agreements",
)


def places(raw: str) -> tuple:
    """A theme's tables, stored as a JSON list."""
    return tuple(json.loads(raw)) if raw else ()


def rollback(conn: sqlite3.Connection) -> None:
    """End a failed transaction, so the connection is usable for the next write."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def code_retired(conn: sqlite3.Connection, code: str) -> bool:
    """Whether a meeting with this code was deleted (its code is never given out again)."""
    return conn.execute("SELECT 1 FROM deleted_codes WHERE code = ?", (code,)).fetchone() is not None


def migrate(conn: sqlite3.Connection) -> None:
    """Bring a store file made by an earlier version up to this schema."""
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


def connect(path: str) -> sqlite3.Connection:
    """A connection with the settings every connection to the file needs."""
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


def make_private(data_dir: str, path: str) -> None:
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
