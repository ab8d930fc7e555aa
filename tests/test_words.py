"""The words of issue 18 point 8, each as a person meets it: the card's four questions worded the
same on every screen and export, "Vol" whole at 320 px, "Plaats: Tafel 6" instead of "Tafel:
Tafel 6", "Nog niemand" without "0 mensen kozen dit" beside it, "Af en toe" whole on the beamer,
the page's question and the whole's card not asking the same twice (with the paper form's
explanation in every language), Dutch time ("19.30 uur") and a one-group download that says which
group it holds. Browser tests in Debian's Chromium: the phone at 320 px, the beamer at 1280x720
and 1024x768.
"""

from __future__ import annotations

import io
import json
import re
import urllib.parse

import pytest
from babel.messages.pofile import read_po
from conftest import ROOT, get, open_page, resize
from openpyxl import load_workbook
from playwright.sync_api import expect

from live.texts import CARD_FIELDS, CARD_LABELS, HOST, PHONE, PROJECTOR

SIZES = ((1280, 720), (1024, 768))
NARROW = {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1280, "height": 800}}
QUESTIONS = [
    "Hoe kunnen we dit doen?",
    "Wat is er nodig?",
    "Wie neemt het voortouw?",
    "Wat is de eerste stap, en wanneer?",
]
LANGUAGES = ("en", "tr", "ar", "pl")
WHOLE_ABOUT = "Alle thema’s samen: klopt het beeld van de wijk?"

# How many lines a piece of text takes: one rect per line box a Range over it touches.
LINES_OF = """(el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0);
    const tops = new Set(rects.map((r) => Math.round(r.top)));
    return tops.size;
}"""

# Every role of every visible roles line on the beamer: its text and the lines it takes.
ROLE_LINES = """() => {
    const seen = (el) => el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
    const out = [];
    for (const line of document.querySelectorAll('.board .roles')) {
        if (!seen(line)) continue;
        const text = line.firstChild;
        // Each role is its name and number: from the name's first letter to the end of its number.
        for (const n of line.querySelectorAll('strong[data-role]')) {
            const range = document.createRange();
            const name = n.previousSibling && n.previousSibling.nodeType === 3
                ? n.previousSibling : n.parentElement.firstChild;
            range.setStart(name, 0);
            range.setEndAfter(n);
            const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0)
                .map((r) => Math.round(r.top)));
            out.push([range.toString().trim(), tops.size]);
        }
    }
    return out;
}"""

pytestmark = pytest.mark.browser


def host_call(host, event, **fields):
    """A host event that must succeed."""
    ack = host.call(event, **fields)
    assert ack["ok"], (event, ack)
    return ack


def catalogue(lang: str):
    """The .po of one language."""
    path = ROOT / "live" / "translations" / lang / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as f:
        return read_po(f, locale=lang)


# -- 1. the card's questions: one wording, everywhere ------------------------------------------


def test_the_cards_four_questions_are_one_wording_for_phone_host_beamer_and_exports():
    assert list(CARD_FIELDS.values()) == QUESTIONS
    assert HOST["fields"] == CARD_FIELDS
    assert PROJECTOR["card_fields"] == CARD_FIELDS
    assert CARD_LABELS == CARD_FIELDS


def test_the_card_asks_how_we_do_it_on_the_phone_the_host_and_the_beamer(
    browser, server, connect, page_errors
):
    meeting = server.create_meeting(themes=["Groen in de wijk", "Veilig verkeer"])
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    host_call(host, "set_phase", phase="topics")
    phone = open_page(browser, meeting["join_url"], page_errors, **NARROW)
    phone.get_by_role("radio", name="Groen in de wijk").check()
    expect(phone.locator("#card-fields h3")).to_have_text(QUESTIONS)
    expect(phone.get_by_label("Uw briefje bij: Hoe kunnen we dit doen?")).to_be_visible()

    me = connect(code, "phone")
    host_call(me, "choose", theme=1)
    for field in CARD_FIELDS:
        host_call(me, "note", theme=1, field=field, text=f"Briefje bij {field}")
    host_call(host, "set_phase", phase="results")
    beamer = open_page(
        browser, meeting["projector_url"], page_errors, viewport={"width": 1280, "height": 720}
    )
    card = beamer.locator('.board .theme-row[data-theme="1"] .card-short')
    expect(card.locator("dt")).to_have_text(QUESTIONS)

    screen = open_page(browser, meeting["host_url"], page_errors, **LAPTOP)
    expect(screen.locator("#paper-field option")).to_have_text(QUESTIONS)
    assert page_errors == []


