"""WGAN critics: why the W1 critic still points the way when the JS discriminator has gone flat.

A real cloud and a fake one (the generator's output, shifted by a draggable offset). Beside
each other: the exact optimal 1-Lipschitz critic (from the transport LP, extended to the
plane), the optimal JS discriminator on smoothed densities, a WGAN-GP critic trained in the
background, and the size of both generator gradients against the distance between the clouds.
The numbers come from :mod:`ot_engine.wgan`.

While the handle is dragged the browser moves the fake cloud and its arrows at once (pure
translation, ``assets/js/wgan_critic_drag.js``); each drag sync, coalesced by the shared flow
control, recomputes on the server the LP (40 x 40), both fields on a 40 x 40 grid, the
arrows and the readouts (a few ms), which replace the translated picture when they arrive;
the gradient-size curve (29 LPs) is recomputed on release; the WGAN-GP training (1500 Adam
steps, ~0.4 s) runs on the process's worker with a progress bar, the last result kept.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, fields
from functools import partial

import numpy as np
import panel as pn
import param
from panel.io.document import hold

from ot_engine import (
    InvalidInput,
    JSDiscriminator,
    SmoothedDensity,
    js_discriminator,
    smoothed_density,
    train_gp_critic,
    w1_critic,
)
from ot_engine.results import frozen_array
from pages import query, shell, workers
from pages.components.readouts import ReadoutTable, readout
from pages.page import NotebookPage
from pages.takehome import TakeHome
from pages.wgan_critic_plots import (
    BOX,
    NARROW_ROW_CSS,
    Clouds,
    CriticFigure,
    DiscriminatorFigure,
    NormFigure,
    TrainedFigure,
    grid_points,
    move_in_browser,
)

SLUG = "wgan_critic"
#: Points per cloud (equal sizes: the gradient penalty pairs them).
N = 40
#: Centre of the real cloud; the fake cloud's centre is the offset.
REAL_CENTRE = (-1.5, 0.0)
PRESETS = {
    "gaussians": "two round Gaussian clouds",
    "ring": "real: a ring; fake: a blob",
    "stripes": "real: two stripes; fake: a blob",
}
PRESET_LABELS = {v: k for k, v in PRESETS.items()}
LAMBDAS = (0.0, 0.1, 1.0, 10.0, 100.0)
H_RANGE = (0.1, 1.0)
MAX_SEED = 9999
#: Training: Adam steps (the WGAN-GP paper's lr and betas), and the wait for the drag to rest.
STEPS = 1500
TRAIN_DELAY_MS = 150
#: The gradient-size curve: distances sampled along the line through both centres.
CURVE_DISTANCES = np.linspace(0.0, 7.0, 29)
#: Offsets are kept to 2 decimals (as the link writes them).
DECIMALS = 2


def make_clouds(preset: str) -> tuple[np.ndarray, np.ndarray]:
    """(real cloud X, fake base B centred at 0) of a preset, N points each (fixed seeds)."""
    rng = np.random.default_rng(7)
    if preset == "ring":
        t = rng.uniform(0, 2 * np.pi, N)
        r = 1.1 + 0.08 * rng.normal(size=N)
        X = np.column_stack([r * np.cos(t), r * np.sin(t)])
    elif preset == "stripes":
        X = np.column_stack([rng.uniform(-0.9, 0.9, N), np.repeat([-0.6, 0.6], N // 2)])
        X[:, 1] += 0.06 * rng.normal(size=N)
    else:
        X = 0.5 * rng.normal(size=(N, 2))
    X = X - X.mean(axis=0) + np.array(REAL_CENTRE)
    B = 0.45 * rng.normal(size=(N, 2))
    return X, B - B.mean(axis=0)


@functools.lru_cache(maxsize=4)
def _clouds(preset: str) -> tuple[np.ndarray, np.ndarray]:
    X, B = make_clouds(preset)
    X.setflags(write=False)
    B.setflags(write=False)
    return X, B


@dataclass(frozen=True, eq=False)
class CriticView:
    """Every number and field of one position of the fake cloud."""

    X: np.ndarray
    Y: np.ndarray
    critic: object  # ot_engine.W1Critic
    critic_field: np.ndarray
    lipschitz_grid: float
    js_field: np.ndarray
    js_fake: object  # ot_engine.JSDiscriminator at the fake points
    distance: float

    @property
    def w1_gradient(self) -> np.ndarray:
        """d/d(offset) of the generator's loss -mean phi(Y + offset), critic held fixed."""
        return -np.asarray(self.critic.fake_gradient).mean(axis=0)

    @property
    def js_gradient(self) -> np.ndarray:
        """d/d(offset) of the minimax loss mean log(1 - D(Y + offset)), D held fixed."""
        return np.asarray(self.js_fake.grad_minimax).mean(axis=0)

    @property
    def ns_gradient(self) -> np.ndarray:
        """d/d(offset) of the non-saturating loss -mean log D(Y + offset)."""
        return np.asarray(self.js_fake.grad_nonsaturating).mean(axis=0)


