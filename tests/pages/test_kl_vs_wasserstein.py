"""The KL-versus-Wasserstein page builds without a server and shows the engine's numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from bokeh.document import Document

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
    markers = view.curves.markers.data
    on_band = {k: view.curves.kl_inf_y[k] for k in ("kl_pq", "kl_qp") if math.isinf(values[k])}
    assert markers["y"] == [on_band.get(k, values[k]) for k in sf.DIVERGENCES]
    np.testing.assert_array_equal(markers["dy"], [slopes[k] for k in sf.DIVERGENCES])
    crit = sf.critic_at("epanechnikov", 0.6, 1.3)
    shown = view.critic.source.data
    assert np.allclose(shown["f"], np.interp(shown["x"], crit.x, crit.f), atol=1e-6)


def test_infinity_is_shown_never_a_large_number():
    view = page.KLvsWassersteinPage()
    view.model.param.update(shape="box", width=0.3, shift=5.0)
    assert math.isinf(view.current_values["kl_pq"])
    assert [row[3] for row in view.readouts.rows].count("∞") == 2
    # The KL curves break (NaN) where infinite, and bands mark those stretches.
    data = view.curves.source.data
    assert np.isnan(data["kl_pq"][np.abs(data["shift"]) > 3]).all()
    assert len(view.curves.inf.data["x0"]) >= 2
    # The ∞ label sits on the KL axis at the bands' row.
    assert "∞" in view.curves.kl_fig.yaxis.major_label_overrides.values()


def test_floor_makes_kl_finite_in_the_readouts():
    view = page.KLvsWassersteinPage()
    view.model.param.update(shape="box", width=0.3, shift=5.0, floor=1e-6)
    assert math.isfinite(view.current_values["kl_pq"])
    assert view.readouts.rows[0][1] == "KL(p‖q) (floor 1e-06)"
    assert view.curves.inf.data["x0"] == []


def test_format_value():
    assert page.format_value(math.inf) == "∞"
    assert page.format_value(math.nan) == "undefined"
    assert page.format_value(0.693147) == "0.6931"


class FakeDoc(Document):
    """A document whose next-tick callbacks wait until the test runs them (``ticks``)."""

    def __init__(self):
        super().__init__()
        self.ticks = []

    def add_next_tick_callback(self, cb):
        self.ticks.append(cb)


def _served(view, monkeypatch) -> FakeDoc:
    """Run the page's flow as if served: its runs wait for the document's next tick."""
    doc = FakeDoc()
    monkeypatch.setattr(type(view.flow), "document", property(lambda self: doc))
    return doc


def _drag_sync(view, shift) -> None:
    """A drag request as it arrives from the browser: Bokeh calls the source's on_change."""
    view.drag_src.trigger("data", view.drag_src.data, {"shift": [shift]})


def test_drag_events_coalesce_latest_wins(monkeypatch):
    view = page.KLvsWassersteinPage()
    doc = _served(view, monkeypatch)
    bump_x = list(view.density.bump.data["x"])
    for value in (1.0, 2.0, 3.5):
        _drag_sync(view, value)
    assert len(doc.ticks) == 1  # one update scheduled for three events
    doc.ticks.pop()()
    assert view.model.shift == pytest.approx(3.5)
    # A drag never rewrites the source the browser is moving.
    assert list(view.density.bump.data["x"]) == bump_x
    # Garbage from the browser is ignored; out-of-range values are clamped.
    _drag_sync(view, "nan")
    _drag_sync(view, 1e9)
    doc.ticks.pop()()
    assert view.model.shift == pytest.approx(sf.SHIFT_RANGE[1])


