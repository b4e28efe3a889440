"""ot_engine.wgan against POT's emd2, finite differences, scipy's Gaussian densities."""

from __future__ import annotations

import numpy as np
import ot
import pytest
from scipy.stats import multivariate_normal

from ot_engine import InvalidInput
from ot_engine.wgan import (
    MLPParams,
    gp_critic_loss,
    js_discriminator,
    mlp_input_gradient,
    mlp_value,
    smoothed_density,
    train_gp_critic,
    upper_extension,
    w1_critic,
)


def _clouds(seed=0, n=30, shift=(2.0, 0.7)):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)) * 0.6, rng.normal(size=(n, 2)) * 0.5 + np.array(shift)


def _emd2(X, Y):
    a, b = np.full(len(X), 1 / len(X)), np.full(len(Y), 1 / len(Y))
    return float(ot.emd2(a, b, ot.dist(X, Y, metric="euclidean")))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_critic_value_matches_pot_and_its_own_dual(seed):
    X, Y = _clouds(seed)
    c = w1_critic(X, Y)
    assert c.converged, c.message
    w1 = _emd2(X, Y)
    assert c.w1 == pytest.approx(w1, abs=1e-10)
    assert c(X).mean() - c(Y).mean() == pytest.approx(w1, abs=1e-10)
    assert np.allclose(c(X), c.f, atol=1e-12)


def test_exact_critic_is_one_lipschitz_on_a_grid():
    X, Y = _clouds(3)
    c = w1_critic(X, Y)
    g = np.linspace(-3, 5, 25)
    Z = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    Z = np.vstack([Z, X, Y])
    v = c(Z)
    d = np.hypot(*(Z[:, None, :] - Z[None, :, :]).transpose(2, 0, 1))
    off = d > 1e-12
    assert (np.abs(v[:, None] - v[None, :])[off] / d[off]).max() <= 1 + 1e-9


def test_upper_extension_is_not_optimal_on_the_fake_points():
    X, Y = _clouds(4)
    c = w1_critic(X, Y)
    upper = upper_extension(X, c.f, Y)
    assert (upper >= c(Y) - 1e-12).all()
    assert c.f.mean() - upper.mean() < c.w1 - 0.1


@pytest.mark.parametrize("seed", [0, 5])
def test_generator_gradient_is_the_derivative_of_w1_in_the_offset(seed):
    """Danskin: d/do W1(X, Y + o) = -mean grad phi(y_j) for the critic fixed at o."""
    X, Y = _clouds(seed)
    c = w1_critic(X, Y)
    grad = c.fake_gradient
    analytic = -grad.mean(axis=0)
    step = 1e-6
    fd = [(_emd2(X, Y + step * e) - _emd2(X, Y - step * e)) / (2 * step) for e in np.eye(2)]
    assert np.allclose(analytic, fd, atol=1e-5)
    assert np.allclose(np.linalg.norm(grad, axis=1), 1.0)
    # and it is a gradient of the critic: phi rises at unit rate along it at each y_j
    t = 1e-7
    assert np.allclose((c(Y + t * grad) - c(Y)) / t, 1.0, atol=1e-5)


def test_w1_gradient_keeps_its_size_far_away():
    X, _ = _clouds(0)
    for d in (3.0, 10.0, 30.0):
        c = w1_critic(X, X[::-1] + np.array([d, 0.0]))
        grad = c.fake_gradient
        assert np.linalg.norm(grad.mean(axis=0)) > 0.95


def _kde(P, h, Z):
    return np.mean([multivariate_normal(p, h * h * np.eye(2)).pdf(Z) for p in P], axis=0)


