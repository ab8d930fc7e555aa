"""What every address shares: the error pages (404, 405, 429, 503 while the store is away), the
security headers on every response, the favicon and the health check for hosting.
"""

from __future__ import annotations

from flask import jsonify, make_response, redirect, render_template, request, url_for

from live.guard import connect_src
from live.service import StoreUnavailable
from live.texts import METHOD_NOT_ALLOWED, STORE_AWAY
from live.views.routes import Routes

routes = Routes()

HEALTH_TIMEOUT = 5.0


@routes.get("/favicon.ico")
def favicon(live):
    """Browsers ask for this by name."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@routes.get("/healthz")
def healthz(live):
    """Liveness for hosting: ok when a write round trip through the writer comes back within
    ``HEALTH_TIMEOUT`` s; 503 ``writer_stalled`` when it does not (restart the worker)."""
    if not live.healthy(HEALTH_TIMEOUT):
        return jsonify(ok=False, error="writer_stalled"), 503
    return jsonify(ok=True)


def not_found(_error):
    """A Dutch page with a box to type the code again."""
    if request.path.startswith("/api/"):
        return jsonify(ok=False, error="not_found"), 404
    return render_template("not_found.html", typed=""), 404


def method_not_allowed(error):
    """A method the address does not take: a stable code on the API, a Dutch page elsewhere."""
    if request.path.startswith("/api/"):
        response = jsonify(ok=False, error="method_not_allowed", message=METHOD_NOT_ALLOWED)
    else:
        response = make_response(render_template("not_allowed.html"))
    response.status_code = 405
    response.headers["Allow"] = ", ".join(sorted(error.valid_methods or ()))
    return response


def too_many(_error):
    """Too many wrong codes from one address: wait a minute."""
    if request.path.startswith("/api/"):
        return jsonify(ok=False, error="rate_limited"), 429
    return render_template("too_many.html"), 429


def store_away(_error):
    """The shared store (a deployment's Redis) is away for a moment: nothing is lost, try again
    soon. An API client gets a stable code and ``Retry-After``."""
    if request.path.startswith("/api/"):
        response = jsonify(ok=False, error="store_unavailable", message=STORE_AWAY)
    else:
        response = make_response(render_template("store_away.html"))
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    return response


ERROR_PAGES = {404: not_found, 405: method_not_allowed, 429: too_many, StoreUnavailable: store_away}


def security_headers(response):
    """CSP without inline script or style, no framing, no referrer (keys once were in URLs)."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect_src()}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response
