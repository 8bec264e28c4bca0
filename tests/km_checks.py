"""Comparisons of survival estimates field by field (their classes compare by identity)."""

from __future__ import annotations

import pandas as pd


def quantile(q) -> tuple:
    """A QuantileEstimate's fields (the class compares by identity)."""
    return (q.surv_level, q.estimate, q.lower, q.upper)


def same_estimate(a, b) -> None:
    """Two KM estimates with the same table, counts, median and quartiles, bit for bit."""
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    assert (a.n, a.events, quantile(a.median)) == (b.n, b.events, quantile(b.median))
    assert [quantile(q) for q in a.quartiles] == [quantile(q) for q in b.quartiles]
