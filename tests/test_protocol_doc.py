"""docs/protocol.md (and README.md, docs/export.md) read as an outside client would: every documented
HTTP route and Socket.IO event, for every role, with the shapes, acks, slugs, status codes, headers
and server-to-client messages the docs promise. Written from the docs; where the server and the
docs disagreed, one of them was fixed and the test here holds it."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import socketio
from conftest import Client, api, get, own_server, refusal

ALPHABET = set("ACDEFGHJKMNPQRTUVWXY34679")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

# The request body of "Creating a meeting", copied literally from docs/protocol.md.
DOC_EXAMPLE = """{"title": "Dorpsavond Ee", "place": "Dorpshuis", "date": "12 maart",
 "themes": ["Groen in de wijk", {"title": "Verkeer", "description": "Te hard rijden"}]}"""


def post(url: str, body: bytes, headers=None):
    """POST raw bytes without following redirects: (status, headers, body)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST")
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def cookies(headers) -> dict:
    """Set-Cookie headers by cookie name (the whole header line as value)."""
    return {line.split("=", 1)[0]: line for line in headers.get_all("Set-Cookie") or []}


@pytest.fixture
def doc_meeting(server):
    """A meeting made from the docs' own example body, sent byte for byte."""
    status, _, body = post(
        server.url + "/api/meetings", DOC_EXAMPLE.encode(), {"Content-Type": "application/json"}
    )
    assert status == 201
    return json.loads(body)


@pytest.fixture
def room(doc_meeting, connect):
    """The docs' meeting with a host, a projector, a helper and two phones connected."""
    m = doc_meeting
    host = connect(m["code"], "host", m["host_key"])
    projector = connect(m["code"], "projector", m["projector_key"])
    helper = connect(m["code"], "helper", m["helper_key"])
    phones = [connect(m["code"], "phone") for _ in range(2)]
    return m, host, projector, helper, phones


def row(tally: dict, theme: int) -> dict:
    return tally["whole"] if theme == 0 else next(r for r in tally["themes"] if r["theme"] == theme)


# -- HTTP ---------------------------------------------------------------------------------------


def test_the_create_example_from_the_docs_answers_201_with_every_documented_field(server, doc_meeting):
    m = doc_meeting
    expected = {"code", "join_url", "join_link", "host_url", "projector_url", "host_key", "projector_key"}
    assert expected | {"helper_url", "helper_key"} <= set(m)
    assert len(m["code"]) == 5 and set(m["code"]) <= ALPHABET
    assert m["join_url"] == f"{server.url}/{m['code']}"
    ticket = m["join_link"].split("?t=", 1)[1]
    assert m["join_link"] == f"{m['join_url']}?t={ticket}" and len(ticket) == 16
    assert m["host_url"] == f"{server.url}/{m['code']}/host?key={m['host_key']}"
    assert m["projector_url"] == f"{server.url}/{m['code']}/beamer?key={m['projector_key']}"
    assert m["helper_url"] == f"{server.url}/{m['code']}/helper?key={m['helper_key']}"
    for key in ("host_key", "projector_key", "helper_key"):
        assert len(m[key]) * 6 >= 192, "keys carry 192 random bits"
    # The answer holds keys: never cached.
    status, headers, _ = post(
        server.url + "/api/meetings", DOC_EXAMPLE.encode(), {"Content-Type": "application/json"}
    )
    assert status == 201 and "no-store" in headers["Cache-Control"]


@pytest.mark.parametrize(
    "body, status, slug",
    [
        ({"title": "x", "themes": ["a"], "held_on": "12-03-2026"}, 400, "bad_date"),
        ({"title": "x", "themes": ["a"] * 41}, 400, "too_many_themes"),
        ({"title": "x", "themes": ["a" * 121]}, 400, "text_too_long"),
        ({"title": "x", "themes": [{"title": "a", "description": "d" * 401}]}, 400, "text_too_long"),
        ([1, 2], 400, "bad_payload"),
    ],
)
def test_bad_create_input_gets_the_documented_error_shape(server, body, status, slug):
    got_status, got = api(server.url + "/api/meetings", body)
    assert got_status == status
    assert got["ok"] is False and got["error"] == slug and got["message"]


def test_oversized_and_deeply_nested_bodies_get_413_and_400_as_json(server):
    status, _, body = post(
        server.url + "/api/meetings", b"x" * (257 * 1024), {"Content-Type": "application/json"}
    )
    assert status == 413 and json.loads(body)["error"] == "too_large"
    status, _, body = post(
        server.url + "/api/meetings", b"[" * 5000 + b"]" * 5000, {"Content-Type": "application/json"}
    )
    assert status == 400 and json.loads(body) == {
        "ok": False,
        "error": "bad_payload",
        "message": json.loads(body)["message"],
    }


def test_the_start_form_sets_the_host_cookie_and_sends_the_host_to_keep_the_link(server):
    body = urllib.parse.urlencode(
        {
            "title": "Avond",
            "place": "",
            "date": "",
            "held_on": "2026-05-01",
            "themes": "Groen: meer bomen\nVerkeer",
        }
    ).encode()
    status, headers, _ = post(server.url + "/", body, FORM)
    assert status == 303
    match = re.fullmatch(r"/([A-Z0-9]{5})/host#link-bewaren", headers["Location"])
    assert match, headers["Location"]
    code = match.group(1)
    host_cookie = cookies(headers)[f"host_{code}"]
    key = host_cookie.split("=", 1)[1].split(";", 1)[0]
    assert get(f"{server.url}/{code}/host", {"Cookie": f"host_{code}={key}"})[0] == 200
    archive = json.loads(get(f"{server.url}/{code}/bijeenkomst.json", {"Cookie": f"host_{code}={key}"})[2])
    assert archive["meeting"]["held_on"] == "2026-05-01"
    host = Client(server.url, code, "host", key)
    try:
        themes = [(t["title"], t["description"]) for t in host.state["themes"]]
        assert themes == [("Groen", "meer bomen"), ("Verkeer", "")], "one per line, `Titel: uitleg`"
    finally:
        host.close()


def test_a_refused_start_form_answers_the_start_page_with_the_dutch_sentence_and_keeps_the_input(server):
    body = urllib.parse.urlencode({"title": "Mijn avond", "themes": ""}).encode()
    status, _, page = post(server.url + "/", body, FORM)
    assert status == 400 and b'role="alert"' in page and b"Mijn avond" in page
    assert "Vul minstens één thema in." in page.decode()
    status, headers, page = post(server.url + "/", b"title=" + b"x" * (257 * 1024), FORM)
    assert status == 413 and "text/html" in headers["Content-Type"] and b'lang="nl"' in page


