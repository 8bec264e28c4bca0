"""One table content, shown three ways: great_tables HTML, Pandoc tables (PDF, DOCX), a sheet.

A :class:`Table` holds display strings only; each format gets its styling from its own mechanism
(CSS in HTML, the reference document in DOCX, typst show rules in PDF). We use only the
great_tables features that survive Quarto's HTML-table conversion: column labels, spanners,
footnotes and source notes, plain-text cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cohortpress.present.escape import markdown_text

if TYPE_CHECKING:
    import pandas as pd
    from great_tables import GT
    from great_tables._text import BaseText

INDENT = "\u2003"
# Journal rules in HTML: thick top and bottom, thin under the header, none between.
BOOKTABS: dict[str, Any] = {
    "table_font_size": "10pt",
    "table_width": "100%",
    "table_border_top_style": "solid",
    "table_border_top_width": "2px",
    "table_border_top_color": "#000000",
    "table_border_bottom_style": "solid",
    "table_border_bottom_width": "2px",
    "table_border_bottom_color": "#000000",
    "column_labels_border_bottom_style": "solid",
    "column_labels_border_bottom_width": "1px",
    "column_labels_border_bottom_color": "#000000",
    "column_labels_border_top_style": "none",
    "table_body_hlines_style": "none",
    "table_body_border_bottom_style": "solid",
    "table_body_border_bottom_width": "2px",
    "table_body_border_bottom_color": "#000000",
    "source_notes_font_size": "8.5pt",
}  # an em space: the level rows under a characteristic, kept by every format


@dataclass(frozen=True)
class Spanner:
    label: str
    columns: tuple[str, ...]
    level: int = 0
    id: str | None = None  # unique when the same label spans several column groups


@dataclass(frozen=True, eq=False)
class Table:
    """A manuscript table: ``frame`` holds the printed strings; the first column is the stub."""

    id: str
    caption: str
    frame: pd.DataFrame
    column_labels: dict[str, str] = field(default_factory=dict)
    spanners: tuple[Spanner, ...] = ()
    notes: tuple[str, ...] = ()

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (by the build cache) with its cells as plain strings where they are all
        strings, so a cached run unpickles the table without pandas; the frame is made again
        on first use (the supplementary workbook, when it is not kept)."""
        state = {name: value for name, value in self.__dict__.items() if name != "_cells"}
        cells = _Cells.of(self.frame)
        if cells is not None:
            state["frame"] = cells
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        cells = state.get("frame")
        if isinstance(cells, _Cells):
            state = {name: value for name, value in state.items() if name != "frame"}
            state["_cells"] = cells
        self.__dict__.update(state)

    if not TYPE_CHECKING:  # ``frame`` is a field to the type checker; this only fills it in

        def __getattr__(self, name: str) -> object:
            cells = self.__dict__.get("_cells")
            if name != "frame" or cells is None:
                raise AttributeError(name)
            frame = self.__dict__["frame"] = cells.frame()
            return frame

    def gt(self) -> GT:
        # Imported here: the tables stage uses it, a cached run unpickles tables without it.
        from great_tables import GT, loc, style

        stub = str(self.frame.columns[0])
        labels: dict[str, str | BaseText] = {stub: "", **self.column_labels}
        table = GT(self.frame, id=self.id.replace("-", "_")).cols_label(cases=labels)
        for sp in self.spanners:
            table = table.tab_spanner(sp.label, columns=list(sp.columns), level=sp.level, id=sp.id)
        for note in self.notes:
            table = table.tab_source_note(note)
        numeric = list(self.frame.columns[1:])
        table = table.cols_align("left", columns=[stub]).cols_align("center", columns=numeric)
        headings = [i for i, v in enumerate(self.frame[stub]) if _is_heading(self.frame, i)]
        if headings:
            table = table.tab_style(
                style.text(weight="normal"), loc.body(columns=[stub], rows=headings)
            )
        return table.tab_options(**BOOKTABS)

    def html(self) -> str:
        """The table as great_tables writes it, styled by class (no inline CSS)."""
        return self.gt().as_raw_html(inline_css=False)

    def markdown(self, key: str = "tbl", html: str | None = None) -> str:
        """Quarto's cross-referenceable table: a div with the raw HTML and the caption;
        ``key`` is the cross-reference kind (``tbl``, or ``supptbl`` in the supplement).
        ``html`` is :meth:`html` when the caller has it already (writing the table for the
        manuscript and for the supplement renders it once).

        great_tables escapes every cell, label, spanner and note for HTML (and the DOCX and
        PDF read that HTML back as text); the caption is Markdown, escaped here.
        """
        raw = self.html() if html is None else html
        caption = markdown_text(self.caption)
        return f"::: {{#{key}-{self.id}}}\n\n```{{=html}}\n{raw}\n```\n\n{caption}\n\n:::\n"


def import_great_tables() -> None:
    """Import great_tables now (a quarter of a second at paper size, Font Awesome's icons
    most of it): a run does it while it waits for its analysis' comparison, computed in
    another process, instead of in the tables stage."""
    import great_tables  # noqa: F401


def _is_heading(frame: pd.DataFrame, row: int) -> bool:
    return all(str(v) == "" for v in frame.iloc[row, 1:])


@dataclass(frozen=True)
class _Cells:
    """A table's frame as plain Python: its column names and rows of strings."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _Cells | None:
        """The cells of ``frame`` when :meth:`frame` gives it back exactly: string column
        names (an object index), string cells (object columns) and rows numbered from 0;
        None otherwise (the frame is then pickled as it is)."""
        import pandas as pd
        from pandas.api.types import is_object_dtype

        index, columns = frame.index, frame.columns
        plain = (
            isinstance(index, pd.RangeIndex)
            and index.start == 0
            and index.step == 1
            and type(columns) is pd.Index
            and is_object_dtype(columns.dtype)
            and columns.is_unique
            and all(type(name) is str for name in columns)
            and all(is_object_dtype(dtype) for dtype in frame.dtypes)
        )
        rows = tuple(tuple(row) for row in frame.itertuples(index=False, name=None))
        if not plain or not all(type(cell) is str for row in rows for cell in row):
            return None
        return cls(tuple(columns), rows)

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        columns = pd.Index(list(self.columns), dtype=object)
        return pd.DataFrame(list(self.rows), columns=columns, dtype=object)
