"""ot_engine.gromov against POT, a brute-force objective, and the invariances of GW."""

from __future__ import annotations

import itertools

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ot_engine import (
    GromovResult,
    InvalidInput,
    distance_matrix,
    gromov_multistart,
    gromov_wasserstein,
    gw_objective,
)
from ot_engine.gromov import MAX_POINTS, random_coupling
from ot_engine.gromov_scene import PRESETS, make_scene, rotate, rotation


def _brute_force(C1, C2, T):
    """The four-index sum itself, O(n^2 m^2)."""
    L = (C1[:, None, :, None] - C2[None, :, None, :]) ** 2  # [i, j, k, l]
    return float(np.einsum("ijkl,ij,kl->", L, T, T))


def _shapes(n=30, seed=0, preset="spiral", noise=0.02):
    scene = make_scene(preset, n, noise=noise, seed=seed)
    return scene, distance_matrix(scene.X), distance_matrix(scene.Y)


@given(seed=st.integers(0, 10_000), n=st.integers(2, 7), m=st.integers(2, 7))
@settings(max_examples=30, deadline=None)
def test_objective_is_the_four_index_sum(seed, n, m):
    rng = np.random.default_rng(seed)
    C1 = distance_matrix(rng.normal(size=(n, 2)))
    C2 = distance_matrix(rng.normal(size=(m, 3)))
    T = rng.random((n, m))  # any non-negative T: its own marginals are used
    assert gw_objective(C1, C2, T) == pytest.approx(_brute_force(C1, C2, T), rel=1e-10, abs=1e-12)


def test_objective_matches_pot_gwloss():
    _, C1, C2 = _shapes(25)
    p = np.full(25, 1 / 25)
    T = np.outer(p, p)
    constC, hC1, hC2 = ot.gromov.init_matrix(C1, C2, p, p, "square_loss")
    assert gw_objective(C1, C2, T) == pytest.approx(ot.gromov.gwloss(constC, hC1, hC2, T))


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("start", ["product", "random"])
def test_conditional_gradient_matches_pot_from_the_same_start(preset, start):
    _, C1, C2 = _shapes(40, seed=3, preset=preset)
    p = np.full(40, 1 / 40)
    G0 = np.outer(p, p) if start == "product" else random_coupling(p, p, seed=5)
    res = gromov_wasserstein(C1, C2, G0=G0)
    _, log = ot.gromov.gromov_wasserstein(C1, C2, p, p, G0=G0, log=True)
    assert isinstance(res, GromovResult) and res.converged
    assert res.marginal_error < 1e-12
    assert res.value == pytest.approx(log["gw_dist"], rel=1e-6, abs=1e-10)
    assert res.value == pytest.approx(gw_objective(C1, C2, res.plan), rel=1e-12, abs=1e-14)
    assert res.gap <= 1e-8


def test_entropic_matches_pot_mirror_descent():
    _, C1, C2 = _shapes(30, seed=2)
    p = np.full(30, 1 / 30)
    eps = 0.02
    res = gromov_wasserstein(C1, C2, eps=eps)
    T_pot = ot.gromov.entropic_gromov_wasserstein(
        C1,
        C2,
        p,
        p,
        "square_loss",
        epsilon=eps,
        solver="PGD",
        max_iter=2000,
        tol=1e-11,
        stopThr=1e-13,
        numItermax=100_000,
    )
    assert res.converged and res.marginal_error < 1e-8
    assert np.abs(res.plan - T_pot).max() < 1e-7
    assert res.value == pytest.approx(gw_objective(C1, C2, T_pot), rel=1e-6)


def test_entropic_value_is_above_the_exact_one_and_approaches_it():
    _, C1, C2 = _shapes(30, seed=4, preset="mirror", noise=0.0)
    exact = gromov_multistart(C1, C2, starts=4, seed=0).result.value
    values = [gromov_wasserstein(C1, C2, eps=e).value for e in (0.03, 0.003)]
    assert exact < 1e-12
    assert values[0] > values[1] > exact


def test_isometric_copy_has_gw_zero_at_the_right_coupling():
    scene, C1, C2 = _shapes(30, seed=7, preset="mirror", noise=0.0)
    n = 30
    P = np.zeros((n, n))
    P[scene.order, np.arange(n)] = 1 / n  # row order[j] of X is row j of Y
    assert gw_objective(C1, C2, P) < 1e-24
    res = gromov_wasserstein(C1, C2, G0=P)
    assert res.value < 1e-24 and res.converged
    best = gromov_multistart(C1, C2, starts=4, seed=1).result
    assert best.value < 1e-12
    # the coupling found is that permutation
    assert np.array_equal(best.plan.argmax(0), scene.order)


