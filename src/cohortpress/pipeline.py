"""The whole run: intake → validate → derive → analyse → artefacts → render, then publish.

Everything is built in a staging folder under the study's lock; ``_output/<study>`` is switched
to the new output in one step only when every step succeeded, so a failed or killed run leaves
the previous output untouched (see :mod:`cohortpress.publish`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from cohortpress._gc import freezing, unfrozen_after
from cohortpress.config import StudyConfig, load_study
from cohortpress.errors import InputDataError, RenderError, StudyConfigError
from cohortpress.publish import Slot, check_root, open_slot

if TYPE_CHECKING:
    import datetime as dt
    from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor

    from cohortpress.analyse import FigureData, StudyResults
    from cohortpress.artefacts import FigureSize, Floats, StartedFigures
    from cohortpress.artefacts._supplement import KeptWorkbook
    from cohortpress.artefacts.figures._parallel import Drawer
    from cohortpress.cache import Entry, Hit
    from cohortpress.cuts import StoredSnapshot
    from cohortpress.derive import Cohort
    from cohortpress.errors import Problem
    from cohortpress.intake import Normalisation, Workbook
    from cohortpress.provenance import Provenance
    from cohortpress.render import Engine, Format, KeptRenders
    from cohortpress.validate import ValidationReport

Formats = Sequence[str]
EngineData = Literal["auto", "pandas", "dask"]
StageHook = Callable[[str], contextlib.AbstractContextManager[None]]

PUBLISHED = (
    "manuscript.html",
    "manuscript.pdf",
    "manuscript.docx",
    "supplement.html",
    "supplement.pdf",
    "supplement.docx",
    "data_report.html",
    "update_report.html",
    "update_report.pdf",
    "results.json",
    "supplementary.xlsx",
    "figures",
    "cuts",
)


@dataclass(frozen=True)
class BuiltReport:
    """Where the manuscript was published, and what the renderer noted on the way."""

    folder: Path
    notes: tuple[str, ...] = ()


@dataclass
class StageTimes:
    """Wall time of each stage, for progress display and ``make bench``."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = time.perf_counter() - start


def _source(study: Path, root: Path) -> str:
    """The study folder as its outputs record it: relative to the project, which may move."""
    return Path(os.path.relpath(study.resolve(), root.resolve())).as_posix()


def find_project_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``_quarto.yml``."""
    for folder in (start.resolve(), *start.resolve().parents):
        if (folder / "_quarto.yml").is_file():
            return folder
    raise StudyConfigError(f"{start}: no _quarto.yml in this folder or any folder above it")


def check_workbook(
    study: Path | str, data: Path | None = None, hook: StageHook | None = None
) -> tuple[StudyConfig, Workbook, ValidationReport]:
    """Read and validate the study's workbook; the caller decides what errors mean."""
    stage = hook or StageTimes().stage
    with stage("read"):
        from cohortpress.intake import read_workbook

        config = load_study(study)
        workbook = read_workbook(Path(data) if data else config.data_path, config)
    with stage("validate"):
        from cohortpress.validate import validate_workbook

        report = validate_workbook(workbook, config)
    return config, workbook, report


