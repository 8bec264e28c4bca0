"""Write the synthetic example workbook of the thyroid cancer study.

Sorafenib in radioiodine-refractory differentiated thyroid cancer, with baseline immunity markers
(seed paper 000). No real patient is in it. 32 patients started sorafenib between July 2014 and
December 2020; 6 stopped within a month and are excluded, leaving the paper's 26. The two tables
below fix every value the paper's numbers depend on: the characteristics of Table I, the blood
counts behind ALC, NLR, PLR and LMR, best response, and the days from the start of sorafenib to
progression, treatment end, death and last visit. The days and the groups were tuned once, by a
search over which patient gets which outcome and characteristic, so that the pipeline's
definitions (KM medians and log-log intervals by R's rule, reverse-KM follow-up, Efron-tie Cox
models, log-rank tests) reproduce the paper: median TTF 543 days (355-1882), median OS 2,002 days
(985-not reached), follow-up 969 days, and OS by LMR 2,327 vs 1,346 days with HR 0.21
(0.05-0.88) and log-rank p = 0.019, while no other factor is significant. The blood counts were
then chosen within each patient's marker groups so that the four medians are the paper's. Names,
tumour changes and adverse events are drawn here from a fixed seed, and Table III's counts
(worst grade per patient and term) are built exactly.

``python data/make_thyroid.py`` rewrites ``data/thyroid_sorafenib.xlsx`` byte for byte.
``data/check_thyroid.R`` recomputes every target from the workbook with R's survival package.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _xlsx import fill_sheet, reproducible
from openpyxl import Workbook

OUT = Path(__file__).with_name("thyroid_sorafenib.xlsx")
SEED = 2021_05_31

# Baseline, one patient a line in id order (TH-001 ...). age: years at start; sex M/F; ps: ECOG
# performance status; dx: locally advanced (LA) or recurrence (Rec); histology papillary (Pap),
# follicular (Fol) or poorly differentiated (PDC); metastatic sites bone, lung, lymph node and
# subjective symptoms Y/N; anti-thyroglobulin antibody +/-; blood counts per µl at the start.
# id age sex ps dx hist bone lung node symp atg  neut lymph mono  platelets
BASELINE = """
 1  79 F  1  Rec Pap  N    Y    Y    N    -   3120  1210  402  248000
 2  83 M  0  LA  Pap  Y    Y    N    Y    -   1900   795  169  203000
 3  86 M  1  Rec Pap  Y    Y    Y    Y    +   7119  2625  409  344000
 4  78 F  0  Rec Pap  N    Y    N    N    -   2529  1370  213  153000
 5  73 F  0  Rec Fol  Y    Y    N    N    -   2735  1624  213  193000
 6  84 M  2  Rec Fol  Y    Y    N    Y    -   6840   712  530  311000
 7  84 M  0  Rec Pap  N    N    Y    N    -   4615  1738  180  203000
 8  76 F  0  LA  Pap  N    Y    Y    N    -   2634  2083  252  293000
 9  72 F  0  Rec PDC  N    N    Y    N    +   3031  1486  388  246000
