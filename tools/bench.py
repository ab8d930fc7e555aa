"""``python tools/bench.py``: the load benchmark (issue 4), printed as one JSON document.

It starts the real server (``python -m live`` under eventlet) on 127.0.0.1, or targets a local
``--url``, creates a meeting, and drives it from one asyncio process with real python-socketio
clients over websocket: one projector, one host and N phones. The phones join (spread over
``--connect-window``), then run three storms, each spread evenly over ``--window``: every phone
votes on every theme (or on one), chooses a theme, and pledges. BENCHMARKS.md has the figures.

What it measures: connect time, server RSS, ack latency per storm, the time from a phone sending
an action until the projector shows a tally that counts it, projector updates per second, refusals
by slug, disconnects, and whether the final tally is exact. It must not import the server (it
talks to it only over the network, like a phone) and never connects anywhere but this machine.
Every wait is bounded, so a stuck server ends the run with a report instead of a hang.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
ANSWERS = ("yes", "partly", "no")
ROLES = ("lead", "member", "occasional")
# Which tally field a storm moves, and the phase the host switches to first.
STORMS = (
    ("vote", "recognition", ("yes", "partly", "no")),
    ("choose", "topics", ("chosen",)),
    ("pledge", "pledges", ("pledged",)),
)


def now() -> float:
    """The one clock of the benchmark, in seconds."""
    return time.perf_counter()


def percentiles(values: list[float]) -> dict:
    """p50/p95/p99/max in milliseconds (nearest rank), or nulls when nothing was measured."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def rank(p):
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]

    return {
        "n": len(ordered),
        **{f"p{p}": round(rank(p) * 1000, 1) for p in (50, 95, 99)},
        "max": round(ordered[-1] * 1000, 1),
    }


def updates_per_second(times: list[float]) -> dict:
    """The most updates in any one-second window, and the mean rate from first to last."""
    if not times:
        return {"count": 0, "max_per_s": 0, "mean_per_s": 0.0}
    most, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        most = max(most, end - start + 1)
    span = times[-1] - times[0]
    mean = (len(times) - 1) / span if span > 0 else 0.0
    return {"count": len(times), "max_per_s": most, "mean_per_s": round(mean, 2)}


def sent_per_second(tallies: list) -> dict:
    """``updates_per_second`` by each tally's own ``at`` (milliseconds, the server's clock)."""
    made = [t["at"] / 1000 for _, t in tallies if isinstance(t.get("at"), int | float)]
    return updates_per_second(sorted(made))


def coverage(sent_at: list[float], shown: list[tuple[float, int]]) -> tuple[list[float], int]:
    """Send-to-projector latencies: the c-th action sent counts as shown at the first tally that
    counts at least c of them. Which action lands c-th is the server's business, so this is the
    latency of the c-th count, an honest stand-in when actions are not told apart on the beamer.
    Returns the latencies and how many actions no tally ever showed."""
    latencies, j = [], 0
    for c, t_sent in enumerate(sent_at, start=1):
        while j < len(shown) and shown[j][1] < c:
            j += 1
        if j == len(shown):
            return latencies, len(sent_at) - c + 1
        latencies.append(max(0.0, shown[j][0] - t_sent))
    return latencies, 0


def rss_kb(pid) -> int | None:
    """VmRSS of a local process in KiB, from /proc (summed over a list of pids); None without
    a pid."""
    if isinstance(pid, list | tuple):
        each = [rss_kb(one) for one in pid]
        return None if not each or None in each else sum(each)
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid) -> float | None:
    """User plus system CPU time of a local process, from /proc/<pid>/stat (summed over a list
    of pids: the workers and their Redis)."""
    if isinstance(pid, list | tuple):
        each = [cpu_seconds(one) for one in pid]
        return None if not each or None in each else round(sum(each), 2)
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)