@unfrozen_after
def build_report(
    study: Path | str,
    *,
    data: Path | None = None,
    formats: Formats = ("html", "pdf", "docx"),
    engine: str = "auto",
    output_root: Path | None = None,
    hook: StageHook | None = None,
    profile: str | None = None,
    since: dt.date | None = None,
    cache: bool = True,
    engine_data: EngineData = "auto",
    scheduler: str | None = None,
    archive: bool = True,
) -> BuiltReport:
    """Build one study's manuscript and publish it to ``<output_root>/<study>/``; ``profile``
    names a Quarto profile (``_quarto-<profile>.yml``, e.g. ``submission``).

    The run is archived as the cut of its data cutoff (``<study>/cuts/<cutoff>/``) and, when
    an earlier cut is archived, compared with it (or with the cut of ``since``) in
    ``update_report.html``. With the same extract, study.yml, figure size and software as a
    run before, the stages up to the figures come from the build cache (the hook then sees
    "cache" instead of "read" … "figures"); ``cache=False`` computes them anew.

    ``engine_data`` says where the data are held (see :mod:`cohortpress.engine_data`): with
    ``dask`` the extract is read, validated, derived and analysed on a Dask cluster (a local
    one, or the one at ``scheduler``); the build cache and the data cuts are not used then
    (each run says so in a note). ``archive=False`` (a preview, which is not a release): no
    cut is archived and no update report written; the snapshot is still taken when the build
    cache keeps it."""
    stage = freezing(hook or StageTimes().stage)  # see cohortpress._gc
    study = Path(study)
    root = find_project_root(study)
    output_root = output_root or root / "_output"
    default = output_root.resolve() == (root / "_output").resolve()
    check_root(output_root, study, default=default)  # before the workbook: fail fast
    if profile is not None:
        from cohortpress.render import read_render_options

        read_render_options(root, profile)  # the profile exists and its options are valid
    if engine_data != "pandas" or scheduler is not None:
        from cohortpress.engine_data import choose_engine

        config = load_study(study)
        extract = Path(data) if data else config.data_path
        if choose_engine(engine_data, extract, scheduler) == "dask":
            return _build_distributed(
                config, extract, scheduler, stage, hook, root, output_root, formats, engine,
                profile, default=default,
            )  # fmt: skip
    with stage("cache"):  # the key hashes the extract: its time counts here
        from cohortpress.cache import BuildCache

        store = BuildCache.prepare(output_root, study, data, root, profile, read=cache)
        hit = store.load()
    suffixes = _figure_suffixes(formats, engine)
    if hit is not None and not set(suffixes) <= hit.figures_kept_as():
        hit = None  # its figures were drawn for other formats: computed again
    if hit is None:
        _convert_bibliographies_ahead(study, root, profile, store.renders())
    # The figures' drawing process is forked now, when a run computes them, before the run
    # imports pandas: it imports matplotlib (and never pandas) on the core that the run's
    # imports and reading the extract leave idle.
    with _drawing_process(computed=hit is None) as drawing, contextlib.ExitStack() as exits:
        analysed = _analysed(study, data, stage, hit, store.config, exits)
        exits.enter_context(analysed.problems_first())
        config = analysed.config
        from cohortpress.artefacts._manuscript import check_manuscript
        from cohortpress.provenance import input_files, make_provenance

        check_manuscript(config)  # before the analysis: fail fast
        inputs = store.inputs if hit else input_files(config, analysed.data)
        record = make_provenance(config, inputs, analysed.rows)
        if hit is not None:  # the study.yml of the key, even if it was saved again meanwhile
            record = dataclasses.replace(record, study_yml_sha256=store.study_yml)
        with (
            open_slot(
                output_root,
                study.resolve().name,
                default=default,
                source=_source(study, root),
            ) as slot,  # fmt: skip
            _Alongside() as alongside,
        ):
            from cohortpress import cuts

            key = cuts.study_key(slot.root, slot.study)
            if hit is None and (archive or store.key is not None):  # a cut, or a new cache entry
                alongside.take = lambda workbook, cohort: cuts.take_snapshot(
                    workbook, cohort, config, key
                ).stored()
            workbook = store.workbook(hit=hit is not None)
            notes, size = _build(
                analysed, hit, record, slot.staging, root, formats, engine, stage, profile,
                suffixes=suffixes, kept=store.renders(), workbook=workbook,
                alongside=alongside, drawing=drawing,
            )  # fmt: skip
            saving = hit is None and store.fits(record, size)
            if workbook is not None and (hit is not None or saving):  # tables made under the key
                workbook.keep()
            with stage("cuts"):
                snapshot = hit.snapshot(key) if hit else alongside.result()
                if snapshot is None and (archive or saving):  # uncached, or a new study key
                    workbook, cohort = analysed.cohort(stage)
                    snapshot = cuts.take_snapshot(workbook, cohort, config, key).stored()
                if archive and snapshot is not None:
                    notes += _keep_cut(
                        slot, config, snapshot, since, formats, engine, root, profile
                    )
            if saving and snapshot is not None:
                store.save(analysed.entry(snapshot, key))
            staged = slot.staging
            published = [staged / name for name in PUBLISHED if (staged / name).exists()]
            return BuiltReport(slot.publish(published), tuple(notes))


