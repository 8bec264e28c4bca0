"""Values a partition cannot be counted with, reported on the client as located problems."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cohortpress.errors import InputDataError, Problem

if TYPE_CHECKING:
    import pandas as pd


class PartitionValueError(ValueError):
    """A value breaking a rule, raised on a worker; its arguments survive pickling."""

    def __init__(self, column: str, value: str, rule: str, rows: int) -> None:
        super().__init__(column, value, rule, rows)
        self.column, self.value, self.rule, self.rows = column, value, rule, rows

    def as_input_error(self, source: str) -> InputDataError:
        """The user's error: the extract, the column, the first bad value and the rule."""
        rule = f"{self.rule} ({self.rows} row(s) in one partition)"
        return InputDataError([Problem(source, None, self.column, self.value, rule)])


def check_survival(part: pd.DataFrame, time: str, event: str) -> None:
    """Times finite and >= 0, events 0 or 1 (or missing, left out as R's na.omit does)."""
    t, e = part[time], part[event]
    bad_time = t.notna() & ~((t >= 0) & (t < float("inf")))
    if bad_time.any():
        raise PartitionValueError(
            time, str(t[bad_time].iloc[0]), "a survival time must be a number >= 0",
            int(bad_time.sum()),
        )  # fmt: skip
    bad_event = e.notna() & ~e.isin((0, 1))
    if bad_event.any():
        raise PartitionValueError(
            event, str(e[bad_event].iloc[0]), "an event indicator must be 0 or 1",
            int(bad_event.sum()),
        )  # fmt: skip
