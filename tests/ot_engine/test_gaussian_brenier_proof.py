"""The steps of the Brenier proof box (assets/prose/brenier.md), checked on Gaussians.

Step 1: the dual problem's potentials are f(x) = |x|^2/2 - phi(x) and g(y) = |y|^2/2 - phi*(y)
with phi convex and phi* its conjugate; they satisfy f(x) + g(y) <= |x - y|^2 / 2 everywhere
(Fenchel-Young). Step 2: the dual value equals half the primal optimum, W2^2 / 2.
Step 3 (complementary slackness): equality exactly on y = grad phi(x). Then the change of
variables: the Monge-Ampere identity. Each is computed here by a route other than the engine's.
"""

import numpy as np
import pytest
from scipy import optimize, stats

from ot_engine import (
    InvalidInput,
    gaussian_brenier_conjugate,
    gaussian_brenier_map,
    gaussian_brenier_potential,
    gaussian_density,
    gaussian_map_matrix,
    gaussian_w2,
    monge_ampere,
)


def random_spd(d, seed, floor=0.2):
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(d, d))
    return B @ B.T + floor * np.eye(d)


def pair(d, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=d), random_spd(d, seed + 1), rng.normal(size=d), random_spd(d, seed + 2)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_density_matches_scipy(d):
    m, S, _, _ = pair(d, 3 * d)
    x = np.random.default_rng(d).normal(size=(7, d))
    assert np.allclose(gaussian_density(x, m, S), stats.multivariate_normal(m, S).pdf(x))


@pytest.mark.parametrize("d", [1, 2, 3])
def test_conjugate_is_the_numerical_supremum(d):
    g = pair(d, 10 * d)
    for y in np.random.default_rng(d).normal(size=(4, d)) * 2:

        def minus(x, y=y):
            return -(x @ y - gaussian_brenier_potential(x, *g))

        best = optimize.minimize(minus, np.zeros(d), method="BFGS", options={"gtol": 1e-10})
        assert gaussian_brenier_conjugate(y, *g) == pytest.approx(-best.fun, abs=1e-7)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_fenchel_young_holds_everywhere_with_equality_on_the_graph(d):
    g = pair(d, 20 * d)
    rng = np.random.default_rng(d)
    x, y = rng.normal(size=(500, d)) * 2, rng.normal(size=(500, d)) * 2
    gap = gaussian_brenier_potential(x, *g) + gaussian_brenier_conjugate(y, *g)
    gap -= np.einsum("ij,ij->i", x, y)
    assert gap.min() >= -1e-10
    tx = gaussian_brenier_map(x, *g)
    on_graph = gaussian_brenier_potential(x, *g) + gaussian_brenier_conjugate(tx, *g)
    assert np.allclose(on_graph, np.einsum("ij,ij->i", x, tx), atol=1e-9)


@pytest.mark.parametrize("d", [1, 2, 4])
def test_dual_value_is_half_w2_squared(d):
    mp, Sp, mq, Sq = pair(d, 30 * d)
    A = gaussian_map_matrix(Sp, Sq)
    # E|x|^2 = |m|^2 + tr S; E phi(x) and E phi*(y) by the same moment identities, computed
    # from the quadratic forms' coefficients (not from the closed-form W2).
    e_sq_p, e_sq_q = mp @ mp + np.trace(Sp), mq @ mq + np.trace(Sq)
    e_phi = 0.5 * np.trace(A @ Sp) + mq @ mp
    e_phi_star = 0.5 * np.trace(np.linalg.solve(A, Sq))
    dual = 0.5 * e_sq_p - e_phi + 0.5 * e_sq_q - e_phi_star
    assert dual == pytest.approx(0.5 * gaussian_w2(mp, Sp, mq, Sq) ** 2, rel=1e-9)


def test_dual_value_by_sampling_agrees():
    mp, Sp, mq, Sq = pair(2, 5)
    rng = np.random.default_rng(0)
    x = rng.multivariate_normal(mp, Sp, size=200_000)
    y = rng.multivariate_normal(mq, Sq, size=200_000)
    f = 0.5 * np.einsum("ij,ij->i", x, x) - gaussian_brenier_potential(x, mp, Sp, mq, Sq)
    g = 0.5 * np.einsum("ij,ij->i", y, y) - gaussian_brenier_conjugate(y, mp, Sp, mq, Sq)
    half_w2_sq = 0.5 * gaussian_w2(mp, Sp, mq, Sq) ** 2
    se = np.sqrt(f.var() / f.size + g.var() / g.size)
    assert abs(f.mean() + g.mean() - half_w2_sq) < 5 * se


@pytest.mark.parametrize("d", [1, 2, 3])
def test_monge_ampere_both_sides_agree_and_match_an_independent_route(d):
    mp, Sp, mq, Sq = pair(d, 40 * d)
    x = np.random.default_rng(d).normal(size=d)
    s = monge_ampere(x, mp, Sp, mq, Sq)
    # Left: scipy's density. Right: scipy's density at T(x) times a finite-difference Hessian
    # determinant of the potential.
    h = 1e-4
    hess = np.zeros((d, d))
    for i in range(d):
        for j in range(d):
            ei, ej = np.eye(d)[i] * h, np.eye(d)[j] * h

            def phi(z):
                return float(gaussian_brenier_potential(z, mp, Sp, mq, Sq))

            hess[i, j] = (
                phi(x + ei + ej) - phi(x + ei - ej) - phi(x - ei + ej) + phi(x - ei - ej)
            ) / (4 * h * h)
    tx = gaussian_brenier_map(x, mp, Sp, mq, Sq)
    rhs = stats.multivariate_normal(mq, Sq).pdf(tx) * np.linalg.det(hess)
    assert s.p_x == pytest.approx(stats.multivariate_normal(mp, Sp).pdf(x), rel=1e-12)
    assert s.rhs == pytest.approx(rhs, rel=1e-5)
    assert s.rhs == pytest.approx(s.p_x, rel=1e-10)
    assert s.relative_gap < 1e-10
    assert np.allclose(s.tx, tx)


def test_monge_ampere_refuses_bad_points_and_flat_targets():
    mp, Sp, mq, Sq = pair(2, 1)
    with pytest.raises(InvalidInput):
        monge_ampere([[0.0, 0.0]], mp, Sp, mq, Sq)
    with pytest.raises(InvalidInput):
        monge_ampere([np.nan, 0.0], mp, Sp, mq, Sq)
    with pytest.raises(InvalidInput):
        monge_ampere([0.0, 0.0], mp, Sp, mq, np.diag([1.0, 0.0]))
