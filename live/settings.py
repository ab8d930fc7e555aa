"""Every setting, declared once: name, default, help. Read from the environment.

The README lists each one (a test checks that). Nothing else reads ``os.environ`` for settings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One environment setting."""

    name: str
    default: str
    help: str
    kind: type = str


SETTINGS = (
    Setting("PORT", "5000", "TCP port the server listens on.", int),
    Setting("HOST", "0.0.0.0", "Address to listen on; 0.0.0.0 lets phones on the LAN in."),
    Setting(
        "DATA_DIR",
        "instance",
        "Folder for the embedded SQLite store (created if missing; one server per folder).",
    ),
    Setting(
        "STORE",
        "sqlite",
        "Where meetings live: `sqlite` (embedded, the default), or `redis://host:port/db`"
        " (`rediss://` with TLS) for several workers sharing one Redis (docs/hosting.md).",
    ),
    Setting("REDIS_PASSWORD", "", "Password of the Redis in `STORE`, when it is not in the URL."),
    Setting(
        "REDIS_PREFIX",
        "live:",
        "Start of every Redis key and channel of this deployment (two deployments on one Redis"
        " need two prefixes).",
    ),
    Setting(
        "REDIS_ACCEPT_LOSS",
        "0",
        "1: start even when Redis does not write every change to disk at once (`appendonly yes`,"
        " `appendfsync always`); a crash of Redis can then lose a confirmed vote. For a try-out.",
        int,
    ),
    Setting(
        "WORKER_NAME",
        "",
        "This worker's name behind a load balancer (letters and digits, e.g. `w1`): it starts every"
        " Socket.IO session id, so the proxy sends a long-polling phone back to the same worker.",
    ),
    Setting(
        "PUBLIC_URL",
        "",
        "Address phones use (and the QR code holds), e.g. `https://live.example.nl` or another of"
        " the laptop's addresses printed at start; empty: its address on the default route's network.",
    ),
    Setting(
        "TRUSTED_HOSTS",
        "",
        "Comma-separated host names the server answers to; empty: this machine's names and"
        " addresses and the host of `PUBLIC_URL`. Other Host headers get 400 (DNS rebinding).",
    ),
    Setting(
        "PROXY_COUNT",
        "0",
        "Number of reverse proxies in front (e.g. 1 for nginx doing HTTPS) whose X-Forwarded-For,"
        " -Proto and -Host are trusted; 0: those headers are ignored.",
        int,
    ),
    Setting(
        "TALLY_INTERVAL",
        "0.1",
        "Seconds between tally updates to projector and host per meeting (at most 10 a second).",
        float,
    ),
    Setting(
        "PHONE_RATE_LIMIT",
        "20/5seconds;120/minute",
        "Events one phone may send (more get `rate_limited`), in the `limits` package's notation.",
    ),
    Setting("HOST_RATE_LIMIT", "60/5seconds;600/minute", "Events the host devices of one meeting may send."),
    Setting(
        "LOOKUP_RATE_LIMIT",
        "30/minute;300/day",
        "Look-ups of codes that do not exist, per address; past it, that address only gets in"
        " with proof it was given the code (the QR link's ticket, a phone's token, a key).",
    ),
    Setting(
        "CREATE_RATE_LIMIT",
        "10/minute;50/day",
        "Meetings one address may create (more get `rate_limited`), in the `limits` notation.",
    ),
    Setting(
        "ORGANISER_KEY",
        "",
        "When set, creating a meeting needs this key (start form field, or `Authorization: Bearer`"
        " on the API); empty: anyone may create one, as on the laptop.",
    ),
    Setting("PING_INTERVAL", "20", "Seconds between Socket.IO pings.", float),
    Setting(
        "PING_TIMEOUT",
        "20",
        "Seconds without an answer before a connection is dropped (a stalled client is let go).",
        float,
    ),
    Setting(
        "RETENTION_DAYS",
        "90",
        "Days after a meeting's day when names, contacts and addition texts are erased (checked at"
        " start and every hour; 0: the day after). The host can set other days per meeting.",
        int,
    ),
    Setting(
        "HANDLED_KEEP_HOURS",
        "48",
        "Hours the server remembers a handled message id (so a resend acts once); older ones are"
        " forgotten at the hourly erasure run.",
        float,
    ),
    Setting("MAX_CONNECTIONS", "10000", "Concurrent connections one worker accepts.", int),
    Setting(
        "MAX_CONNECTIONS_PER_ADDRESS",
        "1000",
        "Open connections one address may hold (0: no cap). Not applied with PROXY_COUNT set"
        " (every connection comes from the proxy): limit per client at the proxy.",
        int,
    ),
    Setting(
        "REQUEST_TIMEOUT",
        "10",
        "Seconds a client has to send a request's line and headers (and for each read of its"
        " body); a half-sent request is closed after it. Open websockets are not affected.",
        float,
    ),
    Setting(
        "JOIN_TIMEOUT",
        "10",
        "Seconds a session may stay silent without asking to join a meeting before it is closed;"
        " one that asked may wait six times as long for the answer.",
        float,
    ),
    Setting(
        "UNJOINED_PER_ADDRESS",
        "500",
        "Socket.IO sessions one address may hold that have not joined a meeting yet (0: no cap).",
        int,
    ),
    Setting("LOG_LEVEL", "INFO", "Python log level for the server."),
)


class SettingError(ValueError):
    """A setting whose value is not of its kind (e.g. ``PORT=abc``)."""

    def __init__(self, setting: Setting, value: str):
        super().__init__(f"{setting.name}={value!r} is not a {setting.kind.__name__}")
        self.name = setting.name
        self.value = value
        self.default = setting.default


def from_environment(environ=None) -> dict:
    """The settings as a config dict, typed, with defaults filled in."""
    environ = os.environ if environ is None else environ
    config = {}
    for s in SETTINGS:
        value = environ.get(s.name, s.default)
        try:
            config[s.name] = s.kind(value)
        except ValueError:
            raise SettingError(s, value) from None
    return config
