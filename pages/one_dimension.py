"""Page /one_dimension: optimal transport on the line is sorting, W_p is a quantile integral.

The model (:class:`OneDimension`) holds what a link carries (bars, bins, order ``p`` of
``W_p``, level ``s``) and the last valid numbers from :mod:`ot_engine.one_d` and the LP. The
view (:class:`OneDimensionPage`) draws two draggable histograms (the shared component) and,
from their bars in the browser, the CDFs, quantile functions, monotone plan and map
(:mod:`pages.one_dimension_plots`); the server sends the numbers.

Deep-link keys: ``p``, ``q``, ``n`` as on /transport_plan (the same parsers), ``order``
(``1`` to ``10`` or ``inf``), ``s`` (the level, 0 to 1).
"""

from __future__ import annotations

import html
import math
import time
from dataclasses import dataclass

import numpy as np
import panel as pn
import param
from bokeh.layouts import column
from bokeh.models import Range1d

from ot_engine import (
    InvalidInput,
    OneDTransport,
    bottleneck_lp,
    cost_matrix,
    exact,
    quantile_1d,
    transport_1d,
    uniform_grid,
)
from ot_engine.histograms import PRESETS
from pages import compat
from pages import one_dimension_plots as plots
from pages import transport_plan as tp
from pages.components.flow import Flow, scalar_request
from pages.components.readouts import ReadoutTable, readout
from pages.histogram_pair import (
    HEIGHT_DIGITS,
    HistogramPair,
    fit_heights,
    rebinned_notices,
    source_and_target,
)
from pages.page import NotebookPage
from pages.query import QueryKey, float_in, format_float, parse_query
from pages.takehome import TakeHome

SLUG = "one_dimension"
DEFAULT_PRESET = "bimodal to unimodal"
INF = math.inf
#: The orders offered: 1, 2, ..., 10 and infinity.
ORDERS = {**{str(k): k for k in range(1, 11)}, "∞": INF}
#: Levels are kept to 3 decimals (short links; the slider's step).
LEVEL_DIGITS = 3


# --- the state a link can carry ----------------------------------------------------------


def parse_order(raw: str) -> float:
    """``1`` to ``10`` or ``inf`` (also ``∞``, ``infinity``).

    >>> parse_order("3"), parse_order(" INF "), parse_order("∞")
    (3, inf, inf)
    >>> parse_order("0")
    Traceback (most recent call last):
    ...
    ValueError: not an order: 1 to 10 or inf
    """
    text = raw.strip().lower()
    if text in ("inf", "infinity", "∞"):
        return INF
    if text.isascii() and text.isdigit() and len(text) <= 2 and 1 <= int(text) <= 10:
        return int(text)
    raise ValueError("not an order: 1 to 10 or inf")


def format_order(order: float) -> str:
    """The order as a link writes it.

    >>> format_order(INF), format_order(2)
    ('inf', '2')
    """
    return "inf" if order == INF else str(int(order))


def _tp_key(name: str) -> QueryKey:
    """/transport_plan's key ``name`` (its parser and format: one home for both pages)."""
    return next(k for k in tp.QUERY_KEYS if k.key == name)


QUERY_KEYS = (
    _tp_key("n"),
    _tp_key("p"),
    _tp_key("q"),
    QueryKey("order", "order", parse_order, format_order),
    QueryKey("s", "s", float_in(0.0, 1.0), format_float),
)


def order_label(order: float) -> str:
    return "W∞" if order == INF else f"W{int(order)}"


@dataclass(frozen=True)
class Solution:
    """One solved state: the inputs, the quantile formula's numbers and the LP's."""

    x: np.ndarray
    a: np.ndarray  # p at unit mass
    b: np.ndarray
    order: float
    transport: OneDTransport
    lp_value: float  # W_p from the LP (network simplex), or the bottleneck LPs for p = inf
    lp_converged: bool
    lp_error: float  # L1 marginal error of the LP's plan
    lp_solves: int
    compute_time: float

    @property
    def distance(self) -> float:
        return self.transport.distance

    def readout_rows(self) -> list[list[str]]:
        w = order_label(self.order)
        t = self.transport
        if self.order == INF:
            lp_label = f"{w} from LPs (bottleneck, {self.lp_solves} solves)"
        else:
            power = "" if self.order == 1 else f"^{int(self.order)}"
            lp_label = f"{w} from the LP, cost |x−y|{power}"
        diff = abs(self.lp_value - self.distance)
        flag = "" if self.lp_converged else "the LP did not reach an optimal, feasible plan"
        return [
            readout("wp", f"{w} (quantile formula, exact)", f"{self.distance:.6g}"),
            readout("lp", lp_label, f"{self.lp_value:.6g}", flag=flag),
            readout("diff", "|difference|", f"{diff:.1e}"),
            readout("lp_status", "LP optimal", "yes" if self.lp_converged else "NO", flag=flag),
            readout("lp_error", "LP marginal error (L1)", f"{self.lp_error:.0e}"),
            readout("w1", "W1 = area between F and G", f"{t.w1_area:.6g}"),
            readout("winf", "W∞ = largest quantile gap", f"{t.w_inf:.6g}"),
            readout("time", "compute time", f"{1000 * self.compute_time:.1f} ms"),
        ]


