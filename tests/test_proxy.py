"""Behind a reverse proxy: the documented nginx config (deploy/nginx.conf) in front of the real
server, HTTPS included, with Chromium going through it; and PROXY_COUNT deciding which
X-Forwarded-* headers are believed."""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import shutil
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import IN_CI, PHONE, ROOT, Server, free_port, open_page, wrong_codes
from playwright.sync_api import expect

SITE = ROOT / "deploy" / "nginx.conf"


def nginx_path() -> str | None:
    """Debian's nginx (in /usr/sbin, which a plain user's PATH may lack)."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def replace_once(text: str, old: str, new: str) -> str:
    """Swap one line of the documented config; fails if the documented line is gone."""
    assert text.count(old) == 1, f"deploy/nginx.conf no longer has {old!r}"
    return text.replace(old, new)


class Nginx:
    """nginx running deploy/nginx.conf with test ports and a throw-away certificate."""

    def __init__(self, folder: Path, port: int, upstream_port: int, edits: dict[str, str] | None = None):
        self.folder = folder
        self.port = port
        self.url = f"https://127.0.0.1:{self.port}"
        folder.mkdir(parents=True, exist_ok=True)
        cert, key = folder / "cert.pem", folder / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
             "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
            check=True,
            capture_output=True,
        )  # fmt: skip
        site = SITE.read_text()
        site = replace_once(site, "server 127.0.0.1:5000;", f"server 127.0.0.1:{upstream_port};")
        site = replace_once(site, "listen 443 ssl;", f"listen 127.0.0.1:{self.port} ssl;")
        site = replace_once(site, "listen 80;", f"listen 127.0.0.1:{free_port()};")
        for old, new in (edits or {}).items():  # a test's own variation of the documented site
            site = replace_once(site, old, new)
        site = re.sub(r"/etc/letsencrypt/\S+/fullchain\.pem", str(cert), site)
        site = re.sub(r"/etc/letsencrypt/\S+/privkey\.pem", str(key), site)
        (folder / "site.conf").write_text(site)
        kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        temp = "\n".join(f"    {kind}_temp_path {folder}/{kind};" for kind in kinds)
        (folder / "nginx.conf").write_text(
            f"""daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
{"user root root;" if _root() else ""}
events {{ worker_connections 512; }}
http {{
    access_log off;
{temp}
    include {folder}/site.conf;
}}
"""
        )
        self.proc = subprocess.Popen(
            [nginx_path(), "-p", str(folder), "-c", str(folder / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((folder / "error.log").read_text())
            try:
                self.get("/healthz")
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start")

    def get(self, path: str, source: str = "127.0.0.1", headers=None) -> tuple[int, bytes]:
        """GET through the proxy from this loopback source address."""
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.port, source_address=(source, 0), context=_insecure(), timeout=10
        )
        try:
            conn.request("GET", path, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def stop(self):
        """Stop nginx."""
        self.proc.terminate()
        self.proc.wait(10)


def _root() -> bool:
    import os

    return os.geteuid() == 0


def _insecure() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@contextlib.contextmanager
def behind_nginx(folder, edits=None, **env):
    """The real server with PROXY_COUNT=1 behind nginx running deploy/nginx.conf (with ``edits``
    made to it, if any); yields (server, nginx)."""
    if nginx_path() is None or shutil.which("openssl") is None:
        if IN_CI:
            pytest.fail("nginx or openssl is not installed; .ci/run must install them")
        pytest.skip("nginx not installed")
    nginx_port = free_port()
    srv = Server(
        folder / "server",
        env={"PROXY_COUNT": "1", "PUBLIC_URL": f"https://127.0.0.1:{nginx_port}", **env},
    ).start()
    nginx = Nginx(folder / "nginx", nginx_port, srv.port, edits=edits)
    try:
        yield srv, nginx
    finally:
        nginx.stop()
        srv.stop()


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """The real server with PROXY_COUNT=1 behind nginx running deploy/nginx.conf."""
    with behind_nginx(tmp_path_factory.mktemp("proxy"), LOOKUP_RATE_LIMIT="10/minute") as pair:
        yield pair


def create_through(nginx: Nginx) -> dict:
    """Create a meeting through the proxy's HTTPS address."""
    body = json.dumps({"title": "Dorpsavond", "themes": ["Groen", "Verkeer"]}).encode()
    req = urllib.request.Request(
        nginx.url + "/api/meetings", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, context=_insecure(), timeout=10) as resp:
        return json.loads(resp.read())


