"""Page /unbalanced: transport between histograms of different total mass.

The model (:class:`Unbalanced`) holds the state a link can carry (bars, bins, ρ, ε, the mode
and the partial mass fraction) and the last valid solution from :mod:`ot_engine.unbalanced`.
The view (:class:`UnbalancedPage`) draws two draggable histograms (not renormalized: a bar's
mass is its height times the bin width, so a histogram of height 1 everywhere holds 1), the
mass each bar loses or gains drawn on it, and the plan.

Deep-link keys: ``p``, ``q`` (comma-separated bar heights in [0, 1]), ``rho`` (the marginal
penalty as a multiple of the largest cost, 1e-3 to 1e3), ``eps`` (ε as a fraction of the largest
cost, 1e-4 to 1), ``n`` (bins, 16 to 256), ``mode`` (``kl`` or ``partial``) and ``m`` (the
fraction of the smaller mass that partial transport moves, 0 to 1).
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
from bokeh.models import ColorBar, ColumnDataSource, CustomJSTickFormatter, Slider

from ot_engine import (
    InvalidInput,
    cost_matrix,
    partial_transport,
    sinkhorn_unbalanced,
    uniform_grid,
)
from ot_engine.unbalanced import UnbalancedResult
from pages import compat, shell, theme
from pages import unbalanced_plots as plots
from pages.components import js
from pages.components.flow import Flow
from pages.components.histogram import Histogram
from pages.components.readouts import ReadoutTable
from pages.histogram_pair import (
    HEIGHT_DIGITS,
    HistogramPair,
    fit_heights,
    parse_heights,
    rebinned_notices,
    round_heights,
)
from pages.page import NotebookPage
from pages.query import (
    QueryKey,
    choice,
    float_in,
    format_float,
    format_list,
    int_in,
    parse_query,
)
from pages.takehome import TakeHome

SLUG = "unbalanced"
#: Residual target of the solver, relative to the total mass.
TOL = 1e-9
#: Slider ranges, in log10 of the multiple of the largest cost.
LOG_RHO = (-3.0, 3.0)
LOG_EPS = (-4.0, 0.0)
MODES = {"KL penalty (ρ)": "kl", "partial (mass m)": "partial"}

PRESETS = (
    "a bump and a heavier bump",
    "q has an extra bump",
    "far apart",
    "equal masses, shifted",
)


def _bump(x, centre, width, height):
    return height * np.exp(-0.5 * ((x - centre) / width) ** 2)


def preset_heights(name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Bar heights of a named start on ``n`` bins (bars below 1e-3 set to zero).

    >>> p, q = preset_heights("q has an extra bump", 32)
    >>> bool(q.sum() > 1.5 * p.sum())
    True
    """
    x = uniform_grid(n)
    if name == "a bump and a heavier bump":
        p, q = _bump(x, 0.3, 0.08, 0.55), _bump(x, 0.65, 0.09, 0.9)
    elif name == "q has an extra bump":
        p = _bump(x, 0.3, 0.07, 0.8)
        q = _bump(x, 0.35, 0.07, 0.8) + _bump(x, 0.8, 0.05, 0.7)
    elif name == "far apart":
        p, q = _bump(x, 0.15, 0.05, 0.9), _bump(x, 0.85, 0.05, 0.9)
    else:
        p, q = _bump(x, 0.3, 0.08, 0.8), _bump(x, 0.6, 0.08, 0.8)
    p[p < 1e-3] = 0.0
    q[q < 1e-3] = 0.0
    return round_heights(p), round_heights(q)


def _three_digits(value: float) -> float:
    """A slider's value kept to 3 significant digits (short, stable links)."""
    return float(f"{value:.3g}")


# --- the state a link can carry ----------------------------------------------------------


