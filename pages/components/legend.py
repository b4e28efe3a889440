"""Legend entries that stay put while the data they describe moves.

BokehJS rebuilds a legend's items (their DOM elements and little canvases, then a forced
layout) whenever any source of a renderer the legend names changes. A legend naming a cloud
that follows a drag was rebuilt at every frame, in every figure showing that cloud. A legend
item drawn from a stand-in (the same glyph, with one row of its own that the plot does not
draw) looks the same and is built once.
"""

from __future__ import annotations

import math

from bokeh.core.property.vectorization import Field
from bokeh.models import ColumnDataSource, GlyphRenderer, MultiLine, Patches


def stand_in(fig, renderer: GlyphRenderer, **row) -> GlyphRenderer:
    """A renderer of ``fig`` drawn like ``renderer`` but with a source of its own, for a legend.

    The source holds one row: the values ``row`` gives (column=value), NaN in every other
    column, so the plot itself draws nothing there. Give the values of the columns a glyph
    takes its colour, marker or alpha from: the legend draws that row's look. The row is
    needed: BokehJS draws no legend swatch for a renderer whose source is empty.

    >>> from bokeh.plotting import figure
    >>> fig = figure()
    >>> cloud = fig.scatter("x", "y", source=ColumnDataSource({"x": [1], "y": [2]}), size=7)
    >>> key = stand_in(fig, cloud)
    >>> type(key.glyph).__name__, key.glyph is cloud.glyph, key.data_source.data
    ('Scatter', False, {'x': [nan], 'y': [nan]})
    >>> stand_in(fig, cloud, y=0.0).data_source.data
    {'x': [nan], 'y': [0.0]}
    >>> curve = fig.line("s", "f", source=ColumnDataSource({}))  # columns still to come
    >>> stand_in(fig, curve).data_source.data
    {'s': [nan], 'f': [nan]}
    >>> lines = fig.multi_line("xs", "ys", source=ColumnDataSource({"xs": [], "ys": []}))
    >>> stand_in(fig, lines).data_source.data  # one line of one (missing) point
    {'xs': [[nan]], 'ys': [[nan]]}
    """
    glyph = renderer.glyph
    # the coordinates of a multi-line or patches glyph are one list per row
    ragged = set()
    if isinstance(glyph, (MultiLine, Patches)):
        specs = (getattr(spec, "field", spec) for spec in (glyph.xs, glyph.ys))
        ragged = {spec for spec in specs if isinstance(spec, str)}
    # the source's columns, and those the glyph reads (a source may still be empty of them)
    names = [*renderer.data_source.column_names, *_fields(glyph)]
    columns = {name: [[math.nan] if name in ragged else math.nan] for name in names}
    columns.update({name: [value] for name, value in row.items()})
    return fig.add_glyph(ColumnDataSource(columns), glyph.clone())


def _fields(glyph) -> list[str]:
    """The columns ``glyph``'s properties read (its fields)."""
    specs = glyph.dataspecs()
    values = (
        spec.to_serializable(glyph, name, getattr(glyph, name)) for name, spec in specs.items()
    )
    return [v.field for v in values if isinstance(v, Field)]
