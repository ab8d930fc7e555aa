"""The Redis store's own insides, beyond the contract (which ``test_store_contract.py`` runs over
it): its key layout, what it leaves after an erasure, a second worker's cache, plain threads, and
a server that goes away and comes back. Needs a real Redis (``tests/stores.py``) and, for the
outage tests, a ``redis-server`` binary to start one of its own."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest
import redis
from redis.crc import key_slot
from stores import KINDS, redis_prefix, redis_test_url

from live.domain import Theme
from live.store import HELPER_ACTOR, HOST_ACTOR, Action, StoreUnavailable, open_store
from live.store.redis import RedisStore


@pytest.fixture
def opened(tmp_path):
    """Opens Redis stores on this test's folder (two calls: two workers); clears them after."""
    kind, stores = KINDS["redis"], []

    def open_one():
        stores.append(kind.open(str(tmp_path)))
        return stores[-1]

    yield open_one
    for store in stores:
        kind.close(store)
    kind.drop(str(tmp_path))


def _every_key(tmp_path) -> list[str]:
    client = redis.Redis.from_url(redis_test_url(), decode_responses=True)
    try:
        return list(client.scan_iter(match=f"{redis_prefix(str(tmp_path))}*", count=1000))
    finally:
        client.close()


def _dump(tmp_path) -> str:
    """Every value under this test's prefix, as one text."""
    client = redis.Redis.from_url(redis_test_url(), decode_responses=True)
    out = []
    try:
        for key in _every_key(tmp_path):
            kind = client.type(key)
            read = {"hash": client.hgetall, "set": client.smembers, "string": client.get}
            read |= {"zset": lambda k: client.zrange(k, 0, -1)}
            out.append(f"{key} {read[kind](key)}")
    finally:
        client.close()
    return "\n".join(out)


def _evening(store, code) -> dict:
    """A meeting through every phase with most kinds of action; some of what it made."""
    themes = [Theme(1, "Groen"), Theme(2, "Verkeer"), Theme(3, "Spelen")]
    assert store.create_meeting(code, "Avond", "Dorpshuis", "", themes, "h", "p", "x", "2030-03-12", None)

    def host(kind, msg, **data):
        (ack,) = store.apply([Action(kind, code, HOST_ACTOR, msg, data)])
        assert ack["ok"], (kind, ack)
        return ack

    host("set_phase", "p1", phase="recognition")
    people = [
        a["participant"]
        for a in store.apply(
            [Action("join", code, HOST_ACTOR, "", {"token_hash": f"t{n}"}) for n in range(6)]
        )
    ]
    store.apply(
        [Action("vote", code, p, f"v{t}", {"theme": t, "answer": "yes"}) for p in people for t in (1, 2, 3)]
    )
    added = [
        store.apply([Action("addition", code, p, "a", {"theme": 1, "text": f"Idee van {p}"})])[0]["addition"]
        for p in people[:3]
    ]
    for n, addition in enumerate(added):
        host("moderate", f"m{n}", addition=addition, show=True)
    store.apply([Action("endorse", code, p, "e", {"addition": added[0], "on": True}) for p in people])
    host("addition_hands", "h1", addition=added[1], count=3)
    host("merge_addition", "g1", addition=added[1], into=added[0])
    host("manual_count", "mc", theme=2, answer="no", count=4)
    host("add_theme", "t4", title="Idee", description="", addition=added[2])
    form = {
        "token_hash": "paper-1", "origin": "paper", "votes": {1: "no"},
        "additions": [{"theme": 2, "text": "Papier"}], "choice": None, "pledges": [], "endorse": [added[0]],
    }  # fmt: skip
    (paper,) = store.apply([Action("submit_form", code, HELPER_ACTOR, "f1", form)])
    assert paper["ok"], paper
    host("edit_theme", "cap", theme=1, capacity=2, tables=["A", "B"])
    host("set_phase", "p2", phase="topics")
    store.apply([Action("choose", code, p, "c", {"theme": 1 + n % 3}) for n, p in enumerate(people)])
    store.apply([Action("note", code, people[0], "n", {"theme": 1, "field": "lead", "text": "Ans leidt"})])
    host("merge_themes", "mt", theme=3, into=2)
    host("set_phase", "p3", phase="pledges")
    pledge = {"theme": 1, "role": "lead", "name": "Ans", "email": "ans@example.nl", "phone": "+31612345678"}
    store.apply([Action("pledge", code, people[0], "pl", pledge)])
    return {"people": people, "additions": added}


