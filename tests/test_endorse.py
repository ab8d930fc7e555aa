"""The room weighs the additions: "Dat herken ik ook" (docs/protocol.md, ``endorse``).

Phones see the additions the beamer shows and tap the ones they recognise; the host and the
beamer see how many did (coalesced, at most ten updates a second), and the record counts them.
Nobody is identified anywhere: phones never get counts or authors, screens get counts only.
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from conftest import Client, get, own_server


def shown_addition(host, phone, theme=1, text="Drempels op de Dorpsstraat") -> int:
    """An addition from ``phone``, shown on the beamer by ``host``; returns its id."""
    addition = phone.call("addition", theme=theme, text=text)["addition"]
    assert host.call("moderate", addition=addition, show=True) == {"ok": True}
    return addition


def test_one_tap_counts_once_and_a_second_one_takes_it_back(server, meeting, connect):
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    writer, anna, bert = (connect(code, "phone") for _ in range(3))
    assert host.call("set_phase", phase="recognition")["ok"]
    pending = writer.call("addition", theme=1, text="Nog niet bekeken")["addition"]
    assert anna.call("endorse", addition=pending, on=True) == {"ok": False, "error": "not_shown"}
    shown = shown_addition(host, writer)
    # Phones see what the beamer shows, without counts and without who wrote it.
    seen = anna.wait_for(lambda: [a for a in anna.additions if a["id"] == shown], what="shown to phones")[0]
    assert set(seen) == {"id", "theme", "text", "status", "version"}
    assert anna.call("endorse", addition=shown, on=True) == {"ok": True, "endorsements": 1}
    assert anna.call("endorse", addition=shown, on=True)["endorsements"] == 1  # once per person
    assert bert.call("endorse", addition=shown, on=True)["endorsements"] == 2
    assert anna.call("endorse", addition=shown, on=False)["endorsements"] == 1
    # A reconnecting phone knows what it recognised.
    again = connect(code, "phone", bert.token)
    assert again.state["mine"]["endorsed"] == [shown]
    # The host sees the count, coalesced, and can sort by it; every addition message carries it.
    host.sio.on("endorsements", lambda m: host.__dict__.setdefault("endorsed", []).append(m))
    assert host.call("addition_hands", addition=shown, count=5)["endorsements"] == 6
    host.wait_for(lambda: getattr(host, "endorsed", None) and host.endorsed[-1]["counts"] == {str(shown): 6})
    page = host.call("list_additions", {"order": "endorsed", "status": "shown"})
    assert [(a["id"], a["endorsements"]) for a in page["additions"]] == [(shown, 6)]
    # Hidden: nobody can endorse it any more, nor take a tap back.
    assert host.call("moderate", addition=shown, show=False) == {"ok": True}
    assert bert.call("endorse", addition=shown, on=False) == {"ok": False, "error": "not_shown"}
    assert bert.call("endorse", addition=10**9, on=True) == {"ok": False, "error": "unknown_addition"}
    for bad in ({"addition": shown}, {"addition": "1", "on": True}, {"addition": shown, "on": 1}):
        assert bert.call("endorse", **bad)["ok"] is False, bad
    assert host.call("endorse", addition=shown, on=True) == {"ok": False, "error": "not_phone"}
    assert bert.call("addition_hands", addition=shown, count=3) == {"ok": False, "error": "not_host"}
    assert host.call("set_phase", phase="topics")["ok"]
    assert anna.call("endorse", addition=shown, on=True) == {"ok": False, "error": "wrong_phase"}


def test_a_merged_addition_counts_for_its_groups_root(server, meeting, connect):
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    phones = [connect(code, "phone") for _ in range(3)]
    assert host.call("set_phase", phase="recognition")["ok"]
    root = shown_addition(host, phones[0], text="Drempels")
    other = shown_addition(host, phones[1], text="Ook drempels graag")
    assert phones[1].call("endorse", addition=root, on=True)["endorsements"] == 1
    assert phones[1].call("endorse", addition=other, on=True)["endorsements"] == 1
    assert phones[2].call("endorse", addition=other, on=True)["endorsements"] == 2
    assert host.call("merge_addition", addition=other, into=root)["ok"]
    # Phone 1 tapped both: it counts once. A tap on the merged one counts for the root.
    merged = host.call("list_additions", {"status": "shown"})["additions"]
    assert [(a["id"], a["endorsements"]) for a in merged] == [(root, 2)]
    assert phones[0].call("endorse", addition=other, on=True) == {
        "ok": True,
        "endorsements": 3,
    }


def test_two_hundred_phones_tapping_give_the_beamer_at_most_ten_updates_a_second_and_the_exact_count(
    tmp_path,
):
    with own_server(tmp_path) as srv:
        made = srv.create_meeting()
        code = made["code"]
        host = Client(srv.url, code, "host", made["host_key"])
        beamer = Client(srv.url, code, "projector", made["projector_key"])
        heard = []
        beamer.sio.on("endorsements", lambda m: heard.append((time.monotonic(), m)))
        phones = [Client(srv.url, code, "phone") for _ in range(200)]
        try:
            assert host.call("set_phase", phase="recognition")["ok"]
            shown = shown_addition(host, phones[0])
            start = threading.Barrier(len(phones))
            acks = []

            def tap(phone):
                start.wait(20)
                acks.append(phone.call("endorse", addition=shown, on=True))

            threads = [threading.Thread(target=tap, args=(p,)) for p in phones]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert len(acks) == 200 and all(a["ok"] for a in acks)
            beamer.wait_for(lambda: heard and heard[-1][1]["counts"] == {str(shown): 200}, what="exact count")
            times = [at for at, _ in heard]
            for n, at in enumerate(times):
                # Never more than ten in any second.
                assert sum(1 for later in times[n:] if later - at < 1.0) <= 10
            ats = [m["at"] for _, m in heard]
            assert ats == sorted(ats)
        finally:
            for c in (*phones, host, beamer):
                c.close()


def test_the_beamer_gets_no_counts_while_the_themes_results_are_hidden(server, meeting, connect):
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    phone = connect(code, "phone")
    beamer = connect(code, "projector", meeting["projector_key"])
    heard = []
    beamer.sio.on("endorsements", heard.append)
    assert host.call("set_phase", phase="recognition")["ok"]
    assert host.call("set_results", hidden=True, theme=1)["ok"]
    shown = shown_addition(host, phone, theme=1)
    assert phone.call("endorse", addition=shown, on=True)["endorsements"] == 1
    beamer.wait_for(lambda: heard, what="a coalesced update")
    assert heard[-1]["counts"] == {}
    late = connect(code, "projector", meeting["projector_key"])
    assert "endorsements" not in late.state["additions"][0]
    # Nor in the live message when the host shows it again.
    assert host.call("moderate", addition=shown, show=True) == {"ok": True}
    again = beamer.wait_for(lambda: [a for a in beamer.additions if a["id"] == shown][1:], what="shown again")
    assert "endorsements" not in again[-1]
    assert host.call("set_results", hidden=False, theme=1)["ok"]
    assert phone.call("endorse", addition=shown, on=False)["ok"]
    beamer.wait_for(lambda: heard[-1]["counts"] == {str(shown): 0}, what="the count, revealed")
    assert phone.call("endorse", addition=shown, on=True)["ok"]
    beamer.wait_for(lambda: heard[-1]["counts"] == {str(shown): 1}, what="the count once shown")


@pytest.mark.browser
def test_three_phones_tap_and_the_beamer_and_the_record_show_the_count(
    browser, server, meeting, connect, page_errors
):
    from conftest import open_page
    from playwright.sync_api import expect

    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    writer = connect(code, "phone")
    assert host.call("set_phase", phase="recognition")["ok"]
    beamer = open_page(
        browser, meeting["projector_url"], page_errors, viewport={"width": 1280, "height": 720}
    )
    dutch = open_page(browser, meeting["join_url"], page_errors, viewport={"width": 360, "height": 740})
    arabic = open_page(
        browser, meeting["join_url"] + "?lang=ar", page_errors, viewport={"width": 360, "height": 740}
    )
    shown = shown_addition(host, writer)
    pending = writer.call("addition", theme=1, text="Wacht nog op de leiding")["addition"]
    for phone, label in ((dutch, "Dat herken ik ook"), (arabic, "أتعرف على هذا أيضًا")):
        button = phone.locator(f'li[data-addition="{shown}"] button.endorse')
        expect(button).to_have_text(label)
        expect(button).to_have_attribute("aria-pressed", "false")
        # Only what the beamer shows: never a pending addition.
        expect(phone.locator(f'li[data-addition="{pending}"]')).to_have_count(0)
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
    count = beamer.locator(f'.additions li[data-addition="{shown}"] .endorsed')
    expect(count).to_have_text("2 herkennen dit", timeout=1500)
    dutch.locator(f'li[data-addition="{shown}"] button.endorse').click()
    expect(count).to_have_text("1 herkent dit", timeout=1500)
    # The keyboard alone does it too (Tab to the button, Space).
    button = dutch.locator(f'li[data-addition="{shown}"] button.endorse')
    button.focus()
    dutch.keyboard.press("Space")
    expect(count).to_have_text("2 herkennen dit", timeout=1500)
    # WCAG 2.1 AA on the phones with the list and on the beamer with the count; a finger's target.
    from test_accessibility import axe_violations, report

    screens = (("phone", dutch), ("phone ar", arabic), ("beamer", beamer))
    found = {name: axe_violations(p) for name, p in screens}
    assert not any(found.values()), report(found)
    box = dutch.locator(f'li[data-addition="{shown}"] button.endorse').bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    # The host sees the count, types raised hands with the keyboard alone, and sorts by it.
    host_page = open_page(browser, meeting["host_url"], page_errors, viewport={"width": 1280, "height": 900})
    item = host_page.locator(f'#additions li[data-addition="{shown}"]')
    expect(item.locator(".mod-endorsed")).to_have_text("2 herkennen dit")
    hands = item.get_by_label("Handen omhoog voor deze aanvulling")
    hands.fill("3")
    hands.press("Enter")
    expect(item.locator(".mod-endorsed")).to_have_text("5 herkennen dit")
    expect(count).to_have_text("5 herkennen dit", timeout=1500)
    host_page.select_option("#mod-order", "endorsed")
    first = host_page.locator("#additions li[data-addition]").first
    expect(first).to_have_attribute("data-addition", str(shown))
    found = {"host": axe_violations(host_page)}
    assert not any(found.values()), report(found)
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots:
        pages = (("endorse-phone", dutch), ("endorse-phone-ar", arabic), ("endorse-beamer", beamer),
                 ("endorse-host", host_page))  # fmt: skip
        for name, p in pages:
            p.screenshot(path=f"{shots}/{name}.png", full_page=name != "endorse-beamer")
    assert page_errors == []
    _, _, record = get(f"{server.url}/{code}/verslag", {"Authorization": f"Bearer {meeting['host_key']}"})
    assert "5 herkennen dit: 2 telefoon, 0 papier of helper, 3 handen" in record.decode()


def test_a_helper_records_it_for_a_paper_form_and_the_record_counts_it_apart(server, meeting, connect):
    code = meeting["code"]
    host = connect(code, "host", meeting["host_key"])
    phone = connect(code, "phone")
    helper = connect(code, "helper", meeting["helper_key"])
    assert host.call("set_phase", phase="recognition")["ok"]
    shown = shown_addition(host, phone)
    pending = phone.call("addition", theme=2, text="Nog niet op het scherm")["addition"]
    # The helper screen has the shown additions, by number.
    helper.wait_for(lambda: [a for a in helper.additions if a["id"] == shown], what="shown to the helper")
    refused = helper.call("submit_form", origin="paper", endorse=[pending])
    assert refused == {"ok": False, "error": "not_shown"}
    assert helper.call("submit_form", origin="paper", endorse=[shown, shown])["ok"]  # once per form
    assert phone.call("endorse", addition=shown, on=True)["endorsements"] == 2
    assert host.call("addition_hands", addition=shown, count=4)["endorsements"] == 6
    key = {"Authorization": f"Bearer {meeting['host_key']}"}
    _, _, record = get(f"{server.url}/{code}/verslag", key)
    assert "6 herkennen dit: 1 telefoon, 1 papier of helper, 4 handen" in record.decode()
    from io import BytesIO

    from openpyxl import load_workbook

    _, _, raw = get(f"{server.url}/{code}/verslag.xlsx", key)
    rows = list(load_workbook(BytesIO(raw))["Aanvullingen"].iter_rows(values_only=True))
    assert rows[1][2:9] == ("Drempels op de Dorpsstraat", "getoond", 6, 1, 1, 4, None)
    # The archive keeps the counts (who, only as a participant id), and an import keeps them.
    import json

    from conftest import api

    _, _, archive = get(f"{server.url}/{code}/bijeenkomst.json", key)
    status, copy = api(server.url + "/api/meetings/import", json.loads(archive))
    assert status == 201, copy
    _, _, again = get(f"{server.url}/{copy['code']}/verslag", {"Authorization": f"Bearer {copy['host_key']}"})
    assert "6 herkennen dit: 1 telefoon, 1 papier of helper, 4 handen" in again.decode()