def cpu_share(pid: int | None, before: tuple, seconds: float) -> dict:
    """The share of one core the server and this process used since ``before``: near 1.0 means
    that process was the bottleneck (eventlet and asyncio each run on one core)."""
    server = cpu_seconds(pid)
    used = None if server is None or before[0] is None else server - before[0]
    return {
        "server": None if used is None else round(used / seconds, 2),
        "bench": round((time.process_time() - before[1]) / seconds, 2),
        "server_cpu_s": None if used is None else round(used, 2),
    }


def machine_busy() -> tuple[float, float]:
    """(seconds, busy CPU seconds of the whole machine) from /proc/stat, to tell how much of the
    machine other programs used during a run: on a shared box that explains outliers."""
    with open("/proc/stat") as stat:
        ticks = [int(x) for x in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]
    return now(), (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def raise_fd_limit() -> dict:
    """Lift the soft RLIMIT_NOFILE to the hard one: every phone is a socket, here and in the
    server (which inherits the limit when the benchmark starts it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return {"before": soft, "now": resource.getrlimit(resource.RLIMIT_NOFILE)[0], "hard": hard}


def server_command(port: int, data_dir) -> list[str]:
    """The command line of a loopback server on its own port and data folder (tests use it too)."""
    return [
        sys.executable,
        "-m",
        "live",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--quiet",
    ]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def check_local(url: str) -> str:
    """The URL without a trailing slash, if it points at this machine; refuse anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname not in LOCAL_HOSTS:
        raise SystemExit(f"--url must be http://127.0.0.1:PORT or http://localhost:PORT, not {url}")
    return url.rstrip("/")


async def answers(session, url: str, alive=lambda: True, timeout: float = 30.0) -> bool:
    """Whether the server at ``url`` answers HTTP within ``timeout`` seconds."""
    import aiohttp

    deadline = now() + timeout
    while now() < deadline and alive():
        try:
            async with session.get(url + "/", timeout=2) as response:
                if response.status < 500:
                    return True
        except (TimeoutError, OSError, aiohttp.ClientError):
            pass
        await asyncio.sleep(0.1)
    return False


class Server:
    """The real server in a child process, with its own temporary data directory."""

    def __init__(self, log, **settings):
        self.log = log
        self.data_dir = tempfile.mkdtemp(prefix="live-bench-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.errors = open(os.path.join(self.data_dir, "server.err"), "w+")
        # Thousands of phones come from 127.0.0.1 here: lift the per-address caps of live/guard/.
        env = dict(
            os.environ,
            LOG_LEVEL="WARNING",
            MAX_CONNECTIONS_PER_ADDRESS="0",
            UNJOINED_PER_ADDRESS="0",
            CREATE_RATE_LIMIT="1000/minute",
        )  # --meetings makes many from 127.0.0.1
        env.update(settings)
        self.proc = subprocess.Popen(
            server_command(self.port, self.data_dir),
            stdout=subprocess.DEVNULL,
            stderr=self.errors,
            env=env,
        )
        self.pid = self.proc.pid

    async def ready(self, session) -> None:
        """Wait until the server answers HTTP, or fail with its error output."""
        if not await answers(session, self.url, alive=lambda: self.proc.poll() is None):
            raise SystemExit(f"server did not start:\n{self.stderr_tail()}")

    def stderr_tail(self) -> str:
        """The last lines the server wrote to stderr."""
        self.errors.flush()
        self.errors.seek(0)
        return "".join(self.errors.readlines()[-20:])

    def stop(self) -> None:
        """Terminate the server and remove its data."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.errors.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)


class Redis:
    """A Redis of the benchmark's own on a free port, keeping every acknowledged action as a
    deployment must (``appendonly yes``, ``appendfsync always``), in a temporary folder."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="live-bench-redis-")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        command = [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
                   "--bind", "127.0.0.1", "--dir", self.folder, "--save", "",
                   "--appendonly", "yes", "--appendfsync", "always"]  # fmt: skip
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.pid = self.proc.pid
        deadline = now() + 10
        while now() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise SystemExit("redis-server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Run:
    """Everything the clients observe; the report is computed from it at the end."""

    phones: int
    pid: int | None = None
    closing: bool = False
    disconnects: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    tallies: list = field(default_factory=list)  # (received_at, tally)
    phase_seen: Counter = field(default_factory=Counter)
    phase_waiter: tuple | None = None  # (phase, future) while waiting for every phone

    def phone_saw(self, phase: str) -> None:
        """Count a phone that shows a phase; wake the waiter when all of them do."""
        self.phase_seen[phase] += 1
        if self.phase_waiter and self.phase_waiter[0] == phase:
            if self.phase_seen[phase] >= self.phones and not self.phase_waiter[1].done():
                self.phase_waiter[1].set_result(now())


class Client:
    """One Socket.IO connection as a phone, the projector or the host."""

    def __init__(self, run: Run, role: str, session, request_timeout: float):
        import socketio

        self.run, self.role = run, role
        self.sio = socketio.AsyncClient(
            reconnection=False,
            http_session=session,
            handle_sigint=False,
            request_timeout=request_timeout,
        )
        self.state = asyncio.get_running_loop().create_future()
        self.sio.on("state", self._on_state)
        self.sio.on("disconnect", self._on_disconnect)
        if role in ("projector", "host"):
            self.sio.on("tally", self._on_tally)

    def _on_state(self, state):
        if not self.state.done():
            self.state.set_result(now())
        if self.role == "phone":
            self.run.phone_saw(state.get("phase"))

    def _on_tally(self, tally):
        if self.role == "projector":
            self.run.tallies.append((now(), tally))

    def _on_disconnect(self, *reason):
        if not self.run.closing:
            self.run.disconnects[self.role] += 1

    async def connect(self, url: str, auth: dict, timeout: float) -> float | None:
        """Connect and wait for the first ``state``; the seconds it took, or None on failure."""
        started = now()
        try:
            await asyncio.wait_for(self._connect(url, auth, timeout), timeout)
        except Exception as exc:  # refused, reset, timed out: all count as a failed connect
            self.run.errors[f"connect_{type(exc).__name__}"] += 1
            return None
        return self.state.result() - started

    async def _connect(self, url, auth, timeout):
        await self.sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=timeout)
        await self.state

    async def send(self, event: str, payload: dict, acks: list, sent: list) -> None:
        """Emit one action; its ack latency lands in ``acks``, refusals in the run's errors."""
        started = now()

        def on_ack(ack=None, *_):
            acks.append(now() - started)
            if not (isinstance(ack, dict) and ack.get("ok")):
                slug = ack.get("error", "no_slug") if isinstance(ack, dict) else "bad_ack"
                self.run.errors[f"{event}:{slug}"] += 1

        sent.append(started)
        try:
            await self.sio.emit(event, payload, callback=on_ack)
        except Exception as exc:
            self.run.errors[f"{event}:send_{type(exc).__name__}"] += 1

    async def call(self, event: str, payload: dict, timeout: float) -> dict:
        """Emit and wait for the ack (the host's phase changes)."""
        try:
            return await self.sio.call(event, payload, timeout=timeout)
        except Exception as exc:
            return {"ok": False, "error": f"call_{type(exc).__name__}"}


def storm_plan(kind: str, phones: int, themes: int, vote_on: str) -> list[tuple[int, dict]]:
    """(phone index, payload) in sending order, interleaved so each phone's actions are spread."""
    plan = []
    if kind == "vote":
        rounds = range(1, themes + 1) if vote_on == "all" else (1,)
        for theme in rounds:
            for i in range(phones):
                answer = ANSWERS[(i + theme) % 3]
                plan.append((i, {"id": f"v{theme}", "theme": theme, "answer": answer}))
    elif kind == "choose":
        for i in range(phones):
            plan.append((i, {"id": "c", "theme": i % themes + 1}))
    else:
        for i in range(phones):
            contact = {"email": f"bench{i}@example.org"} if i % 2 else {"phone": f"+316{10000000 + i}"}
            plan.append(
                (
                    i,
                    {
                        "id": "p",
                        "theme": i % themes + 1,
                        "role": ROLES[i % 3],
                        "name": f"Bench {i}",
                        "consent": True,
                        **contact,
                    },
                )
            )
    return plan


def expected_tally(plans: dict, themes: int) -> list[dict]:
    """The tally the projector must end on, computed from what the phones did."""
    rows = {
        t: {"theme": t, "yes": 0, "partly": 0, "no": 0, "chosen": 0, "pledged": 0}
        for t in range(1, themes + 1)
    }
    for kind, plan in plans.items():
        for _, payload in plan:
            key = {"vote": payload.get("answer"), "choose": "chosen", "pledge": "pledged"}[kind]
            rows[payload["theme"]][key] += 1
    return [rows[t] for t in sorted(rows)]


def counted(tally: dict, keys: tuple) -> int:
    """How many actions of one kind a tally counts, over every theme."""
    return sum(row.get(k, 0) for row in tally.get("themes", []) for k in keys)


async def run_storm(
    args, run: Run, host: Client, phones: list, kind: str, phase: str, keys: tuple, plan: list, log
) -> dict:
    """Switch the phase, wait until every phone shows it, then send the plan spread over the
    window; wait (bounded) for every ack and for the projector to count everything."""
    loop = asyncio.get_running_loop()
    run.phase_waiter = (phase, loop.create_future())
    asked = now()
    cpu = (cpu_seconds(run.pid), time.process_time())
    ack = await host.call("set_phase", {"id": f"phase-{phase}", "phase": phase}, args.ack_timeout)
    if not ack.get("ok"):
        run.errors[f"set_phase:{ack.get('error')}"] += 1
    live = [p for p in phones if p is not None]
    run.phones = len(live)
    try:
        all_seen = await asyncio.wait_for(run.phase_waiter[1], args.ack_timeout)
        phase_ms = round((all_seen - asked) * 1000, 1)
    except TimeoutError:
        phase_ms = None
        run.errors["phase_not_seen_by_all"] += 1

    base = counted(run.tallies[-1][1], keys) if run.tallies else 0
    first_tally = len(run.tallies)
    acks, sent, lag = [], [], 0.0
    step = args.window / max(1, len(plan))
    log(f"{kind} storm: {len(plan)} actions over {args.window:g} s")
    start = now()
    for n, (i, payload) in enumerate(plan):
        due = start + n * step
        wait = due - now()
        if wait > 0.001:
            await asyncio.sleep(wait)
        lag = max(lag, now() - due)
        if phones[i] is not None:
            await phones[i].send(kind, payload, acks, sent)
    send_s = now() - start

    deadline = now() + args.ack_timeout
    while len(acks) < len(sent) and now() < deadline:
        await asyncio.sleep(0.01)
    acked_s = now() - start
    # Then until the projector counts every action, and a little longer for a trailing update.
    deadline = now() + args.ack_timeout
    while now() < deadline and (not run.tallies or counted(run.tallies[-1][1], keys) - base < len(sent)):
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.3)

    busy = now() - asked
    cpu = cpu_share(run.pid, cpu, busy)
    shown = [(t, counted(tally, keys) - base) for t, tally in run.tallies[first_tally:]]
    latencies, unshown = coverage(sent, shown)
    return {
        "actions": len(plan),
        "sent": len(sent),
        "acked": len(acks),
        "acks_missing": len(sent) - len(acks),
        "send_s": round(send_s, 2),
        "all_acked_s": round(acked_s, 2),
        "send_lag_max_ms": round(lag * 1000, 1),
        "phase_to_all_phones_ms": phase_ms,
        "ack_ms": percentiles(acks),
        "to_projector_ms": {**percentiles(latencies), "never_shown": unshown},
        "projector_updates": updates_per_second([t for t, _ in run.tallies[first_tally:]]),
        # The same by the time each update was made on the server (its ``at``): a busy benchmark
        # process reads a socket late and sees several at once; this is what the server sent.
        "projector_updates_sent": sent_per_second(run.tallies[first_tally:]),
        "cpu_share": cpu,
        # CPU the server spent per action: what bounds throughput, whatever else runs on the box.
        "server_cpu_ms_per_action": None
        if cpu["server_cpu_s"] is None or not sent
        else round(cpu["server_cpu_s"] * 1000 / len(sent), 3),
    }


