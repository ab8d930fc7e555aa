"""The host adds, merges and removes working groups in a terugkombijeenkomst: the pure decision
(``live.domain.terugkom``), both stores (``tests/stores.py``), the real server's group links, and
the host screen in a browser with axe."""

from __future__ import annotations

import json

import pytest
from conftest import api, get, refusal
from test_store_terugkom import ORIGIN, act, make

from live.domain import MAX_PLAN_FIELD, Theme, hash_secret, terugkom
from live.store import HOST_ACTOR, group_actor

# -- the pure decision ------------------------------------------------------------------------------


def test_a_merge_keeps_the_target_plan_and_adds_what_the_merged_group_wrote_after_it():
    target = json.dumps({"goal": "Meer groen", "when": "Mei"})
    merged = json.dumps({"goal": "Bomen planten", "first_step": "Een brief"})
    plan = json.loads(terugkom.appended_plan(target, merged, "Bomen"))
    assert plan["goal"] == "Meer groen\n\nBomen: Bomen planten"
    assert plan["first_step"] == "Een brief" and plan["when"] == "Mei" and plan["needs"] == ""
    assert terugkom.appended_plan(target, "", "Bomen") == target
    long = json.loads(
        terugkom.appended_plan(json.dumps({"goal": "x" * 900}), json.dumps({"goal": "y" * 900}))
    )
    assert len(long["goal"]) == MAX_PLAN_FIELD and long["goal"].endswith("…")


def test_a_merge_brings_members_counts_and_card_along_and_renames_the_agreements():
    other = {
        "from": "QRTUV",
        "theme": 2,
        "card": [{"field": "needs", "text": "Schoppen"}],
        "members": [ORIGIN["members"][0], {"name": "Bo", "email": "", "phone": "06", "role": "member"}],
        "others": {"lead": 1, "member": 1, "occasional": 0},
    }
    merge = terugkom.merge_groups(
        2,
        1,
        {"plan": "", "origin": json.dumps(other), "key_hash": "k2"},
        {"plan": "", "origin": json.dumps(ORIGIN), "key_hash": "k1"},
        [(1, [1, 2]), (2, [2, 3]), (3, [3])],
        2,
    )
    origin = json.loads(merge.origin)
    assert [m["name"] for m in origin["members"]] == ["Anna", "Bo"]  # Anna once
    assert origin["others"] == {"lead": 1, "member": 3, "occasional": 0}
    assert origin["from"] == "ACDEF" and len(origin["card"]) == 2
    assert merge.agreements == {1: [1], 2: [1, 3]} and merge.drop_key == "k2" and merge.reset_presenting
    assert terugkom.merged_origin("", "") == ""


def test_a_removal_keeps_the_other_groups_of_an_agreement_and_takes_one_of_only_that_group():
    removal = terugkom.remove_group(2, [(1, [1, 2]), (2, [2]), (3, [3])], None)
    assert removal.agreements == {1: [1]} and removal.removed == (2,) and not removal.reset_presenting


# -- both stores --------------------------------------------------------------------------------


@pytest.fixture
def store(stores):
    """A fresh, empty store of each kind."""
    return stores()


def test_an_added_group_gets_a_row_and_its_key_opens_it_once_set(store):
    code = make(store)
    ack = act(store, code, HOST_ACTOR, "add_theme", "a1", title="Bankjes", description="", addition=None)
    assert ack == {"ok": True, "theme": 3}
    rows = {g["theme"]: g for g in store.groups(code)}
    assert rows[3]["plan"] == "" and rows[3]["status"] == "loopt" and rows[3]["origin"] == ""
    assert store.group_for_key(code, hash_secret("key-3")) is None  # no key yet: opens nothing
    assert act(store, code, HOST_ACTOR, "set_group_key", "", theme=3, key_hash=hash_secret("key-3")) == {
        "ok": True
    }
    assert store.group_for_key(code, hash_secret("key-3")) == 3
    assert act(store, code, group_actor(3), "plan", "p1", theme=3, fields={"goal": "Zitten"})["ok"]
    assert act(store, code, HOST_ACTOR, "set_group_key", "", theme=9, key_hash="x") == {
        "ok": False,
        "error": "unknown_group",
    }
    # An evening's new theme has no group.
    assert store.create_meeting("AVOND", "A", "", "", [Theme(1, "G")], "h", "p", "x", "", None)
    assert act(store, "AVOND", HOST_ACTOR, "add_theme", "a1", title="G", description="", addition=None)["ok"]
    assert store.groups("AVOND") == []


