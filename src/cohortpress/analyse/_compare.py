"""Comparisons of a variable between groups: Wilcoxon rank-sum, Kruskal–Wallis, Fisher.

Each follows R's defaults, which EZR (used by the source papers) calls:

- ``wilcox.test(x, y)``: exact p when both groups have fewer than 50 values and there are no
  ties, else the normal approximation with continuity and tie corrections. SciPy's own
  choice differs (exact only up to 8 values), so the method is always set explicitly.
- ``kruskal.test`` for more than two groups (tie-corrected; SciPy's ``kruskal`` is the same).
- ``fisher.test``: exact for 2 x 2 and r x c tables (never SciPy's Monte Carlo r x c default);
  Pearson's chi-squared without continuity correction only where exact enumeration is
  infeasible, and then ``test`` and ``status`` say so.

The rank tests are computed here from mid-ranks and ``scipy.special``'s distributions, as R
computes them; the tests hold them to R's numbers and to ``scipy.stats``. Importing
``scipy.stats`` (SciPy parses its docstrings) takes longer than a paper's whole analysis; only
the chi-squared fallback of a registry's largest tables imports it.
"""

from __future__ import annotations

from math import comb
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from scipy.special import chdtrc, ndtr

from cohortpress.analyse._fisher_exact import TooLarge, fisher_exact_pvalue
from cohortpress.analyse._inputs import as_series, group_labels, numbers
from cohortpress.analyse._results import ComparisonResult, ComparisonTest
from cohortpress.analyse._status import ComparisonStatus
from cohortpress.exact_tests import EXACT_BELOW

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

# The tests as codes; their names are the presentation step's (present.wording).
WILCOXON_EXACT = ComparisonTest.WILCOXON_EXACT
WILCOXON_NORMAL = ComparisonTest.WILCOXON_NORMAL
KRUSKAL = ComparisonTest.KRUSKAL
FISHER = ComparisonTest.FISHER
CHISQ = ComparisonTest.CHISQ


def wilcoxon_test(x: ArrayLike, y: ArrayLike) -> ComparisonResult:
    """Two-sided Wilcoxon rank-sum (Mann–Whitney) test, as R ``wilcox.test(x, y)``.

    The statistic is R's W (rank sum of ``x`` minus n_x (n_x + 1) / 2). Missing and
    non-finite values are dropped, as R does. The p-value is computed as R computes it
    (``pwilcox``'s counts, or ``pnorm``); SciPy's ``mannwhitneyu`` gives the same.
    """
    xs, ys = _finite(x), _finite(y)
    if len(xs) == 0 or len(ys) == 0:
        return ComparisonResult(
            WILCOXON_NORMAL, None, None, status=ComparisonStatus.GROUP_WITHOUT_VALUES
        )
    n_x, n_y = len(xs), len(ys)
    ranks, ties = _mid_ranks(np.concatenate([xs, ys]))
    statistic = float(ranks[:n_x].sum() - n_x * (n_x + 1) / 2.0)
    if n_x < EXACT_BELOW and n_y < EXACT_BELOW and len(ties) == n_x + n_y:
        return ComparisonResult(WILCOXON_EXACT, statistic, _exact_p(statistic, n_x, n_y))
    n = n_x + n_y
    variance = n_x * n_y / 12.0 * ((n + 1) - _tie_sum(ties) / (n * (n - 1)))
    if variance <= 0:  # every value the same: R gives no p
        return ComparisonResult(WILCOXON_NORMAL, statistic, None, status=ComparisonStatus.ALL_EQUAL)
    z = statistic - n_x * n_y / 2.0
    z = (z - np.sign(z) * 0.5) / np.sqrt(variance)  # continuity correction, as R's default
    p = 2.0 * min(ndtr(z), ndtr(-z))
    return ComparisonResult(WILCOXON_NORMAL, statistic, float(p))


def _exact_p(statistic: float, n_x: int, n_y: int) -> float:
    """R's two-sided exact p of W without ties: twice the smaller tail, at most 1."""
    w = round(statistic)
    # The distribution is symmetric about n_x n_y / 2: R's lower tail of W, or its upper
    # tail P(W >= w) = P(W <= n_x n_y - w), both summed from the lower counts.
    lower = n_x * n_y - w if w > n_x * n_y / 2 else w
    tail = _rank_sum_counts(n_x, n_y, lower).sum()
    return float(min(2.0 * tail / comb(n_x + n_y, n_x), 1.0))


def _rank_sum_counts(m: int, n: int, up_to: int) -> NDArray[np.float64]:
    """How many of the C(m + n, m) rankings give W = 0 … ``up_to`` (R's ``cwilcox``).

    Counted as R counts them, by adding only: c(k; m, n) = c(k - n; m - 1, n) + c(k; m, n - 1).
    Row ``i`` of ``by_m`` holds c(·; i, j) for the current j.
    """
    by_m = np.zeros((m + 1, up_to + 1))
    by_m[:, 0] = 1.0  # W = 0: every x below every y, for any j
    for j in range(1, min(n, up_to) + 1):  # a larger j adds nothing up to ``up_to``
        for i in range(1, m + 1):  # c(·; i, j) from c(·; i - 1, j) and c(·; i, j - 1)
            by_m[i, j:] += by_m[i - 1, : up_to + 1 - j]
    return by_m[m]


