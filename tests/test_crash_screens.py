"""The laptop crashes, sleeps or is off for a while mid-evening: every real page in Chromium (host,
beamer, helper screen, phones) comes back by itself, keeps what people typed, sends what was
pending exactly once, and shows the numbers of the store.

Every test runs its own server process, which it kills, stops or restarts on the same port and
data directory.
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest
from conftest import BEAMER, PHONE, Client, Server, open_page
from playwright.sync_api import expect
from test_accessibility import LAPTOP

pytestmark = pytest.mark.browser

FAST = {"PHONE_RATE_LIMIT": "100000/second", "HOST_RATE_LIMIT": "100000/second"}
SAVING = ("Wordt opgeslagen…", "Bezig…")  # phone and helper; host
BACK = 20_000  # ms a page may take to notice the server is back (socket.io-client waits up to 5 s)


class Laptop:
    """The server of one evening: killed, stopped or restarted on the same port and data dir."""

    def __init__(self, tmp_path: Path, env: dict):
        self.data = tmp_path / "data"
        self.env = {**FAST, **env}
        self.servers = [Server(self.data, env=self.env).start()]

    @property
    def server(self) -> Server:
        return self.servers[-1]

    def restart(self) -> Server:
        self.servers.append(Server(self.data, env=self.env, port=self.server.port).start())
        return self.server

    def pause(self) -> None:
        """The lid closes: the process stops without a word to anyone."""
        os.kill(self.server.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.server.proc.pid, signal.SIGCONT)

    def stop_all(self) -> None:
        for s in self.servers:
            if s.proc and s.proc.poll() is None:
                os.kill(s.proc.pid, signal.SIGCONT)
            s.stop()


@pytest.fixture
def laptop(tmp_path):
    """``laptop(**env)``: a server of its own with these settings, stopped after the test."""
    made: list[Laptop] = []

    def make(**env) -> Laptop:
        made.append(Laptop(tmp_path, {k: str(v) for k, v in env.items()}))
        return made[-1]

    yield make
    for handle in made:
        handle.stop_all()


def shots() -> Path:
    path = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/crash-screens"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def no_spinner(page) -> None:
    """No status line still says it is saving: everything pending was answered."""
    for text in SAVING:
        expect(
            page.locator(f"[data-status]:text-is('{text}'), #form-status:text-is('{text}')")
        ).to_have_count(0)


WARNING_IN_VIEW = """() => {
    // Someone low on the page: the warning is in view, and the last control is not behind it.
    window.scrollTo(0, document.documentElement.scrollHeight);
    const conn = document.getElementById('conn').getBoundingClientRect();
    const warning = conn.top >= 0 && conn.bottom <= innerHeight && conn.height > 0;
    const controls = [...document.querySelectorAll('main button, main summary')];
    const last = controls.filter((e) => e.checkVisibility()).at(-1);
    const box = last.getBoundingClientRect();
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return {warning, covered: last.contains(hit) ? null : `${last.textContent} under ${hit && hit.id}`};
}"""


def warning_in_view(page) -> dict:
    return page.evaluate(WARNING_IN_VIEW)


def connected(page) -> None:
    expect(page.locator("#conn")).to_have_attribute("data-kind", "ok", timeout=BACK)


def store_tally(srv: Server, meeting: dict) -> dict:
    """The counts the store holds now, read by a fresh beamer connection."""
    beamer = Client(srv.url, meeting["code"], "projector", meeting["projector_key"])
    try:
        return beamer.state["tally"]
    finally:
        beamer.close()


def beamer_shows(beamer, tally: dict, keys: tuple[str, ...]) -> None:
    """The beamer's numbers for every theme are the store's."""
    for row in tally["themes"]:
        for key in keys:
            expect(
                beamer.locator(f'.board .theme-row[data-theme="{row["theme"]}"] [data-k="{key}"]').first
            ).to_have_text(str(row[key]))


def script_errors(errors: list[str]) -> list[str]:
    """What the pages logged, less the browser's own lines about a server that did not answer."""
    return [e for e in errors if "ERR_CONNECTION_REFUSED" not in e]


def answer(helper, theme: int, word: str):
    """The radio of this answer to this theme on the helper screen."""
    return helper.locator(f'fieldset.theme[data-theme="{theme}"]').get_by_role(
        "radio", name=re.compile(f"^{word}")
    )


def helper_url(srv: Server, meeting: dict) -> str:
    return f"{srv.url}/{meeting['code']}/helper?key={meeting['helper_key']}"


