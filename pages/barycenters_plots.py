"""Figures of /barycenters: the weight triangle, the barycenter on the line, the grid mosaic
(one image glyph), and the Gaussians' ellipses. Each class owns its sources and has ``update``."""

from __future__ import annotations

import math

import numpy as np
from bokeh.models import ColumnDataSource, LinearColorMapper, Range1d
from bokeh.plotting import figure

from pages import theme
from pages.components.points import DraggablePoints

#: One colour per input measure (Okabe-Ito), the barycenter in the plan colour.
MEASURE_COLORS = (theme.SOURCE_COLOR, theme.TARGET_COLOR, "#CC79A7")
BARY_COLOR = theme.PLAN_COLOR
#: Corners of the weight triangle: measure k sits at corner k.
SQRT3_2 = math.sqrt(3.0) / 2.0
CORNERS = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, SQRT3_2]])
#: Weights are kept to this many decimals (the link writes them so).
WEIGHT_DIGITS = 3


def weights_from_point(xy) -> np.ndarray:
    """Barycentric coordinates of the point in the triangle :data:`CORNERS` (a point outside
    is moved to the nearest point inside), rounded to :data:`WEIGHT_DIGITS` decimals, summing
    to one.

    >>> weights_from_point([0.5, SQRT3_2 / 3]).tolist()
    [0.333, 0.333, 0.334]
    >>> weights_from_point([-1.0, -1.0]).tolist()
    [1.0, 0.0, 0.0]
    """
    x, y = (float(v) for v in np.asarray(xy, dtype=np.float64).ravel()[:2])
    w2 = y / SQRT3_2
    w1 = x - 0.5 * w2
    w = _simplex_projection(np.array([1.0 - w1 - w2, w1, w2]))
    return round_weights(w)


def round_weights(w) -> np.ndarray:
    """Weights to :data:`WEIGHT_DIGITS` decimals, the last one taking the rounding so that
    they sum to one.

    >>> round_weights([0.1234, 0.5, 0.3766]).tolist()
    [0.123, 0.5, 0.377]
    """
    w = np.asarray(w, dtype=np.float64)
    head = np.round(w[:-1], WEIGHT_DIGITS)
    last = round(1.0 - float(head.sum()), WEIGHT_DIGITS)
    if last < 0:  # rounding up pushed the head past one: take it from the largest
        head[int(np.argmax(head))] += last
        last = 0.0
    return np.append(head, last) + 0.0


def _simplex_projection(v: np.ndarray) -> np.ndarray:
    """Euclidean projection onto the probability simplex (sort-based)."""
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    k = np.nonzero(u - css / np.arange(1, v.size + 1) > 0)[0][-1]
    return np.maximum(v - css[k] / (k + 1), 0.0)


def point_from_weights(w) -> np.ndarray:
    """The point of the triangle with barycentric coordinates ``w``.

    >>> point_from_weights([0.0, 1.0, 0.0]).tolist()
    [1.0, 0.0]
    """
    return np.asarray(w, dtype=np.float64) @ CORNERS


def weights_text(w, names=("μ₁", "μ₂", "μ₃")) -> str:
    """The weights in words (the triangle's text readout).

    >>> weights_text([0.2, 0.3, 0.5])
    'weights: μ₁ 0.200, μ₂ 0.300, μ₃ 0.500'
    """
    return "weights: " + ", ".join(f"{n} {v:.3f}" for n, v in zip(names, w, strict=True))


