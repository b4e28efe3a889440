"""Page: sliced Wasserstein, many cheap one-dimensional problems instead of one in the plane.

Two draggable clouds with the random directions drawn through them; the picked direction's
two projected measures and their sorted matching; the estimate as directions are added (1 to
1000, with a 95% band) beside the exact W2 (LP) and the max-sliced value; and SW/W2 against
the dimension for sampled Gaussians. All numbers come from :mod:`ot_engine.sliced` and
:func:`ot_engine.empirical_w2`; a drag recomputes everything (a few ms for these sizes).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import panel as pn
import param
from bokeh.layouts import column, row
from bokeh.models import ColumnDataSource
from panel.io.document import hold

from ot_engine import InvalidInput, cost_matrix, exact
from ot_engine.sliced import (
    dimension_gap,
    max_sliced_wasserstein,
    sliced_wasserstein,
)
from pages import query, shell
from pages.components.flow import Flow
from pages.components.readouts import ReadoutTable, readout
from pages.page import NotebookPage
from pages.sliced_plots import (
    BOUNDS,
    CURVE_PROJECTIONS,
    NARROW_ROW_CSS,
    CloudFigure,
    ConvergenceFigure,
    DimensionFigure,
    ProjectionFigure,
)
from pages.takehome import TakeHome

SLUG = "sliced"
#: Points per cloud in every preset (equal sizes: the 1D matching is a sort).
N_POINTS = 24
PRESETS = ("shift", "stretch", "ring", "clusters")
PRESET_LABELS = {
    "shifted copy": "shift",
    "stretched across": "stretch",
    "ring around a blob": "ring",
    "two clusters to one": "clusters",
}
MAX_SEED = 9999
#: Dimensions of the sampled Gaussians drawn as dots (the chosen d is computed on its own).
SAMPLE_DIMS = (2, 3, 5, 10, 20, 50, 100)
DIM_RANGE = (2, 100)
#: The sampled Gaussians: points per cloud, shift |m|, directions.
GAP_POINTS, GAP_SHIFT, GAP_PROJECTIONS = 100, 2.0, 200


@functools.lru_cache(maxsize=8)
def preset_clouds(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The preset's source and target clouds, ``N_POINTS`` each, inside ``BOUNDS`` (fixed
    draws: the page's ``seed`` is the directions', not the clouds')."""
    rng = np.random.RandomState(7)
    z1, z2 = rng.randn(N_POINTS, 2), rng.randn(N_POINTS, 2)
    if name == "shift":
        X, Y = 0.35 * z1 + [-0.7, -0.4], 0.35 * z2 + [0.7, 0.5]
    elif name == "stretch":
        X, Y = z1 * [0.8, 0.12], z2 * [0.12, 0.8]
    elif name == "ring":
        angle = np.linspace(0, 2 * np.pi, N_POINTS, endpoint=False)
        X = 1.3 * np.column_stack([np.cos(angle), np.sin(angle)]) + 0.05 * z1
        Y = 0.25 * z2
    elif name == "clusters":
        centres = np.where(np.arange(N_POINTS)[:, None] % 2 == 0, [-1.1, 0.6], [1.1, 0.6])
        X, Y = 0.2 * z1 + centres, 0.3 * z2 + [0.0, -0.8]
    else:
        raise KeyError(name)
    (x0, x1), (y0, y1) = BOUNDS
    lo, hi = [x0, y0], [x1, y1]
    X, Y = np.clip(X, lo, hi), np.clip(Y, lo, hi)
    X.setflags(write=False)
    Y.setflags(write=False)
    return X, Y


#: Digits the link keeps of a dragged point (the page rounds a dragged point to them too, so a
#: reloaded link shows the same numbers).
POINT_DECIMALS = 3


def _parse_points(raw: str) -> tuple[float, ...] | None:
    """``pts``: empty for the preset itself, else x, y of every point (source, then target)."""
    if raw == "":
        return None
    (x0, x1), _ = BOUNDS
    return query.float_list(4 * N_POINTS, 4 * N_POINTS, x0, x1)(raw)


