"""Bars of the waterfall plot: one per patient, or groups of patients for large cohorts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Sequence

HALF_WIDTH = 0.4  # half a bar's width, in bar positions


def waterfall_frame(
    change_pct: Sequence[float | None], best_response: Sequence[str], response_order: Sequence[str]
) -> pd.DataFrame:
    """Patients with a recorded change, sorted from largest growth to largest shrinkage.

    Ties are broken by response order, then input order, so the figure is reproducible.
    """
    if len(change_pct) != len(best_response):
        msg = f"{len(change_pct)} changes but {len(best_response)} best responses"
        raise ValueError(msg)
    frame = pd.DataFrame(
        {"change": pd.Series(list(change_pct), dtype=float), "response": list(best_response)}
    )
    frame = frame[frame["change"].notna()]
    unknown = sorted({str(r) for r in frame["response"]} - set(response_order))
    if unknown:
        msg = f"best responses {unknown} are not among {list(response_order)}"
        raise ValueError(msg)
    frame["rank"] = frame["response"].map({r: i for i, r in enumerate(response_order)})
    frame = frame.sort_values(["change", "rank"], ascending=[False, True], kind="stable")
    return frame.reset_index(drop=True)


def patient_bars(frame: pd.DataFrame) -> pd.DataFrame:
    """One bar per patient at positions 1..n, from zero to the patient's change."""
    x = np.arange(1, len(frame) + 1, dtype=float)
    change = frame["change"].to_numpy()
    return _bars(x, np.minimum(change, 0), np.maximum(change, 0), frame["response"].to_numpy())


def binned_bars(frame: pd.DataFrame, n_bars: int, response_order: Sequence[str]) -> pd.DataFrame:
    """``n_bars`` bars of consecutive patients: height = median change, split by response share.

    Shares stack outward from zero in response order for growth and in reverse order for
    shrinkage, so the responses sit at the tips of shrinking bars and progression at the
    tips of growing ones.
    """
    frame = frame.assign(bar=np.arange(len(frame)) * n_bars // len(frame) + 1)
    median = frame.groupby("bar")["change"].median().rename("median")
    counts = frame.groupby(["bar", "response"]).size().rename("k").reset_index()
    counts = counts.join(median, on="bar")
    counts["share"] = counts["k"] / counts.groupby("bar")["k"].transform("sum")
    rank = counts["response"].map({r: i for i, r in enumerate(response_order)})
    counts["order"] = np.where(counts["median"] >= 0, rank, -rank)
    counts = counts.sort_values(["bar", "order"], kind="stable")
    outer = counts.groupby("bar")["share"].cumsum().to_numpy()
    inner = outer - counts["share"].to_numpy()
    m = counts["median"].to_numpy()
    ends = np.sort(np.c_[inner * m, outer * m], axis=1)
    return _bars(counts["bar"].to_numpy(float), ends[:, 0], ends[:, 1], counts["response"])


def _bars(x: np.ndarray, ymin: np.ndarray, ymax: np.ndarray, response: object) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": x,
            "xmin": x - HALF_WIDTH,
            "xmax": x + HALF_WIDTH,
            "ymin": ymin,
            "ymax": ymax,
            "response": np.asarray(response),
        }
    )


def binning_note(frame: pd.DataFrame, n_bars: int) -> str:
    """Caption sentence saying how patients were grouped into bars."""
    n = len(frame)
    low, high = n // n_bars, -(-n // n_bars)
    size = f"{low:,}" if low == high else f"{low:,}–{high:,}"
    return (
        f"The {n:,} patients are ranked by change and shown in {n_bars} bars of {size} "
        "consecutive patients; each bar is their median change, divided in colour by the "
        "share of each best response."
    )


def missing_note(n_missing: int) -> str | None:
    """Caption sentence naming patients without a recorded change, if any."""
    if n_missing == 0:
        return None
    if n_missing == 1:
        return "1 patient without a recorded change in target lesions is not shown."
    return f"{n_missing:,} patients without a recorded change in target lesions are not shown."
