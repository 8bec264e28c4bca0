"""Placing an in-panel text (medians, HR, p) where it covers the least of the curves.

The text's box is measured as it will be drawn, then slid over a grid of positions inside the
axes; each position costs the length of curve that runs through the box (median guides count
a quarter, being light dashed lines), plus a fraction of a pixel for straying from the corners
(top right first, then bottom left, bottom right, top left). The cheapest position wins, so
the text sits in a corner when one is free, elsewhere in the panel when none is, and over as
little curve as can be when the panel has no free space large enough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.text import Text

GRID = 24  # positions tried along each axis
GUIDE_WEIGHT = 0.25
PAD_POINTS = 3.0  # white space kept between the text and any curve
INSET_POINTS = 2.0  # between the box and the axes' edges
CORNERS = ((1.0, 1.0), (0.0, 0.0), (1.0, 0.0), (0.0, 1.0))  # in order of preference


@dataclass(frozen=True)
class Segments:
    """Horizontal and vertical line segments in data coordinates, each with a weight."""

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    weight: np.ndarray

    @staticmethod
    def join(parts: list[Segments]) -> Segments:
        if not parts:
            empty = np.zeros(0)
            return Segments(empty, empty, empty, empty, empty)
        x0, y0, x1, y1, weight = (np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS)
        return Segments(x0, y0, x1, y1, weight)


_FIELDS = ("x0", "y0", "x1", "y1", "weight")


def step_segments(time: np.ndarray, surv: np.ndarray, weight: float = 1.0) -> Segments:
    """The pieces of a right-continuous step curve: a run at each level, a drop at each step."""
    start, end, level, after = time[:-1], time[1:], surv[:-1], surv[1:]
    x0, x1 = np.r_[start, end], np.r_[end, end]
    y0, y1 = np.r_[level, level], np.r_[level, after]
    return Segments(x0, y0, x1, y1, np.full(len(x0), weight))


def lines(
    x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, weight: float
) -> Segments:
    """Straight guides (median lines) as segments of one weight."""
    x0_, y0_, x1_, y1_ = (np.asarray(v, dtype=float) for v in (x0, y0, x1, y1))
    return Segments(x0_, y0_, x1_, y1_, np.full(len(x0_), weight))


def marks(x: np.ndarray, y: np.ndarray, half_width: float) -> Segments:
    """Censoring marks as short horizontal segments ``half_width`` either side (data units)."""
    return Segments(x - half_width, y, x + half_width, y, np.ones(len(x)))


# Segments measured against every box at a time. Each step is a boxes-by-segments matrix:
# a registry's curves (some 6,000 segments a panel, against a paper's hundred) made them
# 28 MB each and 190 MB together in the figure's process; in chunks, 5 MB each at most.
_CHUNK = 1024


def overlap(segments: Segments, boxes: np.ndarray) -> np.ndarray:
    """Weighted length of the segments inside each box (rows: left, bottom, right, top), in
    the segments' units; the segments must be horizontal or vertical."""
    total = np.zeros(len(boxes))
    for start in range(0, len(segments.x0), _CHUNK):
        part = (getattr(segments, f)[start : start + _CHUNK] for f in _FIELDS)
        total += _overlap(Segments(*part), boxes)
    return total


def _overlap(segments: Segments, boxes: np.ndarray) -> np.ndarray:
    sx0, sx1 = np.minimum(segments.x0, segments.x1), np.maximum(segments.x0, segments.x1)
    sy0, sy1 = np.minimum(segments.y0, segments.y1), np.maximum(segments.y0, segments.y1)
    left, bottom, right, top = (boxes[:, i : i + 1] for i in range(4))
    across = np.clip(np.minimum(sx1, right) - np.maximum(sx0, left), 0, None)
    along = np.clip(np.minimum(sy1, top) - np.maximum(sy0, bottom), 0, None)
    within_x = (sx1 >= left) & (sx0 <= right)
    within_y = (sy1 >= bottom) & (sy0 <= top)
    horizontal = sy0 == sy1
    length = np.where(horizontal, across * within_y, along * within_x)
    return length @ segments.weight


def narrow(text: str, longest: int = 20) -> str:
    """The text with a number's parenthesis on a line of its own where a line is longer than
    ``longest`` characters: 'HR 0.21 (95% CI 0.05–0.88)' becomes two lines, for a panel with
    no free room for the wider box. A heading's parenthesis stays: 'HR (95% CI) vs 0'."""
    return "\n".join(
        _AFTER_NUMBER.sub("\n(", line) if len(line) > longest else line for line in text.split("\n")
    )


_AFTER_NUMBER = re.compile(r"(?:(?<=\d)|(?<=NR)) \(")  # "1.35 (", "NR (": a value's interval


def place(
    ax: Axes, text: Text, segments: Segments, renderer: RendererBase
) -> tuple[np.ndarray, float]:
    """Move ``text`` (drawn in ``ax``) to where it covers the least of ``segments``.

    Returns the chosen box in display coordinates (left, bottom, right, top), padding
    included, and what it covers (0 where it covers nothing).
    """
    dpi = ax.get_figure(root=True).dpi  # pyright: ignore[reportOptionalMemberAccess]
    pad, inset = PAD_POINTS * dpi / 72, INSET_POINTS * dpi / 72
    extent = text.get_window_extent(renderer)
    width, height = extent.width + 2 * pad, extent.height + 2 * pad
    frame = ax.get_window_extent(renderer)
    lo_x, hi_x = frame.x0 + inset, max(frame.x1 - inset - width, frame.x0 + inset)
    lo_y, hi_y = frame.y0 + inset, max(frame.y1 - inset - height, frame.y0 + inset)
    xs, ys = np.meshgrid(np.linspace(lo_x, hi_x, GRID), np.linspace(lo_y, hi_y, GRID))
    boxes = np.c_[xs.ravel(), ys.ravel(), xs.ravel() + width, ys.ravel() + height]
    cost = overlap(_display(ax, segments), boxes) + _stray(boxes, (lo_x, lo_y, hi_x, hi_y))
    index = int(np.argmin(cost))
    best = boxes[index]
    right = (best[0] + best[2]) / 2 > (frame.x0 + frame.x1) / 2
    anchor = (best[2] - pad if right else best[0] + pad, best[3] - pad)
    x, y = ax.transAxes.inverted().transform(anchor)
    text.set_position((float(x), float(y)))
    text.set_horizontalalignment("right" if right else "left")
    text.set_multialignment("right" if right else "left")
    text.set_verticalalignment("top")
    return best, float(cost[index] - _stray(best[None], (lo_x, lo_y, hi_x, hi_y))[0])


def _display(ax: Axes, segments: Segments) -> Segments:
    """The segments in display coordinates (pixels), where overlap is measured."""
    start = ax.transData.transform(np.c_[segments.x0, segments.y0])
    end = ax.transData.transform(np.c_[segments.x1, segments.y1])
    return Segments(start[:, 0], start[:, 1], end[:, 0], end[:, 1], segments.weight)


def _stray(boxes: np.ndarray, limits: tuple[float, float, float, float]) -> np.ndarray:
    """Under one pixel: how far each box is from the nearest preferred corner position."""
    lo_x, lo_y, hi_x, hi_y = limits
    fx = (boxes[:, 0] - lo_x) / max(hi_x - lo_x, 1.0)
    fy = (boxes[:, 1] - lo_y) / max(hi_y - lo_y, 1.0)
    per_corner = [np.hypot(fx - cx, fy - cy) + 0.05 * rank for rank, (cx, cy) in enumerate(CORNERS)]
    return 0.5 * np.min(per_corner, axis=0)
