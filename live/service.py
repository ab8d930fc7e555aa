"""The running service: the store, the writer and the fan-out of updates, shared by views and events.

It turns domain results into what each role receives. It must not parse requests (views and
events do) or hold anything that several workers must share (the store does).
"""

from __future__ import annotations

import logging
import threading
import time
from functools import partial

from live import domain
from live.domain import Meeting, Refused, rules
from live.exports import archive
from live.shared import Shared, in_process
from live.store import HELPER_ACTOR, HOST_ACTOR, Action, Replayed, StoreFull, open_store
from live.store import StoreUnavailable as StoreUnavailable  # for the transport: see events.py
from live.store import group_actor as group_actor  # for the transport: see events.py
from live.throttle import parse_limit
from live.writer import Writer

log = logging.getLogger(__name__)

# The host's connect snapshot holds one page of additions, not all of them: a flood of
# thousands must not make every snapshot huge. More pages come through ``list_additions``.
HOST_PAGE = 50
MAX_PAGE = 100
# Rows an import writes in one step: some milliseconds, so other meetings' acks barely wait.
IMPORT_STEP = 500
# A writer that finishes nothing for this long (seconds) has stopped: the process ends so that a
# supervisor starts it again. An import or an erasure writes in steps far shorter than this.
WRITER_STALL = 60.0


def room(code: str, role: str) -> str:
    """The Socket.IO room of one role in one meeting."""
    return f"{code}:{role}"


def card_room(theme: int) -> str:
    """The room (inside a meeting) of the phones following one subgroup card."""
    return f"card:{theme}"


def group_room(theme: int) -> str:
    """The room (inside a meeting) of one working group's link."""
    return f"group:{theme}"


def without_names(agreements: list[dict]) -> list[dict]:
    """Agreements as a phone gets them: a phone never sees names, and ``who`` may hold one."""
    return [{k: v for k, v in a.items() if k != "who"} for a in agreements]


def _here(fn, *args):
    """Run a store write where the caller is (see ``Live.__init__``)."""
    return fn(*args)


