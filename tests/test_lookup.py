"""Who pays for mistyped codes: a guesser from one address is stopped, while nobody who was given
the code (the QR link's ticket, a phone's token, a host or beamer key) is held back with it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from conftest import Client, Server, get, refusal, wrong_codes


def ticket_of(meeting: dict) -> str:
    """The ticket in the meeting's shared link (``/<code>?t=<ticket>``)."""
    return meeting["join_link"].split("?t=", 1)[1]


def test_a_hall_full_of_typos_does_not_lock_out_people_who_were_given_the_code(tmp_path):
    srv = Server(tmp_path / "hall").start()
    try:
        meeting = srv.create_meeting()
        code = meeting["code"]
        returning = Client(srv.url, code, "phone")  # joined before the typos started
        returning.close()
        # A hall's worth of mistyped codes from one address (one Wi-Fi, one public address).
        typos = [refusal(srv.url, {"code": c, "role": "phone"}) for c in wrong_codes(45, code)]
        assert typos[:30] == ["unknown_meeting"] * 30 and set(typos[30:]) == {"rate_limited"}

        # New phones following the QR code (its ticket comes with the link) all get in ...
        def scan(_):
            try:
                return Client(srv.url, code, "phone", ticket=ticket_of(meeting))
            except Exception as exc:
                return exc

        with ThreadPoolExecutor(8) as pool:
            hall = list(pool.map(scan, range(40)))
        assert [c for c in hall if not isinstance(c, Client)] == []
        for c in hall:
            c.close()
        # ... so does the phone page opened from the QR code, and its reload (cookie) ...
        assert get(meeting["join_link"])[0] == 200
        # ... a phone that was here before, with its token, as the same participant ...
        again = Client(srv.url, code, "phone", token=returning.token)
        assert again.state["mine"] is not None and again.token == returning.token
        again.close()
        # ... and the host and the beamer, with their keys, on the socket and over HTTP.
        Client(srv.url, code, "host", meeting["host_key"]).close()
        Client(srv.url, code, "projector", meeting["projector_key"]).close()
        bearer = {"Authorization": f"Bearer {meeting['host_key']}"}
        assert get(f"{srv.url}/{code}/werkgroepen.csv", bearer)[0] == 200
        assert get(meeting["host_url"])[0] == 303

        # Without proof, a right code typed from this address waits, like the guesser.
        assert refusal(srv.url, {"code": code, "role": "phone"}) == "rate_limited"
        assert get(f"{srv.url}/join?code={code}")[0] == 429
        # A wrong ticket, token or key proves nothing.
        assert refusal(srv.url, {"code": code, "role": "phone", "ticket": "A" * 16}) == "rate_limited"
        assert refusal(srv.url, {"code": code, "role": "phone", "token": "x" * 32}) == "rate_limited"
        assert refusal(srv.url, {"code": code, "role": "host", "token": "x" * 32}) == "rate_limited"
    finally:
        srv.stop()


def test_a_guessers_hundreds_of_tries_are_refused(tmp_path):
    srv = Server(tmp_path / "guess").start()
    try:
        meeting = srv.create_meeting()
        guesses = wrong_codes(300, meeting["code"])
        slugs = [refusal(srv.url, {"code": c, "role": "phone"}) for c in guesses[:100]]
        assert slugs.count("unknown_meeting") == 30 and slugs[30:] == ["rate_limited"] * 70
        statuses = [get(f"{srv.url}/join?code={c}")[0] for c in guesses[100:]]
        assert statuses == [429] * 200
        # A ticket for one meeting opens only that meeting: it tells nothing about other codes.
        other = refusal(srv.url, {"code": guesses[0], "role": "phone", "ticket": ticket_of(meeting)})
        assert other == "rate_limited"
    finally:
        srv.stop()


def test_the_qr_code_and_the_shared_link_carry_the_ticket(server, meeting):
    status, headers, body = get(f"{server.url}/{meeting['code']}/qr.svg")
    assert status == 200
    assert meeting["join_link"] == f"{meeting['join_url']}?t={ticket_of(meeting)}"
    # The phone page sets the ticket as a cookie for later reloads and for its socket.
    status, headers, _ = get(meeting["join_link"])
    cookie = headers["Set-Cookie"]
    assert status == 200 and f"join_{meeting['code']}={ticket_of(meeting)}" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_ticket_survives_a_restart(tmp_path):
    srv = Server(tmp_path / "restart").start()
    meeting = srv.create_meeting()
    srv.stop()
    srv = Server(tmp_path / "restart", port=srv.port).start()
    try:
        status, headers, _ = get(meeting["join_link"])
        assert f"join_{meeting['code']}={ticket_of(meeting)}" in headers["Set-Cookie"]
    finally:
        srv.stop()