# -- 2. "Vol" stays whole on a 320 px phone -----------------------------------------------------


def test_full_stays_one_word_on_one_line_beside_a_long_title_at_320_px(browser, server, connect, page_errors):
    long_title = "Veilig naar school over de Dorpsstraat, de Kerkweg, het pad langs het water en de brug"
    meeting = server.create_meeting(themes=["Groen", long_title])
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    for theme in (1, 2):
        host_call(host, "edit_theme", theme=theme, capacity=1)
    host_call(host, "set_phase", phase="topics")
    for theme in (1, 2):
        host_call(connect(code, "phone"), "choose", theme=theme)
    phone = open_page(browser, meeting["join_url"], page_errors, **NARROW)
    marks = phone.locator(".option .full-mark")
    expect(marks).to_have_text(["Vol", "Vol"])
    for i in range(2):
        expect(marks.nth(i)).to_be_visible()
        assert marks.nth(i).evaluate(LINES_OF) == 1, marks.nth(i).evaluate(
            "(e) => e.getBoundingClientRect().width"
        )
    assert page_errors == []


# -- 3, 4, 5: the beamer after the break --------------------------------------------------------


EIGHT = [
    "Groen in de wijk",
    "Veilig verkeer bij de school",
    "Samen eten",
    "Een speeltuin voor de kleintjes",
    "Ouderen niet alleen",
    "Zwerfafval",
    "Het buurthuis",
    "Jongeren",
]


def after_the_break(browser, server, connect, errors, themes=EIGHT):
    """A meeting in the topic choice with tables and room set, three phones that chose (two for
    theme 1, one for theme 2), and the beamer at 1280x720: (code, host, phones, beamer, rows)."""
    meeting = server.create_meeting(themes=themes)
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    host_call(host, "edit_theme", theme=1, table="Tafel 6")
    host_call(host, "edit_theme", theme=2, table=["Tafel 2", "Tafel 3"], capacity=12)
    host_call(host, "edit_theme", theme=3, capacity=8)
    host_call(host, "set_phase", phase="topics")
    phones = [connect(code, "phone") for _ in range(3)]
    for phone, theme in zip(phones, (1, 1, 2), strict=True):
        host_call(phone, "choose", theme=theme)
    beamer = open_page(browser, meeting["projector_url"], errors, viewport={"width": 1280, "height": 720})
    rows = {t: beamer.locator(f'.board .theme-row[data-theme="{t}"]') for t in (1, 2, 3, 4)}
    return code, host, phones, beamer, rows


def test_the_beamer_says_plaats_before_a_table_named_tafel(browser, server, connect, page_errors):
    _code, _host, _phones, beamer, rows = after_the_break(browser, server, connect, page_errors, EIGHT[:4])
    # The host's name for a table says "Tafel": the label does not say it again.
    expect(rows[1].locator(".tables")).to_have_text("Plaats: Tafel 6")
    expect(rows[2].locator(".tables")).to_have_text("Plaats: Tafel 2 · Tafel 3")
    for width, height in SIZES:
        resize(beamer, width, height)
        seen = beamer.locator("body").inner_text()
        assert "Plaats: Tafel 6" in seen and "Tafel: Tafel" not in seen and "Tafels: Tafel" not in seen
    assert page_errors == []