async def bench(args, log) -> dict:
    """The whole run; returns the report."""
    import aiohttp

    fd_limit = raise_fd_limit()
    machine = {"cpus": os.cpu_count(), "load_start": load_average()}
    busy_start, ours_start = machine_busy(), sum(os.times()[:2])
    connector = aiohttp.TCPConnector(limit=0)
    session = aiohttp.ClientSession(connector=connector)
    servers, redis = [], None
    try:
        if args.url:
            urls = [check_local(url) for url in args.url.split(",")]
            pid = args.pid
            for url in urls:
                if not await answers(session, url):
                    raise SystemExit(f"nothing answers at {url}")
        else:
            settings = {}
            if args.store == "redis":
                redis = Redis()
                log(f"started Redis on port {redis.port} (appendfsync always, pid {redis.pid})")
                settings = {"STORE": redis.url, "REDIS_PREFIX": "bench:"}
            for i in range(1, args.workers + 1):
                name = {"WORKER_NAME": f"w{i}"} if args.workers > 1 else {}
                servers.append(Server(log, **settings, **name))
                log(f"starting worker {i} on {servers[-1].url} (pid {servers[-1].pid})")
            for server in servers:
                await server.ready(session)
            urls = [server.url for server in servers]
            pids = [server.pid for server in servers] + ([redis.pid] if redis else [])
            pid = pids[0] if len(pids) == 1 else pids
        # CPU of each process over the whole run: which of the workers and Redis bounds it.
        named = {} if args.url else {f"w{i}": server.pid for i, server in enumerate(servers, 1)}
        if redis is not None:
            named["redis"] = redis.pid
        cpu_start = {name: cpu_seconds(p) for name, p in named.items()}
        if args.meetings == 1:
            report = await drive(args, urls, pid, session, log)
        else:
            report = await many(args, urls, pid, session, log)
        report["cpu_s_by_process"] = {n: round(cpu_seconds(p) - cpu_start[n], 2) for n, p in named.items()}
        report["fd_limit"] = fd_limit
        # Cores busy with anything but this benchmark and its server, on average over the run.
        busy_end = machine_busy()
        ours = sum(os.times()[:2]) - ours_start + (report.pop("_server_cpu_total", None) or 0.0)
        machine["load_end"] = load_average()
        machine["other_cpu_cores"] = round(
            (busy_end[1] - busy_start[1] - ours) / (busy_end[0] - busy_start[0]), 2
        )
        report["machine"] = machine
        report["workers"] = len(urls)
        report["store"] = args.store if not args.url else "given"
        for server in servers:
            if server.proc.poll() is not None:
                report.setdefault("server_exit", []).append(server.proc.returncode)
                report.setdefault("server_stderr", []).append(server.stderr_tail())
        return report
    finally:
        await session.close()
        for server in servers:
            server.stop()
        if redis is not None:
            redis.stop()


