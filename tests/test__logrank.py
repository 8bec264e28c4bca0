"""The log-rank test: k groups, group order, edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines.statistics import multivariate_logrank_test

from cohortpress.analyse._logrank import logrank_test
from cohortpress.analyse._status import LogRankStatus


def test_agrees_with_lifelines_for_three_groups() -> None:
    rng = np.random.default_rng(3)
    time = rng.integers(1, 60, 150).astype(float)
    event = rng.random(150) < 0.6
    group = rng.choice(["low", "mid", "high"], 150)
    ours = logrank_test(time, event, group)
    theirs = multivariate_logrank_test(time, group, event)
    assert ours.chisq == pytest.approx(theirs.test_statistic, rel=1e-10)
    assert ours.p == pytest.approx(theirs.p_value, rel=1e-10)
    assert ours.df == 2
    assert sum(ours.observed) == pytest.approx(sum(ours.expected))


def test_groups_sorted_or_in_category_order() -> None:
    time, event = [1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 0, 1]
    assert logrank_test(time, event, ["b", "a", "b", "a", "c", "c"]).groups == ("a", "b", "c")
    ordered = pd.Series(pd.Categorical(["b", "a", "b", "a", "b", "a"], categories=["b", "z", "a"]))
    assert logrank_test(time, event, ordered).groups == ("b", "a")


def test_numeric_groups_read_as_r_levels() -> None:
    result = logrank_test([1, 2, 3, 4], [1, 1, 1, 1], [1.0, 2.0, 1.0, 2.0])
    assert result.groups == ("1", "2")


def test_group_without_events_and_single_patient_group() -> None:
    result = logrank_test([1, 2, 3, 4, 5, 9], [1, 1, 0, 1, 0, 0], ["a", "a", "b", "a", "b", "c"])
    assert result.observed == (3.0, 0.0, 0.0)
    assert result.df == 2 and 0 < result.p < 1 and result.status is None


def test_no_events_means_nothing_to_compare() -> None:
    result = logrank_test([1, 2, 3, 4], [0, 0, 0, 0], ["a", "b", "a", "b"])
    assert (result.chisq, result.df, result.p) == (0.0, 0, 1.0)
    assert result.status is LogRankStatus.FEWER_THAN_TWO_AT_RISK


def test_rows_with_missing_values_are_left_out() -> None:
    full = logrank_test([1, 2, 3, 4, 5], [1, 0, 1, 1, 0], ["a", "b", "a", "b", "a"])
    gaps = logrank_test(
        [1, 2, 3, 4, 5, None, 7], [1, 0, 1, 1, 0, 1, 1], ["a", "b", "a", "b", "a", "b", None]
    )
    assert gaps.chisq == full.chisq and gaps.observed == full.observed


def test_one_group_is_refused() -> None:
    with pytest.raises(ValueError, match="at least two groups"):
        logrank_test([1, 2], [1, 1], ["a", "a"])
