"""HTTP: the start page and API, the three screens, QR images and the hand-off (exports, record,
archive, deleting).

Thin on purpose: parse the request, call the service, render. Keys arrive once in a link, are moved
into an HttpOnly cookie and the browser is sent to the clean address at once.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging
from urllib.parse import quote_from_bytes

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
from flask_babel import format_date, get_locale
from werkzeug.exceptions import HTTPException

from live import links
from live.domain import (
    ANSWERS,
    Refused,
    helper_key_for,
    normalise_code,
    parse_day,
    parse_follow_up,
    projector_key_for,
    wifi_qr_text,
)

# xlsx (openpyxl) and calendar (icalendar) are imported where they are used: together some 15 MB
# that a laptop would otherwise hold all evening for an export made once, at the end.
from live.exports import archive, evening, table_csv
from live.guard import connect_src
from live.store import StoreFull
from live.texts import (
    HANDOFF_ERRORS,
    INVITE_LINES,
    METHOD_NOT_ALLOWED,
    ROLE_LABELS,
    ROLE_SHORT,
    client_texts,
    consent_text,
    create_error_text,
    error_text,
    tr,
)
from live.throttle import parse_limit

bp = Blueprint("live", __name__)
log = logging.getLogger(__name__)

COOKIE_AGE = 7 * 24 * 3600
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _live():
    return current_app.extensions["live"]


def _texts(meeting=None):
    """The browser's strings; with the meeting, the consent says on which day details are erased."""
    days, erase_on = current_app.config["RETENTION_DAYS"], ""
    record = _live().store.meeting_record(meeting.code) if meeting is not None else None
    if record is not None:
        days = days if record["retention_days"] is None else record["retention_days"]
        erase_on = _long_date(evening.erase_on(record["held_on"], days))
    return client_texts(days, erase_on)


def _long_date(iso: str) -> str:
    """A day as people write it in the page's language (``12 maart 2026``, ``12 March 2026``)."""
    if not iso or str(get_locale() or "nl") == "nl":
        return evening.dutch_date(iso)
    return format_date(datetime.date.fromisoformat(iso), "long")


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
        _gone_or_404(raw_code)
    return meeting


def _gone_or_404(raw_code):
    """410 with its own page for the code of a deleted meeting (codes are never given out
    again, so an old QR code says the meeting is gone), else 404."""
    if _live().was_deleted(raw_code):
        abort(make_response(render_template("gone.html", typed=""), 410))
    abort(404)


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
    return _form_page(make_response(render_template("start.html", form={}, error=None)))


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


def _creation_refused(presented_key: str):
    """Why this request may not make a meeting, checked before its body is read: ``(slug,
    status, headers)`` for the address's ``CREATE_RATE_LIMIT`` or a wrong organiser key, else None."""
    throttle = _live().limits
    address, limit = request.remote_addr or "", current_app.config["CREATE_RATE_LIMIT"]
    if not throttle.creation_allowed(address, limit):
        wait = throttle.creation_retry_after(address, limit)
        return "rate_limited", 429, {"Retry-After": str(wait)}
    if not _organiser_key_matches(presented_key):
        return "organiser_key_required", 403, {}
    return None


def _create(make, presented_key: str):
    """Create a meeting for this request with ``make()``: ``(keys, None, 201, {})`` or ``(None,
    slug, status, headers)``."""
    refused = _creation_refused(presented_key)
    if refused is not None:
        return None, *refused
    try:
        return make(), None, 201, {}
    except Refused as refused:
        status, headers = (503, {"Retry-After": "60"}) if refused.slug == "import_busy" else (400, {})
        return None, refused.slug, status, headers
    except HTTPException:  # a body over its limit: 413, nothing read or stored
        raise
    except StoreFull:
        log.error("creating a meeting failed: the store is full")
        return None, "storage_full", 503, {}
    except Exception:
        # A failed write is rolled back: nothing stored before is lost, and no meeting half made.
        log.exception("creating a meeting failed")
        return None, "server_error", 503, {}


