"""Generated paragraphs (Methods, Results, data appendix) as Markdown."""

from cohortpress.artefacts.text._paragraphs import PARAGRAPHS, write_paragraphs

__all__ = ["PARAGRAPHS", "write_paragraphs"]
