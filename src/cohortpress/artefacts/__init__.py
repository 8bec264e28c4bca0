"""Artefacts: tables, figures, numbers and paragraphs, written into the staging folder."""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cohortpress._yaml import dump_json
from cohortpress.present.escape import markdown_text, markdown_tree
from cohortpress.present.placement import SUPPLEMENT_KEYS, Float, place_floats

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from cohortpress.analyse import FigureData, StudyResults
    from cohortpress.artefacts._figures import FigureSpec
    from cohortpress.artefacts._supplement import KeptWorkbook
    from cohortpress.artefacts.figures._parallel import Drawer
    from cohortpress.artefacts.tables import Table
    from cohortpress.config import StudyConfig
    from cohortpress.present.numbers import Numbers
    from cohortpress.present.placement import Placement
    from cohortpress.provenance import Provenance
    from cohortpress.render import CrossrefOptions

__all__ = [
    "FIGURES",
    "FIGURE_FILE",
    "FIGURE_SUFFIXES",
    "Documents",
    "FigureSize",
    "Floats",
    "StartedFigures",
    "draw_floats",
    "figure_suffixes",
    "start_figures",
    "write_documents",
]

GENERATED = "_generated"
FIGURES = "figures"  # the figures' folder, in the staging folder and the output
# The figure file each format sets, decided here once: the HTML page and the PDF set the SVG
# (sharp at any zoom, half the bytes of the PNG, and no pixels to draw), Word the 300 dpi PNG
# (older Word and LibreOffice show an SVG as an empty frame). A figure's Markdown names its
# PNG; filters/vector.lua sets the SVG in the HTML page and the PDF.
FIGURE_FILE = {"html": ".svg", "pdf": ".svg", "docx": ".png"}
FIGURE_SUFFIXES = (".png", ".svg")  # every file a figure can be written as, in this order


def figure_suffixes(formats: Iterable[str], *, quarto: bool = False) -> tuple[str, ...]:
    """The files each figure is drawn as for a run of ``formats`` (see :data:`FIGURE_FILE`).
    Under Quarto the PNG always: the document names it, and Quarto looks for it before
    vector.lua sets the SVG."""
    wanted = {FIGURE_FILE[f] for f in formats} | ({".png"} if quarto else set())
    return tuple(suffix for suffix in FIGURE_SUFFIXES if suffix in wanted)


@dataclass(frozen=True)
class FigureSize:
    width: float = 7.0  # inches
    height: float = 3.6
    dpi: int = 300


@dataclass(frozen=True)
class Floats:
    """What the "tables" and "figures" stages made: the numbers registry, the tables, the
    figure specs and the files written (relative to the staging folder).

    It depends on the analysis results, study.yml and the figure size only, not on the author's
    text, so the build cache (:mod:`cohortpress.cache`) can keep it and a text edit redoes only
    :func:`write_documents`."""

    numbers: Numbers
    tables: tuple[Table, ...]
    specs: tuple[FigureSpec, ...]
    files: tuple[str, ...]


@dataclass(frozen=True)
class Documents:
    """What the "documents" stage wrote, and where it placed and numbered each float."""

    files: list[Path]
    placement: Placement


@dataclass(frozen=True)
class StartedFigures:
    """Figures built and handed to a drawer (:func:`start_figures`): their specs and files, or
    the error building them, which :func:`draw_floats` raises after the tables."""

    specs: tuple[FigureSpec, ...] = ()
    files: tuple[Path, ...] = ()  # each figure's files, once the drawer is done
    error: Exception | None = None


