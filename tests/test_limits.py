"""Bounded cost from small inputs: YAML bombs and zip bombs are refused before they inflate.

Each refusal is a one-line message with exit code 2 (unreadable input or bad study.yml); a
large but ordinary workbook still reads.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from defects import rewrite_parts, valid_book

from cohortpress._yaml import MAX_YAML_BYTES, MAX_YAML_NODES
from cohortpress.config import load_study
from cohortpress.errors import StudyConfigError, UnreadableInputError
from cohortpress.intake import read_workbook
from cohortpress.intake._zip_limits import MAX_RATIO, RATIO_FLOOR_BYTES
from cohortpress.render._options import load_quarto_config
from cohortpress.render._source import read_source

ROOT = Path(__file__).resolve().parents[1]
THYROID = ROOT / "reports" / "thyroid"
WORKBOOK = ROOT / "data" / "thyroid_sorafenib.xlsx"


def _laughs(levels: int = 9) -> str:
    """The billion laughs: each level an anchor of ten aliases of the level below."""
    lines = ['lol0: &a0 "lol"']
    lines += [f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """The command line, in a process held to 4 GiB of address space: a file that got past a
    limit fails fast instead of taking the machine's memory."""
    command = [sys.executable, "-m", "cohortpress", *args]
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=False, preexec_fn=_held
    )


def _held() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def _refused(path: Path, message: str) -> None:
    """``validate`` on the workbook ``path`` stops with exit code 2 and ``message``, and nothing
    on the way crashed (a traceback, a Rust panic, an allocation the machine refused)."""
    done = _run("validate", "reports/thyroid", "--data", str(path))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    for crash in ("Traceback", "panicked", "memory allocation"):
        assert crash not in done.stderr, done.stderr


def _study_with(tmp_path: Path, extra: str) -> Path:
    folder = tmp_path / "study"
    folder.mkdir()
    text = (THYROID / "study.yml").read_text(encoding="utf-8")
    text = text.replace("data: ../../data/", f"data: {ROOT / 'data'}/")
    (folder / "study.yml").write_text(text + "\n" + extra, encoding="utf-8")
    shutil.copy(ROOT / "_quarto.yml", tmp_path / "_quarto.yml")
    return folder


def test_billion_laughs_in_study_yml_is_refused(tmp_path: Path) -> None:
    folder = _study_with(tmp_path, _laughs())
    with pytest.raises(
        StudyConfigError, match=r"aliases expand to 1,\d{3},\d{3},\d{3} values"
    ) as info:
        load_study(folder)
    assert len(str(info.value)) < 300


def test_billion_laughs_in_study_yml_through_the_cli(tmp_path: Path) -> None:
    folder = _study_with(tmp_path, _laughs())
    done = _run("validate", str(folder))
    assert done.returncode == 2, done.stderr
    assert "anchors and aliases expand to" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr) < 500


def test_modest_anchors_are_still_read(tmp_path: Path) -> None:
    folder = _study_with(tmp_path, _laughs(levels=3))  # 1,111 values: an ordinary document
    with pytest.raises(StudyConfigError, match="lol0: unknown key"):
        load_study(folder)  # read, then refused for its unknown keys, not for its size


def test_oversized_study_yml_is_refused_unread(tmp_path: Path) -> None:
    folder = _study_with(tmp_path, "# " + "x" * MAX_YAML_BYTES + "\n")
    with pytest.raises(StudyConfigError, match="more than the 1,000,000 a study.yml may have"):
        load_study(folder)


def test_billion_laughs_in_the_front_matter_is_refused(tmp_path: Path) -> None:
    (tmp_path / "manuscript.qmd").write_text(f"---\n{_laughs()}---\n\nText.\n", encoding="utf-8")
    with pytest.raises(StudyConfigError, match="front matter: the YAML's anchors") as info:
        read_source(tmp_path)
    assert info.value.exit_code == 2


def test_oversized_quarto_yml_is_refused(tmp_path: Path) -> None:
    big = "\n".join(f"key{i}: value" for i in range(MAX_YAML_NODES))
    (tmp_path / "_quarto.yml").write_text(big, encoding="utf-8")
    with pytest.raises(StudyConfigError, match="_quarto.yml: .* more than the"):
        load_quarto_config(tmp_path)


