"""What a worker shares with the other workers of a deployment, chosen from its settings.

The laptop's embedded store shares nothing. With ``STORE=redis://...`` every worker checks that
Redis is there and keeps every acknowledged action (``check``), counts its rate limits, turns and
leases in that Redis (``shared``) and sends its broadcasts through it (``message_queue``), so a
screen on one worker hears what a phone on another did. docs/hosting.md is the guide.
"""

from __future__ import annotations

from urllib.parse import quote

from live.shared import Shared
from live.store import StoreUnavailable


def redis_url(config) -> str:
    """The Redis of ``STORE`` with ``REDIS_PASSWORD`` filled in, or "" for the embedded store."""
    url = config["STORE"]
    if not url.startswith(("redis://", "rediss://")):
        return ""
    password = config["REDIS_PASSWORD"]
    scheme, rest = url.split("://", 1)
    if password and "@" not in rest.split("/", 1)[0]:
        url = f"{scheme}://:{quote(password, safe='')}@{rest}"
    return url


def check(url: str, config) -> None:
    """Refuse to start on a Redis that is not there, or that could lose an acknowledged action
    in a crash (unless ``REDIS_ACCEPT_LOSS``): raises ``StoreUnavailable`` with a Dutch sentence."""
    import redis

    from live.store.durability import persistence_problem, unreachable

    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.ping()
        problem = None if config["REDIS_ACCEPT_LOSS"] else persistence_problem(client)
    except redis.RedisError as err:
        raise StoreUnavailable(unreachable(err)) from None
    finally:
        client.close()
    if problem:
        raise StoreUnavailable(problem)


def shared(config) -> Shared:
    """The seam over this deployment's Redis, after ``check``."""
    from live.shared.redis import over_redis

    url = redis_url(config)
    check(url, config)
    return over_redis(config, url, config["REDIS_PREFIX"])


def message_queue(config):
    """Socket.IO's client manager over this deployment's Redis."""
    from live.shared.redis import worker_queue

    return worker_queue(redis_url(config), config["REDIS_PREFIX"])
