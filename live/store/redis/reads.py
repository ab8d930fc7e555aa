"""What the Redis store reads for the screens: meetings, tallies, answers, additions, notes.

A read whose parts must agree (a tally with its ``seq``, a page with its counts and version) is
one MULTI/EXEC: Redis runs it whole, between two writes. Tallies are counters kept by every write
(``keys``: ``tv``, ``tc``, ``tp``, ``to``), so reading one is a few HGETALLs, never a recount.

Themes are cached per meeting and version, like the SQLite store does; the version is read from
Redis on every call, since another worker may change the meeting at any moment. Nothing here
writes, and nothing here needs a thread of its own or a thread-local: a read may come from a
green thread or a plain one.
"""

from __future__ import annotations

import json

from live.domain import ORIGINS, Meeting, Theme, rules
from live.store.redis.actions import choice_of, places, screen_order
from live.store.redis.keys import CODES, RETIRED

ADDITION_STATUSES = ("pending", "shown", "hidden", "promoted", "merged")
# The meeting's fields a ``Meeting`` is made of, in the order ``meeting`` reads them.
MEETING_FIELDS = (
    "title", "place", "date", "phase", "version", "host_key_hash", "projector_key_hash",
    "created_at", "pace", "current_theme", "results_hidden", "hidden_themes", "choices_locked",
    "helper_key_hash", "wifi_name", "wifi_password", "welcome", "importing", "kind", "presenting",
)  # fmt: skip


def _kind(addition: dict, row: dict) -> dict:
    """An addition with its ``kind`` ("top" or "question"), when its row has one."""
    if row.get("kind"):
        addition["kind"] = row["kind"]
    return addition


def _int(raw) -> int | None:
    return None if raw in (None, "") else int(raw)


def _nonzero(counts: dict) -> dict:
    return {f: int(v) for f, v in counts.items() if int(v)}


