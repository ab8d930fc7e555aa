"""What a resident and a facilitator see on a real evening, in Debian's Chromium: a long theme title
on a small phone with big text, and the laptop of a facilitator at 19:25 with the hall filling up.

Found by walking a whole evening on a 1366x768 laptop, two beamers and six kinds of phone.
"""

from __future__ import annotations

import pytest
from conftest import open_page
from playwright.sync_api import expect

# Long enough to wrap on any phone, as kopgroepen write them.
LONG = "Veilig verkeer rond de school en de oversteek bij de Kerkstraat"
THEMES = [f"{LONG}: kinderen en ouderen steken daar elke dag over", "Groen in de wijk", "Samen eten"]
SMALL = {
    "viewport": {"width": 320, "height": 568},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}

# Per card with a title (a fieldset with a border and a legend): how far the top border line runs
# through the title. Chromium draws a fieldset's border through the middle of its legend, so a
# title of two lines is cut in two: half above the card, half inside it.
TITLE_ON_BORDER = """() => [...document.querySelectorAll('fieldset')]
    .filter((f) => f.checkVisibility() && parseFloat(getComputedStyle(f).borderTopWidth) > 0)
    .map((f) => [f, f.querySelector(':scope > legend')])
    .filter(([f, legend]) => legend && legend.textContent.trim())
    .map(([f, legend]) => {
        const line = f.getBoundingClientRect().top + parseFloat(getComputedStyle(f).borderTopWidth);
        const over = Math.round(line - legend.getBoundingClientRect().top);
        return [legend.textContent.trim().slice(0, 30), over];
    })
    .filter(([, over]) => over > 0)"""


def big_text(page) -> None:
    """The phone's text size setting at 200%: the default font of the page doubled."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.enable")
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})


@pytest.mark.browser
def test_a_long_theme_title_stays_inside_its_card_on_a_small_phone_with_big_text(
    browser, server, connect, page_errors
):
    meeting = server.create_meeting(themes=THEMES)
    host = connect(meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    found = {}
    for size in ("normal", "200%"):
        phone = open_page(browser, meeting["join_url"], page_errors, **SMALL)
        helper = open_page(browser, meeting["helper_url"], page_errors, **SMALL)
        for name, page in (("phone", phone), ("helper", helper)):
            if size == "200%":
                big_text(page)
                page.reload()
            expect(page.locator("fieldset.theme legend", has_text=LONG).first).to_be_visible()
            found[f"{name} {size}"] = page.evaluate(TITLE_ON_BORDER)
        # After the break the choice is a card with a title as well.
        if size == "normal":
            assert host.call("set_phase", phase="topics")["ok"]
            expect(phone.locator("#choice-box legend")).to_be_visible()
            found["phone topics"] = phone.evaluate(TITLE_ON_BORDER)
            assert host.call("set_phase", phase="recognition")["ok"]
    assert {k: v for k, v in found.items() if v} == {}
    assert page_errors == []


LAPTOP = {"viewport": {"width": 1366, "height": 768}}


@pytest.mark.browser
def test_what_a_host_needs_before_the_evening_is_on_the_first_screen_of_the_laptop(
    browser, server, page_errors
):
    meeting = server.create_meeting(themes=THEMES)
    host = open_page(browser, meeting["host_url"], page_errors, **LAPTOP)
    expect(host.locator("#conn")).to_have_attribute("data-kind", "ok")
    if host.locator("#keep-body").is_visible():
        host.get_by_role("button", name="Sluiten").click()  # the host link is kept: the panel shut
    first = {
        "beamer": host.get_by_role("link", name="Beamer-scherm openen"),
        "paper": host.get_by_role("link", name="Papieren formulier afdrukken"),
        "helper": host.get_by_text("Een helper bij de ingang"),
        "parts": host.get_by_role("button", name="1. Welkom"),
    }
    below = {}
    for name, where in first.items():
        expect(where).to_be_visible()
        box = where.bounding_box()
        if box["y"] + box["height"] > LAPTOP["viewport"]["height"]:
            below[name] = round(box["y"])
    assert below == {}, "below the first screen, at y"

    # After the evening the hand-off has a way back to the screen that leads it.
    host.get_by_role("link", name="Afronden: werkgroepen, verslag en bewaren").click()
    expect(host.get_by_role("heading", name="Afronden: Dorpsavond")).to_be_visible()
    host.get_by_role("link", name="Terug naar het scherm om de avond te leiden").click()
    expect(host.get_by_role("heading", name="De avond leiden")).to_be_visible()
    assert page_errors == []
