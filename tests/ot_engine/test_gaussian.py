import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ot_engine import (
    InvalidInput,
    brenier_map,
    brenier_potential,
    gaussian_brenier_map,
    gaussian_brenier_potential,
    gaussian_map_matrix,
    gaussian_w2,
    sample_gaussian,
)


def random_spd(d, seed, floor=0.1):
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(d, d))
    return B @ B.T + floor * np.eye(d)


def finite_difference_gradient(fun, x, h=1e-5):
    grad = np.zeros_like(x)
    for k in range(x.shape[-1]):
        e = np.zeros(x.shape[-1])
        e[k] = h
        grad[..., k] = (fun(x + e) - fun(x - e)) / (2 * h)
    return grad


@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_w2_matches_pot_bures(d):
    rng = np.random.default_rng(d)
    mp, mq = rng.normal(size=d), rng.normal(size=d)
    Sp, Sq = random_spd(d, 10 + d), random_spd(d, 20 + d)
    ref = float(ot.gaussian.bures_wasserstein_distance(mp, mq, Sp, Sq))
    # Both compute matrix square roots of well-conditioned SPD matrices: ~1e-12 agreement.
    assert gaussian_w2(mp, Sp, mq, Sq) == pytest.approx(ref, rel=1e-9)


def test_w2_commuting_case_and_degenerate_covariance():
    S1, S2 = np.diag([1.0, 4.0]), np.diag([9.0, 0.0])
    expected = np.sqrt(1.0 + np.sum((np.sqrt(np.diag(S1)) - np.sqrt(np.diag(S2))) ** 2))
    assert gaussian_w2([0, 0], S1, [1, 0], S2) == pytest.approx(expected, rel=1e-12)
    assert gaussian_w2([1, 2], S1, [1, 2], S1) == pytest.approx(0.0, abs=1e-7)


def test_map_matrix_pushes_covariance():
    Sp, Sq = random_spd(3, 1), random_spd(3, 2)
    A = gaussian_map_matrix(Sp, Sq)
    np.testing.assert_allclose(A, A.T, atol=1e-12)
    assert np.linalg.eigvalsh(A).min() > 0  # convex potential
    np.testing.assert_allclose(A @ Sp @ A, Sq, rtol=1e-9, atol=1e-9)


def test_general_map_pushes_samples_onto_target_moments():
    mp, mq = np.array([1.0, -1.0]), np.array([4.0, 2.0])
    Sp, Sq = random_spd(2, 3), random_spd(2, 4)
    X = sample_gaussian(4000, mp, Sp, seed=0)
    TX = gaussian_brenier_map(X, mp, Sp, mq, Sq)
    # The map is affine, so exact identities hold for the *sample* moments too.
    A = gaussian_map_matrix(Sp, Sq)
    np.testing.assert_allclose(TX.mean(0), mq + A @ (X.mean(0) - mp), atol=1e-12)
    np.testing.assert_allclose(np.cov(TX.T), A @ np.cov(X.T) @ A, rtol=1e-10)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_map_is_gradient_of_potential(d):
    rng = np.random.default_rng(d)
    mp, mq = rng.normal(size=d), rng.normal(size=d)
    Sp, Sq = random_spd(d, 5), random_spd(d, 6)
    x = rng.normal(size=(7, d))
    grad = finite_difference_gradient(lambda z: gaussian_brenier_potential(z, mp, Sp, mq, Sq), x)
    # Central differences of a quadratic are exact up to round-off ~ eps_mach * |phi| / h.
    np.testing.assert_allclose(grad, gaussian_brenier_map(x, mp, Sp, mq, Sq), atol=1e-6)
    grad_iso = finite_difference_gradient(lambda z: brenier_potential(z, mp, 0.7, mq, 1.9), x)
    np.testing.assert_allclose(grad_iso, brenier_map(x, mp, 0.7, mq, 1.9), atol=1e-6)


def test_isotropic_closed_form_and_general_agree():
    mp, mq = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    x = np.random.default_rng(0).normal(size=(5, 2))
    sp, sq = 0.8, 1.7
    np.testing.assert_allclose(
        brenier_map(x, mp, sp, mq, sq),
        gaussian_brenier_map(x, mp, sp**2 * np.eye(2), mq, sq**2 * np.eye(2)),
        atol=1e-12,
    )
    np.testing.assert_allclose(
        brenier_potential(x, mp, sp, mq, sq),
        gaussian_brenier_potential(x, mp, sp**2 * np.eye(2), mq, sq**2 * np.eye(2)),
        atol=1e-12,
    )
    # The documented constant: phi(m_p) = <m_q, m_p>.
    assert brenier_potential(mp, mp, sp, mq, sq) == pytest.approx(mq @ mp)
    # Pushes the mean onto the mean.
    np.testing.assert_allclose(brenier_map(mp, mp, sp, mq, sq), mq)


