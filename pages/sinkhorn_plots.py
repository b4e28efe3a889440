"""Drawing for /sinkhorn: the two plans of a half-step, the error curves, the iteration counts.

Numbers come from :mod:`ot_engine` through the page model; the functions that turn them into
source data are pure (unit-tested), and each figure is a class that owns its sources and has an
``update``. A plan goes out as one byte per cell (palette index), so a step of the play button
sends ~2 KB per plan at 32 bins; NaN and inf cells get an index (and a colour) of their own.
"""

from __future__ import annotations

import math

import numpy as np
from bokeh.models import (
    ColumnDataSource,
    FixedTicker,
    Label,
    LabelSet,
    Legend,
    LegendItem,
    Range1d,
    Span,
)
from bokeh.palettes import Category10_10, viridis
from bokeh.plotting import figure

from pages import theme
from pages.components import heatmap, legend

#: Finite plan entries use palette indices 0..254; 255 marks a cell that is NaN or inf.
PALETTE = [*viridis(255), "#ff3d7f"]
NAN_CODE = 255
NAN_COLOR = PALETTE[NAN_CODE]
#: Decades below the largest entry that the log colour scale shows.
LOG_DECADES = 8
#: Smallest error drawn on the log axis (errors of 0 are drawn there).
ERROR_FLOOR = 1e-16
#: Colours of the sweep's ε curves (the current ε is drawn in the plan colour, thicker).
SWEEP_COLORS = [Category10_10[i] for i in (0, 1, 4, 5, 6, 7, 8, 9)]


# --- data for the sources (pure functions) ---------------------------------------------------


def plan_codes(plan: np.ndarray, log_scale: bool) -> np.ndarray:
    """Palette indices (uint8) of a plan: 0..254 for finite entries relative to the largest
    finite one (linear, or the ``LOG_DECADES`` decades below it), 255 for NaN/inf.

    >>> plan_codes(np.array([[0.0, 0.5], [1.0, np.nan]]), False).tolist()
    [[0, 127], [254, 255]]
    """
    bad = ~np.isfinite(plan)
    finite = np.where(bad, 0.0, plan)
    top = float(finite.max()) if finite.size else 0.0
    if top > 0.0:
        rel = finite / top
        if log_scale:
            with np.errstate(divide="ignore"):
                rel = (np.log10(rel) + LOG_DECADES) / LOG_DECADES
        codes = np.rint(np.clip(rel, 0.0, 1.0) * 254).astype(np.uint8)
    else:
        codes = np.zeros(plan.shape, dtype=np.uint8)
    codes[bad] = NAN_CODE
    return codes


def error_curve(errors: np.ndarray, x_step: float = 1.0) -> dict[str, np.ndarray]:
    """Errors as a line, entry ``k`` at ``x = k * x_step`` (1: one entry per iteration, 0.5:
    per half-step), floored for the log axis; NaN entries are dropped (the plain run ends).

    >>> d = error_curve(np.array([1.0, 0.5, 0.0, np.nan]))
    >>> d["it"].tolist(), d["err"].tolist()
    ([0.0, 1.0, 2.0], [1.0, 0.5, 1e-16])
    """
    errors = np.asarray(errors, dtype=np.float64)
    keep = np.isfinite(errors)
    it = np.arange(errors.size, dtype=np.float64)[keep] * x_step
    return {"it": it, "err": np.maximum(errors[keep], ERROR_FLOOR)}


def sweep_curves(sweep, colours=SWEEP_COLORS) -> dict[str, list]:
    """The sweep's error traces (one per ε) as a multi-line source."""
    xs, ys, names, cols = [], [], [], []
    for k, (frac, trace) in enumerate(zip(sweep.eps_fractions, sweep.traces, strict=True)):
        xs.append(np.arange(trace.size, dtype=np.float64))
        ys.append(np.maximum(trace, ERROR_FLOOR))
        names.append(f"ε = {frac:g} max C")
        cols.append(colours[k % len(colours)])
    return {"xs": xs, "ys": ys, "name": names, "color": cols}


def sweep_tags(curves: dict, x_max: float) -> dict[str, list]:
    """Where each sweep curve is labelled: its last point inside ``[0, x_max]``.

    >>> sweep_tags({"xs": [np.arange(5.0)], "ys": [np.ones(5)], "name": ["ε = 0.1 max C"],
    ...             "color": ["red"]}, 3)
    {'x': [3.0], 'y': [1.0], 'text': ['0.1'], 'color': ['red']}
    """
    out = {"x": [], "y": [], "text": [], "color": []}
    for xs, ys, name, colour in zip(
        curves["xs"], curves["ys"], curves["name"], curves["color"], strict=True
    ):
        inside = np.flatnonzero(xs <= x_max)
        if inside.size == 0:
            continue
        last = int(inside[-1])
        out["x"].append(float(xs[last]))
        out["y"].append(float(ys[last]))
        out["text"].append(name.removeprefix("ε = ").removesuffix(" max C"))
        out["color"].append(colour)
    return out


