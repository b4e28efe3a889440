"""Figures of the "/wgan_critic" page: each a class that owns its sources and has an ``update``.

Three fields on one coarse grid (the exact critic, the JS discriminator, the trained WGAN-GP
critic) drawn as images, the two clouds on each, the generator's push at every fake point as
an arrow, and a plot of both gradient sizes against the distance between the clouds. Sources
carry float32: a drag sync sends ~14 KB.
"""

from __future__ import annotations

import numpy as np
from bokeh.models import (
    Arrow,
    ColorBar,
    ColumnDataSource,
    Legend,
    LegendItem,
    LinearColorMapper,
    Range1d,
    Span,
    VeeHead,
)
from bokeh.plotting import figure

from pages import theme
from pages.components.points import DraggablePoints

#: The square the clouds live in (data units); the handle (the fake cloud's centre) stays in.
BOX = 4.0
BOUNDS = ((-BOX, BOX), (-BOX, BOX))
#: Field grid: GRID x GRID cells over the box (coarse: the image is smoothed by the eye).
GRID = 40
#: An arrow of a unit gradient is this long (data units); longer ones are cut to MAX_ARROW,
#: and ones shorter than MIN_ARROW are not drawn (a head with no shaft has no direction).
ARROW_SCALE = 0.55
MAX_ARROW = 1.4
MIN_ARROW = 0.03
#: The fields' palette (perceptually even, colour-blind safe).
FIELD_PALETTE = "Cividis256"

#: On a phone the figures stack (each the full width).
NARROW_ROW_CSS = """
@media (max-width: 700px) {
  :host { flex-wrap: wrap; }
  :host > .bk-Figure { flex: 1 1 100% !important; width: 100% !important; }
}
"""


def grid_points() -> tuple[np.ndarray, np.ndarray]:
    """Cell centres of the field grid: (the 1D coordinates, the (GRID^2, 2) points)."""
    step = 2 * BOX / GRID
    c = -BOX + step * (np.arange(GRID) + 0.5)
    gx, gy = np.meshgrid(c, c)  # rows: y, columns: x (the image's layout)
    return c, np.column_stack([gx.ravel(), gy.ravel()])


