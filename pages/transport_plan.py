"""Page /transport_plan: drag two histograms and watch the optimal transport plan recompute.

The model (:class:`TransportPlan`) holds the state a link can carry (bars, bins, ε, cost) and
the last valid solution from :mod:`ot_engine`. The view (:class:`TransportPlanPage`) draws it
with Bokeh; the bars are two draggable histograms (:mod:`pages.components.histogram`) whose
heights reach the server through the shared flow control (:mod:`pages.components.flow`), so
the figure never falls behind the pointer.

Deep-link keys: ``p``, ``q`` (comma-separated bar heights in [0, 1]), ``eps`` (fraction of the
largest cost, 1e-4 to 1, or ``0`` for the exact LP), ``cost`` (``1`` or ``2``), ``n`` (bins,
16 to 256). ``n`` sets the number of bins; a ``p`` or ``q`` of another length is rebinned to
``n`` bins (mass kept) with a notice. Without ``n`` the default 64 applies.
"""

from __future__ import annotations

import html
import io
import math
import time
from dataclasses import dataclass, replace

import numpy as np
import panel as pn
import param
from bokeh.layouts import column
from bokeh.models import ColumnDataSource, CustomJSTickFormatter, Range1d, Slider

from ot_engine import (
    InvalidInput,
    cost_matrix,
    exact,
    sinkhorn,
    uniform_grid,
    wasserstein_1d,
)
from pages import compat, theme
from pages import transport_plan_plots as plots
from pages.components import js
from pages.components.flow import Flow, scalar_request
from pages.components.readouts import ReadoutTable
from pages.histogram_pair import (
    HEIGHT_DIGITS,
    HistogramPair,
    fit_heights,
    parse_heights,
    rebinned_notices,
    source_and_target,
)
from pages.page import NotebookPage
from pages.query import (
    QueryKey,
    float_in,
    format_float,
    format_list,
    int_in,
    parse_query,
)
from pages.takehome import TakeHome

SLUG = "transport_plan"
#: Sinkhorn's target marginal error (L1, both marginals, unit masses).
SINKHORN_TOL = 1e-9


# --- the state a link can carry ----------------------------------------------------------


def _parse_eps(raw: str) -> float:
    """``0`` (the exact LP) or a fraction of the largest cost in [1e-4, 1]."""
    if raw.strip() in ("0", "0.0"):
        return 0.0
    return float_in(1e-4, 1.0)(raw)


QUERY_KEYS = (
    QueryKey("n", "n", int_in(16, 256)),
    QueryKey("p", "p", parse_heights, format_list),
    QueryKey("q", "q", parse_heights, format_list),
    QueryKey("eps", "eps", _parse_eps, format_float),
    QueryKey("cost", "cost", int_in(1, 2)),
)


