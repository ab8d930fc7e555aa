"""A web-security review of every HTTP route, from outside: what an attacker with the README, the
protocol and a browser can do against a real ``python -m live`` process (docs/security.md).

Each test here failed before its fix, or checks a promise no other test covered."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.parse

from conftest import Client, get, own_server

# Every route that reads a key (cookie, bearer or ``?key=``), with ``{t}`` a theme id.
KEYED = ["/host", "/beamer", "/helper", "/papier", "/host/qr.svg", "/helper/qr.svg", "/afronden",
         "/verslag", "/werkgroepen.csv", "/werkgroepen.xlsx", "/verslag.xlsx", "/bijeenkomst.json",
         "/werkgroep/{t}", "/werkgroep/{t}/afspraak.ics"]  # fmt: skip


def send(server, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
    """One request as it is, no redirect followed: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def raw(server, request: bytes) -> bytes:
    """Bytes on the wire, for what http.client refuses to send (two Host headers)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(request)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    return answer


def new_log(server, since: int) -> str:
    return server.log()[since:]


def host_cookie(meeting) -> dict:
    return {"Cookie": f"host_{meeting['code']}={meeting['host_key']}"}


# -- keys in caches --------------------------------------------------------------------------


def test_no_answer_of_a_route_that_takes_a_key_is_ever_cached(server, meeting):
    """Right key, no key, a wrong key in the address: a browser or proxy keeps none of it (a 403
    page's address carries the wrong key; the helper link's redirect carried the right one)."""
    code, theme = meeting["code"], 1
    keys = {role: meeting[f"{role}_key"] for role in ("host", "projector", "helper")}
    tries = [{}, host_cookie(meeting), {"Cookie": f"helper_{code}={keys['helper']}"}]
    for route in KEYED:
        path = f"/{code}" + route.format(t=theme)
        for headers in tries:
            status, answer, _ = get(server.url + path, headers)
            assert "no-store" in answer.get("Cache-Control", ""), (path, headers, status)
        for key in (*keys.values(), "fout"):
            status, answer, _ = get(f"{server.url}{path}?key={key}")
            assert "no-store" in answer.get("Cache-Control", ""), (path, key, status)
    # The import answers with a new meeting's keys, like the create API.
    exported = get(f"{server.url}/{code}/bijeenkomst.json", host_cookie(meeting))[2]
    status, answer, body = send(
        server, "POST", "/api/meetings/import", {"Content-Type": "application/json"}, exported
    )
    assert status == 201 and "host_key" in json.loads(body)
    assert "no-store" in answer["Cache-Control"]


# -- redirects -------------------------------------------------------------------------------


def test_a_lower_case_code_keeps_its_query_but_builds_no_address_from_it(server, meeting):
    """``/abcde?...`` redirects to ``/ABCDE?...``. The query used to become arguments of Flask's
    ``url_for``: ``?code=`` and ``?endpoint=`` were a 500 with a traceback, ``?_external=1&_scheme=``
    chose the scheme of the redirect and ``?_anchor=`` added a fragment."""
    code = meeting["code"]
    since = len(server.log())
    for query in ("code=ABCDE", "endpoint=x", "_external=1&_scheme=javascript", "_anchor=x",
                  "_method=POST", "t=abc&lang=en", "t=1&t=2"):  # fmt: skip
        status, headers, _ = get(f"{server.url}/{code.lower()}?{query}")
        assert status == 302, (query, status)
        assert headers["Location"] == f"/{code}?{query}", (query, headers["Location"])
    status, headers, _ = get(f"{server.url}/{code.lower()}")
    assert status == 302 and headers["Location"] == f"/{code}"
    assert "Traceback" not in new_log(server, since)


# -- the Host header -------------------------------------------------------------------------


def test_a_host_header_with_more_than_our_name_and_port_gets_400_and_no_traceback(server):
    """The host check took what stood before the last ``:`` as the name, so ``127.0.0.1:1,evil``
    (also what two ``Host`` lines become) passed it, and Werkzeug refused it only later, inside
    the response: a 500 with a traceback in the log."""
    port = server.port
    since = len(server.log())
    odd = [f"127.0.0.1:{port},evil.example", f"127.0.0.1:{port}@evil.example", f"127.0.0.1:{port}/x",
           "127.0.0.1:x", "127.0.0.1:", f"127.0.0.1 :{port}", "127.0.0.1:999999"]  # fmt: skip
    for host in odd:
        request = f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
        answer = raw(server, request)
        assert answer.startswith(b"HTTP/1.1 400"), (host, answer[:200])
        assert b"Onbekend adres" in answer, host
    twice = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    assert raw(server, twice.encode()).startswith(b"HTTP/1.1 400")
    for host in (f"127.0.0.1:{port}", "127.0.0.1", f"LOCALHOST:{port}", f"[::1]:{port}"):
        request = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
        assert raw(server, request).startswith(b"HTTP/1.1 200"), host
    assert "Traceback" not in new_log(server, since)


# -- methods ---------------------------------------------------------------------------------


def test_a_wrong_method_gets_a_stable_code_on_the_api_and_a_dutch_page_elsewhere(server, meeting):
    code = meeting["code"]
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        status, headers, body = send(server, method, "/api/meetings")
        assert status == 405 and headers["Allow"], method
        answer = json.loads(body)
        assert answer["ok"] is False and answer["error"] == "method_not_allowed" and answer["message"]
    for method, path in (("GET", f"/{code}/verwijderen"), ("GET", f"/{code}/datum"), ("PUT", "/"),
                         ("DELETE", f"/{code}/host")):  # fmt: skip
        status, headers, body = send(server, method, path, host_cookie(meeting))
        assert status == 405 and headers["Allow"], (method, path)
        assert headers["Content-Type"].startswith("text/html") and b'lang="nl"' in body
        assert b"Deze pagina kan dat niet" in body, (method, path)
    # HEAD and OPTIONS stay what Flask makes of them: no body, no CORS grant.
    status, headers, body = send(server, "HEAD", f"/{code}/host", host_cookie(meeting))
    assert status == 200 and body == b"" and "no-store" in headers["Cache-Control"]
    status, headers, _ = send(server, "OPTIONS", "/api/meetings", {"Origin": "http://evil.example"})
    assert status == 200 and "Access-Control-Allow-Origin" not in headers


# -- CSRF ------------------------------------------------------------------------------------


def test_the_start_form_sent_from_another_site_makes_no_meeting(server):
    """A foreign page could make meetings in a visitor's name (their address's creation limit, a
    laptop's disk in the hall). A browser says where a form came from; a script saying nothing
    is let through, as the JSON API is."""
    form = urllib.parse.urlencode({"title": "Dorpsavond", "themes": "Groen\nVerkeer"}).encode()
    plain = {"Content-Type": "application/x-www-form-urlencoded"}
    for foreign in ({"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                    {"Origin": "http://evil.example"},
                    {"Origin": "http://evil.example", "Sec-Fetch-Site": "same-origin"},
                    # A sandboxed frame or a data: page, from a browser without Fetch metadata.
                    {"Origin": "null"}):  # fmt: skip
        status, headers, body = send(server, "POST", "/", {**plain, **foreign}, form)
        assert status == 403, foreign
        assert headers.get("Set-Cookie") is None and "Location" not in headers
        assert b"een andere website" in body
    ours = f"http://127.0.0.1:{server.port}"
    for own in ({}, {"Sec-Fetch-Site": "same-origin", "Origin": ours}, {"Origin": ours},
                {"Origin": "null", "Sec-Fetch-Site": "same-origin"}):  # fmt: skip
        status, headers, _ = send(server, "POST", "/", {**plain, **own}, form)
        assert status == 303 and "/host#link-bewaren" in headers["Location"], own
    # The start page asks the browser to send our origin with its form, not "null".
    assert send(server, "GET", "/")[1]["Referrer-Policy"] == "same-origin"


# -- cookies ---------------------------------------------------------------------------------


def test_behind_https_every_cookie_is_secure_and_on_plain_http_none_is(tmp_path):
    """``PROXY_COUNT=1`` and ``X-Forwarded-Proto: https``: the key cookies had ``Secure``, the
    language cookie did not."""
    with own_server(tmp_path, PROXY_COUNT=1) as srv:
        code = srv.create_meeting()["code"]
        for proto, secure in (("https", True), ("http", False)):
            headers = {"X-Forwarded-Proto": proto, "X-Forwarded-For": "10.0.0.7"}
            _, answer, _ = get(f"{srv.url}/{code}?lang=en", headers)
            cookies = answer.get_all("Set-Cookie")
            assert {c.split("=")[0] for c in cookies} == {f"join_{code}", "lang"}
            for cookie in cookies:
                flags = [f.strip().lower() for f in cookie.split(";")]
                assert ("secure" in flags) is secure, (proto, cookie)
                assert "samesite=lax" in flags and "path=/" in flags, cookie
        # A value we do not have is not remembered, and nothing can be written into the header.
        _, answer, _ = get(f"{srv.url}/{code}?lang=en%0d%0aSet-Cookie:%20x=y")
        assert [c.split("=")[0] for c in answer.get_all("Set-Cookie")] == [f"join_{code}"]


def test_deleting_a_meeting_clears_every_key_cookie_of_it(server):
    """The helper cookie stayed behind after the meeting was deleted (a group link's too)."""
    meeting = server.create_meeting()
    code = meeting["code"]
    headers = {
        **host_cookie(meeting),
        "Sec-Fetch-Site": "same-origin",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    status, answer, _ = send(server, "POST", f"/{code}/verwijderen", headers, f"confirm={code}".encode())
    assert status == 200
    cleared = {c.split("=")[0] for c in answer.get_all("Set-Cookie") if "Max-Age=0" in c}
    assert cleared == {f"{role}_{code}" for role in ("host", "projector", "helper", "group", "join")}
    assert "no-store" in answer["Cache-Control"]


# -- what already held: each key opens what it should, in one spelling, from where it should ----


def test_a_key_opens_only_its_own_routes_and_only_exactly_as_given(server, meeting):
    code, host = meeting["code"], meeting["host_key"]
    other = server.create_meeting()
    phone = Client(server.url, code, "phone")
    phone.wait_connected()
    token = phone.token
    phone.close()
    refused = {
        "no key": {},
        "projector key": {"Authorization": f"Bearer {meeting['projector_key']}"},
        "helper key": {"Cookie": f"helper_{code}={meeting['helper_key']}"},
        "phone token": {"Authorization": f"Bearer {token}"},
        "another meeting's host key": {"Cookie": f"host_{code}={other['host_key']}"},
        "this key under another meeting's cookie": {"Cookie": f"host_{other['code']}={host}"},
        "upper case": {"Cookie": f"host_{code}={host.upper()}"},
        "lower case": {"Cookie": f"host_{code}={host.lower()}"},
        "a character more": {"Cookie": f"host_{code}={host}x"},
        "a character less": {"Authorization": f"Bearer {host[:-1]}"},
        "join ticket": {"Cookie": f"join_{code}={meeting['join_link'].split('t=')[1]}"},
    }
    host_only = [r for r in KEYED if r not in ("/beamer", "/helper", "/papier")]
    for name, headers in refused.items():
        for route in host_only:
            path = f"/{code}" + route.format(t=1)
            assert get(server.url + path, headers)[0] == 403, (name, path)
    for route in host_only:  # a key in the address opens no export: keys stay out of addresses
        path = f"/{code}" + route.format(t=1)
        assert get(f"{server.url}{path}?key={host}")[0] in (303, 403), path


def test_no_file_outside_the_static_folder_is_served(server):
    for path in ("/static/../live/views.py", "/static/%2e%2e/views.py", "/static/%2E%2E%2Fviews.py",
                 "/static/..%5cviews.py", "/static/css%5c..%5c..%5cviews.py", "/static/%252e%252e/views.py",
                 "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/css/..%00/live.css"):  # fmt: skip
        status, headers, body = get(server.url + path)
        if status == 308:  # Werkzeug merges the two slashes: to our own /static/etc/passwd
            assert headers["Location"].startswith(("/static/", server.url + "/static/")), path
            status, _, body = get(server.url + urllib.parse.urlsplit(headers["Location"]).path)
        assert status in (400, 404), (path, status)
        assert b"import" not in body and b"root:" not in body, path


def test_trusted_hosts_with_several_names_answers_to_each_and_to_no_other(tmp_path):
    """README: a comma-separated list. Flask read the same setting as one name, and every page
    that builds a link or a header from the host was a 500."""
    with own_server(tmp_path, TRUSTED_HOSTS="127.0.0.1,live.example.org") as srv:
        for host in (f"127.0.0.1:{srv.port}", "live.example.org", "LIVE.example.org:443"):
            for path in ("/healthz", "/"):
                assert get(srv.url + path, {"Host": host})[0] == 200, (host, path)
        assert srv.create_meeting()["code"]
        assert get(srv.url + "/", {"Host": "evil.example"})[0] == 400
        assert "Traceback" not in srv.log()
