"""A meeting file must not stop the server: the import, and the smaller doors beside it.

Each test here is an attack (or its honest twin) from outside, against a real ``python -m live``:
imports while phones vote, imports past every limit of creating, a deleted meeting's code, times
in other digits, formulas behind Unicode spaces, and request bodies that trickle in. The writer's
own health (a dead or stalled writer is never a silent zombie) is checked on the real ``Writer``.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from conftest import Client, api, get, own_server

from live.exports import archive, looks_like_formula
from live.store import Action
from live.store.sqlite import SQLiteStore
from live.writer import Writer

IMPORT = "/api/meetings/import"


def _bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def big_evening(people: int = 2000, themes: int = 8, code: str = "HTCKM") -> dict:
    """An export file as docs/export.md describes it: ``people`` participants who each answered
    every theme, chose one, and one in ten pledged; some additions, one merged into another."""
    archive = {
        "format": "burgerkracht-live/meeting",
        "version": 1,
        "meeting": {"code": code, "title": "Sporthal", "place": "", "date": "", "phase": "results"},
        "themes": [{"id": t, "title": f"Thema {t}", "description": ""} for t in range(1, themes + 1)],
        "participants": [{"id": 100 + p, "created_at": 1.0, "origin": "phone"} for p in range(people)],
        "votes": [
            {"participant": 100 + p, "theme": t, "answer": ("yes", "partly", "no")[(p + t) % 3]}
            for p in range(people)
            for t in range(1, themes + 1)
        ],
        "choices": [{"participant": 100 + p, "theme": 1 + p % themes, "seat": 0} for p in range(people)],
        "pledges": [
            {
                "participant": 100 + p,
                "theme": 1 + p % themes,
                "role": "member",
                "name": f"Naam {p}",
                "email": f"mens{p}@example.org",
                "phone": "",
                "consent_at": 1.0,
                "contact_by": "email",
                "share": 1,
            }
            for p in range(0, people, 10)
        ],  # fmt: skip
        "notes": [],
        "additions": [
            {
                "id": 7,
                "participant": 100,
                "theme": 1,
                "text": "Drempels",
                "status": "shown",
                "created_at": 1.0,
            },
            {
                "id": 9,
                "participant": 101,
                "theme": 1,
                "text": "Ook drempels",
                "status": "merged",
                "created_at": 2.0,
                "merged_into": 7,
            },
        ],  # fmt: skip
        "manual_counts": [],
    }
    return archive


def post(server, path: str, body: bytes, headers: dict | None = None, timeout: float = 30):
    """(status, parsed JSON) for a raw body."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(server.url + path, data=body, headers={"Content-Type": "application/json",
                                                                         **(headers or {})})  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


# -- the writer thread and its health ---------------------------------------------------------------


