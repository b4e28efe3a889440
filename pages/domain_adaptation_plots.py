"""Figures of the "Domain adaptation" page: each a class that owns its sources and has an
``update``. The numbers come from the page (:mod:`pages.domain_adaptation`).

The plane figure is the shared draggable points component with, beneath the points, the
adapted classifier's regions as a small image, the unadapted classifier's boundary as a dashed
line, the plan's heaviest links and the transported source samples.
"""

from __future__ import annotations

import numpy as np
from bokeh.models import ColumnDataSource, Legend, LegendItem, Range1d
from bokeh.plotting import figure
from bokeh.plotting.contour import contour_data

from pages import theme
from pages.components import legend
from pages.components.points import DraggablePoints

#: The square every sample lives in (data units).
BOUNDS = ((-3.0, 3.0), (-3.0, 3.0))
#: Cells a side of the grid the classifiers are evaluated on (the image and the dashed line).
GRID = 72
#: Class colours (Okabe-Ito): class A blue, class B vermilion; the target's lighter shades.
CLASS_COLORS = ("#0072B2", "#D55E00")
TARGET_COLORS = ("#56B4E9", "#E69F00")
#: The regions' tints (class A, class B), light and dark page.
REGION_TINTS = {False: ("#cfe3f3", "#f6d9c6"), True: ("#1d3d55", "#5a3320")}
#: The plan's links: at most this many per source sample, each at least this share of it.
LINKS_PER_SOURCE = 3
LINK_SHARE = 0.1
GROUP_NAMES = (
    "source, class A",
    "source, class B",
    "target, class A (true class)",
    "target, class B (true class)",
)


def grid_axis() -> np.ndarray:
    """Cell centres of the classifiers' grid along one axis."""
    (x0, x1), _ = BOUNDS
    h = (x1 - x0) / GRID
    return x0 + h * (0.5 + np.arange(GRID))


def grid_points() -> np.ndarray:
    """The grid's cell centres, shape (GRID * GRID, 2), rows of constant y."""
    g = grid_axis()
    X, Y = np.meshgrid(g, g)
    return np.column_stack([X.ravel(), Y.ravel()])


def plan_links(Xs: np.ndarray, Xt: np.ndarray, plan: np.ndarray) -> dict:
    """Segments of the plan's heaviest entries: per source sample, up to
    ``LINKS_PER_SOURCE`` links carrying at least ``LINK_SHARE`` of its mass; ``alpha`` grows
    with the share.

    >>> P = np.array([[0.3, 0.2, 0.0], [0.0, 0.01, 0.49]])
    >>> d = plan_links(np.zeros((2, 2)), np.eye(3, 2), P)
    >>> d["j"].tolist(), [round(float(s), 2) for s in d["share"]]
    ([0, 1, 2], [0.6, 0.4, 0.98])
    """
    row = plan.sum(axis=1, keepdims=True)
    share = plan / np.where(row > 0, row, 1.0)
    k = min(LINKS_PER_SOURCE, plan.shape[1])
    top = np.argsort(-share, axis=1)[:, :k]
    i = np.repeat(np.arange(plan.shape[0]), k)
    j = top.ravel()
    s = share[i, j]
    keep = s >= LINK_SHARE
    i, j, s = i[keep], j[keep], s[keep]
    return {
        "x0": Xs[i, 0].astype(np.float32),
        "y0": Xs[i, 1].astype(np.float32),
        "x1": Xt[j, 0].astype(np.float32),
        "y1": Xt[j, 1].astype(np.float32),
        "share": s.astype(np.float32),
        "alpha": (0.15 + 0.6 * s).astype(np.float32),
        "i": i.astype(np.int32),
        "j": j.astype(np.int32),
    }


