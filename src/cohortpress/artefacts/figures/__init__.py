"""Manuscript figures: Kaplan–Meier curves with numbers at risk, panel grids, waterfalls.

Every builder takes analysis results (never raw data) and returns what is to be drawn, in the
house theme; ``save_figure`` draws it with matplotlib's object API and writes PNG and SVG.
Building imports no matplotlib: a run builds its figures in its own process and draws them in
another (see ``_parallel.py``), so ``draw_figure`` and ``save_figure`` import it on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cohortpress.artefacts.figures._km import KMFigure, figure_km
from cohortpress.artefacts.figures._panels import PanelGrid, figure_panels
from cohortpress.artefacts.figures._theme import theme_manuscript
from cohortpress.artefacts.figures._waterfall import WaterfallFigure, figure_waterfall

if TYPE_CHECKING:
    from cohortpress.artefacts.figures._save import draw_figure, save_figure

__all__ = [
    "KMFigure",
    "PanelGrid",
    "WaterfallFigure",
    "draw_figure",
    "figure_km",
    "figure_panels",
    "figure_waterfall",
    "save_figure",
    "theme_manuscript",
]

_DRAWING = ("draw_figure", "save_figure")  # in _save.py, with matplotlib


def __getattr__(name: str) -> Any:
    """``draw_figure`` and ``save_figure``, imported (with matplotlib) when first asked for."""
    if name in _DRAWING:
        from cohortpress.artefacts.figures import _save

        value = getattr(_save, name)
        globals()[name] = value  # found directly from now on (and replaceable by a test)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
