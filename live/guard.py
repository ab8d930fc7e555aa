"""Transport and listener hardening: what one client may cost the server before it is cut off.

Owns the limits that sit below the handlers: request body size and JSON depth, the socket JSON
decoder, a fast websocket unmask, a per-connection message budget counted at the Engine.IO
level, the grace period and per-address cap for Engine.IO sessions that never join a meeting,
the HTTP request deadline, per-address connection cap and small per-connection buffers of the
listener, and the headers every response carries (also Engine.IO's own). It must not hold meeting
rules (live/domain/) or talk to the store; per-message work is a dict look-up and two
additions, so the vote path stays lean.
"""

from __future__ import annotations

import io
import json
import re
import socket
import time
import types

from engineio.exceptions import EngineIOError
from flask import jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from socketio import packet as sio_packet
from werkzeug.exceptions import ClientDisconnected

from live.texts import error_text

# The largest real request is "create a meeting": 40 themes x (120 + 400) characters. At worst
# every character costs 12 bytes on the wire (a JSON surrogate pair "\ud83d\ude00", or four
# percent-encoded UTF-8 bytes in the form): about 250 KB. Anything bigger is refused unread.
MAX_BODY = 256 * 1024
# The largest real socket message is a few KiB (a 500-character addition, JSON-escaped).
MAX_MESSAGE = 16 * 1024

# Per-connection budget, per window of BUDGET_WINDOW seconds, counted on every Engine.IO
# message (also garbage and unknown events). Past the soft limit a message is answered
# `rate_limited` without reaching a handler; past HARD_FACTOR times that the connection is
# closed. The soft limit is twice what PHONE_RATE_LIMIT or HOST_RATE_LIMIT allow in a window
# (at least MIN_MESSAGES), so it never refuses what the event limits let through.
BUDGET_WINDOW = 5.0
MIN_MESSAGES = 100
BYTES_PER_MESSAGE = 2 * 1024
HARD_FACTOR = 4
# A session that sent something (its request to join) may wait this many times JOIN_TIMEOUT for
# the answer; a silent one (a bare handshake) goes after JOIN_TIMEOUT.
SPOKE_GRACE = 6

# The event name a too-deep socket payload is turned into; its handler acks `bad_payload`.
BAD_PAYLOAD_EVENT = "\x00bad_payload"
# Event names only the server itself may fire (and "*", its catch-all); one sent by a client
# becomes UNKNOWN_EVENT, which the catch-all handler acks `unknown_event`.
RESERVED_EVENTS = frozenset({"connect", "disconnect", "connect_error", "*"})
UNKNOWN_EVENT = "\x00reserved"
RATE_LIMITED_ACK = '[{"ok":false,"error":"rate_limited"}]'
_EVENT_ID = re.compile(r"2(\d{1,100})[\[\"]")  # python-socketio reads ids of up to 100 digits

# Every route that takes a key or answers with one, or with contact details: never kept by a
# browser or proxy cache, whatever the answer (also its 403 page, whose address may carry a key,
# and its redirect, which carried one).
NO_STORE_ENDPOINTS = {
    "live.host",
    "live.projector",
    "live.helper",
    "live.paper",
    "live.host_qr",
    "live.helper_qr",
    "live.handoff",
    "live.report",
    "live.export_csv",
    "live.export_xlsx",
    "live.export_evening_xlsx",
    "live.export_json",
    "live.working_group",
    "live.set_follow_up",
    "live.follow_up_ics",
    "live.set_dates",
    "live.delete_meeting",
    "live.create_from_api",
    "live.create_from_form",
    "live.import_meeting",
}
SECURITY_HEADERS = [
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
]
_HOST_SAFE = re.compile(r"^[A-Za-z0-9.\-:\[\]]{1,255}$")


# -- JSON ------------------------------------------------------------------------------------


class GuardedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, but a body nested too deep is a ValueError (a 400), not a RecursionError."""

    def loads(self, s, **kwargs):
        """Parse JSON; too deep counts as invalid."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("too deeply nested") from None


class SocketJSON:
    """The ``json`` module python-socketio and python-engineio decode with.

    A payload nested too deep raises RecursionError inside the packet decoder, and the message
    would vanish without an ack; instead it becomes an event whose handler acks `bad_payload`.
    """

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(s, **kwargs):
        """Parse JSON; too deep becomes the bad-payload event."""
        try:
            return json.loads(s, **kwargs)
        except RecursionError:
            return [BAD_PAYLOAD_EVENT]


CLIENT_PACKETS = (
    sio_packet.CONNECT,
    sio_packet.DISCONNECT,
    sio_packet.EVENT,
    sio_packet.ACK,
    sio_packet.BINARY_EVENT,
    sio_packet.BINARY_ACK,
)


class GuardedPacket(sio_packet.Packet):
    """python-socketio's packet, but an event it could not dispatch becomes one it can.

    Unguarded, each of these crashed with a traceback and left the client without an ack: JSON
    that does not parse or holds an integer of more than 4300 digits (Python's limit), an event
    that is not a list (``[]``, ``{}``) or whose name is not a string (``[{}]``), and a client
    firing the server's own ``connect``, ``disconnect`` or catch-all ``*`` handler
    (``disconnect`` also made the server forget who the connection was). They are acked
    ``bad_payload`` or ``unknown_event``. So is a packet of a type a client never sends, and one
    with binary attachments; a connect whose auth cannot be read is a connect without auth
    (refused).
    """

    def decode(self, encoded_packet):
        """Decode as usual, then make sure an event names a handler a client may reach."""
        try:
            attachments = super().decode(encoded_packet)
        except (ValueError, TypeError):  # TypeError: bytes where no binary attachment is due
            if self.packet_type == sio_packet.CONNECT:
                self.data = None  # unreadable auth: refused as a connect without any
                return 0
            self.packet_type, self.data, attachments = sio_packet.EVENT, [BAD_PAYLOAD_EVENT], 0
        if self.packet_type not in CLIENT_PACKETS or self.packet_type == sio_packet.BINARY_EVENT:
            # A client's CONNECT_ERROR, an unknown type, or an event with binary attachments (no
            # event of ours takes bytes): refused (acked if it has an id). Waiting for the
            # attachments would hold each one sent, up to a billion, until the last came.
            self.packet_type, self.data, attachments = sio_packet.EVENT, [BAD_PAYLOAD_EVENT], 0
        elif self.packet_type == sio_packet.BINARY_ACK:
            # We never ask a client for an ack: ignored like any unknown one, holding nothing.
            self.packet_type, attachments = sio_packet.ACK, 0
        if self.packet_type in (sio_packet.EVENT, sio_packet.BINARY_EVENT):
            if not isinstance(self.data, list) or not self.data:
                self.data = [BAD_PAYLOAD_EVENT]
            elif not isinstance(self.data[0], str) or self.data[0] in RESERVED_EVENTS:
                self.data = [UNKNOWN_EVENT, *self.data[1:]]
        return attachments


def bad_payload(*_args):
    """Any socket message too deeply nested to read: refused, so the client is not left waiting."""
    return {"ok": False, "error": "bad_payload"}


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

    RFC6455WebSocket._apply_mask = staticmethod(fast_unmask)


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
    Socket.receive = guarded_receive


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
        # Close now (the CLOSE packet waits in the queue for a poll that may come) and forget it,
        # so Engine.IO answers 400 without closing it again, which would wait for that poll.
        sock.close(wait=False, abort=False, reason=sock.server.reason.SERVER_DISCONNECT)
        sock.server.sockets.pop(sock.sid, None)
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

    guarded_handle.guarded = True
    Socket.handle_post_request = guarded_handle
    Socket.receive = polled_receive
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
    Socket.handle_get_request = guarded_handle


