import math

import numpy as np
import ot
import pytest
import scipy.spatial.distance
import scipy.stats
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ot_engine import (
    InvalidInput,
    hellinger,
    js,
    kantorovich_critic_1d,
    kl,
    tv,
    uniform_grid,
    wasserstein_1d,
)

# No subnormal heights: scipy's JS oracle rounds their halves to zero and reports inf.
hist = arrays(np.float64, 20, elements=st.floats(0.0, 5.0, allow_subnormal=False)).filter(
    lambda h: h.sum() > 1e-3
)


def test_disjoint_conventions():
    p, q = [1, 1, 0, 0], [0, 0, 1, 1]
    assert kl(p, q) == math.inf
    assert js(p, q) == pytest.approx(math.log(2), abs=1e-15)
    assert tv(p, q) == 1.0
    assert hellinger(p, q) == pytest.approx(1.0, abs=1e-15)


def test_identical_histograms_give_zero():
    p = [0.1, 0.0, 0.4, 0.5]
    for fn in (kl, js, tv, hellinger):
        assert fn(p, p) == pytest.approx(0.0, abs=1e-15)
    assert wasserstein_1d(uniform_grid(4), p, p) == pytest.approx(0.0, abs=1e-15)


@settings(max_examples=50, deadline=None)
@given(p=hist, q=hist)
@example(p=np.ones(20), q=np.full(20, 2.00001))  # equal after normalizing, up to rounding
def test_against_scipy(p, q):
    pn, qn = p / p.sum(), q / q.sum()
    # scipy.stats.entropy(p, q) is KL in nats (inf on missing support), same conventions.
    assert kl(p, q) == pytest.approx(scipy.stats.entropy(pn, qn), rel=1e-9, abs=1e-12)
    # scipy's jensenshannon is the square root of JS (natural log by default); it returns NaN
    # when rounding makes JS a hair negative (p == q up to 1 ulp), so fall back to the
    # definition through scipy's KL there.
    ref_js = scipy.spatial.distance.jensenshannon(pn, qn) ** 2
    if not np.isfinite(ref_js):
        m = 0.5 * (pn + qn)
        ref_js = 0.5 * scipy.stats.entropy(pn, m) + 0.5 * scipy.stats.entropy(qn, m)
    assert js(p, q) == pytest.approx(ref_js, rel=1e-7, abs=1e-12)
    assert 0.0 <= js(p, q) <= math.log(2) + 1e-15
    assert tv(p, q) == pytest.approx(0.5 * np.abs(pn - qn).sum(), abs=1e-15)
    bc = np.sum(np.sqrt(pn * qn))  # Bhattacharyya coefficient: H^2 = 1 - BC
    assert hellinger(p, q) ** 2 == pytest.approx(1 - bc, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(p=hist, q=hist, order=st.sampled_from([1, 1.5, 2, 3]))
def test_wasserstein_1d_against_pot_and_scipy(p, q, order):
    x = np.linspace(-1.0, 2.0, 20)
    w = wasserstein_1d(x, p, q, order=order)
    pn, qn = p / p.sum(), q / q.sum()
    ref = ot.wasserstein_1d(x, x, pn, qn, p=order) ** (1.0 / order)  # POT returns W_p^p
    assert w == pytest.approx(ref, rel=1e-8, abs=1e-10)
    if order == 1:
        assert w == pytest.approx(scipy.stats.wasserstein_distance(x, x, pn, qn), abs=1e-12)


def test_w1_grows_linearly_while_kl_saturates():
    x = uniform_grid(100)
    p = np.zeros(100)
    p[10] = 1
    dists = []
    for shift in (10, 20, 40):
        q = np.zeros(100)
        q[10 + shift] = 1
        dists.append(wasserstein_1d(x, p, q))
        assert kl(p, q) == math.inf and tv(p, q) == 1.0
    np.testing.assert_allclose(dists, [0.1, 0.2, 0.4], rtol=1e-12)


@settings(max_examples=50, deadline=None)
@given(p=hist, q=hist)
def test_critic_attains_w1_and_is_1_lipschitz(p, q):
    rng = np.random.default_rng(0)
    x = np.sort(rng.random(20)) * 3
    perm = rng.permutation(20)  # unsorted grid: the critic follows the given order
    xs, ps, qs = x[perm], p[perm], q[perm]
    f = kantorovich_critic_1d(xs, ps, qs)
    pn, qn = ps / ps.sum(), qs / qs.sum()
    assert f @ (pn - qn) == pytest.approx(wasserstein_1d(xs, ps, qs), rel=1e-9, abs=1e-12)
    slopes = np.abs(np.diff(f[np.argsort(xs)])) / np.diff(np.sort(xs))
    assert slopes.max(initial=0.0) <= 1 + 1e-9
    # One convention for the additive constant (shared with shift_family): f = 0 at the
    # leftmost grid point.
    assert f[np.argmin(xs)] == 0.0


def test_critic_sign_convention():
    # p sits left of q: mass moves right, the critic decreases (f' = -1 between them).
    f = kantorovich_critic_1d([0, 1, 2, 3], [1, 0, 0, 0], [0, 0, 0, 1])
    assert list(np.diff(f)) == [-1, -1, -1]


def test_wasserstein_1d_large_orders_do_not_underflow_or_overflow():
    from ot_engine.divergences import MAX_ORDER

    # One unit of mass moved by D: W_r = D for every order r.  Before, |d|^r overflowed
    # (order 300, D = 1e3 gave inf) or underflowed (D = 1e-5, order 100 gave 0).
    for D in (1e3, 1.0, 1e-5):
        for order in (1, 2, 50, MAX_ORDER):
            value = wasserstein_1d([0.0, D], [1, 0], [0, 1], order=order)
            assert value == pytest.approx(D, rel=1e-12)
    # Half of the mass moves by 1 and half stays: W_r = (1/2)^(1/r).
    x, p, q = [0.0, 1.0, 2.0], [0.5, 0.5, 0.0], [0.5, 0.0, 0.5]
    for order in (3, 40, 100):
        expected = 0.5 ** (1 / order)
        assert wasserstein_1d(x, p, q, order=order) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("order", [101, 300, 1e6, np.inf])
def test_wasserstein_1d_refuses_orders_above_the_cap(order):
    with pytest.raises(InvalidInput, match="order"):
        wasserstein_1d([0.0, 1.0], [1, 0], [0, 1], order=order)


@settings(max_examples=50, deadline=None)
@given(p=hist, q=hist, order=st.floats(1.0, 100.0), scale=st.sampled_from([1e-9, 1.0, 1e6]))
def test_wasserstein_1d_any_order_matches_pot_on_a_unit_grid(p, q, order, scale):
    # Independent value: POT's W_r^r on the grid rescaled to [0, 1), where every nonzero
    # displacement is at least 1/20 and (1/20)^100 ~ 1e-130 neither underflows nor
    # overflows; W_r is homogeneous of degree 1 in x.
    unit = uniform_grid(20)
    pn, qn = p / p.sum(), q / q.sum()
    ref = scale * ot.wasserstein_1d(unit, unit, pn, qn, p=order) ** (1.0 / order)
    assert wasserstein_1d(unit * scale, p, q, order=order) == pytest.approx(ref, rel=1e-8)


def test_row_kernels_match_scipy_and_pot_row_by_row():
    # The batched kernels (shift_family's path) against scipy / POT one row at a time, on rows
    # with empty cells in both histograms (where 0 log 0 = 0 and KL turns infinite).
    from ot_engine.divergences import hellinger_rows, js_rows, kl_rows, tv_rows, w1_rows

    rng = np.random.default_rng(3)
    x = np.sort(rng.random(40)) * 5
    P = rng.random((6, 40)) * (rng.random((6, 40)) > 0.3)
    Q = rng.random((6, 40)) * (rng.random((6, 40)) > 0.3)
    P /= P.sum(1, keepdims=True)
    Q /= Q.sum(1, keepdims=True)
    with np.errstate(divide="ignore"):
        lP, lQ = np.log(P), np.log(Q)
    kls, jss = kl_rows(lP, lQ), js_rows(lP, lQ)
    tvs, hes = tv_rows(P, Q), hellinger_rows(P, Q)
    w1s = w1_rows(np.cumsum(P, 1), np.cumsum(Q, 1), np.diff(x))
    for i, (p, q) in enumerate(zip(P, Q, strict=True)):
        assert kls[i] == pytest.approx(scipy.stats.entropy(p, q), rel=1e-12)
        assert jss[i] == pytest.approx(scipy.spatial.distance.jensenshannon(p, q) ** 2, rel=1e-10)
        assert tvs[i] == pytest.approx(0.5 * scipy.spatial.distance.cityblock(p, q), rel=1e-12)
        ref_h = scipy.spatial.distance.euclidean(np.sqrt(p), np.sqrt(q)) / math.sqrt(2)
        assert hes[i] == pytest.approx(ref_h, rel=1e-12)
        assert w1s[i] == pytest.approx(ot.wasserstein_1d(x, x, p, q, p=1), rel=1e-10)


def test_row_kernels_q_tail_is_the_left_out_cells_share():
    # Leaving out cells where p = 0 and passing q's mass there as q_tail gives the full value.
    from ot_engine.divergences import hellinger_rows, js_rows, tv_rows

    rng = np.random.default_rng(4)
    p = np.concatenate([rng.random(10), np.zeros(15)])
    q = rng.random(25)
    p, q = p / p.sum(), q / q.sum()
    with np.errstate(divide="ignore"):
        lp, lq = np.log(p), np.log(q)
    tail = q[10:].sum()
    assert js_rows(lp[:10], lq[:10], q_tail=tail) == pytest.approx(js_rows(lp, lq), rel=1e-13)
    assert tv_rows(p[:10], q[:10], q_tail=tail) == pytest.approx(tv_rows(p, q), rel=1e-13)
    assert hellinger_rows(p[:10], q[:10], q_tail=tail) == pytest.approx(
        hellinger_rows(p, q), rel=1e-13
    )
    assert js_rows(lp, lq) == pytest.approx(scipy.spatial.distance.jensenshannon(p, q) ** 2)


def test_critic_left_anchor_and_value_against_pot():
    # f = 0 at the leftmost point (for any order of the grid), and sum f (p - q) is POT's W1.
    x = np.array([2.0, 0.0, 3.5, 1.0, 0.5])
    p = np.array([0.1, 0.4, 0.0, 0.2, 0.3])
    q = np.array([0.3, 0.0, 0.5, 0.1, 0.1])
    f = kantorovich_critic_1d(x, p, q)
    assert f[1] == 0.0  # x = 0 is the leftmost point
    assert f @ (p - q) == pytest.approx(ot.wasserstein_1d(x, x, p, q, p=1), rel=1e-12)
    # Slope -sign(F_p - F_q) on each gap: F_p - F_q at 0, 0.5, 1, 2 is .4, .6, .7, .5 > 0.
    order = np.argsort(x)
    np.testing.assert_allclose(np.diff(f[order]), -np.diff(x[order]), rtol=1e-15)
