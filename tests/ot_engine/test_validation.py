"""Every kind of bad input raises InvalidInput (a ValueError) with an actionable message."""

import numpy as np
import pytest

from ot_engine import (
    MAX_SIZE,
    InvalidInput,
    brenier_map,
    cost_matrix,
    exact,
    hellinger,
    js,
    kantorovich_critic_1d,
    kl,
    monotone_plan_1d,
    sinkhorn,
    tv,
    uniform_grid,
    wasserstein_1d,
)

A = np.array([0.2, 0.3, 0.5])
B = np.array([0.5, 0.5])
C = np.ones((3, 2))


def test_is_a_value_error():
    assert issubclass(InvalidInput, ValueError)


BAD_HISTOGRAMS = [
    ([], "empty"),
    ([0.0, 0.0, 0.0], "no mass"),
    ([0.5, -0.1, 0.6], "negative"),
    ([0.5, np.nan, 0.5], "NaN"),
    ([0.5, np.inf, 0.5], "infinite"),
    ([[0.5, 0.5]], "1D"),
    (["a", "b"], "numbers"),
]


@pytest.mark.parametrize(("bad", "match"), BAD_HISTOGRAMS)
@pytest.mark.parametrize("solver", [sinkhorn, exact])
def test_bad_source_histogram(solver, bad, match):
    args = (bad, B, np.ones((len(bad), 2)) if len(bad) else C)
    if solver is sinkhorn:
        args = (*args, 0.1)
    with pytest.raises(InvalidInput, match=match):
        solver(*args)


@pytest.mark.parametrize(("bad", "match"), BAD_HISTOGRAMS)
@pytest.mark.parametrize("fn", [kl, js, tv, hellinger])
def test_bad_histogram_for_divergences(fn, bad, match):
    with pytest.raises(InvalidInput, match=match):
        fn(bad, [1.0, 1.0])


def test_no_mass_message_is_for_students():
    with pytest.raises(InvalidInput, match="p has no mass: add some mass to at least one bar"):
        kl([0, 0], [1, 1])


@pytest.mark.parametrize(
    ("cost", "match"),
    [
        (np.ones((2, 3)), "must be 3 x 2"),
        (np.ones(6), "2D"),
        (np.array([[1, 2], [3, np.nan], [1, 1]]), "NaN"),
        (np.array([[1, 2], [3, np.inf], [1, 1]]), "infinite"),
    ],
)
def test_bad_cost_matrix(cost, match):
    with pytest.raises(InvalidInput, match=match):
        sinkhorn(A, B, cost, 0.1)
    with pytest.raises(InvalidInput, match=match):
        exact(A, B, cost)


@pytest.mark.parametrize("eps", [0.0, -1.0, np.nan, np.inf, "0.1", None, [0.1], True])
def test_bad_eps(eps):
    with pytest.raises(InvalidInput, match="eps"):
        sinkhorn(A, B, C, eps)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"tol": 0.0}, "tol"), ({"max_iter": 0}, "max_iter"), ({"max_time": -1.0}, "max_time")],
)
def test_bad_solver_options(kwargs, match):
    with pytest.raises(InvalidInput, match=match):
        sinkhorn(A, B, C, 0.1, **kwargs)


def test_size_cap():
    big = np.ones(MAX_SIZE + 1)
    with pytest.raises(InvalidInput, match="at most 2048"):
        sinkhorn(big, B, np.ones((MAX_SIZE + 1, 2)), 0.1)
    with pytest.raises(InvalidInput, match="at most 2048"):
        exact(big, B, np.ones((MAX_SIZE + 1, 2)))
    with pytest.raises(InvalidInput):
        uniform_grid(MAX_SIZE + 1)


def test_different_masses_refused_when_asked():
    with pytest.raises(InvalidInput, match="normalize=True"):
        exact(2 * A, B, C, normalize=False)
    with pytest.raises(InvalidInput, match="normalize=True"):
        tv([1, 1], [0.5, 0.5], normalize=False)
    assert exact(2 * A, B, C).renormalized