def start_figures(
    data: StudyResults | FigureData,
    config: StudyConfig,
    staging: Path,
    *,
    figure_size: FigureSize = FigureSize(),
    suffixes: tuple[str, ...] = FIGURE_SUFFIXES,
    drawer: Drawer,
) -> StartedFigures:
    """Build the figures from ``data`` and hand them to ``drawer`` to be drawn into
    ``staging/figures`` as the files of ``suffixes`` (:func:`figure_suffixes`); a run calls it
    as soon as the analysis gives the figures' data (:func:`~cohortpress.analyse.analyse`),
    so they are drawn while the rest is computed."""
    from cohortpress.artefacts._figures import build_figures

    figures = staging / FIGURES
    figures.mkdir(parents=True, exist_ok=True)
    try:
        specs, drawings = build_figures(
            data, config, figures, width=figure_size.width, height=figure_size.height
        )
    except Exception as exc:  # noqa: BLE001 - raised after the tables, where it was
        return StartedFigures(error=exc)
    drawer.draw(drawings, figure_size.dpi, suffixes)
    files = sorted(d.stem.with_name(f"{d.stem.name}{suffix}")
                   for d in drawings for suffix in suffixes)  # fmt: skip
    return StartedFigures(tuple(specs), tuple(files))


def draw_floats(
    results: StudyResults,
    config: StudyConfig,
    staging: Path,
    *,
    figure_size: FigureSize = FigureSize(),
    suffixes: tuple[str, ...] = FIGURE_SUFFIXES,
    provenance: Provenance | None = None,
    stage: Callable[[str], contextlib.AbstractContextManager[None]] | None = None,
    drawer: Drawer | None = None,
    started: StartedFigures | None = None,
) -> Floats:
    """The "tables" and "figures" stages: results.json, the meta and front-matter files, the
    tables and the figures, written into ``staging``.

    The figures are built first and handed to ``drawer`` (unless ``started`` already was,
    during the analysis), which draws them while the tables (and, after this returns, the
    documents) are written; the caller waits for them
    (:meth:`~cohortpress.artefacts.figures._parallel.Drawer.wait`) before their files are
    read. Without a drawer they are drawn here, after the tables. An error building a figure
    is raised after the tables, as it always was."""
    from cohortpress.artefacts.figures._parallel import Drawer

    stage = stage or (lambda _name: contextlib.nullcontext())
    own = drawer is None
    drawer = drawer or Drawer(None)
    generated = staging / GENERATED
    (generated / "supplement").mkdir(parents=True, exist_ok=True)
    drawn: list[Path] = []
    with stage("figures"):
        if started is None:
            started = start_figures(
                results, config, staging, figure_size=figure_size, suffixes=suffixes,
                drawer=drawer,
            )  # fmt: skip
        drawn += started.files
        for spec in started.specs:
            caption = markdown_text(spec.caption)
            image = f"![{caption}]({FIGURES}/{spec.stem}.png)"
            for folder, key in (
                (generated, "fig"),
                (generated / "supplement", SUPPLEMENT_KEYS["fig"]),
            ):
                snippet = f"{image}{{#{key}-{spec.id} .cp-vector}}\n"  # the PDF sets the SVG
                drawn.append(_write(folder / f"figure-{spec.id}.md", snippet))
    with stage("tables"):
        # Imported here so that each stage is timed with the libraries it loads.
        from cohortpress.artefacts._front_matter import (
            DECLARATIONS,
            FRONT_MATTER,
            declarations_markdown,
            front_matter_yaml,
        )
        from cohortpress.artefacts._provenance import add_provenance
        from cohortpress.artefacts.tables import build_tables
        from cohortpress.present.numbers import collect_numbers

        numbers = collect_numbers(results, config)
        if provenance is not None:
            add_provenance(numbers, provenance, results.software)
        written = [_write(staging / "results.json", numbers.to_json() + "\n")]
        written.append(_write(generated / "results.yml", _meta_yaml(numbers)))
        written.append(_write(generated / FRONT_MATTER, front_matter_yaml(config)))
        written.append(_write(generated / DECLARATIONS, declarations_markdown(config)))
        tables = build_tables(results, config, numbers)
        for t in tables:
            html = t.html()  # the same for the manuscript and the supplement: rendered once
            written.append(_write(generated / f"table-{t.id}.md", t.markdown(html=html)))
            written.append(_write(generated / "supplement" / f"table-{t.id}.md",
                                  t.markdown(SUPPLEMENT_KEYS["tbl"], html=html)))  # fmt: skip
        if results.adverse_events is None:  # the manuscript may still include the table
            written.append(_write(generated / "table-adverse-events.md", _no_events(config)))
    if started.error is not None:
        raise started.error
    if own:
        with stage("figures"):
            drawer.wait()
    written += drawn
    files = tuple(path.relative_to(staging).as_posix() for path in written)
    return Floats(numbers, tuple(tables), started.specs, files)


