"""Registry updates: every data cut archived with a patient-level snapshot, and what changed.

``take_snapshot`` records a run's patients (by keyed hash), dates, events, baseline values and
adverse events; ``archive_cut`` keeps the cut under ``<study>/cuts/<cutoff>/``;
``compare_cuts`` classifies what changed since an earlier cut (flow, new events, headline
numbers, retroactive changes); ``write_update_report`` writes it for the registry team.

Taking and comparing snapshots needs pandas; archiving a snapshot kept by the build cache (a
:class:`StoredSnapshot`) does not. The names of the modules that import pandas are therefore
loaded on first use, so that a cached run, which only archives, does not import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cohortpress._lazy import lazy_names
from cohortpress.cuts._archive import (
    CUTS,
    archive_cut,
    carry_forward,
    cut_dates,
    previous_cut,
)
from cohortpress.cuts._key import study_key
from cohortpress.cuts._stored import StoredSnapshot

if TYPE_CHECKING:
    from cohortpress.cuts._changes import Changes, Headline, compare_cuts
    from cohortpress.cuts._snapshot import Snapshot, take_snapshot

__all__ = [
    "CUTS",
    "Changes",
    "Headline",
    "Snapshot",
    "StoredSnapshot",
    "archive_cut",
    "carry_forward",
    "compare_cuts",
    "cut_dates",
    "previous_cut",
    "study_key",
    "take_snapshot",
]

_WITH_PANDAS = {
    "Changes": "_changes",
    "Headline": "_changes",
    "compare_cuts": "_changes",
    "Snapshot": "_snapshot",
    "take_snapshot": "_snapshot",
}

__getattr__ = lazy_names(__name__, _WITH_PANDAS)  # the names whose modules import pandas
