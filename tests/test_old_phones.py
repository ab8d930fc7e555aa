"""Old phones (docs/accessibility.md): an iPhone 6 on iOS 12.5 (Safari 12.1), or a 2019 Android
with Chrome 70 or Samsung Internet 10, still lets a resident answer.

Two halves. The scripts that the phone, join, helper and paper pages load are scanned for syntax
and APIs newer than that baseline (tests/js_baseline.py tokenizes, so strings, templates and
comments never count). And a real Chromium with the newer APIs taken away before the page loads
walks join -> vote -> addition -> choose -> pledge without a single page error.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import PHONE, _contexts, open_page
from js_baseline import ScanError, scan, tokenize
from playwright.sync_api import expect

from live import assets
from live.assets import SCREENS

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "live" / "templates"
STATIC = ROOT / "live" / "static"
# The pages attendees and helpers use. Host and beamer run on the facilitator's laptop.
PHONE_SIDE_PAGES = ["phone.html", "helper.html", "paper.html", "not_found.html", "start.html"]
THE_SENTENCE = (
    "Deze telefoon is te oud voor deze pagina. "
    "Vraag een helper bij de ingang, of vul een papieren formulier in."
)


# -- the scanner itself ------------------------------------------------------------------------

FOUND = {
    "optional chaining": "const a = b?.c;",
    "optional call": "f?.();",
    "nullish": "const a = b ?? 1;",
    "nullish assignment": "a ??= 1;",
    "or assignment": "a ||= 1;",
    "and assignment": "a &&= 1;",
    "at": "const last = list.at(-1);",
    "replaceChildren": "el.replaceChildren(a, b);",
    "replaceAll": "s.replaceAll('a', 'b');",
    "structuredClone": "const copy = structuredClone(x);",
    "randomUUID": "const id = crypto.randomUUID();",
    "hasOwn": "Object.hasOwn(o, 'k');",
    "matchAll": "for (const m of s.matchAll(/a/g)) f(m);",
    "fromEntries": "Object.fromEntries(pairs);",
    "PluralRules": "const p = new Intl.PluralRules('nl');",
    "checkVisibility": "if (el.checkVisibility()) f();",
    "requestSubmit": "form.requestSubmit();",
    "private field": "class A { #secret = 1; get() { return this.#secret; } }",
    "class field": "class A { count = 0; }",
    "static field": "class A { static count = 0; }",
    "static block": "class A { static { init(); } }",
    "top-level await": "const data = await load();",
    "numeric separator": "const big = 1_000_000;",
    "lookbehind": "const re = /(?<=a)b/;",
    "named group": "const re = /(?<year>\\d{4})/;",
    "dotAll flag": "const re = /a.b/s;",
    "export star as": "export * as tools from './tools.js';",
    "in a template's ${}": "const s = `a ${b?.c} d`;",
}

NOT_FOUND = {
    "in a string": "const s = 'a?.b ?? c .at( replaceChildren';",
    "in a template": "const s = `a?.b ?? c ${d} e.at(1)`;",
    "in a line comment": "// a?.b ?? c, list.at(-1)\nconst x = 1;",
    "in a block comment": "/* a?.b ?? c */ const x = 1;",
    "in a regex": "const re = /a?.b??/g;",
    "a conditional with a number": "const x = a ?.5 : 1;",
    "a field named at": "if (tally.at < last) f();",
    "division": "const half = a / 2 / b;",
    "ES2017 and object spread": "async function f() { const o = { ...a, b }; await g(o); f(o); }",
    "optional catch binding": "try { f(); } catch { g(); }",
    "a feature test": "const p = typeof Intl.PluralRules === 'function' ? new Intl.PluralRules('nl') : null;",
    "await in an async arrow": "const f = async () => { await g(); };",
    "class with methods only": "class A { constructor() { this.x = 1 } get y() { return 1; } static m() {} }",
    "u flag": "const re = /[\\u{10800}-\\u{10fff}]/u;",
}


@pytest.mark.parametrize("source", FOUND.values(), ids=FOUND.keys())
def test_the_scanner_finds_each_newer_construct(source):
    assert scan(source), source


@pytest.mark.parametrize("source", NOT_FOUND.values(), ids=NOT_FOUND.keys())
def test_the_scanner_leaves_strings_comments_and_the_baseline_alone(source):
    assert scan(source) == []


def test_the_scanner_names_the_line():
    found = scan("const a = 1;\n// b?.c\nconst s = `x\n${y}`;\nconst d = e?.f;\n")
    assert [f.line for f in found] == [5]


def test_the_scanner_refuses_what_it_cannot_read():
    with pytest.raises(ScanError):
        tokenize("const s = 'not closed;\n")


# -- the scripts the phone-side pages load -------------------------------------------------------


def template_scripts(name: str, seen: set[str] | None = None) -> set[Path]:
    """The static scripts a template loads, through its includes and the template it extends."""
    seen = seen if seen is not None else set()
    if name in seen:
        return set()
    seen.add(name)
    text = (TEMPLATES / name).read_text()
    found = {STATIC / src for src in re.findall(r"""url_for\('static', filename='(js/[^']+\.js)'\)""", text)}
    # A live screen's module scripts, named once in live/assets.py (SCREENS).
    for screen in re.findall(r"""screen_scripts\('(\w+)'\)""", text):
        found |= {STATIC / src for src in SCREENS[screen]}
    for other in re.findall(r"""{%\s*(?:include|extends)\s+"([^"]+)"\s*%}""", text):
        found |= template_scripts(other, seen)
    return found


