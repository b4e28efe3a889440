"""Drawing for the transport-plan page: Bokeh figures and the data their sources receive.

Everything here is drawing: the numbers come from :mod:`ot_engine` through the page model.
The functions that turn a solution into source data are pure (unit-tested); each figure is a
class that owns its sources and has an ``update`` (the two draggable histograms are
:class:`pages.components.histogram.Histogram`), wired with ``assets/js/transport_plan_*.js``.

What one update sends is kept small, since a whole class shares one server: the plan goes
out as one byte per cell (the 256 colours of the palette, so nothing visible is lost), the
moved-mass lines only for entries that matter (capped), in float32.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
from bokeh.layouts import gridplot
from bokeh.models import (
    ColumnDataSource,
    CustomJS,
    FixedTicker,
    HoverTool,
    LinearColorMapper,
    LinearInterpolator,
    LogColorMapper,
    Range1d,
)
from bokeh.palettes import Viridis256
from bokeh.plotting import figure
from bokeh.transform import transform

from pages import compat, theme
from pages.components import heatmap, js
from pages.components.readouts import readout

#: Bars are drawn on a fixed axis (heights are relative: the solver normalizes them).
YMAX = 1.0
#: Decades below the largest entry that the log colour scale shows.
LOG_DECADES = 6
#: Moved-mass lines: only entries above this fraction of the largest entry, at most MAX_LINES.
LINE_THRESHOLD = 5e-3
MAX_LINES = 300


@dataclass(frozen=True)
class Sizes:
    """Figure sizes in pixels."""

    flow_width: int  # the two histograms and the lines between them
    bar_height: int  # each histogram
    lines_height: int
    heat: int  # the plan's frame (square)
    margin: int  # frames of the marginals beside the plan
    readouts: tuple[int, int]  # width, min height of the numbers' table
    colorbar_below: bool = True  # the plan's colour bar under it (narrow screens) or beside it


#: Both blocks side by side next to the controls at 1280 px; each block alone fits a 360 px
#: phone (the plan's colour bar lies under it, not beside it).
FULL = Sizes(330, 170, 130, 224, 52, (340, 262))
#: An iframe 700 px wide and 600 high (``?embed=1``): both blocks side by side, controls above.
COMPACT = Sizes(290, 112, 76, 172, 40, (340, 206), colorbar_below=False)
#: Room under the plan for its axis (and the colour bar when it lies there); the p marginal
#: beside it keeps the same, so the two frames line up.
PLAN_BORDER_BOTTOM = 112
PLAN_AXIS_BOTTOM = 48


def _border_bottom(sizes: Sizes) -> int:
    return PLAN_BORDER_BOTTOM if sizes.colorbar_below else PLAN_AXIS_BOTTOM


PALETTE = Viridis256  # theme.PLAN_PALETTE, as a list of 256 colours
assert theme.PLAN_PALETTE == "Viridis256"


# --- data for the sources (pure functions) ---------------------------------------------------


def plan_codes(plan: np.ndarray, log_scale: bool) -> np.ndarray:
    """The plan as palette indices 0..255 (uint8), linear in the mass or in its log.

    Linear: index = mass / max * 255. Log: the ``LOG_DECADES`` decades below the largest entry
    are spread over the palette; smaller entries (and zeros) get index 0.
    """
    top = float(plan.max())
    if top <= 0.0:
        return np.zeros(plan.shape, dtype=np.uint8)
    rel = plan / top
    if log_scale:
        with np.errstate(divide="ignore"):
            rel = (np.log10(rel) + LOG_DECADES) / LOG_DECADES
    return np.rint(np.clip(rel, 0.0, 1.0) * 255).astype(np.uint8)


def line_data(plan: np.ndarray, x: np.ndarray) -> dict[str, np.ndarray]:
    """Segments of moved mass: the largest entries above ``LINE_THRESHOLD`` of the maximum."""
    top = float(plan.max())
    flat = plan.ravel()
    keep = np.flatnonzero(flat >= LINE_THRESHOLD * top) if top > 0 else np.array([], int)
    if keep.size > MAX_LINES:
        keep = keep[np.argpartition(flat[keep], -MAX_LINES)[-MAX_LINES:]]
    keep = keep[np.argsort(flat[keep])]  # heaviest drawn last, on top
    i, j = np.divmod(keep, plan.shape[1])
    mass = flat[keep]
    return {
        "x0": x[i].astype(np.float32),
        "x1": x[j].astype(np.float32),
        "mass": mass.astype(np.float32),
        "weight": (mass / top if top > 0 else mass).astype(np.float32),
        "i": i.astype(np.int16),
        "j": j.astype(np.int16),
    }


EMPTY_LINES = {k: np.zeros(0, np.float32) for k in ("x0", "x1", "mass", "weight")} | {
    "i": np.zeros(0, np.int16),
    "j": np.zeros(0, np.int16),
}
EMPTY_POINTS = {"x": np.zeros(0, np.float32), "y": np.zeros(0, np.float32)}


#: Keys of the readout rows, in the order of ``Solution.readout_rows``.
READOUT_KEYS = (
    "cost",
    "w",
    "w_exact",
    "objective",
    "eps",
    "solver",
    "iterations",
    "marginal_error",
    "converged",
    "time",
)
#: What a flagged row says under itself (the shared table marks it by more than colour).
READOUT_FLAGS = {
    "marginal_error": "above the solver's tolerance: the plan is not admissible",
    "converged": "the solver stopped before its tolerance: read the numbers with care",
}


def readout_table_rows(rows: list[tuple[str, str, bool]]) -> list[list[str]]:
    """``Solution.readout_rows`` as rows of the shared table (pages.components.readouts).

    >>> readout_table_rows([("transport cost ⟨C, π⟩", "0.5", False)])
    [['cost', 'transport cost ⟨C, π⟩', '', '0.5', '']]
    """
    return [
        readout(key, label, value, flag=READOUT_FLAGS.get(key, "flagged") if warn else "")
        for key, (label, value, warn) in zip(READOUT_KEYS, rows, strict=False)
    ]


def problem_html(problem: str) -> str:
    """Why the plan shown is not current (empty when it is), as an alert."""
    if not problem:
        return ""
    return (
        f'<p role="alert" style="color:{theme.WARNING_COLOR};font-weight:600;margin:0 0 4px">'
        f"{html.escape(problem)}</p>"
    )


# --- the Bokeh models of one session ---------------------------------------------------------
# The colour bar is relative (entry / largest entry) so it never changes during a drag: any
# change to a layout-bearing model (axis ticks, a Div's text) makes BokehJS lay out the whole
# page again, which cost ~8 ms a frame here. Numbers go to Panel HTML panes instead.


class Marks:
    """The bars of p and q that a hovered cell or line joins, and the hovered (i, j)."""

    def __init__(self, p_source: ColumnDataSource, q_source: ColumnDataSource) -> None:
        # Drawn by the browser alone: not synced, so a hover sends the server nothing.
        self.p = ColumnDataSource({"x": [], "top": []}, syncable=False)
        self.q = ColumnDataSource({"x": [], "top": []}, syncable=False)
        # Synced to the server, which writes the exact amount under the plan: the browser may
        # write this source, one (i, j) pair (a few JSON items as Bokeh encodes it).
        self.probe = compat.browser_writable(
            ColumnDataSource({"i": [-1], "j": [-1]}, name="tp_probe"), 32, "data"
        )
        # The marked cell on the plan (x, y its centre, w its side): drawn by the browser alone.
        self.cursor = ColumnDataSource(
            {"x": [], "y": [], "w": []}, name="tp_cursor", syncable=False
        )
        self._args = {
            "p_source": p_source,
            "q_source": q_source,
            "p_mark": self.p,
            "q_mark": self.q,
            "probe": self.probe,
            "cursor": self.cursor,
            "focus_ring": theme.FOCUS_RING,
        }

    def hover_js(self, mode: str, lines: ColumnDataSource) -> CustomJS:
        args = self._args | {"lines": lines, "mode": mode}
        return js.custom_js("transport_plan_hover.js", js.BOKEH_COMPAT, **args)

    @property
    def cell(self) -> tuple[int, int]:
        return int(self.probe.data["i"][0]), int(self.probe.data["j"][0])


MARK_STYLE = {"fill_color": None, "line_color": "black", "line_width": 2}


class FlowFigure:
    """The moved mass between p (above) and q (below): one segment per heavy plan entry."""

    def __init__(self, sizes: Sizes, x_range, marks: Marks) -> None:
        self.source = ColumnDataSource(EMPTY_LINES, name="tp_lines")
        fig = figure(
            height=sizes.lines_height,
            width=sizes.flow_width,
            x_range=x_range,
            y_range=Range1d(-0.02, 1.02),
            tools="",
            toolbar_location=None,
        )
        theme.style_figure(fig)
        fig.xaxis.axis_label = "position on [0, 1]"
        fig.grid.visible = False
        self._alpha = LinearInterpolator(x=[0, 1], y=[0.12, 0.9])
        lines = fig.segment(
            x0="x0",
            y0=1,
            x1="x1",
            y1=0,
            source=self.source,
            line_color=theme.PLAN_COLOR,
            line_alpha=transform("weight", self._alpha),
            line_width=transform("weight", LinearInterpolator(x=[0, 1], y=[0.6, 6])),
        )
        lines.hover_glyph = lines.glyph.clone(line_color="black", line_alpha=1)
        fig.yaxis.ticker = FixedTicker(ticks=[0, 1])
        fig.yaxis.major_label_overrides = {0: "q", 1: "p"}
        fig.add_tools(
            HoverTool(
                renderers=[lines],
                tooltips=[
                    ("from x", "@x0{0.000}"),
                    ("to y", "@x1{0.000}"),
                    ("mass", "@mass{0.0000e}"),
                ],
                callback=marks.hover_js("line", self.source),
            )
        )
        self.figure = fig

    def update(self, plan: np.ndarray | None, x: np.ndarray, stale: bool) -> None:
        """The plan's heaviest entries as lines; faded while the plan is not current."""
        self._alpha.y = [0.03, 0.2] if stale else [0.12, 0.9]
        if plan is not None:
            self.source.data = line_data(plan, x)


