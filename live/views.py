"""HTTP: the start page and API, the three screens, QR images and the working-group export.

Thin on purpose: parse the request, call the service, render. Keys arrive once in a link, are moved
into an HttpOnly cookie and the browser is sent to the clean address at once.
"""

from __future__ import annotations

import csv
import io
import time

import qrcode
import qrcode.image.svg
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from live import links
from live.guard import connect_src
from live.meeting import Refused, projector_key_for
from live.texts import ROLE_SHORT, client_texts, error_text

bp = Blueprint("live", __name__)

COOKIE_AGE = 7 * 24 * 3600


def _live():
    return current_app.extensions["live"]


def _texts():
    return client_texts(current_app.config["RETENTION_DAYS"])


def _meeting_or_404(raw_code):
    try:
        meeting = _live().meeting(raw_code, request.remote_addr or "")
    except Refused:
        abort(429)
    if meeting is None:
        abort(404)
    return meeting


def _presented_key(role: str, code: str):
    """A key from ``Authorization: Bearer`` or the role's cookie."""
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth[7:].strip()
    return request.cookies.get(f"{role}_{code}")


def _created_links(code: str, keys: dict) -> dict:
    return {
        "code": code,
        "join_url": links.join_url(code),
        "host_url": links.host_url(code, keys["host_key"]),
        "projector_url": links.projector_url(code, keys["projector_key"]),
        "host_key": keys["host_key"],
        "projector_key": keys["projector_key"],
    }


def _with_key_cookie(response, role: str, code: str, key: str):
    response.set_cookie(
        f"{role}_{code}",
        key,
        max_age=COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        # Behind a TLS proxy the app sees http; PUBLIC_URL says what people really use.
        secure=request.is_secure or current_app.config["PUBLIC_URL"].startswith("https://"),
    )
    return response


# -- start ----------------------------------------------------------------------------------


@bp.get("/")
def start():
    """The start page: create a meeting, or type a code to join one."""
    return render_template("start.html", form={}, error=None)


@bp.post("/")
def create_from_form():
    """Create a meeting from the start form and open its host screen."""
    form = {k: request.form.get(k, "") for k in ("title", "place", "date", "themes")}
    try:
        keys = _live().create_meeting(form)
    except Refused as refused:
        return render_template("start.html", form=form, error=error_text(refused.slug)), 400
    response = redirect(url_for("live.host", code=keys["code"]), code=303)
    _with_key_cookie(response, "host", keys["code"], keys["host_key"])
    return _with_key_cookie(response, "projector", keys["code"], keys["projector_key"])


@bp.post("/api/meetings")
def create_from_api():
    """``POST /api/meetings`` with JSON: 201 with the code, links and keys."""
    data = request.get_json(silent=True)
    try:
        keys = _live().create_meeting(data)
    except Refused as refused:
        return jsonify(ok=False, error=refused.slug, message=error_text(refused.slug)), 400
    return jsonify(_created_links(keys["code"], keys)), 201


@bp.get("/join")
def join_by_code():
    """The "type the code" form on the start page and the not-found page."""
    typed = request.args.get("code", "")
    try:
        meeting = _live().meeting(typed, request.remote_addr or "")
    except Refused:
        abort(429)
    if meeting is None:
        return render_template("not_found.html", typed=typed), 404
    return redirect(url_for("live.phone", code=meeting.code))


# -- the three screens -----------------------------------------------------------------------


@bp.get("/<code>")
def phone(code):
    """The phone page, opened from the QR code."""
    meeting = _meeting_or_404(code)
    if code != meeting.code:
        return redirect(url_for("live.phone", code=meeting.code))
    return render_template("phone.html", meeting=meeting, texts=_texts())


def _screen(code: str, role: str, template: str):
    meeting = _meeting_or_404(code)
    key = request.args.get("key")
    if key is not None or code != meeting.code:
        # The key moves from the address bar into a cookie, then we reload without it.
        response = redirect(url_for(f"live.{role}", code=meeting.code), code=303)
        if key is not None:
            granted = _live().role_for_key(meeting, key)
            if granted is None or (role == "host" and granted != "host"):
                return render_template("no_access.html", meeting=meeting), 403
            _with_key_cookie(response, role, meeting.code, key)
        return response
    granted = _live().role_for_key(meeting, _presented_key(role, meeting.code))
    if granted is None and role == "projector":
        # A host device may open the beamer screen too.
        granted = _live().role_for_key(meeting, _presented_key("host", meeting.code))
    if granted is None or (role == "host" and granted != "host"):
        return render_template("no_access.html", meeting=meeting), 403
    extra = {}
    if role == "host":
        host_key = _presented_key("host", meeting.code)
        extra = {
            "host_link": links.host_url(meeting.code, host_key),
            "projector_link": links.projector_url(meeting.code, projector_key_for(host_key, meeting.code)),
        }
    join_url = links.join_url(meeting.code)
    return render_template(
        template,
        meeting=meeting,
        join_url=join_url,
        join_display=links.display(join_url),
        texts=_texts(),
        **extra,
    )


@bp.get("/<code>/host")
def host(code):
    """The host screen: phases, live tallies, moderation, links and export."""
    return _screen(code, "host", "host.html")


@bp.get("/<code>/beamer")
def projector(code):
    """The projector screen."""
    return _screen(code, "projector", "projector.html")


# -- QR codes --------------------------------------------------------------------------------


def _qr_svg(data: str) -> Response:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage, border=2)
    response = make_response(image.to_string(encoding="unicode"))
    response.mimetype = "image/svg+xml"
    return response


@bp.get("/<code>/qr.svg")
def join_qr(code):
    """The QR code phones scan; it holds the join address."""
    meeting = _meeting_or_404(code)
    response = _qr_svg(links.join_url(meeting.code))
    response.cache_control.max_age = 300
    return response


@bp.get("/<code>/host/qr.svg")
def host_qr(code):
    """The QR code of the host link, for a second facilitator device; host only."""
    meeting = _meeting_or_404(code)
    key = _presented_key("host", meeting.code)
    if _live().role_for_key(meeting, key) != "host":
        abort(403)
    response = _qr_svg(links.host_url(meeting.code, key))
    response.cache_control.no_store = True
    return response


# -- export ----------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def _cell(value) -> str:
    """Attendee text as a CSV cell that Excel shows as text, never runs as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@bp.get("/<code>/werkgroepen.csv")
def export_csv(code):
    """Volunteers grouped per theme (working group), for Dutch Excel: UTF-8 BOM, semicolons."""
    meeting = _meeting_or_404(code)
    if _live().role_for_key(meeting, _presented_key("host", meeting.code)) != "host":
        abort(403)
    titles = {t.id: t.title for t in meeting.themes}
    order = {"lead": 0, "member": 1, "occasional": 2}
    rows = sorted(
        _live().store.pledges(meeting.code),
        key=lambda p: (p["theme"], order[p["role"]], p["name"].casefold()),
    )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Werkgroep", "Rol", "Naam", "E-mail", "Telefoon", "Aangemeld op"])
    for p in rows:
        when = time.strftime("%d-%m-%Y %H:%M", time.localtime(p["consent_at"]))
        writer.writerow(
            [
                _cell(x)
                for x in (titles[p["theme"]], ROLE_SHORT[p["role"]], p["name"], p["email"], p["phone"], when)
            ]
        )
    response = make_response("\ufeff" + out.getvalue())
    response.mimetype = "text/csv"
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="werkgroepen-{meeting.code}.csv"'
    response.cache_control.no_store = True
    return response


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for this by name."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/healthz")
def healthz():
    """Liveness for hosting: answers when the worker runs."""
    return jsonify(ok=True)


@bp.app_errorhandler(404)
def not_found(_error):
    """A Dutch page with a box to type the code again."""
    if request.path.startswith("/api/"):
        return jsonify(ok=False, error="not_found"), 404
    return render_template("not_found.html", typed=""), 404


@bp.app_errorhandler(429)
def too_many(_error):
    """Too many wrong codes from one address: wait a minute."""
    if request.path.startswith("/api/"):
        return jsonify(ok=False, error="rate_limited"), 429
    return render_template("too_many.html"), 429


@bp.after_app_request
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
