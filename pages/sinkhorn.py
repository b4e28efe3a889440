"""Page /sinkhorn: Sinkhorn's iteration one half-step at a time, plain beside log domain.

The model (:class:`SinkhornModel`) holds what a link can carry (bars, bins, ε, the half-step
shown) and, per change of the problem, a bounded record of both iterations
(:func:`ot_engine.sinkhorn_steps`: errors of every half-step, scalings at checkpoints) and the
converged reference (:func:`ot_engine.sinkhorn`). Stepping only recomputes the plans of one
state from the nearest checkpoint (a few matrix-vector products), so stepping and playing are
cheap; the sweep over several ε (error curves and iteration counts) runs on the worker thread
(:mod:`pages.workers`) and keeps its last result while a new one runs.

Deep-link keys: ``p``, ``q`` (bar heights in [0, 1], as on /transport_plan), ``n`` (bins, 16 to
64), ``eps`` (fraction of the largest cost, 1e-4 to 1) and ``step`` (half-steps, 0 to 400).
"""

from __future__ import annotations

import html
import math
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
import panel as pn
import param
from bokeh.models import CustomJSTickFormatter, Range1d

from ot_engine import InvalidInput, SinkhornSteps, cost_matrix, sinkhorn, uniform_grid
from ot_engine.sinkhorn_steps import sinkhorn_steps
from pages import compat, shell, theme, workers
from pages import sinkhorn_plots as plots
from pages.components.flow import Flow
from pages.components.readouts import ReadoutTable, readout

# The bars are kept and parsed as on /transport_plan (same keys, same precision).
from pages.histogram_pair import (
    HistogramPair,
    fit_heights,
    parse_heights,
    preset_heights,
    rebinned_notices,
    source_and_target,
)
from pages.page import NotebookPage
from pages.query import QueryKey, float_in, format_float, format_list, int_in, parse_query
from pages.takehome import TakeHome

SLUG = "sinkhorn"
DEFAULT_N = 32
MAX_N = 64
DEFAULT_EPS = 0.01
DEFAULT_STEP = 5
#: Half-steps recorded per problem (both domains); the step slider's range.
MAX_STEPS = 400
#: Marginal error that counts as converged in the readouts (and the reference's target).
TOL = 1e-9
#: A record stops once its marginal error is this small: later half-steps change the plan by
#: less than any digit the page shows, so they are not computed (nor stored).
STOP_TOL = 1e-13
#: The sweep: ε values (fractions of max C), its tolerance and iteration cap.
SWEEP_EPS = (0.1, 0.03, 0.01, 0.003, 0.001, 0.0003)
SWEEP_TOL = 1e-6
SWEEP_CAP = 1000
#: Half-steps recorded on the event path at least (more when the step shown is further).
QUICK_STEPS = 24
#: Milliseconds between two half-steps while playing.
PLAY_MS = 300
#: Wait this long for the controls to rest before the full records are computed (a drag
#: then pays for them once, when it pauses, not between its syncs).
RECORDS_DELAY_MS = 300
#: Wait for the bars to rest before starting a sweep: its Python loops hold the GIL for
#: ~0.1 s, which, started between the syncs of a drag, delayed the drag's answers.
SWEEP_DELAY_MS = 800


def _parse_eps(raw: str) -> float:
    return float(f"{float_in(1e-4, 1.0)(raw):.3g}")


QUERY_KEYS = (
    QueryKey("n", "n", int_in(16, MAX_N)),
    QueryKey("p", "p", parse_heights, format_list),
    QueryKey("q", "q", parse_heights, format_list),
    QueryKey("eps", "eps", _parse_eps, format_float),
    QueryKey("step", "step", int_in(0, MAX_STEPS)),
)


@dataclass(frozen=True)
class Run:
    """One problem, iterated: both records and the converged reference."""

    x: np.ndarray
    C: np.ndarray
    eps_fraction: float
    eps: float  # in the units of C
    log: SinkhornSteps
    plain: SinkhornSteps
    reference: object  # SinkhornResult
    compute_time: float
    requested: int  # half-steps asked of both records (MAX_STEPS: the full run)

    @property
    def complete(self) -> bool:
        """Both records hold all they ever will (asked for all, or ended early)."""
        return self.requested >= MAX_STEPS or (
            self.log.half_steps < self.requested and self.plain.half_steps < self.requested
        )

    def covers(self, k: int) -> bool:
        return self.complete or k <= self.requested

    def same_problem(self, p, q, n: int, eps_fraction: float) -> bool:
        a, b = p / p.sum(), q / q.sum()
        return (
            self.x.size == n
            and self.eps_fraction == eps_fraction
            and np.array_equal(self.log.a, a)
            and np.array_equal(self.log.b, b)
        )


