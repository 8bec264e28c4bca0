"""A categorical-only Cox model's counted rows give the sums and concordance cells of its rows.

Plain pandas and numpy, no cluster: ``partition_rows`` keeps the rows and counts them per
(time, pattern); every round's answer from the counts is compared with the answer from the
rows (integers exactly, floats to 1e-12 relative) — blanks, ties, levels declared but absent,
a beta of zero (every pattern the same score) included. The fits themselves are compared
with the in-memory ``cox_fit`` on a cluster in ``test_distributed_cox``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cohortpress.analyse._cox import CoxCovariate
from cohortpress.analyse.distributed._cox_concordance import cell_counts, combine_cells
from cohortpress.analyse.distributed._cox_counted import counted_cells, counted_sums
from cohortpress.analyse.distributed._cox_design import (
    PartitionModel,
    RowsPlan,
    counted_key,
    global_design,
    model_rows,
    partition_facts,
    partition_rows,
)
from cohortpress.analyse.distributed._cox_rounds import rows_sums

ARM = CoxCovariate("arm", "arm", "categorical", "Arm", levels=("a", "b", "c", "d"))
SEX = CoxCovariate("sex", "sex", "categorical", "Sex", levels=("F", "M"), reference="M")
STAGE = CoxCovariate("stage", "stage", "categorical", "Stage")
SCORE = CoxCovariate("score", "score", "continuous", "Score")
MODELS = ((ARM,), (SEX,), (ARM, SEX), (STAGE, ARM, SEX))


def frame(seed: int, n: int) -> pd.DataFrame:
    """Coarse times (many ties, a -0.0 among them), three categorical columns with blanks."""
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({
        "arm": rng.choice(["a", "b", "c"], n),
        "sex": rng.choice(["F", "M"], n),
        "stage": rng.choice([1.0, 2.0, 3.0], n),
        "score": rng.normal(0, 1, n),
        "time": np.ceil(rng.exponential(1.0, n) * 5) - 1.0,
        "event": rng.integers(0, 2, n),
    })  # fmt: skip
    d.loc[d["time"] == 0, "time"] = -0.0
    for column in ("arm", "sex", "stage"):
        d.loc[rng.random(n) < 0.05, column] = None
    return d


def partition_model(data: pd.DataFrame, covariates: tuple[CoxCovariate, ...], ties: str):
    design = global_design(partition_facts(data, "time", "event", covariates), covariates)
    usable = np.flatnonzero(design.varies)
    rng = np.random.default_rng(len(data))
    centre, scale = rng.normal(0, 0.3, len(usable)), rng.uniform(0.5, 2, len(usable))
    model = PartitionModel("time", "event", design.covariates, usable, centre, scale, ties)  # type: ignore[arg-type]
    return model, usable


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 400),
    ties=st.sampled_from(["efron", "breslow"]),
    zero=st.booleans(),
)
def test_counted_rows_answer_as_the_rows(seed: int, n: int, ties: str, zero: bool) -> None:
    data = frame(seed, n)
    models = []
    for covariates in MODELS:
        if not data[[c.column for c in covariates]].notna().all(axis=1).any():
            return  # no complete case: the facts refuse the levels, as in memory
        models.append(partition_model(data, covariates, ties))
    shared = partition_rows(data, RowsPlan.of([model for model, _ in models]))
    rng = np.random.default_rng(seed)
    for model, usable in models:
        counted = shared.counted[counted_key(model)]
        rows = model_rows(shared, model)
        assert counted.count.sum() == len(rows.time)
        assert counted.events.sum() == rows.event.sum()
        beta = np.zeros(len(usable)) if zero else rng.normal(0, 0.7, len(usable))
        want, got = rows_sums(rows, model, beta), counted_sums(counted, model, beta)
        for field in dataclasses.fields(want):
            w, g = getattr(want, field.name), getattr(got, field.name)
            if w is None:
                assert g is None and ties == "breslow"
            elif w.dtype.kind == "i":
                np.testing.assert_array_equal(g, w)
            else:
                np.testing.assert_array_equal(g.shape, w.shape)
                np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12 * np.abs(w).max(initial=1))
        keys = ["time", "event", "score"]
        cells = combine_cells([cell_counts(rows, beta)]).sort_values(keys, ignore_index=True)
        from_counts = counted_cells(counted, beta, model).sort_values(keys, ignore_index=True)
        pd.testing.assert_frame_equal(from_counts, cells)


def test_a_model_with_a_continuous_covariate_is_not_counted() -> None:
    data = frame(5, 50)
    zeros, ones = np.zeros(4), np.ones(4)
    plan = RowsPlan.of([
        PartitionModel("time", "event", (ARM, SCORE), np.arange(4), zeros, ones, "efron"),
        PartitionModel("time", "event", (SEX,), np.arange(1), zeros[:1], ones[:1], "efron"),
    ])  # fmt: skip
    assert plan.counted == (("time", "event", (("sex", "categorical"),)),)
    assert set(partition_rows(data, plan).counted) == set(plan.counted)
    assert RowsPlan.of([]).with_(plan).covers(plan) and not RowsPlan.of([]).covers(plan)