def _from_another_site() -> bool:
    """Whether the browser says this POST was sent from a page that is not ours: Fetch metadata
    other than ``same-origin`` (or ``none``: typed by the user), or an ``Origin`` that is not ours.
    ``Origin: null`` (a sandboxed frame, a ``data:`` page) counts as another site unless the Fetch
    metadata says same-origin: the start page sends ``Referrer-Policy: same-origin``, so our own
    form carries our origin. A client that says neither (a script, an old browser) is not refused:
    see ``_same_origin`` for the routes that need more."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("Origin")
    if origin == "null":
        return site is None
    return origin is not None and origin != request.host_url.rstrip("/")


@bp.post("/")
def create_from_form():
    """Create a meeting from the start form and open its host screen."""
    if _from_another_site():
        # A foreign page must not make meetings in a visitor's name (nor use up their address's
        # CREATE_RATE_LIMIT): refused before anything is counted or stored.
        return render_template("start.html", form={}, error=create_error_text("cross_site")), 403
    fields = ("title", "place", "date", "held_on", "themes", "wifi_name", "wifi_password")
    form = {k: request.form.get(k, "") for k in fields}
    wifi = {"name": form["wifi_name"], "password": form["wifi_password"]}
    keys, slug, status, headers = _create(
        lambda: _live().create_meeting({**form, "wifi": wifi}), request.form.get("organiser_key", "")
    )
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
    data = request.get_json(silent=True)
    keys, slug, status, headers = _create(lambda: _live().create_meeting(data), presented)
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
        if _live().was_deleted(typed):
            return render_template("gone.html", typed=typed), 410
        return render_template("not_found.html", typed=typed), 404
    return redirect(url_for("live.phone", code=meeting.code))


# -- the three screens -----------------------------------------------------------------------


@bp.get("/<code>")
def phone(code):
    """The phone page, opened from the QR code."""
    meeting = _meeting_or_404(code)
    if code != meeting.code:
        # The query (``t=``, ``lang=``) goes along as it came: never as arguments of url_for, where
        # ``_scheme``, ``_external`` or ``code`` would shape the address or fail.
        query = quote_from_bytes(request.query_string, safe="=&;%+/?:@!$'()*,~")
        return redirect(url_for("live.phone", code=meeting.code) + (f"?{query}" if query else ""))
    response = make_response(render_template("phone.html", meeting=meeting, texts=_texts(meeting)))
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
        hosted=links.hosted(),
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


def _staff_meeting(code):
    """The meeting, if the request carries its host or projector key (cookie or bearer)."""
    meeting = _meeting_or_404(code)
    keys = (_presented_key("host", meeting.code), _presented_key("projector", meeting.code))
    if not any(_live().role_for_key(meeting, key) for key in keys):
        abort(403)
    return meeting


@bp.get("/<code>/wifi.svg")
def wifi_qr(code):
    """The QR code of the hall's Wi-Fi (name and password) for the beamer's welcome and the
    printed poster; host or projector only, 404 when the meeting has no Wi-Fi."""
    meeting = _staff_meeting(code)
    if not meeting.wifi_name:
        abort(404)
    response = _qr_svg(wifi_qr_text(meeting.wifi_name, meeting.wifi_password))
    response.cache_control.no_store = True  # it holds the password
    return response


# -- printed invitations: the poster and the table cards ----------------------------------------


def _invitation(code, template: str):
    meeting = _host_meeting(code)
    join_url = links.join_url(meeting.code)
    response = make_response(
        render_template(
            template,
            meeting=meeting,
            wifi=None if links.hosted() or not meeting.wifi_name else meeting,
            join_display=links.display(join_url),
            invite_lines=INVITE_LINES,
        )
    )
    response.cache_control.no_store = True  # the Wi-Fi password may be on it
    return response


@bp.get("/<code>/affiche")
def poster(code):
    """An A4 poster for the door: the Wi-Fi step (when set), the join QR code, address and code."""
    return _invitation(code, "poster.html")


@bp.get("/<code>/tafelkaartjes")
def table_cards(code):
    """Four A6 table cards on one A4 sheet, with cut lines; the same steps as the poster."""
    return _invitation(code, "table_cards.html")


# -- the hand-off: exports, the evening's record, the JSON archive, deleting -------------------
# Every route here is for this meeting's host (cookie or bearer key); the formats live in
# live/exports and take the store's plain data. Changes (follow-up, day, delete) are POSTs from
# our own pages only.


def _host_meeting(code):
    """The meeting, if the request carries its host key (cookie or bearer); 403 or 404 otherwise."""
    meeting = _meeting_or_404(code)
    if _live().role_for_key(meeting, _presented_key("host", meeting.code)) != "host":
        abort(403)
    return meeting


def _same_origin() -> bool:
    """Whether a POST comes from our own pages. A browser says where a form was sent from: the
    Fetch metadata ``Sec-Fetch-Site`` (must be ``same-origin``), else ``Origin`` (must be ours; a
    ``no-referrer`` page sends ``null``, hence Fetch metadata first). A request with neither must
    carry the key itself (bearer): no foreign page can add that. SameSite=Lax already keeps the
    cookie off cross-site POSTs; this holds also if that ever changes."""
    origin = request.headers.get("Origin")
    if origin not in (None, "null") and origin != request.host_url.rstrip("/"):
        return False
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    if origin is not None:
        return origin == request.host_url.rstrip("/")
    return request.headers.get("Authorization", "").startswith("Bearer ")


def _form_page(response):
    """A page with a form: ``Referrer-Policy: same-origin``, so the browser sends our Origin with
    it (these addresses carry no key), and never cached."""
    response.headers["Referrer-Policy"] = "same-origin"
    response.cache_control.no_store = True
    return response


def _download(body: bytes, mimetype: str, filename: str):
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.cache_control.no_store = True  # names and contact details
    return response


def _export_data(meeting):
    data = _live().store.export_meeting(meeting.code)
    if data is None:  # deleted while we looked
        abort(404)
    return data


def _theme_arg():
    """``?thema=<id>``: one working group; absent: all of them."""
    raw = request.args.get("thema")
    if raw is None:
        return None
    # Plain ASCII digits only: str.isdigit() is also true for "²", which int() refuses.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        abort(404)
    return int(raw)


def _retention(data) -> int:
    days = data["meeting"].get("retention_days")
    return current_app.config["RETENTION_DAYS"] if days is None else days


@bp.get("/<code>/werkgroepen.csv")
def export_csv(code):
    """Volunteers per working group (all, or ``?thema=``), for Dutch Excel."""
    meeting = _host_meeting(code)
    body = table_csv.working_groups_csv(_export_data(meeting), _theme_arg())
    response = _download(body, "text/csv", f"werkgroepen-{meeting.code}.csv")
    response.charset = "utf-8"
    return response


@bp.get("/<code>/werkgroepen.xlsx")
def export_xlsx(code):
    """The working groups as a spreadsheet: an overview, then one sheet per group."""
    meeting = _host_meeting(code)
    from live.exports import xlsx  # here, not at the top: see the imports

    body = xlsx.working_groups_xlsx(_export_data(meeting), _theme_arg())
    return _download(body, XLSX, f"werkgroepen-{meeting.code}.xlsx")


@bp.get("/<code>/verslag.xlsx")
def export_evening_xlsx(code):
    """Every count and every addition (shown and hidden, marked) as a spreadsheet."""
    meeting = _host_meeting(code)
    from live.exports import xlsx  # here, not at the top: see the imports

    return _download(xlsx.evening_xlsx(_export_data(meeting)), XLSX, f"verslag-{meeting.code}.xlsx")


@bp.get("/<code>/bijeenkomst.json")
def export_json(code):
    """The whole meeting as JSON, to archive or to import elsewhere (docs/export.md)."""
    meeting = _host_meeting(code)
    body = archive.meeting_json(_export_data(meeting))
    return _download(body, "application/json", f"bijeenkomst-{meeting.code}.json")


@bp.get("/<code>/verslag")
def report(code):
    """The evening's record, to print or save as PDF: counts, additions, cards, no names."""
    meeting = _host_meeting(code)
    data = _export_data(meeting)
    response = make_response(render_template("report.html", r=evening.record(data, _retention(data))))
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
        roles={key: tr(label) for key, label in ROLE_LABELS.items()},
        roles_short={key: tr(label) for key, label in ROLE_SHORT.items()},
        texts=None,
    )