@dataclass(frozen=True)
class Frame:
    """The state shown: half-step ``k`` of both iterations (each drawn at its last recorded
    state when it converged, or broke down, before ``k``)."""

    k: int
    log_k: int
    log_plan: np.ndarray
    plain_k: int  # the plain state drawn (its last one once it broke down)
    plain_plan: np.ndarray
    log_distance: float  # |P_k - P*|_1
    plain_distance: float


def _dist(P: np.ndarray, ref: np.ndarray) -> float:
    with np.errstate(invalid="ignore"):
        return float(np.abs(P - ref).sum())


def solve_run(p, q, n: int, eps_fraction: float, half_steps: int = MAX_STEPS, warm=None) -> Run:
    """Iterate both forms for ``half_steps`` half-steps (fewer once converged to
    ``STOP_TOL``) and solve the reference (warm-started from ``warm``, a previous one)."""
    t0 = time.perf_counter()
    x = uniform_grid(n)
    C = cost_matrix(x, x)
    eps = eps_fraction * float(C.max())
    steps = partial(sinkhorn_steps, half_steps=half_steps, tol=STOP_TOL, stop_at_tol=True)
    log = steps(p, q, C, eps, domain="log")
    plain = steps(p, q, C, eps, domain="plain")
    reference = sinkhorn(p, q, C, eps, tol=TOL, warm_start=warm)
    return Run(x, C, eps_fraction, eps, log, plain, reference, time.perf_counter() - t0, half_steps)


@dataclass(frozen=True)
class Sweep:
    """Error traces (per iteration) and iteration counts to ``tol`` for several ε."""

    eps_fractions: tuple[float, ...]
    traces: tuple[np.ndarray, ...]
    counts: tuple[int | None, ...]  # Sinkhorn from a cold start (None: not within cap)
    engine_counts: tuple[int | None, ...]  # ot_engine.sinkhorn
    tol: float
    cap: int


def run_sweep(p, q, n: int, progress=None) -> Sweep:
    """The sweep of the page (pure: runs on the worker thread)."""
    x = uniform_grid(n)
    C = cost_matrix(x, x)
    traces, counts, engine = [], [], []
    for i, frac in enumerate(SWEEP_EPS):
        if progress is not None:
            progress(i / len(SWEEP_EPS), f"ε = {frac:g} max C")
        eps = frac * float(C.max())
        run = sinkhorn_steps(
            p, q, C, eps, domain="log", half_steps=2 * SWEEP_CAP, tol=SWEEP_TOL, stop_at_tol=True
        )
        # The error after each full iteration; a run that met tol after a row scaling ends
        # with that state (its count of iterations includes the half-done one).
        trace = run.marginal_error[::2]
        if run.half_steps % 2:
            trace = np.append(trace, run.marginal_error[-1])
        traces.append(trace.copy())
        counts.append(run.iterations_to_tol)
        ref = sinkhorn(p, q, C, eps, tol=SWEEP_TOL, max_iter=SWEEP_CAP)
        engine.append(ref.iterations if ref.converged else None)
    return Sweep(SWEEP_EPS, tuple(traces), tuple(counts), tuple(engine), SWEEP_TOL, SWEEP_CAP)