def test_histograms_on_different_grids():
    with pytest.raises(InvalidInput, match="same grid"):
        kl([1, 1], [1, 1, 1])
    with pytest.raises(InvalidInput, match="points"):
        wasserstein_1d([0.0, 1.0], [1, 1, 1], [1, 1, 1])
    with pytest.raises(InvalidInput, match="points"):
        kantorovich_critic_1d([0.0, 1.0], [1, 1, 1], [1, 1, 1])
    with pytest.raises(InvalidInput, match="points"):
        monotone_plan_1d([0.0, 1.0], [1, 1, 1], [0.0], [1])


def test_bad_grids_and_points():
    with pytest.raises(InvalidInput):
        uniform_grid(0)
    with pytest.raises(InvalidInput):
        uniform_grid(4, 1.0, 0.0)
    with pytest.raises(InvalidInput, match="power"):
        cost_matrix([0.0], [1.0], power=0)
    with pytest.raises(InvalidInput, match="dimension"):
        cost_matrix(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(InvalidInput, match="order"):
        wasserstein_1d([0, 1], [1, 0], [0, 1], order=0.5)


@pytest.mark.parametrize(
    "solve",
    [
        lambda h: sinkhorn(h, np.full(8, 1 / 8), np.ones((8, 8)), 0.1),
        lambda h: exact(h, np.full(8, 1 / 8), np.ones((8, 8))),
        lambda h: kl(h, np.full(8, 1 / 8)),
        lambda h: wasserstein_1d(uniform_grid(8), h, np.full(8, 1 / 8)),
    ],
)
def test_histogram_whose_total_overflows(solve):
    # Every bar is finite but their sum is inf: this used to slip through and crash inside
    # the solver with numpy's "zero-size array" error.
    with pytest.raises(InvalidInput, match="total"):
        solve(np.full(8, 1e308))


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: brenier_map([[0.0]], [0.0], 0.0, [1.0], 1.0), "sigma_p"),
        (lambda: cost_matrix([0.0], [1.0], power=-1.0), "power"),
        (lambda: wasserstein_1d([0, 1], [1, 0], [0, 1], order=0.0), "order"),
        (lambda: sinkhorn(A, B, C, 0.1, tol=0.0), "tol"),
        (lambda: sinkhorn(A, B, C, 0.1, max_time=-1.0), "max_time"),
    ],
)
def test_positive_argument_messages_name_the_argument(call, name):
    # check_positive used to reuse the eps message: "sigma_p must be positive (the
    # regularization strength)".
    with pytest.raises(InvalidInput) as info:
        call()
    message = str(info.value)
    assert message.startswith(f"{name} must be positive")
    assert "regularization" not in message


def test_eps_message_still_explains_eps():
    with pytest.raises(InvalidInput, match="regularization"):
        sinkhorn(A, B, C, 0.0)


def test_uniform_grid_cap_is_max_size(monkeypatch):
    import importlib

    geometry = importlib.import_module("ot_engine.geometry")
    monkeypatch.setattr(geometry, "MAX_SIZE", 8)
    assert uniform_grid(8).size == 8
    with pytest.raises(InvalidInput, match="between 1 and 8"):
        uniform_grid(9)


@pytest.mark.parametrize(
    ("bad", "match"),
    [(np.nan, "NaN"), (np.inf, "infinite"), (-np.inf, "infinite")],
)
def test_cost_with_one_bad_entry_among_huge_ones(bad, match):
    # The finiteness check sums the matrix first; a sum that overflows (finite entries, the
    # first row) or one that is NaN from inf - inf must still name the real problem.
    Cb = np.full((3, 2), 1e308)
    Cb[1, 0] = -1e308
    Cb[2, 1] = bad
    with pytest.raises(InvalidInput, match=match):
        sinkhorn(A, B, Cb, 0.1)


def test_cost_of_huge_finite_entries_is_accepted():
    # Every entry is finite although their sum overflows: not an error of the input.
    res = sinkhorn(A, B, np.full((3, 2), 1e308), 1e307)
    assert np.isfinite(res.plan).all()
