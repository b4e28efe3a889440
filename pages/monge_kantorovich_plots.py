"""The figure of /monge_kantorovich: atoms on a line, the optimal plan and the best Monge map.

Source atoms stand on an upper baseline as stems whose height is their mass, target atoms hang
from a lower one. Between the baselines, each piece of the optimal plan is a curve whose width
is the mass it moves (green, translucent), and the best Monge map, when one exists, is a dashed
curve per source atom. The student drags an atom (left-right moves it, up-down changes its
mass) or uses the keyboard; the atoms, their shares and the curves' ends follow in the browser
(``assets/js/monge_kantorovich_atoms.js``) and the server, through the shared flow (one sync in
flight, latest wins), sends the new plan and map.
"""

from __future__ import annotations

import numpy as np
from bokeh.models import ColumnDataSource, Range1d, Scatter
from bokeh.plotting import figure
from bokeh.transform import factor_cmap, factor_mark

from pages import theme
from pages.components import js
from pages.components.flow import Flow

#: Where the atoms may sit, and the heights ("masses as drawn") they may have.
X_RANGE = (0.0, 1.0)
W_RANGE = (0.05, 1.0)
#: Baselines of the source and target rows, and the drawn height per unit of mass.
BASE_S, BASE_T, HEIGHT = 0.45, -0.45, 0.8
#: Drawn width (px) of a plan curve per unit of mass moved, plus a floor so a speck stays visible.
WIDTH_PER_MASS, WIDTH_MIN = 34.0, 1.5
SIDES = ("s", "t")


def atom_columns(x, w, y, v, a, b) -> dict:
    """The atoms' source: sources first, then targets; ``w, v`` masses as drawn, ``a, b`` the
    shares (normalized masses) written above / below each stem."""
    xs = np.concatenate([x, y]).astype(float)
    ws = np.concatenate([w, v]).astype(float)
    side = ["s"] * len(x) + ["t"] * len(y)
    base = np.array([BASE_S if s == "s" else BASE_T for s in side])
    sign = np.where(base > 0, 1.0, -1.0)
    top = base + sign * HEIGHT * ws
    return {
        "x": xs,
        "w": ws,
        "base": base,
        "top": top,
        "label_y": top + sign * 0.11,
        "side": side,
        "share": [f"{m:.3f}" for m in np.concatenate([a, b])],
    }


def curve_columns(x, y, pieces, n_sources: int) -> dict:
    """Curves from source ``i`` to target ``j`` for each ``(i, j, mass)`` in ``pieces``: cubic
    Béziers leaving and arriving vertically (so crossings read as crossings)."""
    rows = [(i, j, m) for i, j, m in pieces]
    i = np.array([r[0] for r in rows], dtype=int)
    j = np.array([r[1] for r in rows], dtype=int)
    mass = np.array([r[2] for r in rows], dtype=float)
    x0, x1 = np.asarray(x, float)[i], np.asarray(y, float)[j]
    mid = 0.5 * (BASE_S + BASE_T)
    return {
        "src": i.tolist(),
        "dst": (j + n_sources).tolist(),  # row of the target in the atoms' source
        "x0": x0,
        "y0": np.full(len(rows), BASE_S),
        "x1": x1,
        "y1": np.full(len(rows), BASE_T),
        "cx0": x0.copy(),
        "cy0": np.full(len(rows), mid),
        "cx1": x1.copy(),
        "cy1": np.full(len(rows), mid),
        "mass": mass,
        "width": WIDTH_MIN + WIDTH_PER_MASS * mass,
    }


def plan_pieces(plan: np.ndarray, tol: float = 1e-12) -> list[tuple[int, int, float]]:
    """The nonzero entries of a plan as ``(i, j, mass)``."""
    rows, cols = np.nonzero(plan > tol)
    return [(int(i), int(j), float(plan[i, j])) for i, j in zip(rows, cols, strict=True)]


