"""OpenBLAS's threads in a process that is one run of cohortpress.

Kept apart from :mod:`cohortpress._forked` so that the command line can call it without
importing multiprocessing (a cached run does not).
"""

from __future__ import annotations

import os


def one_blas_thread() -> None:
    """OpenBLAS (NumPy's and SciPy's) computes with one thread unless the user says otherwise.

    For a process that is one run of cohortpress (the command line, the bench's runs), set
    before NumPy is imported; the processes it starts inherit it. cohortpress works in parallel
    by processes, one per core: the figures' workers, a registry's comparison, pandoc and typst,
    Dask's single-threaded workers. OpenBLAS's threads, one per core for each library, only
    compete with them, and importing the two libraries starts them spinning: 0.09 s of CPU in
    every uncached run. The largest products (a Cox model's information at a million patients)
    gain nothing from them beside the forked comparison: in four paired runs the analysis
    took 0.0–3.8 s less with one thread.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
