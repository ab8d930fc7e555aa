"""Socket.IO handlers: who is this connection, apply one rule through the service, ack.

Identity is settled once, on connect (meeting code, role, participant token or key); each event
handler then only checks the role. The protocol is documented in docs/protocol.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, emit, join_room, leave_room

from live import links
from live.domain import Refused, normalise_code, optional
from live.extensions import socketio
from live.service import MAX_PAGE, card_room, room
from live.store import HELPER_ACTOR, HOST_ACTOR

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Identity:
    """Who one connection is, settled when it connects, and the subgroup card it follows."""

    code: str
    role: str
    participant: int = HOST_ACTOR
    card: int | None = None


KEY_ROLES = ("host", "projector", "helper")  # cookies that carry a key

NOTHING_YET = {
    "votes": {},
    "choice": None,
    "table": None,
    "pledge": None,
    "pledges": [],
    "additions": [],
    "notes": [],
}

# Per-connection identity. Connections live in one worker, so this is not shared state.
connections: dict[str, Identity] = {}


def _live():
    return current_app.extensions["live"]


@socketio.on("connect")
def on_connect(auth=None):
    """Any client connects with ``auth = {code, role, token}``; it receives its ``state``."""
    live = _live()
    auth = auth if isinstance(auth, dict) else {}
    code = normalise_code(auth.get("code")) or ""
    # Proof that this client was given the code, in case its address is held back for mistyped
    # codes: its own token or key, the ticket from the QR link (cookie or auth) or a key cookie.
    cookie_keys = (request.cookies.get(f"{role}_{code}") for role in KEY_ROLES)
    proof = {
        "ticket": auth.get("ticket") or request.cookies.get(f"join_{code}"),
        "token": auth.get("token"),
        "keys": [key for key in (auth.get("token"), *cookie_keys) if key],
    }
    try:
        meeting = live.meeting(auth.get("code"), request.remote_addr or "", proof)
    except Refused as refused:
        raise ConnectionRefusedError(refused.slug) from None
    if meeting is None:
        raise ConnectionRefusedError("unknown_meeting")
    role = auth.get("role")
    if role == "phone":
        participant, token, new = live.join(meeting, auth.get("token"))
        identity = Identity(meeting.code, "phone", participant)
        state = live.snapshot(meeting, "phone")
        state["token"] = token
        state["mine"] = NOTHING_YET if new else live.store.answers(meeting.code, participant)
    elif role in ("host", "projector"):
        # As on the HTTP side, a host device may open the beamer with its host cookie.
        cookies = [f"{role}_{meeting.code}"] + ([f"host_{meeting.code}"] if role == "projector" else [])
        key = auth.get("token") or next(filter(None, map(request.cookies.get, cookies)), None)
        granted = live.role_for_key(meeting, key)
        if granted is None or (role == "host" and granted != "host"):
            raise ConnectionRefusedError("bad_key")
        identity = Identity(meeting.code, role)
        state = live.snapshot(meeting, role)
        state["join_url"] = links.join_url(meeting.code)
    elif role == "helper":
        # The helper screen (paper forms, a shared device): the helper key or the host key.
        cookies = (request.cookies.get(f"{r}_{meeting.code}") for r in ("helper", "host"))
        keys = [auth.get("token")] if auth.get("token") else [k for k in cookies if k]
        if not any(live.helper_allowed(meeting, key) for key in keys):
            raise ConnectionRefusedError("bad_key")
        identity = Identity(meeting.code, "helper", HELPER_ACTOR)
        state = live.snapshot(meeting, "helper")
    else:
        raise ConnectionRefusedError("bad_role")
    connections[request.sid] = identity
    join_room(room(meeting.code, identity.role))
    chosen = state.get("mine", {}).get("choice")
    if chosen is not None:  # back at the table: the card of the chosen theme, live
        _follow_card(chosen)
        state["card"] = live.store.notes(meeting.code, chosen)
    emit("state", state)
    if role == "host":
        # A new host screen wants to know what the beamer shows now; the beamer answers.
        live.ask_projector_view(meeting.code)


@socketio.on("disconnect")
def on_disconnect(*_reason):
    """Forget the connection's identity."""
    connections.pop(request.sid, None)