def with_imports(files: set[Path]) -> set[Path]:
    """The scripts and every module they import, transitively."""
    todo, done = list(files), set()
    while todo:
        path = todo.pop()
        if path in done:
            continue
        done.add(path)
        for spec in re.findall(r"""^\s*import\b[^'"]*['"](\.{1,2}/[^'"]+)['"]""", path.read_text(), re.M):
            todo.append((path.parent / spec).resolve())
    return done


def phone_side_scripts() -> list[Path]:
    files = set()
    for page in PHONE_SIDE_PAGES:
        files |= template_scripts(page)
    return sorted(with_imports({f.resolve() for f in files}))


def test_the_phone_side_scripts_are_the_ones_attendees_and_helpers_run():
    names = {p.relative_to(STATIC / "js").as_posix() for p in phone_side_scripts() if "vendor" not in p.parts}
    assert {"phone.js", "helper.js", "live.js", "counts.js", "too_old.js", "phone/pledges.js"} <= names
    assert not any(n.startswith(("host", "projector")) for n in names), names


def test_phone_side_scripts_keep_to_safari_12_and_chrome_70():
    problems = []
    for path in phone_side_scripts():
        if "vendor" in path.parts:
            continue  # socket.io's own build is ES5
        problems += [f"{path.relative_to(ROOT)} {finding}" for finding in scan(path.read_text())]
    # What the phone and helper pages really load: those files joined into one (live/bundle.py).
    built = assets.build(STATIC)
    for screen in ("phone", "helper"):
        bundle = built[f"bundle/{screen}.js"].body.decode()
        problems += [f"bundle/{screen}.js {finding}" for finding in scan(bundle)]
    assert problems == [], "\n".join(problems)


def test_the_stylesheet_never_hides_focus_from_a_browser_without_focus_visible():
    css = (STATIC / "css" / "live.css").read_text()
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", re.sub(r"/\*.*?\*/", "", css, flags=re.S))
    ring = [sel.strip() for sel, body in rules if "outline: 4px" in body and sel.strip() == ":focus"]
    assert ring, "the focus ring needs a plain :focus rule that Safari 12 understands"


# -- too old for ES modules: a sentence, not a dead page ------------------------------------------

TOO_OLD = {
    "nl": THE_SENTENCE,
    "en": "This phone is too old for this page.",
    "tr": "Bu telefon bu sayfa için çok eski.",
    "ar": "هذا الهاتف قديم جدًا لهذه الصفحة.",
    "pl": "Ten telefon jest za stary na tę stronę.",
}


