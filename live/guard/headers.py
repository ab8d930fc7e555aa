"""The headers every answer carries, and which answers no cache may keep.

Owns the security headers added to every response (also Engine.IO's own, through
``middleware.Guard``), ``Cache-Control: no-store`` on every route that takes or gives a key or
contact details, and the ``connect-src`` the pages' own Content-Security-Policy allows. It must
not build pages or decide who may see what.
"""

from __future__ import annotations

import re

from flask import request

# Every route that takes a key or answers with one, or with contact details: never kept by a
# browser or proxy cache, whatever the answer (also its 403 page, whose address may carry a key,
# and its redirect, which carried one).
NO_STORE_ENDPOINTS = {
    "live.host",
    "live.projector",
    "live.helper",
    "live.paper",
    "live.host_qr",
    "live.helper_qr",
    "live.handoff",
    "live.report",
    "live.export_csv",
    "live.export_xlsx",
    "live.export_evening_xlsx",
    "live.export_json",
    "live.working_group",
    "live.set_follow_up",
    "live.follow_up_ics",
    "live.set_dates",
    "live.delete_meeting",
    "live.create_from_api",
    "live.create_from_form",
    "live.import_meeting",
}
SECURITY_HEADERS = [
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
]
_HOST_SAFE = re.compile(r"^[A-Za-z0-9.\-:\[\]]{1,255}$")


def no_store(response):
    """Keys and contact details never land in a cache."""
    if request.endpoint in NO_STORE_ENDPOINTS:
        response.cache_control.no_store = True
    return response


def connect_src() -> str:
    """The CSP ``connect-src``: our own origin, and websockets to our own host only."""
    host = request.host
    if not _HOST_SAFE.match(host):
        return "'self'"
    return f"'self' ws://{host} wss://{host}"
