"""The R Markdown peer of ``make bench``: ``bench/peer/thyroid.Rmd`` timed beside cohortpress.

The peer is the thyroid study written as an R user writes it (survival's survfit and coxph,
base-graphics KM plots, knitr::kable tables), rendered with ``rmarkdown::render`` in a fresh
``Rscript`` per run. It renders ``html_document`` and ``word_document``, and ``pdf_document``
only where a LaTeX engine is installed. It reads the workbook with readxl when that package is
installed, else CSV files the bench writes once into ``bench/data/`` (for the registry sizes,
the generator's CSV extract). R Markdown keeps nothing between runs (knitr's cache is off unless
a chunk asks for it), so a render after a text edit costs what a first render costs: the same
peer time stands beside both. The peer is skipped, with the reason printed, when Rscript or one
of its packages is missing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cohortpress.bench_loop import Timing, run_timed

PEER = Path("bench/peer/thyroid.Rmd")
PACKAGES = ("rmarkdown", "knitr", "survival")
SHEETS = ("patients", "adverse_events")
_FORMATS = {"html": "html_document", "docx": "word_document", "pdf": "pdf_document"}
_LATEX = ("pdflatex", "xelatex", "lualatex", "tectonic")


def missing_peer(peer: Path = PEER) -> str | None:
    """Why the R peer cannot run here, or None when it can."""
    if not peer.is_file():
        return f"{peer} is missing"
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "Rscript is not on PATH"
    check = "; ".join(f"library({name})" for name in PACKAGES)
    check += "; if (!rmarkdown::pandoc_available()) stop('pandoc not found')"
    done = subprocess.run(
        [rscript, "-e", check], capture_output=True, text=True, check=False, timeout=120
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["no message"]
        return f"R cannot render the peer ({lines[0]})"
    return None


def peer_formats(formats: tuple[str, ...]) -> tuple[str, ...]:
    """The formats the peer renders of those asked: PDF only with a LaTeX engine installed."""
    latex = any(shutil.which(name) for name in _LATEX)
    return tuple(f for f in formats if f in _FORMATS and (f != "pdf" or latex))


def has_readxl() -> bool:
    done = subprocess.run(
        ["Rscript", "-e", "quit(status = !requireNamespace('readxl', quietly = TRUE))"],
        capture_output=True, check=False, timeout=120,
    )  # fmt: skip
    return done.returncode == 0


def workbook_as_csv(workbook: Path, folder: Path) -> Path:
    """The workbook's two sheets as ``patients.csv`` and ``adverse_events.csv``, written once
    (again when the workbook is newer)."""
    import pandas as pd

    stamp = folder / ".complete"
    if stamp.exists() and stamp.stat().st_mtime >= workbook.stat().st_mtime:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    sheets = pd.read_excel(workbook, sheet_name=list(SHEETS), engine="calamine")
    for name, frame in sheets.items():
        frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    stamp.touch()
    return folder


def render_peer(data: Path, formats: tuple[str, ...], marker: str, peer: Path = PEER) -> Timing:
    """One ``rmarkdown::render`` of a copy of the peer (with ``marker`` appended, as a text
    edit) in a fresh Rscript, reading ``data``, timed."""
    outputs = ", ".join(f'"{_FORMATS[f]}"' for f in formats)
    with tempfile.TemporaryDirectory(prefix="cohortpress-peer-") as folder:
        source = Path(folder) / peer.name
        source.write_text(
            peer.read_text(encoding="utf-8") + f"\nA sentence added by the bench ({marker}).\n",
            encoding="utf-8",
        )
        call = (
            f'rmarkdown::render("{_r_text(source)}", output_format = c({outputs}), '
            f'params = list(data = "{_r_text(data.resolve())}"), quiet = TRUE)'
        )
        done, timing = run_timed(["Rscript", "-e", call], cwd=folder)
    if done.returncode != 0:
        sys.exit(f"bench: the R peer failed:\n{done.stderr[-3000:]}")
    return timing


def _r_text(path: Path) -> str:
    """A path inside an R string literal."""
    return str(path).replace("\\", "\\\\").replace('"', '\\"')
