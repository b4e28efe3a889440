"""ot_engine.interpolation against POT (emd2, wasserstein_1d), scipy and closed forms."""

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ot_engine import (
    InvalidInput,
    displacement_1d,
    mccann_2d,
    mixture,
    uniform_grid,
    w2_lp,
)
from ot_engine.interpolation import bin_masses

from .conftest import bumps

TIMES = (0.0, 0.2, 0.5, 0.77, 1.0)


def _pot_w2(x, a, y, b):
    """W2 by POT's LP (emd2 returns W2 squared with a squared cost)."""
    M = ot.dist(np.reshape(x, (len(x), -1)), np.reshape(y, (len(y), -1)))
    return float(np.sqrt(max(ot.emd2(a / a.sum(), b / b.sum(), M), 0.0)))


@pytest.mark.parametrize("t", TIMES)
def test_displacement_is_a_constant_speed_geodesic_by_pots_lp(t):
    x, a, b = bumps(48, seed=1)
    res = displacement_1d(x, a, b, t)
    w01 = _pot_w2(x, a, x, b)
    assert res.w2 == pytest.approx(w01, rel=1e-9)
    assert res.w2 == pytest.approx(np.sqrt(ot.wasserstein_1d(x, x, a, b, p=2)), rel=1e-9)
    # squared: a square root would blow rounding up (sqrt(1e-16) = 1e-8) at t = 0 and 1
    assert _pot_w2(x, a, res.points, res.mass) ** 2 == pytest.approx((t * w01) ** 2, abs=1e-12)
    assert _pot_w2(res.points, res.mass, x, b) ** 2 == pytest.approx(
        ((1 - t) * w01) ** 2, abs=1e-12
    )
    # the engine's own LP verb agrees with POT called directly
    check = w2_lp(x, a, res.points, res.mass)
    assert check.converged and check.value**2 == pytest.approx((t * w01) ** 2, abs=1e-12)


def test_displacement_ends_are_the_histograms_and_mass_is_kept():
    x, a, b = bumps(64, seed=2)
    assert np.allclose(displacement_1d(x, a, b, 0.0).heights, a, atol=1e-14)
    assert np.allclose(displacement_1d(x, a, b, 1.0).heights, b, atol=1e-14)
    res = displacement_1d(x, a, b, 0.4)
    assert res.heights.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.diff(res.points) >= -1e-15)  # a quantile function: non-decreasing


@pytest.mark.parametrize("shift", [3, 10, 17])
def test_a_translated_bump_slides_closed_form(shift):
    """p translated by k bins: mu_t is p translated by t k h, its bins by round(t k)."""
    n = 64
    x = uniform_grid(n)
    a = np.zeros(n)
    a[5:12] = [1, 2, 3, 4, 3, 2, 1]
    b = np.roll(a, shift)
    for t in (0.25, 0.5, 0.75):
        res = displacement_1d(x, a, b, t)
        assert res.w2 == pytest.approx(shift / n, rel=1e-12)
        assert np.allclose(res.points - res.start, t * shift / n)
        k = t * shift
        if abs(k - round(k)) > 1e-9 and abs(k % 1 - 0.5) > 1e-9:  # no atom on an edge
            assert np.allclose(res.heights, np.roll(a, round(k)) / a.sum(), atol=1e-14)


@pytest.mark.parametrize("t", [0.1, 0.5, 0.9])
def test_mixture_of_two_atoms_is_sqrt_t_away_closed_form(t):
    """delta_0 against (1 - t) delta_0 + t delta_d: the moved mass t travels d."""
    x = uniform_grid(32)
    a, b = np.eye(32)[3], np.eye(32)[20]
    d = x[20] - x[3]
    assert _pot_w2(x, a, x, mixture(a, b, t)) == pytest.approx(np.sqrt(t) * d)
    assert displacement_1d(x, a, b, t).points.tolist() == pytest.approx([x[3] + t * d])


def test_mixture_is_not_a_geodesic():
    x, a, b = bumps(40, seed=3)
    w01 = _pot_w2(x, a, x, b)
    nu = mixture(a, b, 0.5)
    assert w2_lp(x, a, x, nu).value > 0.5 * w01 + 1e-3


def test_bin_masses_counts_each_atom_once_in_half_open_bins():
    x = np.array([0.0, 1.0, 2.0])
    assert bin_masses(x, [0.5, 1.5], [1.0, 2.0]).tolist() == [0.0, 1.0, 2.0]
    assert bin_masses(x, [-5.0, 9.0], [1.0, 1.0]).tolist() == [1.0, 0.0, 1.0]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(0, 1), min_size=6, max_size=6),
    st.lists(st.floats(0, 1), min_size=6, max_size=6),
    st.floats(0, 1),
)
def test_geodesic_identity_on_random_histograms(p, q, t):
    a, b = np.array(p), np.array(q)
    if a.sum() < 1e-3 or b.sum() < 1e-3:
        return
    x = uniform_grid(6)
    res = displacement_1d(x, a, b, t)
    w01 = _pot_w2(x, a, x, b)
    assert _pot_w2(x, a, res.points, res.mass) == pytest.approx(t * w01, abs=1e-7)
    assert _pot_w2(res.points, res.mass, x, b) == pytest.approx((1 - t) * w01, abs=1e-7)


@pytest.mark.parametrize("t", TIMES)
def test_mccann_2d_is_a_geodesic_and_the_matching_is_optimal(t):
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(20, 2)), rng.normal(size=(20, 2)) + np.array([2.0, 0.5])
    res = mccann_2d(X, Y, t)
    u = np.full(20, 1 / 20)
    w01 = _pot_w2(X, u, Y, u)
    assert res.w2 == pytest.approx(w01, rel=1e-9)
    assert _pot_w2(X, u, res.points, u) ** 2 == pytest.approx((t * w01) ** 2, abs=1e-12)
    assert _pot_w2(res.points, u, Y, u) ** 2 == pytest.approx(((1 - t) * w01) ** 2, abs=1e-12)
    # POT's plan is the same permutation (distinct random points: the optimum is unique)
    P = ot.emd(u, u, ot.dist(X, Y))
    assert np.array_equal(P.argmax(axis=1), res.match)


def test_mccann_2d_translation_closed_form():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    res = mccann_2d(X, X + np.array([3.0, 4.0]), 0.3)
    assert res.w2 == pytest.approx(5.0)
    assert np.allclose(res.points, X + 0.3 * np.array([3.0, 4.0]))


def test_mixture_of_clouds_by_lp():
    X, Y = np.array([[0.0, 0.0]]), np.array([[2.0, 0.0]])
    both = np.vstack([X, Y])
    res = w2_lp(X, [1.0], both, [0.75, 0.25])
    assert res.value == pytest.approx(np.sqrt(0.25) * 2.0)


@pytest.mark.parametrize("t", [-0.1, 1.5, float("nan"), "0.5", True])
def test_bad_times_raise(t):
    x, a, b = bumps(8)
    with pytest.raises(InvalidInput):
        displacement_1d(x, a, b, t)
    with pytest.raises(InvalidInput):
        mixture(a, b, t)


def test_bad_inputs_raise():
    x, a, b = bumps(8)
    with pytest.raises(InvalidInput):
        displacement_1d(x, np.zeros(8), b, 0.5)
    with pytest.raises(InvalidInput):
        displacement_1d(x[::-1], a, b, 0.5)
    with pytest.raises(InvalidInput):
        mccann_2d(np.zeros((3, 2)), np.zeros((4, 2)), 0.5)
    with pytest.raises(InvalidInput):
        mccann_2d([[np.nan, 0.0]], [[0.0, 0.0]], 0.5)
