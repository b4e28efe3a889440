"""ot_engine.sliced against POT, an exact LP, closed forms and a fine grid of angles."""

from __future__ import annotations

import math

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ot_engine import InvalidInput, empirical_w2
from ot_engine.sliced import (
    dimension_gap,
    max_sliced_wasserstein,
    projected_w2_squared,
    sliced_wasserstein,
    sphere_directions,
)


def clouds(n=30, m=30, d=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(m, d)) * 0.7 + 0.5


# --- directions -------------------------------------------------------------------------------


def test_directions_are_unit_and_nested():
    theta = sphere_directions(5, 100, seed=4)
    assert theta.shape == (100, 5)
    assert np.allclose(np.linalg.norm(theta, axis=1), 1.0)
    assert np.array_equal(sphere_directions(5, 37, seed=4), theta[:37])
    assert not np.array_equal(sphere_directions(5, 37, seed=5), theta[:37])


def test_directions_are_uniform_on_the_circle():
    # Angles of 10000 directions in 2D: each of 8 sectors holds 1/8 of them (within 5 s.d.).
    theta = sphere_directions(2, 10000, seed=1)
    counts = np.histogram(np.arctan2(theta[:, 1], theta[:, 0]), bins=8, range=(-np.pi, np.pi))[0]
    sd = math.sqrt(10000 * (1 / 8) * (7 / 8))
    assert np.all(np.abs(counts - 1250) < 5 * sd)


# --- against POT ------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "m", "d"), [(30, 30, 2), (20, 35, 2), (40, 40, 7), (1, 5, 3)])
def test_sliced_matches_pot_with_the_same_directions(n, m, d):
    X, Y = clouds(n, m, d)
    res = sliced_wasserstein(X, Y, n_proj=300, seed=2)
    pot = ot.sliced_wasserstein_distance(X, Y, projections=res.directions.T)
    assert res.value == pytest.approx(pot, rel=1e-12, abs=1e-14)
    assert res.value_squared == pytest.approx(pot**2, rel=1e-12, abs=1e-14)


def test_pot_seed_convention_through_explicit_directions():
    # POT's seed draws randn(d, L) (columns); given those directions we return POT's number.
    X, Y = clouds(25, 25, 3)
    proj = ot.sliced.get_random_projections(3, 50, seed=11)
    res = sliced_wasserstein(X, Y, directions=proj.T)
    pot = ot.sliced_wasserstein_distance(X, Y, n_projections=50, seed=11)
    assert res.value == pytest.approx(pot, rel=1e-12)


def test_weighted_clouds_match_pot():
    X, Y = clouds(12, 17, 2, seed=3)
    rng = np.random.default_rng(5)
    a, b = rng.random(12) + 0.1, rng.random(17) + 0.1
    res = sliced_wasserstein(X, Y, n_proj=100, seed=0, a=a, b=b)
    pot = ot.sliced_wasserstein_distance(
        X, Y, a / a.sum(), b / b.sum(), projections=res.directions.T
    )
    assert res.value == pytest.approx(pot, rel=1e-10)


def test_per_direction_values_are_one_dimensional_lps():
    X, Y = clouds(15, 15, 2, seed=7)
    theta = sphere_directions(2, 10, seed=3)
    w = projected_w2_squared(X, Y, theta)
    for t, value in zip(theta, w, strict=True):
        u, v = X @ t, Y @ t
        lp = ot.emd2(np.full(15, 1 / 15), np.full(15, 1 / 15), (u[:, None] - v[None, :]) ** 2)
        assert value == pytest.approx(lp, rel=1e-10, abs=1e-14)


def test_max_sliced_matches_a_fine_grid_and_bounds_pot():
    X, Y = clouds(30, 30, 2, seed=9)
    res = max_sliced_wasserstein(X, Y)
    angles = np.linspace(0, np.pi, 200_001)
    grid = np.sqrt(
        np.max(
            np.concatenate(
                [
                    projected_w2_squared(X, Y, np.column_stack([np.cos(t), np.sin(t)]))
                    for t in np.array_split(angles, 25)
                ]
            )
        )
    )
    assert res.value >= grid - 1e-12
    assert res.value == pytest.approx(grid, rel=1e-7)
    assert res.value >= res.scan_value
    # POT's max over random directions can only be below the true maximum.
    pot = ot.max_sliced_wasserstein_distance(X, Y, n_projections=5000, seed=0)
    assert pot <= res.value + 1e-12
    assert pot == pytest.approx(res.value, rel=1e-3)
    t = res.direction
    assert math.sqrt(projected_w2_squared(X, Y, t)[0]) == pytest.approx(res.value, rel=1e-12)


# --- closed forms -----------------------------------------------------------------------------


@pytest.mark.parametrize("d", [2, 5, 50])
def test_translates_give_the_closed_form(d):
    # Y = X + m: on each line the sorted matching moves every point by <theta, m>, so
    # SW2^2 = E <theta, m>^2 = |m|^2 / d, and W2 = |m| exactly.
    rng = np.random.default_rng(d)
    X = rng.normal(size=(40, d))
    m = rng.normal(size=d)
    res = sliced_wasserstein(X, X + m, n_proj=4000, seed=1)
    exact = float(m @ m) / d
    assert abs(res.value_squared - exact) < 5 * res.standard_error
    assert np.allclose(res.per_direction, (res.directions @ m) ** 2)
    assert empirical_w2(X, X + m) == pytest.approx(float(np.linalg.norm(m)), rel=1e-9)


