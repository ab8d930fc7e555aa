"""Nothing acknowledged is ever lost: crashes, dropped phones, reconnect storms, races, stalls.

Every test here runs its own server process (it kills or restarts it, or needs special settings).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import socketio
import websocket
from conftest import Client, Server

from live.domain import ANSWERS

FAST = {"PHONE_RATE_LIMIT": "100000/second", "HOST_RATE_LIMIT": "100000/second"}


@pytest.fixture
def fresh(tmp_path):
    """A server of its own, stopped (or killed) by the test; restart() brings it back on the same
    port and data directory."""
    servers = [Server(tmp_path / "data", env=FAST).start()]

    class Handle:
        @property
        def server(self):
            return servers[-1]

        def restart(self):
            servers.append(Server(tmp_path / "data", env=FAST, port=servers[-1].port).start())
            return servers[-1]

    yield Handle()
    for s in servers:
        s.stop()


def token() -> str:
    return secrets.token_urlsafe(24)


def test_a_crash_loses_no_acknowledged_action_and_phones_resync_without_a_reload(fresh):
    srv = fresh.server
    meeting = srv.create_meeting()
    code = meeting["code"]
    host = Client(srv.url, code, "host", meeting["host_key"], reconnect=True)
    projector = Client(srv.url, code, "projector", meeting["projector_key"], reconnect=True)
    with ThreadPoolExecutor(10) as pool:
        phones = list(pool.map(lambda _: Client(srv.url, code, "phone", token(), reconnect=True), range(50)))
    sent = {i: [] for i in range(50)}  # (event, payload, ack) per phone

    def act(i, event, **fields):
        payload = {"id": secrets.token_hex(8), **fields}
        ack = phones[i].call(event, payload)
        assert ack["ok"], ack
        sent[i].append((event, payload, ack))
        return ack

    assert host.call("set_phase", phase="recognition")["ok"]
    with ThreadPoolExecutor(10) as pool:
        list(
            pool.map(
                lambda i: [act(i, "vote", theme=t, answer=ANSWERS[(i + t) % 3]) for t in (1, 2, 3)], range(50)
            )
        )
    additions = [act(i, "addition", theme=1 + i % 3, text=f"Aanvulling {i}")["addition"] for i in range(10)]
    for a in additions[:2]:
        assert host.call("moderate", addition=a, show=True)["ok"]
    assert host.call("set_phase", phase="topics")["ok"]
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(lambda i: act(i, "choose", theme=1 + i % 3), range(50)))
    assert host.call("set_phase", phase="pledges")["ok"]
    with ThreadPoolExecutor(10) as pool:
        list(
            pool.map(
                lambda i: act(
                    i,
                    "pledge",
                    theme=1 + i % 3,
                    role="member",
                    name=f"Buur {i}",
                    email=f"buur{i}@example.nl",
                    consent=True,
                ),
                range(25),
            )
        )
    projector.wait_for(lambda: projector.tally["themes"][0]["pledged"] == 9, what="last tally")
    before = {
        "phase": projector.state["phase"],
        "additions": projector.state["additions"],
        "tally": [dict(r) for r in projector.tally["themes"]],
    }
    states_before = [len(p.states) for p in phones]

    srv.stop(signal.SIGKILL)
    restarted = fresh.restart()
    assert restarted.url == srv.url

    # Every phone reconnects by itself and gets a fresh snapshot with its own answers.
    deadline = time.monotonic() + 15
    for i, phone in enumerate(phones):
        phone.wait_for(
            lambda p=phone, n=states_before[i]: len(p.states) > n,
            timeout=max(0.1, deadline - time.monotonic()),
            what=f"phone {i} resync",
        )
        mine = phone.state["mine"]
        assert phone.state["phase"] == "pledges"
        assert mine["votes"] == {str(t): ANSWERS[(i + t) % 3] for t in (1, 2, 3)}
        assert mine["choice"] == 1 + i % 3
        assert (mine["pledge"] is not None) == (i < 25)

    # Phones that never saw their acks resend everything with the same ids: nothing doubles.
    for i, phone in enumerate(phones):
        phone.wait_connected()
        for event, payload, ack in sent[i]:
            assert phone.call(event, payload) == ack

    after = Client(restarted.url, code, "projector", meeting["projector_key"])
    assert after.state["phase"] == before["phase"]
    assert after.state["additions"] == before["additions"]
    assert after.state["tally"]["themes"] == before["tally"]
    assert after.state["tally"]["participants"] == 50
    expected_yes = Counter(1 for i in range(50) if ANSWERS[(i + 1) % 3] == "yes")
    assert after.state["tally"]["themes"][0]["yes"] == expected_yes[1]
    host.wait_for(lambda: len([a for a in host.state["additions"]]) == 10, what="host queue")
    for c in [host, projector, after, *phones]:
        c.close()


def test_a_phone_that_drops_before_the_ack_and_resends_counts_once(fresh):
    srv = fresh.server
    meeting = srv.create_meeting()
    host = Client(srv.url, meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    tok = token()
    payload = {"id": "vote-once", "theme": 2, "answer": "partly"}
    for _ in range(5):
        phone = Client(srv.url, meeting["code"], "phone", tok)
        phone.sio.emit("vote", payload)  # no wait for the ack: the line drops right away
        phone.sio.disconnect()
    phone = Client(srv.url, meeting["code"], "phone", tok)
    assert phone.call("vote", payload) == {"ok": True}
    assert phone.call("addition", {"id": "add-once", "theme": 1, "text": "een"})["ok"]
    assert phone.call("addition", {"id": "add-once", "theme": 1, "text": "een"})["ok"]
    projector = Client(srv.url, meeting["code"], "projector", meeting["projector_key"])
    row = projector.state["tally"]["themes"][1]
    assert (row["yes"], row["partly"], row["no"]) == (0, 1, 0)
    assert projector.state["tally"]["participants"] == 1
    assert len(host.wait_for(lambda: host.state["additions"], what="queue")) == 1
    for c in (host, phone, projector):
        c.close()


def test_two_connections_with_one_token_sending_twenty_votes_at_once_count_one_vote(fresh):
    srv = fresh.server
    meeting = srv.create_meeting()
    host = Client(srv.url, meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    tok = token()
    a, b = (Client(srv.url, meeting["code"], "phone", tok) for _ in range(2))
    start = threading.Barrier(20)

    def vote(n):
        start.wait()
        return (a if n % 2 else b).call("vote", theme=1, answer=ANSWERS[n % 3])

    with ThreadPoolExecutor(20) as pool:
        acks = list(pool.map(vote, range(20)))
    assert acks == [{"ok": True}] * 20
    projector = Client(srv.url, meeting["code"], "projector", meeting["projector_key"])
    row = projector.state["tally"]["themes"][0]
    assert row["yes"] + row["partly"] + row["no"] == 1
    assert projector.state["tally"]["participants"] == 1
    for c in (host, a, b, projector):
        c.close()


def test_two_hosts_changing_the_phase_at_once_leave_every_screen_on_one_phase(fresh):
    srv = fresh.server
    meeting = srv.create_meeting()
    code = meeting["code"]
    hosts = [Client(srv.url, code, "host", meeting["host_key"]) for _ in range(2)]
    others = [
        Client(srv.url, code, "projector", meeting["projector_key"]),
        *(Client(srv.url, code, "phone") for _ in range(5)),
    ]
    for round_ in range(5):
        start = threading.Barrier(2)
        wanted = ("topics", "break") if round_ % 2 else ("results", "recognition")

        def switch(n, wanted=wanted, start=start):
            start.wait()
            return hosts[n].call("set_phase", phase=wanted[n])

        with ThreadPoolExecutor(2) as pool:
            acks = list(pool.map(switch, range(2)))
        assert all(ack["ok"] for ack in acks)
        final = max(acks, key=lambda ack: ack["version"])
        for c in [*hosts, *others]:
            c.wait_for(lambda c=c, v=final["version"]: c.state["version"] >= v, what="last phase")
            assert c.state["phase"] == final["phase"]
    for c in [*hosts, *others]:
        c.close()


def test_three_hundred_phones_reconnecting_after_a_restart_all_get_their_snapshot(fresh):
    srv = fresh.server
    meeting = srv.create_meeting()
    code = meeting["code"]
    host = Client(srv.url, code, "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    host.close()
    tokens = [token() for _ in range(300)]

    async def phone(tok, delay, vote):
        await asyncio.sleep(delay)
        sio = socketio.AsyncClient(reconnection=False)
        got = asyncio.get_running_loop().create_future()
        sio.on("state", lambda s: got.done() or got.set_result(s))
        await sio.connect(
            srv.url,
            auth={"code": code, "role": "phone", "token": tok},
            transports=["websocket"],
            wait_timeout=20,
        )
        state = await asyncio.wait_for(got, 20)
        if vote:
            ack = await sio.call("vote", {"id": "v1", "theme": 1, "answer": "yes"}, timeout=20)
            assert ack == {"ok": True}
        await sio.disconnect()
        return state

    async def everyone(window, vote):
        return await asyncio.gather(*(phone(t, window * i / len(tokens), vote) for i, t in enumerate(tokens)))

    def run(coro):
        # In a thread of its own: Playwright's sync API keeps a loop running in this one.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, coro).result()

    run(everyone(3, vote=True))
    srv.stop(signal.SIGKILL)
    srv = fresh.restart()
    started = time.monotonic()
    states = run(everyone(5, vote=False))
    took = time.monotonic() - started
    assert len(states) == 300
    assert all(s["mine"]["votes"] == {"1": "yes"} and s["phase"] == "recognition" for s in states)
    assert took < 10, f"the storm took {took:.1f} s"
    assert "database is locked" not in srv.log()


def test_a_client_that_stops_reading_is_dropped_by_the_ping_timeout(tmp_path):
    srv = Server(tmp_path, env={**FAST, "PING_INTERVAL": "1", "PING_TIMEOUT": "1"}).start()
    try:
        meeting = srv.create_meeting()
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{srv.port}/socket.io/?EIO=4&transport=websocket", timeout=5
        )
        assert ws.recv().startswith("0")  # engine.io open
        ws.send(
            "40"
            + json.dumps({"code": meeting["code"], "role": "projector", "token": meeting["projector_key"]})
        )
        # From here on it reads nothing and answers no ping, while tallies keep coming.
        host = Client(srv.url, meeting["code"], "host", meeting["host_key"])
        phone = Client(srv.url, meeting["code"], "phone")
        assert host.call("set_phase", phase="recognition")["ok"]
        for n in range(40):
            assert phone.call("vote", theme=1, answer=ANSWERS[n % 3])["ok"]
            time.sleep(0.1)
        # The server has hung up: what is left to read ends in a close, not in more tallies.
        frames, closed = 0, False
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                frame = ws.recv()
            except (websocket.WebSocketConnectionClosedException, ConnectionError):
                closed = True
                break
            if not frame:
                closed = True
                break
            frames += 1
        assert closed, f"still connected after {frames} frames"
        assert frames < 200
        assert phone.call("vote", theme=2, answer="yes")["ok"]
        host.close()
        phone.close()
    finally:
        srv.stop()


@pytest.mark.browser
def test_the_phone_page_says_saved_only_after_the_ack_and_resends_after_a_reconnect(fresh, browser):
    from playwright.sync_api import expect

    srv = fresh.server
    meeting = srv.create_meeting()
    host = Client(srv.url, meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    host.close()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(meeting["join_url"])
    expect(page.get_by_role("heading", name="Herkent u zich hierin?")).to_be_visible()
    # The page draws its buttons before its socket is up: wait until it holds its token.
    expect(page.locator("#conn")).to_have_text("Verbonden")

    srv.stop(signal.SIGKILL)
    expect(page.locator("#conn")).to_contain_text("Geen verbinding")
    theme = page.locator('fieldset[data-theme="3"]')
    theme.get_by_text("Nee", exact=True).click()
    status = page.locator('[data-status="vote-3"]')
    expect(status).to_have_text("Wordt opgeslagen…")
    page.wait_for_timeout(1500)
    expect(status).to_have_text("Wordt opgeslagen…")  # no ack, so no "saved"

    srv = fresh.restart()
    # A phone waking up fires visibilitychange; the page reconnects and resends at once.
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(status).to_contain_text("Opgeslagen", timeout=15000)
    projector = Client(srv.url, meeting["code"], "projector", meeting["projector_key"])
    assert projector.state["tally"]["themes"][2]["no"] == 1
    assert projector.state["tally"]["participants"] == 1
    projector.close()
    context.close()
