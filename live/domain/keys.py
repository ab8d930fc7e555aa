"""Meeting codes, secret keys, join tickets, attendee tokens and message ids."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from live.domain.model import Refused
from live.domain.text import _SURROGATE

# Code alphabet without look-alikes: no 0/O, 1/I/L, 2/Z, 5/S, 8/B.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 5


MAX_MESSAGE_ID = 64
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


def new_code() -> str:
    """A short meeting code that is easy to read from a beamer and to type."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw) -> str | None:
    """The canonical code for what someone typed, or None if it cannot be one."""
    if not isinstance(raw, str):
        return None
    code = raw.strip().upper()
    if not 4 <= len(code) <= 6 or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def new_key() -> str:
    """A host or participant secret: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def projector_key_for(host_key: str, code: str) -> str:
    """The projector key derived from the host key, so the host page can show the beamer link
    again although only hashes are stored."""
    digest = hmac.new(host_key.encode(), f"projector:{code}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def helper_key_for(host_key: str, code: str) -> str:
    """The helper key (paper forms, a shared device) derived from the host key, like the
    projector key, so the host page can show the helper link again."""
    digest = hmac.new(host_key.encode(), f"helper:{code}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def group_key_for(host_key: str, code: str, theme: int) -> str:
    """The key of one working group's link in a terugkombijeenkomst, derived from the host key
    like the projector key, so the host page can show a group's link again; it opens that
    group's plan and nothing else."""
    digest = hmac.new(host_key.encode(), f"group:{code}:{theme}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def join_ticket(server_secret: str, code: str) -> str:
    """The ticket in a meeting's QR code and shared link: proof that a phone was shown the real
    code, so somebody else's mistyped codes from the same address never lock it out."""
    digest = hmac.new(server_secret.encode(), f"join:{code}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def ticket_matches(server_secret: str, code: str, ticket) -> bool:
    """Constant-time check of a presented join ticket."""
    if not isinstance(ticket, str) or len(ticket) != 16 or not ticket.isascii():
        return False
    return hmac.compare_digest(join_ticket(server_secret, code), ticket)


def hash_secret(secret: str) -> str:
    """The stored form of a key or token (keys are long and random, so no slow hash is needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret, stored_hash: str) -> bool:
    """Constant-time check of a presented key against its stored hash."""
    if not isinstance(secret, str) or not secret or not stored_hash or _SURROGATE.search(secret):
        return False
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def valid_token(token) -> bool:
    """Whether a participant token has the shape the server hands out."""
    return isinstance(token, str) and bool(TOKEN_RE.match(token))


def message_id(payload) -> str:
    """The client-made id every payload carries, used to drop duplicates."""
    if not isinstance(payload, dict):
        raise Refused("bad_payload")
    raw = payload.get("id")
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise Refused("bad_id")
    mid = str(raw)
    if not mid or len(mid) > MAX_MESSAGE_ID or _SURROGATE.search(mid):
        raise Refused("bad_id")
    return mid