def test_join_and_the_phone_page_follow_the_code_the_ticket_and_the_language(server, doc_meeting):
    code, url = doc_meeting["code"], server.url
    status, headers, _ = get(f"{url}/join?code={code.lower()}")
    assert 300 <= status < 400 and headers["Location"].endswith(f"/{code}")
    assert get(f"{url}/join?code=QQQQQ")[0] == 404
    status, headers, _ = get(f"{url}/{code.lower()}")
    assert 300 <= status < 400 and headers["Location"].endswith(f"/{code}")
    status, headers, page = get(doc_meeting["join_link"])
    ticket = doc_meeting["join_link"].split("?t=")[1]
    assert status == 200 and f"join_{code}={ticket}" in cookies(headers)[f"join_{code}"]
    assert b'lang="nl"' in page
    status, headers, page = get(f"{url}/{code}?lang=ar")
    assert status == 200 and b'lang="ar" dir="rtl"' in page and "lang=ar" in cookies(headers)["lang"]
    # The cookie alone keeps the language; host and beamer stay Dutch and ignore both.
    assert b'lang="en"' in get(f"{url}/{code}", {"Cookie": "lang=en"})[2]
    host_page = get(f"{url}/{code}/host?lang=en", {**bearer(doc_meeting["host_key"]), "Cookie": "lang=en"})[2]
    assert b'lang="nl"' in host_page
    assert b'lang="en"' in get(f"{url}/join?code=QQQQQ&lang=en")[2]
    for screen in ("helper", "papier"):
        page = get(f"{url}/{code}/{screen}?lang=tr", bearer(doc_meeting["helper_key"]))[2]
        assert b'lang="tr"' in page, screen
    beamer = get(
        f"{url}/{code}/beamer?lang=en", {**bearer(doc_meeting["projector_key"]), "Cookie": "lang=en"}
    )[2]
    assert b'lang="nl"' in beamer


def test_key_links_move_the_key_into_an_httponly_lax_cookie_and_redirect_303(server, doc_meeting):
    m, url = doc_meeting, server.url
    code = m["code"]
    for path, key, cookie in [
        ("beamer", m["projector_key"], f"projector_{code}"),
        ("beamer", m["host_key"], f"projector_{code}"),
        ("host", m["host_key"], f"host_{code}"),
        ("helper", m["helper_key"], f"helper_{code}"),
        ("helper", m["host_key"], f"helper_{code}"),
    ]:
        status, headers, _ = get(f"{url}/{code}/{path}?key={key}")
        assert status == 303 and headers["Location"].endswith(f"/{code}/{path}"), (path, status)
        line = cookies(headers)[cookie]
        assert "HttpOnly" in line and "SameSite=Lax" in line
        assert get(f"{url}/{code}/{path}", {"Cookie": f"{cookie}={key}"})[0] == 200
    for path, key in [("host", m["projector_key"]), ("beamer", "wrong"), ("helper", m["projector_key"])]:
        assert get(f"{url}/{code}/{path}?key={key}")[0] == 403
    assert get(f"{url}/QQQQQ/host?key={m['host_key']}")[0] == 404


def test_every_host_route_answers_403_without_the_key_and_its_format_with_it(server, doc_meeting):
    m, url = doc_meeting, server.url
    code = m["code"]
    routes = {
        "host/qr.svg": "image/svg+xml",
        "helper/qr.svg": "image/svg+xml",
        "werkgroepen.csv": "text/csv",
        "werkgroepen.csv?thema=1": "text/csv",
        "werkgroepen.xlsx": "spreadsheetml",
        "werkgroepen.xlsx?thema=1": "spreadsheetml",
        "afronden": "text/html",
        "werkgroep/1": "text/html",
        "verslag": "text/html",
        "verslag.xlsx": "spreadsheetml",
        "bijeenkomst.json": "application/json",
        "affiche": "text/html",
        "tafelkaartjes": "text/html",
    }
    for route, kind in routes.items():
        for wrong in ({}, bearer(m["projector_key"]), bearer(m["helper_key"])):
            assert get(f"{url}/{code}/{route}", wrong)[0] == 403, route
        status, headers, _ = get(f"{url}/{code}/{route}", bearer(m["host_key"]))
        assert status == 200 and kind in headers["Content-Type"], route
        assert "no-store" in headers["Cache-Control"], route
        assert get(f"{url}/QQQQQ/{route}", bearer(m["host_key"]))[0] == 404, route
    # Public: the join QR and the health check.
    status, headers, svg = get(f"{url}/{code}/qr.svg")
    assert status == 200 and "image/svg+xml" in headers["Content-Type"] and svg.lstrip().startswith(b"<")
    status, _, body = get(f"{url}/healthz")
    assert status == 200 and json.loads(body) == {"ok": True}
    # The helper screen and the paper form take the helper or the host key.
    for key in (m["helper_key"], m["host_key"]):
        for route in ("helper", "papier"):
            assert get(f"{url}/{code}/{route}", bearer(key))[0] == 200
    assert "no-store" in get(f"{url}/{code}/helper", bearer(m["helper_key"]))[1]["Cache-Control"]
    assert get(f"{url}/{code}/werkgroep/1/afspraak.ics", bearer(m["host_key"]))[0] == 404
    # The Wi-Fi QR: host or projector; 404 while the meeting has no Wi-Fi.
    for key in (m["host_key"], m["projector_key"]):
        assert get(f"{url}/{code}/wifi.svg", bearer(key))[0] == 404
    for wrong in ({}, bearer(m["helper_key"])):
        assert get(f"{url}/{code}/wifi.svg", wrong)[0] == 403


def test_the_hand_off_forms_act_for_the_host_and_the_export_imports_again(server, doc_meeting):
    m, url = doc_meeting, server.url
    code, host = m["code"], bearer(m["host_key"])
    form = {**FORM, **host}
    status, headers, _ = post(f"{url}/{code}/datum", b"held_on=2026-03-13&retention_days=30", form)
    assert status == 303 and headers["Location"].endswith(f"/{code}/afronden")
    status, headers, _ = post(
        f"{url}/{code}/werkgroep/1", b"date=2026-04-02&time=19:30&place=Dorpshuis", form
    )
    assert status == 303 and headers["Location"].endswith(f"/{code}/werkgroep/1")
    status, headers, ics = get(f"{url}/{code}/werkgroep/1/afspraak.ics", host)
    assert status == 200 and "text/calendar" in headers["Content-Type"] and b"BEGIN:VCALENDAR" in ics
    # A foreign page may not, even with the cookie.
    foreign = {**FORM, "Cookie": f"host_{code}={m['host_key']}", "Origin": "http://evil.example"}
    assert post(f"{url}/{code}/datum", b"held_on=2026-03-14", foreign)[0] == 403
    exported = get(f"{url}/{code}/bijeenkomst.json", host)[2]
    archive = json.loads(exported)
    assert archive["format"] == "burgerkracht-live/meeting" and archive["meeting"]["held_on"] == "2026-03-13"
    status, _, body = post(f"{url}/api/meetings/import", exported, {"Content-Type": "application/json"})
    copy = json.loads(body)
    assert status == 201 and copy["host_key"] != m["host_key"] and copy["join_url"].endswith(copy["code"])
    assert (
        post(f"{url}/api/meetings/import", b'{"format": "x"}', {"Content-Type": "application/json"})[0] == 400
    )


