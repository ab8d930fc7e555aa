"""The phone for the whole evening, in Debian's Chromium against the real server: themes from the
live state, pacing, the topic choice into tables, the subgroup card, pledges per theme with a
withdrawal, and a second person on the same phone. A host socket client checks that the tally and
the export agree with what the phone shows."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import PHONE, get, open_page, own_server
from playwright.sync_api import expect
from test_accessibility import SMALL_TARGETS, TARGET, assert_no_violations, open_all_details, sideways_at_320

THEMES = [
    {"title": "Groen in de wijk", "description": "Meer bomen en bankjes, zeiden velen."},
    {"title": "Veilig verkeer", "description": "Er wordt te hard gereden bij de school."},
    {"title": "Samen eten", "description": "Een maaltijd in het dorpshuis."},
]
ZOOMED = {**PHONE, "viewport": {"width": 187, "height": 422}}  # 200% zoom of a 375 px phone

pytestmark = pytest.mark.browser


def export_rows(server, meeting) -> list[list[str]]:
    """The working-group export as the host downloads it, one list of cells per person."""
    status, _headers, body = get(
        f"{server.url}/{meeting['code']}/werkgroepen.csv",
        headers={"Authorization": f"Bearer {meeting['host_key']}"},
    )
    assert status == 200
    lines = body.decode("utf-8-sig").strip().split("\r\n")
    return [line.split(";") for line in lines[1:]]


def pledged(host, theme: int) -> int:
    """How many pledged for a theme, as the host's newest tally says."""
    return next(row["pledged"] for row in host.tally["themes"] if row["theme"] == theme)


def fits_a_finger_and_320_px(phone) -> None:
    """Every tap target is 44 px and nothing scrolls sideways at 320 px."""
    open_all_details(phone)
    assert phone.evaluate(SMALL_TARGETS, TARGET) == []
    assert sideways_at_320(phone) == 0
    phone.set_viewport_size(PHONE["viewport"])


WIDER_THAN_THE_SCREEN = """() => {
    const edge = document.documentElement.clientWidth + 1;
    // An element too wide, or one whose words stick out of it.
    return [...document.querySelectorAll('body *')]
        .filter((e) => e.checkVisibility())
        .filter((e) => e.getBoundingClientRect().right > edge || e.scrollWidth > e.clientWidth + 1)
        .map((e) => `${e.tagName.toLowerCase()}.${e.className}: ${e.textContent.trim().slice(0, 30)}`);
}"""


def assert_no_sideways(page) -> None:
    """Nothing sticks out to the right (WCAG 1.4.10 Reflow); says which elements do."""
    wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wide == 0, page.evaluate(WIDER_THAN_THE_SCREEN)


def shoot(page, name: str) -> None:
    """A full-page screenshot in SCREENSHOT_DIR, when it is set, to look at (as test_browser.py)."""
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(os.environ["SCREENSHOT_DIR"]) / name), full_page=True)


