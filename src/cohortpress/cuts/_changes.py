"""What changed between two data cuts of the same study.

New follow-up is expected: new patients, new events after the previous cutoff, medians that
move within their confidence intervals. What a registry team must see is everything else:
patients who left the extract, patients whose eligibility changed, and *retroactive* changes,
data about the time before the previous cutoff that differ between the two extracts (a death
date moved, a progression gone, a baseline value rewritten, an adverse event regraded). Those
are counted by kind and listed by the Excel row of the new extract, never by patient ID.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from cohortpress.cuts._snapshot import DATE_FIELDS

if TYPE_CHECKING:
    import datetime as dt

    from cohortpress.cuts._snapshot import Snapshot

# The events whose count a new cut reports, by the date that records them.
EVENT_DATES = {"death_date": "deaths", "progression_date": "progressions",
               "treatment_end": "treatment ends"}  # fmt: skip
FIELD_NAMES = {
    "treatment_start": "treatment start",
    "treatment_end": "treatment end",
    "progression_date": "progression date",
    "death_date": "death date",
    "last_contact": "last contact",
    "last_assessment": "last tumour assessment",
    "end_reason": "reason treatment ended",
}


@dataclass(frozen=True)
class Headline:
    """One headline number before and after; ``beyond_ci``: it moved by more than half the
    width of the earlier confidence interval."""

    key: str
    before: str
    after: str
    beyond_ci: bool
    before_ci: str = ""  # the printed interval, e.g. "355–1,882"
    after_ci: str = ""

    @property
    def before_text(self) -> str:
        return f"{self.before} ({self.before_ci})" if self.before_ci else self.before

    @property
    def after_text(self) -> str:
        return f"{self.after} ({self.after_ci})" if self.after_ci else self.after


@dataclass(frozen=True)
class Changes:
    previous_cutoff: dt.date
    cutoff: dt.date
    added: tuple[int, ...]  # Excel rows of the new extract
    removed: int  # patients of the previous extract not in the new one
    newly_excluded: dict[str, tuple[int, ...]]  # reason -> rows
    newly_included: tuple[int, ...]
    new_events: dict[str, int]  # "deaths" -> count, among patients in both extracts and new
    followup: tuple[str, str]  # median follow-up before, after (printed)
    headlines: tuple[Headline, ...]
    retroactive: dict[str, tuple[int, ...]] = field(default_factory=dict)  # kind -> rows

    @property
    def retroactive_total(self) -> int:
        return sum(len(rows) for rows in self.retroactive.values())


def compare_cuts(
    before: Snapshot,
    after: Snapshot,
    before_results: dict[str, Any],
    after_results: dict[str, Any],
    previous_cutoff: dt.date,
    cutoff: dt.date,
) -> Changes:
    """Classify every difference between two cuts (snapshots and results.json)."""
    old = before.patients.drop_duplicates("key").set_index("key")
    new = after.patients.drop_duplicates("key").set_index("key")
    both = old.index.intersection(new.index)
    was_in = old.loc[both, "included"].astype(bool)
    now_in = new.loc[both, "included"].astype(bool)
    excluded_now = new.loc[both][was_in & ~now_in]
    newly_excluded: dict[str, tuple[int, ...]] = {}
    for reason, rows in excluded_now.groupby("excluded_reason", dropna=False)["row"]:
        newly_excluded[str(reason)] = tuple(sorted(int(r) for r in rows))
    limit = pd.Timestamp(previous_cutoff)
    added = new.loc[new.index.difference(old.index)]
    followup = "followup.median"
    return Changes(
        previous_cutoff=previous_cutoff,
        cutoff=cutoff,
        added=tuple(sorted(int(r) for r in added["row"])),
        removed=len(old.index.difference(new.index)),
        newly_excluded=newly_excluded,
        newly_included=tuple(sorted(int(r) for r in new.loc[both][~was_in & now_in]["row"])),
        new_events=_new_events(old.loc[both], new.loc[both], added),
        followup=(_text(before_results, followup), _text(after_results, followup)),
        headlines=tuple(_headlines(before_results, after_results)),
        retroactive=_retroactive(old.loc[both], new.loc[both], before, after, limit),
    )


def _new_events(old: pd.DataFrame, new: pd.DataFrame, added: pd.DataFrame) -> dict[str, int]:
    counts: dict[str, int] = {}
    for column, name in EVENT_DATES.items():
        if column not in new:
            continue
        recorded_now = new[column].notna()
        before = old[column].notna() if column in old else pd.Series(False, index=old.index)
        counts[name] = int((recorded_now & ~before).sum()) + int(added[column].notna().sum())
    return counts


def _retroactive(
    old: pd.DataFrame, new: pd.DataFrame, before: Snapshot, after: Snapshot, limit: pd.Timestamp
) -> dict[str, tuple[int, ...]]:
    """Differences in what was known up to the previous cutoff, by kind -> Excel rows (new)."""
    found: dict[str, list[int]] = {}

    def note(kind: str, mask: pd.Series) -> None:
        rows = [int(r) for r in new.loc[mask[mask].index, "row"]]
        if rows:
            found.setdefault(kind, []).extend(rows)

    for column in DATE_FIELDS:
        if column not in old or column not in new:
            continue
        a, b = old[column], new[column]
        name = FIELD_NAMES[column]
        known = a.notna() & (a <= limit)
        note(f"{name} changed", known & b.notna() & (a != b))
        note(f"{name} removed", known & b.isna())
        note(f"{name} added before the previous cutoff", a.isna() & b.notna() & (b <= limit))
    if "end_reason" in old and "end_reason" in new and "treatment_end" in old:
        ended = old["treatment_end"].notna() & (old["treatment_end"] <= limit)
        a, b = old["end_reason"], new["end_reason"]
        note("reason treatment ended changed", ended & (a.fillna("") != b.fillna("")))
    baseline = [c for c in new.columns if c.startswith("baseline:") or c == "sex"]
    for column in baseline:
        if column in old:
            a, b = old[column].astype("string"), new[column].astype("string")
            label = column.removeprefix("baseline:")
            note(f"baseline {label} changed", a.fillna("\0") != b.fillna("\0"))
    for kind, rows in _ae_changes(before, after, limit, old.index).items():
        found.setdefault(kind, []).extend(rows)
    return {kind: tuple(sorted(set(rows))) for kind, rows in sorted(found.items())}


def _ae_changes(
    before: Snapshot, after: Snapshot, limit: pd.Timestamp, keys: pd.Index
) -> dict[str, list[int]]:
    """Adverse events that began by the previous cutoff: regraded or gone (worst grade per
    patient and term); rows are those of the new adverse events sheet, or of the patient."""
    old = before.adverse_events
    new = after.adverse_events
    if old.empty:
        return {}
    old = old[old["key"].isin(keys) & (old["onset_date"].isna() | (old["onset_date"] <= limit))]
    worst_old = old.groupby(["key", "term"])["grade"].max()
    worst_new = new.groupby(["key", "term"])["grade"].max() if not new.empty else pd.Series()
    rows_new = new.groupby(["key", "term"])["row"].min() if not new.empty else pd.Series()
    patient_row = after.patients.drop_duplicates("key").set_index("key")["row"]
    found: dict[str, list[int]] = {}
    for index, grade in worst_old.items():
        pair = cast("tuple[str, str]", index)
        if pair not in worst_new.index:
            found.setdefault("adverse event removed", []).append(int(patient_row[pair[0]]))
        elif not _same(grade, worst_new[pair]):
            found.setdefault("adverse event grade changed", []).append(int(rows_new[pair]))
    return found


def _same(a: Any, b: Any) -> bool:
    return (pd.isna(a) and pd.isna(b)) or a == b


def _entry(results: dict[str, Any], key: str) -> dict[str, Any] | None:
    node: Any = results
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if _is_leaf(node) else None


def _text(results: dict[str, Any], key: str) -> str:
    entry = _entry(results, key)
    return "–" if entry is None else str(entry["text"])


def _headlines(before: dict[str, Any], after: dict[str, Any]) -> list[Headline]:
    """Medians, landmark rates, HRs and proportions with a CI, in results.json order."""
    out: list[Headline] = []
    for key, entry, ci_key in _estimates(after):
        old = _entry(before, key)
        if old is None:
            continue
        old_ci, new_ci = _entry(before, ci_key), _entry(after, ci_key)
        out.append(
            Headline(
                key, str(old["text"]), str(entry["text"]),
                _beyond(old["value"], entry["value"], old_ci),
                str(old_ci["text"]) if old_ci else "", str(new_ci["text"]) if new_ci else "",
            )
        )  # fmt: skip
    return out


_ESTIMATES = {"median": "ci", "hr": "hr_ci", "pct": "ci", "value": "ci"}


def _estimates(results: dict[str, Any], prefix: str = "") -> list[tuple[str, dict, str]]:
    found: list[tuple[str, dict, str]] = []
    for name, node in results.items():
        if name == "provenance" or not isinstance(node, dict):
            continue
        key = f"{prefix}{name}"
        if isinstance(node.get("text"), str):  # a leaf: value, text, unit, method
            continue
        for leaf, ci in _ESTIMATES.items():
            entry = node.get(leaf)
            if isinstance(entry, dict) and _is_leaf(entry) and _is_leaf(node.get(ci)):
                found.append((f"{key}.{leaf}", entry, f"{key}.{ci}"))
        found += _estimates(node, f"{key}.")
    return found


def _is_leaf(node: Any) -> bool:
    return isinstance(node, dict) and isinstance(node.get("text"), str)


def _beyond(old: Any, new: Any, old_ci: dict[str, Any] | None) -> bool:
    """A move larger than half the earlier CI's width (a median turning not reached, or
    the reverse, counts as a move beyond it)."""
    if old is None or new is None:
        return (old is None) != (new is None)
    if old_ci is None or not isinstance(old_ci.get("value"), list):
        return False
    low, high = old_ci["value"]
    if low is None or high is None or any(map(_bad, (low, high, old, new))):
        return False
    return abs(float(new) - float(old)) > (float(high) - float(low)) / 2


def _bad(x: Any) -> bool:
    return not isinstance(x, int | float) or math.isnan(float(x))
