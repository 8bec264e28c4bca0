"""What a Table I row, a Cox factor, a marker and ``compare_by`` ask of their variables, checked
when study.yml is read: ``validate`` and ``report`` stop alike (exit 2), naming the key, where
``report`` used to stop as a bug, ignore the setting, or print an empty row."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from examples import thyroid_study

from cohortpress.config import load_study
from cohortpress.errors import StudyConfigError

ROOT = Path(__file__).resolve().parents[1]


def _study(tmp_path: Path, change: Any) -> Path:
    return thyroid_study(tmp_path, change, ROOT / "data/thyroid_sorafenib.xlsx")


def _covariate(raw: dict[str, Any], variable: str) -> dict[str, Any]:
    return next(c for c in raw["cox"]["covariates"] if c["variable"] == variable)


def _row(raw: dict[str, Any], variable: str) -> dict[str, Any]:
    return next(r for r in raw["table1"] if r["variable"] == variable)


CASES = [
    pytest.param(
        lambda raw: _covariate(raw, "diagnosis").update(reference="Locally-advanced"),
        r"cox.covariates\[3\].reference: 'Locally-advanced' is not one of Locally advanced, "
        r"Recurrence \(did you mean 'Locally advanced'\?\)",
        id="reference-typo",
    ),
    pytest.param(
        lambda raw: _covariate(raw, "age").update(cut=65, reference="old"),
        r"cox.covariates\[0\].reference: 'old' is not one of ≥65, <65",
        id="reference-of-a-cut",
    ),
    pytest.param(
        lambda raw: _covariate(raw, "age").update(cut=None, reference="60"),
        r"cox.covariates\[0\].reference: 'age' enters the model as a number",
        id="reference-of-a-number",
    ),
    pytest.param(
        lambda raw: raw["markers"]["NLR"].update(high_label="Low"),
        r"markers.NLR: high_label and low_label are both 'Low'",
        id="marker-groups-alike",
    ),
    pytest.param(  # "CRP marker: High vs high (ref)"
        lambda raw: raw["markers"]["NLR"].update(high_label="High", low_label="high"),
        r"markers.NLR: high_label 'High' and low_label 'high' differ only in case or "
        r"surrounding spaces; name the two groups differently",
        id="marker-groups-alike-but-for-case",
    ),
    pytest.param(
        lambda raw: _covariate(raw, "histology").update(
            groups={
                "Papillary": ["Papillary"],
                "papillary": ["Follicular", "Poorly differentiated"],
            }
        ),
        r"cox.covariates.4: groups.Papillary and groups.papillary differ only in case",
        id="factor-groups-alike",
    ),
    pytest.param(
        lambda raw: _row(raw, "age").update(cut=70, cut_labels=["≥70 ", "≥70"]),
        r"table1.0: cut_labels\[0\] '≥70 ' and cut_labels\[1\] '≥70' differ only",
        id="row-cut-labels-alike",
    ),
    pytest.param(  # the workbook's "poorly differentiated" could be read as one of them only
        lambda raw: raw["variables"]["histology"].update(
            levels=["Papillary", "Follicular", "Poorly differentiated", "poorly-differentiated"]
        ),
        r"variables.histology: levels\[2\] 'Poorly differentiated' and levels\[3\] "
        r"'poorly-differentiated' are read as one value \(cells are matched ignoring case, "
        r"spacing, '_' and '-'\); list each level once",
        id="levels-read-alike",
    ),
    pytest.param(
        lambda raw: raw["variables"]["ecog"].update(levels=["0", "1", "2", "3", "4", "0"]),
        r"variables.ecog: levels\[0\] and levels\[5\] are both '0'",
        id="level-listed-twice",
    ),
    pytest.param(
        lambda raw: _covariate(raw, "ecog").update(groups={"1–2": ["1", "2"], "0": ["O"]}),
        r"cox.covariates\[2\].groups.0: 'O' is not a level of 'ecog' \(0, 1, 2, 3, 4\)",
        id="group-level-typo",
    ),
    pytest.param(
        lambda raw: _covariate(raw, "ecog").update(
            groups={"1–2": ["1", "2"], "0–1": ["0", "1"]}, reference="0–1"
        ),
        r"cox.covariates\[2\].groups: 1 in two groups",
        id="level-in-two-groups",
    ),
    pytest.param(
        lambda raw: _covariate(raw, "diagnosis").update(cut=2),
        r"cox.covariates\[3\].cut: 'diagnosis' is not a number",
        id="cut-of-a-category",
    ),
    pytest.param(
        lambda raw: _covariate(raw, "age").update(cut=65, per=10),
        r"cox.covariates\[0\].per: only a number used as it is",
        id="per-with-cut",
    ),
    pytest.param(
        lambda raw: _covariate(raw, "age").update(cut=65, cut_labels=["old", "old"]),
        r"cox.covariates.0: cut_labels\[0\] and cut_labels\[1\] are both 'old'",
        id="cut-labels-alike",
    ),
    pytest.param(
        lambda raw: raw["table1"].insert(
            0, {"variable": "age", "label": "Age group", "summary": "n_percent"}
        ),
        r"table1\[0\].summary: n_percent needs a `cut` for 'age', a number",
        id="n-percent-without-cut",
    ),
    pytest.param(
        lambda raw: _row(raw, "ecog").update(summary="median_iqr"),
        r"table1\[\d+\].summary: median_iqr is for a number without `cut`",
        id="median-of-a-category",
    ),
    pytest.param(
        lambda raw: _row(raw, "ecog").update(levels_shown=["0", "1", "2", "5"]),
        r"table1\[\d+\].levels_shown: '5' is not a level of 'ecog' \(0, 1, 2, 3, 4\)",
        id="levels-shown-typo",
    ),
    pytest.param(
        lambda raw: raw.update(compare_by="age"),
        r"compare_by: 'age' is not a categorical or binary variable or a marker",
        id="compare-by-a-number",
    ),
]


@pytest.mark.parametrize(("change", "message"), CASES)
def test_a_setting_that_does_not_fit_its_variable_is_named(
    tmp_path: Path, change: Any, message: str
) -> None:
    with pytest.raises(StudyConfigError, match=message):
        load_study(_study(tmp_path, change))


def test_validate_stops_on_a_reference_report_stopped_on_as_a_bug(tmp_path: Path) -> None:
    """A mistyped reference level passed ``validate``; ``report`` then exited 70 ("a bug")."""
    folder = _study(tmp_path, CASES[0].values[0])
    command = [sys.executable, "-m", "cohortpress", "validate", str(folder)]
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cox.covariates[3].reference: 'Locally-advanced'" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_example_studies_fit_their_variables() -> None:
    for study in ("thyroid", "renal"):
        config = load_study(ROOT / "reports" / study)
        for cov in config.cox.covariates:
            coded = config.factor_levels(cov)
            assert coded is None or coded[1] in coded[0]
