"""Personal data leaving the Redis store: erasure after retention, deleting a meeting, old acks.

An erasure blanks names, contact details, addition texts and card notes in the meeting's keys;
deleting a meeting removes every key it has. Either way the old texts would stay in Redis's
append-only file, which logs every command, until that file is rewritten: so each one ends with
``BGREWRITEAOF`` (an "already in progress" answer is fine: that rewrite starts after our writes
and so does not hold them). When a meeting is due is the domain's rule (``rules.erasure_due``);
this module only finds the meetings it names and erases them.
"""

from __future__ import annotations

import json
import logging

import redis

from live.domain import rules, terugkom
from live.store.redis.keys import CODES, LIVE, RETIRED

log = logging.getLogger("live.store.redis")


class Erasure:
    """Erasure and deletion for ``RedisStore``."""

    def _live_codes(self) -> list[str]:
        return sorted(code for code, state in self._r.hgetall(self._g(CODES)).items() if state == LIVE)

    def erase_due(self, now, default_days):
        self._abort_imports()  # one a stopped worker left behind
        codes = self._live_codes()
        pipe = self._r.pipeline(transaction=False)
        for code in codes:
            pipe.hmget(self._keys(code).key("m"), ["held_on", "retention_days", "created_at"])
        due = []
        for code, (held_on, days, created_at) in zip(codes, pipe.execute(), strict=True):
            if created_at is None:
                continue
            days = None if days in (None, "") else int(days)
            if rules.erasure_due(held_on or "", days, default_days, float(created_at)) <= now:
                due.append(code)
        erased = sum(self._erase(code) for code in due)
        if erased:
            self._rewrite_log()
        return erased

    def _erase(self, code) -> int:
        """Blank the personal texts of one meeting in one watched transaction; how many rows."""
        k = self._keys(code)
        while True:
            with self._r.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(
                        k.key("people"),
                        k.key("additions"),
                        k.key("notes"),
                        k.key("groups"),
                        k.key("agreements"),
                    )
                    people = pipe.hkeys(k.key("people"))
                    pledge_keys = [k.key("pledges", p) for p in people]
                    if pledge_keys:
                        pipe.watch(*pledge_keys)
                    reads = self._r.pipeline(transaction=False)
                    for key in pledge_keys:
                        reads.hgetall(key)
                    pledges = reads.execute()
                    additions = pipe.hgetall(k.key("additions"))
                    notes = pipe.hgetall(k.key("notes"))
                    groups = pipe.hgetall(k.key("groups"))
                    agreements = pipe.hgetall(k.key("agreements"))
                    writes = []
                    # A terugkombijeenkomst: plans, call notes, the members and card a group
                    # brought, and who carries out an agreement.
                    for n, raw in groups.items():
                        row = json.loads(raw)
                        blank = {
                            **row,
                            "plan": "",
                            "host_note": "",
                            "origin": terugkom.erased_origin(row["origin"]),
                        }
                        if blank != row:
                            writes.append((k.key("groups"), n, blank))
                    for n, raw in agreements.items():
                        row = json.loads(raw)
                        if row["who"]:
                            writes.append((k.key("agreements"), n, {**row, "who": ""}))
                    for key, rows in zip(pledge_keys, pledges, strict=True):
                        for theme, raw in rows.items():
                            row = json.loads(raw)
                            if row["name"] or row["email"] or row["phone"]:
                                writes.append((key, theme, {**row, "name": "", "email": "", "phone": ""}))
                    for name, rows in (("additions", additions), ("notes", notes)):
                        for n, raw in rows.items():
                            row = json.loads(raw)
                            if row["text"]:
                                writes.append((k.key(name), n, {**row, "text": ""}))
                    pipe.multi()
                    for key, field, row in writes:
                        pipe.hset(key, field, json.dumps(row))
                    if writes:  # what the screens show changed (blank texts): their number moves on
                        pipe.incr(k.key("seq"))
                    pipe.execute()
                    return len(writes)
                except redis.WatchError:
                    continue

    def prune_handled(self, before):
        pruned = 0
        for code in self._live_codes():
            k = self._keys(code)
            old = self._r.zrangebyscore(k.key("handled_at"), "-inf", f"({before!r}")
            if not old:
                continue
            pipe = self._r.pipeline(transaction=True)
            for member in old:
                actor, msg_id = member.split(":", 1)
                pipe.hdel(k.key("handled", actor), msg_id)
            pipe.zrem(k.key("handled_at"), *old)
            pipe.execute()
            pruned += len(old)
        return pruned

    def delete_meeting(self, code):
        k = self._keys(code)
        if not self._r.exists(k.key("m")):
            return 0
        # Retired first: from now on no create or import may take the code again.
        self._r.hset(self._g(CODES), code, RETIRED)
        deleted = self._drop_keys(code)
        self._theme_cache.pop(code, None)
        self._rewrite_log()
        return deleted

    def _drop_keys(self, code) -> int:
        """Delete every key of a meeting in one watched transaction; how many rows they held."""
        k = self._keys(code)
        while True:
            with self._r.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(k.key("people"), k.key("additions"))
                    people = pipe.hkeys(k.key("people"))
                    additions = pipe.hkeys(k.key("additions"))
                    keys = k.every_key(people, additions, pipe.hkeys(k.key("groups")))
                    sizes = self._r.pipeline(transaction=False)
                    for key in keys:
                        sizes.type(key)
                    kinds = sizes.execute()
                    for key, kind in zip(keys, kinds, strict=True):
                        if kind in ("hash", "set", "zset"):
                            getattr(sizes, {"hash": "hlen", "set": "scard", "zset": "zcard"}[kind])(key)
                    rows = sum(sizes.execute())
                    pipe.multi()
                    for start in range(0, len(keys), 500):
                        pipe.delete(*keys[start : start + 500])
                    pipe.execute()
                    return rows + 1  # and the meeting itself
                except redis.WatchError:
                    continue

    def _rewrite_log(self) -> None:
        """Have Redis rewrite its append-only file, so erased texts leave the disk too (a server
        that keeps no such file, ``appendonly no``, has nothing to rewrite)."""
        if self._aof is False:
            return
        try:
            self._r.bgrewriteaof()
        except redis.ResponseError as exc:
            if "already in progress" not in str(exc):
                log.warning("Redis did not rewrite its append-only file: %s", exc)