def test_the_beamer_says_nog_niemand_without_0_mensen_kozen_dit_beside_it(
    browser, server, connect, page_errors
):
    code, _host, _phones, _beamer, rows = after_the_break(browser, server, connect, page_errors, EIGHT[:4])
    for theme, room in ((3, "8 plaatsen"), (4, "")):
        nums = rows[theme].locator(".choice-part .nums")
        expect(nums).to_be_visible()
        expect(nums).to_contain_text("Nog niemand")
        seen = " ".join(nums.inner_text().split())
        assert "kozen dit" not in seen and "0 mensen" not in seen, seen
        assert seen == " ".join(["Nog niemand", room]).strip(), seen
    expect(rows[1].locator(".choice-part .nums")).to_have_text(re.compile(r"^\s*2 mensen kozen dit\s*$"))
    expect(rows[2].locator(".choice-part .nums")).to_have_text(
        re.compile(r"^\s*1 persoon koos dit van 12 plaatsen\s*$")
    )
    expect(rows[1].locator(".badge")).to_be_hidden()
    # Someone chooses: the count comes back and "Nog niemand" goes.
    host_call(connect(code, "phone"), "choose", theme=3)
    expect(rows[3].locator(".badge")).to_be_hidden()
    expect(rows[3].locator(".choice-part .nums")).to_have_text(
        re.compile(r"^\s*1 persoon koos dit van 8 plaatsen\s*$")
    )
    assert page_errors == []


def test_af_en_toe_and_every_role_stay_whole_with_their_number_on_the_beamer(
    browser, server, connect, page_errors
):
    # Four themes with three volunteers each: at 1280x720 the line used to break inside a role
    # ("Meedoen" / "1"); "Af en" / "toe" is the same break one word further.
    titles = [
        "Veilig verkeer bij de basisschool en op de Dorpsstraat",
        "Groen",
        "Samen eten in het buurthuis",
        "Een speeltuin",
    ]
    meeting = server.create_meeting(themes=titles)
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    host_call(host, "set_phase", phase="topics")
    phones = [connect(code, "phone") for _ in range(12)]
    for i, phone in enumerate(phones):
        host_call(phone, "choose", theme=1 + i % 4)
    host_call(host, "set_phase", phase="pledges")
    for i, phone in enumerate(phones):
        role = ("lead", "member", "occasional")[i % 3]
        host_call(
            phone, "pledge", theme=1 + i % 4, role=role, name="Buur", email="buur@example.nl", consent=True
        )
    beamer = open_page(
        browser, meeting["projector_url"], page_errors, viewport={"width": 1280, "height": 720}
    )
    expect(beamer.locator('.board .theme-row[data-theme="1"] .roles')).to_have_text(
        "Helpen mee: 3 · Trekker 1 · Meedoen 1 · Af en toe 1"
    )
    for phase in ("pledges", "results"):
        if phase == "results":
            host_call(host, "set_phase", phase="results")
            expect(beamer.locator("body")).to_have_attribute("data-phase", "results")
        for width, height in SIZES:
            resize(beamer, width, height)
            beamer.wait_for_function(f"() => ({ROLE_LINES})().some(([name]) => name === 'Af en toe 1')")
            roles = beamer.evaluate(ROLE_LINES)
            assert {name for name, _ in roles} >= {"Trekker 1", "Meedoen 1", "Af en toe 1"}, roles
            assert [r for r in roles if r[1] != 1] == [], (phase, width, height, roles)
    assert page_errors == []


def test_the_host_theme_list_says_plaats_once(browser, server, connect, page_errors):
    meeting = server.create_meeting(themes=["Groen in de wijk", "Veilig verkeer"])
    host = connect(meeting["code"], "host", meeting["host_key"])
    host_call(host, "edit_theme", theme=1, table="Tafel 6")
    host_call(host, "edit_theme", theme=2, table=["Tafel 1", "Tafel 2"], capacity=12)
    screen = open_page(browser, meeting["host_url"], page_errors, **LAPTOP)
    tables = screen.locator(".theme-tables")
    expect(tables.first).to_have_text("Plaats: Tafel 6.")
    expect(tables.nth(1)).to_have_text("Plaats: Tafel 1 · Tafel 2. Er passen 12 mensen.")
    assert "Tafel: Tafel" not in screen.locator("body").inner_text()
    assert page_errors == []


# -- 6. the page's question and the whole's card ------------------------------------------------