QUERY_KEYS = (
    QueryKey("n", "n", int_in(16, 256)),
    QueryKey("p", "p", parse_heights, format_list),
    QueryKey("q", "q", parse_heights, format_list),
    QueryKey("rho", "rho", float_in(10 ** LOG_RHO[0], 10 ** LOG_RHO[1]), format_float),
    QueryKey("eps", "eps", float_in(10 ** LOG_EPS[0], 10 ** LOG_EPS[1]), format_float),
    QueryKey("mode", "mode", choice("kl", "partial")),
    QueryKey("m", "m", float_in(0.0, 1.0), format_float),
)


@dataclass(frozen=True)
class Solution:
    """One solved state: the inputs as solved and what ot_engine returned."""

    x: np.ndarray
    C: np.ndarray
    mode: str
    rho: float  # in the units of C
    eps: float  # in the units of C
    fraction: float
    result: object  # UnbalancedResult or PartialResult
    compute_time: float

    def readout_rows(self) -> list[tuple[str, str, str, bool]]:
        """``(key, label, value, flagged)`` for every number the page shows."""
        r = self.result
        partial = self.mode == "partial"
        rows = [
            ("mass_p", "mass of p  (Σ a)", f"{r.mass_a:.6g}", False),
            ("mass_q", "mass of q  (Σ b)", f"{r.mass_b:.6g}", False),
            ("transported", "transported  Σ P", f"{r.transported:.6g}", False),
            ("destroyed", "destroyed", f"{r.destroyed:.6g}", False),
            ("created", "created", f"{r.created:.6g}", False),
            ("cost", "cost ⟨C, P⟩", f"{r.cost:.6g}", False),
        ]
        if partial:
            rows += [
                ("mass", f"mass moved: {self.fraction:.3g} × min", f"{r.mass:.6g}", False),
                ("solver", "solver", "exact LP", False),
                ("error", "constraint violation", f"{r.marginal_error:.2e}", not r.converged),
            ]
        else:
            rows += [
                ("entropy", "ε KL(P | a⊗b)", f"{r.entropy_term:.6g}", False),
                ("kl_a", "ρ KL(P1 | a)", f"{r.kl_a_term:.6g}", False),
                ("kl_b", "ρ KL(Pᵀ1 | b)", f"{r.kl_b_term:.6g}", False),
                ("objective", "objective (sum of the four)", f"{r.objective:.6g}", False),
                ("rho", "ρ (units of C)", f"{self.rho:.3g}", False),
                ("eps", "ε (units of C)", f"{self.eps:.3g}", False),
                ("iterations", "iterations", f"{r.iterations}", False),
                ("error", "optimality residual (L1)", f"{r.marginal_error:.2e}", not r.converged),
            ]
        status = "yes" if r.converged else f"NO: {r.message}"
        rows += [
            ("converged", "converged", status, not r.converged),
            ("time", "compute time", f"{1000 * self.compute_time:.1f} ms", False),
        ]
        return rows


