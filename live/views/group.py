"""A working group's own page in a terugkombijeenkomst: its plan, members, card, the tops and
questions it got, the agreements, and "wij willen hulp".

The group key opens this page for its own group and nothing else; it arrives once as ``?key=``
and is moved into the cookie ``group_<code>`` like the other screens' keys. The key of a group the
host removed answers a page that says so (410); a merged group's key opens nothing (403).
"""

from __future__ import annotations

from flask import make_response, render_template, request

from live.texts import ADDITION_KIND_LABELS, CARD_FIELDS, PLAN_LABELS
from live.views.keys import key_to_cookie, meeting_or_404, no_access, presented_key
from live.views.responses import texts
from live.views.routes import Routes

routes = Routes()


@routes.get("/<code>/groep")
def group(live, code):
    """One working group's page (its group key: ``?key=`` once, then the cookie)."""
    meeting = meeting_or_404(live, code)
    # A removed group's key (in the address or the cookie) gets a plain answer, not "wrong link".
    if any(
        live.group_gone(meeting, key)
        for key in (request.args.get("key"), presented_key("group", meeting.code))
    ):
        response = make_response(render_template("group_gone.html", meeting=meeting), 410)
        response.cache_control.no_store = True
        return response
    moved = key_to_cookie(meeting, code, "group", lambda key: live.group_for_key(meeting, key) is not None)
    if moved is not None:
        return moved
    theme = live.group_for_key(meeting, presented_key("group", meeting.code))
    if theme is None:
        return no_access(meeting)
    title = next(t.title for t in meeting.themes if t.id == theme)
    page = render_template(
        "group.html",
        meeting=meeting,
        theme=theme,
        group_title=title,
        plan_labels=PLAN_LABELS,
        card_labels=CARD_FIELDS,
        kind_labels=ADDITION_KIND_LABELS,
        texts=texts(live, meeting),
    )
    response = make_response(page)
    response.cache_control.no_store = True  # names of the members are on it
    return response
