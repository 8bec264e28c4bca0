"""Cox models: the partial likelihood, the Newton–Raphson fit, terms and edge cases."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from lifelines import CoxPHFitter

from cohortpress.analyse._concordance import _ranks
from cohortpress.analyse._cox import CoxCovariate, cox_fit
from cohortpress.analyse._cox_design import build_design, level_codes_frame
from cohortpress.analyse._cox_likelihood import partial_likelihood, risk_sets
from cohortpress.analyse._cox_newton import cholesky_solve, newton_raphson
from cohortpress.analyse._results import Ties
from cohortpress.analyse._status import ModelStatus
from cohortpress.present.labels import term_label
from cohortpress.present.notes import model_note, term_note

AGE = CoxCovariate("age", "age", "continuous", "Age", per=10, unit="years")
ARM = CoxCovariate("arm", "arm", "categorical", "Arm", levels=("a", "b", "c"), reference="a")


@pytest.fixture
def cohort() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 300
    d = pd.DataFrame({"age": rng.normal(60, 9, n), "arm": rng.choice(["a", "b", "c"], n)})
    hazard = np.exp(0.03 * (d["age"] - 60) + 0.6 * (d["arm"] == "c"))
    latent, censor = rng.exponential(1 / hazard), rng.uniform(0, 2, n)
    d["time"] = np.ceil(np.minimum(latent, censor) * 10)  # coarse times: many ties
    d["event"] = (latent <= censor).astype(int)
    return d


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_score_and_information_are_derivatives_of_the_loglik(cohort, ties) -> None:
    x = np.column_stack([cohort["age"] - 60, cohort["arm"] == "c"]).astype(float)
    rs = risk_sets(x, cohort["time"].to_numpy(float), cohort["event"].to_numpy(bool), ties)
    beta, h = np.array([0.02, 0.4]), 1e-5
    loglik, score, info = partial_likelihood(rs, beta)
    for k in range(2):
        step = np.eye(2)[k] * h
        up, down = partial_likelihood(rs, beta + step), partial_likelihood(rs, beta - step)
        assert score[k] == pytest.approx((up[0] - down[0]) / (2 * h), rel=1e-6)
        np.testing.assert_allclose(info[:, k], -(up[1] - down[1]) / (2 * h), rtol=1e-6)
    assert loglik < 0


def test_efron_fit_agrees_with_lifelines_at_tight_tolerance(cohort) -> None:
    # lifelines stops a little short (about 3e-7 relative here, even at precision 1e-12);
    # R's own numbers, which we match to 1e-13, are pinned in test_stats_vs_r.py
    result = cox_fit(cohort, "time", "event", [CoxCovariate("age", "age", "continuous", "Age")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph = CoxPHFitter().fit(
            cohort[["time", "event", "age"]], "time", "event", fit_options={"precision": 1e-12}
        )
    term = result.terms[0]
    assert term.coef == pytest.approx(cph.params_["age"], rel=1e-6)
    assert term.se == pytest.approx(cph.standard_errors_["age"], rel=1e-6)
    assert result.loglik[1] == pytest.approx(cph.log_likelihood_, rel=1e-10)


def test_breslow_differs_from_efron_only_with_ties(cohort) -> None:
    efron = cox_fit(cohort, "time", "event", [ARM])
    breslow = cox_fit(cohort, "time", "event", [ARM], ties="breslow")
    assert efron.terms[1].coef != pytest.approx(breslow.terms[1].coef, rel=1e-6)
    untied = cohort.assign(time=cohort["time"] + np.arange(len(cohort)) * 1e-6)
    a = cox_fit(untied, "time", "event", [ARM])
    b = cox_fit(untied, "time", "event", [ARM], ties="breslow")
    assert a.terms[1].coef == pytest.approx(b.terms[1].coef, rel=1e-12)


def test_terms_labels_per_units_and_global_tests(cohort) -> None:
    result = cox_fit(cohort, "time", "event", [AGE, ARM])
    age, b, c = result.terms
    labels = tuple(term_label(t) for t in (age, b, c))
    assert labels == ("per 10 years", "b vs a (ref)", "c vs a (ref)")
    assert (c.covariate, c.level, c.reference) == ("arm", "c", "a")
    per_year = cox_fit(
        cohort, "time", "event", [CoxCovariate("age", "age", "continuous", "Age"), ARM]
    )
    assert age.coef == pytest.approx(10 * per_year.terms[0].coef, rel=1e-10)
    assert age.hr == pytest.approx(np.exp(age.coef)) and age.lower < age.hr < age.upper
    assert set(result.factor_tests) == {"arm"} and result.factor_tests["arm"].df == 2
    assert result.likelihood_ratio.df == result.wald.df == result.score.df == 3
    assert result.events_per_variable == pytest.approx(result.events / 3)
    assert result.converged and result.status is None


def test_one_factor_model_global_wald_is_the_factor_test(cohort) -> None:
    result = cox_fit(cohort, "time", "event", [ARM])
    assert result.factor_tests["arm"].statistic == pytest.approx(result.wald.statistic, rel=1e-12)


def test_complete_cases_only(cohort) -> None:
    gappy = cohort.copy()
    gappy.loc[:9, "age"] = np.nan
    gappy.loc[10:14, "arm"] = None
    assert cox_fit(gappy, "time", "event", [AGE, ARM]).n == len(cohort) - 15
    assert cox_fit(gappy, "time", "event", [ARM]).n == len(cohort) - 5


def test_level_without_events_is_not_estimable(cohort) -> None:
    d = cohort.copy()
    d.loc[d["arm"] == "b", "event"] = 0
    result = cox_fit(d, "time", "event", [ARM, AGE])
    b, c, age = result.terms
    assert b.hr is None and b.coef is None and "no events" in (term_note(b, result) or "")
    assert c.hr is not None and age.hr is not None
    assert result.wald is None and "arm" not in result.factor_tests
    assert result.likelihood_ratio is not None and result.status is ModelStatus.MONOTONE


def test_level_without_patients_and_single_level(cohort) -> None:
    d = cohort[cohort["arm"] != "b"]
    result = cox_fit(d, "time", "event", [ARM])
    assert result.terms[0].hr is None and "no patients" in (
        term_note(result.terms[0], result) or ""
    )
    assert result.terms[1].hr is not None
    only_a = cohort[cohort["arm"] == "a"]
    single = cox_fit(only_a, "time", "event", [ARM])
    assert all(t.hr is None for t in single.terms) and single.status
    assert single.loglik is None and single.wald is None


def test_no_events(cohort) -> None:
    result = cox_fit(cohort.assign(event=0), "time", "event", [AGE])
    assert result.events == 0 and result.terms[0].hr is None
    assert "no events" in (model_note(result) or "") and not result.converged


def test_collinear_covariate_is_not_estimable(cohort) -> None:
    d = cohort.assign(age2=2 * cohort["age"] + 1)
    twin = CoxCovariate("age2", "age2", "continuous", "Age again")
    result = cox_fit(d, "time", "event", [CoxCovariate("age", "age", "continuous", "Age"), twin])
    assert result.terms[0].hr is not None
    assert result.terms[1].hr is None and "collinear" in (term_note(result.terms[1], result) or "")
    assert result.likelihood_ratio.df == 1


def test_levels_default_to_sorted_values_with_the_first_as_reference(cohort) -> None:
    free = CoxCovariate("arm", "arm", "categorical", "Arm")
    result = cox_fit(cohort, "time", "event", [free])
    assert [term_label(t) for t in result.terms] == ["b vs a (ref)", "c vs a (ref)"]


def test_undeclared_levels_without_a_complete_case_are_refused_with_a_message(cohort) -> None:
    """No declared levels and no patient with a value: the same message as the distributed
    fit (``global_design``), not an IndexError."""
    empty = cohort.assign(arm=None)
    free = CoxCovariate("arm", "arm", "categorical", "Arm")
    with pytest.raises(ValueError, match="Arm: no value among the patients analysed"):
        cox_fit(empty, "time", "event", [free])


def test_numeric_codes_match_text_levels(cohort) -> None:
    d = cohort.assign(code=cohort["arm"].map({"a": 0.0, "b": 1.0, "c": 2.0}))
    coded = CoxCovariate(
        "code", "code", "categorical", "Code", levels=("0", "1", "2"), reference="0"
    )
    assert cox_fit(d, "time", "event", [coded]).terms[1].coef == pytest.approx(
        cox_fit(d, "time", "event", [ARM]).terms[1].coef, rel=1e-12
    )


# Levels as intake leaves them: text, or numbers (1 and 1.0, 0.0 and -0.0 are one level each,
# printed alike). Never a boolean among numbers: True == 1.0 would make one level of two
# values printed differently, "True" or "1" depending on which pandas meets first.
@given(
    levels=st.lists(
        st.one_of(st.none(), st.sampled_from(["a", "b", "c", "1", 1.0, 2.0, 1, -0.0, 0.0])),
        min_size=1, max_size=40,
    ),
    missing_time=st.sets(st.integers(0, 39), max_size=5),
)  # fmt: skip
def test_a_design_from_level_codes_is_the_design_from_values(
    levels: list[object], missing_time: set[int]
) -> None:
    """Complete cases, columns, counts and every value of the matrix are the same when the
    categorical covariates are held as integer codes (as each endpoint's fits read them)."""
    n = len(levels)
    data = pd.DataFrame({"x": pd.Series(levels, dtype=object), "age": np.arange(n) % 7 * 1.5})
    data["time"] = [np.nan if i in missing_time else float(i % 5) for i in range(n)]
    data["event"] = np.arange(n) % 2
    specs = [
        CoxCovariate("x", "x", "categorical", "X"),
        CoxCovariate("age", "age", "continuous", "Age"),
    ]
    coded = level_codes_frame(data, "time", "event", specs)
    assert isinstance(coded["x"].dtype, pd.CategoricalDtype)
    try:
        plain = build_design(data, "time", "event", specs)
    except (ValueError, IndexError) as error:  # IndexError: no level among complete cases
        with pytest.raises(type(error), match=re.escape(str(error))):
            build_design(coded, "time", "event", specs)
        return
    design = build_design(coded, "time", "event", specs)
    assert design.columns == plain.columns
    for got, want in ((design.x, plain.x), (design.time, plain.time), (design.event, plain.event)):
        assert got.dtype == want.dtype and np.array_equal(got, want)


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=60))
def test_ranks_of_sorted_values_are_dense_ranks(values: list[float]) -> None:
    """Values in order (times of rows sorted by time) rank as by hashing: equal values (0.0
    and -0.0 too) share a rank, ranks count the distinct values below."""
    ordered = np.sort(np.array(values + values[:3], dtype=float))
    unique, inverse = np.unique(ordered, return_inverse=True)
    rank, m = _ranks(ordered)
    assert m == len(unique)
    assert rank.dtype == np.int64 and rank.tolist() == inverse.ravel().tolist()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"levels": ("a", "b"), "reference": "z"}, "reference"),
        ({"levels": ("a", "a")}, "repeat"),
        ({"kind": "ordinal"}, "kind"),
        ({"per": 0}, "per"),
    ],
)
def test_invalid_covariates_are_refused(kwargs: dict, message: str) -> None:
    spec = {"name": "x", "column": "x", "kind": "categorical", "label": "X", **kwargs}
    with pytest.raises(ValueError, match=message):
        CoxCovariate(**spec)


