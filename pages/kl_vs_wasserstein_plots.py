"""Figures of the "KL versus Wasserstein" page: each a class that owns its sources and has an
``update``. The numbers come from :mod:`ot_engine.shift_family` through the page.

Plots that change while the bump is dragged draw on the overlay level: a drag frame then
repaints only a plot's small overlay canvas, not its curves, axes and legend.
"""

from __future__ import annotations

import math

import numpy as np
from bokeh.core.properties import field
from bokeh.layouts import column, row
from bokeh.models import (
    CDSView,
    ColumnDataSource,
    FixedTicker,
    GroupFilter,
    Legend,
    Range1d,
)
from bokeh.plotting import figure

from ot_engine.shift_family import DIVERGENCES, FIXED, SHIFT_RANGE, Bump
from pages import theme
from pages.components import legend

#: Height of each curve panel, and the room kept left of every frame so that the shift axes of
#: all panels in a column line up whatever their tick labels.
CURVE_HEIGHT = 215
CURVE_BORDER_LEFT = 48
#: The axis shown on the top panel.
X_VIEW = (-9.0, 9.0)

LABELS = {
    "kl_pq": "KL(p‖q)",
    "kl_qp": "KL(q‖p)",
    "js": "Jensen-Shannon",
    "tv": "total variation",
    "hellinger": "Hellinger",
    "w1": "W₁",
    "w2": "W₂",
}
#: Shorter names in the panels' legends, which must fit one row of a 300 px wide panel (the
#: readout table beside the figure gives the full names in the same colours).
LEGEND_LABELS = {**LABELS, "js": "JS", "tv": "TV"}
#: Line colours (Okabe-Ito hues, colour-blind safe); p and q keep the theme's colours. Each
#: line stands at least 3:1 against the page (WCAG 1.4.11): the yellow, sky-blue and pink of
#: Okabe-Ito are darkened for the light page.
COLORS = {
    "kl_pq": theme.SOURCE_COLOR,
    "kl_qp": theme.TARGET_COLOR,
    "js": "#B8509A",
    "tv": "#A66F00",
    "hellinger": "#1F88C2",
    "w1": theme.PLAN_COLOR,
    "w2": "#444444",
}
#: The same hues lightened for the dark page (``?theme=dark``): 3:1 or more against it.
DARK_COLORS = {
    "kl_pq": "#4DA3FF",
    "kl_qp": "#FF8A3D",
    "js": "#E58FC4",
    "tv": "#F0B429",
    "hellinger": "#7FE0E8",
    "w1": "#2ECC9A",
    "w2": "#E0E0E0",
}


def palette(dark: bool = False) -> dict[str, str]:
    """The divergences' colours for the page's theme."""
    return DARK_COLORS if dark else COLORS


DASHES = {"kl_qp": "dashed", "w2": "dashed", "tv": "dotdash"}
GROUP_IDS = ("kl", "bounded", "wasserstein")
GROUPS = (
    ("KL divergences", ("kl_pq", "kl_qp")),
    ("bounded divergences", ("js", "tv", "hellinger")),
    ("Wasserstein distances", ("w1", "w2")),
)
GROUP_OF = {k: g for g, (_, keys) in zip(GROUP_IDS, GROUPS, strict=True) for k in keys}


def _finite_or_nan(a: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(a), a, np.nan).astype(np.float32)


def _nice_ticks(top: float) -> list[float]:
    """Round tick values from 0 to at least ``top`` (about four of them)."""
    raw = top / 4
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 12) for i in range(n + 1)]