def test_the_archive_example_in_export_md_names_every_field_and_imports_as_it_reads(server):
    """docs/export.md's version-2 example: every field of the format is in it (no more, no
    fewer), it imports, and exported again it is the same file."""
    from pathlib import Path

    from live.exports import archive

    text = (Path(__file__).resolve().parent.parent / "docs" / "export.md").read_text()
    block = re.search(r"## The whole meeting as JSON.*?```json\n(.*?)```", text, re.S).group(1)
    example = json.loads(block)
    assert (example["format"], example["version"]) == (archive.FORMAT, archive.VERSION)
    assert set(example) == {*archive.ENVELOPE, "meeting", *archive.DOCUMENT_LISTS}
    for name, fields in archive.FIELDS.items():
        rows = [example["meeting"]] if name == "meeting" else example[name]
        assert rows and all(set(row) == set(fields) for row in rows), name
    # The example's day is long past: kept for ten years, so the server erases nothing meanwhile.
    example["meeting"]["retention_days"] = 3650
    status, made = api(server.url + "/api/meetings/import", example)
    assert status == 201, made
    exported = json.loads(get(f"{server.url}/{made['code']}/bijeenkomst.json", bearer(made["host_key"]))[2])
    example["meeting"]["code"] = made["code"]  # taken on this server by another test: a new one
    assert {**exported, "exported_at": 0} == {**example, "exported_at": 0}


def test_deleting_needs_the_code_again_and_open_connections_are_told_the_meeting_is_gone(
    server, doc_meeting, connect
):
    m, url = doc_meeting, server.url
    code = m["code"]
    host = connect(code, "host", m["host_key"])
    phone = connect(code, "phone")
    form = {**FORM, **bearer(m["host_key"])}
    assert post(f"{url}/{code}/verwijderen", b"confirm=WRONG", form)[0] == 400
    assert host.call("set_phase", phase="recognition")["ok"]
    for answer in ("yes", "no", "partly"):  # leaves a coalesced tally waiting when the meeting goes
        assert phone.call("vote", theme=1, answer=answer)["ok"]
    status, _, page = post(f"{url}/{code}/verwijderen", f"confirm={code.lower()}".encode(), form)
    assert status == 200 and b'lang="nl"' in page
    assert host.call("set_phase", phase="recognition") == {"ok": False, "error": "unknown_meeting"}
    assert phone.call("vote", theme=1, answer="yes") == {"ok": False, "error": "unknown_meeting"}
    assert get(f"{url}/{code}", {})[0] == 410  # gone: its code is never given out again
    # The tally still waiting finds the meeting gone and sends nothing, instead of failing.
    time.sleep(0.3)
    assert "update for a meeting failed" not in server.log()


def test_jsonp_polling_is_not_offered(server):
    assert get(server.url + "/socket.io/?EIO=4&transport=polling&j=1")[0] == 400


# -- Socket.IO: connecting ----------------------------------------------------------------------


def test_a_refused_connection_names_its_reason(server, doc_meeting):
    m, url = doc_meeting, server.url
    code = m["code"]
    assert refusal(url, {"code": "QQQQQ", "role": "phone"}) == "unknown_meeting"
    assert refusal(url, {"code": code, "role": "judge"}) == "bad_role"
    assert refusal(url, {"code": code, "role": "host", "token": m["projector_key"]}) == "bad_key"
    assert refusal(url, {"code": code, "role": "projector"}) == "bad_key"
    assert refusal(url, {"code": code, "role": "helper", "token": m["projector_key"]}) == "bad_key"
    # Case-insensitive codes; the host key opens the projector and the helper too.
    assert refusal(url, {"code": code.lower(), "role": "projector", "token": m["host_key"]}) is None
    assert refusal(url, {"code": code, "role": "helper", "token": m["host_key"]}) is None
    # Only pages of our own origin may connect; long-polling works like a websocket.
    foreign = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        foreign.connect(
            url,
            auth={"code": code, "role": "phone"},
            headers={"Origin": "http://evil.example"},
            transports=["websocket"],
            wait_timeout=5,
        )
    polling, states = socketio.Client(reconnection=False), []
    polling.on("state", states.append)
    polling.connect(url, auth={"code": code, "role": "phone"}, transports=["polling"], wait_timeout=5)
    try:
        deadline = time.monotonic() + 5
        while not states and time.monotonic() < deadline:
            time.sleep(0.05)
        assert states and states[0]["role"] == "phone" and states[0]["token"]
    finally:
        polling.disconnect()


