"""Exponentials saved by structure: Toeplitz cold kernels, warm starts from the last plan,
and Newton steps on the scalings of a fixed kernel.

Each shortcut is checked against the general path it replaces (same kernel, same plan) and
against a cold solve where it must not apply (another cost, an emptied bar).
"""

import numpy as np
import pytest

import ot_engine._sinkhorn_core as core
from ot_engine import cost_matrix, sinkhorn, uniform_grid
from tests.ot_engine.test_sinkhorn_hard import HARD, _honest, count_exponentials, hard_pair


@pytest.mark.parametrize("power", [1, 2])
@pytest.mark.parametrize("n", [64, 255])
def test_toeplitz_kernel_is_the_column_exact_kernel(n, power):
    x, a, b = hard_pair("narrow peaks, floor 1e-3", n)
    C = cost_matrix(x, x, power=power)
    c = core.toeplitz_values(C)
    assert c is not None
    eps = 0.03 * C.max()
    ws_t, ws = core.Workspace(n, n), core.Workspace(n, n)
    g_t = core.toeplitz_kernel(c, None, None, a, b, eps, ws_t)
    g = core.column_exact_kernel(np.zeros(n), np.log(a), b, C, eps, ws)
    np.testing.assert_allclose(g_t, g, rtol=0, atol=1e-13)
    np.testing.assert_allclose(ws_t.K, ws.K, rtol=1e-12, atol=1e-300)
    # A block of it (empty bars removed) is the kernel of the block of C.
    ia, jb = np.arange(0, n, 3), np.arange(1, n, 2)
    ws_t, ws = core.Workspace(ia.size, jb.size), core.Workspace(ia.size, jb.size)
    a_s, b_s = a[ia] / a[ia].sum(), b[jb] / b[jb].sum()
    g_t = core.toeplitz_kernel(c, ia, jb, a_s, b_s, eps, ws_t)
    g = core.column_exact_kernel(np.zeros(ia.size), np.log(a_s), b_s, C[np.ix_(ia, jb)], eps, ws)
    np.testing.assert_allclose(g_t, g, rtol=0, atol=1e-13)
    np.testing.assert_allclose(ws_t.K, ws.K, rtol=1e-12, atol=1e-300)


def test_toeplitz_shortcut_only_where_it_is_exact():
    rng = np.random.default_rng(1)
    x = np.sort(rng.random(64))
    assert core.toeplitz_values(cost_matrix(x, x, power=2)) is None  # not a uniform grid
    assert core.toeplitz_values(np.ones((4, 5))) is None
    x, a, b = hard_pair("narrow peaks, floor 1e-6", 64)
    C = cost_matrix(x, x, power=2)
    ws = core.Workspace(64, 64)
    # At a small eps some entries are below exp(FLUSH_LOG) of their column: general path.
    assert core.toeplitz_kernel(core.toeplitz_values(C), None, None, a, b, 1e-4, ws) is None


@pytest.mark.parametrize("name", HARD)
def test_cold_solve_with_the_toeplitz_kernel_is_the_same(name, monkeypatch):
    x, a, b = hard_pair(name, 128)
    C = cost_matrix(x, x, power=2)
    eps = 1e-3 * C.max()
    res = sinkhorn(a, b, C, eps, tol=1e-9, max_time=10.0)
    _honest(res, a, b, 1e-9)
    monkeypatch.setattr(core, "toeplitz_values", lambda C: None)
    ref = sinkhorn(a, b, C, eps, tol=1e-9, max_time=10.0)
    np.testing.assert_allclose(res.plan, ref.plan, atol=1e-9, rtol=0)


