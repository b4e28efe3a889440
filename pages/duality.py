"""Page /duality: prices instead of routes (Kantorovich duality on two histograms).

The model (:class:`Duality`) holds the state a link can carry (the bars ``p`` and ``q``, bins,
cost, the sketched potential ``f`` and the soft transform's ε) and the last valid results from
:mod:`ot_engine.duality`: the exact LP with its canonical potentials (:class:`Exact`), the
entropic value at ε (:class:`Entropic`), and what the sketched ``f`` certifies
(:class:`Sketch`). The view (:class:`DualityPage`) draws them; the bars of p, q and f are
draggable histograms sharing one flow (:mod:`pages.components.flow`).

Deep-link keys: ``n``, ``p``, ``q`` as on /transport_plan (the same parsers), ``cost``
(``1`` or ``2``), ``eps`` (the soft c-transform's ε as a fraction of the largest cost, one of
:data:`EPS_CHOICES`) and ``f`` (the sketch: comma-separated values in [-0.5, 0.5]; another
length than ``n`` is interpolated onto the ``n`` bins).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import panel as pn
import param
from bokeh.layouts import column
from bokeh.models import ColumnDataSource

from ot_engine import (
    InvalidInput,
    KantorovichDuals,
    SinkhornResult,
    c_transform,
    cost_matrix,
    dual_value,
    kantorovich_potentials,
    lipschitz_constant,
    sinkhorn,
    soft_c_transform,
    uniform_grid,
)
from pages import duality_plots as plots
from pages import shell, theme
from pages import transport_plan as tp
from pages.components.flow import Flow
from pages.components.histogram import Histogram
from pages.components.readouts import ReadoutTable, readout
from pages.histogram_pair import HEIGHT_DIGITS, HistogramPair, fit_heights, round_heights
from pages.page import NotebookPage
from pages.query import QueryKey, float_list, format_float, parse_query
from pages.takehome import TakeHome

SLUG = "duality"
DEFAULT_N = 48
#: The soft c-transform's ε, as a fraction of the largest cost (a 1-2-5 ladder).
EPS_CHOICES = (1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1.0)
DEFAULT_EPS = 0.05
#: Sinkhorn's target marginal error for the entropic value (as on /transport_plan).
SINKHORN_TOL = 1e-9
#: The sketched f lies in [-F_MAX, F_MAX] and is kept to F_DECIMALS decimals (links, code).
F_MAX = 0.5
F_DECIMALS = 6
#: Slopes of a rounded 1-Lipschitz f reach 1 + 1e-6 / (bin width) <= 1 + 2.6e-4.
LIP_SLACK = 1e-3


def round_f(f) -> np.ndarray:
    """A sketch as the page keeps it: finite, in [-0.5, 0.5], six decimals.

    >>> round_f([0.1234567, -2.0, np.nan]).tolist()
    [0.123457, -0.5, 0.0]
    """
    f = np.nan_to_num(np.asarray(f, dtype=np.float64), nan=0.0)
    return np.round(np.clip(f, -F_MAX, F_MAX), F_DECIMALS) + 0.0  # + 0.0: no "-0"


def fit_f(f: np.ndarray, n: int) -> np.ndarray:
    """``f`` on ``n`` bins: linear interpolation between bin centres (a price, not a mass).

    >>> fit_f(np.array([0.0, 0.5]), 4).tolist()
    [0.0, 0.125, 0.375, 0.5]
    """
    if f.size == n:
        return f
    return round_f(np.interp(uniform_grid(n), uniform_grid(f.size), f))


def _parse_f(raw: str) -> np.ndarray:
    return round_f(float_list(2, 256, -F_MAX, F_MAX)(raw))


def _format_f(f) -> str:
    return ",".join(f"{v:.{F_DECIMALS}g}" for v in f)


def _parse_eps(raw: str) -> float:
    value = float(raw)
    for choice in EPS_CHOICES:
        if math.isfinite(value) and math.isclose(value, choice, rel_tol=1e-6):
            return choice
    raise ValueError("not one of " + ", ".join(f"{e:g}" for e in EPS_CHOICES))


_TP_KEYS = {spec.key: spec for spec in tp.QUERY_KEYS}
QUERY_KEYS = (
    _TP_KEYS["n"],
    _TP_KEYS["p"],
    _TP_KEYS["q"],
    _TP_KEYS["cost"],
    QueryKey("eps", "eps", _parse_eps, format_float),
    QueryKey("f", "f", _parse_f, _format_f),
)


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exact:
    """The exact LP for one state of the bars, with its canonical potentials."""

    x: np.ndarray
    C: np.ndarray
    a: np.ndarray  # p normalized to unit mass
    b: np.ndarray
    power: int
    duals: KantorovichDuals
    compute_time: float

    @property
    def slack(self) -> np.ndarray:
        return self.C - self.duals.f[:, None] - self.duals.g[None, :]

    def readout_rows(self) -> list[list[str]]:
        d, k = self.duals, self.power
        w = d.primal ** (1.0 / k)
        status = "optimal" if d.converged else f"NOT optimal: {d.message}"
        return [
            readout("primal", "primal: cost of the plan ⟨C, π⟩", f"{d.primal:.6g}"),
            readout("dual", "dual: ⟨f, a⟩ + ⟨g, b⟩", f"{d.dual:.6g}"),
            readout("gap", "primal − dual", f"{d.gap:.1e}"),
            readout(
                "min_slack",
                "smallest slack (≥ 0: f, g feasible)",
                f"{d.min_slack:.1e}",
                flag="" if d.min_slack >= -1e-9 else "negative: the prices are not feasible",
            ),
            readout("support_slack", "largest |slack| where π > 0", f"{d.support_slack:.1e}"),
            readout("w", f"W{k} = ⟨C, π⟩^(1/{k})" if k > 1 else "W1 = ⟨C, π⟩", f"{w:.6g}"),
            *(
                [
                    readout(
                        "critic",
                        "⟨f, a − b⟩ (f: 1-Lipschitz critic)",
                        f"{d.f @ (self.a - self.b):.6g}",
                    )
                ]
                if k == 1
                else []
            ),
            readout(
                "solver",
                "network simplex",
                status,
                flag="" if d.converged else "read these numbers with care",
            ),
            readout("time", "compute time", f"{1000 * self.compute_time:.1f} ms"),
        ]


@dataclass(frozen=True)
class Entropic:
    """The entropic problem at the soft transform's ε (its value bounds the soft certificate)."""

    eps_fraction: float
    eps: float  # in the units of C
    result: SinkhornResult