def grid_lipschitz(field: np.ndarray) -> float:
    """Largest slope of a field on the page's grid between neighbouring cells (4 directions).

    >>> c, Z = grid_points()
    >>> round(grid_lipschitz(Z[:, 0]), 12)  # f(z) = z_1 has slope 1
    1.0
    """
    F = np.asarray(field).reshape(len(grid_points()[0]), -1)
    step = 2 * BOX / F.shape[0]
    slopes = [
        np.abs(np.diff(F, axis=1)).max() / step,
        np.abs(np.diff(F, axis=0)).max() / step,
        np.abs(F[1:, 1:] - F[:-1, :-1]).max() / (step * math.sqrt(2)),
        np.abs(F[1:, :-1] - F[:-1, 1:]).max() / (step * math.sqrt(2)),
    ]
    return float(max(slopes))


@functools.lru_cache(maxsize=16)
def _real_on_grid(preset: str, h: float) -> SmoothedDensity:
    """The real cloud's smoothed density on the grid: it does not move with the fake cloud."""
    return smoothed_density(_clouds(preset)[0], h, grid_points()[1])


def compute_view(preset: str, offset, h: float) -> CriticView:
    """The exact critic and the JS discriminator for the fake cloud centred at ``offset``."""
    X, B = _clouds(preset)
    Y = B + np.asarray(offset, dtype=np.float64)
    critic = w1_critic(X, Y)
    _, Z = grid_points()
    field = critic(Z)
    # The grid and the fake points at once; the real density on the grid is known already.
    on_grid, at_fake = _real_on_grid(preset, float(h)), smoothed_density(X, h, Y)
    real = SmoothedDensity(
        np.concatenate([on_grid.log_p, at_fake.log_p]),
        np.vstack([on_grid.grad_log_p, at_fake.grad_log_p]),
    )
    js = js_discriminator(X, Y, h, np.vstack([Z, Y]), real=real)
    k = len(Z)
    js_fake = JSDiscriminator(
        *(frozen_array(np.asarray(getattr(js, f.name))[k:]) for f in fields(JSDiscriminator))
    )
    return CriticView(
        X=X,
        Y=Y,
        critic=critic,
        critic_field=field,
        lipschitz_grid=grid_lipschitz(field),
        js_field=np.asarray(js.D)[:k],
        js_fake=js_fake,
        distance=float(np.hypot(*(np.asarray(offset) - REAL_CENTRE))),
    )


def direction_of(offset) -> tuple[float, float]:
    """Unit vector from the real centre to the fake one (along x when they coincide)."""
    v = np.asarray(offset, dtype=np.float64) - REAL_CENTRE
    n = float(np.hypot(*v))
    return (1.0, 0.0) if n < 1e-9 else (round(v[0] / n, 3), round(v[1] / n, 3))


@functools.lru_cache(maxsize=64)
def norm_curve(preset: str, direction: tuple[float, float], h: float):
    """|gradient| of both generator losses with the fake centre at each CURVE_DISTANCES along
    ``direction`` from the real centre: (distances, W1 sizes, JS sizes)."""
    X, B = _clouds(preset)
    u = np.asarray(direction)
    w1, js = [], []
    for d in CURVE_DISTANCES:
        Y = B + np.asarray(REAL_CENTRE) + d * u
        w1.append(np.hypot(*w1_critic(X, Y).fake_gradient.mean(axis=0)))
        js.append(np.hypot(*js_discriminator(X, Y, h, Y).grad_minimax.mean(axis=0)))
    return CURVE_DISTANCES, np.array(w1), np.array(js)


def fmt(v: float) -> str:
    """A number as the page and the notebook print it.

    >>> fmt(1.23456789), fmt(3.2e-17), fmt(0.0)
    ('1.23457', '3.200e-17', '0')
    """
    if v == 0:
        return "0"
    return f"{v:.6g}" if abs(v) >= 1e-4 else f"{v:.3e}"


def clamp_offset(offset) -> tuple[float, float]:
    """An offset inside the box, to the link's decimals.

    >>> clamp_offset((1.7000000000000002, -9.0))  # a browser slider's sum; out of the box
    (1.7, -4.0)
    """
    x, y = (min(BOX, max(-BOX, float(v))) for v in offset)
    return (round(x, DECIMALS), round(y, DECIMALS))


