"""The beamer through a whole evening, in Debian's Chromium against the real server: themes from
the live state, one theme at a time, hidden and revealed results, an evening too big for one
screen, the part after the break, the results with cards and volunteers, and high contrast.

Socket clients drive the evening (phones, host); the page is only looked at. Screenshots go to
SCREENSHOT_DIR (default: the test's tmp folder).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from conftest import open_page, resize, transitions_done
from playwright.sync_api import expect
from test_accessibility import BEAMER_LAYOUT, LAPTOP, assert_no_violations, contrast

from live.texts import ERRORS

pytestmark = pytest.mark.browser

SIZES = ((1280, 720), (1024, 768))
CONNECTION_LOST = ERRORS["offline"][:40]  # as BEAMER_LAYOUT quotes it

# Records every Socket.IO frame the page receives, before the page's own scripts run: what the
# beamer's data held, not only what it drew.
RECORD_FRAMES = """
window.__frames = [];
const Native = window.WebSocket;
window.WebSocket = class extends Native {
  constructor(...args) {
    super(...args);
    this.addEventListener('message', (e) => {
      if (typeof e.data === 'string') window.__frames.push(e.data);
    });
  }
};
"""

# What a person sees on the board now: visible theme titles, additions and pager lines.
ON_BOARD = """() => {
    const seen = (el) => el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
    const board = document.querySelector('.board:not([hidden])');
    if (!board) return {titles: [], additions: [], pagers: []};
    return {
        titles: [...board.querySelectorAll('.theme-row h2')].filter(seen).map((h) => h.textContent),
        additions: [...board.querySelectorAll('.additions li')].filter(seen).map((li) => li.textContent),
        pagers: [...board.querySelectorAll('.pager')].filter(seen).map((p) => p.textContent),
        fit: document.body.style.getPropertyValue('--fit'),
    };
}"""


def floor_share(width: int, height: int) -> float:
    """The floor test_accessibility holds the beamer to: 3.5% of the height, 3% on 4:3."""
    return 0.035 if width / height > 1.5 else 0.03


def shots() -> Path:
    """Where screenshots go."""
    path = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/beamer-evening"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def host_call(host, event, **fields):
    """A host event, sent again after a pause when the host's rate limit says so."""
    for _ in range(20):
        ack = host.call(event, **fields)
        if ack.get("error") != "rate_limited":
            return ack
        time.sleep(1)
    raise AssertionError(f"{event} stayed rate limited")


def open_beamer(browser, url, errors, width=1280, height=720, clock=False, record=False):
    """A beamer page at this size, optionally with a fake clock and a record of socket frames."""
    page = open_page(browser, "about:blank", errors, viewport={"width": width, "height": height})
    if record:
        page.add_init_script(RECORD_FRAMES)
    if clock:
        page.clock.install()
    page.goto(url)
    expect(page.locator("#conn")).to_have_attribute("data-kind", "ok")
    return page


def turn_until_shown(beamer, locator, most=6) -> None:
    """Turn the beamer's pages (fake clock) until this element is on the screen."""
    for _ in range(most):
        if locator.is_visible():
            return
        beamer.clock.run_for(10_500)
        beamer.wait_for_timeout(100)
    expect(locator).to_be_visible()


def legible(page, width, height) -> dict:
    """BEAMER_LAYOUT's problems (too small, cut off, under the join corner) at this size."""
    resize(page, width, height)
    problems = page.evaluate(BEAMER_LAYOUT, floor_share(width, height))
    # The connection notice is for whoever drives the laptop (a fake clock that jumps minutes
    # ahead can outrun Engine.IO's heartbeat): everything else counts.
    problems["underCorner"] = [p for p in problems["underCorner"] if p != CONNECTION_LOST]
    return {k: v for k, v in problems.items() if v}


def received(page) -> list[tuple[str, dict]]:
    """Every Socket.IO event the page received: (name, payload)."""
    out = []
    for frame in page.evaluate("window.__frames"):
        if frame.startswith("42"):
            name, *args = json.loads(frame[2:])
            out.append((name, args[0] if args else None))
    return out


