"""The in-memory estimators fed counts instead of patients: counts summed over any split of
the patients give the same numbers, to the last bit (what the Dask path relies on)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from km_checks import quantile, same_estimate

from cohortpress.analyse._km import (
    km_estimate,
    km_estimate_from_counts,
    median_followup,
    median_followup_from_counts,
)
from cohortpress.analyse._logrank import logrank_from_counts, logrank_test
from cohortpress.analyse._summaries import distribution
from cohortpress.analyse._value_counts import distribution_from_counts

TIMES = st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 3.25, 4.0, 7.0, 12.0, 30.1])
PATIENTS = st.lists(
    st.tuples(TIMES, st.booleans(), st.integers(0, 2), st.integers(0, 3)), min_size=1, max_size=60
)


def _split_counts(rows: list[tuple[float, bool, int, int]]) -> pd.DataFrame:
    """Counts per (group, time) taken per part (the last field) and then summed, as workers do."""
    frame = pd.DataFrame(rows, columns=["time", "event", "group", "part"])
    frame["n_event"] = frame["event"].astype(int)
    frame["n_censor"] = 1 - frame["n_event"]
    parts = [
        part.groupby(["group", "time"])[["n_event", "n_censor"]].sum()
        for _, part in frame.groupby("part")
    ]
    return pd.concat(parts).groupby(level=[0, 1]).sum().reset_index()


@settings(max_examples=150, deadline=None)
@given(PATIENTS, st.sampled_from(["log-log", "log", "plain"]))
def test_km_and_followup_from_split_counts_are_bit_identical(rows, transform) -> None:
    counts = _split_counts(rows).groupby("time")[["n_event", "n_censor"]].sum()
    times, events = [r[0] for r in rows], [r[1] for r in rows]
    args = (counts.index, counts["n_event"], counts["n_censor"])
    same_estimate(
        km_estimate_from_counts(*args, ci_transform=transform),
        km_estimate(times, events, ci_transform=transform),
    )
    assert quantile(median_followup_from_counts(*args, ci_transform=transform)) == quantile(
        median_followup(times, events, ci_transform=transform)
    )


@settings(max_examples=150, deadline=None)
@given(PATIENTS)
def test_logrank_from_split_counts_is_bit_identical(rows) -> None:
    groups = sorted({r[2] for r in rows})
    if len(groups) < 2:
        return
    counts = _split_counts(rows).set_index(["time", "group"]).unstack("group", fill_value=0)
    from_counts = logrank_from_counts([str(g) for g in groups], counts["n_event"],
                                      counts["n_censor"])  # fmt: skip
    direct = logrank_test([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    for field in ("groups", "observed", "expected", "chisq", "df", "p", "status", "n", "variance"):
        assert getattr(from_counts, field) == getattr(direct, field), field


VALUES = st.lists(
    st.one_of(
        st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False),
        st.integers(0, 120).map(float),
        st.sampled_from([0.0, -0.0]),
        st.none(),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_distribution_from_value_counts(values) -> None:
    """Median, quartiles (type 7) and range exactly; mean and SD to 1e-12 (the in-memory
    path sums floats pairwise in row order, the counts path exactly)."""
    series = pd.Series(values, dtype="float64")
    counts = series.value_counts()  # -0.0 and 0.0 apart, merged by distribution_from_counts
    got = distribution_from_counts(counts.index, counts.to_numpy(), int(series.isna().sum()))
    want = distribution(series)
    shown = (got.median, got.q1, got.q3, got.minimum, got.maximum)
    assert not any(v == 0 and np.signbit(v) for v in shown if v is not None)  # no "-0.0"
    assert (got.n, got.missing, got.median, got.q1, got.q3, got.minimum, got.maximum) == (
        want.n, want.missing, want.median, want.q1, want.q3, want.minimum, want.maximum,
    )  # fmt: skip
    # The float sums' rounding error scales with the largest value, not with the mean: values
    # that nearly cancel leave a small mean that the float sum misses by ~1e-16 of the largest.
    scale = max([1.0, *(abs(v) for v in values if v is not None)])
    for a, b in ((got.mean, want.mean), (got.sd, want.sd)):
        assert (a is None) == (b is None)
        if a is not None and b is not None:
            assert a == pytest.approx(b, rel=1e-12, abs=1e-12 * scale)


def test_exact_sums_refuse_more_values_than_they_can_sum() -> None:
    from cohortpress.analyse._value_counts import exact_sums

    with pytest.raises(ValueError, match="2\\^33"):
        exact_sums(np.array([1.0, 2.0]), np.array([2**32, 2**32], dtype=np.int64))


def test_counts_that_cannot_be_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="distinct and increasing"):
        km_estimate_from_counts([2.0, 1.0], [1, 0], [0, 1])
    with pytest.raises(ValueError, match="whole numbers"):
        km_estimate_from_counts([1.0, 2.0], [1, -1], [0, 2])
    with pytest.raises(ValueError, match="finite numbers"):
        distribution_from_counts([1.0, np.nan], [1, 2], 0)
    with pytest.raises(ValueError, match="one column per label"):
        logrank_from_counts(["a", "b"], np.ones((3, 3)), np.ones((3, 3)))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        # counts up to 2^27 each, 40 values: within the 2^33 patients the sums are exact for
        st.tuples(st.floats(allow_nan=False, allow_infinity=False), st.integers(1, 2**27)),
        min_size=1,
        max_size=40,
    )
)
def test_exact_sums_are_the_rational_sums(pairs) -> None:
    """The vectorised sums equal Σ Fraction(v)·c and Σ Fraction(v)²·c (any finite floats,
    subnormal and near the largest included), so the mean and SD do not change."""
    from fractions import Fraction

    from cohortpress.analyse._value_counts import exact_sums

    x = np.array([v for v, _ in pairs], dtype=np.float64)
    k = np.array([c for _, c in pairs], dtype=np.int64)
    want = (
        sum((Fraction(v) * c for v, c in pairs), Fraction(0)),
        sum((Fraction(v) ** 2 * c for v, c in pairs), Fraction(0)),
    )
    assert exact_sums(x, k) == want
