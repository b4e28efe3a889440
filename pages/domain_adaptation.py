"""Page: domain adaptation, moving a labelled source onto a shifted target by optimal transport.

A two-class toy in the plane (two moons or two blobs): the labelled source, and a target drawn
from the same law then turned, shifted and scaled by the controls; every sample can be dragged
(a double tap or Delete removes one). A classifier trained on the source is scored on the
target's true classes; then the source is moved onto the target by the barycentric map of an
exact, entropic or class-regularized plan (:func:`ot_engine.map_to_target`) and the classifier
is trained again on the moved samples.

The classifier is scikit-learn's ``SVC`` with a Gaussian (RBF) kernel: a maintained, tested
library, a smooth boundary that can bend around the moons, and a fit in about a millisecond
at these sizes (a drag retrains four of them). Its width ``gamma`` and penalty ``C`` are fixed
so that only the data move.

Background work (:mod:`pages.workers`): the accuracy of every method against the target's
rotation (a sweep of 13 angles), shown under the plane with a progress bar; the last finished
sweep stays while a new one runs.
"""

from __future__ import annotations

import functools
import html
import math
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
import panel as pn
import param
import sklearn
from panel.io.document import hold
from sklearn.svm import SVC

from ot_engine import DomainMapping, InvalidInput
from ot_engine.domain import map_all
from pages import compat, query, shell, theme, workers
from pages.components.readouts import ReadoutTable, readout
from pages.domain_adaptation_plots import (
    BOUNDS,
    GRID,
    PlaneFigure,
    SweepFigure,
    grid_points,
)
from pages.page import NotebookPage
from pages.takehome import TakeHome

SLUG = "domain_adaptation"
PRESETS = ("moons", "blobs")
PRESET_LABELS = {"two moons": "moons", "two blobs": "blobs"}
N_RANGE = (20, 80)
#: At most this many samples in all (both domains), the draggable component's cap.
MAX_POINTS = 2 * N_RANGE[1]
METHODS = ("exact", "entropic", "class")
METHOD_LABELS = {"exact": "exact", "entropic": "entropic", "class-regularized": "class"}
METHOD_NAMES = {"exact": "exact OT", "entropic": "entropic OT", "class": "class-regularized OT"}
#: Entropic strengths ε and class penalties η offered, in squared-distance units (the
#: clouds span about 3, so squared distances run up to about 10).
EPS_CHOICES = (0.05, 0.1, 0.2, 0.5, 1.0)
ETA_CHOICES = (0.1, 0.5, 1.0, 2.0, 5.0)
MAX_SEED = 9999
#: The classifier: RBF width and penalty (fixed; see the module docstring).
GAMMA, PENALTY = 2.0, 10.0
#: Digits a dragged sample keeps (the link keeps the same, so a reload shows the same view).
POINT_DECIMALS = 2
#: A domain whose samples all lie within this distance of their mean has collapsed.
COLLAPSED = 1e-6
#: The sweep: the target's rotation from -90° to 90°, every 15°.
SWEEP_ANGLES = tuple(range(-90, 91, 15))
SWEEP_DELAY_MS = 150
#: The caption and status: 14 px beside a wide figure, 16 px on phones and tablets (text read
#: on a touch screen stays at least 16 px).
TEXT_CSS = ":host { font-size: 14px; } @media (max-width: 1100px) { :host { font-size: 16px; } }"


# --- the toy data ------------------------------------------------------------------------------


def _draw(preset: str, n: int, rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    """``n`` samples of the preset's law, classes alternating (0, 1, 0, ...)."""
    y = np.arange(n) % 2
    if preset == "moons":
        t = rng.uniform(0.0, math.pi, n)
        upper = np.column_stack([np.cos(t), np.sin(t)])
        lower = np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)])
        X = np.where(y[:, None] == 0, upper, lower) - [0.5, 0.25]
        X = X + 0.1 * rng.randn(n, 2)
    elif preset == "blobs":
        centres = np.where(y[:, None] == 0, [-0.9, 0.0], [0.9, 0.0])
        X = centres + 0.4 * rng.randn(n, 2)
    else:
        raise KeyError(preset)
    return X, y


def move(X: np.ndarray, angle: float, dx: float, dy: float, scale: float) -> np.ndarray:
    """Turn ``X`` by ``angle`` degrees about the origin, scale it, then shift it.

    >>> move(np.array([[1.0, 0.0]]), 90, 0.5, 0.0, 2.0).round(12).tolist()
    [[0.5, 2.0]]
    """
    t = math.radians(angle)
    R = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    return scale * X @ R.T + [dx, dy]


