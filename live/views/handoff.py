"""The hand-off at the end of the evening: exports, the evening's record, the working groups'
pages and their first meeting, the meeting's day and retention, and deleting it.

Every route here is for this meeting's host (cookie or bearer key). The formats live in
``live.exports`` and take the meeting's plain data from the service; this module only checks
access and streams the result. Changes (follow-up, day, delete) are POSTs from our own pages only.
"""

from __future__ import annotations

from flask import abort, current_app, make_response, redirect, render_template, request, url_for

from live import links
from live.domain import FOLLOW_UP, Refused, normalise_code, parse_day, parse_follow_up

# xlsx (openpyxl) and calendar (icalendar) are imported where they are used: together some 15 MB
# that a laptop would otherwise hold all evening for an export made once, at the end.
from live.exports import archive, download_name, evening, table_csv
from live.texts import HANDOFF_ERRORS, create_error_text, error_text
from live.views.keys import KEY_ROLES, host_meeting, presented_key, same_origin, with_key_cookie
from live.views.responses import download, form_page, inline_qr
from live.views.routes import Routes

routes = Routes()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export_data(live, meeting):
    data = live.export(meeting.code)
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


def _retention(days) -> int:
    """A meeting's own retention in days, or ``RETENTION_DAYS`` when it has none."""
    return current_app.config["RETENTION_DAYS"] if days is None else days


def _refusal(refused: Refused) -> str:
    """The Dutch sentence for a refused hand-off form."""
    return HANDOFF_ERRORS.get(refused.slug, error_text(refused.slug))


def _own_post(live, code):
    """The meeting of a hand-off POST: the host's, sent from our own pages; 403 otherwise."""
    meeting = host_meeting(live, code)
    if not same_origin():
        abort(403)
    return meeting


# -- exports -------------------------------------------------------------------------------------


@routes.get("/<code>/werkgroepen.csv")
def export_csv(live, code):
    """Volunteers per working group (all, or ``?thema=``), for Dutch Excel."""
    meeting = host_meeting(live, code)
    data, theme = _export_data(live, meeting), _theme_arg()
    body = table_csv.working_groups_csv(data, theme)
    response = download(body, "text/csv", download_name(data, theme, "csv"))
    response.charset = "utf-8"
    return response


@routes.get("/<code>/werkgroepen.xlsx")
def export_xlsx(live, code):
    """The working groups as a spreadsheet: an overview, then one sheet per group."""
    meeting = host_meeting(live, code)
    from live.exports import xlsx  # here, not at the top: see the imports

    data, theme = _export_data(live, meeting), _theme_arg()
    body = xlsx.working_groups_xlsx(data, theme)
    return download(body, XLSX, download_name(data, theme, "xlsx"))


@routes.get("/<code>/verslag.xlsx")
def export_evening_xlsx(live, code):
    """Every count and every addition (shown and hidden, marked) as a spreadsheet."""
    meeting = host_meeting(live, code)
    from live.exports import xlsx  # here, not at the top: see the imports

    return download(xlsx.evening_xlsx(_export_data(live, meeting)), XLSX, f"verslag-{meeting.code}.xlsx")


@routes.get("/<code>/bijeenkomst.json")
def export_json(live, code):
    """The whole meeting as JSON, to archive or to import elsewhere (docs/export.md)."""
    meeting = host_meeting(live, code)
    body = archive.meeting_json(_export_data(live, meeting))
    return download(body, "application/json", f"bijeenkomst-{meeting.code}.json")


@routes.get("/<code>/verslag")
def report(live, code):
    """The evening's record, to print or save as PDF: counts, additions, cards, no names."""
    meeting = host_meeting(live, code)
    data = _export_data(live, meeting)
    days = _retention(data["meeting"].get("retention_days"))
    response = make_response(render_template("report.html", r=evening.record(data, days)))
    response.cache_control.no_store = True
    return response


# -- working groups ------------------------------------------------------------------------------


def _group_or_404(live, meeting, theme):
    data = _export_data(live, meeting)
    group = evening.group_page(data, theme)
    if group is None:
        abort(404)
    return data, group


def _group_page(data, group, error, status=200):
    response = make_response(
        render_template("workgroup.html", meeting=data["meeting"], g=group, error=error), status
    )
    return form_page(response)


@routes.get("/<code>/werkgroep/<int:theme>")
def working_group(live, code, theme):
    """A working group's A4 page: members who agreed to share, the card, the first meeting."""
    meeting = host_meeting(live, code)
    data, group = _group_or_404(live, meeting, theme)
    return _group_page(data, group, error=None)


@routes.post("/<code>/werkgroep/<int:theme>")
def set_follow_up(live, code, theme):
    """The host sets (or clears) the working group's first meeting: day, time, place."""
    meeting = _own_post(live, code)
    data, group = _group_or_404(live, meeting, theme)
    try:
        follow_up = parse_follow_up(request.form)
    except Refused as refused:
        return _group_page(data, group, _refusal(refused), 400)
    live.set_follow_up(meeting.code, theme, follow_up)
    return redirect(url_for("live.working_group", code=meeting.code, theme=theme), code=303)