async def many(args, urls: list[str], pid, session, log) -> dict:
    """``--meetings`` meetings of ``--phones`` phones each, at once, on the same workers."""
    cpu_before = cpu_seconds(pid)
    start = now()
    reports = await asyncio.gather(
        *(drive(args, urls, None, session, log, first=m) for m in range(args.meetings))
    )
    took = now() - start
    cpu_used = None if cpu_before is None else round(cpu_seconds(pid) - cpu_before, 2)
    actions = sum(s["sent"] for r in reports for s in r["storms"].values())
    return {
        "meetings": args.meetings,
        "phones": args.phones,
        "themes": args.themes,
        "vote_on": args.vote_on,
        "window_s": args.window,
        "all_exact": all(r["exact"] for r in reports),
        "projector_updates_max_per_s": max(r["projector_updates"]["max_per_s"] for r in reports),
        "projector_updates_sent_max_per_s": max(r["projector_updates_sent"]["max_per_s"] for r in reports),
        "vote_ack_ms_p99_worst": max(r["storms"]["vote"]["ack_ms"]["p99"] or 0 for r in reports),
        "vote_to_projector_ms_p99_worst": max(
            r["storms"]["vote"]["to_projector_ms"]["p99"] or 0 for r in reports
        ),
        "connected": sum(r["connect"]["connected"] for r in reports),
        "errors": dict(sum((Counter(r["errors"]) for r in reports), Counter())),
        "disconnects": sum(r["disconnects"] for r in reports),
        "acks_missing": sum(r["acks_missing"] for r in reports),
        "total_s": round(took, 2),
        "actions": actions,
        "server_cpu_s": cpu_used,
        "server_cpu_ms_per_action": None
        if cpu_used is None or not actions
        else round(cpu_used * 1000 / actions, 3),
        "per_meeting": reports,
    }


