"""HTTP: the start page and API, the three screens, QR images and the working-group export.

Thin on purpose: parse the request, call the service, render. Keys arrive once in a link, are moved
into an HttpOnly cookie and the browser is sent to the clean address at once.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import logging
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
from live.meeting import ANSWERS, Refused, helper_key_for, normalise_code, projector_key_for
from live.store import StoreFull
from live.texts import ORIGIN_LABELS, ROLE_SHORT, client_texts, consent_text, create_error_text
from live.throttle import parse_limit

bp = Blueprint("live", __name__)
log = logging.getLogger(__name__)

COOKIE_AGE = 7 * 24 * 3600


def _live():
    return current_app.extensions["live"]


def _texts():
    return client_texts(current_app.config["RETENTION_DAYS"])


def _proof(raw_code) -> dict:
    """What this request brings to prove it was given the code (see ``Live.vouched``): a join
    ticket from the QR link or its cookie, and any key from the address, a cookie or a header."""
    code = normalise_code(raw_code) or ""
    auth = request.headers.get("Authorization", "")
    keys = (
        request.args.get("key"),
        request.cookies.get(f"host_{code}"),
        request.cookies.get(f"projector_{code}"),
        request.cookies.get(f"helper_{code}"),
        auth[7:].strip() if auth.startswith("Bearer ") else None,
    )
    ticket = request.args.get("t") or request.cookies.get(f"join_{code}")
    return {"ticket": ticket, "keys": [k for k in keys if k]}


def _meeting_or_404(raw_code):
    try:
        meeting = _live().meeting(raw_code, request.remote_addr or "", _proof(raw_code))
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
        "join_link": links.join_link(code),
        "host_url": links.host_url(code, keys["host_key"]),
        "projector_url": links.projector_url(code, keys["projector_key"]),
        "host_key": keys["host_key"],
        "projector_key": keys["projector_key"],
        "helper_url": links.helper_url(code, keys["helper_key"]),
        "helper_key": keys["helper_key"],
    }


def _with_key_cookie(response, role: str, code: str, key: str):
    """Set the cookie ``<role>_<code>`` (role: host, projector, or join for the ticket)."""
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


@bp.record_once
def _check_create_limit(state):
    """A mistyped ``CREATE_RATE_LIMIT`` stops the server at start, not the first organiser."""
    parse_limit(state.app.config["CREATE_RATE_LIMIT"])


def _organiser_key_matches(presented: str) -> bool:
    """Whether ``ORGANISER_KEY`` is off, or the key presented is it (compared in constant time)."""
    wanted = current_app.config["ORGANISER_KEY"]
    if not wanted:
        return True
    # Hashing first makes the comparison take the same time whatever the length typed.
    digest = [hashlib.sha256(k.encode("utf-8", "surrogatepass")).digest() for k in (presented, wanted)]
    return hmac.compare_digest(*digest)


def _create(data, presented_key: str):
    """Create a meeting for this request: ``(keys, None, 201, {})`` or ``(None, slug, status,
    headers)``."""
    throttle = _live().throttle
    address, limit = request.remote_addr or "", current_app.config["CREATE_RATE_LIMIT"]
    if not throttle.creation_allowed(address, limit):
        wait = throttle.creation_retry_after(address, limit)
        return None, "rate_limited", 429, {"Retry-After": str(wait)}
    if not _organiser_key_matches(presented_key):
        return None, "organiser_key_required", 403, {}
    try:
        return _live().create_meeting(data), None, 201, {}
    except Refused as refused:
        return None, refused.slug, 400, {}
    except StoreFull:
        log.error("creating a meeting failed: the store is full")
        return None, "storage_full", 503, {}
    except Exception:
        # A failed write is rolled back: nothing stored before is lost, and no meeting half made.
        log.exception("creating a meeting failed")
        return None, "server_error", 503, {}


@bp.post("/")
def create_from_form():
    """Create a meeting from the start form and open its host screen."""
    form = {k: request.form.get(k, "") for k in ("title", "place", "date", "themes")}
    keys, slug, status, headers = _create(form, request.form.get("organiser_key", ""))
    if keys is None:
        return render_template("start.html", form=form, error=create_error_text(slug)), status, headers
    # The fragment opens host.html's "keep this link" panel: a cookie is one browser's memory only.
    response = redirect(url_for("live.host", code=keys["code"], _anchor="link-bewaren"), code=303)
    _with_key_cookie(response, "host", keys["code"], keys["host_key"])
    return _with_key_cookie(response, "projector", keys["code"], keys["projector_key"])


@bp.post("/api/meetings")
def create_from_api():
    """``POST /api/meetings`` with JSON: 201 with the code, links and keys."""
    auth = request.headers.get("Authorization", "")
    presented = auth[7:].strip() if auth.startswith("Bearer ") else ""
    keys, slug, status, headers = _create(request.get_json(silent=True), presented)
    if keys is None:
        return jsonify(ok=False, error=slug, message=create_error_text(slug)), status, headers
    return jsonify(_created_links(keys["code"], keys)), 201


@bp.get("/join")
def join_by_code():
    """The "type the code" form on the start page and the not-found page."""
    typed = request.args.get("code", "")
    try:
        meeting = _live().meeting(typed, request.remote_addr or "", _proof(typed))
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
        return redirect(url_for("live.phone", code=meeting.code, **request.args))
    response = make_response(render_template("phone.html", meeting=meeting, texts=_texts()))
    # The ticket goes with every later request of this phone (reloads, its socket), so it is
    # never held back for somebody else's mistyped codes.
    return _with_key_cookie(response, "join", meeting.code, _live().ticket(meeting.code))


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
            # For host.html: the helper screen's link and QR (url_for("live.helper_qr")), and the
            # paper form (url_for("live.paper")).
            "helper_link": links.helper_url(meeting.code, helper_key_for(host_key, meeting.code)),
        }
    join_url = links.join_url(meeting.code)
    return render_template(
        template,
        meeting=meeting,
        join_url=join_url,
        join_link=links.join_link(meeting.code),
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
    response = _qr_svg(links.join_link(meeting.code))
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
    # Removed themes too: their volunteers still go home in a working group.
    titles = {t["id"]: t["title"] for t in _live().store.themes(meeting.code)}
    order = {"lead": 0, "member": 1, "occasional": 2}
    rows = sorted(
        _live().store.pledges(meeting.code),
        key=lambda p: (p["theme"], order[p["role"]], p["name"].casefold()),
    )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Werkgroep", "Rol", "Naam", "E-mail", "Telefoon", "Aangemeld op", "Via"])
    for p in rows:
        when = time.strftime("%d-%m-%Y %H:%M", time.localtime(p["consent_at"]))
        writer.writerow(
            [
                _cell(x)
                for x in (
                    titles[p["theme"]],
                    ROLE_SHORT[p["role"]],
                    p["name"],
                    p["email"],
                    p["phone"],
                    when,
                    ORIGIN_LABELS[p.get("origin", "phone")],
                )
            ]
        )
    response = make_response("\ufeff" + out.getvalue())
    response.mimetype = "text/csv"
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="werkgroepen-{meeting.code}.csv"'
    response.cache_control.no_store = True
    return response


# -- the helper screen and the paper form ------------------------------------------------------


def _helper_key(code: str):
    """The key this request brings that opens the helper screen (helper or host), or None."""
    meeting = _live().store.meeting(code)
    for key in (_presented_key("helper", code), _presented_key("host", code)):
        if key and _live().helper_allowed(meeting, key):
            return key
    return None


@bp.get("/<code>/helper")
def helper(code):
    """The helper screen: type in paper forms, or hand the device to someone who asks for help.
    ``?key=`` (helper or host key) moves into the cookie ``helper_<code>``, as for the beamer."""
    meeting = _meeting_or_404(code)
    key = request.args.get("key")
    if key is not None or code != meeting.code:
        response = redirect(url_for("live.helper", code=meeting.code), code=303)
        if key is not None:
            if not _live().helper_allowed(meeting, key):
                return render_template("no_access.html", meeting=meeting), 403
            _with_key_cookie(response, "helper", meeting.code, key)
        return response
    if _helper_key(meeting.code) is None:
        return render_template("no_access.html", meeting=meeting), 403
    response = make_response(render_template("helper.html", meeting=meeting, texts=_texts()))
    response.cache_control.no_store = True  # nothing of one person stays, not in a cache either
    return response


@bp.get("/<code>/helper/qr.svg")
def helper_qr(code):
    """The QR code of the helper link, for a volunteer's device; host only."""
    meeting = _meeting_or_404(code)
    key = _presented_key("host", meeting.code)
    if _live().role_for_key(meeting, key) != "host":
        abort(403)
    response = _qr_svg(links.helper_url(meeting.code, helper_key_for(key, meeting.code)))
    response.cache_control.no_store = True
    return response


# 12 themes fit on one A4 page with the rest of the form; more continue on a second page.
PAPER_PAGE = 12


@bp.get("/<code>/papier")
def paper(code):
    """The A4 paper form made from the meeting's own themes, to print (host or helper key)."""
    meeting = _meeting_or_404(code)
    if _helper_key(meeting.code) is None:
        return render_template("no_access.html", meeting=meeting), 403
    themes = meeting.themes
    return render_template(
        "paper.html",
        meeting=meeting,
        pages=[themes[i : i + PAPER_PAGE] for i in range(0, len(themes), PAPER_PAGE)] or [[]],
        answers=ANSWERS,
        consent=consent_text(current_app.config["RETENTION_DAYS"]),
        texts=None,
    )


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
