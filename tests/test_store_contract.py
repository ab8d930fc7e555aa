"""The store contract. Every store implementation is listed in STORES and must pass all of it."""

from __future__ import annotations

import threading

import pytest

from live.domain import Theme, hash_secret
from live.store import HOST_ACTOR, Action
from live.store.sqlite import SQLiteStore
from live.writer import Writer


def sqlite_store(tmp_path):
    return SQLiteStore(str(tmp_path))


STORES = [pytest.param(sqlite_store, id="sqlite")]


@pytest.fixture(params=STORES)
def store(request, tmp_path):
    """A fresh, empty store of each kind."""
    s = request.param(tmp_path)
    yield s
    s.close()


@pytest.fixture
def code(store):
    """A meeting with two themes, in the recognition phase."""
    themes = [Theme(1, "Groen", "bomen"), Theme(2, "Verkeer")]
    assert store.create_meeting("ACDEF", "Avond", "Dorpshuis", "", themes, "h", "p")
    store.apply([Action("set_phase", "ACDEF", HOST_ACTOR, "p1", {"phase": "recognition"})])
    return "ACDEF"


def vote(pid, theme, answer, msg):
    return Action("vote", "ACDEF", pid, msg, {"theme": theme, "answer": answer})


def test_a_meeting_reads_back_with_its_themes(store, code):
    meeting = store.meeting(code)
    assert meeting.title == "Avond" and meeting.place == "Dorpshuis"
    assert meeting.phase == "recognition" and meeting.version == 2
    assert [t.title for t in meeting.themes] == ["Groen", "Verkeer"]
    assert meeting.host_key_hash == "h"
    assert store.meeting("NOPE") is None


def test_a_taken_code_is_refused_so_the_caller_can_pick_another(store, code):
    assert store.create_meeting(code, "Ander", "", "", [Theme(1, "x")], "h2", "p2") is False
    assert store.meeting(code).title == "Avond"


def test_the_same_token_is_the_same_participant(store, code):
    a = store.join(code, hash_secret("token-a"))
    assert store.join(code, hash_secret("token-a")) == a
    assert store.join(code, hash_secret("token-b")) != a
    assert store.participant(code, hash_secret("token-a")) == a
    assert store.participant(code, hash_secret("token-c")) is None
    assert store.tally(code)["participants"] == 2


def test_a_second_vote_replaces_the_first(store, code):
    pid = store.join(code, "t")
    store.apply([vote(pid, 1, "yes", "a")])
    store.apply([vote(pid, 1, "no", "b")])
    rows = {r["theme"]: r for r in store.tally(code)["themes"]}
    assert (rows[1]["yes"], rows[1]["no"]) == (0, 1)
    assert store.answers(code, pid)["votes"] == {"1": "no"}


def test_a_repeated_message_id_acts_once_and_gets_the_first_ack_again(store, code):
    pid = store.join(code, "t")
    first = store.apply([vote(pid, 1, "yes", "same")])
    again = store.apply([vote(pid, 1, "no", "same")])
    assert first == again == [{"ok": True}]
    assert store.answers(code, pid)["votes"] == {"1": "yes"}
    assert store.seen(code, pid, "same") == {"ok": True}
    assert store.seen(code, pid, "other") is None


def test_message_ids_are_per_participant(store, code):
    a, b = store.join(code, "a"), store.join(code, "b")
    store.apply([vote(a, 1, "yes", "m1"), vote(b, 1, "yes", "m1")])
    assert {r["theme"]: r for r in store.tally(code)["themes"]}[1]["yes"] == 2


def test_one_failing_action_does_not_undo_the_others_in_its_batch(store, code):
    pid = store.join(code, "t")
    results = store.apply(
        [
            vote(pid, 1, "yes", "a"),
            Action("moderate", code, HOST_ACTOR, "m", {"addition": 999, "show": True}),
            vote(pid, 2, "partly", "b"),
        ]
    )
    assert results == [{"ok": True}, {"ok": False, "error": "unknown_addition"}, {"ok": True}]
    assert store.answers(code, pid)["votes"] == {"1": "yes", "2": "partly"}
    assert store.seen(code, HOST_ACTOR, "m") is None


def test_one_choice_per_participant_changeable(store, code):
    pid = store.join(code, "t")
    store.apply([Action("choose", code, pid, "a", {"theme": 1})])
    store.apply([Action("choose", code, pid, "b", {"theme": 2})])
    rows = {r["theme"]: r for r in store.tally(code)["themes"]}
    assert rows.get(1, {}).get("chosen", 0) == 0 and rows[2]["chosen"] == 1
    assert store.answers(code, pid)["choice"] == 2


def test_a_pledge_is_kept_with_its_contact_details_and_can_be_corrected(store, code):
    pid = store.join(code, "t")
    data = {"theme": 1, "role": "lead", "name": "Anna", "email": "a@example.nl", "phone": ""}
    store.apply([Action("pledge", code, pid, "a", data)])
    store.apply([Action("pledge", code, pid, "b", {**data, "name": "Anna B"})])
    (row,) = store.pledges(code)
    assert (row["name"], row["role"], row["email"]) == ("Anna B", "lead", "a@example.nl")
    assert {r["theme"]: r for r in store.tally(code)["themes"]}[1]["pledged"] == 1


def test_additions_wait_until_the_host_shows_them(store, code):
    pid = store.join(code, "t")
    (ack,) = store.apply([Action("addition", code, pid, "a", {"theme": 2, "text": "<b>x</b>"})])
    assert ack["ok"] and ack["addition"] >= 1
    assert store.additions(code, shown_only=True) == []
    before = store.meeting(code).version
    store.apply([Action("moderate", code, HOST_ACTOR, "m", {"addition": ack["addition"], "show": True})])
    assert store.additions(code, shown_only=True)[0]["text"] == "<b>x</b>"
    assert store.meeting(code).version > before


