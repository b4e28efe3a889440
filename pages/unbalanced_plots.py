"""Drawing for /unbalanced: what each bar sends, loses or gains, and the plan as a heat map.

The numbers come from :mod:`ot_engine.unbalanced` through the page model; the functions that
turn a solution into source data are pure (unit-tested). Each figure class owns its sources
and has an ``update``. The draggable bars are :class:`pages.components.histogram.Histogram`;
this module only adds overlays on their figures.
"""

from __future__ import annotations

import html

import numpy as np
from bokeh.models import ColumnDataSource, HoverTool

from pages import theme
from pages.components import heatmap
from pages.components.readouts import readout
from pages.transport_plan_plots import PALETTE, plan_codes

#: Largest height a reader can drag a bar to.
YMAX = 1.0
#: The histograms' axes go a bit higher: a bar that *receives* more than it holds (created
#: mass at the source, excess at the target) is drawn above its own height.
Y_TOP = 1.45

#: Overlay styles: hatched = destroyed (crossed out), dashed outline = created. Patterns as
#: well as colour, so they read without colour vision and in print.
DESTROYED_STYLE = {
    "fill_color": "white",
    "fill_alpha": 0.55,
    "hatch_pattern": "x",
    "hatch_color": "#333333",
    "hatch_alpha": 0.8,
    "hatch_scale": 6,
    "line_color": None,
}
CREATED_STYLE = {
    "fill_color": theme.PLAN_COLOR,
    "fill_alpha": 0.25,
    "hatch_pattern": "/",
    "hatch_color": theme.PLAN_COLOR,
    "hatch_scale": 6,
    "line_color": theme.PLAN_COLOR,
    "line_alpha": "extra_line",
    "line_dash": "dashed",
    "line_width": 1.5,
}


def bar_parts(x: np.ndarray, held: np.ndarray, moved: np.ndarray, n: int) -> dict:
    """Per-bar source data, in bar heights (mass times ``n``, the bin count).

    ``held`` is what the bar holds, ``moved`` what the plan sends from it (or brings to it).
    Columns: ``lost_bottom/lost_top`` (destroyed at a source bar, or created-to-fill at a
    target: the part of the bar the plan does not use), ``extra_bottom/extra_top`` (what the
    plan uses beyond the bar), and the masses for the hover.

    >>> d = bar_parts(np.array([0.25, 0.75]), np.array([0.3, 0.1]), np.array([0.2, 0.15]), 2)
    >>> def show(key):
    ...     return [round(float(v), 12) for v in d[key]]
    >>> show("lost_bottom"), show("lost_top"), show("extra_bottom"), show("extra_top")
    ([0.4, 0.2], [0.6, 0.2], [0.6, 0.2], [0.6, 0.3])
    """
    h = held * n
    s = moved * n
    return {
        "x": x,
        "lost_bottom": np.minimum(s, h),
        "lost_top": h,
        "extra_bottom": h,
        "extra_top": np.maximum(s, h),
        # no outline on a bar the plan does not overfill (it would draw a dash on its top)
        "extra_line": np.where(s > h * (1 + 1e-9) + 1e-12, 1.0, 0.0),
        "held": held,
        "moved": moved,
        "short": np.maximum(held - moved, 0.0),
        "over": np.maximum(moved - held, 0.0),
    }