@dataclass(frozen=True)
class Sketch:
    """What a sketched f certifies, for the state of an :class:`Exact` and an ε."""

    f: np.ndarray
    fc: np.ndarray  # hard c-transform over the support of a
    soft: np.ndarray  # soft c-transform at eps
    bound: float  # <f, a> + <f^c, b>
    soft_bound: float  # <f, a> + <f^{c,eps}, b>
    excess: float  # max (soft - hard)
    excess_limit: float  # eps log(1 / min a on its support)
    lipschitz: float
    kr: float  # <f, a - b>


def sketch_of(f: np.ndarray, ex: Exact, eps: float) -> Sketch:
    """Certificates of ``f`` for the problem ``ex`` (all numbers from ot_engine.duality)."""
    fc = c_transform(f, ex.C, ex.a)
    soft = soft_c_transform(f, ex.C, eps, ex.a)
    return Sketch(
        f=f,
        fc=fc,
        soft=soft,
        bound=dual_value(f, fc, ex.a, ex.b),
        soft_bound=dual_value(f, soft, ex.a, ex.b),
        excess=float(np.max(soft - fc)),
        excess_limit=float(eps * np.log(1.0 / ex.a[ex.a > 0].min())),
        lipschitz=lipschitz_constant(f, ex.x),
        kr=float(f @ (ex.a - ex.b)),
    )


def tightened(f: np.ndarray, ex: Exact) -> np.ndarray:
    """``f^cc`` (each c-transform over the support with mass), centred and rounded.

    A constant shift does not change the bound (both histograms have unit mass), and
    ``f^cc >= f`` on the support of ``a``, so the bound can only improve. For ``|x - y|``,
    ``f^cc`` is 1-Lipschitz (a minimum of 1-Lipschitz functions).
    """
    g = c_transform(f, ex.C, ex.a)
    f2 = c_transform(g, ex.C.T, ex.b)
    return round_f(f2 - 0.5 * (f2.max() + f2.min()))


