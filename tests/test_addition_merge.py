"""merge_addition: the host puts additions that say the same together, against the real server.

One merged addition points at the root of its group (never a chain, never itself), leaves the
beamer when it was shown, is counted openly, and two hosts doing the same at once get one outcome.
"""

from __future__ import annotations

import threading

import pytest


@pytest.fixture
def evening(meeting, connect):
    """A meeting in recognition with a host, a beamer and four additions from one phone."""
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    projector = connect(code, "projector", meeting["projector_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    phone = connect(code, "phone")
    phone.wait_for(lambda: phone.state["phase"] == "recognition", what="phase")
    ids = [phone.call("addition", theme=1, text=f"Meer bankjes {n}")["addition"] for n in range(4)]
    host.wait_for(lambda: len(host.additions) == 4, what="four additions")
    return host, projector, phone, ids


def last(client, addition_id) -> dict:
    """The newest `addition` message a client received about one addition."""
    return [a for a in client.additions if a["id"] == addition_id][-1]


def test_a_merged_addition_points_at_the_root_and_never_forms_a_chain(evening):
    host, _projector, _phone, (a, b, c, _d) = evening
    ack = host.call("merge_addition", addition=a, into=b)
    assert ack == {"ok": True, "into": b, "moved": []}
    # c into a (which is merged into b) ends up in b's group, not behind a.
    assert host.call("merge_addition", addition=c, into=a)["into"] == b
    # b into c would make a loop: c belongs to b already.
    assert host.call("merge_addition", addition=b, into=c) == {"ok": False, "error": "bad_merge"}
    assert host.call("merge_addition", addition=b, into=b) == {"ok": False, "error": "bad_merge"}
    host.wait_for(lambda: last(host, c)["status"] == "merged", what="c merged")
    assert last(host, a)["merged_into"] == b and last(host, c)["merged_into"] == b
    page = host.call("list_additions", status="merged")
    assert {x["id"]: x["merged_into"] for x in page["additions"]} == {a: b, c: b}
    assert page["counts"]["merged"] == 2


def test_merging_a_group_into_another_moves_the_whole_group_to_the_new_root(evening):
    host, _projector, _phone, (a, b, c, _d) = evening
    assert host.call("merge_addition", addition=a, into=b)["ok"]
    ack = host.call("merge_addition", addition=b, into=c)
    assert ack == {"ok": True, "into": c, "moved": [a]}
    host.wait_for(lambda: last(host, a).get("merged_into") == c, what="a re-pointed to c")
    merged = host.call("list_additions", status="merged")["additions"]
    assert {x["id"]: x["merged_into"] for x in merged} == {a: c, b: c}


def test_a_shown_addition_that_is_merged_leaves_the_beamer(evening):
    host, projector, _phone, (a, b, _c, _d) = evening
    assert host.call("moderate", addition=a, show=True)["ok"]
    projector.wait_for(lambda: [x["id"] for x in projector.state["additions"]] == [a], what="a shown")
    assert host.call("merge_addition", addition=a, into=b)["ok"]
    projector.wait_for(lambda: projector.state["additions"] == [], what="a gone from the beamer")
    gone = last(projector, a)
    assert gone["status"] == "hidden" and "text" not in gone
    host.wait_for(lambda: host.counts and host.counts[-1]["merged"] == 1, what="merged counted")
    assert host.counts[-1]["shown"] == 0


def test_two_hosts_merging_the_same_addition_at_once_get_one_outcome(evening, connect, meeting):
    host, _projector, _phone, (a, b, c, _d) = evening
    other = connect(meeting["code"], "host", meeting["host_key"])
    acks = {}

    def merge(client, name, into):
        acks[name] = client.call("merge_addition", addition=a, into=into)

    # Both into b: both fine, one merge. Then one into c while it is in b's group: refused.
    threads = [threading.Thread(target=merge, args=(h, n, b)) for h, n in ((host, 1), (other, 2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert acks[1]["ok"] and acks[2]["ok"] and acks[1]["into"] == acks[2]["into"] == b
    assert other.call("merge_addition", addition=a, into=c) == {"ok": False, "error": "already_merged"}
    assert host.call("list_additions", status="merged")["counts"]["merged"] == 1


def test_merge_and_promote_of_one_addition_at_once_end_in_one_outcome(evening, connect, meeting):
    host, _projector, _phone, (a, b, _c, _d) = evening
    other = connect(meeting["code"], "host", meeting["host_key"])
    acks = {}
    jobs = [
        lambda: acks.__setitem__("merge", host.call("merge_addition", addition=a, into=b)),
        lambda: acks.__setitem__("promote", other.call("add_theme", title="Bankjes", addition=a)),
    ]
    threads = [threading.Thread(target=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    # Exactly one of the two happened; the other was refused with a slug that says why.
    assert [acks["merge"]["ok"], acks["promote"]["ok"]].count(True) == 1, acks
    status = host.call("list_additions")["additions"][0]["status"]
    if acks["merge"]["ok"]:
        assert acks["promote"]["error"] == "already_merged" and status == "merged"
        assert "Bankjes" not in [t["title"] for t in host.state["themes"]]
    else:
        assert acks["merge"]["error"] == "already_promoted" and status == "promoted"


def test_only_additions_of_this_meeting_can_be_merged(evening, server, connect):
    host, _projector, _phone, (a, _b, _c, _d) = evening
    other = server.create_meeting()
    stranger = connect(other["code"], "host", other["host_key"])
    assert stranger.call("set_phase", phase="recognition")["ok"]
    outsider = connect(other["code"], "phone")
    outsider.wait_for(lambda: outsider.state["phase"] == "recognition", what="phase")
    foreign = outsider.call("addition", theme=1, text="Elders")["addition"]
    assert host.call("merge_addition", addition=a, into=foreign) == {"ok": False, "error": "unknown_addition"}
    assert host.call("merge_addition", addition=a, into=10**6) == {"ok": False, "error": "unknown_addition"}
    assert host.call("merge_addition", addition=a, into="2") == {"ok": False, "error": "unknown_addition"}


def test_a_phone_or_beamer_sending_merge_addition_gets_not_host(evening):
    host, projector, phone, (a, b, _c, _d) = evening
    assert phone.call("merge_addition", addition=a, into=b) == {"ok": False, "error": "not_host"}
    assert projector.call("merge_addition", addition=a, into=b) == {"ok": False, "error": "not_host"}
    assert host.call("list_additions", status="merged")["total"] == 0


def test_showing_a_merged_addition_takes_it_out_of_its_group(evening):
    host, _projector, _phone, (a, b, _c, _d) = evening
    assert host.call("merge_addition", addition=a, into=b)["ok"]
    assert host.call("moderate", addition=a, show=True)["ok"]
    host.wait_for(lambda: last(host, a)["status"] == "shown", what="a shown")
    assert "merged_into" not in last(host, a)
    assert host.call("list_additions", status="merged")["total"] == 0


def test_a_merged_addition_is_not_made_a_theme_and_a_theme_is_not_merged(evening):
    host, _projector, _phone, (a, b, c, _d) = evening
    assert host.call("merge_addition", addition=a, into=b)["ok"]
    assert host.call("add_theme", title="Bankjes", addition=a) == {"ok": False, "error": "already_merged"}
    assert host.call("add_theme", title="Drempels", addition=c)["ok"]
    assert host.call("merge_addition", addition=c, into=b) == {"ok": False, "error": "already_promoted"}
    # Merging into an addition that became a theme is fine: it is the root of the group.
    assert host.call("merge_addition", addition=b, into=c) == {"ok": True, "into": c, "moved": [a]}
