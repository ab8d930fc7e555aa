"""Abuse of the transport and the listener, against the real server process: huge bodies, deep
nesting, websocket floods, idle half-requests, sessions that never join, a second server on the
same port, and the headers on every response.

Guards: live/guard/ (wired in live/app.py and live/__main__.py). Each test was seen to fail
with its guard removed.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import subprocess
import threading
import time

import pytest
import socketio
import websocket
from conftest import ROOT, Client, get, open_page, own_server, server_command
from playwright.sync_api import expect

ATTACKER = "127.0.0.2"  # another loopback address: the attack's address is not the phone's
PROMPT = 2.0  # generous: an answer within this while an attack runs means nobody was stalled


def raw_socket(server):
    """A bare websocket speaking Engine.IO 4 by hand, after the open packet."""
    url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(url, origin=server.url, timeout=5)
    assert ws.recv().startswith("0")
    return ws


def raw_phone(server, code: str):
    """A bare websocket joined to a meeting as a phone."""
    ws = raw_socket(server)
    ws.send("40" + json.dumps({"code": code, "role": "phone"}))
    while (answer := ws.recv()).startswith("42"):
        pass
    assert answer.startswith("40"), answer
    return ws


def ack(ws, number: int, timeout: float = 5.0):
    """The acknowledgement with this number, answering pings meanwhile; None if none came."""
    ws.settimeout(timeout)
    prefix = f"43{number}["
    try:
        while not (message := ws.recv()).startswith(prefix):
            if message == "2":
                ws.send("3")
    except (websocket.WebSocketTimeoutException, TimeoutError):
        return None
    return json.loads(message[len(prefix) - 1 :])[0]


def voting_room(server):
    """A fresh meeting in the recognition phase, with its host and one bystander phone."""
    meeting = server.create_meeting()
    host = Client(server.url, meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    return meeting, host, Client(server.url, meeting["code"], "phone")


def prompt_vote(phone, theme=1) -> float:
    """Seconds a vote took to be acknowledged (it must be acknowledged at all)."""
    started = time.monotonic()
    assert phone.call("vote", theme=theme, answer="yes") == {"ok": True}
    return time.monotonic() - started


def prompt_health(server) -> float:
    """Seconds /healthz took to answer (it must answer)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=PROMPT * 2) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 200")
    return time.monotonic() - started


