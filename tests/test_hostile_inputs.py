"""Input that stopped a run as a bug (exit 70) or hung it: each is now the user's error, with
its exit code and a message naming the file. A Word file included as text; a control character
typed into study.yml; a workbook path that is a device or a pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from small_project import make_project

from cohortpress.errors import RenderError
from cohortpress.render._source import read_source

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "cohortpress", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    assert "Traceback" not in done.stderr and "a bug in cohortpress" not in done.stderr
    return done


def _staged(tmp_path: Path, include: str) -> Path:
    """A staging folder whose manuscript includes ``include``, with the Word reference
    document every run stages (as the render reads it: ``read_source``)."""
    staging = tmp_path / "staging"
    (staging / "_resources").mkdir(parents=True)
    docx = ROOT / "src/cohortpress/render/resources/reference.docx"
    (staging / "_resources" / "reference.docx").write_bytes(docx.read_bytes())
    text = f"---\ntitle: T\n---\n\nText.\n\n{{{{< include {include} >}}}}\n"
    (staging / "manuscript.qmd").write_text(text, encoding="utf-8")
    return staging


def test_an_included_file_that_is_not_text_is_named(tmp_path: Path) -> None:
    """A Word file included as text stopped the run as a bug (UnicodeDecodeError, exit 70);
    a RenderError is exit 3."""
    staging = _staged(tmp_path, "_resources/reference.docx")
    with pytest.raises(RenderError, match=r"_resources/reference.docx: not text in UTF-8"):
        read_source(staging)


@pytest.mark.parametrize("text", [b"title: A\x1b[31m study\n", b"title: \xe9tude\n"])
def test_a_study_yml_yaml_cannot_read_is_named(tmp_path: Path, text: bytes) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    original = (ROOT / "reports/thyroid/study.yml").read_bytes()
    (folder / "study.yml").write_bytes(text + original)
    done = _run("validate", str(folder))
    assert done.returncode == 2, done.stderr
    assert f"{folder / 'study.yml'}" in done.stderr
    assert ("#x001b is not allowed" in done.stderr) or ("not text in UTF-8" in done.stderr)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_workbook_that_is_a_device_is_refused(tmp_path: Path) -> None:
    (tmp_path / "zero.xlsx").symlink_to("/dev/zero")
    done = _run("validate", "reports/thyroid", "--data", str(tmp_path / "zero.xlsx"))
    assert done.returncode == 2, done.stderr
    assert "not a regular file" in done.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_csv_sheet_that_is_a_pipe_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "extract"
    folder.mkdir()
    os.mkfifo(folder / "patients.csv")
    (folder / "adverse_events.csv").write_text("Patient ID\n", encoding="utf-8")
    done = _run("validate", "reports/thyroid", "--data", str(folder))
    assert done.returncode == 2, done.stderr
    assert "patients.csv: not a regular file" in done.stderr


def test_a_cell_holding_the_typst_tables_separator_is_printed(tmp_path: Path) -> None:
    """The PDF's tables were written cell by cell around a fixed word; a cell holding that
    word stopped the render with a Lua stack trace."""
    import openpyxl
    import pypdf
    import yaml

    study = make_project(tmp_path / "project")
    workbook = tmp_path / "workbook.xlsx"
    book = openpyxl.load_workbook(ROOT / "data/thyroid_sorafenib.xlsx")
    term = "Rash cohortpress-typst-cell-separator"
    for row in range(2, 5):
        book["adverse_events"].cell(row=row, column=2, value=term)
    book.save(workbook)
    config = yaml.safe_load((study / "study.yml").read_text(encoding="utf-8"))
    config["data"] = str(workbook)
    (study / "study.yml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    manuscript = study / "manuscript.qmd"
    text = manuscript.read_text(encoding="utf-8")
    manuscript.write_text(text + "\n{{< include _generated/table-adverse-events.md >}}\n", "utf-8")
    done = _run("report", str(study), "--to", "pdf", "-q")
    assert done.returncode == 0, done.stderr
    pdf = pypdf.PdfReader(study.parents[1] / "_output/thyroid/manuscript.pdf")
    words = " ".join(page.extract_text() for page in pdf.pages).split()
    assert "cohortpress-typst-cell-separator" in "".join(words)


@pytest.mark.parametrize("outside", ["/etc/hostname", "/etc/no-such-file-here"])
def test_an_include_outside_the_study_says_the_same_whether_it_exists(
    tmp_path: Path, outside: str
) -> None:
    """An include outside the staging folder said "outside" for a file that exists and "does
    not exist" for one that does not: a probe of the machine's files."""
    climb = "../" * 12 + outside.lstrip("/")
    with pytest.raises(RenderError, match=f"the included file {climb} is outside the staging"):
        read_source(_staged(tmp_path, climb))


