"""The document's metadata, merged as Quarto merges it, and the part pandoc's templates need.

Layers, later ones winning: the project's ``_quarto.yml``, the front matter's
``metadata-files`` (in order), the front matter itself.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from cohortpress._yaml import deep_merge, load_yaml
from cohortpress.errors import RenderError
from cohortpress.render._byline import byline
from cohortpress.render._shortcodes import expand_text
from cohortpress.render._source import MANUSCRIPT

if TYPE_CHECKING:
    from pathlib import Path

    from cohortpress.render._options import RenderOptions

_TEXT_KEYS = ("title", "subtitle", "running-title", "abstract", "abstract-title")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def read_yaml_file(path: Path, name: str) -> dict[str, Any]:
    """A YAML mapping from a file of the staging folder; ``name`` is how messages call it."""
    if not path.is_file():
        raise RenderError(f"{name} does not exist")
    try:
        data = load_yaml(path.read_text(encoding="utf-8"), name)
    except ValueError as exc:
        raise RenderError(str(exc)) from None
    if data is not None and not isinstance(data, dict):
        raise RenderError(f"{name}: expected a mapping of keys")
    return data or {}


def _layers(
    staging: Path,
    front_matter: dict[str, Any],
    project: dict[str, Any],
    files: bool = True,
    source: str = MANUSCRIPT,
) -> list[dict[str, Any]]:
    """The metadata layers, first to last: project, metadata files, front matter."""
    names = (front_matter.get("metadata-files") or []) if files else []
    layers = [project]
    for name in [names] if isinstance(names, str) else names:
        where = f"{source} front matter, metadata-files: {name}"
        layers.append(read_yaml_file(staging / name, where))
    return [*layers, front_matter]


def merged_metadata(
    staging: Path, front_matter: dict[str, Any], project: dict[str, Any], source: str = MANUSCRIPT
) -> dict[str, Any]:
    """Project configuration, metadata files and front matter merged into one mapping.

    Later layers win, except ``bibliography``: Quarto concatenates lists across layers, so a
    front matter naming ``references.bib`` adds it to the project's bibliographies.
    """
    layers = _layers(staging, front_matter, project, source=source)
    merged: dict[str, Any] = {}
    for layer in layers:
        merged = deep_merge(merged, layer)
    bibliographies = _bibliographies(layers)
    if bibliographies:
        merged["bibliography"] = bibliographies
    return merged


def bibliography_layers(
    staging: Path, front_matter: dict[str, Any], project: dict[str, Any], files: bool = True
) -> list[str]:
    """The bibliography files every layer names, concatenated (``files=False``: without the
    front matter's metadata files)."""
    return _bibliographies(_layers(staging, front_matter, project, files))


def _bibliographies(layers: list[dict[str, Any]]) -> list[str]:
    named: list[str] = []
    for layer in layers:
        value = layer.get("bibliography") or []
        named += [value] if isinstance(value, str) else [str(v) for v in value]
    return list(dict.fromkeys(named))


def expand_front_matter(
    value: Any,
    metadata: dict[str, Any],
    variables: dict[str, Any],
    key: str,
    source: str = MANUSCRIPT,
) -> Any:
    """Shortcodes in front-matter text (an abstract quoting a median, say), expanded."""
    if isinstance(value, str):
        return expand_text(value, f"{source} front matter ({key})", metadata, variables)
    if isinstance(value, list):
        return [expand_front_matter(v, metadata, variables, key, source) for v in value]
    if isinstance(value, dict):
        return {
            k: expand_front_matter(v, metadata, variables, f"{key}.{k}", source)
            for k, v in value.items()
        }
    return value


def template_metadata(merged: dict[str, Any], options: RenderOptions) -> dict[str, Any]:
    """What pandoc receives with ``--metadata-file``: title block, crossref options, citations."""
    meta: dict[str, Any] = {key: merged[key] for key in _TEXT_KEYS if merged.get(key)}
    meta |= byline(merged.get("author", merged.get("authors")), merged.get("affiliations"))
    if merged.get("date"):
        meta["date"] = display_date(str(merged["date"]))
    if merged.get("keywords"):
        meta["keywords"] = keyword_list(merged["keywords"])
    meta["lang"] = options.lang
    language, _, region = options.lang.partition("-")
    meta["language"] = language  # Typst takes the language and the region apart
    if len(region) == 2:
        meta["region"] = region
    meta["crossref"] = options.crossref.model_dump(by_alias=True, exclude_none=True)
    if options.bibliography:
        meta["bibliography"] = list(options.bibliography)
    if options.csl:
        meta["csl"] = options.csl
    return meta


def display_date(value: str, today: dt.date | None = None) -> str:
    """Quarto's default (long) date format: 2021-06-30 reads "June 30, 2021"; ``today`` works."""
    if value in ("today", "now", "last-modified"):
        value = (today or dt.date.today()).isoformat()
    if not _ISO_DATE.match(value):
        return value
    date = dt.date.fromisoformat(value)
    return f"{date:%B} {date.day}, {date.year}"


def keyword_list(value: Any) -> list[str]:
    """Key words as a list: Quarto takes a list or one comma-separated text."""
    if isinstance(value, str):
        return [word.strip() for word in value.split(",") if word.strip()]
    return [str(word) for word in value]
