"""The render stage: the staging folder's ``manuscript.qmd`` to HTML, PDF and DOCX.

Two engines read the same ``manuscript.qmd`` and ``_quarto.yml``: Quarto when it is on PATH,
otherwise the embedded engine (pandoc and typst from PyPI wheels), which supports the subset of
Quarto described in ``README.md`` beside this file and stops with a :class:`RenderError` naming
anything outside it.
"""

from __future__ import annotations

import contextlib
import functools
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cohortpress.errors import RenderError
from cohortpress.render._bibliography import stage_citations
from cohortpress.render._confine import check_sources, staged_files
from cohortpress.render._embedded import EmbeddedJob, PandocPass, stage_embedded
from cohortpress.render._kept import CITEPROC, KEEP_CITEPROC, KeptRenders, restore
from cohortpress.render._kept import kept as kept_render
from cohortpress.render._options import (
    CrossrefOptions,
    RenderOptions,
    load_quarto_config,
    read_render_options,
)
from cohortpress.render._placeholders import SUBMISSION, placeholder_notes
from cohortpress.render._quarto import quarto_path, render_quarto, stage_quarto
from cohortpress.render._staging import stage_project

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

__all__ = [
    "CrossrefOptions",
    "KeptRenders",
    "RenderOptions",
    "RenderOutcome",
    "StagedDocuments",
    "read_render_options",
    "render",
    "stage_documents",
]

Format = Literal["html", "pdf", "docx"]
Engine = Literal["auto", "quarto", "embedded"]
FORMATS: tuple[Format, ...] = ("html", "pdf", "docx")


@dataclass(frozen=True)
class RenderOutcome:
    """What was rendered: the engine used, one output per format, and notes for the user
    (``_quarto.yml`` keys the embedded engine ignored, pandoc and typst warnings)."""

    engine: str
    outputs: dict[str, Path] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def render(
    staging: Path,
    *,
    formats: Sequence[Format] = FORMATS,
    engine: Engine = "auto",
    project_root: Path | None = None,
    document: str = "manuscript",
    profile: str | None = None,
) -> RenderOutcome:
    """Render ``staging/<document>.qmd`` to ``staging/<document>.{html,pdf,docx}``.

    Parameters
    ----------
    staging
        The staging folder written by the earlier stages (manuscript.qmd, _generated/, figures/).
    formats
        Any of "html", "pdf" (Typst, under either engine) and "docx".
    engine
        "auto" picks Quarto when it is on PATH, else the embedded engine.
    project_root
        Where ``_quarto.yml`` lives; it is copied into the staging folder (default: the current
        folder).
    document
        The document's name: "manuscript", or another ``.qmd`` of the staging folder
        ("supplement", "data_report").
    profile
        A Quarto profile: ``_quarto-<profile>.yml`` of the project root, merged over
        ``_quarto.yml`` by both engines (``submission``: double spacing, line numbers, tables
        and figures after the references).

    Raises
    ------
    RenderError
        An unsupported feature, a missing file or key, or an engine failure, in plain words.
    """
    staged = stage_documents(
        staging, [(document, formats)], engine=engine, project_root=project_root, profile=profile
    )
    return staged.write()[0]


def stage_documents(
    staging: Path,
    documents: Sequence[tuple[str, Sequence[Format]]],
    *,
    engine: Engine = "auto",
    project_root: Path | None = None,
    profile: str | None = None,
    kept: KeptRenders | None = None,
) -> StagedDocuments:
    """Stage several documents of one staging folder for :meth:`StagedDocuments.write`.

    The embedded engine stages them here, one after the other (they share the staging
    folder's configuration and resources): the sources checked, the bibliographies converted,
    pandoc's input written. Nothing staged here reads the figures' files, so a run stages its
    documents while its figures are still being drawn. Quarto, which reads the configuration
    each document stages, stages and renders each document in turn when they are written.

    With ``kept``, the embedded engine takes a document whose staged input and tools are
    those of a kept render from there instead of rendering it (see :mod:`._kept`), and keeps
    what it renders.
    """
    if _chosen(engine) != "embedded":  # Quarto reads the _quarto.yml each document stages

        def staged_now(document: str, formats: Sequence[Format]) -> RenderOutcome:
            return _stage(staging, formats, engine, project_root, document, profile)()

        jobs: list[Callable[[], RenderOutcome]] = [
            functools.partial(staged_now, document, formats) for document, formats in documents
        ]
        return StagedDocuments(staging, tuple(jobs), side_by_side=False)
    jobs = []
    for document, formats in documents:
        try:
            jobs.append(_stage(staging, formats, engine, project_root, document, profile, kept))
        except RenderError as exc:
            return StagedDocuments(staging, tuple(jobs), stopped=exc, kept=kept)
    return StagedDocuments(staging, tuple(jobs), kept=kept)