def _format_points(values: tuple[float, ...] | None) -> str:
    return "" if values is None else ",".join(f"{v:g}" for v in values)


QUERY_KEYS = (
    query.QueryKey("cloud", "cloud", query.choice(*PRESETS)),
    query.QueryKey("pts", "points", _parse_points, _format_points),
    query.QueryKey("n_proj", "n_proj", query.int_in(1, CURVE_PROJECTIONS)),
    query.QueryKey("seed", "seed", query.int_in(0, MAX_SEED)),
    query.QueryKey("dir", "direction", query.int_in(1, CURVE_PROJECTIONS)),
    query.QueryKey("dim", "dim", query.int_in(*DIM_RANGE)),
)


class SlicedModel(param.Parameterized):
    """What a link carries: the preset, the directions (count, seed, picked) and d."""

    cloud = param.Selector(default="stretch", objects=list(PRESETS), doc="Preset clouds.")
    n_proj = param.Integer(
        default=20, bounds=(1, CURVE_PROJECTIONS), doc="Random directions L of the estimate."
    )
    seed = param.Integer(default=0, bounds=(0, MAX_SEED), doc="Seed of the directions.")
    direction = param.Integer(
        default=1, bounds=(1, CURVE_PROJECTIONS), doc="The picked direction (1 to L)."
    )
    dim = param.Integer(default=10, bounds=DIM_RANGE, doc="Dimension of the sampled Gaussians.")
    points = param.Tuple(
        default=None,
        allow_None=True,
        length=4 * N_POINTS,
        doc="Dragged clouds: x, y of each source point, then of each target point (None: the "
        "preset as it is).",
    )


@functools.lru_cache(maxsize=64)
def gap_at(d: int, seed: int):
    """SW and W2 of sampled Gaussians in dimension ``d`` (pure, shared across sessions)."""
    return dimension_gap(d, n=GAP_POINTS, shift=GAP_SHIFT, seed=seed, n_proj=GAP_PROJECTIONS)


def fmt(value: float) -> str:
    return f"{value:.4f}"


