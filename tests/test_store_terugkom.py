"""The store contract for a terugkombijeenkomst (step 5), over every store in ``tests/stores.py``:
its kind, groups with their keys, plans and call list, agreements, tops and questions, the export
and import, erasure and deletion."""

from __future__ import annotations

import calendar
import json

import pytest

from live.domain import Theme, hash_secret
from live.store import HOST_ACTOR, Action, group_actor

ORIGIN = {
    "from": "ACDEF",
    "theme": 4,
    "card": [{"field": "lead", "text": "Anna trekt"}],
    "members": [{"name": "Anna", "email": "anna@example.org", "phone": "", "role": "lead"}],
    "others": {"lead": 0, "member": 2, "occasional": 0},
}


def make(store, code="TRGKM", held_on="2030-03-12"):
    """A terugkombijeenkomst with two groups, as the service creates it."""
    groups = [
        {"theme": 1, "key_hash": hash_secret(f"key-1-{code}"), "origin": json.dumps(ORIGIN)},
        {"theme": 2, "key_hash": hash_secret(f"key-2-{code}"), "origin": ""},
    ]
    themes = [Theme(1, "Groen"), Theme(2, "Verkeer")]
    assert store.create_meeting(
        code, "Terug", "", "", themes, "h", "p", "x", held_on, None, "terugkom", groups
    )
    return code


def act(store, code, actor, action, msg, phases=(), **data) -> dict:
    """One action, applied alone (``phases``: where it may land, as the service says); its ack."""
    (ack,) = store.apply([Action(action, code, actor, msg, data, phases)])
    return ack


@pytest.fixture
def store(stores):
    """A fresh, empty store of each kind."""
    return stores()


def test_a_terugkom_meeting_keeps_its_kind_and_its_groups_and_an_evening_has_none(store):
    code = make(store)
    meeting = store.meeting(code)
    assert meeting.kind == "terugkom" and meeting.presenting is None and meeting.phase == "lobby"
    groups = store.groups(code)
    assert [g["theme"] for g in groups] == [1, 2]
    assert groups[0]["status"] == "loopt" and groups[0]["plan"] == "" and groups[0]["host_note"] == ""
    assert json.loads(groups[0]["origin"]) == ORIGIN and "key_hash" not in groups[0]
    assert store.group_for_key(code, hash_secret(f"key-2-{code}")) == 2
    assert store.group_for_key(code, hash_secret("nope")) is None and store.group_for_key(code, "") is None
    assert store.group_for_key("OTHER", hash_secret(f"key-1-{code}")) is None
    assert store.create_meeting("AVOND", "A", "", "", [Theme(1, "G")], "h", "p", "x", "", None)
    assert store.meeting("AVOND").kind == "avond" and store.groups("AVOND") == []
    assert store.agreements("AVOND") == []


def test_plans_status_presenting_and_agreements_are_written_and_read_back(store):
    code = make(store)
    assert act(store, code, group_actor(1), "plan", "p1", ("lobby",), theme=1, fields={"goal": "Groen"}) == {
        "ok": True
    }
    assert act(store, code, HOST_ACTOR, "plan", "p2", theme=1, fields={"when": "Mei", "goal": "Meer groen"})[
        "ok"
    ]
    plan = json.loads(store.groups(code)[0]["plan"])
    assert plan["goal"] == "Meer groen" and plan["when"] == "Mei" and plan["first_step"] == ""
    assert act(store, code, HOST_ACTOR, "plan", "p3", theme=9, fields={"goal": "x"}) == {
        "ok": False,
        "error": "unknown_group",
    }
    ack = act(store, code, HOST_ACTOR, "group_status", "s1", theme=1, status="loopt_vast", host_note="Bellen")
    assert ack == {"ok": True}
    assert act(store, code, group_actor(2), "group_status", "s1", theme=2, status="vraagt_hulp")["ok"]
    groups = store.groups(code)
    assert (groups[0]["status"], groups[0]["host_note"], groups[1]["status"]) == (
        "loopt_vast",
        "Bellen",
        "vraagt_hulp",
    )
    version = store.meeting(code).version
    assert act(store, code, HOST_ACTOR, "set_presenting", "sp", theme=2)["ok"]
    assert store.meeting(code).presenting == 2 and store.meeting(code).version > version
    assert act(store, code, HOST_ACTOR, "set_phase", "ph", phase="agreements")["ok"]
    phases = ("agreements", "results")
    first = act(
        store, code, HOST_ACTOR, "agreement", "a1", phases, text="Samen", themes=[1, 2], who="Anna", due=""
    )
    assert first == {"ok": True, "agreement": 1}
    assert (
        act(store, code, HOST_ACTOR, "agreement", "a2", phases, text="Alleen", themes=[2], who="", due="mei")[
            "agreement"
        ]
        == 2
    )
    # A resend is answered from its message id, nothing written twice.
    assert act(
        store, code, HOST_ACTOR, "agreement", "a1", phases, text="Samen", themes=[1, 2], who="", due=""
    ) == {
        "ok": True,
        "agreement": 1,
    }
    assert act(store, code, HOST_ACTOR, "edit_agreement", "e1", phases, agreement=2, themes=[1], text="Toch")[
        "ok"
    ]
    assert act(store, code, HOST_ACTOR, "remove_agreement", "r1", phases, agreement=1)["ok"]
    assert act(store, code, HOST_ACTOR, "remove_agreement", "r2", phases, agreement=1) == {
        "ok": False,
        "error": "unknown_agreement",
    }
    assert act(store, code, HOST_ACTOR, "edit_agreement", "e2", phases, agreement=7, text="x") == {
        "ok": False,
        "error": "unknown_agreement",
    }
    assert store.agreements(code) == [{"id": 2, "text": "Toch", "themes": [1], "who": "", "due": "mei"}]
    assert (
        act(store, code, HOST_ACTOR, "agreement", "a3", phases, text="Nieuw", themes=[2], who="", due="")[
            "agreement"
        ]
        == 3
    )
    assert act(store, code, HOST_ACTOR, "set_phase", "ph2", phase="lobby")["ok"]
    assert act(store, code, HOST_ACTOR, "agreement", "a4", phases, text="x", themes=[2], who="", due="") == {
        "ok": False,
        "error": "wrong_phase",
    }