def test_a_phone_walks_from_the_choice_to_the_card_to_pledges_and_a_second_person(
    browser, server, connect, page_errors
):
    meeting = server.create_meeting(themes=THEMES, title="Wijkavond De Akkers")
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    assert host.call("edit_theme", theme=1, table="Tafel 3, bij het raam")["ok"]
    assert host.call("edit_theme", theme=2, capacity=1)["ok"]
    assert host.call("set_phase", phase="topics")["ok"]
    neighbour = connect(code, "phone")
    assert neighbour.call("choose", theme=2)["ok"]  # the last seat of "Veilig verkeer"

    phone = open_page(browser, meeting["join_url"], page_errors, **PHONE)
    expect(phone.get_by_role("heading", name="Welk onderwerp kiest u?")).to_be_visible()
    # Each theme comes with the summary of the earlier talks and its table.
    expect(phone.locator("#choice-list")).to_contain_text("Te hard gereden bij de school", ignore_case=True)
    expect(phone.locator("#choice-list")).to_contain_text("Plaats: Tafel 3, bij het raam")

    # A full theme is marked and no longer offered, before anybody taps it ...
    expect(phone.get_by_role("radio", name="Veilig verkeer")).to_be_disabled()
    expect(phone.locator('.option[data-theme="2"] .full-mark')).to_be_visible()
    # ... and a theme that fills up while the phone looks is marked at once.
    assert host.call("edit_theme", theme=3, capacity=1)["ok"]
    expect(phone.get_by_role("radio", name="Samen eten")).to_be_enabled()
    other = connect(code, "phone")
    assert other.call("choose", theme=3)["ok"]
    expect(phone.get_by_role("radio", name="Samen eten")).to_be_disabled()
    expect(phone.locator('.option[data-theme="3"] .full-mark')).to_be_visible()
    assert host.call("edit_theme", theme=3, capacity=None)["ok"]
    expect(phone.get_by_role("radio", name="Samen eten")).to_be_enabled()

    # A theme with a table: the phone says plainly where to go, also after a reload.
    phone.get_by_role("radio", name="Groen in de wijk").check()
    expect(phone.locator("#go-to")).to_have_text(re.compile(r"Ga naar:\s*Tafel 3, bij het raam"))
    phone.reload()
    expect(phone.locator("#go-to")).to_have_text(re.compile(r"Ga naar:\s*Tafel 3, bij het raam"))
    expect(phone.locator("#card-of")).to_have_text("Kaart van: Groen in de wijk")

    # The card: add a note, see a neighbour's note arrive live, edit and remove one's own.
    needs = phone.locator('.card-field[data-field="needs"]')
    phone.get_by_label("Uw briefje bij: Wat is er nodig?").fill("Een aanhanger voor de bomen")
    needs.get_by_role("button", name="Op de kaart zetten").click()
    mine = needs.locator("li.own")
    expect(mine).to_contain_text("Een aanhanger voor de bomen")
    expect(phone.get_by_label("Uw briefje bij: Wat is er nodig?")).to_have_value("")
    assert neighbour.call("note", theme=1, field="how", text="<b>Samen</b> met de school")["ok"]
    theirs = phone.locator('.card-field[data-field="how"] li')
    expect(theirs).to_have_text("<b>Samen</b> met de school")  # text, never HTML
    expect(theirs.get_by_role("button")).to_have_count(0)  # someone else's note is read-only
    # Typing a note while others add theirs loses nothing.
    phone.get_by_label("Uw briefje bij: Wie neemt het voortouw?").fill("Ik denk Els")
    assert neighbour.call("note", theme=1, field="lead", text="De school")["ok"]
    expect(phone.locator('.card-field[data-field="lead"] li')).to_have_text("De school")
    expect(phone.get_by_label("Uw briefje bij: Wie neemt het voortouw?")).to_have_value("Ik denk Els")

    mine.get_by_role("button", name="Wijzigen").click()
    phone.get_by_label("Uw briefje", exact=True).fill("Twee aanhangers")
    mine.get_by_role("button", name="Opslaan").click()
    expect(mine).to_contain_text("Twee aanhangers")
    host.wait_for(lambda: any(n.get("text") == "Twee aanhangers" for n in host.notes), what="edited note")
    fits_a_finger_and_320_px(phone)
    shoot(phone, "phone-topics-card.png")
    assert_no_violations({"phone topics with card": phone})
    zoomed = open_page(
        browser, meeting["join_url"], page_errors, **ZOOMED, storage_state=phone.context.storage_state()
    )
    expect(zoomed.locator("#go-to")).to_contain_text("Tafel 3")
    expect(zoomed.locator('.card-field[data-field="needs"] li')).to_contain_text("Twee aanhangers")
    assert_no_sideways(zoomed)
    shoot(zoomed, "phone-topics-card-200.png")
    mine.get_by_role("button", name="Weghalen").click()
    expect(needs.locator("li")).to_have_count(0)
    host.wait_for(lambda: any(n.get("removed") for n in host.notes), what="removed note")
    expect(phone.locator('[data-status="note-needs"]')).to_have_text("Uw briefje is weggehaald.")

    # Two pledges for two themes, each confirmed with the theme's name.
    assert host.call("set_phase", phase="pledges")["ok"]
    expect(phone.get_by_role("heading", name="Wilt u meehelpen?")).to_be_visible()
    form = phone.locator("#pledge-form")
    pledge_status = phone.locator('[data-status="pledge"]')
    expect(form.get_by_role("radio", name="Groen in de wijk")).to_be_checked()  # from the choice
    expect(form.locator("#pledge-about-3")).to_have_text("Een maaltijd in het dorpshuis.")
    form.get_by_role("radio", name=re.compile("^Trekker")).check()
    form.get_by_label("Uw naam").fill("Els de Boer")
    form.get_by_label("E-mailadres").fill("els@example.nl")
    form.get_by_role("radio", name="Via e-mail").check()
    form.get_by_label(re.compile("Ik vind het goed")).check()
    expect(form.get_by_label(re.compile("andere leden van deze werkgroep"))).not_to_be_checked()
    form.get_by_role("button", name="Ik help mee").click()
    expect(pledge_status).to_have_text("U helpt mee bij: Groen in de wijk. Dank u wel!")
    form.get_by_role("radio", name="Samen eten").check()
    form.get_by_role("radio", name=re.compile("^Af en toe")).check()
    form.get_by_label("Telefoonnummer").fill("06 12345678")
    form.get_by_role("radio", name="Via telefoon").check()
    form.get_by_label(re.compile("andere leden van deze werkgroep")).check()
    form.get_by_role("button", name="Ik help mee").click()
    expect(pledge_status).to_have_text("U helpt mee bij: Samen eten. Dank u wel!")
    listed = phone.locator("#my-pledges")
    expect(listed.locator("h3")).to_have_text(["Els de Boer"])
    expect(listed.locator("li")).to_have_text([re.compile("^Groen in de wijk"), re.compile("^Samen eten")])
    host.wait_for(lambda: pledged(host, 1) == 1 and pledged(host, 3) == 1, what="two pledges in the tally")
    rows = export_rows(server, meeting)
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("Groen in de wijk", "Trekker", "Els de Boer"),
        ("Samen eten", "Af en toe", "Els de Boer"),
    ]

    # Withdrawing asks first; then the pledge is gone from the phone, the tally and the export.
    listed.locator('li[data-theme="3"]').get_by_role("button", name="Intrekken").click()
    expect(listed).to_contain_text("Wilt u echt niet meer meehelpen bij Samen eten?")
    expect(listed.get_by_role("button", name="Nee, ik help mee")).to_be_focused()
    shoot(phone, "phone-pledges-withdraw.png")
    assert_no_violations({"phone asking to withdraw": phone})
    listed.get_by_role("button", name="Ja, intrekken").click()
    expect(phone.locator('[data-status="withdraw"]')).to_have_text("U helpt niet meer mee bij: Samen eten.")
    expect(listed.locator("li")).to_have_text([re.compile("^Groen in de wijk")])
    host.wait_for(lambda: pledged(host, 3) == 0, what="the withdrawal in the tally")
    assert [r[0] for r in export_rows(server, meeting)] == ["Groen in de wijk"]

    # A second person on this phone: a participant of its own, nothing of Els prefilled.
    phone.get_by_role("button", name="Nog iemand aanmelden op deze telefoon").click()
    for field in ("Uw naam", "E-mailadres", "Telefoonnummer"):
        expect(form.get_by_label(field)).to_have_value("")
    expect(form.get_by_label(re.compile("Ik vind het goed"))).not_to_be_checked()
    expect(form.get_by_label("Uw naam")).to_be_focused()
    form.get_by_role("radio", name="Groen in de wijk").check()
    form.get_by_role("radio", name=re.compile("^Meedoen")).check()
    form.get_by_label("Uw naam").fill("Karel Jansen")
    form.get_by_label("Telefoonnummer").fill("0612345679")
    form.get_by_label(re.compile("Ik vind het goed")).check()
    form.get_by_role("button", name="Ik help mee").click()
    expect(pledge_status).to_have_text("U helpt mee bij: Groen in de wijk. Dank u wel!")
    expect(listed.locator("h3")).to_have_text(["Els de Boer", "Karel Jansen"])
    host.wait_for(lambda: pledged(host, 1) == 2, what="the second person's pledge")
    assert host.tally["participants"] == 4  # Els, Karel, two neighbours: Karel counts once, apart
    rows = export_rows(server, meeting)
    # (A number starting with + gets a leading ' in the export, so no spreadsheet runs it.)
    assert sorted((r[1], r[2], r[4]) for r in rows) == [
        ("Meedoen", "Karel Jansen", "06 12345679"),
        ("Trekker", "Els de Boer", ""),
    ]
    tokens = phone.evaluate(
        "Object.keys(localStorage).filter((k) => k.endsWith('token')).map((k) => localStorage.getItem(k))"
    )
    assert len(set(tokens)) == 2
    # After a reload both people and their pledges are back, each under their own name.
    phone.reload()
    expect(listed.locator("h3")).to_have_text(["Els de Boer", "Karel Jansen"])
    karel = listed.locator(".person").nth(1)
    expect(karel.locator("li")).to_have_text([re.compile(r"^Groen in de wijk \(Meedoen\)")])
    # "Wijzigen" opens that person's pledge in the form; a change replaces only that one.
    karel.get_by_role("button", name="Wijzigen").click()
    expect(phone.locator("#pledge-who")).to_have_text("Aanmelding van: Karel Jansen")
    expect(form.get_by_label("Uw naam")).to_have_value("Karel Jansen")
    form.get_by_role("radio", name=re.compile("^Trekker")).check()
    form.get_by_role("button", name="Ik help mee").click()
    expect(karel.locator("li")).to_have_text([re.compile(r"^Groen in de wijk \(Trekker\)")])
    host.wait_for(
        lambda: sorted(r[1] for r in export_rows(server, meeting)) == ["Trekker", "Trekker"],
        what="changed role",
    )
    fits_a_finger_and_320_px(phone)
    shoot(phone, "phone-pledges.png")
    zoomed = open_page(
        browser, meeting["join_url"], page_errors, **ZOOMED, storage_state=phone.context.storage_state()
    )
    expect(zoomed.locator("#my-pledges h3")).to_have_text(["Els de Boer", "Karel Jansen"])
    assert_no_sideways(zoomed)
    shoot(zoomed, "phone-pledges-200.png")
    assert_no_violations({"phone pledges": phone})
    assert page_errors == []


