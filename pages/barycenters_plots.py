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
MEASURE_COLORS = (theme.SOURCE_COLOR, theme.TARGET_COLOR, "#CC79A7", "#56B4E9")
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


#: Names of the measures (subscript digits), as the readouts write them.
MEASURE_NAMES = ("μ₁", "μ₂", "μ₃", "μ₄")


def weights_text(w) -> str:
    """The weights in words (the picker's text readout), one per measure.

    >>> weights_text([0.2, 0.3, 0.5])
    'weights: μ₁ 0.200, μ₂ 0.300, μ₃ 0.500'
    >>> weights_text([0.25, 0.75])
    'weights: μ₁ 0.250, μ₂ 0.750'
    """
    names = MEASURE_NAMES[: len(w)]
    return "weights: " + ", ".join(f"{n} {v:.3f}" for n, v in zip(names, w, strict=True))


def linked_weights(w, k: int, value: float) -> np.ndarray:
    """Weights after slider ``k`` moved to ``value``: the others keep their proportions and
    share what is left (equally if they were all zero), rounded as the page keeps them, the
    rounding taken by the largest other weight so that slider ``k`` keeps its value.

    >>> linked_weights([0.25, 0.25, 0.25, 0.25], 0, 0.4).tolist()
    [0.4, 0.2, 0.2, 0.2]
    >>> linked_weights([1.0, 0.0, 0.0, 0.0], 0, 0.7).tolist()
    [0.7, 0.1, 0.1, 0.1]
    >>> linked_weights([0.5, 0.5], 1, 0.123).tolist()
    [0.877, 0.123]
    """
    w = np.asarray(w, dtype=np.float64).copy()
    value = round(min(max(float(value), 0.0), 1.0), WEIGHT_DIGITS)
    others = np.arange(w.size) != k
    rest = float(w[others].sum())
    if rest > 1e-12:
        w[others] *= (1.0 - value) / rest
    else:
        w[others] = (1.0 - value) / (w.size - 1)
    w[k] = value
    w[others] = np.round(w[others], WEIGHT_DIGITS)
    idx = np.flatnonzero(others)
    big = idx[int(np.argmax(w[idx]))]
    w[big] = round(w[big] + 1.0 - float(w.sum()), WEIGHT_DIGITS)
    return w + 0.0


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
            CORNERS[:, 0].tolist(), CORNERS[:, 1].tolist(), size=12, color=list(MEASURE_COLORS[:3])
        )
        fig.text(
            [0.0, 1.0, 0.5],
            [-0.045, -0.045, SQRT3_2 + 0.13],
            text=["μ₁", "μ₂", "μ₃"],
            text_align="center",
            text_baseline="top",
            text_font_size="14px",
            text_color=list(MEASURE_COLORS[:3]),
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


#: Tiles of the grid mosaic (inputs, then the barycenter), placed by K: (rows, columns) and
#: each tile's (row from the top, column). K = 2 reads as a path, K = 4 has the barycenter in
#: the middle of the four corners.
TILE_GAP = 4
MOSAIC_LAYOUTS = {
    2: ((1, 3), ((0, 0), (0, 2), (0, 1))),
    3: ((2, 2), ((1, 0), (1, 1), (0, 0), (0, 1))),
    4: ((3, 3), ((2, 0), (2, 2), (0, 0), (0, 2), (1, 1))),
}


def mosaic(images: list[np.ndarray]) -> np.ndarray:
    """K input images and their barycenter (K + 1 images of n x n) as one mosaic laid out by
    :data:`MOSAIC_LAYOUTS` (row 0 at the bottom, as Bokeh draws), each scaled to its own
    maximum (so a spread-out barycenter is as visible as a sharp input); gaps NaN.

    >>> mosaic([np.ones((2, 2))] * 4).shape
    (8, 8)
    >>> mosaic([np.ones((2, 2))] * 3).shape, mosaic([np.ones((2, 2))] * 5).shape
    ((2, 14), (14, 14))
    """
    n = images[0].shape[0]
    (rows, cols), places = MOSAIC_LAYOUTS[len(images) - 1]
    out = np.full(
        (rows * n + (rows - 1) * TILE_GAP, cols * n + (cols - 1) * TILE_GAP), np.nan, np.float32
    )
    for img, (row, col) in zip(images, places, strict=True):
        top = float(img.max())
        r, c = row * (n + TILE_GAP), col * (n + TILE_GAP)
        out[r : r + n, c : c + n] = img / top if top > 0 else img
    # images and the canvas are indexed [y, x] from the top: flip so row 0 is drawn at the bottom
    return out[::-1]


class GridFigure:
    """The K shapes and their barycenter as ONE image glyph (a mosaic, see :func:`mosaic`)."""

    def __init__(self, n: int, dark: bool, size: int) -> None:
        self.n = n
        fig = figure(
            width=size,
            height=size,
            x_range=Range1d(0, 1),
            y_range=Range1d(0, 1),
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
        self.source = ColumnDataSource(
            {"image": [np.zeros((1, 1), np.float32)], "dw": [1.0], "dh": [1.0]}
        )
        fig.image("image", x=0, y=0, dw="dw", dh="dh", source=self.source, color_mapper=mapper)
        self.labels = ColumnDataSource({"x": [], "y": [], "text": []})
        fig.text(
            "x",
            "y",
            text="text",
            source=self.labels,
            text_baseline="top",
            text_font_size="13px",
            text_color="white",
        )
        self.figure = fig
        self.size = size
        self.count = 0

    def _layout(self, count: int) -> None:
        """Ranges (square, the mosaic centred) and tile labels for ``count`` inputs."""
        n, step = self.n, self.n + TILE_GAP
        (rows, cols), places = MOSAIC_LAYOUTS[count]
        height, width = rows * n + (rows - 1) * TILE_GAP, cols * n + (cols - 1) * TILE_GAP
        side = max(height, width)
        fig = self.figure
        # a single row (K = 2) gets a flatter figure, not empty bands above and below
        band = (side - height) / 2 if rows > 1 else 0.0
        fig.height = self.size if rows > 1 else round(self.size * height / width)
        fig.x_range.update(start=-(side - width) / 2, end=width + (side - width) / 2)
        fig.y_range.update(start=-band, end=height + band)
        names = [*MEASURE_NAMES[:count], "barycenter"]
        self.labels.data = {
            "x": [col * step + 2 for _, col in places],
            "y": [height - row * step - 2 for row, _ in places],
            "text": names,
        }
        self.count = count

    def update(self, shapes: np.ndarray, bary: np.ndarray | None) -> None:
        if len(shapes) != self.count:
            self._layout(len(shapes))
        tiles = [*shapes, bary if bary is not None else np.zeros_like(shapes[0])]
        image = mosaic(tiles)
        self.source.data = {
            "image": [image],
            "dw": [float(image.shape[1])],
            "dh": [float(image.shape[0])],
        }


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
