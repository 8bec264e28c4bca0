"""The command line as a user meets it: exit codes, plain messages, no tracebacks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import yaml
from defects import rewrite_parts

from cohortpress.cli import escape
from cohortpress.config import load_study
from cohortpress.publish import MARKER

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, cwd: Path = ROOT, columns: int = 80) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "cohortpress", *args]
    env = {**os.environ, "COLUMNS": str(columns)}  # the width of the terminal tables are set to
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, env=env)


def test_help_lists_the_commands() -> None:
    done = _run("--help")
    assert done.returncode == 0
    for command in ("report", "validate", "new"):
        assert command in done.stdout


def test_validate_example_is_clean() -> None:
    done = _run("validate", "reports/thyroid")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No problems found" in done.stdout


def test_text_for_the_terminal_shows_control_characters_and_markup() -> None:
    shown = escape("\x1b]8;;http://e\x07link\x1b[31m [bold]x[/]\tend\n")
    assert shown == "\\x1b]8;;http://e\\x07link\\x1b[31m \\[bold]x\\[/]\tend\n"


def test_json_for_the_terminal_escapes_the_controls_json_dumps_leaves() -> None:
    import json

    from cohortpress.cli import _JSON_CONTROLS

    text = json.dumps(["a\x9b[31m\x7f\x1b µ"], ensure_ascii=False).translate(_JSON_CONTROLS)
    assert not any(0x7F <= ord(c) < 0xA0 or ord(c) < 0x20 for c in text)
    assert json.loads(text) == ["a\x9b[31m\x7f\x1b µ"]


def test_a_cell_pasted_from_a_terminal_does_not_drive_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "pasted.xlsx"
    book = openpyxl.load_workbook(ROOT / "data/thyroid_sorafenib.xlsx")
    sheet = book["patients"]
    headers = {cell.value: cell.column for cell in sheet[1]}
    sheet.cell(row=5, column=headers["Sex"], value="PASTED")
    book.save(path)
    pasted = b">X_x001B_[31m_x001B_]0;t_x0007_<"  # Excel's way of writing an ESC in a cell
    rewrite_parts(path, path, lambda _name, data: data.replace(b">PASTED<", pasted))
    done = _run("validate", "reports/thyroid", "--data", str(path))
    assert done.returncode == 1, done.stderr
    assert "X[31m]0;t" in done.stdout  # as the spreadsheet shows it
    assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stdout + done.stderr


@pytest.fixture
def broken_workbook(tmp_path: Path) -> Path:
    """The thyroid workbook with an impossible death date and an unknown sex."""
    path = tmp_path / "broken.xlsx"
    shutil.copy(ROOT / "data/thyroid_sorafenib.xlsx", path)
    book = openpyxl.load_workbook(path)
    sheet = book["patients"]
    headers = {cell.value: cell.column for cell in sheet[1]}
    sheet.cell(row=5, column=headers["Sex"], value="Femal")
    start = sheet.cell(row=7, column=headers["Sorafenib start"]).value
    sheet.cell(row=7, column=headers["Date of death"], value=start.replace(year=start.year - 1))
    book.save(path)
    return path


def test_invalid_workbook_is_reported_and_builds_nothing(
    broken_workbook: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    previous = out / "thyroid"
    previous.mkdir(parents=True)
    (out / MARKER).write_text("", encoding="utf-8")  # an output folder cohortpress made
    (previous / "manuscript.html").write_text("previous run", encoding="utf-8")
    done = _run(
        "report", "reports/thyroid", "--data", str(broken_workbook), "--output", str(out), "-q"
    )
    assert done.returncode == 1
    shown = done.stdout + done.stderr
    assert "Traceback" not in shown
    assert "patients" in shown and "Femal" in shown and "Date of death" in shown
    assert " 5 " in shown and " 7 " in shown  # the Excel rows
    assert "nothing was built" in shown
    assert (previous / "manuscript.html").read_text(encoding="utf-8") == "previous run"
    # Nothing is published or left behind; the study's lock (a run's bookkeeping) may be made.
    assert sorted(p.name for p in out.iterdir() if p.name != ".locks") == [MARKER, "thyroid"]


def test_validate_json_names_row_and_column(broken_workbook: Path) -> None:
    import json

    done = _run("validate", "reports/thyroid", "--data", str(broken_workbook), "--format", "json")
    assert done.returncode == 1
    problems = json.loads(done.stdout)
    located = {(p["row"], p["column"]) for p in problems if p["severity"] == "error"}
    assert (5, "Sex") in located
    assert (7, "Date of death") in located


def test_study_yml_typo_exits_2(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    shutil.copytree(ROOT / "reports/thyroid", folder)
    text = (folder / "study.yml").read_text(encoding="utf-8").replace("time_unit:", "time_units:")
    (folder / "study.yml").write_text(text, encoding="utf-8")
    done = _run("validate", str(folder))
    assert done.returncode == 2
    assert "time_units: unknown key" in done.stderr
    assert "Traceback" not in done.stderr


def test_study_text_in_a_message_is_printed_as_written_never_as_markup(tmp_path: Path) -> None:
    """A label with '[/x]' in a study.yml error stopped the command line with a traceback
    (the terminal's markup read it as a closing tag); '[bold]' was read as a style."""
    folder = tmp_path / "study"
    shutil.copytree(ROOT / "reports/thyroid", folder)
    raw = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    raw["table1"][1]["label"] = "Gender [/x] [bold]"
    raw["table1"].insert(2, raw["table1"][1])
    (folder / "study.yml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    done = _run("validate", str(folder), columns=200)
    assert done.returncode == 2, done.stderr
    assert "shows 'Gender [/x] [bold]' as table1[1] does" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_workbook_exits_2(tmp_path: Path) -> None:
    done = _run("validate", "reports/thyroid", "--data", str(tmp_path / "nope.xlsx"))
    assert done.returncode == 2
    assert "nope.xlsx" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_format_is_refused() -> None:
    done = _run("report", "reports/thyroid", "--to", "pptx")
    assert done.returncode == 2
    assert "pptx" in done.stderr


def test_new_scaffolds_a_loadable_study(tmp_path: Path) -> None:
    done = _run("new", "my_study", "--reports", str(tmp_path))
    assert done.returncode == 0, done.stderr
    config = load_study(tmp_path / "my_study")
    assert [e.kind for e in config.endpoints] == ["pfs", "os"]
    assert (tmp_path / "my_study" / "manuscript.qmd").is_file()
    again = _run("new", "my_study", "--reports", str(tmp_path))
    assert again.returncode == 2
    assert "already exists" in again.stderr


def test_new_template_points_editors_to_the_schema_and_the_reference(tmp_path: Path) -> None:
    done = _run("new", "my_study", "--reports", str(tmp_path / "studies"))
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "studies/my_study/study.yml").read_text(encoding="utf-8").splitlines()
    prefix = "# yaml-language-server: $schema="
    assert lines[0].startswith(prefix)
    target = tmp_path / "studies/my_study" / lines[0].removeprefix(prefix)
    assert target.resolve() == (ROOT / "schemas/study.schema.json").resolve()
    assert any("docs/study-yml.md" in line for line in lines[:5])
    config = load_study(tmp_path / "studies/my_study")
    assert config.date_formats == ("%d/%m/%Y",)  # written DD/MM/YYYY in the template


@pytest.fixture
def misspelt_renal(tmp_path: Path) -> Path:
    """The renal workbook with "Fav" for Favorable in six rows and "ClearCell" in one."""
    path = tmp_path / "misspelt.xlsx"
    shutil.copy(ROOT / "data/renal_sorafenib.xlsx", path)
    book = openpyxl.load_workbook(path)
    sheet = book["patients"]
    headers = {cell.value: cell.column for cell in sheet[1]}
    for row in (3, 5, 8, 12, 14, 20):
        sheet.cell(row=row, column=headers["IMDC risk"], value="Fav")
    sheet.cell(row=7, column=headers["Histology"], value="ClearCell")
    book.save(path)
    return path


def test_validate_groups_repeats_and_gives_the_synonyms_to_paste(
    misspelt_renal: Path, tmp_path: Path
) -> None:
    done = _run("validate", "reports/renal", "--data", str(misspelt_renal), columns=200)
    assert done.returncode == 1
    [imdc_row] = [line for line in done.stdout.splitlines() if "IMDC risk" in line]
    assert "│ Fav " in imdc_row and "│ 6 rows: 3, 5, 8, 12, 14, 20 " in imdc_row
    assert "7 error(s), 0 warning(s)." in done.stdout
    lines = done.stdout.splitlines()
    imdc = lines.index("To read these values as levels, set in study.yml, under variables → imdc:")
    assert lines[imdc + 1] == "  synonyms: {favourable: Favorable, Fav: Favorable}"
    assert "  synonyms: {ClearCell: Clear cell}" in lines

    folder = tmp_path / "renal"  # paste the lines: the study now reads the workbook cleanly
    shutil.copytree(ROOT / "reports/renal", folder)
    raw = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    raw["variables"]["imdc"] |= yaml.safe_load(lines[imdc + 1])
    raw["variables"]["histology"] |= yaml.safe_load("synonyms: {ClearCell: Clear cell}")
    (folder / "study.yml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    again = _run("validate", str(folder), "--data", str(misspelt_renal))
    assert again.returncode == 0, again.stdout
    assert "No problems found" in again.stdout


def test_validate_json_gives_count_and_rows(misspelt_renal: Path) -> None:
    import json

    done = _run("validate", "reports/renal", "--data", str(misspelt_renal), "--format", "json")
    assert done.returncode == 1
    [fav] = [g for g in json.loads(done.stdout) if g["value"] == "Fav"]
    assert (fav["count"], fav["rows"], fav["row"]) == (6, [3, 5, 8, 12, 14, 20], 3)
    assert fav["synonym"] == {"variable": "imdc", "value": "Fav", "level": "Favorable"}


def test_a_bug_exits_70_with_one_line_and_a_log() -> None:
    """An unexpected exception: no traceback on screen, the details in the log it names."""
    code = (
        "import cohortpress.pipeline as pipeline\n"
        "def broken(*args, **kwargs):\n"
        "    raise ZeroDivisionError('division by zero in a stage')\n"
        "pipeline.build_report = broken\n"
        "from cohortpress.cli import main\n"
        "main()\n"
    )
    command = [sys.executable, "-c", code, "report", "reports/thyroid", "-q"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 70
    assert "Traceback" not in done.stderr
    message = done.stderr.strip()
    assert "\n" not in message
    assert (
        "this is a bug in cohortpress (ZeroDivisionError: division by zero in a stage)" in message
    )
    log = Path(message.rsplit("the details are in ", 1)[1].rstrip("."))
    try:
        details = log.read_text(encoding="utf-8")
    finally:
        log.unlink()
    assert "Traceback" in details and "in broken" in details


def test_ctrl_c_in_code_exec_runs_from_a_string_still_exits_130(tmp_path: Path) -> None:
    """A Ctrl-C that lands in code ``exec`` runs from a string (dataclasses build their methods
    so while modules are imported) is handled, yet CPython marks it unhandled, and a process
    started with ``-m`` then killed itself with SIGINT on exit: status -2, not 130."""
    (tmp_path / "interrupted_report.py").write_text(
        "import cohortpress.pipeline as pipeline\n"
        "def interrupted(*args, **kwargs):\n"
        "    exec('raise KeyboardInterrupt', {})\n"
        "pipeline.build_report = interrupted\n"
        "from cohortpress.cli import main\n"
        "main()\n",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "interrupted_report", "report", "reports/thyroid", "-q"]
    environment = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip() == "Error: interrupted; the previous output is left as it was."


_THREAD_SETTINGS = {
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "GOTO_NUM_THREADS",
}

_THREADS_AFTER_NUMPY = """
import os, sys
import cohortpress.cli
from cohortpress import _blas
assert "numpy" not in sys.modules  # the command line sets it before NumPy is imported
if sys.argv[1] == "cli":
    _blas.one_blas_thread()  # as cli.main and the bench's runs do
import numpy, scipy.special
print(len(os.listdir("/proc/self/task")), os.environ.get("OPENBLAS_NUM_THREADS"))
"""


@pytest.mark.skipif(
    not Path("/proc/self/task").is_dir() or (os.cpu_count() or 1) < 2,
    reason="counts the process's threads in /proc, on a machine with two cores or more",
)
@pytest.mark.parametrize(
    ("how", "user_setting", "threads", "setting"),
    [("cli", None, "1", "1"), ("cli", "2", None, "2"), ("library", None, None, None)],
)
def test_the_command_line_keeps_openblas_to_one_thread_unless_the_user_sets_it(
    how: str, user_setting: str | None, threads: str | None, setting: str | None
) -> None:
    """NumPy's and SciPy's OpenBLAS start a thread per core when imported; the command line's
    run is one thread (its parallel work is in processes), a user's setting is kept, and a
    library caller's process is left as it is."""
    # Dask's LocalCluster sets the thread variables in the process that starts it (the tests
    # of the Dask engine run in this one): the child starts from none of them.
    env = {k: v for k, v in os.environ.items() if k not in _THREAD_SETTINGS}
    if user_setting is not None:
        env["OPENBLAS_NUM_THREADS"] = user_setting
    done = subprocess.run(
        [sys.executable, "-c", _THREADS_AFTER_NUMPY, how],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    count, value = done.stdout.split()
    assert value == str(setting)
    if threads is not None:
        assert count == threads
    else:
        assert int(count) > 1


# Ctrl-C while the import lock is held (as by a step of the import machinery), then released.
_LOCK_HELD = """
import _imp, os, signal, time
from cohortpress import cli

cli._keep_interrupts()
_imp.acquire_lock()
os.kill(os.getpid(), signal.SIGINT)
time.sleep(0.2)
print("not raised while the import lock was held", flush=True)
_imp.release_lock()
try:
    time.sleep(10)
except KeyboardInterrupt:
    print("raised once it was released", flush=True)
"""


def test_ctrl_c_is_not_raised_while_the_import_lock_is_held() -> None:
    """Raised there, it would leave the lock held for good: a thread of the run that imports,
    and the interpreter's exit, would wait for it forever."""
    done = subprocess.run(
        [sys.executable, "-c", _LOCK_HELD], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.splitlines() == [
        "not raised while the import lock was held",
        "raised once it was released",
    ], done.stderr


@pytest.mark.parametrize("name", ["../../escaped", "/tmp/absolute", "..", "a/b"])
def test_new_takes_a_name_not_a_path(tmp_path: Path, name: str) -> None:
    """`cohortpress new ../../x` wrote a study folder outside --reports."""
    reports = tmp_path / "deep" / "reports"
    done = _run("new", name, "--reports", str(reports))
    assert done.returncode == 2, done.stderr
    assert "the name of a study folder, not a path" in done.stderr
    assert not any(tmp_path.rglob("study.yml"))
    assert not Path("/tmp/absolute/study.yml").exists()
