"""Barycenters: averages of two to four measures that respect geometry.

Weights drive three views (key ``view``); the grid and Gaussian views take K = 2, 3 or 4
measures (key ``k``, default 3), the line view three. K = 3 weights are a point in a triangle
(key ``w``), K = 2 one slider (key ``w2``), K = 4 four linked sliders (key ``w4``: moving one
rescales the others to keep the sum one, so every weight vector is reachable by keyboard,
touch or mouse):

- ``line``: three draggable histograms on [0, 1]; their exact W2 barycenter (quantile
  functions averaged, :func:`ot_engine.barycenter_1d`) beside their Euclidean average, and
  the barycenter's objective against neighbours (shifted, stretched, other weights, the
  Euclidean average): every neighbour costs more. Instant (well under a millisecond).
- ``grid``: K shapes on a 64 x 64 grid and their entropic barycenter
  (:func:`ot_engine.convolutional_barycenter_2d`), solved off the event path
  (:mod:`pages.workers`), warm-started from the last result, with progress; the last finished
  result stays on screen.
- ``gauss``: K Gaussians and their Bures barycenter (fixed point), checked live against
  POT's ``bures_wasserstein_barycenter``.

Each view's figures are built the first time it is shown (page construction stays light).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import numpy as np
import ot
import panel as pn
import param

from ot_engine import (
    InvalidInput,
    barycenter_1d,
    barycenter_objective_1d,
    bures_barycenter,
    convolutional_barycenter_2d,
    uniform_grid,
)
from ot_engine.barycenter import bures_w2_squared
from pages import compat, query, shell, theme, workers
from pages.barycenters_plots import (
    MEASURE_COLORS,
    MEASURE_NAMES,
    GaussFigure,
    GridFigure,
    LineFigure,
    WeightTriangle,
    linked_weights,
    round_weights,
    weights_text,
)
from pages.components.flow import Flow
from pages.components.histogram import Histogram
from pages.components.readouts import ReadoutTable, readout
from pages.histogram_pair import fit_heights, parse_heights, round_heights
from pages.page import NotebookPage
from pages.takehome import TakeHome

SLUG = "barycenters"
VIEWS = {"on the line": "line", "on a grid": "grid", "Gaussians": "gauss"}
#: Bins of the three histograms on the line.
N_LINE = 48
#: Side of the 2-D grid.
N_GRID = 64
REG_CHOICES = (0.002, 0.004, 0.008, 0.016)
REG_LABELS = {f"reg = {r:g}": r for r in REG_CHOICES}
#: The 2-D solve stops at this marginal error (L1, mass one), or these caps.
GRID_TOL = 1e-5
GRID_MAX_ITER = 5000
GRID_BUDGET = 8.0
#: The grid solve waits for the weights to rest this long (ms); warm starts keep it short.
GRID_DELAY_MS = 40
DEFAULT_W = (0.333, 0.333, 0.334)
DEFAULT_W2 = (0.5, 0.5)
DEFAULT_W4 = (0.25, 0.25, 0.25, 0.25)
#: How many measures the grid and Gaussian views can average.
COUNTS = (2, 3, 4)


# --- presets -------------------------------------------------------------------------------


def _bump(x, centre, width):
    return np.exp(-0.5 * ((x - centre) / width) ** 2)


def line_preset(name: str, n: int = N_LINE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three histograms on ``n`` bins (bar heights in [0, 1], as the page keeps them).

    >>> [h.size for h in line_preset("bumps")]
    [48, 48, 48]
    """
    x = uniform_grid(n)
    if name == "bumps":
        hs = (_bump(x, 0.15, 0.04), _bump(x, 0.5, 0.1), _bump(x, 0.85, 0.03))
    elif name == "shapes":
        hs = (
            _bump(x, 0.15, 0.04) + 0.8 * _bump(x, 0.4, 0.04),
            ((x > 0.55) & (x < 0.9)) * 0.6,
            np.clip((x - 0.3) * 3, 0, 1) * (x < 0.7),
        )
    else:  # "spikes"
        hs = (
            (np.abs(x - 0.1) < 0.015) * 1.0,
            (np.abs(x - 0.5) < 0.015) * 0.5 + (np.abs(x - 0.9) < 0.015) * 0.5,
            ((x > 0.3) & (x < 0.7)) * 0.3,
        )
    out = []
    for h in hs:
        h = h / h.max()
        h[h < 1e-3] = 0.0
        out.append(round_heights(h))
    return tuple(out)


LINE_PRESETS = {
    "three bumps": "bumps",
    "two peaks, a block, a ramp": "shapes",
    "spikes and a plateau": "spikes",
}