def test_a_merge_moves_members_plan_and_agreements_and_drops_the_merged_key(store):
    code = make(store)
    act(store, code, HOST_ACTOR, "plan", "p1", theme=1, fields={"goal": "Groen", "when": "Mei"})
    act(store, code, HOST_ACTOR, "plan", "p2", theme=2, fields={"goal": "Veilig", "needs": "Borden"})
    first = act(store, code, HOST_ACTOR, "agreement", "g1", text="Samen", themes=[1, 2], who="", due="")
    alone = act(store, code, HOST_ACTOR, "agreement", "g2", text="Alleen", themes=[2], who="", due="")
    act(store, code, HOST_ACTOR, "set_presenting", "s1", theme=1)
    ack = act(store, code, HOST_ACTOR, "merge_themes", "m1", theme=1, into=2)
    assert ack["ok"]
    rows = {g["theme"]: g for g in store.groups(code)}
    plan = json.loads(rows[2]["plan"])
    assert plan["goal"] == "Veilig\n\nGroen: Groen" and plan["when"] == "Mei" and plan["needs"] == "Borden"
    origin = json.loads(rows[2]["origin"])
    assert [m["name"] for m in origin["members"]] == ["Anna"] and origin["others"]["member"] == 2
    assert json.loads(rows[1]["plan"])["goal"] == "Groen"  # the merged group's own row stays whole
    agreements = {a["id"]: a["themes"] for a in store.agreements(code)}
    assert agreements == {first["agreement"]: [2], alone["agreement"]: [2]}
    assert store.group_for_key(code, hash_secret(f"key-1-{code}")) is None
    assert store.group_for_key(code, hash_secret(f"key-2-{code}")) == 2
    assert store.meeting(code).presenting is None
    assert [t.id for t in store.meeting(code).themes] == [2]


def test_a_removed_group_leaves_the_screens_and_its_agreements_keep_their_other_groups(store):
    code = make(store)
    act(store, code, HOST_ACTOR, "add_theme", "a1", title="Bankjes", description="", addition=None)
    both = act(store, code, HOST_ACTOR, "agreement", "g1", text="Samen", themes=[1, 2], who="", due="")
    only = act(store, code, HOST_ACTOR, "agreement", "g2", text="Alleen", themes=[2], who="", due="")
    act(store, code, HOST_ACTOR, "set_presenting", "s1", theme=2)
    assert act(store, code, HOST_ACTOR, "remove_theme", "r1", theme=2, confirm=False) == {"ok": True}
    assert [t.id for t in store.meeting(code).themes] == [1, 3]
    assert {a["id"]: a["themes"] for a in store.agreements(code)} == {both["agreement"]: [1]}
    removed = [a for a in store.export_meeting(code)["agreements"] if a["id"] == only["agreement"]]
    assert removed and removed[0]["removed"]
    # Its row and key stay: the key finds the group, which is no longer in the meeting.
    assert store.group_for_key(code, hash_secret(f"key-2-{code}")) == 2
    assert 2 in {g["theme"] for g in store.groups(code)}
    assert store.meeting(code).presenting is None


# -- the real server ------------------------------------------------------------------------------


@pytest.fixture
def follow_up(server, connect):
    """A terugkombijeenkomst from an evening with two groups (Anna shares, Cas shares)."""
    from test_terugkom import evening

    night = evening(server, connect, ("Groen in de wijk", "Verkeer"), [(1, "Anna", True), (2, "Cas", True)])
    body = {
        "kind": "terugkom",
        "title": "Terugkom",
        "from": [{"code": night["code"], "host_key": night["host_key"]}],
    }
    status, made = api(server.url + "/api/meetings", body)
    assert status == 201, made
    return made