class BarOverlay:
    """On one draggable histogram: the unused part of each bar hatched, the excess dashed.

    For the source ``p`` the unused part is mass destroyed and the excess mass created at the
    source; for the target ``q`` the unused part is mass that has to be created and the excess
    mass destroyed on arrival (the two labels are passed in).
    """

    def __init__(self, hist, lost_label: str, extra_label: str, name: str) -> None:
        n = hist.x.size
        zeros = np.zeros(n)
        self.source = ColumnDataSource(bar_parts(hist.x, zeros, zeros, 1), name=name)
        fig = hist.figure
        fig.y_range.end = Y_TOP
        width = float(hist.x[1] - hist.x[0]) if n > 1 else 1.0
        self.lost = fig.vbar(
            x="x",
            bottom="lost_bottom",
            top="lost_top",
            width=width,
            source=self.source,
            **DESTROYED_STYLE,
        )
        self.extra = fig.vbar(
            x="x",
            bottom="extra_bottom",
            top="extra_top",
            width=width,
            source=self.source,
            **CREATED_STYLE,
        )
        fig.add_tools(
            HoverTool(
                renderers=[self.lost, self.extra],
                tooltips=[
                    ("x", "@x{0.000}"),
                    ("holds", "@held{0.0000e}"),
                    ("moved", "@moved{0.0000e}"),
                    (lost_label, "@short{0.0000e}"),
                    (extra_label, "@over{0.0000e}"),
                ],
            )
        )

    def update(self, x, held, moved, n, stale: bool) -> None:
        """Redraw from a solution; sent as float32 (half the bytes; hover shows 5 digits)."""
        alpha = 0.3 if stale else 1.0
        for r in (self.lost, self.extra):
            r.glyph.fill_alpha = (
                DESTROYED_STYLE["fill_alpha"] if r is self.lost else CREATED_STYLE["fill_alpha"]
            ) * alpha
            r.glyph.hatch_alpha = 0.8 * alpha
        self.source.data = {
            k: v.astype(np.float32) for k, v in bar_parts(x, held, moved, n).items()
        }

    def set_width(self, width: float) -> None:
        for r in (self.lost, self.extra):
            r.glyph.width = width


class PlanHeat:
    """The plan as a heat map: rows are source bins (up), columns target bins (across)."""

    def __init__(self, n: int, size: int) -> None:
        self.source = ColumnDataSource({"image": [np.zeros((n, n), np.uint8)]}, name="ub_image")
        fig = heatmap.unit_square_figure(
            size,
            "ub_heat",
            x_axis_label="target y (q)",
            y_axis_label="source x (p)",
            title="plan P: mass moved from x to y",
        )
        self.renderer = heatmap.code_image(fig, self.source, PALETTE)
        bar = heatmap.colour_bar(PALETTE, "mass of a cell / largest cell mass")
        fig.add_layout(bar, "below")
        self.figure = fig

    def update(self, plan: np.ndarray | None, stale: bool) -> None:
        self.renderer.glyph.global_alpha = 0.25 if stale else 1.0
        if plan is not None:
            # the image's rows run up the y axis: row i = source bin i
            self.source.data = {"image": [plan_codes(plan, False)]}


def legend_html(font_px: int = 16) -> str:
    """What the overlays mean, with swatches drawn by CSS (patterns named in words too)."""
    dash = f"border:2px dashed {theme.PLAN_COLOR};background:rgba(0,158,115,0.25)"
    hatch = (
        "border:1px solid #333;background:repeating-linear-gradient(45deg,#fff 0 3px,#333 3px 4px)"
    )
    sw = "display:inline-block;width:1.1em;height:0.8em;vertical-align:middle;margin:0 4px 0 0;"
    return (
        f'<p style="margin:2px 0;font-size:{font_px}px;line-height:1.4">'
        f'<span style="{sw}{hatch}" aria-hidden="true"></span>'
        "crossed out: not used by the plan (destroyed at p, created at q)"
        f'<br><span style="{sw}{dash}" aria-hidden="true"></span>'
        "dashed: used beyond the bar (created at p, destroyed at q)</p>"
    )


#: Keys of the readout rows (and what a flagged row says under itself).
READOUT_FLAGS = {
    "error": "above the solver's tolerance: the plan is not optimal yet",
    "converged": "the solver stopped before its tolerance: read the numbers with care",
}


def readout_table_rows(rows: list[tuple[str, str, str, bool]]) -> list[list[str]]:
    """``(key, label, value, flagged)`` rows as rows of the shared table.

    >>> readout_table_rows([("cost", "cost ⟨C, P⟩", "0.5", False)])
    [['cost', 'cost ⟨C, P⟩', '', '0.5', '']]
    """
    return [
        readout(key, label, value, flag=READOUT_FLAGS.get(key, "flagged") if warn else "")
        for key, label, value, warn in rows
    ]


def problem_html(problem: str) -> str:
    """Why the plan shown is not current (empty when it is), as an alert."""
    if not problem:
        return ""
    return (
        f'<p role="alert" style="color:{theme.WARNING_COLOR};font-weight:600;margin:0 0 4px">'
        f"{html.escape(problem)}</p>"
    )
