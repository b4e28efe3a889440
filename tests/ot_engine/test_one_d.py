"""ot_engine.one_d against POT (emd, wasserstein_1d), scipy and a linear-programming oracle."""

import itertools
import math

import numpy as np
import ot
import pytest
import scipy.optimize
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from ot_engine import (
    InvalidInput,
    bottleneck_lp,
    cost_matrix,
    exact,
    monotone_plan_1d,
    quantile_1d,
    transport_1d,
    uniform_grid,
)

from .conftest import bumps


def _zeroed(n, seed):
    """Bumps with a run of empty bars in each (a student drags bars to zero)."""
    x, a, b = bumps(n, seed)
    a, b = a.copy(), b.copy()
    a[n // 5 : n // 3] = 0.0
    b[n // 2 : n // 2 + 5] = 0.0
    return x, a / a.sum(), b / b.sum()


@pytest.mark.parametrize("p", [1, 2, 3, 5])
def test_wp_matches_pot_wasserstein_1d_and_emd(p):
    x, a, b = _zeroed(64, 1)
    res = transport_1d(x, a, x, b, order=p)
    # POT's wasserstein_1d returns W_p^p.
    assert res.distance == pytest.approx(ot.wasserstein_1d(x, x, a, b, p=p) ** (1 / p), rel=1e-10)
    lp = ot.emd2(a, b, cost_matrix(x, x, power=p))
    assert res.distance**p == pytest.approx(lp, rel=1e-9, abs=1e-15)
    assert res.cost == pytest.approx(lp, rel=1e-9, abs=1e-15)


def test_w1_is_the_area_between_the_cdfs_and_matches_scipy():
    x, a, b = _zeroed(100, 2)
    res = transport_1d(x, a, x, b, order=1)
    oracle = scipy.stats.wasserstein_distance(x, x, a, b)
    assert res.w1_area == pytest.approx(oracle, rel=1e-12)
    assert res.distance == pytest.approx(oracle, rel=1e-12)


def test_different_grids_and_unsorted_points():
    rng = np.random.default_rng(3)
    x, y = rng.random(9), rng.random(13) * 2
    a, b = rng.random(9), rng.random(13)
    res = transport_1d(x, a, y, b, order=2)
    a1, b1 = a / a.sum(), b / b.sum()
    assert res.renormalized
    assert res.distance**2 == pytest.approx(ot.emd2(a1, b1, (x[:, None] - y) ** 2), rel=1e-9)
    assert res.w1_area == pytest.approx(scipy.stats.wasserstein_distance(x, y, a1, b1), rel=1e-12)
    plan = res.to_dense()
    assert np.allclose(plan.sum(1), a1) and np.allclose(plan.sum(0), b1)
    # the same pieces as the engine's monotone plan
    assert np.allclose(plan, monotone_plan_1d(x, a, y, b, power=2).to_dense())


def test_levels_pieces_and_quantiles_agree():
    x, a, b = _zeroed(48, 4)
    res = transport_1d(x, a, x, b, order=2)
    assert res.levels[0] == 0 and res.levels[-1] == 1
    assert np.all(np.diff(res.levels) > 0)
    assert res.mass.sum() == pytest.approx(1.0, abs=1e-14)
    mid = 0.5 * (res.levels[:-1] + res.levels[1:])
    assert np.array_equal(quantile_1d(x, a, mid), res.source)
    assert np.array_equal(quantile_1d(x, b, mid), res.target)
    # sort and match: both sides go up with the level
    assert np.all(np.diff(res.source) >= 0) and np.all(np.diff(res.target) >= 0)


def test_quantile_is_the_generalized_inverse():
    x = np.array([0.1, 0.4, 0.7, 0.9])
    a = np.array([0.2, 0.0, 0.5, 0.3])
    s = np.array([0.0, 0.1, 0.2, 0.2000001, 0.7, 0.71, 1.0])
    assert quantile_1d(x, a, s).tolist() == [0.1, 0.1, 0.1, 0.7, 0.7, 0.9, 0.9]
    # min{x : F(x) >= s} by brute force on random levels
    rng = np.random.default_rng(0)
    levels = rng.random(200)
    F = np.cumsum(a)
    brute = [x[np.flatnonzero(F >= t - 1e-15)[0]] for t in levels]
    assert quantile_1d(x, a, levels).tolist() == brute


def _linprog_bottleneck(x, a, y, b):
    """min over plans of the largest |x - y| used, by scipy's LP (HiGHS), feasibility per t."""
    D = np.abs(x[:, None] - y[None, :])
    n, m = D.shape
    A_eq = np.vstack([np.kron(np.eye(n), np.ones(m)), np.kron(np.ones(n), np.eye(m))])
    b_eq = np.concatenate([a, b])
    for t in np.unique(D[np.ix_(a > 0, b > 0)]):
        bounds = [(0, None) if d <= t else (0, 0) for d in D.ravel()]
        if scipy.optimize.linprog(np.zeros(n * m), A_eq=A_eq, b_eq=b_eq, bounds=bounds).success:
            return float(t)
    raise AssertionError("unreachable: the largest distance is always feasible")


@pytest.mark.parametrize("seed", range(4))
def test_w_inf_matches_a_linear_programming_oracle(seed):
    rng = np.random.default_rng(seed)
    x = uniform_grid(10)
    a, b = rng.random(10), rng.random(10)
    a[rng.random(10) < 0.3] = 0.0
    b[rng.random(10) < 0.3] = 0.0
    a, b = a / a.sum(), b / b.sum()
    res = transport_1d(x, a, x, b, order=math.inf)
    oracle = _linprog_bottleneck(x, a, x, b)
    assert res.distance == res.w_inf == pytest.approx(oracle, abs=1e-12)
    D = np.abs(x[:, None] - x[None, :])
    for hint in (None, res.w_inf, 0.0, 1.0):
        lp = bottleneck_lp(a, b, D, hint=hint)
        assert lp.converged and lp.value == pytest.approx(oracle, abs=1e-12)
        assert lp.marginal_error < 1e-9 and (lp.plan[D > lp.value + 1e-12] < 1e-12).all()


def test_w_inf_ignores_rounding_slivers_and_single_levels():
    # 0.1 + 0.2 != 0.3 in floating point: between the two cumulative sums there is a level
    # sliver where the quantiles are 0.1 and 1.0 apart; it has no mass and must not count.
    x = np.array([0.0, 0.1, 1.0])
    a, b = np.array([0.1, 0.2, 0.7]), np.array([0.3, 0.0, 0.7])
    res = transport_1d(x, a, x, b, order=math.inf, normalize=False)
    assert res.w_inf == pytest.approx(0.1, abs=1e-15)
    assert res.w_inf == pytest.approx(_linprog_bottleneck(x, a, x, b), abs=1e-15)
    # A tiny but real mass far away does count: W_inf sees any positive mass.
    far = transport_1d([0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.999, 0.001], order=math.inf)
    assert far.w_inf == 1.0
    assert transport_1d([0.0, 1.0], [1, 0], [0, 1], [0.999, 0.001], order=2).distance == (
        pytest.approx(math.sqrt(0.001), rel=1e-9)
    )


def test_w_inf_is_the_limit_of_w_p():
    x, a, b = bumps(32, 5)
    w = [transport_1d(x, a, x, b, order=p).distance for p in (1, 2, 4, 16, 100)]
    w_inf = transport_1d(x, a, x, b, order=math.inf).distance
    assert all(u <= v + 1e-15 for u, v in itertools.pairwise(w))  # increasing in p
    assert w[-1] <= w_inf + 1e-15
    assert w[-1] == pytest.approx(w_inf, rel=0.1)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 5), min_size=2, max_size=12),
    st.lists(st.integers(0, 5), min_size=2, max_size=12),
    st.sampled_from([1, 2, 3, math.inf]),
)
def test_property_quantile_formula_equals_the_lp(ia, ib, p):
    a, b = np.array(ia, dtype=float), np.array(ib, dtype=float)
    if a.sum() == 0 or b.sum() == 0:
        return
    x, y = np.linspace(0, 1, a.size), np.linspace(0.2, 0.9, b.size)
    res = transport_1d(x, a, y, b, order=p)
    a1, b1 = a / a.sum(), b / b.sum()
    D = np.abs(x[:, None] - y[None, :])
    if p == math.inf:
        assert res.distance == pytest.approx(bottleneck_lp(a1, b1, D).value, abs=1e-12)
    else:
        assert res.cost == pytest.approx(exact(a1, b1, D**p).cost, rel=1e-9, abs=1e-14)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"order": 0.5}, "order"),
        ({"order": float("nan")}, "order"),
        ({"order": 1000}, "order"),
        ({"order": "2"}, "order"),
        ({"order": True}, "order"),
    ],
)
def test_bad_order_raises(kwargs, match):
    with pytest.raises(InvalidInput, match=match):
        transport_1d([0, 1], [1, 1], [0, 1], [1, 1], **kwargs)


@pytest.mark.parametrize(
    "a, b",
    [([0, 0], [1, 1]), ([1, -1], [1, 1]), ([np.nan, 1], [1, 1]), ([1, 1], [np.inf, 1])],
)
def test_bad_histograms_raise(a, b):
    with pytest.raises(InvalidInput):
        transport_1d([0, 1], a, [0, 1], b)


def test_bad_levels_and_grids_raise():
    with pytest.raises(InvalidInput):
        quantile_1d([0, 1], [1, 1], [1.5])
    with pytest.raises(InvalidInput):
        quantile_1d([0, 1], [1, 1], [np.nan])
    with pytest.raises(InvalidInput):
        transport_1d([0, 1, 2], [1, 1], [0, 1], [1, 1])
    with pytest.raises(InvalidInput):
        quantile_1d([0, 1], [0.2, 0.2], [0.5], normalize=False)


def test_result_is_immutable():
    res = transport_1d([0, 1], [1, 1], [0, 1], [1, 3], order=2)
    with pytest.raises(ValueError):
        res.mass[0] = 1.0
    with pytest.raises(AttributeError):
        res.distance = 0.0
