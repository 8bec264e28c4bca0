"""Build ``font_widths.json``: the advance width of each character in the four PDF core fonts
that size Word's table columns (see ``render/_font_metrics.py``).

The widths come from the Adobe font metrics (AFM) files matplotlib ships, read with fontTools,
with each glyph name mapped to its character by the Adobe Glyph List. These files do not
change, so the table is built once and committed: reading it takes a millisecond, where
importing the glyph list and parsing the four AFM files took about 15 ms of every run.
``tests/test_wide_tables.py`` checks the committed table against the AFM files.

Run from the repository root:
``.venv/bin/python src/cohortpress/render/resources/make_font_widths.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from fontTools import afmLib, agl

HERE = Path(__file__).parent
FACES = ("Times-Roman", "Times-Bold", "Helvetica", "Helvetica-Bold")


def font_widths() -> dict[str, dict[str, int]]:
    """For each face, the width (thousandths of an em) of every character it has, keyed by
    the character's code point in decimal."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "pdfcorefonts"
    widths: dict[str, dict[str, int]] = {}
    for face in FACES:
        metrics = afmLib.AFM(str(folder / f"{face}.afm"))
        widths[face] = {
            str(code): int(metrics[glyph][1])
            for code, glyph in sorted(agl.UV2AGL.items())
            if metrics.has_char(glyph)
        }
    return widths


def main() -> None:
    faces = [f"{json.dumps(face)}:{json.dumps(widths)}" for face, widths in font_widths().items()]
    (HERE / "font_widths.json").write_text("{\n" + ",\n".join(faces) + "\n}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
