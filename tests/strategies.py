"""Hypothesis strategies: whole studies (study.yml, workbook, manuscript) in the study language.

A generated :class:`Study` stays inside what the README ("The study folder"), ``config.py`` and the
two example studies document: study variables of every type, read or computed (``breaks``,
``pool``, ``formula``), Table I rows over them, Cox covariates with references, groups, cuts and
``per``, markers with cutoffs, ``compare_by``, any combination of endpoints with curves by up to
seven factors and landmark times, time units, an inclusion rule, ``small_cell``, conventions and
confidence levels. Patients' dates are consistent by construction (start ≤ progression ≤ death,
start ≤ treatment end ≤ last contact ≤ death, everything ≤ the data cutoff); :func:`broken_studies`
then breaks one thing on purpose and says where the error report must point.

Some inputs are not handled yet and are generated only behind the :class:`Switches`, all off by
default, so that they can be turned on once those cases are handled.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import yaml
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
D = dt.date

PARAGRAPHS = (
    "abstract_results", "methods_definitions", "methods_markers", "methods_statistics",
    "results_patients", "results_efficacy", "results_by_factor", "results_cox",
    "results_safety", "data_appendix",
)  # fmt: skip
RESPONSE_CHANGE = {"CR": (-100, -100), "PR": (-100, -30), "SD": (-29, 19), "PD": (20, 150)}
AE_TERMS = ("Hypertension", "Diarrhea", "Fatigue", "Rash", "Hand-foot syndrome", "Anorexia")
# Markup of HTML, Markdown, Typst and OpenXML, for the hostile_text switch.
HOSTILE = (
    "<b>x</b>", "*a*", "_b_", "$c$", "#d", "@e", "[f](g)", "a & b", "`h`", "\\i", "<w:t>", "url(j)"
)  # fmt: skip


@dataclass(frozen=True)
class Switches:
    """Families of input the generator may produce; each can be turned off to narrow a search.

    - ``missing_optional_columns``: the patients sheet lacks treatment_end, progression_date or
      end_reason;
    - ``missing_ae_sheet``: the workbook has no adverse-events sheet at all;
    - ``compare_by_blanks``: blank cells in the ``compare_by`` variable or its marker's inputs;
    - ``identifier_variables``: patient_id or birth_date named as a Table I row or Cox
      covariate (off by default: study.yml is then refused, so the example says nothing about
      the rest of the pipeline; tests/test_privacy.py covers the refusal);
    - ``hostile_text``: markup characters in labels, levels and terms;
    - ``cox_without_covariates``: ``cox.covariates`` empty;
    - ``age_cut_in_table1``: the age row of Table I split at a ``cut``.
    """

    missing_optional_columns: bool = True
    missing_ae_sheet: bool = True
    compare_by_blanks: bool = True
    identifier_variables: bool = False
    hostile_text: bool = True
    cox_without_covariates: bool = True
    age_cut_in_table1: bool = True


@dataclass(frozen=True)
class Expected:
    """Where the error report must point for a study broken on purpose."""

    code: int
    words: tuple[str, ...]  # each must appear in the message (sheet, row, column, key path)


@dataclass
class Study:
    """One generated study: its study.yml, its sheets as canonical rows and how to write them."""

    config: dict[str, Any]
    patients: list[dict[str, Any]]
    adverse_events: list[dict[str, Any]]
    as_csv: bool = False
    ae_sheet: bool = True
    dropped: tuple[str, ...] = ()  # canonical patient fields left out of the sheet
    expected: Expected | None = None  # None: a valid study
    formats: tuple[str, ...] = ("html",)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)

    def header(self, name: str) -> str:
        return self.config.get("columns", {}).get(name, name)

    def has_column(self, name: str) -> bool:
        """Whether the patients sheet has the canonical field ``name``."""
        return name in self.patients[0] and name not in self.dropped

    def patient_row(self, index: int) -> int:
        """The row of patient ``index`` as Excel (or a text editor) shows it: header in row 1."""
        return index + 2


# --- study variables ------------------------------------------------------------------------


def _words(switches: Switches) -> st.SearchStrategy[str]:
    plain = st.sampled_from(("Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta"))
    if switches.hostile_text:
        return st.one_of(plain, st.sampled_from(HOSTILE))
    return plain


@st.composite
def variables(draw: st.DrawFn, switches: Switches) -> dict[str, dict[str, Any]]:
    """Zero to four study variables, one of each type at most once per name."""
    kinds = draw(
        st.lists(st.sampled_from(("categorical", "binary", "continuous", "count")), max_size=4)
    )
    out: dict[str, dict[str, Any]] = {}
    for i, kind in enumerate(kinds):
        name = f"{kind[:3]}{i}"
        spec: dict[str, Any] = {"label": f"{draw(_words(switches))} {kind} {i}", "type": kind}
        if kind == "categorical":
            k = draw(st.integers(2, 5))
            words = draw(st.lists(_words(switches), min_size=k, max_size=k, unique=True))
            spec["levels"] = [f"{w} {j}" for j, w in enumerate(words)]
        elif kind == "binary":
            spec["levels"] = draw(st.sampled_from((["Yes", "No"], ["Positive", "Negative"])))
        elif kind == "continuous":
            spec |= {"unit": "mg/dL", "range": [0, 1000], "plausible": [0, 500]}
        else:
            spec["range"] = [0, 50]
        out[name] = spec
    return out


def _value(draw: st.DrawFn, spec: dict[str, Any], nonzero: bool) -> Any:
    """A value of the variable; ``nonzero`` where a 0 would leave a ratio marker blank."""
    if spec["type"] in ("categorical", "binary"):
        return draw(st.sampled_from(spec["levels"]))
    if spec["type"] == "count":
        return draw(st.integers(int(nonzero), 20))
    return round(draw(st.floats(0.1 if nonzero else 0, 400, allow_nan=False)), 1)


# --- patients -------------------------------------------------------------------------------


@st.composite
def patients(
    draw: st.DrawFn,
    n: int,
    cutoff: dt.date,
    study_variables: dict[str, dict[str, Any]],
    no_blanks: frozenset[str],
) -> list[dict[str, Any]]:
    """``n`` patients with consistent dates; all censored, all with events, or mixed."""
    regime = draw(st.sampled_from(("mixed", "mixed", "all_censored", "all_events")))
    p_event = {"mixed": draw(st.floats(0.1, 0.9)), "all_censored": 0.0, "all_events": 1.0}[regime]
    p_blank = draw(st.sampled_from((0.0, 0.0, 0.1, 0.3)))
    use_birth_date = draw(st.booleans())
    rows = []
    for i in range(n):
        follow = draw(st.integers(0, 1500))  # days from start to the cutoff
        start = cutoff - dt.timedelta(days=follow)
        row: dict[str, Any] = {"patient_id": f"P{i + 1:03d}", "treatment_start": start}
        row |= _outcome(draw, start, follow, p_event)
        age = draw(st.integers(20, 90))
        if use_birth_date:
            row["birth_date"] = start - dt.timedelta(
                days=int(age * 365.25) + draw(st.integers(0, 300))
            )
        else:
            row["age"] = age
        row["sex"] = draw(st.sampled_from(("Male", "Female", "M", "female", None)))
        response = draw(st.sampled_from(("CR", "PR", "SD", "PD", "NE", None)))
        row["best_response"] = response
        low, high = RESPONSE_CHANGE.get(response or "", (None, None))
        row["best_change_pct"] = None if low is None else draw(st.integers(low, high))
        for name, spec in study_variables.items():
            blank = name not in no_blanks and draw(st.floats(0, 1)) < p_blank
            row[name] = None if blank else _value(draw, spec, name in no_blanks)
        rows.append(row)
    return rows


def _outcome(draw: st.DrawFn, start: dt.date, follow: int, p_event: float) -> dict[str, Any]:
    """Progression, death, end of treatment and last contact, in an order that is always valid."""
    day = lambda d: start + dt.timedelta(days=d)  # noqa: E731
    last = draw(st.integers(0, follow))
    died = draw(st.floats(0, 1)) < p_event
    progressed = draw(st.floats(0, 1)) < p_event
    ended = died or draw(st.floats(0, 1)) < p_event
    death = draw(st.integers(last, follow)) if died else None
    out: dict[str, Any] = {
        "progression_date": day(draw(st.integers(0, last))) if progressed else None,
        "death_date": None if death is None else day(death),
        "last_contact": day(last),
        "treatment_end": None,
        "end_reason": None,
    }
    if died and draw(st.booleans()):
        out["last_contact"] = None  # the date of death is the follow-up
    if ended:
        end = draw(st.integers(0, last))
        reasons = ["adverse_event", "patient_decision", "physician_decision", "other"]
        reasons += ["progression"] if progressed else []
        reasons += ["death"] if died else []
        out["treatment_end"] = day(end)
        out["end_reason"] = draw(st.sampled_from(reasons))
    return out


@st.composite
def adverse_events(draw: st.DrawFn, ids: list[str], switches: Switches) -> list[dict[str, Any]]:
    """Zero or more events per patient (an empty sheet included), several per term allowed."""
    terms = st.sampled_from(AE_TERMS)
    if switches.hostile_text:
        terms = st.one_of(terms, st.sampled_from(HOSTILE))
    rows = []
    for pid in draw(st.lists(st.sampled_from(ids), max_size=2 * len(ids))):
        rows.append({"patient_id": pid, "term": draw(terms), "grade": draw(st.integers(1, 5))})
    return rows


# --- study.yml ------------------------------------------------------------------------------


def _numeric(spec: dict[str, Any]) -> bool:
    return spec["type"] in ("continuous", "count")


@st.composite
def markers(draw: st.DrawFn, study_variables: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Up to two markers over the numeric variables: one column or a ratio, with a cutoff."""
    numeric = [name for name, spec in study_variables.items() if _numeric(spec)]
    if not numeric:
        return {}
    out = {}
    for i in range(draw(st.integers(0, 2))):
        a, b = draw(st.sampled_from(numeric)), draw(st.sampled_from(numeric))
        formula = draw(st.sampled_from((a, f"{a} / {b}", f"({a} + {b}) / 2")))
        out[f"MK{i}"] = {
            "label": f"Marker {i}",
            "formula": formula,
            "cutoff": draw(st.sampled_from((0.5, 1, 5, 50, 150))),
            "decimals": draw(st.integers(0, 4)),
        }
    return out


