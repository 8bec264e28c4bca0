"""Write the synthetic example workbook of the renal cell carcinoma study.

Second-line sorafenib in 42 patients with renal cell carcinoma metastatic to the lung only
(seed paper 003). No real patient is in it. The cohort table below fixes every value the
paper's numbers depend on: the binary factors of Tables I and II, best response, and the days
from the start of sorafenib to progression, treatment end, death and last follow-up. Those
days were tuned once, by a search over which patient gets which outcome, so that the
pipeline's definitions (KM medians by R's rule, Efron-tie Cox models) reproduce the paper:
median PFS 10.3 and OS 30.2 months, median treatment 13.2 months, and the significance
pattern of Table II. Everything else (names, dates of birth, CRP values, numbers of lung
metastases, tumour changes, adverse events, dose reductions) is drawn here from a fixed seed
within the group each patient belongs to, and Table III's counts are built exactly.

``python data/make_renal.py`` rewrites ``data/renal_sorafenib.xlsx`` byte for byte.
``data/check_renal.R`` recomputes every target from the workbook with R's survival package.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _xlsx import fill_sheet, reproducible
from openpyxl import Workbook

OUT = Path(__file__).with_name("renal_sorafenib.xlsx")
SEED = 2018_03_31

# One patient a line, in order of the start of sorafenib (the order of the ids).
# start: first dose; age: completed years at start; sex M/F; nephrectomy Y/N; first-line
# cytokine (CK) or sunitinib (SU); IMDC risk; CRP below (lo) or at least (hi) 0.8 mg/dL;
# number of lung metastases 1-3 or 4+; unilateral or bilateral; clear cell (cc) or not (ncc);
# sarcomatoid feature +/-; best response; then days from start: progression (- if none),
# end of sorafenib, reason (progression or adverse event), death (- if alive), last follow-up.
# Sorafenib was often continued after the first radiological progression until it was
# confirmed at the next scan, so the end of treatment usually follows the progression date.
# start      age sex neph 1st IMDC CRP mets side hist sarc resp prog end reason death last
COHORT = """
2008-08-19  74 F   Y   CK  poor lo  1-3 bi  cc  -  SD    150   280 prog  1372  1372
2008-10-23  78 M   Y   SU  poor hi  4+  uni cc  -  SD    317   372 prog   634   634
2009-01-16  66 F   Y   SU  fav  lo  1-3 uni cc  -  CR    979  1126 prog  1266  1266
2009-03-17  66 M   Y   SU  int  lo  4+  uni cc  -  SD    421   476 prog  1498  1498
2009-06-10  83 M   Y   CK  poor lo  1-3 uni cc  -  PD     49    57 prog   203   203
2009-08-14  67 M   Y   SU  int  hi  4+  bi  cc  +  PR    303   399 prog   857   857
2009-11-07  41 M   Y   CK  int  hi  4+  bi  cc  -  SD    283   364 prog   919   919
2010-01-04  44 M   Y   SU  fav  lo  1-3 uni cc  -  PR    726   835 prog  1838  1838
2010-03-16  61 M   Y   SU  int  lo  4+  bi  cc  -  SD    405   176 ae     597   597
2010-06-02  68 M   Y   SU  fav  lo  4+  uni cc  -  SD    468   587 prog     -  2790
2010-08-18  64 F   Y   CK  poor lo  4+  bi  ncc -  SD    243   380 prog   741   741
2010-11-08  47 F   Y   CK  fav  lo  1-3 uni ncc -  PR    533   646 prog  2486  2486
2011-01-03  63 F   Y   SU  fav  lo  1-3 uni cc  -  PR    811   890 prog  2107  2107
2011-04-02  69 M   Y   SU  poor lo  4+  bi  cc  +  PR    254   388 prog   668   668
2011-05-23  70 F   Y   SU  int  lo  4+  uni cc  -  PD     57    68 prog   752   752
2011-08-18  80 M   N   SU  int  lo  1-3 bi  cc  -  SD    212   332 prog  1094  1094
2011-09-05  55 M   Y   SU  fav  lo  1-3 uni cc  -  CR      -  1034 ae       -  2361
2011-12-18  69 M   Y   CK  fav  lo  1-3 bi  cc  -  PR    884  1021 prog     -  2245
2012-03-06  77 M   Y   CK  int  lo  4+  uni cc  -  PR    607   702 prog   779   779
2012-06-05  61 M   Y   CK  int  hi  4+  bi  ncc -  SD    171   221 prog   436   436
2012-08-04  54 M   Y   CK  fav  lo  1-3 bi  cc  -  PR    344   405 prog  1655  1655
2012-11-03  73 M   Y   SU  int  hi  4+  bi  cc  -  SD    292   433 prog   891   891
2012-12-06  58 M   Y   SU  fav  lo  4+  uni cc  -  SD    366   467 prog     -  1876
2013-03-09  59 M   Y   SU  int  hi  4+  bi  ncc +  PD     70    83 prog   121   121
2013-06-02  72 F   Y   SU  int  hi  1-3 bi  cc  +  SD    331   430 prog  1187  1187
2013-08-20  58 F   Y   SU  fav  lo  4+  uni cc  -  PR      -   702 ae       -  1642
2013-10-28  75 M   Y   SU  poor hi  1-3 uni cc  -  PR    137   220 prog   262   262
2013-12-30  59 F   Y   CK  int  lo  1-3 bi  cc  -  SD    672   771 prog     -  1519
2014-03-17  71 M   Y   CK  int  lo  1-3 uni cc  +  SD    509   581 prog   705   705
2014-05-25  49 M   Y   SU  int  hi  1-3 uni cc  -  SD    229   118 ae     812   812
2014-08-05  52 M   Y   CK  int  lo  4+  uni cc  -  PR    379   457 prog   479   479
2014-09-11  65 M   Y   SU  int  lo  1-3 bi  cc  -  PR   1113  1184 prog     -  1288
2014-12-22  53 M   N   CK  int  lo  1-3 bi  cc  -  PD     62    68 prog   347   347
2015-03-05  56 F   N   SU  int  hi  4+  uni cc  -  SD    119   186 prog   398   398
2015-04-27  51 M   N   SU  int  lo  1-3 uni cc  -  SD    579   654 prog     -  1047
2015-08-01  64 M   N   SU  int  hi  1-3 bi  cc  -  PR    198   318 prog   561   561
2015-10-30  56 F   Y   SU  int  lo  1-3 uni cc  -  SD    103   160 prog     -   866
2016-02-08  60 M   Y   SU  int  hi  1-3 uni cc  -  SD    310   411 prog     -   778
2016-02-26  62 M   Y   SU  int  lo  1-3 uni cc  -  SD    271   376 prog     -   702
2016-06-07  62 F   Y   CK  poor hi  4+  uni cc  -  PR    451   499 prog     -   641
2016-08-23  57 M   Y   SU  poor hi  4+  uni cc  -  SD     86   143 prog     -   583
2016-09-13  62 M   Y   SU  poor hi  1-3 bi  cc  +  SD    179   292 prog   522   522
"""

SEX = {"M": "Male", "F": "Female"}
YES_NO = {"Y": "Yes", "N": "No"}
FIRST_LINE = {"CK": "Cytokine", "SU": "Sunitinib"}
IMDC = {"fav": "Favorable", "int": "Intermediate", "poor": "Poor"}
SIDE = {"uni": "Unilateral", "bi": "Bilateral"}
HISTOLOGY = {"cc": "Clear cell", "ncc": "Non-clear cell"}
SARCOMATOID = {"+": "Positive", "-": "Negative"}
REASON = {"prog": "Progression", "ae": "Adverse event"}

# Table III: term, patients with any grade, patients with grade >= 3 (worst grade per term).
AE_TERMS = (
    ("Hand-foot syndrome", 22, 5),
    ("Hypertension", 17, 4),
    ("Diarrhea", 13, 2),
    ("Rash", 12, 1),
    ("Alopecia", 9, 0),
    ("Liver dysfunction", 9, 5),
    ("Appetite loss", 6, 1),
    ("Mucositis", 5, 0),
    ("Dysphonia", 5, 0),
)
PATIENTS_WITH_SEVERE_AE = 16
DOSE_REDUCTIONS = 27

PATIENT_HEADERS = (
    "ID", "Name", "Date of birth", "Gender", "Start of sorafenib", "End of sorafenib",
    "Reason for discontinuation", "Date of progression", "Date of death",
    "Date of last follow-up", "Best response", "Maximal change of target lesions (%)",
    "Nephrectomy", "First-line therapy", "IMDC risk", "CRP (mg/dL)",
    "Number of lung metastases", "Side of lung metastases", "Histology",
    "Sarcomatoid feature", "Dose reduction",
)  # fmt: skip
AE_HEADERS = ("ID", "Adverse event", "Grade", "Onset")

FAMILY_NAMES = (
    "Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura",
    "Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto", "Inoue",
    "Kimura", "Hayashi", "Shimizu", "Yamazaki", "Mori", "Abe", "Ikeda", "Hashimoto",
    "Yamashita", "Ishikawa", "Nakajima", "Maeda", "Fujita", "Ogawa", "Goto", "Okada",
    "Hasegawa", "Murakami", "Kondo", "Ishii", "Sakamoto", "Endo", "Aoki", "Fujii",
    "Nishimura", "Fukuda", "Ota", "Miura", "Okamoto", "Matsuda", "Nakagawa", "Harada",
)  # fmt: skip
GIVEN_NAMES = {
    "Male": (
        "Hiroshi", "Takashi", "Kenji", "Makoto", "Satoshi", "Kazuo", "Minoru", "Shigeru",
        "Isamu", "Masao", "Yoshio", "Osamu", "Tadashi", "Akira", "Noboru", "Hideo",
        "Koji", "Tetsuya", "Yutaka", "Kiyoshi", "Masaru", "Toshio", "Katsumi", "Susumu",
        "Haruo", "Nobuyuki", "Shinji", "Daisuke", "Kenichi", "Yasushi", "Tsutomu", "Mitsuo",
    ),
    "Female": (
        "Keiko", "Yoko", "Kazuko", "Michiko", "Sachiko", "Hiroko", "Junko", "Emiko",
        "Tomoko", "Masako", "Noriko", "Fumiko", "Kyoko", "Reiko", "Mariko", "Akemi",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Patient:
    """One line of ``COHORT``, with codes turned into the workbook's labels."""

    start: dt.date
    age: int
    sex: str
    nephrectomy: str
    first_line: str
    imdc: str
    crp_high: bool
    mets_four_plus: bool
    side: str
    histology: str
    sarcomatoid: str
    response: str
    progression: int | None
    end: int
    reason: str
    death: int | None
    last: int


