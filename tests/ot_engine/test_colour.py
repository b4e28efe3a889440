"""ot_engine.colour against POT's domain-adaptation transports (ot.da) and closed forms."""

import numpy as np
import ot
import pytest

from ot_engine import InvalidInput
from ot_engine.colour import (
    barycentric_map,
    extend_displacement,
    map_colours,
    palette_transport,
    sample_palette,
)


def _palettes(n=60, m=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 3))
    Y = np.clip(rng.random((m, 3)) ** 2 * [1.0, 0.8, 0.5] + [0.0, 0.1, 0.3], 0, 1)
    return X, Y


def test_exact_matches_pot_emd_transport_in_and_out_of_sample():
    X, Y = _palettes(50, 40)
    pm = palette_transport(X, Y, "exact")
    da = ot.da.EMDTransport().fit(Xs=X, Xt=Y)
    np.testing.assert_allclose(pm.mapped, da.transform(Xs=X), atol=1e-10)
    Z = np.random.default_rng(5).random((300, 3))
    # POT moves an unseen colour as its nearest source sample moves: our k = 1 rule
    np.testing.assert_allclose(
        extend_displacement(pm.source, pm.mapped, Z, k=1), da.transform(Xs=Z), atol=1e-10
    )
    assert pm.converged and pm.marginal_error < 1e-12
    a, b = np.full(50, 1 / 50), np.full(40, 1 / 40)
    assert pm.cost == pytest.approx(ot.emd2(a, b, ot.dist(X, Y)), rel=1e-10)


def test_entropic_matches_pot_sinkhorn_transport():
    X, Y = _palettes(40, 30, seed=1)
    pm = palette_transport(X, Y, "entropic", eps=0.05)
    da = ot.da.SinkhornTransport(reg_e=0.05, max_iter=100000, tol=1e-13, norm=None)
    da.fit(Xs=X, Xt=Y)
    np.testing.assert_allclose(pm.mapped, da.transform(Xs=X), atol=1e-7)
    assert pm.converged and pm.eps == 0.05


def test_linear_matches_pot_linear_transport():
    X, Y = _palettes(80, 70, seed=2)
    pm = palette_transport(X, Y, "linear")
    da = ot.da.LinearTransport(reg=1e-8).fit(Xs=X, Xt=Y)
    np.testing.assert_allclose(pm.mapped, da.transform(Xs=X), atol=1e-7)
    Z = np.random.default_rng(3).random((100, 3))
    np.testing.assert_allclose(map_colours(pm, Z), np.clip(da.transform(Xs=Z), 0, 1), atol=1e-7)
    # the mapped palette has the target's mean and covariance (the Gaussian map's defining
    # property), up to the 1e-8 ridge
    np.testing.assert_allclose(pm.mapped.mean(0), Y.mean(0), atol=1e-12)
    np.testing.assert_allclose(
        np.cov(pm.mapped, rowvar=False, bias=True), np.cov(Y, rowvar=False, bias=True), atol=1e-6
    )


def test_histogram_is_the_sorted_matching_per_channel():
    X, Y = _palettes(64, 64, seed=4)
    pm = palette_transport(X, Y, "histogram")
    for c in range(3):
        # POT's exact 1D plan between equal uniform samples is a permutation
        P = ot.emd_1d(X[:, c], Y[:, c])
        np.testing.assert_allclose(pm.mapped[:, c], barycentric_map(P, Y[:, [c]])[:, 0])
        # ranks kept: the per-channel map is monotone
        assert (np.diff(pm.mapped[np.argsort(X[:, c]), c]) >= -1e-15).all()


def test_barycentric_projection_of_a_permutation_is_the_permutation():
    Y = np.arange(12.0).reshape(4, 3)
    perm = np.array([2, 0, 3, 1])
    P = np.eye(4)[perm] / 4
    np.testing.assert_array_equal(barycentric_map(P, Y), Y[perm])


