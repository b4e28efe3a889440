"""The scaling-domain Sinkhorn on hard histograms: narrow peaks, floors, gaps, spikes.

Oracles: POT's ``sinkhorn_log`` at moderate eps (run to round-off) and ``ot.emd`` as the
eps -> 0 limit.  Work is asserted in iterations and kernel evaluations, never in time.
"""

import itertools

import numpy as np
import ot
import pytest

import ot_engine._sinkhorn_core as core
from ot_engine import cost_matrix, sinkhorn, uniform_grid


def _bump(x, center, width):
    return np.exp(-0.5 * ((x - center) / width) ** 2)


def hard_pair(name, n):
    """Bar heights (the same shapes as ``bench/bench_engine.py --hard``), unit mass."""
    x = uniform_grid(n)
    rng = np.random.default_rng(n)
    if name == "narrow peaks, floor 1e-3":
        a = _bump(x, 0.25, 0.02) + 0.6 * _bump(x, 0.7, 0.015) + 1e-3
        b = _bump(x, 0.45, 0.02) + 0.8 * _bump(x, 0.85, 0.01) + 1e-3
    elif name == "narrow peaks, floor 1e-6":
        a = _bump(x, 0.2, 0.015) + _bump(x, 0.6, 0.02) + 1e-6
        b = _bump(x, 0.4, 0.015) + 0.5 * _bump(x, 0.9, 0.01) + 1e-6
    elif name == "gap (bars at 0)":
        a = _bump(x, 0.3, 0.04) + 0.5 * _bump(x, 0.7, 0.03) + 1e-3
        a[(x > 0.4) & (x < 0.6)] = 0.0
        b = _bump(x, 0.55, 0.05) + 1e-3
    elif name == "spike over dust":
        a = 2e-3 * rng.random(n)
        a[n // 3] = 1.0
        b = _bump(x, 0.55, 0.1) + 1e-3
    else:
        raise ValueError(name)
    return x, a / a.sum(), b / b.sum()


HARD = (
    "narrow peaks, floor 1e-3",
    "narrow peaks, floor 1e-6",
    "gap (bars at 0)",
    "spike over dust",
)


def _honest(res, a, b, tol):
    err = np.abs(res.plan.sum(1) - a).sum() + np.abs(res.plan.sum(0) - b).sum()
    assert res.converged, res.message
    assert err <= tol and err == pytest.approx(res.marginal_error, abs=1e-15)
    assert np.isfinite(res.plan).all() and res.plan.min() >= 0.0
    assert np.isfinite(res.f).all() and np.isfinite(res.g).all()


@pytest.mark.parametrize("name", HARD)
@pytest.mark.parametrize("rel_eps", [1e-2, 3e-3])
def test_hard_histograms_match_pot_sinkhorn_log(name, rel_eps, pot_log_plan):
    x, a, b = hard_pair(name, 128)
    C = cost_matrix(x, x, power=2)
    eps = rel_eps * C.max()
    res = sinkhorn(a, b, C, eps, tol=1e-12, max_time=10.0)
    _honest(res, a, b, 1e-12)
    P = pot_log_plan(a, b, C, eps, stop_thr=1e-14)
    assert np.abs(P.sum(1) - a).sum() + np.abs(P.sum(0) - b).sum() < 1e-11
    # Both plans are within ~1e-11 in marginal error of the unique entropic optimum.
    np.testing.assert_allclose(res.plan, P, atol=1e-10, rtol=0)
    assert res.cost == pytest.approx(float(np.sum(P * C)), abs=1e-10)


@pytest.mark.parametrize("name", HARD)
def test_hard_histograms_tend_to_emd(name):
    x, a, b = hard_pair(name, 256)
    C = cost_matrix(x, x, power=2)
    emd = ot.emd2(a, b, C)
    entropy_a = -np.sum(a[a > 0] * np.log(a[a > 0]))
    for rel_eps in (1e-2, 1e-3, 1e-4):
        eps = rel_eps * C.max()
        res = sinkhorn(a, b, C, eps, tol=1e-9, max_time=10.0)
        _honest(res, a, b, 1e-9)
        # 0 <= <C, P_eps> - W <= eps H(a) (test_sinkhorn.py); marginals off by <= 1e-9, C <= 1.
        assert -1e-9 <= res.cost - emd <= eps * entropy_a + 1e-9


@pytest.mark.parametrize("name", HARD)
@pytest.mark.parametrize("rel_eps", [1e-2, 1e-3, 1e-4])
@pytest.mark.parametrize("tol", [1e-6, 1e-9])
def test_hard_histograms_marginal_error_within_tol(name, rel_eps, tol):
    x, a, b = hard_pair(name, 256)
    C = cost_matrix(x, x, power=2)
    res = sinkhorn(a, b, C, rel_eps * C.max(), tol=tol, max_time=10.0)
    _honest(res, a, b, tol)
    assert res.plan[a == 0].sum() == 0.0


@pytest.mark.parametrize("name", HARD)
@pytest.mark.parametrize("rel_eps", [1e-3, 1e-4])
def test_warm_start_after_one_bar_change_needs_fewer_iterations(name, rel_eps):
    x, a, b = hard_pair(name, 256)
    C = cost_matrix(x, x, power=2)
    eps = rel_eps * C.max()
    prev = sinkhorn(a, b, C, eps, tol=1e-6, max_time=10.0)
    a2 = a.copy()
    a2[np.argmax(a)] *= 1.1  # a student raises one bar
    a2 /= a2.sum()
    warm = sinkhorn(a2, b, C, eps, tol=1e-6, warm_start=prev, max_time=10.0)
    cold = sinkhorn(a2, b, C, eps, tol=1e-6, max_time=10.0)
    _honest(warm, a2, b, 1e-6)
    assert warm.warm_started
    # Measured: warm 36-154 iterations against cold 78-500 (0.38-0.47 of them).
    assert warm.iterations <= 0.6 * cold.iterations
    np.testing.assert_allclose(warm.plan, cold.plan, atol=1e-5, rtol=0)


def count_exponentials(monkeypatch) -> list[str]:
    """The names of the solver's n x m exponential evaluations, appended as they happen."""
    calls = []
    for fn in ("column_exact_kernel", "_kernel", "softmin_rows", "softmin_cols"):
        orig = getattr(core, fn)

        def counting(*args, _orig=orig, _fn=fn, **kwargs):
            calls.append(_fn)
            return _orig(*args, **kwargs)

        monkeypatch.setattr(core, fn, counting)
    return calls


@pytest.mark.parametrize("name", HARD)
def test_few_kernel_exponentials_per_cold_solve(name, monkeypatch):
    # The point of the scaling-domain scheme: stages reuse the squared kernel, absorptions
    # rescale it.  Count the n x m exponentials (kernel evaluations) of a cold solve at
    # 1e-4 max C, ten eps stages: three per stage before this scheme.
    calls = count_exponentials(monkeypatch)
    x, a, b = hard_pair(name, 256)
    C = cost_matrix(x, x, power=2)
    res = sinkhorn(a, b, C, 1e-4 * C.max(), tol=1e-6, max_time=10.0)
    _honest(res, a, b, 1e-6)
    assert len(calls) <= 3, calls


def test_column_exact_kernel_is_the_soft_c_transform():
    x, a, b = hard_pair("narrow peaks, floor 1e-3", 64)
    C = cost_matrix(x, x, power=2)
    eps = 1e-2
    rng = np.random.default_rng(0)
    f = 0.1 * rng.standard_normal(64)
    ws = core.Workspace(64, 64)
    g = core.column_exact_kernel(f, np.log(a), b, C, eps, ws)
    np.testing.assert_allclose(g, core.softmin_cols(f, np.log(a), C, eps), rtol=0, atol=1e-14)
    K = core._kernel(f, g, np.log(a), np.log(b), C, eps)
    np.testing.assert_allclose(ws.K, K, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(ws.K.sum(0), b, rtol=1e-13)


def test_squared_kernel_is_the_kernel_at_half_eps():
    x, a, b = hard_pair("spike over dust", 64)
    C = cost_matrix(x, x, power=2)
    eps = 4e-3
    res = sinkhorn(a, b, C, eps, tol=1e-10)
    f, g = np.array(res.f), np.array(res.g)
    K = core._kernel(f, g, np.log(a), np.log(b), C, eps)
    core.square_kernel(K, np.ones(64), np.ones(64), a, b)
    exact = core._kernel(f, g, np.log(a), np.log(b), C, eps / 2)
    big = exact > 1e-250  # below that, relative precision is not the point (see FLUSH_LOG)
    np.testing.assert_allclose(K[big], exact[big], rtol=1e-12)
    assert np.all(K[~big] <= 1e-240)


def test_eps_stages_are_powers_of_two_apart():
    stages = core.eps_schedule(0.03, 1e-4)
    assert stages[0] >= 0.03 and stages[-1] == 1e-4
    assert all(s1 == 2.0 * s2 for s1, s2 in itertools.pairwise(stages))
    assert core.eps_schedule(1e-4, 1e-4) == [1e-4]


@pytest.mark.parametrize(
    "setting",
    [("DRIFT_MAX", 5.0), ("SQUARE_MAX_DRIFT", -1.0), ("ROW_FIX_LOG", 0.0), ("FLUSH_LOG", -50.0)],
)
@pytest.mark.parametrize("name", ["narrow peaks, floor 1e-6", "gap (bars at 0)"])
def test_fallback_paths_give_the_same_plan(setting, name, monkeypatch):
    # Each setting forces a path the defaults rarely take: exp recomputes after every few
    # absorptions, no squared kernels, log-domain rows everywhere, a coarse flush.
    x, a, b = hard_pair(name, 128)
    C = cost_matrix(x, x, power=2)
    eps = 1e-4 * C.max()
    ref = sinkhorn(a, b, C, eps, tol=1e-9, max_time=10.0)
    monkeypatch.setattr(core, *setting)
    res = sinkhorn(a, b, C, eps, tol=1e-9, max_time=10.0)
    _honest(res, a, b, 1e-9)
    np.testing.assert_allclose(res.plan, ref.plan, atol=1e-8, rtol=0)
