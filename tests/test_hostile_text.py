"""Attendee text that tries to spoil the beamer, the host screen or the phone without any HTML:
text that looks empty, an addition of many lines or one endless word, combining marks stacked
on letters, and right-to-left letters beside our own words and numbers.

Real server process, real Socket.IO clients and Debian's Chromium; the browser tests measure the
layout (bounding boxes, scroll widths, pixels) of the real pages. Screenshots go to /tmp.
"""

from __future__ import annotations

import pytest
from conftest import BEAMER, open_page, resize

# Looks empty on every screen; each must get the answer an empty text gets.
LOOKS_EMPTY = [
    "\u200b\u2060\ufeff\u00ad",  # zero-width space, word joiner, BOM, soft hyphen
    "\u3164",  # Hangul filler
    "\u115f\u1160 \uffa0",  # the other Hangul fillers
    "\u2800\u2800",  # braille blank
    "\u034f\ufe0f",  # a grapheme joiner and a variation selector, on nothing
    "\u0301\u0301",  # accents on nothing
]

# Additions that would make one card longer or wider than a screen.
SPACED = "x" + "\n \n" * 100 + "y"
LINES = "\n".join(f"regel {i}" for i in range(40))
WORD = "a" * 500
URL = "https://example.nl/" + "pad/" * 120
NEXT = "Volgende aanvulling"

# Four combining marks under each letter (the most clean_text keeps), on the last line.
ZALGO = "Zalgo\n" + "".join(c + "\u0316\u0317\u0318\u0319" for c in "Zalgo onder de regel")

HEBREW = "שלום עולם"

CORNER_CLEAR = """(selector) => {
    const corner = document.querySelector('.corner').getBoundingClientRect();
    return [...document.querySelectorAll(selector)].map((el) => {
        const r = el.getBoundingClientRect();
        return {
            top: r.top, bottom: r.bottom, right: r.right, height: r.height,
            under: r.width > 0 && r.right > corner.left && r.bottom > corner.top,
        };
    });
}"""

WIDE = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.mark.browser
def test_text_that_looks_empty_gets_the_answer_empty_text_gets(
    browser, server, meeting, connect, page_errors
):
    from playwright.sync_api import expect

    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    writer = connect(code, "phone")
    assert host.call("set_phase", phase="recognition")["ok"]
    empty = writer.call("addition", theme=1, text="")
    assert empty == {"ok": False, "error": "text_empty"}
    for text in LOOKS_EMPTY:
        assert writer.call("addition", theme=1, text=text) == empty, ascii(text)
        assert writer.call("addition", theme=1, text=f"  {text}\n{text}  ") == empty, ascii(text)

    # On the phone page: the same Dutch sentence as for an empty box, and no blank card anywhere.
    phone = open_page(browser, meeting["join_url"], page_errors, viewport={"width": 375, "height": 740})
    expect(phone.locator("body")).to_have_attribute("data-phase", "recognition")
    card = phone.locator("fieldset.theme").first
    card.locator("details.add summary").click()
    card.locator("textarea").fill("\u3164\u200b\u3164")
    card.get_by_role("button", name="Versturen").click()
    expect(card.locator(".addition-form .saved")).to_have_text("U heeft nog niets ingevuld.")
    assert card.locator(".sent-list li").count() == 0

    assert host.call("set_phase", phase="pledges")["ok"]
    pledge = {"theme": 1, "role": "member", "email": "buur@example.nl", "consent": True}
    no_name = writer.call("pledge", name="", **pledge)
    assert no_name == {"ok": False, "error": "name_required"}
    for text in LOOKS_EMPTY:
        assert writer.call("pledge", name=text, **pledge) == no_name, ascii(text)
    # Nothing was stored: the host never heard of an addition.
    assert host.additions == []
    assert page_errors == []


def _show_only(host, ids, shown):
    for addition in ids:
        assert host.call("moderate", addition=addition, show=addition in shown) == {"ok": True}


