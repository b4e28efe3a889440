"""Legend entries that stay put while the data they describe moves.

BokehJS rebuilds a legend's items (their DOM elements and little canvases, then a forced
layout) whenever any source of a renderer the legend names changes. A legend naming a cloud
that follows a drag was rebuilt at every frame, in every figure showing that cloud. A legend
item drawn from a stand-in (the same glyph, with no data of its own) looks the same and is
built once.
"""

from __future__ import annotations

from bokeh.models import ColumnDataSource, GlyphRenderer


def stand_in(fig, renderer: GlyphRenderer, **row) -> GlyphRenderer:
    """A renderer of ``fig`` drawn like ``renderer`` but with a source of its own, for a legend.

    The source is empty, or holds the one ``row`` given (column=value), for a glyph whose
    colour or marker comes from a column: the legend draws that row's look. Give the row's
    coordinates as NaN so the plot itself draws nothing.

    >>> from bokeh.plotting import figure
    >>> fig = figure()
    >>> cloud = fig.scatter("x", "y", source=ColumnDataSource({"x": [1], "y": [2]}), size=7)
    >>> key = stand_in(fig, cloud)
    >>> type(key.glyph).__name__, key.glyph is cloud.glyph, len(key.data_source.data["x"])
    ('Scatter', False, 0)
    >>> stand_in(fig, cloud, x=float("nan"), y=0.0).data_source.data["x"]
    [nan]
    """
    columns = {name: [] for name in renderer.data_source.column_names}
    columns.update({name: [value] for name, value in row.items()})
    return fig.add_glyph(ColumnDataSource(columns), renderer.glyph.clone())
