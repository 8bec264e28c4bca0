"""The thyroid study on a partitioned registry extract through the command line on Dask.

``cohortpress report --engine-data dask`` on a synthetic extract (hive partitions by year,
``data/make_registry.py --partitioned-by year``) must write the results.json of the in-memory
run on the same rows (``--engine-data pandas`` on the single-file layout): every number equal,
floats within 1e-9 relative. Both runs use a 2-worker ``LocalCluster`` of the test
(``--scheduler``; the cluster the CLI starts itself is used by the broken-extract test of
``test_partitioned_stages.py``), the second with one worker SIGKILLed after the first
partitions finished: Dask recomputes what the worker held and the numbers are the same.
(Validation and derivation on the workers, and a broken extract through the CLI, are tested
in ``test_partitioned_stages.py``.)

Size: 100,000 patients, as the issue asks, in files of 5,000 (28 files of patients, 28 of
adverse events). On the shared 2-core machine at a load average of 6-7 the two Dask runs took
113 s and 135 s and writing the extracts with the in-memory run 31 s (287 s in all); a quiet
machine, which gives each process two to three times the CPU share, should run both in under
the three minutes allowed (not measured quiet; see docs/performance.md, "Beyond one
machine"). A Cox model's likelihood-ratio chi-square is compared to a tolerance of its
log-likelihoods' size (``_tolerance``); every other float to REL.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("distributed")

from distributed import Client, LocalCluster  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "data"))
from make_registry import write_registry  # noqa: E402

pytestmark = pytest.mark.slow

PATIENTS = 100_000
ROWS_PER_FILE = 5_000  # 28 files of patients: partitions enough to kill a worker among them
REL = 1e-9
LOGLIK_REL = 1e-13  # of a log-likelihood, for the chi-square made from two (_tolerance)


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("registry")
    return {
        "single": write_registry(PATIENTS, folder / "single"),
        "partitioned": write_registry(
            PATIENTS, folder / "partitioned", partitioned_by="year", rows_per_file=ROWS_PER_FILE
        ),
    }


def _report(data: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "cohortpress", "report", "reports/thyroid", "--data", str(data),
        "--to", "html", "--engine", "embedded", "--output", str(out), "-q", "--no-cache",
        *extra,
    ]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def _numbers(folder: Path) -> dict[str, Any]:
    """results.json without its provenance (file names and sheet names differ by layout)."""
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    results.pop("provenance", None)
    return results


def _differences(a: object, b: object, path: str = "", abs_tol: float = 0.0) -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a.keys() ^ b.keys())}"]
        return [
            d
            for k in a
            for d in _differences(a[k], b[k], f"{path}.{k}", _tolerance(b, k) or abs_tol)
        ]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} items"]
        pairs = enumerate(zip(a, b, strict=True))
        return [d for i, (x, y) in pairs for d in _differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, int | float) and not isinstance(b, bool):
        close = math.isclose(a, b, rel_tol=REL, abs_tol=abs_tol)
        same = close or (math.isnan(a) and math.isnan(b))
        return [] if same else [f"{path}: {a!r} vs {b!r}"]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def _tolerance(model: dict, key: str) -> float:
    """The absolute tolerance of a Cox model's likelihood-ratio chi-square, 0 for any other
    number (relative REL only). 2 (loglik - loglik null) cancels two large numbers whose
    partial sums are added in another order on the cluster, so a small chi-square of a large
    cohort differs in its tenth digit when both log-likelihoods agree to their last bits
    (0.0476 from two log-likelihoods of -485,347 at 100,000 patients: 1.2e-10 apart, one
    unit in the last place of the log-likelihood). Allowed: LOGLIK_REL of the
    log-likelihood, some hundreds of units in its last place and 10,000 times less than
    the chi-square's last printed digit."""
    if key != "lr_chisq" or not isinstance(model.get("loglik"), dict):
        return 0.0
    return 2 * LOGLIK_REL * abs(model["loglik"]["value"])


@pytest.fixture(scope="module")
def in_memory(extracts: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("pandas")
    done = _report(extracts["single"], out, "--engine-data", "pandas")
    assert done.returncode == 0, done.stderr
    return _numbers(out / "thyroid")


def test_dask_run_equals_the_in_memory_run(
    extracts: dict[str, Path], in_memory: dict, dask_cluster: LocalCluster, tmp_path: Path
) -> None:
    address = str(dask_cluster.scheduler_address)
    done = _report(
        extracts["partitioned"], tmp_path, "--engine-data", "dask", "--scheduler", address
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "keeps no build cache" in done.stderr and "data cut" in done.stderr
    assert _differences(_numbers(tmp_path / "thyroid"), in_memory) == []


def _pieces_done(dask_scheduler: Any) -> int:  # noqa: ANN401 - the scheduler, in its process
    return sum(
        1
        for task in dask_scheduler.tasks.values()
        if task.state == "memory" and "check_patients_piece" in str(task.key)
    )


def test_a_worker_killed_mid_run_changes_nothing(
    extracts: dict[str, Path], in_memory: dict, dask_cluster: LocalCluster, tmp_path: Path
) -> None:
    with Client(dask_cluster) as client:
        killed: list[int] = []

        def kill_one_worker() -> None:
            """SIGKILL a worker once the run has checked a few partitions (its nanny starts
            a new one; what the dead one held is recomputed)."""
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if client.run_on_scheduler(_pieces_done) >= 3:
                    pids = client.run(os.getpid)
                    pid = pids[sorted(pids)[0]]
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
                time.sleep(0.05)

        killer = threading.Thread(target=kill_one_worker)
        killer.start()
        done = _report(
            extracts["partitioned"], tmp_path, "--engine-data", "dask",
            "--scheduler", str(dask_cluster.scheduler_address),
        )  # fmt: skip
        killer.join()
        assert killed, "no worker was killed: the run ended before three partitions were done"
        assert killed[0] not in client.run(os.getpid).values()
    assert done.returncode == 0, done.stderr
    assert _differences(_numbers(tmp_path / "thyroid"), in_memory) == []
