"""Descriptive summaries: Table I, markers, response, treatment and adverse events."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohortpress.analyse._compare import compare_groups
from cohortpress.analyse._proportions import proportion_ci
from cohortpress.analyse._study import (
    MISSING_RESPONSE,
    AdverseEventRow,
    AdverseEventSummary,
    Characteristic,
    Distribution,
    GroupComparison,
    LevelCount,
    MarkerSummary,
    ResponseRate,
    ResponseSummary,
    TreatmentSummary,
    WaterfallData,
)
from cohortpress.errors import StudyConfigError
from cohortpress.response_criteria import RATE_ABBREVIATIONS
from cohortpress.vocabulary import END_REASON_LABELS, SEXES

if TYPE_CHECKING:
    from cohortpress.analyse._results import ProportionEstimate
    from cohortpress.config import Response, StudyConfig, Table1Row
    from cohortpress.derive import Cohort

CONTINUOUS_SUMMARIES = ("median_range", "median_iqr", "mean_sd")
BUILTIN_VARIABLES = {
    "age": ("Age", "continuous", "years", None),
    "sex": ("Sex", "categorical", None, SEXES),
    "best_change_pct": ("Maximal change of target lesions", "continuous", "%", None),
}


def distribution(values: pd.Series) -> Distribution:
    """Median (R's type-7 quantiles, as summary() and EZR) with quartiles, range, mean, SD."""
    x = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype="float64")
    if x.size == 0:
        return Distribution(0, len(values), None, None, None, None, None)
    q1, median, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    return Distribution(
        int(x.size),
        int(len(values) - x.size),
        float(median),
        float(q1),
        float(q3),
        float(x.min()),
        float(x.max()),
        float(x.mean()),
        float(x.std(ddof=1)) if x.size > 1 else None,
    )


def variable_info(name: str, config: StudyConfig) -> tuple[str, str, str | None, tuple[str, ...]]:
    """(label, type, unit, levels) of a canonical field, study variable or marker."""
    if name in config.variables:
        v = config.variables[name]
        return v.label, v.type, v.unit, v.levels or ()
    if name in config.markers:
        m = config.markers[name]
        return m.label, "continuous", m.unit, ()
    label, kind, unit, levels = BUILTIN_VARIABLES.get(name, (name, "continuous", None, None))
    return label, kind, unit, levels or ()


def characteristics(cohort: Cohort, config: StudyConfig) -> tuple[Characteristic, ...]:
    return tuple(_characteristic(cohort.patients, row, config) for row in config.table1)


def _characteristic(
    data: pd.DataFrame, row: Table1Row, config: StudyConfig, cohort: pd.DataFrame | None = None
) -> Characteristic:
    """One row of Table I for ``data``; the levels listed are decided on ``cohort`` (default:
    ``data``), so every group of a comparison lists the same levels."""
    label, kind, unit, levels = variable_info(row.variable, config)
    label = row.label or label
    values = data[row.variable]
    missing = int(values.isna().sum())
    abbreviation = (
        config.variables[row.variable].abbreviation if row.variable in config.variables else None
    )
    common = {
        "variable": row.variable,
        "label": label,
        "group": row.group,
        "missing": missing,
        "abbreviation": abbreviation,
    }
    continuous = kind in ("continuous", "count")
    if row.summary == "n_percent" and continuous and row.cut is None:
        raise StudyConfigError(
            f"study.yml: table1: {row.variable}: summary n_percent needs a `cut` for a "
            "continuous variable"
        )
    if row.summary in CONTINUOUS_SUMMARIES and (not continuous or row.cut is not None):
        raise StudyConfigError(
            f"study.yml: table1: {row.variable}: summary {row.summary} is for a continuous "
            "variable without `cut` (use n_percent)"
        )
    if continuous and row.cut is None:
        summary = "median_range" if row.summary == "auto" else row.summary
        return Characteristic(
            kind="continuous",
            unit=unit,
            distribution=distribution(values),
            summary=summary,
            **common,
        )
    if row.cut is not None:
        below, above = row.cut_labels or (f"<{row.cut:g}", f"≥{row.cut:g}")
        values = pd.Series(np.where(values < row.cut, below, above), index=values.index).where(
            values.notna()
        )
        levels = (below, above)
    shown = row.levels_shown or (levels[:1] if kind == "binary" else levels)
    if row.levels_shown:  # listed even when empty; a level that has patients is never hidden
        everyone = values if cohort is None else _grouped_values(cohort, row, config)
        extra = {lvl for lvl in levels if lvl not in shown and (everyone == lvl).any()}
        shown = tuple(lvl for lvl in levels if lvl in shown or lvl in extra) + tuple(
            lvl for lvl in shown if lvl not in levels
        )
    n = len(values)
    counts = tuple(LevelCount(level, level, int((values == level).sum()), n) for level in shown)
    return Characteristic(kind="counts", levels=counts, **common)


