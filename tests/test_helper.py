"""Paper and helpers on equal terms: the helper key, ``submit_form``, origins in the tally and the
export, and the helper screen used with the keyboard alone, against the real server."""

from __future__ import annotations

import pytest
from conftest import BEAMER, PHONE, Client, get, open_page, refusal
from playwright.sync_api import expect
from test_accessibility import SMALL_TARGETS, TARGET, assert_no_violations, sideways_at_320

PLEDGE = {"theme": 2, "role": "lead", "name": "Truus de Vries", "phone": "06 12345678", "consent": True}


def helper_for(server, clients, created, token=None) -> Client:
    """A helper connection of this meeting (the helper key unless another token is given)."""
    c = Client(server.url, created["code"], "helper", token or created["helper_key"])
    clients.append(c)
    return c


def form(origin="paper", **fields) -> dict:
    """A submit_form payload: the given fields, nothing else filled in."""
    return {"origin": origin, "votes": {}, "additions": [], "pledges": [], **fields}


def csv_rows(server, created) -> list[list[str]]:
    """The working-group export as rows of cells."""
    status, _headers, body = get(
        f"{server.url}/{created['code']}/werkgroepen.csv",
        {"Authorization": f"Bearer {created['host_key']}"},
    )
    assert status == 200
    return [line.split(";") for line in body.decode("utf-8-sig").strip().split("\r\n")]


def test_a_paper_form_is_a_participant_of_its_own_counted_with_its_origin(server, connect, clients):
    created = server.create_meeting()
    host = connect(created["code"], "host", created["host_key"])
    phone = connect(created["code"], "phone")
    host.wait_for(lambda: host.tally and host.tally["participants"] == 1, what="the phone counted")
    helper = helper_for(server, clients, created)
    assert helper.state["role"] == "helper" and [t["id"] for t in helper.state["themes"]] == [1, 2, 3]
    # The lobby: a phone could not vote now, but a form filled in earlier is typed in any time.
    ack = helper.call(
        "submit_form",
        **form(
            votes={"0": "partly", "1": "yes", "3": "no"},
            additions=[{"theme": 1, "text": "Meer bankjes bij de vijver"}],
            choice=2,
            pledges=[PLEDGE],
        ),
    )
    assert ack["ok"] is True and isinstance(ack["participant"], int), ack
    assert phone.call("vote", theme=1, answer="yes") == {"ok": False, "error": "wrong_phase"}

    tally = host.wait_for(lambda: host.tally["participants"] == 2 and host.tally, what="the form counted")
    assert tally["origins"] == {"phone": 1, "paper": 1, "helper": 0}
    rows = {row["theme"]: row for row in tally["themes"]}
    assert (rows[1]["yes"], rows[3]["no"], tally["whole"]["partly"]) == (1, 1, 1)
    assert rows[1]["sources"]["phones"]["yes"] == 1  # a paper answer is a person's, not a hand
    assert (rows[2]["chosen"], rows[2]["pledged"], rows[2]["roles"]["lead"]) == (1, 1, 1)
    host.wait_for(
        lambda: any(a["text"] == "Meer bankjes bij de vijver" for a in host.additions), what="the addition"
    )
    header, *volunteers = csv_rows(server, created)
    assert header[-1] == "Via"
    assert volunteers == [
        [volunteers[0][0], "Trekker", "Truus de Vries", "", "06 12345678", volunteers[0][5], "Papier"]
    ]


def test_each_person_helped_counts_apart_and_the_projector_sees_the_origins(server, connect, clients):
    created = server.create_meeting()
    beamer = connect(created["code"], "projector", created["projector_key"])
    helper = helper_for(server, clients, created)
    first = helper.call("submit_form", **form("helper", votes={"1": "yes"}))
    second = helper.call("submit_form", **form("helper", votes={"1": "no"}))
    paper = helper.call("submit_form", **form("paper", votes={"2": "partly"}))
    assert len({first["participant"], second["participant"], paper["participant"]}) == 3
    tally = beamer.wait_for(lambda: beamer.tally and beamer.tally["participants"] == 3 and beamer.tally)
    assert tally["origins"] == {"phone": 0, "paper": 1, "helper": 2}
    assert (tally["themes"][0]["yes"], tally["themes"][0]["no"]) == (1, 1)