def parse_cohort(text: str) -> list[Patient]:
    """Read the fixed-width cohort table."""
    patients = []
    for line in text.strip().splitlines():
        f = line.split()
        patients.append(
            Patient(
                start=dt.date.fromisoformat(f[0]),
                age=int(f[1]),
                sex=SEX[f[2]],
                nephrectomy=YES_NO[f[3]],
                first_line=FIRST_LINE[f[4]],
                imdc=IMDC[f[5]],
                crp_high=f[6] == "hi",
                mets_four_plus=f[7] == "4+",
                side=SIDE[f[8]],
                histology=HISTOLOGY[f[9]],
                sarcomatoid=SARCOMATOID[f[10]],
                response=f[11],
                progression=None if f[12] == "-" else int(f[12]),
                end=int(f[13]),
                reason=REASON[f[14]],
                death=None if f[15] == "-" else int(f[15]),
                last=int(f[16]),
            )
        )
    return patients


@dataclass(frozen=True)
class AdverseEvent:
    """One row of the adverse-event sheet; ``onset`` in days from the start of sorafenib."""

    patient: int
    term: str
    grade: int
    onset: int


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def birth_date(rng: np.random.Generator, start: dt.date, age: int) -> dt.date:
    """A date of birth that makes the patient ``age`` completed years old at ``start``."""
    earliest = years_before(start, age + 1) + dt.timedelta(days=1)
    latest = years_before(start, age)
    return earliest + dt.timedelta(days=int(rng.integers(0, (latest - earliest).days + 1)))


