"""The statistics against R's numbers (survival 3.5-3, R 4.2), from tests/reference/*.json.

The fixtures are written by ``Rscript tests/reference/make_fixtures.R``; each case records its
R call. Estimates must agree to 1e-6 relative; p-values to 1e-6 relative as well (stricter
than 1e-6 absolute, which would let tiny p-values through unchecked).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cohortpress.analyse._compare import (
    CHISQ,
    FISHER,
    WILCOXON_EXACT,
    WILCOXON_NORMAL,
    compare_groups,
    fisher_test,
    wilcoxon_test,
)
from cohortpress.analyse._cox import CoxCovariate, cox_fit
from cohortpress.analyse._km import km_estimate, median_followup, risk_table, survival_at
from cohortpress.analyse._logrank import logrank_test
from cohortpress.analyse._proportions import proportion_ci

REFERENCE = Path(__file__).parent / "reference"
REL = 1e-6


@cache
def fixture(name: str) -> dict:
    return json.loads((REFERENCE / f"{name}.json").read_text(encoding="utf-8"))


def cases(name: str, group: str | None = None) -> list:
    found = fixture(name)["cases"]
    found = found[group] if group else found
    return [pytest.param(c, id=str(c["id"]) if "id" in c else None) for c in found]


@cache
def _csv(path: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / path)


def data(case: dict) -> pd.DataFrame:
    return _csv(case["csv"]).copy() if "csv" in case else pd.DataFrame(case["inputs"])


def floats(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def same(actual: object, expected: object) -> None:
    """Equal to 1e-6 relative; R's NA is None (scalars) or NaN (table columns)."""
    a = floats(np.atleast_1d(np.asarray(actual, dtype=object)).tolist())
    e = floats(np.atleast_1d(np.asarray(expected, dtype=object)).tolist())
    np.testing.assert_allclose(a, e, rtol=REL, atol=0, equal_nan=True)


def test_fixtures_record_their_provenance() -> None:
    for name in ("km", "followup", "logrank", "cox", "compare", "proportions", "risk_table"):
        doc = fixture(name)
        assert doc["r_version"].startswith("R version")
        assert doc["survival_version"] == "3.5.3"


# ---- Kaplan–Meier


@pytest.mark.parametrize("case", cases("km"))
def test_km_matches_survfit(case: dict) -> None:
    d = data(case)
    estimate = km_estimate(d["time"], d["status"], ci_transform=case["conf_type"])
    assert (estimate.n, estimate.events) == (case["n"], case["events"])
    at = survival_at(estimate, case["at"]["time"])
    for column in ("n_risk", "surv", "std_err", "lower", "upper"):
        same(at[column], case["at"][column])
    quantiles = (estimate.quartiles[0], estimate.median, estimate.quartiles[1])
    assert [q.surv_level for q in quantiles] == [0.75, 0.5, 0.25]
    for field, key in (("estimate", "quantile"), ("lower", "lower"), ("upper", "upper")):
        actual = [getattr(q, field) for q in quantiles]
        assert [v is None for v in actual] == [v is None for v in case["quantile"][key]]
        same(actual, case["quantile"][key])
    if "table" in case:
        for column, values in case["table"].items():
            same(estimate.table[column], values)


def test_median_of_one_to_ten_is_the_midpoint_as_in_r() -> None:
    case = next(c for c in fixture("km")["cases"] if c["id"] == "all_events/log")
    assert case["quantile"]["quantile"][1] == 5.5
    assert km_estimate(range(1, 11), [1] * 10).median.estimate == 5.5


@pytest.mark.parametrize("case", cases("followup"))
def test_median_followup_matches_reverse_km(case: dict) -> None:
    d = data(case)
    q = median_followup(d["time"], d["status"], ci_transform=case["conf_type"])
    for actual, expected in (
        (q.estimate, case["median"]),
        (q.lower, case["lower"]),
        (q.upper, case["upper"]),
    ):
        assert (actual is None) == (expected is None)
        same(actual, expected)


def test_risk_table_matches_summary_times() -> None:
    case = fixture("risk_table")["cases"][0]
    d = data(case)
    estimates = [km_estimate(g["time"], g["status"], label=f"sex={k}") for k, g in d.groupby("sex")]
    table = risk_table(estimates, case["times"])
    expected: dict[str, list[int]] = {}
    for stratum, n in zip(case["strata"], case["n_risk"], strict=True):
        expected.setdefault(stratum, []).append(n)
    assert {k: list(v) for k, v in table.n_risk.items()} == expected