class PlaneFigure:
    """Source and target samples (draggable), the adapted classifier's regions, the
    unadapted one's boundary, the plan's links and the transported source samples."""

    #: The columns of :func:`plan_links` the browser draws (the rest stay on the server).
    LINK_COLUMNS = ("x0", "y0", "x1", "y1", "alpha")

    def __init__(self, xy, groups, on_change, max_points: int, dark: bool) -> None:
        self.points = DraggablePoints(
            xy,
            groups,
            bounds=BOUNDS,
            on_change=on_change,
            max_points=max_points,
            can_remove=True,
            group_names=GROUP_NAMES,
            palette=(*CLASS_COLORS, *TARGET_COLORS),
            markers=("circle", "square", "triangle", "diamond"),
            label=(
                "Source samples (circles: class A, squares: class B) and target samples "
                "(triangles: class A, diamonds: class B)"
            ),
            name="da_points",
            size=10,
            step=0.05,
            height=460,
            width=460,
            max_width=620,
            sizing_mode="scale_width",
            match_aspect=True,
            x_axis_label="x₁",
            y_axis_label="x₂",
        )
        fig = self.points.figure
        (x0, x1), (y0, y1) = BOUNDS
        tints = REGION_TINTS[dark]
        self.regions = ColumnDataSource({"image": [np.zeros((GRID, GRID), np.int8)]})
        self._before_grid: np.ndarray | None = None
        self._ys = np.zeros(0, int)
        image = fig.image(
            image="image",
            x=x0,
            y=y0,
            dw=x1 - x0,
            dh=y1 - y0,
            source=self.regions,
            palette=list(tints),
            level="image",
        )
        image.glyph.color_mapper.low = 0
        image.glyph.color_mapper.high = 1
        g = grid_axis()
        self._g = g
        ink = "#e9ecef" if dark else "#222222"
        self.before = fig.contour(
            g,
            g,
            np.ones((GRID, GRID)),
            levels=[0.0],
            line_color=ink,
            line_dash="dashed",
            line_width=2,
        )
        self.links = ColumnDataSource({k: [] for k in self.LINK_COLUMNS})
        seg = fig.segment(
            "x0",
            "y0",
            "x1",
            "y1",
            source=self.links,
            line_alpha="alpha",
            color=theme.PLAN_COLOR,
            line_width=1.2,
        )
        seg.level = "underlay"
        self.moved = ColumnDataSource({"x": [], "y": [], "colour": [], "marker": []})
        moved = fig.scatter(
            "x",
            "y",
            source=self.moved,
            size=7,
            marker="marker",
            fill_color=None,
            line_color="colour",
            line_width=1.8,
        )
        self._legend(fig, moved, seg)
        self.figure = fig

    def _legend(self, fig, moved, seg) -> None:
        # stand-ins: a legend naming a renderer rebuilds its items whenever that renderer's
        # source changes (pages/components/legend.py), and these change at every drag answer
        nan = float("nan")
        items = [
            LegendItem(
                label="transported source",
                renderers=[
                    legend.stand_in(
                        fig, moved, x=nan, y=nan, colour=CLASS_COLORS[0], marker="circle"
                    )
                ],
            ),
            LegendItem(
                label="plan's links",
                renderers=[legend.stand_in(fig, seg, x0=nan, y0=nan, x1=nan, y1=nan, alpha=0.8)],
            ),
            LegendItem(
                label="boundary before (dashed)",
                renderers=[legend.stand_in(fig, self.before.line_renderer)],
            ),
        ]
        key = Legend(
            items=items,
            location="top_left",
            background_fill_alpha=0.6,
            label_text_font_size="11px",
            padding=4,
            spacing=0,
        )
        fig.add_layout(key)

    def update(self, view) -> None:
        """Draw a :class:`pages.domain_adaptation.DomainView` (the samples are drawn by the
        component: only the derived layers change here).

        Only what changed is sent: a drag usually moves the plan's links and the transported
        samples, often leaves the predicted regions as they were, and leaves the boundary
        before adaptation alone unless a source sample moved.
        """
        regions = view.after_grid.astype(np.int8)
        if not np.array_equal(regions, self.regions.data["image"][0]):
            self.regions.data = {"image": [regions]}
        if view.before_grid is not self._before_grid:
            self._before_grid = view.before_grid
            self.before.set_data(contour_data(self._g, self._g, view.before_grid, levels=[0.0]))
        links = plan_links(view.Xs, view.Xt, view.shown.plan)
        self.links.data = {k: links[k] for k in self.LINK_COLUMNS}
        Z = view.shown.mapped
        xy = {"x": Z[:, 0].astype(np.float32), "y": Z[:, 1].astype(np.float32)}
        ys = np.asarray(view.ys, int)
        if ys.shape == self._ys.shape and np.array_equal(ys, self._ys):
            self.moved.data.update(xy)  # sends these two columns only
        else:
            self._ys = ys
            self.moved.data = {
                **xy,
                "colour": [CLASS_COLORS[int(c)] for c in ys],
                "marker": ["circle" if c == 0 else "square" for c in ys],
            }


class SweepFigure:
    """Accuracy on the target against the target's rotation, one line per method (the
    background job's result; the current angle as a vertical rule)."""

    METHODS = (
        ("before", "no adaptation", theme.MUTED_COLOR, "dashed"),
        ("exact", "exact OT", "#0072B2", "solid"),
        ("entropic", "entropic OT", "#009E73", "solid"),
        ("class", "class-regularized OT", "#CC79A7", "solid"),
    )

    def __init__(self) -> None:
        fig = figure(
            height=220,
            sizing_mode="stretch_width",
            tools="",
            toolbar_location=None,
            x_range=Range1d(-92, 92),
            y_range=Range1d(0.0, 1.04),
            x_axis_label="rotation of the target (°)",
            y_axis_label="accuracy on target",
            title=None,
        )
        theme.style_figure(fig)
        self.source = ColumnDataSource({k: [] for k in ("angle", *(m[0] for m in self.METHODS))})
        items = []
        for key, label, colour, dash in self.METHODS:
            r = fig.line(
                "angle", key, source=self.source, color=colour, line_width=2, line_dash=dash
            )
            fig.scatter("angle", key, source=self.source, color=colour, size=4)
            items.append(LegendItem(label=label, renderers=[r]))
        self.rule = ColumnDataSource({"x": [0.0, 0.0], "y": [0.0, 1.04]})
        fig.line("x", "y", source=self.rule, color=theme.MUTED_COLOR, line_width=1)
        fig.add_layout(
            Legend(
                items=items,
                location="bottom_left",
                background_fill_alpha=0.6,
                label_text_font_size="11px",
                padding=4,
                spacing=0,
                orientation="horizontal",
            )
        )
        self.figure = fig

    def update(self, sweep) -> None:
        self.source.data = {"angle": sweep.angles, **sweep.accuracy}

    def mark(self, angle: float) -> None:
        if self.rule.data["x"] != [angle, angle]:  # a drag leaves the angle alone
            self.rule.data = {"x": [angle, angle], "y": [0.0, 1.04]}
