"""ot_engine.unbalanced: against POT where POT is right, closed forms and limits."""

from __future__ import annotations

import math
import warnings

import numpy as np
import ot
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import linprog
from scipy.special import kl_div

from ot_engine import (
    InvalidInput,
    cost_matrix,
    partial_transport,
    sinkhorn,
    sinkhorn_unbalanced,
    uniform_grid,
)


def problem(n, m, seed, scale_b=1.7):
    rng = np.random.default_rng(seed)
    x, y = uniform_grid(n), uniform_grid(m)
    return rng.random(n) / n, scale_b * rng.random(m) / m, cost_matrix(x, y)


def primal(P, a, b, C, eps, rho):
    """The objective, written out independently (scipy's elementwise generalized KL)."""
    return (
        float(np.sum(C * P))
        + eps * float(kl_div(P, np.outer(a, b)).sum())
        + rho * float(kl_div(P.sum(1), a).sum())
        + rho * float(kl_div(P.sum(0), b).sum())
    )


def dual(f, g, a, b, C, eps, rho):
    """The dual objective at (f, g): equal to the primal at the optimum (strong duality)."""
    return (
        -rho * float(a @ (np.exp(-f / rho) - 1))
        - rho * float(b @ (np.exp(-g / rho) - 1))
        - eps * float(np.sum(np.outer(a, b) * (np.exp((f[:, None] + g[None, :] - C) / eps) - 1)))
    )


# --- against POT ------------------------------------------------------------------------------


@pytest.mark.parametrize("eps", [0.1, 0.02])
@pytest.mark.parametrize("rho", [0.05, 1.0, 20.0])
def test_plan_matches_pot_generalized_sinkhorn_at_moderate_eps(eps, rho):
    a, b, C = problem(30, 40, seed=1)
    res = sinkhorn_unbalanced(a, b, C, eps, rho, tol=1e-13)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        P = ot.unbalanced.sinkhorn_unbalanced(
            a, b, C, eps, rho, method="sinkhorn", stopThr=1e-15, numItermax=200_000
        )
    assert res.converged
    np.testing.assert_allclose(res.plan, P, atol=1e-12, rtol=0)


def test_pot_stabilized_returns_zero_at_small_eps_where_the_engine_converges():
    # The pitfall the engine exists for (stack-facts): 128 bins, eps = 1e-3.
    n = 128
    x = uniform_grid(n)
    C = cost_matrix(x, x)
    a = np.exp(-((x - 0.3) ** 2) / 0.01) / n
    b = 1.5 * np.exp(-((x - 0.6) ** 2) / 0.02) / n
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        P_pot = ot.unbalanced.sinkhorn_unbalanced(a, b, C, 1e-3, 0.1, method="sinkhorn_stabilized")
    res = sinkhorn_unbalanced(a, b, C, 1e-3, 0.1)
    assert res.converged and res.transported > 0.01
    assert P_pot.sum() < 1e-3 * res.transported or not np.isfinite(P_pot).all()


@pytest.mark.parametrize("eps", [1e-2, 1e-3])
@pytest.mark.parametrize("rho", [0.05, 0.5, 5.0])
def test_no_duality_gap_at_small_eps(eps, rho):
    # Independent of any other solver: the primal at the plan equals the dual at (f, g) only
    # at the optimum.
    a, b, C = problem(24, 20, seed=3)
    res = sinkhorn_unbalanced(a, b, C, eps, rho, tol=1e-12, max_time=5)
    assert res.converged
    p = primal(res.plan, a, b, C, eps, rho)
    d = dual(res.f, res.g, a, b, C, eps, rho)
    assert p == pytest.approx(res.objective, rel=1e-9, abs=1e-14)
    assert abs(p - d) <= 1e-8 * (a.sum() + b.sum())


@pytest.mark.parametrize("rho", [0.05, 0.5, 5.0])
def test_small_eps_approaches_the_unregularized_optimum_of_mm_unbalanced(rho):
    # eps -> 0: the entropic plan's unregularized objective tends to the optimum that POT's
    # majorization-minimization reaches with reg = 0; the gap shrinks with eps.
    a, b, C = problem(24, 24, seed=0)

    def unreg(P):
        return primal(P, a, b, C, 0.0, rho)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        G = ot.unbalanced.mm_unbalanced(a, b, C, rho, reg=0, div="kl", numItermax=20_000)
    v0 = unreg(G)
    gaps = [unreg(sinkhorn_unbalanced(a, b, C, eps, rho).plan) - v0 for eps in (1e-2, 1e-3)]
    assert 0 < gaps[1] < gaps[0]
    assert gaps[1] <= 2e-3 * max(v0, 1e-3) + 2e-4


