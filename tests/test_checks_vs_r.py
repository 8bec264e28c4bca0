"""What a statistician checks results.json against, against R (tests/reference/checks.json,
written by ``Rscript tests/reference/make_checks.R``; R is not needed to run these tests).

Per Cox term coef, SE, z and Wald p; per model the log-likelihoods and Harrell's concordance
with its standard error (survival's ``concordance``: ties in the predictor count 1/2, events
tied in time are not compared); the log-rank table as ``survdiff`` prints it; numbers at risk
by group; the summaries of a continuous Table I row. All to 1e-10 relative (counts exactly).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohortpress.analyse._concordance import (
    RunningCounts,
    WaveletMatrix,
    _concordance,
    concordance,
    pair_counts,
)
from cohortpress.analyse._cox import CoxCovariate, cox_fit
from cohortpress.analyse._km import km_estimate, risk_table
from cohortpress.analyse._logrank import logrank_test
from cohortpress.analyse._summaries import distribution

REFERENCE = Path(__file__).parent / "reference"
FIXTURE = json.loads((REFERENCE / "checks.json").read_text(encoding="utf-8"))
REL = 1e-10


def data(case: dict) -> pd.DataFrame:
    if "csv" in case:
        return pd.read_csv(REFERENCE / case["csv"])
    return pd.DataFrame(case["inputs"])


def cases(group: str) -> list:
    return [pytest.param(c, id=c["id"]) for c in FIXTURE[group]]


def close(actual: object, expected: object, rel: float = REL) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rel, atol=0
    )


def test_fixture_records_its_provenance() -> None:
    assert FIXTURE["r_version"].startswith("R version")
    assert FIXTURE["survival_version"] == "3.5.3"
    assert FIXTURE["generated_by"] == "tests/reference/make_checks.R"


def covariates(case: dict) -> list[CoxCovariate]:
    return [
        CoxCovariate(
            s["name"],
            s["column"],
            s["kind"],
            s["name"],
            levels=tuple(s["levels"]) if s.get("levels") else None,
            reference=s.get("reference"),
            per=s["per"],
        )
        for s in case["covariates"]
    ]


@pytest.mark.parametrize("case", cases("cox"))
def test_cox_terms_loglik_and_concordance_match_coxph(case: dict) -> None:
    result = cox_fit(data(case), "time", "status", covariates(case), ties=case["ties"])
    assert (result.n, result.events) == (case["n"], case["events"])
    for name in ("coef", "se", "z", "p"):
        close([getattr(t, name) for t in result.terms], case[name])
    assert result.loglik is not None
    close(result.loglik, case["loglik"])
    c = result.concordance
    assert c is not None
    close((c.value, c.se), (case["concordance"], case["concordance_se"]))
    pairs = case["pairs"]
    assert (c.concordant, c.discordant, c.tied_x, c.tied_y, c.tied_xy) == (
        pairs["concordant"], pairs["discordant"], pairs["tied.x"], pairs["tied.y"],
        pairs["tied.xy"],
    )  # fmt: skip


@pytest.mark.parametrize("case", cases("cox_monotone"))
def test_concordance_of_a_fit_with_an_infinite_coefficient(case: dict) -> None:
    result = cox_fit(data(case), "time", "status", covariates(case))
    assert result.terms[1].coef is None and result.status  # no HR for the level without events
    c = result.concordance
    assert c is not None
    close((c.value, c.se), (case["concordance"], case["concordance_se"]))


@pytest.mark.parametrize("case", cases("concordance"))
def test_concordance_of_a_score_matches_survival_concordance(case: dict) -> None:
    d = data(case).dropna(subset=["time", "status", case["score"]])
    c = concordance(
        d["time"].to_numpy(float), d["status"].to_numpy() == 1, d[case["score"]].to_numpy(float)
    )
    assert c is not None
    close((c.value, c.se), (case["concordance"], case["se"]))
    pairs = case["pairs"]
    assert (c.concordant, c.discordant, c.tied_x, c.tied_y, c.tied_xy) == (
        pairs["concordant"], pairs["discordant"], pairs["tied.x"], pairs["tied.y"],
        pairs["tied.xy"],
    )  # fmt: skip


@pytest.mark.parametrize("case", cases("logrank"))
def test_logrank_table_matches_survdiff(case: dict) -> None:
    d = data(case)
    result = logrank_test(d["time"], d["status"], d[case["group"]])
    assert list(result.groups) == case["groups"]
    assert list(result.n) == case["n"]
    close(result.observed, case["observed"])
    close(result.expected, case["expected"])
    close(result.variance, case["variance"])
    o, e, v = (np.array(x) for x in (result.observed, result.expected, result.variance))
    close((o - e) ** 2 / e, case["oe2_e"])
    close((o - e) ** 2 / v, case["oe2_v"])
    close(result.chisq, case["chisq"])


@pytest.mark.parametrize("case", cases("risk"))
def test_numbers_at_risk_by_group_match_summary_survfit(case: dict) -> None:
    d = data(case)
    estimates = [
        km_estimate(g["time"], g["status"], label=str(level))
        for level, g in d.groupby(case["group"])
    ]
    table = risk_table(estimates, case["times"])
    expected: dict[str, list[int]] = {}
    for stratum, n in zip(case["strata"], case["n_risk"], strict=True):
        expected.setdefault(stratum, []).append(n)
    assert {k: list(v) for k, v in table.n_risk.items()} == expected


@pytest.mark.parametrize("case", cases("summaries"))
def test_continuous_summary_matches_r(case: dict) -> None:
    d = distribution(data(case)[case["column"]])
    assert (d.n, d.missing) == (case["n"], case["missing"])
    for mine, theirs in (("mean", "mean"), ("sd", "sd"), ("q1", "q1"), ("median", "median"),
                         ("q3", "q3"), ("minimum", "min"), ("maximum", "max")):  # fmt: skip
        close(getattr(d, mine), case[theirs])


def test_factor_test_without_declared_levels() -> None:
    """A factor whose levels come from the data (R's sorted factor levels) is tested jointly
    too, as with declared levels."""
    case = next(c for c in FIXTURE["cox"] if c["id"].startswith("veteran | factor(celltype"))
    d = data(case)
    declared = covariates(case)[0]
    observed = CoxCovariate("celltype", "celltype", "categorical", "celltype")
    fits = [cox_fit(d, "time", "status", [cov]) for cov in (declared, observed)]
    tests = [fit.factor_tests["celltype"] for fit in fits]
    assert tests[1].df == tests[0].df == 3
    close(tests[1].statistic, tests[0].statistic)  # another reference level, the same test


# ---- the concordance's pair counts against their definition, pair by pair


def brute_force(time: list[float], event: list[bool], score: list[float]) -> np.ndarray:
    """Per patient: concordant, discordant, x-tied pairs it is in; then the totals of
    concordant, discordant, tied.x, tied.y, tied.xy, straight from the definition."""
    n = len(time)
    per = np.zeros((n, 3), dtype=int)
    totals = np.zeros(5, dtype=int)
    for i in range(n):
        for j in range(n):
            if i == j or not event[i]:
                continue
            if time[j] > time[i] or (time[j] == time[i] and not event[j]):
                kind = 0 if score[i] > score[j] else 1 if score[i] < score[j] else 2
                per[i, kind] += 1
                per[j, kind] += 1
                totals[kind] += 1
            elif time[j] == time[i] and event[j] and j > i:
                totals[4 if score[i] == score[j] else 3] += 1
    return np.concatenate([per.ravel(), totals])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.booleans(), st.integers(-2, 3)), min_size=1, max_size=25
    )
)
def test_pair_counts_follow_the_definition(rows: list[tuple[int, bool, int]]) -> None:
    time = np.array([float(r[0]) for r in rows])
    event = np.array([r[1] for r in rows])
    score = np.array([r[2] / 2 for r in rows])
    expected = brute_force(time.tolist(), event.tolist(), score.tolist())
    pairs = pair_counts(time, event, score)
    per = np.column_stack([pairs.concordant, pairs.discordant, pairs.tied_x]).ravel()
    n = len(rows)
    assert per.tolist() == expected[: 3 * n].tolist()
    c = concordance(time, event, score)
    totals = expected[3 * n :]
    if c is None:
        assert not event.any() or totals[:3].sum() == 0
        return
    assert [c.concordant, c.discordant, c.tied_x, c.tied_y, c.tied_xy] == totals.tolist()
    assert c.value == pytest.approx((totals[0] + totals[2] / 2) / totals[:3].sum(), rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=60), st.data())
def test_counts_below_a_bound_in_a_prefix(values: list[int], draw: st.DataObject) -> None:
    """Both counters (wavelet matrix; running counts for a few distinct scores) count right."""
    distinct = max(values) + 1
    ends = draw.draw(st.lists(st.integers(0, len(values)), min_size=1, max_size=10))
    bounds = draw.draw(st.lists(st.integers(0, distinct), min_size=len(ends), max_size=len(ends)))
    expected = [sum(v < b for v in values[:e]) for e, b in zip(ends, bounds, strict=True)]
    for counter in (WaveletMatrix, RunningCounts):
        found = counter(np.array(values), distinct).count_less(np.array(ends), np.array(bounds))
        assert found.tolist() == expected, counter


def test_concordance_without_comparable_pairs_is_none() -> None:
    assert concordance(np.array([1.0, 2.0]), np.array([False, False]), np.zeros(2)) is None
    # Two events at the same time and nobody else: tied in time, nothing to compare.
    assert concordance(np.array([3.0, 3.0]), np.array([True, True]), np.array([0.0, 1.0])) is None


def test_concordance_of_a_large_cohort_is_vectorised() -> None:
    """A registry-sized cohort (no pairwise loop): reversing the score swaps concordant and
    discordant pairs, so C becomes 1 - C with the same standard error."""
    rng = np.random.default_rng(7)
    n = 200_000
    time = rng.integers(1, 2_000, n).astype(float)
    event = rng.random(n) < 0.6
    score = np.round(rng.normal(size=n), 2)
    c, reverse = concordance(time, event, score), concordance(time, event, -score)
    assert c is not None and reverse is not None
    assert c.value + reverse.value == pytest.approx(1.0, abs=1e-12)
    assert c.se == pytest.approx(reverse.se, rel=1e-9)
    assert (c.concordant, c.tied_x) == (reverse.discordant, reverse.tied_x)


@pytest.mark.parametrize("scores", [2, 3, 40])
def test_concordance_of_patients_alike_counted_once_is_that_of_every_row(scores: int) -> None:
    """A registry's univariable model has a few distinct scores and a few thousand times:
    ``concordance`` counts the patients alike in time, event and score once, with their
    number, and gives the pair counts and C of one row per patient exactly, the standard
    error to rounding."""
    rng = np.random.default_rng(scores)
    n = 60_000
    time = rng.integers(1, 900, n) / 30.4375
    event = rng.random(n) < 0.55
    score = rng.integers(0, scores, n) * 0.37 - 0.2
    got, want = concordance(time, event, score), _concordance(time, event, score, None)
    assert got is not None and want is not None
    counts = ("concordant", "discordant", "tied_x", "tied_y", "tied_xy", "value")
    assert [getattr(got, f) for f in counts] == [getattr(want, f) for f in counts]
    assert got.se == pytest.approx(want.se, rel=1e-12)
