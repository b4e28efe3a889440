"""Shared problems for the engine tests."""

import numpy as np
import pytest

from ot_engine import cost_matrix, uniform_grid


def bumps(n, seed=0):
    """Two smooth, different histograms on a uniform grid of [0, 1] (all bars positive)."""
    x = uniform_grid(n)
    rng = np.random.default_rng(seed)
    a = np.exp(-((x - 0.3) ** 2) / 0.01) + 0.5 * np.exp(-((x - 0.7) ** 2) / 0.005)
    a += 0.01 * rng.random(n)
    b = np.exp(-((x - 0.6) ** 2) / 0.02) + 0.3 * np.exp(-((x - 0.2) ** 2) / 0.002)
    b += 0.01 * rng.random(n)
    return x, a / a.sum(), b / b.sum()


@pytest.fixture
def grid_problem():
    x, a, b = bumps(64)
    return x, a, b, cost_matrix(x, x, power=2)


def pot_log_plan(a, b, C, eps, stop_thr):
    """POT's log-domain Sinkhorn plan, the oracle for hard problems: exact once run long
    enough (slow, which is the point). Zero bars are left out for it (its log of 0 is -inf)
    and get zero rows and columns."""
    import ot

    keep_a, keep_b = a > 0, b > 0
    P = np.zeros_like(C)
    P[np.ix_(keep_a, keep_b)] = ot.sinkhorn(
        a[keep_a],
        b[keep_b],
        C[np.ix_(keep_a, keep_b)],
        eps,
        method="sinkhorn_log",
        stopThr=stop_thr,
        numItermax=200_000,
    )
    return P


@pytest.fixture(name="pot_log_plan")
def pot_log_plan_fixture():
    """:func:`pot_log_plan` as a fixture (tests here are not a package)."""
    return pot_log_plan


@pytest.fixture(name="bumps")
def bumps_fixture():
    """The :func:`bumps` problem factory, as a fixture (tests here are not a package)."""
    return bumps
