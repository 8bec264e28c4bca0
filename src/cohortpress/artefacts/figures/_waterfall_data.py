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
    Column ``code`` is the response's position in ``response_order``.
    """
    if len(change_pct) != len(best_response):
        msg = f"{len(change_pct)} changes but {len(best_response)} best responses"
        raise ValueError(msg)
    change = pd.array(list(change_pct), dtype="Float64").to_numpy(dtype=float, na_value=np.nan)
    response = np.asarray(best_response, dtype=object)[~np.isnan(change)]
    change = change[~np.isnan(change)]
    if len(change) == 0:
        raise ValueError("no patient has a recorded change in target lesions")
    unknown = sorted({str(r) for r in response} - set(response_order))
    if unknown:
        msg = f"best responses {unknown} are not among {list(response_order)}"
        raise ValueError(msg)
    code = pd.Categorical(response, categories=list(response_order)).codes
    order = np.lexsort((code, -change))  # last key sorts first; lexsort is stable
    return pd.DataFrame({"change": change[order], "response": response[order], "code": code[order]})


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
    bar = np.arange(len(frame)) * n_bars // len(frame)
    change, code = frame["change"].to_numpy(), frame["code"].to_numpy()
    median = np.array(
        [np.median(part) for part in np.split(change, np.flatnonzero(np.diff(bar)) + 1)]
    )
    counts = np.zeros((n_bars, len(response_order)))
    np.add.at(counts, (bar, code), 1)
    outward = np.where(median[:, None] >= 0, counts, counts[:, ::-1])  # columns from zero out
    share = outward / outward.sum(axis=1, keepdims=True)
    outer = np.cumsum(share, axis=1) * median[:, None]
    inner = outer - share * median[:, None]
    rows, col = np.nonzero(share)
    codes = np.where(median[rows] >= 0, col, len(response_order) - 1 - col)
    ends = np.sort(np.c_[inner[rows, col], outer[rows, col]], axis=1)
    responses = np.asarray(response_order, dtype=object)[codes]
    return _bars(rows + 1.0, ends[:, 0], ends[:, 1], responses)


def _bars(x: np.ndarray, ymin: np.ndarray, ymax: np.ndarray, response: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": x,
            "xmin": x - HALF_WIDTH,
            "xmax": x + HALF_WIDTH,
            "ymin": ymin,
            "ymax": ymax,
            "response": response,
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


def missing_note(n_missing: int, mark: str | None = None) -> str | None:
    """Caption sentence naming patients without a recorded change, if any; a suppressed
    count prints as its mark ('<5')."""
    if n_missing == 0:
        return None
    if mark:
        return f"{mark} patients without a recorded change in target lesions are not shown."
    if n_missing == 1:
        return "1 patient without a recorded change in target lesions is not shown."
    return f"{n_missing:,} patients without a recorded change in target lesions are not shown."
