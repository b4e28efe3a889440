"""Page /interpolation: moving the mass (McCann) against mixing the densities.

The model (:class:`Interpolation`) holds what a link carries (bars ``p``, ``q`` on ``n`` bins,
the time ``t``, the clouds ``cloud`` and their dragged points ``pts``) and the last valid
numbers: McCann's interpolant on the grid (exact, from the quantile pieces) and the mixture,
from :mod:`ot_engine.interpolation`, and the distances that test the geodesic identities,
each computed by POT's exact LP on the interpolant itself (not from the construction). The
view draws the two draggable histograms, both interpolants' bars, two draggable clouds with
their matching and the points in motion (moved by the browser along their segments).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np
import panel as pn
import param
from bokeh.layouts import column
from bokeh.models import Range1d
from panel.io.document import hold

from ot_engine import (
    InvalidInput,
    W2Check,
    displacement_1d,
    mccann_2d,
    mixture,
    uniform_grid,
    w2_lp,
)
from ot_engine.histograms import PRESET_PEAK
from pages import interpolation_plots as plots
from pages import query, shell
from pages import transport_plan as tp
from pages.components.flow import Flow, scalar_request
from pages.components.readouts import ReadoutTable, readout
from pages.histogram_pair import (
    HEIGHT_DIGITS,
    PRESET_FLOOR,
    HistogramPair,
    fit_heights,
    rebinned_notices,
    round_heights,
    source_and_target,
)
from pages.one_dimension_plots import problem_html
from pages.page import NotebookPage
from pages.takehome import TakeHome

SLUG = "interpolation"
#: Time is kept to this many decimals (the slider's step is 0.01; links stay short).
TIME_DIGITS = 3
#: Points per cloud in every preset (uniform clouds of equal size: the plan is a matching).
N_POINTS = 16
#: Digits the link keeps of a dragged point.
POINT_DECIMALS = 3
#: A geodesic identity counts as holding when its two sides differ by less than this. The LP
#: gives W2 squared to ~1e-16, and a square root turns that into ~1e-8 near W2 = 0 (t = 0 or
#: 1); 1e-6 is above that and far below the 4 digits shown, and far below the mixture's gap
#: (about (sqrt(t) - t) W2 for two atoms) for any t the slider offers.
GEODESIC_TOL = 1e-6


# --- presets ------------------------------------------------------------------------------

HIST_PRESETS = ("sliding bump", "narrow to wide", "one bump to two", "two bumps swap sizes")


def _bump(x, centre, width):
    return np.exp(-0.5 * ((x - centre) / width) ** 2)


def interpolation_preset(name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Bar heights of the page's preset ``name`` on ``n`` bins (tallest ``PRESET_PEAK``,
    rounded as the pages keep heights, bars below ``PRESET_FLOOR`` zeroed).

    >>> p, q = interpolation_preset("sliding bump", 64)
    >>> int(np.argmax(p)), int(np.argmax(q)), float(p.max())
    (14, 46, 0.9)
    """
    x = uniform_grid(n)
    if name == "sliding bump":
        p, q = _bump(x, 0.22, 0.05), _bump(x, 0.72, 0.05)
    elif name == "narrow to wide":
        p, q = _bump(x, 0.3, 0.025), _bump(x, 0.6, 0.1)
    elif name == "one bump to two":
        p, q = _bump(x, 0.5, 0.06), _bump(x, 0.2, 0.04) + _bump(x, 0.8, 0.04)
    elif name == "two bumps swap sizes":
        p = _bump(x, 0.25, 0.05) + 0.35 * _bump(x, 0.75, 0.05)
        q = 0.35 * _bump(x, 0.25, 0.05) + _bump(x, 0.75, 0.05)
    else:
        raise KeyError(name)
    out = []
    for h in (p, q):
        h = PRESET_PEAK * h / h.max()
        h[h < PRESET_FLOOR] = 0.0
        out.append(round_heights(h))
    return out[0], out[1]


CLOUD_PRESETS = ("shift", "spread", "split", "turn")


