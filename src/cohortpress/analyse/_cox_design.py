"""The design matrix of a Cox model: complete cases, treatment contrasts, per-unit scaling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from cohortpress.analyse._inputs import as_events, level_text, numbers

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from cohortpress.analyse._cox import CoxCovariate


@dataclass(frozen=True)
class DesignColumn:
    """One column: a level against the reference, or a continuous covariate / ``per``."""

    covariate: CoxCovariate
    level: str | None  # None for a continuous covariate
    reference: str | None  # the reference level of a categorical covariate
    patients: int  # patients with this level (all complete cases when continuous)
    events: int  # events among them


@dataclass(frozen=True)
class Design:
    """Complete cases only, as R's default ``na.action = na.omit``."""

    time: NDArray[np.float64]
    event: NDArray[np.bool_]
    x: NDArray[np.float64]
    columns: tuple[DesignColumn, ...]


def build_design(
    data: pd.DataFrame, time: str, event: str, covariates: Sequence[CoxCovariate]
) -> Design:
    """Rows with every needed value present; one column per non-reference level (treatment
    contrasts, R's default) and one per continuous covariate divided by its ``per``."""
    needed = [time, event, *(c.column for c in covariates)]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise ValueError(f"columns not in the data: {', '.join(missing)}")
    frame = _complete_cases(data, needed)
    times = numbers(frame[time])
    events = as_events(frame[event])
    columns: list[DesignColumn] = []
    blocks: list[NDArray[np.float64]] = []
    for cov in covariates:
        for level, reference, values in _covariate_columns(frame[cov.column], cov):
            blocks.append(values)
            members = values != 0 if level is not None else np.ones(len(values), dtype=bool)
            count, in_events = int(members.sum()), int(events[members].sum())
            columns.append(DesignColumn(cov, level, reference, count, in_events))
    x = np.column_stack(blocks) if blocks else np.empty((len(times), 0))
    return Design(times, events, x.astype(float), tuple(columns))


def _complete_cases(data: pd.DataFrame, columns: list[str]) -> dict[str, pd.Series]:
    """Each of ``columns`` in the rows with every value present, in their order (the columns
    of ``data.loc[data[columns].notna().all(axis=1), columns]``, without its index): taken by
    one mask each, neither aligned nor gathered into a frame, which for a registry were a
    fit's largest cost after the likelihood."""
    complete = np.logical_and.reduce([data[c].notna().to_numpy() for c in columns])
    return {c: pd.Series(data[c].array[complete]) for c in dict.fromkeys(columns)}


def level_codes_frame(
    data: pd.DataFrame, time: str, event: str, covariates: Sequence[CoxCovariate]
) -> pd.DataFrame:
    """The columns the fits of ``covariates`` read, each categorical covariate's values held as
    integer codes (a pandas ``Categorical`` of its distinct values, as ``pd.factorize`` finds
    them): :func:`build_design` makes the same design of it, but each fit then finds complete
    cases, takes rows and codes levels on a byte per patient instead of text, which for a
    registry is most of a univariate fit's cost. Made once, read by every fit of an endpoint."""
    frame = data.loc[:, list(dict.fromkeys([time, event, *(c.column for c in covariates)]))]
    for cov in covariates:
        values = frame[cov.column]
        if cov.kind == "categorical" and not isinstance(values.dtype, pd.CategoricalDtype):
            codes, distinct = pd.factorize(values)
            as_codes = cast("Sequence[int]", codes)  # an integer array, as pandas takes it
            frame[cov.column] = pd.Categorical.from_codes(as_codes, categories=distinct)
    return frame


def _covariate_columns(
    values: pd.Series, cov: CoxCovariate
) -> list[tuple[str | None, str | None, NDArray[np.float64]]]:
    """(level, reference, column): an indicator per non-reference level, or x / per.

    Without declared levels, the observed values sorted (R's factor levels) with the first
    as reference."""
    if cov.kind == "continuous":
        return [(None, None, numbers(values) / cov.per)]
    codes, observed = _level_codes(values)
    levels = cov.levels or tuple(sorted(observed))
    unknown = sorted(set(observed) - set(levels))
    if unknown:
        raise ValueError(f"{cov.label}: values {unknown} are not among the levels {list(levels)}")
    if not levels:  # nothing declared and no complete case: no reference to take
        raise ValueError(f"{cov.label}: no value among the patients analysed")
    reference = cov.reference or levels[0]
    text_codes = {text: k for k, text in enumerate(observed)}
    return [
        (lv, reference, (codes == text_codes.get(lv, -1)).astype(float))
        for lv in levels
        if lv != reference
    ]


def _level_codes(values: pd.Series) -> tuple[NDArray[np.intp], list[str]]:
    """Each row's index into the distinct values seen, those values as text (1.0 -> "1", as
    R prints factor levels); values equal as text share an index. Integer codes keep a
    million rows cheap."""
    codes, uniques = pd.factorize(values)
    texts = [level_text(u) for u in uniques]
    distinct = list(dict.fromkeys(texts))
    remap = np.array([distinct.index(t) for t in texts], dtype=np.intp)
    return remap[codes], distinct


def linear_predictor(x: NDArray[np.float64], beta: NDArray[np.float64]) -> NDArray[np.float64]:
    """x'beta of every row, one column at a time: a row's value depends on its own values
    only. A BLAS product may round a row differently by its position in the matrix (its
    vectorised body and tail differ), which would part patients with equal covariates into
    different scores for the concordance, and differently in each partition of an extract."""
    score = np.zeros(x.shape[0])
    for j, b in enumerate(beta):
        score = score + x[:, j] * b
    return score
