"""The build cache: a cached run publishes the same bytes as an uncached one, a text edit reuses
the cache, and any change of what the cached stages read computes anew.

Real runs of the small project (``small_project.py``) in this process, so the stage hook shows
which stages ran: a cached run enters "cache" and never "read", "validate", "analyse" or
"figures".
"""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml
from small_project import ROOT, fewer_patients, make_project, patients_shown, run
from stage_hook import Stages

from cohortpress.cache import KEEP, BuildCache
from cohortpress.pipeline import build_report
from cohortpress.publish import CACHE, KEYS

pytestmark = pytest.mark.slow

COMPUTED = {"read", "validate", "derive", "analyse", "tables", "figures"}
ALWAYS = {"cache", "documents", "render", "cuts"}


def _build(study: Path, out: Path, *, formats: tuple[str, ...] = ("html",), **kw) -> set[str]:
    """Run the report; return the stages it went through."""
    stages = Stages()
    build_report(study, formats=formats, engine="embedded", output_root=out, hook=stages, **kw)
    return set(stages.seen)


def _files(folder: Path) -> dict[str, bytes]:
    """Every published file by its path in the output, with its bytes."""
    folder = folder.resolve()
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def _entries(out: Path) -> list[Path]:
    return sorted((out / CACHE / "thyroid").glob("*.pickle"))


@pytest.fixture
def study(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def test_cached_run_publishes_the_same_bytes(study: Path, tmp_path: Path) -> None:
    """Every file (PDF, DOCX, HTML, xlsx, results.json, figures, the cut's snapshot) is the
    same, cached or not; the validation's warning still reaches the data report."""
    workbook = tmp_path / "warned.xlsx"
    book = openpyxl.load_workbook(ROOT / "data/thyroid_sorafenib.xlsx")
    sheet = book["patients"]
    column = next(c.column for c in sheet[1] if c.value == "Lymphocytes (/µl)")
    sheet.cell(row=2, column=column, value=1.21)  # implausible: a warning, not an error
    book.save(workbook)
    out, formats = tmp_path / "out", ("html", "pdf", "docx")
    assert _build(study, out, formats=formats, data=workbook) >= COMPUTED
    cold = _files(out / "thyroid")
    assert "1.21" in cold["data_report.html"].decode()
    stages = _build(study, out, formats=formats, data=workbook)
    assert not stages & COMPUTED
    assert stages >= ALWAYS
    assert _files(out / "thyroid") == cold
    assert _build(study, out, formats=formats, data=workbook, cache=False) >= COMPUTED
    assert _files(out / "thyroid") == cold
    assert len(_entries(out)) == 1


def test_figures_drawn_for_other_formats_are_drawn_again(study: Path, tmp_path: Path) -> None:
    """A run of HTML alone draws the SVG only: a run of Word after it, whose document sets the
    PNG, computes anew (a cache entry is never taken for files it lacks); one of HTML after
    that takes the entry and publishes what a run of HTML alone publishes, byte for byte."""
    out = tmp_path / "out"
    assert _build(study, out, formats=("html",)) >= COMPUTED
    page = _files(out / "thyroid")
    assert {name for name in page if name.startswith("figures/")} == {
        "figures/survival.svg", "figures/waterfall.svg",
    }  # fmt: skip
    assert _build(study, out, formats=("docx",)) >= COMPUTED
    assert sorted(p.name for p in (out / "thyroid" / "figures").iterdir()) == [
        "survival.png", "waterfall.png",
    ]  # fmt: skip
    assert _build(study, out, formats=("html", "docx")) >= COMPUTED  # the entry lacks the SVG
    stages = _build(study, out, formats=("html",))
    assert not stages & COMPUTED
    assert _files(out / "thyroid") == page
    assert not _build(study, out, formats=("docx",)) & COMPUTED
    assert len(_entries(out)) == 1


def test_text_edit_reuses_the_cache(study: Path, tmp_path: Path) -> None:
    """manuscript.qmd decides the floats' numbers and the generated text: both follow an edit
    made after the cache was filled, as in an uncached run."""
    out = tmp_path / "out"
    _build(study, out)
    manuscript = study / "manuscript.qmd"
    text = manuscript.read_text(encoding="utf-8")
    text = text.replace("We evaluated", "In this edit we evaluated")
    text = text.replace("{{< include _generated/table-characteristics.md >}}\n", "")
    manuscript.write_text(text, encoding="utf-8")
    assert not _build(study, out) & COMPUTED
    cached = _files(out / "thyroid")
    assert "In this edit we evaluated 26 patients" in cached["manuscript.html"].decode()
    assert "supplement.html" in cached  # the table moved to the supplement
    assert _build(study, out, cache=False) >= COMPUTED
    assert _files(out / "thyroid") == cached


def _study_yml(study: Path) -> None:
    path = study / "study.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["title"] = config["title"] + " revisited"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")


def _workbook(study: Path) -> None:
    path = study / "study.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["data"] = str(fewer_patients(study / "fewer.xlsx"))
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")


def _workbook_bytes(study: Path) -> None:
    """Same file, new content: the key follows the bytes, not the name or the time."""
    path = study / "study.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    copy = study / "book.xlsx"
    shutil.copy(config["data"], copy)
    config["data"] = str(copy)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")