def write_documents(
    results: StudyResults,
    config: StudyConfig,
    staging: Path,
    floats: Floats,
    *,
    normalisations: list[str] | None = None,
    warnings: list[str] | None = None,
    crossref: CrossrefOptions | None = None,
    provenance: Provenance | None = None,
    lang: str = "en",
    stage: Callable[[str], contextlib.AbstractContextManager[None]] | None = None,
    kept_workbook: KeptWorkbook | None = None,
) -> Documents:
    """The "documents" stage: place the floats where the author's text shows them, write the
    paragraphs (in the spelling of ``lang``), number the floats by their first citation in the
    manuscript and the paragraphs, then write the supplementary workbook (copied from
    ``kept_workbook`` when an earlier run wrote the same), the supplement and the data
    report."""
    stage = stage or (lambda _name: contextlib.nullcontext())
    if crossref is None:
        from cohortpress.render import CrossrefOptions

        crossref = CrossrefOptions()
    generated = staging / GENERATED
    numbers, tables, specs = floats.numbers, floats.tables, floats.specs
    written: list[Path] = []
    with stage("documents"):
        from cohortpress.artefacts._documents import write_data_report, write_supplement_document
        from cohortpress.artefacts._provenance import data_statement
        from cohortpress.artefacts._supplement import write_supplement
        from cohortpress.artefacts.text import write_paragraphs

        made = [Float("tbl", t.id) for t in tables] + [Float("fig", s.id) for s in specs]
        place = functools.partial(
            place_floats, staging, made,
            titles={"tbl": crossref.tbl_title, "fig": crossref.fig_title},
            label_styles={"tbl": crossref.tbl_labels, "fig": crossref.fig_labels},
        )  # fmt: skip
        # Which document shows each float decides how the paragraphs cite it; the numbers
        # then follow from the citations, the paragraphs' included (see present.placement).
        paragraphs = write_paragraphs(
            results, config, numbers, place(),
            normalisations=normalisations or [], warnings=warnings or [], lang=lang,
        )  # fmt: skip
        placement = place(generated=paragraphs)
        written += [_write(generated / f"{name}.md", text) for name, text in paragraphs.items()]
        sheets = {t.id: placement.name(f"tbl-{t.id}") or t.id for t in tables}
        workbook = staging / "supplementary.xlsx"
        written.append(write_supplement(list(tables), workbook, sheets, kept_workbook))
        captions = {f"tbl-{t.id}": t.caption for t in tables}
        captions |= {f"fig-{spec.id}": spec.caption for spec in specs}
        written += write_supplement_document(staging, config, placement, captions)
        statement = data_statement(numbers, provenance) if provenance is not None else ""
        written.append(_write(generated / "data_statement.md", markdown_text(statement) + "\n"))
        written.append(write_data_report(staging, config, numbers))
    return Documents(written, placement)


def _meta_yaml(numbers: Numbers) -> str:
    """The texts for ``{{< meta results.KEY >}}``, escaped: Quarto reads metadata strings as
    Markdown (results.json keeps them plain)."""
    tree = {"results": markdown_tree(numbers.nested())}
    return dump_json(tree)  # YAML, read back in a fraction of YAML's time


def _no_events(config: StudyConfig) -> str:
    """What stands in place of the adverse events table when there is none, and why."""
    if config.adverse_events is None:
        return "*Adverse events are not reported (`adverse_events: null` in study.yml).*\n"
    return "*Adverse events are not reported: the workbook has no adverse events sheet.*\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
