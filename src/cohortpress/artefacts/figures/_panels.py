"""Grids of figure panels (panels A–D, two by two, as survival by four markers)."""

from __future__ import annotations

from copy import deepcopy
from typing import TYPE_CHECKING

from plotnine.composition import Beside, Stack, plot_spacer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from plotnine import ggplot
    from plotnine.composition import Compose


def figure_panels(panels: Sequence[ggplot | Compose], ncol: int = 2) -> Compose:
    """Arrange panels row by row, ``ncol`` per row; an incomplete last row is left blank.

    Panels keep their own letters (``figure_km(..., panel="A")``); plotnine aligns their
    axes across rows and columns. A panel given more than once is copied after its first
    place, so one figure can appear twice; the others are used as they are (plotnine's
    copies are slow, and ``save_figure`` draws a copy of the whole grid anyway).
    """
    if not panels:
        raise ValueError("figure_panels needs at least one panel")
    if ncol < 1:
        raise ValueError(f"ncol must be at least 1; got {ncol}")
    seen: set[int] = set()
    items: list[ggplot | Compose] = []
    for panel in panels:
        items.append(deepcopy(panel) if id(panel) in seen else panel)
        seen.add(id(panel))
    items += [plot_spacer() for _ in range(-len(items) % ncol)]
    rows = [Beside(items[i : i + ncol]) for i in range(0, len(items), ncol)]
    return rows[0] if len(rows) == 1 else Stack([*rows])
