"""A row of units or formats right under the header ("years", "%", "/µL", "YYYY-MM-DD").

Laboratory and registry exports often put each column's unit in a second header row. Read as a
patient, it gave one error per column ("Age: 'years' is not a number", "Patient ID is
required") that did not say what the row is. The first filled row under the header is such a
row when every filled cell (two or more) is text naming a unit, a count, a date format or a
coding ("M/F", "0/1"); it is then one error naming the row and its cells, with what to do, and
its cells are not checked as a patient's. Never skipped silently: the build stops until the row
is deleted (or the units moved into the headers, as "Age (years)").
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cohortpress._folding import fold
from cohortpress.errors import Problem
from cohortpress.intake._reading import is_blank

UNITS_ROW = "a row of units or formats under the header, not a patient's record"
UNITS_ROW_HINT = "delete the row; a unit belongs in the header, as in 'Age (years)'"
_UNIT = (
    r"%|‰|years?|yrs?|y|months?|mos?|m|weeks?|wks?|w|days?|d|hours?|h|min|s|"
    r"kg|g|mg|µg|μg|ug|mcg|ng|pg|l|dl|ml|µl|μl|ul|mm|cm|mm3|m2|mmhg|bpm|°c|iu|u|mu|"
    r"mol|mmol|µmol|μmol|umol|cells?|count|n|no\.?|number|score|grade|ratio|index"
)
_FORMAT = (
    r"(?:yyyy|yy|dd|mm|m|d)(?:[-/. ](?:yyyy|yy|dd|mm|m|d)){1,2}|date|text|free text|"
    r"yes/no|y/n|0/1|1/0|m/f|f/m|male/female|true/false"
)
# A unit, a power of ten times a unit, or a unit per unit ("×10^9/L", "10³/µL", "mg/dL"),
# possibly in brackets; or a date format or coding.
UNIT_CELL = re.compile(
    rf"^[\[(]?\s*(?:(?:[x×*]?\s*10\s*(?:\^|\*\*)?\s*[-−]?[0-9⁰-⁹]+\s*)?(?:{_UNIT})?"
    rf"(?:\s*/\s*(?:[x×*]?\s*10\s*(?:\^|\*\*)?\s*[-−]?[0-9⁰-⁹]+\s*)?(?:{_UNIT}))*"
    rf"|{_FORMAT})\s*[\])]?$"
)


def is_unit(cell: object) -> bool:
    """Whether ``cell`` is text naming a unit, a date format or a coding."""
    if not isinstance(cell, str):
        return False
    text = fold(cell).replace("μ", "µ")
    return bool(text) and len(text) <= 20 and UNIT_CELL.match(text) is not None


def units_row(frame: pd.DataFrame, blank: pd.Series, sheet: str) -> tuple[pd.Series, list[Problem]]:
    """The first filled row under the header when it is a row of units (True), with its
    error; ``frame`` is the table body indexed by Excel row, ``blank`` its blank rows."""
    skip = pd.Series(False, index=frame.index)
    filled = np.flatnonzero(~blank.to_numpy(dtype=bool))
    if not filled.size:
        return skip, []
    position = int(filled[0])
    cells = [cell for cell in frame.iloc[position].tolist() if not is_blank(cell)]
    if len(cells) < 2 or not all(is_unit(cell) for cell in cells):
        return skip, []
    if all(len(str(cell).strip()) == 1 for cell in cells):  # "M", "F": a record's codes
        return skip, []
    skip.iloc[position] = True
    shown = ", ".join(str(cell).strip() for cell in cells)
    shown = shown if len(shown) <= 60 else shown[:59] + "…"
    row = int(frame.index[position])
    return skip, [Problem(sheet, row, None, shown, UNITS_ROW, UNITS_ROW_HINT)]
