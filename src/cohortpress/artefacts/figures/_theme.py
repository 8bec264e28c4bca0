"""The house look of every manuscript figure: one theme and one colour-blind-safe palette."""

from __future__ import annotations

from plotnine import element_blank, element_line, element_text, theme, theme_classic

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


class theme_manuscript(theme_classic):  # noqa: N801 (plotnine names themes in lower case)
    """Journal figure theme: classic axes, no grid, small type sized for print.

    Text sizes are for a figure printed at its saved size (about 17 cm wide for a full page
    width): axis and legend text at 90% of ``base_size``, panel letters bold at 130%.
    The legend sits above the panel so it never covers a curve or a bar.

    Parameters
    ----------
    base_size
        Body text size in points.
    family
        Font family; DejaVu Sans ships with matplotlib, so figures look the same everywhere.
    """

    def __init__(self, base_size: float = 9, family: str = "DejaVu Sans") -> None:
        # plotnine annotates base_size as int but scales it as a float
        super().__init__(base_size=base_size, base_family=family)  # pyright: ignore[reportArgumentType]
        small = base_size * 0.9
        self += theme(
            text=element_text(family=family, size=base_size, color="black"),
            axis_text=element_text(size=small, color="black"),
            axis_line=element_line(color="black", size=0.6),
            axis_ticks=element_line(color="black", size=0.6),
            axis_ticks_length=3,
            axis_ticks_minor=element_blank(),
            axis_title_x=element_text(margin={"t": 4, "unit": "pt"}),
            axis_title_y=element_text(margin={"r": 4, "unit": "pt"}),
            legend_position="top",
            legend_direction="horizontal",
            legend_justification="left",
            legend_title=element_blank(),
            legend_text=element_text(size=small, margin={"l": 3, "r": 8, "unit": "pt"}),
            legend_key_width=base_size * 1.6,
            legend_key_height=base_size * 1.1,
            legend_box_spacing=0.005,
            plot_title=element_text(size=base_size, ha="left", margin={"b": 3, "unit": "pt"}),
            plot_tag=element_text(size=base_size * 1.3, weight="bold"),
            plot_tag_location="plot",
            plot_tag_position="topleft",
            plot_margin=0.012,
        )
