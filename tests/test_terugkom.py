"""Step 5, the terugkombijeenkomst, against the real server: made from two evenings, the group
links, presentations with tops and questions, agreements, a newcomer, the archive, who sees what."""

from __future__ import annotations

import json
import urllib.request

import pytest
from conftest import api, get, refusal

PLEDGE = {"role": "member", "consent": True}


def listen(client, event: str) -> list:
    """Record every ``event`` message this client receives."""
    got: list = []

    def on(data):
        with client._changed:
            got.append(data)
            client._changed.notify_all()

    client.sio.on(event, on)
    return got


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def post(url: str, body: bytes, headers: dict):
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def evening(server, connect, themes, pledges):
    """An evening with these themes where phones pledged: ``pledges`` is ``[(theme, name, share)]``."""
    meeting = server.create_meeting(themes=themes)
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    assert host.call("set_phase", phase="topics")["ok"]
    assert host.call("note", theme=1, field="first_step", text="Eerst de buren vragen")["ok"]
    assert host.call("set_phase", phase="pledges")["ok"]
    for theme, name, share in pledges:
        phone = connect(code, "phone")
        ack = phone.call(
            "pledge", theme=theme, name=name, email=f"{name.lower()}@example.org", share=share, **PLEDGE
        )
        assert ack["ok"], ack
        phone.close()
    host.close()
    return meeting


@pytest.fixture
def two_evenings(server, connect):
    """Two evenings: in the first, themes 1 and 3 have pledges (one member shares, one does
    not) and theme 2 none; in the second, one theme with one pledge."""
    first = evening(
        server,
        connect,
        ("Groen in de wijk", "Verkeer", "Samen eten"),
        [(1, "Anna", True), (1, "Bram", False), (3, "Cas", True)],
    )
    second = evening(server, connect, ("Speeltuin", "Bankjes"), [(1, "Dewi", True)])
    return first, second


@pytest.fixture
def follow_up(server, two_evenings):
    """A terugkombijeenkomst made from both evenings, through the API."""
    first, second = two_evenings
    status, made = api(
        server.url + "/api/meetings",
        {
            "kind": "terugkom",
            "title": "Terugkombijeenkomst",
            "from": [
                {"code": first["code"], "host_key": first["host_key"]},
                {"code": second["code"], "host_key": second["host_key"]},
            ],
        },
    )
    assert status == 201, made
    return made


def test_made_from_two_evenings_only_themes_with_pledges_become_groups_with_shared_names(follow_up, connect):
    assert follow_up["kind"] == "terugkom"
    assert [(g["theme"], g["title"]) for g in follow_up["groups"]] == [
        (1, "Groen in de wijk"),
        (2, "Samen eten"),
        (3, "Speeltuin"),
    ]
    assert len({g["key"] for g in follow_up["groups"]}) == 3
    host = connect(follow_up["code"], "host", follow_up["host_key"])
    assert host.state["kind"] == "terugkom" and host.state["phase"] == "lobby"
    assert [t["title"] for t in host.state["themes"]] == ["Groen in de wijk", "Samen eten", "Speeltuin"]
    green = host.state["groups"][0]
    assert [m["name"] for m in green["members"]] == ["Anna"]  # Bram did not share: only counted
    assert green["members"][0]["email"] == "anna@example.org"
    assert green["others"]["member"] == 1 and green["members_count"] == 2
    assert green["card"] == [{"field": "first_step", "text": "Eerst de buren vragen"}]
    assert (
        green["status"] == "loopt"
        and green["note"] == ""
        and set(green["plan"])
        == {
            "goal",
            "actions",
            "tasks",
            "needs",
            "when",
            "first_step",
        }
    )
    projector = connect(follow_up["code"], "projector", follow_up["projector_key"])
    phone = connect(follow_up["code"], "phone")
    assert projector.state["kind"] == phone.state["kind"] == "terugkom"
    shown = json.dumps(projector.state) + json.dumps(phone.state)
    assert "Anna" not in shown and "anna@example.org" not in shown
    assert "groups" not in phone.state and phone.state["agreements"] == []
    assert (
        projector.state["groups"][0]["members_count"] == 2 and "members" not in projector.state["groups"][0]
    )