def markers(cohort: Cohort, config: StudyConfig) -> tuple[MarkerSummary, ...]:
    out = []
    for name, marker in config.markers.items():
        groups = cohort.patients[f"{name}_group"]
        out.append(
            MarkerSummary(
                name=name,
                label=marker.label,
                unit=marker.unit,
                cutoff=marker.cutoff,
                decimals=marker.decimals,
                distribution=distribution(cohort.patients[name]),
                high=int((groups == marker.high_label).sum()),
                low=int((groups == marker.low_label).sum()),
                high_label=marker.high_label,
                low_label=marker.low_label,
            )
        )
    return tuple(out)


def response(cohort: Cohort, config: StudyConfig) -> ResponseSummary | None:
    """Best response counts by the criteria's categories, and ORR, DCR and CBR with exact CIs.

    Every analysed patient is in the denominator: a blank best response is a row of its own
    (never dropped), like NE. The CBR counts SD lasting ``sd_min_duration``, read from the
    progression-free time; with a minimum of 0 any SD counts and the CBR is the DCR.
    """
    settings = config.response
    if settings is None:
        return None
    data = cohort.patients
    if "best_response" not in data.columns:
        if "response" not in config.model_fields_set:
            return None  # the default analysis, and a workbook without responses: left out
        raise StudyConfigError(
            f"study.yml: response: the patients sheet has no column "
            f"'{config.header('best_response')}' (best response); add it, or set "
            "`response: null` to leave the response analysis out"
        )
    scheme = settings.scheme
    n = len(data)
    best = data["best_response"]
    counts = [
        LevelCount(c.code, c.label, int((best == c.code).sum()), n) for c in scheme.categories
    ]
    missing = int(best.isna().sum())
    if missing:
        counts.append(
            LevelCount(MISSING_RESPONSE, "Not assessed (no best response recorded)", missing, n)
        )
    if sum(c.count for c in counts) != n:  # validation admits only the categories
        raise AssertionError("best responses outside the criteria's categories reached analysis")
    stable = best.isin(scheme.codes_counting_as("stable"))
    if settings.any_sd_duration:
        lasting = pd.Series(True, index=data.index)
    else:
        if "pfs_days" not in data.columns:
            raise StudyConfigError(
                "study.yml: response: the clinical benefit rate needs how long stable disease "
                "lasted, read from the progression-free time, and this study has neither "
                "treatment dates nor a pfs endpoint; add a pfs endpoint (`time` and `status` "
                "columns), set `sd_min_duration` to 0, or set `response: null`"
            )
        threshold = settings.sd_min_duration.days()
        pf_days = data["pfs_days"]
        lasting = pf_days > threshold if settings.sd_strict else pf_days >= threshold
    responders = best.isin(scheme.codes_counting_as("response"))
    counted = {
        "orr": responders,
        "dcr": responders | stable,
        "cbr": responders | (stable & lasting),
    }
    codes = {
        "orr": scheme.codes_counting_as("response"),
        "dcr": scheme.codes_counting_as("response", "stable"),
        "cbr": scheme.codes_counting_as("response", "stable"),
    }
    conf = config.statistics.conf_level
    rates = tuple(
        ResponseRate(
            rate=name,
            abbreviation=RATE_ABBREVIATIONS[name],
            name=scheme.rate_name(name),  # type: ignore[arg-type]
            codes=codes[name],
            estimate=_rate_estimate(
                int(counted[name].sum()), n, conf, codes[name], _sd_rule(name, settings)
            ),
            equals="dcr" if name == "cbr" and settings.any_sd_duration else None,
        )
        for name in ("orr", "dcr", "cbr")
    )
    return ResponseSummary(
        criteria=scheme.name,
        criteria_text=scheme.in_text,
        reference=scheme.reference,
        counts=tuple(counts),
        rates=rates,
        shown=tuple(settings.rates),
        sd_threshold_text=settings.sd_min_duration.text(),
        sd_strict=settings.sd_strict,
        sd_any=settings.any_sd_duration,
        sd_short=int((stable & ~lasting).sum()),
    )


def _sd_rule(rate: str, settings: Response) -> str:
    """How stable disease is counted in a rate, in words for its method."""
    if rate == "orr":
        return ""
    if rate == "dcr" or settings.any_sd_duration:
        return " (stable disease of any duration" + (
            ", so equal to the DCR)" if rate == "cbr" else ")"
        )
    comparison = "longer than" if settings.sd_strict else "at least"
    return f" (stable disease lasting {comparison} {settings.sd_min_duration.text()})"


def _rate_estimate(
    k: int, n: int, conf: float, codes: tuple[str, ...], sd_rule: str
) -> ProportionEstimate:
    """k of n with its Clopper–Pearson CI; the method names what was counted and the R call."""
    estimate = proportion_ci(k, n, conf_level=conf)
    counted = " + ".join(codes) + sd_rule
    level = f", conf.level = {conf:g}" if conf != 0.95 else ""
    method = (
        f"{counted} of all analysed patients; Clopper–Pearson (exact) CI as R "
        f"binom.test({k}, {n}{level})$conf.int"
    )
    return replace(estimate, method=method)


