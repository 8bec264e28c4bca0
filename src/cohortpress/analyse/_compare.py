"""Comparisons of a variable between groups: Wilcoxon rank-sum, Kruskal–Wallis, Fisher.

Each follows R's defaults, which EZR (used by the source papers) calls:

- ``wilcox.test(x, y)``: exact p when both groups have fewer than 50 values and there are no
  ties, else the normal approximation with continuity and tie corrections. SciPy's own
  choice differs (exact only up to 8 values), so the method is always set explicitly.
- ``kruskal.test`` for more than two groups (tie-corrected; SciPy's ``kruskal`` is the same).
- ``fisher.test``: exact for 2 x 2 and r x c tables (never SciPy's Monte Carlo r x c default);
  Pearson's chi-squared without continuity correction only where exact enumeration is
  infeasible, and then ``test`` and ``status`` say so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

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
    non-finite values are dropped, as R does.
    """
    from scipy.stats import mannwhitneyu  # a second to import: paid by studies that compare

    xs, ys = _finite(x), _finite(y)
    if len(xs) == 0 or len(ys) == 0:
        return ComparisonResult(
            WILCOXON_NORMAL, None, None, status=ComparisonStatus.GROUP_WITHOUT_VALUES
        )
    combined = np.concatenate([xs, ys])
    small = len(xs) < EXACT_BELOW and len(ys) < EXACT_BELOW  # ties looked for only then
    if small and len(np.unique(combined)) == len(combined):
        result = mannwhitneyu(xs, ys, alternative="two-sided", method="exact")
        return ComparisonResult(WILCOXON_EXACT, float(result.statistic), float(result.pvalue))
    # One ranking of a registry's values gives the statistic and, unless every value is the
    # same (no variance: R gives no p), the p-value.
    result = mannwhitneyu(xs, ys, alternative="two-sided", method="asymptotic", use_continuity=True)
    statistic = float(result.statistic)
    if np.all(combined == combined[0]):
        return ComparisonResult(WILCOXON_NORMAL, statistic, None, status=ComparisonStatus.ALL_EQUAL)
    return ComparisonResult(WILCOXON_NORMAL, statistic, float(result.pvalue))


def kruskal_test(values: ArrayLike, group: ArrayLike) -> ComparisonResult:
    """Kruskal–Wallis rank-sum test of k groups, as R ``kruskal.test`` (tie-corrected)."""
    from scipy.stats import kruskal

    frame = _complete(values, group)
    labels, codes = group_labels(frame["group"])
    values = numbers(frame["value"])
    samples = [values[codes == i] for i in range(len(labels))]
    if len(samples) < 2:
        return ComparisonResult(KRUSKAL, None, None, status=ComparisonStatus.FEWER_THAN_TWO_GROUPS)
    if np.ptp(values) == 0:
        return ComparisonResult(KRUSKAL, None, None, status=ComparisonStatus.ALL_EQUAL)
    result = kruskal(*samples)
    return ComparisonResult(KRUSKAL, float(result.statistic), float(result.pvalue))


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
