"""Socket.IO handlers: who is this connection, apply one rule through the service, ack.

Identity is settled once, on connect (meeting code, role, participant token or key); each event
handler then only checks the role and makes one call to the service it was handed
(``register(socketio, live)``). It never reads the store or the limits itself. The protocol is
documented in docs/protocol.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import request
from flask_socketio import ConnectionRefusedError, emit, join_room, leave_room

from live import links
from live.domain import Refused, normalise_code, optional
from live.service import (
    HELPER_ACTOR,
    HOST_ACTOR,
    MAX_PAGE,
    StoreUnavailable,
    card_room,
    group_actor,
    group_room,
    room,
)

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Identity:
    """Who one connection is, settled when it connects, and the subgroup card it follows."""

    code: str
    role: str
    participant: int = HOST_ACTOR
    card: int | None = None
    # A working group's link (role "group"): the theme of its group, the only plan it may write.
    group: int | None = None
    # The host key a host screen connected with: a group the host adds gets its key derived from
    # it (``on_add_theme``). Kept only for this connection's life, out of every repr and log, and
    # never sent anywhere; the store keeps only the hashes.
    host_key: str | None = field(default=None, repr=False)


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

# The answer while the shared store (a deployment's Redis) is away: nothing was saved, send the
# same id again; the page says so calmly and does (docs/protocol.md).
UNAVAILABLE = "store_unavailable"
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


def _ids(value, low: int = 1) -> bool:
    """A list of at most MAX_REPORTED ids (theme ids may be 0: the whole)."""
    return (
        isinstance(value, list)
        and len(value) <= MAX_REPORTED
        and all(_whole(i, low, 2**63 - 1) for i in value)
    )


def _view_report(payload) -> dict:
    """``{additions, page, pages}`` from a beamer's ``showing`` payload, with ``themes``,
    ``screen``, ``screens`` and ``starts`` when it sends them (beamers before those sent none);
    or Refused."""
    if not isinstance(payload, dict):
        raise Refused("bad_payload")
    ids, page, pages = payload.get("additions"), payload.get("page"), payload.get("pages")
    if not _ids(ids):
        raise Refused("bad_payload")
    if not _whole(pages, 0, MAX_REPORTED) or not _whole(page, 0, pages):
        raise Refused("bad_payload")
    view = {"additions": ids, "page": page, "pages": pages}
    if payload.get("screens") is not None:
        themes, screen, screens = payload.get("themes"), payload.get("screen"), payload.get("screens")
        starts = payload.get("starts")
        if not _ids(themes, 0) or not _ids(starts, 0) or not _whole(screens, 0, MAX_REPORTED):
            raise Refused("bad_payload")
        if not _whole(screen, 0, screens) or len(starts) != screens:
            raise Refused("bad_payload")
        view.update(themes=themes, screen=screen, screens=screens, starts=starts)
    return view


def _proof(auth: dict, code: str) -> dict:
    """Proof that this client was given the code, in case its address is held back for mistyped
    codes: its own token or key, the ticket from the QR link (cookie or auth) or a key cookie."""
    cookie_keys = (request.cookies.get(f"{role}_{code}") for role in KEY_ROLES)
    return {
        "ticket": auth.get("ticket") or request.cookies.get(f"join_{code}"),
        "token": auth.get("token"),
        "keys": [key for key in (auth.get("token"), *cookie_keys) if key],
    }


# Event name -> the method of ``Events`` that handles it (filled by ``@handles``).
HANDLERS: dict[str, str] = {}


def handles(event: str):
    """Mark a method of ``Events`` as the handler of ``event``."""

    def mark(method):
        HANDLERS[event] = method.__name__
        return method

    return mark


def register(socketio, live) -> Events:
    """Handle every event of ``socketio``'s current server with the service ``live``."""
    events = Events(live)
    for event, name in HANDLERS.items():
        socketio.on(event)(getattr(events, name))
    return events


