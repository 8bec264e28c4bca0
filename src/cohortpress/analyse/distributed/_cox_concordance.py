"""Harrell's concordance of a partitioned extract from patient counts per distinct (time,
event, linear predictor): patients in one such cell are in the same pairs, so the counts
carry everything R's ``concordance`` needs, C and its jackknife standard error included.

Cost: one row per cell on the workers and the client. With a few categorical covariates the
linear predictor takes a few values and the cells are about distinct times x 2 x values; a
continuous covariate gives nearly every patient a value of their own, and then the cells are
nearly as many as the patients (three numbers and a count each, on the client).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohortpress.analyse._cox_design import linear_predictor

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from cohortpress.analyse.distributed._cox_design import Rows

KEYS = ["time", "event", "score"]


def cell_counts(rows: Rows, beta: NDArray[np.float64]) -> pd.DataFrame:
    """Patients per (time, event, x'beta) of a partition; ``beta`` in the covariates' units,
    the linear predictor computed as the in-memory fit computes it."""
    score = linear_predictor(rows.x.astype(np.float64, copy=False), beta) + 0.0
    cells = pd.DataFrame({"time": rows.time + 0.0, "event": rows.event, "score": score})
    return cells.groupby(KEYS, sort=False).size().rename("count").reset_index()


def combine_cells(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The counts of several partitions, those of the same cell added (integers: exact)."""
    cells = pd.concat(parts, ignore_index=True)
    return cells.groupby(KEYS, sort=False)["count"].sum().reset_index()


def cell_arrays(
    cells: pd.DataFrame,
) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.float64], NDArray[np.int64]]:
    """The cells as arrays: time, event, score and the number of patients."""
    return (
        cells["time"].to_numpy(np.float64),
        cells["event"].to_numpy(bool),
        cells["score"].to_numpy(np.float64),
        cells["count"].to_numpy(np.int64),
    )
