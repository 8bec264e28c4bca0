"""The running title in the DOCX header, shown without Word having to update fields.

The reference document's header holds a ``DOCPROPERTY "running-title"`` field, and pandoc
writes the ``running-title`` metadata as that custom document property (as plain text). A field
shows its last computed text until Word updates it, which it does not do on opening a document;
so the property's text is written in as the field's shown text. Quarto's DOCX (not post-processed)
keeps the field, which Word fills in when fields are updated (F9, printing).
"""

from __future__ import annotations

import re
import zipfile
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from pathlib import Path

_CUSTOM = "docProps/custom.xml"
_PROPERTIES = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_HEADER = re.compile(r"^word/header\d*\.xml$")
PROPERTY = "running-title"
_FIELD = re.compile(
    rf"(?P<open><w:fldSimple [^>]*DOCPROPERTY &quot;{PROPERTY}&quot;[^>]*>)"
    r"(?P<runs>.*?)</w:fldSimple>",
    re.S,
)
_TEXT = re.compile(r"<w:t(?:\s[^>]*)?/>|<w:t(?:\s[^>]*)?>.*?</w:t>", re.S)
_RUN_END = re.compile(r"</w:r>")


def fill_running_title(docx: Path) -> None:
    """Write the running title into the header fields of ``docx`` that show it, in place."""
    with zipfile.ZipFile(docx) as archive:
        entries = [(info, archive.read(info)) for info in archive.infolist()]
    parts = {info.filename: data for info, data in entries}
    title = _property(parts.get(_CUSTOM), PROPERTY) or ""
    changed = {
        name: updated
        for name, data in parts.items()
        if _HEADER.match(name) and (updated := _fill(data, title)) is not None
    }
    if not changed:
        return
    with zipfile.ZipFile(docx, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, changed.get(info.filename, data))


def _property(xml: bytes | None, name: str) -> str | None:
    """A custom document property's text."""
    if xml is None:
        return None
    for prop in ET.fromstring(xml).iter(f"{{{_PROPERTIES}}}property"):
        if prop.get("name") == name:
            return "".join(prop.itertext())
    return None


def _fill(xml: bytes, title: str) -> bytes | None:
    """The header with the shown text of its running-title fields set; None if it has none.

    Edited as text rather than parsed and rewritten, so the part keeps its namespace
    declarations (``mc:Ignorable`` names prefixes no element uses)."""
    text = xml.decode("utf-8")
    shown = f'<w:t xml:space="preserve">{escape(title)}</w:t>'

    def fill(match: re.Match[str]) -> str:
        runs = _TEXT.sub("", match["runs"])
        if "<w:r>" not in runs and "<w:r " not in runs:
            return f"{match['open']}<w:r>{shown}</w:r></w:fldSimple>"
        return f"{match['open']}{_RUN_END.sub(shown + '</w:r>', runs, count=1)}</w:fldSimple>"

    filled, count = _FIELD.subn(fill, text)
    return filled.encode("utf-8") if count else None
