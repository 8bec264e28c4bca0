"""Grids of figure panels (panels A–D, two by two, as survival by four markers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cohortpress.artefacts.figures._layout import Box, aligned

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.figure import Figure

    from cohortpress.artefacts.figures._layout import Measure, Panel


@dataclass(frozen=True, eq=False)
class PanelGrid:
    """Panels row by row, ``ncol`` per row, in cells of equal size; ``None`` is a blank cell."""

    cells: tuple[Panel | None, ...]
    ncol: int

    @property
    def rows(self) -> list[tuple[Panel | None, ...]]:
        return [self.cells[i : i + self.ncol] for i in range(0, len(self.cells), self.ncol)]

    def draw(self, figure: Figure, measure: Measure, frame: Box) -> None:
        """Draw every panel in its cell of ``frame``, axes aligned along rows and columns."""
        nrow = len(self.rows)
        width, height = frame.width / self.ncol, frame.height / nrow
        boxes = [
            Box(frame.left + (i % self.ncol) * width, frame.top - (i // self.ncol + 1) * height,
                width, height)
            for i in range(len(self.cells))
        ]  # fmt: skip
        own = [p.margins(measure, b) if p else None for p, b in zip(self.cells, boxes, strict=True)]
        for panel, box, margins in zip(self.cells, boxes, aligned(own, self.ncol), strict=True):
            if panel is not None:
                panel.draw(figure, measure, box, box.inset(margins))


def figure_panels(panels: Sequence[Panel], ncol: int = 2) -> PanelGrid:
    """Arrange panels row by row, ``ncol`` per row; an incomplete last row is left blank.

    Panels keep their own letters (``figure_km(..., panel="A")``); their axes line up
    across rows and columns. A panel may appear more than once: it is drawn in each place.
    """
    if not panels:
        raise ValueError("figure_panels needs at least one panel")
    if ncol < 1:
        raise ValueError(f"ncol must be at least 1; got {ncol}")
    blanks: list[Panel | None] = [None] * (-len(panels) % ncol)
    return PanelGrid((*panels, *blanks), ncol)
