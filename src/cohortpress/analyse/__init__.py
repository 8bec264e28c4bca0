"""Analyse: plain numbers from the derived cohort. No formatting happens here.

The estimators (and SciPy) are imported when :func:`analyse` runs, not with the package: a
cached run unpickles :class:`StudyResults` without them.
"""

from __future__ import annotations

import platform
from dataclasses import replace
from importlib import metadata
from typing import TYPE_CHECKING, Generic, TypeVar

from cohortpress.analyse._conventions import Conventions
from cohortpress.analyse._study import FigureData, StudyResults

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    from cohortpress.analyse._study import GroupComparison
    from cohortpress.config import StudyConfig
    from cohortpress.derive import Cohort

__all__ = ["Conventions", "FigureData", "StudyResults", "analyse"]

T = TypeVar("T")

FORK_FROM = 50_000  # patients: forking costs some 40 ms, the comparison about 1 µs a patient
_SOFTWARE = ("cohortpress", "scipy", "pandas", "numpy", "great-tables", "matplotlib")


def analyse(
    cohort: Cohort,
    config: StudyConfig,
    *,
    meanwhile: Callable[[], object] | None = None,
    figure_data: Callable[[FigureData], object] | None = None,
) -> StudyResults:
    """Compute every number the manuscript shows, once.

    The survival endpoints and the waterfall are computed first and given to
    ``figure_data``, so that a run draws its figures while the rest is computed; an error of
    theirs is raised where it always was, after the errors of the parts computed before them.

    In a process that ends with its run (``cohortpress report``), the comparison by
    ``compare_by`` groups of a registry (:data:`FORK_FROM` patients or more) is computed in a
    forked process meanwhile, on the core the analysis leaves idle: its tests take about a
    second per million patients. A smaller cohort's take milliseconds, less than forking, and
    a process that goes on (the preview, a library caller) computes it here too: it keeps what
    the tests import for its next runs. The comparison is taken (or its error raised) where it
    was computed before, after the rest; ``meanwhile`` is called just before, while it may
    still be computed (the run imports what its next stage needs).
    """
    from cohortpress import _gc
    from cohortpress._forked import forked
    from cohortpress.analyse import _summaries

    # The columns grouped and counted by, as level codes (the same values): see _levels.
    coded = replace(cohort, patients=_with_level_codes(cohort.patients, config))

    def comparison() -> GroupComparison | None:
        return _summaries.comparison(coded, config)

    fork = (
        config.compare_by is not None
        and _gc.ends_with_its_run()
        and len(cohort.patients) >= FORK_FROM
    )
    with forked(comparison, fork=fork) as compared:

        def taken() -> GroupComparison | None:
            if meanwhile is not None:
                meanwhile()
            return compared.result()

        return _study_results(cohort, coded, config, taken, figure_data)


def _study_results(
    cohort: Cohort,
    coded: Cohort,
    config: StudyConfig,
    comparison: Callable[[], GroupComparison | None],
    figure_data: Callable[[FigureData], object] | None = None,
) -> StudyResults:
    from cohortpress.analyse import _summaries
    from cohortpress.analyse._km import median_followup
    from cohortpress.analyse._survival import endpoint_results

    stats = config.statistics
    data = cohort.patients
    conventions = Conventions.resolve(stats)
    endpoints = _Attempt(lambda: endpoint_results(coded, config))
    waterfall = _Attempt(lambda: _summaries.waterfall(cohort, config))
    if figure_data is not None and endpoints.succeeded and waterfall.succeeded:
        figure_data(
            FigureData(len(data), cohort.time_unit, endpoints.value(), waterfall.value(),
                       conventions)
        )  # fmt: skip
    return StudyResults(
        flow=cohort.flow,
        n=len(data),
        time_unit=cohort.time_unit,
        censored_at_cutoff=cohort.censored_at_cutoff,
        characteristics=_summaries.characteristics(coded, config),
        markers=_summaries.markers(coded, config),
        followup=median_followup(
            data["os_time"],
            data["os_event"],
            ci_transform=stats.ci_transform_in_force,
            conf_level=stats.conf_level,
        ),  # fmt: skip
        endpoints=endpoints.value(),
        response=_summaries.response(cohort, config),
        treatment=_summaries.treatment(cohort, config),
        adverse_events=_summaries.adverse_events(cohort, config),
        waterfall=waterfall.value(),
        comparison=comparison(),  # in this order: an earlier error is raised first
        software=software_versions(),
        conventions=conventions,
    )


class _Attempt(Generic[T]):
    """A part of the results computed ahead of its turn: its value, or its error raised when
    the value is taken, in the part's own place."""

    def __init__(self, compute: Callable[[], T]) -> None:
        self._error: Exception | None = None
        try:
            self._value = compute()
        except Exception as exc:  # noqa: BLE001 - raised by value(), in the part's place
            self._error = exc

    @property
    def succeeded(self) -> bool:
        return self._error is None

    def value(self) -> T:
        if self._error is not None:
            raise self._error
        return self._value


def _with_level_codes(patients: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """The patients with the text columns that Table I, the markers, the comparison, the
    curves by factor and the Cox models group by held as level codes."""
    from cohortpress.analyse._levels import with_level_codes
    from cohortpress.analyse._summaries import comparison_groups
    from cohortpress.analyse._survival import covariate_coding

    columns = [row.variable for row in config.table1]
    columns += [f"{name}_group" for name in config.markers]
    columns += [covariate_coding(cov, config)[1].source for cov in config.cox.covariates]
    columns += [name for endpoint in config.endpoints for name in endpoint.by or ()]
    if config.compare_by is not None:
        columns.append(comparison_groups(config.compare_by, config)[0])
    return with_level_codes(patients, columns)


def software_versions() -> dict[str, str]:
    """Versions of the software that computed the numbers, for the Methods section."""
    versions = {"Python": platform.python_version()}
    for package in _SOFTWARE:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions
