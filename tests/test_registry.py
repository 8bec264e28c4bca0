"""Registry-sized input: the synthetic extract, CSV and Parquet alike, and the fast paths of
intake giving exactly what reading every value one by one gives."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from cohortpress.analyse import analyse
from cohortpress.derive import derive_cohort
from cohortpress.errors import Problem
from cohortpress.intake import _parse, _table
from cohortpress.pipeline import check_workbook
from cohortpress.present.numbers import collect_numbers
from cohortpress.validate._report import ValidationReport

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "reports" / "thyroid"
PATIENTS = 1_000

sys.path.insert(0, str(ROOT / "data"))
from make_registry import write_registry  # noqa: E402


@pytest.fixture(scope="module")
def extracts(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("registry")
    return {fmt: write_registry(PATIENTS, folder / fmt, fmt) for fmt in ("parquet", "csv")}


def _read_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Turn off every column-wide shortcut: each distinct value goes through its reader."""

    def nothing_native(cells, kind, values, result):
        return np.arange(len(cells))

    def by_type(cells):
        groups: dict[type, list[int]] = {}
        for position, raw in enumerate(cells):
            groups.setdefault(type(raw), []).append(position)
        return [np.array(p) for p in groups.values()]

    def blank_rows(frame):
        return frame.apply(_table.blank_cells).all(axis="columns")

    monkeypatch.setattr(_parse, "_take_native", nothing_native)
    monkeypatch.setattr(_parse, "_positions_by_type", by_type)
    monkeypatch.setattr(_table, "_blank_rows", blank_rows)


def _results_json(data: Path) -> tuple[str, object]:
    config, workbook, report = check_workbook(STUDY, data)
    assert report.ok, report.as_lines()[:5]
    results = analyse(derive_cohort(workbook.patients, workbook.adverse_events, config), config)
    return collect_numbers(results, config).to_json(), workbook


def test_extract_is_a_clean_thyroid_registry(extracts: dict[str, Path]) -> None:
    config, workbook, report = check_workbook(STUDY, extracts["parquet"])
    assert report.problems == ()
    patients, events = workbook.patients, workbook.adverse_events
    assert len(patients) == PATIENTS
    assert 2.7 < len(events) / PATIENTS < 3.3  # about three adverse-event rows per patient
    assert 0.005 < patients["neutrophils"].isna().mean() < 0.06  # missing as in real extracts
    assert (patients["treatment_end"] - patients["treatment_start"]).dt.days.lt(30).mean() > 0.05
    assert patients["death_date"].notna().mean() > 0.3


def test_csv_and_parquet_read_alike(extracts: dict[str, Path]) -> None:
    config, parquet, _ = check_workbook(STUDY, extracts["parquet"])
    config, csv, _ = check_workbook(STUDY, extracts["csv"])
    pd.testing.assert_frame_equal(parquet.patients, csv.patients)
    pd.testing.assert_frame_equal(parquet.adverse_events, csv.adverse_events)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_every_statistic_is_the_same_without_the_fast_paths(
    extracts: dict[str, Path], fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, fast_book = _results_json(extracts[fmt])
    _read_one_by_one(monkeypatch)
    slow, slow_book = _results_json(extracts[fmt])
    assert fast == slow
    pd.testing.assert_frame_equal(fast_book.patients, slow_book.patients)
    pd.testing.assert_frame_equal(fast_book.adverse_events, slow_book.adverse_events)
    assert fast_book.normalisations == slow_book.normalisations


def test_fast_paths_keep_every_problem_and_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parquet cells that need a reader (a padded ID, a date outside 1900-2100, a time of
    day) are found with or without the column-wide paths."""
    folder = write_registry(60, tmp_path / "extract", "parquet")
    table = pq.read_table(folder / "patients.parquet")
    patients = table.to_pandas(ignore_metadata=True, date_as_object=False)
    patients.loc[3, "Patient ID"] = f"  {patients.loc[3, 'Patient ID']} "
    patients.loc[5, "Last visit"] = pd.Timestamp("1850-01-01")
    patients.loc[7, "Sorafenib start"] += pd.Timedelta(hours=9)
    patients.to_parquet(folder / "patients.parquet", index=False)

    def read() -> tuple[tuple[Problem, ...], tuple]:
        _, workbook, report = check_workbook(STUDY, folder)
        return report.problems, workbook.normalisations

    fast = read()
    _read_one_by_one(monkeypatch)
    assert read() == fast
    rules = " | ".join(p.rule for p in fast[0])
    assert "outside the years 1900-2100" in rules
    notes = " | ".join(n.rule for n in fast[1])
    assert "spaces around IDs removed" in notes
    assert "time of day dropped" in notes


def test_many_warnings_of_one_rule_are_summarised() -> None:
    def warning(row: int) -> Problem:
        return Problem("patients", row, "Neutrophils (/µl)", "12", "unusually low", None, "warning")

    report = ValidationReport(tuple(warning(r) for r in range(2, 1_202)))
    (line,) = report.warning_summary()
    assert line == 'patients, "Neutrophils (/µl)": 1,200 values, unusually low (rows 2, 3, 4, …)'
    hidden = Problem("patients", 0, None, None, "the row is hidden in the workbook", None,
                     "warning")  # fmt: skip
    rows = ValidationReport(tuple(dataclasses.replace(hidden, row=r) for r in range(2, 12)))
    assert rows.warning_summary() == [
        "patients: 10 rows, the row is hidden in the workbook (rows 2, 3, 4, …)"
    ]
    few = ValidationReport(tuple(warning(r) for r in (5, 9)))
    assert few.warning_summary() == [
        'patients, row 5, "Neutrophils (/µl)" = 12: unusually low',
        'patients, row 9, "Neutrophils (/µl)" = 12: unusually low',
    ]


def test_a_level_with_patients_is_never_hidden(extracts: dict[str, Path]) -> None:
    """study.yml lists ECOG PS 0-2 for Table I (the paper had no PS 3); a registry has PS 3
    patients, and they are counted in a row of their own rather than dropped."""
    config, workbook, _ = check_workbook(STUDY, extracts["parquet"])
    results = analyse(derive_cohort(workbook.patients, workbook.adverse_events, config), config)
    (ecog,) = [c for c in results.characteristics if c.variable == "ecog"]
    assert [lvl.level for lvl in ecog.levels] == ["0", "1", "2", "3"]
    assert sum(lvl.count for lvl in ecog.levels) + ecog.missing == results.n


def test_dates_with_a_time_zone_keep_their_local_date(tmp_path: Path) -> None:
    folder = write_registry(30, tmp_path / "extract", "parquet")
    table = pq.read_table(folder / "patients.parquet")
    patients = table.to_pandas(ignore_metadata=True, date_as_object=False)
    local = patients["Last visit"].dt.tz_localize("Asia/Tokyo")
    patients["Last visit"] = local
    patients.to_parquet(folder / "patients.parquet", index=False)
    _, workbook, report = check_workbook(STUDY, folder)
    assert report.ok
    expected = local.dt.tz_localize(None).to_numpy()
    np.testing.assert_array_equal(workbook.patients["last_contact"].to_numpy(), expected)
    assert any("time zone" in n.rule and n.count == 30 for n in workbook.normalisations)