async def drive(args, urls: list[str], pid, session, log, first: int = 0) -> dict:
    """Create the meeting, connect everyone, run the storms and collect the report. With several
    workers (``urls``) the phones are spread over them in turn, the projector is on the first
    and the host on the last; ``first`` shifts the turn (one meeting of several)."""
    url = urls[0]
    themes = [{"title": f"Theme {t}", "description": "Benchmark theme"} for t in range(1, args.themes + 1)]
    async with session.post(
        url + "/api/meetings", json={"title": "Benchmark", "themes": themes}, timeout=30
    ) as response:
        if response.status != 201:
            raise SystemExit(f"creating a meeting failed: {response.status} {await response.text()}")
        meeting = await response.json()
    code = meeting["code"]
    run = Run(phones=args.phones, pid=pid)
    timeout = args.ack_timeout

    projector = Client(run, "projector", session, timeout)
    host = Client(run, "host", session, timeout)
    for client, key, where in ((projector, "projector_key", urls[0]), (host, "host_key", urls[-1])):
        if (
            await client.connect(where, {"code": code, "role": client.role, "token": meeting[key]}, timeout)
            is None
        ):
            raise SystemExit(f"the {client.role} could not connect: {dict(run.errors)}")
    ack = await host.call("set_phase", {"id": "phase-lobby", "phase": "lobby"}, timeout)
    rss_before = rss_kb(pid)
    cpu_before = cpu_seconds(pid)

    log(f"connecting {args.phones} phones over {args.connect_window:g} s")
    phones: list = [None] * args.phones
    connect_times: list[float] = []

    async def join(i: int, due: float) -> None:
        await asyncio.sleep(max(0.0, due - now()))
        phone = Client(run, "phone", session, timeout)
        took = await phone.connect(urls[(first + i) % len(urls)], {"code": code, "role": "phone"}, timeout)
        if took is not None:
            phones[i] = phone
            connect_times.append(took)

    start = now()
    cpu = (cpu_seconds(pid), time.process_time())
    step = args.connect_window / max(1, args.phones)
    await asyncio.gather(*(join(i, start + i * step) for i in range(args.phones)))
    connect_total = now() - start
    connect_cpu = cpu_share(pid, cpu, connect_total)
    await asyncio.sleep(1.0)  # let the server settle before reading its memory
    rss_connected = rss_kb(pid)
    connected = sum(p is not None for p in phones)
    log(f"{connected} phones connected in {connect_total:.2f} s")

    plans = {kind: storm_plan(kind, args.phones, args.themes, args.vote_on) for kind, _, _ in STORMS}
    storms = {}
    for kind, phase, keys in STORMS:
        storms[kind] = await run_storm(args, run, host, phones, kind, phase, keys, plans[kind], log)

    # The last tally must equal what the phones did (phones that never connected did nothing).
    done = {kind: [(i, p) for i, p in plan if phones[i] is not None] for kind, plan in plans.items()}
    want = expected_tally(done, args.themes)
    last = run.tallies[-1][1] if run.tallies else {}
    got = [{k: row.get(k) for k in want[0]} for row in last.get("themes", [])]
    exact = got == want and last.get("participants") == connected

    rss_after = rss_kb(pid)
    cpu_after = cpu_seconds(pid)
    run.closing = True
    await asyncio.gather(
        *(c.sio.disconnect() for c in [projector, host, *phones] if c is not None), return_exceptions=True
    )
    acks_missing = sum(s["acks_missing"] for s in storms.values())
    per_phone = None
    if rss_before is not None and rss_connected is not None and connected:
        per_phone = round((max(rss_connected, rss_after or 0) - rss_before) / connected, 1)
    return {
        "phones": args.phones,
        "themes": args.themes,
        "vote_on": args.vote_on,
        "window_s": args.window,
        "connect_window_s": args.connect_window,
        "server": ",".join(urls) if args.url else "started",
        "lobby_ack_ok": bool(ack.get("ok")),
        "connect": {
            "connected": connected,
            "failed": args.phones - connected,
            "total_s": round(connect_total, 2),
            **{k: v for k, v in percentiles(connect_times).items() if k != "p99"},
            "cpu_share": connect_cpu,
        },
        "server_rss_kb": {
            "before_phones": rss_before,
            "after_connect": rss_connected,
            "after_storms": rss_after,
            "per_phone": per_phone,
        },
        "server_cpu_s": None if cpu_before is None else round(cpu_after - cpu_before, 2),
        "_server_cpu_total": cpu_after,
        "bench_cpu_s": round(sum(os.times()[:2]), 2),
        "storms": storms,
        "projector_updates": updates_per_second([t for t, _ in run.tallies]),
        "projector_updates_sent": sent_per_second(run.tallies),
        "errors": dict(run.errors),
        "disconnects": sum(run.disconnects.values()),
        "disconnects_by_role": dict(run.disconnects),
        "acks_missing": acks_missing,
        "exact": exact,
        "final_tally": {"participants": last.get("participants"), "themes": got},
        "expected_tally": {"participants": connected, "themes": want},
    }


