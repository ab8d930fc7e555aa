"""The meeting archive (``bijeenkomst.json``, docs/export.md) as a format of its own.

An evening with every kind of data, played on a real server with real Socket.IO clients, is
exported, imported on a server that already holds other meetings (so every store id shifts) and
exported again: the two files are the same, and so are the screens, the tally and the exports.
A file made before version 2 (``tests/data/archive-v1.json``, written by the code of that day)
still imports, and becomes the same meeting.
"""

from __future__ import annotations

import copy
import io
import json
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import Client, Server, api, get
from openpyxl import load_workbook

from live.exports import archive

V1_FILE = Path(__file__).parent / "data" / "archive-v1.json"


def _bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def _form(url: str, fields: dict, key: str) -> int:
    """A hand-off form sent with the host's bearer key (no page can add one, so no Origin)."""
    req = urllib.request.Request(
        url, data=urllib.parse.urlencode(fields).encode(), method="POST",
        headers={**_bearer(key), "Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def play_evening(server: Server) -> dict:
    """A whole evening with every kind of data an archive holds; returns the 201 body of its
    creation. Answers from phones, paper and a helper, raised hands, additions shown, hidden,
    pending, merged into each other and one made a theme, endorsements and hands for them, a
    removed theme, a merged theme, a theme with two tables and a capacity, card notes by a phone
    and by the host, pledges by e-mail and by phone with and without sharing, a first meeting of
    a working group, the Wi-Fi, the day and retention, hidden results, one theme at a time."""
    made = api(
        server.url + "/api/meetings",
        {
            "title": "Wijkavond Noord",
            "place": "Dorpshuis",
            "date": "12 maart, 19.30 uur",
            "held_on": "2026-03-12",
            "themes": [
                {"title": "Groen in de wijk", "description": "Bomen en perken"},
                "Verkeer",
                "Samen eten",
                "Spelen",
            ],
        },
    )[1]
    code, key = made["code"], made["host_key"]
    made_clients = []

    def connect(role, token=None):
        client = Client(server.url, code, role, token)
        made_clients.append(client)
        return client

    try:
        host = connect("host", key)
        helper = connect("helper", made["helper_key"])
        phones = [connect("phone") for _ in range(6)]
        ok = lambda ack: ack.get("ok") or pytest.fail(str(ack))  # noqa: E731
        ok(host.call("set_wifi", name="Dorpshuis Gast", password="welkom123"))
        temporary = host.call("add_theme", title="Tijdelijk")["theme"]
        ok(host.call("remove_theme", theme=temporary, confirm=True))
        ok(host.call("set_phase", phase="recognition"))
        answers = ("yes", "partly", "no")
        for n, phone in enumerate(phones):
            for theme in (0, 1, 2, 3, 4):
                ok(phone.call("vote", theme=theme, answer=answers[(n + theme) % 3]))
        texts = ["Meer bomen aan de Dorpsstraat", "Bomen!", "Ook meer groen", "Een buurtmoestuin",
                 "Te hard rijden bij de school", "Niet getoond"]  # fmt: skip
        adds = [
            phones[n].call("addition", theme=(1, 1, 1, 0, 2, 3)[n], text=texts[n])["addition"]
            for n in range(len(texts))
        ]
        ok(host.call("moderate", addition=adds[0], show=True))
        ok(host.call("moderate", addition=adds[4], show=True))
        ok(host.call("moderate", addition=adds[5], show=False))
        ok(host.call("merge_addition", addition=adds[1], into=adds[0]))
        ok(host.call("merge_addition", addition=adds[2], into=adds[1]))  # into its group's root
        promoted = host.call("add_theme", title="Buurtmoestuin", addition=adds[3])["theme"]
        ok(host.call("order_themes", order=[2, 1, promoted, 3, 4]))
        for phone in phones[:3]:
            ok(phone.call("endorse", addition=adds[0], on=True))
        ok(phones[3].call("endorse", addition=adds[4], on=True))
        ok(host.call("addition_hands", addition=adds[0], count=4))
        ok(host.call("addition_hands", addition=adds[4], count=2))
        helper.wait_for(lambda: [a for a in helper.additions if a["id"] == adds[0]], what="shown")
        paper = helper.call(
            "submit_form", origin="paper", votes={"0": "yes", "1": "no"},
            additions=[{"theme": 2, "text": "Drempels op papier"}], endorse=[adds[0]],
        )  # fmt: skip
        ok(paper)
        ok(helper.call("submit_form", origin="helper", votes={"2": "partly"}))
        pending = phones[0].call("addition", theme=4, text="Nog niet bekeken")["addition"]
        assert pending
        ok(host.call("manual_count", theme=1, answer="yes", count=7))
        ok(host.call("manual_count", theme=0, answer="partly", count=2))
        ok(host.call("edit_theme", theme=1, table=["Tafel 1, bij het raam", "Tafel 2"], capacity=5))
        ok(host.call("edit_theme", theme=2, table="Keuken"))
        ok(host.call("set_phase", phase="topics"))
        for n, phone in enumerate(phones):
            ok(phone.call("choose", theme=(1, 1, 1, 2, 4, promoted)[n]))
        ok(helper.call("submit_form", origin="helper", choice=3))
        ok(phones[0].call("note", theme=1, field="how", text="Elke maand samen snoeien"))
        ok(phones[4].call("note", theme=4, field="first_step", text="Speeltuin bekijken"))
        ok(host.call("note", theme=2, field="needs", text="Een lijst van drukke plekken"))
        ok(host.call("merge_themes", theme=4, into=3))
        ok(host.call("set_phase", phase="pledges"))
        pledges = [
            {"theme": 1, "role": "lead", "name": "Anna de Vries", "email": "anna@example.nl", "share": True},
            {"theme": 1, "role": "member", "name": "Bram", "phone": "06 1234 5678", "share": False},
            {"theme": 1, "role": "occasional", "name": "Cor", "email": "cor@example.nl",
             "phone": "+32 470 12 34 56", "contact_by": "phone", "share": True},
            {"theme": 2, "role": "lead", "name": "Dirk", "email": "dirk@example.nl",
             "phone": "0612345679", "contact_by": "email"},
            {"theme": 3, "role": "member", "name": "Els", "email": "els@example.nl", "share": True},
        ]  # fmt: skip
        for phone, pledge in zip(phones, pledges, strict=False):
            ok(phone.call("pledge", consent=True, **pledge))
        ok(phones[0].call("pledge", consent=True, theme=promoted, role="member", name="Anna", email="a@b.nl"))
        ok(helper.call(
            "submit_form", origin="paper", votes={"3": "yes"},
            pledges=[{"theme": 2, "role": "member", "name": "Fien", "phone": "0201234567", "consent": True}],
        ))  # fmt: skip
        ok(host.call("lock_choices", locked=True))
        ok(host.call("set_pace", pace="one", theme=2))
        ok(host.call("set_results", hidden=True, theme=3))
        ok(host.call("set_results", hidden=True, theme=0))
        ok(host.call("set_phase", phase="results"))
        ok(host.call("show_welcome", show=True))
        base = f"{server.url}/{code}"
        follow_ups = {1: ("2026-04-02", "19:30", "Zaal"), 2: ("2026-04-09", "", "")}
        for theme, (date, at, place) in follow_ups.items():
            fields = {"date": date, "time": at, "place": place}
            assert _form(f"{base}/werkgroep/{theme}", fields, key) == 303
        assert _form(f"{base}/datum", {"held_on": "2026-03-13", "retention_days": "3650"}, key) == 303
    finally:
        for client in made_clients:
            client.close()
    return made


def export(server: Server, made: dict) -> dict:
    """The meeting's ``bijeenkomst.json``, parsed."""
    status, _, body = get(f"{server.url}/{made['code']}/bijeenkomst.json", _bearer(made["host_key"]))
    assert status == 200, body[:300]
    return json.loads(body)


def _sheets(raw: bytes) -> dict:
    wb = load_workbook(io.BytesIO(raw))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def outputs(server: Server, made: dict) -> dict:
    """Every hand-off export of a meeting, in a form two copies of one meeting share."""
    fetch = lambda path: get(f"{server.url}/{made['code']}{path}", _bearer(made["host_key"]))[2]  # noqa: E731
    return {
        "csv": fetch("/werkgroepen.csv"),
        "csv 1": fetch("/werkgroepen.csv?thema=1"),
        "xlsx": _sheets(fetch("/werkgroepen.xlsx")),
        "record xlsx": _sheets(fetch("/verslag.xlsx")),
        "record": fetch("/verslag").replace(made["code"].encode(), b"CODE"),
        "group 1": fetch("/werkgroep/1").replace(made["code"].encode(), b"CODE"),
        "ics 1": fetch("/werkgroep/1/afspraak.ics").split(b"DTSTAMP")[0],
    }


def screens(server: Server, made: dict) -> dict:
    """What the host and the beamer are shown on connecting, without what a copy renews: the
    code, versions, the moment of the tally, and store ids (additions and card notes are named
    by their rank in the meeting instead)."""
    host = Client(server.url, made["code"], "host", made["host_key"])
    beamer = Client(server.url, made["code"], "projector", made["projector_key"])
    try:
        listed = host.call("list_additions", limit=100)
        assert listed["ok"] and listed["total"] == len(listed["additions"]), listed
        rank = {i: n for n, i in enumerate(sorted(a["id"] for a in listed["additions"]), 1)}
        shown = {}
        for client in (host, beamer):
            state = copy.deepcopy(client.state)
            for key in ("code", "version", "additions_version", "join_url"):
                state.pop(key, None)
            for key in ("version", "seq", "at"):  # a copy counts its own sequence
                state["tally"].pop(key, None)
            for theme in state["themes"]:
                theme["from_addition"] = rank.get(theme["from_addition"])
            for addition in state.get("additions", []):
                addition["id"] = rank[addition["id"]]
                addition["merged_into"] = rank.get(addition.get("merged_into"))
            notes = {i: n for n, i in enumerate(sorted(c["id"] for c in state.get("cards", [])), 1)}
            for card in state.get("cards", []):
                card["id"] = notes[card["id"]]
            shown[client.role] = state
        shown["listed"] = [
            {**a, "id": rank[a["id"]], "merged_into": rank.get(a.get("merged_into"))}
            for a in listed["additions"]
        ]
        return shown, sorted(rank)
    finally:
        host.close()
        beamer.close()


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    """A server with the whole evening on it, and a second one that already holds other
    meetings (with participants, additions and notes, so the store's ids there are taken)."""
    first = Server(tmp_path_factory.mktemp("laptop")).start()
    second = Server(tmp_path_factory.mktemp("hosted")).start()
    try:
        made = play_evening(first)
        for _ in range(2):
            other = second.create_meeting()
            host = Client(second.url, other["code"], "host", other["host_key"])
            phones = [Client(second.url, other["code"], "phone") for _ in range(3)]
            assert host.call("set_phase", phase="recognition")["ok"]
            for phone in phones:
                assert phone.call("addition", theme=1, text="Iets anders")["ok"]
            assert host.call("set_phase", phase="topics")["ok"]
            assert phones[0].call("note", theme=2, field="how", text="Een andere avond")["ok"]
            for client in (host, *phones):
                client.close()
        yield first, second, made
    finally:
        first.stop()
        second.stop()


def _without_moment(document: dict) -> dict:
    return {k: v for k, v in document.items() if k != "exported_at"}


def test_an_evening_moved_to_a_server_with_other_meetings_exports_the_same_file_again(two_servers):
    first, second, made = two_servers
    document = export(first, made)
    assert document["format"] == "burgerkracht-live/meeting" and document["version"] == 2
    status, moved = api(second.url + "/api/meetings/import", document)
    assert status == 201, moved
    assert moved["code"] == made["code"]  # free on the second server, so kept
    again = export(second, moved)
    assert _without_moment(again) == _without_moment(document)
    (original, ids), (copied, copied_ids) = screens(first, made), screens(second, moved)
    assert copied == original
    assert copied_ids != ids  # the store's ids did shift: the copy's additions are other rows
    assert outputs(second, moved) == outputs(first, made)


def test_the_file_says_the_evening_in_its_own_words_and_numbers(two_servers):
    first, _, made = two_servers
    document = export(first, made)
    lists = archive.to_document({"meeting": {"title": ""}})
    assert list(document) == ["format", "version", "exported_at", *lists]
    text = json.dumps(document)
    store_words = (
        '"seat"',
        '"votes"',
        "contact_by",
        "results_hidden",
        "wifi_name",
    )
    for detail in ("token", "hash", "importing", "rowid", *store_words):
        assert detail not in text, detail
    assert "version" not in document["meeting"] and text.count('"created_at"') == 1  # the meeting's own
    for name in ("participants", "additions"):
        assert [row["id"] for row in document[name]] == list(range(1, len(document[name]) + 1)), name
    assert all("code" not in row for name in archive.DOCUMENT_LISTS for row in document[name])
    meeting = document["meeting"]
    assert meeting["results"] == {"hidden": False, "whole_hidden": True, "hidden_themes": [3]}
    assert meeting["wifi"] == {"name": "Dorpshuis Gast", "password": "welkom123"}
    assert (meeting["held_on"], meeting["retention_days"]) == ("2026-03-13", 3650)
    assert meeting["choices_locked"] is True
    assert (meeting["pace"], meeting["current_theme"], meeting["welcome"]) == ("one", 2, True)
    themes = {t["id"]: t for t in document["themes"]}
    assert themes[1]["tables"] == ["Tafel 1, bij het raam", "Tafel 2"] and themes[1]["capacity"] == 5
    assert themes[1]["follow_up"] == {"date": "2026-04-02", "time": "19:30", "place": "Zaal"}
    assert themes[4]["merged_into"] == 3 and themes[4]["removed"] and themes[5]["removed"]
    additions = {a["id"]: a for a in document["additions"]}
    promoted = next(t for t in document["themes"] if t["from_addition"])
    assert additions[promoted["from_addition"]]["status"] == "promoted"
    merged = [a for a in document["additions"] if a["status"] == "merged"]
    assert len(merged) == 2 and {a["merged_into"] for a in merged} == {1}
    assert {e["addition"] for e in document["endorsements"]} == {1, 5}
    assert {h["addition"]: h["count"] for h in document["addition_hands"]} == {1: 4, 5: 2}
    assert {p["origin"] for p in document["participants"]} == {"phone", "paper", "helper"}
    channels = {(p["contact"]["channel"], p["share"]) for p in document["pledges"]}
    assert {("email", True), ("phone", False), ("phone", True), ("email", False)} <= channels
    assert {c["table"] for c in document["choices"] if c["theme"] == 1} == {0, 1}
    assert [n["participant"] for n in document["notes"] if n["field"] == "needs"] == [None]  # the host's


def test_a_file_from_before_version_2_still_imports_as_the_same_meeting(two_servers):
    _, second, _ = two_servers
    raw = V1_FILE.read_bytes()
    old = json.loads(raw)
    assert old["version"] == 1
    status, made = api(second.url + "/api/meetings/import", old)
    assert status == 201, made
    document = export(second, made)
    expected = archive.to_document(old)
    expected["meeting"]["code"] = made["code"]
    assert _without_moment(document) == {"format": archive.FORMAT, "version": 2, **expected}
    # Imported once more as version 2: the same meeting, screen for screen and export for export.
    status, copy_made = api(second.url + "/api/meetings/import", document)
    assert status == 201, copy_made
    assert _without_moment(export(second, copy_made)) == {
        **_without_moment(document),
        "meeting": {**document["meeting"], "code": copy_made["code"]},
    }
    assert screens(second, copy_made)[0] == screens(second, made)[0]
    mine = {k: v.replace(copy_made["code"].encode(), made["code"].encode()) if isinstance(v, bytes) else v
            for k, v in outputs(second, copy_made).items()}  # fmt: skip
    assert mine == outputs(second, made)


# -- reading version 2 back: what it takes and what it refuses (no server needed) ----------------------


def _document() -> dict:
    """The version-1 file's evening as a version-2 document, as an export would write it."""
    return json.loads(archive.meeting_json(json.loads(V1_FILE.read_bytes())))


def _refusal(document: dict) -> str | None:
    """The import's refusal slug for this document, or None when it is taken."""
    try:
        archive.parse(json.dumps(document).encode())
    except archive.BadArchive as bad:
        return bad.slug
    return None


def test_a_document_reads_back_to_the_plain_data_it_was_made_from():
    old = archive.parse(V1_FILE.read_bytes())
    new = archive.parse(json.dumps(_document()).encode())
    # What version 2 leaves out: the meeting's snapshot counter (a copy starts its own) and the
    # store's note ids (a copy numbers its notes anew anyway).
    old["meeting"].pop("version")
    old["notes"] = [{k: v for k, v in n.items() if k != "id"} for n in old["notes"]]
    # A document lists its rows in one order, whatever order the store gave them in.
    assert archive.in_order(new) == archive.in_order(old)


def _row(name: str, **where):
    return lambda d: next(r for r in d[name] if all(r.get(k) == v for k, v in where.items()))


def _set(find, key, value):
    def change(d):
        find(d)[key] = value

    return change


def _theme(d):
    return d["themes"][0]


BAD = "bad_payload"
REFUSED = {
    "version 3": (lambda d: d.update(version=3), BAD),
    "version as text": (lambda d: d.update(version="2"), BAD),
    "version true": (lambda d: d.update(version=True), BAD),
    "an unknown list": (lambda d: d.update(votes=[]), BAD),
    "an unknown field": (_set(_theme, "evil", 1), BAD),
    "a store column": (_set(lambda d: d["choices"][0], "seat", 0), BAD),
    "a store id for the host": (_set(lambda d: d["notes"][2], "participant", 0), BAD),
    "a participant the file lacks": (_set(lambda d: d["answers"][0], "participant", 99), BAD),
    "an answer without its participant": (lambda d: d["answers"][0].pop("participant"), BAD),
    "an addition without its moment": (lambda d: d["additions"][0].pop("added_at"), BAD),
    "a theme the file lacks": (_set(lambda d: d["answers"][0], "theme", 99), BAD),
    "the whole as a choice": (_set(lambda d: d["choices"][0], "theme", 0), BAD),
    "an endorsed addition the file lacks": (_set(lambda d: d["endorsements"][0], "addition", 99), BAD),
    "hands for an addition the file lacks": (_set(lambda d: d["addition_hands"][0], "addition", 99), BAD),
    "merged into an addition the file lacks": (_set(_row("additions", id=2), "merged_into", 99), BAD),
    "a theme from an addition the file lacks": (_set(_theme, "from_addition", 99), BAD),
    "merged into a theme the file lacks": (_set(_theme, "merged_into", 99), BAD),
    "a current theme the file lacks": (_set(lambda d: d["meeting"], "current_theme", 99), BAD),
    "hidden results of a theme the file lacks": (
        lambda d: d["meeting"]["results"].update(hidden_themes=[99]),
        BAD,
    ),
    "two participants with one id": (_set(lambda d: d["participants"][1], "id", 1), BAD),
    "two themes with one id": (_set(lambda d: d["themes"][1], "id", 1), BAD),
    "a number where yes or no belongs": (_set(_theme, "removed", 1), BAD),
    "tables as text": (_set(_theme, "tables", "Tafel 1"), BAD),
    "a channel nobody uses": (lambda d: d["pledges"][0]["contact"].update(channel="post"), BAD),
    "a word no screen knows": (_set(lambda d: d["answers"][0], "answer", "misschien"), BAD),
    "a day nobody can read": (_set(lambda d: d["meeting"], "held_on", "12 maart"), BAD),
    "an e-mail that is none": (lambda d: d["pledges"][0]["contact"].update(email="geen"), "bad_email"),
    "a Wi-Fi name too long": (lambda d: d["meeting"]["wifi"].update(name="x" * 40), "text_too_long"),
    "a title too long": (_set(_theme, "title", "x" * 5000), "text_too_long"),
    "an empty title": (_set(_theme, "title", " "), "text_empty"),
    "an addition too long": (_set(lambda d: d["additions"][0], "text", "y" * 10_000), "text_too_long"),
    "eleven tables": (_set(_theme, "tables", [f"T{n}" for n in range(11)]), "too_many_tables"),
    "a capacity of none": (_set(_theme, "capacity", 0), "bad_capacity"),
    "a time in other digits": (lambda d: _theme(d)["follow_up"].update(time="𝟏𝟗:𝟑𝟎"), "bad_time"),
    "41 themes in use": (
        lambda d: d["themes"].extend({"id": 100 + n, "title": f"T{n}"} for n in range(41)),
        "too_many_themes",
    ),
    "161 theme rows": (
        lambda d: d["themes"].extend({"id": 100 + n, "title": f"T{n}", "removed": True} for n in range(161)),
        "too_many_themes",
    ),
    "20,001 participants": (
        lambda d: d["participants"].extend({"id": 100 + n, "origin": "phone"} for n in range(20_001)),
        "too_many_rows",
    ),
}  # fmt: skip


@pytest.mark.parametrize("change", REFUSED, ids=list(REFUSED))
def test_a_version_2_document_is_refused_for_what_version_1_is_and_for_broken_references(change):
    alter, slug = REFUSED[change]
    document = _document()
    assert _refusal(document) is None
    alter(document)
    assert _refusal(document) == slug


def test_a_version_2_document_is_cleaned_as_typed_and_takes_its_defaults():
    document = _document()
    _theme(document)["title"] = "Gr\u0000oen\u202e in de wijk"
    document["notes"][0]["text"] = "Elke\u2066 maand"
    for row in (document["meeting"], *document["themes"], *document["additions"]):
        for key in ("place", "date", "description", "position", "capacity", "merged_into", "follow_up"):
            row.pop(key, None)
    data = archive.parse(json.dumps(document).encode())
    assert data["themes"][0]["title"] == "Groen in de wijk" and data["notes"][0]["text"] == "Elke maand"
    # A Wi-Fi of null is none, and the host (participant null) is the store's host.
    document["meeting"]["wifi"] = None
    data = archive.parse(json.dumps(document).encode())
    assert (data["meeting"]["wifi_name"], data["meeting"].get("wifi_password", "")) == ("", "")
    assert [n["participant"] for n in data["notes"]] == [1, 5, archive.HOST]