def _padded_range(values: np.ndarray, pad: float = 0.1) -> dict[str, float]:
    """``start``/``end`` spanning the finite ``values`` with a margin (never empty)."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    span = max(hi - lo, 1e-3)
    return {"start": lo - pad * span, "end": hi + pad * span}


def _stepped_range(values: np.ndarray) -> dict[str, float]:
    """The padded range of ``values`` widened to multiples of a round tick step.

    It stays put while the values move a little, so a drag repaints the critic's line only,
    not its axis (and the axis labels do not jitter).
    """
    r = _padded_range(values)
    step = _nice_ticks((r["end"] - r["start"]) / 2)[1]  # about an eighth of the span
    start = round(step * math.floor(r["start"] / step + 1e-9), 12)
    end = round(step * math.ceil(r["end"] / step - 1e-9), 12)
    return {"start": start, "end": end}


def _inf_runs(shifts: np.ndarray, values: np.ndarray) -> list[tuple[float, float]]:
    """Intervals of shift where ``values`` is infinite (for the ∞ bands)."""
    inf = np.isinf(values).astype(np.int8)
    if not inf.any():
        return []
    edges = np.diff(np.concatenate([[0], inf, [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    half = 0.5 * (shifts[1] - shifts[0])
    pairs = zip(starts, ends, strict=True)
    return [(float(shifts[a] - half), float(shifts[b] + half)) for a, b in pairs]


def _plot(**kw) -> figure:
    fig = figure(tools="", toolbar_location=None, sizing_mode="stretch_width", **kw)
    theme.style_figure(fig)
    return fig


class DensityFigure:
    """The fixed tent p, the sliding bump q (dragged in the browser) and their overlap."""

    def __init__(self, dark: bool = False) -> None:
        colors = palette(dark)
        fig = _plot(
            height=230,
            x_range=Range1d(*X_VIEW),
            y_range=Range1d(0, 1),
            x_axis_label="x",
            y_axis_label="density",
            # Short enough for a phone (a Bokeh title does not wrap); the keyboard route is the
            # figure's own name for screen readers, and the slider below.
            title="Drag the orange bump q",
            name="kvw_top",
        )
        px, py = FIXED.outline()
        fig.varea(x=px, y1=0, y2=py, fill_color=colors["kl_pq"], fill_alpha=0.25)
        p_line = fig.line(px, py, color=colors["kl_pq"], line_width=2)
        # The overlay level is not clipped to the frame, so the bump's x are clamped to the
        # axis (the clamped stretch lies outside it); its centre, the middle point, never
        # leaves the axis.
        self.bump = ColumnDataSource({"x0": [], "x": [], "y": []}, name="kvw_bump")
        overlay = {"level": "overlay", "y1": 0, "fill_alpha": 0.25}
        fig.varea(x="x", y2="y", source=self.bump, fill_color=colors["kl_qp"], **overlay)
        q_line = fig.line(
            x="x", y="y", source=self.bump, color=colors["kl_qp"], line_width=2, level="overlay"
        )
        self.overlap = ColumnDataSource({"x": np.zeros(0, np.float32), "y": np.zeros(0)})
        overlap = fig.varea(
            x="x",
            y2="y",
            source=self.overlap,
            fill_color="#6a3d9a",
            **overlay | {"fill_alpha": 0.45},
        )
        # q and the overlap are keyed by stand-ins: a legend naming them would rebuild its
        # items at every drag frame (p never changes)
        keys = [legend.stand_in(fig, r) for r in (q_line, overlap)]
        fig.add_layout(
            Legend(
                items=[("fixed p", [p_line]), ("sliding q", keys[:1]), ("overlap", keys[1:])],
                location="top_left",
                background_fill_alpha=0.6,
            )
        )
        self.figure = fig
        self._outline = (np.zeros(0), np.zeros(0))

    def set_bump(self, bump: Bump) -> None:
        """A new shape or width of q: its outline at shift 0, and room for its peak."""
        self.figure.y_range.update(start=0, end=1.12 * max(FIXED.peak, bump.peak))
        self._outline = bump.outline()

    def update(self, shift: float, overlap: tuple[np.ndarray, np.ndarray], move_bump: bool):
        """The overlap at ``shift``; the bump too unless the browser is dragging it."""
        ox, oy = overlap
        self.overlap.data = {"x": ox.astype(np.float32), "y": oy.astype(np.float32)}
        if move_bump:
            z, y = self._outline
            self.bump.data = {"x0": z, "x": np.clip(z + shift, *X_VIEW), "y": y}


class CriticFigure:
    """The optimal 1-Lipschitz critic f of the Kantorovich-Rubinstein dual."""

    def __init__(self, x_range) -> None:
        fig = _plot(
            height=140,
            x_range=x_range,
            y_range=Range1d(-1, 1),
            x_axis_label="x",
            y_axis_label="f(x)",
            title="1-Lipschitz critic f: W₁ = Σ f·(p − q)",
        )
        fig.yaxis.ticker.desired_num_ticks = 3
        self.source = ColumnDataSource({"x": [], "f": []})
        # Overlay level: an answer that leaves the axis alone repaints only the overlay canvas.
        fig.line(
            "x", "f", source=self.source, color=theme.PLAN_COLOR, line_width=2, level="overlay"
        )
        self.figure = fig

    def update(self, crit) -> None:
        # Cut at the axis ends: the critic is drawn on the overlay level, which is not clipped.
        lo, hi = X_VIEW
        inside = crit.x[(crit.x > lo) & (crit.x < hi)]
        x = np.concatenate([[lo], inside, [hi]])
        f = np.interp(x, crit.x, crit.f)  # the polyline itself at the ends (straight pieces)
        self.source.data = {"x": x.astype(np.float32), "f": f.astype(np.float32)}
        # Stepped: the axis (and the plot's primary canvas) changes only when f outgrows it.
        self.figure.y_range.update(**_stepped_range(f))


class CurvePanels:
    """Every divergence against the shift (values left, derivatives right, three groups), with
    the current shift marked. Explicit ranges, set when the family changes: auto-ranging would
    recompute (and re-lay out) every panel on every marker move."""

    def __init__(self, dark: bool = False) -> None:
        self.colors = palette(dark)
        self.source = ColumnDataSource({})
        self.inf = ColumnDataSource({"x0": [], "x1": [], "y": [], "color": [], "band_dash": []})
        # One source for every current-shift marker (value y, slope dy), filtered per panel.
        # While the bump is dragged the browser moves the markers itself along the drawn
        # curves; the server writes them for slider, keyboard and family changes. ``inf_y`` is
        # the ∞ band row a KL marker sits on when KL is infinite; ``rev`` makes each server
        # write differ from the last, so it is never skipped as unchanged after browser moves.
        self.markers = ColumnDataSource(
            {"x": [], "y": [], "dy": [], "color": [], "group": [], "inf_y": [], "rev": []},
            name="kvw_markers",
        )
        self._rev = 0
        self.kl_inf_y: dict[str, float] = {}
        shift_range = Range1d(*SHIFT_RANGE)
        self.panels: dict = {}
        for group, (title, keys) in zip(GROUP_IDS, GROUPS, strict=True):
            vfig, dfig = (
                _plot(
                    height=CURVE_HEIGHT,
                    min_border_left=CURVE_BORDER_LEFT,
                    x_range=shift_range,
                    y_range=Range1d(*y),
                    x_axis_label="shift s",
                    title=f"{title}: {what}",
                )
                for what, y in (("value", (0, 1)), ("derivative d/ds", (-1, 1)))
            )
            self._curves(keys, vfig, dfig)
            view = CDSView(filter=GroupFilter(column_name="group", group=group))
            for f, y in ((vfig, "y"), (dfig, "dy")):
                self._marker(f, y, view)
            if group == "kl":
                self._inf_bands(vfig)
                self.kl_fig = vfig
            self.panels[group] = (keys, vfig, dfig)
        self.figures = [f for _, vfig, dfig in self.panels.values() for f in (vfig, dfig)]

    def _curves(self, keys, vfig, dfig) -> None:
        items = {id(vfig): [], id(dfig): []}
        for key in keys:
            style = dict(color=self.colors[key], line_width=2, line_dash=DASHES.get(key, "solid"))
            for f, col in ((vfig, key), (dfig, f"d_{key}")):
                r = f.line("shift", col, source=self.source, **style)
                # a stand-in: the curves change with the family
                items[id(f)].append((LEGEND_LABELS[key], [legend.stand_in(f, r)]))
        # Legends in a row above each plot, the same on both sides: inside they would hide
        # curves or the ∞ bands, and beside the plot they would make the frames of a column
        # differ in width, so the shift axes of the panels would not line up.
        for f in (vfig, dfig):
            key = Legend(
                items=items[id(f)],
                orientation="horizontal",
                location="top_left",
                border_line_alpha=0,
                padding=0,
                margin=2,
                spacing=12,
                label_text_font_size="12px",
            )
            f.add_layout(key, "above")

    def _marker(self, fig, y: str, view) -> None:
        style = {"source": self.markers, "view": view, "level": "overlay"}
        fig.vspan(x="x", line_color=theme.MUTED_COLOR, line_dash="dotted", **style)
        fig.scatter("x", y, color="color", size=9, line_color="white", **style)

    def _inf_bands(self, vfig) -> None:
        vfig.segment(
            "x0", "y", "x1", "y", source=self.inf, color="color", line_width=4,
            line_dash=field("band_dash"),
        )  # fmt: skip
        vfig.yaxis.ticker = FixedTicker(ticks=[0.0, 1.0])

    def set_curves(self, c) -> None:
        """The curves of one family (``shift_curves``), their ranges and the ∞ bands."""
        data = {"shift": c.shifts.astype(np.float32)}
        for key in DIVERGENCES:
            data[key] = _finite_or_nan(c.values[key])
            data[f"d_{key}"] = _finite_or_nan(c.slopes[key])
        # KL panel: finite values fill the range; infinite stretches become bands above them.
        finite = np.concatenate([c.values["kl_pq"], c.values["kl_qp"]])
        finite = finite[np.isfinite(finite)]
        ticks = _nice_ticks(max(float(finite.max()) if finite.size else 1.0, 0.1))
        step = ticks[1] - ticks[0]
        # 1.5 steps up: the ∞ label stands apart from the last finite tick.
        inf_y = float(ticks[-1] + 1.5 * step)
        self.kl_inf_y = {"kl_pq": inf_y + 0.06 * step, "kl_qp": inf_y - 0.06 * step}
        bands = {k: [] for k in self.inf.column_names}
        for key in ("kl_pq", "kl_qp"):
            for a, b in _inf_runs(c.shifts, c.values[key]):
                for col, v in (("x0", a), ("x1", b), ("y", self.kl_inf_y[key])):
                    bands[col].append(v)
                bands["color"].append(self.colors[key])
                bands["band_dash"].append(DASHES.get(key, "solid"))
        any_inf = bool(bands["x0"])
        self.kl_fig.yaxis.ticker.ticks = [*ticks, inf_y] if any_inf else ticks
        self.kl_fig.yaxis.major_label_overrides = {inf_y: "∞"} if any_inf else {}
        self.kl_fig.y_range.update(start=0, end=inf_y + 0.3 * step)
        self.source.data = data
        self.inf.data = bands
        for group, (keys, vfig, dfig) in self.panels.items():
            dfig.y_range.update(**_padded_range(np.concatenate([data[f"d_{k}"] for k in keys])))
            if group != "kl":
                vals = np.concatenate([data[k] for k in keys])
                vfig.y_range.update(start=0, end=_padded_range(vals)["end"])

    def update(self, shift: float, values: dict, slopes: dict) -> None:
        """Mark ``shift`` on every panel (an infinite KL on its ∞ band; a nan slope not drawn)."""
        self._rev += 1
        n = len(DIVERGENCES)
        self.markers.data = {
            "x": [shift] * n,
            "y": [self.kl_inf_y[k] if math.isinf(values[k]) else values[k] for k in DIVERGENCES],
            "dy": [slopes[k] for k in DIVERGENCES],
            "color": [self.colors[k] for k in DIVERGENCES],
            "group": [GROUP_OF[k] for k in DIVERGENCES],
            "inf_y": [self.kl_inf_y.get(k, math.nan) for k in DIVERGENCES],
            "rev": [self._rev] * n,
        }

    def layout(self):
        return [
            row(vfig, dfig, sizing_mode="stretch_width", stylesheets=[NARROW_ROW_CSS])
            for _, vfig, dfig in self.panels.values()
        ]


#: On a phone the value and derivative panels of a group stack (each the full width): side by
#: side at 390 px each was ~180 px wide and its legend ran off the screen.
NARROW_ROW_CSS = """
@media (max-width: 600px) {
  :host { flex-wrap: wrap; }
  :host > .bk-Figure { flex: 1 1 100% !important; width: 100% !important; }
}
"""


def figure_column(density: DensityFigure, critic: CriticFigure, curves: CurvePanels):
    """The page's figure: densities, critic, then the curve panels two by two."""
    return column(density.figure, critic.figure, *curves.layout(), sizing_mode="stretch_width")
