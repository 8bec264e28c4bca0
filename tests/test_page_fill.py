"""No page of the example manuscripts is mostly empty, in the PDF or in the DOCX as LibreOffice
lays it out; the sideways Cox table comes at the end of the Results in both; DOCX figures keep
the size the page allows with their captions.

Pages are looked at as an editor looks at them: each page is drawn (``pdftoppm``, 30 dpi, grey)
and the lowest row with ink between the running header and the page number is found. A page
whose content stops above ``FILLED`` of the text area is "mostly empty"; the last page (the
references run out there) is not counted. A float page of the PDF (a sideways table, a
full-page figure) is full by this measure, so it needs no exception; a landscape page of the
DOCX (a turned table in a landscape section of its own) is not measured.

The DOCX is measured as LibreOffice lays it out, so the measure depends on the font that
stands in for the reference document's Times New Roman: Liberation Serif (the
``fonts-liberation`` package) has Times New Roman's metrics, and is what a co-author's Word
layout looks like; without it LibreOffice takes a wider serif (DejaVu Serif), and the pages
break elsewhere. The DOCX threshold, ``DOCX_FILLED``, was measured with Liberation Serif: Word
keeps a table or figure whole and moves it, with the text after it, to the next page when it
does not fit, so a page before a tall float ends early; the example manuscripts' lowest such
page reaches 0.57 of the text area (thyroid, page 3: Table I and a paragraph, then Figure 1
too tall for the rest). The messages name the font LibreOffice used.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from PIL import Image
from pypdf import PdfReader

from cohortpress.render._docx_pages import figure_limit, text_height
from cohortpress.render._docx_widths import text_width_of

ROOT = Path(__file__).resolve().parents[1]
FILLED = 0.65  # of the text area's height (PDF)
DOCX_FILLED = 0.5  # of the text area's height (DOCX in LibreOffice, Liberation Serif; see above)
HEADER, FOOTER = 0.09, 0.93  # the text area, as shares of the page height (both formats, A4)
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm")
needs_office = pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice")


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def content_bottoms(pdf: Path, tmp: Path) -> list[float]:
    """For each page, how far down the text area (0 top, 1 bottom) its lowest ink reaches;
    1.0 for a landscape page (a turned table's page of its own)."""
    subprocess.run(["pdftoppm", "-gray", "-r", "30", str(pdf), str(tmp / "page")], check=True)
    bottoms = []
    for image in sorted(tmp.glob("page-*.pgm"), key=lambda p: int(p.stem.split("-")[-1])):
        with Image.open(image) as page:
            width, height = page.size
            if width > height:
                bottoms.append(1.0)
                continue
            top, bottom = int(HEADER * height), int(FOOTER * height)
            inked = [y for y in range(top, bottom)
                     if page.crop((0, y, width, y + 1)).getextrema()[0] < 200]  # fmt: skip
            bottoms.append((max(inked) - top) / (bottom - top) if inked else 0.0)
    return bottoms


def _docx_as_pdf(docx: Path, tmp: Path) -> Path:
    """The DOCX as LibreOffice lays it out (a profile of its own: other users' soffice runs
    do not interfere)."""
    command = [
        "soffice", f"-env:UserInstallation=file://{tmp / 'profile'}", "--headless",
        "--convert-to", "pdf", "--outdir", str(tmp), str(docx),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    return tmp / f"{docx.stem}.pdf"


def _mostly_empty(bottoms: list[float], filled: float = FILLED) -> list[int]:
    return [n for n, bottom in enumerate(bottoms[:-1], start=1) if bottom < filled]


def _fonts(pdf: Path) -> list[str]:
    """The fonts a PDF embeds (``pdffonts``), subset prefixes dropped: which serif LibreOffice
    set the DOCX in."""
    listing = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True,
                             text=True).stdout.splitlines()[2:]  # fmt: skip
    return sorted({line.split()[0].split("+")[-1] for line in listing if line.strip()})


@needs_poppler
def test_a_page_with_one_short_paragraph_counts_as_mostly_empty(tmp_path: Path) -> None:
    """The measure itself: a Typst page with a paragraph at the top and a full page."""
    import typst

    source = tmp_path / "doc.typ"
    source.write_text("#set page(paper: \"a4\")\n" + "Short paragraph.\n#pagebreak()\n"
                      + "#lorem(900)\n", encoding="utf-8")  # fmt: skip
    typst.compile(str(source), output=str(tmp_path / "doc.pdf"))
    bottoms = content_bottoms(tmp_path / "doc.pdf", tmp_path)
    assert bottoms[0] < FILLED <= bottoms[1]


@pytest.mark.slow
@needs_poppler
@pytest.mark.parametrize("study", ["renal", "thyroid"])
def test_no_pdf_page_is_mostly_empty(examples: dict[str, Path], study: str, tmp_path: Path) -> None:
    bottoms = content_bottoms(examples[study] / "manuscript.pdf", tmp_path)
    assert _mostly_empty(bottoms) == [], [round(b, 2) for b in bottoms]


@pytest.mark.slow
@needs_poppler
@needs_office
@pytest.mark.parametrize("study", ["renal", "thyroid"])
def test_no_docx_page_is_mostly_empty(
    examples: dict[str, Path], study: str, tmp_path: Path
) -> None:
    pdf = _docx_as_pdf(examples[study] / "manuscript.docx", tmp_path)
    bottoms = content_bottoms(pdf, tmp_path)
    fonts = ", ".join(_fonts(pdf))
    assert _mostly_empty(bottoms, DOCX_FILLED) == [], (
        f"set in {fonts} (the threshold assumes Liberation Serif)",
        [round(b, 2) for b in bottoms],
    )


def _caption_heights(pdf: Path, label: str) -> list[float]:
    """Where on its page (0 top, 1 bottom) each "Figure n." of ``label`` is (poppler's word
    boxes: "Figure" followed by the number)."""
    xhtml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True,
                           capture_output=True, text=True).stdout  # fmt: skip
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", xhtml))
    first, number = label.split()
    found = []
    for page in root.iter("{http://www.w3.org/1999/xhtml}page"):
        words = list(page)
        for word, after in zip(words, words[1:], strict=False):
            if word.text == first and after.text == number:
                found.append(float(word.get("yMin", "0")) / float(page.get("height", "1")))
    return found


