"""/barycenters: model, deep links, hostile values, and every readout against POT."""

from __future__ import annotations

import warnings

import numpy as np
import ot
import pytest

import pages.barycenters as bc
from pages import registry
from pages.barycenters_plots import (
    CORNERS,
    mosaic,
    point_from_weights,
    round_weights,
    weights_from_point,
)
from pages.query import parse_query


def _page(**params) -> bc.BarycenterPage:
    return bc.BarycenterPage(bc.BarycenterModel(**params), embed=False)


def _rows(page) -> dict[str, str]:
    return {row[0]: row[3] for row in page.readouts.rows}


def test_page_is_registered_last_in_chapter_two():
    assert registry.chapter_pages(2)[-1].slug == "barycenters"
    assert registry.page_class("barycenters") is bc.BarycenterPage


def test_page_builds_light_without_a_server():
    page = _page()
    page.__panel__()
    assert set(page.sections) == {"line"}  # the other views are built when shown


# --- the weight triangle ------------------------------------------------------------------


@pytest.mark.parametrize("w", [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.2, 0.3, 0.5]])
def test_triangle_point_and_weights_round_trip(w):
    assert weights_from_point(point_from_weights(w)).tolist() == pytest.approx(w)


def test_a_point_outside_the_triangle_gets_the_nearest_weights():
    w = weights_from_point([1.5, 0.0])
    assert w.tolist() == [0.0, 1.0, 0.0]
    w = weights_from_point([0.5, -0.3])
    assert w.sum() == pytest.approx(1.0) and (w >= 0).all() and w[2] == 0


def test_rounded_weights_sum_to_one():
    for seed in range(20):
        w = np.random.default_rng(seed).dirichlet(np.ones(3))
        r = round_weights(w)
        assert r.sum() == pytest.approx(1.0, abs=1e-12) and (r >= 0).all()


def test_dragging_the_triangle_point_sets_the_weights_and_the_readout():
    page = _page()
    page.triangle._moved(np.array([CORNERS[2] * 0.5 + CORNERS[1] * 0.5]), None, True)
    assert page.model.w == (0.0, 0.5, 0.5)
    assert "μ₂ 0.500" in page.weights_note.object


# --- the line -------------------------------------------------------------------------------


def _pot_objective(pos, mass, H, w):
    x = (np.arange(H.shape[1]) + 0.5) / H.shape[1]
    P = H / H.sum(axis=1, keepdims=True)
    return sum(wk * ot.wasserstein_1d(pos, x, mass, Pk, p=2) for wk, Pk in zip(w, P, strict=True))


@pytest.mark.parametrize("preset", list(bc.LINE_PRESETS.values()))
def test_line_readouts_match_pot_and_the_barycenter_is_the_minimum(preset):
    page = _page(line_preset=preset, w=(0.2, 0.3, 0.5))
    m = page.model
    H, w = m.hists, m.weights
    s = m.line_summary()
    rows = _rows(page)
    best = _pot_objective(s.bary.positions, s.bary.masses, H, w)
    assert rows["bary"] == bc.fmt(best)
    x = (np.arange(bc.N_LINE) + 0.5) / bc.N_LINE
    P = H / H.sum(axis=1, keepdims=True)
    euclid = _pot_objective(x, w @ P, H, w)
    assert rows["euclid"].startswith(bc.fmt(euclid))
    values = {key: value for key, _label, value in s.neighbours}
    assert min(values, key=values.get) == "bary"
    assert values["left"] - best == pytest.approx(bc.SHIFT**2, rel=1e-9)
    for key in ("left", "right", "stretch", "toward1", "toward2", "toward3"):
        assert page.readouts.rows[[r[0] for r in page.readouts.rows].index(key)][4] == ""


def test_a_drag_of_bars_recomputes():
    page = _page()
    before = _rows(page)["bary"]
    h = page.model.h1.copy()
    h[:10] = 1.0
    page.flow.submit(h1=h)
    assert np.array_equal(page.model.h1, h)
    assert _rows(page)["bary"] != before


def test_an_emptied_histogram_keeps_the_last_bars_with_a_message():
    page = _page()
    kept = page.model.h2.copy()
    page.flow.submit(h2=np.zeros(bc.N_LINE))
    assert np.array_equal(page.model.h2, kept)
    assert "no mass" in page.readouts.rows[0][3]
    assert np.array_equal(page.histograms["h2"].heights, kept)


def test_stale_bars_of_another_size_are_dropped():
    page = _page()
    kept = page.model.h3.copy()
    page.flow.submit(h3=np.ones(7))
    assert np.array_equal(page.model.h3, kept)


