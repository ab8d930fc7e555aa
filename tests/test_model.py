"""Every output of an evening agrees with what people did: a model-based test.

A small pure-Python model of the evening (``Evening``) is driven by a seeded random walk of what
phones, the helper screen and the host do: answers and changes of mind, additions and their
moderation, one choice each, pledges with role, name and contact, changes and withdrawals, paper
forms and people helped, theme changes (rename, add, merge, remove, reorder, hide results),
raised hands, phase changes, reconnects with the phone's own token, and resends of messages
already acknowledged (the same id must never count twice). The same walk goes to a real
``python -m live`` over real Socket.IO clients. Every ack must be the one the model predicts,
and at checkpoints every output must agree with the model: the host's and the beamer's tally,
the host's state and additions, the beamer's additions, a reconnecting phone's own answers, and
the hand-off read back as a person would: the CSV (csv module), both spreadsheets (openpyxl),
the record and every working group's page (HTML parsed), and the JSON archive.

CI walks the same seeds every run; a run here draws new ones (the failure names its seed):

    MODEL_SEED=1234 .venv/bin/pytest -q -p no:xdist tests/test_model.py   # replay one walk
    MODEL_WALKS=20 MODEL_STEPS=400 .venv/bin/pytest -q -p no:xdist tests/test_model.py  # hunt
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from html.parser import HTMLParser

import pytest
from conftest import Client, api, get, own_server
from icalendar import Calendar
from openpyxl import load_workbook

PHASES = ("lobby", "recognition", "break", "topics", "pledges", "results")
ANSWERS = ("yes", "partly", "no")
ROLES = ("lead", "member", "occasional")
PHASES_OF = {
    "vote": ("recognition", "break"),
    "addition": ("recognition", "break"),
    "choose": ("topics", "pledges"),
    "pledge": ("pledges", "results"),
    "withdraw": ("pledges", "results"),
}
FAST = "100000/second"
NO_LIMITS = {"PHONE_RATE_LIMIT": FAST, "HOST_RATE_LIMIT": FAST, "LOOKUP_RATE_LIMIT": FAST}

# How people read the exports (docs/export.md, live/texts.py), written out here on purpose.
ROLE_WORD = {"lead": "Trekker", "member": "Meedoen", "occasional": "Af en toe"}
ORIGIN_WORD = {"phone": "Telefoon", "paper": "Papier", "helper": "Met hulp"}
ANSWER_WORD = {"yes": "Ja", "partly": "Deels", "no": "Nee"}
# Names people type, one that a spreadsheet would run as a formula; phone numbers as typed, as
# stored (+31…) and as the exports write them.
NAMES = ("Anne de Vries", "Bram", "Özlem Yıldız", "=Kees", "fatima el Amrani", "Jan", "@Mies")
PHONES = {
    "0612345678": ("+31612345678", "06 12345678"),
    "+32 470 12 34 56": ("+32470123456", "0032 470 12 34 56"),
    "020 123 4567": ("+31201234567", "020 123 4567"),
}

IN_CI = bool(os.environ.get("CI"))
# The test ids never hold a drawn seed: every xdist worker must collect the same tests. A run
# draws its seeds once, from the run id that pytest-xdist hands every worker alike (or at random
# in a run without xdist); each failure names its seed.
WALKS = (
    ["replay"]
    if os.environ.get("MODEL_SEED")
    else [f"fixed{n}" for n in range(4)]
    if IN_CI
    else [f"walk{n}" for n in range(int(os.environ.get("MODEL_WALKS", "3")))]
)
FIXED_SEEDS = (6, 11, 23, 42)


def seed_for(walk: str) -> int:
    """The seed of one walk: MODEL_SEED, CI's fixed ones, or drawn once per run."""
    if walk == "replay":
        return int(os.environ["MODEL_SEED"])
    if walk.startswith("fixed"):
        return FIXED_SEEDS[int(walk[5:])]
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or str(random.SystemRandom().random())
    return random.Random(f"{run}:{walk}").randrange(10**6)


STEPS = int(os.environ.get("MODEL_STEPS", "160"))
CHECK_EVERY = 55


def post_form(url: str, fields: dict, key: str) -> tuple[int, bytes]:
    """POST a form as the host's own page does (bearer key), without following the redirect."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    data = urllib.parse.urlencode(fields).encode()
    req = urllib.request.Request(url, data=data, headers={"Authorization": f"Bearer {key}"}, method="POST")
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def formula_safe(text: str) -> str:
    """A CSV cell as the exports promise it: text a spreadsheet could run gets a leading quote."""
    return "'" + text if text.lstrip(" ").startswith(("=", "+", "-", "@")) else text


MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
          "oktober", "november", "december")  # fmt: skip


def follow_up_words(first: dict) -> str:
    """A working group's first meeting as its page says it: ``2 april 2026, 19.30 uur, Buurthuis``."""
    year, month, day = map(int, first["date"].split("-"))
    words = f"{day} {MONTHS[month - 1]} {year}"
    return (
        words
        + (f", {first['time'].replace(':', '.')} uur" if first["time"] else "")
        + (f", {first['place']}" if first["place"] else "")
    )


# -- the model ---------------------------------------------------------------------------------


class Person:
    """One participant: a phone, a paper form or someone helped on the helper screen."""

    def __init__(self, origin: str):
        self.origin = origin
        self.votes: dict[int, str] = {}
        self.choice: int | None = None
        # theme -> pledge fields as stored; insertion order is the order of consent
        self.pledges: dict[int, dict] = {}
        self.additions: list[int] = []