@pytest.mark.parametrize(
    "body, slug",
    [
        ({"kind": "terugkom", "title": "T"}, "from_required"),
        ({"kind": "terugkom", "title": "T", "from": "ABCDE"}, "bad_from"),
        ({"kind": "terugkom", "title": "T", "from": [{"code": "!!", "host_key": "x"}]}, "bad_from"),
        ({"kind": "terugkom", "title": "T", "from": [{"code": "QQQQQ", "host_key": "x"}]}, "bad_from_key"),
        ({"kind": "vergadering", "title": "T"}, "bad_meeting_kind"),
    ],
)
def test_a_bad_terugkom_request_gets_a_stable_code_and_a_dutch_sentence(server, body, slug):
    status, got = api(server.url + "/api/meetings", body)
    assert status == 400 and got["error"] == slug and got["message"]


def test_an_evening_needs_its_own_host_key_and_pledges_and_a_follow_up_is_no_source(
    server, two_evenings, follow_up
):
    first, _second = two_evenings
    source = {"code": first["code"], "host_key": first["projector_key"]}
    assert (
        api(server.url + "/api/meetings", {"kind": "terugkom", "title": "T", "from": [source]})[1]["error"]
        == "bad_from_key"
    )
    again = {"code": follow_up["code"], "host_key": follow_up["host_key"]}
    assert (
        api(server.url + "/api/meetings", {"kind": "terugkom", "title": "T", "from": [again]})[1]["error"]
        == "from_not_evening"
    )
    empty = server.create_meeting()
    none = {"code": empty["code"], "host_key": empty["host_key"]}
    assert (
        api(server.url + "/api/meetings", {"kind": "terugkom", "title": "T", "from": [none]})[1]["error"]
        == "no_groups"
    )


def test_a_group_key_opens_its_own_plan_and_nothing_else(server, follow_up, connect):
    code = follow_up["code"]
    green, eating = follow_up["groups"][0], follow_up["groups"][1]
    host = connect(code, "host", follow_up["host_key"])
    projector = connect(code, "projector", follow_up["projector_key"])
    plans, host_groups = listen(projector, "plan"), listen(host, "group")
    group = connect(code, "group", green["key"])
    assert group.state["role"] == "group" and group.state["group"]["theme"] == 1
    assert [m["name"] for m in group.state["group"]["members"]] == ["Anna"]
    assert "status" not in group.state["group"] and "note" not in group.state["group"]
    ack = group.call("plan", fields={"goal": "Meer groen", "first_step": "Buren uitnodigen"})
    assert ack == {"ok": True}
    projector.wait_for(lambda: plans, what="plan")
    assert plans[-1] == {"theme": 1, "plan": {**dict.fromkeys(plans[-1]["plan"], ""), **{
        "goal": "Meer groen", "first_step": "Buren uitnodigen"}}}  # fmt: skip
    # Another group's plan, the host's events, the phone's events: refused.
    assert group.call("plan", theme=2, fields={"goal": "x"}) == {"ok": False, "error": "not_your_group"}
    assert group.call("set_phase", phase="presentations") == {"ok": False, "error": "not_host"}
    assert group.call("agreement", text="x", themes=[1]) == {"ok": False, "error": "not_host"}
    assert group.call("pledge", theme=1, name="X", email="x@example.org", **PLEDGE)["error"] == "not_phone"
    assert group.call("plan", fields={"size": "x"}) == {"ok": False, "error": "bad_field"}
    assert group.call("plan", fields="x") == {"ok": False, "error": "bad_field"}
    # The key opens no screen and no export, and is no key of another group or meeting.
    for role in ("host", "projector", "helper"):
        assert connect_refused(server, code, role, green["key"]) == "bad_key"
    assert connect_refused(server, code, "group", "not-a-key") == "bad_key"
    assert connect_refused(server, code, "group", follow_up["host_key"]) == "bad_key"
    for route in ("bijeenkomst.json", "werkgroepen.csv", "host", "afronden", "verslag"):
        assert get(f"{server.url}/{code}/{route}", bearer(green["key"]))[0] == 403, route
    other = connect(code, "group", eating["key"])
    assert other.state["group"]["theme"] == 2 and other.state["group"]["plan"]["goal"] == ""
    # "Wij willen hulp": the host's call list only.
    assert group.call("ask_help") == {"ok": True}
    host.wait_for(lambda: any(g["status"] == "vraagt_hulp" for g in host_groups), what="group status")
    # The plan is written up to the meeting; the host may change it at any time.
    assert host.call("set_phase", phase="presentations")["ok"]
    assert group.call("plan", fields={"goal": "Later"}) == {"ok": False, "error": "wrong_phase"}
    assert host.call("plan", theme=1, fields={"when": "Voor de zomer"}) == {"ok": True}