def _zip_bomb(path: Path, inflated: int) -> Path:
    """The thyroid workbook with its patients sheet replaced by ``inflated`` bytes of XML that
    compress about a thousand to one."""
    row = b'<row><c t="inlineStr"><is><t>lol</t></is></c></row>'
    bomb = b"<worksheet><sheetData>" + row * (inflated // len(row)) + b"</sheetData></worksheet>"
    return rewrite_parts(
        WORKBOOK, path, lambda name, data: bomb if name == "xl/worksheets/sheet1.xml" else data
    )


def test_xlsx_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    bomb = _zip_bomb(tmp_path / "bomb.xlsx", 4 * RATIO_FLOOR_BYTES)
    info = zipfile.ZipFile(bomb).getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size > MAX_RATIO * info.compress_size  # the premise: a real bomb
    with pytest.raises(UnreadableInputError, match="sheet1.xml would inflate .* zip bomb"):
        read_workbook(bomb, load_study(THYROID))


def test_xlsx_zip_bomb_through_the_cli(tmp_path: Path) -> None:
    bomb = _zip_bomb(tmp_path / "bomb.xlsx", 4 * RATIO_FLOOR_BYTES)
    done = _run("validate", "reports/thyroid", "--data", str(bomb))
    assert done.returncode == 2, done.stderr
    assert "zip bomb" in done.stderr and "it was not read" in done.stderr
    assert "Traceback" not in done.stderr


def _with_a_far_cell(path: Path, cell: bytes) -> Path:
    """The thyroid workbook with ``cell`` added to its patients sheet, in the sheet's last row."""
    far = b'<row r="1048576">' + cell + b"</row></sheetData>"

    def patients(name: str, data: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return data
        assert data.count(b"</sheetData>") == 1
        return data.replace(b"</sheetData>", far)

    return rewrite_parts(WORKBOOK, path, patients)


def test_a_value_far_outside_the_table_is_refused_before_its_grid_is_built(
    tmp_path: Path,
) -> None:
    """One value in the sheet's last cell: calamine would build a grid of 17 billion cells."""
    far = _with_a_far_cell(tmp_path / "far.xlsx", b'<c r="XFD1048576"><v>1</v></c>')
    done = _run("validate", "reports/thyroid", "--data", str(far))
    assert done.returncode == 2, done.stderr
    assert "sheet 'patients': its values reach row 1,048,576 and column XFD" in done.stderr
    assert "something was typed far outside the table" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("reference", "where"),
    [
        (b"Q4000000000", "a cell at row 4,000,000,000, column 17"),  # asked for 3 TB
        (b"AAAA2", "a cell at row 2, column 18,279"),
        (b"XFE2", "a cell at row 2, column 16,385"),
    ],
)
def test_an_xlsx_cell_numbered_past_excels_last_row_or_column_is_refused(
    tmp_path: Path, reference: bytes, where: str
) -> None:
    """A damaged or forged .xlsx: calamine would build a grid reaching the cell."""
    path = rewrite_parts(
        WORKBOOK,
        tmp_path / "damaged.xlsx",
        lambda name, data: (
            data.replace(b'<c r="B2"', b'<c r="' + reference + b'"', 1)
            if name == "xl/worksheets/sheet1.xml" else data
        ),
    )  # fmt: skip
    _refused(path, f"sheet 'patients': {where}, outside any Excel sheet")


def test_a_formatted_empty_cell_far_away_is_no_value(tmp_path: Path) -> None:
    """Formatting a far cell, or a whole row, gives calamine nothing to read: it is ignored."""
    far = _with_a_far_cell(tmp_path / "formatted.xlsx", b'<c r="XFD1048576" s="1"/>')
    config = load_study(THYROID)
    workbook = read_workbook(far, config)
    assert workbook.patients.equals(read_workbook(WORKBOOK, config).patients)
    assert workbook.problems == ()


def test_an_ods_with_a_value_far_outside_the_table_is_refused_before_it_is_opened(
    tmp_path: Path,
) -> None:
    """calamine builds every sheet of an .ods when it opens it: a value a million rows down
    in a file of a few kilobytes would take gigabytes."""
    fixture = ROOT / "tests" / "fixtures" / "spreadsheets" / "messy.ods"
    far = (
        b'<table:table-row table:number-rows-repeated="1048000"><table:table-cell/>'
        b"</table:table-row><table:table-row><table:table-cell table:number-columns-repeated="
        b'"16383"/><table:table-cell office:value-type="float" office:value="1"><text:p>1'
        b"</text:p></table:table-cell></table:table-row></table:table>"
    )
    path = rewrite_parts(
        fixture,
        tmp_path / "far.ods",
        lambda name, data: (
            data.replace(b"</table:table>", far, 1) if name == "content.xml" else data
        ),
    )
    with pytest.raises(UnreadableInputError, match="sheet 'patients': its values reach row "
                       "2,096,577 and column XFD"):  # fmt: skip
        read_workbook(path, load_study(THYROID))


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ((1_048_575, 16_383), "its values reach row 1,048,576 and column XFD, a grid of "
                              "17,179,869,184 cells"),
        ((5, 4_000_000_000), "a cell at row 6, column 4,000,000,001, outside any Excel sheet"),
        ((2_000_000, 0), "a cell at row 2,000,001, column 1, outside any Excel sheet"),
    ],
)  # fmt: skip
def test_an_xlsb_sheet_calamine_could_not_hold_is_refused_before_it_is_read(
    tmp_path: Path, cell: tuple[int, int], message: str
) -> None:
    """A 1.3 kB binary workbook with one value in XFD1048576 (or a column past Excel's last,
    as a damaged or forged file has) aborted the process: calamine's grid could not be
    allocated. A row past Excel's last ended calamine's reading without a word."""
    from xlsb import book_cells, sheet_records, write_xlsb

    book = valid_book()
    far = write_xlsb(
        {
            "patients": sheet_records([*book_cells(book, "patients"), (*cell, "x")]),
            "adverse_events": sheet_records(book_cells(book, "adverse_events")),
        },
        tmp_path / "far.xlsb",
    )
    _refused(far, f"sheet 'patients': {message}")