# -- Engine.IO sessions ----------------------------------------------------------------------


def soft_messages(*rate_limits: str) -> int:
    """Messages one connection may send per budget window: twice the most the event rate
    limits allow in such a window, and at least MIN_MESSAGES."""
    from limits import parse_many

    items = [item for text in rate_limits for item in parse_many(text)]
    most = max((item.amount * BUDGET_WINDOW / item.get_expiry() for item in items), default=0)
    return max(MIN_MESSAGES, int(2 * most))


class Sessions:
    """Hooks on Engine.IO's connect, message and disconnect handlers.

    Counts every message of a connection (so garbage that never becomes an event counts too),
    and lets a session that has not joined a meeting within ``join_timeout`` go, with at most
    ``unjoined_per_address`` such sessions per address at a time.
    """

    def __init__(self, sio_server, config):
        self.sio = sio_server
        self.eio = sio_server.eio
        self.join_timeout = config["JOIN_TIMEOUT"]
        self.per_address_cap = config["UNJOINED_PER_ADDRESS"]
        self.soft_messages = soft_messages(config["PHONE_RATE_LIMIT"], config["HOST_RATE_LIMIT"])
        self.soft_bytes = self.soft_messages * BYTES_PER_MESSAGE
        self.hard_messages = HARD_FACTOR * self.soft_messages
        self.hard_bytes = HARD_FACTOR * self.soft_bytes
        # A long-polling body with more packets than the hard budget is refused whole.
        self.eio.max_poll_packets = self.hard_messages
        self.unjoined: dict[str, tuple[str, float, bool]] = {}  # eio sid -> (address, deadline, spoke)
        self.per_address: dict[str, int] = {}
        self.budget: dict[str, list] = {}  # eio sid -> [window start, messages, bytes]
        handlers = self.eio.handlers
        self._connect = handlers["connect"]
        self._message = handlers["message"]
        self._disconnect = handlers["disconnect"]
        handlers["connect"] = self.on_connect
        handlers["message"] = self.on_message
        handlers["disconnect"] = self.on_disconnect

    def on_connect(self, eio_sid, environ, *args):
        """A new Engine.IO session: refused if its address already has too many unjoined."""
        address = environ.get("REMOTE_ADDR", "")
        count = self.per_address.get(address, 0)
        if self.per_address_cap and count >= self.per_address_cap:
            return False
        self.per_address[address] = count + 1
        self.unjoined[eio_sid] = (address, time.monotonic() + self.join_timeout, False)
        self.budget[eio_sid] = [time.monotonic(), 0, 0]
        return self._connect(eio_sid, environ, *args)

    def on_message(self, eio_sid, data):
        """Count the message against the connection's budget, then hand it on."""
        budget = self.budget.get(eio_sid)
        if budget is None:  # already dropped
            return None
        now = time.monotonic()
        if now - budget[0] > BUDGET_WINDOW:
            budget[0], budget[1], budget[2] = now, 0, 0
        budget[1] += 1
        budget[2] += len(data)
        if budget[1] > self.soft_messages or budget[2] > self.soft_bytes:
            if budget[1] > self.hard_messages or budget[2] > self.hard_bytes:
                self.drop(eio_sid, abort=False)
            else:
                self.refuse(eio_sid, data)
            return None
        if not isinstance(data, (str, bytes)) or not data:
            # Engine.IO decoded JSON (say a deep "4[[[…"), or a message without any data ("4",
            # an empty binary "b"): no Socket.IO packet.
            return None
        waiting = self.unjoined.get(eio_sid)
        if waiting is not None and not waiting[2]:
            # It asked to join: when a whole hall scans the QR code at once, answering can take
            # longer than JOIN_TIMEOUT on a busy laptop. Only silent sessions go that soon. Once:
            # a session that keeps talking without joining must not live for ever.
            self.unjoined[eio_sid] = (waiting[0], now + SPOKE_GRACE * self.join_timeout, True)
        result = self._message(eio_sid, data)
        if eio_sid in self.unjoined and self.sio.manager.sid_from_eio_sid(eio_sid, "/"):
            self._forget(eio_sid)
        return result

    def on_disconnect(self, eio_sid, *args):
        """The session ended: forget its counters."""
        self._forget(eio_sid)
        self.budget.pop(eio_sid, None)
        return self._disconnect(eio_sid, *args)

    def refuse(self, eio_sid, data) -> None:
        """Answer an event over budget with `rate_limited`, without running its handler."""
        match = _EVENT_ID.match(data) if isinstance(data, str) else None
        if match:
            self.eio.send(eio_sid, "3" + match.group(1) + RATE_LIMITED_ACK)

    def drop(self, eio_sid, abort: bool) -> None:
        """Close one Engine.IO session now, without waiting for its queue to drain."""
        sock = self.eio.sockets.get(eio_sid)
        if sock is not None:
            sock.close(wait=False, abort=abort, reason=self.eio.reason.SERVER_DISCONNECT)
        self.eio.sockets.pop(eio_sid, None)

    def sweep_forever(self) -> None:
        """Once a second, let go of sessions that did not join a meeting in time."""
        while True:
            self.eio.sleep(1)
            now = time.monotonic()
            late = [sid for sid, (_, deadline, _) in self.unjoined.items() if deadline < now]
            for eio_sid in late:
                self._forget(eio_sid)
                self.budget.pop(eio_sid, None)  # also when Engine.IO lost it without a disconnect
                self.drop(eio_sid, abort=True)

    def _forget(self, eio_sid) -> None:
        entry = self.unjoined.pop(eio_sid, None)
        if entry is not None:
            left = self.per_address.get(entry[0], 1) - 1
            if left > 0:
                self.per_address[entry[0]] = left
            else:
                self.per_address.pop(entry[0], None)


