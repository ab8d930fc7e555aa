"""Whether a Redis server keeps every acknowledged action through a crash.

An ``ok`` ack promises the phone that its vote or pledge is saved. SQLite keeps that promise with
``synchronous=FULL``; Redis only with its append-only file written at every command
(``appendonly yes`` and ``appendfsync always``). A worker reads the server's settings at start and
refuses to run when the promise could break, unless the deployment says it accepts the risk
(``REDIS_ACCEPT_LOSS``): a replica with its own guarantee, or a try-out.
"""

from __future__ import annotations

import redis

# What the worker says when it will not start: the facilitator or the admin reads this first.
NOT_DURABLE = (
    "Redis bewaart niet elke stem meteen op schijf ({found}). Bij een storing kan een bevestigde "
    "stem dan verloren gaan. Zet in redis.conf: appendonly yes en appendfsync always. "
    "Wilt u dit risico toch nemen (bijvoorbeeld om het uit te proberen)? Zet dan REDIS_ACCEPT_LOSS=1."
)
UNKNOWN = (
    "Deze Redis laat niet zien hoe hij gegevens bewaart ({error}). Controleer dat appendonly yes en "
    "appendfsync always aan staan, en zet dan REDIS_ACCEPT_LOSS=1."
)

UNREACHABLE = (
    "Burgerkracht Live kan Redis niet bereiken ({error}). Kijk of Redis draait en of STORE het goede"
    " adres heeft (en REDIS_PASSWORD het goede wachtwoord). Start daarna opnieuw."
)


def unreachable(err: Exception) -> str:
    """The Dutch sentence for a Redis that does not answer at start."""
    return UNREACHABLE.format(error=str(err).split("\n")[0][:120])


def persistence_problem(client: redis.Redis) -> str | None:
    """None when every acknowledged write survives a crash of the Redis server; else a Dutch
    sentence saying what is wrong and what to do."""
    try:
        found = {**client.config_get("appendonly"), **client.config_get("appendfsync")}
    except redis.ResponseError as exc:  # managed services often refuse CONFIG
        return UNKNOWN.format(error=str(exc).split("\n")[0][:80])
    if found.get("appendonly") == "yes" and found.get("appendfsync") == "always":
        return None
    shown = ", ".join(f"{k} {found.get(k, '?')}" for k in ("appendonly", "appendfsync"))
    return NOT_DURABLE.format(found=shown)
