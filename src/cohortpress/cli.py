"""The command line: ``cohortpress report``, ``validate``, ``new``, ``changes`` and ``preview``.

Errors a user can cause are printed in plain words with a documented exit code, and the CLI never
shows a traceback: a bug gets a one-line message and its traceback goes to a log file. Exit
codes: 0 success, 1 invalid data, 2 unreadable input, invalid study.yml or a refused --output
folder, 3 rendering failed, 4 the output folder cannot be written (read-only, full), 5 another
run of the study is publishing to the same output folder, 70 a bug in cohortpress,
130 interrupted.
"""

from __future__ import annotations

import _imp
import atexit
import contextlib
import datetime as dt
import json
import os
import sys
import tempfile
import threading
import traceback
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape as escape_markup
from rich.table import Table

from cohortpress._blas import one_blas_thread
from cohortpress.errors import (
    BUG_EXIT_CODE,
    INTERRUPTED_EXIT_CODE,
    CohortpressError,
    InputDataError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType

    from rich.progress import TaskID

    from cohortpress.config import StudyConfig
    from cohortpress.errors import Problem
    from cohortpress.preview import Build

app = typer.Typer(
    help="Turn a retrospective cohort workbook into a manuscript (HTML, PDF, DOCX).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()
_process = {"exit_at_once": False}  # set by main(): the process is cohortpress's own


class Engine(StrEnum):
    auto = "auto"
    quarto = "quarto"
    embedded = "embedded"


class EngineData(StrEnum):
    auto = "auto"
    pandas = "pandas"
    dask = "dask"


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


StudyArg = Annotated[
    Path, typer.Argument(help="The study folder, e.g. reports/my_study.", show_default=False)
]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since", help="Compare with the data cut of this cutoff (YYYY-MM-DD).", show_default=False
    ),
]
DataOpt = Annotated[
    Path | None,
    typer.Option("--data", help="Another workbook (xlsx, csv or parquet) for the same study."),
]


# The control characters but tab and line feed, each shown as its escape (\x1b) instead of
# sent: text from a workbook, a file or a sheet name reaches the terminal, and an ESC in a
# cell could otherwise recolour it, retitle it or write a link into it.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if c not in (9, 10)}


# What json.dumps leaves unescaped of them (it escapes those below 0x20): as JSON escapes.
_JSON_CONTROLS = {c: f"\\u{c:04x}" for c in (0x7F, *range(0x80, 0xA0))}


def _for_terminal(text: str) -> str:
    """``text`` with its control characters shown, not sent (see :data:`_CONTROLS`)."""
    return text.translate(_CONTROLS)


def escape(text: str) -> str:
    """``text`` for rich: its markup escaped and its control characters shown."""
    return escape_markup(_for_terminal(text))


@app.command()
def report(
    study: StudyArg,
    data: DataOpt = None,
    to: Annotated[str, typer.Option("--to", help="Formats, comma-separated.")] = "html,pdf,docx",
    engine: Annotated[
        Engine, typer.Option(help="quarto if on PATH (auto), else embedded.")
    ] = Engine.auto,
    output: Annotated[
        Path | None, typer.Option("--output", help="Folder for <study>/ (default: _output).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="A Quarto profile, _quarto-<name>.yml: 'submission' for double spacing, line "
            "numbers, and tables and figures after the references.",
        ),
    ] = None,
    since: SinceOpt = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Read, validate, analyse and draw anew instead of reusing the build cache "
            "(_output/.cache) of an earlier run with the same workbook, study.yml and figure "
            "size.",
        ),
    ] = False,
    engine_data: Annotated[
        EngineData,
        typer.Option(
            "--engine-data",
            help="Where the data are held: pandas (in this process), dask (read, validated, "
            "derived and analysed on a Dask cluster, partition by partition), or auto: dask, "
            "when installed, for a partitioned extract (a patients/ folder of Parquet files, "
            "which only dask reads), for a folder of Parquet files above 256 MiB, or with "
            "--scheduler; else pandas.",
        ),
    ] = EngineData.auto,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="The Dask scheduler of an existing cluster, e.g. tcp://10.0.0.5:8786 (default: "
            "a local cluster of 2 worker processes, closed at the end). Its workers need "
            "cohortpress installed and the extract at the same path.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Validate the workbook, analyse it and render the manuscript to _output/<study>/."""
    formats = [f.strip() for f in to.split(",") if f.strip()]
    unknown = sorted(set(formats) - {"html", "pdf", "docx"})
    if unknown:
        _fail(f"--to: unknown format(s) {', '.join(unknown)}; choose from html, pdf, docx", 2)
    with _guard():
        from cohortpress.pipeline import build_report

        if _process["exit_at_once"]:
            from cohortpress import _gc

            _gc.for_this_process()  # the process ends with the run: see cohortpress._gc
        hook = None if quiet or not err.is_terminal else _progress_hook()
        folder = build_report(
            study, data=data, formats=formats, engine=engine.value, output_root=output,
            hook=hook, profile=profile, since=_cutoff(since), cache=not no_cache,
            engine_data=engine_data.value, scheduler=scheduler,
        )  # fmt: skip
    for note in folder.notes:
        err.print(f"[yellow]Note:[/yellow] {escape(note)}", highlight=False)
    if not quiet:
        err.print(f"[green]Done:[/green] {escape(str(folder.folder))}")
    if _process["exit_at_once"]:
        _exit_at_once()


