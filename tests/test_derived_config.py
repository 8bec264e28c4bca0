"""Computed variables and eligibility criteria in study.yml: what loads, and what is refused.

Mistakes are study.yml errors found when the study is loaded (exit 2 at the command line),
naming the variable and, for a formula, the position under the formula.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

from cohortpress.config import Breaks, load_study
from cohortpress.derive._derived import cut_into_classes, pool_levels
from cohortpress.errors import StudyConfigError

ROOT = Path(__file__).resolve().parents[1]


def _study(tmp_path: Path, variables: dict[str, Any], **extra: Any) -> Path:
    raw = yaml.safe_load((ROOT / "reports/thyroid/study.yml").read_text(encoding="utf-8"))
    raw["variables"] |= variables
    raw["data"] = str(ROOT / "data/thyroid_sorafenib.xlsx")
    for key, value in extra.items():
        raw[key] = value
    text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
    (tmp_path / "study.yml").write_text(text, encoding="utf-8")
    return tmp_path


def _error(tmp_path: Path, variables: dict[str, Any], **extra: Any) -> str:
    with pytest.raises(StudyConfigError) as caught:
        load_study(_study(tmp_path, variables, **extra))
    return str(caught.value)


SII = {"label": "SII", "type": "continuous", "formula": "platelets * neutrophils / lymphocytes"}


def test_computed_variables_load(tmp_path: Path) -> None:
    config = load_study(
        _study(
            tmp_path,
            {
                "sii": SII,
                "sii_class": {
                    "label": "SII class",
                    "type": "categorical",
                    "breaks": {"variable": "sii", "at": [500000, 1000000]},
                },
                "nlr_squared": {"label": "NLR²", "type": "continuous", "formula": "NLR ** 2"},
            },
        )
    )
    assert config.variables["sii_class"].levels == ("<500000", "500000 to <1000000", "≥1000000")
    assert "sii" not in config.workbook_variables
    assert "neutrophils" in config.workbook_variables


def test_formula_error_names_variable_and_position(tmp_path: Path) -> None:
    bmi = {"label": "BMI", "type": "continuous", "formula": "weight / (height/100)^2"}
    message = _error(tmp_path, {"bmi": bmi})
    assert "variables.bmi.formula: operator ^ (write a power as **) not allowed (column 22)" in (
        message
    )
    assert "    weight / (height/100)^2\n" + " " * 25 + "^" in message


def test_unknown_name_suggests_the_close_one(tmp_path: Path) -> None:
    sii = {**SII, "formula": "platelets * neutrophil / lymphocytes"}
    message = _error(tmp_path, {"sii": sii})
    assert "variables.sii: unknown variable 'neutrophil' (did you mean 'neutrophils'?)" in message


def test_a_cycle_is_named(tmp_path: Path) -> None:
    variables = {
        "x": {"label": "X", "type": "continuous", "formula": "y + 1"},
        "y": {"label": "Y", "type": "continuous", "formula": "x * 2"},
    }
    message = _error(tmp_path, variables)
    assert "compute each other in a circle" in message
    assert "x → y → x" in message or "y → x → y" in message


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"bad": {"label": "B", "type": "continuous", "formula": "histology * 2"}},
            "variables.bad: 'histology' is not a number (a formula reads numbers only)",
        ),
        (
            {"bad": {"label": "B", "type": "categorical", "formula": "age * 2"}},
            "a variable with `formula` is continuous",
        ),
        (
            {"bad": {"label": "B", "type": "categorical",
                     "breaks": {"variable": "sex", "at": [1]}}},
            "variables.bad: 'sex' is not a number (breaks cut a continuous variable)",
        ),
        (
            {"bad": {"label": "B", "type": "categorical",
                     "breaks": {"variable": "age", "at": [60, 50]}}},
            "`at` must be increasing",
        ),
        (
            {"bad": {"label": "B", "type": "categorical",
                     "breaks": {"variable": "age", "at": [60], "labels": ["young"]}}},
            "1 break(s) need 2 labels",
        ),
        (
            {"bad": {"label": "B", "type": "categorical",
                     "breaks": {"variable": "age", "at": [60], "labels": ["Young", "young"]}}},
            "variables.bad.breaks: labels[0] 'Young' and labels[1] 'young' differ only in case "
            "or surrounding spaces; each class needs its own label",
        ),
        (
            {"bad": {"label": "B", "type": "categorical",
                     "pool": {"variable": "ecog", "groups": {"Low": ["0", "1"],
                                                             "low": ["2", "3", "4"]}}}},
            "variables.bad.pool: groups.Low and groups.low differ only in case or surrounding "
            "spaces; name each group differently",
        ),
        (
            {"bad": {"label": "B", "type": "categorical",
                     "pool": {"variable": "ecog", "groups": {"0": ["0"], "1+": ["1", "2"]}}}},
            "pool each exactly once (not pooled: ['3', '4'], unknown: [])",
        ),
        (
            {"bad": {"label": "B", "type": "continuous",
                     "duration": {"start": "age", "end": "treatment_start"}}},
            "variables.bad: 'age' is not a date (a duration is between two dates)",
        ),
        (
            {"bad": {"label": "B", "type": "categorical", "reference": "old",
                     "breaks": {"variable": "age", "at": [60]}}},
            "reference 'old' is not one of the levels",
        ),
        (
            {"bad": {"label": "B", "type": "categorical", "levels": ["a"],
                     "pool": {"variable": "ecog", "groups": {"all": ["0", "1", "2", "3", "4"]}}}},
            "takes its levels from them",
        ),
    ],
)  # fmt: skip
def test_mistakes_are_named(tmp_path: Path, variables: dict[str, Any], message: str) -> None:
    assert message in _error(tmp_path, variables)


def test_a_date_cannot_be_a_table_row(tmp_path: Path) -> None:
    raw_rows = yaml.safe_load((ROOT / "reports/thyroid/study.yml").read_text(encoding="utf-8"))
    rows = [*raw_rows["table1"], {"variable": "diagnosis_date"}]
    variables = {"diagnosis_date": {"label": "Diagnosis", "type": "date"}}
    message = _error(tmp_path, variables, table1=rows)
    assert "table1[10]: 'diagnosis_date' is a date; use a `duration` computed from it" in message


def test_criteria_need_one_condition_and_known_names(tmp_path: Path) -> None:
    both = {"include": "age > 1", "exclude": "age < 1", "reason": "x"}
    assert "give either `include` or `exclude`" in _error(
        tmp_path, {}, inclusion={"criteria": [both]}
    )
    unknown = {"exclude": "agee < 18", "reason": "younger than 18"}
    message = _error(tmp_path, {}, inclusion={"criteria": [unknown]})
    assert "inclusion.criteria[0]: unknown variable 'agee' (did you mean 'age'?)" in message


def test_breaks_closed_side_and_missing() -> None:
    values = pd.Series([49, 50, 59.5, 60, np.nan])
    assert Breaks(variable="x", at=(0.5, 2)).class_labels() == ("<0.5", "0.5 to <2", "≥2")
    left = cut_into_classes(values, Breaks(variable="age", at=(50, 60)))
    assert left.tolist()[:4] == ["<50", "50 to <60", "50 to <60", "≥60"]
    right = cut_into_classes(values, Breaks(variable="age", at=(50, 60), closed="right"))
    assert right.tolist()[:4] == ["≤50", "≤50", ">50 to 60", ">50 to 60"]
    assert pd.isna(left.iloc[4]) and pd.isna(right.iloc[4])


def test_pooling_keeps_missing() -> None:
    from cohortpress.config import Pool

    pool = Pool(variable="ecog", groups={"0": ("0",), "1–2": ("1", "2")})
    pooled = pool_levels(pd.Series(["0", "2", None, "1"], dtype="string"), pool)
    assert pooled.tolist()[:2] == ["0", "1–2"] and pd.isna(pooled.iloc[2])
    assert pooled.iloc[3] == "1–2"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "cohortpress", *args]
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, env=env)


def test_validate_stops_on_a_formula_error_with_exit_2(tmp_path: Path) -> None:
    folder = _study(tmp_path, {"sii": {**SII, "formula": "platelets * neutrophils /"}})
    done = _run("validate", str(folder))
    assert done.returncode == 2
    assert "variables.sii.formula: cannot read the formula: incomplete" in done.stderr
    assert "Traceback" not in done.stderr


def test_validate_reports_dates_out_of_order(tmp_path: Path) -> None:
    """A diagnosis after the start of treatment is an error at its row (exit 1)."""
    workbook = tmp_path / "cohort.xlsx"
    shutil.copy(ROOT / "data/thyroid_sorafenib.xlsx", workbook)
    book = openpyxl.load_workbook(workbook)
    sheet = book["patients"]
    headers = {cell.value: cell.column for cell in sheet[1]}
    column = sheet.max_column + 1
    sheet.cell(row=1, column=column, value="Diagnosis date")
    for row in range(2, sheet.max_row + 1):
        start = sheet.cell(row=row, column=headers["Sorafenib start"]).value
        days = 30 if row != 7 else -3  # row 7: diagnosed three days after the first dose
        sheet.cell(row=row, column=column, value=start - pd.Timedelta(days=days))
    book.save(workbook)
    variables = {
        "diagnosis_date": {"label": "Date of diagnosis", "type": "date"},
        "months_from_diagnosis": {
            "label": "Time from diagnosis",
            "type": "continuous",
            "duration": {"start": "diagnosis_date", "end": "treatment_start"},
        },
    }
    raw = yaml.safe_load((ROOT / "reports/thyroid/study.yml").read_text(encoding="utf-8"))
    columns = {**raw["columns"], "diagnosis_date": "Diagnosis date"}
    folder = _study(tmp_path, variables, columns=columns)
    config = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    config["data"] = str(workbook)
    (folder / "study.yml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    done = _run("validate", str(folder), "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    problems = json.loads(done.stdout)
    errors = [p for p in problems if p["severity"] == "error"]
    assert [(p["row"], p["column"]) for p in errors] == [(7, "Sorafenib start")]
    assert errors[0]["rule"] == "before Diagnosis date (Time from diagnosis)"


@pytest.mark.parametrize("missing", ["exclude", "keep"])
def test_criteria_count_each_patient_once_in_order(missing: str) -> None:
    from cohortpress.config import Criterion, Duration, Inclusion
    from cohortpress.derive._inclusion import INSUFFICIENT, apply_inclusion
    from cohortpress.present.wording import exclusion_reason

    criteria = (
        Criterion(exclude="age < 18", reason="younger than 18 years"),
        Criterion(include="ecog <= 2", reason="with ECOG PS 3 or 4"),
    )
    inclusion = Inclusion(
        criteria=criteria, missing=missing, min_treatment=Duration(value=30, unit="days")
    )
    config = load_study(ROOT / "reports/thyroid").model_copy(update={"inclusion": inclusion})
    data = pd.DataFrame(
        {  # 17 and ECOG 3: counted as younger only; missing age: insufficient data (or kept)
            "age": [17, 40, 50, np.nan, 60, 70],
            "ecog": ["3", "3", "1", "0", None, "0"],
            "treatment_days": [100, 100, 100, 100, 100, 10],
        }
    )
    kept, lines, reasons = apply_inclusion(data, config)
    assert reasons.notna().sum() == (~kept).sum()  # each excluded patient has its reason
    assert set(reasons.dropna()) == {line.rule for line in lines if line.n}
    counts = {exclusion_reason(line.rule): line.n for line in lines}
    assert list(counts)[:2] == ["younger than 18 years", "with ECOG PS 3 or 4"]
    assert counts["younger than 18 years"] == 1
    assert counts["with ECOG PS 3 or 4"] == 1
    assert counts["treated for less than 30 days"] == 1
    if missing == "exclude":
        assert counts[exclusion_reason(INSUFFICIENT)] == 2
        assert kept.tolist() == [False, False, True, False, False, False]
    else:
        assert INSUFFICIENT not in {line.rule for line in lines}
        assert kept.tolist() == [False, False, True, True, True, False]
    assert sum(counts.values()) == len(data) - kept.sum()
