"""Figures of the "Sliced Wasserstein" page: each a class that owns its sources and has an
``update``. The numbers come from :mod:`ot_engine.sliced` through the page.

Sources carry float32 (a few hundred values an update at most): a drag sync sends little.
"""

from __future__ import annotations

import math

import numpy as np
from bokeh.models import (
    ColumnDataSource,
    CustomJS,
    FixedTicker,
    Legend,
    PrintfTickFormatter,
    Range1d,
    Span,
)
from bokeh.plotting import figure

from pages import theme
from pages.components import js, legend
from pages.components.flow import Flow
from pages.components.points import DraggablePoints

#: The square the clouds live in (data units); lines through the clouds reach past it.
BOUNDS = ((-2.0, 2.0), (-2.0, 2.0))
HALF_LINE = 3.0
#: Range of the projected values: |<theta, x>| <= 2 sqrt 2 inside the square.
PROJ_RANGE = (-2.9, 2.9)
#: A tap picks the nearest direction line within this distance (data units).
TAP_TOLERANCE = 0.25
#: The source blue lightened for the dark page (3:1 or more against it).
DARK_BLUE = "#4DA3FF"
#: Longest run of directions on the convergence plot.
CURVE_PROJECTIONS = 1000


#: On a phone the clouds and the projections stack (each the full width).
NARROW_ROW_CSS = """
@media (max-width: 600px) {
  :host { flex-wrap: wrap; }
  :host > .bk-Figure { flex: 1 1 100% !important; width: 100% !important; }
}
"""