class WeightTriangle:
    """The weights as a point dragged in a triangle (mouse, touch, keyboard)."""

    def __init__(self, w, on_weights, size: int = 260) -> None:
        self.on_weights = on_weights
        self.points = DraggablePoints(
            [point_from_weights(w)],
            [0],
            bounds=((0.0, 1.0), (0.0, SQRT3_2)),
            on_change=self._moved,
            max_points=1,
            min_points=1,
            group_names=("weights",),
            palette=(BARY_COLOR,),
            markers=("circle",),
            label="Weights of the three measures: a point in the triangle (corner k: all "
            "weight on measure k); arrow keys move it",
            name="bary_weights",
            size=16,
            step=0.02,
            digits=2,
            axes=False,
            width=size,
            height=int(size * 0.92),
            sizing_mode="fixed",
            match_aspect=True,
        )
        fig = self.points.figure
        fig.grid.visible = False
        fig.patch(
            CORNERS[:, 0].tolist(),
            CORNERS[:, 1].tolist(),
            fill_color=BARY_COLOR,
            fill_alpha=0.08,
            line_color=theme.MUTED_COLOR,
            level="underlay",
        )
        fig.scatter(
            CORNERS[:, 0].tolist(), CORNERS[:, 1].tolist(), size=12, color=list(MEASURE_COLORS)
        )
        fig.text(
            [0.0, 1.0, 0.5],
            [-0.045, -0.045, SQRT3_2 + 0.13],
            text=["μ₁", "μ₂", "μ₃"],
            text_align="center",
            text_baseline="top",
            text_font_size="14px",
            text_color=list(MEASURE_COLORS),
        )
        fig.y_range = Range1d(-0.12, SQRT3_2 + 0.16)
        fig.x_range = Range1d(-0.08, 1.08)
        self.figure = fig

    def _moved(self, xy: np.ndarray, _groups, settled: bool) -> None:
        if xy.shape[0] != 1:
            return
        w = weights_from_point(xy[0])
        self.on_weights(w, settled)
        # A point let go outside the triangle goes to its nearest point inside. Nothing else
        # is written back: a write racing the next arrow key would undo that key.
        if settled and np.abs(point_from_weights(w) - xy[0]).max() > 0.01:
            self.update(w)

    def update(self, w) -> None:
        self.points.update([point_from_weights(w)], [0])


class LineFigure:
    """The barycenter on the line (bars on the grid) and the Euclidean average (a step line)."""

    def __init__(self, x: np.ndarray, width: int, height: int) -> None:
        self.x = x
        fig = figure(
            width=width,
            height=height,
            x_range=Range1d(0, 1),
            tools="",
            toolbar_location=None,
            title="Barycenter ν* (bars), mixture (dashed)",
            name="bary_line",
        )
        theme.style_figure(fig)
        fig.yaxis.ticker.desired_num_ticks = 3
        self.bars = ColumnDataSource({"x": x, "top": np.zeros_like(x)})
        self.mix = ColumnDataSource({"x": x, "y": np.zeros_like(x)})
        step = float(x[1] - x[0])
        fig.vbar("x", top="top", width=step, source=self.bars, color=BARY_COLOR, alpha=0.8)
        fig.step(
            "x",
            "y",
            source=self.mix,
            mode="center",
            line_color=theme.MUTED_COLOR,
            line_width=2,
            line_dash="dashed",
        )
        fig.y_range = Range1d(0, 1)
        self.figure = fig

    def update(self, bary_mass: np.ndarray, mixture: np.ndarray) -> None:
        """Masses per bin (each summing to one), scaled together so the taller fills the plot."""
        top = max(float(bary_mass.max()), float(mixture.max()), 1e-12)
        self.figure.y_range.end = 1.08 * top
        self.bars.data = {"x": self.x, "top": bary_mass}
        self.mix.data = {"x": self.x, "y": mixture}


#: The mosaic: 2 x 2 tiles of n x n pixels with a gap (inputs, then the barycenter).
TILE_GAP = 4


def mosaic(images: list[np.ndarray]) -> np.ndarray:
    """Four n x n images in a 2 x 2 mosaic (row 0 at the bottom, as Bokeh draws), each scaled
    to its own maximum (so a spread-out barycenter is as visible as a sharp input); gaps NaN.

    >>> mosaic([np.ones((2, 2))] * 4).shape
    (8, 8)
    """
    n = images[0].shape[0]
    side = 2 * n + TILE_GAP
    out = np.full((side, side), np.nan, dtype=np.float32)
    # bottom left, bottom right, top left (inputs 1-3), top right (the barycenter)
    places = ((n + TILE_GAP, 0), (n + TILE_GAP, n + TILE_GAP), (0, 0), (0, n + TILE_GAP))
    for img, (row, col) in zip(images, places, strict=True):
        top = float(img.max())
        tile = img / top if top > 0 else img
        # images are indexed [y, x] from the top: flip so row 0 is drawn at the bottom
        out[side - row - n : side - row, col : col + n] = tile[::-1]
    return out