@pytest.mark.browser
def test_an_addition_of_many_lines_or_one_endless_word_stays_inside_beamer_host_and_phone(
    browser, server, meeting, connect, page_errors
):
    from playwright.sync_api import expect

    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    # The texts are typed on a real phone page of 375 px, which lists what it sent.
    phone = open_page(
        browser, meeting["join_url"], page_errors, viewport={"width": 375, "height": 740}, is_mobile=True
    )
    expect(phone.locator("body")).to_have_attribute("data-phase", "recognition")
    card = phone.locator("fieldset.theme").first
    card.locator("details.add summary").click()
    for n, text in enumerate((SPACED, LINES, WORD, URL, NEXT), start=1):
        card.locator("textarea").fill(text)
        card.get_by_role("button", name="Versturen").click()
        expect(card.locator(".sent-list li")).to_have_count(n)
    assert phone.evaluate(WIDE) <= 0
    # (The sender's own list shows the text as typed, all its lines: only on that phone.)
    phone.screenshot(path="/tmp/hostile-text-phone.png", full_page=True)

    ids = host.wait_for(
        lambda: (
            [a["id"] for a in sorted(host.additions, key=lambda a: a["id"])]
            if len(host.additions) >= 5
            else None
        ),
        what="five additions",
    )
    beamer = open_page(browser, meeting["projector_url"], page_errors, **BEAMER)
    host_page = open_page(browser, meeting["host_url"], page_errors, viewport={"width": 1280, "height": 900})
    expect(host_page.locator("#additions li")).to_have_count(5)
    for addition, name in zip(ids[:4], ("spaced", "lines", "word", "url"), strict=True):
        _show_only(host, ids, {addition, ids[4]})
        item = beamer.locator(f'.additions li[data-addition="{addition}"]')
        for width, height in ((1280, 720), (1024, 768)):
            resize(beamer, width, height)
            expect(item).to_be_visible()
            where = f"{name} at {width}x{height}"
            beamer.screenshot(path=f"/tmp/hostile-text-beamer-{name}-{width}.png")
            assert beamer.evaluate(WIDE) <= 0, where
            rows = beamer.evaluate(CORNER_CLEAR, ".additions li, .theme-row:not([hidden]) h2")
            for r in rows:
                assert r["top"] >= 0 and r["bottom"] <= height and not r["under"], (where, r)
        # On the host screen the card stays shorter than the screen, with its buttons in reach.
        box = host_page.locator(f'#additions li[data-addition="{addition}"]').bounding_box()
        assert box["height"] < 900, (name, box)
        assert host_page.evaluate(WIDE) <= 0, name
    host_page.screenshot(path="/tmp/hostile-text-host.png", full_page=True)
    assert page_errors == []


