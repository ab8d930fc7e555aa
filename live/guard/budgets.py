"""What one Engine.IO session may send, and how long it may stay without joining a meeting.

Owns the per-connection message budget (counted on every Engine.IO message, also garbage that
never becomes an event: past the soft limit a message is answered ``rate_limited`` without
reaching a handler, past the hard one the connection is closed), the grace period for a session
that never joins, and the per-address cap on such sessions. The numbers live in ``limits``; the
hook on Engine.IO's handlers and the immediate close are in ``patches``. Per-message work is a
dict look-up and two additions, so the vote path stays lean. It must not hold meeting rules or
talk to the store.
"""

from __future__ import annotations

import re
import time

from live.guard.limits import BUDGET_WINDOW, BYTES_PER_MESSAGE, HARD_FACTOR, MIN_MESSAGES, SPOKE_GRACE
from live.guard.patches import close_now, hook_engineio_events

RATE_LIMITED_ACK = '[{"ok":false,"error":"rate_limited"}]'
_EVENT_ID = re.compile(r"2(\d{1,100})[\[\"]")  # python-socketio reads ids of up to 100 digits


def soft_messages(*rate_limits: str) -> int:
    """Messages one connection may send per budget window: twice the most the event rate
    limits allow in such a window, and at least MIN_MESSAGES."""
    from limits import parse_many  # the rate-limit library, not live/guard/limits.py

    items = [item for text in rate_limits for item in parse_many(text)]
    most = max((item.amount * BUDGET_WINDOW / item.get_expiry() for item in items), default=0)
    return max(MIN_MESSAGES, int(2 * most))


class Sessions:
    """Hooks on Engine.IO's connect, message and disconnect handlers.

    Counts every message of a connection (so garbage that never becomes an event counts too),
    and lets a session that has not joined a meeting within ``join_timeout`` go, with at most
    ``unjoined_per_address`` such sessions per address at a time.
    """

    def __init__(self, sio_server, config):
        self.sio = sio_server
        self.eio = sio_server.eio
        self.join_timeout = config["JOIN_TIMEOUT"]
        self.per_address_cap = config["UNJOINED_PER_ADDRESS"]
        self.soft_messages = soft_messages(config["PHONE_RATE_LIMIT"], config["HOST_RATE_LIMIT"])
        self.soft_bytes = self.soft_messages * BYTES_PER_MESSAGE
        self.hard_messages = HARD_FACTOR * self.soft_messages
        self.hard_bytes = HARD_FACTOR * self.soft_bytes
        # A long-polling body with more packets than the hard budget is refused whole.
        self.eio.max_poll_packets = self.hard_messages
        self.unjoined: dict[str, tuple[str, float, bool]] = {}  # eio sid -> (address, deadline, spoke)
        self.per_address: dict[str, int] = {}
        self.budget: dict[str, list] = {}  # eio sid -> [window start, messages, bytes]
        hooks = {"connect": self.on_connect, "message": self.on_message, "disconnect": self.on_disconnect}
        handed_on = hook_engineio_events(self.eio, hooks)
        self._connect = handed_on["connect"]
        self._message = handed_on["message"]
        self._disconnect = handed_on["disconnect"]

    def on_connect(self, eio_sid, environ, *args):
        """A new Engine.IO session: refused if its address already has too many unjoined."""
        address = environ.get("REMOTE_ADDR", "")
        count = self.per_address.get(address, 0)
        if self.per_address_cap and count >= self.per_address_cap:
            return False
        self.per_address[address] = count + 1
        self.unjoined[eio_sid] = (address, time.monotonic() + self.join_timeout, False)
        self.budget[eio_sid] = [time.monotonic(), 0, 0]
        return self._connect(eio_sid, environ, *args)

    def on_message(self, eio_sid, data):
        """Count the message against the connection's budget, then hand it on."""
        budget = self.budget.get(eio_sid)
        if budget is None:  # already dropped
            return None
        now = time.monotonic()
        if now - budget[0] > BUDGET_WINDOW:
            budget[0], budget[1], budget[2] = now, 0, 0
        budget[1] += 1
        budget[2] += len(data)
        if budget[1] > self.soft_messages or budget[2] > self.soft_bytes:
            if budget[1] > self.hard_messages or budget[2] > self.hard_bytes:
                self.drop(eio_sid, abort=False)
            else:
                self.refuse(eio_sid, data)
            return None
        if not isinstance(data, (str, bytes)) or not data:
            # Engine.IO decoded JSON (say a deep "4[[[…"), or a message without any data ("4",
            # an empty binary "b"): no Socket.IO packet.
            return None
        waiting = self.unjoined.get(eio_sid)
        if waiting is not None and not waiting[2]:
            # It asked to join: when a whole hall scans the QR code at once, answering can take
            # longer than JOIN_TIMEOUT on a busy laptop. Only silent sessions go that soon. Once:
            # a session that keeps talking without joining must not live for ever.
            self.unjoined[eio_sid] = (waiting[0], now + SPOKE_GRACE * self.join_timeout, True)
        result = self._message(eio_sid, data)
        if eio_sid in self.unjoined and self.sio.manager.sid_from_eio_sid(eio_sid, "/"):
            self._forget(eio_sid)
        return result

    def on_disconnect(self, eio_sid, *args):
        """The session ended: forget its counters."""
        self._forget(eio_sid)
        self.budget.pop(eio_sid, None)
        return self._disconnect(eio_sid, *args)

    def refuse(self, eio_sid, data) -> None:
        """Answer an event over budget with `rate_limited`, without running its handler."""
        match = _EVENT_ID.match(data) if isinstance(data, str) else None
        if match:
            self.eio.send(eio_sid, "3" + match.group(1) + RATE_LIMITED_ACK)

    def drop(self, eio_sid, abort: bool) -> None:
        """Close one Engine.IO session now, without waiting for its queue to drain."""
        sock = self.eio.sockets.get(eio_sid)
        if sock is not None:
            close_now(sock, abort=abort)

    def sweep_forever(self) -> None:
        """Once a second, let go of sessions that did not join a meeting in time."""
        while True:
            self.eio.sleep(1)
            now = time.monotonic()
            late = [sid for sid, (_, deadline, _) in self.unjoined.items() if deadline < now]
            for eio_sid in late:
                self._forget(eio_sid)
                self.budget.pop(eio_sid, None)  # also when Engine.IO lost it without a disconnect
                self.drop(eio_sid, abort=True)

    def _forget(self, eio_sid) -> None:
        entry = self.unjoined.pop(eio_sid, None)
        if entry is not None:
            left = self.per_address.get(entry[0], 1) - 1
            if left > 0:
                self.per_address[entry[0]] = left
            else:
                self.per_address.pop(entry[0], None)