@functools.lru_cache(maxsize=8)
def preset_clouds(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The preset's source and target clouds, ``N_POINTS`` each, inside ``BOUNDS`` (fixed
    draws, rounded as a link keeps dragged points)."""
    rng = np.random.RandomState(11)
    z1, z2 = rng.randn(N_POINTS, 2), rng.randn(N_POINTS, 2)
    angle = np.linspace(0, 2 * np.pi, N_POINTS, endpoint=False)
    ring = np.column_stack([np.cos(angle), np.sin(angle)])
    if name == "shift":
        X, Y = 0.3 * z1 + [-1.0, -0.7], 0.3 * z2 + [1.0, 0.7]
    elif name == "spread":
        X, Y = 0.2 * z1, 1.4 * ring + 0.05 * z2
    elif name == "split":
        sides = np.where(np.arange(N_POINTS)[:, None] % 2 == 0, [1.1, 1.0], [1.1, -1.0])
        X, Y = 0.3 * z1 + [-1.1, 0.0], 0.2 * z2 + sides
    elif name == "turn":
        X, Y = z1 * [0.9, 0.12] + [0.0, -0.9], z2 * [0.12, 0.9] + [0.9, 0.3]
    else:
        raise KeyError(name)
    (x0, x1), (y0, y1) = plots.BOUNDS
    X = np.clip(X, [x0, y0], [x1, y1]).round(POINT_DECIMALS)
    Y = np.clip(Y, [x0, y0], [x1, y1]).round(POINT_DECIMALS)
    X.setflags(write=False)
    Y.setflags(write=False)
    return X, Y


# --- the state a link can carry -----------------------------------------------------------


def _tp_key(name: str) -> query.QueryKey:
    """/transport_plan's key ``name`` (its parser and format: one home for the bar keys)."""
    return next(k for k in tp.QUERY_KEYS if k.key == name)


def _parse_points(raw: str) -> tuple[float, ...] | None:
    """``pts``: empty for the preset itself, else x, y of every point (source, then target).

    >>> _parse_points("") is None
    True
    >>> len(_parse_points(",".join(["0.5"] * 64)))
    64
    """
    if raw == "":
        return None
    (x0, x1), _ = plots.BOUNDS
    return query.float_list(4 * N_POINTS, 4 * N_POINTS, x0, x1)(raw)


def _format_points(values: tuple[float, ...] | None) -> str:
    return "" if values is None else ",".join(f"{v:g}" for v in values)


def parse_time(raw: str) -> float:
    """``t``: a number in [0, 1], kept to ``TIME_DIGITS`` decimals.

    >>> parse_time("0.33333")
    0.333
    >>> parse_time("2")
    Traceback (most recent call last):
    ...
    ValueError: outside 0 to 1
    """
    return round(query.float_in(0.0, 1.0)(raw), TIME_DIGITS)


QUERY_KEYS = (
    _tp_key("n"),
    _tp_key("p"),
    _tp_key("q"),
    query.QueryKey("t", "t", parse_time, query.format_float),
    query.QueryKey("cloud", "cloud", query.choice(*CLOUD_PRESETS)),
    query.QueryKey("pts", "points", _parse_points, _format_points),
)


# --- one solved state ------------------------------------------------------------------------


def _fmt(value: float) -> str:
    return f"{value:.4f}"


def _gap(d0t: W2Check, dt1: W2Check, t: float, w: float) -> float:
    """The larger of the two identities' gaps, ``|W2(mu_0, mu_t) - t W|`` and
    ``|W2(mu_t, mu_1) - (1 - t) W|``."""
    return max(abs(d0t.value - t * w), abs(dt1.value - (1.0 - t) * w))