def _exit_at_once(code: int = 0) -> None:
    """End a finished ``report`` without tearing the interpreter down, which takes a third of
    a second or more after a run (freeing pandas, matplotlib and the cached results object by
    object). Nothing is left undone: the outputs are published and the output folder's lock
    released, no other thread or child process is running (else the process exits as usual),
    the exit handlers run (temporary files, logging) and the streams are flushed.

    An interrupted command ends so too, with ``code`` 130. Through the interpreter's own exit,
    ``python -m cohortpress`` would die of SIGINT instead (status -2) whenever the Ctrl-C had
    landed in code that ``exec`` runs from a string, as dataclasses build their methods while
    modules are imported: CPython then marks the interrupt unhandled though it was caught, and
    ``-m`` kills itself with it on exit."""
    if threading.active_count() > 1:
        return
    atexit._run_exitfuncs()  # noqa: SLF001 - what interpreter shutdown would run first
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


@app.command()
def changes(
    study: StudyArg,
    since: SinceOpt = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="Folder holding <study>/ (default: _output).")
    ] = None,
) -> None:
    """What changed between the latest data cut and the one before (or --since)."""
    with _guard():
        from cohortpress.pipeline import changes_since

        found = changes_since(study, output_root=output, since=_cutoff(since))
    for line in found:
        out.print(line, markup=False, highlight=False)


@app.command()
def preview(
    study: StudyArg,
    data: DataOpt = None,
    port: Annotated[
        int,
        typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 (default: a free one)."),
    ] = 0,
    browser: Annotated[
        bool, typer.Option("--browser/--no-browser", help="Open the manuscript in the browser.")
    ] = True,
) -> None:
    """Rebuild the HTML whenever the study's files change and show it live (Ctrl-C stops)."""
    with _guard():
        from cohortpress.preview import Preview

        session = Preview(study, data=data, port=port)
    session.serve()
    err.print(f"Preview of {escape(str(study))} at {session.url} (Ctrl-C to stop)", highlight=False)
    if browser:
        import webbrowser

        webbrowser.open(session.url)
    try:
        session.watch(_print_build)
    except KeyboardInterrupt:
        pass  # the way to stop a preview: exit 0
    finally:
        session.close()
    err.print("Preview stopped.")


def _print_build(build: Build) -> None:
    """One line per build in the terminal; invalid data lists its problems as ``report`` does."""
    when = dt.datetime.now().strftime("%H:%M:%S")
    if build.ok:
        err.print(f"[green]{when} Built[/green] (version {build.version})", highlight=False)
        for note in build.notes:
            err.print(f"[yellow]Note:[/yellow] {escape(note)}", highlight=False)
        return
    if build.problems:
        _print_problems(list(build.problems))
    message = escape(build.message or "")
    err.print(f"[red]{when} Not built:[/red] {message}", highlight=False, soft_wrap=True)


def _cutoff(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _fail(f"--since {text}: not a date; write it as YYYY-MM-DD", 2)
        raise


@app.command()
def validate(
    study: StudyArg,
    data: DataOpt = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="table or json.")
    ] = OutputFormat.table,
) -> None:
    """Check the workbook against the study's rules and list every problem."""
    from cohortpress.pipeline import check_workbook

    with _guard():
        _config, _workbook, result = check_workbook(study, data)
    if format is OutputFormat.json:
        from cohortpress.validate._report import group_problems

        groups = group_problems(result.problems, _config)
        text = json.dumps([g.as_dict() for g in groups], ensure_ascii=False, indent=2)
        out.out(text.translate(_JSON_CONTROLS), highlight=False)
    else:
        _print_problems(list(result.problems), _config)
    if not result.ok:
        raise typer.Exit(InputDataError.exit_code)


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="Name of the new study folder.")],
    reports: Annotated[Path, typer.Option(help="Where study folders live.")] = Path("reports"),
) -> None:
    """Scaffold a study folder with a commented study.yml and manuscript.qmd."""
    from cohortpress.scaffold import new_study_folder, scaffold_study

    with _guard():
        folder = scaffold_study(new_study_folder(reports, name))
    err.print(
        f"Created {escape(str(folder))}: edit study.yml, then run "
        f"`cohortpress report {escape(str(folder))}`."
    )