# --- closed forms and limits ------------------------------------------------------------------


@given(
    a=st.floats(1e-3, 10.0),
    b=st.floats(1e-3, 10.0),
    c=st.floats(0.0, 2.0),
    eps=st.floats(1e-2, 1.0),
    rho=st.floats(1e-2, 1e2),
)
@settings(max_examples=40)
def test_one_bar_against_one_bar_closed_form(a, b, c, eps, rho):
    # d/dp [c p + eps KL(p|ab) + rho KL(p|a) + rho KL(p|b)] = 0
    #   <=> c + eps log(p/ab) + rho log(p/a) + rho log(p/b) = 0
    #   <=> p = (ab)^((eps + rho)/(eps + 2 rho)) exp(-c/(eps + 2 rho)).
    res = sinkhorn_unbalanced([a], [b], [[c]], eps, rho, tol=1e-11)
    p = (a * b) ** ((eps + rho) / (eps + 2 * rho)) * math.exp(-c / (eps + 2 * rho))
    assert res.converged
    assert res.plan[0, 0] == pytest.approx(p, rel=1e-9)


def test_large_rho_gives_the_balanced_plan_when_totals_are_equal():
    a, b, C = problem(20, 25, seed=5, scale_b=1.0)
    b = b * a.sum() / b.sum()
    mass = a.sum()
    balanced = sinkhorn(a, b, C, 0.05, tol=1e-13).plan * mass
    errors = []
    for rho in (1e2, 1e4):
        res = sinkhorn_unbalanced(a, b, C, 0.05, rho, tol=1e-12)
        assert res.converged
        errors.append(np.abs(res.plan - balanced).sum())
    assert errors[1] < errors[0] / 50  # O(1/rho)
    assert errors[1] < 1e-5 * mass


def test_small_rho_moves_almost_nothing_between_far_bars():
    x = uniform_grid(64)
    C = cost_matrix(x, x)
    a = np.where(x < 0.25, 1.0, 0.0) / 64
    b = np.where(x > 0.75, 1.0, 0.0) / 64
    moved = [sinkhorn_unbalanced(a, b, C, 1e-3, rho).transported for rho in (1e-3, 1e-1, 10)]
    assert moved[0] < 1e-6 * a.sum() and moved[0] < moved[1] < moved[2]
    assert moved[2] == pytest.approx(a.sum(), rel=0.1)


# --- bookkeeping, empty bars, warm starts, honesty --------------------------------------------


@given(
    a=arrays(np.float64, 12, elements=st.floats(0.0, 1.0)),
    b=arrays(np.float64, 9, elements=st.floats(0.0, 1.0)),
    rho=st.floats(1e-2, 1e2),
)
@settings(max_examples=30)
@example(a=np.full(12, 1e-308), b=np.full(9, 1e-308), rho=0.5)
@example(a=np.ones(12), b=np.full(9, 1e-308), rho=1.0)
def test_the_books_balance(a, b, rho):
    if min(a.sum(), b.sum()) < 1e-200:
        with pytest.raises(InvalidInput, match=r"no mass|too small|too little"):
            sinkhorn_unbalanced(a, b, cost_matrix(uniform_grid(12), uniform_grid(9)), 0.05, rho)
        return
    res = sinkhorn_unbalanced(a, b, cost_matrix(uniform_grid(12), uniform_grid(9)), 0.05, rho)
    assert res.converged
    assert res.mass_a + res.created - res.destroyed == pytest.approx(res.mass_b, abs=1e-12)
    assert np.all(res.plan[a == 0] == 0) and np.all(res.plan[:, b == 0] == 0)
    assert np.isfinite(res.f).all() and np.isfinite(res.g).all()
    assert res.objective == pytest.approx(
        res.cost + res.entropy_term + res.kl_a_term + res.kl_b_term
    )
    # at the optimum the row marginal is a reweighted by exp(-f/rho)
    np.testing.assert_allclose(res.sent, a * np.exp(-res.f / rho), atol=1e-9 * (a.sum() + 1))


def test_warm_start_from_another_rho_is_used_and_faster():
    a, b, C = problem(128, 128, seed=2)
    first = sinkhorn_unbalanced(a, b, C, 1e-3, 1.0)
    cold = sinkhorn_unbalanced(a, b, C, 1e-3, 1.2)
    warm = sinkhorn_unbalanced(a, b, C, 1e-3, 1.2, warm_start=first)
    assert warm.warm_started and warm.converged and cold.converged
    assert warm.iterations < cold.iterations
    np.testing.assert_allclose(warm.plan, cold.plan, atol=1e-9)
    # a warm start of another size is ignored
    other = sinkhorn_unbalanced(a[:64], b, C[:64], 1e-3, 1.0, warm_start=first)
    assert not other.warm_started and other.converged


