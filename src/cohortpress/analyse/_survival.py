"""Survival analysis of each endpoint: Kaplan–Meier, log-rank by factor, Cox models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from cohortpress.analyse._cox import CoxCovariate, cox_fit
from cohortpress.analyse._cox_design import level_codes_frame
from cohortpress.analyse._empty_factor import check_curves_by
from cohortpress.analyse._km import OVERALL, km_estimate, risk_table, survival_at
from cohortpress.analyse._levels import mapped_levels
from cohortpress.analyse._logrank import logrank_test
from cohortpress.analyse._status import MultivariateStatus
from cohortpress.analyse._study import (
    EndpointResult,
    GroupedSurvival,
    Landmark,
    MultivariateSkipped,
)
from cohortpress.analyse._summaries import builtin_label, variable_info
from cohortpress.config import Covariate

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cohortpress.analyse._results import CoxResult, KMEstimate, LogRankResult
    from cohortpress.config import Endpoint, StudyConfig
    from cohortpress.derive import Cohort


def risk_times(max_time: float, time_unit: str) -> tuple[float, ...]:
    """Round tick positions for the time axis and the numbers at risk."""
    step = {"days": 500.0, "weeks": 26.0, "months": 6.0, "years": 1.0}[time_unit]
    while max_time / step > 8:
        step *= 2
    while max_time / step < 3 and step > 1:
        step /= 2
    return tuple(float(t) for t in np.arange(0, max_time + step / 2, step))


def covariate_column(data: pd.DataFrame, cov: Covariate, config: StudyConfig) -> CoxCovariate:
    """Add the coded column of one covariate to ``data`` and describe it for the Cox fit."""
    spec, coding = covariate_coding(cov, config)
    data[spec.column] = coding.apply(data)
    return spec


@dataclass(frozen=True)
class Coding:
    """How a covariate's column is made from one column of the patients: plain data, so it
    travels to the workers that code their partitions (``apply`` reads that column only)."""

    source: str
    how: Literal["copy", "groups", "cut", "float"]
    lookup: dict[str, str] = field(default_factory=dict)  # groups: level -> group
    cut: float = 0.0  # cut: values below it take the first label
    labels: tuple[str, str] = ("", "")  # cut: (below, above)

    def apply(self, data: pd.DataFrame) -> pd.Series:
        """The coded column, index aligned with ``data``."""
        values = data[self.source]
        if self.how == "groups":
            if isinstance(values.dtype, pd.CategoricalDtype):  # coded once (see _levels)
                return mapped_levels(values, self.lookup)
            return values.map(self.lookup)
        if self.how == "cut":
            below, above = self.labels
            return pd.Series(np.where(values < self.cut, below, above), index=data.index).where(
                values.notna()
            )
        if self.how == "float":
            return values.astype("float64")
        return values


def covariate_coding(cov: Covariate, config: StudyConfig) -> tuple[CoxCovariate, Coding]:
    """The Cox covariate of ``cov`` and how its column is coded: both from study.yml alone
    (levels, groups, cuts), never from the data, so a partitioned cohort codes the same way."""
    name = cov.variable
    column = f"_cov_{name}"
    label, _kind, unit, _levels = variable_info(name, config)
    label = cov.label or label or builtin_label(name)
    coded = config.factor_levels(cov)
    if coded is None:
        spec = CoxCovariate(name, column, "continuous", label, per=cov.per or 1.0, unit=unit)
        return spec, Coding(name, "float")
    levels, reference = coded
    spec = CoxCovariate(name, column, "categorical", label, levels=levels, reference=reference)
    if name in config.markers:
        return spec, Coding(f"{name}_group", "copy")
    if cov.groups:
        lookup = {lvl: grp for grp, lvls in cov.groups.items() for lvl in lvls}
        return spec, Coding(name, "groups", lookup=lookup)
    if cov.cut is not None:
        above, below = levels
        return spec, Coding(name, "cut", cut=cov.cut, labels=(below, above))
    return spec, Coding(name, "copy")


def endpoint_result(cohort: Cohort, endpoint: Endpoint, config: StudyConfig) -> EndpointResult:
    stats = config.statistics
    transform = stats.ci_transform_in_force
    ties = stats.ties_in_force
    time, event = f"{endpoint.kind}_time", f"{endpoint.kind}_event"
    # In time order (stable, so ties keep their order): each Cox fit sorts its rows by time,
    # and sorting rows that are already in order is nearly free. The fits see the same rows in
    # the same order as without this, so their results are identical to the last bit.
    # Only the columns the fits and curves read: sorting and subsetting the whole patients
    # frame would copy every column of a registry for each endpoint.
    data = cohort.patients.loc[:, _columns_read(endpoint, config)].sort_values(time, kind="stable")
    overall = km_estimate(
        data[time], data[event], label=OVERALL, ci_transform=transform,
        conf_level=stats.conf_level,
    )  # fmt: skip
    ticks = risk_times(float(data[time].max()), cohort.time_unit)
    specs = [covariate_column(data, cov, config) for cov in config.cox.covariates]
    coded = level_codes_frame(data, time, event, specs)  # the same designs, from integer codes
    univariate = tuple(
        cox_fit(coded, time, event, [spec], ties=ties, conf_level=stats.conf_level)
        for spec in specs
    )
    grouped = _by_groups(data, time, event, endpoint, specs, univariate, ticks, config)
    check_curves_by(grouped, endpoint, config)
    return endpoint_from_parts(
        endpoint, overall, ticks, grouped, specs, univariate, config,
        lambda chosen: cox_fit(coded, time, event, chosen, ties=ties, conf_level=stats.conf_level),
    )  # fmt: skip


def _columns_read(endpoint: Endpoint, config: StudyConfig) -> list[str]:
    """The endpoint's time and event, and the column each of its covariates and ``by``
    factors is coded from."""
    covariates = [*config.cox.covariates, *(Covariate(variable=v) for v in endpoint.by or ())]
    sources = [covariate_coding(cov, config)[1].source for cov in covariates]
    return list(dict.fromkeys([f"{endpoint.kind}_time", f"{endpoint.kind}_event", *sources]))


def endpoint_from_parts(
    endpoint: Endpoint,
    overall: KMEstimate,
    ticks: tuple[float, ...],
    grouped: tuple[GroupedSurvival, ...],
    specs: Sequence[CoxCovariate],
    univariate: tuple[CoxResult, ...],
    config: StudyConfig,
    fit: Callable[[list[CoxCovariate]], CoxResult],
) -> EndpointResult:
    """The endpoint's result from its curves and univariate fits, whichever engine made them:
    the multivariable model is chosen by the study's rule and fitted with ``fit``."""
    chosen, skipped = _multivariate_choice(list(specs), univariate, config)
    return EndpointResult(
        kind=endpoint.kind,
        label=endpoint.label,
        abbreviation=endpoint.abbreviation,
        recorded=endpoint.recorded,
        overall=overall,
        risk=risk_table([overall], ticks),
        by=grouped,
        univariate=univariate,
        multivariate=fit(chosen) if chosen else None,
        multivariate_covariates=tuple(s.name for s in chosen),
        multivariate_skipped=skipped,
        covariate_labels={s.name: s.label for s in specs},
        landmarks=landmarks(overall, endpoint.landmarks),
    )


