"""The decisions an action's write depends on: seats, merges, promotions, removals, results.

Each rule is a pure function from a small read of the meeting (plain values or the frozen records
below, filled by a store inside its write transaction) to the writes to make and the ack to give.
A store reads, calls the rule, and applies what it returns; it keeps only the guards that must
hold inside its commit (a seat counted in the same transaction, a row that is still there). So a
second store implements storage, not the method again.

No I/O here: no store, no clock, no network. A refusal raises ``Refused(slug)``.
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from live.domain.model import MAX_THEMES, WHOLE, Refused

DAY = 86400

# -- choosing a theme and a table ------------------------------------------------------------


def table_at(tables: tuple, seat: int) -> str | None:
    """The table a chooser was given, or None when the theme has no table. A seat beyond the
    tables (the host took a table away) is the first table."""
    return tables[seat] if 0 <= seat < len(tables) else (tables[0] if tables else None)


def seated(table: str | None) -> dict:
    """The ack of a choice: it names the table when the theme has one."""
    return {"ok": True, "table": table} if table else {"ok": True}


def emptiest_table(seated_per_table: Mapping[int, int], tables: int) -> int:
    """The seat (table index) with the fewest people, the lowest of equals: choosers are spread
    over a theme's tables. A theme with one table or none seats everyone at 0."""
    return min(range(max(1, tables)), key=lambda n: (seated_per_table.get(n, 0), n))


def is_full(capacity: int | None, taken: int) -> bool:
    """Whether a theme's capacity is taken (a theme without a capacity is never full)."""
    return capacity is not None and taken >= capacity


@dataclass(frozen=True)
class ThemeLoad:
    """One active theme's capacity and how many chose it, in the order the screens show."""

    id: int
    capacity: int | None
    taken: int


def full_themes(loads: Iterable[ThemeLoad]) -> list[int]:
    """Ids of the themes whose capacity is taken, lowest first."""
    return sorted(t.id for t in loads if is_full(t.capacity, t.taken))


def theme_full(loads: Iterable[ThemeLoad]) -> dict:
    """The ack for a chooser who came too late: the themes that still have room, in screen order."""
    return {
        "ok": False,
        "error": "theme_full",
        "room": [t.id for t in loads if not is_full(t.capacity, t.taken)],
    }


@dataclass(frozen=True)
class ChoiceRead:
    """What ``choose`` looks at. ``exists``: the theme is there and not removed. ``current``: the
    chooser's (theme, seat) now, or None. ``taken``: how many chose the theme, counted inside the
    write (only needed, and only read, when it has a capacity). ``per_table``: choosers per seat
    (only needed, and only read, with two tables or more)."""

    theme: int
    exists: bool
    locked: bool = False
    tables: tuple = ()
    capacity: int | None = None
    current: tuple[int, int] | None = None
    taken: int = 0
    per_table: Mapping[int, int] | None = None


@dataclass(frozen=True)
class Choice:
    """The outcome of ``choose``: the seat to write (None: nothing to write), or ``full`` (the
    store then reads the loads and answers ``theme_full``), and the ack."""

    seat: int | None
    ack: dict
    full: bool = False


def choose(read: ChoiceRead) -> Choice:
    """A participant picks one theme. Choosing it again keeps the table; a full theme refuses
    (of two phones taking the last seat, the one counted first gets it); a new chooser goes to
    the emptiest of the theme's tables."""
    if not read.exists:
        raise Refused("unknown_theme")  # removed or merged since the check
    if read.locked:
        raise Refused("choices_locked")
    if read.current and read.current[0] == read.theme:
        return Choice(None, seated(table_at(read.tables, read.current[1])))
    if is_full(read.capacity, read.taken):
        return Choice(None, {"ok": False, "error": "theme_full"}, full=True)
    seat = emptiest_table(read.per_table or {}, len(read.tables))
    return Choice(seat, seated(read.tables[seat] if read.tables else None))


def form_seat(exists: bool, tables: tuple, per_table: Mapping[int, int]) -> int:
    """The seat of a paper form's choice. The form is typed in after the fact: its person already
    sat down at that theme, so neither a closed choice nor a full theme refuses it."""
    if not exists:
        raise Refused("unknown_theme")
    return emptiest_table(per_table, len(tables))


