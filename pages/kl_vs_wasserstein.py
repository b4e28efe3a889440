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

import numpy as np
import panel as pn
import param
from bokeh.events import Pan, PanEnd, PanStart
from bokeh.models import ColumnDataSource
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
from pages import prose, query, shell, theme
from pages.components import js
from pages.components.flow import Flow
from pages.components.readouts import ReadoutTable
from pages.kl_vs_wasserstein_plots import (
    COLORS,
    LABELS,
    X_VIEW,
    CriticFigure,
    CurvePanels,
    DensityFigure,
    figure_column,
)
from pages.page import NotebookPage

SLUG = "kl_vs_wasserstein"
#: Smoothing floors offered for KL (fraction of mass spread uniformly); 0 means none.
FLOORS = (0.0, 1e-12, 1e-9, 1e-6, 1e-3)
FLOOR_LABELS = {"off (honest ∞)": 0.0, "1e-12": 1e-12, "1e-9": 1e-9, "1e-6": 1e-6, "1e-3": 1e-3}
WIDTH_BOUNDS = (0.15, 1.5)


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
    values: dict[str, float], slopes: dict[str, float], floor: float, colors=COLORS
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
        rows.append([key, name, colors[key], format_value(values[key]), slope])
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


def plateau_rows(shape: str, width: float, floor: float, colors=COLORS) -> list[list[str]]:
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
            colors["kl_pq"],
            format_value(kl_plateau(hp, floor)),
            "",
        ],
        [
            "plateau_qp",
            "KL(q‖p) far: log(L/ε)−h(q)",
            colors["kl_qp"],
            format_value(kl_plateau(hq, floor)),
            "",
        ],
    ]


class KLvsWassersteinPage(NotebookPage):
    """The figure and controls for one session, drawn from a :class:`ShiftModel`."""

    slug = SLUG
    model_class = ShiftModel
    query_keys = QUERY_KEYS

    def __init__(self, model: ShiftModel | None = None, **params):
        super().__init__(model, **params)
        m = self.model
        self._from_drag = False
        dark = shell.is_dark()
        self.density = DensityFigure(dark)
        self.critic = CriticFigure(self.density.figure.x_range)
        self.curves = CurvePanels(dark)
        # The browser's drag: the shift it asks for (flow control: pages.components.flow);
        # the answer carries the shift applied.
        self.flow = Flow(self._apply_drag, name="kvw_answer", shift=float(m.shift))
        self.drag_src = ColumnDataSource({"shift": [float(m.shift)]}, name="kvw_drag")
        self.flow.listen(self.drag_src, _parse_shift)
        self._wire_drag()
        self.figure_pane = pn.pane.Bokeh(
            figure_column(self.density, self.critic, self.curves), sizing_mode="stretch_width"
        )
        self._build_controls()
        self._refresh_curves()
        self._refresh_current(move_bump=True)
        m.param.watch(self._on_family, ["shape", "width", "floor"])
        m.param.watch(self._on_shift, ["shift"])

    def _wire_drag(self) -> None:
        """Pointer events on the top plot move the bump in the browser and sync the shift; the
        plot is also a keyboard slider for the shift, and a finger drags the bump."""
        lo, hi = SHIFT_RANGE
        for event, phase in ((None, "setup"), (PanStart, "start"), (Pan, "move"), (PanEnd, "end")):
            callback = js.custom_js(
                "kl_vs_wasserstein_drag.js",
                Flow.JS,
                phase=phase,
                bump=self.density.bump,
                drag=self.drag_src,
                answer=self.flow.answer_source,
                markers=self.curves.markers,
                curves=self.curves.source,
                keys=list(DIVERGENCES),
                lo=lo,
                hi=hi,
                view_lo=X_VIEW[0],
                view_hi=X_VIEW[1],
                steady_plots=[self.density.figure, self.critic.figure, *self.curves.figures],
                focus_ring=theme.FOCUS_RING,
            )
            if event is None:  # once laid out: touch and keyboard
                self.density.figure.js_on_change("inner_width", callback)
            else:
                self.density.figure.js_on_event(event, callback)

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
            pn.widgets.FloatSlider.from_param(
                m.param.shift, name="shift s (centre of q)", format="0.00"
            ),
            pn.widgets.Select.from_param(m.param.shape, name="shape of q"),
            pn.widgets.FloatSlider.from_param(
                m.param.width, name="width of q (std. dev.)", format="0.00"
            ),
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

    def _apply_drag(self, update: dict) -> None:
        if "shift" not in update:
            return  # an invalid request: the flow answers it
        self._from_drag = True
        try:
            # One combined patch for all the models this touches (markers, critic, overlap,
            # readouts, slider, URL) instead of one websocket message per property.
            with hold(self.flow.document):
                self.model.shift = update["shift"]
        finally:
            self._from_drag = False

    def _on_family(self, *_events) -> None:
        with hold(self.flow.document):
            self._refresh_curves()
            self._refresh_current(move_bump=True)

    def _on_shift(self, *_events) -> None:
        with hold(self.flow.document):
            self._refresh_current(move_bump=not self._from_drag)
            # The answer goes last: it acknowledges everything before it.
            self.flow.answer(shift=float(self.model.shift))

    def _refresh_curves(self) -> None:
        m = self.model
        self.curves.set_curves(shift_curves(m.shape, float(m.width), float(m.floor)))
        self.density.set_bump(Bump(m.shape, float(m.width)))

    def _refresh_current(self, move_bump: bool) -> None:
        """Readouts, critic and overlap for the current shift; bump and markers unless dragged.

        ``move_bump`` is False for a drag sync: the browser has already moved the bump and the
        markers, and an answer for an older position must not pull them back.
        """
        m = self.model
        s = float(m.shift)
        shape, width, floor = m.shape, float(m.width), float(m.floor)
        values, slopes = divergences_at(shape, width, s, floor)
        if move_bump:
            self.curves.update(s, values, slopes)
        self.critic.update(critic_at(shape, width, s))
        overlap = overlap_density(shape, width, s, np.linspace(*X_VIEW, 1801))
        self.density.update(s, overlap, move_bump)
        colors = self.curves.colors
        self.readouts.rows = readout_rows(values, slopes, floor, colors) + plateau_rows(
            shape, width, floor, colors
        )
        self.current_values, self.current_slopes = values, slopes


def _parse_shift(data: dict) -> dict:
    """A drag request as ``{"shift": value}`` clamped to the range (``{}``: invalid)."""
    try:
        value = float(data["shift"][0])
    except (KeyError, IndexError, TypeError, ValueError):
        return {}
    if not math.isfinite(value):
        return {}
    lo, hi = SHIFT_RANGE
    return {"shift": min(hi, max(lo, value))}
