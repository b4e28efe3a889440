"""Page: persistence diagrams, compared by matching their points with each other or the diagonal.

Two diagrams D1, D2 (points ``(birth, death)`` above the diagonal), either computed from a
sampled function f and its perturbation g (0-dimensional sublevel-set persistence,
:func:`ot_engine.sublevel_diagram`) or placed by hand: dragged, added and removed with the
mouse, a finger or the keyboard. The page solves the optimal matching exactly
(:func:`ot_engine.diagram_distance`: an assignment with a diagonal reservoir for ``W_p``, a
bottleneck search for ``W_inf``) and draws it; with a function preset it also shows the
stability bound ``d_B(Dgm f, Dgm g) <= ||f - g||_inf`` holding as the perturbation grows.

The ground metric is the sup norm (as in GUDHI and persim): a point's distance to the diagonal
is half its persistence, and the stability theorem holds with constant 1 in this metric.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import panel as pn
import param
from bokeh.layouts import row
from panel.io.document import hold

from ot_engine import DiagramMatching, InvalidInput, diagram_distance, sublevel_diagram
from pages import query, shell, theme
from pages.components.readouts import ReadoutTable, readout
from pages.page import NotebookPage
from pages.persistence_diagrams_plots import (
    HIGH,
    LOW,
    MAX_PER_DIAGRAM,
    NARROW_ROW_CSS,
    DiagramFigure,
    FunctionFigure,
)
from pages.takehome import TakeHome

SLUG = "persistence_diagrams"
#: Samples of the functions on [0, 1].
N_SAMPLES = 41
T = np.linspace(0.0, 1.0, N_SAMPLES)
#: The functions of the presets, as code (the notebook runs the same text).
FORMULAS = {
    "hills": "0.5 + 0.3 * np.sin(5 * np.pi * t) * np.exp(-1.2 * t) + 0.1 * np.cos(14 * np.pi * t)",
    "ripples": "0.5 + 0.25 * np.sin(3 * np.pi * t) + 0.05 * np.sin(18 * np.pi * t + 1)",
}
PRESETS = (*FORMULAS, "custom")
PRESET_LABELS = {
    "a function with a few hills": "hills",
    "a wave with small ripples": "ripples",
    "points placed by hand": "custom",
}
#: Diagrams of the "custom" preset until the student places their own.
CUSTOM_D1 = ((0.1, 0.6), (0.3, 0.5), (0.5, 0.9))
CUSTOM_D2 = ((0.15, 0.7), (0.6, 0.85), (0.2, 0.25))
ORDERS = (*range(1, 11), math.inf)
ORDER_LABELS = {**{str(p): p for p in range(1, 11)}, "∞ (bottleneck)": math.inf}
DELTA_MAX = 0.1
MAX_SEED = 999
#: The legend: 14 px beside a wide figure, 16 px on phones and tablets (touch screens).
TEXT_CSS = ":host { font-size: 14px; } @media (max-width: 1100px) { :host { font-size: 16px; } }"
#: Digits a dragged point keeps (the link keeps the same, so a reload shows the same numbers).
DECIMALS = 3


def function(name: str) -> np.ndarray:
    """The preset's f on :data:`T` (values in about 0.2 to 0.81)."""
    t = T
    if name == "hills":
        return 0.5 + 0.3 * np.sin(5 * np.pi * t) * np.exp(-1.2 * t) + 0.1 * np.cos(14 * np.pi * t)
    if name == "ripples":
        return 0.5 + 0.25 * np.sin(3 * np.pi * t) + 0.05 * np.sin(18 * np.pi * t + 1)
    raise KeyError(name)


