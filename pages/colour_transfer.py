"""Colour transfer: recolour one picture with the colours of another, four ways.

Each picture is a cloud of colours. The page samples a palette from each (``n`` colours,
uniform weights), pairs the palettes by exact OT, entropic OT, the Gaussian (Bures) map and a
per-channel quantile match (:mod:`ot_engine.colour`), and sends every pixel of the source
picture where its nearest palette colours go. The palettes and the lines x -> T(x) are drawn
in an opponent-colour plane; the four results sit side by side; the chosen one lies over the
original under a before/after slider that runs in the browser.

Two background jobs (:mod:`pages.workers`), newest request wins, last result kept:

- the palette solves (all four methods on a change of pictures, palette or seed; only the
  entropic one, warm-started, on a change of eps), with the methods' thumbnails;
- the full-resolution picture for the chosen method, mapped in chunks with progress (a
  method switch needs only this one).

Uploads (PNG or JPEG, at most 180 KB and one megapixel) are decoded in memory and kept only
in the session (:mod:`pages.colour_transfer_images`).
"""

from __future__ import annotations

import dataclasses
import io
import math
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
import panel as pn
import param

from ot_engine.colour import METHODS, PaletteMap, map_colours, palette_transport, sample_palette
from pages import compat, query, shell, workers
from pages.colour_transfer_images import (
    BUNDLED,
    DISPLAY_SIDE,
    MAX_PIXELS,
    MAX_UPLOAD_BYTES,
    THUMB_SIDE,
    UploadRefused,
    bundled,
    decode_base64,
    decode_upload,
    downscale,
    png_bytes,
    png_data_uri,
    to_colours,
    to_picture,
)
from pages.colour_transfer_plots import (
    THUMBS_CSS,
    BeforeAfter,
    ChromaFigure,
    ImageUpload,
    selected_thumb_css,
    thumbnails_html,
)
from pages.components.readouts import ReadoutTable, readout
from pages.page import NotebookPage
from pages.takehome import TakeHome

SLUG = "colour_transfer"
UPLOAD = "upload"
ROLES = ("source", "target")
METHOD_LABELS = {
    "exact": "exact OT",
    "entropic": "entropic OT",
    "linear": "Gaussian map",
    "histogram": "per channel",
}
EPS_CHOICES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1)
MIN_N, MAX_N = 250, 2000
MAX_SEED = 9999
#: Neighbours of the extension from the palette to every pixel.
NEIGHBOURS = 4
#: Entropic solver budget (s); a capped solve is shown and flagged "did not converge".
ENTROPIC_BUDGET = 10.0
#: Controls rest this long (ms) before a palette solve starts.
SOLVE_DELAY_MS = 120
#: Work that ends sooner than this (s) shows no progress bar (see ``_show_progress``).
PROGRESS_AFTER_S = 0.25
#: A method switch's reply (the lines, the readouts) leaves before its picture is mapped.
RENDER_DELAY_MS = 15
#: Pixels mapped per worker job (a 1 megapixel upload takes 8 jobs of ~0.2-0.4 s).
RENDER_STEP = 1 << 17
#: Order of the solves: cheap closed forms first, so three thumbnails come quickly.
SOLVE_ORDER = ("linear", "histogram", "exact", "entropic")