def test_js_discriminator_against_scipy_densities_and_finite_differences():
    X, Y = _clouds(1, n=12, shift=(0.8, 0.2))
    h = 0.4
    Z = np.array([[0.3, 0.1], [1.0, -0.2], [-0.5, 0.6]])
    js = js_discriminator(X, Y, h, Z)
    pr, pg = _kde(X, h, Z), _kde(Y, h, Z)
    assert np.allclose(np.exp(js.log_pr), pr, rtol=1e-10)
    assert np.allclose(js.D, pr / (pr + pg), rtol=1e-10)

    def log1m(z):
        return np.log(1 - _kde(X, h, z) / (_kde(X, h, z) + _kde(Y, h, z)))

    def nlogd(z):
        return -np.log(_kde(X, h, z) / (_kde(X, h, z) + _kde(Y, h, z)))

    step = 1e-6
    for fn, grad in ((log1m, js.grad_minimax), (nlogd, js.grad_nonsaturating)):
        fd = np.stack(
            [(fn(Z + step * e) - fn(Z - step * e)) / (2 * step) for e in np.eye(2)], axis=1
        )
        assert np.allclose(grad, fd, atol=1e-6)


def test_js_gradient_vanishes_as_the_clouds_separate_and_never_nan():
    X, _ = _clouds(0)
    norms = []
    for d in (0.5, 2.0, 4.0, 40.0):
        Y = X[::-1] + np.array([d, 0.0])
        js = js_discriminator(X, Y, 0.3, Y)
        assert np.isfinite(js.grad_minimax).all() and np.isfinite(js.D).all()
        norms.append(np.linalg.norm(js.grad_minimax.mean(axis=0)))
    assert norms[-1] < 1e-100 and norms[2] < 1e-6 < norms[0]


def _params(seed=0, H=5):
    rng = np.random.default_rng(seed)
    return MLPParams(rng.normal(size=(H, 2)), rng.normal(size=H), rng.normal(size=H), 0.3)


def test_input_gradient_against_finite_differences():
    p = _params()
    Z = np.random.default_rng(1).normal(size=(6, 2))
    step = 1e-6
    fd = np.stack(
        [(mlp_value(p, Z + step * e) - mlp_value(p, Z - step * e)) / (2 * step) for e in np.eye(2)],
        axis=1,
    )
    assert np.allclose(mlp_input_gradient(p, Z), fd, atol=1e-8)


def _loss_by_definition(p, X, Y, lam, alpha):
    """The WGAN-GP critic loss with the input gradient by finite differences."""
    Zh = alpha[:, None] * X + (1 - alpha[:, None]) * Y
    step = 1e-5
    G = np.stack(
        [
            (mlp_value(p, Zh + step * e) - mlp_value(p, Zh - step * e)) / (2 * step)
            for e in np.eye(2)
        ],
        axis=1,
    )
    penalty = np.mean((np.linalg.norm(G, axis=1) - 1) ** 2)
    return mlp_value(p, Y).mean() - mlp_value(p, X).mean() + lam * penalty


@pytest.mark.parametrize("lam", [0.0, 1.0, 10.0])
def test_gp_loss_and_its_weight_gradient_against_finite_differences(lam):
    p = _params(2)
    rng = np.random.default_rng(3)
    X, Y, alpha = rng.normal(size=(7, 2)), rng.normal(size=(7, 2)) + 1, rng.random(7)
    loss, grad = gp_critic_loss(p, X, Y, lam, alpha)
    assert loss == pytest.approx(_loss_by_definition(p, X, Y, lam, alpha), abs=1e-7)
    theta, g = p.flat(), grad.flat()
    step = 1e-6
    for k in range(len(theta)):
        e = np.zeros_like(theta)
        e[k] = step
        up = gp_critic_loss(MLPParams.unflat(theta + e), X, Y, lam, alpha)[0]
        down = gp_critic_loss(MLPParams.unflat(theta - e), X, Y, lam, alpha)[0]
        assert g[k] == pytest.approx((up - down) / (2 * step), abs=1e-6), k


def test_trained_critic_approaches_w1_and_is_deterministic():
    X, Y = _clouds(0, n=30)
    w1 = _emd2(X, Y)
    r = train_gp_critic(X, Y, 30.0, steps=1200, seed=2)
    again = train_gp_critic(X, Y, 30.0, steps=1200, seed=2)
    assert r.estimate == again.estimate
    assert abs(r.estimate - w1) < 0.1 * w1
    weak = train_gp_critic(X, Y, 0.1, steps=1200, seed=2)
    assert weak.estimate > 2 * w1  # a weak penalty does not hold the slope near 1