@dataclass
class _Analysed:
    """What reading and validating the extract (or the build cache) gives the later stages."""

    config: StudyConfig
    data: Path
    rows: dict[str, int]
    normalisations: list[str]
    warnings: list[str]
    workbook: Workbook | None = None  # None on a cached run
    _verdict: Callable[[], _Verdict] | None = None  # the validation, while it runs alongside
    _cohort: Cohort | None = None
    _pickled: bytes = b""
    _files: dict[str, bytes] = field(default_factory=dict)

    def validated(self) -> None:
        """Raise the workbook's problems if it is invalid; else note its warnings and the
        normalisations (final now: validation may redact terms). Once the workbook is known to
        be valid, this does nothing."""
        verdict, self._verdict = self._verdict, None
        if verdict is None:
            return
        assert self.workbook is not None  # read: an uncached run
        found = verdict()
        if not found.ok:
            raise InputDataError(list(found.problems))
        self.normalisations = [_describe(n) for n in self.workbook.normalisations]
        self.warnings = found.warnings

    @contextlib.contextmanager
    def until_valid(self, stage: StageHook) -> Iterator[None]:
        """Take the verdict of the validation running alongside (:meth:`validated`) when the
        block ends, as it ends or fails: the workbook's problems replace the block's result or
        error. Python warnings the block raised are shown only when the workbook is valid: an
        invalid workbook's analysis is thrown away, and so is what it warned of."""
        if self._verdict is None:  # validated before
            yield
            return
        holding = warnings.catch_warnings(record=True)
        held = holding.__enter__()
        try:
            yield
        finally:
            holding.__exit__(None, None, None)
            with stage("validate"):  # the wait for the verdict, if any is left
                self.validated()
            for w in held or ():
                warnings.showwarning(w.message, w.category, w.filename, w.lineno, w.file, w.line)

    @contextlib.contextmanager
    def problems_first(self) -> Iterator[None]:
        """An error raised in the block, while the workbook was still being validated
        alongside, gives way to the workbook's problems: with an invalid workbook, they are
        the error to report, as when validation came first."""
        try:
            yield
        except Exception:
            self.validated()
            raise

    def cohort(self, stage: StageHook) -> tuple[Workbook, Cohort]:
        """The workbook and derived cohort, read again on a cached run that needs them."""
        if self.workbook is None:
            _, self.workbook, report = check_workbook(self.config.folder, self.data, stage)
            if not report.ok:  # the extract was changed during the run
                raise InputDataError(list(report.problems))
        if self._cohort is None:
            self._cohort = _derive(self.workbook, self.config, stage)
        return self.workbook, self._cohort

    def keep(self, cohort: Cohort, results: StudyResults, floats: Floats, staging: Path) -> None:
        """Note the derived cohort, and the analysis and tables as they were made, before the
        documents and the renderer used them; the figures, still being drawn, follow
        (:meth:`keep_figures`)."""
        from cohortpress.cache._analysis import dump_analysis

        self._cohort = cohort
        self._pickled = dump_analysis(results, floats)
        self._files = {
            name: (staging / name).read_bytes() for name in floats.files if not _drawn(name)
        }

    def hand_over(self) -> None:
        """Let go of the workbook and the derived cohort, once the analysis is done and the
        snapshot, which reads them, has been started: the snapshot's thread drops them as soon
        as it is taken (see :func:`_given_back`), while the documents still render."""
        self.workbook, self._cohort = None, None

    def keep_figures(self, floats: Floats, staging: Path) -> None:
        """Note the figures' files once drawn, before the renderer used them."""
        self._files = {
            name: self._files[name] if name in self._files else (staging / name).read_bytes()
            for name in floats.files
        }

    def entry(self, snapshot: StoredSnapshot, key: bytes) -> Entry:
        """The cache entry of this uncached run; ``key`` is the study's key of the snapshot."""
        from cohortpress.cache import Entry, fingerprint

        return Entry(
            rows=self.rows, normalisations=tuple(self.normalisations),
            warnings=tuple(self.warnings), analysis=self._pickled, files=self._files,
            snapshot=snapshot, study_key=fingerprint(key),
        )  # fmt: skip


def _drawn(name: str) -> bool:
    """Whether a file of the floats is a figure (drawn while the documents are written)."""
    return name.startswith("figures/")


