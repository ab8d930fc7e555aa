"""The host screen for the whole evening, in Debian's Chromium against the real server.

One walk through an evening as a facilitator does it: recognition one theme at a time with the
results hidden and then revealed, raised hands, themes added, edited, moved and removed, additions
merged and made a theme, tables and capacity, the choice closed and a paper card typed in. At each
step the test checks what the host page shows and, through a socket client, what the beamer gets.
"""

from __future__ import annotations

import re

from conftest import PHONE, open_page
from playwright.sync_api import expect
from test_accessibility import LAPTOP, SMALL_TARGETS, TARGET, assert_no_violations

ALL_HIDDEN = "Op de beamer: alleen hoeveel mensen antwoordden. De uitkomsten (ja, deels, nee) zijn verborgen."


def split_shown(tally_row: dict) -> bool:
    """Whether a beamer tally row carries the yes/partly/no split."""
    return "yes" in tally_row


def test_a_host_leads_the_evening_from_the_host_screen(browser, server, meeting, connect, page_errors):
    code = meeting["code"]
    beamer = connect(code, "projector", meeting["projector_key"])
    page = open_page(browser, meeting["host_url"], page_errors, **LAPTOP)
    expect(page.locator("#conn")).to_have_text("Verbonden")
    live_line = page.locator("#h-live + p")
    phone = connect(code, "phone")
    # The Live line says "1 persoon doet mee", not "1 mensen doen mee", and how they came in.
    expect(live_line).to_contain_text("1 persoon doet mee (1 met telefoon).")

    # -- recognition, one theme at a time, results hidden ----------------------------------
    page.get_by_role("button", name="2. Herkenning").click()
    phone.wait_for(lambda: phone.state["phase"] == "recognition", what="recognition")
    page.get_by_label("Eén thema per keer").check()
    now = page.locator("#pace-now")
    expect(now).to_have_text("Nu aan de beurt: Groen in de wijk (1 van 4).")
    beamer.wait_for(lambda: beamer.state["pace"] == {"mode": "one", "theme": 1}, what="pace one")
    phone.wait_for(lambda: phone.state["pace"] == {"mode": "one", "theme": 1}, what="the phone's one theme")
    page.get_by_role("button", name="Alle uitkomsten verbergen").click()
    expect(page.locator("#results-now")).to_have_text(ALL_HIDDEN)
    assert phone.call("vote", theme=1, answer="yes")["ok"]
    beamer.wait_for(
        lambda: beamer.tally["themes"][0]["answered"] == 1 and not split_shown(beamer.tally["whole"]),
        what="hidden results on the beamer",
    )
    assert not any(split_shown(row) for row in beamer.tally["themes"])

    # Raised hands for theme 1: 7 yes. A wrong number is refused at the field, in Dutch.
    first = page.locator('#per-theme li[data-key="1"]')
    first.get_by_label("Ja").fill("7")
    first.get_by_label("Ja").press("Tab")
    row = page.locator('#tally-rows tr[data-key="1"]')
    expect(row.locator("td").nth(3)).to_have_text("8 (waarvan 7 handen)")
    expect(row.locator("td").nth(0)).to_have_text("8")
    no_box = first.get_by_label("Nee")
    no_box.fill("2.5")
    no_box.press("Tab")
    expect(first.locator("#hands-1-no-error")).to_have_text("Vul een heel getal in, van 0 tot 100.000.")
    expect(no_box).to_have_attribute("aria-invalid", "true")
    no_box.fill("0")
    no_box.press("Tab")
    expect(first.locator("#hands-1-no-error")).to_be_hidden()

    # Volgende through the themes to the whole analysis; the beamer follows.
    page.get_by_role("button", name="Volgende").click()
    expect(now).to_have_text("Nu aan de beurt: Verkeer (2 van 4).")
    beamer.wait_for(lambda: beamer.state["pace"]["theme"] == 2, what="theme 2 on")
    phone.wait_for(lambda: phone.state["pace"]["theme"] == 2, what="theme 2 on the phone")
    expect(page.locator('#tally-rows tr[data-key="2"]')).to_have_class(re.compile(r"\bnow\b"))
    page.get_by_role("button", name="Volgende").click()
    page.get_by_role("button", name="Volgende").click()
    expect(now).to_have_text("Nu aan de beurt: Het geheel (4 van 4).")
    expect(page.get_by_role("button", name="Volgende")).to_be_disabled()
    beamer.wait_for(lambda: beamer.state["pace"]["theme"] == 0, what="the whole on")
    phone.wait_for(lambda: phone.state["pace"]["theme"] == 0, what="the whole on the phone")
    assert phone.tallies == [] and "tally" not in phone.state  # phones never get anybody's answers

    # Reveal theme 1 alone, then everything with one press.
    first.get_by_label("Uitkomst op de beamer tonen").check()
    expect(page.locator("#results-now")).to_have_text(
        "Op de beamer: de uitkomsten van 1 van de 4. Bij de andere alleen hoeveel mensen antwoordden."
    )
    beamer.wait_for(lambda: split_shown(beamer.tally["themes"][0]), what="theme 1 revealed")
    assert beamer.tally["themes"][0]["yes"] == 8 and not split_shown(beamer.tally["themes"][1])
    page.get_by_role("button", name="Alle uitkomsten tonen").click()
    expect(page.locator("#results-now")).to_have_text(
        "Op de beamer: de uitkomsten van alle thema's (ja, deels, nee)."
    )
    beamer.wait_for(lambda: split_shown(beamer.tally["whole"]), what="all revealed")

    # -- additions: one shown and then merged, one made a theme ------------------------------
    ids = [
        phone.call("addition", theme=2, text=text)["addition"]
        for text in ("Drempels", "Minder hard rijden", "Een fietsenstalling bij school")
    ]
    items = page.locator("#additions li")
    expect(items).to_have_count(3)
    expect(page.locator("#additions h3")).to_have_text(["Verkeer"])
    shown, into, promote = (page.locator(f'#additions li[data-addition="{i}"]') for i in ids)
    shown.get_by_role("button", name="Tonen op beamer").click()
    beamer.wait_for(lambda: [a["id"] for a in beamer.state["additions"]] == [ids[0]], what="shown")
    # The host has heard that the beamer shows it (no redraw is on its way) before a tool opens.
    expect(shown.locator(".mod-state")).to_have_text("Gekozen voor de beamer")
    merge = shown.get_by_role("button", name="Samenvoegen met …")
    merge.click()
    expect(merge).to_have_attribute("aria-expanded", "true")
    shown.get_by_label("Met welke aanvulling?").select_option(str(ids[1]))
    shown.get_by_role("button", name="Samenvoegen", exact=True).click()
    expect(shown.locator(".mod-state")).to_have_text(f"Samengevoegd met nr. {ids[1]}")
    expect(page.locator("#additions-merged")).to_have_text("1 samengevoegd, 0 thema geworden.")
    beamer.wait_for(lambda: beamer.state["additions"] == [], what="merged addition off the beamer")
    # The one it went into stands for two people now; the merged one's button says what it does.
    expect(into.locator(".mod-mentions")).to_have_text("2× genoemd (samengevoegd)")
    expect(shown.get_by_role("button", name="Tonen op beamer")).to_have_count(0)
    apart = shown.get_by_role("button", name="Weer apart tonen")
    expect(apart).to_be_visible()
    expect(apart).to_have_accessible_description(f"Dan telt het niet meer mee bij nr. {ids[1]}.")
    into.get_by_role("button", name="Tonen op beamer").click()
    beamer.wait_for(
        lambda: [a.get("mentions") for a in beamer.state["additions"]] == [2], what="2× on the beamer"
    )

    promote.get_by_role("button", name="Maak hier een nieuw thema van").click()
    title = promote.get_by_label("Titel van het nieuwe thema")
    expect(title).to_have_value("Een fietsenstalling bij school")
    title.fill("Fietsenstalling")
    promote.get_by_role("button", name="Thema maken").click()
    expect(promote.locator(".mod-state")).to_have_text("Is nu een thema")
    expect(page.locator("#additions-merged")).to_have_text("1 samengevoegd, 1 thema geworden.")
    beamer.wait_for(
        lambda: "Fietsenstalling" in [t["title"] for t in beamer.state["themes"]], what="new theme"
    )

    # -- themes: add, edit inline, move up, remove with confirmation ------------------------
    themes = page.locator("#theme-list > li")
    expect(themes).to_have_count(4)
    add = page.locator("#add-theme")
    add.get_by_label("Titel").fill("Speeltuin")
    add.get_by_label("Uitleg").fill("Een plek om te spelen")
    add.get_by_role("button", name="Thema toevoegen").click()
    expect(themes).to_have_count(5)
    expect(page.locator("#tally-rows tr")).to_have_count(6)  # five themes and the whole
    added = themes.last
    expect(added.locator("h3")).to_have_text("Speeltuin")
    added.get_by_role("button", name="Bewerken").click()
    added.get_by_label("Titel").fill("Speeltuin aan de Beek")
    added.get_by_role("button", name="Opslaan").click()
    expect(added.locator("h3")).to_have_text("Speeltuin aan de Beek")
    expect(added.get_by_role("button", name="Bewerken")).to_be_focused()
    added.get_by_role("button", name="Omhoog").click()
    expect(themes.nth(3).locator("h3")).to_have_text("Speeltuin aan de Beek")
    beamer.wait_for(lambda: beamer.state["themes"][3]["title"] == "Speeltuin aan de Beek", what="moved")

    themes.first.get_by_role("button", name="Weghalen").click()
    question = themes.first.locator(".theme-confirm p")
    expect(question).to_have_text(
        "Bij dit thema zijn al 8 antwoorden. Toch weghalen? De antwoorden blijven bewaard in de export."
    )
    expect(question).to_be_focused()
    themes.first.get_by_role("button", name="Ja, weghalen").click()
    expect(themes).to_have_count(4)
    expect(themes.first.locator("h3")).to_have_text("Verkeer")
    beamer.wait_for(lambda: 1 not in [t["id"] for t in beamer.state["themes"]], what="theme 1 removed")
    expect(page.locator('#tally-rows tr[data-key="1"]')).to_have_count(0)

    # -- after the break: tables and capacity, nobody chose, close the choice -------------
    page.get_by_role("button", name="4. Onderwerp kiezen").click()
    traffic = themes.first
    traffic.get_by_role("button", name="Bewerken").click()
    # One table per line: a comma is part of a table's name ("Tafel 1, bij het raam").
    traffic.get_by_label("Tafel of plek").fill("Tafel 1, bij het raam")
    capacity = traffic.get_by_label("Hoeveel mensen passen er?")
    capacity.fill("0")
    traffic.get_by_role("button", name="Opslaan").click()
    expect(traffic.locator("#theme-2-capacity-error")).to_have_text(
        "Vul een heel getal in, van 1 tot 10.000. Of laat het leeg."
    )
    capacity.fill("12")
    traffic.get_by_role("button", name="Opslaan").click()
    expect(traffic.locator(".theme-tables")).to_have_text(
        "Plaats: Tafel 1, bij het raam. Er passen 12 mensen."
    )
    beamer.wait_for(
        lambda: (
            beamer.state["themes"][0]["tables"] == ["Tafel 1, bij het raam"]
            and beamer.state["themes"][0]["capacity"] == 12
        ),
        what="tables on the beamer",
    )
    assert phone.call("choose", theme=2) == {"ok": True, "table": "Tafel 1, bij het raam"}
    traffic.get_by_role("button", name="Bewerken").click()  # a second table: on a line of its own
    tables = traffic.get_by_label("Tafel of plek")
    expect(tables).to_have_value("Tafel 1, bij het raam")
    tables.fill("Tafel 1, bij het raam\nTafel 2")
    traffic.get_by_role("button", name="Opslaan").click()
    expect(traffic.locator(".theme-tables")).to_have_text(
        "Plaats: Tafel 1, bij het raam · Tafel 2. Er passen 12 mensen."
    )
    beamer.wait_for(
        lambda: beamer.state["themes"][0]["tables"] == ["Tafel 1, bij het raam", "Tafel 2"], what="two tables"
    )
    expect(page.locator("#card-list .no-lead")).to_have_count(0)  # no warnings before pledging
    expect(traffic.locator(".theme-empty")).to_be_hidden()
    expect(themes.nth(1).locator(".theme-empty")).to_have_text("Nog niemand koos dit thema")
    page.get_by_role("button", name="Kiezen sluiten").click()
    expect(page.locator("#lock-now")).to_have_text(
        "Kiezen is gesloten. Niemand kan nu nog kiezen of wisselen."
    )
    beamer.wait_for(lambda: beamer.state["choices_locked"], what="choice closed")
    assert phone.call("choose", theme=3) == {"ok": False, "error": "choices_locked"}
    expect(page.get_by_role("button", name="Kiezen weer openen")).to_be_visible()

    # The small subgroup joins another: its theme leaves every screen.
    small = themes.nth(1)
    expect(small.locator("h3")).to_have_text("Samen eten")
    small.get_by_label("Samenvoegen met").select_option(label="Verkeer")
    small.get_by_role("button", name="Samenvoegen").click()
    expect(themes).to_have_count(3)
    expect(page.locator('[data-status="order"]')).to_have_text("Samengevoegd: 0 mensen gingen mee.")
    beamer.wait_for(lambda: beamer.state["merged"] == {"3": 2}, what="themes merged")

    # -- volunteers per role: the warning goes when a trekker signs up ----------------------
    page.get_by_role("button", name="5. Meehelpen").click()
    phone.wait_for(lambda: phone.state["phase"] == "pledges", what="pledges")
    card = page.locator('#card-list [data-card="2"]')
    expect(card.locator(".no-lead")).to_have_text("Nog geen trekker bij dit thema.")
    pledge = {"theme": 2, "role": "lead", "name": "Ans", "email": "ans@example.nl", "consent": True}
    assert phone.call("pledge", **pledge)["ok"]
    expect(card.locator(".roles")).to_have_text("Trekker: 1 · Meedoen: 0 · Af en toe: 0")
    expect(card.locator(".no-lead")).to_have_count(0)

    # -- a card typed in from paper, then changed and taken off ----------------------------
    page.get_by_label("Thema", exact=True).select_option(label="Verkeer")
    page.get_by_label("Vraag op de kaart").select_option("needs")
    page.get_by_label("Wat er staat").fill("Een aanhanger voor de bloembakken")
    page.get_by_role("button", name="Op de kaart zetten").click()
    expect(card.locator('[data-field="needs"] .note-text')).to_have_text("Een aanhanger voor de bloembakken")
    beamer.wait_for(
        lambda: any(n.get("text") == "Een aanhanger voor de bloembakken" for n in beamer.notes), what="note"
    )
    note = card.locator('[data-field="needs"] li')
    note.get_by_role("button", name="Bewerken").click()
    note.get_by_label("Briefje aanpassen").fill("Een aanhanger")
    note.get_by_role("button", name="Opslaan").click()
    expect(card.locator('[data-field="needs"] .note-text')).to_have_text("Een aanhanger")
    beamer.wait_for(lambda: beamer.notes[-1].get("text") == "Een aanhanger", what="edited note")
    card.locator('[data-field="needs"] li').get_by_role("button", name="Weghalen").click()
    expect(card.locator('[data-field="needs"] .empty')).to_have_text("Nog niets.")
    beamer.wait_for(lambda: beamer.notes[-1].get("removed") is True, what="removed note")
    assert page_errors == []
    assert_no_violations({"host": page})
    page.screenshot(path="/tmp/host-screen-desktop.png", full_page=True)


