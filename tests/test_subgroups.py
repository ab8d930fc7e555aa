"""After the break: tables and capacity, the shared subgroup card, and pledges kept per theme.
Against the real server process, with real Socket.IO clients."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import Client


@pytest.fixture
def topics(meeting, connect):
    """A meeting in the topics phase with a host and a projector connected."""
    host = connect(meeting["code"], "host", meeting["host_key"])
    projector = connect(meeting["code"], "projector", meeting["projector_key"])
    assert host.call("set_phase", phase="topics")["ok"]
    return meeting, host, projector


def no(slug: str, **extra) -> dict:
    """A refusal acknowledgement."""
    return {"ok": False, "error": slug, **extra}


def chosen(client, theme: int) -> int:
    return next(r for r in client.tally["themes"] if r["theme"] == theme)["chosen"]


def at_once(calls) -> list:
    """Run the calls in threads released together; their results in order."""
    results, barrier = [None] * len(calls), threading.Barrier(len(calls))

    def run(n, call):
        barrier.wait()
        results[n] = call()

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_choosers_are_told_their_table_and_spread_over_a_themes_tables(topics, connect):
    meeting, host, projector = topics
    edit = {"theme": 1, "table": ["Tafel 1, bij het raam", "Tafel 2"]}
    assert host.call("edit_theme", **edit) == {"ok": True}
    assert host.call("edit_theme", theme=2, table="Tafel 3") == {"ok": True}
    projector.wait_for(lambda: projector.state["themes"][0]["tables"] == ["Tafel 1, bij het raam", "Tafel 2"])
    phones = [connect(meeting["code"], "phone") for _ in range(4)]
    tables = [p.call("choose", theme=1)["table"] for p in phones]
    assert sorted(tables) == ["Tafel 1, bij het raam"] * 2 + ["Tafel 2"] * 2
    assert phones[0].call("choose", theme=2) == {"ok": True, "table": "Tafel 3"}
    assert connect(meeting["code"], "phone").call("choose", theme=3) == {"ok": True}  # no table given
    # A phone that comes back is told its table again.
    again = connect(meeting["code"], "phone", phones[1].token)
    assert again.state["mine"]["choice"] == 1 and again.state["mine"]["table"] == tables[1]


def test_two_phones_taking_the_last_seat_at_once_exactly_one_gets_it(topics, connect):
    meeting, host, projector = topics
    assert host.call("edit_theme", theme=2, capacity=2) == {"ok": True}
    assert host.call("edit_theme", theme=3, capacity=1) == {"ok": True}
    first = connect(meeting["code"], "phone")
    assert first.call("choose", theme=2) == {"ok": True}
    assert connect(meeting["code"], "phone").call("choose", theme=3) == {"ok": True}
    racers = [connect(meeting["code"], "phone") for _ in range(2)]
    acks = at_once([lambda p=p: p.call("choose", theme=2) for p in racers])
    assert sorted(a["ok"] for a in acks) == [False, True]
    # The refusal names the themes that still have room.
    assert no("theme_full", room=[1]) in acks
    projector.wait_for(lambda: chosen(projector, 2) == 2)
    # Every screen is told that theme 2 is full now, so no phone needs to tap it to find out.
    loser = racers[[a["ok"] for a in acks].index(False)]
    loser.wait_for(lambda: loser.state["full"] == [2, 3], what="full themes in the state")
    # Choosing again what one already has is fine even when full; no limit: null.
    assert first.call("choose", theme=2) == {"ok": True}
    assert host.call("edit_theme", theme=2, capacity=None) == {"ok": True}
    loser.wait_for(lambda: loser.state["full"] == [3])
    assert loser.call("choose", theme=2) == {"ok": True}
    for bad in (0, -1, 10_001, 2.5, True, "3"):
        assert host.call("edit_theme", theme=2, capacity=bad) == no("bad_capacity")
    assert host.call("edit_theme", theme=2, table=["x"] * 11) == no("bad_table")


def test_a_paper_form_that_takes_the_last_seat_tells_every_screen_the_theme_is_full(topics, connect):
    meeting, host, projector = topics
    assert host.call("edit_theme", theme=2, capacity=1) == {"ok": True}
    phone = connect(meeting["code"], "phone")
    helper = connect(meeting["code"], "helper", meeting["helper_key"])
    assert helper.call("submit_form", origin="paper", choice=2)["ok"]
    # As for a phone's choice: the phones mark the full table before anybody taps it.
    phone.wait_for(lambda: phone.state["full"] == [2], what="the full theme on the phone")
    projector.wait_for(lambda: projector.state["full"] == [2], what="the full theme on the beamer")
    assert phone.call("choose", theme=2) == no("theme_full", room=[1, 3])


def test_a_seat_that_a_larger_capacity_opened_and_a_phone_took_makes_the_theme_full_again(topics, connect):
    meeting, host, projector = topics
    assert host.call("edit_theme", theme=2, capacity=1) == {"ok": True}
    first, second = connect(meeting["code"], "phone"), connect(meeting["code"], "phone")
    assert first.call("choose", theme=2) == {"ok": True}
    second.wait_for(lambda: second.state["full"] == [2], what="full")
    assert host.call("edit_theme", theme=2, capacity=2) == {"ok": True}
    second.wait_for(lambda: second.state["full"] == [], what="a seat back")
    assert second.call("choose", theme=2) == {"ok": True}
    projector.wait_for(lambda: projector.state["full"] == [2], what="full again on the beamer")
    first.wait_for(lambda: first.state["full"] == [2], what="full again on a phone")


def test_the_host_locks_the_choice(topics, connect):
    meeting, host, projector = topics
    phone = connect(meeting["code"], "phone")
    assert phone.call("choose", theme=1) == {"ok": True}
    assert host.call("lock_choices", locked=True) == {"ok": True}
    phone.wait_for(lambda: phone.state["choices_locked"])
    assert phone.call("choose", theme=2) == no("choices_locked")
    assert host.call("lock_choices", locked=False) == {"ok": True}
    assert phone.call("choose", theme=2) == {"ok": True}


def test_merging_two_small_subgroups_moves_their_choosers_along(topics, connect):
    meeting, host, projector = topics
    phones = [connect(meeting["code"], "phone") for _ in range(3)]
    for p, theme in zip(phones, (2, 2, 3), strict=True):
        assert p.call("choose", theme=theme) == {"ok": True}
    note = phones[0].call("note", theme=2, field="how", text="Samen met de school")
    assert host.call("merge_themes", theme=2, into=3) == {"ok": True, "moved": 2}
    for c in (projector, *phones):
        c.wait_for(lambda c=c: [t["id"] for t in c.state["themes"]] == [1, 3], what="merged")
    assert phones[0].state["merged"] == {"2": 3}
    projector.wait_for(lambda: chosen(projector, 3) == 3)
    # The card moved along with its people.
    fresh = connect(meeting["code"], "host", meeting["host_key"])
    assert [(n["id"], n["theme"]) for n in fresh.state["cards"]] == [(note["note"], 3)]
    back = connect(meeting["code"], "phone", phones[0].token)
    assert back.state["mine"]["choice"] == 3
    assert [n["id"] for n in back.state["card"]] == [note["note"]]
    assert host.call("merge_themes", theme=1, into=1) == no("bad_merge")
    assert host.call("merge_themes", theme=2, into=1) == no("unknown_theme")


def test_three_phones_writing_one_card_at_once_lose_no_note(topics, connect):
    meeting, host, projector = topics
    phones = [connect(meeting["code"], "phone") for _ in range(3)]
    for p in phones:
        assert p.call("choose", theme=1) == {"ok": True}
    fields = ("how", "needs", "lead", "first_step")

    def write(p, n):
        return [
            p.call("note", theme=1, field=fields[i % 4], text=f"Telefoon {n}, punt {i}") for i in range(6)
        ]

    results = at_once([lambda p=p, n=n: write(p, n) for n, p in enumerate(phones)])
    ids = [ack["note"] for acks in results for ack in acks]
    assert len(set(ids)) == 18
    # Every phone at the table, the host and the beamer got every note, one message each.
    for c in (host, projector, *phones):
        c.wait_for(lambda c=c: len(c.notes) >= 18, what="all notes")
        assert {n["id"] for n in c.notes} == set(ids)
    fresh = connect(meeting["code"], "host", meeting["host_key"])
    assert sorted(n["id"] for n in fresh.state["cards"]) == sorted(ids)
    assert {n["text"] for n in fresh.state["cards"]} == {
        f"Telefoon {n}, punt {i}" for n in range(3) for i in range(6)
    }


def test_a_phone_hears_the_notes_of_the_one_card_it_follows_now(topics, connect):
    meeting, host, projector = topics
    mover, at_one, at_two = (connect(meeting["code"], "phone") for _ in range(3))
    assert at_one.call("choose", theme=1)["ok"] and at_two.call("choose", theme=2)["ok"]
    assert mover.call("choose", theme=1)["ok"]
    assert mover.call("choose", theme=1)["ok"]  # the same choice again: still at table 1

    writers = {1: at_one, 2: at_two}

    def heard(theme: int, text: str, follows: int) -> bool:
        """A note on one card; whether the mover, following card `follows`, got it. A note on
        that card sent right after marks when the first one would have come: one connection
        gets its messages in order, so no pause has to be guessed."""
        note = writers[theme].call("note", theme=theme, field="how", text=text)["note"]
        mark = writers[follows].call("note", theme=follows, field="needs", text=f"Na: {text}")["note"]
        mover.wait_for(lambda: any(n["id"] == mark for n in mover.notes), what=f"the note after {text}")
        return any(n["id"] == note for n in mover.notes)

    assert heard(1, "aan tafel 1", 1) and not heard(2, "aan tafel 2", 1)
    assert mover.call("choose", theme=2)["ok"]  # moved: only table 2 from now on
    assert heard(2, "nu tafel 2", 2) and not heard(1, "niet meer tafel 1", 2)
    assert mover.call("card", theme=1)["ok"]  # "Ik zit aan een andere tafel"
    assert heard(1, "weer tafel 1", 1) and not heard(2, "niet meer tafel 2", 1)
    # Back after a lost connection: the card of its choice (2), and only that one.
    back = connect(meeting["code"], "phone", mover.token)
    mover = back
    assert heard(2, "terug aan tafel 2", 2) and not heard(1, "tafel 1 na het terugkomen", 2)


def test_a_person_edits_and_removes_only_their_own_notes_and_the_host_any(topics, connect):
    meeting, host, projector = topics
    anna, bert = connect(meeting["code"], "phone"), connect(meeting["code"], "phone")
    assert anna.call("choose", theme=1) == {"ok": True}
    mine = anna.call("note", theme=1, field="needs", text="Een aanhanger")["note"]
    assert bert.call("edit_note", note=mine, text="Niets") == no("not_yours")
    assert bert.call("remove_note", note=mine) == no("not_yours")
    assert anna.call("edit_note", note=mine, text="Een grote aanhanger")["ok"]
    anna.wait_for(lambda: any(n.get("text") == "Een grote aanhanger" for n in anna.notes))
    # A note for a theme the phone did not choose is fine: people move between tables.
    other = bert.call("note", theme=2, field="how", text="Via de buurtapp")
    assert other["ok"]
    # The host types in a card from paper and may correct any note.
    assert host.call("note", theme=3, field="first_step", text="Vergadering op 12 mei")["ok"]
    assert host.call("edit_note", note=other["note"], text="Via de buurtapp en de krant")["ok"]
    assert anna.call("remove_note", note=mine)["ok"]
    projector.wait_for(lambda: any(n.get("removed") and n["id"] == mine for n in projector.notes))
    assert anna.call("remove_note", note=mine) == no("unknown_note")
    # The beamer writes nothing, and notes have limits.
    assert projector.call("note", theme=1, field="how", text="x") == no("not_phone")
    assert anna.call("note", theme=1, field="why", text="x") == no("bad_field")
    assert anna.call("note", theme=1, field="how", text="x" * 281) == no("text_too_long")
    # A phone following another card gets it on request, and its changes from then on.
    card = anna.call("card", theme=2)
    assert [n["text"] for n in card["notes"]] == ["Via de buurtapp en de krant"]


def test_a_second_pledge_keeps_the_first_and_a_withdrawal_erases_its_contact(topics, connect, server):
    meeting, host, projector = topics
    assert host.call("set_phase", phase="pledges")["ok"]
    phone = connect(meeting["code"], "phone")
    marker = f"withdraw-{time.monotonic_ns()}@example.nl"
    base = {"role": "lead", "name": "Anna de Vries", "consent": True}
    assert phone.call("pledge", theme=1, email=marker, **base) == {"ok": True}
    assert phone.call("pledge", theme=2, phone="0612345678", **{**base, "role": "member"}, share=True) == {
        "ok": True
    }
    projector.wait_for(lambda: [r["pledged"] for r in projector.tally["themes"]] == [1, 1, 0])
    roles = [r["roles"] for r in projector.tally["themes"]]
    assert roles[:2] == [{"lead": 1, "member": 0, "occasional": 0}, {"lead": 0, "member": 1, "occasional": 0}]
    again = connect(meeting["code"], "phone", phone.token)
    pledges = again.state["mine"]["pledges"]
    assert [(p["theme"], p["role"], p["share"], p["contact_by"]) for p in pledges] == [
        (1, "lead", False, "email"),
        (2, "member", True, "phone"),
    ]
    assert phone.call("withdraw", theme=1) == {"ok": True, "withdrawn": True}
    projector.wait_for(lambda: [r["pledged"] for r in projector.tally["themes"]] == [0, 1, 0])
    assert phone.call("withdraw", theme=1) == {"ok": True, "withdrawn": False}
    # Its contact details are gone from every file of the store, not only from the table.
    for f in server.data_dir.glob("live.sqlite3*"):
        assert marker.encode() not in f.read_bytes(), f.name


def test_pledge_contact_preferences_are_checked(topics, connect):
    meeting, host, projector = topics
    assert host.call("set_phase", phase="pledges")["ok"]
    phone = connect(meeting["code"], "phone")
    base = {"theme": 1, "role": "member", "name": "Piet", "email": "piet@example.nl", "consent": True}
    assert phone.call("pledge", **base, contact_by="phone") == no("bad_contact_by")
    assert phone.call("pledge", **base, contact_by="pigeon") == no("bad_contact_by")
    assert phone.call("pledge", **base, share="yes") == no("bad_payload")
    assert phone.call("pledge", **base, contact_by="email", share=False) == {"ok": True}


def test_two_people_on_one_phone_pledge_as_two_participants(topics, server):
    meeting, host, projector = topics
    assert host.call("set_phase", phase="pledges")["ok"]
    first = Client(server.url, meeting["code"], "phone")
    second = Client(server.url, meeting["code"], "phone")  # "Nog iemand aanmelden": a token of its own
    try:
        for person, name in ((first, "Anna"), (second, "Bert")):
            ack = person.call(
                "pledge", theme=1, role="member", name=name, email=f"{name}@example.nl", consent=True
            )
            assert ack == {"ok": True}
        projector.wait_for(lambda: projector.tally["themes"][0]["pledged"] == 2)
        assert first.token != second.token
    finally:
        first.close()
        second.close()
