"""Drawing for /benamou_brenier: the flowing density, its velocity, space-time, two Gaussians.

The server sends what the engine computed once per state: the level pieces of the 1-D
displacement (:class:`ot_engine.dynamic.DensityFlow1D`), the space-time grid of ``rho``
(an image) and the Gaussians' ``m0, m1, S0, A``. The time slider and the play button move
``t`` in the browser alone (``assets/js/benamou_brenier.js``): a frame is a few lines of
arithmetic on data the browser holds, so playing costs no round trip. :func:`frame_columns`
and :func:`gaussian_columns` are the same arithmetic in Python: they fill the sources before
the first paint, and the tests hold the browser's drawing to them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from bokeh.models import (
    Button,
    ColumnDataSource,
    CustomJSTickFormatter,
    LinearColorMapper,
    Range1d,
    Slider,
)
from bokeh.palettes import Greys256
from bokeh.plotting import figure

from ot_engine.dynamic import DensityFlow1D, GaussianFlow
from pages import theme
from pages.components import js
from pages.components.flow import Flow

#: Lagrangian paths drawn on the space-time figure (levels s = (k + 1/2) / PATHS).
PATHS = 24
#: Velocity arrows of the Gaussian figure: an ARROWS x ARROWS grid of the view.
ARROWS = 11
#: Points per ellipse outline.
ELLIPSE_POINTS = 64
#: Arrow length = velocity * ARROW_SCALE (in plot units: where the mass is a quarter later).
ARROW_SCALE = 0.25
VELOCITY_PALETTE = "RdBu11"
#: Space-time density: white where there is no mass, dark where it is dense.
DENSITY_PALETTE = Greys256[::-1]


@dataclass(frozen=True)
class Sizes:
    width: int
    bar_height: int
    frame_height: int
    velocity_height: int
    spacetime_height: int
    gauss_side: int
    readouts: int


FULL = Sizes(340, 110, 200, 140, 240, 340, 340)
COMPACT = Sizes(300, 70, 140, 100, 190, 320, 300)


# --- the frames, as the browser computes them -------------------------------------------------


def pieces_columns(d: DensityFlow1D) -> dict[str, list[float]]:
    """What the browser holds of a 1-D flow: the level pieces and both quantiles' ends."""
    return {
        "s_lo": d.s_lo.tolist(),
        "s_hi": d.s_hi.tolist(),
        "src_lo": d.src_lo.tolist(),
        "src_hi": d.src_hi.tolist(),
        "tgt_lo": d.tgt_lo.tolist(),
        "tgt_hi": d.tgt_hi.tolist(),
    }


def frame_columns(pieces: dict, t: float) -> dict[str, list[float]]:
    """``rho_t`` as quads (left, right, rho) coloured by the mean velocity ``v``, and
    ``v_t`` as segments (x0, v0) to (x1, v1): benamou_brenier.js's ``frame``."""
    s_lo, s_hi = np.asarray(pieces["s_lo"]), np.asarray(pieces["s_hi"])
    f_lo, f_hi = np.asarray(pieces["src_lo"]), np.asarray(pieces["src_hi"])
    g_lo, g_hi = np.asarray(pieces["tgt_lo"]), np.asarray(pieces["tgt_hi"])
    left = (1 - t) * f_lo + t * g_lo
    right = (1 - t) * f_hi + t * g_hi
    v0, v1 = g_lo - f_lo, g_hi - f_hi
    return {
        "left": left.tolist(),
        "right": right.tolist(),
        "rho": ((s_hi - s_lo) / (right - left)).tolist(),
        "v0": v0.tolist(),
        "v1": v1.tolist(),
        "v": (0.5 * (v0 + v1)).tolist(),
    }


def path_columns(d: DensityFlow1D) -> dict[str, list[float]]:
    """Lagrangian paths: the particle at level ``s`` goes from ``F^-1(s)`` to ``G^-1(s)``."""
    s = (np.arange(PATHS) + 0.5) / PATHS
    k = np.clip(np.searchsorted(d.s_hi, s), 0, d.s_lo.size - 1)
    u = (s - d.s_lo[k]) / (d.s_hi[k] - d.s_lo[k])
    x0 = (1 - u) * d.src_lo[k] + u * d.src_hi[k]
    x1 = (1 - u) * d.tgt_lo[k] + u * d.tgt_hi[k]
    return {"x0": x0.tolist(), "x1": x1.tolist(), "t0": [0.0] * PATHS, "t1": [1.0] * PATHS}