def test_a_form_sent_again_with_the_same_id_counts_once(server, connect, clients):
    created = server.create_meeting()
    host = connect(created["code"], "host", created["host_key"])
    helper = helper_for(server, clients, created)
    payload = {"id": "form-7", **form(votes={"1": "yes"}, pledges=[PLEDGE])}
    first = helper.call("submit_form", payload)
    again = helper.call("submit_form", payload)
    assert first["ok"] and again == first
    # After the phase moved on the resend still gets its first ack, not a second participant.
    host.call("set_phase", phase="results")
    assert helper.call("submit_form", payload) == first
    tally = host.wait_for(lambda: host.tally and host.tally["participants"] == 1 and host.tally)
    assert tally["themes"][0]["yes"] == 1 and tally["themes"][1]["pledged"] == 1
    assert len(csv_rows(server, created)) == 2


@pytest.mark.parametrize(
    ("fields", "error", "where"),
    [
        (form(votes={"1": "yes", "9": "yes"}), "unknown_theme", "votes.9"),
        (form(votes={"1": "misschien"}), "bad_answer", "votes.1"),
        (form(additions=[{"theme": 1, "text": "   "}]), "text_empty", "additions.0.text"),
        (form(choice=0), "unknown_theme", "choice"),
        (form(pledges=[{**PLEDGE, "phone": "12"}]), "bad_phone", "pledges.0.phone"),
        (form(pledges=[{**PLEDGE, "consent": False}]), "consent_required", "pledges.0.consent"),
        (form(pledges=[PLEDGE, {**PLEDGE, "name": "Kees"}]), "duplicate_pledge", "pledges.1.theme"),
        (form(), "form_empty", "form"),
        (form("phone", votes={"1": "yes"}), "bad_origin", "origin"),
    ],
)
def test_a_bad_field_saves_nothing_and_says_where_it_is(server, connect, clients, fields, error, where):
    created = server.create_meeting()
    host = connect(created["code"], "host", created["host_key"])
    helper = helper_for(server, clients, created)
    # The good parts of the form (a vote, a pledge) must not be saved either.
    fields = {**fields, "votes": {"2": "yes", **fields["votes"]}} if error != "form_empty" else fields
    assert helper.call("submit_form", **fields) == {"ok": False, "error": error, "field": where}
    helper.call("submit_form", **form(votes={"3": "no"}))  # a tally goes out after this one
    tally = host.wait_for(lambda: host.tally and host.tally["participants"] == 1 and host.tally)
    assert tally["themes"][1]["yes"] == 0 and tally["themes"][1]["pledged"] == 0
    assert len(csv_rows(server, created)) == 1


