"""Spreadsheets (openpyxl): the working groups, and the evening's counts and additions.

Every cell that holds attendee or host text is written as a string cell, never a formula, and
one that starts like a formula also gets Excel's quote prefix, so editing it keeps it text.
Sheet names are made safe whatever a theme title holds (length, forbidden characters, unique).
"""

from __future__ import annotations

import io
import re
import time

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from live.exports import (
    agreements,
    follow_up_groups,
    looks_like_formula,
    phone_for_people,
    theme_order,
    working_groups,
)
from live.exports.evening import endorsement_counts, follow_up_words, merged_groups, recognition_rows
from live.texts import (
    ADDITION_STATUS,
    ANSWER_LABELS,
    CARD_LABELS,
    CONTACT_BY,
    ORIGIN_LABELS,
    PLAN_LABELS,
    ROLE_SHORT,
)

SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")
MEMBER_HEADER = [
    "Rol",
    "Naam",
    "E-mail",
    "Telefoon",
    "Voorkeur",
    "Herkomst",
    "Delen met de groep",
    "Aangemeld op",
]


def sheet_title(number: int, title: str) -> str:
    """``"3 Groen in de wijk"``: numbered, so unique; no character Excel refuses; at most 31."""
    clean = SHEET_FORBIDDEN.sub(" ", title).strip().strip("'").strip()
    return f"{number} {clean}"[:31].rstrip().rstrip("'") or str(number)