class SinkhornModel(HistogramPair):
    """State of the page, its current run and the frame shown (no widgets, no Bokeh)."""

    n = param.Integer(DEFAULT_N, bounds=(16, MAX_N), label="Bins")
    eps = param.Number(DEFAULT_EPS, bounds=(1e-4, 1.0), label="ε / largest cost")
    step = param.Integer(DEFAULT_STEP, bounds=(0, MAX_STEPS), label="Half-step")
    log_color = param.Boolean(False, label="Log colour scale")
    reset = param.Action(lambda self: self.apply_preset(self.preset), label="Reset bars")

    run = param.ClassSelector(class_=Run, default=None, constant=True)
    frame = param.ClassSelector(class_=Frame, default=None, constant=True)
    problem = param.String("", constant=True, doc="Why the shown run is not current.")

    def __init__(self, **params):
        super().__init__(**params)
        self._inputs_changed()

    @param.depends("preset", watch=True)
    def _preset_chosen(self) -> None:
        """Unlike HistogramPair's: new bars only if they differ (no run for equal bars)."""
        p, q = preset_heights(self.preset, self.n)
        if not (np.array_equal(p, self.p) and np.array_equal(q, self.q)):
            self.param.update(p=p, q=q)

    @param.depends("n", "p", "q", "eps", watch=True)
    def _inputs_changed(self) -> None:
        if self.p.size != self.n or self.q.size != self.n:
            self.param.update(
                p=fit_heights(self.p, self.n), q=fit_heights(self.q, self.n)
            )  # runs again
            return
        missing = [name for name, h in (("p", self.p), ("q", self.q)) if not np.any(h > 0)]
        if missing:
            self._set_problem(
                " and ".join(f"add some mass to {m}" for m in missing).capitalize()
                + ": every bar is at zero. The iteration shown is the last valid one."
            )
            return
        # On the event path: only the half-steps up to the one shown (the full records for
        # the curves come from full_run(), on the worker when served).
        self._solve(max(self.step, QUICK_STEPS))

    def _solve(self, half_steps: int) -> None:
        # The reference starts cold: at n <= 64 a cold ε-scaling solve measured faster than
        # a warm start from the previous bars (6 vs 11 ms of CPU at ε = 1e-4 max C, 64 bins).
        try:
            run = solve_run(self.p, self.q, self.n, self.eps, half_steps)
        except InvalidInput as err:  # not expected after the checks above; never crash
            self._set_problem(f"Could not iterate this state ({err}). The last valid one stays.")
            return
        with param.edit_constant(self):
            self.param.update(run=run, problem="", frame=self._frame(run, self.step))

    def full_run(self):
        """The full records of the current problem, as a job for the worker (pure)."""
        return partial(solve_run, self.p.copy(), self.q.copy(), self.n, self.eps, MAX_STEPS)

    def accept_run(self, run: Run) -> None:
        """Show ``run`` (from :meth:`full_run`) if it is still the current problem."""
        if self.problem or not run.same_problem(self.p, self.q, self.n, self.eps):
            return
        with param.edit_constant(self):
            self.param.update(run=run, frame=self._frame(run, self.step))

    def _set_problem(self, text: str) -> None:
        with param.edit_constant(self):
            self.problem = text

    @param.depends("step", watch=True)
    def _step_changed(self) -> None:
        if self.run is None:
            return
        if not self.run.covers(self.step) and not self.problem:
            self._solve(MAX_STEPS)  # stepped past a quick record before the full one came
            return
        with param.edit_constant(self):
            self.frame = self._frame(self.run, self.step)

    @staticmethod
    def _frame(run: Run, k: int) -> Frame:
        log_k = min(k, run.log.half_steps)
        plain_k = min(k, run.plain.half_steps)
        log_plan = run.log.plan(log_k)
        plain_plan = run.plain.plan(plain_k)
        ref = run.reference.plan
        return Frame(
            k, log_k, log_plan, plain_k, plain_plan, _dist(log_plan, ref), _dist(plain_plan, ref)
        )

    # --- what the page reads out ----------------------------------------------------------

    def state_text(self) -> str:
        fr = self.frame
        if fr is None:
            return ""
        k = fr.k
        if k == 0:
            what = "the kernel K = exp(−C/ε) itself (u = v = 1): no scaling yet"
        elif k % 2:
            what = f"row scaling u ← a / (K v) of iteration {(k + 1) // 2}: now π1 = a"
        else:
            what = f"column scaling v ← b / (Kᵀ u) of iteration {k // 2}: now πᵀ1 = b"
        text = f"Half-step {k} of {MAX_STEPS}: {what}."
        if fr.log_k < k:
            text += (
                f" The log-domain iteration converged at half-step {fr.log_k} (marginal error "
                f"≤ {STOP_TOL:.0e}): later half-steps leave its plan as drawn."
            )
        return text

    def readout_rows(self) -> list[list[str]]:
        """The two-column table (plain, log domain) of the state shown."""
        run, fr = self.run, self.frame
        if run is None or fr is None:
            return []
        log, plain = run.log, run.plain
        broke = plain.breakdown is not None and fr.k >= plain.breakdown

        def err(rec, k):
            return ("NaN", "NaN") if rec.breakdown == k else (
                f"{rec.row_error[k]:.3e}",
                f"{rec.col_error[k]:.3e}",
            )  # fmt: skip

        p_row, p_col = err(plain, fr.plain_k)
        l_row, l_col = err(log, fr.log_k)
        flag = plain.breakdown_reason if broke else ""
        n2 = run.C.size

        def tol_text(rec):
            reached = np.flatnonzero(rec.marginal_error <= TOL)  # NaN compares False
            if reached.size:
                return f"{(int(reached[0]) + 1) // 2}"
            if rec.breakdown is not None:
                return "never"
            if not run.complete:
                return "…"  # the full record is on its way (worker)
            return f"> {MAX_STEPS // 2}"

        def dist(v):
            return "NaN" if not math.isfinite(v) else f"{v:.3e}"

        return [
            readout("row", "row error |π1 − a|₁", p_row, l_row, flag=flag),
            readout("col", "column error |πᵀ1 − b|₁", p_col, l_col, flag=""),
            readout(
                "dist", "distance to π* |π − π*|₁", dist(fr.plain_distance), dist(fr.log_distance)
            ),
            readout(
                "zeros",
                "kernel entries that are 0",
                f"{plain.kernel_zeros} of {n2}",
                "no kernel",
                flag=(
                    "exp(−C/ε) underflowed: the plain kernel has lost these entries"
                    if plain.kernel_zeros
                    else ""
                ),
            ),
            readout(
                "state",
                "half-step drawn",
                _drawn(fr.plain_k, fr.k, broke),
                _drawn(fr.log_k, fr.k, False),
            ),
            readout("tol", f"iterations to error ≤ {TOL:.0e}", tol_text(plain), tol_text(log)),
        ]

    def reference_rows(self) -> list[list[str]]:
        run = self.run
        if run is None:
            return []
        r = run.reference
        status = "yes" if r.converged else f"NO: marginal error {r.marginal_error:.1e}"
        return [
            readout("eps", f"ε = {run.eps_fraction:.3g} × max C", f"{run.eps:.3g}"),
            readout("cost", "cost ⟨C, π*⟩", f"{r.cost:.6g}"),
            readout("iterations", "iterations (ε-scaling solver)", f"{r.iterations}"),
            readout(
                "error",
                "marginal error of π*",
                f"{r.marginal_error:.2e}",
                flag="" if r.converged else "the reference did not converge: read with care",
            ),
            readout("converged", "converged", status),
            readout(
                "time", "compute time (both records + π*)", f"{1000 * run.compute_time:.1f} ms"
            ),
        ]

    def snippet(self) -> str:
        return numpy_snippet(self.p, self.q, self.eps, self.step)