class AtomsFigure:
    """The atoms, plan and map curves; ``update`` redraws from a solution."""

    def __init__(self, dark: bool = False, *, max_atoms: int = 8) -> None:
        self.dark = dark
        ink = theme.PAGE_COLORS["dark" if dark else "default"][1]
        self.atoms = ColumnDataSource(atom_columns([], [], [], [], [], []), name="mk_atoms")
        self.plan = ColumnDataSource(curve_columns([], [], [], 0), name="mk_plan")
        self.map = ColumnDataSource(curve_columns([], [], [], 0), name="mk_map")
        # Browser -> server: [settled, ns, nt, x..., w..., y..., v...] (see parse_sync).
        self.moves = ColumnDataSource({"m": []}, name="mk_moves")
        x0, x1 = X_RANGE
        fig = figure(
            height=430,
            sizing_mode="stretch_width",
            tools="",
            toolbar_location=None,
            x_range=Range1d(x0 - 0.04, x1 + 0.04),
            y_range=Range1d(BASE_T - HEIGHT - 0.22, BASE_S + HEIGHT + 0.22),
            name="mk_figure",
            title=None,
        )
        theme.style_figure(fig)
        fig.yaxis.visible = False
        fig.ygrid.visible = False
        fig.xaxis.axis_label = "position on the line"
        for base in (BASE_S, BASE_T):
            fig.line([x0, x1], [base, base], line_color=theme.MUTED_COLOR, line_width=1)
        fig.bezier(
            "x0", "y0", "x1", "y1", "cx0", "cy0", "cx1", "cy1",
            source=self.plan, line_color=theme.PLAN_COLOR, line_alpha=0.55, line_width="width",
        )  # fmt: skip
        fig.bezier(
            "x0", "y0", "x1", "y1", "cx0", "cy0", "cx1", "cy1",
            source=self.map, line_color=ink, line_dash="dashed", line_width=2,
        )  # fmt: skip
        colors = factor_cmap("side", [theme.SOURCE_COLOR, theme.TARGET_COLOR], list(SIDES))
        stems = fig.segment(
            "x", "base", "x", "top", source=self.atoms, line_color=colors, line_width=4
        )
        heads = fig.scatter(
            "x",
            "top",
            source=self.atoms,
            size=16,
            color=colors,
            marker=factor_mark("side", ["circle", "square"], list(SIDES)),
            line_color="white",
        )
        # The picked atom: a thick ring in the page's ink (a shape cue, not only a colour).
        heads.selection_glyph = Scatter(
            x="x",
            y="top",
            marker=heads.glyph.marker,
            fill_color=colors,
            size=22,
            line_color=ink,
            line_width=3,
        )
        heads.nonselection_glyph = None
        heads.muted_glyph = None
        labels = fig.text(
            "x",
            "label_y",
            text="share",
            source=self.atoms,
            text_align="center",
            text_baseline="middle",
            text_font_size="12px",
            text_color=theme.caption_color(dark),
        )
        # Stems and shares look the same whether their atom is picked or not.
        for renderer in (stems, labels):
            renderer.selection_glyph = None
            renderer.nonselection_glyph = None
            renderer.muted_glyph = None
        self.figure = fig
        self.heads = heads
        self.max_atoms = max_atoms

    def wire(self, flow: Flow) -> None:
        """Pointer and keyboard code: the atoms follow in the browser, syncs go through
        ``flow`` (its answer releases the next sync)."""
        x0, x1 = X_RANGE
        callback = js.custom_js(
            "monge_kantorovich_atoms.js",
            Flow.JS,
            js.BOKEH_COMPAT,
            plot=self.figure,
            atoms=self.atoms,
            curves=[self.plan, self.map],
            moves=self.moves,
            answer=flow.answer_source,
            x0=x0,
            x1=x1,
            w0=W_RANGE[0],
            w1=W_RANGE[1],
            base_s=BASE_S,
            base_t=BASE_T,
            height=HEIGHT,
            focus_ring=theme.FOCUS_RING,
        )
        for event in ("panstart", "pan", "panend", "tap"):
            self.figure.js_on_event(event, callback)
        self.figure.js_on_change("inner_width", callback)  # keyboard and touch, once laid out

    def set_atoms(self, x, w, y, v, a, b) -> None:
        """Redraw the atoms (never while the student drags them: the page checks)."""
        self.atoms.data = atom_columns(x, w, y, v, a, b)

    def set_curves(self, x, y, plan: np.ndarray, map_plan: np.ndarray | None) -> None:
        """Redraw the plan's curves and the map's (``None``: no map exists)."""
        n = len(x)
        self.plan.data = curve_columns(x, y, plan_pieces(plan), n)
        pieces = [] if map_plan is None else plan_pieces(map_plan)
        self.map.data = curve_columns(x, y, pieces, n)