# -- HTTP ------------------------------------------------------------------------------------


def inline(wsgi_app):
    """A middleware's bound ``__call__`` instead of the object itself. Calling an object runs its
    ``__call__`` in a fresh C frame of the interpreter, a bound method runs in the caller's; a
    websocket's greenlet keeps the whole chain on its stack all evening, and each such frame
    costs about 0.6 KiB per connection."""
    if isinstance(wsgi_app, (types.FunctionType, types.MethodType)):
        return wsgi_app
    return wsgi_app.__call__


class Guard:
    """WSGI middleware, outermost: refuses JSONP polling, bounds chunked bodies, closes the
    connection after a 413 (so the refused body is never read) and adds the security headers to
    responses that lack them (Engine.IO's own)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = inline(wsgi_app)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/socket.io"):
            query = environ.get("QUERY_STRING", "")
            if query.startswith("j=") or "&j=" in query:
                start_response("400 Bad Request", [("Content-Type", "text/plain"), *SECURITY_HEADERS])
                return [b"JSONP is not supported"]

        if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
            # Werkzeug ignores a chunked body when the server does not promise to end it, and
            # eventlet would then read all of it to keep the connection. Read at most one byte
            # more than any real request, and pass it on as a body of known length: past the
            # limit that length alone earns a 413, and nothing more is read.
            body = environ["wsgi.input"].read(MAX_BODY + 1)
            del environ["HTTP_TRANSFER_ENCODING"]
            environ["CONTENT_LENGTH"] = str(len(body))
            environ["wsgi.input"] = io.BytesIO(body)

        def guarded_start_response(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            headers = headers + [h for h in SECURITY_HEADERS if h[0].lower() not in present]
            if status.startswith("413"):
                connection = environ.get("live.http")
                if connection is not None:
                    connection.close_connection = 1
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, guarded_start_response)


def too_large(_error):
    """413: a JSON error for the API, a Dutch page otherwise."""
    if request.path.startswith("/api/"):
        body = jsonify(ok=False, error="too_large", message=error_text("too_large"))
        return body, 413
    return render_template("too_large.html"), 413


def no_store(response):
    """Keys and contact details never land in a cache."""
    if request.endpoint in NO_STORE_ENDPOINTS:
        response.cache_control.no_store = True
    return response


def connect_src() -> str:
    """The CSP ``connect-src``: our own origin, and websockets to our own host only."""
    host = request.host
    if not _HOST_SAFE.match(host):
        return "'self'"
    return f"'self' ws://{host} wss://{host}"


def install(app, socketio) -> None:
    """Wire the guards into a built app (called once from ``create_app``)."""
    app.json = GuardedJSONProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_CONTENT_LENGTH"] or MAX_BODY
    app.register_error_handler(413, too_large)
    app.after_request(no_store)
    socketio.on_event(BAD_PAYLOAD_EVENT, bad_payload)
    if app.config["ASYNC_MODE"] == "eventlet":
        patch_websocket_unmask()
    patch_closed_receive()
    patch_polling_payload()
    patch_overlapping_polls()
    sessions = Sessions(socketio.server, app.config)
    app.extensions["guard"] = sessions
    socketio.start_background_task(sessions.sweep_forever)
    app.wsgi_app = inline(Guard(app.wsgi_app))


# -- the listener ----------------------------------------------------------------------------

# Read and write buffer of each connection's HTTP file objects. eventlet allocates them when a
# connection opens (8 KiB to read, 16 KiB to write), and a websocket keeps them all evening but
# never uses them (its frames go through the socket itself). A request's line and headers and a
# response's status and headers fit in one such buffer; a larger body bypasses it.
CONNECTION_BUFFER = 2 * 1024


# A request body must arrive at this many bytes a second on average (after REQUEST_TIMEOUT of
# grace): a phone on the slowest village-hall Wi-Fi sends an import at some 20 KB/s.
MIN_BODY_RATE = 1024
# Bodies being received at one moment, over every client. An honest body is in within a blink,
# so more than this at once are tricklers: the slowest is cut to make room for a new one.
BODY_BUDGET = 256


class SlowBody(Exception):
    """A request body that came in too slowly, or was the slowest when the budget was full."""


class Bodies:
    """The request bodies being received, each with its deadline (``MIN_BODY_RATE``), under one
    budget (``BODY_BUDGET``): a client that trickles a body a byte at a time holds a connection
    for seconds, not for as long as it likes, and many such clients cannot take every slot."""

    def __init__(self, grace: float, rate: float = MIN_BODY_RATE, budget: int = BODY_BUDGET):
        self.grace, self.rate, self.budget = grace, rate, budget
        self.receiving: dict[object, list] = {}  # body -> [started, bytes read]
        self.dropped = 0

    def wrap(self, environ: dict, length: int) -> None:
        """Put a deadline and the budget on the body of this request."""
        import eventlet

        body = _Body(self, environ["wsgi.input"], length)
        if len(self.receiving) >= self.budget:
            self._drop_slowest()
        self.receiving[body] = [time.monotonic(), 0]
        body.deadline = eventlet.Timeout(self.grace + length / self.rate, SlowBody("body too slow"))
        environ["wsgi.input"] = body

    def done(self, body) -> None:
        """The body is in (or the request ended): no deadline any more."""
        if self.receiving.pop(body, None) is not None and body.deadline is not None:
            body.deadline.cancel()
            body.deadline = None

    def _drop_slowest(self) -> None:
        now = time.monotonic()

        def rate(body):
            started, received = self.receiving[body]
            return received / max(now - started, 1e-3)

        slowest = min(self.receiving, key=rate)
        self.dropped += 1
        self.done(slowest)
        slowest.cut()


class _Body:
    """A request's ``wsgi.input`` that counts what was read, under ``Bodies``'s deadline."""

    __slots__ = ("bodies", "stream", "left", "deadline", "reader")

    def __init__(self, bodies: Bodies, stream, length: int):
        import eventlet

        self.bodies, self.stream, self.left = bodies, stream, length
        self.deadline = None
        self.reader = eventlet.getcurrent()

    def cut(self) -> None:
        """End this body's request now (from another greenlet): its next or current read fails."""
        import eventlet

        self.left = -1
        if self.reader is not eventlet.getcurrent():
            eventlet.hubs.get_hub().schedule_call_global(0, self.reader.throw, SlowBody("cut"))

    def _count(self, data):
        self.left -= len(data)
        entry = self.bodies.receiving.get(self)
        if entry is not None:
            entry[1] += len(data)
        if self.left <= 0 or not data:
            self.bodies.done(self)
        return data

    def _guarded(self, read, *args):
        if self.left < 0:
            raise ClientDisconnected()
        try:
            return self._count(read(*args))
        except SlowBody:
            self.bodies.done(self)
            raise ClientDisconnected() from None

    def read(self, *args):
        return self._guarded(self.stream.read, *args)

    def readline(self, *args):
        return self._guarded(self.stream.readline, *args)

    def __iter__(self):
        return iter(self.readline, b"")

    def __getattr__(self, name):
        return getattr(self.stream, name)


