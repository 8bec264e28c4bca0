"""The submission profile (``_quarto-submission.yml``, ``--profile submission``): double spacing,
continuous line numbers and page numbers in PDF and DOCX, tables and figures after the
references, each on a page of its own; the default layout unchanged. Rendered from the render
fixture (which has references) with the embedded engine."""

from __future__ import annotations

import re
import shutil
import zipfile
from html import unescape
from pathlib import Path

import docx
import pypdf
import pytest
from small_project import make_project, run

from cohortpress.errors import StudyConfigError
from cohortpress.render import RenderOutcome, read_render_options, render

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "render"
REFERENCE = "Eur J Cancer"  # in the reference list only (Vancouver: abbreviated journal)


def _render(tmp: Path, profile: str | None) -> tuple[Path, RenderOutcome]:
    staging = tmp / "staging"
    shutil.copytree(FIXTURE, staging, ignore=shutil.ignore_patterns("make_fixture.py"))
    return staging, render(staging, engine="embedded", project_root=ROOT, profile=profile)


@pytest.fixture(scope="module")
def submission(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RenderOutcome]:
    return _render(tmp_path_factory.mktemp("submission"), "submission")


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RenderOutcome]:
    return _render(tmp_path_factory.mktemp("default"), None)


def _part(docx: Path, name: str) -> str:
    with zipfile.ZipFile(docx) as archive:
        return archive.read(name).decode("utf-8")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def plain(text: str) -> str:
    """Text with spaces collapsed and none before punctuation (tags became spaces)."""
    return re.sub(r"\s+(?=[.,;:)])|(?<=\()\s+", "", _flat(text))


def _text(outcome: RenderOutcome, fmt: str) -> str:
    """The output's text in reading order: the HTML without tags (as test_render reads it)."""
    path = outcome.outputs[fmt]
    if fmt == "html":
        return plain(
            unescape(re.sub(r"<style.*?</style>|<[^>]+>", " ", path.read_text(), flags=re.S))
        )
    if fmt == "pdf":
        return _flat("\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages))
    return _flat("\n".join(paragraph.text for paragraph in docx.Document(str(path)).paragraphs))


def test_profile_options() -> None:
    options = read_render_options(ROOT, "submission")
    assert options.floats_after_references
    assert options.typst.include_in_header == ("_resources/submission.typ",)
    assert options.docx.reference_doc == "_resources/reference-submission.docx"
    assert not read_render_options(ROOT).floats_after_references


def test_unknown_profile_names_the_missing_file(tmp_path: Path) -> None:
    with pytest.raises(
        StudyConfigError, match=r"--profile draft: the project has no _quarto-draft"
    ):
        read_render_options(ROOT, "draft")
    study = make_project(tmp_path)
    done = run(study, "--profile", "draft", "--output", str(tmp_path / "out"))
    assert done.returncode == 2 and "_quarto-draft.yml" in done.stderr


def test_pdf_double_spaced_and_line_numbered(submission: tuple[Path, RenderOutcome]) -> None:
    staging, outcome = submission
    typ = (staging / "_render" / "manuscript.typ").read_text(encoding="utf-8")
    assert '#set par.line(numbering: "1", numbering-scope: "document"' in typ
    assert "#set par(leading: 1.25em, spacing: 1.25em)" in typ
    assert typ.index("#set par.line") < typ.index("Sorafenib improved")  # before the text
    first = pypdf.PdfReader(outcome.outputs["pdf"]).pages[0].extract_text()
    assert re.search(r"^\s*1\s*$|^1\s", first, flags=re.M)  # the first line's number


def test_docx_double_spaced_line_and_page_numbers(submission: tuple[Path, RenderOutcome]) -> None:
    path = submission[1].outputs["docx"]
    document, styles = _part(path, "word/document.xml"), _part(path, "word/styles.xml")
    assert re.search(r'<w:lnNumType [^>]*w:restart="continuous"', document)
    normal = re.search(r'<w:style [^>]*w:styleId="Normal".*?</w:style>', styles, flags=re.S)
    assert normal and 'w:line="480"' in normal[0]  # double: 2 × 240
    footers = [name for name in zipfile.ZipFile(path).namelist() if "footer" in name]
    assert footers and all(" PAGE " in _part(path, name) for name in footers)


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_tables_and_figures_after_the_references(
    submission: tuple[Path, RenderOutcome], fmt: str
) -> None:
    text = _text(submission[1], fmt)
    references = text.index(REFERENCE)
    for caption in ("Table I. Patients", "Table II. Univariate Cox", "Figure 1. Kaplan"):
        assert text.index(caption) > references, (fmt, caption)
    assert "are shown in Table I." in text  # numbers and references as in the default layout


def test_each_float_on_a_page_of_its_own(submission: tuple[Path, RenderOutcome]) -> None:
    pages = [page.extract_text() for page in pypdf.PdfReader(submission[1].outputs["pdf"]).pages]
    where = {
        caption: [i for i, page in enumerate(pages) if caption in _flat(page)]
        for caption in ("Table I. Patients", "Table II. Univariate", "Figure 1. Kaplan")
    }
    found = [found[0] for found in where.values()]
    assert all(len(pages_) == 1 for pages_ in where.values()) and len(set(found)) == 3
    assert all(REFERENCE not in _flat(pages[i]) for i in found)
    document = _part(submission[1].outputs["docx"], "word/document.xml")
    # A new page by a page break, or by a section break around a table set in landscape.
    section_breaks = document.count("<w:sectPr") - 1  # the body's own is the last section's
    assert document.count('<w:br w:type="page"') + section_breaks == 3


def test_default_layout_unchanged(default: tuple[Path, RenderOutcome]) -> None:
    staging, outcome = default
    typ = (staging / "_render" / "manuscript.typ").read_text(encoding="utf-8")
    assert "par.line" not in typ and "#pagebreak()" not in typ
    document = _part(outcome.outputs["docx"], "word/document.xml")
    assert "lnNumType" not in document and '<w:br w:type="page"' not in document
    text = _text(outcome, "docx")
    assert text.index("Table I. Patients") < text.index(REFERENCE)
