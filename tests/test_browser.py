"""What people see, in Debian's Chromium: a phone joins and votes, the beamer follows."""

import os
import re
from pathlib import Path

import pytest
from conftest import BEAMER, PHONE, open_page, transitions_done
from playwright.sync_api import expect

PHASES = ("lobby", "recognition", "break", "topics", "pledges", "results")


@pytest.mark.browser
def test_a_phone_joins_by_the_join_url_votes_and_the_beamer_updates(
    browser, server, meeting, connect, page_errors
):
    host = connect(meeting["code"], "host", meeting["host_key"])
    beamer = open_page(browser, meeting["projector_url"], page_errors, **BEAMER)
    assert "key=" not in beamer.url  # the key moved into a cookie
    expect(beamer.locator(".lobby")).to_be_visible()
    expect(beamer.locator(".lobby .code")).to_have_text(meeting["code"])
    expect(beamer.locator(".lobby .code")).to_be_visible()

    phone = open_page(browser, meeting["join_url"], page_errors, **PHONE)
    expect(phone.get_by_role("heading", name="Welkom!")).to_be_visible()
    expect(beamer.locator('[data-count="participants"]').first).to_have_text("1")

    assert host.call("set_phase", phase="recognition")["ok"]
    expect(phone.get_by_role("heading", name="Herkent u zich hierin?")).to_be_visible()
    theme = phone.locator('fieldset[data-theme="2"]')
    theme.get_by_text("Ja", exact=True).click()
    expect(theme.locator('[data-status="vote-2"]')).to_have_text(re.compile("Opgeslagen"))

    row = beamer.locator('.board .theme-row[data-theme="2"]').first
    expect(row.locator('[data-k="yes"]')).to_have_text("1")
    theme.get_by_text("Nee", exact=True).click()
    expect(row.locator('[data-k="no"]')).to_have_text("1")
    expect(row.locator('[data-k="yes"]')).to_have_text("0")

    # A reload is the same participant, with the answer still selected.
    phone.reload()
    expect(phone.locator('fieldset[data-theme="2"] input[value="no"]')).to_be_checked()
    expect(beamer.locator('[data-count="participants"]').first).to_have_text("1")
    assert page_errors == []


@pytest.mark.browser
def test_attendee_text_is_shown_as_text_on_the_beamer_and_host(browser, server, connect, page_errors):
    payload = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>{{7*7}}'
    meeting = server.create_meeting(themes=[payload, "Verkeer"])
    host_page = open_page(browser, meeting["host_url"], page_errors, **BEAMER)
    beamer = open_page(browser, meeting["projector_url"], page_errors, **BEAMER)
    host = connect(meeting["code"], "host", meeting["host_key"])
    phone = connect(meeting["code"], "phone")
    assert host.call("set_phase", phase="recognition")["ok"]
    ack = phone.call("addition", theme=1, text=payload)
    expect(host_page.locator("#additions li")).to_have_count(1)
    host_page.get_by_role("button", name="Tonen op beamer").click()
    expect(beamer.locator(".additions li").first).to_have_text(payload)
    expect(beamer.locator(".theme-row h2").first).to_have_text(payload)
    assert ack["ok"]
    for page in (host_page, beamer):
        assert page.evaluate("window.pwned") is None
        assert page.locator("img[src=x]").count() == 0
    assert page_errors == []


@pytest.mark.browser
def test_the_whole_evening_on_three_screens(browser, server, connect, page_errors, tmp_path):
    """Walks every phase with real pages; screenshots go to SCREENSHOT_DIR when it is set."""
    shots = Path(os.environ.get("SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    meeting = server.create_meeting(
        themes=[
            "Groen in de wijk: meer bomen en bankjes",
            "Veilig verkeer rond de school",
            "Samen eten in het dorpshuis",
            "Hulp bij klussen voor ouderen",
        ],
        title="Wijkavond De Akkers",
    )
    host_page = open_page(browser, meeting["host_url"], page_errors, viewport={"width": 1280, "height": 900})
    beamer = open_page(browser, meeting["projector_url"], page_errors, **BEAMER)
    phone = open_page(browser, meeting["join_url"], page_errors, **PHONE)
    others = [connect(meeting["code"], "phone") for _ in range(11)]
    expect(beamer.locator('[data-count="participants"]').first).to_have_text("12")

    for phase in PHASES:
        if phase != "lobby":
            host_page.locator(f'button.phase[data-phase="{phase}"]').click()
            expect(host_page.locator(f'button.phase[data-phase="{phase}"]')).to_have_attribute(
                "aria-pressed", "true"
            )
        expect(phone.locator("body")).to_have_attribute("data-phase", phase)
        expect(beamer.locator("body")).to_have_attribute("data-phase", phase)
        if phase == "recognition":
            for i, other in enumerate(others):
                for t in (1, 2, 3, 4):
                    other.call("vote", theme=t, answer=("yes", "partly", "no")[(i + t) % 3])
            other_ack = others[0].call("addition", theme=1, text="Een speeltuin bij de kerk")
            phone.locator('fieldset[data-theme="1"]').get_by_text("Deels", exact=True).click()
            phone.locator('fieldset[data-theme="1"] summary').click()
            phone.get_by_label("Wat wilt u zeggen over dit thema?").first.fill("Meer licht op het pad")
            phone.locator('fieldset[data-theme="1"]').get_by_role("button", name="Versturen").click()
            expect(phone.locator('[data-status="addition-1"]')).to_contain_text("verstuurd")
            expect(host_page.locator("#additions li")).to_have_count(2)
            # The host sees answers per theme next to the phones seen.
            expect(host_page.locator('tr[data-theme="1"] [data-k="answered"]')).to_have_text("12")
            assert other_ack["ok"]
            host_page.locator("#additions li").first.get_by_role("button", name="Tonen op beamer").click()
            expect(beamer.locator(".additions li").first).to_have_text("Een speeltuin bij de kerk")
        if phase == "topics":
            for i, other in enumerate(others):
                other.call("choose", theme=1 + i % 4)
            phone.get_by_role("radio", name="Veilig verkeer rond de school").check()
            expect(phone.locator('[data-status="choose"]')).to_contain_text("Opgeslagen")
        if phase == "pledges":
            for i, other in enumerate(others[:5]):
                other.call(
                    "pledge",
                    theme=1 + i % 4,
                    role="member",
                    name=f"Buur {i}",
                    email=f"buur{i}@example.nl",
                    consent=True,
                )
            phone.get_by_role("button", name="Ik help mee").click()
            expect(phone.locator("#err-role")).to_contain_text("Kies hoe u wilt helpen")
            phone.get_by_role("radio", name="Trekker: ik wil het mee organiseren").check()
            phone.get_by_label("Uw naam").fill("Fatima el Amrani")
            phone.get_by_label("Telefoonnummer").fill("06 12345678")
            phone.get_by_label(re.compile("Ik vind het goed")).check()
            phone.get_by_role("button", name="Ik help mee").click()
            expect(phone.locator('[data-status="pledge"]')).to_contain_text("U helpt mee")
            expect(beamer.locator('.theme-row[data-theme="2"] [data-k="pledged"]').first).to_have_text("2")
        transitions_done(beamer)  # the bars have grown to their numbers
        # The host page whole, from the top: its bar (which stays at the top) sits under the title.
        host_page.evaluate("window.scrollTo(0, 0)")
        for name, page in (("beamer", beamer), ("host", host_page), ("phone", phone)):
            page.screenshot(path=str(shots / f"{phase}-{name}.png"), full_page=name == "host")
        # Nothing on the phone is wider than the screen.
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    assert page_errors == []
