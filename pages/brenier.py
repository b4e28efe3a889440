"""Brenier's potential: a convex surface whose gradient carries one Gaussian onto another.

The student sets two Gaussians in the plane (the source p sits at the origin, the target q is
moved by the separation), rotates the potential phi drawn as a surface, and slides t to move
samples along the straight paths x -> T(x) = grad phi(x). Every number comes from ot_engine;
this module only lays the numbers out for the drawing and the readouts.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import panel as pn
import param

import ot_engine as oe
from ot_engine.brenier_scene import (
    SampledW2Spread,
    covariance_from_axes,
    density_contour,
    sampled_w2_spread,
)
from pages import compat, query, shell, workers
from pages.brenier_surface import BrenierSurface
from pages.page import NotebookPage
from pages.takehome import TakeHome

SLUG = "brenier"
#: The base plane is the square [-HALF_WIDTH, HALF_WIDTH]^2; the potential is drawn on a
#: GRID_N x GRID_N mesh of it (41 x 41 draws in a few ms per frame on Canvas 2D).
HALF_WIDTH = 5.0
GRID_N = 41
MEAN_P = (0.0, 0.0)
SEPARATION_LIMIT = 3.5
SPREAD_BOUNDS = (0.3, 2.0)
EL_MIN = 5.0
LAYERS = ("surface", "levels", "arrows", "source", "target", "samples", "probe")
SAMPLE_SIZES = (10, 30, 100, 300, 1000)
#: Density contours drawn for p (and, through T, for q): Mahalanobis radii 1 and 2.
RING_LEVELS = (1.0, 2.0)
RING_SIZE = 72
#: Arrows start on a 7 x 7 grid over p's 2-sigma box, kept inside 2.2 sigma.
ARROW_GRID = 7
SAMPLE_SEED = 7
#: Independent draws behind the sampled estimate, per sample size: many where a draw costs
#: well under a millisecond, few where one exact solve takes ~150 ms (n = 1000), so one
#: estimate stays near or under half a second of solver time.
REPEATS = {10: 20, 30: 20, 100: 20, 300: 8, 1000: 3}
#: Draw ``k`` of the "new draws" button starts at seed SAMPLE_SEED + SEED_STRIDE * k, so the
#: draws of different presses never share a seed (each repeat uses two seeds).
SEED_STRIDE = 2 * max(REPEATS.values())
MAX_DRAW = 99_999
#: The sampled estimate waits for the controls to rest this long (ms) before it solves.
ESTIMATE_DELAY_MS = 150
#: The estimate's box keeps this height while it solves, so the page does not jump.
READOUT_MIN_HEIGHT = 110
FIGURE_HEIGHT = 600
EMBED_FIGURE_HEIGHT = 420


class BrenierModel(param.Parameterized):
    """State of the figure: the two Gaussians, what is shown, and the view."""

    sigma_p = param.Number(0.8, bounds=SPREAD_BOUNDS, step=0.05, label="Source spread σ_p")
    sigma_q = param.Number(1.3, bounds=SPREAD_BOUNDS, step=0.05, label="Target spread σ_q")
    dx = param.Number(
        1.5,
        bounds=(-SEPARATION_LIMIT, SEPARATION_LIMIT),
        step=0.05,
        label="Separation μ_q − μ_p, first coordinate",
    )
    dy = param.Number(
        1.0,
        bounds=(-SEPARATION_LIMIT, SEPARATION_LIMIT),
        step=0.05,
        label="Separation μ_q − μ_p, second coordinate",
    )
    anisotropic = param.Boolean(False, label="General target covariance")
    q_sx = param.Number(1.4, bounds=SPREAD_BOUNDS, step=0.05, label="Target spread, first axis")
    q_sy = param.Number(0.5, bounds=SPREAD_BOUNDS, step=0.05, label="Target spread, second axis")
    q_angle = param.Number(30.0, bounds=(-90.0, 90.0), step=1.0, label="Target axis angle (°)")
    t = param.Number(0.0, bounds=(0.0, 1.0), step=0.01, label="Time t along (1−t)x + tT(x)")
    layers = param.ListSelector(default=list(LAYERS), objects=list(LAYERS), label="Layers")
    n_samples = param.Selector(default=300, objects=list(SAMPLE_SIZES), label="Samples per side")
    draw = param.Integer(0, bounds=(0, MAX_DRAW), doc="which set of random draws (new draws: +1)")
    mx = param.Number(
        1.0, bounds=(-HALF_WIDTH, HALF_WIDTH), step=0.05, label="Point x, first coordinate"
    )
    my = param.Number(
        0.5, bounds=(-HALF_WIDTH, HALF_WIDTH), step=0.05, label="Point x, second coordinate"
    )
    az = param.Number(-30.0, bounds=(-180.0, 180.0), label="Azimuth (°)")
    el = param.Number(30.0, bounds=(EL_MIN, 90.0), label="Elevation (°)")

    GEOMETRY = ("sigma_p", "sigma_q", "dx", "dy", "anisotropic", "q_sx", "q_sy", "q_angle")

    # --- the two Gaussians -----------------------------------------------------------------

    @property
    def mean_p(self) -> np.ndarray:
        return np.array(MEAN_P)

    @property
    def mean_q(self) -> np.ndarray:
        return np.array(MEAN_P) + np.array([self.dx, self.dy])

    @property
    def cov_p(self) -> np.ndarray:
        return covariance_from_axes(self.sigma_p, self.sigma_p, 0.0)

    @property
    def cov_q(self) -> np.ndarray:
        if self.anisotropic:
            return covariance_from_axes(self.q_sx, self.q_sy, self.q_angle)
        return covariance_from_axes(self.sigma_q, self.sigma_q, 0.0)

    def gaussians(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.mean_p, self.cov_p, self.mean_q, self.cov_q

    # --- what the figure draws ---------------------------------------------------------------

    def transport_map(self, x) -> np.ndarray:
        """T(x) = grad phi(x), the optimal map (ot_engine's closed form)."""
        return oe.gaussian_brenier_map(x, *self.gaussians())

    def potential(self, x) -> np.ndarray:
        """phi(x), the convex Brenier potential (ot_engine's closed form)."""
        return oe.gaussian_brenier_potential(x, *self.gaussians())

    def base_grid(self) -> np.ndarray:
        """The mesh of the base plane, shape (GRID_N, GRID_N, 2): [j, i] = (grid[i], grid[j])."""
        axis = np.linspace(-HALF_WIDTH, HALF_WIDTH, GRID_N)
        x1, x2 = np.meshgrid(axis, axis)
        return np.stack([x1, x2], axis=-1)

    def heights(self) -> np.ndarray:
        return self.potential(self.base_grid())

    def arrow_starts(self) -> np.ndarray:
        side = np.linspace(-2.0, 2.0, ARROW_GRID) * self.sigma_p
        u, v = np.meshgrid(side, side)
        starts = np.stack([u.ravel(), v.ravel()], axis=1)
        starts = starts[np.hypot(starts[:, 0], starts[:, 1]) <= 2.2 * self.sigma_p]
        return starts + self.mean_p

    def source_rings(self) -> np.ndarray:
        """Density contours of p, shape (len(RING_LEVELS) * RING_SIZE, 2)."""
        mp, cp, _, _ = self.gaussians()
        return np.concatenate([density_contour(mp, cp, r, RING_SIZE) for r in RING_LEVELS])

    @property
    def repeats(self) -> int:
        return REPEATS[int(self.n_samples)]

    @property
    def seed(self) -> int:
        """Base seed of the current draws; the first draw's source samples use it."""
        return SAMPLE_SEED + SEED_STRIDE * int(self.draw)

    def source_samples(self) -> np.ndarray:
        """The n source samples of the estimate's first draw (the dots in the figure)."""
        return oe.sample_gaussian(int(self.n_samples), self.mean_p, self.cov_p, self.seed)

    def closed_form_w2(self) -> float:
        return oe.gaussian_w2(*self.gaussians())

    def map_matrix(self) -> np.ndarray:
        return oe.gaussian_map_matrix(self.cov_p, self.cov_q)

    def monge_ampere(self) -> oe.MongeAmpere:
        """Both sides of p(x) = q(grad phi(x)) det D^2 phi(x) at the chosen point x."""
        return oe.monge_ampere([self.mx, self.my], *self.gaussians())

    @property
    def estimate_key(self) -> tuple:
        """What the sampled estimate depends on: sessions asking the same share one solve."""
        return (
            "brenier.estimate",
            int(self.n_samples),
            self.repeats,
            self.seed,
            *(np.asarray(v).tobytes() for v in self.gaussians()),
        )

    def estimate_job(self) -> partial:
        """The sampled estimate as a call that reads nothing from the model when it runs
        (it may run on a worker thread while the model changes)."""
        return partial(
            sampled_w2_spread,
            int(self.n_samples),
            *(np.array(v, copy=True) for v in self.gaussians()),
            repeats=self.repeats,
            seed=self.seed,
        )

    def estimate(self) -> SampledW2Spread:
        """W2 from ``repeats`` independent draws of n samples of each, exact solves."""
        return self.estimate_job()()


def _small(value: float) -> str:
    """A tiny error as text: rounding-level values are shown as a bound, not as 0e+00."""
    return "below 1e-12" if value < 1e-12 else f"{value:.1e}"


def _bias_sentence(diff: float, se: float) -> str:
    """How the mean of the draws compares with the closed form, in words that match the numbers.

    ``diff`` is mean minus closed form, ``se`` the standard error of that mean. Sampling makes
    W2^2 too large on average (always); a few draws can land on either side of the closed form.
    """
    gap = f"{diff:+.3f} from the closed form"
    if not np.isfinite(se) or se <= 0:
        verdict = "a single draw has no standard error"
    elif abs(diff) <= 2 * se:
        verdict = "within 2 standard errors, so these draws cannot tell the bias from chance"
    elif diff > 0:
        verdict = "more than 2 standard errors above, as the upward bias of sampling predicts"
    else:
        verdict = "more than 2 standard errors below: chance, since the bias is upward"
    return (
        f"{gap}, {verdict}. Each draw is random; on average it comes out too large "
        "(spread and bias shrink as n grows)."
    )


def _monge_ampere_text(s: oe.MongeAmpere) -> str:
    """Both sides of the Monge-Ampere identity at the chosen point, as the page shows them."""
    gap = "below 1e-12" if s.relative_gap < 1e-12 else f"{s.relative_gap:.1e}"
    return (
        f"**Monge–Ampère at x = ({s.x[0]:.2f}, {s.x[1]:.2f}):** p(x) = {s.p_x:.5g}; "
        f"q(∇φ(x)) · det D²φ(x) = {s.q_tx:.5g} × {s.det_hessian:.4f} = {s.rhs:.5g} "
        f"(T(x) = ({s.tx[0]:.2f}, {s.tx[1]:.2f}); relative difference {gap})."
    )


def _pairs(x: np.ndarray, tx: np.ndarray) -> np.ndarray:
    """Flat float32 [x1, x2, T1, T2, ...]: compact for the wire, easy to walk in JS."""
    return np.concatenate([x, tx], axis=1).astype(np.float32).ravel()


# --- deep links --------------------------------------------------------------------------


def _bool_flag(raw: str) -> bool:
    if raw not in ("0", "1"):
        raise ValueError("must be 0 or 1")
    return raw == "1"


def _sample_size(raw: str) -> int:
    value = query.int_in(min(SAMPLE_SIZES), max(SAMPLE_SIZES))(raw)
    if value not in SAMPLE_SIZES:
        raise ValueError("must be one of " + ", ".join(str(n) for n in SAMPLE_SIZES))
    return value


def _layers(raw: str) -> list[str]:
    return list(query.word_set(*LAYERS)(raw))


QUERY_KEYS = (
    query.QueryKey("sigma_p", "sigma_p", query.float_in(*SPREAD_BOUNDS), query.format_float),
    query.QueryKey("sigma_q", "sigma_q", query.float_in(*SPREAD_BOUNDS), query.format_float),
    query.QueryKey(
        "dx", "dx", query.float_in(-SEPARATION_LIMIT, SEPARATION_LIMIT), query.format_float
    ),
    query.QueryKey(
        "dy", "dy", query.float_in(-SEPARATION_LIMIT, SEPARATION_LIMIT), query.format_float
    ),
    query.QueryKey("t", "t", query.float_in(0.0, 1.0), query.format_float),
    query.QueryKey("layers", "layers", _layers, query.format_words),
    query.QueryKey("mx", "mx", query.float_in(-HALF_WIDTH, HALF_WIDTH), query.format_float),
    query.QueryKey("my", "my", query.float_in(-HALF_WIDTH, HALF_WIDTH), query.format_float),
    query.QueryKey("az", "az", query.float_in(-180.0, 180.0), query.format_float),
    query.QueryKey("el", "el", query.float_in(EL_MIN, 90.0), query.format_float),
    query.QueryKey("n", "n_samples", _sample_size, str),
    query.QueryKey("draw", "draw", query.int_in(0, MAX_DRAW), str),
    query.QueryKey("aniso", "anisotropic", _bool_flag, lambda v: "1" if v else "0"),
    query.QueryKey("q_sx", "q_sx", query.float_in(*SPREAD_BOUNDS), query.format_float),
    query.QueryKey("q_sy", "q_sy", query.float_in(*SPREAD_BOUNDS), query.format_float),
    query.QueryKey("q_rot", "q_angle", query.float_in(-90.0, 90.0), query.format_float),
)


#: A float slider whose first change reaches Python after 15 ms instead of Panel's 50 ms.
#: Changes arriving inside the window are still coalesced (latest wins); the surface costs
#: well under a millisecond to recompute, so the shorter window keeps the figure in step.
_Slider = compat.set_debounce(pn.widgets.FloatSlider, 15)


# --- the page ----------------------------------------------------------------------------


#: Embedded view: the surface beside its main controls (stacked on a phone).
EMBED_CSS = """
:host { display: grid !important; grid-template-columns: minmax(0, 1fr) 15rem;
        gap: 0 0.75rem; align-items: start; }
@media (max-width: 560px) { :host { grid-template-columns: minmax(0, 1fr); } }
@media (min-width: 900px) { :host { grid-template-columns: minmax(0, 1fr); } }
"""
#: From 900 px the controls go in rows under the surface, which takes the whole width.
EMBED_SIDE_CSS = """
@media (min-width: 900px) {
  :host { display: grid !important; grid-template-columns: repeat(4, minmax(0, 1fr));
          gap: 0 0.75rem; align-items: start; }
}
"""


class BrenierPage(NotebookPage):
    """Figure, controls, readouts and text of the Brenier page (one instance per session)."""

    slug = SLUG
    embed_height_scale = None  # its own embed view (_embed_view)
    model_class = BrenierModel
    query_keys = QUERY_KEYS
    figure_svg = False  # the surface is a Canvas-2D drawing: PNG only

    def __init__(self, model: BrenierModel | None = None, **params):
        super().__init__(model, **params)
        self.surface = BrenierSurface(
            grid_n=GRID_N,
            half_width=HALF_WIDTH,
            ring_size=RING_SIZE,
            mean_p=list(MEAN_P),
            separation_limit=SEPARATION_LIMIT,
            el_min=EL_MIN,
            dark=shell.is_dark(),
            sizing_mode="stretch_width",
            # Embedded (a 700 px iframe), a lower canvas leaves the readouts in view.
            height=EMBED_FIGURE_HEIGHT if self.embed else FIGURE_HEIGHT,
            min_width=320,
        )
        # A minimum height: the text changes length as it solves; the page below must not jump.
        text = {"font-size": "1rem"}  # readable on a phone (Panel's Markdown default is 12 px)
        self.readout = pn.pane.Markdown(
            sizing_mode="stretch_width", min_height=READOUT_MIN_HEIGHT, styles=text
        )
        self.map_readout = pn.pane.Markdown(sizing_mode="stretch_width", styles=text)
        self.monge_ampere_readout = pn.pane.Markdown(
            sizing_mode="stretch_width", styles=text, margin=(0, 10)
        )
        # The exact solves run on the process's worker thread (pages.workers; POT's network
        # simplex releases the GIL), so a slider moved while they run is answered at once.
        self._estimate = workers.Job(
            self._show_estimate,
            on_error=self._show_problem,
            delay_ms=ESTIMATE_DELAY_MS,
            defer_under_load=True,
        )
        self._push_view()
        self._push_geometry()
        self._push_samples()
        self.surface.param.watch(self._from_view, ["az", "el", "t", "dx", "dy", "mx", "my"])
        self.model.param.watch(self._on_probe_change, ["mx", "my"])
        self.model.param.watch(self._on_view_change, ["az", "el", "t", "layers"])
        self.model.param.watch(self._on_geometry_change, list(BrenierModel.GEOMETRY))
        self.model.param.watch(self._on_samples_change, ["n_samples", "draw"])

    # --- model -> drawing ---------------------------------------------------------------

    def _push_view(self) -> None:
        m = self.model
        self.surface.param.update(az=m.az, el=m.el, t=m.t, layers=list(m.layers), dx=m.dx, dy=m.dy)

    def _push_geometry(self) -> None:
        m = self.model
        rings = m.source_rings()
        starts = m.arrow_starts()
        self.surface.param.update(
            heights=m.heights().astype(np.float32).ravel(),
            arrows=_pairs(starts, m.transport_map(starts)),
            rings=_pairs(rings, m.transport_map(rings)),
            mean_q=[float(v) for v in m.mean_q],
            dx=m.dx,
            dy=m.dy,
        )
        self.map_readout.object = self._map_text()
        self._push_probe()

    def _push_probe(self) -> None:
        m = self.model
        sides = m.monge_ampere()
        self.surface.param.update(mx=m.mx, my=m.my, probe=[*sides.x, *sides.tx])
        self.monge_ampere_readout.object = _monge_ampere_text(sides)

    # Each change's pushes (the surface's properties, two readouts, the samples) go out as one
    # message: every browser event is answered inside one document hold (server_setup.py).

    def _on_probe_change(self, *_events) -> None:
        self._push_probe()

    def _push_samples(self) -> None:
        x = self.model.source_samples()
        self.surface.samples = _pairs(x, self.model.transport_map(x))
        self._request_estimate()

    def _on_view_change(self, *_events) -> None:
        self._push_view()

    def _on_geometry_change(self, *_events) -> None:
        self._push_geometry()
        self._push_samples()

    def _on_samples_change(self, *_events) -> None:
        self._push_samples()

    # --- drawing -> model (angles and t on release; the separation while dragged) -------

    def _from_view(self, *events) -> None:
        # A separation that differs from the model's is the browser's (the page's own pushes
        # carry the model's values): it is answered below, whatever becomes of it.
        asked = any(
            e.name in ("dx", "dy", "mx", "my") and not e.new == getattr(self.model, e.name)
            for e in events
        )
        values = {}
        for event in events:
            bounds = self.model.param[event.name].bounds
            value = float(event.new)
            if not np.isfinite(value):
                continue
            values[event.name] = float(np.clip(value, *bounds))
        if values:
            self.model.param.update(**values)
        if asked:
            # Always answer a separation or a point (after what it moved): the browser holds
            # its next one until then (pages/brenier_surface.py, flow control).
            self.surface.ack += 1

    # --- readouts -----------------------------------------------------------------------

    def _request_estimate(self) -> None:
        """Schedule the sampled W2 once the controls rest for ESTIMATE_DELAY_MS.

        The exact solves take ~40 ms at n = 300 and ~450 ms at n = 1000 (see REPEATS): run on
        every event of a slider drag they would hold up the surface. Only the latest request
        runs (pages.workers.Job); without a server it is solved here and now.
        """
        self.readout.object = self._readout_text(None)
        self._estimate.submit(self.model.estimate_job(), key=self.model.estimate_key)

    def _show_estimate(self, estimate: SampledW2Spread | None) -> None:
        if estimate is None:
            self._show_problem("no result")
            return
        self.readout.object = self._readout_text(estimate)

    def _show_problem(self, problem: str) -> None:
        self.readout.object = self._readout_text(None, problem)

    def new_draws(self, *_event) -> None:
        """Fresh random samples for the estimate and the dots (the "new draws" button)."""
        self.model.draw = (self.model.draw + 1) % (MAX_DRAW + 1)

    def _readout_text(self, estimate: SampledW2Spread | None, problem: str | None = None) -> str:
        w2 = self.model.closed_form_w2()
        lines = [f"**W₂(p, q), closed form:** {w2:.4f}"]
        n, repeats = int(self.model.n_samples), self.model.repeats
        head = f"**From samples**, {repeats} independent draws of n = {n} points of each:"
        if problem is not None:
            lines.append(f"{head} not available ({problem}).")
        elif estimate is None:
            lines.append(f"{head} solving…")
        elif not estimate.converged:
            lines.append(
                f"{head} the exact solver did **not** converge on every draw (largest "
                f"marginal error {estimate.marginal_error:.1e}); the values are not reliable."
            )
        else:
            se = estimate.sd / np.sqrt(repeats)
            diff = estimate.mean - w2
            lines.append(
                f"{head} **mean {estimate.mean:.3f} ± {se:.3f}** (± one standard error of the "
                f"mean; one draw spreads by {estimate.sd:.3f}). The dots are draw 1: "
                f"{estimate.draws[0].w2:.3f}."
            )
            lines.append(f"*{_bias_sentence(diff, se)}*")
            lines.append(
                f"Exact solver converged on every draw (largest marginal error "
                f"{_small(estimate.marginal_error)}; {1e3 * estimate.solve_time:.0f} ms in all)."
            )
        return "  \n".join(lines)

    def _map_text(self) -> str:
        m = self.model
        a = m.map_matrix()
        mq = m.mean_q
        return (
            f"**The map:** T(x) = μ_q + A (x − μ_p) with μ_p = (0, 0), "
            f"μ_q = ({mq[0]:.2f}, {mq[1]:.2f}) and A = "
            f"[[{a[0, 0]:.3f}, {a[0, 1]:.3f}], [{a[1, 0]:.3f}, {a[1, 1]:.3f}]] "
            "(symmetric, positive definite)."
        )

    # --- take it home --------------------------------------------------------------------

    def takehome(self) -> TakeHome:
        return _takehome(self.model)

    def caption_lines(self) -> list[str]:
        texts = (self.map_readout, self.monge_ampere_readout, self.readout)
        return [line for pane in texts for line in _plain(pane.object or "")]

    # --- layout -------------------------------------------------------------------------

    def controls(self) -> pn.viewable.Viewable | None:
        if self.embed:
            return None  # beside the surface (_embed_view)
        m = self.model
        isotropic = pn.bind(lambda aniso: not aniso, m.param.anisotropic)
        # One number format for every slider ("1.00" beside "1.50", not "1").
        slider = partial(_Slider.from_param, sizing_mode="stretch_width", format="0.00")
        text = {"font-size": "1rem"}  # the group labels, readable on a phone
        return pn.Column(
            pn.pane.Markdown("**Source p** (at the origin)", margin=(0, 10), styles=text),
            slider(m.param.sigma_p),
            pn.pane.Markdown("**Target q**", margin=(0, 10), styles=text),
            slider(m.param.sigma_q, visible=isotropic),
            pn.widgets.Checkbox.from_param(m.param.anisotropic),
            slider(m.param.q_sx, visible=m.param.anisotropic),
            slider(m.param.q_sy, visible=m.param.anisotropic),
            slider(m.param.q_angle, visible=m.param.anisotropic, format="0"),
            pn.pane.Markdown(
                "**Separation μ_q − μ_p** (or drag the orange dot)", margin=(0, 10), styles=text
            ),
            slider(m.param.dx, name="first coordinate"),
            slider(m.param.dy, name="second coordinate"),
            pn.pane.Markdown("**Motion**", margin=(0, 10), styles=text),
            slider(m.param.t),
            pn.pane.Markdown(
                "**Monge–Ampère point x** (or hover or tap the plane)", margin=(0, 10), styles=text
            ),
            slider(m.param.mx),
            slider(m.param.my),
            pn.pane.Markdown("**Layers**", margin=(0, 10), styles=text),
            pn.widgets.CheckBoxGroup.from_param(m.param.layers, name="", inline=False),
            pn.pane.Markdown("**Estimate from samples**", margin=(0, 10), styles=text),
            pn.widgets.DiscreteSlider.from_param(m.param.n_samples, sizing_mode="stretch_width"),
            self._new_draws_button(),
            # Fills the page's controls column (beside the figure, or below it when narrow).
            sizing_mode="stretch_width",
        )

    def _new_draws_button(self) -> pn.widgets.Button:
        button = pn.widgets.Button(
            label="New random draws",
            description="Draw fresh samples: new dots, new estimates",
            color="primary",
            variant="outline",
            sizing_mode="stretch_width",
        )
        button.on_click(self.new_draws)
        return button

    def _embed_view(self) -> pn.viewable.Viewable:
        """A 700 x 600 iframe: the surface beside the spreads, the separation, the time and
        the closed-form W₂; the general covariance, the Monge–Ampère point (hover the plane),
        the layers, the estimate from samples and the notes are left to the full page
        (linked)."""
        m = self.model
        slider = partial(_Slider.from_param, sizing_mode="stretch_width", format="0.00")
        text = {"font-size": "1rem"}
        w2 = pn.pane.Markdown(sizing_mode="stretch_width", styles=text, margin=(0, 10))

        def show_w2(*_events) -> None:
            w2.object = f"**W₂(p, q)**, closed form: {m.closed_form_w2():.4f}"

        show_w2()
        m.param.watch(show_w2, list(BrenierModel.GEOMETRY))
        hint = shell.caption("Drag the picture to turn it; drag the orange dot to move the target.")
        side = pn.Column(
            hint,
            slider(m.param.sigma_p),
            slider(m.param.sigma_q, disabled=m.param.anisotropic),
            slider(m.param.dx, name="Separation, first coordinate"),
            slider(m.param.dy, name="Separation, second coordinate"),
            slider(m.param.t, name="Time t"),
            w2,
            self.full_page_link("more controls, the sample estimate and the notes"),
            stylesheets=[EMBED_SIDE_CSS],
            sizing_mode="stretch_width",
        )
        return pn.Column(self.surface, side, stylesheets=[EMBED_CSS], sizing_mode="stretch_width")

    def figure(self) -> pn.viewable.Viewable:
        if self.embed:
            return self._embed_view()
        caption = shell.caption(
            "Drag the picture to rotate it (or focus it and use the arrow keys). The surface is "
            "scaled in height to fit the box, so its drawn slope is proportional to T(x), "
            "not equal to it. Drag the orange dot to move the target. Hover or tap the plane to "
            "pick the point x of the Monge–Ampère check (ring: x, dot: T(x)).",
        )
        # The estimate's text changes length as it solves: it goes last, in a fixed-height box.
        return pn.Column(
            self.surface,
            caption,
            self.map_readout,
            self.monge_ampere_readout,
            self.readout,
            sizing_mode="stretch_width",
        )


# --- take it home -----------------------------------------------------------------------------

_BRENIER_CODE = """import numpy as np
import ot

mean_p = np.array({mean_p})
cov_p = np.array({cov_p})
mean_q = np.array({mean_q})
cov_q = np.array({cov_q})

# Closed form (Bures-Wasserstein): POT returns W2 itself, not squared
w2 = float(ot.gaussian.bures_wasserstein_distance(mean_p, mean_q, cov_p, cov_q))
# The Brenier map T(x) = mean_q + A (x - mean_p), A symmetric positive definite
A, b = ot.gaussian.bures_wasserstein_mapping(mean_p, mean_q, cov_p, cov_q)
print(f"W2(p, q), closed form = {{w2:.4f}}")
print(f"mu_q = ({{mean_q[0]:.2f}}, {{mean_q[1]:.2f}})")
print(f"A = [[{{A[0, 0]:.3f}}, {{A[0, 1]:.3f}}], [{{A[1, 0]:.3f}}, {{A[1, 1]:.3f}}]]")

# Monge-Ampere at the page's point x: p(x) = q(T(x)) det A, each side from scipy's densities
from scipy.stats import multivariate_normal

x = np.array({x})
Tx = A @ x + b
left = multivariate_normal(mean_p, cov_p).pdf(x)
q_Tx = multivariate_normal(mean_q, cov_q).pdf(Tx)
det_A = np.linalg.det(A)
print(f"p(x) = {{left:.5g}}")
print(f"q(T(x)) * det A = {{q_Tx:.5g}} * {{det_A:.4f}} = {{q_Tx * det_A:.5g}}")
"""

_SAMPLES_CODE = '''n, repeats, seed = {n}, {repeats}, {seed}


def sample(n, mean, cov, seed):
    """n samples of N(mean, cov), as the page draws them (same seed, same points)."""
    w, V = np.linalg.eigh(cov)
    L = V * np.sqrt(np.clip(w, 0, None))
    return mean + np.random.default_rng(seed).standard_normal((n, mean.size)) @ L.T


estimates = []
for r in range(repeats):  # draw r: seeds seed + 2r (source) and seed + 2r + 1 (target)
    X = sample(n, mean_p, cov_p, seed + 2 * r)
    Y = sample(n, mean_q, cov_q, seed + 2 * r + 1)
    weights = np.full(n, 1 / n)
    cost = ot.emd2(weights, weights, ot.dist(X, Y))  # squared distances: this is W2 squared
    estimates.append(float(np.sqrt(max(cost, 0.0))))
estimates = np.array(estimates)
sd = estimates.std(ddof=1)
se = sd / np.sqrt(repeats)
print(f"from samples: mean {{estimates.mean():.3f}} ± {{se:.3f}} (one draw spreads by {{sd:.3f}})")
print(f"draw 1 (the dots on the page): {{estimates[0]:.3f}}")
'''

_PLOT_CODE = """import matplotlib.pyplot as plt

X = sample(n, mean_p, cov_p, seed)
TX = mean_q + (X - mean_p) @ A.T  # the map, applied to the page's dots
fig, ax = plt.subplots(figsize=(6, 6), constrained_layout=True)
ax.quiver(X[:, 0], X[:, 1], TX[:, 0] - X[:, 0], TX[:, 1] - X[:, 1], angles="xy",
          scale_units="xy", scale=1, width=0.002, alpha=0.35, color="#6a3d9a")
ax.scatter(X[:, 0], X[:, 1], s=6, color="#1f77b4", label="samples of p")
ax.scatter(TX[:, 0], TX[:, 1], s=6, color="#ff7f0e", label="T(x): samples of q")
angles = np.linspace(0, 2 * np.pi, 200)
circle = np.stack([np.cos(angles), np.sin(angles)], axis=1)
for mean, cov, colour in ((mean_p, cov_p, "#1f77b4"), (mean_q, cov_q, "#ff7f0e")):
    for r in (1, 2):
        ring = mean + r * circle @ np.linalg.cholesky(cov).T
        ax.plot(ring[:, 0], ring[:, 1], color=colour, linewidth=1)
ax.set_aspect("equal")
ax.set_xlim(-5, 5)
ax.set_ylim(-5, 5)
ax.legend(loc="upper left")
ax.set_title("x → T(x) = ∇φ(x)")
plt.show()
"""


def _array(a) -> str:
    """A numpy array literal that reproduces ``a`` exactly (full float repr)."""
    values = np.asarray(a, dtype=np.float64)
    if values.ndim == 1:
        return "[" + ", ".join(repr(float(v)) for v in values) + "]"
    return "[" + ", ".join(_array(row) for row in values) + "]"


def _takehome(m: BrenierModel) -> TakeHome:
    """The current view as code (pages.takehome)."""
    mp, cp, mq, cq = m.gaussians()
    target = (
        f"spreads {m.q_sx:g} and {m.q_sy:g} along axes turned by {m.q_angle:g}°"
        if m.anisotropic
        else f"spread {m.sigma_q:g}"
    )
    return TakeHome(
        title="Brenier's potential between two Gaussians",
        intro=(
            f"The source $p$ is a Gaussian at the origin with spread {m.sigma_p:g}; the "
            f"target $q$ sits at $({m.dx:g}, {m.dy:g})$ with {target}. Between Gaussians the "
            "optimal map for the squared distance is affine, $T(x) = \\mu_q + A(x - \\mu_p)$ "
            "with $A$ symmetric positive definite, the gradient of the convex potential "
            "$\\varphi(x) = \\tfrac12 x^\\top A x + \\dots$ (Brenier). The first cell gives "
            "$W_2$ in closed form, the map and both sides of the Monge–Ampère identity at the "
            f"point $x = ({m.mx:g}, {m.my:g})$; the second estimates $W_2$ from samples, "
            f"{m.repeats} independent draws of n = {int(m.n_samples)} points of each with "
            f"seed {m.seed}, solved exactly with POT; the third draws the map."
        ),
        equation=(
            r"W_2^2(p, q) = \|\mu_p - \mu_q\|^2 + \operatorname{tr}\Big(\Sigma_p + \Sigma_q"
            r" - 2\big(\Sigma_p^{1/2} \Sigma_q \Sigma_p^{1/2}\big)^{1/2}\Big)"
        ),
        cells=(
            _BRENIER_CODE.format(
                mean_p=_array(mp),
                cov_p=_array(cp),
                mean_q=_array(mq),
                cov_q=_array(cq),
                x=_array([m.mx, m.my]),
            ),
            _SAMPLES_CODE.format(n=int(m.n_samples), repeats=m.repeats, seed=m.seed),
            _PLOT_CODE,
        ),
        notes=(
            "The same numbers as the page's readouts: $W_2$ to four decimals, the map to three.",
            "Each draw is random; on average the sampled $W_2$ comes out too large (the bias "
            "and the spread shrink as n grows).",
        ),
    )


def _plain(markdown: str) -> list[str]:
    """Readout Markdown as plain lines (no ** or *)."""
    return [line.replace("**", "").strip(" *") for line in markdown.split("  \n") if line]
