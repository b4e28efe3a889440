import importlib

import numpy as np
import ot
import pytest

from ot_engine import (
    InvalidInput,
    cost_matrix,
    empirical_w2,
    exact,
    gaussian_w2,
    monotone_plan_1d,
    sample_gaussian,
    wasserstein_1d,
)


@pytest.mark.parametrize("power", [1, 2])
def test_exact_matches_emd2_and_duality(power, bumps):
    x, a, b = bumps(100)
    a[:10] = 0.0  # empty bars must work too
    a /= a.sum()
    C = cost_matrix(x, x, power)
    res = exact(a, b, C)
    assert res.converged and res.marginal_error < 1e-12
    # Network simplex is exact up to float64 round-off on O(1) sums.
    assert res.cost == pytest.approx(ot.emd2(a, b, C), abs=1e-12)
    assert res.f @ a + res.g @ b == pytest.approx(res.cost, abs=1e-12)
    # Dual feasibility everywhere, including the empty bars (c-transform extension).
    assert (res.f[:, None] + res.g[None, :] - C).max() <= 1e-12


def test_exact_renormalizes_and_is_symmetric():
    rng = np.random.default_rng(0)
    a, b, C = rng.random(7), rng.random(9), rng.random((7, 9))
    res = exact(a, b, C)
    assert res.renormalized
    swapped = exact(b, a, C.T)
    assert swapped.cost == pytest.approx(res.cost, abs=1e-12)


@pytest.mark.parametrize("power", [1.0, 1.5, 2.0, 3.0])
def test_monotone_plan_is_optimal_in_1d(power):
    rng = np.random.default_rng(1)
    x, y = rng.random(40), rng.random(30) * 2  # unsorted on purpose
    a, b = rng.random(40), rng.random(30)
    a[5] = 0.0
    plan = monotone_plan_1d(x, a, y, b, power=power)
    C = cost_matrix(x, y, power)
    ref = ot.emd2(a / a.sum(), b / b.sum(), C)
    assert plan.cost == pytest.approx(ref, rel=1e-10)
    dense = plan.to_dense()
    np.testing.assert_allclose(dense.sum(1), a / a.sum(), atol=1e-14)
    np.testing.assert_allclose(dense.sum(0), b / b.sum(), atol=1e-14)
    assert plan.mass.size <= 40 + 30 - 1
    assert np.sum(dense * C) == pytest.approx(plan.cost, rel=1e-12)


def test_monotone_plan_agrees_with_wasserstein_1d(bumps):
    x, a, b = bumps(50)
    plan = monotone_plan_1d(x, a, x, b, power=2)
    assert np.sqrt(plan.cost) == pytest.approx(wasserstein_1d(x, a, b, order=2), rel=1e-12)


def test_empirical_w2_against_direct_emd_and_closed_form():
    X = sample_gaussian(300, [0.0, 0.0], np.eye(2), seed=1)
    Y = sample_gaussian(200, [3.0, 1.0], np.diag([2.0, 0.5]), seed=2)
    value = empirical_w2(X, Y)
    C = ot.dist(X, Y)  # squared Euclidean
    ref = np.sqrt(ot.emd2(np.full(300, 1 / 300), np.full(200, 1 / 200), C))
    assert value == pytest.approx(ref, rel=1e-12)
    # A sample estimate: within ~10% of the closed form for a few hundred points
    # (the bias decays like n^(-1/2) in 2D; this seed gives ~2%).
    closed = gaussian_w2([0, 0], np.eye(2), [3, 1], np.diag([2.0, 0.5]))
    assert value == pytest.approx(closed, rel=0.1)


def test_empirical_w2_rejects_mismatched_dimensions():
    with pytest.raises(InvalidInput, match="dimension"):
        empirical_w2(np.zeros((3, 2)), np.zeros((3, 3)))


def test_potentials_are_dual_feasible_with_empty_bars_on_both_sides():
    # Before: g on an empty column was the c-transform of f over the rows with mass only,
    # so f_i + g_j could exceed C_ij (by up to 0.19) when row i and column j were both empty.
    rng = np.random.default_rng(5)
    worst = -np.inf
    for _ in range(200):
        n, m = rng.integers(2, 12, size=2)
        a = rng.random(n) * (rng.random(n) > 0.4)
        b = rng.random(m) * (rng.random(m) > 0.4)
        a[rng.integers(n)] += 0.1
        b[rng.integers(m)] += 0.1
        C = rng.random((n, m))
        res = exact(a, b, C)
        assert res.converged
        worst = max(worst, (res.f[:, None] + res.g[None, :] - C).max())
        # Strong duality is unaffected (empty bars carry no mass).
        assert res.f @ (a / a.sum()) + res.g @ (b / b.sum()) == pytest.approx(res.cost, abs=1e-12)
    # Network simplex potentials are exact up to round-off on O(1) numbers.
    assert worst <= 1e-12


def test_monotone_plan_refuses_powers_below_one():
    # For |x - y|^p with p < 1 the cost is concave in the displacement and the monotone
    # coupling is not optimal: moving {0, 1} onto {1, 2}, the monotone plan pays
    # 1/2 (1^p + 1^p) = 1 while 0 -> 2, 1 -> 1 pays 1/2 (2^p + 0) = 0.71 for p = 1/2.
    x, a, y, b = [0.0, 1.0], [1, 1], [1.0, 2.0], [1, 1]
    C = cost_matrix(np.array(x), np.array(y), 0.5)
    assert ot.emd2([0.5, 0.5], [0.5, 0.5], C) == pytest.approx(0.5 * 2**0.5)  # beats 1
    with pytest.raises(InvalidInput, match="power"):
        monotone_plan_1d(x, a, y, b, power=0.5)
    assert monotone_plan_1d(x, a, y, b, power=1.0).cost == pytest.approx(1.0)


def test_empirical_w2_does_not_hide_an_iteration_cap(monkeypatch):
    # The package's ``exact`` attribute is the function; the module is reached by name.
    exact_module = importlib.import_module("ot_engine.exact")
    X = sample_gaussian(60, [0.0, 0.0], np.eye(2), seed=1)
    Y = sample_gaussian(60, [1.0, 0.0], np.eye(2), seed=2)
    monkeypatch.setattr(exact_module, "EMD_MAX_ITER", 5)  # far too few pivots
    with pytest.raises(InvalidInput, match="iteration"):
        empirical_w2(X, Y)


def test_exact_reports_an_iteration_cap(monkeypatch):
    exact_module = importlib.import_module("ot_engine.exact")
    rng = np.random.default_rng(0)
    monkeypatch.setattr(exact_module, "EMD_MAX_ITER", 5)
    res = exact(rng.random(30), rng.random(30), rng.random((30, 30)))
    assert not res.converged and "iteration" in res.message.lower()


def test_repeated_grid_points_act_as_one_location():
    # Grids need not be sorted or distinct: two bars at one point hold their summed mass.
    x = [0.0, 0.5, 0.5, 1.0]
    p, q = [0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]
    merged = wasserstein_1d([0.0, 0.5, 1.0], [0.1, 0.5, 0.4], [0.4, 0.5, 0.1], order=2)
    assert wasserstein_1d(x, p, q, order=2) == pytest.approx(merged, rel=1e-12)
    plan = monotone_plan_1d(x, p, x, q, power=2)
    assert np.sqrt(plan.cost) == pytest.approx(merged, rel=1e-12)