@dataclass(frozen=True)
class Numbers:
    """The geodesic test for one path: ``W2(mu_0, mu_t)`` and ``W2(mu_t, mu_1)`` by the LP on
    the path's measure at ``t``, against ``t W`` and ``(1 - t) W``."""

    t: float
    w01: W2Check  # W2(mu_0, mu_1), LP
    disp_0t: W2Check
    disp_t1: W2Check
    mix_0t: W2Check
    mix_t1: W2Check

    def path_checks(self, path: str) -> tuple[W2Check, W2Check, W2Check]:
        """The three LPs behind one column (``"disp"`` or ``"mix"``)."""
        return self.w01, getattr(self, f"{path}_0t"), getattr(self, f"{path}_t1")

    def gap(self, path: str) -> float:
        _, d0t, dt1 = self.path_checks(path)
        return _gap(d0t, dt1, self.t, self.w01.value)

    def converged(self, path: str) -> bool:
        return all(c.converged for c in self.path_checks(path))

    def marginal_error(self, path: str) -> float:
        return max(c.marginal_error for c in self.path_checks(path))

    def rows(self, prefix: str, construction: tuple[str, float]) -> list[list[str]]:
        t, w = self.t, self.w01.value
        ok = all(self.converged(path) for path in ("disp", "mix"))
        flag = "" if ok else "an LP did not reach an optimal, feasible plan"
        label, value = construction

        def both(f):
            return [f(path) for path in ("disp", "mix")]

        return [
            readout(f"{prefix}w01", "W₂(μ₀, μ₁), exact LP", _fmt(w), _fmt(w)),
            readout(f"{prefix}build", label, _fmt(value), "—"),
            readout(
                f"{prefix}0t",
                "W₂(μ₀, μₜ), exact LP on μₜ",
                _fmt(self.disp_0t.value),
                _fmt(self.mix_0t.value),
            ),
            readout(f"{prefix}t_w", "t · W₂(μ₀, μ₁)", _fmt(t * w), _fmt(t * w)),
            readout(
                f"{prefix}t1",
                "W₂(μₜ, μ₁), exact LP on μₜ",
                _fmt(self.disp_t1.value),
                _fmt(self.mix_t1.value),
            ),
            readout(f"{prefix}1t_w", "(1 − t) · W₂(μ₀, μ₁)", _fmt((1 - t) * w), _fmt((1 - t) * w)),
            readout(
                f"{prefix}gap", "largest gap of the two", *both(lambda k: f"{self.gap(k):.0e}")
            ),
            readout(
                f"{prefix}geo",
                "geodesic identities hold",
                *both(lambda k: "yes" if self.gap(k) < GEODESIC_TOL else "no"),
            ),
            readout(
                f"{prefix}lp",
                "LPs optimal",
                *both(lambda k: "yes" if self.converged(k) else "NO"),
                flag=flag,
            ),
            readout(
                f"{prefix}err",
                "LP marginal error (L1)",
                *both(lambda k: f"{self.marginal_error(k):.0e}"),
            ),
        ]


@dataclass(frozen=True)
class Solution1D:
    x: np.ndarray
    a: np.ndarray
    b: np.ndarray
    displacement: np.ndarray  # bin masses of McCann's interpolant
    mixture: np.ndarray
    w2_quantiles: float
    numbers: Numbers
    compute_time: float


def solve_1d(
    x: np.ndarray, p: np.ndarray, q: np.ndarray, t: float, w01: W2Check | None = None
) -> Solution1D:
    """McCann's interpolant and the mixture at ``t``; the five LPs that test them (four when
    ``w01``, the LP's ``W2(mu_0, mu_1)`` for these bars, is given: it does not depend on t)."""
    t0 = time.perf_counter()
    a, b = p / p.sum(), q / q.sum()
    disp = displacement_1d(x, a, b, t)
    mix = mixture(a, b, t)
    numbers = Numbers(
        t=t,
        w01=w01 if w01 is not None else w2_lp(x, a, x, b),
        disp_0t=w2_lp(x, a, disp.points, disp.mass),
        disp_t1=w2_lp(disp.points, disp.mass, x, b),
        mix_0t=w2_lp(x, a, x, mix),
        mix_t1=w2_lp(x, mix, x, b),
    )
    return Solution1D(
        x=x,
        a=a,
        b=b,
        displacement=np.asarray(disp.heights),
        mixture=mix,
        w2_quantiles=disp.w2,
        numbers=numbers,
        compute_time=time.perf_counter() - t0,
    )


@dataclass(frozen=True)
class Solution2D:
    X: np.ndarray
    Y: np.ndarray
    match: np.ndarray
    w2_assignment: float
    numbers: Numbers
    compute_time: float


def solve_2d(X: np.ndarray, Y: np.ndarray, t: float, w01: W2Check | None = None) -> Solution2D:
    """The matching, McCann's points at ``t`` and the mixture; the LPs that test them
    (``w01`` as in :func:`solve_1d`)."""
    t0 = time.perf_counter()
    res = mccann_2d(X, Y, t)
    n = X.shape[0]
    u = np.full(n, 1.0 / n)
    both = np.vstack([X, Y])
    mix = np.r_[np.full(n, (1.0 - t) / n), np.full(n, t / n)]
    numbers = Numbers(
        t=t,
        w01=w01 if w01 is not None else w2_lp(X, u, Y, u),
        disp_0t=w2_lp(X, u, res.points, u),
        disp_t1=w2_lp(res.points, u, Y, u),
        mix_0t=w2_lp(X, u, both, mix),
        mix_t1=w2_lp(both, mix, Y, u),
    )
    return Solution2D(
        X=X,
        Y=Y,
        match=np.asarray(res.match),
        w2_assignment=res.w2,
        numbers=numbers,
        compute_time=time.perf_counter() - t0,
    )


