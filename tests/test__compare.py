"""Group comparisons: Wilcoxon's method choice, exact Fisher r x c, dispatching."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import gammaln
from scipy.stats import fisher_exact, kruskal, mannwhitneyu

from cohortpress.analyse._compare import (
    CHISQ,
    FISHER,
    KRUSKAL,
    WILCOXON_EXACT,
    WILCOXON_NORMAL,
    _cross_counts,
    compare_groups,
    fisher_test,
    wilcoxon_test,
)
from cohortpress.analyse._status import ComparisonStatus
from cohortpress.present.notes import comparison_note


def brute_force_fisher(table: np.ndarray) -> float:
    """Every table with the margins of ``table`` enumerated cell by cell (tiny tables only)."""
    rows, cols = table.sum(axis=1), table.sum(axis=0)

    def log_prob(t: np.ndarray) -> float:
        return float(
            gammaln(rows + 1).sum()
            + gammaln(cols + 1).sum()
            - gammaln(table.sum() + 1)
            - gammaln(t + 1).sum()
        )

    observed = log_prob(table)
    total = 0.0
    free = [range(min(r, c) + 1) for r in rows[:-1] for c in cols[:-1]]
    for cells in itertools.product(*free):
        t = np.zeros_like(table)
        t[:-1, :-1] = np.reshape(cells, (len(rows) - 1, len(cols) - 1))
        t[:-1, -1] = rows[:-1] - t[:-1, :-1].sum(axis=1)
        t[-1, :] = cols - t[:-1, :].sum(axis=0)
        if (t >= 0).all() and t[-1].sum() == rows[-1]:
            p = log_prob(t)
            if p <= observed + np.log1p(1e-7):
                total += np.exp(p)
    return total


@pytest.mark.parametrize("seed", range(6))
def test_fisher_rxc_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = [(2, 3), (3, 3), (3, 2), (2, 4), (4, 2), (3, 4)][seed]
    table = rng.integers(0, 4 if shape == (3, 4) else 5, shape)  # brute force stays quick
    table[0, 0] += 1
    table[-1, -1] += 1
    assert fisher_test(table).p == pytest.approx(brute_force_fisher(table), rel=1e-10)


def test_fisher_2x2_equals_scipy() -> None:
    for table in ([[3, 1], [1, 3]], [[10, 2], [3, 15]], [[0, 6], [5, 2]], [[7, 7], [7, 7]]):
        assert fisher_test(table).p == pytest.approx(fisher_exact(table).pvalue, rel=1e-10)


def test_fisher_is_deterministic_and_invariant_to_layout() -> None:
    table = np.array([[4, 2, 1, 0], [3, 5, 2, 1], [1, 2, 6, 4]])
    first = fisher_test(table)
    assert all(fisher_test(table).p == first.p for _ in range(3))  # bit for bit
    assert fisher_test(table.T).p == pytest.approx(first.p, rel=1e-12)
    assert fisher_test(table[::-1, ::-1]).p == pytest.approx(first.p, rel=1e-12)
    assert first.test == FISHER and first.statistic is None


def test_fisher_drops_empty_rows_and_needs_two_of_each() -> None:
    assert fisher_test([[3, 1, 0], [0, 0, 0], [1, 2, 3]]).p == pytest.approx(
        fisher_test([[3, 1, 0], [1, 2, 3]]).p
    )
    result = fisher_test([[5, 0], [3, 0]])
    assert result.p is None and result.status is ComparisonStatus.ONE_CATEGORY


def test_fisher_falls_back_to_chi_square_on_large_tables() -> None:
    table = np.full((5, 6), 25) + np.arange(30).reshape(5, 6) % 7
    result = fisher_test(table)
    assert (
        result.test == CHISQ
        and result.statistic is not None
        and "too large" in (comparison_note(result) or "")
    )


def test_fisher_refuses_bad_tables() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        fisher_test([[1, -1], [2, 3]])
    with pytest.raises(ValueError, match="2-d"):
        fisher_test([1, 2, 3])


@pytest.mark.parametrize(
    ("nx", "ny", "ties", "expected"),
    [
        (10, 10, False, WILCOXON_EXACT),
        (49, 49, False, WILCOXON_EXACT),
        (50, 10, False, WILCOXON_NORMAL),
        (10, 50, False, WILCOXON_NORMAL),
        (5, 5, True, WILCOXON_NORMAL),
    ],
)
def test_wilcoxon_method_follows_r(nx: int, ny: int, ties: bool, expected: str) -> None:
    values = np.arange(nx + ny, dtype=float) * 1.5
    if ties:
        values[1] = values[0]
    rng = np.random.default_rng(nx + ny)
    rng.shuffle(values)
    assert wilcoxon_test(values[:nx], values[nx:]).test == expected


def test_wilcoxon_statistic_is_r_w_and_drops_missing() -> None:
    # R: wilcox.test(c(1, 4, 6, 7), c(2, 3, 5)) gives W = 8, p-value = 0.6285714285714
    result = wilcoxon_test([1.0, 4.0, np.nan, 6.0, 7.0], [2.0, 3.0, 5.0])
    assert result.statistic == 8.0  # ranks of x: 1 + 4 + 6 + 7 = 18, minus 4 * 5 / 2
    assert result.p == pytest.approx(0.6285714285714, rel=1e-12)


_SAMPLE = st.lists(st.integers(0, 12), min_size=1, max_size=70)  # small values: ties often


@given(x=_SAMPLE, y=_SAMPLE, spread=st.booleans())
def test_wilcoxon_is_scipys_mannwhitneyu_with_rs_method(
    x: list[int], y: list[int], spread: bool
) -> None:
    """W and p equal SciPy's for the method R chooses (SciPy's exact distribution and its
    tie- and continuity-corrected normal approximation): the counts and the ranks are
    cohortpress's own, so that a run need not import ``scipy.stats``."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if spread:  # distinct values, so that small samples take the exact test
        xs, ys = xs + np.arange(len(xs)) / 1e3, ys + np.arange(len(ys)) / 1e3 + 1e-4
    result = wilcoxon_test(xs, ys)
    if result.test == WILCOXON_EXACT:
        expected = mannwhitneyu(xs, ys, alternative="two-sided", method="exact")
    else:
        expected = mannwhitneyu(xs, ys, alternative="two-sided", method="asymptotic")
    assert result.statistic == pytest.approx(float(expected.statistic), abs=1e-9)
    if result.p is None:
        assert np.all(np.concatenate([xs, ys]) == xs[0])  # no variance: R gives no p
    else:
        assert result.p == pytest.approx(float(expected.pvalue), rel=1e-9, abs=1e-300)