class Events:
    """The Socket.IO handlers of one app, each a method that serves its ``live``."""

    def __init__(self, live):
        self.live = live
        # Per-connection identity. Connections live in one worker, so this is not shared state.
        self.connections: dict[str, Identity] = {}

    # -- who is this -------------------------------------------------------------------------

    @handles("connect")
    def on_connect(self, auth=None):
        """Any client connects with ``auth = {code, role, token}``; it receives its ``state``."""
        try:
            self._connect(auth)
        except StoreUnavailable as err:
            # The shared store is away for a moment: the page says so and connects again.
            log.warning("store unavailable at connect: %s", err)
            raise ConnectionRefusedError(UNAVAILABLE) from None

    def _connect(self, auth) -> None:
        auth = auth if isinstance(auth, dict) else {}
        code = normalise_code(auth.get("code")) or ""
        try:
            meeting = self.live.meeting(auth.get("code"), request.remote_addr or "", _proof(auth, code))
        except Refused as refused:
            raise ConnectionRefusedError(refused.slug) from None
        if meeting is None:
            raise ConnectionRefusedError("unknown_meeting")
        role = auth.get("role")
        if role == "phone":
            identity, state = self._phone(meeting, auth.get("token"))
        elif role in ("host", "projector"):
            identity, state = self._screen(meeting, role, auth.get("token"))
        elif role == "helper":
            identity, state = self._helper(meeting, auth.get("token"))
        elif role == "group":
            identity, state = self._group(meeting, auth.get("token"))
        else:
            raise ConnectionRefusedError("bad_role")
        self.connections[request.sid] = identity
        join_room(room(meeting.code, identity.role))
        if identity.group is not None:
            join_room(room(meeting.code, group_room(identity.group)))
        chosen = state.get("mine", {}).get("choice")
        if chosen is not None:  # back at the table: the card of the chosen theme, live
            self._follow_card(chosen)
            state["card"] = self.live.notes(meeting.code, chosen)
        # Only this connection, which is on this worker: not through the message queue, where
        # every other worker would decode the whole snapshot to find nobody to give it to.
        emit("state", state, ignore_queue=True)
        if role == "host":
            # A new host screen wants to know what the beamer shows now; the beamer answers.
            self.live.ask_projector_view(meeting.code)

    def _phone(self, meeting, token):
        """A phone: a participant (new, or back with its token), its own answers so far."""
        participant, token, new = self.live.join(meeting, token)
        state = self.live.snapshot(meeting, "phone")
        state["token"] = token
        state["mine"] = NOTHING_YET if new else self.live.answers(meeting.code, participant)
        return Identity(meeting.code, "phone", participant), state

    def _screen(self, meeting, role: str, token):
        """The host screen or the beamer: its key from ``auth`` or its cookie."""
        # As on the HTTP side, a host device may open the beamer with its host cookie.
        cookies = [f"{role}_{meeting.code}"] + ([f"host_{meeting.code}"] if role == "projector" else [])
        key = token or next(filter(None, map(request.cookies.get, cookies)), None)
        granted = self.live.role_for_key(meeting, key)
        if granted is None or (role == "host" and granted != "host"):
            raise ConnectionRefusedError("bad_key")
        state = self.live.snapshot(meeting, role)
        state["join_url"] = links.join_url(meeting.code)
        return Identity(meeting.code, role, host_key=key if role == "host" else None), state

    def _helper(self, meeting, token):
        """The helper screen (paper forms, a shared device): the helper key or the host key."""
        cookies = (request.cookies.get(f"{r}_{meeting.code}") for r in ("helper", "host"))
        keys = [token] if token else [k for k in cookies if k]
        if not any(self.live.helper_allowed(meeting, key) for key in keys):
            raise ConnectionRefusedError("bad_key")
        return Identity(meeting.code, "helper", HELPER_ACTOR), self.live.snapshot(meeting, "helper")

    def _group(self, meeting, token):
        """A working group's link in a terugkombijeenkomst: its group key opens its own group
        (from ``auth``, or the page's cookie ``group_<code>``)."""
        theme = self.live.group_for_key(meeting, token or request.cookies.get(f"group_{meeting.code}"))
        if theme is None:
            raise ConnectionRefusedError("bad_key")
        identity = Identity(meeting.code, "group", group_actor(theme), group=theme)
        return identity, self.live.group_snapshot(meeting, theme)

    @handles("disconnect")
    def on_disconnect(self, *_reason):
        """Forget the connection's identity."""
        self.connections.pop(request.sid, None)

    def _act(self, kind: str, payload, role: str, *also: str) -> dict:
        identity = self.connections.get(request.sid)
        if identity is None:
            return {"ok": False, "error": "unknown_meeting"}
        if identity.role not in (role, *also):
            slug = {"host": "not_host", "group": "not_group"}.get(role, "not_phone")
            return {"ok": False, "error": slug}
        try:
            if identity.role == "group":  # a group link counts against a phone's budget
                return self.live.act(
                    identity.code, "phone", identity.participant, kind, payload, group=identity.group
                )
            return self.live.act(identity.code, identity.role, identity.participant, kind, payload)
        except StoreUnavailable:
            return {"ok": False, "error": UNAVAILABLE}
        except Exception:
            # Never log the payload: it may hold names and phone numbers.
            log.exception("%s failed", kind)
            return {"ok": False, "error": "server_error"}

    def _read(self, role: str, handler) -> dict:
        """Run a read-only handler for a connection of this role: no message id, no write."""
        identity = self.connections.get(request.sid)
        if identity is None:
            return {"ok": False, "error": "unknown_meeting"}
        if identity.role != role:
            return {"ok": False, "error": "not_host" if role == "host" else "not_projector"}
        try:
            if self.live.meeting(identity.code) is None:  # deleted while this screen stayed open
                return {"ok": False, "error": "unknown_meeting"}
            return handler(identity.code)
        except Refused as refused:
            return {"ok": False, "error": refused.slug}
        except StoreUnavailable:
            return {"ok": False, "error": UNAVAILABLE}
        except Exception:
            log.exception("read failed")
            return {"ok": False, "error": "server_error"}

    def _follow_card(self, theme: int) -> None:
        """Let this connection receive the notes of one subgroup card (and of no other)."""
        identity = self.connections[request.sid]
        # The connection remembers its card: asking Socket.IO for its rooms walks every room of
        # the server (one per connection), which made a choice storm quadratic.
        if identity.card == theme:
            return
        if identity.card is not None:
            leave_room(room(identity.code, card_room(identity.card)))
        join_room(room(identity.code, card_room(theme)))
        identity.card = theme

    # -- phones ------------------------------------------------------------------------------

    @handles("vote")
    def on_vote(self, payload=None, *_extra):
        """Phone: ``{id, theme, answer}`` recognition answer, replaces an earlier one."""
        return self._act("vote", payload, "phone")

    @handles("addition")
    def on_addition(self, payload=None, *_extra):
        """Phone: ``{id, theme, text}`` free text; waits for the host before the beamer shows it."""
        return self._act("addition", payload, "phone")

    @handles("endorse")
    def on_endorse(self, payload=None, *_extra):
        """Phone: ``{id, addition, on}`` "Dat herken ik ook" on a shown addition, or taken back;
        acked ``{ok, endorsements}``. The host and the beamer hear the counts, coalesced."""
        return self._act("endorse", payload, "phone")

    @handles("choose")
    def on_choose(self, payload=None, *_extra):
        """Phone: ``{id, theme}`` the one theme to work on after the break (changeable); the ack
        names the table. The phone then follows that theme's card."""
        ack = self._act("choose", payload, "phone")
        # A repeated message id gets its first ack back whatever this payload holds: follow a card
        # only for a theme this payload really names.
        theme = payload.get("theme") if isinstance(payload, dict) else None
        if ack.get("ok") and type(theme) is int:
            self._follow_card(theme)
        return ack

    @handles("card")
    def on_card(self, payload=None, *_extra):
        """Phone or host: ``{id, theme}`` the notes of one subgroup card, and its changes from now
        on (a phone that moved to another table)."""
        identity = self.connections.get(request.sid)
        if identity is None or identity.role not in ("phone", "host"):
            return {"ok": False, "error": "not_phone"}
        if not self.live.event_allowed(identity.role, identity.code, identity.participant):
            return {"ok": False, "error": "rate_limited"}
        meeting = self.live.meeting(identity.code)
        if meeting is None:  # deleted by its host while this connection stayed open
            return {"ok": False, "error": "unknown_meeting"}
        try:
            theme = meeting.theme(payload.get("theme") if isinstance(payload, dict) else None)
        except Refused as refused:
            return {"ok": False, "error": refused.slug}
        self._follow_card(theme.id)
        return {"ok": True, "notes": self.live.notes(identity.code, theme.id)}

    @handles("note")
    def on_note(self, payload=None, *_extra):
        """Phone or host: ``{id, theme, field, text}`` a note on a subgroup card; answers its id."""
        return self._act("note", payload, "phone", "host")

    @handles("edit_note")
    def on_edit_note(self, payload=None, *_extra):
        """Phone or host: ``{id, note, text}``; a phone may change only its own notes."""
        return self._act("edit_note", payload, "phone", "host")

    @handles("remove_note")
    def on_remove_note(self, payload=None, *_extra):
        """Phone or host: ``{id, note}``; a phone may remove only its own notes."""
        return self._act("remove_note", payload, "phone", "host")

    @handles("withdraw")
    def on_withdraw(self, payload=None, *_extra):
        """Phone: ``{id, theme}`` takes back the pledge for one theme; its contact details are erased."""
        return self._act("withdraw", payload, "phone")

    @handles("pledge")
    def on_pledge(self, payload=None, *_extra):
        """Phone: ``{id, theme, role, name, email?, phone?, consent}`` "Wilt u meehelpen?"."""
        return self._act("pledge", payload, "phone")

    # -- hosts -------------------------------------------------------------------------------

    @handles("set_phase")
    def on_set_phase(self, payload=None, *_extra):
        """Host: ``{id, phase}``; every screen receives a new ``state``."""
        return self._act("set_phase", payload, "host")

    @handles("moderate")
    def on_moderate(self, payload=None, *_extra):
        """Host: ``{id, addition, show}`` shows or hides an addition on the beamer."""
        return self._act("moderate", payload, "host")

    @handles("add_theme")
    def on_add_theme(self, payload=None, *_extra):
        """Host: ``{id, title, description?, addition?}`` a new theme (from an addition, if given).
        In a terugkombijeenkomst the theme is a new working group: once the store has it, its key
        (derived from this connection's host key) is stored as a hash and the ack carries its
        ``link``; a resend of the same id stores it again and answers the same link."""
        ack = self._act("add_theme", payload, "host")
        identity = self.connections.get(request.sid)
        if not ack.get("ok") or identity is None or not identity.host_key or "theme" not in ack:
            return ack
        try:
            key = self.live.set_group_key(identity.code, identity.host_key, ack["theme"])
        except StoreUnavailable:
            return {"ok": False, "error": UNAVAILABLE}  # send the same id again: it is stored then
        except Exception:
            log.exception("set_group_key failed")
            return {"ok": False, "error": "server_error"}
        return {**ack, "link": links.group_url(identity.code, key)} if key else ack

    @handles("edit_theme")
    def on_edit_theme(self, payload=None, *_extra):
        """Host: ``{id, theme, title?, description?}``; every screen receives a new ``state``."""
        return self._act("edit_theme", payload, "host")

    @handles("remove_theme")
    def on_remove_theme(self, payload=None, *_extra):
        """Host: ``{id, theme, confirm?}``; a theme with answers needs ``confirm: true``."""
        return self._act("remove_theme", payload, "host")

    @handles("order_themes")
    def on_order_themes(self, payload=None, *_extra):
        """Host: ``{id, order: [theme ids]}``, every current theme once."""
        return self._act("order_themes", payload, "host")

    @handles("set_pace")
    def on_set_pace(self, payload=None, *_extra):
        """Host: ``{id, pace: "all"}`` or ``{id, pace: "one", theme}`` (0: the whole analysis)."""
        return self._act("set_pace", payload, "host")

    @handles("set_results")
    def on_set_results(self, payload=None, *_extra):
        """Host: ``{id, hidden, theme?}`` hides or reveals results on the beamer (all, or one theme)."""
        return self._act("set_results", payload, "host")

    @handles("manual_count")
    def on_manual_count(self, payload=None, *_extra):
        """Host: ``{id, theme, answer, count}`` raised hands; a new count replaces the last one."""
        return self._act("manual_count", payload, "host")

    @handles("lock_choices")
    def on_lock_choices(self, payload=None, *_extra):
        """Host: ``{id, locked}`` closes or reopens the topic choice."""
        return self._act("lock_choices", payload, "host")

    @handles("set_wifi")
    def on_set_wifi(self, payload=None, *_extra):
        """Host: ``{id, name, password}`` the hall's Wi-Fi for the beamer's welcome (empty name:
        none). Host and beamer get a new ``state``; phones never hear the password."""
        return self._act("set_wifi", payload, "host")

    @handles("show_welcome")
    def on_show_welcome(self, payload=None, *_extra):
        """Host: ``{id, show}`` brings the welcome (Wi-Fi and join QR code) back on the beamer, or
        the board again; a phase change ends it too."""
        return self._act("show_welcome", payload, "host")

    @handles("merge_themes")
    def on_merge_themes(self, payload=None, *_extra):
        """Host: ``{id, theme, into}`` puts two subgroups together; choosers move along."""
        return self._act("merge_themes", payload, "host")

    @handles("merge_addition")
    def on_merge_addition(self, payload=None, *_extra):
        """Host: ``{id, addition, into}`` puts an addition with another that says the same."""
        return self._act("merge_addition", payload, "host")

    @handles("addition_hands")
    def on_addition_hands(self, payload=None, *_extra):
        """Host: ``{id, addition, count}`` raised hands for a shown addition (replaces the last)."""
        return self._act("addition_hands", payload, "host")

    # -- a terugkombijeenkomst ----------------------------------------------------------------

    @handles("set_presenting")
    def on_set_presenting(self, payload=None, *_extra):
        """Host: ``{id, theme}`` the group that presents now (``null``: nobody); every screen gets
        a new ``state``."""
        return self._act("set_presenting", payload, "host")

    @handles("agreement")
    def on_agreement(self, payload=None, *_extra):
        """Host: ``{id, text, themes, who?, due?}`` a new agreement, acked ``{ok, agreement}``;
        every screen hears ``agreements``."""
        return self._act("agreement", payload, "host")

    @handles("edit_agreement")
    def on_edit_agreement(self, payload=None, *_extra):
        """Host: ``{id, agreement, text?, themes?, who?, due?}``; every screen hears ``agreements``."""
        return self._act("edit_agreement", payload, "host")

    @handles("remove_agreement")
    def on_remove_agreement(self, payload=None, *_extra):
        """Host: ``{id, agreement}``; every screen hears ``agreements``."""
        return self._act("remove_agreement", payload, "host")

    @handles("plan")
    def on_plan(self, payload=None, *_extra):
        """Group link (its own plan, before the meeting) or host (``theme`` named, any time):
        ``{id, theme?, fields: {goal?, actions?, tasks?, needs?, when?, first_step?}}``; the host,
        the beamer and the group's link hear ``plan``."""
        return self._act("plan", payload, "group", "host")

    @handles("ask_help")
    def on_ask_help(self, payload=None, *_extra):
        """Group link: ``{id}`` "wij willen hulp": its status on the host's call list becomes
        ``vraagt_hulp``; only the host hears ``group``."""
        return self._act("ask_help", payload, "group")

    @handles("set_group_status")
    def on_set_group_status(self, payload=None, *_extra):
        """Host: ``{id, theme, status?, called_on?, note?}`` the call list; only the host hears
        ``group``."""
        return self._act("set_group_status", payload, "host")

    @handles("list_additions")
    def on_list_additions(self, payload=None, *_extra):
        """Host: ``{order, offset, limit, status?}`` one page of additions, acked with the page,
        ``total`` and the counts per status."""

        def page(code):
            query = _page_query(payload)
            if not self.live.event_allowed("host", code, HOST_ACTOR):
                return {"ok": False, "error": "rate_limited"}
            return self.live.additions_page(code, **query)

        return self._read("host", page)

    # -- helpers and beamers -----------------------------------------------------------------

    @handles("submit_form")
    def on_submit_form(self, payload=None, *_extra):
        """Helper: ``{id, origin, votes, additions, choice?, pledges}`` one paper form or one person
        helped, saved as a new participant; a refusal names the field. Host and beamer hear a tally
        (and the additions, one by one)."""
        identity = self.connections.get(request.sid)
        if identity is None:
            return {"ok": False, "error": "unknown_meeting"}
        if identity.role != "helper":
            return {"ok": False, "error": "not_helper"}
        try:
            return self.live.submit_form(identity.code, payload)
        except StoreUnavailable:
            return {"ok": False, "error": UNAVAILABLE}
        except Exception:
            # Never log the payload: it holds names and phone numbers.
            log.exception("submit_form failed")
            return {"ok": False, "error": "server_error"}

    @handles("showing")
    def on_showing(self, payload=None, *_extra):
        """Projector: ``{additions, page, pages, themes?, screen?, screens?, starts?}`` what it
        shows now; the host hears ``projector_view``."""
        return self._read("projector", lambda code: self.live.projector_showing(code, _view_report(payload)))

    @handles("*")
    def on_unknown(self, event, *_args):
        """Any other event: refused, so a client waiting for an ack is not left hanging."""
        return {"ok": False, "error": "unknown_event"}
