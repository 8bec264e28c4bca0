"""Open an extract for the Dask engine: Parquet files per sheet, read piece by piece.

Layouts
-------
- A folder with a ``patients/`` and an optional ``adverse_events/`` sub-folder of Parquet
  files, hive partitions included (``patients/year=2020/part-0.parquet``);
- or a folder with ``patients.parquet`` and ``adverse_events.parquet``, as for the in-memory
  engine.

The client reads only the files' footers (row groups and row counts) and splits each file into
pieces of whole row groups, at most :data:`PIECE_ROWS` rows each. A worker reads its piece with
the reader the in-memory engine uses for a Parquet file and types every cell with the same
intake functions, so the values are the ones an in-memory run would see. Each row keeps its
place in its file: the file (relative to the extract) is the "sheet" of every message and the
row is the row within the file, the header counted as row 1, as for a single Parquet file.
The hive folder names locate the file; their values are not read as columns: a study must give
the same numbers from one file per sheet on the in-memory engine, which has no folder values,
and every column is typed by its header in ``columns:``, which a folder name does not have.

``dask.dataframe.read_parquet`` is not used for the sheets themselves: it may merge several
files into one partition or split one over several, and it types columns its own way, so
neither the row within a file nor the in-memory typing would survive.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cohortpress.errors import UnreadableInputError

if TYPE_CHECKING:
    from cohortpress.config import StudyConfig
    from cohortpress.intake._fields import FieldSpec
    from cohortpress.intake._sheet import SheetResult

PIECE_ROWS = 250_000  # rows a worker reads at once (whole row groups)
HEADER_ROW = 1


@dataclass(frozen=True)
class Piece:
    """Some consecutive row groups of one Parquet file: one partition of the work."""

    path: str  # the file, absolute
    name: str  # the file relative to the extract folder: the "sheet" of its messages
    row_groups: tuple[int, ...]
    first_row: int  # the row within the file of the piece's first row (the header is row 1)
    rows: int
    last: bool = True  # the file's last piece: its rows end the file's table


@dataclass(frozen=True)
class Extract:
    """The pieces of each sheet an extract holds, and its name for messages."""

    folder: Path
    pieces: dict[str, tuple[Piece, ...]]  # sheet key -> pieces, in file order
    names: dict[str, str]  # sheet key -> folder or file name as in the extract
    size: int  # bytes of all its Parquet files

    def sheet_name(self, key: str) -> str:
        return self.names.get(key, key)


def open_extract(folder: Path, config: StudyConfig, *, events_required: bool) -> Extract:
    """The pieces of the study's sheets; a missing or unreadable file is an error naming it."""
    if not folder.is_dir():
        raise UnreadableInputError(f"{folder}: not a folder of Parquet files")
    wanted = {"patients": config.sheets.get("patients", "patients")}
    if config.adverse_events is not None:
        wanted["adverse_events"] = config.sheets.get("adverse_events", "adverse_events")
    pieces: dict[str, tuple[Piece, ...]] = {}
    names: dict[str, str] = {}
    size = 0
    for key, name in wanted.items():
        files, shown = _sheet_files(folder, name)
        if not files:
            if key == "patients" or events_required:
                raise UnreadableInputError(
                    f"{folder}: no '{name}/' folder of Parquet files and no '{name}.parquet' "
                    "(the sheet names are those of `sheets:` in study.yml)"
                )
            continue
        names[key] = shown
        pieces[key] = tuple(p for f in files for p in _pieces(folder, f))
        size += sum(f.stat().st_size for f in files)
    return Extract(folder, pieces, names, size)


def _sheet_files(folder: Path, name: str) -> tuple[list[Path], str]:
    """The Parquet files of one sheet (a sub-folder, searched through, or one file)."""
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and entry.name.casefold() == name.casefold():
            files = sorted(f for f in entry.rglob("*") if f.suffix.lower() == ".parquet")
            if not files:
                raise UnreadableInputError(f"{entry}: no .parquet files in it or its sub-folders")
            return files, f"{entry.name}/"
        if entry.is_file() and entry.name.casefold() == f"{name}.parquet".casefold():
            return [entry], entry.name
    return [], name


def _pieces(folder: Path, file: Path) -> list[Piece]:
    """The file's row groups in runs of at most :data:`PIECE_ROWS` rows (one group at least)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        metadata = pq.ParquetFile(file).metadata
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise UnreadableInputError(f"{file}: not a readable parquet file ({exc})") from None
    name = file.relative_to(folder).as_posix()
    pieces: list[Piece] = []
    groups: list[int] = []
    first = rows = 0
    for group in range(metadata.num_row_groups):
        n = metadata.row_group(group).num_rows
        if groups and rows + n > PIECE_ROWS:
            pieces.append(
                Piece(str(file), name, tuple(groups), HEADER_ROW + 1 + first, rows, last=False)
            )
            first, groups, rows = first + rows, [], 0
        groups.append(group)
        rows += n
    if groups or not pieces:  # an empty file is one (empty) piece: its header is still read
        pieces.append(Piece(str(file), name, tuple(groups), HEADER_ROW + 1 + first, rows))
    return pieces


def read_piece(piece: Piece, specs: list[FieldSpec], config: StudyConfig) -> SheetResult:
    """One piece's rows typed as intake types a sheet, indexed by their row within the file
    (problems located there too, the rows their texts name included). A row of units is
    looked for in the file's first piece only, note lines under the table in its last: a
    piece's edge inside the file is no table's edge, and read as one, a line there could be
    skipped as a note (with a warning) where the whole file reads a record or stops with an
    error."""
    from cohortpress.intake._dates import DateSettings
    from cohortpress.intake._parquet import read_parquet_row_groups
    from cohortpress.intake._sheet import read_sheet
    from cohortpress.intake._sources import RawSheet

    grid = read_parquet_row_groups(Path(piece.path), list(piece.row_groups))
    dates = DateSettings(tuple(config.date_formats))
    raw = RawSheet(piece.name, grid, headed=True, first_row=piece.first_row, ends=piece.last)
    return read_sheet(raw, specs, dates)
