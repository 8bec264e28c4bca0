"""Registry updates: every data cut archived with a patient-level snapshot, and what changed.

``take_snapshot`` records a run's patients (by keyed hash), dates, events, baseline values and
adverse events; ``archive_cut`` keeps the cut under ``<study>/cuts/<cutoff>/``;
``compare_cuts`` classifies what changed since an earlier cut (flow, new events, headline
numbers, retroactive changes); ``write_update_report`` writes it for the registry team.
"""

from cohortpress.cuts._archive import (
    CUTS,
    archive_cut,
    carry_forward,
    cut_dates,
    previous_cut,
)
from cohortpress.cuts._changes import Changes, Headline, compare_cuts
from cohortpress.cuts._snapshot import Snapshot, study_key, take_snapshot

__all__ = [
    "CUTS",
    "Changes",
    "Headline",
    "Snapshot",
    "archive_cut",
    "carry_forward",
    "compare_cuts",
    "cut_dates",
    "previous_cut",
    "study_key",
    "take_snapshot",
]
