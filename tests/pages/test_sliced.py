"""The sliced page builds without a server, shows numbers an independent computation
reproduces, and keeps its last valid state under hostile links, syncs and taps."""

from __future__ import annotations

import array
import math

import numpy as np
import ot
import pytest
from bokeh.document import Document

from ot_engine.sliced import dimension_gap
from pages import sliced as page
from pages.query import parse_query


def shown(view) -> dict[str, str]:
    return {row[0]: row[3] for row in view.readouts.rows}


def independent(X, Y, n_proj, seed, k):
    """The page's numbers from numpy, POT and a fine angle grid (not the engine)."""
    theta = np.random.RandomState(seed).randn(n_proj, 2)
    theta /= np.linalg.norm(theta, axis=1, keepdims=True)
    sw = ot.sliced_wasserstein_distance(X, Y, projections=theta.T)
    n = len(X)
    w2 = math.sqrt(ot.emd2(np.full(n, 1 / n), np.full(n, 1 / n), ot.dist(X, Y)))
    angles = np.linspace(0, np.pi, 20001)
    t = np.column_stack([np.cos(angles), np.sin(angles)])
    grid = np.sqrt(np.max(np.mean((np.sort(X @ t.T, 0) - np.sort(Y @ t.T, 0)) ** 2, axis=0)))
    u, v = np.sort(X @ theta[k - 1]), np.sort(Y @ theta[k - 1])
    return sw, w2, grid, math.sqrt(np.mean((u - v) ** 2))


def test_page_builds_without_a_server():
    view = page.SlicedPage.create()
    view.__panel__()
    assert view.model.cloud == "stretch" and view.model.n_proj == 20
    assert list(shown(view))[:2] == ["sw", "sw2"]


@pytest.mark.parametrize(
    "view_args",
    [{}, {"cloud": "ring", "n_proj": 200, "seed": 5, "direction": 7}, {"cloud": "shift"}],
)
def test_readouts_are_pot_lp_and_a_fine_grid(view_args):
    view = page.SlicedPage(page.SlicedModel(**view_args), embed=False)
    m = view.model
    sw, w2, grid, picked = independent(view.X, view.Y, m.n_proj, m.seed, m.direction)
    values = shown(view)
    assert values["sw"] == f"{sw:.4f}"
    assert values["sw2"] == f"{sw**2:.4f}"
    assert values["w2"] == f"{w2:.4f}"
    assert float(values["max"]) == pytest.approx(grid, abs=2e-4)
    assert view.state.max.value >= grid - 1e-12  # refined: never below a grid point
    assert values["picked"] == f"{picked:.4f}"
    assert float(values["sw"]) <= float(values["max"]) <= float(values["w2"])


def test_dimension_readouts_are_the_gaussian_closed_form_and_samples():
    view = page.SlicedPage(page.SlicedModel(dim=40, seed=2), embed=False)
    rows = {row[0]: row[3] for row in view.dim_readouts.rows}
    gap = dimension_gap(40, n=page.GAP_POINTS, shift=page.GAP_SHIFT, seed=2)
    assert rows["dim_sw_closed"] == f"{page.GAP_SHIFT / math.sqrt(40):.4f}"
    assert rows["dim_ratio_closed"] == f"{1 / math.sqrt(40):.4f}"
    assert rows["dim_w2"] == f"{gap.w2:.4f}"
    # Independent: the same samples through POT.
    rng = np.random.RandomState(2)
    X, Y = rng.randn(100, 40), rng.randn(100, 40)
    Y[:, 0] += 2.0
    w2 = math.sqrt(ot.emd2(np.full(100, 0.01), np.full(100, 0.01), ot.dist(X, Y)))
    assert rows["dim_w2"] == f"{w2:.4f}"
    view.model.dim = 3
    rows = {row[0]: row[3] for row in view.dim_readouts.rows}
    assert rows["d"] == "3" and rows["dim_ratio_closed"] == f"{1 / math.sqrt(3):.4f}"
    assert view.dimension.current.data["d"] == [3]