def grid_shapes(name: str, n: int = N_GRID, k: int = 3) -> np.ndarray:
    """The first k (2 to 4) shapes of a preset on the n x n grid of [0, 1]^2 (indexed [y, x]),
    each of mass one.

    >>> A = grid_shapes("disk_diamond_ring", 16)
    >>> A.shape, np.round(A.sum(axis=(1, 2)), 12).tolist()
    ((3, 16, 16), [1.0, 1.0, 1.0])
    >>> grid_shapes("blobs", 16, 4).shape
    (4, 16, 16)
    """
    t = np.linspace(0.0, 1.0, n)
    X, Y = np.meshgrid(t, t)
    Y = 1.0 - Y  # row 0 at the top, as an image
    if name == "disk_diamond_ring":
        r2 = (X - 0.5) ** 2 + (Y - 0.5) ** 2
        shapes = (
            r2 < 0.09,
            np.abs(X - 0.5) + np.abs(Y - 0.5) < 0.22,
            (r2 < 0.12) & (r2 > 0.06),
            np.maximum(np.abs(X - 0.5), np.abs(Y - 0.5)) < 0.18,
        )
    elif name == "blobs":
        shapes = (
            _bump(X, 0.25, 0.06) * _bump(Y, 0.25, 0.06),
            _bump(X, 0.75, 0.1) * _bump(Y, 0.3, 0.04),
            _bump(X, 0.5, 0.04) * _bump(Y, 0.75, 0.1),
            _bump(X, 0.8, 0.07) * _bump(Y, 0.8, 0.03),
        )
    else:  # "bar_cross_l"
        shapes = (
            (np.abs(X - 0.5) < 0.3) & (np.abs(Y - 0.5) < 0.06),
            ((np.abs(X - 0.5) < 0.05) | (np.abs(Y - 0.5) < 0.05))
            & (np.abs(X - 0.5) < 0.25)
            & (np.abs(Y - 0.5) < 0.25),
            ((np.abs(X - 0.3) < 0.06) & (np.abs(Y - 0.5) < 0.25))
            | ((np.abs(Y - 0.3) < 0.06) & (X > 0.24) & (X < 0.7)),
            (np.abs(X - 0.6) < 0.06) & (np.abs(Y - 0.5) < 0.3),
        )
    A = np.stack([np.asarray(s, dtype=np.float64) for s in shapes[:k]])
    return A / A.sum(axis=(1, 2), keepdims=True)


SHAPE_PRESETS = {
    "disk, diamond, ring, square": "disk_diamond_ring",
    "blobs": "blobs",
    "bar, cross, L, upright bar": "bar_cross_l",
}


def _cov(sx: float, sy: float, degrees: float) -> np.ndarray:
    a = math.radians(degrees)
    R = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return R @ np.diag([sx**2, sy**2]) @ R.T


GAUSS_PRESETS = {
    "same shape, turned": "turned",
    "round, wide, tall, big": "sizes",
    "apart, all different": "apart",
}