def _analysed(
    study: Path,
    data: Path | None,
    stage: StageHook,
    hit: Hit | None,
    cached: StudyConfig | None,
    exits: contextlib.ExitStack,
) -> _Analysed:
    """Read the extract and validate it, or start validating it alongside the analysis
    (:func:`_validation`); on a cached run, what the entry kept of it, with the study.yml the
    key was made of (``cached``)."""
    if hit is not None and cached is not None:
        config = cached
        entry = hit.entry
        return _Analysed(
            config, Path(data) if data else config.data_path, dict(entry.rows),
            list(entry.normalisations), list(entry.warnings),
        )  # fmt: skip
    from cohortpress.provenance import sheet_rows

    with stage("read"):
        from cohortpress.intake import read_workbook

        config = load_study(study)
        workbook = read_workbook(Path(data) if data else config.data_path, config)
    with stage("validate"):
        verdict = _validation(workbook, config, exits)
    analysed = _Analysed(
        config, Path(data) if data else config.data_path, sheet_rows(workbook), [], [],
        workbook, verdict,
    )  # fmt: skip
    if not isinstance(verdict, _Given):
        return analysed  # validated alongside: see _Analysed.validated
    analysed.validated()
    return analysed


@dataclass(frozen=True)
class _Verdict:
    """What a run needs of a validation report: the problems (errors and warnings) to raise
    when there is an error, else the warnings' lines for the data appendix. Plain data: a
    report computed in a forked process reaches the run without importing pandera."""

    ok: bool
    problems: tuple[Problem, ...]
    warnings: list[str]


@dataclass(frozen=True)
class _Given:
    """A verdict already reached."""

    verdict: _Verdict

    def __call__(self) -> _Verdict:
        return self.verdict


VALIDATED_ALONGSIDE_BELOW = 50_000  # rows of the workbook: see _validation


def _validation(
    workbook: Workbook, config: StudyConfig, exits: contextlib.ExitStack
) -> Callable[[], _Verdict]:
    """The workbook's validation: done now, or started in a forked process (see
    :mod:`cohortpress._forked`) whose verdict the run takes once its analysis is done.

    Validating (pandera's import included) takes about a third of a second at paper size,
    while the analysis leaves the second core idle. So where the run's process ends with the
    run, the workbook is validated alongside the analysis: the analysis of a workbook that
    turns out invalid is thrown away, and its problems are raised instead of anything the
    analysis raised (:meth:`_Analysed.problems_first`). It is validated first where
    validation changes the workbook (a study that redacts identifiers in the terms: the
    analysis must read the redacted terms), in a process that goes on (the preview keeps
    pandera imported), and from :data:`VALIDATED_ALONGSIDE_BELOW` rows, where a second process
    validating would add its memory to the run's.
    """
    from cohortpress import _gc
    from cohortpress._forked import forked

    def verdict() -> _Verdict:
        from cohortpress.validate import validate_workbook

        report = validate_workbook(workbook, config)
        return _Verdict(report.ok, report.problems, report.warning_summary())

    events = workbook.adverse_events
    rows = len(workbook.patients) + (0 if events is None else len(events))
    alongside = (
        _gc.ends_with_its_run()
        and rows < VALIDATED_ALONGSIDE_BELOW
        and not config.redacts_identifiers
    )
    if not alongside:
        return _Given(verdict())
    return exits.enter_context(forked(verdict)).result


DASK_NOTES = (
    "the Dask engine keeps no build cache: each run reads, validates and analyses the extract anew",
    "the Dask engine does not archive this run as a data cut (its patient-level snapshot "
    "would gather every row on one machine), so no update report compares it with an earlier "
    "cut",
)