class SlicedState:
    """Every number the page shows for one view (clouds, directions, picked one)."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, n_proj: int, seed: int, picked: int):
        self.X, self.Y = X, Y
        #: The curve: the first k of 1000 nested directions, k = 1..1000.
        self.curve = sliced_wasserstein(X, Y, CURVE_PROJECTIONS, seed)
        #: The estimate at L = n_proj (its directions are the curve's first n_proj).
        self.sw = sliced_wasserstein(X, Y, n_proj, seed)
        self.max = max_sliced_wasserstein(X, Y)
        a = np.full(len(X), 1.0 / len(X))
        b = np.full(len(Y), 1.0 / len(Y))
        self.lp = exact(a, b, cost_matrix(X, Y, power=2))
        self.w2 = math.sqrt(max(self.lp.cost, 0.0))
        self.picked = min(max(picked, 1), n_proj) - 1
        theta = self.sw.directions[self.picked]
        self.theta = theta
        self.u, self.v = X @ theta, Y @ theta
        self.w_picked = float(self.sw.per_direction[self.picked])

    @property
    def angle_deg(self) -> float:
        return math.degrees(math.atan2(self.theta[1], self.theta[0])) % 180.0

    def rows(self) -> list[list[str]]:
        sw, mx, n = self.sw, self.max, self.sw.n_proj
        if n > 1:
            se = f"{1.96 * sw.standard_error:.4f}"
            band = f"{sw.band[0]:.3f}–{sw.band[1]:.3f}"
        else:
            se = band = "needs L ≥ 2"
        lp_flag = "" if self.lp.converged else f"LP {self.lp.message}"
        if self.w2 > 0:
            ratio = fmt(sw.value / self.w2)
        else:
            ratio = "undefined (W₂ = 0: the clouds coincide)"
        return [
            readout("sw", f"SW₂, L = {n}", fmt(sw.value)),
            readout("sw2", "SW₂² estimate", fmt(sw.value_squared)),
            readout("se", "± 1.96 s.e. (SW₂²)", se),
            readout("band", "95% band, SW₂", band),
            readout("w2", "exact W₂ (LP)", fmt(self.w2), flag=lp_flag),
            readout("max", f"max-sliced, {math.degrees(mx.angle):.1f}°", fmt(mx.value)),
            readout("ratio", "SW₂ / W₂", ratio),
            readout(
                "picked",
                f"W₂ on line {self.picked + 1}, {self.angle_deg:.1f}°",
                fmt(math.sqrt(self.w_picked)),
            ),
        ]


#: Embedded (700 x 600): the clouds' square and the heights of the plots beside it.
EMBED_CLOUDS = 280
EMBED_SIDE_HEIGHTS = (95, 120, 120)


class SlicedPage(NotebookPage):
    """The figure and controls for one session, drawn from a :class:`SlicedModel`."""

    slug = SLUG
    embed_height_scale = None  # its own embed layout (_embed_plots)
    model_class = SlicedModel
    query_keys = QUERY_KEYS
    figure_label = (
        "Sliced Wasserstein: two draggable point clouds with random directions, the projections "
        "on the picked direction, the estimate against the number of directions, and SW/W2 "
        "against the dimension"
    )

    def __init__(self, model: SlicedModel | None = None, **params):
        super().__init__(model, **params)
        m = self.model
        if m.direction > m.n_proj:
            m.direction = m.n_proj
        dark = shell.is_dark()
        X, Y = self._clouds_of(m)
        self.X, self.Y = X, Y
        self.pick_flow = Flow(self._apply_pick, name="sliced_answer")
        self.pick_src = ColumnDataSource({"k": []}, name="sliced_pick")
        self.pick_flow.listen(self.pick_src, _parse_pick, max_items=16)
        groups = np.r_[np.zeros(N_POINTS, int), np.ones(N_POINTS, int)]
        self.clouds = CloudFigure(
            np.vstack([X, Y]), groups, self._on_points, N_POINTS, self.pick_flow, self.pick_src
        )
        self.projection = ProjectionFigure()
        self.convergence = ConvergenceFigure(dark)
        self.dimension = DimensionFigure(dark)
        self.message = pn.pane.Alert(
            "", alert_type="warning", visible=False, sizing_mode="stretch_width"
        )
        self._build_controls()
        self._layout()
        self._refresh_samples()
        self._refresh()
        self._refresh_dim()
        self._own_points = False
        m.param.watch(self._on_cloud, ["cloud"])
        m.param.watch(self._on_model_points, ["points"])
        m.param.watch(self._on_directions, ["n_proj", "seed", "direction"])
        m.param.watch(self._on_dim, ["dim"])
        m.param.watch(self._on_seed_samples, ["seed"])

    # --- building ------------------------------------------------------------------------

    def _build_controls(self) -> None:
        m = self.model
        self.readouts = ReadoutTable(
            columns=[["sliced-value", "value"]],
            label_header="quantity",
            caption="Sliced, exact and max-sliced distances of the two clouds",
            table_class="sliced-readouts",
            label_width="56%",
            sizing_mode="stretch_width",
            min_height=230,
        )
        self.dim_readouts = ReadoutTable(
            columns=[["sliced-dim-value", "value"]],
            label_header="Gaussians in ℝᵈ",
            caption=(
                f"SW and W2 of N(0, I) and N(m, I) in the chosen dimension d, |m| = "
                f"{GAP_SHIFT:g}, sampled with {GAP_POINTS} points each, and their closed forms"
            ),
            table_class="sliced-dim-readouts",
            label_width="56%",
            sizing_mode="stretch_width",
            min_height=150,
        )
        self.direction_slider = pn.widgets.IntSlider.from_param(
            m.param.direction, name="picked direction k", end=m.n_proj
        )
        # A new draw of directions is one press (Panel's number spinner has unnamed buttons).
        self.seed_button = pn.widgets.Button(label=_seed_label(m.seed), sizing_mode="stretch_width")
        self.seed_button.on_click(self._next_seed)
        self.control_panel = pn.Column(
            pn.widgets.Select.from_param(m.param.cloud, name="clouds", options=PRESET_LABELS),
            pn.widgets.IntSlider.from_param(m.param.n_proj, name="number of directions L"),
            self.direction_slider,
            self.seed_button,
            pn.widgets.IntSlider.from_param(m.param.dim, name="dimension d of the Gaussians"),
            sizing_mode="stretch_width",
        )

    def _layout(self) -> None:
        # One Bokeh layout: the square clouds (angles and perpendiculars drawn true) beside the
        # projections (they stack on a phone), then the convergence and dimension plots.
        top = row(
            self.clouds.figure,
            self.projection.figure,
            sizing_mode="stretch_width",
            stylesheets=[NARROW_ROW_CSS],
        )
        plots = column(
            top, self.convergence.figure, self.dimension.figure, sizing_mode="stretch_width"
        )
        if self.embed:
            plots = self._embed_plots()
        self.figure_pane = pn.Column(
            self.message,
            pn.pane.Bokeh(plots, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )

    def _embed_plots(self):
        """A 700 x 600 iframe: the square clouds beside the projection and the two curves."""
        side = (self.projection.figure, self.convergence.figure, self.dimension.figure)
        for fig, height in zip(side, EMBED_SIDE_HEIGHTS, strict=True):
            fig.update(height=height, sizing_mode="stretch_width")
            fig.xaxis.axis_label = None  # the titles say what runs along each axis
        self.clouds.figure.update(width=EMBED_CLOUDS, height=EMBED_CLOUDS, sizing_mode="fixed")
        return row(
            self.clouds.figure,
            column(*side, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
            stylesheets=[NARROW_ROW_CSS],
        )

    def figure(self) -> pn.viewable.Viewable:
        return self.figure_pane

    def controls(self) -> pn.viewable.Viewable:
        return self.control_panel

    def side_readouts(self) -> pn.viewable.Viewable:
        return pn.Column(self.readouts, self.dim_readouts, sizing_mode="stretch_width")

    def takehome(self) -> TakeHome:
        return _takehome(self.model, self.X, self.Y)

    def caption_lines(self) -> list[str]:
        m = self.model
        head = f"clouds: {m.cloud} (as shown), L = {m.n_proj}, seed {m.seed}"
        return [head] + [f"{row[1]}: {row[3]}" for row in self.readouts.rows]

    # --- updates -------------------------------------------------------------------------

    @property
    def _doc(self):
        return self.pick_flow.document

    @staticmethod
    def _clouds_of(m: SlicedModel) -> tuple[np.ndarray, np.ndarray]:
        """The model's clouds: its dragged points if it has them, else its preset."""
        if m.points is not None:
            P = np.asarray(m.points, dtype=np.float64).reshape(2 * N_POINTS, 2)
            return P[:N_POINTS].copy(), P[N_POINTS:].copy()
        X, Y = preset_clouds(m.cloud)
        return X.copy(), Y.copy()

    def _on_points(self, xy: np.ndarray, groups: np.ndarray, settled: bool) -> None:
        """A drag sync from the browser (validated by the points component)."""
        X, Y = xy[groups == 0], xy[groups == 1]
        if len(X) != N_POINTS or len(Y) != N_POINTS:
            return  # the component refuses such syncs; keep the last valid state regardless
        # Rounded as the link keeps them: a reloaded link shows the same numbers.
        self.X, self.Y = X.round(POINT_DECIMALS), Y.round(POINT_DECIMALS)
        with hold(self._doc):
            self._refresh()
            if settled:  # the link follows on release (not on every sync of a drag)
                flat = np.vstack([self.X, self.Y]).ravel()
                self._own_points = True
                try:
                    self.model.points = tuple(float(v) for v in flat)
                finally:
                    self._own_points = False

    def _on_cloud(self, *_events) -> None:
        if self.model.points is not None:
            self.model.points = None  # a preset chosen: its own points, not the dragged ones
            return  # watched: comes back here with points None
        self._show_clouds()

    def _on_model_points(self, *_events) -> None:
        if not self._own_points:
            self._show_clouds()

    def _show_clouds(self) -> None:
        X, Y = self._clouds_of(self.model)
        self.X, self.Y = X, Y
        with hold(self._doc):
            self.clouds.points.update(
                np.vstack([X, Y]), np.r_[np.zeros(N_POINTS, int), np.ones(N_POINTS, int)]
            )
            self._refresh()

    def _on_directions(self, *_events) -> None:
        m = self.model
        self.direction_slider.end = m.n_proj
        if m.direction > m.n_proj:
            m.direction = m.n_proj  # watched: refreshes once more, with a valid pick
            return
        with hold(self._doc):
            self._refresh()

    def _apply_pick(self, update: dict) -> None:
        k = update.get("k")
        if k is None:
            return  # invalid: the flow answers it
        with hold(self._doc):
            self.model.direction = min(k + 1, self.model.n_proj)

    def _on_dim(self, *_events) -> None:
        with hold(self._doc):
            self._refresh_dim()

    def _next_seed(self, _event=None) -> None:
        self.model.seed = (self.model.seed + 1) % (MAX_SEED + 1)

    def _on_seed_samples(self, *_events) -> None:
        self.seed_button.label = _seed_label(self.model.seed)
        with hold(self._doc):
            self._refresh_samples()
            self._refresh_dim()

    def _refresh(self) -> None:
        """Recompute every number for the current clouds and directions; redraw."""
        m = self.model
        try:
            state = SlicedState(self.X, self.Y, m.n_proj, m.seed, m.direction)
        except InvalidInput as err:  # never crash the session: say so, keep the last view
            self.message.object = f"Could not compute this view: {err}"
            self.message.visible = True
            return
        self.state = state
        if state.w2 == 0:
            self.message.object = (
                "The two clouds coincide: every distance is 0 (SW₂ / W₂ is undefined)."
            )
            self.message.visible = True
        elif self.message.visible:
            self.message.visible = False
        self.clouds.update(state.sw.directions, state.picked, np.vstack([self.X, self.Y]))
        self.projection.update(
            state.u,
            state.v,
            f"Projections on direction {state.picked + 1} of {m.n_proj}, "
            f"θ = {state.angle_deg:.1f}°",
        )
        curve = state.curve
        self.convergence.update(
            curve.running, curve.running_band, state.w2, state.max.value, m.n_proj
        )
        self.readouts.rows = state.rows()

    def _refresh_samples(self) -> None:
        seed = self.model.seed
        self.dimension.set_samples(SAMPLE_DIMS, [gap_at(d, seed).ratio for d in SAMPLE_DIMS])

    def _refresh_dim(self) -> None:
        m = self.model
        gap = gap_at(m.dim, m.seed)
        self.dimension.update(m.dim, gap.ratio)
        self.dim_readouts.rows = dim_rows(gap)


