"""monge_map: exact search for Monge maps, against brute force, POT and scipy."""

from __future__ import annotations

import itertools
import math

import numpy as np
import ot
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from ot_engine import InvalidInput, MongeResult, cost_matrix, exact, monge_map


def brute_force(a, b, C, atol=1e-9):
    """Every assignment of sources to targets: (number of maps, best cost)."""
    a, b = np.asarray(a, float) / np.sum(a), np.asarray(b, float) / np.sum(b)
    n, m = len(a), len(b)
    count, best = 0, math.inf
    for T in itertools.product(range(m), repeat=n):
        filled = np.bincount(T, weights=a, minlength=m)
        if np.all(np.abs(filled - b) <= atol):
            count += 1
            best = min(best, float(np.sum(a * C[np.arange(n), T])))
    return count, best


def test_one_atom_into_two_halves_has_no_map():
    res = monge_map([1.0], [0.5, 0.5], [[0.0, 1.0]])
    assert isinstance(res, MongeResult)
    assert not res.exists and res.n_maps == 0 and math.isinf(res.cost)
    assert (res.assignment == -1).all() and (res.plan == 0).all()
    assert "no Monge map" in res.message


def test_result_is_immutable():
    res = monge_map([0.5, 0.5], [0.5, 0.5], np.eye(2))
    with pytest.raises(AttributeError):
        res.cost = 0.0
    with pytest.raises(ValueError):
        res.plan[0, 0] = 1.0
    with pytest.raises(ValueError):
        res.assignment[0] = 1


masses = st.lists(st.integers(1, 4), min_size=1, max_size=5)


@given(masses, masses, st.integers(0, 2**31 - 1))
def test_matches_brute_force(wa, wb, seed):
    # Integer masses scaled to the same total make exact fillings common.
    a = np.array(wa, float) / sum(wa)
    b = np.array(wb, float) / sum(wb)
    rng = np.random.default_rng(seed)
    C = rng.random((a.size, b.size))
    res = monge_map(a, b, C)
    count, best = brute_force(a, b, C)
    assert res.n_maps == count and res.exists == (count > 0)
    if count:
        assert res.cost == pytest.approx(best, rel=1e-12, abs=1e-14)
        assert res.marginal_error <= 1e-12
        assert res.plan.sum(1) == pytest.approx(a)
        assert np.sum(res.plan * C) == pytest.approx(res.cost)
        # A map is a plan: never cheaper than the exact LP (POT's network simplex).
        assert res.cost >= ot.emd2(a, b, C) - 1e-12
    else:
        assert math.isinf(res.cost)


@given(st.integers(1, 8), st.integers(0, 2**31 - 1), st.sampled_from([1, 2]))
def test_equal_atoms_best_map_is_an_optimal_plan(n, seed, p):
    """Birkhoff: n equal atoms onto n, the best permutation costs what the best plan does."""
    rng = np.random.default_rng(seed)
    x, y = rng.random(n), rng.random(n)
    C = cost_matrix(x, y, power=p)
    a = np.full(n, 1.0 / n)
    res = monge_map(a, a, C)
    rows, cols = linear_sum_assignment(C)
    assert res.exists and res.n_maps == math.factorial(n)
    assert res.cost == pytest.approx(C[rows, cols].sum() / n, rel=1e-12, abs=1e-15)
    assert res.cost == pytest.approx(exact(a, a, C).cost, rel=1e-9, abs=1e-15)
    assert sorted(res.assignment.tolist()) == list(range(n))


def test_unequal_masses_map_exists_but_costs_more_than_the_plan():
    x, y = np.array([0.1, 0.5, 0.9]), np.array([0.2, 0.6, 0.8])
    a, b = np.array([0.5, 0.25, 0.25]), np.array([0.25, 0.25, 0.5])
    C = cost_matrix(x, y, power=1)
    res = monge_map(a, b, C)
    assert res.exists and res.n_maps == 2
    assert res.assignment.tolist() == [2, 0, 1]
    assert res.cost == pytest.approx(0.35 + 0.25 * 0.3 + 0.25 * 0.3)
    assert exact(a, b, C).cost == pytest.approx(0.25)


def test_totals_are_normalized_and_reported():
    res = monge_map([2.0, 2.0], [1.0, 1.0], np.eye(2))
    assert res.renormalized and res.mass_a == 4.0 and res.mass_b == 2.0
    assert res.exists and res.cost == 0.0
    with pytest.raises(InvalidInput, match="sum to 1"):
        monge_map([2.0, 2.0], [1.0, 1.0], np.eye(2), normalize=False)


def test_tolerance_decides_near_equal_masses():
    a, b = [0.5 + 1e-7, 0.5 - 1e-7], [0.5, 0.5]
    assert not monge_map(a, b, np.eye(2)).exists
    assert monge_map(a, b, np.eye(2), atol=1e-6).exists


@pytest.mark.parametrize(
    "a, b, C, match",
    [
        ([], [1.0], np.zeros((0, 1)), "empty"),
        ([1.0, -0.5], [1.0], np.zeros((2, 1)), "negative"),
        ([1.0, 0.0], [1.0], np.zeros((2, 1)), "positive mass"),
        ([0.0], [1.0], np.zeros((1, 1)), "no mass"),
        ([np.nan], [1.0], np.zeros((1, 1)), "NaN"),
        ([1.0] * 13, [1.0], np.zeros((13, 1)), "at most 12"),
        ([1.0], [1.0], np.zeros((2, 1)), "shape"),
        ([1.0], [1.0], [[np.inf]], "infinite"),
    ],
)
def test_bad_input_raises_invalid_input(a, b, C, match):
    with pytest.raises(InvalidInput, match=match):
        monge_map(a, b, C)


@pytest.mark.parametrize("atol", [-1.0, 0.5, math.nan, "1e-9", True])
def test_bad_tolerance_raises(atol):
    with pytest.raises(InvalidInput, match="atol"):
        monge_map([1.0], [1.0], [[0.0]], atol=atol)


def test_eight_by_eight_worst_case_is_exact_and_quick():
    """Eight equal atoms onto two halves: 70 ways to choose a half, all found."""
    a, b = np.full(8, 1 / 8), np.array([0.5, 0.5])
    x = np.linspace(0, 1, 8)
    C = cost_matrix(x, np.array([0.25, 0.75]), power=2)
    res = monge_map(a, b, C)
    assert res.n_maps == math.comb(8, 4)
    assert res.cost == pytest.approx(exact(a, b, C).cost)  # the monotone plan is a map here
    assert res.assignment.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
