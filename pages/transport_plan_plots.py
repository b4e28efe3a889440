"""Drawing for the transport-plan page: Bokeh figures and the data their sources receive.

Everything here is drawing: the numbers come from :mod:`ot_engine` through the page model.
The functions that turn a solution into source data are pure (unit-tested); the figure
builder makes one set of Bokeh models per session, wired with the browser-side code in
``assets/js/transport_plan_*.js``.

What one update sends is kept small, since a whole class shares one server: the plan goes
out as one byte per cell (the 256 colours of the palette, so nothing visible is lost), the
moved-mass lines only for entries that matter (capped), in float32.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from bokeh.layouts import column, gridplot
from bokeh.models import (
    ColorBar,
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

from pages import theme

JS_DIR = Path(__file__).resolve().parent.parent / "assets" / "js"
JS = {
    name: (JS_DIR / f"transport_plan_{name}.js").read_text()
    for name in ("drag", "ack", "keys", "hover", "eps")
}

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
    readouts: tuple[int, int]  # width, height of the numbers' box


#: Both blocks side by side next to the controls at 1280 px.
FULL = Sizes(330, 170, 130, 240, 60, (400, 250))
#: An iframe 700 px wide and 600 high (``?embed=1``): both blocks side by side, controls above.
COMPACT = Sizes(290, 140, 96, 188, 44, (340, 190))
#: Exact plan's support drawn over the entropic plan (reads on every Viridis colour).
SUPPORT_COLOR = "#ff3d7f"
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


def support_data(plan: np.ndarray, x: np.ndarray) -> dict[str, np.ndarray]:
    """Cells where an (exact) plan carries mass, as points on the heat map."""
    i, j = np.nonzero(plan > 0)
    return {"x": x[j].astype(np.float32), "y": x[i].astype(np.float32)}


EMPTY_LINES = {k: np.zeros(0, np.float32) for k in ("x0", "x1", "mass", "weight")} | {
    "i": np.zeros(0, np.int16),
    "j": np.zeros(0, np.int16),
}
EMPTY_POINTS = {"x": np.zeros(0, np.float32), "y": np.zeros(0, np.float32)}


def _row(label: str, value: str, *, warn: bool = False) -> str:
    style = f' style="color:{theme.WARNING_COLOR};font-weight:600"' if warn else ""
    return f"<tr><th>{html.escape(label)}</th><td{style}>{html.escape(value)}</td></tr>"


def readout_html(rows: list[tuple[str, str, bool]], problem: str) -> str:
    """The readout table (labels and numbers made by the page, escaped anyway)."""
    head = ""
    if problem:
        head = (
            f'<p role="alert" style="color:{theme.WARNING_COLOR};font-weight:600;margin:0 0 4px">'
            f"{html.escape(problem)}</p>"
        )
    body = "".join(_row(label, value, warn=warn) for label, value, warn in rows)
    return f'{head}<table class="tp-readouts">{body}</table>'


READOUT_CSS = """
table.tp-readouts { border-collapse: collapse; font-size: inherit; }
table.tp-readouts th { text-align: left; font-weight: normal; padding: 1px 10px 1px 0;
  opacity: 0.8; white-space: nowrap; }