@pytest.mark.parametrize("name", HARD)
def test_warm_start_at_the_same_eps_reuses_the_plan(name, monkeypatch):
    x, a, b = hard_pair(name, 128)
    C = cost_matrix(x, x, power=2)
    eps = 1e-3 * C.max()
    prev = sinkhorn(a, b, C, eps, tol=1e-9, max_time=10.0)
    a2 = a.copy()
    a2[np.argmax(a)] *= 1.1
    a2 /= a2.sum()
    cold = sinkhorn(a2, b, C, eps, tol=1e-9, max_time=10.0)
    calls = count_exponentials(monkeypatch)
    warm = sinkhorn(a2, b, C, eps, tol=1e-9, warm_start=prev, max_time=10.0)
    # No n x m exponential (soft c-transforms extend the potentials to empty bars only).
    assert calls == ([] if a.all() else ["softmin_rows"])
    _honest(warm, a2, b, 1e-9)
    np.testing.assert_allclose(warm.plan, cold.plan, atol=1e-8, rtol=0)
    # The potentials are those of the plan: P = a b^T exp((f + g - C) / eps).
    P = a2[:, None] * b[None, :] * np.exp((warm.f[:, None] + warm.g[None, :] - C) / eps)
    np.testing.assert_allclose(P, warm.plan, atol=1e-10, rtol=0)


@pytest.mark.parametrize(
    "change",
    ["another cost", "another eps", "a bar emptied", "an empty bar filled", "b changed"],
)
def test_warm_start_from_a_plan_that_does_not_fit(change, monkeypatch):
    x, a, b = hard_pair("gap (bars at 0)", 128)
    C = cost_matrix(x, x, power=2)
    eps = 1e-3 * C.max()
    prev = sinkhorn(a, b, C, eps, tol=1e-9, max_time=10.0)
    a2, b2, C2, eps2 = a.copy(), b.copy(), C, eps
    if change == "another cost":
        C2 = cost_matrix(x, x, power=1.5)
    elif change == "another eps":
        eps2 = 0.5 * eps
    elif change == "a bar emptied":
        a2[np.argmax(a)] = 0.0
    elif change == "an empty bar filled":
        a2[np.flatnonzero(a == 0)[3]] = 0.01
    else:
        b2[np.argmax(b)] *= 3.0
    a2, b2 = a2 / a2.sum(), b2 / b2.sum()
    cold = sinkhorn(a2, b2, C2, eps2, tol=1e-9, max_time=10.0)
    calls = count_exponentials(monkeypatch)
    warm = sinkhorn(a2, b2, C2, eps2, tol=1e-9, warm_start=prev, max_time=10.0)
    _honest(warm, a2, b2, 1e-9)
    np.testing.assert_allclose(warm.plan, cold.plan, atol=1e-8, rtol=0)
    if change != "b changed":  # (a changed b reuses the plan: columns are rescaled)
        assert calls, "the previous plan must not be reused as this problem's kernel"


@pytest.mark.parametrize("name", HARD)
@pytest.mark.parametrize("rel_eps", [1e-3, 1e-4])
def test_newton_on_the_scalings_changes_no_plan(name, rel_eps, monkeypatch):
    x, a, b = hard_pair(name, 128)
    C = cost_matrix(x, x, power=2)
    eps = rel_eps * C.max()
    prev = sinkhorn(a, b, C, eps, tol=1e-9, max_time=10.0)
    a2 = a.copy()
    a2[np.argmax(a)] *= 1.1
    a2 /= a2.sum()
    warm = sinkhorn(a2, b, C, eps, tol=1e-9, warm_start=prev, max_time=10.0)
    _honest(prev, a, b, 1e-9)
    _honest(warm, a2, b, 1e-9)
    monkeypatch.setattr(core, "SCALED_NEWTON_STEPS", 0)  # Sinkhorn iterations only
    ref_prev = sinkhorn(a, b, C, eps, tol=1e-9, max_time=10.0)
    ref_warm = sinkhorn(a2, b, C, eps, tol=1e-9, warm_start=ref_prev, max_time=10.0)
    np.testing.assert_allclose(prev.plan, ref_prev.plan, atol=1e-8, rtol=0)
    np.testing.assert_allclose(warm.plan, ref_warm.plan, atol=1e-8, rtol=0)


def test_warm_state_records_the_unit_mass_histograms():
    x = uniform_grid(32)
    C = cost_matrix(x, x, power=2)
    a, b = np.arange(1.0, 33.0), np.ones(32)
    res = sinkhorn(a, b, C, 0.01)
    np.testing.assert_allclose(res.warm_state[0], a / a.sum())
    np.testing.assert_allclose(res.warm_state[1], b / b.sum())
    assert not res.warm_state[0].flags.writeable
