"""Bounded cost for zipped spreadsheets (.xlsx, .xlsm, .xlsb, .ods): refuse a zip bomb unread.

An xlsx file is a zip archive; a few megabytes can claim gigabytes of sheet XML. The zip's
central directory states every part's compressed and uncompressed size, so a workbook that
would inflate beyond :data:`MAX_UNCOMPRESSED_BYTES`, or one of whose parts is compressed more
than :data:`MAX_RATIO` to one, is refused before anything is inflated. A 100,000-patient sheet
is about 100 MB of XML compressed about ten to one, far inside both limits.
"""

from __future__ import annotations

import zipfile
from typing import TYPE_CHECKING

from cohortpress.errors import UnreadableInputError

if TYPE_CHECKING:
    from pathlib import Path

MAX_UNCOMPRESSED_BYTES = 2_000_000_000  # all parts together
MAX_RATIO = 200  # uncompressed / compressed size of one part
RATIO_FLOOR_BYTES = 10_000_000  # parts smaller than this may compress as well as they like


def check_zip_bounds(path: Path) -> None:
    """Raise :class:`UnreadableInputError` when ``path``'s parts would inflate beyond limits.

    Files that are not zip archives (.xls) pass; so do damaged ones, which the spreadsheet
    reader reports in its own words.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return
    total = sum(part.file_size for part in parts)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise UnreadableInputError(
            f"{path}: the workbook would inflate to {_size(total)} "
            f"(more than {_size(MAX_UNCOMPRESSED_BYTES)}); it was not read"
        )
    for part in parts:
        if part.file_size > RATIO_FLOOR_BYTES and part.file_size > MAX_RATIO * max(
            part.compress_size, 1
        ):
            raise UnreadableInputError(
                f"{path}: part {part.filename} would inflate {part.compress_size:,} bytes to "
                f"{_size(part.file_size)} (more than {MAX_RATIO} to 1, as a zip bomb does); "
                "it was not read"
            )


def _size(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"