@dataclass(frozen=True)
class Solution:
    """One solved state: the inputs as solved and what ot_engine returned."""

    x: np.ndarray
    C: np.ndarray
    a: np.ndarray  # p normalized to unit mass
    b: np.ndarray
    power: int
    eps_fraction: float  # 0 = exact LP
    eps: float  # in the units of C
    result: object  # SinkhornResult or ExactResult
    exact_plan: np.ndarray | None  # exact plan for the support overlay (when asked and eps > 0)
    exact_distance: float  # W_power from the 1-D quantile formula (exact, cheap)
    compute_time: float

    @property
    def solver(self) -> str:
        if self.eps_fraction == 0:
            return "exact LP (network simplex)"
        return "Sinkhorn (log domain)"

    @property
    def distance(self) -> float:
        """``<C, π>^(1/p)``: W_p when the plan is exact, an upper bound of W_p otherwise.

        Any admissible plan costs at least the optimal one, so for the entropic plan this is
        at least W_p (up to its marginal error of ≤ 1e-9).
        """
        return self.result.cost ** (1.0 / self.power)

    def readout_rows(self) -> list[tuple[str, str, bool]]:
        r = self.result
        p = self.power
        exact_lp = self.eps_fraction == 0
        root = "" if p == 1 else "√"
        w_label = f"W{p} = {root}⟨C, π⟩" if exact_lp else f"{root}⟨C, π⟩ (≥ W{p})"
        iterations = "— (simplex)" if exact_lp else f"{r.iterations}"
        objective = r.cost if exact_lp else r.objective
        status = "yes" if r.converged else f"NO: marginal error {r.marginal_error:.1e}"
        eps_text = "0 (exact)" if exact_lp else f"{self.eps_fraction:.3g} × max C = {self.eps:.3g}"
        return [
            ("transport cost ⟨C, π⟩", f"{r.cost:.6g}", False),
            (w_label, f"{self.distance:.6g}", False),
            (f"W{p} exact (1-D formula)", f"{self.exact_distance:.6g}", False),
            ("regularized objective", f"{objective:.6g}", False),
            ("ε", eps_text, False),
            ("solver", self.solver, False),
            ("iterations", iterations, False),
            ("marginal error (L1)", f"{r.marginal_error:.2e}", not r.converged),
            ("converged", status, not r.converged),
            ("compute time", f"{1000 * self.compute_time:.1f} ms", False),
        ]

    def plan_csv(self) -> str:
        """The plan as CSV, one row per cell with mass."""
        plan = self.result.plan
        i, j = np.nonzero(plan)
        out = io.StringIO()
        out.write("source_bin,target_bin,source_x,target_y,mass\n")
        for ii, jj in zip(i.tolist(), j.tolist(), strict=True):
            out.write(f"{ii},{jj},{self.x[ii]:.6g},{self.x[jj]:.6g},{plan[ii, jj]:.10g}\n")
        return out.getvalue()


def pot_snippet(p: np.ndarray, q: np.ndarray, power: int, eps_fraction: float) -> str:
    """A few lines of POT that recompute the page's plan and cost (shown in the code box)."""
    n = p.size

    def vec(h):
        return "np.array([" + ", ".join(f"{v:.{HEIGHT_DIGITS}g}" for v in h) + "])"

    lines = [
        *(["import warnings", ""] if eps_fraction > 0 else []),
        "import numpy as np",
        "import ot",
        "",
        f"p = {vec(p)}",
        f"q = {vec(q)}",
        f"x = (np.arange({n}) + 0.5) / {n}  # bin centres on [0, 1]",
        f"C = np.abs(x[:, None] - x[None, :]) ** {power}",
        "a, b = p / p.sum(), q / q.sum()  # the bars are normalized to unit mass",
    ]
    if eps_fraction == 0:
        lines += ["plan = ot.emd(a, b, C)  # exact linear program"]
    else:
        # POT's default and "sinkhorn_stabilized" methods return NaN or inf at small ε
        # (about 1e-3 of max C and below); plain "sinkhorn_log" is right but takes seconds
        # there. ε-scaling is right at every slider position and fast enough up to 256 bins.
        # Its stopThr bounds the *squared* L2 marginal error, hence 1e-20 for ~1e-10.
        lines += [
            f"reg = {eps_fraction:.6g} * C.max()",
            "# empty bars carry no mass; POT's scaling would divide by them, so leave them out",
            "i, j = a > 0, b > 0",
            "plan = np.zeros_like(C)",
            "# each inner ε stage warns when it stops at its cap; the error printed below",
            "# is what counts",
            'warnings.filterwarnings("ignore", "Sinkhorn did not converge")',
            "plan[np.ix_(i, j)] = ot.sinkhorn(a[i], b[j], C[np.ix_(i, j)], reg,",
            '                                 method="sinkhorn_epsilon_scaling",',
            "                                 stopThr=1e-20, numItermax=1000)",
        ]
    w = f"W{power}"
    root = "<C, plan>" if power == 1 else f"<C, plan>^(1/{power})"
    lines += [
        "cost = float(np.sum(C * plan))",
        f"W = cost ** (1 / {power})",
        "error = np.abs(plan.sum(1) - a).sum() + np.abs(plan.sum(0) - b).sum()",
        'print(f"marginal error (L1) = {error:.1e}")',
        'print(f"transport cost <C, plan> = {cost:.6g}")',
    ]
    if eps_fraction == 0:
        lines += [f'print(f"{w} = {root} = {{W:.6g}}")']
    else:
        lines += [
            f"# the entropic plan is admissible but not the cheapest: this is at least {w}",
            f'print(f"{root} = {{W:.6g}}  (>= {w})")',
        ]
    return "\n".join(lines)


