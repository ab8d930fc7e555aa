"""The store contract: what every store in ``tests/stores.py`` must do, races and crashes included.

Each test takes its stores from the ``stores`` fixture and speaks only the contract (``Store``,
``live/store/__init__.py``), so a new store runs all of it unchanged. The few tests at the end that
build ``SQLiteStore`` themselves test SQLite's own insides and say so.
"""

from __future__ import annotations

import calendar
import inspect
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import stores as stores_module

from live.domain import Theme, hash_secret
from live.store import HELPER_ACTOR, HOST_ACTOR, Action, Replayed, Store
from live.store.sqlite import SQLiteStore
from live.writer import Writer

ROOT = Path(__file__).resolve().parent.parent

# The store's sequence number is written by the store split (issue 16); until that lands here
# SQLiteStore has no ``seq`` of its own. Remove this mark once it has.


def create(store, code, themes=None, keys=("h", "p", "x"), held_on="", wifi=None, title="Avond"):
    """``create_meeting`` as the service calls it: every argument given."""
    themes = themes or [Theme(1, "Groen", "bomen"), Theme(2, "Verkeer")]
    return store.create_meeting(code, title, "Dorpshuis", "", themes, *keys, held_on, wifi)


def host(store, code, kind, msg="", **data) -> dict:
    """One host action, applied alone; its ack."""
    (ack,) = store.apply([Action(kind, code, HOST_ACTOR, msg, data)])
    return ack


def join(store, code, token) -> int:
    """A phone's participant id, made as the service does (a ``join`` action)."""
    (ack,) = store.apply([Action("join", code, HOST_ACTOR, "", {"token_hash": token})])
    return ack["participant"]


def act(store, code, actor, kind, msg, **data) -> dict:
    """One attendee action, applied alone; its ack."""
    (ack,) = store.apply([Action(kind, code, actor, msg, data)])
    return ack