#: The readouts: four value columns beside the labels on a wide screen; on a phone each row
#: stacks (its label on a line, then the values two by two, each named by its method), in
#: 16 px text, so no number is cut and nothing scrolls sideways.
READOUTS_CSS = (
    "table.ct-readouts th { white-space: normal; font-size: 0.9rem; }\n"
    "@media (max-width: 640px) {\n"
    "  table.ct-readouts { font-size: 16px; }\n"
    "  table.ct-readouts colgroup, table.ct-readouts thead { display: none; }\n"
    "  table.ct-readouts tbody tr[data-key] { display: grid; grid-template-columns: 1fr 1fr;\n"
    "    gap: 0 12px; padding: 6px 0; border-top: 1px solid rgba(128, 128, 128, 0.35); }\n"
    "  table.ct-readouts tbody th { grid-column: 1 / -1; font-size: 16px; font-weight: 600; }\n"
    "  table.ct-readouts tbody td.ot-readout-num { white-space: normal; overflow: visible;\n"
    "    text-align: left;\n"
    "    overflow-wrap: anywhere; }\n"
    "  table.ct-readouts tbody td:empty { display: none; }\n"
    "  table.ct-readouts tr.ot-flag-note { display: block; }\n"
    + "".join(
        f'  table.ct-readouts td.ct-{key}::before {{ content: "{label}: "; opacity: 0.8; }}\n'
        for key, label in METHOD_LABELS.items()
    )
    + "}\n"
)
#: Controls on a phone: 16 px text on the method buttons and the slider titles.
PHONE_CONTROLS_CSS = (
    "@media (max-width: 640px) { .bk-btn, .bk-input-group label, .bk-slider-title,"
    " .bk-input { font-size: 16px; } }"
)


class ColourModel(param.Parameterized):
    """What a link can carry: the two bundled pictures, the method, eps, the palettes."""

    source = param.Selector(default="sunset", objects=[*BUNDLED, UPLOAD], label="Source")
    target = param.Selector(default="forest", objects=[*BUNDLED, UPLOAD], label="Target")
    method = param.Selector(default="exact", objects=list(METHODS), label="Method shown")
    eps = param.Selector(default=0.01, objects=list(EPS_CHOICES), label="Entropic ε")
    n = param.Integer(1000, bounds=(MIN_N, MAX_N), step=250, label="Palette size")
    seed = param.Integer(0, bounds=(0, MAX_SEED), label="Seed")


@dataclass(frozen=True, eq=False)
class Solved:
    """The palette solves of one setting: palettes, four maps, four thumbnails."""

    key: tuple
    X: np.ndarray
    Y: np.ndarray
    maps: dict[str, PaletteMap]
    thumbs: dict[str, str]
    #: The entropic solve's potentials (f, g), the next eps's warm start. The plans are not
    #: kept: on colours that never repeat they are n x n floats, 32 MB at n = 2000.
    warm: tuple | None = None


@dataclass(frozen=True, eq=False)
class Rendered:
    """The source picture mapped at full resolution by one method."""

    key: tuple
    picture: np.ndarray  # uint8 (H, W, 3)
    uri: str  # the display-size PNG
    mean: np.ndarray  # mean RGB of the recoloured picture, in [0, 1]
    seconds: float


def solve_palettes(
    source: np.ndarray,
    target: np.ndarray,
    n: int,
    seed: int,
    eps: float,
    key: tuple,
    *,
    keep: dict[str, PaletteMap] | None = None,
    keep_thumbs: dict[str, str] | None = None,
    warm=None,
    palettes: tuple[np.ndarray, np.ndarray] | None = None,
    progress=None,
) -> Solved:
    """Sample both palettes, solve every method not in ``keep``, draw their thumbnails.

    The source palette uses ``seed``, the target's ``seed + 1`` (two independent draws).
    ``palettes``: the (X, Y) those draws gave before, kept as they are (an eps move: the
    figure then sends neither the palettes nor the lines of a method it did not solve).
    """
    if palettes is None:
        X = sample_palette(to_colours(source), n, seed)
        Y = sample_palette(to_colours(target), n, seed + 1)
    else:
        X, Y = palettes
    small = downscale(source, THUMB_SIDE)
    maps, thumbs = dict(keep or {}), dict(keep_thumbs or {})
    todo = [m for m in SOLVE_ORDER if m not in maps]
    for k, method in enumerate(todo):
        if progress is not None:
            progress(k / len(todo), f"solving {METHOD_LABELS[method]} on {n} colours")
        pm = palette_transport(X, Y, method, eps=eps, warm_start=warm, max_time=ENTROPIC_BUDGET)
        if method == "entropic":
            warm = (pm.plan_result.f, pm.plan_result.g)
        maps[method] = dataclasses.replace(pm, plan_result=None)
        mapped = map_colours(maps[method], to_colours(small), k=NEIGHBOURS)
        thumbs[method] = png_data_uri(to_picture(mapped, small.shape))
    return Solved(key, X, Y, maps, thumbs, warm)