def _pixels(page, locator, hide):
    """A screenshot of `locator`, with the element `hide` shown and then made invisible."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    shown = page.screenshot(clip=box, animations="disabled")
    hide.evaluate("(el) => { el.style.visibility = 'hidden'; }")
    gone = page.screenshot(clip=box, animations="disabled")
    hide.evaluate("(el) => { el.style.visibility = ''; }")
    return shown, gone


@pytest.mark.browser
def test_marks_stacked_on_letters_paint_nothing_over_the_next_addition(
    browser, server, meeting, connect, page_errors
):
    from playwright.sync_api import expect

    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    writer = connect(code, "phone")
    assert host.call("set_phase", phase="recognition")["ok"]
    ids = []
    for text in (ZALGO, NEXT):
        ack = writer.call("addition", theme=1, text=text)
        assert ack["ok"], ack
        ids.append(ack["addition"])
        assert host.call("moderate", addition=ack["addition"], show=True) == {"ok": True}
    beamer = open_page(browser, meeting["projector_url"], page_errors, **BEAMER)
    host_page = open_page(browser, meeting["host_url"], page_errors, viewport={"width": 1280, "height": 900})
    zalgo = beamer.locator(f'.additions li[data-addition="{ids[0]}"]')
    following = beamer.locator(f'.additions li[data-addition="{ids[1]}"]')
    expect(following).to_be_visible()
    beamer.screenshot(path="/tmp/hostile-text-zalgo-beamer.png")
    # The pixels of the next addition are the same whether the marked one is there or not.
    shown, gone = _pixels(beamer, following, zalgo)
    assert shown == gone, "the marks of one addition paint over the next one on the beamer"

    own = host_page.locator(f'#additions li[data-addition="{ids[0]}"]')
    expect(own).to_be_visible()
    host_page.screenshot(path="/tmp/hostile-text-zalgo-host.png")
    shown, gone = _pixels(host_page, own.locator(".mod-state"), own.locator(".mod-text"))
    assert shown == gone, "the marks of an addition paint over the line under it on the host screen"
    assert page_errors == []


SPAN_RECTS = """([selector, parts]) => {
    // Where each of these pieces of an element's text is drawn (left and right edges).
    const el = document.querySelector(selector);
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    const nodes = [];
    let all = '';
    while (walker.nextNode()) {
        nodes.push([walker.currentNode, all.length]);
        all += walker.currentNode.data;
    }
    const at = (index) => {
        for (let i = nodes.length - 1; i >= 0; i -= 1) {
            if (index >= nodes[i][1]) return [nodes[i][0], index - nodes[i][1]];
        }
        return null;
    };
    return parts.map((part) => {
        const start = all.indexOf(part);
        if (start < 0) return null;
        const range = document.createRange();
        range.setStart(...at(start));
        range.setEnd(...at(start + part.length - 1));
        range.setEnd(range.endContainer, range.endOffset + 1);
        const rects = [...range.getClientRects()];
        return { left: Math.min(...rects.map((r) => r.left)), right: Math.max(...rects.map((r) => r.right)) };
    });
}"""


@pytest.mark.browser
def test_right_to_left_text_moves_no_word_or_number_of_ours_on_host_and_beamer(
    browser, server, connect, page_errors
):
    from playwright.sync_api import expect

    created = server.create_meeting(themes=[HEBREW, "Verkeer", "Samen eten"])
    code = created["code"]
    host = connect(code, "host", created["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    assert host.call("set_pace", pace="one", theme=1) == {"ok": True}
    host_page = open_page(browser, created["host_url"], page_errors, viewport={"width": 1280, "height": 900})
    expect(host_page.locator("#pace-now")).to_contain_text("(1 van 4)")
    host_page.locator("#pace-now").screenshot(path="/tmp/hostile-text-rtl-host.png")
    # "Nu aan de beurt: <title> (1 van 4).": the count stays after the title, at its right.
    title, count = host_page.evaluate(SPAN_RECTS, ["#pace-now", [HEBREW, "1 van 4"]])
    assert count["left"] >= title["right"], (title, count)

    # A right-to-left note on a card, then a Dutch one starting with a number: on the beamer
    # they stay in their order, left to right, with the dot between them.
    phones = [connect(code, "phone") for _ in range(2)]
    assert host.call("set_phase", phase="topics")["ok"]
    assert phones[0].call("note", theme=1, field="how", text=f"{HEBREW} 12")["ok"]
    assert phones[1].call("note", theme=1, field="how", text="3 bomen planten")["ok"]
    assert host.call("set_phase", phase="results")["ok"]
    beamer = open_page(browser, created["projector_url"], page_errors, **BEAMER)
    line = '.theme-row[data-theme="1"] .card-line[data-field="how"] dd'
    expect(beamer.locator(line)).to_contain_text("3 bomen planten")
    beamer.locator(line).screenshot(path="/tmp/hostile-text-rtl-beamer.png")
    # The first words of the Dutch note: the line may wrap after them (the latecomers' join QR
    # code narrows the board), and the order that matters is the start of each note.
    first, dot, second = beamer.evaluate(SPAN_RECTS, [line, [HEBREW, "·", "3 bomen"]])
    assert first["right"] <= dot["left"] and dot["right"] <= second["left"], (first, dot, second)
    assert page_errors == []
