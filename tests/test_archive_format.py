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
        assert _form(f"{base}/werkgroep/1", {"date": "2026-04-02", "time": "19:30", "place": "Zaal"}, key) == 303
        assert _form(f"{base}/werkgroep/2", {"date": "2026-04-09", "time": "", "place": ""}, key) == 303
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
