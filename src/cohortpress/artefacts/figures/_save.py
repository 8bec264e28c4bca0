"""Writing figures to disk: a 300 dpi PNG for Word, an SVG for the HTML page and the PDF."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cohortpress.artefacts import FIGURE_SUFFIXES
from cohortpress.artefacts.figures._layout import Box, Measure
from cohortpress.artefacts.figures._panels import PanelGrid, figure_panels
from cohortpress.artefacts.figures._theme import theme_manuscript
from cohortpress.present.escape import MATPLOTLIB_LITERAL_TEXT

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from cohortpress.artefacts.figures._layout import Panel

# SVG element ids are hashed with a salt, random unless set: fixed here (and no date in the
# metadata) so the same figure always gives the same bytes. Text is drawn as paths, so the
# SVG looks the same where DejaVu Sans is not installed. Labels and legends hold study.yml
# and workbook text: drawn literally, a $ never starts mathtext.
_RC: dict[Any, Any] = {
    **theme_manuscript().rc(),
    "svg.hashsalt": "cohortpress",
    "svg.fonttype": "path",
    **MATPLOTLIB_LITERAL_TEXT,
}


def draw_figure(fig: Panel | PanelGrid, width: float, height: float, dpi: int) -> Figure:
    """The figure drawn on a new matplotlib ``Figure`` of ``width`` x ``height`` inches.

    No pyplot: the figure belongs to no global state and is freed with its last reference.
    A single panel is drawn as a grid of one.
    """
    grid = fig if isinstance(fig, PanelGrid) else figure_panels([fig], ncol=1)
    with mpl.rc_context(_RC):
        figure = Figure(figsize=(width, height), dpi=dpi)
        canvas = FigureCanvasAgg(figure)
        measure = Measure(canvas.get_renderer(), dpi, _RC["font.family"])
        grid.draw(figure, measure, Box(0.0, 0.0, width, height))
    return figure


def save_figure(
    fig: Panel | PanelGrid,
    stem: Path,
    *,
    width: float,
    height: float,
    dpi: int = 300,
    suffixes: Sequence[str] = FIGURE_SUFFIXES,
) -> tuple[Path, ...]:
    """Write the figure as ``stem.png`` at ``dpi`` and ``stem.svg``, or as those of
    ``suffixes``, ``width`` x ``height`` inches; return the paths written.

    The files carry no timestamps, so rebuilding an unchanged figure changes no bytes, and a
    file's bytes do not depend on which others were written with it (the PNG is drawn by Agg,
    the SVG by its own renderer, after the same layout).
    """
    unknown = set(suffixes) - set(FIGURE_SUFFIXES)
    if unknown or not suffixes:
        raise ValueError(f"figure files are {' and '.join(FIGURE_SUFFIXES)}, not {suffixes}")
    stem.parent.mkdir(parents=True, exist_ok=True)
    figure = draw_figure(fig, width, height, dpi)
    written: list[Path] = []
    with mpl.rc_context(_RC):
        for suffix in FIGURE_SUFFIXES:
            if suffix not in suffixes:
                continue
            path = stem.parent / f"{stem.name}{suffix}"
            if suffix == ".png":
                _save_png(figure, path, dpi)
            else:
                figure.savefig(path, format="svg", metadata={"Date": None, "Creator": None})
            written.append(path)
    return tuple(written)


def _save_png(figure: Figure, path: Path, dpi: int) -> None:
    """The figure as ``savefig(format="png", dpi=dpi)`` draws it, in the fewest channels that
    hold its pixels exactly: grey when every pixel is grey (a figure of one group, drawn in
    black), colour without alpha when every pixel is opaque (the manuscript theme's white
    background), colour with alpha otherwise. A grey figure is half the size and compressed in
    a third of the time; dropping the alpha channel saves a tenth and a quarter. No text chunks, the
    dpi in ``pHYs``."""
    canvas = figure.canvas
    assert isinstance(canvas, FigureCanvasAgg)  # draw_figure's
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    image = PIL.Image.fromarray(rgba)  # the pixels shared; Pillow copies the channels kept
    if bool((rgba.view("<u4") >= 0xFF000000).all()):  # every alpha 255 (the pixel's top byte)
        red = rgba[..., 0]
        grey = bool((red == rgba[..., 1]).all() and (red == rgba[..., 2]).all())
        image = image.getchannel("R") if grey else image.convert("RGB")
    image.save(path, format="png", dpi=(dpi, dpi))