10  63 M  0  Rec Pap  N    Y    Y    N    +   4770  2723  741  228000
11  68 F  0  LA  Pap  N    Y    Y    N    +   2890  1655  318  226000
12  69 F  0  LA  Fol  N    Y    Y    N    -   2470  2086  374  253000
13  77 F  2  LA  Pap  Y    Y    N    Y    -   1962  1438  425  239000
14  74 F  0  Rec Pap  Y    Y    Y    Y    -   2595  1476  236  125000
15  76 F  0  Rec Pap  N    Y    N    Y    +   1766  1064  383  263000
16  74 M  1  Rec Pap  Y    Y    Y    Y    -   2257  1770  411  140000
17  76 F  1  Rec Pap  N    Y    N    N    -   3470  1388  297  174000
18  70 F  1  Rec Pap  Y    Y    Y    Y    -   3615  1969  336  192000
19  80 F  1  Rec Pap  Y    Y    Y    Y    +   6384  1368  743  305000
20  58 F  1  Rec Pap  Y    N    N    Y    -   4181  2010  351  284000
21  71 F  0  Rec Pap  N    Y    Y    N    -   4470  2014  243  251000
22  53 M  1  LA  Pap  Y    Y    Y    Y    -   3798  1984  462  149000
23  65 M  0  Rec Pap  N    Y    Y    N    -   3697   645  221  168000
24  79 F  0  Rec Pap  N    Y    Y    N    +   6462  1301  252  162000
25  71 M  1  Rec PDC  Y    Y    Y    Y    -   5210  1046  468  287000
26  81 M  1  Rec Fol  Y    Y    Y    Y    -   5823  1328  160  318000
27  66 F  0  Rec Fol  N    Y    N    N    -   3180   868  297  187000
28  61 F  0  Rec Pap  N    Y    N    N    -   2613  1586  202  215000
29  68 M  0  LA  Pap  N    Y    N    N    -   3241  1409  212  410000
30  82 M  0  Rec Pap  N    Y    Y    N    +   4300  1328  544  164000
31  75 F  0  Rec Pap  N    Y    Y    N    -   4592   877  379  181000
32  82 F  2  Rec Pap  N    Y    Y    Y    -   7450   598  391  202000
"""

# Course, same order. start: first dose; best response (RECIST 1.1; NE for the patients who
# stopped within a month); then days from start: progression, end of sorafenib (- = still on it
# at the data cutoff), reason (prog, ae, death, patient or physician decision), death (- if
# alive) and last visit. Sorafenib was sometimes continued after a first progression; patients
# who stopped for an adverse event were followed for progression afterwards.
# id start      resp  prog   end reason     death  last
COURSE = """
 1  2014-07-22  NE    150    16  ae           520   520
 2  2014-09-08  PR   1875  1882  prog        2327  2327
 3  2014-12-15  PR      -     -  -              -  2348
 4  2015-03-16  SD      -  1990  physician   2002  2002
 5  2015-07-03  PD    116   116  prog           -  2140
 6  2015-10-05  NE      -    12  death         12    12
 7  2015-12-16  SD      -  1926  ae             -  1966
 8  2016-03-07  SD    343   350  prog         443   443
 9  2016-06-20  SD   1043  1050  prog        1569  1569
