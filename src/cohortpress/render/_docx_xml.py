"""Editing ``word/document.xml`` of a DOCX in place, for the steps after pandoc.

One way in and out: read the package, hand the parsed document (and the other parts, read
only) to an edit, and write the package back only when the edit changed something, keeping
the document's own namespace prefixes (w:, r:, …).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

if TYPE_CHECKING:
    from pathlib import Path

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOCUMENT = "word/document.xml"


def w(tag: str) -> str:
    """A WordprocessingML tag or attribute name: w("tbl")."""
    return f"{{{W}}}{tag}"


Edit = Callable[[ET.Element, Mapping[str, bytes]], bool]


def edit_document(docx: Path, *edits: Edit) -> None:
    """Apply ``edits``, in order, to the parsed document of ``docx``; rewrite the file once if
    any of them returns True (each step after pandoc used to read and write the package).

    An edit receives the document's root element and every part of the package by name (for
    the styles, say); it changes the element in place.
    """
    with zipfile.ZipFile(docx) as archive:
        entries = [(info, archive.read(info)) for info in archive.infolist()]
    parts = {info.filename: data for info, data in entries}
    xml = parts[DOCUMENT]
    _register_namespaces(xml.decode("utf-8"))
    root = ET.fromstring(xml)
    changed = [edit(root, parts) for edit in edits]  # every edit, even after a change
    if not any(changed):
        return
    updated = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    with zipfile.ZipFile(docx, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, updated if info.filename == DOCUMENT else data)


def _register_namespaces(xml: str) -> None:
    """Keep the document's own prefixes (w:, r:, …) when it is written back."""
    for prefix, uri in re.findall(r'xmlns:(\w+)="([^"]+)"', xml[:4000]):
        ET.register_namespace(prefix, uri)