def test_each_role_gets_the_snapshot_the_docs_describe(room):
    m, host, projector, helper, (phone, _) = room
    public = {
        "code",
        "title",
        "place",
        "date",
        "phase",
        "version",
        "role",
        "themes",
        "pace",
        "results",
        "full",
        "choices_locked",
        "merged",
    }
    for client, role in ((host, "host"), (projector, "projector"), (helper, "helper"), (phone, "phone")):
        state = client.state
        assert public <= set(state) and state["role"] == role
        assert (state["title"], state["place"], state["date"]) == ("Dorpsavond Ee", "Dorpshuis", "12 maart")
        assert state["phase"] == "lobby" and state["pace"] == {"mode": "all", "theme": None}
        assert state["results"] == {"hidden": False, "themes": []}
        assert [(t["id"], t["title"], t["description"], t["from_addition"]) for t in state["themes"]] == [
            (1, "Groen in de wijk", "", None),
            (2, "Verkeer", "Te hard rijden", None),
        ]
        assert all(t["tables"] == [] and t["capacity"] is None for t in state["themes"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,64}", phone.state["token"])
    mine = phone.state["mine"]
    assert {"votes", "choice", "table", "pledge", "pledges", "additions", "notes"} <= set(mine)
    for screen in (host, projector):
        assert {"tally", "additions", "additions_version", "cards", "join_url"} <= set(screen.state)
        assert screen.state["join_url"] == m["join_url"]
        assert "token" not in screen.state and "mine" not in screen.state
    for screen in (host, projector):
        assert screen.state["wifi"] is None and screen.state["welcome"] is False
    for client in (phone, helper):
        assert "wifi" not in client.state and "welcome" not in client.state
    assert {"additions_total", "additions_counts"} <= set(host.state)
    assert set(host.state["additions_counts"]) == {"pending", "shown", "hidden", "promoted", "merged"}
    for private in ("tally", "cards", "token", "mine", "join_url"):
        assert private not in helper.state
    # Phones and helpers see the shown additions (to tap "Dat herken ik ook"), without counts.
    for screen in (phone, helper):
        assert all(set(a) == {"id", "theme", "text", "status"} for a in screen.state["additions"])


def test_a_host_screen_connecting_asks_the_beamer_what_it_shows(room, connect):
    m, host, projector, *_ = room
    asked = []
    projector.sio.on("report_view", asked.append)
    connect(m["code"], "host", m["host_key"])
    projector.wait_for(lambda: asked, what="report_view")
    assert asked[0] == {}
    assert projector.call("showing", additions=[], page=0, pages=0) == {"ok": True}
    view = host.wait_for(lambda: host.views and host.views[-1], what="projector_view")
    assert {"additions": [], "page": 0, "pages": 0}.items() <= view.items() and isinstance(view["at"], int)
    # What a beamer sees whole, its screen of all and the first theme of each screen.
    full = {
        "additions": [],
        "page": 0,
        "pages": 0,
        "themes": [1, 2],
        "screen": 1,
        "screens": 2,
        "starts": [1, 0],
    }
    assert projector.call("showing", **full) == {"ok": True}
    view = host.wait_for(lambda: host.views[-1].get("screens") and host.views[-1], what="screens")
    assert full.items() <= view.items()
    for bad in ({"starts": [1]}, {"screen": 3}, {"themes": [-1]}, {"themes": None}):
        assert projector.call("showing", **{**full, **bad}) == {"ok": False, "error": "bad_payload"}
    assert not any(c.views for c in room[4]) and not projector.views and not room[3].views


def test_a_phone_token_brings_back_the_same_participant_with_its_answers(room, server, connect):
    m, host, projector, helper, (phone, _) = room
    assert host.call("set_phase", phase="recognition")["ok"]
    assert phone.call("vote", theme=1, answer="partly") == {"ok": True}
    token = phone.token
    projector.wait_for(lambda: projector.tally["participants"] == 2)
    phone.close()
    again = connect(m["code"], "phone", token)
    assert again.state["token"] == token and again.state["mine"]["votes"] == {"1": "partly"}
    # A well-formed token the server never handed out is a new participant.
    fresh = connect(m["code"], "phone", "A" * 22)
    assert fresh.state["mine"]["votes"] == {}
    projector.wait_for(lambda: projector.tally["participants"] == 3, what="each token counted once")
    # The ticket in auth is accepted too.
    assert (
        refusal(server.url, {"code": m["code"], "role": "phone", "ticket": m["join_link"].split("?t=")[1]})
        is None
    )


# -- Socket.IO: the evening, phone by phone ------------------------------------------------------


def test_a_phase_change_reaches_every_role_as_a_versioned_state_without_the_phone_secrets(room):
    m, host, projector, helper, (phone, other) = room
    before = phone.state["version"]
    ack = host.call("set_phase", phase="recognition")
    assert ack == {"ok": True, "phase": "recognition", "version": ack["version"]} and ack["version"] > before
    for c in (host, projector, helper, phone, other):
        c.wait_for(lambda c=c: c.state["phase"] == "recognition", what=f"{c.role} phase")
        assert c.state["version"] == ack["version"]
    assert "token" not in phone.state and "mine" not in phone.state
    assert host.call("set_phase", phase="Recognition") == {"ok": False, "error": "bad_phase"}


def test_votes_additions_and_moderation_reach_host_and_beamer_as_the_docs_say(room, server):
    m, host, projector, helper, (phone, other) = room
    assert host.call("set_phase", phase="recognition")["ok"]
    assert phone.call("vote", theme=1, answer="yes") == {"ok": True}
    assert other.call("vote", theme=0, answer="no") == {"ok": True}
    assert phone.call("vote", theme=1, answer="partly") == {"ok": True}  # replaces
    assert host.call("manual_count", theme=1, answer="yes", count=7) == {"ok": True}
    assert host.call("manual_count", theme=1, answer="yes", count=5) == {"ok": True}  # replaces
    for screen in (host, projector):
        # `answered` is yes + partly + no: phones and raised hands together.
        screen.wait_for(lambda s=screen: row(s.tally, 1)["answered"] == 6 and row(s.tally, 1)["yes"] == 5)
        tally = screen.tally
        assert {"version", "at", "participants", "themes", "whole", "origins"} <= set(tally)
        assert [r["theme"] for r in tally["themes"]] == [1, 2] and tally["whole"]["theme"] == 0
        one = row(tally, 1)
        assert (one["yes"], one["partly"], one["no"]) == (5, 1, 0)
        assert one["sources"] == {
            "phones": {"yes": 0, "partly": 1, "no": 0},
            "hands": {"yes": 5, "partly": 0, "no": 0},
        }
        assert row(tally, 0)["no"] == 1 and tally["participants"] == 2
        assert tally["origins"] == {"phone": 2, "paper": 0, "helper": 0}
    states_before = (len(host.states), len(projector.states))
    ack = phone.call("addition", theme=1, text="Meer bankjes")
    assert ack == {"ok": True, "addition": ack["addition"], "text": "Meer bankjes"}
    aid = ack["addition"]
    news = host.wait_for(lambda: [a for a in host.additions if a["id"] == aid], what="addition to host")[0]
    assert news == {
        "id": aid,
        "theme": 1,
        "text": "Meer bankjes",
        "status": "pending",
        "endorsements": 0,
        "version": news["version"],
    }
    assert news["version"] >= host.state["additions_version"]
    counts = host.wait_for(lambda: host.counts and host.counts[-1]["pending"] == 1 and host.counts[-1])
    assert {"version", "total", "pending", "shown", "hidden", "promoted", "merged"} <= set(counts)
    assert not projector.additions, "pending text never reaches the beamer"
    assert host.call("moderate", addition=aid, show=True) == {"ok": True}
    shown = projector.wait_for(lambda: projector.additions and projector.additions[-1])
    assert shown == {
        "id": aid,
        "theme": 1,
        "text": "Meer bankjes",
        "status": "shown",
        "endorsements": 0,
        "version": shown["version"],
    }
    assert host.call("moderate", addition=aid, show=False) == {"ok": True}
    gone = projector.wait_for(
        lambda: projector.additions[-1]["status"] == "hidden" and projector.additions[-1]
    )
    assert gone == {"id": aid, "theme": 1, "status": "hidden", "version": gone["version"]}
    assert gone["version"] > shown["version"]
    assert host.call("moderate", addition=999, show=True) == {"ok": False, "error": "unknown_addition"}
    assert (len(host.states), len(projector.states)) == states_before, "additions never send a state"
    # Tallies and counts go to the screens that show them, never to phones or the helper.
    assert not (phone.tallies or other.tallies or helper.tallies) and not (projector.counts or phone.counts)
    # Phones and helpers hear that it left the beamer, never its text.
    for screen in (phone, helper):
        heard = screen.wait_for(lambda s=screen: [a for a in s.additions if a["status"] == "hidden"])
        assert heard == [{"id": aid, "theme": 1, "status": "hidden", "version": gone["version"]}]
        assert [a for a in screen.additions if a["status"] == "shown"] == [
            {"id": aid, "theme": 1, "text": "Meer bankjes", "status": "shown", "version": shown["version"]}
        ]
    assert host.call("moderate", addition=aid, show=True) == {"ok": True}
    hidden = phone.call("addition", theme=2, text="Niet voor de beamer")["addition"]
    assert host.call("moderate", addition=hidden, show=False) == {"ok": True}
    beamer = Client(server.url, m["code"], "projector", m["projector_key"])
    try:  # a beamer that connects now: only the shown additions, oldest first, never hidden text
        assert beamer.state["additions"] == [
            {"id": aid, "theme": 1, "text": "Meer bankjes", "status": "shown", "endorsements": 0}
        ]
        assert beamer.state["additions_version"] <= beamer.state["version"]
    finally:
        beamer.close()
    # Attendee text is normalised: NFC, bidi overrides and zero-width characters removed.
    odd_ack = phone.call("addition", theme=2, text="Cafe\u0301 \u202eop\u200b het plein \n\n\n  bij de kerk ")
    odd = odd_ack["addition"]
    cleaned = host.wait_for(lambda: [x for x in host.additions if x["id"] == odd])[0]["text"]
    assert cleaned == "Caf\u00e9 op het plein\n\nbij de kerk"
    # The sender's ack carries the text as stored (its phone shows that, not what was typed).
    assert odd_ack["text"] == cleaned
    mine = phone.call("addition", theme=0, text="x" * 500)
    assert mine["ok"]
    assert phone.call("addition", theme=1, text="") == {"ok": False, "error": "text_empty"}
    assert phone.call("addition", theme=1, text="x" * 501) == {"ok": False, "error": "text_too_long"}
    assert phone.call("vote", theme=9, answer="yes") == {"ok": False, "error": "unknown_theme"}
    assert phone.call("vote", theme=1, answer="maybe") == {"ok": False, "error": "bad_answer"}


def test_a_message_id_acts_once_and_any_resend_gets_the_first_ack(room):
    m, host, projector, helper, (phone, _) = room
    assert host.call("set_phase", phase="recognition")["ok"]
    first = phone.call("addition", {"id": "same", "theme": 1, "text": "Eén keer"})
    assert first["ok"]
    assert phone.call("addition", {"id": "same", "theme": 1, "text": "Eén keer"}) == first
    assert phone.call("vote", {"id": "same", "theme": 1, "answer": "no"}) == first  # another event
    assert phone.call("vote", {"id": 7, "theme": 1, "answer": "yes"}) == {"ok": True}  # integer ids
    for bad in ("", "x" * 65, True, 1.5, None):
        assert phone.call("vote", {"id": bad, "theme": 1, "answer": "yes"}) == {
            "ok": False,
            "error": "bad_id",
        }
    assert phone.call("vote", {"theme": 1, "answer": "yes"}) == {"ok": False, "error": "bad_id"}
    assert host.call("list_additions", {"status": "pending"})["total"] == 1


def test_a_resend_after_a_reconnect_with_the_token_gets_the_first_ack_and_counts_once(room, connect):
    m, host, projector, helper, (phone, _) = room
    assert host.call("set_phase", phase="recognition")["ok"]
    first = phone.call("addition", {"id": "before-sleep", "theme": 1, "text": "Meer licht"})
    token = phone.token
    phone.close()
    again = connect(m["code"], "phone", token)
    assert again.call("addition", {"id": "before-sleep", "theme": 1, "text": "Meer licht"}) == first
    assert [a["id"] for a in again.state["mine"]["additions"]] == [first["addition"]]
    assert host.call("list_additions", {})["total"] == 1


def test_the_host_devices_of_a_meeting_share_one_rate_limit_and_a_beamer_reports_at_most_ten_in_5_s(
    server, connect
):
    m = server.create_meeting()
    hosts = [connect(m["code"], "host", m["host_key"]) for _ in range(2)]
    acks = [hosts[n % 2].call("list_additions", {}) for n in range(64)]
    assert {"ok": False, "error": "rate_limited"} in acks and acks[0]["ok"], "60 in 5 s for both together"
    projector = connect(m["code"], "projector", m["projector_key"])
    acks = [projector.call("showing", {"additions": [], "page": 0, "pages": 0}) for _ in range(11)]
    assert acks[:10] == [{"ok": True}] * 10 and acks[10] == {"ok": False, "error": "rate_limited"}


def test_every_event_from_the_wrong_role_or_unknown_gets_its_slug(room):
    m, host, projector, helper, (phone, _) = room
    phone_events = {
        "vote": {"theme": 1, "answer": "yes"},
        "addition": {"theme": 1, "text": "x"},
        "choose": {"theme": 1},
        "withdraw": {"theme": 1},
        "pledge": {"theme": 1, "role": "lead", "name": "A", "email": "a@b.nl", "consent": True},
    }
    host_events = {
        "set_phase": {"phase": "lobby"},
        "moderate": {"addition": 1, "show": True},
        "add_theme": {"title": "x"},
        "edit_theme": {"theme": 1, "title": "x"},
        "remove_theme": {"theme": 1},
        "order_themes": {"order": [1, 2]},
        "set_pace": {"pace": "all"},
        "set_results": {"hidden": True},
        "lock_choices": {"locked": True},
        "merge_themes": {"theme": 1, "into": 2},
        "manual_count": {"theme": 1, "answer": "yes", "count": 1},
        "merge_addition": {"addition": 1, "into": 2},
        "list_additions": {},
        "set_wifi": {"name": "Zaal", "password": ""},
        "show_welcome": {"show": True},
    }
    for client in (host, projector, helper):
        for event, fields in phone_events.items():
            assert client.call(event, **fields) == {"ok": False, "error": "not_phone"}, (client.role, event)
    for client in (phone, projector, helper):
        for event, fields in host_events.items():
            assert client.call(event, **fields) == {"ok": False, "error": "not_host"}, (client.role, event)
    for client in (phone, host, helper):
        assert client.call("showing", additions=[], page=0, pages=0) == {
            "ok": False,
            "error": "not_projector",
        }
    for client in (phone, host, projector):
        assert client.call("submit_form", origin="paper", votes={"1": "yes"}) == {
            "ok": False,
            "error": "not_helper",
        }
    for client in (phone, host, projector, helper):
        assert client.call("no_such_event") == {"ok": False, "error": "unknown_event"}
    for event in ("vote", "addition", "choose", "withdraw", "note", "edit_note", "remove_note"):
        assert (
            phone.call(event, theme=1, note=1, text="x", field="how", answer="yes")["error"] == "wrong_phase"
        )
    assert phone.call("pledge", **phone_events["pledge"]) == {"ok": False, "error": "wrong_phase"}


def test_the_host_shapes_themes_pace_and_results_live(room):
    m, host, projector, helper, (phone, _) = room
    ack = host.call("add_theme", title="Samen eten", description="Een keer per maand")
    assert ack == {"ok": True, "theme": 3}
    phone.wait_for(lambda: len(phone.state["themes"]) == 3, what="themes are live")
    assert host.call("edit_theme", theme=3, title="Samen koken") == {"ok": True}
    assert host.call("edit_theme", theme=3) == {"ok": False, "error": "bad_payload"}
    assert host.call("order_themes", order=[3, 1, 2]) == {"ok": True}
    assert host.call("order_themes", order=[1, 2]) == {"ok": False, "error": "bad_order"}
    for c in (phone, projector, helper):
        c.wait_for(lambda c=c: [t["id"] for t in c.state["themes"]] == [3, 1, 2], what="order")
    assert c.state["themes"][0]["title"] == "Samen koken"
    assert host.call("set_pace", pace="one", theme=0) == {"ok": True}
    phone.wait_for(lambda: phone.state["pace"] == {"mode": "one", "theme": 0})
    assert host.call("set_pace", pace="one", theme=99) == {"ok": False, "error": "unknown_theme"}
    assert host.call("set_pace", pace="some") == {"ok": False, "error": "bad_pace"}
    assert host.call("set_pace", pace="hold", theme=1) == {"ok": True}
    phone.wait_for(lambda: phone.state["pace"] == {"mode": "hold", "theme": 1})
    assert host.call("set_pace", pace="hold") == {"ok": False, "error": "unknown_theme"}
    assert host.call("set_pace", pace="all") == {"ok": True}
    assert host.call("set_phase", phase="recognition")["ok"]
    assert phone.call("vote", theme=1, answer="yes")["ok"]
    assert host.call("set_results", hidden=True) == {"ok": True}
    projector.wait_for(lambda: projector.state["results"]["hidden"] is True)
    hidden = projector.wait_for(lambda: row(projector.tally, 1).get("hidden") and row(projector.tally, 1))
    assert set(hidden) == {"theme", "answered", "chosen", "pledged", "roles", "hidden"}, "never the split"
    assert hidden["answered"] == 1 and hidden["roles"] == {"lead": 0, "member": 0, "occasional": 0}
    host.wait_for(
        lambda: row(host.tally, 1)["hidden"] and row(host.tally, 1)["yes"] == 1, what="host sees all"
    )
    assert host.call("set_results", hidden=False, theme=1) == {"ok": True}
    # Revealing one theme after hiding all: that one shows, the others (and the whole) stay hidden.
    results = projector.wait_for(
        lambda: not projector.state["results"]["hidden"] and projector.state["results"]
    )
    assert results["themes"] == [0, 2, 3]
    projector.wait_for(lambda: row(projector.tally, 1).get("yes") == 1, what="revealed split")
    assert host.call("remove_theme", theme=1) == {"ok": False, "error": "confirm_needed", "answers": 1}
    assert host.call("remove_theme", theme=1, confirm=True) == {"ok": True}
    assert host.call("remove_theme", theme=3, confirm=True) == {"ok": True}
    assert host.call("remove_theme", theme=2, confirm=True) == {"ok": False, "error": "last_theme"}
    phone.wait_for(lambda: [t["id"] for t in phone.state["themes"]] == [2])
    assert host.call("manual_count", theme=2, answer="no", count=100_001) == {
        "ok": False,
        "error": "bad_count",
    }
    assert host.call("add_theme", title="x" * 121) == {"ok": False, "error": "text_too_long"}


def test_too_many_themes_is_refused_at_forty(server, connect):
    m = server.create_meeting(themes=[f"T{i}" for i in range(40)])
    host = connect(m["code"], "host", m["host_key"])
    assert host.call("add_theme", title="41") == {"ok": False, "error": "too_many_themes"}


def test_merging_additions_and_promoting_one_follow_the_rules(room):
    m, host, projector, helper, (phone, other) = room
    assert host.call("set_phase", phase="recognition")["ok"]
    a, b, c = (
        p.call("addition", theme=1, text=t)["addition"]
        for p, t in ((phone, "Meer bankjes"), (other, "Ook bankjes"), (phone, "Bankjes!"))
    )
    assert host.call("merge_addition", addition=b, into=a) == {"ok": True, "into": a, "moved": []}
    assert host.call("merge_addition", addition=b, into=a) == {"ok": True, "into": a, "moved": []}
    assert host.call("merge_addition", addition=c, into=b) == {"ok": True, "into": a, "moved": []}  # the root
    assert host.call("merge_addition", addition=a, into=c) == {"ok": False, "error": "bad_merge"}
    assert host.call("merge_addition", addition=a, into=999) == {"ok": False, "error": "unknown_addition"}
    merged = host.wait_for(lambda: [x for x in host.additions if x["id"] == b and x["status"] == "merged"])[0]
    assert merged["merged_into"] == a
    # The root is sent again with how many additions it stands for now.
    host.wait_for(lambda: [x for x in host.additions if x["id"] == a and x.get("mentions") == 3], what="3×")
    listed = {x["id"]: x for x in host.call("list_additions", {})["additions"]}
    assert listed[a]["mentions"] == 3 and "mentions" not in listed[b]
    # A shown addition that is merged leaves the beamer; moderating it takes it out of its group.
    e = other.call("addition", theme=1, text="Bankjes bij de vijver")["addition"]
    assert host.call("moderate", addition=e, show=True) == {"ok": True}
    assert host.call("merge_addition", addition=e, into=a)["ok"]
    gone = projector.wait_for(
        lambda: [x for x in projector.additions if x["id"] == e and x["status"] == "hidden"]
    )[0]
    assert gone == {"id": e, "theme": 1, "status": "hidden", "version": gone["version"]}
    assert host.call("moderate", addition=e, show=False) == {"ok": True}
    out = host.wait_for(lambda: [x for x in host.additions if x["id"] == e][-1]["status"] == "hidden")
    assert "merged_into" not in [x for x in host.additions if x["id"] == e][-1] and out
    # Its group's root stands for one fewer again (a, b and c: 3).
    host.wait_for(
        lambda: [x for x in host.additions if x["id"] == a][-1].get("mentions") == 3, what="back to 3"
    )
    ack = host.call("add_theme", title="Bankjes", addition=a)
    assert ack["ok"]
    # Two host devices pressing "make it a theme" at once: one theme, the same answer.
    assert host.call("add_theme", title="Bankjes", addition=a) == ack
    assert host.call("add_theme", title="Weer", addition=b) == {"ok": False, "error": "already_merged"}
    d = other.call("addition", theme=2, text="Iets anders")["addition"]
    assert host.call("merge_addition", addition=a, into=d) == {"ok": False, "error": "already_promoted"}
    phone.wait_for(lambda: any(t["from_addition"] == a for t in phone.state["themes"]))
    listed = host.call("list_additions", {"status": "merged", "order": "newest", "limit": 1})
    assert listed["ok"] and listed["total"] == 2 and [x["id"] for x in listed["additions"]] == [c]
    assert listed["additions"][0]["merged_into"] == a
    assert (listed["order"], listed["offset"], listed["limit"], listed["status"]) == (
        "newest",
        0,
        1,
        "merged",
    )
    assert set(listed["counts"]) == {"pending", "shown", "hidden", "promoted", "merged"}
    assert isinstance(listed["version"], int)
    page2 = host.call("list_additions", {"offset": 1, "limit": 1})
    assert [x["id"] for x in page2["additions"]] == [b] and page2["total"] == 5
    everything = host.call("list_additions", {})["additions"]
    assert all(("merged_into" in x) == (x["status"] == "merged") for x in everything)
    for bad in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"order": "x"}, {"status": "x"}):
        assert host.call("list_additions", bad) == {"ok": False, "error": "bad_payload"}


