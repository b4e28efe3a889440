"""Drawing for /duality: Bokeh figures and the data their sources receive.

Everything here is drawing: the numbers come from :mod:`ot_engine.duality` through the page
model (:mod:`pages.duality`). Each figure owns its sources and has an ``update``; the
draggable bars (p, q and the sketched f) are :class:`pages.components.histogram.Histogram`.
What one update sends is small: curves in float32, the slack as one byte per cell.
"""

from __future__ import annotations

import numpy as np
from bokeh.models import (
    ColumnDataSource,
    CustomJSTickFormatter,
    FixedTicker,
    Legend,
    Range1d,
    Span,
)
from bokeh.palettes import Viridis256
from bokeh.plotting import figure

from pages import theme
from pages.components import heatmap, legend

#: The sketched f is drawn as bars of height f + F_OFFSET on [0, 1] (the shared histogram
#: control draws heights from 0 up): f itself lies in [-0.5, 0.5], the range of a centred
#: c-concave potential when the costs lie in [0, 1] (ot_engine.duality).
F_OFFSET = 0.5
#: Potentials' axis: a centred pair lies in [-0.5, 0.5] for costs in [0, 1].
POTENTIAL_RANGE = (-0.6, 0.6)
#: Transforms' axis: f^c of a sketch lies in [-0.5, 1.5]; the soft one sits above it.
TRANSFORM_RANGE = (-0.6, 1.6)
#: Reference curves (the exact potentials, under the sketch).
REFERENCE_COLOR = "#7a7a7a"
SOFT_COLOR = "#CC79A7"


def slack_codes(s: np.ndarray) -> np.ndarray:
    """Slack as palette indices 0..255 (uint8): 0 for slack <= 0, 255 at the largest slack.

    >>> slack_codes(np.array([[0.0, 1.0], [0.5, -1e-15]])).tolist()
    [[0, 255], [128, 0]]
    """
    top = float(s.max())
    if top <= 0.0:
        return np.zeros(s.shape, dtype=np.uint8)
    return np.rint(np.clip(s / top, 0.0, 1.0) * 255).astype(np.uint8)


def _figure(width: int, height: int, y_range, title: str, name: str) -> figure:
    fig = figure(
        width=width,
        height=height,
        x_range=Range1d(0, 1),
        y_range=Range1d(*y_range),
        tools="",
        toolbar_location=None,
        title=title,
        name=name,
    )
    theme.style_figure(fig)
    fig.yaxis.ticker.desired_num_ticks = 5
    return fig


def _zero_line() -> Span:
    return Span(location=0, dimension="width", line_color=REFERENCE_COLOR, line_alpha=0.5)


def _legend(fig: figure, items) -> None:
    """A legend of ``items`` (label, renderers) drawn from stand-ins: the curves' sources change
    at every drag answer, and a legend naming them would rebuild its items each time."""
    key = Legend(
        items=[(label, [legend.stand_in(fig, r) for r in rs]) for label, rs in items],
        orientation="vertical",
        label_text_font_size="12px",
        background_fill_alpha=0.6,
        spacing=0,
        padding=4,
        margin=4,
    )
    fig.add_layout(key, "below")


class PotentialsFigure:
    """The exact potentials: f over the sources x, g over the targets y."""

    def __init__(self, width: int, height: int) -> None:
        self.source = ColumnDataSource(
            {k: np.zeros(0, np.float32) for k in ("x", "f", "g")}, name="du_potentials"
        )
        fig = _figure(width, height, POTENTIAL_RANGE, "Exact potentials (prices)", "du_pot_fig")
        fig.add_layout(
            Span(location=0, dimension="width", line_color=REFERENCE_COLOR, line_alpha=0.5)
        )
        f = fig.line("x", "f", source=self.source, line_color=theme.SOURCE_COLOR, line_width=2.5)
        g = fig.line(
            "x", "g", source=self.source, line_color=theme.TARGET_COLOR, line_width=2.5,
            line_dash="dashed",
        )  # fmt: skip
        _legend(fig, [("f(x): price paid at source x", [f]), ("g(y): price at target y", [g])])
        fig.xaxis.axis_label = "x (sources) and y (targets) on [0, 1]"
        self.figure = fig

    def update(self, x: np.ndarray, f: np.ndarray, g: np.ndarray, stale: bool) -> None:
        for r in self.figure.renderers:
            if hasattr(r, "glyph"):
                r.glyph.line_alpha = 0.3 if stale else 1.0
        self.source.data = {
            "x": x.astype(np.float32),
            "f": f.astype(np.float32),
            "g": g.astype(np.float32),
        }