def noise(seed: int) -> np.ndarray:
    """The perturbation's shape h, |h| <= 1 (g = f + delta h)."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, N_SAMPLES)


# --- the link ---------------------------------------------------------------------------------


def parse_diagram(raw: str) -> tuple[tuple[float, float], ...] | None:
    """``d1``/``d2``: ``birth:death`` pairs separated by commas; ``empty`` for no point; ``""``
    for the preset's own diagram (None).

    >>> parse_diagram("0.1:0.5,0.2:0.9")
    ((0.1, 0.5), (0.2, 0.9))
    >>> parse_diagram("empty"), parse_diagram("")
    ((), None)
    """
    text = raw.strip()
    if text == "":
        return None
    if text == "empty":
        return ()
    parts = text.split(",")
    if len(parts) > MAX_PER_DIAGRAM:
        raise ValueError(f"at most {MAX_PER_DIAGRAM} points per diagram")
    out = []
    for part in parts:
        pair = part.split(":")
        if len(pair) != 2:
            raise ValueError("write each point as birth:death")
        try:
            b, d = float(pair[0]), float(pair[1])
        except ValueError:
            raise ValueError("not a number") from None
        if math.isinf(d) and not math.isnan(b):
            raise ValueError("an infinite death (an essential class) is not matched here")
        if not (math.isfinite(b) and math.isfinite(d)):
            raise ValueError("not a finite number")
        if not (LOW <= b <= HIGH and LOW <= d <= HIGH):
            raise ValueError(f"births and deaths must lie in {LOW:g} to {HIGH:g}")
        if d < b:
            raise ValueError("a point below the diagonal (death before birth)")
        out.append((b, d))
    return tuple(out)


def format_diagram(D) -> str:
    """``d1``/``d2`` as written to the link (the inverse of :func:`parse_diagram`).

    >>> format_diagram(((0.1, 0.5),)), format_diagram(()), format_diagram(None)
    ('0.1:0.5', 'empty', '')
    """
    if D is None:
        return ""
    if len(D) == 0:
        return "empty"
    return ",".join(f"{b:g}:{d:g}" for b, d in D)


def parse_order(raw: str) -> float:
    """``order``: 1 to 10, or ``inf`` (the bottleneck distance)."""
    if raw.strip() in ("inf", "∞"):
        return math.inf
    return query.int_in(1, 10)(raw)


def format_order(p: float) -> str:
    return "inf" if math.isinf(p) else str(int(p))


QUERY_KEYS = (
    query.QueryKey("preset", "preset", query.choice(*PRESETS)),
    query.QueryKey("delta", "delta", query.float_in(0.0, DELTA_MAX), query.format_float),
    query.QueryKey("seed", "seed", query.int_in(0, MAX_SEED)),
    query.QueryKey("order", "order", parse_order, format_order),
    query.QueryKey("d1", "d1", parse_diagram, format_diagram),
    query.QueryKey("d2", "d2", parse_diagram, format_diagram),
)


class DiagramsModel(param.Parameterized):
    """What a link carries: the preset (a function or hand-placed points), the perturbation,
    the order p, and the hand-placed diagrams (None: the preset's own)."""

    preset = param.Selector(default="hills", objects=list(PRESETS), doc="Where D1, D2 come from.")
    delta = param.Number(default=0.04, bounds=(0.0, DELTA_MAX), doc="Size of the perturbation.")
    seed = param.Integer(default=0, bounds=(0, MAX_SEED), doc="Seed of the perturbation's shape.")
    order = param.Selector(default=2, objects=list(ORDERS), doc="The order p of W_p.")
    d1 = param.Parameter(default=None, doc="Hand-placed D1: (birth, death) pairs, or None.")
    d2 = param.Parameter(default=None, doc="Hand-placed D2, or None.")

    def inputs(self):
        """(D1, D2, f, g): the diagrams to compare and, for a function preset, f and g."""
        if self.preset == "custom":
            D1 = CUSTOM_D1 if self.d1 is None else self.d1
            D2 = CUSTOM_D2 if self.d2 is None else self.d2
            return _array(D1), _array(D2), None, None
        f = function(self.preset)
        g = f + self.delta * noise(self.seed)
        return sublevel_diagram(f), sublevel_diagram(g), f, g


def _array(D) -> np.ndarray:
    return np.array(D, dtype=np.float64).reshape(-1, 2)


# --- what the page shows ----------------------------------------------------------------------


def fmt(v: float) -> str:
    return f"{v:.4f}"


def order_name(p: float) -> str:
    return "∞" if math.isinf(p) else str(int(p))


@dataclass(frozen=True, eq=False)
class Shown:
    """Every number the page shows for one pair of diagrams (immutable)."""

    D1: np.ndarray
    D2: np.ndarray
    f: np.ndarray | None
    g: np.ndarray | None
    matching: DiagramMatching  # for the chosen order
    bottleneck: DiagramMatching

    @property
    def sup_norm(self) -> float | None:
        return None if self.f is None else float(np.abs(self.f - self.g).max())

    def rows(self) -> list[list[str]]:
        m, b = self.matching, self.bottleneck
        p = order_name(m.order)
        wp_label = "W∞ (order p = ∞)" if math.isinf(m.order) else f"W_{p} (order p = {p})"
        rows = [
            readout("wp", wp_label, fmt(m.distance), colour=theme.PLAN_COLOR),
            readout("bottleneck", "bottleneck d_B (= W∞)", fmt(b.distance)),
            readout("longest", "longest segment drawn", fmt(m.longest)),
            readout(
                "matched",
                "pairs | to the diagonal",
                f"{len(m.pairs)} | {len(m.diagonal1)} + {len(m.diagonal2)}",
            ),
            readout("points", "points in D1 | D2", f"{len(self.D1)} | {len(self.D2)}"),
        ]
        s = self.sup_norm
        if s is None:
            rows.append(readout("sup", "‖f − g‖∞ (no function)", "—"))
            rows.append(readout("bound", "d_B ≤ ‖f − g‖∞ ?", "—"))
        else:
            holds = b.distance <= s + 1e-12
            rows.append(readout("sup", "‖f − g‖∞", fmt(s)))
            rows.append(
                readout(
                    "bound",
                    "d_B ≤ ‖f − g‖∞ ?",
                    "holds" if holds else "FAILS",
                    flag="" if holds else "the bound failed: please report this view",
                )
            )
        return rows


def compute(D1, D2, order: float, f=None, g=None) -> Shown:
    """Both matchings for these diagrams (raises InvalidInput for bad diagrams)."""
    matching = diagram_distance(D1, D2, order)
    bottleneck = matching if math.isinf(order) else diagram_distance(D1, D2, math.inf)
    return Shown(_array(D1), _array(D2), f, g, matching, bottleneck)


def below_diagonal(D: np.ndarray) -> bool:
    return bool(len(D) and (D[:, 1] < D[:, 0]).any())


class PersistencePage(NotebookPage):
    """The figures, controls and readouts of one session, from a :class:`DiagramsModel`."""

    slug = SLUG
    embed_height_scale = 0.42
    model_class = DiagramsModel
    query_keys = QUERY_KEYS
    figure_label = (
        "Two persistence diagrams, D1 (blue circles) and D2 (orange squares), with the optimal "
        "matching drawn as green segments (point to point, or to the diagonal), the longest "
        "dashed; beside them the function f and its perturbation g the diagrams come from"
    )

    def __init__(self, model: DiagramsModel | None = None, **params):
        super().__init__(model, **params)
        m = self.model
        self._own = False
        self._picked: int | None = None
        self._drawn_f: object = False  # the f last drawn (None: no function); False: none yet
        self.message = pn.pane.Alert(
            "", alert_type="warning", visible=False, sizing_mode="stretch_width"
        )
        D1, D2, f, g = m.inputs()
        self.shown = compute(D1, D2, m.order, f, g)
        self.diagram = DiagramFigure(self.shown.D1, self.shown.D2, self._on_points, shell.is_dark())
        self.functions = FunctionFigure(T)
        self.diagram.points.source.selected.on_change("indices", self._on_pick)
        self._build_controls()
        self._draw(points=False)
        m.param.watch(self._on_inputs, ["preset", "delta", "seed", "d1", "d2"])
        m.param.watch(self._on_order, ["order"])

    # --- building ------------------------------------------------------------------------

    def _build_controls(self) -> None:
        m = self.model
        w = pn.widgets
        self.readouts = ReadoutTable(
            columns=[["pd-value", "value"]],
            label_header="quantity",
            caption="Distances between the two persistence diagrams and the stability bound",
            table_class="pd-readouts",
            label_width="62%",
            sizing_mode="stretch_width",
            min_height=230,
        )
        self.preset_select = w.Select.from_param(
            m.param.preset, name="diagrams", options=PRESET_LABELS
        )
        self.order_select = w.Select.from_param(m.param.order, name="order p", options=ORDER_LABELS)
        self.delta_slider = w.FloatSlider.from_param(
            m.param.delta, name="perturbation δ (g = f + δ·noise)", step=0.005
        )
        self.seed_button = w.Button(label=_seed_label(m.seed), sizing_mode="stretch_width")
        self.seed_button.on_click(self._next_seed)
        size = {"width": 150, "margin": (4, 4)}
        self.add1 = w.Button(label="Add a point to D1", **size)
        self.add2 = w.Button(label="Add a point to D2", **size)
        self.remove = w.Button(label="Remove picked point", **size)
        self.add1.on_click(lambda _e: self._add(0))
        self.add2.on_click(lambda _e: self._add(1))
        self.remove.on_click(self._remove_picked)
        self.control_panel = pn.Column(
            self.preset_select,
            self.order_select,
            self.delta_slider,
            self.seed_button,
            pn.FlexBox(
                self.add1,
                self.add2,
                self.remove,
                gap="0",
                sizing_mode="stretch_width",
                stylesheets=[":host { grid-column: 1 / -1; }"],  # one whole row in an iframe
            ),
            sizing_mode="stretch_width",
            css_classes=["ot-embed-controls"] if self.embed else [],  # rows in an iframe
        )
        plots = row(
            self.diagram.figure,
            self.functions.figure,
            sizing_mode="stretch_width",
            stylesheets=[NARROW_ROW_CSS],
        )
        legend = pn.pane.HTML(
            "<p style='margin:0'>Drag a point; tap empty space above the diagonal to add one to "
            "D1, double-tap a point to remove it; or Tab into the diagram: arrows move the "
            "picked point, Insert adds one, Delete removes it. Green segments: the optimal "
            "matching (a cross marks a projection on the diagonal); dashed: its longest "
            "segment. With a function: dotted squares around D1's points and a shaded strip "
            "along the diagonal, ‖f − g‖∞ wide: the stability theorem keeps every segment "
            "within them.</p>",
            sizing_mode="stretch_width",
            styles={"color": theme.caption_color(shell.is_dark())},
            # beside the numbers in a 700 px iframe: as small as the table's text
            stylesheets=[":host { font-size: 14px; }" if self.embed else TEXT_CSS],
            margin=(0, 5),
        )
        self.legend = legend
        self.figure_pane = pn.Column(
            self.message,
            pn.pane.Bokeh(plots, sizing_mode="stretch_width"),
            *(() if self.embed else (legend,)),
            sizing_mode="stretch_width",
        )

    def figure(self) -> pn.viewable.Viewable:
        if self.embed:
            # A 700 x 600 iframe: the words beside the numbers, under the picture.
            under = pn.Column(self.legend, self.readouts, css_classes=["ot-embed-row"])
            return pn.Column(
                self.control_panel, self.figure_pane, under, sizing_mode="stretch_width"
            )
        return self.figure_pane

    def controls(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.control_panel

    def side_readouts(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.readouts

    # --- events --------------------------------------------------------------------------

    @property
    def _doc(self):
        return self.diagram.points.flow.document

    def _say(self, text: str) -> None:
        self.message.object = html.escape(text)
        self.message.visible = bool(text)

    def _on_points(self, xy: np.ndarray, groups: np.ndarray, settled: bool) -> None:
        """A sync from the browser (checked for size, bounds and groups by the component)."""
        xy = xy.round(DECIMALS)
        D1, D2 = xy[groups == 0], xy[groups == 1]
        with hold(self._doc):
            if below_diagonal(D1) or below_diagonal(D2):
                self._say(
                    "A point below the diagonal (death before birth) is no persistence pair: "
                    "the page keeps the last valid diagrams."
                )
                self.diagram.set_points(self.shown.D1, self.shown.D2)  # after the release
                return
            if len(D1) > MAX_PER_DIAGRAM or len(D2) > MAX_PER_DIAGRAM:
                self._say(f"At most {MAX_PER_DIAGRAM} points per diagram.")
                self.diagram.set_points(self.shown.D1, self.shown.D2)
                return
            if not self._show(D1, D2, None, None, points=False):
                return
            if settled:  # the link follows on release, not on every sync of a drag
                self._set_custom(D1, D2)

    def _set_custom(self, D1: np.ndarray, D2: np.ndarray) -> None:
        self._own = True
        try:
            self.model.param.update(preset="custom", d1=_pairs(D1), d2=_pairs(D2))
        finally:
            self._own = False

    def _on_inputs(self, *_events) -> None:
        if self._own:
            return
        m = self.model
        if m.preset != "custom" and (m.d1 is not None or m.d2 is not None):
            m.param.update(d1=None, d2=None)  # watched: comes back here
            return
        if m.preset == "custom" and m.d1 is None and m.d2 is None and self.shown is not None:
            # Chosen in the menu: the diagrams shown become the hand-placed ones (no jump).
            self._set_custom(self.shown.D1, self.shown.D2)
        try:
            D1, D2, f, g = m.inputs()
        except InvalidInput as err:
            self._say(f"{err} The page keeps the last valid diagrams.")
            return
        self.seed_button.label = _seed_label(m.seed)
        with hold(self._doc):
            self._show(D1, D2, f, g, points=True)

    def _on_order(self, *_events) -> None:
        s = self.shown
        with hold(self._doc):
            self._show(s.D1, s.D2, s.f, s.g, points=False)

    def _show(self, D1, D2, f, g, points: bool) -> bool:
        try:
            shown = compute(D1, D2, self.model.order, f, g)
        except InvalidInput as err:  # never crash: say why, keep the last valid view
            self._say(f"{err}. The page keeps the last valid diagrams.")
            if points:
                self.diagram.set_points(self.shown.D1, self.shown.D2)
            return False
        self.shown = shown
        self._draw(points)
        return True

    def _draw(self, points: bool) -> None:
        s = self.shown
        if points:
            self.diagram.set_points(s.D1, s.D2)
        self.diagram.set_matching(s.D1, s.D2, s.matching)
        self.diagram.set_stability(s.D1, s.sup_norm)
        if self._drawn_f is not s.f or s.f is not None:  # a drag by hand leaves f alone
            self._drawn_f = s.f
            # δ and the noise shape act on the function only.
            self.delta_slider.disabled = self.seed_button.disabled = s.f is None
            if s.f is None:
                self.functions.update(None, None, "No function: diagrams placed by hand")
            else:
                title = f"f and g = f + δ·noise, ‖f − g‖∞ = {s.sup_norm:.4f}"
                self.functions.update(s.f, s.g, title)
        self.readouts.rows = s.rows()
        note = _empty_note(len(s.D1), len(s.D2))
        if note or self.message.visible:
            self._say(note)

    def _on_pick(self, _attr, _old, new) -> None:
        # Kept after the plot loses focus (pressing the remove button clears the pick first).
        if new:
            self._picked = int(new[0])

    def _add(self, group: int) -> None:
        s = self.shown
        D = s.D1 if group == 0 else s.D2
        if len(D) >= MAX_PER_DIAGRAM:
            self._say(f"At most {MAX_PER_DIAGRAM} points per diagram.")
            return
        k = len(D)
        new = np.array([[round(0.05 + 0.04 * (k % 10), 3), round(0.95 - 0.03 * (k // 10), 3)]])
        D1, D2 = (np.vstack([s.D1, new]), s.D2) if group == 0 else (s.D1, np.vstack([s.D2, new]))
        self._set_custom(D1, D2)
        with hold(self._doc):
            self._show(D1, D2, None, None, points=True)

    def _remove_picked(self, _event=None) -> None:
        s, k = self.shown, self._picked
        n1 = len(s.D1)
        if k is None or k >= n1 + len(s.D2):
            self._say("Pick a point first: tap it, or Tab into the diagram.")
            return
        D1 = np.delete(s.D1, k, axis=0) if k < n1 else s.D1
        D2 = np.delete(s.D2, k - n1, axis=0) if k >= n1 else s.D2
        self._picked = None
        self._set_custom(D1, D2)
        with hold(self._doc):
            self._show(D1, D2, None, None, points=True)

    def _next_seed(self, _event=None) -> None:
        self.model.seed = (self.model.seed + 1) % (MAX_SEED + 1)

    # --- take it home ---------------------------------------------------------------------

    def takehome(self) -> TakeHome:
        return _takehome(self.model, self.shown)

    def caption_lines(self) -> list[str]:
        m = self.model
        head = f"diagrams: {m.preset}, order p = {order_name(m.order)}"
        return [head] + [f"{r[1]}: {r[3]}" for r in self.readouts.rows]

    @classmethod
    def link_notices(cls, model: DiagramsModel, query_: dict[str, str]) -> list[str]:
        """Diagrams in a link make the view "custom"; with a function preset they are
        ignored (the preset computes its own), and the notice says so."""
        values, _ = query.parse_query(query_, QUERY_KEYS)
        given = [k for k in ("d1", "d2") if values.get(k) is not None]
        if not given:
            return []
        if "preset" in values and values["preset"] != "custom":
            model.param.update(d1=None, d2=None)
            return [
                f"Ignored the link's {' and '.join(given)}: the preset '{values['preset']}' "
                "computes its own diagrams."
            ]
        model.preset = "custom"
        return []


def _pairs(D: np.ndarray) -> tuple[tuple[float, float], ...]:
    return tuple(
        (round(float(b), DECIMALS), round(float(d), DECIMALS))
        for b, d in np.asarray(D).reshape(-1, 2)
    )


def _seed_label(seed: int) -> str:
    return f"New noise shape (seed {seed})"


def _empty_note(n1: int, n2: int) -> str:
    if n1 == 0 and n2 == 0:
        return "Both diagrams are empty: every distance is 0."
    if n1 == 0 or n2 == 0:
        full, empty = ("D1", "D2") if n2 == 0 else ("D2", "D1")
        return f"{empty} is empty: every point of {full} is matched to the diagonal."
    return ""


# --- take it home -----------------------------------------------------------------------------

_FUNCTIONS = """import numpy as np

t = np.linspace(0, 1, {n})
f = {formula}
delta, seed = {delta}, {seed}
g = f + delta * np.random.default_rng(seed).uniform(-1, 1, len(t))


def sublevel_diagram(v):
    \"\"\"0-dim sublevel persistence of v on a path: union-find, the younger class dies.\"\"\"
    parent, birth, pairs = {{}}, {{}}, []

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for i in np.argsort(v, kind="stable"):
        parent[i], birth[i] = i, v[i]
        for k in (i - 1, i + 1):
            if k in parent and root(k) != root(i):
                a, b = root(i), root(k)
                young, old = (a, b) if birth[a] > birth[b] else (b, a)
                if birth[young] < v[i]:
                    pairs.append((birth[young], v[i]))
                parent[young] = old
    return np.array(sorted(pairs)).reshape(-1, 2)


D1, D2 = sublevel_diagram(f), sublevel_diagram(g)
p = {p}
"""

_POINTS = """import numpy as np

D1 = np.array({D1}, dtype=float).reshape(-1, 2)  # (birth, death) rows
D2 = np.array({D2}, dtype=float).reshape(-1, 2)
p = {p}
"""

_DISTANCES = """from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching


def augmented_cost(A, B):
    \"\"\"Sup-norm lengths: A's points + B's diagonal copies (rows) against B's points + A's
    diagonal copies (columns); a point reaches the diagonal at half its persistence.\"\"\"
    n, m = len(A), len(B)
    C = np.full((n + m, n + m), np.inf)
    C[:n, :m] = np.abs(A[:, None, :] - B[None, :, :]).max(axis=2)
    C[np.arange(n), m + np.arange(n)] = (A[:, 1] - A[:, 0]) / 2
    C[n + np.arange(m), np.arange(m)] = (B[:, 1] - B[:, 0]) / 2
    C[n:, m:] = 0
    return C


def wasserstein(A, B, p):
    C = augmented_cost(A, B)
    rows, cols = linear_sum_assignment(C**p)
    return np.sum(C[rows, cols] ** p) ** (1 / p), C[rows, cols].max(initial=0), cols


def bottleneck(A, B):
    \"\"\"The smallest t with a perfect matching using only lengths <= t (binary search).\"\"\"
    C = augmented_cost(A, B)
    t = np.unique(C[np.isfinite(C)])
    lo, hi = 0, len(t) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        match = maximum_bipartite_matching(csr_matrix(C <= t[mid]), perm_type="column")
        lo, hi = (lo, mid) if (match >= 0).all() else (mid + 1, hi)
    if not len(t):
        return 0.0, np.zeros(0, int)
    return t[lo], maximum_bipartite_matching(csr_matrix(C <= t[lo]), perm_type="column")


dB, cols = bottleneck(D1, D2)  # cols[i]: the column row i is matched to
if np.isinf(p):
    print(f"W_inf = bottleneck = {dB:.4f}")
else:
    wp, longest, cols = wasserstein(D1, D2, p)
    print(f"W_{p} = {wp:.4f}")
    print(f"longest segment of the W_{p} matching = {longest:.4f}")
print(f"bottleneck d_B = {dB:.4f}")
"""

_STABILITY = """sup = np.abs(f - g).max()
print(f"sup norm |f - g| = {sup:.4f}")
print(f"stability d_B <= |f - g|_inf: {dB <= sup + 1e-12}")
"""

_PLOT = """import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(5, 5), constrained_layout=True)
ax.plot([0, 1], [0, 1], color="grey")
n, m = len(D1), len(D2)
for i, j in enumerate(cols):  # the matching drawn: point to point, or to the diagonal
    if i < n and j < m:
        ends = [D1[i], D2[j]]
    elif i < n:
        ends = [D1[i], [D1[i].mean()] * 2]
    elif j < m:
        ends = [D2[j], [D2[j].mean()] * 2]
    else:
        continue
    ax.plot(*np.array(ends).T, color="green")
ax.scatter(*D1.T, label="D1")
ax.scatter(*D2.T, marker="s", label="D2")
ax.set_xlabel("birth")
ax.set_ylabel("death")
ax.set_aspect("equal")
ax.legend()
plt.show()
"""


def _takehome(m: DiagramsModel, s: Shown) -> TakeHome:
    p = "np.inf" if math.isinf(m.order) else str(int(m.order))
    if m.preset == "custom":
        first = _POINTS.format(D1=list(_pairs(s.D1)), D2=list(_pairs(s.D2)), p=p)
        cells = (first, _DISTANCES, _PLOT)
        where = "the two diagrams placed on the page"
    else:
        first = _FUNCTIONS.format(
            n=N_SAMPLES, formula=FORMULAS[m.preset], delta=f"{m.delta:g}", seed=m.seed, p=p
        )
        cells = (first, _DISTANCES, _STABILITY, _PLOT)
        where = (
            "the 0-dimensional sublevel-set diagrams of the page's function f and of its "
            f"perturbation g (δ = {m.delta:g}, seed {m.seed})"
        )
    return TakeHome(
        title=f"Persistence diagrams: W_{order_name(m.order)} and the bottleneck distance",
        intro=(
            f"The code compares {where}: each point is matched to a point of the other diagram "
            "or to the diagonal, with the sup-norm ground metric (a point is half its "
            "persistence away from the diagonal). $W_p$ is one linear assignment with the "
            "diagonal as a reservoir; the bottleneck distance is found exactly by a binary "
            "search over the candidate lengths with a perfect-matching test."
        ),
        equation=(
            r"W_p(D_1, D_2) = \Big(\min_{\gamma: D_1 \cup \Delta \to D_2 \cup \Delta}"
            r" \sum_x \|x - \gamma(x)\|_\infty^p\Big)^{1/p},\quad"
            r" d_B = \min_\gamma \max_x \|x - \gamma(x)\|_\infty"
        ),
        cells=cells,
        notes=("The page's readouts, to four decimals.",),
        code_title="Show the code (SciPy)",
    )