def http_from(address: str, server, method: str, path: str, **kwargs):
    """One request from the given source address; returns (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10, source_address=(address, 0))
    try:
        conn.request(method, path, headers={"Host": f"127.0.0.1:{server.port}"}, **kwargs)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# -- 1. one big request ----------------------------------------------------------------------


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_huge_body_is_refused_unread_while_votes_and_health_checks_go_on(server, framing):
    meeting, host, phone = voting_room(server)
    size = 32 * 1024 * 1024
    head = "POST /api/meetings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    head += f"Content-Length: {size + 13}\r\n\r\n" if framing == "content-length" else (
        "Transfer-Encoding: chunked\r\n\r\n")  # fmt: skip
    attack = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    sent, answered = threading.Event(), {}

    def send_body():
        chunk = b"a" * (1024 * 1024)
        try:
            attack.sendall(head.encode())
            parts = [b'{"title": "'] + [chunk] * 32 + [b'"}']
            for part in parts:
                attack.sendall(part if framing == "content-length" else b"%x\r\n%s\r\n" % (len(part), part))
            if framing == "chunked":
                attack.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server closed the connection: that is the refusal
        sent.set()

    def read_answer():
        try:
            answered["head"] = attack.recv(4096)
        except OSError as err:
            answered["head"] = repr(err).encode()
        sent.set()

    threads = [threading.Thread(target=send_body), threading.Thread(target=read_answer)]
    try:
        for t in threads:
            t.start()
        assert sent.wait(30)
        # The body is on its way or refused: everyone else is served as usual meanwhile.
        assert prompt_health(server) < PROMPT
        assert prompt_vote(phone) < PROMPT
        for t in threads:
            t.join(30)
        assert answered["head"].startswith(b"HTTP/1.1 413"), answered["head"][:200]
        assert b'"error":"too_large"' in answered["head"]
    finally:
        attack.close()
        phone.close()
        host.close()


def test_a_start_form_beyond_any_real_size_gets_a_dutch_page_and_the_largest_real_one_passes(server):
    too_big = "title=Avond&themes=" + "a" * (300 * 1024)
    status, headers, body = post(server.url + "/", too_big.encode(), "application/x-www-form-urlencoded")
    assert status == 413 and headers["Content-Type"].startswith("text/html")
    assert "Te veel tekst" in body.decode()
    # The largest real meeting: 40 themes of 120 + 400 characters, each an emoji (12 bytes as JSON).
    themes = [{"title": "\U0001f333" * 120, "description": "\U0001f333" * 400}] * 40
    real = json.dumps({"title": "Avond", "themes": themes}).encode()
    status, _, _ = post(server.url + "/api/meetings", real, "application/json")
    assert status == 201


def test_too_much_text_in_the_start_form_shows_a_dutch_page_that_passes_axe(browser, server, page_errors):
    from test_accessibility import LAPTOP, assert_no_violations

    page = open_page(browser, server.url + "/", page_errors, **LAPTOP)
    page.get_by_label("Naam van de avond").fill("Wijkavond")
    page.get_by_label("Thema's, één per regel").fill(("Groen in de wijk: " + "bomen " * 100 + "\n") * 500)
    page.get_by_role("button", name="Bijeenkomst maken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Te veel tekst")
    assert_no_violations({"too large": page})
    # The page answers 413 on purpose; the browser logs that as an error.
    assert [e for e in page_errors if "responded with a status of 413" not in e] == []


def post(url, data: bytes, content_type: str):
    """POST raw bytes; returns (status, headers, body)."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, data=data, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def test_a_raw_text_far_beyond_its_limit_is_refused_before_it_is_cleaned():
    from live.domain import MAX_TITLE, Refused, clean_text

    # Cleaning would shrink this to "a" (zero-width spaces are dropped), but looking at a
    # hundred thousand characters one by one is the stall: the raw length refuses it first.
    with pytest.raises(Refused) as refused:
        clean_text("a" + "\u200b" * 100_000, MAX_TITLE)
    assert refused.value.slug == "text_too_long"
    # Pasted text that cleaning shortens a lot, but within reason, still passes.
    assert clean_text(("a" + "\u200b" * 6) * MAX_TITLE, MAX_TITLE) == "a" * MAX_TITLE


def test_a_deeply_nested_json_body_gets_a_json_400(server):
    deep = b"[" * 100_000 + b"]" * 100_000
    status, headers, body = post(server.url + "/api/meetings", deep, "application/json")
    assert status == 400 and headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"] == "bad_payload"


def test_a_deeply_nested_socket_message_is_acknowledged_as_a_bad_payload(server, meeting):
    ws = raw_phone(server, meeting["code"])
    try:
        deep = "[" * 5000 + "]" * 5000
        ws.send('421["vote",' + deep + "]")
        assert ack(ws, 1) == {"ok": False, "error": "bad_payload"}
        ws.send("4" + deep)  # deep JSON at the Engine.IO level: not a Socket.IO packet, ignored
        ws.send('422["vote",{"id":"ok","theme":1,"answer":"yes"}]')
        assert ack(ws, 2) == {"ok": False, "error": "wrong_phase"}  # the connection still works
    finally:
        ws.close()


# -- 2. big websocket frames -----------------------------------------------------------------


def test_a_socket_flooding_big_frames_cannot_stall_a_vote_and_is_disconnected(server):
    meeting, host, phone = voting_room(server)
    flooder = raw_phone(server, meeting["code"])
    frame = '42["flood","' + "a" * (15 * 1024) + '"]'  # under the message limit: only the budget stops it
    stopped = threading.Event()
    outcome = {"frames": 0}

    def flood():
        try:
            while not stopped.is_set():
                flooder.send(frame)
                outcome["frames"] += 1
        except (websocket.WebSocketException, OSError):
            outcome["cut_off"] = True

    thread = threading.Thread(target=flood)
    thread.start()
    try:
        time.sleep(0.3)
        slowest = max(prompt_vote(phone, theme) for theme in (1, 2, 3, 1, 2))
        assert slowest < PROMPT
        thread.join(10)
        assert outcome.get("cut_off"), f"still sending after {outcome['frames']} frames"
    finally:
        stopped.set()
        thread.join(5)
        flooder.close()
        phone.close()
        host.close()


