"""The helper screen (paper forms typed in, or a device handed to someone who asks for help), its
QR code, and the printable paper form.

The helper key opens these and nothing else; the host key opens them too.
"""

from __future__ import annotations

from flask import current_app, make_response, render_template

from live import links
from live.domain import ANSWERS, helper_key_for
from live.texts import ROLE_LABELS, ROLE_SHORT, consent_text, tr
from live.views.keys import helper_key, host_meeting, key_to_cookie, meeting_or_404, no_access, presented_key
from live.views.responses import qr_svg, texts
from live.views.routes import Routes

routes = Routes()

# 12 themes fit on one A4 page with the rest of the form; more continue on a second page.
PAPER_PAGE = 12


@routes.get("/<code>/helper")
def helper(live, code):
    """The helper screen: type in paper forms, or hand the device to someone who asks for help.
    ``?key=`` (helper or host key) moves into the cookie ``helper_<code>``, as for the beamer."""
    meeting = meeting_or_404(live, code)
    moved = key_to_cookie(meeting, code, "helper", lambda key: live.helper_allowed(meeting, key))
    if moved is not None:
        return moved
    if helper_key(live, meeting) is None:
        return no_access(meeting)
    response = make_response(render_template("helper.html", meeting=meeting, texts=texts(live)))
    response.cache_control.no_store = True  # nothing of one person stays, not in a cache either
    return response


@routes.get("/<code>/helper/qr.svg")
def helper_qr(live, code):
    """The QR code of the helper link, for a volunteer's device; host only."""
    meeting = host_meeting(live, code)
    key = presented_key("host", meeting.code)
    response = qr_svg(links.helper_url(meeting.code, helper_key_for(key, meeting.code)))
    response.cache_control.no_store = True
    return response


@routes.get("/<code>/papier")
def paper(live, code):
    """The A4 paper form made from the meeting's own themes, to print (host or helper key)."""
    meeting = meeting_or_404(live, code)
    if helper_key(live, meeting) is None:
        return no_access(meeting)
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