@functools.lru_cache(maxsize=32)
def make_clouds(preset: str, n: int, seed: int, angle: float, dx: float, dy: float, scale: float):
    """(Xs, ys, Xt, yt): ``n`` source samples and ``n`` target samples, the target drawn
    afresh then moved (:func:`move`), all clipped to ``BOUNDS``. Read-only, shared."""
    Xs, ys = _draw(preset, n, np.random.RandomState(seed))
    Z, yt = _draw(preset, n, np.random.RandomState(seed + 100_003))
    Xt = move(Z, angle, dx, dy, scale)
    (x0, x1), (y0, y1) = BOUNDS
    lo, hi = [x0, y0], [x1, y1]
    out = np.clip(Xs, lo, hi), ys, np.clip(Xt, lo, hi), yt
    for arr in out:
        arr.setflags(write=False)
    return out


def classifier() -> SVC:
    """A fresh, unfitted classifier (the same for every fit on the page): scikit-learn's
    ``SVC``, without its generic check of the labels the page has checked already."""
    return compat.TwoClassSVC(kernel="rbf", gamma=GAMMA, C=PENALTY)


def check_domains(Xs, ys, Xt, yt) -> None:
    """Raise InvalidInput when the samples cannot make a meaningful view."""
    for X, y, name in ((Xs, ys, "source"), (Xt, yt, "target")):
        if len(X) == 0:
            raise InvalidInput(f"The {name} has no samples.")
        if len(np.unique(y)) < 2:
            what = "train a classifier" if name == "source" else "score the classifier"
            raise InvalidInput(f"The {name} needs samples of both classes to {what}.")
        if float(np.abs(X - X.mean(axis=0)).max()) <= COLLAPSED:
            raise InvalidInput(f"The {name}'s samples all sit at one point: nothing to adapt.")


@dataclass(frozen=True, eq=False)
class DomainView:
    """Every number and layer the page shows for one set of samples and settings."""

    Xs: np.ndarray
    ys: np.ndarray
    Xt: np.ndarray
    yt: np.ndarray
    method: str
    mappings: dict[str, DomainMapping]
    accuracy: dict[str, float]
    w2_before: float
    w2_after: float
    before_grid: np.ndarray  # decision values of the source-only classifier, (GRID, GRID)
    after_grid: np.ndarray  # predicted class of the adapted classifier, (GRID, GRID)
    compute_time: float
    #: The source-only classifier: the next view reuses it (and ``before_grid``) when only
    #: target samples moved, as in most drags.
    before_clf: SVC | None = None

    @property
    def shown(self) -> DomainMapping:
        return self.mappings[self.method]

    def correct(self, key: str) -> int:
        return round(self.accuracy[key] * len(self.yt))

    def rows(self) -> list[list[str]]:
        n = len(self.yt)

        def acc(key: str) -> str:
            return f"{self.accuracy[key]:.3f} ({self.correct(key)}/{n})"

        rows = [readout("acc_before", "accuracy on target, no adaptation", acc("before"))]
        for key in METHODS:
            mp = self.mappings[key]
            flag = "" if mp.converged else f"did not converge: {mp.message}"
            label = f"accuracy after {METHOD_NAMES[key]}"
            rows.append(readout(f"acc_{key}", label, acc(key), flag=flag))
        shown = self.shown
        rows += [
            readout("w2_before", "W₂(source, target)", f"{self.w2_before:.4f}"),
            readout(
                "w2_after",
                f"W₂(transported source, target), {METHOD_NAMES[self.method]}",
                f"{self.w2_after:.4f}",
            ),
            readout("cost", "plan's cost ⟨C, P⟩ (squared distances)", f"{shown.cost:.4f}"),
            readout("marginal", "plan's marginal error", f"{shown.marginal_error:.1e}"),
        ]
        return rows


def _accuracy(X: np.ndarray, y: np.ndarray, Xt: np.ndarray, yt: np.ndarray):
    # The arrays are checked by the page already: sklearn's own checks are most of a fit's
    # time at these sizes.
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        clf = classifier().fit(X, y)
    return clf, float(np.mean(predict(clf, Xt) == yt))


def decision(clf: SVC, X: np.ndarray) -> np.ndarray:
    """``clf.decision_function(X)`` of a fitted two-class classifier, from its public fitted
    attributes: ``sum_k dual_coef_k exp(-gamma |x - s_k|^2) + intercept`` over the support
    vectors ``s_k``.

    scikit-learn predicts sample by sample after checking its input; on the 72 x 72 grid
    this vectorized sum is about ten times faster, and it is tested against scikit-learn.
    """
    S = clf.support_vectors_
    d2 = (X * X).sum(1)[:, None] - 2.0 * (X @ S.T) + (S * S).sum(1)[None, :]
    return np.exp(-GAMMA * np.maximum(d2, 0.0)) @ clf.dual_coef_[0] + clf.intercept_[0]


def predict(clf: SVC, X: np.ndarray) -> np.ndarray:
    """``clf.predict(X)``: the second class where the decision is positive."""
    return clf.classes_[(decision(clf, X) > 0).astype(np.intp)]