class Live:
    """Store, writer and fan-out for one worker process."""

    def __init__(self, config: dict, socketio, offload, shared: Shared | None = None):
        self.config = config
        self.socketio = socketio
        self.store = open_store(
            config["STORE"],
            config["DATA_DIR"],
            password=config.get("REDIS_PASSWORD") or None,
            prefix=config.get("REDIS_PREFIX", "live:"),
        )
        self._secret = self.store.secret()
        self.offload = offload
        self._importing = threading.Lock()
        # A file store blocks on its disk: its writes leave the event loop. A network store's
        # sockets are green already, and must stay on the loop that owns them.
        local = config["STORE"] in ("", "sqlite")
        self.writer = Writer(
            self.store, spawn=socketio.start_background_task, offload=offload if local else _here
        )
        # What the workers of a deployment share (live/shared/): in this process' memory
        # unless several workers hand in shared ones.
        shared = shared or in_process(config)
        self.limits = shared.limits
        self._full = shared.full  # themes at capacity, as last told to the screens
        self._lease = shared.lease
        self.fanout = shared.coalescer(
            config["TALLY_INTERVAL"], self._flush, socketio.start_background_task, socketio.sleep
        )
        self._each_worker = getattr(self.fanout, "each_worker_sends", False)

    def start(self, on_writer_failed) -> None:
        """Start this worker's background jobs: the writer's watchdog and the erasure loop."""
        self.socketio.start_background_task(
            self.writer.watch,
            self.config.get("WRITER_STALL", WRITER_STALL),
            self.socketio.sleep,
            on_writer_failed,
        )
        self.socketio.start_background_task(self._erase_old_personal_data)

    def _erase_old_personal_data(self) -> None:
        """At start and then every hour (``PURGE_INTERVAL``, a test override): erase names,
        contacts and additions of meetings past their retention, and forget old message acks.
        A failed run is logged and retried. With several workers, one runs it at a time."""
        interval = self.config.get("PURGE_INTERVAL", 3600)
        while True:
            now = time.time()
            try:
                # The lease's Redis may be away too: then this round is skipped, not the loop.
                mine = self._lease.hold("erasure", interval)
            except Exception as exc:
                log.warning("erasure lease unavailable, next try in %s s: %s", interval, exc)
                mine = False
            if mine:
                try:
                    # Per meeting: its day plus its own retention (or RETENTION_DAYS).
                    erased = self.writer.call(self.store.erase_due, now, self.config["RETENTION_DAYS"])
                    # Acks of old messages: a phone resends within minutes, not days.
                    keep = self.config["HANDLED_KEEP_HOURS"] * 3600
                    self.writer.call(self.store.prune_handled, now - keep)
                except Exception as exc:
                    # Only the error (e.g. "database is locked"): the rows never reach the log.
                    log.warning("erasing personal data failed, next try in %s s: %s", interval, exc)
                else:
                    level = logging.INFO if erased else logging.DEBUG
                    log.log(level, "erased personal data: %d rows", erased)
            self.socketio.sleep(interval)

    # -- meetings --------------------------------------------------------------------------

    def create_meeting(self, data) -> dict:
        """Validate and create a meeting; returns its code and its secret keys."""
        if isinstance(data, dict) and data.get("kind") not in (None, domain.EVENING):
            if data.get("kind") != domain.FOLLOW_UP:
                raise Refused("bad_meeting_kind")
            return self.create_follow_up(data)
        fields = domain.parse_new_meeting(data)

        def create(code, hashes, _host_key):
            return self.writer.call(
                self.store.create_meeting,
                code,
                fields["title"],
                fields["place"],
                fields["date"],
                fields["themes"],
                *hashes,
                fields["held_on"],
                fields["wifi"],
            )

        return self._with_new_keys(create)

    def create_follow_up(self, data) -> dict:
        """A terugkombijeenkomst from one or more evenings, each proven by its host key: every
        theme with a pledge becomes a working group with its card and members (``groups_from_evenings``),
        each with a key of its own. Returns the code and keys, ``group_keys`` among them."""
        fields = domain.parse_new_follow_up(data)
        exports = []
        for code, host_key in fields["from"]:
            evening = self.store.meeting(code)
            # An unknown code and a wrong key get the same answer: nothing to learn by trying.
            if evening is None or not domain.secret_matches(host_key, evening.host_key_hash):
                raise Refused("bad_from_key")
            if evening.kind != domain.EVENING:
                raise Refused("from_not_evening")
            exports.append(self.store.export_meeting(code))
        themes, groups = domain.groups_from_evenings(e for e in exports if e is not None)

        def create(code, hashes, host_key):
            keyed = [
                {**g, "key_hash": domain.hash_secret(domain.group_key_for(host_key, code, g["theme"]))}
                for g in groups
            ]
            return self.writer.call(
                self.store.create_meeting,
                code,
                fields["title"],
                fields["place"],
                fields["date"],
                themes,
                *hashes,
                fields["held_on"],
                fields["wifi"],
                domain.FOLLOW_UP,
                keyed,
            )

        keys = self._with_new_keys(create)
        return {**keys, "groups": self.group_keys(keys["code"], keys["host_key"], themes)}

    @staticmethod
    def group_keys(code: str, host_key: str, themes) -> list[dict]:
        """Each working group's link key: ``[{theme, title, key}]`` (derived from the host key)."""
        return [
            {"theme": t.id, "title": t.title, "key": domain.group_key_for(host_key, code, t.id)}
            for t in themes
        ]

    def import_archive(self, read_body) -> dict:
        """An import body to a new meeting: one import at a time per worker (a second one is
        refused ``import_busy`` before its body is read), ``read_body()`` then checked off the
        event loop, then written in steps."""
        if not self._importing.acquire(blocking=False):
            raise Refused("import_busy")
        try:
            try:
                data = self.offload(archive.parse, read_body())
            except archive.BadArchive as bad:
                raise Refused(bad.slug) from None
            return self.import_meeting(data)
        finally:
            self._importing.release()

    def import_meeting(self, data: dict) -> dict:
        """Recreate an exported meeting (checked and cleaned by ``live.exports.archive.parse``)
        under its own code if that is free here (else a new one), with new keys; returns the
        code and keys like ``create_meeting``. Written in steps of ``IMPORT_STEP`` rows, so the
        acks of other meetings never wait long behind it; a failed step removes it all."""
        wanted = domain.normalise_code(data["meeting"].get("code"))
        meeting = {k: v for k, v in data["meeting"].items() if k != "code"}

        def begin(code, hashes, host_key):
            try:
                return self.writer.call(self.store.import_begin, code, meeting, *hashes)
            except ValueError:  # the store found a value it cannot hold: nothing stored
                raise Refused("bad_payload") from None

        keys = self._with_new_keys(begin, wanted)
        try:
            self._import_rows(keys["code"], data, keys["host_key"])
        except BaseException:
            self.writer.call(self.store.import_abort, keys["code"])
            raise
        self.writer.call(self.store.import_finish, keys["code"])
        imported = self.store.meeting(keys["code"])
        if imported is not None and imported.kind == domain.FOLLOW_UP:  # new group keys, shown once
            with_groups = {g["theme"] for g in data.get("groups", [])}
            themes = [t for t in imported.themes if t.id in with_groups]
            return {**keys, "groups": self.group_keys(keys["code"], keys["host_key"], themes)}
        return keys

    def _import_rows(self, code: str, data: dict, host_key: str) -> None:
        """Every row of an import, in steps, with participants, additions and notes renumbered
        and every reference to them following (merged additions too)."""

        def write(table, rows):
            ids = []
            for start in range(0, len(rows), IMPORT_STEP):
                try:
                    step = rows[start : start + IMPORT_STEP]
                    ids += self.writer.call(self.store.import_rows, code, table, step)
                except ValueError:
                    raise Refused("bad_payload") from None
            return ids

        def renumbered(rows, key, ids):
            try:
                return [{**row, key: ids[row[key]]} for row in rows]
            except KeyError:  # a row pointing at a participant or addition the file lacks
                raise Refused("bad_payload") from None

        people = dict(
            zip(
                [row["id"] for row in data["participants"]],
                write("participants", [{**row, "id": None} for row in data["participants"]]),
                strict=True,
            )
        )
        people[HOST_ACTOR] = HOST_ACTOR
        additions = data["additions"]
        # Merged additions point at their root once every addition has its new id (below).
        mine = renumbered(additions, "participant", people)
        fresh = [{**row, "id": None, "merged_into": None} for row in mine]
        added = dict(zip([row["id"] for row in additions], write("additions", fresh), strict=True))
        themes = data["themes"]
        write("themes", [{**row, "from_addition": added.get(row.get("from_addition"))} for row in themes])
        for table in ("votes", "choices", "pledges"):
            write(table, renumbered(data[table], "participant", people))
        write("notes", [{**row, "id": None} for row in renumbered(data["notes"], "participant", people)])
        write("manual_counts", data["manual_counts"])
        endorsed = renumbered(data["endorsements"], "participant", people)
        write("endorsements", renumbered(endorsed, "addition", added))
        write("addition_hands", renumbered(data["addition_hands"], "addition", added))
        merged = [row for row in additions if row.get("merged_into")]
        links = [(added[row["id"]], added.get(row["merged_into"])) for row in merged]
        if any(into is None for _, into in links):
            raise Refused("bad_payload")
        for start in range(0, len(links), IMPORT_STEP):
            self.writer.call(self.store.import_links, code, links[start : start + IMPORT_STEP])
        # A terugkombijeenkomst: its groups get keys from the new host key, like the beamer's;
        # a merged group's key stays dropped, as it was at the merge.
        merged = {t["id"] for t in data.get("themes", []) if t.get("merged_into") is not None}
        groups = [
            {
                **row,
                "key_hash": ""
                if row["theme"] in merged
                else domain.hash_secret(domain.group_key_for(host_key, code, row["theme"])),
            }
            for row in data.get("groups", [])
        ]
        write("groups", groups)
        write("agreements", data.get("agreements", []))

    @staticmethod
    def _with_new_keys(create, wanted: str | None = None) -> dict:
        """Make a meeting under a free code (``wanted`` first) with new host, projector and helper
        keys; ``create(code, key_hashes)`` stores it and says whether the code was free."""
        for attempt in range(20):
            code = wanted if (attempt == 0 and wanted) else domain.new_code()
            host_key = domain.new_key()
            keys = {
                "host_key": host_key,
                "projector_key": domain.projector_key_for(host_key, code),
                "helper_key": domain.helper_key_for(host_key, code),
            }
            if create(code, [domain.hash_secret(key) for key in keys.values()], host_key):
                return {"code": code, **keys}
        raise RuntimeError("no free meeting code")

    def meeting(self, raw_code, address: str | None = None, proof: dict | None = None) -> Meeting | None:
        """The meeting for a typed or sent code, or None.

        With the caller's address, look-ups of codes that do not exist are counted, and an
        address past ``LOOKUP_RATE_LIMIT`` gets ``rate_limited`` for every look-up, unless the
        caller proves it was given the code (``proof``: a join ticket, a participant token or a
        key, see ``vouched``). So a hall behind one address never pays for somebody's typos,
        while a guesser, who has no proof, is stopped.
        """
        code = domain.normalise_code(raw_code)
        if code is None:
            return None  # not even a code (a typo, /favicon.ico): nothing to guess, not counted
        if address is not None and self.limits.lookups_blocked(address):
            meeting = self.store.meeting(code)
            if meeting is not None and self.vouched(meeting, **(proof or {})):
                return meeting
            raise Refused("rate_limited")
        meeting = self.store.meeting(code)
        if meeting is None and address is not None:
            self.limits.lookup_failed(address)
        return meeting

    def was_deleted(self, raw_code) -> bool:
        """Whether a typed or sent code belonged to a meeting that was deleted."""
        code = domain.normalise_code(raw_code)
        return code is not None and self.store.deleted(code)

    def ticket(self, code: str) -> str:
        """The join ticket for a meeting's QR code and shared link."""
        return domain.join_ticket(self._secret, code)

    def vouched(self, meeting: Meeting, ticket=None, token=None, keys=()) -> bool:
        """Whether the caller proves it was given this meeting's code: its join ticket, the token
        of one of its participants, or a host or projector key."""
        if domain.ticket_matches(self._secret, meeting.code, ticket):
            return True
        if any(
            self.role_for_key(meeting, key)
            or self.helper_allowed(meeting, key)
            or self.group_for_key(meeting, key)
            for key in keys
        ):
            return True
        return domain.valid_token(token) and (
            self.store.participant(meeting.code, domain.hash_secret(token)) is not None
        )

    def role_for_key(self, meeting: Meeting, key) -> str | None:
        """'host' or 'projector' for a valid key (the host key also opens the beamer), else None."""
        if domain.secret_matches(key, meeting.host_key_hash):
            return "host"
        if domain.secret_matches(key, meeting.projector_key_hash):
            return "projector"
        return None

    def helper_allowed(self, meeting: Meeting, key) -> bool:
        """Whether a key opens the helper screen: the helper key, or the host key. (Kept apart
        from ``role_for_key`` so a helper key never opens the beamer or the host screen.)"""
        return domain.secret_matches(key, meeting.helper_key_hash) or domain.secret_matches(
            key, meeting.host_key_hash
        )

    def group_for_key(self, meeting: Meeting, key) -> int | None:
        """The working group whose link key this is (its theme id), or None. A group key opens its
        own group's plan and nothing else: never the host screen, the beamer or the exports."""
        theme = self._group_of_key(meeting, key)
        return theme if theme is not None and any(t.id == theme for t in meeting.themes) else None

    def group_gone(self, meeting: Meeting, key) -> bool:
        """Whether this is the key of a group the host removed: its page says so (a merged
        group's key is dropped at the merge and opens nothing at all)."""
        theme = self._group_of_key(meeting, key)
        return theme is not None and not any(t.id == theme for t in meeting.themes)

    def _group_of_key(self, meeting: Meeting, key) -> int | None:
        if meeting.kind != domain.FOLLOW_UP or not isinstance(key, str) or not key or len(key) > 100:
            return None
        if not key.isascii():
            return None
        return self.store.group_for_key(meeting.code, domain.hash_secret(key))

    def set_group_key(self, code: str, host_key: str, theme: int) -> str | None:
        """Store the key hash of a working group the host just added (``add_theme`` in a
        terugkombijeenkomst) and return the key, derived from the host key the host connected
        with, so the ack can carry the group's link; None for an evening or when the group is
        gone again. Only the hash is stored; the key is never logged."""
        meeting = self.store.meeting(code)
        if meeting is None or meeting.kind != domain.FOLLOW_UP:
            return None
        key = domain.group_key_for(host_key, code, theme)
        data = {"theme": theme, "key_hash": domain.hash_secret(key)}
        result = self.writer.submit(Action("set_group_key", code, HOST_ACTOR, "", data))
        return key if result.get("ok") else None

    def join(self, meeting: Meeting, token) -> tuple[int, str, bool]:
        """The participant id and token for a phone (a new token if it brought none), and
        whether the participant is new."""
        if not domain.valid_token(token):
            token = domain.new_key()
        token_hash = domain.hash_secret(token)
        known = self.store.participant(meeting.code, token_hash)
        if known is not None:
            return known, token, False  # a reconnect: nothing to write
        result = self.writer.submit(Action("join", meeting.code, HOST_ACTOR, "", {"token_hash": token_hash}))
        # The lobby shows how many phones joined: a (coalesced) tally goes out.
        self.fanout.changed(meeting.code)
        return result["participant"], token, True

    # -- actions ---------------------------------------------------------------------------

    def act(
        self, meeting_code: str, role: str, actor: int, kind: str, payload, group: int | None = None
    ) -> dict:
        """Validate one action against the current meeting, write it durably, return the ack.
        ``group``: the theme of the working group whose link sends it (its own plan only)."""
        if not self.limits.event_allowed(role, f"{meeting_code}:{actor}"):
            return {"ok": False, "error": "rate_limited"}
        try:
            msg_id = domain.message_id(payload)
        except Refused as refused:
            return {"ok": False, "error": refused.slug}
        meeting = self.store.meeting(meeting_code)
        if meeting is None:  # deleted by its host while this connection stayed open
            return {"ok": False, "error": "unknown_meeting"}
        try:
            if group is not None:
                data = GROUP_CHECKS[kind](meeting, payload, group)
            else:
                data = CHECKS[kind](meeting, payload)
        except Refused as refused:
            # A resend of a message handled before the phase moved on gets its first ack back;
            # new messages are deduplicated inside the store's write, at no extra cost.
            first = self.store.seen(meeting_code, actor, msg_id)
            if first:
                return self.stored_text(meeting_code, actor, first)
            return {"ok": False, "error": refused.slug}
        phases = (
            domain.GROUP_PLAN_PHASES
            if group is not None and kind == "plan"
            else domain.action_phases(meeting, kind)
        )
        # Showing or hiding a merged addition takes it out of its group: its root counts one less.
        before = self.store.addition(meeting_code, data["addition"]) if kind == "moderate" else None
        kind = STORE_KINDS.get(kind, kind)
        result = self.writer.submit(Action(kind, meeting_code, actor, msg_id, data, phases))
        # A replayed id had its after-effects the first time (and may belong to another event).
        if result.get("ok") and not isinstance(result, Replayed):
            if kind in RESHAPE:
                self.broadcast_state(meeting_code)
                if kind == "add_theme" and data["addition"] is not None:
                    self.addition_changed(meeting_code, data["addition"])  # now "promoted"
            elif kind in NOTES:
                self.send_note(meeting_code, kind, data, result)
            elif kind in ENDORSING:
                self.fanout.changed(meeting_code, tally=False, endorsed=True)
            elif kind == "addition":
                self.addition_changed(meeting_code, result["addition"])
            elif kind in AGREEMENTS:
                self.send_agreements(meeting_code)
            elif kind in ("plan", "group_status"):
                self.group_changed(meeting_code, data["theme"], plan=kind == "plan")
            elif kind == "moderate":
                self.addition_changed(meeting_code, data["addition"], counted=True)
                if before and before.get("merged_into") is not None:
                    self.addition_changed(meeting_code, before["merged_into"], counted=True)
            elif kind == "merge_addition":
                # The merged addition, and what was merged into it before (it now points at the root).
                for addition in (data["addition"], *result.get("moved", ())):
                    self.addition_changed(meeting_code, addition)
                # The root stands for more people now ("3× genoemd").
                self.addition_changed(meeting_code, result["into"], counted=True)
            else:
                self.fanout.changed(meeting_code)
                if kind == "choose" and any(t.capacity for t in meeting.themes):
                    self.check_full(meeting_code)
        if result.get("ok") and kind in TEXT_ACKS and not isinstance(result, Replayed):
            return {**result, "text": data["text"]}
        return self.stored_text(meeting_code, actor, result)

    def stored_text(self, code: str, actor: int, ack: dict) -> dict:
        """A first ack of an addition or a note again with the text as it was stored (the handled
        message ids keep acks without attendee text: those are pruned later than texts are erased).
        Any other ack as it is."""
        if not ack.get("ok") or "text" in ack:
            return ack
        if "addition" in ack and isinstance(ack["addition"], int):
            stored = self.store.addition(code, ack["addition"])
            text = stored["text"] if stored else ""
        elif "note" in ack:
            notes = self.store.answers(code, actor)["notes"]
            text = next((n["text"] for n in notes if n["id"] == ack["note"]), "")
        else:
            return ack
        # Erased or removed since: the ack stays as it was first.
        return {**ack, "text": text} if text else ack

    def check_full(self, code: str) -> None:
        """Tell every screen when a theme fills up or gets a seat back (rare: not per choice),
        so phones mark a full theme before anybody taps it."""
        if self._full.swap(code, frozenset(self.store.full_themes(code))):
            self.broadcast_state(code)

    def submit_form(self, meeting_code: str, payload) -> dict:
        """A helper's ``submit_form``: one paper form, or one person helped, written in one go as
        a new participant with its origin; a refusal names the field it is about."""
        # The helper devices of a meeting share one budget, as the host devices do.
        if not self.limits.event_allowed("host", f"{meeting_code}:helper"):
            return {"ok": False, "error": "rate_limited"}
        try:
            msg_id = domain.message_id(payload)
        except Refused as refused:
            return {"ok": False, "error": refused.slug, "field": "id"}
        meeting = self.store.meeting(meeting_code)
        if meeting is None:  # deleted by its host while this helper's screen stayed open
            return {"ok": False, "error": "unknown_meeting"}
        try:
            data = domain.check_form(meeting, payload)
        except domain.FieldRefused as refused:
            return self.store.seen(meeting_code, HELPER_ACTOR, msg_id) or {
                "ok": False,
                "error": refused.slug,
                "field": refused.field,
            }
        except Refused as refused:
            return self.store.seen(meeting_code, HELPER_ACTOR, msg_id) or {"ok": False, "error": refused.slug}
        # Never handed to anyone: the row only needs a unique token, nobody reconnects as it.
        data["token_hash"] = domain.hash_secret(domain.new_key())
        result = self.writer.submit(Action("submit_form", meeting_code, HELPER_ACTOR, msg_id, data))
        if result.get("ok") and not isinstance(result, Replayed):
            for addition in result.get("additions", ()):
                self.addition_changed(meeting_code, addition)
            self.fanout.changed(meeting_code, endorsed=bool(data["endorse"]))
            # A form's person sat down at a table too: that may fill it, like a phone's choice.
            if data["choice"] is not None and any(t.capacity for t in meeting.themes):
                self.check_full(meeting_code)
        return result

    def send_note(self, code: str, kind: str, data: dict, result: dict) -> None:
        """One changed note of a subgroup card, to the phones following that card, the host and
        the beamer: what changed, never the whole card again."""
        if kind == "note":
            note = {
                "id": result["note"],
                "theme": data["theme"],
                "field": data["field"],
                "text": data["text"],
            }
        else:
            note = {"id": data["note"], "theme": result["theme"], "field": result["field"]}
            note.update({"text": data["text"]} if kind == "edit_note" else {"removed": True})
        to = [room(code, card_room(note["theme"])), room(code, "host"), room(code, "projector")]
        self.socketio.emit("note", note, to=to)

    # -- a terugkombijeenkomst ----------------------------------------------------------------

    def send_agreements(self, code: str) -> None:
        """The agreements as they are now, to every screen of the meeting (a short list); phones
        and helpers without ``who`` (the host may have typed a name there)."""
        rows = self.store.agreements(code)
        to = [room(code, r) for r in ("projector", "host", "group")]
        self.socketio.emit("agreements", {"agreements": rows}, to=to)
        public = [room(code, r) for r in ("phone", "helper")]
        self.socketio.emit("agreements", {"agreements": without_names(rows)}, to=public)

    def groups_for(self, meeting: Meeting, role: str) -> list[dict]:
        """Every working group still in the meeting as ``role`` may see it (``domain.group_view``):
        merged and removed ones stay in the store and the exports, off the screens."""
        alive = {t.id for t in meeting.themes}
        return [
            domain.group_view(row, role) for row in self.store.groups(meeting.code) if row["theme"] in alive
        ]

    def group_changed(self, code: str, theme: int, plan: bool) -> None:
        """A group's plan or call-list entry changed: the host gets the whole group; a plan also
        goes to the beamer and the group's own link (never status or note)."""
        row = next((g for g in self.store.groups(code) if g["theme"] == theme), None)
        if row is None:
            return
        self.socketio.emit("group", domain.group_view(row, "host"), to=room(code, "host"))
        if plan:
            message = {"theme": theme, "plan": domain.plan_of(row["plan"])}
            self.socketio.emit("plan", message, to=[room(code, "projector"), room(code, group_room(theme))])

    def group_snapshot(self, meeting: Meeting, theme: int) -> dict:
        """The ``state`` of one working group's link: the public state, the agreements, its own
        group (plan, card, members who share) and the tops and questions the beamer shows it."""
        state = domain.public_state(meeting)
        state["role"] = "group"
        state["agreements"] = self.store.agreements(meeting.code)
        row = next((g for g in self.store.groups(meeting.code) if g["theme"] == theme), None)
        state["group"] = domain.group_view(row or {"theme": theme}, "group")
        state["additions"] = [
            a for a in self.store.additions(meeting.code, shown_only=True) if a["theme"] == theme
        ]
        return state

    # -- additions -------------------------------------------------------------------------

    def mentions(self, code: str) -> dict[int, int]:
        """How many additions each group stands for, ``{root id: n}`` (only groups of two or more)."""
        merged = self.store.additions_page(code, "oldest", 0, None, "merged")["additions"]
        return rules.mentions(merged)

    def with_mentions(self, code: str, additions: list[dict], merged: int | None = None) -> list[dict]:
        """Additions for host and beamer, a group's root with ``mentions`` (itself and those merged
        into it). ``merged``: how many are merged, when known; none merged reads nothing more."""
        if not additions or merged == 0:
            return additions
        counts = self.mentions(code)
        return [{**a, "mentions": counts[a["id"]]} if a["id"] in counts else a for a in additions]

    def addition_changed(self, code: str, addition_id: int, counted: bool = False) -> None:
        """Send one new or moderated addition to the host, and to the projector when it shows
        it or must stop showing it; the counts per status follow, coalesced. ``counted``: the
        group it roots may have changed (a merge, a moderation), so ``mentions`` is read too; a
        new addition has none merged into it."""
        addition = self.store.addition(code, addition_id)
        if addition is None:
            return
        if counted:
            (addition,) = self.with_mentions(code, [addition])
        self.socketio.emit("addition", addition, to=room(code, "host"))
        # Phones and helpers see what the beamer shows (to tap "Dat herken ik ook"), never the
        # count per tap, never who wrote it.
        audience = [room(code, "projector"), room(code, "phone"), room(code, "helper")]
        if addition["status"] == "shown":
            meeting = self.store.meeting(code)
            beamer = hide_count(meeting, addition) if meeting is not None else addition
            self.socketio.emit("addition", beamer, to=room(code, "projector"))
            seen = {key: addition[key] for key in ("id", "theme", "text", "status", "version")}
            if "kind" in addition:  # a top or a question: the presenting group's link sees it too
                seen["kind"] = addition["kind"]
                self.socketio.emit("addition", seen, to=room(code, group_room(addition["theme"])))
            self.socketio.emit("addition", seen, to=[room(code, "phone"), room(code, "helper")])
        elif addition["status"] in ("hidden", "merged"):
            # Only that it is gone: the beamer never receives the text of a hidden addition.
            # (A pending addition that is hidden was never on the beamer; the notice is harmless.)
            # A merged addition leaves the beamer too; the beamer sees it as hidden.
            gone = {key: addition[key] for key in ("id", "theme", "version")}
            gone["status"] = "hidden"
            if "kind" in addition:  # a top or a question: off its group's link too
                audience.append(room(code, group_room(addition["theme"])))
            self.socketio.emit("addition", gone, to=audience)
        self.fanout.changed(code, tally=False, counts=True, endorsed=addition["status"] == "merged")

    def additions_page(self, code: str, order: str, offset: int, limit: int, status=None) -> dict:
        """One page of a meeting's additions for the host, with the counts per status."""
        page = self.store.additions_page(code, order, offset, limit, status)
        page["additions"] = self.with_mentions(code, page["additions"], page["counts"]["merged"])
        return {"ok": True, "order": order, "offset": offset, "limit": limit, "status": status, **page}

    def additions_counts(self, code: str) -> dict:
        """How many additions a meeting has, per status, with the version they belong to."""
        page = self.store.additions_page(code, limit=0)
        return {"version": page["version"], "seq": page["seq"], "total": page["total"], **page["counts"]}

    def endorsements(self, meeting: Meeting) -> tuple[dict, dict]:
        """``endorsements`` messages for the host and the beamer: ``{seq, at, counts: {addition
        id: n}}`` of the shown additions; the beamer's without the themes whose results are hidden.
        The sequence is read first, so the counts are at least as new as it says."""
        seq = self.store.seq(meeting.code)
        rows = self.store.endorsements(meeting.code)
        at = int(time.time() * 1000)
        host = {"seq": seq, "at": at, "counts": {str(a): n for a, (_theme, n) in rows.items()}}
        beamer = {
            "seq": seq,
            "at": at,
            "counts": {str(a): n for a, (t, n) in rows.items() if meeting.results_shown(t)},
        }
        return host, beamer

    def projector_showing(self, code: str, view: dict) -> dict:
        """Relay what the beamer shows now to the host devices, as ``projector_view``."""
        if not self.limits.report_allowed(code):
            return {"ok": False, "error": "rate_limited"}
        view = {**view, "at": int(time.time() * 1000)}
        self.socketio.emit("projector_view", view, to=room(code, "host"))
        return {"ok": True}

    def ask_projector_view(self, code: str) -> None:
        """Ask the beamers of a meeting to report what they show (a host just connected)."""
        self.socketio.emit("report_view", {}, to=room(code, "projector"))

    # -- what each role receives -----------------------------------------------------------

    def snapshot(self, meeting: Meeting, role: str, tally: dict | None = None) -> dict:
        """The full ``state`` for a role. Events add what needs the connection: a phone's own
        token and answers, and the join address on connect."""
        state = domain.public_state(meeting)
        state["role"] = role
        # Only a theme with a capacity can be full: no query for the usual evening without one.
        capped = any(t.capacity for t in meeting.themes)
        state["full"] = self.store.full_themes(meeting.code) if capped else []
        if role in ("host", "projector"):
            # The hall's Wi-Fi and its password are for the screens in front of the hall only:
            # never in a phone's or a helper's state.
            state["wifi"] = (
                {"name": meeting.wifi_name, "password": meeting.wifi_password} if meeting.wifi_name else None
            )
            state["welcome"] = meeting.welcome
            tally = tally or self.tally(meeting)
            state["cards"] = self.store.notes(meeting.code)
        if role == "host":
            state["tally"] = tally
            page = self.store.additions_page(meeting.code, "oldest", 0, HOST_PAGE)
            state["additions"] = self.with_mentions(meeting.code, page["additions"], page["counts"]["merged"])
            state["additions_total"] = page["total"]
            state["additions_counts"] = page["counts"]
            state["additions_version"] = page["version"]
        elif role == "projector":
            state["tally"] = projector_tally(tally)
            # Only what the host shows: pending and hidden text never reaches the beamer.
            page = self.store.additions_page(meeting.code, "oldest", 0, None, "shown")
            shown = self.with_mentions(meeting.code, page["additions"], page["counts"]["merged"])
            state["additions"] = [hide_count(meeting, a) for a in shown]
            state["additions_version"] = page["version"]
        else:  # phone and helper: what the beamer shows, without counts or who wrote it
            state["additions"] = self.store.additions(meeting.code, shown_only=True)
        if meeting.kind == domain.FOLLOW_UP:
            rows = self.store.agreements(meeting.code)
            state["agreements"] = rows if role in ("host", "projector") else without_names(rows)
            if role in ("host", "projector"):
                # The host's call list (status, last call, note) and the plans; the beamer the
                # plans and how many members, never names. Phones get neither.
                state["groups"] = self.groups_for(meeting, role)
        return state

    def send_staff_states(self, meeting: Meeting) -> None:
        """Send projector and host their snapshots, counting the tally once for both."""
        tally = self.tally(meeting)
        for role in ("projector", "host"):
            self.socketio.emit("state", self.snapshot(meeting, role, tally), to=room(meeting.code, role))

    def tally(self, meeting: Meeting) -> dict:
        """Counts per theme (every theme present), plus participants seen."""
        counts = self.store.tally(meeting.code)
        whole, *rows = domain.tally_rows(meeting, counts)
        return {
            "version": meeting.version,
            # The store's sequence, read with the counts: clients keep the tally with the highest.
            "seq": counts["seq"],
            "at": int(time.time() * 1000),
            "participants": counts["participants"],
            # Participants per origin (phone, paper, helper); raised hands are in each row's sources.
            "origins": counts.get("origins", {"phone": counts["participants"]}),
            "themes": rows,
            "whole": whole,
        }

    def broadcast_state(self, code: str) -> None:
        """Send every role in a meeting its snapshot (after a phase change)."""
        meeting = self.store.meeting(code)
        phone = self.snapshot(meeting, "phone")
        # What every screen now shows as full: ``check_full`` compares with this, so a theme that
        # a new capacity opened up and a choice filled again is news again.
        self._full.swap(code, frozenset(phone["full"]))
        self.socketio.emit("state", phone, to=room(code, "phone"))
        self.socketio.emit("state", self.snapshot(meeting, "helper"), to=room(code, "helper"))
        self.send_staff_states(meeting)
        if meeting.kind == domain.FOLLOW_UP:  # each group's link: its own group
            alive = {t.id for t in meeting.themes}
            for theme in {g["theme"] for g in self.store.groups(code)} & alive:
                state = self.group_snapshot(meeting, theme)
                self.socketio.emit("state", state, to=room(code, group_room(theme)))

    def _flush(self, code: str, tally: bool, counts: bool, endorsed: bool) -> bool:
        """Send one coalesced update of a meeting (``live.shared`` decides when): the tally
        (votes, choices, pledges, joins) to projector and host, the additions counts to the host,
        the endorsements to both. Phones get nothing per vote. False if nothing was sent."""
        try:
            meeting = self.store.meeting(code)
            if meeting is None:  # deleted meanwhile: nobody is left to tell
                self._full.forget(code)
                return False
            # With several workers each sends its own screens (live.shared.redis.Notices): past
            # the message queue, so the beamer's worker alone decides how often it hears. A worker
            # with no host or beamer of this meeting reads and sends nothing.
            if self._each_worker and not self._screens_here(code):
                return False
            emit = partial(self.socketio.emit, ignore_queue=True) if self._each_worker else self.socketio.emit
            if tally:
                tally = self.tally(meeting)
                emit("tally", tally, to=room(code, "host"))
                emit("tally", projector_tally(tally), to=room(code, "projector"))
            if counts:
                emit("additions_counts", self.additions_counts(code), to=room(code, "host"))
            if endorsed:
                host, beamer = self.endorsements(meeting)
                emit("endorsements", host, to=room(code, "host"))
                emit("endorsements", beamer, to=room(code, "projector"))
            return True
        except Exception:
            log.exception("update for a meeting failed")
            return False

    def _screens_here(self, code: str) -> bool:
        """Whether a host screen or beamer of this meeting is connected to this worker (the
        manager's rooms are this worker's own, also with a message queue)."""
        manager = self.socketio.server.manager
        rooms = [room(code, "host"), room(code, "projector")]
        return next(iter(manager.get_participants("/", rooms)), None) is not None

    # -- entry for the transport (views and events) -------------------------------------------
    # Views and events reach the store, the writer and the limits only through these, so a second
    # store, a cache or shared limits have one place to change.

    def creation_allowed(self, address: str) -> tuple[bool, int]:
        """Count one attempt to create a meeting from ``address``: whether it may, and if not, the
        whole seconds until it may again (``CREATE_RATE_LIMIT``)."""
        limit = self.config["CREATE_RATE_LIMIT"]
        if self.limits.creation_allowed(address, limit):
            return True, 0
        return False, self.limits.creation_retry_after(address, limit)

    def check_create_limit(self) -> None:
        """Raise ValueError now if ``CREATE_RATE_LIMIT`` is mistyped, not at the first organiser."""
        parse_limit(self.config["CREATE_RATE_LIMIT"])

    def creating(self, make):
        """Run ``make()`` (``create_meeting`` or ``import_archive``); a store without room refuses
        it as ``storage_full``, so callers need not know the store's errors."""
        try:
            return make()
        except StoreFull:
            raise Refused("storage_full") from None

    def event_allowed(self, role: str, code: str, actor: int) -> bool:
        """Count one event of a participant or a host (``actor``) in a meeting; False when over."""
        return self.limits.event_allowed(role, f"{code}:{actor}")

    def answers(self, code: str, participant: int) -> dict:
        """One participant's own answers (votes, choice, pledges, additions, notes)."""
        return self.store.answers(code, participant)

    def notes(self, code: str, theme: int) -> list:
        """The notes on one subgroup card."""
        return self.store.notes(code, theme)

    def meeting_record(self, code: str) -> dict | None:
        """The meeting's own row (day held, retention, follow-up fields), or None."""
        return self.store.meeting_record(code)

    def export(self, code: str) -> dict | None:
        """Everything of one meeting as plain data for the exports, or None if it is gone."""
        return self.store.export_meeting(code)

    def themes_for_handoff(self, code: str) -> list[dict]:
        """The meeting's themes that are still their own (not merged into another)."""
        return [t for t in self.store.themes(code) if t["merged_into"] is None]

    def set_follow_up(self, code: str, theme: int, follow_up: dict | None) -> None:
        """Set (or clear, with None) a working group's first meeting, durably."""
        self.writer.call(self.store.set_follow_up, code, theme, follow_up)

    def set_dates(self, code: str, held_on: str, retention_days: int | None) -> None:
        """Set the day the meeting is held and its own retention in days (None: the default)."""
        self.writer.call(self.store.set_meeting_dates, code, held_on, retention_days)

    def delete(self, code: str) -> None:
        """Delete a whole meeting at once; its code is never given out again."""
        self.writer.call(self.store.delete_meeting, code)

    def healthy(self, timeout: float) -> bool:
        """Whether a write round trip through the writer comes back within ``timeout`` seconds."""
        return self.writer.health(timeout)


