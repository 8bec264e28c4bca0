"""The house look of every manuscript figure: type sizes, line weights and a colour-blind-safe
palette in which groups also differ by line type, so they survive greyscale printing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Okabe & Ito (2008), "Color Universal Design": distinguishable under the common colour-vision
# deficiencies and in greyscale print.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}

# Groups in Kaplan–Meier figures take these in order; yellow is left out (too pale on white).
GROUP_COLOURS = tuple(
    OKABE_ITO[name]
    for name in ("blue", "vermillion", "bluish green", "reddish purple", "orange", "sky blue")
)
# ... and these line types, in the same order (dash patterns in multiples of the line width):
# solid, dashed, dotted, dash-dot, long dash, dash-dot-dot. Blue and vermillion print as about
# the same grey; solid and dashed do not.
GROUP_LINESTYLES: tuple[Any, ...] = (
    "solid",
    (0, (4.0, 2.0)),
    (0, (1.0, 1.5)),
    (0, (5.0, 1.8, 1.0, 1.8)),
    (0, (9.0, 2.5)),
    (0, (5.0, 1.5, 1.0, 1.5, 1.0, 1.5)),
)

# Best overall response (RECIST 1.1, iRECIST) in the waterfall: responses blue, progression
# vermillion.
RESPONSE_COLOURS = {
    "CR": OKABE_ITO["blue"],
    "PR": OKABE_ITO["sky blue"],
    "SD": OKABE_ITO["orange"],
    "PD": OKABE_ITO["vermillion"],
    "NE": "#999999",
    "iCR": OKABE_ITO["blue"],
    "iPR": OKABE_ITO["sky blue"],
    "iSD": OKABE_ITO["orange"],
    "iUPD": OKABE_ITO["reddish purple"],
    "iCPD": OKABE_ITO["vermillion"],
}

REFERENCE_LINE = "#7F7F7F"  # dashed guides: median drop lines, RECIST thresholds


def group_colours(labels: list[str]) -> dict[str, str]:
    """Colour of each group label, in order; a single curve is drawn in black."""
    if len(labels) == 1:
        return {labels[0]: OKABE_ITO["black"]}
    if len(labels) > len(GROUP_COLOURS):
        msg = f"at most {len(GROUP_COLOURS)} groups can be told apart; got {len(labels)}"
        raise ValueError(msg)
    return dict(zip(labels, GROUP_COLOURS, strict=False))


def group_linestyles(labels: list[str]) -> dict[str, Any]:
    """Line type of each group label, in order (a single curve is solid)."""
    group_colours(labels)  # the same limit on the number of groups
    return dict(zip(labels, GROUP_LINESTYLES, strict=False))


@dataclass(frozen=True)
class theme_manuscript:  # noqa: N801 (named as the theme it replaces)
    """Journal figure theme: classic axes (left and bottom only), no grid, small type sized
    for a figure printed at its saved size (about 17 cm wide for a full page width).

    Axis, legend and table text are 90% of ``base_size``, panel letters bold at 130%. Lines
    are in points, as the figures had them before (curves 1.24 pt, guides 0.71 pt).
    The legend sits above the panel so it never covers a curve or a bar.
    """

    base_size: float = 9.0
    family: str = "DejaVu Sans"  # ships with matplotlib, so figures look the same everywhere
    axis_line: float = 0.6
    tick_length: float = 3.0
    tick_pad: float = 2.5
    title_pad: float = 4.0  # between tick labels and an axis title
    curve: float = 1.24
    guide: float = 0.71
    legend_position: str = "top"

    @property
    def small(self) -> float:
        """Axis text, legends, numbers at risk and in-panel annotations."""
        return self.base_size * 0.9

    @property
    def tag(self) -> float:
        """Panel letters (A, B, ...)."""
        return self.base_size * 1.3

    def rc(self) -> dict[str, Any]:
        """matplotlib settings every figure is drawn under (see ``_save.draw_figure``)."""
        return {
            "font.family": self.family,
            "font.size": self.base_size,
            "text.color": "black",
            "axes.linewidth": self.axis_line,
            "axes.edgecolor": "black",
            "axes.labelcolor": "black",
            "axes.labelsize": self.base_size,
            "axes.labelpad": self.title_pad,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": False,
            "xtick.labelsize": self.small,
            "ytick.labelsize": self.small,
            "xtick.major.size": self.tick_length,
            "ytick.major.size": self.tick_length,
            "xtick.major.width": self.axis_line,
            "ytick.major.width": self.axis_line,
            "xtick.major.pad": self.tick_pad,
            "ytick.major.pad": self.tick_pad,
            "xtick.minor.visible": False,
            "ytick.minor.visible": False,
            "xtick.color": "black",
            "ytick.color": "black",
            "legend.fontsize": self.small,
            "legend.frameon": False,
            "lines.solid_capstyle": "butt",
            "lines.dash_capstyle": "butt",
        }
