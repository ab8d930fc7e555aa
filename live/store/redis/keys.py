"""Where the Redis store keeps what: the key of every part of a meeting, and the global keys.

Every key of one meeting starts with ``{prefix}{{CODE}}:``: the code is a hash tag, so on Redis
Cluster a meeting lives in one slot and one script or MULTI/EXEC may touch all of it. No script
touches two meetings. The global keys (``codes``, ``secret``) sit outside every meeting's slot and
are never written in the same step as a meeting's keys.

Per meeting (``Meeting.key(name)``):

- ``m`` hash: the meeting's own fields (title, phase, version, keys' hashes, settings, importing);
- ``seq`` string: the sequence number (``INCR``);
- ``ids`` hash: the last participant, addition and note id given out (``HINCRBY``);
- ``themes`` hash: theme id -> JSON row (the export's columns);
- ``tokens`` hash: token hash -> participant id; ``people`` hash: participant id -> JSON
  ``{created_at, origin}``;
- ``votes:<p>`` hash: theme -> answer; ``pledges:<p>`` hash: theme -> JSON pledge;
  ``choices`` hash: participant -> ``theme:seat``;
- ``additions`` hash: id -> JSON row; ``notes`` hash: id -> JSON row; ``mine:a:<p>`` and
  ``mine:n:<p>`` sets: the ids of one participant's additions and notes;
- ``endorsed:<addition>`` set: who recognised themselves in it; ``endorsing:<p>`` set: what one
  participant recognised; ``ahands`` hash: addition -> raised hands; ``hands`` hash:
  ``theme:answer`` -> a manual count;
- counters kept by every write, so a tally is a read: ``tv`` (``theme:answer``), ``tc``
  (``c:theme`` choosers, ``s:theme:seat`` per table), ``tp`` (``p:theme``, ``r:theme:role``),
  ``to`` (origin -> participants);
- a terugkombijeenkomst: ``groups`` hash: theme -> JSON row (the export's columns, with its
  key's hash); ``gkeys`` hash: key hash -> theme; ``agreements`` hash: id -> JSON row;
- ``handled:<actor>`` hash: message id -> the first ack (JSON); ``handled_at`` sorted set:
  ``actor:msg_id`` scored by the time it was handled (for pruning).
"""

from __future__ import annotations

# Global: code -> "live" (a meeting, perhaps still importing) or "retired" (deleted, never reused).
CODES = "codes"
SECRET = "secret"
# Global: how many meetings were given a block of ids. Meeting n numbers its participants,
# additions and notes from n * ID_BLOCK, so an id is never reused by another meeting (an
# imported meeting's people are new people) while each meeting counts in its own slot.
BLOCKS = "blocks"
ID_BLOCK = 10**6
LIVE, RETIRED = "live", "retired"

# The per-meeting keys with a fixed name (the per-participant and per-addition ones are derived).
FIXED = (
    "m",
    "seq",
    "ids",
    "themes",
    "tokens",
    "people",
    "choices",
    "additions",
    "notes",
    "ahands",
    "hands",
    "tv",
    "tc",
    "tp",
    "to",
    "handled_at",
    "groups",
    "gkeys",
    "agreements",
)
PER_PARTICIPANT = ("votes", "pledges", "mine:a", "mine:n", "endorsing", "handled")


class Meeting:
    """The keys of one meeting under one prefix."""

    __slots__ = ("base", "code")

    def __init__(self, prefix: str, code: str):
        self.code = code
        self.base = f"{prefix}{{{code}}}:"

    def key(self, name: str, part: object = None) -> str:
        """``name`` (one of ``FIXED``), or ``name:part`` for a participant's or addition's key."""
        return self.base + name if part is None else f"{self.base}{name}:{part}"

    def every_key(self, participants, additions, groups=()) -> list[str]:
        """All keys the meeting can have, given its participant ids (with the host and the
        helpers, who own handled ids), addition ids and groups (whose links own handled ids)."""
        keys = [self.key(name) for name in FIXED]
        keys += [self.key("handled", -100 - int(theme)) for theme in groups]
        for actor in (0, -1, *participants):
            keys += [self.key(name, actor) for name in PER_PARTICIPANT]
        keys += [self.key("endorsed", a) for a in additions]
        return keys