def test_running_estimate_and_standard_error():
    X, Y = clouds(20, 20, 2, seed=4)
    res = sliced_wasserstein(X, Y, n_proj=500, seed=8)
    for k in (1, 2, 17, 500):
        sub = sliced_wasserstein(X, Y, n_proj=k, seed=8)
        assert res.running[k - 1] == pytest.approx(sub.value, rel=1e-12)
    w = res.per_direction
    assert res.standard_error == pytest.approx(w.std(ddof=1) / math.sqrt(500), rel=1e-9)
    lo, hi = res.band
    half = 1.96 * res.standard_error
    assert lo == pytest.approx(math.sqrt(max(w.mean() - half, 0)), rel=1e-12)
    assert hi == pytest.approx(math.sqrt(w.mean() + half), rel=1e-12)
    assert np.all(res.running_band[0] <= res.running + 1e-15)
    assert np.all(res.running_band[1] >= res.running - 1e-15)


def test_error_falls_like_one_over_root_l():
    X, Y = clouds(20, 20, 2, seed=6)
    se = [sliced_wasserstein(X, Y, n_proj=L, seed=2).standard_error for L in (100, 400, 1600)]
    assert se[1] / se[0] == pytest.approx(0.5, rel=0.25)
    assert se[2] / se[1] == pytest.approx(0.5, rel=0.25)


def test_dimension_gap_closed_forms():
    for d in (2, 10, 100):
        gap = dimension_gap(d, n=50, shift=2.0, seed=3, n_proj=100)
        assert gap.sw_closed == pytest.approx(2.0 / math.sqrt(d))
        assert gap.ratio_closed == pytest.approx(1 / math.sqrt(d))
        assert gap.sw <= gap.w2
    # Sampled clouds in high d: W2 is inflated by sampling error, SW much less.
    gap = dimension_gap(100, n=50, shift=2.0, seed=3)
    assert gap.w2 > 2 * gap.w2_closed
    assert gap.ratio < gap.ratio_closed


# --- the inequality ---------------------------------------------------------------------------

coords = arrays(np.float64, st.tuples(st.integers(1, 12), st.just(2)), elements=st.floats(-3, 3))


@settings(max_examples=40)
@given(coords, coords, st.integers(0, 1000))
def test_sw_below_max_sliced_below_w2(X, Y, seed):
    sw = sliced_wasserstein(X, Y, n_proj=50, seed=seed)
    mx = max_sliced_wasserstein(X, Y)
    w2 = empirical_w2(X, Y)
    tol = 1e-9 * (1 + w2)
    assert np.all(np.sqrt(sw.per_direction) <= mx.value + tol)
    assert sw.value <= mx.value + tol
    assert mx.value <= w2 + tol
    assert np.isfinite([sw.value, sw.band[0], sw.band[1], mx.value]).all()


# --- degenerate and bad input ---------------------------------------------------------------


def test_degenerate_clouds_give_zero_not_nan():
    P = np.ones((5, 2))
    res = sliced_wasserstein(P, P, n_proj=10)
    assert res.value == 0.0 and res.standard_error == 0.0 and res.band == (0.0, 0.0)
    mx = max_sliced_wasserstein(P, P)
    assert mx.value == 0.0 and math.isfinite(mx.angle)
    # One cloud a single repeated point, the other spread: finite, positive.
    X, _ = clouds(5, 5)
    res = sliced_wasserstein(P, X, n_proj=10)
    assert res.value > 0 and np.isfinite(res.running).all()


def test_one_direction_has_no_error_estimate():
    X, Y = clouds(5, 5)
    res = sliced_wasserstein(X, Y, n_proj=1)
    assert res.standard_error == math.inf
    assert res.band == (res.value, res.value)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sliced_wasserstein([[np.nan, 0]], [[0, 0]]), "NaN"),
        (lambda: sliced_wasserstein(np.zeros((0, 2)), [[0, 0]]), "empty"),
        (lambda: sliced_wasserstein([[0, 0]], [[0, 0, 0]]), "dimension"),
        (lambda: sliced_wasserstein([[0, 0]], [[0, 0]], n_proj=0), "n_proj"),
        (lambda: sliced_wasserstein([[0, 0]], [[0, 0]], n_proj=10**6), "n_proj"),
        (lambda: sliced_wasserstein([[0, 0]], [[0, 0]], n_proj=2.5), "whole"),
        (lambda: sliced_wasserstein([[0, 0]], [[0, 0]], seed=-1), "seed"),
        (lambda: sliced_wasserstein([[0, 0]], [[0, 0]], seed=True), "seed"),
        (lambda: sliced_wasserstein([[0, 0]], [[0, 0]], directions=[[1, 1]]), "unit"),
        (lambda: sliced_wasserstein([[0, 0]], [[0, 0]], directions=[[1, 0, 0]]), "shape"),
        (lambda: sliced_wasserstein([[0, 0]], [[1, 0]], a=[1, 1]), "weights"),
        (lambda: sliced_wasserstein([[0, 0]], [[1, 0]], a=[-1]), "negative"),
        (lambda: max_sliced_wasserstein([[0, 0, 0]], [[1, 0, 0]]), "plane"),
        (lambda: max_sliced_wasserstein([[0, 0]], [[1, 0]], n_angles=2), "n_angles"),
        (lambda: dimension_gap(0), "d"),
        (lambda: dimension_gap(3, shift=math.inf), "shift"),
    ],
)
def test_bad_input_raises_invalid_input(call, message):
    with pytest.raises(InvalidInput, match=message):
        call()