def fake_names(rng: np.random.Generator, patients: list[Patient]) -> list[str]:
    """Distinct made-up Japanese names (family name first), matching each patient's sex."""
    names: list[str] = []
    for p in patients:
        name = ""
        while not name or name in names:
            name = f"{rng.choice(FAMILY_NAMES)} {rng.choice(GIVEN_NAMES[p.sex])}"
        names.append(name)
    return names


def crp_value(rng: np.random.Generator, high: bool) -> float:
    """CRP in mg/dL on the patient's side of the 0.8 cut-off, right-skewed like real CRP."""
    if high:
        return round(min(0.85 * float(np.exp(rng.exponential(0.8))), 14.0), 2)
    return round(min(0.02 + float(rng.exponential(0.18)), 0.75), 2)


def lung_metastases(rng: np.random.Generator, p: Patient) -> int:
    """Number of lung metastases in the patient's group; two or more when bilateral."""
    if p.mets_four_plus:
        return min(3 + int(rng.geometric(0.2)), 30)
    return int(rng.integers(2 if p.side == "Bilateral" else 1, 4))


def best_change(rng: np.random.Generator, response: str) -> float:
    """Maximal % change of the target lesions, consistent with RECIST 1.1 best response."""
    low, high = {"CR": (-100, -100), "PR": (-85, -31), "SD": (-28, 17), "PD": (21, 58)}[response]
    return round(float(rng.uniform(low, high)), 1)