class WganModel(param.Parameterized):
    """What a link can carry."""

    preset = param.Selector(default="gaussians", objects=list(PRESETS), label="Clouds")
    offset = param.NumericTuple(default=(1.5, 0.5), length=2, doc="Centre of the fake cloud.")
    h = param.Number(0.3, bounds=H_RANGE, step=0.05, label="JS smoothing width h")
    lam = param.Selector(default=10.0, objects=list(LAMBDAS), label="Penalty weight λ")
    seed = param.Integer(0, bounds=(0, MAX_SEED), label="Training seed")

    @param.depends("offset", watch=True, on_init=True)
    def _clamp(self) -> None:
        clamped = clamp_offset(self.offset)
        if clamped != tuple(self.offset):
            self.offset = clamped

    @property
    def train_key(self) -> tuple:
        return (self.preset, tuple(self.offset), float(self.lam), int(self.seed))

    def train_job(self) -> partial:
        X, B = _clouds(self.preset)
        Y = B + np.asarray(self.offset, dtype=np.float64)
        return partial(train_gp_critic, X.copy(), Y, float(self.lam), steps=STEPS, seed=self.seed)


def _parse_lam(raw: str) -> float:
    value = query.float_in(0.0, 100.0)(raw)
    for allowed in LAMBDAS:
        if math.isclose(value, allowed, abs_tol=1e-12):
            return allowed
    raise ValueError("not one of " + ", ".join(f"{v:g}" for v in LAMBDAS))


QUERY_KEYS = (
    query.QueryKey("preset", "preset", query.choice(*PRESETS)),
    query.QueryKey(
        "offset", "offset", query.float_list(2, 2, -BOX, BOX), lambda v: query.format_list(v)
    ),
    query.QueryKey("h", "h", query.float_in(*H_RANGE), query.format_float),
    query.QueryKey("lam", "lam", _parse_lam, lambda v: f"{v:g}"),
    query.QueryKey("seed", "seed", query.int_in(0, MAX_SEED), str),
)


def _seed_label(seed: int) -> str:
    return f"Train from another start (seed {seed} → {(seed + 1) % (MAX_SEED + 1)})"


#: What the page's progress bar measures (its accessible name).
_PROGRESS = "WGAN-GP training progress"


#: Embedded view: the three maps in a row (stacked on a phone), the controls two by two, the
#: gradient plot wider than tall.
EMBED_MAPS_CSS = """
:host { display: grid !important; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 4px; }
@media (max-width: 560px) { :host { grid-template-columns: minmax(0, 1fr); } }
"""
EMBED_CONTROLS_CSS = """
:host { display: grid !important; grid-template-columns: repeat(2, minmax(0, 1fr));
        gap: 0 0.5rem; align-items: start; }
.ot-embed-full { grid-column: 1 / -1; }
"""
EMBED_CURVE_ASPECT = 1.6


