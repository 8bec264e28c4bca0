"""Which engine holds the data: pandas in this process, or Dask workers (issue 15).

``pandas`` (the default for ordinary cohorts) reads the whole extract into this process.
``dask`` reads, validates and derives it piece by piece on the workers of a Dask cluster and
analyses it from sufficient statistics summed on the client: a ``distributed.LocalCluster``
of :data:`LOCAL_WORKERS` worker processes started for the run (and closed after it), or an
existing cluster given by its scheduler's address. ``auto`` picks Dask, when it is installed, for
a partitioned extract (a ``patients/`` sub-folder of Parquet files, which only Dask reads)
and for a folder of one Parquet file per sheet of more than :data:`AUTO_BYTES` bytes (both
engines read it; in memory it would take about 25 times its size), and pandas otherwise.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
from typing import TYPE_CHECKING, Literal, cast

from cohortpress.errors import StudyConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from distributed import Client, Future

EngineData = Literal["auto", "pandas", "dask"]
AUTO_BYTES = 256 * 1024**2  # about 2.5 million patients of the thyroid registry's Parquet
LOCAL_WORKERS = 2
CONNECT_SECONDS = 10


def dask_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("dask", "distributed"))


def choose_engine(requested: EngineData, data: Path, scheduler: str | None) -> EngineData:
    """The engine for ``data``: as asked, or by the layout and size of the extract (auto)."""
    partitioned = is_partitioned(data)
    if requested == "auto":
        large = partitioned or extract_size(data) > AUTO_BYTES or scheduler is not None
        requested = "dask" if large and dask_installed() else "pandas"
    if requested == "pandas" and partitioned:
        raise StudyConfigError(
            f"{data}: a partitioned extract (a patients/ folder of Parquet files) is read by "
            "the Dask engine: run with --engine-data dask"
        )
    if requested == "pandas" and scheduler is not None:
        raise StudyConfigError("--scheduler: a Dask scheduler is used by --engine-data dask only")
    if requested == "dask" and not dask_installed():
        raise StudyConfigError(
            "--engine-data dask: Dask is not installed; pip install 'cohortpress[dask]'"
        )
    return requested


def is_partitioned(path: Path) -> bool:
    """True for a folder with a ``patients/`` sub-folder (the layout only Dask reads)."""
    if not path.is_dir():
        return False
    return any(p.is_dir() and p.name.casefold() == "patients" for p in path.iterdir())


def extract_size(path: Path) -> int:
    """Bytes of the Parquet files of an extract folder (0 for anything else)."""
    if not path.is_dir():
        return 0
    return sum(f.stat().st_size for f in path.rglob("*.parquet") if f.is_file())


@contextlib.contextmanager
def dask_client(scheduler: str | None) -> Iterator[Client]:
    """A client of the cluster at ``scheduler``, or of a local cluster closed at the end."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError, ValueError) as exc:
            raise StudyConfigError(
                f"--scheduler {scheduler}: no Dask scheduler answers there ({exc})"
            ) from None
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=LOCAL_WORKERS,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: several runs may share a machine
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def partition_progress(hook: object) -> Callable[[str, list[Future]], None]:
    """Wait for a batch of futures, advancing the hook's per-partition display as each
    completes, when the hook has one (a ``partitions(label, total)`` method returning the
    callable that advances it); a failed partition raises its error here."""
    from distributed import as_completed

    shown = cast(
        "Callable[[str, int], Callable[[], None]] | None", getattr(hook, "partitions", None)
    )

    def follow(label: str, futures: list[Future]) -> None:
        advance = None if shown is None else shown(label, len(futures))
        for future in as_completed(futures):
            if future.status == "error":
                future.result()  # raises the worker's error
            if advance is not None:
                advance()

    return follow


def quiet_shuffles() -> None:
    """Dask's shuffle plugin logs each shuffle as a warning: routine here."""
    logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)