def test_a_commonly_printed_potential_is_wrong():
    # phi(x) = s/2 |x - m_p|^2 + <m_q - s m_p, x> has gradient m_q + s (x - 2 m_p): it does
    # not send m_p to m_q.  Ours does (regression guard for the source-text formula).
    mp, mq, sp, sq = np.array([1.0, 2.0]), np.array([3.0, 0.0]), 1.0, 2.0
    s = sq / sp

    def printed(z):
        return 0.5 * s * np.sum((z - mp) ** 2, -1) + z @ (mq - s * mp)

    assert not np.allclose(finite_difference_gradient(printed, mp[None, :])[0], mq)
    np.testing.assert_allclose(
        finite_difference_gradient(lambda z: brenier_potential(z, mp, sp, mq, sq), mp[None])[0],
        mq,
        atol=1e-6,
    )


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    t=st.floats(0.0, 1.0),
)
def test_potential_is_convex_along_segments(seed, t):
    rng = np.random.default_rng(seed)
    mp, mq = rng.normal(size=2), rng.normal(size=2)
    Sp, Sq = random_spd(2, seed), random_spd(2, seed + 1)
    x, y = rng.normal(size=2) * 3, rng.normal(size=2) * 3

    def phi(z):
        return gaussian_brenier_potential(z, mp, Sp, mq, Sq)

    lhs = phi(t * x + (1 - t) * y)
    rhs = t * phi(x) + (1 - t) * phi(y)
    assert lhs <= rhs + 1e-9 * (1 + abs(rhs))


def test_sample_gaussian_is_deterministic_and_has_right_moments():
    S = np.array([[2.0, 0.6], [0.6, 1.0]])
    X1 = sample_gaussian(50_000, [1.0, 2.0], S, seed=7)
    X2 = sample_gaussian(50_000, [1.0, 2.0], S, seed=7)
    np.testing.assert_array_equal(X1, X2)
    # Sampling error of moments ~ sqrt(var/n) ~ 0.01; 0.05 is a 5-sigma margin.
    np.testing.assert_allclose(X1.mean(0), [1.0, 2.0], atol=0.05)
    np.testing.assert_allclose(np.cov(X1.T), S, atol=0.05)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: brenier_map([[0.0, 0.0]], [0, 0], 0.0, [1, 1], 1.0), "sigma_p"),
        (lambda: brenier_map([[0.0, 0.0]], [0, 0], 1.0, [1, 1], -2.0), "sigma_q"),
        (lambda: brenier_potential([[0.0, 0.0, 0.0]], [0, 0], 1.0, [1, 1], 1.0), "shape"),
        (lambda: brenier_map([[0.0, 0.0]], [0, 0], 1.0, [1, 1, 1], 1.0), "mean_q"),
        (lambda: gaussian_w2([0, 0], [[1, 2], [0, 1]], [0, 0], np.eye(2)), "symmetric"),
        (lambda: gaussian_w2([0, 0], [[1, 2], [2, 1]], [0, 0], np.eye(2)), "semi-definite"),
        (lambda: gaussian_w2([0, 0], np.eye(3), [0, 0], np.eye(2)), "cov_p"),
        (lambda: gaussian_map_matrix(np.diag([1.0, 0.0]), np.eye(2)), "singular"),
        (lambda: gaussian_w2([0, np.nan], np.eye(2), [0, 0], np.eye(2)), "NaN"),
        (lambda: sample_gaussian(0, [0.0], [[1.0]], seed=0), "n must"),
        (lambda: sample_gaussian(5, [0.0], [[1.0]], seed=-1), "seed"),
    ],
)
def test_bad_gaussian_inputs(call, match):
    with pytest.raises(InvalidInput, match=match):
        call()


def test_sample_gaussian_caps_the_array_size_not_just_n():
    from ot_engine.gaussian import MAX_DIM, MAX_SAMPLE_VALUES

    # n = 1e6 points in d = 2000 would be 16 GB: refused before anything is allocated.
    with pytest.raises(InvalidInput, match="values"):
        sample_gaussian(1_000_000, np.zeros(1000), np.eye(1000), seed=0)
    with pytest.raises(InvalidInput, match="mean"):
        sample_gaussian(10, np.zeros(MAX_DIM + 1), np.eye(2), seed=0)
    n = MAX_SAMPLE_VALUES // 4
    assert sample_gaussian(n, np.zeros(4), np.eye(4), seed=0).shape == (n, 4)


@pytest.mark.parametrize(
    "call",
    [
        lambda big: gaussian_w2(big, np.eye(2), big, np.eye(2)),
        lambda big: brenier_map(np.zeros((1, big.size)), big, 1.0, big, 1.0),
    ],
)
def test_means_longer_than_the_dimension_cap_are_refused(call):
    from ot_engine.gaussian import MAX_DIM

    with pytest.raises(InvalidInput, match="mean_p"):
        call(np.zeros(MAX_DIM + 1))