def test_with_one_theme_at_a_time_the_phone_shows_only_that_question_and_new_themes_appear_live(
    browser, server, connect, page_errors
):
    meeting = server.create_meeting(themes=THEMES)
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    phone = open_page(browser, meeting["join_url"], page_errors, **PHONE)
    cards = phone.locator("#rec-themes > fieldset")
    # Every theme with its description, and the whole at the end with its own addition box.
    expect(cards.locator("legend")).to_have_text(
        ["Groen in de wijk", "Veilig verkeer", "Samen eten", "Het geheel"]
    )
    expect(cards.nth(1).locator(".desc")).to_have_text("Er wordt te hard gereden bij de school.")
    expect(cards.nth(3).locator("summary")).to_have_text("Mist er iets in het geheel?")
    cards.nth(0).get_by_text("Ja", exact=True).click()
    expect(phone.locator('[data-status="vote-1"]')).to_have_text("Opgeslagen ✓")

    assert host.call("set_pace", pace="one", theme=2)["ok"]
    expect(phone.locator("#rec-themes > fieldset:visible legend")).to_have_text(["Veilig verkeer"])
    assert host.call("set_pace", pace="one", theme=0)["ok"]
    whole = phone.locator("#rec-themes > fieldset:visible")
    expect(whole.locator("legend")).to_have_text(["Het geheel"])
    whole.get_by_text("Deels", exact=True).click()
    expect(phone.locator('[data-status="vote-0"]')).to_have_text("Opgeslagen ✓")
    whole.locator("summary").click()
    whole.get_by_label("Wat mist er in het geheel?").fill("Het buurthuis")
    whole.get_by_role("button", name="Versturen").click()
    expect(phone.locator('[data-status="addition-0"]')).to_contain_text("verstuurd")
    host.wait_for(lambda: host.tally["whole"]["partly"] == 1, what="the whole's answer")
    host.wait_for(lambda: any(a["theme"] == 0 for a in host.additions), what="the whole's addition")

    # The host adds, edits, reorders and removes themes: the phone follows without a reload,
    # and the answer already given stays.
    assert host.call("set_pace", pace="all")["ok"]
    added = host.call("add_theme", title="Speeltuin", description="Voor de kleintjes")["theme"]
    assert host.call("edit_theme", theme=3, title="Samen koken")["ok"]
    assert host.call("order_themes", order=[added, 1, 2, 3])["ok"]
    assert host.call("remove_theme", theme=2, confirm=True)["ok"]
    expect(cards.locator("legend")).to_have_text(
        ["Speeltuin", "Groen in de wijk", "Samen koken", "Het geheel"]
    )
    expect(cards.nth(0).locator(".desc")).to_have_text("Voor de kleintjes")
    # The topic choice and the pledge form, not on screen yet, follow the same list.
    now = ["Speeltuin", "Groen in de wijk", "Samen koken"]
    expect(phone.locator("#choice-list .theme-title")).to_have_text(now)
    expect(phone.locator("#pledge-themes .choice span")).to_have_text(now)
    expect(phone.locator('input[name="vote-1"][value="yes"]')).to_be_checked()
    expect(phone.locator('input[name="vote-0"][value="partly"]')).to_be_checked()
    assert_no_violations({"phone recognition, one theme added": phone})
    assert page_errors == []


