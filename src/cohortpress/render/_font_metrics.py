"""How wide a text is in Word's table fonts, to size DOCX table columns without Word at hand.

Widths come from the Adobe font metrics (AFM) of the PDF core fonts that matplotlib ships,
tabulated by character in ``resources/font_widths.json`` (``resources/make_font_widths.py``):
Times-Roman for Times New Roman and other serif faces (Times New Roman
and its metric-compatible Liberation Serif have Times' advance widths), Helvetica for Arial and
sans-serif faces (Calibri is narrower, so its columns come out a little wide, never too narrow).
A character the metrics lack counts as a full em, so an estimate errs on the wide side.
"""

from __future__ import annotations

import json
from functools import cache

from cohortpress.render._resources import resource

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
def _widths(sans: bool, bold: bool) -> dict[int, int]:
    """The face's width of each character it has, in thousandths of an em."""
    faces = json.loads(resource("font_widths.json").read_text(encoding="utf-8"))
    return {int(code): width for code, width in faces[_FACES[sans, bold]].items()}


def text_width(
    text: str, size_pt: float, *, font: str = "Times New Roman", bold: bool = False
) -> float:
    """The advance width of ``text`` in points, set in ``font`` at ``size_pt``."""
    widths = _widths(is_sans(font), bold)
    units = 0
    for char in text.replace("\u00a0", " "):
        units += _SPACES[char] if char in _SPACES else widths.get(ord(char), _UNITS)
    return units * size_pt / _UNITS
