"""Descriptive summaries: Table I, markers, response, treatment and adverse events."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from cohortpress.analyse._compare import compare_groups
from cohortpress.analyse._empty_factor import empty_factor_error
from cohortpress.analyse._proportions import proportion_ci
from cohortpress.analyse._study import (
    MISSING_RESPONSE,
    AdverseEventRow,
    AdverseEventSummary,
    Characteristic,
    CodeCount,
    Distribution,
    GroupComparison,
    LevelCount,
    MarkerSummary,
    ResponseRate,
    ResponseSummary,
    TreatmentSummary,
    WaterfallData,
)
from cohortpress.config import DAYS_PER_UNIT, NUMBER_TYPES
from cohortpress.errors import StudyConfigError
from cohortpress.response_criteria import RATE_ABBREVIATIONS
from cohortpress.vocabulary import BUILTIN_VARIABLES, END_REASONS, VARIABLE_LABELS

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Collection

    from cohortpress.analyse._results import ProportionEstimate
    from cohortpress.config import Response, StudyConfig, Table1Row
    from cohortpress.derive import Cohort


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


def variable_info(
    name: str, config: StudyConfig
) -> tuple[str | None, str, str | None, tuple[str, ...]]:
    """(label, type, unit, levels) of a canonical field, study variable or marker: the label
    study.yml gives, None for a built-in field (``present.labels.variable_label`` names it)."""
    kind, levels = config.variable_type(name)
    if name in config.variables:
        v = config.variables[name]
        return v.label, kind, v.unit, levels
    if name in config.markers:
        m = config.markers[name]
        return m.label, kind, m.unit, levels
    return None, kind, BUILTIN_VARIABLES.get(name, (None, None, None))[1], levels


def builtin_label(name: str) -> str:
    """A built-in field's label, for a Cox covariate study.yml does not label: the covariates'
    labels are still resolved here (see docs/presentation.md)."""
    return VARIABLE_LABELS.get(name, name)


def characteristics(cohort: Cohort, config: StudyConfig) -> tuple[Characteristic, ...]:
    return tuple(_characteristic(cohort.patients, row, config) for row in config.table1)


class LevelValues(Protocol):
    """One variable's values in some patients, as Table I reads them: a column in memory, or
    value counts summed over the partitions of an extract (``_value_counts.CountedValues``)."""

    def __len__(self) -> int: ...

    def missing(self) -> int: ...

    def distribution(self) -> Distribution: ...

    def cut(self, cut: float, below: str, above: str) -> LevelValues: ...

    def count(self, level: object) -> int: ...


@dataclass(frozen=True)
class ColumnValues:
    """A column of the patients in memory."""

    values: pd.Series

    def __len__(self) -> int:
        return len(self.values)

    def missing(self) -> int:
        return int(self.values.isna().sum())

    def distribution(self) -> Distribution:
        return distribution(self.values)

    def cut(self, cut: float, below: str, above: str) -> ColumnValues:
        values = self.values
        labels = pd.Series(np.where(values < cut, below, above), index=values.index)
        return ColumnValues(labels.where(values.notna()))

    def count(self, level: object) -> int:
        return int((self.values == level).sum())


def _characteristic(
    data: pd.DataFrame, row: Table1Row, config: StudyConfig, cohort: pd.DataFrame | None = None
) -> Characteristic:
    """One row of Table I for ``data``; the levels listed are decided on ``cohort`` (default:
    ``data``), so every group of a comparison lists the same levels."""
    everyone = None if cohort is None else ColumnValues(cohort[row.variable])
    return characteristic_of(ColumnValues(data[row.variable]), row, config, everyone)


def characteristic_of(
    values: LevelValues, row: Table1Row, config: StudyConfig, everyone: LevelValues | None = None
) -> Characteristic:
    """One row of Table I from the variable's ``values``; the levels listed are decided on
    ``everyone`` (default: ``values``), so every group of a comparison lists the same levels."""
    label, kind, unit, levels = variable_info(row.variable, config)
    label = row.label or label
    missing = values.missing()
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
    continuous = kind in NUMBER_TYPES  # the summary fits the variable: see StudyConfig
    if continuous and row.cut is None:
        summary = "median_range" if row.summary == "auto" else row.summary
        return Characteristic(
            kind="continuous",
            unit=unit,
            distribution=values.distribution(),
            summary=summary,
            **common,
        )
    if row.cut is not None:
        below, above = row.cut_labels or (f"<{row.cut:g}", f"≥{row.cut:g}")
        values = values.cut(row.cut, below, above)
        everyone = None if everyone is None else everyone.cut(row.cut, below, above)
        levels = (below, above)
    shown = row.levels_shown or (levels[:1] if kind == "binary" else levels)
    if row.levels_shown:  # listed even when empty; a level that has patients is never hidden
        pool = values if everyone is None else everyone
        extra = {lvl for lvl in levels if lvl not in shown and pool.count(lvl) > 0}
        shown = tuple(lvl for lvl in levels if lvl in shown or lvl in extra) + tuple(
            lvl for lvl in shown if lvl not in levels
        )
    n = len(values)
    counts = tuple(LevelCount(level, level, values.count(level), n) for level in shown)
    return Characteristic(kind="counts", levels=counts, **common)


def markers(cohort: Cohort, config: StudyConfig) -> tuple[MarkerSummary, ...]:
    return markers_of(config, lambda column: ColumnValues(cohort.patients[column]))


def markers_of(
    config: StudyConfig, column: Callable[[str], LevelValues]
) -> tuple[MarkerSummary, ...]:
    """Each marker's distribution and the patients above and below its cutoff, from the
    values of the marker's columns (``column(name)``)."""
    out = []
    for name, marker in config.markers.items():
        groups = column(f"{name}_group")
        out.append(
            MarkerSummary(
                name=name,
                label=marker.label,
                unit=marker.unit,
                cutoff=marker.cutoff,
                distribution=column(name).distribution(),
                high=groups.count(marker.high_label),
                low=groups.count(marker.low_label),
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
    settings = response_settings(config, cohort.patients.columns)
    if settings is None:
        return None
    counts = response_counts(cohort.patients, settings)
    return response_summary(counts, len(cohort.patients), config)


def response_settings(config: StudyConfig, columns: Collection[str]) -> Response | None:
    """The response settings, when the patients (with ``columns``) can be analysed by them;
    None when the study leaves the response analysis out."""
    settings = config.response
    if settings is None:
        return None
    if "best_response" not in columns:
        if "response" not in config.model_fields_set:
            return None  # the default analysis, and a workbook without responses: left out
        raise StudyConfigError(
            f"study.yml: response: the patients sheet has no column "
            f"'{config.header('best_response')}' (best response); add it, or set "
            "`response: null` to leave the response analysis out"
        )
    if not settings.any_sd_duration and "pfs_days" not in columns:
        raise StudyConfigError(
            "study.yml: response: the clinical benefit rate needs how long stable disease "
            "lasted, read from the progression-free time, and this study has neither "
            "treatment dates nor a pfs endpoint; add a pfs endpoint (`time` and `status` "
            "columns), set `sd_min_duration` to 0, or set `response: null`"
        )
    return settings


def response_counts(data: pd.DataFrame, settings: Response) -> pd.DataFrame:
    """Patients by best response (blank kept) and whether a stable disease would have lasted
    long enough for the CBR: columns ``best_response``, ``lasting`` and ``count``. Counts of
    parts of the patients add up to those of the whole."""
    if settings.any_sd_duration:
        lasting = pd.Series(True, index=data.index)
    else:
        threshold = settings.sd_min_duration.days()
        pf_days = data["pfs_days"]
        lasting = pf_days > threshold if settings.sd_strict else pf_days >= threshold
    pairs = pd.DataFrame({"best_response": data["best_response"], "lasting": lasting.astype(bool)})
    counts = pairs.groupby(["best_response", "lasting"], dropna=False, observed=True).size()
    return counts.rename("count").reset_index()


def response_summary(counts: pd.DataFrame, n: int, config: StudyConfig) -> ResponseSummary:
    """The response table and rates from ``response_counts`` of all ``n`` analysed patients."""
    settings = config.response
    if settings is None:
        raise ValueError("the study has no response settings")
    scheme = settings.scheme
    best = [None if pd.isna(v) else v for v in counts["best_response"]]
    lasting = [bool(v) for v in counts["lasting"]]
    k = [int(v) for v in counts["count"]]

    def patients(codes: Collection[str], *, stable_lasting: bool | None = None) -> int:
        return sum(
            c
            for b, last, c in zip(best, lasting, k, strict=True)
            if b in codes and (stable_lasting is None or last == stable_lasting)
        )

    levels = [CodeCount(c.code, patients((c.code,)), n) for c in scheme.categories]
    missing = sum(c for b, c in zip(best, k, strict=True) if b is None)
    if missing:
        levels.append(CodeCount(MISSING_RESPONSE, missing, n))
    if sum(c.count for c in levels) != n:  # validation admits only the categories
        raise AssertionError("best responses outside the criteria's categories reached analysis")
    response_codes = scheme.codes_counting_as("response")
    stable_codes = scheme.codes_counting_as("stable")
    responders = patients(response_codes)
    counted = {
        "orr": responders,
        "dcr": responders + patients(stable_codes),
        "cbr": responders + patients(stable_codes, stable_lasting=True),
    }
    codes = {
        "orr": response_codes,
        "dcr": scheme.codes_counting_as("response", "stable"),
        "cbr": scheme.codes_counting_as("response", "stable"),
    }
    conf = config.statistics.conf_level
    rates = tuple(
        ResponseRate(
            rate=name,
            abbreviation=RATE_ABBREVIATIONS[name],
            codes=codes[name],
            estimate=_rate_estimate(counted[name], n, conf, codes[name], _sd_rule(name, settings)),
            equals="dcr" if name == "cbr" and settings.any_sd_duration else None,
        )
        for name in ("orr", "dcr", "cbr")
    )
    return ResponseSummary(
        criteria=scheme.name,
        reference=scheme.reference,
        counts=tuple(levels),
        rates=rates,
        shown=tuple(settings.rates),
        sd_min_value=settings.sd_min_duration.value,
        sd_min_unit=settings.sd_min_duration.unit,
        sd_strict=settings.sd_strict,
        sd_any=settings.any_sd_duration,
        sd_short=patients(stable_codes, stable_lasting=False),
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
    counts = treatment_counts(data, config.data_cutoff)
    dose = None
    if config.dose_reduction:
        dose = ColumnValues(data[config.dose_reduction])
    # Cohort.to_unit on the column at once: the same division, not a Python call a patient.
    duration = distribution(data["treatment_days"] / DAYS_PER_UNIT[cohort.time_unit])
    return treatment_summary(duration, counts, dose, len(data), config)


def treatment_counts(data: pd.DataFrame, data_cutoff: dt.date) -> pd.DataFrame:
    """Patients by whether they had stopped by the data cutoff and the reason recorded:
    columns ``stopped``, ``end_reason`` and ``count`` (parts of the patients add up)."""
    cutoff = pd.Timestamp(data_cutoff)
    stopped = data["treatment_end"].notna() & (data["treatment_end"] <= cutoff)
    pairs = pd.DataFrame({"stopped": stopped.astype(bool), "end_reason": data["end_reason"]})
    counts = pairs.groupby(["stopped", "end_reason"], dropna=False, observed=True).size()
    return counts.rename("count").reset_index()


def treatment_summary(
    duration: Distribution,
    counts: pd.DataFrame,
    dose_reduction: LevelValues | None,
    n: int,
    config: StudyConfig,
) -> TreatmentSummary:
    """The treatment summary from ``treatment_counts`` of all ``n`` analysed patients and the
    values of the dose-reduction variable (when the study names one)."""
    stopped = counts["stopped"].astype(bool).to_numpy()
    reasons = [None if pd.isna(r) else r for r in counts["end_reason"]]
    k = counts["count"].to_numpy(dtype=np.int64)
    by_reason = {
        r: int(sum(c for s, rr, c in zip(stopped, reasons, k, strict=True) if s and rr == r))
        for r in END_REASONS
    }
    levels = tuple(CodeCount(r, by_reason[r], n) for r in END_REASONS if by_reason[r])
    dose = None
    if config.dose_reduction and dose_reduction is not None:
        level = config.variables[config.dose_reduction].levels or ("Yes",)
        reduced = dose_reduction.count(level[0])
        dose = proportion_ci(reduced, n, conf_level=config.statistics.conf_level)
    ongoing = int(k[~stopped].sum())
    return TreatmentSummary(duration, levels, ongoing, dose)


def adverse_events(cohort: Cohort, config: StudyConfig) -> AdverseEventSummary | None:
    settings = config.adverse_events
    if settings is None or cohort.adverse_events is None:
        return None
    events = cohort.adverse_events
    # Terms and patients as integer codes, each text hashed once (a registry has millions of
    # event rows); a missing term or patient is left out, as groupby leaves out missing keys.
    term, terms = pd.factorize(events["term"])
    patient, patients = pd.factorize(events["patient_id"])
    # Each (term, patient) pair as one integer: a patient counts once for a term, and for its
    # severe column when any of the pair's events (its worst grade) reaches the severe grade.
    known = (term >= 0) & (patient >= 0)
    pair = term[known].astype(np.int64) * max(len(patients), 1) + patient[known]
    grade = events["grade"].to_numpy(dtype=np.float64, na_value=np.nan)[known]
    severe_pairs = pd.unique(pair[grade >= settings.severe_grade])
    patients_with = np.bincount(pd.unique(pair) // max(len(patients), 1), minlength=len(terms))
    severe_with = np.bincount(severe_pairs // max(len(patients), 1), minlength=len(terms))
    listed = np.flatnonzero(patients_with)
    table = pd.DataFrame(
        {"any": patients_with[listed], "severe": severe_with[listed]},
        index=pd.Index(np.asarray(terms, dtype=object)[listed]),
    ).astype(int)
    return adverse_event_summary(
        table,
        len(cohort.patients),
        len(patients),
        len(pd.unique(severe_pairs % max(len(patients), 1))),
        config,
    )


def adverse_event_summary(
    table: pd.DataFrame, n: int, any_grade: int, severe: int, config: StudyConfig
) -> AdverseEventSummary:
    """The adverse-event table from the patients with each term (``table``: index term,
    columns ``any`` and ``severe``), and the patients with any and any severe event."""
    settings = config.adverse_events
    if settings is None:
        raise ValueError("the study has no adverse-event settings")
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
        any_grade=any_grade,
        severe=severe,
        rows=rows,
    )


def waterfall(cohort: Cohort, config: StudyConfig) -> WaterfallData | None:
    if config.response is None or not config.response.waterfall:
        return None
    data = cohort.patients.reindex(columns=["best_change_pct", "best_response"])
    measured = data.dropna(subset=["best_change_pct"])
    return waterfall_of(measured, len(data) - len(measured), config)


def waterfall_of(measured: pd.DataFrame, not_measured: int, config: StudyConfig) -> WaterfallData:
    """The bars from the patients with a change (columns ``best_change_pct`` and
    ``best_response``), largest first; equal changes by response, so the order depends on the
    patients alone, not on the order of their rows."""
    if measured.empty:
        raise StudyConfigError(
            "study.yml: response.waterfall: no analysed patient has a value in "
            f"'{config.header('best_change_pct')}' (maximal change of target lesions) to plot; "
            "record it, or set `waterfall: false`"
        )
    bars = pd.DataFrame({
        "change": measured["best_change_pct"].astype("float64").to_numpy(),
        "response": [str(x) for x in measured["best_response"].astype(object).fillna("NE")],
    })  # fmt: skip
    bars = bars.sort_values(["change", "response"], ascending=[False, True], kind="stable")
    return WaterfallData(
        tuple(float(x) for x in bars["change"]),
        tuple(bars["response"]),
        not_measured,
    )


def comparison(cohort: Cohort, config: StudyConfig) -> GroupComparison | None:
    """Characteristics by the groups of ``compare_by``: Wilcoxon rank-sum or Fisher's exact."""
    factor = config.compare_by
    if factor is None:
        return None
    data = cohort.patients
    column, levels = comparison_groups(factor, config)
    members = {lvl: (data[column] == lvl).fillna(False).to_numpy(bool) for lvl in levels}
    present = tuple(lvl for lvl in levels if members[lvl].any())
    if not present:
        raise empty_factor_error(factor, config, "compare_by", "remove `compare_by`")
    # Each group taken once, not per row, with only the columns Table I reads.
    read = list(dict.fromkeys(row.variable for row in config.table1))
    groups = {lvl: data.loc[members[lvl], read] for lvl in present}
    rows = []
    for row in config.table1:
        per_level = tuple(_characteristic(groups[lvl], row, config, data) for lvl in present)
        values = _grouped_values(data, row, config)
        kind = "continuous" if per_level[0].distribution is not None else "categorical"
        rows.append((per_level, compare_groups(values, data[column], kind)))
    sizes = tuple(int(members[lvl].sum()) for lvl in present)
    label = variable_info(factor, config)[0]
    return GroupComparison(factor, label, present, sizes, tuple(rows), len(data) - sum(sizes))


def comparison_groups(factor: str, config: StudyConfig) -> tuple[str, tuple[str, ...]]:
    """The column that holds the groups of ``compare_by`` and its levels (a marker's: its
    high and low labels); the groups' names are the presentation's."""
    if factor in config.markers:
        marker = config.markers[factor]
        return f"{factor}_group", (marker.high_label, marker.low_label)
    levels = variable_info(factor, config)[3]
    return factor, levels


def _grouped_values(data: pd.DataFrame, row: Table1Row, config: StudyConfig) -> pd.Series:
    values = data[row.variable]
    if row.cut is None:
        return values
    below, above = row.cut_labels or (f"<{row.cut:g}", f"≥{row.cut:g}")
    return pd.Series(np.where(values < row.cut, below, above), index=values.index).where(
        values.notna()
    )
