"""gzip for the pages' answers: which answers are compressed, for which clients, and how.

A village hall's Wi-Fi is slow; HTML, scripts, styles, JSON and SVG shrink to a third or less.
Owns the choice (``COMPRESSIBLE`` types, ``MIN_SIZE``, the client's ``Accept-Encoding``) and the
``after_request`` hook for answers Flask builds per request (pages, JSON, QR images). Static
files are compressed once, in ``live.assets``, never here. Engine.IO answers ``/socket.io/``
before Flask, so no Socket.IO traffic passes this hook. Standard library gzip only: browsers on
plain ``http://`` (the hall's laptop) are not offered brotli by Chromium anyway.

An answer that holds a key or contact details (the routes in ``NO_STORE_ENDPOINTS``, and any
answer marked ``no-store``) is never compressed: its compressed length could betray a secret next
to attendee text (BREACH). None of them is the phone's.
"""

from __future__ import annotations

import gzip

from flask import request

from live.guard.headers import NO_STORE_ENDPOINTS

COMPRESSIBLE = {
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "image/svg+xml",
}
MIN_SIZE = 512  # bytes: below this a gzip header and a CPU slice cost more than they save
LEVEL_PER_REQUEST = 6  # zlib's default: a 25 KB page in well under a millisecond
LEVEL_ONCE = 9  # static files, compressed once at start


def accepts_gzip() -> bool:
    """Whether this request's client takes gzip (``Accept-Encoding: gzip``, not ``q=0``)."""
    return request.accept_encodings["gzip"] > 0


def compressible(mimetype: str | None) -> bool:
    """Whether answers of this type are worth compressing."""
    return (mimetype or "") in COMPRESSIBLE


def gzipped(body: bytes, level: int = LEVEL_ONCE) -> bytes:
    """``body`` gzipped, with no time stamp in the header (the same bytes every start)."""
    return gzip.compress(body, compresslevel=level, mtime=0)


def compress_response(response):
    """``after_request``: gzip a page or JSON answer built for this request, when the client takes
    it; ``Vary: Accept-Encoding`` on every compressible answer, compressed or not."""
    if not compressible(response.mimetype) or response.direct_passthrough or response.is_streamed:
        return response
    if "Content-Encoding" in response.headers:
        return response  # a static file, already gzipped by live.assets
    if request.endpoint in NO_STORE_ENDPOINTS or response.cache_control.no_store:
        return response  # a key or contact details inside: its length must not vary with them
    response.vary.add("Accept-Encoding")
    if response.status_code < 200 or response.status_code in (204, 304) or not accepts_gzip():
        return response
    body = response.get_data()
    if len(body) < MIN_SIZE:
        return response
    response.set_data(gzipped(body, LEVEL_PER_REQUEST))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag:  # another representation: another validator
        response.set_etag(f"{etag}-gzip", weak)
    return response