def test_query_keys_accept_good_values():
    values, notices = parse_query(
        {"cloud": "ring", "n_proj": "1000", "seed": "42", "dir": "3", "dim": "100"},
        page.QUERY_KEYS,
    )
    assert values == {"cloud": "ring", "n_proj": 1000, "seed": 42, "direction": 3, "dim": 100}
    assert notices == []


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ({"cloud": "<script>"}, "cloud"),
        ({"n_proj": "0"}, "n_proj"),
        ({"n_proj": "1001"}, "n_proj"),
        ({"n_proj": "nan"}, "n_proj"),
        ({"n_proj": "9" * 5000}, "n_proj"),
        ({"n_proj": "١٠"}, "n_proj"),  # other scripts' digits
        ({"seed": "-1"}, "seed"),
        ({"seed": "1e3"}, "seed"),
        ({"seed": "\ufffd\ufffd"}, "seed"),  # invalid UTF-8, as the server decodes it
        ({"dir": "2.5"}, "dir"),
        ({"dim": "1"}, "dim"),
        ({"dim": "101"}, "dim"),
    ],
)
def test_query_keys_refuse_bad_values_with_a_notice(query, key):
    values, notices = parse_query(query, page.QUERY_KEYS)
    assert values == {}
    assert len(notices) == 1 and f"'{key}'" in notices[0]
    assert "<script>" not in notices[0]


def test_picked_direction_follows_the_number_of_directions():
    view = page.SlicedPage(page.SlicedModel(n_proj=50, direction=40), embed=False)
    assert view.direction_slider.end == 50
    view.model.n_proj = 10
    assert view.model.direction == 10 and view.direction_slider.end == 10
    assert view.state.picked == 9
    # A link whose direction exceeds its count is clamped at build.
    view = page.SlicedPage(page.SlicedModel(n_proj=5, direction=900), embed=False)
    assert view.model.direction == 5


def feed(view, flat):
    pts = view.clouds.points
    pts.flow.submit(**pts._parse_moves({"m": array.array("d", flat)}))


def sync(xy, groups, seq=1, settled=True):
    flat = [float(seq), 1.0 if settled else 0.0]
    for (x, y), g in zip(xy, groups, strict=True):
        flat += [float(x), float(y), float(g)]
    return flat


def test_a_drag_recomputes_every_number():
    view = page.SlicedPage(embed=False)
    pts = view.clouds.points
    xy, g = pts.xy, pts.groups
    xy[0] = [1.5, 1.5]
    before = shown(view)
    feed(view, sync(xy, g))
    after = shown(view)
    assert after != before
    X, Y = xy[g == 0].round(3), xy[g == 1].round(3)  # the page keeps what a link keeps
    sw, w2, _, _ = independent(X, Y, 20, 0, 1)
    assert after["sw"] == f"{sw:.4f}" and after["w2"] == f"{w2:.4f}"
    assert np.array_equal(view.X, X)


@pytest.mark.parametrize(
    "flat",
    [
        [1.0, 1.0, math.nan, 0.0, 0.0],
        [1.0, 1.0] + [0.0, 0.0, 0.0] * 10,  # wrong count
        [1.0, 1.0] + [9.0, 9.0, 0.0] * 48,  # out of bounds
        [1.0, 1.0] + [0.0, 0.0, 5.0] * 48,  # bad group
        [1.0, 2.0] + [0.0, 0.0, 0.0] * 48,  # bad header
    ],
)
def test_hostile_syncs_keep_the_last_valid_state(flat):
    view = page.SlicedPage(embed=False)
    before, X = shown(view), view.X.copy()
    feed(view, flat)
    assert shown(view) == before
    assert np.array_equal(view.X, X)
    assert view.clouds.points.rejected == 1


def test_huge_sync_is_refused_before_any_work():
    # The component checks size and shape first; the page never sees such a sync.
    view = page.SlicedPage(embed=False)
    before = shown(view)
    feed(view, [0.0] * 100_000)
    assert shown(view) == before and view.clouds.points.rejected == 1


def test_browser_writable_models_are_declared_small():
    from pages import compat

    view = page.SlicedPage(embed=False)
    assert view.pick_src._ot_writable == (frozenset({"data"}), 16)
    limit = view.clouds.points.moves._ot_writable[1]
    assert limit < 400  # 48 points: a few hundred numbers at most
    assert compat.browser_writable  # the one declaration helper


def test_all_points_equal_give_zero_and_a_message_not_nan():
    view = page.SlicedPage(embed=False)
    g = view.clouds.points.groups
    feed(view, sync(np.full((48, 2), 0.3), g))
    values = shown(view)
    assert values["sw"] == values["w2"] == values["max"] == "0.0000"
    assert "undefined" in values["ratio"]
    assert view.message.visible and "coincide" in view.message.object
    assert all("nan" not in v.lower() for v in values.values())
    # Moving one point away clears the message.
    xy = np.full((48, 2), 0.3)
    xy[0] = [1.0, 1.0]
    feed(view, sync(xy, g, seq=2))
    assert not view.message.visible


