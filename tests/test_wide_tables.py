"""Wide tables fit the page: a landscape page (PDF) or section (DOCX) of their own, fixed DOCX
column widths adding up to the text width with no column narrower than its longest word, and
numeric column labels that do not wrap in HTML.

The render fixture gets two nine-column tables (one at the top level, one inside a div); the
example studies are rendered once for the renal Cox table and the thyroid Table I.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import docx
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from cohortpress.artefacts.tables._table import Table
from cohortpress.render import render
from cohortpress.render._docx_widths import Column, fit_columns, plan_widths
from cohortpress.render._font_metrics import text_width

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "render"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MARGINS = 2 * 108  # the "Table" style's cell margins, twips


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


# --- planning the DOCX columns ---------------------------------------------------------------


columns = st.lists(
    st.tuples(st.floats(0, 4000), st.floats(0, 4000)).map(
        lambda pair: Column(natural=max(pair), word=min(pair), margin=MARGINS)
    ),
    min_size=1,
    max_size=12,
)


@given(columns, st.floats(500, 20000))
def test_columns_fill_the_width_and_no_word_is_split(cols: list[Column], width: float) -> None:
    widths = fit_columns(cols, width)
    words = [c.need(wrapped=True) for c in cols]
    if sum(words) > width:
        assert widths is None
        return
    assert widths is not None
    assert sum(widths) == pytest.approx(width)
    assert all(w >= need - 1e-6 for w, need in zip(widths, words, strict=True))
    if sum(c.need() for c in cols) <= width:  # everything fits on one line: nothing wraps
        assert all(w >= c.need() - 1e-6 for w, c in zip(widths, cols, strict=True))


def test_numeric_columns_are_equal_and_the_stub_wider() -> None:
    stub = Column(natural=3000, word=900, margin=MARGINS)
    numbers = [Column(natural=n, word=n, margin=MARGINS) for n in (1200, 500, 1200)]
    widths = fit_columns([stub, *numbers], 9072)
    assert widths is not None
    assert widths[1] == widths[2] == widths[3] < widths[0]
    assert sum(widths) == pytest.approx(9072)


def _section(width: int = 11906, height: int = 16838, margin: int = 1417) -> ET.Element:
    section = ET.Element(_w("sectPr"))
    ET.SubElement(section, _w("pgSz"), {_w("w"): str(width), _w("h"): str(height)})
    sides = {_w(side): str(margin) for side in ("left", "right", "top", "bottom")}
    ET.SubElement(section, _w("pgMar"), sides)
    return section


def test_a_turned_table_takes_the_landscape_width() -> None:
    """Whether a table turns is decided before pandoc (render/_landscape.py); the DOCX plan
    follows it."""
    wide = [Column(3000, 900, MARGINS)] + [Column(1200, 600, MARGINS)] * 8
    turned = plan_widths(wide, _section(), 18, turn=True)
    assert turned.landscape and sum(turned.widths) == 16838 - 2 * 1417
    kept = plan_widths(wide, _section(), 18, turn=False)
    assert not kept.landscape and sum(kept.widths) == 11906 - 2 * 1417


def test_smaller_type_when_even_landscape_is_too_narrow() -> None:
    crowded = [Column(3000, 2000, MARGINS)] + [Column(1200, 1200, MARGINS)] * 10
    plan = plan_widths(crowded, _section(), 18, turn=True)
    assert plan.landscape and plan.size is not None and plan.size < 18
    assert sum(plan.widths) == 16838 - 2 * 1417


def test_a_table_too_wide_for_any_page_keeps_its_words_whole() -> None:
    """At 7 pt and still too wide: wider than the text, but no word is split."""
    crowded = [Column(3000, 2000, MARGINS)] + [Column(1500, 1500, MARGINS)] * 10
    plan = plan_widths(crowded, _section(), 18, turn=True)
    assert plan.size == 14
    pairs = zip(plan.widths, crowded, strict=True)
    assert all(w >= c.need(14 / 18, wrapped=True) - 1 for w, c in pairs)


def test_font_metrics_are_times_and_helvetica() -> None:
    assert text_width("n", 10) == pytest.approx(5.0)  # Times-Roman: 500 units
    assert text_width("n", 10, font="Arial") == pytest.approx(5.56)  # Helvetica: 556 units
    assert text_width("\u4e2d", 9) == pytest.approx(9.0)  # not in the metrics: a full em


def test_the_committed_width_table_is_the_afm_files() -> None:
    """``font_widths.json`` is what its script reads from matplotlib's AFM files now."""
    make = ROOT / "src" / "cohortpress" / "render" / "resources" / "make_font_widths.py"
    spec = importlib.util.spec_from_file_location("make_font_widths", make)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = json.loads((make.parent / "font_widths.json").read_text(encoding="utf-8"))
    assert committed == module.font_widths()
    assert all(len(widths) > 250 for widths in committed.values())  # Latin-1 and more


