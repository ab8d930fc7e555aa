"""HTTP pages, the JSON API, QR images and the export (Flask test client)."""

import csv
import io

import pytest


def create(http, **body):
    body = {"title": "Dorpsavond", "themes": ["Groen", {"title": "Verkeer", "description": "hard"}], **body}
    return http.post("/api/meetings", json=body)


def test_the_api_creates_a_meeting_with_links_and_keys(http):
    resp = create(http)
    assert resp.status_code == 201
    body = resp.get_json()
    code = body["code"]
    assert 4 <= len(code) <= 6
    assert body["join_url"] == f"http://zaal.test/{code}"
    assert body["host_url"].startswith(f"http://zaal.test/{code}/host?key=")
    assert body["projector_url"].startswith(f"http://zaal.test/{code}/beamer?key=")
    assert len(body["host_key"]) >= 32 and len(body["projector_key"]) >= 22
    assert body["host_key"] != body["projector_key"]


@pytest.mark.parametrize(
    "body, slug",
    [
        ({"title": "x"}, "themes_required"),
        ({"title": "", "themes": ["a"]}, "text_empty"),
        ({"themes": ["a"]}, "bad_payload"),
        ([1, 2], "bad_payload"),
        ({"title": "x", "themes": [[1]]}, "bad_payload"),
    ],
)
def test_bad_api_input_gets_a_slug_and_a_dutch_message(http, body, slug):
    resp = http.post("/api/meetings", json=body)
    assert resp.status_code == 400
    assert resp.get_json()["error"] == slug
    assert resp.get_json()["message"]


def test_a_body_that_is_not_json_is_refused(http):
    resp = http.post("/api/meetings", data="title=x", content_type="text/plain")
    assert resp.status_code == 400 and resp.get_json()["error"] == "bad_payload"


def test_keys_are_stored_only_as_hashes(http, app):
    body = create(http).get_json()
    raw = open(app.extensions["live"].store.path, "rb").read()
    assert body["host_key"].encode() not in raw
    assert body["projector_key"].encode() not in raw