class Unbalanced(HistogramPair):
    """State of the page and its last valid solution (no widgets, no Bokeh).

    ``n``, ``p`` and ``q`` come from :class:`HistogramPair`; the presets are this page's.
    """

    preset = param.Selector(default=PRESETS[0], objects=list(PRESETS), label="Preset")
    preset_heights = staticmethod(preset_heights)
    rho = param.Number(0.1, bounds=(10 ** LOG_RHO[0], 10 ** LOG_RHO[1]), label="ρ / max C")
    eps = param.Number(1e-3, bounds=(10 ** LOG_EPS[0], 10 ** LOG_EPS[1]), label="ε / max C")
    mode = param.Selector(default="kl", objects=MODES, label="Unbalanced by")
    m = param.Number(0.5, bounds=(0.0, 1.0), label="Mass fraction m")
    reset = param.Action(lambda self: self.apply_preset(self.preset), label="Reset bars")

    solution = param.ClassSelector(class_=Solution, default=None, constant=True)
    problem = param.String("", constant=True, doc="Why the shown solution is not current.")

    def __init__(self, **params):
        super().__init__(**params)
        self._inputs_changed()

    @param.depends("n", "p", "q", "rho", "eps", "mode", "m", watch=True)
    def _inputs_changed(self) -> None:
        if self.p.size != self.n or self.q.size != self.n:
            # solves again
            self.param.update(p=fit_heights(self.p, self.n), q=fit_heights(self.q, self.n))
            return
        self._solve()

    def _fail(self, text: str) -> None:
        with param.edit_constant(self):
            self.problem = text + " The plan shown is the last valid one."

    def _solve(self) -> None:
        missing = [name for name, h in (("p", self.p), ("q", self.q)) if not np.any(h > 0)]
        if missing:
            self._fail(
                " and ".join(f"add some mass to {m}" for m in missing).capitalize()
                + ": every bar is at zero, and unbalanced transport creates mass in proportion"
                " to the histogram it is compared with."
            )
            return
        t0 = time.perf_counter()
        x = uniform_grid(self.n)
        C = cost_matrix(x, x, power=2)
        a, b = self.p / self.n, self.q / self.n
        scale = float(C.max())
        previous = None if self._applying_preset else self.solution
        try:
            if self.mode == "partial":
                result = partial_transport(a, b, C, self.m)
            else:
                warm = None
                if (
                    previous is not None
                    and isinstance(previous.result, UnbalancedResult)
                    and previous.x.size == self.n
                ):
                    warm = previous.result
                result = sinkhorn_unbalanced(
                    a, b, C, self.eps * scale, self.rho * scale, warm_start=warm, tol=TOL
                )
        except InvalidInput as err:  # not expected after the checks above; never crash
            self._fail(f"Could not solve this state ({err}).")
            return
        solution = Solution(
            x=x,
            C=C,
            mode=self.mode,
            rho=self.rho * scale,
            eps=self.eps * scale,
            fraction=self.m,
            result=result,
            compute_time=time.perf_counter() - t0,
        )
        with param.edit_constant(self):
            self.param.update(solution=solution, problem="")

    def snippet(self) -> str:
        return solver_snippet(self.p, self.q, self.mode, self.rho, self.eps, self.m)


def bar_note_text(sol: Solution, name: str, i: int) -> str:
    """What bar ``i`` of ``p`` or ``q`` holds and what the plan does with it, in words.

    >>> sol = Unbalanced(n=16).solution
    >>> bar_note_text(sol, "p", 4).startswith("p, bar 4 at x = 0.281: holds ")
    True
    """
    r = sol.result
    if name == "p":
        held, moved, verb = r.a[i], r.sent[i], "sends"
        lost, extra = "destroyed", "created"
    else:
        held, moved, verb = r.b[i], r.received[i], "receives"
        lost, extra = "created", "destroyed"
    return (
        f"{name}, bar {i} at x = {sol.x[i]:.3f}: holds {held:.4g}, {verb} {moved:.4g}; "
        f"{lost} {max(held - moved, 0.0):.4g}, {extra} {max(moved - held, 0.0):.4g}"
    )


# --- the code box ------------------------------------------------------------------------


