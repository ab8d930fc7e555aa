"""The Redis store's writes: a batch of actions, a new meeting, and the host's hand-off settings.

A batch goes to Redis in as few round trips as it can: the hot attendee actions of each meeting
run as one ``scripts.BATCH`` call per meeting, all of them pipelined in one round trip. Every other
action is a watched transaction: WATCH the keys it reads, read, ask the rule in
``live.domain.rules`` what to write and what to answer, then MULTI/EXEC the writes with the ack
under the message id and the ``seq`` bump; when another worker touched a watched key first, EXEC
fails and the action is read and decided again. So the domain decides and Redis only guards that
what it decided on has not moved (of two hosts merging the same addition, the second one's EXEC
fails and its new read finds it merged).

``choose`` is an attendee action with a rule that comes in storms (everyone picks a theme at
once): it rides in the script, with the domain's decision made in Python on a read of the
meeting and guarded by the values it was made on (``ChoicesRead``, ``scripts``), so a batch of
choices is two round trips and one fsync. ``endorse`` (``rules.shown_root``) takes the watched
path. Order within a meeting is kept: a watched action runs after the scripted actions before it.
"""

from __future__ import annotations

import json
import logging
import time

import redis

from live.domain import Refused, rules, terugkom
from live.store import HOST_ACTOR, Replayed, StoreFull
from live.store.redis.keys import BLOCKS, CODES, ID_BLOCK, LIVE, Meeting
from live.store.redis.scripts import LUA_KINDS

log = logging.getLogger("live.store.redis")

# How often a watched action is read and decided again when other workers keep changing what it
# read; past that it fails like a lock that stays taken (the batch raises, nothing is acked).
WATCH_TRIES = 200
# Integers beyond this cannot be kept exactly in a Lua number (a double); no id or count is near.
MAX_INT = 2**53
SERVER_ERROR = {"ok": False, "error": "server_error"}


def _today() -> str:
    """Today's date on this machine, ISO (the meeting's day when none is given)."""
    return time.strftime("%Y-%m-%d")


def checked(value):
    """``value`` if it can be stored as it is: ``OverflowError`` for an integer no Lua number
    holds, ``ValueError`` for text that is no valid UTF-8 (a lone surrogate), ``TypeError`` for
    what JSON cannot hold."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        if abs(value) >= MAX_INT:
            raise OverflowError("integer too large to store")
        return value
    if isinstance(value, str):
        value.encode("utf-8")
        return value
    if isinstance(value, dict):
        for key, item in value.items():
            checked(key if isinstance(key, str) else int(checked(key)))
            checked(item)
        return value
    if isinstance(value, (list, tuple)):
        for item in value:
            checked(item)
        return value
    raise TypeError(f"cannot store a {type(value).__name__}")


def lua_payload(kind: str, data: dict) -> dict:
    """The fields the script reads for ``kind``, with their defaults filled in (``KeyError`` for
    a missing one), so the script never meets a value it does not expect."""
    fields = {
        "join": ("token_hash",),
        "vote": ("theme", "answer"),
        "pledge": ("theme", "role", "name", "email", "phone"),
        "withdraw": ("theme",),
        "addition": ("theme", "text"),
        "note": ("theme", "field", "text"),
        "manual_count": ("theme", "answer", "count"),
        "set_phase": ("phase",),
        "choose": ("theme",),  # decided later, on a read (``ChoicesRead``)
    }[kind]
    out = {name: checked(data[name]) for name in fields}
    if kind == "pledge":
        out["contact_by"] = checked(data.get("contact_by", "")) or ""
        out["share"] = bool(data.get("share", False))
    if kind == "choose":  # any theme: the rule refuses one that is not there
        return out
    if kind == "addition" and data.get("kind"):  # a top or a question (a terugkombijeenkomst)
        out["kind"] = checked(data["kind"])
    for name, value in out.items():
        wanted = int if name in ("theme", "count") else (bool if name == "share" else str)
        if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
            raise TypeError(f"{kind}: {name} has the wrong type")
    return out


def choice_of(raw: str | None) -> tuple[int, int] | None:
    """A stored choice (``theme:seat``) as ``(theme, seat)``."""
    if not raw:
        return None
    theme, seat = raw.split(":")
    return int(theme), int(seat)


def places(raw) -> tuple:
    """A theme's tables, kept as in the export: a JSON list as text, or ""."""
    return tuple(json.loads(raw)) if raw else ()


def screen_order(themes: dict[int, dict]) -> list[dict]:
    """The live themes in the host's order."""
    alive = [t for t in themes.values() if not t["removed"]]
    return sorted(alive, key=lambda t: (t["id"] if t["position"] is None else t["position"], t["id"]))


def prefetch(action) -> list[tuple]:
    """What a watched action of this kind reads for sure, besides the meeting and its message id
    (``Tx.prefetch``): read in one round trip instead of one each."""
    if action.kind in ("endorse", "addition_hands", "moderate"):
        return [("hget", "additions", None, action.data.get("addition"))]
    if action.kind in (
        "add_theme",
        "edit_theme",
        "remove_theme",
        "order_themes",
        "merge_themes",
        "set_results",
    ):
        return [("hgetall", "themes", None)]
    return []


