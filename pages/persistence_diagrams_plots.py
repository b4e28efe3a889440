"""The figures of /persistence_diagrams: two draggable diagrams and the functions behind them.

:class:`DiagramFigure`: the points of D1 (blue circles) and D2 (orange squares) above the
diagonal, draggable with the shared points component; the optimal matching drawn as
segments, point to point or point to its projection on the diagonal, the longest one thick.
:class:`FunctionFigure`: the sampled function f and its perturbation g, with the band
f ± ||f - g||_inf that the stability theorem speaks about.
"""

from __future__ import annotations

import numpy as np
from bokeh.models import ColumnDataSource, Range1d
from bokeh.plotting import figure

from pages import theme
from pages.components.points import DraggablePoints

#: Births and deaths live in [0, 1] (the functions' values do too).
LOW, HIGH = 0.0, 1.0
BOUNDS = ((LOW, HIGH), (LOW, HIGH))
#: Points per diagram (the assignment is (n + m) squared: instant at this size).
MAX_PER_DIAGRAM = 20

#: On a phone the two figures stack (each the full width).
NARROW_ROW_CSS = """
@media (max-width: 600px) {
  :host { flex-wrap: wrap; }
  :host > .bk-Figure { flex: 1 1 100% !important; width: 100% !important; }
}
"""


def segment_columns(D1: np.ndarray, D2: np.ndarray, matching) -> tuple[dict, dict, dict]:
    """The matching's segments, its longest one, and the diagonal projections used.

    Returns three column dicts: all segments (``x0, y0, x1, y1``), the longest (one row or
    none), and the feet on the diagonal (``x, y``).
    """
    x0, y0, x1, y1 = [], [], [], []
    for i, j in matching.pairs:
        x0.append(D1[i, 0]), y0.append(D1[i, 1]), x1.append(D2[j, 0]), y1.append(D2[j, 1])
    feet = []
    for D, rows in ((D1, matching.diagonal1), (D2, matching.diagonal2)):
        for k in rows:
            b, d = D[k]
            m = 0.5 * (b + d)
            x0.append(b), y0.append(d), x1.append(m), y1.append(m)
            feet.append(m)
    segs = {"x0": x0, "y0": y0, "x1": x1, "y1": y1}
    longest = {k: [] for k in segs}
    if matching.longest_edge is not None and matching.longest > 0:
        kind, k = matching.longest_edge
        row = k + (0 if kind == "pair" else len(matching.pairs))
        if kind == "diag2":
            row += len(matching.diagonal1)
        longest = {key: [segs[key][row]] for key in segs}
    return segs, longest, {"x": feet, "y": list(feet)}