def connect_refused(server, code, role, token):
    return refusal(server.url, {"code": code, "role": role, "token": token})


def test_presentations_with_tops_and_questions_moderated_onto_the_beamer_and_the_group(follow_up, connect):
    code = follow_up["code"]
    host = connect(code, "host", follow_up["host_key"])
    projector = connect(code, "projector", follow_up["projector_key"])
    group = connect(code, "group", follow_up["groups"][0]["key"])
    phone = connect(code, "phone")
    assert phone.call("addition", theme=1, text="Mooi plan", kind="top") == {
        "ok": False,
        "error": "wrong_phase",
    }
    assert host.call("set_phase", phase="presentations")["ok"]
    assert host.call("set_phase", phase="topics") == {"ok": False, "error": "bad_phase"}
    assert host.call("set_presenting", theme=1)["ok"]
    projector.wait_for(lambda: projector.state["presenting"] == 1, what="presenting")
    top = phone.call("addition", theme=1, text="Mooi plan", kind="top")
    question = phone.call("addition", theme=1, text="Wie betaalt de planten?", kind="question")
    assert top["ok"] and question["ok"]
    assert phone.call("addition", theme=1, text="x", kind="klacht") == {"ok": False, "error": "bad_kind"}
    assert phone.call("addition", theme=0, text="x", kind="top") == {"ok": False, "error": "unknown_theme"}
    assert phone.call("vote", theme=1, answer="yes") == {"ok": False, "error": "wrong_phase"}
    host.wait_for(lambda: len(host.state["additions"]) == 2, what="two additions")
    assert not [a for a in projector.state["additions"]]  # nothing before the host shows it
    for ack in (top, question):
        assert host.call("moderate", addition=ack["addition"], show=True)["ok"]
    projector.wait_for(lambda: len(projector.state["additions"]) == 2, what="shown")
    group.wait_for(lambda: len([a for a in group.additions if a.get("status") == "shown"]) == 2, what="group")
    kinds = {a["text"]: a["kind"] for a in group.additions}
    assert kinds == {"Mooi plan": "top", "Wie betaalt de planten?": "question"}
    assert host.call("moderate", addition=top["addition"], show=False)["ok"]
    group.wait_for(
        lambda: group.additions[-1] == {**group.additions[-1], "id": top["addition"], "status": "hidden"}
    )
    assert "Mooi plan" not in json.dumps(group.additions[-1])
    assert host.call("set_presenting", theme=None)["ok"]
    assert host.call("set_presenting", theme=99) == {"ok": False, "error": "unknown_theme"}


