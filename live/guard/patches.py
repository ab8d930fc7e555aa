"""Every change the guards make to a library's internals, and the check that they still fit.

Owns the monkey-patches of eventlet and Engine.IO (a fast websocket unmask, a closed socket that
refuses what still arrives, the long-polling body and overlapping-poll guards), the hook on
Engine.IO's event handlers that the budgets hang on, and ``SHAPES``: each internal that a patch
replaces, wraps or relies on elsewhere in ``live/guard/`` (the packet subclass, the listener's
protocol subclass), with the signature and names it was written against. ``check_shapes`` runs
at start-up, before any patch, and raises ``PatchMismatch`` naming the library, its version and
the internal that changed, so an update stops the server with one sentence at 19:00 instead of
failing in the middle of the evening. Patching is a last resort: a new patch goes here, with its
shape. This module must not hold numbers or policy (``limits``, ``budgets``, ``listener``).
"""

from __future__ import annotations

import importlib
import inspect
import io
from dataclasses import dataclass
from importlib import metadata

from engineio.exceptions import EngineIOError

from live.guard.limits import MAX_BODY, MIN_MESSAGES

# -- the shapes ------------------------------------------------------------------------------


class PatchMismatch(RuntimeError):
    """A library internal that a guard patches or relies on is not the shape it was written for."""

    def __init__(self, library: str, version: str, internal: str, problem: str):
        self.library, self.version, self.internal, self.problem = library, version, internal, problem
        super().__init__(
            f"Burgerkracht Live start niet: de bibliotheek {library} (versie {version}) is veranderd"
            f" op een plek die Burgerkracht Live aanpast.\n"
            f"Wat anders is: {internal}: {problem}.\n"
            f"Installeer de vorige versie van {library}, of pas live/guard/patches.py aan."
        )


@dataclass(frozen=True)
class Shape:
    """One library internal as a guard expects it.

    ``params``: its parameter names, in order (None: not checked). ``attrs``: attributes it must
    have. ``uses``: names its code must still use (its code object's ``co_names``: the attributes
    an ``__init__`` sets, the methods a wrapped function calls), so a patch that counts on the
    original reading the body or catching ``EngineIOError`` finds out when it no longer does.
    """

    library: str  # the distribution, for its version
    internal: str  # dotted path: a module, then attributes
    params: tuple[str, ...] | None = None
    attrs: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()

    def check(self, found=None) -> None:
        """Raise PatchMismatch unless ``found`` (default: the real internal) has this shape."""
        if found is None:
            found = _ORIGINAL.get(self.internal) or self.find()
        if self.params is not None:
            try:
                names = tuple(inspect.signature(found).parameters)
            except (TypeError, ValueError):
                names = None
            if names != self.params:
                seen = "no signature" if names is None else f"({', '.join(names)})"
                self.mismatch(f"parameters {seen}, expected ({', '.join(self.params)})")
        missing = [name for name in self.attrs if not hasattr(found, name)]
        if missing:
            self.mismatch(f"has no {', '.join(missing)}")
        if self.uses:
            code = getattr(inspect.unwrap(found), "__code__", None)
            unused = [name for name in self.uses if code is None or name not in code.co_names]
            if unused:
                self.mismatch(f"no longer uses {', '.join(unused)}")

    def find(self):
        """The internal itself: the longest importable module of the path, then attributes."""
        parts = self.internal.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                found = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for depth, name in enumerate(parts[cut:], start=cut):
                try:
                    found = getattr(found, name)
                except AttributeError:
                    self.mismatch(f"{'.'.join(parts[:depth])} has no {name}")
            return found
        self.mismatch("not found")

    def mismatch(self, problem: str):
        """Stop with the library, its version and what changed."""
        try:
            version = metadata.version(self.library)
        except metadata.PackageNotFoundError:
            version = "onbekend"
        raise PatchMismatch(self.library, version, self.internal, problem)


ENGINEIO = "python-engineio"
SOCKETIO = "python-socketio"
EVENTLET = "eventlet"

