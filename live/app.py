"""The application factory: defaults, environment, test overrides, extensions, blueprints."""

from __future__ import annotations

import logging
import os
import re
import sys

from flask import Flask, abort
from flask_socketio import SocketIO
from werkzeug.middleware.proxy_fix import ProxyFix

from live import assets, deployment, events, guard, languages, views
from live.extensions import socketio
from live.service import Live
from live.settings import from_environment
from live.shared import Shared

log = logging.getLogger(__name__)


def _offload(async_mode: str):
    """How blocking store writes leave the event loop: eventlet's thread pool, or nothing."""
    if async_mode == "eventlet":
        from eventlet import tpool

        return tpool.execute
    return lambda fn, *args: fn(*args)


HOST_HEADER = re.compile(r"(?:\[(?P<ipv6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9.-]+))(?::(?P<port>[0-9]{1,5}))?")


class TrustedHosts:
    """WSGI middleware: answer only to our own host names, on every path including /socket.io/.
    A web page on another name that resolves to this laptop (DNS rebinding) gets nothing."""

    def __init__(self, wsgi_app, hosts):
        self.wsgi_app = guard.inline(wsgi_app)
        self.hosts = {h.strip().strip("[]").lower() for h in hosts if h.strip()}

    def __call__(self, environ, start_response):
        # The whole header must be a name and an optional port: "ours:1,evil" (what two Host
        # lines become) or "ours:1@evil" is refused here, not later by Werkzeug inside a response.
        host = environ.get("HTTP_HOST", "").lower()
        match = HOST_HEADER.fullmatch(host)
        name = match and (match["ipv6"] or match["name"])
        if not name or name not in self.hosts or int(match["port"] or 1) > 65535:
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"Onbekend adres. Gebruik het adres dat op het grote scherm staat."]
        # Names are case-insensitive; Werkzeug's own check (and our links) compare them as written.
        environ["HTTP_HOST"] = host
        return self.wsgi_app(environ, start_response)


# What a reverse proxy adds about the original request. Only a configured proxy is believed.
FORWARDED_HEADERS = (
    "HTTP_FORWARDED",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_X_FORWARDED_PROTO",
)


class BehindProxies:
    """WSGI middleware: with ``PROXY_COUNT`` proxies in front, take the client's address, scheme
    and host from their ``X-Forwarded-*`` headers (Werkzeug's ProxyFix, trusting only that many);
    then drop those headers, so nothing further in (Engine.IO's origin check, the rate limits)
    ever believes a value a client wrote itself. With 0 proxies they are simply dropped."""

    def __init__(self, wsgi_app, count: int):
        self.wsgi_app = guard.inline(wsgi_app)
        fixed = ProxyFix(self._strip, x_for=count, x_proto=count, x_host=count) if count else self._strip
        self.fixed = guard.inline(fixed)

    def __call__(self, environ, start_response):
        return self.fixed(environ, start_response)

    def _strip(self, environ, start_response):
        for name in FORWARDED_HEADERS:
            environ.pop(name, None)
        return self.wsgi_app(environ, start_response)


WORKER_NAME = re.compile(r"[A-Za-z0-9]{1,16}")


def name_sessions(server: SocketIO, name: str) -> None:
    """Start every Engine.IO session id of this worker with its name (``w1.…``), so a proxy in
    front of several workers can send each long-polling request back to the worker that holds
    its session (deploy/region/nginx.conf). ``generate_id`` is Engine.IO's public hook for ids."""
    if not WORKER_NAME.fullmatch(name):
        raise ValueError(f"WORKER_NAME={name!r}: use 1-16 letters and digits")
    eio = server.server.eio
    plain = type(eio).generate_id.__get__(eio)
    eio.generate_id = lambda: f"{name}.{plain()}"


def _no_page():
    """Never reached through Engine.IO (see ``create_app``): /socket.io without a slash."""
    abort(404)


