"""Endpoints read as recorded, from a time column and a status column (issue 11).

The time is converted from the endpoint's unit to the study's; the status is read through the
declared event and censored values; a value that is neither, a negative or missing time, and
keys that mix the column form with date rules are located errors. A workbook without any
date runs when every endpoint is read from columns.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pandas as pd
import pytest
import yaml
from hypothesis import given

from cohortpress.analyse import analyse
from cohortpress.artefacts.text._paragraphs import write_paragraphs
from cohortpress.config import DAYS_PER_UNIT, Endpoint, load_study
from cohortpress.derive import derive_cohort
from cohortpress.derive._recorded import recorded_endpoint
from cohortpress.errors import StudyConfigError
from cohortpress.intake import read_workbook
from cohortpress.present.numbers import collect_numbers
from cohortpress.validate import validate_workbook

ROOT = Path(__file__).resolve().parents[1]
OS = {
    "kind": "os",
    "time": "os_months",
    "status": "os_status",
    "event_values": ["Dead"],
    "censored_values": ["Alive"],
}
PFS = {"kind": "pfs", "time": "pfs_days", "time_unit": "days", "status": "pfs_event"}


def _rows() -> dict[str, list[Any]]:
    return {
        "Patient": ["R1", "R2", "R3", "R4", "R5", "R6"],
        "Age": [61, 70, 55, 66, 48, 73],
        "Sex": ["M", "F", "F", "M", "M", "F"],
        "Survival, months": [3.5, 12.0, 7.25, 20.0, 1.0, 15.5],
        "Vital status": ["Dead", "Alive", "dead ", "Alive", "Dead", "Dead"],
        "PFS days": [60, 200, 150, 400, 30, 300],
        "PFS event": [1, 0, 1, 1, 1, 0],
        "Best response": ["PD", "SD", "PR", "SD", "PD", "SD"],
    }


def _study(tmp_path: Path, rows: dict[str, list[Any]] | None = None, **changes: Any) -> Path:
    """A study folder with a dateless workbook: OS and PFS read from columns."""
    path = tmp_path / "data.xlsx"
    pd.DataFrame(rows or _rows()).to_excel(path, sheet_name="patients", index=False)
    raw: dict[str, Any] = {
        "title": "A registry re-analysis",
        "disease": "pancreatic cancer",
        "treatment": {"drug": "gemcitabine"},
        "data": "data.xlsx",
        "columns": {
            "patient_id": "Patient",
            "age": "Age",
            "sex": "Sex",
            "best_response": "Best response",
            "os_months": "Survival, months",
            "os_status": "Vital status",
            "pfs_days": "PFS days",
            "pfs_event": "PFS event",
        },
        "data_cutoff": "2025-06-30",
        "time_unit": "months",
        "endpoints": [OS, PFS],
        "table1": [{"variable": "age"}, {"variable": "sex"}],
        "adverse_events": None,
    }
    raw.update(changes)
    read = {f for e in raw["endpoints"] for f in (e.get("time"), e.get("status")) if f}
    unused = {"os_months", "os_status", "pfs_days", "pfs_event"} - read
    raw["columns"] = {f: h for f, h in raw["columns"].items() if f not in unused}
    text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
    (tmp_path / "study.yml").write_text(text.replace("'2025-06-30'", "2025-06-30"))
    return tmp_path


def _problems(folder: Path) -> list:
    config = load_study(folder)
    return list(validate_workbook(read_workbook(config.data_path, config), config).errors)


# --- the conversion -------------------------------------------------------------------------


def test_times_are_converted_from_the_endpoints_unit_and_events_read() -> None:
    data = pd.DataFrame(
        {"t": [0.0, 30.4375, 365.25], "s": pd.array(["event", "censored", "event"], "string")}
    )
    endpoint = Endpoint(kind="pfs", time="t", status="s", time_unit="days")
    time, days, event = recorded_endpoint(data, endpoint, "months")
    assert time.tolist() == pytest.approx([0.0, 1.0, 12.0], rel=1e-15)
    assert days.tolist() == [0.0, 30.4375, 365.25]
    assert event.tolist() == [1, 0, 1]
    same = Endpoint(kind="os", time="t", status="s")  # the study's unit: taken as written
    assert recorded_endpoint(data, same, "days")[0].tolist() == [0.0, 30.4375, 365.25]
    months = Endpoint(kind="pfs", time="t", status="s", time_unit="months")
    # 4 months recorded are exactly the CBR's 4-month threshold in days, whatever the study unit
    four = pd.DataFrame({"t": [4.0], "s": pd.array(["censored"], "string")})
    assert recorded_endpoint(four, months, "weeks")[1].tolist() == [4 * 30.4375]


@given(
    st.lists(st.floats(0, 1e4, allow_nan=False), min_size=1, max_size=30),
    st.sampled_from(list(DAYS_PER_UNIT)),
    st.sampled_from(list(DAYS_PER_UNIT)),
)
def test_a_time_keeps_its_length_in_days_whatever_the_units(
    times: list[float], unit: str, study_unit: str
) -> None:
    data = pd.DataFrame({"t": times, "s": pd.array(["censored"] * len(times), "string")})
    endpoint = Endpoint(kind="os", time="t", status="s", time_unit=unit)  # type: ignore[arg-type]
    time, days, event = recorded_endpoint(data, endpoint, study_unit)  # type: ignore[arg-type]
    in_days = [t * DAYS_PER_UNIT[unit] for t in times]
    assert (time * DAYS_PER_UNIT[study_unit]).tolist() == pytest.approx(in_days, rel=1e-12)
    assert days.tolist() == in_days
    assert (time >= 0).all() and event.sum() == 0


# --- study.yml ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ({"kind": "os", "time": "t"}, "endpoints.0: `time` is given without `status`"),
        ({"kind": "os", "status": "s"}, "endpoints.0: `status` is given without `time`"),
        (
            {"kind": "pfs", "time": "t", "status": "s", "censor_at": "last_assessment"},
            "endpoints.0: `censor_at` is a rule for deriving the endpoint from dates",
        ),
        ({"kind": "os", "event_values": ["Dead"]}, "endpoints.0: `event_values` apply to an"),
        (
            {"kind": "os", "time": "t", "status": "s", "event_values": [True]},
            "endpoints.0.event_values: true is read by YAML as a truth value",
        ),
        (
            {"kind": "os", "time": "t", "status": "s", "censored_values": ["1"]},
            "1 is both in `event_values` and in `censored_values`",
        ),
        (
            {"kind": "os", "time": "death_date", "status": "s"},
            "endpoints[0].time: 'death_date' is already a field or variable",
        ),
    ],
)
def test_study_yml_refuses_unclear_endpoints(
    tmp_path: Path, endpoint: dict[str, Any], message: str
) -> None:
    folder = _study(tmp_path, endpoints=[endpoint])
    with pytest.raises(StudyConfigError, match=re.escape(message)):
        load_study(folder)


def test_two_endpoints_cannot_read_one_column(tmp_path: Path) -> None:
    pfs = {**PFS, "status": "os_status", "event_values": ["Dead"], "censored_values": ["Alive"]}
    with pytest.raises(StudyConfigError, match=r"endpoints\[1\]\.status: 'os_status' is already"):
        load_study(_study(tmp_path, endpoints=[OS, pfs]))


# --- the workbook ---------------------------------------------------------------------------


def test_a_status_neither_event_nor_censored_is_located(tmp_path: Path) -> None:
    rows = _rows()
    rows["Vital status"][3] = "Lost"
    [problem] = _problems(_study(tmp_path, rows))
    assert (problem.sheet, problem.row, problem.column, problem.value) == (
        "patients", 5, "Vital status", "Lost"
    )  # fmt: skip
    assert problem.rule == "neither an event nor censored (event: Dead; censored: Alive)"
    assert problem.suggestion == (
        "add it to `endpoints[0].event_values` or `endpoints[0].censored_values` in study.yml"
    )


def test_negative_and_missing_times_and_missing_statuses_are_located(tmp_path: Path) -> None:
    rows = _rows()
    rows["Survival, months"][1] = -2
    rows["PFS days"][4] = None
    rows["PFS event"][2] = None
    found = {(p.row, p.column): p.rule for p in _problems(_study(tmp_path, rows))}
    assert found == {
        (3, "Survival, months"): "the OS time cannot be negative",
        (4, "PFS event"): "PFS status is required but this cell is empty",
        (6, "PFS days"): "PFS time (days) is required but this cell is empty",
    }


def test_the_cli_lists_the_status_problem_with_the_line_to_add(tmp_path: Path) -> None:
    rows = _rows()
    rows["PFS event"][0] = "maybe"
    folder = _study(tmp_path, rows)
    done = subprocess.run(
        [sys.executable, "-m", "cohortpress", "validate", str(folder)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    text = " ".join((done.stdout + done.stderr).split())
    assert "maybe" in text and "neither an event nor censored" in text
    assert "endpoints[1].event_values" in text
    assert "Traceback" not in text


def test_a_workbook_without_dates_runs_to_the_text(tmp_path: Path) -> None:
    folder = _study(tmp_path)
    config = load_study(folder)
    workbook = read_workbook(config.data_path, config)
    assert validate_workbook(workbook, config).ok
    assert any("no treatment start column" in n.rule for n in workbook.normalisations)
    cohort = derive_cohort(workbook.patients, workbook.adverse_events, config)
    data = cohort.patients
    assert data["os_time"].tolist() == [3.5, 12.0, 7.25, 20.0, 1.0, 15.5]
    assert data["os_event"].tolist() == [1, 0, 1, 0, 1, 1]
    assert data["pfs_time"].tolist() == pytest.approx([d / 30.4375 for d in _rows()["PFS days"]])
    assert data["pfs_event"].tolist() == [1, 0, 1, 1, 1, 0]
    assert not cohort.dated and cohort.censored_at_cutoff == 0
    results = analyse(cohort, config)
    assert results.treatment is None
    assert results.followup.estimate is not None  # reverse KM of the recorded OS
    assert results.response is not None  # CBR from the recorded PFS time
    sd_lasting = sum(1 for r, d in zip(_rows()["Best response"], _rows()["PFS days"],
                                       strict=True) if r == "SD" and d > 6 * 30.4375)  # fmt: skip
    assert results.response.cbr.k == 1 + sd_lasting
    numbers = collect_numbers(results, config)
    assert "treatment.ongoing.n" not in numbers
    text = write_paragraphs(results, config, numbers, normalisations=[], warnings=[])
    assert (
        "was taken as recorded in the data: the time in the column “Survival"
        in text["methods_definitions"]
    )
    assert "from the start of treatment" not in text["methods_definitions"]
    assert "still receiving" not in text["results_efficacy"]
    assert "censored nothing" in text["data_appendix"]


def test_without_an_age_column_table1_age_is_a_located_error(tmp_path: Path) -> None:
    rows = _rows()
    del rows["Age"]
    folder = _study(tmp_path, rows)
    study = yaml.safe_load((folder / "study.yml").read_text())
    del study["columns"]["age"]  # else also "no column with this header", for the columns: key
    (folder / "study.yml").write_text(yaml.safe_dump(study).replace("'2025-06-30'", "2025-06-30"))
    [problem] = _problems(folder)
    assert (problem.row, problem.column) == (None, "age")
    assert "needed by Table I (table1[0])" in problem.rule


def test_without_dates_and_without_os_follow_up_cannot_be_computed(tmp_path: Path) -> None:
    folder = _study(tmp_path, endpoints=[PFS])
    config = load_study(folder)
    workbook = read_workbook(config.data_path, config)
    assert validate_workbook(workbook, config).ok
    with pytest.raises(StudyConfigError, match="no endpoint is `kind: os`"):
        derive_cohort(workbook.patients, workbook.adverse_events, config)


def test_without_dates_and_without_pfs_the_cbr_says_what_is_missing(tmp_path: Path) -> None:
    folder = _study(tmp_path, endpoints=[OS])
    config = load_study(folder)
    workbook = read_workbook(config.data_path, config)
    cohort = derive_cohort(workbook.patients, workbook.adverse_events, config)
    with pytest.raises(StudyConfigError, match="neither treatment dates nor a pfs endpoint"):
        analyse(cohort, config)


def test_a_mixed_study_derives_os_from_dates_and_reads_pfs(tmp_path: Path) -> None:
    rows = _rows()
    start = pd.Timestamp("2024-01-01")
    rows["Start"] = [start] * 6
    rows["Last seen"] = [start + pd.Timedelta(days=d) for d in (90, 400, 200, 700, 20, 500)]
    rows["Died"] = [start + pd.Timedelta(days=90), None, None, None, None, None]
    rows["Stopped"] = [None] * 6  # every patient still treated
    rows["Why"] = [None] * 6
    columns = {
        "treatment_end": "Stopped",
        "end_reason": "Why",
        **yaml.safe_load((_study(tmp_path) / "study.yml").read_text())["columns"],
        "treatment_start": "Start",
        "last_contact": "Last seen",
        "death_date": "Died",
    }
    folder = _study(tmp_path, rows, endpoints=[{"kind": "os"}, PFS], columns=columns)
    config = load_study(folder)
    workbook = read_workbook(config.data_path, config)
    assert validate_workbook(workbook, config).ok
    cohort = derive_cohort(workbook.patients, workbook.adverse_events, config)
    data = cohort.patients
    month = 30.4375
    # OS from the dates, censored at the cutoff (2025-06-30 is day 546); PFS as recorded
    assert data["os_time"].tolist() == pytest.approx(
        [d / month for d in (90, 400, 200, 546, 20, 500)]
    )
    assert data["os_event"].tolist() == [1, 0, 0, 0, 0, 0]
    assert data["pfs_time"].tolist() == pytest.approx([d / month for d in rows["PFS days"]])
    assert cohort.dated and cohort.censored_at_cutoff == 1
    results = analyse(cohort, config)
    assert results.treatment is not None
    text = write_paragraphs(results, config, collect_numbers(results, config),
                            normalisations=[], warnings=[])["methods_definitions"]  # fmt: skip
    assert text.startswith("Overall survival (OS) was defined as the time from the start")
    assert "Progression-free survival (PFS) was taken as recorded in the data" in text
