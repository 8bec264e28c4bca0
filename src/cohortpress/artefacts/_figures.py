"""Which figures a study gets, with their captions, drawn from the analysis results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cohortpress.present import format as fmt
from cohortpress.present import suppress as sup
from cohortpress.present import wording
from cohortpress.present.notes import term_note
from cohortpress.response_criteria import DEFAULT as DEFAULT_CRITERIA

if TYPE_CHECKING:
    from pathlib import Path

    from cohortpress.analyse import FigureData, StudyResults
    from cohortpress.analyse._results import CoxTerm, KMEstimate
    from cohortpress.analyse._study import EndpointResult, GroupedSurvival
    from cohortpress.artefacts.figures._parallel import Drawing
    from cohortpress.config import StudyConfig

PANEL_LETTERS = "ABCD"
# Curves by factor: at most two rows of two panels a figure, each row as tall as the survival
# figure, so that a figure fits a page with panels as large as the paper's. More factors are
# shared out over several figures (see by_figures).
PANELS_PER_FIGURE = len(PANEL_LETTERS)


@dataclass(frozen=True)
class FigureSpec:
    id: str  # Quarto cross-reference id without the "fig-" prefix
    caption: str
    stem: str  # file name without extension under figures/


def _annotation(g: GroupedSurvival, unit: str, style: str, ci: str, names: list[str]) -> str:
    lines = [f"Median ({unit})"]
    lines += [
        f"{name}: {fmt.time(km.median.estimate, unit, short=True)}"
        for name, km in zip(names, g.estimates, strict=True)
    ]
    compared = _compared(g)
    named = dict(zip(g.levels, names, strict=True))  # each level as its curve is named
    if len(compared) == 1:
        lines.append(f"HR {_hazard_ratio(compared[0], ci)}")
    elif compared:  # more groups: each level against the reference, as the Cox table lists them
        reference = str(compared[0].reference)
        lines.append(f"HR ({ci}) vs {named.get(reference, reference)}")
        lines += [f"{named[str(t.level)]}: {_hazard_ratio(t)}" for t in compared]
    if g.logrank is not None:
        # Two groups: 1 df goes without saying; more groups state theirs.
        df = f", {g.logrank.df} df" if g.logrank.df > 1 else ""
        lines.append(f"Log-rank {fmt.p_text(g.logrank.p, style)}{df}")
    return "\n".join(lines)


def _compared(g: GroupedSurvival) -> list[CoxTerm]:
    """The panel's hazard ratios: one per level drawn against the reference, those that could
    not be estimated included; none where a single group is drawn."""
    terms = g.cox.terms if g.cox is not None and len(g.levels) > 1 else ()
    return [t for t in terms if t.level in g.levels and t.reference in g.levels]


def _hazard_ratio(term: CoxTerm, ci: str | None = None) -> str:
    """'0.21 (95% CI 0.05–0.88)', or 'NE' as the Cox table prints a term without one."""
    if term.hr is None:
        return fmt.NOT_ESTIMABLE
    label = f"{ci} " if ci else ""
    return f"{fmt.hazard_ratio(term.hr)} ({label}{fmt.hr_ci(term.lower, term.upper)})"


def _overall_annotation(e: EndpointResult, unit: str) -> str:
    med = e.overall.median
    ci = fmt.ci_label(e.overall.conf_level)
    return (
        f"Median {fmt.time(med.estimate, unit, short=True)} {unit}\n"
        f"({ci} {fmt.time_ci(med.lower, med.upper, unit, short=True)})"
    )


def build_figures(
    results: StudyResults | FigureData,
    config: StudyConfig,
    folder: Path,
    *,
    width: float,
    height: float,
) -> tuple[list[FigureSpec], list[Drawing]]:
    """Every figure's spec, for the Markdown snippets, and what is to be drawn into
    ``folder`` (PNG and SVG, ``width`` x ``height`` inches).

    Building needs no matplotlib: the figures are drawn in other processes while the run goes
    on (:class:`~cohortpress.artefacts.figures._parallel.Drawer`).
    """
    from cohortpress.artefacts.figures import (
        figure_km,
        figure_panels,
        figure_waterfall,
    )
    from cohortpress.artefacts.figures._km_data import MAX_MARKED_CENSORED, marks_readable
    from cohortpress.artefacts.figures._parallel import Drawing
    from cohortpress.artefacts.figures._waterfall import RECIST_LINES

    unit = results.time_unit
    style = results.conventions.p_style
    ci = fmt.ci_label(results.conventions.conf_level)
    time_label = wording.time_axis_title(config.treatment.drug, unit)
    specs: list[FigureSpec] = []
    drawings: list[Drawing] = []
    data = results.waterfall
    if data is not None:
        unmeasured = results.n - len(data.change_pct)  # analysis keeps measured patients only
        waterfall = figure_waterfall(
            data.change_pct,
            data.best_response,
            response_order=_response_order(config),
            thresholds=config.response.scheme.thresholds if config.response else RECIST_LINES,
            not_measured=unmeasured,
            small_cell=results.conventions.small_cell,
        )
        drawings.append(Drawing(waterfall, folder / "waterfall", width, height * 0.8, 1))
        caption = _waterfall_caption(waterfall.n_patients, config)
        if waterfall.note:
            caption = f"{caption} {waterfall.note}"
        specs.append(FigureSpec("waterfall", caption, "waterfall"))
    panels = [
        figure_km(
            [e.overall],
            risk=e.risk,
            time_label=time_label,
            ylabel=wording.survival_axis_title(wording.endpoint_label(e)),
            names=[wording.OVERALL_CURVE],
            annotation=_overall_annotation(e, unit),
            time_breaks=e.risk.times,
            panel=PANEL_LETTERS[i] if len(results.endpoints) > 1 else None,
            small_cell=results.conventions.small_cell,
        )
        for i, e in enumerate(results.endpoints)
    ]
    survival = figure_panels(panels, ncol=len(panels))
    drawings.append(Drawing(survival, folder / "survival", width, height, len(panels)))
    unmarked = (
        f"Censoring marks are not drawn in panels with more than {MAX_MARKED_CENSORED:,} "
        "censored patients, where they would merge into a band."
    )
    marked = all(marks_readable([e.overall]) for e in results.endpoints)
    caption = _survival_caption(results, config, None if marked else unmarked)
    specs.append(FigureSpec("survival", caption, "survival"))
    for e in results.endpoints:
        for stem, groups in by_figures(e):
            panels = [
                figure_km(
                    list(g.estimates),
                    risk=g.risk,
                    time_label=time_label,
                    ylabel=wording.survival_axis_title(wording.endpoint_label(e)),
                    names=wording.curve_names(g, config),
                    annotation=_annotation(g, unit, style, ci, wording.curve_names(g, config)),
                    time_breaks=g.risk.times,
                    panel=PANEL_LETTERS[i] if len(groups) > 1 else None,
                    small_cell=results.conventions.small_cell,
                    at_risk_totals=e.risk.n_risk[e.overall.label],
                )
                for i, g in enumerate(groups)
            ]
            # Two panels a row, each row as tall as the survival figure; a single panel is
            # drawn as that figure is.
            ncol = min(len(panels), 2)
            rows = -(-len(panels) // ncol)
            grid = figure_panels(panels, ncol=ncol)
            drawings.append(Drawing(grid, folder / stem, width, height * rows, len(panels)))
            marked = all(marks_readable(g.estimates) for g in groups)
            caption = _by_caption(
                e, groups, config, None if marked else unmarked, results.conventions.small_cell
            )
            specs.append(FigureSpec(stem, caption, stem))
    return specs, drawings


def by_figures(e: EndpointResult) -> list[tuple[str, tuple[GroupedSurvival, ...]]]:
    """The figures of ``e``'s curves by factor, in order: each one's id and its factors' curves,
    one panel each.

    Up to :data:`PANELS_PER_FIGURE` factors are one figure, ``<kind>-by``. More are shared out
    over as few figures as hold them, as evenly as they go and in their order (nine factors:
    three figures of three), so that no figure ends with a lone panel:
    ``<kind>-by``, ``<kind>-by-2``, … The text cites each figure after its factors.
    """
    count = -(-len(e.by) // PANELS_PER_FIGURE)
    figures: list[tuple[str, tuple[GroupedSurvival, ...]]] = []
    start = 0
    for index in range(count):
        size = len(e.by) // count + (index < len(e.by) % count)
        suffix = "" if index == 0 else f"-{index + 1}"
        figures.append((f"{e.kind}-by{suffix}", e.by[start : start + size]))
        start += size
    return figures


def _survival_caption(
    results: StudyResults | FigureData, config: StudyConfig, unmarked: str | None
) -> str:
    names = [wording.endpoint_label(e).lower() for e in results.endpoints]
    parts = [
        f"{name} ({PANEL_LETTERS[i]})" if len(names) > 1 else name for i, name in enumerate(names)
    ]
    text = wording.series(parts)
    not_reached = any(_not_reached(e.overall) for e in results.endpoints)
    return (
        f"{text[0].upper()}{text[1:]} in the {fmt.integer(results.n)} patients treated with "
        f"{config.treatment.drug}. "
        + ("Kaplan–Meier estimates; " if unmarked else "Kaplan–Meier estimates; + censored; ")
        + "numbers at risk below each panel. CI: confidence interval"
        + ("; NR: not reached." if not_reached else ".")
        + (f" {unmarked}" if unmarked else "")
    )


def _by_caption(
    e: EndpointResult,
    groups: tuple[GroupedSurvival, ...],
    config: StudyConfig,
    unmarked: str | None,
    small_cell: int | None,
) -> str:
    """The panels (one figure's ``groups`` of ``e``), then what a reader needs to read them:
    the abbreviations, each marker's cutoff (high: at or above it), the direction of each
    hazard ratio, NR."""
    names = [g.factor if g.factor in config.markers else g.label for g in groups]
    factors = ", ".join(
        f"({PANEL_LETTERS[i]}) {name}" if len(names) > 1 else name for i, name in enumerate(names)
    )
    markers = [config.markers[g.factor] for g in groups if g.factor in config.markers]
    abbreviations = "; ".join(m.abbreviation or "" for m in markers if m.abbreviation)
    cutoffs = ", ".join(
        f"{g.factor} {fmt.plain(m.cutoff)}{_unit_suffix(m.unit)}"
        for g, m in ((g, config.markers[g.factor]) for g in groups if g.factor in config.markers)
    )
    directions = [(PANEL_LETTERS[i], _direction(g, config)) for i, g in enumerate(groups)]
    named = [f"({letter}) {d}" if len(groups) > 1 else d for letter, d in directions if d]
    if len(groups) > 1 and all(g.factor in config.markers and len(g.levels) == 2 for g in groups):
        named = ["the high vs the low group of each marker"]  # one rule for every panel
    hr = "HR: hazard ratio (Cox)" + (f", {', '.join(named)}" if named else "")
    not_reached = any(_not_reached(km) for g in groups for km in g.estimates)
    legend = [hr, "CI: confidence interval"]
    legend += ["NR: not reached"] if not_reached else []
    unestimable = [
        note for g in groups if g.cox is not None for t in _compared(g)
        if (note := term_note(t, g.cox))
    ]  # fmt: skip
    reasons = "; ".join(note.rstrip(".") for note in unestimable)
    legend += [f"NE: not estimable ({reasons})"] if unestimable else []
    legend += [f"high: at or above the cutoff ({cutoffs})"] if cutoffs else []
    legend += [abbreviations] if abbreviations else []
    left_out = _left_out(e, groups, config, small_cell)
    return (
        f"{wording.endpoint_label(e)} according to baseline {factors} in patients who received "
        f"{config.treatment.drug}. {'; '.join(legend)}."
        + (f" {left_out}" if left_out else "")
        + (f" {unmarked}" if unmarked else "")
    )


def _left_out(
    e: EndpointResult,
    groups: tuple[GroupedSurvival, ...],
    config: StudyConfig,
    small_cell: int | None,
) -> str:
    """The patients a panel does not show, having no value of its factor: "Not shown: (A) 8
    patients without a recorded BRAF V600 status." (the curves of the levels sum to fewer
    patients than the endpoint's), counted as the survival table counts them."""
    parts = []
    for i, g in enumerate(groups):
        missing = e.unrecorded(g)
        if missing <= 0:
            continue
        count = fmt.count(missing, sup.grouped_marks(e, g, small_cell)[1])
        panel = f"({PANEL_LETTERS[i]}) " if len(groups) > 1 else ""
        parts.append(f"{panel}{wording.not_recorded(count, missing, g, config)}")
    return f"Not shown: {'; '.join(parts)}." if parts else ""


def _not_reached(km: KMEstimate) -> bool:
    """Whether a median or a bound of its CI prints as NR."""
    m = km.median
    return m.estimate is None or m.lower is None or m.upper is None


def _unit_suffix(unit: str | None) -> str:
    """'/µl' follows the number; a word unit gets a space: '0.8 mg/dL'."""
    if not unit:
        return ""
    return unit if unit.startswith("/") else f" {unit}"


def _direction(g: GroupedSurvival, config: StudyConfig) -> str:
    """Which group a panel's hazard ratios compare with which: "high vs low LMR",
    "Child–Pugh class B vs A", "each ALBI grade vs Grade 1"."""
    if g.cox is None or not g.cox.terms or g.cox.terms[0].level is None or len(g.levels) < 2:
        return ""  # a single group drawn: no hazard ratio to read
    term = g.cox.terms[0]
    if len(g.levels) > 2:
        return f"each {g.label} vs {term.reference}"
    if g.factor in config.markers:
        return f"{str(term.level).lower()} vs {str(term.reference).lower()} {g.factor}"
    return f"{g.label} {term.level} vs {term.reference}"


def _response_order(config: StudyConfig) -> tuple[str, ...]:
    """The criteria's categories; a patient without a best response is drawn as NE."""
    codes = config.response.scheme.codes if config.response else ("CR", "PR", "SD", "PD", "NE")
    return codes if "NE" in codes else (*codes, "NE")


def _waterfall_caption(drawn: int, config: StudyConfig) -> str:
    """The caption counts the patients the figure shows; its note names those it does not."""
    scheme = config.response.scheme if config.response else DEFAULT_CRITERIA
    lines = ""
    if scheme.thresholds is not None:
        up, down = (fmt.signed_percent(value) for value in scheme.thresholds)
        lines = f" Dashed lines: {up} and {down} ({scheme.name})."
    return (
        f"Maximal percent change in the sum of target lesions from baseline in the "
        f"{fmt.integer(drawn)} "
        f"patients treated with {config.treatment.drug}.{lines}"
    )