def test_the_helper_key_opens_the_helper_screen_and_nothing_else(server, connect, clients):
    created = server.create_meeting()
    code, helper_key = created["code"], created["helper_key"]
    assert created["helper_url"] == f"{server.url}/{code}/helper?key={helper_key}"
    # The host key opens the helper screen too; the beamer key and a wrong key do not.
    assert helper_for(server, clients, created, token=created["host_key"]).state["role"] == "helper"
    assert (
        refusal(server.url, {"code": code, "role": "helper", "token": created["projector_key"]}) == "bad_key"
    )
    assert refusal(server.url, {"code": code, "role": "helper", "token": "x" * 32}) == "bad_key"
    for role in ("host", "projector"):
        assert refusal(server.url, {"code": code, "role": role, "token": helper_key}) == "bad_key"
    # Only a helper connection may send a form.
    for other in (connect(code, "phone"), connect(code, "host", created["host_key"])):
        assert other.call("submit_form", **form(votes={"1": "yes"})) == {"ok": False, "error": "not_helper"}
    # Over HTTP the key moves into an HttpOnly cookie, like the beamer's.
    status, headers, _ = get(f"{server.url}/{code}/helper?key={helper_key}")
    assert status == 303 and headers["Location"].endswith(f"/{code}/helper")
    cookie = headers["Set-Cookie"]
    assert cookie.startswith(f"helper_{code}={helper_key};") and "HttpOnly" in cookie
    with_cookie = {"Cookie": f"helper_{code}={helper_key}"}
    assert get(f"{server.url}/{code}/helper", with_cookie)[0] == 200
    assert get(f"{server.url}/{code}/papier", with_cookie)[0] == 200
    assert get(f"{server.url}/{code}/helper")[0] == 403
    assert get(f"{server.url}/{code}/papier")[0] == 403
    assert get(f"{server.url}/{code}/helper?key={created['projector_key']}")[0] == 403
    # The helper key opens neither the beamer, the host screen, the export nor the helper QR.
    for path in ("beamer", "host"):
        assert get(f"{server.url}/{code}/{path}?key={helper_key}")[0] == 403
    bearer = {"Authorization": f"Bearer {helper_key}"}
    for path in ("werkgroepen.csv", "helper/qr.svg"):
        assert get(f"{server.url}/{code}/{path}", bearer)[0] == 403
    status, headers, svg = get(
        f"{server.url}/{code}/helper/qr.svg", {"Authorization": f"Bearer {created['host_key']}"}
    )
    assert status == 200 and headers["Content-Type"].startswith("image/svg+xml") and b"<svg" in svg


# -- the helper screen in a browser, keyboard only ---------------------------------------------

ANSWER_KEYS = {"yes": "1", "partly": "2", "no": "3"}


def stack_of_forms() -> list[dict]:
    """Ten paper forms as people filled them in: answers per theme (1-3, then 0 the whole), some
    with an addition, a choice (0: none) and a pledge."""
    answers = ["yes", "partly", "no"]
    forms = []
    for n in range(1, 11):
        forms.append(
            {
                "number": str(100 + n),
                "votes": {t: answers[(n + t) % 3] for t in (1, 2, 3, 0)},
                "addition": f"Bankje bij de bushalte nr {n}" if n % 3 == 0 else "",
                "choice": n % 4,  # 0: no choice made
                "pledge": {"theme": 1 + n % 3, "name": f"Bewoner {n}", "phone": f"06 1234 56{n:02d}"}
                if n % 2 == 0
                else None,
            }
        )
    return forms


def type_form(page, filled: dict, bad_email: bool = False) -> None:
    """Type one paper form with the keyboard, in the order of the paper, starting in the number box."""
    keys = page.keyboard
    keys.type(filled["number"])
    for theme in (1, 2, 3, 0):
        keys.press("Tab")
        keys.press(ANSWER_KEYS[filled["votes"][theme]])
    keys.press("Tab")  # the addition's theme: the whole (0) is already chosen
    keys.press("Tab")
    keys.type(filled["addition"])
    keys.press("Tab")  # the choice: "Geen keuze", then each theme in order
    for _ in range(filled["choice"]):
        keys.press("ArrowDown")
    keys.press("Tab")
    pledge = filled["pledge"]
    if pledge:
        for _ in range(pledge["theme"]):
            keys.press("ArrowDown")
        keys.press("Tab")
        keys.press("Space")  # the first role: trekker
        keys.press("Tab")
        keys.type(pledge["name"])
        keys.press("Tab")
        keys.type("truus@" if bad_email else "")
        keys.press("Tab")
        keys.type(pledge["phone"])
        keys.press("Tab")
        keys.press("Space")  # the consent box is ticked on the card
    keys.press("Enter")


