"""The statistical conventions in force, resolved once from study.yml and carried with the results.

study.yml's ``statistics`` names a preset (``conventions: ezr``) and may override each setting;
what the analysis used and what the presentation step prints (the CI level, the transform the
Methods name, the ties method, the p-value style, the small-cell threshold) is read from this one
object, never resolved again from the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cohortpress.analyse._results import CITransform, Ties
    from cohortpress.config import PStyle, Statistics


@dataclass(frozen=True)
class Conventions:
    """Each statistical setting as the analysis applied it."""

    preset: str = "ezr"  # study.yml ``statistics.conventions``: ezr, r or sas
    conf_level: float = 0.95  # of every interval: medians, hazard ratios, rates
    alpha: float = 0.05  # p below it is called significant
    ci_transform: CITransform = "log-log"  # of the Kaplan–Meier intervals
    ties: Ties = "efron"  # Cox models' handling of tied event times
    p_style: PStyle = "threshold"  # how p-values print
    small_cell: int | None = None  # counts below it are suppressed

    @classmethod
    def resolve(cls, stats: Statistics) -> Conventions:
        """The preset's values with study.yml's overrides applied."""
        return cls(
            preset=stats.conventions,
            conf_level=stats.conf_level,
            alpha=stats.alpha,
            ci_transform=stats.ci_transform_in_force,
            ties=stats.ties_in_force,
            p_style=stats.resolved("p_style"),  # type: ignore[arg-type]
            small_cell=stats.small_cell,
        )