def test_an_xlsb_cell_indexing_a_text_the_workbook_does_not_hold_is_refused(
    tmp_path: Path,
) -> None:
    """calamine's reader stopped the run with a Rust panic (an index past its table of
    texts), printed as a traceback; the walk finds the cell first."""
    import struct

    from xlsb import book_cells, record, sheet_records, write_xlsb

    book = valid_book()
    strings: list[str] = []
    patients = sheet_records(book_cells(book, "patients"), strings=strings)
    row = record(0x0000, struct.pack("<IIHHBI", 40, 0, 300, 0, 0, 0))  # BrtRowHdr, row 41
    cell = record(0x0007, struct.pack("<III", 0, 0, 999_999))  # BrtCellIsst, no such text
    damaged = patients.replace(record(0x0092), row + cell + record(0x0092), 1)
    events = sheet_records(book_cells(book, "adverse_events"), strings=strings)
    path = write_xlsb({"patients": damaged, "adverse_events": events}, tmp_path / "d.xlsb", strings)
    _refused(
        path, "sheet 'patients': a cell at row 41, column 1, a text the workbook does not hold"
    )


def test_a_panic_of_the_spreadsheet_reader_is_an_unreadable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any other inconsistency calamine's reader stops at (a Rust panic, which Python raises
    as a BaseException of pyo3's) is reported as a damaged file, not a traceback."""
    from cohortpress.intake import _excel

    panic = type("PanicException", (BaseException,), {"__module__": "pyo3_runtime"})

    def stops(*_: object) -> None:
        raise panic("index out of bounds: the len is 0 but the index is 999")

    monkeypatch.setattr(_excel, "_grid", stops)
    with pytest.raises(UnreadableInputError, match="not a readable spreadsheet .index out of"):
        read_workbook(WORKBOOK, load_study(THYROID))
    monkeypatch.setattr(_excel, "_grid", lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):  # any other BaseException goes on as it is
        read_workbook(WORKBOOK, load_study(THYROID))


@pytest.mark.parametrize(
    ("record", "fields", "message"),
    [
        (0x00FD, ("<HH", 29_999, 20_940),  # a text cell (LABELSST) moved far away
         "a cell at row 30,000, column 20,941, outside any Excel 97-2003 sheet"),
        (0x0200, ("<II", 0, 15_419_837),  # the sheet's used range (DIMENSIONS)
         "its records declare its cells in rows 1 to 15,419,837 and columns 1 to 24, which no "
         "Excel 97-2003 sheet has"),
    ],
)  # fmt: skip
def test_an_xls_sheet_calamine_could_not_hold_is_refused_before_the_file_is_opened(
    tmp_path: Path, record: int, fields: tuple, message: str
) -> None:
    """A damaged or forged .xls: calamine reads every sheet when it opens the file, and asked
    for a grid of 15 to 4,000 GB (damaged files it was given); the process was aborted."""
    import struct

    import olefile

    path = tmp_path / "damaged.xls"
    shutil.copy(ROOT / "tests" / "fixtures" / "spreadsheets" / "messy.xls", path)
    with olefile.OleFileIO(str(path), write_mode=True) as compound:
        stream = bytearray(compound.openstream("Workbook").read())
        at = 0
        while struct.unpack_from("<H", stream, at)[0] != record:  # the first such record
            at += 4 + struct.unpack_from("<H", stream, at + 2)[0]
        struct.pack_into(fields[0], stream, at + 4, *fields[1:])
        compound.write_stream("Workbook", bytes(stream))
    _refused(path, f"sheet 'patients': {message}")


