"""The screens of a terugkombijeenkomst in a real browser: the group's own page, the hand-off
button that makes one from an evening, the host screen, the beamer and the phone."""

from __future__ import annotations

import pytest
from conftest import BEAMER, PHONE, api, get, open_page
from playwright.sync_api import expect
from test_terugkom import evening

SHOTS = "/tmp/terugkom-shots"
SMALL_PHONE = {"viewport": {"width": 360, "height": 740}}
LAPTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def follow_up(server, connect):
    """A terugkombijeenkomst made through the API from one evening with three groups."""
    night = evening(
        server,
        connect,
        ("Groen in de wijk", "Verkeer", "Samen eten"),
        [(1, "Anna", True), (1, "Bram", False), (2, "Cas", True), (3, "Dewi", True)],
    )
    body = {"kind": "terugkom", "title": "Terugkom Ee", "from": [{"code": night["code"], "host_key": night["host_key"]}]}
    status, made = api(server.url + "/api/meetings", body)
    assert status == 201, made
    return made


def cookie(headers) -> str:
    return headers["Set-Cookie"].split(";")[0]


def test_a_group_key_opens_only_its_own_groups_page(server, follow_up):
    code, (green, traffic, _) = follow_up["code"], follow_up["groups"]
    status, headers, _ = get(f"{server.url}/{code}/groep?key={green['key']}")
    assert status == 303 and headers["Location"].endswith(f"/{code}/groep")
    assert cookie(headers).startswith(f"group_{code}=") and "HttpOnly" in headers["Set-Cookie"]
    status, _, body = get(f"{server.url}/{code}/groep", {"Cookie": cookie(headers)})
    assert status == 200 and "Groen in de wijk" in body.decode() and "Verkeer" not in body.decode()
    # Another group's key opens that group, not this one; a wrong key or none: the refusal.
    _, other, _ = get(f"{server.url}/{code}/groep?key={traffic['key']}")
    assert "Verkeer" in get(f"{server.url}/{code}/groep", {"Cookie": cookie(other)})[2].decode()
    for query in ("?key=not-a-key", f"?key={follow_up['projector_key']}", ""):
        status, _, body = get(f"{server.url}/{code}/groep{query}")
        assert status == 403 and "Deze link klopt niet" in body.decode(), query
    # The group's cookie opens no host screen, beamer or export.
    for route in ("host", "beamer", "afronden", "werkgroepen.xlsx", "verslag", "bijeenkomst.json"):
        assert get(f"{server.url}/{code}/{route}", {"Cookie": cookie(headers)})[0] == 403, route


def test_a_group_writes_its_plan_and_asks_for_help_on_its_own_page(browser, server, follow_up, connect, page_errors):
    code, green = follow_up["code"], follow_up["groups"][0]
    host = connect(code, "host", follow_up["host_key"])
    page = open_page(browser, f"{server.url}/{code}/groep?key={green['key']}", page_errors, **SMALL_PHONE)
    expect(page.locator("#conn")).to_have_text("Verbonden")
    expect(page.locator("#member-list")).to_contain_text("Anna")
    expect(page.locator("#member-others")).to_contain_text("1 persoon")
    expect(page.locator("#card-lines")).to_contain_text("Eerst de buren vragen")
    page.get_by_label("Wat willen we bereiken?").fill("Meer bomen in de Dorpsstraat")
    page.get_by_label("Wat is de eerste stap?").fill("Buren uitnodigen")
    page.get_by_role("button", name="Plan opslaan").click()
    expect(page.locator('[data-status="plan"]')).to_have_text("Opgeslagen ✓")
    page.get_by_role("button", name="Wij willen hulp").click()
    expect(page.locator('[data-status="ask_help"]')).to_contain_text("hulp")
    groups = connect(code, "host", follow_up["host_key"]).state["groups"]
    assert groups[0]["plan"]["goal"] == "Meer bomen in de Dorpsstraat" and groups[0]["status"] == "vraagt_hulp"
    page.screenshot(path=f"{SHOTS}/group-360.png", full_page=True)
    # In the meeting the plan is read-only here; tops and questions arrive live.
    assert host.call("set_phase", phase="presentations")["ok"]
    expect(page.locator("#plan-closed")).to_be_visible()
    phone = connect(code, "phone")
    ack = phone.call("addition", theme=1, text="Mooi dat u de buren vraagt", kind="top")
    assert ack["ok"], ack
    assert host.call("moderate", addition=ack["addition"], show=True)["ok"]
    expect(page.locator("#extra-list")).to_contain_text("Top: Mooi dat u de buren vraagt")
    assert not page_errors, page_errors


def test_the_hand_off_button_makes_a_terugkombijeenkomst_with_a_link_per_group(browser, server, connect, page_errors):
    night = evening(server, connect, ("Groen", "Verkeer", "Eten"), [(1, "Anna", True), (3, "Dewi", True)])
    code = night["code"]
    page = open_page(browser, f"{server.url}/{code}/host?key={night['host_key']}", page_errors, **LAPTOP)
    page.goto(f"{server.url}/{code}/afronden")
    page.get_by_role("button", name="Terugkombijeenkomst maken").click()
    expect(page.get_by_role("heading", name="De terugkombijeenkomst is gemaakt")).to_be_visible()
    links = page.locator("a.group-link")
    expect(links).to_have_count(2)
    assert page.locator(".group-link-sheet svg.qr").count() == 2
    page.screenshot(path=f"{SHOTS}/handoff-made-1280.png", full_page=True)
    group_url = links.first.get_attribute("href")
    page.get_by_role("link", name="Naar de terugkombijeenkomst").click()
    assert "/host" in page.url
    group = open_page(browser, group_url, page_errors, **SMALL_PHONE)
    expect(group.get_by_role("heading", level=1)).to_contain_text("Groen")
    assert not page_errors, page_errors