class DiagramFigure:
    """Both diagrams in one plot: drag, add and remove points; the matching as segments."""

    def __init__(self, D1: np.ndarray, D2: np.ndarray, on_change, dark: bool) -> None:
        xy, groups = self.stack(D1, D2)
        self.points = DraggablePoints(
            xy,
            groups,
            bounds=BOUNDS,
            on_change=on_change,
            max_points=2 * MAX_PER_DIAGRAM,
            can_add=True,
            can_remove=True,
            group_names=("D1 point", "D2 point"),
            label="Persistence diagrams D1 (blue circles) and D2 (orange squares)",
            name="pd_diagram",
            size=11,
            step=0.01,
            digits=3,
            height=420,
            width=420,
            max_width=560,  # alone in its row (no function) it must not outgrow the screen
            sizing_mode="scale_width",
            match_aspect=True,
            x_axis_label="birth",
            y_axis_label="death",
        )
        fig = self.points.figure
        ink = theme.PAGE_COLORS["dark" if dark else "default"][1]
        # The region below the diagonal (no point may go there), shaded, and the diagonal.
        fig.patch([LOW, HIGH, HIGH], [LOW, LOW, HIGH], color=theme.MUTED_COLOR, alpha=0.12)
        fig.line([LOW, HIGH], [LOW, HIGH], line_color=theme.MUTED_COLOR, line_width=2)
        # Stability, drawn: the sup-norm ball of radius r = ||f - g||_inf around each point
        # of D1, and the strip of points within r of the diagonal (d - b <= 2r). The theorem
        # says D2's points can be matched inside these, each segment at most r long.
        self.boxes = ColumnDataSource({"x": [], "y": [], "w": []})
        self.strip = ColumnDataSource({"x": [], "y": []})
        for r in (
            fig.patch("x", "y", source=self.strip, color=theme.PLAN_COLOR, alpha=0.12),
            fig.rect(
                "x",
                "y",
                "w",
                "w",
                source=self.boxes,
                fill_alpha=0.0,
                line_color=theme.SOURCE_COLOR,
                line_dash="dotted",
                line_width=1.5,
            ),
        ):
            r.level = "underlay"
            r.selection_glyph = r.nonselection_glyph = r.muted_glyph = None
        self.segments = ColumnDataSource({k: [] for k in ("x0", "y0", "x1", "y1")})
        self.longest = ColumnDataSource({k: [] for k in ("x0", "y0", "x1", "y1")})
        self.feet = ColumnDataSource({"x": [], "y": []})
        seg = fig.segment(
            "x0", "y0", "x1", "y1", source=self.segments, line_color=theme.PLAN_COLOR,
            line_width=2.5, line_alpha=0.9,
        )  # fmt: skip
        top = fig.segment(
            "x0", "y0", "x1", "y1", source=self.longest, line_color=ink, line_width=5,
            line_dash="dashed",
        )  # fmt: skip
        foot = fig.scatter(
            "x", "y", source=self.feet, marker="x", size=8, line_width=2,
            color=theme.PLAN_COLOR,
        )  # fmt: skip
        # Drawn over the points (short segments would hide under them); the points stay easy
        # to grab, since the drag code finds a point by its distance, not by what is on top.
        for r in (seg, top, foot):
            r.selection_glyph = r.nonselection_glyph = r.muted_glyph = None
        self.figure = fig

    @staticmethod
    def stack(D1: np.ndarray, D2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xy = np.vstack([np.reshape(D1, (-1, 2)), np.reshape(D2, (-1, 2))])
        return xy, np.r_[np.zeros(len(D1), int), np.ones(len(D2), int)]

    def set_points(self, D1: np.ndarray, D2: np.ndarray) -> None:
        self.points.update(*self.stack(D1, D2))

    def set_matching(self, D1: np.ndarray, D2: np.ndarray, matching) -> None:
        segs, longest, feet = segment_columns(D1, D2, matching)
        self.segments.data = segs
        self.longest.data = longest
        self.feet.data = feet

    def set_stability(self, D1: np.ndarray, r: float | None) -> None:
        """Draw the balls and the strip of radius ``r`` (None: no functions, none drawn)."""
        if r is None or r <= 0:
            if not len(self.boxes.data["x"]) and not len(self.strip.data["x"]):
                return  # nothing drawn: no message to the browser during a hand drag
            self.boxes.data = {"x": [], "y": [], "w": []}
            self.strip.data = {"x": [], "y": []}
            return
        D1 = np.reshape(D1, (-1, 2))
        self.boxes.data = {"x": D1[:, 0], "y": D1[:, 1], "w": np.full(len(D1), 2 * r)}
        top = min(2 * r, HIGH - LOW)
        self.strip.data = {
            "x": [LOW, HIGH, HIGH - top, LOW],
            "y": [LOW, HIGH, HIGH, LOW + top],
        }


class FunctionFigure:
    """f (blue), its perturbation g (orange, dashed) and the band f ± ||f - g||_inf."""

    def __init__(self, t: np.ndarray) -> None:
        self.t = t
        self.source = ColumnDataSource({"t": t, "f": t * np.nan, "g": t * np.nan})
        self.band = ColumnDataSource({"t": t, "lo": t * np.nan, "hi": t * np.nan})
        fig = figure(
            height=420,
            width=420,
            sizing_mode="scale_width",
            tools="",
            toolbar_location=None,
            x_range=Range1d(-0.02, 1.02),
            y_range=Range1d(LOW - 0.04, HIGH + 0.04),
            x_axis_label="t",
            y_axis_label="value",
            name="pd_functions",
            title="f and its perturbation g",
        )
        theme.style_figure(fig)
        fig.varea("t", "lo", "hi", source=self.band, color=theme.SOURCE_COLOR, alpha=0.15)
        fig.line("t", "f", source=self.source, line_color=theme.SOURCE_COLOR, line_width=2.5)
        fig.line(
            "t", "g", source=self.source, line_color=theme.TARGET_COLOR, line_width=2,
            line_dash="dashed",
        )  # fmt: skip
        self.figure = fig

    def update(self, f: np.ndarray | None, g: np.ndarray | None, title: str) -> None:
        nan = self.t * np.nan
        # Hidden when no function is behind the diagrams (an empty plot on a phone is a
        # screenful of nothing).
        self.figure.visible = f is not None and g is not None
        if f is None or g is None:
            self.source.data = {"t": self.t, "f": nan, "g": nan}
            self.band.data = {"t": self.t, "lo": nan, "hi": nan}
        else:
            r = float(np.abs(f - g).max())
            self.source.data = {"t": self.t, "f": f, "g": g}
            self.band.data = {"t": self.t, "lo": f - r, "hi": f + r}
        self.figure.title.text = title
