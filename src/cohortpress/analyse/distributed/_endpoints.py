"""Each endpoint's survival analysis from the summed counts, and its Cox models on the cluster.

Kaplan–Meier curves, numbers at risk, landmarks and log-rank tests come from the events and
censorings per (group, time) of ``Summary``; the Cox models of every endpoint are fitted
together by ``PartitionedCox`` (one map-reduce per Newton–Raphson iteration for all the models
in flight) on the persisted frame, whose covariate columns are coded on the workers by the
``Coding`` of each covariate — the in-memory path's coding, described by study.yml alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from cohortpress.analyse._empty_factor import check_curves_by
from cohortpress.analyse._km import OVERALL, km_estimate_from_counts
from cohortpress.analyse._survival import (
    Coding,
    _multivariate_choice,
    covariate_coding,
    endpoint_from_parts,
    grouped_survival,
    risk_times,
)
from cohortpress.analyse.distributed._cox import CoxModel, PartitionedCox
from cohortpress.analyse.distributed._survival import (
    CENSORED,
    EVENTS,
    GROUP,
    TIME,
    SurvivalCounts,
    _levels,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    import dask.dataframe as dd

    from cohortpress.analyse._cox import CoxCovariate
    from cohortpress.analyse._results import CoxResult
    from cohortpress.analyse._study import EndpointResult, GroupedSurvival
    from cohortpress.analyse.distributed._summary import Summary
    from cohortpress.config import Endpoint, StudyConfig


@dataclass(frozen=True)
class Factor:
    """A covariate of a model or a curve: what the estimators read, and how it is coded."""

    spec: CoxCovariate
    coding: Coding


def cox_factors(config: StudyConfig) -> list[Factor]:
    """The Cox covariates of study.yml, in order (columns ``_cov_<name>``)."""
    return [Factor(*covariate_coding(cov, config)) for cov in config.cox.covariates]


def curve_factors(endpoint: Endpoint, config: StudyConfig) -> list[Factor]:
    """The factors the endpoint's curves are drawn by: its ``by`` variables (columns
    ``_by_<name>``: a Cox covariate of the same name may pool its levels differently), else
    the markers among the Cox covariates."""
    if endpoint.by is None:
        return [f for f in cox_factors(config) if f.spec.name in config.markers]
    out = []
    for name in endpoint.by:
        spec, coding = covariate_coding(config.curves_factor(name), config)
        out.append(Factor(replace(spec, column=f"_by_{name}"), coding))
    return out


def codings(config: StudyConfig) -> dict[str, Coding]:
    """Every coded column the endpoints read, by column name."""
    factors = cox_factors(config) + [f for e in config.endpoints for f in curve_factors(e, config)]
    return {f.spec.column: f.coding for f in factors}


def survival_keys(config: StudyConfig) -> list[tuple[str, str, str | None]]:
    """The (time, event, group) whose counts the endpoints and the follow-up read."""
    keys: list[tuple[str, str, str | None]] = [("os_time", "os_event", None)]
    for e in config.endpoints:
        time, event = f"{e.kind}_time", f"{e.kind}_event"
        keys += [(time, event, None)] + [
            (time, event, f.spec.column) for f in curve_factors(e, config)
        ]
    return list(dict.fromkeys(keys))


def endpoint_results(
    summary: Summary, frame: dd.DataFrame, config: StudyConfig, time_unit: str
) -> tuple[EndpointResult, ...]:
    """As the in-memory ``endpoint_result`` of every endpoint: the curves from counts, the
    models on the cluster, all fitted together in two calls (``PartitionedCox.fit``: a round
    of tasks per step for every model in flight) — first the univariate and ``by`` models of
    every endpoint, then the multivariable models, which the univariate ones choose."""
    stats = config.statistics
    ties, level = stats.ties_in_force, stats.conf_level
    endpoints = config.endpoints
    specs = [f.spec for f in cox_factors(config)]
    singles = [[*specs, *_by_specs(e, config)] for e in endpoints]
    cox = PartitionedCox(frame)
    try:
        one_each = [
            CoxModel(f"{e.kind}_time", f"{e.kind}_event", (spec,), ties, level)
            for e, covariates in zip(endpoints, singles, strict=True)
            for spec in covariates
        ]
        fitted = iter(cox.fit(one_each))
        models = [[next(fitted) for _ in covariates] for covariates in singles]
        univariate = [tuple(m[: len(specs)]) for m in models]
        chosen = [tuple(_multivariate_choice(specs, uni, config)[0]) for uni in univariate]
        together = {
            (e.kind, covariates): CoxModel(
                f"{e.kind}_time", f"{e.kind}_event", covariates, ties, level
            )
            for e, covariates in zip(endpoints, chosen, strict=True)
            if covariates
        }
        multivariable = dict(zip(together, cox.fit(list(together.values())), strict=True))
    finally:
        cox.release()
    return tuple(
        _endpoint(summary, e, config, time_unit, specs, m, multivariable)
        for e, m in zip(endpoints, models, strict=True)
    )


def _by_specs(endpoint: Endpoint, config: StudyConfig) -> list[CoxCovariate]:
    return [] if endpoint.by is None else [f.spec for f in curve_factors(endpoint, config)]


def _endpoint(
    summary: Summary,
    endpoint: Endpoint,
    config: StudyConfig,
    time_unit: str,
    specs: list[CoxCovariate],
    models: list[CoxResult],
    multivariable: dict[tuple[str, tuple[CoxCovariate, ...]], CoxResult],
) -> EndpointResult:
    """One endpoint's result from its counts and its fitted models: the univariate ones of
    ``specs``, then those of its ``by`` factors."""
    stats = config.statistics
    transform, level = stats.ci_transform_in_force, stats.conf_level
    time, event = f"{endpoint.kind}_time", f"{endpoint.kind}_event"
    overall = SurvivalCounts(summary.survival[(time, event, None)], ()).km_estimate(
        label=OVERALL, ci_transform=transform, conf_level=level
    )
    ticks = risk_times(summary.maxima[time], time_unit)
    univariate = tuple(models[: len(specs)])
    if endpoint.by is None:
        fits = dict(zip((s.name for s in specs), univariate, strict=True))
    else:
        by = _by_specs(endpoint, config)
        fits = dict(zip((s.name for s in by), models[len(specs) :], strict=True))
    grouped = tuple(
        _grouped(summary, time, event, f.spec, fits[f.spec.name], ticks, config, endpoint.landmarks)
        for f in curve_factors(endpoint, config)
    )
    check_curves_by(grouped, endpoint, config)

    def fitted(chosen: Sequence[CoxCovariate]) -> CoxResult:
        return multivariable[(endpoint.kind, tuple(chosen))]

    return endpoint_from_parts(endpoint, overall, ticks, grouped, specs, univariate, config, fitted)


def _grouped(
    summary: Summary,
    time: str,
    event: str,
    spec: CoxCovariate,
    cox: CoxResult,
    ticks: tuple[float, ...],
    config: StudyConfig,
    times: tuple[float, ...],
) -> GroupedSurvival:
    """One factor's curves from the counts per (level, time); the log-rank test from the same
    counts, its groups ordered as the in-memory test orders them (sorted)."""
    stats = config.statistics
    counts = summary.survival[(time, event, spec.column)]
    counts = counts[counts[GROUP].notna()]
    rows = {lvl: counts[(counts[GROUP] == lvl).to_numpy(dtype=bool)] for lvl in spec.levels or ()}
    levels = tuple(lvl for lvl, part in rows.items() if len(part))
    estimates = tuple(
        km_estimate_from_counts(
            rows[lvl][TIME],
            rows[lvl][EVENTS],
            rows[lvl][CENSORED],
            label=str(lvl),
            ci_transform=stats.ci_transform_in_force,
            conf_level=stats.conf_level,
        )
        for lvl in levels
    )
    logrank = None
    if len(estimates) > 1:
        logrank = SurvivalCounts(counts.reset_index(drop=True), _levels(counts[GROUP])).logrank()
    return grouped_survival(spec, levels, estimates, logrank, cox, ticks, times)


def endpoint_columns(config: StudyConfig) -> list[str]:
    """The time and event columns of every endpoint and of the follow-up."""
    kinds = ["os", *(e.kind for e in config.endpoints)]
    return [c for kind in dict.fromkeys(kinds) for c in (f"{kind}_time", f"{kind}_event")]
