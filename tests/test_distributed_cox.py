"""The Cox model on Dask equals the in-memory fit on the same patients (relative 1e-9).

The synthetic thyroid registry (20,000 screened patients) goes through the in-memory intake,
validation and derivation; the derived cohort is written as hive-partitioned Parquet and read
lazily on a real ``distributed.LocalCluster`` of two worker processes. Every field of the
``CoxResult`` of ``cox_fit_partitioned`` is compared with ``cox_fit`` on the derived frame,
and small hand-made frames with ties cover the models that cannot be (fully) estimated.
"""

from __future__ import annotations

import dataclasses
import math
import os
import signal
import sys
import threading
import time
from pathlib import Path

import cloudpickle
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed.diagnostics.plugin import SchedulerPlugin
from hypothesis import given, settings
from hypothesis import strategies as st

from cohortpress.analyse._concordance import concordance, concordance_from_counts
from cohortpress.analyse._cox import CoxCovariate, cox_fit
from cohortpress.analyse._cox_design import build_design
from cohortpress.analyse._status import ModelStatus, TermStatus
from cohortpress.analyse.distributed import cox_fit_partitioned, read_extract
from cohortpress.analyse.distributed._cox import CoxModel, PartitionedCox, partition_sums
from cohortpress.analyse.distributed._cox_design import (
    PartitionModel,
    RowsPlan,
    global_design,
    model_rows,
    partition_facts,
    partition_rows,
)
from cohortpress.analyse.distributed._cox_sums import combine
from cohortpress.derive import derive_cohort
from cohortpress.pipeline import check_workbook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "data"))
from make_registry import write_registry  # noqa: E402

cloudpickle.register_pickle_by_value(sys.modules[__name__])

PATIENTS = 20_000
COLUMNS = ("os_time", "os_event", "LMR_group", "ecog", "histology", "sex", "age")
RELATIVE = 1e-9

LMR = CoxCovariate(
    "lmr", "LMR_group", "categorical", "LMR", levels=("High", "Low"), reference="Low"
)
ECOG = CoxCovariate(
    "ecog", "ecog", "categorical", "ECOG PS", levels=("0", "1", "2", "3"), reference="1"
)
HISTOLOGY = CoxCovariate("histology", "histology", "categorical", "Histology")
SEX = CoxCovariate("sex", "sex", "categorical", "Sex", levels=("Male", "Female"))
AGE = CoxCovariate("age", "age", "continuous", "Age", per=10, unit="years")
YEAR = CoxCovariate("year", "year", "categorical", "Year of treatment start")


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    """The derived cohort in memory, and the same rows as a hive-partitioned extract."""
    folder = tmp_path_factory.mktemp("distributed_cox")
    registry = write_registry(PATIENTS, folder / "registry")
    config, workbook, report = check_workbook(ROOT / "reports" / "thyroid", registry)
    assert report.ok
    patients = derive_cohort(workbook.patients, workbook.adverse_events, config).patients
    patients["year"] = patients["treatment_start"].dt.year
    frame = patients[[*COLUMNS, "year"]]
    extract = folder / "extract"
    frame.to_parquet(extract, partition_cols=["year"], index=False)
    return patients, extract


def same_result(got: object, want: object, path: str = "result", rel_tol: float = RELATIVE) -> None:
    """Field by field: floats to ``rel_tol`` (0: the same float), everything else exactly."""
    if dataclasses.is_dataclass(want) and not isinstance(want, type):
        assert type(got) is type(want), path
        for field in dataclasses.fields(want):
            name = field.name
            same_result(getattr(got, name), getattr(want, name), f"{path}.{name}", rel_tol)
    elif isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), path
        for key in want:
            same_result(got[key], want[key], f"{path}[{key!r}]", rel_tol)
    elif isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            same_result(g, w, f"{path}[{i}]", rel_tol)
    elif isinstance(want, float) and not isinstance(got, bool):
        assert isinstance(got, float), path
        assert math.isclose(got, want, rel_tol=rel_tol, abs_tol=0.0), (path, got, want)
    else:
        assert type(got) is type(want) and got == want, (path, got, want)