def test_slider_moves_the_bump_on_the_server():
    view = page.KLvsWassersteinPage()
    view.model.shift = -3.0
    x0 = np.asarray(view.density.bump.data["x0"])
    assert np.allclose(view.density.bump.data["x"], x0 - 3.0)
    # The browser reads the shift from the middle point (the outline is symmetric about it);
    # the ends are clamped to the axis (that level of the plot is not clipped).
    for shape in sf.SHAPES:
        view.model.param.update(shape=shape, width=1.5, shift=6.0)
        x0, x = (np.asarray(view.density.bump.data[k]) for k in ("x0", "x"))
        mid = len(x) // 2
        assert x0[mid] == 0.0 and x[mid] == pytest.approx(6.0)
        assert x.max() <= page.X_VIEW[1]


def test_curve_payload_is_float32_and_small():
    view = page.KLvsWassersteinPage()
    data = view.curves.source.data
    assert all(np.asarray(v).dtype == np.float32 for v in data.values())
    assert sum(np.asarray(v).nbytes for v in data.values()) < 40_000


def test_drag_answers_leave_markers_to_the_browser(monkeypatch):
    view = page.KLvsWassersteinPage()
    doc = _served(view, monkeypatch)
    before = dict(view.curves.markers.data)
    seq = view.flow.answer_source.data["seq"][0]
    _drag_sync(view, 2.5)
    doc.ticks.pop()()
    # The browser already drew bump and markers at 2.5; an answer must not move them.
    assert view.curves.markers.data == before
    # Answered once, with the shift applied.
    assert view.flow.answer_source.data == {"seq": [seq + 1], "shift": [2.5]}
    values, _ = sf.divergences_at("tent", 0.8, 2.5)
    assert [row[3] for row in view.readouts.rows] == [
        page.format_value(values[k]) for k in sf.DIVERGENCES
    ]
    # A slider change rewrites them, with a new revision so it is never skipped as unchanged.
    view.model.shift = 0.4
    assert view.curves.markers.data["x"][0] == pytest.approx(0.4)
    assert view.curves.markers.data["rev"][0] > before["rev"][0]


def test_critic_is_cut_at_the_axis_ends_and_its_range_moves_in_steps():
    view = page.KLvsWassersteinPage()
    ranges = set()
    for shift in np.linspace(-4.0, 4.0, 81):
        view.model.shift = float(shift)
        x, f = view.critic.source.data["x"], view.critic.source.data["f"]
        # Drawn on the unclipped overlay level: the line must end at the axis ends.
        assert x[0] == page.X_VIEW[0] and x[-1] == page.X_VIEW[1]
        crit = sf.critic_at("tent", 0.8, float(shift))
        assert np.allclose(f, np.interp(x, crit.x, crit.f), atol=1e-5)  # float32 of |f| < 10
        r = view.critic.figure.y_range
        assert r.start < f.min() and f.max() < r.end
        ranges.add((r.start, r.end))
    # The axis stays put for most steps of a drag (it is repainted only when it changes).
    assert len(ranges) < 81 / 3


# --- the floor's plateau and the corner at an exact translate -----------------------------


def cell_masses(bump: sf.Bump) -> np.ndarray:
    """Cell masses from the continuous CDF at the grid's edges (not the engine's log masses)."""
    edges = np.linspace(-sf.DOMAIN, sf.DOMAIN, sf.N_CELLS + 1)
    m = np.diff(bump.cdf(edges))
    return m / m.sum()


def floored_kl(a: np.ndarray, b: np.ndarray, floor: float) -> float:
    """KL(a_floor || b_floor) with SciPy's rel_entr, the floor spread evenly over the cells."""
    from scipy.special import rel_entr

    def fl(m):
        return (1 - floor) * m + floor / m.size

    return float(np.sum(rel_entr(fl(a), fl(b))))


def readout(view, key: str) -> str:
    rows = {row[0]: row for row in view.readouts.rows}
    return rows[key][3]