def _build_distributed(
    config: StudyConfig,
    extract: Path,
    scheduler: str | None,
    stage: StageHook,
    hook: StageHook | None,
    root: Path,
    output_root: Path,
    formats: Formats,
    engine: str,
    profile: str | None,
    *,
    default: bool,
) -> BuiltReport:
    """Read, validate, derive and analyse the extract on a Dask cluster, then write and
    render the documents here, as an in-memory run does from its results."""
    from cohortpress.artefacts._manuscript import check_manuscript
    from cohortpress.engine_data import dask_client, partition_progress, quiet_shuffles
    from cohortpress.provenance import input_files, make_provenance

    check_manuscript(config)  # before the analysis: fail fast
    progress = partition_progress(hook)
    with dask_client(scheduler) as client:
        quiet_shuffles()
        watch = getattr(hook, "cluster", None)  # make bench reads the workers' memory
        if callable(watch):
            watch(client)
        with stage("read"):
            from cohortpress.intake import _declares_adverse_events
            from cohortpress.intake._partitioned import open_extract

            required = _declares_adverse_events(config)
            pieces = open_extract(extract, config, events_required=required)
        with stage("validate"):
            from cohortpress.validate._partitions import validate_extract

            validated = validate_extract(client, pieces, config, progress)
            if not validated.report.ok:
                raise InputDataError(list(validated.report.problems))
        analysed = _Analysed(
            config, extract, validated.rows,
            [_describe(n) for n in validated.normalisations],
            validated.report.warning_summary(),
        )  # fmt: skip
        with stage("derive"):
            from cohortpress.derive._partitions import derive_extract

            cohort = derive_extract(client, validated, config, progress)
            del validated  # the typed pieces: the derived ones hold what is analysed
        with stage("analyse"):
            from cohortpress.analyse.distributed import analyse_partitioned

            results = analyse_partitioned(cohort, config)
        del cohort
    record = make_provenance(config, input_files(config, extract), analysed.rows)
    source = _source(config.folder, root)
    with open_slot(
        output_root, config.folder.resolve().name, default=default, source=source
    ) as slot:
        notes, _ = _build(
            analysed, None, record, slot.staging, root, formats, engine, stage, profile,
            suffixes=_figure_suffixes(formats, engine), results=results,
        )  # fmt: skip
        published = [slot.staging / name for name in PUBLISHED if (slot.staging / name).exists()]
        return BuiltReport(slot.publish(published), (*DASK_NOTES, *notes))


def _derive(workbook: Workbook, config: StudyConfig, stage: StageHook) -> Cohort:
    with stage("derive"):
        from cohortpress.derive import derive_cohort

        return derive_cohort(workbook.patients, workbook.adverse_events, config)


def _build(
    analysed: _Analysed,
    hit: Hit | None,
    record: Provenance,
    staging: Path,
    root: Path,
    formats: Formats,
    engine: str,
    stage: StageHook,
    profile: str | None = None,
    *,
    suffixes: tuple[str, ...],
    results: StudyResults | None = None,
    kept: KeptRenders | None = None,
    workbook: KeptWorkbook | None = None,
    alongside: _Alongside | None = None,
    drawing: ProcessPoolExecutor | None = None,
) -> tuple[list[str], FigureSize]:
    """Derive, analyse, write the artefacts and render them inside ``staging`` (the analysis,
    tables and figures from the cache on a cached run; the analysis as given, ``results``, on a
    run of the Dask engine; documents whose staged input was rendered before from ``kept``, and
    the supplementary workbook from ``workbook`` when it was written before); return the render
    notes and the figure size of _quarto.yml. An uncached run starts ``alongside``'s snapshot
    once its analysis is kept, so it is taken while the documents are written and rendered.
    The figures are drawn as the files of ``suffixes`` (:func:`_figure_suffixes`) by
    ``drawing`` (the process :func:`_drawing_process` forked), or by a process forked here;
    a cached run restores those files of the entry."""
    from cohortpress.artefacts import FigureSize, draw_floats, start_figures, write_documents
    from cohortpress.render import read_render_options, stage_documents

    config = analysed.config
    _stage_sources(config, staging)
    options = read_render_options(root, profile)
    size = FigureSize(options.fig_width, options.fig_height, options.fig_dpi)
    cohort: Cohort | None = None
    computed = False  # the analysis and figures computed here, not taken from the cache
    # The figures are drawn by another process, forked before the extract was read (it
    # imports matplotlib meanwhile): handed the survival curves as soon as the analysis has
    # them, it draws while the rest of the analysis, the tables and the documents are made.
    with (
        contextlib.ExitStack() as rendering,
        _drawer(
            computed=hit is None, forked=drawing, behind=_figures_read_last(formats, engine)
        ) as drawer,
    ):
        if results is not None:
            floats = draw_floats(results, config, staging, figure_size=size, suffixes=suffixes,
                                 provenance=record, stage=stage, drawer=drawer)  # fmt: skip
        elif hit is None:
            assert analysed.workbook is not None  # read by _analysed
            assert drawer is not None  # a run that computes has one
            started: list[StartedFigures] = []

            def figure_data(data: FigureData) -> None:  # drawn while the analysis goes on
                started.append(start_figures(data, config, staging, figure_size=size,
                                             suffixes=suffixes, drawer=drawer))  # fmt: skip

            try:
                with analysed.until_valid(stage):  # see _validation
                    cohort = _derive(analysed.workbook, config, stage)
                    if alongside is not None:  # a registry's snapshot is taken from now on
                        alongside.derived(analysed.workbook, cohort)
                    # Each stage imports what it uses, so its time includes its libraries.
                    with stage("analyse"):
                        from cohortpress.analyse import analyse
                        from cohortpress.artefacts.tables._table import import_great_tables

                        results = analyse(
                            cohort, config, meanwhile=import_great_tables,
                            figure_data=figure_data,
                        )  # fmt: skip
            except Exception:  # the analysis' error (or the workbook's), not a figure's
                drawer.abandon()
                raise
            floats = draw_floats(results, config, staging, figure_size=size, suffixes=suffixes,
                                 provenance=record, stage=stage, drawer=drawer,
                                 started=started[0] if started else None)  # fmt: skip
            analysed.keep(cohort, results, floats, staging)
            computed, cohort = True, None
            # The drawing process is forked already: a thread is safe.
            if alongside is not None and alongside.start():
                analysed.hand_over()
        else:
            results, floats = hit.results, hit.floats
            hit.restore(staging, suffixes)
        placement = write_documents(
            results, config, staging, floats,
            normalisations=analysed.normalisations, warnings=analysed.warnings,
            crossref=options.crossref, provenance=record, lang=options.lang, stage=stage,
            kept_workbook=workbook,
        ).placement  # fmt: skip
        if placement.out_of_order is not None and _numbers_in_document_order(engine):
            raise RenderError(placement.out_of_order)
        asked = cast("tuple[Format, ...]", tuple(formats))  # checked by the CLI
        documents: list[tuple[str, tuple[Format, ...]]] = [("manuscript", asked)]
        if (staging / "supplement.qmd").is_file():
            documents.append(("supplement", asked))
        documents.append(("data_report", ("html",)))
        with stage("render"):  # staged while the figures are drawn: nothing staged reads them
            staged = stage_documents(
                staging, documents, engine=cast("Engine", engine), project_root=root,
                profile=profile, kept=kept,
            )  # fmt: skip
            if drawer is not None:  # and what reads no figure is started meanwhile
                staged = rendering.enter_context(staged.ahead(floats.files))
        if drawer is not None:
            with stage("figures"):  # what is left of the drawing once the documents are staged
                drawer.wait()
        if computed:
            analysed.keep_figures(floats, staging)
        notes: list[str] = placement.uncited_warnings()
        with stage("render"):  # the documents side by side where the engine allows
            for outcome in staged.write():
                notes += [n for n in outcome.notes if n not in notes]
    return notes, size


