"""The host shapes recognition live: themes added, edited, reordered and removed, one theme at a
time, results hidden from the beamer, raised hands counted. Against the real server process."""

from __future__ import annotations

import csv
import io
import threading

import pytest
from conftest import get


@pytest.fixture
def room(meeting, connect):
    """A meeting in recognition with a host, a projector and one phone connected."""
    host = connect(meeting["code"], "host", meeting["host_key"])
    projector = connect(meeting["code"], "projector", meeting["projector_key"])
    phone = connect(meeting["code"], "phone")
    assert host.call("set_phase", phase="recognition")["ok"]
    for c in (host, projector, phone):
        c.wait_for(lambda c=c: c.state["phase"] == "recognition")
    return meeting, host, projector, phone


def no(slug: str) -> dict:
    """A refusal acknowledgement."""
    return {"ok": False, "error": slug}


def titles(client) -> list[str]:
    return [t["title"] for t in client.state["themes"]]


def row(tally: dict, theme: int) -> dict:
    return next(r for r in tally["themes"] if r["theme"] == theme)


def test_a_theme_added_during_the_evening_reaches_every_screen_at_once(room):
    meeting, host, projector, phone = room
    ack = host.call("add_theme", title="Eenzaamheid", description="Ouderen zien weinig mensen")
    assert ack == {"ok": True, "theme": 4}
    for c in (host, projector, phone):
        c.wait_for(lambda c=c: titles(c)[-1:] == ["Eenzaamheid"], what="new theme")
        assert c.state["themes"][-1]["description"] == "Ouderen zien weinig mensen"
    assert phone.call("vote", theme=4, answer="partly") == {"ok": True}
    host.wait_for(lambda: row(host.tally, 4)["partly"] == 1)


def test_an_edited_theme_changes_on_every_screen(room):
    meeting, host, projector, phone = room
    assert host.call("edit_theme", theme=2, title="Veilig verkeer", description="Rond de school") == {
        "ok": True
    }
    for c in (host, projector, phone):
        c.wait_for(lambda c=c: titles(c)[1] == "Veilig verkeer")
        assert c.state["themes"][1]["description"] == "Rond de school"
    # Only the description: the title stays.
    assert host.call("edit_theme", theme=2, description="") == {"ok": True}
    phone.wait_for(lambda: phone.state["themes"][1]["description"] == "")
    assert titles(phone)[1] == "Veilig verkeer"


def test_removing_a_theme_with_answers_asks_first_and_keeps_its_data_in_the_export(room, server):
    meeting, host, projector, phone = room
    assert phone.call("vote", theme=2, answer="yes") == {"ok": True}
    assert host.call("set_phase", phase="pledges")["ok"]
    pledge = {"theme": 2, "role": "lead", "name": "Jan", "email": "jan@example.nl", "consent": True}
    assert phone.call("pledge", **pledge) == {"ok": True}

    asked = host.call("remove_theme", theme=2)
    assert asked == {"ok": False, "error": "confirm_needed", "answers": 2}
    assert "Verkeer" in titles(host)  # nothing changed yet
    assert host.call("remove_theme", theme=2, confirm=True) == {"ok": True}
    for c in (host, projector, phone):
        c.wait_for(lambda c=c: "Verkeer" not in titles(c), what="theme gone")
    assert [r["theme"] for r in host.tally["themes"]] == [1, 3]
    assert phone.call("pledge", **pledge) == no("unknown_theme")
    # The working group of the removed theme still goes home.
    bearer = {"Authorization": f"Bearer {meeting['host_key']}"}
    status, _, body = get(f"{server.url}/{meeting['code']}/werkgroepen.csv", bearer)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert status == 200 and rows[1][:3] == ["Verkeer", "Trekker", "Jan"]


def test_a_theme_without_answers_goes_at_once_and_the_last_one_stays(room):
    meeting, host, projector, phone = room
    assert host.call("remove_theme", theme=3) == {"ok": True}
    assert host.call("remove_theme", theme=2) == {"ok": True}
    assert host.call("remove_theme", theme=1, confirm=True) == no("last_theme")
    assert host.call("remove_theme", theme=3, confirm=True) == no("unknown_theme")
    phone.wait_for(lambda: titles(phone) == ["Groen in de wijk"])