def sketch_rows(sk: Sketch, ex: Exact, en: Entropic) -> list[list[str]]:
    """The sketch's readout rows: its bounds against the LP and the entropic value."""
    r = en.result
    ot_eps_flag = "" if r.converged else f"Sinkhorn did not converge (error {r.marginal_error:.1e})"
    rows = [
        readout("bound", "your bound ⟨f, a⟩ + ⟨f^c, b⟩", f"{sk.bound:.6g}"),
        readout("ot", "optimal cost (the LP)", f"{ex.duals.primal:.6g}"),
        readout("gap", "gap: what f leaves out (≥ 0)", f"{ex.duals.primal - sk.bound:.3g}"),
        readout("soft_bound", "entropic bound ⟨f, a⟩ + ⟨f^c,ε, b⟩", f"{sk.soft_bound:.6g}"),
        readout("ot_eps", "entropic value OT_ε (Sinkhorn)", f"{r.objective:.6g}", flag=ot_eps_flag),
        readout("soft_gap", "entropic gap (≥ 0)", f"{r.objective - sk.soft_bound:.3g}"),
        readout(
            "excess",
            "max (f^c,ε − f^c) ≤ ε log(1/min a)",
            f"{sk.excess:.3g} ≤ {sk.excess_limit:.3g}",
        ),
        readout("eps", f"ε = {en.eps_fraction:g} × max C", f"{en.eps:.3g}"),
    ]
    if ex.power == 1:
        # f keeps six decimals: a 1-Lipschitz f, rounded, has slopes up to 1 + 1e-6 / dx
        lip_ok = sk.lipschitz <= 1 + LIP_SLACK
        rows += [
            readout("lip", "Lipschitz constant of f", f"{sk.lipschitz:.4f}"),
            readout(
                "kr",
                "⟨f, a − b⟩ (≤ W1 when Lip ≤ 1)",
                f"{sk.kr:.6g}",
                flag="" if lip_ok else "f is not 1-Lipschitz: this bounds nothing",
            ),
        ]
    return rows


# --- the state a link can carry --------------------------------------------------------------