def test_imports_exports_and_deletes_while_phones_vote_never_stop_the_writer(tmp_path):
    """On main before this change one 2,000-participant import while five phones voted killed the
    writer thread for good (3 of 3 times), and /healthz still said ok."""
    with own_server(tmp_path, PHONE_RATE_LIMIT="1000/second") as srv:
        made = srv.create_meeting()
        phones = [Client(srv.url, made["code"], "phone") for _ in range(5)]
        host = Client(srv.url, made["code"], "host", made["host_key"])
        assert host.call("set_phase", phase="recognition")["ok"]
        stop, failures, acks = threading.Event(), [], [0]

        def vote(phone, n):
            i = 0
            while not stop.is_set():
                i += 1
                ack = phone.call("vote", id=f"v{n}-{i}", theme=1 + i % 3, answer=("yes", "no")[i % 2])
                if ack.get("ok"):
                    acks[0] += 1
                else:
                    failures.append(ack)
                # A page reading at the same moment is what broke the writer's thread.
                get(f"{srv.url}/{made['code']}/beamer", _bearer(made["host_key"]))

        voters = [threading.Thread(target=vote, args=(p, n), daemon=True) for n, p in enumerate(phones)]
        for t in voters:
            t.start()
        try:
            body = json.dumps(big_evening()).encode()
            imported = []
            for _ in range(2):
                status, keys = post(srv, IMPORT, body)
                assert status == 201, keys
                imported.append(keys)
                # Export it and delete it again, while the votes go on.
                status, _, raw = get(f"{srv.url}/{keys['code']}/bijeenkomst.json", _bearer(keys["host_key"]))
                assert status == 200 and len(json.loads(raw)["participants"]) == 2000
        finally:
            stop.set()
            for t in voters:
                t.join(20)
        assert not failures, failures[:3]
        assert acks[0] > 0
        status, _, health = get(srv.url + "/healthz")
        assert status == 200 and json.loads(health) == {"ok": True}
        # Still saving: a new phone joins and votes, a new meeting is made.
        late = Client(srv.url, made["code"], "phone")
        assert late.call("vote", id="late", theme=1, answer="yes")["ok"]
        assert srv.create_meeting()["code"]
        # The merged addition points into its own meeting's copy, never at another meeting's.
        keys = imported[-1]
        status, _, raw = get(f"{srv.url}/{keys['code']}/bijeenkomst.json", _bearer(keys["host_key"]))
        additions = json.loads(raw)["additions"]
        root, merged = additions
        assert merged["merged_into"] == root["id"] and merged["status"] == "merged"
        for c in (*phones, host, late):
            c.close()
        assert "Traceback" not in srv.log()


def test_the_writer_thread_never_reads_through_the_event_loops_connection(tmp_path):
    """The read connection's lock is the event loop's: from the writer's thread it is refused
    loudly (a test fails) instead of killing the thread."""
    # SQLite-specific: its read connection and the lock that guards it.
    store = SQLiteStore(str(tmp_path))
    writer = Writer(store, spawn=lambda fn: threading.Thread(target=fn, daemon=True).start(),
                    offload=lambda fn, *args: fn(*args))  # fmt: skip
    try:
        with pytest.raises(RuntimeError, match="writer's thread"):
            writer.call(store.meeting, "ABCDE")
        assert store.meeting("ABCDE") is None  # the event loop's own reads still work
        assert writer.health(5)
    finally:
        store.close()


def test_a_writer_that_stalls_or_dies_is_reported_and_ends_the_process(stores):
    store = stores()
    release = threading.Event()

    def stuck(fn, *args):
        release.wait(10)
        return fn(*args)

    spawn = lambda fn: threading.Thread(target=fn, daemon=True).start()  # noqa: E731
    stalled = Writer(store, spawn=spawn, offload=stuck)
    reasons = []
    watcher = threading.Thread(target=stalled.watch, args=(0.4, time.sleep, reasons.append), daemon=True)
    watcher.start()
    threading.Thread(target=stalled.submit, args=(Action("join", "ABCDE", 0, "", {"token_hash": "x"}),),
                     daemon=True).start()  # fmt: skip
    assert not stalled.health(0.3)  # /healthz: 503 writer_stalled
    watcher.join(5)
    assert reasons and "finished nothing" in reasons[0]
    release.set()

    def dies(fn, *args):
        raise SystemExit("the thread pool is gone")

    dead = Writer(store, spawn=spawn, offload=dies)
    with pytest.raises(RuntimeError, match="stopped"):
        dead.call(store.secret)
    reasons.clear()
    dead.watch(0.4, time.sleep, reasons.append)
    assert reasons and "stopped" in reasons[0]
    assert not dead.health(0.1)


# -- the import, bounded like creating ----------------------------------------------------------------