def test_choosing_a_preset_resets_the_bars():
    page = _page()
    page.model.line_preset = "spikes"
    assert np.array_equal(page.model.h1, bc.line_preset("spikes")[0])


# --- the grid ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shapes", ["disk_diamond_ring", "bar_cross_l"])
def test_grid_result_matches_pot_and_reports_its_accuracy(shapes):
    page = _page(view="grid", shapes=shapes, w=(0.2, 0.3, 0.5))
    r = page.grid_result  # no server: the job ran in line
    assert r is not None and r.converged and r.marginal_error <= bc.GRID_TOL
    A = bc.grid_shapes(shapes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pot = ot.bregman.convolutional_barycenter2d(A, 0.004, np.array([0.2, 0.3, 0.5]))
    pot = pot / pot.sum()
    assert np.abs(r.image - pot).sum() < 1e-3
    rows = _rows(page)
    assert rows["gconv"] == "yes" and rows["gerr"] == f"{r.marginal_error:.1e}"
    t = np.linspace(0, 1, bc.N_GRID)
    assert rows["gcom"] == f"({pot.sum(0) @ t:.3f}, {pot.sum(1) @ (1 - t):.3f})"


def test_blobs_match_pots_log_variant_where_its_plain_one_drifts():
    """The blobs' Gaussian tails fall below POT's 1e-30 floor at reg 0.004: its plain variant
    is off by about 1e-2 in L1; its log variant (slow: a small grid) agrees with ours."""
    from ot_engine import convolutional_barycenter_2d

    A = bc.grid_shapes("blobs", 24)
    w = np.array([0.2, 0.3, 0.5])
    ours = convolutional_barycenter_2d(A, w, 0.004, tol=1e-10).image
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = np.asarray(
            ot.bregman.convolutional_barycenter2d(A, 0.004, w, method="sinkhorn_log", stopThr=1e-12)
        )
        plain = ot.bregman.convolutional_barycenter2d(A, 0.004, w, stopThr=1e-12)
    assert np.abs(ours - log / log.sum()).sum() < 1e-7
    assert np.abs(ours - plain / plain.sum()).sum() > 1e-3


def test_moving_the_weights_warm_starts_the_grid():
    page = _page(view="grid")
    page.model.w = (0.6, 0.2, 0.2)
    assert page.grid_result.warm_started
    assert _rows(page)["gwarm"] == "yes"
    page.model.shapes = "bar_cross_l"
    assert not page.grid_result.warm_started  # new shapes: a cold start


def test_a_failed_grid_solve_keeps_the_last_image_with_a_message():
    page = _page(view="grid")
    image = page.grid_result.image
    page._grid_failed("out of time")
    assert page.grid_result.image is image
    assert "last result is kept" in page.status.object


def test_not_converged_grid_is_flagged(monkeypatch):
    monkeypatch.setattr(bc, "GRID_MAX_ITER", 3)
    page = _page(view="grid", reg=0.002)
    assert not page.grid_result.converged
    flagged = next(r for r in page.readouts.rows if r[0] == "gerr")
    assert "did not converge" in flagged[4]


def test_mosaic_places_each_tile():
    tiles = [np.full((4, 4), k + 1.0) for k in range(4)]
    img = mosaic(tiles)
    assert np.isnan(img).sum() == img.size - 4 * 16


# --- Gaussians ----------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", list(bc.GAUSS_PRESETS.values()))
def test_gauss_readouts_match_pot(preset):
    page = _page(view="gauss", gauss=preset, w=(0.5, 0.2, 0.3))
    means, covs = bc.gauss_preset(preset)
    w = np.array([0.5, 0.2, 0.3])
    mean, cov = ot.gaussian.bures_wasserstein_barycenter(means, covs, w, eps=1e-13, num_iter=5000)
    best = sum(
        wk * ot.gaussian.bures_wasserstein_distance(mean, m, cov, S) ** 2
        for wk, m, S in zip(w, means, covs, strict=True)
    )
    rows = _rows(page)
    assert rows["gobj"] == bc.fmt(float(best))
    assert rows["gmean"] == f"({mean[0]:.4f}, {mean[1]:.4f})"
    assert rows["gcov"].startswith(f"[[{cov[0, 0]:.4f}, {cov[0, 1]:.4f}]")
    euclid = np.einsum("k,kij->ij", w, covs)
    other = sum(
        wk * ot.gaussian.bures_wasserstein_distance(mean, m, euclid, S) ** 2
        for wk, m, S in zip(w, means, covs, strict=True)
    )
    assert rows["geuc"].startswith(bc.fmt(float(other))) and other >= best
    assert float(rows["gpot"]) < 1e-8


# --- deep links and hostile values ----------------------------------------------------------------


def test_query_keys_accept_good_values():
    values, notices = parse_query(
        {"view": "grid", "w": "0.2,0.3,0.5", "reg": "0.008", "shapes": "blobs", "gauss": "apart"},
        bc.QUERY_KEYS,
    )
    assert notices == []
    assert values == {
        "view": "grid",
        "w": (0.2, 0.3, 0.5),
        "reg": 0.008,
        "shapes": "blobs",
        "gauss": "apart",
    }


def test_weights_that_do_not_sum_to_one_are_rescaled_and_said():
    values, notices = parse_query({"w": "2,1,1"}, bc.QUERY_KEYS)
    assert values["w"] == (0.5, 0.25, 0.25) and notices == []
    assert "rescaled" in bc.weight_notices("2,1,1")[0]


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ({"w": "0,0,0"}, "w"),
        ({"w": "-1,1,1"}, "w"),
        ({"w": "nan,1,1"}, "w"),
        ({"w": "1,1"}, "w"),
        ({"w": "1e400,1,1"}, "w"),
        ({"w": "\udcff,1,1"}, "w"),
        ({"view": "<script>"}, "view"),
        ({"reg": "0.003"}, "reg"),
        ({"reg": "inf"}, "reg"),
        ({"h1": "0,0,0"}, "h1"),
        ({"h2": "1,x,2"}, "h2"),
        ({"h3": ",".join(["1"] * 5000)}, "h3"),
        ({"shapes": "disk"}, "shapes"),
        ({"gauss": "9" * 1000}, "gauss"),
    ],
)
def test_query_keys_refuse_bad_values_with_a_notice(query, key):
    values, notices = parse_query(query, bc.QUERY_KEYS)
    assert values == {}
    assert len(notices) == 1 and f"'{key}'" in notices[0]