def _mappings(Xs, ys, Xt, eps: float, eta: float, previous=None) -> dict[str, DomainMapping]:
    return map_all(Xs, Xt, ys, eps=eps, eta=eta, previous=previous)


def compute_view(
    Xs, ys, Xt, yt, method: str, eps: float, eta: float, previous: DomainView | None = None
) -> DomainView:
    """Train, map, retrain and score (raises InvalidInput for samples that cannot be used).

    ``previous``: the last view; its source-only classifier and boundary are reused when the
    source samples and classes are the same (a fit is a pure function of them), and its
    entropic solves are the starts of this view's (the same plans, less work).
    """
    t0 = time.perf_counter()
    Xs, Xt = np.asarray(Xs, float), np.asarray(Xt, float)
    ys, yt = np.asarray(ys, int), np.asarray(yt, int)
    check_domains(Xs, ys, Xt, yt)
    grid = grid_points()
    if _same_source(previous, Xs, ys):
        before, before_grid = previous.before_clf, previous.before_grid
        acc_before = float(np.mean(predict(before, Xt) == yt))
    else:
        before, acc_before = _accuracy(Xs, ys, Xt, yt)
        before_grid = _decision(before, grid)
    # The last view's solves start these ones: a drag or a slider step moves little.
    mappings = _mappings(Xs, ys, Xt, eps, eta, previous and previous.mappings)
    accuracy = {"before": acc_before}
    after_grid = None
    for key, mp in mappings.items():
        clf, accuracy[key] = _accuracy(np.asarray(mp.mapped), ys, Xt, yt)
        if key == method:
            after_grid = predict(clf, grid).reshape(GRID, GRID)
    exact = mappings["exact"]
    return DomainView(
        Xs=Xs,
        ys=ys,
        Xt=Xt,
        yt=yt,
        method=method,
        mappings=mappings,
        accuracy=accuracy,
        w2_before=math.sqrt(max(exact.cost, 0.0)),
        w2_after=_w2(np.asarray(mappings[method].mapped), Xt),
        before_grid=before_grid,
        after_grid=after_grid,
        compute_time=time.perf_counter() - t0,
        before_clf=before,
    )


def _same_source(previous: DomainView | None, Xs: np.ndarray, ys: np.ndarray) -> bool:
    return (
        previous is not None
        and previous.before_clf is not None
        and previous.Xs.shape == Xs.shape
        and np.array_equal(previous.Xs, Xs)
        and np.array_equal(previous.ys, ys)
    )


def _decision(clf: SVC, grid: np.ndarray) -> np.ndarray:
    return decision(clf, grid).reshape(GRID, GRID)


def _w2(X: np.ndarray, Y: np.ndarray) -> float:
    from ot_engine import empirical_w2

    return empirical_w2(X, Y)


# --- the background sweep ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Sweep:
    """Accuracy of each method against the target's rotation, the other settings fixed."""

    key: tuple
    angles: np.ndarray
    accuracy: dict[str, np.ndarray]
    seconds: float


def sweep_accuracy(key: tuple, progress=None) -> Sweep:
    """The sweep for ``key = (preset, n, seed, dx, dy, scale, eps, eta)`` (pure)."""
    t0 = time.perf_counter()
    preset, n, seed, dx, dy, scale, eps, eta = key
    acc = {k: [] for k in ("before", *METHODS)}
    mappings = None
    for k, angle in enumerate(SWEEP_ANGLES):
        if progress is not None:
            progress(k / len(SWEEP_ANGLES), f"rotation {angle}°")
        Xs, ys, Xt, yt = make_clouds(preset, n, seed, float(angle), dx, dy, scale)
        acc["before"].append(_accuracy(Xs, ys, Xt, yt)[1])
        # Each rotation's solves start from the last one's (15° apart: nearby samples).
        mappings = _mappings(Xs, ys, Xt, eps, eta, mappings)
        for method, mp in mappings.items():
            acc[method].append(_accuracy(np.asarray(mp.mapped), ys, Xt, yt)[1])
    return Sweep(
        key=key,
        angles=np.array(SWEEP_ANGLES, dtype=float),
        accuracy={k: np.array(v) for k, v in acc.items()},
        seconds=time.perf_counter() - t0,
    )


# --- the model and its link --------------------------------------------------------------------


def _parse_points(raw: str) -> tuple[float, ...] | None:
    """``pts``: empty for the generated samples, else x, y, group of every sample (groups:
    0, 1 source classes A, B; 2, 3 target classes A, B)."""
    if raw == "":
        return None
    values = query.float_list(3, 3 * MAX_POINTS, -3.0, 3.0)(raw)
    if len(values) % 3:
        raise ValueError("needs x, y and a group for every sample")
    groups = values[2::3]
    if any(g not in (0.0, 1.0, 2.0, 3.0) for g in groups):
        raise ValueError("groups must be 0, 1, 2 or 3")
    return values


