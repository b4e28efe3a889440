"""Figures of the flow-matching page: each a class that owns its sources and has an ``update``.
The numbers come from :mod:`ot_engine.flow_matching` through the page.

Sources carry float32 (a few hundred points an update): a new pairing sends little.
"""

from __future__ import annotations

import numpy as np
from bokeh.models import ColumnDataSource, Legend, LegendItem, Range1d, Span
from bokeh.plotting import figure

from pages import theme
from pages.components import legend

#: Half-width of the square every cloud plot shows (noise reaches about 3).
HALF = 3.2
FIGURE_SIZE = 300
#: The source blue lightened for the dark page (3:1 or more against it).
DARK_BLUE = "#4DA3FF"


def _f32(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def source_colour(dark: bool) -> str:
    return DARK_BLUE if dark else theme.SOURCE_COLOR


def _plot(title: str, name: str, **kw) -> figure:
    fig = figure(
        title=title,
        tools="",
        toolbar_location=None,
        width=FIGURE_SIZE,
        height=FIGURE_SIZE,
        sizing_mode="fixed",
        name=name,
        **kw,
    )
    theme.style_figure(fig)
    return fig


def _cloud_plot(title: str, name: str) -> figure:
    fig = _plot(title, name, x_range=Range1d(-HALF, HALF), y_range=Range1d(-HALF, HALF))
    fig.axis.visible = False
    fig.grid.visible = False
    return fig


class PathsFigure:
    """Straight paths from each noise sample to the target sample it is paired with."""

    def __init__(self, label: str, name: str, dark: bool) -> None:
        self.label = label
        fig = _cloud_plot(label, name)
        self.paths = ColumnDataSource({"x0": [], "y0": [], "x1": [], "y1": []})
        self.start = ColumnDataSource({"x": [], "y": []})
        self.end = ColumnDataSource({"x": [], "y": []})
        fig.segment(
            "x0", "y0", "x1", "y1", source=self.paths, color=theme.PLAN_COLOR, line_alpha=0.35
        )
        fig.scatter("x", "y", source=self.start, size=4, color=source_colour(dark), alpha=0.8)
        fig.scatter("x", "y", source=self.end, size=4, color=theme.TARGET_COLOR, alpha=0.9)
        self.figure = fig

    def update(self, x0: np.ndarray, x1: np.ndarray, crossings: int) -> None:
        """``x0[i] -> x1[i]`` for every i (x1 already in paired order)."""
        self.paths.data = {
            "x0": _f32(x0[:, 0]),
            "y0": _f32(x0[:, 1]),
            "x1": _f32(x1[:, 0]),
            "y1": _f32(x1[:, 1]),
        }
        self.start.data = {"x": _f32(x0[:, 0]), "y": _f32(x0[:, 1])}
        self.end.data = {"x": _f32(x1[:, 0]), "y": _f32(x1[:, 1])}
        self.figure.title.text = f"{self.label}: {crossings} crossings"


class SamplesFigure:
    """Fresh noise carried by the fitted field with k Euler steps, over the target (faint)."""

    def __init__(self, label: str, name: str, dark: bool) -> None:
        self.label = label
        fig = _cloud_plot(label, name)
        self.target = ColumnDataSource({"x": [], "y": []})
        # named: the bench watches it to time a change of k to its repaint. The browser also
        # writes it (a new k, from the sets in the page's ``steps``): never sent back.
        self.samples = ColumnDataSource({"x": [], "y": []}, name=f"{name}_src", syncable=False)
        fig.scatter("x", "y", source=self.target, size=5, color=theme.TARGET_COLOR, alpha=0.3)
        fig.scatter("x", "y", source=self.samples, size=4, color=source_colour(dark), alpha=0.9)
        self.figure = fig
        self._target: np.ndarray | None = None

    def update(self, target: np.ndarray, samples: np.ndarray | None, state: str) -> None:
        """Draw ``samples`` over ``target``; ``state`` ends the title ("after k Euler steps",
        "fitting…"). The target and the title are sent only when they change: a new k sends
        the samples alone (a title change would lay the page out again)."""
        if target is not self._target:
            self._target = target
            self.target.data = {"x": _f32(target[:, 0]), "y": _f32(target[:, 1])}
        if samples is None:
            self.samples.data = {"x": [], "y": []}
        else:
            self.samples.data = {"x": _f32(samples[:, 0]), "y": _f32(samples[:, 1])}
        title = f"{self.label}: {state}"
        if self.figure.title.text != title:
            self.figure.title.text = title


_EMPTY_LINES = {"k": [], "independent": [], "ot": [], "independent_text": [], "ot_text": []}


def steps_data(samples_ind: np.ndarray, samples_ot: np.ndarray) -> dict[str, np.ndarray]:
    """Every k's samples of both pairings, end to end (k = 1 first), for the browser's k.

    ``samples_*`` has shape (k_max, n, 2); each column has k_max * n float32 values.
    """
    return {
        "ind_x": _f32(samples_ind[:, :, 0].ravel()),
        "ind_y": _f32(samples_ind[:, :, 1].ravel()),
        "ot_x": _f32(samples_ot[:, :, 0].ravel()),
        "ot_y": _f32(samples_ot[:, :, 1].ravel()),
    }


EMPTY_STEPS = {"ind_x": [], "ind_y": [], "ot_x": [], "ot_y": []}


class W2Curve:
    """W2 to the target against the number of Euler steps, one line per pairing."""

    def __init__(self, k_max: int, dark: bool) -> None:
        fig = _plot(
            "W2 to the target, by k",
            "fm_w2",
            x_range=Range1d(0.5, k_max + 0.5),
            y_range=Range1d(0.0, 1.0),
        )
        fig.xaxis.axis_label = "Euler steps k"
        fig.yaxis.axis_label = "W2 to the target"
        # the W2 of every k as the readouts print it (``*_text``): the browser shows a new k's
        self.lines = ColumnDataSource(_EMPTY_LINES, name="fm_w2_lines")
        self.floor = Span(
            location=0.0, dimension="width", line_dash="dotted", line_color=theme.MUTED_COLOR
        )
        # moved by the browser at a new k (never sent back)
        self.now = Span(
            location=1, dimension="height", line_color=theme.MUTED_COLOR, syncable=False
        )
        ind = fig.line(
            "k",
            "independent",
            source=self.lines,
            color=source_colour(dark),
            line_dash="dashed",
            line_width=2,
        )
        ot = fig.line("k", "ot", source=self.lines, color=theme.PLAN_COLOR, line_width=2)
        fig.scatter("k", "independent", source=self.lines, color=source_colour(dark), size=4)
        fig.scatter("k", "ot", source=self.lines, color=theme.PLAN_COLOR, size=4)
        fig.add_layout(self.floor)
        fig.add_layout(self.now)
        # stand-ins: a legend naming the curves would rebuild its items at every new fit
        key = Legend(
            items=[
                LegendItem(label="independent pairs", renderers=[legend.stand_in(fig, ind)]),
                LegendItem(label="minibatch OT pairs", renderers=[legend.stand_in(fig, ot)]),
            ],
            location="top_right",
            background_fill_alpha=0.6,
            label_text_font_size="12px",
        )
        fig.add_layout(key)
        self.figure = fig
        self._shown = None

    def update(self, w2_ind, w2_ot, floor: float | None, k: int, fmt=str) -> None:
        """New curves (sent only when they are new: a new k moves the marker alone);
        ``fmt`` writes a W2 as the readouts do."""
        self.now.location = int(k)
        if w2_ind is self._shown:
            return
        self._shown = w2_ind
        if w2_ind is None:
            self.lines.data = dict(_EMPTY_LINES)
            return
        ks = np.arange(1, len(w2_ind) + 1)
        self.lines.data = {
            "k": ks,
            "independent": _f32(w2_ind),
            "ot": _f32(w2_ot),
            "independent_text": [fmt(v) for v in w2_ind],
            "ot_text": [fmt(v) for v in w2_ot],
        }
        self.floor.location = float(floor)
        self.figure.y_range.end = float(1.1 * max(np.max(w2_ind), np.max(w2_ot), floor))