def gaussian_params(g: GaussianFlow) -> dict[str, list[float]]:
    """What the browser holds of the Gaussian flow: m0, m1 (2 each), S0, A (4 each,
    row-major), in one column ``p`` (12 values)."""
    return {"p": [*g.m0, *g.m1, *g.S0.ravel(), *g.A.ravel()]}


def _ellipse(m, S, r):
    w, V = np.linalg.eigh(np.asarray(S).reshape(2, 2))
    a = np.linspace(0, 2 * math.pi, ELLIPSE_POINTS + 1)
    circle = np.stack([np.cos(a), np.sin(a)], axis=-1)
    pts = m + r * (circle * np.sqrt(np.clip(w, 0, None))) @ V.T
    return pts[:, 0].tolist(), pts[:, 1].tolist()


def gaussian_columns(params: dict, t: float, box) -> dict[str, dict]:
    """Ellipses (1 and 2 standard deviations) of ``rho_t`` and arrows of ``v_t`` at time ``t``
    (benamou_brenier.js's ``gauss``): arrows on a grid of the box where ``rho_t`` is above
    ``exp(-4.5)`` of its peak (inside 3 deviations)."""
    v = np.asarray(params["p"], dtype=np.float64)
    m0, m1, S0, A = v[0:2], v[2:4], v[4:8].reshape(2, 2), v[8:12].reshape(2, 2)
    At = (1 - t) * np.eye(2) + t * A
    St = At @ S0 @ At
    mt = (1 - t) * m0 + t * m1
    B = (A - np.eye(2)) @ np.linalg.inv(At)
    xs = np.linspace(box[0], box[1], ARROWS + 2)[1:-1]
    ys = np.linspace(box[2], box[3], ARROWS + 2)[1:-1]
    P = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    diff = P - mt
    quad = np.sum(diff * np.linalg.solve(St, diff.T).T, axis=1)
    P, diff = P[quad <= 9.0], diff[quad <= 9.0]
    V = (m1 - m0) + diff @ B.T
    x1, y1 = _ellipse(mt, St, 1.0)
    x2, y2 = _ellipse(mt, St, 2.0)
    return {
        "ellipses": {"x": [x1, x2], "y": [y1, y2]},
        "arrows": {
            "x0": P[:, 0].tolist(),
            "y0": P[:, 1].tolist(),
            "x1": (P[:, 0] + ARROW_SCALE * V[:, 0]).tolist(),
            "y1": (P[:, 1] + ARROW_SCALE * V[:, 1]).tolist(),
        },
        "mean": {"x": [float(mt[0])], "y": [float(mt[1])]},
    }


# --- the figures ------------------------------------------------------------------------------


def _fig(width, height, *, x_range, y_range, x_label, y_label, name, title):
    fig = figure(
        width=width,
        height=height,
        x_range=x_range,
        y_range=y_range,
        tools="",
        toolbar_location=None,
        x_axis_label=x_label,
        y_axis_label=y_label,
        name=name,
        title=title,
    )
    theme.style_figure(fig)
    return fig


