"""The SQLite store's writes: a batch of actions in one commit, and the host's hand-off settings.

Each ``_do_<kind>`` reads what its rule needs inside the batch's transaction, asks the rule in
``live.domain.rules`` what to write and what to answer, and writes it. What stays here is
storage and the guards that must hold inside the commit: a row still there (``rowcount``), a
seat counted in the same transaction, one vote per participant and theme as a primary key.
Only the writer calls these (one batch at a time, off the event loop's thread).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time

from live.domain import Refused, rules, terugkom
from live.store import HOST_ACTOR, Action, Replayed, StoreFull
from live.store.sqlite.reads import ENDORSED, LOADS
from live.store.sqlite.schema import BUSY_TIMEOUT, ERASE_BUSY_MS, code_retired, places, rollback

log = logging.getLogger("live.store.sqlite")


def _today() -> str:
    """Today's date on this machine, ISO (the meeting's day when none is given)."""
    return time.strftime("%Y-%m-%d")


def _addition_row(conn, code, addition) -> rules.AdditionRow | None:
    row = conn.execute(
        "SELECT id, status, merged_into FROM additions WHERE code = ? AND id = ?", (code, addition)
    ).fetchone()
    return rules.AdditionRow(*row) if row else None


def _id_list(ids) -> str:
    """Theme ids as stored with an agreement: ``"1,3"``."""
    return ",".join(str(int(i)) for i in ids)


def _loads(conn, code) -> list[rules.ThemeLoad]:
    return [rules.ThemeLoad(*row) for row in conn.execute(LOADS, (code,))]


class Actions:
    """The write side of ``SQLiteStore`` (it owns ``_w``; ``_erased`` asks ``apply`` to empty the
    write-ahead log after a commit that erased personal data)."""

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
        conn = self._w
        conn.execute("BEGIN IMMEDIATE")
        try:
            if code_retired(conn, code):
                rollback(conn)
                return False
            conn.execute(
                "INSERT INTO meetings (code, title, place, date, host_key_hash,"
                " projector_key_hash, created_at, helper_key_hash, held_on, wifi_name, wifi_password, kind)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    code,
                    title,
                    place,
                    date,
                    host_key_hash,
                    projector_key_hash,
                    time.time(),
                    helper_key_hash,
                    held_on or _today(),
                    (wifi or {}).get("name", ""),
                    (wifi or {}).get("password", ""),
                    kind,
                ),
            )
            conn.executemany(
                "INSERT INTO themes (code, id, title, description) VALUES (?, ?, ?, ?)",
                [(code, t.id, t.title, t.description) for t in themes],
            )
            conn.executemany(
                "INSERT INTO groups (code, theme, key_hash, origin) VALUES (?, ?, ?, ?)",
                [(code, g["theme"], g["key_hash"], g.get("origin", "")) for g in groups or ()],
            )
            conn.execute("COMMIT")
        except sqlite3.IntegrityError:
            rollback(conn)
            return False
        except BaseException as exc:
            # Whatever failed, the writer's connection must not stay inside a transaction, or
            # every later write fails too. (SQLite rolls back by itself on a full disk.)
            rollback(conn)
            if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
                raise StoreFull("no room to store the meeting") from exc
            raise
        return True

    def limit_pages(self, pages: int) -> None:
        """Cap the file at this many pages (a test hook: a store that fills up like a full disk)."""
        self._w.execute(f"PRAGMA max_page_count = {int(pages)}")

    def join(self, code, token_hash):
        return self.apply([Action("join", code, HOST_ACTOR, "", {"token_hash": token_hash})])[0][
            "participant"
        ]

    def apply(self, actions):
        conn = self._w
        results = []
        changed: set[str] = set()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for action in actions:
                conn.execute("SAVEPOINT action")
                try:
                    result = self._apply_one(conn, action)
                except Refused as refused:
                    conn.execute("ROLLBACK TO action")
                    result = {"ok": False, "error": refused.slug}
                except (sqlite3.IntegrityError, sqlite3.InterfaceError, OverflowError, ValueError):
                    # Bad data in one action fails that action only, never its neighbours in the
                    # batch. (Disk and lock errors still fail the batch: nobody gets a false ack.)
                    log.exception("one write failed")
                    conn.execute("ROLLBACK TO action")
                    result = {"ok": False, "error": "server_error"}
                conn.execute("RELEASE action")
                if result.get("ok") and not isinstance(result, Replayed):
                    changed.add(action.code)
                results.append(result)
            # One bump per meeting the batch changed, never one per action: a vote stays one
            # small write, and the number orders what the fan-out coalesces.
            for code in changed:
                conn.execute("UPDATE meetings SET seq = seq + 1 WHERE code = ?", (code,))
            conn.execute("COMMIT")
        except BaseException:
            self._erased = False
            conn.execute("ROLLBACK")
            raise
        if self._erased:  # a withdrawn pledge: its old page images leave the log too
            self._erased = False
            conn.execute(f"PRAGMA busy_timeout = {ERASE_BUSY_MS}")  # never stall the votes for long
            try:
                self._empty_wal(conn)
            except sqlite3.OperationalError:
                log.warning("write-ahead log not emptied yet; the next erasure finishes it")
            finally:
                conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        return results

    def _apply_one(self, conn: sqlite3.Connection, action: Action) -> dict:
        code, actor, data = action.code, action.actor, action.data
        if action.kind == "join":
            row = conn.execute(
                "INSERT INTO participants (code, token_hash, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (code, token_hash) DO UPDATE SET code = excluded.code RETURNING id",
                (code, data["token_hash"], time.time()),
            ).fetchone()
            return {"ok": True, "participant": row[0]}
        if action.msg_id:
            seen = conn.execute(
                "SELECT result FROM handled WHERE code = ? AND actor = ? AND msg_id = ?",
                (code, actor, action.msg_id),
            ).fetchone()
            if seen:
                return Replayed(json.loads(seen[0]))
        if action.phases:
            row = conn.execute("SELECT phase FROM meetings WHERE code = ?", (code,)).fetchone()
            if row is None:  # deleted since the check: this action fails, not the whole batch
                raise Refused("unknown_meeting")
            if row[0] not in action.phases:
                raise Refused("wrong_phase")
        result = getattr(self, f"_do_{action.kind}")(conn, code, actor, data)
        if action.msg_id:
            conn.execute(
                "INSERT INTO handled (code, actor, msg_id, result, at) VALUES (?, ?, ?, ?, ?)",
                (code, actor, action.msg_id, json.dumps(result), time.time()),
            )
        return result

    @staticmethod
    def _bump(conn, code):
        conn.execute("UPDATE meetings SET version = version + 1 WHERE code = ?", (code,))

    # -- what attendees do -----------------------------------------------------------------

    def _do_vote(self, conn, code, actor, data):
        conn.execute(
            "INSERT INTO votes (code, participant, theme, answer) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (code, participant, theme) DO UPDATE SET answer = excluded.answer",
            (code, actor, data["theme"], data["answer"]),
        )
        return {"ok": True}

    def _do_choose(self, conn, code, actor, data):
        theme = data["theme"]
        locked, raw_tables, capacity = conn.execute(
            "SELECT m.choices_locked, t.tables, t.capacity FROM meetings m JOIN themes t ON t.code = m.code"
            " WHERE m.code = ? AND t.id = ? AND t.removed = 0",
            (code, theme),
        ).fetchone() or (0, None, None)
        tables = places(raw_tables or "")
        current, taken, per_table = None, 0, None
        if raw_tables is not None and not locked:
            current = conn.execute(
                "SELECT theme, seat FROM choices WHERE code = ? AND participant = ?", (code, actor)
            ).fetchone()
            if capacity is not None:
                # The guard: counted inside the write, so of two phones taking the last seat
                # exactly one gets it.
                (taken,) = conn.execute(
                    "SELECT count(*) FROM choices WHERE code = ? AND theme = ?", (code, theme)
                ).fetchone()
            if len(tables) > 1:
                per_table = self._per_table(conn, code, theme)
        read = rules.ChoiceRead(
            theme, raw_tables is not None, bool(locked), tables, capacity, current, taken, per_table
        )
        choice = rules.choose(read)
        if choice.full:
            return rules.theme_full(_loads(conn, code))
        if choice.seat is not None:
            conn.execute(
                "INSERT INTO choices (code, participant, theme, seat) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (code, participant) DO UPDATE SET theme = excluded.theme, seat = excluded.seat",
                (code, actor, theme, choice.seat),
            )
        return choice.ack

    @staticmethod
    def _per_table(conn, code, theme) -> dict[int, int]:
        """Choosers per seat (table index) of a theme."""
        return dict(
            conn.execute(
                "SELECT seat, count(*) FROM choices WHERE code = ? AND theme = ? GROUP BY seat", (code, theme)
            ).fetchall()
        )

    def _do_pledge(self, conn, code, actor, data):
        # One pledge per participant and theme: a pledge for another theme never replaces this one.
        conn.execute(
            "INSERT INTO pledges (code, participant, theme, role, name, email, phone, consent_at,"
            " contact_by, share) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (code, participant, theme) DO UPDATE SET"
            " role = excluded.role, name = excluded.name, email = excluded.email, phone = excluded.phone,"
            " consent_at = excluded.consent_at, contact_by = excluded.contact_by, share = excluded.share",
            (
                code,
                actor,
                data["theme"],
                data["role"],
                data["name"],
                data["email"],
                data["phone"],
                time.time(),
                data.get("contact_by", ""),
                int(data.get("share", False)),
            ),
        )
        return {"ok": True}

    def _do_withdraw(self, conn, code, actor, data):
        # secure_delete (on for every connection) zeroes the row's bytes in the database file; the
        # write-ahead log is emptied after the commit (see apply).
        cur = conn.execute(
            "DELETE FROM pledges WHERE code = ? AND participant = ? AND theme = ?",
            (code, actor, data["theme"]),
        )
        if cur.rowcount:
            self._erased = True
        return {"ok": True, "withdrawn": bool(cur.rowcount)}

    def _do_note(self, conn, code, actor, data):
        (note_id,) = conn.execute(
            "INSERT INTO notes (code, theme, field, participant, text, created_at) VALUES (?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            (code, data["theme"], data["field"], actor, data["text"], time.time()),
        ).fetchone()
        return {"ok": True, "note": note_id}

    @staticmethod
    def _own_note(conn, code, actor, note_id) -> tuple:
        """The note's theme and field, if this actor may change it (``rules.note_fields``)."""
        row = conn.execute(
            "SELECT theme, field, participant FROM notes WHERE code = ? AND id = ?", (code, note_id)
        ).fetchone()
        return rules.note_fields(actor, HOST_ACTOR, row)

    def _do_edit_note(self, conn, code, actor, data):
        theme, field_name = self._own_note(conn, code, actor, data["note"])
        conn.execute(
            "UPDATE notes SET text = ? WHERE code = ? AND id = ?", (data["text"], code, data["note"])
        )
        return {"ok": True, "theme": theme, "field": field_name}

    def _do_remove_note(self, conn, code, actor, data):
        theme, field_name = self._own_note(conn, code, actor, data["note"])
        conn.execute("DELETE FROM notes WHERE code = ? AND id = ?", (code, data["note"]))
        return {"ok": True, "theme": theme, "field": field_name}

    def _do_addition(self, conn, code, actor, data):
        (addition_id,) = conn.execute(
            "INSERT INTO additions (code, participant, theme, text, created_at, kind)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (code, actor, data["theme"], data["text"], time.time(), data.get("kind", "")),
        ).fetchone()
        self._bump(conn, code)
        return {"ok": True, "addition": addition_id}

    # -- additions: moderation, groups and "Dat herken ik ook" --------------------------------

    def _do_moderate(self, conn, code, actor, data):
        cur = conn.execute(
            # Showing or hiding a merged addition takes it out of the group again.
            "UPDATE additions SET status = ?, merged_into = NULL WHERE code = ? AND id = ?",
            ("shown" if data["show"] else "hidden", code, data["addition"]),
        )
        if cur.rowcount != 1:
            raise Refused("unknown_addition")
        self._bump(conn, code)
        return {"ok": True}

    @staticmethod
    def _endorsed(conn, code, addition) -> int:
        (count,) = conn.execute(
            f"SELECT {ENDORSED} FROM additions a WHERE a.code = ? AND a.id = ?", (code, addition)
        ).fetchone()
        return count

    @staticmethod
    def _shown_root(conn, code, addition) -> int:
        """The addition that counts for ``addition`` (``rules.shown_root``)."""
        found = _addition_row(conn, code, addition)
        parent = None
        if found is not None and found.merged_into is not None:
            parent = _addition_row(conn, code, found.merged_into)
        return rules.shown_root(found, parent)

    def _do_endorse(self, conn, code, actor, data):
        root = self._shown_root(conn, code, data["addition"])
        if data["on"]:
            conn.execute("INSERT OR IGNORE INTO endorsements VALUES (?, ?, ?)", (code, root, actor))
        else:
            conn.execute(
                "DELETE FROM endorsements WHERE code = ? AND addition = ? AND participant = ?",
                (code, root, actor),
            )
        return {"ok": True, "endorsements": self._endorsed(conn, code, root)}

    def _do_addition_hands(self, conn, code, actor, data):
        root = self._shown_root(conn, code, data["addition"])
        conn.execute(
            "INSERT INTO addition_hands VALUES (?, ?, ?)"
            " ON CONFLICT (code, addition) DO UPDATE SET count = excluded.count",
            (code, root, data["count"]),
        )
        return {"ok": True, "endorsements": self._endorsed(conn, code, root)}

    def _do_merge_addition(self, conn, code, actor, data):
        addition, into = data["addition"], data["into"]
        children = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM additions WHERE code = ? AND merged_into = ? AND status = 'merged'",
                (code, addition),
            )
        ]
        merge = rules.merge_addition(
            _addition_row(conn, code, addition), _addition_row(conn, code, into), children
        )
        if not merge.write:
            return merge.ack
        conn.executemany(
            "UPDATE additions SET merged_into = ? WHERE code = ? AND id = ?",
            [(merge.root, code, child) for child in merge.regroup],
        )
        conn.execute(
            "UPDATE additions SET status = 'merged', merged_into = ? WHERE code = ? AND id = ?",
            (merge.root, code, addition),
        )
        # The endorsements go to the root as a set (a person who tapped both counts once).
        conn.execute(
            "INSERT OR IGNORE INTO endorsements SELECT code, ?, participant FROM endorsements"
            " WHERE code = ? AND addition = ?",
            (merge.root, code, addition),
        )
        conn.execute("DELETE FROM endorsements WHERE code = ? AND addition = ?", (code, addition))
        hands = conn.execute(
            "DELETE FROM addition_hands WHERE code = ? AND addition = ? RETURNING count", (code, addition)
        ).fetchone()
        if hands:
            conn.execute(
                "INSERT INTO addition_hands VALUES (?, ?, ?)"
                " ON CONFLICT (code, addition) DO UPDATE SET count = count + excluded.count",
                (code, merge.root, hands[0]),
            )
        self._bump(conn, code)
        return merge.ack

    # -- the host shapes the evening (each bumps the version: every screen redraws) -----------

    def _do_lock_choices(self, conn, code, actor, data):
        conn.execute("UPDATE meetings SET choices_locked = ? WHERE code = ?", (int(data["locked"]), code))
        self._bump(conn, code)
        return {"ok": True}

    def _do_merge_themes(self, conn, code, actor, data):
        theme, into = data["theme"], data["into"]
        alive = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM themes WHERE code = ? AND id IN (?, ?) AND removed = 0", (code, theme, into)
            )
        ]
        (choosers,) = conn.execute(
            "SELECT count(*) FROM choices WHERE code = ? AND theme = ?", (code, theme)
        ).fetchone()
        current = self._current_theme(conn, code)
        merge = rules.merge_themes(theme, into, alive, choosers, current)
        conn.execute(
            "UPDATE choices SET theme = ?, seat = 0 WHERE code = ? AND theme = ?", (into, code, theme)
        )
        conn.execute(
            "UPDATE OR IGNORE pledges SET theme = ? WHERE code = ? AND theme = ?", (into, code, theme)
        )
        conn.execute("UPDATE notes SET theme = ? WHERE code = ? AND theme = ?", (into, code, theme))
        conn.execute(
            "UPDATE themes SET removed = 1, merged_into = ? WHERE code = ? AND id = ?", (into, code, theme)
        )
        if merge.reset_pace:
            conn.execute("UPDATE meetings SET pace = 'all', current_theme = NULL WHERE code = ?", (code,))
        if self._follow_up(conn, code):
            self._merge_groups(conn, code, theme, into)
        self._bump(conn, code)
        return merge.ack

    @staticmethod
    def _follow_up(conn, code) -> bool:
        row = conn.execute("SELECT kind FROM meetings WHERE code = ?", (code,)).fetchone()
        return row is not None and row[0] == terugkom.FOLLOW_UP

    @staticmethod
    def _live_agreements(conn, code) -> list[tuple[int, list[int]]]:
        rows = conn.execute("SELECT id, themes FROM agreements WHERE code = ? AND removed = 0", (code,))
        return [(n, [int(t) for t in themes.split(",") if t]) for n, themes in rows]

    @staticmethod
    def _presenting(conn, code) -> int | None:
        return conn.execute("SELECT presenting FROM meetings WHERE code = ?", (code,)).fetchone()[0]

    def _merge_groups(self, conn, code, theme, into):
        """The group rows of a merge in a terugkombijeenkomst (``terugkom.merge_groups``)."""
        rows = {
            row[0]: {"plan": row[1], "origin": row[2], "key_hash": row[3]}
            for row in conn.execute(
                "SELECT theme, plan, origin, key_hash FROM groups WHERE code = ? AND theme IN (?, ?)",
                (code, theme, into),
            )
        }
        (title,) = conn.execute(
            "SELECT title FROM themes WHERE code = ? AND id = ?", (code, theme)
        ).fetchone()
        merge = terugkom.merge_groups(
            theme,
            into,
            rows.get(theme),
            rows.get(into),
            self._live_agreements(conn, code),
            self._presenting(conn, code),
            title,
        )
        conn.execute(
            "INSERT INTO groups (code, theme, plan, origin) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (code, theme) DO UPDATE SET plan = excluded.plan, origin = excluded.origin",
            (code, into, merge.plan, merge.origin),
        )
        conn.execute("UPDATE groups SET key_hash = '' WHERE code = ? AND theme = ?", (code, theme))
        conn.executemany(
            "UPDATE agreements SET themes = ? WHERE code = ? AND id = ?",
            [(_id_list(themes), code, n) for n, themes in merge.agreements.items()],
        )
        if merge.reset_presenting:
            conn.execute("UPDATE meetings SET presenting = NULL WHERE code = ?", (code,))

    def _remove_group(self, conn, code, theme):
        """The agreements and presenting of a removal in a terugkombijeenkomst."""
        removal = terugkom.remove_group(
            theme, self._live_agreements(conn, code), self._presenting(conn, code)
        )
        conn.executemany(
            "UPDATE agreements SET themes = ? WHERE code = ? AND id = ?",
            [(_id_list(themes), code, n) for n, themes in removal.agreements.items()],
        )
        conn.executemany(
            "UPDATE agreements SET removed = 1 WHERE code = ? AND id = ?",
            [(code, n) for n in removal.removed],
        )
        if removal.reset_presenting:
            conn.execute("UPDATE meetings SET presenting = NULL WHERE code = ?", (code,))

    @staticmethod
    def _current_theme(conn, code) -> int | None:
        """The theme recognition is paced on now (None: all at once, or the meeting is gone)."""
        row = conn.execute("SELECT current_theme FROM meetings WHERE code = ?", (code,)).fetchone()
        return row[0] if row else None

    def _do_set_wifi(self, conn, code, actor, data):
        conn.execute(
            "UPDATE meetings SET wifi_name = ?, wifi_password = ? WHERE code = ?",
            (data["name"], data["password"], code),
        )
        self._bump(conn, code)
        return {"ok": True}

    def _do_show_welcome(self, conn, code, actor, data):
        conn.execute("UPDATE meetings SET welcome = ? WHERE code = ?", (int(data["show"]), code))
        self._bump(conn, code)
        return {"ok": True}

    def _do_set_phase(self, conn, code, actor, data):
        # Another part of the evening ends a welcome the host brought back: the board shows again.
        (version,) = conn.execute(
            "UPDATE meetings SET phase = ?, welcome = 0, version = version + 1"
            " WHERE code = ? RETURNING version",
            (data["phase"], code),
        ).fetchone()
        return {"ok": True, "phase": data["phase"], "version": version}

    def _do_add_theme(self, conn, code, actor, data):
        (active,) = conn.execute(
            "SELECT count(*) FROM themes WHERE code = ? AND removed = 0", (code,)
        ).fetchone()
        addition, found, made = data["addition"], None, None
        if addition is not None:
            found = _addition_row(conn, code, addition)
            row = conn.execute(
                "SELECT id FROM themes WHERE code = ? AND from_addition = ? AND removed = 0", (code, addition)
            ).fetchone()
            made = row[0] if row else None
        (next_id, next_position) = conn.execute(
            "SELECT coalesce(max(id), 0) + 1, coalesce(max(coalesce(position, id)), 0) + 1"
            " FROM themes WHERE code = ?",
            (code,),
        ).fetchone()
        new = rules.add_theme(active, next_id, next_position, addition, found, made)
        if not new.write:
            return new.ack
        conn.execute(
            "INSERT INTO themes (code, id, title, description, position, from_addition)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (code, new.id, data["title"], data["description"], new.position, addition),
        )
        if addition is not None:
            conn.execute(
                "UPDATE additions SET status = 'promoted' WHERE code = ? AND id = ?", (code, addition)
            )
        if self._follow_up(conn, code):  # a new working group: its key follows (set_group_key)
            group = terugkom.new_group(new.id)
            conn.execute(
                "INSERT OR IGNORE INTO groups (code, theme, key_hash, origin) VALUES (?, ?, ?, ?)",
                (code, group["theme"], group["key_hash"], group["origin"]),
            )
        self._bump(conn, code)
        return new.ack

    def _do_edit_theme(self, conn, code, actor, data):
        tables = json.dumps(list(data["tables"])) if "tables" in data else None
        cur = conn.execute(
            "UPDATE themes SET title = coalesce(?, title), description = coalesce(?, description),"
            " tables = coalesce(?, tables), capacity = CASE WHEN ? THEN ? ELSE capacity END"
            " WHERE code = ? AND id = ? AND removed = 0",
            (
                data.get("title"),
                data.get("description"),
                tables,
                "capacity" in data,
                data.get("capacity"),
                code,
                data["theme"],
            ),
        )
        if cur.rowcount != 1:
            raise Refused("unknown_theme")
        self._bump(conn, code)
        return {"ok": True}

    def _do_remove_theme(self, conn, code, actor, data):
        theme = data["theme"]
        answers = 0
        if not data["confirm"]:  # only counted when the host has not confirmed yet
            (answers,) = conn.execute(
                "SELECT (SELECT count(*) FROM votes WHERE code = ?1 AND theme = ?2)"
                " + (SELECT count(*) FROM choices WHERE code = ?1 AND theme = ?2)"
                " + (SELECT count(*) FROM pledges WHERE code = ?1 AND theme = ?2)"
                " + (SELECT count(*) FROM additions WHERE code = ?1 AND theme = ?2)"
                " + (SELECT coalesce(sum(count), 0) FROM manual_counts WHERE code = ?1 AND theme = ?2)",
                (code, theme),
            ).fetchone()
        active = {
            row[0] for row in conn.execute("SELECT id FROM themes WHERE code = ? AND removed = 0", (code,))
        }
        current = self._current_theme(conn, code)
        removal = rules.remove_theme(
            theme, theme in active, len(active - {theme}), answers, data["confirm"], current
        )
        if not removal.write:
            return removal.ack
        # Kept in the store, and so in the exports; only taken off the screens.
        cur = conn.execute(
            "UPDATE themes SET removed = 1 WHERE code = ? AND id = ? AND removed = 0", (code, theme)
        )
        if cur.rowcount != 1:
            raise Refused("unknown_theme")
        if removal.reset_pace:
            conn.execute("UPDATE meetings SET pace = 'all', current_theme = NULL WHERE code = ?", (code,))
        if self._follow_up(conn, code):
            self._remove_group(conn, code, theme)
        self._bump(conn, code)
        return removal.ack

    def _do_order_themes(self, conn, code, actor, data):
        active = [
            row[0] for row in conn.execute("SELECT id FROM themes WHERE code = ? AND removed = 0", (code,))
        ]
        conn.executemany(
            "UPDATE themes SET position = ? WHERE code = ? AND id = ?",
            [(position, code, theme) for position, theme in rules.order_themes(active, data["order"])],
        )
        self._bump(conn, code)
        return {"ok": True}

    def _do_set_pace(self, conn, code, actor, data):
        conn.execute(
            "UPDATE meetings SET pace = ?, current_theme = ? WHERE code = ?",
            (data["pace"], data["theme"], code),
        )
        self._bump(conn, code)
        return {"ok": True}

    def _do_set_results(self, conn, code, actor, data):
        (hidden_themes, all_hidden) = conn.execute(
            "SELECT hidden_themes, results_hidden FROM meetings WHERE code = ?", (code,)
        ).fetchone()
        active = [
            row[0] for row in conn.execute("SELECT id FROM themes WHERE code = ? AND removed = 0", (code,))
        ]
        results_hidden, hidden = rules.set_results(
            bool(all_hidden),
            (int(t) for t in hidden_themes.split(",") if t),
            active,
            data["theme"],
            data["hidden"],
        )
        conn.execute(
            "UPDATE meetings SET results_hidden = ?, hidden_themes = ? WHERE code = ?",
            (int(results_hidden), ",".join(str(t) for t in sorted(hidden)), code),
        )
        self._bump(conn, code)
        return {"ok": True}

    def _do_manual_count(self, conn, code, actor, data):
        conn.execute(
            "INSERT INTO manual_counts (code, theme, answer, count) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (code, theme, answer) DO UPDATE SET count = excluded.count",
            (code, data["theme"], data["answer"], data["count"]),
        )
        return {"ok": True}

    def _do_submit_form(self, conn, code, actor, data):
        # One paper form (or one person helped on a shared device) is a participant of its own,
        # written with all its answers in this one transaction: all of it counts, or none.
        (participant,) = conn.execute(
            "INSERT INTO participants (code, token_hash, created_at, origin) VALUES (?, ?, ?, ?)"
            " RETURNING id",
            (code, data["token_hash"], time.time(), data["origin"]),
        ).fetchone()
        conn.executemany(
            "INSERT INTO votes (code, participant, theme, answer) VALUES (?, ?, ?, ?)",
            [(code, participant, theme, answer) for theme, answer in data["votes"].items()],
        )
        additions = [
            self._do_addition(conn, code, participant, item)["addition"] for item in data["additions"]
        ]
        if data["choice"] is not None:
            row = conn.execute(
                "SELECT tables FROM themes WHERE code = ? AND id = ? AND removed = 0", (code, data["choice"])
            ).fetchone()
            per_table = self._per_table(conn, code, data["choice"]) if row else {}
            seat = rules.form_seat(row is not None, places(row[0]) if row else (), per_table)
            conn.execute(
                "INSERT INTO choices (code, participant, theme, seat) VALUES (?, ?, ?, ?)",
                (code, participant, data["choice"], seat),
            )
        for pledge in data["pledges"]:
            self._do_pledge(conn, code, participant, pledge)
        for addition in data.get("endorse", ()):
            self._do_endorse(conn, code, participant, {"addition": addition, "on": True})
        return {"ok": True, "participant": participant, "additions": additions}

    # -- a terugkombijeenkomst: who presents, plans, the call list, agreements ------------------

    def _do_set_presenting(self, conn, code, actor, data):
        conn.execute("UPDATE meetings SET presenting = ? WHERE code = ?", (data["theme"], code))
        self._bump(conn, code)
        return {"ok": True}

    def _do_plan(self, conn, code, actor, data):
        row = conn.execute(
            "SELECT plan FROM groups WHERE code = ? AND theme = ?", (code, data["theme"])
        ).fetchone()
        if row is None:
            raise Refused("unknown_group")
        conn.execute(
            "UPDATE groups SET plan = ? WHERE code = ? AND theme = ?",
            (terugkom.merged_plan(row[0], data["fields"]), code, data["theme"]),
        )
        return {"ok": True}

    def _do_set_group_key(self, conn, code, actor, data):
        row = conn.execute(
            "SELECT g.theme, t.removed FROM groups g JOIN themes t ON t.code = g.code AND t.id = g.theme"
            " WHERE g.code = ? AND g.theme = ?",
            (code, data["theme"]),
        ).fetchone()
        ack = terugkom.group_key_target(row, row is not None and not row[1])
        conn.execute(
            "UPDATE groups SET key_hash = ? WHERE code = ? AND theme = ?",
            (data["key_hash"], code, data["theme"]),
        )
        return ack

    def _do_group_status(self, conn, code, actor, data):
        fields = {k: data[k] for k in ("status", "called_on", "host_note") if k in data}
        cur = conn.execute(
            f"UPDATE groups SET {', '.join(f'{k} = ?' for k in fields)} WHERE code = ? AND theme = ?",
            (*fields.values(), code, data["theme"]),
        )
        if cur.rowcount != 1:
            raise Refused("unknown_group")
        return {"ok": True}

    def _do_agreement(self, conn, code, actor, data):
        ids = [row[0] for row in conn.execute("SELECT id FROM agreements WHERE code = ?", (code,))]
        (live,) = conn.execute(
            "SELECT count(*) FROM agreements WHERE code = ? AND removed = 0", (code,)
        ).fetchone()
        new = terugkom.next_agreement(ids, live)
        conn.execute(
            "INSERT INTO agreements (code, id, text, themes, who, due, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (code, new, data["text"], _id_list(data["themes"]), data["who"], data["due"], time.time()),
        )
        return {"ok": True, "agreement": new}

    def _do_edit_agreement(self, conn, code, actor, data):
        fields = {k: data[k] for k in ("text", "themes", "who", "due") if k in data}
        if "themes" in fields:
            fields["themes"] = _id_list(fields["themes"])
        cur = conn.execute(
            f"UPDATE agreements SET {', '.join(f'{k} = ?' for k in fields)}"
            " WHERE code = ? AND id = ? AND removed = 0",
            (*fields.values(), code, data["agreement"]),
        )
        if cur.rowcount != 1:
            raise Refused("unknown_agreement")
        return {"ok": True, "agreement": data["agreement"]}

    def _do_remove_agreement(self, conn, code, actor, data):
        cur = conn.execute(
            "UPDATE agreements SET removed = 1 WHERE code = ? AND id = ? AND removed = 0",
            (code, data["agreement"]),
        )
        if cur.rowcount != 1:
            raise Refused("unknown_agreement")
        return {"ok": True, "agreement": data["agreement"]}

    # -- the hand-off: the meeting's day and the follow-ups -----------------------------------

    def set_meeting_dates(self, code, held_on, retention_days):
        cur = self._w.execute(
            "UPDATE meetings SET held_on = ?, retention_days = ? WHERE code = ?",
            (held_on, retention_days, code),
        )
        return cur.rowcount == 1

    def set_follow_up(self, code, theme, follow_up):
        cur = self._w.execute(
            "UPDATE themes SET follow_up = ? WHERE code = ? AND id = ?",
            (json.dumps(follow_up) if follow_up else "", code, theme),
        )
        return cur.rowcount == 1
