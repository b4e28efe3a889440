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


@pytest.fixture(name="bumps")
def bumps_fixture():
    """The :func:`bumps` problem factory, as a fixture (tests here are not a package)."""
    return bumps