SHAPES = (
    # patch_closed_receive and patch_polling_payload wrap receive; close_now and the polling
    # guard close a socket at once and forget it.
    Shape(ENGINEIO, "engineio.socket.Socket.receive", params=("self", "pkt")),
    Shape(ENGINEIO, "engineio.socket.Socket.close", params=("self", "wait", "abort", "reason")),
    Shape(ENGINEIO, "engineio.socket.Socket.__init__", uses=("server", "sid", "upgraded", "closed")),
    # patch_polling_payload reads the body first, then hands the original a copy to decode.
    Shape(
        ENGINEIO,
        "engineio.socket.Socket.handle_post_request",
        params=("self", "environ"),
        uses=("max_http_buffer_size", "read", "Payload", "receive"),
    ),
    Shape(ENGINEIO, "engineio.payload.Payload", attrs=("max_decode_packets",)),
    Shape(ENGINEIO, "engineio.packet", attrs=("UPGRADE",)),
    Shape(ENGINEIO, "engineio.exceptions", attrs=("SocketIsClosedError", "UnknownPacketError")),
    # patch_overlapping_polls answers a second poll with the server's own 400; PollRefused is
    # an EngineIOError, which the server's request handler answers with 400.
    Shape(
        ENGINEIO, "engineio.socket.Socket.handle_get_request", params=("self", "environ", "start_response")
    ),
    Shape(ENGINEIO, "engineio.server.Server._bad_request", params=("self", "message")),
    Shape(
        ENGINEIO,
        "engineio.server.Server.handle_request",
        uses=("handle_get_request", "handle_post_request", "EngineIOError", "_bad_request"),
    ),
    # budgets.Sessions: the handlers it hooks, the sessions it closes, the reason it gives.
    Shape(ENGINEIO, "engineio.server.Server.__init__", uses=("handlers", "sockets", "max_http_buffer_size")),
    Shape(ENGINEIO, "engineio.server.Server.reason", attrs=("SERVER_DISCONNECT",)),
    Shape(
        SOCKETIO,
        "socketio.base_manager.BaseManager.sid_from_eio_sid",
        params=("self", "eio_sid", "namespace"),
    ),
    # packets.GuardedPacket overrides decode and rewrites what it set.
    Shape(SOCKETIO, "socketio.packet.Packet.decode", params=("self", "encoded_packet")),
    Shape(SOCKETIO, "socketio.packet.Packet.__init__", uses=("packet_type", "data")),
    Shape(
        SOCKETIO,
        "socketio.packet",
        attrs=("CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"),
    ),
)

# Only when the server runs under eventlet (``python -m live``).
EVENTLET_SHAPES = (
    Shape(
        EVENTLET,
        "eventlet.websocket.RFC6455WebSocket._apply_mask",
        params=("data", "mask", "length", "offset"),
    ),
    # listener.protocol subclasses HttpProtocol: smaller buffers, a deadline until the headers
    # are in, the connection's close flag, and a body cut from another green thread.
    Shape(EVENTLET, "eventlet.wsgi.HttpProtocol", attrs=("rbufsize", "wbufsize", "handle")),
    Shape(EVENTLET, "eventlet.wsgi.HttpProtocol.setup", uses=("rbufsize", "wbufsize")),
    Shape(
        EVENTLET,
        "eventlet.wsgi.HttpProtocol.handle_one_request",
        params=("self",),
        uses=("get_environ", "close_connection"),
    ),
    Shape(EVENTLET, "eventlet.wsgi.HttpProtocol.get_environ", params=("self",)),
    Shape(EVENTLET, "eventlet.listen", params=("addr", "family", "backlog", "reuse_addr", "reuse_port")),
    Shape(
        EVENTLET,
        "eventlet.hubs.hub.BaseHub.schedule_call_global",
        params=("self", "seconds", "cb", "args", "kw"),
    ),
)

# The library's own object for each internal a patch replaced (checked instead of the patch).
_ORIGINAL: dict[str, object] = {}


def check_shapes(async_mode: str) -> None:
    """Raise PatchMismatch for the first internal that is not the shape its guard expects."""
    for shape in SHAPES + (EVENTLET_SHAPES if async_mode == "eventlet" else ()):
        shape.check()


def install(async_mode: str) -> None:
    """Check every shape, then patch (once per process; ``create_app`` may run again)."""
    check_shapes(async_mode)
    if async_mode == "eventlet":
        patch_websocket_unmask()
    patch_closed_receive()
    patch_polling_payload()
    patch_overlapping_polls()


def _replace(owner, name: str, internal: str, new) -> None:
    _ORIGINAL.setdefault(internal, getattr(owner, name))
    setattr(owner, name, new)


# -- websocket frames ------------------------------------------------------------------------