def test_after_the_break_tables_capacity_cards_and_pledges_work_as_documented(room, server, connect):
    m, host, projector, helper, (phone, other) = room
    third = connect(m["code"], "phone")
    assert host.call("set_phase", phase="topics")["ok"]
    assert host.call("edit_theme", theme=2, table="Tafel 3, bij het raam", capacity=1) == {"ok": True}
    assert host.call("edit_theme", theme=1, table=[f"T{i}" for i in range(11)]) == {
        "ok": False,
        "error": "bad_table",
    }
    assert host.call("edit_theme", theme=1, capacity=0) == {"ok": False, "error": "bad_capacity"}
    assert host.call("edit_theme", theme=1, table=["Tafel 1", "Tafel 2"]) == {"ok": True}
    four = [connect(m["code"], "phone") for _ in range(2)]
    assert sorted(p.call("choose", theme=1)["table"] for p in four) == ["Tafel 1", "Tafel 2"], "spread"
    assert phone.call("choose", theme=2) == {"ok": True, "table": "Tafel 3, bij het raam"}
    assert other.call("choose", theme=2) == {"ok": False, "error": "theme_full", "room": [1]}
    other.wait_for(lambda: other.state["full"] == [2], what="full in state")
    assert other.call("choose", theme=1)["table"] in ("Tafel 1", "Tafel 2")
    assert host.call("lock_choices", locked=True) == {"ok": True}
    third.wait_for(lambda: third.state["choices_locked"] is True)
    assert third.call("choose", theme=1) == {"ok": False, "error": "choices_locked"}
    form = helper.call("submit_form", origin="paper", choice=2)  # full and closed: the person sits there
    assert form["ok"], form
    assert host.call("lock_choices", locked=False) == {"ok": True}
    # Notes on a card: to host, projector and the phones following that card.
    assert third.call("card", theme=2) == {"ok": True, "notes": []}
    note = phone.call("note", theme=2, field="how", text="Samen")
    assert note == {"ok": True, "note": note["note"], "text": "Samen"}
    shape = {"id": note["note"], "theme": 2, "field": "how", "text": "Samen"}
    for c in (host, projector, third):
        assert c.wait_for(lambda c=c: c.notes and c.notes[-1]) == shape, c.role
    assert other.call("edit_note", note=note["note"], text="Niet van mij") == {
        "ok": False,
        "error": "not_yours",
    }
    assert phone.call("edit_note", note=note["note"], text=" Samen! \u200b") == {
        "ok": True,
        "theme": 2,
        "field": "how",
        "text": "Samen!",
    }
    assert host.call("remove_note", note=note["note"]) == {"ok": True, "theme": 2, "field": "how"}
    assert all(n["theme"] != 2 for n in other.notes), "only phones following that card"
    removed = third.wait_for(lambda: third.notes[-1].get("removed") and third.notes[-1])
    assert removed == {"id": note["note"], "theme": 2, "field": "how", "removed": True}
    assert phone.call("note", theme=2, field="wish", text="x") == {"ok": False, "error": "bad_field"}
    assert host.call("edit_note", note=999, text="x") == {"ok": False, "error": "unknown_note"}
    assert host.call("merge_themes", theme=2, into=2) == {"ok": False, "error": "bad_merge"}
    # Pledges, every refusal of the pledge rules, and a withdrawal.
    assert host.call("set_phase", phase="pledges")["ok"]
    good = {"theme": 2, "role": "lead", "name": "An de Vries", "phone": "06 12345678", "consent": True}
    assert phone.call("pledge", **good) == {"ok": True}
    assert phone.call(
        "pledge",
        theme=1,
        role="member",
        name="An",
        email="an@example.nl",
        share=True,
        contact_by="email",
        consent=True,
    ) == {"ok": True}
    for change, slug in [
        ({"role": "boss"}, "bad_role"),
        ({"name": ""}, "name_required"),
        ({"phone": None}, "contact_required"),
        ({"email": "nope"}, "bad_email"),
        ({"phone": "12"}, "bad_phone"),
        ({"consent": "true"}, "consent_required"),
        ({"contact_by": "email"}, "bad_contact_by"),
        ({"theme": 0}, "unknown_theme"),
        ({"name": "x" * 81}, "text_too_long"),
    ]:
        assert other.call("pledge", **{**good, **change}) == {"ok": False, "error": slug}, change
    assert phone.call("withdraw", theme=1) == {"ok": True, "withdrawn": True}
    assert phone.call("withdraw", theme=1) == {"ok": True, "withdrawn": False}
    seen_by_other_phones = json.dumps([other.states, third.states, other.notes, third.notes])
    assert "An de Vries" not in seen_by_other_phones and "an@example.nl" not in seen_by_other_phones
    token = phone.token
    phone.close()
    back = connect(m["code"], "phone", token)
    mine = back.state["mine"]
    assert mine["choice"] == 2 and mine["table"] == "Tafel 3, bij het raam" and back.state["card"] == []
    assert mine["pledges"] == [
        {
            "theme": 2,
            "role": "lead",
            "name": "An de Vries",
            "email": "",
            "phone": "+31612345678",
            "contact_by": "phone",
            "share": False,
        }
    ]
    assert mine["pledge"] == mine["pledges"][0]
    assert host.call("merge_themes", theme=2, into=1) == {
        "ok": True,
        "moved": 2,
    }  # the phone and the paper form
    back.wait_for(lambda: back.state["merged"] == {"2": 1}, what="merged in state")
    csv = get(f"{server.url}/{m['code']}/werkgroepen.csv", bearer(m["host_key"]))[2]
    assert csv.startswith(b"\xef\xbb\xbf") and b"\r\n" in csv
    lines = csv.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "Werkgroep;Rol;Naam;E-mail;Telefoon;Aangemeld op;Via"
    assert lines[1].startswith("Groen in de wijk;Trekker;An de Vries;;06 12345678;") and lines[1].endswith(
        ";Telefoon"
    )


