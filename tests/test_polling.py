"""Engine.IO long-polling, the way phones on bad Wi-Fi, old phones and strict proxies talk:
an honest evening over polling only (straight, through deploy/nginx.conf, and the real phone page
with websockets refused by the proxy) gets the same acks and state as over a websocket; and raw
HTTP against /socket.io/?transport=polling that no honest client sends is refused clearly,
cheaply and without leaving a session behind, while a bystander's votes go on."""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import secrets
import threading
import time

import pytest
import socketio
from conftest import PHONE, Client, open_page, own_server
from playwright.sync_api import expect
from test_proxy import Nginx, behind_nginx

POLL = "/socket.io/?EIO=4&transport=polling"
SEP = "\x1e"  # Engine.IO's packet separator in a long-polling body
VOTE = '["vote",{"id":"%s","theme":1,"answer":"yes"}]'

# -- an honest evening -----------------------------------------------------------------------

VARYING = {"id", "addition", "note", "at", "version", "token", "additions_version"}


def steady(value):
    """The value with what differs between two meetings (ids, times, versions) blanked out."""
    if isinstance(value, dict):
        return {k: "*" if k in VARYING else steady(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [steady(v) for v in value]
    return value


def row(tally: dict, theme: int) -> dict:
    """One theme's row of a tally."""
    return next(r for r in tally["themes"] if r["theme"] == theme)


def evening(url: str, meeting: dict, transports: tuple[str, ...], **kwargs) -> dict:
    """The whole evening as docs/protocol.md tells it, over these transports; returns every ack
    and what the screens hold at the end, with meeting-specific ids blanked out."""
    code, made = meeting["code"], []

    def client(role, token=None):
        made.append(Client(url, code, role, token, transports=transports, **kwargs))
        return made[-1]

    acks = []

    def call(c, event, payload=None, **fields):
        acks.append((event, c.call(event, payload, **fields)))
        return acks[-1][1]

    try:
        host = client("host", meeting["host_key"])
        beamer = client("projector", meeting["projector_key"])
        anna, bram = client("phone"), client("phone")
        call(host, "set_phase", phase="recognition")
        call(anna, "vote", theme=1, answer="yes")
        call(anna, "vote", theme=0, answer="partly")
        call(bram, "vote", theme=1, answer="no")
        call(bram, "vote", theme=2, answer="misschien")  # refused: bad_answer
        added = call(anna, "addition", theme=1, text="Meer bankjes")
        call(host, "moderate", addition=added["addition"], show=True)
        beamer.wait_for(lambda: beamer.state["additions"], what="the shown addition")
        # A drop after the message went out: the phone comes back with its token and resends
        # with the same id. It gets the first ack again and counts once.
        resent = {"id": "resent-1", "theme": 2, "answer": "yes"}
        call(anna, "vote", dict(resent))
        anna.close()
        anna = client("phone", anna.token)
        back = anna.states[0]["mine"]
        call(anna, "vote", dict(resent))
        call(host, "set_phase", phase="topics")
        call(bram, "vote", theme=1, answer="yes")  # refused: wrong_phase
        call(anna, "choose", theme=1)
        call(bram, "choose", theme=2)
        call(anna, "note", theme=1, field="how", text="Samen beginnen")
        call(host, "set_phase", phase="pledges")
        call(anna, "pledge", theme=1, role="lead", name="Anna", email="anna@example.nl", consent=True)
        call(bram, "pledge", theme=2, role="member", name="Bram", consent=True)  # contact_required
        call(bram, "pledge", theme=2, role="member", name="Bram", phone="0612345678", consent=True)
        beamer.wait_for(
            lambda: beamer.tally and [row(beamer.tally, t)["pledged"] for t in (1, 2)] == [1, 1],
            what="both pledges on the beamer",
        )
        again = client("phone", bram.token)
        return steady(
            {
                "acks": acks,
                "anna_back": back,
                "anna_mine": client("phone", anna.token).states[0]["mine"],
                "bram_mine": again.states[0]["mine"],
                "bram_phases": [s["phase"] for s in bram.states],
                "tally": beamer.tally,
                "host_tally": host.wait_for(
                    lambda: host.tally and row(host.tally, 2)["pledged"] and host.tally
                ),
                "beamer_additions": beamer.state["additions"],
            }
        )
    finally:
        for c in made:
            with contextlib.suppress(Exception):
                c.close()


def assert_the_evening_went_right(result: dict) -> None:
    """What both transports must agree on is also what the protocol promises."""
    errors = [ack.get("error") for _, ack in result["acks"] if not ack["ok"]]
    assert errors == ["bad_answer", "wrong_phase", "contact_required"]
    resent = [ack for event, ack in result["acks"] if event == "vote"][4:6]
    assert resent == [{"ok": True}, {"ok": True}]
    assert result["anna_back"]["votes"] == {"1": "yes", "0": "partly", "2": "yes"}
    tally = result["tally"]
    assert tally["participants"] == 2
    assert [row(tally, 1)[k] for k in ("yes", "no", "chosen", "pledged")] == [1, 1, 1, 1]
    assert row(tally, 2)["yes"] == 1 and row(tally, 2)["roles"]["member"] == 1  # the resend counted once
    assert tally["whole"]["partly"] == 1
    assert result["bram_phases"] == ["lobby", "recognition", "topics", "pledges"]
    assert result["beamer_additions"][0]["text"] == "Meer bankjes"
    assert result["anna_mine"]["choice"] == 1 and result["anna_mine"]["notes"][0]["text"] == "Samen beginnen"


def test_a_whole_evening_over_long_polling_gets_the_same_acks_and_state_as_over_a_websocket(server):
    over_websocket = evening(server.url, server.create_meeting(), ("websocket",))
    over_polling = evening(server.url, server.create_meeting(), ("polling",))
    assert_the_evening_went_right(over_polling)
    assert over_polling == over_websocket


def test_events_sent_at_once_over_polling_each_get_their_ack_in_order(server):
    """A client that emits without waiting sends them in one POST body. Engine.IO dropped a body
    of more than 16 packets without a word: 18 votes at once got no ack at all."""
    meeting = server.create_meeting()
    host = Client(server.url, meeting["code"], "host", meeting["host_key"], transports=("polling",))
    phone = Client(server.url, meeting["code"], "phone", transports=("polling",))
    try:
        assert host.call("set_phase", phase="recognition")["ok"]
        acks, done = {}, threading.Event()
        answers = ["yes", "partly", "no"] * 6  # 18 votes for theme 1; the last one ("no") wins

        def record(n):
            def ack(answer):
                acks[n] = answer
                if len(acks) == len(answers):
                    done.set()

            return ack

        for n, answer in enumerate(answers):
            phone.sio.emit("vote", {"id": f"burst-{n}", "theme": 1, "answer": answer}, callback=record(n))
        assert done.wait(10), f"{len(acks)} of {len(answers)} acks"
        assert set(map(json.dumps, acks.values())) == {'{"ok": true}'}
        host.wait_for(lambda: host.tally and row(host.tally, 1)["no"] == 1, what="the last vote")
        assert row(host.tally, 1)["answered"] == 1
    finally:
        phone.close()
        host.close()


# -- through the documented nginx site -------------------------------------------------------

NO_WEBSOCKETS = {
    # A proxy that does not pass websockets on: every upgrade is refused.
    "proxy_set_header Upgrade $http_upgrade;": (
        "if ($http_upgrade) { return 403; }\n        proxy_set_header Upgrade $http_upgrade;"
    )
}


@pytest.fixture(scope="module")
def polling_proxy(tmp_path_factory):
    """The real server behind deploy/nginx.conf, in a variant that refuses websockets."""
    with behind_nginx(tmp_path_factory.mktemp("polling-proxy"), edits=NO_WEBSOCKETS) as pair:
        yield pair


def create_through(nginx: Nginx) -> dict:
    """A meeting made through the proxy."""
    from test_proxy import create_through as create

    return create(nginx)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # throw-away cert
def test_a_whole_evening_through_the_https_proxy_over_polling_only(polling_proxy):
    srv, nginx = polling_proxy
    with pytest.raises(socketio.exceptions.ConnectionError):  # the proxy really refuses websockets
        Client(nginx.url, create_through(nginx)["code"], "phone", ssl_verify=False)
    result = evening(nginx.url, create_through(nginx), ("polling",), ssl_verify=False)
    assert_the_evening_went_right(result)


@pytest.mark.browser
def test_the_phone_page_works_through_a_proxy_that_refuses_websockets(polling_proxy, browser, page_errors):
    srv, nginx = polling_proxy
    meeting = create_through(nginx)
    host = open_page(browser, meeting["host_url"], page_errors, ignore_https_errors=True)
    expect(host.locator("#conn")).to_have_text("Verbonden")
    phone = open_page(browser, meeting["join_link"], page_errors, ignore_https_errors=True, **PHONE)
    expect(phone.locator("#conn")).to_have_text("Verbonden")
    host.get_by_role("button", name="2. Herkenning").click()
    expect(phone.get_by_role("heading", name="Herkent u zich hierin?")).to_be_visible()
    theme = phone.locator('fieldset[data-theme="1"]')
    theme.get_by_text("Ja", exact=True).click()
    expect(theme.locator('[data-status="vote-1"]')).to_have_text(re.compile("Opgeslagen"))
    expect(host.locator('tr[data-theme="1"] [data-k="yes"]')).to_have_text("1")
    # A reload is the same participant: the answer is still there, and still counted once.
    phone.reload()
    expect(phone.locator("#conn")).to_have_text("Verbonden")
    expect(phone.locator('fieldset[data-theme="1"] input[value="yes"]')).to_be_checked()
    expect(host.locator('tr[data-theme="1"] [data-k="yes"]')).to_have_text("1")
    # Websocket attempts were refused (403 in the console is the proxy's answer, not a bug).
    assert [e for e in page_errors if "403" not in e and "WebSocket" not in e] == []


# -- dishonest clients over raw HTTP ---------------------------------------------------------


class Poll:
    """One Engine.IO long-polling session spoken by hand, from one loopback address."""

    def __init__(self, server, source: str = "127.0.0.1"):
        self.server, self.source = server, source
        status, body = self.request("GET", POLL)
        assert status == 200, (status, body)
        self.sid = json.loads(body[1:].split(SEP.encode())[0])["sid"]

    def request(self, method: str, path: str, body: bytes | None = None, timeout: float = 10):
        """One request; returns (status, body)."""
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.server.port, timeout=timeout, source_address=(self.source, 0)
        )
        try:
            headers = {"Host": f"127.0.0.1:{self.server.port}", "Content-Type": "text/plain;charset=UTF-8"}
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    @property
    def path(self) -> str:
        return f"{POLL}&sid={self.sid}"

    def post(self, body: str | bytes, timeout: float = 10) -> int:
        """POST one body; returns the status."""
        return self.request("POST", self.path, body if isinstance(body, bytes) else body.encode(), timeout)[0]

    def get(self, timeout: float = 10) -> tuple[int, list[str]]:
        """One poll; returns the status and the packets."""
        status, body = self.request("GET", self.path, timeout=timeout)
        return status, body.decode().split(SEP)

    def join(self, code: str, role: str = "phone", **auth) -> str:
        """Ask to join a meeting; returns the answer packet."""
        assert self.post("40" + json.dumps({"code": code, "role": role, **auth})) == 200
        while True:
            status, packets = self.get()
            assert status == 200
            answer = [p for p in packets if p.startswith("4") and p[:2] in ("40", "44")]
            if answer:
                return answer[0]

    def ack(self, n: int, timeout: float = 10):
        """The ack of message ``n``, polling until it comes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, packets = self.get(timeout=deadline - time.monotonic() + 1)
            assert status == 200, packets
            for p in packets:
                if re.match(rf"43{n}\[", p):
                    return json.loads(p[2 + len(str(n)) :])[0]
        raise AssertionError(f"no ack for {n}")


@contextlib.contextmanager
def bystander(server, code: str):
    """A phone on a websocket that keeps voting while the block runs; every vote must be
    acknowledged (the call waits 10 s at most), however busy the attacker keeps the server."""
    phone = Client(server.url, code, "phone")
    served, failed, stop = [], [], threading.Event()

    def vote():
        n = 0
        while not stop.is_set():
            n += 1
            try:
                ack = phone.call("vote", {"id": f"by-{n}", "theme": 2, "answer": "yes"})
                (served if ack == {"ok": True} else failed).append(ack)
            except Exception as exc:  # a timeout: the bystander was not served
                failed.append(repr(exc))
            stop.wait(0.2)  # a person taps, not a script

    worker = threading.Thread(target=vote)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join(15)
        phone.close()
    assert failed == [] and served, (failed, len(served))


@pytest.fixture
def room(server):
    """A meeting in the recognition phase and a raw polling phone joined to it."""
    meeting = server.create_meeting()
    host = Client(server.url, meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    yield meeting, host
    host.close()


def joined(server, meeting, source="127.0.0.1") -> Poll:
    """A raw polling session joined as a phone."""
    poll = Poll(server, source)
    assert poll.join(meeting["code"]).startswith("40{")
    return poll


def test_a_body_of_thousands_of_packets_is_refused_and_closes_only_that_session(server, room):
    meeting, host = room
    with bystander(server, meeting["code"]):
        for packets in (["4"] * 5000, ['42["x"]'] * 2000, ["3"] * 5000, ["5"] * 5000):
            poll = joined(server, meeting)
            body = SEP.join(packets)
            assert len(body) <= 16 * 1024
            assert poll.post(body) == 400  # not one of them is handled
            assert poll.get()[0] == 400  # the session is gone
    host.wait_for(
        lambda: host.tally and row(host.tally, 1)["answered"] == 0 and row(host.tally, 2)["yes"] == 1
    )


def test_a_body_over_the_message_limit_is_refused_at_once_and_closes_only_that_session(server, room):
    meeting, host = room
    with bystander(server, meeting["code"]):
        for _ in range(20):
            poll = joined(server, meeting)
            body = "42" + json.dumps(["addition", {"id": "big", "theme": 1, "text": "a" * (17 * 1024)}])
            assert poll.post(body, timeout=5) == 400  # it used to hang: the close waited for a poll
            assert poll.get()[0] == 400
    assert host.state["additions_total"] == 0


def test_binary_packets_are_refused_as_a_bad_payload_and_hold_nothing(server, room):
    meeting, host = room
    poll = joined(server, meeting)
    placeholder = '["vote",{"id":"%s","theme":1,"answer":{"_placeholder":true,"num":0}}]'
    with bystander(server, meeting["code"]):
        # An event with an attachment, one announcing a billion of them, and a binary ack.
        assert poll.post("451-1" + placeholder % "b1") == 200
        assert poll.ack(1, timeout=5) == {"ok": False, "error": "bad_payload"}
        assert poll.post("45999999999-2" + placeholder % "b2") == 200
        assert poll.ack(2, timeout=5) == {"ok": False, "error": "bad_payload"}
        assert poll.post('461-3[{"_placeholder":true,"num":0}]') == 200
        # The attachments that would follow are nobody's; the session goes on.
        assert poll.post(SEP.join(["bAAAA"] * 10)) == 200
        assert poll.post("424" + VOTE % "after") == 200
        assert poll.ack(4) == {"ok": True}
    host.wait_for(lambda: host.tally and row(host.tally, 1)["yes"] == 1)


def test_other_namespaces_odd_auth_and_huge_ack_ids_get_documented_answers(server, room):
    meeting, host = room
    with bystander(server, meeting["code"]):
        poll = Poll(server)
        assert poll.post("40/admin," + json.dumps({"code": meeting["code"], "role": "host"})) == 200
        assert '44/admin,"Unable to connect"' in poll.get()[1]
        for auth in ("[1,2]", '"K7HQA"', "12", "null", "true"):
            poll = Poll(server)
            assert poll.post("40" + auth) == 200
            assert poll.get()[1] == ['44{"message":"unknown_meeting"}']
        poll = joined(server, meeting)
        for big in (2**64, 10**99):
            assert poll.post(f"42{big}" + VOTE % f"big-{len(str(big))}") == 200
            assert poll.ack(big) == {"ok": True}
        # Past the connection's budget a huge id is still answered, with `rate_limited`.
        flood = SEP.join(f"42{10**30 + n}" + '["nothing",{}]' for n in range(130))
        assert poll.post(flood) == 200
        assert poll.ack(10**30 + 129) == {"ok": False, "error": "rate_limited"}


def test_a_phone_whose_requests_come_from_another_address_keeps_its_session(server, room):
    """A dual-stack phone may send one request over IPv6 and the next over IPv4, or move from
    Wi-Fi to 4G: the session id, not the address, is the session's key, so nothing is lost."""
    meeting, host = room
    phone = joined(server, meeting, source="127.0.0.1")
    moved = _from("127.0.0.7", phone)
    assert moved.post("421" + VOTE % "moved") == 200
    assert moved.ack(1) == {"ok": True}
    host.wait_for(lambda: host.tally and row(host.tally, 1)["yes"] == 1)


def _from(source: str, poll: Poll) -> Poll:
    """The same session id, spoken from another address."""
    other = object.__new__(Poll)
    other.server, other.source, other.sid = poll.server, source, poll.sid
    return other


def test_a_second_poll_held_open_on_one_session_is_refused_at_once(server, room):
    meeting, host = room
    poll = joined(server, meeting)
    first = {}
    waiting = threading.Thread(target=lambda: first.update(answer=poll.get(timeout=15)))
    waiting.start()
    time.sleep(0.5)  # the first poll is waiting for something to send
    with bystander(server, meeting["code"]):
        for _ in range(50):
            status, _ = poll.get(timeout=5)  # it used to wait as long as the first
            assert status == 400
    # The first poll is still the session's, and gets the ack.
    assert poll.post("421" + VOTE % "held") == 200
    waiting.join(15)
    assert first["answer"][0] == 200 and '431[{"ok":true}]' in first["answer"][1]


def test_guessed_session_ids_are_refused_and_open_nothing(server, room):
    meeting, host = room
    with bystander(server, meeting["code"]):
        for _ in range(300):
            guess = secrets.token_urlsafe(15)
            for method in ("GET", "POST"):
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
                conn.request(method, f"{POLL}&sid={guess}", body=b"40" if method == "POST" else None)
                response = conn.getresponse()
                assert response.status == 400 and b"Invalid session" in response.read()
                conn.close()


def test_dishonest_sessions_leave_nothing_behind(tmp_path):
    """Every session an attack opens is let go: Engine.IO no longer knows any of them, and the
    address can open as many unjoined sessions as before (the guard's counters are back)."""
    with own_server(tmp_path, UNJOINED_PER_ADDRESS=100, JOIN_TIMEOUT=1) as srv:
        meeting = srv.create_meeting()
        attacker, opened = "127.0.0.9", []

        def session(poll: Poll) -> Poll:
            opened.append(poll)
            return poll

        for _ in range(40):
            for packets in (["4"] * 5000, ["5"] * 5000):
                session(Poll(srv, attacker)).post(SEP.join(packets))
            session(Poll(srv, attacker)).post("42" + json.dumps(["x", "a" * 17 * 1024]), timeout=5)
            asked = session(Poll(srv, attacker))
            asked.post("40/admin,{}")  # asks for another namespace, never joins
            asked.post("451-1" + VOTE % "b")
            phone = session(joined(srv, meeting, attacker))
            phone.post("451-1" + VOTE % "b")  # an attachment announced and never sent
            phone.post("1")  # and leaves
            other = session(Poll(srv, attacker))
            _from("127.0.0.8", other).request("POST", other.path, b"40")  # silent from then on
        # One that keeps asking for what it cannot get is let go too, 6 x JOIN_TIMEOUT after it
        # first asked (each message used to buy it another 6 s, for ever).
        talker, statuses = Poll(srv, attacker), []
        for _ in range(10):
            statuses.append(talker.post("40/admin,{}"))
            time.sleep(1)
        assert statuses[:4] == [200] * 4 and statuses[-1] == 400
        time.sleep(8)  # past JOIN_TIMEOUT x 6 for those that asked, and a few sweeps
        assert {poll.get(timeout=5)[0] for poll in opened} == {400}
        assert len([Poll(srv, attacker) for _ in range(100)]) == 100  # the cap is free again
