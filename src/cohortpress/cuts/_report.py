"""``update_report.qmd``: what changed since the previous cut, for the registry team.

Counts below the study's ``small_cell`` threshold print as "<k", as in the manuscript; rows
are Excel rows of the new extract, for the data manager to open, never patient IDs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cohortpress._yaml import dump_yaml
from cohortpress.analyse._km import km_estimate
from cohortpress.present import format as fmt
from cohortpress.present.escape import markdown_text

if TYPE_CHECKING:
    from pathlib import Path

    from cohortpress.config import StudyConfig
    from cohortpress.cuts._changes import Changes
    from cohortpress.cuts._snapshot import Snapshot

UPDATE_REPORT = "update_report.qmd"
_ROWS_SHOWN = 30


def write_update_report(
    staging: Path,
    changes: Changes,
    before: Snapshot,
    after: Snapshot,
    config: StudyConfig,
) -> Path:
    """The report's source and its overlay figures (``figures/update-<endpoint>.png``)."""
    k = config.statistics.small_cell
    previous, now = fmt.date(changes.previous_cutoff), fmt.date(changes.cutoff)
    lines = [f"Data cut of {now} compared with the cut of {previous}.", ""]
    lines += ["## Patients", ""]
    lines.append(f"- New patients: {_count(len(changes.added), k)}{_rows(changes.added, k)}")
    lines.append(f"- Patients no longer in the extract: {_count(changes.removed, k)}")
    for reason, rows in changes.newly_excluded.items():
        lines.append(f"- Newly excluded ({markdown_text(reason)}): {_count(len(rows), k)}"
                     f"{_rows(rows, k)}")  # fmt: skip
    if changes.newly_included:
        lines.append(f"- Newly included: {_count(len(changes.newly_included), k)}"
                     f"{_rows(changes.newly_included, k)}")  # fmt: skip
    lines += ["", "## Events and follow-up", ""]
    for name, count in changes.new_events.items():
        lines.append(f"- New {name}: {_count(count, k)}")
    before_fu, after_fu = changes.followup
    lines.append(f"- Median follow-up: {markdown_text(before_fu)} → {markdown_text(after_fu)} "
                 f"{markdown_text(config.time_unit)}")  # fmt: skip
    lines += ["", "## Headline numbers", ""]
    lines += _headline_table(changes)
    lines += ["", "## Retroactive changes", ""]
    if not changes.retroactive:
        lines.append(f"No data about the time up to {previous} differ between the two extracts.")
    else:
        lines.append(f"Data about the time up to {previous} that differ between the two "
                     "extracts, by kind (Excel rows of the new extract):")  # fmt: skip
        lines.append("")
        for kind, rows in changes.retroactive.items():
            lines.append(f"- {markdown_text(kind)}: {_count(len(rows), k)}{_rows(rows, k)}")
    lines += ["", "## Survival curves of the two cuts", ""]
    lines += _overlays(staging, before, after, config, previous, now)
    front = {"title": "Registry update", "subtitle": markdown_text(config.title)}
    text = "---\n" + dump_yaml(front) + "---\n\n"
    path = staging / UPDATE_REPORT
    path.write_text(text + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _count(n: int, k: int | None) -> str:
    return f"<{k}" if k and 0 < n < k else fmt.integer(n)


def _rows(rows: tuple[int, ...], k: int | None) -> str:
    """The Excel rows, unless the group is small (they would count it) or empty."""
    if not rows or (k and len(rows) < k):
        return ""
    shown = ", ".join(str(r) for r in rows[:_ROWS_SHOWN])
    more = f", … ({len(rows) - _ROWS_SHOWN:,} more)" if len(rows) > _ROWS_SHOWN else ""
    return f" ({'rows' if len(rows) > 1 else 'row'} {shown}{more})"


def _headline_table(changes: Changes) -> list[str]:
    """The medians, rates and HRs that changed (results.json keys), flagged when the move is
    larger than half the earlier CI; the unchanged ones are counted."""
    if not changes.headlines:
        return ["No headline number is shared by the two cuts."]
    moved = [h for h in changes.headlines if h.before_text != h.after_text]
    same = len(changes.headlines) - len(moved)
    tail = f"{same:,} other headline numbers are unchanged." if same else ""
    if not moved:
        return [f"All {same:,} headline numbers (medians, rates, hazard ratios) are unchanged."]
    rows = ["| Result | Previous cut (CI) | This cut (CI) | Moved beyond half the earlier CI |",
            "|---|---|---|---|"]  # fmt: skip
    for h in moved:
        flag = "**yes**" if h.beyond_ci else "no"
        cells = (markdown_text(h.key), markdown_text(h.before_text), markdown_text(h.after_text),
                 flag)  # fmt: skip
        rows.append("| " + " | ".join(cells) + " |")
    caption = ": Headline numbers that changed (results.json keys) {#tbl-update-headlines}"
    return [*rows, "", caption, "", tail]


def _overlays(
    staging: Path, before: Snapshot, after: Snapshot, config: StudyConfig, previous: str, now: str
) -> list[str]:
    """One figure per endpoint: the previous cut dashed, this one solid."""
    from matplotlib.figure import Figure

    lines: list[str] = []
    for endpoint in config.endpoints:
        time, event = f"{endpoint.kind}_time", f"{endpoint.kind}_event"
        if time not in after.patients or time not in before.patients:
            continue
        figure = Figure(figsize=(6, 3.6), dpi=150)
        axes = figure.add_subplot()
        for snapshot, label, style in ((before, previous, "--"), (after, now, "-")):
            analysed = snapshot.patients[snapshot.patients["included"].astype(bool)]
            km = km_estimate(analysed[time], analysed[event])
            table = km.table
            xs = [0.0, *table["time"].tolist()]
            ys = [1.0, *table["surv"].tolist()]
            axes.step(xs, ys, where="post", linestyle=style, color="black",
                      label=f"Cut of {label} (n={km.n:,}, {km.events:,} events)")  # fmt: skip
        axes.set_ylim(0, 1.02)
        axes.set_xlabel(f"Time ({config.time_unit})")
        axes.set_ylabel(f"{endpoint.kind.upper()} probability")
        axes.legend(frameon=False, fontsize=8, loc="lower left")
        figure.tight_layout()
        name = f"update-{endpoint.kind}"
        (staging / "figures").mkdir(exist_ok=True)
        figure.savefig(staging / "figures" / f"{name}.png", metadata={"Software": None})
        caption = f"{endpoint.kind.upper()} in the cut of {previous} (dashed) and of {now} (solid)."
        lines += [f"![{markdown_text(caption)}](figures/{name}.png){{#fig-{name}}}", ""]
    return lines


def summary_lines(changes: Changes, k: int | None) -> list[str]:
    """The changes in a few lines of plain text (``cohortpress changes``)."""
    lines = [f"Cut of {changes.cutoff.isoformat()} against {changes.previous_cutoff.isoformat()}:"]
    lines.append(f"  new patients {_count(len(changes.added), k)}, no longer in the extract "
                 f"{_count(changes.removed, k)}")  # fmt: skip
    for reason, rows in changes.newly_excluded.items():
        lines.append(f"  newly excluded ({reason}): {_count(len(rows), k)}{_rows(rows, k)}")
    if changes.newly_included:
        lines.append(f"  newly included: {_count(len(changes.newly_included), k)}")
    events = ", ".join(f"{name} {_count(n, k)}" for name, n in changes.new_events.items())
    lines.append(f"  new events: {events or 'none recorded'}")
    before, after = changes.followup
    lines.append(f"  median follow-up: {before} -> {after}")
    moved = [h for h in changes.headlines if h.before_text != h.after_text]
    flagged = [h for h in moved if h.beyond_ci]
    lines.append(f"  headline numbers changed: {len(moved):,} of {len(changes.headlines):,}, "
                 f"{len(flagged):,} beyond the earlier CI half-width")  # fmt: skip
    for h in flagged:
        lines.append(f"    {h.key}: {h.before_text} -> {h.after_text}")
    if not changes.retroactive:
        lines.append("  retroactive changes: none")
    for kind, rows in changes.retroactive.items():
        lines.append(f"  retroactive, {kind}: {_count(len(rows), k)}{_rows(rows, k)}")
    return lines