def tally_rows(events) -> list[dict]:
    """Every tally row the page received, from `tally` messages and from snapshots."""
    rows = []
    for name, data in events:
        tally = data if name == "tally" else (data or {}).get("tally") if name == "state" else None
        if tally:
            rows.extend([*tally["themes"], tally["whole"]])
    return rows


# -- one theme at a time, results hidden then revealed -----------------------------------------


def test_one_theme_at_a_time_shows_only_how_many_answered_until_the_host_reveals(
    browser, server, connect, page_errors
):
    themes = [
        {"title": "Groen in de wijk", "description": "Meer bomen, minder stenen in de straat"},
        {"title": "Veilig verkeer", "description": "Te hard rijden bij de school"},
        {"title": "Samen eten", "description": ""},
    ]
    meeting = server.create_meeting(themes=themes)
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    phones = [connect(code, "phone") for _ in range(3)]
    assert host_call(host, "set_results", hidden=True)["ok"]
    beamer = open_beamer(browser, meeting["projector_url"], page_errors, record=True)
    assert host_call(host, "set_phase", phase="recognition")["ok"]
    assert host_call(host, "set_pace", pace="one", theme=1)["ok"]
    for phone, answer in zip(phones, ("yes", "yes", "no"), strict=True):
        assert phone.call("vote", theme=1, answer=answer)["ok"]
        assert phone.call("vote", theme=0, answer="partly")["ok"]
    assert host_call(host, "manual_count", theme=1, answer="yes", count=2)["ok"]
    assert phones[0].call("addition", theme=1, text="Een moestuin achter de school")["ok"]
    addition = host.wait_for(lambda: host.state.get("additions"), what="the addition")[0]["id"]
    assert host_call(host, "moderate", addition=addition, show=True)["ok"]

    # One theme, large, with its description, its addition and only how many answered.
    row = beamer.locator('.board .theme-row[data-theme="1"]')
    expect(beamer.locator(".board .theme-row:visible")).to_have_count(1)
    expect(row.locator("h2")).to_have_text("Groen in de wijk")
    expect(row.locator(".desc")).to_have_text("Meer bomen, minder stenen in de straat")
    expect(row.locator(".additions li")).to_have_text(["Een moestuin achter de school"])
    expect(row.locator(".answered-only")).to_have_text("5 mensen hebben geantwoord")
    expect(row.locator(".meter")).to_be_hidden()
    assert not beamer.locator(".board .nums:visible").count()
    for width, height in SIZES:
        assert legible(beamer, width, height) == {}, (width, height)
    resize(beamer, 1280, 720)
    beamer.screenshot(path=str(shots() / "one-theme-hidden-1280x720.png"))

    # The whole: the question for the analysis as a whole.
    assert host_call(host, "set_pace", pace="one", theme=0)["ok"]
    whole = beamer.locator('.board .theme-row[data-theme="0"]')
    expect(whole.locator("h2")).to_have_text("Herkent u zich in het geheel?")
    expect(whole.locator(".answered-only")).to_have_text("3 mensen hebben geantwoord")
    expect(beamer.locator(".board .theme-row:visible")).to_have_count(1)

    # While hidden, no message to the page held the split: only how many answered.
    rows = tally_rows(received(beamer))
    assert rows and all(r["hidden"] for r in rows)
    assert all(not {"yes", "partly", "no", "sources"} & r.keys() for r in rows), rows

    # Revealed: bars with numbers, percentages and the raised hands.
    assert host_call(host, "set_pace", pace="one", theme=1)["ok"]
    assert host_call(host, "set_results", hidden=False)["ok"]
    expect(row.locator(".meter")).to_be_visible()
    expect(row.locator(".answered-only")).to_be_hidden()
    expect(row.locator(".nums")).to_have_text("Ja 4 (80%) · Deels 0 (0%) · Nee 1 (20%) · waarvan 2 handen")
    widths = row.locator(".seg").evaluate_all("(segs) => segs.map((s) => s.style.width)")
    assert widths == ["80%", "0%", "20%"]
    for width, height in SIZES:
        assert legible(beamer, width, height) == {}, (width, height)
    resize(beamer, 1280, 720)
    transitions_done(beamer)
    beamer.screenshot(path=str(shots() / "one-theme-revealed-1280x720.png"))

    # Back to every theme at once: every theme, plus the whole, from the live state.
    assert host_call(host, "set_pace", pace="all")["ok"]
    expect(beamer.locator(".board .theme-row h2")).to_have_text(
        ["Groen in de wijk", "Veilig verkeer", "Samen eten", "Herkent u zich in het geheel?"]
    )
    assert page_errors == []