def test_a_helper_types_in_a_paper_form_as_one_participant(room):
    m, host, projector, helper, _ = room
    form = {
        "id": "form-1",
        "origin": "paper",
        "votes": {"1": "yes", "0": "no"},
        "additions": [{"theme": 0, "text": "Van papier"}],
        "choice": 2,
        "pledges": [{"theme": 2, "role": "member", "name": "Piet", "phone": "06 12345678", "consent": True}],
    }
    ack = helper.call("submit_form", form)
    assert ack == {"ok": True, "participant": ack["participant"], "additions": ack["additions"]}
    assert len(ack["additions"]) == 1
    assert helper.call("submit_form", {**form, "votes": {"1": "no"}}) == ack  # same id: nothing new
    host.wait_for(lambda: host.tally["origins"]["paper"] == 1 and row(host.tally, 1)["yes"] == 1)
    assert host.tally["participants"] == 3  # two phones and one paper form
    assert host.wait_for(lambda: host.additions and host.additions[-1])["text"] == "Van papier"
    refusals = [
        ({"origin": "fax", "votes": {"1": "yes"}}, "bad_origin", "origin"),
        ({"origin": "paper"}, "form_empty", "form"),
        ({"origin": "helper", "votes": {"9": "yes"}}, "unknown_theme", "votes.9"),
        ({"origin": "helper", "votes": {"1": "ja"}}, "bad_answer", "votes.1"),
        ({"origin": "paper", "additions": [{"theme": 1, "text": ""}]}, "text_empty", "additions.0.text"),
        ({"origin": "paper", "choice": 0}, "unknown_theme", "choice"),
        ({"origin": "paper", "pledges": [{**form["pledges"][0]}] * 2}, "duplicate_pledge", "pledges.1.theme"),
        (
            {"origin": "paper", "pledges": [{**form["pledges"][0], "phone": ""}]},
            "contact_required",
            "pledges.0.contact",
        ),
    ]
    for fields, slug, field in refusals:
        assert helper.call("submit_form", **fields) == {"ok": False, "error": slug, "field": field}, fields
    assert helper.call("submit_form", {"id": "", "origin": "paper"}) == {
        "ok": False,
        "error": "bad_id",
        "field": "id",
    }


