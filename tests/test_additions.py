"""Additions at any scale: what the host and the beamer receive, and what they show.

Socket tests run against the real server process; what people see runs in Debian's Chromium.
"""

from __future__ import annotations

import json
import threading

import pytest
from conftest import Client, Server


def size(message) -> int:
    """Bytes of a message as JSON, roughly what goes over the wire."""
    return len(json.dumps(message, ensure_ascii=False).encode())


def add_many(url: str, code: str, count: int, phones: int, text="Aanvulling {n}") -> list[int]:
    """Send ``count`` additions through ``phones`` phones at once; returns the acked ids."""
    ids: list[int] = []
    lock = threading.Lock()

    def one_phone(p: int):
        phone = Client(url, code, "phone")
        try:
            for n in range(p, count, phones):
                ack = phone.call("addition", theme=1 + n % 3, text=text.format(n=n))
                assert ack["ok"], ack
                with lock:
                    ids.append(ack["addition"])
        finally:
            phone.close()

    threads = [threading.Thread(target=one_phone, args=(p,)) for p in range(phones)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(ids) == count
    return ids


# -- what goes over the wire ---------------------------------------------------------------


def test_each_new_addition_reaches_the_host_as_one_small_message_and_never_as_a_snapshot(
    server, meeting, connect
):
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    projector = connect(code, "projector", meeting["projector_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    host.wait_for(lambda: host.state["phase"] == "recognition", what="phase")
    projector.wait_for(lambda: projector.state["phase"] == "recognition", what="phase")
    states_before = (len(host.states), len(projector.states))

    ids = add_many(server.url, code, 30, phones=3)
    host.wait_for(lambda: len(host.additions) == 30, what="30 addition messages")
    host.wait_for(lambda: host.counts and host.counts[-1]["total"] == 30, what="counts")

    # One message per addition, with just that addition, and no snapshot at all.
    assert sorted(a["id"] for a in host.additions) == sorted(ids)
    assert all(set(a) == {"id", "theme", "text", "status", "version"} for a in host.additions)
    assert all(a["status"] == "pending" for a in host.additions)
    assert max(size(a) for a in host.additions) < 200
    assert (len(host.states), len(projector.states)) == states_before
    # The counts per status follow, coalesced (at most ten a second), not one per addition.
    assert host.counts[-1] == {
        "version": host.counts[-1]["version"],
        "total": 30,
        "pending": 30,
        "shown": 0,
        "hidden": 0,
    }
    assert len(host.counts) < 30
    # Pending text never reaches the beamer.
    assert projector.additions == []


def test_moderation_reaches_host_and_projector_as_one_change_and_hidden_text_never_reaches_the_beamer(
    server, meeting, connect
):
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    projector = connect(code, "projector", meeting["projector_key"])
    phone = connect(code, "phone")
    assert host.call("set_phase", phase="recognition")["ok"]
    projector.wait_for(lambda: projector.state["phase"] == "recognition", what="phase")
    first = phone.call("addition", theme=2, text="Een zebrapad bij de school")["addition"]
    second = phone.call("addition", theme=2, text="Niet voor de beamer")["addition"]
    host.wait_for(lambda: len(host.additions) == 2, what="two additions")
    states_before = (len(host.states), len(projector.states))

    assert host.call("moderate", addition=first, show=True) == {"ok": True}
    shown = projector.wait_for(lambda: projector.additions, what="shown on the beamer")[0]
    assert {k: shown[k] for k in ("id", "theme", "text", "status")} == {
        "id": first,
        "theme": 2,
        "text": "Een zebrapad bij de school",
        "status": "shown",
    }
    host.wait_for(lambda: host.additions[-1]["status"] == "shown", what="host hears it too")

    assert host.call("moderate", addition=first, show=False) == {"ok": True}
    assert host.call("moderate", addition=second, show=False) == {"ok": True}
    projector.wait_for(lambda: len(projector.additions) == 3, what="two notices")
    assert [(a["id"], a["status"]) for a in projector.additions[1:]] == [
        (first, "hidden"),
        (second, "hidden"),
    ]
    assert all("text" not in a for a in projector.additions[1:])
    assert projector.state["additions"] == []
    host.wait_for(lambda: host.counts and host.counts[-1]["hidden"] == 2, what="counts")
    assert (len(host.states), len(projector.states)) == states_before


def test_a_reconnecting_projector_gets_only_shown_additions(server, meeting, connect):
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    phone = connect(code, "phone")
    assert host.call("set_phase", phase="recognition")["ok"]
    ids = [phone.call("addition", theme=1, text=f"Idee {n}")["addition"] for n in range(4)]
    assert host.call("moderate", addition=ids[1], show=True)["ok"]
    assert host.call("moderate", addition=ids[2], show=True)["ok"]
    assert host.call("moderate", addition=ids[2], show=False)["ok"]
    projector = connect(code, "projector", meeting["projector_key"])
    assert [(a["id"], a["text"]) for a in projector.state["additions"]] == [(ids[1], "Idee 1")]


# -- thousands of additions ------------------------------------------------------------------


@pytest.fixture(scope="module")
def busy(tmp_path_factory):
    """A server of its own whose phones may send fast, with one meeting of 2,000 additions and a
    host that was connected all along."""
    srv = Server(tmp_path_factory.mktemp("busy"), env={"PHONE_RATE_LIMIT": "100000/minute"}).start()
    meeting = srv.create_meeting()
    host = Client(srv.url, meeting["code"], "host", meeting["host_key"])
    try:
        assert host.call("set_phase", phase="recognition")["ok"]
        host.wait_for(lambda: host.state["phase"] == "recognition", what="phase")
        ids = add_many(srv.url, meeting["code"], 2000, phones=8, text="Aanvulling nummer {n} " + "x" * 60)
        host.wait_for(lambda: len(host.additions) == 2000, timeout=30, what="2,000 additions")
        host.wait_for(lambda: host.counts and host.counts[-1]["total"] == 2000, what="counts")
        yield srv, meeting, host, sorted(ids)
    finally:
        host.close()
        srv.stop()


def test_a_host_present_during_2000_additions_got_2000_small_messages_and_no_snapshots(busy):
    _, _, host, ids = busy
    assert len(host.states) == 2  # the connect snapshot and the phase change
    assert sorted(a["id"] for a in host.additions) == ids
    assert sum(size(a) for a in host.additions) < 2000 * 200


def test_with_2000_additions_the_host_snapshot_stays_small_and_says_how_many_there_are(busy):
    srv, meeting, _, ids = busy
    host = Client(srv.url, meeting["code"], "host", meeting["host_key"])
    try:
        state = host.state
        assert size(state) < 16_000
        assert [a["id"] for a in state["additions"]] == ids[:50]
        assert state["additions_total"] == 2000
        assert state["additions_counts"] == {"pending": 2000, "shown": 0, "hidden": 0}
    finally:
        host.close()


def test_the_host_pages_through_2000_additions_newest_or_oldest_first(busy):
    _, _, host, ids = busy

    def page(**query):
        ack = host.call("list_additions", query)
        assert ack["ok"], ack
        assert ack["total"] == 2000
        return [a["id"] for a in ack["additions"]]

    assert page(order="newest", offset=0, limit=100) == ids[::-1][:100]
    assert page(order="newest", offset=1950, limit=100) == ids[::-1][1950:]
    assert page(order="oldest", offset=0, limit=100) == ids[:100]
    assert page(order="oldest", offset=700, limit=25) == ids[700:725]
    assert page(order="oldest", offset=2000, limit=10) == []
    everything = []
    for offset in range(0, 2000, 100):
        everything += page(order="newest", offset=offset, limit=100)
    assert everything == ids[::-1]


def test_the_host_pages_one_status_at_a_time(busy):
    _, _, host, ids = busy
    chosen = [ids[5], ids[1500], ids[1999]]
    for addition in chosen:
        assert host.call("moderate", addition=addition, show=True) == {"ok": True}
    ack = host.call("list_additions", {"order": "newest", "offset": 0, "limit": 10, "status": "shown"})
    assert ack["ok"] and ack["total"] == 3
    assert [a["id"] for a in ack["additions"]] == chosen[::-1]
    assert ack["counts"] == {"pending": 1997, "shown": 3, "hidden": 0}
    for addition in chosen:
        assert host.call("moderate", addition=addition, show=False) == {"ok": True}


@pytest.mark.parametrize(
    "query",
    [
        None,
        [],
        {"order": "sideways"},
        {"limit": 101},
        {"limit": 0},
        {"offset": -1},
        {"offset": "10"},
        {"limit": True},
        {"status": "secret"},
    ],
)
def test_a_bad_page_request_gets_a_clean_refusal(meeting, connect, query):
    host = connect(meeting["code"], "host", meeting["host_key"])
    assert host.sio.call("list_additions", query, timeout=10) == {"ok": False, "error": "bad_payload"}


def test_only_the_host_may_page_through_additions(meeting, connect):
    phone = connect(meeting["code"], "phone")
    projector = connect(meeting["code"], "projector", meeting["projector_key"])
    for client in (phone, projector):
        assert client.sio.call("list_additions", {}, timeout=10) == {"ok": False, "error": "not_host"}
