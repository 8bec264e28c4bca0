"""Survival at fixed times and a three-group log-rank test against R (tests/reference/
make_landmarks.R; R is not needed to run these tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohortpress.analyse._cox import CoxCovariate
from cohortpress.analyse._km import km_estimate, risk_table
from cohortpress.analyse._logrank import logrank_test
from cohortpress.analyse._study import EndpointResult
from cohortpress.analyse._survival import _grouped, landmarks
from cohortpress.config import StudyConfig, load_study
from cohortpress.present.numbers import Numbers
from cohortpress.present.numbers import _grouped as _grouped_numbers

ROOT = Path(__file__).resolve().parents[1]
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


def _thyroid_config(conf_type: str) -> StudyConfig:
    config = load_study(ROOT / "reports/thyroid")
    stats = config.statistics.model_copy(update={"ci_transform": conf_type})
    return config.model_copy(update={"statistics": stats})


@pytest.mark.parametrize("case", FIXTURE["survival_at_by_group"], ids=lambda c: c["conf_type"])
def test_survival_at_times_per_group_matches_r(case: dict) -> None:
    """The curves by a factor carry each level's survival at the landmark times, as R's
    ``summary(survfit(Surv(time, status) ~ celltype), times = ...)`` gives them per stratum."""
    levels = tuple(g["level"] for g in case["groups"])
    spec = CoxCovariate("celltype", "celltype", "categorical", "Cell type", levels, levels[0])
    times = tuple(case["times"])
    grouped = _grouped(
        VETERAN, "time", "status", spec, None, (0.0,), _thyroid_config(case["conf_type"]), times
    )  # type: ignore[arg-type]
    assert grouped.levels == levels
    for ref, marks in zip(case["groups"], grouped.landmarks, strict=True):
        assert [m.time for m in marks] == list(times)
        estimable = [m for m in marks if m.surv is not None]
        assert [m.time for m in estimable] == ref["reported"], ref["level"]
        assert all(m.surv is None for m in marks[len(estimable) :])
        assert [m.n_risk for m in estimable] == ref["n_risk"]
        for name in ("surv", "lower", "upper"):
            got = [getattr(m, name) for m in estimable]
            assert got == pytest.approx(ref[name], rel=1e-10), (ref["level"], name)


def test_group_landmarks_reach_results_json_with_the_r_call() -> None:
    """Registry entries per level: value, CI, text and number at risk, with the stratified
    R call; a time beyond the group's follow-up is 'not estimable'."""
    case = FIXTURE["survival_at_by_group"][1]  # log-log
    levels = tuple(g["level"] for g in case["groups"])
    spec = CoxCovariate("celltype", "celltype", "categorical", "Cell type", levels, levels[0])
    config = _thyroid_config("log-log")
    grouped = _grouped(VETERAN, "time", "status", spec, None, (0.0,), config, (90.0, 365.0))  # type: ignore[arg-type]
    numbers = Numbers()
    overall = km_estimate(VETERAN["time"], VETERAN["status"], ci_transform="log-log")
    endpoint = EndpointResult(
        "os", None, None, overall, risk_table([overall], (0.0,)), (grouped,), (), None, (), None,
        landmarks=landmarks(overall, (90.0, 365.0)),
    )  # fmt: skip
    _grouped_numbers(numbers, "os.by.celltype", endpoint, grouped, "days", "threshold")
    tree = json.loads(numbers.to_json())["os"]["by"]["celltype"]
    large = tree["large"]["landmarks"]["t90"]
    surv = case["groups"][1]["surv"][1]  # results.json holds the percentage the text prints
    assert large["value"]["value"] == pytest.approx(100 * surv, rel=1e-10)
    assert large["n_risk"]["value"] == case["groups"][1]["n_risk"][1] == 20
    assert large["text"]["text"] == "74.1% (95% CI 53.2–86.7%)"
    assert (
        'survfit(Surv(time, status) ~ celltype, conf.type = "log-log"' in large["value"]["method"]
    )
    assert "times = 90), stratum celltype=large" in large["value"]["method"]
    assert tree["adeno"]["landmarks"]["t365"]["text"]["text"] == "not estimable"


def _product_limit(time: pd.Series, status: pd.Series, t: float) -> float:
    """S(t) written out: the product over event times u <= t of 1 - d(u) / n(u)."""
    s = 1.0
    for u in sorted(set(time[status == 1])):
        if u > t:
            break
        s *= 1 - ((time == u) & (status == 1)).sum() / (time >= u).sum()
    return s


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(1, 40), st.integers(0, 1), st.sampled_from(["a", "b", "c"])),
        min_size=1,
        max_size=40,
    ),
    times=st.lists(st.floats(0.5, 45.0, allow_nan=False), min_size=1, max_size=4, unique=True),
)
def test_group_landmarks_are_each_groups_own_estimate(rows: list, times: list[float]) -> None:
    """Per level: the number at risk is the level's patients with time >= t; beyond the
    level's last time nothing is estimated; else S(t) is the level's own product-limit
    estimate, inside its band. Levels without patients get no curve."""
    data = pd.DataFrame(rows, columns=["time", "status", "group"])
    levels = ("a", "b", "c")
    spec = CoxCovariate("group", "group", "categorical", "Group", levels, "a")
    grouped = _grouped(
        data, "time", "status", spec, None, (0.0,), _thyroid_config("log-log"), tuple(times)
    )  # type: ignore[arg-type]
    assert grouped.levels == tuple(lvl for lvl in levels if (data["group"] == lvl).any())
    for level, marks in zip(grouped.levels, grouped.landmarks, strict=True):
        sub = data[data["group"] == level]
        for mark in marks:
            assert mark.n_risk == (sub["time"] >= mark.time).sum()
            if mark.time > sub["time"].max():
                assert mark.surv is None and mark.lower is None
                continue
            assert mark.surv == pytest.approx(_product_limit(sub["time"], sub["status"], mark.time))
            if mark.lower is not None and mark.upper is not None:
                assert mark.lower <= mark.surv + 1e-12 and mark.surv <= mark.upper + 1e-12
