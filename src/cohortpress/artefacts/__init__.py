"""Artefacts: tables, figures, numbers and paragraphs, written into the staging folder."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import yaml

from cohortpress.present.escape import markdown_text, markdown_tree

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from cohortpress.analyse import StudyResults
    from cohortpress.artefacts._numbers import Numbers
    from cohortpress.config import StudyConfig

__all__ = ["FigureSize", "build_artefacts"]

GENERATED = "_generated"


@dataclass(frozen=True)
class FigureSize:
    width: float = 7.0  # inches
    height: float = 3.6
    dpi: int = 300


def build_artefacts(
    results: StudyResults,
    config: StudyConfig,
    staging: Path,
    *,
    figure_size: FigureSize = FigureSize(),
    normalisations: list[str] | None = None,
    warnings: list[str] | None = None,
    stage: Callable[[str], contextlib.AbstractContextManager[None]] | None = None,
) -> list[Path]:
    """Write results.json, the meta file, paragraphs, tables, figures and the supplement.

    ``stage`` (as in :func:`cohortpress.pipeline.build_report`) times the two halves: "tables"
    (numbers, text, tables, supplement) and "figures".
    """
    stage = stage or (lambda _name: contextlib.nullcontext())
    generated = staging / GENERATED
    figures = staging / "figures"
    generated.mkdir(parents=True, exist_ok=True)
    figures.mkdir(parents=True, exist_ok=True)
    with stage("tables"):
        # Imported here so that each stage is timed with the libraries it loads.
        from cohortpress.artefacts._figures import draw_figures
        from cohortpress.artefacts._front_matter import (
            DECLARATIONS,
            FRONT_MATTER,
            declarations_markdown,
            front_matter_yaml,
        )
        from cohortpress.artefacts._numbers import collect_numbers
        from cohortpress.artefacts._supplement import write_supplement
        from cohortpress.artefacts.tables import build_tables
        from cohortpress.artefacts.text import write_paragraphs

        numbers = collect_numbers(results, config)
        written = [_write(staging / "results.json", numbers.to_json() + "\n")]
        written.append(_write(generated / "results.yml", _meta_yaml(numbers)))
        written.append(_write(generated / FRONT_MATTER, front_matter_yaml(config)))
        written.append(_write(generated / DECLARATIONS, declarations_markdown(config)))
        paragraphs = write_paragraphs(
            results, config, numbers, normalisations=normalisations or [], warnings=warnings or []
        )
        written += [_write(generated / f"{name}.md", text) for name, text in paragraphs.items()]
        tables = build_tables(results, config)
        written += [_write(generated / f"table-{t.id}.md", t.markdown()) for t in tables]
        if results.adverse_events is None:  # the manuscript may still include the table
            written.append(_write(generated / "table-adverse-events.md", _no_events(config)))
        written.append(write_supplement(tables, staging / "supplementary.xlsx"))
    with stage("figures"):
        specs = draw_figures(
            results, config, figures,
            width=figure_size.width, height=figure_size.height, dpi=figure_size.dpi,
        )  # fmt: skip
        for spec in specs:
            caption = markdown_text(spec.caption)
            snippet = f"![{caption}](figures/{spec.stem}.png){{#fig-{spec.id}}}\n"
            written.append(_write(generated / f"figure-{spec.id}.md", snippet))
    return written


def _meta_yaml(numbers: Numbers) -> str:
    """The texts for ``{{< meta results.KEY >}}``, escaped: Quarto reads metadata strings as
    Markdown (results.json keeps them plain)."""
    tree = {"results": markdown_tree(numbers.nested())}
    return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)


def _no_events(config: StudyConfig) -> str:
    """What stands in place of the adverse events table when there is none, and why."""
    if config.adverse_events is None:
        return "*Adverse events are not reported (`adverse_events: null` in study.yml).*\n"
    return "*Adverse events are not reported: the workbook has no adverse events sheet.*\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
