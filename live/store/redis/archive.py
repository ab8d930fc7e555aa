"""A whole meeting out of and into the Redis store: the export read and the import steps.

The export reads every key of one meeting in one MULTI/EXEC (watching the participant and
addition lists it derived the keys from), and hands back the same tables and columns as the SQLite
store (docs/export.md), so an archive moves between the two. An import writes a meeting in steps,
each its own MULTI/EXEC, with the counters a tally reads; the meeting stays unseen (``importing``)
until ``import_finish``. What an archive may hold is checked before it gets here
(``live.exports.archive``); this module checks the columns and value types, and stores.
"""

from __future__ import annotations

import json
import secrets
import time

import redis

from live.store.redis.actions import checked, group_row, theme_row
from live.store.redis.keys import BLOCKS, CODES, ID_BLOCK, LIVE

# The columns of each table an archive may hold (the SQLite store's, less its bookkeeping), and
# the ones a row must have.
COLUMNS = {
    "meetings": {
        "title", "place", "date", "phase", "version", "created_at", "pace", "current_theme",
        "results_hidden", "hidden_themes", "choices_locked", "wifi_name", "wifi_password", "welcome",
        "held_on", "retention_days", "host_key_hash", "projector_key_hash", "helper_key_hash",
        "importing", "code", "kind", "presenting",
    },
    "themes": {"id", "title", "description", "position", "removed", "from_addition", "tables", "capacity",
               "merged_into", "follow_up"},
    "participants": {"id", "created_at", "origin", "token_hash"},
    "votes": {"participant", "theme", "answer"},
    "choices": {"participant", "theme", "seat"},
    "pledges": {
        "participant", "theme", "role", "name", "email", "phone", "consent_at", "contact_by", "share",
    },
    "notes": {"id", "theme", "field", "participant", "text", "created_at"},
    "additions": {"id", "participant", "theme", "text", "status", "created_at", "merged_into", "kind"},
    "manual_counts": {"theme", "answer", "count"},
    "endorsements": {"addition", "participant"},
    "addition_hands": {"addition", "count"},
    "groups": {"theme", "key_hash", "plan", "status", "called_on", "host_note", "origin"},
    "agreements": {"id", "text", "themes", "who", "due", "removed", "created_at"},
}  # fmt: skip
REQUIRED = {
    "meetings": {"title", "created_at"},
    "themes": {"id", "title"},
    "participants": {"created_at"},
    "votes": {"participant", "theme", "answer"},
    "choices": {"participant", "theme"},
    "pledges": {"participant", "theme", "role", "name", "email", "phone", "consent_at"},
    "notes": {"theme", "field", "participant", "text", "created_at"},
    "additions": {"participant", "theme", "text", "created_at"},
    "manual_counts": {"theme", "answer", "count"},
    "endorsements": {"addition", "participant"},
    "addition_hands": {"addition", "count"},
    "groups": {"theme"},
    "agreements": {"id", "text"},
}
# The meeting's fields in the export, and the ones kept as numbers.
EXPORTED = (
    "title", "place", "date", "phase", "version", "created_at", "pace", "current_theme",
    "results_hidden", "hidden_themes", "choices_locked", "wifi_name", "wifi_password", "welcome",
    "held_on", "retention_days", "kind", "presenting",
)  # fmt: skip
NUMBERS = {"version": int, "created_at": float, "current_theme": int, "results_hidden": int,
           "choices_locked": int, "welcome": int, "retention_days": int, "presenting": int}  # fmt: skip
MEETING_DEFAULTS = {
    "place": "", "date": "", "phase": "lobby", "version": 1, "pace": "all", "current_theme": "",
    "results_hidden": 0, "hidden_themes": "", "choices_locked": 0, "wifi_name": "", "wifi_password": "",
    "welcome": 0, "held_on": "", "retention_days": "", "kind": "avond", "presenting": "",
}  # fmt: skip


def _valid(table: str, row: dict) -> dict:
    """The row if this table can hold it, else ``ValueError``."""
    if not isinstance(row, dict):
        raise ValueError(f"a row of {table} is not an object")
    unknown = set(row) - COLUMNS[table]
    if unknown:
        raise ValueError(f"unknown columns for {table}: {sorted(unknown)}")
    missing = {c for c in REQUIRED[table] if row.get(c) is None}
    if missing:
        raise ValueError(f"missing columns for {table}: {sorted(missing)}")
    for value in row.values():
        if not (value is None or isinstance(value, (int, float, str))) or isinstance(value, bool):
            raise ValueError(f"a value for {table} is not a number or text")
    try:
        checked(row)
    except (OverflowError, UnicodeError) as exc:
        raise ValueError(f"a value for {table} cannot be stored") from exc
    return row


def _number(name, raw):
    if raw in (None, ""):
        return None
    return NUMBERS[name](float(raw)) if NUMBERS[name] is int else float(raw)


