"""The paper form: made from the meeting's own themes, printed to PDF by Chromium, one A4 page for
12 themes (a second for more), and a page that passes axe."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from conftest import IN_CI, open_page
from test_accessibility import assert_no_violations

# Long titles and descriptions on purpose: the sheet must hold the longest the protocol allows.
TWELVE = [
    {
        "title": (f"{n}. " + "Veilig en groen wonen in de wijk, met ruimte voor iedereen " * 2)[:120],
        "description": "Uitleg " * 57,
    }
    for n in range(1, 13)
]


def pdf_pages(pdf: bytes, tmp_path) -> int:
    """The number of pages, as poppler's pdfinfo reads it."""
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def pdf_text(pdf: bytes, tmp_path) -> str:
    """The text of the PDF, as poppler's pdftotext reads it."""
    path = tmp_path / "text.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def print_form(browser, server, created, page_errors, tmp_path) -> bytes:
    """Open the paper form with the helper key and print it to an A4 PDF."""
    page = open_page(
        browser, f"{server.url}/{created['code']}/helper?key={created['helper_key']}", page_errors
    )
    page.goto(f"{server.url}/{created['code']}/papier")
    assert page.get_by_role("heading", name="Papieren formulier om af te drukken").is_visible()
    return page.pdf(format="A4", prefer_css_page_size=True)


@pytest.fixture(scope="module", autouse=True)
def poppler():
    """pdfinfo and pdftotext (poppler-utils, in .ci/run's apt list)."""
    if not shutil.which("pdfinfo"):
        if IN_CI:
            pytest.fail("poppler-utils is not installed; .ci/run must install it")
        pytest.skip("poppler-utils not installed")


def test_twelve_themes_print_on_one_a4_page_with_every_part_of_the_form(
    browser, server, page_errors, tmp_path
):
    created = server.create_meeting(themes=TWELVE, title="Wijkavond Ee")
    pdf = print_form(browser, server, created, page_errors, tmp_path)
    assert pdf_pages(pdf, tmp_path) == 1
    text = " ".join(pdf_text(pdf, tmp_path).split())
    for part in (
        "Wijkavond Ee",
        "12. Veilig en groen",  # the last theme is on the page
        "Herkent u zich in het geheel?",
        "Mist er iets? Wilt u iets aanvullen?",
        "Zet één kruisje per thema",
        "Ik help mee!",
        "na 90 dagen worden ze hier gewist.",
        "Welk nummer?",
    ):
        assert part.casefold() in text.casefold(), part
    assert "Druk dit formulier af" not in text  # the note for the screen is not printed
    assert not page_errors


def test_a_thirteenth_theme_goes_on_a_second_page(browser, server, page_errors, tmp_path):
    created = server.create_meeting(themes=[*TWELVE, {"title": "13. Dertiende thema"}])
    pdf = print_form(browser, server, created, page_errors, tmp_path)
    assert pdf_pages(pdf, tmp_path) == 2
    text = pdf_text(pdf, tmp_path)
    first, second = text.split("\f")[:2]
    assert "12. Veilig" in first and "13. Dertiende thema" in second and "Ik help mee!" in second


def test_the_paper_form_screenshot_and_axe(browser, server, page_errors, tmp_path):
    created = server.create_meeting(themes=TWELVE[:5], title="Dorpsavond <b>Ee</b>")
    page = open_page(
        browser, f"{server.url}/{created['code']}/helper?key={created['helper_key']}", page_errors
    )
    page.goto(f"{server.url}/{created['code']}/papier")
    assert page.locator("b").count() == 0  # the title is text, never markup
    assert_no_violations({"paper form": page})
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    (tmp_path / "paper.pdf").write_bytes(pdf)
    if shutil.which("pdftoppm"):
        # A picture to look at (kept in the test's folder; docs/screenshots has the reviewed one).
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-singlefile",
                str(tmp_path / "paper.pdf"),
                str(tmp_path / "paper"),
            ],
            check=True,
        )
        assert (tmp_path / "paper.png").stat().st_size > 10_000
