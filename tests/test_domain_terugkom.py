"""The pure rules of step 5 (live/domain/terugkom.py): no server, no store."""

import json

import pytest

from live.domain import Meeting, Refused, Theme, terugkom


def follow_up(phase="lobby") -> Meeting:
    return Meeting("TRGKM", "T", "", "", phase, 1, [Theme(1, "Groen"), Theme(2, "Verkeer")], kind="terugkom")


def evening(code, themes, pledges, notes=()):
    return {
        "meeting": {"code": code},
        "themes": [{"id": n, "title": t, "description": "", "removed": 0} for n, t in themes],
        "pledges": [
            {"theme": t, "name": name, "email": "", "phone": "", "role": "member", "share": share}
            for t, name, share in pledges
        ],  # fmt: skip
        "notes": [{"theme": t, "field": "lead", "text": text} for t, text in notes],
    }


def test_only_themes_with_a_pledge_become_groups_and_only_sharers_are_named():
    themes, groups = terugkom.groups_from_evenings(
        [
            evening(
                "AAAAA", [(1, "Groen"), (2, "Leeg")], [(1, "Anna", True), (1, "Bram", False)], [(1, "Anna")]
            ),
            evening("CCCCC", [(3, "Spelen")], [(3, "Cas", True)]),
        ]
    )
    assert [(t.id, t.title) for t in themes] == [(1, "Groen"), (2, "Spelen")]
    origin = json.loads(groups[0]["origin"])
    assert [m["name"] for m in origin["members"]] == ["Anna"] and origin["others"]["member"] == 1
    assert origin["card"] == [{"field": "lead", "text": "Anna"}] and origin["from"] == "AAAAA"
    assert json.loads(groups[1]["origin"])["theme"] == 3
    with pytest.raises(Refused, match="no_groups"):
        terugkom.groups_from_evenings([evening("AAAAA", [(1, "Groen")], [])])


@pytest.mark.parametrize(
    "data, slug",
    [
        ({"title": "T"}, "from_required"),
        ({"title": "T", "from": [{"code": "AAAAA"}]}, "bad_from"),
        ({"title": "T", "from": [{"code": "AAAAA", "host_key": "k"}] * 2}, "bad_from"),
        ({"title": "T", "from": [{"code": "AAAAA", "host_key": "k"}] * 11}, "bad_from"),
        ({"from": [{"code": "AAAAA", "host_key": "k"}]}, "bad_payload"),
    ],
)
def test_a_new_follow_up_names_its_evenings_each_once(data, slug):
    with pytest.raises(Refused, match=slug):
        terugkom.parse_new_follow_up(data)


def test_who_may_write_what_in_which_phase():
    meeting = follow_up()
    assert terugkom.check_plan(meeting, {"fields": {"goal": "Groen"}}, theme=1) == {
        "theme": 1,
        "fields": {"goal": "Groen"},
    }
    for payload, slug in (
        ({"theme": 2, "fields": {"goal": "x"}}, "not_your_group"),
        ({"fields": {"goal": 5}}, "bad_payload"),
        ({"fields": {"goal": []}}, "bad_payload"),
        ({"fields": {}}, "bad_field"),
    ):
        with pytest.raises(Refused, match=slug):
            terugkom.check_plan(meeting, payload, theme=1)
    assert terugkom.check_plan(meeting, {"fields": {"goal": ""}}, theme=1)["fields"] == {"goal": ""}
    with pytest.raises(Refused, match="wrong_kind"):
        terugkom.check_agreement(Meeting("AVOND", "A", "", "", "lobby", 1, [Theme(1, "G")]), {})
    assert terugkom.check_agreement(meeting, {"text": "Samen", "themes": [2, 1, 2]})["themes"] == [1, 2]
    from live.domain import action_phases

    assert action_phases(meeting, "vote") == ("-",) and action_phases(meeting, "agreement") == (
        "agreements",
        "results",
    )
    assert terugkom.next_agreement([1, 3], 1) == 4
    with pytest.raises(Refused, match="too_many_agreements"):
        terugkom.next_agreement(range(1, 201), 200)


def test_each_role_sees_its_own_part_of_a_group():
    row = {"theme": 1, "plan": "", "status": "loopt_vast", "called_on": "", "host_note": "Bellen",
           "origin": json.dumps({"members": [{"name": "Anna", "email": "", "phone": "", "role": "lead"}],
                                 "others": {"member": 2}, "card": []})}  # fmt: skip
    host, group, beamer = (terugkom.group_view(row, role) for role in ("host", "group", "projector"))
    assert host["note"] == "Bellen" and host["status"] == "loopt_vast"
    assert "note" not in group and "status" not in group and group["members"][0]["name"] == "Anna"
    assert "members" not in beamer and beamer["members_count"] == 3 and "Anna" not in json.dumps(beamer)
    erased = json.loads(terugkom.erased_origin(row["origin"]))
    assert erased["members"][0]["name"] == "" and erased["others"] == {"member": 2}
