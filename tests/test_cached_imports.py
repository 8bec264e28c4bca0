"""A text edit re-renders from the build cache without the data libraries.

A cached run writes the documents from what the entry keeps; it reads no workbook, validates,
analyses and draws nothing, so it has no use for pandas, NumPy, pandera, SciPy, matplotlib,
great_tables or XlsxWriter, whose imports were most of its time. Each run here is a fresh
process on a copy of the thyroid study, as an author's run is, and reports what it imported.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from small_project import ROOT, script_json

from cohortpress.bench_loop import copy_project, edit_manuscript

pytestmark = pytest.mark.slow

STUDY = Path("reports/thyroid")
UNUSED = ("pandas", "numpy", "pandera", "scipy", "matplotlib", "great_tables", "xlsxwriter")
# What only the Word output's post-processing uses (xml.sax.saxutils brings urllib and ssl).
WORD_ONLY = ("cohortpress.render._docx_header", "cohortpress.render._docx_widths", "xml.sax", "ssl")
COMPUTED = {"read", "validate", "derive", "analyse", "tables", "figures"}

# Runs the report in this fresh process; prints its stages and which of the libraries it loaded.
SCRIPT = """
import contextlib, json, sys
from pathlib import Path
from cohortpress.pipeline import build_report

stages = []

@contextlib.contextmanager
def hook(name):
    stages.append(name)
    yield

study, formats, unused = sys.argv[1], tuple(sys.argv[2].split(",")), sys.argv[3].split(",")
build_report(Path(study), formats=formats, engine="embedded", hook=hook)
print(json.dumps({"stages": stages, "imported": [m for m in unused if m in sys.modules]}))
"""


def _run(
    study: Path, formats: tuple[str, ...], unused: tuple[str, ...] = UNUSED
) -> dict[str, list[str]]:
    return script_json(
        SCRIPT, str(study), ",".join(formats), ",".join(unused), cwd=study.parents[1]
    )


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the thyroid study whose build cache holds its entry (a first run's)."""
    study = copy_project(ROOT, STUDY, tmp_path_factory.mktemp("project"))
    first = _run(study, ("html", "pdf", "docx"))
    assert set(first["stages"]) >= COMPUTED
    assert "pandas" in first["imported"]  # the check below can tell
    return study


@pytest.mark.parametrize("formats", [("html",), ("html", "pdf", "docx")], ids=["html", "all"])
def test_a_cached_run_imports_no_data_library(study: Path, formats: tuple[str, ...]) -> None:
    edit_manuscript(study, f"an edit rendered as {', '.join(formats)}")
    run = _run(study, formats)
    assert not COMPUTED & set(run["stages"]), run["stages"]  # served by the cache
    assert run["imported"] == []


def test_a_cached_html_run_imports_nothing_of_the_word_output(study: Path) -> None:
    edit_manuscript(study, "an edit rendered as HTML, without Word")
    run = _run(study, ("html",), WORD_ONLY)
    assert not COMPUTED & set(run["stages"]), run["stages"]
    assert run["imported"] == []