def test_a_helper_types_a_stack_of_ten_paper_forms_with_the_keyboard_alone(
    browser, server, connect, page_errors
):
    created = server.create_meeting()
    host = connect(created["code"], "host", created["host_key"])
    page = open_page(
        browser, f"{server.url}/{created['code']}/helper?key={created['helper_key']}", page_errors
    )
    expect(page.locator("#conn")).to_have_text("Verbonden")
    for _ in range(12):  # from the top: skip link, the five languages, the mode, then the number box
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "form-number":
            break
    forms = stack_of_forms()
    for n, filled in enumerate(forms, start=1):
        assert page.evaluate("document.activeElement.id") == "form-number"
        type_form(page, filled, bad_email=n == 4)
        if n == 4:
            # Nothing is saved; the message stands at the e-mail box, which has the focus.
            expect(page.locator("#err-pledge-email")).to_have_text("Dit e-mailadres klopt niet.")
            assert page.evaluate("document.activeElement.id") == "pledge-email"
            assert page.get_by_label("E-mailadres").get_attribute("aria-invalid") == "true"
            page.keyboard.press("Control+A")
            page.keyboard.press("Backspace")
            page.keyboard.press("Enter")
        expect(page.locator("#form-status")).to_have_text(
            f"Formulier {filled['number']} is opgeslagen. U kunt het volgende formulier invoeren."
        )
        expect(page.locator("#saved-count")).to_have_text(str(n))
        # Nothing of this form stays for the next one.
        assert page.locator("#form input:checked").evaluate_all("els => els.map((e) => e.value)") == [""]
        for box in ("form-number", "add-text", "pledge-name", "pledge-email", "pledge-phone"):
            assert page.locator(f"#{box}").input_value() == ""
        expect(page.locator("#err-pledge-email")).to_be_hidden()
    assert "Bewoner" not in page.evaluate("JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")

    tally = host.wait_for(lambda: host.tally and host.tally["participants"] == 10 and host.tally)
    assert tally["origins"] == {"phone": 0, "paper": 10, "helper": 0}
    rows = {row["theme"]: row for row in [tally["whole"], *tally["themes"]]}
    for theme in (1, 2, 3, 0):
        for answer in ("yes", "partly", "no"):
            typed = sum(1 for f in forms if f["votes"][theme] == answer)
            assert rows[theme][answer] == typed, (theme, answer)
    for theme in (1, 2, 3):
        assert rows[theme]["chosen"] == sum(1 for f in forms if f["choice"] == theme)
        assert rows[theme]["pledged"] == sum(
            1 for f in forms if f["pledge"] and f["pledge"]["theme"] == theme
        )
    host.wait_for(lambda: len(host.additions) == 3, what="three additions")
    assert sorted(a["text"] for a in host.additions) == sorted(f["addition"] for f in forms if f["addition"])
    volunteers = csv_rows(server, created)[1:]
    assert sorted(row[2] for row in volunteers) == sorted(f"Bewoner {n}" for n in (2, 4, 6, 8, 10))
    assert {row[-1] for row in volunteers} == {"Papier"}

    # "Iemand helpen": the next person answers on the same screen and counts as helped.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    expect(page.locator("#form-status")).to_have_text(
        "Opgeslagen. Dank u wel! Geef het scherm aan de volgende persoon."
    )
    tally = host.wait_for(lambda: host.tally["participants"] == 11 and host.tally)
    assert tally["origins"] == {"phone": 0, "paper": 10, "helper": 1}
    assert not page_errors


