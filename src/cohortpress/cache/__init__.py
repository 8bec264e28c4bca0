"""The build cache: a text edit re-renders without reading, validating, analysing or drawing.

Entries live in ``<output root>/.cache/<study>/<key>.pickle``, one per key (see
:mod:`cohortpress.cache._key`): the key is a SHA-256 over every input of the cached stages, so
an entry can only be found by a run that would compute the same thing, and a changed input is a
new key, never a stale entry. An entry that cannot be read (truncated, from another version,
tampered with) is a miss, never an error. Entries are written whole (a temporary file renamed
into place) under the study's lock, and only the newest :data:`KEEP` of a study are kept.
"""

from __future__ import annotations

import contextlib
import os
import pickle
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cohortpress.cache._entry import Entry, Hit, fingerprint
from cohortpress.cache._files import modified, write_atomically
from cohortpress.cache._key import cache_key
from cohortpress.errors import CohortpressError
from cohortpress.publish import CACHE

if TYPE_CHECKING:
    from pathlib import Path

    from cohortpress.artefacts import FigureSize
    from cohortpress.artefacts._supplement import KeptWorkbook
    from cohortpress.config import StudyConfig
    from cohortpress.provenance import InputFile, Provenance
    from cohortpress.render import KeptRenders

__all__ = ["KEEP", "BuildCache", "Entry", "Hit", "fingerprint"]

KEEP = 4  # entries per study: the current inputs and a few to go back to
SUFFIX = ".pickle"
RENDERED = "rendered"  # the kept renders' folder, inside the study's


@dataclass(frozen=True)
class BuildCache:
    """One run's view of its study's cache: the key of its inputs, and where entries live.

    ``key`` is None when the inputs could not be read to compute it (or changed while they
    were): the run then goes the uncached way and reports any problem where it always has.
    ``config`` is study.yml as loaded for the key, the one a cached run uses.
    """

    folder: Path
    key: str | None = None
    config: StudyConfig | None = None
    inputs: tuple[InputFile, ...] = ()
    study_yml: str = ""  # SHA-256 of the study.yml bytes in the key
    figure_size: FigureSize | None = None
    read: bool = True  # False: --no-cache, recompute (and refresh the entry)

    @classmethod
    def prepare(
        cls,
        output_root: Path,
        study: Path,
        data: Path | None,
        project_root: Path,
        profile: str | None,
        *,
        read: bool = True,
    ) -> BuildCache:
        """The cache of ``study`` for this run's extract, study.yml and render options."""
        from cohortpress.artefacts import FigureSize
        from cohortpress.config import load_study
        from cohortpress.provenance import input_files, sha256
        from cohortpress.render import read_render_options

        folder = output_root / CACHE / study.resolve().name
        try:
            study_yml = sha256(study / "study.yml")
            config = load_study(study)
            options = read_render_options(project_root, profile)
            path = data or config.data_path
            inputs = input_files(config, path)
            if sha256(study / "study.yml") != study_yml:  # edited while it was read
                return cls(folder, read=read)
        except (OSError, CohortpressError):
            return cls(folder, read=read)
        size = FigureSize(options.fig_width, options.fig_height, options.fig_dpi)
        key = cache_key(config, path, inputs, study_yml, size)
        return cls(folder, key, config, inputs, study_yml, size, read)

    def fits(self, record: Provenance, figure_size: FigureSize) -> bool:
        """Whether an uncached run computed from the inputs of the key: the extract and
        study.yml it read (hashed again after reading) and the figure size it drew at."""
        return (
            self.key is not None
            and record.inputs == self.inputs
            and record.study_yml_sha256 == self.study_yml
            and figure_size == self.figure_size
        )

    def renders(self) -> KeptRenders:
        """Where this study's rendered documents are kept (see ``render._kept``): beside the
        entries, taken from unless ``--no-cache``."""
        from cohortpress.render import KeptRenders

        return KeptRenders(self.folder / RENDERED, read=self.read)

    def workbook(self, *, hit: bool) -> KeptWorkbook | None:
        """Where this key's supplementary workbooks are kept, by their sheet names; None
        without a key. Only a run whose tables came from the entry (``hit``) takes a kept
        workbook: an uncached run's tables are the key's only if its inputs did not change
        while it read them (:meth:`fits`, known after the run)."""
        from cohortpress.artefacts._supplement import KeptWorkbook

        if self.key is None:
            return None
        return KeptWorkbook(self.folder / RENDERED, self.key, read=self.read and hit)

    @property
    def path(self) -> Path | None:
        return None if self.key is None else self.folder / f"{self.key}{SUFFIX}"

    def load(self) -> Hit | None:
        """The entry of this run's key, or None: not there, --no-cache, or unreadable."""
        if not self.read or self.path is None:
            return None
        try:
            entry = pickle.loads(self.path.read_bytes())  # noqa: S301 - our own cache folder
            if not isinstance(entry, Entry):
                return None
            hit = entry.open()
        except Exception:  # noqa: BLE001 - whatever a damaged or foreign entry raises: a miss
            return None
        with contextlib.suppress(OSError):
            os.utime(self.path)  # used last: kept longest
        return hit

    def save(self, entry: Entry) -> bool:
        """Store ``entry`` under this run's key; call only with the study's lock held, and only
        when the run :meth:`fits` the key. A cache that cannot be written is left as it is: it
        only saves time."""
        if self.path is None:
            return False
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_atomically(self.path, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))
            self.prune()
        except OSError:
            return False
        return True

    def prune(self, keep: int = KEEP) -> None:
        """Remove all but the ``keep`` newest entries (and what a killed run left)."""
        entries = sorted(self.folder.glob(f"*{SUFFIX}"), key=modified, reverse=True)
        for stale in entries[keep:] + list(self.folder.glob(".*.tmp")):
            with contextlib.suppress(OSError):
                stale.unlink()
