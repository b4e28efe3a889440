"""A draggable histogram: one Bokeh figure of bars a reader drags, taps or sets by keyboard.

The class owns its ColumnDataSource (columns ``x``, ``top``), its figure (a ``vbar``, no
toolbar: the pan tool would move the plot), its browser code (``assets/js/components/
histogram.js``: mouse and touch through Bokeh's pan/tap events, and the keyboard) and its
flow control (:mod:`pages.components.flow`). It knows nothing of what the bars mean: a page
gets the browser's heights through a callback (or a shared
:class:`~pages.components.flow.Flow`) and sends its own with :meth:`Histogram.update`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from bokeh.models import ColumnDataSource, Range1d
from bokeh.plotting import figure

from pages import theme
from pages.components import js
from pages.components.flow import Flow

#: Most bars a histogram draws (the pages use up to 256 bins).
MAX_BINS = 512


class Histogram:
    """Bars at centres ``x`` with ``heights`` in ``[0, ymax]``, dragged in the browser.

    The browser's heights reach the page as ``on_heights(heights)`` through a flow of the
    histogram's own, or, given a shared ``flow`` (one answer for several figures of a page),
    as ``{key: heights}`` in that flow's update. ``normalize`` maps the browser's heights to
    the ones the page keeps (e.g. rounded); :meth:`update` with those same heights then sends
    nothing back, so a bar being dragged is never written under the pointer.
    """

    def __init__(
        self,
        x: np.ndarray,
        heights: np.ndarray,
        *,
        on_heights: Callable[[np.ndarray], None] | None = None,
        flow: Flow | None = None,
        key: str = "heights",
        normalize: Callable[[np.ndarray], np.ndarray] | None = None,
        ymax: float = 1.0,
        title: str = "",
        label: str = "histogram",
        color: str = theme.SOURCE_COLOR,
        width: int = 330,
        height: int = 170,
        x_range=None,
        name: str | None = None,
    ) -> None:
        self.key = key
        self.ymax = float(ymax)
        self._normalize = normalize or (lambda h: h)
        x = np.asarray(x, dtype=np.float64)
        self.heights = np.asarray(heights, dtype=np.float64).copy()
        self._x = x.copy()  # the server's centres (the source's may be a browser's)
        self.source = ColumnDataSource({"x": x.copy(), "top": self.heights.copy()}, name=name)
        # The last bars the server wrote: Bokeh reports those writes through on_change too
        # (after the document's hold, if any); they are not browser syncs.
        self._pushed = None
        if flow is None:
            if on_heights is None:
                raise ValueError("a histogram needs on_heights or a shared flow")
            flow = Flow(lambda update: on_heights(update[key]))
        self.flow = flow
        # A sync carries the centres and the heights: two columns of at most MAX_BINS.
        flow.listen(self.source, self._parse, max_items=2 * MAX_BINS + 16)

        self.figure = self._draw(x, title, color, width, height, x_range, name)
        # One callback for the pointer (pan/tap) and the keyboard (set up once the figure has a
        # size): one model, and the shared flow code once per histogram.
        code = js.custom_js(
            "components/histogram.js",
            Flow.JS,
            js.BOKEH_COMPAT,
            source=self.source,
            answer=flow.answer_source,
            ymax=self.ymax,
            label=label,
        )
        for event in ("panstart", "pan", "panend", "tap"):
            self.figure.js_on_event(event, code)
        self.figure.js_on_change("inner_width", code)

    def _draw(self, x, title, color, width, height, x_range, name) -> figure:
        """The figure: bars one bin wide on a fixed height axis, no toolbar."""
        fig = figure(
            height=height,
            width=width,
            x_range=x_range if x_range is not None else Range1d(0, 1),
            y_range=Range1d(0, self.ymax * 1.04),
            tools="",
            toolbar_location=None,
            title=title,
            name=None if name is None else f"{name}_fig",
        )
        theme.style_figure(fig)
        fig.xaxis.visible = False
        fig.yaxis.ticker.desired_num_ticks = 3
        bars = fig.vbar(
            x="x", top="top", width=_bin_width(x), source=self.source, color=color, alpha=0.85
        )
        # The selection is the keyboard's cursor.
        bars.selection_glyph = bars.glyph.clone(line_color="black", line_width=2)
        bars.nonselection_glyph = bars.glyph.clone(fill_alpha=0.45, line_alpha=0.45)
        self._glyphs = [bars.glyph, bars.selection_glyph, bars.nonselection_glyph]
        return fig

    @property
    def x(self) -> np.ndarray:
        return self._x

    def overlay(self, source: ColumnDataSource, **style):
        """Draw bars of ``source`` (columns ``x``, ``top``) on this figure, one bin wide (kept
        in step by :meth:`update`); e.g. a highlighted bar."""
        r = self.figure.vbar(x="x", top="top", width=_bin_width(self.x), source=source, **style)
        self._glyphs.append(r.glyph)
        return r

    def update(self, heights: np.ndarray, x: np.ndarray | None = None) -> bool:
        """Show ``heights`` (on new centres ``x``, if given); returns whether anything was sent.

        Heights equal to what the browser holds are not sent: never write back into a source
        that is being dragged."""
        heights = np.asarray(heights, dtype=np.float64)
        new_x = x is not None and (x.size != self.x.size or not np.array_equal(x, self.x))
        if not new_x and np.array_equal(heights, self.heights):
            return False
        self.heights = heights.copy()
        self._pushed = heights.copy()
        if new_x:
            x = np.asarray(x, dtype=np.float64)
            self._x = x.copy()
            for glyph in self._glyphs:
                glyph.width = _bin_width(x)
            self.source.data = {"x": x.copy(), "top": self._pushed}
        else:
            self.source.data = {"x": self.x, "top": self._pushed}
        return True

    def _parse(self, data: dict) -> dict | None:
        """A browser sync as ``{key: heights}`` (None for the server's own write)."""
        top = data.get("top")
        if top is self._pushed:
            return None
        # Size and shape before any per-value work: exactly the bars the server drew.
        n = len(self.heights)
        if not _is_column(top, n) or not _is_column(data.get("x"), n) or len(data) != 2:
            self._pushed = self.heights.copy()
            self.source.data = {"x": self._x.copy(), "top": self._pushed}  # put them back
            return {}
        try:
            raw = np.nan_to_num(np.asarray(top, dtype=np.float64), nan=0.0)
        except (TypeError, ValueError):
            return {}
        self.heights = self._normalize(np.clip(raw, 0.0, self.ymax))
        return {self.key: self.heights}


def _is_column(value, n: int) -> bool:
    """A flat column of ``n`` entries (list, typed array or 1-D numpy array)."""
    if isinstance(value, np.ndarray):
        return value.shape == (n,) and value.dtype.kind in "fiu"
    return isinstance(value, list | tuple) and len(value) == n


def _bin_width(x: np.ndarray) -> float:
    return float(x[1] - x[0]) if x.size > 1 else 1.0