@pytest.mark.parametrize("lang", TOO_OLD)
def test_phone_and_helper_pages_say_in_their_language_when_the_phone_is_too_old(app, http, lang):
    created = http.post("/api/meetings", json={"title": "Wijkavond", "themes": ["Groen"]}).get_json()
    code = created["code"]
    phone = http.get(f"/{code}?lang={lang}").get_data(as_text=True)
    helper = http.get(f"/{code}/helper", headers={"Authorization": f"Bearer {created['helper_key']}"})
    for page in (phone, helper.get_data(as_text=True)):
        # Once for a browser without JavaScript, once for one without ES modules.
        assert page.count(TOO_OLD[lang]) == 2
        assert re.search(r'<script nomodule src="/static/js/too_old\.js[^"]*"></script>', page)


def test_a_browser_without_es_modules_shows_the_sentence_and_a_modern_one_does_not(
    browser, server, page_errors
):
    meeting = server.create_meeting()
    modern = open_phone(browser, meeting["join_url"], page_errors)
    expect(modern.get_by_role("heading", name="Welkom!")).to_be_visible()
    expect(modern.get_by_text(THE_SENTENCE)).to_be_hidden()

    # As an iOS 10 Safari sees the page: no module script runs, the nomodule one does.
    context = browser.new_context(**PHONE)
    _contexts.append(context)

    def as_without_modules(route):
        html = route.fetch().text()
        html = html.replace("<script nomodule ", "<script ").replace(
            '<script type="module" ', '<script type="x-old" '
        )
        route.fulfill(status=200, headers={"Content-Type": "text/html; charset=utf-8"}, body=html)

    context.route(meeting["join_url"], as_without_modules)
    old = context.new_page()
    old.on("pageerror", lambda exc: page_errors.append(str(exc)))
    old.goto(meeting["join_url"])
    expect(old.get_by_text(THE_SENTENCE)).to_be_visible()
    assert page_errors == []


# -- a real walk through the evening with the newer APIs gone ------------------------------------

# What Safari 12.1 / Chrome 70 lack and a phone-side script might reach for: taken away before the
# page's own scripts run. (Syntax such as ?. cannot be taken away; the scan above covers it. Nor
# can globalThis: Playwright's evaluate needs it. The scan reports it.)
TAKE_AWAY = """(() => {
  const gone = [
    [Array.prototype, 'at'], [String.prototype, 'at'], [Array.prototype, 'findLast'],
    [Array.prototype, 'findLastIndex'], [String.prototype, 'replaceAll'], [String.prototype, 'matchAll'],
    [Element.prototype, 'replaceChildren'], [Document.prototype, 'replaceChildren'],
    [DocumentFragment.prototype, 'replaceChildren'], [Element.prototype, 'checkVisibility'],
    [HTMLFormElement.prototype, 'requestSubmit'], [Object, 'hasOwn'], [Object, 'fromEntries'],
    [Promise, 'allSettled'], [Promise, 'any'], [Intl, 'PluralRules'], [Intl, 'ListFormat'],
    [Intl, 'RelativeTimeFormat'], [Intl, 'Segmenter'], [Crypto.prototype, 'randomUUID'],
    [AbortSignal, 'timeout'], [window, 'structuredClone'], [window, 'queueMicrotask'],
    [window, 'ResizeObserver'],
  ];
  for (const [owner, name] of gone) delete owner[name];
  window.__stillThere = gone.filter(([owner, name]) => name in owner).map(([, name]) => name);
})();"""


def open_phone(browser, url, errors, init_script: str | None = None):
    """A phone page; `init_script` runs before any of the page's own scripts."""
    return open_page(browser, url, errors, init_script, **PHONE)


