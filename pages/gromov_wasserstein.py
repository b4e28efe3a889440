"""Gromov-Wasserstein: match a curve in the plane with a curve in space.

The two shapes share no coordinates, so ordinary transport has no cost to work with; GW
compares the distances *within* each shape instead (:mod:`ot_engine.gromov`). The source
curve's points are coloured by their place along it, each target point by where the coupling
sends it, and the two distance matrices are drawn side by side, the target's reordered by the
coupling. Turning the 3D shape changes no distance: the value and the coupling stay, and the
readouts say by how little the distance matrix moved.

The solves (several starts, since GW is not convex) run off the event path on the process's
worker (:mod:`pages.workers`): a few ms at 60 points, up to seconds at 200 points or with
entropy. The last finished result stays on screen, with a progress bar, while a new one runs.
"""

from __future__ import annotations

import functools
import hashlib
import math
from functools import partial

import numpy as np
import panel as pn
import param

from ot_engine.gromov import GromovStarts, distance_matrix, gromov_multistart
from ot_engine.gromov_scene import (
    CORRESPONDING,
    MAX_NOISE,
    MAX_POINTS,
    MIN_POINTS,
    PRESETS,
    make_scene,
    rotate,
    rotation,
)
from pages import compat, query, shell, workers
from pages.components.readouts import ReadoutTable, readout
from pages.gromov_wasserstein_plots import (
    MatrixFigure,
    SourceFigure,
    TargetFigure,
    matrix_mapper,
    shape_mapper,
)
from pages.page import NotebookPage
from pages.takehome import TakeHome

SLUG = "gromov_wasserstein"
#: Entropic strengths offered (0: the exact, unregularized problem), in the units of the
#: squared distances (the curves span about 2).
EPS_CHOICES = (0.0, 0.005, 0.01, 0.02, 0.05)
EPS_LABELS = {"exact (no entropy)": 0.0, "ε = 0.005": 0.005, "ε = 0.01": 0.01}
EPS_LABELS |= {"ε = 0.02": 0.02, "ε = 0.05": 0.05}
COLOURINGS = {"mean": "mean place of its sources", "argmax": "place of its main source"}
#: Starts per solve: the product coupling and STARTS - 1 random permutations.
STARTS = 4
#: Budget of one solve (all starts), seconds; a capped start says it did not converge.
SOLVE_BUDGET = 12.0
#: A change of the target's distances below this (relative) is rounding: no new solve.
SAME_DISTANCES = 1e-9
MAX_SEED = 9999
#: The solve waits for the controls to rest this long (ms).
SOLVE_DELAY_MS = 120
PRESET_LABELS = {
    "spiral: plane and its lift into space": "spiral",
    "mirror image, turned in space": "mirror",
    "different shapes: ring and knot": "ring_knot",
}