def test_a_bibliography_that_expands_without_bound_stops_at_pandocs_heap_cap(
    tmp_path: Path,
) -> None:
    """Ten levels of @string macros, each ten of the one below, make a title of 10^10
    characters from a few hundred bytes: pandoc grew past 15 GB reading it. Its heap is now
    capped, and the run stops with the bibliography named."""
    study = make_project(tmp_path)
    macros = ['@string{a0 = "xxxxxxxxxx"}'] + [
        f"@string{{a{i} = {' # '.join([f'a{i - 1}'] * 10)}}}" for i in range(1, 10)
    ]
    entry = "@article{bomb, author = {Bomb, A.}, title = a9, journal = {J}, year = {2020}}"
    (study / "references.bib").write_text("\n".join([*macros, entry]) + "\n", encoding="utf-8")
    manuscript = study / "manuscript.qmd"
    manuscript.write_text(
        manuscript.read_text(encoding="utf-8") + "\nCited [@bomb].\n", encoding="utf-8"
    )
    done = _run("report", str(study), "--to", "html", "--output", str(tmp_path / "out"))
    assert done.returncode == 3
    assert "references.bib cannot be read" in done.stderr
    assert "more than 1 GiB of memory" in done.stderr


@pytest.mark.parametrize(
    ("key", "named"),
    [
        ("format:\n  html:\n    css: [data/secret.txt]", "data/secret.txt"),
        ("format:\n  typst:\n    include-in-header: [_output/.keys/thyroid]", "_output/.keys"),
        ("format:\n  html:\n    css: [_output/.keys/key.css]", "hidden folder"),
    ],
)
def test_a_file_the_front_matter_names_is_of_its_kind_and_not_hidden(
    tmp_path: Path, key: str, named: str
) -> None:
    """A stylesheet or Typst header is published whole: one naming a project file of another
    kind (a data extract) or in a hidden folder (the study's pseudonymisation key, made by
    the first run) published its text in the page and the PDF."""
    study = make_project(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "secret.txt").write_text("SECRET", encoding="utf-8")
    (tmp_path / "_output" / ".keys").mkdir(parents=True)
    for name in ("thyroid", "key.css"):
        (tmp_path / "_output" / ".keys" / name).write_text("SECRET", encoding="utf-8")
    manuscript = study / "manuscript.qmd"
    text = manuscript.read_text(encoding="utf-8").replace("---\n", f"---\n{key}\n", 1)
    manuscript.write_text(text, encoding="utf-8")
    done = _run("report", str(study), "--to", "html,pdf", "--output", str(tmp_path / "out"))
    assert done.returncode == 3, done.stderr
    assert named in done.stderr
    assert not list((tmp_path / "out").rglob("*.html"))


def test_a_study_folder_named_as_an_output_folder_of_cohortpress_is_refused(
    tmp_path: Path,
) -> None:
    """A study folder named ``.keys`` was published as ``_output/.keys``, replacing the
    folder of every study's pseudonymisation key."""
    study = make_project(tmp_path)
    hidden = study.rename(study.parent / ".keys")
    (tmp_path / "_output" / ".keys").mkdir(parents=True)
    (tmp_path / "_output" / ".keys" / "thyroid").write_text("KEY", encoding="utf-8")
    done = _run("report", str(hidden), "--to", "html")
    assert done.returncode != 0
    assert "may not start with '.'" in done.stderr
    assert (tmp_path / "_output" / ".keys" / "thyroid").read_text(encoding="utf-8") == "KEY"