def numpy_snippet(p: np.ndarray, q: np.ndarray, eps_fraction: float, step: int) -> str:
    """Sinkhorn from scratch in numpy, both forms, for the view (the code box's text)."""
    n = p.size

    def vec(h):
        return "np.array([" + ", ".join(f"{v:.4g}" for v in h) + "])"

    return f'''import warnings

import numpy as np
import ot
from scipy.special import logsumexp

p = {vec(p)}
q = {vec(q)}
x = (np.arange({n}) + 0.5) / {n}  # bin centres on [0, 1]
C = (x[:, None] - x[None, :]) ** 2
a, b = p / p.sum(), q / q.sum()  # unit mass
eps = {eps_fraction:.6g} * C.max()
k = {step}  # half-steps: odd ones scale the rows, even ones the columns


def sinkhorn_plain(a, b, C, eps, half_steps):
    """Scaling form: u = a / (K v), v = b / (K^T u), plan diag(u) K diag(v)."""
    K = np.exp(-C / eps)  # underflows to 0 where C / eps > 745
    u, v = np.ones_like(a), np.ones_like(b)
    with np.errstate(all="ignore"):  # we look at what it returns instead
        for s in range(1, half_steps + 1):
            if s % 2:
                u = np.where(a > 0, a / (K @ v), 0.0)
            else:
                v = np.where(b > 0, b / (K.T @ u), 0.0)
            if not (np.isfinite(u).all() and np.isfinite(v).all()):
                break  # a division by an underflowed 0: from here on the plan is NaN
        return u[:, None] * K * v[None, :]


def sinkhorn_log(a, b, C, eps, half_steps):
    """Log domain: f = eps log u, g = eps log v, updated with a stable log-sum-exp."""
    f, g = np.zeros_like(a), np.zeros_like(b)
    with np.errstate(divide="ignore"):
        log_a, log_b = np.log(a), np.log(b)  # -inf on empty bars: they get no mass
    for s in range(1, half_steps + 1):
        if s % 2:
            f = eps * (log_a - logsumexp((g[None, :] - C) / eps, axis=1))
        else:
            g = eps * (log_b - logsumexp((f[:, None] - C) / eps, axis=0))
    return np.exp((f[:, None] + g[None, :] - C) / eps)


def errors(P):
    return np.abs(P.sum(1) - a).sum(), np.abs(P.sum(0) - b).sum()


# The converged plan, from POT (empty bars left out: its scaling would divide by them).
i, j = a > 0, b > 0
P_star = np.zeros_like(C)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    P_star[np.ix_(i, j)] = ot.sinkhorn(a[i], b[j], C[np.ix_(i, j)], eps,
                                       method="sinkhorn_epsilon_scaling",
                                       stopThr=1e-20, numItermax=1000)

with np.errstate(invalid="ignore"):
    for name, P in (("plain", sinkhorn_plain(a, b, C, eps, k)),
                    ("log", sinkhorn_log(a, b, C, eps, k))):
        row, col = errors(P)
        gap = np.abs(P - P_star).sum()
        print(f"{{name}}: row error = {{row:.3e}}, column error = {{col:.3e}}, "
              f"distance to P* = {{gap:.3e}}")
print(f"cost <C, P*> = {{np.sum(C * P_star):.6g}}")
print(f"marginal error of P* = {{sum(errors(P_star)):.1e}}")
'''


