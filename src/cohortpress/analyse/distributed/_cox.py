"""The Cox model of a partitioned extract, equal to ``analyse._cox.cox_fit`` on the same rows.

Map-reduce passes, each a tree reduction of per-partition results summed on the client:

1. facts (``_cox_design``): complete cases, events, the categorical levels present with their
   patients and events, each continuous covariate's sum and range: the design's columns,
   which of them vary, and the centres R's ``coxph`` subtracts;
2. when a continuous covariate varies and is not a -1/0/1 indicator: the sum of |x - centre|
   per column, whose mean is the scale R divides by;
3. one pass per Newton–Raphson step (R's ``coxfit6`` iterations, ``_cox_newton.maximise``):
   given beta, each partition's sums per distinct time (``_cox_sums``), combined by time; the
   client's reverse cumulative sums over time make the risk sets, from which the
   log-likelihood, score and information follow;
4. Harrell's concordance of the final linear predictor from the count of patients per
   (time, event, linear predictor) (``_cox_concordance``).

Memory: the selected columns are persisted on the workers for the passes; every per-time
result, on a worker or the client, holds distinct times x (2 + 2p + p²) floats (about twice
under Efron), p the number of estimated coefficients; the concordance holds one row per
distinct (time, event, linear predictor).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from dask.base import persist
from dask.delayed import delayed

from cohortpress.analyse._concordance import concordance_from_counts
from cohortpress.analyse._cox_newton import centres, maximise, scales
from cohortpress.analyse._cox_summary import fitted_result, not_estimable_result
from cohortpress.analyse._inputs import check_conf_level
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
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be efron or breslow, got {ties!r}")
    names = [c.name for c in covariates]
    if len(set(names)) != len(names):
        raise ValueError(f"covariate names must be distinct, got {names}")
    level = check_conf_level(conf_level)
    needed = list(dict.fromkeys([time, event, *(c.column for c in covariates)]))
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"columns not in the data: {', '.join(missing)}")
    parts = frame[needed].to_delayed()
    facts = _reduce(parts, partition_facts, merge_facts, time, event, tuple(covariates))
    design = global_design(facts, covariates)
    if design.events == 0:
        reason = f"no events among the {design.n} patients analysed"
        return _not_estimable(design, ties, f"The model cannot be estimated: {reason}.")
    if not design.varies.any():
        reason = "no covariate varies among the patients analysed"
        return _not_estimable(design, ties, f"The model cannot be estimated: {reason}.")
    usable = np.flatnonzero(design.varies)
    indicator = design.indicator[usable]
    model = PartitionModel(
        time, event, design.covariates, usable, centres(indicator, design.mean[usable]),
        np.ones(len(usable)), ties,
    )  # fmt: skip
    # coded once and kept on the workers for the passes that follow
    blocks = list(persist(*(delayed(partition_rows)(part, model) for part in parts)))
    spread = np.zeros(len(usable))
    if not indicator.all():
        spread = _reduce(blocks, rows_spread, _add, model.centre) / design.n
    model = PartitionModel(**{**vars(model), "scale": scales(indicator, spread)})
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


def _not_estimable(design: Any, ties: Ties, reason: str) -> CoxResult:
    return not_estimable_result(
        design.columns, design.n, design.events, design.varies, ties, reason
    )