def render_picture(source: np.ndarray, pm: PaletteMap, key: tuple, progress=None) -> Rendered:
    """Map every pixel of ``source`` through ``pm`` (in chunks, with progress)."""
    started = time.perf_counter()
    mapped = map_colours(pm, to_colours(source), k=NEIGHBOURS, progress=progress)
    return _rendered(source, mapped, key, time.perf_counter() - started)


def _rendered(source: np.ndarray, mapped: np.ndarray, key: tuple, seconds: float) -> Rendered:
    picture = to_picture(mapped, source.shape)
    return Rendered(key, picture, png_data_uri(downscale(picture, DISPLAY_SIDE)),
                    mapped.mean(axis=0), seconds)  # fmt: skip


@dataclass(frozen=True, eq=False)
class RenderPart:
    """A picture being mapped: the first ``done`` pixels are in ``mapped``."""

    key: tuple
    done: int
    mapped: np.ndarray  # float (H * W, 3), filled up to ``done``
    seconds: float  # worker time so far

    @property
    def total(self) -> int:
        return len(self.mapped)


def render_step(
    source: np.ndarray, pm: PaletteMap, key: tuple, part: RenderPart | None = None
) -> RenderPart | Rendered:
    """Map the next :data:`RENDER_STEP` pixels of ``source``; the finished picture after the
    last step. One step is one job of the process's single worker thread: between two steps
    the jobs of other sessions run, so a megapixel upload never holds the worker for seconds.
    """
    started = time.perf_counter()
    colours = source.reshape(-1, 3)
    if part is None:
        part = RenderPart(key, 0, np.empty(colours.shape, np.float64), 0.0)
    stop = min(part.done + RENDER_STEP, part.total)
    part.mapped[part.done : stop] = map_colours(
        pm, to_colours(colours[part.done : stop]), k=NEIGHBOURS
    )
    seconds = part.seconds + time.perf_counter() - started
    if stop < part.total:
        return RenderPart(key, stop, part.mapped, seconds)
    return _rendered(source, part.mapped, key, seconds)


def render_key(solved: Solved, method: str) -> tuple:
    """What the picture mapped by ``method`` depends on: the palettes, and eps only for the
    entropic map (an eps move does not map the picture again for another method)."""
    palettes, eps = solved.key
    return (palettes, method, eps if method == "entropic" else None)


# --- deep links -------------------------------------------------------------------------


def _parse_eps(raw: str) -> float:
    value = query.float_in(0.0, 1.0)(raw)
    for allowed in EPS_CHOICES:
        if math.isclose(value, allowed, rel_tol=1e-9):
            return allowed
    raise ValueError("not one of " + ", ".join(f"{e:g}" for e in EPS_CHOICES))


QUERY_KEYS = (
    query.QueryKey("src", "source", query.choice(*BUNDLED)),
    query.QueryKey("tgt", "target", query.choice(*BUNDLED)),
    query.QueryKey("method", "method", query.choice(*METHODS)),
    query.QueryKey("eps", "eps", _parse_eps, lambda v: f"{v:g}"),
    query.QueryKey("n", "n", query.int_in(MIN_N, MAX_N), str),
    query.QueryKey("seed", "seed", query.int_in(0, MAX_SEED), str),
)


# --- the page ---------------------------------------------------------------------------


#: Embedded view: the split picture beside the palettes' plane (stacked on a phone).
EMBED_TOP_CSS = """
:host { display: grid !important; grid-template-columns: minmax(0, 1fr) 17rem;
        gap: 0 0.75rem; align-items: start; }
@media (max-width: 560px) { :host { grid-template-columns: minmax(0, 1fr); } }
"""