def _group_or_404(meeting, theme):
    data = _export_data(meeting)
    group = evening.group_page(data, theme)
    if group is None:
        abort(404)
    return data, group


@bp.get("/<code>/werkgroep/<int:theme>")
def working_group(code, theme):
    """A working group's A4 page: members who agreed to share, the card, the first meeting."""
    meeting = _host_meeting(code)
    data, group = _group_or_404(meeting, theme)
    return _group_page(data, group, error=None)


def _group_page(data, group, error, status=200):
    response = make_response(
        render_template("workgroup.html", meeting=data["meeting"], g=group, error=error), status
    )
    return _form_page(response)


@bp.post("/<code>/werkgroep/<int:theme>")
def set_follow_up(code, theme):
    """The host sets (or clears) the working group's first meeting: day, time, place."""
    meeting = _host_meeting(code)
    if not _same_origin():
        abort(403)
    data, group = _group_or_404(meeting, theme)
    try:
        follow_up = parse_follow_up(request.form)
    except Refused as refused:
        return _group_page(data, group, HANDOFF_ERRORS.get(refused.slug, error_text(refused.slug)), 400)
    _live().writer.call(_live().store.set_follow_up, meeting.code, theme, follow_up)
    return redirect(url_for("live.working_group", code=meeting.code, theme=theme), code=303)


@bp.get("/<code>/werkgroep/<int:theme>/afspraak.ics")
def follow_up_ics(code, theme):
    """The first meeting of a working group as a calendar file."""
    meeting = _host_meeting(code)
    data, group = _group_or_404(meeting, theme)
    if not group["follow_up"]:
        abort(404)
    from live.exports import calendar  # here, not at the top: see the imports

    body = calendar.follow_up_ics(data["meeting"], group["theme"], group["follow_up"], request.host)
    return _download(body, "text/calendar", f"werkgroep-{meeting.code}-{theme}.ics")