class FlowFigures:
    """The 1-D frame, velocity and space-time figures, the Gaussian figure, time and play."""

    def __init__(self, sizes: Sizes, flow: Flow, t: float) -> None:
        self.sizes = sizes
        # Held by the browser, written by the server once per state.
        self.pieces = ColumnDataSource(
            {k: [] for k in ("s_lo", "s_hi", "src_lo", "src_hi", "tgt_lo", "tgt_hi")},
            name="bb_pieces",
        )
        self.paths = ColumnDataSource({"x0": [], "x1": [], "t0": [], "t1": []}, name="bb_paths")
        self.image = ColumnDataSource({"image": [], "dw": [], "dh": []}, name="bb_image")
        self.gauss = ColumnDataSource({"p": []}, name="bb_gauss")
        self.box = ColumnDataSource({"b": [-4.0, 4.0, -4.0, 4.0]}, name="bb_box")
        self.vmax = ColumnDataSource({"v": [1.0]}, name="bb_vmax")
        # Drawn by the browser alone (not synced: a frame sends the server nothing).
        self.frame = ColumnDataSource(
            {k: [] for k in ("left", "right", "rho", "v0", "v1", "v")},
            name="bb_frame",
            syncable=False,
        )
        self.now = ColumnDataSource({"t": [t]}, name="bb_now", syncable=False)
        self.ellipses = ColumnDataSource({"x": [], "y": []}, name="bb_ellipses", syncable=False)
        self.arrows = ColumnDataSource(
            {"x0": [], "y0": [], "x1": [], "y1": []}, name="bb_arrows", syncable=False
        )
        self.mean = ColumnDataSource({"x": [], "y": []}, name="bb_mean", syncable=False)
        self.ends = ColumnDataSource({"x": [], "y": [], "c": []}, name="bb_ends")
        # The browser's time, to the server (the link and the code box), through the flow.
        self.time_request = ColumnDataSource({"t": [float(t)]}, name="bb_time")
        self.mapper = LinearColorMapper(palette=VELOCITY_PALETTE, low=-1.0, high=1.0)

        self.frame_fig = self._frame_figure()
        self.velocity_fig = self._velocity_figure()
        self.spacetime_fig = self._spacetime_figure()
        self.gauss_fig = self._gauss_figure()
        self.slider = Slider(
            title="time t (play: 0 → 1 in 4 s)",
            start=0.0,
            end=1.0,
            step=0.01,
            value=float(t),
            format=CustomJSTickFormatter(code="return tick.toFixed(2);"),
            syncable=False,
            width=sizes.width - 110,
            margin=(5, 10, 5, 10),
            name="bb_time_slider",
            stylesheets=[theme.FOCUS_CSS],
        )
        self.play = Button(
            label="▶ Play",
            width=80,
            name="bb_play",
            syncable=False,
            margin=(5, 10, 5, 10),
            stylesheets=[theme.FOCUS_CSS],
        )
        args = {
            "pieces": self.pieces,
            "gauss": self.gauss,
            "box": self.box,
            "frame": self.frame,
            "now": self.now,
            "ellipses": self.ellipses,
            "arrows": self.arrows,
            "mean": self.mean,
            "slider": self.slider,
            "play": self.play,
            "request": self.time_request,
            "answer": flow.answer_source,
            "arrow_scale": ARROW_SCALE,
            "arrows_n": ARROWS,
            "ellipse_points": ELLIPSE_POINTS,
        }

        def code(mode):
            return js.custom_js("benamou_brenier.js", Flow.JS, **args, mode=mode)

        self.slider.js_on_change("value", code("slider"))
        self.play.js_on_event("button_click", code("play"))
        redraw = code("data")
        self.pieces.js_on_change("data", redraw)
        self.gauss.js_on_change("data", redraw)

    def _frame_figure(self) -> figure:
        s = self.sizes
        fig = _fig(s.width, s.frame_height, x_range=Range1d(0, 1, bounds=(0, 1)),
                   y_range=Range1d(0, 1), x_label="x", y_label="ρ_t(x)", name="bb_frame_fig",
                   title="Density ρ_t, coloured by velocity")  # fmt: skip
        fig.quad(left="left", right="right", bottom=0, top="rho", source=self.frame,
                 fill_color={"field": "v", "transform": self.mapper}, fill_alpha=0.85,
                 line_color=None)  # fmt: skip
        return fig

    def _velocity_figure(self) -> figure:
        s = self.sizes
        fig = _fig(s.width, s.velocity_height, x_range=self.frame_fig.x_range,
                   y_range=Range1d(-1, 1), x_label="x", y_label="v_t(x)", name="bb_velocity_fig",
                   title="Velocity v_t (where ρ_t > 0)")  # fmt: skip
        fig.line([0, 1], [0, 0], color=theme.MUTED_COLOR, line_dash="dotted")
        fig.segment(x0="left", y0="v0", x1="right", y1="v1", source=self.frame,
                    color=theme.PLAN_COLOR, line_width=2.5)  # fmt: skip
        return fig

    def _spacetime_figure(self) -> figure:
        s = self.sizes
        fig = _fig(s.width, s.spacetime_height, x_range=self.frame_fig.x_range,
                   y_range=Range1d(0, 1), x_label="x", y_label="t", name="bb_spacetime_fig",
                   title="Eulerian ρ(t, x) and Lagrangian paths")  # fmt: skip
        fig.image(image="image", x=0, y=0, dw="dw", dh="dh", source=self.image,
                  palette=DENSITY_PALETTE)  # fmt: skip
        fig.segment(x0="x0", y0="t0", x1="x1", y1="t1", source=self.paths,
                    color=theme.PLAN_COLOR, line_width=1.2, alpha=0.8)  # fmt: skip
        fig.hspan(y="t", source=self.now, line_color=theme.TARGET_COLOR, line_width=2)
        return fig

    def _gauss_figure(self) -> figure:
        s = self.sizes
        fig = _fig(s.gauss_side, s.gauss_side, x_range=Range1d(-4, 4), y_range=Range1d(-4, 4),
                   x_label="x₁", y_label="x₂", name="bb_gauss_fig",
                   title="Two Gaussians: ρ_t (1σ, 2σ) and v_t")  # fmt: skip
        fig.multi_line(xs="x", ys="y", source=self.ends, color="c", line_dash="dashed",
                       line_width=1.5, alpha=0.8)  # fmt: skip
        fig.multi_line(xs="x", ys="y", source=self.ellipses, color=theme.PLAN_COLOR,
                       line_width=2.5)  # fmt: skip
        fig.segment(x0="x0", y0="y0", x1="x1", y1="y1", source=self.arrows,
                    color=theme.MUTED_COLOR, line_width=1.5)  # fmt: skip
        fig.scatter(x="x1", y="y1", source=self.arrows, size=3, color=theme.MUTED_COLOR)
        fig.scatter(x="x", y="y", source=self.mean, size=8, color=theme.PLAN_COLOR)
        return fig

    # --- server updates (once per state) ------------------------------------------------------

    def show_1d(self, d: DensityFlow1D, rho: np.ndarray, t: float) -> None:
        """New 1-D flow: pieces, paths, the space-time image and the scales."""
        cols = pieces_columns(d)
        vmax = float(max(np.abs(d.tgt_lo - d.src_lo).max(), np.abs(d.tgt_hi - d.src_hi).max()))
        vmax = max(vmax, 1e-3)
        self.mapper.update(low=-vmax, high=vmax)
        self.velocity_fig.y_range.update(start=-1.1 * vmax, end=1.1 * vmax)
        # rho_t at a matched pair is the harmonic mean of the two end densities, never above
        # the larger: the ends' peak bounds every frame, so the axis need not move during play
        peak = max(float(np.max(d.frame(0.0)["rho"])), float(np.max(d.frame(1.0)["rho"])))
        self.frame_fig.y_range.end = 1.1 * peak
        frame = frame_columns(cols, t)
        # float32 halves the message; the image is a picture, no number is read from it
        self.image.data = {"image": [np.asarray(rho, dtype=np.float32)], "dw": [1.0], "dh": [1.0]}
        self.paths.data = path_columns(d)
        self.frame.data = frame
        self.pieces.data = cols  # last: the browser redraws at its own t

    def show_gauss(self, g: GaussianFlow, box, t: float) -> None:
        params = gaussian_params(g)
        cx, cy = 0.5 * (box[0] + box[1]), 0.5 * (box[2] + box[3])
        half = 0.5 * max(box[1] - box[0], box[3] - box[2]) * 0.6  # the box is 6 sigma wide
        self.gauss_fig.x_range.update(start=cx - half, end=cx + half)
        self.gauss_fig.y_range.update(start=cy - half, end=cy + half)
        view = (cx - half, cx + half, cy - half, cy + half)
        cols = gaussian_columns(params, t, view)
        x0, y0 = _ellipse(g.m0, g.S0, 2.0)
        x1, y1 = _ellipse(g.m1, g.S1, 2.0)
        self.ends.data = {
            "x": [x0, x1],
            "y": [y0, y1],
            "c": [theme.SOURCE_COLOR, theme.TARGET_COLOR],
        }
        self.ellipses.data = cols["ellipses"]
        self.arrows.data = cols["arrows"]
        self.mean.data = cols["mean"]
        self.box.data = {"b": list(view)}
        self.gauss.data = params  # last: the browser redraws at its own t
