"""``cohortpress new``: a study folder to start from, with a commented study.yml."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from cohortpress.errors import StudyConfigError

if TYPE_CHECKING:
    from pathlib import Path

_FILES = ("study.yml", "manuscript.qmd")


def scaffold_study(folder: Path) -> Path:
    """Create ``folder`` with the template study.yml and manuscript.qmd; never overwrite."""
    if folder.exists() and any(folder.iterdir()):
        raise StudyConfigError(f"{folder}: already exists and is not empty; choose another name")
    folder.mkdir(parents=True, exist_ok=True)
    templates = resources.files("cohortpress") / "_templates"
    for name in _FILES:
        (folder / name).write_text((templates / name).read_text(encoding="utf-8"), encoding="utf-8")
    return folder
