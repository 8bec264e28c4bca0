"""An adverse event, or a response, read against the rest of the patient's record: an event
after the patient's death is an error, one after the data cutoff a warning and not counted, a
fatal event of a patient without a date of death a warning, a response with a change above the
criteria's response threshold a warning. Each passed silently (the safety table counted the
event; the data report said no date fell after the cutoff)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from examples import columns, thyroid_workbook

from cohortpress.config import load_study
from cohortpress.derive import derive_cohort
from cohortpress.derive._rows import known_at_cutoff
from cohortpress.intake import read_workbook
from cohortpress.validate import validate_workbook

ROOT = Path(__file__).resolve().parents[1]
CONFIG = load_study(ROOT / "reports/thyroid")
CUTOFF = CONFIG.data_cutoff


def _edited(tmp_path: Path, sheet: str, row: int, values: dict[str, Any]) -> Path:
    path = tmp_path / "edited.xlsx"
    book = thyroid_workbook(path)
    cells = book[sheet]
    headers = columns(cells)
    for header, value in values.items():
        cells.cell(row=row, column=headers[header], value=value)
    book.save(path)
    return path


def _problems(path: Path) -> list[Any]:
    return list(validate_workbook(read_workbook(path, CONFIG), CONFIG).problems)


def _patient_of_event(row: int) -> dict[str, Any]:
    book = openpyxl.load_workbook(ROOT / "data/thyroid_sorafenib.xlsx")
    pid = book["adverse_events"].cell(row=row, column=1).value
    patients = book["patients"]
    headers = [cell.value for cell in patients[1]]
    for cells in patients.iter_rows(min_row=2, values_only=True):
        if cells[0] == pid:
            return dict(zip(headers, cells, strict=True))
    raise AssertionError(pid)


def test_an_event_after_the_patients_death_is_an_error(tmp_path: Path) -> None:
    row = next(r for r in range(2, 40) if _patient_of_event(r)["Date of death"] is not None)
    died = _patient_of_event(row)["Date of death"]
    path = _edited(tmp_path, "adverse_events", row, {"Onset date": died + dt.timedelta(days=3)})
    [found] = [p for p in _problems(path) if "date of death" in p.rule]
    assert (found.sheet, found.row, found.column, found.severity) == (
        "adverse_events",
        row,
        "Onset date",
        "error",
    )
    assert f"after the patient's date of death ({died:%Y-%m-%d})" == found.rule


def test_an_event_after_the_cutoff_is_named_and_not_counted(tmp_path: Path) -> None:
    later = dt.datetime.combine(CUTOFF, dt.time()) + dt.timedelta(days=40)
    path = _edited(tmp_path, "adverse_events", 5, {"Onset date": later})
    [found] = [p for p in _problems(path) if "after the data cutoff" in p.rule]
    assert found.severity == "warning" and found.column == "Onset date"
    assert found.value == "1 event(s), row 5" and "the event is not counted" in found.rule
    workbook = read_workbook(path, CONFIG)
    cohort = derive_cohort(workbook.patients, workbook.adverse_events, CONFIG)
    assert cohort.adverse_events is not None
    assert 5 not in cohort.adverse_events.index
    whole = read_workbook(ROOT / "data/thyroid_sorafenib.xlsx", CONFIG)
    before = derive_cohort(whole.patients, whole.adverse_events, CONFIG)
    assert before.adverse_events is not None
    assert len(cohort.adverse_events) == len(before.adverse_events) - 1


def test_events_without_an_onset_date_are_kept() -> None:
    events = pd.DataFrame({"onset_date": pd.to_datetime(["2021-06-02", None, "2021-05-31"])})
    assert known_at_cutoff(events, dt.date(2021, 5, 31)).tolist() == [False, True, True]
    assert known_at_cutoff(events.drop(columns="onset_date"), CUTOFF).tolist() == [True] * 3


def test_a_fatal_event_of_a_patient_without_a_date_of_death_is_a_warning(tmp_path: Path) -> None:
    row = next(r for r in range(2, 40) if _patient_of_event(r)["Date of death"] is None)
    path = _edited(tmp_path, "adverse_events", row, {"CTCAE grade": 5})
    [found] = [p for p in _problems(path) if "grade 5" in p.rule]
    assert (found.row, found.column, found.value, found.severity) == (
        row,
        "CTCAE grade",
        "5",
        "warning",
    )


def test_a_response_with_a_growing_tumour_is_a_warning(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        "patients",
        6,
        {"Best response (RECIST)": "CR", "Max change in target lesions (%)": 60},
    )
    [found] = [p for p in _problems(path) if "at which a response begins" in p.rule]
    assert (found.row, found.column, found.severity) == (
        6,
        "Max change in target lesions (%)",
        "warning",
    )
    assert "the best response is CR, yet the change is above the -30%" in found.rule


@pytest.mark.parametrize("study", ["thyroid", "renal"])
def test_the_example_workbooks_raise_none_of_these(study: str) -> None:
    config = load_study(ROOT / "reports" / study)
    report = validate_workbook(read_workbook(config.data_path, config), config)
    rules = ("date of death", "data cutoff (", "grade 5", "at which a response begins")
    assert not [p for p in report.problems if any(r in p.rule for r in rules)]
