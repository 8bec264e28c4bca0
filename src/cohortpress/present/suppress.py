"""Small-cell suppression: which counts a report must not print, decided in one place.

With ``statistics: small_cell: k`` a count from 1 to k - 1 prints as ``<k`` (primary
suppression). A count is rarely alone: the levels of a factor add up to the number of
patients, which is printed, so one hidden level could be worked out from the others. Every
table, sentence and figure therefore asks :func:`suppressed` about a whole group of counts with
its known total; it also hides enough other counts (secondary suppression, printed ``*``) that
no small count follows from the total. Counts of 0 are not small cells.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from cohortpress.analyse._study import (
        Characteristic,
        EndpointResult,
        GroupedSurvival,
        ResponseSummary,
    )

WITHHELD = "*"  # a count hidden only so that a small count cannot be derived from the total

Mark = str | None  # None: print the count; else the text printed instead


def below(k: int) -> str:
    """The text of a count below the threshold: '<5'."""
    return f"<{k}"


def suppressed(
    counts: Sequence[int], total: int, k: int | None, withheld: Collection[int] = ()
) -> list[Mark]:
    """Marks for ``counts``, the printed counts of one group that adds up to ``total``.

    Whatever ``total`` holds beyond ``counts`` (levels not listed, the complement of a single
    count) is a hidden cell that the reader can still work out. When any cell, printed or
    hidden, is small (0 < count < k), the cells the reader cannot see must be at least two
    and add up to at least k; the smallest printed counts are withheld until they do.
    Returns one mark per count: None (print it), '<k' (small) or '*' (withheld). The
    positions in ``withheld`` are already hidden (by another group the count belongs to).
    """
    if k is None:
        return [None] * len(counts)
    rest = total - sum(counts)
    marks: list[Mark] = [
        below(k) if 0 < c < k else WITHHELD if i in withheld else None for i, c in enumerate(counts)
    ]
    if not any(marks) and not 0 < rest < k:
        return marks
    unseen = [c for c, m in zip(counts, marks, strict=True) if m] + ([rest] if rest > 0 else [])
    # Positive counts first: withholding a 0 protects nothing while a positive count is left.
    order = sorted(
        (i for i, m in enumerate(marks) if m is None), key=lambda i: (counts[i] == 0, counts[i])
    )
    for i in order:
        if len(unseen) >= 2 and sum(unseen) >= k:
            break
        marks[i] = WITHHELD
        unseen.append(counts[i])
    return marks


def single(count: int, total: int, k: int | None) -> Mark:
    """The mark of one count out of a printed total (its complement is a hidden cell)."""
    return suppressed([count], total, k)[0]


def factor_marks(
    levels: Sequence[int], unknown: int, total: int, k: int | None
) -> tuple[list[Mark], Mark]:
    """Marks for the counts of a factor's levels and of its patients without a value (an
    Unknown row, a 'Not shown' note; None when there are none), out of ``total``.

    The one decision for a factor's counts: Table I, the survival table, the figures and
    results.json ask here, so the same counts get the same marks everywhere.
    """
    marks = suppressed([*levels, unknown] if unknown else list(levels), total, k)
    return marks[: len(levels)], marks[len(levels)] if unknown else None


def characteristic_marks(c: Characteristic, k: int | None) -> tuple[list[Mark], Mark]:
    """Marks for the levels of one Table I row and for its 'Unknown' row (printed when > 0);
    a continuous row's one 'level' is its patients with a value."""
    if c.distribution is None and not c.levels:
        return [], None
    counts = _counts(c)
    return factor_marks(list(counts.values()), c.missing, size(c), k)


def _counts(c: Characteristic) -> dict[str, int]:
    """A row's counts by level; a continuous row's under '' (the patients with a value)."""
    if c.distribution is not None:
        return {"": c.distribution.n}
    return {lvl.level: lvl.count for lvl in c.levels}


def size(c: Characteristic) -> int:
    """The patients of the row's column, those without a value included."""
    if c.distribution is not None:
        return c.distribution.n + c.distribution.missing
    return c.levels[0].n if c.levels else c.missing


def grouped_marks(e: EndpointResult, g: GroupedSurvival, k: int | None) -> tuple[list[Mark], Mark]:
    """Marks for the patients of each curve of ``g`` and for the endpoint's patients without
    a value of its factor, out of the endpoint's patients (see :func:`factor_marks`): the
    survival table's n, the captions' 'Not shown' and, at time 0, the numbers at risk."""
    return factor_marks([km.n for km in g.estimates], e.unrecorded(g), e.overall.n, k)