def landmarks(estimate: KMEstimate, times: tuple[float, ...]) -> tuple[Landmark, ...]:
    """Survival at each declared time; beyond the last observed time it is not estimable."""
    last = float(estimate.table["time"].max()) if len(estimate.table) else 0.0
    table = survival_at(estimate, times)
    rows = zip(
        table["time"].astype(float).tolist(), table["n_risk"].astype(int).tolist(),
        table["surv"].astype(float).tolist(), table["lower"].astype(float).tolist(),
        table["upper"].astype(float).tolist(),
        strict=True,
    )  # fmt: skip
    return tuple(
        Landmark(time, n_risk, None, None, None)
        if time > last
        else Landmark(time, n_risk, _value(surv), _value(lower), _value(upper))
        for time, n_risk, surv, lower, upper in rows
    )


def _value(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def _by_groups(
    data: pd.DataFrame,
    time: str,
    event: str,
    endpoint: Endpoint,
    specs: list[CoxCovariate],
    univariate: tuple[CoxResult, ...],
    ticks: tuple[float, ...],
    config: StudyConfig,
) -> tuple[GroupedSurvival, ...]:
    """The curves "by" factor: the declared ``by`` variables, else the markers among the Cox
    covariates (whose univariate fits are reused)."""
    if endpoint.by is None:
        return tuple(
            _grouped(data, time, event, spec, uni, ticks, config, endpoint.landmarks)
            for spec, uni in zip(specs, univariate, strict=True)
            if spec.name in config.markers
        )
    stats = config.statistics
    # A copy: the Cox covariate of the same name may pool levels differently, and the
    # multivariable model still reads its column.
    frame = data.copy()
    grouped = []
    for name in endpoint.by:
        spec = covariate_column(frame, config.curves_factor(name), config)
        uni = cox_fit(
            frame, time, event, [spec], ties=stats.ties_in_force, conf_level=stats.conf_level
        )
        grouped.append(_grouped(frame, time, event, spec, uni, ticks, config, endpoint.landmarks))
    return tuple(grouped)


def _grouped(
    data: pd.DataFrame,
    time: str,
    event: str,
    spec: CoxCovariate,
    cox: CoxResult,
    ticks: tuple[float, ...],
    config: StudyConfig,
    times: tuple[float, ...] = (),
) -> GroupedSurvival:
    """The curves of one factor's levels, tested, with survival at the landmark ``times``."""
    stats = config.statistics
    # The patients with a level, as arrays: the curves and the test read values, not rows.
    present = data[spec.column].notna().to_numpy()
    group = data[spec.column][present]
    followed, ended = data[time].to_numpy()[present], data[event].to_numpy()[present]
    members = {lvl: (group == lvl).to_numpy(bool) for lvl in spec.levels or ()}
    levels = tuple(lvl for lvl, rows in members.items() if rows.any())
    estimates = tuple(
        km_estimate(
            followed[members[level]],
            ended[members[level]],
            label=str(level),  # the level's code: the presentation step names the curve
            ci_transform=stats.ci_transform_in_force,
            conf_level=stats.conf_level,
        )
        for level in levels
    )
    logrank = logrank_test(followed, ended, group) if len(estimates) > 1 else None
    return grouped_survival(spec, levels, estimates, logrank, cox, ticks, times)


def grouped_survival(
    spec: CoxCovariate,
    levels: tuple[str, ...],
    estimates: tuple[KMEstimate, ...],
    logrank: LogRankResult | None,
    cox: CoxResult | None,
    ticks: tuple[float, ...],
    times: tuple[float, ...],
) -> GroupedSurvival:
    """The curves of one factor with their numbers at risk and landmarks, however estimated."""
    risk = risk_table(estimates, ticks)
    marks = tuple(landmarks(km, times) for km in estimates)
    return GroupedSurvival(spec.name, spec.label, levels, estimates, risk, logrank, cox, marks)


def _multivariate_choice(
    specs: list[CoxCovariate], univariate: tuple[CoxResult, ...], config: StudyConfig
) -> tuple[list[CoxCovariate], MultivariateSkipped | None]:
    rule = config.cox.multivariate
    if rule.rule == "none":
        return [], MultivariateSkipped(MultivariateStatus.NOT_REQUESTED, rule.reason)
    if rule.rule == "fixed":
        return [s for s in specs if s.name in rule.covariates], None
    chosen = [
        spec
        for spec, uni in zip(specs, univariate, strict=True)
        if _model_p(uni) is not None and _model_p(uni) < rule.threshold  # type: ignore[operator]
    ]
    if len(chosen) < 2:
        return [], MultivariateSkipped(
            MultivariateStatus.TOO_FEW_SELECTED, threshold=rule.threshold
        )
    return chosen, None


def _model_p(result: CoxResult) -> float | None:
    """The p-value that decides entry: the factor's global test, else its single Wald p."""
    if result.factor_tests:
        return next(iter(result.factor_tests.values())).p
    ps = [t.p for t in result.terms if t.p is not None]
    return ps[0] if len(ps) == 1 else None


def endpoint_results(cohort: Cohort, config: StudyConfig) -> tuple[EndpointResult, ...]:
    return tuple(endpoint_result(cohort, e, config) for e in config.endpoints)