def test_a_choice_on_its_way_stays_ticked_when_a_new_state_comes_in(browser, tmp_path, connect, page_errors):
    # Two events a minute (a choice, then its card): the second choice waits in the phone's
    # outbox (rate_limited, tried again later) while the host changes a theme, which sends every
    # screen a new state.
    with own_server(tmp_path, PHONE_RATE_LIMIT="2/minute") as srv:
        meeting = srv.create_meeting(themes=THEMES)
        host = connect(meeting["code"], "host", meeting["host_key"], url=srv.url)
        assert host.call("set_phase", phase="topics")["ok"]
        phone = open_page(browser, meeting["join_url"], page_errors, **PHONE)
        phone.get_by_role("radio", name="Groen in de wijk").check()
        expect(phone.locator("#card-of")).to_have_text("Kaart van: Groen in de wijk")
        phone.get_by_role("radio", name="Samen eten").check()
        expect(phone.locator('[data-status="choose"]')).to_have_text("Wordt opgeslagen…")
        assert host.call("edit_theme", theme=3, description="Een maaltijd voor de hele straat.")["ok"]
        expect(phone.locator("#choice-list")).to_contain_text("Een maaltijd voor de hele straat.")
        # The tap the person just made, not the older saved choice, is what the phone shows.
        expect(phone.get_by_role("radio", name="Samen eten")).to_be_checked()
        expect(phone.get_by_role("radio", name="Groen in de wijk")).not_to_be_checked()
        expect(phone.locator('[data-status="choose"]')).to_have_text("Wordt opgeslagen…")
    assert page_errors == []


