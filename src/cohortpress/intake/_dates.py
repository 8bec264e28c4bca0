"""Reading date cells: Excel dates, Excel serial numbers, and dates typed as text.

Text dates are read with the study's ``date_formats`` plus the unambiguous year-first forms
(2020-03-15, 2020/03/15, 2020.03.15, 20200315). A text that two formats read as different
dates (03/04/2020 under both DD/MM/YYYY and MM/DD/YYYY) is a problem, never a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from cohortpress.intake._reading import Reading, is_datetime, is_number

YEAR_FIRST = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d")
_BASIC = re.compile(r"^(19|20|21)\d{6}$")  # ISO 8601 basic form, 20200315
_TIME = re.compile(r"^(?P<date>\S+)[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_NO_DAY = re.compile(r"^(\d{4}[-/.]\d{1,2}|\d{1,2}[-/.]\d{4}|[A-Za-z]{3,9}\.? \d{4})$")
_EPOCH = {False: pd.Timestamp("1899-12-30"), True: pd.Timestamp("1904-01-01")}
EARLIEST, LATEST = pd.Timestamp("1900-01-01"), pd.Timestamp("2100-12-31")
TIME_DROPPED = "time of day dropped from date-times"
ZONE_DROPPED = "time zone and time of day dropped from date-times (the local date is kept)"


@dataclass(frozen=True)
class DateSettings:
    """How dates are written in this input."""

    formats: tuple[str, ...] = ("%Y-%m-%d",)
    date1904: bool = False  # the workbook counts serial numbers from 1904 (old Mac Excel)

    def all_formats(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.formats, *YEAR_FIRST)))


def format_words(fmt: str) -> str:
    """A strptime format as people write it: %d/%m/%Y -> DD/MM/YYYY."""
    for code, words in (("%Y", "YYYY"), ("%m", "MM"), ("%d", "DD"), ("%y", "YY"), ("%b", "Mon")):
        fmt = fmt.replace(code, words)
    return fmt.replace("%B", "Month")


def read_date(raw: object, settings: DateSettings) -> Reading:
    """A midnight Timestamp from a date cell, an Excel serial number or a text date.

    Dates outside 1900-2100 are problems: they are typing errors in a clinical cohort.
    """
    reading = _read_any(raw, settings)
    if isinstance(reading.value, pd.Timestamp) and not EARLIEST <= reading.value <= LATEST:
        return Reading(problem="a date outside the years 1900-2100")
    return reading


def _read_any(raw: object, settings: DateSettings) -> Reading:
    if is_datetime(raw):
        stamp = pd.Timestamp(raw)  # type: ignore[arg-type]
        if stamp.tzinfo is not None:  # a parquet timestamp with a zone: its local date counts
            return Reading(stamp.tz_localize(None).normalize(), note=ZONE_DROPPED)
        if stamp != stamp.normalize():
            return Reading(stamp.normalize(), note=TIME_DROPPED)
        return Reading(stamp)
    if is_number(raw):
        return _read_serial(float(raw), settings)  # type: ignore[arg-type]
    if isinstance(raw, dt.time | dt.timedelta | pd.Timedelta):
        return Reading(problem="a time or duration, not a date")
    if isinstance(raw, str):
        return _read_text(raw.strip(), settings)
    return Reading(problem="not a date")


def _read_serial(number: float, settings: DateSettings) -> Reading:
    if number.is_integer() and _BASIC.match(str(int(number))):
        stamp = pd.to_datetime(str(int(number)), format="%Y%m%d", errors="coerce")
        if stamp is not pd.NaT:
            return Reading(stamp, note="dates written as numbers (YYYYMMDD) read")
    if number.is_integer() and 1900 <= number <= 2100:
        return Reading(problem="only a year, not a full date", suggestion="enter the full date")
    if not 61 <= number <= 73415:  # 1900-03-01 to 2100-12-31
        return Reading(problem="a number, not a date")
    stamp = _EPOCH[settings.date1904] + pd.Timedelta(days=int(number))
    return Reading(stamp, note="Excel serial numbers read as dates")


def _read_text(text: str, settings: DateSettings) -> Reading:
    dropped_time = _TIME.match(text)
    found, out_of_range = _parse_all(dropped_time["date"] if dropped_time else text, settings)
    if len(set(found.values())) > 1:
        readings = " or ".join(d.strftime("%Y-%m-%d") for d in dict.fromkeys(found.values()))
        return Reading(
            problem=f"an ambiguous date: {readings}", suggestion="write it as YYYY-MM-DD"
        )
    if found:
        fmt, date = next(iter(found.items()))
        return Reading(pd.Timestamp(date), note=f"dates typed as text ({format_words(fmt)}) read")
    return _why_not_a_date(text, settings, out_of_range)


def _parse_all(text: str, settings: DateSettings) -> tuple[dict[str, dt.datetime], bool]:
    """Every format that reads ``text``, with its date; and whether a day was out of range."""
    found: dict[str, dt.datetime] = {}
    out_of_range = False
    candidates = settings.all_formats() + (("%Y%m%d",) if _BASIC.match(text) else ())
    for fmt in candidates:
        try:
            found[fmt] = dt.datetime.strptime(text, fmt)
        except ValueError as exc:
            out_of_range |= "out of range" in str(exc)
    return found, out_of_range


def _why_not_a_date(text: str, settings: DateSettings, out_of_range: bool) -> Reading:
    if out_of_range:
        return Reading(problem="not a valid calendar date")
    if _NO_DAY.match(text):
        return Reading(problem="an incomplete date (no day)", suggestion="enter the full date")
    allowed = ", ".join(format_words(f) for f in settings.all_formats())
    return Reading(
        problem=f"not a date in a recognised format ({allowed})",
        suggestion=_format_to_declare(text, settings),
    )


# Formats exports write dates in, as a hint: never read unless study.yml declares them, since
# 03/04/2020 is a different day under the first two.
_COMMON = ("%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%m/%d/%y", "%d.%m.%y",
           "%d %b %Y", "%d-%b-%Y", "%b %d, %Y", "%d %B %Y", "%B %d, %Y",
           "%Y年%m月%d日")  # fmt: skip


def _format_to_declare(text: str, settings: DateSettings) -> str:
    """What to write in study.yml for ``text`` to be read: the common formats that read it
    ("DD.MM.YYYY"), both where day and month could be either way round."""
    known = settings.all_formats()
    fits = [_spelled(f) for f in _COMMON if f not in known and _reads(text, f)]
    if not fits:
        return "write it as YYYY-MM-DD, or add its format to date_formats in study.yml"
    if len(fits) == 1:
        return f"it reads as {fits[0]}: add date_formats: [{fits[0]}] to study.yml"
    either = " or ".join(f"[{f}]" for f in fits)
    return (
        f"day and month could be either way round: add date_formats: {either} to study.yml, "
        "as the export writes them"
    )


def _spelled(fmt: str) -> str:
    """A format as study.yml takes it: in words (DD.MM.YYYY) where words say it, else the
    strptime code, quoted for YAML ('%Y年%m月%d日')."""
    words = format_words(fmt)
    return words if re.fullmatch(r"[A-Za-z/.\- ,]+", words) else f"'{fmt}'"


def _reads(text: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True