def gauss_preset(name: str, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Means (k, 2) and covariances (k, 2, 2) of the first k (2 to 4) Gaussians of a preset.

    >>> m, S = gauss_preset("sizes"); m.shape, S.shape
    ((3, 2), (3, 2, 2))
    >>> gauss_preset("apart", 4)[1].shape
    (4, 2, 2)
    """
    if name == "turned":
        means = [[-1.2, -0.8], [1.2, -0.8], [0.0, 1.2], [0.0, -2.2]]
        covs = [_cov(0.9, 0.2, 0), _cov(0.9, 0.2, 60), _cov(0.9, 0.2, 120), _cov(0.9, 0.2, 30)]
    elif name == "sizes":
        means = [[-1.0, -0.6], [1.0, -0.6], [0.0, 1.0], [0.0, -2.0]]
        covs = [_cov(0.3, 0.3, 0), _cov(1.0, 0.15, 0), _cov(0.15, 0.9, 0), _cov(0.5, 0.5, 0)]
    else:  # "apart"
        means = [[-1.5, -1.2], [1.6, -0.4], [-0.2, 1.6], [1.8, 1.8]]
        covs = [_cov(0.6, 0.2, 30), _cov(0.3, 0.3, 0), _cov(0.8, 0.35, -45), _cov(0.4, 0.15, 60)]
    return np.array(means[:k], dtype=np.float64), np.array(covs[:k])


# --- the model ------------------------------------------------------------------------------


def parse_weights(raw: str, count: int = 3) -> tuple[float, ...]:
    """A weights query value (``w``, ``w2``, ``w4``): ``count`` non-negative finite numbers,
    not all zero (rescaled to sum to one and rounded as the page keeps them;
    :func:`weight_notices` says so).

    >>> parse_weights("1,1,2")
    (0.25, 0.25, 0.5)
    >>> parse_weights("1,3", 2), parse_weights("1,1,1,1", 4)
    ((0.25, 0.75), (0.25, 0.25, 0.25, 0.25))
    """
    values = np.asarray(query.float_list(count, count, 0.0, 1e6)(raw))
    if values.sum() <= 0:
        raise ValueError("the weights are all zero")
    return tuple(round_weights(values / values.sum()).tolist())


def weight_notices(raw: str | None, count: int = 3, key: str = "w") -> list[str]:
    """What the page says when a link's weights did not sum to one.

    >>> weight_notices("1,1,2")
    ["The link's weights summed to 4; they were rescaled to sum to one (0.25, 0.25, 0.5)."]
    >>> weight_notices("0.2,0.3,0.5"), weight_notices("x"), weight_notices("1,1,1", 2)
    ([], [], [])
    >>> weight_notices("1,1", 2, "w2")
    ["The link's weights 'w2' summed to 2; they were rescaled to sum to one (0.5, 0.5)."]
    """
    if raw is None:
        return []
    try:
        values = np.asarray(query.float_list(count, count, 0.0, 1e6)(raw))
    except ValueError:
        return []
    total = float(values.sum())
    if total <= 0 or abs(total - 1.0) <= 1e-3:
        return []
    w = parse_weights(raw, count)
    name = "" if key == "w" else f" '{key}'"
    return [
        f"The link's weights{name} summed to {total:g}; they were rescaled to sum to one "
        f"({', '.join(f'{v:g}' for v in w)})."
    ]


class BarycenterModel(param.Parameterized):
    """What a link can carry: the view, the weights, each view's inputs."""

    view = param.Selector(default="line", objects=list(VIEWS.values()), label="View")
    k = param.Selector(default=3, objects=list(COUNTS), label="Measures")
    w = param.Tuple(default=DEFAULT_W, length=3, label="Weights")
    w2 = param.Tuple(default=DEFAULT_W2, length=2, label="Weights of two")
    w4 = param.Tuple(default=DEFAULT_W4, length=4, label="Weights of four")
    line_preset = param.Selector(default="bumps", objects=list(LINE_PRESETS.values()))
    h1 = param.Array(default=None)
    h2 = param.Array(default=None)
    h3 = param.Array(default=None)
    shapes = param.Selector(
        default="disk_diamond_ring", objects=list(SHAPE_PRESETS.values()), label="Shapes"
    )
    reg = param.Selector(default=0.004, objects=list(REG_CHOICES), label="Entropy")
    gauss = param.Selector(default="turned", objects=list(GAUSS_PRESETS.values()))

    def __init__(self, **params):
        preset = line_preset(params.get("line_preset", "bumps"))
        for k, name in enumerate(("h1", "h2", "h3")):
            h = params.get(name)
            if h is None:
                params[name] = preset[k]
            elif np.asarray(h).size != N_LINE:
                params[name] = fit_heights(np.asarray(h, dtype=np.float64), N_LINE)
        super().__init__(**params)

        # One watcher for the preset and the bars: a link sets them in one batch, and its
        # bars must win over the preset's.
        self.param.watch(self._preset_chosen, ["line_preset", "h1", "h2", "h3"])

    def _preset_chosen(self, *events) -> None:
        names = {e.name for e in events}
        if "line_preset" in names and not names & {"h1", "h2", "h3"}:
            h1, h2, h3 = line_preset(self.line_preset)
            self.param.update(h1=h1, h2=h2, h3=h3)

    @property
    def count(self) -> int:
        """How many measures the current view averages (the line view: three)."""
        return 3 if self.view == "line" else int(self.k)

    @property
    def weight_tuple(self) -> tuple[float, ...]:
        return {2: self.w2, 3: self.w, 4: self.w4}[self.count]

    @property
    def weights(self) -> np.ndarray:
        return np.asarray(self.weight_tuple, dtype=np.float64)

    @property
    def hists(self) -> np.ndarray:
        return np.stack([self.h1, self.h2, self.h3])

    def line_summary(self) -> LineSummary:
        return line_summary(self.hists, self.weights)

    def gauss_summary(self) -> GaussSummary:
        return gauss_summary(*gauss_preset(self.gauss, self.count), self.weights)


@dataclass(frozen=True)
class LineSummary:
    """The barycenter on the line, the Euclidean average, and the neighbours' objectives."""

    x: np.ndarray
    bary: object  # ot_engine.Barycenter1D
    mixture: np.ndarray
    neighbours: tuple[tuple[str, str, float], ...]  # (key, label, objective)


#: The shift tried on either side: one bin.
SHIFT = 1.0 / N_LINE
#: The stretch about the mean.
STRETCH = 1.05
#: How far the "other weights" neighbour moves toward each corner.
WEIGHT_STEP = 0.05


def line_summary(H: np.ndarray, w: np.ndarray) -> LineSummary:
    """Barycenter, Euclidean average and the objective of each neighbour (exact numbers)."""
    x = uniform_grid(H.shape[1])
    bary = barycenter_1d(x, H, w)
    P = H / H.sum(axis=1, keepdims=True)
    mixture = w @ P
    pos, mass, Q = bary.positions, bary.masses, bary.quantiles
    mean = float(pos @ mass)

    def objective(positions):
        """J of atoms on the barycenter's own level pieces: every input's quantile function
        is constant on them, so J is a finite sum (exact, as in the proof)."""
        return float(w @ (((Q - positions) ** 2) @ mass))

    rows = [
        ("bary", "the barycenter ν*", bary.objective),
        ("euclid", "Euclidean average Σ wₖ μₖ", barycenter_objective_1d(x, mixture, x, H, w)),
        ("left", "ν* shifted left by one bin", objective(pos - SHIFT)),
        ("right", "ν* shifted right by one bin", objective(pos + SHIFT)),
        (
            "stretch",
            f"ν* stretched ×{STRETCH:g} about its mean",
            objective(mean + STRETCH * (pos - mean)),
        ),
    ]
    for k in range(3):
        # the barycenter for other weights lives on the same pieces: its atoms are other @ Q
        other = (1 - WEIGHT_STEP) * w + WEIGHT_STEP * np.eye(3)[k]
        rows.append(
            (
                f"toward{k + 1}",
                f"barycenter for weights nudged toward μ{k + 1}",
                objective(other @ Q),
            )
        )
    return LineSummary(x=x, bary=bary, mixture=mixture, neighbours=tuple(rows))


@dataclass(frozen=True)
class GaussSummary:
    means: np.ndarray
    covs: np.ndarray
    bary: object  # ot_engine.GaussianBarycenter
    euclid_cov: np.ndarray
    euclid_objective: float
    pot_cov_gap: float


def gauss_summary(means, covs, w) -> GaussSummary:
    bary = bures_barycenter(means, covs, w)
    euclid = np.einsum("k,kij->ij", w, covs)
    euclid_obj = sum(
        wk * bures_w2_squared(bary.mean, euclid, m, S)
        for wk, m, S in zip(w, means, covs, strict=True)
    )
    _, pot_cov = ot.gaussian.bures_wasserstein_barycenter(means, covs, w, eps=1e-12, num_iter=2000)
    return GaussSummary(
        means=means,
        covs=covs,
        bary=bary,
        euclid_cov=euclid,
        euclid_objective=float(euclid_obj),
        pot_cov_gap=float(np.abs(np.asarray(pot_cov) - bary.cov).max()),
    )


def fmt(v: float) -> str:
    """An objective as the page and the notebook print it.

    >>> fmt(0.0123456), fmt(3.2e-7)
    ('0.012346', '3.200e-07')
    """
    return f"{v:.6f}" if abs(v) >= 1e-3 else f"{v:.3e}"


# --- deep links -------------------------------------------------------------------------------


def _parse_reg(raw: str) -> float:
    value = query.float_in(0.0, 1.0)(raw)
    for allowed in REG_CHOICES:
        if math.isclose(value, allowed, rel_tol=1e-9):
            return allowed
    raise ValueError("not one of " + ", ".join(f"{r:g}" for r in REG_CHOICES))


def _parse_bars(raw: str) -> np.ndarray:
    """A histogram of the link on the page's bins (rebinned if it had another count).

    >>> _parse_bars("1,0").size
    48
    """
    return fit_heights(parse_heights(raw), N_LINE)


def _format_weights(w) -> str:
    return ",".join(f"{v:g}" for v in w)


QUERY_KEYS = (
    query.QueryKey("view", "view", query.choice(*VIEWS.values())),
    query.QueryKey("k", "k", query.int_in(2, 4), str),
    query.QueryKey("w", "w", parse_weights, _format_weights),
    query.QueryKey("w2", "w2", partial(parse_weights, count=2), _format_weights),
    query.QueryKey("w4", "w4", partial(parse_weights, count=4), _format_weights),
    query.QueryKey("preset", "line_preset", query.choice(*LINE_PRESETS.values())),
    query.QueryKey("h1", "h1", _parse_bars, query.format_list),
    query.QueryKey("h2", "h2", _parse_bars, query.format_list),
    query.QueryKey("h3", "h3", _parse_bars, query.format_list),
    query.QueryKey("shapes", "shapes", query.choice(*SHAPE_PRESETS.values())),
    query.QueryKey("reg", "reg", _parse_reg, lambda v: f"{v:g}"),
    query.QueryKey("gauss", "gauss", query.choice(*GAUSS_PRESETS.values())),
)


# --- the page -----------------------------------------------------------------------------------


#: The barycenter's height on the line in an embedded view (under the three measures).
EMBED_LINE_HEIGHT = 160


class BarycenterPage(NotebookPage):
    """Weight triangle, the view's figure and readouts, the text (one instance per session)."""

    slug = SLUG
    embed_height_scale = None  # its own embed view (_embed_view, _embed_section)
    model_class = BarycenterModel
    query_keys = QUERY_KEYS
    figure_label = "Barycenters: two to four measures, their weights and their Wasserstein average"

    def __init__(self, model: BarycenterModel | None = None, **params):
        super().__init__(model, **params)
        m = self.model
        self.dark = shell.is_dark()
        self.triangle = WeightTriangle(m.w, self._on_triangle, size=240)
        self.weights_note = pn.pane.HTML(
            weights_text(m.weight_tuple), margin=(0, 10), styles={"font-size": "1rem"}
        )
        self.readouts = ReadoutTable(
            columns=[["bary-value", "value"]],
            label_header="quantity",
            label_width="62%",
            caption="The barycenter's objective Σ wₖ W₂²(·, μₖ) and its neighbours'",
            table_class="bary-readouts",
            stylesheets=[
                "table.bary-readouts th.ot-readout-label { white-space: normal; }",
                "table.bary-readouts td.bary-value { white-space: normal; overflow: visible; }",
            ],
            sizing_mode="stretch_width",
            max_width=640,
            min_height=220,
        )
        text = {"font-size": "1rem"}
        self.status = pn.pane.Markdown("", sizing_mode="stretch_width", styles=text, margin=(0, 10))
        self.progress = pn.pane.HTML(
            shell.progress_bar(0, _PROGRESS),
            visible=False,
            sizing_mode="stretch_width",
            margin=(0, 10),
        )
        self.problem = ""
        self._from_triangle = False
        self.sections: dict[str, pn.viewable.Viewable] = {}
        #: The figure row: the weight picker, then the view's figures (one flat, wrapping row,
        #: so a phone stacks them and a wide screen lines them up).
        self.row = pn.FlexBox(gap="0 12px", sizing_mode="stretch_width")
        # the 2-D solve: its last finished result and the request it answered
        self.grid_result = None
        self.grid_key: tuple | None = None
        self._grid_pending: tuple | None = None
        self._grid_error = ""
        self._job = workers.Job(
            self._grid_done,
            on_error=self._grid_failed,
            on_progress=self._grid_progress,
            delay_ms=GRID_DELAY_MS,
        )
        live = compat.AttributedColumn(
            self.weights_note,
            self.status,
            self.progress,
            html_attributes={"aria-live": "polite"},
            sizing_mode="stretch_width",
            min_height=40,
        )
        self.triangle_pane = pn.pane.Bokeh(self.triangle.figure, sizing_mode="fixed")
        #: K = 2 and K = 4 weight sliders, built the first time they are shown.
        self.sliders: dict[int, list[pn.widgets.FloatSlider]] = {}
        self.picker_live = live
        self.picker = pn.Column(self.triangle_pane, live, width=250, sizing_mode="fixed")
        self._build_controls()
        self._show_view(solve=False)
        # The first grid solve starts once the browser has the page (at once without a
        # server): its progress and result then patch a document the browser already holds.
        pn.state.onload(self._first_solve)
        m.param.watch(self._on_view, ["view"])
        m.param.watch(self._on_weights, ["w", "w2", "w4", "k"])
        m.param.watch(self._on_hists, ["h1", "h2", "h3"])
        m.param.watch(lambda *_e: self._request_grid(), ["shapes", "reg"])
        m.param.watch(lambda *_e: self._paint(), ["gauss"])

    # --- sections, built on first view ------------------------------------------------------

    def _section(self, view: str) -> list[pn.viewable.Viewable]:
        if view not in self.sections:
            self.sections[view] = getattr(self, f"_build_{view}")()
            if self.embed and view == "line":
                self._embed_line()
        return self.sections[view]

    def _embed_line(self) -> None:
        """Embedded: the barycenter under the measures takes the row's width, lower."""
        bars_pane = self.sections["line"][1]
        self.line_fig.figure.update(
            sizing_mode="stretch_width", min_width=300, height=EMBED_LINE_HEIGHT
        )
        bars_pane.param.update(sizing_mode="stretch_width", min_width=300)

    def _build_line(self) -> list[pn.viewable.Viewable]:
        m = self.model
        x = uniform_grid(N_LINE)
        self.flow = Flow(self._apply_bars, name="bary_answer")
        self.histograms = {
            name: Histogram(
                x,
                getattr(m, name),
                flow=self.flow,
                key=name,
                normalize=round_heights,
                title=f"μ{k + 1}: drag the bars",
                label=f"histogram μ{k + 1}",
                color=MEASURE_COLORS[k],
                width=280,
                height=110,
                name=f"bary_{name}",
            )
            for k, name in enumerate(("h1", "h2", "h3"))
        }
        self.line_fig = LineFigure(x, 300, 250)
        self.line_fig.figure.tags = [self.flow.answer_source]
        bars = pn.Column(
            *(pn.pane.Bokeh(h.figure, sizing_mode="fixed") for h in self.histograms.values()),
            width=290,
            sizing_mode="fixed",
        )
        return [bars, pn.pane.Bokeh(self.line_fig.figure, sizing_mode="fixed")]

    def _build_grid(self) -> list[pn.viewable.Viewable]:
        self.grid_fig = GridFigure(N_GRID, self.dark, 340)
        return [pn.pane.Bokeh(self.grid_fig.figure, sizing_mode="fixed")]

    def _build_gauss(self) -> list[pn.viewable.Viewable]:
        self.gauss_fig = GaussFigure(340)
        return [pn.pane.Bokeh(self.gauss_fig.figure, sizing_mode="fixed")]

    def _weight_sliders(self, count: int) -> list[pn.widgets.FloatSlider]:
        """One slider per measure (K = 4, linked: moving one rescales the others), or for
        K = 2 one slider for the weight of μ₂ (μ₁ takes the rest)."""
        if count not in self.sliders:
            key = f"w{count}"
            w = getattr(self.model, key)
            ks = (1,) if count == 2 else range(count)
            rest = " (μ₁ takes the rest)"
            self.sliders[count] = [
                pn.widgets.FloatSlider(
                    label=f"weight of {MEASURE_NAMES[k]}" + (rest if count == 2 else ""),
                    start=0.0,
                    end=1.0,
                    step=0.01,
                    value=float(w[k]),
                    format="0.00",
                    width=230,
                    margin=(4, 10),
                )
                for k in ks
            ]
            for slider, k in zip(self.sliders[count], ks, strict=True):
                slider.param.watch(partial(self._on_slider, count, k), ["value"])
        return self.sliders[count]

    def _on_slider(self, count: int, k: int, event) -> None:
        key = f"w{count}"
        w = getattr(self.model, key)
        try:
            value = float(event.new)
        except (TypeError, ValueError):
            value = math.nan
        if not math.isfinite(value):  # only a forged message sends this: put the slider back
            self.status.object = (
                "A weight slider sent a value that is not a number; the last weights are kept."
            )
            event.obj.value = float(w[k])
            return
        if abs(value - w[k]) < 5e-4:  # the page itself moved it
            return
        if self.status.object.startswith("A weight slider"):  # a valid value: the note goes
            self.status.object = ""
        setattr(self.model, key, tuple(linked_weights(w, k, value).tolist()))

    def _sync_sliders(self) -> None:
        count = self.model.count
        if count in self.sliders:
            w = getattr(self.model, f"w{count}")
            ks = (1,) if count == 2 else range(count)
            for slider, k in zip(self.sliders[count], ks, strict=True):
                if abs(slider.value - w[k]) >= 5e-4:
                    slider.value = float(w[k])

    def _show_picker(self) -> None:
        count = self.model.count
        top = [self.triangle_pane] if count == 3 else self._weight_sliders(count)
        # embedded, the controls go under the weights (_embed_view)
        tail = [self.picker_live, self.control_panel] if self.embed else [self.picker_live]
        self.picker.objects = [*top, *tail]
        self._sync_sliders()
        self.weights_note.object = weights_text(self.model.weight_tuple)

    def _show_view(self, solve: bool = True) -> None:
        view = self.model.view
        self._show_picker()
        self.row.objects = [self.picker, *self._section(view)]
        for name, widget in self.view_controls.items():
            widget.visible = name == view
        self.count_control.visible = view != "line"
        if self.embed:  # room kept for the weights, a solve's status and its progress bar, so
            # the controls under them do not move while a grid solve runs (the line has none)
            self.picker_live.min_height = 72 if view == "line" else 100
        if view == "grid" and solve:
            self._request_grid()
        self._paint()

    def _first_solve(self) -> None:
        if self.model.view == "grid":
            self._request_grid()
            self._paint()

    # --- events ------------------------------------------------------------------------------

    def _on_view(self, *_e) -> None:
        self._show_view()

    def _on_triangle(self, w: np.ndarray, _settled: bool) -> None:
        self._from_triangle = True
        try:
            self.model.w = tuple(float(v) for v in w)
        finally:
            self._from_triangle = False

    def _on_weights(self, *events) -> None:
        names = {e.name for e in events}
        if "w" in names and not self._from_triangle:  # a link or a test: move the point
            self.triangle.update(self.model.w)
        if "k" in names:
            self._show_picker()
        self._sync_sliders()
        self.weights_note.object = weights_text(self.model.weight_tuple)
        if self.model.view == "grid":
            self._request_grid()
        self._paint()

    def _apply_bars(self, update: dict) -> None:
        m = self.model
        good, empty = {}, []
        for name, h in update.items():
            if h.size != N_LINE:
                continue
            if not h.any():
                empty.append(name)
            else:
                good[name] = h
        self.problem = (
            f"Histogram μ{empty[0][1]} has no mass: give one bar some height. "
            "The last valid bars are kept."
            if empty
            else ""
        )
        with pn.io.hold(self.flow.document):
            if good:
                m.param.update(**good)
            for name in empty:  # put the kept bars back
                self.histograms[name].heights = np.zeros(N_LINE)
                self.histograms[name].update(getattr(m, name))
            if not good:
                self._paint()

    def _on_hists(self, *_e) -> None:
        if "line" in self.sections:
            for name, hist in self.histograms.items():
                hist.update(getattr(self.model, name))
        self._paint()

    # --- the 2-D solve ---------------------------------------------------------------------------

    def _request_grid(self) -> None:
        if self.model.view != "grid":
            return
        m = self.model
        key = (m.shapes, float(m.reg), m.count, m.weight_tuple)
        if self.grid_key == key and self.grid_result is not None and not self._job.busy:
            return
        warm = None
        if self.grid_result is not None and self.grid_key[:3] == key[:3]:
            warm = self.grid_result.log_v
        self._grid_pending = key
        self._grid_error = ""
        self._job.submit(
            partial(
                convolutional_barycenter_2d,
                grid_shapes(m.shapes, N_GRID, m.count),
                m.weights.copy(),
                float(m.reg),
                tol=GRID_TOL,
                max_iter=GRID_MAX_ITER,
                max_time=GRID_BUDGET,
                warm_start=warm,
            ),
            key=("barycenters.grid", key),
        )
        if self._job.busy:
            self.progress.param.update(object=shell.progress_bar(0, _PROGRESS), visible=True)
            self.status.object = "Solving…"

    def _grid_done(self, result) -> None:
        self.grid_result, self.grid_key = result, self._grid_pending
        self.progress.visible = False
        self.status.object = ""
        self._paint()

    def _grid_failed(self, message: str) -> None:
        self._grid_error = message
        self.progress.visible = False
        self.status.object = f"**Could not solve:** {message}. The last result is kept."
        self._paint()

    def _grid_progress(self, fraction: float, text: str) -> None:
        self.progress.param.update(object=shell.progress_bar(fraction, _PROGRESS), visible=True)
        self.status.object = f"Solving: {text}…"

    # --- drawing ----------------------------------------------------------------------------------

    def _paint(self) -> None:
        view = self.model.view
        try:
            rows = getattr(self, f"_paint_{view}")()
        except InvalidInput as err:
            rows = [readout("problem", "problem", str(err))]
        if self.problem and view == "line":
            rows.insert(0, readout("problem", "problem", self.problem, flag=self.problem))
        self.readouts.rows = rows
        if view == "line" and "line" in self.sections:
            self.flow.answer()

    def _paint_line(self) -> list[list[str]]:
        s = self.model.line_summary()
        self.line_fig.update(s.bary.on_grid(s.x), s.mixture)
        best = s.neighbours[0][2]
        rows = [readout("bary", "objective of the barycenter ν*", fmt(best))]
        for key, label, value in s.neighbours[1:]:
            flag = "" if value >= best - 1e-12 else "below the barycenter: a bug"
            rows.append(readout(key, label, f"{fmt(value)} (+{fmt(value - best)})", flag=flag))
        rows.append(readout("atoms", "atoms of ν* (exact)", str(s.bary.positions.size)))
        return rows

    def _paint_grid(self) -> list[list[str]]:
        m = self.model
        shapes = grid_shapes(m.shapes, N_GRID, m.count)
        r = self.grid_result
        now = (m.shapes, float(m.reg), m.count)
        fresh = r is not None and self.grid_key == (*now, m.weight_tuple)
        same_shapes = r is not None and self.grid_key[:3] == now
        self.grid_fig.update(shapes, r.image if same_shapes else None)
        if not same_shapes:
            why = self._grid_error or "solving…"
            return [readout("grid", "entropic barycenter", why)]
        flag = "" if r.converged else "did not converge: the image is not reliable"
        shown = (
            ""
            if fresh
            else " (for the weights " + ", ".join(f"{v:g}" for v in self.grid_key[3]) + ")"
        )
        return [
            readout(
                "gerr",
                "marginal error Σ wₖ |Pₖᵀ1 − ν|₁" + shown,
                f"{r.marginal_error:.1e}",
                flag=flag,
            ),
            readout("gconv", "converged", "yes" if r.converged else "no"),
            readout("giter", "sweeps", str(r.iterations)),
            readout("gwarm", "warm start from the last result", "yes" if r.warm_started else "no"),
            readout("gcom", "centre of mass of ν (x, y)", _centre(r.image)),
            readout("greg", "reg (squared side of the square = 1)", f"{r.reg:g}"),
            readout("gtime", "solver time", f"{1e3 * r.solve_time:.0f} ms"),
        ]

    def _paint_gauss(self) -> list[list[str]]:
        g = self.model.gauss_summary()
        b = g.bary
        self.gauss_fig.update(g.means, g.covs, b.mean, b.cov, g.euclid_cov)
        S = b.cov
        flag = "" if b.converged else "the fixed point did not converge"
        return [
            readout("gobj", "objective of the Bures barycenter", fmt(b.objective), flag=flag),
            readout(
                "geuc",
                "same mean, averaged covariance Σ wₖ Σₖ",
                f"{fmt(g.euclid_objective)} (+{fmt(g.euclid_objective - b.objective)})",
            ),
            readout(
                "gmean",
                "mean of the barycenter",
                f"({round(b.mean[0], 4) + 0.0:.4f}, {round(b.mean[1], 4) + 0.0:.4f})",
            ),
            readout(
                "gcov",
                "its covariance",
                f"[[{S[0, 0]:.4f}, {S[0, 1]:.4f}], [{S[1, 0]:.4f}, {S[1, 1]:.4f}]]",
            ),
            readout("giters", "fixed-point steps", str(b.iterations)),
            readout("gres", "last step's change", f"{b.residual:.1e}"),
            readout("gpot", "largest gap to POT's fixed point", f"{g.pot_cov_gap:.1e}"),
        ]

    # --- layout ---------------------------------------------------------------------------------

    def _build_controls(self) -> None:
        m = self.model
        wide = {"sizing_mode": "stretch_width"}
        self.view_controls = {
            "line": pn.widgets.Select.from_param(
                m.param.line_preset, options=LINE_PRESETS, name="Histograms", **wide
            ),
            "grid": pn.Column(
                pn.widgets.Select.from_param(m.param.shapes, options=SHAPE_PRESETS, **wide),
                pn.widgets.Select.from_param(m.param.reg, options=REG_LABELS, **wide),
                **wide,
            ),
            "gauss": pn.widgets.Select.from_param(
                m.param.gauss, options=GAUSS_PRESETS, name="Gaussians", **wide
            ),
        }
        self.count_control = pn.widgets.RadioButtonGroup.from_param(
            m.param.k,
            options={f"K = {k}": k for k in COUNTS},
            name="How many measures",
            **wide,
        )
        self.control_panel = pn.Column(
            pn.widgets.RadioButtonGroup.from_param(m.param.view, options=VIEWS, **wide),
            self.count_control,
            *self.view_controls.values(),
            **wide,
        )

    def controls(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.control_panel  # embedded: under the triangle

    def figure(self) -> pn.viewable.Viewable:
        caption = pn.pane.Markdown(
            "Three measures: drag the point in the triangle (or focus it and use the arrow "
            "keys); a corner puts all the weight on one measure. Two or four measures (grid and "
            "Gaussians): move the sliders; the others rescale so the weights sum to one. On the "
            "line, drag the bars of μ₁, μ₂, μ₃.",
            sizing_mode="stretch_width",
            styles={"color": theme.caption_color(self.dark), "font-size": "1rem"},
        )
        if self.embed:
            return self._embed_view()
        return pn.Column(self.row, self.readouts, caption, sizing_mode="stretch_width")

    def _embed_view(self) -> pn.viewable.Viewable:
        """A 700 x 600 iframe: the triangle with the controls under it, the measures and the
        barycenter; the readout table and the caption are left to the full page (linked)."""
        self._show_picker()
        link = self.full_page_link("the table of numbers and how to use the figure")
        return pn.Column(self.row, link, sizing_mode="stretch_width")

    # --- take it home -------------------------------------------------------------------------

    def takehome(self) -> TakeHome:
        from pages.barycenters_takehome import takehome

        return takehome(self.model)

    def caption_lines(self) -> list[str]:
        return [f"{row[1]}: {row[3]}" for row in self.readouts.rows]

    @classmethod
    def link_notices(cls, model: BarycenterModel, query: dict[str, str]) -> list[str]:
        notices = weight_notices(query.get("w"))
        notices += weight_notices(query.get("w2"), 2, "w2")
        notices += weight_notices(query.get("w4"), 4, "w4")
        for name in ("h1", "h2", "h3"):
            raw = query.get(name)
            if raw is None or len([v for v in raw.split(",") if v.strip()]) == N_LINE:
                continue
            try:
                _parse_bars(raw)
            except ValueError:
                continue  # refused: parse_query said so
            notices.append(
                f"The link's '{name}' did not have {N_LINE} bars; it was rebinned to {N_LINE}."
            )
        return notices


def _centre(image: np.ndarray) -> str:
    """Centre of mass of an image indexed [y, x] from the top, on the unit square.

    >>> img = np.zeros((3, 3)); img[0, 2] = 1.0
    >>> _centre(img)
    '(1.000, 1.000)'
    """
    t = np.linspace(0.0, 1.0, image.shape[0])
    return f"({image.sum(0) @ t:.3f}, {image.sum(1) @ (1 - t):.3f})"


#: What the page's progress bar measures (its accessible name).
_PROGRESS = "progress of the barycenter solve"