def test_every_key_of_a_meeting_carries_its_hash_tag_and_sits_in_one_slot(opened, tmp_path):
    store = opened()
    _evening(store, "ACDEF")
    _evening(store, "GHJKM")
    prefix = redis_prefix(str(tmp_path))
    slots: dict[str, set] = {"ACDEF": set(), "GHJKM": set()}
    for key in _every_key(tmp_path):
        if key in {prefix + name for name in ("codes", "secret", "blocks")}:
            continue  # the global keys: never in a script with a meeting's keys
        code = key[len(prefix) + 1 : len(prefix) + 6]
        assert key.startswith(f"{prefix}{{{code}}}:") and code in slots, key
        slots[code].add(key_slot(key.encode()))
    assert all(len(s) == 1 for s in slots.values()), slots
    assert slots["ACDEF"] != slots["GHJKM"]


def test_the_tally_counters_agree_with_a_recount_after_an_evening(opened):
    store = opened()
    made = _evening(store, "ACDEF")
    tally = store.tally("ACDEF")
    exported = store.export_meeting("ACDEF")
    for row in tally["themes"]:
        votes = [v for v in exported["votes"] if v["theme"] == row["theme"]]
        assert row["yes"] == sum(v["answer"] == "yes" for v in votes)
        assert row["no"] == sum(v["answer"] == "no" for v in votes)
        assert row["chosen"] == sum(c["theme"] == row["theme"] for c in exported["choices"])
        assert row["pledged"] == sum(p["theme"] == row["theme"] for p in exported["pledges"])
    assert sum(r["chosen"] for r in tally["themes"]) == len(made["people"])
    assert tally["participants"] == len(exported["participants"]) == 7


def test_erasure_and_deletion_leave_no_copy_in_the_keys(opened, tmp_path):
    store = opened()
    _evening(store, "ACDEF")
    _evening(store, "GHJKM")
    assert "ans@example.nl" in _dump(tmp_path) and "Idee van" in _dump(tmp_path)
    store.set_meeting_dates("ACDEF", "2000-01-01", 0)
    assert store.erase_due(time.time(), 90) > 0
    dumped = "\n".join(line for line in _dump(tmp_path).splitlines() if "{ACDEF}" in line)
    for text in ("ans@example.nl", "+31612345678", '"Ans"', "Idee van", "Papier", "Ans leidt"):
        assert text not in dumped, text
    assert store.delete_meeting("GHJKM") > 0
    assert [k for k in _every_key(tmp_path) if "{GHJKM}" in k] == []
    assert store.deleted("GHJKM") and store.meeting("ACDEF") is not None


def test_another_worker_sees_a_theme_change_through_the_cache(opened):
    first, second = opened(), opened()
    assert first.create_meeting("ACDEF", "Avond", "", "", [Theme(1, "Groen")], "h", "p", "x", "", None)
    assert first.meeting("ACDEF").themes[0].title == "Groen"  # cached by the first worker
    (ack,) = second.apply([Action("edit_theme", "ACDEF", HOST_ACTOR, "e", {"theme": 1, "title": "Bomen"})])
    assert ack == {"ok": True}
    assert first.meeting("ACDEF").themes[0].title == "Bomen"


def test_a_worker_that_starts_leaves_another_workers_import_alone_and_gives_up_an_abandoned_one(tmp_path):
    from stores import redis_prefix, redis_test_url

    from live.store.redis import RedisStore

    def worker(**options):
        return RedisStore(redis_test_url(), prefix=redis_prefix(str(tmp_path)), **options)

    importing = worker()
    try:
        meeting = {"title": "Verhuisd", "phase": "results", "created_at": 1.0}
        assert importing.import_begin("MOVED", meeting, "h", "p", "x")
        importing.import_rows("MOVED", "themes", [{"id": 1, "title": "Groen", "position": 1}])
        worker().close()  # another worker starts meanwhile (the default: STALE_IMPORT)
        importing.import_rows("MOVED", "participants", [{"id": None, "created_at": 1.0}])
        assert importing.import_finish("MOVED") is True
        assert [t.title for t in importing.meeting("MOVED").themes] == ["Groen"]

        assert importing.import_begin("STUCK", meeting, "h", "p", "x")  # its worker then stops
        later = worker(stale_import=0)  # long after: the import is abandoned
        assert later.meeting("STUCK") is None and later.import_begin("STUCK", meeting, "h", "p", "x")
        later.import_abort("STUCK")
        later.close()
    finally:
        importing.close()
        KINDS["redis"].drop(str(tmp_path))