@pytest.mark.slow
@needs_poppler
@needs_office
def test_docx_captions_stay_under_their_four_panel_figures(examples: dict[str, Path],
                                                           tmp_path: Path) -> None:  # fmt: skip
    """In LibreOffice's layout the caption of each figure taller than half the page is in
    the lower half of the figure's page, not carried to the top of the next one."""
    pdf = _docx_as_pdf(examples["thyroid"] / "manuscript.docx", tmp_path)
    for label in ("Figure 2.", "Figure 3."):
        [where] = _caption_heights(pdf, label)
        assert where > 0.5, (label, where)


@pytest.mark.slow
def test_docx_four_panel_figures_keep_nearly_the_text_width(examples: dict[str, Path]) -> None:
    """Shrunk only as far as the caption needs: the thyroid's four-panel figures stay above
    85% of the text width (at three quarters of the text height they were about 60%)."""
    document = ET.fromstring(zipfile.ZipFile(examples["thyroid"] / "manuscript.docx")
                             .read("word/document.xml"))  # fmt: skip
    body = document.find(_w("body"))
    assert body is not None
    section = body.find(_w("sectPr"))
    assert section is not None
    width, height = text_width_of(section), text_height(section)
    assert width is not None and height is not None
    extents = [(int(e.get("cx", "0")), int(e.get("cy", "0")))
               for e in document.iter(f"{{{WP}}}extent")]  # fmt: skip
    tall = [(cx, cy) for cx, cy in extents if cy > cx]  # the two four-panel figures
    assert len(tall) == 2
    for cx, cy in tall:
        assert cx >= 0.85 * width * 635
        assert cy <= figure_limit(height, width, "")


def test_a_longer_caption_leaves_less_room_for_the_figure() -> None:
    height, width = 13_997, 9_071  # A4 with 2.5 cm margins, twips
    short = figure_limit(height, width, "Figure 1. A caption.")
    long = figure_limit(height, width, "Figure 2. " + "A caption of many words. " * 40)
    assert long < short < height * 635
    assert short > 0.9 * height * 635


@pytest.mark.slow
def test_the_sideways_table_comes_at_the_end_of_the_results(examples: dict[str, Path]) -> None:
    """The Cox table (Table II) is set after the Results' last table in the DOCX and the
    Typst source, keeping its number: the one decision, for both formats."""
    document = zipfile.ZipFile(examples["renal"] / "manuscript.docx").read("word/document.xml")
    text = document.decode("utf-8")
    order = [text.index(f'w:name="{name}"') for name in ("tbl-cox", "tbl-response")]
    assert order[1] < order[0] < text.index(">Discussion<")
    pages = [re.sub(r"\s+", " ", page.extract_text(orientations=(0, 90, 270)))
             for page in PdfReader(examples["renal"] / "manuscript.pdf").pages]  # fmt: skip
    [cox] = [n for n, text in enumerate(pages) if "Table II. Univariate" in text]
    [response] = [n for n, text in enumerate(pages) if "Table IV. Best" in text]
    assert response <= cox
