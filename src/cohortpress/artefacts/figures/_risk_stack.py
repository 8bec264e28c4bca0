"""A curve plot stacked over its numbers-at-risk table, the table kept at a fixed height.

plotnine 0.15 stacks plots (``p1 / p2``) with panels of equal height; a table of two rows
drawn as tall as the survival curves would waste half the figure. ``plot_layout(heights=...)``
arrives in plotnine 0.16 (still a pre-release); until then the stack's grid fixes the height
of its bottom row in inches, the way survminer's ``risk.table.height`` does, and leaves the
rest to the curves. The override sits on ``Stack``'s grid only: panel alignment, tags and
nesting in larger compositions are plotnine's own. ``tests/test_figures.py`` checks the table
height and the tick alignment, so a plotnine change that breaks this fails there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from plotnine._mpl.gridspec import p9GridSpec
from plotnine.composition import Compose, Stack

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.gridspec import SubplotSpec
    from plotnine import ggplot

MAX_TABLE_SHARE = 0.4  # never give the table more than this share of the stack's height


class _FixedBottomGrid(p9GridSpec):
    """A two-row grid whose bottom row is ``bottom`` inches tall, whatever it is asked."""

    def __init__(self, figure: Figure, bottom: float, nest_into: SubplotSpec | None) -> None:
        self.bottom_inches = bottom
        super().__init__(2, 1, figure, nest_into=nest_into)

    def set_height_ratios(self, height_ratios: object) -> None:
        """Replace the equal-panel ratios plotnine computes with the fixed table height."""
        if height_ratios is None:
            super().set_height_ratios(None)
            return
        total = self.bbox_relative.height * self.figure.get_figheight()
        table = min(self.bottom_inches, MAX_TABLE_SHARE * total)
        super().set_height_ratios([total - table, table])

    def __deepcopy__(self, memo: dict[int, object]) -> _FixedBottomGrid:
        """The grid itself: like the figure it lays out, a grid is shared, not copied.

        plotnine copies each plot as it starts drawing it, after the plot has been put in
        its cell; without this the copy would take along the whole tree of grids of the
        figure (about 30 ms for each panel), which the copy never uses: drawing a copy
        makes new grids.
        """
        memo[id(self)] = self
        return self


@dataclass(repr=False)
class RiskStack(Stack):
    """``curves / table`` with the table ``table_height`` inches tall."""

    table_height: float = 0.6

    def _create_gridspec(self, figure: Figure, nest_into: SubplotSpec | None) -> None:
        self.gridspec = _FixedBottomGrid(figure, self.table_height, nest_into)

    def __truediv__(self, rhs: ggplot | Compose) -> Compose:
        """Stack ``rhs`` below the whole figure instead of joining the curve/table pair."""
        return Stack([self, rhs])


def risk_stack(curves: ggplot, table: ggplot, table_height: float) -> RiskStack:
    """Stack the curve plot over the numbers-at-risk plot."""
    return RiskStack([curves, table], table_height=table_height)