def test_three_agreements_one_for_two_groups_and_a_newcomer_who_joins(server, follow_up, connect):
    code = follow_up["code"]
    host = connect(code, "host", follow_up["host_key"])
    projector = connect(code, "projector", follow_up["projector_key"])
    phone = connect(code, "phone")
    heard = listen(phone, "agreements")
    assert host.call("agreement", text="x", themes=[1]) == {"ok": False, "error": "wrong_phase"}
    assert host.call("set_phase", phase="agreements")["ok"]
    one = host.call(
        "agreement", text="Samen een plantendag", themes=[1, 2], who="Anna en Cas", due="2026-05-01"
    )
    two = host.call("agreement", text="Buurtapp starten", themes=[2])
    three = host.call("agreement", text="Speeltuin schoonmaken", themes=[3], due="voor de zomer")
    assert (one, two, three) == (
        {"ok": True, "agreement": 1},
        {"ok": True, "agreement": 2},
        {"ok": True, "agreement": 3},
    )
    phone.wait_for(lambda: heard and len(heard[-1]["agreements"]) == 3, what="agreements")
    # A phone never sees names: not the "who" the host typed either; the beamer and host do.
    assert heard[-1]["agreements"][0] == {
        "id": 1,
        "text": "Samen een plantendag",
        "themes": [1, 2],
        "due": "2026-05-01",
    }
    assert (
        connect(code, "projector", follow_up["projector_key"]).state["agreements"][0]["who"] == "Anna en Cas"
    )
    assert "who" not in connect(code, "phone").state["agreements"][0]
    assert host.call("edit_agreement", agreement=2, text="Buurtapp en flyer") == {"ok": True, "agreement": 2}
    assert host.call("remove_agreement", agreement=3) == {"ok": True, "agreement": 3}
    assert host.call("remove_agreement", agreement=3) == {"ok": False, "error": "unknown_agreement"}
    assert host.call("agreement", text="Weer", themes=[3])["agreement"] == 4  # ids are never reused
    for bad, slug in (
        ({"text": "x", "themes": []}, "bad_themes"),
        ({"text": "x", "themes": [9]}, "unknown_theme"),
        ({"text": "", "themes": [1]}, "text_empty"),
        ({"text": "x" * 600, "themes": [1]}, "text_too_long"),
        ({"text": "x", "themes": "1"}, "bad_themes"),
        ({"text": "x", "themes": [1], "due": 5}, "bad_payload"),
    ):
        assert host.call("agreement", **bad) == {"ok": False, "error": slug}, bad
    assert host.call("edit_agreement", agreement="1", text="x") == {"ok": False, "error": "unknown_agreement"}
    assert phone.call("agreement", text="x", themes=[1]) == {"ok": False, "error": "not_host"}
    # A newcomer joins a group, as in the evening; the phone never hears a name.
    ack = phone.call("pledge", theme=3, name="Eva", email="eva@example.org", share=True, **PLEDGE)
    assert ack == {"ok": True}
    assert projector.wait_for(lambda: projector.state["agreements"] or True)
    texts = [a["text"] for a in heard[-1]["agreements"]]
    assert texts == ["Samen een plantendag", "Buurtapp en flyer", "Weer"]
    # The archive holds the agreements and every member, and reads back as a terugkombijeenkomst.
    status, _headers, body = get(f"{server.url}/{code}/bijeenkomst.json", bearer(follow_up["host_key"]))
    doc = json.loads(body)
    assert status == 200 and doc["meeting"]["kind"] == "terugkom" and doc["meeting"]["phase"] == "agreements"
    assert [a["text"] for a in doc["agreements"] if not a["removed"]] == texts
    assert doc["agreements"][0]["themes"] == [1, 2]
    assert [g["origin"]["members"][0]["name"] for g in doc["groups"]] == ["Anna", "Cas", "Dewi"]
    assert [p["name"] for p in doc["pledges"]] == ["Eva"]
    status, copy = post(server.url + "/api/meetings/import", body, {"Content-Type": "application/json"})
    assert (
        status == 201
        and len(copy["groups"]) == 3
        and copy["groups"][0]["key"] != follow_up["groups"][0]["key"]
    )
    again = connect(copy["code"], "host", copy["host_key"])
    assert again.state["kind"] == "terugkom"
    assert [a["text"] for a in again.state["agreements"]] == texts
    assert again.state["groups"][0]["members"][0]["name"] == "Anna"
    assert connect(copy["code"], "group", copy["groups"][0]["key"]).state["group"]["theme"] == 1
    assert connect_refused(server, copy["code"], "group", follow_up["groups"][0]["key"]) == "bad_key"


