"""Write the synthetic workbook of the hcc_score test study (no real patient is in it).

Lenvatinib for unresectable hepatocellular carcinoma (HCC): 112 patients screened, of whom
those with Child–Pugh class C, ECOG PS 3 or no Child–Pugh score recorded are excluded by the
study's criteria. Liver function is recorded as bilirubin (µmol/L) and albumin (g/L), from which
the study computes the ALBI score and grade; Child–Pugh is recorded as its points (5–10), BCLC
as "BCLC-B"/"BCLC-C", dates as Excel dates. Survival depends on the ALBI grade, BCLC stage and
ECOG PS; progression is seen at the scans (every 6–10 weeks), the last of which is recorded.
Drawn from a fixed seed: the script writes the same bytes every time.

    python tests/studies/hcc_score/make_data.py

``expected.R`` recomputes the numbers the test compares from this workbook with R's survival.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import sys
from pathlib import Path

import numpy as np
from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "data"))
from _xlsx import fill_sheet, reproducible  # noqa: E402

OUT = Path(__file__).with_name("data.xlsx")
SEED = 2024_03_31
N = 112
CUTOFF = dt.date(2024, 3, 31)
MONTH = 30.4375

PATIENT_HEADERS = (
    "Case ID", "Gender", "Age", "Lenvatinib start", "Lenvatinib stop", "Reason for stop",
    "Progression (mRECIST)", "Death", "Last follow-up", "Last imaging",
    "Best response (mRECIST)", "Max change viable tumour (%)", "Etiology", "ECOG PS",
    "Child-Pugh score", "BCLC stage", "T-Bil (µmol/L)", "Alb (g/L)", "AFP (ng/mL)", "Prior TACE",
)  # fmt: skip
AE_HEADERS = ("Case ID", "AE term", "Grade", "Date")

# Median OS and PFS (months) and response probability by ALBI grade.
ALBI = {1: (24.0, 9.0, 0.45), 2: (15.0, 6.5, 0.35), 3: (7.0, 3.5, 0.20)}
AE_TERMS = (
    (("Hypertension",), 0.45, (1, 2, 3)),
    (("HFSR", "Hand-foot skin reaction"), 0.30, (1, 2, 3)),
    (("Proteinuria",), 0.30, (1, 2, 3)),
    (("Fatigue",), 0.35, (1, 2, 3)),
    (("Appetite loss", "Decreased appetite"), 0.35, (1, 2, 3)),
    (("Hypothyroidism",), 0.20, (1, 2)),
    (("Diarrhoea", "Diarrhea"), 0.25, (1, 2, 3)),
)


def _albi(bilirubin: float, albumin: float) -> float:
    return 0.66 * math.log10(bilirubin) - 0.085 * albumin


def _liver(rng: np.random.Generator) -> tuple[float, float, int]:
    """Bilirubin (µmol/L, one decimal), albumin (g/L, whole) and Child–Pugh points."""
    # worse liver function: higher bilirubin, lower albumin; one patient in ten decompensated
    reserve = rng.normal(0, 1) + (2.0 if rng.random() < 0.1 else 0.0)
    bilirubin = round(float(np.clip(np.exp(2.7 + 0.4 * reserve + rng.normal(0, 0.25)), 4, 90)), 1)
    albumin = float(round(np.clip(37 - 5 * reserve + rng.normal(0, 2.5), 18, 50)))
    points = int(np.clip(round(5.6 + 1.3 * reserve + rng.normal(0, 0.5)), 5, 11))
    return bilirubin, albumin, points


def _scans(start: dt.date, until: dt.date, rng: np.random.Generator) -> list[dt.date]:
    scans, day = [], start
    while True:
        day = day + dt.timedelta(days=int(rng.integers(42, 71)))
        if day > until:
            return scans
        scans.append(day)


def _patient(i: int, rng: np.random.Generator) -> tuple[list, list[list]]:
    bilirubin, albumin, points = _liver(rng)
    albi = _albi(bilirubin, albumin)
    grade = 1 if albi <= -2.60 else (2 if albi <= -1.39 else 3)
    os_median, pfs_median, p_response = ALBI[grade]
    bclc = "BCLC-C" if rng.random() < 0.55 else "BCLC-B"
    ecog = int(rng.choice([0, 1, 2, 3], p=[0.5, 0.33, 0.13, 0.04]))
    frail = (1.3 if bclc == "BCLC-C" else 1.0) * (1.5 if ecog >= 2 else 1.0)
    start = dt.date(2019, 4, 1) + dt.timedelta(days=int(rng.integers(0, 4 * 365)))
    os_days = int(rng.exponential(os_median / math.log(2) / frail) * MONTH) + 14
    pfs_days = int(rng.exponential(pfs_median / math.log(2) / frail) * MONTH) + 30
    extract = CUTOFF + dt.timedelta(days=int(rng.integers(-60, 30)))
    loss = int(rng.exponential(6 * 365)) if rng.random() < 0.12 else 10_000
    horizon = min((extract - start).days, loss)
    dead = os_days <= horizon
    last = start + dt.timedelta(days=min(os_days, horizon))
    scans = _scans(start, last, rng)
    # Progression is seen at the first scan after it happened.
    seen = [s for s in scans if (s - start).days >= pfs_days]
    progression = seen[0] if seen else None
    last_imaging = progression or (scans[-1] if scans else None)
    death = last if dead else None
    response, change = _response(progression, scans, p_response, rng)
    end, reason = _treatment_end(start, progression, death, last, rng)
    row = [
        f"HCC{i:04d}", str(rng.choice(["male", "female"], p=[0.8, 0.2])),
        int(np.clip(rng.normal(72, 9), 41, 92)), start, end, reason, progression, death, last,
        last_imaging, response, change,
        str(rng.choice(["HBV", "HCV", "Alc", "NASH/NAFLD", "other"],
                       p=[0.2, 0.3, 0.25, 0.18, 0.07])),
        ecog, points if i % 37 else None, bclc, bilirubin,
        albumin if i % 53 else None,  # one albumin not measured: no ALBI for that patient
        int(np.exp(rng.normal(3.5, 2.2))), str(rng.choice(["yes", "no"], p=[0.6, 0.4])),
    ]  # fmt: skip
    return row, _events(i, start, last, rng)


def _response(
    progression: dt.date | None, scans: list[dt.date], p: float, rng: np.random.Generator
) -> tuple[str, float | None]:
    """Best response by mRECIST with the maximal change of viable tumour."""
    if not scans:
        return "NE", None
    if progression is not None and progression == scans[0]:
        return "PD", round(float(rng.uniform(20, 80)), 1)
    if rng.random() < p:
        if rng.random() < 0.2:
            return "CR", -100.0
        return "PR", round(float(rng.uniform(-99, -30)), 1)
    return "SD", round(float(rng.uniform(-29, 19)), 1)


def _treatment_end(
    start: dt.date,
    progression: dt.date | None,
    death: dt.date | None,
    last: dt.date,
    rng: np.random.Generator,
) -> tuple[dt.date | None, str | None]:
    toxicity = (
        start + dt.timedelta(days=int(rng.integers(20, 300))) if rng.random() < 0.15 else None
    )
    candidates = [
        (d, r)
        for d, r in (
            (progression + dt.timedelta(days=int(rng.integers(0, 15))) if progression else None,
             "PD"),
            (toxicity, "toxicity"),
            (death, "death"),
        )
        if d is not None
    ]  # fmt: skip
    if not candidates:
        return None, None
    end, reason = min(candidates, key=lambda c: c[0])
    return (None, None) if end > last else (end, reason)


def _events(i: int, start: dt.date, last: dt.date, rng: np.random.Generator) -> list[list]:
    rows = []
    span = max((last - start).days, 1)
    for spellings, p, grades in AE_TERMS:
        if rng.random() < p:
            onset = start + dt.timedelta(days=int(rng.integers(0, min(span, 200))) + 1)
            rows.append([f"HCC{i:04d}", str(rng.choice(spellings)), int(rng.choice(grades)), onset])
    return rows


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
    sheet.title = "patients"
    fill_sheet(sheet, PATIENT_HEADERS, patients)
    fill_sheet(book.create_sheet("adverse events"), AE_HEADERS, events)
    buffer = io.BytesIO()
    book.save(buffer)
    return reproducible(buffer.getvalue(), CUTOFF)


if __name__ == "__main__":
    OUT.write_bytes(build())
    print(f"wrote {OUT}")
