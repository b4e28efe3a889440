"""ot_engine.barycenter against POT, closed forms, and the barycenter's own optimality."""

from __future__ import annotations

import warnings

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ot_engine import InvalidInput
from ot_engine.barycenter import (
    MIN_REG,
    barycenter_1d,
    barycenter_objective_1d,
    bures_barycenter,
    bures_w2_squared,
    check_weights,
    convolutional_barycenter_2d,
    w2_squared_atoms,
)

X64 = np.linspace(0.0, 1.0, 64)


def _hists(seed: int, k: int = 3, n: int = 64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    H = rng.random((k, n)) ** 3
    H[:, rng.integers(0, n, 10)] = 0.0  # empty bins, as a student drags them
    return H / H.sum(axis=1, keepdims=True)


def _shapes(n: int) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)
    X, Y = np.meshgrid(t, t)
    disk = ((X - 0.3) ** 2 + (Y - 0.3) ** 2 < 0.03) * 1.0
    diamond = (np.abs(X - 0.7) + np.abs(Y - 0.3) < 0.2) * 1.0
    r2 = (X - 0.5) ** 2 + (Y - 0.72) ** 2
    ring = ((r2 < 0.04) & (r2 > 0.01)) * 1.0
    A = np.stack([disk, diamond, ring])
    return A / A.sum(axis=(1, 2), keepdims=True)


# --- weights -------------------------------------------------------------------------------


def test_weights_are_normalized_and_say_so():
    w, rescaled = check_weights([2, 1, 1], 3)
    assert w.tolist() == [0.5, 0.25, 0.25] and rescaled
    assert check_weights([0.5, 0.5], 2)[1] is False


@pytest.mark.parametrize("bad", [[0, 0, 0], [1, -1, 1], [1, np.nan, 1], [1, 1]])
def test_bad_weights_are_refused(bad):
    with pytest.raises(InvalidInput):
        check_weights(bad, 3)


# --- one dimension ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_1d_objective_matches_pot(seed):
    H = _hists(seed)
    w = np.array([0.2, 0.3, 0.5])
    bary = barycenter_1d(X64, H, w)
    pot = sum(
        wk * ot.wasserstein_1d(bary.positions, X64, bary.masses, h, p=2)
        for wk, h in zip(w, H, strict=True)
    )
    assert bary.objective == pytest.approx(pot, rel=1e-9, abs=1e-14)
    assert bary.masses.sum() == pytest.approx(1.0)
    assert (np.diff(bary.positions) >= -1e-15).all()


def test_1d_quantile_function_is_the_weighted_mean_of_pots_quantiles():
    H = _hists(3)
    w = np.array([0.6, 0.1, 0.3])
    bary = barycenter_1d(X64, H, w)
    s = 0.5 * (bary.levels[1:] + bary.levels[:-1])  # inside each piece
    from ot_engine import quantile_1d

    expected = sum(wk * quantile_1d(X64, h, s) for wk, h in zip(w, H, strict=True))
    np.testing.assert_allclose(bary.positions, expected, atol=1e-12)


def test_1d_translates_a_shape_by_the_weighted_mean_shift():
    """Translates of one shape: the barycenter is the shape moved by sum w_k t_k."""
    x = np.arange(40) / 39
    base = np.zeros(40)
    base[5:10] = [1, 2, 3, 2, 1]
    H = np.stack([np.roll(base, s) for s in (0, 10, 20)])
    w = np.array([0.5, 0.25, 0.25])
    bary = barycenter_1d(x, H, w)
    shift = (w @ np.array([0, 10, 20])) / 39
    assert bary.positions @ bary.masses == pytest.approx(base @ x / base.sum() + shift)
    assert bary.objective == pytest.approx(
        sum(wk * (t / 39 - shift) ** 2 for wk, t in zip(w, (0, 10, 20), strict=True))
    )


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    w=st.lists(st.floats(0.05, 1.0), min_size=3, max_size=3),
    shift=st.floats(-0.05, 0.05).filter(lambda v: abs(v) > 1e-4),
)
def test_1d_every_neighbour_costs_more(seed, w, shift):
    """The minimizer: shifted copies, the Euclidean average and a random other measure all
    have a larger objective, and the shift costs exactly shift^2 more (the objective is a
    mean squared distance of quantiles)."""
    H = _hists(seed)
    bary = barycenter_1d(X64, H, w)
    shifted = barycenter_objective_1d(bary.positions + shift, bary.masses, X64, H, w)
    assert shifted == pytest.approx(bary.objective + shift**2, rel=1e-9, abs=1e-15)
    ww = np.asarray(w) / np.sum(w)
    mixture = barycenter_objective_1d(X64, ww @ H, X64, H, w)
    assert mixture >= bary.objective - 1e-12
    other = np.random.default_rng(seed + 1).random(64)
    assert barycenter_objective_1d(X64, other, X64, H, w) >= bary.objective - 1e-12