@st.composite
def computed_variables(
    draw: st.DrawFn, study_variables: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Up to three variables computed from the read ones: classes of a number (``breaks``,
    labelled or not), pooled levels of a categorical (``pool``), a ``formula``. Their specs
    for study.yml, with the ``levels`` the configuration derives, for the other strategies."""
    numeric = ["age", *(n for n, spec in study_variables.items() if _numeric(spec))]
    categorical = [
        n for n, spec in study_variables.items()
        if spec["type"] == "categorical" and len(spec["levels"]) > 2
    ]  # fmt: skip
    out: dict[str, dict[str, Any]] = {}
    for i, kind in enumerate(draw(st.lists(st.sampled_from(("breaks", "pool", "formula")),
                                           max_size=3))):  # fmt: skip
        name = f"{kind}{i}"
        if kind == "breaks":
            at = draw(st.lists(st.sampled_from((1, 5, 50, 60, 100)), min_size=1, max_size=3,
                               unique=True))  # fmt: skip
            spec: dict[str, Any] = {"variable": draw(st.sampled_from(numeric)), "at": sorted(at)}
            if draw(st.booleans()):
                spec["labels"] = [f"Class {j}" for j in range(len(at) + 1)]
            out[name] = {"label": f"Classes {i}", "type": "categorical", "breaks": spec}
        elif kind == "pool" and categorical:
            source = draw(st.sampled_from(categorical))
            levels = study_variables[source]["levels"]
            split = draw(st.integers(1, len(levels) - 1))
            groups = {"First": levels[:split], "Rest": levels[split:]}
            out[name] = {"label": f"Pooled {i}", "type": "categorical",
                         "pool": {"variable": source, "groups": groups}}  # fmt: skip
        elif kind == "formula":
            a, b = draw(st.sampled_from(numeric)), draw(st.sampled_from(numeric))
            formula = draw(st.sampled_from((f"{a} * 2", f"log({a} + 1)", f"max({a}, {b})")))
            out[name] = {"label": f"Computed {i}", "type": "continuous", "formula": formula}
    return out


def derived_levels(spec: dict[str, Any]) -> list[str] | None:
    """The levels study.yml gives a computed categorical variable (None: not categorical)."""
    if "pool" in spec:
        return list(spec["pool"]["groups"])
    if "breaks" not in spec:
        return None
    breaks = spec["breaks"]
    if "labels" in breaks:
        return list(breaks["labels"])
    from cohortpress.config import Breaks

    return list(Breaks.model_validate(breaks).class_labels())


@st.composite
def table1_rows(
    draw: st.DrawFn,
    names: list[str],
    study_variables: dict[str, dict[str, Any]],
    switches: Switches,
) -> list[dict[str, Any]]:
    """Rows of Table I over ``names``: numbers summarised or cut, some rows grouped."""
    chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    rows = []
    for name in chosen:
        row: dict[str, Any] = {"variable": name}
        spec = study_variables.get(name)
        numeric = name == "age" or (spec is not None and _numeric(spec))
        can_cut = name != "age" or switches.age_cut_in_table1
        if numeric and can_cut and draw(st.booleans()):
            row["cut"] = draw(st.sampled_from((1, 5, 60, 100)))
            if draw(st.booleans()):
                row["cut_labels"] = ["below", "at or above"]
        elif numeric:
            row["summary"] = draw(st.sampled_from(("auto", "median_range", "median_iqr")))
        if draw(st.booleans()):
            row["group"] = "Grouped rows"
        rows.append(row)
    return rows


@st.composite
def covariates(
    draw: st.DrawFn, names: list[str], study_variables: dict[str, dict[str, Any]], min_size: int
) -> list[dict[str, Any]]:
    """Cox covariates over ``names``: references, groups of levels, cuts and ``per``."""
    chosen = draw(st.lists(st.sampled_from(names), unique=True, min_size=min_size, max_size=4))
    out = []
    for name in chosen:
        cov: dict[str, Any] = {"variable": name}
        spec = study_variables.get(name)
        if name == "sex":
            cov["reference"] = draw(st.sampled_from(("Male", "Female")))
        elif name == "age" or (spec is not None and _numeric(spec)):
            if draw(st.booleans()):
                cov["cut"] = draw(st.sampled_from((1, 5, 60, 100)))
                if draw(st.booleans()):
                    cov["cut_labels"] = ["low", "high"]
                    cov["reference"] = draw(st.sampled_from(cov["cut_labels"]))
            else:
                cov["per"] = draw(st.sampled_from((1, 10)))
        elif spec is not None:
            levels = spec["levels"]
            if len(levels) > 2 and draw(st.booleans()):
                split = draw(st.integers(1, len(levels) - 1))
                cov["groups"] = {"First": levels[:split], "Rest": levels[split:]}
                cov["reference"] = draw(st.sampled_from(("First", "Rest")))
            elif draw(st.booleans()):
                cov["reference"] = draw(st.sampled_from(levels))
        out.append(cov)
    return out


@st.composite
def multivariate(draw: st.DrawFn, covariate_names: list[str]) -> dict[str, Any]:
    rule = draw(st.sampled_from(("none", "univariate_p", "fixed")))
    if rule == "fixed" and covariate_names:
        chosen = draw(st.lists(st.sampled_from(covariate_names), unique=True, min_size=1))
        return {"rule": "fixed", "covariates": chosen}
    if rule == "univariate_p":
        return {"rule": rule, "threshold": draw(st.sampled_from((0.05, 0.1, 0.5)))}
    return {"rule": "none", "reason": "the small sample size"}


@st.composite
def statistics(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {"conventions": draw(st.sampled_from(("ezr", "r", "sas")))}
    out["conf_level"] = draw(st.sampled_from((0.8, 0.9, 0.95, 0.99)))
    if draw(st.booleans()):
        out["small_cell"] = draw(st.integers(2, 5))
    if draw(st.booleans()):
        out["ci_transform"] = draw(st.sampled_from(("log-log", "log", "plain")))
    return out


def _compare_choices(
    study_variables: dict[str, dict[str, Any]], marker_specs: dict[str, Any]
) -> list[str]:
    groups = [n for n, s in study_variables.items() if s["type"] in ("categorical", "binary")]
    return groups + list(marker_specs)


def _inputs_of(name: str, marker_specs: dict[str, Any], study_variables: dict) -> set[str]:
    """The workbook columns ``compare_by`` reads: the variable, or the marker's inputs."""
    if name in marker_specs:
        formula = marker_specs[name]["formula"]
        return {v for v in study_variables if v in re.findall(r"\w+", formula)}
    return {name}


@st.composite
def studies(
    draw: st.DrawFn,
    switches: Switches = Switches(),  # noqa: B008
    formats: st.SearchStrategy[tuple[str, ...]] = st.just(("html",)),  # noqa: B008
) -> Study:
    """A valid study: study.yml, a workbook of 1 to 60 patients and which formats to render."""
    cutoff = draw(st.dates(D(2015, 1, 1), D(2024, 12, 31)))
    study_variables = draw(variables(switches))
    marker_specs = draw(markers(study_variables))
    choices = _compare_choices(study_variables, marker_specs)
    compare_by = draw(st.none() | st.sampled_from(choices)) if choices else None
    no_blanks: frozenset[str] = frozenset()
    if compare_by and not switches.compare_by_blanks:
        no_blanks = frozenset(_inputs_of(compare_by, marker_specs, study_variables))
    n = draw(st.sampled_from((1, 2, 3)) | st.integers(4, 60))
    rows = draw(patients(n, cutoff, study_variables, no_blanks))
    age = "age" in rows[0]
    computed = draw(computed_variables(study_variables))  # read from no column
    # What Table I, Cox and the curves see: the computed ones with their derived levels.
    seen = {**study_variables}
    for name, spec in computed.items():
        levels = derived_levels(spec)
        seen[name] = {**spec, "levels": levels} if levels else spec
    config: dict[str, Any] = {
        "title": f"A generated cohort {draw(_words(switches))}",
        "disease": "generated cancer",
        "treatment": {"drug": "studymab"},
        "data_cutoff": cutoff,
        "time_unit": draw(st.sampled_from(("days", "weeks", "months", "years"))),
        "endpoints": [
            {"kind": k}
            for k in draw(st.permutations(("os", "pfs", "ttf")))[: draw(st.integers(1, 3))]
        ],
        "variables": {**study_variables, **computed},
        "markers": marker_specs,
    }
    groupable = [n for n, spec in seen.items() if spec.get("levels")]
    for endpoint in config["endpoints"]:  # curves by factors (none: the markers among cox's)
        if draw(st.booleans()):
            endpoint["by"] = draw(
                st.lists(st.sampled_from(["sex", *groupable, *marker_specs]), unique=True)
            )
        if draw(st.booleans()):
            times = st.sampled_from((1, 3, 6, 12, 24, 365))
            endpoint["landmarks"] = draw(st.lists(times, min_size=1, max_size=3, unique=True))
    names = ["age", "sex", *seen, *marker_specs]  # age also from birth dates
    if switches.identifier_variables:
        names += ["patient_id"] if age else ["patient_id", "birth_date"]
    config["table1"] = draw(table1_rows(names, seen, switches))
    covs = draw(covariates(names, seen, 0 if switches.cox_without_covariates else 1))
    covariate_names = [c["variable"] for c in covs]
    config["cox"] = {"covariates": covs, "multivariate": draw(multivariate(covariate_names))}
    if compare_by:
        config["compare_by"] = compare_by
    if draw(st.booleans()):
        config["inclusion"] = {
            "min_treatment": {
                "value": draw(st.sampled_from((1, 2, 6))),
                "unit": draw(st.sampled_from(("days", "weeks", "months"))),
            }
        }
    dropped = _dropped(draw, rows, switches)
    response = draw(_response("best_response" in dropped, "best_change_pct" in dropped))
    if response != "default":
        config["response"] = response
    config["adverse_events"] = draw(
        st.none()
        | st.fixed_dictionaries(
            {"severe_grade": st.integers(1, 5), "min_patients": st.integers(1, 3)}
        )
    )
    config["statistics"] = draw(statistics())
    binaries = [n for n, s in study_variables.items() if s["type"] == "binary"]
    if binaries and draw(st.booleans()):
        config["dose_reduction"] = draw(st.sampled_from(binaries))
    study = Study(
        config=config,
        patients=rows,
        adverse_events=draw(adverse_events([r["patient_id"] for r in rows], switches)),
        as_csv=draw(st.booleans()),
        ae_sheet=not (switches.missing_ae_sheet and draw(st.booleans())),
        dropped=dropped,
        formats=draw(formats),
        variables=study_variables,
    )
    if draw(st.booleans()):
        _rename_headers(study)
    return study


@st.composite
def _response(draw: st.DrawFn, no_responses: bool, no_changes: bool) -> Any:
    """The response key: left to its default, null, or settings (not without the column)."""
    if no_responses or draw(st.booleans()):
        return draw(st.sampled_from(("default", None)))
    return {
        "criteria": draw(st.sampled_from(("RECIST 1.1", "mRECIST", "RANO", "Lugano"))),
        "rates": draw(st.lists(st.sampled_from(("orr", "dcr", "cbr")), min_size=1, unique=True)),
        "sd_min_duration": {
            "value": draw(st.sampled_from((0, 6, 12))),
            "unit": draw(st.sampled_from(("weeks", "months"))),
        },
        "sd_strict": draw(st.booleans()),
        "waterfall": not no_changes and draw(st.booleans()),
    }


OPTIONAL_COLUMNS = ("treatment_end", "progression_date", "end_reason")


def _dropped(draw: st.DrawFn, rows: list[dict[str, Any]], switches: Switches) -> tuple[str, ...]:
    """Optional columns left out of the sheet: best response and change always may be."""
    optional = ["best_response", "best_change_pct"]
    if switches.missing_optional_columns:
        optional += [c for c in OPTIONAL_COLUMNS if all(r[c] is None for r in rows)]
        optional += ["progression_date"] if "progression_date" not in optional else []
    return tuple(draw(st.lists(st.sampled_from(optional), unique=True)))


def _rename_headers(study: Study) -> None:
    """Name some columns differently in the workbook and map them under ``columns:``."""
    names = ["patient_id", "treatment_start", "last_contact", "death_date", *study.variables]
    study.config["columns"] = {name: f"{name.replace('_', ' ').title()} (col)" for name in names}


def _prune(study: Study) -> dict[str, Any]:
    """study.yml without the keys a generated study leaves at their defaults."""
    return {k: v for k, v in study.config.items() if v not in ({}, [])}


def manuscript(study: Study) -> str:
    """A manuscript.qmd including every generated part this study is expected to produce."""
    parts = [*PARAGRAPHS, "table-characteristics", "figure-survival"]
    config = study.config
    if config["cox"]["covariates"]:
        parts.append("table-cox")
    if "adverse_events" not in config or config["adverse_events"] is not None:
        parts.append("table-adverse-events")
    responses = study.has_column("best_response")
    if "response" not in config and responses or config.get("response"):
        parts.append("table-response")
    if (config.get("response") or {}).get("waterfall"):
        parts.append("figure-waterfall")
    if config.get("compare_by"):
        parts.append("table-comparison")
    markers_in_cox = any(
        c["variable"] in config.get("markers", {}) for c in config["cox"]["covariates"]
    )
    for e in config["endpoints"]:  # curves by factor: those listed, else the markers of cox
        if e.get("by") or (e.get("by") is None and markers_in_cox):
            parts.append(f"figure-{e['kind']}-by")
    body = "\n\n".join(f"{{{{< include _generated/{part}.md >}}}}" for part in parts)
    head = (
        "---\nmetadata-files:\n  - _generated/results.yml\n  - _generated/front-matter.yml\n---\n\n"
    )
    return f"{head}## Results\n\n{body}\n"


def write_study(study: Study, root: Path) -> Path:
    """Write the study folder (study.yml, manuscript.qmd, the workbook) under ``root``.

    ``root`` gets a copy of the project's ``_quarto.yml``, as a project folder has.
    """
    shutil.copy2(ROOT / "_quarto.yml", root / "_quarto.yml")
    folder = root / "study"
    folder.mkdir()
    data = folder / ("data" if study.as_csv else "data.xlsx")
    config = {**_prune(study), "data": data.name}
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    (folder / "study.yml").write_text(text, encoding="utf-8")
    (folder / "manuscript.qmd").write_text(manuscript(study), encoding="utf-8")
    sheets = {"patients": _patient_table(study)}
    if study.ae_sheet:
        sheets["adverse_events"] = _ae_table(study)
    if study.as_csv:
        data.mkdir()
        for name, table in sheets.items():
            with (data / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
                csv.writer(handle).writerows([[_csv_cell(v) for v in row] for row in table])
    else:
        book = openpyxl.Workbook()
        book.remove(book.active)
        for name, table in sheets.items():
            sheet = book.create_sheet(name)
            for row in table:
                sheet.append(list(row))
        book.save(data)
    return folder


def _patient_table(study: Study) -> list[list[Any]]:
    fields = [f for f in study.patients[0] if f not in study.dropped]
    return [[study.header(f) for f in fields]] + [
        [row[f] for f in fields] for row in study.patients
    ]


def _ae_table(study: Study) -> list[list[Any]]:
    fields = ("patient_id", "term", "grade")
    return [[study.header(f) for f in fields]] + [
        [row[f] for f in fields] for row in study.adverse_events
    ]


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# --- broken on purpose ----------------------------------------------------------------------


@st.composite
def broken_studies(draw: st.DrawFn, switches: Switches = Switches()) -> Study:  # noqa: B008
    """A valid study with one thing broken; ``expected`` says where the report must point."""
    study = draw(studies(switches))
    breakers = [_bad_death, _bad_sex, _duplicate_id, _bad_grade, _unknown_ae_patient]
    breakers += [_bad_level, _out_of_range, _unknown_key, _unknown_variable, _bad_convention]
    breaker = draw(st.sampled_from(breakers))
    return breaker(draw, study) or _bad_sex(draw, study)


def _pick(draw: st.DrawFn, study: Study) -> int:
    return draw(st.integers(0, len(study.patients) - 1))


def _sheet_error(study: Study, index: int, field: str, sheet: str = "patients") -> Study:
    row = study.patient_row(index)
    study.expected = Expected(1, (sheet, str(row), study.header(field)))
    return study


def _bad_death(draw: st.DrawFn, study: Study) -> Study:
    i = _pick(draw, study)
    row = study.patients[i]
    row["death_date"] = row["treatment_start"] - dt.timedelta(days=draw(st.integers(1, 400)))
    row["last_contact"] = None
    row["treatment_end"], row["end_reason"] = None, None
    return _sheet_error(study, i, "death_date")


def _bad_sex(draw: st.DrawFn, study: Study) -> Study:
    i = _pick(draw, study)
    study.patients[i]["sex"] = draw(st.sampled_from(("Femal", "X", "mail")))
    return _sheet_error(study, i, "sex")


def _duplicate_id(draw: st.DrawFn, study: Study) -> Study | None:
    if len(study.patients) < 2:
        return None
    study.patients[-1]["patient_id"] = study.patients[0]["patient_id"]
    return _sheet_error(study, len(study.patients) - 1, "patient_id")


def _bad_grade(draw: st.DrawFn, study: Study) -> Study:
    study.ae_sheet = True
    if study.config.get("adverse_events", {}) is None:
        del study.config["adverse_events"]  # a study without AE analysis does not read the sheet
    pid = study.patients[0]["patient_id"]
    study.adverse_events.append({"patient_id": pid, "term": "Fatigue", "grade": 7})
    row = len(study.adverse_events) + 1
    study.expected = Expected(1, ("adverse_events", str(row), study.header("grade")))
    return study


def _unknown_ae_patient(draw: st.DrawFn, study: Study) -> Study:
    study.ae_sheet = True
    if study.config.get("adverse_events", {}) is None:
        del study.config["adverse_events"]  # a study without AE analysis does not read the sheet
    study.adverse_events.append({"patient_id": "Z999", "term": "Fatigue", "grade": 2})
    row = len(study.adverse_events) + 1
    study.expected = Expected(1, ("adverse_events", str(row), study.header("patient_id")))
    return study


def _bad_level(draw: st.DrawFn, study: Study) -> Study | None:
    names = [n for n, s in study.variables.items() if s["type"] in ("categorical", "binary")]
    if not names:
        return None
    name, i = draw(st.sampled_from(names)), _pick(draw, study)
    study.patients[i][name] = "Not a level"
    return _sheet_error(study, i, name)


def _out_of_range(draw: st.DrawFn, study: Study) -> Study | None:
    names = [n for n, s in study.variables.items() if _numeric(s)]
    if not names:
        return None
    name, i = draw(st.sampled_from(names)), _pick(draw, study)
    study.patients[i][name] = 100_000
    return _sheet_error(study, i, name)


def _unknown_key(draw: st.DrawFn, study: Study) -> Study:
    key = draw(st.sampled_from(("statistics", "response", "cox")))
    if study.config.get(key) is None:
        study.config[key] = {}
    study.config[key] = {**study.config[key], "colour": "blue"}
    study.expected = Expected(2, ("study.yml", f"{key}.colour", "unknown key"))
    return study


def _unknown_variable(draw: st.DrawFn, study: Study) -> Study:
    study.config["table1"] = [*study.config["table1"], {"variable": "no_such_column"}]
    index = len(study.config["table1"]) - 1
    study.expected = Expected(2, ("study.yml", f"table1[{index}]", "no_such_column"))
    return study


def _bad_convention(draw: st.DrawFn, study: Study) -> Study:
    study.config["statistics"] = {**study.config["statistics"], "conventions": "spss"}
    study.expected = Expected(2, ("study.yml", "statistics.conventions", "spss"))
    return study
