"""Page: when a map fails and a plan succeeds (Monge versus Kantorovich between atoms).

A few source and target atoms on a line (at most :data:`MAX_ATOMS` a side). The student drags
an atom (left-right: position, up-down: mass) or uses the keyboard; the page solves the exact
LP (:func:`ot_engine.exact`, the Kantorovich plan) and searches every Monge map exactly
(:func:`ot_engine.monge_map`), and shows both costs. Masses are drawn heights; each side is
normalized to total 1 (the shares are written by each atom and said in the readouts), so
"unequal totals" never block a solve.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import panel as pn
import param
from panel.io.document import hold

from ot_engine import ExactResult, InvalidInput, MongeResult, cost_matrix, exact, monge_map
from pages import query, shell, theme
from pages.components.flow import Flow
from pages.components.readouts import ReadoutTable, readout
from pages.monge_kantorovich_plots import W_RANGE, X_RANGE, AtomsFigure
from pages.page import NotebookPage
from pages.takehome import TakeHome

SLUG = "monge_kantorovich"
MAX_ATOMS = 8
#: Presets: (source positions, masses as drawn, target positions, masses as drawn).
PRESETS = {
    "split": ((0.5,), (1.0,), (0.2, 0.8), (0.5, 0.5)),
    "equal": ((0.1, 0.3, 0.55, 0.8), (0.5,) * 4, (0.2, 0.45, 0.7, 0.95), (0.5,) * 4),
    "unequal": ((0.1, 0.5, 0.9), (1.0, 0.5, 0.5), (0.2, 0.6, 0.8), (0.5, 0.5, 1.0)),
    "crossing": ((0.15, 0.45), (0.5, 0.5), (0.55, 0.85), (0.5, 0.5)),
}
PRESET_LABELS = {
    "one atom into two halves": "split",
    "n equal atoms to n equal atoms": "equal",
    "unequal masses": "unequal",
    "crossing (|x − y| ties, |x − y|² does not)": "crossing",
    "custom (dragged or linked)": "custom",
}
COSTS = {"|x − y|": 1, "|x − y|²": 2}
DEFAULT_PRESET = "equal"
#: The figure's legend and verdict: 14 px beside a wide figure, 16 px on phones and tablets
#: (text read on a touch screen stays at least 16 px).
TEXT_CSS = ":host { font-size: 14px; } @media (max-width: 1100px) { :host { font-size: 16px; } }"


def _positions(raw: str) -> tuple[float, ...]:
    return query.float_list(1, MAX_ATOMS, *X_RANGE)(raw)


def _masses(raw: str) -> tuple[float, ...]:
    values = query.float_list(1, MAX_ATOMS, -math.inf, math.inf)(raw)
    if any(v <= 0 for v in values):
        raise ValueError("every mass must be positive (an atom of mass 0 is no atom)")
    lo, hi = W_RANGE
    if any(not lo <= v <= hi for v in values):
        raise ValueError(f"masses must lie in {lo:g} to {hi:g} (each side is normalized)")
    return values


def _cost(raw: str) -> int:
    return int(query.choice("1", "2")(raw))


QUERY_KEYS = (
    query.QueryKey("preset", "preset", query.choice(*PRESETS, "custom")),
    query.QueryKey("xs", "xs", _positions, query.format_list),
    query.QueryKey("ms", "ms", _masses, query.format_list),
    query.QueryKey("yt", "yt", _positions, query.format_list),
    query.QueryKey("mt", "mt", _masses, query.format_list),
    query.QueryKey("p", "p", _cost),
)


@dataclass(frozen=True)
class Solution:
    """Everything the page shows for one set of atoms (immutable)."""

    x: np.ndarray
    y: np.ndarray
    w: np.ndarray  # masses as drawn
    v: np.ndarray
    a: np.ndarray  # shares (normalized masses)
    b: np.ndarray
    p: int
    kantorovich: ExactResult
    monge: MongeResult
    solve_time: float

    @property
    def equal_atoms(self) -> bool:
        """n atoms of equal mass on each side (the Birkhoff case)."""
        n = self.a.size
        return n == self.b.size and bool(np.allclose(self.a, 1 / n) and np.allclose(self.b, 1 / n))

    @property
    def split_sources(self) -> int:
        """How many source atoms the optimal plan sends to more than one target."""
        return int(((self.kantorovich.plan > 1e-12).sum(axis=1) > 1).sum())

    @property
    def gap(self) -> float:
        return self.monge.cost - self.kantorovich.cost

    def verdict(self) -> str:
        """One sentence: does a map exist, and is it as good as the best plan?"""
        k = self.split_sources
        if not self.monge.exists:
            return (
                "No Monge map exists: no way of sending every source atom whole fills each "
                f"target exactly. The optimal plan splits {k} source atom{'s' * (k != 1)}."
            )
        if self.gap <= 1e-9 * max(1.0, self.kantorovich.cost):
            text = (
                "A Monge map exists and is optimal: the best map (dashed) costs what the "
                "best plan does."
            )
            if self.equal_atoms:
                text += " With n equal atoms a side, a permutation is optimal (Birkhoff)."
            return text
        return (
            "Monge maps exist, but the best one costs more than the optimal plan, which "
            f"splits {k} source atom{'s' * (k != 1)}."
        )

    def readout_rows(self) -> list[list[str]]:
        kc, mo = self.kantorovich, self.monge
        lp_flag = "" if kc.converged else f"the LP did not reach optimality: {kc.message}"
        rows = [
            readout(
                "kantorovich",
                "Kantorovich cost",
                f"{kc.cost:.4f}",
                colour=theme.PLAN_COLOR,
                flag=lp_flag,
            ),
            readout("maps", "Monge maps", str(mo.n_maps)),
            readout(
                "monge",
                "Monge cost (best map)",
                f"{mo.cost:.4f}" if mo.exists else "∞ (no map)",
            ),
            readout("gap", "Monge − Kantorovich", f"{self.gap:.4f}" if mo.exists else "∞"),
            readout(
                "split",
                "atoms the plan splits",
                f"{self.split_sources} of {self.a.size}",
            ),
            readout(
                "totals",
                "drawn totals, made 1",
                f"{self.w.sum():.2f} | {self.v.sum():.2f}",
            ),
            readout("lp_error", "plan's marginal error", f"{kc.marginal_error:.1e}"),
        ]
        return rows


def solve(x, w, y, v, p: int) -> Solution:
    """The exact plan and the best Monge map for these atoms (masses normalized per side)."""
    t0 = time.perf_counter()
    x, w, y, v = (np.asarray(t, dtype=float) for t in (x, w, y, v))
    C = cost_matrix(x, y, power=p)
    kc = exact(w, v, C)
    mo = monge_map(w, v, C)
    return Solution(
        x=x,
        y=y,
        w=w,
        v=v,
        a=w / w.sum(),
        b=v / v.sum(),
        p=int(p),
        kantorovich=kc,
        monge=mo,
        solve_time=time.perf_counter() - t0,
    )


class AtomsModel(param.Parameterized):
    """The atoms, the cost, and the last valid solution (no widgets, no Bokeh)."""

    preset = param.Selector(default=DEFAULT_PRESET, objects=[*PRESETS, "custom"], label="Preset")
    xs = param.Parameter(default=PRESETS[DEFAULT_PRESET][0], doc="Source positions.")
    ms = param.Parameter(default=PRESETS[DEFAULT_PRESET][1], doc="Source masses.")
    yt = param.Parameter(default=PRESETS[DEFAULT_PRESET][2], doc="Target positions.")
    mt = param.Parameter(default=PRESETS[DEFAULT_PRESET][3], doc="Target masses.")
    p = param.Selector(default=2, objects=COSTS, label="Ground cost")

    solution = param.ClassSelector(class_=Solution, default=None, constant=True)
    problem = param.String("", constant=True, doc="Why the shown solution is not current.")

    _applying_preset = False

    def __init__(self, **params):
        name = params.get("preset", DEFAULT_PRESET)
        if name in PRESETS:
            for key, value in zip(("xs", "ms", "yt", "mt"), PRESETS[name], strict=True):
                params.setdefault(key, value)
        super().__init__(**params)
        self._inputs_changed()

    def apply_preset(self, name: str) -> None:
        if name not in PRESETS:
            return
        xs, ms, yt, mt = PRESETS[name]
        self._applying_preset = True
        try:
            self.param.update(preset=name, xs=xs, ms=ms, yt=yt, mt=mt)
        finally:
            self._applying_preset = False

    def set_atoms(self, xs, ms, yt, mt) -> None:
        """New atoms from a drag, a key or a button: the preset becomes "custom"."""
        self._applying_preset = True
        try:
            self.param.update(
                preset="custom",
                xs=tuple(map(float, xs)),
                ms=tuple(map(float, ms)),
                yt=tuple(map(float, yt)),
                mt=tuple(map(float, mt)),
            )
        finally:
            self._applying_preset = False

    @param.depends("preset", watch=True)
    def _preset_chosen(self) -> None:
        if not self._applying_preset:
            self.apply_preset(self.preset)

    @param.depends("xs", "ms", "yt", "mt", "p", watch=True)
    def _inputs_changed(self) -> None:
        fitted = _fit(self.xs, self.ms), _fit(self.yt, self.mt)
        if fitted != (self.ms, self.mt):
            self.param.update(ms=fitted[0], mt=fitted[1])  # solves again
            return
        try:
            sol = solve(self.xs, self.ms, self.yt, self.mt, self.p)
        except InvalidInput as err:  # kept last valid solution; say why
            with param.edit_constant(self):
                self.problem = f"{err} The picture shows the last valid atoms."
            return
        with param.edit_constant(self):
            self.param.update(solution=sol, problem="")


def _fit(positions: tuple, masses: tuple) -> tuple:
    """``masses`` cut or padded (with 0.5) to one per position."""
    masses = tuple(masses[: len(positions)])
    return masses + (0.5,) * (len(positions) - len(masses))


def parse_sync(data: object) -> tuple[tuple, tuple, tuple, tuple, bool]:
    """A browser sync ``{"m": [settled, ns, nt, x..., w..., y..., v...]}`` checked: size and
    shape first (a forged payload costs nothing per value), then every value. Raises
    ValueError."""
    if not isinstance(data, dict) or set(data) != {"m"}:
        raise ValueError("not an atoms sync")
    raw = data["m"]
    limit = 3 + 4 * MAX_ATOMS
    try:
        size = len(raw)
    except TypeError:
        raise ValueError("not an array") from None
    if not 3 <= size <= limit:
        raise ValueError("wrong size")
    if isinstance(raw, list | tuple) and not all(type(t) in (int, float) for t in raw):
        raise ValueError("not all numbers")
    try:
        flat = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("not numbers") from None
    if flat.ndim != 1 or not np.isfinite(flat).all():
        raise ValueError("not finite")
    settled, ns, nt = flat[:3]
    if settled not in (0.0, 1.0) or ns != int(ns) or nt != int(nt):
        raise ValueError("bad header")
    ns, nt = int(ns), int(nt)
    if not (1 <= ns <= MAX_ATOMS and 1 <= nt <= MAX_ATOMS and size == 3 + 2 * (ns + nt)):
        raise ValueError("wrong number of atoms")
    body = flat[3:]
    x, w = body[:ns], body[ns : 2 * ns]
    y, v = body[2 * ns : 2 * ns + nt], body[2 * ns + nt :]
    lo, hi = X_RANGE
    if ((np.concatenate([x, y]) < lo) | (np.concatenate([x, y]) > hi)).any():
        raise ValueError("position out of range")
    if ((np.concatenate([w, v]) < W_RANGE[0]) | (np.concatenate([w, v]) > W_RANGE[1])).any():
        raise ValueError("mass out of range")
    return tuple(x), tuple(w), tuple(y), tuple(v), bool(settled)


class MongeKantorovichPage(NotebookPage):
    """The figure, controls and readouts for one session, drawn from an :class:`AtomsModel`."""

    slug = SLUG
    embed_height_scale = 0.45
    model_class = AtomsModel
    query_keys = QUERY_KEYS
    figure_label = (
        "Source atoms (blue, above) and target atoms (orange, below) on a line; green curves "
        "are the optimal plan, their width the mass moved; dashed curves the best Monge map"
    )

    def __init__(self, model: AtomsModel | None = None, **params):
        super().__init__(model, **params)
        m = self.model
        self.rejected = 0
        self._from_sync = False
        self.plot = AtomsFigure(shell.is_dark(), max_atoms=MAX_ATOMS)
        self.flow = Flow(self._apply_sync, name="mk_answer")
        self.flow.listen(self.plot.moves, self._parse_sync, max_items=3 + 4 * MAX_ATOMS + 8)
        self.plot.wire(self.flow)
        self.readouts = ReadoutTable(
            label_header="quantity",
            label_width="64%",
            table_class="mk-readouts",
            caption="Kantorovich and Monge costs for the atoms shown",
            sizing_mode="stretch_width",
            min_height=200,
        )
        self.verdict = pn.pane.HTML(
            "",
            sizing_mode="stretch_width",
            margin=(4, 5),
            stylesheets=[TEXT_CSS, ":host { min-height: 3.6em; }"],
        )
        self.problem_note = pn.pane.HTML("", sizing_mode="stretch_width", margin=(0, 5))
        self._build_controls()
        self._redraw(atoms=True)
        m.param.watch(self._on_solution, ["solution", "problem"])

    # --- building ------------------------------------------------------------------------

    def _build_controls(self) -> None:
        m = self.model
        w = pn.widgets
        self.preset_select = w.Select.from_param(m.param.preset, options=PRESET_LABELS)
        self.cost_buttons = w.RadioButtonGroup.from_param(m.param.p, options=COSTS)
        size = {"width": 116, "sizing_mode": "fixed", "margin": (4, 4)}
        self.add_source = w.Button(label="Add source", **size)
        self.remove_source = w.Button(label="Remove source", **size)
        self.add_target = w.Button(label="Add target", **size)
        self.remove_target = w.Button(label="Remove target", **size)
        self.add_source.on_click(lambda _e: self._change_count("s", +1))
        self.remove_source.on_click(lambda _e: self._change_count("s", -1))
        self.add_target.on_click(lambda _e: self._change_count("t", +1))
        self.remove_target.on_click(lambda _e: self._change_count("t", -1))
        cost = (pn.pane.HTML("Ground cost c(x, y)", margin=(4, 10, 0, 10)), self.cost_buttons)
        if self.embed:  # preset and cost side by side in a 700 px iframe
            cost = (pn.Column(*cost, sizing_mode="stretch_width"),)
        self.control_panel = pn.Column(
            pn.Column(
                self.preset_select,
                *cost,
                css_classes=["ot-embed-row"] if self.embed else [],
                sizing_mode="stretch_width",
            ),
            pn.FlexBox(
                self.add_source,
                self.remove_source,
                self.add_target,
                self.remove_target,
                gap="0",
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
        )

    def figure(self) -> pn.viewable.Viewable:
        legend = pn.pane.HTML(
            "<p style='margin:0'>Blue circles: source atoms; orange squares: target atoms "
            "(the number by each is its share of its side). Drag an atom's stem to move it, its "
            "marker to move it and change its mass, or Tab into the figure and use the arrow "
            "keys. "
            "Green: the optimal plan (width = mass moved); dashed: the best Monge map.</p>",
            sizing_mode="stretch_width",
            styles={"color": theme.caption_color(shell.is_dark())},
            stylesheets=[TEXT_CSS],
            margin=(0, 5),
        )
        plot = pn.pane.Bokeh(self.plot.figure, sizing_mode="stretch_width")
        if self.embed:
            # A 700 x 600 iframe: the words beside the numbers, under the picture.
            words = pn.Column(legend, self.verdict, self.problem_note, sizing_mode="stretch_width")
            under = pn.Column(words, self.readouts, css_classes=["ot-embed-row"])
            return pn.Column(self.control_panel, plot, under, sizing_mode="stretch_width")
        return pn.Column(plot, legend, self.verdict, self.problem_note, sizing_mode="stretch_width")

    def controls(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.control_panel

    def side_readouts(self) -> pn.viewable.Viewable | None:
        return None if self.embed else self.readouts

    # --- events --------------------------------------------------------------------------

    def _parse_sync(self, data: dict) -> dict:
        try:
            xs, ms, yt, mt, settled = parse_sync(data)
        except ValueError:
            self.rejected += 1
            self._redraw(atoms=True)  # the browser shows the last valid atoms again
            return {}
        return {"atoms": (xs, ms, yt, mt), "settled": settled}

    def _apply_sync(self, update: dict) -> None:
        if "atoms" not in update:
            return
        # The browser drew these atoms already and may have moved on (a key pressed while
        # this sync was in flight): writing them back would undo its newer edit.
        self._from_sync = True
        try:
            with hold(self.flow.document):
                self.model.set_atoms(*update["atoms"])
        finally:
            self._from_sync = False

    def _change_count(self, side: str, step: int) -> None:
        m = self.model
        pos, mass = (m.xs, m.ms) if side == "s" else (m.yt, m.mt)
        if step > 0 and len(pos) < MAX_ATOMS:
            pos, mass = (*pos, _free_spot(pos)), (*mass, 0.5)
        elif step < 0 and len(pos) > 1:
            pos, mass = pos[:-1], mass[:-1]
        else:
            return
        with hold(self.flow.document):
            if side == "s":
                m.set_atoms(pos, mass, m.yt, m.mt)
            else:
                m.set_atoms(m.xs, m.ms, pos, mass)

    def _on_solution(self, *_events) -> None:
        with hold(self.flow.document):
            self._redraw(atoms=not self._from_sync)
            self.flow.answer()  # last: it acknowledges what came before

    def _redraw(self, atoms: bool) -> None:
        """Curves, readouts and verdict; the atoms too unless they came from the browser (it
        drew them already, and an older answer must not pull them back)."""
        m, sol = self.model, self.model.solution
        self.problem_note.object = (
            f"<p role='alert' style='color:{theme.WARNING_COLOR};margin:0'>{_escape(m.problem)}</p>"
            if m.problem
            else ""
        )
        if sol is None:
            return
        if atoms:
            self.plot.set_atoms(sol.x, sol.w, sol.y, sol.v, sol.a, sol.b)
        self.plot.set_curves(
            sol.x, sol.y, sol.kantorovich.plan, sol.monge.plan if sol.monge.exists else None
        )
        self.readouts.rows = sol.readout_rows()
        text = f"<p aria-live='polite' style='margin:0'>{_escape(sol.verdict())}</p>"
        if self.verdict.object != text:
            self.verdict.object = text

    # --- take it home ---------------------------------------------------------------------

    def takehome(self) -> TakeHome:
        return _takehome(self.model)

    def caption_lines(self) -> list[str]:
        sol = self.model.solution
        if sol is None:
            return [self.model.problem]
        return [sol.verdict()] + [f"{r[1]}: {r[3]}" for r in sol.readout_rows()]

    @classmethod
    def link_notices(cls, model: AtomsModel, query_: dict[str, str]) -> list[str]:
        """Atoms from a link without a preset are "custom"; masses that do not match the
        positions in number are cut or padded, and said so."""
        values, _ = query.parse_query(query_, QUERY_KEYS)
        notices = []
        for pos, mass in (("xs", "ms"), ("yt", "mt")):
            n_pos = len(getattr(model, pos))
            if mass in values and len(values[mass]) != n_pos:
                notices.append(
                    f"The link's '{mass}' has {len(values[mass])} masses for {n_pos} atoms: "
                    "missing ones were set to 0.5, extra ones dropped."
                )
        if "preset" not in values and set(values) & {"xs", "ms", "yt", "mt"}:
            model._applying_preset = True
            try:
                model.preset = "custom"
            finally:
                model._applying_preset = False
        return notices


def _free_spot(positions: tuple) -> float:
    """The middle of the widest gap between the atoms and the ends of the line."""
    lo, hi = X_RANGE
    pts = sorted({lo, hi, *positions})
    k = int(np.argmax(np.diff(pts)))
    return round(0.5 * (pts[k] + pts[k + 1]), 3)


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=True)


# --- take it home -----------------------------------------------------------------------------

_SETUP = """import numpy as np
import ot