def test_moderation_cannot_reach_another_meetings_addition(store, code):
    assert store.create_meeting("CCCCC", "Ander", "", "", [Theme(1, "x")], "h", "p")
    pid = store.join("CCCCC", "t")
    (ack,) = store.apply([Action("addition", "CCCCC", pid, "a", {"theme": 1, "text": "hoi"})])
    (result,) = store.apply(
        [Action("moderate", code, HOST_ACTOR, "m", {"addition": ack["addition"], "show": True})]
    )
    assert result == {"ok": False, "error": "unknown_addition"}


def test_a_phase_change_raises_the_version(store, code):
    (ack,) = store.apply([Action("set_phase", code, HOST_ACTOR, "x", {"phase": "break"})])
    assert ack == {"ok": True, "phase": "break", "version": 3}
    assert store.meeting(code).phase == "break"


def test_old_contact_details_are_erased_but_the_count_stays(store, code):
    pid = store.join(code, "t")
    data = {"theme": 1, "role": "member", "name": "Anna", "email": "a@example.nl", "phone": ""}
    store.apply([Action("pledge", code, pid, "a", data)])
    assert store.purge_contacts(created_before=0) == 0
    assert store.purge_contacts(created_before=10**12) == 1
    (row,) = store.pledges(code)
    assert (row["name"], row["email"]) == ("", "")
    assert {r["theme"]: r for r in store.tally(code)["themes"]}[1]["pledged"] == 1


def test_acknowledged_writes_survive_reopening_the_store(tmp_path):
    store = SQLiteStore(str(tmp_path))
    store.create_meeting("ACDEF", "A", "", "", [Theme(1, "x")], "h", "p")
    store.apply([Action("set_phase", "ACDEF", HOST_ACTOR, "p", {"phase": "recognition"})])
    pid = store.join("ACDEF", "t")
    store.apply([vote(pid, 1, "yes", "a")])
    store.close()
    again = SQLiteStore(str(tmp_path))
    assert again.answers("ACDEF", pid)["votes"] == {"1": "yes"}
    assert again.meeting("ACDEF").phase == "recognition"
    again.close()


def test_the_writer_commits_concurrent_actions_in_shared_batches(store, code):
    def spawn(fn):
        threading.Thread(target=fn, daemon=True).start()

    writer = Writer(store, spawn=spawn, offload=lambda fn, *a: fn(*a))
    pids = [store.join(code, f"t{i}") for i in range(60)]
    results = []
    threads = [
        threading.Thread(target=lambda p=p: results.append(writer.submit(vote(p, 1, "yes", "v"))))
        for p in pids
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [{"ok": True}] * 60
    assert {r["theme"]: r for r in store.tally(code)["themes"]}[1]["yes"] == 60
    assert writer.batches < 60


def test_bad_data_in_one_action_fails_that_action_only(store, code):
    pid = store.join(code, "t")
    results = store.apply(
        [
            vote(pid, 1, "yes", "a"),
            Action("vote", code, pid, "b", {"theme": 2**70, "answer": "yes"}),
            Action("addition", code, pid, "c", {"theme": 1, "text": "\ud800"}),
            vote(pid, 2, "no", "d"),
        ]
    )
    assert results[0] == results[3] == {"ok": True}
    assert results[1] == results[2] == {"ok": False, "error": "server_error"}
    assert store.answers(code, pid)["votes"] == {"1": "yes", "2": "no"}
    assert store.seen(code, pid, "b") is None


def test_an_action_is_refused_if_the_phase_moved_on_before_its_write(store, code):
    pid = store.join(code, "t")
    late = Action("vote", code, pid, "late", {"theme": 1, "answer": "yes"}, phases=("recognition",))
    results = store.apply(
        [
            Action("set_phase", code, HOST_ACTOR, "p2", {"phase": "topics"}),
            late,
        ]
    )
    assert results[1] == {"ok": False, "error": "wrong_phase"}
    assert store.answers(code, pid)["votes"] == {}
    assert store.seen(code, pid, "late") is None


def test_a_theme_change_is_seen_by_the_next_read(store, code):
    assert store.meeting(code).themes[0].title == "Groen"
    store.apply([Action("edit_theme", code, HOST_ACTOR, "e1", {"theme": 1, "title": "Bomen"})])
    store.apply(
        [Action("add_theme", code, HOST_ACTOR, "e2", {"title": "Nieuw", "description": "", "addition": None})]
    )
    store.apply([Action("order_themes", code, HOST_ACTOR, "e3", {"order": [3, 2, 1]})])
    assert [t.title for t in store.meeting(code).themes] == ["Nieuw", "Verkeer", "Bomen"]
    store.apply([Action("remove_theme", code, HOST_ACTOR, "e4", {"theme": 2, "confirm": False})])
    assert [t.id for t in store.meeting(code).themes] == [3, 1]
    assert [(t["id"], t["removed"]) for t in store.themes(code)] == [(3, False), (1, False), (2, True)]


def test_a_store_file_from_the_first_version_opens_and_gains_the_new_columns(tmp_path):
    import sqlite3

    first = SQLiteStore(str(tmp_path))
    first.create_meeting("ACDEF", "Avond", "", "", [Theme(1, "Groen")], "h", "p")
    first.close()
    conn = sqlite3.connect(tmp_path / "live.sqlite3")
    for table, column in [("meetings", "pace"), ("meetings", "hidden_themes"), ("themes", "removed")]:
        conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    conn.commit()
    conn.close()
    again = SQLiteStore(str(tmp_path))
    meeting = again.meeting("ACDEF")
    assert meeting.pace == "all" and [t.title for t in meeting.themes] == ["Groen"]
    again.close()
