"""What spoils a real evening (issue #7), checked in Chromium against the real server.

Refused answers are sent again by the page itself; a phase change brings the new heading to the
reader; the host link is shown plainly after the start form; additions show what is left and
what was sent; pledge problems appear at their field; counts say "1 persoon", not "1 mensen".
"""

import re
import urllib.request

import pytest
from conftest import BEAMER, PHONE, Client, Server, get, open_page
from playwright.sync_api import expect
from test_accessibility import axe_violations

from live.texts import CONNECTION

SIX_THEMES = ["Bomen", "Bankjes", "Verkeer", "Licht", "Speeltuin", "Samen eten"]


# -- 1. refusals that pass are retried by the page ---------------------------------------------


@pytest.mark.browser
def test_answers_refused_as_rate_limited_are_sent_again_until_saved(browser, tmp_path, page_errors):
    srv = Server(tmp_path, env={"PHONE_RATE_LIMIT": "3/5seconds"}).start()
    try:
        meeting = srv.create_meeting(themes=SIX_THEMES)
        host = Client(srv.url, meeting["code"], "host", meeting["host_key"])
        assert host.call("set_phase", phase="recognition")["ok"]
        phone = open_page(browser, meeting["join_url"], page_errors, **PHONE)
        expect(phone.locator("body")).to_have_attribute("data-phase", "recognition")
        # Six taps in a row; the server takes three per five seconds and refuses the rest.
        for theme in range(1, 7):
            phone.locator(f'fieldset[data-theme="{theme}"]').get_by_text("Ja", exact=True).click()
        # Never an error while it waits: it says it is still being saved.
        errors = phone.locator('.saved[data-kind="error"]')
        for _ in range(10):
            assert errors.count() == 0
            phone.wait_for_timeout(200)
        # Every answer arrives without another tap.
        host.wait_for(
            lambda: host.tally and all(row["yes"] == 1 for row in host.tally["themes"]),
            timeout=25,
            what="all six answers in the host's tally",
        )
        for theme in range(1, 7):
            expect(phone.locator(f'[data-status="vote-{theme}"]')).to_have_text("Opgeslagen ✓")
        assert errors.count() == 0
        host.close()
    finally:
        srv.stop()
    assert page_errors == []


@pytest.mark.browser
def test_a_phone_refused_at_connect_as_rate_limited_connects_again_by_itself(browser, tmp_path, page_errors):
    srv = Server(tmp_path, env={"LOOKUP_RATE_LIMIT": "3/6seconds"}).start()
    try:
        meeting = srv.create_meeting()
        # The page itself, fetched while this address is still welcome.
        with urllib.request.urlopen(meeting["join_url"]) as resp:
            html, headers = resp.read(), dict(resp.headers)
        # Without its join ticket (a phone that typed the code): nothing proves it was given it.
        headers.pop("Set-Cookie")
        # Three codes that do not exist: now every look-up from 127.0.0.1 is refused a while.
        for code in ("AAAAA", "CCCCC", "DDDDD"):
            assert get(f"{srv.url}/join?code={code}")[0] == 404
        assert get(meeting["join_url"])[0] == 429

        context = browser.new_context(**PHONE)
        try:
            page = context.new_page()
            page.on("pageerror", lambda exc: page_errors.append(str(exc)))
            page.route(
                meeting["join_url"], lambda route: route.fulfill(status=200, headers=headers, body=html)
            )
            page.goto(meeting["join_url"])
            # The socket is refused (rate_limited); the page says so without blaming the reader.
            expect(page.locator("#conn")).to_have_text(CONNECTION["busy"], timeout=5000)
            # Once the window has passed it is let in, with no tap and no reload.
            expect(page.locator("#conn")).to_have_text(CONNECTION["ok"], timeout=25000)
            expect(page.locator("body")).to_have_attribute("data-phase", "lobby")
        finally:
            context.close()
    finally:
        srv.stop()
    assert page_errors == []


# -- 2. a phase change is seen -----------------------------------------------------------------


