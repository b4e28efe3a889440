"""Flow matching: straight paths from good couplings.

Gaussian noise is paired with samples of a 2D target in two ways, independently and by exact
optimal transport within minibatches (:mod:`ot_engine.flow_matching`). The straight paths of
each pairing are drawn with their crossings counted; this part is cheap (an assignment and
the pairwise segment tests, a few ms at 128 points) and answers every control at once.

A velocity field is then fitted to each pairing's paths and fresh noise is carried along it
with 1 to 20 Euler steps. That runs off the event path on the process's worker
(:mod:`pages.workers`), with a progress bar, and computes every k at once. Every k's samples
and W2 go to the browser once per finished fit (float32, about 40 kB at 128 points), and the
browser answers the k slider itself (``assets/js/flow_matching_steps.js``): samples, the marker
on the W2 curve and the W2 readout change with no round trip; the server learns k after a
debounce, for the link, and shows the same values. The last finished result stays while a new
one runs. Results are cached per setting (shared read-only arrays), so a class opening the
same link fits once.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
import panel as pn
import param
from bokeh.models import ColumnDataSource

from ot_engine.flow_matching import (
    FIT_SETTINGS,
    PRESETS,
    FlowRun,
    crossing_pairs,
    empirical_w2,
    flow_matching_run,
    make_clouds,
    minibatch_ot_pairing,
    squared_cost,
)
from pages import compat, query, shell, workers
from pages.components import js
from pages.components.readouts import ReadoutTable, readout
from pages.flow_matching_plots import EMPTY_STEPS, PathsFigure, SamplesFigure, W2Curve, steps_data
from pages.page import NotebookPage
from pages.takehome import TakeHome

SLUG = "flow_matching"
K_MAX = 20
MIN_POINTS, MAX_POINTS = 32, 256
MAX_NOISE = 0.3
MAX_SEED = 9999
BATCHES = (8, 32, 64, 128, 256)
#: "Arrived": within this factor of the best W2 the pairing reaches over 1..K_MAX steps.
ARRIVED = 1.1
#: The fit waits for the controls to rest this long (ms).
FIT_DELAY_MS = 150
PRESET_LABELS = {"two moons": "moons", "two rings": "rings", "the letter A": "letter"}
PAIRINGS = ("independent", "ot")
PAIRING_LABELS = {"independent": "independent pairs", "ot": "minibatch OT pairs"}


class FlowModel(param.Parameterized):
    """What a link can carry: the target, the samples, the minibatch size and the steps."""

    preset = param.Selector(default="moons", objects=list(PRESETS), label="Target")
    n = param.Integer(128, bounds=(MIN_POINTS, MAX_POINTS), step=32, label="Samples")
    noise = param.Number(0.05, bounds=(0.0, MAX_NOISE), step=0.01, label="Target blur")
    batch = param.Selector(default=256, objects=list(BATCHES), label="OT minibatch size")
    k = param.Integer(2, bounds=(1, K_MAX), label="Euler steps k")
    seed = param.Integer(1, bounds=(0, MAX_SEED), label="Seed")

    SCENE = ("preset", "n", "noise", "seed", "batch")

    @property
    def scene_key(self) -> tuple:
        return (self.preset, int(self.n), float(self.noise), int(self.seed), int(self.batch))

    def paths(self) -> Paths:
        return _paths(*self.scene_key)


class Paths:
    """The clouds of one setting and both pairings, with their crossings and costs."""

    def __init__(self, preset: str, n: int, noise: float, seed: int, batch: int) -> None:
        clouds = _clouds(preset, n, noise, seed)
        self.x0, self.x1, self.z, self.y = clouds.arrays
        self.batch = min(batch, n)
        ot_pairing = minibatch_ot_pairing(self.x0, self.x1, self.batch)
        ot_pairing.setflags(write=False)
        self.pairing = {"independent": clouds.identity, "ot": ot_pairing}
        self.crossings = {
            "independent": clouds.crossings,
            "ot": crossing_pairs(self.x0, self.x1[ot_pairing]),
        }
        self.cost = {k: squared_cost(self.x0, self.x1[m]) for k, m in self.pairing.items()}


class _Clouds:
    """The samples of one setting and what the independent pairing makes of them (a change
    of minibatch size reuses them)."""

    def __init__(self, preset: str, n: int, noise: float, seed: int) -> None:
        self.arrays = make_clouds(preset, n, noise=noise, seed=seed)
        self.identity = np.arange(n)
        for a in (*self.arrays, self.identity):
            a.setflags(write=False)
        self.crossings = crossing_pairs(self.arrays[0], self.arrays[1])


@functools.lru_cache(maxsize=32)
def _clouds(preset: str, n: int, noise: float, seed: int) -> _Clouds:
    return _Clouds(preset, n, noise, seed)


@functools.lru_cache(maxsize=32)
def _paths(preset: str, n: int, noise: float, seed: int, batch: int) -> Paths:
    return Paths(preset, n, noise, seed, batch)


@dataclass(frozen=True, eq=False)
class FlowFits:
    """Both pairings fitted and integrated, and the sampling floor (W2 of two target draws)."""

    runs: dict[str, FlowRun]
    floor: float
    seconds: float


def fit_both(key: tuple, progress=None) -> FlowFits:
    """Fit and integrate both pairings of the setting ``key`` (a ``scene_key``);
    ``progress(fraction, text)`` hears from each step."""
    started = time.perf_counter()
    paths = _paths(*key)
    runs = {}
    for i, name in enumerate(PAIRINGS):
        report = None
        if progress is not None:

            def report(fraction, text, i=i, name=name):
                progress((i + fraction) / 2, f"{PAIRING_LABELS[name]}, {text}")

        runs[name] = flow_matching_run(
            paths.x0,
            paths.x1,
            paths.z,
            paths.pairing[name],
            k_max=K_MAX,
            seed=key[3],
            progress=report,
        )
    floor = empirical_w2(paths.y, paths.x1)
    return FlowFits(runs, floor, time.perf_counter() - started)


def fmt_w2(v: float) -> str:
    """A W2 as the page and the notebook print it.

    >>> fmt_w2(0.123456)
    '0.1235'
    """
    return f"{v:.4f}"


def arrived(w2: np.ndarray) -> int:
    """Fewest Euler steps whose W2 is within ``ARRIVED`` times the best over all k.

    >>> arrived(np.array([0.9, 0.5, 0.42, 0.4, 0.41]))
    3
    """
    return int(np.argmax(w2 <= ARRIVED * w2.min())) + 1


# --- deep links -------------------------------------------------------------------------


def _parse_batch(raw: str) -> int:
    value = query.int_in(1, MAX_POINTS)(raw)
    if value not in BATCHES:
        raise ValueError("not one of " + ", ".join(str(b) for b in BATCHES))
    return value


QUERY_KEYS = (
    query.QueryKey("preset", "preset", query.choice(*PRESETS)),
    query.QueryKey("n", "n", query.int_in(MIN_POINTS, MAX_POINTS), str),
    query.QueryKey("noise", "noise", query.float_in(0.0, MAX_NOISE), query.format_float),
    query.QueryKey("batch", "batch", _parse_batch, str),
    query.QueryKey("k", "k", query.int_in(1, K_MAX), str),
    query.QueryKey("seed", "seed", query.int_in(0, MAX_SEED), str),
)

#: The browser answers the k slider itself; the server learns k (for the link) this long
#: (ms) after a change, so a held arrow key or a drag sends it a few values, not every one.
K_DEBOUNCE_MS = 100
_StepSlider = compat.set_debounce(pn.widgets.IntSlider, K_DEBOUNCE_MS)


# --- the page ---------------------------------------------------------------------------

#: The browser's answer to the k slider (and its guard against stale echoes).
STEPS_JS = "flow_matching_steps.js"


#: The sample plots' size in an embedded view (two by two beside the controls).
EMBED_SQUARE = 205
#: The W2 curve's height there (under the controls).
EMBED_CURVE_HEIGHT = 150


class FlowMatchingPage(NotebookPage):
    """Figures, controls, readouts and text of the flow-matching page (one per session)."""

    slug = SLUG
    embed_height_scale = None  # its own embed view (_embed_view)
    model_class = FlowModel
    query_keys = QUERY_KEYS

    def __init__(self, model: FlowModel | None = None, **params):
        super().__init__(model, **params)
        dark = shell.is_dark()
        self.path_figs = {
            "independent": PathsFigure("Independent pairs", "fm_paths_ind", dark),
            "ot": PathsFigure("Minibatch OT pairs", "fm_paths_ot", dark),
        }
        self.sample_figs = {
            "independent": SamplesFigure("Independent", "fm_samples_ind", dark),
            "ot": SamplesFigure("Minibatch OT", "fm_samples_ot", dark),
        }
        self.curve = W2Curve(K_MAX, dark)
        #: Every k's samples of the shown fit, for the browser's k (steps_data); sent once a fit.
        self.steps = ColumnDataSource(dict(EMPTY_STEPS), name="fm_steps")
        self._steps_of: FlowFits | None = None
        self.readouts = ReadoutTable(
            columns=[["fm-ind", "indep."], ["fm-ot", "OT"]],
            label_header="quantity",
            label_width="56%",
            caption=(
                "Independent (indep.) and minibatch OT pairings: their paths, the fitted "
                "fields and the samples they make"
            ),
            table_class="fm-readouts",
            stylesheets=["table.fm-readouts th.ot-readout-label { white-space: normal; }"],
            sizing_mode="stretch_width",
            min_height=230,
        )
        text = {"font-size": "1rem"}
        self.status = pn.pane.Markdown("", sizing_mode="stretch_width", styles=text, margin=(0, 10))
        self.progress = pn.pane.HTML(
            shell.progress_bar(0, _PROGRESS),
            visible=False,
            sizing_mode="stretch_width",
            margin=(0, 10),
        )
        #: The last finished fit and the setting it belongs to.
        self.fits: FlowFits | None = None
        self.fits_key: tuple | None = None
        self.problem: str | None = None
        self._pending: tuple | None = None
        self._job = workers.Job(
            self._show_fits,
            on_error=self._show_problem,
            on_progress=self._show_progress,
            delay_ms=FIT_DELAY_MS,
        )
        self._build_controls()
        self._draw_paths()
        self._paint()
        # The first fit starts once the browser has the page (at once without a server).
        pn.state.onload(self._request_fit)
        self.model.param.watch(self._on_scene, list(FlowModel.SCENE))
        self.model.param.watch(lambda *_e: self._paint(), ["k"])

    # --- events ---------------------------------------------------------------------------

    def _on_scene(self, *_events) -> None:
        self._draw_paths()
        self._request_fit()

    def _request_fit(self) -> None:
        key = self.model.scene_key
        self.problem = None
        self._pending = key
        # A class opening one link fits it once (pages.workers shares the value).
        self._job.submit(partial(fit_both, key), key=("flow_matching.fit", key))
        if self._job.busy:
            self.progress.param.update(object=shell.progress_bar(0, _PROGRESS), visible=True)
            self.status.object = "Fitting the velocity fields…"
        self._paint()

    def _show_fits(self, fits: FlowFits) -> None:
        self.fits, self.fits_key = fits, self._pending
        self.progress.visible = False
        self.status.object = ""
        self._paint()

    def _show_problem(self, problem: str) -> None:
        self.problem = problem
        self.progress.visible = False
        self.status.object = f"**Could not fit:** {problem}. The last result is kept."
        self._paint()

    def _show_progress(self, fraction: float, text: str) -> None:
        self.progress.param.update(object=shell.progress_bar(fraction, _PROGRESS), visible=True)
        self.status.object = f"Fitting: {text}…"

    # --- drawing ---------------------------------------------------------------------------

    def _draw_paths(self) -> None:
        paths = self.model.paths()
        for name, fig in self.path_figs.items():
            fig.update(paths.x0, paths.x1[paths.pairing[name]], paths.crossings[name])

    def _paint(self) -> None:
        k = int(self.model.k)
        paths = self.model.paths()
        fits = self.fits
        fresh = fits is not None and self.fits_key == self.model.scene_key
        # Readouts first, samples last: the browser's guard runs when the OT samples land
        # and must see the rest of the server's reply already applied.
        self.readouts.rows = self._rows(paths, fresh)
        if fits is not self._steps_of:
            self._steps_of = fits
            self.steps.data = (
                dict(EMPTY_STEPS)
                if fits is None
                else steps_data(fits.runs["independent"].samples, fits.runs["ot"].samples)
            )
        if fits is None:
            self.curve.update(None, None, None, k)
        else:
            runs = fits.runs
            self.curve.update(runs["independent"].w2, runs["ot"].w2, fits.floor, k, fmt_w2)
        for name, fig in self.sample_figs.items():
            if fits is None:
                fig.update(paths.x1, None, "fitting…")
                continue
            state = "after k Euler steps" if fresh else "previous setting"
            fig.update(paths.x1, fits.runs[name].samples[k - 1], state)

    def _rows(self, paths: Paths, fresh: bool) -> list[list[str]]:
        k = int(self.model.k)
        both = _both
        rows = [
            readout("cross", "path pairs that cross in the plane", *both(paths.crossings, str)),
            readout("cost", "mean squared path length", *both(paths.cost, "{:.4f}".format)),
        ]
        if self.fits is None:
            why = self.problem or "fitting…"
            return [*rows, readout("w2", f"W2 to the target, k = {k}", why, why)]
        runs, stale = self.fits.runs, "" if fresh else " (previous setting)"
        w2 = {name: run.w2[k - 1] for name, run in runs.items()}
        steps = {name: arrived(run.w2) for name, run in runs.items()}
        unexplained = {name: run.fit.unexplained for name, run in runs.items()}
        best = {name: run.w2.min() for name, run in runs.items()}
        floor = fmt_w2(self.fits.floor)
        return [
            *rows,
            readout("w2", f"W2 to the target, k = {k}{stale}", *both(w2, fmt_w2)),
            readout(
                "steps", f"fewest steps to within 10% of its best W2{stale}", *both(steps, str)
            ),
            readout("best", f"best W2 over k = 1 to {K_MAX}{stale}", *both(best, fmt_w2)),
            readout(
                "unexplained",
                f"velocity left unexplained by the fit{stale}",
                *both(unexplained, "{:.1%}".format),
            ),
            readout("floor", f"W2 between two target draws (reference){stale}", floor, floor),
            readout("time", "fit and integration time, both", _ms(self.fits.seconds), ""),
        ]

    # --- layout -------------------------------------------------------------------------

    def _build_controls(self) -> None:
        m = self.model
        self.new_samples = pn.widgets.Button(
            label=_samples_label(m.seed),
            description="Draw new noise and new target samples (the next seed)",
            sizing_mode="stretch_width",
        )
        self.new_samples.on_click(self._next_seed)
        m.param.watch(lambda e: setattr(self.new_samples, "label", _samples_label(e.new)), "seed")
        self.k_slider = _StepSlider.from_param(m.param.k, sizing_mode="stretch_width")
        args = {
            "steps": self.steps,
            "lines": self.curve.lines,
            "samples_ind": self.sample_figs["independent"].samples,
            "samples_ot": self.sample_figs["ot"].samples,
            "now": self.curve.now,
            "k_max": K_MAX,
        }
        self.k_slider.jscallback(args={**args, "mode": "slider"}, value=js.code(STEPS_JS))
        # a stale echo of the server (the student moved on since) is put right at once
        self.sample_figs["ot"].samples.js_on_change(
            "data", js.custom_js(STEPS_JS, **args, mode="guard")
        )
        text = {"font-size": "1rem"}
        self.control_panel = pn.Column(
            pn.widgets.Select.from_param(
                m.param.preset, options=PRESET_LABELS, sizing_mode="stretch_width"
            ),
            pn.widgets.IntSlider.from_param(m.param.n, sizing_mode="stretch_width"),
            pn.widgets.FloatSlider.from_param(
                m.param.noise, sizing_mode="stretch_width", format="0.00"
            ),
            self.new_samples,
            pn.widgets.Select.from_param(
                m.param.batch,
                options={str(b): b for b in BATCHES},
                sizing_mode="stretch_width",
            ),
            pn.pane.Markdown("**Carry fresh noise along the field**", margin=(0, 10), styles=text),
            self.k_slider,
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
        figs = [
            self.path_figs["independent"],
            self.path_figs["ot"],
            self.sample_figs["independent"],
            self.sample_figs["ot"],
            self.curve,
        ]
        panes = [pn.pane.Bokeh(f.figure, sizing_mode="fixed") for f in figs]
        caption = shell.caption(
            "Top: each noise sample (blue) joined to the target sample (orange) it is paired "
            "with. Middle: fresh noise carried by each fitted field with k Euler steps, over "
            "the target. Bottom: how close each pairing's samples get, for every k; the dotted "
            "line is the W2 between two draws of the target itself.",
        )
        grid = pn.FlexBox(*panes, gap="8px", justify_content="center", sizing_mode="stretch_width")
        live = shell.live_status(self.status, self.progress)
        return pn.Column(grid, live, caption, sizing_mode="stretch_width")

    def _embed_view(self) -> pn.viewable.Viewable:
        """A 700 x 600 iframe: the four sample plots two by two, beside them the controls, the
        fit's progress and the W2 curve; the table and the caption are left to the full page."""
        squares = [
            self.path_figs["independent"],
            self.path_figs["ot"],
            self.sample_figs["independent"],
            self.sample_figs["ot"],
        ]
        for f in squares:
            f.figure.update(width=EMBED_SQUARE, height=EMBED_SQUARE)
            f.figure.title.text_font_size = "11px"  # "…: 1879 crossings" in 205 px
        self.curve.figure.update(height=EMBED_CURVE_HEIGHT, sizing_mode="stretch_width", width=None)
        self.curve.figure.yaxis.axis_label = None  # the title says what it is
        for legend in self.curve.figure.legend:  # small, in a corner: the curves stay visible
            legend.update(label_text_font_size="10px", glyph_height=8, spacing=0, padding=2)
        panes = [pn.pane.Bokeh(f.figure, sizing_mode="fixed") for f in squares]
        grid = pn.Column(pn.Row(*panes[:2]), pn.Row(*panes[2:]))
        # the heading over the k slider is left out: the slider's label says it
        controls = [o for o in self.control_panel.objects if not isinstance(o, pn.pane.Markdown)]
        # the progress line's room is kept: the column does not grow while a fit runs
        live = shell.live_status(self.status, self.progress)
        live.min_height = 80
        side = pn.Column(
            *controls,
            live,
            pn.pane.Bokeh(self.curve.figure, sizing_mode="stretch_width"),
            self.full_page_link("the table of numbers and what each plot shows"),
            sizing_mode="stretch_width",
            min_width=240,
        )
        return pn.Row(grid, side, sizing_mode="stretch_width")

    # --- take it home --------------------------------------------------------------------

    def takehome(self) -> TakeHome:
        return _takehome(self.model)

    def caption_lines(self) -> list[str]:
        return [f"{row[1]}: {row[3]} / {row[4]}" for row in self.readouts.rows]


