"""The Cox model of a partitioned extract, equal to ``analyse._cox.cox_fit`` on the same rows.

Map-reduce passes, each a tree reduction of per-partition results combined on the client:

1. facts (``_cox_design``): complete cases and events, the categorical levels present with
   their patients and events, each continuous covariate's sum, range and whether it is a
   -1/0/1 indicator: the design's columns, which vary, and the centres R's ``coxph`` uses;
2. coding: each partition's complete cases become the design's usable columns, sorted by
   time, kept in the workers' memory (``persist``) for the passes below: rows x (p + 2)
   floats in all, p the number of coefficients estimated;
3. when a continuous covariate is not an indicator: the sum of |x - centre| per column,
   whose mean is the scale R divides by;
4. one pass per evaluation of the likelihood in R's Newton–Raphson (``coxfit6``; the null
   model, then one per iteration, ``_cox_newton.maximise``): given beta, each partition's
   sums per distinct time (``_cox_sums``), added by time up the tree; the client's reverse
   cumulative sums over time give the risk sets, then the log-likelihood, score and
   information. Each partial result holds distinct times x (2 + 2p + p²) floats (about
   twice that under Efron), whatever the number of rows, on the workers and the client;
5. Harrell's concordance of the final linear predictor from the number of patients per
   distinct (time, event, linear predictor) (``_cox_concordance``), whose cost grows with
   the number of distinct linear predictor values.

Only the order of floating-point additions differs from the in-memory fit, so the numbers
agree to rounding (about 1e-12 relative on a million patients); counts are exact.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
from dask.base import persist
from dask.delayed import delayed

from cohortpress.analyse._concordance import concordance_from_counts
from cohortpress.analyse._cox import check_arguments
from cohortpress.analyse._cox_newton import centres, maximise, scales
from cohortpress.analyse._cox_summary import fitted_result, not_estimable_result
from cohortpress.analyse._status import ModelStatus
from cohortpress.analyse.distributed._cox_concordance import cell_arrays, cell_counts, combine_cells
from cohortpress.analyse.distributed._cox_design import (
    PartitionModel,
    Rows,
    global_design,
    merge_facts,
    partition_facts,
    partition_rows,
    rows_spread,
)
from cohortpress.analyse.distributed._cox_sums import combine, likelihood, time_sums

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import dask.dataframe as dd
    import pandas as pd
    from numpy.typing import NDArray

    from cohortpress.analyse._cox import CoxCovariate
    from cohortpress.analyse._results import CoxResult, Ties
    from cohortpress.analyse.distributed._cox_design import GlobalDesign
    from cohortpress.analyse.distributed._cox_sums import TimeSums

SPLIT_EVERY = 8  # partial results combined at a time in the reduction tree


def cox_fit_partitioned(
    frame: dd.DataFrame,
    time: str,
    event: str,
    covariates: Sequence[CoxCovariate],
    *,
    ties: Ties = "efron",
    conf_level: float = 0.95,
) -> CoxResult:
    """``cox_fit`` of a Dask frame: the same result, computed by map-reduce passes over its
    partitions (see the module docstring), each Newton step one pass."""
    level = check_arguments(covariates, ties, conf_level)
    needed = list(dict.fromkeys([time, event, *(c.column for c in covariates)]))
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"columns not in the data: {', '.join(missing)}")
    parts = frame.to_delayed()  # each pass reads the needed columns only: no copy of them
    facts = _reduce(parts, partition_facts, merge_facts, time, event, tuple(covariates))
    design = global_design(facts, covariates)
    if design.events == 0:
        return _not_estimable(design, ties, ModelStatus.NO_EVENTS)
    if not design.varies.any():
        return _not_estimable(design, ties, ModelStatus.NO_COVARIATE_VARIES)
    usable = np.flatnonzero(design.varies)
    indicator = design.indicator[usable]
    centre = centres(indicator, design.mean[usable])
    unscaled = np.ones(len(usable))  # until the spread is known (coding does not use it)
    model = PartitionModel(time, event, design.covariates, usable, centre, unscaled, ties)
    # coded once and kept on the workers for the passes that follow
    blocks = list(persist(*(delayed(partition_rows)(part, model) for part in parts)))
    spread = np.zeros(len(usable))
    if not indicator.all():
        spread = _reduce(blocks, rows_spread, _add, model.centre) / design.n
    model = dataclasses.replace(model, scale=scales(indicator, spread))
    fit = maximise(lambda beta: likelihood(_sums(blocks, model, beta), beta, ties), model.scale)
    cells = _reduce(blocks, cell_counts, combine_cells, fit.beta)
    c = concordance_from_counts(*cell_arrays(cells))
    return fitted_result(design.columns, design.n, design.events, usable, fit, ties, level, c)


def partition_sums(
    part: pd.DataFrame, model: PartitionModel, beta: NDArray[np.float64]
) -> TimeSums:
    """The per-time sums of one partition at ``beta`` (on the centred, scaled columns)."""
    return rows_sums(partition_rows(part, model), model, beta)


def rows_sums(rows: Rows, model: PartitionModel, beta: NDArray[np.float64]) -> TimeSums:
    """``partition_sums`` of a partition's coded rows."""
    x = (rows.x - model.centre) * model.scale
    return time_sums(x, rows.time, rows.event, beta, model.ties)


def _sums(blocks: list[Any], model: PartitionModel, beta: NDArray[np.float64]) -> TimeSums:
    return _reduce(blocks, rows_sums, combine, model, beta)


def _reduce(
    parts: list[Any], chunk: Callable[..., Any], merge: Callable[[list[Any]], Any], *args: Any
) -> Any:
    """``chunk`` of every partition, merged ``SPLIT_EVERY`` at a time up a tree on the
    workers; the root is computed and returned."""
    level = [delayed(chunk)(part, *args) for part in parts]
    while len(level) > 1:
        level = [
            delayed(merge)(level[i : i + SPLIT_EVERY]) for i in range(0, len(level), SPLIT_EVERY)
        ]
    return level[0].compute()


def _add(parts: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    return np.sum(parts, axis=0)


def _not_estimable(design: GlobalDesign, ties: Ties, status: ModelStatus) -> CoxResult:
    return not_estimable_result(
        design.columns, design.n, design.events, design.varies, ties, status
    )
