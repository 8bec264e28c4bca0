"""``cohortpress new``: a study folder to start from, with a commented study.yml."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from cohortpress.errors import StudyConfigError

_FILES = ("study.yml", "manuscript.qmd")
_SCHEMA_LINE = "# yaml-language-server: $schema="
_SCHEMA_NAME = "study.schema.json"


def new_study_folder(reports: Path, name: str) -> Path:
    """``reports/name``, where ``name`` is a folder's name, not a path: `new` writes under
    ``reports`` only (``../../elsewhere`` or ``/tmp/x`` would write anywhere)."""
    separators = {os.sep, os.altsep} - {None}
    if not name.strip() or name in (".", "..") or any(sep in name for sep in separators):
        raise StudyConfigError(
            f"'{name}': the name of a study folder, not a path; use --reports for where it goes"
        )
    return reports / name


def scaffold_study(folder: Path) -> Path:
    """Create ``folder`` with the template study.yml and manuscript.qmd; never overwrite."""
    if folder.exists() and any(folder.iterdir()):
        raise StudyConfigError(f"{folder}: already exists and is not empty; choose another name")
    folder.mkdir(parents=True, exist_ok=True)
    templates = resources.files("cohortpress") / "_templates"
    for name in _FILES:
        text = (templates / name).read_text(encoding="utf-8")
        if name == "study.yml":
            text = _point_to_schema(text, folder)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _point_to_schema(text: str, folder: Path) -> str:
    """The template names the schema from reports/<study>/; elsewhere, the path from ``folder``."""
    schema = _schema_file()
    first, _, rest = text.partition("\n")
    if schema is None or not first.startswith(_SCHEMA_LINE):
        return text
    try:
        relative = Path(os.path.relpath(schema, folder.resolve())).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        relative = schema.as_uri()
    return f"{_SCHEMA_LINE}{relative}\n{rest}"


def _schema_file() -> Path | None:
    """The JSON Schema of study.yml: the project's ``schemas/``, else the installed copy."""
    package = Path(__file__).resolve().parent
    for candidate in (package.parents[1] / "schemas", package / "schemas"):
        if (candidate / _SCHEMA_NAME).is_file():
            return candidate / _SCHEMA_NAME
    return None
