"""A data cut's snapshot as the archive holds it: the bytes of its two Parquet files.

The build cache keeps a snapshot in this form, so a cached run archives it without importing
pandas or pyarrow; the frames are read from these bytes only to compare the cut with an earlier
one, as the earlier cut's are read from its archived files.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from cohortpress.cuts._snapshot import Snapshot

PATIENTS = "snapshot.parquet"
EVENTS = "snapshot_ae.parquet"


@dataclass(frozen=True)
class StoredSnapshot:
    """The Parquet files of a snapshot: ``patients`` (``snapshot.parquet``) and
    ``adverse_events`` (``snapshot_ae.parquet``), as :meth:`Snapshot.stored` wrote them."""

    patients: bytes
    adverse_events: bytes

    def write(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / PATIENTS).write_bytes(self.patients)
        (folder / EVENTS).write_bytes(self.adverse_events)
        return [folder / PATIENTS, folder / EVENTS]

    def load(self) -> Snapshot:
        """The snapshot's frames, read as an archived cut's are (:meth:`Snapshot.read`)."""
        import pandas as pd

        from cohortpress.cuts._snapshot import Snapshot

        return Snapshot(
            pd.read_parquet(io.BytesIO(self.patients)),
            pd.read_parquet(io.BytesIO(self.adverse_events)),
        )