def test_w2_atoms_matches_pot():
    rng = np.random.default_rng(5)
    xa, xb, a, b = rng.random(7), rng.random(9), rng.random(7), rng.random(9)
    expected = ot.wasserstein_1d(xa, xb, a / a.sum(), b / b.sum(), p=2)
    assert w2_squared_atoms(xa, a, xb, b) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(
    "H", [np.zeros((3, 8)), np.full((3, 8), np.nan), -np.ones((3, 8)), np.ones(8)]
)
def test_1d_bad_histograms_are_refused(H):
    with pytest.raises(InvalidInput):
        barycenter_1d(np.linspace(0, 1, 8), H, [1, 1, 1])


# --- two dimensions ---------------------------------------------------------------------------


@pytest.mark.parametrize("reg", [4e-3, 8e-3])
def test_2d_matches_pot_at_64(reg):
    A = _shapes(64)
    w = np.array([0.2, 0.3, 0.5])
    bary = convolutional_barycenter_2d(A, w, reg, tol=1e-9, max_iter=5000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pot = ot.bregman.convolutional_barycenter2d(A, reg, w, stopThr=1e-12, numItermax=5000)
    assert bary.converged and bary.marginal_error <= 1e-9
    assert np.abs(bary.image - pot / pot.sum()).sum() < 1e-3


@pytest.mark.parametrize("reg", [2e-3, MIN_REG])
def test_2d_matches_pots_log_variant_at_small_reg(reg):
    """At small reg POT's plain variant drifts (its 1e-30 floor), its log variant does not:
    on a small grid (the log variant costs seconds) ours agrees with it to rounding."""
    A = _shapes(20)
    w = np.array([0.2, 0.3, 0.5])
    bary = convolutional_barycenter_2d(A, w, reg, tol=1e-10, max_iter=20000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pot = np.asarray(
            ot.bregman.convolutional_barycenter2d(
                A, reg, w, method="sinkhorn_log", stopThr=1e-12, numItermax=20000
            )
        )
    assert bary.converged
    assert np.isfinite(bary.image).all()
    assert np.abs(bary.image - pot / pot.sum()).sum() < 1e-7


def test_2d_warm_start_saves_sweeps_and_lands_on_the_same_image():
    A = _shapes(32)
    first = convolutional_barycenter_2d(A, [1 / 3] * 3, 4e-3, tol=1e-6)
    cold = convolutional_barycenter_2d(A, [0.4, 0.3, 0.3], 4e-3, tol=1e-6)
    warm = convolutional_barycenter_2d(A, [0.4, 0.3, 0.3], 4e-3, tol=1e-6, warm_start=first.log_v)
    assert warm.warm_started and not cold.warm_started
    assert warm.iterations < cold.iterations
    assert np.abs(warm.image - cold.image).sum() < 1e-4


def test_2d_not_converged_says_so_and_progress_is_reported():
    reports = []
    bary = convolutional_barycenter_2d(
        _shapes(32),
        [1, 1, 1],
        2e-3,
        tol=1e-14,
        max_iter=30,
        progress=lambda f, t: reports.append(f),
    )
    assert not bary.converged and bary.iterations == 30
    assert bary.marginal_error > 1e-14 and np.isfinite(bary.marginal_error)
    assert reports and all(0.0 <= f <= 1.0 for f in reports)
    assert bary.image.sum() == pytest.approx(1.0)


def test_2d_a_progress_callback_can_stop_the_solve():
    class Stop(Exception):
        pass

    def stop(_f, _t):
        raise Stop

    with pytest.raises(Stop):
        convolutional_barycenter_2d(_shapes(16), [1, 1, 1], 4e-3, tol=1e-14, progress=stop)


def test_2d_zero_weights_match_pot():
    """A measure with weight zero drops out; all weight on one gives its entropic blur."""
    A = _shapes(32)
    for w in ([0.0, 0.4, 0.6], [0.0, 0.0, 1.0]):
        bary = convolutional_barycenter_2d(A, w, 4e-3, tol=1e-10)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pot = ot.bregman.convolutional_barycenter2d(A, 4e-3, np.array(w), stopThr=1e-12)
        assert bary.converged
        assert np.abs(bary.image - pot / pot.sum()).sum() < 1e-4


@pytest.mark.parametrize(
    ("images", "reg"),
    [
        (np.zeros((3, 8, 8)), 4e-3),
        (np.full((3, 8, 8), np.nan), 4e-3),
        (np.ones((3, 8, 9)), 4e-3),
        (np.ones((3, 8, 8)), 1e-4),
        (np.ones((3, 8, 8)), np.nan),
    ],
)
def test_2d_bad_input_is_refused(images, reg):
    with pytest.raises(InvalidInput):
        convolutional_barycenter_2d(images, [1, 1, 1], reg)


# --- Gaussians ----------------------------------------------------------------------------------


def _gaussians(seed: int, k: int = 3):
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(k, 2))
    C = []
    for _ in range(k):
        B = rng.normal(size=(2, 2))
        C.append(B @ B.T + 0.1 * np.eye(2))
    return M, np.array(C)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_bures_matches_pot(k):
    M, C = _gaussians(k, k)
    w = np.arange(1, k + 1) / np.arange(1, k + 1).sum()
    bary = bures_barycenter(M, C, w)
    m, S = ot.gaussian.bures_wasserstein_barycenter(M, C, w, eps=1e-13, num_iter=5000)
    assert bary.converged
    np.testing.assert_allclose(bary.mean, m, atol=1e-12)
    np.testing.assert_allclose(bary.cov, S, atol=1e-8)


def test_bures_objective_matches_pot_and_neighbours_cost_more():
    M, C = _gaussians(7)
    w = np.array([0.5, 0.2, 0.3])
    bary = bures_barycenter(M, C, w)
    pot = sum(
        wk * ot.gaussian.bures_wasserstein_distance(bary.mean, m, bary.cov, S) ** 2
        for wk, m, S in zip(w, M, C, strict=True)
    )
    assert bary.objective == pytest.approx(float(pot), rel=1e-8)
    euclid = np.einsum("k,kij->ij", w, C)
    worse = sum(
        wk * bures_w2_squared(bary.mean, euclid, m, S) for wk, m, S in zip(w, M, C, strict=True)
    )
    assert worse >= bary.objective


def test_bures_commuting_case_is_the_mean_of_square_roots_squared():
    """Diagonal covariances: S^{1/2} = sum w_k Sigma_k^{1/2} (a closed form)."""
    C = np.array([np.diag([1.0, 4.0]), np.diag([9.0, 1.0]), np.diag([4.0, 0.25])])
    w = np.array([0.2, 0.5, 0.3])
    bary = bures_barycenter(np.zeros((3, 2)), C, w)
    root = np.einsum("k,kij->ij", w, np.sqrt(C))
    np.testing.assert_allclose(bary.cov, root @ root, atol=1e-10)


@pytest.mark.parametrize(
    "covs",
    [
        np.array([np.eye(2), np.eye(2), [[1.0, 2.0], [2.0, 1.0]]]),  # not positive definite
        np.array([np.eye(2), np.eye(2), [[1.0, 0.5], [0.0, 1.0]]]),  # not symmetric
        np.full((3, 2, 2), np.nan),
    ],
)
def test_bures_bad_covariances_are_refused(covs):
    with pytest.raises(InvalidInput):
        bures_barycenter(np.zeros((3, 2)), covs, [1, 1, 1])