def test_an_import_is_refused_on_key_and_rate_before_its_body_is_read(tmp_path):
    """A 32 MiB body used to be parsed on the event loop before the organiser key was checked."""
    with own_server(tmp_path, ORGANISER_KEY="geheim-woord") as srv:
        for headers in ({}, _bearer("fout")):
            # Only the first mebibyte of a 32 MiB body is sent: the answer comes anyway.
            answer = _partial_post(srv, IMPORT, 32 * 1024 * 1024, 1024 * 1024, headers)
            assert answer.startswith(b"HTTP/1.1 403"), answer[:200]
            assert b"organiser_key_required" in answer
        # With the key, a body over the import's limit is refused by its length alone.
        answer = _partial_post(srv, IMPORT, 32 * 1024 * 1024, 1024 * 1024, _bearer("geheim-woord"))
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert b"too_large" in answer
    with own_server(tmp_path, CREATE_RATE_LIMIT="2/minute") as srv:
        body = json.dumps(big_evening(people=3)).encode()
        assert post(srv, IMPORT, body)[0] == 201
        assert post(srv, IMPORT, body)[0] == 201
        answer = _partial_post(srv, IMPORT, 8 * 1024 * 1024, 64 * 1024, {})
        assert answer.startswith(b"HTTP/1.1 429"), answer[:200]


