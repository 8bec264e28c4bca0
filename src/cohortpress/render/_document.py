"""The manuscript prepared for pandoc: Markdown with includes and shortcodes expanded, checked
against the supported subset, and the metadata its templates and filters read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cohortpress.render._metadata import (
    expand_front_matter,
    merged_metadata,
    read_yaml_file,
    template_metadata,
)
from cohortpress.render._options import options_from_config
from cohortpress.render._shortcodes import expand_lines
from cohortpress.render._source import MANUSCRIPT, read_source
from cohortpress.render._subset import check_subset

if TYPE_CHECKING:
    from pathlib import Path

    from cohortpress.render._options import RenderOptions
    from cohortpress.render._source import SourceLine

VARIABLES = "_variables.yml"


@dataclass(frozen=True)
class PreparedDocument:
    """What the embedded engine hands to pandoc."""

    markdown: str
    metadata: dict[str, Any]
    options: RenderOptions  # _quarto.yml with the front matter's overrides
    lines: tuple[SourceLine, ...]  # the expanded source, to locate errors found later


def prepare_document(
    staging: Path, project: dict[str, Any], name: str = MANUSCRIPT
) -> PreparedDocument:
    """Read, expand and check ``staging/<name>`` against the project's configuration.

    Raises
    ------
    RenderError
        A missing include or metadata file, an unknown shortcode or metadata key, or a feature
        outside the supported subset, each with its file and line.
    """
    source = read_source(staging, name)
    check_subset(source.lines)
    merged = merged_metadata(staging, source.front_matter, project, name)
    variables = (
        read_yaml_file(staging / VARIABLES, VARIABLES) if (staging / VARIABLES).is_file() else {}
    )
    expanded = {
        key: expand_front_matter(value, merged, variables, key, name)
        for key, value in merged.items()
    }
    options = options_from_config(expanded, source=f"{name} and _quarto.yml")
    options = options.model_copy(update={"ignored": _reported(options.ignored, project)})
    markdown = "\n".join(expand_lines(source.lines, merged, variables)) + "\n"
    return PreparedDocument(markdown, template_metadata(expanded, options), options, source.lines)


def _reported(ignored: tuple[str, ...], project: dict[str, Any]) -> tuple[str, ...]:
    """Ignored keys worth a note: any under format/crossref/project, and the project's own
    top-level keys (other top-level front-matter keys are the author's own metadata)."""
    blocks = {"format", "crossref", "project"}
    return tuple(key for key in ignored if key.split(".")[0] in blocks | set(project))