@dataclass(frozen=True)
class StagedDocuments:
    """Documents staged by :func:`stage_documents`, ready to be written."""

    staging: Path
    jobs: tuple[Callable[[], RenderOutcome], ...]
    stopped: RenderError | None = None  # the document that could not be staged, if any
    kept: KeptRenders | None = None
    side_by_side: bool = True  # the embedded engine's: the work is in pandoc's processes
    started: _Started | None = None  # the pandoc passes started by ahead()

    @contextlib.contextmanager
    def ahead(self, files: Sequence[str]) -> Iterator[StagedDocuments]:
        """These documents, with the pandoc passes that read no figure (the HTML pages, the
        PDFs' Typst sources) started now, while the figures are still being drawn; ``files``
        are the files still to come into the staging folder (the figures', relative).

        Only the embedded engine's documents have such passes. :meth:`write` takes their
        results when the staging folder then holds exactly the files the passes were told they
        may read (``filters/confine.lua``), and runs them again otherwise; their outputs are
        written outside the staging folder until taken, so the kept renders' keys read the same
        files as without them. Leaving the block waits for the passes still running."""
        embedded = [i for i, job in enumerate(self.jobs) if isinstance(job, _Embedded)]
        if not embedded:
            yield self
            return
        listed = tuple(sorted({*staged_files(self.staging), *files}))
        with (
            tempfile.TemporaryDirectory(prefix="cohortpress-pandoc-") as folder,
            ThreadPoolExecutor(max_workers=2, thread_name_prefix="pandoc") as pool,
        ):
            passes: dict[int, dict[str, PandocPass]] = {}
            for i in embedded:
                job = self.jobs[i]
                assert isinstance(job, _Embedded)
                output = Path(folder) / str(i)
                output.mkdir()
                passes[i] = job.job.listing(listed).start_ahead(pool, output)
            yield replace(self, started=_Started(listed, passes))

    def write(self) -> list[RenderOutcome]:
        """Write every staged document, once every file they read is in the staging folder.

        Outcomes and errors are those of rendering the documents one by one, in order: a
        document that could not be staged stops the run after the documents before it were
        written."""
        jobs = list(self.jobs)
        embedded = [job for job in jobs if isinstance(job, _Embedded)]
        if embedded:  # confine.lua and the kept renders' keys read the files staged by now
            files = staged_files(self.staging)
            started = self.started
            ahead = started.passes if started and started.listed == tuple(files) else {}
            jobs = [
                replace(job, job=job.job.listing(files), ahead=ahead.get(i))
                if isinstance(job, _Embedded)
                else job
                for i, job in enumerate(jobs)
            ]
            jobs = _longest_first(jobs)
        if self.kept is not None:
            keys = iter(self.kept.keys(job.job for job in jobs if isinstance(job, _Embedded)))
            jobs = [
                replace(job, kept=(self.kept, next(keys))) if isinstance(job, _Embedded) else job
                for job in jobs
            ]
        if self.side_by_side:
            with ThreadPoolExecutor(max_workers=max(len(jobs), 1)) as pool:
                futures = [pool.submit(job) for job in jobs]
            outcomes = [future.result() for future in futures]  # the first document's error
        else:
            outcomes = [job() for job in jobs]
        if self.stopped is not None:
            raise self.stopped
        return outcomes


