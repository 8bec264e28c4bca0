"""The supplementary workbook: one sheet per table, cells that cannot run as formulas.

The file is reproducible: the same tables give the same bytes (no creation time in the document
properties or the zip entries), so an unchanged report is an unchanged file.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from pathlib import Path

    from cohortpress.artefacts.tables import Table

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FIXED_TIME = dt.datetime(1980, 1, 1)  # the earliest time a zip entry can carry
_PROPERTY_TIME = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:)")


def neutralise(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe (OWASP CSV rule)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_supplement(tables: list[Table], path: Path, sheets: dict[str, str]) -> Path:
    """Write each table's printed content to its own sheet, named as the documents number it
    (``sheets``: table id -> "Table I", "Table S1"; see ``present/placement.py``)."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        writer.book.properties.creator = "cohortpress"
        for table in tables:
            frame = table.frame.rename(columns=table.column_labels).map(neutralise)
            frame.columns = [str(neutralise(c)) or "Variable" for c in frame.columns]
            name = sheets.get(table.id, table.id)[:31]
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            sheet.cell(row=len(frame) + 3, column=1, value=str(neutralise(table.caption)))
            for i, note in enumerate(table.notes):
                sheet.cell(row=len(frame) + 4 + i, column=1, value=str(neutralise(note)))
    _remove_clock(path)
    return path


def _remove_clock(path: Path) -> None:
    """Rewrite the zip with every entry and the document's created/modified times set to
    ``_FIXED_TIME`` (openpyxl stamps the clock in both when it saves)."""
    stamp = _FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    entries = [
        (info, _PROPERTY_TIME.sub(rb"\g<1>" + stamp + rb"\g<2>", data))
        if info.filename == "docProps/core.xml"
        else (info, data)
        for info, data in entries
    ]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, data)