def _seed_label(seed: int) -> str:
    return f"New random directions (seed {seed})"


def dim_rows(gap) -> list[list[str]]:
    """The readouts of the sampled Gaussians in the chosen dimension."""
    return [
        readout("d", "dimension d", str(gap.d)),
        readout("dim_sw", f"samples: SW₂, L = {GAP_PROJECTIONS}", fmt(gap.sw)),
        readout("dim_w2", "samples: W₂ (LP)", fmt(gap.w2)),
        readout("dim_ratio", "samples: SW₂ / W₂", fmt(gap.ratio)),
        readout("dim_sw_closed", "Gaussians: SW₂ = |m|/√d", fmt(gap.sw_closed)),
        readout("dim_ratio_closed", "Gaussians: 1/√d", fmt(gap.ratio_closed)),
    ]


def _parse_pick(data: dict) -> dict:
    """A tap's pick ``{"k": [index]}`` as ``{"k": int}`` (``{}``: invalid)."""
    try:
        raw = data["k"]
        if len(raw) != 1:
            return {}
        value = float(raw[0])
    except (KeyError, IndexError, TypeError, ValueError):
        return {}
    if not math.isfinite(value) or value != int(value) or not 0 <= value < CURVE_PROJECTIONS:
        return {}
    return {"k": int(value)}