#: The notebook's plot of the plan (after :func:`pot_snippet`, which defines x, a, b, plan).
PLAN_PLOT = """import matplotlib.pyplot as plt

fig, (top, ax) = plt.subplots(
    2, 1, figsize=(5.5, 7), height_ratios=[1, 3], sharex=True, constrained_layout=True
)
width = x[1] - x[0]
top.bar(x, a, width=width, color="#1f77b4", alpha=0.7, label="p (source)")
top.bar(x, b, width=width, color="#ff7f0e", alpha=0.5, label="q (target)")
top.legend()
ax.imshow(plan.T, origin="lower", extent=(0, 1, 0, 1), cmap="viridis", aspect="auto")
ax.set_xlabel("x (source bin)")
ax.set_ylabel("y (target bin)")
ax.set_title("transport plan: mass moved from x to y")
plt.show()
"""


class TransportPlan(HistogramPair):
    """State of the page and its last valid solution (no widgets, no Bokeh).

    ``preset``, ``n``, ``p`` and ``q`` come from :class:`HistogramPair`; while its
    ``apply_preset`` runs, the solve skips the warm start.
    """

    eps = param.Number(
        1e-3, bounds=(0.0, 1.0), label="ε as a fraction of the largest cost (0 = exact)"
    )
    cost = param.Selector(
        default=2, objects={"|x − y|  (W1)": 1, "|x − y|²  (W2)": 2}, label="Ground cost"
    )
    log_color = param.Boolean(False, label="Log colour scale")
    show_exact_support = param.Boolean(False, label="Show the exact plan's support")
    reset = param.Action(lambda self: self.apply_preset(self.preset), label="Reset bars")

    solution = param.ClassSelector(class_=Solution, default=None, constant=True)
    problem = param.String("", constant=True, doc="Why the shown solution is not current.")

    def __init__(self, **params):
        super().__init__(**params)
        self._inputs_changed()

    @param.depends("show_exact_support", watch=True)
    def _support_toggled(self) -> None:
        """Add or drop the exact plan's support; the entropic plan shown stays as solved."""
        sol = self.solution
        if sol is None or self.problem:
            return  # the next solve adds it
        exact_plan = None  # at ε = 0 the plan shown is the exact one (see the view)
        if self.show_exact_support and sol.eps_fraction > 0:
            exact_plan = exact(self.p, self.q, sol.C).plan
        with param.edit_constant(self):  # a new record: the view redraws the overlay
            self.solution = replace(sol, exact_plan=exact_plan)

    @param.depends("n", "p", "q", "eps", "cost", watch=True)
    def _inputs_changed(self) -> None:
        if self.p.size != self.n or self.q.size != self.n:
            self.param.update(
                p=fit_heights(self.p, self.n), q=fit_heights(self.q, self.n)
            )  # solves again
            return
        self._solve()

    def _solve(self) -> None:
        missing = [name for name, h in (("p", self.p), ("q", self.q)) if not np.any(h > 0)]
        if missing:
            with param.edit_constant(self):
                self.problem = (
                    " and ".join(f"add some mass to {m}" for m in missing).capitalize()
                    + ": every bar is at zero. The plan shown is the last valid one."
                )
            return
        t0 = time.perf_counter()
        x = uniform_grid(self.n)
        C = cost_matrix(x, x, power=self.cost)
        # New histograms from a preset: the last potentials belong to another problem.
        previous = None if self._applying_preset else self.solution
        exact_plan = None
        try:
            if self.eps == 0:
                result = exact(self.p, self.q, C)
                eps_abs = 0.0
            else:
                eps_abs = self.eps * float(C.max())
                warm = None
                if (
                    previous is not None
                    and previous.eps_fraction > 0
                    and previous.power == self.cost
                ):
                    warm = previous.result
                result = sinkhorn(self.p, self.q, C, eps_abs, warm_start=warm, tol=SINKHORN_TOL)
                if self.show_exact_support:
                    exact_plan = exact(self.p, self.q, C).plan
        except InvalidInput as err:  # not expected after the checks above; never crash
            with param.edit_constant(self):
                self.problem = (
                    f"Could not solve this state ({err}). The plan shown is the last valid one."
                )
            return
        a = self.p / self.p.sum()
        b = self.q / self.q.sum()
        solution = Solution(
            x=x,
            C=C,
            a=a,
            b=b,
            power=self.cost,
            eps_fraction=self.eps,
            eps=eps_abs,
            result=result,
            exact_plan=exact_plan,
            exact_distance=wasserstein_1d(x, a, b, order=self.cost),
            compute_time=time.perf_counter() - t0,
        )
        with param.edit_constant(self):
            self.param.update(solution=solution, problem="")

    def snippet(self) -> str:
        return pot_snippet(self.p, self.q, self.cost, self.eps)


