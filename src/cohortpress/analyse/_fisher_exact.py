"""Exact p-value of Fisher's test for r x c tables by network enumeration (Mehta & Patel).

The p-value is R's: the total probability of the tables with the observed margins whose
probability is at most the observed one times (1 + 1e-7). Tables are built one column at a
time; a node is the sorted set of row totals still to fill, stored as an integer key. First
every reachable node gets the exact smallest and largest weight (sum of -log x! over the
cells) its completions can add. Then the partial tables are carried forward, merged by node
and weight: when every completion of a group is in the tail the group's whole probability is
added (a closed form), when none is the group is dropped, and only the rest is expanded.
Everything is deterministic: the same table gives the same p-value, to the last bit.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

RELATIVE_TOLERANCE = 1e-7  # R: d <= d_observed * (1 + 1e-7)
MAX_NODES = 20_000  # nodes reachable after one column
MAX_EDGES = 1_000_000  # ways of filling a column, summed over all nodes
MAX_ENTRIES = 2_000_000  # partial tables carried after one column
WEIGHT_RESOLUTION = 1e9  # partial tables whose weights agree to 1e-9 are merged


class TooLarge(Exception):
    """Exact enumeration would exceed the limits above (a few seconds of work at most)."""


def fisher_exact_pvalue(table: NDArray[np.int64]) -> float:
    """Two-sided exact p-value of a table with at least two non-empty rows and columns.

    Raises ``TooLarge`` when the enumeration would exceed the module's deterministic limits.
    """
    t = np.asarray(table, dtype=np.int64)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    if t.shape[0] > t.shape[1]:
        t = t.T
    if (int(t.sum()) + 1) ** t.shape[0] >= 2**62:
        raise TooLarge  # nodes would not fit in a 64-bit key
    return _Network(t).pvalue()


class _Network:
    def __init__(self, table: NDArray[np.int64]) -> None:
        from scipy.special import gammaln  # here: the tables import this module on cached runs

        n = int(table.sum())
        self.log_fact = gammaln(np.arange(n + 2) + 1.0)
        rows = np.sort(table.sum(axis=1))[::-1]
        self.cols = tuple(int(c) for c in np.sort(table.sum(axis=0))[::-1])
        self.base = n + 1
        self.powers = self.base ** np.arange(len(rows), dtype=np.int64)
        self.root = int(rows @ self.powers)
        # log of prod(R!) prod(C!) / N!: turns a table's weight into its probability
        self.constant = float(
            self.log_fact[rows].sum() + self.log_fact[list(self.cols)].sum() - self.log_fact[n]
        )
        self.threshold = float(-self.log_fact[table].sum()) + math.log1p(RELATIVE_TOLERANCE)
        self.edges: dict[tuple[int, int], tuple[NDArray[np.float64], NDArray[np.int64]]] = {}
        self.edge_count = 0

    def pvalue(self) -> float:
        stages = self._reachable()
        info = [self._completions(j, keys) for j, keys in enumerate(stages)]
        self._bounds(stages, info)
        low, high, completions = (float(v[0]) for v in info[0])
        if high <= self.threshold:
            return min(math.exp(completions + self.constant), 1.0)
        if low > self.threshold:
            return 0.0
        key, weight, count = np.array([self.root]), np.zeros(1), np.ones(1)
        total = 0.0
        for j in range(len(self.cols) - 1):
            key, weight, count, settled = self._expand(
                j, key, weight, count, stages[j + 1], info[j + 1]
            )
            total += settled
        return min(total, 1.0)

    def _reachable(self) -> list[NDArray[np.int64]]:
        """The sorted node keys at each stage (before column j is filled)."""
        stages = [np.array([self.root], dtype=np.int64)]
        for j in range(len(self.cols) - 1):
            reached = np.unique(np.concatenate([self._children(j, int(k))[1] for k in stages[-1]]))
            if len(reached) > MAX_NODES:
                raise TooLarge
            stages.append(reached)
        return stages

    def _children(self, j: int, key: int) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """For each way to fill column j from node ``key``: the weight added, the node reached."""
        if (j, key) not in self.edges:
            node = tuple(int(d) for d in self._digits(np.array([key]))[0])
            if math.comb(self.cols[j] + len(node) - 1, len(node) - 1) > MAX_EDGES:
                raise TooLarge
            cells = _compositions(self.cols[j], node)
            self.edge_count += len(cells)
            if self.edge_count > MAX_EDGES:
                raise TooLarge
            remaining = -np.sort(-(np.array(node) - cells), axis=1)
            self.edges[j, key] = (-self.log_fact[cells].sum(axis=1), remaining @ self.powers)
        return self.edges[j, key]

    def _digits(self, keys: NDArray[np.int64]) -> NDArray[np.int64]:
        return (keys[:, None] // self.powers[None, :]) % self.base

    def _completions(self, j: int, keys: NDArray[np.int64]) -> list[NDArray[np.float64]]:
        """[low, high, log of the sum over completions of exp(weight)] for each node; the last
        is M! / (prod r! prod c!), the number of ways to fill the rest, in closed form."""
        rows = self._digits(keys)
        remaining = sum(self.cols[j:])
        free = self.log_fact[remaining] - self.log_fact[rows].sum(axis=1)
        completions = free - self.log_fact[list(self.cols[j:])].sum()
        forced = -self.log_fact[rows].sum(axis=1)  # exact when only the last column is left
        return [forced, forced.copy(), completions]

    def _bounds(self, stages: list[NDArray[np.int64]], info: list[list[NDArray]]) -> None:
        """Exact smallest and largest completion weight of every node, last stage first."""
        for j in range(len(stages) - 2, -1, -1):
            next_keys, next_low, next_high = stages[j + 1], info[j + 1][0], info[j + 1][1]
            for i, key in enumerate(stages[j]):
                steps, children = self._children(j, int(key))
                at = np.searchsorted(next_keys, children)
                info[j][0][i] = np.min(steps + next_low[at])
                info[j][1][i] = np.max(steps + next_high[at])

    def _expand(
        self,
        j: int,
        key: NDArray[np.int64],
        weight: NDArray[np.float64],
        count: NDArray[np.float64],
        next_keys: NDArray[np.int64],
        next_info: list[NDArray[np.float64]],
    ) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], float]:
        """Fill column j in every possible way, node by node.

        With a node's tables sorted by weight, those whose completions through one filling
        are all in the tail form a prefix, and those still undecided the slice after it: the
        prefix is added through cumulative sums, only the slice is carried on (then merged).
        """
        if len(key) == 0:
            return key, weight, count, 0.0
        order = np.lexsort((weight, key))
        key, weight, count = key[order], weight[order], count[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        parts, total, size = [], 0.0, 0
        for start, stop in zip(starts, np.r_[starts[1:], len(key)], strict=True):
            steps, children = self._children(j, int(key[start]))
            at = np.searchsorted(next_keys, children)
            low, high, completions = (v[at] for v in next_info)
            w, c = weight[start:stop], count[start:stop]
            scale = w[-1]
            prefix = np.r_[0.0, np.cumsum(c * np.exp(w - scale))]
            all_in = np.searchsorted(w, self.threshold - steps - high, side="right")
            some_in = np.searchsorted(w, self.threshold - steps - low, side="right")
            tail = steps + completions + scale + self.constant
            total += float(np.sum(prefix[all_in] * np.exp(tail)))
            size += int(np.sum(some_in - all_in))
            if size > MAX_ENTRIES:
                raise TooLarge
            parts.append(_slices(all_in, some_in, children, steps, w, c))
        new_key, new_weight, new_count = (np.concatenate(p) for p in zip(*parts, strict=True))
        return (*_merge(new_key, new_weight, new_count), total)


def _slices(
    begin: NDArray[np.intp],
    end: NDArray[np.intp],
    children: NDArray[np.int64],
    steps: NDArray[np.float64],
    weight: NDArray[np.float64],
    count: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """The tables weight[begin[k]:end[k]] moved to child k, for every k, as flat arrays."""
    lengths = end - begin
    owner = np.repeat(np.arange(len(lengths)), lengths)
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    rows = begin[owner] + offsets
    return children[owner], weight[rows] + steps[owner], count[rows]


def _merge(
    key: NDArray[np.int64], weight: NDArray[np.float64], count: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Sum the counts of partial tables at the same node with the same weight."""
    if len(key) == 0:
        return key, weight, count
    rounded = np.rint(weight * WEIGHT_RESOLUTION).astype(np.int64)
    order = np.lexsort((rounded, key))
    key, rounded, weight, count = key[order], rounded[order], weight[order], count[order]
    first = np.r_[True, (key[1:] != key[:-1]) | (rounded[1:] != rounded[:-1])]
    group = np.cumsum(first) - 1
    return key[first], weight[first], np.bincount(group, weights=count).astype(np.float64)


def _compositions(total: int, caps: tuple[int, ...]) -> NDArray[np.int64]:
    """Every x with x_1 + ... + x_k = total and 0 <= x_i <= caps[i], one per row.

    Built part by part: each partial row branches into every value its part can take while
    the remaining parts can still hold what is left.
    """
    cells = np.zeros((1, 0), dtype=np.int64)
    left = np.array([total], dtype=np.int64)
    for i, cap in enumerate(caps[:-1]):
        lowest = np.maximum(0, left - sum(caps[i + 1 :]))
        options = np.maximum(np.minimum(cap, left) - lowest + 1, 0)
        parent = np.repeat(np.arange(len(cells)), options)
        value = (
            lowest[parent]
            + np.arange(int(options.sum()))
            - np.repeat(np.cumsum(options) - options, options)
        )
        cells = np.column_stack([cells[parent], value])
        left = left[parent] - value
    keep = left <= caps[-1]
    return np.column_stack([cells[keep], left[keep]])
