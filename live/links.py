"""The addresses people use: the join link phones open, and the host and beamer links.

Behind a laptop opened at localhost, phones cannot use "localhost": the LAN address found at
start-up (or ``PUBLIC_URL`` when hosted) is used instead.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import quote, urlsplit

from flask import current_app, request

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def base_url() -> str:
    """Scheme, host and port that phones in the room can reach."""
    config = current_app.config
    if config.get("PUBLIC_URL"):
        return config["PUBLIC_URL"].rstrip("/")
    if urlsplit("//" + request.host).hostname in LOOPBACK and config.get("LAN_URL"):
        return config["LAN_URL"].rstrip("/")
    return request.host_url.rstrip("/")


def hosted() -> bool:
    """Whether phones reach this server over the internet: ``PUBLIC_URL`` names an address that
    is not on a local network (not loopback, private or link-local, not ``.local``). Then the
    hall's Wi-Fi is not needed to join, and the beamer and the printed pages leave it out."""
    url = current_app.config.get("PUBLIC_URL")
    host = urlsplit(url).hostname if url else None
    if not host:
        return False
    if host in LOOPBACK or host.endswith((".local", ".lan", ".home.arpa")):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True  # a name on the internet
    return not (address.is_private or address.is_loopback or address.is_link_local)


def join_url(code: str) -> str:
    """The short address on the beamer and in the QR code."""
    return f"{base_url()}/{code}"


def join_link(code: str) -> str:
    """The join address with its ticket: what the QR code holds and what people share. The
    ticket lets phones in even while their address is held back for mistyped codes."""
    return f"{join_url(code)}?t={current_app.extensions['live'].ticket(code)}"


def host_url(code: str, key: str) -> str:
    """The secret host link (opening it sets a cookie and drops the key from the address)."""
    return f"{base_url()}/{code}/host?key={quote(key)}"


def projector_url(code: str, key: str) -> str:
    """The secret beamer link."""
    return f"{base_url()}/{code}/beamer?key={quote(key)}"


def display(url: str) -> str:
    """An address as people type it: without the scheme."""
    return url.split("://", 1)[-1]


def helper_url(code: str, key: str) -> str:
    """The secret helper link: typing in paper forms, or a device handed to someone."""
    return f"{base_url()}/{code}/helper?key={quote(key)}"


def group_url(code: str, key: str) -> str:
    """The secret link of one working group's page in a terugkombijeenkomst."""
    return f"{base_url()}/{code}/groep?key={quote(key)}"