def test_one_store_object_serves_plain_threads_and_the_tally_is_exact(opened):
    store = opened()
    assert store.create_meeting("ACDEF", "Avond", "", "", [Theme(1, "Groen")], "h", "p", "x", "", None)
    store.apply([Action("set_phase", "ACDEF", HOST_ACTOR, "p", {"phase": "recognition"})])
    errors = []

    def phones(n):
        try:
            for b in range(10):
                joins = [
                    Action("join", "ACDEF", HOST_ACTOR, "", {"token_hash": f"{n}-{b}-{i}"}) for i in range(5)
                ]
                people = [a["participant"] for a in store.apply(joins)]
                acks = store.apply(
                    [Action("vote", "ACDEF", p, "v", {"theme": 1, "answer": "yes"}) for p in people]
                )
                assert acks == [{"ok": True}] * 5
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=phones, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[0]
    tally = store.tally("ACDEF")
    assert tally["participants"] == 400 and tally["themes"][0]["yes"] == 400


# -- a server that is not there, or goes away ------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_that_does_not_answer_at_opening_is_unavailable():
    url = f"redis://127.0.0.1:{_free_port()}/0"
    with pytest.raises(StoreUnavailable):
        RedisStore(url, prefix="t:none:", timeout=1)
    with pytest.raises(StoreUnavailable):
        open_store(url, "", prefix="t:none:")


