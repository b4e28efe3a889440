"""ot_engine.brenier_scene: covariances from axes, density contours, sampled W2 and its spread."""

from __future__ import annotations

import numpy as np
import ot
import pytest

from ot_engine import InvalidInput
from ot_engine.brenier_scene import (
    covariance_from_axes,
    density_contour,
    sampled_w2,
    sampled_w2_spread,
)


@pytest.mark.parametrize("angle", [-90.0, -30.0, 0.0, 17.0, 45.0, 90.0])
def test_covariance_from_axes_has_the_asked_axes(angle):
    cov = covariance_from_axes(1.7, 0.4, angle)
    axis = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
    normal = np.array([-axis[1], axis[0]])
    # Rounding only (entries are O(1)): 1e-12 absolute.
    np.testing.assert_allclose(cov @ axis, 1.7**2 * axis, atol=1e-12)
    np.testing.assert_allclose(cov @ normal, 0.4**2 * normal, atol=1e-12)
    np.testing.assert_array_equal(cov, cov.T)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_covariance_from_axes_refuses_bad_spreads(bad):
    with pytest.raises(InvalidInput):
        covariance_from_axes(bad, 1.0, 0.0)
    with pytest.raises(InvalidInput):
        covariance_from_axes(1.0, 1.0, np.nan if np.isfinite(bad) else bad)


def test_density_contour_lies_on_the_mahalanobis_level():
    mean = np.array([1.0, -2.0])
    cov = covariance_from_axes(1.3, 0.6, 25.0)
    pts = density_contour(mean, cov, 2.0, size=50)
    d = pts - mean
    radius2 = np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d)
    np.testing.assert_allclose(radius2, 4.0, rtol=1e-12)
    assert pts.shape == (50, 2)


def test_density_contour_refuses_bad_input():
    with pytest.raises(InvalidInput):
        density_contour([0, 0], [[1, 0], [0, 0]], 1.0)  # singular
    with pytest.raises(InvalidInput):
        density_contour([0, 0], np.eye(2), 1.0, size=2)
    with pytest.raises(InvalidInput):
        density_contour([0, 0, 0], np.eye(3), 1.0)


def test_sampled_w2_matches_pot_on_the_same_samples():
    mp, cp = np.array([0.0, 0.0]), covariance_from_axes(0.8, 0.8, 0.0)
    mq, cq = np.array([1.5, 1.0]), covariance_from_axes(1.4, 0.5, 30.0)
    est = sampled_w2(150, mp, cp, mq, cq, seed=3)
    a = np.full(150, 1 / 150)
    w2_sq = ot.emd2(a, a, ot.dist(est.source, est.target))  # squared Euclidean by default
    # Same LP solved twice; the optimal values agree to rounding.
    assert est.w2 == pytest.approx(np.sqrt(w2_sq), rel=1e-10)
    assert est.converged and est.marginal_error < 1e-12
    again = sampled_w2(150, mp, cp, mq, cq, seed=3)
    np.testing.assert_array_equal(again.source, est.source)


def test_sampled_w2_tends_to_the_closed_form():
    mp, cp = np.zeros(2), np.eye(2)
    mq, cq = np.array([2.0, 0.0]), 4.0 * np.eye(2)
    exact_w2 = np.sqrt(4.0 + 2.0)  # |dm|^2 + 2 (sigma_p - sigma_q)^2 in the plane
    errors = [abs(sampled_w2(n, mp, cp, mq, cq, seed=11).w2 - exact_w2) for n in (10, 1000)]
    # Deterministic seeds; at n = 1000 the error is about 0.02, at n = 10 several tenths.
    assert errors[1] < 0.08 < errors[0]


@pytest.mark.parametrize("n", [0, 2049, 1.5, True])
def test_sampled_w2_refuses_bad_sizes(n):
    with pytest.raises(InvalidInput):
        sampled_w2(n, [0, 0], np.eye(2), [1, 1], np.eye(2))


#: The Brenier page's default Gaussians: W2 = sqrt(1.5^2 + 1^2 + 2 (0.8 - 1.3)^2) = 1.9365.
PAGE_P = (np.zeros(2), 0.8**2 * np.eye(2))
PAGE_Q = (np.array([1.5, 1.0]), 1.3**2 * np.eye(2))
PAGE_W2 = np.sqrt(1.5**2 + 1.0**2 + 2 * (0.8 - 1.3) ** 2)


def test_sampled_w2_spread_error_and_spread_shrink_as_n_grows():
    """What the page tells the student, on fixed seeds: at n = 1000 the estimates sit closer
    to the closed form and closer to each other than at n = 30."""
    small = sampled_w2_spread(30, *PAGE_P, *PAGE_Q, repeats=40, seed=0)
    large = sampled_w2_spread(1000, *PAGE_P, *PAGE_Q, repeats=6, seed=0)
    assert small.converged and large.converged
    error_small = np.mean([abs(d.w2 - PAGE_W2) for d in small.draws])
    error_large = np.mean([abs(d.w2 - PAGE_W2) for d in large.draws])
    # Measured 0.20 and 0.064 (one draw's spread 0.25 at n = 30, 0.066 at n = 1000);
    # a factor 2 leaves room for the luck of 40 and 6 draws.
    assert error_large < 0.5 * error_small
    assert large.sd < 0.5 * small.sd


def test_sampled_w2_squared_is_biased_upwards():
    """E[W2^2(p_n, q_n)] >= W2^2(p, q) (Jensen: W2^2 is jointly convex); at n = 10 the excess
    is large, about +1.3, against a standard error of the mean of 200 draws of ~0.14."""
    spread = sampled_w2_spread(10, *PAGE_P, *PAGE_Q, repeats=200, seed=0)
    squares = np.array([d.w2**2 for d in spread.draws])
    standard_error = squares.std(ddof=1) / np.sqrt(squares.size)
    assert squares.mean() - PAGE_W2**2 > 3 * standard_error


def test_sampled_w2_spread_uses_fixed_seeds_and_nested_draws():
    spread = sampled_w2_spread(40, *PAGE_P, *PAGE_Q, repeats=3, seed=5)
    values = [d.w2 for d in spread.draws]
    for r, draw in enumerate(spread.draws):
        alone = sampled_w2(40, *PAGE_P, *PAGE_Q, seed=5 + 2 * r)
        np.testing.assert_array_equal(draw.source, alone.source)
        assert draw.w2 == alone.w2
    assert spread.mean == pytest.approx(np.mean(values), rel=1e-15)
    assert spread.sd == pytest.approx(np.std(values, ddof=1), rel=1e-15)
    # A larger n extends the same clouds: the first 40 points are the draw of 40.
    bigger = sampled_w2_spread(90, *PAGE_P, *PAGE_Q, repeats=3, seed=5)
    for small, big in zip(spread.draws, bigger.draws, strict=True):
        np.testing.assert_array_equal(big.source[:40], small.source)
        np.testing.assert_array_equal(big.target[:40], small.target)
    assert np.isnan(sampled_w2_spread(5, *PAGE_P, *PAGE_Q, repeats=1).sd)


@pytest.mark.parametrize("repeats", [0, 257, 2.0, True])
def test_sampled_w2_spread_refuses_bad_repeats(repeats):
    with pytest.raises(InvalidInput):
        sampled_w2_spread(10, *PAGE_P, *PAGE_Q, repeats=repeats)
