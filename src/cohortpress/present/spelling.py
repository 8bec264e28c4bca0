"""US or UK spelling of the words cohortpress writes, chosen by the document's ``lang``.

cohortpress's own sentences are written in UK spelling; for ``lang: en`` or ``en-US`` (and any
English outside the Commonwealth variants below) they print in US spelling, as most medical
journals ask. Only cohortpress's words are respelled (the templates' text and code-made phrases),
never text from the workbook or study.yml.
"""

from __future__ import annotations

import re

UK_TO_US = {
    "analyse": "analyze",
    "analysed": "analyzed",
    "analysing": "analyzing",
    "tumour": "tumor",
    "tumours": "tumors",
    "normalise": "normalize",
    "normalised": "normalized",
    "normalisation": "normalization",
    "normalisations": "normalizations",
    "favourable": "favorable",
    "unfavourable": "unfavorable",
    "centre": "center",
    "randomised": "randomized",
    "oedema": "edema",
    "haemoglobin": "hemoglobin",
    "behaviour": "behavior",
    "colour": "color",
    "programme": "program",
    "programmes": "programs",
    "judgement": "judgment",
    "favourably": "favorably",
    "haematological": "hematological",
    "anaemia": "anemia",
    "diarrhoea": "diarrhea",
    "oesophageal": "esophageal",
    "paediatric": "pediatric",
}
UK_REGIONS = {"GB", "UK", "AU", "NZ", "IE", "ZA", "IN"}
_WORD = re.compile(r"\b(" + "|".join(sorted(UK_TO_US, key=len, reverse=True)) + r")\b", re.I)


def is_uk(lang: str) -> bool:
    """en-GB, en-AU, … spell as the UK; en, en-US and the rest as the US."""
    language, _, region = lang.partition("-")
    return language.lower() == "en" and region.upper() in UK_REGIONS


def spell(text: str, lang: str) -> str:
    """``text`` (cohortpress's own words) in the spelling of ``lang``."""
    if is_uk(lang) or not lang.lower().startswith("en"):
        return text
    return _WORD.sub(_us, text)


def _us(match: re.Match[str]) -> str:
    word = match[0]
    us = UK_TO_US[word.lower()]
    return us.capitalize() if word[0].isupper() else us