class ChoicesRead:
    """What the choices of one meeting in a batch are decided on, kept up to date with the
    decisions made so far (the writes the script will have made when it reaches the next one)."""

    def __init__(self, version: str, locked: bool, themes: dict[int, dict], counts: dict, choices: dict):
        self.version, self.locked, self.themes = version, locked, themes
        self.counts, self.choices = dict(counts), choices
        self.alive = screen_order(themes)

    def _count(self, field: str, guards: list) -> int:
        guards.append(["tc", field, self.counts.get(field, "")])
        return int(self.counts.get(field) or 0)

    def _add(self, field: str, step: int) -> None:
        self.counts[field] = str(int(self.counts.get(field) or 0) + step)

    def decide(self, actor: int, theme, replayed: bool) -> dict:
        """The script's payload for one choice: the domain's decision and its guards."""
        held = self.choices.get(str(actor))
        guards = [["m", "version", self.version], ["choices", str(actor), held or ""]]
        out = {"theme": theme, "seat": -1, "from": -1, "from_seat": -1, "ack": "", "ok": False}
        out.update(refused=False, guards=guards)
        if replayed:  # the script answers it from its message id, before any guard
            return out
        row = self.themes.get(theme) if isinstance(theme, int) and not isinstance(theme, bool) else None
        exists = row is not None and not row["removed"]
        locked = exists and self.locked
        tables = places(row["tables"]) if exists else ()
        capacity = row["capacity"] if exists else None
        current, taken, per_table = None, 0, None
        if exists and not locked:
            current = choice_of(held)
            if capacity is not None:
                taken = self._count(f"c:{theme}", guards)
            if len(tables) > 1:
                per_table = {n: self._count(f"s:{theme}:{n}", guards) for n in range(len(tables))}
        try:
            choice = rules.choose(
                rules.ChoiceRead(theme, exists, locked, tables, capacity, current, taken, per_table)
            )
        except Refused as refused:
            out["refused"] = refused.slug
            return out
        ack = choice.ack
        if choice.full:
            loads = [
                rules.ThemeLoad(
                    t["id"],
                    t["capacity"],
                    0 if t["capacity"] is None else self._count(f"c:{t['id']}", guards),
                )
                for t in self.alive
            ]
            ack = rules.theme_full(loads)
        if choice.seat is not None:
            out.update(seat=choice.seat)
            if current:
                out.update({"from": current[0], "from_seat": current[1]})
                self._add(f"c:{current[0]}", -1)
                self._add(f"s:{current[0]}:{current[1]}", -1)
            self._add(f"c:{theme}", 1)
            self._add(f"s:{theme}:{choice.seat}", 1)
            self.choices[str(actor)] = f"{theme}:{choice.seat}"
        out.update(ack=json.dumps(ack), ok=bool(ack.get("ok")))
        return out


class Tx:
    """One watched transaction: reads WATCH their key first (so a change after the read makes
    EXEC fail), writes wait in ``later`` until MULTI."""

    def __init__(self, client: redis.Redis, pipe, keys: Meeting):
        self.client, self.pipe, self.k = client, pipe, keys
        self._watched: set[str] = set()
        self.writes: list = []
        # What ``prefetch`` read: whole hashes by key, single fields by (key, field).
        self._hashes: dict[str, dict] = {}
        self._fields: dict[tuple[str, str], str | None] = {}

    def prefetch(self, calls: list[tuple]) -> None:
        """Read ahead what an action will read, in two round trips whatever it is (one WATCH,
        one pipelined read): ``("hgetall", name, part)`` or ``("hget", name, part, field)``."""
        keys = [self.k.key(name, part) for _m, name, part, *_f in calls]
        replies = self.bulk([(method, name, part, *map(str, rest)) for method, name, part, *rest in calls])
        for key, (method, _n, _p, *rest), reply in zip(keys, calls, replies, strict=True):
            if method == "hgetall":
                self._hashes[key] = reply
            else:
                self._fields[(key, str(rest[0]))] = reply

    def watch(self, *keys: str) -> None:
        new = [key for key in keys if key not in self._watched]
        if new:
            self.pipe.watch(*new)
            self._watched.update(new)

    def _key(self, name, part):
        key = self.k.key(name, part)
        self.watch(key)
        return key

    def hget(self, name, field, part=None):
        key = self.k.key(name, part)
        if key in self._hashes:
            return self._hashes[key].get(str(field))
        if (key, str(field)) in self._fields:
            return self._fields[(key, str(field))]
        return self.pipe.hget(self._key(name, part), str(field))

    def hmget(self, name, fields, part=None):
        key = self.k.key(name, part)
        if key in self._hashes:
            return [self._hashes[key].get(str(f)) for f in fields]
        return self.pipe.hmget(self._key(name, part), [str(f) for f in fields])

    def hgetall(self, name, part=None) -> dict:
        key = self.k.key(name, part)
        if key in self._hashes:
            return dict(self._hashes[key])
        return self.pipe.hgetall(self._key(name, part))

    def smembers(self, name, part=None) -> set:
        return self.pipe.smembers(self._key(name, part))

    def scard(self, name, part=None) -> int:
        return self.pipe.scard(self._key(name, part))

    def bulk(self, calls: list[tuple]) -> list:
        """Many reads in one round trip: ``(method, name, part, *args)`` each; their keys are
        watched first (on this transaction's connection), then read over a plain pipeline."""
        self.watch(*(self.k.key(name, part) for _m, name, part, *_a in calls))
        reads = self.client.pipeline(transaction=False)
        for method, name, part, *args in calls:
            getattr(reads, method)(self.k.key(name, part), *args)
        return reads.execute()

    def later(self, write) -> None:
        """``write(pipe)`` runs inside MULTI, if the action gets that far."""
        self.writes.append(write)

    # -- rows the rules read ----------------------------------------------------------------

    def theme(self, theme_id) -> dict | None:
        raw = self.hget("themes", theme_id)
        return json.loads(raw) if raw else None

    def themes(self) -> dict[int, dict]:
        return {int(k): json.loads(v) for k, v in self.hgetall("themes").items()}

    def addition(self, addition_id) -> dict | None:
        raw = self.hget("additions", addition_id)
        return json.loads(raw) if raw else None

    def addition_row(self, addition_id) -> rules.AdditionRow | None:
        row = self.addition(addition_id)
        return rules.AdditionRow(addition_id, row["status"], row.get("merged_into")) if row else None

    def additions(self) -> dict[int, dict]:
        return {int(k): json.loads(v) for k, v in self.hgetall("additions").items()}