def count_points(sweep) -> dict[str, dict[str, list]]:
    """Iterations to the sweep's tolerance per ε: reached (filled) and capped (drawn at the
    cap, hollow), for Sinkhorn from a cold start and for ``ot_engine.sinkhorn``."""
    out = {}
    for name, counts in (("plain", sweep.counts), ("engine", sweep.engine_counts)):
        done = {"eps": [], "it": []}
        capped = {"eps": [], "it": []}
        for frac, c in zip(sweep.eps_fractions, counts, strict=True):
            target = done if c is not None else capped
            target["eps"].append(frac)
            target["it"].append(c if c is not None else sweep.cap)
        out[name] = done
        out[name + "_capped"] = capped
    return out


# --- figures ---------------------------------------------------------------------------------


class PlanHeat:
    """One plan as a heat map (rows: source bins, columns: target bins), NaN cells marked."""

    def __init__(self, name: str, title: str, size: int) -> None:
        self.source = ColumnDataSource({"image": [np.zeros((1, 1), np.uint8)]}, name=name)
        fig = heatmap.unit_square_figure(
            size,
            f"{name}_fig",
            title=title,
            x_axis_label="target y (q)",
            y_axis_label="source x (p)",
            min_border_right=8,
        )
        for axis in (fig.xaxis, fig.yaxis):
            axis.ticker = FixedTicker(ticks=[0, 0.5, 1])
        self.renderer = heatmap.code_image(fig, self.source, PALETTE)
        self.note = Label(
            x=0.5,
            y=0.5,
            text="",
            text_align="center",
            text_baseline="middle",
            text_font_size="13px",
            text_font_style="bold",
            text_color="white",
            background_fill_color=theme.WARNING_COLOR,
            background_fill_alpha=0.9,
            visible=False,
        )
        fig.add_layout(self.note)
        self.figure = fig

    def update(self, plan: np.ndarray | None, log_scale: bool, note: str, stale: bool) -> None:
        """Draw ``plan`` (rows as y, None: keep the last), with ``note`` over it if any."""
        self.renderer.glyph.global_alpha = 0.3 if stale else 1.0
        if plan is not None:
            # image rows are drawn bottom-up: row i of the plan is source bin i at height x_i.
            self.source.data = {"image": [plan_codes(plan, log_scale)]}
        if self.note.text != note or self.note.visible != bool(note):
            self.note.update(text=note, visible=bool(note))


