"""What several pages' responses share: the browser's strings, form pages, QR images, downloads.

No route lives here, and nothing here decides who may see what (``live.views.keys`` does).
"""

from __future__ import annotations

import datetime

import qrcode
import qrcode.image.svg
from flask import Response, current_app, make_response
from flask_babel import format_date, get_locale
from markupsafe import Markup

from live.exports import evening
from live.texts import client_texts


def texts(live, meeting=None):
    """The browser's strings; with the meeting, the consent says on which day details are erased."""
    days, erase_on = current_app.config["RETENTION_DAYS"], ""
    record = live.meeting_record(meeting.code) if meeting is not None else None
    if record is not None:
        days = days if record["retention_days"] is None else record["retention_days"]
        erase_on = long_date(evening.erase_on(record["held_on"], days))
    return client_texts(days, erase_on)


def long_date(iso: str) -> str:
    """A day as people write it in the page's language (``12 maart 2026``, ``12 March 2026``)."""
    if not iso or str(get_locale() or "nl") == "nl":
        return evening.dutch_date(iso)
    return format_date(datetime.date.fromisoformat(iso), "long")


def form_page(response):
    """A page with a form: ``Referrer-Policy: same-origin``, so the browser sends our Origin with
    it (these addresses carry no key), and never cached."""
    response.headers["Referrer-Policy"] = "same-origin"
    response.cache_control.no_store = True
    return response


def qr_svg(data: str) -> Response:
    """A QR code of ``data`` as an SVG image (no Pillow needed)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage, border=2)
    response = make_response(image.to_string(encoding="unicode"))
    response.mimetype = "image/svg+xml"
    return response


def inline_qr(data: str) -> Markup:
    """A QR code of ``data`` as ``<svg>`` markup to put straight into a page (a printed page
    that shows a secret link needs no second, key-carrying image address)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage, border=2)
    svg = image.to_string(encoding="unicode")
    return Markup(svg[svg.index("<svg") :].replace("<svg", '<svg class="qr" aria-hidden="true"', 1))


def download(body: bytes, mimetype: str, filename: str):
    """A file to save, never cached: exports hold names and contact details."""
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.cache_control.no_store = True
    return response