# -- merging themes --------------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeMerge:
    """The writes of a theme merge: the choosers of ``theme`` move to ``into`` (at its first
    table), its pledges move unless their person pledged for ``into`` already (then the pledge
    stays with the merged theme, which stays in the exports), its card notes move, ``theme`` is
    removed as merged into ``into``, and the pace goes back to all themes when it was the current
    one (``reset_pace``)."""

    theme: int
    into: int
    reset_pace: bool
    ack: dict


def merge_themes(
    theme: int, into: int, alive: Iterable[int], choosers: int, current_theme: int | None
) -> ThemeMerge:
    """Put a theme that drew few people together with another. ``alive``: which of the two are
    still active; ``choosers``: how many chose ``theme`` (all of them move)."""
    if theme == into:
        raise Refused("bad_merge")
    if set(alive) != {theme, into}:
        raise Refused("unknown_theme")
    return ThemeMerge(theme, into, current_theme == theme, {"ok": True, "moved": choosers})


# -- additions: groups, endorsements and promotion ------------------------------------------


@dataclass(frozen=True)
class AdditionRow:
    """One addition's place in the groups: its status and the addition it was merged into."""

    id: int
    status: str
    merged_into: int | None = None


def shown_root(addition: AdditionRow | None, parent: AdditionRow | None) -> int:
    """The addition that counts for ``addition`` (its group's root), if the beamer shows it;
    ``parent`` is the row ``addition.merged_into`` names (None when it has none or it is gone)."""
    if addition is None:
        raise Refused("unknown_addition")
    root, status = addition.id, addition.status
    if status == "merged" and addition.merged_into is not None:
        root = addition.merged_into
        status = parent.status if parent else "hidden"
    if status != "shown":
        raise Refused("not_shown")
    return root


@dataclass(frozen=True)
class AdditionMerge:
    """The writes of an addition merge (``write`` False: the same merge was done already).
    ``addition`` is marked merged into ``root``; what was merged into it (``regroup``) points at
    ``root`` now, so no chain forms; who recognised themselves in it counts for ``root`` (once,
    if they tapped both) and raised hands add up."""

    addition: int
    root: int
    regroup: tuple[int, ...]
    write: bool
    ack: dict


def merge_addition(
    addition: AdditionRow | None, into: AdditionRow | None, children: Iterable[int] = ()
) -> AdditionMerge:
    """Put an addition with another that says the same. ``children``: the additions merged into
    ``addition`` now. Merged additions always point at a root that is not merged itself."""
    if addition is None or into is None:
        raise Refused("unknown_addition")
    if addition.id == into.id:
        raise Refused("bad_merge")
    root = into.merged_into if into.status == "merged" else into.id
    if root == addition.id:
        raise Refused("bad_merge")
    if addition.status == "merged":
        if addition.merged_into == root:  # a second host did the same: the same outcome, the same ack
            return AdditionMerge(addition.id, root, (), False, {"ok": True, "into": root, "moved": []})
        raise Refused("already_merged")
    if addition.status == "promoted":
        raise Refused("already_promoted")
    regroup = tuple(sorted(children))
    return AdditionMerge(addition.id, root, regroup, True, {"ok": True, "into": root, "moved": list(regroup)})


def mentions(merged: Iterable[Mapping]) -> dict[int, int]:
    """How many additions each group stands for (its root and what was merged into it), for the
    roots that have at least one merged in: ``{root id: n}``. ``merged``: the additions with
    status ``merged``, each with its ``merged_into`` (always a root, see ``merge_addition``)."""
    counts: dict[int, int] = {}
    for row in merged:
        root = row.get("merged_into")
        if root is not None:
            counts[root] = counts.get(root, 1) + 1
    return counts


# -- the host shapes the evening ---------------------------------------------------------------


@dataclass(frozen=True)
class NewTheme:
    """A theme to insert (``write`` False: the addition was promoted already, ``id`` is that
    theme); ``addition``, when set, becomes ``promoted``."""

    id: int
    position: int
    addition: int | None
    write: bool
    ack: dict


