"""Survival at fixed times and a three-group log-rank test against R (tests/reference/
make_landmarks.R; R is not needed to run these tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cohortpress.analyse._km import km_estimate
from cohortpress.analyse._logrank import logrank_test
from cohortpress.analyse._survival import landmarks

REFERENCE = Path(__file__).parent / "reference"
FIXTURE = json.loads((REFERENCE / "landmarks.json").read_text(encoding="utf-8"))
VETERAN = pd.read_csv(REFERENCE / "data/veteran.csv")


@pytest.mark.parametrize("case", FIXTURE["survival_at"], ids=lambda c: c["conf_type"])
def test_survival_at_times_matches_r(case: dict) -> None:
    km = km_estimate(VETERAN["time"], VETERAN["status"], ci_transform=case["conf_type"])
    marks = landmarks(km, tuple(case["times"]))
    estimable = [m for m in marks if m.surv is not None]
    # R leaves out a time beyond the last follow-up; we report it as not estimable.
    assert [m.time for m in estimable] == case["reported"]
    assert all(m.surv is None and m.lower is None for m in marks[len(estimable) :])
    assert [m.n_risk for m in estimable] == case["n_risk"]
    for name in ("surv", "lower", "upper"):
        assert [getattr(m, name) for m in estimable] == pytest.approx(case[name], rel=1e-10)


def test_three_group_logrank_matches_r() -> None:
    ref = FIXTURE["logrank"]
    three = VETERAN[VETERAN["celltype"] != "large"]
    result = logrank_test(three["time"], three["status"], three["celltype"])
    assert list(result.groups) == ref["groups"]
    assert result.df == ref["df"] == 2
    assert result.chisq == pytest.approx(ref["chisq"], rel=1e-10)
    assert result.p == pytest.approx(ref["p"], rel=1e-8)