class WganCriticPage(NotebookPage):
    """Figure, controls, readouts and text of the WGAN critic page (one per session)."""

    slug = SLUG
    embed_height_scale = None  # its own embed view (_embed_view)
    model_class = WganModel
    query_keys = QUERY_KEYS

    def __init__(self, model: WganModel | None = None, **params):
        super().__init__(model, **params)
        dark = shell.is_dark()
        m = self.model
        self.clouds = Clouds()
        self.critic_fig = CriticFigure(m.offset, self._on_handle, dark, self.clouds)
        self.js_fig = DiscriminatorFigure(dark, self.clouds)
        self.gp_fig = TrainedFigure(dark, self.clouds)
        self.norm_fig = NormFigure(dark)
        move_in_browser(self.critic_fig, self.clouds, [self.critic_fig.layers.arrows])
        self.readouts = ReadoutTable(
            columns=[["wgan-value", "value"]],
            label_header="quantity",
            caption="The exact critic, the JS discriminator and the trained critic, as shown",
            table_class="wgan-readouts",
            stylesheets=["table.wgan-readouts th.ot-readout-label { white-space: normal; }"],
            label_width="60%",
            sizing_mode="stretch_width",
            min_height=300,
        )
        self.message = pn.pane.Alert("", alert_type="warning", visible=False)
        self.status = pn.pane.Markdown(
            "", sizing_mode="stretch_width", margin=(0, 10), styles={"font-size": "1rem"}
        )
        self.progress = pn.pane.HTML(
            shell.progress_bar(0, _PROGRESS),
            visible=False,
            sizing_mode="stretch_width",
            margin=(0, 10),
        )
        self.view: CriticView | None = None
        self.offset = tuple(m.offset)
        self.trained = None
        self.trained_key: tuple | None = None
        self._gp_field: np.ndarray | None = None
        self._gp_drawn: np.ndarray | None = None
        self._slopes: tuple | None = None
        self._curve_scheduled = False
        self._syncing = False
        self._pending_key: tuple | None = None
        self._job = workers.Job(
            self._show_trained,
            on_error=self._show_problem,
            on_progress=self._show_progress,
            delay_ms=TRAIN_DELAY_MS,
            defer_under_load=True,
        )
        self._build_controls()
        self._refresh(curve=True)
        pn.state.onload(self._request_training)
        m.param.watch(self._on_offset, ["offset"])
        m.param.watch(self._on_scene, ["preset", "h"])
        m.param.watch(lambda *_e: self._request_training(), ["lam", "seed"])
        m.param.watch(self._on_seed_label, ["seed"])

    # --- building ------------------------------------------------------------------------

    def _build_controls(self) -> None:
        m = self.model
        self.x_slider = pn.widgets.FloatSlider(
            label="fake centre x", start=-BOX, end=BOX, step=0.1, value=m.offset[0]
        )
        self.y_slider = pn.widgets.FloatSlider(
            label="fake centre y", start=-BOX, end=BOX, step=0.1, value=m.offset[1]
        )
        for s in (self.x_slider, self.y_slider):
            s.param.watch(self._on_slider, "value")
        # A new start of the training is one press (Panel's number spinner has unnamed buttons).
        self.seed_button = pn.widgets.Button(label=_seed_label(m.seed), sizing_mode="stretch_width")
        self.seed_button.on_click(self._next_seed)
        self.control_panel = pn.Column(
            pn.widgets.Select.from_param(m.param.preset, name="clouds", options=PRESET_LABELS),
            self.x_slider,
            self.y_slider,
            pn.widgets.FloatSlider.from_param(m.param.h, name="JS smoothing width h"),
            pn.widgets.Select.from_param(
                m.param.lam,
                name="penalty weight λ (WGAN-GP)",
                options={f"{v:g}": v for v in LAMBDAS},
            ),
            self.seed_button,
            sizing_mode="stretch_width",
        )
        from bokeh.layouts import column, row

        top = row(
            self.critic_fig.figure,
            self.js_fig.figure,
            sizing_mode="stretch_width",
            stylesheets=[NARROW_ROW_CSS],
        )
        bottom = row(
            self.gp_fig.figure,
            self.norm_fig.figure,
            sizing_mode="stretch_width",
            stylesheets=[NARROW_ROW_CSS],
        )
        self.figure_pane = pn.Column(
            self.message,
            pn.pane.Bokeh(
                column(top, bottom, sizing_mode="stretch_width"), sizing_mode="stretch_width"
            ),
            self.status,
            self.progress,
            sizing_mode="stretch_width",
        )

    def figure(self) -> pn.viewable.Viewable:
        return self._embed_view() if self.embed else self.figure_pane

    def controls(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.control_panel

    def side_readouts(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.readouts

    def _embed_view(self) -> pn.viewable.Viewable:
        """A 700 x 600 iframe: the three critic maps in a row; under them the gradient plot
        beside the controls (two by two) and the training's progress (its room kept); the
        table is left to the full page (linked)."""
        maps = [f.figure for f in (self.critic_fig, self.js_fig, self.gp_fig)]
        for fig in maps:
            fig.title.text_font_size = "11px"
        for fig in maps[1:]:  # the first map's legend names the clouds for all three
            fig.legend.visible = False
        # a third of the width: the titles without "and the generator's push" (the arrows)
        maps[0].title.text, maps[1].title.text = "Exact W₁ critic φ", "JS discriminator D"
        self.norm_fig.figure.update(
            aspect_ratio=EMBED_CURVE_ASPECT,
            height=round(self.norm_fig.figure.width / EMBED_CURVE_ASPECT),
        )
        self.norm_fig.figure.title.text_font_size = "11px"
        panes = [pn.pane.Bokeh(fig, sizing_mode="stretch_width") for fig in maps]
        top = pn.Column(*panes, stylesheets=[EMBED_MAPS_CSS], sizing_mode="stretch_width")
        live = shell.live_status(self.message, self.status, self.progress)
        live.min_height = 80
        link = self.full_page_link("the table of numbers")
        controls = self.control_panel.objects
        for widget in controls:  # the grid's cells set the widths
            widget.param.update(sizing_mode="stretch_width", width=None)
            if widget.name == "JS smoothing width h":  # label and value in half of 700 px
                widget.name = "JS smoothing h"
        for part in (self.seed_button, live, link):  # the button's label is long
            part.css_classes = [*part.css_classes, "ot-embed-full"]
        side = pn.Column(
            *controls,
            live,
            link,
            stylesheets=[EMBED_CONTROLS_CSS],
            sizing_mode="stretch_width",
        )
        curve = pn.pane.Bokeh(self.norm_fig.figure, sizing_mode="stretch_width")
        bottom = pn.Column(curve, side, css_classes=["ot-embed-row"], sizing_mode="stretch_width")
        return pn.Column(top, bottom, sizing_mode="stretch_width")

    def takehome(self) -> TakeHome:
        return _takehome(self.model)

    def caption_lines(self) -> list[str]:
        m = self.model
        head = f"clouds: {m.preset}, fake centre {m.offset}, h = {m.h:g}, λ = {m.lam:g}"
        return [head] + [f"{r[1]}: {r[3]}" for r in self.readouts.rows]

    # --- events --------------------------------------------------------------------------

    @property
    def _doc(self):
        return self.critic_fig.points.flow.document

    def _on_handle(self, xy: np.ndarray, _groups: np.ndarray, settled: bool) -> None:
        """A drag sync (validated by the points component): recompute at once; the link,
        the sliders, the curve and the training follow on release."""
        offset = tuple(float(v) for v in np.round(xy[0], DECIMALS))
        with hold(self._doc):
            self.offset = offset
            if settled and offset != tuple(self.model.offset):
                self.model.offset = offset  # watched: one refresh, curve, sliders, training
            else:
                self._refresh(curve=False, move_handle=False)

    def _next_seed(self, _event=None) -> None:
        self.model.seed = (self.model.seed + 1) % (MAX_SEED + 1)

    def _on_seed_label(self, *_events) -> None:
        self.seed_button.label = _seed_label(self.model.seed)

    def _on_slider(self, *_events) -> None:
        if self._syncing:
            return
        # The sliders are where the change came from: they are not written back (a rounded
        # value sent back while keys are still pressed is taken by Panel for the echo of the
        # browser's next change, which is then dropped, and the last press lost).
        self._syncing = True
        try:
            # clamped and rounded here: the model's own clamp would set it a second time
            # and every watcher would run twice (1.7000000000000002 is a slider's 1.5 + 2 x 0.1)
            self.model.offset = clamp_offset((self.x_slider.value, self.y_slider.value))
        finally:
            self._syncing = False

    def _on_offset(self, *_events) -> None:
        m = self.model
        self.offset = tuple(m.offset)
        with hold(self._doc):
            if not self._syncing:  # a drag or a link: the sliders follow the model
                self._syncing = True  # and must not write it back
                try:
                    self.x_slider.value, self.y_slider.value = m.offset
                finally:
                    self._syncing = False
            self._refresh(curve=True)  # draws the trained critic's part too
        self._request_training(paint=False)

    def _on_scene(self, *_events) -> None:
        with hold(self._doc):
            self._refresh(curve=True)  # draws the trained critic's part ("training…") too
        if _events and any(e.name == "preset" for e in _events):
            self._request_training(paint=False)

    def _request_training(self, paint: bool = True) -> None:
        """Train for the current setting in the background. The status line and the progress
        bar appear with the job's first progress report (it starts TRAIN_DELAY_MS later), not
        in the answer to the change: showing them lays the page out, and a release's answer
        should paint at once. ``paint=False``: the caller has just drawn the trained critic's
        figure and rows for this setting."""
        self._pending_key = self.model.train_key
        self._job.submit(
            self.model.train_job(), key=("wgan_critic.train", STEPS, *self._pending_key)
        )
        if paint and self._job.busy:
            self._paint_trained()

    def _show_trained(self, result) -> None:
        self.trained, self.trained_key = result, self._pending_key
        self._gp_field = result(grid_points()[1])  # once per result, not per drag event
        self.progress.visible = False
        self.status.object = ""
        with hold(self._doc):
            self._paint_trained()

    def _show_problem(self, problem: str) -> None:
        self.progress.visible = False
        self.status.object = f"**Could not train:** {problem}. The last result is kept."

    def _show_progress(self, fraction: float, text: str) -> None:
        self.progress.param.update(object=shell.progress_bar(fraction, _PROGRESS), visible=True)
        self.status.object = f"Training the WGAN-GP critic: {text}…"

    # --- drawing -------------------------------------------------------------------------

    def _refresh(self, *, curve: bool, move_handle: bool = True) -> None:
        m = self.model
        try:
            view = compute_view(m.preset, self.offset, m.h)
        except InvalidInput as err:  # never crash the session: say so, keep the last view
            self.message.object = f"Could not compute this view: {err}. The last one is kept."
            self.message.visible = True
            return
        if self.message.visible:
            self.message.visible = False
        self.view = view
        # while the handle is dragged the browser holds it (and moves the cloud from `drawn`)
        self.critic_fig.update(
            view.critic_field,
            view.Y,
            np.asarray(view.critic.fake_gradient),
            self.offset if move_handle else None,
        )
        self.js_fig.update(view.js_field, view.Y, -np.asarray(view.js_fake.grad_minimax))
        if curve:  # the curve belongs to a direction: it and its marker follow on release
            self._request_curve()
        self._paint_trained()
        self.clouds.update(view.X, view.Y, self.offset)

    def _request_curve(self) -> None:
        """Draw the gradient-size curve for the current view: served, in a message of its own
        on the next loop turn (29 LPs: the release's answer and readouts go out first)."""
        doc = self._doc
        if doc is None:
            self._draw_curve()
        elif not self._curve_scheduled:
            self._curve_scheduled = True
            doc.add_next_tick_callback(self._draw_curve)

    def _draw_curve(self) -> None:
        self._curve_scheduled = False
        m, view = self.model, self.view
        with hold(self._doc):
            self.norm_fig.update(*norm_curve(m.preset, direction_of(self.offset), float(m.h)))
            self.norm_fig.mark(view.distance)

    def _trained_slopes(self) -> np.ndarray:
        """|grad f| of the trained critic at the points it was trained on (once per result)."""
        if self._slopes is None or self._slopes[0] is not self.trained:
            X, B = _clouds(self.trained_key[0])
            Y = B + np.asarray(self.trained_key[1])
            slopes = np.linalg.norm(self.trained.gradient(np.vstack([X, Y])), axis=1)
            self._slopes = (self.trained, slopes)
        return self._slopes[1]

    def _trained_fresh(self) -> bool:
        return self.trained is not None and self.trained_key == self.model.train_key

    def _paint_trained(self) -> None:
        view = self.view
        if view is None:
            return
        if self.trained is None or self.trained_key[0] != self.model.preset:
            self.gp_fig.update(None, view.Y, None, "WGAN-GP critic: training…")
            self.readouts.rows = self._rows()
            return
        # the image is sent only when a new result arrived (a drag moves the points only)
        field = self._gp_field if self._gp_field is not self._gp_drawn else None
        self._gp_drawn = self._gp_field
        fresh = self._trained_fresh() and tuple(self.offset) == self.trained_key[1]
        title = f"WGAN-GP critic, λ = {self.trained.lam:g}"
        if not fresh:
            title += " (trained for the previous position)"
        self.gp_fig.update(field, view.Y, self.trained.gradient(view.Y), title)
        self.readouts.rows = self._rows()

    def _rows(self) -> list[list[str]]:
        v = self.view
        c = v.critic
        flag = "" if c.converged else f"LP check failed: {c.message}"
        rows = [
            readout("w1", "W₁ (exact LP)", fmt(c.w1), flag=flag),
            readout("dual", "mean φ(real) − mean φ(fake)", fmt(c.dual_value)),
            readout("marg", "LP marginal error", fmt(c.marginal_error)),
            readout("lip", "largest slope of φ on the grid (≤ 1)", fmt(v.lipschitz_grid)),
            readout("gw1", "|generator gradient|, W₁ critic", fmt(float(np.hypot(*v.w1_gradient)))),
            readout(
                "gjs", "|generator gradient|, JS minimax", fmt(float(np.hypot(*v.js_gradient)))
            ),
            readout(
                "gns",
                "|generator gradient|, JS non-saturating",
                fmt(float(np.hypot(*v.ns_gradient))),
            ),
            readout("dfake", "mean D at the fake points", fmt(float(np.mean(v.js_fake.D)))),
            readout("dist", "distance between the centres", fmt(v.distance)),
        ]
        t = self.trained
        if t is None or self.trained_key[0] != self.model.preset:
            rows.append(readout("gp", "WGAN-GP estimate of W₁", "training…"))
            return rows
        fresh = self._trained_fresh()
        note = "" if fresh else " (previous setting)"
        slopes = self._trained_slopes()
        rows += [
            readout("gp", f"WGAN-GP estimate of W₁, λ = {t.lam:g}{note}", fmt(t.estimate)),
            readout(
                "gpgap",
                "WGAN-GP estimate − exact W₁",
                fmt(t.estimate - c.w1) if fresh else "(after retraining)",
            ),
            readout("gpl", "WGAN-GP final loss", fmt(float(t.losses[-1]))),
            readout("gps", "WGAN-GP |∇f| at the points, min", fmt(float(slopes.min()))),
            readout("gpm", "WGAN-GP |∇f| at the points, max", fmt(float(slopes.max()))),
        ]
        return rows


# --- take it home ------------------------------------------------------------------------

_CLOUDS_CODE = """import numpy as np
import ot

preset, offset, h, lam, seed = {preset!r}, np.array({offset!r}), {h!r}, {lam!r}, {seed!r}
N, REAL_CENTRE = 40, np.array([-1.5, 0.0])
rng = np.random.default_rng(7)
if preset == "ring":
    t = rng.uniform(0, 2 * np.pi, N)
    r = 1.1 + 0.08 * rng.normal(size=N)
    X = np.column_stack([r * np.cos(t), r * np.sin(t)])
elif preset == "stripes":
    X = np.column_stack([rng.uniform(-0.9, 0.9, N), np.repeat([-0.6, 0.6], N // 2)])
    X[:, 1] += 0.06 * rng.normal(size=N)
else:
    X = 0.5 * rng.normal(size=(N, 2))
X = X - X.mean(axis=0) + REAL_CENTRE  # real points
B = 0.45 * rng.normal(size=(N, 2))
Y = B - B.mean(axis=0) + offset  # fake points: the generator's cloud, shifted


def fmt(v):
    return "0" if v == 0 else (f"{{v:.6g}}" if abs(v) >= 1e-4 else f"{{v:.3e}}")
"""

_EXACT_CODE = '''# Exact W1: the LP with Euclidean cost, its plan and duals (POT's network simplex).
a = b = np.full(N, 1 / N)
C = ot.dist(X, Y, metric="euclidean")
P, log = ot.emd(a, b, C, log=True)
w1 = float(np.sum(P * C))
f = (C - log["v"][None, :]).min(axis=1)  # c-concave: f = g^c, 1-Lipschitz on X
f -= 0.5 * (f.max() + f.min())


def critic(Z):
    """phi(z) = max_i (f_i - |z - x_i|): 1-Lipschitz on the plane, f on X, optimal."""
    return (f[None, :] - ot.dist(Z, X, metric="euclidean")).max(axis=1)


print(f"W1 (exact LP) = {{fmt(w1)}}")
print(f"mean phi(real) - mean phi(fake) = {{fmt(critic(X).mean() - critic(Y).mean())}}")
# The generator's push at y_j: towards the real points the plan sends it to (unit length).
unit = (X[:, None, :] - Y[None, :, :]) / C[..., None]
push = np.einsum("ij,ijd->jd", P * N, unit)
print(f"|generator gradient|, W1 critic = {{fmt(np.linalg.norm(push.mean(axis=0)))}}")
'''

_JS_CODE = """# The optimal JS discriminator on densities smoothed by N(0, h^2 I).
from scipy.special import logsumexp


def log_kde(Z, P):
    logits = -ot.dist(Z, P) / (2 * h * h)
    lse = logsumexp(logits, axis=1)
    w = np.exp(logits - lse[:, None])
    return lse - np.log(len(P) * 2 * np.pi * h * h), (w @ P - Z) / (h * h)


(lr_, gr), (lg, gg) = log_kde(Y, X), log_kde(Y, Y)
D = np.exp(lr_ - np.logaddexp(lr_, lg))  # p_r / (p_r + p_g) at the fake points
minimax = (D[:, None] * (gg - gr)).mean(axis=0)  # d/d offset of mean log(1 - D)
nonsat = ((1 - D)[:, None] * (gg - gr)).mean(axis=0)  # of -mean log D
print(f"|generator gradient|, JS minimax = {{fmt(np.linalg.norm(minimax))}}")
print(f"|generator gradient|, JS non-saturating = {{fmt(np.linalg.norm(nonsat))}}")
print(f"mean D at the fake points = {{fmt(D.mean())}}")
"""

_GP_CODE = """# WGAN-GP: a tanh critic f(z) = w . tanh(W z + b) + c, its loss and gradients by hand.
H, STEPS, LR = 32, {steps}, 0.01


def loss_and_grad(th, alpha):
    W, bb, w = th[: 2 * H].reshape(H, 2), th[2 * H : 3 * H], th[3 * H : 4 * H]
    Z = np.vstack([X, Y])
    sign = np.concatenate([np.full(N, -1 / N), np.full(N, 1 / N)])
    T = np.tanh(Z @ W.T + bb)
    loss = sign @ (T @ w)  # mean f(fake) - mean f(real)
    dA = sign[:, None] * ((1 - T * T) * w)
    gW, gb, gw = dA.T @ Z, dA.sum(axis=0), T.T @ sign
    Zh = alpha[:, None] * X + (1 - alpha[:, None]) * Y  # on the segments real-fake
    Th = np.tanh(Zh @ W.T + bb)
    Sh = 1 - Th * Th
    U = w * Sh
    G = U @ W  # the input gradient of f at each interpolate
    n = np.linalg.norm(G, axis=1)
    loss += lam * np.mean((n - 1) ** 2)
    E = (2 * lam / N) * ((n - 1) / np.where(n > 0, n, 1))[:, None] * G
    V = E @ W.T
    delta = -2 * V * w * Th * Sh
    gW, gb, gw = gW + U.T @ E + delta.T @ Zh, gb + delta.sum(axis=0), gw + (V * Sh).sum(axis=0)
    return loss, np.concatenate([gW.ravel(), gb, gw, [0.0]])


rng = np.random.default_rng(seed)
init = np.random.default_rng(seed)
s = 1 / (np.vstack([X, Y]).std() or 1.0)
W0, b0 = init.normal(0, s, (H, 2)), init.normal(0, s, H)
th = np.concatenate([W0.ravel(), b0, init.normal(0, 1 / np.sqrt(H), H), [0.0]])
m, v = np.zeros_like(th), np.zeros_like(th)
for t in range(1, STEPS + 1):  # Adam, betas (0.5, 0.9)
    loss, g = loss_and_grad(th, rng.random(N))
    m, v = 0.5 * m + (1 - 0.5) * g, 0.9 * v + (1 - 0.9) * g * g
    th = th - LR * (m / (1 - 0.5**t)) / (np.sqrt(v / (1 - 0.9**t)) + 1e-8)
W, bb, w = th[: 2 * H].reshape(H, 2), th[2 * H : 3 * H], th[3 * H : 4 * H]


def f_net(Z):
    return np.tanh(Z @ W.T + bb) @ w + th[-1]


print(f"WGAN-GP estimate of W1 = {{fmt(f_net(X).mean() - f_net(Y).mean())}}")
print(f"WGAN-GP final loss = {{fmt(loss)}}")
"""

_PLOT_CODE = """import matplotlib.pyplot as plt

g = np.linspace(-4, 4, 81)
Z = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
fig, ax = plt.subplots(1, 3, figsize=(13, 4.3), constrained_layout=True)
fields = [critic(Z), np.exp(log_kde(Z, X)[0] - np.logaddexp(log_kde(Z, X)[0], log_kde(Z, Y)[0]))]
fields.append(f_net(Z))
for a, F, title in zip(ax, fields, ["exact W1 critic", "JS discriminator D", "WGAN-GP critic"]):
    im = a.imshow(F.reshape(81, 81), origin="lower", extent=(-4, 4, -4, 4), cmap="cividis")
    a.scatter(*X.T, c="#0072B2", s=12, label="real")
    a.scatter(*Y.T, c="#D55E00", s=12, marker="s", label="fake")
    a.set_title(title)
    fig.colorbar(im, ax=a, shrink=0.8)
ax[0].quiver(*Y.T, *push.T, color="white", scale=12)
ax[0].legend(loc="upper left")
plt.show()
"""


def _takehome(m: WganModel) -> TakeHome:
    return TakeHome(
        title="The W1 critic, the JS discriminator and a WGAN-GP critic",
        intro=(
            f"Clouds: {PRESETS[m.preset]}, {N} points each; the fake cloud is centred at "
            f"{tuple(m.offset)}. The code solves the transport LP for the exact critic, forms "
            f"the optimal JS discriminator on densities smoothed with h = {m.h:g}, trains a "
            f"small tanh critic with the gradient penalty (λ = {m.lam:g}, seed {m.seed}, "
            f"{STEPS} Adam steps) and prints the page's numbers."
        ),
        equation=(
            r"W_1(\mu,\nu) = \max_{\mathrm{Lip}(\varphi)\le 1} \mathbb{E}_\mu \varphi"
            r" - \mathbb{E}_\nu \varphi"
        ),
        cells=(
            _CLOUDS_CODE.format(
                preset=m.preset,
                offset=[float(v) for v in m.offset],
                h=float(m.h),
                lam=float(m.lam),
                seed=int(m.seed),
            ),
            _EXACT_CODE.format(),
            _JS_CODE.format(),
            _GP_CODE.format(steps=STEPS),
            _PLOT_CODE,
        ),
        notes=(
            "The exact numbers match the page's readouts; the trained critic matches too (same "
            "seeds, same steps).",
            "Far apart, the JS minimax gradient decays like D, and D(y) <= m exp(-δ²/(2h²)) "
            "with δ the distance from y to the nearest real point.",
        ),
    )