class SlackFigure:
    """The slack C(x, y) - f(x) - g(y) as a heat map, the plan's support marked on it."""

    def __init__(self, n: int, frame: int) -> None:
        self.image_source = ColumnDataSource(
            {"image": [np.zeros((n, n), np.uint8)]}, name="du_slack"
        )
        self.support_source = ColumnDataSource(
            {"x": np.zeros(0, np.float32), "y": np.zeros(0, np.float32)}, name="du_support"
        )
        fig = heatmap.unit_square_figure(
            frame,
            "du_slack_fig",
            title="Slack c − f − g (pink: π > 0)",
            x_axis_label="target y",
            y_axis_label="source x",
        )
        self.image = heatmap.code_image(fig, self.image_source, Viridis256)
        heatmap.support_marks(fig, self.support_source)
        bar = heatmap.colour_bar(Viridis256, "slack / largest slack")
        fig.add_layout(bar, "below")
        self.figure = fig

    def update(self, s: np.ndarray, plan: np.ndarray, x: np.ndarray, stale: bool) -> None:
        self.image.glyph.global_alpha = 0.25 if stale else 1.0
        self.image_source.data = {"image": [slack_codes(s)]}
        self.support_source.data = heatmap.support_data(plan, x)


def f_axis(fig: figure, optimal: ColumnDataSource) -> None:
    """Dress the sketch's bar figure: its axis reads f (not the bar height), a zero line, and
    the optimal f* as a reference curve over the bars."""
    fig.yaxis.formatter = CustomJSTickFormatter(code=f"return (tick - {F_OFFSET}).toFixed(2);")
    fig.yaxis.ticker = FixedTicker(ticks=[0.0, 0.25, 0.5, 0.75, 1.0])
    fig.add_layout(
        Span(location=F_OFFSET, dimension="width", line_color=REFERENCE_COLOR, line_width=1)
    )
    fig.line("x", "h", source=optimal, line_color=REFERENCE_COLOR, line_width=2, line_dash="dotted")


class TransformFigure:
    """The sketch's c-transform f^c and soft c-transform f^{c,ε}, the exact g as reference."""

    def __init__(self, width: int, height: int) -> None:
        self.source = ColumnDataSource(
            {k: np.zeros(0, np.float32) for k in ("y", "fc", "soft", "g")}, name="du_transform"
        )
        fig = _figure(width, height, TRANSFORM_RANGE, "Its c-transforms, over y", "du_tr_fig")
        fig.add_layout(
            Span(location=0, dimension="width", line_color=REFERENCE_COLOR, line_alpha=0.5)
        )
        ref = fig.line(
            "y", "g", source=self.source, line_color=REFERENCE_COLOR, line_width=2,
            line_dash="dotted",
        )  # fmt: skip
        soft = fig.line("y", "soft", source=self.source, line_color=SOFT_COLOR, line_width=2.5)
        hard = fig.line(
            "y", "fc", source=self.source, line_color=theme.TARGET_COLOR, line_width=2.5,
            line_dash="dashed",
        )  # fmt: skip
        _legend(
            fig,
            [("f^c (hard)", [hard]), ("f^c,ε (soft)", [soft]), ("g of the exact LP", [ref])],
        )
        fig.xaxis.axis_label = "y (targets) on [0, 1]"
        self.figure = fig

    def update(self, y, fc, soft, g) -> None:
        self.source.data = {
            "y": y.astype(np.float32),
            "fc": fc.astype(np.float32),
            "soft": soft.astype(np.float32),
            "g": g.astype(np.float32),
        }
