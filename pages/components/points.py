"""Draggable points in the plane: one class owning its source, its figure and its browser code.

For the pages to come (sliced transport, persistence diagrams, domain adaptation): a cloud of
points in groups (colour AND marker shape per group), moved in the browser with no round trip:

- mouse and touch: drag a point (Bokeh pan events edit the source in the browser); a tap on
  empty space adds a point, a double tap on a point removes it (when allowed);
- keyboard: Tab focuses the plot and picks the first point, Tab / Shift+Tab pick the next /
  previous point (past the last one Tab leaves the plot: no keyboard trap), arrows move the
  picked point (Shift: ten times as far), Delete removes it, Insert or "+" adds one in the
  middle; a ring marks the picked point and a live text names it with its coordinates;
- every position is clamped to ``bounds`` in the browser.

The browser sends the points (at most one sync per animation frame while dragging, and one on
release) through a separate ``moves`` source, packed as one flat array ``[seq, settled, x0, y0,
g0, x1, ...]``. Anything a browser sends is forgeable: :func:`parse_moves` checks the type,
size and shape before any per-value work, then finiteness, bounds, groups and counts. A valid
sync reaches ``on_change(xy, groups, settled)``; an invalid one is dropped and the server's
points are written back to the browser. The drawn source is written only by the server's
:meth:`DraggablePoints.update` and never while the student drags (the update waits for the
release).
"""

from __future__ import annotations

import array
import logging
from collections.abc import Callable, Sequence

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource, CustomJS, Range1d, Scatter
from bokeh.plotting import figure
from bokeh.transform import factor_cmap, factor_mark

from pages import theme
from pages.components import js
from pages.components.flow import Flow

log = logging.getLogger(__name__)

#: Okabe-Ito colours (colour-blind safe), and a marker shape per group so that groups differ
#: by more than colour.
PALETTE = (theme.SOURCE_COLOR, theme.TARGET_COLOR, theme.PLAN_COLOR, "#CC79A7")
MARKERS = ("circle", "square", "triangle", "diamond")
#: Head of a sync: sequence number, settled flag (0 while a drag goes on, 1 on release).
HEAD = 2
#: Per point in a sync: x, y, group.
STRIDE = 3

OnChange = Callable[[np.ndarray, np.ndarray, bool], None]


class Moves:
    """A validated sync from the browser."""

    __slots__ = ("groups", "seq", "settled", "xy")

    def __init__(self, seq: int, settled: bool, xy: np.ndarray, groups: np.ndarray) -> None:
        self.seq, self.settled, self.xy, self.groups = seq, settled, xy, groups


def parse_moves(
    data: object,
    *,
    bounds: tuple[tuple[float, float], tuple[float, float]],
    n_groups: int,
    max_points: int,
    min_points: int = 0,
) -> Moves:
    """Check a browser sync (``{"m": [seq, settled, x0, y0, g0, ...]}``); raise ValueError.

    Size and shape come first, so a huge or oddly shaped payload costs nothing per value.
    """
    if not isinstance(data, dict) or set(data) != {"m"}:
        raise ValueError("not a points sync")
    raw = data["m"]
    limit = HEAD + STRIDE * max_points
    if isinstance(raw, np.ndarray):
        if raw.ndim != 1 or raw.size > limit or raw.dtype.kind not in "fiu":
            raise ValueError("wrong shape or type")
        flat = raw.astype(np.float64)
    elif isinstance(raw, array.array):  # how Bokeh hands over a browser's typed array
        if len(raw) > limit or raw.typecode not in "bBhHiIlLqQfd":
            raise ValueError("wrong size or type")
        flat = np.asarray(raw, dtype=np.float64)
    elif isinstance(raw, list | tuple):
        if len(raw) > limit:
            raise ValueError("too long")
        if not all(type(v) in (int, float) for v in raw):
            raise ValueError("not all numbers")
        flat = np.array(raw, dtype=np.float64)
    else:
        raise ValueError("not an array")
    if flat.size < HEAD or (flat.size - HEAD) % STRIDE:
        raise ValueError("wrong length")
    if not np.isfinite(flat).all():
        raise ValueError("not finite")
    seq, settled = flat[0], flat[1]
    if seq < 0 or seq != np.floor(seq) or settled not in (0.0, 1.0):
        raise ValueError("bad header")
    body = flat[HEAD:].reshape(-1, STRIDE)
    n = body.shape[0]
    if not min_points <= n <= max_points:
        raise ValueError("wrong number of points")
    xy, g = body[:, :2].copy(), body[:, 2]
    (x0, x1), (y0, y1) = bounds
    if not ((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)).all():
        raise ValueError("out of bounds")
    if not ((g == np.floor(g)) & (g >= 0) & (g < n_groups)).all():
        raise ValueError("bad group")
    return Moves(int(seq), bool(settled), xy, g.astype(np.int64))