def test_the_whole_on_the_phone_is_not_the_pages_question_again_and_explains_itself_in_every_language(
    browser, server, connect, page_errors
):
    meeting = server.create_meeting(themes=["Groen in de wijk", "Veilig verkeer"])
    host = connect(meeting["code"], "host", meeting["host_key"])
    host_call(host, "set_phase", phase="recognition")
    host_call(host, "set_pace", pace="one", theme=0)
    expected = {"nl": (PHONE["whole_title"], WHOLE_ABOUT)}
    for lang in LANGUAGES:
        cat = catalogue(lang)
        expected[lang] = (cat[PHONE["whole_title"]].string, cat[WHOLE_ABOUT].string)
    for lang, (title, about) in expected.items():
        phone = open_page(browser, f"{meeting['join_link']}&lang={lang}", page_errors, **NARROW)
        heading = phone.locator("#h-rec")
        expect(heading).to_be_visible()
        whole = phone.locator('#rec-themes .theme[data-theme="0"]')
        expect(whole).to_be_visible()
        expect(whole.locator("legend")).to_have_text(title)
        expect(whole.locator(".desc")).to_have_text(about)
        expect(whole.locator(".desc")).to_be_visible()
        # Two lines right under each other must not ask one question twice.
        page_question, card_question = (
            heading.inner_text().strip(),
            whole.locator("legend").inner_text().strip(),
        )
        assert page_question != card_question and not card_question.endswith("?"), (lang, page_question)
    # The Dutch phone, word for word.
    phone = open_page(browser, meeting["join_url"], page_errors, **NARROW)
    expect(phone.locator("#h-rec")).to_have_text("Herkent u zich hierin?")
    assert "Herkent u zich in het geheel?" not in phone.locator("main").inner_text()
    expect(phone.locator('#rec-themes .theme[data-theme="0"]')).to_contain_text(WHOLE_ABOUT)
    assert page_errors == []


def test_the_helper_screen_names_the_whole_and_explains_it_in_every_language(browser, server, page_errors):
    meeting = server.create_meeting(themes=["Groen in de wijk", "Veilig verkeer"])
    for lang in ("nl", *LANGUAGES):
        about = WHOLE_ABOUT if lang == "nl" else catalogue(lang)[WHOLE_ABOUT].string
        page = open_page(browser, f"{meeting['helper_url']}&lang={lang}", page_errors, **LAPTOP)
        whole = page.locator('fieldset.whole[data-theme="0"]')
        expect(whole.locator(".desc")).to_have_text(about)
        legend = whole.locator("legend").inner_text()
        assert "?" not in legend and "؟" not in legend, (lang, legend)
        # The explanation is read out with the question (it describes the fieldset).
        assert "whole-about" in whole.get_attribute("aria-describedby")
    assert page_errors == []


# -- 7. Dutch time --------------------------------------------------------------------------------


def test_dutch_writes_half_past_seven_as_19_30_uur():
    from live.exports.evening import dutch_time, follow_up_words

    assert dutch_time("19:30") == "19.30 uur"
    assert dutch_time("09:05") == "09.05 uur"
    assert dutch_time("") == ""
    first = {"date": "2026-12-03", "time": "19:30", "place": "Buurthuis"}
    assert follow_up_words(first) == "3 december 2026, 19.30 uur, Buurthuis"
    assert follow_up_words({**first, "time": ""}) == "3 december 2026, Buurthuis"
    assert follow_up_words(None) == ""


def _same_site(server, key: str, code: str) -> dict:
    """What a browser on our own host page sends with a form: the cookie and our Origin."""
    return {"Cookie": f"host_{code}={key}", "Origin": server.url, "Sec-Fetch-Site": "same-origin"}