def run_together(*calls):
    """Run the calls in threads that start at the same moment; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list = []

    def run(n, call):
        barrier.wait()
        try:
            results[n] = call()
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def store(stores):
    """A fresh, empty store of each kind."""
    return stores()


@pytest.fixture
def code(store):
    """A meeting with two themes, in the recognition phase."""
    assert create(store, "ACDEF")
    host(store, "ACDEF", "set_phase", "p1", phase="recognition")
    return "ACDEF"


def vote(pid, theme, answer, msg):
    return Action("vote", "ACDEF", pid, msg, {"theme": theme, "answer": answer})


# -- the contract itself --------------------------------------------------------------------

CONTRACT = sorted(stores_module.CONTRACT)


def _called_by_the_server() -> set[str]:
    """Every method the runtime code calls on a store (its own package left out)."""
    submodules = {p.stem for p in (ROOT / "live" / "store").iterdir()}
    called = set()
    for path in (ROOT / "live").rglob("*.py"):
        if path.is_relative_to(ROOT / "live" / "store"):
            continue
        called |= set(re.findall(r"store\.([a-z_]+)", path.read_text())) - submodules
    return called


def test_the_contract_is_exactly_what_the_server_calls():
    called = _called_by_the_server()
    assert called - set(CONTRACT) == set(), "called on a store but not in the contract"
    # ``seq`` is declared for the coalesced messages' order; the fan-out calls it once it lands.
    assert set(CONTRACT) - called == set(), "in the contract but the server never calls it"


def test_the_suite_sees_a_store_through_the_contract_alone(stores):
    store = stores()
    for test_only in ("join", "pledges", "purge_contacts", "close"):  # the SQLite store's own
        with pytest.raises(AttributeError, match="not a method of the store contract"):
            getattr(store, test_only)
    assert store.meeting("NOPE") is None


def incompatible(contract, implementation) -> list[str]:
    """Why a call the contract allows would break on the implementation (empty: it would not)."""
    want = list(inspect.signature(contract).parameters.values())
    have = list(inspect.signature(implementation).parameters.values())
    problems = []
    for n, p in enumerate(want):
        if n >= len(have) or have[n].name != p.name:
            problems.append(f"parameter {n} must be {p.name!r}")
        elif have[n].kind != p.kind:
            problems.append(f"{p.name!r} must be {p.kind.description}")
        elif p.default is not p.empty and have[n].default != p.default:
            problems.append(f"{p.name!r} must default to {p.default!r}")
    for extra in have[len(want) :]:
        if extra.default is extra.empty and extra.kind not in (extra.VAR_POSITIONAL, extra.VAR_KEYWORD):
            problems.append(f"{extra.name!r} is required but no caller passes it")
    return problems


def test_the_signature_check_sees_a_missing_default_a_renamed_and_an_extra_parameter():
    def contract(self, code, limit=50): ...

    assert incompatible(contract, lambda self, code, limit=50, more=None: 0) == []
    assert incompatible(contract, lambda self, code, limit: 0) == ["'limit' must default to 50"]
    assert incompatible(contract, lambda self, key, limit=50: 0) == ["parameter 1 must be 'code'"]
    assert incompatible(contract, lambda self, code, limit=50, more=1, need=None: 0) == []
    assert incompatible(contract, lambda self, code, limit=50, need=...: 0) == []
    assert incompatible(lambda self, code: 0, lambda self, code, need: 0) == [
        "'need' is required but no caller passes it"
    ]


@pytest.mark.parametrize("name", CONTRACT)
def test_every_store_has_each_contract_method_with_a_compatible_signature(stores, name):
    store = stores().inside
    assert isinstance(store, Store)
    kind = type(store)
    # Its own method: one inherited from the contract itself does nothing.
    own = next((vars(k)[name] for k in kind.__mro__ if k is not Store and name in vars(k)), None)
    assert own is not None, f"{kind.__name__} lacks {name}"
    assert incompatible(vars(Store)[name], own) == []


# -- meetings -------------------------------------------------------------------------------


def test_a_meeting_reads_back_with_its_themes(store, code):
    meeting = store.meeting(code)
    assert meeting.title == "Avond" and meeting.place == "Dorpshuis"
    assert meeting.phase == "recognition" and meeting.version == 2
    assert [t.title for t in meeting.themes] == ["Groen", "Verkeer"]
    assert meeting.host_key_hash == "h"
    assert store.meeting("NOPE") is None


def test_a_taken_code_is_refused_so_the_caller_can_pick_another(store, code):
    assert store.create_meeting(code, "Ander", "", "", [Theme(1, "x")], "h2", "p2", "x2", "", None) is False
    assert store.meeting(code).title == "Avond"


def test_a_new_meeting_keeps_its_day_wifi_and_helper_key_and_starts_in_the_lobby(store):
    assert create(
        store,
        "WIFIA",
        keys=("h", "p", "helper"),
        held_on="2030-03-12",
        wifi={"name": "Zaal", "password": "geheim"},
    )
    meeting = store.meeting("WIFIA")
    assert (meeting.phase, meeting.version, meeting.helper_key_hash) == ("lobby", 1, "helper")
    assert (meeting.wifi_name, meeting.wifi_password) == ("Zaal", "geheim")
    record = store.meeting_record("WIFIA")
    fields = ("code", "title", "place", "date", "held_on", "retention_days", "phase")
    assert {k: record[k] for k in fields} == {
        "code": "WIFIA", "title": "Avond", "place": "Dorpshuis", "date": "", "held_on": "2030-03-12",
        "retention_days": None, "phase": "lobby",
    }  # fmt: skip
    assert record["created_at"] <= time.time()
    assert create(store, "TODAY")
    assert store.meeting_record("TODAY")["held_on"] == time.strftime("%Y-%m-%d")  # empty: today
    assert store.meeting("TODAY").wifi_name == ""
    assert store.meeting_record("NOPE") is None


def test_two_store_objects_on_the_same_data_share_the_secret_and_each_others_writes(stores):
    first, second = stores(), stores()
    assert isinstance(first.secret(), str) and len(first.secret()) >= 32
    assert first.secret() == second.secret()
    assert create(first, "SHARE")
    assert second.meeting("SHARE").title == "Avond"
    assert create(second, "SHARE") is False
    secret = first.secret()
    stores.close(first), stores.close(second)
    assert stores().secret() == secret  # kept: join tickets stay valid over restarts
    assert stores(stores.folder + "-other").secret() != secret


def test_the_meetings_day_retention_and_a_themes_follow_up_can_be_set(store, code):
    assert store.set_meeting_dates(code, "2030-05-01", 14) is True
    record = store.meeting_record(code)
    assert (record["held_on"], record["retention_days"]) == ("2030-05-01", 14)
    assert store.set_meeting_dates(code, "2030-05-02", None) is True
    assert store.meeting_record(code)["retention_days"] is None
    assert store.set_meeting_dates("NOPE", "2030-05-01", 1) is False
    follow_up = {"date": "2030-06-11", "time": "19:30", "place": "Buurthuis de Linde"}
    assert store.set_follow_up(code, 1, follow_up) is True
    assert "Buurthuis de Linde" in json.dumps(store.export_meeting(code))
    assert store.set_follow_up(code, 1, None) is True
    assert "Buurthuis de Linde" not in json.dumps(store.export_meeting(code))
    assert store.set_follow_up(code, 99, follow_up) is False


def test_deleting_a_meeting_removes_it_and_retires_its_code(store, code):
    other = "OTHER"
    assert create(store, other)
    pid = join(store, code, "t")
    store.apply([vote(pid, 1, "yes", "v1")])
    assert store.deleted(code) is False
    assert store.delete_meeting(code) > 0
    assert store.meeting(code) is None and store.meeting_record(code) is None
    assert store.export_meeting(code) is None
    assert store.deleted(code) is True
    assert store.seen(code, pid, "v1") is None
    assert store.participant(code, "t") is None
    assert store.tally(code)["participants"] == 0
    assert create(store, code) is False  # never given out again
    assert store.import_begin(code, {"title": "x", "created_at": 1.0}, "h", "p", "x") is False
    assert store.meeting(other).title == "Avond"  # the other meeting is untouched
    assert store.delete_meeting("NEVER") == 0 and store.deleted("NEVER") is False


# -- participants and their answers -----------------------------------------------------------


def test_the_same_token_is_the_same_participant(store, code):
    a = join(store, code, hash_secret("token-a"))
    assert join(store, code, hash_secret("token-a")) == a
    assert join(store, code, hash_secret("token-b")) != a
    assert store.participant(code, hash_secret("token-a")) == a
    assert store.participant(code, hash_secret("token-c")) is None
    assert store.tally(code)["participants"] == 2


def test_a_second_vote_replaces_the_first(store, code):
    pid = join(store, code, "t")
    store.apply([vote(pid, 1, "yes", "a")])
    store.apply([vote(pid, 1, "no", "b")])
    rows = {r["theme"]: r for r in store.tally(code)["themes"]}
    assert (rows[1]["yes"], rows[1]["no"]) == (0, 1)
    assert store.answers(code, pid)["votes"] == {"1": "no"}


def test_a_repeated_message_id_acts_once_and_gets_the_first_ack_again(store, code):
    pid = join(store, code, "t")
    first = store.apply([vote(pid, 1, "yes", "same")])
    again = store.apply([vote(pid, 1, "no", "same")])
    assert first == again == [{"ok": True}]
    assert not isinstance(first[0], Replayed) and isinstance(again[0], Replayed)
    assert store.answers(code, pid)["votes"] == {"1": "yes"}
    assert store.seen(code, pid, "same") == {"ok": True}
    assert store.seen(code, pid, "other") is None


def test_a_replayed_id_gives_the_first_ack_even_for_another_kind_of_event(store, code):
    pid = join(store, code, "t")
    (first,) = store.apply([Action("addition", code, pid, "m", {"theme": 1, "text": "Bankjes"})])
    (again,) = store.apply([vote(pid, 1, "yes", "m")])
    assert isinstance(again, Replayed) and again == first
    assert store.answers(code, pid)["votes"] == {}


def test_message_ids_are_per_participant(store, code):
    a, b = join(store, code, "a"), join(store, code, "b")
    store.apply([vote(a, 1, "yes", "m1"), vote(b, 1, "yes", "m1")])
    assert {r["theme"]: r for r in store.tally(code)["themes"]}[1]["yes"] == 2


def test_one_failing_action_does_not_undo_the_others_in_its_batch(store, code):
    pid = join(store, code, "t")
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
    pid = join(store, code, "t")
    store.apply([Action("choose", code, pid, "a", {"theme": 1})])
    store.apply([Action("choose", code, pid, "b", {"theme": 2})])
    rows = {r["theme"]: r for r in store.tally(code)["themes"]}
    assert rows.get(1, {}).get("chosen", 0) == 0 and rows[2]["chosen"] == 1
    assert store.answers(code, pid)["choice"] == 2


def test_choosers_are_spread_over_a_themes_tables_and_told_theirs(store, code):
    assert host(store, code, "edit_theme", "t", theme=1, tables=["Tafel 1", "Tafel 2"]) == {"ok": True}
    host(store, code, "set_phase", "p", phase="topics")
    people = [join(store, code, f"t{n}") for n in range(3)]
    acks = [act(store, code, pid, "choose", "c", theme=1) for pid in people]
    assert acks == [
        {"ok": True, "table": "Tafel 1"},
        {"ok": True, "table": "Tafel 2"},
        {"ok": True, "table": "Tafel 1"},
    ]
    assert act(store, code, people[1], "choose", "again", theme=1) == {"ok": True, "table": "Tafel 2"}
    mine = store.answers(code, people[1])
    assert (mine["choice"], mine["table"]) == (1, "Tafel 2")
    assert act(store, code, people[0], "choose", "other", theme=2) == {"ok": True}
    assert store.answers(code, people[0])["table"] is None


def test_a_full_theme_is_named_and_the_ack_says_which_themes_have_room(store, code):
    host(store, code, "edit_theme", "c1", theme=1, capacity=1)
    host(store, code, "set_phase", "p", phase="topics")
    a, b = join(store, code, "a"), join(store, code, "b")
    assert store.full_themes(code) == []
    assert act(store, code, a, "choose", "c", theme=1) == {"ok": True}
    assert store.full_themes(code) == [1]
    assert act(store, code, b, "choose", "c", theme=1) == {"ok": False, "error": "theme_full", "room": [2]}
    assert act(store, code, a, "choose", "again", theme=1) == {"ok": True}  # already seated there
    host(store, code, "lock_choices", "l", locked=True)
    assert act(store, code, b, "choose", "d", theme=2) == {"ok": False, "error": "choices_locked"}


def test_a_pledge_is_kept_with_its_contact_details_and_can_be_corrected(store, code):
    pid = join(store, code, "t")
    data = {"theme": 1, "role": "lead", "name": "Anna", "email": "a@example.nl", "phone": ""}
    store.apply([Action("pledge", code, pid, "a", data)])
    store.apply([Action("pledge", code, pid, "b", {**data, "name": "Anna B"})])
    (row,) = store.answers(code, pid)["pledges"]
    assert (row["name"], row["role"], row["email"]) == ("Anna B", "lead", "a@example.nl")
    assert {r["theme"]: r for r in store.tally(code)["themes"]}[1]["pledged"] == 1


def test_a_participants_own_answers_come_back_for_their_phone(store, code):
    pid, other = join(store, code, "t"), join(store, code, "o")
    (added,) = store.apply([Action("addition", code, pid, "a", {"theme": 2, "text": "Zebrapad"})])
    host(store, code, "moderate", "m", addition=added["addition"], show=True)
    assert act(store, code, pid, "endorse", "e", addition=added["addition"], on=True)["ok"]
    store.apply([vote(pid, 1, "partly", "v"), vote(other, 2, "yes", "w")])
    host(store, code, "set_phase", "p", phase="topics")
    act(store, code, pid, "choose", "c", theme=2)
    (note,) = store.apply([Action("note", code, pid, "n", {"theme": 2, "field": "how", "text": "Samen"})])
    pledge = {
        "theme": 2,
        "role": "member",
        "name": "Bo",
        "email": "",
        "phone": "+31612345678",
        "contact_by": "phone",
        "share": True,
    }
    act(store, code, pid, "pledge", "pl", **pledge)
    mine = store.answers(code, pid)
    assert mine["votes"] == {"1": "partly"}
    assert (mine["choice"], mine["table"]) == (2, None)
    assert mine["additions"] == [{"id": added["addition"], "theme": 2, "text": "Zebrapad", "status": "shown"}]
    assert mine["notes"] == [{"id": note["note"], "theme": 2, "field": "how", "text": "Samen"}]
    assert mine["endorsed"] == [added["addition"]]
    expected = {k: pledge[k] for k in ("theme", "role", "name", "email", "phone", "contact_by", "share")}
    assert mine["pledges"] == [expected] and mine["pledge"] == expected
    assert store.answers(code, other) == {
        "votes": {"2": "yes"}, "choice": None, "table": None, "pledges": [], "pledge": None,
        "additions": [], "notes": [], "endorsed": [],
    }  # fmt: skip


def test_the_tally_counts_origins_hands_and_the_roles_of_pledges(store, code):
    phone = join(store, code, "t")
    store.apply([vote(phone, 1, "yes", "v")])
    pledge = {"theme": 1, "role": "lead", "name": "Ans", "email": "a@example.nl", "phone": ""}
    form = {
        "token_hash": "paper-1", "origin": "paper", "votes": {1: "no", 2: "partly"},
        "additions": [{"theme": 2, "text": "Van papier"}], "choice": None, "pledges": [pledge], "endorse": [],
    }  # fmt: skip
    (ack,) = store.apply([Action("submit_form", code, HELPER_ACTOR, "f1", form)])
    assert ack["ok"] and ack["participant"] != phone and len(ack["additions"]) == 1
    host(store, code, "manual_count", "h1", theme=1, answer="yes", count=5)
    host(store, code, "manual_count", "h2", theme=1, answer="yes", count=7)  # replaces the first
    tally = store.tally(code)
    assert tally["participants"] == 2
    assert tally["origins"] == {"phone": 1, "paper": 1, "helper": 0}
    assert tally["hands"] == [{"theme": 1, "answer": "yes", "count": 7}]
    rows = {r["theme"]: r for r in tally["themes"]}
    assert {k: rows[1][k] for k in ("yes", "partly", "no", "chosen", "pledged")} == {
        "yes": 1, "partly": 0, "no": 1, "chosen": 0, "pledged": 1,
    }  # fmt: skip
    assert rows[1]["roles"] == {"lead": 1} and rows[2]["partly"] == 1
    (pledged,) = store.answers(code, ack["participant"])["pledges"]
    assert (pledged["name"], pledged["theme"]) == ("Ans", 1)
    assert store.seen(code, HELPER_ACTOR, "f1") == ack
    assert store.tally("NOPE") == {
        "participants": 0, "origins": {"phone": 0, "paper": 0, "helper": 0}, "themes": [], "hands": [],
        "seq": 0,
    }  # fmt: skip
    assert tally["seq"] == store.seq(code) > 0  # read with the counts


def test_a_withdrawn_pledge_is_gone(store, code):
    pid = join(store, code, "t")
    act(store, code, pid, "pledge", "a", theme=1, role="member", name="Cas", email="c@example.nl", phone="")
    assert act(store, code, pid, "withdraw", "w", theme=1) == {"ok": True, "withdrawn": True}
    assert act(store, code, pid, "withdraw", "w2", theme=1) == {"ok": True, "withdrawn": False}
    assert store.answers(code, pid)["pledges"] == [] and store.answers(code, pid)["pledge"] is None
    assert "c@example.nl" not in json.dumps(store.export_meeting(code))


# -- additions and the cards ------------------------------------------------------------------


def test_additions_wait_until_the_host_shows_them(store, code):
    pid = join(store, code, "t")
    (ack,) = store.apply([Action("addition", code, pid, "a", {"theme": 2, "text": "<b>x</b>"})])
    assert ack["ok"] and ack["addition"] >= 1
    assert store.additions(code, shown_only=True) == []
    assert store.additions(code) == [
        {"id": ack["addition"], "theme": 2, "text": "<b>x</b>", "status": "pending"}
    ]
    before = store.meeting(code).version
    store.apply([Action("moderate", code, HOST_ACTOR, "m", {"addition": ack["addition"], "show": True})])
    assert store.additions(code, shown_only=True)[0]["text"] == "<b>x</b>"
    assert store.meeting(code).version > before


def test_moderation_cannot_reach_another_meetings_addition(store, code):
    assert create(store, "CCCCC", [Theme(1, "x")])
    pid = join(store, "CCCCC", "t")
    (ack,) = store.apply([Action("addition", "CCCCC", pid, "a", {"theme": 1, "text": "hoi"})])
    (result,) = store.apply(
        [Action("moderate", code, HOST_ACTOR, "m", {"addition": ack["addition"], "show": True})]
    )
    assert result == {"ok": False, "error": "unknown_addition"}
    assert store.addition(code, ack["addition"]) is None


def test_recognition_of_a_shown_addition_counts_once_per_person_plus_raised_hands(store, code):
    a, b = join(store, code, "a"), join(store, code, "b")
    ids = [
        act(store, code, a, "addition", f"a{n}", theme=1 + n % 2, text=f"Idee {n}")["addition"]
        for n in range(3)
    ]
    assert act(store, code, b, "endorse", "e0", addition=ids[0], on=True) == {
        "ok": False,
        "error": "not_shown",
    }
    for n in (0, 1):
        host(store, code, "moderate", f"m{n}", addition=ids[n], show=True)
    assert act(store, code, a, "endorse", "e1", addition=ids[0], on=True) == {"ok": True, "endorsements": 1}
    assert act(store, code, b, "endorse", "e2", addition=ids[0], on=True) == {"ok": True, "endorsements": 2}
    assert act(store, code, b, "endorse", "e3", addition=ids[0], on=True) == {"ok": True, "endorsements": 2}
    assert host(store, code, "addition_hands", "h", addition=ids[1], count=4) == {
        "ok": True,
        "endorsements": 4,
    }
    assert act(store, code, b, "endorse", "e4", addition=ids[1], on=True) == {"ok": True, "endorsements": 5}
    assert act(store, code, b, "endorse", "e5", addition=ids[0], on=False) == {"ok": True, "endorsements": 1}
    assert store.endorsements(code) == {ids[0]: (1, 1), ids[1]: (2, 5)}  # shown ones only
    assert store.addition(code, ids[1])["endorsements"] == 5
    page = store.additions_page(code, "endorsed", 0, None)
    assert [x["id"] for x in page["additions"]] == [ids[1], ids[0], ids[2]]
    assert [x["endorsements"] for x in page["additions"]] == [5, 1, 0]


def test_cards_hold_notes_that_their_writer_or_the_host_may_change(store, code):
    host(store, code, "set_phase", "p", phase="topics")
    a, b = join(store, code, "a"), join(store, code, "b")
    first = act(store, code, a, "note", "n1", theme=1, field="how", text="Samen")
    second = act(store, code, b, "note", "n2", theme=2, field="needs", text="Geld")
    assert first["ok"] and second["ok"] and first["note"] != second["note"]
    assert store.notes(code) == [
        {"id": first["note"], "theme": 1, "field": "how", "text": "Samen"},
        {"id": second["note"], "theme": 2, "field": "needs", "text": "Geld"},
    ]
    assert store.notes(code, 2) == [{"id": second["note"], "theme": 2, "field": "needs", "text": "Geld"}]
    assert act(store, code, b, "edit_note", "x", note=first["note"], text="Van mij") == {
        "ok": False,
        "error": "not_yours",
    }
    assert act(store, code, a, "edit_note", "e", note=first["note"], text="Met z'n allen") == {
        "ok": True, "theme": 1, "field": "how",
    }  # fmt: skip
    assert store.notes(code, 1)[0]["text"] == "Met z'n allen"
    assert host(store, code, "remove_note", "r", note=second["note"]) == {
        "ok": True,
        "theme": 2,
        "field": "needs",
    }
    assert store.notes(code, 2) == [] and len(store.notes(code)) == 1
    assert act(store, code, a, "remove_note", "r2", note=second["note"]) == {
        "ok": False,
        "error": "unknown_note",
    }
    assert store.notes("NOPE") == []


def test_merging_additions_keeps_one_root_and_adds_up_recognition(store, code):
    a, b, c = (join(store, code, t) for t in "abc")
    ids = [act(store, code, a, "addition", f"a{n}", theme=1, text=f"Idee {n}")["addition"] for n in range(3)]
    for n, addition in enumerate(ids):
        host(store, code, "moderate", f"m{n}", addition=addition, show=True)
    act(store, code, b, "endorse", "e1", addition=ids[0], on=True)
    act(store, code, c, "endorse", "e2", addition=ids[1], on=True)
    act(store, code, b, "endorse", "e3", addition=ids[1], on=True)
    assert host(store, code, "merge_addition", "g1", addition=ids[0], into=ids[1]) == {
        "ok": True,
        "into": ids[1],
        "moved": [],
    }
    # Merging the root into the third moves what was merged into it along: never a chain.
    assert host(store, code, "merge_addition", "g2", addition=ids[1], into=ids[2]) == {
        "ok": True,
        "into": ids[2],
        "moved": [ids[0]],
    }
    assert host(store, code, "merge_addition", "g3", addition=ids[2], into=ids[0]) == {
        "ok": False,
        "error": "bad_merge",
    }
    page = store.additions_page(code, limit=None)
    assert {x["id"]: (x["status"], x.get("merged_into")) for x in page["additions"]} == {
        ids[0]: ("merged", ids[2]), ids[1]: ("merged", ids[2]), ids[2]: ("shown", None),
    }  # fmt: skip
    assert store.endorsements(code) == {ids[2]: (1, 2)}  # b once, c once
    assert page["counts"]["merged"] == 2
    assert store.additions(code, shown_only=True) == [
        {"id": ids[2], "theme": 1, "text": "Idee 2", "status": "shown"}
    ]


def test_the_additions_page_in_every_order_with_counts_that_agree(store, code):
    pid = join(store, code, "t")
    ids = [
        act(store, code, pid, "addition", f"a{n}", theme=1, text=f"Idee {n}")["addition"] for n in range(5)
    ]
    host(store, code, "moderate", "m", addition=ids[1], show=True)
    host(store, code, "add_theme", "t", title="Idee 3", description="", addition=ids[3])
    page = store.additions_page(code, "newest", 0, 2)
    assert [x["id"] for x in page["additions"]] == [ids[4], ids[3]]
    assert page["total"] == 5 and page["version"] == store.meeting(code).version
    assert page["counts"] == {"pending": 3, "shown": 1, "hidden": 0, "promoted": 1, "merged": 0}
    assert [x["id"] for x in store.additions_page(code, "oldest", 3)["additions"]] == ids[3:]
    assert store.additions_page(code, "oldest", 0, None, "promoted")["total"] == 1
    assert store.additions_page(code, limit=0)["additions"] == []
    assert store.additions_page("ZZZZZ") == {
        "additions": [], "total": 0, "version": 0, "seq": 0,
        "counts": {"pending": 0, "shown": 0, "hidden": 0, "promoted": 0, "merged": 0},
    }  # fmt: skip
    assert store.addition(code, ids[3])["status"] == "promoted"


# -- the host shapes the evening --------------------------------------------------------------


def test_a_phase_change_raises_the_version(store, code):
    (ack,) = store.apply([Action("set_phase", code, HOST_ACTOR, "x", {"phase": "break"})])
    assert ack == {"ok": True, "phase": "break", "version": 3}
    assert store.meeting(code).phase == "break"


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


def test_a_theme_with_answers_is_removed_only_when_confirmed_and_never_the_last(store, code):
    pid = join(store, code, "t")
    store.apply([vote(pid, 2, "yes", "v")])
    assert host(store, code, "remove_theme", "r1", theme=2, confirm=False) == {
        "ok": False, "error": "confirm_needed", "answers": 1,
    }  # fmt: skip
    assert [t.id for t in store.meeting(code).themes] == [1, 2]
    assert host(store, code, "remove_theme", "r2", theme=2, confirm=True) == {"ok": True}
    assert host(store, code, "remove_theme", "r3", theme=1, confirm=True) == {
        "ok": False,
        "error": "last_theme",
    }
    assert host(store, code, "order_themes", "o", order=[1, 2]) == {"ok": False, "error": "bad_order"}


def test_a_merged_theme_takes_its_choosers_along_and_stays_in_the_list_of_all_themes(store, code):
    host(store, code, "set_phase", "p", phase="topics")
    a, b = join(store, code, "a"), join(store, code, "b")
    act(store, code, a, "choose", "c", theme=1)
    act(store, code, b, "choose", "c", theme=2)
    assert host(store, code, "merge_themes", "m", theme=1, into=2) == {"ok": True, "moved": 1}
    assert [t.id for t in store.meeting(code).themes] == [2]
    assert store.meeting(code).merged == {1: 2}
    assert {t["id"]: (t["removed"], t["merged_into"]) for t in store.themes(code)} == {
        2: (False, None),
        1: (True, 2),
    }
    assert store.answers(code, a)["choice"] == 2
    assert {r["theme"]: r["chosen"] for r in store.tally(code)["themes"]} == {2: 2}


def test_a_promoted_addition_becomes_one_theme_even_when_two_hosts_promote_it(store, code):
    pid = join(store, code, "t")
    addition = act(store, code, pid, "addition", "a", theme=1, text="Speeltuin")["addition"]
    first = host(store, code, "add_theme", "t1", title="Speeltuin", description="", addition=addition)
    second = host(store, code, "add_theme", "t2", title="Speeltuin", description="", addition=addition)
    assert first == second == {"ok": True, "theme": 3}
    assert [t.from_addition for t in store.meeting(code).themes] == [None, None, addition]
    assert store.themes(code)[2]["from_addition"] == addition


def test_an_action_is_refused_if_the_phase_moved_on_before_its_write(store, code):
    pid = join(store, code, "t")
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


def test_an_action_for_a_meeting_deleted_meanwhile_fails_alone(store, code):
    pid = join(store, code, "t")
    assert create(store, "OTHER")
    store.delete_meeting(code)
    late = Action("vote", code, pid, "a", {"theme": 1, "answer": "yes"}, phases=("recognition",))
    results = store.apply([late, Action("set_phase", "OTHER", HOST_ACTOR, "p", {"phase": "break"})])
    assert results == [
        {"ok": False, "error": "unknown_meeting"},
        {"ok": True, "phase": "break", "version": 2},
    ]


def test_bad_data_in_one_action_fails_that_action_only(store, code):
    pid = join(store, code, "t")
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


def test_the_sequence_number_only_grows_with_every_counted_write(stores):
    store, other = stores(), stores()
    assert store.seq("NOPE") == 0
    assert create(store, "SEQNO")
    host(store, "SEQNO", "set_phase", "p", phase="recognition")
    seen = [store.seq("SEQNO")]

    def grew():
        now = store.seq("SEQNO")
        assert now > seen[-1] and other.seq("SEQNO") == now  # one number for every worker
        seen.append(now)

    pid = join(store, "SEQNO", "t")  # the lobby's count of phones
    grew()
    act(store, "SEQNO", pid, "vote", "v", theme=1, answer="yes")
    grew()
    addition = act(store, "SEQNO", pid, "addition", "a", theme=1, text="Bankjes")["addition"]
    grew()
    host(store, "SEQNO", "moderate", "m", addition=addition, show=True)
    grew()
    act(store, "SEQNO", pid, "endorse", "e", addition=addition, on=True)
    grew()
    host(store, "SEQNO", "manual_count", "h", theme=1, answer="yes", count=4)
    grew()
    act(store, "SEQNO", pid, "vote", "v", theme=1, answer="no")  # a replay: whatever it does, never back
    assert store.seq("SEQNO") >= seen[-1]
    stores.close(store)
    assert stores().seq("SEQNO") >= seen[-1]  # never back, not after a restart either


# -- erasure, the handled ids, the hand-off -----------------------------------------------------


def test_erasure_blanks_names_contacts_additions_and_notes_on_the_meetings_day_plus_its_retention(store):
    people = {}
    for code, days in (("AAAAA", None), ("CCCCC", 5)):
        assert create(store, code, held_on="2030-03-12")
        store.set_meeting_dates(code, "2030-03-12", days)
        host(store, code, "set_phase", "p", phase="topics")
        pid = people[code] = join(store, code, f"token-{code}")
        act(
            store,
            code,
            pid,
            "pledge",
            "pl",
            theme=1,
            role="lead",
            name="Ans",
            email=f"{code}@example.nl",
            phone="+31612345678",
        )
        act(store, code, pid, "addition", "ad", theme=1, text="Bel Ans")
        act(store, code, pid, "note", "no", theme=1, field="lead", text="Ans")
    held = calendar.timegm((2030, 3, 12, 0, 0, 0))  # the clock moves on from the meeting's day
    assert store.erase_due(held + 4.9 * 86400, 90) == 0
    assert store.erase_due(held + 5 * 86400 + 1, 90) == 3  # CCCCC after its own 5 days
    (gone,) = store.answers("CCCCC", people["CCCCC"])["pledges"]
    assert (gone["name"], gone["email"], gone["phone"], gone["role"]) == ("", "", "", "lead")
    assert store.additions("CCCCC")[0]["text"] == "" and store.notes("CCCCC")[0]["text"] == ""
    assert store.answers("CCCCC", people["CCCCC"])["pledge"]["name"] == ""
    assert {r["theme"]: r for r in store.tally("CCCCC")["themes"]}[1]["pledged"] == 1  # the count stays
    assert "CCCCC@example.nl" not in json.dumps(store.export_meeting("CCCCC"))
    assert store.answers("AAAAA", people["AAAAA"])["pledge"]["name"] == "Ans"  # the default 90 days
    assert store.erase_due(held + 89.9 * 86400, 90) == 0
    assert store.erase_due(held + 90 * 86400 + 1, 90) == 3
    assert store.answers("AAAAA", people["AAAAA"])["pledge"]["email"] == ""
    # A day nobody can read (an import written by hand) counts from the creation: never "never".
    assert create(store, "DDDDD")
    store.set_meeting_dates("DDDDD", "12 maart", 0)
    pid = join(store, "DDDDD", "token-d")
    act(store, "DDDDD", pid, "pledge", "pl", theme=1, role="lead", name="Ans", email="d@example.nl", phone="")
    assert store.erase_due(time.time() + 1, 90) == 1
    assert store.answers("DDDDD", pid)["pledge"]["name"] == ""


def test_the_acks_of_handled_messages_are_pruned_by_age(store, code):
    pid = join(store, code, "t")
    store.apply([vote(pid, 1, "yes", "m1")])
    assert store.prune_handled(time.time() - 3600) == 0
    assert store.seen(code, pid, "m1") == {"ok": True}
    assert store.prune_handled(time.time() + 1) == 2  # the vote and the fixture's phase change
    assert store.seen(code, pid, "m1") is None


def test_an_export_holds_the_whole_meeting_and_no_key_or_token(store):
    assert create(store, "EXPRT", keys=("hosthash-secret", "projhash-secret", "helphash-secret"))
    host(store, "EXPRT", "set_phase", "p", phase="pledges")
    pid = join(store, "EXPRT", "tokenhash-secret")
    act(
        store,
        "EXPRT",
        pid,
        "pledge",
        "p",
        theme=2,
        role="member",
        name="Noor",
        email="n@example.nl",
        phone="",
    )
    exported = store.export_meeting("EXPRT")
    assert exported["meeting"]["code"] == "EXPRT" and exported["meeting"]["title"] == "Avond"
    text = json.dumps(exported)
    assert "Noor" in text and "Verkeer" in text
    assert "secret" not in text
    assert store.export_meeting("NOPE") is None


def test_an_import_is_unseen_until_finished_and_an_aborted_one_leaves_nothing(stores, code):
    store = stores()
    pid = join(store, code, "t")
    store.apply([vote(pid, 1, "yes", "v")])
    data = store.export_meeting(code)
    meeting = {k: v for k, v in data["meeting"].items() if k != "code"}
    assert store.import_begin(code, meeting, "h", "p", "x") is False  # taken
    assert store.import_begin("IMPRT", meeting, "h2", "p2", "x2") is True
    assert store.import_begin("IMPRT", meeting, "h2", "p2", "x2") is False
    assert store.meeting("IMPRT") is None and store.meeting_record("IMPRT") is None
    assert store.import_rows("IMPRT", "themes", data["themes"]) == []
    (new,) = store.import_rows("IMPRT", "participants", [{**row, "id": None} for row in data["participants"]])
    assert new != pid
    with pytest.raises(ValueError):
        store.import_rows(
            "IMPRT", "votes", [{"participant": new, "theme": 1, "answer": "yes", "colour": "red"}]
        )
    store.import_rows("IMPRT", "votes", [{**row, "participant": new} for row in data["votes"]])
    assert store.import_finish("IMPRT") is True
    assert store.import_finish("IMPRT") is False
    assert store.meeting("IMPRT").host_key_hash == "h2"
    assert [t.title for t in store.meeting("IMPRT").themes] == ["Groen", "Verkeer"]
    assert {r["theme"]: r["yes"] for r in store.tally("IMPRT")["themes"]} == {1: 1}
    assert store.participant("IMPRT", "t") is None  # old phones cannot come back here

    assert store.import_begin("ABORT", meeting, "h", "p", "x")
    store.import_rows("ABORT", "themes", data["themes"])
    store.import_abort("ABORT")
    assert store.meeting("ABORT") is None and store.deleted("ABORT") is False
    assert store.import_begin("ABORT", meeting, "h", "p", "x") is True  # it never existed
    # A store that restarts mid-import removes the unfinished meeting.
    stores.close(store)
    again = stores()
    assert again.meeting("ABORT") is None
    assert again.import_begin("ABORT", meeting, "h", "p", "x") is True
    assert again.meeting("IMPRT") is not None


def test_imported_additions_are_linked_to_the_one_they_were_merged_into(store, code):
    pid = join(store, code, "t")
    ids = [
        act(store, code, pid, "addition", f"a{n}", theme=1, text=f"Idee {n}")["addition"] for n in range(2)
    ]
    host(store, code, "moderate", "m", addition=ids[1], show=True)
    host(store, code, "merge_addition", "g", addition=ids[0], into=ids[1])
    data = store.export_meeting(code)
    meeting = {k: v for k, v in data["meeting"].items() if k != "code"}
    assert store.import_begin("LINKS", meeting, "h", "p", "x")
    store.import_rows("LINKS", "themes", data["themes"])
    (person,) = store.import_rows("LINKS", "participants", [{**r, "id": None} for r in data["participants"]])
    rows = [{**r, "id": None, "merged_into": None, "participant": person} for r in data["additions"]]
    new = dict(
        zip([r["id"] for r in data["additions"]], store.import_rows("LINKS", "additions", rows), strict=True)
    )
    store.import_links("LINKS", [(new[ids[0]], new[ids[1]])])
    assert store.import_finish("LINKS")
    page = store.additions_page("LINKS", limit=None)
    assert [(x["id"], x["status"], x.get("merged_into")) for x in page["additions"]] == [
        (new[ids[0]], "merged", new[ids[1]]), (new[ids[1]], "shown", None),
    ]  # fmt: skip


def test_acknowledged_writes_survive_reopening_the_store(stores):
    store = stores()
    create(store, "ACDEF", [Theme(1, "x")])
    host(store, "ACDEF", "set_phase", "p", phase="recognition")
    pid = join(store, "ACDEF", "t")
    store.apply([vote(pid, 1, "yes", "a")])
    stores.close(store)
    again = stores()
    assert again.answers("ACDEF", pid)["votes"] == {"1": "yes"}
    assert again.meeting("ACDEF").phase == "recognition"


def test_the_writer_commits_concurrent_actions_in_shared_batches(store, code):
    def spawn(fn):
        threading.Thread(target=fn, daemon=True).start()

    writer = Writer(store, spawn=spawn, offload=lambda fn, *a: fn(*a))
    pids = [join(store, code, f"t{i}") for i in range(60)]
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


# -- races: several writers on the same data, and a crash ------------------------------------------

RACE_ROUNDS = 12


def test_of_two_writers_for_the_last_seat_exactly_one_gets_it(stores):
    first, second = stores(), stores()
    for n in range(RACE_ROUNDS):
        code = f"SEAT{n:02d}"
        assert create(first, code)
        host(first, code, "edit_theme", "cap", theme=1, capacity=1)
        host(first, code, "set_phase", "p", phase="topics")
        a, b = join(first, code, "a"), join(second, code, "b")

        def choose(store, pid, code=code):
            (ack,) = store.apply(
                [Action("choose", code, pid, "c", {"theme": 1}, phases=("topics", "pledges"))]
            )
            return ack

        acks = run_together(lambda: choose(first, a), lambda: choose(second, b))  # noqa: B023
        assert sorted(acks, key=lambda ack: not ack["ok"]) == [
            {"ok": True},
            {"ok": False, "error": "theme_full", "room": [2]},
        ], n
        assert first.full_themes(code) == second.full_themes(code) == [1]
        assert {r["theme"]: r["chosen"] for r in second.tally(code)["themes"]} == {1: 1}
        assert [store.answers(code, pid)["choice"] for store, pid in ((first, a), (second, b))].count(1) == 1


@pytest.mark.parametrize("merges", ["crosswise", "into two others", "the same twice"])
def test_two_hosts_merging_the_same_addition_at_once_land_one_merge_and_keep_a_tree(stores, merges):
    first, second = stores(), stores()
    for n in range(RACE_ROUNDS):
        code = f"MERGE{n:02d}"
        assert create(first, code)
        host(first, code, "set_phase", "p", phase="recognition")
        people = [join(first, code, f"p{k}") for k in range(4)]
        a, b, c = (
            act(first, code, people[0], "addition", f"a{k}", theme=1, text=f"Idee {k}")["addition"]
            for k in range(3)
        )
        for k, addition in enumerate((a, b, c)):
            host(first, code, "moderate", f"m{k}", addition=addition, show=True)
        act(first, code, people[1], "endorse", "e1", addition=a, on=True)
        act(first, code, people[2], "endorse", "e2", addition=a, on=True)
        act(first, code, people[3], "endorse", "e3", addition=b, on=True)
        host(first, code, "addition_hands", "h", addition=c, count=3)
        before = sum(count for _theme, count in first.endorsements(code).values())
        one, two = {
            "crosswise": ((a, b), (b, a)),
            "into two others": ((a, b), (a, c)),
            "the same twice": ((a, b), (a, b)),
        }[merges]

        def merge(store, pair, device, code=code):
            # Each host device numbers its own messages: two ids, so the store's guard decides.
            data = {"addition": pair[0], "into": pair[1]}
            (ack,) = store.apply([Action("merge_addition", code, HOST_ACTOR, f"merge-{device}", data)])
            return ack

        acks = run_together(lambda: merge(first, one, "laptop"), lambda: merge(second, two, "phone"))  # noqa: B023
        page = second.additions_page(code, limit=None)
        status = {x["id"]: (x["status"], x.get("merged_into")) for x in page["additions"]}
        merged = {addition: into for addition, (state, into) in status.items() if state == "merged"}
        assert len(merged) == 1, (n, acks, status)  # exactly one merge landed: one root for a and b
        # A tree: what is merged points at an addition that is not merged itself (no chain, no cycle).
        assert all(status[into][0] == "shown" for into in merged.values()), status
        if merges == "the same twice":
            assert acks[0] == acks[1] == {"ok": True, "into": b, "moved": []}
        else:
            assert sorted(ack["ok"] for ack in acks) == [False, True], acks
            refused = next(ack for ack in acks if not ack["ok"])
            assert refused["error"] == ("bad_merge" if merges == "crosswise" else "already_merged")
        counts = first.endorsements(code)
        assert sum(count for _theme, count in counts.values()) == before  # nobody lost or counted twice
        (root,) = set(merged.values())
        assert counts[root][1] == sum({a: 2, b: 1, c: 3}[x] for x in (root, *merged))


# The child of the crash test: it opens the store of one kind and writes batches of additions,
# printing each batch's acks once ``apply`` returned (so once it is durable), until it is killed.
CRASHING_WRITER = r"""
import itertools, json, sys
root, kind, folder, code, pid, tag, size = sys.argv[1:]
sys.path[:0] = [root, root + "/tests"]
from stores import KINDS
from live.store import Action
store = KINDS[kind].open(folder)
print("ready", flush=True)
for b in itertools.count():
    texts = [f"{tag}-{b}-{i}" for i in range(int(size))]
    acks = store.apply([Action("addition", code, int(pid), t, {"theme": 1, "text": t}) for t in texts])
    print(json.dumps([b, acks]), flush=True)