def test_unknown_values_missing_columns_and_bad_options_are_refused(cohort) -> None:
    narrow = CoxCovariate("arm", "arm", "categorical", "Arm", levels=("a", "b"), reference="a")
    with pytest.raises(ValueError, match="not among the levels"):
        cox_fit(cohort, "time", "event", [narrow])
    with pytest.raises(ValueError, match="not in the data"):
        cox_fit(cohort, "time", "status", [AGE])
    with pytest.raises(ValueError, match="ties"):
        cox_fit(cohort, "time", "event", [AGE], ties="exact")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="distinct"):
        cox_fit(cohort, "time", "event", [AGE, AGE])


def test_cholesky_solve_zeroes_singular_directions() -> None:
    matrix = np.array([[4.0, 2.0, 2.0], [2.0, 1.0, 1.0], [2.0, 1.0, 3.0]])  # column 2 = col 1 / 2
    solution = cholesky_solve(matrix, np.array([2.0, 1.0, 3.0]))
    assert solution[1] == 0.0
    np.testing.assert_allclose(matrix @ solution, [2.0, 1.0, 3.0])


def _textbook_efron(x, time, event, beta):
    """Efron's log partial likelihood, score and information written out event time by event
    time, risk set by risk set: slow and plain, the reference for the vectorised version."""
    risk = np.exp(x @ beta)
    loglik, score, info = 0.0, np.zeros(len(beta)), np.zeros((len(beta), len(beta)))
    for t in np.unique(time[event]):
        at_risk, dying = time >= t, (time == t) & event
        d = int(dying.sum())
        s0, d0 = risk[at_risk].sum(), risk[dying].sum()
        s1, d1 = risk[at_risk] @ x[at_risk], risk[dying] @ x[dying]
        s2 = (x[at_risk] * risk[at_risk, None]).T @ x[at_risk]
        d2 = (x[dying] * risk[dying, None]).T @ x[dying]
        loglik += x[dying].sum(axis=0) @ beta
        score += x[dying].sum(axis=0)
        for k in range(d):
            den = s0 - k / d * d0
            mean = (s1 - k / d * d1) / den
            loglik -= np.log(den)
            score -= mean
            info += (s2 - k / d * d2) / den - np.outer(mean, mean)
    return loglik, score, info