# --- take it home -----------------------------------------------------------------------------


def _points_literal(P: np.ndarray) -> str:
    rows = ", ".join(f"[{x:.10g}, {y:.10g}]" for x, y in np.asarray(P))
    return f"np.array([{rows}], dtype=float)"


_SETUP = """import math

import numpy as np
import ot
from scipy.optimize import minimize_scalar

X = {X}  # source cloud mu (uniform weights)
Y = {Y}  # target cloud nu
n_proj, seed, k = {n_proj}, {seed}, {k}  # directions L, their seed, the picked one (1-based)
"""

_NUMBERS = """# Directions row by row: the first L of a longer draw are the draw of L.
rng = np.random.RandomState(seed)
theta = rng.randn(n_proj, 2)
theta /= np.linalg.norm(theta, axis=1, keepdims=True)

# POT returns the square root of the mean of the projected W2^2 (give it our directions).
sw = ot.sliced_wasserstein_distance(X, Y, projections=theta.T)

# Per direction: W2^2 of the projections, by sorting (equal-size uniform clouds).
w = np.mean((np.sort(X @ theta.T, axis=0) - np.sort(Y @ theta.T, axis=0)) ** 2, axis=0)
se = w.std(ddof=1) / math.sqrt(n_proj) if n_proj > 1 else math.inf

a, b = np.full(len(X), 1 / len(X)), np.full(len(Y), 1 / len(Y))
w2 = math.sqrt(ot.emd2(a, b, ot.dist(X, Y)))  # exact W2: ot.emd2 returns W2 squared


def projected_w2sq(angle):
    t = np.array([math.cos(angle), math.sin(angle)])
    return float(np.mean((np.sort(X @ t) - np.sort(Y @ t)) ** 2))


# Max-sliced in 2D: scan 720 angles of half a turn, then refine within one step.
angles = np.arange(720) * math.pi / 720
scan = [projected_w2sq(t) for t in angles]
best = int(np.argmax(scan))
step = math.pi / 720
found = minimize_scalar(lambda t: -projected_w2sq(t), method="bounded",
                        bounds=(angles[best] - step, angles[best] + step),
                        options={"xatol": 1e-10})
max_sq, max_angle = scan[best], angles[best]
if found.success and -found.fun > max_sq:
    max_sq, max_angle = -found.fun, found.x
max_sliced = math.sqrt(max_sq)

print(f"sliced SW2 (L = {n_proj}) = {sw:.4f}")
print(f"SW2^2 estimate = {np.mean(w):.4f}")
if n_proj > 1:
    print(f"1.96 standard errors of SW2^2 = {1.96 * se:.4f}")
print(f"exact W2 (LP) = {w2:.4f}")
print(f"max-sliced = {max_sliced:.4f} at {math.degrees(max_angle % math.pi):.1f} degrees")
print(f"W2 along direction {k} = {math.sqrt(w[k - 1]):.4f}")
print(f"SW2 <= max-sliced <= W2: {sw <= max_sliced + 1e-12 <= w2 + 2e-12}")
"""