@given(
    text=st.text(alphabet=st.characters(max_codepoint=0x2300), max_size=30),
    font=st.sampled_from(["Times New Roman", "Arial", "Calibri"]),
    bold=st.booleans(),
)
def test_text_width_is_the_afm_advance_widths(text: str, font: str, bold: bool) -> None:
    """Each character's AFM width (by its Adobe glyph name), a full em where the face lacks
    it, the spaces AFM lacks by their typographic widths."""
    import matplotlib
    from fontTools import afmLib, agl

    family = "Times" if font == "Times New Roman" else "Helvetica"
    face = f"{family}-Bold" if bold else ("Times-Roman" if family == "Times" else family)
    afm = afmLib.AFM(
        str(Path(matplotlib.get_data_path()) / "fonts" / "pdfcorefonts" / f"{face}.afm")
    )
    spaces = {"\u2002": 500, "\u2003": 1000, "\u2009": 200, "\u202f": 200}
    units = 0
    for char in text.replace("\u00a0", " "):
        glyph = agl.UV2AGL.get(ord(char))
        if char in spaces:
            units += spaces[char]
        elif glyph is not None and afm.has_char(glyph):
            units += afm[glyph][1]
        else:
            units += 1000
    assert text_width(text, 9.5, font=font, bold=bold) == pytest.approx(units * 9.5 / 1000)


# --- the render fixture with two wide tables -------------------------------------------------


def _wide_table(table_id: str, caption: str) -> Table:
    values = {f"c{i}": [f"{i}.77 (0.40–1.49)"] * 3 for i in range(8)}
    stub = ["Age (years): <60 vs ≥60 (ref)", "C-reactive protein: ≥0.8 mg/dL vs <0.8 mg/dL (ref)",
            "Sarcomatoid feature: Positive vs Negative (ref)"]  # fmt: skip
    frame = pd.DataFrame({"Variable": stub, **values})
    labels = {column: "HR (95% CI)" for column in values}
    return Table(table_id, caption, frame, labels, notes=(f"A note under the {caption}",))