def _put(ws, row: int, col: int, value):
    """Write one cell: numbers as numbers, everything else as an inert string cell."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))
        cell.value = text
        cell.data_type = "s"  # openpyxl makes a formula of text starting with "="; never here
        if looks_like_formula(text):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def _rows(ws, rows, start: int = 1, bold_first: bool = True) -> int:
    for r, values in enumerate(rows, start=start):
        for c, value in enumerate(values, start=1):
            cell = _put(ws, r, c, value)
            if bold_first and r == start:
                cell.font = Font(bold=True)
    return start + len(rows)


def _finish(wb: Workbook) -> bytes:
    for ws in wb.worksheets:
        for column in ws.columns:
            longest = max((len(str(c.value or "")) for c in column), default=8)
            ws.column_dimensions[column[0].column_letter].width = min(max(longest + 2, 10), 60)
        for row in ws.iter_rows():
            for c in row:
                c.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _when(stamp: float | None) -> str:
    # None: a member from the evening of a terugkombijeenkomst, who gave consent there.
    return "" if stamp is None else time.strftime("%d-%m-%Y %H:%M", time.localtime(stamp))


def working_groups_xlsx(data: dict, theme: int | None = None) -> bytes:
    """An overview sheet, then one sheet per working group: every member who allowed contact
    (the kopgroep's list) with role, name, contact, preferred channel, origin, consents, and the
    group's card."""
    wb = Workbook()
    overview = wb.active
    overview.title = "Overzicht"
    groups = working_groups(data, theme)
    plans = {g["theme"]: g for g in follow_up_groups(data)}
    rows = [["Werkgroep", "Trekkers", "Meedoen", "Af en toe", "Samen", "Eerste afspraak", "Tabblad"]]
    for n, group in enumerate(groups, start=1):
        roles = [p["role"] for p in group["members"]]
        meet = follow_up_words(group["follow_up"])  # "3 december 2026, 19.30 uur, Buurthuis"
        name = sheet_title(n, group["theme"]["title"])
        rows.append(
            [
                group["theme"]["title"],
                roles.count("lead"),
                roles.count("member"),
                roles.count("occasional"),
                len(roles),
                meet,
                name,
            ]
        )
        ws = wb.create_sheet(name)
        at = _rows(ws, [["Werkgroep", group["theme"]["title"]]], bold_first=False)
        at = _rows(
            ws,
            [MEMBER_HEADER]
            + [
                [
                    ROLE_SHORT.get(p["role"], p["role"]),
                    p["name"],
                    p["email"],
                    phone_for_people(p["phone"]),
                    CONTACT_BY.get(p["contact_by"], ""),
                    ORIGIN_LABELS.get(p["origin"], p["origin"]),
                    "ja" if p["share"] else "nee",
                    _when(p["consent_at"]),
                ]
                for p in group["members"]
            ],
            start=at + 1,
        )
        at = _rows(
            ws,
            [["Kaart", ""]]
            + [[CARD_LABELS.get(n_["field"], n_["field"]), n_["text"]] for n_ in group["notes"]],
            start=at + 1,
        )
        plan = plans.get(group["theme"]["id"])
        if plan is not None:  # a terugkombijeenkomst: the group's plan of approach
            _rows(ws, [["Plan", ""]] + [[PLAN_LABELS[k], v] for k, v in plan["plan"].items()], start=at + 1)
    _rows(overview, rows)
    made = agreements(data)
    if theme is None and (plans or made):
        _agreements_sheet(wb.create_sheet("Afspraken"), made)
    return _finish(wb)


def _agreements_sheet(ws, made: list[dict]) -> None:
    """The agreements of a terugkombijeenkomst: what, which groups (together or alone), who, when."""
    _rows(
        ws,
        [["Nr.", "Afspraak", "Werkgroepen", "Wie", "Wanneer"]]
        + [[a["id"], a["text"], " + ".join(a["groups"]), a["who"], a["due"]] for a in made],
    )


def evening_xlsx(data: dict) -> bytes:
    """The evening's counts per theme (phones, paper forms, people helped and hands apart) and
    every addition, shown and hidden alike, marked as such."""
    wb = Workbook()
    counts = wb.active
    counts.title = "Telling"
    header = ["Thema", "Status"]
    for answer in ("yes", "partly", "no"):
        label = ANSWER_LABELS[answer]
        header += [f"{label} ({way})" for way in ("telefoon", "papier", "met hulp", "handen", "samen")]
    header += ["Gekozen aan tafel", "Trekkers", "Meedoen", "Af en toe"]
    rows = [header]
    for r in recognition_rows(data):
        row = [r["title"], r["status"]]
        for answer in ("yes", "partly", "no"):
            row += [r["by"][origin][answer] for origin in ("phone", "paper", "helper")]
            row += [r["hands"][answer], r["total"][answer]]
        row += [r["chosen"], r["roles"]["lead"], r["roles"]["member"], r["roles"]["occasional"]]
        rows.append(row)
    _rows(counts, rows)
    additions = wb.create_sheet("Aanvullingen")
    titles = {t["id"]: t["title"] for t in theme_order(data)}
    titles.setdefault(0, "Het geheel")
    # Numbered within the meeting: the same after an import, where the ids are new.
    number = {a["id"]: n for n, a in enumerate(data["additions"], start=1)}
    endorsed = endorsement_counts(data)
    nobody = {"phone": 0, "forms": 0, "hands": 0, "total": 0}
    # What was merged into each addition, by its number, one a line: "nr. 3: Meer bankjes".
    groups = merged_groups(data)
    merged_in: dict[int, list[str]] = {}
    for a in data["additions"]:
        if a["status"] == "merged" and a.get("merged_into"):
            merged_in.setdefault(a["merged_into"], []).append(f"nr. {number[a['id']]}: {a['text']}")

    def mentions(a: dict):
        """How many times it was said: itself and what was merged into it (a merged one counts there)."""
        return None if a["status"] == "merged" else groups.get(a["id"], 0) + 1

    _rows(
        additions,
        [
            [
                "Nummer",
                "Thema",
                "Tekst",
                "Status",
                "Herkend door",
                "Telefoon",
                "Papier en helper",
                "Handen",
                "Samengevoegd in (nummer)",
                "Keer genoemd",
                "Samengevoegd hierin",
            ]
        ]  # fmt: skip
        + [
            [
                number[a["id"]],
                titles.get(a["theme"], str(a["theme"])),
                a["text"],
                ADDITION_STATUS.get(a["status"], a["status"]),
                *(endorsed.get(a["id"], nobody)[k] for k in ("total", "phone", "forms", "hands")),
                number.get(a.get("merged_into")) if a["status"] == "merged" else None,
                mentions(a),
                "\n".join(merged_in.get(a["id"], [])),
            ]
            for a in data["additions"]
        ],
    )
    if data.get("groups"):  # a terugkombijeenkomst: its plans and agreements in the record too
        _agreements_sheet(wb.create_sheet("Afspraken"), agreements(data))
        _rows(
            wb.create_sheet("Plannen"),
            [["Werkgroep", *PLAN_LABELS.values()]]
            + [[g["title"], *g["plan"].values()] for g in follow_up_groups(data)],
        )
    return _finish(wb)
