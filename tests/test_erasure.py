"""Erasure erases: after the retention time no name, contact detail or addition text is left in
any file of the data folder, a failed run is tried again, and the files are private.

These are the SQLite store's own tests (its files, its write-ahead log, their modes), so they build
``SQLiteStore`` themselves; what every store must erase is in test_store_contract.py."""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import stat
import time
from pathlib import Path

import pytest
from conftest import Client, Server

from live.domain import Theme
from live.store import Action
from live.store.sqlite import SQLiteStore


class Markers:
    """A unique name, e-mail address, phone number and addition text, and how to find them."""

    def __init__(self):
        tag = secrets.token_hex(6)
        digits = f"{secrets.randbelow(10**6):06d}"
        self.name = f"Naam{tag}"
        self.old_name = f"Oud{tag}"
        self.email = f"mail{tag}@example.nl"
        self.phone = f"0612{digits}"
        self.addition = f"Bel Piet{tag} op 0612{digits}"
        # As stored: the phone number in E.164, the e-mail address as typed.
        self.needles = [
            self.name.encode(),
            self.old_name.encode(),
            f"mail{tag}".encode(),
            f"612{digits}".encode(),
            f"Piet{tag}".encode(),
        ]

    def found_in(self, folder: Path) -> dict[str, list[bytes]]:
        """Per file in the folder (read as bytes), the markers that are still in it."""
        hits = {}
        for path in sorted(folder.iterdir()):
            if path.is_file():
                data = path.read_bytes()
                found = [n for n in self.needles if n in data]
                if found:
                    hits[path.name] = found
        return hits


def fill_store(store: SQLiteStore, markers: Markers, code: str = "K7HQA") -> None:
    """A meeting with a pledge (its name edited once) and an addition holding the markers."""
    assert store.create_meeting(code, "Dorpsavond", "", "", [Theme(1, "Groen", "")], "h", "p")
    phone = store.join(code, "token-" + code)
    pledge = {"theme": 1, "role": "lead", "email": markers.email, "phone": "+31" + markers.phone[1:]}
    store.apply(
        [
            Action("pledge", code, phone, "m1", {**pledge, "name": markers.old_name}),
            Action("addition", code, phone, "m2", {"theme": 1, "text": markers.addition}),
        ]
    )
    # An edit frees the old row: its bytes must not stay behind either.
    store.apply([Action("pledge", code, phone, "m3", {**pledge, "name": markers.name})])


def mode(path: Path) -> int:
    """The permission bits of a file or folder."""
    return stat.S_IMODE(path.stat().st_mode)


def test_erasing_leaves_no_name_contact_or_addition_in_any_file_of_the_store(tmp_path):
    markers = Markers()
    store = SQLiteStore(str(tmp_path))
    fill_store(store, markers)
    assert markers.found_in(tmp_path), "the markers should be on disk before the erasure"

    assert store.purge_contacts(time.time() + 1) == 2  # one pledge, one addition

    assert markers.found_in(tmp_path) == {}
    assert store.pledges("K7HQA")[0]["name"] == "" and store.additions("K7HQA")[0]["text"] == ""
    store.close()
    assert markers.found_in(tmp_path) == {}