10  2016-10-17  SD    436   443  prog        1346  1346
11  2017-02-06  NE      -    23  patient        -  1500
12  2017-05-01  PR      -     -  -              -  1483
13  2017-08-21  PD     49    49  prog         375   375
14  2017-11-06  SD    713   720  prog         985   985
15  2018-01-22  SD    168   260  prog         329   329
16  2018-05-07  SD    917   924  prog           -  1085
17  2018-07-30  NE    240    19  ae             -  1000
18  2018-09-13  SD    348   355  prog           -   969
19  2018-12-27  SD      -     -  -              -   872
20  2019-01-02  SD      -     -  -              -   876
21  2019-02-04  SD      -   543  ae             -   644
22  2019-04-15  SD      -   360  death        360   360
23  2019-06-12  SD    480   311  ae             -   689
24  2019-09-05  SD    175   161  ae             -   622
25  2019-10-07  NE    120    27  ae           380   380
26  2019-11-12  SD    409   416  prog           -   521
27  2020-02-03  SD      -     -  -              -   464
28  2020-06-02  SD      -     -  -              -   358
29  2020-06-05  SD      -     -  -              -   336
30  2020-08-24  SD      -    77  death         77    77
31  2020-10-02  SD      -     -  -              -   238
32  2020-11-16  NE      -    21  physician     64    64
"""

YES_NO = {"Y": "Yes", "N": "No"}
DIAGNOSIS = {"LA": "Locally advanced", "Rec": "Recurrence"}
HISTOLOGY = {"Pap": "Papillary", "Fol": "Follicular", "PDC": "Poorly differentiated"}
ANTIBODY = {"+": "Positive", "-": "Negative"}
REASON = {
    "prog": "Progression",
    "ae": "Adverse event",
    "death": "Death",
    "patient": "Patient decision",
    "physician": "Physician decision",
    "other": "Other",
}
MIN_TREATMENT_DAYS = 365.25 / 12  # the study's inclusion rule: at least one month of sorafenib

# Table III: term, patients with worst grade 1, 2 and 3 (denominator: the 26 included).
AE_TERMS = (
    ("Hand-foot skin reaction", 8, 13, 3),
    ("Hypertension", 5, 10, 2),
    ("Alopecia", 8, 2, 0),
    ("Rash or desquamation", 6, 3, 0),
    ("Anorexia", 4, 3, 1),
    ("Diarrhea", 5, 2, 0),
    ("Fatigue", 4, 2, 1),
    ("Weight loss", 4, 2, 0),
    ("Hypocalcemia", 3, 2, 0),
    ("Thrombocytopenia", 4, 0, 0),
    ("Elevated AST/ALT", 3, 1, 0),
    ("Hoarseness", 3, 0, 0),
    ("Mucositis", 2, 1, 0),
    ("Proteinuria", 2, 0, 0),
    ("Interstitial pneumonitis", 0, 0, 1),
    ("Keratoacanthoma", 0, 1, 0),
)
# The grade 3 event that ended treatment, by id, for the included patients who stopped for one.
STOPPING_EVENTS = {
    7: "Interstitial pneumonitis",
    21: "Fatigue",
    23: "Anorexia",
    24: "Hand-foot skin reaction",
}
# Days after the start when each term usually begins on sorafenib (earliest, latest).
ONSET_WINDOW = {
    "Hand-foot skin reaction": (7, 45), "Hypertension": (7, 60), "Alopecia": (30, 150),
    "Rash or desquamation": (7, 40), "Anorexia": (14, 120), "Diarrhea": (14, 120),
    "Fatigue": (14, 90), "Weight loss": (60, 240), "Hypocalcemia": (14, 120),
    "Thrombocytopenia": (14, 90), "Elevated AST/ALT": (14, 60), "Hoarseness": (14, 120),
    "Mucositis": (7, 30), "Proteinuria": (30, 180), "Interstitial pneumonitis": (90, 720),
    "Keratoacanthoma": (120, 400),
}  # fmt: skip
# Events of the excluded patients (not counted in Table III): id, term, grade, onset day.
EXCLUDED_EVENTS = (
    (1, "Hand-foot skin reaction", 1, 10),
    (1, "Rash or desquamation", 3, 12),
    (6, "Anorexia", 2, 6),
    (11, "Hand-foot skin reaction", 1, 14),
    (11, "Fatigue", 2, 18),
    (17, "Elevated AST/ALT", 3, 15),
    (25, "Diarrhea", 1, 12),
    (25, "Rash or desquamation", 3, 20),
    (32, "Fatigue", 2, 10),
    (32, "Anorexia", 2, 14),
)

PATIENT_HEADERS = (
    "Patient ID", "Name", "Age (years)", "Sex", "Sorafenib start", "Sorafenib stop",
    "Reason for stopping", "Progression date", "Date of death", "Last visit",
    "Best response (RECIST)", "Max change in target lesions (%)", "ECOG PS", "Diagnosis",
    "Histology", "Bone metastasis", "Lung metastasis", "Lymph node metastasis",
    "Subjective symptoms", "Anti-Tg antibody", "Neutrophils (/µl)", "Lymphocytes (/µl)",
    "Monocytes (/µl)", "Platelets (/µl)",
)  # fmt: skip
AE_HEADERS = ("Patient ID", "Adverse event", "CTCAE grade", "Onset date")

FAMILY_NAMES = (
    "Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura",
    "Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto", "Inoue",
    "Kimura", "Hayashi", "Shimizu", "Yamazaki", "Mori", "Abe", "Ikeda", "Hashimoto",
    "Yamashita", "Ishikawa", "Nakajima", "Maeda", "Fujita", "Ogawa", "Goto", "Okada",
    "Hasegawa", "Murakami", "Kondo", "Ishii", "Sakamoto", "Endo", "Aoki", "Fujii",
    "Nishimura", "Fukuda", "Ota", "Miura", "Okamoto", "Matsuda", "Nakagawa", "Harada",
    "Takeuchi", "Kaneko", "Wada", "Nakano", "Ono", "Tamura", "Takagi", "Uchida",
)  # fmt: skip
GIVEN_NAMES = {
    "M": (
        "Hiroshi", "Takashi", "Kenji", "Makoto", "Satoshi", "Kazuo", "Minoru", "Shigeru",
        "Isamu", "Masao", "Yoshio", "Osamu", "Tadashi", "Akira", "Noboru", "Hideo",
        "Koji", "Tetsuya", "Yutaka", "Kiyoshi", "Masaru", "Toshio", "Katsumi", "Susumu",
    ),
    "F": (
        "Keiko", "Yoko", "Kazuko", "Michiko", "Sachiko", "Hiroko", "Junko", "Emiko",
        "Tomoko", "Masako", "Noriko", "Fumiko", "Kyoko", "Reiko", "Mariko", "Akemi",
        "Yoshiko", "Setsuko", "Toshiko", "Chieko", "Hisako", "Kimiko", "Nobuko", "Teruko",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Patient:
    """One line of ``BASELINE`` and ``COURSE``, with codes turned into the workbook's labels.

    Day counts are from the start of sorafenib; ``end`` is None while still on treatment.
    """

    number: int
    age: int
    sex: str
    ecog: int
    diagnosis: str
    histology: str
    bone: str
    lung: str
    lymph_node: str
    symptoms: str
    antibody: str
    counts: tuple[int, int, int, int]  # neutrophils, lymphocytes, monocytes, platelets
    start: dt.date
    response: str
    progression: int | None
    end: int | None
    reason: str | None
    death: int | None
    last: int

    @property
    def included(self) -> bool:
        """At least one month of sorafenib (ongoing patients count until the data cutoff)."""
        return self.end is None or self.end >= MIN_TREATMENT_DAYS

    @property
    def treated_days(self) -> int:
        """Days on sorafenib up to the end of treatment, or the last visit if still on it."""
        return self.last if self.end is None else self.end


def _day(field: str) -> int | None:
    return None if field == "-" else int(field)


def parse_patients(baseline: str, course: str) -> list[Patient]:
    """Read the two fixed-width tables, checking that their ids line up."""
    patients = []
    for b_line, c_line in zip(
        baseline.strip().splitlines(), course.strip().splitlines(), strict=True
    ):
        b, c = b_line.split(), c_line.split()
        if b[0] != c[0] or int(b[0]) != len(patients) + 1:
            raise ValueError(f"ids out of order: {b[0]} and {c[0]}")
        patients.append(
            Patient(
                number=int(b[0]), age=int(b[1]), sex=b[2], ecog=int(b[3]),
                diagnosis=DIAGNOSIS[b[4]], histology=HISTOLOGY[b[5]], bone=YES_NO[b[6]],
                lung=YES_NO[b[7]], lymph_node=YES_NO[b[8]], symptoms=YES_NO[b[9]],
                antibody=ANTIBODY[b[10]], counts=(int(b[11]), int(b[12]), int(b[13]), int(b[14])),
                start=dt.date.fromisoformat(c[1]), response=c[2], progression=_day(c[3]),
                end=_day(c[4]), reason=None if c[5] == "-" else REASON[c[5]], death=_day(c[6]),
                last=int(c[7]),
            )
        )  # fmt: skip
    return patients


@dataclass(frozen=True)
class AdverseEvent:
    """One row of the adverse-event sheet; ``onset`` in days from the start of sorafenib."""

    patient: int  # id number
    term: str
    grade: int
    onset: int


def fake_names(rng: np.random.Generator, patients: list[Patient]) -> list[str]:
    """Distinct made-up Japanese names (family name first), matching each patient's sex."""
    names: list[str] = []
    for p in patients:
        name = ""
        while not name or name in names:
            name = f"{rng.choice(FAMILY_NAMES)} {rng.choice(GIVEN_NAMES[p.sex])}"
        names.append(name)
    return names


