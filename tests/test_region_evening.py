"""A region's deployment end to end: two real workers (``python -m live``) on one real Redis
behind nginx running the documented site (deploy/region/, made by tools/region.py), on loopback.

Phones on both workers (directly, and through nginx by long polling, which only works when nginx
sends each poll back to the worker that holds its session), the beamer on one worker, the host on
the other, a helper through nginx. Then the hard parts: a worker killed mid-evening, Redis killed
during a vote storm, and a meeting moved from a laptop to the region and back.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis as redis_py
import socketio
from conftest import IN_CI, ROOT, Client, Server, api, free_port, get

sys.path.insert(0, str(ROOT / "tools"))
import region  # noqa: E402 (tools/region.py: the nginx site)

pytestmark = pytest.mark.redis

TITLES = {1: "Groen in de wijk", 2: "Verkeer", 3: "Samen eten"}


def _need(program: str) -> str:
    found = shutil.which(program) or shutil.which(program, path="/usr/sbin:/usr/local/sbin")
    if found is None:
        if IN_CI:
            pytest.fail(f"{program} is not installed; .ci/run must install it")
        pytest.skip(f"{program} is not installed")
    return found


class OwnRedis:
    """A redis-server of this test's own that keeps every acknowledged write (as docs/hosting.md
    asks), on a free port and folder; it can be killed and started again on the same data."""

    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None
        self.start()

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [_need("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.folder), "--save", "", "--appendonly", "yes", "--appendfsync", "always"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis_py.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                # Loaded: a restarted server answers LOADING until its append-only file is read.
                client.get("x")
                return
            except (redis_py.ConnectionError, redis_py.BusyLoadingError):
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class Region:
    """Redis, two workers (w1, w2) and nginx in front of them."""

    def __init__(self, folder):
        self.redis = OwnRedis(folder / "redis")
        self.nginx_port = free_port()
        self.url = f"http://127.0.0.1:{self.nginx_port}"
        settings = {
            "STORE": self.redis.url,
            "REDIS_PREFIX": f"t{uuid.uuid4().hex[:6]}:",
            "PROXY_COUNT": "1",
            "PUBLIC_URL": self.url,
            "TRUSTED_HOSTS": "127.0.0.1",
            # Every phone of this test comes from 127.0.0.1 through nginx or directly.
            "PHONE_RATE_LIMIT": "1000/second",
            "HOST_RATE_LIMIT": "1000/second",
        }
        self.workers = [Server(folder / f"w{i}", env={**settings, "WORKER_NAME": f"w{i}"}) for i in (1, 2)]
        for worker in self.workers:
            worker.start()
        conf = region.nginx_main_conf(
            folder / "nginx",
            region.site(
                [w.port for w in self.workers], listen=f"127.0.0.1:{self.nginx_port}", name="_", tls=False
            ),
        )
        self.nginx = subprocess.Popen([_need("nginx"), "-p", str(conf.parent), "-c", str(conf)])
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                break
            except OSError:
                assert self.nginx.poll() is None and time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)

    def create_meeting(self) -> dict:
        status, made = api(
            self.url + "/api/meetings", {"title": "Dorpsavond", "themes": list(TITLES.values())}
        )
        assert status == 201, made
        return made

    def stop(self) -> None:
        self.nginx.terminate()
        self.nginx.wait(10)
        for worker in self.workers:
            with contextlib.suppress(Exception):
                worker.stop()
        self.redis.stop()


@pytest.fixture
def deployment(tmp_path):
    made = Region(tmp_path)
    yield made
    made.stop()


@pytest.fixture
def clients():
    made: list[Client] = []
    yield made
    for c in made:
        with contextlib.suppress(Exception):
            c.close()


def worker_of(client: Client) -> str:
    """The worker holding this client's session: its name starts the Engine.IO session id."""
    return client.sio.eio.sid.split(".", 1)[0]