def _stage(
    staging: Path,
    formats: Sequence[Format],
    engine: Engine,
    project_root: Path | None,
    document: str,
    profile: str | None,
    kept: KeptRenders | None = None,
) -> Callable[[], RenderOutcome]:
    """Stage and check ``document``; return what writes it (``kept``: where the bibliographies'
    conversions are kept between runs)."""
    staging = Path(staging)
    root = Path(project_root) if project_root is not None else Path.cwd()
    formats = tuple(dict.fromkeys(formats))
    chosen = _check(formats, engine)
    project = load_quarto_config(root, profile)
    stage_project(staging, root, profile)
    check_sources(staging, project, f"{document}.qmd")
    project = stage_citations(staging, project, root, f"{document}.qmd", kept)
    left = placeholder_notes(staging, document) if profile == SUBMISSION else []
    if chosen == "quarto":
        output_dir = read_render_options(root, profile).output_dir
        stage_quarto(staging, document)  # the embedded engine's landscape tables, for Quarto

        def quarto() -> RenderOutcome:
            outputs = render_quarto(staging, formats, output_dir, document, profile)
            return RenderOutcome("quarto", outputs, tuple(left))

        return quarto
    caches = kept.filter_caches() if kept is not None else None
    job = stage_embedded(staging, formats, project, root, document, caches)
    return _Embedded(job, tuple(left))


@dataclass(frozen=True)
class _Embedded:
    """A document staged for the embedded engine; ``kept``: where its render may be taken
    from and kept, and under which key."""

    job: EmbeddedJob
    left: tuple[str, ...]  # the submission's placeholders left in the text
    kept: tuple[KeptRenders, str] | None = None
    ahead: Mapping[str, PandocPass] | None = None  # its pandoc passes already started
    behind: frozenset[str] = frozenset()  # its formats written behind the longest pass

    def __call__(self) -> RenderOutcome:
        if self.kept is None:
            outputs, notes = self.job.write(self.ahead, self.behind)
        else:
            store, key = self.kept
            rendered = store.load(key)
            if rendered is None:
                outputs, notes = self.job.write(self.ahead, self.behind)
                store.save(key, kept_render(self.job.staging, outputs, notes))
                store.prune(KEEP_CITEPROC, CITEPROC)
            else:
                outputs, notes = restore(self.job.staging, rendered), list(rendered.notes)
        return RenderOutcome("embedded", outputs, self.left + tuple(notes))


def _longest_first(jobs: list[Callable[[], RenderOutcome]]) -> list[Callable[[], RenderOutcome]]:
    """The jobs, with every format written behind the manuscript's DOCX when that is the
    longest pass left: the manuscript's other passes ran ahead, while the figures were drawn
    (its HTML page, its Typst source), so what is left of them is short (the page's embedding,
    typst's compile), while the DOCX is pandoc then the package's editing in Python, 0.5–0.7 s.
    At one priority with the others it shared the cores with them and finished last, alone on
    one core; given the cores first, it ends with the rest, which fill the other core. The
    thyroid study's last stretch (three documents, eight runs each, alternated): 0.69 s at one
    priority, 0.57 s with the DOCX first. Where nothing ran ahead (a cached run after a text
    edit) the PDF's pandoc pass and compile are as long as the DOCX, and no job goes first:
    the DOCX first made that run 0.2 s longer. The manuscript is the first job."""
    first = jobs[0] if jobs else None
    if not isinstance(first, _Embedded) or "docx" not in first.job.formats:
        return jobs
    if set(first.ahead or {}) != set(first.job.formats) - {"docx"}:
        return jobs
    return [
        replace(job, behind=frozenset(job.job.formats) - ({"docx"} if job is first else set()))
        if isinstance(job, _Embedded)
        else job
        for job in jobs
    ]


@dataclass(frozen=True)
class _Started:
    """pandoc passes started by :meth:`StagedDocuments.ahead`: the files they were told they
    may read, and each embedded job's passes by format, by the job's place."""

    listed: tuple[str, ...]
    passes: dict[int, dict[str, PandocPass]]


def _check(formats: Sequence[str], engine: str) -> str:
    """The engine to use, after checking the request names known formats and engines."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise RenderError(
            f"unknown output format(s) {unknown or '(none)'}; choose from html, pdf, docx"
        )
    if engine not in ("auto", "quarto", "embedded"):
        raise RenderError(f"unknown engine '{engine}'; choose auto, quarto or embedded")
    return _chosen(engine)


def _chosen(engine: str) -> str:
    """The engine "auto" stands for: Quarto when it is on PATH, else the embedded one."""
    if engine == "auto":
        return "quarto" if quarto_path() else "embedded"
    return engine