class ColourTransferPage(NotebookPage):
    """Figure, controls, readouts of the colour transfer page (one instance per session)."""

    slug = SLUG
    embed_height_scale = None  # its own embed view (_embed_view)
    model_class = ColourModel
    query_keys = QUERY_KEYS
    figure_svg = False  # the pictures are rasters

    def __init__(self, model: ColourModel | None = None, **params):
        super().__init__(model, **params)
        #: Uploaded pictures of this session (never written anywhere), and their names.
        self.uploads: dict[str, np.ndarray | None] = {"source": None, "target": None}
        self.upload_names: dict[str, str] = {"source": "", "target": ""}
        self._valid = {"source": self.model.source, "target": self.model.target}
        self.solved: Solved | None = None
        self.rendered: Rendered | None = None
        self.problem: str | None = None
        self._pending_solve: tuple | None = None
        self._pending_render: tuple | None = None
        self._busy_since = 0.0  # when the work now running was asked for (monotonic s)
        self.chroma = ChromaFigure()
        self.compare = BeforeAfter(sizing_mode="stretch_width", min_height=200)
        self.thumbs = pn.pane.HTML(
            "", sizing_mode="stretch_width", stylesheets=[THUMBS_CSS], margin=(4, 10)
        )
        self.readouts = ReadoutTable(
            columns=[[f"ct-{m}", METHOD_LABELS[m]] for m in METHODS],
            label_header="on the palettes",
            label_width="28%",
            caption="The four methods on the sampled palettes, and the picture shown",
            table_class="ct-readouts",
            stylesheets=[READOUTS_CSS],
            sizing_mode="stretch_width",
            min_height=200,
        )
        text = {"font-size": "1rem"}
        self.status = pn.pane.Markdown("", sizing_mode="stretch_width", styles=text, margin=(0, 10))
        self.progress = pn.pane.HTML(
            shell.progress_bar(0, _PROGRESS),
            visible=False,
            sizing_mode="stretch_width",
            margin=(0, 10),
        )
        self.message = pn.pane.Markdown(
            "", sizing_mode="stretch_width", styles=text, margin=(0, 10)
        )
        self._solve_job = workers.Job(
            self._show_solved,
            on_error=partial(self._show_problem, "solve"),
            on_progress=self._show_progress,
            delay_ms=SOLVE_DELAY_MS,
        )
        self._render_job = workers.Job(
            self._show_rendered,
            on_error=partial(self._show_problem, "map the picture"),
            on_progress=self._show_progress,
            delay_ms=RENDER_DELAY_MS,
        )
        self._build_controls()
        self._show_before()
        self._paint()
        pn.state.onload(self._request_solve)
        m = self.model
        m.param.watch(self._on_picture, ["source", "target"])
        m.param.watch(lambda *_e: self._request_solve(), ["n", "seed"])
        m.param.watch(lambda *_e: self._request_solve(eps_only=True), ["eps"])
        m.param.watch(self._on_method, ["method"])

    # --- pictures ---------------------------------------------------------------------------

    def picture(self, role: str) -> np.ndarray:
        name = getattr(self.model, role)
        if name == UPLOAD:
            return self.uploads[role]
        return bundled(name)

    def _picture_id(self, role: str) -> str:
        name = getattr(self.model, role)
        return f"upload:{id(self.uploads[role])}" if name == UPLOAD else name

    @property
    def palette_key(self) -> tuple:
        m = self.model
        return (self._picture_id("source"), self._picture_id("target"), int(m.n), int(m.seed))

    def _on_picture(self, event) -> None:
        role = event.name
        if event.new == UPLOAD and self.uploads[role] is None:
            self.message.object = (
                f"**No {role} picture uploaded yet:** pick a file below. "
                f"The {self._valid[role]} picture is kept."
            )
            # undo on the next tick would race the widget; set it back at once
            with param.discard_events(self.model):
                setattr(self.model, role, self._valid[role])
            self.role_selects[role].value = self._valid[role]
            return
        self._valid[role] = event.new
        if role == "source":
            self._show_before()
        self._request_solve()

    def _show_before(self) -> None:
        src = self.picture("source")
        h, w = src.shape[:2]
        name = self._picture_name("source")
        self.compare.param.update(
            before=png_data_uri(downscale(src, DISPLAY_SIDE)),
            aspect=w / h,
            before_alt=f"the original picture: {name}",
        )

    def _picture_name(self, role: str) -> str:
        name = getattr(self.model, role)
        return f"your upload {self.upload_names[role]}" if name == UPLOAD else BUNDLED[name]

    def _on_upload(self, role: str, *_events) -> None:
        widget = self.uploads_widgets[role]
        raw, widget.data = widget.data, ""  # the base64 text is not kept
        if widget.refused:
            self.message.object = f"**Upload refused:** {widget.refused}. The last picture is kept."
            return
        try:
            arr = decode_upload(decode_base64(raw))
        except UploadRefused as err:
            self.message.object = f"**Upload refused:** {err}. The last picture is kept."
            return
        self.uploads[role] = arr
        self.upload_names[role] = widget.filename[:60]
        h, w = arr.shape[:2]
        self.message.object = f"Uploaded {self.upload_names[role]} ({w} x {h}) as the {role}."
        if getattr(self.model, role) == UPLOAD:  # a new upload replaces the last one
            if role == "source":
                self._show_before()
            self._request_solve()
        else:
            setattr(self.model, role, UPLOAD)
            self.role_selects[role].value = UPLOAD

    # --- jobs -----------------------------------------------------------------------------

    def _request_solve(self, eps_only: bool = False) -> None:
        m = self.model
        key = self.palette_key
        eps = float(m.eps)
        keep = keep_thumbs = warm = palettes = None
        reuse = self.solved is not None and self.solved.key[0] == key
        if reuse and eps_only:
            keep = {k: v for k, v in self.solved.maps.items() if k != "entropic"}
            keep_thumbs = {k: v for k, v in self.solved.thumbs.items() if k != "entropic"}
            warm = self.solved.warm
            palettes = (self.solved.X, self.solved.Y)
        elif reuse and self.solved.key[1] == eps:
            return  # nothing changed (e.g. the same picture picked again)
        self.problem = None
        self._pending_solve = (key, eps)
        # an eps move re-solves one warm-started plan (tens of ms): start at once; newer
        # requests still supersede older ones, so a slider drag builds no backlog
        self._solve_job.delay_ms = 0 if keep is not None else SOLVE_DELAY_MS
        # Bundled pictures: the same palettes and plans for every student, solved once. An
        # upload's never leave its session.
        bundled_only = UPLOAD not in (m.source, m.target)
        self._solve_job.submit(
            partial(
                solve_palettes,
                self.picture("source"),
                self.picture("target"),
                int(m.n),
                int(m.seed),
                eps,
                (key, eps),
                keep=keep,
                keep_thumbs=keep_thumbs,
                warm=warm,
                palettes=palettes,
            ),
            key=("colour_transfer.solve", key, eps) if bundled_only else None,
        )
        self._busy_since = time.monotonic()
        if keep is None:
            self._paint()  # new palettes: say "solving…" at once
        else:
            # an eps move re-solves in tens of ms: "ε being solved" only if it lasts (a paint
            # meanwhile would compete with the solve and lay the table out twice)
            self._solve_job.if_still_busy(PROGRESS_AFTER_S, self._paint)

    def _show_solved(self, solved: Solved) -> None:
        self.solved = solved
        self.progress.visible = False
        self.status.object = ""
        self._paint()
        self._request_render()

    def _request_render(self) -> None:
        if self.solved is None:
            return
        method = self.model.method
        key = render_key(self.solved, method)
        if self.rendered is not None and self.rendered.key == key:
            self._paint()
            return
        self._pending_render = key
        self._render_job.submit(
            partial(render_step, self.picture("source"), self.solved.maps[method], key)
        )
        if self._render_job.busy and not self._solve_job.busy:
            self._busy_since = time.monotonic()

    def _show_rendered(self, rendered: Rendered | RenderPart) -> None:
        if isinstance(rendered, RenderPart):  # more pixels to map: queue the next step
            if self.solved is None or render_key(self.solved, rendered.key[1]) != rendered.key:
                return  # new palettes: their own picture is on its way
            done, total = rendered.done, rendered.total
            self._show_progress(done / total, f"{done:,} of {total:,} pixels mapped")
            pm = self.solved.maps[rendered.key[1]]
            self._render_job.submit(
                partial(render_step, self.picture("source"), pm, rendered.key, rendered)
            )
            return
        self.rendered = rendered
        self.progress.visible = False
        self.status.object = ""
        self._paint()

    def _show_problem(self, what: str, problem: str) -> None:
        self.problem = problem
        self.progress.visible = False
        self.status.object = f"**Could not {what}:** {problem}. The last result is kept."
        self._paint()

    def _show_progress(self, fraction: float, text: str) -> None:
        # Only work that lasts shows a bar: showing and hiding it lays the page out again,
        # which would cost a quick answer (an eps move, a small picture) more than its work.
        if time.monotonic() - self._busy_since < PROGRESS_AFTER_S:
            return
        self.progress.param.update(object=shell.progress_bar(fraction, _PROGRESS), visible=True)
        self.status.object = f"Working: {text}…"

    def _on_method(self, *_events) -> None:
        self._paint()
        self._request_render()

    # --- drawing ----------------------------------------------------------------------------

    def current(self) -> Solved | None:
        """The palette solves shown: the last finished ones if they belong to the pictures,
        palette size and seed shown (the eps of the entropic one may be older)."""
        if self.solved is None or self.solved.key[0] != self.palette_key:
            return None
        return self.solved

    def _paint(self) -> None:
        m = self.model
        solved = self.current()
        if solved is None:
            self.chroma.update(np.zeros((0, 3)), np.zeros((0, 3)), None)
        else:
            self.chroma.update(solved.X, solved.Y, solved.maps[m.method].mapped)
        thumbs = solved.thumbs if solved is not None else {}
        target_name = self._picture_name("target")
        items = []
        for method in METHODS:
            caption = METHOD_LABELS[method]
            if method == "entropic" and solved is not None:
                caption += f", ε = {solved.maps['entropic'].eps:g}"
            alt = f"{self._picture_name('source')} recoloured like {target_name} by {caption}"
            items.append((thumbs.get(method, ""), caption, alt, False))
        # unchanged text is not sent again; the frame of the method shown is a stylesheet
        self.thumbs.object = thumbnails_html(items)
        self.thumbs.stylesheets = [THUMBS_CSS, selected_thumb_css(METHODS.index(m.method))]
        rendered = self.rendered
        shown = (
            rendered is not None
            and solved is not None
            and rendered.key == render_key(solved, m.method)
        )
        if shown:
            self.compare.param.update(
                after=rendered.uri,
                after_alt=f"{self._picture_name('source')} recoloured by {METHOD_LABELS[m.method]}",
            )
        self.readouts.rows = self._rows(solved, rendered if shown else None)

    def _rows(self, solved: Solved | None, rendered: Rendered | None) -> list[list[str]]:
        if solved is None:
            why = self.problem or "solving…"
            return [readout("cost", "cost ⟨C, P⟩ or mean |T(x) − x|²", *([why] * len(METHODS)))]
        maps = [solved.maps[m] for m in METHODS]
        entropic = solved.maps["entropic"]
        flag = (
            ""
            if entropic.converged
            else "the entropic solve did not converge within its budget: its numbers are off"
        )
        fresh = solved.key[1] == float(self.model.eps)
        rows = [
            readout("cost", "cost ⟨C, P⟩ or mean |T(x) − x|²", *(f"{p.cost:.5f}" for p in maps)),
            readout("marg", "marginal error", *(_small(p.marginal_error) for p in maps), flag=flag),
            readout(
                "conv",
                "converged" + ("" if fresh else " (ε being solved)"),
                *("yes" if p.converged else "no" for p in maps),
            ),
            readout("time", "solve time", *(_ms(p.solve_time) for p in maps)),
            readout(
                "atoms",
                "distinct colours solved (source / target)",
                *(f"{p.distinct[0]} / {p.distinct[1]}" if p.distinct else "all" for p in maps),
            ),
        ]
        picture = self.picture("source")
        h, w = picture.shape[:2]
        column = METHODS.index(self.model.method)

        def under_shown(key: str, label: str, text: str) -> list[str]:
            """A row with its one value in the column of the method shown."""
            values = [""] * len(METHODS)
            values[column] = text
            return readout(key, label, *values)

        if rendered is None:
            rows.append(under_shown("pic", "mean RGB of the picture", self.problem or "mapping…"))
        else:
            mean = ", ".join(f"{v:.3f}" for v in rendered.mean)
            rows.append(under_shown("pic", "mean RGB of the picture", mean))
            took = f"{w * h:,} in {_ms(rendered.seconds)}"
            rows.append(under_shown("px", f"pixels mapped ({w} x {h})", took))
        return rows

    # --- layout -----------------------------------------------------------------------------

    def _build_controls(self) -> None:
        m = self.model
        phone = [PHONE_CONTROLS_CSS]
        names = {**{label: key for key, label in BUNDLED.items()}, "your upload": UPLOAD}
        self.role_selects = {
            role: pn.widgets.Select.from_param(
                getattr(m.param, role),
                options=names,
                sizing_mode="stretch_width",
                stylesheets=phone,
            )
            for role in ROLES
        }
        self.uploads_widgets = {
            role: ImageUpload(
                label=f"Upload a {role} picture (PNG or JPEG, up to "
                f"{MAX_UPLOAD_BYTES // 1000} KB and {MAX_PIXELS // 2**20} megapixel)",
                sizing_mode="stretch_width",
                margin=(4, 10),
            )
            for role in ROLES
        }
        for role, widget in self.uploads_widgets.items():
            widget.param.watch(partial(self._on_upload, role), ["nonce"])
        self.download = pn.widgets.FileDownload(
            callback=self._download,
            filename="recoloured.png",
            label="Download the recoloured picture (full size)",
            sizing_mode="stretch_width",
            stylesheets=phone,
        )
        # a plain button, not a number field: its spin buttons have no accessible names
        self.new_palettes = pn.widgets.Button(
            label=_palettes_label(m.seed),
            description="Draw new palettes from both pictures (the next seed)",
            sizing_mode="stretch_width",
            stylesheets=phone,
        )
        self.new_palettes.on_click(self._next_seed)
        m.param.watch(lambda e: setattr(self.new_palettes, "label", _palettes_label(e.new)), "seed")
        self.eps_slider = pn.widgets.DiscreteSlider.from_param(
            m.param.eps,
            options={f"{e:g}": e for e in EPS_CHOICES},
            sizing_mode="stretch_width",
            stylesheets=phone,
        )
        # seven stops, each a warm-started solve that supersedes the last: no hold needed
        compat.answer_at_once(self.eps_slider)
        text = {"font-size": "1rem"}
        self.control_panel = pn.Column(
            self.role_selects["source"],
            self.role_selects["target"],
            pn.pane.Markdown("**Method shown**", margin=(0, 10), styles=text),
            pn.widgets.RadioButtonGroup.from_param(
                m.param.method,
                options={METHOD_LABELS[k]: k for k in METHODS},
                sizing_mode="stretch_width",
                stylesheets=phone,
                orientation="vertical",
            ),
            self.eps_slider,
            pn.widgets.IntSlider.from_param(
                m.param.n, sizing_mode="stretch_width", stylesheets=phone
            ),
            self.new_palettes,
            self.uploads_widgets["source"],
            self.uploads_widgets["target"],
            self.download,
            sizing_mode="stretch_width",
        )

    def _next_seed(self, *_event) -> None:
        self.model.seed = (self.model.seed + 1) % (MAX_SEED + 1)

    def _download(self):
        if self.rendered is None:
            return io.BytesIO(png_bytes(self.picture("source")))
        return io.BytesIO(png_bytes(self.rendered.picture))

    def controls(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.control_panel

    def side_readouts(self) -> pn.viewable.Viewable | None:
        return None if self.embed else super().side_readouts()

    def _embed_view(self, live: pn.viewable.Viewable) -> pn.viewable.Viewable:
        """A 700 x 600 iframe: the split picture beside the palettes' plane, the main
        controls in rows under them (the method's buttons in one row), the work's progress in
        a kept room; the thumbnails, the table, the uploads and the download are left to the
        full page (linked)."""
        method = self.control_panel.objects[3]
        method.orientation = "horizontal"
        controls = [
            self.role_selects["source"],
            self.role_selects["target"],
            *self.control_panel.objects[4:6],  # the ε and palette-size sliders
            self.new_palettes,
        ]
        live.min_height = 44
        link = self.full_page_link(
            "the four methods side by side, the table of numbers, your own pictures and the "
            "download"
        )
        plane = pn.pane.Bokeh(self.chroma.figure, sizing_mode="stretch_width")
        top = pn.Column(
            self.compare, plane, stylesheets=[EMBED_TOP_CSS], sizing_mode="stretch_width"
        )
        rows = pn.Column(*controls, css_classes=["ot-embed-controls"], sizing_mode="stretch_width")
        return pn.Column(top, method, rows, live, link, sizing_mode="stretch_width")

    def figure(self) -> pn.viewable.Viewable:
        caption = shell.caption(
            "Left of the split: the original; right: recoloured by the method shown (move "
            "the slider under the picture). The plane shows the two palettes without their "
            "lightness (grey at the centre) and, for some source colours, a line to where "
            "the method sends them. Below, the four methods side by side.",
        )
        live = shell.live_status(self.message, self.status, self.progress)
        if self.embed:
            return self._embed_view(live)
        top = pn.FlexBox(
            pn.Column(self.compare, sizing_mode="stretch_width", min_width=280, max_width=580),
            pn.pane.Bokeh(self.chroma.figure, sizing_mode="scale_width", max_width=400),
            gap="8px",
            justify_content="center",
            sizing_mode="stretch_width",
        )
        return pn.Column(
            top, live, self.thumbs, self.readouts, caption, sizing_mode="stretch_width"
        )

    # --- take it home ------------------------------------------------------------------------

    def takehome(self) -> TakeHome:
        return _takehome(self.model, self.upload_names)

    def caption_lines(self) -> list[str]:
        return [f"{row[1]}: " + " | ".join(row[3:7]) for row in self.readouts.rows]


def _palettes_label(seed: int) -> str:
    return f"New palettes (seed {seed})"


#: What the page's progress bar measures (its accessible name).
_PROGRESS = "progress of the computation"


def _ms(seconds: float) -> str:
    return f"{1e3 * seconds:.0f} ms" if seconds >= 0.001 else "under 1 ms"


def _small(v: float) -> str:
    return "0" if v == 0 else ("below 1e-15" if v < 1e-15 else f"{v:.1e}")


def _takehome(m: ColourModel, upload_names: dict[str, str]) -> TakeHome:
    from pages.colour_transfer_takehome import takehome

    return takehome(m, upload_names)
