"""The start page and making meetings: from the start form, through the API, from an archive;
and joining by a typed code.

Every way of making a meeting passes the same gate first (``CREATE_RATE_LIMIT`` per address and
the optional ``ORGANISER_KEY``, before the body is read) and answers failures the same way.
"""

from __future__ import annotations

import logging
import time

from flask import abort, jsonify, make_response, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from live import links
from live.domain import Refused
from live.exports import archive
from live.texts import create_error_text
from live.views.keys import bearer, creation_refused, from_another_site, proof, with_key_cookie
from live.views.responses import form_page
from live.views.routes import Routes

routes = Routes()
log = logging.getLogger(__name__)


@routes.get("/")
def start(live):
    """The start page: create a meeting, or type a code to join one."""
    return form_page(make_response(render_template("start.html", form=_fresh_form(), error=None)))


def _fresh_form() -> dict:
    """The start form as it opens: the day asked plainly, filled in with today (this machine's
    day, as the store's default), so an evening made at 19.25 needs no change and one prepared a
    week ahead shows the day that must change."""
    return {"held_on": time.strftime("%Y-%m-%d")}


def create_for_request(live, make, presented: str):
    """Create a meeting for this request with ``make()``: ``(keys, None, 201, {})`` or ``(None,
    slug, status, headers)``."""
    refused = creation_refused(live, presented)
    if refused is not None:
        return None, *refused
    try:
        return live.creating(make), None, 201, {}
    except Refused as refused:
        if refused.slug == "import_busy":
            return None, refused.slug, 503, {"Retry-After": "60"}
        if refused.slug == "storage_full":
            log.error("creating a meeting failed: the store is full")
            return None, refused.slug, 503, {}
        return None, refused.slug, 400, {}
    except HTTPException:  # a body over its limit: 413, nothing read or stored
        raise
    except Exception:
        # A failed write is rolled back: nothing stored before is lost, and no meeting half made.
        log.exception("creating a meeting failed")
        return None, "server_error", 503, {}


def _created(keys: dict, slug: str | None, status: int, headers: dict):
    """The API's answer to making a meeting: 201 with the code, links and keys, or the refusal."""
    if keys is None:
        return jsonify(ok=False, error=slug, message=create_error_text(slug)), status, headers
    code = keys["code"]
    created = {
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
    if "groups" in keys:  # a terugkombijeenkomst: each working group's own key, shown once here
        created["kind"] = "terugkom"
        created["groups"] = keys["groups"]
    return jsonify(created), 201


@routes.post("/")
def create_from_form(live):
    """Create a meeting from the start form and open its host screen."""
    if from_another_site():
        # A foreign page must not make meetings in a visitor's name (nor use up their address's
        # CREATE_RATE_LIMIT): refused before anything is counted or stored.
        return render_template("start.html", form=_fresh_form(), error=create_error_text("cross_site")), 403
    fields = ("title", "place", "date", "held_on", "themes", "wifi_name", "wifi_password")
    form = {k: request.form.get(k, "") for k in fields}
    wifi = {"name": form["wifi_name"], "password": form["wifi_password"]}
    keys, slug, status, headers = create_for_request(
        live, lambda: live.create_meeting({**form, "wifi": wifi}), request.form.get("organiser_key", "")
    )
    if keys is None:
        return render_template("start.html", form=form, error=create_error_text(slug)), status, headers
    # The fragment opens host.html's "keep this link" panel: a cookie is one browser's memory only.
    response = redirect(url_for("live.host", code=keys["code"], _anchor="link-bewaren"), code=303)
    with_key_cookie(response, "host", keys["code"], keys["host_key"])
    return with_key_cookie(response, "projector", keys["code"], keys["projector_key"])


@routes.post("/api/meetings")
def create_from_api(live):
    """``POST /api/meetings`` with JSON: 201 with the code, links and keys."""
    data = request.get_json(silent=True)
    return _created(*create_for_request(live, lambda: live.create_meeting(data), bearer() or ""))


@routes.post("/api/meetings/import")
def import_meeting(live):
    """``POST /api/meetings/import`` with an exported JSON file: the meeting again, new keys.
    The rate limit and the organiser key are checked before the body is read; the body is
    bounded while it is read and parsed off the event loop (``Live.import_archive``)."""

    def make():
        request.max_content_length = archive.MAX_BYTES  # a 413 before a byte more is read
        try:
            return live.import_archive(lambda: request.get_data(cache=False))
        except Refused as refused:
            if refused.slug == "import_busy":  # read and dropped, so the client hears the answer
                while request.stream.read(64 * 1024):
                    pass
            raise

    return _created(*create_for_request(live, make, bearer() or ""))


@routes.get("/join")
def join_by_code(live):
    """The "type the code" form on the start page and the not-found page."""
    typed = request.args.get("code", "")
    try:
        meeting = live.meeting(typed, request.remote_addr or "", proof(typed))
    except Refused:
        abort(429)
    if meeting is None:
        if live.was_deleted(typed):
            return render_template("gone.html", typed=typed), 410
        return render_template("not_found.html", typed=typed), 404
    return redirect(url_for("live.phone", code=meeting.code))