class Archive:
    """Export and import for ``RedisStore``."""

    def export_meeting(self, code):
        k = self._keys(code)
        while True:
            with self._r.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(k.key("people"), k.key("additions"))
                    people = sorted(map(int, pipe.hkeys(k.key("people"))))
                    additions = sorted(map(int, pipe.hkeys(k.key("additions"))))
                    pipe.multi()
                    for name in ("m", "themes", "people", "choices", "notes", "additions", "hands", "ahands"):
                        pipe.hgetall(k.key(name))
                    pipe.hgetall(k.key("groups")).hgetall(k.key("agreements"))
                    for p in people:
                        pipe.hgetall(k.key("votes", p)).hgetall(k.key("pledges", p))
                    for a in additions:
                        pipe.smembers(k.key("endorsed", a))
                    replies = pipe.execute()
                    break
                except redis.WatchError:
                    continue
        m, themes, rows, choices, notes, added, hands, ahands, groups, agreements = replies[:10]
        if not m or m.get("importing") == "1":
            return None
        per_person = replies[10 : 10 + 2 * len(people)]
        endorsed = replies[10 + 2 * len(people) :]
        meeting = {"code": code}
        for name in EXPORTED:
            meeting[name] = _number(name, m.get(name)) if name in NUMBERS else m.get(name, "")
        meeting["kind"] = meeting["kind"] or "avond"
        out = {"meeting": meeting}
        out["themes"] = [json.loads(themes[t]) for t in sorted(themes, key=int)]
        out["participants"] = [{"id": p, **json.loads(rows[str(p)])} for p in people]
        out["votes"], out["pledges"] = [], []
        for n, p in enumerate(people):
            votes, pledges = per_person[2 * n], per_person[2 * n + 1]
            out["votes"] += [
                {"participant": p, "theme": int(t), "answer": a} for t, a in sorted(votes.items())
            ]
            for t in sorted(pledges, key=int):
                row = json.loads(pledges[t])
                out["pledges"].append({"participant": p, "theme": int(t), **row, "share": int(row["share"])})
        out["choices"] = []
        for p in sorted(choices, key=int):
            theme, seat = map(int, choices[p].split(":"))
            out["choices"].append({"participant": int(p), "theme": theme, "seat": seat})
        out["notes"] = [{"id": int(n), **json.loads(notes[n])} for n in sorted(notes, key=int)]
        out["additions"] = [
            {"id": int(n), "merged_into": None, "kind": "", **json.loads(added[n])}
            for n in sorted(added, key=int)
        ]
        out["manual_counts"] = [
            {"theme": int(f.split(":")[0]), "answer": f.split(":")[1], "count": int(c)}
            for f, c in hands.items()
        ]
        out["endorsements"] = [
            {"addition": a, "participant": int(p)}
            for a, members in zip(additions, endorsed, strict=True)
            for p in sorted(members, key=int)
        ]
        out["addition_hands"] = [{"addition": int(a), "count": int(c)} for a, c in ahands.items()]
        out["groups"] = [
            {c: v for c, v in json.loads(groups[t]).items() if c != "key_hash"}
            for t in sorted(groups, key=int)
        ]
        out["agreements"] = [json.loads(agreements[n]) for n in sorted(agreements, key=int)]
        return out

    def import_begin(self, code, meeting, host_key_hash, projector_key_hash, helper_key_hash):
        row = _valid("meetings", dict(meeting))
        if not self._r.hsetnx(self._g(CODES), code, LIVE):
            return False
        fields = {**MEETING_DEFAULTS, **{c: v for c, v in row.items() if c != "code"}}
        fields.update(
            host_key_hash=host_key_hash,
            projector_key_hash=projector_key_hash,
            helper_key_hash=helper_key_hash,
            importing=1,
            import_at=time.time(),
        )
        k = self._keys(code)
        first = self._r.incr(self._g(BLOCKS)) * ID_BLOCK
        pipe = self._r.pipeline(transaction=True)
        pipe.hset(k.key("ids"), mapping=dict.fromkeys(("participant", "addition", "note"), first))
        pipe.hset(k.key("m"), mapping={c: ("" if v is None else v) for c, v in fields.items()})
        pipe.set(k.key("seq"), 1)
        pipe.execute()
        return True

    def import_rows(self, code, table, rows):
        if table not in COLUMNS or table == "meetings":
            raise ValueError(f"not a table of a meeting: {table!r}")
        rows = [_valid(table, row) for row in rows]
        k = self._keys(code)
        if self._r.hget(k.key("m"), "importing") != "1":
            raise ValueError("no import under way for this code")
        # Still going: another worker starting now leaves this import alone (``STALE_IMPORT``).
        self._r.hset(k.key("m"), "import_at", time.time())
        ids: list[int] = []
        pipe = self._r.pipeline(transaction=True)
        if table in ("participants", "additions", "notes"):
            name = table[:-1] if table != "additions" else "addition"
            for row in rows:
                if row.get("id") is None:
                    ids.append(self._r.hincrby(k.key("ids"), name, 1))
                else:  # an id of its own: the counter never gives it out again
                    ids.append(int(row["id"]))
                    current = int(self._r.hget(k.key("ids"), name) or 0)
                    if current < ids[-1]:
                        self._r.hset(k.key("ids"), name, ids[-1])
        for n, row in enumerate(rows):
            self._import_row(pipe, k, table, row, ids[n] if ids else None)
        pipe.execute()
        return ids

    @staticmethod
    def _import_row(pipe, k, table, row, new_id) -> None:
        """Queue one row's writes, with the counters a tally reads."""
        if table == "themes":
            kept = {**theme_row(row["id"], row["title"]), **row}
            pipe.hset(k.key("themes"), str(row["id"]), json.dumps(kept))
        elif table == "participants":
            # A random token hash no phone has: old phones cannot come back here anyway.
            origin = row.get("origin") or "phone"
            pipe.hset(k.key("tokens"), secrets.token_hex(32), new_id)
            pipe.hset(
                k.key("people"), str(new_id), json.dumps({"created_at": row["created_at"], "origin": origin})
            )
            pipe.hincrby(k.key("to"), origin, 1)
        elif table == "votes":
            pipe.hset(k.key("votes", row["participant"]), str(row["theme"]), row["answer"])
            pipe.hincrby(k.key("tv"), f"{row['theme']}:{row['answer']}", 1)
        elif table == "choices":
            seat = row.get("seat") or 0
            pipe.hset(k.key("choices"), str(row["participant"]), f"{row['theme']}:{seat}")
            pipe.hincrby(k.key("tc"), f"c:{row['theme']}", 1)
            pipe.hincrby(k.key("tc"), f"s:{row['theme']}:{seat}", 1)
        elif table == "pledges":
            kept = {c: row.get(c) for c in ("role", "name", "email", "phone", "consent_at")}
            kept.update(contact_by=row.get("contact_by") or "", share=bool(row.get("share")))
            pipe.hset(k.key("pledges", row["participant"]), str(row["theme"]), json.dumps(kept))
            pipe.hincrby(k.key("tp"), f"p:{row['theme']}", 1)
            pipe.hincrby(k.key("tp"), f"r:{row['theme']}:{row['role']}", 1)
        elif table == "notes":
            kept = {c: row[c] for c in ("theme", "field", "participant", "text", "created_at")}
            pipe.hset(k.key("notes"), str(new_id), json.dumps(kept))
            pipe.sadd(k.key("mine:n", row["participant"]), new_id)
        elif table == "additions":
            kept = {c: row[c] for c in ("participant", "theme", "text", "created_at")}
            kept.update(status=row.get("status") or "pending", merged_into=row.get("merged_into"))
            if row.get("kind"):
                kept["kind"] = row["kind"]
            pipe.hset(k.key("additions"), str(new_id), json.dumps(kept))
            pipe.sadd(k.key("mine:a", row["participant"]), new_id)
        elif table == "manual_counts":
            pipe.hset(k.key("hands"), f"{row['theme']}:{row['answer']}", row["count"])
        elif table == "endorsements":
            pipe.sadd(k.key("endorsed", row["addition"]), row["participant"])
            pipe.sadd(k.key("endorsing", row["participant"]), row["addition"])
        elif table == "addition_hands":
            pipe.hset(k.key("ahands"), str(row["addition"]), row["count"])
        elif table == "groups":
            kept = group_row(row)
            pipe.hset(k.key("groups"), str(row["theme"]), json.dumps(kept))
            if kept["key_hash"]:
                pipe.hset(k.key("gkeys"), kept["key_hash"], row["theme"])
        elif table == "agreements":
            kept = {"themes": "", "who": "", "due": "", "removed": 0, "created_at": 0, **row}
            pipe.hset(k.key("agreements"), str(row["id"]), json.dumps(kept))

    def import_links(self, code, links):
        k = self._keys(code)
        key = k.key("additions")
        links = [(int(checked(a)), int(checked(into))) for a, into in links]
        while True:
            with self._r.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(key)
                    rows = pipe.hmget(key, [str(a) for a, _into in links]) if links else []
                    pipe.multi()
                    for (addition, into), raw in zip(links, rows, strict=True):
                        if raw is not None:
                            pipe.hset(
                                key, str(addition), json.dumps({**json.loads(raw), "merged_into": into})
                            )
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue

    def import_finish(self, code):
        k = self._keys(code)
        while True:
            with self._r.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(k.key("m"))
                    if pipe.hget(k.key("m"), "importing") != "1":
                        return False
                    pipe.multi()
                    pipe.hset(k.key("m"), "importing", 0)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue

    def import_abort(self, code):
        k = self._keys(code)
        if self._r.hget(k.key("m"), "importing") != "1":
            return
        self._drop_keys(code)
        self._r.hdel(self._g(CODES), code)  # no tombstone: it never existed
