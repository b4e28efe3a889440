"""ot_engine.duality against POT's emd duals, scipy's linprog on the dual LP and closed forms."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import ot
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linprog

from ot_engine import (
    InvalidInput,
    c_transform,
    cost_matrix,
    dual_value,
    entropic_dual_value,
    kantorovich_potentials,
    lipschitz_constant,
    slack,
    soft_c_transform,
    uniform_grid,
)


def _dual_lp(a, b, C) -> float:
    """max <f, a> + <g, b> s.t. f_i + g_j <= C_ij, by scipy's HiGHS (independent of POT)."""
    n, m = C.shape
    A = np.zeros((n * m, n + m))
    rows = np.arange(n * m)
    A[rows, rows // m] = 1.0
    A[rows, n + rows % m] = 1.0
    res = linprog(
        -np.concatenate([a, b]), A_ub=A, b_ub=C.ravel(), bounds=(None, None), method="highs"
    )
    assert res.status == 0
    return -res.fun


def _brute_c_transform(f, C, rows):
    return np.array([min(C[i, j] - f[i] for i in rows) for j in range(C.shape[1])])


# --- exact potentials --------------------------------------------------------------------------


@pytest.mark.parametrize("power", [1, 2])
def test_potentials_are_optimal_against_pot_and_linprog(power, bumps):
    x, a, b = bumps(12, seed=power)
    a[3] = 0.0  # an empty bar on each side
    b[7] = 0.0
    a, b = a / a.sum(), b / b.sum()
    C = cost_matrix(x, x, power=power)
    d = kantorovich_potentials(a, b, C)
    assert d.converged, d.message
    assert d.primal == pytest.approx(ot.emd2(a, b, C), abs=1e-12)
    assert d.dual == pytest.approx(_dual_lp(a, b, C), abs=1e-9)
    assert d.gap == pytest.approx(0.0, abs=1e-12)
    s = C - d.f[:, None] - d.g[None, :]
    assert s.min() >= -1e-12  # feasible on every cell, empty bars included
    assert np.abs(s[d.plan > 0]).max() <= 1e-12  # complementary slackness
    # The pair is c-concave (each the c-transform of the other) and centred.
    np.testing.assert_allclose(d.g, c_transform(d.f, C), atol=1e-14)
    np.testing.assert_allclose(d.f, c_transform(d.g, C.T), atol=1e-14)
    assert d.f.max() + d.f.min() == pytest.approx(0.0, abs=1e-14)


def test_pot_duals_differ_from_ours_by_a_shift_on_the_support(bumps):
    x, a, b = bumps(30)
    C = cost_matrix(x, x, power=2)
    _, log = ot.emd(a, b, C, log=True)
    d = kantorovich_potentials(a, b, C)
    # Same dual value; POT's pair is one optimal pair, ours another (shift + c-transforms).
    assert log["u"] @ a + log["v"] @ b == pytest.approx(d.dual, abs=1e-12)
    assert (C - log["u"][:, None] - log["v"][None, :]).min() >= -1e-12


def test_w1_potentials_are_the_kantorovich_rubinstein_critic():
    x = uniform_grid(16)
    rng = np.random.default_rng(3)
    a, b = rng.random(16), rng.random(16)
    a, b = a / a.sum(), b / b.sum()
    C = cost_matrix(x, x, power=1)
    d = kantorovich_potentials(a, b, C)
    assert lipschitz_constant(d.f, x) <= 1 + 1e-12
    np.testing.assert_allclose(d.g, -d.f, atol=1e-14)  # f^c = -f for 1-Lipschitz f
    w1 = ot.wasserstein_1d(x, x, a, b, p=1)
    assert d.f @ (a - b) == pytest.approx(w1, abs=1e-12)


def test_potentials_of_a_split_atom_closed_form():
    # One atom at 1/2 split between 0 and 1 (cost |x - y|^2): cost 1/4, and f + g = C on both
    # routes.
    C = cost_matrix([0.5], [0.0, 1.0], power=2)
    d = kantorovich_potentials([1.0], [0.5, 0.5], C)
    assert d.primal == 0.25 and d.dual == pytest.approx(0.25)
    assert d.f[0] == 0.0  # centred
    np.testing.assert_allclose(d.g, [0.25, 0.25])


# --- c-transforms ------------------------------------------------------------------------------


@given(
    st.integers(2, 9),
    st.integers(2, 9),
    st.integers(0, 2**31 - 1),
)
def test_hard_c_transform_matches_brute_force_and_bounds(n, m, seed):
    rng = np.random.default_rng(seed)
    C = rng.random((n, m))
    f = rng.normal(size=n)
    a = rng.random(n) * (rng.random(n) > 0.3)
    a[0] += 0.1
    a /= a.sum()
    b = rng.random(m)
    b /= b.sum()
    rows = np.flatnonzero(a > 0)
    g = c_transform(f, C, a)
    np.testing.assert_allclose(g, _brute_c_transform(f, C, rows), atol=0)
    np.testing.assert_allclose(c_transform(f, C), _brute_c_transform(f, C, range(n)), atol=0)
    # weak duality: any f certifies a lower bound, below the LP's value
    bound = dual_value(f, g, a, b)
    assert bound <= ot.emd2(a, b, C) + 1e-12
    assert bound <= _dual_lp(a, b, C) + 1e-9
    assert (C - f[:, None] - g[None, :])[rows].min() >= -1e-15


def test_double_c_transform_improves_the_bound():
    rng = np.random.default_rng(1)
    C = cost_matrix(uniform_grid(10), uniform_grid(10), power=2)
    a, b = rng.random(10), rng.random(10)
    a, b = a / a.sum(), b / b.sum()
    f = rng.normal(size=10)
    g = c_transform(f, C, a)
    f2 = c_transform(g, C.T, b)
    assert (f2[a > 0] >= f[a > 0] - 1e-15).all()
    assert dual_value(f2, c_transform(f2, C, a), a, b) >= dual_value(f, g, a, b) - 1e-15


@pytest.mark.parametrize("eps", [1.0, 0.1, 1e-2, 1e-3, 1e-5])
def test_soft_c_transform_brackets_the_hard_one(eps):
    rng = np.random.default_rng(0)
    C = rng.random((8, 6))
    f = rng.normal(size=8)
    a = rng.random(8)
    a[2] = 0.0
    a /= a.sum()
    hard = c_transform(f, C, a)
    soft = soft_c_transform(f, C, eps, a)
    bound = eps * np.log(1.0 / a[a > 0].min())
    assert (soft >= hard - 1e-12).all()
    assert (soft <= hard + bound + 1e-12).all()
    # the definition, in plain floats (no underflow at these sizes for eps >= 1e-2)
    if eps >= 1e-2:
        direct = -eps * np.log((a[:, None] * np.exp((f[:, None] - C) / eps)).sum(0))
        np.testing.assert_allclose(soft, direct, rtol=1e-12, atol=1e-12)


def test_soft_c_transform_converges_to_the_hard_one():
    x = uniform_grid(64)
    C = cost_matrix(x, x, power=2)
    rng = np.random.default_rng(5)
    a = rng.random(64) + 0.01
    a /= a.sum()
    f = 0.3 * np.sin(6 * x)
    hard = c_transform(f, C, a)
    gaps = [np.abs(soft_c_transform(f, C, e, a) - hard).max() for e in (1e-1, 1e-2, 1e-3, 1e-4)]
    assert all(g2 < g1 for g1, g2 in itertools.pairwise(gaps))
    assert gaps[-1] < 1e-4 * np.log(1 / a.min()) + 1e-12
    # finite at a temperature where exp(-C/eps) underflows entirely
    assert np.isfinite(soft_c_transform(f, C, 1e-9, a)).all()


def test_soft_c_transform_is_the_sinkhorn_fixed_point():
    x = uniform_grid(20)
    C = cost_matrix(x, x, power=2)
    rng = np.random.default_rng(2)
    a, b = rng.random(20), rng.random(20)
    a, b = a / a.sum(), b / b.sum()
    eps = 0.05
    _, log = ot.sinkhorn(a, b, C, eps, method="sinkhorn_log", log=True, stopThr=1e-14)
    # POT: plan = exp(log_u + log_v - C / eps) = a b exp((f + g - C) / eps)
    f = eps * (log["log_u"] - np.log(a))
    g = eps * (log["log_v"] - np.log(b))
    plan = np.exp((f[:, None] + g[None, :] - C) / eps) * np.outer(a, b)
    np.testing.assert_allclose(soft_c_transform(f, C, eps, a), g, atol=1e-10)
    # the entropic dual at the fixed point is the entropic value
    value = np.sum(C * plan) + eps * np.sum(plan * np.log(plan / np.outer(a, b)))
    assert entropic_dual_value(f, g, a, b, C, eps) == pytest.approx(value, abs=1e-10)
    assert dual_value(f, soft_c_transform(f, C, eps, a), a, b) == pytest.approx(value, abs=1e-10)
    # any other f gives a lower bound
    f2 = f + 0.05 * rng.normal(size=20)
    assert dual_value(f2, soft_c_transform(f2, C, eps, a), a, b) <= value + 1e-12
    assert entropic_dual_value(f2, g, a, b, C, eps) <= value + 1e-12


# --- small helpers -----------------------------------------------------------------------------


def test_slack_and_lipschitz():
    C = cost_matrix(uniform_grid(3), uniform_grid(3), power=1)
    np.testing.assert_allclose(slack(np.zeros(3), np.zeros(3), C), C)
    assert lipschitz_constant([0.0, 1.0, 0.0], [0.0, 0.5, 1.0]) == 2.0
    assert lipschitz_constant([3.0], [0.2]) == 0.0


@pytest.mark.parametrize(
    "call",
    [
        lambda: c_transform([0.0, np.nan], np.ones((2, 2))),
        lambda: c_transform([0.0], np.ones((2, 2))),
        lambda: c_transform([0.0, 0.0], np.ones(2)),
        lambda: c_transform([0.0, 0.0], np.ones((2, 2)), a=[0.0, 0.0]),
        lambda: c_transform([0.0, 0.0], np.ones((2, 2)), a=[1.0, -1.0]),
        lambda: soft_c_transform([0.0, 0.0], np.ones((2, 2)), 0.0, [1, 1]),
        lambda: soft_c_transform([0.0, 0.0], np.ones((2, 2)), np.inf, [1, 1]),
        lambda: soft_c_transform([0.0, 0.0], [[1.0, np.inf], [0, 0]], 0.1, [1, 1]),
        lambda: dual_value([0.0], [0.0, 0.0], [1, 1], [1, 1]),
        lambda: kantorovich_potentials([0, 0], [1, 1], np.ones((2, 2))),
        lambda: kantorovich_potentials([1, 1], [1, 1], np.ones((2, 3))),
        lambda: lipschitz_constant([0.0, 1.0], [0.5, 0.5]),
        lambda: entropic_dual_value([0, 0], [0, 0], [1, 1], [1, 1], np.ones((2, 2)), -1),
    ],
)
def test_bad_input_raises_invalid_input(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no warnings on the way
        with pytest.raises(InvalidInput):
            call()
