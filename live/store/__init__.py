"""The store interface: where meetings, answers and pledges live.

``Store`` is the contract: a ``typing.Protocol`` with exactly the methods the server calls, as it
calls them, and nothing only tests use. Every implementation fills it and passes the contract suite
(``tests/test_store_contract.py``, run over every store listed in ``tests/stores.py``), races and
crashes included.
Attendee actions arrive as ``Action`` values in batches through ``apply``: the batch is one durable
commit (group commit), each action inside it succeeds or fails on its own, and a message id that
was already handled returns the first result again (as ``Replayed``) instead of acting twice.

A store object is not thread-safe for writes: ``live.writer.Writer`` is the only caller of its
writes. Reads may come from any green thread. Other store objects on the same data (other
workers) may write at the same moment: what must hold between them is guarded inside the write.

A write that fails for want of room raises ``StoreFull``; any other failure raises the store's own
error. Either way the write is rolled back and the store stays usable for the next one.

A store on a server (Redis) that cannot reach it raises ``StoreUnavailable``: at opening, and from
any read or write while it runs (a whole batch raises, so no ack is ever given for something not
stored; what it stored before the server went away keeps its message ids, so a resend is answered
from them). Once the server answers again, the same store object works again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from live.domain import Meeting, Theme

# Set (``WRITING.active``) while the writer runs store code in its own thread. Nothing the event
# loop owns (its green locks, the read connection) may be touched there: see ``live.writer``.
WRITING = threading.local()

HOST_ACTOR = 0
# The helper devices of a meeting, for deduplicating their forms by message id (a form's own
# participant id is only known once it is written).
HELPER_ACTOR = -1


def group_actor(theme: int) -> int:
    """The actor of a working group's link in a terugkombijeenkomst (its message ids are its own)."""
    return -100 - theme


class Replayed(dict):
    """The first result of a message id handled before, given again: the ack is the same, but the
    broadcasts and other after-effects of the first time must not run again (a resend may even
    carry another kind of event than the id was first used for)."""


class StoreUnavailable(Exception):
    """The store cannot be opened (a damaged, locked or unreachable database); its message is the
    store's own, which start-up turns into a Dutch sentence."""


class StoreFull(Exception):
    """A write found no room (disk or size limit full); nothing of it was stored."""


@dataclass
class Action:
    """One write: ``kind`` is an attendee action (vote, addition, choose, pledge) or a host action
    (set_phase, moderate, add_theme, edit_theme, remove_theme, order_themes, set_pace,
    set_results, manual_count); in a terugkombijeenkomst also set_presenting (``{theme}``, None
    for nobody), plan (``{theme, fields}``: the plan's fields written, from the host or the group
    link), group_status (``{theme, status?, called_on?, host_note?}``), set_group_key (``{theme,
    key_hash}``: the key of a group the host added; ``unknown_group`` when it is not in the
    meeting), agreement (``{text,
    themes, who, due}``, acked with its new id), edit_agreement and remove_agreement
    (``{agreement, ...}``: ``unknown_agreement`` when it is not there); an addition may carry
    its ``kind`` ("top" or "question"). In a terugkombijeenkomst add_theme also makes the
    theme's group row (no key yet), merge_themes merges the group rows as
    ``terugkom.merge_groups`` says and drops the merged group's key, and remove_theme changes the
    agreements as ``terugkom.remove_group`` says (the group's row and key stay)."""

    kind: str
    code: str
    actor: int
    msg_id: str
    data: dict = field(default_factory=dict)
    # The phases that accept this action, checked again inside the write's transaction, so a
    # vote cannot land after the host has moved on. Empty: any phase.
    phases: tuple = ()


