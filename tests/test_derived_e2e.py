"""A study that declares its own variables and eligibility rules, run through the command line.

The thyroid workbook gains a diagnosis date, albumin and bilirubin; study.yml computes the ALBI
score, cuts it and age into classes, pools ECOG levels, computes the time from diagnosis to
treatment, and adds two eligibility rules. The expected numbers are computed here by hand with
pandas from the workbook, independently of cohortpress.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
MONTH = 365.25 / 12

DERIVED_VARIABLES = {
    "diagnosis_date": {"label": "Date of diagnosis", "type": "date"},
    "albumin": {"label": "Albumin", "type": "continuous", "unit": "g/dL"},
    "bilirubin": {"label": "Bilirubin", "type": "continuous", "unit": "mg/dL"},
    "albi": {
        "label": "ALBI score",
        "type": "continuous",
        "formula": "0.66*log10(bilirubin*17.1) - 0.085*albumin*10",
    },
    "albi_grade": {
        "label": "ALBI grade",
        "type": "categorical",
        "breaks": {
            "variable": "albi",
            "at": [-2.60, -1.39],
            "closed": "right",
            "labels": ["Grade 1", "Grade 2", "Grade 3"],
        },
    },  # fmt: skip
    "age_group": {
        "label": "Age group",
        "type": "categorical",
        "breaks": {"variable": "age", "at": [70, 80]},
        "reference": "≥80",
    },
    "ecog_group": {
        "label": "ECOG PS group",
        "type": "categorical",
        "pool": {"variable": "ecog", "groups": {"0": ["0"], "1–4": ["1", "2", "3", "4"]}},
    },
    "months_to_treatment": {
        "label": "Time from diagnosis to treatment",
        "type": "continuous",
        "unit": "months",
        "duration": {"start": "diagnosis_date", "end": "treatment_start", "unit": "months"},
    },
}
ADDED_HEADERS = {"diagnosis_date": "Diagnosis date", "albumin": "Albumin", "bilirubin": "Bilirubin"}


def _add_columns(path: Path) -> None:
    """Seeded albumin, bilirubin (one 0: its ALBI cannot be computed), diagnosis dates (one
    missing) and a missing ECOG PS (its eligibility cannot be checked)."""
    rng = np.random.default_rng(20261201)
    book = openpyxl.load_workbook(path)
    sheet = book["patients"]
    headers = {cell.value: cell.column for cell in sheet[1]}
    start_col = headers["Sorafenib start"]
    first_new = sheet.max_column + 1
    for offset, header in enumerate(ADDED_HEADERS.values()):
        sheet.cell(row=1, column=first_new + offset, value=header)
    for row in range(2, sheet.max_row + 1):
        start = sheet.cell(row=row, column=start_col).value
        diagnosis = start - pd.Timedelta(days=int(rng.integers(30, 2000)))
        sheet.cell(row=row, column=first_new, value=None if row == 6 else diagnosis)
        sheet.cell(row=row, column=first_new + 1, value=round(float(rng.uniform(2.5, 4.8)), 1))
        bilirubin = 0 if row == 9 else round(float(rng.uniform(0.3, 2.5)), 2)
        sheet.cell(row=row, column=first_new + 2, value=bilirubin)
    sheet.cell(row=4, column=headers["ECOG PS"]).value = None
    book.save(path)


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("derived") / "derived"
    folder.mkdir()
    (folder.parent / "_quarto.yml").write_bytes((ROOT / "_quarto.yml").read_bytes())
    workbook = folder / "cohort.xlsx"
    workbook.write_bytes((ROOT / "data/thyroid_sorafenib.xlsx").read_bytes())
    _add_columns(workbook)
    config = yaml.safe_load((ROOT / "reports/thyroid/study.yml").read_text(encoding="utf-8"))
    config["data"] = "cohort.xlsx"
    config["columns"] |= ADDED_HEADERS
    config["variables"] |= DERIVED_VARIABLES
    config["inclusion"]["criteria"] = [
        {"exclude": "age < 60", "reason": "younger than 60 years"},
        {"include": "ecog <= 1", "reason": "with ECOG PS 2 or more"},
    ]
    config["table1"] += [
        {"variable": v}
        for v in ("albi", "albi_grade", "age_group", "ecog_group", "months_to_treatment")
    ]
    config["cox"]["covariates"] += [
        {"variable": "age_group"},
        {"variable": "ecog_group"},
        {"variable": "albi", "per": 1},
        {"variable": "albi_grade"},
        {"variable": "months_to_treatment", "cut": 24},
    ]
    config["compare_by"] = "ecog_group"
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    (folder / "study.yml").write_text(text, encoding="utf-8")
    (folder / "manuscript.qmd").write_text(
        (ROOT / "reports/thyroid/manuscript.qmd").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (folder / "references.bib").write_text(  # the manuscript cites it
        (ROOT / "reports/thyroid/references.bib").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return folder


@pytest.fixture(scope="module")
def results(study: Path) -> dict:
    out = study.parent / "out"
    command = [sys.executable, "-m", "cohortpress", "report", str(study), "--output", str(out)]
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((out / "derived/results.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manuscript(study: Path, results: dict) -> str:
    return (manuscript_folder(study) / "manuscript.html").read_text(encoding="utf-8")


def manuscript_folder(study: Path) -> Path:
    return study.parent / "out/derived"


@pytest.fixture(scope="module")
def expected(study: Path) -> pd.DataFrame:
    """The analysed patients and their computed variables, by hand."""
    raw = pd.read_excel(study / "cohort.xlsx", sheet_name="patients")
    cutoff = pd.Timestamp("2021-05-31")
    end = raw["Sorafenib stop"].fillna(cutoff).clip(upper=cutoff)
    raw["days"] = (end - raw["Sorafenib start"]).dt.days
    raw["albi"] = 0.66 * np.log10(raw["Bilirubin"].where(raw["Bilirubin"] > 0) * 17.1) - (
        0.085 * raw["Albumin"] * 10
    )
    raw["months"] = (raw["Sorafenib start"] - raw["Diagnosis date"]).dt.days / MONTH
    return raw


def test_flow_counts_each_rule_in_order(results: dict, expected: pd.DataFrame) -> None:
    young = expected["Age (years)"] < 60
    unknown = ~young & expected["ECOG PS"].isna()
    poor = ~young & (expected["ECOG PS"] > 1)
    short = ~young & ~unknown & ~poor & (expected["days"] < MONTH)
    flow = results["flow"]
    assert flow["screened"]["value"] == len(expected)
    assert young.sum() > 0 and poor.sum() > 0 and unknown.sum() == 1
    assert flow["excluded_by"]["younger_than_60_years"]["value"] == young.sum()
    assert flow["excluded_by"]["with_ecog_ps_2_or_more"]["value"] == poor.sum()
    insufficient = flow["excluded_by"]["with_insufficient_data_for_the_eligibility_criteria"]
    assert insufficient["value"] == 1
    assert flow["excluded_by"]["treated_for_less_than_1_month"]["value"] == short.sum()
    analysed = len(expected) - young.sum() - poor.sum() - unknown.sum() - short.sum()
    assert flow["analysed"]["value"] == analysed
    assert flow["exclusions"]["text"].startswith(f"{young.sum()} patients younger than 60 years")


def _analysed(expected: pd.DataFrame) -> pd.DataFrame:
    keep = (expected["Age (years)"] >= 60) & (expected["ECOG PS"] <= 1)
    return expected[keep & (expected["days"] >= MONTH)]


def test_formula_and_duration_medians(results: dict, expected: pd.DataFrame) -> None:
    analysed = _analysed(expected)
    albi = results["characteristics"]["albi"]
    assert albi["median"]["value"] == pytest.approx(analysed["albi"].median())
    assert albi["max"]["value"] == pytest.approx(analysed["albi"].max())
    months = results["characteristics"]["months_to_treatment"]
    assert months["median"]["value"] == pytest.approx(analysed["months"].median())


def test_classes_and_pooled_levels(results: dict, expected: pd.DataFrame) -> None:
    analysed = _analysed(expected)
    age = analysed["Age (years)"]
    groups = results["characteristics"]["age_group"]
    counts = {lvl: entry["n"]["value"] for lvl, entry in groups.items() if "n" in entry}
    assert sorted(counts.values(), reverse=True) == sorted(
        [(age < 70).sum(), ((age >= 70) & (age < 80)).sum(), (age >= 80).sum()], reverse=True
    )
    grades = pd.cut(analysed["albi"], [-np.inf, -2.6, -1.39, np.inf], right=True)
    albi_grade = results["characteristics"]["albi_grade"]
    albi_counts = {k: v["n"]["value"] for k, v in albi_grade.items() if "n" in v}  # the levels
    assert albi_counts["grade_1"] == (grades.cat.codes == 0).sum()
    assert albi_counts["grade_3"] == (grades.cat.codes == 2).sum()
    ecog = results["characteristics"]["ecog_group"]
    assert ecog["0"]["n"]["value"] == (analysed["ECOG PS"] == 0).sum()
    assert ecog["1_4"]["n"]["value"] == (analysed["ECOG PS"] >= 1).sum()


def test_declared_reference_level_in_cox(results: dict) -> None:
    terms = results["os"]["cox"]["age_group"]["terms"]
    labels = sorted(term["label"]["text"] for term in terms.values())
    assert labels == ["70 to <80 vs ≥80 (ref)", "<70 vs ≥80 (ref)"]
    assert results["os"]["cox"]["ecog_group"]["terms"]["ecog_group_1_4"]["label"]["text"] == (
        "1–4 vs 0 (ref)"
    )


def test_undefined_value_is_missing_and_listed(
    study: Path, results: dict, expected: pd.DataFrame, manuscript: str
) -> None:
    """Row 9 has bilirubin 0: its ALBI is missing (Unknown in Table I), and the data report
    says so at its row."""
    analysed = _analysed(expected)
    assert analysed["Bilirubin"].eq(0).sum() == 1
    grades = results["characteristics"]["albi_grade"]
    levels = [g for g in grades.values() if "n" in g]  # beside the row's n, missing, denominator
    assert sum(g["n"]["value"] for g in levels) == grades["n"]["value"] == len(analysed) - 1
    assert (grades["missing"]["value"], grades["denominator"]["value"]) == (1, len(analysed))
    assert re.search(r"Grade 3</td>.*?Unknown</td>\s*<td[^>]*>1 \(", manuscript, re.DOTALL)
    report = manuscript_folder(study) / "data_report.html"
    assert "patients, row 9: ALBI score cannot be computed from this row" in report.read_text()
