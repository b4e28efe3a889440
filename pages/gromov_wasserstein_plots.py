"""Figures of the Gromov-Wasserstein page: each a class that owns its sources and has an
``update``. The numbers come from :mod:`ot_engine.gromov` through the page.

The source curve's points are coloured by their place ``s`` along the curve; each target
point gets the colour of the source points the coupling sends to it (their mean ``s``, or the
``s`` of the one holding most of its mass). A good matching paints the target with the same
gradient in the same order. The two distance matrices are drawn with the source points in
curve order and the target points in the order the coupling gives them: if the coupling keeps
distances, the two images look alike.
"""

from __future__ import annotations

import numpy as np
from bokeh.models import ColorBar, ColumnDataSource, LinearColorMapper, Range1d
from bokeh.plotting import figure

from pages import theme

#: Half-width of the square both shape plots show (the curves fit in about 1.25).
HALF = 1.35
SHAPE_PALETTE = "Viridis256"
MATRIX_PALETTE = "Cividis256"
FIGURE_SIZE = 300

#: The edges of the cube [-1, 1]^3 drawn (turned with the shape) behind the target's points.
_CORNERS = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=float)
_EDGES = [(i, j) for i in range(8) for j in range(i + 1, 8) if bin(i ^ j).count("1") == 1]


def _plot(title: str, **kw) -> figure:
    fig = figure(
        title=title,
        tools="",
        toolbar_location=None,
        width=FIGURE_SIZE,
        height=FIGURE_SIZE,
        sizing_mode="fixed",
        **kw,
    )
    theme.style_figure(fig)
    return fig


def _shape_plot(title: str, name: str) -> figure:
    fig = _plot(title, x_range=Range1d(-HALF, HALF), y_range=Range1d(-HALF, HALF), name=name)
    fig.axis.visible = False
    fig.grid.visible = False
    return fig


def shape_mapper(dark: bool) -> LinearColorMapper:
    """Place along the curve (0 to 1) -> colour; an unmatched point is grey."""
    return LinearColorMapper(
        palette=SHAPE_PALETTE, low=0.0, high=1.0, nan_color=theme.caption_color(dark)
    )


class SourceFigure:
    """The curve in the plane, its points coloured by their place s along it."""

    def __init__(self, mapper: LinearColorMapper) -> None:
        fig = _shape_plot("X: a curve in the plane", "gw_source")
        self.line = ColumnDataSource({"x": [], "y": []})
        self.points = ColumnDataSource({"x": [], "y": [], "s": []})
        fig.line("x", "y", source=self.line, color=theme.MUTED_COLOR, line_alpha=0.5)
        fig.scatter(
            "x",
            "y",
            source=self.points,
            size=8,
            color={"field": "s", "transform": mapper},
            line_color=None,
        )
        bar = ColorBar(
            color_mapper=mapper,
            orientation="horizontal",
            height=8,
            title="place s along the curve",
            title_text_font_style="normal",
            major_label_text_font_size="11px",
            location="bottom_left",
            background_fill_alpha=0.0,
        )
        fig.add_layout(bar, "below")
        self.figure = fig

    def update(self, X: np.ndarray, s: np.ndarray) -> None:
        order = np.argsort(s)
        self.line.data = {"x": X[order, 0], "y": X[order, 1]}
        self.points.data = {"x": X[:, 0], "y": X[:, 1], "s": s}


class TargetFigure:
    """The curve in space, turned by the yaw and pitch sliders and seen from the front
    (orthographic, along the third axis); nearer points are drawn larger and on top."""

    def __init__(self, mapper: LinearColorMapper) -> None:
        fig = _shape_plot("Y: a curve in space (turn it)", "gw_target")
        self.cube = ColumnDataSource({"xs": [], "ys": []})
        self.points = ColumnDataSource({"x": [], "y": [], "size": [], "c": []})
        fig.multi_line(
            "xs", "ys", source=self.cube, color=theme.MUTED_COLOR, line_alpha=0.35, line_width=1
        )
        fig.scatter(
            "x",
            "y",
            source=self.points,
            size="size",
            color={"field": "c", "transform": mapper},
            line_color=None,
        )
        self.figure = fig

    def update(self, R: np.ndarray, Y_turned: np.ndarray, colour: np.ndarray | None) -> None:
        """``Y_turned`` the points already turned by ``R``; ``colour`` the matched place of
        each (None: not matched yet, drawn grey)."""
        corners = _CORNERS @ R.T * 1.2
        self.cube.data = {
            "xs": [[corners[i, 0], corners[j, 0]] for i, j in _EDGES],
            "ys": [[corners[i, 1], corners[j, 1]] for i, j in _EDGES],
        }
        depth = Y_turned[:, 2]
        order = np.argsort(depth)  # far first, so near points are painted over them
        near = (depth[order] + 1.2) / 2.4
        c = np.full(len(order), np.nan) if colour is None else np.asarray(colour)[order]
        self.points.data = {
            "x": Y_turned[order, 0],
            "y": Y_turned[order, 1],
            "size": 5.0 + 6.0 * np.clip(near, 0.0, 1.0),
            "c": c,
        }


class MatrixFigure:
    """One distance matrix as an image, rows and columns in a given order."""

    def __init__(self, title: str, axis_label: str, mapper: LinearColorMapper, name: str):
        fig = _plot(title, x_range=Range1d(0, 1), y_range=Range1d(1, 0), name=name)
        fig.axis.major_tick_line_color = None
        fig.axis.minor_tick_line_color = None
        fig.axis.major_label_text_font_size = "0px"
        fig.xaxis.axis_label = axis_label
        fig.grid.visible = False
        self.source = ColumnDataSource({"image": [np.zeros((1, 1), np.float32)], "n": [1]})
        fig.image(image="image", x=0, y=0, dw="n", dh="n", source=self.source, color_mapper=mapper)
        self.figure = fig

    def update(self, D: np.ndarray, order: np.ndarray) -> None:
        n = len(order)
        # Bokeh draws image row 0 at y = 0, the top of this flipped axis: row i of the matrix
        # is the i-th point in the given order, as printed.
        self.source.data = {"image": [D[np.ix_(order, order)].astype(np.float32)], "n": [n]}
        self.figure.x_range.update(start=0, end=n)
        self.figure.y_range.update(start=n, end=0)


def matrix_mapper(top: float) -> LinearColorMapper:
    return LinearColorMapper(palette=MATRIX_PALETTE, low=0.0, high=max(top, 1e-12))