# Patients from which the snapshot is taken in a forked process: a million patients' run took
# 5 s less (32.6 s, 27.2 s). At a hundred thousand it takes as long (7.6-7.8 s, 7.5-7.7 s on a
# thread) and is taken during the analysis, not while the figures are drawn and pandoc runs
# ahead: the run's processes together peaked at 675-727 MiB (747-787 on a thread), the run's
# own at 340-351 (477-492).
SNAPSHOT_FORKED_FROM = 50_000


class _Alongside:
    """The data cut's snapshot, taken on a thread while the documents render, or, for a
    registry, in a forked process while the run analyses.

    The snapshot reads the workbook and the derived cohort only, and the main process mostly
    waits for pandoc and typst while the documents render. A registry's snapshot (hashing a
    million IDs, writing the Parquet files: 4-5 s of Python that would hold the run's
    interpreter) is taken from the moment the cohort is derived, in a process forked then, on
    the core the analysis leaves idle, in a process that ends with its run
    (:data:`SNAPSHOT_FORKED_FROM` patients or more, on a machine with the memory to spare);
    the thread then only waits for it. Its result, or its error, is the same as when taken in
    the "cuts" stage, and is raised there (:meth:`result`); leaving the block waits for the
    thread and ends the forked process, so a run that failed before ends with nothing still
    running (but for an interrupted one: see :meth:`__exit__`)."""

    def __init__(self) -> None:
        self.take: Callable[[Workbook, Cohort], StoredSnapshot] | None = None  # None: none taken
        self._snapshot: Callable[[], StoredSnapshot] | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._future: Future[StoredSnapshot] | None = None
        self._forked = contextlib.ExitStack()

    def __enter__(self) -> _Alongside:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        with self._forked:  # closed last: the thread may be waiting for the forked process
            if self._pool is None:
                return
            # Interrupted (Ctrl-C), the snapshot is dropped rather than waited for: nothing
            # will be published, and the output folder is tidied at once.
            interrupted = kind is not None and not issubclass(kind, Exception)
            self._pool.shutdown(wait=not interrupted, cancel_futures=interrupted)

    def derived(self, workbook: Workbook, cohort: Cohort) -> None:
        """The snapshot to take is of ``workbook`` and its derived ``cohort``; a registry's is
        started now in a forked process (it reads them as they are now: the analysis makes its
        own frames and changes neither)."""
        take = self.take
        if take is None:
            return
        from cohortpress import _gc
        from cohortpress._forked import forked, memory_to_spare

        # Twice the run's memory: a million patients' snapshot takes up to 1.1 GB of its
        # process's own (its frames of text) while the run holds 1.6-1.9 GB.
        fork = len(workbook.patients) >= SNAPSHOT_FORKED_FROM and _gc.ends_with_its_run()
        if fork and memory_to_spare(times=2):
            self._snapshot = self._forked.enter_context(
                forked(lambda: take(workbook, cohort))
            ).result
        else:
            self._snapshot = functools.partial(_given_back, take, [workbook, cohort])

    def start(self) -> bool:
        """Start taking the snapshot (or waiting for it), if one is to be taken; whether one
        is being taken."""
        if self._snapshot is not None and self._future is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapshot")
            snapshot, self._snapshot = self._snapshot, None  # the thread's alone from now on
            self._future = self._pool.submit(snapshot)
        return self._future is not None

    def result(self) -> StoredSnapshot | None:
        """The snapshot (None if none was started); its error, if taking it failed."""
        return None if self._future is None else self._future.result()