MODELS = {
    "two levels, reference second": [LMR],
    "four levels, reference second, blanks": [ECOG],
    "three levels by default": [HISTOLOGY],
    "continuous per 10": [AGE],
    "multivariable": [LMR, ECOG, HISTOLOGY, SEX, AGE],
    "the hive folders' years (a Dask categorical; integers in memory)": [YEAR, LMR],
}


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("model", MODELS)
def test_thyroid_models_equal_in_memory(client, cohort, model: str, ties) -> None:
    patients, extract = cohort
    covariates = MODELS[model]
    frame = read_extract(extract)
    assert frame.npartitions >= 10
    got = cox_fit_partitioned(frame, "os_time", "os_event", covariates, ties=ties)
    want = cox_fit(patients, "os_time", "os_event", covariates, ties=ties)
    same_result(got, want)
    assert want.converged and want.concordance is not None and want.likelihood_ratio is not None


def ties_frame(seed: int = 3, n: int = 240) -> pd.DataFrame:
    """Coarse times (many ties), three arms, a score and a blank now and then."""
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({
        "arm": rng.choice(["a", "b", "c"], n),
        "score": rng.normal(2.0, 1.5, n),
        "flag": rng.integers(0, 2, n).astype(float),
    })  # fmt: skip
    hazard = np.exp(0.4 * d["score"] + 0.7 * (d["arm"] == "c"))
    latent, censor = rng.exponential(1 / hazard), rng.uniform(0, 1.5, n)
    d["time"] = np.ceil(np.minimum(latent, censor) * 8)
    d["event"] = (latent <= censor).astype(int)
    d.loc[rng.choice(n, n // 20, replace=False), "score"] = np.nan
    return d


ARM = CoxCovariate("arm", "arm", "categorical", "Arm", levels=("a", "b", "c"), reference="b")
SCORE = CoxCovariate("score", "score", "continuous", "Score", per=0.5)
FLAG = CoxCovariate("flag", "flag", "continuous", "Flag")
ARM_D = CoxCovariate("arm", "arm", "categorical", "Arm", levels=("a", "b", "c", "d"))


def _no_events_in_a(d: pd.DataFrame) -> pd.DataFrame:
    return d.assign(event=np.where(d["arm"] == "a", 0, d["event"]))


def _constant_score(d: pd.DataFrame) -> pd.DataFrame:
    return d.assign(score=3.0)


def _no_events(d: pd.DataFrame) -> pd.DataFrame:
    return d.assign(event=0)


def _one_arm(d: pd.DataFrame) -> pd.DataFrame:
    return d.assign(arm="c")


def _unchanged(d: pd.DataFrame) -> pd.DataFrame:
    return d


def _collinear(d: pd.DataFrame) -> pd.DataFrame:
    return d.assign(twice=2 * d["flag"] - 1)


TWICE = CoxCovariate("twice", "twice", "continuous", "Flag again")

EDGE_CASES = {  # the data, the covariates, the status the in-memory fit gives
    "a level without events (infinite coefficient)": (
        _no_events_in_a,
        [ARM, SCORE],
        TermStatus.NO_EVENTS_IN_LEVEL,
    ),
    "a constant covariate": (_constant_score, [ARM, SCORE], TermStatus.CONSTANT),
    "no events": (_no_events, [ARM, SCORE], ModelStatus.NO_EVENTS),
    "nothing varies": (_one_arm, [ARM], TermStatus.ONLY_LEVEL),
    "a declared level without patients": (_unchanged, [ARM_D, FLAG], TermStatus.EMPTY_LEVEL),
    "collinear covariates": (_collinear, [FLAG, SCORE, TWICE], TermStatus.COLLINEAR),
    "a -1/0/1 continuous covariate left unscaled": (_unchanged, [FLAG, SCORE], None),
}


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("case", EDGE_CASES)
def test_edge_cases_equal_in_memory(client, case: str, ties) -> None:
    change, covariates, says = EDGE_CASES[case]
    data = change(ties_frame())
    got = cox_fit_partitioned(
        dd.from_pandas(data, npartitions=5), "time", "event", covariates, ties=ties
    )
    want = cox_fit(data, "time", "event", covariates, ties=ties)
    same_result(got, want)
    statuses = {want.status, *(t.status for t in want.terms)}
    assert says in statuses


def _bad_event(d: pd.DataFrame) -> pd.DataFrame:
    return d.assign(event=d["event"].where(d.index != 100, 2))


@pytest.mark.parametrize(
    ("change", "covariates", "message"),
    [
        (lambda d: d.assign(arm=d["arm"].replace("c", "z")), [ARM], r"values \['z'\] are not"),
        (_unchanged, [CoxCovariate("x", "nope", "continuous", "X")], "columns not in the data"),
        (_bad_event, [ARM], "event indicators must be 0/1"),  # raised on a worker
        (_unchanged, [ARM, ARM], "covariate names must be distinct"),
    ],
)
def test_errors_are_the_in_memory_errors(client, change, covariates, message) -> None:
    data = change(ties_frame())
    with pytest.raises(ValueError, match=message):
        cox_fit(data, "time", "event", covariates)
    with pytest.raises(ValueError, match=message):
        cox_fit_partitioned(dd.from_pandas(data, npartitions=3), "time", "event", covariates)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    parts=st.integers(1, 6),
    ties=st.sampled_from(["efron", "breslow"]),
)
def test_partition_sums_add_up_to_the_whole(seed: int, parts: int, ties) -> None:
    """Any split of the rows into partitions: their per-time sums, combined, are the sums of
    all the rows (counts exactly, floats to rounding)."""
    rng = np.random.default_rng(seed)
    data = ties_frame(seed, int(rng.integers(1, 60)))
    cuts = np.sort(rng.integers(0, len(data) + 1, parts - 1))
    model = PartitionModel(
        "time", "event", (ARM, SCORE), np.array([0, 1, 2]), np.array([0.0, 0.0, 4.0]),
        np.array([1.0, 1.0, 0.8]), ties,
    )  # fmt: skip
    beta = rng.normal(0, 0.5, 3)
    whole = partition_sums(data, model, beta)
    bounds = zip(np.r_[0, cuts], np.r_[cuts, len(data)], strict=True)
    split = combine([partition_sums(data.iloc[a:b], model, beta) for a, b in bounds])
    for field in dataclasses.fields(whole):
        w, g = getattr(whole, field.name), getattr(split, field.name)
        if w is None:
            assert g is None and ties == "breslow"
        elif w.dtype.kind == "i":
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12 * np.abs(w).max(initial=1))
    assert whole.events.sum() == data.loc[data["score"].notna(), "event"].sum()


