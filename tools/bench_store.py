"""``python tools/bench_store.py``: votes per second through ``Store.apply``, SQLite against Redis.

Not a test and not the load benchmark (``tools/bench.py`` drives the real server): it times the
store alone, as the writer calls it, with batches of ``--batch`` votes from ``--people``
participants on three themes, one thread, and prints one JSON line per store. Redis is
``REDIS_URL`` (default 127.0.0.1:6379) in database 13, under a key prefix of its own that is
deleted afterwards; a Redis that keeps an append-only file with ``appendfsync always`` pays an
fsync per batch, like SQLite.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from live.domain import Theme  # noqa: E402
from live.store import HOST_ACTOR, Action  # noqa: E402

ANSWERS = ("yes", "partly", "no")


def run(store, name: str, people: int, batch: int, kind: str = "vote") -> dict:
    """Time ``people`` x 3 votes (or choices) in batches; the figures as a dict."""
    code = "BENCH"
    themes = [Theme(1, "Groen"), Theme(2, "Verkeer"), Theme(3, "Spelen")]
    assert store.create_meeting(code, "Bench", "", "", themes, "h", "p", "x", "", None)
    phase = "recognition" if kind == "vote" else "topics"
    store.apply([Action("set_phase", code, HOST_ACTOR, "p", {"phase": phase})])
    joins = [Action("join", code, HOST_ACTOR, "", {"token_hash": f"t{n}"}) for n in range(people)]
    ids = [a["participant"] for n in range(0, people, batch) for a in store.apply(joins[n : n + batch])]
    if kind == "vote":
        actions = [
            Action("vote", code, p, f"v{t}", {"theme": t, "answer": ANSWERS[(p + t) % 3]}, ("recognition",))
            for p in ids
            for t in (1, 2, 3)
        ]
    else:
        actions = [Action("choose", code, p, "c", {"theme": 1 + p % 3}, ("topics",)) for p in ids]
    start = time.perf_counter()
    for n in range(0, len(actions), batch):
        acks = store.apply(actions[n : n + batch])
        assert all(a["ok"] for a in acks), acks
    took = time.perf_counter() - start
    tally = store.tally(code)
    field = ("yes", "partly", "no") if kind == "vote" else ("chosen",)
    assert sum(r[f] for r in tally["themes"] for f in field) == len(actions)
    return {
        "store": name,
        "action": kind,
        "actions": len(actions),
        "batch": batch,
        "seconds": round(took, 3),
        "per_second": round(len(actions) / took),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    from live.store.redis import RedisStore
    from live.store.sqlite import SQLiteStore

    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/13"
    for kind in ("vote", "choose"):
        with tempfile.TemporaryDirectory() as folder:
            sqlite = SQLiteStore(folder)
            print(json.dumps(run(sqlite, "sqlite", args.people, args.batch, kind)), flush=True)
            sqlite.close()
        prefix = f"bench:{uuid.uuid4().hex[:8]}:"
        store = RedisStore(url, prefix=prefix)
        try:
            figures = run(store, "redis", args.people, args.batch, kind)
            figures["appendfsync"] = store._r.config_get("appendfsync").get("appendfsync")
            print(json.dumps(figures), flush=True)
        finally:
            keys = list(store._r.scan_iter(match=prefix + "*", count=1000))
            for n in range(0, len(keys), 500):
                store._r.unlink(*keys[n : n + 500])
            store.close()


if __name__ == "__main__":
    main()
