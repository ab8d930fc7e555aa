"""The guards' patches of eventlet, Engine.IO and python-socketio internals, and their shape check.

``live/guard/patches.py`` lists each internal a guard replaces, wraps or relies on (``SHAPES``)
and checks them at start-up. These tests run the check against the installed libraries, and
against fakes that changed (never by changing the real libraries in this process), and start
``python -m live`` with one internal changed in its own process: it must stop with a sentence,
before it takes the port.
"""

from __future__ import annotations

import subprocess
import sys
import types
from importlib import metadata

import pytest
from conftest import ROOT, free_port

from live.guard import patches
from live.guard.patches import EVENTLET_SHAPES, SHAPES, PatchMismatch, Shape


def test_every_internal_the_guards_touch_has_the_shape_they_were_written_for():
    patches.check_shapes("eventlet")  # also the listener's and the websocket's, under eventlet
    assert {shape.library for shape in SHAPES + EVENTLET_SHAPES} == {
        "eventlet",
        "python-engineio",
        "python-socketio",
    }


def test_each_patch_has_its_shape_listed():
    listed = {shape.internal for shape in SHAPES + EVENTLET_SHAPES}
    for internal in (
        "eventlet.websocket.RFC6455WebSocket._apply_mask",
        "engineio.socket.Socket.receive",
        "engineio.socket.Socket.handle_post_request",
        "engineio.socket.Socket.handle_get_request",
    ):
        assert internal in listed


def test_a_changed_signature_stops_with_the_library_its_version_and_the_internal():
    shape = Shape("python-engineio", "engineio.socket.Socket.handle_post_request", params=("self", "environ"))

    def changed(self, environ, start_response):  # what a release might make of it
        return None

    with pytest.raises(PatchMismatch) as caught:
        shape.check(changed)
    message = str(caught.value)
    assert caught.value.internal == "engineio.socket.Socket.handle_post_request"
    assert caught.value.version == metadata.version("python-engineio")
    assert f"python-engineio (versie {metadata.version('python-engineio')})" in message
    assert "engineio.socket.Socket.handle_post_request" in message
    assert "(self, environ, start_response), expected (self, environ)" in message
    assert message.startswith("Burgerkracht Live start niet:")


def test_a_missing_attribute_is_named():
    shape = Shape("python-engineio", "engineio.server.Server.reason", attrs=("SERVER_DISCONNECT",))
    reasons = types.SimpleNamespace(CLIENT_DISCONNECT="client disconnect")
    with pytest.raises(PatchMismatch, match=r"engineio\.server\.Server\.reason: has no SERVER_DISCONNECT"):
        shape.check(reasons)


def test_an_original_that_no_longer_does_what_the_patch_counts_on_is_named():
    # The polling guard reads the body itself and counts on the original decoding it and
    # handing each packet to receive; a release that does that elsewhere must stop the start.
    shape = next(s for s in SHAPES if s.internal == "engineio.socket.Socket.handle_post_request")

    def elsewhere(self, environ):
        return self.server.handle_body(environ)

    with pytest.raises(PatchMismatch, match="no longer uses max_http_buffer_size, read, Payload, receive"):
        shape.check(elsewhere)


def test_an_internal_that_is_gone_is_named_with_where_it_was_looked_for():
    with pytest.raises(PatchMismatch, match=r"engineio\.socket\.Socket has no handle_poll_request"):
        Shape("python-engineio", "engineio.socket.Socket.handle_poll_request").check()
    with pytest.raises(PatchMismatch, match="no_such_library.thing: not found"):
        Shape("no-such-library", "no_such_library.thing").check()


def test_the_budgets_hook_stops_when_an_engineio_event_has_no_handler():
    handlers = {"connect": print, "disconnect": print}
    fake = types.SimpleNamespace(handlers=handlers)
    with pytest.raises(PatchMismatch, match="no handler for message"):
        patches.hook_engineio_events(fake, {"connect": len, "message": len, "disconnect": len})
    assert handlers == {"connect": print, "disconnect": print}  # nothing hooked halfway


def test_installing_the_patches_again_wraps_nothing_twice():
    from engineio.socket import Socket

    patches.install("threading")
    installed = (Socket.receive, Socket.handle_post_request, Socket.handle_get_request)
    patches.install("threading")
    assert (Socket.receive, Socket.handle_post_request, Socket.handle_get_request) == installed
    patches.check_shapes("threading")  # the originals are checked, not the patches


def test_python_m_live_stops_with_a_sentence_before_taking_the_port_when_an_internal_changed(tmp_path):
    port = free_port()
    # In its own process: the server's library, changed the way a release might change it.
    script = (
        "import sys\n"
        "import live.__main__ as entry\n"
        "import engineio.socket\n"
        "engineio.socket.Socket.handle_get_request = lambda self, environ: None\n"
        "sys.exit(entry.main(sys.argv[1:]))\n"
    )
    args = ["--host", "127.0.0.1", "--port", str(port), "--data-dir", str(tmp_path / "data"), "--quiet"]
    done = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "python-engineio" in done.stderr
    assert "engineio.socket.Socket.handle_get_request: parameters (self, environ)" in done.stderr
    assert not (tmp_path / "data").exists()  # stopped before the data folder and the port