def create_app(config: dict | None = None, shared: Shared | None = None) -> Flask:
    """Build the app; ``config`` overrides settings (tests pass a DATA_DIR); ``shared`` is what
    this worker shares with others (live/shared/; default: this process alone)."""
    app = Flask(__name__)
    app.config.update(from_environment())
    app.config.update(ASYNC_MODE="threading", LAN_URL="", MAX_HTTP_BUFFER_SIZE=guard.MAX_MESSAGE)
    app.config.update(config or {})
    logging.basicConfig(
        level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Several workers on one Redis: what they share, and a message queue so that one worker's
    # broadcasts reach the screens connected to every other worker.
    queue = {}
    if deployment.redis_url(app.config):
        shared = shared or deployment.shared(app.config)
        queue["client_manager"] = deployment.message_queue(app.config)

    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        # Same-origin only (the default); never "*". A foreign page cannot open a socket here.
        cors_allowed_origins=None,
        max_http_buffer_size=app.config["MAX_HTTP_BUFFER_SIZE"],
        ping_interval=app.config["PING_INTERVAL"],
        ping_timeout=app.config["PING_TIMEOUT"],
        # One connection's events run in order (a second vote never overtakes the first);
        # other connections are served meanwhile.
        async_handlers=False,
        logger=False,
        engineio_logger=False,
        json=guard.SocketJSON,  # a too-deep payload is acked `bad_payload`, not dropped
        serializer=guard.GuardedPacket,  # so is an event that is not one, or a reserved name
        **queue,
    )
    if app.config["WORKER_NAME"]:
        name_sessions(socketio, app.config["WORKER_NAME"])
    languages.install(app)  # Flask-Babel: the phone and helper pages in the chosen language
    assets.install(app)  # static files versioned and gzipped once; pages gzipped per request
    live = Live(app.config, socketio, _offload(app.config["ASYNC_MODE"]), shared)
    app.extensions["live"] = live  # for tests and tools: pages and handlers are handed it here
    events.register(socketio, live)
    app.register_blueprint(views.make_blueprint(live))
    trusted = app.config["TRUSTED_HOSTS"]
    if trusted:
        hosts = trusted.split(",") if isinstance(trusted, str) else trusted
        app.wsgi_app = guard.inline(TrustedHosts(app.wsgi_app, hosts))  # outside Socket.IO's middleware
    # Flask reads the same setting for a check of its own, which takes a string as one name and
    # never matches an IPv6 address: "a,b" or "[::1]" were a 500 on every page. TrustedHosts has
    # already refused every other Host.
    app.config["TRUSTED_HOSTS"] = None
    guard.install(app, socketio)  # size, depth, budgets, headers on every response
    # Outermost: the host check, the guards and everything inside see the client's real host
    # and address.
    app.wsgi_app = guard.inline(BehindProxies(app.wsgi_app, app.config["PROXY_COUNT"]))
    # Flask-SocketIO runs every event in a request context made from the connection's first
    # request, and Werkzeug matches its path (/socket.io/, a websocket or a long poll) against
    # the URL map each time. Without a rule of its own that ends in a NotFound whose traceback
    # holds the context in a reference cycle: ~30 objects of garbage per vote that only the
    # collector frees, and full collections are rare (live/__main__.py). Engine.IO answers
    # /socket.io/ before Flask, so this view never serves a request.
    for websocket in (False, True):
        app.add_url_rule("/socket.io/", "socketio", _no_page, strict_slashes=False, websocket=websocket)

    live.start(on_writer_failed=_writer_failed)
    return app


# The exit code of a stopped writer (EX_SOFTWARE): nothing was lost, every ack was committed.
WRITER_EXIT = 70


def _writer_failed(reason: str) -> None:
    """End the process: a server that can no longer save must not look alive (``/healthz``)."""
    log.critical("stopping: %s", reason)
    print(
        "De server kan niets meer opslaan en stopt nu. Alles wat bevestigd was, is bewaard.\n"
        "Start hem opnieuw (make run); de telefoons komen vanzelf terug.",
        file=sys.stderr,
        flush=True,
    )
    os._exit(WRITER_EXIT)
