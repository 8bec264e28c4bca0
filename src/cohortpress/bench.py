"""``make bench``: wall time and peak memory of every stage, from paper size to registry size.

Size 26 is the thyroid study as shipped (its xlsx workbook). Larger sizes are the same study
run with ``--data`` on a synthetic registry extract of that many screened patients, written by
``data/make_registry.py`` (seeded; Parquet by default, ``--format csv`` to measure CSV intake)
and kept in ``bench/data/`` between runs.

Each size runs in a fresh Python process, so imports and memory count as a user pays them.
"End to end" is the wall time of that process, interpreter start-up included. A stage's peak
memory is the highest resident set size of the process while it ran, what earlier stages hold
included (Linux resets the high-water mark at each stage through ``/proc/self/clear_refs``;
elsewhere the peak so far is shown); the figure workers and pandoc are not counted there. The
run's processes together (the run, the processes it forked, pandoc, typst) are sampled every
tenth of a second from outside (their proportional set size, Linux): a second peak. Results
are printed as a Markdown table, the one in the README, and written to
``bench/results/<timestamp>.json`` (and ``.md``) for comparison between runs.

``--loop`` times the author's loop at paper size instead (:mod:`cohortpress.bench_loop`): a
first run, a re-render after a text edit and a preview refresh, several times each. Both modes
time the R Markdown peer (:mod:`cohortpress.bench_peer`) in the same run when R can render it,
and print cohortpress's time over R's.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from collections.abc import Iterator

    from distributed import Client

    from cohortpress.bench_loop import Timing
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
    "cuts",  # the data cut: its snapshot (begun while the documents render), then archived
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
        seconds, peak = time.perf_counter() - start, _peak_mib()
        if name in self.stages:  # a stage in two parts (the figures: built, then waited for)
            seconds += self.stages[name]["seconds"]
            peak = max(peak, self.stages[name]["peak_mib"])
        self.stages[name] = {"seconds": seconds, "peak_mib": peak}
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
    pipe = subprocess.PIPE
    with (
        subprocess.Popen(command, stdout=pipe, stderr=pipe, text=True) as child,
        TreeMemory(child.pid) as together,
    ):
        stdout, stderr = child.communicate()
    wall = time.perf_counter() - start
    if child.returncode != 0:
        sys.exit(f"bench: {size:,} patients failed:\n{stderr[-3000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    stages = result["stages"]
    return {
        "patients": size,
        "input": "xlsx" if data is None else ("parquet, partitioned" if dask else fmt),
        "engine_data": "dask" if dask else "pandas",
        "end_to_end_seconds": wall,
        "peak_mib": max(s["peak_mib"] for s in stages.values()),
        "processes_peak_mib": together.peak_mib,
        **result,
    }


class TreeMemory:
    """The highest memory of a process and all its descendants together, sampled every
    :attr:`every` seconds while the block runs: their proportional set sizes (PSS: a page
    that forked processes share counts once in all), summed. The run forks processes that
    hold memory of their own (a registry's snapshot, the comparison, the figure workers), which
    its own high-water mark does not count. ``peak_mib`` is None where ``/proc`` has no
    ``smaps_rollup`` (not Linux)."""

    every = 0.1

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_mib: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self.every):
            kib = sum(filter(None, map(_pss_kib, _descendants(self.pid))))
            if kib:
                self.peak_mib = max(self.peak_mib or 0.0, kib / 1024)


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, as ``/proc`` lists them now."""
    children: dict[int, list[int]] = {}
    entries = list(Path("/proc").iterdir()) if Path("/proc").is_dir() else []
    for entry in entries:
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return found


def _pss_kib(pid: int) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return None


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
    together = " | ".join(_mib(r.get("processes_peak_mib")) for r in runs)
    lines.append(f"| **peak memory, the run's processes together (PSS)** | {together} |")
    if any(r.get("workers_peak_mib") for r in runs):
        workers = " | ".join(_workers(r.get("workers_peak_mib") or {}) for r in runs)
        lines.append(f"| **peak memory, each Dask worker** | {workers} |")
    return "\n".join(lines)


def _mib(value: float | None) -> str:
    return "–" if value is None else f"**{value:,.0f} MiB**"


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
    from cohortpress import _blas, _gc

    _gc.for_this_process()  # one run per process, as `cohortpress report`
    _blas.one_blas_thread()  # as the command line
    data = Path(args.data) if args.data else None
    print(json.dumps(run_once(STUDY, data, args.to, args.engine_data, args.scheduler)))


def _peer_reason(args: argparse.Namespace) -> str | None:
    """Why the R peer is not timed in this run, or None when it is."""
    from cohortpress.bench_peer import missing_peer

    return "--no-peer" if args.no_peer else missing_peer()


def _paper_data() -> Path:
    """What the R peer reads at paper size: the workbook (readxl) or its sheets as CSV."""
    from cohortpress.bench_peer import has_readxl, workbook_as_csv
    from cohortpress.config import load_study

    workbook = load_study(STUDY).data_path
    return workbook if has_readxl() else workbook_as_csv(workbook, DATA / f"{STUDY.name}-csv")


def _peer_size(size: int, formats: tuple[str, ...]) -> Timing:
    from cohortpress.bench_peer import render_peer

    data = _paper_data() if size == PAPER_SIZE else registry_data(size, "csv")
    return render_peer(data, formats, f"{size} patients")


def run_loop(args: argparse.Namespace) -> dict[str, object]:
    """The author's loop: every case in fresh processes, ``--repeats`` times; the R peer.

    Each repeat runs every case and then the R peer, so that the machine's drift over the
    minutes of a run reaches both alike; each ratio is the median of the repeats' own ratios
    (:func:`paired_ratio`)."""
    from cohortpress.bench_loop import cases_for, load_average, time_case
    from cohortpress.bench_peer import peer_formats, render_peer

    asked = tuple(f.strip() for f in args.to.split(",") if f.strip())
    load = {"before": load_average()}
    cases = cases_for(asked)
    reason = _peer_reason(args)
    data = _paper_data() if reason is None else None
    peer_sets = list(dict.fromkeys(c.formats for c in cases if c.kind != "preview"))
    ours: list[list[Timing]] = [[] for _ in cases]
    theirs: dict[tuple[str, ...], list[Timing]] = {formats: [] for formats in peer_sets}
    for repeat in range(args.repeats):
        for case, timings in zip(cases, ours, strict=True):
            print(f"bench: {case.label} ({repeat + 1}/{args.repeats}) …", file=sys.stderr)
            timings.append(time_case(case, Path.cwd(), STUDY, repeat))
        if data is None:
            continue
        for formats in peer_sets:
            shown = ", ".join(peer_formats(formats))
            print(f"bench: R peer, {shown} ({repeat + 1}/{args.repeats}) …", file=sys.stderr)
            theirs[formats].append(render_peer(data, peer_formats(formats), f"edit {repeat}"))
    records = [{"kind": case.kind, "formats": list(case.formats), "label": case.label,
                **timed_record(timings)}
               for case, timings in zip(cases, ours, strict=True)]  # fmt: skip
    peer: dict[str, object] = {"skipped": reason} if reason else {}
    if reason is None:
        for formats, timings in theirs.items():
            peer[",".join(formats)] = {"rendered": list(peer_formats(formats)),
                                       **timed_record(timings)}  # fmt: skip
    load["after"] = load_average()
    return {"loop": records, "peer": peer, "load_average": load, "repeats": args.repeats,
            "cores": os.cpu_count()}  # fmt: skip


def timed_record(timings: list[Timing]) -> dict[str, object]:
    """The repeats' wall times with their median and range, and their CPU times (None where
    not measured) with the median of those measured."""
    from cohortpress.bench_loop import summary

    seconds = [t.seconds for t in timings]
    cpu = [t.cpu_seconds for t in timings]
    measured = [c for c in cpu if c is not None]
    median_cpu = statistics.median(measured) if measured else None
    return {"seconds": seconds, **summary(seconds), "cpu_seconds": cpu, "median_cpu": median_cpu}


def paired_ratio(ours: list[float], theirs: list[float]) -> float:
    """cohortpress's time over R's: the median of each repeat's own ratio (the two timed in
    the same minutes), or of the medians' ratio for a record without repeats side by side."""
    if len(ours) == len(theirs) and ours:
        return statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
    return statistics.median(ours) / statistics.median(theirs)


def loop_table(record: dict) -> str:
    """One row per case: cohortpress's median and range, the R peer's, and their ratio."""
    from cohortpress.bench_loop import timed_range

    peer = record["peer"]
    lines = ["| case | cohortpress | CPU | R Markdown peer | CPU | cohortpress / R |",
             "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for case in record["loop"]:
        theirs = peer.get(",".join(case["formats"])) if case["kind"] != "preview" else None
        ratio = f"{paired_ratio(case['seconds'], theirs['seconds']):.2f}" if theirs else "–"
        rendered = f" ({', '.join(theirs['rendered']).upper()})" if theirs else ""
        lines.append(
            f"| {case['label']} | {timed_range(case)} | {_cpu(case)} "
            f"| {timed_range(theirs)}{rendered} | {_cpu(theirs)} | {ratio} |"
        )
    load = record["load_average"]
    cores = record.get("cores") or "the"
    lines.append("")
    lines.append(f"Median (range) of {record['repeats']} runs, each in a fresh process; each "
                 "repeat ran every case, then the R peer, and a ratio is the median of the "
                 "repeats' own. CPU: the median user and system time of a run and of every "
                 f"process it waited for; on {cores} cores a run cannot take less than its CPU "
                 f"time over {cores}. Load average before: {load['before']}; after: "
                 f"{load['after']}.")  # fmt: skip
    if "skipped" in peer:
        lines.append(f"R Markdown peer skipped: {peer['skipped']}.")
    return "\n".join(lines)


def _cpu(record: dict | None) -> str:
    median = None if record is None else record.get("median_cpu")
    return "–" if median is None else f"{median:.2f} s"


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
    parser.add_argument(
        "--loop",
        action="store_true",
        help="time the author's loop at paper size: first run, text edit, preview refresh",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per --loop case (default: %(default)s)"
    )
    parser.add_argument("--no-peer", action="store_true", help="do not time the R peer")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--preview-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args)
        return
    if args.preview_child:
        from cohortpress.bench_loop import preview_refresh

        print(json.dumps(preview_refresh(Path(args.preview_child))))
        return
    if args.repeats < 1:
        parser.error(f"--repeats: at least 1; got {args.repeats}")
    if args.loop:
        _write_loop(run_loop(args))
        return
    try:
        sizes = [int(s.replace(",", "").replace("_", "")) for s in args.sizes.split()]
    except ValueError:
        parser.error(f"--sizes: whole numbers of patients, e.g. '26 1000'; got {args.sizes!r}")
    from cohortpress.bench_loop import load_average
    from cohortpress.bench_peer import peer_formats

    reason = _peer_reason(args)
    load = {"before": load_average()}
    runs = []
    for size in sizes:
        print(f"bench: {size:,} patients …", file=sys.stderr, flush=True)
        run = measure(size, args.format, args.to, args.engine_data, args.scheduler)
        if reason is None:
            shown = peer_formats(tuple(args.to.split(",")))
            print(f"bench: {size:,} patients, R peer ({', '.join(shown)}) …", file=sys.stderr)
            timing = _peer_size(size, shown)
            run["peer"] = {"rendered": list(shown), "seconds": timing.seconds,
                           "cpu_seconds": timing.cpu_seconds}  # fmt: skip
        runs.append(run)
    load["after"] = load_average()
    table = markdown_table(runs)
    if reason is None:
        table += "\n" + peer_row(runs)
    table += f"\n\nLoad average before: {load['before']}; after: {load['after']}."
    if reason is not None:
        table += f" R Markdown peer skipped: {reason}."
    print(table)
    record = {
        "formats": args.to,
        "engine_data": args.engine_data,
        "runs": runs,
        "load_average": load,
    }
    _write(record, table, "")


def peer_row(runs: list[dict]) -> str:
    """The R peer's end-to-end time per size, and cohortpress's over it."""
    rendered = ", ".join(runs[0]["peer"]["rendered"]).upper()
    cells = " | ".join(f"{r['peer']['seconds']:.1f} s" for r in runs)
    ratios = " | ".join(f"{r['end_to_end_seconds'] / r['peer']['seconds']:.2f}" for r in runs)
    return f"| R Markdown peer ({rendered}) | {cells} |\n| cohortpress / R | {ratios} |"


def _write_loop(record: dict[str, object]) -> None:
    table = loop_table(record)
    print(table)
    _write(record, table, "-loop")


def _write(record: dict[str, object], table: str, suffix: str) -> None:
    """``bench/results/<time><suffix>.json`` and ``.md``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "ram": _ram()}
    record = {"when": stamp, "machine": machine, **record}
    name = f"{stamp}{suffix}"
    (RESULTS / f"{name}.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    (RESULTS / f"{name}.md").write_text(table + "\n", encoding="utf-8")
    print(f"\nwritten to {RESULTS}/{name}.json", file=sys.stderr)


if __name__ == "__main__":
    main()
