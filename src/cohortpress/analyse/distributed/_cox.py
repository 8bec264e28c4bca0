"""Cox models of a partitioned extract, equal to ``analyse._cox.cox_fit`` on the same rows.

The models of one call are fitted together (``PartitionedCox.fit``): every pass below is one
map-reduce for all of them — a task per partition answers each model in flight and the
answers are merged model by model (``_cox_rounds``) — so the rounds of tasks are those of the
slowest model, not the sum over the models. Each model follows its own steps (a generator,
``_fit_steps``), R's Newton–Raphson rules included (``_cox_newton.newton_steps``), and drops
out when it is done; its numbers are the same as fitted alone.

1. facts (``_cox_design``): per model, its complete cases and events, the categorical levels
   present with their patients and events, each continuous covariate's sum, range and whether
   it is a -1/0/1 indicator: the design's columns, which vary, and the centres R's ``coxph``
   uses. In the same round, each partition's rows are kept in the workers' memory
   (``persist``) for the passes below, once for every model (``Block``: per (time, event)
   pair, sorted by time, each covariate column coded once), and kept between calls; a model
   with categorical covariates only has its rows counted there too, per (time, pattern of
   codes) (``_cox_counted``), and the passes below read its counts instead of its rows;
2. when a model has a continuous covariate that is not an indicator: the sum of
   |x - centre| per column, whose mean is the scale R divides by;
3. one pass per evaluation of the likelihood in R's Newton–Raphson (``coxfit6``; the null
   model, then one per iteration): given beta, each partition's sums per distinct time
   (``_cox_sums``), added by time up the tree; the client's reverse cumulative sums over time
   give the risk sets, then the log-likelihood, score and information. Each partial result
   holds distinct times x (2 + 2p + p²) floats (about twice that under Efron) per model,
   whatever the number of rows, on the workers and the client;
4. Harrell's concordance of the final linear predictor from the number of patients per
   distinct (time, event, linear predictor) (``_cox_concordance``), whose cost grows with
   the number of distinct linear predictor values; in the round after the model's last
   Newton step, beside the other models' steps.

Only the order of floating-point additions differs from the in-memory fit, so the numbers
agree to rounding (about 1e-12 relative on a million patients); counts are exact.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from dask.base import persist
from dask.delayed import delayed

from cohortpress.analyse._concordance import concordance_from_counts
from cohortpress.analyse._cox import check_arguments
from cohortpress.analyse._cox_newton import centres, newton_steps, scales
from cohortpress.analyse._cox_summary import fitted_result, not_estimable_result
from cohortpress.analyse._status import ModelStatus
from cohortpress.analyse.distributed._cox_concordance import cell_arrays
from cohortpress.analyse.distributed._cox_design import (
    PartitionModel,
    RowsPlan,
    global_design,
    model_rows,
    partition_rows,
)
from cohortpress.analyse.distributed._cox_rounds import (
    Cells,
    Request,
    Spread,
    Sums,
    merge_facts_of,
    merge_round,
    partition_facts_of,
    partition_round,
    rows_sums,
    tree_reduce,
)
from cohortpress.analyse.distributed._cox_sums import likelihood

if TYPE_CHECKING:
    from collections.abc import Generator, Sequence

    import dask.dataframe as dd
    import pandas as pd
    from numpy.typing import NDArray

    from cohortpress.analyse._cox import CoxCovariate
    from cohortpress.analyse._cox_newton import NewtonFit
    from cohortpress.analyse._results import CoxResult, Ties
    from cohortpress.analyse.distributed._cox_design import GlobalDesign
    from cohortpress.analyse.distributed._cox_sums import TimeSums


@dataclass(frozen=True)
class CoxModel:
    """One model to fit: ``cox_fit``'s arguments but the data."""

    time: str
    event: str
    covariates: tuple[CoxCovariate, ...]
    ties: Ties = "efron"
    conf_level: float = 0.95


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
    model = CoxModel(time, event, tuple(covariates), ties, conf_level)
    return PartitionedCox(frame).fit([model])[0]