def hide_count(meeting: Meeting, addition: dict) -> dict:
    """A shown addition for the beamer: without its count while its theme's results are hidden."""
    if meeting.results_shown(addition["theme"]):
        return addition
    return {k: v for k, v in addition.items() if k != "endorsements"}


def projector_tally(tally: dict) -> dict:
    """The tally without the split of themes whose results are hidden (see domain.for_projector)."""
    whole, *rows = domain.for_projector([tally["whole"], *tally["themes"]])
    return {**tally, "themes": rows, "whole": whole}


# Host actions that change what every screen draws: each sends every role a new ``state``.
RESHAPE = {
    "set_phase",
    "add_theme",
    "edit_theme",
    "remove_theme",
    "order_themes",
    "set_pace",
    "set_results",
    "lock_choices",
    "merge_themes",
    "set_wifi",
    "show_welcome",
}
RESHAPE.add("set_presenting")
# The agreements of a terugkombijeenkomst: every screen gets the short list again.
AGREEMENTS = {"agreement", "edit_agreement", "remove_agreement"}
# Endorsements of additions: their counts go out coalesced (``endorsements``), never per tap.
ENDORSING = {"endorse", "addition_hands"}
# Changes to a subgroup card: sent as one small ``note`` message each.
NOTES = {"note", "edit_note", "remove_note"}
# Acks that carry the attendee text as stored (trimmed lines, at most 10, invisible characters gone).
TEXT_ACKS = {"addition", "note", "edit_note"}

