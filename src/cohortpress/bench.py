"""``make bench``: wall time and peak memory of every stage, from paper size to registry size.

Size 26 is the thyroid study as shipped (its xlsx workbook). Larger sizes are the same study
run with ``--data`` on a synthetic registry extract of that many screened patients, written by
``data/make_registry.py`` (seeded; Parquet by default, ``--format csv`` to measure CSV intake)
and kept in ``bench/data/`` between runs.

Each size runs in a fresh Python process, so imports and memory count as a user pays them.
"End to end" is the wall time of that process, interpreter start-up included. A stage's peak
memory is the highest resident set size of the process while it ran, what earlier stages hold
included (Linux resets the high-water mark at each stage through ``/proc/self/clear_refs``;
elsewhere the peak so far is shown); the figure workers and pandoc are not counted. Results
are printed as a Markdown table, the one in the README, and written to
``bench/results/<timestamp>.json`` (and ``.md``) for comparison between runs.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from collections.abc import Iterator

    from distributed import Client

    from cohortpress.pipeline import EngineData

STAGES = (
    "cache",
    "read",
    "validate",
    "derive",
    "analyse",
    "tables",
    "figures",
    "documents",
    "render",
)
SIZES = (26, 1_000, 10_000, 100_000, 1_000_000)
PAPER_SIZE = 26
STUDY = Path("reports/thyroid")
DATA = Path("bench/data")
RESULTS = Path("bench/results")
GENERATOR = Path("data/make_registry.py")
_CLEAR_REFS = Path("/proc/self/clear_refs")
_STATUS = Path("/proc/self/status")


def _reset_peak() -> None:
    """Start a new high-water mark of resident memory (Linux); elsewhere nothing happens."""
    with contextlib.suppress(OSError):
        _CLEAR_REFS.write_text("5")


def _peak_mib() -> float:
    """The resident-memory high-water mark since the last reset, in MiB."""
    with contextlib.suppress(OSError):
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Hook:
    """Times each stage and its peak memory; on the Dask engine also each worker's peak."""

    def __init__(self) -> None:
        self.stages: dict[str, dict[str, float]] = {}
        self.workers: dict[str, float] = {}  # worker address -> peak resident MiB so far
        self.client: Client | None = None

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        _reset_peak()
        start = time.perf_counter()
        yield
        self.stages[name] = {"seconds": time.perf_counter() - start, "peak_mib": _peak_mib()}
        self._read_workers(name)

    def cluster(self, client: Client) -> None:
        """Called by the Dask engine with its client, while the cluster runs."""
        self.client = client

    def _read_workers(self, name: str) -> None:
        """Each worker's resident high-water mark (``getrusage``, since the worker started),
        read at the end of a stage that ran on the cluster."""
        if self.client is None or self.client.status != "running":
            return
        peaks = cast("dict[str, float]", self.client.run(_worker_peak_mib))
        for worker, mib in peaks.items():
            self.workers[worker] = max(self.workers.get(worker, 0.0), mib)
        self.stages[name]["workers_peak_mib"] = max(peaks.values(), default=0.0)


def _worker_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_once(
    study: Path, data: Path | None, formats: str, engine_data: str = "auto",
    scheduler: str | None = None,
) -> dict[str, object]:  # fmt: skip
    """Build one report in this process and measure each stage."""
    hook = _Hook()
    with hook("start-up"):
        from cohortpress.pipeline import build_report
    with tempfile.TemporaryDirectory() as out:
        build_report(
            study, data=data, formats=formats.split(","), hook=hook, output_root=Path(out),
            engine_data=cast("EngineData", engine_data), scheduler=scheduler,
        )  # fmt: skip
    return {"stages": hook.stages, "workers_peak_mib": hook.workers}


def registry_data(size: int, fmt: str, *, partitioned: bool = False) -> Path:
    """The synthetic registry extract of ``size`` patients, written on first use (for the
    Dask engine, hive-partitioned by year: ``--partitioned-by year``)."""
    folder = DATA / (f"registry-{size}-parts" if partitioned else f"registry-{size}-{fmt}")
    stamp = folder / ".complete"
    if not stamp.exists() or stamp.stat().st_mtime < GENERATOR.stat().st_mtime:
        command = [sys.executable, str(GENERATOR), str(size), str(folder), "--format", fmt]
        command += ["--partitioned-by", "year"] if partitioned else []
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        stamp.touch()
    return folder


