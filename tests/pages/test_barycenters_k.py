"""/barycenters with K = 2 or 4 measures: engine and readouts against POT, the weight sliders,
deep links (k, w2, w4) and their hostile values."""

from __future__ import annotations

import warnings

import numpy as np
import ot
import pytest

import pages.barycenters as bc
from ot_engine import bures_barycenter, convolutional_barycenter_2d
from pages.barycenters_plots import linked_weights, mosaic
from pages.query import parse_query

W = {2: (0.3, 0.7), 4: (0.1, 0.2, 0.3, 0.4)}


def _page(**params) -> bc.BarycenterPage:
    return bc.BarycenterPage(bc.BarycenterModel(**params), embed=False)


def _rows(page) -> dict[str, str]:
    return {row[0]: row[3] for row in page.readouts.rows}


def _weights(k: int) -> dict:
    return {f"w{k}": W[k]}


# --- the engine takes any K -------------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 4])
def test_engine_grid_barycenter_matches_pots_log_variant(k):
    A = bc.grid_shapes("disk_diamond_ring", 20, k)
    w = np.array(W[k])
    ours = convolutional_barycenter_2d(A, w, 0.008, tol=1e-10, max_iter=20000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pot = np.asarray(
            ot.bregman.convolutional_barycenter2d(
                A, 0.008, w, method="sinkhorn_log", stopThr=1e-12, numItermax=20000
            )
        )
    assert ours.converged
    assert np.abs(ours.image - pot / pot.sum()).sum() < 1e-7


@pytest.mark.parametrize("k", [2, 4])
@pytest.mark.parametrize("preset", list(bc.GAUSS_PRESETS.values()))
def test_engine_bures_matches_pot_on_every_preset(k, preset):
    means, covs = bc.gauss_preset(preset, k)
    assert means.shape == (k, 2) and covs.shape == (k, 2, 2)
    w = np.array(W[k])
    b = bures_barycenter(means, covs, w)
    m, S = ot.gaussian.bures_wasserstein_barycenter(means, covs, w, eps=1e-13, num_iter=5000)
    assert b.converged
    np.testing.assert_allclose(b.mean, m, atol=1e-12)
    np.testing.assert_allclose(b.cov, S, atol=1e-8)


def test_k_first_measures_are_the_three_of_today():
    """K = 3 is unchanged: the fourth preset is appended, K = 2 takes the first two."""
    np.testing.assert_array_equal(bc.gauss_preset("apart", 4)[1][:3], bc.gauss_preset("apart")[1])
    np.testing.assert_array_equal(bc.grid_shapes("blobs", 16, 2), bc.grid_shapes("blobs", 16)[:2])


# --- readouts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 4])
def test_gauss_readouts_for_k_match_pot(k):
    page = _page(view="gauss", gauss="apart", k=k, **_weights(k))
    means, covs = bc.gauss_preset("apart", k)
    w = np.array(W[k])
    mean, cov = ot.gaussian.bures_wasserstein_barycenter(means, covs, w, eps=1e-13, num_iter=5000)
    best = sum(
        wk * ot.gaussian.bures_wasserstein_distance(mean, m, cov, S) ** 2
        for wk, m, S in zip(w, means, covs, strict=True)
    )
    rows = _rows(page)
    assert rows["gobj"] == bc.fmt(float(best))
    assert rows["gmean"] == f"({mean[0]:.4f}, {mean[1]:.4f})"
    assert float(rows["gpot"]) < 1e-8
    assert len(page.gauss_fig.inputs.data["xs"]) == k


@pytest.mark.parametrize("k", [2, 4])
def test_grid_readouts_for_k_match_pot(k):
    page = _page(view="grid", shapes="disk_diamond_ring", k=k, reg=0.008, **_weights(k))
    r = page.grid_result  # no server: the job ran in line
    assert r is not None and r.converged
    A = bc.grid_shapes("disk_diamond_ring", bc.N_GRID, k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pot = ot.bregman.convolutional_barycenter2d(A, 0.008, np.array(W[k]), stopThr=1e-10)
    pot = pot / pot.sum()
    assert np.abs(r.image - pot).sum() < 1e-3
    t = np.linspace(0, 1, bc.N_GRID)
    assert _rows(page)["gcom"] == f"({pot.sum(0) @ t:.3f}, {pot.sum(1) @ (1 - t):.3f})"
    image = page.grid_fig.source.data["image"][0]
    assert np.isfinite(image).sum() == (k + 1) * bc.N_GRID**2


def test_mosaic_has_a_tile_per_image():
    for k in (2, 3, 4):
        img = mosaic([np.full((4, 4), j + 1.0) for j in range(k + 1)])
        assert np.isfinite(img).sum() == (k + 1) * 16


# --- the sliders ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("w", "k", "value"),
    [((0.25,) * 4, 2, 0.91), ((0.1, 0.2, 0.3, 0.4), 3, 0.0), ((0.0, 0.0, 1.0, 0.0), 2, 0.333)],
)
def test_linked_weights_sum_to_one_and_keep_the_moved_value(w, k, value):
    out = linked_weights(w, k, value)
    assert out.min() >= 0 and abs(out.sum() - 1) < 1e-12 and out[k] == round(value, 3)


def test_switching_k_shows_the_matching_picker():
    page = _page(view="gauss")
    assert page.triangle_pane in page.picker.objects
    page.model.k = 4
    assert len(page.sliders[4]) == 4 and page.sliders[4][0] in page.picker.objects
    assert page.triangle_pane not in page.picker.objects
    page.model.k = 2
    assert page.picker.objects[0] is page.sliders[2][0]
    assert "μ₂ 0.500" in page.weights_note.object
    page.model.view = "line"  # the line view keeps three
    assert page.triangle_pane in page.picker.objects
    assert not page.count_control.visible


def test_moving_a_slider_rescales_the_others_and_recomputes():
    page = _page(view="gauss", k=4)
    before = _rows(page)["gobj"]
    page.sliders[4][3].value = 0.7
    assert page.model.w4 == (0.1, 0.1, 0.1, 0.7)
    assert [s.value for s in page.sliders[4]] == [0.1, 0.1, 0.1, 0.7]
    assert "μ₄ 0.700" in page.weights_note.object
    after = _rows(page)["gobj"]
    mean, _ = ot.gaussian.bures_wasserstein_barycenter(
        *bc.gauss_preset("turned", 4), np.array([0.1, 0.1, 0.1, 0.7]), eps=1e-13, num_iter=5000
    )
    assert after != before and _rows(page)["gmean"] == f"({mean[0]:.4f}, {mean[1]:.4f})"


def test_the_two_measure_slider_sets_both_weights():
    page = _page(view="grid", k=2, reg=0.016)
    page._weight_sliders(2)[0].value = 0.8
    assert page.model.w2 == (0.2, 0.8)
    assert page.grid_key[2:] == (2, (0.2, 0.8))


# --- deep links -------------------------------------------------------------------------------


def test_a_link_of_today_without_the_new_keys_opens_three_measures():
    page = _page(view="gauss", w=(0.1, 0.2, 0.7))
    old = {k: v for k, v in page.view_query().items() if k not in ("k", "w2", "w4")}
    values, notices = parse_query(old, bc.QUERY_KEYS)
    assert notices == []
    again = bc.BarycenterPage(bc.BarycenterModel(**values), embed=False)
    assert again.model.k == 3 and _rows(again) == _rows(page)


@pytest.mark.parametrize("k", [2, 4])
def test_k_links_round_trip(k):
    page = _page(view="gauss", k=k, gauss="sizes", **_weights(k))
    query = page.view_query()
    assert query["k"] == str(k)
    values, notices = parse_query(query, bc.QUERY_KEYS)
    assert notices == []
    again = bc.BarycenterModel(**values)
    assert again.k == k and getattr(again, f"w{k}") == W[k]
    assert _rows(bc.BarycenterPage(again, embed=False)) == _rows(page)


def test_new_weights_that_do_not_sum_to_one_are_rescaled_and_said():
    values, _ = parse_query({"k": "4", "w4": "1,1,1,5", "w2": "3,1"}, bc.QUERY_KEYS)
    assert values["w4"] == (0.125, 0.125, 0.125, 0.625) and values["w2"] == (0.75, 0.25)
    said = bc.BarycenterPage.link_notices(bc.BarycenterModel(), {"w4": "1,1,1,5", "w2": "3,1"})
    assert len(said) == 2 and "'w2'" in said[0] and "'w4'" in said[1]


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ({"k": "5"}, "k"),
        ({"k": "1"}, "k"),
        ({"k": "two"}, "k"),
        ({"k": "9" * 5000}, "k"),
        ({"k": "\udcff"}, "k"),
        ({"w2": "1,1,1"}, "w2"),
        ({"w2": "0,0"}, "w2"),
        ({"w4": "1,1,1"}, "w4"),
        ({"w4": "-1,1,1,1"}, "w4"),
        ({"w4": "nan,1,1,1"}, "w4"),
        ({"w4": "1e400,1,1,1"}, "w4"),
    ],
)
def test_hostile_new_keys_are_refused_with_a_notice(query, key):
    values, notices = parse_query(query, bc.QUERY_KEYS)
    assert values == {}
    assert len(notices) == 1 and f"'{key}'" in notices[0]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 5.0, -1.0])
def test_a_forged_slider_value_keeps_valid_weights(bad):
    page = _page(view="gauss", k=4, w4=(0.1, 0.2, 0.3, 0.4))
    page.sliders[4][0].value = bad
    w = np.array(page.model.w4)
    assert np.isfinite(w).all() and w.min() >= 0 and abs(w.sum() - 1) < 1e-12
    assert [s.value for s in page.sliders[4]] == list(page.model.w4)
    if not np.isfinite(bad):
        assert page.model.w4 == (0.1, 0.2, 0.3, 0.4) and "kept" in page.status.object
    assert _rows(page)["gpot"] != "nan"


def test_the_forged_value_message_goes_with_the_next_valid_move():
    page = _page(view="gauss", k=2)
    page.sliders[2][0].value = float("nan")
    assert "not a number" in page.status.object
    page.sliders[2][0].value = 0.25
    assert page.status.object == "" and page.model.w2 == (0.75, 0.25)