def test_the_helper_screen_passes_axe_fits_a_finger_and_shows_errors_at_the_field(
    browser, server, page_errors
):
    created = server.create_meeting()
    page = open_page(
        browser, f"{server.url}/{created['code']}/helper?key={created['helper_key']}", page_errors, **PHONE
    )
    expect(page.locator("#conn")).to_have_text("Verbonden")
    assert page.evaluate(SMALL_TARGETS, TARGET) == []
    assert sideways_at_320(page) == 0
    page.get_by_label("Naam", exact=True).fill("Truus")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator("#err-pledge-theme")).to_have_text("Kies een onderwerp.")
    page.get_by_text("Iemand helpen").click()
    assert_no_violations({"helper screen with an error": page})
    page.get_by_role("button", name="Volgende persoon").click()
    expect(page.locator("#err-pledge-theme")).to_be_hidden()
    assert page.get_by_label("Naam", exact=True).input_value() == ""
    assert [e for e in page_errors if "responded with a status of 4" not in e] == []


def test_a_store_from_before_keeps_its_phones_and_meetings_and_gains_origins(tmp_path):
    # SQLite-specific: the migration of a file an earlier version of the SQLite store wrote.
    import sqlite3

    from live.domain import Theme
    from live.store.sqlite import SQLiteStore

    store = SQLiteStore(str(tmp_path))
    assert store.create_meeting("ACDEF", "Avond", "", "", [Theme(1, "Groen")], "h", "p")
    store.join("ACDEF", "t" * 64)
    store.close()
    # The file as the version before this change made it: no origin, no helper key hash.
    old = sqlite3.connect(tmp_path / "live.sqlite3")
    old.execute("ALTER TABLE participants DROP COLUMN origin")
    old.execute("ALTER TABLE meetings DROP COLUMN helper_key_hash")
    old.commit()
    old.close()
    store = SQLiteStore(str(tmp_path))
    try:
        assert store.tally("ACDEF")["origins"] == {"phone": 1, "paper": 0, "helper": 0}
        # No helper key for it: only the host key opens its helper screen.
        assert store.meeting("ACDEF").helper_key_hash == ""
    finally:
        store.close()


def test_a_theme_the_host_adds_reaches_the_helper_screen_but_never_wipes_a_form_being_typed(
    browser, server, connect, page_errors
):
    created = server.create_meeting()
    host = connect(created["code"], "host", created["host_key"])
    page = open_page(
        browser, f"{server.url}/{created['code']}/helper?key={created['helper_key']}", page_errors
    )
    expect(page.locator("#conn")).to_have_text("Verbonden")
    page.get_by_label("Welk nummer staat op het formulier?").fill("7")
    assert host.call("add_theme", title="Speeltuin opknappen")["ok"]
    expect(page.locator("#themes-news")).to_be_visible()  # the half-typed form stays
    assert page.get_by_label("Welk nummer staat op het formulier?").input_value() == "7"
    page.get_by_role("button", name="Volgende formulier").click()
    # Empty now: the screen is drawn again with the new theme, in every list of the form.
    expect(page.locator("fieldset.theme legend", has_text="Speeltuin opknappen")).to_be_visible()
    assert page.locator("#pledge-theme option", has_text="Speeltuin opknappen").count() == 1
    # A theme added while the form is empty appears at once.
    assert host.call("add_theme", title="Buurtbus")["ok"]
    expect(page.locator("fieldset.theme legend", has_text="Buurtbus")).to_be_visible()
    assert [e for e in page_errors if "responded with a status of 4" not in e] == []


# -- the domain rules for a form, without a server ------------------------------------------------


def _meeting(phase="lobby"):
    from live.domain import Meeting, Theme

    return Meeting("ACDEF", "Avond", "", "", phase, 1, themes=[Theme(1, "Groen"), Theme(2, "Verkeer")])