def test_themes_added_edited_reordered_and_removed_show_at_once(browser, server, connect, page_errors):
    meeting = server.create_meeting(themes=["Groen", "Verkeer", "Eten"])
    host = connect(meeting["code"], "host", meeting["host_key"])
    beamer = open_beamer(browser, meeting["projector_url"], page_errors)
    assert host_call(host, "set_phase", phase="topics")["ok"]
    titles = beamer.locator(".board .theme-row h2")
    expect(titles).to_have_text(["Groen", "Verkeer", "Eten"])
    new = host_call(host, "add_theme", title="Spelen <b>buiten</b>")["theme"]
    assert host_call(host, "edit_theme", theme=1, title="Groen in de wijk")["ok"]
    assert host_call(host, "order_themes", order=[new, 3, 2, 1])["ok"]
    assert host_call(host, "remove_theme", theme=2)["ok"]
    expect(titles).to_have_text(["Spelen <b>buiten</b>", "Eten", "Groen in de wijk"])
    assert beamer.locator(".board b").count() == 0  # attendee and host text stays text
    assert page_errors == []


# -- an evening too big for one screen ---------------------------------------------------------


def long_title(n: int) -> str:
    """A 120-character theme title that starts with its number."""
    base = f"Thema {n}: betere verbindingen tussen de wijk, het dorpshuis en de school, met veilige paden "
    return (base + "en meer groen langs de weg voor iedereen die hier woont")[:120]


def walk_screens(beamer, width, height, name, most=40) -> list[dict]:
    """Every screen the beamer turns through at this size, each checked for legibility."""
    resize(beamer, width, height)
    seen = []
    for n in range(most):
        shot = beamer.evaluate(ON_BOARD)
        if seen and shot == seen[0]["board"]:
            break  # round again
        seen.append({**shot, "board": shot, "problems": legible(beamer, width, height)})
        if n < 3 or not shot["additions"]:
            beamer.screenshot(path=str(shots() / f"{name}-{width}x{height}-screen{n + 1}.png"))
        # On to the next screen, half a second at a time: a jump of a whole turn could skip
        # one, as the fake clock also moves with real time.
        for _ in range(24):
            beamer.clock.run_for(500)
            if beamer.evaluate(ON_BOARD) != shot:
                break
    return seen


def test_twenty_long_themes_and_sixty_additions_take_turns_and_each_reads_from_the_back(
    browser, server, connect, page_errors
):
    titles = [long_title(n) for n in range(1, 21)]
    assert all(len(t) == 120 for t in titles)
    meeting = server.create_meeting(themes=titles)
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    assert host_call(host, "set_phase", phase="recognition")["ok"]
    texts = []
    for t in range(1, 21):
        phone = connect(code, "phone")  # one phone per theme stays under the phone's rate limit
        assert phone.call("vote", theme=t, answer=("yes", "partly", "no")[t % 3])["ok"]
        for n in range(3):
            text = f"Aanvulling {n + 1} bij thema {t}: graag meer aandacht voor dit punt"
            assert phone.call("addition", theme=t, text=text)["ok"]
            texts.append(text)
    # The host client folds each new addition into its snapshot, as the host page does.
    pending = host.wait_for(lambda: len(host.state.get("additions", [])) == 60 and host.state["additions"])
    for a in pending:
        assert host_call(host, "moderate", addition=a["id"], show=True)["ok"]
    beamer = open_beamer(browser, meeting["projector_url"], page_errors, clock=True)
    expect(beamer.locator("#themes-pager")).to_be_visible()

    for width, height in SIZES:
        screens = walk_screens(beamer, width, height, "twenty-themes")
        where = f"{width}x{height}"
        assert len(screens) > 1, where
        # Every title and every shown addition is on some screen; none is dropped.
        assert set(titles) <= {t for s in screens for t in s["titles"]}, where
        assert sorted({a for s in screens for a in s["additions"]}) == sorted(texts), where
        for s in screens:
            assert s["problems"] == {}, (where, s["titles"][:1], s["problems"])
            assert s["pagers"] and s["pagers"][0].startswith(("Thema", "Het geheel")), (where, s["pagers"])
            assert float(s["fit"] or 1) >= 0.9
        assert any(s["pagers"][0].endswith("van 20") for s in screens)
    assert page_errors == []