def pick(rng: np.random.Generator, preferred: list[int], allowed: list[int], k: int) -> list[int]:
    """``k`` patients, first at random from ``preferred``, then from the rest of ``allowed``."""
    first = [int(i) for i in rng.permutation(preferred)[:k]]
    rest = [i for i in allowed if i not in first]
    return first + [int(i) for i in rng.choice(rest, k - len(first), replace=False)]


def worst_grades(rng: np.random.Generator, patients: list[Patient]) -> dict[tuple[int, str], int]:
    """Worst grade per (patient, term) with exactly Table III's counts.

    Patients who stopped for an adverse event are among the 16 with a grade >= 3 event; two of
    the 16 have two such terms (18 severe term counts in Table III). Every patient has an event.
    """
    everyone = list(range(len(patients)))
    stopped = [i for i, p in enumerate(patients) if p.reason == "Adverse event"]
    others = [i for i in everyone if i not in stopped]
    severe = stopped + pick(rng, [], others, PATIENTS_WITH_SEVERE_AE - len(stopped))
    terms = [term for term, _, n_severe in AE_TERMS for _ in range(n_severe)]
    terms = [str(t) for t in rng.permutation(terms)]
    worst = {(i, term): 3 for i, term in zip(severe, terms, strict=False)}
    for term in terms[len(severe) :]:
        worst[(pick(rng, [], [i for i in severe if (i, term) not in worst], 1)[0], term)] = 3
    worst[min(k for k in worst if k[1] == "Liver dysfunction")] = 4  # one grade 4 event
    for term, n_any, n_severe in AE_TERMS:
        covered = {i for i, _ in worst}
        allowed = [i for i in everyone if (i, term) not in worst]
        uncovered = [i for i in allowed if i not in covered]
        for i in pick(rng, uncovered, allowed, n_any - n_severe):
            worst[(i, term)] = 2 if rng.random() < 0.4 else 1
    assert {i for i, _ in worst} == set(everyone), "every patient has an adverse event"
    return worst