def _f32(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def arrow_ends(P: np.ndarray, V: np.ndarray) -> dict:
    """Arrows from the points ``P`` along ``V`` (scaled, capped), as source columns."""
    V = np.asarray(V, dtype=np.float64) * ARROW_SCALE
    length = np.linalg.norm(V, axis=1)
    cut = np.where(length > MAX_ARROW, MAX_ARROW / np.where(length > 0, length, 1.0), 1.0)
    V = V * cut[:, None]
    keep = length >= MIN_ARROW
    P, V = P[keep], V[keep]
    return {
        "x0": _f32(P[:, 0]),
        "y0": _f32(P[:, 1]),
        "x1": _f32(P[:, 0] + V[:, 0]),
        "y1": _f32(P[:, 1] + V[:, 1]),
    }


class FieldLayers:
    """An image field, the real and fake clouds and the arrows, drawn into a figure."""

    def __init__(self, fig, mapper: LinearColorMapper, label: str, dark: bool) -> None:
        self.image = ColumnDataSource({"image": [np.zeros((GRID, GRID), np.float32)]})
        r = fig.image(
            image="image", x=-BOX, y=-BOX, dw=2 * BOX, dh=2 * BOX, source=self.image,
            color_mapper=mapper,
        )  # fmt: skip
        r.level = "underlay"
        self.real = ColumnDataSource({"x": [], "y": []})
        self._real_drawn = None
        self.fake = ColumnDataSource({"x": [], "y": []})
        self.arrows = ColumnDataSource({"x0": [], "y0": [], "x1": [], "y1": []})
        edge = "#ffffff" if not dark else "#111111"
        real = fig.scatter(
            "x", "y", source=self.real, size=7, color=theme.SOURCE_COLOR, line_color=edge,
            marker="circle",
        )  # fmt: skip
        fake = fig.scatter(
            "x", "y", source=self.fake, size=7, color=theme.TARGET_COLOR, line_color=edge,
            marker="square",
        )  # fmt: skip
        fig.add_layout(
            Arrow(
                end=VeeHead(size=6, fill_color="#ffffff", line_color="#ffffff"),
                source=self.arrows, x_start="x0", y_start="y0", x_end="x1", y_end="y1",
                line_color="#ffffff", line_width=1.5,
            )
        )  # fmt: skip
        fig.add_layout(
            ColorBar(color_mapper=mapper, width=8, title=label, title_standoff=4), "right"
        )
        items = [
            LegendItem(label="real", renderers=[real]),
            LegendItem(label="fake", renderers=[fake]),
        ]
        legend = Legend(
            items=items,
            location="top_left", background_fill_alpha=0.7, label_text_font_size="10pt",
            padding=4, spacing=0, margin=4,
        )  # fmt: skip
        fig.add_layout(legend)

    def update(self, field: np.ndarray | None, X, Y, arrows: np.ndarray | None) -> None:
        if field is not None:
            self.image.data = {"image": [_f32(field.reshape(GRID, GRID))]}
        if X is not self._real_drawn:  # the real cloud changes with the preset only
            self.real.data = {"x": _f32(X[:, 0]), "y": _f32(X[:, 1])}
            self._real_drawn = X
        self.fake.data = {"x": _f32(Y[:, 0]), "y": _f32(Y[:, 1])}
        self.arrows.data = (
            arrow_ends(Y, arrows)
            if arrows is not None
            else {k: [] for k in ("x0", "y0", "x1", "y1")}
        )


def _square(title: str, name: str, **options):
    fig = figure(
        title=title,
        height=380,
        width=400,
        sizing_mode="scale_width",
        match_aspect=True,
        tools="",
        toolbar_location=None,
        x_range=Range1d(-BOX * 1.04, BOX * 1.04),
        y_range=Range1d(-BOX * 1.04, BOX * 1.04),
        name=name,
        **options,
    )
    theme.style_figure(fig)
    return fig


class CriticFigure:
    """The exact critic with the draggable handle (the fake cloud's centre)."""

    def __init__(self, centre, on_change, dark: bool) -> None:
        self.mapper = LinearColorMapper(palette=FIELD_PALETTE, low=-1.0, high=1.0)
        self.points = DraggablePoints(
            [centre],
            [0],
            bounds=BOUNDS,
            on_change=on_change,
            max_points=1,
            min_points=1,
            group_names=("centre of the fake cloud",),
            palette=(theme.PLAN_COLOR,),
            markers=("diamond",),
            label="Generator offset: drag the green diamond (the fake cloud's centre)",
            name="wgan_handle",
            size=18,
            step=0.1,
            height=380,
            width=400,
            sizing_mode="scale_width",
            match_aspect=True,
            title="Exact W₁ critic φ and the generator's push",
        )
        self.figure = self.points.figure
        self.layers = FieldLayers(self.figure, self.mapper, "φ", dark)
        # the handle is drawn above the fake cloud it moves and its arrows
        handle = self.points.renderer
        self.figure.renderers = [r for r in self.figure.renderers if r is not handle] + [handle]
        handle.level = "overlay"
        handle.glyph.line_color = "#111111"
        handle.glyph.line_width = 1.5

    def update(self, field, X, Y, arrows, centre) -> None:
        top = float(np.abs(field).max()) or 1.0
        self.mapper.update(low=-top, high=top)
        self.layers.update(field, X, Y, arrows)
        self.points.update([centre], [0])


class DiscriminatorFigure:
    """The optimal JS discriminator D = p_r / (p_r + p_g) and the minimax generator's push."""

    def __init__(self, dark: bool) -> None:
        self.mapper = LinearColorMapper(palette=FIELD_PALETTE, low=0.0, high=1.0)
        self.figure = _square("JS discriminator D and the generator's push", "wgan_js")
        self.layers = FieldLayers(self.figure, self.mapper, "D", dark)

    def update(self, field, X, Y, arrows) -> None:
        self.layers.update(field, X, Y, arrows)


class TrainedFigure:
    """The WGAN-GP critic trained in the background (the last finished one)."""

    def __init__(self, dark: bool) -> None:
        self.mapper = LinearColorMapper(palette=FIELD_PALETTE, low=-1.0, high=1.0)
        self.figure = _square("WGAN-GP critic (trained) and its push", "wgan_gp")
        self.layers = FieldLayers(self.figure, self.mapper, "f", dark)

    def update(self, field, X, Y, arrows, title: str) -> None:
        if field is not None:
            centred = field - np.median(field)
            top = float(np.abs(centred).max()) or 1.0
            self.mapper.update(low=-top, high=top)
            field = centred
        self.figure.title.text = title
        self.layers.update(field, X, Y, arrows)


class NormFigure:
    """Both generator gradients' sizes against the distance between the clouds' centres."""

    def __init__(self, dark: bool) -> None:
        fig = figure(
            title="Gradient size vs distance",
            height=380,
            width=400,
            sizing_mode="scale_width",
            tools="",
            toolbar_location=None,
            y_axis_type="log",
            x_axis_label="distance between the clouds' centres",
            y_axis_label="|gradient|, log scale",
            y_range=Range1d(1e-12, 3.0),
            name="wgan_norms",
        )
        theme.style_figure(fig)
        self.curve = ColumnDataSource({"d": [], "w1": [], "js": []})
        w1 = fig.line("d", "w1", source=self.curve, color=theme.PLAN_COLOR, line_width=2.5)
        js = fig.line(
            "d", "js", source=self.curve, color=theme.TARGET_COLOR, line_width=2.5,
            line_dash="dashed",
        )  # fmt: skip
        self.now = Span(location=0.0, dimension="height", line_color=theme.MUTED_COLOR,
                        line_dash="dotted", line_width=2)  # fmt: skip
        fig.add_layout(self.now)
        fig.add_layout(
            Legend(
                items=[
                    LegendItem(label="W₁ critic", renderers=[w1]),
                    LegendItem(label="JS, minimax loss", renderers=[js]),
                ],
                location="bottom_left", background_fill_alpha=0.7, label_text_font_size="10pt",
            )
        )  # fmt: skip
        self.figure = fig

    def update(self, d: np.ndarray, w1: np.ndarray, js: np.ndarray) -> None:
        floor = 1e-12  # a log axis has no 0: values below are drawn at the floor
        self.curve.data = {
            "d": _f32(d),
            "w1": np.maximum(w1, floor),
            "js": np.maximum(js, floor),
        }

    def mark(self, distance: float) -> None:
        self.now.location = float(distance)
