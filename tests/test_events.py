"""Every socket event, accepted and refused, against the real server process."""

import pytest
from conftest import refusal


@pytest.fixture
def room(meeting, connect):
    """A meeting with a host, a projector and one phone connected."""
    host = connect(meeting["code"], "host", meeting["host_key"])
    projector = connect(meeting["code"], "projector", meeting["projector_key"])
    phone = connect(meeting["code"], "phone")
    return meeting, host, projector, phone


def to_phase(host, phase):
    assert host.call("set_phase", phase=phase)["ok"]


def row(client, theme):
    return next(r for r in client.tally["themes"] if r["theme"] == theme)


def test_connecting_gives_each_role_its_snapshot(room):
    meeting, host, projector, phone = room
    for c in (host, projector, phone):
        assert c.state["phase"] == "lobby" and c.state["version"] >= 1
        assert [t["title"] for t in c.state["themes"]] == ["Groen in de wijk", "Verkeer", "Samen eten"]
        keys = {"id", "title", "description", "from_addition", "tables", "capacity"}
        assert set(c.state["themes"][0]) == keys
    assert phone.state["token"] and phone.state["mine"]["votes"] == {}
    assert projector.state["join_url"].endswith("/" + meeting["code"])
    assert "token" not in projector.state and "mine" not in projector.state
    assert projector.state["tally"]["participants"] == 0  # it connected before the phone
    projector.wait_for(lambda: projector.tally["participants"] == 1)


@pytest.mark.parametrize(
    "auth, slug",
    [
        ({"code": "ZZZZZ", "role": "phone"}, "unknown_meeting"),
        ({"role": "phone"}, "unknown_meeting"),
        (None, "unknown_meeting"),
    ],
)
def test_a_connection_to_no_meeting_is_refused(server, auth, slug):
    assert refusal(server.url, auth) == slug


def test_a_wrong_key_is_refused_and_the_projector_key_is_not_a_host_key(server, meeting):
    code = meeting["code"]
    assert refusal(server.url, {"code": code, "role": "host", "token": "wrong"}) == "bad_key"
    assert refusal(server.url, {"code": code, "role": "host"}) == "bad_key"
    assert refusal(server.url, {"code": code, "role": "host", "token": meeting["projector_key"]}) == "bad_key"
    assert refusal(server.url, {"code": code, "role": "projector", "token": "x"}) == "bad_key"
    assert refusal(server.url, {"code": code, "role": "judge"}) == "bad_role"
    assert (
        refusal(server.url, {"code": code.lower(), "role": "projector", "token": meeting["projector_key"]})
        is None
    )


def test_a_phone_reconnecting_with_its_token_is_the_same_participant_with_its_answers(room, connect):
    meeting, host, projector, phone = room
    to_phase(host, "recognition")
    assert phone.call("vote", theme=2, answer="partly") == {"ok": True}
    phone.close()
    again = connect(meeting["code"], "phone", phone.token)
    assert again.state["mine"]["votes"] == {"2": "partly"}
    assert again.state["phase"] == "recognition"
    projector.wait_for(lambda: projector.tally["participants"] == 1)


def test_every_screen_follows_a_phase_change(room):
    meeting, host, projector, phone = room
    ack = host.call("set_phase", phase="topics")
    assert ack["ok"] and ack["phase"] == "topics"
    for c in (host, projector, phone):
        c.wait_for(lambda c=c: c.state["phase"] == "topics", what="phase")
        assert c.state["version"] == ack["version"]


def test_the_host_can_go_back_to_an_earlier_phase(room):
    meeting, host, projector, phone = room
    to_phase(host, "results")
    to_phase(host, "recognition")
    phone.wait_for(lambda: phone.state["phase"] == "recognition")


def test_a_vote_reaches_the_projector_tally_and_can_be_changed(room):
    meeting, host, projector, phone = room
    to_phase(host, "recognition")
    assert phone.call("vote", theme=1, answer="yes") == {"ok": True}
    projector.wait_for(lambda: row(projector, 1)["yes"] == 1, what="tally")
    assert phone.call("vote", theme=1, answer="no") == {"ok": True}
    projector.wait_for(lambda: row(projector, 1)["no"] == 1 and row(projector, 1)["yes"] == 0)
    host.wait_for(lambda: row(host, 1)["no"] == 1)