def parse_args(argv=None):
    """The command line."""
    parser = argparse.ArgumentParser(prog="python tools/bench.py", description=__doc__.split("\n")[0])
    parser.add_argument("--phones", type=int, default=100, help="phones to connect (100)")
    parser.add_argument("--window", type=float, default=5.0, help="seconds each storm is spread over (5)")
    parser.add_argument(
        "--connect-window",
        type=float,
        default=1.0,
        help="seconds the connects are spread over; 1 models the QR moment (1)",
    )
    parser.add_argument("--themes", type=int, default=5, help="themes in the meeting (5)")
    parser.add_argument(
        "--vote-on",
        choices=("all", "one"),
        default="one",
        help="every phone votes once (on the first theme), or on every theme (one)",
    )
    parser.add_argument(
        "--url", help="a server already running on this machine (or several, comma-separated); default: start"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="workers to start (1); more need --store redis"
    )
    parser.add_argument(
        "--store",
        choices=("sqlite", "redis"),
        default="sqlite",
        help="the started workers' store; redis: a Redis of its own with appendfsync always (sqlite)",
    )
    parser.add_argument(
        "--meetings", type=int, default=1, help="meetings of --phones phones each, at once (1)"
    )
    parser.add_argument(
        "--pid", type=int, help="with --url: the server's process id, to read its memory and CPU"
    )
    parser.add_argument(
        "--ack-timeout",
        type=float,
        default=30.0,
        help="seconds to wait for a connect, an ack or a tally (30)",
    )
    parser.add_argument("--json-only", action="store_true", help="print the JSON and nothing else")
    args = parser.parse_args(argv)
    if args.phones < 1 or args.themes < 1 or args.window <= 0 or args.connect_window < 0:
        parser.error("--phones and --themes must be at least 1, --window above 0")
    if args.workers < 1 or args.meetings < 1 or (args.workers > 1 and args.store != "redis" and not args.url):
        parser.error("--workers and --meetings must be at least 1; several workers need --store redis")
    return args


