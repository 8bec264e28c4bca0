"""Write the synthetic workbook of the immunotherapy test study (no real patient is in it).

First-line pembrolizumab monotherapy in advanced non-small-cell lung cancer: 104 patients
screened at one hospital, survival by PD-L1 tumour proportion score (TPS). The sheet is written
as the hospital's registry keeps it: its own column headers, text dates as DD/MM/YYYY, its own
words for the reason treatment stopped, "PS 1" for ECOG, "G2" for grades and immune-related
adverse events (irAEs) spelled several ways. Outcomes are drawn from a fixed seed with hazards
by PD-L1 group, so the script writes the same bytes every time.

    python tests/studies/immunotherapy/make_data.py

``expected.R`` recomputes the numbers the test compares from this workbook with R's survival.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

import numpy as np
from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "data"))
from _xlsx import fill_sheet, reproducible  # noqa: E402

OUT = Path(__file__).with_name("data.xlsx")
SEED = 2023_06_30
N = 104
CUTOFF = dt.date(2023, 6, 30)
MONTH = 30.4375

PATIENT_HEADERS = (
    "Pt no.", "Sex (M/F)", "Age at 1st dose", "1st dose pembro", "Last dose pembro",
    "Reason stopped", "PD date", "Date of death", "Last seen alive", "BOR (RECIST 1.1)",
    "PD-L1 TPS (%)", "Histology", "ECOG", "Smoking", "Brain mets at baseline",
)  # fmt: skip
AE_HEADERS = ("Pt no.", "irAE", "CTCAE grade", "Onset")

# Median OS and PFS (months) and the objective response probability of each PD-L1 group.
GROUPS = {"<1": (10.0, 3.5, 0.10), "1-49": (14.0, 5.0, 0.22), ">=50": (22.0, 8.5, 0.45)}
# irAE terms as the hospital's nurses typed them, with how often each patient gets one.
IRAE = (
    (("Hypothyroidism", "Hypothyroid", "hypothyroidism"), 0.16, (1, 2)),
    (("Skin rash", "Rash", "rash (maculopapular)"), 0.18, (1, 2, 3)),
    (("Pneumonitis", "Pneumonitis (ICI)"), 0.08, (2, 3, 4)),
    (("Colitis", "Immune colitis", "Colitis/diarrhoea"), 0.07, (2, 3)),
    (("Hepatitis (immune-related)", "Hepatitis"), 0.05, (2, 3)),
    (("Pruritus", "Itch"), 0.12, (1, 2)),
    (("Fatigue",), 0.20, (1, 2)),
)


def _date(day: dt.date | None) -> str | None:
    return None if day is None else day.strftime("%d/%m/%Y")


def _tps(rng: np.random.Generator) -> tuple[str, int]:
    u = rng.random()
    if u < 0.30:
        return "<1", 0
    if u < 0.64:
        return "1-49", int(rng.integers(1, 50))
    return ">=50", int(rng.integers(50, 101))


def _patient(i: int, rng: np.random.Generator) -> tuple[list, list[list]]:
    group, tps = _tps(rng)
    os_median, pfs_median, p_response = GROUPS[group]
    ecog = rng.choice(["PS 0", "PS 1", "PS 2"], p=[0.35, 0.5, 0.15])
    frail = {"PS 0": 0.8, "PS 1": 1.0, "PS 2": 1.8}[str(ecog)]
    start = dt.date(2018, 1, 8) + dt.timedelta(days=int(rng.integers(0, 4 * 365)))
    os_days = int(rng.exponential(os_median / np.log(2) / frail) * MONTH) + 10
    pfs_days = min(int(rng.exponential(pfs_median / np.log(2) / frail) * MONTH) + 20, os_days)
    loss = int(rng.exponential(8 * 365)) if rng.random() < 0.15 else 10_000
    # The registry was extracted a few weeks after the cutoff: some dates fall after it.
    extract = CUTOFF + dt.timedelta(days=int(rng.integers(-40, 45)))
    horizon = min((extract - start).days, loss)
    dead = os_days <= horizon
    progressed = pfs_days < os_days and pfs_days <= horizon
    death = start + dt.timedelta(days=os_days) if dead else None
    last = death if dead else start + dt.timedelta(days=horizon)
    progression = start + dt.timedelta(days=pfs_days) if progressed else None
    responded = rng.random() < p_response
    if not progressed and not dead and pfs_days > 60:
        response = "CR" if responded and rng.random() < 0.15 else ("PR" if responded else "SD")
    elif pfs_days <= 60:
        response = str(rng.choice(["PD", "PD", "PD", "n/e"]))
    else:
        response = "PR (confirmed)" if responded else "SD"
    events, stop_for_irae = _irae(i, start, last, rng)
    end, reason = _treatment_end(start, progression, death, last, stop_for_irae, rng)
    row = [
        f"NSCLC-{i:03d}", str(rng.choice(["M", "F"], p=[0.68, 0.32])),
        int(np.clip(rng.normal(68, 9), 38, 89)), _date(start), _date(end), reason,
        _date(progression), _date(death), _date(last), response, tps,
        str(rng.choice(["Adenocarcinoma", "Squamous cell", "NOS"], p=[0.62, 0.3, 0.08])),
        str(ecog), str(rng.choice(["Current", "Ex-smoker", "Never"], p=[0.3, 0.55, 0.15])),
        str(rng.choice(["Yes", "No"], p=[0.18, 0.82])),
    ]  # fmt: skip
    return row, events


def _irae(
    i: int, start: dt.date, last: dt.date, rng: np.random.Generator
) -> tuple[list[list], dt.date | None]:
    """The patient's irAE rows, and the onset of a grade >= 3 one (treatment stops there)."""
    rows, severe = [], None
    span = max((last - start).days, 1)
    for spellings, p, grades in IRAE:
        if rng.random() >= p:
            continue
        onset = start + dt.timedelta(days=int(rng.integers(0, min(span, 300)) + 1))
        grade = int(rng.choice(grades))
        rows.append([f"NSCLC-{i:03d}", str(rng.choice(spellings)), f"G{grade}", _date(onset)])
        if grade >= 3 and (severe is None or onset < severe):
            severe = onset
        later = onset + dt.timedelta(days=int(rng.integers(7, 60)))
        if rng.random() < 0.2 and later <= last:  # entered again at a later visit, lower grade
            rows.append(
                [f"NSCLC-{i:03d}", spellings[0], f"G{max(1, grade - 1)}", _date(later)]
            )  # fmt: skip
    return rows, severe


