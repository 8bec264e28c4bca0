"""Manuscript figures: Kaplan–Meier curves with numbers at risk, panel grids, waterfalls.

Every builder takes analysis results (never raw data) and returns what is to be drawn, in the
house theme; ``save_figure`` draws it with matplotlib's object API and writes PNG and SVG.
"""

from __future__ import annotations

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
