"""Who may open what, decided once for every page: keys and tickets from the address, a cookie
or ``Authorization: Bearer``; where a POST was sent from; the organiser key.

Keys arrive once in a link, are moved into an HttpOnly cookie (``<role>_<code>``) and the browser
is sent to the clean address at once. Nothing here renders a screen of its own except the refusals
(403, 404, 410, 429); nothing here reads the store (the service is handed in).
"""

from __future__ import annotations

import hashlib
import hmac

from flask import abort, current_app, make_response, redirect, render_template, request, url_for

from live.domain import Refused, normalise_code

COOKIE_AGE = 7 * 24 * 3600
# Cookies that carry a key, by the role they open (``join`` carries the QR link's ticket).
KEY_ROLES = ("host", "projector", "helper", "group")


def bearer() -> str | None:
    """The key in ``Authorization: Bearer <key>`` (possibly empty), or None without one."""
    auth = request.headers.get("Authorization", "")
    return auth[7:].strip() if auth.startswith("Bearer ") else None


def presented_key(role: str, code: str) -> str | None:
    """A key from ``Authorization: Bearer`` or the role's cookie."""
    key = bearer()
    return key if key is not None else request.cookies.get(f"{role}_{code}")


def proof(raw_code) -> dict:
    """What this request brings to prove it was given the code (see ``Live.vouched``): a join
    ticket from the QR link or its cookie, and any key from the address, a cookie or a header."""
    code = normalise_code(raw_code) or ""
    cookies = (request.cookies.get(f"{role}_{code}") for role in KEY_ROLES)
    keys = (request.args.get("key"), *cookies, bearer())
    ticket = request.args.get("t") or request.cookies.get(f"join_{code}")
    return {"ticket": ticket, "keys": [k for k in keys if k]}


def with_key_cookie(response, role: str, code: str, key: str):
    """Set the cookie ``<role>_<code>`` (role: host, projector, helper, group, or join for the ticket)."""
    response.set_cookie(
        f"{role}_{code}",
        key,
        max_age=COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        # Behind a TLS proxy the app sees http; PUBLIC_URL says what people really use.
        secure=request.is_secure or current_app.config["PUBLIC_URL"].startswith("https://"),
    )
    return response


# -- where a POST was sent from ----------------------------------------------------------------


def sent_from() -> str:
    """Where the browser says this request was sent from, by Fetch metadata (``Sec-Fetch-Site``)
    and ``Origin``: ``"ours"`` (our own pages), ``"elsewhere"`` (another site, or ``Origin: null``,
    a sandboxed frame or a ``data:`` page, without Fetch metadata to say otherwise), ``"typed"``
    (``Sec-Fetch-Site: none``: the user's own address bar or bookmark) or ``"unsaid"`` (neither
    header: a script, an old browser)."""
    site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    ours = request.host_url.rstrip("/")
    if origin not in (None, "null", ours) or site not in (None, "same-origin", "none"):
        return "elsewhere"
    if site is not None:
        return "ours" if site == "same-origin" else "typed"
    # No Fetch metadata: a no-referrer page of ours sends ``null`` too, but our form pages send
    # ``Referrer-Policy: same-origin`` (``form_page``), so their Origin is ours.
    if origin is not None:
        return "ours" if origin == ours else "elsewhere"
    return "unsaid"


def from_another_site() -> bool:
    """Whether the browser says this POST was sent from a page that is not ours. A client that
    says nothing (a script, an old browser) is not refused: see ``same_origin`` for the routes
    that need more."""
    return sent_from() == "elsewhere"


def same_origin() -> bool:
    """Whether a POST surely comes from our own pages: the browser says so, or (a request that
    says nothing) it carries the key itself as bearer, which no foreign page can add. SameSite=Lax
    already keeps the cookie off cross-site POSTs; this holds also if that ever changes."""
    where = sent_from()
    return where == "ours" or (where == "unsaid" and bearer() is not None)


# -- creating meetings -------------------------------------------------------------------------


def organiser_key_matches(presented: str) -> bool:
    """Whether ``ORGANISER_KEY`` is off, or the key presented is it (compared in constant time)."""
    wanted = current_app.config["ORGANISER_KEY"]
    if not wanted:
        return True
    # Hashing first makes the comparison take the same time whatever the length typed.
    digest = [hashlib.sha256(k.encode("utf-8", "surrogatepass")).digest() for k in (presented, wanted)]
    return hmac.compare_digest(*digest)


def creation_refused(live, presented: str):
    """Why this request may not make a meeting, checked before its body is read: ``(slug,
    status, headers)`` for the address's ``CREATE_RATE_LIMIT`` or a wrong organiser key, else None."""
    allowed, wait = live.creation_allowed(request.remote_addr or "")
    if not allowed:
        return "rate_limited", 429, {"Retry-After": str(wait)}
    if not organiser_key_matches(presented):
        return "organiser_key_required", 403, {}
    return None


# -- the meeting of a request, and who may open it -------------------------------------------------


def meeting_or_404(live, raw_code):
    """The meeting of a code in the address; 429 for an address held back for mistyped codes
    that brings no proof, 410 for a deleted meeting, else 404."""
    try:
        meeting = live.meeting(raw_code, request.remote_addr or "", proof(raw_code))
    except Refused:
        abort(429)
    if meeting is None:
        gone_or_404(live, raw_code)
    return meeting


def gone_or_404(live, raw_code):
    """410 with its own page for the code of a deleted meeting (codes are never given out
    again, so an old QR code says the meeting is gone), else 404."""
    if live.was_deleted(raw_code):
        abort(make_response(render_template("gone.html", typed=""), 410))
    abort(404)


def is_host(live, meeting) -> bool:
    """Whether the request carries the meeting's host key (cookie or bearer)."""
    return live.role_for_key(meeting, presented_key("host", meeting.code)) == "host"


def host_meeting(live, code):
    """The meeting, if the request carries its host key (cookie or bearer); 403 or 404 otherwise."""
    meeting = meeting_or_404(live, code)
    if not is_host(live, meeting):
        abort(403)
    return meeting


def staff_meeting(live, code):
    """The meeting, if the request carries its host or projector key (cookie or bearer)."""
    meeting = meeting_or_404(live, code)
    keys = (presented_key("host", meeting.code), presented_key("projector", meeting.code))
    if not any(live.role_for_key(meeting, key) for key in keys):
        abort(403)
    return meeting


def helper_key(live, meeting):
    """The key this request brings that opens the helper screen (helper or host), or None."""
    for key in (presented_key("helper", meeting.code), presented_key("host", meeting.code)):
        if key and live.helper_allowed(meeting, key):
            return key
    return None


def no_access(meeting):
    """The Dutch page for a key that does not open this screen."""
    return render_template("no_access.html", meeting=meeting), 403


def key_to_cookie(meeting, code: str, role: str, opens):
    """For a screen's address with ``?key=`` (or a code typed another way): the redirect to the
    clean address, the key moved into the cookie ``<role>_<code>`` if ``opens(key)``, else the
    refusal; None when the address is clean already."""
    key = request.args.get("key")
    if key is None and code == meeting.code:
        return None
    response = redirect(url_for(f"live.{role}", code=meeting.code), code=303)
    if key is not None:
        if not opens(key):
            return no_access(meeting)
        with_key_cookie(response, role, meeting.code, key)
    return response