@settings(max_examples=200, deadline=None)
@given(
    cells=st.lists(
        st.tuples(st.integers(0, 5), st.booleans(), st.integers(0, 12), st.integers(0, 4)),
        min_size=1,
        max_size=40,
    )
)
def test_concordance_from_counts_is_that_of_the_patients(cells) -> None:
    """Rows standing for ``count`` patients each (repeats and zeros allowed; up to 13 scores,
    past the few-scores table into the wavelet matrix) give the C, pair counts and standard
    error of one row per patient."""
    time, event, score, count = (np.array(v) for v in zip(*cells, strict=True))
    got = concordance_from_counts(time.astype(float), event, score / 3, count)
    want = concordance(*(np.repeat(v, count) for v in (time.astype(float), event, score / 3)))
    if want is None:
        assert got is None
        return
    assert got is not None
    counts = ("concordant", "discordant", "tied_x", "tied_y", "tied_xy")
    assert [getattr(got, f) for f in counts] == [getattr(want, f) for f in counts]
    assert got.value == want.value
    assert math.isclose(got.se, want.se, rel_tol=1e-12, abs_tol=1e-15)


def test_a_worker_lost_with_kept_rows_changes_nothing(client, cohort) -> None:
    """A worker process holding coded rows kept for the Newton passes is killed (SIGKILL)
    during the fit: the scheduler codes the lost partitions again from the extract and the
    result is the same."""
    patients, extract = cohort
    pids = client.run(os.getpid)
    killed: list[int] = []
    fitting = threading.Event()

    def kill_a_keeper() -> None:
        while fitting.is_set() and not killed:
            held = client.who_has()
            keepers = sorted(
                w for key, ws in held.items() if str(key).startswith("partition_rows") for w in ws
            )
            if keepers and keepers[0] in pids:
                os.kill(pids[keepers[0]], signal.SIGKILL)
                killed.append(pids[keepers[0]])
            time.sleep(0.01)

    covariates = MODELS["multivariable"]
    fitting.set()
    killer = threading.Thread(target=kill_a_keeper)
    killer.start()
    try:
        got = cox_fit_partitioned(read_extract(extract), "os_time", "os_event", covariates)
    finally:
        fitting.clear()
        killer.join()
    assert killed, "no worker was killed"
    client.wait_for_workers(2, timeout=60)
    assert killed[0] not in set(client.run(os.getpid).values())
    same_result(got, cox_fit(patients, "os_time", "os_event", covariates))