def test_an_xlsx_declaring_more_texts_than_it_holds_is_refused_before_it_is_opened(
    tmp_path: Path,
) -> None:
    """calamine reserves room for the texts a workbook's table declares when it opens the
    file: a 2 kB part declaring four billion asked for 96 GB and the process was aborted. A
    table as Excel and XlsxWriter write it (the same count declared and held) reads."""
    import xlsxwriter

    book = valid_book()
    path = tmp_path / "shared.xlsx"
    with xlsxwriter.Workbook(str(path)) as workbook:  # texts in a shared table, as Excel's
        for key, name in book.sheet_names.items():
            sheet = workbook.add_worksheet(name)
            for r, row in enumerate(book.grid(key)):
                for c, value in enumerate(row):
                    if value is not None:
                        sheet.write(r, c, value if not hasattr(value, "isoformat") else
                                    value.isoformat())  # fmt: skip
    config = load_study(THYROID)
    assert b"uniqueCount" in zipfile.ZipFile(path).read("xl/sharedStrings.xml")
    read_workbook(path, config)  # no error: the count declared is the count held
    forged = rewrite_parts(
        path,
        tmp_path / "forged.xlsx",
        lambda name, data: (
            re.sub(rb'uniqueCount="\d+"', b'uniqueCount="4000000000"', data)
            if name == "xl/sharedStrings.xml" else data
        ),
    )  # fmt: skip
    _refused(forged, "declares 4,000,000,000 of them and holds")


@pytest.mark.parametrize(
    "cell",
    [
        b'<table:table-cell table:style-name="ce2" office:value-type="percentage"',
        b'<table:table-cell table:formula="of:=1/0" office:value-type="string"',
    ],
)
def test_an_ods_cell_repeated_past_the_sheets_bounds_is_read_within_them(
    tmp_path: Path, cell: bytes
) -> None:
    """A percentage or an error cell repeated a hundred billion times (a damaged or forged
    count): calamine bounds the sheet itself; intake listed every repeat, or put an error back
    a hundred billion columns out, and failed (an IndexError, a MemoryError)."""
    fixture = ROOT / "tests" / "fixtures" / "spreadsheets" / "messy.ods"
    path = rewrite_parts(
        fixture,
        tmp_path / "repeated.ods",
        lambda name, data: (
            data.replace(cell, cell + b' table:number-columns-repeated="99999999999"', 1)
            if name == "content.xml" else data
        ),
    )  # fmt: skip
    done = _run("validate", "reports/thyroid", "--data", str(path))
    assert done.returncode in (1, 2), done.stderr  # the cells after it are moved: problems
    assert "Traceback" not in done.stderr and "bug in cohortpress" not in done.stderr


def test_a_large_ordinary_workbook_still_reads(tmp_path: Path) -> None:
    """20,000 patients: tens of megabytes of sheet XML, compressed about ten to one."""
    sys.path.insert(0, str(ROOT / "data"))
    import make_registry

    frame = make_registry.patients_frame(np.random.default_rng(1), 20_000)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("patients")
    sheet.append(list(frame.columns))
    for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
        sheet.append([v.to_pydatetime() if hasattr(v, "to_pydatetime") else v for v in row])
    path = tmp_path / "registry.xlsx"
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    workbook = read_workbook(path, load_study(THYROID))
    assert len(workbook.patients) == 20_000
    assert workbook.patients["patient_id"].notna().all()


@pytest.mark.parametrize(
    ("rows", "extent"),
    [
        # a value row standing for a million rows, its value cell for every column
        (
            b'<table:table-row table:number-rows-repeated="1000000"><table:table-cell table:'
            b'number-columns-repeated="16384" office:value-type="float" office:value="1"/>'
            b"</table:table-row>",
            (1_000_000, 16_384, 1),
        ),
        # values after repeated empty cells and rows: column 7, row 5
        (
            b'<table:table-row><table:table-cell office:value-type="string"/><table:table-cell'
            b' table:number-columns-repeated="5"/><table:table-cell office:value-type="float"/>'
            b'</table:table-row><table:table-row table:number-rows-repeated="3"><table:table-'
            b"cell/></table:table-row><table:table-row><table:table-cell office:value-type="
            b'"float"/></table:table-row><table:table-row table:number-rows-repeated="1048000">'
            b"<table:table-cell/></table:table-row>",
            (5, 7, 3),
        ),
    ],
)
def test_an_ods_sheets_extent_counts_its_repeated_rows_and_cells(rows: bytes, extent) -> None:
    from cohortpress.intake._ods_xml import _last_row_with_a_value, _width_and_values

    table = b'<table:table table:name="p">' + rows + b"</table:table>"
    assert (_last_row_with_a_value(table), *_width_and_values(table)) == extent