class Evening:
    """What happened at the evening, as people did it: the truth every output must show."""

    def __init__(self, titles):
        self.phase = "lobby"
        self.themes = {
            n: {
                "id": n,
                "title": t,
                "removed": False,
                "merged_into": None,
                "position": None,
                "capacity": None,
            }
            for n, t in enumerate(titles, start=1)
        }
        self.people: dict[object, Person] = {}  # "p3" for phone 3, participant id for a form
        self.hands: dict[tuple[int, str], int] = {}
        self.additions: dict[int, dict] = {}  # id -> {theme, text, status, merged_into, owner}
        self.results_hidden = False
        self.hidden_themes: set[int] = set()
        self.locked = False

    # what each screen draws from
    def active(self) -> list[dict]:
        live = [t for t in self.themes.values() if not t["removed"]]
        return sorted(live, key=lambda t: (t["position"] or t["id"], t["id"]))

    def all_in_export_order(self) -> list[dict]:
        return sorted(self.themes.values(), key=lambda t: (t["removed"], t["position"] or t["id"], t["id"]))

    def is_active(self, theme) -> bool:
        return theme in self.themes and not self.themes[theme]["removed"]

    def choosers(self, theme: int) -> int:
        return sum(p.choice == theme for p in self.people.values())

    def full(self) -> list[int]:
        return sorted(
            t["id"]
            for t in self.active()
            if t["capacity"] is not None and self.choosers(t["id"]) >= t["capacity"]
        )

    def hidden(self, theme: int) -> bool:
        return self.results_hidden or theme in self.hidden_themes

    def answers_for(self, theme: int) -> int:
        """What ``remove_theme`` without confirm counts: everything attached to the theme."""
        people = self.people.values()
        return (
            sum(theme in p.votes for p in people)
            + sum(p.choice == theme for p in people)
            + sum(theme in p.pledges for p in people)
            + sum(a["theme"] == theme for a in self.additions.values())
            + sum(n for (t, _), n in self.hands.items() if t == theme)
        )

    def row(self, theme: int) -> dict:
        """A tally row as the host receives it."""
        people = self.people.values()
        phones = {a: sum(p.votes.get(theme) == a for p in people) for a in ANSWERS}
        hands = {a: self.hands.get((theme, a), 0) for a in ANSWERS}
        roles = {r: sum(p.pledges.get(theme, {}).get("role") == r for p in people) for r in ROLES}
        row = {"theme": theme, **{a: phones[a] + hands[a] for a in ANSWERS}}
        row.update(
            answered=sum(phones.values()) + sum(hands.values()),
            chosen=self.choosers(theme),
            pledged=sum(roles.values()),
            roles=roles,
            sources={"phones": phones, "hands": hands},
            hidden=self.hidden(theme),
        )
        return row

    def origins(self) -> dict:
        counted = Counter(p.origin for p in self.people.values())
        return {o: counted.get(o, 0) for o in ("phone", "paper", "helper")}

    def tally(self, projector: bool = False) -> dict:
        rows = [self.row(0)] + [self.row(t["id"]) for t in self.active()]
        if projector:
            keep = ("theme", "answered", "chosen", "pledged", "roles", "hidden")
            rows = [{k: r[k] for k in keep} if r["hidden"] else r for r in rows]
        return {
            "participants": len(self.people),
            "origins": self.origins(),
            "whole": rows[0],
            "themes": rows[1:],
        }

    def pledges(self):
        """(person key, person, theme, pledge) for every pledge."""
        for key, person in self.people.items():
            for theme, pledge in person.pledges.items():
                yield key, person, theme, pledge

    def status(self, theme: dict) -> str:
        if theme["merged_into"] is not None:
            return f"samengevoegd met {self.themes[theme['merged_into']]['title']}"
        return "van het scherm gehaald" if theme["removed"] else "besproken"


# -- the outputs, read as people read them -------------------------------------------------------


class Node:
    """One HTML element: tag, attributes, children (nodes and text)."""

    def __init__(self, tag, attrs):
        self.tag, self.attrs, self.children = tag, dict(attrs), []

    def text(self) -> str:
        return " ".join(
            " ".join((c if isinstance(c, str) else c.text()).split()) for c in self.children
        ).strip()

    def find_all(self, tag, **attrs):
        for c in self.children:
            if isinstance(c, Node):
                if c.tag == tag and all(
                    (v in c.attrs.get(k.rstrip("_"), "").split()) if k == "class_" else c.attrs.get(k) == v
                    for k, v in attrs.items()
                ):
                    yield c
                yield from c.find_all(tag, **attrs)

    def find(self, tag, **attrs):
        return next(self.find_all(tag, **attrs), None)


