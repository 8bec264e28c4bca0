"""The study's manuscript.qmd checked against study.yml before anything is built.

study.yml is the one source of the front matter. The generated metadata file comes before the
front matter in Quarto's merge, so a title, byline, key words or running title also written in
manuscript.qmd would silently win: written in both places, they must say the same thing, or the
report stops naming both. What study.yml declares must also reach the page: the metadata file
must be listed under ``metadata-files``, and the generated parts that print declared keys
(declarations, regimen and line of therapy) must be included.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from cohortpress.artefacts import GENERATED
from cohortpress.artefacts._front_matter import (
    DECLARATIONS,
    FRONT_MATTER,
    RUNNING_TITLE,
    front_matter,
)
from cohortpress.errors import RenderError, StudyConfigError
from cohortpress.render._byline import byline
from cohortpress.render._metadata import keyword_list
from cohortpress.render._source import MANUSCRIPT, read_front_matter

if TYPE_CHECKING:
    from pathlib import Path

    from cohortpress.config import StudyConfig

_SPACES = re.compile(r"\s+")


def check_manuscript(config: StudyConfig) -> None:
    """Raise :class:`StudyConfigError` where manuscript.qmd and study.yml disagree on the front
    matter, or where manuscript.qmd would leave out what study.yml declares. A study without a
    manuscript.qmd is left to the staging step, which names it."""
    path = config.folder / MANUSCRIPT
    if not path.is_file():
        return
    if not path.resolve().is_relative_to(config.folder.resolve()):  # its text is never read
        raise RenderError(f"{path}: a link to a file outside the study folder")
    written = read_front_matter(path)
    _lists_front_matter(written, path)
    _no_second_source(config, written, path)
    _includes_declared_parts(config, path)


def _lists_front_matter(written: dict[str, Any], path: Path) -> None:
    files = written.get("metadata-files") or []
    listed = [files] if isinstance(files, str) else files
    wanted = f"{GENERATED}/{FRONT_MATTER}"
    if wanted not in [str(name).lstrip("./") for name in listed]:
        raise StudyConfigError(
            f"{path}: the front matter's metadata-files does not list {wanted}, so the title, "
            f"authors and key words of study.yml would not be printed; add it under "
            f"metadata-files (next to {GENERATED}/results.yml)"
        )


def _no_second_source(config: StudyConfig, written: dict[str, Any], path: Path) -> None:
    ours = front_matter(config, escape=False)
    study = config.folder / "study.yml"
    checks = [
        ("title", "title", _text),
        (RUNNING_TITLE, "short_title", _text),
        ("keywords", "keywords", lambda v: keyword_list(v) if v is not None else None),
    ]
    for key, study_key, normal in checks:
        if key in written and key in ours and normal(written[key]) != normal(ours[key]):
            raise StudyConfigError(_both(study, study_key, path, key))
    for key in ("author", "authors", "affiliations"):
        if key in written and "author" in ours and _people(written) != _people(ours):
            raise StudyConfigError(_both(study, "authors", path, key))


def _text(value: Any) -> str | None:
    return None if value is None else _SPACES.sub(" ", str(value)).strip()


def _people(meta: dict[str, Any]) -> dict[str, Any]:
    """The byline as printed: names, affiliation numbers and texts, e-mails, correspondence."""
    return byline(meta.get("author", meta.get("authors")), meta.get("affiliations"))


def _both(study: Path, study_key: str, manuscript: Path, key: str) -> str:
    return (
        f"{study_key} is written both in {study} ({study_key}) and in the front matter of "
        f"{manuscript} ({key}), differently; study.yml is the one source of the front matter: "
        f"remove `{key}:` from the front matter (or make the two the same)"
    )


def _includes_declared_parts(config: StudyConfig, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    parts = {
        DECLARATIONS: (
            [f"declarations.{k}" for k, v in config.declarations.model_dump().items() if v],
            "after the Conclusion, before the references",
        ),
        "methods_treatment.md": (
            [f"treatment.{k}" for k in ("regimen", "line") if getattr(config.treatment, k)],
            "where the Methods describe the treatment",
        ),
    }
    for name, (declared, where) in parts.items():
        include = f"{GENERATED}/{name}"
        if declared and include not in text:
            raise StudyConfigError(
                f"{path}: study.yml declares {', '.join(declared)}, printed by {include}, which "
                f"the manuscript does not include; add the line "
                f"{{{{< include {include} >}}}} {where}"
            )
