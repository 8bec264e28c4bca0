"""Build ``reference.docx``, the Word styles of the DOCX manuscript, from pandoc's default.

Run by hand after changing a style, from the repository root:
``.venv/bin/python src/cohortpress/render/resources/make_reference_docx.py`` (needs
python-docx, a development dependency). The result is committed; rendering only reads it.

Styles: a serif body (Times New Roman 11 pt, the font journals ask submissions in), black
headings, a left-aligned title block with affiliation and keyword paragraphs, captions with
their label in bold (set by docx.lua), small table text, and the "Table" table style with
booktabs rules: heavy top and bottom rules, a light rule under the header, no vertical lines.
From page 2 on, the header holds the running title (study.yml ``short_title``).
``reference-submission.docx`` (the submission profile, ``_quarto-submission.yml``) adds double
spacing, continuous line numbers and page numbers in the footer.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, cast

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from cohortpress.render._pandoc import pandoc_path

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.styles.style import ParagraphStyle

HERE = Path(__file__).parent
SERIF = "Times New Roman"
BLACK = RGBColor(0, 0, 0)
HEAVY_RULE, LIGHT_RULE = "12", "6"  # eighths of a point: 1.5 pt and 0.75 pt

# name: (size pt, bold, italic, space before pt, space after pt, keep with next)
PARAGRAPHS: dict[str, tuple[float, bool, bool, float, float, bool]] = {
    "Body Text": (11, False, False, 0, 6, False),
    "First Paragraph": (11, False, False, 0, 6, False),
    "Title": (18, True, False, 0, 6, True),
    "Subtitle": (13, False, False, 0, 10, True),
    "Author": (11, False, False, 6, 6, True),
    "Affiliation": (9, False, True, 0, 0, True),
    "Date": (9, False, False, 6, 6, True),
    "Abstract Title": (10, True, False, 12, 3, True),
    "Abstract": (10, False, False, 0, 6, False),
    "Keywords": (10, False, False, 0, 12, False),
    "Heading 1": (12, True, False, 18, 6, True),
    "Heading 2": (11, True, True, 12, 4, True),
    "Heading 3": (11, False, True, 10, 3, True),
    "Caption": (10, False, False, 0, 6, False),
    "Table Caption": (10, False, False, 12, 4, True),
    "Captioned Figure": (11, False, False, 6, 0, True),  # the image: kept with its caption
    "Image Caption": (10, False, False, 3, 12, False),
    "Table Heading": (9, False, False, 1, 1, True),
    "Table Text": (9, False, False, 1, 1, False),
    "Table Group": (9, False, False, 3, 1, True),
    "Table Note": (8, False, False, 2, 0, False),
    "Bibliography": (10, False, False, 0, 4, False),
}
KEPT_WHOLE = ("Table Caption", "Image Caption", "Captioned Figure")
LEFT_ALIGNED = ("Title", "Subtitle", "Author", "Date", "Abstract Title")


def pandoc_default(path: Path) -> None:
    pandoc = str(pandoc_path())
    args = [pandoc, "-o", str(path), "--print-default-data-file", "reference.docx"]
    subprocess.run(args, check=True)


def child(parent, tag: str, index: int | None = None):
    """The first ``tag`` child of ``parent``, created (at ``index``, else last) if missing."""
    element = parent.find(qn(tag))
    if element is None:
        element = OxmlElement(tag)
        parent.insert(len(parent) if index is None else index, element)
    return element


def plain_fonts(rpr_parent) -> None:
    """Explicit serif fonts instead of theme fonts (theme fonts would win over names)."""
    rpr = child(rpr_parent, "w:rPr")
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attribute in list(fonts.attrib):
        del fonts.attrib[attribute]
    for kind in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(kind), SERIF)


def paragraph_style(document, name: str, spec: tuple[float, bool, bool, float, float, bool]):
    size, bold, italic, before, after, keep = spec
    styles = document.styles
    style = styles[name] if name in styles else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if style.base_style is None and name != "Normal":
        style.base_style = styles["Normal"]
    plain_fonts(style.element)
    style.font.size, style.font.bold, style.font.italic = Pt(size), bold, italic
    style.font.color.rgb = BLACK
    fmt = style.paragraph_format
    fmt.space_before, fmt.space_after, fmt.keep_with_next = Pt(before), Pt(after), keep
    if name.startswith("Table") or name in ("Affiliation", "Caption", "Image Caption"):
        fmt.line_spacing = 1.0
    if name in KEPT_WHOLE:
        fmt.keep_together = True  # a caption is not split across pages
    if name in LEFT_ALIGNED:
        fmt.alignment = 0  # left
    return style


def border(tag: str, size: str) -> BaseOxmlElement:
    element = OxmlElement(tag)
    for key, value in (
        ("w:val", "single"),
        ("w:sz", size),
        ("w:space", "0"),
        ("w:color", "000000"),
    ):
        element.set(qn(key), value)
    return element


def booktabs_table_style(document) -> None:
    """Heavy top and bottom rules; a light rule under the first (header) row; nothing else."""
    style = document.styles["Table"].element
    tbl_pr = style.find(qn("w:tblPr"))
    borders = OxmlElement("w:tblBorders")
    for side in (
        "w:top",
        "w:left",
        "w:bottom",
        "w:right",
        "w:insideH",
        "w:insideV",
    ):  # schema order
        if side in ("w:top", "w:bottom"):
            borders.append(border(side, HEAVY_RULE))
        else:
            borders.append(OxmlElement(side))
            borders[-1].set(qn("w:val"), "nil")
    tbl_pr.find(qn("w:tblCellMar")).addprevious(borders)  # tblBorders precedes tblCellMar
    first_row = style.find(qn("w:tblStylePr"))
    bottom = first_row.find(f"{qn('w:tcPr')}/{qn('w:tcBorders')}/{qn('w:bottom')}")
    for key, value in (
        ("w:val", "single"),
        ("w:sz", LIGHT_RULE),
        ("w:space", "0"),
        ("w:color", "000000"),
    ):
        bottom.set(qn(key), value)


def page_setup(document) -> None:
    """A4 with 2.5 cm margins."""
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.5))


RUNNING_TITLE_FIELD = ' DOCPROPERTY "running-title" \\* MERGEFORMAT '


# pPr children that come before suppressLineNumbers in the schema's order.
_BEFORE_SUPPRESS = ("w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr",
                    "w:widowControl", "w:numPr")  # fmt: skip


def no_line_numbers(paragraph) -> None:
    """Leave a paragraph (or a paragraph style) out of the line numbers. Word leaves headers
    and footers out by itself; LibreOffice numbers their lines unless the paragraph says not
    to."""
    element = paragraph.element if hasattr(paragraph, "style_id") else paragraph._p
    properties = element.get_or_add_pPr()
    index = sum(1 for c in properties if c.tag in {qn(t) for t in _BEFORE_SUPPRESS})
    properties.insert(index, OxmlElement("w:suppressLineNumbers"))


def running_title_header(document) -> None:
    """A header from page 2 on, holding the running title as a field on the document property
    pandoc writes from the ``running-title`` metadata; its shown text is left empty here and
    filled in after pandoc (``render/_docx_header.py``), so Word needs no field update."""
    section = document.sections[0]
    section.different_first_page_header_footer = True  # the title page has no running title
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = 2  # right
    no_line_numbers(paragraph)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), RUNNING_TITLE_FIELD)
    run = OxmlElement("w:r")
    props = child(run, "w:rPr")
    child(props, "w:i")
    size = child(props, "w:sz")
    size.set(qn("w:val"), "18")  # half-points: 9 pt
    run.append(OxmlElement("w:t"))
    field.append(run)
    paragraph._p.append(field)


def page_number_footers(document) -> None:
    """A centred page number (a PAGE field, which Word computes as it lays out) on every page,
    the title page included."""
    section = document.sections[0]
    for footer in (section.footer, section.first_page_footer):
        paragraph = footer.paragraphs[0]
        paragraph.alignment = 1  # centre
        no_line_numbers(paragraph)
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), " PAGE ")
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        field.append(run)
        paragraph._p.append(field)


def line_numbers(document) -> None:
    """Continuous line numbers in the margin (Word leaves tables, headers and footers out)."""
    section = document.sections[0]._sectPr
    numbering = OxmlElement("w:lnNumType")
    for key, value in (("w:countBy", "1"), ("w:distance", "340"), ("w:restart", "continuous")):
        numbering.set(qn(key), value)  # distance: 0.6 cm from the text, in twentieths of a pt
    section.find(qn("w:pgMar")).addnext(numbering)  # schema order: after pgMar


# The floats' paragraphs: unnumbered, as the PDF's float pages (Word leaves table cells out).
FLOAT_STYLES = ("Table Caption", "Table Note", "Image Caption", "Captioned Figure")


def submission_layout(document) -> None:
    """The submission profile: double-spaced text (tables, captions and notes stay single),
    line numbers (not on the floats' captions and notes) and page numbers."""
    normal = cast("ParagraphStyle", document.styles["Normal"])
    normal.paragraph_format.line_spacing = 2.0
    line_numbers(document)
    for name in FLOAT_STYLES:
        no_line_numbers(document.styles[name])
    page_number_footers(document)


def build(submission: bool) -> DocxDocument:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "default.docx"
        pandoc_default(source)
        document = docx.Document(str(source))
    defaults = document.styles.element.find(qn("w:docDefaults"))
    plain_fonts(defaults.find(qn("w:rPrDefault")))
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")  # styles set their own spacing; empty cells stay tight
    for name, spec in PARAGRAPHS.items():
        paragraph_style(document, name, spec)
    for level in range(4, 10):
        paragraph_style(document, f"Heading {level}", PARAGRAPHS["Heading 3"])
    document.styles["Hyperlink"].font.color.rgb = RGBColor(0x1D, 0x4F, 0x91)  # pyright: ignore[reportAttributeAccessIssue]
    bibliography = cast("ParagraphStyle", document.styles["Bibliography"])
    bibliography.paragraph_format.left_indent = Cm(0.6)
    bibliography.paragraph_format.first_line_indent = Cm(-0.6)
    booktabs_table_style(document)
    page_setup(document)
    running_title_header(document)
    if submission:
        submission_layout(document)
    return document


def main() -> None:
    build(submission=False).save(str(HERE / "reference.docx"))
    build(submission=True).save(str(HERE / "reference-submission.docx"))


if __name__ == "__main__":
    main()