def test_a_resent_message_id_is_counted_once(room):
    meeting, host, projector, phone = room
    to_phase(host, "recognition")
    payload = {"id": "same-id", "theme": 3, "answer": "yes"}
    assert phone.call("vote", payload) == {"ok": True}
    assert phone.call("vote", payload) == {"ok": True}
    other = {"id": "same-id", "theme": 3, "answer": "no"}
    assert phone.call("vote", other) == {"ok": True}  # a duplicate id gets the first ack
    projector.wait_for(lambda: row(projector, 3)["yes"] == 1)
    assert row(projector, 3)["no"] == 0


@pytest.mark.parametrize(
    "event, fields, phase, slug",
    [
        ("vote", {"theme": 1, "answer": "yes"}, "lobby", "wrong_phase"),
        ("vote", {"theme": 99, "answer": "yes"}, "recognition", "unknown_theme"),
        ("vote", {"theme": 1, "answer": "ja"}, "recognition", "bad_answer"),
        ("addition", {"theme": 1, "text": "x" * 501}, "recognition", "text_too_long"),
        ("addition", {"theme": 1, "text": ""}, "recognition", "text_empty"),
        ("addition", {"theme": 1, "text": "hoi"}, "topics", "wrong_phase"),
        ("choose", {"theme": 1}, "recognition", "wrong_phase"),
        ("choose", {"theme": 0}, "topics", "unknown_theme"),
        (
            "pledge",
            {"theme": 1, "role": "lead", "name": "A", "email": "a@b.nl", "consent": False},
            "pledges",
            "consent_required",
        ),
        (
            "pledge",
            {"theme": 1, "role": "lead", "name": "A", "email": "nee", "consent": True},
            "pledges",
            "bad_email",
        ),
        (
            "pledge",
            {"theme": 1, "role": "lead", "name": "A", "phone": "0612", "consent": True},
            "pledges",
            "bad_phone",
        ),
        ("pledge", {"theme": 1, "role": "lead", "name": "A", "consent": True}, "pledges", "contact_required"),
        (
            "pledge",
            {"theme": 1, "role": "lead", "name": "A", "email": "a@b.nl", "consent": True},
            "topics",
            "wrong_phase",
        ),
    ],
)
def test_a_refused_phone_action_says_why_and_changes_nothing(room, event, fields, phase, slug):
    meeting, host, projector, phone = room
    to_phase(host, phase)
    assert phone.call(event, **fields) == {"ok": False, "error": slug}
    phone.close()
    host.call("set_phase", phase="results")
    projector.wait_for(lambda: projector.state["phase"] == "results")
    tally = projector.state["tally"]
    assert all(r[k] == 0 for r in tally["themes"] for k in ("yes", "partly", "no", "chosen", "pledged"))
    assert projector.state["additions"] == []


@pytest.mark.parametrize(
    "payload",
    [None, "vote", 5, [1, 2], {"theme": 1, "answer": "yes"}, {"id": {"x": 1}, "theme": 1}, {"id": "x" * 100}],
)
def test_a_malformed_payload_is_refused_and_the_connection_stays(room, payload):
    meeting, host, projector, phone = room
    to_phase(host, "recognition")
    ack = phone.sio.call("vote", payload, timeout=5)
    assert ack["ok"] is False and ack["error"] in ("bad_payload", "bad_id")
    assert phone.call("vote", theme=1, answer="yes") == {"ok": True}


def test_a_phone_cannot_call_host_events(room):
    meeting, host, projector, phone = room
    assert phone.call("set_phase", phase="results") == {"ok": False, "error": "not_host"}
    assert phone.call("moderate", addition=1, show=True) == {"ok": False, "error": "not_host"}
    assert projector.call("set_phase", phase="results") == {"ok": False, "error": "not_host"}
    assert host.call("vote", theme=1, answer="yes") == {"ok": False, "error": "not_phone"}
    assert phone.call("no_such_event") == {"ok": False, "error": "unknown_event"}
    assert host.call("set_phase", phase="party") == {"ok": False, "error": "bad_phase"}