def _treatment_end(
    start: dt.date,
    progression: dt.date | None,
    death: dt.date | None,
    last: dt.date,
    irae: dt.date | None,
    rng: np.random.Generator,
) -> tuple[dt.date | None, str | None]:
    """Pembrolizumab stops at progression, a severe irAE, death or after two years."""
    two_years = start + dt.timedelta(days=730)
    candidates = [
        (d, r)
        for d, r in (
            (progression + dt.timedelta(days=int(rng.integers(0, 22))) if progression else None,
             "PD"),
            (irae, "irAE"),
            (death, "died"),
            (two_years, "2 yrs completed"),
        )
        if d is not None
    ]  # fmt: skip
    end, reason = min(candidates, key=lambda c: c[0])
    if reason != "died" and rng.random() < 0.04:
        reason = "pt wish"
    if end > last:
        return None, None  # still on treatment when last seen
    return end, reason


def build() -> bytes:
    rng = np.random.default_rng(SEED)
    patients, events = [], []
    for i in range(1, N + 1):
        row, rows = _patient(i, rng)
        patients.append(row)
        events += rows
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Pembro NSCLC"
    fill_sheet(sheet, PATIENT_HEADERS, patients)
    fill_sheet(book.create_sheet("irAEs"), AE_HEADERS, events)
    buffer = io.BytesIO()
    book.save(buffer)
    return reproducible(buffer.getvalue(), CUTOFF)


if __name__ == "__main__":
    OUT.write_bytes(build())
    print(f"wrote {OUT}")
