"""Proportions with an exact (Clopper–Pearson) confidence interval."""

from __future__ import annotations

from scipy.special import betaincinv

from cohortpress.analyse._inputs import check_conf_level
from cohortpress.analyse._results import ProportionEstimate


def proportion_ci(k: int, n: int, *, conf_level: float = 0.95) -> ProportionEstimate:
    """k of n with the Clopper–Pearson interval, as R ``binom.test(k, n)$conf.int`` and EZR.

    The limits are beta quantiles, with 0 as the lower limit when k = 0 and 1 as the upper
    when k = n (gtsummary's default, Wilson, would differ). With n = 0 there is no
    proportion: estimate and limits are ``None``.
    """
    level = check_conf_level(conf_level)
    if isinstance(k, bool) or isinstance(n, bool) or int(k) != k or int(n) != n:
        raise ValueError(f"k and n must be whole numbers, got k={k!r}, n={n!r}")
    k, n = int(k), int(n)
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return ProportionEstimate(k=0, n=0, estimate=None, lower=None, upper=None, conf_level=level)
    tail = (1.0 - level) / 2.0
    # R's binom.test: qbeta(tail, k, n - k + 1) and qbeta(1 - tail, k + 1, n - k)
    lower = float(betaincinv(k, n - k + 1, tail)) if k > 0 else 0.0
    upper = float(betaincinv(k + 1, n - k, 1.0 - tail)) if k < n else 1.0
    return ProportionEstimate(k=k, n=n, estimate=k / n, lower=lower, upper=upper, conf_level=level)
