"""Table I, markers, the group comparison, response, treatment and the waterfall from counts.

Each reads the value counts of ``Summary`` through the in-memory estimators
(``_summaries.characteristic_of`` and friends), so a row of Table I is built by the same code
from counts as from a column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohortpress.analyse._compare import compare_groups, fisher_test
from cohortpress.analyse._empty_factor import empty_factor_error
from cohortpress.analyse._study import GroupComparison
from cohortpress.analyse._summaries import (
    characteristic_of,
    comparison_groups,
    markers_of,
    response_summary,
    treatment_summary,
    variable_info,
    waterfall_of,
)
from cohortpress.analyse._value_counts import CountedValues
from cohortpress.analyse.distributed._summary import COUNT

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cohortpress.analyse._results import ComparisonResult
    from cohortpress.analyse._study import (
        Characteristic,
        MarkerSummary,
        ResponseSummary,
        TreatmentSummary,
        WaterfallData,
    )
    from cohortpress.analyse.distributed._summary import Summary
    from cohortpress.config import StudyConfig, Table1Row
    from cohortpress.derive import PartitionedCohort

WATERFALL = ("best_change_pct", "best_response")


def counted(counts: pd.DataFrame, column: str, rows: pd.Series | None = None) -> CountedValues:
    """The values of ``column`` (in ``rows`` of the counts, default all) as value counts."""
    part = counts if rows is None else counts[rows.to_numpy(dtype=bool)]
    blank = part[column].isna().to_numpy(dtype=bool)
    blanks = int(part.loc[blank, COUNT].sum())
    values = part.loc[~blank].groupby(column, observed=True, sort=True)[COUNT].sum()
    return CountedValues(values[values > 0].astype("int64"), blanks)


def row_keys(row: Table1Row, config: StudyConfig) -> tuple[str, ...]:
    """The columns whose joint counts a row of Table I (and its comparison) reads."""
    column = comparison_groups(config.compare_by, config)[0] if config.compare_by else None
    return (column, row.variable) if column else (row.variable,)


def table1_keys(config: StudyConfig) -> list[tuple[str, ...]]:
    """The combinations of columns whose counts Table I (and its comparison) reads."""
    keys = [row_keys(row, config) for row in config.table1]
    if config.compare_by:
        keys.append((comparison_groups(config.compare_by, config)[0],))
    return keys


def characteristics(summary: Summary, config: StudyConfig) -> tuple[Characteristic, ...]:
    """Table I: each row from the counts of its variable."""
    return tuple(
        characteristic_of(counted(summary.counts[row_keys(row, config)], row.variable), row, config)
        for row in config.table1
    )


def markers(summary: Summary, config: StudyConfig) -> tuple[MarkerSummary, ...]:
    return markers_of(config, lambda column: counted(summary.counts[(column,)], column))


def marker_keys(config: StudyConfig) -> list[tuple[str, ...]]:
    return [k for name in config.markers for k in ((name,), (f"{name}_group",))]


def comparison(summary: Summary, config: StudyConfig) -> GroupComparison | None:
    """Table I by the groups of ``compare_by``, each row tested, from counts per group.

    Fisher's exact test reads the table of counts itself; the Wilcoxon and Kruskal–Wallis
    tests read the values, rebuilt from the counts on the client (``np.repeat``: memory of
    eight bytes per patient with a value, per continuous row).
    """
    factor = config.compare_by
    if factor is None:
        return None
    column, levels = comparison_groups(factor, config)
    groups = counted(summary.counts[(column,)], column)
    present = tuple(lvl for lvl in levels if groups.count(lvl) > 0)
    if not present:
        raise empty_factor_error(factor, config, "compare_by", "remove `compare_by`")
    rows = []
    for row in config.table1:
        counts = summary.counts[row_keys(row, config)]
        everyone = counted(counts, row.variable)
        per_level = tuple(
            characteristic_of(
                counted(counts, row.variable, (counts[column] == lvl).fillna(False)),
                row,
                config,
                everyone,
            )
            for lvl in present
        )
        kind = "continuous" if per_level[0].distribution is not None else "categorical"
        rows.append((per_level, _test(counts, column, row, kind)))
    sizes = tuple(groups.count(lvl) for lvl in present)
    label = variable_info(factor, config)[0]
    return GroupComparison(factor, label, present, sizes, tuple(rows), summary.rows - sum(sizes))


def _test(counts: pd.DataFrame, group: str, row: Table1Row, kind: str) -> ComparisonResult:
    """The comparison of one row between the groups, as ``compare_groups`` on the patients."""
    complete = counts[counts[row.variable].notna() & counts[group].notna()]
    values = complete[row.variable]
    if row.cut is not None:
        below, above = row.cut_labels or (f"<{row.cut:g}", f"≥{row.cut:g}")
        values = pd.Series(np.where(values < row.cut, below, above), index=values.index)
    if kind == "categorical":  # the crosstab pd.crosstab makes: values x groups, both sorted
        pairs = pd.DataFrame({"value": values, "group": complete[group], COUNT: complete[COUNT]})
        table = pairs.pivot_table(
            index="value", columns="group", values=COUNT, aggfunc="sum", fill_value=0
        )
        return fisher_test(table.sort_index().sort_index(axis=1).to_numpy())
    repeats = complete[COUNT].to_numpy(dtype=np.int64)
    return compare_groups(
        np.repeat(values.to_numpy(dtype=np.float64), repeats),
        np.repeat(complete[group].astype(object).to_numpy(), repeats),
        "continuous",
    )


def response(summary: Summary, config: StudyConfig) -> ResponseSummary | None:
    if summary.response is None:
        return None
    return response_summary(summary.response, summary.rows, config)


def treatment(
    summary: Summary, cohort: PartitionedCohort, config: StudyConfig
) -> TreatmentSummary | None:
    """Duration (each distinct number of days in the study's unit), reasons, dose reduction."""
    if summary.treatment is None:
        return None
    days = counted(summary.counts[("treatment_days",)], "treatment_days")
    in_unit = pd.Series(
        days.counts.to_numpy(), index=[cohort.to_unit(float(v)) for v in days.counts.index]
    )
    duration = CountedValues(in_unit, days.blanks).distribution()
    dose = None
    if config.dose_reduction:
        dose = counted(summary.counts[(config.dose_reduction,)], config.dose_reduction)
    return treatment_summary(duration, summary.treatment, dose, summary.rows, config)


def treatment_keys(config: StudyConfig) -> list[tuple[str, ...]]:
    return [("treatment_days",), *([(config.dose_reduction,)] if config.dose_reduction else [])]


def waterfall(summary: Summary, config: StudyConfig) -> WaterfallData | None:
    """The bars, expanded on the client from the counts of (change, response): memory of one
    float and one label per measured patient, as the figure draws one bar each."""
    if config.response is None or not config.response.waterfall:
        return None
    counts = next((c for k, c in summary.counts.items() if k[:1] == WATERFALL[:1]), None)
    if counts is None:  # no column of changes: no bar (waterfall_of says so)
        return waterfall_of(pd.DataFrame(columns=list(WATERFALL)), summary.rows, config)
    if "best_response" not in counts.columns:
        counts = counts.assign(best_response=None)
    measured = counts[counts["best_change_pct"].notna()]
    repeats = measured[COUNT].to_numpy(dtype=np.int64)
    bars = pd.DataFrame({
        "best_change_pct": np.repeat(measured["best_change_pct"].to_numpy(np.float64), repeats),
        "best_response": np.repeat(measured["best_response"].astype(object).to_numpy(), repeats),
    })  # fmt: skip
    return waterfall_of(bars, summary.rows - len(bars), config)


def waterfall_keys(config: StudyConfig, columns: Sequence[str]) -> list[tuple[str, ...]]:
    """The counts the waterfall reads: of (change, response), or of the change alone."""
    if config.response is None or not config.response.waterfall or WATERFALL[0] not in columns:
        return []
    return [tuple(c for c in WATERFALL if c in columns)]
