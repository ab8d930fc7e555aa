"""A whole evening end to end: the real server, a host, a projector and 24 phones, every phase."""

import csv
import io
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from conftest import get

PHONES = 24
ROLES = ("lead", "member", "occasional")


def test_a_whole_evening_with_two_dozen_phones(server, meeting, connect):
    code = meeting["code"]
    rnd = random.Random(4)
    host = connect(code, "host", meeting["host_key"])
    projector = connect(code, "projector", meeting["projector_key"])
    with ThreadPoolExecutor(8) as pool:
        phones = list(pool.map(lambda _: connect(code, "phone"), range(PHONES)))
    projector.wait_for(lambda: projector.tally["participants"] == PHONES, what="lobby count")

    def phase(name):
        assert host.call("set_phase", phase=name)["ok"]
        for c in [projector, *phones]:
            c.wait_for(lambda c=c: c.state["phase"] == name, what=f"{name} on every screen")

    # Recognition: every phone answers every theme, some change their mind; a few add something.
    phase("recognition")
    answers = {}
    for i, p in enumerate(phones):
        for theme in (1, 2, 3):
            answer = rnd.choice(("yes", "partly", "no"))
            assert p.call("vote", theme=theme, answer=answer) == {"ok": True}
            answers[(i, theme)] = answer
        if i % 3 == 0:
            answer = rnd.choice(("yes", "partly", "no"))
            assert p.call("vote", theme=1, answer=answer) == {"ok": True}
            answers[(i, 1)] = answer
    additions = [phones[i].call("addition", theme=2, text=f"Idee nummer {i}")["addition"] for i in (0, 5)]
    assert host.call("moderate", addition=additions[1], show=True) == {"ok": True}

    expected = {t: Counter(a for (i, th), a in answers.items() if th == t) for t in (1, 2, 3)}

    def recognition_matches():
        last = projector.tally["themes"]
        return all(r[k] == expected[r["theme"]][k] for r in last for k in ("yes", "partly", "no"))

    projector.wait_for(recognition_matches, what="recognition tally")
    projector.wait_for(lambda: [a["text"] for a in projector.state["additions"]] == ["Idee nummer 5"])

    phase("break")
    phase("topics")
    choices = {}
    for i, p in enumerate(phones):
        choices[i] = rnd.choice((1, 2, 3))
        assert p.call("choose", theme=choices[i]) == {"ok": True}

    phase("pledges")
    pledges = {}
    for i, p in enumerate(phones):
        if i % 2:
            continue
        pledge = {
            "theme": choices[i],
            "role": ROLES[i % 3],
            "name": f"Bewoner {i}",
            "email": f"bewoner{i}@example.nl" if i % 4 else None,
            "phone": None if i % 4 else f"06 1234 56{i:02d}",
            "consent": True,
        }
        assert p.call("pledge", **pledge) == {"ok": True}
        pledges[i] = pledge

    phase("results")
    chosen = Counter(choices.values())
    pledged = Counter(p["theme"] for p in pledges.values())
    final = {r["theme"]: r for r in projector.state["tally"]["themes"]}
    for t in (1, 2, 3):
        assert final[t]["chosen"] == chosen[t]
        assert final[t]["pledged"] == pledged[t]
        assert {k: final[t][k] for k in ("yes", "partly", "no")} == {
            k: expected[t][k] for k in ("yes", "partly", "no")
        }
    assert projector.state["tally"]["participants"] == PHONES

    # A phone that comes back finds its own answers.
    back = connect(code, "phone", phones[2].token)
    assert back.state["mine"]["choice"] == choices[2]
    assert back.state["mine"]["votes"] == {str(t): answers[(2, t)] for t in (1, 2, 3)}
    assert back.state["mine"]["pledge"]["name"] == "Bewoner 2"

    # The working-group export holds exactly the pledges, grouped per theme.
    status, headers, body = get(
        f"{server.url}/{code}/werkgroepen.csv", {"Authorization": f"Bearer {meeting['host_key']}"}
    )
    assert status == 200 and "attachment" in headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    titles = {1: "Groen in de wijk", 2: "Verkeer", 3: "Samen eten"}
    assert sorted(r["Naam"] for r in rows) == sorted(p["name"] for p in pledges.values())
    assert [r["Werkgroep"] for r in rows] == sorted(
        (r["Werkgroep"] for r in rows), key=list(titles.values()).index
    )
    for r in rows:
        i = int(r["Naam"].split()[1])
        assert r["Werkgroep"] == titles[pledges[i]["theme"]]
        if pledges[i]["email"]:
            assert r["E-mail"] == pledges[i]["email"]
        else:
            assert r["Telefoon"] == f"06 123456{i:02d}"