def test_a_closed_choice_and_a_merged_theme_are_plain_on_the_phone(browser, server, connect, page_errors):
    meeting = server.create_meeting(themes=THEMES)
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    assert host.call("edit_theme", theme=3, table=["Tafel 5", "Tafel 6"])["ok"]
    assert host.call("set_phase", phase="topics")["ok"]
    phone = open_page(browser, meeting["join_url"], page_errors, **PHONE)
    phone.get_by_role("radio", name="Groen in de wijk").check()
    expect(phone.locator("#go-to")).to_contain_text("Uw onderwerp: Groen in de wijk")

    assert host.call("lock_choices", locked=True)["ok"]
    expect(phone.locator("#choice-note")).to_have_text(re.compile("Kiezen is gesloten"))
    expect(phone.get_by_role("radio", name="Samen eten")).to_be_disabled()

    assert host.call("merge_themes", theme=1, into=3)["ok"]
    expect(phone.locator("#choice-note")).to_have_text(re.compile("samengevoegd met: Samen eten"))
    expect(phone.locator("#go-to")).to_contain_text("Uw onderwerp: Samen eten")
    expect(phone.locator("#go-to")).to_contain_text("Tafel 5 of Tafel 6")
    expect(phone.locator("#card-of")).to_have_text("Kaart van: Samen eten")

    # "Ik zit aan een andere tafel": the phone follows another theme's card, live.
    phone.get_by_text("Ik zit aan een andere tafel").click()
    phone.get_by_label("Over welk onderwerp praat uw tafel?").select_option(label="Veilig verkeer")
    phone.get_by_role("button", name="Deze kaart tonen").click()
    expect(phone.locator("#card-of")).to_have_text("Kaart van: Veilig verkeer")
    neighbour = connect(code, "phone")
    assert neighbour.call("note", theme=2, field="first_step", text="Borden bij de school, in mei")["ok"]
    expect(phone.locator('.card-field[data-field="first_step"] li')).to_have_text(
        "Borden bij de school, in mei"
    )
    assert page_errors == []


