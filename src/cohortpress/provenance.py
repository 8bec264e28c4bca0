"""What produced a report: the extract, its data cutoff, the settings and the software.

Recorded on every run, in results.json (``provenance``), the data report and one sentence of
the manuscript, so a published number can be traced to the file it came from and a registry
team can tell two data cuts apart. Nothing here depends on the time of the run: the same
extract and settings give the same record, byte for byte.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from cohortpress.config import DAYS_PER_UNIT

if TYPE_CHECKING:
    import datetime as dt

    from cohortpress.config import StudyConfig
    from cohortpress.intake import Workbook

_CHUNK = 1 << 20


@dataclass(frozen=True)
class InputFile:
    """One file read: its name (relative to the study folder when inside it) and content hash."""

    name: str
    sha256: str
    size: int  # bytes


@dataclass(frozen=True)
class Provenance:
    data_cutoff: dt.date
    inputs: tuple[InputFile, ...]
    study_yml_sha256: str
    rows: dict[str, int]  # sheet (or file) name as the user knows it -> data rows read
    version: str  # cohortpress
    conventions: dict[str, str | float | int | None] = field(default_factory=dict)


def collect_provenance(config: StudyConfig, data: Path, workbook: Workbook) -> Provenance:
    """The record of one run on ``data`` (the workbook, or a folder of CSV/Parquet files)."""
    return make_provenance(config, input_files(config, data), sheet_rows(workbook))


def input_files(config: StudyConfig, data: Path) -> tuple[InputFile, ...]:
    """Every file read from ``data`` with its content hash: the extract's part of the record,
    and of the build cache's key."""
    files = sorted(p for p in data.rglob("*") if p.is_file()) if data.is_dir() else [data]
    return tuple(InputFile(_name(p, config.folder), sha256(p), p.stat().st_size) for p in files)


def sheet_rows(workbook: Workbook) -> dict[str, int]:
    """Data rows read per sheet, by the sheet's name as the user knows it."""
    rows = {workbook.sheet_name("patients"): len(workbook.patients)}
    if workbook.adverse_events is not None:
        rows[workbook.sheet_name("adverse_events")] = len(workbook.adverse_events)
    return rows


def make_provenance(
    config: StudyConfig, inputs: tuple[InputFile, ...], rows: dict[str, int]
) -> Provenance:
    """The record from its parts (a cached run has the rows without the workbook)."""
    from cohortpress.exact_tests import EXACT_BELOW

    s = config.statistics
    conventions: dict[str, str | float | int | None] = {
        "preset": s.conventions,
        "ci_transform": s.ci_transform_in_force,
        "ties": s.ties_in_force,
        "p_style": s.resolved("p_style"),
        "conf_level": s.conf_level,
        "alpha": s.alpha,
        "small_cell": s.small_cell,
        "days_per_month": DAYS_PER_UNIT["months"],
        "wilcoxon_exact_below": EXACT_BELOW,
    }
    return Provenance(
        data_cutoff=config.data_cutoff,
        inputs=inputs,
        study_yml_sha256=sha256(config.folder / "study.yml"),
        rows=rows,
        version=_version(),
        conventions=conventions,
    )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _name(path: Path, folder: Path) -> str:
    """Relative to the study folder's parent project when possible: never an absolute path
    (it would differ between machines and could name a user's home folder)."""
    resolved, base = path.resolve(), folder.resolve()
    for parent in (base, *base.parents):
        if resolved.is_relative_to(parent) and parent != Path(parent.anchor):
            return resolved.relative_to(parent).as_posix()
    return path.name


def _version() -> str:
    try:
        return metadata.version("cohortpress")
    except metadata.PackageNotFoundError:
        return "unknown"