def test_the_start_form_creates_a_meeting_and_opens_the_host_screen(http):
    resp = http.post(
        "/", data={"title": "Avond in Ee", "place": "", "date": "", "themes": "Groen: bomen\nVerkeer"}
    )
    assert resp.status_code == 303
    host_path = resp.headers["Location"]
    # The fragment opens the panel that asks the host to keep the host link.
    assert host_path.endswith("/host#link-bewaren") and "key" not in host_path
    page = http.get(host_path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Avond in Ee" in html and "Groen" in html
    assert "/host?key=" in html  # the host link, shown again for a second device


def test_the_start_form_keeps_what_was_typed_after_an_error(http):
    resp = http.post("/", data={"title": "Avond", "themes": "   "})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert 'value="Avond"' in html and "minstens één thema" in html


def test_a_host_link_moves_the_key_into_an_httponly_cookie_and_drops_it_from_the_address(http):
    body = create(http).get_json()
    resp = http.get(f"/{body['code']}/host?key={body['host_key']}")
    assert resp.status_code == 303
    assert resp.headers["Location"] == f"/{body['code']}/host"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert http.get(resp.headers["Location"]).status_code == 200


def test_a_wrong_key_or_no_key_gets_no_host_screen(http):
    body = create(http).get_json()
    assert http.get(f"/{body['code']}/host?key=wrong").status_code == 403
    assert http.get(f"/{body['code']}/host").status_code == 403
    assert http.get(f"/{body['code']}/host?key={body['projector_key']}").status_code == 403


def test_the_projector_key_opens_the_beamer_but_not_the_host_screen(http):
    body = create(http).get_json()
    resp = http.get(f"/{body['code']}/beamer?key={body['projector_key']}")
    assert resp.status_code == 303
    page = http.get(f"/{body['code']}/beamer")
    assert page.status_code == 200
    assert "QR-code" in page.get_data(as_text=True)
    assert http.get(f"/{body['code']}/host").status_code == 403


def test_the_phone_page_opens_by_code_in_any_case(http):
    code = create(http).get_json()["code"]
    while code.lower() == code:  # one code in 3,125 is digits only, the same in any case
        code = create(http).get_json()["code"]
    assert http.get(f"/{code}").status_code == 200
    resp = http.get(f"/{code.lower()}")
    assert resp.status_code == 302 and resp.headers["Location"] == f"/{code}"


def test_an_unknown_code_gets_a_dutch_page_to_try_again(http):
    resp = http.get("/ACDEF")
    assert resp.status_code == 404
    assert "bestaat niet" in resp.get_data(as_text=True)
    assert http.get("/join?code=zzz").status_code == 404


def test_the_join_form_takes_a_typed_code(http):
    code = create(http).get_json()["code"]
    resp = http.get(f"/join?code={code.lower()}")
    assert resp.status_code == 302 and resp.headers["Location"] == f"/{code}"


def test_the_join_qr_is_an_svg_of_the_join_address(http):
    code = create(http).get_json()["code"]
    resp = http.get(f"/{code}/qr.svg")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    assert resp.get_data(as_text=True).lstrip().startswith("<")


def test_the_host_qr_needs_the_host_key(http):
    body = create(http).get_json()
    assert http.get(f"/{body['code']}/host/qr.svg").status_code == 403
    resp = http.get(f"/{body['code']}/host/qr.svg", headers={"Authorization": f"Bearer {body['host_key']}"})
    assert resp.status_code == 200


def test_every_page_has_a_strict_content_security_policy(http):
    code = create(http).get_json()["code"]
    for path in ("/", f"/{code}", "/nope-nope"):
        csp = http.get(path).headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "script-src 'self'" in csp


def test_attendee_text_in_theme_titles_is_escaped_in_the_pages(http):
    body = create(http, themes=['<img src=x onerror="alert(1)">']).get_json()
    # The phone draws its themes from the socket's state (as text); the page has no raw tag.
    assert "<img src=x" not in http.get(f"/{body['code']}").get_data(as_text=True)
    # Pages that print the titles themselves escape them: the host screen and the paper form.
    bearer = {"Authorization": f"Bearer {body['host_key']}"}
    for path in ("host", "papier"):
        html = http.get(f"/{body['code']}/{path}", headers=bearer).get_data(as_text=True)
        assert "<img src=x" not in html and "&lt;img src=x" in html, path


def test_the_export_needs_the_host_key(http):
    body = create(http).get_json()
    url = f"/{body['code']}/werkgroepen.csv"
    assert http.get(url).status_code == 403
    assert http.get(url, headers={"Authorization": f"Bearer {body['projector_key']}"}).status_code == 403
    other = create(http).get_json()
    assert http.get(url, headers={"Authorization": f"Bearer {other['host_key']}"}).status_code == 403
    resp = http.get(url, headers={"Authorization": f"Bearer {body['host_key']}"})
    assert resp.status_code == 200


def test_the_export_opens_in_dutch_excel_and_defuses_formulas(http, app):
    from live.store import Action

    body = create(http).get_json()
    code = body["code"]
    store = app.extensions["live"].store
    store.apply([Action("set_phase", code, 0, "p", {"phase": "pledges"})])
    pid = store.join(code, "t1")
    store.apply(
        [
            Action(
                "pledge",
                code,
                pid,
                "a",
                {"theme": 2, "role": "lead", "name": '=HYPERLINK("x")', "email": "", "phone": "+31612345678"},
            )
        ]
    )
    resp = http.get(f"/{code}/werkgroepen.csv", headers={"Authorization": f"Bearer {body['host_key']}"})
    raw = resp.get_data()
    assert raw.startswith("\ufeff".encode())
    assert b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Werkgroep", "Rol", "Naam"]
    assert rows[1][0] == "Verkeer" and rows[1][1] == "Trekker"
    assert rows[1][2] == '\'=HYPERLINK("x")'
    # A phone number as people write it: Excel shows it as it is, no quote, no formula.
    assert rows[1][4] == "06 12345678"


def test_behind_an_https_address_the_key_cookie_is_secure(tmp_path):
    from live.app import create_app

    app = create_app({"DATA_DIR": str(tmp_path), "PUBLIC_URL": "https://live.example.nl"})
    http = app.test_client()
    body = create(http).get_json()
    resp = http.get(f"/{body['code']}/host?key={body['host_key']}")
    assert "Secure" in resp.headers["Set-Cookie"]


@pytest.mark.parametrize("host", ["localhost:5000", "127.0.0.1:5000", "[::1]:5000"])
def test_a_meeting_made_on_the_laptop_at_localhost_gets_the_lan_join_address(tmp_path, host):
    from live.app import create_app

    app = create_app({"DATA_DIR": str(tmp_path), "LAN_URL": "http://192.168.1.20:5000"})
    resp = app.test_client().post(
        "/api/meetings", json={"title": "A", "themes": ["x"]}, headers={"Host": host}
    )
    assert resp.get_json()["join_url"].startswith("http://192.168.1.20:5000/")


def test_a_meeting_made_at_the_lan_address_keeps_that_address(tmp_path):
    from live.app import create_app

    app = create_app({"DATA_DIR": str(tmp_path), "LAN_URL": "http://192.168.1.20:5000"})
    resp = app.test_client().post(
        "/api/meetings", json={"title": "A", "themes": ["x"]}, headers={"Host": "dorpshuis.local:5000"}
    )
    assert resp.get_json()["join_url"].startswith("http://dorpshuis.local:5000/")


# Where a POST was sent from, as the browser says it: (Sec-Fetch-Site, Origin) -> the verdict of
# live.views.keys.sent_from. "ours" passes both checks; "elsewhere" is refused by both; "typed"
# (the address bar) passes the start form's cross-site check but not the hand-off's same-origin
# check; "unsaid" (a script, an old browser) passes that one only with the key as bearer.
OURS = "http://zaal.test"
SENT_FROM = [
    (None, None, "unsaid"),
    (None, "null", "elsewhere"),
    (None, OURS, "ours"),
    (None, "http://elders.test", "elsewhere"),
    ("same-origin", None, "ours"),
    ("same-origin", "null", "ours"),
    ("same-origin", OURS, "ours"),
    ("same-origin", "http://elders.test", "elsewhere"),
    ("none", None, "typed"),
    ("none", "null", "typed"),
    ("none", OURS, "typed"),
    ("none", "http://elders.test", "elsewhere"),
    ("same-site", OURS, "elsewhere"),
    ("cross-site", None, "elsewhere"),
]


@pytest.mark.parametrize("site, origin, verdict", SENT_FROM)
@pytest.mark.parametrize("auth", [None, "Bearer sleutel", "Basic sleutel"])
def test_one_check_says_where_a_post_was_sent_from_for_every_form(app, site, origin, verdict, auth):
    from live.views import keys

    headers = {"Sec-Fetch-Site": site, "Origin": origin, "Authorization": auth}
    headers = {name: value for name, value in headers.items() if value is not None}
    with app.test_request_context("/", method="POST", base_url=OURS, headers=headers):
        assert keys.sent_from() == verdict
        assert keys.from_another_site() == (verdict == "elsewhere")
        bearer = auth is not None and auth.startswith("Bearer ")
        assert keys.same_origin() == (verdict == "ours" or (verdict == "unsaid" and bearer))


def test_a_key_as_bearer_comes_before_the_cookie_and_is_read_the_same_everywhere(app):
    from live.views import keys

    cookie = {"HTTP_COOKIE": "host_ACDE=uit-het-koekje"}
    headers = {"Authorization": "Bearer  uit-de-kop "}
    with app.test_request_context("/ACDE/host?key=uit-het-adres", headers=headers, environ_overrides=cookie):
        assert keys.bearer() == "uit-de-kop"
        assert keys.presented_key("host", "ACDE") == "uit-de-kop"
        assert keys.proof("acde")["keys"] == ["uit-het-adres", "uit-het-koekje", "uit-de-kop"]
    with app.test_request_context("/ACDE/host", environ_overrides=cookie):
        assert keys.bearer() is None
        assert keys.presented_key("host", "ACDE") == "uit-het-koekje"
