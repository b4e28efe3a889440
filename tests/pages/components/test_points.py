"""Draggable points, server side: validation of what a browser sends, updates held while a
drag goes on, and how light one component is."""

from __future__ import annotations

import array

import numpy as np
import pytest
from bokeh.document import Document

from pages.components import js
from pages.components.points import DraggablePoints, parse_moves

BOUNDS = ((-1.0, 1.0), (-1.0, 1.0))


def feed(pts, data) -> None:
    """What Bokeh does with a browser's write of ``pts.moves`` (raw: a forged value need not
    pass Bokeh's Python-side validation): the flow's listener parses it and submits."""
    pts.flow.submit(**pts._parse_moves(data))


def sync(seq: int, settled: bool, points, kind="array") -> dict:
    flat = [float(seq), 1.0 if settled else 0.0]
    for x, y, g in points:
        flat += [float(x), float(y), float(g)]
    if kind == "array":  # what Bokeh hands over for a browser's Float64Array
        return {"m": array.array("d", flat)}
    if kind == "numpy":
        return {"m": np.array(flat)}
    return {"m": flat}


def make(**kwargs):
    calls = []
    options = dict(
        group_names=("source", "target"),
        on_change=lambda xy, g, settled: calls.append((xy, g, settled)),
        max_points=5,
    )
    options.update(kwargs)
    pts = DraggablePoints([[0, 0], [0.5, 0.5]], [0, 1], **options)
    Document().add_root(pts.figure)  # as served: every data write is sent, equal or not
    return pts, calls


@pytest.mark.parametrize("kind", ["array", "numpy", "list"])
def test_a_valid_sync_reaches_the_page(kind):
    pts, calls = make()
    feed(pts, sync(1, True, [(0.1, 0.2, 0), (-0.3, 0.4, 1)], kind))
    assert len(calls) == 1
    xy, groups, settled = calls[0]
    np.testing.assert_allclose(xy, [[0.1, 0.2], [-0.3, 0.4]])
    assert groups.tolist() == [0, 1] and settled
    np.testing.assert_allclose(pts.xy, xy)
    assert pts.last_seq == 1 and pts.rejected == 0


HOSTILE = [
    {"m": "1,1,0,0,0"},
    {"m": [1, 1, 0, 0, "0"]},
    {"m": [1, 1, 0, 0, [0]]},
    {"m": [1, 1, 0, 0, True]},
    {"m": [1, 1, 0, 0]},  # not a whole point
    {"m": [1]},
    {"m": [1, 1, float("nan"), 0, 0, 0.5, 0.5, 1]},
    {"m": [1, 1, float("inf"), 0, 0, 0.5, 0.5, 1]},
    {"m": [1, 1, 1.5, 0, 0, 0.5, 0.5, 1]},  # out of bounds
    {"m": [1, 1, 0, 0, 7, 0.5, 0.5, 1]},  # no group 7
    {"m": [1, 1, 0, 0, 0.5, 0.5, 0.5, 1]},  # not a whole group
    {"m": [1, 0.5, 0, 0, 0, 0.5, 0.5, 1]},  # settled is 0 or 1
    {"m": [-1, 1, 0, 0, 0, 0.5, 0.5, 1]},
    {"m": [1.5, 1, 0, 0, 0, 0.5, 0.5, 1]},
    {"m": np.zeros((2, 8))},
    {"m": np.array(["a"] * 8)},
    {"m": array.array("u", "abcdefgh")},
    {"m": [0.0] * 10_000_000},  # rejected by its length, before any per-value work
    {"m": np.zeros(10_000_000)},
    {"m": [1, 1, 0, 0, 0, 0.5, 0.5, 1], "extra": [1]},
    {},
]