def test_a_phone_without_the_newer_apis_joins_votes_adds_chooses_and_pledges(
    browser, server, connect, page_errors
):
    meeting = server.create_meeting(themes=("Groen in de wijk", "Veilig verkeer"))
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    phone = open_phone(browser, meeting["join_url"], page_errors, TAKE_AWAY)
    assert phone.evaluate("window.__stillThere") == []
    assert (
        phone.evaluate("typeof Intl.PluralRules + typeof Element.prototype.replaceChildren")
        == "undefinedundefined"
    )

    # Join: the page connects and follows the host.
    expect(phone.get_by_role("heading", name="Welkom!")).to_be_visible()
    expect(phone.locator("#conn")).to_have_attribute("data-kind", "ok")
    host.wait_for(lambda: host.tally and host.tally["participants"] == 1, what="the phone in the tally")

    # Vote, and an addition whose counter still reads right without Intl.PluralRules.
    assert host.call("set_phase", phase="recognition")["ok"]
    cards = phone.locator("#rec-themes > fieldset")
    expect(cards.locator("legend")).to_have_text(["Groen in de wijk", "Veilig verkeer", "Het geheel"])
    cards.nth(0).get_by_text("Ja", exact=True).click()
    expect(phone.locator('[data-status="vote-1"]')).to_have_text("Opgeslagen ✓")
    cards.nth(0).locator("summary").click()
    box = cards.nth(0).get_by_label("Wat wilt u zeggen over dit thema?")
    limit = int(box.get_attribute("data-limit"))
    box.fill("x" * (limit - 1))
    expect(cards.nth(0).locator(".chars-left")).to_have_text("Nog 1 teken over")
    box.fill("x" * (limit + 2))
    expect(cards.nth(0).locator(".chars-left")).to_have_text("2 tekens te veel")
    box.fill("Meer bankjes bij de vijver")
    expect(cards.nth(0).locator(".chars-left")).to_have_text(f"Nog {limit - 26} tekens over")
    cards.nth(0).get_by_role("button", name="Versturen").click()
    expect(phone.locator('[data-status="addition-1"]')).to_contain_text("verstuurd")
    expect(cards.nth(0).locator(".sent-list li")).to_have_text(["Meer bankjes bij de vijver"])
    host.wait_for(lambda: host.tally["themes"][0]["yes"] == 1, what="the vote")
    host.wait_for(
        lambda: any(a["text"] == "Meer bankjes bij de vijver" for a in host.additions), what="the addition"
    )

    # Choose a topic; its card (drawn with the replaceChildren helper) follows.
    assert host.call("set_phase", phase="topics")["ok"]
    expect(phone.get_by_role("heading", name="Welk onderwerp kiest u?")).to_be_visible()
    phone.get_by_role("radio", name="Veilig verkeer").check()
    expect(phone.locator('[data-status="choose"]')).to_have_text("Opgeslagen ✓")
    expect(phone.locator("#card-of")).to_have_text("Kaart van: Veilig verkeer")
    expect(phone.locator("#other-theme option")).to_have_text(["Groen in de wijk", "Veilig verkeer"])
    host.wait_for(lambda: host.tally["themes"][1]["chosen"] == 1, what="the choice")

    # Pledge, then withdraw and pledge again: the list is redrawn without replaceChildren.
    assert host.call("set_phase", phase="pledges")["ok"]
    expect(phone.get_by_role("heading", name="Wilt u meehelpen?")).to_be_visible()
    form = phone.locator("#pledge-form")
    expect(form.get_by_role("radio", name="Veilig verkeer")).to_be_checked()  # from the choice
    form.get_by_role("radio", name=re.compile("^Trekker")).check()
    form.get_by_label("Uw naam").fill("Els de Boer")
    form.get_by_label("E-mailadres").fill("els@example.nl")
    form.get_by_label(re.compile("Ik vind het goed")).check()
    form.get_by_role("button", name="Ik help mee").click()
    status = phone.locator('[data-status="pledge"]')
    expect(status).to_have_text("U helpt mee bij: Veilig verkeer. Dank u wel!")
    listed = phone.locator("#my-pledges")
    listed.get_by_role("button", name="Intrekken").click()
    expect(listed.get_by_role("button", name="Nee, ik help mee")).to_be_focused()
    listed.get_by_role("button", name="Nee, ik help mee").click()
    expect(listed.get_by_role("button", name="Wijzigen")).to_be_focused()
    host.wait_for(lambda: host.tally["themes"][1]["pledged"] == 1, what="the pledge")

    # After a reload the phone still knows its answers (storage and outbox without newer APIs).
    phone.reload()
    expect(phone.locator("#my-pledges li")).to_have_text([re.compile("^Veilig verkeer")])
    assert page_errors == []