def test_one_direction_says_it_has_no_error_estimate():
    view = page.SlicedPage(page.SlicedModel(n_proj=1), embed=False)
    values = shown(view)
    assert values["se"] == values["band"] == "needs L ≥ 2"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"k": [4]}, {"k": 4}),
        ({"k": [4.0]}, {"k": 4}),
        ({"k": [4.5]}, {}),
        ({"k": [-1]}, {}),
        ({"k": [10**9]}, {}),
        ({"k": [math.nan]}, {}),
        ({"k": ["x"]}, {}),
        ({"k": [1, 2]}, {}),
        ({"j": [1]}, {}),
        ({"k": []}, {}),
    ],
)
def test_tap_pick_parsing(data, expected):
    assert page._parse_pick(data) == expected


def test_tap_pick_sets_the_direction_clamped_and_is_answered():
    view = page.SlicedPage(embed=False)
    answers = view.pick_flow.answers
    view.pick_flow.submit(**page._parse_pick({"k": [6]}))
    assert view.model.direction == 7
    view.pick_flow.submit(**page._parse_pick({"k": [500]}))  # beyond L = 20: the last one
    assert view.model.direction == 20
    view.pick_flow.submit(**page._parse_pick({"k": [-3]}))  # invalid: answered, no change
    assert view.model.direction == 20
    assert view.pick_flow.answers == answers + 3


def test_preset_change_redraws_the_points():
    view = page.SlicedPage(embed=False)
    view.model.cloud = "clusters"
    X, Y = page.preset_clouds("clusters")
    assert np.allclose(view.X, X) and np.allclose(view.Y, Y)
    assert np.allclose(view.clouds.points.source.data["x"][: page.N_POINTS], X[:, 0])


def test_payloads_are_small_float32():
    view = page.SlicedPage(page.SlicedModel(n_proj=1000), embed=False)
    for source in (view.convergence.source, view.clouds.lines):
        for col, values in source.data.items():
            assert np.asarray(values).dtype in (np.float32, np.int32), col
    assert len(view.convergence.source.data["sw"]) == page.CURVE_PROJECTIONS
    doc = Document()
    doc.add_root(view.__panel__().get_root(doc))
    assert len(doc.models) < 900


def test_takehome_code_names_the_current_view():
    view = page.SlicedPage(page.SlicedModel(n_proj=30, seed=4, direction=2, dim=7))
    th = view.takehome()
    assert "n_proj, seed, k = 30, 4, 2" in th.code
    assert "d, n = 7, 100" in th.code
    assert "sliced_wasserstein_distance" in th.code
    lines = view.caption_lines()
    assert lines[0].startswith("clouds: stretch") and len(lines) == 9


def test_new_directions_button_steps_the_seed():
    view = page.SlicedPage(page.SlicedModel(seed=page.MAX_SEED), embed=False)
    before = shown(view)["sw"]
    view._next_seed()
    assert view.model.seed == 0 and view.seed_button.label.endswith("(seed 0)")
    assert shown(view)["sw"] != before


def test_dragged_points_go_into_the_link_and_back():
    view = page.SlicedPage(embed=False)
    xy, g = view.clouds.points.xy, view.clouds.points.groups
    xy[0] = [1.23456, -0.98765]
    view._on_points(xy, g, False)  # mid-drag: the link waits for the release
    assert view.model.points is None
    view._on_points(xy, g, True)
    assert view.model.points[:2] == (1.235, -0.988)
    link = view.view_query()
    assert "1.235,-0.988" in link["pts"] and len(link["pts"]) < 1000
    values, notices = parse_query(link, page.QUERY_KEYS)
    assert notices == []
    again = page.SlicedPage(page.SlicedModel(**values), embed=False)
    assert shown(again) == shown(view)
    assert np.array_equal(again.X, view.X)
    # A preset chosen: its own points again, and the link drops the dragged ones.
    view.model.cloud = "ring"
    assert view.model.points is None and view.view_query()["pts"] == ""
    assert np.allclose(view.X, page.preset_clouds("ring")[0])


@pytest.mark.parametrize(
    "raw",
    [
        "1,2,3",  # too few
        ",".join(["0"] * 95 + ["2.5"]),  # out of bounds
        ",".join(["0"] * 95 + ["nan"]),
        ",".join(["0"] * 97),
    ],
)
def test_bad_points_in_a_link_are_ignored(raw):
    values, notices = parse_query({"pts": raw}, page.QUERY_KEYS)
    assert values == {} and len(notices) == 1 and "'pts'" in notices[0]


def test_empty_points_mean_the_preset():
    values, notices = parse_query({"pts": "", "cloud": "shift"}, page.QUERY_KEYS)
    assert values == {"points": None, "cloud": "shift"} and notices == []