def kruskal_test(values: ArrayLike, group: ArrayLike) -> ComparisonResult:
    """Kruskal–Wallis rank-sum test of k groups, as R ``kruskal.test`` (tie-corrected; SciPy's
    ``kruskal`` is the same, and the tests hold it to both)."""
    frame = _complete(values, group)
    labels, codes = group_labels(frame["group"])
    values = numbers(frame["value"])
    if len(labels) < 2:
        return ComparisonResult(KRUSKAL, None, None, status=ComparisonStatus.FEWER_THAN_TWO_GROUPS)
    ranks, ties = _mid_ranks(values)
    if len(ties) == 1:  # every value the same: no rank variance, R gives no statistic
        return ComparisonResult(KRUSKAL, None, None, status=ComparisonStatus.ALL_EQUAL)
    n = len(values)
    sizes = np.bincount(codes, minlength=len(labels)).astype(np.float64)
    rank_sums = np.bincount(codes, weights=ranks, minlength=len(labels))
    h = 12.0 / (n * (n + 1)) * float(np.sum(rank_sums**2 / sizes)) - 3.0 * (n + 1)
    h /= 1.0 - _tie_sum(ties) / (n**3 - n)
    return ComparisonResult(KRUSKAL, h, float(chdtrc(len(labels) - 1, h)))


def _mid_ranks(values: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """R's ``rank(values)`` (ties share their mean rank), from one sort; and the size of each
    group of tied values."""
    _, position, ties = np.unique(values, return_inverse=True, return_counts=True)
    return (np.cumsum(ties) - (ties - 1) / 2.0)[position], ties


def _tie_sum(ties: NDArray[np.int64]) -> float:
    """Σ (t³ − t) over the groups of tied values: the ties' share of the rank variance."""
    t = ties.astype(np.float64)
    return float(np.sum(t**3 - t))


def fisher_test(table: ArrayLike) -> ComparisonResult:
    """Two-sided Fisher's exact test of an r x c table of counts, as R ``fisher.test``.

    Rows and columns with no counts are dropped (they do not change the p-value). The
    statistic is ``None``: the test has none (R reports only an odds ratio for 2 x 2).
    """
    counts = np.asarray(table)
    if counts.ndim != 2 or np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise ValueError("a contingency table must be a 2-d array of non-negative counts")
    counts = counts.astype(np.int64)
    used = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
    if min(used.shape) < 2:
        return ComparisonResult(FISHER, None, None, status=ComparisonStatus.ONE_CATEGORY)
    try:
        return ComparisonResult(FISHER, None, fisher_exact_pvalue(used))
    except TooLarge:
        from scipy.stats import chi2_contingency

        statistic, p, *_ = chi2_contingency(used, correction=False)
        statistic, p = float(np.asarray(statistic)), float(np.asarray(p))
        return ComparisonResult(CHISQ, statistic, p, status=ComparisonStatus.CHI_SQUARED_FALLBACK)


def compare_groups(
    values: ArrayLike, group: ArrayLike, kind: Literal["continuous", "categorical"]
) -> ComparisonResult:
    """The comparison the manuscript's tables use: Wilcoxon rank-sum for a continuous
    variable in two groups (Kruskal–Wallis for more), Fisher's exact test for a categorical
    one. Rows with a missing value or group are left out."""
    frame = _complete(values, group)
    if kind == "categorical":
        return fisher_test(_cross_counts(frame["value"], frame["group"]))
    if kind != "continuous":
        raise ValueError(f"kind must be continuous or categorical, got {kind!r}")
    labels, codes = group_labels(frame["group"])
    if len(labels) != 2:
        return kruskal_test(frame["value"], frame["group"])
    x = numbers(frame["value"])
    return wilcoxon_test(x[codes == 0], x[codes == 1])


def _cross_counts(values: pd.Series, groups: pd.Series) -> NDArray[np.int64]:
    """``pd.crosstab(values, groups)``'s counts (rows and columns in sorted order, a
    categorical's in the order of its categories, those without patients left out as the
    test leaves them out), counted from integer codes when both are text or categorical: a
    registry's rows are not grouped twice."""
    if not (_text_or_levels(values) and _text_or_levels(groups)):
        return pd.crosstab(values, groups).to_numpy()
    rows, row_levels = pd.factorize(values, sort=True)
    columns, column_levels = pd.factorize(groups, sort=True)
    shape = (len(row_levels), len(column_levels))
    cells = np.bincount(rows * shape[1] + columns, minlength=shape[0] * shape[1])
    return cells.astype(np.int64).reshape(shape)


def _text_or_levels(values: pd.Series) -> bool:
    """Text, or a categorical (of text, as the analysis codes it: ``_levels``)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return True
    return pd.api.types.infer_dtype(values, skipna=True) == "string"


def _finite(values: ArrayLike) -> NDArray[np.float64]:
    x = numbers(values)
    return x[np.isfinite(x)]


def _complete(values: ArrayLike, group: ArrayLike) -> pd.DataFrame:
    """Values and groups side by side, rows with either missing left out."""
    frame = pd.DataFrame({"value": as_series(values), "group": as_series(group)})
    return frame.dropna().reset_index(drop=True)
