"""The supplementary workbook: one sheet per table, cells that cannot run as formulas.

The file is reproducible: the same tables give the same bytes (no creation time in the document
properties or the zip entries), so an unchanged report is an unchanged file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cohortpress.artefacts.tables import Table

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FIXED_TIME = dt.datetime(1980, 1, 1)  # the earliest time a zip entry can carry
KEPT_WORKBOOKS = 4
_PROPERTY_TIME = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:)")


def neutralise(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe (OWASP CSV rule)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@dataclass
class KeptWorkbook:
    """The supplementary workbook kept between runs of one build-cache key.

    Its bytes follow from the tables, which the build cache's key (``tables``) determines, and
    from the sheet names, which follow the author's text; so a kept workbook is found by the
    key and the sheet names, and a text edit that numbers the tables as before copies it
    instead of importing openpyxl and writing it again. A workbook this run wrote is kept by
    :meth:`keep`, which the pipeline calls only when the tables were made under the key.
    """

    folder: Path
    tables: str  # the build cache key the tables were computed (or cached) under
    read: bool = True  # False: --no-cache
    made: tuple[str, bytes] | None = None  # written by this run: its name, its bytes

    def name(self, sheets: dict[str, str]) -> str:
        # The key covers cohortpress's code and the installed libraries (openpyxl, pandas).
        text = json.dumps(["supplementary.xlsx", self.tables, sorted(sheets.items())])
        return hashlib.sha256(text.encode()).hexdigest() + ".xlsx"

    def find(self, sheets: dict[str, str]) -> bytes | None:
        if not self.read:
            return None
        try:
            content = (self.folder / self.name(sheets)).read_bytes()
        except OSError:
            return None
        if not zipfile.is_zipfile(io.BytesIO(content)):  # damaged: written anew
            return None
        with contextlib.suppress(OSError):
            os.utime(self.folder / self.name(sheets))  # used last: kept longest
        return content

    def keep(self) -> None:
        """Keep the workbook this run wrote (a folder that cannot be written is left)."""
        if self.made is None:
            return
        name, content = self.made
        with contextlib.suppress(OSError):
            self.folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # the study's
            self.folder.mkdir(exist_ok=True, mode=0o700)
            fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            with os.fdopen(fd, "wb") as stream:
                stream.write(content)
            Path(temporary).replace(self.folder / name)
            kept = sorted(self.folder.glob("*.xlsx"), key=lambda p: p.stat().st_mtime)
            for stale in kept[:-KEPT_WORKBOOKS]:
                stale.unlink()


def write_supplement(
    tables: list[Table], path: Path, sheets: dict[str, str], kept: KeptWorkbook | None = None
) -> Path:
    """Write each table's printed content to its own sheet, named as the documents number it
    (``sheets``: table id -> "Table I", "Table S1"; see ``present/placement.py``); with
    ``kept``, copy the workbook an earlier run wrote of the same tables and sheet names."""
    content = kept.find(sheets) if kept is not None else None
    if content is not None:
        path.write_bytes(content)
        return path
    _write_workbook(tables, path, sheets)
    if kept is not None:
        kept.made = (kept.name(sheets), path.read_bytes())
    return path


def _write_workbook(tables: list[Table], path: Path, sheets: dict[str, str]) -> None:
    import pandas as pd

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