"""


def test_a_resend_after_a_crash_around_the_commit_acts_once_and_keeps_every_ack(stores):
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    store = stores()
    assert create(store, "CRASH")
    host(store, "CRASH", "set_phase", "p", phase="recognition")
    pid = join(store, "CRASH", "t")
    stores.close(store)
    size = 8
    for round_ in range(6):
        tag = f"r{round_}"
        child = subprocess.Popen(
            [sys.executable, "-c", CRASHING_WRITER, str(ROOT), stores.kind.name, stores.folder]
            + ["CRASH", str(pid), tag, str(size)],
            stdout=subprocess.PIPE,
            cwd=ROOT,
        )
        try:
            assert child.stdout.readline() == b"ready\n"
            time.sleep(rng.uniform(0.0, 0.1))
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            out = child.communicate()[0]
        # Only whole lines: the child may die in the middle of printing one.
        acked = dict(json.loads(line) for line in out.split(b"\n")[:-1])
        store = stores()
        before = {a["text"]: a["id"] for a in store.additions("CRASH") if a["text"].startswith(tag + "-")}
        for b, acks in acked.items():  # every ack given before the crash is there
            for i, ack in enumerate(acks):
                assert ack["ok"] and before[f"{tag}-{b}-{i}"] == ack["addition"], (seed, round_)
        # The batch after the last ack may have been committed (killed before it printed), the
        # one after that never was: the phone resends all of them.
        batches = len(acked) + 2
        for b in range(batches):
            texts = [f"{tag}-{b}-{i}" for i in range(size)]
            again = store.apply([Action("addition", "CRASH", pid, t, {"theme": 1, "text": t}) for t in texts])
            for i, (text, ack) in enumerate(zip(texts, again, strict=True)):
                assert ack["ok"], ack
                assert isinstance(ack, Replayed) == (text in before), (seed, round_, text)
                if b in acked:
                    assert ack == acked[b][i]
                if text in before:
                    assert ack["addition"] == before[text]
        texts = Counter(a["text"] for a in store.additions("CRASH") if a["text"].startswith(tag + "-"))
        assert set(texts) == {f"{tag}-{b}-{i}" for b in range(batches) for i in range(size)}
        assert set(texts.values()) == {1}, (seed, round_)  # never twice
        stores.close(store)


# -- SQLite's own insides (not the contract) ---------------------------------------------------


def test_old_contact_details_are_erased_but_the_count_stays(tmp_path):
    # SQLite-specific: ``purge_contacts`` (by creation time) is a test hook of the SQLite store;
    # the contract's erasure, ``erase_due``, is tested above for every store.
    store = SQLiteStore(str(tmp_path))
    assert create(store, "ACDEF")
    store.apply([Action("set_phase", "ACDEF", HOST_ACTOR, "p1", {"phase": "recognition"})])
    pid = store.join("ACDEF", "t")
    data = {"theme": 1, "role": "member", "name": "Anna", "email": "a@example.nl", "phone": ""}
    store.apply([Action("pledge", "ACDEF", pid, "a", data)])
    assert store.purge_contacts(created_before=0) == 0
    assert store.purge_contacts(created_before=10**12) == 1
    (row,) = store.pledges("ACDEF")
    assert (row["name"], row["email"]) == ("", "")
    assert {r["theme"]: r for r in store.tally("ACDEF")["themes"]}[1]["pledged"] == 1
    store.close()


def test_a_store_file_from_the_first_version_opens_and_gains_the_new_columns(tmp_path):
    # SQLite-specific: the migration of an older SQLite file.
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