#: The notebook's figure (after the snippet: a, b, C, eps, k, P_star and both functions).
PLOT = """import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 3, figsize=(12, 4), constrained_layout=True)
for ax, (title, P) in zip(axes, (("plain, half-step %d" % k, sinkhorn_plain(a, b, C, eps, k)),
                                 ("log domain, half-step %d" % k, sinkhorn_log(a, b, C, eps, k)),
                                 ("converged P*", P_star))):
    ax.imshow(np.nan_to_num(P, nan=-1.0), origin="lower", extent=(0, 1, 0, 1), cmap="viridis")
    ax.set_title(title)
    ax.set_xlabel("target y (q)")
axes[0].set_ylabel("source x (p)")
plt.show()
"""


# --- the view -------------------------------------------------------------------------------

HEAT = 170
WIDE = 360
BAR_H = 120
#: Embed mode (a 700 x 600 iframe): each plan's frame, the histograms' and the error plot's
#: heights, and the width of the column that holds the two plans and the table.
EMBED_HEAT, EMBED_BAR_H, EMBED_ERROR_H, EMBED_PLANS_WIDTH = 120, 90, 170, 360
EMBED_CONTROLS_CSS = (
    ":host(.ot-embed-controls) { grid-template-columns: "
    "repeat(auto-fill, minmax(min(100%, 10rem), 1fr)) !important; }"
)