def solve(x: np.ndarray, p: np.ndarray, q: np.ndarray, order: float) -> Solution:
    """The quantile formula (ot_engine.one_d) and the LP for the same state."""
    t0 = time.perf_counter()
    transport = transport_1d(x, p, x, q, order=order)
    a, b = p / p.sum(), q / q.sum()
    D = cost_matrix(x, x, power=1)
    if order == INF:
        lp = bottleneck_lp(a, b, D, hint=transport.w_inf)
        value, converged, error, solves = lp.value, lp.converged, lp.marginal_error, lp.solves
    else:
        res = exact(a, b, D**order)
        value, converged = max(res.cost, 0.0) ** (1.0 / order), res.converged
        error, solves = res.marginal_error, 1
    return Solution(
        x=x,
        a=a,
        b=b,
        order=order,
        transport=transport,
        lp_value=value,
        lp_converged=converged,
        lp_error=error,
        lp_solves=solves,
        compute_time=time.perf_counter() - t0,
    )


class OneDimension(HistogramPair):
    """State of the page and its last valid numbers (no widgets, no Bokeh)."""

    preset = param.Selector(default=DEFAULT_PRESET, objects=list(PRESETS), label="Preset")
    order = param.Selector(default=2, objects=ORDERS, label="Order p of W_p")
    s = param.Number(0.5, bounds=(0.0, 1.0), label="Level s")
    reset = param.Action(lambda self: self.apply_preset(self.preset), label="Reset bars")

    solution = param.ClassSelector(class_=Solution, default=None, constant=True)
    problem = param.String("", constant=True, doc="Why the numbers shown are not current.")

    def __init__(self, **params):
        super().__init__(**params)
        self._inputs_changed()

    @param.depends("n", "p", "q", "order", watch=True)
    def _inputs_changed(self) -> None:
        if self.p.size != self.n or self.q.size != self.n:
            self.param.update(p=fit_heights(self.p, self.n), q=fit_heights(self.q, self.n))
            return
        missing = [name for name, h in (("p", self.p), ("q", self.q)) if not np.any(h > 0)]
        if missing:
            self._fail(
                " and ".join(f"add some mass to {m}" for m in missing).capitalize()
                + ": every bar is at zero. The numbers shown are the last valid ones."
            )
            return
        try:
            solution = solve(uniform_grid(self.n), self.p, self.q, self.order)
        except InvalidInput as err:  # not expected after the checks above; never crash
            self._fail(f"Could not compute this state ({err}). The numbers shown are the last.")
            return
        with param.edit_constant(self):
            self.param.update(solution=solution, problem="")

    def _fail(self, problem: str) -> None:
        with param.edit_constant(self):
            self.problem = problem

    def level_pair(self) -> tuple[float, float] | None:
        """``(F^-1(s), G^-1(s))`` for the current bars (None without mass)."""
        if not (np.any(self.p > 0) and np.any(self.q > 0)):
            return None
        x = uniform_grid(self.p.size)
        return (
            float(quantile_1d(x, self.p, self.s)[()]),
            float(quantile_1d(x, self.q, self.s)[()]),
        )

    def level_text(self) -> str:
        pair = self.level_pair()
        if pair is None:
            return "Add mass to both histograms to match their levels."
        xf, xg = pair
        return (
            f"Level s = {self.s:.3f}: F⁻¹(s) = {xf:.4f}, G⁻¹(s) = {xg:.4f}. "
            f"The plan moves the mass at x = {xf:.4f} to y = {xg:.4f} "
            f"(a gap of {abs(xg - xf):.4f})."
        )

    def snippet(self) -> str:
        return takehome_code(self.p, self.q, self.order)


# --- the code box ----------------------------------------------------------------------------