def send_until_saved(client: Client, event: str, payload: dict, seconds: float = 60) -> dict:
    """Send one message as the pages do: the same id again after ``store_unavailable``, a
    passing refusal or a lost ack, until it is answered for good."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            ack = client.sio.call(event, payload, timeout=5)
            if ack.get("ok") or ack.get("error") not in ("store_unavailable", "server_error", "rate_limited"):
                return ack
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
            pass
        assert time.monotonic() < deadline, f"{event} {payload['id']} never saved"
        time.sleep(0.2)


def test_a_whole_evening_on_two_workers_behind_nginx_is_exact(deployment, clients):
    made = deployment.create_meeting()
    code = made["code"]
    w1, w2 = (w.url for w in deployment.workers)

    def connect(url, role, token=None, **options):
        c = Client(url, code, role, token, **options)
        clients.append(c)
        return c

    beamer = connect(w1, "projector", made["projector_key"])
    host = connect(w2, "host", made["host_key"])
    helper = connect(deployment.url, "helper", made["helper_key"], transports=("polling",))
    with ThreadPoolExecutor(6) as pool:
        phones = list(
            pool.map(lambda i: connect(w1, "phone") if i % 3 == 0 else connect(w2, "phone"), range(8))
        )
        # Through nginx by long polling: each poll must reach the worker holding its session.
        phones += list(
            pool.map(lambda _: connect(deployment.url, "phone", transports=("polling",)), range(6))
        )
    assert {worker_of(p) for p in phones} == {"w1", "w2"}
    assert worker_of(beamer) == "w1" and worker_of(host) == "w2"
    beamer.wait_for(lambda: beamer.tally and beamer.tally["participants"] == len(phones), what="lobby count")

    def phase(name):
        assert host.call("set_phase", phase=name)["ok"]
        for c in [beamer, *phones]:
            c.wait_for(lambda c=c: c.state["phase"] == name, what=f"{name} on every screen")

    phase("recognition")
    answers = {}
    for i, p in enumerate(phones):
        for theme in (1, 2, 3):
            answer = ("yes", "partly", "no")[(i + theme) % 3]
            assert p.call("vote", theme=theme, answer=answer) == {"ok": True}
            answers[(i, theme)] = answer
    assert p.call("vote", theme=1, answer="yes") == {"ok": True}  # a changed mind replaces
    answers[(len(phones) - 1, 1)] = "yes"
    # A phone on w1 adds something; the host on w2 shows it; the beamer on w1 shows it.
    idea = phones[0].call("addition", theme=2, text="Drempels op de Dorpsstraat")["addition"]
    host.wait_for(lambda: any(a["id"] == idea for a in host.additions), what="the addition on the host")
    assert host.call("moderate", addition=idea, show=True) == {"ok": True}
    beamer.wait_for(
        lambda: [a["text"] for a in beamer.state["additions"]] == ["Drempels op de Dorpsstraat"],
        what="the shown addition on the beamer",
    )
    # A paper form typed in by the helper, through nginx.
    form = {"origin": "paper", "votes": {"1": "no", "2": "no"}, "additions": [], "pledges": []}
    assert helper.call("submit_form", **form)["ok"]
    expected = {t: Counter(a for (i, th), a in answers.items() if th == t) for t in TITLES}
    expected[1]["no"] += 1
    expected[2]["no"] += 1

    def recognition_matches():
        rows = {r["theme"]: r for r in beamer.tally["themes"]}
        return all(
            rows.get(t, {}).get(k, 0) == expected[t][k] for t in TITLES for k in ("yes", "partly", "no")
        )

    beamer.wait_for(recognition_matches, what="the recognition tally on the beamer")
    host.wait_for(lambda: host.tally["participants"] == len(phones) + 1, what="the form counted on the host")

    phase("break")
    phase("topics")
    choices = {i: 1 + i % 3 for i in range(len(phones))}
    for i, p in enumerate(phones):
        assert p.call("choose", theme=choices[i]) == {"ok": True}
    phase("pledges")
    pledges = {}
    for i, p in enumerate(phones):
        if i % 2 == 0:
            pledge = {"theme": choices[i], "role": "member", "name": f"Bewoner {i}",
                      "phone": f"06 1234 56{i:02d}", "consent": True}  # fmt: skip
            assert p.call("pledge", **pledge) == {"ok": True}
            pledges[i] = pledge
    phase("results")

    def final_matches():
        rows = {r["theme"]: r for r in beamer.tally["themes"]}
        return all(
            rows[t]["chosen"] == Counter(choices.values())[t]
            and rows[t]["pledged"] == Counter(p["theme"] for p in pledges.values())[t]
            for t in TITLES
        )

    beamer.wait_for(final_matches, what="the final tally on the beamer")
    # The beamer never saw an older tally after a newer one, whichever worker sent it.
    seqs = [t["seq"] for t in beamer.tallies]
    assert seqs == sorted(seqs)

    # Exports through nginx (either worker) are exact.
    bearer = {"Authorization": f"Bearer {made['host_key']}"}
    status, _, body = get(f"{deployment.url}/{code}/werkgroepen.csv", bearer)
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert sorted(r["Naam"] for r in rows) == sorted(p["name"] for p in pledges.values())
    for r in rows:
        assert r["Werkgroep"] == TITLES[pledges[int(r["Naam"].split()[1])]["theme"]]
    for url in (w1, w2):
        status, _, body = get(f"{url}/{code}/bijeenkomst.json", bearer)
        assert status == 200
        document = json.loads(body)
        votes = Counter((v["theme"], v["answer"]) for v in document["answers"])
        assert all(votes[(t, k)] == expected[t][k] for t in TITLES for k in ("yes", "partly", "no"))
        assert len(document["participants"]) == len(phones) + 1


def test_killing_a_worker_mid_evening_its_phones_come_back_through_the_other(deployment, clients):
    made = deployment.create_meeting()
    code = made["code"]
    host = Client(deployment.workers[1].url, code, "host", made["host_key"])
    clients.append(host)
    assert host.call("set_phase", phase="recognition")["ok"]
    phones = []
    while sum(worker_of(p) == "w1" for p in phones) < 3 or len(phones) < 6:
        phone = Client(deployment.url, code, "phone", reconnect=True, transports=("polling",))
        # As the page does: a reconnect carries the token the phone was given.
        phone.sio.connection_auth = {**phone.sio.connection_auth, "token": phone.token}
        clients.append(phone)
        phones.append(phone)
        assert len(phones) < 30, "nginx never picked w1"
    on_w1 = [p for p in phones if worker_of(p) == "w1"]
    sent = {}
    for i, p in enumerate(phones):
        sent[i] = {"id": f"vote-{i}", "theme": 1, "answer": "yes" if i % 2 else "no"}
        assert p.sio.call("vote", sent[i], timeout=10) == {"ok": True}
    tokens = {id(p): p.token for p in phones}

    deployment.workers[0].stop(signal.SIGKILL)

    for p in on_w1:
        p.wait_for(lambda p=p: len(p.states) >= 2, timeout=30, what="a snapshot after the worker died")
        p.wait_connected(30)
        assert worker_of(p) == "w2"
        # Back with its own token: the same participant, its vote already there.
        assert p.state["mine"]["votes"] == {"1": sent[phones.index(p)]["answer"]}
        assert tokens[id(p)] == p.token
    # Every phone resends its vote (as a page does when unsure): nothing counts twice.
    for i, p in enumerate(phones):
        assert send_until_saved(p, "vote", sent[i]) == {"ok": True}
    host.wait_for(lambda: host.tally["participants"] == len(phones), what="the same participants")
    row = next(r for r in host.tally["themes"] if r["theme"] == 1)
    assert (row["yes"], row["no"]) == (len(phones) // 2, len(phones) - len(phones) // 2)


def test_redis_killed_during_a_vote_storm_loses_no_acknowledged_vote_and_counts_none_twice(
    deployment, clients
):
    made = deployment.create_meeting()
    code = made["code"]
    host = Client(deployment.workers[0].url, code, "host", made["host_key"], reconnect=True)
    clients.append(host)
    assert host.call("set_phase", phase="recognition")["ok"]
    phones = [Client(deployment.workers[i % 2].url, code, "phone", reconnect=True) for i in range(10)]
    clients.extend(phones)
    acked: dict[int, list] = {i: [] for i in range(len(phones))}
    refused = Counter()
    stop = threading.Event()

    def storm(i: int) -> None:
        p, n = phones[i], 0
        while not stop.is_set() and n < 200:
            n += 1
            payload = {"id": f"p{i}-{n}", "theme": 1 + n % 3, "answer": ("yes", "partly", "no")[(i + n) % 3]}
            deadline = time.monotonic() + 60
            while True:  # as a page does: the same id until it is answered for good
                try:
                    ack = p.sio.call("vote", payload, timeout=5)
                except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
                    ack = {"ok": False, "error": "timeout"}
                if ack.get("ok"):
                    acked[i].append(payload)
                    break
                refused[ack.get("error")] += 1
                assert ack.get("error") in ("store_unavailable", "timeout", "server_error"), ack
                assert time.monotonic() < deadline, "a vote was never saved after Redis came back"
                time.sleep(0.1)
            time.sleep(0.02)

    with ThreadPoolExecutor(len(phones)) as pool:
        running = [pool.submit(storm, i) for i in range(len(phones))]
        time.sleep(1.0)
        deployment.redis.kill()
        time.sleep(1.5)
        deployment.redis.start()
        time.sleep(2.0)
        stop.set()
        for done in running:
            done.result()
    assert refused["store_unavailable"] > 0  # the storm did meet the outage

    # Each phone's newest acknowledged vote per theme is what counts, once.
    last = {}
    for i, votes in acked.items():
        for payload in votes:
            last[(i, payload["theme"])] = payload["answer"]
    want = {t: Counter(a for (_, th), a in last.items() if th == t) for t in (1, 2, 3)}
    bearer = {"Authorization": f"Bearer {made['host_key']}"}
    status, _, body = get(f"{deployment.url}/{code}/bijeenkomst.json", bearer)
    assert status == 200
    document = json.loads(body)
    stored = Counter((v["theme"], v["answer"]) for v in document["answers"])
    assert all(stored[(t, k)] == want[t][k] for t in want for k in ("yes", "partly", "no")), (stored, want)
    assert len(document["answers"]) == len(last)

    def tally_matches():
        rows = {r["theme"]: r for r in host.tally["themes"]}
        return all(rows.get(t, {}).get(k, 0) == want[t][k] for t in want for k in ("yes", "partly", "no"))

    # The live tally is exact too once an update goes out (a new vote after Redis is back).
    assert send_until_saved(phones[0], "vote", {**acked[0][-1], "id": "after"}) == {"ok": True}
    host.wait_for(tally_matches, timeout=20, what="an exact tally after Redis came back")


def test_a_meeting_moves_from_a_laptop_to_the_region_and_back_with_nothing_lost(deployment, tmp_path):
    from test_archive_format import export, outputs, play_evening, screens

    laptop = Server(tmp_path / "laptop").start()
    home = Server(tmp_path / "home").start()
    try:
        made = play_evening(laptop)
        document = export(laptop, made)
        status, moved = api(deployment.url + "/api/meetings/import", document)
        assert status == 201, moved
        in_region = export(deployment, moved)
        assert {k: v for k, v in in_region.items() if k != "exported_at"} == {
            k: v for k, v in document.items() if k != "exported_at"
        }
        assert screens(deployment, moved)[0] == screens(laptop, made)[0]
        assert outputs(deployment, moved) == outputs(laptop, made)
        status, back = api(home.url + "/api/meetings/import", in_region)
        assert status == 201, back
        assert outputs(home, back) == outputs(laptop, made)
    finally:
        laptop.stop()
        home.stop()


def test_a_hall_scanning_the_qr_code_at_once_all_gets_in(deployment):
    """Hundreds of phones connecting in the same second to one worker: every one gets in (its
    Redis connections are shared by green threads that wait for a free one; redis-py's plain pool
    refused past 100 with "Too many connections", which phones saw as store_unavailable)."""
    import asyncio

    made = deployment.create_meeting()
    url = deployment.workers[0].url
    refused = Counter()

    async def phone():
        client = socketio.AsyncClient(reconnection=False)
        client.on("connect_error", lambda data: refused.update([str((data or {}).get("message"))]))
        try:
            auth = {"code": made["code"], "role": "phone"}
            await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=30)
            return client
        except socketio.exceptions.ConnectionError:
            return None

    async def hall():
        phones = await asyncio.gather(*(phone() for _ in range(300)))
        await asyncio.gather(*(p.disconnect() for p in phones if p), return_exceptions=True)
        return sum(p is not None for p in phones)

    # A loop of its own in a thread of its own: a browser test before this one in the same
    # process may have left an event loop running in this thread.
    got = []
    runner = threading.Thread(target=lambda: got.append(asyncio.run(hall())))
    runner.start()
    runner.join(120)
    assert got == [300], refused
