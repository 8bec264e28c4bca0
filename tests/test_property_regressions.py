"""Inputs that tests/test_properties.py found failing, kept as plain examples.

Each test names what went wrong; the ones marked ``xfail`` still fail and wait for a fix in
another part of the code.
"""

from __future__ import annotations

import math

import pandas as pd

from cohortpress.analyse._cox import CoxCovariate, cox_fit

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
    assert "monotone likelihood" in (term.note or "")
    assert not result.converged
    numbers = [result.likelihood_ratio.statistic, result.score.statistic]
    assert all(math.isfinite(x) for x in numbers)
