"""Compile one Typst file, in a process of its own with a CPU-time and memory limit.

Run by ``_typst.py`` as a script (``python _typst_worker.py``), so it imports nothing from
cohortpress: it reads the job as JSON on stdin and writes the result as JSON on stdout. The
limits are set before typst is loaded, so a Typst block that loops or allocates without end
stops this process, not the report's.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import warnings


def _limit(cpu_seconds: int, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def main() -> None:
    job = json.load(sys.stdin)
    _limit(job["cpu_seconds"], job["memory_bytes"])
    if job.get("niceness") and hasattr(os, "nice"):
        os.nice(job["niceness"])  # behind the render's longest pass (see cohortpress._priority)
    import typst  # after the limits: the compiler's memory counts against them

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", typst.TypstWarning)
        try:
            typst.compile(
                job["source"],
                output=job["output"],
                root=job["root"],
                timestamp=job["timestamp"],
                package_path=job["packages"],
                package_cache_path=job["packages"],
            )
        except typst.TypstError as exc:
            json.dump({"error": exc.message, "diagnostic": str(exc.diagnostic)}, sys.stdout)
            return
    found = [str(w.message).splitlines()[0] for w in caught if w.category is typst.TypstWarning]
    json.dump({"warnings": found}, sys.stdout)


if __name__ == "__main__":
    main()