@pytest.mark.browser
def test_a_phase_change_scrolls_up_and_moves_focus_to_the_new_heading(browser, tmp_path, page_errors):
    srv = Server(tmp_path).start()
    try:
        meeting = srv.create_meeting(themes=SIX_THEMES * 2)
        host = Client(srv.url, meeting["code"], "host", meeting["host_key"])
        phone = open_page(browser, meeting["join_url"], page_errors, **PHONE)
        expect(phone.locator("body")).to_have_attribute("data-phase", "lobby")
        # The first state leaves the focus where the browser put it.
        assert phone.evaluate("document.activeElement === document.body")

        assert host.call("set_phase", phase="recognition")["ok"]
        expect(phone.locator("#h-rec")).to_be_focused()
        phone.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        phone.wait_for_function("window.scrollY > 500")
        phone.locator('fieldset[data-theme="12"]').get_by_text("Nee", exact=True).click()

        assert host.call("set_phase", phase="break")["ok"]
        expect(phone.locator("#h-break")).to_be_focused()
        assert phone.evaluate("window.scrollY") == 0
        expect(phone.locator("#phase-news")).to_have_text(re.compile("Pauze"))

        # Someone writing an addition that stays on screen is told, but keeps their place.
        theme = phone.locator('fieldset[data-theme="12"]')
        theme.locator("summary").click()
        theme.get_by_label("Wat wilt u zeggen over dit thema?").fill("Half af")
        assert host.call("set_phase", phase="recognition")["ok"]
        expect(phone.locator("#phase-news")).to_have_text(re.compile("Herkent u zich hierin"))
        expect(theme.get_by_label("Wat wilt u zeggen over dit thema?")).to_be_focused()
        assert phone.evaluate("window.scrollY") > 500

        # A reconnect to the same part leaves the reader where they were.
        theme.get_by_label("Wat wilt u zeggen over dit thema?").fill("")
        phone.locator('fieldset[data-theme="12"] input[value="yes"]').focus()
        host.close()
        srv.stop()
        expect(phone.locator("#conn")).not_to_have_text(CONNECTION["ok"])
        srv = Server(tmp_path, port=srv.port).start()
        expect(phone.locator("#conn")).to_have_text(CONNECTION["ok"], timeout=15000)
        phone.wait_for_timeout(300)
        assert phone.evaluate("window.scrollY") > 500
        expect(phone.locator('fieldset[data-theme="12"] input[value="yes"]')).to_be_focused()
    finally:
        srv.stop()
    # While the server was away the browser logged its refused connections; nothing else.
    assert [e for e in page_errors if "ERR_CONNECTION_REFUSED" not in e] == []


# -- 3. the host keeps the host link ----------------------------------------------------------