@runtime_checkable
class Store(Protocol):
    """The contract every store fills: exactly the methods the running server calls (in
    ``live/``), with the signatures it calls them with. See the module docstring.

    Writes (``apply``, ``create_meeting``, the ``import_*`` steps, ``erase_due``,
    ``prune_handled``, ``set_*``, ``delete_meeting``) come only from ``live.writer.Writer``, one at
    a time per store object; several store objects (other workers) may write to the same data at
    once, and every guard that decides between them sits inside the store's atomic write. A store
    object is released when its process ends: closing one is its own business, not the contract's.
    """

    # -- reads -----------------------------------------------------------------------------

    def secret(self) -> str:
        """A random secret made once per store and shared by every worker using it (it signs
        join tickets). Called at start-up, before any write batch."""
        ...

    def meeting(self, code: str) -> Meeting | None:
        """The meeting with its live themes (in the host's order), phase, version and settings,
        or None for an unknown, deleted or still importing code."""
        ...

    def deleted(self, code: str) -> bool:
        """Whether a meeting with this code existed and was deleted (its code is never reused)."""
        ...

    def seq(self, code: str) -> int:
        """The meeting's sequence number: only grows; bumped by every write that changes a tally,
        the additions counts or endorsements; 0 for an unknown meeting."""
        ...

    def themes(self, code: str) -> list[dict]:
        """Every theme of a meeting, removed and merged ones too: ``[{id, title, description,
        from_addition, removed, merged_into}]``, live ones first in the host's order (for the
        hand-off and the exports)."""
        ...

    def full_themes(self, code: str) -> list[int]:
        """Ids of the live themes whose capacity is taken, in id order."""
        ...

    def participant(self, code: str, token_hash: str) -> int | None:
        """The participant id for a token already seen, or None (a read, no write)."""
        ...

    def seen(self, code: str, actor: int, msg_id: str) -> dict | None:
        """The ack kept for this message id of this actor (see ``apply``), or None: new,
        refused, or pruned."""
        ...

    def tally(self, code: str) -> dict:
        """Aggregate counts, read at one moment: ``{"participants": n, "origins": {"phone": n,
        "paper": n, "helper": n}, "themes": [{theme, yes, partly, no, chosen, pledged, roles?}],
        "hands": [{theme, answer, count}], "seq": n}``; ``themes`` holds only themes with a count,
        in id order, ``roles`` (``{role: n}``) only where somebody pledged; ``seq`` is the meeting's
        sequence number read in the same moment (0 for an unknown meeting)."""
        ...

    def answers(self, code: str, participant: int) -> dict:
        """One participant's own earlier answers, for their phone's snapshot: ``{votes: {"theme
        id": answer}, choice, table, pledges: [...], pledge (the newest or None), additions:
        [{id, theme, text, status}], notes: [{id, theme, field, text}], endorsed: [addition ids]}``."""
        ...

    def notes(self, code: str, theme: int | None = None) -> list[dict]:
        """The subgroup cards' notes, oldest first: ``[{id, theme, field, text}]``, of one theme
        or (None) of all."""
        ...

    def additions(self, code: str, shown_only: bool = False) -> list[dict]:
        """Additions in arrival order: ``[{id, theme, text, status}]``; only the shown ones (what
        the beamer shows) with ``shown_only``."""
        ...

    def additions_page(
        self,
        code: str,
        order: str = "oldest",
        offset: int = 0,
        limit: int | None = 50,
        status: str | None = None,
    ) -> dict:
        """One page of additions, ``order`` "oldest" or "newest" first or "endorsed" (most
        recognised first, then oldest), optionally of one status, ``limit`` None for all, read
        at one moment with the counts: ``{additions: [{id, theme, text, status, endorsements,
        merged_into (merged ones only)}], total, counts: {pending, shown, hidden, promoted,
        merged}, version, seq}``; ``total`` counts what matches, ``version`` is the meeting's
        and ``seq`` its sequence number at that moment (both 0 for an unknown meeting)."""
        ...

    def addition(self, code: str, addition_id: int) -> dict | None:
        """One addition as it is now, with the meeting's version: ``{id, theme, text, status,
        endorsements, version}`` (and ``merged_into`` when merged), or None."""
        ...

    def endorsements(self, code: str) -> dict[int, tuple[int, int]]:
        """``{addition id: (theme, count)}`` for every shown addition: the people who tapped "Dat
        herken ik ook" (phones, paper forms, helpers) plus the host's raised hands, those of the
        additions merged into it included."""
        ...

    def groups(self, code: str) -> list[dict]:
        """The working groups of a terugkombijeenkomst, in theme order: ``[{theme, plan (JSON
        text), status, called_on, host_note, origin (JSON text: from, theme, card, members,
        others)}]``, merged and removed groups too; empty for an evening. Key hashes stay inside."""
        ...

    def group_for_key(self, code: str, key_hash: str) -> int | None:
        """The theme of the group whose key has this hash, or None (a read, no write); a removed
        group's key still finds it (its page says so), a merged group's key was dropped."""
        ...

    def agreements(self, code: str) -> list[dict]:
        """The agreements still made, oldest first: ``[{id, text, themes: [ids], who, due}]``."""
        ...

    def meeting_record(self, code: str) -> dict | None:
        """The meeting's own fields for the hand-off: ``{code, title, place, date, held_on,
        retention_days, created_at, phase}``, or None."""
        ...

    def export_meeting(self, code: str) -> dict | None:
        """The whole meeting as plain data (docs/export.md): ``{"meeting": {...}, "themes": [...],
        "participants", "votes", "choices", "pledges", "notes", "additions", "manual_counts",
        "endorsements", "addition_hands", "groups", "agreements"}``, read at one moment; keys and
        tokens are left out.
        None for an unknown code."""
        ...

    # -- writes (from the writer only) -----------------------------------------------------

    def create_meeting(
        self,
        code: str,
        title: str,
        place: str,
        date: str,
        themes: list[Theme],
        host_key_hash: str,
        projector_key_hash: str,
        helper_key_hash: str,
        held_on: str,
        wifi: dict | None,
        kind: str = "avond",
        groups: list[dict] | None = None,
    ) -> bool:
        """Create a meeting in the lobby, version 1; False if the code is taken or retired (the
        caller picks another). ``held_on`` empty: today; ``wifi``: ``{name, password}`` or None;
        ``kind`` "avond" or "terugkom", whose ``groups`` are ``[{theme, key_hash, origin}]``.

        Raises ``StoreFull`` when there is no room, other errors when the store fails; nothing
        already stored is lost and the next write works again."""
        ...

    def apply(self, actions: list[Action]) -> list[dict]:
        """Apply a batch in one durable commit and return one ack per action, in order. A phone
        joins this way too: ``join`` (``{"token_hash"}``, no message id) answers ``{"ok": True,
        "participant": id}``, the same id for the same token.

        Each action succeeds or fails on its own, and writes all of itself or nothing. A
        refusal is ``{"ok": False, "error": slug}``: ``wrong_phase`` when the meeting's phase is
        not in ``action.phases`` at the write, ``unknown_meeting`` for a meeting deleted
        meanwhile, ``unknown_addition``, ``unknown_theme`` and the like; bad data is ``{"ok":
        False, "error": "server_error"}``. Neither keeps its message id, so a resend is tried
        again. An answer of the method itself is an ack like a success and kept: ``theme_full``
        with ``room`` (the live themes that still have a seat; of two writers for the last
        seat exactly one gets it), ``confirm_needed`` with ``answers``. A message id this actor
        used before in this meeting gets its kept ack again as ``Replayed``, and nothing is
        written. When the batch itself fails (disk, lock), it raises and nothing of it is
        stored: no ack is ever given for a write that is not durable."""
        ...

    def erase_due(self, now: float, default_days: int) -> int:
        """Erase names, e-mail addresses, phone numbers, addition texts and card notes of the
        meetings whose day (``held_on``, or the creation time when it is missing or unreadable)
        plus their ``retention_days`` (or ``default_days``) has passed at ``now``, leaving no
        copy anywhere; counts stay. Returns the number of rows erased.

        Raises when it cannot finish (e.g. the data is locked); the caller tries again later."""
        ...

    def prune_handled(self, before: float) -> int:
        """Forget the acks of messages handled before this time; returns how many."""
        ...

    def set_meeting_dates(self, code: str, held_on: str, retention_days: int | None) -> bool:
        """Set the day the meeting is held (ISO date) and its retention (None: the setting);
        False for an unknown meeting."""
        ...

    def set_follow_up(self, code: str, theme: int, follow_up: dict | None) -> bool:
        """Set (or clear, with None) a theme's first follow-up meeting ``{date, time, place}``;
        False for an unknown theme."""
        ...

    def delete_meeting(self, code: str) -> int:
        """Delete every row of a meeting, leaving no copy anywhere, and retire its code; returns
        the rows deleted (0 for an unknown code, which is then not retired)."""
        ...

    # An import is written in steps, so that the other meetings' acks never wait long behind
    # it: begun (the meeting row, unseen by everyone), rows in bounded chunks, the links between
    # additions, then finished (seen) or aborted (gone). Bad data raises ``ValueError`` and leaves
    # that step unwritten; an import nobody carries on is removed: on the embedded store when it
    # opens again (one server per file), on a shared one once the import has not moved for a
    # while (another worker may be importing right now).

    def import_begin(
        self, code: str, meeting: dict, host_key_hash: str, projector_key_hash: str, helper_key_hash: str
    ) -> bool:
        """Start an import under ``code``; False if the code is taken or was ever deleted."""
        ...

    def import_rows(self, code: str, table: str, rows: list[dict]) -> list[int]:
        """Add rows of one table to a meeting being imported; returns the id each row got (for
        participants, additions and notes; an empty list for the other tables)."""
        ...

    def import_links(self, code: str, links: list[tuple[int, int]]) -> None:
        """Point imported additions at the addition they were merged into: ``(id, into)``."""
        ...

    def import_finish(self, code: str) -> bool:
        """Make an imported meeting visible; False if no import of it is under way."""
        ...

    def import_abort(self, code: str) -> None:
        """Remove a meeting whose import did not finish (no tombstone: it never existed)."""
        ...


def open_store(url: str, data_dir: str, *, password: str | None = None, prefix: str = "live:") -> Store:
    """The store a ``STORE`` setting names: ``sqlite`` (default), or ``redis://host:port/db`` and
    ``rediss://...`` (TLS) for Redis, with its ``password`` (or one in the URL) and key ``prefix``."""
    if url in ("", "sqlite"):
        from live.store.sqlite import SQLiteStore

        return SQLiteStore(data_dir)
    if url.startswith(("redis://", "rediss://")):
        from live.store.redis import RedisStore

        return RedisStore(url, prefix=prefix, password=password)
    raise ValueError(f"unknown STORE setting: {url!r}")
