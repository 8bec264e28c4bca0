"""The front matter from study.yml, the one place it is written: title, running title, byline
and key words as a Quarto metadata file (``_generated/front-matter.yml``, which manuscript.qmd
lists under ``metadata-files``), and the Declarations section as a generated include.

The metadata keeps Quarto's author schema (``name``, ``affiliations``, ``email``,
``corresponding``) so that Quarto renders the same byline as the embedded engine. Quarto reads
metadata strings as Markdown, so every text is escaped here (:func:`markdown_text`); e-mail
addresses are the exception: study.yml admits only letters, digits and ``._%+-@`` in them, which
Markdown reads as themselves, and the embedded engine escapes them where it prints them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cohortpress._yaml import dump_yaml
from cohortpress.present.escape import markdown_text

if TYPE_CHECKING:
    from cohortpress.config import Author, StudyConfig

FRONT_MATTER = "front-matter.yml"
DECLARATIONS = "declarations.md"
RUNNING_TITLE = "running-title"
DECLARATION_TITLES = {
    "ethics": "Ethics approval",
    "consent": "Consent",
    "funding": "Funding",
    "conflicts": "Conflicts of interest",
    "data_availability": "Data availability",
    "author_contributions": "Author contributions",
}


def front_matter(config: StudyConfig, *, escape: bool = True) -> dict[str, Any]:
    """The metadata study.yml gives the manuscript; ``escape=False`` keeps the texts as written
    (to compare them with what an author wrote in manuscript.qmd)."""
    text = markdown_text if escape else str
    meta: dict[str, Any] = {"title": text(config.title)}
    if config.short_title:
        meta[RUNNING_TITLE] = text(config.short_title)
    if config.authors:
        meta["author"] = [_author(author, text) for author in config.authors]
    if config.keywords:
        meta["keywords"] = [text(word) for word in config.keywords]
    return meta


def _author(author: Author, text: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": text(author.name)}
    if author.affiliations:
        entry["affiliations"] = [text(place) for place in author.affiliations]
    if author.email:
        entry["email"] = author.email  # checked in config.py: nothing Markdown reads as markup
    if author.corresponding:
        entry["corresponding"] = True
    return entry


def front_matter_yaml(config: StudyConfig) -> str:
    """``_generated/front-matter.yml``."""
    return dump_yaml(front_matter(config))


def declarations_markdown(config: StudyConfig) -> str:
    """The Declarations section, one run-in paragraph per statement given (in the order
    journals list them); empty when study.yml declares none, so the include prints nothing."""
    given = config.declarations.model_dump()
    paragraphs = [
        f"**{title}.** {markdown_text(given[key])}"
        for key, title in DECLARATION_TITLES.items()
        if given.get(key)
    ]
    if not paragraphs:
        return ""
    return "## Declarations\n\n" + "\n\n".join(paragraphs) + "\n"