@pytest.mark.parametrize("data", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_syncs_are_rejected_and_the_points_written_back(data):
    pts, calls = make()
    before = pts.xy
    writes = []
    pts.source.on_change("data", lambda attr, old, new: writes.append(1))
    feed(pts, data)
    assert calls == [] and pts.rejected == 1
    np.testing.assert_array_equal(pts.xy, before)
    assert writes == [1]  # the browser is put back to the server's points
    assert pts.source.data["x"].tolist() == before[:, 0].tolist()


def test_counts_are_checked_against_what_the_page_allows():
    pts, calls = make()  # neither add nor remove
    feed(pts, sync(1, True, [(0, 0, 0), (0.5, 0.5, 1), (0.1, 0.1, 0)]))
    feed(pts, sync(2, True, [(0, 0, 0)]))
    feed(pts, sync(3, True, [(0, 0, 1), (0.5, 0.5, 1)]))  # group changed
    assert pts.rejected == 3 and calls == []
    pts, calls = make(can_add=True, can_remove=True, min_points=1, max_points=3)
    feed(pts, sync(1, True, [(0, 0, 0), (0.5, 0.5, 1), (0.1, 0.1, 0)]))
    feed(pts, sync(2, True, [(0, 0, 0)] * 4))  # past max_points
    feed(pts, sync(3, True, []))  # below min_points
    assert pts.rejected == 2 and len(calls) == 1 and len(pts.xy) == 3


def test_parse_checks_size_before_values():
    with pytest.raises(ValueError, match="too long"):
        parse_moves({"m": [object()] * 100}, bounds=BOUNDS, n_groups=1, max_points=5)


def test_update_clamps_and_is_held_while_a_drag_goes_on():
    pts, calls = make()
    pts.update([[2, -3], [0.1, 0.1]], [1, 0])
    np.testing.assert_allclose(pts.xy, [[1, -1], [0.1, 0.1]])
    assert pts.source.data["group"] == ["1", "0"]
    feed(pts, sync(1, False, [(0.2, 0.2, 1), (0.1, 0.1, 0)]))
    assert pts.dragging and calls[-1][2] is False
    writes = []
    pts.source.on_change("data", lambda attr, old, new: writes.append(1))
    pts.update([[0.9, 0.9], [0.8, 0.8]])
    pts.update([[0.7, 0.7], [0.6, 0.6]], [0, 0])  # the newest update wins
    assert writes == []  # never written into a source being dragged
    feed(pts, sync(2, True, [(0.3, 0.3, 1), (0.1, 0.1, 0)]))
    assert not pts.dragging and writes == [1]
    np.testing.assert_allclose(pts.source.data["x"], [0.7, 0.6])
    np.testing.assert_allclose(pts.xy, [[0.7, 0.7], [0.6, 0.6]])
    assert calls[-1][2] is True


def test_update_rejects_what_a_page_should_never_pass():
    pts, _ = make()
    with pytest.raises(ValueError):
        pts.update([[np.nan, 0]])
    with pytest.raises(ValueError):
        pts.update([[0, 0]] * 6)  # max_points=5
    with pytest.raises(ValueError):
        pts.update([[0, 0]], [2])  # two groups only
    with pytest.raises(ValueError):
        DraggablePoints([[0, 0]], bounds=((1, 0), (0, 1)))


def test_one_component_adds_few_bokeh_models():
    pts = DraggablePoints([[0, 0]], can_add=True, can_remove=True)
    root = pts.pane().get_root(Document())
    count = len(list(root.references()))
    # A figure with one glyph is ~26 models; this adds the sync source, one CustomJS for every
    # event, the picked-point glyph and the colour/marker mappers, and drops the title and
    # the faded and muted copies of the glyph; the flow's answer source (with its selection
    # and its CustomJS) adds three.
    assert count <= 39, count


def test_js_sends_through_the_shared_flow():
    code = js.read("components/points.js")
    assert "flow: switch" not in code
    assert code.count("flow_request(moves, answer") == 1
    assert "requestAnimationFrame" in code
    assert "innerHTML" not in code
    pts = DraggablePoints([[0, 0]])
    callback = next(iter(pts.figure.js_event_callbacks.values()))[0]
    assert "function flow_request" in callback.code  # flow.js prepended
    assert callback.args["answer"] is pts.flow.answer_source


def test_sync_is_answered_on_the_flow_and_declared_browser_writable():
    seen = []
    pts = DraggablePoints([[0, 0]], on_change=lambda xy, g, settled: seen.append(settled))
    assert pts.moves._ot_writable[0] == {"data"}
    feed(pts, sync(1, False, [(0.5, 0.5, 0)]))
    feed(pts, sync(2, True, [(2.0, 0.5, 0)]))  # out of bounds: put back, answered
    assert seen == [False] and pts.rejected == 1
    assert pts.flow.answers == 2