@routes.get("/<code>/werkgroep/<int:theme>/afspraak.ics")
def follow_up_ics(live, code, theme):
    """The first meeting of a working group as a calendar file."""
    meeting = host_meeting(live, code)
    data, group = _group_or_404(live, meeting, theme)
    if not group["follow_up"]:
        abort(404)
    from live.exports import calendar  # here, not at the top: see the imports

    body = calendar.follow_up_ics(data["meeting"], group["theme"], group["follow_up"], request.host)
    return download(body, "text/calendar", f"werkgroep-{meeting.code}-{theme}.ics")


# -- the hand-off page: the day, retention, deleting ------------------------------------------------


def _handoff_page(live, meeting, error=None, status=200, follow_up_error=None):
    record = live.meeting_record(meeting.code)
    days = _retention(record["retention_days"])
    response = make_response(
        render_template(
            "handoff.html",
            meeting=record,
            themes=live.themes_for_handoff(meeting.code),
            retention_days=days,
            custom_days=record["retention_days"] is not None,
            erase_on=evening.dutch_date(evening.erase_on(record["held_on"], days)),
            error=error,
            follow_up_error=follow_up_error,
            follow_up_title=f"Terugkombijeenkomst {record['title']}",
            is_evening=meeting.kind != FOLLOW_UP,
        ),
        status,
    )
    return form_page(response)


@routes.get("/<code>/afronden")
def handoff(live, code):
    """The host's hand-off page: every export, the meeting's day and retention, deleting."""
    return _handoff_page(live, host_meeting(live, code))


def _retention_days(raw: str) -> int | None:
    """A meeting's own retention typed on the hand-off page: empty (the default) or 0 to 3650."""
    raw = raw.strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 4 or int(raw) > 3650:
        raise Refused("bad_days")
    return int(raw)


@routes.post("/<code>/datum")
def set_dates(live, code):
    """The host sets the day the meeting is held and, optionally, its own retention in days."""
    meeting = _own_post(live, code)
    try:
        held_on = parse_day(request.form.get("held_on", ""), required=True)
        days = _retention_days(request.form.get("retention_days", ""))
    except Refused as refused:
        return _handoff_page(live, meeting, _refusal(refused), 400)
    live.set_dates(meeting.code, held_on, days)
    return redirect(url_for("live.handoff", code=meeting.code), code=303)


@routes.post("/<code>/verwijderen")
def delete_meeting(live, code):
    """Delete the whole meeting at once, after the host typed its code again."""
    meeting = _own_post(live, code)
    if normalise_code(request.form.get("confirm", "")) != meeting.code:
        return _handoff_page(live, meeting, HANDOFF_ERRORS["confirm_code"], 400)
    live.delete(meeting.code)
    response = make_response(render_template("deleted.html"))
    for role in (*KEY_ROLES, "join"):
        response.delete_cookie(f"{role}_{meeting.code}")
    return response


# -- the terugkombijeenkomst made from this evening -------------------------------------------------


def group_mail(title: str, url: str) -> str:
    """The mail a working group gets with its own link (B1, plain text)."""
    return (
        f"Beste leden van de werkgroep,\n\nVoor {title} schrijft onze werkgroep een plan: wat we willen "
        f"bereiken, wat we gaan doen, wie wat doet, wat we nodig hebben, wanneer, en de eerste stap.\n\n"
        f"Dat doen we samen op deze pagina:\n{url}\n\nDeel deze link alleen met de leden van de werkgroep."
    )


@routes.post("/<code>/terugkom")
def make_follow_up(live, code):
    """Make a terugkombijeenkomst from this evening (its host key, from the host's own session,
    proves it), then show its host link and each working group's link, once, to print."""
    meeting = _own_post(live, code)
    from live.views.start import create_for_request  # one way to make a meeting, with its limits

    title = request.form.get("title", "").strip() or f"Terugkombijeenkomst {meeting.title}"
    body = {
        "kind": FOLLOW_UP,
        "title": title,
        "from": [{"code": meeting.code, "host_key": presented_key("host", meeting.code)}],
    }
    keys, slug, status, headers = create_for_request(
        live, lambda: live.create_follow_up(body), request.form.get("organiser_key", "")
    )
    if keys is None:
        return _handoff_page(live, meeting, status=status, follow_up_error=create_error_text(slug)), headers
    new = keys["code"]
    # The members who shared an e-mail address get the link in a mail (BCC, as "mail de groep").
    made = live.meeting(new)
    emails = {
        g["theme"]: [m["email"] for m in g.get("members", []) if m.get("email")]
        for g in (live.groups_for(made, "host") if made else [])
    }
    groups = [
        {
            **g,
            "url": links.group_url(new, g["key"]),
            "qr": inline_qr(links.group_url(new, g["key"])),
            "bcc": ",".join(emails.get(g["theme"], [])),
            "mail_body": group_mail(title, links.group_url(new, g["key"])),
        }
        for g in keys["groups"]
    ]
    page = render_template(
        "follow_up_made.html",
        evening=meeting,
        title=title,
        code=new,
        host_link=links.host_url(new, keys["host_key"]),
        host_qr=inline_qr(links.host_url(new, keys["host_key"])),
        groups=groups,
    )
    response = form_page(make_response(page, 201))
    # This browser leads the new meeting too, without opening the link first.
    return with_key_cookie(response, "host", new, keys["host_key"])