def solver_snippet(p, q, mode: str, rho: float, eps: float, m: float) -> str:
    """Code that recomputes the page's plan and prints its numbers (the code box)."""
    n = p.size

    def vec(h):
        return "np.array([" + ", ".join(f"{v:.{HEIGHT_DIGITS}g}" for v in h) + "])"

    head = [
        "import numpy as np",
        *(["import ot"] if mode == "partial" else []),
        "from scipy.special import kl_div, logsumexp",
        "",
        f"p = {vec(p)}",
        f"q = {vec(q)}",
        f"n = {n}",
        "x = (np.arange(n) + 0.5) / n  # bin centres on [0, 1]",
        "C = (x[:, None] - x[None, :]) ** 2",
        "a, b = p / n, q / n  # mass = height x bin width; NOT normalized",
    ]
    if mode == "partial":
        body = [
            f"mass = {m:.6g} * min(a.sum(), b.sum())",
            "P = ot.partial.partial_wasserstein(a, b, C, m=mass)  # exact",
        ]
    else:
        body = [
            f"rho = {rho:.6g} * C.max()",
            f"eps = {eps:.6g} * C.max()",
            "",
            "",
            "def solve(a, b, C, eps, rho, tol=1e-10):",
            '    """Log-domain unbalanced Sinkhorn, eps halved from 0.03 max C to eps.',
            "",
            "    Plain iterations: seconds at eps ~ 1e-3 max C, minutes at 1e-4 with a large",
            "    rho (the page over-relaxes them and starts each drag from the last solution).",
            '    """',
            "    with np.errstate(divide='ignore'):",
            "        la, lb = np.log(a), np.log(b)  # empty bars: -inf, weight 0",
            "    f, g = np.zeros(a.size), np.zeros(b.size)",
            "    e = max(eps, 0.03 * C.max())",
            "    while True:",
            "        tau = rho / (rho + e)",
            "        for _ in range(50_000):",
            "            f = -tau * e * logsumexp((g - C) / e + lb, axis=1)",
            "            g = -tau * e * logsumexp((f[:, None] - C) / e + la[:, None], axis=0)",
            "            # exact dual line searches along (t, -t) and (s, s)",
            "            A, B = logsumexp(la - f / rho), logsumexp(lb - g / rho)",
            "            M = logsumexp((f[:, None] + g - C) / e + la[:, None] + lb)",
            "            t, s = rho / 2 * (A - B), ((A + B) / 2 - M) / (1 / rho + 2 / e)",
            "            f, g = f + t + s, g - t + s",
            "            P = np.exp((f[:, None] + g - C) / e + la[:, None] + lb)",
            "            err = (np.abs(P.sum(1) - a * np.exp(-f / rho)).sum()",
            "                   + np.abs(P.sum(0) - b * np.exp(-g / rho)).sum())",
            "            if err <= (tol if e == eps else 1e-6) * (a.sum() + b.sum()):",
            "                break",
            "        if e == eps:",
            "            return P, f, g, err",
            "        e = max(eps, e / 2)",
            "",
            "",
            "P, f, g, err = solve(a, b, C, eps, rho)",
            'print(f"optimality residual (L1) = {err:.1e}")',
        ]
    tail = [
        "sent, received = P.sum(1), P.sum(0)",
        "destroyed = np.maximum(a - sent, 0).sum() + np.maximum(received - b, 0).sum()",
        "created = np.maximum(sent - a, 0).sum() + np.maximum(b - received, 0).sum()",
        'print(f"mass of p = {a.sum():.6g}, mass of q = {b.sum():.6g}")',
        'print(f"transported = {P.sum():.6g}")',
        'print(f"destroyed = {destroyed:.6g}")',
        'print(f"created = {created:.6g}")',
        'print(f"cost <C, P> = {np.sum(C * P):.6g}")',
    ]
    if mode != "partial":
        tail += [
            "terms = [np.sum(C * P), eps * kl_div(P, np.outer(a, b)).sum(),",
            "         rho * kl_div(sent, a).sum(), rho * kl_div(received, b).sum()]",
            'print(f"eps KL(P | a x b) = {terms[1]:.6g}")',
            'print(f"rho KL(P1 | a) = {terms[2]:.6g}")',
            'print(f"rho KL(P^T 1 | b) = {terms[3]:.6g}")',
            'print(f"objective = {sum(terms):.6g}")',
        ]
    return "\n".join(head + body + tail)


#: The notebook's figure (after the snippet, which defines x, a, b, P, sent, received).
PLOT_CELL = """import matplotlib.pyplot as plt

fig, (top, bottom, heat) = plt.subplots(3, 1, figsize=(5.5, 9), height_ratios=[1, 1, 2.2],
                                        constrained_layout=True)
w = x[1] - x[0]
for ax, held, moved, colour, name in ((top, a, sent, "#0072B2", "p (source)"),
                                      (bottom, b, received, "#D55E00", "q (target)")):
    ax.bar(x, held / w, width=w, color=colour, alpha=0.8, label=name)
    lost = np.maximum(held - moved, 0) / w
    ax.bar(x, lost, bottom=np.minimum(moved, held) / w, width=w, fill=False, hatch="xx",
           label="not used by the plan")
    extra = np.maximum(moved - held, 0) / w
    ax.bar(x, extra, bottom=held / w, width=w, fill=False, hatch="//", edgecolor="#009E73",
           linestyle="--", label="used beyond the bar")
    ax.legend(fontsize=8)
heat.imshow(P, origin="lower", extent=(0, 1, 0, 1), cmap="viridis", aspect="auto")
heat.set_xlabel("target y (q)")
heat.set_ylabel("source x (p)")
heat.set_title("plan P: mass moved from x to y")
plt.show()
"""