def stage(tmp: Path, extra: str) -> Path:
    """The render fixture's staging folder with ``extra`` appended to the manuscript."""
    staging = tmp / "staging"
    shutil.copytree(FIXTURE, staging, ignore=shutil.ignore_patterns("make_fixture.py"))
    manuscript = staging / "manuscript.qmd"
    manuscript.write_text(manuscript.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return staging


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    top = _wide_table("wide", "wide table.").markdown()
    nested = _wide_table("nested", "nested table.").markdown()
    extra = f"\n\nSee @tbl-wide.\n\n{top}\nText after.\n\n:::: {{.box}}\n\n{nested}\n::::\n"
    staging = stage(tmp_path_factory.mktemp("wide"), extra)
    outcome = render(staging, formats=("html", "pdf", "docx"), engine="embedded", project_root=ROOT)
    return dict(outcome.outputs)


def test_html_numeric_column_labels_do_not_wrap(wide: dict[str, Path]) -> None:
    """The label cells of the numeric columns carry the classes the page's nowrap rule
    selects (no browser here to measure the line breaks)."""
    html = wide["html"].read_text(encoding="utf-8")
    labels = re.findall(r'<th class="([^"]*)"[^>]*>HR \(95% CI\)</th>', html)
    assert labels and all({"gt_col_heading", "gt_center"} <= set(c.split()) for c in labels)
    styles = "\n".join(re.findall(r"<style[^>]*>(.*?)</style>", html, flags=re.S))
    styles = re.sub(r"/\*.*?\*/", "", styles, flags=re.S)  # the stylesheet keeps its comments
    rules = re.findall(r"([^{}]*)\{\s*white-space:\s*nowrap;?\s*\}", styles)
    selectors = {s.strip() for rule in rules for s in rule.split(",")}
    assert ".gt_table th.gt_col_heading.gt_center" in selectors
    assert ".gt_table td.gt_row.gt_center" in selectors


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _pages_with(pdf: Path, text: str) -> list[tuple[bool, str]]:
    """(sideways, page text) of each page whose text holds ``text``; sideways: a landscape
    page, or ``text`` set rotated by a quarter turn on a portrait one."""
    pages = []
    for page in PdfReader(pdf).pages:
        content = _flat(page.extract_text())
        if text in content:
            box = page.mediabox
            turned = (float(box.width) > float(box.height)) != (page.rotation % 180 == 90)
            rotated = text in _flat(page.extract_text(orientations=(90, 270)))
            pages.append((turned or rotated, content))
    return pages


def test_pdf_wide_table_on_a_landscape_page_with_caption_and_notes(wide: dict[str, Path]) -> None:
    [(landscape, text)] = _pages_with(wide["pdf"], "wide table.")
    assert landscape
    assert "A note under the wide table." in text
    assert re.search(r"Table\s+\w+\. wide table\.", text)


def test_pdf_wide_table_is_a_float_page_the_text_runs_around(wide: dict[str, Path]) -> None:
    """The turned table is rotated on a page of its own: no line of the text is on it."""
    [(_landscape, text)] = _pages_with(wide["pdf"], "wide table.")
    assert "Text after." not in text and "Tumour response" not in text


def test_pdf_table_inside_a_div_stays_portrait(wide: dict[str, Path]) -> None:
    """Only a table float at the top level is marked to turn (render/_landscape.py): the
    nested one is set upright in smaller type, in the PDF as in the DOCX."""
    [(landscape, _text)] = _pages_with(wide["pdf"], "nested table.")
    assert not landscape


def _sections(document: ET.Element) -> list[tuple[ET.Element, list[ET.Element]]]:
    """Each section's properties with the body blocks it holds."""
    body = document.find(_w("body"))
    assert body is not None
    sections, blocks = [], []
    for block in body:
        if block.tag == _w("sectPr"):
            sections.append((block, blocks))
            continue
        blocks.append(block)
        inner = block.find(f"{_w('pPr')}/{_w('sectPr')}")
        if inner is not None:
            sections.append((inner, blocks))
            blocks = []
    return sections


def _text_width(section: ET.Element) -> int:
    size, margins = section.find(_w("pgSz")), section.find(_w("pgMar"))
    assert size is not None and margins is not None
    return int(size.get(_w("w"), "0")) - sum(
        int(margins.get(_w(side), "0")) for side in ("left", "right", "gutter")
    )


def _tables(path: Path) -> list[tuple[ET.Element, ET.Element, str]]:
    """Every table float with its section's properties and its caption."""
    document = ET.fromstring(zipfile.ZipFile(path).read("word/document.xml"))
    found = []
    for section, blocks in _sections(document):
        caption = ""
        for block in blocks:
            style = block.find(f"{_w('pPr')}/{_w('pStyle')}")
            if style is not None and style.get(_w("val")) == "TableCaption":
                caption = "".join(t.text or "" for t in block.iter(_w("t")))
            if block.tag == _w("tbl"):
                found.append((block, section, caption))
    return found


def _landscape(section: ET.Element) -> bool:
    size = section.find(_w("pgSz"))
    assert size is not None
    return int(size.get(_w("w"), "0")) > int(size.get(_w("h"), "0"))


def test_docx_wide_table_in_a_landscape_section(wide: dict[str, Path]) -> None:
    turned = {caption for _table, section, caption in _tables(wide["docx"]) if _landscape(section)}
    assert any(caption.endswith("wide table.") for caption in turned)
    assert not any(caption.endswith("nested table.") for caption in turned)  # as in the PDF
    portrait = [
        caption for _t, section, caption in _tables(wide["docx"]) if not _landscape(section)
    ]
    assert any("characteristics" in caption for caption in portrait)


def _document(path: Path) -> ET.Element:
    return ET.fromstring(zipfile.ZipFile(path).read("word/document.xml"))


def _check_docx_widths(path: Path) -> None:
    """gridCol widths add up to the section's text width; no column is narrower than the
    longest word of a cell it holds alone, in the cell's style size (Times metrics)."""
    styles = docx.Document(str(path)).styles
    fonts = {style.style_id: getattr(style, "font", None) for style in styles}
    sizes = {key: font.size.pt for key, font in fonts.items() if font and font.size}
    for table, section, caption in _tables(path):
        grid = [int(c.get(_w("w"), "0")) for c in table.iter(_w("gridCol"))]
        assert sum(grid) == _text_width(section), caption
        for row in table.iter(_w("tr")):
            column = 0
            for cell in row.findall(_w("tc")):
                span = cell.find(f"{_w('tcPr')}/{_w('gridSpan')}")
                width = int(span.get(_w("val"), "1")) if span is not None else 1
                cell_width = cell.find(f"{_w('tcPr')}/{_w('tcW')}")
                assert cell_width is not None
                assert int(cell_width.get(_w("w"), "0")) == sum(grid[column : column + width])
                if width == 1:
                    for paragraph in cell.iter(_w("p")):
                        style = paragraph.find(f"{_w('pPr')}/{_w('pStyle')}")
                        size = sizes.get(style.get(_w("val"), "") if style is not None else "", 9)
                        run_size = paragraph.find(f"{_w('r')}/{_w('rPr')}/{_w('sz')}")
                        if run_size is not None:  # the type made smaller to fit
                            size = int(run_size.get(_w("val"), "18")) / 2
                        text = "".join(t.text or "" for t in paragraph.iter(_w("t")))
                        for word in text.split(" "):
                            need = text_width(word, size) * 20 + MARGINS
                            assert grid[column] >= need, (caption, word)
                column += width


def test_docx_column_widths(wide: dict[str, Path]) -> None:
    _check_docx_widths(wide["docx"])
    layout = _document(wide["docx"]).iter(_w("tblLayout"))
    assert {element.get(_w("type")) for element in layout} == {"fixed"}


# --- the example studies ---------------------------------------------------------------------


@pytest.mark.slow
def test_renal_cox_table_is_on_a_landscape_page(examples: dict[str, Path]) -> None:
    pdf = examples["renal"] / "manuscript.pdf"
    [(landscape, text)] = _pages_with(pdf, "Univariate and multivariate Cox regression")
    assert landscape
    assert "Table II." in text and "not entered in the multivariate model" in text  # caption, notes
    pages = _pages_with(pdf, "Second-line")  # the running title or the title
    others = [turned for turned, text in pages if "Table II." not in text]
    assert others and not any(others)  # every other page is portrait


@pytest.mark.slow
def test_thyroid_table_one_is_portrait(examples: dict[str, Path]) -> None:
    pages = _pages_with(examples["thyroid"] / "manuscript.pdf", "Patients' characteristics")
    pages += _pages_with(examples["thyroid"] / "manuscript.pdf", "Patients’ characteristics")
    assert pages and not any(landscape for landscape, _ in pages)


@pytest.mark.slow
@pytest.mark.parametrize("study", ["renal", "thyroid"])
def test_example_docx_column_widths(examples: dict[str, Path], study: str) -> None:
    path = examples[study] / "manuscript.docx"
    _check_docx_widths(path)
    turned = [caption for _t, section, caption in _tables(path) if _landscape(section)]
    assert turned == (["Table\u00a0II. Univariate and multivariate Cox regression analyses of "
                       "factors associated with progression-free survival and overall survival."]
                      if study == "renal" else [])  # fmt: skip


# --- one landscape decision for every format -------------------------------------------------


def _typst_turned(typ: str) -> set[str]:
    """Labels of the tables the Typst source sets sideways."""
    turned = set()
    for start in re.finditer(r"#cp-table\((?P<args>[^\n]*)", typ):
        label = re.compile(r"\]\s*<(tbl-[\w-]+)>").search(typ, start.end())
        if label is not None and start["args"].startswith("landscape: true"):
            turned.add(label[1])
    return turned


def _docx_turned(path: Path) -> set[str]:
    """Bookmarks (pandoc writes the float's identifier) of the tables in landscape sections."""
    turned = set()
    for section, blocks in _sections(_document(path)):
        if _landscape(section):
            turned |= {
                name
                for b in blocks
                if b.tag == _w("bookmarkStart")
                and (name := b.get(_w("name"), "")).startswith("tbl-")
            }
    return turned


def test_pdf_and_docx_turn_the_same_tables(wide: dict[str, Path]) -> None:
    """The decision is made once (render/_landscape.py, a class on the float's div); the
    Typst source and the DOCX sections follow it."""
    from cohortpress.render._landscape import landscape_tables

    build = wide["pdf"].parent / "_render"
    decided = landscape_tables((build / "manuscript.md").read_text(encoding="utf-8"))
    typ = (build / "manuscript.typ").read_text(encoding="utf-8")
    assert "tbl-wide" in decided and "tbl-nested" not in decided  # nested: not at the top
    assert _typst_turned(typ) == decided
    assert _docx_turned(wide["docx"]) == decided


def test_floats_stand_between_paragraphs_in_the_typst_source(wide: dict[str, Path]) -> None:
    """Every table and figure is a block of its own, never inside a paragraph; floats go to
    the top of a page only."""
    typ = (wide["pdf"].parent / "_render" / "manuscript.typ").read_text(encoding="utf-8")
    body = typ[typ.index("// Title block.") :]
    lines = body.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith(("#cp-table(", "#figure("))]
    assert starts
    # before a float: a blank line, another float's label, the opening of a container, or the
    # close of one alone on its line (a turned table set after a div, at its section's end)
    block_end = r"\s*|.*<[\w-]+>\s*|.*\[\s*|\]\s*"
    assert all(re.fullmatch(block_end, lines[i - 1]) for i in starts)
    assert "placement: top" in typ and "place(auto" not in typ


