"""Writing figures to disk: a 300 dpi PNG for documents and an SVG for journals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import matplotlib.pyplot as plt
from plotnine import theme
from plotnine.composition import Compose

from cohortpress.artefacts.figures._waterfall import WaterfallFigure
from cohortpress.present.escape import MATPLOTLIB_LITERAL_TEXT

if TYPE_CHECKING:
    from pathlib import Path

    from plotnine import ggplot


def sized_plot(
    fig: ggplot | Compose | WaterfallFigure, width: float, height: float, dpi: int
) -> ggplot | Compose:
    """The plot (or composition) set to its final size in inches and its dpi.

    Every plot of a composition gets the size, not only the last one: plotnine converts
    margins given in points with each plot's own figure size.
    """
    plot = fig.plot if isinstance(fig, WaterfallFigure) else fig
    size = theme(figure_size=(width, height), dpi=dpi)
    return plot & size if isinstance(plot, Compose) else plot + size


def save_figure(
    fig: ggplot | Compose | WaterfallFigure,
    stem: Path,
    *,
    width: float,
    height: float,
    dpi: int = 300,
) -> tuple[Path, Path]:
    """Write ``stem.png`` at ``dpi`` and ``stem.svg``, both ``width`` x ``height`` inches.

    The files carry no timestamps, so rebuilding an unchanged figure changes no bytes.
    A ``WaterfallFigure`` is saved by its plot. Returns the PNG and SVG paths.
    """
    sized = sized_plot(fig, width, height, dpi)
    png, svg = stem.parent / f"{stem.name}.png", stem.parent / f"{stem.name}.svg"
    stem.parent.mkdir(parents=True, exist_ok=True)
    # SVG element ids are hashed with a salt, random unless set: fixed here (and no date in the
    # metadata) so the same figure always gives the same bytes. Text is drawn as paths, so the
    # SVG looks the same where DejaVu Sans is not installed. Labels and legends hold study.yml
    # and workbook text: drawn literally, a $ never starts mathtext.
    rc: dict[Any, Any] = {
        "svg.hashsalt": "cohortpress", "svg.fonttype": "path", **MATPLOTLIB_LITERAL_TEXT
    }  # fmt: skip
    with mpl.rc_context(rc):
        figure = sized.draw()
        try:
            figure.savefig(png, format="png", dpi=dpi, metadata={"Software": None})
            # Each savefig re-runs plotnine's layout engine (about 0.4 s for four panels). The
            # SVG reuses the layout the PNG has just done: the PNG is unchanged, the SVG's
            # elements sit where the PNG's do (up to ~2 pt from a layout of their own, which
            # measures text at 72 dpi). Not before the PNG: there would be no layout at all.
            figure.set_layout_engine("none")
            figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
        finally:
            plt.close(figure)
    return png, svg