class Duality(HistogramPair):
    """State of the page and its last valid results (no widgets, no Bokeh)."""

    n = param.Integer(DEFAULT_N, bounds=(16, 256), label="Bins")
    cost = param.Selector(
        default=2, objects={"|x − y|  (W1)": 1, "|x − y|²  (W2)": 2}, label="Ground cost"
    )
    eps = param.Selector(
        default=DEFAULT_EPS, objects=list(EPS_CHOICES), label="ε of the soft c-transform"
    )
    f = param.Array(default=None, label="Sketched potential f")

    exact = param.ClassSelector(class_=Exact, default=None, constant=True)
    entropic = param.ClassSelector(class_=Entropic, default=None, constant=True)
    sketch = param.ClassSelector(class_=Sketch, default=None, constant=True)
    problem = param.String("", constant=True, doc="Why the shown results are not current.")

    def __init__(self, **params):
        n = params.get("n", DEFAULT_N)
        params["f"] = np.zeros(n) if params.get("f") is None else params["f"]
        super().__init__(**params)
        self.param.watch(self._changed, ["n", "p", "q", "cost", "eps", "f"])
        self._changed()

    # actions (the page's buttons; apply_preset is HistogramPair's)
    def set_optimal(self) -> None:
        """f <- the exact LP's f (centred, so it fits the sketch's range)."""
        if self.exact is not None:
            self.f = round_f(self.exact.duals.f)

    def tighten(self) -> None:
        """f <- f^cc: the best f for the bound it already certifies (never worse)."""
        if self.exact is not None and self.exact.x.size == self.f.size:
            self.f = tightened(self.f, self.exact)

    def clear_f(self) -> None:
        self.f = np.zeros(self.n)

    # recomputation: every result of one change is published in one update (one redraw)
    def _changed(self, *events) -> None:
        names = {e.name for e in events} if events else {"n", "p", "q", "cost", "eps", "f"}
        if self.p.size != self.n or self.q.size != self.n or self.f.size != self.n:
            self.param.update(
                p=fit_heights(self.p, self.n),
                q=fit_heights(self.q, self.n),
                f=fit_f(self.f, self.n),
            )  # calls this again with sizes that fit
            return
        new: dict = {}
        if names & {"n", "p", "q", "cost"}:
            exact = self._solve_exact()
            if exact is None:
                return  # the problem says why; the last valid results stay
            new.update(exact=exact, problem="")
        exact = new.get("exact", self.exact)
        if names & {"n", "p", "q", "cost", "eps"} and exact is not None:
            entropic = self._solve_entropic(exact)
            if entropic is not None:
                new["entropic"] = entropic
        entropic = new.get("entropic", self.entropic)
        if exact is not None and entropic is not None and exact.x.size == self.f.size:
            new["sketch"] = sketch_of(self.f, exact, entropic.eps)
        with param.edit_constant(self):
            self.param.update(**new)

    def _set_problem(self, text: str) -> None:
        with param.edit_constant(self):
            self.problem = text

    def _solve_exact(self) -> Exact | None:
        missing = [name for name, h in (("p", self.p), ("q", self.q)) if not np.any(h > 0)]
        if missing:
            self._set_problem(
                " and ".join(f"add some mass to {m}" for m in missing).capitalize()
                + ": every bar is at zero. The results shown are the last valid ones."
            )
            return None
        t0 = time.perf_counter()
        x = uniform_grid(self.n)
        C = cost_matrix(x, x, power=self.cost)
        try:
            duals = kantorovich_potentials(self.p, self.q, C)
        except InvalidInput as err:  # not expected after the checks above; never crash
            self._set_problem(f"Could not solve this state ({err}). The results shown are old.")
            return None
        return Exact(
            x=x,
            C=C,
            a=self.p / self.p.sum(),
            b=self.q / self.q.sum(),
            power=self.cost,
            duals=duals,
            compute_time=time.perf_counter() - t0,
        )

    def _solve_entropic(self, ex: Exact) -> Entropic | None:
        eps = self.eps * float(ex.C.max())
        previous = None if self._applying_preset else self.entropic
        warm = None
        if previous is not None and previous.result.f.size == ex.x.size:
            warm = previous.result
        try:
            result = sinkhorn(ex.a, ex.b, ex.C, eps, warm_start=warm, tol=SINKHORN_TOL)
        except InvalidInput as err:  # not expected after the checks above; never crash
            self._set_problem(f"Could not solve the entropic problem ({err}).")
            return None
        return Entropic(eps_fraction=self.eps, eps=eps, result=result)


# --- requests from the browser -----------------------------------------------------------------


def _heights_to_f(heights: np.ndarray) -> np.ndarray:
    return round_f(np.asarray(heights) - plots.F_OFFSET)


def _round_bar(h) -> np.ndarray:
    """The sketch's bars as the page keeps them (six decimals of f)."""
    return np.round(np.clip(np.nan_to_num(np.asarray(h, float), nan=0.5), 0.0, 1.0), F_DECIMALS)


# --- the view ----------------------------------------------------------------------------------

#: Figure sizes (px): each block fits a 360 px phone.
WIDTH = 330
BAR_HEIGHT = 150
CURVE_HEIGHT = 270
F_HEIGHT = 200
SLACK_FRAME = 240
#: Embed mode (a 700 x 600 iframe): the histograms', potentials', sketch's and transforms'
#: heights and the slack map's frame.
EMBED_SIZES = {"bars": 70, "curves": 180, "f": 130, "slack": 140}
#: Embed mode: the slack map and the tables in a column about as wide as the map, the
#: curves take the rest of the width (one above the other on a phone).
EMBED_SIDE_WIDTH = 280
EMBED_CONTROLS_CSS = (
    ":host(.ot-embed-controls) { grid-template-columns: "
    "repeat(auto-fill, minmax(min(100%, 9rem), 1fr)) !important; }"
)


