"""What a run frees goes back to the system between stages: pyarrow's pool and glibc's heap
keep it otherwise (a million patients' read: 1,360 MiB resident, 645 MiB given back)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
linux = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="resident memory is read from /proc"
)


def _run(code: str) -> str:
    """``code`` in a fresh interpreter (its memory is this test's alone); what it prints."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
        cwd=ROOT, check=True,
    )  # fmt: skip
    return done.stdout.strip()


@linux
def test_the_memory_a_parquet_read_freed_is_given_back(tmp_path: Path) -> None:
    """Read as intake reads a registry's Parquet file, the text kept as Python strings and the
    frame dropped: what pyarrow's pool kept of the Arrow columns is returned."""
    out = _run(f"""
        import gc, os
        import numpy as np, pyarrow as pa, pyarrow.parquet as pq
        from cohortpress._memory import give_back
        from cohortpress.intake._parquet import read_parquet_table

        def resident():
            return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

        path = {str(tmp_path / "patients.parquet")!r}
        n = 1_000_000
        ids = [f"P{{i:07d}}" for i in range(n)]
        pq.write_table(pa.table({{"patient_id": ids, "x": np.arange(n, dtype=float)}}), path)
        del ids
        gc.collect()
        give_back()
        base = resident()
        frame = read_parquet_table(path)
        kept = frame["patient_id"].astype(object).to_numpy()  # the strings intake keeps
        del frame
        before = resident() - base
        give_back()
        print(before, resident() - base)
    """)
    before, after = map(int, out.split())
    assert before - after > 30 * 2**20, (before >> 20, after >> 20)


def test_nothing_is_imported_to_give_memory_back() -> None:
    """A run from the build cache imports neither pyarrow nor NumPy (nor ctypes, which NumPy
    imports); giving back must not."""
    out = _run("""
        import sys
        from cohortpress._memory import give_back
        give_back()
        print(sorted({"pyarrow", "pandas", "numpy", "ctypes"} & set(sys.modules)))
    """)
    assert out == "[]"