@pytest.mark.browser
def test_after_the_start_form_the_host_link_is_shown_and_can_be_copied_and_used(browser, server, page_errors):
    host_page = open_page(
        browser,
        server.url + "/",
        page_errors,
        viewport={"width": 1280, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )
    host_page.get_by_label("Naam van de avond").fill("Buurtavond Noord")
    host_page.get_by_label("Thema's, één per regel").fill("Groen\nVerkeer")
    host_page.get_by_role("button", name="Bijeenkomst maken").click()
    expect(host_page.get_by_role("heading", name="De avond leiden")).to_be_visible()

    panel = host_page.locator("#keep-link")
    expect(panel.get_by_role("heading", name="Uw link als gespreksleider")).to_be_visible()
    expect(panel).to_contain_text("ander apparaat")
    expect(panel).to_contain_text("Deel deze link niet met deelnemers")
    link = panel.get_by_label("Link voor de gespreksleider")
    expect(link).to_be_visible()
    url = link.input_value()
    assert re.search(r"/[A-Z0-9]{5}/host\?key=", url), url
    expect(panel.get_by_role("img", name=re.compile("QR-code"))).to_be_visible()

    panel.get_by_role("button", name="Link kopiëren").click()
    expect(panel.locator("#keep-status")).to_contain_text("gekopieerd")
    assert host_page.evaluate("navigator.clipboard.readText()") == url
    assert axe_violations(host_page) == []

    # It closes, stays closed after a reload, and opens again.
    panel.get_by_role("button", name="Sluiten").click()
    expect(link).to_be_hidden()
    host_page.reload()
    expect(host_page.locator("#keep-url")).to_be_hidden()
    host_page.get_by_role("button", name="Link tonen").click()
    expect(host_page.locator("#keep-url")).to_have_value(url)

    # The link alone opens the host screen in a browser that has never seen this meeting.
    other = open_page(browser, url, page_errors, **PHONE)
    expect(other.get_by_role("heading", name="De avond leiden")).to_be_visible()
    expect(other.locator("#conn")).to_have_text(CONNECTION["ok"])
    assert "key=" not in other.url
    assert page_errors == []


# -- 4. smaller things -------------------------------------------------------------------------


@pytest.mark.browser
def test_an_addition_shows_characters_left_and_what_was_sent(browser, server, connect, page_errors):
    meeting = server.create_meeting()
    host = connect(meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    phone = open_page(browser, meeting["join_url"], page_errors, **PHONE)
    theme = phone.locator('fieldset[data-theme="1"]')
    theme.locator("summary").click()
    box = theme.get_by_label("Wat wilt u zeggen over dit thema?")
    left = theme.locator(".chars-left")
    news = theme.locator("[data-chars-news]")
    expect(left).to_have_text("Nog 500 tekens over")

    box.fill("Meer licht")
    expect(left).to_have_text("Nog 490 tekens over")
    phone.wait_for_timeout(1000)
    expect(news).to_have_text("")  # far from the limit a screen reader is left in peace
    box.fill("x" * 499)
    expect(left).to_have_text("Nog 1 teken over")
    expect(news).to_have_text("Nog 1 teken over")  # near the limit it is read out

    # Nothing is cut off silently: too long is said, and nothing is sent.
    box.fill("y" * 510)
    expect(left).to_have_text("10 tekens te veel")
    theme.get_by_role("button", name="Versturen").click()
    status = theme.locator('[data-status="addition-1"]')
    expect(status).to_have_text("De tekst is te lang. Haal er 10 tekens af.")

    text = "<b>Meer</b> licht bij het pad"
    box.fill(text)
    theme.get_by_role("button", name="Versturen").click()
    expect(status).to_contain_text("verstuurd")
    sent = theme.locator(".sent-list li")
    expect(sent).to_have_text([text])  # as text, not as HTML
    box.fill("z" * 520)
    assert axe_violations(phone) == []
    host.wait_for(lambda: len(host.state.get("additions", [])) == 1, what="the addition at the host")
    assert host.state["additions"][0]["text"] == text

    # After a reload the phone still shows what it sent, from the server's memory.
    phone.reload()
    expect(phone.locator('fieldset[data-theme="1"] .sent-list li')).to_have_text([text])
    assert phone.locator('fieldset[data-theme="1"] .sent-list b').count() == 0
    assert page_errors == []


@pytest.mark.browser
def test_pledge_problems_are_shown_at_their_fields_also_when_the_server_refuses(
    browser, server, connect, page_errors
):
    meeting = server.create_meeting()
    host = connect(meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="pledges")["ok"]
    phone = open_page(browser, meeting["join_url"], page_errors, **PHONE)
    form = phone.locator("#pledge-form")
    expect(form.get_by_text("Bijvoorbeeld 06 12345678")).to_be_visible()

    form.get_by_role("button", name="Ik help mee").click()
    # Every problem at once, each at its own field, and the focus on the first one.
    for field, words in (
        ("theme", "Kies een onderwerp"),
        ("role", "Kies hoe u wilt helpen"),
        ("name", "Vul uw naam in"),
        ("contact", "e-mailadres of telefoonnummer"),
        ("consent", "vinkje"),
    ):
        expect(phone.locator(f"#err-{field}")).to_contain_text(words)
    expect(form.get_by_label("Uw naam")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Uw naam")).to_have_attribute("aria-describedby", re.compile("err-name"))
    expect(form.locator('input[name="theme"]').first).to_be_focused()
    assert axe_violations(phone) == []

    form.get_by_role("radio", name="Verkeer").check()
    form.get_by_role("radio", name=re.compile("^Meedoen")).check()
    form.get_by_label("Uw naam").fill("Henk de Vries")
    form.get_by_label("Telefoonnummer").fill("12")
    form.get_by_label(re.compile("Ik vind het goed")).check()
    form.get_by_role("button", name="Ik help mee").click()
    # Only the server knows this number is wrong; its refusal lands at the phone field.
    phone_field = form.get_by_label("Telefoonnummer")
    expect(phone.locator("#err-phone")).to_have_text("Dit telefoonnummer klopt niet.")
    expect(phone_field).to_have_attribute("aria-invalid", "true")
    expect(phone_field).to_be_focused()
    expect(phone.locator("#err-name")).to_be_hidden()
    expect(form.get_by_label("Uw naam")).not_to_have_attribute("aria-invalid", "true")

    phone_field.fill("06 12345678")
    form.get_by_role("button", name="Ik help mee").click()
    expect(phone.locator('[data-status="pledge"]')).to_contain_text("U helpt mee")
    expect(phone.locator("#err-phone")).to_be_hidden()
    expect(phone_field).not_to_have_attribute("aria-invalid", "true")
    assert page_errors == []


@pytest.mark.browser
def test_counts_on_the_beamer_say_one_person_and_two_people(browser, server, connect, page_errors):
    meeting = server.create_meeting()
    host = connect(meeting["code"], "host", meeting["host_key"])
    beamer = open_page(browser, meeting["projector_url"], page_errors, **BEAMER)
    first = connect(meeting["code"], "phone")
    expect(beamer.locator(".lobby .count")).to_have_text("1 persoon doet mee (1 met telefoon)")
    second, third = connect(meeting["code"], "phone"), connect(meeting["code"], "phone")
    expect(beamer.locator(".lobby .count")).to_have_text("3 mensen doen mee (3 met telefoon)")

    assert host.call("set_phase", phase="pledges")["ok"]
    assert first.call("choose", theme=1)["ok"]
    assert second.call("choose", theme=2)["ok"] and third.call("choose", theme=2)["ok"]
    pledge = {"role": "member", "name": "Ans", "email": "ans@example.nl", "consent": True}
    assert first.call("pledge", theme=1, **pledge)["ok"]

    def chosen(theme):
        return beamer.locator(f'.theme-row[data-theme="{theme}"] [data-plural="chosen"]').first

    expect(chosen(1)).to_have_text("persoon koos dit")
    expect(chosen(2)).to_have_text("mensen kozen dit")
    expect(chosen(3)).to_have_text("mensen kozen dit")
    assert page_errors == []
