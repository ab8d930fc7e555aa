"""A light phone page for a village hall's Wi-Fi (issue 18, point 3): gzip, versioned static
addresses cached for a year, the whole module graph preloaded, the page's texts in its language
only, and a cold load under 70 KB. Against the real server and Debian's Chromium; the timings
on a slow link are in tools/phone_load.py and BENCHMARKS.md, not here."""

from __future__ import annotations

import gzip
import json
import posixpath
import re
import shutil
import urllib.parse
from pathlib import Path

from conftest import PHONE, _contexts, get
from playwright.sync_api import expect

from live import assets
from live.texts import PHONE_SCRIPT_TEXTS

STATIC = Path(__file__).resolve().parent.parent / "live" / "static"
GZIP = {"Accept-Encoding": "gzip, deflate"}
# What the browser is told to fetch: src and href attributes, and modulepreload links.
ADDRESSES = re.compile(r'(?:src|href)="([^"]+)"')
PRELOADS = re.compile(r'<link rel="modulepreload" href="([^"]+)">')
# An import as the test reads it, on its own: `import … from '…'` or `export … from '…'`.
IMPORTS = re.compile(r"""^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]""", re.M)
COLD_BUDGET = 70 * 1024


def phone_html(server, code: str, headers=None) -> str:
    status, _, body = get(f"{server.url}/{code}", headers)
    assert status == 200
    return body.decode()


def static_addresses(html: str) -> list[str]:
    return [a for a in ADDRESSES.findall(html) if urllib.parse.urlsplit(a).path.startswith("/static/")]


def source_graph(entry: str) -> set[str]:
    """The static paths ``entry`` reaches through its imports, read from the source files."""
    seen, todo = set(), [entry]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for spec in IMPORTS.findall((STATIC / path).read_text()):
            todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(path), spec)))
    return seen


def test_gzip_is_served_when_accepted_and_is_the_same_after_decompression(server, meeting):
    code = meeting["code"]
    for path in (
        f"/{code}",
        "/static/js/live.js",
        "/static/css/live.css",
        f"/{code}/qr.svg",
        "/static/favicon.svg",
    ):
        plain_status, plain_headers, plain = get(server.url + path)
        status, headers, body = get(server.url + path, GZIP)
        assert plain_status == status == 200, path
        assert "Accept-Encoding" in headers.get("Vary", ""), path
        assert "Accept-Encoding" in plain_headers.get("Vary", ""), path
        assert plain_headers.get("Content-Encoding") is None, path
        if path == "/static/favicon.svg":  # 181 bytes: not worth a gzip header
            assert headers.get("Content-Encoding") is None
            continue
        assert headers["Content-Encoding"] == "gzip", path
        assert int(headers["Content-Length"]) == len(body) < len(plain), path
        unpacked = gzip.decompress(body)
        if path == f"/{code}":  # the join ticket in the page differs between two requests
            unpacked, plain = (re.sub(rb"t=[\w-]+", b"", b) for b in (unpacked, plain))
        assert unpacked == plain, path
        # A security header is not lost on the way.
        assert headers["X-Content-Type-Options"] == "nosniff", path
    # gzip;q=0 means no.
    _, headers, _ = get(server.url + "/static/js/live.js", {"Accept-Encoding": "gzip;q=0, identity"})
    assert headers.get("Content-Encoding") is None