class DraggablePoints:
    """Points in the plane that the student drags; ``update`` sets them from the server.

    ``on_change(xy, groups, settled)`` gets every valid sync from the browser (``settled`` is
    False while a drag goes on). ``groups`` index ``palette`` / ``markers`` / ``group_names``.
    """

    def __init__(
        self,
        points: Sequence[Sequence[float]] | np.ndarray,
        groups: Sequence[int] | np.ndarray | None = None,
        *,
        bounds: tuple[tuple[float, float], tuple[float, float]] = ((-1.0, 1.0), (-1.0, 1.0)),
        on_change: OnChange | None = None,
        max_points: int = 100,
        min_points: int = 0,
        can_add: bool = False,
        can_remove: bool = False,
        add_group: int = 0,
        group_names: Sequence[str] = ("point",),
        palette: Sequence[str] = PALETTE,
        markers: Sequence[str] = MARKERS,
        label: str = "Points",
        size: int = 12,
        step: float = 0.01,
        digits: int = 2,
        axes: bool = True,
        name: str | None = None,
        **figure_options,
    ) -> None:
        (x0, x1), (y0, y1) = bounds
        if not (x0 < x1 and y0 < y1):
            raise ValueError("bounds must be ((x0, x1), (y0, y1)) with x0 < x1 and y0 < y1")
        self.bounds = ((float(x0), float(x1)), (float(y0), float(y1)))
        self.n_groups = len(group_names)
        if not 0 <= add_group < self.n_groups or self.n_groups > min(len(palette), len(markers)):
            raise ValueError("add_group, group_names, palette and markers do not fit together")
        self.max_points, self.min_points = int(max_points), int(min_points)
        self.on_change = on_change
        self.can_add, self.can_remove = bool(can_add), bool(can_remove)
        self.rejected = 0
        self.last_seq = 0
        self._dragging = False
        self._pending: tuple[np.ndarray, np.ndarray] | None = None
        xy, g = self._checked(points, groups)
        self._xy, self._groups = xy, g
        factors = [str(i) for i in range(self.n_groups)]
        self.source = ColumnDataSource(self._columns(xy, g), name=name and f"{name}_points")
        # Browser -> server only: the packed sync (see parse_moves), through the shared flow
        # (one sync in flight, latest wins). The server never writes it.
        self.moves = ColumnDataSource({"m": []}, name=name and f"{name}_moves")
        self.flow = Flow(self._apply_moves, name=name and f"{name}_answer")
        limit = HEAD + STRIDE * self.max_points + 8
        self.flow.listen(self.moves, self._parse_moves, max_items=limit)
        pad = 0.04
        sx, sy = (x1 - x0) * pad, (y1 - y0) * pad
        options = dict(
            height=400,
            sizing_mode="stretch_width",
            tools="",
            toolbar_location=None,
            x_range=Range1d(x0 - sx, x1 + sx),
            y_range=Range1d(y0 - sy, y1 + sy),
            name=name,
            title=None,  # no Title model unless the page asks for one
        )
        options.update(figure_options)
        fig = figure(**options)
        if not axes:
            fig.axis.visible = False
        renderer = fig.scatter(
            "x",
            "y",
            source=self.source,
            size=size,
            color=factor_cmap("group", list(palette[: self.n_groups]), factors),
            marker=factor_mark("group", list(markers[: self.n_groups]), factors),
            line_color="white",
        )
        # The picked point: a thick dark ring around it (a shape cue, not just a colour). Other
        # points keep their look (no faded "nonselection" copy, no muted copy: fewer models).
        renderer.selection_glyph = Scatter(
            marker=renderer.glyph.marker,
            fill_color=renderer.glyph.fill_color,
            size=size + 6,
            line_color="#111111",
            line_width=3,
        )
        renderer.nonselection_glyph = None
        renderer.muted_glyph = None
        theme.style_figure(fig)
        callback = CustomJS(
            args=dict(
                plot=fig,
                source=self.source,
                moves=self.moves,
                answer=self.flow.answer_source,
                x0=x0,
                x1=x1,
                y0=y0,
                y1=y1,
                max_points=self.max_points,
                min_points=self.min_points,
                can_add=bool(can_add),
                can_remove=bool(can_remove),
                add_group=str(add_group),
                group_names=list(group_names),
                label=label,
                radius=size / 2 + 6,
                step=float(step),
                digits=int(digits),
            ),
            code=js.code("components/points.js", Flow.JS, js.BOKEH_COMPAT),
        )
        for event in ("panstart", "pan", "panend", "tap", "doubletap"):
            fig.js_on_event(event, callback)
        fig.js_on_change("inner_width", callback)  # sets up the keyboard once laid out
        self.figure = fig
        self.renderer = renderer

    # --- the page's side ------------------------------------------------------------------

    @property
    def xy(self) -> np.ndarray:
        """The accepted positions, shape (n, 2) (a copy)."""
        return self._xy.copy()

    @property
    def groups(self) -> np.ndarray:
        return self._groups.copy()

    @property
    def dragging(self) -> bool:
        return self._dragging

    def pane(self, **options) -> pn.pane.Bokeh:
        return pn.pane.Bokeh(self.figure, **{"sizing_mode": "stretch_width", **options})

    def update(
        self, points: Sequence[Sequence[float]] | np.ndarray, groups: Sequence[int] | None = None
    ) -> None:
        """Set the points from the server (clamped to the bounds).

        While the student drags, the source is theirs: the update waits for the release, and
        the newest update wins.
        """
        xy, g = self._checked(points, groups)
        if self._dragging:
            self._pending = (xy, g)
            return
        self._write(xy, g)

    # --- internals ----------------------------------------------------------------------------

    def _checked(self, points, groups) -> tuple[np.ndarray, np.ndarray]:
        xy = np.array(points, dtype=np.float64).reshape(-1, 2) if len(points) else np.zeros((0, 2))
        if xy.shape[0] > self.max_points or not np.isfinite(xy).all():
            raise ValueError(f"need at most {self.max_points} finite points")
        (x0, x1), (y0, y1) = self.bounds
        xy[:, 0] = np.clip(xy[:, 0], x0, x1)
        xy[:, 1] = np.clip(xy[:, 1], y0, y1)
        g = np.zeros(len(xy), np.int64) if groups is None else np.array(groups, dtype=np.int64)
        if g.shape != (len(xy),) or ((g < 0) | (g >= self.n_groups)).any():
            raise ValueError("one group index per point, each below len(group_names)")
        return xy, g

    @staticmethod
    def _columns(xy: np.ndarray, g: np.ndarray) -> dict:
        return {"x": xy[:, 0].copy(), "y": xy[:, 1].copy(), "group": [str(int(v)) for v in g]}

    def _write(self, xy: np.ndarray, g: np.ndarray) -> None:
        self._xy, self._groups = xy, g
        # A new dict always reaches the browser, equal or not (Bokeh sends every CDS data set).
        self.source.data = self._columns(xy, g)

    def _parse_moves(self, data: dict) -> dict:
        """A sync from the browser, validated, as ``{"moves": Moves}``; an invalid one puts the
        server's points back and is answered with ``{}`` (the flow answers it all the same)."""
        try:
            moves = parse_moves(
                data,
                bounds=self.bounds,
                n_groups=self.n_groups,
                max_points=self.max_points,
                min_points=self.min_points,
            )
            n, now = len(moves.xy), len(self._xy)
            if (n > now and not self.can_add) or (n < now and not self.can_remove):
                raise ValueError("points added or removed where that is not allowed")
            if not (self.can_add or self.can_remove) and (moves.groups != self._groups).any():
                raise ValueError("groups changed")
        except ValueError as err:
            self.rejected += 1
            log.debug("points sync rejected: %s", err)
            self._dragging = False
            self._write(*(self._pending or (self._xy, self._groups)))
            self._pending = None
            return {}
        # Kept at once (a later sync is checked against it); the page hears in the flow's run.
        self.last_seq = moves.seq
        self._xy, self._groups = moves.xy, moves.groups
        self._dragging = not moves.settled
        if moves.settled and self._pending is not None:
            pending, self._pending = self._pending, None
            self._write(*pending)  # the server's update, held back during the drag
        return {"moves": moves}

    def _apply_moves(self, update: dict) -> None:
        """The flow's run: the newest valid sync reaches the page."""
        moves = update.get("moves")
        if moves is not None and self.on_change is not None:
            self.on_change(self.xy, self.groups, moves.settled)
