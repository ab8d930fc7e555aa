"""Figures for docs/security.md: what the import costs a bystander, and what it may make.

    .venv/bin/python tools/import_attack.py

Starts its own ``python -m live`` on loopback and prints, for each attack of issue 15, what a
phone that votes in another meeting meanwhile waits for its acks (max and p99) and the server's
memory (RSS) before and after:

1. four 32 MiB import bodies at once (refused by their length, unread);
2. four imports of the largest file the limits let through at once (one runs, three get
   ``import_busy``);
3. a 2,000-participant evening imported while 50 phones vote as fast as they can;
4. 100 phone connects to the largest meeting an import may make.

It sends traffic to 127.0.0.1 only and stops by itself.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import psutil
import socketio

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from bench import free_port, server_command  # noqa: E402  (tools/bench.py, beside this script)
from test_import_safety import big_evening  # noqa: E402  (the same file the tests import)


def post(url: str, body: bytes, timeout: float = 120) -> int:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return 0


def phone(url: str, code: str) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    client.connect(url, auth={"code": code, "role": "phone"}, transports=["websocket"], wait_timeout=10)
    return client


class Voter(threading.Thread):
    """A phone that votes again and again, recording how long each ack took."""

    def __init__(self, url: str, code: str, name: str):
        super().__init__(daemon=True)
        self.client, self.name, self.waits, self.stop = phone(url, code), name, [], threading.Event()

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            started = time.perf_counter()
            self.client.call(
                "vote", {"id": f"{self.name}-{n}", "theme": 1 + n % 3, "answer": "yes"}, timeout=60
            )
            self.waits.append(time.perf_counter() - started)
            time.sleep(0.01)


def waits(voters) -> str:
    every = sorted(w for v in voters for w in v.waits)
    if not every:
        return "no acks"
    p99 = every[min(len(every) - 1, int(len(every) * 0.99))]
    median, worst = statistics.median(every) * 1000, every[-1] * 1000
    return f"{len(every)} acks, median {median:.0f} ms, p99 {p99 * 1000:.0f} ms, max {worst:.0f} ms"


def during(url, code, voters_count, attack) -> tuple[str, float]:
    voters = [Voter(url, code, f"b{i}-{time.time()}") for i in range(voters_count)]
    for v in voters:
        v.start()
    time.sleep(0.5)
    started = time.perf_counter()
    attack()
    took = time.perf_counter() - started
    time.sleep(0.3)
    for v in voters:
        v.stop.set()
    for v in voters:
        v.join(60)
        v.client.disconnect()
    return waits(voters), took


def largest_allowed() -> dict:
    """The largest meeting the limits let an import make: 40 themes in use and 120 removed, each
    with a 120-character title and a 400-character description."""
    archive = big_evening(people=2000, themes=40)
    archive["themes"] = [
        {"id": t, "title": f"{t:03d}" + "T" * 117, "description": "D" * 400, "removed": int(t > 40)}
        for t in range(1, 161)
    ]
    return archive


def main() -> None:
    data_dir = tempfile.mkdtemp(prefix="live-import-attack-")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, LOG_LEVEL="WARNING", MAX_CONNECTIONS_PER_ADDRESS="0", UNJOINED_PER_ADDRESS="0",
               PHONE_RATE_LIMIT="1000/second", CREATE_RATE_LIMIT="1000/second")  # fmt: skip
    proc = subprocess.Popen(server_command(port, data_dir), env=env, stdout=subprocess.DEVNULL)
    server = psutil.Process(proc.pid)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        rss = lambda: server.memory_info().rss / 2**20  # noqa: E731
        req = urllib.request.Request(
            url + "/api/meetings",
            data=json.dumps({"title": "Buren", "themes": ["A", "B", "C"]}).encode(),
            headers={"Content-Type": "application/json"},
        )
        made = json.loads(urllib.request.urlopen(req).read())
        host = socketio.Client(reconnection=False)
        host.connect(
            url,
            auth={"code": made["code"], "role": "host", "token": made["host_key"]},
            transports=["websocket"],
        )
        host.call("set_phase", {"id": "p", "phase": "recognition"})
        print(f"server RSS at start: {rss():.0f} MiB")

        def huge_bodies():
            def send():
                sock = socket.create_connection(("127.0.0.1", port), timeout=30)
                sock.sendall(
                    f"POST /api/meetings/import HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {32 * 2**20}\r\n\r\n".encode()
                )
                chunk = b" " * 2**20
                try:
                    for _ in range(32):
                        sock.sendall(chunk)
                except OSError:
                    pass
                sock.close()

            threads = [threading.Thread(target=send) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

        result, took = during(url, made["code"], 50, lambda: time.sleep(3))
        print(
            f"0. for comparison, 50 phones voting as fast as they can for {took:.0f} s,"
            f" nothing else: {result}"
        )

        before = rss()
        result, took = during(url, made["code"], 1, huge_bodies)
        print(
            f"1. four 32 MiB bodies at once ({took:.1f} s): bystander {result};"
            f" RSS {before:.0f} -> {rss():.0f} MiB"
        )

        body = json.dumps(largest_allowed(), indent=1).encode()
        statuses = []

        def four_imports():
            def one():
                statuses.append(post(url + "/api/meetings/import", body))

            threads = [threading.Thread(target=one) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

        before = rss()
        result, took = during(url, made["code"], 1, four_imports)
        print(
            f"2. four imports of the largest allowed meeting ({len(body) / 2**20:.1f} MiB) at once,"
            f" {took:.1f} s,"
            f" answers {sorted(statuses)}: bystander {result}; RSS {before:.0f} -> {rss():.0f} MiB"
        )

        evening = json.dumps(big_evening(), indent=1).encode()
        statuses.clear()
        result, took = during(
            url, made["code"], 50, lambda: statuses.append(post(url + "/api/meetings/import", evening))
        )
        print(
            f"3. a 2,000-participant evening ({len(evening) / 2**20:.1f} MiB) imported in {took:.1f} s"
            f" (answer {statuses[0]}) while 50 phones voted: {result}"
        )

        req = urllib.request.Request(
            url + "/api/meetings/import", data=body, headers={"Content-Type": "application/json"}
        )
        largest = json.loads(urllib.request.urlopen(req, timeout=120).read())
        before = rss()
        phones = [phone(url, largest["code"]) for _ in range(100)]
        time.sleep(1)
        print(
            f"4. 100 phones connected to the largest meeting an import may make:"
            f" RSS {before:.0f} -> {rss():.0f} MiB"
            f" ({(rss() - before) * 1024 / 100:.0f} KiB a phone)"
        )
        for p in phones:
            p.disconnect()
        host.disconnect()
        print("healthz:", urllib.request.urlopen(url + "/healthz").read().decode())
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