def _key_of(link: str) -> str:
    return link.split("key=", 1)[1]


def test_an_added_groups_link_opens_its_page_and_a_merged_or_removed_ones_does_not(
    server, connect, follow_up
):
    code = follow_up["code"]
    host = connect(code, "host", follow_up["host_key"])
    ack = host.call("add_theme", title="Bankjes", description="Meer bankjes")
    assert ack["ok"] and ack["theme"] == 3 and f"/{code}/groep?key=" in ack["link"], ack
    key = _key_of(ack["link"])
    group = connect(code, "group", key)
    assert group.state["group"]["theme"] == 3
    assert group.call("plan", fields={"goal": "Zitten in het park"})["ok"]
    assert get(f"{server.url}/{code}/groep", {"Cookie": f"group_{code}={key}"})[0] == 200
    host.wait_for(lambda: len(host.state["groups"]) == 3, what="the new group")
    assert [g["theme"] for g in host.state["groups"]] == [1, 2, 3]

    # Merged into group 1: its key opens nothing, its plan went along.
    assert host.call("merge_themes", theme=3, into=1)["ok"]
    host.wait_for(lambda: [g["theme"] for g in host.state["groups"]] == [1, 2], what="the merge")
    state = host.state
    assert "Zitten in het park" in state["groups"][0]["plan"]["goal"]
    assert refusal(server.url, {"code": code, "role": "group", "token": key}) == "bad_key"
    assert get(f"{server.url}/{code}/groep?key={key}")[0] == 403
    assert group.call("plan", fields={"goal": "nog iets"}) == {"ok": False, "error": "unknown_group"}

    # Removed: the page says so plainly; the socket is refused.
    second = follow_up["groups"][1]["key"]
    ack = host.call("remove_theme", theme=2)
    if not ack["ok"]:
        assert ack["error"] == "confirm_needed"
        ack = host.call("remove_theme", theme=2, confirm=True)
    assert ack == {"ok": True}
    status, _headers, body = get(f"{server.url}/{code}/groep?key={second}")
    assert status == 410 and "Deze werkgroep doet niet meer mee" in body.decode()
    assert get(f"{server.url}/{code}/groep", {"Cookie": f"group_{code}={second}"})[0] == 410
    assert refusal(server.url, {"code": code, "role": "group", "token": second}) == "bad_key"
    host.wait_for(lambda: [g["theme"] for g in host.state["groups"]] == [1], what="the removal")
    # The first group still opens its own page.
    assert get(f"{server.url}/{code}/groep?key={follow_up['groups'][0]['key']}")[0] == 303


def test_a_resent_add_answers_the_same_group_and_link(connect, follow_up):
    host = connect(follow_up["code"], "host", follow_up["host_key"])
    payload = {"id": "add-once", "title": "Bankjes"}
    first, again = host.call("add_theme", payload), host.call("add_theme", payload)
    assert first["ok"] and again == first
    host.wait_for(lambda: len(host.state["groups"]) == 3, what="one new group")
    assert [t["title"] for t in host.state["themes"]].count("Bankjes") == 1


def test_a_projector_with_the_host_key_adds_nothing(connect, follow_up):
    projector = connect(follow_up["code"], "projector", follow_up["host_key"])
    assert projector.call("add_theme", title="x") == {"ok": False, "error": "not_host"}


