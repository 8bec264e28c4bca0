"""Where each panel's axes go, in inches, computed from measured text rather than searched for.

A panel reserves margins for what it draws outside its axes (tick labels, axis titles, legend,
panel letter, a numbers-at-risk table); a grid gives every panel of a column the same left and
right margins and every panel of a row the same top and bottom margins, so that axes line up
across panels. Nothing here depends on the order in which matplotlib draws.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure

    from cohortpress.artefacts.figures._theme import theme_manuscript

PAD = 0.04  # inches of white space around each panel
LINE_SPACING = 1.2  # matplotlib's default, in multiples of the font size


@dataclass(frozen=True)
class Box:
    """A rectangle on the figure in inches, from its bottom left corner."""

    left: float
    bottom: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def top(self) -> float:
        return self.bottom + self.height

    def inset(self, margins: Margins) -> Box:
        """The box less ``margins`` on each side (never narrower or lower than 1% of it)."""
        width = max(self.width - margins.left - margins.right, 0.01 * self.width)
        height = max(self.height - margins.top - margins.bottom, 0.01 * self.height)
        return Box(self.left + margins.left, self.bottom + margins.bottom, width, height)

    def fraction(self, figure: Figure) -> tuple[float, float, float, float]:
        """``[left, bottom, width, height]`` as fractions of the figure, for ``add_axes``."""
        w, h = figure.get_size_inches()
        return (self.left / w, self.bottom / h, self.width / w, self.height / h)


@dataclass(frozen=True)
class Margins:
    """Inches a panel needs outside its axes on each side."""

    left: float
    right: float
    top: float
    bottom: float


class Measure:
    """Text extents in inches, as the figure's own renderer will draw them."""

    def __init__(self, renderer: RendererBase, dpi: float, family: str) -> None:
        self._renderer = renderer
        self._dpi = dpi
        self._family = family
        self._widths: dict[tuple[str, float, str], float] = {}  # panels repeat their labels

    def text(self, text: str, size: float, weight: str = "normal") -> tuple[float, float]:
        """Width and height of ``text`` (several lines: the widest, and all of them)."""
        lines = text.split("\n")
        width = max(self._width(line or " ", size, weight) for line in lines)
        return width, len(lines) * LINE_SPACING * size / 72

    def _width(self, line: str, size: float, weight: str) -> float:
        key = (line, size, weight)
        if key not in self._widths:
            from matplotlib.font_manager import FontProperties  # drawing only (_parallel.py)

            prop = FontProperties(family=self._family, size=size, weight=weight)
            pixels = self._renderer.get_text_width_height_descent(line, prop, ismath=False)[0]
            self._widths[key] = pixels / self._dpi
        return self._widths[key]

    def wrap(self, text: str, size: float, width: float) -> str:
        """``text`` on as few lines as fit ``width`` inches (a long word keeps its line)."""
        if self.text(text, size)[0] <= width:
            return text
        per_char = self.text(text, size)[0] / max(len(text), 1)
        chars = max(int(width / per_char), 8)
        return "\n".join(textwrap.wrap(text, chars)) or text


class Panel(Protocol):
    """What a grid needs of a panel: its margins in a cell, and how to draw itself."""

    def margins(self, measure: Measure, cell: Box) -> Margins: ...

    def draw(self, figure: Figure, measure: Measure, cell: Box, axes: Box) -> None: ...


def aligned(margins: Sequence[Margins | None], ncol: int) -> list[Margins]:
    """Margins made equal along each column (left, right) and each row (top, bottom)."""
    nrow = -(-len(margins) // ncol)
    zero = Margins(0.0, 0.0, 0.0, 0.0)
    grid = [m or zero for m in margins] + [zero] * (nrow * ncol - len(margins))
    left = [max(grid[r * ncol + c].left for r in range(nrow)) for c in range(ncol)]
    right = [max(grid[r * ncol + c].right for r in range(nrow)) for c in range(ncol)]
    top = [max(grid[r * ncol + c].top for c in range(ncol)) for r in range(nrow)]
    bottom = [max(grid[r * ncol + c].bottom for c in range(ncol)) for r in range(nrow)]
    return [
        Margins(left[i % ncol], right[i % ncol], top[i // ncol], bottom[i // ncol])
        for i in range(len(margins))
    ]


def text_height(size: float, lines: int = 1) -> float:
    """Inches taken by ``lines`` lines of type of ``size`` points."""
    return lines * LINE_SPACING * size / 72


def points(value: float) -> float:
    """Points to inches."""
    return value / 72


def axis_decoration(theme: theme_manuscript) -> float:
    """Inches from an axis line to the far side of its tick labels (ticks point outward)."""
    return points(theme.tick_length + theme.tick_pad)