@pytest.mark.parametrize("floor", [1e-3, 1e-6, 1e-12])
@pytest.mark.parametrize(("shape", "width"), [("box", 0.3), ("tent", 0.5), ("cosine", 1.0)])
def test_readout_plateaus_are_the_kl_far_out(shape, width, floor):
    view = page.KLvsWassersteinPage()
    view.model.param.update(shape=shape, width=width, shift=6.0, floor=floor)
    p = cell_masses(sf.FIXED)
    q = cell_masses(sf.Bump(shape, width, 6.0))
    assert not np.any((p > 0) & (q > 0))  # the supports are apart at this shift
    far_pq, far_qp = floored_kl(p, q, floor), floored_kl(q, p, floor)
    # Shown with four decimals; the formula drops terms below 1e-3 (floor log(1/floor) times
    # the other bump's share of the cells), so 2e-3 is a tight check.
    assert float(readout(view, "plateau_pq")) == pytest.approx(far_pq, abs=2e-3)
    assert float(readout(view, "plateau_qp")) == pytest.approx(far_qp, abs=2e-3)
    assert float(readout(view, "kl_pq")) == pytest.approx(far_pq, abs=1e-3)
    # The leading-order formula log(L / floor) - h with h the differential entropy.
    tent_h = 0.5 + math.log(0.5 * math.sqrt(6.0))  # triangle on [-a, a]: 1/2 + log a
    assert float(readout(view, "h_p")) == pytest.approx(tent_h, abs=2e-3)
    lead = math.log(2 * sf.DOMAIN / floor) - tent_h
    assert far_pq == pytest.approx(lead, abs=0.02 if floor == 1e-3 else 1e-4)


def test_the_two_kl_directions_level_off_at_different_heights():
    """KL(q||p) does not climb to log(L/floor) - h(p): its plateau carries h(q) instead."""
    view = page.KLvsWassersteinPage()
    view.model.param.update(shape="box", width=0.3, shift=6.0, floor=1e-6)
    box_h = math.log(2 * math.sqrt(3.0) * 0.3)  # uniform on an interval of length 2 sqrt(3) w
    assert float(readout(view, "h_q")) == pytest.approx(box_h, abs=2e-3)
    pq, qp = float(readout(view, "plateau_pq")), float(readout(view, "plateau_qp"))
    assert qp - pq == pytest.approx(float(readout(view, "h_p")) - box_h, abs=1e-3)
    assert qp - pq > 0.5
    # ... and the computed curves do reach them, far out, with a zero slope.
    values, slopes = sf.divergences_at("box", 0.3, -6.0, 1e-6)
    assert values["kl_qp"] == pytest.approx(qp, abs=1e-3)
    assert abs(slopes["kl_pq"]) < 1e-6 and abs(slopes["kl_qp"]) < 1e-6


def test_no_plateau_rows_without_a_floor():
    view = page.KLvsWassersteinPage()
    assert [row[0] for row in view.readouts.rows] == list(sf.DIVERGENCES)


def test_an_exact_translate_has_a_corner_at_zero_shift():
    """q a tent of width 0.5 is p itself at s = 0: W1 = W2 = |s| has slopes -1 and +1 there,
    so the readout says undefined, not the 0 a symmetric difference would give."""
    view = page.KLvsWassersteinPage()
    view.model.param.update(shape="tent", width=0.5, shift=0.0)
    rows = {row[0]: row for row in view.readouts.rows}
    for key in ("w1", "w2", "tv", "hellinger"):
        assert rows[key][4] == "undefined", key
    p = cell_masses(sf.FIXED)
    h = 2 * sf.DOMAIN / sf.N_CELLS
    for s in (-0.05, 0.05):
        q = cell_masses(sf.Bump("tent", 0.5, s))
        w1 = h * np.abs(np.cumsum(p) - np.cumsum(q)).sum()
        assert w1 == pytest.approx(abs(s), rel=1e-6)  # one-sided slopes -1 and +1
    # Away from the corner the slope is a number again, and not for a non-translate.
    view.model.shift = 0.3
    assert {row[0]: row[4] for row in view.readouts.rows}["w1"] == "1.0000"
    view.model.param.update(width=0.8, shift=0.0)
    assert {row[0]: row[4] for row in view.readouts.rows}["w2"] == "0.0000"
