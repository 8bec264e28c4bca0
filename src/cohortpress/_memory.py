"""Handing the memory a run has freed back to the operating system.

Memory freed in a process is not always returned: pyarrow's allocator (mimalloc) keeps what
its buffers held for reuse, and glibc's ``malloc`` keeps the free space of its heap. Reading a
registry's Parquet extract frees the Arrow tables as each column becomes pandas' (the
columns of Python strings are built from them), and both allocators kept what was freed:
after reading a million patients the run held 1,360 MiB resident, 645 MiB once pyarrow's
pool released its unused memory (520 MiB) and glibc trimmed its heap (190 MiB), in 5 ms; at
100,000 patients 317 MiB and 210 MiB. A forked process (the validation, the comparison,
a registry's snapshot) would inherit the kept memory, and keep it after the run released
its own.

So :func:`give_back` is called as each stage after the reading starts (``cohortpress._gc``),
before a process is forked with the run's data and in it once its task is done
(``cohortpress._forked``), and once a registry's snapshot is taken (``cohortpress.pipeline``).
"""

from __future__ import annotations

import functools
import sys
from typing import Any


def give_back() -> None:
    """Return to the system what pyarrow's pool and glibc's heap keep free. Nothing is
    imported for it: a process that has not imported NumPy (a run from the build cache) has
    held no data, and is left as it is."""
    if "numpy" not in sys.modules:
        return
    pyarrow: Any = sys.modules.get("pyarrow")
    if pyarrow is not None:
        pyarrow.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS, Windows)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # imported by NumPy already

    try:
        return ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return None
