"""The listener: the socket ``python -m live`` serves on and eventlet's HTTP protocol around it.

Owns a listening socket that refuses to share its port, a deadline for each request's line and
headers, a deadline and a shared budget for request bodies (a trickler holds a connection for
seconds, not for as long as it likes), a cap on open connections per address, and small
per-connection buffers. The numbers live in ``limits``; ``GuardedProtocol`` subclasses eventlet's
``HttpProtocol``, and what it relies on there is checked in ``patches.SHAPES``. Used under
eventlet only; it must not import Flask or the app.
"""

from __future__ import annotations

import socket
import time

from werkzeug.exceptions import ClientDisconnected

from live.guard.limits import BODY_BUDGET, CONNECTION_BUFFER, MIN_BODY_RATE


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
