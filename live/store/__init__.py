"""The store interface: where meetings, answers and pledges live.

Every implementation fills the same contract (``tests/test_store_contract.py`` runs against each).
Attendee actions arrive as ``Action`` values in batches through ``apply``: the batch is one durable
commit (group commit), each action inside it succeeds or fails on its own, and a message id that
was already handled returns the first result again (as ``Replayed``) instead of acting twice.

A store is not thread-safe for writes: ``live.writer.Writer`` is the only caller of ``apply``.
Reads may come from any green thread.

A write that fails for want of room raises ``StoreFull``; any other failure raises the store's own
error. Either way the write is rolled back and the store stays usable for the next one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from live.domain import Meeting, Theme

# Set (``WRITING.active``) while the writer runs store code in its own thread. Nothing the event
# loop owns (its green locks, the read connection) may be touched there: see ``live.writer``.
WRITING = threading.local()

HOST_ACTOR = 0
# The helper devices of a meeting, for deduplicating their forms by message id (a form's own
# participant id is only known once it is written).
HELPER_ACTOR = -1


class Replayed(dict):
    """The first result of a message id handled before, given again: the ack is the same, but the
    broadcasts and other after-effects of the first time must not run again (a resend may even
    carry another kind of event than the id was first used for)."""


class StoreFull(Exception):
    """A write found no room (disk or size limit full); nothing of it was stored."""


@dataclass
class Action:
    """One write: ``kind`` is an attendee action (vote, addition, choose, pledge) or a host action
    (set_phase, moderate, add_theme, edit_theme, remove_theme, order_themes, set_pace,
    set_results, manual_count)."""

    kind: str
    code: str
    actor: int
    msg_id: str
    data: dict = field(default_factory=dict)
    # The phases that accept this action, checked again inside the write's transaction, so a
    # vote cannot land after the host has moved on. Empty: any phase.
    phases: tuple = ()


class Store:
    """The contract every store fills; see the module docstring."""

    def create_meeting(
        self,
        code: str,
        title: str,
        place: str,
        date: str,
        themes: list[Theme],
        host_key_hash: str,
        projector_key_hash: str,
        helper_key_hash: str = "",
        held_on: str = "",
        wifi: dict | None = None,
    ) -> bool:
        """Create a meeting; False if the code is taken (the caller picks another).

        Raises ``StoreFull`` when there is no room, other errors when the store fails; nothing
        already stored is lost and the next write works again."""
        raise NotImplementedError

    def meeting(self, code: str) -> Meeting | None:
        """The meeting with its themes, phase and version, or None."""
        raise NotImplementedError

    def secret(self) -> str:
        """A random secret made once per store and shared by every worker using it (it signs
        join tickets). Called at start-up, before any write batch."""
        raise NotImplementedError

    def seq(self, code: str) -> int:
        """The meeting's sequence number: it only grows, once per commit that changes what its
        tally, additions counts or endorsements show, and survives restarts (0: no such meeting).
        ``tally`` and ``additions_page`` give it too, as ``seq``, read with their counts."""
        raise NotImplementedError

    def themes(self, code: str) -> list[dict]:
        """Every theme of a meeting, removed ones too (marked ``removed``), for the exports."""
        raise NotImplementedError

    def full_themes(self, code: str) -> list[int]:
        """Ids of the themes whose capacity is taken."""
        raise NotImplementedError

    def participant(self, code: str, token_hash: str) -> int | None:
        """The participant id for a token already seen, or None (a read, no write)."""
        raise NotImplementedError

    def join(self, code: str, token_hash: str) -> int:
        """The participant id for a token, created (durably) on first sight."""
        raise NotImplementedError

    def apply(self, actions: list[Action]) -> list[dict]:
        """Apply a batch in one commit and return one ack per action, in order."""
        raise NotImplementedError

    def seen(self, code: str, actor: int, msg_id: str) -> dict | None:
        """The ack already given for this message id, or None if it is new."""
        raise NotImplementedError

    def tally(self, code: str) -> dict:
        """Aggregate counts: ``{"participants": n, "origins": {"phone": n, "paper": n, "helper": n},
        "themes": [{theme, yes, partly, no, chosen, pledged}]}``."""
        raise NotImplementedError

    def answers(self, code: str, participant: int) -> dict:
        """One participant's own earlier answers, for their phone's snapshot."""
        raise NotImplementedError

    def additions(self, code: str, shown_only: bool = False) -> list[dict]:
        """Additions in arrival order: ``[{id, theme, text, status}]``."""
        raise NotImplementedError

    def additions_page(
        self,
        code: str,
        order: str = "oldest",
        offset: int = 0,
        limit: int | None = 50,
        status: str | None = None,
    ) -> dict:
        """One page of additions, ``order`` "oldest" or "newest" first, optionally of one status,
        read in one transaction with the counts: ``{additions, total, counts: {pending, shown,
        hidden}, version}``; ``total`` counts what matches, ``version`` is the meeting's."""
        raise NotImplementedError

    def addition(self, code: str, addition_id: int) -> dict | None:
        """One addition as it is now, with the meeting's version: ``{id, theme, text, status,
        endorsements, version}``, or None."""
        raise NotImplementedError

    def endorsements(self, code: str) -> dict[int, tuple[int, int]]:
        """``{addition id: (theme, count)}`` for every shown addition: the people who tapped "Dat
        herken ik ook" (phones, paper forms, helpers) plus the host's raised hands."""
        raise NotImplementedError

    def pledges(self, code: str) -> list[dict]:
        """Every pledge with contact details, for the host's export only; each says the
        ``origin`` of its participant (phone, paper or helper)."""
        raise NotImplementedError

    def purge_contacts(self, created_before: float) -> int:
        """Erase names, e-mail addresses, phone numbers and addition texts of meetings created
        before this time, leaving no copy in any file; returns the number of rows erased.

        Raises when it cannot finish (e.g. the database is locked); the caller tries again later."""
        raise NotImplementedError

    def erase_due(self, now: float, default_days: int) -> int:
        """Erase, as ``purge_contacts`` does, the meetings whose day (``held_on``, or the creation
        time for meetings without one) plus their ``retention_days`` (or ``default_days``) has
        passed at ``now``; returns the number of rows erased."""
        raise NotImplementedError

    def prune_handled(self, before: float) -> int:
        """Forget the acks of messages handled before this time; returns how many."""
        raise NotImplementedError

    def meeting_record(self, code: str) -> dict | None:
        """The meeting's own fields for the hand-off: ``{code, title, place, date, held_on,
        retention_days, created_at, phase}``, or None."""
        raise NotImplementedError

    def set_meeting_dates(self, code: str, held_on: str, retention_days: int | None) -> bool:
        """Set the day the meeting is held (ISO date) and its retention (None: the setting)."""
        raise NotImplementedError

    def set_follow_up(self, code: str, theme: int, follow_up: dict | None) -> bool:
        """Set (or clear, with None) a theme's first follow-up meeting ``{date, time, place}``."""
        raise NotImplementedError

    def export_meeting(self, code: str) -> dict | None:
        """The whole meeting as plain data (docs/export.md): ``{"meeting": {...}, "themes": [...],
        "participants", "votes", "choices", "pledges", "notes", "additions", "manual_counts"}``,
        read at one moment; keys and tokens are left out. None for an unknown code."""
        raise NotImplementedError

    # An import is written in steps, so that the other meetings' acks never wait long behind
    # it: begun (the meeting row, unseen by everyone), rows in bounded chunks, the links between
    # additions, then finished (seen) or aborted (gone). Bad data raises ``ValueError`` and leaves
    # that step unwritten; a store that restarts mid-import removes the unfinished meeting.

    def import_begin(
        self, code: str, meeting: dict, host_key_hash: str, projector_key_hash: str, helper_key_hash: str
    ) -> bool:
        """Start an import under ``code``; False if the code is taken or was ever deleted."""
        raise NotImplementedError

    def import_rows(self, code: str, table: str, rows: list[dict]) -> list[int]:
        """Add rows of one table to a meeting being imported; returns the id each row got."""
        raise NotImplementedError

    def import_links(self, code: str, links: list[tuple[int, int]]) -> None:
        """Point imported additions at the addition they were merged into: ``(id, into)``."""
        raise NotImplementedError

    def import_finish(self, code: str) -> bool:
        """Make an imported meeting visible."""
        raise NotImplementedError

    def import_abort(self, code: str) -> None:
        """Remove a meeting whose import did not finish (no tombstone: it never existed)."""
        raise NotImplementedError

    def deleted(self, code: str) -> bool:
        """Whether a meeting with this code existed and was deleted (its code is never reused)."""
        raise NotImplementedError

    def delete_meeting(self, code: str) -> int:
        """Delete every row of a meeting, leaving no copy in any file, and retire its code;
        returns the rows deleted."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections."""


def open_store(url: str, data_dir: str) -> Store:
    """The store a ``STORE`` setting names: ``sqlite`` (default) or ``redis://...``."""
    if url in ("", "sqlite"):
        from live.store.sqlite import SQLiteStore

        return SQLiteStore(data_dir)
    raise ValueError(f"unknown STORE setting: {url!r}")