def test_status_and_call_notes_reach_the_host_only(follow_up, connect):
    code = follow_up["code"]
    host = connect(code, "host", follow_up["host_key"])
    projector = connect(code, "projector", follow_up["projector_key"])
    phone = connect(code, "phone")
    group = connect(code, "group", follow_up["groups"][0]["key"])
    heard = {c: [] for c in (host, projector, phone, group)}
    for client, got in heard.items():
        client.sio.on("group", got.append)
    ack = host.call(
        "set_group_status", theme=1, status="loopt_vast", called_on="2026-04-01", note="Bel Anna terug"
    )
    assert ack == {"ok": True}
    host.wait_for(lambda: heard[host], what="group")
    assert heard[host][-1]["note"] == "Bel Anna terug" and heard[host][-1]["called_on"] == "2026-04-01"
    for bad, slug in (
        ({"theme": 1, "status": "weg"}, "bad_status"),
        ({"theme": 1, "called_on": "morgen"}, "bad_date"),
        ({"theme": 1}, "bad_payload"),
        ({"theme": 7, "status": "loopt"}, "unknown_theme"),
    ):
        assert host.call("set_group_status", **bad) == {"ok": False, "error": slug}, bad
    assert phone.call("set_group_status", theme=1, status="loopt") == {"ok": False, "error": "not_host"}
    assert host.call("set_phase", phase="results")["ok"]
    for client in (projector, phone, group):
        client.wait_for(lambda c=client: c.state["phase"] == "results", what="results")
        seen = json.dumps(client.states) + json.dumps(heard[client])
        assert "Bel Anna terug" not in seen and "loopt_vast" not in seen
    assert "Bel Anna terug" in json.dumps(host.state)


def test_an_evening_refuses_the_new_events_and_says_it_is_an_evening(server, meeting, connect):
    host = connect(meeting["code"], "host", meeting["host_key"])
    assert host.state["kind"] == "avond" and host.state["presenting"] is None
    for event, fields in (
        ("agreement", {"text": "x", "themes": [1]}),
        ("set_presenting", {"theme": 1}),
        ("plan", {"theme": 1, "fields": {"goal": "x"}}),
        ("set_group_status", {"theme": 1, "status": "loopt"}),
    ):
        assert host.call(event, **fields) == {"ok": False, "error": "wrong_kind"}, event
    assert host.call("set_phase", phase="presentations") == {"ok": False, "error": "bad_phase"}
    assert connect_refused(server, meeting["code"], "group", meeting["host_key"]) == "bad_key"


def test_hostile_payloads_get_a_stable_code_never_a_server_error(follow_up, connect):
    code = follow_up["code"]
    host = connect(code, "host", follow_up["host_key"])
    group = connect(code, "group", follow_up["groups"][0]["key"])
    assert host.call("set_phase", phase="agreements")["ok"]
    junk = [None, 1, "x", [], {}, True, 2**70, -1, {"a": 1}, ["x"] * 100, "\ud800"]
    for event, field in (
        ("agreement", "themes"),
        ("agreement", "text"),
        ("edit_agreement", "agreement"),
        ("remove_agreement", "agreement"),
        ("set_presenting", "theme"),
        ("set_group_status", "called_on"),
        ("plan", "fields"),
        ("plan", "theme"),
    ):
        for value in junk:
            base = {"text": "x", "themes": [1], "theme": 1, "agreement": 1, "fields": {"goal": "x"}}
            ack = host.call(event, **{**base, field: value})
            assert ack.get("error") != "server_error", (event, field, value, ack)
    for value in junk:
        ack = group.call("plan", fields={"goal": value})
        assert ack.get("error") != "server_error", (value, ack)
        assert group.call("ask_help", theme=value).get("error") != "server_error"