def _both(values: dict, fmt) -> tuple[str, str]:
    """The independent and the OT value of a quantity, formatted."""
    return fmt(values["independent"]), fmt(values["ot"])


def _samples_label(seed: int) -> str:
    return f"New random samples (seed {seed})"


#: What the page's progress bar measures (its accessible name).
_PROGRESS = "progress of the fit"


def _ms(seconds: float) -> str:
    return f"{1e3 * seconds:.0f} ms" if seconds >= 0.001 else "under 1 ms"


# --- take it home -----------------------------------------------------------------------------

_CLOUDS_CODE = '''import numpy as np
import ot
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import linear_sum_assignment

preset, n, noise, seed, batch, k = {preset!r}, {n}, {noise!r}, {seed}, {batch}, {k}
features, scale_x, scale_t, ridge, times = {features}, {scale_x!r}, {scale_t!r}, {ridge!r}, {times}


def stream(purpose):  # one random stream per use: 0 noise, 1 target, 2 fit, 3 fresh, 4 floor
    return np.random.default_rng([seed, purpose])


def target(rng):
    if preset == "moons":  # two half circles, one shifted and flipped
        u = np.pi * rng.random(n)
        top = np.arange(n) < n // 2
        xy = np.column_stack([np.where(top, np.cos(u), 1 - np.cos(u)),
                              np.where(top, np.sin(u), 0.5 - np.sin(u))])
        pts = 1.4 * (xy - [0.5, 0.25])
    elif preset == "rings":  # a third of the points on the inner ring
        r = np.where(np.arange(n) < n // 3, 0.7, 1.6)
        a = 2 * np.pi * rng.random(n)
        pts = r[:, None] * np.column_stack([np.cos(a), np.sin(a)])
    else:  # the letter A: three strokes, each picked in proportion to its length
        S = np.array([[[-1.1, -1.6], [0.0, 1.6]], [[0.0, 1.6], [1.1, -1.6]],
                      [[-0.55, 0.0], [0.55, 0.0]]])
        L = np.linalg.norm(S[:, 1] - S[:, 0], axis=1)
        s = rng.choice(3, size=n, p=L / L.sum())
        pts = S[s, 0] + rng.random(n)[:, None] * (S[s, 1] - S[s, 0])
    return pts + noise * rng.standard_normal((n, 2))


x0 = stream(0).standard_normal((n, 2))  # noise
x1 = target(stream(1))                  # target samples
fresh = stream(3).standard_normal((n, 2))  # new noise to carry along the fitted fields
second = target(stream(4))              # a second target draw: the sampling floor


def ot_pairing(x0, x1, batch):
    """Exact assignment (squared distances) inside each minibatch of consecutive rows."""
    m = np.arange(len(x0))
    for lo in range(0, len(x0), batch):
        hi = min(lo + batch, len(x0))
        C = ot.dist(x0[lo:hi], x1[lo:hi])
        rows, cols = linear_sum_assignment(C)
        m[lo + rows] = lo + cols
    return m


def crossings(a, b):
    """Pairs of closed segments [a_i, b_i], [a_j, b_j] that share a point in the plane."""
    def turn(p, q, r):
        return np.sign((q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1])
                       - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0]))

    def inside(p, q, r):  # r in the box of p, q
        return ((np.minimum(p[..., 0], q[..., 0]) <= r[..., 0])
                & (r[..., 0] <= np.maximum(p[..., 0], q[..., 0]))
                & (np.minimum(p[..., 1], q[..., 1]) <= r[..., 1])
                & (r[..., 1] <= np.maximum(p[..., 1], q[..., 1])))

    i, j = np.triu_indices(len(a), 1)
    p0, p1, q0, q1 = a[i], b[i], a[j], b[j]
    d1, d2, d3, d4 = turn(q0, q1, p0), turn(q0, q1, p1), turn(p0, p1, q0), turn(p0, p1, q1)
    hit = (d1 * d2 < 0) & (d3 * d4 < 0)
    hit |= ((d1 == 0) & inside(q0, q1, p0)) | ((d2 == 0) & inside(q0, q1, p1))
    hit |= ((d3 == 0) & inside(p0, p1, q0)) | ((d4 == 0) & inside(p0, p1, q1))
    return int(hit.sum())


pairings = {{"independent": np.arange(n), "minibatch OT": ot_pairing(x0, x1, min(batch, n))}}
for name, m in pairings.items():
    print(f"{{name}}: crossings = {{crossings(x0, x1[m])}}, "
          f"mean squared path length = {{np.mean(np.sum((x1[m] - x0) ** 2, axis=1)):.4f}}")
'''

