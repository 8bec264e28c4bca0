"""Harrell's concordance of a Cox model, as R's ``survival::concordance`` (survival 3.x).

What a statistician checks a model's discrimination against: ``summary(coxph(...))$concordance``
(C and its standard error), computed as ``concordancefit(y, lp, reverse = TRUE, timewt = "n")``.

Pairs: an event at time t is compared with every patient still at risk after it, that is with a
later time or censored at t itself (a censored time counts as longer than an event at the same
time). A pair is concordant when the earlier event has the higher risk score (linear
predictor), discordant when it has the lower, tied on x when the scores are equal. Events at the
same time are tied on y and not compared (tied on x and y when their scores are equal too).
C = (concordant + tied.x / 2) / (concordant + discordant + tied.x). The standard error is R's
infinitesimal jackknife: each patient's influence on Somers' d from the pairs it is in.

Counting uses two wavelet matrices over the ranks of the scores, so each patient's pair counts
take O(log n) vectorised steps and a million patients stay cheap (no pairwise loop). The same
counting takes rows that stand for several patients each (``concordance_from_counts``): the
patients with the same time, event and score are in the same pairs, so a partitioned extract
needs only their number per (time, event, score).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohortpress.analyse._results import Concordance

if TYPE_CHECKING:
    from numpy.typing import NDArray


@dataclass(frozen=True)
class PairCounts:
    """Per patient, the concordant, discordant and x-tied pairs it belongs to."""

    concordant: NDArray[np.int64]
    discordant: NDArray[np.int64]
    tied_x: NDArray[np.int64]


def concordance(
    time: NDArray[np.float64], event: NDArray[np.bool_], score: NDArray[np.float64]
) -> Concordance | None:
    """C of ``score`` (higher = shorter survival) for ``time``/``event``; None without any
    comparable pair (no events, or only events tied in time), where R gives NA.

    Patients alike in time, event and score are in the same pairs: they are counted as one
    row each, with their number (:func:`concordance_from_counts`) when that makes far fewer
    rows, as a model of one categorical covariate does for a registry."""
    time, event, score = np.asarray(time, float), np.asarray(event, bool), np.asarray(score, float)
    if len(time) < COLLAPSE_FROM:
        return _concordance(time, event, score, None)
    rank, m = _ranks(score)
    t_rank, _ = _ranks(time)
    cell = (2 * t_rank + event) * m + rank  # < 2 n^2: fits int64 for any cohort in memory
    codes, cells = pd.factorize(cell)  # in order of first appearance
    first = np.searchsorted(np.maximum.accumulate(codes), np.arange(len(cells)))
    count = np.bincount(codes)
    if len(first) > len(time) // 2:
        return _concordance(time, event, score, None)
    return _concordance(time[first], event[first], score[first], count.astype(np.int64))


def concordance_from_counts(
    time: NDArray[np.float64],
    event: NDArray[np.bool_],
    score: NDArray[np.float64],
    count: NDArray[np.int64],
) -> Concordance | None:
    """``concordance`` of ``count[i]`` patients with ``time[i]``, ``event[i]``, ``score[i]``
    each: the same C, pair counts and standard error as with one row per patient, at the
    cost of the number of distinct rows (each row's counts are each of its patients')."""
    count = np.asarray(count, np.int64)
    if np.any(count < 0):
        raise ValueError("patient counts must be >= 0")
    keep = count > 0
    return _concordance(
        np.asarray(time, float)[keep],
        np.asarray(event, bool)[keep],
        np.asarray(score, float)[keep],
        count[keep],
    )


def _concordance(
    time: NDArray[np.float64],
    event: NDArray[np.bool_],
    score: NDArray[np.float64],
    weight: NDArray[np.int64] | None,
) -> Concordance | None:
    """Rows of one patient each (``weight`` None) or of ``weight`` patients each."""
    time, event, score = np.asarray(time, float), np.asarray(event, bool), np.asarray(score, float)
    if not event.any():
        return None
    rank, m = _ranks(score)
    t_rank, _ = _ranks(time)
    early = _as_earlier_member(t_rank, event, rank, m, weight)
    late = _as_later_member(t_rank, event, rank, m, weight)
    # Each pair has exactly one earlier member, an event: the totals are the events' own
    # pairs; a patient's influence counts the pairs it is in as either member.
    c, d, t = (int(v.sum() if weight is None else v @ weight) for v in early)
    pairs = PairCounts(*(a + b for a, b in zip(early, late, strict=True)))
    npair = c + d + t
    if npair == 0:
        return None
    somers = (c - d) / npair
    dfbeta = (pairs.concordant - pairs.discordant) / npair - somers / npair * (
        pairs.concordant + pairs.discordant + pairs.tied_x
    )
    squares = dfbeta * dfbeta if weight is None else dfbeta * dfbeta * weight
    w_event = None if weight is None else weight[event]
    tied_y, tied_xy = _tied_in_time(t_rank[event], rank[event], m, w_event)
    return Concordance(
        value=(somers + 1.0) / 2.0,
        se=float(np.sqrt(np.sum(squares) / 4.0)),
        concordant=c,
        discordant=d,
        tied_x=t,
        tied_y=tied_y,
        tied_xy=tied_xy,
    )


def pair_counts(
    time: NDArray[np.float64], event: NDArray[np.bool_], score: NDArray[np.float64]
) -> PairCounts:
    """For each patient, the comparable pairs it is in, as either member (R's influence
    matrix of ``concordancefit``, columns concordant, discordant, tied.x, with reverse)."""
    rank, m = _ranks(np.asarray(score, float))
    t_rank, _ = _ranks(np.asarray(time, float))
    event = np.asarray(event, bool)
    early = _as_earlier_member(t_rank, event, rank, m)
    late = _as_later_member(t_rank, event, rank, m)
    return PairCounts(*(a + b for a, b in zip(early, late, strict=True)))


def _ranks(values: NDArray[np.float64]) -> tuple[NDArray[np.int64], int]:
    """Dense ranks (equal values share one: ties as R sees them) and how many there are.

    The distinct values are found by hashing (-0.0 and 0.0 are one, as in a sort) and only
    they are sorted: a million scores of a few distinct values cost one pass, not a sort.
    Values already in order (the times of a model's rows, sorted by time) are ranked by
    counting where they change, without hashing."""
    if len(values) > 1 and bool(np.all(values[1:] >= values[:-1])):  # sorted, no NaN
        changes = np.cumsum(values[1:] != values[:-1], dtype=np.int64)
        return np.concatenate(([0], changes)), int(changes[-1]) + 1
    codes, distinct = pd.factorize(values)
    if len(codes) and codes.min() < 0:  # NaN: np.unique ranks it last
        unique, inverse = np.unique(values, return_inverse=True)
        return inverse.astype(np.int64).ravel(), len(unique)
    rank = np.empty(len(distinct), np.int64)
    rank[np.argsort(distinct, kind="stable")] = np.arange(len(distinct))
    return rank[codes], len(distinct)


def _as_earlier_member(
    t_rank: NDArray[np.int64],
    event: NDArray[np.bool_],
    rank: NDArray[np.int64],
    m: int,
    weight: NDArray[np.int64] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per patient (or per row of ``weight`` patients), pairs in which it is the event:
    compared with those at risk after it.

    Patients ordered by (time, events before censored): an event's comparison set is the
    suffix after its time's events, so its counts are all-patient counts less prefix counts.
    """
    n = len(t_rank)
    key = 2 * t_rank + (~event).astype(np.int64)
    order = _stable_order(key)
    matrix = rank_counter(rank[order], m, None if weight is None else weight[order])
    ev = np.flatnonzero(event)
    start = np.cumsum(np.bincount(key, minlength=2 * int(t_rank.max()) + 2))[2 * t_rank[ev]]
    below_all = np.concatenate(([0], np.cumsum(_counts(rank, m, weight))))
    r = rank[ev]
    below = below_all[r] - matrix.count_less(start, r)
    at_most = below_all[r + 1] - matrix.count_less(start, r + 1)
    size = n - start if weight is None else int(weight.sum()) - _prefix(weight[order])[start]
    out = [np.zeros(n, np.int64) for _ in range(3)]
    # The earlier member is the event: concordant when its score is the higher.
    out[0][ev], out[1][ev], out[2][ev] = below, size - at_most, at_most - below
    return out[0], out[1], out[2]


def _as_later_member(
    t_rank: NDArray[np.int64],
    event: NDArray[np.bool_],
    rank: NDArray[np.int64],
    m: int,
    weight: NDArray[np.int64] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per patient (or row), pairs in which it is the later member: the events before its
    time, and those at its time when it is censored."""
    ev = np.flatnonzero(event)
    order = ev[_stable_order(t_rank[ev])]
    matrix = rank_counter(rank[order], m, None if weight is None else weight[order])
    before = np.concatenate(([0], np.cumsum(np.bincount(t_rank[ev], minlength=len(t_rank)))))
    end = np.where(event, before[t_rank], before[t_rank + 1])
    below = matrix.count_less(end, rank)
    at_most = matrix.count_less(end, rank + 1)
    if weight is not None:  # the events' patients before ``end``, not the events' rows
        events_before = _prefix(weight[order])
        end = events_before[end]
    # Concordant when the earlier event's score is higher than this patient's.
    return end - at_most, below, at_most - below


def _tied_in_time(
    t_rank: NDArray[np.int64],
    rank: NDArray[np.int64],
    m: int,
    weight: NDArray[np.int64] | None = None,
) -> tuple[int, int]:
    """Pairs of events (given by their time and score ranks) at the same time: tied.y when
    their scores differ, tied.xy when they are equal too, as R counts them."""
    per_time = _counts(t_rank, 0, weight)
    if weight is None:
        _, per_cell = np.unique(t_rank * m + rank, return_counts=True)
    else:
        _, cell = np.unique(t_rank * m + rank, return_inverse=True)
        per_cell = _counts(cell.ravel(), 0, weight)
    tied_xy = int((per_cell * (per_cell - 1) // 2).sum())
    return int((per_time * (per_time - 1) // 2).sum()) - tied_xy, tied_xy


def _counts(
    values: NDArray[np.int64], m: int, weight: NDArray[np.int64] | None
) -> NDArray[np.int64]:
    """How many rows (or patients, with ``weight``) have each value 0, 1, ..."""
    if weight is None:
        return np.bincount(values, minlength=m).astype(np.int64)
    # float sums of integers are exact below 2**53 patients
    return np.bincount(values, weights=weight, minlength=m).astype(np.int64)


def _prefix(weight: NDArray[np.int64]) -> NDArray[np.int64]:
    """Patients in the first 0, 1, ..., n rows."""
    return np.concatenate(([0], np.cumsum(weight, dtype=np.int64)))


def _stable_order(keys: NDArray[np.int64]) -> NDArray[np.intp]:
    """A stable argsort of non-negative integer keys: a radix sort when they fit 16 bits (a
    few thousand distinct times, the usual case), else numpy's merge sort."""
    if len(keys) and int(keys.max()) < 2**16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    return np.argsort(keys, kind="stable")


COLLAPSE_FROM = 10_000  # patients; below, counting rows as they are is cheap enough
FEW_SCORES = 8  # up to this many distinct scores, a table of running counts is cheaper


def rank_counter(
    values: NDArray[np.int64], distinct: int, weight: NDArray[np.int64] | None = None
) -> RunningCounts | WaveletMatrix:
    """The cheaper counter for ``values`` (ranks below ``distinct``): most Cox models have one
    binary or categorical covariate, hence a few distinct scores. With ``weight``, a position
    counts as that many."""
    if distinct <= FEW_SCORES:
        return RunningCounts(values, distinct, weight)
    return WaveletMatrix(values, distinct, weight)


class RunningCounts:
    """Counts of values below a bound among the first positions, from a table of running
    counts per value (n + 1 rows, one column per bound): for a few distinct values."""

    def __init__(
        self, values: NDArray[np.int64], distinct: int, weight: NDArray[np.int64] | None = None
    ) -> None:
        kind = np.int32 if weight is None else np.int64  # a count of patients may pass 2**31
        onehot = np.zeros((len(values) + 1, distinct + 1), dtype=kind)
        onehot[np.arange(1, len(values) + 1), np.asarray(values, np.int64) + 1] = (
            1 if weight is None else weight
        )
        self.table = np.cumsum(np.cumsum(onehot, axis=0, dtype=kind), axis=1, dtype=kind)

    def count_less(self, end: NDArray[np.int64], bound: NDArray[np.int64]) -> NDArray[np.int64]:
        """How many of the values at positions [0, end) are below ``bound`` (per query)."""
        return self.table[np.asarray(end, np.int64), np.asarray(bound, np.int64)].astype(np.int64)


class WaveletMatrix:
    """Counts of values below a bound among the first positions of a sequence of small
    non-negative integers, for many queries at once (one vectorised pass per bit)."""

    def __init__(
        self, values: NDArray[np.int64], distinct: int, weight: NDArray[np.int64] | None = None
    ) -> None:
        self.bits = max(1, int(distinct).bit_length())
        self.zeros: list[NDArray[np.int64]] = []
        # with weights: per level, the weight of the zero-bit positions before each position
        self.weighted: list[NDArray[np.int64]] | None = None if weight is None else []
        current = np.asarray(values, np.int64)
        for b in range(self.bits - 1, -1, -1):
            bit = (current >> b) & 1
            self.zeros.append(np.concatenate(([0], np.cumsum(bit == 0))).astype(np.int64))
            moved = np.argsort(bit, kind="stable")
            if weight is not None and self.weighted is not None:
                self.weighted.append(_prefix(np.where(bit == 0, weight, 0)))
                weight = weight[moved]
            current = current[moved]

    def count_less(self, end: NDArray[np.int64], bound: NDArray[np.int64]) -> NDArray[np.int64]:
        """How many of the values at positions [0, end) are below ``bound`` (per query)."""
        end = np.asarray(end, np.int64).copy()
        bound = np.asarray(bound, np.int64)
        start = np.zeros_like(end)
        found = np.zeros_like(end)
        for i, (level, b) in enumerate(zip(self.zeros, range(self.bits - 1, -1, -1), strict=True)):
            total = level[-1]
            one = ((bound >> b) & 1) == 1
            zs, ze = level[start], level[end]
            if self.weighted is None:
                found += np.where(one, ze - zs, 0)
            else:
                found += np.where(one, self.weighted[i][end] - self.weighted[i][start], 0)
            start = np.where(one, total + start - zs, zs)
            end = np.where(one, total + end - ze, ze)
        return found
