"""Transport and listener hardening: what one client may cost the server before it is cut off.

One concern per module:

- ``limits``: every number below (body and message size, budgets, listener buffers and rates);
- ``patches``: every change to eventlet's and Engine.IO's internals, and the start-up check that
  each patched internal still has the shape it was written against (``PatchMismatch``);
- ``packets``: the socket JSON decoder and packet class (too deep, unreadable, reserved names);
- ``budgets``: the per-connection message budget and the sessions that never join;
- ``middleware``: the outermost WSGI layer, HTTP bodies and JSON depth, the 413 answer;
- ``headers``: the security headers and the routes no cache may keep;
- ``listener``: the listening socket and eventlet's HTTP protocol around it.

``install`` wires them into a built app. The package must not hold meeting rules (live/domain/)
or talk to the store. The names below are the ones the app, ``python -m live``, the views and
the tests use.
"""

from __future__ import annotations

from live.guard.budgets import RATE_LIMITED_ACK, Sessions, soft_messages
from live.guard.headers import NO_STORE_ENDPOINTS, SECURITY_HEADERS, connect_src, no_store
from live.guard.limits import (
    BODY_BUDGET,
    BUDGET_WINDOW,
    BYTES_PER_MESSAGE,
    CONNECTION_BUFFER,
    HARD_FACTOR,
    MAX_BODY,
    MAX_MESSAGE,
    MIN_BODY_RATE,
    MIN_MESSAGES,
    SPOKE_GRACE,
)
from live.guard.listener import Bodies, PortInUse, SlowBody, listen, protocol
from live.guard.middleware import Guard, GuardedJSONProvider, inline, too_large
from live.guard.packets import (
    BAD_PAYLOAD_EVENT,
    CLIENT_PACKETS,
    RESERVED_EVENTS,
    UNKNOWN_EVENT,
    GuardedPacket,
    SocketJSON,
    bad_payload,
)
from live.guard.patches import (
    SHAPES,
    PatchMismatch,
    PollRefused,
    Shape,
    check_shapes,
    fast_unmask,
    patch_closed_receive,
    patch_overlapping_polls,
    patch_polling_payload,
    patch_websocket_unmask,
)


def install(app, socketio) -> None:
    """Wire the guards into a built app (called once from ``create_app``)."""
    from live.guard import patches

    app.json = GuardedJSONProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_CONTENT_LENGTH"] or MAX_BODY
    app.register_error_handler(413, too_large)
    app.after_request(no_store)
    socketio.on_event(BAD_PAYLOAD_EVENT, bad_payload)
    patches.install(app.config["ASYNC_MODE"])  # checks each internal's shape first
    sessions = Sessions(socketio.server, app.config)
    app.extensions["guard"] = sessions
    socketio.start_background_task(sessions.sweep_forever)
    app.wsgi_app = inline(Guard(app.wsgi_app))


__all__ = [
    "BAD_PAYLOAD_EVENT",
    "BODY_BUDGET",
    "BUDGET_WINDOW",
    "BYTES_PER_MESSAGE",
    "CLIENT_PACKETS",
    "CONNECTION_BUFFER",
    "HARD_FACTOR",
    "MAX_BODY",
    "MAX_MESSAGE",
    "MIN_BODY_RATE",
    "MIN_MESSAGES",
    "NO_STORE_ENDPOINTS",
    "RATE_LIMITED_ACK",
    "RESERVED_EVENTS",
    "SECURITY_HEADERS",
    "SHAPES",
    "SPOKE_GRACE",
    "UNKNOWN_EVENT",
    "Bodies",
    "Guard",
    "GuardedJSONProvider",
    "GuardedPacket",
    "PatchMismatch",
    "PollRefused",
    "PortInUse",
    "Sessions",
    "Shape",
    "SlowBody",
    "SocketJSON",
    "bad_payload",
    "check_shapes",
    "connect_src",
    "fast_unmask",
    "inline",
    "install",
    "listen",
    "no_store",
    "patch_closed_receive",
    "patch_overlapping_polls",
    "patch_polling_payload",
    "patch_websocket_unmask",
    "protocol",
    "soft_messages",
    "too_large",
]