def treatment(cohort: Cohort, config: StudyConfig) -> TreatmentSummary | None:
    """Duration, reasons for stopping, ongoing treatment; None without treatment dates (the
    data report says so)."""
    if not cohort.dated:
        return None
    data = cohort.patients
    n = len(data)
    cutoff = pd.Timestamp(config.data_cutoff)
    stopped = data["treatment_end"].notna() & (data["treatment_end"] <= cutoff)
    reasons = data.loc[stopped, "end_reason"]
    present = [r for r in END_REASON_LABELS if (reasons == r).any()]
    counts = tuple(
        LevelCount(r, END_REASON_LABELS[r], int((reasons == r).sum()), n) for r in present
    )
    dose = None
    if config.dose_reduction:
        level = config.variables[config.dose_reduction].levels or ("Yes",)
        reduced = int((data[config.dose_reduction] == level[0]).sum())
        dose = proportion_ci(reduced, n, conf_level=config.statistics.conf_level)
    duration = distribution(data["treatment_days"].map(cohort.to_unit))
    return TreatmentSummary(duration, counts, int((~stopped).sum()), dose)


def adverse_events(cohort: Cohort, config: StudyConfig) -> AdverseEventSummary | None:
    settings = config.adverse_events
    if settings is None or cohort.adverse_events is None:
        return None
    n = len(cohort.patients)
    events = cohort.adverse_events
    worst = events.groupby(["term", "patient_id"])["grade"].max().reset_index()
    severe = worst[worst["grade"] >= settings.severe_grade]
    any_grade = worst.groupby("term")["patient_id"].nunique()
    any_severe = severe.groupby("term")["patient_id"].nunique()
    table = pd.DataFrame({"any": any_grade, "severe": any_severe}).fillna(0).astype(int)
    table = table[table["any"] >= settings.min_patients]
    table = table.reset_index(names="term").sort_values(
        ["any", "severe", "term"], ascending=[False, False, True]
    )
    rows = tuple(
        AdverseEventRow(str(term), int(n_any), int(n_severe))
        for term, n_any, n_severe in zip(table["term"], table["any"], table["severe"], strict=True)
    )
    return AdverseEventSummary(
        n=n,
        grading=settings.grading,
        severe_grade=settings.severe_grade,
        any_grade=int(events["patient_id"].nunique()),
        severe=int(severe["patient_id"].nunique()),
        rows=rows,
    )


def waterfall(cohort: Cohort, config: StudyConfig) -> WaterfallData | None:
    if config.response is None or not config.response.waterfall:
        return None
    data = cohort.patients.reindex(columns=["best_change_pct", "best_response"])
    measured = data.dropna(subset=["best_change_pct"]).sort_values(
        "best_change_pct", ascending=False
    )
    if measured.empty:
        raise StudyConfigError(
            "study.yml: response.waterfall: no analysed patient has a value in "
            f"'{config.header('best_change_pct')}' (maximal change of target lesions) to plot; "
            "record it, or set `waterfall: false`"
        )
    return WaterfallData(
        tuple(float(x) for x in measured["best_change_pct"]),
        tuple(str(x) for x in measured["best_response"].fillna("NE")),
        int(len(data) - len(measured)),
    )


def comparison(cohort: Cohort, config: StudyConfig) -> GroupComparison | None:
    """Characteristics by the groups of ``compare_by``: Wilcoxon rank-sum or Fisher's exact."""
    factor = config.compare_by
    if factor is None:
        return None
    data = cohort.patients
    if factor in config.markers:
        marker = config.markers[factor]
        column, levels = f"{factor}_group", (marker.high_label, marker.low_label)
        labels = tuple(f"{lvl} {factor}" for lvl in levels)
    else:
        column, levels = factor, variable_info(factor, config)[3]
        labels = levels
    members = {lvl: (data[column] == lvl).fillna(False).to_numpy(bool) for lvl in levels}
    present = tuple(lvl for lvl in levels if members[lvl].any())
    groups = {lvl: data[members[lvl]] for lvl in present}  # each group taken once, not per row
    rows = []
    for row in config.table1:
        per_level = tuple(_characteristic(groups[lvl], row, config, data) for lvl in present)
        values = _grouped_values(data, row, config)
        kind = "continuous" if per_level[0].distribution is not None else "categorical"
        rows.append((per_level, compare_groups(values, data[column], kind)))
    sizes = tuple(int(members[lvl].sum()) for lvl in present)
    shown = tuple(lab for lvl, lab in zip(levels, labels, strict=True) if lvl in present)
    label = variable_info(factor, config)[0]
    return GroupComparison(factor, label, shown, sizes, tuple(rows), len(data) - sum(sizes))


def _grouped_values(data: pd.DataFrame, row: Table1Row, config: StudyConfig) -> pd.Series:
    values = data[row.variable]
    if row.cut is None:
        return values
    below, above = row.cut_labels or (f"<{row.cut:g}", f"≥{row.cut:g}")
    return pd.Series(np.where(values < row.cut, below, above), index=values.index).where(
        values.notna()
    )