# -- after the break, and the results ----------------------------------------------------------


def test_after_the_break_themes_fill_up_then_results_show_cards_and_volunteers_by_role(
    browser, server, connect, page_errors
):
    meeting = server.create_meeting(themes=["Groen in de wijk", "Veilig verkeer", "Samen eten"])
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    phones = [connect(code, "phone") for _ in range(3)]
    beamer = open_beamer(browser, meeting["projector_url"], page_errors, clock=True)
    assert host_call(host, "edit_theme", theme=1, capacity=2, table="Tafel 1, bij het raam")["ok"]
    assert host_call(host, "edit_theme", theme=2, table=["Tafel 2", "Tafel 3"])["ok"]
    assert host_call(host, "set_phase", phase="topics")["ok"]
    for phone, theme in zip(phones, (1, 1, 2), strict=True):
        assert phone.call("choose", theme=theme)["ok"]

    rows = {t: beamer.locator(f'.board .theme-row[data-theme="{t}"]') for t in (1, 2, 3)}
    expect(rows[1].locator(".choice-part .nums")).to_have_text("2 mensen kozen dit van 2 plaatsen Vol")
    expect(rows[1].locator(".tables")).to_have_text("Plaats: Tafel 1, bij het raam")
    expect(rows[2].locator(".tables")).to_have_text("Plaats: Tafel 2 · Tafel 3")
    expect(rows[2].locator(".choice-part .nums")).to_have_text("1 persoon koos dit")
    expect(rows[2].locator(".badge")).to_be_hidden()
    expect(rows[3].locator(".badge")).to_have_text("Nog niemand")
    expect(rows[3].locator(".badge")).to_be_visible()
    assert rows[1].locator(".seg.chosen").evaluate("(s) => s.style.width") == "100%"
    # Towards the capacity where there is one, else against the most chosen theme.
    assert rows[2].locator(".seg.chosen").evaluate("(s) => s.style.width") == "50%"
    for width, height in SIZES:
        assert legible(beamer, width, height) == {}, (width, height)
    resize(beamer, 1280, 720)

    assert host_call(host, "set_phase", phase="pledges")["ok"]
    names = ["Fatima el Amrani", "Jan de Vries", "Kees Jansen"]
    for phone, theme, role, name in zip(phones, (1, 1, 2), ("lead", "member", "member"), names, strict=True):
        ack = phone.call("pledge", theme=theme, role=role, name=name, email="buur@example.nl", consent=True)
        assert ack["ok"], ack
    expect(rows[1].locator(".roles")).to_have_text("Helpen mee: 2 · Trekker 1 · Meedoen 1 · Af en toe 0")
    expect(rows[2].locator(".roles")).to_have_text("Helpen mee: 1 · Trekker 0 · Meedoen 1 · Af en toe 0")

    assert host_call(host, "set_phase", phase="results")["ok"]
    long_note = "Elke eerste zaterdag van de maand samen met de gemeente en de school de bomen water geven"
    for field, text in (
        ("how", "Samen met de school"),
        ("how", long_note),
        ("how", "Een app-groep"),
        ("needs", "Gieters"),
        ("first_step", "Brief aan de gemeente"),
    ):
        assert phones[0].call("note", theme=1, field=field, text=text)["ok"]
    card = rows[1].locator(".card-short")
    expect(card.locator('[data-field="how"] dd')).to_have_text(
        f"Samen met de school · {long_note[:69].rstrip()}… · en 1 meer"
    )
    expect(card.locator('[data-field="needs"] dd')).to_have_text("Gieters")
    expect(card.locator('[data-field="lead"]')).to_be_hidden()
    # A theme without a trekker stands out; one with a trekker does not.
    expect(rows[2].locator(".no-lead")).to_have_text("Nog geen trekker: wie wil?")
    turn_until_shown(beamer, rows[2].locator(".no-lead"))
    turn_until_shown(beamer, rows[3].locator(".no-lead"))
    turn_until_shown(beamer, rows[1].locator(".card-short"))
    expect(rows[1].locator(".no-lead")).to_be_hidden()
    expect(rows[1].locator(".meter").first).to_be_visible()
    text = beamer.locator("body").inner_text()
    assert not any(name in text for name in names)  # volunteers by role, never by name
    # A note changed during the results reaches the card at once.
    note = phones[0].call("note", theme=2, field="lead", text="Wie wil trekken?")["note"]
    expect(rows[2].locator('.card-short [data-field="lead"] dd')).to_have_text("Wie wil trekken?")
    assert phones[0].call("remove_note", note=note)["ok"]
    expect(rows[2].locator(".card-short")).to_be_hidden()
    for width, height in SIZES:
        assert legible(beamer, width, height) == {}, (width, height)
    resize(beamer, 1280, 720)
    turn_until_shown(beamer, rows[1].locator(".card-short"))
    transitions_done(beamer)
    beamer.screenshot(path=str(shots() / "results-cards-1280x720.png"))
    assert_no_violations({"beamer": beamer})
    assert page_errors == []


