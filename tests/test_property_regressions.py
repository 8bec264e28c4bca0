"""Inputs that tests/test_properties.py found failing, kept as plain examples.

Each test names what went wrong.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from strategies import Study, write_study

from cohortpress.analyse._cox import CoxCovariate, cox_fit
from cohortpress.analyse._logrank import logrank_test
from cohortpress.present.notes import logrank_note, term_note

if TYPE_CHECKING:
    from pathlib import Path

ARM = CoxCovariate("arm", "arm", "categorical", "Arm", levels=("Yes", "No"), reference="Yes")


def test_cox_fit_that_runs_out_of_iterations_reports_no_infinite_bound() -> None:
    """Two patients, one per level, both with an event: the coefficient runs off to infinity.

    R (survival 3.x) stops after 20 iterations with coef -21.20289, se 40192.97 and an upper
    95% bound of Inf, which results.json cannot hold; the hazard ratio is not estimable.
    """
    data = pd.DataFrame({"time": [0.0, 37.0], "event": [1, 1], "arm": ["Yes", "No"]})
    result = cox_fit(data, "time", "event", [ARM], ties="breslow", conf_level=0.9)
    term = result.terms[0]
    assert (term.hr, term.lower, term.upper, term.p) == (None, None, None, None)
    assert "monotone likelihood" in (term_note(term, result) or "")
    assert not result.converged
    numbers = [result.likelihood_ratio.statistic, result.score.statistic]
    assert all(math.isfinite(x) for x in numbers)


def test_cox_fit_with_a_loglik_of_zero_is_not_estimable() -> None:
    """The only event happens when one patient is left at risk: the log-likelihood is 0 for
    every coefficient (ZeroDivisionError in the convergence test before). R: 20 iterations,
    "Ran out of iterations and did not converge", variance 0."""
    data = pd.DataFrame({"time": [0.457, 0.868], "event": [0, 1], "arm": ["Yes", "No"]})
    result = cox_fit(data, "time", "event", [ARM])
    term = result.terms[0]
    assert term.hr is None and not result.converged and result.iterations == 20
    assert "no event occurred while patients with different values were at risk" in (
        term_note(term, result) or ""
    )


def test_logrank_with_zero_variance_has_nothing_to_test() -> None:
    """Two patients, one per marker group, both with an event on day 0: the variance is 0.

    R's survdiff stops here ("system is exactly singular"); numpy raised LinAlgError.
    """
    result = logrank_test([0.0, 0.0], [1, 1], ["High", "Low"])
    assert (result.chisq, result.df, result.p) == (0.0, 0, 1.0)
    assert "all the patients at risk had the event" in (logrank_note(result) or "")


def small_study(**config: Any) -> Study:
    """Four patients, two deaths, and a study.yml with the keys given (plus the required ones)."""
    start = dt.date(2020, 1, 1)
    rows = []
    for i, (days, died) in enumerate([(100, True), (200, False), (300, True), (400, False)]):
        end = start + dt.timedelta(days=days)
        rows.append(
            {
                "patient_id": f"P{i + 1}",
                "treatment_start": start,
                "progression_date": None,
                "death_date": end if died else None,
                "last_contact": end,
                "treatment_end": end,
                "end_reason": "death" if died else "other",
                "age": 50 + i,
                "sex": ("Male", "Female")[i % 2],
            }
        )
    base = {
        "title": "A small cohort",
        "disease": "a cancer",
        "treatment": {"drug": "studymab"},
        "data_cutoff": dt.date(2021, 12, 31),
        "endpoints": [{"kind": "os"}],
        "cox": {"covariates": [{"variable": "sex", "reference": "Female"}]},
    }
    return Study(config=base | config, patients=rows, adverse_events=[])


def report(study: Study, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    tmp_path.mkdir(exist_ok=True)
    folder = write_study(study, tmp_path)
    command = [
        sys.executable, "-m", "cohortpress", "report", str(folder), "--to", "html",
        "--engine", "embedded", "--output", str(tmp_path / "out"), "-q",
    ]  # fmt: skip
    env = {**os.environ, "COLUMNS": "200"}  # the problems table wide enough not to fold words
    return subprocess.run(command, capture_output=True, text=True, check=False, env=env)


@pytest.mark.slow
def test_small_study_reports(tmp_path: Path) -> None:
    """The base of the examples below renders as it is."""
    done = report(small_study(), tmp_path)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_study_without_cox_covariates_reports(tmp_path: Path) -> None:
    done = report(small_study(cox={"covariates": []}), tmp_path)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_age_cut_in_table1_reports(tmp_path: Path) -> None:
    done = report(small_study(table1=[{"variable": "age", "cut": 52}]), tmp_path)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_declared_response_without_its_column_names_the_key(tmp_path: Path) -> None:
    """A workbook without best responses: the response analysis is left out by default, and
    a declared ``response:`` needs the column: one located error naming what needs it (it
    raised KeyError before)."""
    assert report(small_study(), tmp_path / "default").returncode == 0
    done = report(small_study(response={"criteria": "RECIST 1.1"}), tmp_path / "declared")
    assert done.returncode == 1, done.stderr
    assert "best_response" in done.stdout and "response: in study.yml" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_waterfall_without_changes_names_the_key(tmp_path: Path) -> None:
    """``waterfall: true`` with no change of target lesions recorded (ValueError before)."""
    study = small_study(response={"waterfall": True})
    for row in study.patients:
        row["best_response"], row["best_change_pct"] = "SD", None
    done = report(study, tmp_path)
    assert done.returncode == 2, done.stderr
    assert "response.waterfall" in done.stderr and "best_change_pct" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_comparison_with_blanks_in_one_group_lines_up(tmp_path: Path) -> None:
    """A characteristic blank only in one compared group: both columns get an "Unknown" row
    (the table builder raised IndexError, or dropped the row when the other group had it)."""
    arm = {"label": "Arm", "type": "categorical", "levels": ["A", "B"]}
    site = {"label": "Site", "type": "categorical", "levels": ["Liver", "Lung"]}
    study = small_study(
        variables={"arm": arm, "site": site},
        table1=[{"variable": "site"}],
        compare_by="arm",
    )
    for row, (group, place) in zip(
        study.patients, [("A", "Liver"), ("A", "Lung"), ("B", None), ("B", "Lung")], strict=True
    ):
        row["arm"], row["site"] = group, place
    done = report(study, tmp_path)
    assert done.returncode == 0, done.stderr
    sheets = pd.read_excel(
        tmp_path / "out" / "study" / "supplementary.xlsx", sheet_name=None, header=None
    )
    (table,) = [t for t in sheets.values() if t.astype(str).stack().str.contains("by arm").any()]
    unknown = table[table[0].astype(str).str.strip() == "Unknown"]
    assert unknown.iloc[0, 1:3].tolist() == ["0 (0)", "1 (50.0)"]


@pytest.mark.slow
def test_inclusion_rule_that_excludes_everyone_names_the_rule(tmp_path: Path) -> None:
    """Every patient treated for less than the minimum (ValueError in the risk table before)."""
    study = small_study(inclusion={"min_treatment": {"value": 2, "unit": "years"}})
    done = report(study, tmp_path)
    assert done.returncode == 2, done.stderr
    flat = " ".join(done.stderr.split())
    assert "inclusion.min_treatment" in flat and "4 treated for less than 2 years" in flat
    assert "Traceback" not in done.stderr