def _given_back(
    take: Callable[[Workbook, Cohort], StoredSnapshot], data: list[Any]
) -> StoredSnapshot:
    """The snapshot of ``data`` (the workbook and the cohort) taken here; then ``data`` is
    emptied, dropping the last references to them where the run has handed them over
    (:meth:`_Analysed.hand_over`), and the memory they and the snapshot used (its frames of
    text, the Parquet writer's buffers: 90 MiB at 100,000 patients) is handed back at once,
    while the documents still render beside the figures' processes."""
    from cohortpress._memory import give_back

    try:
        return take(*data)
    finally:
        data.clear()
        give_back()


def _drawer(
    *, computed: bool, forked: ProcessPoolExecutor | None = None, behind: bool = False
) -> contextlib.AbstractContextManager[Drawer | None]:
    """The process drawing the figures of a run that computes them (``forked`` before, or
    forked now; ``behind``: see :func:`_figures_read_last`); none on a cached run, which
    imports nothing of the figures (their package needs pandas)."""
    if not computed:
        return contextlib.nullcontext()
    from cohortpress.artefacts.figures._parallel import start_drawer

    return start_drawer(forked, behind=behind)


def _figures_read_last(formats: Formats, engine: str) -> bool:
    """Whether the run reads its figures only once its documents' pandoc passes are done: the
    embedded engine's HTML pages (alone; typst compiles the PDF from them, pandoc puts them in
    the DOCX, Quarto renders once they are drawn). Its figures are then drawn behind the run's
    own process and pandoc (:class:`~cohortpress.artefacts.figures._parallel.Drawer`)."""
    return set(formats) == {"html"} and not _renders_with_quarto(engine)


def _drawing_process(
    *, computed: bool
) -> contextlib.AbstractContextManager[ProcessPoolExecutor | None]:
    """The figures' drawing process of a run that computes them, forked now (see
    :func:`~cohortpress.artefacts.figures._parallel.drawing_process`); none on a cached run."""
    if not computed:
        return contextlib.nullcontext()
    from cohortpress.artefacts.figures._parallel import drawing_process

    return drawing_process()


def _numbers_in_document_order(engine: str) -> bool:
    """Whether the engine that will render numbers floats in document order (Quarto does; the
    embedded engine numbers them by first citation, as placement does)."""
    return _renders_with_quarto(engine)


def _convert_bibliographies_ahead(
    study: Path, root: Path, profile: str | None, kept: KeptRenders
) -> None:
    """pandoc converts the study's bibliographies while the run reads and analyses (see
    ``render._bibliography.convert_study_ahead``); render options that cannot be read are
    reported by the render, in their place."""
    from cohortpress.errors import CohortpressError
    from cohortpress.render import read_render_options
    from cohortpress.render._bibliography import convert_study_ahead

    with contextlib.suppress(CohortpressError, OSError):
        convert_study_ahead(study, root, read_render_options(root, profile), kept)


