"""Shared fixtures: a real server process, real Socket.IO clients, a Flask app for HTTP tests."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import socketio
from stores import STORES, Opened

ROOT = Path(__file__).resolve().parent.parent
IN_CI = bool(os.environ.get("CI"))


def server_command(port: int, data_dir) -> list[str]:
    """The command line of a loopback server on its own port and data folder."""
    where = ["--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir)]
    return [sys.executable, "-m", "live", *where, "--quiet"]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running ``python -m live`` process on loopback."""

    def __init__(self, data_dir: Path, env: dict | None = None, port: int | None = None):
        self.data_dir = data_dir
        self._any_port = port is None
        self._own_public_url = "PUBLIC_URL" not in (env or {})
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The suite makes far more meetings from 127.0.0.1 than CREATE_RATE_LIMIT lets one address.
        self.env = {**os.environ, "PUBLIC_URL": self.url, "CREATE_RATE_LIMIT": "100/second", **(env or {})}
        self.log_path = data_dir / f"server-{self.port}.log"
        self.proc = None

    def start(self) -> Server:
        """Start the process and wait until it answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the process' life)
        self.proc = subprocess.Popen(
            server_command(self.port, self.data_dir),
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() == 2 and self._any_port:
                # The free port was taken meanwhile (tests run in parallel): another one.
                self._log.close()
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"
                if self._own_public_url:
                    self.env["PUBLIC_URL"] = self.url
                return self.start()
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start in 20 s")

    def stop(self, sig=None) -> None:
        """Stop the process (SIGTERM, or the signal given, e.g. SIGKILL)."""
        if self.proc and self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            self.proc.wait(10)
        self._log.close()

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace")

    def create_meeting(self, themes=("Groen in de wijk", "Verkeer", "Samen eten"), title="Dorpsavond"):
        """Create a meeting through the JSON API; returns the 201 body."""
        return api(self.url + "/api/meetings", {"title": title, "themes": list(themes)})[1]


@contextlib.contextmanager
def own_server(tmp_path: Path, **env):
    """A dedicated server with these settings, for tests that would disturb the shared one."""
    srv = Server(tmp_path / f"srv-{uuid.uuid4().hex[:6]}", env={k: str(v) for k, v in env.items()})
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def api(url: str, body, headers=None):
    """POST JSON and return (status, parsed body)."""
    data = json.dumps(body).encode()
    req = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def get(url: str, headers=None):
    """GET and return (status, headers, body bytes) without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