def _print_problems(problems: list[Problem], config: StudyConfig | None = None) -> None:
    """One row per column, rule and value with its Excel rows; then the synonyms to declare."""
    from cohortpress.validate._report import group_problems, synonyms_to_add

    if not problems:
        out.print("[green]No problems found.[/green]")
        return
    groups = group_problems(problems, config)
    table = Table(title="Problems in the workbook", show_lines=False)
    for column in ("", "Sheet", "Column", "Value", "Rule", "Rows"):
        table.add_column(column, overflow="fold")
    for g in groups:
        rule = g.rule + (f" ({g.suggestion})" if g.suggestion else "")
        mark = "[red]error[/red]" if g.severity == "error" else "[yellow]warning[/yellow]"
        cells = (g.sheet, g.column or "", g.values_text(), rule, g.rows_text())
        table.add_row(mark, *(escape(cell) for cell in cells))
    out.print(table)
    errors = sum(p.severity == "error" for p in problems)
    out.print(f"{errors} error(s), {len(problems) - errors} warning(s).")
    for name, line in synonyms_to_add(groups, config).items() if config else ():
        where = f"variables → {name}"
        out.print(f"\nTo read these values as levels, set in study.yml, under {escape(where)}:")
        out.print(f"  {_for_terminal(line)}", markup=False, highlight=False)


@contextlib.contextmanager
def _guard() -> Iterator[None]:
    """Turn a user-caused error into its message and exit code."""
    try:
        yield
    except InputDataError as exc:
        _print_problems(exc.problems)
        _fail(f"{exc} Fix the rows above and run again.", exc.exit_code)
    except CohortpressError as exc:
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted; the previous output is left as it was.", INTERRUPTED_EXIT_CODE)


def _fail(message: str, code: int) -> None:
    err.print(f"[red]Error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    if code == INTERRUPTED_EXIT_CODE and _process["exit_at_once"]:
        _exit_at_once(code)  # see there: the interrupt is handled, the exit status says so
    raise typer.Exit(code)


class _StageProgress:
    """The stages as spinners, and (Dask engine) the partitions of a stage as a bar."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
            MofNCompleteColumn(), TimeElapsedColumn(), console=err,
        )  # fmt: skip
        self.tasks: dict[str, TaskID] = {}

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        with self.progress:
            # A stage in two parts (the figures: built, then waited for) keeps its one line.
            task = self.tasks.get(name)
            if task is None:
                task = self.tasks[name] = self.progress.add_task(name.capitalize(), total=None)
            else:
                self.progress.update(task, completed=0, total=None)
            yield
            self.progress.update(task, completed=1, total=1)

    def partitions(self, label: str, total: int) -> Callable[[], None]:
        """A bar of ``total`` partitions; the returned callable marks one done."""
        task = self.progress.add_task(f"  {label}: partitions", total=total)
        return lambda: self.progress.advance(task)


def _progress_hook() -> _StageProgress:
    return _StageProgress()


def main() -> None:
    _process["exit_at_once"] = True
    one_blas_thread()
    _keep_interrupts()
    try:
        app(prog_name="cohortpress")
    except Exception as exc:  # noqa: BLE001 - anything not caught by _guard is a bug
        _report_bug(exc)


def _keep_interrupts() -> None:
    """A Ctrl-C is raised where it does no lasting harm, or sent again a moment later.

    Where it lands in a finaliser or a weakref callback (a library cleaning up while it is
    imported, say) it cannot be raised: Python would print it as an ignored exception, with
    its traceback, and the run would go on. Where it lands while the import lock is held (a
    step of the import machinery between taking the lock and the block that releases it), it
    would leave the lock held for good, and any thread of the run that imports, and the
    interpreter's exit, would wait for it forever. Either way the signal is sent again a
    moment later instead, so the command stops and says so."""
    import signal

    default = sys.unraisablehook

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            default(unraisable)
            return
        # Raised here, in the main thread, it would land in this hook again: from a timer
        # thread, it lands where the main thread is when the callback has returned.
        _interrupt_again()

    def interrupt(signum: int, frame: FrameType | None) -> None:
        if _imp.lock_held():
            _interrupt_again()
            return
        signal.default_int_handler(signum, frame)

    sys.unraisablehook = hook
    signal.signal(signal.SIGINT, interrupt)


def _interrupt_again() -> None:
    """Send Ctrl-C to this process again in a hundredth of a second, from another thread."""
    import signal

    again = threading.Timer(0.01, os.kill, (os.getpid(), signal.SIGINT))
    again.daemon = True
    again.start()


def _report_bug(exc: Exception) -> None:
    """One line for the user, the traceback in a log file they can attach to a bug report."""
    err.print(f"[red]Error:[/red] {escape(bug_message(exc))}", highlight=False, soft_wrap=True)
    sys.exit(BUG_EXIT_CODE)


def bug_message(exc: Exception) -> str:
    """The one line telling a bug, after writing its traceback to a log file."""
    summary = f"{type(exc).__name__}: {exc}".splitlines()[0]
    try:
        fd, log = tempfile.mkstemp(prefix="cohortpress-bug-", suffix=".log")
        os.close(fd)
        Path(log).write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        details = f"the details are in {log}"
    except OSError:
        details = "the details could not be written to a log file"
    return f"this is a bug in cohortpress ({summary}); please report it, {details}."


if __name__ == "__main__":
    main()
    sys.exit(0)
