"""Additions at any scale: what the host and the beamer receive, and what they show.

Socket tests run against the real server process; what people see runs in Debian's Chromium.
"""

from __future__ import annotations

import json
import threading

import pytest
from conftest import Client, Server, resize

from live.domain import Theme
from live.store import HOST_ACTOR, Action


def size(message) -> int:
    """Bytes of a message as JSON, roughly what goes over the wire."""
    return len(json.dumps(message, ensure_ascii=False).encode())


def add_many(url: str, code: str, count: int, phones: int, text="Aanvulling {n}") -> list[int]:
    """Send ``count`` additions through ``phones`` phones at once; returns the acked ids."""
    ids: list[int] = []
    lock = threading.Lock()

    def one_phone(p: int):
        phone = Client(url, code, "phone")
        try:
            for n in range(p, count, phones):
                ack = phone.call("addition", theme=1 + n % 3, text=text.format(n=n))
                assert ack["ok"], ack
                with lock:
                    ids.append(ack["addition"])
        finally:
            phone.close()

    threads = [threading.Thread(target=one_phone, args=(p,)) for p in range(phones)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(ids) == count
    return ids


# -- the store ------------------------------------------------------------------------------


@pytest.fixture
def store(stores):
    """A store of each kind (``tests/stores.py``) with one meeting ("ACDEF") in the recognition
    phase."""
    s = stores()
    themes = [Theme(1, "Groen"), Theme(2, "Verkeer")]
    assert s.create_meeting("ACDEF", "Avond", "", "", themes, "h", "p", "x", "", None)
    s.apply([Action("set_phase", "ACDEF", HOST_ACTOR, "p1", {"phase": "recognition"})])
    return s


def test_the_store_pages_additions_in_both_orders_with_counts_that_agree(store):
    code = "ACDEF"
    (joined,) = store.apply([Action("join", code, HOST_ACTOR, "", {"token_hash": "t"})])
    pid = joined["participant"]
    added = store.apply(
        [Action("addition", code, pid, f"a{n}", {"theme": 1 + n % 2, "text": f"Idee {n}"}) for n in range(7)]
    )
    ids = [ack["addition"] for ack in added]
    store.apply([Action("moderate", code, HOST_ACTOR, "m1", {"addition": ids[2], "show": True})])
    store.apply([Action("moderate", code, HOST_ACTOR, "m2", {"addition": ids[4], "show": False})])

    page = store.additions_page(code, "newest", 1, 3)
    assert [a["id"] for a in page["additions"]] == [ids[5], ids[4], ids[3]]
    assert page["total"] == 7
    assert page["counts"] == {"pending": 5, "shown": 1, "hidden": 1, "promoted": 0, "merged": 0}
    assert page["version"] == store.meeting(code).version
    assert [a["id"] for a in store.additions_page(code, "oldest", 5, 10)["additions"]] == ids[5:]
    shown = store.additions_page(code, "oldest", 0, None, "shown")
    assert shown["total"] == 1 and shown["additions"] == [
        {"id": ids[2], "theme": 1, "text": "Idee 2", "status": "shown", "endorsements": 0}
    ]
    assert store.additions_page(code, limit=0)["additions"] == []
    assert store.additions_page("ZZZZZ")["total"] == 0

    one = store.addition(code, ids[4])
    assert one == {
        "id": ids[4], "theme": 1, "text": "Idee 4", "status": "hidden", "endorsements": 0,
        "version": page["version"],
    }  # fmt: skip
    assert store.addition(code, 987654) is None
    assert store.addition("ZZZZZ", ids[0]) is None


# -- what goes over the wire ---------------------------------------------------------------


def test_each_new_addition_reaches_the_host_as_one_small_message_and_never_as_a_snapshot(
    server, meeting, connect
):
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    projector = connect(code, "projector", meeting["projector_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    host.wait_for(lambda: host.state["phase"] == "recognition", what="phase")
    projector.wait_for(lambda: projector.state["phase"] == "recognition", what="phase")
    states_before = (len(host.states), len(projector.states))

    ids = add_many(server.url, code, 30, phones=3)
    host.wait_for(lambda: len(host.additions) == 30, what="30 addition messages")
    host.wait_for(lambda: host.counts and host.counts[-1]["total"] == 30, what="counts")

    # One message per addition, with just that addition, and no snapshot at all.
    assert sorted(a["id"] for a in host.additions) == sorted(ids)
    assert all(set(a) == {"id", "theme", "text", "status", "endorsements", "version"} for a in host.additions)
    assert all(a["status"] == "pending" for a in host.additions)
    assert max(size(a) for a in host.additions) < 200
    assert (len(host.states), len(projector.states)) == states_before
    # The counts per status follow, coalesced (at most ten a second), not one per addition.
    assert host.counts[-1] == {
        "version": host.counts[-1]["version"],
        "seq": host.counts[-1]["seq"],
        "total": 30,
        "pending": 30,
        "shown": 0,
        "hidden": 0,
        "promoted": 0,
        "merged": 0,
    }
    assert len(host.counts) < 30
    seqs = [c["seq"] for c in host.counts]
    assert seqs == sorted(set(seqs))  # the store's sequence orders them, each newer than the last
    # Pending text never reaches the beamer.
    assert projector.additions == []


def test_moderation_reaches_host_and_projector_as_one_change_and_hidden_text_never_reaches_the_beamer(
    server, meeting, connect
):
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    projector = connect(code, "projector", meeting["projector_key"])
    phone = connect(code, "phone")
    assert host.call("set_phase", phase="recognition")["ok"]
    projector.wait_for(lambda: projector.state["phase"] == "recognition", what="phase")
    first = phone.call("addition", theme=2, text="Een zebrapad bij de school")["addition"]
    second = phone.call("addition", theme=2, text="Niet voor de beamer")["addition"]
    host.wait_for(lambda: len(host.additions) == 2, what="two additions")
    states_before = (len(host.states), len(projector.states))

    assert host.call("moderate", addition=first, show=True) == {"ok": True}
    shown = projector.wait_for(lambda: projector.additions, what="shown on the beamer")[0]
    assert {k: shown[k] for k in ("id", "theme", "text", "status")} == {
        "id": first,
        "theme": 2,
        "text": "Een zebrapad bij de school",
        "status": "shown",
    }
    host.wait_for(lambda: host.additions[-1]["status"] == "shown", what="host hears it too")

    assert host.call("moderate", addition=first, show=False) == {"ok": True}
    assert host.call("moderate", addition=second, show=False) == {"ok": True}
    projector.wait_for(lambda: len(projector.additions) == 3, what="two notices")
    assert [(a["id"], a["status"]) for a in projector.additions[1:]] == [
        (first, "hidden"),
        (second, "hidden"),
    ]
    assert all("text" not in a for a in projector.additions[1:])
    assert projector.state["additions"] == []
    host.wait_for(lambda: host.counts and host.counts[-1]["hidden"] == 2, what="counts")
    assert (len(host.states), len(projector.states)) == states_before


def test_a_reconnecting_projector_gets_only_shown_additions(server, meeting, connect):
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    phone = connect(code, "phone")
    assert host.call("set_phase", phase="recognition")["ok"]
    ids = [phone.call("addition", theme=1, text=f"Idee {n}")["addition"] for n in range(4)]
    assert host.call("moderate", addition=ids[1], show=True)["ok"]
    assert host.call("moderate", addition=ids[2], show=True)["ok"]
    assert host.call("moderate", addition=ids[2], show=False)["ok"]
    projector = connect(code, "projector", meeting["projector_key"])
    assert [(a["id"], a["text"]) for a in projector.state["additions"]] == [(ids[1], "Idee 1")]


# -- thousands of additions ------------------------------------------------------------------


@pytest.fixture(scope="module")
def busy(tmp_path_factory):
    """A server of its own whose phones may send fast, with one meeting of 2,000 additions and a
    host that was connected all along."""
    srv = Server(tmp_path_factory.mktemp("busy"), env={"PHONE_RATE_LIMIT": "100000/minute"}).start()
    meeting = srv.create_meeting()
    host = Client(srv.url, meeting["code"], "host", meeting["host_key"])
    try:
        assert host.call("set_phase", phase="recognition")["ok"]
        host.wait_for(lambda: host.state["phase"] == "recognition", what="phase")
        ids = add_many(srv.url, meeting["code"], 2000, phones=8, text="Aanvulling nummer {n} " + "x" * 60)
        yield srv, meeting, host, sorted(ids)
    finally:
        host.close()
        srv.stop()


def test_a_host_present_during_2000_additions_got_2000_small_messages_and_no_snapshots(busy):
    _, _, host, ids = busy
    host.wait_for(lambda: len(host.additions) == 2000, timeout=30, what="2,000 additions")
    host.wait_for(lambda: host.counts and host.counts[-1]["total"] == 2000, what="counts")
    assert len(host.states) == 2  # the connect snapshot and the phase change
    assert sorted(a["id"] for a in host.additions) == ids
    assert sum(size(a) for a in host.additions) < 2000 * 200


def test_with_2000_additions_the_host_snapshot_stays_small_and_says_how_many_there_are(busy):
    srv, meeting, _, ids = busy
    host = Client(srv.url, meeting["code"], "host", meeting["host_key"])
    try:
        state = host.state
        assert size(state) < 16_000
        assert [a["id"] for a in state["additions"]] == ids[:50]
        assert state["additions_total"] == 2000
        assert state["additions_counts"] == dict(pending=2000, shown=0, hidden=0, promoted=0, merged=0)
    finally:
        host.close()


def test_the_host_pages_through_2000_additions_newest_or_oldest_first(busy):
    _, _, host, ids = busy

    def page(**query):
        ack = host.call("list_additions", query)
        assert ack["ok"], ack
        assert ack["total"] == 2000
        return [a["id"] for a in ack["additions"]]

    assert page(order="newest", offset=0, limit=100) == ids[::-1][:100]
    assert page(order="newest", offset=1950, limit=100) == ids[::-1][1950:]
    assert page(order="oldest", offset=0, limit=100) == ids[:100]
    assert page(order="oldest", offset=700, limit=25) == ids[700:725]
    assert page(order="oldest", offset=2000, limit=10) == []
    everything = []
    for offset in range(0, 2000, 100):
        everything += page(order="newest", offset=offset, limit=100)
    assert everything == ids[::-1]


def test_the_host_pages_one_status_at_a_time(busy):
    _, _, host, ids = busy
    chosen = [ids[5], ids[1500], ids[1999]]
    for addition in chosen:
        assert host.call("moderate", addition=addition, show=True) == {"ok": True}
    ack = host.call("list_additions", {"order": "newest", "offset": 0, "limit": 10, "status": "shown"})
    assert ack["ok"] and ack["total"] == 3
    assert [a["id"] for a in ack["additions"]] == chosen[::-1]
    assert ack["counts"] == {"pending": 1997, "shown": 3, "hidden": 0, "promoted": 0, "merged": 0}
    for addition in chosen:
        assert host.call("moderate", addition=addition, show=False) == {"ok": True}


@pytest.mark.parametrize(
    "query",
    [
        None,
        [],
        {"order": "sideways"},
        {"limit": 101},
        {"limit": 0},
        {"offset": -1},
        {"offset": "10"},
        {"limit": True},
        {"status": "secret"},
    ],
)
def test_a_bad_page_request_gets_a_clean_refusal(meeting, connect, query):
    host = connect(meeting["code"], "host", meeting["host_key"])
    assert host.sio.call("list_additions", query, timeout=10) == {"ok": False, "error": "bad_payload"}


def test_only_the_host_may_page_through_additions(meeting, connect):
    phone = connect(meeting["code"], "phone")
    projector = connect(meeting["code"], "projector", meeting["projector_key"])
    for client in (phone, projector):
        assert client.sio.call("list_additions", {}, timeout=10) == {"ok": False, "error": "not_host"}


# -- what the beamer and the host show -------------------------------------------------------

SHORT = ["Meer bankjes in het park", "Een zebrapad bij de school", "Vaker de stoep vegen"]
LONG = (
    "Wij wonen al dertig jaar in de wijk en zien dat de speeltuin achter de kerk steeds minder "
    "wordt gebruikt, omdat de toestellen oud zijn en er geen bankjes staan voor de ouders. "
) * 4
LONG = LONG[: LONG.rindex(" ", 0, 499)] + "."

ON_SCREEN = """() => {
    const corner = document.querySelector('.corner').getBoundingClientRect();
    const meets = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    const out = [];
    for (const el of document.querySelectorAll('.board:not([hidden]) .additions li')) {
        const r = el.getBoundingClientRect();
        out.push({
            text: el.textContent,
            visible: el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}) && r.height > 0,
            inside: r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight + 0.5 && r.right <= innerWidth + 0.5,
            clear: !meets(r, corner),
            clipped: el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1,
            px: parseFloat(getComputedStyle(el).fontSize),
        });
    }
    const pager = document.querySelector('#additions-pager');
    return {
        items: out,
        pager: pager && !pager.hidden ? pager.textContent : '',
        floor: innerHeight / 30,
        fit: document.body.style.getPropertyValue('--fit'),
    };
}"""


def beamer_pages(beamer, name: str, most=6) -> list[dict]:
    """Every page the beamer turns through, one turn of the clock at a time; each is saved as
    /tmp/additions-beamer-<name>-page<n>.png."""
    seen = []
    for _ in range(most):
        shot = beamer.evaluate(ON_SCREEN)
        if seen and shot["pager"] == seen[0]["pager"] and shot["items"] == seen[0]["items"]:
            break  # back at the first page
        seen.append(shot)
        beamer.screenshot(path=f"/tmp/additions-beamer-{name}-page{len(seen)}.png")
        if not shot["pager"]:
            break  # everything on one page: nothing turns
        beamer.clock.run_for(10_500)
    return seen


@pytest.mark.browser
def test_a_long_addition_never_pushes_shown_ones_off_the_beamer_and_the_host_sees_what_is_on_it(
    browser, server, meeting, connect, page_errors
):
    from conftest import open_page
    from playwright.sync_api import expect

    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    phone = connect(code, "phone")
    beamer = open_page(browser, "about:blank", page_errors, viewport={"width": 1920, "height": 1080})
    beamer.clock.install()
    beamer.goto(meeting["projector_url"])
    host_page = open_page(browser, meeting["host_url"], page_errors, viewport={"width": 1280, "height": 900})
    assert host.call("set_phase", phase="recognition")["ok"]
    ids = {}
    for theme, text in ((1, SHORT[0]), (1, SHORT[1]), (2, SHORT[2]), (1, LONG)):
        ids[text] = phone.call("addition", theme=theme, text=text)["addition"]
        assert host.call("moderate", addition=ids[text], show=True) == {"ok": True}
    expect(beamer.locator("body")).to_have_attribute("data-phase", "recognition")
    expect(beamer.locator(".additions li").first).to_be_visible()

    for width, height in ((1920, 1080), (1280, 720)):
        resize(beamer, width, height)
        pages = beamer_pages(beamer, f"{width}x{height}")
        where = f"{width}x{height}"
        shown = [item["text"] for shot in pages for item in shot["items"]]
        # Every shown addition is on a page, once; the short ones stay together.
        assert sorted(shown) == sorted([*SHORT, LONG]), where
        assert any({item["text"] for item in shot["items"]} >= set(SHORT) for shot in pages), where
        for shot in pages:
            for item in shot["items"]:
                assert item["visible"] and item["inside"] and item["clear"] and not item["clipped"], (
                    where,
                    item,
                )
                assert item["px"] >= shot["floor"] - 0.5, (where, item["px"], shot["floor"])
            if len(pages) > 1:
                assert shot["pager"] == f"Aanvullingen {pages.index(shot) + 1} van {len(pages)}", where

    # 720p needs two pages; the host screen says which additions are on the beamer right now.
    assert len(pages) == 2
    now = {item["text"] for item in beamer.evaluate(ON_SCREEN)["items"]}
    for text, addition in ids.items():
        state = host_page.locator(f'#additions li[data-addition="{addition}"] .mod-state')
        expected = "Nu op de beamer" if text in now else "Wacht op zijn beurt op de beamer"
        expect(state).to_have_text(expected)
    expect(host_page.locator("#beamer-view")).to_contain_text("aanvullingen 1 van 2")
    # (The screenshot of the host page comes after the page turn: the beamer's clock keeps running
    # meanwhile, and a full-page shot of the long host screen takes seconds on a busy machine.)
    beamer.clock.run_for(10_500)
    expect(host_page.locator("#beamer-view")).to_contain_text("aanvullingen 2 van 2")
    after = {item["text"] for item in beamer.evaluate(ON_SCREEN)["items"]}
    assert after and after != now
    for text in after:
        expect(host_page.locator(f'#additions li[data-addition="{ids[text]}"] .mod-state')).to_have_text(
            "Nu op de beamer"
        )
    host_page.screenshot(path="/tmp/additions-host.png", full_page=True)

    # Hidden, it is gone from the beamer at once, and no page is left for it.
    assert host.call("moderate", addition=ids[LONG], show=False) == {"ok": True}
    expect(beamer.locator(".additions li")).to_have_count(3)
    expect(beamer.locator("#additions-pager")).to_be_hidden()
    assert page_errors == []


@pytest.mark.browser
def test_the_host_screen_pages_through_2000_additions_and_shows_or_hides_any_of_them(
    busy, browser, page_errors
):
    from conftest import open_page
    from playwright.sync_api import expect
    from test_accessibility import axe_violations

    srv, meeting, host, ids = busy
    counts = host.call("list_additions", {"limit": 1})["counts"]  # other tests moderate some
    page = open_page(browser, meeting["host_url"], page_errors, viewport={"width": 1280, "height": 900})
    items = page.locator("#additions li")
    expect(items).to_have_count(50)
    expect(page.locator("#additions-summary")).to_have_text(
        f"2000 aanvullingen: {counts['pending']} nog niet bekeken, {counts['shown']} gekozen voor de beamer,"
        f" {counts['hidden']} verborgen."
    )
    expect(page.locator("#mod-range")).to_have_text("Nummer 1 tot 50 van 2000")
    # The page is grouped per theme (a heading each), oldest first within each group.
    on_page = lambda: sorted(int(i) for i in items.evaluate_all("els => els.map(e => e.dataset.addition)"))  # noqa: E731
    assert on_page() == ids[:50]

    page.get_by_label("Volgorde").select_option("newest")
    expect(page.locator(f'#additions li[data-addition="{ids[-1]}"]')).to_have_count(1)
    assert on_page() == ids[-50:]
    page.get_by_role("navigation", name="Bladeren door de aanvullingen").get_by_role(
        "button", name="Volgende"
    ).click()
    expect(page.locator("#mod-range")).to_have_text("Nummer 51 tot 100 van 2000")
    expect(page.locator(f'#additions li[data-addition="{ids[-51]}"]')).to_have_count(1)
    expect(items).to_have_count(50)
    assert on_page() == ids[-100:-50]

    # Show one from the second page; it stays where it is and says so, and the counts follow.
    target = items.nth(3)
    chosen = int(target.get_attribute("data-addition"))
    target.get_by_role("button", name="Tonen op beamer").focus()
    page.keyboard.press("Enter")  # with the keyboard: the focus stays on this addition
    expect(target).to_have_attribute("data-status", "shown")
    expect(target.get_by_role("button", name="Verbergen")).to_be_focused()
    expect(page.locator("#additions-summary")).to_contain_text(
        f"{counts['shown'] + 1} gekozen voor de beamer"
    )
    host.wait_for(lambda: any(a["id"] == chosen and a["status"] == "shown" for a in host.additions))

    page.get_by_label("Welke").select_option("shown")
    expect(items).to_have_count(1)
    expect(items.first).to_have_attribute("data-addition", str(chosen))
    items.first.get_by_role("button", name="Verbergen").click()
    expect(items.first).to_have_attribute("data-status", "hidden")
    expect(page.locator("#additions-summary")).to_contain_text(f"{counts['hidden'] + 1} verborgen")
    page.screenshot(path="/tmp/additions-host-2000.png")
    assert axe_violations(page) == []
    assert page_errors == []
    assert host.call("moderate", addition=chosen, show=False)["ok"]


@pytest.mark.browser
def test_new_additions_leave_the_host_buttons_in_place_so_no_click_is_lost(
    browser, meeting, connect, page_errors
):
    from conftest import open_page
    from playwright.sync_api import expect

    host = connect(meeting["code"], "host", meeting["host_key"])
    phone = connect(meeting["code"], "phone")
    assert host.call("set_phase", phase="recognition")["ok"]
    first = phone.call("addition", theme=1, text="Meer bankjes in het park")["addition"]
    page = open_page(browser, meeting["host_url"], page_errors, viewport={"width": 1280, "height": 900})
    item = page.locator(f'#additions li[data-addition="{first}"]')
    show = item.get_by_role("button", name="Tonen op beamer")
    expect(show).to_be_visible()
    button = show.element_handle()
    # In a flood the list is drawn again every 100 ms: a button swapped for a new one between
    # the press and the release of the host's click would lose that click.
    for theme, text in ((1, "Een zebrapad bij de school"), (2, "Vaker de stoep vegen")):
        assert phone.call("addition", theme=theme, text=text)["ok"]
    expect(page.locator("#additions li")).to_have_count(3)
    expect(page.locator("#additions-summary")).to_contain_text("3 aanvullingen: 3 nog niet bekeken")
    assert button.evaluate("(b) => b.isConnected")
    button.click()
    host.wait_for(
        lambda: any(a["id"] == first and a["status"] == "shown" for a in host.state["additions"]),
        what="the first addition shown",
    )
    assert page_errors == []


def test_a_new_host_screen_hears_what_the_beamer_shows(meeting, connect):
    code = meeting["code"]
    projector = connect(code, "projector", meeting["projector_key"])
    asked = []
    projector.sio.on("report_view", lambda data: asked.append(data))
    host = connect(code, "host", meeting["host_key"])
    projector.wait_for(lambda: asked, what="the beamer is asked")
    view = {"additions": [4, 9], "page": 1, "pages": 3}
    assert projector.sio.call("showing", view, timeout=10) == {"ok": True}
    got = host.wait_for(lambda: host.views, what="projector_view")[-1]
    assert {k: got[k] for k in view} == view and isinstance(got["at"], int)


@pytest.mark.parametrize(
    "view",
    [
        None,
        {"additions": "4", "page": 1, "pages": 1},
        {"additions": [4], "page": 2, "pages": 1},
        {"additions": [0], "page": 1, "pages": 1},
        {"additions": [True], "page": 1, "pages": 1},
        {"additions": list(range(1, 502)), "page": 1, "pages": 1},
        {"additions": [4], "page": 1},
    ],
)
def test_a_bad_beamer_report_is_refused_and_not_relayed(meeting, connect, view):
    projector = connect(meeting["code"], "projector", meeting["projector_key"])
    host = connect(meeting["code"], "host", meeting["host_key"])
    assert projector.sio.call("showing", view, timeout=10) == {"ok": False, "error": "bad_payload"}
    assert host.views == []


def test_only_a_beamer_may_report_and_not_too_often(meeting, connect):
    code = meeting["code"]
    view = {"additions": [], "page": 0, "pages": 0}
    phone = connect(code, "phone")
    host = connect(code, "host", meeting["host_key"])
    for client in (phone, host):
        assert client.sio.call("showing", view, timeout=10) == {"ok": False, "error": "not_projector"}
    projector = connect(code, "projector", meeting["projector_key"])
    acks = [projector.sio.call("showing", view, timeout=10) for _ in range(12)]
    assert acks[:10] == [{"ok": True}] * 10
    assert acks[10:] == [{"ok": False, "error": "rate_limited"}] * 2


@pytest.mark.browser
def test_many_shown_additions_take_turns_on_the_beamer_and_each_is_readable_on_its_page(
    browser, server, meeting, connect, page_errors
):
    from conftest import open_page
    from playwright.sync_api import expect

    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    phone = connect(code, "phone")
    assert host.call("set_phase", phase="recognition")["ok"]
    texts = [
        f"Idee {n}: " + "graag meer aandacht voor de buurt en de mensen die er wonen " * 2 for n in range(14)
    ]
    for n, text in enumerate(texts):
        addition = phone.call("addition", theme=1 + n % 3, text=text.strip())["addition"]
        assert host.call("moderate", addition=addition, show=True) == {"ok": True}
    # The beamer opens once all 14 are shown, so its first snapshot holds them all: pages that
    # are counted while additions still arrive would be laid out again under the test's feet.
    beamer = open_page(browser, "about:blank", page_errors, viewport={"width": 1280, "height": 720})
    beamer.clock.install()
    beamer.goto(meeting["projector_url"])
    expect(beamer.locator("#additions-pager")).to_be_visible()
    pages = beamer_pages(beamer, "many-1280x720", most=12)
    assert len(pages) > 2
    shown = [item["text"] for shot in pages for item in shot["items"]]
    assert sorted(shown) == sorted(t.strip() for t in texts)  # each once, none dropped
    for n, shot in enumerate(pages, 1):
        assert shot["pager"] == f"Aanvullingen {n} van {len(pages)}"
        for item in shot["items"]:
            assert item["visible"] and item["inside"] and item["clear"] and not item["clipped"], item
            assert item["px"] >= shot["floor"] - 0.5
    assert page_errors == []
