"""The KL-versus-Wasserstein page builds without a server and shows the engine's numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ot_engine import shift_family as sf
from pages import kl_vs_wasserstein as page
from pages.query import parse_query


def test_page_builds_without_a_server():
    view = page.KLvsWassersteinPage.create()
    view.__panel__()
    assert view.model.shift == pytest.approx(0.4)
    assert view.readouts.rows[0][:2] == ["kl_pq", "KL(p‖q)"]


def test_query_keys_accept_good_values():
    values, notices = parse_query(
        {"shift": "-2.5", "width": "0.3", "shape": "box", "floor": "1e-6"}, page.QUERY_KEYS
    )
    assert values == {"shift": -2.5, "width": 0.3, "shape": "box", "floor": 1e-6}
    assert notices == []


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ({"shift": "nan"}, "shift"),
        ({"shift": "99"}, "shift"),
        ({"width": "0"}, "width"),
        ({"width": "abc"}, "width"),
        ({"shape": "<script>"}, "shape"),
        ({"floor": "0.3"}, "floor"),
        ({"floor": "inf"}, "floor"),
    ],
)
def test_query_keys_refuse_bad_values_with_a_notice(query, key):
    values, notices = parse_query(query, page.QUERY_KEYS)
    assert values == {}
    assert len(notices) == 1 and f"'{key}'" in notices[0]
    assert "<script>" not in notices[0]


def test_zero_width_is_refused_by_the_model_bounds():
    model = page.ShiftModel()
    with pytest.raises(ValueError):
        model.width = 0.0
    assert model.width == pytest.approx(0.8)


def test_readouts_and_markers_are_the_engine_numbers():
    view = page.KLvsWassersteinPage()
    view.model.param.update(shape="epanechnikov", width=0.6, shift=1.3)
    values, slopes = sf.divergences_at("epanechnikov", 0.6, 1.3)
    assert view.current_values == values
    shown = {row[0]: (row[3], row[4]) for row in view.readouts.rows}
    for key in sf.DIVERGENCES:
        assert shown[key] == (page.format_value(values[key]), page.format_value(slopes[key]))
    markers = view.marker_src.data
    on_band = {k: view._kl_inf_y[k] for k in ("kl_pq", "kl_qp") if math.isinf(values[k])}
    assert markers["y"] == [on_band.get(k, values[k]) for k in sf.DIVERGENCES]
    np.testing.assert_array_equal(markers["dy"], [slopes[k] for k in sf.DIVERGENCES])
    crit = sf.critic_at("epanechnikov", 0.6, 1.3)
    shown = view.critic_src.data
    assert np.allclose(shown["f"], np.interp(shown["x"], crit.x, crit.f), atol=1e-6)


def test_infinity_is_shown_never_a_large_number():
    view = page.KLvsWassersteinPage()
    view.model.param.update(shape="box", width=0.3, shift=5.0)
    assert math.isinf(view.current_values["kl_pq"])
    assert [row[3] for row in view.readouts.rows].count("∞") == 2
    # The KL curves break (NaN) where infinite, and bands mark those stretches.
    data = view.curve_src.data
    assert np.isnan(data["kl_pq"][np.abs(data["shift"]) > 3]).all()
    assert len(view.inf_src.data["x0"]) >= 2
    # The ∞ label sits on the KL axis at the bands' row.
    assert "∞" in view.kl_fig.yaxis.major_label_overrides.values()


def test_floor_makes_kl_finite_in_the_readouts():
    view = page.KLvsWassersteinPage()
    view.model.param.update(shape="box", width=0.3, shift=5.0, floor=1e-6)
    assert math.isfinite(view.current_values["kl_pq"])
    assert view.readouts.rows[0][1] == "KL(p‖q) (floor 1e-06)"
    assert view.inf_src.data["x0"] == []


def test_format_value():
    assert page.format_value(math.inf) == "∞"
    assert page.format_value(math.nan) == "undefined"
    assert page.format_value(0.693147) == "0.6931"


class FakeDoc:
    def __init__(self):
        self.callbacks = []

    def add_next_tick_callback(self, cb):
        self.callbacks.append(cb)


def test_drag_events_coalesce_latest_wins(monkeypatch):
    view = page.KLvsWassersteinPage()
    doc = FakeDoc()
    monkeypatch.setattr(view, "_session_doc", lambda: doc)
    bump_x = list(view.bump_src.data["x"])
    for value in (1.0, 2.0, 3.5):
        view._on_drag_data("data", None, {"shift": [value], "seq": [1]})
    assert len(doc.callbacks) == 1  # one update scheduled for three events
    doc.callbacks.pop()()
    assert view.model.shift == pytest.approx(3.5)
    # A drag never rewrites the source the browser is moving.
    assert list(view.bump_src.data["x"]) == bump_x
    # Garbage from the browser is ignored; out-of-range values are clamped.
    view._on_drag_data("data", None, {"shift": ["nan"], "seq": [2]})
    view._on_drag_data("data", None, {"shift": [1e9], "seq": [3]})
    doc.callbacks.pop()()
    assert view.model.shift == pytest.approx(sf.SHIFT_RANGE[1])


def test_slider_moves_the_bump_on_the_server():
    view = page.KLvsWassersteinPage()
    view.model.shift = -3.0
    x0 = np.asarray(view.bump_src.data["x0"])
    assert np.allclose(view.bump_src.data["x"], x0 - 3.0)
    # The browser reads the shift from the middle point (the outline is symmetric about it);
    # the ends are clamped to the axis (that level of the plot is not clipped).
    for shape in sf.SHAPES:
        view.model.param.update(shape=shape, width=1.5, shift=6.0)
        x0, x = (np.asarray(view.bump_src.data[k]) for k in ("x0", "x"))
        mid = len(x) // 2
        assert x0[mid] == 0.0 and x[mid] == pytest.approx(6.0)
        assert x.max() <= page.X_VIEW[1]


def test_curve_payload_is_float32_and_small():
    view = page.KLvsWassersteinPage()
    data = view.curve_src.data
    assert all(np.asarray(v).dtype == np.float32 for v in data.values())
    assert sum(np.asarray(v).nbytes for v in data.values()) < 40_000


def test_drag_answers_leave_markers_to_the_browser(monkeypatch):
    view = page.KLvsWassersteinPage()
    doc = FakeDoc()
    monkeypatch.setattr(view, "_session_doc", lambda: doc)
    before = dict(view.marker_src.data)
    view._on_drag_data("data", None, {"shift": [2.5], "seq": [7]})
    doc.callbacks.pop()()
    # The browser already drew bump and markers at 2.5; an answer must not move them.
    assert view.marker_src.data == before
    assert view.answer_src.data == {"shift": [2.5], "seq": [7]}
    values, _ = sf.divergences_at("tent", 0.8, 2.5)
    assert [row[3] for row in view.readouts.rows] == [
        page.format_value(values[k]) for k in sf.DIVERGENCES
    ]
    # A slider change rewrites them, with a new revision so it is never skipped as unchanged.
    view.model.shift = 0.4
    assert view.marker_src.data["x"][0] == pytest.approx(0.4)
    assert view.marker_src.data["rev"][0] > before["rev"][0]


def test_critic_is_cut_at_the_axis_ends_and_its_range_moves_in_steps():
    view = page.KLvsWassersteinPage()
    ranges = set()
    for shift in np.linspace(-4.0, 4.0, 81):
        view.model.shift = float(shift)
        x, f = view.critic_src.data["x"], view.critic_src.data["f"]
        # Drawn on the unclipped overlay level: the line must end at the axis ends.
        assert x[0] == page.X_VIEW[0] and x[-1] == page.X_VIEW[1]
        crit = sf.critic_at("tent", 0.8, float(shift))
        assert np.allclose(f, np.interp(x, crit.x, crit.f), atol=1e-5)  # float32 of |f| < 10
        r = view.critic.y_range
        assert r.start < f.min() and f.max() < r.end
        ranges.add((r.start, r.end))
    # The axis stays put for most steps of a drag (it is repainted only when it changes).
    assert len(ranges) < 81 / 3