def test_a_kill_minus_nine_with_every_screen_open_loses_nothing_and_every_page_comes_back(
    laptop, browser, page_errors
):
    laptop = laptop()
    srv = laptop.server
    meeting = srv.create_meeting()
    code = meeting["code"]
    host = Client(srv.url, code, "host", meeting["host_key"])
    others = [Client(srv.url, code, "phone") for _ in range(3)]
    assert host.call("set_phase", phase="recognition")["ok"]
    for n, other in enumerate(others):
        assert other.call("vote", theme=1, answer="yes")["ok"]
        assert other.call("addition", theme=2, text=f"Drempels in straat {n + 1}")["ok"]
    assert host.call("set_phase", phase="topics")["ok"]
    for n, other in enumerate(others):
        assert other.call("choose", theme=1 + n % 2)["ok"]

    host_page = open_page(browser, meeting["host_url"], page_errors, **LAPTOP)
    beamer = open_page(browser, meeting["projector_url"], page_errors, **BEAMER)
    sending = open_page(browser, helper_url(srv, meeting), page_errors)
    typing = open_page(browser, helper_url(srv, meeting), page_errors)
    chooser = open_page(browser, meeting["join_url"], page_errors, **PHONE)
    pledger = open_page(browser, meeting["join_url"], page_errors, **PHONE)
    pages = {
        "host": host_page,
        "beamer": beamer,
        "helper-sending": sending,
        "helper-typing": typing,
        "phone-choosing": chooser,
        "phone-pledging": pledger,
    }
    for name, page in pages.items():
        if name != "beamer":
            connected(page)
    # The first phone chose theme 1, and then the pledges began.
    chooser.locator("#choice-list").get_by_role("radio", name="Groen in de wijk").check()
    expect(chooser.locator('[data-status="choose"]')).to_have_text("Opgeslagen ✓")
    assert host.call("set_phase", phase="pledges")["ok"]
    assert others[0].call("pledge", theme=1, role="lead", name="Ria", email="ria@example.nl", consent=True)[
        "ok"
    ]
    expect(beamer.locator("h1#p-board")).to_contain_text("Wie helpt mee?")
    expect(pledger.get_by_role("heading", name="Wilt u meehelpen?")).to_be_visible()
    # The second is half-way through the pledge form.
    pledger.locator("#pledge-form").get_by_role("radio", name="Verkeer").check()
    pledger.locator("#pledge-form").get_by_role("radio", name=re.compile("^Meedoen")).check()
    pledger.locator("#pledge-name").fill("Kees van Dijk")
    pledger.locator("#pledge-email").fill("kees@example.nl")
    # The host edits theme 2 and is merging an addition into another.
    theme2 = host_page.locator("#theme-list > li").nth(1)
    theme2.locator("button.edit").click()
    theme2.locator('input[name="title"]').fill("Verkeer en parkeren")
    added = host_page.locator("#additions li[data-addition]")
    expect(added).to_have_count(3)
    added.nth(2).get_by_role("button", name="Samenvoegen met …").click()
    host_page.locator("#merge-number-3").fill("1")
    # One volunteer types a paper form in; the other has one ready to save.
    typing.get_by_label("Welk nummer staat op het formulier?").fill("8")
    answer(typing, 2, "Deels").check()
    typing.locator("#add-text").fill("Meer bankjes")
    sending.get_by_label("Welk nummer staat op het formulier?").fill("7")
    answer(sending, 1, "Nee").check()
    sending.get_by_role("radio", name="3. Samen eten").check()

    # The server hangs with these on the wire, then dies: nothing of them is saved or acknowledged.
    laptop.pause()
    needs = chooser.locator('.card-field[data-field="needs"]')
    chooser.get_by_label("Uw briefje bij: Wat is er nodig?").fill("Een aanhanger voor de bomen")
    needs.get_by_role("button", name="Op de kaart zetten").click()
    expect(chooser.locator('[data-status="note-needs"]')).to_have_text("Wordt opgeslagen…")
    sending.get_by_role("button", name="Opslaan").click()
    expect(sending.locator("#form-status")).to_have_text("Wordt opgeslagen…")
    srv.stop(signal.SIGKILL)

    for name, page in pages.items():
        expect(page.locator("#conn")).to_have_attribute("data-kind", "warn", timeout=BACK)
        page.screenshot(path=str(shots() / f"kill-down-{name}.png"))
    srv = laptop.restart()

    for name, page in pages.items():
        if name != "beamer":
            connected(page)
        expect(page.locator("#conn")).not_to_have_attribute("data-kind", "warn", timeout=BACK)
    for page in pages.values():
        no_spinner(page)

    # The pending note went once and is on the phone's card.
    expect(chooser.locator('[data-status="note-needs"]')).to_have_text("Uw briefje staat op de kaart.")
    expect(needs.locator("li.own")).to_have_count(1)
    expect(needs.locator("li.own")).to_contain_text("Een aanhanger voor de bomen")
    # The pledge form is as it was left, and nothing claims it was saved.
    assert pledger.locator("#pledge-name").input_value() == "Kees van Dijk"
    assert pledger.locator("#pledge-email").input_value() == "kees@example.nl"
    expect(pledger.locator("#pledge-form").get_by_role("radio", name="Verkeer")).to_be_checked()
    expect(pledger.locator('[data-status="pledge"]')).to_have_text("")
    # The form in flight was saved once and the screen is empty for the next one.
    expect(sending.locator("#form-status")).to_contain_text("Formulier 7 is opgeslagen")
    expect(sending.locator("#saved-count")).to_have_text("1")
    assert sending.get_by_label("Welk nummer staat op het formulier?").input_value() == ""
    # The other volunteer's typing is all still there.
    assert typing.get_by_label("Welk nummer staat op het formulier?").input_value() == "8"
    expect(answer(typing, 2, "Deels")).to_be_checked()
    assert typing.locator("#add-text").input_value() == "Meer bankjes"
    # The host is still editing and merging.
    expect(theme2.locator('input[name="title"]')).to_have_value("Verkeer en parkeren")
    expect(host_page.locator("#merge-number-3")).to_have_value("1")
    expect(host_page.locator('button.phase[data-phase="pledges"]')).to_have_attribute("aria-pressed", "true")

    # The pledge is sent after all, and the merge goes through.
    pledger.get_by_label(re.compile("Ik vind het goed")).check()
    pledger.get_by_role("button", name="Ik help mee").click()
    expect(pledger.locator('[data-status="pledge"]')).to_contain_text("Verkeer")
    host_page.locator("#additions").get_by_role("button", name="Samenvoegen", exact=True).click()
    expect(host_page.locator('#additions li[data-addition="3"]')).to_have_attribute("data-status", "merged")

    tally = store_tally(srv, meeting)
    assert tally["origins"] == {"phone": 5, "paper": 1, "helper": 0}
    chosen = {row["theme"]: row["chosen"] for row in tally["themes"]}
    assert chosen == {1: 3, 2: 1, 3: 1}  # others 1, 2, 1; the page 1; the paper form 3
    assert {row["theme"]: row["pledged"] for row in tally["themes"]} == {1: 1, 2: 1, 3: 0}
    beamer_shows(beamer, tally, ("chosen", "pledged"))
    cards = Client(srv.url, code, "host", meeting["host_key"]).state["cards"]
    assert [n["text"] for n in cards if n["field"] == "needs"] == ["Een aanhanger voor de bomen"]
    for name, page in pages.items():
        page.screenshot(path=str(shots() / f"kill-back-{name}.png"))
    assert script_errors(page_errors) == []


