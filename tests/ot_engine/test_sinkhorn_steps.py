"""ot_engine.sinkhorn_steps against POT, a from-scratch transcription and the 2 x 2 closed form."""

from __future__ import annotations

import warnings

import numpy as np
import ot
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ot_engine import InvalidInput, cost_matrix, sinkhorn, uniform_grid
from ot_engine.sinkhorn_steps import CHECKPOINT_EVERY, entropic_plan_2x2, sinkhorn_steps

from .conftest import bumps


def _pot_plain(a, b, C, reg, iterations):
    """POT's Sinkhorn-Knopp stopped after ``iterations`` (column scaling, then row)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ot.sinkhorn(a, b, C, reg, numItermax=iterations, stopThr=0.0)


def test_the_worked_2x2_example_has_the_closed_form_plan():
    a, b = np.array([0.5, 0.5]), np.array([0.1, 0.9])
    C = np.array([[0.0, 1.0], [1.0, 0.0]])
    P = entropic_plan_2x2(a, b, C, 1.0)
    # Cross ratio of the kernel and the marginals: the two conditions that define it.
    assert P[0, 0] * P[1, 1] / (P[0, 1] * P[1, 0]) == pytest.approx(np.e**2, rel=1e-12)
    np.testing.assert_allclose(P.sum(1), a, atol=1e-15)
    np.testing.assert_allclose(P.sum(0), b, atol=1e-15)
    np.testing.assert_allclose(P, ot.sinkhorn(a, b, C, 1.0, stopThr=1e-15), atol=1e-12)
    for domain in ("plain", "log"):
        run = sinkhorn_steps(a, b, C, 1.0, domain=domain, half_steps=80)
        np.testing.assert_allclose(run.plan(80), P, atol=1e-13)
    # The source's "concentrates on (1, 2)" is wrong: the diagonal holds most of the mass.
    assert P[0, 0] + P[1, 1] > 0.57 and P[1, 1] > P[0, 1]


@given(
    a1=st.floats(0.01, 0.99),
    b1=st.floats(0.01, 0.99),
    eps=st.floats(0.05, 5.0),
    c=st.lists(st.floats(0.0, 2.0), min_size=4, max_size=4),
)
def test_closed_form_2x2_matches_pot(a1, b1, eps, c):
    a, b = np.array([a1, 1 - a1]), np.array([b1, 1 - b1])
    C = np.array(c).reshape(2, 2)
    P = entropic_plan_2x2(a, b, C, eps)
    ref = ot.sinkhorn(a, b, C, eps, method="sinkhorn_log", stopThr=1e-15, numItermax=100_000)
    np.testing.assert_allclose(P, ref, atol=1e-9)


@pytest.mark.parametrize("iterations", [1, 2, 7, 30])
def test_plain_iterates_match_pot_iteration_by_iteration(grid_problem, iterations):
    """POT scales columns first from u = 1/n: the transposed problem run rows-first from v = 1
    makes the same plans (scalings differ by a constant that cancels)."""
    _, a, b, C = grid_problem
    eps = 0.02
    ref = _pot_plain(a, b, C, eps, iterations)
    for domain in ("plain", "log"):
        run = sinkhorn_steps(b, a, C.T, eps, domain=domain, half_steps=2 * iterations)
        np.testing.assert_allclose(run.plan(2 * iterations).T, ref, rtol=1e-9, atol=1e-15)


def test_errors_are_those_of_the_plans(grid_problem):
    _, a, b, C = grid_problem
    run = sinkhorn_steps(a, b, C, 0.01, domain="log", half_steps=3 * CHECKPOINT_EVERY + 5)
    for k in (0, 1, 2, CHECKPOINT_EVERY, CHECKPOINT_EVERY + 1, run.half_steps):
        P = run.plan(k)
        assert run.row_error[k] == pytest.approx(np.abs(P.sum(1) - a).sum(), abs=1e-13)
        assert run.col_error[k] == pytest.approx(np.abs(P.sum(0) - b).sum(), abs=1e-13)
    assert (run.row_error[1::2] < 1e-13).all() and (run.col_error[2::2] < 1e-13).all()


def test_converged_plans_match_pot_and_ot_engine(grid_problem):
    _, a, b, C = grid_problem
    eps = 0.01
    ref = sinkhorn(a, b, C, eps, tol=1e-12)
    pot_log = ot.sinkhorn(a, b, C, eps, method="sinkhorn_log", stopThr=1e-14, numItermax=10**5)
    for domain in ("plain", "log"):
        run = sinkhorn_steps(a, b, C, eps, domain=domain, half_steps=4000, tol=1e-12)
        assert run.converged_at is not None
        P = run.plan(run.half_steps)
        np.testing.assert_allclose(P, ref.plan, atol=1e-11)
        np.testing.assert_allclose(P, pot_log, atol=1e-11)
    # Stopping at tol records no more than needed, and counts whole iterations.
    short = sinkhorn_steps(a, b, C, eps, half_steps=4000, tol=1e-6, stop_at_tol=True)
    assert short.half_steps == short.converged_at
    assert short.iterations_to_tol == (short.converged_at + 1) // 2


def test_plain_kernel_underflow_is_reported_not_hidden():
    x = uniform_grid(32)
    C = cost_matrix(x, x)
    _, a, b = bumps(32)
    a = np.zeros(32)
    a[2] = 1.0  # all mass at one end: its row of the kernel underflows far away
    eps = 1e-4
    plain = sinkhorn_steps(a, b, C, eps, domain="plain", half_steps=100)
    assert plain.kernel_zeros > 0
    assert plain.breakdown is not None and plain.half_steps == plain.breakdown
    assert np.isnan(plain.row_error[-1]) and np.isnan(plain.col_error[-1])
    assert not np.isfinite(plain.plan(plain.breakdown)).all()
    assert "divided by 0" in plain.breakdown_reason or "overflowed" in plain.breakdown_reason
    log = sinkhorn_steps(a, b, C, eps, domain="log", half_steps=100)
    assert log.breakdown is None
    P = log.plan(100)
    assert np.isfinite(P).all()
    # One source atom: the plan after a column scaling is exact (its row is b itself).
    np.testing.assert_allclose(P[2], b, atol=1e-12)
    # POT's plain method returns a silently wrong plan here (only warnings).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        P_pot = ot.sinkhorn(a, b, C, eps, numItermax=50)
    assert not np.allclose(np.nan_to_num(P_pot), P, atol=1e-3)


def test_empty_bars_get_no_mass(grid_problem):
    _, a, b, C = grid_problem
    a = a.copy()
    a[:10] = 0.0
    for domain in ("plain", "log"):
        run = sinkhorn_steps(a, b, C, 0.02, domain=domain, half_steps=300)
        P = run.plan(300)
        assert np.isfinite(P).all() and run.breakdown is None
        assert (P[:10] == 0).all()
        assert run.marginal_error[-1] < 1e-8


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"a": [0.0, 0.0]}, "no mass"),
        ({"a": [-1.0, 2.0]}, "negative"),
        ({"a": [np.nan, 1.0]}, "NaN"),
        ({"eps": 0.0}, "positive"),
        ({"eps": np.inf}, "finite"),
        ({"domain": "fast"}, "domain"),
        ({"half_steps": 0}, "half_steps"),
        ({"half_steps": 10**9}, "half_steps"),
        ({"half_steps": 2.5}, "half_steps"),
        ({"C": np.ones((3, 2))}, "shape"),
        ({"a": np.ones(600), "b": np.ones(600), "C": np.zeros((600, 600))}, "at most"),
    ],
)
def test_bad_input_raises_invalid_input(kwargs, message):
    args = {"a": [0.5, 0.5], "b": [0.1, 0.9], "C": [[0.0, 1.0], [1.0, 0.0]], "eps": 1.0}
    args.update(kwargs)
    extra = {k: args.pop(k) for k in ("domain", "half_steps") if k in args}
    with pytest.raises(InvalidInput, match=message):
        sinkhorn_steps(args["a"], args["b"], args["C"], args["eps"], **extra)


def test_state_index_is_checked():
    run = sinkhorn_steps([0.5, 0.5], [0.1, 0.9], [[0, 1], [1, 0]], 1.0, half_steps=4)
    for k in (-1, 5, 1.5, True):
        with pytest.raises(InvalidInput):
            run.plan(k)
    with pytest.raises(InvalidInput, match="2 bars"):
        entropic_plan_2x2([0.2, 0.3, 0.5], [0.5, 0.5], np.zeros((3, 2)), 1.0)


def test_record_is_frozen_and_bounded():
    x = uniform_grid(64)
    _, a, b = bumps(64)
    run = sinkhorn_steps(a, b, cost_matrix(x, x), 0.01, half_steps=400)
    with pytest.raises(ValueError):
        run.row_error[0] = 1.0
    # Scalings are kept at checkpoints only: memory grows with half_steps / CHECKPOINT_EVERY.
    assert len(run._checkpoints) == 400 // CHECKPOINT_EVERY + 1