def _act(kind: str, payload, role: str, *also: str) -> dict:
    identity = connections.get(request.sid)
    if identity is None:
        return {"ok": False, "error": "unknown_meeting"}
    if identity.role not in (role, *also):
        return {"ok": False, "error": "not_host" if role == "host" else "not_phone"}
    try:
        return _live().act(identity.code, identity.role, identity.participant, kind, payload)
    except Exception:
        # Never log the payload: it may hold names and phone numbers.
        log.exception("%s failed", kind)
        return {"ok": False, "error": "server_error"}


@socketio.on("vote")
def on_vote(payload=None, *_extra):
    """Phone: ``{id, theme, answer}`` recognition answer, replaces an earlier one."""
    return _act("vote", payload, "phone")


@socketio.on("addition")
def on_addition(payload=None, *_extra):
    """Phone: ``{id, theme, text}`` free text; waits for the host before the beamer shows it."""
    return _act("addition", payload, "phone")


@socketio.on("endorse")
def on_endorse(payload=None, *_extra):
    """Phone: ``{id, addition, on}`` "Dat herken ik ook" on a shown addition, or taken back;
    acked ``{ok, endorsements}``. The host and the beamer hear the counts, coalesced."""
    return _act("endorse", payload, "phone")


@socketio.on("addition_hands")
def on_addition_hands(payload=None, *_extra):
    """Host: ``{id, addition, count}`` raised hands for a shown addition (replaces the last)."""
    return _act("addition_hands", payload, "host")


@socketio.on("choose")
def on_choose(payload=None, *_extra):
    """Phone: ``{id, theme}`` the one theme to work on after the break (changeable); the ack
    names the table. The phone then follows that theme's card."""
    ack = _act("choose", payload, "phone")
    # A repeated message id gets its first ack back whatever this payload holds: follow a card
    # only for a theme this payload really names.
    theme = payload.get("theme") if isinstance(payload, dict) else None
    if ack.get("ok") and type(theme) is int:
        _follow_card(theme)
    return ack


def _follow_card(theme: int) -> None:
    """Let this connection receive the notes of one subgroup card (and of no other)."""
    identity = connections[request.sid]
    # The connection remembers its card: asking Socket.IO for its rooms walks every room of
    # the server (one per connection), which made a choice storm quadratic.
    if identity.card == theme:
        return
    if identity.card is not None:
        leave_room(room(identity.code, card_room(identity.card)))
    join_room(room(identity.code, card_room(theme)))
    identity.card = theme


@socketio.on("card")
def on_card(payload=None, *_extra):
    """Phone or host: ``{id, theme}`` the notes of one subgroup card, and its changes from now
    on (a phone that moved to another table)."""
    identity = connections.get(request.sid)
    if identity is None or identity.role not in ("phone", "host"):
        return {"ok": False, "error": "not_phone"}
    live = _live()
    if not live.limits.event_allowed(identity.role, f"{identity.code}:{identity.participant}"):
        return {"ok": False, "error": "rate_limited"}
    meeting = live.store.meeting(identity.code)
    if meeting is None:  # deleted by its host while this connection stayed open
        return {"ok": False, "error": "unknown_meeting"}
    try:
        theme = meeting.theme(payload.get("theme") if isinstance(payload, dict) else None)
    except Refused as refused:
        return {"ok": False, "error": refused.slug}
    _follow_card(theme.id)
    return {"ok": True, "notes": live.store.notes(identity.code, theme.id)}


@socketio.on("note")
def on_note(payload=None, *_extra):
    """Phone or host: ``{id, theme, field, text}`` a note on a subgroup card; answers its id."""
    return _act("note", payload, "phone", "host")