def best_change(rng: np.random.Generator, response: str) -> float | None:
    """Maximal % change of the target lesions, consistent with the RECIST 1.1 best response;
    blank when the response was not evaluable."""
    if response == "NE":
        return None
    low, high = {"CR": (-100, -100), "PR": (-58, -31), "SD": (-27, 16), "PD": (21, 44)}[response]
    return round(float(rng.uniform(low, high)), 1)


def pick(rng: np.random.Generator, required: list[int], allowed: list[int], k: int) -> list[int]:
    """``k`` patients: all of ``required``, then others at random from ``allowed``."""
    rest = [i for i in allowed if i not in required]
    return required + [int(i) for i in rng.choice(rest, k - len(required), replace=False)]


def worst_grades(rng: np.random.Generator, patients: list[Patient]) -> dict[tuple[int, str], int]:
    """Worst grade per (patient, term) among the included, with exactly Table III's counts.

    Each patient who stopped for an adverse event has that event at grade 3; keratoacanthoma
    goes to a patient treated for at least 300 days; every included patient has an event.
    """
    included = [p.number for p in patients if p.included]
    long_treated = [p.number for p in patients if p.included and p.treated_days >= 300]
    worst: dict[tuple[int, str], int] = {}
    for term, *by_grade in AE_TERMS:
        stopped = [i for i, t in STOPPING_EVENTS.items() if t == term]
        covered = {i for i, _ in worst}
        required = stopped + [i for i in included if i not in covered and i not in stopped]
        if len(required) > sum(by_grade):  # the first, commonest term cannot cover everyone
            required = stopped
        pool = long_treated if term == "Keratoacanthoma" else included
        chosen = pick(rng, required, pool, sum(by_grade))
        severe = pick(rng, stopped, chosen, by_grade[2])
        others = [int(i) for i in rng.permutation([i for i in chosen if i not in severe])]
        for i in severe:
            worst[(i, term)] = 3
        for i in others[: by_grade[1]]:
            worst[(i, term)] = 2
        for i in others[by_grade[1] :]:
            worst[(i, term)] = 1
    assert {i for i, _ in worst} == set(included), "every included patient has an event"
    return worst


