"""Getting everyone in (issue 21): the hall's Wi-Fi on the beamer's welcome, the join QR code for
latecomers after the lobby, the poster and the table cards. The QR codes are read back from
screenshots with zbarimg, as a phone camera would read them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import pytest
import websocket
from conftest import IN_CI, api, get, open_page, resize
from playwright.sync_api import expect

from live.domain import wifi_qr_text

TRICKY = 'Zaal;Oost:2\\"gast",'  # every character the WIFI: format escapes
THEMES = ["Groen in de wijk", "Verkeer"]


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def make(server, wifi=None, title="Dorpsavond Ee"):
    body = {"title": title, "themes": THEMES}
    if wifi is not None:
        body["wifi"] = wifi
    status, created = api(server.url + "/api/meetings", body)
    assert status == 201, created
    return created


@pytest.fixture(scope="module")
def zbarimg():
    """The QR decoder; missing, it fails in CI (.ci/run installs zbar-tools) and skips elsewhere."""
    path = shutil.which("zbarimg")
    if path is None:
        if IN_CI:
            pytest.fail("zbarimg is not installed; .ci/run must install zbar-tools")
        pytest.skip("zbarimg not installed (apt-get install zbar-tools)")
    return path


def decoded(zbarimg, png: bytes, tmp_path, name="shot") -> set[str]:
    """Every QR code zbarimg finds in a screenshot, as text (one a line: our codes hold none)."""
    path = tmp_path / f"{name}.png"
    path.write_bytes(png)
    out = subprocess.run(
        [zbarimg, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(path)],
        capture_output=True,
        timeout=60,
    )
    return {part.decode("utf-8") for part in out.stdout.split(b"\n") if part}


def shot(page, tmp_path, name: str) -> bytes:
    """A screenshot, also kept in ``SCREENSHOT_DIR`` when set."""
    png = page.screenshot()
    keep = os.environ.get("SCREENSHOT_DIR")
    if keep:
        os.makedirs(keep, exist_ok=True)
        with open(os.path.join(keep, f"wifi-{name}.png"), "wb") as f:
            f.write(png)
    return png


# -- the protocol: create, set_wifi, who receives what ---------------------------------------------


def test_the_wifi_given_when_creating_reaches_host_and_beamer_and_never_a_phone(server, connect):
    m = make(server, {"name": "Dorpshuis Gast", "password": "welkom123"})
    host = connect(m["code"], "host", m["host_key"])
    projector = connect(m["code"], "projector", m["projector_key"])
    helper = connect(m["code"], "helper", m["helper_key"])
    phone = connect(m["code"], "phone")
    wifi = {"name": "Dorpshuis Gast", "password": "welkom123"}
    assert host.state["wifi"] == wifi and projector.state["wifi"] == wifi
    assert host.state["welcome"] is False
    for client in (phone, helper):
        assert "wifi" not in client.state and "welcome" not in client.state
        assert "welkom123" not in json.dumps(client.states)


def test_set_wifi_changes_and_clears_it_with_an_ack_and_refuses_what_does_not_fit(server, connect):
    m = make(server)
    host = connect(m["code"], "host", m["host_key"])
    projector = connect(m["code"], "projector", m["projector_key"])
    assert host.state["wifi"] is None
    assert host.call("set_wifi", name=" Zaal ", password="geheim") == {"ok": True}
    projector.wait_for(lambda: (projector.state.get("wifi") or {}).get("name") == "Zaal", what="wifi")
    assert projector.state["wifi"] == {"name": "Zaal", "password": "geheim"}
    assert host.call("set_wifi", name="Open zaal", password="") == {"ok": True}
    projector.wait_for(lambda: projector.state["wifi"] == {"name": "Open zaal", "password": ""}, what="open")
    assert host.call("set_wifi", name="x" * 33, password="")["error"] == "wifi_name_too_long"
    assert host.call("set_wifi", name="Zaal", password="p" * 64)["error"] == "wifi_password_too_long"
    assert host.call("set_wifi", name=5, password="")["error"] == "bad_payload"
    assert host.call("set_wifi", name="a" * 32, password="p" * 63) == {"ok": True}
    # An empty name clears it, password and all.
    assert host.call("set_wifi", name="", password="ignored") == {"ok": True}
    projector.wait_for(lambda: projector.state["wifi"] is None, what="cleared")
    phone = connect(m["code"], "phone")
    assert phone.call("set_wifi", name="Mijn", password="x") == {"ok": False, "error": "not_host"}
    assert projector.call("set_wifi", name="Mijn", password="x") == {"ok": False, "error": "not_host"}


@pytest.mark.parametrize(
    "wifi, slug",
    [
        ({"name": "x" * 33}, "wifi_name_too_long"),
        ({"name": "Zaal", "password": "p" * 64}, "wifi_password_too_long"),
        ("Zaal", "bad_payload"),
        ({"name": ["Zaal"]}, "bad_payload"),
    ],
)
def test_creating_with_a_wifi_that_does_not_fit_is_refused(server, wifi, slug):
    status, body = api(server.url + "/api/meetings", {"title": "x", "themes": ["a"], "wifi": wifi})
    assert status == 400 and body["error"] == slug and body["message"]


def raw_phone(server, code: str) -> tuple[websocket.WebSocket, list[str]]:
    """A phone as bare Engine.IO frames: every frame the server sends it is kept as text."""
    url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(url, origin=server.url, timeout=5)
    frames = [ws.recv()]
    ws.send("40" + json.dumps({"code": code, "role": "phone"}))
    return ws, frames


def drain(ws, frames: list[str], until: str) -> None:
    """Read frames (answering pings) until one holds ``until``."""
    while True:
        frame = ws.recv()
        frames.append(frame)
        if frame == "2":
            ws.send("3")
        if until in frame:
            return


def test_a_phone_never_receives_the_wifi_password_in_any_message(server, connect):
    secret = "Gehe1m-wachtwoord"
    m = make(server, {"name": "Buurthuis", "password": secret})
    host = connect(m["code"], "host", m["host_key"])
    ws, frames = raw_phone(server, m["code"])
    phone = connect(m["code"], "phone")
    try:
        drain(ws, frames, '"state"')
        assert host.call("set_wifi", name="Buurthuis 2", password=secret + "2") == {"ok": True}
        drain(ws, frames, '"state"')  # every role gets a new state; the phone's has no wifi
        assert host.call("show_welcome", show=False) == {"ok": True}
        drain(ws, frames, '"state"')
        assert host.call("set_phase", phase="recognition")["ok"]
        drain(ws, frames, '"recognition"')
        phone.wait_for(lambda: phone.state["phase"] == "recognition", what="phase")
    finally:
        ws.close()
    everything = "\n".join(frames) + json.dumps(phone.states)
    assert secret not in everything and "Buurthuis" not in everything and "wifi" not in everything
    assert len(frames) >= 4


def test_the_welcome_comes_back_on_the_beamer_and_a_phase_change_ends_it(server, connect):
    m = make(server)
    host = connect(m["code"], "host", m["host_key"])
    projector = connect(m["code"], "projector", m["projector_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    assert host.call("show_welcome", show=True) == {"ok": True}
    projector.wait_for(lambda: projector.state["welcome"] is True, what="welcome")
    assert host.call("show_welcome", show="yes")["error"] == "bad_payload"
    assert host.call("set_phase", phase="break")["ok"]
    projector.wait_for(lambda: projector.state["phase"] == "break", what="break")
    assert projector.state["welcome"] is False


def test_the_wifi_qr_route_is_for_host_and_beamer_only_and_holds_the_escaped_network(server):
    m = make(server, {"name": TRICKY, "password": "a;b"})
    url = f"{server.url}/{m['code']}/wifi.svg"
    for key in (m["host_key"], m["projector_key"]):
        status, headers, body = get(url, bearer(key))
        assert status == 200 and "image/svg+xml" in headers["Content-Type"] and body.lstrip().startswith(b"<")
        assert "no-store" in headers["Cache-Control"]
    for wrong in ({}, bearer(m["helper_key"])):
        assert get(url, wrong)[0] == 403
    assert get(f"{server.url}/QQQQQ/wifi.svg", bearer(m["host_key"]))[0] == 404
    none = make(server)
    assert get(f"{server.url}/{none['code']}/wifi.svg", bearer(none["host_key"]))[0] == 404
    assert wifi_qr_text(TRICKY, "a;b") == 'WIFI:T:WPA;S:Zaal\\;Oost\\:2\\\\\\"gast\\"\\,;P:a\\;b;;'
    assert wifi_qr_text("Open", "") == "WIFI:T:nopass;S:Open;;"


def test_poster_and_table_cards_are_for_the_host_only(server):
    m = make(server, {"name": "Zaal", "password": "geheim"})
    for route in ("affiche", "tafelkaartjes"):
        url = f"{server.url}/{m['code']}/{route}"
        for wrong in ({}, bearer(m["projector_key"]), bearer(m["helper_key"])):
            assert get(url, wrong)[0] == 403, route
        status, headers, body = get(url, bearer(m["host_key"]))
        assert (
            status == 200
            and "text/html" in headers["Content-Type"]
            and "no-store" in headers["Cache-Control"]
        )
        page = body.decode()
        assert "Scan om mee te doen" in page and "Scan to take part" in page and m["code"] in page
        assert "geheim" in page and "wifi.svg" in page


def test_the_wifi_survives_the_json_export_and_import(server):
    m = make(server, {"name": TRICKY, "password": "p;w"})
    status, _, body = get(f"{server.url}/{m['code']}/bijeenkomst.json", bearer(m["host_key"]))
    exported = json.loads(body)
    assert exported["meeting"]["wifi"] == {"name": TRICKY, "password": "p;w"}
    status, created = api(server.url + "/api/meetings/import", exported)
    assert status == 201, created
    status, _, body = get(f"{server.url}/{created['code']}/bijeenkomst.json", bearer(created["host_key"]))
    assert json.loads(body)["meeting"]["wifi"]["name"] == TRICKY
    exported["meeting"]["wifi"]["name"] = "x" * 40
    status, refused = api(server.url + "/api/meetings/import", exported)
    assert status == 400 and refused["error"] == "text_too_long"


# -- in the browser: the QR codes read back from screenshots -----------------------------------------


def beamer(browser, server, m, errors, width=1280, height=720):
    page = open_page(browser, m["projector_url"], errors, viewport={"width": width, "height": height})
    resize(page, width, height)
    expect(page.locator("#conn")).to_have_attribute("data-kind", "ok")
    return page


def join_link(m) -> str:
    return m["join_link"]


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)])
def test_the_lobby_beamer_shows_the_wifi_then_the_join_code_and_both_scan(
    browser, server, zbarimg, page_errors, tmp_path, size
):
    m = make(server, {"name": TRICKY, "password": "welkom;123"})
    page = beamer(browser, server, m, page_errors, *size)
    expect(page.locator("#wifi-step")).to_be_visible()
    expect(page.locator("#wifi-name")).to_have_text(TRICKY)
    expect(page.locator("#wifi-password")).to_have_text("welkom;123")
    for img in page.locator("#lobby .steps img").all():
        expect(img).to_be_visible()
        assert img.evaluate("i => i.complete && i.naturalWidth > 0")
        box = img.bounding_box()
        assert box["y"] + box["height"] <= size[1] and box["x"] + box["width"] <= size[0]
    codes = decoded(zbarimg, shot(page, tmp_path, f"lobby-{size[0]}"), tmp_path)
    assert wifi_qr_text(TRICKY, "welkom;123") in codes
    assert join_link(m) in codes
    assert page_errors == []


def test_a_wifi_set_on_the_host_screen_reaches_the_beamer_and_scans(
    browser, server, zbarimg, page_errors, tmp_path
):
    m = make(server)
    page = beamer(browser, server, m, page_errors)
    expect(page.locator("#wifi-step")).to_be_hidden()
    assert decoded(zbarimg, page.screenshot(), tmp_path) == {join_link(m)}
    host = open_page(browser, m["host_url"], page_errors, viewport={"width": 1280, "height": 900})
    expect(host.locator("#conn")).to_have_attribute("data-kind", "ok")
    host.get_by_text("Wifi in de zaal en welkom op de beamer").click()
    host.get_by_label("Naam van de wifi").fill("Open Zaal")
    host.get_by_role("button", name="Wifi opslaan").click()
    expect(host.locator('[data-status="set_wifi"]')).to_contain_text("Opgeslagen")
    expect(page.locator("#wifi-name")).to_have_text("Open Zaal")
    expect(page.locator("#wifi-open")).to_be_visible()
    page.wait_for_function("() => document.getElementById('wifi-qr').complete")
    assert decoded(zbarimg, shot(page, tmp_path, "open-wifi"), tmp_path) == {
        "WIFI:T:nopass;S:Open Zaal;;",
        join_link(m),
    }
    # The field takes 32 characters; a refusal from the server still shows beside it.
    host.get_by_label("Naam van de wifi").evaluate("input => input.removeAttribute('maxlength')")
    host.get_by_label("Naam van de wifi").fill("x" * 32 + "y")
    host.get_by_role("button", name="Wifi opslaan").click()
    expect(host.locator('[data-status="set_wifi"]')).to_contain_text("te lang")
    assert page_errors == []


@pytest.mark.parametrize("phase", ["recognition", "results"])
def test_after_the_lobby_the_beamer_keeps_a_join_code_for_latecomers(
    browser, server, connect, zbarimg, page_errors, tmp_path, phase
):
    m = make(server, {"name": "Zaal", "password": "geheim"})
    host = connect(m["code"], "host", m["host_key"])
    page = beamer(browser, server, m, page_errors)
    assert host.call("set_phase", phase=phase)["ok"]
    expect(page.locator(".board")).to_be_visible()
    qr = page.locator(".corner .late-qr")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["height"] >= 0.2 * 720, "big enough for a phone camera at the back of the hall"
    assert decoded(zbarimg, shot(page, tmp_path, f"late-{phase}"), tmp_path) == {join_link(m)}
    # The host brings the welcome back (Wi-Fi and join code) and returns to the board.
    assert host.call("show_welcome", show=True) == {"ok": True}
    expect(page.locator("#wifi-step")).to_be_visible()
    expect(qr).to_be_hidden()
    codes = decoded(zbarimg, page.screenshot(), tmp_path)
    assert codes == {wifi_qr_text("Zaal", "geheim"), join_link(m)}
    assert host.call("show_welcome", show=False) == {"ok": True}
    expect(page.locator(".board")).to_be_visible()
    # The key "w" on the beamer does the same, on that beamer only.
    page.keyboard.press("w")
    expect(page.locator("#lobby")).to_be_visible()
    page.keyboard.press("w")
    expect(page.locator(".board")).to_be_visible()
    # And the button in the corner, for a mouse.
    page.get_by_role("button", name="Welkom tonen").click()
    expect(page.locator("#lobby")).to_be_visible()
    page.get_by_role("button", name="Welkom tonen").click()
    expect(page.locator(".board")).to_be_visible()
    assert page_errors == []


def test_the_host_button_brings_the_welcome_back(browser, server, connect, page_errors):
    m = make(server, {"name": "Zaal", "password": "geheim"})
    projector = connect(m["code"], "projector", m["projector_key"])
    host = open_page(browser, m["host_url"], page_errors, viewport={"width": 1280, "height": 900})
    expect(host.locator("#conn")).to_have_attribute("data-kind", "ok")
    host.get_by_text("Wifi in de zaal en welkom op de beamer").click()
    button = host.locator("#welcome-toggle")
    expect(button).to_be_disabled()  # in the lobby the welcome is on already
    host.locator("#nav-next").click()
    expect(button).to_be_enabled()
    button.click()
    projector.wait_for(lambda: projector.state.get("welcome") is True, what="welcome")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_have_text("Terug naar het onderdeel")
    button.click()
    projector.wait_for(lambda: projector.state.get("welcome") is False, what="board")
    assert page_errors == []


@pytest.mark.parametrize("route", ["affiche", "tafelkaartjes"])
def test_the_poster_and_a_table_card_scan_to_the_wifi_and_the_meeting(
    browser, server, zbarimg, page_errors, tmp_path, route
):
    m = make(server, {"name": TRICKY, "password": "welkom;123"})
    page = open_page(browser, m["host_url"], page_errors, viewport={"width": 1280, "height": 900})
    page.goto(f"{server.url}/{m['code']}/{route}")
    page.emulate_media(media="print")
    target = page.locator(".poster" if route == "affiche" else ".table-card").first
    for img in target.locator("img").all():
        img.scroll_into_view_if_needed()
        page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=img.element_handle())
    png = target.screenshot()
    if os.environ.get("SCREENSHOT_DIR"):
        Path(os.environ["SCREENSHOT_DIR"], f"wifi-{route}.png").write_bytes(page.screenshot(full_page=True))
    assert decoded(zbarimg, png, tmp_path) == {wifi_qr_text(TRICKY, "welkom;123"), join_link(m)}
    for lang in ("nl", "en", "tr", "ar", "pl"):
        assert target.locator(f'[lang="{lang}"]').count() >= 1 or lang == "nl"
    expect(target).to_contain_text("Scan om mee te doen")
    expect(target).to_contain_text(m["code"])
    if route == "tafelkaartjes":
        assert page.locator(".table-card").count() == 4
    assert page_errors == []


def test_hosted_the_beamer_and_poster_leave_the_wifi_out(browser, tmp_path, zbarimg, page_errors):
    from conftest import own_server

    with own_server(tmp_path, PUBLIC_URL="https://live.example.nl") as srv:
        status, m = api(srv.url + "/api/meetings", {"title": "x", "themes": ["a"], "wifi": {"name": "Zaal"}})
        assert status == 201
        # PUBLIC_URL names another host, so the key link is opened on this server's own address.
        url = urllib.parse.urlsplit(m["projector_url"])
        page = open_page(browser, f"{srv.url}{url.path}?{url.query}", page_errors)
        expect(page.locator("#lobby")).to_be_visible()
        expect(page.locator("#wifi-step")).to_be_hidden()
        status, _, body = get(f"{srv.url}/{m['code']}/affiche", bearer(m["host_key"]))
        assert status == 200 and b"wifi.svg" not in body and b"Verbind met wifi" not in body


def test_the_terminal_says_the_wifi_can_go_on_the_beamer():
    from live.startup import banner

    text = banner("http://localhost:5000", "http://192.168.1.20:5000", [], 5000, False, False)
    assert "wifi" in text and "beamer" in text and "QR-code" in text
    hosted = banner("http://localhost:5000", "https://live.example.nl", [], 5000, True, False)
    assert "wachtwoord van de wifi" not in hosted