def _renders_with_quarto(engine: str) -> bool:
    from cohortpress.render._quarto import quarto_path

    return engine == "quarto" or (engine == "auto" and quarto_path() is not None)


def _figure_suffixes(formats: Formats, engine: str) -> tuple[str, ...]:
    """The files a run draws each figure as, and publishes: those its formats set (see
    :func:`cohortpress.artefacts.figure_suffixes`)."""
    from cohortpress.artefacts import figure_suffixes

    return figure_suffixes(formats, quarto=_renders_with_quarto(engine))


def _keep_cut(
    slot: Slot,
    config: StudyConfig,
    snapshot: StoredSnapshot,
    since: dt.date | None,
    formats: Formats,
    engine: str,
    root: Path,
    profile: str | None,
) -> list[str]:
    """Compare this run with the previous cut (update_report.html), then archive it."""
    import json

    from cohortpress import cuts
    from cohortpress.render import render

    staging = slot.staging
    cuts.carry_forward(slot.root / slot.study, staging)
    previous = cuts.previous_cut(staging / cuts.CUTS, config.data_cutoff, since)
    notes: list[str] = []
    if previous is not None:
        from cohortpress.cuts._report import write_update_report  # with SciPy: only when used

        folder = staging / cuts.CUTS / previous.isoformat()
        before = cuts.Snapshot.read(folder)
        after = snapshot.load()  # read from its Parquet files, as ``before`` is
        changes = cuts.compare_cuts(
            before, after,
            json.loads((folder / "results.json").read_text(encoding="utf-8")),
            json.loads((staging / "results.json").read_text(encoding="utf-8")),
            previous, config.data_cutoff,
        )  # fmt: skip
        write_update_report(staging, changes, before, after, config)
        shown = ("html", "pdf") if "pdf" in formats else ("html",)  # PDF to circulate
        outcome = render(
            staging, formats=cast("tuple[Format, ...]", shown), engine=cast("Engine", engine),
            project_root=root, document="update_report", profile=profile,
        )  # fmt: skip
        notes += outcome.notes
    documents = [name for name in PUBLISHED if (staging / name).is_file()]
    cuts.archive_cut(staging, config.data_cutoff, snapshot, documents)
    return notes


def _stage_sources(config: StudyConfig, staging: Path) -> None:
    from cohortpress.render._staging import copy_from_study, stage_study_files

    staging.mkdir(parents=True)
    manuscript = config.folder / "manuscript.qmd"
    if not manuscript.is_file():
        raise StudyConfigError(f"{manuscript}: the study has no manuscript.qmd")
    copy_from_study(config.folder, "manuscript.qmd", staging)
    if (config.folder / "supplement.qmd").is_file():  # the author's own; else cohortpress's
        copy_from_study(config.folder, "supplement.qmd", staging)
    stage_study_files(config.folder, staging)  # references, citation style, images


def _describe(normalisation: Normalisation) -> str:
    """One line of the data appendix: where, which rule, how often."""
    where = normalisation.sheet
    if normalisation.column is not None:
        where += f', "{normalisation.column}"'
    return f"{where}: {normalisation.rule} ({normalisation.count:,}×)"


def changes_since(
    study: Path | str, *, output_root: Path | None = None, since: dt.date | None = None
) -> list[str]:
    """The published study's latest cut compared with the one before it (or ``since``), as
    lines of text for the terminal."""
    import json

    from cohortpress import cuts
    from cohortpress.cuts._report import summary_lines

    study = Path(study)
    config = load_study(study)
    root = output_root or find_project_root(study) / "_output"
    archive = root / study.resolve().name / cuts.CUTS
    dates = cuts.cut_dates(archive)
    if not dates:
        raise StudyConfigError(f"{archive}: no data cut is archived yet; run cohortpress report")
    latest = dates[-1]
    previous = cuts.previous_cut(archive, latest, since)
    if previous is None:
        return [f"Only one data cut is archived ({latest.isoformat()}): nothing to compare."]
    before, after = archive / previous.isoformat(), archive / latest.isoformat()
    changes = cuts.compare_cuts(
        cuts.Snapshot.read(before), cuts.Snapshot.read(after),
        json.loads((before / "results.json").read_text(encoding="utf-8")),
        json.loads((after / "results.json").read_text(encoding="utf-8")),
        previous, latest,
    )  # fmt: skip
    return summary_lines(changes, config.statistics.small_cell)
