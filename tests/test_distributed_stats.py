"""The statistics core on Dask equals the in-memory path on the same patients.

A synthetic thyroid registry of 20,000 screened patients goes through the in-memory intake,
validation and derivation; the derived cohort is written as hive-partitioned Parquet (one
folder per year of treatment start) and read lazily on a real ``distributed.LocalCluster`` of
two worker processes. Kaplan–Meier tables, medians with their CIs, numbers at risk, log-rank
tests, the reverse-KM follow-up and Table I from the cluster are compared with the in-memory
functions on the derived frame: bit for bit, except the mean and SD (relative 1e-12).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd
import pytest
from km_checks import quantile, same_estimate

from cohortpress.analyse._km import km_estimate, median_followup, risk_table
from cohortpress.analyse._logrank import logrank_test
from cohortpress.analyse._summaries import distribution
from cohortpress.analyse._survival import risk_times
from cohortpress.analyse.distributed import (
    category_counts,
    continuous_distribution,
    read_extract,
    survival_counts,
)
from cohortpress.derive import derive_cohort
from cohortpress.errors import InputDataError
from cohortpress.pipeline import check_workbook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "data"))
from make_registry import write_registry  # noqa: E402

# The workers cannot import this test module: its functions travel by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

PATIENTS = 20_000
COLUMNS = (
    "os_time", "os_event", "ttf_time", "ttf_event", "LMR_group", "NLR_group", "ecog",
    "histology", "sex", "bone_metastasis", "age", "NLR", "best_change_pct",
)  # fmt: skip
CATEGORICAL = ["sex", "ecog", "histology", "bone_metastasis"]
CONTINUOUS = ["age", "NLR", "best_change_pct"]
ENDPOINTS = ("os", "ttf")


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    """The derived cohort in memory, and the same rows as a hive-partitioned extract."""
    folder = tmp_path_factory.mktemp("distributed")
    registry = write_registry(PATIENTS, folder / "registry")
    config, workbook, report = check_workbook(ROOT / "reports" / "thyroid", registry)
    assert report.ok
    patients = derive_cohort(workbook.patients, workbook.adverse_events, config).patients
    frame = patients[list(COLUMNS)].astype({c: object for c in CATEGORICAL + ["LMR_group"]})
    frame["year"] = patients["treatment_start"].dt.year
    extract = folder / "extract"
    frame.to_parquet(extract, partition_cols=["year"], index=False)
    return patients, extract


def test_the_extract_is_partitioned_and_read_lazily(cohort) -> None:
    patients, extract = cohort
    years = sorted(p.name for p in extract.iterdir())
    assert len(years) >= 10 and all(y.startswith("year=") for y in years)
    frame = read_extract(extract)
    assert frame.npartitions >= len(years)
    assert "year" in frame.columns


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("transform", ["log-log", "log"])
def test_km_risk_table_and_followup_equal_in_memory(client, cohort, endpoint, transform) -> None:
    patients, extract = cohort
    time, event = f"{endpoint}_time", f"{endpoint}_event"
    counts = survival_counts(read_extract(extract), time, event)
    got = counts.km_estimate(ci_transform=transform)
    want = km_estimate(patients[time], patients[event], ci_transform=transform)
    same_estimate(got, want)
    assert got.n == len(patients)
    ticks = risk_times(float(patients[time].max()), "months")
    assert risk_table([got], ticks).n_risk == risk_table([want], ticks).n_risk
    assert quantile(counts.median_followup(ci_transform=transform)) == quantile(
        median_followup(patients[time], patients[event], ci_transform=transform)
    )


@pytest.mark.parametrize("group", ["LMR_group", "ecog", "histology", "year"])
def test_km_by_group_and_logrank_equal_in_memory(client, cohort, group) -> None:
    """Two, three, four and fourteen groups; ECOG has blanks, left out of the test and the
    curves but kept in the overall curve, as in memory; the year is the hive partition
    folder, which Dask reads as a categorical."""
    patients, extract = cohort
    counts = survival_counts(read_extract(extract), "os_time", "os_event", group)
    same_estimate(counts.km_estimate(), km_estimate(patients["os_time"], patients["os_event"]))
    values = patients["treatment_start"].dt.year if group == "year" else patients[group]
    levels = sorted(values.dropna().unique())
    curves = counts.km_by_group()
    assert [c.label for c in curves] == [str(v) for v in levels]
    for curve, level in zip(curves, levels, strict=True):
        rows = patients[values == level]
        same_estimate(curve, km_estimate(rows["os_time"], rows["os_event"], label=str(level)))
    got = counts.logrank()
    want = logrank_test(patients["os_time"], patients["os_event"], values)
    for field in ("groups", "observed", "expected", "chisq", "df", "p", "status", "n", "variance"):
        assert getattr(got, field) == getattr(want, field), field
    assert got.df == len(levels) - 1


def test_table1_equals_in_memory(client, cohort) -> None:
    patients, extract = cohort
    frame = read_extract(extract)
    for column, (counts, missing) in category_counts(frame, CATEGORICAL).items():
        values = patients[column]
        assert missing == int(values.isna().sum()) > 0 or column != "ecog"
        assert counts.to_dict() == {lvl: int((values == lvl).sum()) for lvl in counts.index}
        assert sorted(counts.index) == sorted(values.dropna().unique())
    for column, got in continuous_distribution(frame, CONTINUOUS).items():
        want = distribution(patients[column])
        exact = ("n", "missing", "median", "q1", "q3", "minimum", "maximum")
        assert [getattr(got, f) for f in exact] == [getattr(want, f) for f in exact], column
        assert got.mean == pytest.approx(want.mean, rel=1e-12)
        assert got.sd == pytest.approx(want.sd, rel=1e-12)


def test_a_bad_value_is_a_located_error(client, tmp_path: Path) -> None:
    frame = pd.DataFrame({"t": [1.0, 2.0, -3.0, 4.0], "e": [1, 0, 1, 0], "year": [1, 1, 2, 2]})
    frame.to_parquet(tmp_path / "bad", partition_cols=["year"], index=False)
    with pytest.raises(InputDataError) as caught:
        survival_counts(read_extract(tmp_path / "bad"), "t", "e", source="bad extract")
    (problem,) = caught.value.problems
    assert (problem.sheet, problem.column, problem.value) == ("bad extract", "t", "-3.0")
    assert "survival time must be a number >= 0" in problem.rule


def _slow(part: pd.DataFrame, marks: str) -> pd.DataFrame:
    """Say which worker process is counting (a file named by its pid), then take a while."""
    Path(marks, str(os.getpid())).touch()
    time.sleep(0.4)
    return part


def test_a_worker_killed_mid_computation_changes_nothing(client, cohort, tmp_path) -> None:
    """One worker process is killed (SIGKILL) while it counts a partition: its nanny starts
    a new one, the scheduler runs the lost tasks again, and the numbers are the same."""
    patients, extract = cohort
    before = set(client.run(os.getpid).values())
    killed: list[int] = []

    def kill_a_busy_worker() -> None:
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            busy = [int(p.name) for p in tmp_path.iterdir() if int(p.name) in before]
            if busy:
                os.kill(busy[0], signal.SIGKILL)
                killed.append(busy[0])
            time.sleep(0.05)

    frame = read_extract(extract).map_partitions(_slow, str(tmp_path))
    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    counts = survival_counts(frame, "os_time", "os_event", "LMR_group")
    killer.join()
    assert killed, "no worker was killed"
    client.wait_for_workers(2, timeout=60)
    assert killed[0] not in set(client.run(os.getpid).values())
    same_estimate(counts.km_estimate(), km_estimate(patients["os_time"], patients["os_event"]))
    want = logrank_test(patients["os_time"], patients["os_event"], patients["LMR_group"])
    assert (counts.logrank().chisq, counts.logrank().observed) == (want.chisq, want.observed)
    assert np.isfinite(want.chisq)