table.tp-readouts td { font-variant-numeric: tabular-nums; padding: 1px 0; }
"""


# --- the Bokeh models of one session ---------------------------------------------------------
# The colour bar is relative (entry / largest entry) so it never changes during a drag: any
# change to a layout-bearing model (axis ticks, a Div's text) makes BokehJS lay out the whole
# page again, which cost ~8 ms a frame here. Numbers go to Panel HTML panes instead.


@dataclass
class PlanFigures:
    """Every Bokeh model the page updates, and the two layouts it shows."""

    p_source: ColumnDataSource
    q_source: ColumnDataSource
    image_source: ColumnDataSource
    lines_source: ColumnDataSource
    support_source: ColumnDataSource
    probe_source: ColumnDataSource
    answer_source: ColumnDataSource
    eps_request: ColumnDataSource
    p_mark: ColumnDataSource
    q_mark: ColumnDataSource
    linear_mapper: LinearColorMapper
    log_mapper: LogColorMapper
    color_bar: ColorBar
    image_renderer: object
    lines_renderer: object
    line_alpha: LinearInterpolator
    bar_glyphs: list
    flow_layout: object
    matrix_layout: object


def _bar_figure(name: str, title: str, height: int, width: int, x_range) -> figure:
    fig = figure(
        height=height,
        width=width,
        x_range=x_range,
        y_range=Range1d(0, YMAX * 1.04),
        tools="",
        toolbar_location=None,
        title=title,
        name=name,
    )
    theme.style_figure(fig)
    fig.xaxis.visible = False
    fig.yaxis.ticker.desired_num_ticks = 3
    return fig


def _draggable(fig: figure, source: ColumnDataSource, label: str) -> None:
    drag = CustomJS(args={"source": source, "ymax": YMAX}, code=JS["drag"])
    for event in ("panstart", "pan", "panend", "tap"):
        fig.js_on_event(event, drag)
    keys = CustomJS(args={"source": source, "ymax": YMAX, "label": label}, code=JS["keys"])
    fig.js_on_change("inner_width", keys)


def build_figures(x: np.ndarray, p: np.ndarray, q: np.ndarray, sizes: Sizes = FULL) -> PlanFigures:
    """One session's figures, with the bars at heights ``p`` and ``q`` on centres ``x``."""
    width = float(x[1] - x[0]) if x.size > 1 else 1.0
    p_source = ColumnDataSource({"x": x.copy(), "top": p.copy()}, name="tp_p")
    q_source = ColumnDataSource({"x": x.copy(), "top": q.copy()}, name="tp_q")
    p_mark = ColumnDataSource({"x": [], "top": []})
    q_mark = ColumnDataSource({"x": [], "top": []})
    image_source = ColumnDataSource(
        {"image": [np.zeros((x.size, x.size), np.uint8)]}, name="tp_image"
    )
    lines_source = ColumnDataSource(EMPTY_LINES, name="tp_lines")
    support_source = ColumnDataSource(EMPTY_POINTS)
    probe_source = ColumnDataSource({"i": [-1], "j": [-1]}, name="tp_probe")
    unit = Range1d(0, 1, bounds=(0, 1))

    # Left: p above, the moved mass, q below, on one shared x axis.
    p_fig = _bar_figure(
        "tp_p_fig", "source p: drag the bars", sizes.bar_height, sizes.flow_width, unit
    )
    q_fig = _bar_figure(
        "tp_q_fig", "target q: drag the bars", sizes.bar_height, sizes.flow_width, unit
    )
    bar_glyphs = []
    for fig, source, mark, color in (
        (p_fig, p_source, p_mark, theme.SOURCE_COLOR),
        (q_fig, q_source, q_mark, theme.TARGET_COLOR),
    ):
        r = fig.vbar(x="x", top="top", width=width, source=source, color=color, alpha=0.85)
        r.selection_glyph = r.glyph.clone(line_color="black", line_width=2)
        r.nonselection_glyph = r.glyph.clone(fill_alpha=0.45, line_alpha=0.45)
        bar_glyphs += [r.glyph, r.selection_glyph, r.nonselection_glyph]
        m = fig.vbar(
            x="x",
            top="top",
            width=width,
            source=mark,
            fill_color=None,
            line_color="black",
            line_width=2,
        )
        bar_glyphs.append(m.glyph)
    _draggable(p_fig, p_source, "source histogram p")
    _draggable(q_fig, q_source, "target histogram q")

    flow = figure(
        height=sizes.lines_height,
        width=sizes.flow_width,
        x_range=unit,
        y_range=Range1d(-0.02, 1.02),
        tools="",
        toolbar_location=None,
    )
    theme.style_figure(flow)
    flow.xaxis.axis_label = "position on [0, 1]"
    flow.grid.visible = False
    line_alpha = LinearInterpolator(x=[0, 1], y=[0.12, 0.9])
    lines_renderer = flow.segment(
        x0="x0",
        y0=1,
        x1="x1",
        y1=0,
        source=lines_source,
        line_color=theme.PLAN_COLOR,
        line_alpha=transform("weight", line_alpha),
        line_width=transform("weight", LinearInterpolator(x=[0, 1], y=[0.6, 6])),
    )
    lines_renderer.hover_glyph = lines_renderer.glyph.clone(line_color="black", line_alpha=1)
    flow.yaxis.ticker = FixedTicker(ticks=[0, 1])
    flow.yaxis.major_label_overrides = {0: "q", 1: "p"}
    hover_args = {
        "p_source": p_source,
        "q_source": q_source,
        "p_mark": p_mark,
        "q_mark": q_mark,
        "probe": probe_source,
        "lines": lines_source,
    }
    flow.add_tools(
        HoverTool(
            renderers=[lines_renderer],
            tooltips=[("from x", "@x0{0.000}"), ("to y", "@x1{0.000}"), ("mass", "@mass{0.0000e}")],
            callback=CustomJS(args=hover_args | {"mode": "line"}, code=JS["hover"]),
        )
    )

    # Right: the plan, p along its left side (rows), q along its top (columns).
    linear_mapper = LinearColorMapper(palette=PALETTE, low=0, high=1)
    log_mapper = LogColorMapper(palette=PALETTE, low=10.0**-LOG_DECADES, high=1)
    # Frames are sized explicitly and borders matched, so the marginals line up with the plan.
    heat = figure(
        frame_width=sizes.heat,
        frame_height=sizes.heat,
        x_range=Range1d(0, 1),
        y_range=Range1d(0, 1),
        tools="",
        toolbar_location=None,
        name="tp_heat",
        x_axis_label="target y (columns, q)",
        min_border_left=4,
        min_border_top=4,
        min_border_bottom=48,
    )
    theme.style_figure(heat)
    heat.grid.visible = False
    heat.yaxis.visible = False
    # Palette index k is drawn with colour k: the codes are the colours.
    code_mapper = LinearColorMapper(palette=PALETTE, low=-0.5, high=255.5)
    image_renderer = heat.image(
        image="image", x=0, y=0, dw=1, dh=1, source=image_source, color_mapper=code_mapper
    )
    heat.scatter(
        x="x",
        y="y",
        source=support_source,
        marker="square",
        size=5,
        fill_color=None,
        line_color=SUPPORT_COLOR,
        line_width=1.2,
    )
    color_bar = ColorBar(
        color_mapper=linear_mapper,
        width=12,
        title="π_ij / largest π_ij",
        title_text_font_style="normal",
        padding=6,
    )
    heat.add_layout(color_bar, "right")
    cell_hover = CustomJS(args=hover_args | {"mode": "cell"}, code=JS["hover"])
    heat.js_on_event("mousemove", cell_hover)
    heat.js_on_event("mouseleave", cell_hover)

    side_p = figure(
        frame_width=sizes.margin,
        frame_height=sizes.heat,
        y_range=heat.y_range,
        x_range=Range1d(YMAX * 1.04, 0),
        tools="",
        toolbar_location=None,
        y_axis_label="source x (rows, p)",
        min_border_top=4,
        min_border_bottom=48,
        min_border_right=4,
    )
    top_q = figure(
        frame_width=sizes.heat,
        frame_height=sizes.margin,
        x_range=heat.x_range,
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
    for r in (
        side_p.hbar(
            y="x", right="top", height=width, source=p_source, color=theme.SOURCE_COLOR, alpha=0.85
        ),
        side_p.hbar(
            y="x",
            right="top",
            height=width,
            source=p_mark,
            fill_color=None,
            line_color="black",
            line_width=2,
        ),
        top_q.vbar(
            x="x", top="top", width=width, source=q_source, color=theme.TARGET_COLOR, alpha=0.85
        ),
        top_q.vbar(
            x="x",
            top="top",
            width=width,
            source=q_mark,
            fill_color=None,
            line_color="black",
            line_width=2,
        ),
    ):
        bar_glyphs.append(r.glyph)

    # The ε slider's requests go through the same one-in-flight flow control as the bars.
    eps_request = ColumnDataSource({"log_eps": [0.0]}, name="tp_eps_request")
    ack = CustomJS(args={"sources": [p_source, q_source, eps_request]}, code=JS["ack"])
    answer_source = ColumnDataSource({"seq": [0], "eps": [0.0]}, name="tp_answer")
    answer_source.js_on_change("data", ack)
    # a model must be referenced from the layout to be synced
    heat.tags = [answer_source, eps_request]

    flow_layout = column(p_fig, flow, q_fig)
    matrix_layout = gridplot(
        [[None, top_q], [side_p, heat]], toolbar_location=None, merge_tools=False
    )
    return PlanFigures(
        p_source=p_source,
        q_source=q_source,
        image_source=image_source,
        lines_source=lines_source,
        support_source=support_source,
        probe_source=probe_source,
        answer_source=answer_source,
        eps_request=eps_request,
        p_mark=p_mark,
        q_mark=q_mark,
        linear_mapper=linear_mapper,
        log_mapper=log_mapper,
        color_bar=color_bar,
        image_renderer=image_renderer,
        lines_renderer=lines_renderer,
        line_alpha=line_alpha,
        bar_glyphs=bar_glyphs,
        flow_layout=flow_layout,
        matrix_layout=matrix_layout,
    )


def set_bar_width(figs: PlanFigures, width: float) -> None:
    """Bars are one bin wide: call when the bin count changes."""
    for glyph in figs.bar_glyphs:
        if hasattr(glyph, "width"):
            glyph.width = width
        else:
            glyph.height = width
