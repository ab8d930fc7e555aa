"""WCAG 2.1 AA on the screens of a terugkombijeenkomst: axe in every phase, 44 px targets and
no sideways scrolling at 320 px on the phone and the group's page, the keyboard alone."""

from __future__ import annotations

import pytest
from conftest import BEAMER, PHONE, api, open_page
from playwright.sync_api import expect
from test_accessibility import (
    SMALL_TARGETS,
    TARGET,
    assert_no_violations,
    open_all_details,
    sideways_at_320,
    tab_to,
)
from test_terugkom import evening

PHASES = ("lobby", "presentations", "agreements", "results")
LAPTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def follow_up(server, connect):
    """A terugkombijeenkomst from an evening with two groups, a plan, a top and an agreement."""
    night = evening(server, connect, ("Groen in de wijk", "Verkeer"), [(1, "Anna", True), (2, "Cas", True)])
    body = {
        "kind": "terugkom",
        "title": "Terugkom",
        "from": [{"code": night["code"], "host_key": night["host_key"]}],
    }
    made = api(server.url + "/api/meetings", body)[1]
    group = connect(made["code"], "group", made["groups"][0]["key"])
    assert group.call("plan", fields={"goal": "Meer groen", "first_step": "Een brief"})["ok"]
    return made


def prepare(host, phase: str) -> None:
    """Bring the meeting to a phase with something to show in it."""
    assert host.call("set_phase", phase=phase)["ok"]
    if phase == "presentations":
        assert host.call("set_presenting", theme=1)["ok"]
    if phase == "agreements" and not host.state.get("agreements"):
        assert host.call("agreement", text="Samen planten", themes=[1, 2], who="Anna", due="mei")["ok"]


@pytest.mark.browser
def test_every_terugkom_screen_passes_axe_in_every_phase(browser, server, follow_up, connect, page_errors):
    code = follow_up["code"]
    host = connect(code, "host", follow_up["host_key"])
    pages = {
        "host": open_page(
            browser, f"{server.url}/{code}/host?key={follow_up['host_key']}", page_errors, **LAPTOP
        ),
        "beamer": open_page(
            browser, f"{server.url}/{code}/beamer?key={follow_up['projector_key']}", page_errors, **BEAMER
        ),
        "phone": open_page(browser, f"{server.url}/{code}", page_errors, **PHONE),
        "group": open_page(
            browser, f"{server.url}/{code}/groep?key={follow_up['groups'][0]['key']}", page_errors, **PHONE
        ),
    }
    for page in pages.values():
        expect(page.locator("#conn")).to_have_attribute("data-kind", "ok")
    for phase in PHASES:
        prepare(host, phase)
        expect(pages["phone"].locator("body")).to_have_attribute("data-phase", phase)
        expect(pages["beamer"].locator("body")).to_have_attribute("data-phase", phase)
        expect(pages["host"].locator("body")).to_have_attribute("data-phase", phase)
        for page in pages.values():
            open_all_details(page)
        assert_no_violations({f"{name} in {phase}": page for name, page in pages.items()})
    assert page_errors == []


@pytest.mark.browser
def test_the_phone_and_the_group_page_fit_a_finger_and_320_px(
    browser, server, follow_up, connect, page_errors
):
    code = follow_up["code"]
    host = connect(code, "host", follow_up["host_key"])
    phone = open_page(browser, f"{server.url}/{code}", page_errors, **PHONE)
    group = open_page(
        browser, f"{server.url}/{code}/groep?key={follow_up['groups'][0]['key']}", page_errors, **PHONE
    )
    small, wide = {}, {}
    for phase in PHASES:
        prepare(host, phase)
        expect(phone.locator("body")).to_have_attribute("data-phase", phase)
        for name, page in (("phone", phone), ("group", group)):
            open_all_details(page)
            small[f"{name} {phase}"] = page.evaluate(SMALL_TARGETS, TARGET)
            wide[f"{name} {phase}"] = sideways_at_320(page)
            page.set_viewport_size(PHONE["viewport"])
    assert {k: v for k, v in small.items() if v} == {}
    assert {k: v for k, v in wide.items() if v} == {}
    assert page_errors == []


@pytest.mark.browser
def test_a_top_a_plan_and_an_agreement_need_no_mouse(browser, server, follow_up, connect, page_errors):
    code = follow_up["code"]
    group = open_page(
        browser, f"{server.url}/{code}/groep?key={follow_up['groups'][1]['key']}", page_errors, **PHONE
    )
    expect(group.locator("#conn")).to_have_text("Verbonden")
    tab_to(group, "#plan-goal")
    group.keyboard.type("Veilig naar school")
    tab_to(group, "#plan-save")
    group.keyboard.press("Enter")
    expect(group.locator('[data-status="plan"]')).to_have_text("Opgeslagen ✓")

    host_page = open_page(
        browser, f"{server.url}/{code}/host?key={follow_up['host_key']}", page_errors, **LAPTOP
    )
    expect(host_page.locator("#conn")).to_have_text("Verbonden")
    tab_to(host_page, 'button.phase[data-phase="presentations"]', limit=60)
    host_page.keyboard.press("Enter")
    button = tab_to(host_page, "#present-list button", limit=60)
    host_page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-pressed", "true")

    phone = open_page(browser, f"{server.url}/{code}", page_errors, **PHONE)
    expect(phone.locator("#present-now")).to_contain_text("Groen in de wijk")
    tab_to(phone, "#extra-text", limit=60)
    phone.keyboard.type("Goed dat u de buren vraagt")
    phone.keyboard.press("Tab")
    phone.keyboard.press("Enter")
    expect(phone.locator('[data-status="addition-follow-up"]')).to_contain_text("Dank u!")

    tab_to(host_page, 'button.phase[data-phase="agreements"]', limit=80)
    host_page.keyboard.press("Enter")
    tab_to(host_page, "#agreement-text", limit=80)
    host_page.keyboard.type("Een oversteek bij de school")
    host_page.keyboard.press("Tab")
    host_page.keyboard.press("Tab")  # the second group: Verkeer
    host_page.keyboard.press("Space")
    tab_to(host_page, "#agreement-save")
    host_page.keyboard.press("Enter")
    expect(host_page.locator("#agreement-list")).to_contain_text("Werkgroep: Verkeer")
    assert page_errors == []
