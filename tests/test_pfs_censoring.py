"""The PFS censoring rule: at the last contact (default) or at the last tumour assessment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml
from defects import ROOT, valid_book, write_xlsx

from cohortpress.config import DAYS_PER_UNIT, load_study
from cohortpress.derive._endpoints import endpoint
from cohortpress.errors import StudyConfigError
from cohortpress.intake import read_workbook
from cohortpress.present.wording import endpoint_definition
from cohortpress.validate import validate_workbook

START = pd.Timestamp("2020-01-01")
CUTOFF = dt.date(2021, 1, 1)


def _days(*offsets: int | None) -> pd.Series:
    return pd.Series([START + pd.Timedelta(days=d) if d is not None else pd.NaT for d in offsets])


def _patients() -> pd.DataFrame:
    """A progressed, a died-without-progression, two censored and one never assessed patient."""
    return pd.DataFrame(
        {
            "treatment_start": _days(0, 0, 0, 0, 0),
            "treatment_end": _days(None, None, None, None, None),
            "progression_date": _days(100, None, None, None, None),
            "death_date": _days(None, 150, None, None, None),
            "last_contact": _days(300, 150, 200, 500, 90),
            "last_assessment": _days(100, 120, 60, 420, None),
        }
    )


def test_pfs_is_censored_at_the_last_contact_by_default() -> None:
    days, event = endpoint(_patients(), "pfs", CUTOFF)
    assert days.tolist() == [100, 150, 200, 366, 90]  # the fourth is cut at the cutoff
    assert event.tolist() == [1, 1, 0, 0, 0]


def test_pfs_can_be_censored_at_the_last_tumour_assessment() -> None:
    days, event = endpoint(_patients(), "pfs", CUTOFF, "last_assessment")
    # events keep their dates; censored at the assessment, the cutoff, or day 0 without one
    assert days.tolist() == [100, 150, 60, 366, 0]
    assert event.tolist() == [1, 1, 0, 0, 0]


def test_the_rule_does_not_change_os() -> None:
    assert endpoint(_patients(), "os", CUTOFF)[0].tolist() == [300, 150, 200, 366, 90]
    with pytest.raises(ValueError, match="PFS only"):
        endpoint(_patients(), "os", CUTOFF, "last_assessment")


def _study(
    tmp_path: Path, endpoints: list[dict], workbook: Path | None = None, *, header: bool = True
) -> Path:
    raw = yaml.safe_load((ROOT / "reports/thyroid/study.yml").read_text(encoding="utf-8"))
    raw["endpoints"] = endpoints
    if header:
        raw["columns"]["last_assessment"] = "Last scan"
    if workbook is not None:
        raw["data"] = str(workbook)
    (tmp_path / "study.yml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return tmp_path


def test_the_rule_is_declared_for_pfs_only(tmp_path: Path) -> None:
    folder = _study(tmp_path, [{"kind": "os", "censor_at": "last_assessment"}])
    with pytest.raises(StudyConfigError, match="applies to the pfs endpoint only, not os"):
        load_study(folder)


def _scans(book, dates: list[dt.date | None]) -> None:
    for row, date in zip(book.patients, dates, strict=True):
        row["Last scan"] = date


def test_the_rule_needs_the_column_and_sane_dates(tmp_path: Path) -> None:
    rule = [{"kind": "pfs", "censor_at": "last_assessment"}]
    config = load_study(_study(tmp_path, rule, header=False))
    workbook = read_workbook(write_xlsx(valid_book(), tmp_path / "a.xlsx"), config)
    [problem] = validate_workbook(workbook, config).errors
    assert (problem.sheet, problem.row, problem.column) == ("patients", None, "last_assessment")
    assert "needed by the PFS censoring rule (censor_at: last_assessment)" in problem.rule

    config = load_study(_study(tmp_path, rule))

    book = valid_book()
    _scans(book, [dt.date(2018, 1, 1), None, None, None, None, None])  # P01 started 2019-01-10
    report = validate_workbook(read_workbook(write_xlsx(book, tmp_path / "b.xlsx"), config), config)
    [problem] = report.errors
    assert (problem.row, problem.column) == (2, "Last scan")
    assert "the last tumour assessment is before" in problem.rule


def test_the_methods_and_the_times_follow_the_rule(tmp_path: Path) -> None:
    from cohortpress.analyse import analyse
    from cohortpress.derive import derive_cohort

    book = valid_book()
    # patients without progression are censored at these scans, not at the last visit
    scans = [None, dt.date(2019, 6, 1), dt.date(2020, 6, 1), None, dt.date(2020, 4, 1), None]
    _scans(book, scans)
    path = write_xlsx(book, tmp_path / "book.xlsx")
    times = {}
    for rule in ("last_contact", "last_assessment"):
        folder = tmp_path / rule
        folder.mkdir()
        config = load_study(_study(folder, [{"kind": "pfs", "censor_at": rule}], path))
        workbook = read_workbook(path, config)
        assert validate_workbook(workbook, config).ok
        cohort = derive_cohort(workbook.patients, workbook.adverse_events, config)
        [pfs] = analyse(cohort, config).endpoints
        data = cohort.patients
        times[rule] = dict(zip(data["patient_id"], data["pfs_time"], strict=True))
        definition = endpoint_definition(pfs, config)
        said = "censored at their last tumour assessment" in definition
        assert said is (rule == "last_assessment")
    assert times["last_contact"] != times["last_assessment"]
    per_unit = DAYS_PER_UNIT[config.time_unit]
    assert times["last_assessment"]["P05"] == pytest.approx(72 / per_unit)  # 20 Jan-1 Apr
    assert times["last_assessment"]["P01"] == times["last_contact"]["P01"]  # progressed