def vote(phone, theme: int, word: str) -> None:
    """Tap an answer on a phone's card of this theme."""
    phone.locator(f'#rec-themes fieldset[data-theme="{theme}"]').get_by_role("radio", name=word).check()


def open_evening(srv: Server, meeting: dict, browser, errors) -> dict:
    """Host, beamer, helper screen and two phones, each connected."""
    pages = {
        "host": open_page(browser, meeting["host_url"], errors, **LAPTOP),
        "beamer": open_page(browser, meeting["projector_url"], errors, **BEAMER),
        "helper": open_page(browser, helper_url(srv, meeting), errors),
        "phone-a": open_page(browser, meeting["join_url"], errors, **PHONE),
        "phone-b": open_page(browser, meeting["join_url"], errors, **PHONE),
    }
    for name, page in pages.items():
        if name != "beamer":
            connected(page)
    return pages


def test_a_laptop_asleep_through_the_break_queues_what_phones_do_and_saves_it_once(
    laptop, browser, page_errors
):
    laptop = laptop(PING_INTERVAL=1, PING_TIMEOUT=2)
    srv = laptop.server
    meeting = srv.create_meeting()
    host = Client(srv.url, meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="break")["ok"]
    host.close()
    pages = open_evening(srv, meeting, browser, page_errors)
    a, b, helper = pages["phone-a"], pages["phone-b"], pages["helper"]
    expect(pages["beamer"].locator("h1#p-board")).to_contain_text("Pauze")
    vote(a, 1, "Ja")
    expect(a.locator('[data-status="vote-1"]')).to_have_text("Opgeslagen ✓")

    laptop.pause()
    # Sent while the page still thinks it is connected: it sits on the wire, unanswered.
    vote(a, 2, "Deels")
    expect(a.locator('[data-status="vote-2"]')).to_have_text("Wordt opgeslagen…")
    helper.get_by_label("Welk nummer staat op het formulier?").fill("12")
    answer(helper, 1, "Nee").check()
    helper.get_by_role("button", name="Opslaan").click()
    # Past PING_INTERVAL + PING_TIMEOUT every page sees the line is gone ...
    for name, page in pages.items():
        expect(page.locator("#conn")).to_have_attribute("data-kind", "warn", timeout=BACK)
        page.screenshot(path=str(shots() / f"asleep-{name}.png"))
    # ... and what people do meanwhile waits in the page.
    vote(a, 3, "Nee")
    vote(b, 1, "Deels")
    card = b.locator('#rec-themes fieldset[data-theme="2"]')
    card.locator("summary").click()
    card.locator("textarea").fill("Een zebrapad bij de school")
    card.get_by_role("button", name="Versturen").click()
    for status in ('[data-status="vote-3"]', '[data-status="vote-2"]'):
        expect(a.locator(status)).to_have_text("Wordt opgeslagen…")
    expect(card.locator('[data-status="addition-2"]')).to_have_text("Wordt opgeslagen…")
    expect(helper.locator("#form-status")).to_have_text("Wordt opgeslagen…")

    laptop.resume()
    for name, page in pages.items():
        if name != "beamer":
            connected(page)
        expect(page.locator("#conn")).not_to_have_attribute("data-kind", "warn", timeout=BACK)
    for theme in (1, 2, 3):
        expect(a.locator(f'[data-status="vote-{theme}"]')).to_have_text("Opgeslagen ✓", timeout=BACK)
    expect(b.locator('[data-status="vote-1"]')).to_have_text("Opgeslagen ✓")
    expect(card.locator('[data-status="addition-2"]')).to_have_text("Dank u! Uw aanvulling is verstuurd.")
    expect(card.locator(".sent-list li")).to_have_count(1)
    expect(helper.locator("#form-status")).to_contain_text("Formulier 12 is opgeslagen")
    expect(helper.locator("#saved-count")).to_have_text("1")
    for page in pages.values():
        no_spinner(page)

    tally = store_tally(srv, meeting)
    assert tally["participants"] == 3 and tally["origins"]["paper"] == 1
    rows = {row["theme"]: (row["yes"], row["partly"], row["no"]) for row in tally["themes"]}
    assert rows == {1: (1, 1, 1), 2: (0, 1, 0), 3: (0, 0, 1)}
    beamer_shows(pages["beamer"], tally, ("yes", "partly", "no"))
    host = Client(srv.url, meeting["code"], "host", meeting["host_key"])
    assert [x["text"] for x in host.state["additions"]] == ["Een zebrapad bij de school"]
    host.close()
    expect(pages["host"].locator("#additions li[data-addition]")).to_have_count(1)
    for name, page in pages.items():
        page.screenshot(path=str(shots() / f"awake-{name}.png"))
    assert script_errors(page_errors) == []