# --- requests from the browser -------------------------------------------------------------


def _slider_eps(log10_value: float) -> float:
    """ε fraction for a slider position, kept to 3 significant digits (short, stable links)."""
    return float(f"{10**log10_value:.3g}")


# --- the view -------------------------------------------------------------------------------


class TransportPlanPage(NotebookPage):
    """The served page: figures, controls, readouts, prose."""

    slug = SLUG
    embed_height_scale = None  # compact sizes of its own (plots.COMPACT)
    model_class = TransportPlan
    query_keys = QUERY_KEYS
    model = param.ClassSelector(class_=TransportPlan)
    wide_figure = True

    def __init__(
        self,
        model: TransportPlan | None = None,
        notices: list[str] | None = None,
        embed: bool | None = None,
    ):
        super().__init__(model, notices=notices, embed=embed)
        # ``self.embed``: compact figures and controls for a 700 px iframe.
        self.sizes = plots.COMPACT if self.embed else plots.FULL
        m = self.model
        self._build_figures()
        # The shared readout table (pages.components.readouts): an update rewrites only the
        # text of the cells that changed, in cells of fixed width, so new numbers never lay
        # out the page again. Why the plan is not current goes in an alert above it.
        contained = {"contain": "strict"}
        width, height = self.sizes.readouts
        self.readouts = ReadoutTable(
            columns=[["tp-value", "value"]],
            label_header="quantity",
            label_width="42%",
            caption="The plan shown: cost, distance and how it was solved",
            table_class="tp-readouts",
            # a long label wraps (to fit a phone) rather than end in "..."
            stylesheets=[
                "table.tp-readouts th.ot-readout-label { white-space: normal; }"
                + ("table.tp-readouts { font-size: 12px; }" if self.embed else "")
            ],
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
            width=self.sizes.flow_width,
            height=48,
            sizing_mode="fixed",
            styles=contained | ({"font-size": "12px"} if self.embed else {}),
            margin=(0, 5),
        )
        self.marks.probe.on_change("data", lambda attr, old, new: self._update_probe())
        self._build_controls()
        m.param.watch(self._bars_changed, ["p", "q"])
        m.param.watch(lambda *_e: self._redraw(), ["solution", "problem", "log_color"])
        self._redraw()

    def _build_figures(self) -> None:
        """The two draggable histograms, the moved mass between them and the plan."""
        m = self.model
        x = uniform_grid(m.n)
        # One flow for both histograms and the ε slider: one solve per batch of requests,
        # one answer (carrying the ε solved for) releases all of them.
        self.flow = Flow(self._apply_update, name="tp_answer", eps=float(m.eps))
        unit = Range1d(0, 1, bounds=(0, 1))
        self.histograms = source_and_target(
            x,
            m,
            self.flow,
            prefix="tp",
            width=self.sizes.flow_width,
            height=self.sizes.bar_height,
            x_range=unit,
            ymax=plots.YMAX,
        )
        p_hist, q_hist = self.histograms["p"], self.histograms["q"]
        self.marks = plots.Marks(p_hist.source, q_hist.source)
        p_hist.overlay(self.marks.p, **plots.MARK_STYLE)
        q_hist.overlay(self.marks.q, **plots.MARK_STYLE)
        self.lines = plots.FlowFigure(self.sizes, unit, self.marks)
        self.plan = plots.PlanFigure(
            self.sizes, p_hist.source, q_hist.source, self.marks, self.lines.source
        )
        # The ε slider's requests (assets/js/transport_plan_eps.js), through the same flow.
        self.eps_request = ColumnDataSource({"log_eps": [0.0]}, name="tp_eps_request")
        # a model must be referenced from the layout to be synced
        self.plan.heat.tags = [self.flow.answer_source, self.eps_request]

    def _apply_update(self, update: dict) -> None:
        """Apply bar syncs and slider requests (the flow answers if nothing changed)."""
        m = self.model
        log_eps = update.pop("log_eps", None)
        if any(h.size != m.n for h in update.values()):
            update = {}  # a sync from before a bin change: stale
        if log_eps is not None:
            self._slider_log_eps = log_eps
            if not self.exact_box.value:
                update["eps"] = _slider_eps(log_eps)
        with pn.io.hold(self.flow.document):  # one message for the whole update
            m.param.update(**update)

    # model -> browser
    def _bars_changed(self, *_events) -> None:
        m = self.model
        x = uniform_grid(m.n)
        for name, hist in self.histograms.items():
            if hist.update(getattr(m, name), x=x) and name == "p":
                self.plan.set_bar_width(float(x[1] - x[0]))

    def _redraw(self) -> None:
        m = self.model
        sol = m.solution
        self.readouts.rows = plots.readout_table_rows(sol.readout_rows() if sol else [])
        self.problem_note.param.update(
            object=plots.problem_html(m.problem), visible=bool(m.problem)
        )
        stale = bool(m.problem)
        plan = None if sol is None else sol.result.plan
        x = None if sol is None else sol.x
        self.lines.update(plan, x, stale)
        support = None if sol is None else sol.exact_plan
        if sol is not None and m.show_exact_support and sol.eps_fraction == 0:
            support = plan
        self.plan.update(plan, x, m.log_color, support, stale)
        if sol is None:
            return
        self._update_probe()
        # Last: it acknowledges everything above (the browser then sends its newest change).
        self.flow.answer(eps=sol.eps_fraction)

    def _update_probe(self) -> None:
        sol = self.model.solution
        i, j = self.marks.cell
        if sol is None or not (0 <= i < sol.x.size and 0 <= j < sol.x.size):
            text = (
                "Hover a cell of the plan or a line (or focus the plan and use the arrow keys) "
                "to see the mass it moves."
            )
        else:
            text = (
                f"π[{i}, {j}] = {sol.result.plan[i, j]:.4g}: from x = {sol.x[i]:.3f} "
                f"(p holds {sol.a[i]:.4g}) to y = {sol.x[j]:.3f} (q holds {sol.b[j]:.4g})"
            )
        self.probe.object = html.escape(text)

    # controls
    def _build_controls(self) -> None:
        m = self.model
        # A plain Bokeh slider that is not synced: its moves reach the server as writes of
        # eps_request, through the page's flow (assets/js/transport_plan_eps.js).
        self._slider_log_eps = math.log10(m.eps) if m.eps > 0 else -3.0
        self.eps_request.data = {"log_eps": [self._slider_log_eps]}
        self.eps_slider = Slider(
            title="ε / largest cost (log scale)",
            start=-4.0,
            end=0.0,
            step=0.01,
            value=self._slider_log_eps,
            format=CustomJSTickFormatter(code="return (10 ** tick).toExponential(1);"),
            disabled=m.eps == 0,
            syncable=False,
            sizing_mode="stretch_width",
            margin=(5, 10, 5, 10),  # as Panel's own widgets beside it
            name="tp_eps_slider",
            stylesheets=[theme.FOCUS_CSS],  # the notebook's focus ring, as on Panel's widgets
        )
        self.eps_slider.js_on_change(
            "value",
            js.custom_js(
                "transport_plan_eps.js",
                Flow.JS,
                request=self.eps_request,
                answer=self.flow.answer_source,
            ),
        )
        self.flow.listen(self.eps_request, lambda data: scalar_request(data, "log_eps", -4.0, 0.0))
        self.exact_box = pn.widgets.Checkbox(label="Exact (unregularized LP)", value=m.eps == 0)
        self._syncing_eps = False
        self.exact_box.param.watch(self._eps_from_widgets, "value")
        m.param.watch(self._eps_to_widgets, "eps")
        self.download = pn.widgets.FileDownload(
            callback=self._csv,
            filename="transport_plan.csv",
            label="Download the plan (CSV)",
            embed=False,
        )
        widgets = pn.widgets
        self.preset_select = widgets.Select.from_param(m.param.preset)
        self.reset_button = widgets.Button.from_param(m.param.reset)
        self.slider_pane = pn.pane.Bokeh(self.eps_slider, sizing_mode="stretch_width", margin=0)
        self.cost_buttons = widgets.RadioButtonGroup.from_param(m.param.cost)
        self.bins_slider = widgets.IntSlider.from_param(m.param.n, step=8, throttled=True)
        self.log_box = widgets.Checkbox.from_param(m.param.log_color)
        self.support_box = widgets.Checkbox.from_param(m.param.show_exact_support)
        if self.embed:
            self.control_panel = self._compact_controls()
            return
        # A column beside the figure; rows of controls when the window puts them below it.
        for widget in (
            self.preset_select,
            self.reset_button,
            self.slider_pane,
            self.exact_box,
            self.cost_buttons,
            self.bins_slider,
            self.log_box,
            self.support_box,
            self.download,
        ):
            widget.param.update(width=270, sizing_mode="fixed")
        self.eps_slider.update(sizing_mode="fixed", width=250)
        self.control_panel = pn.FlexBox(
            self.preset_select,
            self.reset_button,
            self.slider_pane,
            self.exact_box,
            self.cost_buttons,
            self.bins_slider,
            self.log_box,
            self.support_box,
            self.download,
            flex_wrap="wrap",
            align_items="center",
            gap="0 16px",
            sizing_mode="stretch_width",
        )

    def _compact_controls(self) -> tuple[pn.viewable.Viewable, ...]:
        """Embed mode, sized for a 700 x 600 iframe: what a reader reaches for first above the
        figure, the cost and bins under the histograms (beside the taller plan and its
        numbers), the rest in one row below."""
        for widget, width in (
            (self.preset_select, 150),
            (self.slider_pane, 230),
            (self.exact_box, 190),
            (self.cost_buttons, 270),
            (self.bins_slider, 270),
            (self.log_box, 130),
            (self.support_box, 200),
            (self.reset_button, 90),
            (self.download, 120),
        ):
            widget.param.update(width=width, sizing_mode="fixed")
        self.eps_slider.update(sizing_mode="fixed", width=210)
        self.download.label = "Plan as CSV"
        flex = {"gap": "0 8px", "align_items": "center", "sizing_mode": "stretch_width"}
        first = pn.FlexBox(self.preset_select, self.slider_pane, self.exact_box, **flex)
        side = pn.Column(self.cost_buttons, self.bins_slider, width=self.sizes.flow_width)
        rest = pn.FlexBox(self.log_box, self.support_box, self.reset_button, self.download, **flex)
        return first, side, rest

    def _eps_from_widgets(self, *_events) -> None:
        if self._syncing_eps:
            return
        self.eps_slider.disabled = self.exact_box.value
        # Hold: the new plan, numbers and link go out as one message, not one per model.
        with pn.io.hold(self.flow.document):
            self.model.eps = 0.0 if self.exact_box.value else _slider_eps(self._slider_log_eps)

    def _eps_to_widgets(self, event) -> None:
        self._syncing_eps = True
        try:
            self.exact_box.value = event.new == 0
            self.eps_slider.disabled = event.new == 0
            # Move the slider only if it shows another ε: never push a value back into a
            # slider that is being dragged (it would jump under the pointer).
            if event.new > 0 and _slider_eps(self._slider_log_eps) != event.new:
                self._slider_log_eps = math.log10(event.new)
                self.eps_slider.value = self._slider_log_eps
        finally:
            self._syncing_eps = False

    def _csv(self) -> io.StringIO:
        sol = self.model.solution
        return io.StringIO(sol.plan_csv() if sol else "")

    def figure(self) -> pn.viewable.Viewable:
        bars = column(self.histograms["p"].figure, self.lines.figure, self.histograms["q"].figure)
        # The hovered (or keyboard-picked) cell's amount, read out as it changes.
        probe = compat.AttributedColumn(
            self.probe, html_attributes={"aria-live": "polite"}, sizing_mode="fixed"
        )
        matrix = pn.Column(
            pn.pane.Bokeh(self.plan.layout), self.problem_note, self.readouts, sizing_mode="fixed"
        )
        if self.embed:
            return self._embed_figure(bars, probe, matrix)
        flow = pn.Column(pn.pane.Bokeh(bars), probe, sizing_mode="fixed")
        return pn.FlexBox(flow, matrix, gap="0 12px", sizing_mode="stretch_width")

    def _embed_figure(self, bars, probe, matrix) -> pn.viewable.Viewable:
        """Figure and controls in one block that fits a 700 x 600 iframe: the histograms (and
        the controls under them) take the width the plan and its numbers leave, so a wider
        iframe is filled."""
        for fig in (self.histograms["p"].figure, self.lines.figure, self.histograms["q"].figure):
            fig.update(sizing_mode="stretch_width", width=None)
        bars.sizing_mode = "stretch_width"
        self.probe.param.update(sizing_mode="stretch_width", width=None)
        probe.sizing_mode = "stretch_width"
        first, side, rest = self.control_panel
        for widget in (self.cost_buttons, self.bins_slider):
            widget.param.update(sizing_mode="stretch_width", width=None)
        side.param.update(sizing_mode="stretch_width", width=None)
        flow = pn.Column(
            pn.pane.Bokeh(bars, sizing_mode="stretch_width"),
            probe,
            side,
            sizing_mode="stretch_width",
        )
        # one line: the histograms take what the plan and its numbers leave
        figure = pn.FlexBox(
            flow, matrix, flex_wrap="nowrap", gap="0 12px", sizing_mode="stretch_width"
        )
        return pn.Column(first, figure, rest, sizing_mode="stretch_width")

    def controls(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.control_panel

    # --- take it home -----------------------------------------------------------------------

    def takehome(self) -> TakeHome:
        """The code box's snippet, then a plot of the plan, as a notebook."""
        m = self.model
        p = m.cost
        exact_lp = m.eps == 0
        kind = (
            "the exact plan (a linear program)"
            if exact_lp
            else (f"the entropic plan at ε = {m.eps:.3g} × max C")
        )
        return TakeHome(
            title=f"Transport plans: {m.n} bins, cost |x − y|^{p}",
            intro=(
                f"Two histograms $p$ and $q$ on {m.n} bins of $[0, 1]$, normalized to unit "
                f"mass, and {kind} between them for the ground cost $|x - y|^{p}$. The first "
                "cell solves it with POT and prints the numbers the page showed; the second "
                "draws the plan: each cell $(i, j)$ is the mass moved from bin $i$ of $p$ to "
                "bin $j$ of $q$."
            ),
            equation=(
                r"W_p(p, q)^p = \min_{\pi \ge 0,\ \pi \mathbf 1 = a,\ \pi^\top \mathbf 1 = b}"
                r" \langle C, \pi \rangle"
                + (
                    ""
                    if exact_lp
                    else r" \quad(\text{entropic: } + \varepsilon\,\mathrm{KL}"
                    r"(\pi \,\|\, a \otimes b))"
                )
            ),
            cells=(m.snippet(), PLAN_PLOT),
            notes=(
                "The entropic plan is admissible but not the cheapest, so its root cost is an "
                "upper bound of $W_p$; as $\\varepsilon \\to 0$ it tends to the exact plan."
                if not exact_lp
                else "At ε = 0 the plan is exact: its cost is $W_p^p$.",
            ),
            code_title="Show the code (POT)",
        )

    def caption_lines(self) -> list[str]:
        sol = self.model.solution
        rows = [] if sol is None else sol.readout_rows()
        lines = [f"{label}: {value}" for label, value, _ in rows if label != "compute time"]
        if self.model.problem:
            lines.insert(0, self.model.problem)
        return lines

    @classmethod
    def link_notices(cls, model: TransportPlan, query: dict[str, str]) -> list[str]:
        """Say so when the link's bars were rebinned to its ``n``."""
        values, _ = parse_query(query, QUERY_KEYS)
        return rebinned_notices(values, model.n)