@given(samples=st.lists(_SAMPLE, min_size=3, max_size=5))
def test_kruskal_is_scipys_kruskal(samples: list[list[int]]) -> None:
    """H and p equal SciPy's ``kruskal`` (tie-corrected, as R's ``kruskal.test``)."""
    values = [float(v) for sample in samples for v in sample]
    groups = [f"g{i}" for i, sample in enumerate(samples) for _ in sample]
    result = compare_groups(values, groups, "continuous")
    assert result.test == KRUSKAL
    if len(set(values)) == 1:
        assert (result.statistic, result.p) == (None, None)
        return
    expected = kruskal(*[np.asarray(sample, dtype=float) for sample in samples])
    assert result.statistic == pytest.approx(float(expected.statistic), rel=1e-9, abs=1e-12)
    assert result.p == pytest.approx(float(expected.pvalue), rel=1e-9, abs=1e-300)


def test_wilcoxon_degenerate_inputs() -> None:
    assert wilcoxon_test([], [1.0, 2.0]).p is None
    tied = wilcoxon_test([2.0, 2.0], [2.0, 2.0, 2.0])
    assert tied.p is None and comparison_note(tied) == "all values are equal"


def test_compare_groups_dispatches() -> None:
    values = [1.2, 3.4, 2.2, 5.1, 0.7, 4.4]
    assert compare_groups(values, ["a", "b"] * 3, "continuous").test == WILCOXON_EXACT
    assert compare_groups(values, ["a", "b", "c"] * 2, "continuous").test == KRUSKAL
    sex = pd.Series(["M", "F", "M", "M", None, "F"])
    result = compare_groups(sex, ["a", "b"] * 3, "categorical")
    assert result.test == FISHER
    assert result.p == pytest.approx(fisher_exact([[0, 2], [2, 1]]).pvalue)
    with pytest.raises(ValueError, match="kind"):
        compare_groups(values, ["a", "b"] * 3, "ordinal")  # type: ignore[arg-type]


def test_compare_groups_keeps_category_order_of_groups() -> None:
    group = pd.Series(pd.Categorical(["low", "high"] * 3, categories=["low", "high"]))
    values = [1.0, 5.0, 2.0, 6.0, 3.0, 7.0]
    assert compare_groups(values, group, "continuous").statistic == 0.0  # W of "low"


@pytest.mark.parametrize("dtype", [object, "string"])
def test_counts_of_text_values_are_those_of_crosstab(dtype: object) -> None:
    """Fisher's table counted from integer codes: crosstab's counts, rows and columns in the
    same (sorted) order."""
    rng = np.random.default_rng(3)
    values = pd.Series(rng.choice(["b", "a", "Z", "c"], 500)).astype(dtype)
    groups = pd.Series(rng.choice(["y", "x"], 500)).astype(dtype)
    np.testing.assert_array_equal(
        _cross_counts(values, groups), pd.crosstab(values, groups).to_numpy()
    )