xs = np.array({xs})  # source positions
ms = np.array({ms})  # source masses as drawn
yt = np.array({yt})  # target positions
mt = np.array({mt})  # target masses as drawn
p = {p}  # cost |x - y|^p
a, b = ms / ms.sum(), mt / mt.sum()  # each side normalized to total mass 1
C = np.abs(xs[:, None] - yt[None, :]) ** p

# Kantorovich: the exact linear program (network simplex)
plan = ot.emd(a, b, C)
print(f"Kantorovich cost = {{np.sum(plan * C):.4f}}")
print(f"plan's marginal error = {{abs(plan.sum(1) - a).sum() + abs(plan.sum(0) - b).sum():.1e}}")
"""

_MONGE = '''def monge_maps(a, b, tol=1e-9):
    """Every map T (source i goes whole to target T[i]) that fills each target exactly."""
    n, m = len(a), len(b)
    room, T = b.copy(), [0] * n

    def place(i):
        if i == n:
            if np.all(np.abs(room) <= tol):
                yield tuple(T)
            return
        for j in range(m):
            if a[i] <= room[j] + tol:  # atom i still fits in target j
                room[j] -= a[i]
                T[i] = j
                yield from place(i + 1)
                room[j] += a[i]

    yield from place(0)


maps = list(monge_maps(a, b))
print(f"Monge maps that exist = {len(maps)}")
if maps:
    costs = [sum(a[i] * C[i, T[i]] for i in range(len(a))) for T in maps]
    best = maps[int(np.argmin(costs))]
    print(f"best Monge map cost = {min(costs):.4f}  (T = {best})")
    print(f"map cost - plan cost = {min(costs) - np.sum(plan * C):.4f}")
else:
    print("best Monge map cost = inf (no map: some atom would have to be split)")
'''

_PLOT = """import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7, 3.5), constrained_layout=True)
for i, j in zip(*np.nonzero(plan > 1e-12)):
    ax.plot([xs[i], yt[j]], [1, 0], color="#009E73", alpha=0.55, lw=1 + 30 * plan[i, j])
