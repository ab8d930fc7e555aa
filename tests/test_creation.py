"""Making meetings cannot fill the disk: a limit per address, an optional organiser key, and a
clean JSON or Dutch answer when the store is full, losing nothing already stored."""

from __future__ import annotations

import http.client
import json
import urllib.parse

import conftest
import pytest
from conftest import PHONE, Server, api, get, open_page
from playwright.sync_api import expect
from test_accessibility import SMALL_TARGETS, TARGET, assert_no_violations

# As many themes as a meeting may hold, each as long as it may be: about 20 kB per meeting.
BIG = {
    "title": "Dorpsavond",
    "themes": [{"title": f"{i:03d}" + "t" * 117, "description": "d" * 400} for i in range(40)],
}
FORM = {"title": "Wijkavond", "place": "", "date": "", "themes": "Groen\nVerkeer"}


def post(url: str, body, *, form: bool = False, source: str = "127.0.0.1", headers=None):
    """POST JSON (or a form) from the given loopback address; returns (status, headers, text)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10, source_address=(source, 0))
    if form:
        data, kind = urllib.parse.urlencode(body), "application/x-www-form-urlencoded"
    else:
        data, kind = json.dumps(body), "application/json"
    try:
        conn.request("POST", parts.path or "/", data, {"Content-Type": kind, **(headers or {})})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read().decode()
    finally:
        conn.close()


@pytest.fixture
def start(tmp_path):
    """Start a real server with these settings; stopped after the test."""
    made = []

    def make(**env):
        srv = Server(tmp_path / f"data{len(made)}", {k: str(v) for k, v in env.items()}).start()
        made.append(srv)
        return srv

    yield make
    for srv in made:
        srv.stop()


# -- a limit per address ---------------------------------------------------------------------


def test_an_address_that_makes_too_many_meetings_gets_429_while_another_address_does_not(start):
    server = start(CREATE_RATE_LIMIT="3/minute")
    url = server.url + "/api/meetings"
    assert [post(url, {"title": "Avond", "themes": ["Groen"]})[0] for _ in range(3)] == [201] * 3

    status, headers, text = post(url, {"title": "Avond", "themes": ["Groen"]})
    body = json.loads(text)
    assert status == 429 and 1 <= int(headers["Retry-After"]) <= 61
    assert body == {"ok": False, "error": "rate_limited", "message": body["message"]}
    assert "te veel bijeenkomsten" in body["message"]

    status, headers, page = post(server.url + "/", FORM, form=True)
    assert status == 429 and headers["Content-Type"].startswith("text/html")
    assert 'role="alert"' in page and "te veel bijeenkomsten" in page

    # Someone else (another address) is not held up by it.
    assert post(url, {"title": "Avond", "themes": ["Groen"]}, source="127.0.0.2")[0] == 201


def test_a_mistyped_creation_limit_stops_the_app_at_start(tmp_path):
    from live.app import create_app

    with pytest.raises(ValueError):
        create_app({"DATA_DIR": str(tmp_path), "CREATE_RATE_LIMIT": "tien per minuut"})


# -- an optional organiser key ---------------------------------------------------------------


def test_with_an_organiser_key_only_a_request_with_that_key_makes_a_meeting(start):
    key = "Zeer-geheim-organisator-4711"
    server = start(ORGANISER_KEY=key)
    url = server.url + "/api/meetings"
    small = {"title": "Avond", "themes": ["Groen"]}
    for headers in (
        {},
        {"Authorization": "Bearer fout"},
        {"Authorization": key},
        {"Authorization": "Bearer é"},
    ):
        status, _, text = post(url, small, headers=headers)
        body = json.loads(text)
        assert status == 403, headers
        assert body["ok"] is False and body["error"] == "organiser_key_required"
        assert "wachtwoord voor organisatoren" in body["message"]
    status, created = api(url, small, {"Authorization": f"Bearer {key}"})
    assert status == 201 and get(server.url + "/" + created["code"])[0] == 200

    # The start form asks for it, and refuses without it.
    _, _, page = get(server.url + "/")
    assert 'type="password"' in page.decode() and 'name="organiser_key"' in page.decode()
    status, _, page = post(server.url + "/", {**FORM, "organiser_key": "fout"}, form=True)
    assert status == 403 and "wachtwoord voor organisatoren" in page and 'role="alert"' in page
    assert 'value="Wijkavond"' in page  # what was typed stays
    status, headers, _ = post(server.url + "/", {**FORM, "organiser_key": key}, form=True)
    assert status == 303 and headers["Location"].endswith("/host#link-bewaren")


def test_without_an_organiser_key_anyone_makes_a_meeting_and_the_form_asks_for_no_key(http):
    assert b'type="password"' not in http.get("/").data
    assert http.post("/api/meetings", json={"title": "Avond", "themes": ["Groen"]}).status_code == 201
    assert http.post("/", data=FORM).status_code == 303


@pytest.mark.browser
def test_the_start_page_with_the_organiser_key_field_passes_axe(browser, start, page_errors):
    server = start(ORGANISER_KEY="Zeer-geheim-organisator-4711")
    page = open_page(browser, server.url + "/", page_errors, **PHONE)
    page.get_by_label("Naam van de avond").fill("Wijkavond")
    page.get_by_label("Thema's, één per regel").fill("Groen")
    page.get_by_label("Wachtwoord voor organisatoren").fill("fout")
    page.get_by_role("button", name="Bijeenkomst maken").click()
    expect(page.get_by_role("alert")).to_contain_text("wachtwoord voor organisatoren")
    page.wait_for_load_state("load")  # the stylesheet too, on a busy machine, before measuring
    assert page.evaluate(SMALL_TARGETS, TARGET) == []
    assert_no_violations({"start with organiser key": page})
    # The page answers 403 on purpose; the browser logs that as an error.
    assert [e for e in page_errors if "responded with a status of 4" not in e] == []


# -- a full store ----------------------------------------------------------------------------


def test_a_full_store_answers_503_with_json_or_a_dutch_page_and_keeps_what_was_stored(tmp_path):
    from live.app import create_app

    app = create_app({"DATA_DIR": str(tmp_path), "TESTING": True, "PUBLIC_URL": "http://zaal.test"})
    http = app.test_client()
    live = app.extensions["live"]
    first = http.post("/api/meetings", json={"title": "Eerste avond", "themes": ["Groen"]}).get_json()
    # The file may not grow any more: SQLite answers "database or disk is full", as on a full disk.
    live.writer.call(live.store.limit_pages, 1)

    refused = http.post("/api/meetings", json=BIG)
    assert refused.status_code == 503
    assert refused.get_json() == {
        "ok": False,
        "error": "storage_full",
        "message": refused.get_json()["message"],
    }
    assert "geen ruimte meer" in refused.get_json()["message"]
    page = http.post("/", data={**FORM, "themes": "\n".join(t["title"] for t in BIG["themes"])})
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "geen ruimte meer" in page.get_data(as_text=True)

    # Nothing stored before is lost, and once there is room the next meeting is made.
    assert http.get("/" + first["code"]).status_code == 200
    assert live.store.meeting(first["code"]).title == "Eerste avond"
    live.writer.call(live.store.limit_pages, 2**31)
    again = http.post("/api/meetings", json=BIG)
    assert again.status_code == 201
    assert [m.title for m in (live.store.meeting(c) for c in (first["code"], again.get_json()["code"]))] == [
        "Eerste avond",
        "Dorpsavond",
    ]


def test_the_real_server_answers_503_json_when_its_files_cannot_grow_and_loses_nothing(tmp_path, monkeypatch):
    data = tmp_path / "data"
    # Each file the server writes may grow to 256 kB: the write-ahead log fills up first.
    limited = conftest.server_command
    monkeypatch.setattr(
        conftest, "server_command", lambda port, d: ["prlimit", f"--fsize={1 << 18}", "--", *limited(port, d)]
    )
    server = Server(data).start()
    made, status, body = [], 201, {}
    try:
        for _ in range(200):
            status, body = api(server.url + "/api/meetings", BIG)
            if status != 201:
                break
            made.append(body["code"])
        assert status == 503 and body["ok"] is False and body["error"] in ("storage_full", "server_error")
        assert body["message"].startswith(("De bijeenkomst is niet opgeslagen", "Er ging iets mis"))
        assert made and all(get(f"{server.url}/{code}")[0] == 200 for code in made)
    finally:
        server.stop()
    monkeypatch.setattr(conftest, "server_command", limited)

    again = Server(data).start()
    try:
        assert all(get(f"{again.url}/{code}")[0] == 200 for code in made)
        assert api(again.url + "/api/meetings", BIG)[0] == 201
    finally:
        again.stop()


@pytest.mark.browser
def test_the_start_form_asks_the_day_plainly_and_a_meeting_prepared_a_week_ahead_keeps_its_day(
    browser, start, page_errors
):
    import datetime
    import time

    server = start()
    page = open_page(browser, server.url + "/", page_errors, viewport={"width": 1280, "height": 900})
    day = page.get_by_label("Op welke dag is de bijeenkomst?")
    # Filled in with today (this machine's day): an evening made at 19.25 needs no change.
    expect(day).to_have_value(time.strftime("%Y-%m-%d"))
    expect(day).to_have_attribute("required", "")
    assert page.get_by_label("Hoe laat?").input_value() == ""
    ahead = (datetime.date.today() + datetime.timedelta(days=7)).isoformat()
    page.get_by_label("Naam van de avond").fill("Wijkavond")
    day.fill(ahead)
    page.get_by_label("Hoe laat?").fill("19.30 uur")
    page.get_by_label("Thema's, één per regel").fill("Groen\nVerkeer")
    page.get_by_role("button", name="Bijeenkomst maken").click()
    expect(page.get_by_role("heading", name="De avond leiden")).to_be_visible()
    code = page.url.split("/")[-2]
    # The hand-off asks the same question, with the day that was chosen (so erasure counts from it).
    page.goto(f"{server.url}/{code}/afronden")
    expect(page.get_by_label("Op welke dag is de bijeenkomst?")).to_have_value(ahead)
    page.goto(f"{server.url}/{code}/verslag")
    written = f"{int(ahead[8:])} " + page.evaluate(
        "d => new Date(d).toLocaleDateString('nl-NL', {month: 'long'})", ahead
    )
    expect(page.locator("dl")).to_contain_text(f"{written} {ahead[:4]} (19.30 uur)")
    assert page_errors == []
