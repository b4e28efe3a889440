"""The unit-square heat map of a plan (or of a slack): one figure shape for four pages.

Rows of the matrix are source bins (drawn upwards), columns target bins (across), on the unit
square. The server sends palette indices (uint8, a quarter of float32's bytes) and the image
maps index ``k`` to colour ``k`` (:func:`code_image`); a colour bar with its own 0..1 mapper
says what the colours mean, and :func:`support_marks` outlines the cells an exact plan uses.
Used by /transport_plan, /sinkhorn, /duality and /unbalanced.
"""

from __future__ import annotations

import numpy as np
from bokeh.models import ColorBar, ColumnDataSource, GlyphRenderer, LinearColorMapper, Range1d
from bokeh.plotting import figure

from pages import theme

#: Outline of an exact plan's support cells (reads on every Viridis colour).
SUPPORT_COLOR = "#ff3d7f"


def unit_square_figure(frame: int, name: str, **options) -> figure:
    """A styled, tool-less figure whose ``frame`` x ``frame`` px frame is the unit square.

    ``options`` are Bokeh ``figure`` options (title, axis labels, borders).
    """
    fig = figure(
        frame_width=frame,
        frame_height=frame,
        x_range=Range1d(0, 1),
        y_range=Range1d(0, 1),
        tools="",
        toolbar_location=None,
        name=name,
        **options,
    )
    theme.style_figure(fig)
    fig.grid.visible = False
    return fig


def code_image(fig: figure, source: ColumnDataSource, palette) -> GlyphRenderer:
    """The image of ``source``'s ``image`` column over the unit square, index ``k`` drawn with
    ``palette[k]`` (the codes are the colours)."""
    mapper = LinearColorMapper(palette=palette, low=-0.5, high=len(palette) - 0.5)
    return fig.image(image="image", x=0, y=0, dw=1, dh=1, source=source, color_mapper=mapper)


def colour_bar(
    palette, title: str, below: bool = True, mapper: LinearColorMapper | None = None
) -> ColorBar:
    """A colour bar for ``palette`` titled ``title`` (0..1, or the page's own ``mapper``, which
    it may swap later): horizontal (to go below the figure, the only place that fits a phone)
    or vertical (beside it)."""
    return ColorBar(
        color_mapper=mapper or LinearColorMapper(palette=palette, low=0, high=1),
        orientation="horizontal" if below else "vertical",
        **({"height": 10} if below else {"width": 12}),
        title=title,
        title_text_font_style="normal",
        title_text_font_size="12px",
        major_label_text_font_size="12px",
        padding=6,
    )


def support_marks(fig: figure, source: ColumnDataSource) -> GlyphRenderer:
    """Square outlines at ``source``'s (x, y) points: the cells an exact plan uses."""
    return fig.scatter(
        x="x",
        y="y",
        source=source,
        marker="square",
        size=5,
        fill_color=None,
        line_color=SUPPORT_COLOR,
        line_width=1.2,
    )


def support_data(plan: np.ndarray, x: np.ndarray) -> dict[str, np.ndarray]:
    """Cells where ``plan`` carries mass, as (target ``x[j]``, source ``x[i]``) points.

    >>> support_data(np.array([[0.5, 0.0], [0.0, 0.5]]), np.array([0.25, 0.75]))["y"].tolist()
    [0.25, 0.75]
    """
    i, j = np.nonzero(plan > 0)
    return {"x": x[j].astype(np.float32), "y": x[i].astype(np.float32)}