def test_the_group_page_and_the_spreadsheet_say_19_30_uur_and_keep_19_30_stored(
    browser, server, connect, page_errors
):
    from test_exports import _post_form

    meeting = server.create_meeting(themes=["Groen in de wijk", "Veilig verkeer"])
    code, key = meeting["code"], meeting["host_key"]
    host = connect(code, "host", key)
    host_call(host, "set_phase", phase="pledges")
    me = connect(code, "phone")
    host_call(
        me, "pledge", theme=1, role="lead", name="Els", email="els@example.nl", consent=True, share=True
    )
    status, _ = _post_form(
        f"{server.url}/{code}/werkgroep/1",
        {"date": "2026-12-03", "time": "19:30", "place": "Buurthuis De Linde"},
        _same_site(server, key, code),
    )
    assert status == 303
    page = open_page(browser, f"{server.url}/{code}/host?key={key}", page_errors, **LAPTOP)
    page.goto(f"{server.url}/{code}/werkgroep/1")
    expect(page.locator(".follow-up")).to_have_text("3 december 2026, 19.30 uur, Buurthuis De Linde")
    assert "19:30" not in page.locator("main").inner_text()
    # The form still holds the time as the browser's time field takes it.
    expect(page.locator("#fu-time")).to_have_value("19:30")

    bearer = {"Authorization": f"Bearer {key}"}
    status, _, body = get(f"{server.url}/{code}/werkgroepen.xlsx", bearer)
    assert status == 200
    overview = list(load_workbook(io.BytesIO(body))["Overzicht"].iter_rows(values_only=True))
    assert overview[1][5] == "3 december 2026, 19.30 uur, Buurthuis De Linde"
    # What is stored (and exported as JSON) stays "19:30".
    status, _, body = get(f"{server.url}/{code}/bijeenkomst.json", bearer)
    follow_ups = [t["follow_up"] for t in json.loads(body)["themes"] if t["follow_up"]]
    assert [f["time"] for f in follow_ups] == ["19:30"]
    assert page_errors == []


# -- 8. the one-group download says which group ---------------------------------------------------


def test_a_one_group_download_is_named_after_its_theme_in_plain_ascii():
    from live.exports import download_name

    data = {
        "meeting": {"code": "K7HQA"},
        "themes": [
            {"id": 3, "title": "Veilig verkeer"},
            {"id": 4, "title": "Café & cultuur: Ünal’s idee!"},
            {"id": 5, "title": "حديقة"},
            {
                "id": 6,
                "title": "Een heel lange titel over groen, bomen, bankjes en de speeltuin achter de kerk",
            },
        ],
    }
    assert download_name(data, None, "csv") == "werkgroepen-K7HQA.csv"
    assert download_name(data, None, "xlsx") == "werkgroepen-K7HQA.xlsx"
    assert download_name(data, 3, "csv") == "werkgroep-K7HQA-3-veilig-verkeer.csv"
    assert download_name(data, 4, "xlsx") == "werkgroep-K7HQA-4-cafe-cultuur-unals-idee.xlsx"
    assert download_name(data, 5, "csv") == "werkgroep-K7HQA-5.csv"
    long_name = download_name(data, 6, "csv")
    assert long_name.startswith("werkgroep-K7HQA-6-een-heel-lange-titel") and len(long_name) <= 70
    assert not long_name.removesuffix(".csv").endswith("-")
    assert download_name(data, 99, "csv") == "werkgroep-K7HQA-99.csv"
    for theme in (None, 3, 4, 5, 6):
        assert re.fullmatch(r"[A-Za-z0-9-]+\.(csv|xlsx)", download_name(data, theme, "csv"))


def test_the_one_group_download_has_its_own_file_name(server, connect):
    meeting = server.create_meeting(themes=["Groen in de wijk", "Veilig verkeer"])
    code = meeting["code"]
    bearer = {"Authorization": f"Bearer {meeting['host_key']}"}
    for ext in ("csv", "xlsx"):
        status, headers, _ = get(f"{server.url}/{code}/werkgroepen.{ext}", bearer)
        assert status == 200
        assert headers["Content-Disposition"] == f'attachment; filename="werkgroepen-{code}.{ext}"'
        status, headers, _ = get(f"{server.url}/{code}/werkgroepen.{ext}?thema=2", bearer)
        assert status == 200
        name = f"werkgroep-{code}-2-veilig-verkeer.{ext}"
        disposition = headers["Content-Disposition"]
        assert disposition == f'attachment; filename="{name}"', disposition
        assert urllib.parse.quote(name) == name  # nothing to encode
