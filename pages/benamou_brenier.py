"""Page /benamou_brenier: optimal transport as a fluid flow of least kinetic energy.

The model (:class:`BenamouBrenier`) holds what a link carries (two histograms, the time ``t``,
the grid, two Gaussians) and the last valid numbers from :mod:`ot_engine.dynamic`: the exact
displacement interpolation, its space-time grid (kinetic energy by quadrature, continuity
residual by finite differences) on the chosen grid and on the grid half as fine, beside
``W2^2`` from the quantile formula; the same for two Gaussians beside the Bures formula.
The view (:class:`BenamouBrenierPage`) draws the frame at ``t`` in the browser from the flow
it holds (:mod:`pages.benamou_brenier_plots`), so the time slider and play need no server.

Deep-link keys: ``p``, ``q``, ``n`` as on /transport_plan (the same parsers), ``t`` (0 to 1),
``grid`` (time steps: 16, 32, 64 or 128; the space grid has twice as many cells), and the
Gaussians' ``gx``, ``gy`` (target mean), ``gs0`` (source spread), ``gsx``, ``gsy``, ``grot``
(target spreads along its axes and the axes' angle in degrees).
"""

from __future__ import annotations

import dataclasses
import html
import math
import time
from dataclasses import dataclass

import numpy as np
import panel as pn
import param
from bokeh.layouts import column
from bokeh.models import Range1d

from ot_engine import InvalidInput, uniform_grid
from ot_engine.dynamic import (
    DensityFlow1D,
    FlowGrid,
    GaussianFlow,
    density_flow_1d,
    flow_grid_1d,
    gaussian_box,
    gaussian_flow,
    gaussian_flow_grid,
)
from ot_engine.histograms import PRESETS
from pages import benamou_brenier_plots as plots
from pages import compat, shell
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
from pages.one_dimension_plots import problem_html
from pages.page import NotebookPage
from pages.query import QueryKey, float_in, format_float, parse_query
from pages.takehome import TakeHome

SLUG = "benamou_brenier"
DEFAULT_PRESET = "bimodal to unimodal"
#: Time steps offered (the space grid has twice as many cells; the check grid half of each).
GRIDS = (16, 32, 64, 128)
#: The Gaussians' grid: cells per side and time steps (and half of each for the check).
GAUSS_NX, GAUSS_NT = 48, 12
SPREAD = (0.3, 2.0)
SHIFT = (-3.0, 3.0)
TIME_DIGITS = 3


def _tp_key(name: str) -> QueryKey:
    """/transport_plan's key ``name`` (its parser and format: one home for the pages)."""
    return next(k for k in tp.QUERY_KEYS if k.key == name)


def parse_grid(raw: str) -> int:
    """Time steps of the grid: one of ``GRIDS``.

    >>> parse_grid("64")
    64
    >>> parse_grid("63")
    Traceback (most recent call last):
    ...
    ValueError: not a grid: 16, 32, 64 or 128
    """
    text = raw.strip()
    if text.isascii() and text.isdigit() and len(text) <= 3 and int(text) in GRIDS:
        return int(text)
    raise ValueError("not a grid: 16, 32, 64 or 128")


QUERY_KEYS = (
    _tp_key("n"),
    _tp_key("p"),
    _tp_key("q"),
    QueryKey("t", "t", float_in(0.0, 1.0), format_float),
    QueryKey("grid", "grid", parse_grid, str),
    QueryKey("gx", "gx", float_in(*SHIFT), format_float),
    QueryKey("gy", "gy", float_in(*SHIFT), format_float),
    QueryKey("gs0", "gs0", float_in(*SPREAD), format_float),
    QueryKey("gsx", "gsx", float_in(*SPREAD), format_float),
    QueryKey("gsy", "gsy", float_in(*SPREAD), format_float),
    QueryKey("grot", "grot", float_in(-90.0, 90.0), format_float),
)


def target_covariance(sx: float, sy: float, angle_deg: float) -> np.ndarray:
    """``R diag(sx^2, sy^2) R^T`` with ``R`` the rotation by ``angle_deg``.

    >>> target_covariance(2.0, 1.0, 90.0).round(12).tolist()
    [[1.0, 0.0], [0.0, 4.0]]
    """
    a = math.radians(angle_deg)
    R = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return R @ np.diag([sx * sx, sy * sy]) @ R.T


