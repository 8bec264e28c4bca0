"""The survival table: per endpoint and per group, n, events, median (CI) and landmark rates.

Every cell is a text of the Numbers registry (results.json), so the table cannot print a number
the text or results.json print differently.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import pandas as pd

from cohortpress.artefacts.tables._builders import _suppression_note
from cohortpress.artefacts.tables._table import INDENT, Table
from cohortpress.present import format as fmt
from cohortpress.present import wording
from cohortpress.present.numbers import landmark_key

if TYPE_CHECKING:
    from cohortpress.analyse import StudyResults
    from cohortpress.analyse._study import EndpointResult
    from cohortpress.config import StudyConfig
    from cohortpress.present.numbers import Numbers

N, EVENTS, MEDIAN = "n", "Events", "Median"


def table_survival(results: StudyResults, config: StudyConfig, numbers: Numbers) -> Table:
    """'Survival outcomes': a row per endpoint and per level of each of its ``by`` factors."""
    level = fmt.ci_label(results.conventions.conf_level)
    times = _landmark_times(results.endpoints)
    columns = [N, EVENTS, MEDIAN, *(landmark_key(t) for t in times)]
    rows: list[list[str]] = []
    for e in results.endpoints:
        rows.append([wording.endpoint_label(e), *[""] * len(columns)])
        rows.append(_row(f"{INDENT}All patients", e.kind, e, times, numbers))
        for g in e.by:
            rows.append([f"{INDENT}{g.label}", *[""] * len(columns)])
            for lvl in g.levels:
                key = f"{e.kind}.by.{g.factor}.{numbers.key(f'{e.kind}.by.{g.factor}', lvl)}"
                rows.append(_row(f"{INDENT}{INDENT}{lvl}", key, e, times, numbers))
    frame = pd.DataFrame(rows, columns=["Group", *columns])
    labels = {
        N: "n",
        EVENTS: "Events",
        MEDIAN: f"Median, {results.time_unit} ({level})",
        **{landmark_key(t): _landmark_label(t, results, level) for t in times},
    }
    return Table(
        "survival",
        "Survival outcomes.",
        frame,
        column_labels=labels,
        notes=_notes(results, frame, config, level) + _not_shown(results, config, numbers),
    )


def _landmark_times(endpoints: tuple[EndpointResult, ...]) -> list[float]:
    """Every endpoint's landmark times, in increasing order, each once."""
    return sorted({m.time for e in endpoints for m in e.landmarks})


def _landmark_label(time: float, results: StudyResults, level: str) -> str:
    """'12-month OS (95% CI)' when one endpoint declares landmarks, else '12-month rate (…)'."""
    unit = results.time_unit.removesuffix("s")
    with_marks = [e for e in results.endpoints if e.landmarks]
    name = wording.endpoint_abbreviation(with_marks[0]) if len(with_marks) == 1 else "rate"
    return f"{fmt.plain(time)}-{unit} {name} ({level})"


def _row(
    label: str, key: str, e: EndpointResult, times: list[float], numbers: Numbers
) -> list[str]:
    median = f"{numbers.text(f'{key}.median')} ({numbers.text(f'{key}.ci')})"
    cells = [label, numbers.text(f"{key}.n"), numbers.text(f"{key}.events"), median]
    declared = {m.time for m in e.landmarks}
    for t in times:
        sub = f"{key}.landmarks.{landmark_key(t)}"
        if t not in declared:
            cells.append(fmt.DASH)  # another endpoint's landmark
        elif f"{sub}.ci" not in numbers:
            cells.append(fmt.NOT_ESTIMABLE)
        else:
            cells.append(f"{numbers.text(f'{sub}.value')} ({numbers.text(f'{sub}.ci')})")
    return cells


def _not_shown(results: StudyResults, config: StudyConfig, numbers: Numbers) -> tuple[str, ...]:
    """The patients without a value of a factor, in none of its rows, worded as the figure
    captions word them: 'Not shown: 3 patients without a recorded ECOG PS.' (the endpoint
    named when the other endpoints by that factor leave out another number, or none)."""
    by_factor = Counter(g.factor for e in results.endpoints for g in e.by)
    phrases: dict[tuple[str, str], list[str]] = {}  # (factor, phrase) -> endpoints
    for e in results.endpoints:
        for g in e.by:
            missing = e.unrecorded(g)
            if missing > 0:
                count = numbers.text(f"{e.kind}.by.{g.factor}.missing")
                phrase = wording.not_recorded(count, missing, g, config)
                phrases.setdefault((g.factor, phrase), []).append(wording.endpoint_abbreviation(e))
    parts = [
        phrase if len(kinds) == by_factor[factor] else f"{phrase} ({', '.join(kinds)})"
        for (factor, phrase), kinds in phrases.items()
    ]
    return (f"Not shown: {'; '.join(parts)}.",) if parts else ()


def _notes(
    results: StudyResults, frame: pd.DataFrame, config: StudyConfig, level: str
) -> tuple[str, ...]:
    transform = results.conventions.ci_transform
    notes = [
        f"Kaplan–Meier estimates. CI: {level.removesuffix(' CI')} confidence interval "
        f"({transform} transform; for the median, Brookmeyer–Crowley)."
    ]
    cells = frame.iloc[:, 1:].astype(str).to_numpy().ravel().tolist()
    if fmt.NOT_ESTIMABLE in cells:
        notes.append(f"{fmt.NOT_ESTIMABLE}: not estimable (the time is beyond the group's last "
                     "follow-up).")  # fmt: skip
    if fmt.DASH in cells and len(_landmark_times(results.endpoints)) > 0:
        notes.append(f"{fmt.DASH}: not a landmark time of this endpoint.")
    notes += _suppression_note(frame, results.conventions.small_cell)
    return tuple(notes)
