"""Drawing for /one_dimension: CDFs, quantile functions and the monotone plan, from the bars.

Every curve here is a function of the two histograms' bars, which the browser holds: the
browser draws them itself (``assets/js/one_dimension.js``) on every move of a bar, with no
round trip, into sources that are not synced. :func:`curves` is the same computation in
Python: it fills the sources before the first paint and is the reference the tests hold the
browser's drawing to. The numbers (``W_p``, the LP) come from the server, through the page.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
from bokeh.models import ColumnDataSource, CustomJSTickFormatter, Range1d, Slider
from bokeh.plotting import figure

from pages import theme
from pages.components import js
from pages.components.flow import Flow
from pages.components.legend import stand_in

#: Two CDF values closer than this are one level (their difference is rounding): the
#: quantile at level s is the first point whose CDF reaches s - LEVEL_EPS.
LEVEL_EPS = 1e-12
#: Plan dots: area proportional to the mass moved.
DOT_MIN, DOT_SCALE = 3.0, 22.0
GAP_COLOR = theme.PLAN_COLOR
INF_COLOR = theme.WARNING_COLOR
#: The level marks: grey reads on the light and the dark page alike.
LEVEL_COLOR = theme.MUTED_COLOR


@dataclass(frozen=True)
class Sizes:
    width: int  # every figure's width
    bar_height: int  # each histogram
    cdf_height: int
    quantile_height: int
    map_side: int
    readouts: tuple[int, int]


FULL = Sizes(330, 120, 230, 230, 320, (330, 200))
COMPACT = Sizes(290, 80, 150, 130, 170, (290, 170))


# --- the curves, as the browser computes them ------------------------------------------------


def _cdf(h: np.ndarray) -> np.ndarray:
    total = h.sum()
    return np.cumsum(h) / total if total > 0 else np.zeros_like(h)


def _inverse(F: np.ndarray, x: np.ndarray, support: np.ndarray, s: float) -> float:
    """``min{x_i with mass : F_i >= s}`` (s <= 0: the leftmost point with mass)."""
    idx = np.flatnonzero(support & (F >= s - LEVEL_EPS))
    return float(x[idx[0]]) if idx.size else float(x[support][-1])


def pieces(x: np.ndarray, p: np.ndarray, q: np.ndarray) -> dict[str, np.ndarray]:
    """North-west corner walk: level intervals ``[lo, hi]`` and the pair (xs, ys) matched."""
    a, b = p / p.sum(), q / q.sum()
    i_s, j_s = np.flatnonzero(a > 0), np.flatnonzero(b > 0)
    lo, hi, xs, ys = [], [], [], []
    i = j = 0
    ra, rb = a[i_s[0]], b[j_s[0]]
    level = 0.0
    while i < i_s.size and j < j_s.size:
        m = min(ra, rb)
        lo.append(level)
        level += m
        hi.append(level)
        xs.append(x[i_s[i]])
        ys.append(x[j_s[j]])
        ra -= m
        rb -= m
        if ra <= LEVEL_EPS:
            i += 1
            ra = a[i_s[i]] if i < i_s.size else 0.0
        if rb <= LEVEL_EPS:
            j += 1
            rb = b[j_s[j]] if j < j_s.size else 0.0
    lo, hi, xs, ys = map(np.array, (lo, hi, xs, ys))
    return {"lo": lo, "hi": hi, "xs": xs, "ys": ys, "mass": hi - lo}


def curves(x: np.ndarray, p: np.ndarray, q: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """What each figure draws for bars ``p``, ``q`` at centres ``x`` on [0, 1] (both with mass).

    ``cdf``: the step CDFs F, G at shared points t; ``qf``, ``qg``: the quantile functions
    as (s, x) steps; ``pieces``: the matched level intervals; ``tmap``: the curve
    ``T = G^-1(F(t))`` over the source's support.
    """
    F, G = _cdf(p), _cdf(q)
    n = x.size
    t = np.concatenate(([0.0], np.repeat(x, 2), [1.0]))
    Fs = np.concatenate(([0.0, 0.0], np.repeat(F, 2)[:-1], [1.0]))
    Gs = np.concatenate(([0.0, 0.0], np.repeat(G, 2)[:-1], [1.0]))
    Fs[-2:], Gs[-2:] = 1.0, 1.0
    assert t.size == 2 * n + 2

    def quantile_steps(H, h):
        k = np.flatnonzero(h > 0)
        before = np.concatenate(([0.0], H[:-1]))
        s = np.column_stack([before[k], H[k]]).ravel()
        return {"s": s, "x": np.repeat(x[k], 2)}

    support_p, support_q = p > 0, q > 0
    k = np.flatnonzero(support_p)
    T = np.array([_inverse(G, x, support_q, F[i]) for i in k])
    tx = np.repeat(x[k], 2)[1:]
    ty = np.repeat(T, 2)[:-1]
    pc = pieces(x, p, q)
    return {
        "cdf": {"t": t, "F": Fs, "G": Gs},
        "qf": quantile_steps(F, p),
        "qg": quantile_steps(G, q),
        "pieces": {
            **pc,
            "bottom": np.minimum(pc["xs"], pc["ys"]),
            "top": np.maximum(pc["xs"], pc["ys"]),
            "size": DOT_MIN + DOT_SCALE * np.sqrt(pc["mass"]),
        },
        "tmap": {"x": tx, "y": ty},
    }


def level_marks(x, p, q, s: float) -> tuple[float, float]:
    """``(F^-1(s), G^-1(s))`` as the browser marks them."""
    return (
        _inverse(_cdf(p), x, p > 0, s),
        _inverse(_cdf(q), x, q > 0, s),
    )


# --- the figures ------------------------------------------------------------------------------


def _fig(width, height, *, x_range, y_range, x_label, y_label, name):
    fig = figure(
        width=width,
        height=height,
        x_range=x_range,
        y_range=y_range,
        tools="",
        toolbar_location=None,
        x_axis_label=x_label,
        y_axis_label=y_label,
        name=name,
    )
    theme.style_figure(fig)
    return fig


class LevelFigures:
    """The CDF, quantile and map figures, their browser-drawn sources and the level slider.

    One CustomJS (``one_dimension.js``) redraws every curve when a histogram's bars change
    (a drag, a key, or the server's new bars) and the level marks when the level moves
    (slider, hover, tap). The level reaches the server through the page's flow, as
    ``level``: only for the readout under the figures and the link.
    """

    def __init__(self, sizes: Sizes, p_source, q_source, flow: Flow, s: float) -> None:
        x = np.asarray(p_source.data["x"])
        p, q = np.asarray(p_source.data["top"]), np.asarray(q_source.data["top"])
        data = curves(x, p, q) if p.any() and q.any() else None

        def local(name, columns):
            # Drawn by the browser alone: not synced (a redraw sends the server nothing).
            init = data[name] if data and name in data else {c: [] for c in columns}
            return ColumnDataSource(init, name=f"od_{name}", syncable=False)

        self.cdf = local("cdf", ("t", "F", "G"))
        self.qf = local("qf", ("s", "x"))
        self.qg = local("qg", ("s", "x"))
        self.pieces = local("pieces", ("lo", "hi", "xs", "ys", "mass", "bottom", "top", "size"))
        self.tmap = local("tmap", ("x", "y"))
        xf, xg = level_marks(x, p, q, s) if data else (0.0, 0.0)
        self.lvl = ColumnDataSource(
            {"x": [xf, xg], "s": [s, s], "color": [theme.SOURCE_COLOR, theme.TARGET_COLOR]},
            name="od_lvl",
            syncable=False,
        )
        self.lvl_pair = ColumnDataSource({"x": [xf], "y": [xg]}, name="od_lvl_pair", syncable=False)
        # The W_inf gap (from the server's numbers): a segment on the quantile figure.
        self.inf_gap = ColumnDataSource({"s": [], "y0": [], "y1": []}, name="od_inf_gap")
        # The browser's level requests, through the page's flow (one value).
        self.level = ColumnDataSource({"s": [float(s)]}, name="od_level")

        unit = Range1d(0, 1, bounds=(0, 1))
        self.cdf_fig = self._cdf_figure(sizes, unit)
        self.quantile_fig = self._quantile_figure(sizes)
        self.map_fig = self._map_figure(sizes)
        self.slider = Slider(
            title="level s (hover or tap the CDFs or quantiles)",
            start=0.0,
            end=1.0,
            step=0.001,
            value=float(s),
            format=CustomJSTickFormatter(code="return tick.toFixed(3);"),
            syncable=False,
            width=sizes.width,
            margin=(5, 10, 5, 10),
            name="od_level_slider",
            stylesheets=[theme.FOCUS_CSS],
        )
        args = {
            "p_source": p_source,
            "q_source": q_source,
            "cdf": self.cdf,
            "qf": self.qf,
            "qg": self.qg,
            "pieces": self.pieces,
            "tmap": self.tmap,
            "lvl": self.lvl,
            "lvl_pair": self.lvl_pair,
            "slider": self.slider,
            "level": self.level,
            "answer": flow.answer_source,
            "level_eps": LEVEL_EPS,
            "dot_min": DOT_MIN,
            "dot_scale": DOT_SCALE,
        }

        def code(mode):
            return js.custom_js("one_dimension.js", Flow.JS, **args, mode=mode)

        bars = code("bars")
        p_source.js_on_change("change", bars)
        q_source.js_on_change("change", bars)
        self.slider.js_on_change("value", code("slider"))
        for fig, mode in ((self.cdf_fig, "hover_cdf"), (self.quantile_fig, "hover_q")):
            hover = code(mode)
            for event in ("mousemove", "tap"):
                fig.js_on_event(event, hover)

    def _cdf_figure(self, sizes: Sizes, unit) -> figure:
        fig = _fig(
            sizes.width,
            sizes.cdf_height,
            x_range=unit,
            y_range=Range1d(-0.02, 1.04),
            x_label="t",
            y_label="F(t), G(t)",
            name="od_cdf_fig",
        )
        fig.title.text = "CDFs: the shaded area is W1"
        fig.varea(x="t", y1="F", y2="G", source=self.cdf, fill_color=GAP_COLOR, fill_alpha=0.3)
        fig.line("t", "F", source=self.cdf, color=theme.SOURCE_COLOR, line_width=2.5,
                 legend_label="F (source)")  # fmt: skip
        fig.line("t", "G", source=self.cdf, color=theme.TARGET_COLOR, line_width=2.5,
                 line_dash="dashed", legend_label="G (target)")  # fmt: skip
        fig.line("x", "s", source=self.lvl, color=LEVEL_COLOR, line_width=2)
        fig.scatter("x", "s", source=self.lvl, color="color", size=9, line_color="black")
        _legend(fig)
        return fig

    def _quantile_figure(self, sizes: Sizes) -> figure:
        fig = _fig(
            sizes.width,
            sizes.quantile_height,
            x_range=Range1d(0, 1, bounds=(0, 1)),
            y_range=Range1d(0, 1),
            x_label="level s",
            y_label="F⁻¹(s), G⁻¹(s)",
            name="od_quantile_fig",
        )
        fig.title.text = "Quantiles: level s matches s"
        fig.quad(left="lo", right="hi", bottom="bottom", top="top", source=self.pieces,
                 fill_color=GAP_COLOR, fill_alpha=0.3, line_color=None)  # fmt: skip
        fig.line("s", "x", source=self.qf, color=theme.SOURCE_COLOR, line_width=2.5,
                 legend_label="F⁻¹")  # fmt: skip
        fig.line("s", "x", source=self.qg, color=theme.TARGET_COLOR, line_width=2.5,
                 line_dash="dashed", legend_label="G⁻¹")  # fmt: skip
        fig.segment(x0="s", y0="y0", x1="s", y1="y1", source=self.inf_gap, color=INF_COLOR,
                    line_width=3, legend_label="largest gap (W∞)")  # fmt: skip
        fig.line("s", "x", source=self.lvl, color=LEVEL_COLOR, line_width=2)
        fig.scatter("s", "x", source=self.lvl, color="color", size=9, line_color="black")
        _legend(fig)
        return fig

    def _map_figure(self, sizes: Sizes) -> figure:
        fig = _fig(
            sizes.map_side,
            sizes.map_side,
            x_range=Range1d(0, 1),
            y_range=Range1d(0, 1),
            x_label="source x",
            y_label="target y",
            name="od_map_fig",
        )
        fig.title.text = "Monotone plan and map T"
        fig.line([0, 1], [0, 1], color=theme.MUTED_COLOR, line_dash="dotted")
        fig.line("x", "y", source=self.tmap, color=theme.PLAN_COLOR, line_width=2,
                 legend_label="T = G⁻¹∘F")  # fmt: skip
        fig.scatter("xs", "ys", source=self.pieces, size="size", color=theme.PLAN_COLOR,
                    alpha=0.55, line_color=None, legend_label="plan (area ∝ mass)")  # fmt: skip
        fig.scatter("x", "y", source=self.lvl_pair, size=11, fill_color=None,
                    line_color=LEVEL_COLOR, line_width=2)  # fmt: skip
        _legend(fig)
        return fig

    def show_inf_gap(self, level: float, y0: float, y1: float) -> None:
        self.inf_gap.data = {"s": [level], "y0": [y0], "y1": [y1]}


def _legend(fig) -> None:
    """The legend above the frame, in one row: inside it, its box would take the pointer
    moves (the level hover) over a band around it. Its keys are stand-ins: every curve it names
    changes at every drag answer, and a legend naming them would rebuild its items each time."""
    legend = fig.legend[0]
    for item in legend.items:
        item.renderers = [stand_in(fig, r) for r in item.renderers]
    fig.center = [r for r in fig.center if r is not legend]
    legend.update(
        orientation="horizontal",
        location="top_left",
        background_fill_alpha=0.0,
        border_line_alpha=0.0,
        label_text_font_size="11px",
        padding=0,
        spacing=8,
        margin=2,
        glyph_width=16,
        label_standoff=3,
    )
    fig.add_layout(legend, "above")


def problem_html(problem: str) -> str:
    """Why the numbers shown are not current (empty when they are), as an alert."""
    if not problem:
        return ""
    return (
        f'<p role="alert" style="color:{theme.WARNING_COLOR};font-weight:600;margin:0 0 4px">'
        f"{html.escape(problem)}</p>"
    )