def takehome_code(p: np.ndarray, q: np.ndarray, order: float) -> str:
    """numpy + POT lines that recompute the page's numbers (shown in the code box)."""
    n = p.size

    def vec(h):
        return "np.array([" + ", ".join(f"{v:.{HEIGHT_DIGITS}g}" for v in h) + "])"

    w = order_label(order)
    lines = [
        "import numpy as np",
        "import ot",
        "",
        f"p = {vec(p)}",
        f"q = {vec(q)}",
        f"x = (np.arange({n}) + 0.5) / {n}  # bin centres on [0, 1]",
        "a, b = p / p.sum(), q / q.sum()  # the bars are normalized to unit mass",
        "",
        "# Sort and match: split [0, 1] at the values of both CDFs; on each piece the",
        "# quantile functions are constant, and the plan moves that piece's mass.",
        "F, G = np.cumsum(a), np.cumsum(b)",
        "F[-1] = G[-1] = 1.0  # both end at level 1 (not 1 - 1e-16)",
        "levels = np.union1d(F, G)",
        "levels = levels[(levels > 0) & (levels <= 1)]",
        "levels[-1] = 1.0",
        "lo = np.concatenate(([0.0], levels[:-1]))",
        "mass = levels - lo",
        "mid = (lo + levels) / 2",
        "i = np.minimum(np.searchsorted(F, mid), len(a) - 1)  # F^-1 on the piece",
        "j = np.minimum(np.searchsorted(G, mid), len(b) - 1)  # G^-1 on the piece",
        "gap = np.abs(x[i] - x[j])",
        "",
        "W1_area = np.sum(np.abs(F - G)[:-1] * np.diff(x))  # area between the CDFs",
        "W_inf = gap[mass > 1e-12].max()  # largest gap over levels with mass",
        'print(f"W1 = area between F and G = {W1_area:.6g}")',
        'print(f"W_inf = largest quantile gap = {W_inf:.6g}")',
    ]
    if order == INF:
        lines += [
            "",
            "# The LP's check: a plan using only pairs at distance <= t exists (cost 0",
            "# for the 0/1 cost below) at t = W_inf, and none exists just below it.",
            "D = np.abs(x[:, None] - x[None, :])",
            "below = np.max(D[D < W_inf - 1e-12], initial=0.0)",
            "at = ot.emd2(a, b, (D > W_inf + 1e-12).astype(float))",
            "under = ot.emd2(a, b, (D > below + 1e-12).astype(float))",
            'print(f"LP at W_inf: forbidden mass {at:.1e}; just below: {under:.3g}")',
        ]
    else:
        k = int(order)
        lines += [
            f"W = np.sum(mass * gap**{k}) ** (1 / {k})  # the quantile formula",
            f"C = np.abs(x[:, None] - x[None, :]) ** {k}",
            f"W_lp = ot.emd2(a, b, C) ** (1 / {k})  # the linear program, for comparison",
            f"W_pot = ot.wasserstein_1d(x, x, a, b, p={k}) ** (1 / {k})  # POT's 1-D formula",
            f'print(f"{w} (quantile formula) = {{W:.6g}}")',
            f'print(f"{w} from the LP = {{W_lp:.6g}}")',
            f'print(f"{w} from ot.wasserstein_1d = {{W_pot:.6g}}")',
        ]
    return "\n".join(lines)


#: The notebook's figure (after the code above, which defines x, a, b, F, G, lo, levels, i, j).
PLOT = """import matplotlib.pyplot as plt

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
left.step(x, F, where="post", label="F (source)")
left.step(x, G, where="post", linestyle="--", label="G (target)")
left.fill_between(x, F, G, step="post", alpha=0.3, color="#009E73", label="area = W1")
left.set_xlabel("t")
left.legend()
right.stairs(x[i], np.concatenate(([0.0], levels)), label="F^-1(s)")
right.stairs(x[j], np.concatenate(([0.0], levels)), linestyle="--", label="G^-1(s)")
right.set_xlabel("level s")
right.legend()
plt.show()
"""


# --- requests from the browser -------------------------------------------------------------


# --- the view -------------------------------------------------------------------------------


