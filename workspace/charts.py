"""Chart geometry for server-rendered SVG: numbers in, shapes with coordinates out.

The templates under templates/workspace/dashboard/ draw these shapes; colours and text
placement come from CSS classes (static/workspace/dashboard.css), never from inline
styles, so the strict Content-Security-Policy holds. Every chart also has a table of
the same numbers on its page: the SVG is for the eye, the table for everyone.
"""

import math
from dataclasses import dataclass

from peercoach.formats import decimal_mark

WIDTH = 720
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 40  # room for the axis labels


@dataclass(frozen=True)
class Tick:
    at: float  # the coordinate on its axis
    label: str


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    label: str
    value_text: str
    muted: bool  # drawn lighter (e.g. a week that has not come yet)


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float  # the y of the baseline
    columns: list
    y_ticks: list
    x_ticks: list
    target_y: float | None  # a reference line (e.g. what the cadence asks for)
    muted_x: float | None  # where the muted columns start (shaded to the right edge)

    @property
    def muted_width(self):
        return round(self.right - self.muted_x, 1) if self.muted_x is not None else 0

    @property
    def plot_height(self):
        return self.bottom - self.top

    @property
    def tick_x(self):
        """Where the y axis' labels end (they are right-aligned)."""
        return self.left - 6

    @property
    def label_y(self):
        """The baseline of the x axis' labels."""
        return self.bottom + 18


@dataclass(frozen=True)
class Row:
    label: str
    value_text: str
    label_y: float
    bar_y: float
    bar_width: float
    bar_height: float
    value_x: float


@dataclass(frozen=True)
class RowChart:
    width: int
    height: int
    left: float
    rows: list


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    value_text: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    points: list
    path: str  # the polyline's "x,y x,y ..." points
    y_ticks: list
    x_ticks: list

    @property
    def tick_x(self):
        return self.left - 6

    @property
    def label_y(self):
        return self.bottom + 18


def nice_ceiling(value, ticks=4):
    """(top, step): a round top of the axis at or above `value`, split into at most
    `ticks` round steps (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0, 0.25
    raw = value / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        if step * ticks >= value:
            return step * math.ceil(value / step - 1e-9), step
    return value, value / ticks  # not reached: factor 10 always fits


def number_text(value, decimals=1):
    """ "3", "0.5", "0.67": at most `decimals` decimals, no trailing zeros, with the active
    language's decimal mark ("0,5" in Spanish)."""
    text = f"{value:.{decimals}f}"
    return decimal_mark(text.rstrip("0").rstrip(".") if "." in text else text)


def _thinned(labels, most):
    """The indexes of the labels to print so that at most `most` show, evenly spread."""
    if len(labels) <= most:
        return range(len(labels))
    every = math.ceil(len(labels) / most)
    return range(0, len(labels), every)


def column_chart(values, *, target=None, decimals=1, width=WIDTH, height=HEIGHT, x_labels=9):
    """A vertical bar per value. `values`: [(label, value, muted)]; `target`: the height
    of a reference line, or None."""
    right_edge = width - RIGHT
    bottom = height - BOTTOM
    plot_width = right_edge - LEFT
    plot_height = bottom - TOP
    highest = max([v for _l, v, _m in values] + [target or 0, 0])
    top_value, step = nice_ceiling(highest)
    slot = plot_width / max(len(values), 1)
    gap = min(slot * 0.2, 6)
    columns = []
    for index, (label, value, muted) in enumerate(values):
        h = plot_height * value / top_value
        columns.append(
            Column(
                x=round(LEFT + index * slot + gap / 2, 1),
                y=round(bottom - h, 1),
                width=round(slot - gap, 1),
                height=round(h, 1),
                label=label,
                value_text=number_text(value, decimals),
                muted=muted,
            )
        )
    y_ticks = [
        Tick(round(bottom - plot_height * k * step / top_value, 1), number_text(k * step, 2))
        for k in range(round(top_value / step) + 1)
    ]
    x_ticks = [
        Tick(round(LEFT + (index + 0.5) * slot, 1), values[index][0])
        for index in _thinned(values, x_labels)
    ]
    target_y = None
    if target:
        target_y = round(bottom - plot_height * target / top_value, 1)
    muted = [index for index, (_l, _v, is_muted) in enumerate(values) if is_muted]
    return ColumnChart(
        width=width,
        height=height,
        left=LEFT,
        right=right_edge,
        top=TOP,
        bottom=bottom,
        columns=columns,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        target_y=target_y,
        muted_x=round(LEFT + muted[0] * slot, 1) if muted else None,
    )


def row_chart(values, *, width=WIDTH, row_height=46, bar_height=18, left=4, value_room=48):
    """A horizontal bar per value, its label above it. `values`: [(label, value)]."""
    highest = max([v for _l, v in values] + [1])
    span = width - left - value_room
    rows = []
    for index, (label, value) in enumerate(values):
        top = index * row_height
        bar = span * value / highest
        rows.append(
            Row(
                label=label,
                value_text=number_text(value),
                label_y=top + 16,
                bar_y=top + 22,
                bar_width=round(bar, 1),
                bar_height=bar_height,
                value_x=round(left + bar + 6, 1),
            )
        )
    return RowChart(width=width, height=len(values) * row_height + 4, left=left, rows=rows)


def line_chart(values, *, low, high, decimals=1, width=WIDTH, height=HEIGHT, x_labels=12):
    """A line through the values on a fixed scale from `low` to `high` (e.g. ratings 1
    to 5). `values`: [(label, value)]."""
    right_edge = width - RIGHT
    bottom = height - BOTTOM
    plot_width = right_edge - LEFT
    plot_height = bottom - TOP
    slot = plot_width / max(len(values), 1)

    def y_of(value):
        return round(bottom - plot_height * (value - low) / (high - low), 1)

    points = [
        Point(
            x=round(LEFT + (index + 0.5) * slot, 1),
            y=y_of(value),
            label=label,
            value_text=number_text(value, decimals),
        )
        for index, (label, value) in enumerate(values)
    ]
    return LineChart(
        width=width,
        height=height,
        left=LEFT,
        right=right_edge,
        top=TOP,
        bottom=bottom,
        points=points,
        path=" ".join(f"{p.x},{p.y}" for p in points),
        y_ticks=[Tick(y_of(v), number_text(v)) for v in range(low, high + 1)],
        x_ticks=[Tick(points[i].x, points[i].label) for i in _thinned(points, x_labels)],
    )