def _f32(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def _plain_log_axis(fig, ticks) -> None:
    """Round numbers on a log axis (not 10^0, 10^1)."""
    fig.xaxis.ticker = FixedTicker(ticks=ticks)
    fig.xaxis.formatter = PrintfTickFormatter(format="%d")


def _stepped_top(value: float) -> float:
    """``value`` rounded up to 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten: an
    axis end that stays put while the data move a little.

    >>> _stepped_top(0.93), _stepped_top(1.3), _stepped_top(0.0123)
    (1.0, 1.5, 0.0125)
    """
    mag = 10.0 ** math.floor(math.log10(value))
    for m in (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * mag >= value * (1 - 1e-12):
            return round(m * mag, 12)
    return 10 * mag


def _plot(**kw) -> figure:
    fig = figure(tools="", toolbar_location=None, **kw)
    theme.style_figure(fig)
    return fig


#: Browser half of "tap a line to pick its direction": the nearest drawn line to the tap
#: (distance from the point to the line through the centre), sent through the shared flow.
_PICK_JS = """
const lines = lines_source.data;
const n = lines.tx.length;
let best = -1, dist = Infinity;
for (let k = 0; k < n; k++) {
  const dx = cb_obj.x - lines.cx[k], dy = cb_obj.y - lines.cy[k];
  const d = Math.abs(dx * lines.ty[k] - dy * lines.tx[k]);
  if (d < dist) { dist = d; best = k; }
}
if (best >= 0 && dist <= tolerance) {
  const k = lines.k[best];
  flow_request(pick, answer, () => [k], () => { pick.data = {k: [k]}; });
}
"""


class CloudFigure:
    """The two draggable clouds, the directions as lines through them, the picked one bold."""

    def __init__(self, xy, groups, on_change, n_per_cloud: int, pick_flow: Flow, pick) -> None:
        self.points = DraggablePoints(
            xy,
            groups,
            bounds=BOUNDS,
            on_change=on_change,
            max_points=2 * n_per_cloud,
            min_points=2 * n_per_cloud,
            group_names=("source μ", "target ν"),
            label="Two point clouds: source μ (blue circles) and target ν (orange squares)",
            name="sliced_clouds",
            size=11,
            step=0.05,
            height=400,
            width=400,
            sizing_mode="scale_width",
            match_aspect=True,
            x_axis_label="x₁",
            y_axis_label="x₂",
        )
        fig = self.points.figure
        #: One row per drawn direction: centre, unit vector, end points, its index.
        self.lines = ColumnDataSource(
            {k: [] for k in ("x0", "y0", "x1", "y1", "cx", "cy", "tx", "ty", "k")},
            name="sliced_lines",
        )
        self.picked = ColumnDataSource({"x0": [], "y0": [], "x1": [], "y1": []})
        self.feet = ColumnDataSource({"x": [], "y": [], "group": []})
        seg = fig.segment(
            "x0", "y0", "x1", "y1", source=self.lines, color=theme.MUTED_COLOR, line_width=1
        )
        seg.level = "underlay"
        self._seg = seg
        pick_line = fig.segment(
            "x0", "y0", "x1", "y1", source=self.picked, color=theme.PLAN_COLOR, line_width=3
        )
        pick_line.level = "underlay"
        # The feet of the perpendiculars: where each point lands on the picked line.
        fig.scatter(
            "x",
            "y",
            source=self.feet,
            size=5,
            color=theme.PLAN_COLOR,
            marker="x",
            line_width=1.5,
        )
        fig.js_on_event(
            "tap",
            CustomJS(
                args=dict(
                    lines_source=self.lines,
                    pick=pick,
                    answer=pick_flow.answer_source,
                    tolerance=TAP_TOLERANCE,
                ),
                code=js.code(_PICK_JS, Flow.JS),
            ),
        )
        self.figure = fig

    def update(self, directions: np.ndarray, picked: int, xy: np.ndarray) -> None:
        """Draw ``directions`` (L, 2) through the clouds' centre, ``picked`` (0-based) bold."""
        c = xy.mean(axis=0) if len(xy) else np.zeros(2)
        t = np.asarray(directions, dtype=np.float64)
        L = len(t)
        # Many lines: fainter each, so a thousand still read as a fan, not a blot.
        self._seg.glyph.line_alpha = float(min(0.6, max(0.08, 3.0 / math.sqrt(max(L, 1)))))
        cx, cy = np.full(L, c[0]), np.full(L, c[1])
        self.lines.data = {
            "x0": _f32(cx - HALF_LINE * t[:, 0]),
            "y0": _f32(cy - HALF_LINE * t[:, 1]),
            "x1": _f32(cx + HALF_LINE * t[:, 0]),
            "y1": _f32(cy + HALF_LINE * t[:, 1]),
            "cx": _f32(cx),
            "cy": _f32(cy),
            "tx": _f32(t[:, 0]),
            "ty": _f32(t[:, 1]),
            "k": np.arange(L, dtype=np.int32),
        }
        u = t[picked]
        self.picked.data = {
            "x0": [c[0] - HALF_LINE * u[0]],
            "y0": [c[1] - HALF_LINE * u[1]],
            "x1": [c[0] + HALF_LINE * u[0]],
            "y1": [c[1] + HALF_LINE * u[1]],
        }
        s = (xy - c) @ u
        feet = c + s[:, None] * u[None, :]
        self.feet.data = {"x": _f32(feet[:, 0]), "y": _f32(feet[:, 1]), "group": [0] * len(s)}


class ProjectionFigure:
    """The two projected measures on parallel lines and their sorted matching."""

    def __init__(self) -> None:
        fig = _plot(
            height=230,
            sizing_mode="stretch_width",
            x_range=Range1d(*PROJ_RANGE),
            y_range=Range1d(-0.6, 1.6),
            x_axis_label="⟨θ, x⟩",
            title="Projections on the picked direction",
            name="sliced_projection",
        )
        fig.yaxis.ticker = [0, 1]
        fig.yaxis.major_label_overrides = {0: "ν", 1: "μ"}
        fig.ygrid.grid_line_alpha = 0.0
        self.match = ColumnDataSource({"x0": [], "x1": []})
        self.source = ColumnDataSource({"u": []})
        self.target = ColumnDataSource({"v": []})
        m = fig.segment("x0", 1, "x1", 0, source=self.match, color=theme.PLAN_COLOR, line_width=1.5)
        s = fig.scatter(
            "u", 1, source=self.source, size=9, color=theme.SOURCE_COLOR, line_color="white"
        )
        t = fig.scatter(
            "v",
            0,
            source=self.target,
            size=9,
            marker="square",
            color=theme.TARGET_COLOR,
            line_color="white",
        )
        # stand-ins: a legend naming these would rebuild its items at every drag answer
        s, t, m = (legend.stand_in(fig, r) for r in (s, t, m))
        fig.add_layout(
            Legend(
                items=[("μ", [s]), ("ν", [t]), ("sorted matching", [m])],
                orientation="horizontal",
                location="top_left",
                border_line_alpha=0,
                padding=0,
                margin=2,
                label_text_font_size="12px",
            ),
            "above",
        )
        self.figure = fig

    def update(self, u: np.ndarray, v: np.ndarray, title: str) -> None:
        """Projected source ``u`` and target ``v`` (equal sizes: k-th smallest to k-th).

        ``title`` changes only with the picked direction (not during a drag): a new title
        text re-lays out the whole figure column, and every plot in it repaints.
        """
        self.source.data = {"u": _f32(u)}
        self.target.data = {"v": _f32(v)}
        self.match.data = {"x0": _f32(np.sort(u)), "x1": _f32(np.sort(v))}
        if self.figure.title.text != title:
            self.figure.title.text = title


class ConvergenceFigure:
    """The SW estimate from the first k directions, k = 1..1000, its 95% band, exact W2 and
    the max-sliced value, with the chosen number of directions marked."""

    def __init__(self, dark: bool = False) -> None:
        fig = _plot(
            height=260,
            sizing_mode="stretch_width",
            x_axis_type="log",
            x_range=Range1d(1, CURVE_PROJECTIONS),
            y_range=Range1d(0, 1),
            x_axis_label="number of directions L",
            y_axis_label="distance",
            title="Sliced estimate as directions are added",
            name="sliced_convergence",
        )
        _plain_log_axis(fig, [1, 3, 10, 30, 100, 300, 1000])
        self.source = ColumnDataSource({"k": [], "sw": [], "lo": [], "hi": []})
        self.levels = ColumnDataSource({"k": [], "w2": [], "max": []})
        blue = DARK_BLUE if dark else theme.SOURCE_COLOR
        # Overlay level (repaints only the overlay canvas); the level is not clipped, so the
        # band is cut at the axis end on the server.
        over = {"level": "overlay", "source": self.source}
        band = fig.varea("k", "lo", "hi", fill_color=blue, fill_alpha=0.25, **over)
        sw = fig.line("k", "sw", color=blue, line_width=2, **over)
        over["source"] = self.levels
        w2 = fig.line("k", "w2", color="#E0E0E0" if dark else "#444444", line_width=2, **over)
        mx = fig.line(
            "k", "max", color=theme.TARGET_COLOR, line_width=2, line_dash="dashed", **over
        )
        self.marker = Span(
            location=1, dimension="height", line_color=theme.MUTED_COLOR, line_dash="dotted"
        )
        fig.add_layout(self.marker)
        # stand-ins: a legend naming these would rebuild its items at every answer
        sw, band, w2, mx = (legend.stand_in(fig, r) for r in (sw, band, w2, mx))
        fig.add_layout(
            Legend(
                items=[
                    ("SW₂", [sw]),
                    ("95% band", [band]),
                    ("W₂ (LP)", [w2]),
                    ("max-sliced", [mx]),
                ],
                orientation="horizontal",
                location="top_left",
                border_line_alpha=0,
                padding=0,
                margin=2,
                spacing=10,
                label_text_font_size="12px",
            ),
            "above",
        )
        self.figure = fig

    def update(self, running, band, w2: float, max_sliced: float, n_proj: int) -> None:
        # The band of the first few directions can be wide: the axis keeps the levels and the
        # estimate in view and the band is cut at its end. The end moves in steps, so most
        # answers leave the axis (and the plot's primary canvas) alone.
        top = max(w2, max_sliced, float(np.max(running)), 1e-3)
        end = _stepped_top(1.1 * top)
        k = np.arange(1, len(running) + 1)
        self.source.data = {
            "k": _f32(k),
            "sw": _f32(running),
            "lo": _f32(np.minimum(band[0], end)),
            "hi": _f32(np.minimum(band[1], end)),
        }
        self.levels.data = {"k": [1, CURVE_PROJECTIONS], "w2": [w2, w2], "max": [max_sliced] * 2}
        if self.figure.y_range.end != end:
            self.figure.y_range.update(start=0, end=end)
        self.marker.location = n_proj


class DimensionFigure:
    """SW₂/W₂ against the dimension: the Gaussians' 1/√d and sampled clouds."""

    def __init__(self, dark: bool = False) -> None:
        fig = _plot(
            height=240,
            sizing_mode="stretch_width",
            x_axis_type="log",
            x_range=Range1d(1.8, 110),
            y_range=Range1d(0, 1.05),
            x_axis_label="dimension d",
            y_axis_label="SW₂ / W₂",
            title="The gap grows with the dimension",
            name="sliced_dimension",
        )
        _plain_log_axis(fig, [2, 3, 5, 10, 20, 50, 100])
        d = np.unique(np.round(np.geomspace(2, 100, 60)))
        closed = fig.line(
            d,
            1 / np.sqrt(d),
            color="#E0E0E0" if dark else "#444444",
            line_width=2,
        )
        self.samples = ColumnDataSource({"d": [], "ratio": []})
        sampled = fig.scatter(
            "d",
            "ratio",
            source=self.samples,
            size=8,
            color=DARK_BLUE if dark else theme.SOURCE_COLOR,
        )
        self.current = ColumnDataSource({"d": [], "ratio": []})
        current = fig.scatter(
            "d",
            "ratio",
            source=self.current,
            size=14,
            marker="diamond",
            color=theme.TARGET_COLOR,
            line_color="white",
        )
        # stand-ins for the samples (new at a new seed) and the chosen d (at every d); the
        # 1/√d curve never changes
        sampled, current = legend.stand_in(fig, sampled), legend.stand_in(fig, current)
        fig.add_layout(
            Legend(
                items=[
                    ("1/√d", [closed]),
                    ("samples", [sampled]),
                    ("chosen d", [current]),
                ],
                orientation="horizontal",
                location="top_left",
                border_line_alpha=0,
                padding=0,
                margin=2,
                spacing=10,
                label_text_font_size="12px",
            ),
            "above",
        )
        self.figure = fig

    def set_samples(self, dims, ratios) -> None:
        self.samples.data = {"d": list(dims), "ratio": list(ratios)}

    def update(self, d: int, ratio: float) -> None:
        self.current.data = {"d": [d], "ratio": [ratio]}
