"""The host screen during the evening, in Debian's Chromium against the real server: the bar that
stays at the top (the part of the evening, Terug / Verder, Ga naar), the keyboard alone through
moderation and the other lists, the beamer's colour key, and the sender's phone showing the text
as the server stored it.
"""

from __future__ import annotations

import re

import pytest
from conftest import PHONE, open_page, resize
from playwright.sync_api import expect
from test_accessibility import SMALL_TARGETS, TARGET, assert_no_violations, tab_to

pytestmark = pytest.mark.browser

LAPTOP = {"viewport": {"width": 1366, "height": 768}}
THEMES = ["Groen in de wijk: meer bomen en bankjes", "Veilig verkeer rond de school", "Samen eten"]
# A laptop, a small beamer laptop, both at 200% zoom (half the CSS pixels), and small phones.
SIZES = [(1366, 768), (1280, 720), (683, 384), (640, 360), (390, 844), (320, 568)]

# Where the focused element is, against the bottom of the bar (when the bar is stuck at the top).
FOCUS_BOX = """() => {
    const el = document.activeElement;
    const bar = document.getElementById('host-nav');
    const nav = bar.getBoundingClientRect();
    const box = el.getBoundingClientRect();
    return {
        inBar: bar.contains(el), tag: el.tagName,
        focus: el.dataset.focus || el.id || el.textContent.slice(0, 30),
        top: box.top, bottom: box.bottom, barBottom: nav.bottom, barStuck: nav.top === 0,
        sticky: getComputedStyle(bar).position === 'sticky', height: innerHeight,
    };
}"""


def to_bottom(page) -> None:
    """Scroll the host page all the way down, as when moderating the last additions."""
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_function("() => scrollY + innerHeight >= document.documentElement.scrollHeight - 2")


def active(page) -> dict:
    """What has the keyboard focus: its tag and data-focus key (or id)."""
    return page.evaluate(
        "() => ({tag: document.activeElement.tagName,"
        " key: document.activeElement.dataset.focus || document.activeElement.id})"
    )