def test_the_host_screen_reads_and_passes_axe_on_a_phone(browser, server, meeting, connect, page_errors):
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    phone = connect(code, "phone")
    phone.wait_for(lambda: phone.state["phase"] == "recognition", what="recognition")
    assert phone.call("addition", theme=1, text="Meer bankjes")["ok"]
    assert host.call("set_pace", pace="one", theme=1)["ok"]
    page = open_page(browser, meeting["host_url"], page_errors, **PHONE)
    expect(page.locator("#additions li")).to_have_count(1)
    expect(page.locator("#per-theme li")).to_have_count(4)
    # The controls that open on demand are checked too: an edit form, both addition tools,
    # and the question before a theme with answers is removed.
    themes = page.locator("#theme-list > li")
    themes.first.get_by_role("button", name="Bewerken").click()
    addition = page.locator("#additions li").first
    addition.get_by_role("button", name="Samenvoegen met …").click()
    expect(addition.get_by_label("Met welke aanvulling?")).to_be_focused()
    expect(addition.get_by_label("Met welke aanvulling?")).to_have_text(
        "Er is geen andere aanvulling op deze pagina."
    )
    addition.get_by_role("button", name="Samenvoegen", exact=True).click()
    expect(page.locator('[data-status="additions"]')).to_have_text(
        "Kies eerst met welke aanvulling, of typ haar nummer."
    )
    addition.get_by_label("Of typ het nummer van een andere aanvulling").fill("999")
    addition.get_by_role("button", name="Samenvoegen", exact=True).click()
    expect(page.locator('[data-status="additions"]')).to_have_text("Deze aanvulling bestaat niet.")
    addition.get_by_role("button", name="Maak hier een nieuw thema van").click()
    expect(addition.get_by_label("Titel van het nieuwe thema")).to_be_focused()
    assert phone.call("vote", theme=2, answer="no")["ok"]
    themes.nth(1).get_by_role("button", name="Weghalen").click()
    expect(themes.nth(1).locator(".theme-confirm")).to_be_visible()
    # Nothing wider than the phone: the page does not scroll sideways; every target fits a finger.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(SMALL_TARGETS, TARGET) == []
    assert_no_violations({"host on a phone": page})
    page.screenshot(path="/tmp/host-screen-phone.png", full_page=True)

    # With the keyboard: moving a theme down keeps the focus on its button, wherever it goes.
    down = themes.nth(1).get_by_role("button", name="Omlaag")
    down.focus()
    page.keyboard.press("Enter")
    expect(themes.nth(2).locator("h3")).to_have_text("Verkeer")
    expect(themes.nth(2).get_by_role("button", name="Omhoog")).to_be_focused()  # at the bottom now
    assert page_errors == []
