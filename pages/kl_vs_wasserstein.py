"""Page: slide a bump away from a fixed one and see which divergences keep counting.

Top: the fixed tent ``p`` and the draggable bump ``q`` (drag it, or use the slider or the
keyboard), their overlap shaded, and below it the optimal 1-Lipschitz critic of the
Kantorovich-Rubinstein dual. Then every divergence against the shift (left) and its derivative
(right), the current shift marked. All numbers come from :mod:`ot_engine.shift_family`; curves
are cached per shape, width and floor, so a drag only moves markers and updates readouts.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import panel as pn
import param
from bokeh.core.properties import field
from bokeh.events import Pan, PanEnd, PanStart
from bokeh.layouts import column, row
from bokeh.models import (
    CDSView,
    ColumnDataSource,
    CustomJS,
    FixedTicker,
    GroupFilter,
    Legend,
    Range1d,
)
from bokeh.plotting import figure
from panel.io.document import hold

from ot_engine.shift_family import (
    DIVERGENCES,
    DOMAIN,
    FIXED,
    N_CELLS,
    SHAPES,
    SHIFT_RANGE,
    Bump,
    bump_log_masses,
    critic_at,
    divergences_at,
    overlap_density,
    shift_curves,
)
from pages import prose, query, sync, theme
from pages.components.readouts import ReadoutTable
from pages.page import NotebookPage

SLUG = "kl_vs_wasserstein"
JS_DIR = Path(__file__).resolve().parent.parent / "assets" / "js"
DRAG_JS = (JS_DIR / "kl_vs_wasserstein_drag.js").read_text(encoding="utf-8")
#: Smoothing floors offered for KL (fraction of mass spread uniformly); 0 means none.
FLOORS = (0.0, 1e-12, 1e-9, 1e-6, 1e-3)
FLOOR_LABELS = {"off (honest ∞)": 0.0, "1e-12": 1e-12, "1e-9": 1e-9, "1e-6": 1e-6, "1e-3": 1e-3}
WIDTH_BOUNDS = (0.15, 1.5)
#: Height of each curve panel, and the room kept left of every frame so that the shift axes of
#: all panels in a column line up whatever their tick labels.
CURVE_HEIGHT = 215
CURVE_BORDER_LEFT = 48
#: The axis shown on the top panel.
X_VIEW = (-9.0, 9.0)
#: A drag sends its shift when the previous one was answered; after this long (ms) without an
#: answer it sends anyway. The last position is always sent.
SYNC_EVERY_MS = 100

LABELS = {
    "kl_pq": "KL(p‖q)",
    "kl_qp": "KL(q‖p)",
    "js": "Jensen-Shannon",
    "tv": "total variation",
    "hellinger": "Hellinger",
    "w1": "W₁",
    "w2": "W₂",
}
#: Shorter names in the panels' legends, which must fit one row of a 300 px wide panel (the
#: readout table beside the figure gives the full names in the same colours).
LEGEND_LABELS = {**LABELS, "js": "JS", "tv": "TV"}
#: Line colours (Okabe-Ito, colour-blind safe); p and q keep the theme's colours.
COLORS = {
    "kl_pq": theme.SOURCE_COLOR,
    "kl_qp": theme.TARGET_COLOR,
    "js": "#CC79A7",
    "tv": "#E69F00",
    "hellinger": "#56B4E9",
    "w1": theme.PLAN_COLOR,
    "w2": "#444444",
}
DASHES = {"kl_qp": "dashed", "w2": "dashed", "tv": "dotdash"}
GROUP_IDS = ("kl", "bounded", "wasserstein")
GROUPS = (
    ("KL divergences", ("kl_pq", "kl_qp")),
    ("bounded divergences", ("js", "tv", "hellinger")),
    ("Wasserstein distances", ("w1", "w2")),
)


GROUP_OF = {k: g for g, (_, keys) in zip(GROUP_IDS, GROUPS, strict=True) for k in keys}


def _parse_floor(raw: str) -> float:
    value = query.float_in(0.0, 0.5)(raw)
    for allowed in FLOORS:
        if math.isclose(value, allowed, rel_tol=1e-6, abs_tol=0.0):
            return allowed
    raise ValueError("not one of 0, 1e-12, 1e-9, 1e-6, 1e-3")


QUERY_KEYS = (
    query.QueryKey("shift", "shift", query.float_in(*SHIFT_RANGE), query.format_float),
    query.QueryKey("width", "width", query.float_in(*WIDTH_BOUNDS), query.format_float),
    query.QueryKey("shape", "shape", query.choice(*SHAPES)),
    query.QueryKey("floor", "floor", _parse_floor, lambda v: f"{v:g}"),
)


class ShiftModel(param.Parameterized):
    """What the student controls: where the bump sits, its width, shape, and the KL floor."""

    shift = param.Number(
        0.4, bounds=SHIFT_RANGE, step=0.01, doc="Centre of the sliding bump q (p sits at 0)."
    )
    width = param.Number(
        0.8, bounds=WIDTH_BOUNDS, step=0.01, doc="Standard deviation of the sliding bump q."
    )
    shape = param.Selector(default="tent", objects=list(SHAPES), doc="Shape of the bump q.")
    floor = param.Selector(
        default=0.0, objects=list(FLOORS), doc="Smoothing floor applied before taking KL."
    )


def format_value(value: float) -> str:
    """A readout: ``∞`` for an infinite value, four significant decimals otherwise."""
    if math.isinf(value):
        return "∞"
    if math.isnan(value):
        return "undefined"
    return f"{value:.4f}"


def readout_rows(
    values: dict[str, float], slopes: dict[str, float], floor: float
) -> list[list[str]]:
    """Rows ``[key, label, colour, value, slope]`` of the readout table (fixed labels only)."""
    rows = []
    for key in DIVERGENCES:
        name = LABELS[key]
        if key.startswith("kl") and floor > 0:
            name += f" (floor {floor:g})"
        slope = format_value(slopes[key])
        if key in CORNER_KEYS and values[key] < ZERO_DISTANCE:
            # q is p itself: these distances grow like |s| on both sides, a corner (W1 and W2
            # have slopes -1 and +1), where a central difference would wrongly say 0.
            slope = "undefined"
        rows.append([key, name, COLORS[key], format_value(values[key]), slope])
    return rows


#: A distance this small means q is p itself (an exact translate at s = 0): the curves of the
#: distances that grow like |s| (TV, Hellinger, W1, W2) have a corner there.
ZERO_DISTANCE = 1e-9
CORNER_KEYS = ("tv", "hellinger", "w1", "w2")


@functools.lru_cache(maxsize=64)
def entropy(shape: str, width: float) -> float:
    """Differential entropy ``-int g log g`` of a bump at shift 0, from its cell masses.

    ``-sum m log m`` over the cells is the discrete entropy; adding ``log h`` (h the cell
    width) turns it into the differential one, the convention of the plateau below.
    """
    m = np.exp(bump_log_masses(Bump(shape, float(width)))[0])
    m = m[m > 0]
    return float(-np.sum(m * np.log(m)) + math.log(2 * DOMAIN / N_CELLS))


def kl_plateau(h: float, floor: float) -> float:
    """Where floored KL(a‖b) levels off once the supports are apart.

    Far apart, b's floored mass in each cell under a is the floor's share ``floor / N``, and
    a's is ``(1 - floor) a_i`` (plus that share), so the sum of ``a log(a / b)`` is
    ``(1 - floor) (log((1 - floor) L / floor) - h(a))`` with ``L`` the domain's length and
    ``h`` the differential entropy: ``log(L / floor) - h(a)`` to leading order. The cells
    under b add ``-O(floor log(1 / floor))`` times b's share of the cells (under 1e-3).
    """
    return (1.0 - floor) * (math.log((1.0 - floor) * 2 * DOMAIN / floor) - h)


def plateau_rows(shape: str, width: float, floor: float) -> list[list[str]]:
    """With a floor on: h(p), h(q) and the level each floored KL reaches far out."""
    if floor <= 0:
        return []
    hp, hq = entropy(FIXED.shape, FIXED.width), entropy(shape, float(width))
    muted = theme.MUTED_COLOR
    return [
        ["h_p", "entropy h(p)", muted, format_value(hp), ""],
        ["h_q", "entropy h(q)", muted, format_value(hq), ""],
        [
            "plateau_pq",
            "KL(p‖q) far: log(L/ε)−h(p)",
            COLORS["kl_pq"],
            format_value(kl_plateau(hp, floor)),
            "",
        ],
        [
            "plateau_qp",
            "KL(q‖p) far: log(L/ε)−h(q)",
            COLORS["kl_qp"],
            format_value(kl_plateau(hq, floor)),
            "",
        ],
    ]


def _finite_or_nan(a: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(a), a, np.nan).astype(np.float32)


def _nice_ticks(top: float) -> list[float]:
    """Round tick values from 0 to at least ``top`` (about four of them)."""
    raw = top / 4
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 12) for i in range(n + 1)]


def _padded_range(values: np.ndarray, pad: float = 0.1) -> dict[str, float]:
    """``start``/``end`` spanning the finite ``values`` with a margin (never empty)."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    span = max(hi - lo, 1e-3)
    return {"start": lo - pad * span, "end": hi + pad * span}