def test_optional_fields_sent_as_null_mean_left_out(room):
    """JSON clients often send `null` for a field they do not use: the docs' optional fields accept
    it as "left out" (found by this file: `share: null` and a form's `additions: null` were refused)."""
    m, host, projector, helper, (phone, _) = room
    ack = helper.call(
        "submit_form", origin="paper", votes={"1": "yes"}, additions=None, pledges=None, choice=None
    )
    assert ack["ok"], ack
    pledge = {
        "theme": 1,
        "role": "lead",
        "name": "A",
        "email": "a@example.nl",
        "phone": None,
        "contact_by": None,
        "share": None,
        "consent": True,
    }
    assert helper.call("submit_form", origin="paper", votes=None, pledges=[pledge])["ok"]
    assert host.call("set_phase", phase="pledges")["ok"]
    assert phone.call("pledge", **pledge) == {"ok": True}
    assert host.call("add_theme", title="Nieuw", description=None, addition=None)["ok"]
    assert host.call("edit_theme", theme=1, title=None, description="Meer groen") == {"ok": True}
    phone.wait_for(lambda: phone.state["themes"][0]["description"] == "Meer groen")
    assert phone.state["themes"][0]["title"] == "Groen in de wijk", "title: null leaves the title"
    assert host.call("edit_theme", theme=1, description=None, capacity=None) == {"ok": True}
    phone.wait_for(lambda: phone.state["themes"][0]["description"] == "")
    assert host.call("remove_theme", theme=2, confirm=None) == {"ok": True}
    listed = host.call("list_additions", {"order": None, "offset": None, "limit": None, "status": None})
    assert listed["ok"] and (listed["order"], listed["offset"], listed["limit"]) == ("oldest", 0, 50)


