"""What a Socket.IO message may be before a handler sees it: the socket JSON decoder and packet.

Owns the event names the server fires itself for a message no handler can take (too deep,
unreadable, not an event, a reserved name) and the ``bad_payload`` answer. It hands python-socketio
a ``json`` module and a packet class through its public ``json=`` and ``serializer=`` arguments;
the internals ``GuardedPacket`` relies on are checked in ``patches.SHAPES``. It must not hold
meeting rules or budgets.
"""

from __future__ import annotations

import json

from socketio import packet as sio_packet

# The event name a too-deep socket payload is turned into; its handler acks `bad_payload`.
BAD_PAYLOAD_EVENT = "\x00bad_payload"
# Event names only the server itself may fire (and "*", its catch-all); one sent by a client
# becomes UNKNOWN_EVENT, which the catch-all handler acks `unknown_event`.
RESERVED_EVENTS = frozenset({"connect", "disconnect", "connect_error", "*"})
UNKNOWN_EVENT = "\x00reserved"


class SocketJSON:
    """The ``json`` module python-socketio and python-engineio decode with.

    A payload nested too deep raises RecursionError inside the packet decoder, and the message
    would vanish without an ack; instead it becomes an event whose handler acks `bad_payload`.
    """

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(s, **kwargs):
        """Parse JSON; too deep becomes the bad-payload event."""
        try:
            return json.loads(s, **kwargs)
        except RecursionError:
            return [BAD_PAYLOAD_EVENT]


CLIENT_PACKETS = (
    sio_packet.CONNECT,
    sio_packet.DISCONNECT,
    sio_packet.EVENT,
    sio_packet.ACK,
    sio_packet.BINARY_EVENT,
    sio_packet.BINARY_ACK,
)


class GuardedPacket(sio_packet.Packet):
    """python-socketio's packet, but an event it could not dispatch becomes one it can.

    Unguarded, each of these crashed with a traceback and left the client without an ack: JSON
    that does not parse or holds an integer of more than 4300 digits (Python's limit), an event
    that is not a list (``[]``, ``{}``) or whose name is not a string (``[{}]``), and a client
    firing the server's own ``connect``, ``disconnect`` or catch-all ``*`` handler
    (``disconnect`` also made the server forget who the connection was). They are acked
    ``bad_payload`` or ``unknown_event``. So is a packet of a type a client never sends, and one
    with binary attachments; a connect whose auth cannot be read is a connect without auth
    (refused).
    """

    def decode(self, encoded_packet):
        """Decode as usual, then make sure an event names a handler a client may reach."""
        try:
            attachments = super().decode(encoded_packet)
        except (ValueError, TypeError):  # TypeError: bytes where no binary attachment is due
            if self.packet_type == sio_packet.CONNECT:
                self.data = None  # unreadable auth: refused as a connect without any
                return 0
            self.packet_type, self.data, attachments = sio_packet.EVENT, [BAD_PAYLOAD_EVENT], 0
        if self.packet_type not in CLIENT_PACKETS or self.packet_type == sio_packet.BINARY_EVENT:
            # A client's CONNECT_ERROR, an unknown type, or an event with binary attachments (no
            # event of ours takes bytes): refused (acked if it has an id). Waiting for the
            # attachments would hold each one sent, up to a billion, until the last came.
            self.packet_type, self.data, attachments = sio_packet.EVENT, [BAD_PAYLOAD_EVENT], 0
        elif self.packet_type == sio_packet.BINARY_ACK:
            # We never ask a client for an ack: ignored like any unknown one, holding nothing.
            self.packet_type, attachments = sio_packet.ACK, 0
        if self.packet_type in (sio_packet.EVENT, sio_packet.BINARY_EVENT):
            if not isinstance(self.data, list) or not self.data:
                self.data = [BAD_PAYLOAD_EVENT]
            elif not isinstance(self.data[0], str) or self.data[0] in RESERVED_EVENTS:
                self.data = [UNKNOWN_EVENT, *self.data[1:]]
        return attachments


def bad_payload(*_args):
    """Any socket message too deeply nested to read: refused, so the client is not left waiting."""
    return {"ok": False, "error": "bad_payload"}
