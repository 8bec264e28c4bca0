"""A run that ends with its command validates the workbook in a forked process while it analyses.

What the author gets must not depend on it: a valid workbook gives the outputs of a run that
validated first, byte for byte; an invalid one stops the run with its problems, whatever the
analysis of it raised or warned of meanwhile.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl
import pytest
from small_project import ROOT, make_project, script_json

from cohortpress import _forked, _gc
from cohortpress.errors import InputDataError
from cohortpress.pipeline import build_report

FORKS = _forked.FORK and _forked.cores() > 1

# Builds the report in this fresh process, as `cohortpress report` does; prints whether the
# process imported pandera (the validation's library).
SCRIPT = """
import json, sys
from pathlib import Path
from cohortpress import _gc
from cohortpress.pipeline import build_report

_gc.for_this_process()
build_report(Path(sys.argv[1]), formats=("html",), engine="embedded", output_root=Path(sys.argv[2]))
print(json.dumps({"pandera": "pandera" in sys.modules}))
"""


def _in_fresh_process(study: Path, output: Path) -> dict[str, bool]:
    return script_json(SCRIPT, str(study), str(output))


@pytest.mark.slow
def test_the_outputs_are_those_of_a_run_that_validated_first(tmp_path: Path) -> None:
    study = make_project(tmp_path)
    alongside = _in_fresh_process(study, tmp_path / "alongside")
    build_report(study, formats=("html",), engine="embedded", output_root=tmp_path / "first")
    # This process goes on after its run, so it validated first (see pipeline._validation).
    assert alongside == {"pandera": not FORKS}  # forked: the run's own process never imports it
    for name in ("results.json", "manuscript.html", "data_report.html", "supplement.html"):
        made = (tmp_path / "alongside" / "thyroid" / name).read_bytes()
        assert made == (tmp_path / "first" / "thyroid" / name).read_bytes(), name


def _invalid_workbook(destination: Path) -> Path:
    """The thyroid workbook with a patient's age written as text."""
    book = openpyxl.load_workbook(ROOT / "data/thyroid_sorafenib.xlsx")
    patients = book["patients"]
    header = [cell.value for cell in patients[1]]
    patients.cell(row=4, column=header.index("Age (years)") + 1, value="about sixty")
    book.save(destination)
    return destination


def _analysis_that_warns_and_fails(*_: object, **__: object) -> None:
    warnings.warn("the analysis of this workbook warned", RuntimeWarning, stacklevel=1)
    raise ZeroDivisionError("the analysis of this workbook failed")


@pytest.fixture
def alongside(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process is treated as one that ends with its run: the workbook is validated
    alongside the analysis, and the analysis warns and fails."""
    monkeypatch.setattr(_gc, "ends_with_its_run", lambda: True)
    monkeypatch.setattr("cohortpress.analyse.analyse", _analysis_that_warns_and_fails)


@pytest.mark.usefixtures("alongside")
def test_an_invalid_workbook_stops_the_run_with_its_problems_not_the_analysis_error(
    tmp_path: Path,
) -> None:
    study = make_project(tmp_path)
    data = _invalid_workbook(tmp_path / "invalid.xlsx")
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        with pytest.raises(InputDataError) as raised:
            build_report(study, data=data, formats=("html",), output_root=tmp_path / "out")
    problems = [(p.sheet, p.row, p.column, p.value) for p in raised.value.problems]
    assert problems == [("patients", 4, "Age (years)", "about sixty")]
    assert [str(w.message) for w in shown] == []  # what the analysis warned of is dropped
    assert not (tmp_path / "out" / "thyroid").exists()


@pytest.mark.usefixtures("alongside")
def test_a_valid_workbook_s_analysis_error_and_warnings_are_the_run_s(tmp_path: Path) -> None:
    study = make_project(tmp_path)
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        with pytest.raises(ZeroDivisionError, match="the analysis of this workbook failed"):
            build_report(study, formats=("html",), output_root=tmp_path / "out")
    assert [str(w.message) for w in shown] == ["the analysis of this workbook warned"]