def fast_unmask(data, mask, length=None, offset=0):
    """XOR a websocket payload with its 4-byte mask as one big integer operation."""
    if length is None:
        length = len(data)
    if not length:
        return b""
    key = bytes(mask[(offset + i) % 4] for i in range(4))
    key = (key * (length // 4 + 1))[:length]
    value = int.from_bytes(data[:length], "big") ^ int.from_bytes(key, "big")
    return value.to_bytes(length, "big")


def patch_websocket_unmask() -> None:
    """Replace eventlet's websocket unmask, which loops in Python over every byte: one socket
    sending large frames flat out would otherwise keep the whole event loop busy."""
    from eventlet.websocket import RFC6455WebSocket

    internal = "eventlet.websocket.RFC6455WebSocket._apply_mask"
    _replace(RFC6455WebSocket, "_apply_mask", internal, staticmethod(fast_unmask))


# -- Engine.IO sockets -----------------------------------------------------------------------


def close_now(sock, abort: bool = False) -> None:
    """Close an Engine.IO socket without waiting for its queue to drain (the CLOSE packet would
    wait for a poll that may never come), and forget it."""
    sock.close(wait=False, abort=abort, reason=sock.server.reason.SERVER_DISCONNECT)
    sock.server.sockets.pop(sock.sid, None)


def patch_closed_receive() -> None:
    """Make a closed Engine.IO socket refuse what still arrives. Without this, a websocket
    closed for flooding keeps its reader running for as long as the flood lasts: the handler's
    error is swallowed, and closing the socket leaves the connection's file open."""
    from engineio import exceptions
    from engineio.socket import Socket

    receive = Socket.receive
    if getattr(receive, "guarded", False):
        return  # create_app ran before in this process

    def guarded_receive(self, pkt):
        if self.closed:
            raise exceptions.SocketIsClosedError()
        return receive(self, pkt)

    guarded_receive.guarded = True
    _replace(Socket, "receive", "engineio.socket.Socket.receive", guarded_receive)


class PollRefused(EngineIOError):
    """A long-polling request no honest client sends: answered 400, and for a POST the session
    is closed at once (Engine.IO's own refusal would wait for a poll that may never come)."""


def patch_polling_payload() -> None:
    """Guard a long-polling POST body before Engine.IO reads it.

    - Larger than a message may be (``MAX_MESSAGE``), or more packets than a connection may send
      in a whole budget window: 400, and the session is closed without waiting. Unguarded, the
      first held the POST open until a poll read the close (forever, for a client that never
      polls), and a body of more than 16 packets was dropped without a word, also when an honest
      client had 17 events queued at once.
    - Not UTF-8, a JSONP form body (``d=``), an empty packet, or a packet type a client never
      sends over polling (open, upgrade, noop, 7-9): dropped, answered at once, the session goes
      on. Unguarded, some were logged with a traceback, and the upgrade packet queued a reply
      for every copy, unbounded when nobody polls.

    Handler errors never reach here: Engine.IO logs those.
    """
    from engineio import exceptions, packet, payload
    from engineio.socket import Socket

    handle = Socket.handle_post_request
    if getattr(handle, "guarded", False):
        return
    receive = Socket.receive

    def refuse(sock):
        # Forgotten at once, so Engine.IO answers 400 without closing it again (which would wait).
        close_now(sock)
        return PollRefused()

    def guarded_handle(self, environ):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if not 0 <= length <= self.server.max_http_buffer_size:
            raise refuse(self)
        body = environ["wsgi.input"].read(length)
        if body.count(b"\x1e") >= getattr(self.server, "max_poll_packets", MIN_MESSAGES):
            raise refuse(self)
        if body.startswith(b"d="):
            return None  # JSONP is not offered (Guard answers its GET with 400)
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            return handle(self, environ)
        except (ValueError, exceptions.UnknownPacketError):  # UnicodeDecodeError is a ValueError
            return None

    def polled_receive(self, pkt):
        if pkt.packet_type == packet.UPGRADE and not self.upgraded:
            raise exceptions.UnknownPacketError()  # an upgrade is only ever sent on a websocket
        return receive(self, pkt)

    # Marked too, so patch_closed_receive on a second create_app does not wrap it once more.
    guarded_handle.guarded = polled_receive.guarded = True
    _replace(Socket, "handle_post_request", "engineio.socket.Socket.handle_post_request", guarded_handle)
    _replace(Socket, "receive", "engineio.socket.Socket.receive", polled_receive)
    # Counted above, with a clear refusal; Engine.IO's own cap (16) dropped honest bursts.
    payload.Payload.max_decode_packets = MAX_BODY


def patch_overlapping_polls() -> None:
    """Refuse a second long poll on a session while one is waiting, with 400 at once. Unguarded,
    each waited up to PING_INTERVAL + PING_TIMEOUT, holding a connection and a green thread; an
    honest client never polls twice at once (the first keeps the session)."""
    from engineio.socket import Socket

    handle = Socket.handle_get_request
    if getattr(handle, "guarded", False):
        return

    def guarded_handle(self, environ, start_response):
        if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            return handle(self, environ, start_response)  # the upgrade, while a poll waits
        if getattr(self, "polling", False):
            return self.server._bad_request("Overlapping poll")
        self.polling = True
        try:
            return handle(self, environ, start_response)
        finally:
            self.polling = False

    guarded_handle.guarded = True
    _replace(Socket, "handle_get_request", "engineio.socket.Socket.handle_get_request", guarded_handle)


# -- Engine.IO events ------------------------------------------------------------------------


def hook_engineio_events(eio_server, hooks: dict) -> dict:
    """Put ``hooks`` (event name -> function) in front of the handlers python-socketio gave
    Engine.IO for those events; returns the handlers they must hand on to."""
    handlers = eio_server.handlers
    missing = [event for event in hooks if event not in handlers]
    if missing:
        Shape(ENGINEIO, "engineio.server.Server.handlers").mismatch(
            f"no handler for {', '.join(missing)} (python-socketio registers one for each)"
        )
    originals = {event: handlers[event] for event in hooks}
    handlers.update(hooks)
    return originals
