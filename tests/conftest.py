"""Fixtures shared by test modules: the Dask cluster the distributed engine's tests run on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[Any]:
    """A real ``distributed.LocalCluster`` of two worker processes of one thread each, as
    ``cohortpress report --engine-data dask`` starts; one per test module."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def client(dask_cluster: Any) -> Iterator[Any]:
    """A client of :func:`dask_cluster`."""
    distributed = pytest.importorskip("distributed")
    with distributed.Client(dask_cluster) as client:
        yield client
