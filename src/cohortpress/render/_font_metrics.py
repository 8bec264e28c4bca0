"""How wide a text is in Word's table fonts, to size DOCX table columns without Word at hand.

Widths come from the Adobe font metrics (AFM) of the PDF core fonts that matplotlib ships
(read with fontTools): Times-Roman for Times New Roman and other serif faces (Times New Roman
and its metric-compatible Liberation Serif have Times' advance widths), Helvetica for Arial and
sans-serif faces (Calibri is narrower, so its columns come out a little wide, never too narrow).
A character the metrics lack counts as a full em, so an estimate errs on the wide side.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from fontTools import agl

if TYPE_CHECKING:
    from fontTools import afmLib

_SANS = ("arial", "helvetica", "calibri", "sans", "verdana", "tahoma", "segoe")
_UNITS = 1000  # AFM widths are thousandths of an em


def is_sans(font: str) -> bool:
    """Whether ``font`` (a Word font name) takes Helvetica's metrics rather than Times'."""
    return any(name in font.lower() for name in _SANS)


_FACES = {(False, False): "Times-Roman", (False, True): "Times-Bold",
          (True, False): "Helvetica", (True, True): "Helvetica-Bold"}  # fmt: skip
# Spaces the metrics lack, in thousandths of an em: en, em, thin and narrow no-break spaces.
_SPACES = {"\u2002": 500, "\u2003": 1000, "\u2009": 200, "\u202f": 200}


@cache
def _metrics(sans: bool, bold: bool) -> afmLib.AFM:
    from fontTools import afmLib

    folder = _matplotlib_data() / "fonts" / "pdfcorefonts"
    return afmLib.AFM(str(folder / f"{_FACES[sans, bold]}.afm"))


def _matplotlib_data() -> Path:
    """matplotlib's data folder (``matplotlib.get_data_path()``), found without importing
    matplotlib: every run measures its tables, and a cached one draws nothing."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("matplotlib (its font metrics size the tables) is missing")
    return Path(spec.origin).with_name("mpl-data")


def text_width(
    text: str, size_pt: float, *, font: str = "Times New Roman", bold: bool = False
) -> float:
    """The advance width of ``text`` in points, set in ``font`` at ``size_pt``."""
    metrics = _metrics(is_sans(font), bold)
    units = 0
    for char in text.replace("\u00a0", " "):
        glyph = agl.UV2AGL.get(ord(char))
        if char in _SPACES:
            units += _SPACES[char]
        elif glyph is not None and metrics.has_char(glyph):
            units += metrics[glyph][1]
        else:
            units += _UNITS
    return units * size_pt / _UNITS