class Server:
    """A ``redis-server`` of the test's own, durable like production (``appendfsync always``)."""

    def __init__(self, folder):
        self.folder, self.port, self.proc = str(folder), _free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self, *extra: str):
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("CI"):
                pytest.fail("redis-server is not installed; .ci/run must install it")
            pytest.skip("no redis-server binary")
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--dir", self.folder]
        args += ["--appendonly", "yes", "--appendfsync", "always", *extra]
        self.proc = subprocess.Popen([binary, *args], stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                if client.ping():  # answered, and done loading its append-only file
                    return
            except redis.AuthenticationError:
                return  # up, and asks for a password
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the test's redis-server did not start")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


@pytest.fixture
def server(tmp_path):
    """A redis-server on a free port, stopped (and resumed, if paused) after the test."""
    own = Server(tmp_path)
    own.start()
    yield own
    if own.proc.poll() is None:
        own.proc.send_signal(signal.SIGCONT)
        own.proc.kill()
        own.proc.wait(10)


def _votes(start, n, msg):
    return [Action("vote", "ACDEF", p, msg, {"theme": 1, "answer": "yes"}) for p in range(start, start + n)]


def _ready(store):
    assert store.create_meeting("ACDEF", "Avond", "", "", [Theme(1, "Groen")], "h", "p", "x", "", None)
    store.apply([Action("set_phase", "ACDEF", HOST_ACTOR, "p", {"phase": "recognition"})])
    joins = [Action("join", "ACDEF", HOST_ACTOR, "", {"token_hash": f"t{n}"}) for n in range(40)]
    return [a["participant"] for a in store.apply(joins)]


def test_a_server_that_goes_away_is_unavailable_and_the_same_store_works_when_it_returns(server):
    store = RedisStore(server.url, prefix="t:outage:", timeout=1)
    people = _ready(store)
    first = people[0]
    assert store.apply(_votes(first, 20, "a")) == [{"ok": True}] * 20
    server.kill()
    with pytest.raises(StoreUnavailable):
        store.apply(_votes(first + 20, 20, "b"))  # no ack for any of it
    with pytest.raises(StoreUnavailable):
        store.tally("ACDEF")
    with pytest.raises(StoreUnavailable):
        store.meeting("ACDEF")
    server.start()  # the same port and append-only file
    assert store.tally("ACDEF")["themes"][0]["yes"] == 20  # every acked vote survived the kill
    assert store.apply(_votes(first + 20, 20, "b")) == [{"ok": True}] * 20  # the phones resend
    tally = store.tally("ACDEF")
    assert tally["themes"][0]["yes"] == 40 and tally["participants"] == 40
    store.close()


def test_a_server_that_stops_answering_times_out_as_unavailable_and_then_recovers(server):
    store = RedisStore(server.url, prefix="t:pause:", timeout=0.5)
    first = _ready(store)[0]
    server.proc.send_signal(signal.SIGSTOP)
    try:
        with pytest.raises(StoreUnavailable):
            store.apply(_votes(first, 10, "a"))
        with pytest.raises(StoreUnavailable):
            store.seq("ACDEF")
    finally:
        server.proc.send_signal(signal.SIGCONT)
    # The batch may have reached Redis before it stopped answering: the resend acts once.
    acks = store.apply(_votes(first, 10, "a"))
    assert [dict(a) for a in acks] == [{"ok": True}] * 10
    assert store.tally("ACDEF")["themes"][0]["yes"] == 10
    assert json.loads(json.dumps(store.seen("ACDEF", first, "a"))) == {"ok": True}
    store.close()


def test_choices_decided_on_a_read_that_moved_are_decided_again_and_seat_exactly_the_capacity(opened):
    first, second = opened(), opened()
    themes = [Theme(1, "Groen"), Theme(2, "Verkeer")]
    assert first.create_meeting("ACDEF", "Avond", "", "", themes, "h", "p", "x", "", None)

    def host(kind, msg, **data):
        (ack,) = first.apply([Action(kind, "ACDEF", HOST_ACTOR, msg, data)])
        assert ack["ok"], ack

    host("edit_theme", "c", theme=1, capacity=30, tables=["A", "B", "C"])
    joins = [Action("join", "ACDEF", HOST_ACTOR, "", {"token_hash": f"t{n}"}) for n in range(120)]
    people = [a["participant"] for a in first.apply(joins)]
    # In one batch: a choice too early (refused), the phase change, and a choice decided on the
    # version before that change: its guard fails, it is read and decided again, and it is seated.
    choose = [Action("choose", "ACDEF", p, "c", {"theme": 1}, ("topics",)) for p in people[:2]]
    refused, _phase, seated = first.apply(
        [choose[0], Action("set_phase", "ACDEF", HOST_ACTOR, "p", {"phase": "topics"}), choose[1]]
    )
    assert refused == {"ok": False, "error": "wrong_phase"} and seated == {"ok": True, "table": "A"}
    errors, acks = [], []

    def storm(store, group):
        try:
            for n in range(0, len(group), 10):
                batch = [
                    Action("choose", "ACDEF", p, "c", {"theme": 1}, ("topics",)) for p in group[n : n + 10]
                ]
                acks.extend(store.apply(batch))
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    threads = [
        threading.Thread(target=storm, args=(store, people[2:][n::4]))
        for n, store in enumerate((first, second, first, second))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[0]
    seated = [a for a in acks if a["ok"]] + [seated]
    assert len(seated) == 30 and all(
        a == {"ok": False, "error": "theme_full", "room": [2]} for a in acks if not a["ok"]
    )
    assert sorted(a["table"] for a in seated) == ["A"] * 10 + ["B"] * 10 + ["C"] * 10  # spread evenly
    assert {r["theme"]: r["chosen"] for r in second.tally("ACDEF")["themes"]} == {1: 30}
    assert first.full_themes("ACDEF") == [1]
    exported = first.export_meeting("ACDEF")
    assert len(exported["choices"]) == 30


def test_open_store_opens_redis_with_a_password_in_the_url_or_as_an_argument(tmp_path):
    own = Server(tmp_path)
    own.start("--requirepass", "geheim")
    try:
        store = open_store(own.url, "", password="geheim", prefix="t:pw:")
        assert isinstance(store, RedisStore) and len(store.secret()) >= 32
        store.close()
        store = open_store(f"redis://:geheim@127.0.0.1:{own.port}/0", "", prefix="t:pw:")
        assert store.meeting("NOPE") is None
        store.close()
        with pytest.raises(StoreUnavailable):
            open_store(own.url, "", prefix="t:pw:")  # no password: refused at opening
        with pytest.raises(StoreUnavailable):
            open_store(own.url, "", password="fout", prefix="t:pw:")
    finally:
        own.proc.kill()
        own.proc.wait(10)