def measure(
    size: int, fmt: str, formats: str, engine_data: str = "auto", scheduler: str | None = None
) -> dict[str, object]:
    """Run one size in a child process; its stages, peaks and end-to-end wall time."""
    dask = engine_data == "dask" and size != PAPER_SIZE
    data = None if size == PAPER_SIZE else registry_data(size, fmt, partitioned=dask)
    command = [sys.executable, "-m", "cohortpress.bench", "--child", "--to", formats]
    command += ["--data", str(data)] if data else []
    command += ["--engine-data", engine_data if size != PAPER_SIZE else "pandas"]
    command += ["--scheduler", scheduler] if scheduler else []
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"bench: {size:,} patients failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    stages = result["stages"]
    return {
        "patients": size,
        "input": "xlsx" if data is None else ("parquet, partitioned" if dask else fmt),
        "engine_data": "dask" if dask else "pandas",
        "end_to_end_seconds": wall,
        "peak_mib": max(s["peak_mib"] for s in stages.values()),
        **result,
    }


def markdown_table(runs: list[dict]) -> str:
    """Stages down, sizes across: wall time in seconds and peak memory in MiB."""
    head = "| stage | " + " | ".join(f"{r['patients']:,} ({r['input']})" for r in runs) + " |"
    lines = [head, "|---|" + "---:|" * len(runs)]
    for stage in ("start-up", *STAGES):
        cells = [_cell(r["stages"].get(stage)) for r in runs]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    total = " | ".join(f"**{r['end_to_end_seconds']:.1f} s**" for r in runs)
    lines.append(f"| **end to end** | {total} |")
    peak = " | ".join(f"**{r['peak_mib']:,.0f} MiB**" for r in runs)
    lines.append(f"| **peak memory** | {peak} |")
    if any(r.get("workers_peak_mib") for r in runs):
        workers = " | ".join(_workers(r.get("workers_peak_mib") or {}) for r in runs)
        lines.append(f"| **peak memory, each Dask worker** | {workers} |")
    return "\n".join(lines)


def _workers(peaks: dict[str, float]) -> str:
    return " / ".join(f"{mib:,.0f} MiB" for _, mib in sorted(peaks.items())) or "–"


def _cell(stage: dict[str, float] | None) -> str:
    if stage is None:
        return "–"
    workers = stage.get("workers_peak_mib")
    on_workers = f" (workers ≤ {workers:,.0f} MiB)" if workers else ""
    return f"{stage['seconds']:.2f} s · {stage['peak_mib']:,.0f} MiB{on_workers}"


def _ram() -> str:
    with contextlib.suppress(OSError, IndexError, ValueError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        return f"{kib / 1024**2:.0f} GiB"
    return "unknown"


def _child(args: argparse.Namespace) -> None:
    data = Path(args.data) if args.data else None
    print(json.dumps(run_once(STUDY, data, args.to, args.engine_data, args.scheduler)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m cohortpress.bench", description=__doc__)
    parser.add_argument(
        "--sizes",
        default=" ".join(map(str, SIZES)),
        help="patients per run, space-separated (default: %(default)s)",
    )
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--to", default="html,pdf,docx", help="formats rendered")
    parser.add_argument(
        "--engine-data",
        choices=("auto", "pandas", "dask"),
        default="auto",
        help="the data engine of the registry sizes; dask writes and reads the extract "
        "partitioned by year (default: %(default)s)",
    )
    parser.add_argument("--scheduler", help="a Dask scheduler's address (default: a local one)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args)
        return
    try:
        sizes = [int(s.replace(",", "").replace("_", "")) for s in args.sizes.split()]
    except ValueError:
        parser.error(f"--sizes: whole numbers of patients, e.g. '26 1000'; got {args.sizes!r}")
    runs = []
    for size in sizes:
        print(f"bench: {size:,} patients …", file=sys.stderr, flush=True)
        runs.append(measure(size, args.format, args.to, args.engine_data, args.scheduler))
    table = markdown_table(runs)
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "ram": _ram()}
    record = {
        "when": stamp, "formats": args.to, "engine_data": args.engine_data, "machine": machine,
        "runs": runs,
    }  # fmt: skip
    (RESULTS / f"{stamp}.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    (RESULTS / f"{stamp}.md").write_text(table + "\n", encoding="utf-8")
    print(f"\nwritten to {RESULTS}/{stamp}.json", file=sys.stderr)


if __name__ == "__main__":
    main()