def grouped_event_marks(e: EndpointResult, g: GroupedSurvival, k: int | None) -> list[Mark]:
    """Marks for the events of each curve of ``g``: they add up, with the events of the
    patients not in any curve, to the endpoint's events; and each curve's events and censored
    patients add up to its n."""
    group = suppressed([km.events for km in g.estimates], e.overall.events, k)
    return [m or single(km.events, km.n, k) for m, km in zip(group, g.estimates, strict=True)]


def model_marks(n: int, events: int, total: int, k: int | None) -> tuple[Mark, Mark]:
    """Marks for a model's (or a curve's) patients and events: its patients out of the
    endpoint's ``total`` (those left out, without a value, are a count the reader can work
    out), its events out of its patients."""
    return single(n, total, k), single(events, n, k)


def crossed(
    columns: Sequence[Sequence[int]],
    column_totals: Sequence[int],
    row_totals: Sequence[int],
    k: int | None,
) -> list[list[Mark]]:
    """Marks for a table of counts (one list per column) whose columns and rows both add up to
    printed totals: Table I by group, where each level's row adds up to its Table I count.

    Columns and rows are suppressed in turn until neither hides anything more.
    """
    marks = [suppressed(col, total, k) for col, total in zip(columns, column_totals, strict=True)]
    changed = k is not None
    while changed:
        changed = False
        for i, total in enumerate(row_totals):
            line = [col[i] for col in columns]
            hidden = {j for j, col in enumerate(marks) if col[i]}
            for j, mark in enumerate(suppressed(line, total, k, hidden)):
                if mark and not marks[j][i]:
                    marks[j][i], changed = mark, True
        for j, (col, total) in enumerate(zip(columns, column_totals, strict=True)):
            hidden = {i for i, mark in enumerate(marks[j]) if mark}
            new = suppressed(col, total, k, hidden)
            changed = changed or new != marks[j]
            marks[j] = new
    return marks


def comparison_marks(
    per_group: Sequence[Characteristic], overall: Characteristic, k: int | None
) -> list[tuple[list[Mark], Mark]]:
    """Marks for one Table I row split by group: (level marks, 'Unknown' mark) per group.

    A level's counts over the groups add up to its count in Table I, so they are suppressed
    as one table with :func:`crossed`.
    """
    totals = _counts(overall)
    levels = list(totals)
    row_totals = [*totals.values(), overall.missing]
    columns = []
    for c in per_group:
        counts = _counts(c)
        columns.append([counts.get(level, 0) for level in levels] + [c.missing])
    marks = crossed(columns, [size(c) for c in per_group], row_totals, k)
    out = []
    for c, col in zip(per_group, marks, strict=True):
        at = {level: mark for level, mark in zip(levels, col, strict=False)}
        out.append(([at.get(level) for level in _counts(c)], col[-1] if c.missing else None))
    return out


def response_marks(r: ResponseSummary, k: int | None) -> dict[str, Mark]:
    """Marks for each best response category and each rate (ORR, DCR, CBR).

    The categories (with the not-assessed row) are one group of all patients. A rate is
    withheld when exactly one of the categories it adds up is hidden (it would give that one
    away), the CBR when the ORR it contains or the DCR that contains it is shown and the
    difference (patients with lasting, or with short, SD) is a small number.
    """
    n = r.orr.n
    levels = suppressed([lvl.count for lvl in r.counts], n, k)
    marks: dict[str, Mark] = {lvl.level: mark for lvl, mark in zip(r.counts, levels, strict=True)}
    out: dict[str, Mark] = dict(marks)
    for rate in r.rates:
        mark = single(rate.estimate.k, n, k)
        hidden = [code for code in rate.codes if marks.get(code) is not None]
        if mark is None and rate.rate != "cbr" and len(hidden) == 1:
            mark = WITHHELD
        out[rate.rate] = mark
    cbr = r.rate("cbr").estimate.k
    for other in (name for name in ("orr", "dcr") if name in r.shown):
        gap = abs(r.rate(other).estimate.k - cbr)
        if out["cbr"] is None and out[other] is None and k is not None and 0 < gap < k:
            out["cbr"] = WITHHELD
    return out


def risk_marks(
    columns: Sequence[Sequence[int]], k: int | None, totals: Sequence[int] | None = None
) -> list[list[Mark]]:
    """Marks for numbers at risk: one list per time, over the curves of one panel.

    At each time the curves' numbers, with the patients at risk in no curve (without a value
    of the factor), add up to the number at risk under the overall curve (``totals``; default:
    the curves' sum), so each time is one group, marked as :func:`factor_marks` marks a
    factor's counts: at time 0, as the survival table marks the curves' n.
    """
    sums = [sum(counts) for counts in columns] if totals is None else totals
    return [
        factor_marks(list(counts), total - sum(counts), total, k)[0]
        for counts, total in zip(columns, sums, strict=True)
    ]