_DIMENSION = """# The gap with the dimension: N(0, I) and N(m, I) in dimension d, |m| = {shift:g}.
d, n = {d}, {n}
rng = np.random.RandomState(seed)
Xd, Yd = rng.randn(n, d), rng.randn(n, d)
Yd[:, 0] += {shift:g}
td = np.random.RandomState(seed).randn({n_dirs}, d)
td /= np.linalg.norm(td, axis=1, keepdims=True)
sw_d = ot.sliced_wasserstein_distance(Xd, Yd, projections=td.T)
w2_d = math.sqrt(ot.emd2(np.full(n, 1 / n), np.full(n, 1 / n), ot.dist(Xd, Yd)))
print(f"d = {{d}}: sampled SW2 = {{sw_d:.4f}}, sampled W2 = {{w2_d:.4f}}, "
      f"ratio = {{sw_d / w2_d:.4f}}; Gaussians: SW2 = {{{shift:g} / math.sqrt(d):.4f}}, "
      f"ratio 1/sqrt(d) = {{1 / math.sqrt(d):.4f}}")
"""

_PLOT = """import matplotlib.pyplot as plt

# The estimate from the first L of 1000 directions, with its 95% band.
t1000 = np.random.RandomState(seed).randn(1000, 2)
t1000 /= np.linalg.norm(t1000, axis=1, keepdims=True)
w1000 = np.mean((np.sort(X @ t1000.T, axis=0) - np.sort(Y @ t1000.T, axis=0)) ** 2, axis=0)
L = np.arange(1, 1001)
mean = np.cumsum(w1000) / L
var = np.array([w1000[:j].var(ddof=1) if j > 1 else 0.0 for j in L])
half = 1.96 * np.sqrt(var / L)
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
ax0.scatter(*X.T, label="mu")
ax0.scatter(*Y.T, marker="s", label="nu")
c = np.vstack([X, Y]).mean(axis=0)
t = theta[k - 1]
ax0.plot(*np.array([c - 3 * t, c + 3 * t]).T, color="green", label=f"direction {k}")
ax0.set_aspect("equal")
ax0.legend()
ax1.fill_between(L, np.sqrt(np.maximum(mean - half, 0)), np.sqrt(mean + half), alpha=0.2)
ax1.plot(L, np.sqrt(mean), label="SW2 estimate")
ax1.axhline(w2, color="black", label="exact W2")
ax1.axhline(max_sliced, color="orange", linestyle="--", label="max-sliced")
ax1.axvline(n_proj, color="grey", linestyle=":")
ax1.set_xscale("log")
ax1.set_xlabel("number of directions L")
ax1.legend()
plt.show()
"""