def test_a_server_away_for_a_while_leaves_calm_pages_that_keep_trying_and_come_back(
    laptop, browser, page_errors
):
    laptop = laptop()
    srv = laptop.server
    meeting = srv.create_meeting()
    host = Client(srv.url, meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    host.close()
    pages = open_evening(srv, meeting, browser, page_errors)
    a = pages["phone-a"]
    vote(a, 1, "Ja")
    expect(a.locator('[data-status="vote-1"]')).to_have_text("Opgeslagen ✓")

    srv.stop()
    for page in pages.values():
        expect(page.locator("#conn")).to_have_text("Geen verbinding. We proberen het opnieuw.", timeout=BACK)
    vote(a, 2, "Nee")
    # The pages keep trying, with pauses that grow to a few seconds (socket.io-client's back-off,
    # at most 5 s and half again of jitter), and never stop: three more tries each.
    for _ in range(3):
        for page in pages.values():
            page.wait_for_event("websocket", timeout=BACK)
    for name, page in pages.items():
        expect(page.locator("#conn")).to_have_attribute("data-kind", "warn")
        if name != "beamer":
            assert warning_in_view(page) == {"warning": True, "covered": None}, name
        page.screenshot(path=str(shots() / f"away-{name}.png"))
    expect(a.locator('[data-status="vote-2"]')).to_have_text("Wordt opgeslagen…")

    srv = laptop.restart()
    for name, page in pages.items():
        if name != "beamer":
            connected(page)
        expect(page.locator("#conn")).not_to_have_attribute("data-kind", "warn", timeout=BACK)
    expect(a.locator('[data-status="vote-2"]')).to_have_text("Opgeslagen ✓")
    for name, page in pages.items():
        no_spinner(page)
        if name != "beamer":  # back in its place at the top
            expect(page.locator(".bar #conn")).to_have_css("position", "static")
    tally = store_tally(srv, meeting)
    assert {row["theme"]: (row["yes"], row["no"]) for row in tally["themes"]}[2] == (0, 1)
    beamer_shows(pages["beamer"], tally, ("yes", "partly", "no"))
    assert script_errors(page_errors) == []
