"""The whole meeting as JSON, for archiving, and reading such a file back for an import.

The format is described in docs/export.md: the store's plain data with a small envelope. An
import checks the envelope and the shape here; the store checks every table and column.
"""

from __future__ import annotations

import json
import time

FORMAT = "burgerkracht-live/meeting"
VERSION = 1
LISTS = ("themes", "participants", "votes", "choices", "pledges", "notes", "additions", "manual_counts")


class BadArchive(ValueError):
    """The file is not a meeting export this server can read."""


def meeting_json(data: dict) -> bytes:
    """The export file: ``{"format", "version", "exported_at", "meeting", "themes", …}``."""
    envelope = {"format": FORMAT, "version": VERSION, "exported_at": int(time.time()), **data}
    return json.dumps(envelope, ensure_ascii=False, indent=1).encode("utf-8")


def read_archive(body) -> dict:
    """The store's plain data from a parsed export file; ``BadArchive`` when it is not one."""
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise BadArchive("not a meeting export")
    if body.get("version") != VERSION:
        raise BadArchive("unknown version")
    meeting = body.get("meeting")
    if not isinstance(meeting, dict) or not isinstance(meeting.get("title"), str):
        raise BadArchive("no meeting")
    data = {"meeting": meeting}
    for name in LISTS:
        rows = body.get(name, [])
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise BadArchive(f"{name} is not a list of objects")
        data[name] = rows
    if not data["themes"]:
        raise BadArchive("no themes")
    return data
