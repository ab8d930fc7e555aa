"""The working groups as CSV for Dutch Excel: UTF-8 with BOM, semicolons, CRLF.

A cell that a spreadsheet could run as a formula gets a leading ``'``; phone numbers are written
as people write them (``06 12345678``), so Excel shows them as they are, without a quote.
"""

from __future__ import annotations

import csv
import io
import time

from live.exports import looks_like_formula, phone_for_people, working_groups
from live.texts import ORIGIN_LABELS, ROLE_SHORT

HEADER = ["Werkgroep", "Rol", "Naam", "E-mail", "Telefoon", "Aangemeld op", "Via"]


def cell(value) -> str:
    """Attendee text as a CSV cell that Excel shows as text, never runs as a formula."""
    text = str(value)
    return "'" + text if looks_like_formula(text) else text


def working_groups_csv(data: dict, theme: int | None = None) -> bytes:
    """Every pledge (the kopgroep's list: all who allowed contact), per working group."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for group in working_groups(data, theme):
        for p in group["members"]:
            # A member from the evening (terugkombijeenkomst) gave consent there, not here.
            stamp = p["consent_at"]
            when = "" if stamp is None else time.strftime("%d-%m-%Y %H:%M", time.localtime(stamp))
            row = (group["theme"]["title"], ROLE_SHORT[p["role"]], p["name"], p["email"])
            via = ORIGIN_LABELS.get(p["origin"], p["origin"])  # phone, paper, or with a helper
            writer.writerow([*(cell(x) for x in row), cell(phone_for_people(p["phone"])), when, via])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
