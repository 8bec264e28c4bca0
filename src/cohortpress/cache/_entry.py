"""What one cache entry holds, and the cached run it gives back."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection

    from cohortpress.analyse import StudyResults
    from cohortpress.artefacts import Floats
    from cohortpress.cuts import StoredSnapshot


@dataclass(frozen=True)
class Entry:
    """The cached stages' output for one key.

    Nothing in it names a patient: the results and files are what the published output shows,
    and the snapshot is the data cut's (patients known by a keyed hash of their ID, no birth
    date). Neither the workbook nor the derived cohort is kept.
    """

    rows: dict[str, int]  # data rows per sheet, for the provenance record
    normalisations: tuple[str, ...]  # lines of the data appendix
    warnings: tuple[str, ...]  # validation's warnings, for the data report
    analysis: bytes  # (StudyResults, Floats) by dump_analysis, before the documents stage ran
    files: dict[str, bytes]  # what the tables and figures stages wrote, by staging path
    snapshot: StoredSnapshot  # the cut's Parquet files, archived without pandas
    study_key: str  # fingerprint of the HMAC key the snapshot's patient hashes were made with

    def open(self) -> Hit:
        """Unpickle the analysis; a failure here is a corrupt entry, as any other."""
        from cohortpress.cache._analysis import load_analysis

        results, floats = load_analysis(self.analysis)
        for name in self.files:
            path = PurePosixPath(name)
            if path.is_absolute() or ".." in path.parts:
                raise ValueError(f"{name}: not a path inside the staging folder")
        return Hit(self, results, floats)


@dataclass(frozen=True)
class Hit:
    """A cached run: the entry with its analysis unpickled."""

    entry: Entry
    results: StudyResults
    floats: Floats

    def restore(self, staging: Path, suffixes: Collection[str]) -> None:
        """Write the cached tables, meta files and figures into ``staging``, the figures as
        the files of ``suffixes`` (those of the run's formats, which it publishes; the entry
        may keep more, drawn for a run of other formats)."""
        from cohortpress.artefacts import FIGURES

        for name, content in self.entry.files.items():
            kept = PurePosixPath(name)
            if kept.parts[0] == FIGURES and kept.suffix not in suffixes:
                continue
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)

    def figures_kept_as(self) -> frozenset[str]:
        """The files (suffixes) every figure of the entry is kept as, for the formats its run
        rendered (see :func:`cohortpress.artefacts.figure_suffixes`); all, without figures."""
        from cohortpress.artefacts import FIGURE_SUFFIXES, FIGURES

        kept = {PurePosixPath(name) for name in self.entry.files}
        stems = {path.with_suffix("") for path in kept if path.parts[0] == FIGURES}
        return frozenset(
            suffix
            for suffix in FIGURE_SUFFIXES
            if all(stem.with_name(stem.name + suffix) in kept for stem in stems)
        )

    def snapshot(self, key: bytes) -> StoredSnapshot | None:
        """The cached snapshot, if it was made with the study's current key."""
        return self.entry.snapshot if self.entry.study_key == fingerprint(key) else None


def fingerprint(key: bytes) -> str:
    """Tells two study keys apart without giving the key away."""
    return hashlib.sha256(b"cohortpress build cache\0" + key).hexdigest()