def test_a_workbook_part_in_an_encoding_python_does_not_know_raises_no_traceback(
    tmp_path: Path,
) -> None:
    """The parts intake reads beside calamine (the workbook's sheet list, its styles) in an
    encoding Python does not know (a damaged declaration): left for calamine to read or
    report, as any other part that cannot be read; it was a LookupError's traceback."""
    path = rewrite_parts(
        WORKBOOK,
        tmp_path / "encoding.xlsx",
        lambda name, data: (
            b'<?xml version="1.0" encoding="UTF-65536"?>' + data
            if name in ("xl/workbook.xml", "xl/styles.xml") else data
        ),
    )  # fmt: skip
    done = _run("validate", "reports/thyroid", "--data", str(path))
    assert done.returncode in (0, 1, 2), done.stderr
    assert "Traceback" not in done.stderr and "LookupError" not in done.stderr


def test_terms_as_long_as_a_cell_holds_are_compared_as_written(tmp_path: Path) -> None:
    """Ten adverse event terms of 32,767 characters (Excel's most): the search for near
    spellings made every term with one letter left out, the square of a term's length (0.8
    GB a term; more than 4 GiB and ten minutes for ten)."""
    path = tmp_path / "long.xlsx"
    book = openpyxl.load_workbook(ROOT / "data/thyroid_sorafenib.xlsx")
    events = book["adverse_events"]
    for row in range(2, 12):
        events.cell(row=row, column=2, value=("Rash " * 6600)[: 32767 - 3] + f"{row:03d}")
    book.save(path)
    done = _run("validate", "reports/thyroid", "--data", str(path))
    assert done.returncode == 0, done.stderr
    assert "memory" not in done.stderr and "Traceback" not in done.stderr


def test_an_xlsx_row_written_twice_is_refused(tmp_path: Path) -> None:
    """A row element repeated in the sheet's XML (a damaged file, or an export gone wrong):
    calamine read the two as one row, the later cells replacing the earlier, silently."""

    def repeated(name: str, data: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return data
        start = data.index(b'<row r="3"')
        end = data.index(b"</row>", start) + len(b"</row>")
        later = data[start:end].replace(b'<c r="B3"', b'<c r="B3" s="0"', 1)  # a changed copy
        return data[:end] + later + data[end:]

    path = rewrite_parts(WORKBOOK, tmp_path / "repeated.xlsx", repeated)
    _refused(path, "sheet 'patients': row 3 is written twice in the file")


@pytest.mark.parametrize("where", ["same row", "another row"])
def test_an_xlsx_cell_written_twice_is_refused(tmp_path: Path, where: str) -> None:
    """A cell element repeated in the sheet's XML: calamine keeps the later value, and the
    earlier is lost without a word. Repeated inside its row, or in another row's element."""

    def repeated(name: str, data: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return data
        start = data.index(b'<c r="C4"')
        end = data.index(b"</c>", start) + len(b"</c>")
        row = data.index(b'<row r="5"') if where == "another row" else None
        at = end if row is None else data.index(b">", row) + 1
        return data[:at] + data[start:end] + data[at:]

    path = rewrite_parts(WORKBOOK, tmp_path / "repeated.xlsx", repeated)
    _refused(path, "sheet 'patients': cell C4 is written twice in the file")


def test_an_xlsx_text_cell_holding_nothing_is_read_as_it_is(tmp_path: Path) -> None:
    """A cell whose inline text is empty holds a value calamine reads as empty: the sheet is
    looked at closer, and read, since no cell repeats."""

    def emptied(name: str, data: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return data
        start = data.index(b'<c r="C4"')
        end = data.index(b"</c>", start) + len(b"</c>")
        return data[:start] + b'<c r="C4" t="inlineStr"><is><t></t></is></c>' + data[end:]

    path = rewrite_parts(WORKBOOK, tmp_path / "emptied.xlsx", emptied)
    done = _run("validate", "reports/thyroid", "--data", str(path))
    assert "written twice" not in done.stderr and "Traceback" not in done.stderr