def _figure_size(study: Path) -> None:
    quarto = study.parents[1] / "_quarto.yml"
    text = quarto.read_text(encoding="utf-8")
    assert "fig-dpi: 300" in text
    quarto.write_text(text.replace("fig-dpi: 300", "fig-dpi: 150"), encoding="utf-8")


@pytest.mark.parametrize("change", [_study_yml, _workbook, _figure_size])
def test_a_changed_input_is_computed_anew(study: Path, tmp_path: Path, change) -> None:
    out = tmp_path / "out"
    _build(study, out)
    change(study)
    assert _build(study, out) >= COMPUTED
    published = out / "thyroid"
    fresh = _files(published)
    assert _build(study, out, cache=False) >= COMPUTED
    assert _files(published) == fresh
    assert len(_entries(out)) == 2


def test_new_workbook_bytes_at_the_same_path(study: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _workbook_bytes(study)
    _build(study, out)
    assert patients_shown(out / "thyroid") == 26
    fewer_patients(study / "book.xlsx")  # overwritten in place
    assert _build(study, out) >= COMPUTED
    assert patients_shown(out / "thyroid") < 26


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),  # truncated
        lambda p: p.write_bytes(b"not a pickle"),
        lambda p: p.write_bytes(pickle.dumps({"an": "old format"})),
        lambda p: p.write_bytes(b""),
    ],
    ids=["truncated", "garbage", "foreign", "empty"],
)
def test_a_damaged_entry_is_computed_anew(study: Path, tmp_path: Path, damage) -> None:
    out = tmp_path / "out"
    _build(study, out)
    [entry] = _entries(out)
    good = _files(out / "thyroid")
    damage(entry)
    assert _build(study, out) >= COMPUTED
    assert _files(out / "thyroid") == good
    assert not _build(study, out) & COMPUTED  # the entry was written again


def test_a_new_study_key_reads_the_workbook_for_the_snapshot(study: Path, tmp_path: Path) -> None:
    """The cached snapshot hashes patient IDs with the study's key: with another key it cannot
    be used, and the run reads the workbook again for it (but analyses and draws nothing)."""
    out = tmp_path / "out"
    _build(study, out)
    (out / KEYS / "thyroid").unlink()
    stages = _build(study, out)
    assert {"read", "validate", "derive"} <= stages
    assert not stages & {"analyse", "tables", "figures"}
    assert patients_shown(out / "thyroid") == 26


def test_the_cache_keeps_no_identifier(study: Path, tmp_path: Path) -> None:
    """No patient ID, name or birth date goes into the cache: only what the published output
    holds (the cut's snapshot knows patients by a keyed hash)."""
    out = tmp_path / "out"
    _build(study, out)
    [entry] = _entries(out)
    content = entry.read_bytes()
    book = openpyxl.load_workbook(ROOT / "data/thyroid_sorafenib.xlsx")
    rows = list(book["patients"].iter_rows(min_row=2, values_only=True))
    assert rows
    for patient_id, name, *_ in rows:
        assert str(patient_id).encode() not in content
        assert str(name).encode() not in content
    assert entry.stat().st_mode & 0o077 == 0
    assert (out / CACHE / "thyroid").stat().st_mode & 0o077 == 0


def test_no_cache_on_the_command_line(study: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run(study, "--output", str(out))
    assert done.returncode == 0, done.stderr
    [entry] = _entries(out)
    entry.write_bytes(b"damaged")
    done = run(study, "--output", str(out), "--no-cache")
    assert done.returncode == 0, done.stderr
    assert pickle.loads(entry.read_bytes())  # refreshed by the uncached run


def test_only_the_newest_entries_are_kept(tmp_path: Path) -> None:
    folder = tmp_path / CACHE / "thyroid"
    folder.mkdir(parents=True)
    for age in range(KEEP + 3):
        path = folder / f"{age:064x}.pickle"
        path.write_bytes(b"x")
        os.utime(path, (1_000_000 - age, 1_000_000 - age))
    (folder / ".abc.tmp").write_bytes(b"left by a killed run")
    BuildCache(folder).prune()
    assert [p.name for p in sorted(folder.iterdir())] == [
        f"{age:064x}.pickle" for age in range(KEEP)
    ]


def test_crossref_labels_act_after_the_cache(study: Path, tmp_path: Path) -> None:
    """Table numbering is a render option the key leaves out: it only acts where the floats
    are placed, which every run redoes."""
    out = tmp_path / "out"
    _build(study, out)
    quarto = study.parents[1] / "_quarto.yml"
    text = quarto.read_text(encoding="utf-8")
    assert "tbl-labels: roman" in text
    quarto.write_text(text.replace("tbl-labels: roman", "tbl-labels: arabic"), encoding="utf-8")
    assert not _build(study, out) & COMPUTED
    cached = _files(out / "thyroid")
    assert "Table\xa01" in cached["manuscript.html"].decode()  # was "Table I"
    assert _build(study, out, cache=False) >= COMPUTED
    assert _files(out / "thyroid") == cached
