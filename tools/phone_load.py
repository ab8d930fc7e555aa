"""``python tools/phone_load.py``: how long a phone waits for the page on a village hall's Wi-Fi.

It starts the server (``python -m live`` from ``--source``, default this checkout) on 127.0.0.1,
puts ``tools/slowlink.py`` in front of it (400 ms round trip, 50 KB/s down, 20 KB/s up,
websockets too), makes a meeting in the recognition phase, and opens the phone page in Debian's
Chromium through that link, each run in a fresh profile (an empty cache). Per run it measures:

- ``cold_drawn_ms``: from the start of navigation until an answer button is on screen: the page
  draws the meeting from the state it came with, and a tap now waits in the outbox until the
  socket is up; ``cold_first_answer_saved_ms``: when a tap at that moment is saved (its ack);
- ``cold_usable_ms``: until an answer button is on screen and the socket is connected
  (``#conn[data-kind=ok]``): a tap now is sent at once;
- ``answer_saved_ms``: from a tap on "Ja" until the phone shows the ack ("Opgeslagen");
- ``reload_drawn_ms``, ``reload_usable_ms``: the same for the page reloaded (the browser's cache
  as the first load left it);
- ``cold_html_ms``, ``cold_files_ms``: when the page itself, and the last of its style and
  scripts, had arrived: the rest of ``cold_usable_ms`` is the socket's connection (a TCP
  handshake, the websocket upgrade, Socket.IO's connect, the first state);
- ``cold_down_bytes`` / ``cold_up_bytes``: every byte through the link until usable, headers and
  websocket frames included, and ``cold_responses_bytes``: the encoded size of every HTTP response
  as Chromium counted it (``Network.loadingFinished``), and ``cold_requests``.

It prints one JSON document (medians, and every run). BENCHMARKS.md has the figures. It talks to
the server only over the network, like a phone, and never connects anywhere but this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import socketio
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from slowlink import SlowLink  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 30_000

# Usable: a drawn answer button, and a connected socket (a tap is sent, not only queued).
USABLE = """() => {
  const button = document.querySelector('#rec-themes input[data-action="vote"]');
  const conn = document.getElementById('conn');
  const ok = button && !button.disabled && button.offsetParent !== null && conn && conn.dataset.kind === 'ok';
  return ok ? performance.now() : false;
}"""
# Drawn: an answer button a person can tap; a tap now waits in the outbox until the socket is up.
DRAWN = """() => {
  const button = document.querySelector('#rec-themes input[data-action="vote"]');
  return button && !button.disabled && button.offsetParent !== null ? performance.now() : false;
}"""
TAP = """(n) => {
  const button = document.querySelectorAll('#rec-themes input[data-action="vote"][value="yes"]')[n];
  window.__tapped = performance.now();
  window.__status = button.name;
  button.click();
  return button.name;
}"""
# When the page's own files were all in (the socket waits for them): the last responseEnd.
ASSETS_DONE = """() => Math.max(0, ...performance.getEntriesByType('resource')
  .filter((e) => e.initiatorType !== 'xmlhttprequest' && !e.name.includes('favicon'))
  .map((e) => e.responseEnd))"""
HTML_DONE = "() => performance.getEntriesByType('navigation')[0].responseEnd"
SAVED = """(saved) => {
  const status = document.querySelector(`[data-status="${window.__status}"]`);
  return status && status.textContent === saved ? performance.now() - window.__tapped : false;
}"""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(source: Path, port: int, data_dir: str, public_url: str) -> subprocess.Popen:
    """``python -m live`` from ``source`` on 127.0.0.1:``port``; returns once /healthz answers."""
    env = {
        **os.environ,
        "PUBLIC_URL": public_url,
        "PYTHONPATH": str(source),
        "CREATE_RATE_LIMIT": "100/second",
    }
    cmd = [sys.executable, "-m", "live", "--host", "127.0.0.1", "--port", str(port), "--data-dir", data_dir]
    proc = subprocess.Popen([*cmd, "--quiet"], cwd=source, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


def meeting_in_recognition(url: str) -> dict:
    """A meeting with three themes, moved to the recognition phase by a host socket."""
    body = json.dumps({"title": "Dorpsavond", "themes": ["Groen in de wijk", "Verkeer", "Samen eten"]})
    req = urllib.request.Request(f"{url}/api/meetings", body.encode(), {"Content-Type": "application/json"})
    meeting = json.loads(urllib.request.urlopen(req, timeout=10).read())
    host = socketio.Client()
    host.connect(url, auth={"code": meeting["code"], "role": "host", "token": meeting["host_key"]},
                 transports=["websocket"], wait_timeout=10)  # fmt: skip
    ack = host.call("set_phase", {"id": "bench-phase", "phase": "recognition"}, timeout=10)
    host.disconnect()
    if not ack.get("ok"):
        raise RuntimeError(f"set_phase refused: {ack}")
    return meeting


def one_run(playwright, link: SlowLink, page_url: str, saved_text: str) -> dict:
    """One phone in a fresh profile: cold load, a tap, a reload."""
    profile = tempfile.mkdtemp(prefix="phone-load-")
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=shutil.which("chromium"), args=BROWSER_ARGS, **PHONE
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        responses = {"bytes": 0, "requests": 0}
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")

        def finished(event):
            responses["bytes"] += event["encodedDataLength"]
            responses["requests"] += 1

        cdp.on("Network.loadingFinished", finished)
        link.reset()
        page.goto(page_url, wait_until="commit", timeout=TIMEOUT_MS)
        drawn = page.wait_for_function(DRAWN, polling="raf", timeout=TIMEOUT_MS).json_value()
        # A person taps as soon as the buttons are there: when is that answer saved?
        page.evaluate(TAP, 0)
        first_saved = page.wait_for_function(SAVED, arg=saved_text, polling="raf", timeout=TIMEOUT_MS)
        first_saved = drawn + first_saved.json_value()
        cold = page.wait_for_function(USABLE, polling="raf", timeout=TIMEOUT_MS).json_value()
        run = {
            "cold_drawn_ms": round(drawn),
            "cold_first_answer_saved_ms": round(first_saved),
            "cold_usable_ms": round(cold),
            "cold_html_ms": round(page.evaluate(HTML_DONE)),
            "cold_files_ms": round(page.evaluate(ASSETS_DONE)),
            "cold_down_bytes": link.down.bytes,
            "cold_up_bytes": link.up.bytes,
            "cold_responses_bytes": responses["bytes"],
            "cold_requests": responses["requests"],
            "cold_connections": link.connections,
        }
        page.wait_for_timeout(500)
        page.evaluate(TAP, 1)
        run["answer_saved_ms"] = round(
            page.wait_for_function(SAVED, arg=saved_text, polling="raf", timeout=TIMEOUT_MS).json_value()
        )
        page.wait_for_timeout(1500)  # the favicon and anything else late, before the reload
        link.reset()
        responses.update(bytes=0, requests=0)
        page.reload(wait_until="commit", timeout=TIMEOUT_MS)
        run["reload_drawn_ms"] = round(
            page.wait_for_function(DRAWN, polling="raf", timeout=TIMEOUT_MS).json_value()
        )
        run["reload_usable_ms"] = round(
            page.wait_for_function(USABLE, polling="raf", timeout=TIMEOUT_MS).json_value()
        )
        run["reload_down_bytes"] = link.down.bytes
        run["reload_requests"] = responses["requests"]
        return run
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout whose server to measure")
    parser.add_argument("--runs", type=int, default=5, help="fresh phones, one after the other")
    args = parser.parse_args()

    port = free_port()
    link = SlowLink(("127.0.0.1", port))
    proxy_port = link.start_in_thread()
    page_base = f"http://127.0.0.1:{proxy_port}"
    data_dir = tempfile.mkdtemp(prefix="phone-load-data-")
    server = start_server(args.source.resolve(), port, data_dir, page_base)
    try:
        meeting = meeting_in_recognition(f"http://127.0.0.1:{port}")
        texts_saved = "Opgeslagen ✓"  # live/texts.py PHONE["saved"], Dutch
        runs = []
        with sync_playwright() as playwright:
            for _ in range(args.runs):
                runs.append(one_run(playwright, link, f"{page_base}/{meeting['code']}", texts_saved))
        medians = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        print(
            json.dumps(
                {"source": str(args.source), "runs": len(runs), "median": medians, "each": runs}, indent=1
            )
        )
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
