"""A small table of CTCAE wording: common abbreviations, other names of the same event, and
the CTCAE spellings of common terms. Read by ``_ae_terms`` to spot one event written two ways;
it never rewrites a term (only study.yml's ``adverse_events: synonyms:`` does).
"""

from __future__ import annotations

# Abbreviations as written in hospital exports -> the words of the CTCAE term (lower case).
ABBREVIATIONS: dict[str, str] = {
    "ast": "aspartate aminotransferase",
    "sgot": "aspartate aminotransferase",
    "alt": "alanine aminotransferase",
    "gpt": "alanine aminotransferase",
    "sgpt": "alanine aminotransferase",
    "alp": "alkaline phosphatase",
    "bili": "blood bilirubin",
    "cr": "creatinine",
    "htn": "hypertension",
    "ht": "hypertension",
    "sob": "dyspnea",
    "uti": "urinary tract infection",
    "uri": "upper respiratory infection",
    "urti": "upper respiratory infection",
    "aki": "acute kidney injury",
    "wbc": "white blood cell",
    "plt": "platelet count",
    "anc": "neutrophil count",
    "hb": "hemoglobin",
    "hgb": "hemoglobin",
    "dvt": "deep vein thrombosis",
    "hfs": "palmar plantar erythrodysesthesia syndrome",
    "hfsr": "palmar plantar erythrodysesthesia syndrome",
    "ppe": "palmar plantar erythrodysesthesia syndrome",
    "ppes": "palmar plantar erythrodysesthesia syndrome",
}

# Other names of one CTCAE term (normalised words) -> the term's words.
SAME_EVENT: dict[str, str] = {
    "hand foot syndrome": "palmar plantar erythrodysesthesia syndrome",
    "hand foot skin reaction": "palmar plantar erythrodysesthesia syndrome",
    "hand foot reaction": "palmar plantar erythrodysesthesia syndrome",
    "bilirubin increased": "blood bilirubin increased",
    "hyperbilirubinemia": "blood bilirubin increased",
    "platelets decreased": "platelet count decreased",
    "thrombocytopenia": "platelet count decreased",
    "neutropenia": "neutrophil count decreased",
    "leukopenia": "white blood cell decreased",
    "loss of appetite": "anorexia",
    "appetite loss": "anorexia",
    "appetite decreased": "anorexia",
    "tiredness": "fatigue",
    "pyrexia": "fever",
    "dysgeusia taste alteration": "dysgeusia",
    "taste alteration": "dysgeusia",
    "stomatitis": "mucositis oral",
    "oral mucositis": "mucositis oral",
}

# CTCAE v5.0 spellings of common terms: a duplicate is mapped toward one of these.
CTCAE_TERMS: frozenset[str] = frozenset(
    term.casefold()
    for term in (
        "Abdominal pain",
        "Acute kidney injury",
        "Alanine aminotransferase increased",
        "Alkaline phosphatase increased",
        "Alopecia",
        "Anemia",
        "Anorexia",
        "Arthralgia",
        "Aspartate aminotransferase increased",
        "Blood bilirubin increased",
        "Constipation",
        "Cough",
        "Creatinine increased",
        "Diarrhea",
        "Dizziness",
        "Dry skin",
        "Dysgeusia",
        "Dysphonia",
        "Dyspnea",
        "Edema limbs",
        "Epistaxis",
        "Fatigue",
        "Fever",
        "GGT increased",
        "Headache",
        "Hoarseness",
        "Hypertension",
        "Hypoalbuminemia",
        "Hypocalcemia",
        "Hypokalemia",
        "Hypomagnesemia",
        "Hyponatremia",
        "Hypophosphatemia",
        "Hypothyroidism",
        "Insomnia",
        "Lipase increased",
        "Mucositis oral",
        "Myalgia",
        "Nausea",
        "Neutrophil count decreased",
        "Palmar-plantar erythrodysesthesia syndrome",
        "Peripheral sensory neuropathy",
        "Platelet count decreased",
        "Pneumonitis",
        "Proteinuria",
        "Pruritus",
        "Rash acneiform",
        "Rash maculo-papular",
        "Upper respiratory infection",
        "Urinary tract infection",
        "Vomiting",
        "Weight loss",
        "White blood cell decreased",
    )
)

# Words that change the event's direction: terms differing in them are different events.
OPPOSITES = ("hypo", "hyper", "brady", "tachy", "increased", "decreased")

# Lab wording: "elevated AST", "AST elevation", "high AST" are "AST increased".
INCREASED = frozenset({"elevated", "elevation", "increase", "increased", "high", "raised", "rise"})
DECREASED = frozenset({"decrease", "decreased", "low", "reduced", "reduction", "lowered"})

# Words that qualify an event without making it another one: "General fatigue" is Fatigue.
QUALIFIERS = frozenset(
    {
        "general",
        "generalised",
        "generalized",
        "generalise",
        "generalize",
        "mild",
        "moderate",
        "severe",
        "acute",
        "worsening",
        "worsened",
        "worse",
        "persistent",
        "intermittent",
        "recurrent",
        "transient",
        "suspected",
        "possible",
        "new",
        "onset",
        "symptomatic",
    }
)