def test_caps_are_reported_not_hidden():
    a, b, C = problem(64, 64, seed=4)
    res = sinkhorn_unbalanced(a, b, C, 1e-4, 5.0, max_iter=3)
    assert not res.converged and "NOT converged" in res.message
    assert np.isfinite(res.marginal_error) and res.marginal_error > 0
    assert np.isfinite(res.plan).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rho": 0.0}, "rho = 0 makes the marginals free"),
        ({"rho": math.inf}, "rho = inf enforces the marginals"),
        ({"rho": -1.0}, "rho must be positive"),
        ({"rho": math.nan}, "rho must be positive"),
        ({"rho": "1"}, "rho must be positive"),
        ({"eps": 0.0}, "eps must be positive"),
        ({"a": [0.0, 0.0]}, "a has no mass"),
        ({"b": [0.0, 0.0, 0.0]}, "b has no mass"),
        ({"a": [1.0, -1.0]}, "negative"),
        ({"a": [1.0, math.nan]}, "NaN"),
        ({"C": np.ones((3, 3))}, "shape"),
        ({"warm_start": 3}, "warm_start"),
    ],
)
def test_bad_input_raises_invalid_input_with_a_clear_message(kwargs, match):
    args = {"a": [0.5, 0.5], "b": [0.2, 0.3, 0.4], "C": np.ones((2, 3)), "eps": 0.1, "rho": 1.0}
    args.update(kwargs)
    with pytest.raises(InvalidInput, match=match):
        sinkhorn_unbalanced(
            args.pop("a"), args.pop("b"), args.pop("C"), args.pop("eps"), args.pop("rho"), **args
        )


# --- partial transport ------------------------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.0, 0.2, 0.5, 0.9, 1.0])
def test_partial_matches_pot_partial_wasserstein(fraction):
    a, b, C = problem(20, 30, seed=6)
    res = partial_transport(a, b, C, fraction)
    m = fraction * min(a.sum(), b.sum())
    P = ot.partial.partial_wasserstein(a, b, C, m=m)
    assert res.converged and res.mass == pytest.approx(m)
    assert res.cost == pytest.approx(float(np.sum(P * C)), abs=1e-12)
    assert res.transported == pytest.approx(m, abs=1e-12)
    assert np.all(res.sent <= a + 1e-12) and np.all(res.received <= b + 1e-12)
    assert res.mass_a + res.created - res.destroyed == pytest.approx(res.mass_b, abs=1e-12)


def test_partial_matches_a_linear_program():
    a, b, C = problem(6, 5, seed=7)
    m = 0.6 * min(a.sum(), b.sum())
    n, k = C.shape
    rows = np.kron(np.eye(n), np.ones(k))
    cols = np.kron(np.ones(n), np.eye(k))
    lp = linprog(
        C.ravel(),
        A_ub=np.vstack([rows, cols]),
        b_ub=np.concatenate([a, b]),
        A_eq=np.ones((1, n * k)),
        b_eq=[m],
        bounds=(0, None),
        method="highs",
    )
    assert partial_transport(a, b, C, 0.6).cost == pytest.approx(lp.fun, abs=1e-12)


def test_partial_with_negative_costs_and_bad_fractions():
    a, b, C = problem(8, 8, seed=8)
    shifted = partial_transport(a, b, C - 3.0, 0.5)
    plain = partial_transport(a, b, C, 0.5)
    assert shifted.cost == pytest.approx(plain.cost - 3.0 * plain.mass, abs=1e-12)
    for bad in (-0.1, 1.5, math.nan, "half", True):
        with pytest.raises(InvalidInput, match="fraction"):
            partial_transport(a, b, C, bad)


def test_empty_bars_match_pot_on_the_bars_with_mass():
    # POT's generalized Sinkhorn goes silently wrong when a histogram has empty bars (on a page
    # view: 0.0036 moved instead of 0.1058); on the bars with mass it is right, and so is the
    # engine on the whole problem.
    a, b, C = problem(30, 30, seed=9)
    a[:8] = 0.0
    b[20:] = 0.0
    res = sinkhorn_unbalanced(a, b, C, 0.05, 0.3, tol=1e-13)
    i, j = a > 0, b > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        P = ot.unbalanced.sinkhorn_unbalanced(
            a[i], b[j], C[np.ix_(i, j)], 0.05, 0.3, stopThr=1e-15, numItermax=200_000
        )
    np.testing.assert_allclose(res.plan[np.ix_(i, j)], P, atol=1e-12, rtol=0)
    assert res.plan[~i].sum() == 0 and res.plan[:, ~j].sum() == 0
