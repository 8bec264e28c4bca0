"""The error of a factor to group by (``by``, ``compare_by``) that no analysed patient has."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cohortpress.errors import StudyConfigError

if TYPE_CHECKING:
    from cohortpress.analyse._study import GroupedSurvival
    from cohortpress.config import Endpoint, StudyConfig


def empty_factor_error(factor: str, config: StudyConfig, key: str, remedy: str) -> StudyConfigError:
    """No analysed patient has a value of ``factor``, so nothing can be grouped by it: the
    study.yml ``key`` that asks for it, where its values come from, and the way out. A figure
    or table of no group would otherwise stop the run as a bug, or be left out unsaid."""
    if factor in config.markers:
        source = f"the values marker '{factor}' is computed from ({config.markers[factor].formula})"
    else:
        source = f"a value in '{config.header(factor)}'"
    return StudyConfigError(
        f"study.yml: {key}: no analysed patient has {source}, so there are no groups; record "
        f"it, or {remedy}"
    )


def check_curves_by(
    grouped: tuple[GroupedSurvival, ...], endpoint: Endpoint, config: StudyConfig
) -> None:
    """Raise :func:`empty_factor_error` for the first factor of ``endpoint``'s curves "by"
    with no curve at all."""
    i = config.endpoints.index(endpoint)
    for g in grouped:
        if g.levels:
            continue
        if endpoint.by is None:  # the default: the markers among the Cox covariates
            key = f"endpoints[{i}] (curves by the markers among `cox.covariates`)"
            remedy = f"list under `endpoints[{i}].by` the factors to draw"
        else:
            key, remedy = f"endpoints[{i}].by", f"leave '{g.factor}' out of it"
        raise empty_factor_error(g.factor, config, key, remedy)
