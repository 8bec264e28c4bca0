"""Cox models on pathological data against R's coxph (tests/reference/cox_extremes.json).

An outlying or huge covariate, a covariate that separates the events (a coefficient running
off to infinity), one or two covariates, Efron and Breslow ties: R's Newton-Raphson steps
overreach there, exp(x'beta) overflows or underflows, R takes the step back, and it may run
out of iterations. Both engines must follow R step for step and report what R reports, with
no floating-point warning. The fixture is written by ``Rscript
tests/reference/make_cox_extremes.R``.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtri

from cohortpress.analyse import _cox_newton
from cohortpress.analyse._cox import CoxCovariate, cox_fit
from cohortpress.analyse._cox_newton import newton_raphson
from cohortpress.analyse._status import ModelStatus, TermStatus
from cohortpress.analyse.distributed import cox_fit_partitioned
from cohortpress.present.notes import model_note

FIXTURE = json.loads(
    (Path(__file__).parent / "reference" / "cox_extremes.json").read_text(encoding="utf-8")
)
CASES = [pytest.param(c, id=c["id"]) for c in FIXTURE["cases"]]
PATHS = [pytest.param(c, id=c["id"]) for c in FIXTURE["cases"] if c["path"]]
REL = 1e-6  # as tests/test_stats_vs_r.py
# A log-likelihood running to 0 (a separated covariate: -3.7e-7 at R's last iterate) is the
# sum of terms x'beta - log(den) as large as 450 that cancel: its last digits are rounding.
LOGLIK_ABS = 1e-10
# R's last iterate on the outlier puts its exp(x'beta) near e^-723, below the smallest normal
# double, where a float keeps about ten digits: the information of its risk set (the outlier
# alone: 0 in exact arithmetic) comes out of the sums as rounding error, up to 1e-4 of the
# whole, R's and ours alike. R's se is 3.2e-5 from that of exact arithmetic (1.1080072628 at
# R's coefficient, to 60 digits); the engines' are as far from R's, and 5e-6 from each other.
SE_REL = {"outlier | efron": 1e-4, "outlier | breslow": 1e-4}


def frame(case: dict) -> pd.DataFrame:
    return pd.DataFrame(case["inputs"])


def covariates(case: dict) -> list[CoxCovariate]:
    return [CoxCovariate(name, name, "continuous", name) for name in case["covariates"]]


def fit(case: dict, engine: str):
    """The case's fit by one engine; the distributed one on Dask's default (threaded)
    scheduler, so that a floating-point warning in a task would reach the test too."""
    if engine == "in memory":
        return cox_fit(frame(case), "time", "status", covariates(case), ties=case["ties"])
    data = dd.from_pandas(frame(case), npartitions=3)
    return cox_fit_partitioned(data, "time", "status", covariates(case), ties=case["ties"])


def test_the_fixture_records_its_provenance() -> None:
    assert FIXTURE["r_version"].startswith("R version")
    assert FIXTURE["survival_version"] == "3.5.3"
    assert {c["converged"] for c in FIXTURE["cases"]} == {True, False}


@pytest.mark.parametrize("engine", ["in memory", "distributed"])
@pytest.mark.parametrize("case", CASES)
def test_extreme_fits_match_coxph(case: dict, engine: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = fit(case, engine)
    assert result.converged == case["converged"]
    # R's fit$iter is its loop counter: one past iter.max (20) when the iterations run out.
    assert result.iterations == (case["iter"] if case["converged"] else case["iter"] - 1)
    if not case["converged"]:
        assert result.status is ModelStatus.NOT_CONVERGED
        assert "did not converge in 20 iterations" in (model_note(result) or "")
    assert result.loglik is not None
    np.testing.assert_allclose(result.loglik, case["loglik"], rtol=REL, atol=LOGLIK_ABS)
    z = float(ndtri(0.975))
    for term, coef, se in zip(result.terms, case["coef"], case["se"], strict=True):
        if term.coef is None:
            # R's coefficient is on its way to infinity: its confidence interval has a bound
            # beyond any float, which results.json cannot hold; no hazard ratio is reported.
            with np.errstate(over="ignore"):
                bounds = np.exp([coef - z * se, coef + z * se])
            assert not np.isfinite(bounds).all()
            assert term.status is TermStatus.MONOTONE
            continue
        assert term.se is not None
        assert math.isclose(term.coef, coef, rel_tol=REL)
        assert math.isclose(term.se, se, rel_tol=SE_REL.get(case["id"], REL))


@pytest.mark.parametrize("case", PATHS)
def test_the_iterates_are_rs_step_for_step(case: dict, monkeypatch) -> None:
    """Stopped after 1, 2, ... 20 iterations, the fit is R's (coxph(..., iter.max = k)): the
    best coefficient so far and its log-likelihood. The steps whose exp(x'beta) overflows or
    underflows are taken back as R takes them back."""
    data = frame(case)
    x = data[case["covariates"]].to_numpy(dtype=float)
    time, event = data["time"].to_numpy(dtype=float), data["status"].to_numpy(dtype=bool)
    for stop in case["path"]:
        monkeypatch.setattr(_cox_newton, "MAX_ITER", stop["iter_max"])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = newton_raphson(x, time, event, case["ties"])
        where = f"stopped after {stop['iter_max']}"
        np.testing.assert_allclose(got.beta, stop["coef"], rtol=REL, err_msg=where)
        assert math.isclose(got.loglik, stop["loglik"], rel_tol=REL, abs_tol=LOGLIK_ABS), where