class Actions:
    """The write side of ``RedisStore`` (``_r``: the client, ``_keys(code)``, ``_g(name)``)."""

    def create_meeting(
        self,
        code,
        title,
        place,
        date,
        themes,
        host_key_hash,
        projector_key_hash,
        helper_key_hash="",
        held_on="",
        wifi=None,
        kind="avond",
        groups=None,
    ):
        # The code is claimed in the global key first (its own step: never in one script with
        # the meeting's keys); a claim whose meeting never got written only loses that code.
        if not self._r.hsetnx(self._g(CODES), code, LIVE):
            return False
        k = self._keys(code)
        first = self._r.incr(self._g(BLOCKS)) * ID_BLOCK
        pipe = self._r.pipeline(transaction=True)
        pipe.hset(k.key("ids"), mapping=dict.fromkeys(("participant", "addition", "note"), first))
        pipe.hset(
            k.key("m"),
            mapping={
                "title": title,
                "place": place,
                "date": date,
                "phase": "lobby",
                "version": 1,
                "host_key_hash": host_key_hash,
                "projector_key_hash": projector_key_hash,
                "helper_key_hash": helper_key_hash,
                "created_at": repr(time.time()),
                "pace": "all",
                "current_theme": "",
                "results_hidden": 0,
                "hidden_themes": "",
                "choices_locked": 0,
                "importing": 0,
                "wifi_name": (wifi or {}).get("name", ""),
                "wifi_password": (wifi or {}).get("password", ""),
                "welcome": 0,
                "held_on": held_on or _today(),
                "retention_days": "",
                "kind": kind,
                "presenting": "",
            },
        )
        if groups:
            pipe.hset(k.key("groups"), mapping={str(g["theme"]): json.dumps(group_row(g)) for g in groups})
            keyed = {g["key_hash"]: g["theme"] for g in groups if g.get("key_hash")}
            if keyed:
                pipe.hset(k.key("gkeys"), mapping=keyed)
        pipe.set(k.key("seq"), 1)
        if themes:
            pipe.hset(
                k.key("themes"),
                mapping={str(t.id): json.dumps(theme_row(t.id, t.title, t.description)) for t in themes},
            )
        try:
            pipe.execute()
        except redis.OutOfMemoryError as exc:
            self._r.hdel(self._g(CODES), code)
            raise StoreFull("no room to store the meeting") from exc
        return True

    def apply(self, actions):
        results: list = [None] * len(actions)
        scripted: dict[str, list[tuple[int, dict, object]]] = {}
        for n, action in enumerate(actions):
            if action.kind in LUA_KINDS:
                try:
                    item = {
                        "k": action.kind,
                        "a": checked(action.actor),
                        "id": checked(action.msg_id),
                        "ph": [checked(p) for p in action.phases],
                        "d": lua_payload(action.kind, action.data),
                    }
                except (KeyError, TypeError, ValueError, OverflowError):
                    log.exception("one write failed")
                    results[n] = dict(SERVER_ERROR)
                    continue
                scripted.setdefault(action.code, []).append((n, item, action))
                continue
            if action.code in scripted:  # what came before it in its meeting goes first
                self._run_scripts(scripted, results)
                scripted = {}
            results[n] = self._watched(action)
        if scripted:
            self._run_scripts(scripted, results)
        return results

    def _run_scripts(self, scripted: dict, results: list) -> None:
        """One ``BATCH`` call per meeting, all in one pipelined round trip; again from the first
        choice whose guards failed, after a new read, until every action has its ack."""
        pending = dict(scripted)
        for _ in range(WATCH_TRIES):
            for code, items in pending.items():
                if any(item["k"] == "choose" for _n, item, _a in items):
                    self._decide_choices(code, items)
            pipe = self._r.pipeline(transaction=False)
            now = repr(time.time())
            order = list(pending.items())
            for code, items in order:
                payload = json.dumps([item for _n, item, _a in items], ensure_ascii=False)
                # EVALSHA itself: a registered script in a pipeline first asks SCRIPT EXISTS, one
                # more round trip for every batch.
                pipe.evalsha(self._batch.sha, 1, self._keys(code).key("m"), payload, now)
            replies = pipe.execute(raise_on_error=False)
            pending = {}
            for (code, items), reply in zip(order, replies, strict=True):
                if isinstance(reply, redis.exceptions.NoScriptError):  # a restarted Redis: it did not run
                    self._r.script_load(self._batch.script)
                    pending[code] = items
                    continue
                if isinstance(reply, redis.OutOfMemoryError):
                    raise StoreFull("Redis has no room for the batch") from reply
                if isinstance(reply, (redis.ConnectionError, redis.TimeoutError)):
                    raise reply
                if isinstance(reply, Exception):  # a script error: the payloads are checked, so a bug
                    log.error("the batch script failed: %s", reply)
                    for n, _item, _a in items:
                        results[n] = dict(SERVER_ERROR)
                    continue
                for done, ((n, _item, _a), (status, text)) in enumerate(zip(items, reply, strict=False)):
                    if status == "retry":
                        pending[code] = items[done:]
                        break
                    if status == "replay":
                        results[n] = Replayed(json.loads(text))
                    elif status == "refused":
                        results[n] = {"ok": False, "error": text}
                    else:
                        results[n] = json.loads(text)
            if not pending:
                return
        raise redis.TimeoutError(f"choices kept meeting other writes; tried {WATCH_TRIES} times")

    def _decide_choices(self, code, items) -> None:
        """Read what the choices among ``items`` depend on (one round trip), let the domain
        decide each in order, and give each its guards: the values it was decided on, as the
        script will find them when it gets there if nothing else moved them."""
        k = self._keys(code)
        chooses = [(item, action) for _n, item, action in items if item["k"] == "choose"]
        actors = sorted({str(action.actor) for _item, action in chooses})
        with self._r.pipeline(transaction=True) as pipe:
            pipe.hmget(k.key("m"), ["version", "choices_locked"])
            pipe.hgetall(k.key("themes")).hgetall(k.key("tc")).hmget(k.key("choices"), actors)
            for _item, action in chooses:
                pipe.hexists(k.key("handled", action.actor), action.msg_id)
            (version, locked), raw_themes, counts, current, *seen = pipe.execute()
        read = ChoicesRead(
            version or "",
            locked == "1",
            {int(t): json.loads(v) for t, v in raw_themes.items()},
            counts,
            dict(zip(actors, current, strict=True)),
        )
        for (item, action), replayed in zip(chooses, seen, strict=True):
            item["d"] = read.decide(action.actor, action.data["theme"], replayed)

    def _watched(self, action) -> dict:
        """One action in a watched transaction (see the module docstring); its ack."""
        code, actor, data = action.code, action.actor, action.data
        k = self._keys(code)
        try:
            checked(data), checked(actor), checked(action.msg_id)
            handler = getattr(self, f"_do_{action.kind}")
        except (TypeError, ValueError, OverflowError, AttributeError):
            log.exception("one write failed")
            return dict(SERVER_ERROR)
        for _ in range(WATCH_TRIES):
            with self._r.pipeline(transaction=True) as pipe:
                tx = Tx(self._r, pipe, k)
                try:
                    ahead = [("hgetall", "m", None)]
                    if action.msg_id:
                        ahead.append(("hget", "handled", actor, action.msg_id))
                    tx.prefetch(ahead + prefetch(action))
                    if action.msg_id:
                        seen = tx.hget("handled", action.msg_id, actor)
                        if seen:
                            return Replayed(json.loads(seen))
                    phase, importing = tx.hmget("m", ("phase", "importing"))
                    if phase is None or importing == "1":
                        raise Refused("unknown_meeting")
                    if action.phases and phase not in action.phases:
                        raise Refused("wrong_phase")
                    ack = handler(tx, code, actor, data)
                except Refused as refused:
                    return {"ok": False, "error": refused.slug}
                except (KeyError, TypeError, ValueError, OverflowError):
                    log.exception("one write failed")
                    return dict(SERVER_ERROR)
                pipe.multi()
                for write in tx.writes:
                    write(pipe)
                if action.msg_id:
                    pipe.hset(k.key("handled", actor), action.msg_id, json.dumps(ack))
                    pipe.zadd(k.key("handled_at"), {f"{actor}:{action.msg_id}": time.time()})
                if ack.get("ok"):
                    pipe.incr(k.key("seq"))
                try:
                    pipe.execute()
                except redis.WatchError:
                    continue  # somebody changed what it read: read and decide again
                except redis.OutOfMemoryError as exc:
                    raise StoreFull("Redis has no room for the action") from exc
                return ack
        raise redis.TimeoutError(f"{action.kind} kept meeting other writes; tried {WATCH_TRIES} times")

    @staticmethod
    def _bump(tx: Tx) -> None:
        tx.later(lambda p: p.hincrby(tx.k.key("m"), "version", 1))

    @staticmethod
    def _hset(tx: Tx, name, field, value, part=None) -> None:
        tx.later(lambda p: p.hset(tx.k.key(name, part), str(field), value))

    # -- what attendees do (with a rule; a choice is decided in ``ChoicesRead``) -----------------

    @staticmethod
    def _per_table(tx, theme, tables) -> dict[int, int]:
        counts = tx.hmget("tc", [f"s:{theme}:{n}" for n in range(tables)])
        return {n: int(c or 0) for n, c in enumerate(counts)}

    @staticmethod
    def _shown_root(tx, addition) -> int:
        found = tx.addition_row(addition)
        parent = None
        if found is not None and found.merged_into is not None:
            parent = tx.addition_row(found.merged_into)
        return rules.shown_root(found, parent)

    def _do_endorse(self, tx, code, actor, data):
        root = self._shown_root(tx, data["addition"])
        members, mine, hands = tx.bulk(
            [
                ("scard", "endorsed", root),
                ("sismember", "endorsed", root, str(actor)),
                ("hget", "ahands", None, str(root)),
            ]
        )
        hands = int(hands or 0)
        k = tx.k
        if data["on"] and not mine:
            members += 1
            tx.later(
                lambda p: (p.sadd(k.key("endorsed", root), actor), p.sadd(k.key("endorsing", actor), root))
            )
        elif not data["on"] and mine:
            members -= 1
            tx.later(
                lambda p: (p.srem(k.key("endorsed", root), actor), p.srem(k.key("endorsing", actor), root))
            )
        return {"ok": True, "endorsements": members + hands}

    def _do_addition_hands(self, tx, code, actor, data):
        root = self._shown_root(tx, data["addition"])
        count = data["count"]
        members = tx.scard("endorsed", root)
        self._hset(tx, "ahands", root, count)
        return {"ok": True, "endorsements": members + count}

    @staticmethod
    def _own_note(tx, actor, note_id) -> tuple:
        raw = tx.hget("notes", note_id)
        row = json.loads(raw) if raw else None
        note = (row["theme"], row["field"], row["participant"]) if row else None
        theme, field_name = rules.note_fields(actor, HOST_ACTOR, note)
        return row, theme, field_name

    def _do_edit_note(self, tx, code, actor, data):
        row, theme, field_name = self._own_note(tx, actor, data["note"])
        self._hset(tx, "notes", data["note"], json.dumps({**row, "text": data["text"]}))
        return {"ok": True, "theme": theme, "field": field_name}

    def _do_remove_note(self, tx, code, actor, data):
        row, theme, field_name = self._own_note(tx, actor, data["note"])
        k, note = tx.k, str(data["note"])
        tx.later(lambda p: (p.hdel(k.key("notes"), note), p.srem(k.key("mine:n", row["participant"]), note)))
        return {"ok": True, "theme": theme, "field": field_name}

    # -- additions: moderation and groups ----------------------------------------------------

    def _do_moderate(self, tx, code, actor, data):
        row = tx.addition(data["addition"])
        if row is None:
            raise Refused("unknown_addition")
        # Showing or hiding a merged addition takes it out of the group again.
        row = {**row, "status": "shown" if data["show"] else "hidden", "merged_into": None}
        self._hset(tx, "additions", data["addition"], json.dumps(row))
        self._bump(tx)
        return {"ok": True}

    def _do_merge_addition(self, tx, code, actor, data):
        addition, into = data["addition"], data["into"]
        rows = tx.additions()

        def row(n):
            found = rows.get(n) if isinstance(n, int) else None
            return rules.AdditionRow(n, found["status"], found.get("merged_into")) if found else None

        children = [
            n for n, r in rows.items() if r.get("merged_into") == addition and r["status"] == "merged"
        ]
        merge = rules.merge_addition(row(addition), row(into), children)
        if not merge.write:
            return merge.ack
        k, root = tx.k, merge.root
        endorsers = tx.smembers("endorsed", addition)
        hands = tx.hget("ahands", addition)
        changed = {child: {**rows[child], "merged_into": root} for child in merge.regroup}
        changed[addition] = {**rows[addition], "status": "merged", "merged_into": root}

        def write(p):
            p.hset(k.key("additions"), mapping={str(n): json.dumps(r) for n, r in changed.items()})
            # The endorsements go to the root as a set (a person who tapped both counts once).
            for person in endorsers:
                p.sadd(k.key("endorsed", root), person)
                p.srem(k.key("endorsing", person), addition)
                p.sadd(k.key("endorsing", person), root)
            p.delete(k.key("endorsed", addition))
            if hands is not None:
                p.hdel(k.key("ahands"), str(addition))
                p.hincrby(k.key("ahands"), str(root), int(hands))

        tx.later(write)
        self._bump(tx)
        return merge.ack

    # -- the host shapes the evening (each bumps the version: every screen redraws) -----------

    def _do_lock_choices(self, tx, code, actor, data):
        self._hset(tx, "m", "choices_locked", int(data["locked"]))
        self._bump(tx)
        return {"ok": True}

    def _do_set_wifi(self, tx, code, actor, data):
        name, password = data["name"], data["password"]
        tx.later(lambda p: p.hset(tx.k.key("m"), mapping={"wifi_name": name, "wifi_password": password}))
        self._bump(tx)
        return {"ok": True}

    def _do_show_welcome(self, tx, code, actor, data):
        self._hset(tx, "m", "welcome", int(data["show"]))
        self._bump(tx)
        return {"ok": True}

    def _do_set_pace(self, tx, code, actor, data):
        current = "" if data["theme"] is None else int(data["theme"])
        tx.later(lambda p: p.hset(tx.k.key("m"), mapping={"pace": data["pace"], "current_theme": current}))
        self._bump(tx)
        return {"ok": True}

    @staticmethod
    def _reset_pace(tx) -> None:
        tx.later(lambda p: p.hset(tx.k.key("m"), mapping={"pace": "all", "current_theme": ""}))

    @staticmethod
    def _current_theme(tx) -> int | None:
        raw = tx.hget("m", "current_theme")
        return int(raw) if raw else None

    def _do_merge_themes(self, tx, code, actor, data):
        theme, into = data["theme"], data["into"]
        themes = tx.themes()
        alive = [t for t in (theme, into) if t in themes and not themes[t]["removed"]]
        counts = tx.hgetall("tc")
        choosers = int(counts.get(f"c:{theme}", 0))
        merge = rules.merge_themes(theme, into, alive, choosers, self._current_theme(tx))
        k = tx.k
        moving = [p for p, raw in tx.hgetall("choices").items() if choice_of(raw)[0] == theme]
        people = list(tx.hgetall("people"))
        pledged = tx.bulk([("hmget", "pledges", p, [str(theme), str(into)]) for p in people])
        notes = {n: json.loads(raw) for n, raw in tx.hgetall("notes").items()}

        def write(p):
            for person in moving:
                p.hset(k.key("choices"), person, f"{into}:0")
            seats = {f: int(v) for f, v in counts.items() if f.startswith(f"s:{theme}:")}
            p.hdel(k.key("tc"), f"c:{theme}", *seats)
            p.hincrby(k.key("tc"), f"c:{into}", choosers)
            p.hincrby(k.key("tc"), f"s:{into}:0", choosers)
            # A pledge moves unless its person pledged for ``into`` already (then it stays).
            for person, (mine, theirs) in zip(people, pledged, strict=True):
                if mine is None or theirs is not None:
                    continue
                role = json.loads(mine)["role"]
                p.hdel(k.key("pledges", person), str(theme))
                p.hset(k.key("pledges", person), str(into), mine)
                for field, step in ((f"p:{theme}", -1), (f"r:{theme}:{role}", -1)):
                    p.hincrby(k.key("tp"), field, step)
                for field in (f"p:{into}", f"r:{into}:{role}"):
                    p.hincrby(k.key("tp"), field, 1)
            for n, note in notes.items():
                if note["theme"] == theme:
                    p.hset(k.key("notes"), n, json.dumps({**note, "theme": into}))
            p.hset(
                k.key("themes"), str(theme), json.dumps({**themes[theme], "removed": 1, "merged_into": into})
            )

        tx.later(write)
        if merge.reset_pace:
            self._reset_pace(tx)
        if tx.hget("m", "kind") == terugkom.FOLLOW_UP:
            self._merge_groups(tx, theme, into, themes[theme]["title"])
        self._bump(tx)
        return merge.ack

    @staticmethod
    def _live_agreements(tx) -> dict[int, dict]:
        rows = {int(n): json.loads(raw) for n, raw in tx.hgetall("agreements").items()}
        return {n: row for n, row in rows.items() if not row["removed"]}

    @staticmethod
    def _theme_ids(row: dict) -> list[int]:
        return [int(t) for t in row["themes"].split(",") if t]

    @staticmethod
    def _presenting(tx) -> int | None:
        raw = tx.hget("m", "presenting")
        return int(raw) if raw else None

    def _write_agreements(self, tx, rows: dict, renamed: dict, removed=()) -> None:
        changed = {
            str(n): json.dumps({**rows[n], "themes": ",".join(map(str, t))}) for n, t in renamed.items()
        }
        changed.update({str(n): json.dumps({**rows[n], "removed": 1}) for n in removed})
        if changed:
            tx.later(lambda p: p.hset(tx.k.key("agreements"), mapping=changed))

    def _merge_groups(self, tx, theme, into, title) -> None:
        """The group rows of a merge in a terugkombijeenkomst (``terugkom.merge_groups``)."""
        raw = tx.hmget("groups", (theme, into))
        merged, target = (json.loads(r) if r else None for r in raw)
        agreements = self._live_agreements(tx)
        merge = terugkom.merge_groups(
            theme,
            into,
            merged,
            target,
            [(n, self._theme_ids(row)) for n, row in agreements.items()],
            self._presenting(tx),
            title,
        )
        row = {**(target or group_row({"theme": into})), "plan": merge.plan, "origin": merge.origin}
        self._hset(tx, "groups", into, json.dumps(row))
        if merged is not None:
            self._hset(tx, "groups", theme, json.dumps({**merged, "key_hash": ""}))
        if merge.drop_key:
            tx.later(lambda p: p.hdel(tx.k.key("gkeys"), merge.drop_key))
        self._write_agreements(tx, agreements, merge.agreements)
        if merge.reset_presenting:
            self._hset(tx, "m", "presenting", "")

    def _remove_group(self, tx, theme) -> None:
        """The agreements and presenting of a removal in a terugkombijeenkomst."""
        agreements = self._live_agreements(tx)
        removal = terugkom.remove_group(
            theme, [(n, self._theme_ids(row)) for n, row in agreements.items()], self._presenting(tx)
        )
        self._write_agreements(tx, agreements, removal.agreements, removal.removed)
        if removal.reset_presenting:
            self._hset(tx, "m", "presenting", "")

    def _do_add_theme(self, tx, code, actor, data):
        themes = tx.themes()
        active = sum(1 for t in themes.values() if not t["removed"])
        addition, found, made = data["addition"], None, None
        if addition is not None:
            found = tx.addition_row(addition)
            made = next(
                (t["id"] for t in themes.values() if t["from_addition"] == addition and not t["removed"]),
                None,
            )
        next_id = max(themes, default=0) + 1
        next_position = (
            max((t["id"] if t["position"] is None else t["position"] for t in themes.values()), default=0) + 1
        )
        new = rules.add_theme(active, next_id, next_position, addition, found, made)
        if not new.write:
            return new.ack
        row = theme_row(new.id, data["title"], data["description"], new.position, addition)
        self._hset(tx, "themes", new.id, json.dumps(row))
        if addition is not None:
            promoted = {**tx.addition(addition), "status": "promoted"}
            self._hset(tx, "additions", addition, json.dumps(promoted))
        if tx.hget("m", "kind") == terugkom.FOLLOW_UP:  # a new working group: its key follows
            group = json.dumps(group_row(terugkom.new_group(new.id)))
            tx.later(lambda p: p.hsetnx(tx.k.key("groups"), str(new.id), group))
        self._bump(tx)
        return new.ack

    def _do_edit_theme(self, tx, code, actor, data):
        row = tx.theme(data["theme"])
        if row is None or row["removed"]:
            raise Refused("unknown_theme")
        row = dict(row)
        for name in ("title", "description"):
            if data.get(name) is not None:
                row[name] = data[name]
        if "tables" in data:
            row["tables"] = json.dumps(list(data["tables"]))
        if "capacity" in data:
            row["capacity"] = data["capacity"]
        self._hset(tx, "themes", data["theme"], json.dumps(row))
        self._bump(tx)
        return {"ok": True}

    def _do_remove_theme(self, tx, code, actor, data):
        theme = data["theme"]
        themes = tx.themes()
        answers = 0
        if not data["confirm"]:  # only counted when the host has not confirmed yet
            votes = tx.hgetall("tv")
            answers += sum(int(v) for f, v in votes.items() if f.split(":")[0] == str(theme))
            answers += int(tx.hget("tc", f"c:{theme}") or 0) + int(tx.hget("tp", f"p:{theme}") or 0)
            answers += sum(1 for a in tx.additions().values() if a["theme"] == theme)
            hands = tx.hgetall("hands")
            answers += sum(int(v) for f, v in hands.items() if f.split(":")[0] == str(theme))
        active = {t for t, row in themes.items() if not row["removed"]}
        removal = rules.remove_theme(
            theme, theme in active, len(active - {theme}), answers, data["confirm"], self._current_theme(tx)
        )
        if not removal.write:
            return removal.ack
        # Kept in the store, and so in the exports; only taken off the screens.
        self._hset(tx, "themes", theme, json.dumps({**themes[theme], "removed": 1}))
        if removal.reset_pace:
            self._reset_pace(tx)
        if tx.hget("m", "kind") == terugkom.FOLLOW_UP:
            self._remove_group(tx, theme)
        self._bump(tx)
        return removal.ack

    def _do_order_themes(self, tx, code, actor, data):
        themes = tx.themes()
        active = [t for t, row in themes.items() if not row["removed"]]
        rows = {
            str(t): json.dumps({**themes[t], "position": n})
            for n, t in rules.order_themes(active, data["order"])
        }
        if rows:
            tx.later(lambda p: p.hset(tx.k.key("themes"), mapping=rows))
        self._bump(tx)
        return {"ok": True}

    def _do_set_results(self, tx, code, actor, data):
        hidden_themes, all_hidden = tx.hmget("m", ("hidden_themes", "results_hidden"))
        active = [t for t, row in tx.themes().items() if not row["removed"]]
        results_hidden, hidden = rules.set_results(
            all_hidden == "1",
            (int(t) for t in (hidden_themes or "").split(",") if t),
            active,
            data["theme"],
            data["hidden"],
        )
        fields = {
            "results_hidden": int(results_hidden),
            "hidden_themes": ",".join(str(t) for t in sorted(hidden)),
        }
        tx.later(lambda p: p.hset(tx.k.key("m"), mapping=fields))
        self._bump(tx)
        return {"ok": True}

    def _do_submit_form(self, tx, code, actor, data):
        # One paper form (or one person helped on a shared device) is a participant of its own,
        # written with all its answers in this one transaction: all of it counts, or none. Ids
        # are taken first (an id lost to a retried transaction is never given out again).
        k = tx.k
        participant = self._r.hincrby(k.key("ids"), "participant", 1)
        origin, votes = data["origin"], dict(data["votes"])
        now = time.time()
        additions = []
        for item in data["additions"]:
            addition = self._r.hincrby(k.key("ids"), "addition", 1)
            row = {"participant": participant, "theme": item["theme"], "text": item["text"]}
            additions.append((addition, {**row, "status": "pending", "created_at": now}))
        seat = None
        if data["choice"] is not None:
            row = tx.theme(data["choice"])
            exists = row is not None and not row["removed"]
            tables = places(row["tables"]) if exists else ()
            per_table = self._per_table(tx, data["choice"], len(tables)) if exists else {}
            seat = rules.form_seat(exists, tables, per_table)
        # A second pledge for one theme replaces the first, as with a phone.
        pledges = {p["theme"]: (p["role"], json.dumps(pledge_row(p, now))) for p in data["pledges"]}
        roots = [self._shown_root(tx, addition) for addition in data.get("endorse", ())]

        def write(p):
            p.hset(k.key("tokens"), data["token_hash"], participant)
            p.hset(k.key("people"), str(participant), json.dumps({"created_at": now, "origin": origin}))
            p.hincrby(k.key("to"), origin, 1)
            for theme, answer in votes.items():
                p.hset(k.key("votes", participant), str(theme), answer)
                p.hincrby(k.key("tv"), f"{theme}:{answer}", 1)
            for addition, row in additions:
                p.hset(k.key("additions"), str(addition), json.dumps(row))
                p.sadd(k.key("mine:a", participant), addition)
                p.hincrby(k.key("m"), "version", 1)
            if seat is not None:
                p.hset(k.key("choices"), str(participant), f"{data['choice']}:{seat}")
                p.hincrby(k.key("tc"), f"c:{data['choice']}", 1)
                p.hincrby(k.key("tc"), f"s:{data['choice']}:{seat}", 1)
            for theme, (role, row) in pledges.items():
                p.hincrby(k.key("tp"), f"p:{theme}", 1)
                p.hincrby(k.key("tp"), f"r:{theme}:{role}", 1)
                p.hset(k.key("pledges", participant), str(theme), row)
            for root in roots:
                p.sadd(k.key("endorsed", root), participant)
                p.sadd(k.key("endorsing", participant), root)

        tx.later(write)
        return {"ok": True, "participant": participant, "additions": [a for a, _row in additions]}

    # -- a terugkombijeenkomst: who presents, plans, the call list, agreements ------------------

    def _do_set_presenting(self, tx, code, actor, data):
        self._hset(tx, "m", "presenting", "" if data["theme"] is None else int(data["theme"]))
        self._bump(tx)
        return {"ok": True}

    @staticmethod
    def _group(tx, theme) -> dict:
        raw = tx.hget("groups", theme)
        if raw is None:
            raise Refused("unknown_group")
        return json.loads(raw)

    def _do_plan(self, tx, code, actor, data):
        row = self._group(tx, data["theme"])
        row["plan"] = terugkom.merged_plan(row["plan"], data["fields"])
        self._hset(tx, "groups", data["theme"], json.dumps(row))
        return {"ok": True}

    def _do_set_group_key(self, tx, code, actor, data):
        theme, key_hash = data["theme"], data["key_hash"]
        raw = tx.hget("groups", theme)
        found = tx.theme(theme)
        ack = terugkom.group_key_target(raw, found is not None and not found["removed"])
        row = json.loads(raw)
        old = row.get("key_hash", "")
        self._hset(tx, "groups", theme, json.dumps({**row, "key_hash": key_hash}))

        def write(p):
            if old and old != key_hash:
                p.hdel(tx.k.key("gkeys"), old)
            p.hset(tx.k.key("gkeys"), key_hash, theme)

        tx.later(write)
        return ack

    def _do_group_status(self, tx, code, actor, data):
        row = self._group(tx, data["theme"])
        row.update({k: data[k] for k in ("status", "called_on", "host_note") if k in data})
        self._hset(tx, "groups", data["theme"], json.dumps(row))
        return {"ok": True}

    @staticmethod
    def _agreements(tx) -> dict[int, dict]:
        return {int(n): json.loads(raw) for n, raw in tx.hgetall("agreements").items()}

    def _do_agreement(self, tx, code, actor, data):
        rows = self._agreements(tx)
        new = terugkom.next_agreement(rows, sum(1 for r in rows.values() if not r["removed"]))
        row = {
            "id": new,
            "text": data["text"],
            "themes": ",".join(str(int(t)) for t in data["themes"]),
            "who": data["who"],
            "due": data["due"],
            "removed": 0,
            "created_at": time.time(),
        }
        self._hset(tx, "agreements", new, json.dumps(row))
        return {"ok": True, "agreement": new}

    def _do_edit_agreement(self, tx, code, actor, data):
        raw = tx.hget("agreements", data["agreement"])
        row = json.loads(raw) if raw else None
        if row is None or row["removed"]:
            raise Refused("unknown_agreement")
        row.update({k: data[k] for k in ("text", "who", "due") if k in data})
        if "themes" in data:
            row["themes"] = ",".join(str(int(t)) for t in data["themes"])
        self._hset(tx, "agreements", data["agreement"], json.dumps(row))
        return {"ok": True, "agreement": data["agreement"]}

    def _do_remove_agreement(self, tx, code, actor, data):
        raw = tx.hget("agreements", data["agreement"])
        row = json.loads(raw) if raw else None
        if row is None or row["removed"]:
            raise Refused("unknown_agreement")
        self._hset(tx, "agreements", data["agreement"], json.dumps({**row, "removed": 1}))
        return {"ok": True, "agreement": data["agreement"]}

    # -- the hand-off: the meeting's day and the follow-ups -----------------------------------

    def set_meeting_dates(self, code, held_on, retention_days):
        k = self._keys(code)
        days = "" if retention_days is None else int(retention_days)
        return bool(self._update(keys=[k.key("m")], args=["held_on", held_on, "retention_days", days]))

    def set_follow_up(self, code, theme, follow_up):
        k = self._keys(code)
        key = k.key("themes")
        with self._r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.hget(key, str(theme))
                    if raw is None:
                        return False
                    row = {**json.loads(raw), "follow_up": json.dumps(follow_up) if follow_up else ""}
                    pipe.multi()
                    pipe.hset(key, str(theme), json.dumps(row))
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue


def theme_row(theme_id, title, description="", position=None, from_addition=None) -> dict:
    """A new theme as it is kept: the columns of the export (docs/export.md)."""
    return {
        "id": theme_id,
        "title": title,
        "description": description,
        "position": position,
        "removed": 0,
        "from_addition": from_addition,
        "tables": "",
        "capacity": None,
        "merged_into": None,
        "follow_up": "",
    }


def group_row(data: dict) -> dict:
    """A working group as it is kept: the columns of the export, with its key's hash."""
    return {
        "theme": data["theme"],
        "key_hash": data.get("key_hash", ""),
        "plan": data.get("plan", ""),
        "status": data.get("status", "loopt"),
        "called_on": data.get("called_on", ""),
        "host_note": data.get("host_note", ""),
        "origin": data.get("origin", ""),
    }


def pledge_row(data: dict, now: float) -> dict:
    """A pledge as it is kept (the same fields the script writes)."""
    return {
        "role": data["role"],
        "name": data["name"],
        "email": data["email"],
        "phone": data["phone"],
        "consent_at": now,
        "contact_by": data.get("contact_by", "") or "",
        "share": bool(data.get("share", False)),
    }