def test_reads_need_no_message_id(room):
    m, host, projector, helper, (phone, _) = room
    assert phone.call("card", {"theme": 1}) == {"ok": True, "notes": []}
    assert host.call("list_additions", {})["ok"]
    assert projector.call("showing", {"additions": [], "page": 0, "pages": 0}) == {"ok": True}


def test_a_flooding_phone_is_answered_rate_limited_and_its_neighbour_is_not(room):
    m, host, projector, helper, (phone, other) = room
    assert host.call("set_phase", phase="recognition")["ok"]
    acks = [phone.call("vote", theme=1, answer="yes") for _ in range(25)]
    assert {"ok": False, "error": "rate_limited"} in acks and acks[0] == {"ok": True}
    assert other.call("vote", theme=1, answer="no") == {"ok": True}


def test_a_message_over_16_kib_closes_that_connection_only(room, server):
    m, host, projector, helper, (phone, other) = room
    assert host.call("set_phase", phase="recognition")["ok"]
    with pytest.raises(socketio.exceptions.TimeoutError):
        phone.sio.call("addition", {"id": "big", "theme": 1, "text": "x" * 20_000}, timeout=3)
    assert not phone.sio.connected
    assert other.call("vote", theme=1, answer="yes") == {"ok": True}


# -- The limits, on a server of their own (they would hold back the shared one) ------------------


def test_create_lookup_and_join_limits_answer_as_documented(tmp_path):
    with own_server(
        tmp_path,
        CREATE_RATE_LIMIT="2/minute",
        LOOKUP_RATE_LIMIT="3/minute",
        ORGANISER_KEY="geheim-voor-de-kopgroep",
        UNJOINED_PER_ADDRESS=3,
    ) as srv:
        body = {"title": "T", "themes": ["A"]}
        status, got = api(srv.url + "/api/meetings", body)
        assert status == 403 and got["error"] == "organiser_key_required" and got["message"]
        status, m = api(srv.url + "/api/meetings", body, bearer("geheim-voor-de-kopgroep"))
        assert status == 201
        req = urllib.request.Request(
            srv.url + "/api/meetings",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **bearer("geheim-voor-de-kopgroep")},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req, timeout=10)
        assert refused.value.code == 429 and int(refused.value.headers["Retry-After"]) > 0
        assert json.loads(refused.value.read())["error"] == "rate_limited"
        for _ in range(3):
            assert refusal(srv.url, {"code": "QQQQQ", "role": "phone"}) == "unknown_meeting"
        assert refusal(srv.url, {"code": "QQQQQ", "role": "phone"}) == "rate_limited"
        assert get(srv.url + "/join?code=QQQQR")[0] == 429
        assert get(srv.url + f"/join?code={m['code']}")[0] == 429, "no proof: held back like a guess"
        ticket = m["join_link"].split("?t=")[1]
        assert refusal(srv.url, {"code": m["code"], "role": "phone", "ticket": ticket}) is None
        assert refusal(srv.url, {"code": m["code"], "role": "host", "token": m["host_key"]}) is None
        assert get(m["join_link"])[0] == 200
        # Engine.IO sessions that have not joined yet: at most UNJOINED_PER_ADDRESS, then 401.
        handshake = srv.url + "/socket.io/?EIO=4&transport=polling"
        assert [get(handshake)[0] for _ in range(3)] == [200, 200, 200]
        assert get(handshake)[0] == 401


def test_the_hall_wifi_is_set_when_creating_or_live_and_reaches_host_and_beamer_only(server, connect):
    status, m = api(
        server.url + "/api/meetings",
        {"title": "x", "themes": ["a"], "wifi": {"name": "Dorpshuis Gast", "password": "welkom123"}},
    )
    assert status == 201
    host = connect(m["code"], "host", m["host_key"])
    projector = connect(m["code"], "projector", m["projector_key"])
    phone, helper = connect(m["code"], "phone"), connect(m["code"], "helper", m["helper_key"])
    for screen in (host, projector):
        assert screen.state["wifi"] == {"name": "Dorpshuis Gast", "password": "welkom123"}
    status, headers, _ = get(f"{server.url}/{m['code']}/wifi.svg", bearer(m["projector_key"]))
    assert status == 200 and "image/svg+xml" in headers["Content-Type"]
    assert "no-store" in headers["Cache-Control"]
    assert host.call("set_wifi", name="Open", password="") == {"ok": True}
    projector.wait_for(lambda: projector.state["wifi"] == {"name": "Open", "password": ""}, what="open wifi")
    assert host.call("set_wifi", name="x" * 33, password="") == {"ok": False, "error": "wifi_name_too_long"}
    too_long = {"ok": False, "error": "wifi_password_too_long"}
    assert host.call("set_wifi", name="x", password="y" * 64) == too_long
    assert host.call("set_phase", phase="recognition")["ok"]
    assert host.call("show_welcome", show=True) == {"ok": True}
    projector.wait_for(lambda: projector.state["welcome"] is True, what="welcome")
    assert host.call("set_phase", phase="break")["ok"]
    projector.wait_for(lambda: projector.state["phase"] == "break", what="break")
    assert projector.state["welcome"] is False
    assert host.call("set_wifi", name="", password="") == {"ok": True}
    host.wait_for(lambda: host.state["wifi"] is None, what="cleared")
    for client in (phone, helper):
        assert not any("wifi" in state or "welcome" in state for state in client.states)