def _format_points(values: tuple[float, ...] | None) -> str:
    if values is None:
        return ""
    out = []
    for k in range(0, len(values), 3):
        x, y, g = values[k : k + 3]
        out.append(f"{x:.{POINT_DECIMALS}f},{y:.{POINT_DECIMALS}f},{int(g)}")
    return ",".join(out)


QUERY_KEYS = (
    query.QueryKey("preset", "preset", query.choice(*PRESETS)),
    query.QueryKey("n", "n", query.int_in(*N_RANGE)),
    query.QueryKey("angle", "angle", query.float_in(-90.0, 90.0), query.format_float),
    query.QueryKey("dx", "dx", query.float_in(-1.5, 1.5), query.format_float),
    query.QueryKey("dy", "dy", query.float_in(-1.5, 1.5), query.format_float),
    query.QueryKey("scale", "scale", query.float_in(0.5, 1.5), query.format_float),
    query.QueryKey("method", "method", query.choice(*METHODS)),
    query.QueryKey("eps", "eps", lambda raw: _one_of(raw, EPS_CHOICES), query.format_float),
    query.QueryKey("eta", "eta", lambda raw: _one_of(raw, ETA_CHOICES), query.format_float),
    query.QueryKey("seed", "seed", query.int_in(0, MAX_SEED)),
    query.QueryKey("pts", "points", _parse_points, _format_points),
)


def _one_of(raw: str, choices: tuple[float, ...]) -> float:
    value = query.float_in(min(choices), max(choices))(raw)
    for c in choices:
        if math.isclose(value, c, rel_tol=1e-9):
            return c
    raise ValueError("not one of " + ", ".join(f"{c:g}" for c in choices))


class DomainModel(param.Parameterized):
    """What a link carries: the toy, how the target is moved, the plan, dragged samples."""

    preset = param.Selector(default="moons", objects=list(PRESETS), label="Toy")
    n = param.Integer(60, bounds=N_RANGE, step=10, label="Samples per domain")
    angle = param.Number(40.0, bounds=(-90.0, 90.0), step=5.0, label="Turn the target (°)")
    dx = param.Number(0.6, bounds=(-1.5, 1.5), step=0.1, label="Shift the target, x")
    dy = param.Number(0.3, bounds=(-1.5, 1.5), step=0.1, label="Shift the target, y")
    scale = param.Number(1.0, bounds=(0.5, 1.5), step=0.05, label="Scale the target")
    method = param.Selector(default="class", objects=list(METHODS), label="Plan shown")
    eps = param.Selector(default=0.1, objects=list(EPS_CHOICES), label="Entropy ε")
    eta = param.Selector(default=1.0, objects=list(ETA_CHOICES), label="Class penalty η")
    seed = param.Integer(0, bounds=(0, MAX_SEED), label="Seed")
    points = param.Parameter(
        default=None, doc="Dragged samples: x, y, group of each (None: the generated samples)."
    )

    GENERATOR = ("preset", "n", "angle", "dx", "dy", "scale", "seed")

    @property
    def sweep_key(self) -> tuple:
        return (
            self.preset,
            int(self.n),
            int(self.seed),
            float(self.dx),
            float(self.dy),
            float(self.scale),
            float(self.eps),
            float(self.eta),
        )

    def generated(self):
        return make_clouds(
            self.preset,
            int(self.n),
            int(self.seed),
            float(self.angle),
            float(self.dx),
            float(self.dy),
            float(self.scale),
        )

    def samples(self):
        """(Xs, ys, Xt, yt): the dragged samples if any, else the generated ones."""
        if self.points is None:
            return self.generated()
        return split_points(np.asarray(self.points, dtype=float).reshape(-1, 3))


def split_points(P: np.ndarray):
    """Rows ``(x, y, group)`` into (Xs, ys, Xt, yt)."""
    g = P[:, 2].astype(int)
    src, tgt = g < 2, g >= 2
    return P[src, :2], g[src], P[tgt, :2], g[tgt] - 2


def join_points(Xs, ys, Xt, yt) -> tuple[np.ndarray, np.ndarray]:
    """(xy, groups) for the points component."""
    return np.vstack([Xs, Xt]), np.r_[np.asarray(ys, int), np.asarray(yt, int) + 2]


def fmt_accuracy(value: float) -> str:
    return f"{value:.3f}"


#: Embedded view: the controls' short labels (two to a row beside the plane).
EMBED_LABELS = {
    "Samples per domain": "Samples",
    "Turn the target (°)": "Turn (°)",
    "Shift the target, x": "Shift x",
    "Shift the target, y": "Shift y",
    "Scale the target": "Scale",
}
EMBED_SWEEP_HEIGHT = 150
#: The plane beside the controls (stacked on a phone; from 900 px the plane at 26rem).
EMBED_SPLIT_CSS = """
:host { display: grid !important; grid-template-columns: minmax(0, 1fr) 19rem;
        gap: 0 0.75rem; align-items: start; }
@media (min-width: 900px) { :host { grid-template-columns: 26rem minmax(0, 1fr); } }
@media (max-width: 560px) { :host { grid-template-columns: minmax(0, 1fr); } }
"""
EMBED_SIDE_CSS = """
:host { display: grid !important; grid-template-columns: repeat(auto-fill, minmax(8.5rem, 1fr));
        gap: 0 0.5rem; align-items: start; }
.ot-embed-full { grid-column: 1 / -1; }
"""