def summary(report: dict) -> str:
    """A few human lines for the terminal, beside the JSON."""
    c, rss = report["connect"], report["server_rss_kb"]
    lines = [
        f"{report['phones']} phones: connected {c['connected']} in {c['total_s']} s "
        f"(p95 {c['p95']} ms), RSS {rss['before_phones']} -> {rss['after_connect']} KiB "
        f"({rss['per_phone']} KiB/phone)"
    ]
    for kind, s in report["storms"].items():
        lines.append(
            f"  {kind:6} ack p99 {s['ack_ms']['p99']} ms, to projector p99 "
            f"{s['to_projector_ms']['p99']} ms, updates max {s['projector_updates']['max_per_s']}/s"
        )
    lines.append(
        f"  exact {report['exact']}, errors {report['errors']}, disconnects "
        f"{report['disconnects']}, acks missing {report['acks_missing']}"
    )
    return "\n".join(lines)


def summary_many(report: dict) -> str:
    """The human lines for ``--meetings``."""
    return (
        f"{report['meetings']} meetings of {report['phones']} phones: all exact {report['all_exact']}, "
        f"projector updates max {report['projector_updates_max_per_s']}/s, vote ack p99 worst "
        f"{report['vote_ack_ms_p99_worst']} ms, to projector p99 worst "
        f"{report['vote_to_projector_ms_p99_worst']} ms, "
        f"server CPU {report['server_cpu_ms_per_action']} ms/action, errors {report['errors']}"
    )


