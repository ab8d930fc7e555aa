"""The per-meeting sequence every store hands out (``stores``: each kind in ``tests/stores.py``):
it only grows, once per batch that changed the meeting, is read with the counts, and survives a
restart."""

from __future__ import annotations

import time

from live.domain import Theme
from live.store import HOST_ACTOR, Action
from live.store.sqlite import SQLiteStore


def _meeting(store, code="ACDEF"):
    assert store.create_meeting(
        code, "Avond", "", "", [Theme(1, "Groen"), Theme(2, "Verkeer")], "h", "p", "x", "", None
    )
    store.apply([Action("set_phase", code, HOST_ACTOR, "", {"phase": "recognition"})])
    return code


def _join(store, code, token) -> int:
    (ack,) = store.apply([Action("join", code, HOST_ACTOR, "", {"token_hash": token})])
    return ack["participant"]


def test_a_batch_of_votes_bumps_the_sequence_once_per_meeting_it_changed(stores):
    store = stores()
    a, b = _meeting(store, "ACDEF"), _meeting(store, "GHJKM")
    people = [_join(store, a, f"t{n}") for n in range(3)]
    before_a, before_b = store.seq(a), store.seq(b)
    assert before_a >= 1 and before_b >= 1
    votes = [Action("vote", a, p, f"v{p}", {"theme": 1, "answer": "yes"}) for p in people]
    store.apply(votes)
    assert store.seq(a) == before_a + 1
    assert store.seq(b) == before_b  # another meeting's batch leaves it alone
    tally = store.tally(a)
    assert tally["seq"] == store.seq(a) and tally["themes"][0]["yes"] == 3


def test_a_replay_or_a_refusal_does_not_move_the_sequence(stores):
    store = stores()
    code = _meeting(store)
    pid = _join(store, code, "tok")
    store.apply([Action("vote", code, pid, "m1", {"theme": 1, "answer": "no"})])
    seq = store.seq(code)
    store.apply([Action("vote", code, pid, "m1", {"theme": 1, "answer": "no"})])  # a resend
    store.apply([Action("choose", code, pid, "m2", {"theme": 1}, phases=("topics",))])  # wrong phase
    assert store.seq(code) == seq


def test_additions_endorsements_and_joins_move_the_sequence_and_the_page_carries_it(stores):
    store = stores()
    code = _meeting(store)
    seq = store.seq(code)
    pid = _join(store, code, "tok")
    assert store.seq(code) == seq + 1
    (added,) = store.apply([Action("addition", code, pid, "a1", {"theme": 1, "text": "Meer bankjes"})])
    store.apply([Action("moderate", code, HOST_ACTOR, "h1", {"addition": added["addition"], "show": True})])
    store.apply([Action("endorse", code, pid, "e1", {"addition": added["addition"], "on": True})])
    assert store.seq(code) == seq + 4
    page = store.additions_page(code, limit=0)
    assert page["seq"] == seq + 4 and page["counts"]["shown"] == 1


def test_the_sequence_survives_a_restart_and_an_erasure_moves_it_in_every_store(stores):
    store = stores()
    code = _meeting(store)
    pid = _join(store, code, "tok")
    store.apply([Action("addition", code, pid, "a1", {"theme": 1, "text": "Meer bankjes"})])
    seq = store.seq(code)
    stores.close(store)
    store = stores()
    assert store.seq(code) == seq
    store.set_meeting_dates(code, "2000-01-01", 0)
    assert store.erase_due(time.time(), 90) == 1
    assert store.seq(code) == seq + 1
    assert store.seq("ZZZZZ") == 0 and store.tally("ZZZZZ")["seq"] == 0


def test_the_sequence_survives_a_restart_and_an_erasure_moves_it(tmp_path):
    # SQLite-specific: ``purge_contacts`` (by creation time) is a test hook of the SQLite store.
    store = SQLiteStore(str(tmp_path))
    code = _meeting(store)
    pid = store.join(code, "tok")
    store.apply([Action("addition", code, pid, "a1", {"theme": 1, "text": "Meer bankjes"})])
    seq = store.seq(code)
    store.close()
    store = SQLiteStore(str(tmp_path))
    assert store.seq(code) == seq
    assert store.purge_contacts(time.time() + 1) == 1
    assert store.seq(code) == seq + 1
    assert store.seq("ZZZZZ") == 0 and store.tally("ZZZZZ")["seq"] == 0
    store.close()


def test_an_imported_meeting_starts_its_sequence_at_one_or_more(stores):
    store = stores()
    code = _meeting(store)
    _join(store, code, "tok")
    archive = store.export_meeting(code)
    assert "seq" not in archive["meeting"]  # the store's bookkeeping, not part of the meeting
    meeting = {k: v for k, v in archive["meeting"].items() if k != "code"}
    assert store.import_begin("NPQRT", meeting, "h", "p", "")
    store.import_rows("NPQRT", "themes", archive["themes"])
    assert store.import_finish("NPQRT")
    assert store.seq("NPQRT") >= 1


def test_screens_get_tallies_ordered_by_the_stores_sequence_and_the_last_one_counts_every_vote(
    meeting, connect
):
    host = connect(meeting["code"], "host", meeting["host_key"])
    projector = connect(meeting["code"], "projector", meeting["projector_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    phones = [connect(meeting["code"], "phone") for _ in range(6)]
    for n, phone in enumerate(phones):
        for theme in (1, 2, 3):
            assert phone.call("vote", theme=theme, answer=("yes", "partly", "no")[(n + theme) % 3])["ok"]

    def counted(client):
        rows = client.tally["themes"] if client.tally else []
        return sum(r["answered"] for r in rows) == 18

    host.wait_for(lambda: counted(host), what="every vote on the host")
    projector.wait_for(lambda: counted(projector), what="every vote on the beamer")
    for client in (host, projector):
        seqs = [t["seq"] for t in client.tallies]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs  # each newer than the last
        assert client.tallies[-1]["seq"] > client.states[0]["tally"]["seq"]