class PartitionedCox:
    """Cox models of one Dask frame, fitted together call by call; the rows the fits read
    are kept on the workers from the first call to the last (``release`` lets them go)."""

    def __init__(self, frame: dd.DataFrame) -> None:
        self._frame = frame
        self._parts = frame.to_delayed()  # each pass reads the needed columns only
        self._plan: RowsPlan | None = None
        self._blocks: list[Any] = []

    def fit(self, models: Sequence[CoxModel]) -> list[CoxResult]:
        """Every model's ``cox_fit`` result, in order. An error is that of the first model
        (in order) that has one, as fitted one by one."""
        levels = []
        for m in models:
            levels.append(check_arguments(m.covariates, m.ties, m.conf_level))
            needed = [m.time, m.event, *(c.column for c in m.covariates)]
            missing = [c for c in dict.fromkeys(needed) if c not in self._frame.columns]
            if missing:
                raise ValueError(f"columns not in the data: {', '.join(missing)}")
        if not models:
            return []
        self._keep_rows(RowsPlan.of(models))
        asked = tuple((m.time, m.event, m.covariates) for m in models)
        facts = tree_reduce(self._parts, partition_facts_of, merge_facts_of, asked)
        designs = [global_design(f, m.covariates) for f, m in zip(facts, models, strict=True)]
        steps = [
            _fit_steps(design, model, level)
            for design, model, level in zip(designs, models, levels, strict=True)
        ]
        return self._run(steps)

    def release(self) -> None:
        """Let the workers drop the kept rows."""
        self._plan, self._blocks = None, []

    def _keep_rows(self, plan: RowsPlan) -> None:
        """Have the workers keep the rows ``plan`` needs (with those kept already, when
        some are missing): computed beside the facts pass, which does not wait for them."""
        if self._plan is not None and self._plan.covers(plan):
            return
        if self._plan is not None:
            plan = self._plan.with_(plan)
        self._blocks = list(persist(*(delayed(partition_rows)(p, plan) for p in self._parts)))
        self._plan = plan

    def _run(self, steps: list[Generator[Request, Any, CoxResult]]) -> list[CoxResult]:
        """Drive every model's steps: one round at a time for the requests of all the models
        still in flight."""
        results: dict[int, CoxResult] = {}
        pending: dict[int, Request] = {}
        for i, step in enumerate(steps):
            _advance(i, step, None, pending, results)
        while pending:
            order = list(pending)
            answers = tree_reduce(
                self._blocks, partition_round, merge_round, tuple(pending[i] for i in order)
            )
            for i, answer in zip(order, answers, strict=True):
                _advance(i, steps[i], answer, pending, results)
        return [results[i] for i in range(len(steps))]


def _advance(
    i: int,
    step: Generator[Request, Any, CoxResult],
    answer: Any,
    pending: dict[int, Request],
    results: dict[int, CoxResult],
) -> None:
    """Send a model its answer (None to start it, as a generator starts): its next request,
    or its result."""
    try:
        pending[i] = step.send(answer)
    except StopIteration as done:
        pending.pop(i, None)
        results[i] = done.value


def _fit_steps(
    design: GlobalDesign, model: CoxModel, level: float
) -> Generator[Request, Any, CoxResult]:
    """One model's fit as the requests it makes, each answered by a round: the spread (when
    a covariate is scaled), the Newton–Raphson evaluations, the concordance cells."""
    if design.events == 0:
        return _not_estimable(design, model.ties, ModelStatus.NO_EVENTS)
    if not design.varies.any():
        return _not_estimable(design, model.ties, ModelStatus.NO_COVARIATE_VARIES)
    usable = np.flatnonzero(design.varies)
    indicator = design.indicator[usable]
    centre = centres(indicator, design.mean[usable])
    unscaled = np.ones(len(usable))  # until the spread is known (coding does not use it)
    rows = PartitionModel(
        model.time, model.event, design.covariates, usable, centre, unscaled, model.ties
    )
    spread = np.zeros(len(usable))
    if not indicator.all():
        spread = (yield Spread(rows)) / design.n
    rows = dataclasses.replace(rows, scale=scales(indicator, spread))
    newton = newton_steps(rows.scale)
    beta = next(newton)
    while True:
        sums = yield Sums(rows, beta)
        try:
            beta = newton.send(likelihood(sums, beta, model.ties))
        except StopIteration as done:
            fit: NewtonFit = done.value
            break
    cells = yield Cells(rows, fit.beta)
    c = concordance_from_counts(*cell_arrays(cells))
    return fitted_result(design.columns, design.n, design.events, usable, fit, model.ties, level, c)


def partition_sums(
    part: pd.DataFrame, model: PartitionModel, beta: NDArray[np.float64]
) -> TimeSums:
    """The per-time sums of one partition at ``beta`` (on the centred, scaled columns)."""
    rows = model_rows(partition_rows(part, RowsPlan.of([model])), model)
    return rows_sums(rows, model, beta)


def _not_estimable(design: GlobalDesign, ties: Ties, status: ModelStatus) -> CoxResult:
    return not_estimable_result(
        design.columns, design.n, design.events, design.varies, ties, status
    )