def episode(
    rng: np.random.Generator, p: Patient, i: int, term: str, grade: int
) -> list[AdverseEvent]:
    """Rows of one patient's episode of one term: the worst grade, sometimes after a milder
    first report (so counting must take the worst grade per term, not the first row)."""
    if grade >= 3 and p.reason == "Adverse event":
        onset = p.end - int(rng.integers(3, 15))  # the event that ended treatment
    else:
        onset = int(rng.integers(7, min(p.end, 120) + 1))
    rows = [AdverseEvent(i, term, grade, onset)]
    if grade >= 2 and onset > 21 and rng.random() < 0.35:
        milder = AdverseEvent(i, term, int(rng.integers(1, grade)), int(rng.integers(7, onset - 7)))
        rows.insert(0, milder)
    return rows


def dose_reduced(rng: np.random.Generator, n: int, worst: dict[tuple[int, str], int]) -> set[int]:
    """Patients whose dose was reduced: all with a grade >= 3 event, then some with grade 2."""
    top = {i: max(g for (j, _), g in worst.items() if j == i) for i in range(n)}
    severe = [i for i in range(n) if top[i] >= 3]
    moderate = [i for i in range(n) if top[i] == 2]
    return set(severe) | set(pick(rng, [], moderate, DOSE_REDUCTIONS - len(severe)))


def on_day(p: Patient, offset: int | None) -> dt.date | None:
    """The date ``offset`` days after the patient's start of sorafenib (None stays blank)."""
    return None if offset is None else p.start + dt.timedelta(days=offset)


def patient_rows(
    rng: np.random.Generator, patients: list[Patient], reduced: set[int]
) -> list[list]:
    """The ``patients`` sheet, one row per patient in id order; dates as dates, blanks as None."""
    names = fake_names(rng, patients)
    rows = []
    for i, p in enumerate(patients):
        rows.append([
            f"RCC-{i + 1:02d}", names[i], birth_date(rng, p.start, p.age), p.sex, p.start,
            on_day(p, p.end), p.reason, on_day(p, p.progression), on_day(p, p.death),
            on_day(p, p.last), p.response,
            best_change(rng, p.response), p.nephrectomy, p.first_line, p.imdc,
            crp_value(rng, p.crp_high), lung_metastases(rng, p), p.side, p.histology,
            p.sarcomatoid, "Yes" if i in reduced else "No",
        ])  # fmt: skip
    return rows


def adverse_event_rows(patients: list[Patient], events: list[AdverseEvent]) -> list[list]:
    """The ``adverse_events`` sheet, ordered by patient id and onset."""
    events = sorted(events, key=lambda e: (e.patient, e.onset, e.term))
    return [
        [f"RCC-{e.patient + 1:02d}", e.term, e.grade, on_day(patients[e.patient], e.onset)]
        for e in events
    ]  # fmt: skip


def main() -> None:
    rng = np.random.default_rng(SEED)
    patients = parse_cohort(COHORT)
    worst = worst_grades(rng, patients)
    events = [
        e for (i, term), g in sorted(worst.items()) for e in episode(rng, patients[i], i, term, g)
    ]
    reduced = dose_reduced(rng, len(patients), worst)
    wb = Workbook()
    fill_sheet(wb.active, PATIENT_HEADERS, patient_rows(rng, patients, reduced))
    wb.active.title = "patients"
    fill_sheet(wb.create_sheet("adverse_events"), AE_HEADERS, adverse_event_rows(patients, events))
    buffer = io.BytesIO()
    wb.save(buffer)
    OUT.write_bytes(reproducible(buffer.getvalue(), dt.date(2018, 4, 1)))
    print(f"wrote {OUT} ({len(patients)} patients, {len(events)} adverse-event rows)")


if __name__ == "__main__":
    main()