def test_progress_can_stop_training():
    X, Y = _clouds(0, n=10)
    seen = []

    def progress(fraction, text):
        seen.append(fraction)
        if fraction >= 0.5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_gp_critic(X, Y, 1.0, steps=200, record_every=20, progress=progress)
    assert seen == [0.1, 0.2, 0.3, 0.4, 0.5]


@pytest.mark.parametrize(
    "X, Y",
    [
        ([], [[0.0, 0.0]]),
        ([[np.nan, 0.0]], [[0.0, 0.0]]),
        ([[0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0]]),
        (np.zeros((500, 2)), np.zeros((3, 2))),
    ],
)
def test_bad_clouds_raise_invalid_input(X, Y):
    with pytest.raises(InvalidInput):
        w1_critic(X, Y)
    with pytest.raises(InvalidInput):
        js_discriminator(X, Y, 0.3, [[0.0, 0.0]])


def test_bad_parameters_raise_invalid_input():
    X, Y = _clouds(0, n=5)
    for h in (0.0, -1.0, np.inf, "x"):
        with pytest.raises(InvalidInput):
            js_discriminator(X, Y, h, X)
    for lam in (-1.0, np.nan, 1e9):
        with pytest.raises(InvalidInput):
            train_gp_critic(X, Y, lam, steps=2)
    with pytest.raises(InvalidInput):
        train_gp_critic(X, Y[:3], 1.0, steps=2)


def test_coincident_clouds_give_a_zero_critic():
    X, _ = _clouds(0, n=8)
    c = w1_critic(X, X)
    assert c.converged and c.w1 == pytest.approx(0.0, abs=1e-12)
    _, grad = c.value_and_gradient(X)
    assert np.isfinite(grad).all()


def test_discriminator_bound_quoted_in_the_prose():
    """D(y_j) <= m exp(-delta_j^2 / (2 h^2)), delta_j the distance to the nearest real point."""
    X, Y = _clouds(2, n=25, shift=(2.5, 0.0))
    for h in (0.2, 0.4, 0.8):
        js = js_discriminator(X, Y, h, Y)
        delta = np.sqrt(((Y[:, None, :] - X[None, :, :]) ** 2).sum(-1)).min(axis=1)
        assert (js.D <= len(Y) * np.exp(-(delta**2) / (2 * h * h)) * (1 + 1e-12)).all()


def test_smoothed_density_is_the_mean_of_gaussians():
    rng = np.random.default_rng(11)
    P, Z, h = rng.normal(size=(7, 2)), rng.normal(size=(5, 2)), 0.4
    d = smoothed_density(P, h, Z)
    pdfs = [multivariate_normal(p, h * h * np.eye(2)).pdf(Z) for p in P]
    np.testing.assert_allclose(d.log_p, np.log(np.mean(pdfs, axis=0)), rtol=1e-12)
    # the gradient of log p, by central differences
    step = 1e-6
    for k in range(2):
        dz = np.zeros(2)
        dz[k] = step
        fd = (smoothed_density(P, h, Z + dz).log_p - smoothed_density(P, h, Z - dz).log_p) / (
            2 * step
        )
        np.testing.assert_allclose(d.grad_log_p[:, k], fd, rtol=1e-6, atol=1e-8)


def test_js_discriminator_takes_a_known_real_density():
    rng = np.random.default_rng(12)
    X, Y, Z = rng.normal(size=(9, 2)), rng.normal(size=(8, 2)) + 2.0, rng.normal(size=(6, 2))
    plain = js_discriminator(X, Y, 0.5, Z)
    given = js_discriminator(X, Y, 0.5, Z, real=smoothed_density(X, 0.5, Z))
    for name in ("log_pr", "log_pg", "D", "grad_minimax", "grad_nonsaturating"):
        np.testing.assert_array_equal(getattr(given, name), getattr(plain, name))
    with pytest.raises(InvalidInput, match="real"):
        js_discriminator(X, Y, 0.5, Z, real=smoothed_density(X, 0.5, Z[:3]))