def _same_pair(sol, first: np.ndarray, second: np.ndarray) -> bool:
    """Whether ``sol`` (a Solution1D's ``a, b`` or a Solution2D's ``X, Y``) has these ends."""
    old = (sol.a, sol.b) if isinstance(sol, Solution1D) else (sol.X, sol.Y)
    return all(
        u.shape == v.shape and np.array_equal(u, v)
        for u, v in zip(old, (first, second), strict=True)
    )


# --- the model ----------------------------------------------------------------------------


class Interpolation(HistogramPair):
    """State of the page and its last valid numbers (no widgets, no Bokeh)."""

    preset = param.Selector(default=HIST_PRESETS[0], objects=list(HIST_PRESETS), label="Preset")
    t = param.Number(0.5, bounds=(0.0, 1.0), label="Time t")
    cloud = param.Selector(default="shift", objects=list(CLOUD_PRESETS), label="Clouds")
    points = param.Tuple(
        default=None,
        allow_None=True,
        length=4 * N_POINTS,
        doc="Dragged clouds: x, y of each source point, then of each target point (None: the "
        "preset as it is).",
    )
    reset = param.Action(lambda self: self.apply_preset(self.preset), label="Reset bars")

    solution = param.ClassSelector(class_=Solution1D, default=None, constant=True)
    cloud_solution = param.ClassSelector(class_=Solution2D, default=None, constant=True)
    problem = param.String("", constant=True, doc="Why the numbers shown are not current.")

    @staticmethod
    def preset_heights(name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        return interpolation_preset(name, n)

    def __init__(self, **params):
        super().__init__(**params)
        self._inputs_changed()
        self._clouds_changed()

    def clouds(self) -> tuple[np.ndarray, np.ndarray]:
        """The clouds: the dragged points if any, else the preset's."""
        if self.points is not None:
            P = np.asarray(self.points, dtype=np.float64).reshape(2 * N_POINTS, 2)
            return P[:N_POINTS].copy(), P[N_POINTS:].copy()
        X, Y = preset_clouds(self.cloud)
        return X.copy(), Y.copy()

    @param.depends("cloud", watch=True)
    def _cloud_chosen(self) -> None:
        if self.points is not None:
            self.points = None  # a preset chosen: its own points, not the dragged ones
        else:
            self._clouds_changed()

    @param.depends("points", "t", watch=True)
    def _clouds_changed(self) -> None:
        self.show_clouds(*self.clouds())

    def show_clouds(self, X: np.ndarray, Y: np.ndarray) -> None:
        """Solve for the clouds ``X``, ``Y`` (the model's own, or a drag's before release)."""
        try:
            same = self.cloud_solution is not None and _same_pair(self.cloud_solution, X, Y)
            sol = solve_2d(X, Y, self.t, self.cloud_solution.numbers.w01 if same else None)
        except InvalidInput as err:  # not expected (points are checked); never crash
            self._fail(f"Could not compute the clouds ({err}). The numbers shown are the last.")
            return
        with param.edit_constant(self):
            self.cloud_solution = sol

    @param.depends("n", "p", "q", "t", watch=True)
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
            old = self.solution
            a, b = self.p / self.p.sum(), self.q / self.q.sum()
            same = old is not None and _same_pair(old, a, b)
            w01 = old.numbers.w01 if same else None  # a time event: the ends did not move
            solution = solve_1d(uniform_grid(self.n), self.p, self.q, self.t, w01)
        except InvalidInput as err:  # not expected after the checks above; never crash
            self._fail(f"Could not compute this state ({err}). The numbers shown are the last.")
            return
        with param.edit_constant(self):
            self.param.update(solution=solution, problem="")

    def _fail(self, problem: str) -> None:
        with param.edit_constant(self):
            self.problem = problem

    def readout_rows(self) -> list[list[str]]:
        sol = self.solution
        if sol is None:
            return []
        rows = sol.numbers.rows(
            "h_", ("W₂(μ₀, μ₁) by quantiles (used to build μₜ)", sol.w2_quantiles)
        )
        rows.append(readout("h_time", "compute time", f"{1000 * sol.compute_time:.1f} ms", ""))
        return rows

    def cloud_rows(self) -> list[list[str]]:
        sol = self.cloud_solution
        if sol is None:
            return []
        return sol.numbers.rows(
            "c_", ("W₂(μ₀, μ₁) by the matching (used to move)", sol.w2_assignment)
        )

    def snippet(self) -> str:
        X, Y = self.clouds()
        return takehome_code(self.p, self.q, self.t, X, Y)


# --- the code box ----------------------------------------------------------------------------


def _vec(h) -> str:
    return "np.array([" + ", ".join(f"{v:.{HEIGHT_DIGITS}g}" for v in h) + "])"


def _pts(P) -> str:
    return "np.array([" + ", ".join(f"[{x:g}, {y:g}]" for x, y in P) + "])"


def takehome_code(p, q, t, X, Y) -> str:
    """numpy + scipy + POT lines that recompute the page's numbers (shown in the code box)."""
    n = p.size
    return "\n".join(
        [
            "import numpy as np",
            "import ot",
            "from scipy.optimize import linear_sum_assignment",
            "",
            f"t = {t:g}",
            f"p = {_vec(p)}",
            f"q = {_vec(q)}",
            f"x = (np.arange({n}) + 0.5) / {n}  # bin centres on [0, 1]",
            "a, b = p / p.sum(), q / q.sum()",
            "",
            "def W2(xs, u, ys, v):  # exact LP (network simplex); emd2 returns W2 squared",
            "    M = ot.dist(np.reshape(xs, (len(xs), -1)), np.reshape(ys, (len(ys), -1)))",
            "    return np.sqrt(max(ot.emd2(u / u.sum(), v / v.sum(), M), 0.0))",
            "",
            "def report(name, w, w0t, wt1):",
            "    print(f'{name}: W2(mu0, mu1) = {w:.4f}')",
            "    print(f'{name}: W2(mu0, mut) = {w0t:.4f} against t W = {t * w:.4f}')",
            "    print(f'{name}: W2(mut, mu1) = {wt1:.4f} against (1 - t) W = {(1 - t) * w:.4f}')",
            "",
            "# McCann on the line: cut [0, 1] at both CDFs' values; on each piece the",
            "# quantile functions are constant; the piece's mass sits at (1-t) F^-1 + t G^-1.",
            "F, G = np.cumsum(a), np.cumsum(b)",
            "F[-1] = G[-1] = 1.0",
            "levels = np.union1d(F, G)",
            "levels = levels[(levels > 0) & (levels <= 1)]",
            "levels[-1] = 1.0",
            "lo = np.concatenate(([0.0], levels[:-1]))",
            "mass, mid = levels - lo, (lo + levels) / 2",
            "keep = mass > 0",
            "mass, mid = mass[keep], mid[keep]",
            "n = len(a)",
            "i = np.minimum(np.searchsorted(F, mid), n - 1)  # F^-1 on each piece",
            "j = np.minimum(np.searchsorted(G, mid), n - 1)  # G^-1 on each piece",
            "atoms = (1 - t) * x[i] + t * x[j]  # mu_t, exactly",
            "W_q = np.sqrt(np.sum(mass * (x[i] - x[j]) ** 2))",
            "print(f'W2 by quantiles = {W_q:.4f}')",
            "edges = (x[1:] + x[:-1]) / 2",
            "bars = np.bincount(np.searchsorted(edges, atoms, side='right'), mass, minlength=n)",
            "mix = (1 - t) * a + t * b  # the linear mixture",
            "W = W2(x, a, x, b)",
            "report('1D displacement', W, W2(x, a, atoms, mass), W2(atoms, mass, x, b))",
            "report('1D mixture', W, W2(x, a, x, mix), W2(x, mix, x, b))",
            "",
            "# McCann in the plane: an optimal matching, each point on its segment",
            f"X = {_pts(X)}",
            f"Y = {_pts(Y)}",
            "k = len(X)",
            "_, match = linear_sum_assignment(ot.dist(X, Y))",
            "Z = (1 - t) * X + t * Y[match]",
            "u = np.full(k, 1 / k)",
            "both, w = np.vstack([X, Y]), np.r_[np.full(k, (1 - t) / k), np.full(k, t / k)]",
            "W_m = np.sqrt(np.mean(np.sum((X - Y[match]) ** 2, axis=1)))",
            "print(f'W2 by the matching = {W_m:.4f}')",
            "W = W2(X, u, Y, u)",
            "report('2D displacement', W, W2(X, u, Z, u), W2(Z, u, Y, u))",
            "report('2D mixture', W, W2(X, u, both, w), W2(both, w, Y, u))",
        ]
    )


#: The notebook's figure (after the code above).
PLOT = """import matplotlib.pyplot as plt

fig, (left, mid, right) = plt.subplots(1, 3, figsize=(13, 4), constrained_layout=True)
for ax, h, title in ((left, bars, "displacement at t"), (mid, mix, "mixture at t")):
    ax.bar(x, h, width=x[1] - x[0], color="#009E73" if h is bars else "#888888")
    ax.step(x, a, where="mid", color="#0072B2", label="p")
    ax.step(x, b, where="mid", color="#D55E00", linestyle="--", label="q")
    ax.set_title(title)
    ax.legend()
for i in range(k):
    right.plot([X[i, 0], Y[match[i], 0]], [X[i, 1], Y[match[i], 1]], color="#888888", lw=0.8)
right.scatter(*X.T, color="#0072B2", label="source")
right.scatter(*Y.T, color="#D55E00", marker="s", label="target")
right.scatter(*Z.T, color="#009E73", marker="D", label="at t")
right.set_aspect("equal")
right.legend()
plt.show()
"""


# --- the view -------------------------------------------------------------------------------


class InterpolationPage(NotebookPage):
    """The served page: histograms, both interpolants, clouds in motion; numbers; prose."""

    slug = SLUG
    embed_height_scale = None  # compact sizes of its own (plots.COMPACT)
    model_class = Interpolation
    query_keys = QUERY_KEYS
    model = param.ClassSelector(class_=Interpolation)
    figure_label = (
        "Displacement interpolation against the linear mixture, on the line and in the plane"
    )

    def __init__(self, model=None, notices=None, embed=None):
        super().__init__(model, notices=notices, embed=embed)
        self.sizes = plots.COMPACT if self.embed else plots.FULL
        m = self.model
        self.flow = Flow(self._apply_update, name="interp_answer")
        x = uniform_grid(m.n)
        unit = Range1d(0, 1, bounds=(0, 1))
        self.histograms = source_and_target(
            x,
            m,
            self.flow,
            prefix="interp",
            width=self.sizes.width,
            height=self.sizes.bar_height,
            x_range=unit,
            ymax=1.0,
            notes=(" (μ₀)", " (μ₁)"),
        )
        self.bars = plots.InterpolantFigures(self.sizes, x, unit)
        X, Y = m.clouds()
        self.clouds = plots.CloudFigures(
            self.sizes,
            np.vstack([X, Y]),
            np.r_[np.zeros(N_POINTS, int), np.ones(N_POINTS, int)],
            self._on_points,
            N_POINTS,
        )
        self.time = plots.TimeControls(m.t, self.sizes.width, self.flow, self.clouds)
        self.flow.listen(
            self.time.request,
            lambda data: scalar_request(data, "t", 0.0, 1.0, TIME_DIGITS),
            max_items=16,
        )
        self.readouts = self._table("Line: W₂ along McCann's path and along the mixture")
        self.cloud_readouts = self._table("Plane: W₂ along McCann's path and along the mixture")
        self.problem_note = pn.pane.HTML(
            "", width=self.sizes.width, sizing_mode="fixed", margin=(0, 5), visible=False
        )
        self._own_points = False
        self._drawn_paths = None
        self._build_controls()
        m.param.watch(self._bars_changed, ["p", "q"])
        m.param.watch(lambda *_e: self._redraw(), ["solution", "problem"])
        m.param.watch(lambda *_e: self._redraw_clouds(), ["cloud_solution"])
        m.param.watch(self._on_model_points, ["points"])
        self._redraw()
        self._redraw_clouds(new_paths=True)

    def _table(self, caption: str) -> ReadoutTable:
        return ReadoutTable(
            columns=[["interp-disp", "McCann"], ["interp-mix", "mixture"]],
            label_header="quantity",
            label_width="52%",
            caption=caption,
            show_caption=True,
            table_class="interp-readouts",
            stylesheets=["table.interp-readouts th.ot-readout-label { white-space: normal; }"],
            sizing_mode="stretch_width",
            max_width=2 * self.sizes.width + 12,
            min_width=min(self.sizes.width, 290),
            margin=(0, 5),
        )

    # --- events ---------------------------------------------------------------------------

    @property
    def _doc(self):
        return self.flow.document

    def _apply_update(self, update: dict) -> None:
        m = self.model
        if any(name in update and update[name].size != m.n for name in ("p", "q")):
            update = {k: v for k, v in update.items() if k == "t"}  # stale bars: drop
        with hold(self._doc):  # one message for the whole update
            m.param.update(**update)

    def _on_points(self, xy: np.ndarray, groups: np.ndarray, settled: bool) -> None:
        """A drag sync from the browser (validated by the points component): the numbers
        follow the drag; the link (``points``) follows on release."""
        X, Y = xy[groups == 0], xy[groups == 1]
        if len(X) != N_POINTS or len(Y) != N_POINTS:
            return  # the component refuses such syncs; keep the last valid state regardless
        X, Y = X.round(POINT_DECIMALS), Y.round(POINT_DECIMALS)
        with hold(self._doc):
            if not settled:
                self.model.show_clouds(X, Y)
                return
            self._own_points = True
            try:
                self.model.points = tuple(float(v) for v in np.vstack([X, Y]).ravel())
            finally:
                self._own_points = False

    def _on_model_points(self, *_events) -> None:
        if not self._own_points:  # a preset or a link: the points themselves move
            X, Y = self.model.clouds()
            self.clouds.points.update(
                np.vstack([X, Y]), np.r_[np.zeros(N_POINTS, int), np.ones(N_POINTS, int)]
            )
        self._redraw_clouds(new_paths=True)

    def _bars_changed(self, *_events) -> None:
        x = uniform_grid(self.model.n)
        for name, hist in self.histograms.items():
            hist.update(getattr(self.model, name), x=x)

    def _redraw(self) -> None:
        m = self.model
        sol = m.solution
        self.readouts.rows = m.readout_rows()
        self.problem_note.param.update(object=problem_html(m.problem), visible=bool(m.problem))
        if sol is not None:
            self.bars.update(sol.x, sol.a, sol.b, sol.displacement, sol.mixture)
        # Last: it acknowledges everything above (the browser then sends its newest change).
        self.flow.answer()

    def _redraw_clouds(self, new_paths: bool = False) -> None:
        sol = self.model.cloud_solution
        self.cloud_readouts.rows = self.model.cloud_rows()
        if sol is None:
            return
        ends = (sol.X, sol.Y[sol.match])
        drawn = self._drawn_paths
        if new_paths or drawn is None or not all(map(np.array_equal, drawn, ends)):
            self._drawn_paths = ends
            self.clouds.set_paths(*ends, self.model.t)

    def _build_controls(self) -> None:
        m = self.model
        widgets = pn.widgets
        self.preset_select = widgets.Select.from_param(m.param.preset)
        self.reset_button = widgets.Button.from_param(m.param.reset)
        self.bins_slider = widgets.IntSlider.from_param(m.param.n, step=8, throttled=True)
        self.cloud_select = widgets.Select.from_param(m.param.cloud)
        items = (self.preset_select, self.bins_slider, self.reset_button, self.cloud_select)
        if self.embed:
            # Each tab's own controls in a row (_embed_figure).
            for widget in items:
                widget.param.update(width=None, sizing_mode="stretch_width")
            self.control_panel = pn.Column(
                self.preset_select,
                self.bins_slider,
                self.reset_button,
                css_classes=["ot-embed-controls"],
                stylesheets=[
                    ":host(.ot-embed-controls) { grid-template-columns: "
                    "repeat(auto-fill, minmax(min(100%, 9rem), 1fr)) !important; }"
                ],
                sizing_mode="stretch_width",
            )
            return
        self.control_panel = pn.Column(*items, width=290)

    def figure(self) -> pn.viewable.Viewable:
        if self.embed:
            return self._embed_figure()
        time_row = pn.FlexBox(
            pn.pane.Bokeh(self.time.slider, margin=0),
            pn.pane.Bokeh(self.time.play, margin=0),
            align_items="center",
            sizing_mode="stretch_width",
        )
        left = column(self.histograms["p"].figure, self.histograms["q"].figure)
        right = column(self.bars.displacement_fig, self.bars.mixture_fig)
        line = pn.FlexBox(
            pn.Column(pn.pane.Bokeh(left), self.problem_note, sizing_mode="fixed"),
            pn.Column(pn.pane.Bokeh(right), sizing_mode="fixed"),
            self.readouts,
            gap="0 12px",
            sizing_mode="stretch_width",
        )
        plane = pn.FlexBox(
            self.clouds.points.pane(sizing_mode="fixed"),
            pn.pane.Bokeh(self.clouds.mixture_fig, sizing_mode="fixed"),
            self.cloud_readouts,
            gap="0 12px",
            sizing_mode="stretch_width",
        )
        return pn.Column(time_row, line, plane, sizing_mode="stretch_width")

    def _embed_figure(self) -> pn.viewable.Viewable:
        """A 700 x 600 iframe: the time above two tabs, the line (its controls, the two
        histograms beside McCann's interpolant and the mixture, the numbers) and the plane
        (the cloud's choice, the two clouds side by side, the numbers)."""
        stretch = {"sizing_mode": "stretch_width", "width": None}
        left = (self.histograms["p"].figure, self.histograms["q"].figure)
        right = (self.bars.displacement_fig, self.bars.mixture_fig)
        for fig in (*left, *right, self.time.slider):
            fig.update(**stretch)
        self.problem_note.param.update(**stretch)
        for table in (self.readouts, self.cloud_readouts):
            table.param.update(max_width=None, min_width=None)
        shell.embed_small_type(self.readouts, self.cloud_readouts)
        time_row = pn.Row(
            pn.pane.Bokeh(self.time.slider, margin=0, sizing_mode="stretch_width"),
            pn.pane.Bokeh(self.time.play, margin=0),
            sizing_mode="stretch_width",
        )
        line = pn.Column(
            self.control_panel,
            shell.embed_row(
                pn.Column(
                    pn.pane.Bokeh(column(*left, sizing_mode="stretch_width"), margin=0),
                    self.problem_note,
                    sizing_mode="stretch_width",
                ),
                pn.pane.Bokeh(column(*right, sizing_mode="stretch_width"), margin=0),
            ),
            self.readouts,
            sizing_mode="stretch_width",
        )
        self.cloud_select.param.update(width=220, sizing_mode="fixed")
        # Titles as wide as the smaller squares (the full page's say more).
        self.clouds.points.figure.title.text = "McCann: drag a point"
        self.clouds.mixture_fig.title.text = "Mixture: the clouds fade"
        plane = pn.Column(
            shell.embed_row(
                pn.Column(
                    self.cloud_select,
                    self.clouds.points.pane(sizing_mode="fixed"),
                    sizing_mode="stretch_width",
                ),
                pn.pane.Bokeh(self.clouds.mixture_fig, sizing_mode="fixed"),
            ),
            self.cloud_readouts,
            sizing_mode="stretch_width",
        )
        tabs = shell.embed_tabs(("On the line", line), ("In the plane", plane))
        return pn.Column(time_row, tabs, sizing_mode="stretch_width")

    def controls(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.control_panel

    # --- take it home -----------------------------------------------------------------------

    def takehome(self) -> TakeHome:
        m = self.model
        return TakeHome(
            title=f"Displacement interpolation at t = {m.t:g}",
            intro=(
                f"Two histograms $p$ and $q$ on {m.n} bins of $[0, 1]$ and two clouds of "
                f"{N_POINTS} points. McCann's interpolant moves every piece of mass along its "
                "optimal segment; the mixture $(1-t)p + tq$ fades one density into the other. "
                "The first cell builds both paths at time $t$ and measures, with POT's exact "
                "LP on the measure at time $t$, how far it is from each end; the second draws "
                "them."
            ),
            equation=(
                r"\mu_t = \big((1-t)\,x + t\,T(x)\big)_\#\mu_0, \qquad "
                r"W_2(\mu_0, \mu_t) = t\,W_2(\mu_0, \mu_1)"
            ),
            cells=(m.snippet(), PLOT),
            notes=(
                "On the line the quantile function of the interpolant is "
                "(1 - t) F^-1 + t G^-1, so the interpolant is a finite set of atoms and "
                "every number is exact (up to rounding).",
            ),
            code_title="Show the code (numpy + scipy + POT)",
        )

    def caption_lines(self) -> list[str]:
        lines = []
        for prefix, rows in (
            ("line", self.model.readout_rows()),
            ("plane", self.model.cloud_rows()),
        ):
            lines += [
                f"{prefix}: {r[1]}: {r[3]} | {r[4]}" for r in rows if not r[0].endswith("time")
            ]
        if self.model.problem:
            lines.insert(0, self.model.problem)
        return lines

    @classmethod
    def link_notices(cls, model: Interpolation, query_: dict[str, str]) -> list[str]:
        """Say so when the link's bars were rebinned to its ``n``."""
        values, _ = query.parse_query(query_, QUERY_KEYS)
        return rebinned_notices(values, model.n)