def test_a_link_with_bars_keeps_them_over_its_preset():
    h = np.zeros(bc.N_LINE)
    h[5] = 1.0
    values, _ = parse_query(
        {"preset": "spikes", "h1": ",".join(f"{v:g}" for v in h)}, bc.QUERY_KEYS
    )
    model = bc.BarycenterModel()
    model.param.update(**values)
    assert np.array_equal(model.h1, h) and model.line_preset == "spikes"


def test_a_link_with_other_bar_counts_is_rebinned_and_said():
    values, _ = parse_query({"h1": "1,0,0,1"}, bc.QUERY_KEYS)
    assert values["h1"].size == bc.N_LINE
    notices = bc.BarycenterPage.link_notices(bc.BarycenterModel(), {"h1": "1,0,0,1"})
    assert "rebinned" in notices[0]


def test_view_query_round_trips():
    page = _page(view="gauss", w=(0.1, 0.2, 0.7), gauss="sizes")
    query = page.view_query()
    values, notices = parse_query(query, bc.QUERY_KEYS)
    assert notices == []
    again = bc.BarycenterModel(**values)
    assert again.w == (0.1, 0.2, 0.7) and again.gauss == "sizes"
    assert np.array_equal(again.h1, page.model.h1)


def test_caption_lines_are_the_readouts():
    page = _page()
    assert page.caption_lines()[0].startswith("objective of the barycenter")


def test_every_neighbour_objective_matches_pot():
    page = _page(line_preset="shapes", w=(0.5, 0.1, 0.4))
    m = page.model
    H, w = m.hists, m.weights
    s = m.line_summary()
    pos, mass = s.bary.positions, s.bary.masses
    mean = pos @ mass
    candidates = {
        "left": pos - bc.SHIFT,
        "right": pos + bc.SHIFT,
        "stretch": mean + bc.STRETCH * (pos - mean),
    }
    from ot_engine import barycenter_1d

    x = (np.arange(bc.N_LINE) + 0.5) / bc.N_LINE
    for k in range(3):
        other = (1 - bc.WEIGHT_STEP) * w + bc.WEIGHT_STEP * np.eye(3)[k]
        nb = barycenter_1d(x, H, other)
        candidates[f"toward{k + 1}"] = (nb.positions, nb.masses)
    values = {key: value for key, _label, value in s.neighbours}
    for key, cand in candidates.items():
        p, q = cand if isinstance(cand, tuple) else (cand, mass)
        assert values[key] == pytest.approx(_pot_objective(p, q, H, w), rel=1e-9, abs=1e-15)