def test_the_bar_stays_at_hand_at_the_bottom_and_switches_the_phase_like_the_phase_buttons(
    browser, server, meeting, connect, page_errors
):
    phone = connect(meeting["code"], "phone")
    page = open_page(browser, meeting["host_url"], page_errors, **LAPTOP)
    expect(page.locator("#conn")).to_have_text("Verbonden")
    bar = page.get_by_role("navigation", name="Snel naar")
    to_bottom(page)
    assert page.evaluate("scrollY") > 3000  # the page is long; the bar came along
    box = bar.bounding_box()
    assert box["y"] == 0 and box["height"] <= 64, box  # stuck at the top, one line
    expect(bar.locator("#nav-phase")).to_have_text("1. Welkom")
    expect(bar.get_by_role("button", name="Terug")).to_be_disabled()

    # Verder sends the same set_phase as the phase buttons: every screen follows.
    bar.get_by_role("button", name="Verder: Herkenning").click()
    phone.wait_for(lambda: phone.state["phase"] == "recognition", what="recognition")
    expect(bar.locator("#nav-phase")).to_have_text("2. Herkenning")
    expect(page.locator('button.phase[data-phase="recognition"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator('#main [data-status="set_phase"]')).to_have_text("Nu op alle schermen: Herkenning")
    bar.get_by_role("button", name="Terug: Welkom").click()
    phone.wait_for(lambda: phone.state["phase"] == "lobby", what="back to the lobby")
    expect(bar.locator("#nav-phase")).to_have_text("1. Welkom")
    assert page.evaluate("scrollY") > 3000, "switching never jumps to the top"

    # With the keyboard to the last part: Verder has nowhere to go, the focus moves to Terug.
    verder = bar.locator("#nav-next")
    verder.focus()
    for n, phase in enumerate(("recognition", "break", "topics", "pledges", "results"), start=2):
        page.keyboard.press("Enter")
        expect(bar.locator("#nav-phase")).to_have_text(re.compile(f"^{n}\\. "))
        phone.wait_for(lambda p=phase: phone.state["phase"] == p, what=phase)
    expect(bar.locator("#nav-phase")).to_have_text("6. Uitkomsten")
    expect(verder).to_be_disabled()
    expect(bar.locator("#nav-prev")).to_be_focused()
    page.keyboard.press("Enter")
    phone.wait_for(lambda: phone.state["phase"] == "pledges", what="one back")

    # Ga naar: a section lands below the bar, with the keyboard on its heading.
    bar.get_by_text("Ga naar").click()
    bar.get_by_role("link", name="Thema's").click()
    heading = page.locator("#h-themes")
    expect(heading).to_be_focused()
    expect(bar.locator("#nav-jump")).not_to_have_attribute("open", "")
    top = heading.bounding_box()["y"]
    assert bar.bounding_box()["height"] <= top < bar.bounding_box()["height"] + 40, top
    # And by keyboard: Enter opens the menu, Escape folds it and returns to Ga naar.
    summary = bar.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(bar.locator("#nav-jump")).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    expect(bar.get_by_role("link", name="Klaarzetten")).to_be_focused()
    page.keyboard.press("Escape")
    expect(bar.locator("#nav-jump")).not_to_have_attribute("open", "")
    expect(summary).to_be_focused()
    page.keyboard.press("Enter")
    for _ in range(7):  # Klaarzetten, Live, Beamer, Herkenning, Thema's, Aanvullingen, Kaarten
        page.keyboard.press("Tab")
    expect(bar.get_by_role("link", name="Kaarten")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#h-cards")).to_be_focused()
    assert page.locator("#h-cards").bounding_box()["y"] >= bar.bounding_box()["height"]
    bar.get_by_text("Ga naar").click()
    assert_no_violations({"host, menu open, scrolled": page})
    assert page_errors == []


def test_the_bar_fits_a_laptop_a_phone_and_200_percent_text(browser, server, meeting, connect, page_errors):
    host = connect(meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="topics")["ok"]  # the longest name of a part
    page = open_page(browser, meeting["host_url"], page_errors, **LAPTOP)
    expect(page.locator("#nav-phase")).to_have_text("4. Onderwerp kiezen")
    bar = page.locator("#host-nav")
    for width, height in SIZES:
        resize(page, width, height)
        to_bottom(page)
        box = bar.bounding_box()
        lines = 1 if width >= 576 else 2  # a phone: the part on one line, the buttons below
        assert box["y"] == 0 and box["height"] <= 30 + 57 * lines, (width, box)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        for control in bar.locator("button, summary").all():
            b = control.bounding_box()
            assert b["x"] >= 0 and b["x"] + b["width"] <= width and b["height"] >= TARGET, (width, b)
        bar.get_by_text("Ga naar").click()
        menu = bar.locator("#nav-jump ul").bounding_box()
        assert menu["x"] >= 0 and menu["x"] + menu["width"] <= width, (width, menu)
        assert page.evaluate(SMALL_TARGETS, TARGET) == []
        bar.get_by_text("Ga naar").click()
    page.screenshot(path="/tmp/host-nav-320.png")


def test_the_keyboard_focus_never_hides_behind_the_bar(browser, server, meeting, connect, page_errors):
    host = connect(meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    phone = connect(meeting["code"], "phone")
    for text in ("Meer bankjes", "Drempels bij de school", "Een moestuin"):
        assert phone.call("addition", theme=1, text=text)["ok"]
    page = open_page(browser, meeting["host_url"], page_errors, **LAPTOP)
    expect(page.locator("#additions li")).to_have_count(3)
    for width, height in ((1366, 768), (320, 568)):
        resize(page, width, height)
        # Backwards from the bottom (the focus comes in from above the viewport: the bar's side),
        # and then forwards again.
        to_bottom(page)
        page.locator("#h-after + ul a").last.focus()
        seen, stuck = [], 0
        # Back up to the bar, then down again until the bottom.
        keys = ["Shift+Tab"] * 200
        while keys:
            key = keys.pop(0)
            page.keyboard.press(key)
            where = page.evaluate(FOCUS_BOX)
            seen.append(where["focus"])
            assert where["tag"] != "BODY", seen[-5:]
            if where["inBar"] and key == "Shift+Tab":
                keys = ["Tab"] * 60
            # (At the very top the bar sits in the flow under the title bar and covers nothing.)
            if where["inBar"] or not where["sticky"] or not where["barStuck"]:
                continue
            assert where["top"] >= where["barBottom"], (width, where)
            stuck += 1
        assert stuck > 40, "most of the walk happens with the bar stuck at the top"
    assert page_errors == []


def test_moderating_with_the_keyboard_alone_keeps_the_focus_on_the_addition(
    browser, server, meeting, connect, page_errors
):
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    phone = connect(code, "phone")
    ids = [
        phone.call("addition", theme=2, text=text)["addition"]
        for text in ("Drempels", "Minder hard rijden", "Een fietsenstalling bij school")
    ]
    page = open_page(browser, meeting["host_url"], page_errors, **LAPTOP)
    expect(page.locator("#additions li")).to_have_count(3)
    first, second, third = (page.locator(f'#additions li[data-addition="{i}"]') for i in ids)

    # Show: the focus stays on that addition's button, which now says Verbergen.
    tab_to(page, f'[data-focus="{ids[0]}:show"]', limit=120)
    page.keyboard.press("Enter")
    expect(first.locator(".mod-state")).to_have_text("Gekozen voor de beamer")
    expect(first.get_by_role("button", name="Verbergen")).to_be_focused()

    # Merge: open, pick with the arrow keys, Samenvoegen; the focus stays on this addition.
    page.keyboard.press("Tab")
    expect(first.get_by_role("button", name="Samenvoegen met …")).to_be_focused()
    page.keyboard.press("Enter")
    expect(first.get_by_label("Met welke aanvulling?")).to_be_focused()
    page.keyboard.press("Escape")  # Annuleren: back on the button that opened it
    expect(first.get_by_role("button", name="Samenvoegen met …")).to_be_focused()
    expect(first.locator(".mod-tool")).to_have_count(0)
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    expect(first.get_by_label("Met welke aanvulling?")).to_have_value(str(ids[1]))
    page.keyboard.press("Tab")  # the number box
    page.keyboard.press("Tab")
    expect(first.get_by_role("button", name="Samenvoegen", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(first.locator(".mod-state")).to_have_text(f"Samengevoegd met nr. {ids[1]}")
    # Merged, its button says what it does now: shown again, it leaves the group.
    expect(first.get_by_role("button", name="Weer apart tonen")).to_be_focused()
    assert active(page) == {"tag": "BUTTON", "key": f"{ids[0]}:show"}

    # A new theme: the addition keeps the focus itself (it has no buttons left).
    tab_to(page, f'[data-focus="{ids[2]}:promote"]')
    page.keyboard.press("Enter")
    title = third.get_by_label("Titel van het nieuwe thema")
    expect(title).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("Fietsenstalling")
    page.keyboard.press("Enter")
    expect(third.locator(".mod-state")).to_have_text("Is nu een thema")
    expect(third).to_be_focused()
    assert page.evaluate("document.activeElement.matches(':focus-visible')")
    host.wait_for(lambda: "Fietsenstalling" in [t["title"] for t in host.state["themes"]], what="new theme")

    # Hide the second one; then on to the themes: edit with Escape, results, pace at the ends.
    second.get_by_role("button", name="Tonen op beamer").focus()
    page.keyboard.press("Enter")
    expect(second.get_by_role("button", name="Verbergen")).to_be_focused()
    page.keyboard.press("Enter")
    expect(second.get_by_role("button", name="Tonen op beamer")).to_be_focused()

    themes = page.locator("#theme-list > li")
    edit = themes.first.get_by_role("button", name="Bewerken")
    edit.focus()
    page.keyboard.press("Enter")
    expect(themes.first.get_by_label("Titel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(edit).to_be_focused()
    expect(themes.first.locator("form.theme-edit")).to_be_hidden()

    hide = page.get_by_role("button", name="Alle uitkomsten verbergen")
    hide.focus()
    page.keyboard.press("Enter")
    expect(hide).to_be_disabled()
    expect(page.get_by_role("button", name="Alle uitkomsten tonen")).to_be_focused()
    page.keyboard.press("Enter")
    expect(hide).to_be_focused()

    page.get_by_label("Eén thema per keer").check()
    following = page.locator("#pace-next")
    expect(page.locator("#pace-now")).to_contain_text("(1 van 5)")
    following.focus()
    expect(following).to_be_focused()
    for _ in range(4):  # four themes and the whole: four steps to the end
        page.keyboard.press("Enter")
    expect(page.locator("#pace-now")).to_contain_text("Het geheel")
    expect(following).to_be_disabled()
    expect(page.locator("#pace-prev")).to_be_focused()
    assert page_errors == []


def test_hands_tables_and_the_hand_off_by_keyboard(browser, server, meeting, connect, page_errors):
    host = connect(meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="topics")["ok"]
    page = open_page(browser, meeting["host_url"], page_errors, **LAPTOP)
    expect(page.locator("#per-theme li")).to_have_count(4)
    # Raised hands: type, Tab on; the number counts.
    page.locator("#hands-1-yes").focus()
    page.keyboard.type("7")
    page.keyboard.press("Tab")
    expect(page.locator("#hands-1-partly")).to_be_focused()
    host.wait_for(
        lambda: host.tally and host.tally["themes"][0]["sources"]["hands"]["yes"] == 7, what="hands"
    )
    # Tables: open the form, Tab to the field, type, Enter saves; the focus is back on Bewerken.
    theme = page.locator("#theme-list > li").first
    theme.get_by_role("button", name="Bewerken").focus()
    page.keyboard.press("Enter")
    tab_to(page, "#theme-1-tables")
    # One table per line (a comma is part of a name): Enter in the box starts the next line.
    page.keyboard.type("Tafel 1")
    page.keyboard.press("Enter")
    page.keyboard.type("Tafel 2")
    tab_to(page, "#theme-1-capacity")
    page.keyboard.press("Enter")
    expect(theme.locator(".theme-tables")).to_have_text("Plaats: Tafel 1 · Tafel 2.")
    expect(theme.get_by_role("button", name="Bewerken")).to_be_focused()
    # Merge a small subgroup into another: the focus goes on at the theme it joined.
    second = page.locator("#theme-list > li").nth(1)
    second.get_by_label("Samenvoegen met").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#theme-list > li")).to_have_count(2)
    expect(theme.get_by_role("button", name="Bewerken")).to_be_focused()
    # A paper card's note removed: the focus is on the card's title.
    assert host.call("note", theme=1, field="how", text="Samen met de school")["ok"]
    remove = page.locator('#card-list [data-card="1"] li').get_by_role("button", name="Weghalen")
    remove.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#card-h-1")).to_be_focused()
    # The hand-off, from the menu in the bar.
    page.locator("#nav-jump summary").focus()
    page.keyboard.press("Enter")
    tab_to(page, '#nav-jump a[href="#h-after"]')
    page.keyboard.press("Enter")
    expect(page.locator("#h-after")).to_be_focused()
    tab_to(page, '#h-after + ul a[href$="/afronden"]')
    page.keyboard.press("Enter")
    page.wait_for_url("**/afronden")
    assert page_errors == []


def test_the_beamer_shows_the_colour_key_only_beside_bars(browser, server, meeting, connect, page_errors):
    host = connect(meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    beamer = open_page(
        browser, meeting["projector_url"], page_errors, viewport={"width": 1280, "height": 720}
    )
    legend = beamer.locator(".board-head .legend")
    expect(legend).to_be_visible()
    assert host.call("set_results", hidden=True)["ok"]
    expect(beamer.locator(".split:visible")).to_have_count(0)
    expect(legend).to_be_hidden()
    assert host.call("set_results", hidden=False)["ok"]
    expect(legend).to_be_visible()
    # Hidden theme by theme: the key stays while one row still shows bars, and goes with the last.
    splits = beamer.locator(".theme-row .split:not([hidden])")
    expect(splits).to_have_count(4)  # three themes and the whole
    for n, theme in enumerate((1, 2, 3), start=1):
        assert host.call("set_results", hidden=True, theme=theme)["ok"]
        expect(splits).to_have_count(4 - n)
        expect(legend).to_be_visible()
    assert host.call("set_results", hidden=True, theme=0)["ok"]
    expect(splits).to_have_count(0)
    expect(legend).to_be_hidden()
    assert host.call("set_results", hidden=False, theme=2)["ok"]
    expect(legend).to_be_visible()
    assert page_errors == []


def test_the_phone_lists_the_addition_as_the_server_stored_it(browser, server, meeting, connect, page_errors):
    host = connect(meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    page = open_page(browser, meeting["join_url"], page_errors, **PHONE)
    card = page.locator('#rec-themes > fieldset[data-theme="1"]')
    card.locator("summary").click()
    typed = "Meer bankjes   \n\n\n\n   bij de kerk\u200b en \u202ehet plein"
    card.locator("textarea").fill(typed)
    card.get_by_role("button", name="Versturen").click()
    expect(page.locator('[data-status="addition-1"]')).to_contain_text("verstuurd")
    stored = host.wait_for(lambda: host.state["additions"], what="the addition")[0]["text"]
    assert stored == "Meer bankjes\n\nbij de kerk en het plein"
    item = card.locator(".sent-list li")
    expect(item).to_have_count(1)
    assert item.evaluate("(li) => li.textContent") == stored
    # After a reload the phone lists it from its snapshot: the same text.
    page.reload()
    item = page.locator('#rec-themes > fieldset[data-theme="1"] .sent-list li')
    expect(item).to_have_count(1)
    assert item.evaluate("(li) => li.textContent") == stored

    # A note on the card, and the same note changed: the phone shows them as stored too.
    assert host.call("set_phase", phase="topics")["ok"]
    page.get_by_role("radio", name="Groen in de wijk").check()
    expect(page.locator("#card-of")).to_have_text("Kaart van: Groen in de wijk")
    needs = page.locator('.card-field[data-field="needs"]')
    page.get_by_label("Uw briefje bij: Wat is er nodig?").fill("Een aanhanger  \n\n\n  voor de bomen\u200b")
    needs.get_by_role("button", name="Op de kaart zetten").click()
    expect(page.locator('[data-status="note-needs"]')).to_contain_text("kaart")
    mine = needs.locator("li.own .note-text")
    expect(mine).to_have_count(1)
    assert mine.evaluate("(p) => p.textContent") == "Een aanhanger\n\nvoor de bomen"
    needs.locator("li.own").get_by_role("button", name="Wijzigen").click()
    page.get_by_label("Uw briefje", exact=True).fill("  Twee\u200b aanhangers  ")
    needs.locator("li.own").get_by_role("button", name="Opslaan").click()
    expect(page.locator('[data-status="note-needs"]')).to_have_text("Opgeslagen ✓")
    assert mine.evaluate("(p) => p.textContent") == "Twee aanhangers"
    assert page_errors == []
