"""Figures of the "/wgan_critic" page: each a class that owns its sources and has an ``update``.

Three fields on one coarse grid (the exact critic, the JS discriminator, the trained WGAN-GP
critic) drawn as images, the two clouds on each, the generator's push at every fake point as
an arrow, and a plot of both gradient sizes against the distance between the clouds.

What a drag answer sends is kept small: each field as one byte per cell (a palette index; the
colour bar keeps the real values), the clouds in sources shared by the three figures, points
and arrows as float32, and a colour range that moves in steps (a new range makes the browser
lay out the whole page). While the handle is dragged the browser moves the critic figure's
own copy of the fake cloud, and its arrows (``assets/js/wgan_critic_drag.js``): a frame of a
drag repaints one figure, and a legend never names a source that moves.
"""

from __future__ import annotations

import math

import numpy as np
from bokeh.models import (
    Arrow,
    ColorBar,
    ColumnDataSource,
    Grid,
    Legend,
    LegendItem,
    LinearColorMapper,
    Range1d,
    Span,
    VeeHead,
)
from bokeh.plotting import figure

from pages import theme
from pages.components import js, legend
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
#: The fields' palette (perceptually even, colour-blind safe): 256 colours, so a field sent as
#: one byte per cell (the palette index) loses nothing that is drawn.
FIELD_PALETTE = "Cividis256"
#: The critic's colour range grows and shrinks in steps of this size (data units of phi).
RANGE_STEP = 0.5

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


def field_codes(field: np.ndarray, low: float, high: float) -> np.ndarray:
    """A field as palette indices 0..255 (uint8, GRID x GRID) for the range [low, high].

    >>> field_codes(np.array([-1.0, 0.0, 1.0, 2.0] + [0.0] * (GRID * GRID - 4)), -1, 1)[0, :4]
    array([  0, 128, 255, 255], dtype=uint8)
    """
    rel = (np.asarray(field, dtype=np.float64) - low) / (high - low)
    codes = np.rint(np.clip(rel, 0.0, 1.0) * 255).astype(np.uint8)
    return codes.reshape(GRID, GRID)


def stepped_top(top: float) -> float:
    """The colour range's half-width for a field whose largest size is ``top``: the next
    multiple of RANGE_STEP (so a drag changes the range, and the page's layout, rarely).

    >>> stepped_top(0.0), stepped_top(0.2), stepped_top(1.74)
    (0.5, 0.5, 2.0)
    """
    return max(RANGE_STEP, RANGE_STEP * math.ceil(top / RANGE_STEP - 1e-9))


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


class Clouds:
    """The real and the fake cloud, the sources every field figure draws, and the offset the
    server drew the fake cloud at (``drawn``).

    The critic figure, whose handle is dragged, draws its own copy of the fake cloud
    (``dragged``): the browser moves it from ``drawn`` to the handle at every frame. The other
    two draw ``fake`` where the server computed their fields, so a frame of a drag repaints
    one figure, not three, and the answer repaints each once."""

    def __init__(self) -> None:
        self.real = ColumnDataSource({"x": [], "y": []})
        self.fake = ColumnDataSource({"x": [], "y": []})
        self.dragged = ColumnDataSource({"x": [], "y": []}, name="wgan_fake")
        self.drawn = ColumnDataSource({"x": [0.0], "y": [0.0]}, name="wgan_drawn")
        self._real_drawn = None

    def update(self, X: np.ndarray, Y: np.ndarray, offset) -> None:
        if X is not self._real_drawn:  # the real cloud changes with the preset only
            self.real.data = {"x": _f32(X[:, 0]), "y": _f32(X[:, 1])}
            self._real_drawn = X
        fake = {"x": _f32(Y[:, 0]), "y": _f32(Y[:, 1])}
        self.fake.data = fake
        self.dragged.data = dict(fake)
        self.drawn.data = {"x": [float(offset[0])], "y": [float(offset[1])]}


