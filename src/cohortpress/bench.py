"""``make bench``: wall time and peak memory of every stage, end to end, for each study.

Each run happens in a fresh Python process so that imports and memory are counted as a user
would pay them. Peak memory is the process's maximum resident set size after each stage
(``ru_maxrss``), so it never decreases from one stage to the next. Results go to the terminal and
to ``bench/results/<timestamp>.json`` for comparison between runs.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

STAGES = ("read", "validate", "derive", "analyse", "artefacts", "render")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_once(study: Path, data: Path | None, formats: str) -> dict[str, object]:
    """Build one report in this process and measure each stage."""
    start = time.perf_counter()
    from cohortpress.pipeline import build_report

    stages: dict[str, dict[str, float]] = {"import": {"seconds": time.perf_counter() - start}}
    stages["import"]["peak_mib"] = _peak_mib()

    @contextlib.contextmanager
    def hook(name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        yield
        stages[name] = {"seconds": time.perf_counter() - t0, "peak_mib": _peak_mib()}

    with tempfile.TemporaryDirectory() as out:
        build_report(study, data=data, formats=formats.split(","), hook=hook, output_root=Path(out))
    return {"study": study.name, "total_seconds": time.perf_counter() - start, "stages": stages}


def _child(args: argparse.Namespace) -> None:
    result = run_once(Path(args.study[0]), Path(args.data) if args.data else None, args.to)
    print(json.dumps(result))


def _print(result: dict[str, object]) -> None:
    stages = result["stages"]
    assert isinstance(stages, dict)
    print(f"\n{result['study']}  ({result['total_seconds']:.2f} s end to end)")
    print(f"  {'stage':<10} {'wall (s)':>9} {'peak RSS (MiB)':>15}")
    for name, values in stages.items():
        print(f"  {name:<10} {values['seconds']:>9.2f} {values['peak_mib']:>15.0f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m cohortpress.bench", description=__doc__)
    parser.add_argument("--study", action="append", help="study folder (default: all in reports/)")
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--to", default="html,pdf,docx")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help="registry sizes (see the README)")
    args = parser.parse_args(argv)
    if args.child:
        _child(args)
        return
    studies = args.study or [str(p.parent) for p in sorted(Path("reports").glob("*/study.yml"))]
    results = []
    for study in studies:
        command = [
            sys.executable,
            "-m",
            "cohortpress.bench",
            "--child",
            "--study",
            study,
            "--to",
            args.to,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"bench: {study} failed:\n{done.stderr[-2000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(result)
        _print(result)
    folder = Path("bench/results")
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (folder / f"{stamp}.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
