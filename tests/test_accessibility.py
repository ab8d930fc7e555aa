"""WCAG 2.1 AA on every screen in every phase: axe-core, touch targets, keyboard use, bar contrast
and beamer legibility, in Debian's Chromium.

axe-core is vendored under tests/vendor/ for these tests only: the server never serves it, each
test puts it into the page it checks.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import BEAMER, PHONE, open_page, own_server, resize, transitions_done
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parent.parent
VENDOR = Path(__file__).resolve().parent / "vendor"
CSS = ROOT / "live" / "static" / "css" / "live.css"
(AXE,) = VENDOR.glob("axe-core-*.min.js")
# axe's bundle hands itself `window` and sets `window.axe`, so it runs as a function's body.
AXE_SCRIPT = "() => {\n" + AXE.read_text(encoding="utf-8") + "\n}"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

LAPTOP = {"viewport": {"width": 1280, "height": 900}}
PHASES = ("lobby", "recognition", "break", "topics", "pledges", "results")
THEMES = [
    "Groen in de wijk: meer bomen en bankjes",
    "Veilig verkeer rond de school",
    "Samen eten in het dorpshuis",
    "Hulp bij klussen voor ouderen",
]
TARGET = 44  # CSS px, WCAG 2.5.5


# -- helpers -----------------------------------------------------------------------------------


def axe_violations(page) -> list[dict]:
    """Run axe-core with the WCAG 2.1 A and AA rules on the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        # Evaluated by the browser's driver, not added as a <script>: the pages' CSP allows
        # scripts from the server only (an inline one is blocked), and the server has no axe.
        page.evaluate(AXE_SCRIPT)
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary})),
            }));
        }""",
        AXE_TAGS,
    )


def report(found: dict[str, list[dict]]) -> str:
    """Violations per screen, one readable block each."""
    lines = []
    for where, violations in found.items():
        for v in violations:
            lines.append(f"{where}: {v['id']} ({v['impact']}): {v['help']}")
            for node in v["nodes"][:5]:
                summary = " ".join(node["summary"].split())
                lines.append(f"    {node['target']}\n        {summary}")
    return "\n".join(lines)


def assert_no_violations(pages: dict) -> None:
    """axe on each named page; fails with every violation listed."""
    found = {name: axe_violations(page) for name, page in pages.items()}
    found = {name: v for name, v in found.items() if v}
    assert not found, "axe found WCAG 2.1 AA violations:\n" + report(found)


def open_all_details(page) -> None:
    """Open every <details>, so axe and the size checks see what is folded away."""
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")


class Evening:
    """A meeting with a phone page, host page and beamer page that a host client walks forward
    through the phases, with answers, an addition on the beamer and pledges along the way."""

    def __init__(self, browser, server, connect, errors):
        meeting = server.create_meeting(themes=THEMES, title="Wijkavond De Akkers")
        self.meeting = meeting
        self.code = code = meeting["code"]
        self.host = connect(code, "host", meeting["host_key"])
        self.phone = open_page(browser, meeting["join_url"], errors, **PHONE)
        expect(self.phone.locator("body")).to_have_attribute("data-phase", "lobby")
        expect(self.phone.locator("#conn")).to_have_attribute("data-kind", "ok")  # it holds its token
        # A python client with the phone page's own token acts as that same participant.
        self.me = connect(code, "phone", self.phone.evaluate(f"localStorage.getItem('live:{code}:token')"))
        self.others = [connect(code, "phone") for _ in range(4)]
        self.host_page = open_page(browser, meeting["host_url"], errors, **LAPTOP)
        self.beamer = open_page(browser, meeting["projector_url"], errors, **BEAMER)
        self.phase = "lobby"
        self._settle()

    @property
    def pages(self) -> dict:
        """The three screens by name."""
        return {"phone": self.phone, "host": self.host_page, "beamer": self.beamer}

    def go(self, phase: str) -> Evening:
        """Move forward to this phase, doing what people do in each phase passed."""
        for step in PHASES[PHASES.index(self.phase) + 1 : PHASES.index(phase) + 1]:
            assert self.host.call("set_phase", phase=step)["ok"]
            getattr(self, f"_in_{step}", lambda: None)()
        self.phase = phase
        self.phone.reload()  # the phone's own answers come with the snapshot on (re)connect
        self._settle()
        return self

    def _in_recognition(self):
        for i, who in enumerate([self.me, *self.others]):
            for t in (1, 2, 3, 4):
                assert who.call("vote", theme=t, answer=("yes", "partly", "no")[(i + t) % 3])["ok"]
        assert self.others[0].call("addition", theme=1, text="Een speeltuin bij de kerk")["ok"]
        assert self.me.call("addition", theme=2, text="Meer licht op het fietspad")["ok"]
        additions = self.host.wait_for(
            lambda: len(self.host.state.get("additions", [])) == 2 and self.host.state["additions"],
            what="two additions",
        )
        assert self.host.call("moderate", addition=additions[0]["id"], show=True)["ok"]

    def _in_topics(self):
        # A table for the phone's theme ("Ga naar: …") and notes on its card, one of them its own.
        assert self.host.call("edit_theme", theme=1, table="Tafel 3, bij het raam", capacity=40)["ok"]
        for i, who in enumerate([self.me, *self.others]):
            assert who.call("choose", theme=1 + i % 4)["ok"]
        assert self.me.call("note", theme=1, field="how", text="Samen met de school")["ok"]
        assert self.others[0].call("note", theme=1, field="needs", text="Een aanhanger")["ok"]

    def _in_pledges(self):
        for i, who in enumerate([self.me, *self.others[:2]]):
            ack = who.call(
                "pledge",
                theme=1 + i,
                role="member",
                name=f"Buur {i}",
                email=f"buur{i}@example.nl",
                phone="",
                consent=True,
            )
            assert ack["ok"], ack

    def _settle(self):
        for page in self.pages.values():
            expect(page.locator("body")).to_have_attribute("data-phase", self.phase)
            expect(page.locator("#conn")).to_have_attribute("data-kind", "ok")
        if self.phase != "lobby":
            expect(self.host_page.locator("#additions li")).to_have_count(2)
            expect(self.phone.locator('[data-status="vote-1"]')).to_contain_text("Opgeslagen")
        if self.phase in ("recognition", "break"):
            expect(self.beamer.locator(".additions li")).to_have_count(1)
        transitions_done(self.beamer)  # the bars have grown to their numbers


@pytest.fixture
def evening(browser, server, connect, page_errors):
    """``evening(phase)``: a fresh :class:`Evening` walked up to that phase."""
    return lambda phase="lobby": Evening(browser, server, connect, page_errors).go(phase)


# -- axe-core ----------------------------------------------------------------------------------


def test_axe_core_is_the_tests_own_and_the_server_does_not_serve_it(http):
    assert AXE.name == "axe-core-4.14.1.min.js" and (VENDOR / "axe-core-4.14.1.LICENSE").is_file()
    assert not list((ROOT / "live").rglob("axe*"))
    assert http.get(f"/static/vendor/{AXE.name}").status_code == 404


@pytest.mark.browser
@pytest.mark.parametrize("phase", PHASES)
def test_phone_host_and_beamer_pass_axe_in_every_phase(evening, phase, page_errors):
    pages = evening(phase).pages
    for page in pages.values():
        open_all_details(page)
    assert_no_violations(pages)
    # WCAG 4.1.3: "Opgeslagen", errors and the connection state are read out without focus.
    silent = {
        name: page.locator(".saved:not([aria-live]), #conn:not([aria-live])").count()
        for name, page in pages.items()
    }
    assert silent == {"phone": 0, "host": 0, "beamer": 0}
    assert page_errors == []


@pytest.mark.browser
def test_start_not_found_and_no_access_pages_pass_axe(browser, server, page_errors):
    meeting = server.create_meeting()
    start = open_page(browser, server.url + "/", page_errors, **PHONE)
    refused = open_page(browser, server.url + "/", page_errors, **LAPTOP)
    refused.get_by_label("Naam van de avond").fill("Wijkavond")
    refused.get_by_label("Thema's, één per regel").fill("   ")
    refused.get_by_role("button", name="Bijeenkomst maken").click()
    expect(refused.get_by_role("alert")).to_be_visible()
    not_found = open_page(browser, server.url + "/join?code=QQQQQ", page_errors, **PHONE)
    expect(not_found.get_by_role("heading", level=1)).to_have_text("Deze bijeenkomst bestaat niet")
    no_access = open_page(browser, f"{server.url}/{meeting['code']}/host", page_errors, **PHONE)
    expect(no_access.get_by_role("heading", level=1)).to_have_text("Deze link klopt niet")
    assert_no_violations(
        {"start": start, "start with error": refused, "not found": not_found, "no access": no_access}
    )
    # These pages answer 400, 404 and 403 on purpose; the browser logs that as an error.
    assert [e for e in page_errors if "responded with a status of 4" not in e] == []


@pytest.mark.browser
def test_error_and_offline_messages_pass_axe(evening, page_errors):
    pages = evening("pledges").pages
    phone = pages["phone"]
    phone.get_by_label("Uw naam").fill("")
    phone.get_by_role("button", name="Ik help mee").click()
    expect(phone.locator('[data-status="pledge"]')).to_have_attribute("data-kind", "error")
    for page in pages.values():
        # What a screen shows while the Wi-Fi is gone; the socket itself is left alone.
        page.evaluate(
            """() => { const conn = document.getElementById('conn');
                conn.textContent = 'Geen verbinding. We proberen het opnieuw.';
                conn.dataset.kind = 'warn'; }"""
        )
    assert_no_violations(pages)
    assert page_errors == []


# -- touch targets -----------------------------------------------------------------------------

SMALL_TARGETS = """(min) => {
    const name = (el) => {
        const text = (el.textContent || el.value || el.name || '').trim().slice(0, 40);
        return `${el.tagName.toLowerCase()} "${text}"`;
    };
    const small = [];
    for (const el of document.querySelectorAll('a[href], button, input, select, textarea, summary, label')) {
        // A label that does not wrap its field points at one that is measured itself.
        if (el.tagName === 'LABEL' && !el.querySelector('input, select, textarea')) continue;
        if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
        let box = el.getBoundingClientRect();
        if (box.right <= 0 || box.bottom <= 0) {
            // Off-screen until focused, like the skip link: measure it where it appears.
            el.focus();
            box = el.getBoundingClientRect();
            el.blur();
        }
        const fits = (b) => b.width >= min && b.height >= min;
        // A link that wraps is two small targets, one on each line.
        const parts = el.getClientRects().length > 1 ? [...el.getClientRects()] : [box];
        // A field also reacts to its label, so the label may be the big part of the target.
        const labels = [...(el.labels || [])].map((l) => l.getBoundingClientRect());
        if (parts.every(fits) || labels.some(fits)) continue;
        const sizes = parts.map((b) => `${Math.round(b.width)}x${Math.round(b.height)}`).join(' + ');
        small.push(`${name(el)}: ${sizes}`);
    }
    return small;
}"""


def sideways_at_320(page) -> int:
    """How far the page scrolls sideways at 320 CSS px wide (WCAG 1.4.10 Reflow); 0 is good."""
    page.set_viewport_size({"width": 320, "height": 640})
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.browser
def test_everything_a_finger_taps_on_the_phone_is_at_least_44_px(evening, page_errors):
    walk = evening()
    small, wide, first_heading = {}, {}, {}
    for phase in PHASES:
        walk.go(phase)
        first_heading[phase] = walk.phone.locator("main h1:visible").first.text_content()
        open_all_details(walk.phone)
        small[phase] = walk.phone.evaluate(SMALL_TARGETS, TARGET)
        wide[phase] = sideways_at_320(walk.phone)
        walk.phone.set_viewport_size(PHONE["viewport"])
    assert {k: v for k, v in small.items() if v} == {}
    assert {k: v for k, v in wide.items() if v} == {}
    # The top of the screen says what happens now, also when the form below is already known.
    assert first_heading == {
        "lobby": "Welkom!",
        "recognition": "Herkent u zich hierin?",
        "break": "Pauze",
        "topics": "Welk onderwerp kiest u?",
        "pledges": "Wilt u meehelpen?",
        "results": "Dank u wel!",
    }
    assert page_errors == []


@pytest.mark.browser
def test_the_other_pages_fit_a_phone_and_a_finger_too(evening, browser, server, page_errors):
    walk = evening("recognition")
    urls = {
        "start": server.url + "/",
        "not found": server.url + "/join?code=QQQQQ",
        "no access": f"{server.url}/{walk.code}/host",
        "host": walk.meeting["host_url"],
    }
    small, wide = {}, {}
    for name, url in urls.items():
        page = open_page(browser, url, page_errors, **PHONE)
        expect(page.locator("main h1")).to_be_visible()
        open_all_details(page)
        small[name] = page.evaluate(SMALL_TARGETS, TARGET)
        wide[name] = sideways_at_320(page)
        # An example is visible text, not a placeholder that is cut off and vanishes while typing.
        assert page.locator("[placeholder]").count() == 0, name
    assert {k: v for k, v in small.items() if v} == {}
    assert {k: v for k, v in wide.items() if v} == {}
    assert_no_violations({"host on a phone": page})
    assert [e for e in page_errors if "responded with a status of 4" not in e] == []


# WCAG 1.4.12: what a reader's own style sheet may set; nothing may be cut off or overlap then.
TEXT_SPACING = """
* { line-height: 1.5 !important; letter-spacing: .12em !important; word-spacing: .16em !important; }
p { margin-bottom: 2em !important; }
"""

CLIPPED = """() => {
    const cut = [];
    for (const el of document.querySelectorAll('body *')) {
        if (!el.checkVisibility() || !el.textContent.trim()) continue;
        const s = getComputedStyle(el);
        const clips = (o) => o === 'hidden' || o === 'clip';
        if (el.closest('.sr-only, .skip')) continue;
        if ((clips(s.overflowX) && el.scrollWidth > el.clientWidth + 1)
            || (clips(s.overflowY) && el.scrollHeight > el.clientHeight + 1)) {
            cut.push(`${el.tagName.toLowerCase()}.${el.className}: ${el.textContent.trim().slice(0, 40)}`);
        }
    }
    return cut;
}"""


@pytest.mark.browser
def test_wider_text_spacing_cuts_nothing_off(evening, browser, server, page_errors):
    walk = evening("pledges")
    urls = {
        "phone": walk.meeting["join_url"],
        "host": walk.meeting["host_url"],
        "start": server.url + "/",
        "not found": server.url + "/join?code=QQQQQ",
    }
    found = {}
    for name, url in urls.items():
        # The page's CSP forbids added style sheets; a reader's browser extension is not bound by it.
        page = open_page(browser, url, page_errors, bypass_csp=True, **PHONE)
        expect(page.locator("main h1:visible")).to_have_count(1)
        page.add_style_tag(content=TEXT_SPACING)
        assert page.evaluate("getComputedStyle(document.body).wordSpacing") != "0px"
        open_all_details(page)
        cut = page.evaluate(CLIPPED)
        wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if cut or wide:
            found[name] = {"cut": cut, "sideways": wide}
    assert found == {}
    assert [e for e in page_errors if "responded with a status of 4" not in e] == []


# -- keyboard ----------------------------------------------------------------------------------

FOCUS_RING = """(el) => {
    const ring = (e) => {
        const s = getComputedStyle(e);
        return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
    };
    const label = el.closest('label');
    return {visible: el.matches(':focus-visible') && ring(el), label: label ? ring(label) : null};
}"""


def tab_to(page, selector: str, limit: int = 40):
    """Press Tab until the focus is on the element matching selector; returns that element."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(sel) => document.activeElement.matches(sel)", selector):
            return page.locator(selector).first
    raise AssertionError(f"{selector} not reached in {limit} presses of Tab")


