"""/persistence_diagrams without a browser: model, link keys, hostile values, drags, readouts.

The readouts are checked against independent computations: persim's bottleneck distance,
GUDHI's Wasserstein distance (sup-norm ground metric, as the page) and GUDHI's lower-star
persistence of the page's function (test-only oracles).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import pages.persistence_diagrams as pd
from pages import query, registry

gudhi = pytest.importorskip("gudhi")
persim = pytest.importorskip("persim")
from gudhi.wasserstein import wasserstein_distance  # noqa: E402


def make(**view) -> pd.PersistencePage:
    model = pd.DiagramsModel()
    values, notices = query.parse_query(view, pd.QUERY_KEYS)
    query.apply_values(model, values)
    notices += pd.PersistencePage.link_notices(model, view)
    page = pd.PersistencePage(model, embed=False, notices=notices)
    return page


def shown(page) -> dict[str, str]:
    return {row[0]: row[3] for row in page.readouts.rows}


def lower_star(f) -> np.ndarray:
    st = gudhi.SimplexTree()
    for i, v in enumerate(f):
        st.insert([i], float(v))
    for i in range(len(f) - 1):
        st.insert([i, i + 1], float(max(f[i], f[i + 1])))
    st.compute_persistence()
    pairs = [(b, d) for b, d in st.persistence_intervals_in_dimension(0) if math.isfinite(d)]
    return np.array(sorted(pairs)).reshape(-1, 2)


def oracle(D1, D2, p) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dB = float(persim.bottleneck(D1, D2)) if len(D1) + len(D2) else 0.0
    wp = dB if math.isinf(p) else wasserstein_distance(D1, D2, order=p, internal_p=np.inf)
    return float(wp), dB


def test_registered_in_chapter_four():
    info = registry.info("persistence_diagrams")
    assert info.chapter == 4 and registry.page_class(info.slug) is pd.PersistencePage


@pytest.mark.parametrize(
    "view",
    [
        {},
        {"preset": "ripples", "delta": "0.1", "seed": "7", "order": "1"},
        {"preset": "hills", "delta": "0", "order": "inf"},
        {"d1": "0.1:0.6,0.3:0.5", "d2": "0.15:0.7", "order": "3"},
    ],
)
def test_readouts_match_gudhi_and_persim(view):
    page = make(**view)
    m, s = page.model, page.shown
    if m.preset != "custom":
        f = pd.function(m.preset)
        g = f + m.delta * pd.noise(m.seed)
        assert np.allclose(s.D1, lower_star(f)) and np.allclose(s.D2, lower_star(g))
        assert shown(page)["sup"] == f"{np.abs(f - g).max():.4f}"
    wp, dB = oracle(s.D1, s.D2, m.order)
    assert shown(page)["wp"] == f"{wp:.4f}"
    assert shown(page)["bottleneck"] == f"{dB:.4f}"
    assert not page.readouts.flagged()


@pytest.mark.parametrize("preset", ["hills", "ripples"])
@pytest.mark.parametrize("delta", [0.0, 0.01, 0.05, 0.1])
def test_stability_holds_on_every_preset_view(preset, delta):
    for seed in (0, 1, 2):
        page = make(preset=preset, delta=str(delta), seed=str(seed))
        s = page.shown
        assert s.bottleneck.distance <= s.sup_norm + 1e-12
        assert shown(page)["bound"] == "holds"


def test_formulas_in_the_notebook_are_the_page_functions():
    t = pd.T  # noqa: F841 (used by eval)
    for name, text in pd.FORMULAS.items():
        assert np.allclose(eval(text, {"np": np, "t": pd.T}), pd.function(name))


# --- the link -------------------------------------------------------------------------------


def test_diagram_round_trip():
    D = ((0.1, 0.5), (0.25, 0.25))
    assert pd.parse_diagram(pd.format_diagram(D)) == D
    assert pd.parse_diagram("empty") == () and pd.parse_diagram("") is None
    assert pd.parse_order("inf") == math.inf and pd.parse_order("3") == 3


@pytest.mark.parametrize(
    "key, raw",
    [
        ("d1", "0.5:0.1"),  # below the diagonal
        ("d1", "0.1:inf"),  # an essential class
        ("d2", "nan:0.5"),
        ("d2", "0.1:0.5:0.7"),
        ("d2", "abc"),
        ("d1", ",".join(["0.1:0.2"] * 21)),
        ("d1", "0.1:2"),
        ("d1", "1e400:1e400"),
        ("order", "0"),
        ("order", "11"),
        ("order", "-inf"),
        ("order", "9" * 5000),
        ("delta", "nan"),
        ("delta", "0.5"),
        ("seed", "١٢"),
        ("preset", "<script>"),
        ("d1", "\udcff:0.5"),
    ],
)
def test_hostile_link_values_are_refused_with_a_notice(key, raw):
    page = make(**{key: raw})
    assert any(key in n for n in page.notices), page.notices
    assert all(raw[:40] not in n for n in page.notices if len(raw) > 3)  # never echoed
    assert page.model.preset == "hills" and shown(page)["wp"] == shown(make())["wp"]


def test_diagrams_in_a_link_make_the_view_custom():
    page = make(d1="0.1:0.5", d2="empty")
    assert page.model.preset == "custom"
    assert page.shown.D1.tolist() == [[0.1, 0.5]] and len(page.shown.D2) == 0
    assert "D2 is empty" in page.message.object and page.message.visible
    assert shown(page)["wp"] == "0.2000"  # half the persistence, every order


def test_diagrams_with_a_function_preset_are_ignored_with_a_notice():
    page = make(preset="ripples", d1="0.1:0.5")
    assert page.model.preset == "ripples" and page.model.d1 is None
    assert any("computes its own" in n for n in page.notices)


def test_both_empty():
    page = make(d1="empty", d2="empty")
    assert shown(page)["wp"] == "0.0000" and "Both diagrams are empty" in page.message.object


def test_the_link_follows_the_view():
    page = make()
    keys = {spec.key: spec.format(getattr(page.model, spec.param)) for spec in pd.QUERY_KEYS}
    assert keys["d1"] == "" and keys["order"] == "2"
    page.model.order = math.inf
    page.model.preset = "custom"  # the shown diagrams become hand-placed ones: no jump
    d1 = pd.format_diagram(page.model.d1)
    again = make(preset="custom", d1=d1, d2=pd.format_diagram(page.model.d2), order="inf")
    assert shown(again) == shown(page)


# --- events ---------------------------------------------------------------------------------


def test_a_drag_recomputes_and_sets_the_link_on_release():
    page = make(preset="custom")
    xy, g = page.diagram.points.xy, page.diagram.points.groups
    xy[0] = [0.2, 0.95]
    page._on_points(xy, g, False)
    assert page.model.d1 is None  # not while dragging
    D1 = xy[g == 0]
    assert shown(page)["wp"] == f"{oracle(D1, xy[g == 1], 2)[0]:.4f}"
    page._on_points(xy, g, True)
    assert page.model.d1[0] == (0.2, 0.95)


def test_a_drag_below_the_diagonal_keeps_the_last_valid_state():
    page = make(preset="custom")
    before = shown(page)
    xy, g = page.diagram.points.xy, page.diagram.points.groups
    xy[1] = [0.8, 0.1]
    page._on_points(xy, g, True)
    assert "below the diagonal" in page.message.object and page.message.visible
    assert shown(page) == before
    assert page.model.d1 is None


def test_a_drag_on_a_function_preset_switches_to_custom():
    page = make(preset="hills")
    xy, g = page.diagram.points.xy, page.diagram.points.groups
    xy[0, 1] = min(1.0, xy[0, 1] + 0.1)
    page._on_points(xy, g, True)
    assert page.model.preset == "custom" and page.shown.f is None
    assert shown(page)["sup"].startswith("—")
    assert not page.functions.figure.visible and page.delta_slider.disabled
    page.model.preset = "hills"
    assert page.functions.figure.visible and not page.delta_slider.disabled


def test_forged_syncs_are_refused_by_the_component():
    page = make()
    pts = page.diagram.points
    for data in ({"m": [0, 1, 0.5]}, {"m": ["x"]}, {"x": 1}, {"m": [0, 1, 0.5, 0.5, 7]}):
        assert pts._parse_moves(data) == {}
    assert pts._parse_moves({"m": [0, 1] + [0.1, 0.2, 0] * 41}) == {}  # too many points


def test_add_and_remove_buttons():
    page = make(preset="custom")
    n1, n2 = len(page.shown.D1), len(page.shown.D2)
    page._add(0)
    page._add(1)
    assert (len(page.shown.D1), len(page.shown.D2)) == (n1 + 1, n2 + 1)
    assert len(page.model.d1) == n1 + 1
    page._picked = None
    page._remove_picked()
    assert "Pick a point first" in page.message.object
    page._on_pick("indices", [], [0])
    page._remove_picked()
    assert len(page.shown.D1) == n1
    assert page.shown.D1.tolist()[0] == list(pd.CUSTOM_D1[1])


def test_add_stops_at_the_limit():
    page = make(preset="custom")
    for _ in range(30):
        page._add(1)
    assert len(page.shown.D2) == pd.MAX_PER_DIAGRAM and "At most" in page.message.object


def test_order_and_preset_changes_redraw():
    page = make()
    page.model.order = 1
    assert shown(page)["wp"] == f"{oracle(page.shown.D1, page.shown.D2, 1)[0]:.4f}"
    page.model.delta = 0.1
    assert shown(page)["sup"] == f"{page.shown.sup_norm:.4f}"
    page._next_seed()
    assert page.model.seed == 1 and "seed 1" in page.seed_button.label
    page.model.preset = "custom"
    assert page.model.d1 is not None and shown(page)["sup"].startswith("—")
    page.model.preset = "ripples"
    assert page.model.d1 is None and page.shown.f is not None


def test_segments_drawn_match_the_matching():
    page = make(order="inf")
    s = page.shown
    segs = page.diagram.segments.data
    assert len(segs["x0"]) == s.matching.n_segments
    dx = np.abs(np.subtract(segs["x0"], segs["x1"]))
    dy = np.abs(np.subtract(segs["y0"], segs["y1"]))
    lengths = np.maximum(dx, dy)
    assert max(lengths) == pytest.approx(s.bottleneck.distance)
    longest = page.diagram.longest.data
    a, b = longest["x0"][0] - longest["x1"][0], longest["y0"][0] - longest["y1"][0]
    assert max(abs(a), abs(b)) == pytest.approx(s.bottleneck.distance)


def test_stability_drawn_only_with_a_function():
    page = make(preset="ripples", delta="0.06")
    s = page.shown
    boxes = page.diagram.boxes.data
    assert len(boxes["x"]) == len(s.D1) and np.allclose(boxes["w"], 2 * s.sup_norm)
    # Every D2 point of the bottleneck matching lies in its partner's box or in the strip.
    for i, j in s.bottleneck.pairs:
        assert np.abs(s.D1[i] - s.D2[j]).max() <= s.sup_norm + 1e-12
    for j in s.bottleneck.diagonal2:
        assert s.D2[j, 1] - s.D2[j, 0] <= 2 * s.sup_norm + 1e-12
    page.model.preset = "custom"
    assert page.diagram.boxes.data["x"] == [] and page.diagram.strip.data["x"] == []
