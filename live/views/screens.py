"""The screens of the evening: the phone page, the host screen, the beamer, their QR codes, and
the printed invitations (poster, table cards).

Each route checks who may open it (``live.views.keys``) and renders; the state itself reaches the
screens over Socket.IO (``live.events``).
"""

from __future__ import annotations

from urllib.parse import quote_from_bytes

from flask import abort, make_response, redirect, render_template, request, url_for

from live import links
from live.domain import FOLLOW_UP, group_key_for, helper_key_for, projector_key_for, wifi_qr_text
from live.texts import FOLLOW_UP_PHASE_LABELS, INVITE_LINES, PLAN_LABELS, phone_script_texts, tr
from live.views.keys import (
    host_meeting,
    key_to_cookie,
    meeting_or_404,
    no_access,
    presented_key,
    staff_meeting,
    with_key_cookie,
)
from live.views.responses import qr_svg, texts
from live.views.routes import Routes

routes = Routes()


@routes.get("/<code>")
def phone(live, code):
    """The phone page, opened from the QR code."""
    meeting = meeting_or_404(live, code)
    if code != meeting.code:
        # The query (``t=``, ``lang=``) goes along as it came: never as arguments of url_for, where
        # ``_scheme``, ``_external`` or ``code`` would shape the address or fail.
        query = quote_from_bytes(request.query_string, safe="=&;%+/?:@!$'()*,~")
        return redirect(url_for("live.phone", code=meeting.code) + (f"?{query}" if query else ""))
    words = texts(live, meeting)
    # The meeting as every phone sees it (no answers of anybody's, no token): the page draws its
    # answer buttons from it at once, and a tap waits in the outbox until the socket is there.
    # On a slow hall Wi-Fi that is a second or more sooner (BENCHMARKS.md).
    first = live.snapshot(meeting, "phone")
    page = render_template(
        "phone.html",
        meeting=meeting,
        texts=words,
        script_texts=phone_script_texts(words),
        first_state=first,
        follow_up=meeting.kind == FOLLOW_UP,
    )
    response = make_response(page)
    # The ticket goes with every later request of this phone (reloads, its socket), so it is
    # never held back for somebody else's mistyped codes.
    return with_key_cookie(response, "join", meeting.code, live.ticket(meeting.code))


def _opens(live, meeting, role: str, key) -> bool:
    """Whether ``key`` opens this screen: the host key opens both, the projector key the beamer."""
    granted = live.role_for_key(meeting, key)
    return granted is not None and (role != "host" or granted == "host")


def _screen(live, code: str, role: str, template: str):
    meeting = meeting_or_404(live, code)
    moved = key_to_cookie(meeting, code, role, lambda key: _opens(live, meeting, role, key))
    if moved is not None:
        return moved
    # A host device may open the beamer screen too.
    if not (
        _opens(live, meeting, role, presented_key(role, meeting.code))
        or (role == "projector" and _opens(live, meeting, role, presented_key("host", meeting.code)))
    ):
        return no_access(meeting)
    extra = {}
    if role == "host":
        host_key = presented_key("host", meeting.code)
        extra = {
            "host_link": links.host_url(meeting.code, host_key),
            "projector_link": links.projector_url(meeting.code, projector_key_for(host_key, meeting.code)),
            # For host.html: the helper screen's link and QR (url_for("live.helper_qr")), and the
            # paper form (url_for("live.paper")).
            "helper_link": links.helper_url(meeting.code, helper_key_for(host_key, meeting.code)),
        }
        if meeting.kind == FOLLOW_UP:  # each working group's own link, derived again
            extra["group_links"] = {
                t.id: links.group_url(meeting.code, group_key_for(host_key, meeting.code, t.id))
                for t in meeting.themes
            }
    words = texts(live)
    if meeting.kind == FOLLOW_UP:
        # A terugkombijeenkomst has its own screens, and its own parts for the phase buttons.
        template = template.replace(".html", "_terugkom.html")
        words = {**words, "phases": {k: tr(v) for k, v in FOLLOW_UP_PHASE_LABELS.items()}}
        extra["plan_labels"] = PLAN_LABELS
    join_url = links.join_url(meeting.code)
    return render_template(
        template,
        meeting=meeting,
        hosted=links.hosted(),
        join_url=join_url,
        join_link=links.join_link(meeting.code),
        join_display=links.display(join_url),
        texts=words,
        **extra,
    )


@routes.get("/<code>/host")
def host(live, code):
    """The host screen: phases, live tallies, moderation, links and export."""
    return _screen(live, code, "host", "host.html")


@routes.get("/<code>/beamer")
def projector(live, code):
    """The projector screen."""
    return _screen(live, code, "projector", "projector.html")


# -- QR codes --------------------------------------------------------------------------------


@routes.get("/<code>/qr.svg")
def join_qr(live, code):
    """The QR code phones scan; it holds the join address."""
    meeting = meeting_or_404(live, code)
    response = qr_svg(links.join_link(meeting.code))
    response.cache_control.max_age = 300
    return response


@routes.get("/<code>/host/qr.svg")
def host_qr(live, code):
    """The QR code of the host link, for a second facilitator device; host only."""
    meeting = host_meeting(live, code)
    response = qr_svg(links.host_url(meeting.code, presented_key("host", meeting.code)))
    response.cache_control.no_store = True
    return response


@routes.get("/<code>/wifi.svg")
def wifi_qr(live, code):
    """The QR code of the hall's Wi-Fi (name and password) for the beamer's welcome and the
    printed poster; host or projector only, 404 when the meeting has no Wi-Fi."""
    meeting = staff_meeting(live, code)
    if not meeting.wifi_name:
        abort(404)
    response = qr_svg(wifi_qr_text(meeting.wifi_name, meeting.wifi_password))
    response.cache_control.no_store = True  # it holds the password
    return response


# -- printed invitations: the poster and the table cards ----------------------------------------


def _invitation(live, code, template: str):
    meeting = host_meeting(live, code)
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


@routes.get("/<code>/affiche")
def poster(live, code):
    """An A4 poster for the door: the Wi-Fi step (when set), the join QR code, address and code."""
    return _invitation(live, code, "poster.html")


@routes.get("/<code>/tafelkaartjes")
def table_cards(live, code):
    """Four A6 table cards on one A4 sheet, with cut lines; the same steps as the poster."""
    return _invitation(live, code, "table_cards.html")