def add_theme(
    active: int,
    next_id: int,
    next_position: int,
    addition: int | None = None,
    found: AdditionRow | None = None,
    made: int | None = None,
) -> NewTheme:
    """A new theme, or an addition promoted to one. ``active``: the themes on the screens now;
    ``found``: the addition's row; ``made``: the active theme already made from it. Promoting
    twice (two hosts at once) gives one theme and the same ack."""
    if active >= MAX_THEMES:
        raise Refused("too_many_themes")
    if addition is not None:
        if found is None:
            raise Refused("unknown_addition")
        if found.status == "merged":  # another host merged it first: it is part of another now
            raise Refused("already_merged")
        if made is not None:
            return NewTheme(made, 0, addition, False, {"ok": True, "theme": made})
    return NewTheme(next_id, next_position, addition, True, {"ok": True, "theme": next_id})


@dataclass(frozen=True)
class Removal:
    """The outcome of ``remove_theme``: whether to mark the theme removed (``write``), whether the
    pace goes back to all themes, and the ack."""

    write: bool
    reset_pace: bool
    ack: dict


def remove_theme(
    theme: int, exists: bool, others: int, answers: int, confirm: bool, current_theme
) -> Removal:
    """Take a theme off the screens (it stays in the store and the exports). A theme with answers
    (``answers``: votes, choices, pledges, additions and raised hands) needs ``confirm``: without
    it nothing is written and the host is asked first. The last theme stays (``others``: the
    active themes besides this one)."""
    if not confirm and answers:
        return Removal(False, False, {"ok": False, "error": "confirm_needed", "answers": answers})
    if not others:
        raise Refused("last_theme")
    if not exists:
        raise Refused("unknown_theme")
    return Removal(True, current_theme == theme, {"ok": True})


def order_themes(active: Iterable[int], order: list[int]) -> list[tuple[int, int]]:
    """``(position, theme)`` for a new order; ``bad_order`` when a theme came or went since the
    host looked."""
    if sorted(active) != sorted(order):
        raise Refused("bad_order")
    return list(enumerate(order, start=1))


def set_results(
    results_hidden: bool, hidden_themes: Iterable[int], active: Iterable[int], theme: int | None, hidden: bool
) -> tuple[bool, frozenset]:
    """Hide or reveal results: of every theme at once (one press), or of one. Revealing one theme
    while all are hidden keeps every other theme (and the whole) hidden one by one. Returns the
    new ``(results_hidden, hidden_themes)``."""
    if theme is None:
        return hidden, frozenset()
    now = set(hidden_themes)
    if results_hidden and not hidden:
        now = {WHOLE, *active}
        results_hidden = False
    (now.add if hidden else now.discard)(theme)
    return results_hidden, frozenset(now)


def note_fields(actor: int, host: int, note: tuple[int, str, int] | None) -> tuple[int, str]:
    """The theme and field of a card note (``note``: theme, field, writer) that ``actor`` may
    change: its writer or the host."""
    if note is None:
        raise Refused("unknown_note")
    if actor not in (host, note[2]):
        raise Refused("not_yours")
    return note[0], note[1]


# -- retention -------------------------------------------------------------------------------

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def erasure_due(held_on: str, retention_days: int | None, default_days: int, created_at: float | None = None):
    """The moment (seconds since the epoch, UTC) a meeting's names, contact details and texts
    are erased: the start (UTC) of its day plus its retention days (``retention_days``, or
    ``default_days`` when it has none), so 0 days means at the next run. A day that cannot be
    read (an import written by hand) counts from ``created_at``, never as "never"; without
    ``created_at`` there is no moment (None)."""
    days = default_days if retention_days is None else retention_days
    start = None
    if isinstance(held_on, str) and _ISO_DAY.fullmatch(held_on):
        try:
            start = calendar.timegm(datetime.date.fromisoformat(held_on).timetuple())
        except ValueError:
            start = None
    if start is None:
        start = created_at
    return None if start is None else start + DAY * days


def erase_day(held_on: str, retention_days: int) -> str:
    """The ISO day on which a meeting held on ``held_on`` is erased, or "" when its day cannot be
    read (``erasure_due`` without a creation time)."""
    moment = erasure_due(held_on, retention_days, retention_days)
    if moment is None:
        return ""
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).date().isoformat()