# --- requests from the browser -------------------------------------------------------------


def _slider_parser(key: str, low: float, high: float):
    """A slider request as ``{key: value}`` clipped to its range (``{}``: invalid, answered)."""

    def parse(data: dict) -> dict:
        try:
            value = float(data[key][0])
        except (KeyError, IndexError, TypeError, ValueError):
            return {}
        return {key: float(np.clip(value, low, high))} if math.isfinite(value) else {}

    return parse


# --- the view -------------------------------------------------------------------------------

#: Figure sizes: the histograms' width and height, the plan's frame, the readouts' width.
HIST_WIDTH, HIST_HEIGHT, HEAT_SIZE, READOUT_WIDTH = 330, 170, 240, 270
#: Embed mode (a 700 x 600 iframe): the histograms' height and the plan's frame.
EMBED_HIST_HEIGHT, EMBED_HEAT_SIZE = 105, 170
#: Embed mode: the plan and its numbers in a column as wide as the plan, the histograms and
#: the controls take the rest of the width (one above the other on a phone).
EMBED_PLAN_WIDTH = 255
#: Embed mode: the readouts shown (and any flagged one); the rest is on the full page.
EMBED_ROWS = ("mass_p", "mass_q", "transported", "destroyed", "created", "cost", "converged")


class UnbalancedPage(NotebookPage):
    """The served page: histograms with what each bar loses or gains, the plan, controls."""

    slug = SLUG
    embed_height_scale = None  # its own embed view (_embed_figure)
    model_class = Unbalanced
    query_keys = QUERY_KEYS
    model = param.ClassSelector(class_=Unbalanced)

    def __init__(
        self,
        model: Unbalanced | None = None,
        notices: list[str] | None = None,
        embed: bool | None = None,
    ):
        super().__init__(model, notices=notices, embed=embed)
        m = self.model
        self._build_figures()
        self.readouts = ReadoutTable(
            columns=[["ub-value", "value"]],
            label_header="quantity",
            label_width="52%",
            caption="The plan shown: where mass goes, the objective's terms, how it was solved",
            table_class="ub-readouts",
            stylesheets=["table.ub-readouts th.ot-readout-label { white-space: normal; }"],
            # embed: as wide as the plan's half of the iframe (_embed_figure)
            width=None if self.embed else READOUT_WIDTH,
            sizing_mode="stretch_width" if self.embed else "fixed",
            margin=(0, 5),
        )
        self.problem_note = pn.pane.HTML(
            "", width=HIST_WIDTH, sizing_mode="fixed", margin=(0, 5), visible=False
        )
        # The keyboard cursor's bar, read out (hover gives the same numbers to a mouse).
        self.bar_note = pn.pane.HTML("", width=HIST_WIDTH, sizing_mode="fixed", margin=(0, 5))
        self._cursor: tuple[str, int] | None = None
        for name, hist in self.histograms.items():
            hist.source.selected.on_change(
                "indices", lambda _a, _o, new, name=name: self._cursor_moved(name, new)
            )
        self._build_controls()
        m.param.watch(self._bars_changed, ["p", "q"])
        m.param.watch(lambda *_e: self._redraw(), ["solution", "problem"])
        m.param.watch(self._mode_changed, ["mode"])
        self._mode_changed()
        self._redraw()

    def _build_figures(self) -> None:
        m = self.model
        x = uniform_grid(m.n)
        # One flow for both histograms and the three sliders: one solve per batch of requests.
        self.flow = Flow(self._apply_update, name="ub_answer")
        self.histograms = {}
        self.overlays = {}
        for name, role, color, lost, extra in (
            ("p", "source", theme.SOURCE_COLOR, "destroyed", "created"),
            ("q", "target", theme.TARGET_COLOR, "created", "destroyed"),
        ):
            hist = Histogram(
                x,
                getattr(m, name),
                flow=self.flow,
                key=name,
                normalize=round_heights,
                ymax=plots.YMAX,
                title=f"{role} {name}: drag the bars",
                label=f"{role} histogram {name}",
                color=color,
                width=HIST_WIDTH,
                height=EMBED_HIST_HEIGHT if self.embed else HIST_HEIGHT,
                name=f"ub_{name}",
            )
            self.histograms[name] = hist
            self.overlays[name] = plots.BarOverlay(hist, lost, extra, f"ub_{name}_parts")
        self.heat = plots.PlanHeat(m.n, EMBED_HEAT_SIZE if self.embed else HEAT_SIZE)
        # Slider requests (assets/js/unbalanced_slider.js) through the same flow.
        self.requests = {
            key: ColumnDataSource({key: [0.0]}, name=f"ub_{key}_request")
            for key in ("log_rho", "log_eps", "m")
        }
        # a model must be referenced from the layout to be synced
        self.heat.figure.tags = [self.flow.answer_source, *self.requests.values()]

    def _apply_update(self, update: dict) -> None:
        """Apply bar syncs and slider requests (the flow answers if nothing changed)."""
        m = self.model
        values = {}
        if "log_rho" in update:
            values["rho"] = _three_digits(10 ** update.pop("log_rho"))
        if "log_eps" in update:
            values["eps"] = _three_digits(10 ** update.pop("log_eps"))
        if "m" in update:
            values["m"] = round(update.pop("m"), 3)
        for name in ("p", "q"):
            if name in update and update[name].size == m.n:  # else: from before a bin change
                values[name] = update[name]
        with pn.io.hold(self.flow.document):  # one message for the whole update
            m.param.update(**values)

    # model -> browser
    def _bars_changed(self, *_events) -> None:
        m = self.model
        x = uniform_grid(m.n)
        for name, hist in self.histograms.items():
            if hist.update(getattr(m, name), x=x):
                self.overlays[name].set_width(float(x[1] - x[0]))

    def _redraw(self) -> None:
        m = self.model
        sol = m.solution
        rows = sol.readout_rows() if sol else []
        if self.embed:  # the main numbers, and any that is flagged
            rows = [row for row in rows if row[0] in EMBED_ROWS or row[3]]
        self.readouts.rows = plots.readout_table_rows(rows)
        self.problem_note.param.update(
            object=plots.problem_html(m.problem), visible=bool(m.problem)
        )
        if sol is None:
            return
        stale = bool(m.problem)
        r = sol.result
        n = sol.x.size
        self.overlays["p"].update(sol.x, r.a, r.sent, n, stale)
        self.overlays["q"].update(sol.x, r.b, r.received, n, stale)
        self.heat.update(r.plan, stale)
        self._update_bar_note()
        # Last: it acknowledges everything above (the browser then sends its newest change).
        self.flow.answer()

    def _cursor_moved(self, name: str, indices) -> None:
        """The keyboard cursor moved on histogram ``name`` (a browser write: checked here)."""
        try:
            i = int(indices[0]) if len(indices) else -1
        except (TypeError, ValueError, IndexError):
            i = -1
        self._cursor = (name, i) if 0 <= i < self.model.n else None
        self._update_bar_note()

    def _update_bar_note(self) -> None:
        sol = self.model.solution
        cursor = self._cursor
        if sol is None or cursor is None or cursor[1] >= sol.x.size:
            text = (
                "Tab to a histogram and use Left and Right to read a bar's numbers "
                "(or hover a bar)."
            )
        else:
            text = bar_note_text(sol, *cursor)
        text = html.escape(text)
        if self.bar_note.object != text:
            self.bar_note.object = text

    def _mode_changed(self, *_events) -> None:
        partial = self.model.mode == "partial"
        self.rho_slider.disabled = partial
        self.eps_slider.disabled = partial
        self.m_slider.disabled = not partial

    # controls
    def _slider(self, key, title, start, end, value, step, fmt, name) -> Slider:
        request = self.requests[key]
        request.data = {key: [value]}
        slider = Slider(
            title=title,
            start=start,
            end=end,
            step=step,
            value=value,
            format=CustomJSTickFormatter(code=fmt),
            syncable=False,
            sizing_mode="stretch_width",
            margin=(5, 10, 5, 10),
            name=name,
            stylesheets=[theme.FOCUS_CSS],
        )
        slider.js_on_change(
            "value",
            js.custom_js(
                "unbalanced_slider.js",
                Flow.JS,
                request=request,
                answer=self.flow.answer_source,
                key=key,
            ),
        )
        self.flow.listen(request, _slider_parser(key, start, end))
        return slider

    def _build_controls(self) -> None:
        m = self.model
        log10 = "return (10 ** tick).toExponential(1);"
        self.rho_slider = self._slider(
            "log_rho",
            "ρ / max C: marginal penalty",
            *LOG_RHO,
            math.log10(m.rho),
            0.01,
            log10,
            "ub_rho_slider",
        )
        self.eps_slider = self._slider(
            "log_eps",
            "ε / max C: blur",
            *LOG_EPS,
            math.log10(m.eps),
            0.01,
            log10,
            "ub_eps_slider",
        )
        self.m_slider = self._slider(
            "m",
            "m: share moved (partial)",
            0.0,
            1.0,
            m.m,
            0.01,
            "return tick.toFixed(2);",
            "ub_m_slider",
        )
        widgets = pn.widgets
        self.preset_select = widgets.Select.from_param(m.param.preset)
        self.reset_button = widgets.Button.from_param(m.param.reset)
        self.mode_buttons = widgets.RadioButtonGroup.from_param(m.param.mode)
        self.bins_slider = widgets.IntSlider.from_param(m.param.n, step=8, throttled=True)
        sliders = [
            pn.pane.Bokeh(s, sizing_mode="stretch_width", margin=0)
            for s in (self.rho_slider, self.eps_slider, self.m_slider)
        ]
        self.control_panel = pn.Column(
            self.preset_select,
            self.reset_button,
            self.mode_buttons,
            *sliders,
            self.bins_slider,
            width=290,
            sizing_mode="fixed" if not self.embed else "stretch_width",
        )

    def figure(self) -> pn.viewable.Viewable:
        if self.embed:
            return self._embed_figure()
        bars = column(self.histograms["p"].figure, self.histograms["q"].figure)
        legend = pn.pane.HTML(plots.legend_html(), width=HIST_WIDTH, sizing_mode="fixed")
        note = compat.AttributedColumn(
            self.bar_note, html_attributes={"aria-live": "polite"}, sizing_mode="fixed"
        )
        left = pn.Column(pn.pane.Bokeh(bars), legend, note, sizing_mode="fixed")
        right = pn.Column(pn.pane.Bokeh(self.heat.figure), self.problem_note, sizing_mode="fixed")
        return pn.FlexBox(left, right, gap="0 12px", sizing_mode="stretch_width")

    def _embed_figure(self) -> pn.viewable.Viewable:
        """A 700 x 600 iframe: the histograms with the controls under them beside the plan with
        the main numbers; the objective's terms and the solver's numbers are on the full page
        (a link)."""
        stretch = {"sizing_mode": "stretch_width", "width": None}
        for hist in self.histograms.values():
            hist.figure.update(**stretch)
        bars = column(
            self.histograms["p"].figure, self.histograms["q"].figure, sizing_mode="stretch_width"
        )
        legend = pn.pane.HTML(plots.legend_html(12), sizing_mode="stretch_width")
        self.bar_note.param.update(styles={"font-size": "12px"}, **stretch)
        self.problem_note.param.update(**stretch)
        note = compat.AttributedColumn(
            self.bar_note, html_attributes={"aria-live": "polite"}, sizing_mode="stretch_width"
        )
        for widget in (self.preset_select, self.reset_button, self.mode_buttons):
            widget.param.update(**stretch)
        self.mode_buttons.styles = {"grid-column": "1 / -1"}  # wider than a cell
        # Titles that fit half of the histograms' width (the full page's say more).
        self.rho_slider.title = "penalty ρ / max C"
        self.eps_slider.title = "blur ε / max C"
        self.m_slider.title = "share moved m"
        self.control_panel.css_classes = [*self.control_panel.css_classes, "ot-embed-controls"]
        self.control_panel.stylesheets = [
            *self.control_panel.stylesheets,
            ":host(.ot-embed-controls) { grid-template-columns: "
            "repeat(2, minmax(0, 1fr)) !important; }",
        ]
        left = pn.Column(
            pn.pane.Bokeh(bars, sizing_mode="stretch_width"),
            legend,
            note,
            self.control_panel,
            sizing_mode="stretch_width",
        )
        shell.embed_small_type(self.readouts)
        # Its frame is sized; the figure's default width (600) would be the column's minimum.
        self.heat.figure.width = None
        self.heat.figure.title.text = "plan P: mass from x to y"
        self.heat.figure.select_one({"type": ColorBar}).title = "cell mass / largest"
        return shell.embed_row(
            left,
            pn.pane.Bokeh(self.heat.figure),
            self.problem_note,
            self.readouts,
            self.full_page_link("the objective's terms, the solver"),
            second_width=EMBED_PLAN_WIDTH,
        )

    def controls(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.control_panel

    def side_readouts(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.readouts

    # --- take it home -----------------------------------------------------------------------

    def takehome(self) -> TakeHome:
        m = self.model
        partial = m.mode == "partial"
        what = (
            f"the exact partial transport of a fraction m = {m.m:.3g} of the smaller mass"
            if partial
            else f"the entropic unbalanced plan at ρ = {m.rho:.3g} × max C, ε = {m.eps:.3g} × max C"
        )
        return TakeHome(
            title=f"Unbalanced transport: {m.n} bins",
            intro=(
                f"Two histograms $p$ and $q$ on {m.n} bins of $[0, 1]$, each bar's mass its "
                "height times the bin width, not normalized: their totals differ. The code "
                f"computes {what} for the cost $|x - y|^2$ and prints the numbers the page "
                "showed; the plot draws what each bar loses or gains, and the plan."
            ),
            equation=(
                r"\min_{P \ge 0,\ P\mathbf 1 \le a,\ P^\top \mathbf 1 \le b,\ "
                r"\mathbf 1^\top P \mathbf 1 = m} \langle C, P\rangle"
                if partial
                else r"\min_{P \ge 0} \langle C, P\rangle + \varepsilon\,\mathrm{KL}(P\,|\,"
                r"a\otimes b) + \rho\,\mathrm{KL}(P\mathbf 1\,|\,a) + \rho\,\mathrm{KL}"
                r"(P^\top\mathbf 1\,|\,b)"
            ),
            cells=(m.snippet(), PLOT_CELL),
            notes=(
                "KL is the generalized Kullback-Leibler divergence "
                "$\\sum x \\log(x/y) - x + y$, which needs no unit mass. As $\\rho \\to "
                "\\infty$ the marginals become constraints again (balanced transport, when "
                "the masses agree); as $\\rho \\to 0$ moving mass far costs more than "
                "destroying it and creating it anew.",
            ),
            code_title="Show the code (numpy, scipy, POT)",
        )

    def caption_lines(self) -> list[str]:
        sol = self.model.solution
        rows = [] if sol is None else sol.readout_rows()
        lines = [f"{label}: {value}" for key, label, value, _ in rows if key != "time"]
        if self.model.problem:
            lines.insert(0, self.model.problem)
        return lines

    @classmethod
    def link_notices(cls, model: Unbalanced, query: dict[str, str]) -> list[str]:
        """Say so when the link's bars were rebinned to its ``n``."""
        values, _ = parse_query(query, QUERY_KEYS)
        return rebinned_notices(values, model.n)
