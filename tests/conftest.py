"""Fixtures shared by test modules: the Dask cluster the distributed engine's tests run on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[Any]:
    """A real ``distributed.LocalCluster`` of two worker processes of one thread each, as
    ``cohortpress report --engine-data dask`` starts; one per test module."""
    distributed = pytest.importorskip("distributed")
    # The dashboard on a free port, as the command line's: None means 8787, which the cluster
    # of a test module running beside this one may hold.
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def client(dask_cluster: Any) -> Iterator[Any]:
    """A client of :func:`dask_cluster`."""
    distributed = pytest.importorskip("distributed")
    with distributed.Client(dask_cluster) as client:
        yield client


@pytest.fixture(scope="session")
def examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The two example manuscripts as PDF and DOCX, rendered once by the command line for the
    tests that read their pages (page fill, wide tables)."""
    root = Path(__file__).resolve().parents[1]
    out = tmp_path_factory.mktemp("examples")
    for study in ("renal", "thyroid"):
        command = [
            sys.executable, "-m", "cohortpress", "report", f"reports/{study}",
            "--engine", "embedded", "--to", "pdf,docx", "--output", str(out), "-q",
        ]  # fmt: skip
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    return {study: out / study for study in ("renal", "thyroid")}
