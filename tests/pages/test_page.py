"""The page base's promise to every page: one change of a control, one answer.

A page that draws the same thing twice for one change (two watchers reacting to one solve,
a handler that sets a parameter it also watches) costs the server twice the work and the
browser two repaints, and it only shows under load. Each control of every page is moved one
step, as the browser does, and the document must see each model property and each data
source change at most once.
"""

from __future__ import annotations

from collections import Counter

import panel as pn
import param
import pytest
from bokeh.document import Document
from bokeh.document.events import (
    ColumnDataChangedEvent,
    ColumnsPatchedEvent,
    ColumnsStreamedEvent,
    ModelChangedEvent,
)

from pages import registry, workers

STEPPED = (pn.widgets.IntSlider, pn.widgets.FloatSlider)
CHOICES = (pn.widgets.Select, pn.widgets.RadioButtonGroup, pn.widgets.DiscreteSlider)


def one_step(widget):
    """The value one step from the widget's (None: a widget this test does not move)."""
    if isinstance(widget, STEPPED):
        up = widget.value + widget.step
        return up if up <= widget.end else widget.value - widget.step
    if isinstance(widget, CHOICES):
        options = widget.options
        values = list(options.values()) if isinstance(options, dict) else list(options)
        if len(values) < 2 or widget.value not in values:
            return None
        return values[(values.index(widget.value) + 1) % len(values)]
    if isinstance(widget, pn.widgets.Checkbox):
        return not widget.value
    return None


def move(widget, value) -> None:
    """Set the widget as a browser does: a slider sends its value and, on the key press or
    the release, its throttled value in the same message."""
    if "value_throttled" in widget.param:
        with param.edit_constant(widget):
            widget.param.update(value=value, value_throttled=value)
    else:
        widget.value = value


def changes(events) -> Counter:
    counts = Counter()
    for e in events:
        if isinstance(e, ModelChangedEvent):
            counts[(type(e.model).__name__, e.model.id, e.attr)] += 1
        elif isinstance(e, (ColumnDataChangedEvent, ColumnsStreamedEvent, ColumnsPatchedEvent)):
            counts[(type(e.model).__name__, e.model.id, "data")] += 1
    return counts


@pytest.fixture
def no_background_work(monkeypatch):
    """Background jobs run in line without a server, with every progress report: leave them
    out (their reports are throttled when served); the answer on the event path is what
    this test counts."""

    def submit(job, fn, **_):
        job.generation += 1
        return job.generation

    monkeypatch.setattr(workers.Job, "submit", submit)


@pytest.mark.parametrize("slug", [p.slug for p in registry.PAGES])
def test_each_control_change_is_answered_once(slug, no_background_work):
    page = registry.page_class(slug)(embed=False)
    doc = Document()
    root = page.__panel__()
    doc.add_root(root.get_root(doc))
    moved = 0
    for widget in root.select(pn.widgets.Widget):
        value = one_step(widget)
        if value is None:
            continue
        events = []
        doc.on_change(events.append)
        try:
            move(widget, value)
        finally:
            doc.remove_on_change(events.append)
        twice = {key: n for key, n in changes(events).items() if n > 1}
        assert not twice, f"{type(widget).__name__} {widget.name!r}: changed twice: {twice}"
        moved += 1
    assert moved >= 2  # every page has controls; the test must have moved them