class FieldLayers:
    """An image field, the real and fake clouds and the arrows, drawn into a figure.

    The image holds palette indices (:func:`field_codes`); ``mapper`` (real values) is the one
    the colour bar shows."""

    def __init__(
        self,
        fig,
        mapper: LinearColorMapper,
        label: str,
        dark: bool,
        clouds: Clouds,
        fake: ColumnDataSource | None = None,
    ) -> None:
        self.image = ColumnDataSource({"image": [np.zeros((GRID, GRID), np.uint8)]})
        codes = LinearColorMapper(palette=FIELD_PALETTE, low=-0.5, high=255.5)
        r = fig.image(
            image="image", x=-BOX, y=-BOX, dw=2 * BOX, dh=2 * BOX, source=self.image,
            color_mapper=codes,
        )  # fmt: skip
        r.level = "underlay"
        self.clouds = clouds
        self.arrows = ColumnDataSource({"x0": [], "y0": [], "x1": [], "y1": []})
        edge = "#ffffff" if not dark else "#111111"
        real = fig.scatter(
            "x", "y", source=clouds.real, size=7, color=theme.SOURCE_COLOR, line_color=edge,
            marker="circle",
        )  # fmt: skip
        fake = fig.scatter(
            "x", "y", source=fake or clouds.fake, size=7, color=theme.TARGET_COLOR,
            line_color=edge,
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
        # The legend draws stand-ins with the clouds' style and no data: BokehJS rebuilds a
        # legend's items whenever a source of the renderers it names changes, and the fake
        # cloud's changes at every frame of a drag.
        items = [
            LegendItem(label="real", renderers=[legend.stand_in(fig, real)]),
            LegendItem(label="fake", renderers=[legend.stand_in(fig, fake)]),
        ]
        key = Legend(
            items=items,
            location="top_left", background_fill_alpha=0.7, label_text_font_size="10pt",
            padding=4, spacing=0, margin=4,
        )  # fmt: skip
        fig.add_layout(key)

    def update(self, codes: np.ndarray | None, Y, arrows: np.ndarray | None) -> None:
        """Draw the field's palette ``codes`` (None: keep the image) and the arrows ``arrows``
        at the fake points ``Y`` (None: none)."""
        if codes is not None:
            self.image.data = {"image": [codes]}
        self.arrows.data = (
            arrow_ends(Y, arrows)
            if arrows is not None
            else {k: [] for k in ("x0", "y0", "x1", "y1")}
        )


def move_in_browser(critic: CriticFigure, clouds: Clouds, arrows: list) -> None:
    """Let the browser translate the critic figure's copy of the fake cloud and the ``arrows``
    sources with the dragged handle (``assets/js/wgan_critic_drag.js``; set up once the
    critic figure is laid out, or when a drag starts, whichever comes first)."""
    callback = js.custom_js(
        "wgan_critic_drag.js",
        handle=critic.points.source,
        drawn=clouds.drawn,
        moved=[clouds.dragged, *arrows],
    )
    critic.figure.js_on_change("inner_width", callback)
    critic.figure.js_on_event("panstart", callback)


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
    drop_grids(fig)
    return fig


def drop_grids(fig) -> None:
    """No grid lines on a field figure: the image covers them, and every renderer costs a
    style lookup on each repaint."""
    fig.center = [r for r in fig.center if not isinstance(r, Grid)]


class CriticFigure:
    """The exact critic with the draggable handle (the fake cloud's centre)."""

    def __init__(self, centre, on_change, dark: bool, clouds: Clouds) -> None:
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
        drop_grids(self.figure)
        self.layers = FieldLayers(self.figure, self.mapper, "φ", dark, clouds, clouds.dragged)
        # the handle is drawn above the fake cloud it moves and its arrows
        handle = self.points.renderer
        self.figure.renderers = [r for r in self.figure.renderers if r is not handle] + [handle]
        handle.level = "overlay"
        handle.glyph.line_color = "#111111"
        handle.glyph.line_width = 1.5

    def update(self, field, Y, arrows, centre) -> None:
        top = stepped_top(float(np.abs(field).max()))
        if top != self.mapper.high:
            self.mapper.update(low=-top, high=top)
        self.layers.update(field_codes(field, -top, top), Y, arrows)
        if centre is not None:
            self.points.update([centre], [0])


class DiscriminatorFigure:
    """The optimal JS discriminator D = p_r / (p_r + p_g) and the minimax generator's push."""

    def __init__(self, dark: bool, clouds: Clouds) -> None:
        self.mapper = LinearColorMapper(palette=FIELD_PALETTE, low=0.0, high=1.0)
        self.figure = _square("JS discriminator D and the generator's push", "wgan_js")
        self.layers = FieldLayers(self.figure, self.mapper, "D", dark, clouds)

    def update(self, field, Y, arrows) -> None:
        self.layers.update(field_codes(field, 0.0, 1.0), Y, arrows)


class TrainedFigure:
    """The WGAN-GP critic trained in the background (the last finished one)."""

    def __init__(self, dark: bool, clouds: Clouds) -> None:
        self.mapper = LinearColorMapper(palette=FIELD_PALETTE, low=-1.0, high=1.0)
        self.figure = _square("WGAN-GP critic (trained) and its push", "wgan_gp")
        self.layers = FieldLayers(self.figure, self.mapper, "f", dark, clouds)

    def update(self, field, Y, arrows, title: str) -> None:
        """``field`` None keeps the image (a drag moves the points only)."""
        codes = None
        if field is not None:
            centred = field - np.median(field)
            top = float(np.abs(centred).max()) or 1.0
            self.mapper.update(low=-top, high=top)
            codes = field_codes(centred, -top, top)
        self.figure.title.text = title
        self.layers.update(codes, Y, arrows)


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
        self.curve = ColumnDataSource({"d": [], "w1": [], "js": []}, name="wgan_curve")
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