class Page(HTMLParser):
    """A tiny DOM from a whole page, enough to read tables, lists and definition lists."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "rect", "line", "source"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.root = Node("root", {})
        self._open = [self.root]
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs)
        self._open[-1].children.append(node)
        if tag not in self.VOID:
            self._open.append(node)

    def handle_startendtag(self, tag, attrs):
        self._open[-1].children.append(Node(tag, attrs))

    def handle_endtag(self, tag):
        for n in range(len(self._open) - 1, 0, -1):
            if self._open[n].tag == tag:
                del self._open[n:]
                return

    def handle_data(self, data):
        self._open[-1].children.append(data)


# -- the walk ---------------------------------------------------------------------------------


class Walk:
    """One seeded random walk through an evening, sent to the real server and to the model."""

    def __init__(self, server, seed: int):
        self.server, self.seed = server, seed
        self.rnd = random.Random(seed)
        titles = ["Groen in de wijk", "Verkeer", "Samen eten"]
        created = api(server.url + "/api/meetings", {"title": "Modelavond", "themes": titles})[1]
        self.code, self.key = created["code"], created["host_key"]
        self.model = Evening(titles)
        self.host = self._client("host", created["host_key"])
        self.projector = self._client("projector", created["projector_key"])
        self.helper = self._client("helper", created["helper_key"])
        self.phones: list[Client] = []
        self.tokens: list[str] = []
        self.sent: list[tuple] = []  # (who, event, payload, ack) of every ok ack, for resends
        self.n = 0
        self.log: list[str] = []  # the walk so far, for the failure message

    def _client(self, role, token=None) -> Client:
        return Client(self.server.url, self.code, role, token)

    def close(self):
        for c in [self.host, self.projector, self.helper, *self.phones]:
            try:
                c.close()
            except Exception:
                pass

    def who(self, name):
        if name in ("host", "helper"):
            return getattr(self, name)
        return self.phones[int(name[1:])]

    def send(self, who: str, event: str, expected, **fields):
        """Send one event with a fresh id; the ack must be what the model expects (a callable
        gets the ack and checks what the model cannot know, such as a new id)."""
        self.n += 1
        payload = {"id": f"w{self.seed}-{self.n}", **fields}
        self.log.append(f"{who} {event} {json.dumps(fields, ensure_ascii=False)}")
        ack = self.who(who).call(event, payload)
        if callable(expected):
            expected(ack)
        else:
            assert ack == expected, f"{event} {fields}: ack {ack}, model {expected}"
        if ack.get("ok"):
            self.sent.append((who, event, payload, ack))
        return ack

    def theme_pick(self, whole=False, dead=0.15) -> int:
        """Mostly a theme on the screens; sometimes one removed or merged, or the whole."""
        m = self.model
        gone = [t["id"] for t in m.themes.values() if t["removed"]]
        if gone and self.rnd.random() < dead:
            return self.rnd.choice(gone)
        if whole and self.rnd.random() < 0.2:
            return 0
        return self.rnd.choice(m.active())["id"]

    def pledge_fields(self, theme: int) -> tuple[dict, dict]:
        """What a person types in "Wilt u meehelpen?", and what the store keeps of it."""
        name = self.rnd.choice(NAMES)
        typed_phone = self.rnd.choice([None, *PHONES])
        email = self.rnd.choice(
            [None, f"{name.split()[0].strip('=@').lower()}{self.rnd.randrange(99)}@example.nl"]
        )
        if email is None and typed_phone is None:
            email = "buurt@example.nl"
        typed = {"theme": theme, "role": self.rnd.choice(ROLES), "name": name, "consent": True}
        typed.update(email=email, phone=typed_phone, share=self.rnd.random() < 0.6)
        stored = {
            "role": typed["role"],
            "name": name,
            "email": email or "",
            "phone": PHONES[typed_phone][0] if typed_phone else "",
            "contact_by": "email" if email else "phone",
            "share": typed["share"],
        }
        return typed, stored

    # -- what people do --------------------------------------------------------------------

    def join(self):
        c = self._client("phone")
        self.phones.append(c)
        self.tokens.append(c.token)
        self.model.people[f"p{len(self.phones) - 1}"] = Person("phone")
        self.log.append(f"p{len(self.phones) - 1} joins")

    def phone(self) -> tuple[str, Person]:
        if not self.phones or self.rnd.random() < 0.08:
            self.join()
        n = self.rnd.randrange(len(self.phones))
        return f"p{n}", self.model.people[f"p{n}"]

    def reconnect(self):
        """A phone sleeps and comes back with its token: the same participant, its own answers."""
        name, person = self.phone()
        n = int(name[1:])
        self.phones[n].close()
        self.phones[n] = self._client("phone", self.tokens[n])
        self.log.append(f"{name} reconnects")
        mine = self.phones[n].state["mine"]
        expected = {
            "votes": {str(t): a for t, a in person.votes.items()},
            "choice": person.choice,
            "pledges": [{"theme": t, **p} for t, p in person.pledges.items()],
            "additions": [
                {"id": a, "theme": self.model.additions[a]["theme"], "text": self.model.additions[a]["text"],
                 "status": self.model.additions[a]["status"]}
                for a in person.additions
            ],
        }  # fmt: skip
        got = {k: mine[k] for k in expected}
        assert got == expected, f"{name} came back with {got}, model {expected}"
        assert self.phones[n].token == self.tokens[n]

    def vote(self):
        name, person = self.phone()
        m, theme, answer = self.model, self.theme_pick(whole=True), self.rnd.choice(ANSWERS)
        if theme and not m.is_active(theme):
            expected = {"ok": False, "error": "unknown_theme"}
        elif m.phase not in PHASES_OF["vote"]:
            expected = {"ok": False, "error": "wrong_phase"}
        else:
            expected = {"ok": True}
            person.votes[theme] = answer
        self.send(name, "vote", expected, theme=theme, answer=answer)

    def addition(self):
        name, person = self.phone()
        m, theme = self.model, self.theme_pick(whole=True)
        text = f"Idee {self.n} van {name}"
        if theme and not m.is_active(theme):
            self.send(name, "addition", {"ok": False, "error": "unknown_theme"}, theme=theme, text=text)
        elif m.phase not in PHASES_OF["addition"]:
            self.send(name, "addition", {"ok": False, "error": "wrong_phase"}, theme=theme, text=text)
        else:
            ack = self.send(
                name, "addition", lambda a: a["ok"] or pytest.fail(str(a)), theme=theme, text=text
            )
            m.additions[ack["addition"]] = {
                "theme": theme,
                "text": text,
                "status": "pending",
                "merged_into": None,
            }
            person.additions.append(ack["addition"])

    def choose(self):
        name, person = self.phone()
        m, theme = self.model, self.theme_pick()
        if not m.is_active(theme):
            expected = {"ok": False, "error": "unknown_theme"}
        elif m.phase not in PHASES_OF["choose"]:
            expected = {"ok": False, "error": "wrong_phase"}
        elif m.locked:
            expected = {"ok": False, "error": "choices_locked"}
        elif person.choice != theme and theme in m.full():
            room = [t["id"] for t in m.active() if t["id"] not in m.full()]
            expected = {"ok": False, "error": "theme_full", "room": room}
        else:
            expected = {"ok": True}
            person.choice = theme
        self.send(name, "choose", expected, theme=theme)

    def pledge(self):
        name, person = self.phone()
        m = self.model
        # Mostly the theme of its table, as the phone offers it first.
        theme = person.choice if person.choice and self.rnd.random() < 0.5 else self.theme_pick()
        typed, stored = self.pledge_fields(theme)
        if not m.is_active(theme):
            expected = {"ok": False, "error": "unknown_theme"}
        elif m.phase not in PHASES_OF["pledge"]:
            expected = {"ok": False, "error": "wrong_phase"}
        else:
            expected = {"ok": True}
            person.pledges.pop(theme, None)  # a new consent moment: it becomes the newest
            person.pledges[theme] = stored
        self.send(name, "pledge", expected, **typed)

    def withdraw(self):
        name, person = self.phone()
        m = self.model
        theme = (
            self.rnd.choice(list(person.pledges))
            if person.pledges and self.rnd.random() < 0.8
            else self.theme_pick()
        )
        if m.phase not in PHASES_OF["withdraw"]:
            expected = {"ok": False, "error": "wrong_phase"}
        else:
            expected = {"ok": True, "withdrawn": person.pledges.pop(theme, None) is not None}
        self.send(name, "withdraw", expected, theme=theme)

    def form(self):
        """A paper form typed in, or a person helped on the helper screen: a participant of its own."""
        m, rnd = self.model, self.rnd
        origin = rnd.choice(("paper", "helper"))
        votes = {
            str(self.theme_pick(whole=True, dead=0.05)): rnd.choice(ANSWERS) for _ in range(rnd.randrange(3))
        }
        additions = [{"theme": self.theme_pick(whole=True, dead=0), "text": f"Op papier {self.n}"}] * (
            rnd.random() < 0.3
        )
        choice = self.theme_pick(dead=0.1) if rnd.random() < 0.5 else None
        pledges = [self.pledge_fields(self.theme_pick(dead=0.1))] if rnd.random() < 0.5 else []
        if not (votes or additions or choice or pledges):
            votes = {"0": "yes"}
        fields = {"origin": origin, "votes": votes, "additions": additions, "choice": choice,
                  "pledges": [typed for typed, _ in pledges]}  # fmt: skip
        bad_vote = next((k for k in votes if int(k) and not m.is_active(int(k))), None)
        if bad_vote is not None:
            expected = {"ok": False, "error": "unknown_theme", "field": f"votes.{bad_vote}"}
        elif choice is not None and not m.is_active(choice):
            expected = {"ok": False, "error": "unknown_theme", "field": "choice"}
        elif pledges and not m.is_active(pledges[0][0]["theme"]):
            expected = {"ok": False, "error": "unknown_theme", "field": "pledges.0.theme"}
        else:

            def expected(ack):
                assert ack["ok"] and len(ack["additions"]) == len(additions), ack
                person = m.people[ack["participant"]] = Person(origin)
                person.votes = {int(k): a for k, a in votes.items()}
                person.choice = choice  # neither a closed choice nor a full theme refuses a form
                person.pledges = {typed["theme"]: stored for typed, stored in pledges}
                for n, item in zip(ack["additions"], additions, strict=True):
                    m.additions[n] = {**item, "status": "pending", "merged_into": None}
                    person.additions.append(n)

        self.send("helper", "submit_form", expected, **fields)

    # -- what the host does ----------------------------------------------------------------

    def set_phase(self):
        # Mostly on to the next part of the evening; sometimes back, or anywhere.
        at, roll = PHASES.index(self.model.phase), self.rnd.random()
        if roll < 0.6:  # after the results, a second round of the same evening
            phase = PHASES[at + 1] if at < 5 else "recognition"
        else:
            phase = PHASES[max(at - 1, 0)] if roll < 0.75 else self.rnd.choice(PHASES)
        self.model.phase = phase
        self.send(
            "host", "set_phase", lambda a: a["ok"] and a["phase"] == phase or pytest.fail(str(a)), phase=phase
        )

    def add_theme(self):
        m = self.model
        new_id = max(m.themes) + 1
        addition = None
        candidates = [n for n, a in m.additions.items() if a["status"] != "merged"]
        if candidates and self.rnd.random() < 0.5:
            addition = self.rnd.choice(candidates)
            made = [
                t["id"] for t in m.themes.values() if t.get("from_addition") == addition and not t["removed"]
            ]
            if made:
                self.send(
                    "host", "add_theme", {"ok": True, "theme": made[0]}, title="Nog eens", addition=addition
                )
                return
        if len(m.active()) >= 8:
            return
        title = f"Thema {new_id} erbij"
        position = max((t["position"] or t["id"]) for t in m.themes.values()) + 1
        m.themes[new_id] = {"id": new_id, "title": title, "removed": False, "merged_into": None,
                            "position": position, "capacity": None, "from_addition": addition}  # fmt: skip
        if addition is not None:
            m.additions[addition]["status"] = "promoted"
        self.send("host", "add_theme", {"ok": True, "theme": new_id}, title=title, addition=addition)

    def edit_theme(self):
        m, theme = self.model, self.theme_pick()
        fields = {"theme": theme}
        if self.rnd.random() < 0.4:
            fields["title"] = f"{self.rnd.choice(['Groen', 'Veilig', 'Samen'])} {self.n}"
        else:
            fields["capacity"] = self.rnd.choice([None, None, 1, 2, 3, 5])
        if not m.is_active(theme):
            self.send("host", "edit_theme", {"ok": False, "error": "unknown_theme"}, **fields)
            return
        m.themes[theme].update(
            {"capacity" if k == "capacity" else "title": v for k, v in fields.items() if k != "theme"}
        )
        self.send("host", "edit_theme", {"ok": True}, **fields)

    def remove_theme(self):
        m, theme = self.model, self.theme_pick()
        confirm = self.rnd.random() < 0.5
        if not m.is_active(theme):
            expected = {"ok": False, "error": "unknown_theme"}
        elif len(m.active()) == 1:
            expected = {"ok": False, "error": "last_theme"}
        elif not confirm and m.answers_for(theme):
            expected = {"ok": False, "error": "confirm_needed", "answers": m.answers_for(theme)}
        else:
            expected = {"ok": True}
            m.themes[theme]["removed"] = True
        self.send("host", "remove_theme", expected, theme=theme, confirm=confirm)

    def merge_themes(self):
        m = self.model
        if len(m.active()) < 2:
            return
        theme, into = (t["id"] for t in self.rnd.sample(m.active(), 2))
        moved = 0
        for person in m.people.values():
            if person.choice == theme:
                person.choice, moved = into, moved + 1
            # A pledge moves along unless that person already pledged for the other theme.
            if theme in person.pledges and into not in person.pledges:
                person.pledges = {(into if t == theme else t): p for t, p in person.pledges.items()}
        m.themes[theme].update(removed=True, merged_into=into)
        self.send("host", "merge_themes", {"ok": True, "moved": moved}, theme=theme, into=into)

    def order_themes(self):
        m = self.model
        order = [t["id"] for t in m.active()]
        self.rnd.shuffle(order)
        for position, theme in enumerate(order, start=1):
            m.themes[theme]["position"] = position
        self.send("host", "order_themes", {"ok": True}, order=order)

    def manual_count(self):
        m, theme = self.model, self.theme_pick(whole=True)
        answer, count = self.rnd.choice(ANSWERS), self.rnd.randrange(0, 30)
        if theme and not m.is_active(theme):
            expected = {"ok": False, "error": "unknown_theme"}
        else:
            expected = {"ok": True}
            m.hands[(theme, answer)] = count
        self.send("host", "manual_count", expected, theme=theme, answer=answer, count=count)

    def moderate(self):
        m = self.model
        if not m.additions:
            return
        addition, show = self.rnd.choice(list(m.additions)), self.rnd.random() < 0.6
        m.additions[addition].update(status="shown" if show else "hidden", merged_into=None)
        self.send("host", "moderate", {"ok": True}, addition=addition, show=show)

    def merge_addition(self):
        m = self.model
        if len(m.additions) < 2:
            return
        addition, into = self.rnd.sample(list(m.additions), 2)
        a, b = m.additions[addition], m.additions[into]
        root = b["merged_into"] if b["status"] == "merged" else into
        if root == addition:
            expected = {"ok": False, "error": "bad_merge"}
        elif a["status"] == "merged":
            expected = {"ok": True, "into": root, "moved": []} if a["merged_into"] == root else {
                "ok": False, "error": "already_merged"}  # fmt: skip
        elif a["status"] == "promoted":
            expected = {"ok": False, "error": "already_promoted"}
        else:
            moved = sorted(
                n for n, x in m.additions.items() if x["status"] == "merged" and x["merged_into"] == addition
            )
            for n in moved:
                m.additions[n]["merged_into"] = root
            a.update(status="merged", merged_into=root)
            expected = {"ok": True, "into": root, "moved": moved}
        self.send("host", "merge_addition", expected, addition=addition, into=into)

    def set_results(self):
        m, hidden = self.model, self.rnd.random() < 0.5
        if self.rnd.random() < 0.4:
            m.results_hidden, m.hidden_themes = hidden, set()
            self.send("host", "set_results", {"ok": True}, hidden=hidden)
            return
        theme = self.theme_pick(whole=True)
        if theme and not m.is_active(theme):
            self.send(
                "host", "set_results", {"ok": False, "error": "unknown_theme"}, hidden=hidden, theme=theme
            )
            return
        if m.results_hidden and not hidden:  # every other theme stays hidden one by one
            m.hidden_themes = {0} | {t["id"] for t in m.active()}
            m.results_hidden = False
        (m.hidden_themes.add if hidden else m.hidden_themes.discard)(theme)
        self.send("host", "set_results", {"ok": True}, hidden=hidden, theme=theme)

    def lock_choices(self):
        self.model.locked = self.rnd.random() < 0.4
        self.send("host", "lock_choices", {"ok": True}, locked=self.model.locked)

    def follow_up(self):
        """The host sets (or clears) a working group's first meeting on its page."""
        m = self.model
        theme = self.rnd.choice(list(m.themes))
        day = f"2026-04-{self.rnd.randrange(1, 29):02d}"
        form = {
            "date": day,
            "time": self.rnd.choice(["", "19:30", "9.05"]),
            "place": self.rnd.choice(["", "Buurthuis"]),
        }
        if self.rnd.random() < 0.15:
            form = {"date": "", "time": "", "place": ""}
        self.log.append(f"host follow_up {theme} {form}")
        status, _ = post_form(f"{self.server.url}/{self.code}/werkgroep/{theme}", form, self.key)
        assert status == 303, status
        m.themes[theme]["follow_up"] = (
            {**form, "time": form["time"].replace(".", ":").zfill(5) if form["time"] else ""}
            if form["date"]
            else None
        )

    def resend(self):
        """A message acknowledged before goes again with its id, as after a lost ack: the same
        ack, and nothing counts twice. Half the time the resend even carries other fields."""
        if not self.sent:
            return
        who, event, payload, ack = self.rnd.choice(self.sent)
        if who.startswith("p"):
            payload = {**payload}
            if self.rnd.random() < 0.5:  # same id, other content: still the first ack, no change
                payload.update(theme=self.theme_pick(whole=event in ("vote", "addition")), answer="no")
        self.log.append(f"{who} resends {event} {payload['id']}")
        again = self.who(who).call(event, payload)
        assert again == ack, f"resent {event} {payload}: ack {again}, first {ack}"

    ACTIONS = {
        "vote": 14, "addition": 5, "choose": 9, "pledge": 9, "withdraw": 3, "form": 6, "reconnect": 4,
        "resend": 8, "set_phase": 5, "add_theme": 2, "edit_theme": 3, "remove_theme": 1, "merge_themes": 1,
        "order_themes": 1, "manual_count": 3, "moderate": 4, "merge_addition": 3, "set_results": 2,
        "lock_choices": 1, "follow_up": 1,
    }  # fmt: skip

    # What people mostly do in each part of the evening (the rest of the time: anything above).
    NOW = {
        "lobby": ("reconnect", "edit_theme", "order_themes", "set_phase"),
        "recognition": ("vote", "vote", "addition", "moderate", "manual_count", "form", "set_phase"),
        "break": ("vote", "addition", "moderate", "merge_addition", "add_theme", "set_results", "set_phase"),
        "topics": ("choose", "choose", "edit_theme", "form", "lock_choices", "merge_themes", "set_phase"),
        "pledges": ("pledge", "pledge", "choose", "withdraw", "form", "reconnect", "set_phase"),
        "results": ("pledge", "withdraw", "follow_up", "resend", "set_phase"),
    }

    def step(self):
        if self.rnd.random() < 0.5:
            name = self.rnd.choice(self.NOW[self.model.phase])
        else:
            name = self.rnd.choices(list(self.ACTIONS), weights=list(self.ACTIONS.values()))[0]
        getattr(self, name)()
        # A theme that fills up or gets a seat back is news for every screen at once (a phone
        # must not offer a full table), not at the next phase change: checked after every step.
        full = self.model.full()
        try:
            self.host.wait_for(lambda: self.host.state["full"] == full, timeout=3, what="full themes")
        except AssertionError:
            assert self.host.state["full"] == full, f"host full {self.host.state['full']}, model {full}"

    # -- every output against the model ----------------------------------------------------

    def check_screens(self):
        m = self.model
        expected_host = m.tally()
        expected_beamer = m.tally(projector=True)

        def same(client, expected):
            def match():
                t = client.tally
                return t is not None and {k: t.get(k) for k in expected} == expected

            return match

        for client, expected in ((self.host, expected_host), (self.projector, expected_beamer)):
            try:
                client.wait_for(same(client, expected), what=f"{client.role} tally")
            except AssertionError:
                got = {k: client.tally.get(k) for k in expected}
                assert got == expected, f"{client.role} tally"
        state = self.host.state
        assert state["phase"] == m.phase
        assert [(t["id"], t["title"], t["capacity"]) for t in state["themes"]] == [
            (t["id"], t["title"], t["capacity"]) for t in m.active()
        ]
        assert state["merged"] == {
            str(t["id"]): t["merged_into"] for t in m.themes.values() if t["merged_into"]
        }
        assert state["results"] == {"hidden": m.results_hidden, "themes": sorted(m.hidden_themes)}
        assert state["choices_locked"] == m.locked
        # Which themes are full: every screen is told when one fills up or gets a seat back.
        for client in (self.host, self.projector, *self.phones[-2:]):
            try:
                client.wait_for(lambda c=client: c.state["full"] == m.full(), timeout=3, what="full")
            except AssertionError:
                assert client.state["full"] == m.full(), (
                    f"{client.role} full {client.state['full']}, model {m.full()}"
                )
        # Every addition with its status, as the host pages through them.
        page = self.host.sio.call("list_additions", {"limit": 100}, timeout=10)
        # A group's root says how many additions it stands for: itself and those merged into it.
        merged_into = Counter(a["merged_into"] for a in m.additions.values() if a["status"] == "merged")
        expected_additions = [
            {"id": n, "theme": a["theme"], "text": a["text"], "status": a["status"],
             **({"merged_into": a["merged_into"]} if a["status"] == "merged" else {}), "endorsements": 0,
             **({"mentions": 1 + merged_into[n]} if merged_into[n] else {})}
            for n, a in sorted(m.additions.items())
        ]  # fmt: skip
        assert page["additions"] == expected_additions
        statuses = Counter(a["status"] for a in m.additions.values())
        assert page["counts"] == {
            s: statuses.get(s, 0) for s in ("pending", "shown", "hidden", "promoted", "merged")
        }
        # The beamer shows exactly the shown additions (its snapshot with every change folded in).
        shown = sorted(n for n, a in m.additions.items() if a["status"] == "shown")
        self.projector.wait_for(
            lambda: sorted(a["id"] for a in self.projector.state["additions"]) == shown,
            what="shown additions",
        )

    def fetch(self, path: str) -> bytes:
        status, _, body = get(f"{self.server.url}/{self.code}{path}", {"Authorization": f"Bearer {self.key}"})
        assert status == 200, (path, status)
        return body

    def members(self, shared_only=False):
        """Per theme (export order) the pledges as the kopgroep's list orders them."""
        m = self.model
        groups = []
        for t in m.all_in_export_order():
            rows = [
                (p, person, key)
                for key, person, theme, p in m.pledges()
                if theme == t["id"] and (p["share"] or not shared_only)
            ]
            rows.sort(key=lambda r: (ROLES.index(r[0]["role"]), r[0]["name"].casefold()))
            groups.append((t, rows))
        return groups

    def check_exports(self):
        people_phone = {stored: people for stored, people in PHONES.values()}
        # The CSV: every pledge, per working group, with the way the person took part.
        body = self.fetch("/werkgroepen.csv").decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(body), delimiter=";"))
        expected = [
            {
                "Werkgroep": formula_safe(t["title"]),
                "Rol": ROLE_WORD[p["role"]],
                "Naam": formula_safe(p["name"]),
                "E-mail": p["email"],
                "Telefoon": people_phone.get(p["phone"], ""),
                "Via": ORIGIN_WORD[person.origin],
            }
            for t, members in self.members()
            for p, person, _ in members
        ]
        got = [{k: r[k] for k in ("Werkgroep", "Rol", "Naam", "E-mail", "Telefoon", "Via")} for r in rows]
        # Two people of one role with the same name may come in either order: compare per group.
        assert sorted(map(json.dumps, got)) == sorted(map(json.dumps, expected)), "werkgroepen.csv"
        assert [r["Werkgroep"] for r in got] == [r["Werkgroep"] for r in expected]

        # The working groups' spreadsheet: an overview, then a sheet per group.
        book = load_workbook(io.BytesIO(self.fetch("/werkgroepen.xlsx")))
        overview = list(book["Overzicht"].iter_rows(values_only=True))[1:]
        groups = self.members()
        assert [(r[0], r[1], r[2], r[3], r[4]) for r in overview] == [
            (t["title"], *(sum(p["role"] == role for p, _, _ in ms) for role in ROLES), len(ms))
            for t, ms in groups
        ], "werkgroepen.xlsx overview"
        for row, (t, _) in zip(overview, groups, strict=True):
            first = t.get("follow_up") or {}
            assert (row[5] or "") == (follow_up_words(first) if first else ""), (
                "werkgroepen.xlsx: the first meeting"
            )
        for row, (t, ms) in zip(overview, groups, strict=True):
            sheet = list(book[row[6]].iter_rows(values_only=True))
            assert sheet[0][:2] == ("Werkgroep", t["title"])
            people = [r for r in sheet[3 : 3 + len(ms)]]
            assert sorted((r[0], r[1], r[2] or "", r[3] or "", r[5], r[6]) for r in people) == sorted(
                (ROLE_WORD[p["role"]], p["name"], p["email"], people_phone.get(p["phone"], ""),
                 ORIGIN_WORD[person.origin], "ja" if p["share"] else "nee")
                for p, person, _ in ms
            ), f"sheet {row[6]}"  # fmt: skip
            assert sheet[4 + len(ms)][0] == "Kaart", f"sheet {row[6]}"

        # Every working group's own page: only who agreed to share.
        for t, ms in self.members(shared_only=True):
            page = Page(self.fetch(f"/werkgroep/{t['id']}").decode()).root
            assert page.find("h1").text() == f"Werkgroep: {t['title']}"
            first = t.get("follow_up")
            shown = page.find("p", class_="follow-up")
            assert (shown.text() if shown else None) == (first and follow_up_words(first)), (
                f"werkgroep/{t['id']}"
            )
            status, _, ics = get(
                f"{self.server.url}/{self.code}/werkgroep/{t['id']}/afspraak.ics",
                {"Authorization": f"Bearer {self.key}"},
            )
            assert status == (200 if first else 404)
            if first:
                event = Calendar.from_ical(ics).walk("VEVENT")[0]
                assert str(event["SUMMARY"]) == f"Werkgroep {t['title']}: eerste afspraak"
                start = event.decoded("DTSTART")
                assert start.isoformat()[: 16 if first["time"] else 10] == (
                    f"{first['date']}T{first['time']}" if first["time"] else first["date"])  # fmt: skip
                assert str(event.get("LOCATION", "")) == first["place"]
            table = page.find("table", class_="members")
            got = []
            for tr in table.find("tbody").find_all("tr") if table else []:
                name, role, email, phone = tr.find_all("td")
                got.append((name.find("bdi").text(), role.text(), email.text(), phone.text()))
            assert sorted(got) == sorted(
                (p["name"], ROLE_WORD[p["role"]], p["email"], people_phone.get(p["phone"], ""))
                for p, _, _ in ms
            ), f"werkgroep/{t['id']}"

        self.check_counts()

    def check_counts(self):
        """The record (HTML), the evening's spreadsheet and the JSON archive: every count."""
        m = self.model
        rows = [(0, "De analyse als geheel", "besproken")] + [
            (t["id"], t["title"], m.status(t)) for t in m.all_in_export_order()
        ]

        def numbers(theme):
            """Answers per way of taking part (a paper form is never a phone), hands, the rest."""
            r = m.row(theme)
            people = m.people.values()
            by = {
                o: {a: sum(p.votes.get(theme) == a for p in people if p.origin == o) for a in ANSWERS}
                for o in ("phone", "paper", "helper")
            }
            return by, r["sources"]["hands"], r["chosen"], r["roles"]

        book = load_workbook(io.BytesIO(self.fetch("/verslag.xlsx")))
        telling = list(book["Telling"].iter_rows(values_only=True))[1:]
        expected = []
        for theme, title, status in rows:
            by, hands, chosen, roles = numbers(theme)
            line = [title, status]
            for a in ANSWERS:
                people = [by[o][a] for o in ("phone", "paper", "helper")]
                line += [*people, hands[a], sum(people) + hands[a]]
            expected.append(tuple(line + [chosen, roles["lead"], roles["member"], roles["occasional"]]))
        assert telling == expected, "verslag.xlsx Telling"
        listed = list(book["Aanvullingen"].iter_rows(values_only=True))[1:]
        words = {"pending": "nog niet bekeken", "shown": "getoond", "hidden": "niet getoond",
                 "promoted": "werd een thema", "merged": "samengevoegd"}  # fmt: skip
        assert [(r[2], r[3]) for r in listed] == [
            (a["text"], words[a["status"]]) for _, a in sorted(m.additions.items())
        ]

        # The printed record: who took part how, and per theme where every number comes from.
        page = Page(self.fetch("/verslag").decode()).root
        facts = page.find("dl", class_="facts")
        terms = [dt.text() for dt in facts.find_all("dt")]
        facts = dict(zip(terms, [dd.text() for dd in facts.find_all("dd")], strict=True))
        origins = m.origins()
        assert facts["Meegedaan met de telefoon"] == str(origins["phone"])
        assert facts["Op papier"] == str(origins["paper"])
        assert facts.get("Via een helper", "0") == str(origins["helper"])
        statuses = Counter(a["status"] for a in m.additions.values())
        # Every addition people sent is counted, also those the host never looked at.
        assert facts["Aanvullingen"] == (
            f"{statuses['shown']} getoond, {statuses['hidden']} niet getoond,"
            f" {statuses['merged']} samengevoegd, {statuses['promoted']} werd een thema,"
            f" {statuses['pending']} nog niet bekeken"
        ), facts["Aanvullingen"]
        sections = {
            int(s.attrs["aria-labelledby"][1:]): s for s in page.find_all("section", class_="theme-record")
        }
        whole_used = any(a["theme"] == 0 for a in m.additions.values()) or m.row(0)["answered"]
        assert list(sections) == [theme for theme, _, _ in rows if theme or whole_used], "verslag sections"
        for theme, title, _ in rows:
            if theme not in sections:
                continue
            section = sections[theme]
            by, hands, chosen, roles = numbers(theme)
            table = section.find("table", class_="counts")
            assert [th.text() for th in table.find("thead").find_all("th")] == [
                "Antwoord", "Telefoon", "Papier", "Met hulp", "Handen", "Samen"]  # fmt: skip
            table = {
                tr.find("th").text(): tuple(int(td.text()) for td in tr.find_all("td"))
                for tr in table.find("tbody").find_all("tr")
            }
            people = {a: tuple(by[o][a] for o in ("phone", "paper", "helper")) for a in ANSWERS}
            expected = {ANSWER_WORD[a]: (*people[a], hands[a], sum(people[a]) + hands[a]) for a in ANSWERS}
            assert table == expected, title
            text = section.text()
            if theme:
                found = re.search(
                    r"Aan tafel gekozen: (\d+)\. Meehelpen: (\d+) trekkers?, (\d+) meedoen, (\d+) af en toe",
                    text,
                )
                assert found and tuple(map(int, found.groups())) == (
                    chosen, roles["lead"], roles["member"], roles["occasional"]), (title, text)  # fmt: skip
            mine = [a for _, a in sorted(m.additions.items()) if a["theme"] == theme]
            listed = section.find("ul", class_="additions")
            # A shown addition says how many were merged into it (nobody endorses in this walk).
            merged_in = Counter(b["merged_into"] for b in m.additions.values() if b["status"] == "merged")

            def line(n, a, merged_in=merged_in):
                k = merged_in[n]
                if not k:
                    return a["text"]
                # "3× genoemd", and the texts merged into it, oldest first.
                said = " ".join(b["text"] for _, b in sorted(m.additions.items()) if b["merged_into"] == n)
                others = "andere aanvulling" if k == 1 else "andere aanvullingen"
                return f"{k + 1}× genoemd: {a['text']} Samengevoegd met {k} {others}: {said}"

            shown = [(n, a) for n, a in sorted(m.additions.items()) if a["theme"] == theme]
            items = [c for c in (listed.children if listed else []) if isinstance(c, Node) and c.tag == "li"]
            assert [li.text() for li in items] == [line(n, a) for n, a in shown if a["status"] == "shown"]
            found = re.search(r"Niet getoond: (\d+)\. Samengevoegd: (\d+)\.", text)
            counted = Counter(a["status"] for a in mine)
            assert found and tuple(map(int, found.groups())) == (counted["hidden"], counted["merged"]), title
            pending = sum(a["status"] == "pending" for a in mine)
            assert (f"Nog niet bekeken: {pending}." in text) == bool(pending), title

        # The archive: every row of what people did, once.
        data = json.loads(self.fetch("/bijeenkomst.json"))
        assert Counter(p.get("origin", "phone") for p in data["participants"]) == Counter(
            p.origin for p in m.people.values()
        )
        assert Counter((v["theme"], v["answer"]) for v in data["answers"]) == Counter(
            (t, a) for p in m.people.values() for t, a in p.votes.items()
        )
        assert Counter(c["theme"] for c in data["choices"]) == Counter(
            p.choice for p in m.people.values() if p.choice is not None
        )
        assert Counter((p["theme"], p["role"], p["name"]) for p in data["pledges"]) == Counter(
            (t, p["role"], p["name"]) for _, _, t, p in m.pledges()
        )
        assert {(h["theme"], h["answer"]): h["count"] for h in data["manual_counts"]} == m.hands

    def check(self):
        self.check_screens()
        self.check_exports()


@pytest.mark.parametrize("walk", WALKS)
def test_every_output_agrees_with_what_people_did(tmp_path, walk):
    seed = seed_for(walk)
    print(f"model walk {walk}: MODEL_SEED={seed}")
    with own_server(tmp_path, **NO_LIMITS) as server:
        walk = Walk(server, seed)
        try:
            for n in range(STEPS):
                walk.step()
                if n % CHECK_EVERY == CHECK_EVERY - 1:
                    walk.check()
            walk.check()
        except AssertionError as failed:
            steps = "\n".join(walk.log[-25:])
            raise AssertionError(
                f"seed {seed} (MODEL_SEED={seed} to replay), last steps:\n{steps}"
            ) from failed
        finally:
            walk.close()
    assert "Traceback" not in server.log()
