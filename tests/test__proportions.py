"""Clopper–Pearson confidence intervals."""

from __future__ import annotations

import pytest
from scipy.stats import beta

from cohortpress.analyse._proportions import proportion_ci


def test_limits_are_beta_quantiles() -> None:
    ci = proportion_ci(21, 26)
    assert ci.estimate == pytest.approx(21 / 26)
    assert ci.lower == pytest.approx(beta.ppf(0.025, 21, 6), rel=1e-10)
    assert ci.upper == pytest.approx(beta.ppf(0.975, 22, 5), rel=1e-10)
    assert ci.method == "Clopper–Pearson (exact)" and ci.conf_level == 0.95


def test_none_and_all_reach_the_bounds() -> None:
    assert proportion_ci(0, 12).lower == 0.0
    assert proportion_ci(12, 12).upper == 1.0
    assert proportion_ci(0, 12, conf_level=0.9).upper < proportion_ci(0, 12).upper


def test_no_patients_has_no_proportion() -> None:
    ci = proportion_ci(0, 0)
    assert (ci.estimate, ci.lower, ci.upper) == (None, None, None)


@pytest.mark.parametrize(("k", "n"), [(-1, 5), (6, 5), (1.5, 4), (True, 3)])
def test_invalid_counts_are_refused(k: object, n: object) -> None:
    with pytest.raises(ValueError):
        proportion_ci(k, n)  # type: ignore[arg-type]
