"""Quarto's author and affiliation schema, flattened for the templates.

Authors may be plain names or maps (``name`` as text or ``given``/``family``/``literal``,
``affiliations``, ``email``, ``corresponding``); affiliations may be text, maps (``name``,
``department``, ``city``, ``country``, …, with an ``id``), or references (``ref: id``) to an
affiliation defined at the top level or under an earlier author. Affiliations are numbered in
order of first mention, as journals print them; the corresponding author is marked with an
asterisk.
"""

from __future__ import annotations

from typing import Any

from cohortpress.errors import RenderError
from cohortpress.present.escape import markdown_text

_WHERE = "manuscript.qmd front matter"
_AFFILIATION_PARTS = ("department", "name", "address", "city", "region", "state", "country")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _name(value: Any) -> str:
    if isinstance(value, dict):
        literal = value.get("literal")
        parts = [value.get("given"), value.get("family")]
        return str(literal or " ".join(str(p) for p in parts if p))
    if not value:
        raise RenderError(f"{_WHERE}: author: every author needs a name")
    return str(value)


def _defined_affiliations(top: Any, authors: list[dict[str, Any]]) -> dict[str, Any]:
    """Affiliations with an ``id``, wherever they are defined."""
    candidates = _as_list(top) + [a for au in authors for a in _as_list(au.get("affiliations"))]
    return {str(a["id"]): a for a in candidates if isinstance(a, dict) and "id" in a}


def _affiliation_text(value: Any, defined: dict[str, Any]) -> str:
    if isinstance(value, str):
        value = defined.get(value, value)
    if isinstance(value, dict) and "ref" in value:
        if str(value["ref"]) not in defined:
            raise RenderError(
                f"{_WHERE}: affiliation ref '{value['ref']}' matches no affiliation id"
            )
        value = defined[str(value["ref"])]
    if isinstance(value, dict):
        return ", ".join(str(value[part]) for part in _AFFILIATION_PARTS if value.get(part))
    return str(value)


def _author_maps(value: Any) -> list[dict[str, Any]]:
    authors = [{"name": a} if isinstance(a, str) else a for a in _as_list(value)]
    if not all(isinstance(a, dict) for a in authors):
        raise RenderError(f"{_WHERE}: author: expected names or maps with a name")
    for author in authors:
        if "affiliation" in author and "affiliations" not in author:
            author["affiliations"] = author["affiliation"]
    return authors


def byline(author: Any, affiliations: Any) -> dict[str, Any]:
    """Template metadata: ``authors`` (name, marks), ``affiliations`` (number, text),
    ``correspondence`` and ``author-names`` (plain names, for document properties)."""
    authors = _author_maps(author)
    defined = _defined_affiliations(affiliations, authors)
    numbers: dict[str, int] = {}
    people: list[dict[str, Any]] = []
    for person in authors:
        marks = []
        for value in _as_list(person.get("affiliations")):
            text = _affiliation_text(value, defined)
            marks.append(str(numbers.setdefault(text, len(numbers) + 1)))
        corresponding = bool(person.get("corresponding"))
        mark = ",".join(marks) + ("\\*" if corresponding else "")  # Markdown: a literal *
        entry = {"name": _name(person.get("name")), "corresponding": corresponding}
        people.append(entry | ({"marks": mark} if mark else {}) | _email(person))
    return {
        "authors": people,
        "affiliations": [{"number": str(n), "text": text} for text, n in numbers.items()],
        "author-names": [p["name"] for p in people],
    } | _correspondence(people)


def _email(person: dict[str, Any]) -> dict[str, str]:
    """The address as literal text: metadata is read as Markdown, where @ starts a citation."""
    return {"email": markdown_text(person["email"])} if person.get("email") else {}


def _correspondence(people: list[dict[str, Any]]) -> dict[str, str]:
    lead = next((p for p in people if p["corresponding"]), None)
    if lead is None:
        return {}
    contact = f"{lead['name']}, {lead['email']}" if "email" in lead else lead["name"]
    return {"correspondence": f"\\*Correspondence to: {contact}"}
