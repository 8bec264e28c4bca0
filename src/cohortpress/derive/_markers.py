"""The groups of a marker (a value computed from other columns) at its cutoff."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from cohortpress.config import Marker


def marker_groups(values: pd.Series, marker: Marker) -> pd.Series:
    """High at or above the cutoff, Low below it; missing stays missing."""
    groups = pd.Series(pd.NA, index=values.index, dtype="string")
    groups[values >= marker.cutoff] = marker.high_label
    groups[values < marker.cutoff] = marker.low_label
    return groups