def _handoff_page(meeting, error=None, status=200):
    record = _live().store.meeting_record(meeting.code)
    days = record["retention_days"]
    days = current_app.config["RETENTION_DAYS"] if days is None else days
    themes = [t for t in _live().store.themes(meeting.code) if t["merged_into"] is None]
    response = make_response(
        render_template(
            "handoff.html",
            meeting=record,
            themes=themes,
            retention_days=days,
            custom_days=record["retention_days"] is not None,
            erase_on=evening.dutch_date(evening.erase_on(record["held_on"], days)),
            error=error,
        ),
        status,
    )
    return _form_page(response)


@bp.get("/<code>/afronden")
def handoff(code):
    """The host's hand-off page: every export, the meeting's day and retention, deleting."""
    return _handoff_page(_host_meeting(code))


@bp.post("/<code>/datum")
def set_dates(code):
    """The host sets the day the meeting is held and, optionally, its own retention in days."""
    meeting = _host_meeting(code)
    if not _same_origin():
        abort(403)
    try:
        held_on = parse_day(request.form.get("held_on", ""), required=True)
        raw_days = request.form.get("retention_days", "").strip()
        days = None
        if raw_days:
            if not (raw_days.isascii() and raw_days.isdigit()) or len(raw_days) > 4 or int(raw_days) > 3650:
                raise Refused("bad_days")
            days = int(raw_days)
    except Refused as refused:
        return _handoff_page(meeting, HANDOFF_ERRORS.get(refused.slug, error_text(refused.slug)), 400)
    _live().writer.call(_live().store.set_meeting_dates, meeting.code, held_on, days)
    return redirect(url_for("live.handoff", code=meeting.code), code=303)


@bp.post("/<code>/verwijderen")
def delete_meeting(code):
    """Delete the whole meeting at once, after the host typed its code again."""
    meeting = _host_meeting(code)
    if not _same_origin():
        abort(403)
    if normalise_code(request.form.get("confirm", "")) != meeting.code:
        return _handoff_page(meeting, HANDOFF_ERRORS["confirm_code"], 400)
    _live().writer.call(_live().store.delete_meeting, meeting.code)
    response = make_response(render_template("deleted.html"))
    for role in ("host", "projector", "helper", "join"):
        response.delete_cookie(f"{role}_{meeting.code}")
    return response


@bp.post("/api/meetings/import")
def import_meeting():
    """``POST /api/meetings/import`` with an exported JSON file: the meeting again, new keys.
    The rate limit and the organiser key are checked before the body is read; the body is
    bounded while it is read and parsed off the event loop (``Live.import_archive``)."""
    auth = request.headers.get("Authorization", "")
    presented = auth[7:].strip() if auth.startswith("Bearer ") else ""

    def make():
        request.max_content_length = archive.MAX_BYTES  # a 413 before a byte more is read
        try:
            return _live().import_archive(lambda: request.get_data(cache=False))
        except Refused as refused:
            if refused.slug == "import_busy":  # read and dropped, so the client hears the answer
                while request.stream.read(64 * 1024):
                    pass
            raise

    keys, slug, status, headers = _create(make, presented)
    if keys is None:
        return jsonify(ok=False, error=slug, message=create_error_text(slug)), status, headers
    return jsonify(_created_links(keys["code"], keys)), 201


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for this by name."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/healthz")
def healthz():
    """Liveness for hosting: ok when a write round trip through the writer comes back within
    ``HEALTH_TIMEOUT`` s; 503 ``writer_stalled`` when it does not (restart the worker)."""
    if not _live().writer.health(HEALTH_TIMEOUT):
        return jsonify(ok=False, error="writer_stalled"), 503
    return jsonify(ok=True)


HEALTH_TIMEOUT = 5.0


@bp.app_errorhandler(404)
def not_found(_error):
    """A Dutch page with a box to type the code again."""
    if request.path.startswith("/api/"):
        return jsonify(ok=False, error="not_found"), 404
    return render_template("not_found.html", typed=""), 404


@bp.app_errorhandler(405)
def method_not_allowed(error):
    """A method the address does not take: a stable code on the API, a Dutch page elsewhere."""
    if request.path.startswith("/api/"):
        response = jsonify(ok=False, error="method_not_allowed", message=METHOD_NOT_ALLOWED)
    else:
        response = make_response(render_template("not_allowed.html"))
    response.status_code = 405
    response.headers["Allow"] = ", ".join(sorted(error.valid_methods or ()))
    return response


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