def test_a_top_or_question_keeps_its_kind_and_an_evening_addition_has_none(store):
    code = make(store)
    act(store, code, HOST_ACTOR, "set_phase", "ph", phase="presentations")
    (joined,) = store.apply([Action("join", code, HOST_ACTOR, "", {"token_hash": "tok"})])
    pid = joined["participant"]
    top = act(store, code, pid, "addition", "t", ("presentations",), theme=1, text="Mooi", kind="top")
    plain = act(store, code, pid, "addition", "q", ("presentations",), theme=1, text="Zonder")
    assert top["ok"] and plain["ok"]
    assert store.addition(code, top["addition"])["kind"] == "top"
    assert "kind" not in store.addition(code, plain["addition"])
    assert [a.get("kind") for a in store.additions(code)] == ["top", None]
    page = store.additions_page(code)["additions"]
    assert [a.get("kind") for a in page] == ["top", None]
    assert [a.get("kind") for a in store.answers(code, pid)["additions"]] == ["top", None]


def test_an_export_holds_groups_and_agreements_without_keys_and_imports_again(stores):
    store = stores()
    code = make(store)
    act(store, code, HOST_ACTOR, "plan", "p", theme=1, fields={"goal": "Groen"})
    act(store, code, HOST_ACTOR, "set_presenting", "sp", theme=1)
    act(store, code, HOST_ACTOR, "agreement", "a", text="Samen", themes=[1, 2], who="Anna", due="mei")
    exported = store.export_meeting(code)
    assert exported["meeting"]["kind"] == "terugkom" and exported["meeting"]["presenting"] == 1
    assert "key-1" not in json.dumps(exported) and hash_secret(f"key-1-{code}") not in json.dumps(exported)
    assert [g["theme"] for g in exported["groups"]] == [1, 2]
    assert json.loads(exported["groups"][0]["plan"])["goal"] == "Groen"
    (agreement,) = exported["agreements"]
    assert (agreement["text"], agreement["themes"], agreement["removed"]) == ("Samen", "1,2", 0)
    # Into a store (of the same kind) under another code, with new group keys.
    other = stores(stores.folder + "-copy")
    meeting = {k: v for k, v in exported["meeting"].items() if k != "code"}
    assert other.import_begin("COPY1", meeting, "h2", "p2", "x2")
    for table in ("themes", "agreements"):
        other.import_rows("COPY1", table, exported[table])
    groups = [{**g, "key_hash": hash_secret(f"new-{g['theme']}")} for g in exported["groups"]]
    other.import_rows("COPY1", "groups", groups)
    assert other.import_finish("COPY1")
    copy = other.meeting("COPY1")
    assert copy.kind == "terugkom" and copy.presenting == 1
    assert other.groups("COPY1") == store.groups(code)
    assert other.agreements("COPY1") == store.agreements(code)
    assert other.group_for_key("COPY1", hash_secret("new-2")) == 2
    assert other.group_for_key("COPY1", hash_secret(f"key-2-{code}")) is None


def test_erasure_blanks_plans_notes_members_cards_and_who_and_deletion_leaves_nothing(store):
    code = make(store)
    act(store, code, HOST_ACTOR, "plan", "p", theme=1, fields={"tasks": "Anna belt"})
    act(store, code, HOST_ACTOR, "group_status", "s", theme=1, host_note="Bel Anna")
    act(store, code, HOST_ACTOR, "agreement", "a", text="Samen", themes=[1], who="Anna", due="")
    held = calendar.timegm((2030, 3, 12, 0, 0, 0))
    assert store.erase_due(held + 91 * 86400, 90) >= 2  # rows: a store counts its own
    exported = json.dumps(store.export_meeting(code))
    assert "Anna" not in exported and "anna@example.org" not in exported and "Bel Anna" not in exported
    origin = json.loads(store.groups(code)[0]["origin"])
    assert origin["others"]["member"] == 2 and len(origin["members"]) == 1  # the counts stay
    assert store.agreements(code)[0]["text"] == "Samen"
    assert store.delete_meeting(code) > 0
    assert store.meeting(code) is None and store.groups(code) == [] and store.agreements(code) == []
    assert store.group_for_key(code, hash_secret(f"key-1-{code}")) is None