def _partial_post(server, path: str, length: int, send: int, headers: dict) -> bytes:
    """Announce a body of ``length`` bytes, send only ``send`` of them, and read the answer."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=15)
    try:
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/json\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        head += f"Content-Length: {length}\r\n\r\n"
        sock.sendall(head.encode())
        try:
            sock.sendall(b"{" + b" " * (send - 1))
        except OSError:
            pass  # closed early: the answer is already there
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and b"}" in chunks[-1]:
                break
        return b"".join(chunks)
    finally:
        sock.close()


def test_an_import_keeps_the_limits_and_the_text_cleaning_of_creating(server):
    base = big_evening(people=4)
    too_many = {**base, "themes": [{"id": t, "title": f"T{t}", "description": ""} for t in range(1, 42)]}
    assert post(server, IMPORT, json.dumps(too_many).encode())[1]["error"] == "too_many_themes"
    # Removed themes count for the rows, not for the themes in use: a real evening's history imports.
    removed = [{"id": t, "title": f"Weg {t}", "description": "", "removed": 1} for t in range(20, 60)]
    status, made = post(server, IMPORT, json.dumps({**base, "themes": base["themes"] + removed}).encode())
    assert status == 201, made
    rows = [{"id": t, "title": f"T{t}", "description": "", "removed": 1} for t in range(100, 300)]
    assert post(server, IMPORT, json.dumps({**base, "themes": base["themes"] + rows}).encode())[0] == 400
    long_title = {**base, "themes": [{"id": 1, "title": "x" * 5000, "description": ""}]}
    assert post(server, IMPORT, json.dumps(long_title).encode())[1]["error"] == "text_too_long"
    long_text = {**base, "additions": [{**base["additions"][0], "text": "y" * 10_000}]}
    assert post(server, IMPORT, json.dumps(long_text).encode())[1]["error"] == "text_too_long"
    crowd = {**base, "participants": [{"id": n, "created_at": 1.0} for n in range(20_001)]}
    assert post(server, IMPORT, json.dumps(crowd).encode())[1]["error"] == "too_many_rows"
    unknown = {**base, "themes": [{**base["themes"][0], "evil": 1}, *base["themes"][1:]]}
    assert post(server, IMPORT, json.dumps(unknown).encode())[1]["error"] == "bad_payload"
    # NUL and bidi overrides leave as they would when typed.
    dirty = {**base, "themes": [{"id": 1, "title": "Gr\u0000oen\u202e in de wijk", "description": "\u2066a"}]}
    status, made = post(server, IMPORT, json.dumps(dirty).encode())
    assert status == 201, made
    state = Client(server.url, made["code"], "host", made["host_key"])
    try:
        assert state.state["themes"][0]["title"] == "Groen in de wijk"
        assert state.state["themes"][0]["description"] == "a"
    finally:
        state.close()


def test_a_version_2_file_keeps_the_same_limits_and_cleaning(server):
    """The same evening in version 2's words (docs/export.md): the limits and the cleaning of
    version 1 hold for it too, and a reference to nobody is refused before anything is written."""
    base = json.loads(archive.meeting_json(big_evening(people=4)))
    assert base["version"] == 2
    status, made = post(server, IMPORT, json.dumps(base).encode())
    assert status == 201, made
    many = [{"id": t, "title": f"T{t}"} for t in range(1, 42)]
    assert (
        post(server, IMPORT, json.dumps({**base, "themes": many}).encode())[1]["error"] == "too_many_themes"
    )
    crowd = {**base, "participants": [{"id": n, "origin": "phone"} for n in range(1, 20_002)]}
    assert post(server, IMPORT, json.dumps(crowd).encode())[1]["error"] == "too_many_rows"
    long_text = {**base, "additions": [{**base["additions"][0], "text": "y" * 10_000}, base["additions"][1]]}
    assert post(server, IMPORT, json.dumps(long_text).encode())[1]["error"] == "text_too_long"
    unknown = {**base, "themes": [{**base["themes"][0], "evil": 1}, *base["themes"][1:]]}
    assert post(server, IMPORT, json.dumps(unknown).encode())[1]["error"] == "bad_payload"
    nobody = {**base, "answers": [*base["answers"], {"participant": 10**9, "theme": 1, "answer": "yes"}]}
    assert post(server, IMPORT, json.dumps(nobody).encode())[1]["error"] == "bad_payload"
    dirty = {
        **base,
        "themes": [{**base["themes"][0], "title": "Gr\u0000oen\u202e in de wijk"}, *base["themes"][1:]],
    }
    status, made = post(server, IMPORT, json.dumps(dirty).encode())
    assert status == 201, made
    state = Client(server.url, made["code"], "host", made["host_key"])
    try:
        assert state.state["themes"][0]["title"] == "Groen in de wijk"
    finally:
        state.close()


def test_a_crowded_import_is_refused_whole_and_leaves_nothing(server):
    """A file that fails half-way (a vote pointing at nobody) leaves no meeting behind, under its
    own code or any other."""
    broken = big_evening(people=1200, code="MXQRT")
    broken["votes"].append({"participant": 10**9, "theme": 1, "answer": "yes"})
    status, refused = post(server, IMPORT, json.dumps(broken).encode())
    assert status == 400 and refused["error"] == "bad_payload"
    assert get(f"{server.url}/MXQRT")[0] == 404
    status, made = post(server, IMPORT, json.dumps(big_evening(people=3, code="MXQRT")).encode())
    assert status == 201 and made["code"] == "MXQRT"


# -- codes are never given out twice ------------------------------------------------------------------


def test_a_deleted_meetings_code_is_never_given_out_again(server):
    made = server.create_meeting()
    code, key = made["code"], made["host_key"]
    status, _, raw = get(f"{server.url}/{code}/bijeenkomst.json", _bearer(key))
    assert status == 200
    import urllib.request

    req = urllib.request.Request(
        f"{server.url}/{code}/verwijderen", data=f"confirm={code}".encode(),
        headers={**_bearer(key), "Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200
    # The import asks for the old code and gets another one: old links and QR codes stay dead.
    status, again = post(server, IMPORT, raw)
    assert status == 201 and again["code"] != code
    for path in (f"/{code}", f"/{code}/beamer", f"/join?code={code.lower()}"):
        status, _, page = get(server.url + path)
        assert status == 410, path
        assert b"Deze bijeenkomst bestaat niet meer" in page
    status, _, _ = get(f"{server.url}/{code}/host", _bearer(again["host_key"]))
    assert status == 410


# -- the smaller doors --------------------------------------------------------------------------------


def test_a_time_in_other_digits_is_refused_and_never_a_server_error(server):
    made = server.create_meeting()
    import urllib.error
    import urllib.parse
    import urllib.request

    for odd in ("١٩:٣٠", "𝟏𝟗:𝟑𝟎", "１９:３０"):
        form = urllib.parse.urlencode({"date": "2026-03-12", "time": odd, "place": "Dorpshuis"}).encode()
        req = urllib.request.Request(
            f"{server.url}/{made['code']}/werkgroep/1", data=form,
            headers={**_bearer(made["host_key"]), "Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req, timeout=10)
        assert refused.value.code == 400, odd
    status, _, _ = get(f"{server.url}/{made['code']}/werkgroep/1/afspraak.ics", _bearer(made["host_key"]))
    assert status == 404  # no meeting was set
    # An imported follow-up meeting is checked the same way.
    archive = big_evening(people=2)
    archive["themes"][0]["follow_up"] = json.dumps({"date": "2026-03-12", "time": "𝟏𝟗:𝟑𝟎", "place": ""})
    assert post(server, IMPORT, json.dumps(archive).encode())[1]["error"] == "bad_time"
    archive["themes"][0]["follow_up"] = json.dumps({"date": "2026-03-12", "time": "19.30", "place": "Zaal"})
    status, made = post(server, IMPORT, json.dumps(archive).encode())
    assert status == 201
    status, _, ics = get(f"{server.url}/{made['code']}/werkgroep/1/afspraak.ics", _bearer(made["host_key"]))
    assert status == 200 and b"T193000" in ics


@pytest.mark.parametrize("space", ["\u00a0", "\u3000", "\u2007", "\u200b", "\ufeff", " \u00a0 "])
def test_every_unicode_space_before_a_formula_character_is_seen(space):
    for start in ("=", "+", "-", "@"):
        assert looks_like_formula(f"{space}{start}HYPERLINK(1)")
    assert not looks_like_formula(f"{space}Jan")


def test_an_imported_name_behind_a_unicode_space_is_inert_in_the_csv(server):
    archive = big_evening(people=2)
    archive["pledges"][0]["name"] = '\u3000=HYPERLINK("x")'
    status, made = post(server, IMPORT, json.dumps(archive).encode())
    assert status == 201, made
    _, _, raw = get(f"{server.url}/{made['code']}/werkgroepen.csv", _bearer(made["host_key"]))
    text = raw.decode("utf-8-sig")
    assert "'\u3000=HYPERLINK" in text or "'=HYPERLINK" in text, text[:300]


def test_request_bodies_that_trickle_in_cannot_take_every_slot(tmp_path):
    """Clients that send a body one byte every few seconds used to hold their connection for as
    long as they liked; enough of them and nobody else got in. Now each body has a deadline
    (``MIN_BODY_RATE`` after ``REQUEST_TIMEOUT``), and past a budget of bodies in flight the
    slowest is cut for a new one."""
    with own_server(tmp_path, MAX_CONNECTIONS="40", REQUEST_TIMEOUT="3") as srv:
        tricklers = []
        for _ in range(38):
            sock = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
            sock.sendall(
                f"POST /api/meetings HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: 200000\r\n\r\n{{".encode()
            )
            tricklers.append(sock)
        stop = threading.Event()

        def trickle():
            while not stop.wait(1.0):
                for sock in tricklers:
                    try:
                        sock.send(b" ")
                    except OSError:
                        pass

        feeder = threading.Thread(target=trickle, daemon=True)
        feeder.start()
        try:
            started = time.monotonic()
            status, made = api(srv.url + "/api/meetings", {"title": "Avond", "themes": ["A"]})
            # Served while the tricklers still trickle (before: never, until they stopped).
            assert status == 201, made
            assert time.monotonic() - started < 25
            # Each trickler's connection was closed by the server, not by the test.
            time.sleep(0.5)
            closed = 0
            for sock in tricklers:
                sock.settimeout(0.5)
                try:
                    answer = sock.recv(4096)
                except OSError:
                    answer = b"?"
                closed += answer == b"" or answer.startswith(b"HTTP/1.1 400")
            assert closed >= len(tricklers) // 2
        finally:
            stop.set()
            feeder.join(5)
            for sock in tricklers:
                sock.close()
        assert "Traceback" not in srv.log()