_FIT_CODE = '''def phi(z, W, b):
    """(1, x, t) and random Fourier features of z = (x, t)."""
    return np.hstack([np.ones((len(z), 1)), z, np.sqrt(2 / len(b)) * np.cos(z @ W.T + b)])


def fit(a, c):
    """Ridge regression of the velocity c - a on points (1 - t) a + t c at random times t."""
    rng = stream(2)
    t = rng.random(len(a) * times)
    a, c = np.repeat(a, times, axis=0), np.repeat(c, times, axis=0)
    z = np.column_stack([(1 - t)[:, None] * a + t[:, None] * c, t])
    W = rng.standard_normal((features, 3)) / [scale_x, scale_x, scale_t]
    b = rng.uniform(0, 2 * np.pi, features)
    F = phi(z, W, b)
    A = F.T @ F + ridge * len(z) * np.eye(F.shape[1])
    beta = cho_solve(cho_factor(A), F.T @ (c - a))
    unexplained = np.sum((F @ beta - (c - a)) ** 2) / np.sum((c - a) ** 2)
    return W, b, beta, unexplained


def euler(field, x, steps):
    W, b, beta, _ = field
    for j in range(steps):
        z = np.column_stack([x, np.full(len(x), j / steps)])
        x = x + phi(z, W, b) @ beta / steps
    return x


def w2(X, Y):  # exact, by POT's network simplex
    u = np.full(len(X), 1 / len(X))
    return np.sqrt(ot.emd2(u, u, ot.dist(X, Y)))


print(f"W2 between two target draws (reference) = {{w2(second, x1):.4f}}")
curves = {{}}
for name, m in pairings.items():
    field = fit(x0, x1[m])
    curves[name] = [w2(euler(field, fresh, s), x1) for s in range(1, {k_max} + 1)]
    best = min(curves[name])
    arrived = next(s for s, v in enumerate(curves[name], 1) if v <= {arrived} * best)
    print(f"{{name}}: left unexplained = {{field[3]:.1%}}, W2 after k = {{k}} steps = "
          f"{{curves[name][k - 1]:.4f}}, best = {{best:.4f}}, within 10% from k = {{arrived}}")
'''