@pytest.mark.parametrize("eps", [0.0, 0.01])
def test_rotation_and_reflection_leave_value_and_coupling_unchanged(eps):
    scene, C1, C2 = _shapes(35, seed=1, preset="spiral")
    before = gromov_wasserstein(C1, C2, eps=eps)
    turned = rotate(scene.Y, 70.0, -35.0) * np.array([1.0, -1.0, 1.0])  # turn, then mirror
    C2_turned = distance_matrix(turned)
    assert np.abs(C2_turned - C2).max() < 1e-12
    after = gromov_wasserstein(C1, C2_turned, eps=eps)
    assert after.value == pytest.approx(before.value, rel=1e-9, abs=1e-12)
    assert np.abs(after.plan - before.plan).max() < 1e-9
    assert np.allclose(rotation(70.0, -35.0) @ rotation(70.0, -35.0).T, np.eye(3))


def test_exact_optimum_on_tiny_problems_by_enumeration():
    rng = np.random.default_rng(11)
    C1 = distance_matrix(rng.normal(size=(5, 2)))
    C2 = distance_matrix(rng.normal(size=(5, 3)))
    best_perm = min(
        gw_objective(C1, C2, np.eye(5)[list(s)] / 5) for s in itertools.permutations(range(5))
    )
    found = gromov_multistart(C1, C2, starts=12, seed=0).result.value
    # a local solver: never below the best permutation, and with 12 starts it reaches it
    assert found == pytest.approx(best_perm, rel=1e-9) or found <= best_perm + 1e-12


def test_multistart_records_every_start():
    _, C1, C2 = _shapes(25, seed=5, preset="ring_knot")
    seen = []
    out = gromov_multistart(C1, C2, starts=3, seed=2, progress=lambda f, t: seen.append(f))
    assert out.labels == ("product", "random 1", "random 2")
    assert out.best == int(np.argmin(out.values))
    assert out.result is out.results[out.best]
    assert seen == [0.0, 1 / 3, 2 / 3, 1.0]


def test_results_are_immutable():
    _, C1, C2 = _shapes(15)
    res = gromov_wasserstein(C1, C2)
    with pytest.raises(AttributeError):
        res.value = 0.0
    with pytest.raises(ValueError):
        res.plan[0, 0] = 1.0


def test_time_cap_is_reported_as_not_converged():
    _, C1, C2 = _shapes(60, seed=1, preset="ring_knot")
    res = gromov_wasserstein(C1, C2, eps=0.03, max_iter=2)
    assert not res.converged and res.iterations == 2
    assert "NOT converged" in res.message


@pytest.mark.parametrize(
    ("C1", "message"),
    [
        (np.zeros((5, 5)), "coincide"),
        (np.zeros((1, 1)), "at least 2"),
        (np.ones((3, 4)), "square"),
        (np.array([[0.0, np.nan], [np.nan, 0.0]]), "NaN"),
        (np.array([[0.0, -1.0], [-1.0, 0.0]]), "negative"),
        (np.array([[0.0, 1.0], [2.0, 0.0]]), "symmetric"),
        ("abc", "numbers"),
    ],
)
def test_bad_distance_matrices_raise_clear_messages(C1, message):
    C2 = distance_matrix(np.eye(3))
    with pytest.raises(InvalidInput, match=message):
        gromov_wasserstein(C1, C2)


def test_other_bad_inputs():
    C = distance_matrix(np.eye(3))
    with pytest.raises(InvalidInput, match="at most"):
        distance_matrix(np.zeros((MAX_POINTS + 1, 2)))
    with pytest.raises(InvalidInput, match="eps"):
        gromov_wasserstein(C, C, eps=-1.0)
    with pytest.raises(InvalidInput, match="eps"):
        gromov_wasserstein(C, C, eps=float("nan"))
    with pytest.raises(InvalidInput, match="no mass"):
        gromov_wasserstein(C, C, p=[0.0, 0.0, 0.0])
    with pytest.raises(InvalidInput, match="weights"):
        gromov_wasserstein(C, C, p=[0.5, 0.5])
    with pytest.raises(InvalidInput, match="G0"):
        gromov_wasserstein(C, C, G0=np.ones((2, 2)))
    with pytest.raises(InvalidInput, match="starts"):
        gromov_multistart(C, C, starts=0)
    with pytest.raises(InvalidInput):
        make_scene("nothing", 20)
    with pytest.raises(InvalidInput):
        make_scene("spiral", 5000)