# -- high contrast -----------------------------------------------------------------------------

# Every visible text's colour against the background it sits on (the nearest ancestor with a
# background colour), and each bar's background against the page and the track.
COLOURS = """() => {
    const rgb = (c) => c.startsWith('rgba(0, 0, 0, 0)') || c === 'transparent' ? null : c;
    const ground = (el) => {
        for (let e = el; e; e = e.parentElement) {
            const c = rgb(getComputedStyle(e).backgroundColor);
            if (c) return c;
        }
        return 'rgb(255, 255, 255)';
    };
    const texts = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const el = walker.currentNode.parentElement;
        if (!walker.currentNode.textContent.trim() || el.closest('script, .skip, .conn')) continue;
        if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
        const fg = getComputedStyle(el).color;
        texts.push({text: el.textContent.trim().slice(0, 30), fg, bg: ground(el)});
    }
    const bars = [...document.querySelectorAll('.board .theme-row:not([hidden]) .seg')].map((s) => {
        const st = getComputedStyle(s);
        return {kind: s.className, colour: st.backgroundColor, image: st.backgroundImage,
                track: getComputedStyle(s.parentElement).backgroundColor,
                page: ground(s.parentElement.parentElement)};
    });
    return {texts, bars};
}"""


def hex_of(css: str) -> str:
    """'rgb(1, 2, 3)' as '#010203'."""
    parts = [int(float(p)) for p in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
    return "#" + "".join(f"{p:02x}" for p in parts)


def low_contrast(colours: dict) -> list:
    """Text under 4.5:1 and solid bars under 3:1 against their page or track."""
    low = [
        (t["text"], round(contrast(hex_of(t["fg"]), hex_of(t["bg"])), 2))
        for t in colours["texts"]
        if contrast(hex_of(t["fg"]), hex_of(t["bg"])) < 4.5
    ]
    for bar in colours["bars"]:
        if bar["image"] != "none":
            continue  # a pattern: checked by its own colours in live.css
        for ground in (bar["track"], bar["page"]):
            if contrast(hex_of(bar["colour"]), hex_of(ground)) < 3:
                low.append((bar["kind"], bar["colour"], ground))
    return low


def test_high_contrast_is_a_key_or_a_button_away_remembered_and_still_parts_the_bars(
    browser, server, connect, page_errors
):
    meeting = server.create_meeting()
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    assert host_call(host, "set_phase", phase="recognition")["ok"]
    for answer in ("yes", "yes", "partly", "no"):
        assert connect(code, "phone").call("vote", theme=1, answer=answer)["ok"]
    beamer = open_beamer(browser, meeting["projector_url"], page_errors)
    button = beamer.get_by_role("button", name="Hoog contrast")
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(beamer.locator('.theme-row[data-theme="1"] [data-k="yes"]')).to_have_text("2")
    transitions_done(beamer)
    normal = beamer.evaluate(COLOURS)
    assert low_contrast(normal) == []

    beamer.keyboard.press("c")
    expect(beamer.locator("body")).to_have_class("projector contrast")
    expect(button).to_have_attribute("aria-pressed", "true")
    beamer.reload()  # remembered
    expect(beamer.locator("body")).to_have_class("projector contrast")
    expect(beamer.locator('.theme-row[data-theme="1"] [data-k="yes"]')).to_have_text("2")
    transitions_done(beamer)
    high = beamer.evaluate(COLOURS)
    assert low_contrast(high) == []
    assert {hex_of(t["bg"]) for t in high["texts"]} == {"#000000"}
    assert {hex_of(t["fg"]) for t in high["texts"]} <= {"#ffffff", "#ffe14d"}
    # Without colour, ja/deels/nee still differ: solid, striped, dotted.
    looks = {b["kind"]: b["image"].split("(")[0] for b in high["bars"]}
    assert looks == {
        "seg yes": "none",
        "seg partly": "repeating-linear-gradient",
        "seg no": "radial-gradient",
    }
    beamer.screenshot(path=str(shots() / "high-contrast-1280x720.png"))
    for width, height in SIZES:
        assert legible(beamer, width, height) == {}, (width, height)
    resize(beamer, 1280, 720)
    assert_no_violations({"beamer": beamer})

    button.click()
    expect(beamer.locator("body")).not_to_have_class("projector contrast")
    expect(button).to_have_attribute("aria-pressed", "false")
    assert page_errors == []


# -- merged additions keep their weight ---------------------------------------------------------


def test_a_merged_addition_says_on_the_beamer_how_many_people_said_it(browser, server, connect, page_errors):
    meeting = server.create_meeting(themes=["Verkeer"])
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    assert host_call(host, "set_phase", phase="recognition")["ok"]
    said = ["Drempels op de <b>Dorpsstraat</b>", "Drempels Dorpsstraat", "Ook drempels"]
    ids = [connect(code, "phone").call("addition", theme=1, text=text)["addition"] for text in said]
    beamer = open_beamer(browser, meeting["projector_url"], page_errors)
    assert host_call(host, "moderate", addition=ids[0], show=True)["ok"]
    item = beamer.locator(f'.additions li[data-addition="{ids[0]}"]')
    expect(item).to_have_text(said[0])
    for other in ids[1:]:
        assert host_call(host, "merge_addition", addition=other, into=ids[0])["ok"]
    expect(item.locator(".mentions")).to_have_text("3× genoemd")
    assert beamer.locator(".board b").count() == 0  # attendee text stays text
    beamer.reload()  # from the snapshot too
    expect(beamer.locator(f'.additions li[data-addition="{ids[0]}"] .mentions')).to_have_text("3× genoemd")
    # Shown apart again: the group stands for two.
    assert host_call(host, "moderate", addition=ids[2], show=True)["ok"]
    expect(beamer.locator(f'.additions li[data-addition="{ids[0]}"] .mentions')).to_have_text("2× genoemd")
    expect(beamer.locator(f'.additions li[data-addition="{ids[2]}"] .mentions')).to_have_count(0)
    for width, height in SIZES:
        assert legible(beamer, width, height) == {}, (width, height)
    assert page_errors == []


# -- the host drives the beamer in every phase -------------------------------------------------

# The theme rows a person sees whole: inside the screen and clear of the join corner.
WHOLE_ROWS = """() => {
    const corner = document.querySelector('.corner').getBoundingClientRect();
    return [...document.querySelectorAll('.board .theme-row')].filter((row) => {
        if (!row.checkVisibility()) return false;
        const r = row.getBoundingClientRect();
        const underCorner = r.right > corner.left && r.bottom > corner.top && r.left < corner.right;
        return r.top >= 0 && r.bottom <= innerHeight && r.right <= innerWidth && !underCorner;
    }).map((row) => Number(row.dataset.theme));
}"""

# A title cut by the line clamp: more text than its box shows, ended with "…" by the browser.
CLAMPED = """(h) => {
    const st = getComputedStyle(h);
    const clipped = st.overflowY !== 'visible';
    return {cut: h.scrollHeight > h.clientHeight + 1, clamp: st.webkitLineClamp, clipped};
}"""


def test_the_host_holds_theme_five_on_the_beamer_in_the_results_and_steps_on(
    browser, server, connect, page_errors
):
    themes = [f"Thema {n}: {word}" for n, word in enumerate(("groen", "verkeer", "eten", "spelen",
              "ouderen", "jongeren", "wonen", "veiligheid"), start=1)]  # fmt: skip
    meeting = server.create_meeting(themes=themes)
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    assert host_call(host, "set_phase", phase="results")["ok"]
    beamer = open_beamer(browser, meeting["projector_url"], page_errors, width=1024, height=768, clock=True)
    page = open_page(browser, meeting["host_url"], page_errors, **LAPTOP)
    expect(page.locator("#conn")).to_have_text("Verbonden")
    # The host sees what the beamer shows, and that it turns its screens by itself.
    now = page.locator("#beamer-now")
    expect(now).to_contain_text("Op de beamer nu (scherm 1 van")
    expect(page.locator("#pace-now")).to_have_text(
        "De beamer laat de thema's om de beurt zien: elke 10 seconden een ander scherm."
    )
    # One theme at a time, in the results too: on to theme 5.
    page.get_by_label("Eén thema per keer").check()
    expect(page.locator("#pace-now")).to_have_text("Nu aan de beurt: Thema 1: groen (1 van 9).")
    following = page.get_by_role("button", name="Volgende")
    for n in range(2, 6):
        following.click()
        expect(page.locator("#pace-now")).to_contain_text(f"({n} van 9)")
    rows = beamer.locator(".board .theme-row:visible h2")
    expect(rows).to_have_text(["Thema 5: ouderen"])
    expect(now).to_have_text("Op de beamer nu: Thema 5: ouderen.")
    # Past the old turn of 10 seconds (six times over), theme 5 stays.
    for _ in range(6):
        beamer.clock.run_for(10_500)
        beamer.wait_for_timeout(50)
    expect(rows).to_have_text(["Thema 5: ouderen"])
    assert host.state["pace"] == {"mode": "one", "theme": 5}
    # A reload of the beamer keeps it (the pace is stored, not kept in one process).
    beamer.reload()
    expect(beamer.locator(".board .theme-row:visible h2")).to_have_text(["Thema 5: ouderen"])
    following.click()
    expect(beamer.locator(".board .theme-row:visible h2")).to_have_text(["Thema 6: jongeren"])
    page.get_by_role("button", name="Vorige").click()
    expect(beamer.locator(".board .theme-row:visible h2")).to_have_text(["Thema 5: ouderen"])
    resize(beamer, 1920, 1080)
    transitions_done(beamer)
    beamer.screenshot(path="/tmp/beamer-shots/results-one-theme-1920x1080.png")
    resize(beamer, 1024, 768)

    # Every theme again, the beamer held still on a screen: it does not turn; Volgende moves it.
    page.get_by_label("Alle thema's tegelijk").check()
    expect(page.locator("#pace-now")).to_contain_text("om de beurt")
    stop = page.get_by_role("button", name="Beamer stilzetten")
    stop.click()
    expect(page.get_by_role("button", name="Weer vanzelf laten wisselen")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#pace-now")).to_contain_text("De beamer staat stil op het scherm met")
    held = beamer.evaluate(ON_BOARD)["titles"]
    for _ in range(3):
        beamer.clock.run_for(10_500)
        beamer.wait_for_timeout(50)
    assert beamer.evaluate(ON_BOARD)["titles"] == held
    first = host.state["pace"]["theme"]
    page.get_by_role("button", name="Volgende").click()
    host.wait_for(lambda: host.state["pace"]["mode"] == "hold" and host.state["pace"]["theme"] != first)
    expect(beamer.locator(".board .theme-row:visible h2").first).not_to_have_text(held[0])
    moved = beamer.evaluate(ON_BOARD)["titles"]
    page.get_by_role("button", name="Vorige").click()
    expect(beamer.locator(".board .theme-row:visible h2").first).to_have_text(held[0])
    assert moved != held
    # The host's line says exactly the themes the beamer shows whole.
    seen = [themes[i - 1] for i in beamer.evaluate(WHOLE_ROWS) if i]
    expect(now).to_contain_text(", ".join(seen))
    # The controls are big enough to hit (44 px) and reachable by keyboard.
    for control in ("#pace-prev", "#pace-next", "#pace-hold"):
        box = page.locator(control).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (control, box)
    page.locator("#pace-hold").focus()
    page.keyboard.press("Enter")
    host.wait_for(lambda: host.state["pace"] == {"mode": "all", "theme": None}, what="turning again")
    expect(page.get_by_role("button", name="Beamer stilzetten")).to_be_focused()
    page.screenshot(path="/tmp/beamer-shots/host-beamer-control.png", full_page=False)
    page.locator("#beamer").screenshot(path="/tmp/beamer-shots/host-beamer-section.png")
    beamer.screenshot(path="/tmp/beamer-shots/results-held-1024x768.png")
    assert_no_violations({"host": page, "beamer": beamer})
    assert page_errors == []


@pytest.mark.parametrize("phase", ["recognition", "topics", "results"])
def test_the_pager_line_counts_only_the_themes_seen_whole_and_a_long_title_ends_in_an_ellipsis(
    browser, server, connect, page_errors, phase
):
    titles = [long_title(n) for n in range(1, 21)]
    meeting = server.create_meeting(themes=titles)
    host = connect(meeting["code"], "host", meeting["host_key"])
    assert host_call(host, "set_phase", phase=phase)["ok"]
    beamer = open_beamer(browser, meeting["projector_url"], page_errors, width=1024, height=768, clock=True)
    for width, height in ((1024, 768), (1280, 720), (1920, 1080)):
        resize(beamer, width, height)
        for n in range(3):
            seen = beamer.evaluate(WHOLE_ROWS)
            pager = beamer.locator("#themes-pager")
            expect(pager).to_be_visible()
            positions = [i for i in seen if i]  # theme ids are their positions here
            if not positions:
                label = "Het geheel"
            elif len(positions) == 1:
                label = f"Thema {positions[0]} van 20"
            else:
                label = f"Thema's {positions[0]}-{positions[-1]} van 20"
            assert pager.text_content() == label, (width, height, seen)
            # Every visible row is seen whole: nothing cut off is on the screen at all.
            visible = beamer.locator(".board .theme-row:visible")
            assert visible.count() == len(seen), (width, height, seen)
            # A long title is ended by the line clamp ("…"), at least on the old 4:3 beamer.
            h2 = beamer.locator(".board .theme-row:visible:not(.whole) h2").first
            if positions:
                clamped = h2.evaluate(CLAMPED)
                assert clamped["clamp"] == "3" and clamped["clipped"], clamped
                assert clamped["cut"] or width > 1024, (width, height, clamped)
            if n == 0:
                beamer.screenshot(path=f"/tmp/beamer-shots/{phase}-twenty-{width}x{height}.png")
            assert legible(beamer, width, height) == {}, (width, height)
            beamer.clock.run_for(10_500)
            beamer.wait_for_timeout(100)
    assert page_errors == []