@pytest.mark.browser
def test_the_phone_works_with_the_keyboard_alone(browser, server, meeting, connect, page_errors):
    host = connect(meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    phone = open_page(browser, meeting["join_url"], page_errors, **PHONE)
    expect(phone.locator("#conn")).to_have_text("Verbonden")

    phone.keyboard.press("Tab")
    skip = phone.locator("a.skip")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()

    ja = tab_to(phone, 'input[name="vote-1"]')
    assert phone.evaluate(FOCUS_RING, ja.element_handle()) == {"visible": True, "label": True}
    phone.keyboard.press("Space")
    expect(ja).to_be_checked()
    expect(phone.locator('[data-status="vote-1"]')).to_have_text(re.compile("Opgeslagen"))
    phone.keyboard.press("ArrowRight")
    expect(phone.locator('input[name="vote-1"][value="partly"]')).to_be_checked()
    expect(phone.locator('input[name="vote-1"][value="partly"]')).to_be_focused()
    expect(phone.locator('[data-status="vote-1"]')).to_have_text(re.compile("Opgeslagen"))
    first = lambda: host.tally and host.tally["themes"][0]  # noqa: E731
    host.wait_for(lambda: first() and (first()["partly"], first()["yes"]) == (1, 0), what="the new answer")

    # The addition opens, is typed and sent without a mouse.
    summary = tab_to(phone, 'fieldset[data-theme="1"] summary')
    assert phone.evaluate(FOCUS_RING, summary.element_handle())["visible"]
    phone.keyboard.press("Enter")
    phone.keyboard.press("Tab")
    phone.keyboard.type("Meer bankjes")
    phone.keyboard.press("Tab")
    phone.keyboard.press("Enter")
    expect(phone.locator('[data-status="addition-1"]')).to_contain_text("verstuurd")
    assert page_errors == []


@pytest.mark.browser
def test_the_host_changes_the_phase_with_the_keyboard(browser, server, meeting, connect, page_errors):
    phone = connect(meeting["code"], "phone")
    host_page = open_page(browser, meeting["host_url"], page_errors, **LAPTOP)
    expect(host_page.locator("#conn")).to_have_text("Verbonden")
    button = tab_to(host_page, 'button.phase[data-phase="recognition"]')
    assert host_page.evaluate(FOCUS_RING, button.element_handle())["visible"]
    host_page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-pressed", "true")
    phone.wait_for(lambda: phone.state["phase"] == "recognition", what="the new phase")
    assert page_errors == []


# -- colours -----------------------------------------------------------------------------------


def css_colours(selector: str) -> dict[str, str]:
    """The colour custom properties (``--name: #hex``) declared in one rule of live.css."""
    rule = re.search(re.escape(selector) + r"\s*\{(.*?)\}", CSS.read_text(), re.S)
    assert rule, f"{selector} not found in {CSS.name}"
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\b", rule.group(1)))


def luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio of two colours, 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_is_computed_as_wcag_defines_it():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_beamer_bars_stand_out_from_the_track_and_the_background():
    # WCAG 1.4.11: a bar needs 3:1 against what it touches: the empty track, the page, and the
    # separator (in the page colour) between two bars.
    colours = {**css_colours(":root"), **css_colours("body.projector")}
    low = {
        f"{bar} on {ground}": round(contrast(colours[bar], colours[ground]), 2)
        for bar in ("yes", "partly", "no", "chosen")
        for ground in ("track", "bg")
        if contrast(colours[bar], colours[ground]) < 3
    }
    assert low == {}


def test_borders_and_the_focus_ring_stand_out_on_light_screens():
    colours = css_colours(":root")
    pairs = {
        "field border on card": ("line", "paper"),
        "field border on page": ("line", "soft"),
        "button border on card": ("brand", "paper"),
        "focus ring, two-tone": ("focus", "ink"),
        "focus ring's dark edge on page": ("ink", "soft"),
    }
    low = {
        name: round(contrast(colours[a], colours[b]), 2)
        for name, (a, b) in pairs.items()
        if contrast(colours[a], colours[b]) < 3
    }
    assert low == {}


@pytest.mark.browser
def test_a_line_in_the_page_colour_parts_two_bars(evening):
    beamer = evening("recognition").beamer
    row = beamer.locator('.board .theme-row[data-theme="1"]').first
    shadows = row.locator(".seg").evaluate_all("(segs) => segs.map((s) => getComputedStyle(s).boxShadow)")
    assert shadows[0] == "none"
    assert all(s.startswith("rgb(13, 33, 56)") and "inset" in s for s in shadows[1:])  # --bg


# -- the beamer from the back of the hall ------------------------------------------------------

# Smallest text the hall must read, as a share of the screen height: with the farthest seat at
# about eight screen heights, letters need roughly 1/28 of the height (AVIXA's rule of thumb).
MIN_TEXT_SHARE = 0.035

BEAMER_LAYOUT = """(minShare) => {
    const min = innerHeight * minShare;
    const corner = document.querySelector('.corner').getBoundingClientRect();
    const meets = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    const where = (el) => (el.textContent.trim() || el.className).slice(0, 40);
    const problems = {small: [], cut: [], underCorner: []};
    const check = (el, rects) => {
        for (const r of rects) {
            if (r.width === 0 || r.height === 0) continue;
            if (r.top < 0 || r.left < 0 || r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5) {
                problems.cut.push(where(el));
            }
            if (!el.closest('.corner') && meets(r, corner)) problems.underCorner.push(where(el));
        }
    };
    const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (texts.nextNode()) {
        const node = texts.currentNode;
        const el = node.parentElement;
        if (!node.textContent.trim() || el.closest('script, .skip')) continue;
        if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
        // The connection notice is for whoever drives the laptop, not for the hall.
        if (!el.closest('.conn') && parseFloat(getComputedStyle(el).fontSize) < min - 0.01) {
            problems.small.push(`${where(el)}: ${getComputedStyle(el).fontSize}`);
        }
        const range = document.createRange();
        range.selectNodeContents(node);
        check(el, range.getClientRects());
    }
    for (const el of document.querySelectorAll('.meter, img.qr')) {
        if (el.checkVisibility()) check(el, [el.getBoundingClientRect()]);
    }
    for (const k of Object.keys(problems)) problems[k] = [...new Set(problems[k])];
    return problems;
}"""


@pytest.mark.browser
def test_the_beamer_is_legible_from_the_back_and_nothing_is_cut_off(evening, page_errors, tmp_path):
    shots = Path(os.environ.get("SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    walk = evening()
    found = {}
    for phase in PHASES:
        walk.go(phase)
        for width, height in ((1280, 720), (1920, 1080), (1024, 768)):
            resize(walk.beamer, width, height)
            # An old 4:3 beamer is narrow for two columns, so its letters may be a little smaller.
            share = MIN_TEXT_SHARE if width / height > 1.5 else 0.03
            problems = walk.beamer.evaluate(BEAMER_LAYOUT, share)
            walk.beamer.screenshot(path=str(shots / f"a11y-{phase}-beamer-{width}x{height}.png"))
            found.update({f"{phase} {width}x{height} {k}": v for k, v in problems.items() if v})
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())
    assert page_errors == []


@pytest.mark.browser
def test_a_long_title_and_a_long_hosted_address_still_leave_the_qr_code_and_code_on_the_beamer(
    browser, page_errors, tmp_path
):
    """A region's hosted server has a long address, and a village a long title: the lobby's big
    lines shrink (never below the floor) so the QR code, the address and the code stay on screen."""
    public = "https://burgerkracht.gemeente-oude-ijsselstreek.nl"
    with own_server(tmp_path, PUBLIC_URL=public) as srv:
        made = srv.create_meeting(title="Wijkbijeenkomst Gendringen, Ulft en Varsseveld samen")
        beamer = open_page(browser, made["projector_url"].replace(public, srv.url), page_errors, **BEAMER)
        expect(beamer.locator(".lobby .join-display").first).to_contain_text("oude-ijsselstreek.nl/")
        # The address is in the page as served; the lobby is laid out once the state is in.
        expect(beamer.locator("body")).to_have_attribute("data-phase", "lobby")
        found = {}
        for width, height in ((1280, 720), (1024, 768), (1920, 1080)):
            resize(beamer, width, height)
            share = MIN_TEXT_SHARE if width / height > 1.5 else 0.03
            problems = beamer.evaluate(BEAMER_LAYOUT, share)
            found.update({f"{width}x{height} {k}": v for k, v in problems.items() if v})
            box = beamer.locator("img.qr:visible").bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= height, (width, box)
        assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())
    assert page_errors == []


@pytest.mark.browser
def test_a_crowded_beamer_shrinks_a_little_instead_of_cutting_off(
    browser, server, connect, page_errors, tmp_path
):
    shots = Path(os.environ.get("SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    themes = [f"Thema {n}: {t}" for n, t in enumerate(THEMES * 2, 1)]
    meeting = server.create_meeting(themes=themes, title="Wijkavond De Akkers")
    host = connect(meeting["code"], "host", meeting["host_key"])
    beamer = open_page(browser, meeting["projector_url"], page_errors, **BEAMER)
    assert host.call("set_phase", phase="recognition")["ok"]
    for t in range(1, len(themes) + 1):
        phone = connect(meeting["code"], "phone")  # one phone per theme stays under the rate limit
        assert phone.call("vote", theme=t, answer="yes")["ok"]
        for n in range(3):
            text = f"Aanvulling {n + 1} bij thema {t}: graag wat meer aandacht hiervoor"
            assert phone.call("addition", theme=t, text=text)["ok"]
    additions = host.wait_for(
        lambda: len(host.state.get("additions", [])) == 3 * len(themes) and host.state["additions"]
    )
    for a in additions:
        assert host.call("moderate", addition=a["id"], show=True)["ok"]
    host.wait_for(lambda: all(a["status"] == "shown" for a in host.state["additions"]), what="all shown")
    beamer.wait_for_function("Number(document.body.style.getPropertyValue('--fit')) < 1")
    found = {}
    for phase in ("recognition", "results"):
        assert host.call("set_phase", phase=phase)["ok"]
        expect(beamer.locator("body")).to_have_attribute("data-phase", phase)
        for width, height in ((1280, 720), (1920, 1080), (1024, 768)):
            resize(beamer, width, height)
            problems = beamer.evaluate(BEAMER_LAYOUT, MIN_TEXT_SHARE)
            beamer.screenshot(path=str(shots / f"a11y-crowded-{phase}-beamer-{width}x{height}.png"))
            found.update(
                {f"{phase} {width}x{height} {k}": v for k, v in problems.items() if v and k != "small"}
            )
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())
    assert page_errors == []


# -- getting everyone in (issue 21): the Wi-Fi welcome, latecomers, the poster and table cards --------


@pytest.mark.browser
def test_the_wifi_welcome_the_latecomers_corner_the_poster_and_table_cards_pass_axe(
    browser, server, connect, page_errors
):
    from conftest import api

    status, m = api(
        server.url + "/api/meetings",
        {
            "title": "Wijkavond",
            "themes": ["Groen", "Verkeer"],
            "wifi": {"name": "Buurthuis", "password": "welkom123"},
        },
    )
    assert status == 201
    host_key = {"extra_http_headers": {"Authorization": f"Bearer {m['host_key']}"}}
    lobby = open_page(browser, m["projector_url"], page_errors, **BEAMER)
    expect(lobby.locator("#wifi-step")).to_be_visible()
    host = open_page(browser, m["host_url"], page_errors, **LAPTOP)
    expect(host.locator("#conn")).to_have_attribute("data-kind", "ok")
    open_all_details(host)
    pages = {"beamer welcome with wifi": lobby, "host with the wifi form": host}
    for route, name in (("affiche", "poster"), ("tafelkaartjes", "table cards")):
        url = f"{server.url}/{m['code']}/{route}"
        pages[name] = open_page(browser, url, page_errors, **LAPTOP, **host_key)
        phone_sized = open_page(browser, url, page_errors, **PHONE, **host_key)
        assert phone_sized.evaluate(SMALL_TARGETS, TARGET) == [], name
        assert not sideways_at_320(phone_sized), name
    assert_no_violations(pages)
    later = open_page(browser, m["projector_url"], page_errors, **BEAMER)
    assert connect(m["code"], "host", m["host_key"]).call("set_phase", phase="recognition")["ok"]
    expect(later.locator(".corner .late-qr")).to_be_visible()
    problems = later.evaluate(BEAMER_LAYOUT, MIN_TEXT_SHARE)
    assert {k: v for k, v in problems.items() if v} == {}
    assert_no_violations({"beamer with the latecomers' corner": later})
    assert page_errors == []