_PLOT_CODE = """import matplotlib.pyplot as plt

fig, ax = plt.subplots(1, 3, figsize=(12, 4), constrained_layout=True)
for a, (name, m) in zip(ax[:2], pairings.items()):
    a.plot(np.stack([x0[:, 0], x1[m, 0]]), np.stack([x0[:, 1], x1[m, 1]]), c="#009E73",
           alpha=0.35, lw=0.8)
    a.scatter(*x0.T, s=6, c="#0072B2")
    a.scatter(*x1.T, s=6, c="#D55E00")
    a.set_title(f"{name}: {crossings(x0, x1[m])} crossings")
    a.set_aspect("equal")
steps = range(1, len(curves["independent"]) + 1)
ax[2].plot(steps, curves["independent"], "--o", ms=3, label="independent pairs")
ax[2].plot(steps, curves["minibatch OT"], "-o", ms=3, label="minibatch OT pairs")
ax[2].axvline(k, c="grey")
ax[2].set_xlabel("Euler steps k")
ax[2].set_ylabel("W2 to the target")
ax[2].legend()
plt.show()
"""


def _takehome(m: FlowModel) -> TakeHome:
    return TakeHome(
        title="Flow matching: straight paths from good couplings",
        intro=(
            f"{PRESETS[m.preset].capitalize()}, {m.n} samples (blur {m.noise:g}, seed "
            f"{m.seed}), paired with Gaussian noise independently and by exact transport "
            f"within minibatches of {min(int(m.batch), int(m.n))}. The code counts the "
            "crossings of the straight paths, fits a velocity field to each pairing (ridge "
            "regression on random Fourier features), carries fresh noise along it with 1 to "
            f"{K_MAX} Euler steps, and measures the exact W2 to the target with POT."
        ),
        equation=(
            r"\min_v \; \mathbb{E}_{t,\,(x_0, x_1)} \big\| v\big((1-t)x_0 + t x_1,\, t\big)"
            r" - (x_1 - x_0) \big\|^2"
        ),
        cells=(
            _CLOUDS_CODE.format(
                preset=m.preset,
                n=int(m.n),
                noise=float(m.noise),
                seed=int(m.seed),
                batch=int(m.batch),
                k=int(m.k),
                features=int(FIT_SETTINGS["features"]),
                scale_x=float(FIT_SETTINGS["scale_x"]),
                scale_t=float(FIT_SETTINGS["scale_t"]),
                ridge=float(FIT_SETTINGS["ridge"]),
                times=int(FIT_SETTINGS["times"]),
            ),
            _FIT_CODE.format(k_max=K_MAX, arrived=ARRIVED),
            _PLOT_CODE,
        ),
        notes=(
            "The same numbers as the page's readouts: crossings, path lengths, W2 at k steps, "
            "the best W2 and the floor.",
            "The W2 here comes from POT's network simplex; the page solves the same problem "
            "as an assignment.",
        ),
    )