def test_the_card_works_with_the_keyboard_alone(browser, server, connect, page_errors):
    meeting = server.create_meeting(themes=THEMES)
    host = connect(meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="topics")["ok"]
    phone = open_page(browser, meeting["join_url"], page_errors, **PHONE)
    phone.get_by_role("radio", name="Groen in de wijk").focus()
    phone.keyboard.press("Space")
    expect(phone.locator("#card-of")).to_have_text("Kaart van: Groen in de wijk")

    phone.locator("#note-how").focus()
    phone.keyboard.type("Met de buren")
    phone.keyboard.press("Tab")
    expect(phone.get_by_role("button", name="Op de kaart zetten").first).to_be_focused()
    phone.keyboard.press("Enter")
    own = phone.locator('.card-field[data-field="how"] li.own')
    expect(own).to_contain_text("Met de buren")
    # Back past the box to the note's own buttons; "Wijzigen" opens the text, focused.
    for _ in range(3):
        phone.keyboard.press("Shift+Tab")
    expect(own.get_by_role("button", name="Wijzigen")).to_be_focused()
    phone.keyboard.press("Enter")
    expect(phone.get_by_label("Uw briefje", exact=True)).to_be_focused()
    phone.keyboard.press("Control+a")
    phone.keyboard.type("Met alle buren")
    phone.keyboard.press("Tab")
    phone.keyboard.press("Enter")
    expect(own).to_contain_text("Met alle buren")
    expect(own.get_by_role("button", name="Wijzigen")).to_be_focused()  # where the reader was
    phone.keyboard.press("Tab")
    phone.keyboard.press("Enter")
    expect(own).to_have_count(0)
    expect(phone.locator("#note-how")).to_be_focused()  # the focus is not lost with the note
    assert page_errors == []