def test_extension_reproduces_the_palette_and_is_continuous():
    X, Y = _palettes(30, 30, seed=6)
    pm = palette_transport(X, Y, "exact")
    np.testing.assert_allclose(map_colours(pm, X, k=4), np.clip(pm.mapped, 0, 1), atol=1e-12)
    z = np.array([[0.5, 0.5, 0.5]])
    near = map_colours(pm, z + 1e-7, k=4) - map_colours(pm, z, k=4)
    assert np.abs(near).max() < 1e-3


def test_map_colours_reports_progress_in_chunks_and_stays_in_the_cube():
    X, Y = _palettes(20, 20, seed=7)
    seen = []
    out = map_colours(
        palette_transport(X, Y, "linear"),
        np.random.default_rng(0).random((1000, 3)) * 1.5 - 0.2,
        chunk=300,
        progress=lambda f, _t: seen.append(f),
    )
    assert seen == pytest.approx([0.3, 0.6, 0.9, 1.0])
    assert out.min() >= 0 and out.max() <= 1


def test_bad_input_raises_invalid_input():
    X, Y = _palettes(10, 10)
    with pytest.raises(InvalidInput):
        palette_transport(X[:, :2], Y, "exact")
    with pytest.raises(InvalidInput):
        palette_transport(X, Y, "magic")
    with pytest.raises(InvalidInput):
        palette_transport(X, Y, "entropic")
    with pytest.raises(InvalidInput):
        palette_transport(np.full((10, 3), np.nan), Y, "linear")
    with pytest.raises(InvalidInput):
        sample_palette(X, 5000, seed=0)
    with pytest.raises(InvalidInput):
        barycentric_map(np.zeros((2, 2)), np.zeros((2, 3)))


def test_sample_palette_is_seeded_and_drawn_from_the_pixels():
    px = np.random.default_rng(0).random((500, 3))
    a, b = sample_palette(px, 100, 3), sample_palette(px, 100, 3)
    np.testing.assert_array_equal(a, b)
    assert len({tuple(r) for r in a}) == 100  # without replacement
    assert all((px == r).all(1).any() for r in a[:10])


def test_copies_of_a_colour_move_by_their_mean_displacement_whatever_the_order():
    X = np.array([[0.2, 0.2, 0.2], [0.2, 0.2, 0.2], [0.8, 0.1, 0.1]])
    TX = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.9, 0.1, 0.1]])
    Z = np.array([[0.2, 0.2, 0.2], [0.25, 0.2, 0.2]])
    out = extend_displacement(X, TX, Z, k=2)
    np.testing.assert_allclose(out[0], [0.0, 0.5, 0.5])  # the mean of the two copies' images
    swapped = extend_displacement(X, TX[[1, 0, 2]], Z, k=2)
    np.testing.assert_allclose(out, swapped)


def test_repeated_colours_merge_without_changing_the_entropic_plan_or_the_exact_cost():
    rng = np.random.default_rng(8)
    base_x, base_y = rng.random((7, 3)), rng.random((6, 3))
    X = base_x[rng.integers(0, 7, 40)]
    Y = base_y[rng.integers(0, 6, 40)]
    a = np.full(40, 1 / 40)
    pm = palette_transport(X, Y, "entropic", eps=0.05)
    # POT on the full 40 x 40 problem (copies kept apart): its unique plan splits evenly
    P = ot.sinkhorn(a, a, ot.dist(X, Y), 0.05, stopThr=1e-13, numItermax=100000)
    np.testing.assert_allclose(pm.mapped, barycentric_map(P, Y), atol=1e-7)
    assert pm.cost == pytest.approx(np.sum(P * ot.dist(X, Y)), rel=1e-6)
    assert pm.distinct == (len(np.unique(X, axis=0)), len(np.unique(Y, axis=0)))
    ex = palette_transport(X, Y, "exact")
    assert ex.cost == pytest.approx(ot.emd2(a, a, ot.dist(X, Y)), rel=1e-9)