class DomainAdaptationPage(NotebookPage):
    """The plane, the sweep, the controls and the readouts for one session."""

    slug = SLUG
    embed_height_scale = None  # its own embed view (_embed_view)
    model_class = DomainModel
    query_keys = QUERY_KEYS
    figure_label = (
        "Two-class samples in the plane: source (circles, squares) and target (triangles, "
        "diamonds); background: the classes predicted after adaptation; dashed line: the "
        "boundary before; green lines: the transport plan; hollow markers: the transported "
        "source. Below: accuracy against the target's rotation for each method."
    )

    def __init__(self, model: DomainModel | None = None, **params):
        super().__init__(model, **params)
        m = self.model
        self.problem = ""
        self._own_points = False
        try:
            view = compute_view(*m.samples(), m.method, m.eps, m.eta)
        except InvalidInput as err:  # a linked set of samples that cannot be used
            self.notices.append(f"The link's samples were not used: {err}")
            m.points = None
            view = compute_view(*m.generated(), m.method, m.eps, m.eta)
        self.view = view
        self.plot = PlaneFigure(
            *join_points(view.Xs, view.ys, view.Xt, view.yt),
            self._on_points,
            MAX_POINTS,
            shell.is_dark(),
        )
        self.sweep_plot = SweepFigure()
        self.readouts = ReadoutTable(
            columns=[["da-value", "value"]],
            label_header="quantity",
            label_width="60%",
            caption="Accuracy on the target before and after each adaptation; distances and "
            "cost of the plan shown",
            table_class="da-readouts",
            stylesheets=["table.da-readouts th.ot-readout-label { white-space: normal; }"],
            sizing_mode="stretch_width",
            min_height=260,
        )
        self.message = pn.pane.HTML(
            "", sizing_mode="stretch_width", margin=(0, 5), stylesheets=[TEXT_CSS]
        )
        self.status = pn.pane.HTML(
            "", sizing_mode="stretch_width", margin=(0, 10), stylesheets=[TEXT_CSS]
        )
        self.progress = pn.pane.HTML(
            shell.progress_bar(0, _PROGRESS),
            visible=False,
            sizing_mode="stretch_width",
            margin=(0, 10),
        )
        self.sweep: Sweep | None = None
        self._job = workers.Job(
            self._show_sweep,
            on_error=self._sweep_failed,
            on_progress=self._sweep_progress,
            delay_ms=SWEEP_DELAY_MS,
            defer_under_load=True,
        )
        self._build_controls()
        self._draw()
        pn.state.onload(self._request_sweep)
        m.param.watch(self._on_generator, list(DomainModel.GENERATOR))
        m.param.watch(self._on_settings, ["method", "eps", "eta"])
        m.param.watch(self._on_model_points, ["points"])
        m.param.watch(self._on_sweep_settings, ["eps", "eta"])

    # --- building ------------------------------------------------------------------------

    def _build_controls(self) -> None:
        m, w = self.model, pn.widgets
        self.seed_button = w.Button(label=_seed_label(m.seed), sizing_mode="stretch_width")
        self.seed_button.on_click(self._next_seed)
        self.reset_button = w.Button(
            label="Put back the generated samples", sizing_mode="stretch_width"
        )
        self.reset_button.on_click(lambda _e: setattr(self.model, "points", None))
        self.control_panel = pn.Column(
            w.Select.from_param(m.param.preset, options=PRESET_LABELS),
            w.IntSlider.from_param(m.param.n),
            w.FloatSlider.from_param(m.param.angle),
            w.FloatSlider.from_param(m.param.dx),
            w.FloatSlider.from_param(m.param.dy),
            w.FloatSlider.from_param(m.param.scale),
            pn.pane.HTML("Plan shown", margin=(4, 10, 0, 10)),
            w.RadioButtonGroup.from_param(m.param.method, options=METHOD_LABELS, name="Plan shown"),
            w.Select.from_param(m.param.eps, options={f"ε = {v:g}": v for v in EPS_CHOICES}),
            w.Select.from_param(m.param.eta, options={f"η = {v:g}": v for v in ETA_CHOICES}),
            self.seed_button,
            self.reset_button,
            sizing_mode="stretch_width",
        )

    def figure(self) -> pn.viewable.Viewable:
        caption = pn.pane.HTML(
            "<p style='margin:0'>Circles and squares: the labelled source (classes A and B). "
            "Triangles and diamonds: the target, marked with its true class, which the "
            "adaptation never sees. The tint is the class the classifier predicts after "
            "adaptation; the dashed line is its boundary before. Green lines: where the plan "
            "sends each source sample; hollow markers: the transported source the classifier "
            "is retrained on. Drag any sample, or Tab into the plot and use the arrow keys; "
            "a double tap or Delete removes one.</p>",
            sizing_mode="stretch_width",
            styles={"color": theme.caption_color(shell.is_dark())},
            stylesheets=[TEXT_CSS],
            margin=(0, 5),
        )
        live = compat.AttributedColumn(
            self.status,
            self.progress,
            html_attributes={"aria-live": "polite"},
            sizing_mode="stretch_width",
            min_height=30,
        )
        body = pn.Column(
            self.message,
            self.plot.points.pane(max_width=620, align="center"),
            caption,
            pn.pane.Bokeh(self.sweep_plot.figure, sizing_mode="stretch_width"),
            live,
            sizing_mode="stretch_width",
        )
        if self.embed:
            return self._embed_view(live)
        return body

    def _embed_view(self, live: pn.viewable.Viewable) -> pn.viewable.Viewable:
        """A 700 x 600 iframe: the plane beside the controls (two to a row, short labels), the
        sweep under them, its progress in a kept room; the caption, the table and the reset
        button are left to the full page (linked). From 900 px the plane keeps its size and the
        rest widens."""
        # "Put back the generated samples" is left to the full page (a reload does it here)
        controls = [o for o in self.control_panel.objects if o is not self.reset_button]
        for widget in controls:
            widget.param.update(sizing_mode="stretch_width", width=None)
            widget.name = EMBED_LABELS.get(widget.name, widget.name)
        sweep = self.sweep_plot.figure
        sweep.update(height=EMBED_SWEEP_HEIGHT)
        sweep.yaxis.axis_label = "accuracy"
        for legend in sweep.legend:  # four methods in a third of the frame: one a line
            legend.update(orientation="vertical", label_text_font_size="10px", location="left")
        live.min_height = 44
        link = self.full_page_link("what the marks mean and the table of numbers")
        sweep_pane = pn.pane.Bokeh(sweep, sizing_mode="stretch_width")
        full = (self.message, *controls[6:8], self.seed_button, sweep_pane, live, link)
        for part in full:
            part.css_classes = [*part.css_classes, "ot-embed-full"]
        side = pn.Column(
            self.message,
            *controls,
            sweep_pane,
            live,
            link,
            stylesheets=[EMBED_SIDE_CSS],
            sizing_mode="stretch_width",
        )
        self.plot.points.figure.aspect_ratio = 1  # square at the width the grid gives it
        plane = self.plot.points.pane(max_width=None)
        return pn.Column(plane, side, stylesheets=[EMBED_SPLIT_CSS], sizing_mode="stretch_width")

    def controls(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.control_panel

    def side_readouts(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.readouts

    # --- events ----------------------------------------------------------------------------

    @property
    def _doc(self):
        return self.plot.points.flow.document

    def _recompute(self, samples) -> bool:
        """Compute the view for ``samples``; on bad samples say why and keep the last view."""
        m = self.model
        try:
            view = compute_view(*samples, m.method, m.eps, m.eta, previous=self.view)
        except ValueError as err:  # InvalidInput, or scikit-learn refusing the samples
            self.problem = f"{err} The figure and numbers show the last valid samples."
            self._show_problem()
            return False
        self.view, self.problem = view, ""
        self._draw()
        return True

    def _on_points(self, xy: np.ndarray, groups: np.ndarray, settled: bool) -> None:
        """A sync from the browser (checked by the points component)."""
        xy = xy.round(POINT_DECIMALS)
        P = np.column_stack([xy, groups])
        with hold(self._doc):
            if not self._recompute(split_points(P)):
                # The browser shows samples the page refused: put the last valid ones back
                # (the component holds this back until the release).
                self.plot.points.update(*join_points(*self._view_samples()))
                return
            if settled:  # the link follows on release
                self._own_points = True
                try:
                    self.model.points = tuple(float(v) for v in P.ravel())
                finally:
                    self._own_points = False

    def _view_samples(self):
        v = self.view
        return v.Xs, v.ys, v.Xt, v.yt

    def _on_generator(self, *_events) -> None:
        self.seed_button.label = _seed_label(self.model.seed)
        if self.model.points is not None:
            self.model.points = None  # watched: comes back through _on_model_points
            self._request_sweep()
            return
        self._show_samples()
        self._request_sweep()

    def _on_model_points(self, *_events) -> None:
        if not self._own_points:
            self._show_samples()

    def _show_samples(self) -> None:
        samples = self.model.samples()
        with hold(self._doc):
            if self._recompute(samples):
                self.plot.points.update(*join_points(*samples))
            else:
                self.plot.points.update(*join_points(*self._view_samples()))

    def _on_settings(self, *_events) -> None:
        with hold(self._doc):
            self._recompute(self._view_samples())

    def _on_sweep_settings(self, *_events) -> None:
        self._request_sweep()

    def _next_seed(self, _event=None) -> None:
        self.model.seed = (self.model.seed + 1) % (MAX_SEED + 1)

    # --- drawing ---------------------------------------------------------------------------

    def _show_problem(self) -> None:
        self.message.object = (
            f"<p role='alert' style='color:{_warning(shell.is_dark())};margin:0'>"
            f"{html.escape(self.problem)}</p>"
            if self.problem
            else ""
        )

    def _draw(self) -> None:
        self._show_problem()
        self.plot.update(self.view)
        self.readouts.rows = self.view.rows()
        self.sweep_plot.mark(float(self.model.angle))

    # --- the sweep (background) ------------------------------------------------------------

    def _request_sweep(self) -> None:
        key = self.model.sweep_key
        if self.sweep is not None and self.sweep.key == key and not self._job.busy:
            self.sweep_plot.mark(float(self.model.angle))
            return
        self._job.submit(partial(sweep_accuracy, key), key=("domain_adaptation.sweep", key))
        if self._job.busy:
            self.progress.param.update(object=shell.progress_bar(0, _PROGRESS), visible=True)
            self.status.object = "Sweeping the target's rotation…"

    def _show_sweep(self, sweep: Sweep) -> None:
        self.sweep = sweep
        self.sweep_plot.update(sweep)
        self.sweep_plot.mark(float(self.model.angle))
        self.progress.visible = False
        note = " (the generated samples, not the dragged ones)" if self.model.points else ""
        self.status.object = (
            f"<p style='margin:0'>Accuracy against the rotation{note}: "
            f"{len(sweep.angles)} angles, {sweep.seconds:.2f} s.</p>"
        )

    def _sweep_failed(self, message: str) -> None:
        self.progress.visible = False
        self.status.object = (
            f"<p style='margin:0'>The sweep failed: {html.escape(message)}. "
            "The last sweep is kept.</p>"
        )

    def _sweep_progress(self, fraction: float, text: str) -> None:
        self.progress.param.update(object=shell.progress_bar(fraction, _PROGRESS), visible=True)
        self.status.object = f"<p style='margin:0'>Sweeping: {html.escape(text)}…</p>"

    # --- take it home -----------------------------------------------------------------------

    def takehome(self) -> TakeHome:
        return _takehome(self.model, self.view)

    def caption_lines(self) -> list[str]:
        return [f"{row[1]}: {row[3]}" for row in self.readouts.rows]


def _seed_label(seed: int) -> str:
    return f"New random samples (seed {seed})"


def _warning(dark: bool) -> str:
    return "#ff8a80" if dark else theme.WARNING_COLOR


#: What the page's progress bar measures (its accessible name).
_PROGRESS = "progress of the rotation sweep"

# --- take it home -------------------------------------------------------------------------------


def _array_literal(X: np.ndarray) -> str:
    rows = ", ".join(f"[{x:.10g}, {y:.10g}]" for x, y in np.asarray(X))
    return f"np.array([{rows}])"


_SETUP = """import numpy as np
import ot
import sklearn
from sklearn.svm import SVC

Xs = {Xs}  # source samples
ys = np.array({ys})  # their classes (0: A, 1: B)
Xt = {Xt}  # target samples
yt = np.array({yt})  # their true classes: used only to score
eps, eta = {eps}, {eta}  # entropic strength and class penalty, in squared-distance units


def accuracy(X, y):
    clf = SVC(kernel="rbf", gamma={gamma}, C={penalty}).fit(X, y)
    return clf, float(np.mean(clf.predict(Xt) == yt))
"""

_NUMBERS = """# POT's domain-adaptation classes: fit a plan; move the source by its barycentric map.
exact = ot.da.EMDTransport().fit(Xs=Xs, Xt=Xt)
entropic = ot.da.SinkhornTransport(reg_e=eps, max_iter=20_000, tol=1e-11).fit(Xs=Xs, Xt=Xt)


# The class-regularized plan, written out: POT's SinkhornLpl1Transport runs these same ten
# majorization steps with a plain Sinkhorn capped at 200 iterations; here the log-domain one,
# each step warm-started from the last, and the final plan's marginal error is printed.
# (The page stops once a step moves the plan by less than 1e-9: the later ones change it
# less than that again, so its numbers are these.)
def class_plan(C, labels, eps, eta, steps=10):
    a, b = np.full(C.shape[0], 1 / C.shape[0]), np.full(C.shape[1], 1 / C.shape[1])
    onehot = np.eye(labels.max() + 1)[labels]
    W, warm = np.zeros_like(C), None
    for _ in range(steps):
        P, log = ot.sinkhorn(a, b, C + eta * W, eps, method="sinkhorn_log", numItermax=3000,
                             stopThr=1e-10, warn=False, warmstart=warm, log=True)
        warm = (log["log_u"], log["log_v"])
        W = 0.5 * ((onehot.T @ P)[labels] + 1e-3) ** -0.5
    error = np.abs(P.sum(1) - a).sum() + np.abs(P.sum(0) - b).sum()
    print(f"class-regularized plan: marginal error {{error:.1e}}")
    return P


C = ot.dist(Xs, Xt)  # squared Euclidean distances
plans = {{"exact": exact.coupling_, "entropic": entropic.coupling_,
         "class": class_plan(C, ys, eps, eta)}}
mapped = {{k: (P @ Xt) / P.sum(1, keepdims=True) for k, P in plans.items()}}

n = len(yt)
clf_before, acc = accuracy(Xs, ys)
print(f"accuracy on target, no adaptation = {{acc:.3f}} ({{round(acc * n)}}/{{n}})")
for key, name in [("exact", "exact OT"), ("entropic", "entropic OT"),
                  ("class", "class-regularized OT")]:
    _, acc = accuracy(mapped[key], ys)
    print(f"accuracy after {{name}} = {{acc:.3f}} ({{round(acc * n)}}/{{n}})")

shown = "{method}"  # the plan the page draws
w2_before = np.sqrt(ot.emd2(np.full(len(Xs), 1 / len(Xs)), np.full(n, 1 / n), C))
w2_after = np.sqrt(ot.emd2(np.full(len(Xs), 1 / len(Xs)), np.full(n, 1 / n),
                           ot.dist(mapped[shown], Xt)))
print(f"W2(source, target) = {{w2_before:.4f}}")
print(f"W2(transported source, target) = {{w2_after:.4f}}")
print(f"plan's cost <C, P> = {{np.sum(plans[shown] * C):.4f}}")
"""

_PLOT = """import matplotlib.pyplot as plt

g = np.linspace(-3, 3, 121)
G = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
clf_after, _ = accuracy(mapped[shown], ys)
fig, ax = plt.subplots(figsize=(6, 6), constrained_layout=True)
ax.contourf(g, g, clf_after.predict(G).reshape(121, 121), levels=[-0.5, 0.5, 1.5],
            colors=["#cfe3f3", "#f6d9c6"])
ax.contour(g, g, clf_before.decision_function(G).reshape(121, 121), levels=[0],
           colors="k", linestyles="dashed")
P = plans[shown]
for i, j in zip(*np.nonzero(P > 0.1 * P.sum(1, keepdims=True))):
    ax.plot(*np.c_[Xs[i], Xt[j]], color="#009E73", alpha=0.4, lw=0.8)
for c, (col, light) in enumerate([("#0072B2", "#56B4E9"), ("#D55E00", "#E69F00")]):
    ax.scatter(*Xs[ys == c].T, color=col, marker="os"[c], label=f"source {'AB'[c]}")
    ax.scatter(*Xt[yt == c].T, color=light, marker="^D"[c], label=f"target {'AB'[c]}")
    ax.scatter(*mapped[shown][ys == c].T, facecolors="none", edgecolors=col, s=20)
ax.set_aspect("equal")
ax.set_xlim(-3, 3)
ax.set_ylim(-3, 3)
ax.legend(loc="upper left")
ax.set_title(f"after {shown} OT (tint), before (dashed)")
plt.show()
"""


def _takehome(m: DomainModel, view: DomainView) -> TakeHome:
    return TakeHome(
        title=f"Domain adaptation by optimal transport: {len(view.ys)} source samples",
        intro=(
            f"{len(view.ys)} labelled source samples and {len(view.yt)} target samples "
            "(the page's current ones). A support vector classifier (scikit-learn) trained on "
            "the source is scored on the target; then the source is moved onto the target by "
            "the barycentric map of three plans (exact, entropic with "
            f"$\\varepsilon = {m.eps:g}$, and entropic with a class penalty "
            f"$\\eta = {m.eta:g}$), and the classifier is trained again on the moved samples. "
            "Needs numpy, POT, scikit-learn and matplotlib."
        ),
        equation=r"\hat x_i = \frac{\sum_j P_{ij}\, y_j}{\sum_j P_{ij}}",
        cells=(
            _SETUP.format(
                Xs=_array_literal(view.Xs),
                ys=view.ys.tolist(),
                Xt=_array_literal(view.Xt),
                yt=view.yt.tolist(),
                eps=f"{m.eps:g}",
                eta=f"{m.eta:g}",
                gamma=GAMMA,
                penalty=PENALTY,
            ),
            _NUMBERS.format(method=view.method),
            _PLOT,
        ),
        notes=(
            "The samples as the page showed them (dragged ones included).",
            "These print the page's readouts.",
        ),
        code_title="Show the code (POT, scikit-learn)",
    )