def test_the_fast_unmask_gives_the_same_bytes_as_the_rfc_loop_at_every_offset():
    from live.guard import fast_unmask

    rng = random.Random(6455)
    for length in (0, 1, 3, 4, 5, 127, 4096, 15 * 1024 + 3):
        data = rng.randbytes(length)
        mask = tuple(rng.randbytes(4))
        for offset in (0, 1, 2, 3, 7):
            # RFC 6455, 5.3: octet i is XORed with mask octet (i mod 4), counted from the
            # frame's start (a read may begin mid-frame at `offset`).
            expected = bytes(b ^ mask[(offset + i) % 4] for i, b in enumerate(data))
            assert fast_unmask(data, mask, length=length, offset=offset) == expected


def test_unknown_events_are_rate_limited_too(server, meeting):
    ws = raw_phone(server, meeting["code"])
    try:
        for n in range(1, 251):
            ws.send(f'42{n}["no_such_event",{{"id":"{n}"}}]')
        errors = [(ack(ws, n) or {}).get("error") for n in range(1, 251)]
        # Within one budget window: the first hundred are looked at, the last fifty refused.
        assert set(errors[:100]) == {"unknown_event"} and set(errors[-50:]) == {"rate_limited"}
    finally:
        ws.close()


# -- 3. connection slots ---------------------------------------------------------------------


def test_idle_half_requests_from_one_address_cannot_take_every_slot_and_are_closed(tmp_path):
    with own_server(tmp_path, MAX_CONNECTIONS=200, MAX_CONNECTIONS_PER_ADDRESS=50, REQUEST_TIMEOUT=2) as srv:
        meeting, host, phone = voting_room(srv)
        polling = socketio.Client(reconnection=False)
        polling.connect(srv.url, auth={"code": meeting["code"], "role": "phone"}, transports=["polling"])
        idle = []
        try:
            for _ in range(300):
                s = socket.create_connection(("127.0.0.1", srv.port), timeout=5, source_address=(ATTACKER, 0))
                s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the blank line
                idle.append(s)
            time.sleep(0.5)
            assert prompt_health(srv) < PROMPT
            late = Client(srv.url, meeting["code"], "phone")
            assert prompt_vote(late) < PROMPT
            time.sleep(3)  # past REQUEST_TIMEOUT: every half-request is closed
            for s in idle:
                s.settimeout(2)
                assert s.recv(1024) in (b"", b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
                                        b"Content-Length: 0\r\n\r\n")  # fmt: skip
            # A websocket and a long poll idle for longer than REQUEST_TIMEOUT are not cut.
            assert phone.sio.connected and prompt_vote(phone) < PROMPT
            vote = {"id": "after-idle", "theme": 1, "answer": "yes"}
            assert polling.connected and polling.call("vote", vote, timeout=PROMPT) == {"ok": True}
            late.close()
        finally:
            polling.disconnect()
            for s in idle:
                s.close()
            phone.close()
            host.close()


def test_requests_and_answers_larger_than_a_connections_buffer_pass_whole_on_one_connection(server):
    # Each connection's HTTP buffers are small (a websocket keeps them all evening unused), so
    # headers, pages and bodies larger than them must still pass whole, also kept alive.
    from live.guard import CONNECTION_BUFFER, protocol

    guarded = protocol(10, 0)
    assert guarded.rbufsize == guarded.wbufsize == CONNECTION_BUFFER
    themes = [{"title": f"Thema {n}", "description": "x" * 300} for n in range(30)]
    body = json.dumps({"title": "Grote avond", "themes": themes}).encode()
    assert len(body) > 2 * CONNECTION_BUFFER
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        headers = {"Host": f"127.0.0.1:{server.port}", "X-Padding": "p" * (2 * CONNECTION_BUFFER)}
        json_headers = {**headers, "Content-Type": "application/json"}
        conn.request("POST", "/api/meetings", body=body, headers=json_headers)
        response = conn.getresponse()
        created = json.loads(response.read())
        assert response.status == 201, created
        conn.request("GET", f"/{created['code']}", headers=headers)  # the phone page, ~24 KB
        response = conn.getresponse()
        page = response.read()
        assert response.status == 200 and len(page) == int(response.getheader("Content-Length"))
        assert len(page) > 2 * CONNECTION_BUFFER
        conn.request("GET", "/healthz", headers=headers)
        assert conn.getresponse().status == 200
    finally:
        conn.close()