@socketio.on("edit_note")
def on_edit_note(payload=None, *_extra):
    """Phone or host: ``{id, note, text}``; a phone may change only its own notes."""
    return _act("edit_note", payload, "phone", "host")


@socketio.on("remove_note")
def on_remove_note(payload=None, *_extra):
    """Phone or host: ``{id, note}``; a phone may remove only its own notes."""
    return _act("remove_note", payload, "phone", "host")


@socketio.on("withdraw")
def on_withdraw(payload=None, *_extra):
    """Phone: ``{id, theme}`` takes back the pledge for one theme; its contact details are erased."""
    return _act("withdraw", payload, "phone")


@socketio.on("pledge")
def on_pledge(payload=None, *_extra):
    """Phone: ``{id, theme, role, name, email?, phone?, consent}`` "Wilt u meehelpen?"."""
    return _act("pledge", payload, "phone")


@socketio.on("set_phase")
def on_set_phase(payload=None, *_extra):
    """Host: ``{id, phase}``; every screen receives a new ``state``."""
    return _act("set_phase", payload, "host")


@socketio.on("moderate")
def on_moderate(payload=None, *_extra):
    """Host: ``{id, addition, show}`` shows or hides an addition on the beamer."""
    return _act("moderate", payload, "host")


@socketio.on("add_theme")
def on_add_theme(payload=None, *_extra):
    """Host: ``{id, title, description?, addition?}`` a new theme (from an addition, if given)."""
    return _act("add_theme", payload, "host")


@socketio.on("edit_theme")
def on_edit_theme(payload=None, *_extra):
    """Host: ``{id, theme, title?, description?}``; every screen receives a new ``state``."""
    return _act("edit_theme", payload, "host")


@socketio.on("remove_theme")
def on_remove_theme(payload=None, *_extra):
    """Host: ``{id, theme, confirm?}``; a theme with answers needs ``confirm: true``."""
    return _act("remove_theme", payload, "host")


@socketio.on("order_themes")
def on_order_themes(payload=None, *_extra):
    """Host: ``{id, order: [theme ids]}``, every current theme once."""
    return _act("order_themes", payload, "host")


@socketio.on("set_pace")
def on_set_pace(payload=None, *_extra):
    """Host: ``{id, pace: "all"}`` or ``{id, pace: "one", theme}`` (0: the whole analysis)."""
    return _act("set_pace", payload, "host")


@socketio.on("set_results")
def on_set_results(payload=None, *_extra):
    """Host: ``{id, hidden, theme?}`` hides or reveals results on the beamer (all, or one theme)."""
    return _act("set_results", payload, "host")


@socketio.on("manual_count")
def on_manual_count(payload=None, *_extra):
    """Host: ``{id, theme, answer, count}`` raised hands; a new count replaces the last one."""
    return _act("manual_count", payload, "host")


@socketio.on("lock_choices")
def on_lock_choices(payload=None, *_extra):
    """Host: ``{id, locked}`` closes or reopens the topic choice."""
    return _act("lock_choices", payload, "host")


@socketio.on("set_wifi")
def on_set_wifi(payload=None, *_extra):
    """Host: ``{id, name, password}`` the hall's Wi-Fi for the beamer's welcome (empty name:
    none). Host and beamer get a new ``state``; phones never hear the password."""
    return _act("set_wifi", payload, "host")


@socketio.on("show_welcome")
def on_show_welcome(payload=None, *_extra):
    """Host: ``{id, show}`` brings the welcome (Wi-Fi and join QR code) back on the beamer, or
    the board again; a phase change ends it too."""
    return _act("show_welcome", payload, "host")


@socketio.on("merge_themes")
def on_merge_themes(payload=None, *_extra):
    """Host: ``{id, theme, into}`` puts two subgroups together; choosers move along."""
    return _act("merge_themes", payload, "host")