class OneDimensionPage(NotebookPage):
    """The served page: histograms, CDFs, quantiles, plan and map; numbers; prose."""

    slug = SLUG
    embed_height_scale = None  # compact sizes of its own (plots.COMPACT)
    model_class = OneDimension
    query_keys = QUERY_KEYS
    model = param.ClassSelector(class_=OneDimension)
    figure_label = "One-dimensional transport: CDFs, quantile functions and the monotone plan"

    def __init__(self, model=None, notices=None, embed=None):
        super().__init__(model, notices=notices, embed=embed)
        self.sizes = plots.COMPACT if self.embed else plots.FULL
        m = self.model
        self.flow = Flow(self._apply_update, name="od_answer")
        x = uniform_grid(m.n)
        unit = Range1d(0, 1, bounds=(0, 1))
        self.histograms = source_and_target(
            x,
            m,
            self.flow,
            prefix="od",
            width=self.sizes.width,
            height=self.sizes.bar_height,
            x_range=unit,
            ymax=1.0,
        )
        self.figs = plots.LevelFigures(
            self.sizes,
            self.histograms["p"].source,
            self.histograms["q"].source,
            self.flow,
            m.s,
        )
        self.flow.listen(
            self.figs.level,
            lambda data: scalar_request(data, "s", 0.0, 1.0, LEVEL_DIGITS),
            max_items=16,
        )
        # a model must be referenced from the layout to be synced
        self.figs.cdf_fig.tags = [self.flow.answer_source, self.figs.level]
        width, height = self.sizes.readouts
        self.readouts = ReadoutTable(
            columns=[["od-value", "value"]],
            label_header="quantity",
            label_width="58%",
            caption="Distances between the two histograms, by the quantile formula and the LP",
            table_class="od-readouts",
            stylesheets=["table.od-readouts th.ot-readout-label { white-space: normal; }"],
            width=width,
            min_height=height,
            sizing_mode="fixed",
            margin=(0, 5),
        )
        self.problem_note = pn.pane.HTML(
            "", width=width, sizing_mode="fixed", margin=(0, 5), visible=False
        )
        self.probe = pn.pane.HTML(
            "",
            width=self.sizes.width,
            height=60,
            sizing_mode="fixed",
            styles={"contain": "strict"},
            margin=(0, 5),
        )
        self._build_controls()
        m.param.watch(self._bars_changed, ["p", "q"])
        m.param.watch(lambda *_e: self._redraw(), ["solution", "problem"])
        m.param.watch(lambda *_e: self._update_probe(), ["s"])
        self._redraw()

    def _apply_update(self, update: dict) -> None:
        m = self.model
        if any(name in update and update[name].size != m.n for name in ("p", "q")):
            update = {k: v for k, v in update.items() if k == "s"}  # stale bars: drop
        with pn.io.hold(self.flow.document):  # one message for the whole update
            m.param.update(**update)

    def _bars_changed(self, *_events) -> None:
        x = uniform_grid(self.model.n)
        for name, hist in self.histograms.items():
            hist.update(getattr(self.model, name), x=x)

    def _redraw(self) -> None:
        m = self.model
        sol = m.solution
        self.readouts.rows = sol.readout_rows() if sol else []
        self.problem_note.param.update(
            object=plots.problem_html(m.problem), visible=bool(m.problem)
        )
        if sol is not None:
            t = sol.transport
            k = t.inf_piece
            mid = 0.5 * (t.levels[k] + t.levels[k + 1])
            self.figs.show_inf_gap(mid, float(t.source[k]), float(t.target[k]))
        self._update_probe()
        # Last: it acknowledges everything above (the browser then sends its newest change).
        self.flow.answer()

    def _update_probe(self) -> None:
        self.probe.object = html.escape(self.model.level_text())

    def _build_controls(self) -> None:
        m = self.model
        widgets = pn.widgets
        self.preset_select = widgets.Select.from_param(m.param.preset)
        self.order_select = widgets.Select.from_param(m.param.order)
        self.reset_button = widgets.Button.from_param(m.param.reset)
        self.bins_slider = widgets.IntSlider.from_param(m.param.n, step=8, throttled=True)
        if self.embed:
            flex = {"gap": "0 8px", "align_items": "center", "sizing_mode": "stretch_width"}
            for widget, width in (
                (self.preset_select, 170),
                (self.order_select, 110),
                (self.bins_slider, 170),
                (self.reset_button, 100),
            ):
                widget.param.update(width=width, sizing_mode="fixed")
            self.control_panel = pn.FlexBox(
                self.preset_select, self.order_select, self.bins_slider, self.reset_button, **flex
            )
            return
        self.control_panel = pn.Column(
            self.preset_select, self.order_select, self.bins_slider, self.reset_button, width=290
        )

    def figure(self) -> pn.viewable.Viewable:
        if self.embed:
            return self._embed_figure()
        f = self.figs
        left = column(self.histograms["p"].figure, self.histograms["q"].figure, f.cdf_fig)
        right = column(f.quantile_fig, f.map_fig)
        probe = compat.AttributedColumn(
            self.probe, html_attributes={"aria-live": "polite"}, sizing_mode="fixed"
        )
        level = pn.Column(
            pn.pane.Bokeh(f.slider, margin=0), probe, sizing_mode="fixed", width=self.sizes.width
        )
        first = pn.Column(pn.pane.Bokeh(left), level, sizing_mode="fixed")
        second = pn.Column(
            pn.pane.Bokeh(right), self.problem_note, self.readouts, sizing_mode="fixed"
        )
        return pn.FlexBox(first, second, gap="0 12px", sizing_mode="stretch_width")

    def _embed_figure(self) -> pn.viewable.Viewable:
        """A 700 x 600 iframe: the controls in one row, then two columns that share the width
        (histograms, CDFs and the level; quantiles, the map and the numbers in small type)."""
        f = self.figs
        stretch = {"sizing_mode": "stretch_width", "width": None}
        for fig in (self.histograms["p"].figure, self.histograms["q"].figure, f.cdf_fig):
            fig.update(**stretch)
        f.quantile_fig.update(min_border_right=12, **stretch)  # room for the last tick
        f.map_fig.title.text = "Monotone map T"  # the full title is wider than the square
        f.slider.update(**stretch)
        self.probe.param.update(height=48, styles={"contain": "strict", "font-size": "12px"})
        self.probe.param.update(**stretch)
        self.readouts.param.update(**stretch)
        self.readouts.stylesheets = [
            *self.readouts.stylesheets,
            "table.od-readouts { font-size: 12px; }",
        ]
        self.problem_note.param.update(**stretch)
        probe = compat.AttributedColumn(
            self.probe, html_attributes={"aria-live": "polite"}, sizing_mode="stretch_width"
        )
        left = column(
            self.histograms["p"].figure,
            self.histograms["q"].figure,
            f.cdf_fig,
            sizing_mode="stretch_width",
        )
        right = column(f.quantile_fig, f.map_fig, sizing_mode="stretch_width")
        first = pn.Column(
            pn.pane.Bokeh(left, sizing_mode="stretch_width"),
            pn.pane.Bokeh(f.slider, margin=0, sizing_mode="stretch_width"),
            probe,
            sizing_mode="stretch_width",
        )
        second = pn.Column(
            pn.pane.Bokeh(right, sizing_mode="stretch_width"),
            self.problem_note,
            self.readouts,
            sizing_mode="stretch_width",
        )
        figure = pn.Column(
            first,
            second,
            css_classes=["ot-embed-row", "ot-embed-halves"],
            sizing_mode="stretch_width",
        )
        return pn.Column(self.control_panel, figure, sizing_mode="stretch_width")

    def controls(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.control_panel

    # --- take it home -----------------------------------------------------------------------

    def takehome(self) -> TakeHome:
        m = self.model
        w = order_label(m.order)
        return TakeHome(
            title=f"Transport on the line: {m.n} bins, {w}",
            intro=(
                f"Two histograms $p$ and $q$ on {m.n} bins of $[0, 1]$, normalized to unit "
                "mass. In one dimension the optimal plan sorts and matches: the mass at level "
                "$s$ of the source's CDF $F$ goes to level $s$ of the target's CDF $G$. The "
                f"first cell computes $W_1$, $W_\\infty$ and {w} from the quantile functions, "
                "and checks them against a linear program (POT); the second draws the CDFs "
                "and quantile functions."
            ),
            equation=(
                r"W_p(\mu, \nu)^p = \int_0^1 |F^{-1}(s) - G^{-1}(s)|^p\,ds, \qquad "
                r"W_1 = \int |F(t) - G(t)|\,dt"
            ),
            cells=(m.snippet(), PLOT),
            notes=(
                "Every piece between two consecutive CDF values moves its mass from one "
                "point to one point, so the integral is a finite sum and the numbers are "
                "exact (up to rounding).",
            ),
            code_title="Show the code (numpy + POT)",
        )

    def caption_lines(self) -> list[str]:
        sol = self.model.solution
        rows = [] if sol is None else sol.readout_rows()
        lines = [f"{r[1]}: {r[3]}" for r in rows if r[0] != "time"]
        if self.model.problem:
            lines.insert(0, self.model.problem)
        return lines

    @classmethod
    def link_notices(cls, model: OneDimension, query: dict[str, str]) -> list[str]:
        """Say so when the link's bars were rebinned to its ``n``."""
        values, _ = parse_query(query, QUERY_KEYS)
        return rebinned_notices(values, model.n)
