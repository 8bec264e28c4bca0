"""One round of the Cox fits on a cluster: a task per partition answers every model in flight.

A round is one map-reduce over the kept rows (``Block``): each partition's task takes every
model's rows from its block and answers that model's request — the sums per distinct time at
a beta (a Newton–Raphson evaluation), the sum of |x - centre| (the scale), or the patients
per (time, event, linear predictor) (the concordance) — and the answers are merged model by
model up a tree, ``SPLIT_EVERY`` at a time, exactly as each model's own reduction would merge
them: so a model's numbers are the same whether it is fitted alone or with others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from dask.delayed import delayed

from cohortpress.analyse.distributed._cox_concordance import cell_counts, combine_cells
from cohortpress.analyse.distributed._cox_counted import counted_cells, counted_sums
from cohortpress.analyse.distributed._cox_design import (
    counted_key,
    merge_facts,
    model_rows,
    partition_facts,
    rows_spread,
)
from cohortpress.analyse.distributed._cox_sums import TimeSums, combine, time_sums

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from numpy.typing import NDArray

    from cohortpress.analyse._cox import CoxCovariate
    from cohortpress.analyse.distributed._cox_design import Block, Facts, PartitionModel, Rows

SPLIT_EVERY = 8  # partial results combined at a time in the reduction tree


@dataclass(frozen=True)
class Sums:
    """The per-time sums of the model's rows at ``beta`` (centred, scaled covariates)."""

    model: PartitionModel
    beta: NDArray[np.float64]


@dataclass(frozen=True)
class Spread:
    """The sum of |x - centre| of each usable column of the model's rows."""

    model: PartitionModel


@dataclass(frozen=True)
class Cells:
    """The patients per (time, event, x'beta), ``beta`` in the covariates' units."""

    model: PartitionModel
    beta: NDArray[np.float64]


Request = Sums | Spread | Cells


def partition_round(block: Block, requests: Sequence[Request]) -> list[Any]:
    """One partition's answer to every request, in order (one model's rows at a time; a
    categorical-only model's from its counts when the block has them)."""
    return [_answer(block, r) for r in requests]


def merge_round(parts: Sequence[Sequence[Any]]) -> list[Any]:
    """The answers of several partitions, merged request by request."""
    return [_merge([part[i] for part in parts]) for i in range(len(parts[0]))]


def rows_sums(rows: Rows, model: PartitionModel, beta: NDArray[np.float64]) -> TimeSums:
    """The per-time sums of a model's rows of one partition at ``beta``."""
    x = (rows.x - model.centre) * model.scale
    return time_sums(x, rows.time, rows.event, beta, model.ties)


def partition_facts_of(
    part: pd.DataFrame, models: Sequence[tuple[str, str, tuple[CoxCovariate, ...]]]
) -> list[Facts]:
    """``partition_facts`` of every (time, event, covariates), in order: the first model
    whose values the in-memory fit refuses raises its error."""
    return [partition_facts(part, time, event, covariates) for time, event, covariates in models]


def merge_facts_of(parts: Sequence[Sequence[Facts]]) -> list[Facts]:
    """The facts of several partitions, merged model by model."""
    return [merge_facts([part[i] for part in parts]) for i in range(len(parts[0]))]


def tree_reduce(
    parts: Sequence[Any], chunk: Callable[..., Any], merge: Callable[[list[Any]], Any], *args: Any
) -> Any:
    """``chunk`` of every partition, merged ``SPLIT_EVERY`` at a time up a tree on the
    workers; the root is computed and returned. The arguments travel once, as one key."""
    shared = [delayed(arg, traverse=False) for arg in args]
    level = [delayed(chunk)(part, *shared) for part in parts]
    while len(level) > 1:
        level = [
            delayed(merge)(level[i : i + SPLIT_EVERY]) for i in range(0, len(level), SPLIT_EVERY)
        ]
    return level[0].compute()


def _answer(block: Block, request: Request) -> Any:
    counted = block.counted.get(counted_key(request.model))
    if counted is not None and isinstance(request, Sums):
        return counted_sums(counted, request.model, request.beta)
    if counted is not None and isinstance(request, Cells):
        return counted_cells(counted, request.beta, request.model)
    rows = model_rows(block, request.model)
    if isinstance(request, Sums):
        return rows_sums(rows, request.model, request.beta)
    if isinstance(request, Spread):
        return rows_spread(rows, request.model.centre)
    return cell_counts(rows, request.beta)


def _merge(answers: list[Any]) -> Any:
    first = answers[0]
    if isinstance(first, TimeSums):
        return combine(answers)
    if isinstance(first, pd.DataFrame):
        return combine_cells(answers)
    return np.sum(answers, axis=0)
