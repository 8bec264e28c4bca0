"""The record walks of the binary workbooks (.xlsb, .xls) on damaged files: whatever the bytes,
they read what they can and leave the file to calamine, which reads or reports it, or refuse
an extent calamine could not hold; they never fail otherwise (an IndexError or struct.error
would be a traceback)."""

from __future__ import annotations

import struct

from defects import valid_book
from hypothesis import given, settings
from hypothesis import strategies as st
from xlsb import book_cells, sheet_records

from cohortpress.errors import UnreadableInputError
from cohortpress.intake import _xls, _xlsb

SHEET = sheet_records(book_cells(valid_book(), "patients"))


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` cut short, with bytes overwritten, inserted or removed."""
    out = bytearray(data[: draw(st.integers(0, len(data)))])
    for _ in range(draw(st.integers(0, 6))):
        if not out:
            break
        at = draw(st.integers(0, len(out) - 1))
        change = draw(st.sampled_from(["overwrite", "insert", "remove"]))
        chunk = draw(st.binary(min_size=1, max_size=8))
        if change == "overwrite":
            out[at : at + len(chunk)] = chunk
        elif change == "insert":
            out[at:at] = chunk
        else:
            del out[at : at + len(chunk)]
    return bytes(out)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(damaged(SHEET), st.frozensets(st.integers(0, 3)))
def test_a_damaged_xlsb_sheet_is_read_as_far_as_it_goes(data: bytes, percent) -> None:
    try:
        marks = _xlsb._walk(data, "patients", percent)  # noqa: SLF001
    except UnreadableInputError as refused:
        assert "sheet 'patients'" in str(refused)
        return
    assert all(0 <= row < 1_048_576 and 0 <= column < 16_384 for row, column in marks.unread)


def _record(kind: int, data: bytes) -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


# An .xls stream: its globals (a percentage format, two cell formats, one sheet), then the
# sheet (a hidden row, a number in a percentage cell, an error).
GLOBALS = (
    _record(0x0809, bytes(16))
    + _record(0x041E, struct.pack("<HHB", 164, 2, 0) + b"0%")
    + _record(0x00E0, struct.pack("<HH", 0, 0) + bytes(16))
    + _record(0x00E0, struct.pack("<HH", 0, 164) + bytes(16))
)
SHEET_NAME = struct.pack("<BB", 8, 0) + b"patients"
_SHEET_AT = len(GLOBALS) + 4 + 6 + len(SHEET_NAME) + 4  # after the BOUNDSHEET8 and EOF
XLS = (
    GLOBALS
    + _record(0x0085, struct.pack("<IBB", _SHEET_AT, 0, 0) + SHEET_NAME)
    + _record(0x000A, b"")
    + _record(0x0809, bytes(16))
    + _record(0x0208, struct.pack("<HHHHHHH", 1, 0, 3, 300, 0, 0, 0x0020))
    + _record(0x0203, struct.pack("<HHHd", 1, 2, 1, -0.3))
    + _record(0x0205, struct.pack("<HHHBB", 1, 0, 0, 0x07, 1))
    + _record(0x000A, b"")
)


def test_the_xls_stream_written_here_reads() -> None:
    workbook = _xls._workbook(XLS)  # noqa: SLF001
    assert workbook is not None
    percent, sheets = workbook
    assert percent == {1} and sheets == {"patients": _SHEET_AT}
    marks = _xls._walk(XLS, _SHEET_AT, percent, "patients")  # noqa: SLF001
    assert marks.percent_cells == [(1, 2)]
    assert marks.unread == {(1, 0): "#DIV/0!"}
    assert marks.hidden_rows == {2}


@settings(max_examples=300, deadline=None, derandomize=True)
@given(damaged(XLS))
def test_a_damaged_xls_stream_is_read_as_far_as_it_goes(data: bytes) -> None:
    workbook = _xls._workbook(data)  # noqa: SLF001
    if workbook is None:
        return
    percent, sheets = workbook
    for start in sheets.values():
        try:
            _xls._walk(data, start, percent, "patients")  # noqa: SLF001
        except UnreadableInputError as refused:  # a cell past the last column
            assert "sheet 'patients'" in str(refused)
