"""The draggable histogram component (pages/components/histogram.py), without a browser.

Browser syncs are played as Bokeh reports them (``source.trigger``); the browser side (drag,
touch, keyboard, flow control) is tested in tests/browser/components/test_histogram.py.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from bokeh.document import Document
from bokeh.models import ColumnDataSource

from pages.components import histogram as histogram_module
from pages.components.flow import Flow
from pages.components.histogram import Histogram

X = (np.arange(8) + 0.5) / 8


def _sync(hist: Histogram, top) -> None:
    """A browser sync of ``top``: Bokeh calls the source's on_change with the new data."""
    hist.source.trigger("data", hist.source.data, {"x": hist.source.data["x"], "top": top})


@pytest.fixture
def received():
    return []


@pytest.fixture
def hist(received):
    return Histogram(X, np.full(8, 0.5), on_heights=received.append, name="h", label="test")


def test_it_owns_a_toolless_bar_figure_and_its_source(hist):
    assert hist.source.name == "h" and hist.figure.name == "h_fig"
    assert set(hist.source.data) == {"x", "top"}
    assert hist.figure.toolbar_location is None and not hist.figure.tools
    (bars,) = hist.figure.renderers
    assert type(bars.glyph).__name__ == "VBar" and bars.glyph.width == pytest.approx(1 / 8)


def test_drag_and_keyboard_code_is_wired_with_the_flow(hist):
    drags = {event: hist.figure.js_event_callbacks[event] for event in ("pan", "tap")}
    for (callback,) in drags.values():
        assert "function flow_request(" in callback.code
        assert callback.args["answer"] is hist.flow.answer_source
        assert callback.args["source"] is hist.source
    for event in ("panstart", "panend"):
        assert hist.figure.js_event_callbacks[event] == drags["pan"]
    # The keyboard is the same model (one copy of the flow code per histogram).
    assert hist.figure.js_property_callbacks["change:inner_width"] == drags["pan"]
    assert "keydown" in drags["pan"][0].code and drags["pan"][0].args["label"] == "test"


def test_a_browser_sync_reaches_the_page_clipped_and_is_answered(hist, received):
    top = np.array([0.1, 2.0, -1.0, np.nan, 0.5, 0.5, 0.5, 0.5])
    _sync(hist, top)
    assert len(received) == 1
    np.testing.assert_array_equal(received[0], [0.1, 1.0, 0, 0, 0.5, 0.5, 0.5, 0.5])
    assert hist.flow.answer_source.data["seq"] == [1]  # the page wrote no answer: the flow did


def test_heights_the_browser_holds_are_never_written_back(hist, received):
    _sync(hist, np.full(8, 0.3))
    before = hist.source.data
    assert hist.update(received[-1]) is False
    assert hist.source.data is before  # the dragged source is never written by the server


def test_normalized_heights_are_what_the_browser_is_taken_to_hold(received):
    hist = Histogram(X, np.zeros(8), on_heights=received.append, normalize=lambda h: np.round(h, 2))
    _sync(hist, np.full(8, 0.123456))
    np.testing.assert_array_equal(received[-1], np.full(8, 0.12))
    before = hist.source.data
    assert hist.update(np.full(8, 0.12)) is False  # the page's rounded copy: not echoed
    assert hist.source.data is before


def test_server_updates_are_sent_and_not_taken_for_syncs(hist, received):
    assert hist.update(np.full(8, 0.25)) is True
    np.testing.assert_array_equal(hist.source.data["top"], np.full(8, 0.25))
    assert received == []  # Bokeh reported the write; it is not a browser sync
    assert hist.flow.answers == 0


def test_server_updates_under_a_document_hold_are_not_taken_for_syncs(hist, received):
    # Served, updates run under a hold and Bokeh calls on_change only when it ends.
    doc = Document()
    doc.add_root(hist.figure)
    doc.hold("combine")
    hist.update(np.full(8, 0.75))
    doc.unhold()
    assert received == []
    np.testing.assert_array_equal(hist.source.data["top"], np.full(8, 0.75))


def test_new_bin_centres_resize_the_bars_and_overlays(hist):
    mark = hist.overlay(ColumnDataSource({"x": [], "top": []}), fill_color=None)
    x = (np.arange(16) + 0.5) / 16
    assert hist.update(np.full(16, 0.5), x=x) is True
    assert hist.source.data["x"].size == 16
    widths = [r.glyph.width for r in hist.figure.renderers]
    assert widths == pytest.approx([1 / 16, 1 / 16]) and mark.glyph.width == pytest.approx(1 / 16)
    assert hist.figure.renderers[0].selection_glyph.width == pytest.approx(1 / 16)


def test_a_shared_flow_merges_histograms_into_one_update():
    applied = []
    flow = Flow(applied.append, name="shared")
    p = Histogram(X, np.full(8, 0.5), flow=flow, key="p")
    q = Histogram(X, np.full(8, 0.5), flow=flow, key="q")
    assert p.flow is q.flow is flow
    _sync(p, np.full(8, 0.2))
    assert list(applied[-1]) == ["p"]
    _sync(q, np.full(8, 0.4))
    np.testing.assert_array_equal(applied[-1]["q"], np.full(8, 0.4))
    assert flow.answers == 2


def test_it_needs_a_way_to_deliver_heights():
    with pytest.raises(ValueError, match="on_heights"):
        Histogram(X, np.zeros(8))


def test_it_knows_nothing_of_transport_plans():
    source = inspect.getsource(histogram_module).lower()
    assert "transport" not in source and "plan" not in source


def test_model_count_is_small_and_fixed(hist):
    doc = Document()
    doc.add_root(hist.figure)
    # A figure with one glyph (plus selection looks, drag, keys, the flow's answer and ack).
    assert len(doc.models) <= 40