def together_frame(seed: int = 11, n: int = 300) -> pd.DataFrame:
    """``ties_frame`` with blanks in the arm too (so models of the arm and of the score have
    different complete cases), a second time (distinct times) and two more event columns:
    none at all, and one event only, the patient last in time — alone in its risk set, so the
    log-likelihood is 0 at every beta and R's iterations never converge."""
    d = ties_frame(seed, n)
    d["time2"] = d["time"] + np.arange(len(d)) / 1000
    d["lone"] = (d["time2"] == d["time2"].max()).astype(int)
    d["none"] = 0
    d.loc[d.index % 17 == 0, "arm"] = None
    return d


TOGETHER = (  # time, event, covariates
    ("time", "event", (ARM,)),
    ("time", "event", (SCORE,)),
    ("time", "event", (ARM, SCORE, FLAG)),
    ("time2", "lone", (ARM, SCORE)),  # not converged after 20 iterations
    ("time", "none", (ARM,)),  # no events: not estimable, no round of its own
    ("time2", "event", (ARM_D, FLAG)),  # a declared level without patients
    ("time", "event", (FLAG,)),
)


class GraphCount(SchedulerPlugin):
    """The graphs the scheduler is sent: one per round of tasks (and one for the kept rows)."""

    name = "graph-count"

    def __init__(self) -> None:
        self.graphs = 0

    def update_graph(self, scheduler: object, **kwargs: object) -> None:
        self.graphs += 1


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_models_fitted_together_are_each_fitted_alone(client, dask_cluster, ties) -> None:
    """Several models of two times, three event columns and different complete cases, fitted
    together: each result is the one fitted alone to the last bit, and the in-memory one;
    the rounds of tasks are those of the slowest model alone (one per Newton step for all)."""
    data = together_frame()
    frame = dd.from_pandas(data, npartitions=4)
    models = [CoxModel(time, event, covariates, ties) for time, event, covariates in TOGETHER]
    counter = GraphCount()
    dask_cluster.scheduler.add_plugin(counter)
    try:
        together = PartitionedCox(frame).fit(models)
        rounds_together = counter.graphs
        rounds_alone = []
        for model, got in zip(models, together, strict=True):
            counter.graphs = 0
            alone = cox_fit_partitioned(frame, model.time, model.event, model.covariates, ties=ties)
            rounds_alone.append(counter.graphs)
            same_result(got, alone, rel_tol=0.0)
            same_result(got, cox_fit(data, model.time, model.event, model.covariates, ties=ties))
    finally:
        dask_cluster.scheduler.remove_plugin(name=counter.name)
    assert rounds_together == max(rounds_alone)
    cox = PartitionedCox(frame)  # rows kept for the first call, kept again with more for the next
    for got, want in zip(cox.fit(models[:3]) + cox.fit(models[3:]), together, strict=True):
        same_result(got, want, rel_tol=0.0)
    never = together[3]
    assert (never.status, never.converged, never.iterations) == (
        ModelStatus.NOT_CONVERGED,
        False,
        20,
    )
    assert together[4].status == ModelStatus.NO_EVENTS and rounds_alone[4] == 2  # rows, facts
    assert TermStatus.EMPTY_LEVEL in {t.status for t in together[5].terms}
    assert len({r.n for r in together[:3]}) == 3  # three different sets of complete cases


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 80),
    chosen=st.lists(st.integers(0, len(TOGETHER) - 1), min_size=1, max_size=5, unique=True),
)
def test_a_models_rows_kept_with_others_are_its_own(seed: int, n: int, chosen: list[int]) -> None:
    """The rows a partition keeps for several models give each model the rows it would keep
    alone, and those of the in-memory design: its complete cases sorted by time, its usable
    columns, the same values."""
    data = together_frame(seed, n)
    models = []
    for i in chosen:
        time, event, covariates = TOGETHER[i]
        design = global_design(partition_facts(data, time, event, covariates), covariates)
        usable = np.flatnonzero(design.varies)
        centre, scale = np.zeros(len(usable)), np.ones(len(usable))
        models.append(
            PartitionModel(time, event, design.covariates, usable, centre, scale, "efron")
        )
    shared = partition_rows(data, RowsPlan.of(models))
    for model in models:
        got = model_rows(shared, model)
        alone = model_rows(partition_rows(data, RowsPlan.of([model])), model)
        want = build_design(data, model.time, model.event, model.covariates)
        order = np.argsort(want.time, kind="stable")
        for rows in (got, alone):
            np.testing.assert_array_equal(rows.time, want.time[order])
            np.testing.assert_array_equal(rows.event, want.event[order])
            np.testing.assert_array_equal(rows.x, want.x[order][:, model.usable])
