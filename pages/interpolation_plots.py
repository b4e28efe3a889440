"""Drawing for /interpolation: the two interpolants' bars, the time slider, the clouds in motion.

The bars of McCann's interpolant and of the mixture at time ``t`` come from the server
(:mod:`ot_engine.interpolation`). In the plane the matching comes from the server too, and the
browser moves every point along its segment as the slider runs (``assets/js/interpolation.js``):
a position on a known segment needs no round trip. The slider and the play button live in the
browser; the time reaches the server through the page's flow (latest wins), which answers with
the bars and the distances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from bokeh.models import Button, ColumnDataSource, CustomJSTickFormatter, Range1d, Slider
from bokeh.plotting import figure

from pages import theme
from pages.components import js
from pages.components.flow import Flow
from pages.components.points import DraggablePoints

#: Both clouds live in this square.
BOUNDS = ((-2.0, 2.0), (-2.0, 2.0))
#: Milliseconds between two play steps, and the step in t.
PLAY_MS, PLAY_STEP = 50, 0.01
MOVING_COLOR = theme.PLAN_COLOR


@dataclass(frozen=True)
class Sizes:
    width: int  # each column
    bar_height: int
    cloud_side: int


FULL = Sizes(330, 130, 330)
COMPACT = Sizes(290, 80, 215)


def _bars_figure(title: str, width: int, height: int, x_range, name: str) -> figure:
    fig = figure(
        height=height,
        width=width,
        x_range=x_range,
        y_range=Range1d(0, 0.1),
        tools="",
        toolbar_location=None,
        title=title,
        name=name,
    )
    theme.style_figure(fig)
    fig.xaxis.visible = False
    fig.yaxis.ticker.desired_num_ticks = 3
    return fig


class InterpolantFigures:
    """The displacement interpolant's bars and the mixture's, with the two ends as outlines."""

    def __init__(self, sizes: Sizes, x: np.ndarray, x_range) -> None:
        empty = {"x": x.copy(), "top": np.zeros(x.size)}
        self.displacement = ColumnDataSource(dict(empty), name="interp_displacement")
        self.mixture = ColumnDataSource(dict(empty), name="interp_mixture")
        self.ends = ColumnDataSource(
            {"x": x.copy(), "a": np.zeros(x.size), "b": np.zeros(x.size)}, name="interp_ends"
        )
        self.displacement_fig = _bars_figure(
            "McCann at t: the mass moves",
            sizes.width,
            sizes.bar_height + 20,
            x_range,
            "interp_displacement_fig",
        )
        self.mixture_fig = _bars_figure(
            "Mixture (1 − t) p + t q: it fades",
            sizes.width,
            sizes.bar_height + 20,
            x_range,
            "interp_mixture_fig",
        )
        self._glyphs = []
        for fig, source, color in (
            (self.displacement_fig, self.displacement, MOVING_COLOR),
            (self.mixture_fig, self.mixture, theme.MUTED_COLOR),
        ):
            bars = fig.vbar(
                x="x", top="top", width=_width(x), source=source, color=color, alpha=0.8
            )
            self._glyphs.append(bars.glyph)
            for column, end_color in (("a", theme.SOURCE_COLOR), ("b", theme.TARGET_COLOR)):
                fig.step(
                    "x",
                    column,
                    source=self.ends,
                    mode="center",
                    color=end_color,
                    line_width=1.5,
                    line_dash="dashed" if column == "b" else "solid",
                    alpha=0.8,
                )

    def update(self, x: np.ndarray, a, b, displacement, mixture) -> None:
        """Bars at unit mass; the y axis fits the tallest of the ends and of both bars. What did
        not change is not sent (a time event changes only the two interpolants' bars)."""
        a, b = np.asarray(a), np.asarray(b)
        ends = self.ends.data
        if len(ends["x"]) != x.size or not (
            np.array_equal(ends["a"], a) and np.array_equal(ends["b"], b)
        ):
            for glyph in self._glyphs:
                glyph.width = _width(x)
            self.ends.data = {"x": x, "a": a, "b": b}
        self.displacement.data = {"x": x, "top": np.asarray(displacement)}
        self.mixture.data = {"x": x, "top": np.asarray(mixture)}
        top = max(float(np.max(a)), float(np.max(b)), float(np.max(displacement)))
        end = 1.08 * top if top > 0 else 0.1
        for fig in (self.displacement_fig, self.mixture_fig):
            if fig.y_range.end != end:
                fig.y_range.end = end


def _width(x: np.ndarray) -> float:
    return float(x[1] - x[0]) if x.size > 1 else 1.0


class CloudFigures:
    """Two draggable clouds with their matching, the points in motion, and the fading mixture.

    ``paths`` (from the server) holds each matched pair's ends; the browser draws ``moving``
    (the points at time ``t``) and ``fade`` (the mixture's points, opacity ``1 - t`` and ``t``)
    from it, with no round trip.
    """

    def __init__(self, sizes: Sizes, xy, groups, on_change, n_per_cloud: int) -> None:
        side = sizes.cloud_side
        self.points = DraggablePoints(
            xy,
            groups,
            bounds=BOUNDS,
            on_change=on_change,
            max_points=2 * n_per_cloud,
            min_points=2 * n_per_cloud,
            group_names=("source μ₀", "target μ₁"),
            label="Two point clouds: source μ₀ (blue circles) and target μ₁ (orange squares); "
            "green diamonds are the points of McCann's interpolant at time t",
            name="interp_clouds",
            size=10,
            step=0.05,
            height=side,
            width=side,
            sizing_mode="fixed",
            match_aspect=True,
            x_axis_label="x₁",
            y_axis_label="x₂",
            title="McCann in the plane: drag a point",
        )
        empty = {k: [] for k in ("x0", "y0", "x1", "y1")}
        self.paths = ColumnDataSource(dict(empty), name="interp_paths")
        self.moving = ColumnDataSource({"x": [], "y": []}, name="interp_moving", syncable=False)
        self.fade = ColumnDataSource(
            {"x": [], "y": [], "alpha": [], "group": []}, name="interp_fade", syncable=False
        )
        fig = self.points.figure
        seg = fig.segment(
            "x0", "y0", "x1", "y1", source=self.paths, color=theme.MUTED_COLOR, line_width=1
        )
        seg.level = "underlay"
        fig.scatter(
            "x",
            "y",
            source=self.moving,
            size=11,
            marker="diamond",
            color=MOVING_COLOR,
            line_color="white",
        )
        (x0, x1), (y0, y1) = BOUNDS
        self.mixture_fig = figure(
            height=side,
            width=side,
            tools="",
            toolbar_location=None,
            x_range=Range1d(x0 - 0.16, x1 + 0.16),
            y_range=Range1d(y0 - 0.16, y1 + 0.16),
            match_aspect=True,
            title="Mixture in the plane: the clouds fade",
            name="interp_mixture_cloud_fig",
            x_axis_label="x₁",
            y_axis_label="x₂",
        )
        theme.style_figure(self.mixture_fig)
        self.mixture_fig.scatter(
            "x",
            "y",
            source=self.fade,
            size=10,
            marker="circle",
            color="group",
            fill_alpha="alpha",
            line_alpha="alpha",
        )

    def set_paths(self, X: np.ndarray, Y_matched: np.ndarray, t: float) -> None:
        """The matched segments; the points at ``t`` as the browser draws them (the browser
        redraws them itself from ``paths``, at its own slider's ``t``)."""
        self.paths.data = {
            "x0": X[:, 0].copy(),
            "y0": X[:, 1].copy(),
            "x1": Y_matched[:, 0].copy(),
            "y1": Y_matched[:, 1].copy(),
        }
        Z = (1.0 - t) * X + t * Y_matched
        self.moving.data = {"x": Z[:, 0].copy(), "y": Z[:, 1].copy()}
        both = np.vstack([X, Y_matched])
        n = X.shape[0]
        self.fade.data = {
            "x": both[:, 0].copy(),
            "y": both[:, 1].copy(),
            "alpha": np.r_[np.full(n, 1.0 - t), np.full(n, t)],
            "group": [theme.SOURCE_COLOR] * n + [theme.TARGET_COLOR] * n,
        }


class TimeControls:
    """The time slider and the play button (both in the browser), wired to the JS.

    The slider's changes reach the server as ``{"t": value}`` through ``request`` (the page's
    flow); the play button steps the slider in the browser.
    """

    def __init__(self, t: float, width: int, flow: Flow, clouds: CloudFigures) -> None:
        self.request = ColumnDataSource({"t": [float(t)]}, name="interp_t")
        self.slider = Slider(
            title="time t",
            start=0.0,
            end=1.0,
            step=0.01,
            value=float(t),
            format=CustomJSTickFormatter(code="return tick.toFixed(2);"),
            syncable=False,
            width=width,
            margin=(5, 10, 5, 10),
            name="interp_t_slider",
            stylesheets=[theme.FOCUS_CSS],
        )
        self.play = Button(
            label="▶ Play",
            width=110,
            syncable=False,
            name="interp_play",
            margin=(5, 10, 5, 10),
            stylesheets=[theme.FOCUS_CSS],
        )
        args = {
            "slider": self.slider,
            "play": self.play,
            "request": self.request,
            "answer": flow.answer_source,
            "paths": clouds.paths,
            "moving": clouds.moving,
            "fade": clouds.fade,
            "colors": [theme.SOURCE_COLOR, theme.TARGET_COLOR],
            "play_ms": PLAY_MS,
            "play_step": PLAY_STEP,
        }

        def code(mode: str):
            return js.custom_js("interpolation.js", Flow.JS, **args, mode=mode)

        self.slider.js_on_change("value", code("slider"))
        self.play.js_on_event("button_click", code("play"))
        clouds.paths.js_on_change("change", code("paths"))
        # a model must be referenced from the layout to be synced
        self.slider.tags = [self.request, flow.answer_source]