# --- solved states ---------------------------------------------------------------------------


def _grid_label(g: FlowGrid) -> str:
    return f"{g.nx} cells × {g.nt} steps"


@dataclass(frozen=True)
class LineSolution:
    """The 1-D flow, exact, and on the chosen grid and the one half as fine."""

    d: DensityFlow1D
    grid: FlowGrid
    coarse: FlowGrid
    compute_time: float

    def readout_rows(self) -> list[list[str]]:
        g, c = self.grid, self.coarse
        return [
            readout("w2", "W2² (quantile formula, exact)", f"{self.d.w2_squared:.6g}"),
            readout("energy", f"∫∫ ρ v² dx dt on {_grid_label(g)}", f"{g.energy:.6g}"),
            readout("error", "|energy − W2²| (discretization error)", f"{g.energy_error:.2e}"),
            readout("energy_c", f"∫∫ ρ v² dx dt on {_grid_label(c)}", f"{c.energy:.6g}"),
            readout("error_c", "|energy − W2²| on the coarser grid", f"{c.energy_error:.2e}"),
            readout("res", "continuity residual (relative, weak)", f"{g.relative_residual:.2e}"),
            readout("res_c", "the same on the coarser grid", f"{c.relative_residual:.2e}"),
            readout("time", "compute time", f"{1000 * self.compute_time:.1f} ms"),
        ]


@dataclass(frozen=True)
class GaussSolution:
    g: GaussianFlow
    grid: FlowGrid
    coarse: FlowGrid
    box: tuple[float, float, float, float]
    compute_time: float

    def readout_rows(self) -> list[list[str]]:
        g, c = self.grid, self.coarse
        return [
            readout("gw2", "W2² (Bures formula, exact)", f"{self.g.w2_squared:.6g}"),
            readout("genergy", f"∫∫ ρ |v|² on {g.nx}² cells × {g.nt} steps", f"{g.energy:.6g}"),
            readout("gerror", "|energy − W2²|", f"{g.energy_error:.2e}"),
            readout("gres", "continuity residual (relative, L1)", f"{g.relative_residual:.2e}"),
            readout(
                "gres_c",
                f"the same on {c.nx}² cells × {c.nt} steps",
                f"{c.relative_residual:.2e}",
            ),
        ]


def _without_fields(g: FlowGrid) -> FlowGrid:
    """``g``'s numbers without its sampled density (a session keeps only what it draws: the
    fine 1-D grid's image; the rest would be ~0.5 MB per session at the finest grid)."""
    return dataclasses.replace(g, rho=_NO_FIELD)


_NO_FIELD = np.zeros((0,))
_NO_FIELD.setflags(write=False)