def test_a_form_is_checked_with_the_phone_rules_in_any_phase():
    from live.domain import check_form

    data = check_form(
        _meeting("lobby"),
        form(
            votes={"0": "no", "2": "yes"}, additions=[{"theme": 0, "text": " Meer\u200b licht "}], choice="1"
        ),
    )
    assert data == {
        "origin": "paper",
        "votes": {0: "no", 2: "yes"},
        "additions": [{"theme": 0, "text": "Meer licht"}],  # cleaned as a phone's text is
        "choice": 1,
        "pledges": [],
        "endorse": [],
    }
    pledge = check_form(_meeting("results"), form("helper", pledges=[PLEDGE]))["pledges"][0]
    assert (pledge["phone"], pledge["contact_by"], pledge["share"]) == ("+31612345678", "phone", False)


@pytest.mark.parametrize(
    ("fields", "slug", "where"),
    [
        (form(votes={"01x": "yes"}), "unknown_theme", "votes.01x"),
        (form(votes=[]), "bad_payload", "votes"),
        (form(pledges=[{**PLEDGE, "theme": 0}]), "unknown_theme", "pledges.0.theme"),
        (form(pledges=[{**PLEDGE, "role": "boss"}]), "bad_role", "pledges.0.role"),
        (form(pledges=[{**PLEDGE, "phone": "", "email": ""}]), "contact_required", "pledges.0.contact"),
        (form(pledges=[{**PLEDGE, "contact_by": "email"}]), "bad_contact_by", "pledges.0.contact_by"),
        (form(pledges=["Truus"]), "bad_payload", "pledges.0"),
        (form(additions=[{"theme": 1, "text": "x" * 501}]), "text_too_long", "additions.0.text"),
        ({"origin": "paper", "votes": {str(n): "yes" for n in range(50)}}, "bad_payload", "votes"),
    ],
)
def test_a_refused_form_says_which_field(fields, slug, where):
    from live.domain import FieldRefused, check_form

    with pytest.raises(FieldRefused) as refused:
        check_form(_meeting(), fields)
    assert (refused.value.slug, refused.value.field) == (slug, where)


def test_the_helper_key_is_derived_like_the_projector_key_but_differs_from_it():
    from live.domain import helper_key_for, new_key, projector_key_for

    host = new_key()
    assert helper_key_for(host, "ACDEF") == helper_key_for(host, "ACDEF")
    assert helper_key_for(host, "ACDEF") not in (
        projector_key_for(host, "ACDEF"),
        helper_key_for(host, "ACDEG"),
    )
    assert len(helper_key_for(host, "ACDEF")) == 32  # 192 bits, URL-safe


def test_the_host_page_links_to_the_helper_screen_the_paper_form_and_the_hand_off(server):
    from conftest import get

    created = server.create_meeting()
    status, headers, _ = get(created["host_url"])
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    status, _, body = get(f"{server.url}/{created['code']}/host", {"Cookie": cookie})
    page = body.decode()
    assert status == 200
    assert f'value="{created["helper_url"]}"' in page.replace("&amp;", "&")
    for path in ("/helper/qr.svg", "/papier", "/afronden"):
        assert f'/{created["code"]}{path}"' in page
    # Each of them opens for the host.
    for path in ("/helper/qr.svg", "/papier", "/afronden"):
        assert get(f"{server.url}/{created['code']}{path}", {"Cookie": cookie})[0] == 200, path


@pytest.mark.browser
def test_the_host_and_the_beamer_say_how_everyone_came_in(browser, server, connect, clients, page_errors):
    created = server.create_meeting()
    host_page = open_page(browser, created["host_url"], page_errors)
    beamer = open_page(browser, created["projector_url"], page_errors, **BEAMER)
    connect(created["code"], "phone")
    helper = helper_for(server, clients, created)
    for origin in ("paper", "paper", "helper"):
        assert helper.call("submit_form", **form(origin, votes={"1": "yes"}))["ok"]
    everyone = "4 mensen doen mee (1 met telefoon, 2 op papier, 1 met hulp)"
    expect(host_page.locator("#h-live + p")).to_contain_text(everyone + ".")
    expect(beamer.locator(".lobby .count")).to_have_text(everyone)
    assert page_errors == []