class GromovModel(param.Parameterized):
    """What a link can carry: the shapes, how the 3D one is turned, and the solver."""

    preset = param.Selector(default="spiral", objects=list(PRESETS), label="Shapes")
    n = param.Integer(60, bounds=(MIN_POINTS, MAX_POINTS), step=10, label="Points per shape")
    noise = param.Number(0.02, bounds=(0.0, MAX_NOISE), step=0.01, label="Noise")
    yaw = param.Number(30.0, bounds=(-180.0, 180.0), step=5.0, label="Turn Y about z (°)")
    pitch = param.Number(25.0, bounds=(-90.0, 90.0), step=5.0, label="Tilt Y about x (°)")
    eps = param.Selector(default=0.0, objects=list(EPS_CHOICES), label="Entropy")
    seed = param.Integer(1, bounds=(0, MAX_SEED), label="Seed")
    colour = param.Selector(default="mean", objects=list(COLOURINGS), label="Colour Y by")

    SCENE = ("preset", "n", "noise", "seed")

    @property
    def scene_key(self) -> tuple:
        return (self.preset, int(self.n), float(self.noise), int(self.seed))

    @property
    def solve_key(self) -> tuple:
        return (*self.scene_key, float(self.eps))

    def geometry(self):
        """(scene, C1, C2 of the unturned target): cached, shared read-only arrays."""
        return _geometry(*self.scene_key)

    def turned(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(R, the target turned by R, its distance matrix)."""
        scene = self.geometry()[0]
        Y = rotate(scene.Y, self.yaw, self.pitch)
        return rotation(self.yaw, self.pitch), Y, distance_matrix(Y)

    def solve_job(self, C2: np.ndarray) -> partial:
        """The solve as a call that reads nothing from the model when it runs."""
        _, C1, _ = self.geometry()
        return partial(
            gromov_multistart,
            C1,
            np.array(C2, copy=True),
            eps=float(self.eps),
            starts=STARTS,
            seed=int(self.seed),
            max_time=SOLVE_BUDGET,
        )


@functools.lru_cache(maxsize=32)
def _geometry(preset: str, n: int, noise: float, seed: int):
    scene = make_scene(preset, n, noise=noise, seed=seed)
    C1, C2 = distance_matrix(scene.X), distance_matrix(scene.Y)
    for a in (scene.X, scene.Y, scene.s, scene.t, C1, C2):
        a.setflags(write=False)
    return scene, C1, C2


def matched_place(plan: np.ndarray, s: np.ndarray, how: str) -> np.ndarray:
    """Per target point: the mean place s of the source mass it receives, or the place of
    the source point that sends it the most.

    >>> plan = np.array([[0.3, 0.0], [0.2, 0.5]])
    >>> matched_place(plan, np.array([0.0, 1.0]), "mean").tolist()
    [0.4, 1.0]
    >>> matched_place(plan, np.array([0.0, 1.0]), "argmax").tolist()
    [0.0, 1.0]
    """
    if how == "argmax":
        return s[plan.argmax(axis=0)]
    mass = plan.sum(axis=0)
    return (plan.T @ s) / np.where(mass > 0, mass, 1.0)


def fmt_value(v: float) -> str:
    """A GW value as the page and the notebook print it (tiny ones in scientific form).

    >>> fmt_value(0.0123456), fmt_value(3.2e-17)
    ('0.01235', '3.20e-17')
    """
    return f"{v:.5f}" if abs(v) >= 1e-4 else f"{v:.2e}"


def _small(v: float) -> str:
    return "below 1e-15" if v < 1e-15 else f"{v:.1e}"


# --- deep links -------------------------------------------------------------------------


def _parse_eps(raw: str) -> float:
    value = query.float_in(0.0, 1.0)(raw)
    for allowed in EPS_CHOICES:
        if math.isclose(value, allowed, rel_tol=1e-9, abs_tol=1e-15):
            return allowed
    raise ValueError("not one of " + ", ".join(f"{e:g}" for e in EPS_CHOICES))


QUERY_KEYS = (
    query.QueryKey("preset", "preset", query.choice(*PRESETS)),
    query.QueryKey("n", "n", query.int_in(MIN_POINTS, MAX_POINTS), str),
    query.QueryKey("noise", "noise", query.float_in(0.0, MAX_NOISE), query.format_float),
    query.QueryKey("yaw", "yaw", query.float_in(-180.0, 180.0), query.format_float),
    query.QueryKey("pitch", "pitch", query.float_in(-90.0, 90.0), query.format_float),
    query.QueryKey("eps", "eps", _parse_eps, lambda v: f"{v:g}"),
    query.QueryKey("seed", "seed", query.int_in(0, MAX_SEED), str),
    query.QueryKey("colour", "colour", query.choice(*COLOURINGS)),
)

#: Angle sliders answer after 15 ms instead of Panel's 50 (turning costs well under 1 ms).
_AngleSlider = compat.set_debounce(pn.widgets.FloatSlider, 15)


# --- the page ---------------------------------------------------------------------------


class GromovPage(NotebookPage):
    """Figure, controls, readouts and text of the GW page (one instance per session)."""

    slug = SLUG
    embed_height_scale = None  # its own embed view (_embed_view)
    model_class = GromovModel
    query_keys = QUERY_KEYS

    def __init__(self, model: GromovModel | None = None, **params):
        super().__init__(model, **params)
        dark = shell.is_dark()
        mapper = shape_mapper(dark)
        self.source_fig = SourceFigure(mapper)
        self.target_fig = TargetFigure(mapper)
        self.c_mapper = matrix_mapper(1.0)
        self.c1_fig = MatrixFigure(
            "Distances within X", "points of X in order along the curve", self.c_mapper, "gw_c1"
        )
        self.c2_fig = MatrixFigure(
            "Distances within Y, matched order",
            "points of Y in the order of their match",
            self.c_mapper,
            "gw_c2",
        )
        self.readouts = ReadoutTable(
            columns=[["gw-value", "value"]],
            label_header="quantity",
            label_width="58%",
            caption="The coupling shown: its GW value, every start's value, how it was solved",
            table_class="gw-readouts",
            stylesheets=["table.gw-readouts th.ot-readout-label { white-space: normal; }"],
            sizing_mode="stretch_width",
            min_height=260,
        )
        text = {"font-size": "1rem"}
        self.status = pn.pane.Markdown("", sizing_mode="stretch_width", styles=text, margin=(0, 10))
        self.progress = pn.pane.HTML(
            shell.progress_bar(0, _PROGRESS),
            visible=False,
            sizing_mode="stretch_width",
            margin=(0, 10),
        )
        #: The last finished solve, the scene it belongs to, and the target distances used.
        self.result: GromovStarts | None = None
        self.result_key: tuple | None = None
        self.solved_C2: np.ndarray | None = None
        self.rotation_change = 0.0
        self.problem: str | None = None
        #: The solve requested last: its setting and the target distances it was given.
        self._pending: tuple | None = None
        self._job = workers.Job(
            self._show_result,
            on_error=self._show_problem,
            on_progress=self._show_progress,
            delay_ms=SOLVE_DELAY_MS,
        )
        self._build_controls()
        self._draw_scene()
        self._paint()
        # The first solve starts once the browser has the page (at once without a server):
        # its progress and result then patch a document the browser already holds.
        pn.state.onload(self._request_solve)
        m = self.model
        m.param.watch(self._on_scene, list(GromovModel.SCENE))
        m.param.watch(self._on_eps, ["eps"])
        m.param.watch(self._on_turn, ["yaw", "pitch"])
        m.param.watch(lambda *_e: self._paint(), ["colour"])

    # --- events ---------------------------------------------------------------------------

    def _draw_scene(self) -> None:
        scene, C1, _ = self.model.geometry()
        self.source_fig.update(scene.X, scene.s)
        self.c1_fig.update(C1, np.argsort(scene.s))

    def _on_scene(self, *_events) -> None:
        self._draw_scene()
        self._request_solve()

    def _on_eps(self, *_events) -> None:
        self._request_solve()

    def _on_turn(self, *_events) -> None:
        """Turning Y keeps every distance within it: GW sees nothing new, so nothing is
        solved again unless the distances really moved (they move by rounding only). A solve
        still running for this setting is left to finish (its distances are as good)."""
        _, _, C2 = self.model.turned()
        key = self.model.solve_key
        if self.result_key == key and self.solved_C2 is not None:
            reference = self.solved_C2
        elif self._job.busy and self._pending is not None and self._pending[0] == key:
            reference = self._pending[1]
        else:
            reference = None
        if reference is not None:
            change = float(np.abs(C2 - reference).max())
            if change <= SAME_DISTANCES * float(C2.max()):
                self.rotation_change = change
                self._paint()
                return
        self._request_solve()

    def _request_solve(self) -> None:
        _, _, C2 = self.model.turned()
        key = self.model.solve_key
        self.problem = None
        self._pending = (key, C2)
        # The same view for every student who opens it: solved once (C2 by a digest of its
        # bytes: a turn of Y changes the answer).
        digest = hashlib.blake2b(C2.tobytes(), digest_size=16).digest()
        self._job.submit(self.model.solve_job(C2), key=("gromov_wasserstein.solve", key, digest))
        if self._job.busy:
            self.progress.param.update(object=shell.progress_bar(0, _PROGRESS), visible=True)
            self.status.object = "Solving from every start…"
        self._paint()

    def _show_result(self, result: GromovStarts) -> None:
        key, C2 = self._pending
        self.result, self.result_key, self.solved_C2 = result, key, C2
        # the shape may have turned while it solved
        self.rotation_change = float(np.abs(self.model.turned()[2] - C2).max())
        self.progress.visible = False
        self.status.object = ""
        self._paint()

    def _show_problem(self, problem: str) -> None:
        self.problem = problem
        self.progress.visible = False
        self.status.object = f"**Could not solve:** {problem}. The last result is kept."
        self._paint()

    def _show_progress(self, fraction: float, text: str) -> None:
        self.progress.param.update(object=shell.progress_bar(fraction, _PROGRESS), visible=True)
        self.status.object = f"Solving: {text}…"

    # --- drawing ---------------------------------------------------------------------------

    def _current(self) -> GromovStarts | None:
        """The last result if it belongs to the scene shown (its eps may be older)."""
        if self.result is None or self.result_key[:4] != self.model.scene_key:
            return None
        return self.result

    def matched(self) -> np.ndarray | None:
        """The matched place of each target point under the coupling shown (None: none)."""
        result = self._current()
        if result is None:
            return None
        scene = self.model.geometry()[0]
        return matched_place(np.asarray(result.result.plan), scene.s, self.model.colour)

    def _paint(self) -> None:
        m = self.model
        scene, C1, _ = m.geometry()
        R, Y, C2 = m.turned()
        place = self.matched()
        self.target_fig.update(R, Y, place)
        order = np.arange(len(scene.t)) if place is None else np.argsort(place, kind="stable")
        self.c2_fig.update(C2, order)
        self.c_mapper.high = float(max(C1.max(), C2.max()))
        self.readouts.rows = self._rows(place)

    def _rows(self, place: np.ndarray | None) -> list[list[str]]:
        result = self._current()
        if result is None:
            why = self.problem or "solving…"
            return [readout("gw", "GW value of the coupling shown", why)]
        best = result.result
        fresh = self.result_key == self.model.solve_key
        solver = "exact" if best.eps == 0 else f"entropic, ε = {best.eps:g}"
        flag = "" if best.converged else "did not converge: value not reliable"
        rows = [
            readout("gw", "GW value of the coupling shown", fmt_value(best.value), flag=flag),
            readout("solver", "solver" + ("" if fresh else " (previous setting)"), solver),
            readout("iters", "outer iterations", str(best.iterations)),
            readout("marg", "marginal error", _small(best.marginal_error)),
            readout(
                "gap",
                "Frank-Wolfe gap" if best.eps == 0 else "last change of the coupling",
                _small(best.gap),
            ),
        ]
        for k, (label, r) in enumerate(zip(result.labels, result.results, strict=True)):
            shown = " (shown)" if k == result.best else ""
            flag = "" if r.converged else "this start did not converge"
            rows.append(
                readout(f"start{k}", f"start: {label}{shown}", fmt_value(r.value), flag=flag)
            )
        scene = self.model.geometry()[0]
        if self.model.preset in CORRESPONDING and place is not None:
            error = float(np.abs(place - scene.t).mean())
            rows.append(readout("match", "mean |matched place − true place|", f"{error:.3f}"))
        rows.append(
            readout("rot", "turning Y moved its distances by", _small(self.rotation_change))
        )
        total = sum(r.solve_time for r in result.results)
        rows.append(readout("time", f"solver time, {len(result.results)} starts", _ms(total)))
        return rows

    # --- layout -------------------------------------------------------------------------

    def _build_controls(self) -> None:
        m = self.model
        self.new_samples = pn.widgets.Button(
            label=_samples_label(m.seed),
            description="Draw new points and noise for both shapes (the next seed)",
            # The notebook's plain button (a primary outline's colours failed axe's contrast
            # check once, caught mid-transition in a CI run).
            sizing_mode="stretch_width",
        )
        self.new_samples.on_click(self._next_seed)
        m.param.watch(lambda e: setattr(self.new_samples, "label", _samples_label(e.new)), "seed")
        text = {"font-size": "1rem"}
        slider = partial(_AngleSlider.from_param, sizing_mode="stretch_width", format="0")
        self.control_panel = pn.Column(
            pn.widgets.Select.from_param(
                m.param.preset, options=PRESET_LABELS, sizing_mode="stretch_width"
            ),
            pn.widgets.IntSlider.from_param(m.param.n, sizing_mode="stretch_width"),
            pn.widgets.FloatSlider.from_param(
                m.param.noise, sizing_mode="stretch_width", format="0.00"
            ),
            self.new_samples,
            pn.pane.Markdown("**Turn the shape in space**", margin=(0, 10), styles=text),
            slider(m.param.yaw),
            slider(m.param.pitch),
            pn.pane.Markdown("**Solver**", margin=(0, 10), styles=text),
            pn.widgets.Select.from_param(
                m.param.eps, options=EPS_LABELS, sizing_mode="stretch_width"
            ),
            pn.pane.Markdown("Colour each point of Y by", margin=(0, 10), styles=text),
            pn.widgets.RadioButtonGroup.from_param(
                m.param.colour,
                options={"mean place": "mean", "main source": "argmax"},
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
        )

    def _next_seed(self, *_event) -> None:
        self.model.seed = (self.model.seed + 1) % (MAX_SEED + 1)

    def controls(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.control_panel

    def side_readouts(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.readouts

    def figure(self) -> pn.viewable.Viewable:
        if self.embed:
            return self._embed_view()
        panes = [
            pn.pane.Bokeh(f.figure, sizing_mode="fixed")
            for f in (self.source_fig, self.target_fig, self.c1_fig, self.c2_fig)
        ]
        caption = shell.caption(
            "Each point of Y takes the colour of the points of X the coupling sends to it. "
            "Turn Y with the sliders: its distances do not change, so neither do the value "
            "nor the colours. The distance matrices: X in order along its curve, Y in "
            "the order of its matches; alike images mean the coupling keeps distances.",
        )
        grid = pn.FlexBox(*panes, gap="8px", justify_content="center", sizing_mode="stretch_width")
        # What the solver is doing, read out as it changes (under the figures: on a phone the
        # controls and readouts come after them).
        live = shell.live_status(self.status, self.progress)
        return pn.Column(grid, live, caption, sizing_mode="stretch_width")

    def _embed_view(self) -> pn.viewable.Viewable:
        """A 700 x 600 iframe: the two shapes over their distance matrices, two by two, beside
        them the controls and the solver's progress; the table and the caption are left to the
        full page (linked)."""
        figs = [f.figure for f in (self.source_fig, self.target_fig, self.c1_fig, self.c2_fig)]
        for fig in figs:  # a quarter to a half of the frame's width: smaller words
            fig.title.text_font_size = "11px"
            fig.xaxis.axis_label_text_font_size = "11px"
        # the section headings are left out: each control's label says what it does
        headings = ("**Turn the shape in space**", "**Solver**")
        controls = [
            o
            for o in self.control_panel.objects
            if not (isinstance(o, pn.pane.Markdown) and o.object in headings)
        ]
        # the colour choice's words stay with its buttons in the rows of a wide frame
        controls[-2:] = [pn.Column(*controls[-2:], sizing_mode="stretch_width")]
        # the progress line's room is kept: the column does not grow while a solve runs
        live = shell.live_status(self.status, self.progress)
        live.min_height = 64
        link = self.full_page_link("the table of numbers and what the plots show")
        return shell.embed_split(figs, *controls, live, link, full=(live, link))

    # --- take it home --------------------------------------------------------------------

    def takehome(self) -> TakeHome:
        return _takehome(self.model)

    def caption_lines(self) -> list[str]:
        return [f"{row[1]}: {row[3]}" for row in self.readouts.rows]


def _samples_label(seed: int) -> str:
    return f"New random samples (seed {seed})"


#: What the page's progress bar measures (its accessible name).
_PROGRESS = "progress of the solve"


def _ms(seconds: float) -> str:
    return f"{1e3 * seconds:.0f} ms" if seconds >= 0.001 else "under 1 ms"


# --- take it home -----------------------------------------------------------------------------

_SCENE_CODE = '''import numpy as np
import ot

preset, n, noise, seed = {preset!r}, {n}, {noise!r}, {seed}
yaw, pitch, eps, colour = {yaw!r}, {pitch!r}, {eps!r}, {colour!r}


def spiral(u):
    angle = 0.5 * np.pi + 3 * np.pi * u
    r = 0.25 + 0.75 * u
    return np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)


def curves(preset, u):
    """The source curve in the plane and the target curve in space, at parameters u."""
    if preset == "spiral":  # the spiral lifted into space
        return spiral(u), np.column_stack([spiral(u), 0.9 * u - 0.45])
    if preset == "mirror":  # its mirror image, flat in space
        return spiral(u), np.column_stack([spiral(u) * [-1, 1], np.zeros(u.size)])
    a = 2 * np.pi * u  # a ring in the plane, a trefoil knot in space
    ring = 0.9 * np.stack([np.cos(a), np.sin(a)], axis=1)
    knot = 0.3 * np.stack([np.sin(a) + 2 * np.sin(2 * a), np.cos(a) - 2 * np.cos(2 * a),
                           -np.sin(3 * a)], axis=1)
    return ring, knot


rng = np.random.default_rng(seed)
s = np.clip((np.arange(n) + 0.5 + 0.5 * (rng.random(n) - 0.5)) / n, 0, 1)  # places along
X, Y = curves(preset, s)
X = X + noise * rng.standard_normal(X.shape)
Y = Y + noise * rng.standard_normal(Y.shape)
order = rng.permutation(n)  # shuffle Y: its order tells nothing
Y, t = Y[order], s[order]

a, b = np.radians(yaw), np.radians(pitch)  # turn Y about z, then tilt it about x
Rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
Rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
Y = Y @ (Rx @ Rz).T

C1 = np.sqrt(np.maximum(ot.dist(X, X), 0))  # distances within each shape: all GW sees
C2 = np.sqrt(np.maximum(ot.dist(Y, Y), 0))
C1, C2 = (C1 + C1.T) / 2, (C2 + C2.T) / 2
np.fill_diagonal(C1, 0)
np.fill_diagonal(C2, 0)
p = q = np.full(n, 1 / n)
'''

_SOLVE_CODE = '''from scipy.special import logsumexp


def fmt(v):
    return f"{{v:.5f}}" if abs(v) >= 1e-4 else f"{{v:.2e}}"


def gw_value(T):
    """sum (C1_ik - C2_jl)^2 T_ij T_kl, by the square-loss decomposition."""
    r, c = T.sum(1), T.sum(0)
    return r @ C1**2 @ r + c @ C2**2 @ c - 2 * np.sum((C1 @ T @ C2) * T)


def sinkhorn(M, f, g):
    """Entropic transport for cost M, warm-started from potentials f, g: scaling iterations
    on the kernel p_i q_j exp((f_i + g_j - M_ij) / eps), absorbed into f, g every 50 steps
    (so nothing overflows), until the plan's marginals are off by less than 1e-12."""
    f = -eps * logsumexp((g[None, :] - M) / eps + np.log(q)[None, :], axis=1)  # rows right
    for _ in range(20_000):
        K = np.exp((f[:, None] + g[None, :] - M) / eps) * p[:, None] * q[None, :]
        u, v = np.ones(n), np.ones(n)
        for _ in range(50):
            v = q / (K.T @ u)
            u = p / (K @ v)
        f, g = f + eps * np.log(u), g + eps * np.log(v)
        T = u[:, None] * K * v[None, :]
        if np.abs(T.sum(0) - q).sum() < 1e-12:
            break
    return T, f, g


def entropic_gw(G0):
    """Mirror descent: T <- Sinkhorn(p, q, gradient of GW at T, eps), until T stops moving."""
    T, f, g = G0, np.zeros(n), np.zeros(n)
    for it in range(2000):
        grad = 2 * ((C1**2 @ p)[:, None] + (C2**2 @ q)[None, :] - 2 * C1 @ T @ C2)
        T_new, f, g = sinkhorn(grad, f, g)
        change = np.linalg.norm(T_new - T)
        T = T_new
        if change <= 1e-9:
            break
    return T


values, plans = [], []
for k in range({starts}):  # the product coupling, then random permutations
    G0 = np.outer(p, q) if k == 0 else ot.emd(p, q, np.random.default_rng(seed + k).random((n, n)))
    T = ot.gromov.gromov_wasserstein(C1, C2, p, q, G0=G0) if eps == 0 else entropic_gw(G0)
    values.append(gw_value(T))
    plans.append(T)
    print(f"start {{'product' if k == 0 else f'random {{k}}'}}: GW = {{fmt(values[-1])}}")
best = int(np.argmin(values))
T = plans[best]
print(f"GW value of the coupling shown = {{fmt(values[best])}}")
print(f"marginal error = {{np.abs(T.sum(1) - p).sum() + np.abs(T.sum(0) - q).sum():.1e}}")
if colour == "mean":  # each point of Y: the mean place of the X-points sent to it
    place = (T.T @ s) / T.sum(0)
else:  # the place of the X-point that sends it the most
    place = s[T.argmax(0)]
if preset != "ring_knot":
    print(f"mean |matched place - true place| = {{np.abs(place - t).mean():.3f}}")
'''

_PLOT_CODE = """import matplotlib.pyplot as plt

fig, ax = plt.subplots(2, 2, figsize=(8, 8), constrained_layout=True)
ax[0, 0].scatter(X[:, 0], X[:, 1], c=s, cmap="viridis", vmin=0, vmax=1, s=18)
ax[0, 0].set_title("X: place s along the curve")
near = np.argsort(Y[:, 2])  # seen along the third axis, near points on top
ax[0, 1].scatter(Y[near, 0], Y[near, 1], c=place[near], cmap="viridis", vmin=0, vmax=1, s=18)
ax[0, 1].set_title("Y (turned): colour of its match")
for a in ax[0]:
    a.set_aspect("equal")
    a.set_xlim(-1.35, 1.35)
    a.set_ylim(-1.35, 1.35)
top = max(C1.max(), C2.max())
i1, i2 = np.argsort(s), np.argsort(place, kind="stable")
ax[1, 0].imshow(C1[np.ix_(i1, i1)], cmap="cividis", vmin=0, vmax=top)
ax[1, 0].set_title("distances within X, in order")
ax[1, 1].imshow(C2[np.ix_(i2, i2)], cmap="cividis", vmin=0, vmax=top)
ax[1, 1].set_title("distances within Y, matched order")
plt.show()
"""


def _takehome(m: GromovModel) -> TakeHome:
    solver = (
        "POT's conditional gradient `ot.gromov.gromov_wasserstein`"
        if m.eps == 0
        else f"entropic mirror descent at ε = {m.eps:g}, each step a log-domain Sinkhorn "
        "solve written out in numpy (slower than the page's solver, same iterates)"
    )
    return TakeHome(
        title="Gromov-Wasserstein between a curve in the plane and a curve in space",
        intro=(
            f"{PRESETS[m.preset].capitalize()}, {m.n} points each (noise {m.noise:g}, seed "
            f"{m.seed}); the shape in space is turned by {m.yaw:g}° about its vertical axis "
            f"and tilted by {m.pitch:g}°. GW compares only the distances within each shape, "
            f"so the turn changes nothing. The code rebuilds both shapes, solves with {solver} "
            f"from {STARTS} starts (the product coupling and random permutations), keeps the "
            "lowest value, and draws the matching and the two distance matrices."
        ),
        equation=(r"\mathrm{GW}(T) = \sum_{i,k}\sum_{j,l} (C^1_{ik} - C^2_{jl})^2\, T_{ij} T_{kl}"),
        cells=(
            _SCENE_CODE.format(
                preset=m.preset,
                n=int(m.n),
                noise=float(m.noise),
                seed=int(m.seed),
                yaw=float(m.yaw),
                pitch=float(m.pitch),
                eps=float(m.eps),
                colour=m.colour,
            ),
            _SOLVE_CODE.format(starts=STARTS),
            _PLOT_CODE,
        ),
        notes=(
            "The same numbers as the page's readouts: every start's value and the lowest.",
            "GW is not convex: other starts can end at other local minima.",
        ),
    )