def _stepped_range(values: np.ndarray) -> dict[str, float]:
    """The padded range of ``values`` widened to multiples of a round tick step.

    It stays put while the values move a little, so a drag repaints the critic's line only,
    not its axis (and the axis labels do not jitter).
    """
    r = _padded_range(values)
    step = _nice_ticks((r["end"] - r["start"]) / 2)[1]  # about an eighth of the span
    start = round(step * math.floor(r["start"] / step + 1e-9), 12)
    end = round(step * math.ceil(r["end"] / step - 1e-9), 12)
    return {"start": start, "end": end}


def _inf_runs(shifts: np.ndarray, values: np.ndarray) -> list[tuple[float, float]]:
    """Intervals of shift where ``values`` is infinite (for the ∞ bands)."""
    inf = np.isinf(values).astype(np.int8)
    if not inf.any():
        return []
    edges = np.diff(np.concatenate([[0], inf, [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    half = 0.5 * (shifts[1] - shifts[0])
    pairs = zip(starts, ends, strict=True)
    return [(float(shifts[a] - half), float(shifts[b] + half)) for a, b in pairs]


class KLvsWassersteinPage(NotebookPage):
    """The figure and controls for one session, drawn from a :class:`ShiftModel`."""

    slug = SLUG
    model_class = ShiftModel
    query_keys = QUERY_KEYS

    def __init__(self, model: ShiftModel | None = None, **params):
        super().__init__(model, **params)
        self._ack_seq = 0
        self._drag_queue = sync.LatestWins(self._apply_drag)
        self._from_drag = False
        self._build_figure()
        self._build_controls()
        self._refresh_curves()
        self._refresh_current(move_bump=True)
        self.model.param.watch(self._on_family, ["shape", "width", "floor"])
        self.model.param.watch(self._on_shift, ["shift"])

    # --- construction -------------------------------------------------------------------

    def _build_figure(self) -> None:
        m = self.model
        # Top: the two densities on one axis.
        top = figure(
            height=230,
            x_range=Range1d(*X_VIEW),
            y_range=Range1d(0, 1),
            tools="",
            toolbar_location=None,
            sizing_mode="stretch_width",
            x_axis_label="x",
            y_axis_label="density",
            title="Drag the orange bump q (or use the slider / arrow keys)",
            name="kvw_top",
        )
        px, py = FIXED.outline()
        top.varea(x=px, y1=0, y2=py, fill_color=theme.SOURCE_COLOR, fill_alpha=0.25)
        p_line = top.line(px, py, color=theme.SOURCE_COLOR, line_width=2)
        # The bump and the overlap change while dragging: on the overlay level, a drag frame
        # repaints only the plot's overlay canvas, not p, the axes and the legend. That level
        # is not clipped to the frame, so the bump's x are clamped to the axis (the clamped
        # stretch lies outside it); its centre, the middle point, never leaves the axis.
        self.bump_src = ColumnDataSource({"x0": [], "x": [], "y": []}, name="kvw_bump")
        top.varea(
            x="x",
            y1=0,
            y2="y",
            source=self.bump_src,
            fill_color=theme.TARGET_COLOR,
            fill_alpha=0.25,
            level="overlay",
        )
        q_line = top.line(
            x="x",
            y="y",
            source=self.bump_src,
            color=theme.TARGET_COLOR,
            line_width=2,
            level="overlay",
        )
        self.overlap_src = ColumnDataSource({"x": np.zeros(0, np.float32), "y": np.zeros(0)})
        overlap = top.varea(
            x="x",
            y1=0,
            y2="y",
            source=self.overlap_src,
            fill_color="#6a3d9a",
            fill_alpha=0.45,
            level="overlay",
        )
        top.add_layout(
            Legend(
                items=[("fixed p", [p_line]), ("sliding q", [q_line]), ("overlap", [overlap])],
                location="top_left",
                background_fill_alpha=0.6,
            )
        )
        self.drag_src = ColumnDataSource({"shift": [float(m.shift)], "seq": [0]}, name="kvw_drag")
        self.drag_src.on_change("data", self._on_drag_data)
        # The server's answer to a drag sync: the shift it applied and the sync's number (the
        # browser's flow control waits for it). Written last in each held update.
        self.answer_src = ColumnDataSource(
            {"shift": [float(m.shift)], "seq": [0]}, name="kvw_answer"
        )
        self.top = top

        # The critic f of the Kantorovich-Rubinstein dual.
        critic = figure(
            height=140,
            x_range=top.x_range,
            y_range=Range1d(-1, 1),
            tools="",
            toolbar_location=None,
            sizing_mode="stretch_width",
            x_axis_label="x",
            y_axis_label="f(x)",
            title="Optimal 1-Lipschitz critic f (slope ±1; W₁ = Σ f·(p − q))",
        )
        critic.yaxis.ticker.desired_num_ticks = 3
        self.critic_src = ColumnDataSource({"x": [], "f": []})
        # Overlay level: an answer that leaves the axis alone repaints only the overlay canvas.
        critic.line(
            "x", "f", source=self.critic_src, color=theme.PLAN_COLOR, line_width=2, level="overlay"
        )
        self.critic = critic

        # Curves against the shift: values (left) and derivatives (right), three groups.
        self.curve_src = ColumnDataSource({})
        self.inf_src = ColumnDataSource({"x0": [], "x1": [], "y": [], "color": [], "band_dash": []})
        # One source for every current-shift marker (value y, slope dy), filtered per panel. While
        # the bump is dragged the browser moves the markers itself along the drawn curves (no
        # round trip); the server writes it for slider, keyboard and family changes. ``inf_y`` is
        # the ∞ band row a KL marker sits on when KL is infinite; ``rev`` makes each server write
        # differ from the last, so it is never skipped as unchanged after browser-side moves.
        self.marker_src = ColumnDataSource(
            {"x": [], "y": [], "dy": [], "color": [], "group": [], "inf_y": [], "rev": []},
            name="kvw_markers",
        )
        self._marker_rev = 0
        shift_range = Range1d(*SHIFT_RANGE)
        rows = []
        self.value_figs: dict = {}
        for group, (title, keys) in zip(GROUP_IDS, GROUPS, strict=True):
            vfig = figure(
                height=CURVE_HEIGHT,
                min_border_left=CURVE_BORDER_LEFT,
                x_range=shift_range,
                y_range=Range1d(0, 1),
                tools="",
                toolbar_location=None,
                sizing_mode="stretch_width",
                x_axis_label="shift s",
                title=f"{title}: value",
            )
            dfig = figure(
                height=CURVE_HEIGHT,
                min_border_left=CURVE_BORDER_LEFT,
                x_range=shift_range,
                y_range=Range1d(-1, 1),
                tools="",
                toolbar_location=None,
                sizing_mode="stretch_width",
                x_axis_label="shift s",
                title=f"{title}: derivative d/ds",
            )
            items = {id(vfig): [], id(dfig): []}
            for key in keys:
                style = dict(color=COLORS[key], line_width=2, line_dash=DASHES.get(key, "solid"))
                r = vfig.line("shift", key, source=self.curve_src, **style)
                items[id(vfig)].append((LEGEND_LABELS[key], [r]))
                r = dfig.line("shift", f"d_{key}", source=self.curve_src, **style)
                items[id(dfig)].append((LEGEND_LABELS[key], [r]))
            # Legends in a row above each plot, the same on both sides: inside they would hide
            # curves or the ∞ bands, and beside the plot they would make the frames of a column
            # differ in width, so the shift axes of the panels would not line up.
            for f in (vfig, dfig):
                legend = Legend(
                    items=items[id(f)],
                    orientation="horizontal",
                    location="top_left",
                    border_line_alpha=0,
                    padding=0,
                    margin=2,
                    spacing=12,
                    label_text_font_size="12px",
                )
                f.add_layout(legend, "above")
            view = CDSView(filter=GroupFilter(column_name="group", group=group))
            for f, y in ((vfig, "y"), (dfig, "dy")):
                # Overlay level: a marker move repaints only the plot's small overlay canvas,
                # not its curves, axes and legend.
                f.vspan(
                    x="x",
                    source=self.marker_src,
                    view=view,
                    line_color=theme.MUTED_COLOR,
                    line_dash="dotted",
                    level="overlay",
                )
                f.scatter(
                    "x",
                    y,
                    source=self.marker_src,
                    view=view,
                    color="color",
                    size=9,
                    line_color="white",
                    level="overlay",
                )
            if keys[0] == "kl_pq":
                vfig.segment(
                    "x0",
                    "y",
                    "x1",
                    "y",
                    source=self.inf_src,
                    color="color",
                    line_width=4,
                    line_dash=field("band_dash"),
                )
                vfig.yaxis.ticker = FixedTicker(ticks=[0.0, 1.0])
                self.kl_fig = vfig
            # Explicit ranges, set from the curves when the family changes: auto-ranging would
            # recompute (and re-lay out) every panel on every marker move.
            self.value_figs[group] = (keys, vfig, dfig)
            rows.append([vfig, dfig])
        self.curve_figs = [f for pair in rows for f in pair]
        self._wire_drag()
        for fig in (top, critic, *[f for pair in rows for f in pair]):
            theme.style_figure(fig)
        grid = [row(*pair, sizing_mode="stretch_width") for pair in rows]
        self.figure_pane = pn.pane.Bokeh(
            column(top, critic, *grid, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )

    def _wire_drag(self) -> None:
        """Pointer events on the top plot move the bump in the browser and sync the shift."""
        lo, hi = SHIFT_RANGE

        def callback(phase: str) -> CustomJS:
            args = dict(
                phase=phase,
                bump=self.bump_src,
                drag=self.drag_src,
                answer=self.answer_src,
                markers=self.marker_src,
                curves=self.curve_src,
                keys=list(DIVERGENCES),
                lo=lo,
                hi=hi,
                view_lo=X_VIEW[0],
                view_hi=X_VIEW[1],
                every_ms=SYNC_EVERY_MS,
                steady_plots=[self.top, self.critic, *self.curve_figs],
            )
            return CustomJS(args=args, code=DRAG_JS)

        for event, phase in ((PanStart, "start"), (Pan, "move"), (PanEnd, "end")):
            self.top.js_on_event(event, callback(phase))
        self.answer_src.js_on_change("data", callback("ack"))

    def _build_controls(self) -> None:
        m = self.model
        self.readouts = ReadoutTable(
            columns=[["kvw-value", "value"], ["kvw-slope", "d/ds"]],
            label_header="divergence",
            caption="Divergences of p and q at the current shift",
            table_class="kvw-readouts",
            sizing_mode="stretch_width",
            min_height=190,
        )
        self.control_panel = pn.Column(
            pn.widgets.FloatSlider.from_param(m.param.shift, name="shift s (centre of q)"),
            pn.widgets.Select.from_param(m.param.shape, name="shape of q"),
            pn.widgets.FloatSlider.from_param(m.param.width, name="width of q (std. dev.)"),
            pn.widgets.Select.from_param(
                m.param.floor, name="KL smoothing floor", options=FLOOR_LABELS
            ),
            self.readouts,
            sizing_mode="stretch_width",
        )

    def figure(self) -> pn.viewable.Viewable:
        return self.figure_pane

    def controls(self) -> pn.viewable.Viewable:
        return self.control_panel

    def prose(self) -> pn.viewable.Viewable:
        """The page's text, on a compositing layer of its own.

        Without it, Chromium re-layerized the page's typeset text on every frame of a drag
        (~8 ms a frame in a CDP trace: "Layerize"); as its own layer it is left alone while
        the plots repaint (measured: gone from the trace).
        """
        return prose.prose_pane(SLUG, styles={"will-change": "transform"})

    # --- updates --------------------------------------------------------------------------

    def _on_drag_data(self, _attr, _old, new) -> None:
        """Browser drag: the latest shift wins (pages.sync), applied on a coming tick."""
        try:
            value = float(new["shift"][0])
        except (KeyError, IndexError, TypeError, ValueError):
            return
        if not math.isfinite(value):
            return
        lo, hi = SHIFT_RANGE
        try:
            seq = int(new["seq"][0])
        except (KeyError, IndexError, TypeError, ValueError):
            seq = self._ack_seq
        self._drag_queue.submit(self._session_doc(), shift=min(hi, max(lo, value)), seq=seq)

    def _session_doc(self):
        """The session's document, or None outside a server (updates then apply at once)."""
        doc = self.drag_src.document
        return doc if doc is not None and doc.session_context is not None else None

    def _apply_drag(self, update: dict) -> None:
        self._ack_seq = update["seq"]
        self._from_drag = True
        try:
            # One combined patch for all the models this touches (markers, critic, overlap,
            # readouts, slider, URL) instead of one websocket message per property.
            with hold(self.drag_src.document):
                self.model.shift = update["shift"]
        finally:
            self._from_drag = False

    def _on_family(self, *_events) -> None:
        with hold(self.drag_src.document):
            self._refresh_curves()
            self._refresh_current(move_bump=True)

    def _on_shift(self, *_events) -> None:
        with hold(self.drag_src.document):
            self._refresh_current(move_bump=not self._from_drag)
            # The answer goes last, so the browser sees it after everything it acknowledges.
            self.answer_src.data = {"shift": [float(self.model.shift)], "seq": [self._ack_seq]}

    def _refresh_curves(self) -> None:
        m = self.model
        c = shift_curves(m.shape, float(m.width), float(m.floor))
        data = {"shift": c.shifts.astype(np.float32)}
        for key in DIVERGENCES:
            data[key] = _finite_or_nan(c.values[key])
            data[f"d_{key}"] = _finite_or_nan(c.slopes[key])
        # KL panel: finite values fill the range; infinite stretches become bands above them.
        finite = np.concatenate([c.values["kl_pq"], c.values["kl_qp"]])
        finite = finite[np.isfinite(finite)]
        top = float(finite.max()) if finite.size else 1.0
        top = max(top, 0.1)
        ticks = _nice_ticks(top)
        # Infinite stretches: bands on a row above the finite values, labelled ∞ on the axis.
        # 1.5 steps up: the ∞ label stands apart from the last finite tick.
        inf_y = float(ticks[-1] + 1.5 * (ticks[1] - ticks[0]))
        step = ticks[1] - ticks[0]
        self._kl_inf_y = {"kl_pq": inf_y + 0.06 * step, "kl_qp": inf_y - 0.06 * step}
        bands = {k: [] for k in self.inf_src.column_names}
        for key in ("kl_pq", "kl_qp"):
            for a, b in _inf_runs(c.shifts, c.values[key]):
                bands["x0"].append(a)
                bands["x1"].append(b)
                bands["y"].append(self._kl_inf_y[key])
                bands["color"].append(COLORS[key])
                bands["band_dash"].append(DASHES.get(key, "solid"))
        any_inf = bool(bands["x0"])
        self.kl_fig.yaxis.ticker.ticks = [*ticks, inf_y] if any_inf else ticks
        self.kl_fig.yaxis.major_label_overrides = {inf_y: "∞"} if any_inf else {}
        self.kl_fig.y_range.update(start=0, end=inf_y + 0.3 * (ticks[1] - ticks[0]))
        self.curve_src.data = data
        self.inf_src.data = bands
        for group, (keys, vfig, dfig) in self.value_figs.items():
            slopes = np.concatenate([data[f"d_{k}"] for k in keys])
            dfig.y_range.update(**_padded_range(slopes))
            if group != "kl":
                vals = np.concatenate([data[k] for k in keys])
                vfig.y_range.update(start=0, end=_padded_range(vals)["end"])
        bump = Bump(m.shape, float(m.width))
        self.top.y_range.update(start=0, end=1.12 * max(FIXED.peak, bump.peak))
        z, y = bump.outline()
        self._outline = (z, y)

    def _refresh_current(self, move_bump: bool) -> None:
        """Readouts, critic and overlap for the current shift; bump and markers unless dragged.

        ``move_bump`` is False for a drag sync: the browser has already moved the bump and the
        markers, and an answer for an older position must not pull them back.
        """
        m = self.model
        s = float(m.shift)
        values, slopes = divergences_at(m.shape, float(m.width), s, float(m.floor))
        if move_bump:
            self._marker_rev += 1
            n = len(DIVERGENCES)
            self.marker_src.data = {
                "x": [s] * n,
                # An infinite KL sits on its ∞ band; an undefined slope (nan) is not drawn.
                "y": [
                    self._kl_inf_y[k] if math.isinf(values[k]) else values[k] for k in DIVERGENCES
                ],
                "dy": [slopes[k] for k in DIVERGENCES],
                "color": [COLORS[k] for k in DIVERGENCES],
                "group": [GROUP_OF[k] for k in DIVERGENCES],
                "inf_y": [self._kl_inf_y.get(k, math.nan) for k in DIVERGENCES],
                "rev": [self._marker_rev] * n,
            }
        crit = critic_at(m.shape, float(m.width), s)
        # Cut at the axis ends: the critic is drawn on the overlay level, which is not clipped.
        lo, hi = X_VIEW
        inside = crit.x[(crit.x > lo) & (crit.x < hi)]
        x = np.concatenate([[lo], inside, [hi]])
        f = np.interp(x, crit.x, crit.f)  # the polyline itself at the ends (straight pieces)
        self.critic_src.data = {"x": x.astype(np.float32), "f": f.astype(np.float32)}
        # Stepped: the axis (and the plot's primary canvas) changes only when f outgrows it.
        self.critic.y_range.update(**_stepped_range(f))
        grid = np.linspace(*X_VIEW, 1801)
        ox, oy = overlap_density(m.shape, float(m.width), s, grid)
        self.overlap_src.data = {"x": ox.astype(np.float32), "y": oy.astype(np.float32)}
        self.readouts.rows = readout_rows(values, slopes, float(m.floor)) + plateau_rows(
            m.shape, float(m.width), float(m.floor)
        )
        if move_bump:
            z, y = self._outline
            self.bump_src.data = {"x0": z, "x": np.clip(z + s, *X_VIEW), "y": y}
        self.current_values, self.current_slopes = values, slopes
