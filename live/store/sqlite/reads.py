"""What the SQLite store reads for the screens: meetings, tallies, answers, additions, pledges.

Reads go through the second connection (``_r``) under the event loop's lock; a read whose parts
must agree (a tally, a page with its counts) is one read transaction. Nothing here writes, and
the writer's thread never reads here (``WRITING``).
"""

from __future__ import annotations

import json

from live.domain import ORIGINS, Meeting, Theme, rules
from live.store import WRITING
from live.store.sqlite.schema import places

ADDITION_STATUSES = ("pending", "shown", "hidden", "promoted", "merged")

# How many people recognise themselves in addition ``a`` (taps and raised hands); a merged one's
# count lives with its root.
ENDORSED = (
    "(SELECT count(*) FROM endorsements e WHERE e.code = a.code AND e.addition = a.id)"
    " + coalesce((SELECT h.count FROM addition_hands h WHERE h.code = a.code AND h.addition = a.id), 0)"
)

# Every active theme of meeting ?1 in screen order: its capacity and, when it has one, how many
# chose it (``rules.ThemeLoad``).
LOADS = (
    "SELECT t.id, t.capacity, CASE WHEN t.capacity IS NULL THEN 0 ELSE"
    " (SELECT count(*) FROM choices c WHERE c.code = t.code AND c.theme = t.id) END"
    " FROM themes t WHERE t.code = ?1 AND t.removed = 0 ORDER BY coalesce(t.position, t.id), t.id"
)


def addition_dict(row) -> dict:
    """An addition as the protocol has it (``row``: id, theme, text, status, merged_into,
    endorsements, kind); a merged one also names the addition it went into, a top or question
    of a terugkombijeenkomst its ``kind``."""
    addition = dict(zip(("id", "theme", "text", "status"), row[:4], strict=True))
    if addition["status"] == "merged":
        addition["merged_into"] = row[4]
    addition["endorsements"] = row[5]
    return with_kind(addition, row[6])


def with_kind(addition: dict, kind: str) -> dict:
    """An addition with its ``kind`` ("top" or "question"), when it has one."""
    if kind:
        addition["kind"] = kind
    return addition


def group_row(row) -> dict:
    """A group as the store hands it out (``row``: theme, plan, status, called_on, host_note, origin)."""
    return dict(zip(("theme", "plan", "status", "called_on", "host_note", "origin"), row, strict=True))


def agreement_dict(row) -> dict:
    """An agreement as the protocol has it (``row``: id, text, themes, who, due)."""
    agreement = dict(zip(("id", "text", "themes", "who", "due"), row, strict=True))
    agreement["themes"] = [int(t) for t in agreement["themes"].split(",") if t]
    return agreement