if maps:
    for i, j in enumerate(best):
        ax.plot([xs[i], yt[j]], [1, 0], "k--", lw=1.5)
ax.vlines(xs, 1, 1 + 0.6 * ms, color="#0072B2", lw=4)
ax.vlines(yt, -0.6 * mt, 0, color="#D55E00", lw=4)
ax.set_yticks([])
ax.set_xlabel("position on the line")
ax.set_title("optimal plan (green, width = mass) and best Monge map (dashed)")
plt.show()
"""


def _takehome(m: AtomsModel) -> TakeHome:
    def nums(values) -> str:
        return "[" + ", ".join(f"{float(v):g}" for v in values) + "]"

    setup = _SETUP.format(xs=nums(m.xs), ms=nums(m.ms), yt=nums(m.yt), mt=nums(m.mt), p=m.p)
    return TakeHome(
        title=f"Monge versus Kantorovich: {len(m.xs)} atoms to {len(m.yt)}",
        intro=(
            f"{len(m.xs)} source atoms and {len(m.yt)} target atoms on a line, each side "
            f"normalized to total mass 1, with the cost $|x - y|^{m.p}$. The code solves "
            "Kantorovich's linear program with POT, then lists every Monge map (each source "
            "atom sent whole to one target) by a small search, and prints the costs the page "
            "showed."
        ),
        equation=(
            r"\min_{T_\# a = b} \sum_i a_i\, c(x_i, y_{T(i)}) \;\ge\; "
            r"\min_{\pi \ge 0,\ \pi \mathbf 1 = a,\ \pi^\top \mathbf 1 = b}"
            r" \sum_{ij} \pi_{ij}\, c(x_i, y_j)"
        ),
        cells=(setup, _MONGE, _PLOT),
        notes=(
            "The Monge cost is $+\\infty$ when no map exists (a minimum over an empty set).",
            "With $n$ equal atoms a side the two minima agree (Birkhoff–von Neumann).",
        ),
        code_title="Show the code (POT)",
    )
