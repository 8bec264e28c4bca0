"""The archive of data cuts: ``<study>/cuts/<cutoff>/`` in every published output.

Each run carries the cuts already published forward (hard links: the published versions are
never modified, so sharing their files costs no space and no risk) and adds its own, replacing
an earlier run of the same cutoff. The new output is published in one step (``publish.py``): a
run that fails leaves the previous output, with every cut it held, in place.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from typing import TYPE_CHECKING

from cohortpress.errors import StudyConfigError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from cohortpress.cuts._stored import StoredSnapshot

CUTS = "cuts"


def carry_forward(published: Path, staging: Path) -> None:
    """The published output's cuts, linked into the new output."""
    cuts = published / CUTS
    if cuts.is_dir():
        shutil.copytree(cuts, staging / CUTS, copy_function=_link, dirs_exist_ok=True)


def archive_cut(
    staging: Path, cutoff: dt.date, snapshot: StoredSnapshot, files: Iterable[str]
) -> Path:
    """This run's cut: its ``files`` (documents, results.json) and the patient-level
    snapshot."""
    folder = staging / CUTS / cutoff.isoformat()
    if folder.exists():
        shutil.rmtree(folder)  # a rerun of the same cut replaces it, and only it
    folder.mkdir(parents=True)
    for name in files:
        if (staging / name).is_file():
            _link(staging / name, folder / name)
    snapshot.write(folder)
    return folder


def cut_dates(cuts: Path) -> list[dt.date]:
    """The archived cutoffs, oldest first."""
    if not cuts.is_dir():
        return []
    dates = []
    for folder in cuts.iterdir():
        try:
            dates.append(dt.date.fromisoformat(folder.name))
        except ValueError:
            continue
    return sorted(dates)


def previous_cut(cuts: Path, cutoff: dt.date, since: dt.date | None = None) -> dt.date | None:
    """The cut to compare ``cutoff`` with: ``since`` if given (it must be archived), else the
    latest archived cut before ``cutoff``."""
    dates = cut_dates(cuts)
    if since is not None:
        if since not in dates:
            known = ", ".join(d.isoformat() for d in dates) or "none"
            raise StudyConfigError(f"--since {since.isoformat()}: no such cut (archived: {known})")
        return since
    earlier = [d for d in dates if d < cutoff]
    return earlier[-1] if earlier else None


def _link(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed: a copy
        shutil.copy2(source, target)