def test_a_reader_that_holds_the_log_fails_the_run_and_the_next_run_empties_the_log(tmp_path):
    markers = Markers()
    store = SQLiteStore(str(tmp_path))
    fill_store(store, markers)
    # Another process reads an old snapshot: the log cannot be emptied under it.
    reader = sqlite3.connect(tmp_path / "live.sqlite3", isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM pledges").fetchone()

    with pytest.raises(sqlite3.OperationalError):
        store.purge_contacts(time.time() + 1)
    assert "live.sqlite3-wal" in markers.found_in(tmp_path)

    reader.execute("COMMIT")
    reader.close()
    assert store.purge_contacts(time.time() + 1) == 0  # erased already; now the log is emptied
    assert markers.found_in(tmp_path) == {}
    store.close()


def test_erasure_keeps_meetings_younger_than_the_retention_time(tmp_path):
    old, young = Markers(), Markers()
    store = SQLiteStore(str(tmp_path))
    fill_store(store, old, "K7HQA")
    time.sleep(0.01)
    cutoff = time.time()
    time.sleep(0.01)
    fill_store(store, young, "M3RTX")

    store.purge_contacts(cutoff)

    assert old.found_in(tmp_path) == {}
    assert store.pledges("M3RTX")[0]["name"] == young.name
    assert store.additions("M3RTX")[0]["text"] == young.addition
    store.close()


def test_the_running_server_erases_at_start_and_leaves_nothing_in_its_files(tmp_path):
    data = tmp_path / "data"
    markers = Markers()
    env = {"RETENTION_DAYS": "0"}
    server = Server(data, env).start()
    made = []
    try:
        meeting = server.create_meeting()
        host = Client(server.url, meeting["code"], "host", meeting["host_key"])
        phone = Client(server.url, meeting["code"], "phone")
        made += [host, phone]
        assert host.call("set_phase", phase="recognition")["ok"]
        assert phone.call("addition", theme=1, text=markers.addition)["ok"]
        assert host.call("set_phase", phase="pledges")["ok"]
        pledge = {"theme": 1, "role": "lead", "email": markers.email, "phone": markers.phone}
        assert phone.call("pledge", **pledge, name=markers.old_name, consent=True) == {"ok": True}
        assert phone.call("pledge", **pledge, name=markers.name, consent=True) == {"ok": True}
    finally:
        for client in made:
            client.close()
    server.stop()
    assert markers.found_in(data), "the markers should be on disk before the erasure"

    # RETENTION_DAYS=0: the run at start erases everything made before it.
    again = Server(data, env).start()
    try:
        deadline = time.monotonic() + 10
        while "erased personal data: 2 rows" not in again.log():
            assert time.monotonic() < deadline, again.log()[-2000:]
            time.sleep(0.05)
        assert markers.found_in(data) == {}
        assert mode(data) == 0o700
        assert {p.name: mode(p) for p in data.glob("live.sqlite3*")} == {
            "live.sqlite3": 0o600,
            "live.sqlite3-wal": 0o600,
            "live.sqlite3-shm": 0o600,
        }
    finally:
        again.stop()
    assert markers.found_in(data) == {}


def test_a_failed_erasure_is_logged_and_the_next_run_erases(tmp_path, caplog):
    from live.app import create_app

    markers = Markers()
    store = SQLiteStore(str(tmp_path))
    fill_store(store, markers)
    store.close()
    # Someone else holds the database when the server starts: the first run cannot write.
    blocker = sqlite3.connect(tmp_path / "live.sqlite3", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    caplog.set_level(logging.INFO, logger="live.service")
    app = create_app({"DATA_DIR": str(tmp_path), "TESTING": True, "RETENTION_DAYS": 0, "PURGE_INTERVAL": 0.3})
    live = app.extensions["live"]

    deadline = time.monotonic() + 10
    while "erasing personal data failed" not in caplog.text:
        assert time.monotonic() < deadline, "the failed run was not logged"
        time.sleep(0.05)
    blocker.execute("ROLLBACK")
    blocker.close()

    while "erased personal data: 2 rows" not in caplog.text:
        assert time.monotonic() < deadline, "no later run erased the data"
        time.sleep(0.05)
    assert live.store.pledges("K7HQA")[0]["name"] == ""
    assert markers.found_in(tmp_path) == {}
    assert not any(n.decode() in caplog.text for n in markers.needles)


def test_the_data_folder_and_every_store_file_are_private_to_the_server_user(tmp_path):
    # A folder and files from an earlier version, made with the usual umask 022.
    data = tmp_path / "instance"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    old = sqlite3.connect(data / "live.sqlite3")
    old.execute("PRAGMA journal_mode=WAL")
    old.execute("CREATE TABLE t (x)")
    old.close()
    os.chmod(data / "live.sqlite3", 0o644)

    store = SQLiteStore(str(data))
    fill_store(store, Markers())  # the -wal and -shm files are made after the store opened

    assert mode(data) == 0o700
    files = {p.name: mode(p) for p in data.iterdir()}
    assert files == {"live.sqlite3": 0o600, "live.sqlite3-wal": 0o600, "live.sqlite3-shm": 0o600}
    store.close()

    fresh = tmp_path / "new" / "instance"
    store = SQLiteStore(str(fresh))
    fill_store(store, Markers())
    assert mode(fresh) == 0o700
    assert {mode(p) for p in fresh.iterdir()} == {0o600}
    store.close()