class SinkhornPage(NotebookPage):
    """The served page: bars, the two plans of the half-step, curves, controls, prose."""

    slug = SLUG
    embed_height_scale = None  # its own embed view (_embed_figure)
    model_class = SinkhornModel
    query_keys = QUERY_KEYS
    model = param.ClassSelector(class_=SinkhornModel)

    def __init__(
        self,
        model: SinkhornModel | None = None,
        notices: list[str] | None = None,
        embed: bool | None = None,
    ):
        super().__init__(model, notices=notices, embed=embed)
        m = self.model
        self.flow = Flow(self._apply_bars, name="sk_answer")
        unit = Range1d(0, 1, bounds=(0, 1))
        x = uniform_grid(m.n)
        self.histograms = source_and_target(
            x,
            m,
            self.flow,
            prefix="sk",
            width=WIDE,
            height=EMBED_BAR_H if self.embed else BAR_H,
            x_range=unit,
            ymax=1.0,
        )
        heat = EMBED_HEAT if self.embed else HEAT
        self.plain_heat = plots.PlanHeat("sk_plain", "plain: diag(u) K diag(v)", heat)
        self.log_heat = plots.PlanHeat("sk_log", "log: exp((f + g − C)/ε)", heat)
        self.plain_heat.figure.tags = [self.flow.answer_source]  # synced with the layout
        self.errors = plots.ErrorFigure(WIDE, EMBED_ERROR_H if self.embed else 250, MAX_STEPS // 2)
        self.counts = plots.CountFigure(WIDE, 250, SWEEP_CAP, (1.5e-4, 0.2))
        self.state = pn.pane.HTML("", sizing_mode="stretch_width", min_height=40, margin=(0, 5))
        self.problem_note = pn.pane.HTML("", sizing_mode="stretch_width", visible=False)
        self.sweep_note = pn.pane.HTML("", sizing_mode="stretch_width", margin=(0, 5))
        self.readouts = ReadoutTable(
            columns=[["sk-plain", "plain"], ["sk-log", "log domain"]],
            label_header="at this half-step",
            label_width="44%",
            caption="Both iterations at the half-step shown",
            table_class="sk-readouts",
            stylesheets=["table.sk-readouts th.ot-readout-label { white-space: normal; }"],
            sizing_mode="stretch_width",
            max_width=430,
            margin=(0, 5),
        )
        self.reference = ReadoutTable(
            columns=[["sk-ref", "value"]],
            label_header="converged plan π* (ot_engine.sinkhorn)",
            label_width="52%",
            caption="The converged reference",
            table_class="sk-reference",
            stylesheets=["table.sk-reference th.ot-readout-label { white-space: normal; }"],
            sizing_mode="stretch_width",
            max_width=430,
            margin=(0, 5),
        )
        self._sweep = workers.Job(
            self._show_sweep,
            on_error=self._sweep_failed,
            on_progress=self._sweep_progress,
            delay_ms=SWEEP_DELAY_MS,
            defer_under_load=True,
        )
        # The full records of the current ε (error curve, iterations to tol), off the event
        # path: a bar event computes only the half-steps up to the one shown.
        self._records = workers.Job(
            m.accept_run, on_error=self._sweep_failed, delay_ms=RECORDS_DELAY_MS
        )
        self._sweep_key = None
        self._player = None
        self._build_controls()
        m.param.watch(self._bars_changed, ["p", "q"])
        m.param.watch(self._model_changed, ["run", "problem", "frame", "log_color"])
        self._run_changed()

    # --- browser -> model ------------------------------------------------------------------

    def _apply_bars(self, update: dict) -> None:
        m = self.model
        if any(h.size != m.n for h in update.values()):
            update = {}  # a sync from before a bin change: stale
        with pn.io.hold(self.flow.document):
            m.param.update(**update)

    # --- model -> figures ------------------------------------------------------------------

    def _bars_changed(self, *_events) -> None:
        m = self.model
        x = uniform_grid(m.n)
        for name, hist in self.histograms.items():
            hist.update(getattr(m, name), x=x)

    def _model_changed(self, *events) -> None:
        # One watcher: a solve sets the run and its frame together, and draws them once.
        if any(e.name in ("run", "problem") for e in events):
            self._run_changed()
        else:
            self._frame_changed()

    def _run_changed(self, *_events) -> None:
        m = self.model
        run = m.run
        self.problem_note.param.update(
            object=_alert(m.problem) if m.problem else "", visible=bool(m.problem)
        )
        if run is None:
            return
        self.reference.rows = m.reference_rows()
        self.errors.update(
            run.log.marginal_error, run.plain.marginal_error, run.plain.breakdown, m.step
        )
        self.counts.set_eps(run.eps_fraction)
        self._frame_changed()
        if m.problem:
            return
        # Last: without a server these jobs run at once and redraw (nested) before we return.
        if not run.complete:
            self._records.submit(m.full_run())
        key = (m.n, m.p.tobytes(), m.q.tobytes())  # the sweep does not depend on ε
        if key != self._sweep_key:
            self._sweep_key = key
            self._sweep.submit(
                partial(run_sweep, m.p.copy(), m.q.copy(), m.n), key=("sinkhorn.sweep", *key)
            )
            self._sweep_stale(True)

    def _frame_changed(self, *_events) -> None:
        m = self.model
        fr, run = m.frame, m.run
        if fr is None or run is None:
            return
        stale = bool(m.problem)
        broke = run.plain.breakdown is not None and fr.k >= run.plain.breakdown
        note = ""
        if broke:
            bad = int(np.count_nonzero(~np.isfinite(fr.plain_plan)))
            note = f"NaN/inf: {bad} cells"
        self.plain_heat.update(fr.plain_plan, m.log_color, note, stale)
        self.log_heat.update(fr.log_plan, m.log_color, "", stale)
        self.errors.set_step(fr.k)
        self.readouts.rows = m.readout_rows()
        self.state.object = html.escape(m.state_text())
        if self.step_slider.value != m.step:
            self.step_slider.value = m.step
        self.flow.answer()  # last: acknowledges what came before

    # --- the sweep (worker thread) ---------------------------------------------------------

    def _show_sweep(self, sweep: Sweep) -> None:
        self.errors.show_sweep(sweep, stale=False)
        self.counts.show_sweep(sweep, stale=False)
        self.sweep_note.object = html.escape(
            f"Thin lines: error per iteration for ε = {', '.join(f'{e:g}' for e in SWEEP_EPS)} "
            f"× max C (log domain). Right: iterations to error ≤ {SWEEP_TOL:.0e}; hollow "
            f"triangles did not get there within {SWEEP_CAP} iterations."
        )

    def _sweep_stale(self, stale: bool) -> None:
        if self._sweep.result is not None and self._sweep.busy:
            self.errors.show_sweep(self._sweep.result, stale=stale)
            self.counts.show_sweep(self._sweep.result, stale=stale)

    def _sweep_progress(self, fraction: float, text: str) -> None:
        self.sweep_note.object = html.escape(
            f"Sweeping ε for the new bars ({int(100 * fraction)} %: {text}); the curves shown "
            "are the last finished sweep."
        )

    def _sweep_failed(self, message: str) -> None:
        self.sweep_note.object = html.escape(f"The ε sweep failed ({message}).")

    # --- controls --------------------------------------------------------------------------

    def _build_controls(self) -> None:
        m = self.model
        w = pn.widgets
        self.preset_select = w.Select.from_param(m.param.preset)
        self.reset_button = w.Button.from_param(m.param.reset)
        self.eps_slider = w.FloatSlider(
            label="ε / largest cost (log scale)",
            start=-4.0,
            end=0.0,
            step=0.05,
            value=math.log10(m.eps),
            format=CustomJSTickFormatter(code="return (10 ** tick).toExponential(1);"),
        )
        self.eps_slider.param.watch(self._eps_from_slider, "value")
        m.param.watch(self._eps_to_slider, "eps")
        self.bins_slider = w.IntSlider.from_param(m.param.n, step=8, throttled=True)
        self.step_slider = w.IntSlider(label="Half-step", start=0, end=MAX_STEPS, value=m.step)
        self.step_slider.param.watch(lambda e: m.param.update(step=e.new), "value")
        self.back_button = w.Button(label="◀ Back", description="one half-step back")
        self.forward_button = w.Button(label="Forward ▶", description="one half-step forward")
        self.start_button = w.Button(label="Back to 0", description="back to half-step 0")
        self.play_toggle = w.Toggle(label="▶ Play", value=False)
        self.back_button.on_click(lambda _e: self.move(-1))
        self.forward_button.on_click(lambda _e: self.move(+1))
        self.start_button.on_click(lambda _e: m.param.update(step=0))
        self.play_toggle.param.watch(self._play_toggled, "value")
        self.log_box = w.Checkbox.from_param(m.param.log_color)
        if self.embed:
            # An iframe: the controls in rows of four under the figure.
            widgets = (
                self.preset_select,
                self.eps_slider,
                self.step_slider,
                self.bins_slider,
                self.back_button,
                self.forward_button,
                self.play_toggle,
                self.start_button,
                self.reset_button,
                self.log_box,
            )
            for widget in widgets:
                widget.param.update(width=None, sizing_mode="stretch_width")
            self.eps_slider.label = "ε / max C (log scale)"  # fits a quarter of 700 px
            self.control_panel = pn.Column(
                *widgets,
                css_classes=["ot-embed-controls"],
                stylesheets=[EMBED_CONTROLS_CSS],
                sizing_mode="stretch_width",
            )
            return
        self.control_panel = pn.Column(
            self.preset_select,
            self.reset_button,
            self.eps_slider,
            self.bins_slider,
            self.step_slider,
            pn.Row(self.back_button, self.forward_button, sizing_mode="stretch_width"),
            pn.Row(self.start_button, self.play_toggle, sizing_mode="stretch_width"),
            self.log_box,
            width=290,
        )

    def move(self, delta: int) -> None:
        m = self.model
        m.step = int(np.clip(m.step + delta, 0, MAX_STEPS))

    def _eps_from_slider(self, event) -> None:
        value = float(f"{10**event.new:.3g}")
        if value != self.model.eps:
            self.model.eps = value

    def _eps_to_slider(self, event) -> None:
        # Never push a value back into a slider that already shows it (it may be dragged).
        if float(f"{10**self.eps_slider.value:.3g}") != event.new:
            self.eps_slider.value = math.log10(event.new)

    def _play_toggled(self, event) -> None:
        self.play_toggle.label = "⏸ Pause" if event.new else "▶ Play"
        if not event.new:
            self._stop_player()
            return
        if self.model.step >= MAX_STEPS:
            self.model.step = 0
        doc = self.flow.document
        if doc is None:
            return  # no server: tests call tick() themselves
        # A server-side timer: a tick runs only once the previous one has finished (the
        # session's loop runs one callback at a time and skips missed ticks), so no backlog.
        self._player = pn.state.add_periodic_callback(self.tick, period=PLAY_MS)

    def _stop_player(self) -> None:
        if self._player is not None:
            self._player.stop()
            self._player = None

    def tick(self) -> None:
        """One half-step forward while playing; stops at the last recorded one."""
        m = self.model
        if m.step >= MAX_STEPS:
            self.play_toggle.value = False
            return
        with pn.io.hold(self.flow.document):
            self.move(+1)

    # --- layout ----------------------------------------------------------------------------

    def figure(self) -> pn.viewable.Viewable:
        from bokeh.layouts import column

        if self.embed:
            return self._embed_figure()
        bars = pn.pane.Bokeh(
            column(self.histograms["p"].figure, self.histograms["q"].figure), margin=0
        )
        # Side by side where they fit, one under the other on a phone.
        plans = pn.FlexBox(
            pn.pane.Bokeh(self.plain_heat.figure, margin=0),
            pn.pane.Bokeh(self.log_heat.figure, margin=0),
            sizing_mode="stretch_width",
        )
        live = compat.AttributedColumn(
            self.state, html_attributes={"aria-live": "polite"}, sizing_mode="stretch_width"
        )
        curves = pn.FlexBox(
            pn.pane.Bokeh(self.errors.figure, margin=0),
            pn.pane.Bokeh(self.counts.figure, margin=0),
            gap="0 12px",
            sizing_mode="stretch_width",
        )
        top = pn.FlexBox(
            pn.Column(bars, self.reference, sizing_mode="fixed", width=WIDE + 10),
            pn.Column(plans, live, self.problem_note, self.readouts, max_width=470),
            gap="0 12px",
            sizing_mode="stretch_width",
        )
        return pn.Column(top, curves, self.sweep_note, sizing_mode="stretch_width")

    def _embed_figure(self) -> pn.viewable.Viewable:
        """A 700 x 600 iframe: the histograms over the error curves beside the two plans and
        the half-step's numbers, the controls in rows below; the converged reference, the
        iterations against ε and the sweep's state are on the full page (a link)."""
        from bokeh.layouts import column

        stretch = {"sizing_mode": "stretch_width", "width": None}
        figures = (self.histograms["p"].figure, self.histograms["q"].figure, self.errors.figure)
        for fig in figures:
            fig.update(**stretch)
        self.errors.figure.xaxis.axis_label = "iteration"
        left = pn.pane.Bokeh(column(*figures, sizing_mode="stretch_width"), margin=0)
        plans = pn.Row(
            pn.pane.Bokeh(self.plain_heat.figure, margin=0),
            pn.pane.Bokeh(self.log_heat.figure, margin=0),
        )
        for heat in (self.plain_heat, self.log_heat):
            heat.figure.title.text_font_size = "11px"
            # Its frame is sized; the default width (600) would widen the column.
            heat.figure.width = None
        self.state.styles = {"font-size": "12px"}
        live = compat.AttributedColumn(
            self.state, html_attributes={"aria-live": "polite"}, sizing_mode="stretch_width"
        )
        shell.embed_small_type(self.readouts)
        top = shell.embed_row(
            left,
            plans,
            live,
            self.problem_note,
            self.readouts,
            self.full_page_link("the converged plan, iterations against ε"),
            second_width=EMBED_PLANS_WIDTH,
        )
        return pn.Column(top, self.control_panel, sizing_mode="stretch_width")

    def controls(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.control_panel

    # --- take it home ----------------------------------------------------------------------

    def takehome(self) -> TakeHome:
        m = self.model
        return TakeHome(
            title=f"Sinkhorn step by step: {m.n} bins, ε = {m.eps:.3g} max C, half-step {m.step}",
            intro=(
                f"Two histograms on {m.n} bins of $[0, 1]$, the cost $|x - y|^2$ and "
                f"$\\varepsilon = {m.eps:.3g}\\,\\max C$. The first cell runs {m.step} half-steps "
                "of Sinkhorn's iteration in both forms written from scratch (scaling and log "
                "domain), compares each plan with the converged one from POT and prints the "
                "numbers the page showed; the second draws the three plans."
            ),
            equation=(
                r"\pi = \mathrm{diag}(u)\,K\,\mathrm{diag}(v),\quad K = e^{-C/\varepsilon},"
                r"\quad u \leftarrow \frac{a}{K v},\quad v \leftarrow \frac{b}{K^\top u}"
            ),
            cells=(m.snippet(), PLOT),
            notes=(
                "Where $C/\\varepsilon > 745$ the kernel underflows to 0 in floating point: the "
                "plain form can then divide by 0 and its plan turns NaN, while the log domain "
                "stays exact.",
            ),
            code_title="Show the code (numpy, both forms)",
        )

    def caption_lines(self) -> list[str]:
        m = self.model
        lines = [m.state_text()]
        lines += [f"{r[1]}: plain {r[3]}, log {r[4]}" for r in m.readout_rows()]
        lines += [f"{r[1]}: {r[3]}" for r in m.reference_rows() if r[0] != "time"]
        if m.problem:
            lines.insert(0, m.problem)
        return lines

    @classmethod
    def link_notices(cls, model: SinkhornModel, query: dict[str, str]) -> list[str]:
        values, _ = parse_query(query, QUERY_KEYS)
        return rebinned_notices(values, model.n)


def _drawn(drawn: int, asked: int, broke: bool) -> str:
    if broke:
        return f"{drawn} (NaN)"
    return f"{drawn} (converged)" if drawn < asked else f"{drawn}"


def _alert(text: str) -> str:
    return (
        f'<p role="alert" style="color:{theme.WARNING_COLOR};font-weight:600;margin:0 0 4px">'
        f"{html.escape(text)}</p>"
    )
