"""A data cut's patient-level snapshot: what the next cut is compared with.

One row per patient of the extract (analysed or excluded, with the reason) and one row per
adverse event, holding the dates, events, baseline values and grades a later extract may
change. A patient is known by a keyed hash of the ID (HMAC-SHA-256 with the study's key,
kept in the output folder), never by the ID: the snapshot can be archived with the reports,
and two cuts still match the same patient.
"""

from __future__ import annotations

import hashlib
import hmac
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohortpress.computed import DATE_FIELDS as KNOWN_DATES
from cohortpress.cuts._stored import EVENTS, PATIENTS, StoredSnapshot
from cohortpress.present import wording

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from cohortpress.config import StudyConfig
    from cohortpress.derive import Cohort
    from cohortpress.intake import Workbook

# The dates a later extract may change; never the birth date, which identifies a patient.
DATE_FIELDS = tuple(sorted(KNOWN_DATES - {"birth_date"}))
CATEGORY_FIELDS = ("sex", "end_reason", "best_response")


@dataclass(frozen=True, eq=False)
class Snapshot:
    """``patients``: key, row (Excel row), included, excluded_reason, the date fields, the
    category fields, ``baseline:<variable>`` (as text), ``<endpoint>_time``/``_event``;
    ``adverse_events``: key, row, term, grade, onset_date."""

    patients: pd.DataFrame
    adverse_events: pd.DataFrame

    def stored(self) -> StoredSnapshot:
        """The snapshot's Parquet files, as the archive and the build cache keep them."""
        return StoredSnapshot(_parquet(self.patients), _parquet(self.adverse_events))

    def write(self, folder: Path) -> list[Path]:
        return self.stored().write(folder)

    @classmethod
    def read(cls, folder: Path) -> Snapshot:
        return cls(pd.read_parquet(folder / PATIENTS), pd.read_parquet(folder / EVENTS))


def _parquet(frame: pd.DataFrame) -> bytes:
    stream = io.BytesIO()
    frame.to_parquet(stream, index=False)
    return stream.getvalue()


def patient_keys(ids: pd.Series, key: bytes) -> pd.Series:
    """The keyed hash of each ID (a missing ID hashes as "<NA>"), one hash per distinct ID:
    a registry's events repeat their patients' IDs, and each key is one shared string."""
    codes, distinct = pd.factorize(ids.astype("string"))
    keyed = _keyed_hash(key)
    hashes = [keyed(str(value)) for value in distinct.tolist()]  # not pandas' slow iteration
    if (codes < 0).any():
        hashes.append(keyed(str(pd.NA)))  # code -1 takes the last entry
    return pd.Series(np.array(hashes, dtype=object)[codes], index=ids.index, dtype=object)


def _keyed_hash(key: bytes) -> Callable[[str], str]:
    """HMAC-SHA-256 of a text (its first 32 hex digits) under one key, for a million IDs: the
    keyed state is made once and copied per text, as ``hmac.digest`` would make it anew."""
    keyed = hmac.new(key, digestmod=hashlib.sha256)

    def digest(text: str) -> str:
        one = keyed.copy()
        one.update(text.encode())
        return one.hexdigest()[:32]

    return digest


def take_snapshot(workbook: Workbook, cohort: Cohort, config: StudyConfig, key: bytes) -> Snapshot:
    """The snapshot of one run: every patient row of the extract, every adverse event."""
    source = workbook.patients
    keys = patient_keys(source["patient_id"], key)
    frame = pd.DataFrame({"key": keys.to_numpy(), "row": source.index.to_numpy()})
    analysed = cohort.patients
    frame["included"] = source.index.isin(analysed.index)
    reasons = cohort.excluded.map(wording.exclusion_reason)  # the words the changes report prints
    frame["excluded_reason"] = reasons.reindex(source.index).astype("string").to_numpy()
    for field in DATE_FIELDS:
        if field in source:
            frame[field] = pd.to_datetime(source[field]).to_numpy()
    for field in CATEGORY_FIELDS:
        if field in source:
            frame[field] = source[field].astype("string").to_numpy()
    for name, variable in config.variables.items():
        if name in source and variable.formula is None:
            frame[f"baseline:{name}"] = _as_text(source[name]).to_numpy()
    for column in analysed.columns:
        if column.endswith(("_time", "_event")):
            frame[column] = analysed[column].reindex(source.index).to_numpy()
    return Snapshot(frame, _events(workbook, key, source["patient_id"], keys))


def _keys_like(ids: pd.Series, known: pd.Series, keys: pd.Series, key: bytes) -> pd.Series:
    """The keys of ``ids``: those of the ``known`` IDs (with their ``keys``) looked up, the
    others hashed; the events' patients are nearly all on the patients sheet."""
    text = known.astype("string")
    first = ~text.duplicated().to_numpy()
    at = pd.Index(text[first]).get_indexer(pd.Index(ids.astype("string")))
    found = keys.to_numpy(dtype=object)[first][at]
    other = at < 0
    if other.any():
        found[other] = patient_keys(ids[other], key).to_numpy()
    return pd.Series(found, index=ids.index, dtype=object)


def _events(workbook: Workbook, key: bytes, ids: pd.Series, keys: pd.Series) -> pd.DataFrame:
    columns = ["key", "row", "term", "grade", "onset_date"]
    events = workbook.adverse_events
    if events is None or events.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    frame = pd.DataFrame(
        {
            "key": _keys_like(events["patient_id"], ids, keys, key).to_numpy(),
            "row": events.index.to_numpy(),
            "term": events["term"].astype("string").to_numpy(),
            "grade": pd.to_numeric(events["grade"], errors="coerce").to_numpy(),
        }
    )
    onset = (
        events["onset_date"] if "onset_date" in events else pd.Series(pd.NaT, index=events.index)
    )
    frame["onset_date"] = pd.to_datetime(onset).to_numpy()
    return frame


def _as_text(values: pd.Series) -> pd.Series:
    """Baseline values as text, so a number and a category compare alike (a missing value is
    missing, not 'nan'); each distinct value is written once."""
    if not _distinct_alike(values):
        return values.map(_text)
    codes, distinct = pd.factorize(values)
    texts = np.array([*(_text(v) for v in distinct), None], dtype=object)
    return pd.Series(texts[codes], index=values.index, dtype=object)


def _distinct_alike(values: pd.Series) -> bool:
    """Whether values equal as distinct values also read alike: not so for -0.0 and 0.0 ("-0",
    "0"), nor for 1, 1.0 and True mixed in one column of Python objects."""
    if values.dtype == object:
        return pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")
    if values.dtype.kind == "f":
        numbers = values.to_numpy()
        return not bool(np.any((numbers == 0) & np.signbit(numbers)))
    return True


def _text(value: object) -> str | None:
    if pd.isna(value):  # type: ignore[call-overload]
        return None
    return f"{value:.12g}" if isinstance(value, float) else str(value)
