"""What spoils a real evening (issue #7), checked in Chromium against the real server.

Refused answers are sent again by the page itself; a phase change brings the new heading to the
reader; the host link is shown plainly after the start form; additions show what is left and
what was sent; pledge problems appear at their field; counts say "1 persoon", not "1 mensen".
"""

import urllib.request

import pytest
from conftest import BEAMER, PHONE, Client, Server, get, open_page
from playwright.sync_api import expect

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
def test_a_phone_refused_at_connect_as_rate_limited_connects_again_by_itself(
    browser, tmp_path, page_errors
):
    srv = Server(tmp_path, env={"LOOKUP_RATE_LIMIT": "3/4seconds"}).start()
    try:
        meeting = srv.create_meeting()
        # The page itself, fetched while this address is still welcome.
        with urllib.request.urlopen(meeting["join_url"]) as resp:
            html, headers = resp.read(), dict(resp.headers)
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
            expect(page.locator("body")).to_have_attribute("data-phase", "lobby", timeout=20000)
            expect(page.locator("#conn")).to_have_text(CONNECTION["ok"])
        finally:
            context.close()
    finally:
        srv.stop()
    assert page_errors == []


# -- 4. smaller things -------------------------------------------------------------------------


@pytest.mark.browser
def test_counts_on_the_beamer_say_one_person_and_two_people(browser, server, connect, page_errors):
    meeting = server.create_meeting()
    host = connect(meeting["code"], "host", meeting["host_key"])
    beamer = open_page(browser, meeting["projector_url"], page_errors, **BEAMER)
    first = connect(meeting["code"], "phone")
    expect(beamer.locator(".lobby .count")).to_have_text("1 telefoon doet mee")
    second, third = connect(meeting["code"], "phone"), connect(meeting["code"], "phone")
    expect(beamer.locator(".lobby .count")).to_have_text("3 telefoons doen mee")

    assert host.call("set_phase", phase="pledges")["ok"]
    assert first.call("choose", theme=1)["ok"]
    assert second.call("choose", theme=2)["ok"] and third.call("choose", theme=2)["ok"]
    pledge = {"role": "member", "name": "Ans", "email": "ans@example.nl", "consent": True}
    assert first.call("pledge", theme=1, **pledge)["ok"]
    rows = beamer.locator('section[data-phases="topics pledges"] .nums')
    expect(rows.nth(0)).to_have_text("1 persoon koos dit · 1 helpt mee")
    expect(rows.nth(1)).to_have_text("2 mensen kozen dit · 0 helpen mee")
    expect(rows.nth(2)).to_have_text("0 mensen kozen dit · 0 helpen mee")
    assert page_errors == []
