"""ot_engine.brenier_scene: covariances from axes, density contours, sampled W2."""

from __future__ import annotations

import numpy as np
import ot
import pytest

from ot_engine import InvalidInput
from ot_engine.brenier_scene import covariance_from_axes, density_contour, sampled_w2


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