class ErrorFigure:
    """Marginal error against the iteration, log scale: the sweep's ε at once, the current ε
    (log domain, and plain where it differs or stops), and where the stepper is."""

    def __init__(self, width: int, height: int, cap: int) -> None:
        fig = figure(
            width=width,
            height=height,
            y_axis_type="log",
            x_range=Range1d(0, cap),
            y_range=Range1d(ERROR_FLOOR, 10),
            tools="",
            toolbar_location=None,
            title="Error per iteration (thin: other ε / max C)",
            x_axis_label="iteration (row + column scaling)",
            name="sk_error_fig",
        )
        theme.style_figure(fig)
        self.sweep = ColumnDataSource(
            {"xs": [], "ys": [], "name": [], "color": []}, name="sk_sweep_lines"
        )
        self.sweep_lines = fig.multi_line(
            xs="xs", ys="ys", line_color="color", line_width=1.5, alpha=0.8, source=self.sweep
        )
        # Each sweep curve is named where it leaves the plot (or ends), in its own colour.
        self.tags = ColumnDataSource({"x": [], "y": [], "text": [], "color": []})
        fig.add_layout(
            LabelSet(
                x="x", y="y", text="text", text_color="color", source=self.tags,
                text_font_size="11px", text_align="right", text_baseline="bottom",
            )
        )  # fmt: skip
        self.cap = cap
        self.log = ColumnDataSource({"it": [], "err": []}, name="sk_error_log")
        self.plain = ColumnDataSource({"it": [], "err": []}, name="sk_error_plain")
        log_line = fig.line(
            "it", "err", source=self.log, line_color="black", line_width=2.5, alpha=0.9
        )
        plain_line = fig.line(
            "it", "err", source=self.plain, line_color=theme.WARNING_COLOR, line_width=2,
            line_dash="dashed",
        )  # fmt: skip
        self.plain_end = ColumnDataSource({"it": [], "err": []})
        end = fig.scatter(
            "it", "err", source=self.plain_end, marker="x", size=12, line_width=3,
            line_color=theme.WARNING_COLOR,
        )  # fmt: skip
        self.cursor = Span(location=0, dimension="height", line_color=theme.MUTED_COLOR)
        fig.add_layout(self.cursor)
        # stand-ins: a legend naming the curves would rebuild its items at every answer. The
        # plain key shows the breakdown's x only while one is drawn (its row is there only
        # then: a renderer with an empty source draws no key).
        log_key, plain_key = legend.stand_in(fig, log_line), legend.stand_in(fig, plain_line)
        self._end_key = legend.stand_in(fig, end)
        self._end_key.data_source.data = {"it": [], "err": []}
        fig.add_layout(
            Legend(
                items=[
                    LegendItem(label="current ε, log domain", renderers=[log_key]),
                    LegendItem(label="current ε, plain", renderers=[plain_key, self._end_key]),
                ],
                location="bottom_right",
                label_text_font_size="11px",
                background_fill_alpha=0.6,
                padding=2,
                spacing=0,
            )
        )
        self.figure = fig

    def update(self, log_errors, plain_errors, plain_breakdown, step: int) -> None:
        self.log.data = error_curve(log_errors[::2])  # after each full iteration
        self.plain.data = error_curve(plain_errors[::2])
        if plain_breakdown is not None:
            it = plain_breakdown / 2.0
            last = error_curve(plain_errors, 0.5)["err"]
            y = float(last[-1]) if last.size else 1.0
            self.plain_end.data = {"it": [it], "err": [y]}
        elif len(self.plain_end.data["it"]):
            self.plain_end.data = {"it": [], "err": []}
        key = self._end_key.data_source
        if len(key.data["it"]) != (plain_breakdown is not None):
            row = [math.nan] if plain_breakdown is not None else []
            key.data = {"it": row, "err": row}
        self.set_step(step)

    def set_step(self, step: int) -> None:
        self.cursor.location = step / 2.0

    def show_sweep(self, sweep, stale: bool) -> None:
        data = sweep_curves(sweep)
        self.sweep.data = data
        self.tags.data = sweep_tags(data, self.cap)
        self.sweep_lines.glyph.line_alpha = 0.25 if stale else 0.8


class CountFigure:
    """Iterations to the sweep's tolerance against ε (log-log): plain Sinkhorn from a cold
    start against ot_engine.sinkhorn (ε-scaling, over-relaxation, Newton)."""

    def __init__(self, width: int, height: int, cap: int, eps_range) -> None:
        fig = figure(
            width=width,
            height=height,
            x_axis_type="log",
            y_axis_type="log",
            x_range=Range1d(*eps_range),
            y_range=Range1d(1, cap * 2),
            tools="",
            toolbar_location=None,
            title="Iterations to the tolerance as ε shrinks",
            x_axis_label="ε / max C",
            name="sk_count_fig",
        )
        theme.style_figure(fig)
        self.sources = {
            key: ColumnDataSource({"eps": [], "it": []})
            for key in ("plain", "plain_capped", "engine", "engine_capped")
        }
        items = []
        for key, colour, label in (
            ("plain", "black", "Sinkhorn, cold start"),
            ("engine", theme.PLAN_COLOR, "ε-scaling solver"),
        ):
            line = fig.line("eps", "it", source=self.sources[key], line_color=colour, line_width=2)
            dots = fig.scatter("eps", "it", source=self.sources[key], color=colour, size=7)
            fig.scatter(
                "eps", "it", source=self.sources[key + "_capped"], marker="triangle",
                fill_color=None, line_color=colour, size=10, line_width=2,
            )  # fmt: skip
            # stand-ins: a legend naming these would rebuild its items at every new sweep
            keys = [legend.stand_in(fig, r) for r in (line, dots)]
            items.append(LegendItem(label=label, renderers=keys))
        self.cap_line = Span(
            location=cap, dimension="width", line_dash="dotted", line_color=theme.MUTED_COLOR
        )
        fig.add_layout(self.cap_line)
        self.current = Span(location=1e-2, dimension="height", line_color=theme.MUTED_COLOR)
        fig.add_layout(self.current)
        fig.add_layout(
            Legend(
                items=items,
                location="top_right",
                label_text_font_size="11px",
                background_fill_alpha=0.6,
                padding=2,
                spacing=0,
            )
        )
        self.figure = fig

    def show_sweep(self, sweep, stale: bool) -> None:
        for key, data in count_points(sweep).items():
            self.sources[key].data = data
        for r in self.figure.renderers:
            if hasattr(r.glyph, "line_alpha"):
                r.glyph.line_alpha = 0.3 if stale else 1.0

    def set_eps(self, eps_fraction: float) -> None:
        if math.isfinite(eps_fraction) and eps_fraction > 0:
            self.current.location = eps_fraction