def test_json_answers_are_gzipped_too_but_never_one_with_a_key_or_contact_details(server, meeting, app):
    @app.get("/test-json")
    def some_json():
        return {"themes": ["Groen in de wijk"] * 100}

    http = app.test_client()
    plain = http.get("/test-json")
    packed = http.get("/test-json", headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert json.loads(gzip.decompress(packed.get_data())) == plain.get_json()

    # The export holds contact details beside attendee text: its length must not depend on them.
    auth = {"Authorization": f"Bearer {meeting['host_key']}"}
    status, headers, body = get(f"{server.url}/{meeting['code']}/bijeenkomst.json", {**auth, **GZIP})
    assert status == 200 and headers.get("Content-Encoding") is None and json.loads(body)
    status, headers, _ = get(f"{server.url}/{meeting['code']}/host", {**auth, **GZIP})
    assert status == 200 and headers.get("Content-Encoding") is None


def test_socket_io_answers_are_engine_io_s_own(server):
    """Engine.IO answers /socket.io/ before Flask: its polling handshake is not wrapped again."""
    status, headers, body = get(server.url + "/socket.io/?EIO=4&transport=polling", GZIP)
    assert status == 200
    if headers.get("Content-Encoding") == "gzip":  # Engine.IO's own, above 1 KB only
        body = gzip.decompress(body)
    assert body.startswith(b"0{") and b'"sid"' in body


def test_versioned_static_answers_are_kept_for_a_year_and_old_addresses_still_work(server, meeting):
    html = phone_html(server, meeting["code"])
    style = next(a for a in static_addresses(html) if a.startswith("/static/css/live.css?v="))
    status, headers, body = get(server.url + style)
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"

    # The unversioned address (an old link, a page from before an update) keeps working, checked
    # with the server on every use, with the same bytes and a validator.
    status, old_headers, old_body = get(server.url + "/static/css/live.css")
    assert status == 200 and old_body == body
    assert old_headers["Cache-Control"] == "no-cache"
    assert get(server.url + "/static/css/live.css", {"If-None-Match": old_headers["ETag"]})[0] == 304
    # An old version is not the current file: never kept for a year under that address.
    _, stale_headers, stale_body = get(server.url + "/static/css/live.css?v=000000000000")
    assert stale_body == body and stale_headers["Cache-Control"] == "no-cache"
    # The gzip copy is another representation with its own validator.
    _, packed_headers, _ = get(server.url + style, GZIP)
    assert packed_headers["ETag"] != headers["ETag"]
    assert get(server.url + style, {**GZIP, "If-None-Match": packed_headers["ETag"]})[0] == 304
    assert get(server.url + "/static/js/nothing.js?v=1")[0] == 404


def test_the_phone_page_names_only_versioned_addresses_and_preloads_its_whole_module_graph(server, meeting):
    html = phone_html(server, meeting["code"])
    addresses = static_addresses(html)
    assert addresses
    for address in addresses:
        parts = urllib.parse.urlsplit(address)
        version = urllib.parse.parse_qs(parts.query).get("v", [""])[0]
        assert re.fullmatch(r"[0-9a-f]{12}", version), address
        status, headers, _ = get(server.url + address)
        assert status == 200 and "immutable" in headers["Cache-Control"], address

    # The whole graph, read from the sources' imports, is in what the head preloads: one file
    # built at start (live/bundle.py), which the page then runs and which imports nothing more.
    preloads = PRELOADS.findall(html)
    assert re.findall(r'<script type="module" src="([^"]+)">', html) == preloads
    assert [urllib.parse.urlsplit(a).path for a in preloads] == ["/static/bundle/phone.js"]
    joined = get(server.url + preloads[0])[2].decode()
    held = set(re.findall(r"^// (js/[\w/]+\.js)$", joined, re.M))
    assert held == source_graph("js/phone.js")
    assert len(held) > 3  # phone.js, live.js, the parts under phone/, counts.js
    assert not re.search(r"^\s*(?:import|export)\b", joined, re.M)
    assert html.index('rel="preload" as="script"') < html.index('rel="modulepreload"')  # socket first


def test_without_a_bundle_the_page_preloads_every_module_and_each_import_is_versioned(tmp_path):
    """The way back when a script uses syntax the bundler does not read: modulepreload for the
    whole graph, and every import inside a served module names the versioned address the page
    preloads (one address per file, so one module instance)."""
    folder = tmp_path / "static"
    shutil.copytree(STATIC, folder)
    with (folder / "js" / "phone" / "button.js").open("a") as button:
        button.write("export default button;\n")
    served = assets.Assets(folder)
    assert served.scripts("phone") == ["js/phone.js"]
    preloads = served.preloads("phone")
    assert set(preloads) == source_graph("js/phone.js")
    versions = {path: served.files[path].version for path in preloads}
    for path in preloads:
        for spec in IMPORTS.findall(served.files[path].body.decode()):
            bare, _, version = spec.partition("?v=")
            assert version == versions[posixpath.normpath(posixpath.join(posixpath.dirname(path), bare))]
    assert served.scripts("helper") == ["bundle/helper.js"]  # the other screens are still joined


def test_a_static_address_changes_when_its_content_changes_and_only_then(tmp_path):
    folder = tmp_path / "static"
    shutil.copytree(STATIC, folder)
    before = assets.build(folder)
    again = assets.build(folder)
    assert {p: a.version for p, a in before.items()} == {p: a.version for p, a in again.items()}

    button = folder / "js" / "phone" / "button.js"
    button.write_text(button.read_text() + "\n// changed\n")
    after = assets.build(folder)
    changed = {path for path in before if before[path].version != after[path].version}
    # The file, and every module that reaches it through its imports: their imports name it.
    # And the phone's joined script, which holds it; not the other screens'.
    assert changed == {
        "js/phone/button.js",
        "js/phone/card.js",
        "js/phone/pledges.js",
        "js/phone.js",
        "bundle/phone.js",
    }
    assert f"./button.js?v={after['js/phone/button.js'].version}" in after["js/phone/card.js"].body.decode()


def test_a_running_server_sees_an_edited_static_file(tmp_path, monkeypatch):
    folder = tmp_path / "static"
    shutil.copytree(STATIC, folder)
    monkeypatch.setattr(assets, "RESCAN_EVERY", 0)
    served = assets.Assets(folder)
    old = served.version("js/live.js")
    (folder / "js" / "live.js").write_text("export const texts = {};\n// a developer's edit\n")
    assert served.version("js/live.js") not in (None, old)
    assert served.version("js/nothing.js") is None


def test_the_phone_page_hands_its_scripts_only_its_own_language(server, meeting):
    html = phone_html(server, meeting["code"] + "?lang=tr")
    shipped = json.loads(
        re.search(r'<script type="application/json" id="texts">(.*?)</script>', html, re.S)[1]
    )
    # Not the host's, the beamer's or the helper's words (Dutch), only what the phone reads.
    assert set(shipped) == {"errors", "phases", "roles_short", "connection", "phone", "counts"}
    assert shipped["connection"]["ok"] != "Verbonden"  # Turkish, not the Dutch source


def test_the_phone_s_scripts_read_no_text_the_page_leaves_out():
    """What the phone's modules read of ``texts`` is in what the page hands them."""
    read = set()
    for path in source_graph("js/phone.js"):
        source = (STATIC / path).read_text()
        read |= set(re.findall(r"(?<![/\w])texts\.(\w+)", source))
        if path != "js/counts.js":
            assert "fillParticipants" not in source, path
    # counts.js's fillParticipants (beamer and host only, never imported by a phone module) reads
    # origin_counts, which is Dutch only.
    assert read - {"origin_counts"} <= set(PHONE_SCRIPT_TEXTS)
    assert {"errors", "phone", "connection", "counts"} <= read


def test_a_cold_phone_page_is_at_most_70_kb_over_the_wire(browser, server, connect):
    """Every response Chromium loads for a phone in an empty cache, until the answer buttons are
    there, counted as it arrived (compressed, with headers): Network.loadingFinished."""
    meeting = server.create_meeting()
    host = connect(meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    context = browser.new_context(**PHONE)
    _contexts.append(context)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    loaded: dict[str, int] = {}
    cdp.on("Network.responseReceived", lambda e: loaded.setdefault(e["requestId"], 0))
    cdp.on("Network.loadingFinished", lambda e: loaded.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(meeting["join_url"])
    page.locator('#rec-themes input[data-action="vote"]').first.wait_for()
    page.wait_for_load_state("load")
    total = sum(loaded.values())
    assert len(loaded) >= 4  # the page, its style, the socket client, its script (and the icon)
    assert total <= COLD_BUDGET, f"{total} bytes over {len(loaded)} responses"
    # Nothing was served unversioned or uncompressed where it could be compressed.
    requested = page.evaluate("performance.getEntriesByType('resource').map((e) => e.name)")
    assert all("?v=" in url for url in requested if "/static/" in url), requested


def test_the_phone_page_draws_its_buttons_before_its_socket_and_keeps_a_tap_until_it_is_there(
    browser, server, connect
):
    """On a slow Wi-Fi the socket comes a second or more after the page: the page draws the
    meeting from the state it came with, and a tap waits in the outbox, saved once connected."""
    meeting = server.create_meeting()
    host = connect(meeting["code"], "host", meeting["host_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    html = phone_html(server, meeting["code"])
    first = json.loads(
        re.search(r'<script type="application/json" id="first-state">(.*?)</script>', html).group(1)
    )
    assert first["phase"] == "recognition" and [t["title"] for t in first["themes"]][:1] == [
        "Groen in de wijk"
    ]
    assert not {"tally", "token", "mine", "wifi", "cards"} & set(first)  # nobody's answers, no secrets
    context = browser.new_context(**PHONE)
    _contexts.append(context)
    page = context.new_page()
    # No socket at all: neither a websocket nor long polling gets through.
    page.route_web_socket(re.compile(r".*/socket\.io/.*"), lambda ws: ws.close())
    page.route(re.compile(r".*/socket\.io/.*"), lambda route: route.abort())
    page.goto(meeting["join_url"])
    page.get_by_role("radio", name="Ja").first.check()
    expect(page.locator('[data-status="vote-1"]')).to_have_text("Wordt opgeslagen…")
    assert page.evaluate("localStorage.length") > 0  # the tap waits in the outbox
    # The Wi-Fi comes back: the same phone, the socket through, the tap saved and counted.
    page.unroute_all()
    page.close()
    again = context.new_page()
    again.goto(meeting["join_url"])
    expect(again.locator('[data-status="vote-1"]')).to_have_text("Opgeslagen ✓", timeout=15000)
    host.wait_for(
        lambda: any(r["theme"] == 1 and r["yes"] == 1 for r in host.tally["themes"]), what="the tap counted"
    )
