"""The printed pages of the hand-off, in Chromium: the evening's record and a working group's page,
printed to PDF as a person would (print stylesheet, A4), turned into pictures with poppler's
pdftoppm, and read back with pdftotext. The pictures are kept in the test's folder to look at.
The same pages pass axe-core on screen."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import IN_CI, get, open_page
from openpyxl import load_workbook
from test_accessibility import assert_no_violations

pytestmark = pytest.mark.browser

NAMES = ("Fatima Kaya", "Piet Gerritsen", "Anouk Verhoef")


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if IN_CI:
            pytest.fail("poppler-utils is not installed; .ci/run must install it")
        pytest.skip("poppler-utils not installed")
    return path


@pytest.fixture
def handed_off(server, connect):
    """A meeting with answers, hands, additions, a card and three volunteers (one not sharing)."""
    made = server.create_meeting(themes=("Groen in de wijk", "Verkeer", "Samen eten"))
    code, key = made["code"], made["host_key"]
    host = connect(code, "host", key)
    phones = [connect(code, "phone") for _ in range(6)]
    assert host.call("set_phase", phase="recognition")["ok"]
    for n, phone in enumerate(phones):
        assert phone.call("vote", theme=1, answer=("yes", "yes", "yes", "partly", "partly", "no")[n])["ok"]
        assert phone.call("vote", theme=2, answer=("no", "no", "partly", "yes", "no", "no")[n])["ok"]
    shown = phones[0].call("addition", theme=1, text="Meer bankjes bij de speeltuin")["addition"]
    hidden = phones[1].call("addition", theme=1, text="Niet voor het scherm")["addition"]
    assert host.call("moderate", addition=shown, show=True)["ok"]
    assert host.call("moderate", addition=hidden, show=False)["ok"]
    # Two more people said the same: merged into the shown one, so it stands for three.
    for phone, text in ((phones[2], "Ook bankjes <b>graag</b>"), (phones[3], "=Bankjes bij de speeltuin")):
        same = phone.call("addition", theme=1, text=text)["addition"]
        assert host.call("merge_addition", addition=same, into=shown)["ok"]
    assert host.call("manual_count", theme=1, answer="yes", count=4)["ok"]
    assert host.call("set_phase", phase="topics")["ok"]
    for phone in phones[:3]:
        assert phone.call("choose", theme=1)["ok"]
    assert phones[0].call("note", theme=1, field="first_step", text="Eerste stap: een rondje door de wijk")[
        "ok"
    ]
    assert host.call("set_phase", phase="pledges")["ok"]
    for n, (name, role, share) in enumerate(
        zip(NAMES, ("lead", "member", "occasional"), (True, True, False), strict=True)
    ):
        email = f"{name.split()[0].lower()}@example.nl"
        ack = phones[n].call("pledge", theme=1, role=role, name=name, email=email, consent=True, share=share)
        assert ack == {"ok": True}
    return made


def _print(browser, url: str, key: str, out: Path, errors: list) -> tuple[str, Path]:
    """Open the page with the host key, print it to PDF like a person would (A4 checked), make a
    picture of every page beside it, and return the PDF's text and the PDF."""
    page = open_page(browser, url, errors, extra_http_headers={"Authorization": f"Bearer {key}"})
    pdf = out.with_suffix(".pdf")
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    info = subprocess.run([_poppler("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size and abs(float(size.group(1)) - 595.3) < 2 and abs(float(size.group(2)) - 841.9) < 2, info
    text = subprocess.run(
        [_poppler("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    subprocess.run([_poppler("pdftoppm"), "-gray", "-r", "50", "-png", str(pdf), str(out)], check=True)
    pictures = sorted(out.parent.glob(out.name + "*.png"))
    assert pictures
    return text, pdf


def _ink(pdf: Path) -> float:
    """The share of dark pixels on the first page (a greyscale PGM from pdftoppm): a printed page,
    not a blank one."""
    subprocess.run(
        [
            _poppler("pdftoppm"),
            "-gray",
            "-r",
            "30",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(pdf.with_suffix("")),
        ],
        check=True,
    )
    raw = pdf.with_suffix(".pgm").read_bytes()
    pixels = raw.split(b"\n", 3)[3]  # P5, width height, 255, then one byte a pixel
    return sum(b < 128 for b in pixels) / len(pixels)


def test_the_evening_record_prints_on_a4_with_counts_sources_and_charts_and_without_names(
    browser, server, handed_off, tmp_path, page_errors
):
    code, key = handed_off["code"], handed_off["host_key"]
    text, pdf = _print(browser, f"{server.url}/{code}/verslag", key, tmp_path / "verslag", page_errors)
    flat = " ".join(text.split())
    assert "Verslag: Dorpsavond" in flat
    assert "Meegedaan met de telefoon 6" in flat
    assert "Groen in de wijk" in flat and "Verkeer" in flat and "Samen eten" in flat
    # Groen: 3 yes by phone, none on paper or with help, 4 by hand; the table says where the
    # numbers come from.
    assert re.search(r"Ja\s+3\s+0\s+0\s+4\s+7", text), text
    assert re.search(r"Deels\s+2\s+0\s+0\s+0\s+2", text)
    assert "Meer bankjes bij de speeltuin" in flat  # the shown addition
    assert "Niet voor het scherm" not in flat  # a hidden one is only counted
    assert "Niet getoond: 1" in flat
    # Merged additions keep their weight: how many said it, and what was merged into it.
    assert "3× genoemd: Meer bankjes bij de speeltuin" in flat
    assert "Samengevoegd met 2 andere aanvullingen:" in flat
    assert "Ook bankjes <b>graag</b>" in flat and "=Bankjes bij de speeltuin" in flat
    assert "Samengevoegd: 2" in flat
    assert "Eerste stap: een rondje door de wijk" in flat
    assert "1 trekker, 1 meedoen, 1 af en toe" in flat
    for name in NAMES:
        assert name not in flat and name.split()[0].lower() + "@" not in flat
    assert "Afdrukken" not in flat and "Naar de inhoud" not in flat  # screen-only parts stay off paper
    assert 0.005 < _ink(pdf) < 0.5
    assert not page_errors


def test_a_working_group_page_prints_the_sharing_members_the_trekker_and_the_first_meeting(
    browser, server, handed_off, tmp_path, page_errors
):
    code, key = handed_off["code"], handed_off["host_key"]
    host = open_page(browser, f"{server.url}/{code}/host?key={key}", page_errors)
    host.goto(f"{server.url}/{code}/werkgroep/1")
    host.fill("#fu-date", "2026-12-03")
    host.fill("#fu-time", "19:30")
    host.fill("#fu-place", "Buurthuis De Linde")
    host.get_by_role("button", name="Opslaan").click()
    host.wait_for_url(f"**/{code}/werkgroep/1")
    assert host.get_by_text("3 december 2026, 19.30 uur, Buurthuis De Linde").is_visible()
    mail = host.get_by_role("link", name="Mail de groep").get_attribute("href")
    assert mail.startswith("mailto:?bcc=") and "fatima%40example.nl" in mail and "anouk" not in mail
    assert_no_violations({"working group": host})
    host.goto(f"{server.url}/{code}/verslag")
    assert_no_violations({"report": host})
    host.goto(f"{server.url}/{code}/afronden")
    assert_no_violations({"hand-off": host})

    text, pdf = _print(browser, f"{server.url}/{code}/werkgroep/1", key, tmp_path / "werkgroep", page_errors)
    flat = " ".join(text.split())
    assert "Werkgroep: Groen in de wijk" in flat
    assert "3 december 2026, 19.30 uur, Buurthuis De Linde" in flat
    assert "Fatima Kaya (trekker)" in flat and "Piet Gerritsen" in flat
    assert "Anouk Verhoef" not in flat and "anouk@" not in flat  # did not agree to share
    assert "Eerste stap: een rondje door de wijk" in flat
    assert "Opslaan" not in flat and "Mail de groep" not in flat  # the controls are for the screen
    assert 0.005 < _ink(pdf) < 0.5
    assert not page_errors


def test_the_consent_text_on_the_phone_says_on_which_day_details_are_erased(
    browser, server, handed_off, page_errors
):
    code, key = handed_off["code"], handed_off["host_key"]
    host = open_page(browser, f"{server.url}/{code}/host?key={key}", page_errors)
    host.goto(f"{server.url}/{code}/afronden")
    host.fill("#held_on", "2026-12-01")
    host.fill("#retention_days", "30")
    host.get_by_role("button", name="Opslaan").click()
    host.wait_for_url(f"**/{code}/afronden")
    assert host.get_by_text("31 december 2026").first.is_visible()
    page = open_page(browser, f"{server.url}/{code}", page_errors)
    consent = page.locator("label:has(#pledge-consent)").text_content()
    assert "Op 31 december 2026 worden ze hier gewist." in consent


def test_merged_additions_say_how_many_said_it_in_the_record_and_the_spreadsheet(server, handed_off):
    code, key = handed_off["code"], handed_off["host_key"]
    auth = {"Authorization": f"Bearer {key}"}
    html = get(f"{server.url}/{code}/verslag", auth)[2].decode()
    assert "3× genoemd:</strong> Meer bankjes bij de speeltuin" in html
    assert "<li>Ook bankjes &lt;b&gt;graag&lt;/b&gt;</li>" in html  # attendee text stays text
    assert "<b>graag" not in html
    raw = get(f"{server.url}/{code}/verslag.xlsx", auth)[2]
    rows = list(load_workbook(io.BytesIO(raw))["Aanvullingen"].values)
    header = rows[0]
    col = {name: i for i, name in enumerate(header)}
    assert header[-3:] == ("Samengevoegd in (nummer)", "Keer genoemd", "Samengevoegd hierin")
    by_text = {r[col["Tekst"]]: r for r in rows[1:]}
    root = by_text["Meer bankjes bij de speeltuin"]
    assert root[col["Keer genoemd"]] == 3
    merged_in = "nr. 3: Ook bankjes <b>graag</b>\nnr. 4: =Bankjes bij de speeltuin"
    assert root[col["Samengevoegd hierin"]] == merged_in
    assert by_text["Niet voor het scherm"][col["Keer genoemd"]] == 1
    merged = by_text["=Bankjes bij de speeltuin"]
    assert merged[col["Status"]] == "samengevoegd" and merged[col["Samengevoegd in (nummer)"]] == 1
    assert merged[col["Keer genoemd"]] is None