class Reads:
    """The read side of ``RedisStore`` (it owns the theme cache ``_theme_cache``)."""

    def _tx(self):
        return self._r.pipeline(transaction=True)

    def meeting(self, code):
        k = self._keys(code)
        values = self._r.hmget(k.key("m"), MEETING_FIELDS)
        row = dict(zip(MEETING_FIELDS, values, strict=True))
        if row["phase"] is None or row["importing"] == "1":
            return None
        version = int(row["version"])
        cached = self._theme_cache.get(code)
        if cached is None or cached[0] != version:
            # Read with the version it belongs to; a newer version is cached by a later call.
            with self._tx() as pipe:
                pipe.hget(k.key("m"), "version").hgetall(k.key("themes"))
                raw_version, raw_themes = pipe.execute()
            if raw_version is None:
                return None
            themes_read = {int(t): json.loads(v) for t, v in raw_themes.items()}
            themes = [
                Theme(
                    t["id"],
                    t["title"],
                    t["description"],
                    t["from_addition"],
                    places(t["tables"]),
                    t["capacity"],
                )
                for t in screen_order(themes_read)
            ]
            merged = {
                t["id"]: t["merged_into"]
                for t in themes_read.values()
                if t["removed"] and t["merged_into"] is not None
            }
            cached = (int(raw_version), themes, merged)
            self._theme_cache[code] = cached
        return Meeting(
            code,
            row["title"],
            row["place"],
            row["date"],
            row["phase"],
            version,
            themes=cached[1],
            host_key_hash=row["host_key_hash"],
            projector_key_hash=row["projector_key_hash"],
            created_at=float(row["created_at"]),
            pace=row["pace"],
            current_theme=_int(row["current_theme"]),
            results_hidden=row["results_hidden"] == "1",
            hidden_themes=frozenset(int(t) for t in row["hidden_themes"].split(",") if t),
            choices_locked=row["choices_locked"] == "1",
            merged=cached[2],
            helper_key_hash=row["helper_key_hash"],
            wifi_name=row["wifi_name"],
            wifi_password=row["wifi_password"],
            welcome=row["welcome"] == "1",
            kind=row["kind"] or "avond",
            presenting=_int(row["presenting"]),
        )

    def seq(self, code):
        return int(self._r.get(self._keys(code).key("seq")) or 0)

    def _all_themes(self, code) -> dict[int, dict]:
        raw = self._r.hgetall(self._keys(code).key("themes"))
        return {int(t): json.loads(v) for t, v in raw.items()}

    def themes(self, code):
        rows = self._all_themes(code)
        alive = screen_order(rows)
        gone = sorted(
            (t for t in rows.values() if t["removed"]),
            key=lambda t: (t["id"] if t["position"] is None else t["position"], t["id"]),
        )
        keys = ("id", "title", "description", "from_addition", "removed", "merged_into")
        return [{**{key: t[key] for key in keys}, "removed": bool(t["removed"])} for t in alive + gone]

    def full_themes(self, code):
        k = self._keys(code)
        with self._tx() as pipe:
            pipe.hgetall(k.key("themes")).hgetall(k.key("tc"))
            raw_themes, counts = pipe.execute()
        themes = {int(t): json.loads(v) for t, v in raw_themes.items()}
        loads = [
            rules.ThemeLoad(t["id"], t["capacity"], int(counts.get(f"c:{t['id']}", 0)))
            for t in screen_order(themes)
        ]
        return rules.full_themes(loads)

    def notes(self, code, theme=None):
        rows = self._r.hgetall(self._keys(code).key("notes"))
        out = []
        for n in sorted(rows, key=int):
            note = json.loads(rows[n])
            if theme is None or note["theme"] == theme:
                out.append(
                    {"id": int(n), "theme": note["theme"], "field": note["field"], "text": note["text"]}
                )
        return out

    def participant(self, code, token_hash):
        return _int(self._r.hget(self._keys(code).key("tokens"), token_hash))

    def seen(self, code, actor, msg_id):
        raw = self._r.hget(self._keys(code).key("handled", actor), msg_id)
        return json.loads(raw) if raw else None

    def tally(self, code):
        k = self._keys(code)
        with self._tx() as pipe:
            for name in ("tv", "tc", "tp", "to", "hands"):
                pipe.hgetall(k.key(name))
            pipe.get(k.key("seq"))
            votes, chosen, pledged, people, hands, seq = pipe.execute()
        counts: dict[int, dict] = {}

        def row(theme):
            theme = int(theme)
            return counts.setdefault(
                theme, {"theme": theme, "yes": 0, "partly": 0, "no": 0, "chosen": 0, "pledged": 0}
            )

        for field, n in _nonzero(votes).items():
            theme, answer = field.split(":")
            row(theme)[answer] = n
        for field, n in _nonzero(chosen).items():
            if field.startswith("c:"):
                row(field[2:])["chosen"] = n
        for field, n in _nonzero(pledged).items():
            if field.startswith("p:"):
                row(field[2:])["pledged"] = n
            else:
                _r, theme, role = field.split(":")
                row(theme).setdefault("roles", {})[role] = n
        origins = dict.fromkeys(ORIGINS, 0)
        origins.update(_nonzero(people))
        hand_rows = []
        for field, n in hands.items():
            theme, answer = field.split(":")
            hand_rows.append({"theme": int(theme), "answer": answer, "count": int(n)})
        return {
            "participants": sum(origins.values()),
            "origins": origins,
            "themes": [counts[t] for t in sorted(counts)],
            "hands": hand_rows,
            "seq": int(seq or 0),
        }

    def answers(self, code, participant):
        k = self._keys(code)
        with self._tx() as pipe:
            pipe.hgetall(k.key("votes", participant))
            pipe.hget(k.key("choices"), str(participant))
            pipe.hgetall(k.key("pledges", participant))
            pipe.smembers(k.key("mine:a", participant))
            pipe.smembers(k.key("mine:n", participant))
            pipe.smembers(k.key("endorsing", participant))
            votes, choice, pledges, additions, notes, endorsed = pipe.execute()
        choice = choice_of(choice)
        with self._tx() as pipe:
            pipe.hmget(k.key("additions"), sorted(additions, key=int) or ["-"])
            pipe.hmget(k.key("notes"), sorted(notes, key=int) or ["-"])
            pipe.hget(k.key("themes"), str(choice[0]) if choice else "-")
            added, noted, theme = pipe.execute()
        keys = ("theme", "role", "name", "email", "phone", "contact_by", "share")
        rows = sorted(((int(t), json.loads(v)) for t, v in pledges.items()), key=lambda r: r[1]["consent_at"])
        mine = {
            "votes": dict(votes),
            "choice": choice[0] if choice else None,
            "table": rules.table_at(places(json.loads(theme)["tables"]), choice[1])
            if choice and theme
            else None,
            "pledges": [{key: ({**p, "theme": t}[key]) for key in keys} for t, p in rows],
            "additions": [
                _kind({"id": int(n), "theme": a["theme"], "text": a["text"], "status": a["status"]}, a)
                for n, a in zip(sorted(additions, key=int), map(_loads, added), strict=False)
                if a
            ],
            "notes": [
                {"id": int(n), "theme": a["theme"], "field": a["field"], "text": a["text"]}
                for n, a in zip(sorted(notes, key=int), map(_loads, noted), strict=False)
                if a
            ],
            "endorsed": sorted(int(a) for a in endorsed),
        }
        if choice and not theme:  # a choice of a theme that is not there (SQLite's join drops it)
            mine["choice"] = None
        # The newest pledge, as the first version's clients expect.
        mine["pledge"] = mine["pledges"][-1] if mine["pledges"] else None
        return mine

    def additions(self, code, shown_only=False):
        rows = self._additions(code)
        return [
            _kind({"id": n, "theme": a["theme"], "text": a["text"], "status": a["status"]}, a)
            for n, a in sorted(rows.items())
            if not shown_only or a["status"] == "shown"
        ]

    def _additions(self, code) -> dict[int, dict]:
        raw = self._r.hgetall(self._keys(code).key("additions"))
        return {int(n): json.loads(v) for n, v in raw.items()}

    def _with_endorsements(self, code, extra=()) -> tuple[dict[int, dict], dict[int, int], list]:
        """Every addition with how many recognise themselves in it, read at one moment, with the
        values of ``extra`` (``(method, key, *args)``) read in the same moment."""
        k = self._keys(code)
        while True:
            with self._tx() as pipe:
                raw = self._r.hkeys(k.key("additions"))
                pipe.hgetall(k.key("additions")).hgetall(k.key("ahands"))
                for n in raw:
                    pipe.scard(k.key("endorsed", n))
                for method, key, *args in extra:
                    getattr(pipe, method)(key, *args)
                replies = pipe.execute()
            rows, hands = replies[0], replies[1]
            if set(rows) == set(raw):  # no addition came or went between the two reads
                break
        taps = dict(zip(map(int, raw), replies[2 : 2 + len(raw)], strict=True))
        additions = {int(n): json.loads(v) for n, v in rows.items()}
        counts = {n: taps.get(n, 0) + int(hands.get(str(n), 0)) for n in additions}
        return additions, counts, replies[2 + len(raw) :]

    def additions_page(self, code, order="oldest", offset=0, limit=50, status=None):
        k = self._keys(code)
        rows, endorsed, (version, seq) = self._with_endorsements(
            code, [("hget", k.key("m"), "version"), ("get", k.key("seq"))]
        )
        counts = dict.fromkeys(ADDITION_STATUSES, 0)
        for a in rows.values():
            counts[a["status"]] += 1
        chosen = [n for n in sorted(rows) if status is None or rows[n]["status"] == status]
        if order == "newest":
            chosen.reverse()
        elif order == "endorsed":
            chosen.sort(key=lambda n: (-endorsed[n], n))
        page = chosen[offset:] if limit is None else chosen[offset : offset + limit]
        return {
            "additions": [self._addition_dict(n, rows[n], endorsed[n]) for n in page],
            "total": len(chosen),
            "counts": counts,
            "version": int(version or 0),
            "seq": int(seq or 0),
        }

    @staticmethod
    def _addition_dict(n, row, endorsements) -> dict:
        addition = {"id": n, "theme": row["theme"], "text": row["text"], "status": row["status"]}
        if row["status"] == "merged":
            addition["merged_into"] = row.get("merged_into")
        addition["endorsements"] = endorsements
        return _kind(addition, row)

    def addition(self, code, addition_id):
        k = self._keys(code)
        with self._tx() as pipe:
            pipe.hget(k.key("additions"), str(addition_id))
            pipe.scard(k.key("endorsed", addition_id))
            pipe.hget(k.key("ahands"), str(addition_id))
            pipe.hget(k.key("m"), "version")
            raw, taps, hands, version = pipe.execute()
        if raw is None or version is None:
            return None
        return {
            **self._addition_dict(addition_id, json.loads(raw), taps + int(hands or 0)),
            "version": int(version),
        }

    def endorsements(self, code):
        rows, counts, _ = self._with_endorsements(code)
        return {n: (a["theme"], counts[n]) for n, a in sorted(rows.items()) if a["status"] == "shown"}

    def meeting_record(self, code):
        fields = ("title", "place", "date", "held_on", "retention_days", "created_at", "phase", "importing")
        row = dict(zip(fields, self._r.hmget(self._keys(code).key("m"), fields), strict=True))
        if row["phase"] is None or row["importing"] == "1":
            return None
        del row["importing"]
        return {
            "code": code,
            **row,
            "retention_days": _int(row["retention_days"]),
            "created_at": float(row["created_at"]),
        }

    # -- a terugkombijeenkomst -----------------------------------------------------------------

    def groups(self, code):
        rows = self._r.hgetall(self._keys(code).key("groups"))
        keys = ("theme", "plan", "status", "called_on", "host_note", "origin")
        return [{key: json.loads(rows[t])[key] for key in keys} for t in sorted(rows, key=int)]

    def group_for_key(self, code, key_hash):
        if not key_hash:
            return None
        return _int(self._r.hget(self._keys(code).key("gkeys"), key_hash))

    def agreements(self, code):
        rows = self._r.hgetall(self._keys(code).key("agreements"))
        out = []
        for n in sorted(rows, key=int):
            row = json.loads(rows[n])
            if not row["removed"]:
                themes = [int(t) for t in row["themes"].split(",") if t]
                out.append(
                    {
                        "id": int(n),
                        "text": row["text"],
                        "themes": themes,
                        "who": row["who"],
                        "due": row["due"],
                    }
                )
        return out

    def deleted(self, code):
        return self._r.hget(self._g(CODES), code) == RETIRED


def _loads(raw):
    return json.loads(raw) if raw else None
