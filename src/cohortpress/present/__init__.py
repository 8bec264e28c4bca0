"""Presentation: where values from the workbook and study.yml become the text a reader sees.

For now it holds the escaping rules (``escape``): whatever a workbook cell or study.yml says
reaches every output format as literal text, never as markup.
"""

from cohortpress.present.escape import MATPLOTLIB_LITERAL_TEXT, markdown_text, markdown_tree

__all__ = ["MATPLOTLIB_LITERAL_TEXT", "markdown_text", "markdown_tree"]