@pytest.mark.browser
def test_a_phone_and_the_host_work_through_the_documented_https_proxy(proxied, browser, page_errors):
    srv, nginx = proxied
    meeting = create_through(nginx)
    # The links the server hands out are the proxy's https address, not its own.
    assert meeting["join_link"].startswith(nginx.url + "/" + meeting["code"] + "?t=")
    host = open_page(browser, meeting["host_url"], page_errors, ignore_https_errors=True)
    expect(host.locator("#conn")).to_have_text("Verbonden")
    phone = open_page(browser, meeting["join_link"], page_errors, ignore_https_errors=True, **PHONE)
    expect(phone.locator("#conn")).to_have_text("Verbonden")
    # Cookies behind HTTPS are Secure.
    cookies = {c["name"]: c for c in phone.context.cookies()}
    assert cookies[f"join_{meeting['code']}"]["secure"]

    host.get_by_role("button", name="2. Herkenning").click()
    expect(phone.get_by_role("heading", name="Herkent u zich hierin?")).to_be_visible()
    theme = phone.locator('fieldset[data-theme="1"]')
    theme.get_by_text("Ja", exact=True).click()
    expect(theme.locator('[data-status="vote-1"]')).to_have_text(re.compile("Opgeslagen"))
    expect(host.locator('tr[data-theme="1"] [data-k="yes"]')).to_have_text("1")
    assert page_errors == []


def test_behind_the_proxy_each_client_address_is_limited_on_its_own(proxied):
    srv, nginx = proxied
    meeting = create_through(nginx)
    guesser, neighbour = "127.0.0.5", "127.0.0.6"
    statuses = [nginx.get(f"/join?code={c}", source=guesser)[0] for c in wrong_codes(14, meeting["code"])]
    assert statuses[:10] == [404] * 10 and statuses[10:] == [429] * 4
    # A forged X-Forwarded-For does not make the guesser somebody else: nginx adds the real one.
    forged = {"X-Forwarded-For": "198.51.100.77"}
    assert nginx.get(f"/join?code={wrong_codes(15, meeting['code'])[-1]}", guesser, forged)[0] == 429
    # Behind the same proxy, somebody else typing the right code gets in.
    assert nginx.get(f"/join?code={meeting['code']}", source=neighbour)[0] == 302
    assert nginx.get(f"/join?code={wrong_codes(16, meeting['code'])[-1]}", neighbour)[0] == 404


def test_without_a_configured_proxy_forwarded_headers_are_ignored(tmp_path):
    srv = Server(tmp_path / "direct", env={"LOOKUP_RATE_LIMIT": "5/minute"}).start()
    try:
        code = srv.create_meeting()["code"]
        statuses = []
        for n, guess in enumerate(wrong_codes(8, code)):
            # A guesser that claims a new address each time is still one address.
            headers = {"X-Forwarded-For": f"198.51.100.{n}", "X-Forwarded-Proto": "https"}
            req = urllib.request.Request(f"{srv.url}/join?code={guess}", headers=headers)
            try:
                statuses.append(urllib.request.urlopen(req, timeout=10).status)
            except urllib.error.HTTPError as err:
                statuses.append(err.code)
        assert statuses == [404] * 5 + [429] * 3
        # ... and a forged Origin plus X-Forwarded-Host cannot pass the websocket origin check.
        forged = {
            "Origin": "https://evil.example",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Proto": "https",
        }
        assert _connect_refused(srv.url, forged)
    finally:
        srv.stop()


def _connect_refused(url: str, headers: dict) -> bool:
    """Whether a Socket.IO handshake with these headers is refused."""
    import socketio

    sio = socketio.Client(reconnection=False)
    try:
        sio.connect(url, headers=headers, auth={"code": "ACDEF"}, transports=["polling"], wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        return True
    sio.disconnect()
    return False


def test_with_one_proxy_the_forwarded_client_address_is_the_one_limited(tmp_path):
    srv = Server(tmp_path / "behind", env={"PROXY_COUNT": "1", "LOOKUP_RATE_LIMIT": "5/minute"}).start()
    try:
        code = srv.create_meeting()["code"]

        def status(guess: str, client: str) -> int:
            req = urllib.request.Request(f"{srv.url}/join?code={guess}", headers={"X-Forwarded-For": client})
            try:
                return urllib.request.urlopen(req, timeout=10).status
            except urllib.error.HTTPError as err:
                return err.code

        guesses = wrong_codes(8, code)
        assert [status(g, "203.0.113.7") for g in guesses] == [404] * 5 + [429] * 3
        # Another client behind the same proxy (same TCP address) is not held back.
        assert status(guesses[0], "198.51.100.2") == 404
    finally:
        srv.stop()