def table(paths: list[str]) -> str:
    """BENCHMARKS.md rows from saved reports, so no figure is typed by hand."""

    def ms(d):
        return "/".join(str(d.get(k, "–")) for k in ("p50", "p95", "p99", "max")) if d else "–"

    head = (
        "| phones | votes each | connect p50/p95/max ms (all in s) | RSS KiB per phone "
        "| vote ack p50/p95/p99/max ms | vote→projector p50/p95/p99/max ms "
        "| choose / pledge ack p99 ms | projector updates/s max | server CPU ms/vote "
        "| errors | disconnects | exact |\n" + "|---" * 12 + "|"
    )
    rows = [head]
    for path in paths:
        with open(path) as f:
            r = json.load(f)
        c, storms = r["connect"], r["storms"]
        vote = storms.get("vote", {})
        rows.append(
            f"| {r['phones']} | {1 if r['vote_on'] == 'one' else r['themes']} "
            f"| {c.get('p50')}/{c.get('p95')}/{c.get('max')} ({c.get('total_s')}) "
            f"| {r['server_rss_kb'].get('per_phone')} | {ms(vote.get('ack_ms'))} "
            f"| {ms(vote.get('to_projector_ms'))} "
            f"| {storms.get('choose', {}).get('ack_ms', {}).get('p99', '–')} / "
            f"{storms.get('pledge', {}).get('ack_ms', {}).get('p99', '–')} "
            f"| {r['projector_updates'].get('max_per_s', '–')} "
            f"| {vote.get('server_cpu_ms_per_action', '–')} | {r['errors'] or 'none'} "
            f"| {r['disconnects']} | {'yes' if r['exact'] else '**no**'} |"
        )
    return "\n".join(rows)


def main(argv=None) -> int:
    """Run the benchmark and print the report (or, with --table, tables of saved reports)."""
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--table"]:
        print(table(argv[1:]))
        return 0
    args = parse_args(argv)

    def log(text):
        if not args.json_only:
            print(text, file=sys.stderr, flush=True)

    # The clients log a dropped connection at ERROR; the report counts them instead.
    for name in ("engineio.client", "socketio.client"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    report = asyncio.run(bench(args, log))
    log(summary(report) if "connect" in report else summary_many(report))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
