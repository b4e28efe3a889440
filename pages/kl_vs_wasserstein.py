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
from bokeh.layouts import column, row
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
from pages.components.flow import Flow, scalar_request
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
from pages.takehome import TakeHome

#: Each curve panel's height in an embedded view (six of them, three by two).
EMBED_CURVE_HEIGHT = 130
#: Their short titles there (a panel is a third of the width).
EMBED_GROUP_TITLES = {"kl": "KL", "bounded": "JS, TV, Hellinger", "wasserstein": "W₁, W₂"}

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
    embed_height_scale = None  # its own embed view (_embed_view)
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
        self.flow.listen(self.drag_src, lambda data: scalar_request(data, "shift", *SHIFT_RANGE))
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
                js.BOKEH_COMPAT,
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
            sizing_mode="stretch_width",
        )

    def figure(self) -> pn.viewable.Viewable:
        if self.embed:
            return self._embed_view()
        return self.figure_pane

    def controls(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.control_panel

    def side_readouts(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.readouts

    def _embed_view(self) -> pn.viewable.Viewable:
        """A 700 x 600 iframe: densities and critic beside the numbers, the six curve panels
        three by two (values above their derivatives), the controls in one row below."""
        self.density.figure.height, self.critic.figure.height = 160, 100
        self.density.figure.legend.orientation = "horizontal"
        for fig in (self.density.figure, self.critic.figure, *self.curves.figures):
            fig.xaxis.axis_label = None  # x and s: the titles and the first panel say which
        for group, (_keys, vfig, dfig) in self.curves.panels.items():
            name = EMBED_GROUP_TITLES[group]
            vfig.title.text, dfig.title.text = f"{name}: value", f"{name}: d/ds"
            vfig.height = dfig.height = EMBED_CURVE_HEIGHT
        densities = column(self.density.figure, self.critic.figure, sizing_mode="stretch_width")
        top = pn.Column(
            pn.pane.Bokeh(densities, sizing_mode="stretch_width"),
            self.readouts,
            css_classes=["ot-embed-row"],
        )
        panels = list(self.curves.panels.values())
        grid = column(
            *(row(*(p[k] for p in panels), sizing_mode="stretch_width") for k in (1, 2)),
            sizing_mode="stretch_width",
        )
        self.control_panel.css_classes = [*self.control_panel.css_classes, "ot-embed-controls"]
        self.control_panel.stylesheets = [
            *self.control_panel.stylesheets,
            ":host(.ot-embed-controls) { grid-template-columns: "
            "repeat(auto-fill, minmax(min(100%, 10rem), 1fr)) !important; }",
        ]
        return pn.Column(
            top,
            pn.pane.Bokeh(grid, sizing_mode="stretch_width"),
            self.control_panel,
            sizing_mode="stretch_width",
        )

    def takehome(self) -> TakeHome:
        return _takehome(self.model)

    def caption_lines(self) -> list[str]:
        return _caption_lines(self.model, self.readouts.rows)

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


# --- take it home -----------------------------------------------------------------------------

#: The notebook's code: the grid and the two histograms (values filled in by :func:`_setup`).
_SETUP = '''import math

import numpy as np
import ot
from scipy.special import ndtr

shift, shape, width, floor = {shift!r}, {shape!r}, {width!r}, {floor!r}
L, N = {domain!r}, {cells}  # the grid: N cells on [-L, L]
edges = np.linspace(-L, L, N + 1)
x = 0.5 * (edges[:-1] + edges[1:])  # cell centres
h = 2 * L / N

# half-support per unit standard deviation of each compact shape
HALF = {{"box": math.sqrt(3), "tent": math.sqrt(6), "epanechnikov": math.sqrt(5),
        "cosine": 1 / math.sqrt(1 / 3 - 2 / math.pi**2)}}


def cdf(shape, width, t):
    """CDF of a bump of this shape and standard deviation, centred at 0."""
    if shape == "gaussian":
        return ndtr(t / width)
    u = np.clip(t / (HALF[shape] * width), -1, 1)
    if shape == "box":
        return 0.5 * (u + 1)
    if shape == "tent":
        return np.where(u < 0, 0.5 * (1 + u) ** 2, 1 - 0.5 * (1 - u) ** 2)
    if shape == "epanechnikov":
        return 0.5 + 0.75 * (u - u**3 / 3)
    return 0.5 * (u + 1) + np.sin(np.pi * u) / (2 * np.pi)  # cosine


def cell_masses(shape, width, centre):
    """The bump's mass in each grid cell (exact CDF differences), normalized to 1."""
    lo, hi = edges[:-1] - centre, edges[1:] - centre
    # mirror the right half so tiny tail masses are not lost to rounding
    m = np.where(lo + hi < 0, cdf(shape, width, hi) - cdf(shape, width, lo),
                 cdf(shape, width, -lo) - cdf(shape, width, -hi))
    m = np.maximum(m, 0)
    return m / m.sum()


p = cell_masses("tent", 0.5, 0.0)  # the fixed tent
q = cell_masses(shape, width, shift)  # the sliding bump
'''

_DIVERGENCES = '''def kl(a, b):
    """KL(a || b) in nats; infinite when a has mass where b has none."""
    if floor > 0:  # the smoothing trick: mix in a little uniform mass first
        a, b = (1 - floor) * a + floor / N, (1 - floor) * b + floor / N
    if np.any((a > 0) & (b == 0)):
        return math.inf
    s = a > 0
    return float(np.sum(a[s] * np.log(a[s] / b[s])))


def js(a, b):
    m = 0.5 * (a + b)
    return 0.5 * kl_plain(a, m) + 0.5 * kl_plain(b, m)


def kl_plain(a, b):
    s = a > 0
    return float(np.sum(a[s] * np.log(a[s] / b[s])))


values = {
    "KL(p‖q)": kl(p, q),
    "KL(q‖p)": kl(q, p),
    "JS(p, q)": js(p, q),
    "TV(p, q)": 0.5 * float(np.abs(p - q).sum()),
    "Hellinger(p, q)": math.sqrt(0.5 * float(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2))),
    # POT: wasserstein_1d returns W_p to the power p
    "W1(p, q)": float(ot.wasserstein_1d(x, x, p, q, p=1)),
    "W2(p, q)": math.sqrt(float(ot.wasserstein_1d(x, x, p, q, p=2))),
}
print(f"shift s = {shift:g}, q = {shape}, width {width:g}, KL floor {floor:g}")
for name, value in values.items():
    print(f"{name} = {'∞' if math.isinf(value) else f'{value:.4f}'}")
'''

_CURVES = """import matplotlib.pyplot as plt

shifts = np.linspace(-6, 6, 121)
curves = {name: [] for name in values}
for s in shifts:
    qs = cell_masses(shape, width, s)
    curves["KL(p‖q)"].append(kl(p, qs))
    curves["KL(q‖p)"].append(kl(qs, p))
    curves["JS(p, q)"].append(js(p, qs))
    curves["TV(p, q)"].append(0.5 * float(np.abs(p - qs).sum()))
    curves["Hellinger(p, q)"].append(
        math.sqrt(0.5 * float(np.sum((np.sqrt(p) - np.sqrt(qs)) ** 2))))
    curves["W1(p, q)"].append(float(ot.wasserstein_1d(x, x, p, qs, p=1)))
    curves["W2(p, q)"].append(math.sqrt(float(ot.wasserstein_1d(x, x, p, qs, p=2))))

fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
for name, ys in curves.items():
    ys = np.array(ys, dtype=float)
    ys[~np.isfinite(ys)] = np.nan  # an infinite KL leaves a gap
    ax.plot(shifts, ys, label=name)
ax.axvline(shift, color="grey", linestyle="--", label=f"s = {shift:g}")
ax.set_xlabel("shift s of q")
ax.set_ylabel("divergence")
ax.set_ylim(0, 4)
ax.legend(fontsize=8, ncol=2)
plt.show()
"""


def _setup(shift: float, shape: str, width: float, floor: float) -> str:
    return _SETUP.format(
        shift=float(shift),
        shape=str(shape),
        width=float(width),
        floor=float(floor),
        domain=float(DOMAIN),
        cells=int(N_CELLS),
    )


def _takehome(m: ShiftModel) -> TakeHome:
    """The current view as code (pages.takehome)."""
    floor_text = "no floor" if m.floor == 0 else f"a smoothing floor of {m.floor:g}"
    return TakeHome(
        title=f"KL versus Wasserstein at shift {m.shift:g}",
        intro=(
            f"A fixed tent $p$ at 0 and a {m.shape} bump $q$ of standard deviation "
            f"{m.width:g} moved to $s = {m.shift:g}$, both as histograms on a grid of "
            f"{N_CELLS} cells of $[-{DOMAIN:g}, {DOMAIN:g}]$. The code computes every "
            f"divergence the page shows ({floor_text} for KL) with numpy, scipy and POT, "
            "then draws each one against the shift: KL jumps to infinity and JS and TV "
            "saturate once the supports part, while $W_1$ and $W_2$ keep growing with the "
            "distance."
        ),
        equation=(
            r"W_1(p, q) = \int |F_p(x) - F_q(x)|\,dx, \qquad "
            r"\mathrm{KL}(p\,\|\,q) = \sum_i p_i \log \frac{p_i}{q_i}"
        ),
        cells=(_setup(m.shift, m.shape, m.width, m.floor), _DIVERGENCES, _CURVES),
        notes=(
            "$p$ and $q$ are cell masses: the exact mass of each bump in each cell.",
            "These are the page's readouts at the current shift (four decimals, as shown).",
        ),
    )


def _caption_lines(m: ShiftModel, rows: list[list[str]]) -> list[str]:
    head = f"shift s = {m.shift:g}, q: {m.shape}, width {m.width:g}, KL floor {m.floor:g}"
    return [head] + [f"{row[1]}: {row[3]} (d/ds {row[4]})" for row in rows]
