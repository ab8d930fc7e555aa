"""The static files as a phone gets them: versioned addresses, long caching, gzip made once, and
each page's whole module graph named up front.

``live/static`` stays the source. At start (and again when a file there changes) every file is
read into memory once: scripts get their relative ``import`` addresses rewritten to versioned
ones, each file gets a version (a hash of what is served), and a gzip copy when that is smaller.

- ``url_for('static', filename=...)`` adds ``?v=<version>`` by itself (a URL default), so every
  template asks for a versioned address without saying so.
- ``/static/<file>?v=<its version>`` is ``Cache-Control: public, max-age=31536000, immutable``:
  a reload asks for nothing again. The version changes with the content, so a new release is a
  new address. Without ``v``, or with an old one (a page from before an update), the same
  address answers the current file with ``no-cache`` and an ETag, as before.
- Scripts: ``import … from './live.js'`` is served as ``'./live.js?v=<version>'``, so a module
  reached through another is versioned too, and the same file always has one address (one
  module instance). An importer's version covers its imports' versions (a change deep in the
  graph changes every address above it). An import map would do the same without rewriting,
  but it needs an inline script (the CSP allows none) and Safari 16.4.
- Each live screen's scripts (``SCREENS``) are also joined into one file at start
  (``live/bundle.py``), ``bundle/<screen>.js``: one request instead of nine, where a browser asks
  one host for six files at a time and each round costs a round trip. ``screen_scripts(screen)``
  gives the ``<script type="module">`` addresses, ``screen_preloads(screen)`` the
  ``<link rel="modulepreload">`` ones for the head. Should a script ever use syntax the bundler
  does not read, that screen loads its modules one by one instead, every one of them named by a
  ``modulepreload`` (the whole graph, read from the imports), so none is discovered a level deep.

It must not know about meetings or pages beyond the file names templates pass in.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import posixpath
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, Response, abort, request, url_for

from live import compression
from live.bundle import Unbundlable, bundle

log = logging.getLogger(__name__)

LONG_CACHE = 365 * 24 * 3600  # a year: the address changes when the file does
RESCAN_EVERY = 1.0  # seconds between looks at the folder for edited files
# The screens with scripts, and their module scripts (in the order their pages load them).
SCREENS = {
    "phone": ("js/phone.js",),
    "helper": ("js/helper.js",),
    "projector": ("js/projector.js",),
    "host": ("js/host.js", "js/keep_link.js"),
    "host_terugkom": ("js/host_terugkom.js", "js/keep_link.js"),
    "projector_terugkom": ("js/projector_terugkom.js",),
    "group": ("js/group.js",),
}
BUNDLE_FOLDER = "bundle"  # the joined scripts' addresses: /static/bundle/<screen>.js
# A static import or re-export with a relative address: `import x from './a.js'`,
# `import './a.js'`, `export { y } from '../b.js'`. Only at the start of a line, as this
# codebase writes them; `import()` is not used (and would stay as written).
IMPORT = re.compile(
    r"""^(?P<head>[ \t]*(?:import|export)\b[^'";]*?\bfrom\s*|[ \t]*import\s*)"""
    r"""(?P<quote>['"])(?P<spec>\.{1,2}/[^'"?#]+)(?P=quote)""",
    re.M,
)


@dataclass
class Asset:
    """One static file as it is served."""

    path: str  # relative to the static folder, with forward slashes
    body: bytes
    mimetype: str
    version: str
    mtime: float
    gzip: bytes | None = None
    imports: list[str] = field(default_factory=list)  # paths of the modules it imports
    holds: list[str] = field(default_factory=list)  # a bundle: the modules joined into it


class CycleError(RuntimeError):
    """Two scripts import each other: their versions cannot cover each other."""


def _scan(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder``: its relative path and (mtime_ns, size)."""
    found = {}
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            full = Path(root, name)
            stat = full.stat()
            found[full.relative_to(folder).as_posix()] = (stat.st_mtime_ns, stat.st_size)
    return found


def _resolve(importer: str, spec: str) -> str:
    """The static path ``spec`` (relative) names when ``importer`` imports it."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(importer), spec))


def build(folder: Path) -> dict[str, Asset]:
    """Read, rewrite, version and compress every file of the static folder."""
    stamps = _scan(folder)
    raw = {path: (folder / path).read_bytes() for path in stamps}
    assets: dict[str, Asset] = {}
    visiting: set[str] = set()

    def make(path: str) -> Asset:
        if path in assets:
            return assets[path]
        if path in visiting:
            raise CycleError(f"{path} is part of an import cycle")
        visiting.add(path)
        body, imports = raw[path], []
        mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if path.endswith(".js"):
            text = body.decode("utf-8")

            def versioned(match: re.Match) -> str:
                target = _resolve(path, match["spec"])
                if target not in raw:
                    log.warning("%s imports %s, which is not in the static folder", path, match["spec"])
                    return match[0]
                imports.append(target)
                version = make(target).version
                return f"{match['head']}{match['quote']}{match['spec']}?v={version}{match['quote']}"

            body = IMPORT.sub(versioned, text).encode("utf-8")
            mimetype = "text/javascript"
        asset = _finish(Asset(path, body, mimetype, "", stamps[path][0] / 1e9, imports=imports))
        visiting.discard(path)
        assets[path] = asset
        return asset

    for path in sorted(raw):
        make(path)
    scripts = {path: raw[path].decode("utf-8") for path in raw if path.endswith(".js")}
    for screen, entries in SCREENS.items():
        path = f"{BUNDLE_FOLDER}/{screen}.js"
        if path in raw:
            raise RuntimeError(f"live/static/{path} is where a bundle goes: rename that file")
        try:
            text, holds = bundle(scripts, entries)
        except Unbundlable as problem:
            log.warning("the %s screen loads its modules one by one: %s", screen, problem)
            continue
        mtime = max(assets[p].mtime for p in holds)
        assets[path] = _finish(Asset(path, text.encode("utf-8"), "text/javascript", "", mtime, holds=holds))
    return assets


def _finish(asset: Asset) -> Asset:
    """Give an asset its version (a hash of what is served) and a gzip copy when that pays."""
    asset.version = hashlib.sha256(asset.body).hexdigest()[:12]
    if compression.compressible(asset.mimetype) and len(asset.body) >= compression.MIN_SIZE:
        packed = compression.gzipped(asset.body)
        if len(packed) < len(asset.body) * 0.9:
            asset.gzip = packed
    return asset


class Assets:
    """The served static files of one app, rebuilt when the folder changes (a developer's edit)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._lock = threading.Lock()
        self._stamps = _scan(folder)
        self.files = build(folder)
        self._looked = time.monotonic()

    def fresh(self) -> dict[str, Asset]:
        """The files, rebuilt first if one was edited, added or removed (looked at once a second)."""
        now = time.monotonic()
        if now - self._looked >= RESCAN_EVERY:
            with self._lock:
                self._looked = now
                stamps = _scan(self.folder)
                if stamps != self._stamps:
                    self.files, self._stamps = build(self.folder), stamps
                    log.info("static files changed: new versions")
        return self.files

    def version(self, path: str) -> str | None:
        """The version of a static file, or None when there is no such file."""
        asset = self.fresh().get(path)
        return asset.version if asset else None

    def graph(self, *entries: str) -> list[str]:
        """The ``entries`` and every module they import at any depth, nearest first, each once."""
        files = self.fresh()
        order, queue = [], list(entries)
        while queue:
            path = queue.pop(0)
            if path in order or path not in files:
                continue
            order.append(path)
            queue.extend(files[path].imports)
        return order

    def scripts(self, screen: str) -> list[str]:
        """The static paths a screen loads as module scripts: its bundle, or its entries."""
        path = f"{BUNDLE_FOLDER}/{screen}.js"
        return [path] if path in self.fresh() else list(SCREENS[screen])

    def preloads(self, screen: str) -> list[str]:
        """The static paths a screen names in ``modulepreload``: all it will run, at any depth."""
        return self.graph(*self.scripts(screen))

    def serve(self, filename: str):
        """The static view: versioned and immutable, or current and revalidated; gzip if taken."""
        asset = self.fresh().get(filename)
        if asset is None:
            abort(404)
        packed = asset.gzip is not None and compression.accepts_gzip()
        response = Response(asset.gzip if packed else asset.body, mimetype=asset.mimetype)
        if asset.gzip is not None:
            response.vary.add("Accept-Encoding")
        if packed:
            response.headers["Content-Encoding"] = "gzip"
        # One validator per representation: the gzip bytes are another entity.
        response.set_etag(f"{asset.version}-gzip" if packed else asset.version)
        response.last_modified = asset.mtime
        if request.args.get("v") == asset.version:
            response.cache_control.public = True
            response.cache_control.max_age = LONG_CACHE
            response.cache_control.immutable = True
        else:
            response.cache_control.no_cache = True
        return response.make_conditional(request)


def install(app: Flask) -> Assets:
    """Serve ``app``'s static folder through ``Assets``, version ``url_for('static')``, give
    templates ``screen_scripts`` and ``screen_preloads``, and gzip the answers built per request."""
    assets = Assets(Path(app.static_folder))

    def add_version(endpoint, values):
        if endpoint == "static" and "v" not in values:
            version = assets.version(values.get("filename", ""))
            if version:
                values["v"] = version

    def screen_scripts(screen: str) -> list[str]:
        """The versioned addresses of a screen's module scripts (``SCREENS``)."""
        return [url_for("static", filename=path) for path in assets.scripts(screen)]

    def screen_preloads(screen: str) -> list[str]:
        """The versioned addresses of every module a screen runs, for its head."""
        return [url_for("static", filename=path) for path in assets.preloads(screen)]

    app.view_functions["static"] = assets.serve
    app.url_defaults(add_version)
    app.add_template_global(screen_scripts)
    app.add_template_global(screen_preloads)
    app.after_request(compression.compress_response)
    return assets