# -- 4. sessions that never join -------------------------------------------------------------


def handshake_from(address: str, server):
    """A bare Engine.IO polling handshake; returns (status, sid or None)."""
    status, body = http_from(address, server, "GET", "/socket.io/?EIO=4&transport=polling")
    if status != 200:
        return status, None
    return status, json.loads(body[1:])["sid"]


def test_sessions_that_never_join_are_capped_per_address_and_let_go(tmp_path):
    with own_server(tmp_path, UNJOINED_PER_ADDRESS=20, JOIN_TIMEOUT=2) as srv:
        meeting = srv.create_meeting()
        first = [handshake_from(ATTACKER, srv) for _ in range(30)]
        assert [s for s, _ in first].count(200) == 20
        assert all(status >= 400 for status, _ in first[20:])
        phone = Client(srv.url, meeting["code"], "phone")  # another address still gets in
        try:
            time.sleep(3.5)  # past JOIN_TIMEOUT and one sweep
            for _, sid in first[:20]:
                status, _ = http_from(ATTACKER, srv, "GET", f"/socket.io/?EIO=4&transport=polling&sid={sid}")
                assert status == 400
            assert [handshake_from(ATTACKER, srv)[0] for _ in range(20)] == [200] * 20
            assert phone.sio.connected and phone.call("vote", theme=1, answer="yes")["error"] == "wrong_phase"
        finally:
            phone.close()


# -- 5. headers ------------------------------------------------------------------------------


def test_pages_with_keys_are_never_cached_and_websockets_may_only_reach_our_own_host(server, meeting):
    cookie = {"Cookie": f"host_{meeting['code']}={meeting['host_key']}"}
    for path in (f"/{meeting['code']}/host", f"/{meeting['code']}/beamer"):
        status, headers, _ = get(server.url + path, cookie)
        assert status == 200 and "no-store" in headers["Cache-Control"]
        csp = headers["Content-Security-Policy"]
        connect = next(p for p in csp.split(";") if p.strip().startswith("connect-src")).split()[1:]
        assert connect == ["'self'", f"ws://127.0.0.1:{server.port}", f"wss://127.0.0.1:{server.port}"]


def test_engine_io_answers_carry_the_security_headers_and_jsonp_is_refused(server):
    status, headers, _ = get(server.url + "/socket.io/?EIO=4&transport=polling")
    assert status == 200
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    status, headers, _ = get(server.url + "/socket.io/?EIO=4&transport=polling&j=0")
    assert status == 400 and headers["X-Content-Type-Options"] == "nosniff"


# -- 6. two servers on one port --------------------------------------------------------------


def test_a_second_server_on_a_taken_port_stops_with_a_dutch_message(server, tmp_path):
    second = subprocess.run(
        server_command(server.port, tmp_path / "second"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=15,
    )
    assert second.returncode != 0
    assert f"Poort {server.port} is al in gebruik" in second.stderr
    assert "PORT=5050 make run" in second.stderr and "--port" in second.stderr
    assert prompt_health(server) < PROMPT


def test_phones_that_asked_to_join_are_not_let_go_while_a_busy_server_answers(tmp_path):
    # A busy laptop: the store is held by someone else for 3 s, so every new phone's join (a
    # write) waits. Phones that asked to join must still get in, although that takes longer than
    # JOIN_TIMEOUT; only silent sessions go that soon.
    import sqlite3

    with own_server(tmp_path, JOIN_TIMEOUT="1") as srv:
        code = srv.create_meeting()["code"]
        holder = sqlite3.connect(srv.data_dir / "live.sqlite3", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        results: list = []

        def join():
            try:
                results.append(Client(srv.url, code, "phone"))
            except Exception as exc:  # reported below
                results.append(exc)

        threads = [threading.Thread(target=join) for _ in range(5)]
        for t in threads:
            t.start()
        time.sleep(3)
        holder.execute("ROLLBACK")
        holder.close()
        for t in threads:
            t.join(15)
        assert [r for r in results if not isinstance(r, Client)] == []
        assert len({c.token for c in results}) == 5
        for c in results:
            c.close()