def solve_line(p: np.ndarray, q: np.ndarray, nt: int) -> LineSolution:
    t0 = time.perf_counter()
    d = density_flow_1d(p, q)
    grid = flow_grid_1d(d, 2 * nt, nt)
    coarse = _without_fields(flow_grid_1d(d, nt, nt // 2))
    return LineSolution(d, grid, coarse, time.perf_counter() - t0)


def solve_gauss(gx, gy, gs0, gsx, gsy, grot) -> GaussSolution:
    t0 = time.perf_counter()
    g = gaussian_flow(
        [0.0, 0.0], gs0 * gs0 * np.eye(2), [gx, gy], target_covariance(gsx, gsy, grot)
    )
    box = gaussian_box(g)
    grid = _without_fields(gaussian_flow_grid(g, GAUSS_NX, GAUSS_NT, box=box))
    coarse = _without_fields(gaussian_flow_grid(g, GAUSS_NX // 2, GAUSS_NT // 2, box=box))
    return GaussSolution(g, grid, coarse, box, time.perf_counter() - t0)


class BenamouBrenier(HistogramPair):
    """State of the page and its last valid numbers (no widgets, no Bokeh)."""

    preset = param.Selector(default=DEFAULT_PRESET, objects=list(PRESETS), label="Preset")
    t = param.Number(0.35, bounds=(0.0, 1.0), label="Time t")
    grid = param.Selector(default=64, objects=list(GRIDS), label="Time steps of the grid")
    gx = param.Number(2.0, bounds=SHIFT, step=0.1, label="Target mean, x₁")
    gy = param.Number(1.0, bounds=SHIFT, step=0.1, label="Target mean, x₂")
    gs0 = param.Number(0.6, bounds=SPREAD, step=0.05, label="Source spread σ₀")
    gsx = param.Number(1.2, bounds=SPREAD, step=0.05, label="Target spread, first axis")
    gsy = param.Number(0.4, bounds=SPREAD, step=0.05, label="Target spread, second axis")
    grot = param.Number(30.0, bounds=(-90.0, 90.0), step=1.0, label="Target axis angle (°)")
    reset = param.Action(lambda self: self.apply_preset(self.preset), label="Reset bars")

    line = param.ClassSelector(class_=LineSolution, default=None, constant=True)
    gauss = param.ClassSelector(class_=GaussSolution, default=None, constant=True)
    problem = param.String("", constant=True, doc="Why the numbers shown are not current.")

    GAUSS_KEYS = ("gx", "gy", "gs0", "gsx", "gsy", "grot")

    def __init__(self, **params):
        super().__init__(**params)
        self._line_changed()
        self._gauss_changed()

    @param.depends("n", "p", "q", "grid", watch=True)
    def _line_changed(self) -> None:
        if self.p.size != self.n or self.q.size != self.n:
            self.param.update(p=fit_heights(self.p, self.n), q=fit_heights(self.q, self.n))
            return
        missing = [name for name, h in (("p", self.p), ("q", self.q)) if not np.any(h > 0)]
        if missing:
            self._set(
                problem=" and ".join(f"add some mass to {m}" for m in missing).capitalize()
                + ": every bar is at zero. The flow and numbers shown are the last valid ones."
            )
            return
        try:
            solution = solve_line(self.p, self.q, self.grid)
        except InvalidInput as err:  # not expected after the checks above; never crash
            self._set(problem=f"Could not compute this state ({err}). The numbers are the last.")
            return
        self._set(line=solution, problem="")

    @param.depends(*GAUSS_KEYS, watch=True)
    def _gauss_changed(self) -> None:
        try:
            solution = solve_gauss(*(getattr(self, k) for k in self.GAUSS_KEYS))
        except InvalidInput as err:
            self._set(problem=f"Could not compute the Gaussians ({err}). Shown: the last.")
            return
        self._set(gauss=solution)

    def _set(self, **values) -> None:
        with param.edit_constant(self):
            self.param.update(**values)

    def snippet(self) -> str:
        return takehome_code(self)


# --- the code box ----------------------------------------------------------------------------


def takehome_code(m: BenamouBrenier) -> str:
    """numpy + POT lines that recompute the page's numbers (shown in the code box)."""

    def vec(h):
        return "np.array([" + ", ".join(f"{v:.{HEIGHT_DIGITS}g}" for v in h) + "])"

    nt = m.grid
    return f'''import numpy as np
import ot

p = {vec(m.p)}
q = {vec(m.q)}
n = p.size
edges = np.linspace(0, 1, n + 1)  # the bars are densities, constant on each bin of [0, 1]
a, b = p / p.sum(), q / q.sum()

# Level pieces: between consecutive values of either CDF both quantiles are linear.
levels = np.union1d(np.cumsum(a), np.cumsum(b))
levels = np.concatenate(([0.0], levels[(levels > 0) & (levels < 1 - 1e-12)], [1.0]))
s_hi = levels[1:][np.diff(levels) > 1e-12]
s_lo = np.concatenate(([0.0], s_hi[:-1]))


def quantile_ends(w):
    F = np.concatenate(([0.0], np.cumsum(w)))
    F[-1] = 1.0
    i = np.clip(np.searchsorted(F, (s_lo + s_hi) / 2, side="right") - 1, 0, n - 1)
    lo = edges[i] + (s_lo - F[i]) / w[i] / n
    hi = edges[i] + (s_hi - F[i]) / w[i] / n
    return np.clip(lo, edges[i], edges[i + 1]), np.clip(hi, edges[i], edges[i + 1])


f_lo, f_hi = quantile_ends(a)  # F^-1 at both ends of each piece
g_lo, g_hi = quantile_ends(b)  # G^-1
d_lo, d_hi = g_lo - f_lo, g_hi - f_hi  # how far each particle travels
W2sq = np.sum((s_hi - s_lo) * (d_lo**2 + d_lo * d_hi + d_hi**2) / 3)
print(f"W2^2 (quantile formula) = {{W2sq:.6g}}")

# POT's check: split every bin into 64 atoms (error below 2 / (64 n)).
x = (np.arange(64 * n) + 0.5) / (64 * n)
W2sq_pot = ot.wasserstein_1d(x, x, np.repeat(a / 64, 64), np.repeat(b / 64, 64), p=2)
print(f"W2^2 (POT, split bins) = {{W2sq_pot:.6g}}")


def flow_grid(nx, nt):
    """Kinetic energy and continuity residual on nx cells x nt time steps."""
    faces = np.linspace(0, 1, nx + 1)
    centres = (faces[:-1] + faces[1:]) / 2
    H, flux, kinetic = [], [], []
    for t in np.linspace(0, 1, nt + 1):
        left, right = (1 - t) * f_lo + t * g_lo, (1 - t) * f_hi + t * g_hi
        xb = np.column_stack([left, right]).ravel()

        def rho_v(y):
            k = np.searchsorted(xb, y, side="right")
            inside = (k % 2 == 1) & (k < xb.size)
            j = np.clip((k - 1) // 2, 0, left.size - 1)
            u = np.clip((y - left[j]) / (right[j] - left[j]), 0, 1)
            v = (1 - u) * d_lo[j] + u * d_hi[j]
            rho = (s_hi[j] - s_lo[j]) / (right[j] - left[j])
            return np.where(inside, rho, 0.0), np.where(inside, v, 0.0)

        Ht = np.interp(faces, xb, np.column_stack([s_lo, s_hi]).ravel(), left=0, right=1)
        r, v = rho_v(faces)
        _, vc = rho_v(centres)
        H.append(Ht)
        flux.append(r * v)
        kinetic.append(np.sum(np.diff(Ht) * vc**2))  # cell mass times v^2 at its centre
    H, flux, kinetic = np.array(H), np.array(flux), np.array(kinetic)
    weights = np.full(nt + 1, 1 / nt)
    weights[[0, -1]] /= 2  # trapezoid in time
    energy = weights @ kinetic
    phi = (flux[1:] + flux[:-1]) / 2
    # d_t rho + d_x(rho v) by finite differences, summed over the cells left of each face
    running = (H[1:] - H[:-1]) * nt + phi - phi[:, :1]
    residual = np.abs(running).sum() / np.abs(phi).sum()
    return energy, residual


for nx, nt in (({2 * nt}, {nt}), ({nt}, {nt // 2})):
    energy, residual = flow_grid(nx, nt)
    print(f"{{nx}} x {{nt}}: energy = {{energy:.6g}}, |energy - W2^2| = {{abs(energy - W2sq):.2e}},"
          f" relative residual = {{residual:.2e}}")

# Two Gaussians: the Bures formula and the kinetic energy of the closed-form flow.
m0, S0 = np.zeros(2), {m.gs0!r} ** 2 * np.eye(2)
m1 = np.array([{m.gx!r}, {m.gy!r}])
angle = np.radians({m.grot!r})
R = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
S1 = R @ np.diag([{m.gsx!r} ** 2, {m.gsy!r} ** 2]) @ R.T


def sqrtm(S):
    w, V = np.linalg.eigh(S)
    return (V * np.sqrt(np.clip(w, 0, None))) @ V.T


S0h = sqrtm(S0)
A = np.linalg.inv(S0h) @ sqrtm(S0h @ S1 @ S0h) @ np.linalg.inv(S0h)  # T(x) = m1 + A(x - m0)
bures = ot.gaussian.bures_wasserstein_distance(m0, m1, S0, S1) ** 2
energy = np.sum((m1 - m0) ** 2) + np.trace((A - np.eye(2)) @ S0 @ (A - np.eye(2)))
print(f"Gaussians: W2^2 (Bures, POT) = {{bures:.6g}}")
print(f"Gaussians: kinetic energy (closed form) = {{energy:.6g}}")
'''


#: The notebook's figure (after the code above: s_lo, s_hi, f_lo, f_hi, g_lo, g_hi).
PLOT = f"""import matplotlib.pyplot as plt

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
for t in (0.0, 0.25, 0.5, 0.75, 1.0):
    lo, hi = (1 - t) * f_lo + t * g_lo, (1 - t) * f_hi + t * g_hi
    rho = (s_hi - s_lo) / (hi - lo)
    left.bar(lo, rho, width=hi - lo, align="edge", alpha=0.45, label=f"t = {{t}}")
left.set_xlabel("x")
left.set_ylabel("density at time t")
left.legend()
s = (np.arange({plots.PATHS}) + 0.5) / {plots.PATHS}
k = np.clip(np.searchsorted(s_hi, s), 0, s_lo.size - 1)
u = (s - s_lo[k]) / (s_hi[k] - s_lo[k])
for x0, x1 in zip((1 - u) * f_lo[k] + u * f_hi[k], (1 - u) * g_lo[k] + u * g_hi[k]):
    right.plot([x0, x1], [0, 1], color="#009E73", lw=1)
right.set_xlabel("x")
right.set_ylabel("t")
right.set_title("particle paths (Lagrangian view)")
plt.show()
"""


# --- requests from the browser -------------------------------------------------------------


# --- the view -------------------------------------------------------------------------------


#: Embed mode: a tab's controls in a grid, columns at least ``min`` wide.
EMBED_GRID_CSS = (
    ":host(.ot-embed-controls) {{ grid-template-columns: "
    "repeat(auto-fill, minmax(min(100%, {min}), 1fr)) !important; }}"
)


class BenamouBrenierPage(NotebookPage):
    """The served page: histograms, the flowing density and its velocity, space-time paths,
    two Gaussians; numbers; prose."""

    slug = SLUG
    embed_height_scale = None  # compact sizes of its own (plots.COMPACT)
    model_class = BenamouBrenier
    query_keys = QUERY_KEYS
    model = param.ClassSelector(class_=BenamouBrenier)
    figure_label = "Transport as a fluid: the density, its velocity and the particle paths"

    def __init__(self, model=None, notices=None, embed=None):
        super().__init__(model, notices=notices, embed=embed)
        self.sizes = plots.COMPACT if self.embed else plots.FULL
        m = self.model
        self.flow = Flow(self._apply_update, name="bb_answer")
        x = uniform_grid(m.n)
        unit = Range1d(0, 1, bounds=(0, 1))
        self.histograms = source_and_target(
            x,
            m,
            self.flow,
            prefix="bb",
            width=self.sizes.width,
            height=self.sizes.bar_height,
            x_range=unit,
            ymax=1.0,
            notes=(" (t = 0)", " (t = 1)"),
        )
        self.figs = plots.FlowFigures(self.sizes, self.flow, m.t)
        self.flow.listen(
            self.figs.time_request,
            lambda data: scalar_request(data, "t", 0.0, 1.0, TIME_DIGITS),
            max_items=16,
        )
        self.figs.frame_fig.tags = [self.flow.answer_source, self.figs.time_request]
        self.readouts = self._table("bb-readouts", "The flow on the line: exact and on grids")
        self.gauss_readouts = self._table("bb-gauss-readouts", "Two Gaussians: exact and on grids")
        self.problem_note = pn.pane.HTML(
            "", width=self.sizes.readouts, sizing_mode="fixed", margin=(0, 5), visible=False
        )
        self.probe = pn.pane.HTML(
            "", width=self.sizes.width, sizing_mode="fixed", margin=(0, 5), min_height=40
        )
        self._build_controls()
        m.param.watch(self._bars_changed, ["p", "q"])
        m.param.watch(lambda *_e: self._redraw_line(), ["line", "problem"])
        m.param.watch(lambda *_e: self._redraw_gauss(), ["gauss"])
        m.param.watch(lambda *_e: self._update_probe(), ["t"])
        self._redraw_gauss()
        self._redraw_line()

    def _table(self, table_class: str, caption: str) -> ReadoutTable:
        return ReadoutTable(
            columns=[["bb-value", "value"]],
            label_header="quantity",
            label_width="66%",
            caption=caption,
            table_class=table_class,
            stylesheets=[f"table.{table_class} th.ot-readout-label {{ white-space: normal; }}"],
            width=self.sizes.readouts,
            sizing_mode="fixed",
            margin=(0, 5),
        )

    def _apply_update(self, update: dict) -> None:
        m = self.model
        if any(name in update and update[name].size != m.n for name in ("p", "q")):
            update = {k: v for k, v in update.items() if k == "t"}  # stale bars: drop
        with pn.io.hold(self.flow.document):  # one message for the whole update
            m.param.update(**update)

    def _bars_changed(self, *_events) -> None:
        x = uniform_grid(self.model.n)
        for name, hist in self.histograms.items():
            hist.update(getattr(self.model, name), x=x)

    def _redraw_line(self) -> None:
        m = self.model
        sol = m.line
        self.readouts.rows = sol.readout_rows() if sol else []
        self.problem_note.param.update(object=problem_html(m.problem), visible=bool(m.problem))
        if sol is not None:
            self.figs.show_1d(sol.d, sol.grid.rho, m.t)
        self._update_probe()
        # Last: it acknowledges everything above (the browser then sends its newest change).
        self.flow.answer()

    def _redraw_gauss(self) -> None:
        sol = self.model.gauss
        self.gauss_readouts.rows = sol.readout_rows() if sol else []
        if sol is not None:
            self.figs.show_gauss(sol.g, sol.box, self.model.t)

    def _update_probe(self) -> None:
        m = self.model
        if m.line is None:
            self.probe.object = ""
            return
        f = m.line.d.frame(m.t)
        peak = int(np.argmax(f["rho"]))
        speed = float(np.max(np.abs(np.concatenate([f["v_lo"], f["v_hi"]]))))
        self.probe.object = html.escape(
            f"At t = {m.t:.3f} the density peaks at {f['rho'][peak]:.3g} on "
            f"[{f['left'][peak]:.3f}, {f['right'][peak]:.3f}]; the fastest particle moves at "
            f"{speed:.3f} per unit time. Every particle keeps its speed from t = 0 to 1."
        )

    def _build_controls(self) -> None:
        m = self.model
        w = pn.widgets
        self.preset_select = w.Select.from_param(m.param.preset)
        self.grid_select = w.Select.from_param(m.param.grid)
        self.reset_button = w.Button.from_param(m.param.reset)
        self.bins_slider = w.IntSlider.from_param(m.param.n, step=8, throttled=True)

        def slider(p):
            return w.FloatSlider.from_param(p, throttled=True)

        self.gauss_sliders = [slider(m.param[k]) for k in BenamouBrenier.GAUSS_KEYS]
        line = [self.preset_select, self.bins_slider, self.grid_select, self.reset_button]
        gauss_title = pn.pane.HTML(
            "<div><strong>Two Gaussians</strong> (source centred at 0)</div>",
            margin=(8, 10, 0, 10),
        )
        if self.embed:
            # Each tab's own controls in a grid (_embed_figure): the line's in one row, the
            # Gaussians' beside their plane.
            for widget in [*line, *self.gauss_sliders]:
                widget.param.update(width=None, sizing_mode="stretch_width")
            self.control_panel = pn.Column(
                *line,
                css_classes=["ot-embed-controls"],
                stylesheets=[EMBED_GRID_CSS.format(min="9rem")],
                sizing_mode="stretch_width",
            )
            self.gauss_controls = pn.Column(
                *self.gauss_sliders,
                css_classes=["ot-embed-controls"],
                stylesheets=[EMBED_GRID_CSS.format(min="13rem")],
                sizing_mode="stretch_width",
            )
            return
        self.control_panel = pn.Column(*line, gauss_title, *self.gauss_sliders, width=290)

    def figure(self) -> pn.viewable.Viewable:
        if self.embed:
            return self._embed_figure()
        f = self.figs
        hist = column(self.histograms["p"].figure, self.histograms["q"].figure)
        time_row = pn.Row(
            pn.pane.Bokeh(f.play, margin=0),
            pn.pane.Bokeh(f.slider, margin=0),
            sizing_mode="fixed",
        )
        probe = compat.AttributedColumn(
            self.probe, html_attributes={"aria-live": "polite"}, sizing_mode="fixed"
        )
        first = pn.Column(
            pn.pane.Bokeh(hist),
            time_row,
            pn.pane.Bokeh(column(f.frame_fig, f.velocity_fig)),
            probe,
            sizing_mode="fixed",
        )
        second = pn.Column(
            pn.pane.Bokeh(f.spacetime_fig),
            self.problem_note,
            self.readouts,
            pn.pane.Bokeh(f.gauss_fig),
            self.gauss_readouts,
            sizing_mode="fixed",
        )
        return pn.FlexBox(first, second, gap="0 12px", sizing_mode="stretch_width")

    def _embed_figure(self) -> pn.viewable.Viewable:
        """A 700 x 600 iframe: two tabs, the flow on the line (histograms, the density and its
        velocity beside the space-time picture and its numbers) and the two Gaussians (the
        plane beside their sliders and numbers), each with its own controls."""
        f = self.figs
        stretch = {"sizing_mode": "stretch_width", "width": None}
        line_figs = (self.histograms["p"].figure, self.histograms["q"].figure)
        for fig in (*line_figs, f.frame_fig, f.velocity_fig, f.spacetime_fig, f.slider):
            fig.update(**stretch)
        for pane in (self.probe, self.problem_note, self.readouts, self.gauss_readouts):
            pane.param.update(**stretch)
        self.probe.styles = {"font-size": "12px"}
        shell.embed_small_type(self.readouts, self.gauss_readouts)
        time_row = pn.Row(
            pn.pane.Bokeh(f.play, margin=0),
            pn.pane.Bokeh(f.slider, margin=0, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )
        probe = compat.AttributedColumn(
            self.probe, html_attributes={"aria-live": "polite"}, sizing_mode="stretch_width"
        )
        left = pn.Column(
            pn.pane.Bokeh(column(*line_figs, sizing_mode="stretch_width"), margin=0),
            time_row,
            pn.pane.Bokeh(
                column(f.frame_fig, f.velocity_fig, sizing_mode="stretch_width"), margin=0
            ),
            probe,
            sizing_mode="stretch_width",
        )
        right = (
            pn.pane.Bokeh(f.spacetime_fig, margin=0, sizing_mode="stretch_width"),
            self.problem_note,
            self.readouts,
        )
        line = pn.Column(self.control_panel, shell.embed_row(left, *right))
        gauss = shell.embed_row(
            pn.pane.Bokeh(f.gauss_fig, margin=0), self.gauss_controls, self.gauss_readouts
        )
        return shell.embed_tabs(("The flow on the line", line), ("Two Gaussians", gauss))

    def controls(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.control_panel

    # --- take it home -----------------------------------------------------------------------

    def takehome(self) -> TakeHome:
        m = self.model
        return TakeHome(
            title=f"Transport as a fluid: {m.n} bins, grid of {2 * m.grid} x {m.grid}",
            intro=(
                f"Two histograms $p$ and $q$ on {m.n} bins of $[0, 1]$, read as densities. "
                "Particles travel on straight lines at constant speed from $F^{-1}(s)$ to "
                "$G^{-1}(s)$; the first cell computes $W_2^2$ by the quantile formula (and by "
                "POT), then samples the flow on two space-time grids and integrates its "
                "kinetic energy and its continuity residual; last, two Gaussians. The second "
                "cell draws the density at five times and the particle paths."
            ),
            equation=(
                r"W_2^2(\mu,\nu) = \min_{\partial_t\rho + \partial_x(\rho v) = 0}"
                r" \int_0^1\!\!\int \rho_t |v_t|^2\,dx\,dt"
            ),
            cells=(m.snippet(), PLOT),
            notes=(
                "The grid's energy differs from $W_2^2$ by the discretization error printed "
                "beside it; it shrinks as the grid refines (compare the two grids).",
            ),
            code_title="Show the code (numpy + POT)",
        )

    def caption_lines(self) -> list[str]:
        m = self.model
        rows = []
        if m.line is not None:
            rows += m.line.readout_rows()
        if m.gauss is not None:
            rows += m.gauss.readout_rows()
        lines = [f"{r[1]}: {r[3]}" for r in rows if r[0] != "time"]
        if m.problem:
            lines.insert(0, m.problem)
        return lines

    @classmethod
    def link_notices(cls, model: BenamouBrenier, query: dict[str, str]) -> list[str]:
        """Say so when the link's bars were rebinned to its ``n``."""
        values, _ = parse_query(query, QUERY_KEYS)
        return rebinned_notices(values, model.n)