CHECKS = {
    "vote": domain.check_vote,
    "addition": domain.check_addition,
    "choose": domain.check_choice,
    "pledge": domain.check_pledge,
    "set_phase": lambda meeting, payload: {"phase": domain.check_phase(payload, meeting.kind)},
    "moderate": lambda meeting, payload: domain.check_moderation(payload),
    "add_theme": domain.check_add_theme,
    "edit_theme": domain.check_edit_theme,
    "remove_theme": domain.check_remove_theme,
    "order_themes": domain.check_order,
    "set_pace": domain.check_pace,
    "set_results": domain.check_results,
    "manual_count": domain.check_manual_count,
    "lock_choices": domain.check_lock_choices,
    "merge_themes": domain.check_merge_themes,
    "merge_addition": domain.check_merge_addition,
    "set_wifi": domain.check_wifi,
    "show_welcome": domain.check_welcome,
    "withdraw": domain.check_withdraw,
    "note": domain.check_note,
    "edit_note": domain.check_edit_note,
    "remove_note": domain.check_remove_note,
    "endorse": domain.check_endorse,
    "addition_hands": domain.check_addition_hands,
    "set_presenting": domain.check_presenting,
    "plan": domain.check_plan,
    "set_group_status": domain.check_group_status,
    "agreement": domain.check_agreement,
    "edit_agreement": domain.check_edit_agreement,
    "remove_agreement": domain.check_remove_agreement,
}
# Events written as another kind of action: the host's call list and a group's "wij willen hulp"
# are both a change of the group's status.
STORE_KINDS = {"set_group_status": "group_status", "ask_help": "group_status"}
# What a working group's link may send: its own plan, and "wij willen hulp".
GROUP_CHECKS = {
    "plan": domain.check_plan,
    "ask_help": domain.check_ask_help,
}