def episode(rng: np.random.Generator, p: Patient, term: str, grade: int) -> list[AdverseEvent]:
    """Rows of one patient's episode of one term: the worst grade, sometimes after a milder
    first report (so counting must take the worst grade per term, not the first row)."""
    if STOPPING_EVENTS.get(p.number) == term:
        onset = p.treated_days - int(rng.integers(3, 15))  # the event that ended treatment
    else:
        earliest, latest = ONSET_WINDOW[term]
        latest = min(latest, p.treated_days - 1)
        onset = int(rng.integers(min(earliest, latest), latest + 1))
    rows = [AdverseEvent(p.number, term, grade, onset)]
    if grade >= 2 and onset > 21 and rng.random() < 0.35:
        milder = int(rng.integers(1, grade))
        rows.insert(0, AdverseEvent(p.number, term, milder, int(rng.integers(7, onset - 7))))
    return rows


def adverse_events(rng: np.random.Generator, patients: list[Patient]) -> list[AdverseEvent]:
    """Every adverse-event row: the included patients' episodes, then the excluded patients'."""
    by_number = {p.number: p for p in patients}
    worst = worst_grades(rng, patients)
    events = [
        e for (i, term), g in sorted(worst.items()) for e in episode(rng, by_number[i], term, g)
    ]
    events += [AdverseEvent(*row) for row in EXCLUDED_EVENTS]
    return sorted(events, key=lambda e: (e.patient, e.onset, e.term))


def on_day(p: Patient, offset: int | None) -> dt.date | None:
    """The date ``offset`` days after the patient's start of sorafenib (None stays blank)."""
    return None if offset is None else p.start + dt.timedelta(days=offset)


def patient_id(number: int) -> str:
    return f"TH-{number:03d}"


def patient_rows(rng: np.random.Generator, patients: list[Patient]) -> list[list]:
    """The ``patients`` sheet, one row per patient in id order; dates as dates, blanks as None."""
    names = fake_names(rng, patients)
    return [
        [
            patient_id(p.number), name, p.age, p.sex, p.start, on_day(p, p.end), p.reason,
            on_day(p, p.progression), on_day(p, p.death), on_day(p, p.last), p.response,
            best_change(rng, p.response), p.ecog, p.diagnosis, p.histology, p.bone, p.lung,
            p.lymph_node, p.symptoms, p.antibody, *p.counts,
        ]
        for p, name in zip(patients, names, strict=True)
    ]  # fmt: skip


def adverse_event_rows(patients: list[Patient], events: list[AdverseEvent]) -> list[list]:
    """The ``adverse_events`` sheet, ordered by patient id and onset."""
    by_number = {p.number: p for p in patients}
    return [
        [patient_id(e.patient), e.term, e.grade, on_day(by_number[e.patient], e.onset)]
        for e in events
    ]


def main() -> None:
    rng = np.random.default_rng(SEED)
    patients = parse_patients(BASELINE, COURSE)
    events = adverse_events(rng, patients)
    wb = Workbook()
    fill_sheet(wb.active, PATIENT_HEADERS, patient_rows(rng, patients))
    wb.active.title = "patients"
    fill_sheet(wb.create_sheet("adverse_events"), AE_HEADERS, adverse_event_rows(patients, events))
    buffer = io.BytesIO()
    wb.save(buffer)
    OUT.write_bytes(reproducible(buffer.getvalue(), dt.date(2021, 6, 1)))
    print(f"wrote {OUT} ({len(patients)} patients, {len(events)} adverse-event rows)")


if __name__ == "__main__":
    main()
