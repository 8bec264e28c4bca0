"""Workbook writing shared by the example-data scripts: sheets as a person would type them,
and bytes that do not change from one run to the next."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import TYPE_CHECKING

from openpyxl.utils import get_column_letter

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet


def fill_sheet(ws: Worksheet, headers: tuple[str, ...], rows: list[list]) -> None:
    """Header row, data rows, readable column widths, dates shown as yyyy-mm-dd."""
    ws.append(list(headers))
    for row in rows:
        ws.append(row)
    for col, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(col)].width = max(12, len(header) + 2)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"


def reproducible(xlsx: bytes, day: dt.date) -> bytes:
    """The same workbook with zip entry times and document timestamps fixed to ``day``, so that
    running a script twice gives identical bytes."""
    stamp = (day.year, day.month, day.day, 0, 0, 0)
    iso = f"{day.isoformat()}T00:00:00Z".encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", iso, data)
            dst.writestr(
                zipfile.ZipInfo(info.filename, date_time=stamp), data, zipfile.ZIP_DEFLATED
            )
    return out.getvalue()