def _takehome(m: SlicedModel, X: np.ndarray, Y: np.ndarray) -> TakeHome:
    k = min(m.direction, m.n_proj)
    return TakeHome(
        title=f"Sliced Wasserstein with {m.n_proj} directions",
        intro=(
            f"Two clouds of {len(X)} points each (the page's current points), "
            f"{m.n_proj} random directions drawn with seed {m.seed}. The code projects the "
            "clouds on each direction, solves each one-dimensional problem by sorting, and "
            "averages: the sliced estimate $SW_2$, with its standard error; then the exact "
            "$W_2$ (a linear program) and the max-sliced value, and the same comparison for "
            f"sampled Gaussians in dimension $d = {m.dim}$."
        ),
        equation=(
            r"SW_2(\mu, \nu)^2 = \mathbb{E}_{\theta \sim \mathcal{U}(S^{d-1})}"
            r"\, W_2^2(P_{\theta\#}\mu, P_{\theta\#}\nu) \le W_2(\mu, \nu)^2"
        ),
        cells=(
            _SETUP.format(
                X=_points_literal(X), Y=_points_literal(Y), n_proj=m.n_proj, seed=m.seed, k=k
            ),
            _NUMBERS,
            _DIMENSION.format(d=m.dim, n=GAP_POINTS, shift=GAP_SHIFT, n_dirs=GAP_PROJECTIONS),
            _PLOT,
        ),
        notes=(
            "The clouds as the page showed them (dragged points included).",
            "These are the page's readouts (four decimals, as shown).",
            "The page's readouts for the Gaussians in dimension $d$.",
        ),
    )