def protocol(request_timeout: float, per_address: int, max_connections: int = 10_000):
    """An eventlet HTTP protocol with a deadline for each request's line and headers, a deadline
    and a shared budget for request bodies (``Bodies``), and a cap on open connections per
    address; long-lived websockets and long polls are not cut, because the deadline stops once
    the headers are in and they send no body."""
    import eventlet
    import eventlet.wsgi

    open_per_address: dict[str, int] = {}
    # A quarter of the connections at most may be receiving a body at once.
    bodies = Bodies(request_timeout, budget=max(8, min(BODY_BUDGET, max_connections // 4)))

    class GuardedProtocol(eventlet.wsgi.HttpProtocol):
        """HttpProtocol with a header deadline and a per-address connection cap."""

        rbufsize = wbufsize = CONNECTION_BUFFER

        def handle(self):
            address = self.client_address[0] if isinstance(self.client_address, tuple) else ""
            count = open_per_address.get(address, 0) + 1
            open_per_address[address] = count
            try:
                if per_address and count > per_address:
                    # Too many from one address: answer and close, so the slot is free at once.
                    self.wfile.write(
                        b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
                    )
                    self.close_connection = 1
                    return
                super().handle()
            finally:
                left = open_per_address[address] - 1
                if left:
                    open_per_address[address] = left
                else:
                    del open_per_address[address]

        def handle_one_request(self):
            # Raised as socket.timeout (TimeoutError), which eventlet's server treats as a quiet close.
            self._deadline = eventlet.Timeout(request_timeout, TimeoutError("request timeout"))
            self._body = None
            try:
                super().handle_one_request()
            except SlowBody:  # cut between reads: the connection simply closes
                self.close_connection = 1
            finally:
                if self._deadline is not None:
                    self._deadline.cancel()
                if self._body is not None:
                    bodies.done(self._body)

        def get_environ(self):
            self._deadline.cancel()
            self._deadline = None  # not kept for the life of a websocket
            environ = super().get_environ()
            environ["live.http"] = self
            length = environ.get("CONTENT_LENGTH") or ""
            if length.isdigit() and int(length) > 0:
                bodies.wrap(environ, int(length))
                self._body = environ["wsgi.input"]
            return environ

    return GuardedProtocol


class PortInUse(Exception):
    """Another process already listens on the port."""


def listen(host: str, port: int, backlog: int):
    """A listening socket that refuses to share its port: eventlet sets SO_REUSEPORT by default,
    and a second server on the same port would take half of the phones."""
    import errno

    import eventlet

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return eventlet.listen((host, port), family=family, backlog=backlog, reuse_port=False)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise PortInUse(port) from None
        raise
