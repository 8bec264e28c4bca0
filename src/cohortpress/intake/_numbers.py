"""Reading numeric cells: numbers, numbers typed as text, and CTCAE grades."""

from __future__ import annotations

import re
import unicodedata

from cohortpress.intake._reading import Reading, is_datetime, is_number

_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([,\u00a0\u202f ]\d{3})+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_DOT_GROUPS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")  # 1.500: 1500 where the comma is decimal
_BOUND = re.compile(r"^[<>≤≥]=?\s*[\d.]")
_GRADE = re.compile(r"^(?:grade|gr|g)\s*[.:]?\s*(\d+)$")
_TEXT_NOTE = "numbers typed as text read as numbers"
_MINUS_SIGNS = ("\u2212", "\u2013")  # minus sign and en dash, as pasted from Word


def read_number(
    raw: object, *, percent: bool = False, decimal_comma: bool = False, text_file: bool = False
) -> Reading:
    """A float from a numeric cell, or from text that is unambiguously a number.

    Accepted text: plain numbers, a Unicode minus, thousands separators ("1,500") and, in
    files that use semicolons between fields (the European convention), decimal commas.
    In a text file (CSV) every number is text, so reading one is not worth a note.
    """
    if is_number(raw):
        return Reading(float(raw))  # type: ignore[arg-type]
    if isinstance(raw, bool):
        return Reading(problem="TRUE/FALSE, not a number")
    if is_datetime(raw):
        return Reading(
            problem="a date, not a number",
            suggestion="Excel may have turned the value into a date: format the column as Number",
        )
    text = str(raw).strip()
    folded = unicodedata.normalize("NFKC", text)
    reading = _read_number_text(folded, percent, decimal_comma)
    if text_file and reading.note == _TEXT_NOTE:
        reading = Reading(reading.value)
    if folded != text and reading.problem is None:
        return Reading(reading.value, note="full-width digits read")
    return reading


def read_grade(raw: object, *, text_file: bool = False) -> Reading:
    """A CTCAE grade: a number, or text such as "G3" or "Grade 3"."""
    if isinstance(raw, str):
        match = _GRADE.match(raw.strip().casefold())
        if match:
            return Reading(float(match.group(1)), note="grades written as 'G3' or 'Grade 3' read")
    return read_number(raw, text_file=text_file)


def _read_number_text(text: str, percent: bool, decimal_comma: bool) -> Reading:
    note = _TEXT_NOTE
    if text.startswith(_MINUS_SIGNS):
        text, note = "-" + text[1:].lstrip(), "minus signs typed as a dash read as '-'"
    if percent and text.endswith("%"):
        text, note = text[:-1].rstrip(), "'%' signs removed"
    if decimal_comma and _DOT_GROUPS.match(text):
        return Reading(
            problem="an ambiguous number (the dot may group thousands)",
            suggestion="write it without grouping, e.g. 1500 or 1,5",
        )
    if _PLAIN.match(text):
        return Reading(float(text), note=note)
    if decimal_comma and _DECIMAL_COMMA.match(text):
        return Reading(float(text.replace(",", ".")), note="decimal commas read")
    if not decimal_comma and _THOUSANDS.match(text):
        digits = re.sub(r"[,\u00a0\u202f ]", "", text)
        return Reading(float(digits), note="thousands separators removed")
    if _DECIMAL_COMMA.match(text):
        return Reading(problem="not a number", suggestion="write decimals with a point, e.g. 1.5")
    if _BOUND.match(text):
        return Reading(
            problem="a bound, not a number",
            suggestion="enter the measured value, or leave the cell empty if it is not known",
        )
    return Reading(problem="not a number")
