"""The outermost WSGI layer and the HTTP body rules: what a request may be before Flask reads it.

Owns the ``Guard`` middleware (refuses JSONP polling, bounds chunked bodies, closes the connection
after a 413 so the refused body is never read, adds ``headers.SECURITY_HEADERS`` to answers that
lack them), Flask's JSON with a depth limit, the 413 answer, and ``inline``, which keeps each
WSGI layer off the websockets' saved stacks. It must not hold meeting rules or talk to the store.
"""

from __future__ import annotations

import io
import types

from flask import jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider

from live.guard.headers import SECURITY_HEADERS
from live.guard.limits import MAX_BODY
from live.texts import error_text


class GuardedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, but a body nested too deep is a ValueError (a 400), not a RecursionError."""

    def loads(self, s, **kwargs):
        """Parse JSON; too deep counts as invalid."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("too deeply nested") from None


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