@pytest.mark.slow
def test_renal_turns_the_cox_table_in_both_formats(examples: dict[str, Path]) -> None:
    turned = _docx_turned(examples["renal"] / "manuscript.docx")
    assert turned == {"tbl-cox"}
    [(sideways, _text)] = _pages_with(
        examples["renal"] / "manuscript.pdf", "Univariate and multivariate Cox"
    )
    assert sideways


def test_docx_figures_and_short_tables_stay_whole(wide: dict[str, Path]) -> None:
    """Each figure leaves room for its caption on the page; each short table float has
    every row but the last kept with the next, so Word moves it whole."""
    from cohortpress.render._docx_pages import SHORT_TABLE, figure_limit, text_height
    from cohortpress.render._docx_widths import text_width_of

    document = _document(wide["docx"])
    body = document.find(_w("body"))
    assert body is not None
    section = body.find(_w("sectPr"))
    assert section is not None
    height = text_height(section)
    assert height is not None
    extents = document.iter(
        "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}extent"
    )
    heights = [int(e.get("cy", "0")) for e in extents]
    width = text_width_of(section)
    assert width is not None
    assert heights and max(heights) <= figure_limit(height, width, "") < height * 635
    for table, _section, caption in _tables(wide["docx"]):
        rows = table.findall(_w("tr"))
        if len(rows) <= SHORT_TABLE:
            for row in rows[:-1]:
                for paragraph in row.iter(_w("p")):
                    assert paragraph.find(f"{_w('pPr')}/{_w('keepNext')}") is not None, caption