@pytest.mark.parametrize("n", [40, 2_000])
def test_vectorised_efron_equals_the_textbook_sums(n) -> None:
    """Small and medium data, heavy ties: the vectorised likelihood the fits use gives what
    the risk-set-by-risk-set sums give, to rounding."""
    rng = np.random.default_rng(n)
    x = np.column_stack([rng.normal(0, 1, n), rng.integers(0, 2, n), rng.integers(0, 3, n) == 2])
    x = x.astype(float)
    time = rng.integers(1, max(n // 20, 5), n).astype(float)  # many patients per time
    event = rng.random(n) < 0.6
    rs = risk_sets(x, time, event, "efron")
    for beta in (np.zeros(3), np.array([0.3, -0.5, 0.8])):
        fast = partial_likelihood(rs, beta)
        slow = _textbook_efron(x, time, event, beta)
        assert fast[0] == pytest.approx(slow[0], rel=1e-12)
        np.testing.assert_allclose(fast[1], slow[1], rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(fast[2], slow[2], rtol=1e-10, atol=1e-9)


# tests/reference/make_cox_extremes.R's "outlier": x = 1,000 among values of 0 to 1, the
# patient last in time (alone in its risk set). R's coxph: coef -0.796, "Ran out of
# iterations and did not converge" (tests/test_cox_extremes_vs_r.py).
OUTLIER = pd.DataFrame({
    "t": [2.0, 5, 33, 49, 46, 35, 46, 22, 27, 32, 20],
    "e": [0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1],
    "x": [0.1, 0.1, 1, 1000, 0, 0.1, 1, 0.1, 1, 0.1, 0],
})  # fmt: skip


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("beta", [-0.4, 0.4, -0.72, 0.7])
def test_an_overreaching_beta_gives_rs_sums_in_both_engines(ties: Ties, beta: float) -> None:
    """Betas a Newton step reaches on the outlier: exp(x'beta) of e^-400 (den² below the
    smallest double), e^400 (S1² beyond the largest), e^-720 (subnormal: 1/S0 beyond the
    largest) and e^700 (r·x² beyond the largest). The rows' likelihood and the sums a cluster
    adds up give the risk-set-by-risk-set sums, each divided by its denominator as R's
    coxfit6 divides them: finite where those are, not finite where they overflow (R then
    takes the step back), and no floating-point warning."""
    from cohortpress.analyse.distributed._cox_sums import likelihood, time_sums

    x = OUTLIER[["x"]].to_numpy(dtype=float)
    t, e = OUTLIER["t"].to_numpy(dtype=float), OUTLIER["e"].to_numpy(dtype=bool)
    b = np.array([beta])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows = partial_likelihood(risk_sets(x, t, e, ties), b)
        sums = likelihood(time_sums(x, t, e, b, ties), b, ties)
    with np.errstate(all="ignore"):
        want = _textbook_efron(x, t, e, b)  # no tied events: Breslow's too
    for got in (rows, sums):
        assert got[0] == pytest.approx(want[0], rel=1e-12)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-9)
        if np.isfinite(want[2]).all():
            np.testing.assert_allclose(got[2], want[2], rtol=1e-9, atol=1e-14 * 1000.0**2)
        else:
            assert not np.isfinite(got[2]).all()


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 30),
    outlier=st.floats(0, 12),
    k=st.integers(-200, 200),
    ties=st.sampled_from(["efron", "breslow"]),
)
def test_a_covariate_in_other_units_changes_its_coefficient_only(
    seed: int, n: int, outlier: float, k: int, ties: Ties
) -> None:
    """A covariate times 2^k, for k up to ±200 (units 1e±60 apart), an outlier of up to 1e12
    among values of 0 to 1 in it: R's centring and scaling make the Newton iterates the
    same to the last bit, overreaching steps, steps back and running out of iterations
    included, so its coefficient is 2^-k times, its variance 4^-k times the other's, and
    nothing else changes. Never a floating-point warning; never a log-likelihood below the
    null one (the best so far starts there). R's test for an infinite coefficient compares
    the step still to go with 1e-9 in the covariate's units, so that one may change."""
    rng = np.random.default_rng(seed)
    time, event = rng.integers(1, 12, n).astype(float), rng.random(n) < 0.6
    x = np.round(rng.random((n, 2)), 1)
    x[rng.integers(0, n), 0] = 10.0**outlier
    unit = np.array([2.0**k, 1.0])
    assume(event.any() and (np.ptp(x, axis=0) > 0).all())
    assume(not np.isin(x, (-1.0, 0.0, 1.0)).all(axis=0).any())  # indicators are not scaled
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = newton_raphson(x, time, event, ties)
        b = newton_raphson(x * unit, time, event, ties)
    assert a.loglik >= a.loglik_null
    assert (b.converged, b.iterations, b.loglik_null, b.loglik, b.score_test) == (
        a.converged, a.iterations, a.loglik_null, a.loglik, a.score_test,
    )  # fmt: skip
    np.testing.assert_array_equal(b.beta * unit, a.beta)
    np.testing.assert_array_equal(b.variance * np.outer(unit, unit), a.variance)
    np.testing.assert_array_equal(b.singular, a.singular)