class DualityPage(NotebookPage):
    """The served page: histograms, potentials, slack, the sketch and its transforms."""

    slug = SLUG
    embed_height_scale = None  # its own embed view (_embed_figure)
    model_class = Duality
    query_keys = QUERY_KEYS
    figure_label = (
        "Kantorovich duality: draggable histograms p and q, the exact potentials f and g, "
        "the slack map, and a draggable sketch of f with its c-transforms"
    )

    def __init__(self, model: Duality | None = None, **params):
        super().__init__(model, **params)
        m = self.model
        small = EMBED_SIZES if self.embed else {}
        x = uniform_grid(m.n)
        self.flow = Flow(self._apply_update, name="du_answer")
        unit = None
        self.histograms = {}
        for name, role, color in (
            ("p", "source", theme.SOURCE_COLOR),
            ("q", "target", theme.TARGET_COLOR),
        ):
            self.histograms[name] = Histogram(
                x,
                getattr(m, name),
                flow=self.flow,
                key=name,
                normalize=round_heights,
                title=f"{role} {name}: drag the bars",
                label=f"{role} histogram {name}",
                color=color,
                width=WIDTH,
                height=small.get("bars", BAR_HEIGHT),
                x_range=unit,
                name=f"du_{name}",
            )
            unit = self.histograms[name].figure.x_range
        self.optimal_source = ColumnDataSource(
            {"x": np.zeros(0, np.float32), "h": np.zeros(0, np.float32)}
        )
        self.f_hist = Histogram(
            x,
            m.f + plots.F_OFFSET,
            flow=self.flow,
            key="f",
            normalize=_round_bar,
            title="Your f: drag the bars (dotted: the LP's f)",
            label="sketched potential f",
            color=theme.PLAN_COLOR,
            width=WIDTH,
            height=small.get("f", F_HEIGHT),
            name="du_f",
        )
        plots.f_axis(self.f_hist.figure, self.optimal_source)
        curves = small.get("curves", CURVE_HEIGHT)
        self.potentials = plots.PotentialsFigure(WIDTH, curves)
        self.slack = plots.SlackFigure(m.n, small.get("slack", SLACK_FRAME))
        self.transforms = plots.TransformFigure(WIDTH, curves)
        # a model must be referenced from the layout to be synced
        self.slack.figure.tags = [self.flow.answer_source]
        self.exact_table = ReadoutTable(
            caption="The exact linear program: primal and dual",
            label_width="62%",
            table_class="du-readouts",
            stylesheets=["table.du-readouts th.ot-readout-label { white-space: normal; }"],
            width=WIDTH,
            min_height=200,
            sizing_mode="fixed",
            margin=(0, 5),
        )
        self.sketch_table = ReadoutTable(
            caption="What your f certifies",
            label_width="58%",
            table_class="du-sketch-readouts",
            stylesheets=["table.du-sketch-readouts th.ot-readout-label { white-space: normal; }"],
            width=WIDTH,
            min_height=220,
            sizing_mode="fixed",
            margin=(0, 5),
        )
        self.problem_note = pn.pane.HTML(
            "", width=WIDTH, sizing_mode="fixed", margin=(0, 5), visible=False
        )
        self._build_controls()
        m.param.watch(self._bars_changed, ["p", "q"])
        m.param.watch(self._f_changed, ["f"])
        m.param.watch(self._redraw, ["exact", "entropic", "sketch", "problem"])
        self._redraw()

    # browser -> model
    def _apply_update(self, update: dict) -> None:
        m = self.model
        if any(h.size != m.n for h in update.values()):
            update = {}  # a sync from before a bin change: stale
        if "f" in update:
            update["f"] = _heights_to_f(update["f"])
        with pn.io.hold(self.flow.document):  # one message for the whole update
            m.param.update(**update)

    # model -> browser
    def _bars_changed(self, *_events) -> None:
        x = uniform_grid(self.model.n)
        for name, hist in self.histograms.items():
            hist.update(getattr(self.model, name), x=x)

    def _f_changed(self, *_events) -> None:
        heights = _round_bar(self.model.f + plots.F_OFFSET)
        # never write back into bars being dragged: skip what the browser already shows
        same = heights.size == self.f_hist.heights.size and np.allclose(
            heights, self.f_hist.heights, rtol=0, atol=1e-9
        )
        if not same:
            self.f_hist.update(heights, x=uniform_grid(self.model.n))

    def _redraw(self, *events) -> None:
        """Redraw what the changed results feed (everything when called without events)."""
        m = self.model
        changed = {e.name for e in events} if events else {"exact", "sketch", "problem"}
        ex, en, sk = m.exact, m.entropic, m.sketch
        stale = bool(m.problem)
        if "problem" in changed or "exact" in changed:
            self.problem_note.param.update(
                object=tp.plots.problem_html(m.problem), visible=bool(m.problem)
            )
        if ex is not None and changed & {"exact", "problem"}:
            d = ex.duals
            self.potentials.update(ex.x, d.f, d.g, stale)
            self.slack.update(ex.slack, d.plan, ex.x, stale)
            self.exact_table.rows = ex.readout_rows()
            self.optimal_source.data = {
                "x": ex.x.astype(np.float32),
                "h": (d.f + plots.F_OFFSET).astype(np.float32),
            }
        ready = ex is not None and en is not None and sk is not None and sk.f.size == ex.x.size
        if ready and changed & {"exact", "entropic", "sketch"}:
            self.transforms.update(ex.x, sk.fc, sk.soft, ex.duals.g)
            self.sketch_table.rows = sketch_rows(sk, ex, en)
        # Last: it acknowledges everything above (the browser then sends its newest change).
        self.flow.answer()

    # controls
    def _build_controls(self) -> None:
        m = self.model
        widgets = pn.widgets
        self.preset_select = widgets.Select.from_param(m.param.preset)
        self.cost_buttons = widgets.RadioButtonGroup.from_param(m.param.cost)
        self.bins_slider = widgets.IntSlider.from_param(m.param.n, step=8, throttled=True)
        self.eps_slider = widgets.DiscreteSlider.from_param(m.param.eps)
        self.buttons = {
            "reset": widgets.Button(label="Reset bars"),
            "optimal": widgets.Button(label="f ← the LP's f (optimal)"),
            "tighten": widgets.Button(label="f ← f^cc (tighten)"),
            "clear": widgets.Button(label="f ← 0"),
        }
        actions = {
            "reset": lambda: m.apply_preset(m.preset),
            "optimal": m.set_optimal,
            "tighten": m.tighten,
            "clear": m.clear_f,
        }
        for key, button in self.buttons.items():
            button.on_click(self._held(actions[key]))
        self.control_panel = pn.Column(
            self.preset_select,
            self.buttons["reset"],
            self.cost_buttons,
            self.bins_slider,
            pn.pane.HTML("<strong>Your f</strong>", margin=(8, 10, 0, 10)),
            self.buttons["optimal"],
            self.buttons["tighten"],
            self.buttons["clear"],
            self.eps_slider,
            sizing_mode="stretch_width",
        )

    def _held(self, action):
        def run(_event=None) -> None:
            with pn.io.hold(self.flow.document):
                action()

        return run

    def figure(self) -> pn.viewable.Viewable:
        if self.embed:
            return self._embed_figure()
        bars = column(self.histograms["p"].figure, self.histograms["q"].figure)
        fixed = {"sizing_mode": "fixed"}
        first = pn.Column(pn.pane.Bokeh(bars), pn.pane.Bokeh(self.potentials.figure), **fixed)
        second = pn.Column(
            pn.pane.Bokeh(self.slack.figure), self.problem_note, self.exact_table, **fixed
        )
        sketch = pn.Column(
            pn.pane.Bokeh(self.f_hist.figure), pn.pane.Bokeh(self.transforms.figure), **fixed
        )
        flex = {"gap": "0 12px", "sizing_mode": "stretch_width"}
        return pn.Column(
            pn.FlexBox(first, second, **flex),
            pn.pane.HTML(
                "<h2 style='font-size:1.05rem;margin:8px 5px 0'>Sketch a price list f: "
                "what does it certify?</h2>",
                sizing_mode="stretch_width",
            ),
            pn.FlexBox(sketch, self.sketch_table, **flex),
            sizing_mode="stretch_width",
        )

    def _embed_figure(self) -> pn.viewable.Viewable:
        """A 700 x 600 iframe: two tabs, the exact LP (its controls in a row, the histograms
        and the potentials beside the slack map and its numbers) and the sketch (its buttons
        and ε in a row, your f and its c-transforms beside what it certifies)."""
        stretch = {"sizing_mode": "stretch_width", "width": None}
        bars = (self.histograms["p"].figure, self.histograms["q"].figure)
        for fig in (*bars, self.potentials.figure, self.f_hist.figure, self.transforms.figure):
            fig.update(**stretch)
        self.slack.figure.width = None  # its frame is sized; 600 by default would widen it
        for pane in (self.problem_note, self.exact_table, self.sketch_table):
            pane.param.update(min_height=None, **stretch)
        shell.embed_small_type(self.exact_table, self.sketch_table)
        b = self.buttons
        for widget in (
            self.preset_select,
            self.cost_buttons,
            self.bins_slider,
            self.eps_slider,
            *b.values(),
        ):
            widget.param.update(**stretch)

        def controls(*widgets):
            return pn.Column(
                *widgets,
                css_classes=["ot-embed-controls"],
                stylesheets=[EMBED_CONTROLS_CSS],
                sizing_mode="stretch_width",
            )

        for fig in (self.potentials.figure, self.transforms.figure):
            fig.legend.orientation = "horizontal"  # one line under the curves
            fig.legend.label_text_font_size = "11px"
        self.cost_buttons.styles = {"grid-column": "span 2"}  # wider than a cell
        self.slack.figure.title.text_font_size = "11px"  # its title is wider than the map
        exact = pn.Column(
            controls(self.preset_select, b["reset"], self.cost_buttons),
            shell.embed_row(
                pn.Column(
                    pn.pane.Bokeh(
                        column(*bars, self.potentials.figure, sizing_mode="stretch_width"),
                        margin=0,
                    ),
                    self.bins_slider,  # under the curves: the row above is full
                    sizing_mode="stretch_width",
                ),
                pn.pane.Bokeh(self.slack.figure, margin=0),
                self.problem_note,
                self.exact_table,
                second_width=EMBED_SIDE_WIDTH,
            ),
            sizing_mode="stretch_width",
        )
        sketch = pn.Column(
            controls(b["optimal"], b["tighten"], b["clear"], self.eps_slider),
            shell.embed_row(
                pn.pane.Bokeh(
                    column(self.f_hist.figure, self.transforms.figure, sizing_mode="stretch_width"),
                    margin=0,
                ),
                self.sketch_table,
                second_width=EMBED_SIDE_WIDTH,
            ),
            sizing_mode="stretch_width",
        )
        return shell.embed_tabs(
            ("The exact LP: potentials", exact),
            ("Sketch a price list f", sketch),
        )

    def controls(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.control_panel

    @classmethod
    def link_notices(cls, model: Duality, query: dict[str, str]) -> list[str]:
        """Say so when the link's bars or sketch were refitted to its ``n``."""
        values, _ = parse_query(query, QUERY_KEYS)
        how = {"p": "rebinned", "q": "rebinned", "f": "interpolated"}
        return [
            f"The link's '{name}' had {values[name].size} values; it was {how[name]} to "
            f"{model.n} bins (n decides the number of bins)."
            for name in ("p", "q", "f")
            if name in values and values[name].size != model.n
        ]

    # --- take it home ------------------------------------------------------------------------

    def takehome(self) -> TakeHome:
        return _takehome(self.model)

    def caption_lines(self) -> list[str]:
        m = self.model
        lines = [m.problem] if m.problem else []
        rows = list(self.exact_table.rows) + list(self.sketch_table.rows)
        return lines + [f"{row[1]}: {row[3]}" for row in rows if row[0] != "time"]


# --- the code box and notebook -----------------------------------------------------------------


def snippet(m: Duality) -> str:
    """numpy, scipy and POT code recomputing the page's numbers for the model's state."""

    def vec(h, digits):
        return "np.array([" + ", ".join(f"{v:.{digits}g}" for v in h) + "])"

    eps_text = f"{m.eps:g} * C.max()"
    return f"""import warnings

import numpy as np
import ot
from scipy.special import logsumexp

p = {vec(m.p, HEIGHT_DIGITS)}
q = {vec(m.q, HEIGHT_DIGITS)}
f = {vec(m.f, F_DECIMALS)}  # your sketched potential
x = (np.arange({m.n}) + 0.5) / {m.n}  # bin centres on [0, 1]
C = np.abs(x[:, None] - x[None, :]) ** {m.cost}
a, b = p / p.sum(), q / q.sum()

# The exact LP and its duals (POT returns them as u, v: one optimal pair among many)
i, j = a > 0, b > 0  # solve on the supports
plan = np.zeros_like(C)
plan_s, log = ot.emd(a[i], b[j], C[np.ix_(i, j)], log=True)
plan[np.ix_(i, j)] = plan_s
# extend POT's pair to the empty bars by c-transforms, as ot_engine.exact does
f0 = np.min(C[:, j] - log["v"][None, :], axis=1)
f0[i] = log["u"]
g0 = np.min(C - f0[:, None], axis=0)
g0[j] = log["v"]
# the page's normal form: the c-concave pair f* = g^c, g* = f*^c over every bin, centred
f_star = np.min(C - g0[None, :], axis=1)
g_star = np.min(C - f_star[:, None], axis=0)
shift = (f_star.max() + f_star.min()) / 2
f_star, g_star = f_star - shift, g_star + shift
slack = C - f_star[:, None] - g_star[None, :]
primal, dual = np.sum(C * plan), f_star @ a + g_star @ b
print(f"primal cost = {{primal:.6g}}")
print(f"dual value = {{dual:.6g}}")
print(f"smallest slack = {{slack.min():.1e}}, largest |slack| on the support = "
      f"{{np.abs(slack[plan > 0]).max():.1e}}")

# What the sketched f certifies: the hard and the soft c-transforms (over a's support)
fc = np.min(C[i] - f[i, None], axis=0)
eps = {eps_text}
soft = -eps * logsumexp((f[i, None] - C[i]) / eps, axis=0, b=a[i, None])
print(f"bound <f, a> + <f^c, b> = {{f @ a + fc @ b:.6g}}")
print(f"entropic bound <f, a> + <f^c,eps, b> = {{f @ a + soft @ b:.6g}}")

# The entropic value it bounds: min <C, P> + eps KL(P | a x b), by POT
warnings.filterwarnings("ignore", "Sinkhorn did not converge")
P = np.zeros_like(C)
P[np.ix_(i, j)] = ot.sinkhorn(a[i], b[j], C[np.ix_(i, j)], eps,
                              method="sinkhorn_epsilon_scaling", stopThr=1e-20,
                              numItermax=1000)
ab = np.outer(a, b)
kl = np.sum(P[P > 0] * np.log(P[P > 0] / ab[P > 0]))
print(f"entropic value OT_eps = {{np.sum(C * P) + eps * kl:.6g}}")
"""


PLOT = """import matplotlib.pyplot as plt

fig, (top, mid, low) = plt.subplots(3, 1, figsize=(6, 10), constrained_layout=True)
top.plot(x, f_star, label="f* (sources)")
top.plot(x, g_star, "--", label="g* (targets)")
top.set_title("exact potentials")
top.legend()
mid.imshow(slack, origin="lower", extent=(0, 1, 0, 1), cmap="viridis", aspect="auto")
si, sj = np.nonzero(plan > 0)
mid.scatter(x[sj], x[si], s=8, marker="s", facecolors="none", edgecolors="#ff3d7f")
mid.set_xlabel("target y")
mid.set_ylabel("source x")
mid.set_title("slack c(x, y) - f*(x) - g*(y); squares: the plan's support")
low.plot(x, f, label="your f")
low.plot(x, fc, "--", label="f^c")
low.plot(x, soft, label="f^c,eps")
low.legend()
plt.show()
"""


def _takehome(m: Duality) -> TakeHome:
    return TakeHome(
        title=f"Duality: {m.n} bins, cost |x − y|^{m.cost}",
        intro=(
            f"Two histograms $p$ and $q$ on {m.n} bins of $[0, 1]$, normalized to unit mass, "
            f"the cost $|x - y|^{m.cost}$, and a sketched price list $f$. The first cell solves "
            "the linear program with POT, puts its dual potentials in the page's normal form "
            "(the c-concave pair, centred), checks that primal and dual values agree, and "
            "computes the lower bounds your $f$ certifies; the second draws them."
        ),
        equation=(
            r"\min_{P \in \Pi(a,b)} \langle C, P \rangle = "
            r"\max_{f_i + g_j \le C_{ij}} \langle f, a \rangle + \langle g, b \rangle "
            r"\ \ge\ \langle f, a \rangle + \langle f^c, b \rangle"
        ),
        cells=(snippet(m), PLOT),
        notes=(
            "Any $f$ gives a lower bound; the optimal $f$ gives the optimal cost. The soft "
            "bound is below the entropic value $\\mathrm{OT}_\\varepsilon$.",
        ),
        code_title="Show the code (POT)",
    )