class Client:
    """A real python-socketio client that records what the server sends it."""

    def __init__(
        self,
        url: str,
        code: str,
        role: str,
        token: str | None = None,
        reconnect: bool = False,
        ticket: str | None = None,
        transports: tuple[str, ...] = ("websocket",),
        **connect_kwargs,
    ):
        options = {}
        if not connect_kwargs.pop("ssl_verify", True):  # a throw-away certificate
            import requests

            options["ssl_verify"] = False
            # requests prefers REQUESTS_CA_BUNDLE from the environment to the session's verify.
            options["http_session"] = requests.Session()
            options["http_session"].trust_env = False
        self.sio = socketio.Client(
            reconnection=reconnect, reconnection_delay=0.3, reconnection_delay_max=1.5, **options
        )
        self.role = role
        self.states: list[dict] = []
        self.tallies: list[dict] = []
        self.additions: list[dict] = []  # every `addition` message, in arrival order
        self._addition_versions: dict[int, int] = {}
        self.counts: list[dict] = []  # `additions_counts` messages (host)
        self.views: list[dict] = []  # `projector_view` messages (host)
        self.tally = None  # the newest counts, from a tally or a state, whichever came last
        self.refused = None
        self._changed = threading.Condition()
        self.sio.on("state", self._on("states"))
        self.sio.on("tally", self._on("tallies"))
        self.notes: list[dict] = []
        self.sio.on("note", self._on("notes"))
        self.sio.on("addition", self._on_addition)
        self.sio.on("additions_counts", self._on("counts"))
        self.sio.on("projector_view", self._on("views"))
        self.sio.on("connect_error", self._refused)
        auth = {"code": code, "role": role}
        if token is not None:
            auth["token"] = token
        if ticket is not None:
            auth["ticket"] = ticket
        self.sio.connect(url, auth=auth, transports=list(transports), wait_timeout=10, **connect_kwargs)
        self.wait_for(lambda: self.states, what="first state")
        self._n = 0

    def _on(self, attr):
        def handler(data):
            with self._changed:
                getattr(self, attr).append(data)
                if attr == "tallies" or (isinstance(data, dict) and "tally" in data):
                    self.tally = data if attr == "tallies" else data["tally"]
                self._changed.notify_all()

        return handler

    def _on_addition(self, data):
        # Fold the change into the newest snapshot, as the pages do, so ``state["additions"]``
        # is what this screen knows now. Older news than the snapshot or than the last change
        # of that addition is dropped, like the pages drop it.
        with self._changed:
            self.additions.append(data)
            state = self.states[-1] if self.states else {}
            newer = max(state.get("additions_version", 0), self._addition_versions.get(data["id"], 0))
            if "additions" in state and data["version"] >= newer:
                self._addition_versions[data["id"]] = data["version"]
                kept = [a for a in state["additions"] if a["id"] != data["id"]]
                # The beamer, phones and helpers keep only what the beamer shows.
                if self.role not in ("projector", "phone", "helper") or data["status"] == "shown":
                    keys = ("id", "theme", "text", "status", "mentions")
                    kept.append({k: data[k] for k in keys if k in data})
                state["additions"] = sorted(kept, key=lambda a: a["id"])
            self._changed.notify_all()

    def _refused(self, data):
        self.refused = data

    @property
    def state(self) -> dict:
        """The newest snapshot."""
        return self.states[-1]

    @property
    def token(self) -> str:
        """The participant token the server handed out."""
        return self.states[0]["token"]

    def wait_for(self, predicate, timeout: float = 10.0, what: str = "condition"):
        """Block until predicate() is truthy, or fail the test (10 s: a busy CI machine, not a
        slow server, is what a shorter wait mostly catches)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (result := predicate()):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}")
                self._changed.wait(left)
        return result

    def wait_connected(self, timeout: float = 10.0) -> None:
        """Block until the client is connected again after a drop. python-socketio's reconnect
        gives the namespace answer only one second: on a busy machine it may get a snapshot and
        then still drop that attempt and try again, so a snapshot alone does not mean connected."""
        deadline = time.monotonic() + timeout
        while not (self.sio.connected and "/" in self.sio.namespaces):
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the reconnect")
            time.sleep(0.05)

    def call(self, event: str, payload=None, **fields):
        """Send one event and return its ack; a fresh message id is added unless given."""
        if payload is None:
            self._n += 1
            payload = {"id": f"m{self._n}-{time.monotonic_ns()}", **fields}
        return self.sio.call(event, payload, timeout=10)

    def close(self):
        """Disconnect."""
        self.sio.disconnect()


def refusal(url: str, auth) -> str | None:
    """Try to connect with this auth; return the refusal slug, or None if accepted."""
    sio = socketio.Client(reconnection=False)
    reason = {}
    sio.on("connect_error", lambda data: reason.setdefault("slug", (data or {}).get("message")))
    try:
        sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        return reason.get("slug", "refused")
    sio.disconnect()
    return None


def wrong_codes(how_many: int, avoid: str) -> list[str]:
    """Well-formed codes (the real alphabet) that are not the meeting's."""
    rng = random.Random(7)
    codes: list[str] = []
    while len(codes) < how_many:
        code = "".join(rng.choice("ACDEFGHJKMNPQRTUVWXY34679") for _ in range(5))
        if code != avoid and code not in codes:
            codes.append(code)
    return codes


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One real ``python -m live`` (eventlet, SQLite) for the session; tests make their own
    meetings."""
    srv = Server(tmp_path_factory.mktemp("server")).start()
    yield srv
    srv.stop()


@pytest.fixture
def meeting(server):
    """A fresh meeting on the shared server, with three themes."""
    return server.create_meeting()


@pytest.fixture
def clients():
    """Collects clients made in a test and disconnects them afterwards."""
    made: list[Client] = []
    yield made
    for c in made:
        try:
            c.close()
        except Exception:
            pass


@pytest.fixture
def connect(server, clients):
    """Connect a client to the shared server: ``connect(code, role, token)``."""

    def make(code, role, token=None, url=None):
        c = Client(url or server.url, code, role, token)
        clients.append(c)
        return c

    return make


@pytest.fixture(params=STORES)
def stores(request, tmp_path):
    """Opens store objects of each kind in ``tests/stores.py``: ``stores()`` on this test's
    folder, ``stores(folder)`` on another; all are released (and their data cleared) afterwards."""
    opened = Opened(request.param, tmp_path)
    yield opened
    opened.close_all()


@pytest.fixture
def app(tmp_path):
    """A Flask app (threading mode) on its own SQLite file, for HTTP tests."""
    from live.app import create_app

    return create_app({"DATA_DIR": str(tmp_path), "TESTING": True, "PUBLIC_URL": "http://zaal.test"})


@pytest.fixture
def http(app):
    """Flask's test client."""
    return app.test_client()


PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
BEAMER = {"viewport": {"width": 1280, "height": 720}}
_contexts: list = []


def open_page(browser, url, errors, init_script: str | None = None, **context_args):
    """A new page in its own browser context that records script and console errors;
    ``init_script`` runs before any of the page's own scripts."""
    context = browser.new_context(**context_args)
    _contexts.append(context)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.goto(url)
    return page


RESIZED = """([w, h]) => {
    if (innerWidth === w && innerHeight === h) return true;
    window.__resized = false;
    // Added after the page's own listeners, so it runs after them (the beamer's layout).
    addEventListener('resize', () => { window.__resized = true; }, {once: true});
    return false;
}"""


def resize(page, width: int, height: int) -> None:
    """Give the page another viewport and wait until its own resize handlers have run (the
    beamer lays itself out again in one), so what is measured next is the new layout. Chromium
    fires `resize` at its next frame, which on a busy machine can be long after the call."""
    same = page.evaluate(RESIZED, [width, height])
    page.set_viewport_size({"width": width, "height": height})
    if not same:
        page.wait_for_function(
            "([w, h]) => window.__resized && innerWidth === w && innerHeight === h", arg=[width, height]
        )


def transitions_done(page) -> None:
    """Wait until no CSS transition runs on the page (the beamer's bars grow in 0.3 s), instead
    of a fixed pause that a busy machine outlasts."""
    page.wait_for_function(
        "() => document.getAnimations().every((a) => !(a instanceof CSSTransition)"
        " || a.playState === 'finished')"
    )


@pytest.fixture
def page_errors():
    """Collects JavaScript errors and console errors from every page a test opens."""
    return []


@pytest.fixture(autouse=True)
def close_pages():
    """Closes the browser contexts a test opened, so the session's Chromium stays small."""
    yield
    while _contexts:
        _contexts.pop().close()


def chromium_path() -> str | None:
    """Debian's chromium, which Playwright drives (its own browser download does not work here)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; a missing browser fails in CI, skips elsewhere."""
    path = chromium_path()
    if path is None:
        if IN_CI:
            pytest.fail("chromium is not installed; .ci/run must install it")
        pytest.skip("chromium not installed")
    from playwright.sync_api import expect, sync_playwright

    # Playwright waits 5 s for an expectation; two workers and Chromium on 2 busy cores can take
    # longer to show what is right. Passing tests take no longer for it.
    expect.set_options(timeout=10_000)

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@pytest.fixture
def redis_url():
    """A real Redis (``REDIS_URL``, default 127.0.0.1:6379/0) and a key prefix of this test's own;
    every key under it is deleted afterwards. Missing Redis fails in CI, skips elsewhere."""
    import redis

    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError:
        if IN_CI:
            pytest.fail(f"no Redis answers at {url}; .ci/run must start one")
        pytest.skip(f"no Redis at {url}")
    prefix = f"test-{uuid.uuid4().hex[:10]}:"
    yield url, prefix
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()