# ---- log-rank


@pytest.mark.parametrize("case", cases("logrank"))
def test_logrank_matches_survdiff(case: dict) -> None:
    d = data(case)
    result = logrank_test(d["time"], d["status"], d[case["group"]])
    assert result.groups == tuple(case["groups"])
    same(result.observed, case["observed"])
    same(result.expected, case["expected"])
    same(result.chisq, case["chisq"])
    assert result.df == case["df"]
    same(result.p, case["p"])


# ---- Cox


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


def infinite_terms(case: dict) -> set[int]:
    """Indexes of the coefficients R warned about ("coefficient may be infinite")."""
    found: set[int] = set()
    for warning in case["warnings"]:
        if "may be infinite" in warning:
            numbers = warning.split("variable")[1].split(";")[0]
            found |= {int(v) - 1 for v in numbers.replace(",", " ").split()}
    return found


@pytest.mark.parametrize("case", cases("cox"))
def test_cox_matches_coxph(case: dict) -> None:
    result = cox_fit(data(case), "time", "status", covariates(case), ties=case["ties"])
    assert (result.n, result.events) == (case["n"], case["events"])
    infinite = infinite_terms(case)
    terms = case["terms"]
    for i, term in enumerate(result.terms):
        if terms["coef"][i] is None or i in infinite:
            assert term.coef is None and term.hr is None and term.status
            continue
        for field in ("coef", "se", "hr", "lower", "upper", "p"):
            same(getattr(term, field), terms[field][i])
    if result.loglik is None:  # R fits nothing either: no events or no covariate varying
        assert case["logtest"]["df"] == 0 and result.status
        return
    assert result.iterations == case["iter"]  # same algorithm, same iterates
    same(result.loglik, case["loglik"])
    tests = [(result.likelihood_ratio, case["logtest"]), (result.score, case["sctest"])]
    if infinite:
        assert result.wald is None and result.status
    else:
        tests.append((result.wald, case["waldtest"]))
    for mine, theirs in tests:
        assert mine is not None and mine.df == theirs["df"]
        same((mine.statistic, mine.p), (theirs["test"], theirs["pvalue"]))
    expected_factors = {k: v for k, v in (case["factor_tests"] or {}).items() if not infinite}
    assert set(result.factor_tests) == set(expected_factors)
    for name, expected in expected_factors.items():
        mine = result.factor_tests[name]
        assert mine.df == expected["df"]
        same((mine.statistic, mine.p), (expected["statistic"], expected["p"]))


# ---- comparisons and proportions


@pytest.mark.parametrize("case", cases("compare", "wilcox"))
def test_wilcoxon_matches_wilcox_test(case: dict) -> None:
    result = wilcoxon_test(case["x"], case["y"])
    assert result.test == (WILCOXON_EXACT if case["exact"] else WILCOXON_NORMAL)
    same(result.statistic, case["statistic"])
    assert (result.p is None) == (case["p"] is None)
    same(result.p, case["p"])


@pytest.mark.parametrize("case", cases("compare", "fisher"))
def test_fisher_matches_fisher_test(case: dict) -> None:
    result = fisher_test(case["table"])
    assert result.test == FISHER
    same(result.p, case["p"])


@pytest.mark.parametrize("case", cases("compare", "chisq"))
def test_fallback_matches_chisq_test(case: dict) -> None:
    result = fisher_test(case["table"])
    assert result.test == CHISQ and result.status
    same((result.statistic, result.p), (case["statistic"], case["p"]))


@pytest.mark.parametrize("case", cases("compare", "kruskal"))
def test_kruskal_matches_kruskal_test(case: dict) -> None:
    result = compare_groups(case["x"], case["g"], "continuous")
    same((result.statistic, result.p), (case["statistic"], case["p"]))


@pytest.mark.parametrize("case", cases("proportions"))
def test_clopper_pearson_matches_binom_test(case: dict) -> None:
    ci = proportion_ci(case["k"], case["n"], conf_level=case["conf_level"])
    same((ci.lower, ci.upper), (case["lower"], case["upper"]))