def test_the_archive_keeps_added_merged_and_removed_groups(server, connect, follow_up):
    code = follow_up["code"]
    host = connect(code, "host", follow_up["host_key"])
    added = host.call("add_theme", title="Bankjes")
    assert added["ok"]
    assert host.call("plan", theme=added["theme"], fields={"goal": "Zitten"})["ok"]
    assert host.call("merge_themes", theme=added["theme"], into=1)["ok"]
    ack = host.call("remove_theme", theme=2, confirm=True)
    assert ack["ok"], ack
    status, _h, body = get(
        f"{server.url}/{code}/bijeenkomst.json", {"Authorization": f"Bearer {follow_up['host_key']}"}
    )
    assert status == 200
    doc = json.loads(body)
    themes = {t["id"]: t for t in doc["themes"]}
    assert themes[3]["merged_into"] == 1 and themes[2]["removed"]
    groups = {g["theme"]: g for g in doc["groups"]}
    assert set(groups) == {1, 2, 3} and groups[3]["origin"] is None and groups[3]["plan"]["goal"] == "Zitten"
    assert "Zitten" in groups[1]["plan"]["goal"]
    status, made = api(server.url + "/api/meetings/import", doc)
    assert status == 201, made
    assert [g["theme"] for g in made["groups"]] == [1]  # only the group still in the meeting
    again = connect(made["code"], "host", made["host_key"])
    assert [g["theme"] for g in again.state["groups"]] == [1]
    assert "Zitten" in again.state["groups"][0]["plan"]["goal"]
    status, _h, body = get(
        f"{server.url}/{made['code']}/bijeenkomst.json", {"Authorization": f"Bearer {made['host_key']}"}
    )
    back = json.loads(body)
    assert {g["theme"] for g in back["groups"]} == {1, 2, 3}
    assert {t["id"]: (t["removed"], t["merged_into"]) for t in back["themes"]} == {
        t["id"]: (t["removed"], t["merged_into"]) for t in doc["themes"]
    }


# -- the host screen ------------------------------------------------------------------------------


@pytest.mark.browser
def test_the_host_adds_merges_and_removes_a_group_on_the_host_screen(
    browser, server, connect, follow_up, page_errors
):
    from conftest import open_page
    from playwright.sync_api import expect
    from test_accessibility import TARGET, assert_no_violations, open_all_details, tab_to

    code = follow_up["code"]
    page = open_page(
        browser,
        f"{server.url}/{code}/host?key={follow_up['host_key']}",
        page_errors,
        viewport={"width": 1280, "height": 900},
    )
    expect(page.locator("#conn")).to_have_text("Verbonden")
    # Keyboard alone: the name, then the button.
    tab_to(page, "#new-group-title", limit=200)
    page.keyboard.type("Bankjes in het park")
    tab_to(page, "#add-group-save")
    page.keyboard.press("Enter")
    expect(page.locator('[data-status="add_group"]')).to_contain_text("De groep staat er nu bij")
    card = page.locator('#group-list [data-key="3"]')
    expect(card).to_contain_text("Bankjes in het park")
    link = card.locator("input.group-link-input").input_value()
    assert f"/{code}/groep?key=" in link
    assert get(f"{server.url}/{code}/groep?key={_key_of(link)}")[0] == 303

    # Merge the new group into the first: asked first, then done.
    card.locator('select[name="into"]').select_option("1")
    card.locator("button.merge").click()
    expect(card.locator(".group-confirm")).to_be_visible()
    open_all_details(page)
    assert_no_violations({"host asking to merge": page})
    controls = page.locator(
        ".group-tools button:visible, .group-tools select, #add-group button, #add-group input"
    )
    small = [n for n in range(controls.count()) if controls.nth(n).bounding_box()["height"] < TARGET]
    assert small == []
    card.locator("button.yes").click()
    expect(page.locator('#group-list [data-key="3"]')).to_have_count(0)
    expect(page.locator('[data-status="add_group"]')).to_contain_text("Samengevoegd met Groen in de wijk")

    # Remove the second group: a newcomer joined it, so the screen asks first.
    host = connect(code, "host", follow_up["host_key"])
    assert host.call("set_phase", phase="agreements")["ok"]
    phone = connect(code, "phone")
    joined = phone.call("pledge", theme=2, name="Eva", email="eva@example.org", role="member", consent=True)
    assert joined["ok"], joined
    second = page.locator('#group-list [data-key="2"]')
    second.locator("button.remove").click()
    expect(second.locator(".group-confirm")).to_contain_text("weghalen?")
    second.locator("button.yes").click()
    expect(page.locator('#group-list [data-key="2"]')).to_have_count(0)
    expect(page.locator('[data-status="add_group"]')).to_contain_text("is weggehaald")
    # The last group stays: its buttons are off.
    expect(page.locator('#group-list [data-key="1"] button.remove')).to_be_disabled()
    open_all_details(page)
    assert_no_violations({"host after merging and removing": page})
    assert page_errors == []