def test_an_addition_waits_for_the_host_before_the_projector_shows_it(room):
    meeting, host, projector, phone = room
    to_phase(host, "recognition")
    text = '<img src=x onerror="alert(1)"> meer bankjes'
    ack = phone.call("addition", theme=1, text=text)
    assert ack["ok"] and isinstance(ack["addition"], int)
    host.wait_for(lambda: any(a["text"] == text for a in host.state["additions"]), what="queue")
    assert projector.state["additions"] == []
    assert host.call("moderate", addition=ack["addition"], show=True) == {"ok": True}
    projector.wait_for(lambda: [a["text"] for a in projector.state["additions"]] == [text])
    assert host.call("moderate", addition=ack["addition"], show=False) == {"ok": True}
    projector.wait_for(lambda: projector.state["additions"] == [])
    assert host.call("moderate", addition=987654, show=True) == {"ok": False, "error": "unknown_addition"}


def test_choices_and_pledges_show_as_counts_never_names(room):
    meeting, host, projector, phone = room
    to_phase(host, "topics")
    assert phone.call("choose", theme=2) == {"ok": True}
    assert phone.call("choose", theme=3) == {"ok": True}
    to_phase(host, "pledges")
    ack = phone.call("pledge", theme=3, role="member", name="Wim de Vries", phone="0612345678", consent=True)
    assert ack == {"ok": True}
    projector.wait_for(lambda: row(projector, 3)["pledged"] == 1)
    assert row(projector, 3)["chosen"] == 1 and row(projector, 2)["chosen"] == 0
    assert "Wim" not in repr(projector.states + projector.tallies)
    assert "Wim" not in repr(host.states + host.tallies)


def test_a_browser_may_connect_with_its_key_cookie_and_a_host_cookie_opens_the_beamer(server, meeting):
    import socketio as sio_module

    code = meeting["code"]
    cases = [
        ("host", f"host_{code}={meeting['host_key']}", True),
        ("projector", f"projector_{code}={meeting['projector_key']}", True),
        ("projector", f"host_{code}={meeting['host_key']}", True),
        ("host", f"projector_{code}={meeting['projector_key']}", False),
    ]
    for role, cookie, accepted in cases:
        client = sio_module.Client(reconnection=False)
        try:
            client.connect(
                server.url,
                auth={"code": code, "role": role},
                headers={"Cookie": cookie},
                transports=["websocket"],
                wait_timeout=5,
            )
        except sio_module.exceptions.ConnectionError:
            assert not accepted, (role, cookie)
        else:
            assert accepted, (role, cookie)
            client.disconnect()


def test_a_repeated_choose_id_without_a_theme_gets_its_first_ack_and_the_phone_keeps_working(room):
    """A dishonest or confused client resends a saved message id with a payload that lacks `theme`."""
    meeting, host, projector, phone = room
    to_phase(host, "topics")
    first = phone.call("choose", {"id": "c-1", "theme": 2})
    assert first["ok"]
    assert phone.call("choose", {"id": "c-1"}) == first
    assert phone.call("choose", {"id": "c-1", "theme": "x"}) == first
    assert phone.call("choose", {"id": "c-2", "theme": 3})["ok"]
    chosen = lambda: [r["chosen"] for r in projector.tally["themes"] if r["theme"] in (2, 3)]  # noqa: E731
    projector.wait_for(lambda: chosen() == [0, 1])


def test_an_id_used_before_by_another_event_gets_that_first_ack_and_breaks_nothing(room):
    """Message ids are the client's: one reused across events replays the first ack, and the
    server neither crashes on the missing fields of that ack nor acts a second time."""
    meeting, host, projector, phone = room
    to_phase(host, "recognition")
    first = phone.call("vote", {"id": "same", "theme": 1, "answer": "yes"})
    assert first == {"ok": True}
    assert phone.call("addition", {"id": "same", "theme": 1, "text": "Meer bankjes"}) == first
    assert phone.call("addition", {"id": "other", "theme": 1, "text": "Meer bomen"})["ok"]
    host.wait_for(lambda: [a["text"] for a in host.state["additions"]] == ["Meer bomen"], what="one addition")
    to_phase(host, "topics")
    assert phone.call("note", {"id": "same", "theme": 1, "field": "how", "text": "x"}) == first
    assert phone.call("choose", {"id": "pick", "theme": 1})["ok"]
    assert phone.call("note", {"id": "pick", "theme": 1, "field": "how", "text": "x"})["ok"]