def test_the_host_reorders_the_themes(room):
    meeting, host, projector, phone = room
    assert host.call("order_themes", order=[3, 1, 2]) == {"ok": True}
    for c in (projector, phone):
        c.wait_for(lambda c=c: titles(c) == ["Samen eten", "Groen in de wijk", "Verkeer"])
    for bad in ([1, 2], [1, 2, 2], [1, 2, 3, 4], "1,2,3", [1, 2, True]):
        assert host.call("order_themes", order=bad) == no("bad_order")
    assert titles(host) == ["Samen eten", "Groen in de wijk", "Verkeer"]


def test_two_hosts_making_one_addition_a_theme_at_once_make_one_theme(room, connect):
    meeting, host, projector, phone = room
    other = connect(meeting["code"], "host", meeting["host_key"])
    addition = phone.call("addition", theme=1, text="Een moestuin voor iedereen")["addition"]
    acks, barrier = [], threading.Barrier(2)

    def promote(client):
        barrier.wait()
        acks.append(client.call("add_theme", title="Moestuin", addition=addition))

    threads = [threading.Thread(target=promote, args=(c,)) for c in (host, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert acks == [{"ok": True, "theme": 4}] * 2
    phone.wait_for(lambda: titles(phone)[-1] == "Moestuin")
    assert titles(phone).count("Moestuin") == 1
    assert phone.state["themes"][-1]["from_addition"] == addition
    fresh = connect(meeting["code"], "host", meeting["host_key"])
    assert [a["status"] for a in fresh.state["additions"] if a["id"] == addition] == ["promoted"]
    assert host.call("add_theme", title="X", addition=addition + 1000) == {
        "ok": False,
        "error": "unknown_addition",
    }


def test_recognition_runs_one_theme_at_a_time_or_all_at_once(room):
    meeting, host, projector, phone = room
    assert phone.state["pace"] == {"mode": "all", "theme": None}
    assert host.call("set_pace", pace="one", theme=2) == {"ok": True}
    for c in (projector, phone):
        c.wait_for(lambda c=c: c.state["pace"] == {"mode": "one", "theme": 2})
    assert host.call("set_pace", pace="one", theme=0) == {"ok": True}  # the analysis as a whole
    phone.wait_for(lambda: phone.state["pace"] == {"mode": "one", "theme": 0})
    assert host.call("set_pace", pace="one", theme=9) == no("unknown_theme")
    assert host.call("set_pace", pace="fast") == no("bad_pace")
    assert host.call("set_pace", pace="all") == {"ok": True}
    phone.wait_for(lambda: phone.state["pace"] == {"mode": "all", "theme": None})


def test_hidden_results_never_reach_the_beamer_only_how_many_answered(room, connect):
    meeting, host, projector, phone = room
    assert host.call("set_results", hidden=True) == {"ok": True}
    projector.wait_for(lambda: projector.state["results"]["hidden"])
    seen_before = len(projector.tallies)
    others = [connect(meeting["code"], "phone") for _ in range(3)]
    for p, answer in zip([phone, *others], ("yes", "yes", "no", "partly"), strict=True):
        assert p.call("vote", theme=1, answer=answer) == {"ok": True}
    projector.wait_for(lambda: row(projector.tally, 1)["answered"] == 4, what="answered count")
    host.wait_for(lambda: row(host.tally, 1)["yes"] == 2)
    # Nothing the beamer received while hidden carries the split.
    for tally in [*projector.tallies[seen_before:], projector.state["tally"]]:
        for r in [*tally["themes"], tally["whole"]]:
            assert r["hidden"] and not {"yes", "partly", "no", "sources"} & set(r), r
            assert set(r) == {"theme", "answered", "chosen", "pledged", "roles", "hidden"}
    # One press reveals everything.
    assert host.call("set_results", hidden=False) == {"ok": True}
    projector.wait_for(lambda: row(projector.tally, 1).get("yes") == 2, what="revealed")
    # One theme hidden, the others shown.
    assert host.call("set_results", hidden=True, theme=1) == {"ok": True}
    projector.wait_for(lambda: row(projector.tally, 1)["hidden"])
    assert "yes" not in row(projector.tally, 1) and row(projector.tally, 2)["yes"] == 0
    assert projector.state["results"] == {"hidden": False, "themes": [1]}
    # Phones never receive anybody's answers.
    assert "tally" not in phone.state and not phone.tallies


def test_raised_hands_add_to_phone_answers_and_a_new_count_replaces_the_last(room):
    meeting, host, projector, phone = room
    assert phone.call("vote", theme=1, answer="yes") == {"ok": True}
    assert host.call("manual_count", theme=1, answer="yes", count=7) == {"ok": True}
    host.wait_for(lambda: row(host.tally, 1)["yes"] == 8, what="phones plus hands")
    r = row(host.tally, 1)
    assert r["sources"] == {
        "phones": {"yes": 1, "partly": 0, "no": 0},
        "hands": {"yes": 7, "partly": 0, "no": 0},
    }
    assert r["answered"] == 8
    assert host.call("manual_count", theme=1, answer="yes", count=5) == {"ok": True}
    projector.wait_for(lambda: row(projector.tally, 1)["yes"] == 6, what="replaced count")
    assert host.call("manual_count", theme=0, answer="no", count=3) == {"ok": True}
    host.wait_for(lambda: host.tally["whole"]["no"] == 3)
    for bad in (-1, 100_001, 1.5, True, "7", None):
        assert host.call("manual_count", theme=1, answer="yes", count=bad) == {
            "ok": False,
            "error": "bad_count",
        }
    assert host.call("manual_count", theme=1, answer="maybe", count=1) == no("bad_answer")
    assert host.call("manual_count", theme=8, answer="yes", count=1) == {
        "ok": False,
        "error": "unknown_theme",
    }
    assert row(host.tally, 1)["yes"] == 6


def test_the_room_answers_the_analysis_as_a_whole(room):
    meeting, host, projector, phone = room
    assert phone.call("vote", theme=0, answer="partly") == {"ok": True}
    assert phone.call("addition", theme=0, text="Er mist iets over de bus")["ok"]
    host.wait_for(lambda: host.tally["whole"]["partly"] == 1)
    assert [r["theme"] for r in host.tally["themes"]] == [1, 2, 3]
    assert host.call("set_phase", phase="topics")["ok"]
    assert phone.call("choose", theme=0) == no("unknown_theme")


def test_a_phone_or_the_beamer_cannot_shape_the_evening(room):
    meeting, host, projector, phone = room
    events = {
        "add_theme": {"title": "Nep"},
        "edit_theme": {"theme": 1, "title": "Nep"},
        "remove_theme": {"theme": 1, "confirm": True},
        "order_themes": {"order": [3, 2, 1]},
        "set_pace": {"pace": "one", "theme": 1},
        "set_results": {"hidden": True},
        "manual_count": {"theme": 1, "answer": "yes", "count": 99},
    }
    for intruder in (phone, projector):
        for event, fields in events.items():
            assert intruder.call(event, **fields) == no("not_host"), event
    assert titles(host) == ["Groen in de wijk", "Verkeer", "Samen eten"]
    assert row(host.tally, 1)["yes"] == 0


def test_theme_texts_follow_the_limits_of_meeting_creation(room):
    meeting, host, projector, phone = room
    assert host.call("add_theme", title="x" * 121) == no("text_too_long")
    assert host.call("add_theme", title="Ok", description="y" * 401) == {
        "ok": False,
        "error": "text_too_long",
    }
    assert host.call("add_theme", title="   ") == no("text_empty")
    assert host.call("edit_theme", theme=1) == no("bad_payload")
    assert host.call("edit_theme", theme=1, title=None) == no("bad_payload")
    for n in range(37):
        assert host.call("add_theme", title=f"Thema {n}")["ok"]
    assert host.call("add_theme", title="Een te veel") == no("too_many_themes")