@socketio.on("submit_form")
def on_submit_form(payload=None, *_extra):
    """Helper: ``{id, origin, votes, additions, choice?, pledges}`` one paper form or one person
    helped, saved as a new participant; a refusal names the field. Host and beamer hear a tally
    (and the additions, one by one)."""
    identity = connections.get(request.sid)
    if identity is None:
        return {"ok": False, "error": "unknown_meeting"}
    if identity.role != "helper":
        return {"ok": False, "error": "not_helper"}
    try:
        return _live().submit_form(identity.code, payload)
    except Exception:
        # Never log the payload: it holds names and phone numbers.
        log.exception("submit_form failed")
        return {"ok": False, "error": "server_error"}


@socketio.on("merge_addition")
def on_merge_addition(payload=None, *_extra):
    """Host: ``{id, addition, into}`` puts an addition with another that says the same."""
    return _act("merge_addition", payload, "host")


ORDERS = ("oldest", "newest", "endorsed")
STATUSES = ("pending", "shown", "hidden", "promoted", "merged")
MAX_OFFSET = 10**9
MAX_REPORTED = 500  # ids one beamer report may hold: far more than fit on a screen


def _whole(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _page_query(payload) -> dict:
    """``{order, offset, limit, status}`` from a ``list_additions`` payload, or Refused."""
    if not isinstance(payload, dict):
        raise Refused("bad_payload")
    query = {
        "order": optional(payload, "order", "oldest"),
        "offset": optional(payload, "offset", 0),
        "limit": optional(payload, "limit", 50),
        "status": payload.get("status"),
    }
    if query["order"] not in ORDERS or (query["status"] is not None and query["status"] not in STATUSES):
        raise Refused("bad_payload")
    if not _whole(query["offset"], 0, MAX_OFFSET) or not _whole(query["limit"], 1, MAX_PAGE):
        raise Refused("bad_payload")
    return query


def _view_report(payload) -> dict:
    """``{additions, page, pages}`` from a beamer's ``showing`` payload, or Refused."""
    if not isinstance(payload, dict):
        raise Refused("bad_payload")
    ids, page, pages = payload.get("additions"), payload.get("page"), payload.get("pages")
    if not isinstance(ids, list) or len(ids) > MAX_REPORTED or not all(_whole(i, 1, 2**63 - 1) for i in ids):
        raise Refused("bad_payload")
    if not _whole(pages, 0, MAX_REPORTED) or not _whole(page, 0, pages):
        raise Refused("bad_payload")
    return {"additions": ids, "page": page, "pages": pages}


def _read(role: str, handler) -> dict:
    """Run a read-only handler for a connection of this role: no message id, no write."""
    identity = connections.get(request.sid)
    if identity is None:
        return {"ok": False, "error": "unknown_meeting"}
    if identity.role != role:
        return {"ok": False, "error": "not_host" if role == "host" else "not_projector"}
    try:
        if _live().store.meeting(identity.code) is None:  # deleted while this screen stayed open
            return {"ok": False, "error": "unknown_meeting"}
        return handler(_live(), identity.code)
    except Refused as refused:
        return {"ok": False, "error": refused.slug}
    except Exception:
        log.exception("read failed")
        return {"ok": False, "error": "server_error"}


@socketio.on("list_additions")
def on_list_additions(payload=None, *_extra):
    """Host: ``{order, offset, limit, status?}`` one page of additions, acked with the page,
    ``total`` and the counts per status."""

    def page(live, code):
        query = _page_query(payload)
        if not live.limits.event_allowed("host", f"{code}:{HOST_ACTOR}"):
            return {"ok": False, "error": "rate_limited"}
        return live.additions_page(code, **query)

    return _read("host", page)


@socketio.on("showing")
def on_showing(payload=None, *_extra):
    """Projector: ``{additions, page, pages}`` what it shows now; the host hears ``projector_view``."""
    return _read("projector", lambda live, code: live.projector_showing(code, _view_report(payload)))


@socketio.on("*")
def on_unknown(event, *_args):
    """Any other event: refused, so a client waiting for an ack is not left hanging."""
    return {"ok": False, "error": "unknown_event"}
