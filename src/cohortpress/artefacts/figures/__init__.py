"""Manuscript figures: Kaplan–Meier curves with numbers at risk, panel grids, waterfalls.

Every builder takes analysis results (never raw data) and returns what is to be drawn, in the
house theme; ``save_figure`` draws it with matplotlib's object API and writes PNG and SVG.
Building imports no matplotlib: a run builds its figures in its own process and draws them in
another (see ``_parallel.py``), so ``draw_figure`` and ``save_figure`` import it on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cohortpress.artefacts.figures._km import KMFigure, figure_km
    from cohortpress.artefacts.figures._panels import PanelGrid, figure_panels
    from cohortpress.artefacts.figures._save import draw_figure, save_figure
    from cohortpress.artefacts.figures._theme import theme_manuscript
    from cohortpress.artefacts.figures._waterfall import WaterfallFigure, figure_waterfall

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

# Where each name is defined. Nothing is imported with the package: the figures' drawing
# process is forked from a run that has not imported pandas yet (see _parallel.py), and the
# builders need pandas, the drawing matplotlib.
_MODULES = {
    "KMFigure": "_km",
    "figure_km": "_km",
    "PanelGrid": "_panels",
    "figure_panels": "_panels",
    "draw_figure": "_save",
    "save_figure": "_save",
    "theme_manuscript": "_theme",
    "WaterfallFigure": "_waterfall",
    "figure_waterfall": "_waterfall",
}


def __getattr__(name: str) -> Any:
    """Each name, imported from its module when first asked for."""
    if name in _MODULES:
        module = importlib.import_module(f"{__name__}.{_MODULES[name]}")
        value = getattr(module, name)
        globals()[name] = value  # found directly from now on (and replaceable by a test)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
