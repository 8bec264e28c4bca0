"""Which files a preview watches, and a cheap fingerprint of them (stdlib polling, no watcher
library): a change is a different modification time or size, a file appearing or going."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from cohortpress.config import load_study
from cohortpress.errors import CohortpressError
from cohortpress.render._staging import study_files

if TYPE_CHECKING:
    from pathlib import Path

Fingerprint = tuple[tuple[str, int, int], ...]
STUDY_SOURCES = ("study.yml", "manuscript.qmd", "supplement.qmd")


class Sources:
    """The files a build of ``study`` reads: its sources (with its references, citation style
    and images), ``_quarto.yml`` and the workbook.

    The workbook's path comes from ``study.yml`` (``data:``) unless ``data`` replaces it, so the
    list is read again whenever ``study.yml`` changes; while ``study.yml`` is invalid the last
    workbook it named stays watched.
    """

    def __init__(self, study: Path, project_root: Path, data: Path | None = None) -> None:
        self.study = study
        self.project_root = project_root
        self.data = data.resolve() if data is not None else None
        self._workbook: Path | None = self.data
        self._config_stamp: tuple[int, int] | None = None

    def paths(self) -> list[Path]:
        """Every path to watch, existing or not (a file that appears is a change too)."""
        self._refresh_workbook()
        found = [self.study / name for name in STUDY_SOURCES]
        found += [self.study / name for name in study_files(self.study)]  # staged with them
        found.append(self.project_root / "_quarto.yml")
        if self._workbook is not None:
            found.append(self._workbook)
            if self._workbook.is_dir():  # a folder of patients/adverse_events CSV or Parquet
                found += sorted(p for p in self._workbook.iterdir() if p.is_file())
        return found

    def fingerprint(self) -> Fingerprint:
        """Path, modification time and size of every watched path (-1, -1 when missing)."""
        return tuple((str(path), *_stamp(path)) for path in self.paths())

    def _refresh_workbook(self) -> None:
        if self.data is not None:
            return
        stamp = _stamp(self.study / "study.yml")
        if stamp == self._config_stamp:
            return
        self._config_stamp = stamp
        with contextlib.suppress(CohortpressError):  # shown by the build that follows
            self._workbook = load_study(self.study).data_path


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (-1, -1)
    return (stat.st_mtime_ns, stat.st_size)