class PlanFigure:
    """The plan as a heat map, p along its left side (rows), q along its top (columns)."""

    def __init__(
        self, sizes: Sizes, p_source, q_source, marks: Marks, lines: ColumnDataSource
    ) -> None:
        n = p_source.data["x"].size
        width = float(p_source.data["x"][1] - p_source.data["x"][0]) if n > 1 else 1.0
        self.image_source = ColumnDataSource(
            {"image": [np.zeros((n, n), np.uint8)]}, name="tp_image"
        )
        self.support_source = ColumnDataSource(EMPTY_POINTS)
        self.linear_mapper = LinearColorMapper(palette=PALETTE, low=0, high=1)
        self.log_mapper = LogColorMapper(palette=PALETTE, low=10.0**-LOG_DECADES, high=1)
        self.heat = self._heat(sizes)
        cell_hover = marks.hover_js("cell", lines)
        self.heat.js_on_event("mousemove", cell_hover)
        self.heat.js_on_event("mouseleave", cell_hover)
        self.heat.js_on_change("inner_width", marks.hover_js("keys", lines))  # the keyboard
        self.heat.rect(
            x="x",
            y="y",
            width="w",
            height="w",
            source=marks.cursor,
            fill_color=None,
            line_color=heatmap.SUPPORT_COLOR,
            line_width=2,
        )
        side_p, top_q = self._margins(sizes)
        self._bars = [
            side_p.hbar(
                y="x", right="top", height=width, source=p_source, color=theme.SOURCE_COLOR,
                alpha=0.85,
            ),
            side_p.hbar(y="x", right="top", height=width, source=marks.p, **MARK_STYLE),
            top_q.vbar(
                x="x", top="top", width=width, source=q_source, color=theme.TARGET_COLOR,
                alpha=0.85,
            ),
            top_q.vbar(x="x", top="top", width=width, source=marks.q, **MARK_STYLE),
        ]  # fmt: skip
        self.layout = gridplot(
            [[None, top_q], [side_p, self.heat]], toolbar_location=None, merge_tools=False
        )

    def _heat(self, sizes: Sizes) -> figure:
        # Frames are sized explicitly and borders matched: the marginals line up with the plan.
        heat = heatmap.unit_square_figure(
            sizes.heat,
            "tp_heat",
            x_axis_label="target y (columns, q)",
            min_border_left=4,
            min_border_top=4,
            min_border_bottom=_border_bottom(sizes),
            min_border_right=8,
        )
        heat.yaxis.visible = False
        self.image_renderer = heatmap.code_image(heat, self.image_source, PALETTE)
        heatmap.support_marks(heat, self.support_source)
        below = sizes.colorbar_below
        self.color_bar = heatmap.colour_bar(
            PALETTE,
            "mass of a cell / largest cell mass" if below else "cell / largest",
            below,
            self.linear_mapper,
        )
        # Under the plan, not beside it: beside, the plan was ~430 px wide, too wide for a phone.
        heat.add_layout(self.color_bar, "below" if below else "right")
        return heat

    def _margins(self, sizes: Sizes) -> tuple[figure, figure]:
        side_p = figure(
            frame_width=sizes.margin,
            frame_height=sizes.heat,
            y_range=self.heat.y_range,
            x_range=Range1d(YMAX * 1.04, 0),
            tools="",
            toolbar_location=None,
            y_axis_label="source x (rows, p)",
            min_border_top=4,
            min_border_bottom=_border_bottom(sizes),
            min_border_right=4,
        )
        top_q = figure(
            frame_width=sizes.heat,
            frame_height=sizes.margin,
            x_range=self.heat.x_range,
            y_range=Range1d(0, YMAX * 1.04),
            tools="",
            toolbar_location=None,
            min_border_left=4,
            min_border_bottom=4,
        )
        for fig in (side_p, top_q):
            theme.style_figure(fig)
            fig.grid.visible = False
        side_p.xaxis.visible = False
        top_q.axis.visible = False
        return side_p, top_q

    def set_bar_width(self, width: float) -> None:
        """The marginals' bars are one bin wide: call when the bin count changes."""
        for r in self._bars:
            if hasattr(r.glyph, "width"):
                r.glyph.width = width
            else:
                r.glyph.height = width

    def update(self, plan: np.ndarray | None, x, log_color: bool, support, stale: bool) -> None:
        """Draw ``plan`` (None: keep the last), the ``support`` plan's cells (None: none);
        faded while the plan is not current."""
        self.image_renderer.glyph.global_alpha = 0.25 if stale else 1.0
        if plan is None:
            return
        self.image_source.data = {"image": [plan_codes(plan, log_color)]}
        mapper = self.log_mapper if log_color else self.linear_mapper
        if self.color_bar.color_mapper is not mapper:
            self.color_bar.color_mapper = mapper
        new = heatmap.support_data(support, x) if support is not None else EMPTY_POINTS
        if len(new["x"]) or len(self.support_source.data["x"]):
            self.support_source.data = new