class Reads:
    """The read side of ``SQLiteStore`` (it owns ``_r``, ``_r_lock`` and the theme cache)."""

    def _read(self, sql: str, args=()) -> list[tuple]:
        if getattr(WRITING, "active", False):
            # The read lock is the event loop's (a green lock): taken from the writer's thread it
            # kills that thread and every write after it. Fail loudly instead, in tests too.
            raise RuntimeError("the writer's thread read through the event loop's connection")
        with self._r_lock:
            return self._r.execute(sql, args).fetchall()

    def meeting(self, code):
        rows = self._read(
            "SELECT code, title, place, date, phase, version, host_key_hash, projector_key_hash,"
            " created_at, pace, current_theme, results_hidden, hidden_themes, choices_locked,"
            " helper_key_hash, wifi_name, wifi_password, welcome, kind, presenting"
            " FROM meetings WHERE code = ? AND importing = 0",
            (code,),
        )
        if not rows:
            return None
        row = rows[0]
        version = row[5]
        cached = self._themes.get(code)
        if cached is None or cached[0] != version:
            # Themes change only with the meeting's version: cached per process until it moves.
            themes, merged = [], {}
            for theme_id, title, description, origin, tables, capacity, removed, into in self._read(
                "SELECT id, title, description, from_addition, tables, capacity, removed, merged_into"
                " FROM themes WHERE code = ? ORDER BY coalesce(position, id), id",
                (code,),
            ):
                if not removed:
                    themes.append(Theme(theme_id, title, description, origin, places(tables), capacity))
                elif into is not None:
                    merged[theme_id] = into
            cached = self._themes[code] = (version, themes, merged)
        return Meeting(
            *row[:6],
            themes=cached[1],
            host_key_hash=row[6],
            projector_key_hash=row[7],
            created_at=row[8],
            pace=row[9],
            current_theme=row[10],
            results_hidden=bool(row[11]),
            hidden_themes=frozenset(int(t) for t in row[12].split(",") if t),
            choices_locked=bool(row[13]),
            merged=cached[2],
            helper_key_hash=row[14],
            wifi_name=row[15],
            wifi_password=row[16],
            welcome=bool(row[17]),
            kind=row[18],
            presenting=row[19],
        )

    def seq(self, code):
        rows = self._read("SELECT seq FROM meetings WHERE code = ?", (code,))
        return rows[0][0] if rows else 0

    def themes(self, code):
        rows = self._read(
            "SELECT id, title, description, from_addition, removed, merged_into FROM themes WHERE code = ?"
            " ORDER BY removed, coalesce(position, id), id",
            (code,),
        )
        keys = ("id", "title", "description", "from_addition", "removed", "merged_into")
        return [{**dict(zip(keys, row, strict=True)), "removed": bool(row[4])} for row in rows]

    def full_themes(self, code):
        loads = [rules.ThemeLoad(*row) for row in self._read(LOADS, (code,))]
        return rules.full_themes(loads)

    def notes(self, code, theme=None):
        sql = "SELECT id, theme, field, text FROM notes WHERE code = ?"
        args = (code,) if theme is None else (code, theme)
        rows = self._read(sql + (" AND theme = ?" if theme is not None else "") + " ORDER BY id", args)
        return [{"id": i, "theme": t, "field": f, "text": text} for i, t, f, text in rows]

    def participant(self, code, token_hash):
        rows = self._read("SELECT id FROM participants WHERE code = ? AND token_hash = ?", (code, token_hash))
        return rows[0][0] if rows else None

    def seen(self, code, actor, msg_id):
        rows = self._read(
            "SELECT result FROM handled WHERE code = ? AND actor = ? AND msg_id = ?",
            (code, actor, msg_id),
        )
        return json.loads(rows[0][0]) if rows else None

    def tally(self, code):
        counts: dict[int, dict] = {}

        def row(theme):
            return counts.setdefault(
                theme, {"theme": theme, "yes": 0, "partly": 0, "no": 0, "chosen": 0, "pledged": 0}
            )

        with self._r_lock:
            # One read transaction so the counts agree with each other and with their number.
            self._r.execute("BEGIN")
            try:
                (seq,) = self._r.execute("SELECT seq FROM meetings WHERE code = ?", (code,)).fetchone() or (
                    0,
                )
                for theme, answer, n in self._r.execute(
                    "SELECT theme, answer, count(*) FROM votes WHERE code = ? GROUP BY theme, answer",
                    (code,),
                ):
                    row(theme)[answer] = n
                for theme, n in self._r.execute(
                    "SELECT theme, count(*) FROM choices WHERE code = ? GROUP BY theme", (code,)
                ):
                    row(theme)["chosen"] = n
                for theme, role, n in self._r.execute(
                    "SELECT theme, role, count(*) FROM pledges WHERE code = ? GROUP BY theme, role", (code,)
                ):
                    row(theme)["pledged"] += n
                    row(theme).setdefault("roles", {})[role] = n
                origins = dict.fromkeys(ORIGINS, 0)
                origins.update(
                    self._r.execute(
                        "SELECT origin, count(*) FROM participants WHERE code = ? GROUP BY origin", (code,)
                    ).fetchall()
                )
                participants = sum(origins.values())
                hands = [
                    {"theme": theme, "answer": answer, "count": n}
                    for theme, answer, n in self._r.execute(
                        "SELECT theme, answer, count FROM manual_counts WHERE code = ?", (code,)
                    )
                ]
            finally:
                self._r.execute("COMMIT")
        return {
            "participants": participants,
            "origins": origins,
            "themes": [counts[k] for k in sorted(counts)],
            "hands": hands,
            "seq": seq,
        }

    def answers(self, code, participant):
        votes = self._read(
            "SELECT theme, answer FROM votes WHERE code = ? AND participant = ?", (code, participant)
        )
        choice = self._read(
            "SELECT c.theme, c.seat, t.tables FROM choices c"
            " JOIN themes t ON t.code = c.code AND t.id = c.theme WHERE c.code = ? AND c.participant = ?",
            (code, participant),
        )
        pledges = self._read(
            "SELECT theme, role, name, email, phone, contact_by, share FROM pledges"
            " WHERE code = ? AND participant = ? ORDER BY consent_at",
            (code, participant),
        )
        additions = self._read(
            "SELECT id, theme, text, status, kind FROM additions"
            " WHERE code = ? AND participant = ? ORDER BY id",
            (code, participant),
        )
        notes = self._read(
            "SELECT id, theme, field, text FROM notes WHERE code = ? AND participant = ? ORDER BY id",
            (code, participant),
        )
        endorsed = self._read(
            "SELECT addition FROM endorsements WHERE code = ? AND participant = ? ORDER BY addition",
            (code, participant),
        )
        keys = ("theme", "role", "name", "email", "phone", "contact_by", "share")
        mine = {
            "votes": {str(theme): answer for theme, answer in votes},
            "choice": choice[0][0] if choice else None,
            "table": rules.table_at(places(choice[0][2]), choice[0][1]) if choice else None,
            "pledges": [{**dict(zip(keys, row, strict=True)), "share": bool(row[6])} for row in pledges],
            "additions": [
                with_kind({"id": i, "theme": t, "text": text, "status": s}, kind)
                for i, t, text, s, kind in additions
            ],
            "notes": [{"id": i, "theme": t, "field": f, "text": text} for i, t, f, text in notes],
            "endorsed": [addition for (addition,) in endorsed],
        }
        # The newest pledge, as the first version's clients expect.
        mine["pledge"] = mine["pledges"][-1] if mine["pledges"] else None
        return mine

    def additions(self, code, shown_only=False):
        sql = "SELECT id, theme, text, status, kind FROM additions WHERE code = ?"
        if shown_only:
            sql += " AND status = 'shown'"
        rows = self._read(sql + " ORDER BY id", (code,))
        return [with_kind({"id": i, "theme": t, "text": text, "status": s}, k) for i, t, text, s, k in rows]

    def additions_page(self, code, order="oldest", offset=0, limit=50, status=None):
        where = "code = ?" + (" AND status = ?" if status else "")
        args = (code, status) if status else (code,)
        direction = "DESC" if order == "newest" else "ASC"
        with self._r_lock:
            # One read transaction: the page, the counts, the version and the seq agree.
            self._r.execute("BEGIN")
            try:
                (version, seq) = self._r.execute(
                    "SELECT version, seq FROM meetings WHERE code = ?", (code,)
                ).fetchone() or (0, 0)
                counts = dict.fromkeys(ADDITION_STATUSES, 0)
                counts.update(
                    self._r.execute(
                        "SELECT status, count(*) FROM additions WHERE code = ? GROUP BY status", (code,)
                    ).fetchall()
                )
                ordering = f"{ENDORSED} DESC, id" if order == "endorsed" else f"id {direction}"
                rows = self._r.execute(
                    f"SELECT id, theme, text, status, merged_into, {ENDORSED}, kind FROM additions a"
                    f" WHERE {where} ORDER BY {ordering} LIMIT ? OFFSET ?",
                    (*args, -1 if limit is None else limit, offset),
                ).fetchall()
            finally:
                self._r.execute("COMMIT")
        total = counts[status] if status else sum(counts.values())
        return {
            "additions": [addition_dict(row) for row in rows],
            "total": total,
            "counts": counts,
            "version": version,
            "seq": seq,
        }

    def addition(self, code, addition_id):
        rows = self._read(
            f"SELECT a.id, a.theme, a.text, a.status, a.merged_into, {ENDORSED}, a.kind, m.version"
            " FROM additions a JOIN meetings m ON m.code = a.code WHERE a.code = ? AND a.id = ?",
            (code, addition_id),
        )
        if not rows:
            return None
        return {**addition_dict(rows[0]), "version": rows[0][7]}

    def endorsements(self, code):
        rows = self._read(
            f"SELECT a.id, a.theme, {ENDORSED} FROM additions a WHERE a.code = ? AND a.status = 'shown'",
            (code,),
        )
        return {addition: (theme, count) for addition, theme, count in rows}

    def pledges(self, code):
        rows = self._read(
            "SELECT p.theme, p.role, p.name, p.email, p.phone, p.consent_at, p.contact_by, p.share,"
            " p.participant, coalesce(a.origin, 'phone') FROM pledges p"
            " LEFT JOIN participants a ON a.id = p.participant"
            " WHERE p.code = ? ORDER BY p.theme, p.participant",
            (code,),
        )
        keys = ("theme", "role", "name", "email", "phone", "consent_at", "contact_by", "share", "participant")
        keys += ("origin",)
        return [{**dict(zip(keys, row, strict=True)), "share": bool(row[7])} for row in rows]

    def meeting_record(self, code):
        rows = self._read(
            "SELECT code, title, place, date, held_on, retention_days, created_at, phase"
            " FROM meetings WHERE code = ? AND importing = 0",
            (code,),
        )
        keys = ("code", "title", "place", "date", "held_on", "retention_days", "created_at", "phase")
        return dict(zip(keys, rows[0], strict=True)) if rows else None

    # -- a terugkombijeenkomst -----------------------------------------------------------------

    def groups(self, code):
        rows = self._read(
            "SELECT theme, plan, status, called_on, host_note, origin FROM groups"
            " WHERE code = ? ORDER BY theme",
            (code,),
        )
        return [group_row(row) for row in rows]

    def group_for_key(self, code, key_hash):
        if not key_hash:
            return None
        rows = self._read("SELECT theme FROM groups WHERE code = ? AND key_hash = ?", (code, key_hash))
        return rows[0][0] if rows else None

    def agreements(self, code):
        rows = self._read(
            "SELECT id, text, themes, who, due FROM agreements WHERE code = ? AND removed = 0 ORDER BY id",
            (code,),
        )
        return [agreement_dict(row) for row in rows]

    def deleted(self, code):
        return bool(self._read("SELECT 1 FROM deleted_codes WHERE code = ?", (code,)))
