"""Five languages on the phone, the join pages, the helper screen and the paper form: the
catalogues themselves, the choice of language and how long it lasts, and WCAG 2.1 AA (axe-core)
in every language, right-to-left Arabic included, in Debian's Chromium. Host and beamer stay Dutch.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from conftest import PHONE, open_page
from playwright.sync_api import expect
from test_accessibility import SMALL_TARGETS, TARGET, axe_violations, open_all_details, report

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "live" / "translations"
LANGUAGES = ("en", "tr", "ar", "pl")  # Dutch is the source: it needs no catalogue
PHASES = ("lobby", "recognition", "break", "topics", "pledges", "results")
THEMES = ["Groen in de wijk: meer bomen en bankjes", "Veilig verkeer rond de school", "Samen eten"]
# The only flags an entry may carry: "unchecked" (no native speaker read it yet) and the formats
# Babel notes itself. Nothing fuzzy: a fuzzy entry is not compiled, so people would see Dutch.
ALLOWED_FLAGS = {"unchecked", "python-format", "python-brace-format"}
LANG_AND_DIR = "[document.documentElement.lang, document.documentElement.dir]"
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)[sd]|<[^>]+>")


def catalogue(lang: str):
    """The .po of one language, parsed by Babel."""
    with open(CATALOGUES / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


def source_strings() -> set:
    """Every string marked for translation in the code and templates now, found the way
    ``make translations`` finds them (babel.cfg, keywords N_ and NP_)."""
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "NP_": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "live"), method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def texts_of(html: str) -> dict:
    """The JSON of strings a page hands to its scripts."""
    return json.loads(re.search(r'<script type="application/json" id="texts">(.*?)</script>', html, re.S)[1])


def html_lang(html: str) -> tuple[str, str]:
    match = re.search(r'<html lang="([a-z]+)" dir="(ltr|rtl)">', html)
    return match[1], match[2]


# -- the catalogues --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_marked_string_is_translated_in_each_catalogue_and_flagged_unchecked(lang):
    cat = catalogue(lang)
    entries = {m.id: m for m in cat if m.id}
    # A string added to a page or to live/texts.py without `make translations` fails here.
    missing = source_strings() - set(entries)
    assert not missing, f"not in {lang}/messages.po, run `make translations`: {sorted(map(str, missing))}"
    for msgid, entry in entries.items():
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert len(forms) == (cat.num_plurals if isinstance(msgid, tuple) else 1), msgid
        assert all(forms), f"{lang}: no translation for {msgid!r}"
        assert not entry.fuzzy and entry.flags <= ALLOWED_FLAGS, (msgid, entry.flags)
        # {theme}, %(title)s and <kbd> are filled in or kept by the page: never lost or renamed.
        source = msgid if isinstance(msgid, str) else msgid[0]
        for form in forms:
            kept = sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(source))
            assert kept, (lang, msgid, form)
    # None of these was written by a native speaker yet: every entry says so until one is checked.
    assert {m.id for m in cat if m.id and "unchecked" not in m.flags} == set()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_committed_mo_is_what_its_po_compiles_to(lang):
    compiled = io.BytesIO()
    write_mo(compiled, catalogue(lang), use_fuzzy=False)
    mo = (CATALOGUES / lang / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert mo == compiled.getvalue(), f"{lang}: messages.mo is out of date, run `make translations`"


# -- choosing the language (HTTP) ------------------------------------------------------------


def test_the_phone_speaks_dutch_until_a_language_is_chosen_and_then_remembers_it(app, http):
    created = http.post("/api/meetings", json={"title": "Wijkavond", "themes": ["Groen"]}).get_json()
    code = created["code"]
    # A phone set to English by its shop still gets Dutch: the meeting's language.
    first = http.get(f"/{code}", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert html_lang(first.get_data(as_text=True)) == ("nl", "ltr")
    chosen = http.get(f"/{code}?lang=tr")
    assert "lang=tr" in " ".join(chosen.headers.getlist("Set-Cookie"))
    again = http.get(f"/{code}").get_data(as_text=True)
    assert html_lang(again) == ("tr", "ltr") and "Hoş geldiniz!" in again
    assert texts_of(again)["errors"]["wrong_phase"] == "Bu şimdi olmaz. Toplantı yöneticisi devam etti."
    # The join form and the helper screen follow; an unknown language changes nothing.
    joined = http.get(f"/join?code={code.lower()}")
    assert joined.status_code == 302
    assert html_lang(http.get(joined.headers["Location"]).get_data(as_text=True)) == ("tr", "ltr")
    assert html_lang(http.get(f"/{code}?lang=xx").get_data(as_text=True)) == ("tr", "ltr")
    arabic = http.get(f"/{code}?lang=ar").get_data(as_text=True)
    assert html_lang(arabic) == ("ar", "rtl")
    helper = http.get(f"/{code}/helper", headers={"Authorization": f"Bearer {created['helper_key']}"})
    assert html_lang(helper.get_data(as_text=True)) == ("ar", "rtl")
    # Host, beamer and the start page stay Dutch whatever the cookie says, also when asked.
    bearer = {"Authorization": f"Bearer {created['host_key']}"}
    for path in (f"/{code}/host?lang=ar", f"/{code}/beamer", "/", f"/{code}/afronden"):
        page = http.get(path, headers=bearer)
        assert page.status_code == 200 and html_lang(page.get_data(as_text=True)) == ("nl", "ltr"), path
    host = texts_of(http.get(f"/{code}/host", headers=bearer).get_data(as_text=True))
    assert host["errors"]["wrong_phase"] == "Dat kan nu niet. De gespreksleider is al verder."
    # The pages that are not translated never set the cookie.
    assert not http.get(f"/{code}/host?lang=pl", headers=bearer).headers.getlist("Set-Cookie")


def test_words_after_a_number_come_in_every_plural_form_of_the_language(app, http):
    code = http.post("/api/meetings", json={"title": "Wijkavond", "themes": ["Groen"]}).get_json()["code"]
    counts = {
        lang: texts_of(http.get(f"/{code}?lang={lang}").get_data(as_text=True))["counts"]["chars_left"]
        for lang in ("nl", "pl", "ar")
    }
    assert counts["nl"] == {"one": "teken over", "other": "tekens over"}
    assert counts["pl"] == {"one": "znak", "few": "znaki", "many": "znaków", "other": "znaków"}
    assert set(counts["ar"]) == {"zero", "one", "two", "few", "many", "other"}
    assert counts["ar"]["two"] == "حرفان" and counts["ar"]["many"] == "حرفًا"


def test_the_paper_form_prints_in_the_chosen_language(app, http):
    body = {"title": "Wijkavond", "themes": ["Groen in de wijk"]}
    created = http.post("/api/meetings", json=body).get_json()
    bearer = {"Authorization": f"Bearer {created['host_key']}"}
    page = http.get(f"/{created['code']}/papier?lang=pl", headers=bearer).get_data(as_text=True)
    assert html_lang(page) == ("pl", "ltr")
    assert "Pomogę!" in page and "Lider: chcę współorganizować" in page and "Groen in de wijk" in page
    assert "Ik help mee" not in page


# -- in the browser ---------------------------------------------------------------------------


def shoot(page, name: str, tmp_path: Path) -> Path:
    """A screenshot of the screen as it is, in SCREENSHOT_DIR (or the test's tmp folder), to look at."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    page.screenshot(path=str(path))
    return path


def sideways(page, width: int) -> int:
    """How far the page scrolls sideways at this width; 0 is good."""
    page.set_viewport_size({"width": width, "height": 800})
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


# Dutch sentences of the catalogue that must not show on a page in another language (single words
# such as "E-mail" may be the same in both).
DUTCH = sorted({m.id for m in catalogue("en") if isinstance(m.id, str) and " " in m.id and "%" not in m.id})


def dutch_left(page) -> list[str]:
    """Dutch sentences of the catalogue visible on the page (the themes are the kopgroep's own)."""
    shown = page.evaluate("document.body.innerText")
    return [s for s in DUTCH if s in shown and "{" not in s]


class Phones:
    """One meeting with a phone page per language (each its own browser context, so its own
    cookie), each with a socket client on the page's own token that acts for it."""

    def __init__(self, browser, server, connect, errors, languages=LANGUAGES, **context):
        self.meeting = server.create_meeting(themes=THEMES, title="Wijkavond De Akkers")
        self.code = self.meeting["code"]
        self.host = connect(self.code, "host", self.meeting["host_key"])
        self.pages, self.me = {}, {}
        for lang in languages:
            url = f"{self.meeting['join_link']}&lang={lang}"
            page = open_page(browser, url, errors, **(context or PHONE))
            expect(page.locator("#conn")).to_have_attribute("data-kind", "ok")
            self.pages[lang] = page
            # "Verbonden" comes with the socket; the token with the first state after it.
            stored = f"() => localStorage.getItem('live:{self.code}:token')"
            token = page.wait_for_function(stored).json_value()
            self.me[lang] = connect(self.code, "phone", token)
        self.phase = "lobby"

    def go(self, phase: str):
        """Move to this phase; every phone does what people do there; the pages reload."""
        assert self.host.call("set_phase", phase=phase)["ok"]
        for i, me in enumerate(self.me.values()):
            if phase == "recognition":
                for theme in (0, 1, 2, 3):
                    assert me.call("vote", theme=theme, answer=("yes", "partly", "no")[(i + theme) % 3])["ok"]
                assert me.call("addition", theme=2, text="Meer licht op het fietspad")["ok"]
            if phase == "topics":
                assert me.call("choose", theme=1)["ok"]
                assert me.call("note", theme=1, field="how", text="Samen met de school")["ok"]
            if phase == "pledges":
                pledge = {"theme": 1, "role": "lead", "name": f"Buur {i}", "email": f"b{i}@example.nl"}
                assert me.call("pledge", **pledge, consent=True)["ok"]
        if phase == "topics":
            assert self.host.call("edit_theme", theme=1, table="Tafel 3, bij het raam", capacity=40)["ok"]
        for page in self.pages.values():
            page.reload()
        for page in self.pages.values():
            expect(page.locator("body")).to_have_attribute("data-phase", phase)
            expect(page.locator("#conn")).to_have_attribute("data-kind", "ok")
        self.phase = phase


@pytest.mark.browser
def test_the_phone_passes_axe_in_every_phase_in_every_language(browser, server, connect, page_errors):
    phones = Phones(browser, server, connect, page_errors)
    found, dutch, langs = {}, {}, {}
    for phase in PHASES:
        if phase != "lobby":
            phones.go(phase)
        for lang, page in phones.pages.items():
            open_all_details(page)
            langs[lang, phase] = page.evaluate(LANG_AND_DIR)
            found[f"{lang} {phase}"] = axe_violations(page)
            dutch[lang, phase] = dutch_left(page)
    assert {k: v for k, v in langs.items() if v != [k[0], "rtl" if k[0] == "ar" else "ltr"]} == {}
    found = {name: v for name, v in found.items() if v}
    assert not found, "axe found WCAG 2.1 AA violations:\n" + report(found)
    assert {k: v for k, v in dutch.items() if v} == {}
    # What the phones saw was theirs: in their language, with the themes as the kopgroep typed them.
    assert phones.pages["pl"].locator("#h-pledge").text_content() == "Chcesz pomóc?"
    expect(phones.pages["en"].locator("#pledge-themes")).to_contain_text("Groen in de wijk")
    assert page_errors == []


@pytest.mark.browser
def test_the_helper_screen_and_the_paper_form_pass_axe_in_every_language(browser, server, page_errors):
    meeting = server.create_meeting(themes=THEMES, title="Wijkavond De Akkers")
    found, langs, dutch = {}, {}, {}
    for lang in ("nl", *LANGUAGES):
        helper = open_page(browser, f"{meeting['helper_url']}&lang={lang}", page_errors, **PHONE)
        expect(helper.locator("#conn")).to_have_attribute("data-kind", "ok")
        found[f"helper {lang}"] = axe_violations(helper)
        langs["helper", lang] = helper.evaluate("document.documentElement.lang")
        dutch["helper", lang] = dutch_left(helper)
        # The same device prints the paper form: the language it chose goes along (its cookie).
        helper.goto(f"{server.url}/{meeting['code']}/papier")
        found[f"paper {lang}"] = axe_violations(helper)
        langs["paper", lang] = helper.evaluate("document.documentElement.lang")
        dutch["paper", lang] = dutch_left(helper)
    found = {name: v for name, v in found.items() if v}
    assert not found, "axe found WCAG 2.1 AA violations:\n" + report(found)
    assert {k: v for k, v in langs.items() if v != k[1]} == {}
    # The Dutch pages show the sentences the other languages must not (so the check looks at all).
    assert dutch.pop(("helper", "nl")) and dutch.pop(("paper", "nl"))
    assert {k: v for k, v in dutch.items() if v} == {}
    assert page_errors == []


@pytest.mark.browser
def test_one_tap_turns_the_phone_turkish_for_reloads_rejoins_and_server_refusals(
    browser, server, connect, page_errors
):
    meeting = server.create_meeting(themes=THEMES, title="Wijkavond De Akkers")
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    phone = open_page(browser, meeting["join_link"], page_errors, **PHONE)
    expect(phone.locator("html")).to_have_attribute("lang", "nl")
    expect(phone.locator("#h-lobby")).to_have_text("Welkom!")
    # The page is there before its socket: the token comes with the first state.
    token = phone.wait_for_function(f"() => localStorage.getItem('live:{code}:token')").json_value()

    turkish = phone.get_by_role("link", name="Türkçe")
    assert turkish.get_attribute("hreflang") == "tr" and turkish.get_attribute("lang") == "tr"
    turkish.click()
    expect(phone.locator("html")).to_have_attribute("lang", "tr")
    expect(phone.locator("#h-lobby")).to_have_text("Hoş geldiniz!")
    expect(phone.locator("#conn")).to_have_text("Bağlandı")
    expect(phone.get_by_role("link", name="Türkçe")).to_have_attribute("aria-current", "true")
    # A reload, the QR code scanned again, and the code typed in: still Turkish, still the same person.
    phone.goto(f"{server.url}/{code}")
    expect(phone.locator("#h-lobby")).to_have_text("Hoş geldiniz!")
    phone.goto(meeting["join_link"])
    expect(phone.locator("#h-lobby")).to_have_text("Hoş geldiniz!")
    phone.goto(f"{server.url}/join?code={code}")
    expect(phone.locator("html")).to_have_attribute("lang", "tr")
    expect(phone.locator("#conn")).to_have_attribute("data-kind", "ok")
    assert phone.evaluate(f"localStorage.getItem('live:{code}:token')") == token

    # The next part arrives in Turkish, and so does a refusal by the server; its code stays English.
    assert host.call("set_phase", phase="pledges")["ok"]
    expect(phone.locator("#h-pledge")).to_have_text("Yardım etmek ister misiniz?")
    form = phone.locator("#pledge-form")
    form.locator("#pledge-themes label").first.click()
    form.get_by_label("Önder: organize etmeye yardım etmek istiyorum").check()
    form.get_by_label("Adınız").fill("Ayşe")
    form.get_by_label("Telefon numarası").fill("12")
    form.locator("#pledge-consent").check()
    form.get_by_role("button", name="Yardım edeceğim").click()
    expect(phone.locator("#err-phone")).to_have_text("Bu telefon numarası doğru değil.")
    same = connect(code, "phone", token)
    pledge = {"theme": 1, "role": "lead", "name": "Ayşe", "phone": "12", "consent": True}
    assert same.call("pledge", **pledge) == {"ok": False, "error": "bad_phone"}

    # The host's own screens in this same browser (its cookie says Turkish) stay Dutch.
    phone.goto(meeting["host_url"])
    expect(phone.locator("html")).to_have_attribute("lang", "nl")
    phone.goto(meeting["projector_url"])
    expect(phone.locator("html")).to_have_attribute("lang", "nl")
    assert page_errors == []


@pytest.mark.browser
def test_the_arabic_phone_reads_right_to_left_fits_and_counts_in_arabic(
    browser, server, connect, page_errors, tmp_path
):
    phones = Phones(browser, server, connect, page_errors, languages=("ar", "pl"))
    arabic, polish = phones.pages["ar"], phones.pages["pl"]
    phones.go("recognition")
    expect(arabic.locator("html")).to_have_attribute("dir", "rtl")
    assert arabic.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
    # Mirrored: the language list starts at the right, the first theme's title keeps its Dutch.
    lefts = "(links) => links.map((a) => a.getBoundingClientRect().x)"
    boxes = arabic.locator(".languages a").evaluate_all(lefts)
    assert boxes[0] > boxes[1]
    expect(arabic.locator("#rec-themes .theme-title").first).to_have_text(THEMES[0])

    # Words after a number as each language says them (Intl.PluralRules with the page's language).
    counter = {}
    for lang, page in (("ar", arabic), ("pl", polish)):
        box = page.locator("#rec-themes details.add").first
        box.locator("summary").click()
        for left in (2, 5, 11):
            box.locator("textarea").fill("x" * (500 - left))
            counter[lang, left] = box.locator(".chars-left").text_content()
    assert counter == {
        ("ar", 2): "المتبقي: 2 حرفان",
        ("ar", 5): "المتبقي: 5 أحرف",
        ("ar", 11): "المتبقي: 11 حرفًا",
        ("pl", 2): "Pozostało: 2 znaki",
        ("pl", 5): "Pozostało: 5 znaków",
        ("pl", 11): "Pozostało: 11 znaków",
    }
    arabic.locator("#rec-themes details.add textarea").first.fill("")

    wide = {}
    for phase in ("recognition", "pledges"):
        if phase == "pledges":
            phones.go("pledges")
        open_all_details(arabic)
        arabic.evaluate("document.activeElement.blur()")
        arabic.set_viewport_size(PHONE["viewport"])
        shoot(arabic, f"phone-ar-{phase}.png", tmp_path)
        wide[phase, 375] = sideways(arabic, 375)
        wide[phase, 187] = sideways(arabic, 187)  # 375 px at 200% zoom
        arabic.set_viewport_size({"width": 375, "height": 800})
        assert arabic.evaluate(SMALL_TARGETS, TARGET) == []
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    arabic.locator("#pledge-form").screenshot(path=str(folder / "phone-ar-pledge-form.png"))
    assert {k: v for k, v in wide.items() if v} == {}
    assert page_errors == []
