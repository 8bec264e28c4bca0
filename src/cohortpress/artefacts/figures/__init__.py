"""Manuscript figures: Kaplan–Meier curves with numbers at risk, panel grids, waterfalls.

Every builder takes analysis results (never raw data) and returns a plotnine plot or
composition in the house theme; ``save_figure`` writes it as PNG and SVG.
"""

from __future__ import annotations

from cohortpress.artefacts.figures._km import figure_km
from cohortpress.artefacts.figures._panels import figure_panels
from cohortpress.artefacts.figures._save import save_figure
from cohortpress.artefacts.figures._theme import theme_manuscript
from cohortpress.artefacts.figures._waterfall import WaterfallFigure, figure_waterfall

__all__ = [
    "WaterfallFigure",
    "figure_km",
    "figure_panels",
    "figure_waterfall",
    "save_figure",
    "theme_manuscript",
]