class GridFigure:
    """The three shapes and their barycenter as ONE image glyph (a 2 x 2 mosaic)."""

    def __init__(self, n: int, dark: bool, size: int) -> None:
        side = 2 * n + TILE_GAP
        self.n = n
        fig = figure(
            width=size,
            height=size,
            x_range=Range1d(0, side),
            y_range=Range1d(0, side),
            tools="",
            toolbar_location=None,
            name="bary_grid",
            title=None,
        )
        theme.style_figure(fig)
        fig.axis.visible = False
        fig.grid.visible = False
        mapper = LinearColorMapper(
            palette="Viridis256", low=0.0, high=1.0, nan_color="#212529" if dark else "#ffffff"
        )
        self.source = ColumnDataSource({"image": [np.zeros((side, side), np.float32)]})
        fig.image("image", x=0, y=0, dw=side, dh=side, source=self.source, color_mapper=mapper)
        half = n + TILE_GAP / 2
        labels = ["μ₃", "barycenter", "μ₁", "μ₂"]
        fig.text(
            [2, half + 2, 2, half + 2],
            [side - 2, side - 2, half - 2 - TILE_GAP / 2, half - 2 - TILE_GAP / 2],
            text=labels,
            text_baseline="top",
            text_font_size="13px",
            text_color="white",
        )
        self.figure = fig

    def update(self, shapes: np.ndarray, bary: np.ndarray | None) -> None:
        tiles = [*shapes, bary if bary is not None else np.zeros_like(shapes[0])]
        self.source.data = {"image": [mosaic(tiles)]}


def ellipse_points(mean, cov, scale: float = 2.0, k: int = 48) -> tuple[list, list]:
    """The ellipse {m + scale * S^{1/2} u : |u| = 1} as k + 1 points (closed).

    >>> xs, ys = ellipse_points([0, 0], np.eye(2), 1.0, 4)
    >>> [round(v, 6) for v in xs]
    [1.0, 0.0, -1.0, -0.0, 1.0]
    """
    vals, vecs = np.linalg.eigh(np.asarray(cov, dtype=np.float64))
    root = (vecs * np.sqrt(np.clip(vals, 0.0, None))) @ vecs.T
    t = np.linspace(0.0, 2 * np.pi, k + 1)
    pts = np.asarray(mean, dtype=np.float64)[:, None] + scale * root @ np.vstack(
        [np.cos(t), np.sin(t)]
    )
    return pts[0].round(12).tolist(), pts[1].round(12).tolist()


class GaussFigure:
    """Ellipses (two standard deviations) of the Gaussians, their Bures barycenter (thick) and
    the Gaussian with the averaged covariance (dashed)."""

    def __init__(self, size: int) -> None:
        fig = figure(
            width=size,
            height=size,
            x_range=Range1d(-3.2, 3.2),
            y_range=Range1d(-3.2, 3.2),
            tools="",
            toolbar_location=None,
            match_aspect=True,
            name="bary_gauss",
            title="Ellipses at 2 standard deviations",
        )
        theme.style_figure(fig)
        self.inputs = ColumnDataSource({"xs": [], "ys": [], "color": []})
        self.bary = ColumnDataSource({"xs": [], "ys": []})
        self.euclid = ColumnDataSource({"xs": [], "ys": []})
        self.means = ColumnDataSource({"x": [], "y": [], "color": []})
        fig.multi_line("xs", "ys", source=self.inputs, line_color="color", line_width=2)
        fig.multi_line(
            "xs",
            "ys",
            source=self.euclid,
            line_color=theme.MUTED_COLOR,
            line_width=2,
            line_dash="dashed",
        )
        fig.multi_line("xs", "ys", source=self.bary, line_color=BARY_COLOR, line_width=4)
        fig.scatter("x", "y", source=self.means, color="color", size=8)
        self.figure = fig

    def update(self, means, covs, bary_mean, bary_cov, euclid_cov) -> None:
        shapes = [ellipse_points(m, S) for m, S in zip(means, covs, strict=True)]
        self.inputs.data = {
            "xs": [s[0] for s in shapes],
            "ys": [s[1] for s in shapes],
            "color": list(MEASURE_COLORS[: len(shapes)]),
        }
        bx, by = ellipse_points(bary_mean, bary_cov)
        ex, ey = ellipse_points(bary_mean, euclid_cov)
        self.bary.data = {"xs": [bx], "ys": [by]}
        self.euclid.data = {"xs": [ex], "ys": [ey]}
        pts = np.vstack([np.asarray(means), np.asarray(bary_mean)[None]])
        self.means.data = {
            "x": pts[:, 0].tolist(),
            "y": pts[:, 1].tolist(),
            "color": [*MEASURE_COLORS[: len(means)], BARY_COLOR],
        }
