"""A continuous value's summary (Table I's Distribution) from its distinct values and counts.

Value counts are sufficient statistics for order statistics: summed over any split of the
patients they give those of the whole, so the median, quartiles and range read from them are
the ones ``numpy.quantile`` (R type 7) gives on all the values, to the last bit. The mean and
SD are computed from exact rational sums and rounded once; the in-memory path sums floats
pairwise in row order, so the two agree to a few units in the last place, not bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohortpress.analyse._study import Distribution

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

QUARTILES = (0.25, 0.5, 0.75)


def distribution_from_counts(values: ArrayLike, counts: ArrayLike, missing: int) -> Distribution:
    """``Distribution`` of the values present ``counts`` times each, with ``missing`` blanks.

    ``values`` must be finite numbers (any order); ``counts`` whole numbers > 0. Equal values
    are merged: -0.0 and 0.0 are one value (pandas' value_counts keeps them apart), as they
    are one in a sort, and the summary shows 0.0.
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    k = np.asarray(counts).ravel()
    if len(x) != len(k) or not np.all(np.isfinite(x)):
        raise ValueError("values must be finite numbers, one count each")
    if not np.issubdtype(k.dtype, np.integer) or np.any(k <= 0):
        raise ValueError("counts must be whole numbers > 0")
    x, position = np.unique(x + 0.0, return_inverse=True)  # sorted; + 0.0 turns -0.0 into 0.0
    merged = np.zeros(len(x), dtype=np.int64)
    np.add.at(merged, position, k.astype(np.int64))
    k = merged
    n = int(k.sum())
    if n == 0:
        return Distribution(0, missing, None, None, None, None, None)
    ends = np.cumsum(k)  # the last 0-based position of each distinct value, plus one
    q1, median, q3 = (type7_quantile(x, ends, n, q) for q in QUARTILES)
    mean, sd = exact_mean_sd(x, k)
    return Distribution(n, missing, median, q1, q3, float(x[0]), float(x[-1]), mean, sd)


def type7_quantile(x: NDArray[np.float64], ends: NDArray[np.int64], n: int, q: float) -> float:
    """R type 7 (numpy's "linear") quantile of the n sorted values, read from the counts.

    The arithmetic is numpy's own (``_compute_virtual_index`` and ``_lerp`` of
    numpy/lib/_function_base_impl.py), so the result is bit-identical to ``np.quantile``.
    """
    virtual = np.float64(n) * q + (1.0 + q * -1.0) - 1.0
    below = math.floor(virtual)
    above = min(below + 1, n - 1)
    a, b = _order_statistic(x, ends, below), _order_statistic(x, ends, above)
    gamma = np.float64(virtual - below)
    diff = b - a
    return float(b - diff * (1 - gamma)) if gamma >= 0.5 else float(a + diff * gamma)


def _order_statistic(x: NDArray[np.float64], ends: NDArray[np.int64], position: int) -> np.float64:
    """The value at 0-based ``position`` of the sorted values."""
    return x[int(np.searchsorted(ends, position, side="right"))]


def exact_mean_sd(x: NDArray[np.float64], k: NDArray[np.int64]) -> tuple[float, float | None]:
    """Mean and sample SD (n - 1) from exact sums of the values and their squares.

    The sums are exact rationals (``exact_sums``), so they do not depend on how the counts
    were split or ordered; the mean is rounded once, the SD is the square root of the
    rounded variance.
    """
    n = int(k.sum())
    s1, s2 = exact_sums(x, k)
    mean = float(s1 / n)
    if n < 2:
        return mean, None
    variance = (s2 - s1 * s1 / n) / (n - 1)
    return mean, math.sqrt(float(variance))


LIMB = 14  # bits per piece of a mantissa: products of two pieces times a count stay in int64
LIMBS = 4  # 4 x 14 >= 53 bits


def exact_sums(x: NDArray[np.float64], k: NDArray[np.int64]) -> tuple[Fraction, Fraction]:
    """Σ k·x and Σ k·x² exactly, in vectorised integer arithmetic.

    Each value is M·2^E with M a whole number of at most 53 bits (``frexp``); M is cut into
    four 14-bit pieces, so every product of two pieces is below 2^30 and its sum weighted by
    the counts fits in int64 for up to 2^33 patients. The sums are taken per exponent E
    (numpy, exact) and joined as rationals on a few dozen exponents: the result is
    ``Σ Fraction(v) * c`` without a Python loop over the values.
    """
    if int(k.sum()) >= 2**33:
        raise ValueError("more than 2^33 values: the exact sums would overflow")
    fraction, exponent = np.frexp(x)
    mantissa = np.ldexp(fraction, 53).astype(np.int64)  # exact: |mantissa| < 2^53
    exponent = exponent.astype(np.int64) - 53
    order = np.argsort(exponent, kind="stable")
    exponent, mantissa, counts = exponent[order], mantissa[order], k[order].astype(np.int64)
    starts = np.flatnonzero(np.r_[True, np.diff(exponent) != 0])
    size = np.abs(mantissa)
    pieces = [(size >> (LIMB * i)) & ((1 << LIMB) - 1) for i in range(LIMBS)]
    signed = counts * np.sign(mantissa)
    linear = [np.add.reduceat(signed * d, starts) for d in pieces]
    square = [
        np.add.reduceat(
            counts * sum(pieces[i] * pieces[p - i] for i in range(LIMBS) if 0 <= p - i < LIMBS),
            starts,
        )
        for p in range(2 * LIMBS - 1)
    ]
    s1, s2 = Fraction(0), Fraction(0)
    for g, e in enumerate(exponent[starts].tolist()):
        a1 = sum(int(linear[i][g]) << (LIMB * i) for i in range(LIMBS))
        a2 = sum(int(square[p][g]) << (LIMB * p) for p in range(2 * LIMBS - 1))
        s1 += _times_power_of_two(a1, e)
        s2 += _times_power_of_two(a2, 2 * e)
    return s1, s2


def _times_power_of_two(value: int, exponent: int) -> Fraction:
    return Fraction(value << exponent) if exponent >= 0 else Fraction(value, 1 << -exponent)


@dataclass(frozen=True)
class CountedValues:
    """One variable's values as counts: each value present (``counts``: value -> patients) and
    the blanks. What Table I reads of a column (``_summaries.LevelValues``), from counts
    summed over the partitions of an extract."""

    counts: pd.Series  # index: the distinct values present; values: their counts (> 0)
    blanks: int

    def __len__(self) -> int:
        return int(self.counts.sum()) + self.blanks

    def missing(self) -> int:
        return self.blanks

    def distribution(self) -> Distribution:
        """Order statistics exactly, the mean and SD from exact sums."""
        return distribution_from_counts(
            self.counts.index.to_numpy(dtype=np.float64),
            self.counts.to_numpy(dtype=np.int64),
            self.blanks,
        )

    def cut(self, cut: float, below: str, above: str) -> CountedValues:
        """The patients below ``cut`` and the others, as ``below`` and ``above``."""
        low = self.counts.index.to_numpy(dtype=np.float64) < cut
        k = self.counts.to_numpy(dtype=np.int64)
        counts = pd.Series([int(k[low].sum()), int(k[~low].sum())], index=[below, above])
        return CountedValues(counts[counts > 0], self.blanks)

    def count(self, level: object) -> int:
        return int(sum(int(c) for v, c in self.counts.items() if v == level))
