"""ot_engine.flow_matching against POT (assignments, W2), exact rational geometry (crossings),
a direct least-squares solve (the ridge fit), and hand-made cases."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import ot
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ot_engine import (
    InvalidInput,
    crossing_pairs,
    empirical_w2,
    euler,
    fit_velocity,
    flow_matching_run,
    minibatch_ot_pairing,
)
from ot_engine import flow_matching as fm
from ot_engine.flow_matching import (
    FIT_SETTINGS,
    PRESETS,
    make_clouds,
    segments_cross,
    squared_cost,
)


def _uniform(n):
    return np.full(n, 1.0 / n)


# --- minibatch OT pairing -------------------------------------------------------------------


@pytest.mark.parametrize("preset", list(PRESETS))
def test_full_batch_pairing_is_the_exact_ot_cost(preset):
    x0, x1, _, _ = make_clouds(preset, 60, seed=3)
    m = minibatch_ot_pairing(x0, x1, 60)
    assert sorted(m.tolist()) == list(range(60))
    pot = ot.emd2(_uniform(60), _uniform(60), ot.dist(x0, x1))
    assert squared_cost(x0, x1[m]) == pytest.approx(pot, rel=1e-12)


@pytest.mark.parametrize("batch", [1, 7, 16, 50])
def test_each_minibatch_is_solved_exactly_and_alone(batch):
    x0, x1, _, _ = make_clouds("moons", 50, seed=4)
    m = minibatch_ot_pairing(x0, x1, batch)
    for start in range(0, 50, batch):
        rows = np.arange(start, min(start + batch, 50))
        assert set(m[rows].tolist()) == set(rows.tolist()), "pairs stay in their minibatch"
        k = rows.size
        pot = ot.emd2(_uniform(k), _uniform(k), ot.dist(x0[rows], x1[rows]))
        assert squared_cost(x0[rows], x1[m[rows]]) == pytest.approx(pot, rel=1e-12, abs=1e-15)
    if batch == 1:
        np.testing.assert_array_equal(m, np.arange(50))


def test_larger_minibatches_never_cost_more_than_independent_pairs():
    x0, x1, _, _ = make_clouds("rings", 64, seed=5)
    costs = [squared_cost(x0, x1[minibatch_ot_pairing(x0, x1, b)]) for b in (1, 8, 64)]
    assert costs[0] >= costs[1] >= costs[2]


def test_ot_paths_never_meet_at_the_same_time():
    """x_t^i = x_t^j for some t in (0, 1) would make <a - c, b - d> < 0 (see the prose)."""
    x0, x1, _, _ = make_clouds("letter", 40, seed=6)
    m = minibatch_ot_pairing(x0, x1, 40)
    a, b = x0, x1[m]
    inner = np.einsum("ijk,ijk->ij", a[:, None] - a[None], b[:, None] - b[None])
    assert (inner[~np.eye(40, dtype=bool)] >= -1e-12).all()  # pairwise monotone
    ts = np.linspace(0.01, 0.99, 99)
    paths = (1 - ts)[:, None, None] * a[None] + ts[:, None, None] * b[None]
    gaps = np.linalg.norm(paths[:, :, None] - paths[:, None, :], axis=-1)
    assert gaps[:, ~np.eye(40, dtype=bool)].min() > 1e-6


# --- crossings --------------------------------------------------------------------------------

HAND_CASES = [
    # (p0, p1, q0, q1, cross?)
    ((0, 0), (2, 2), (0, 2), (2, 0), True),  # an X
    ((0, 0), (2, 0), (1, 0), (1, 5), True),  # a T: an end on the other segment
    ((0, 0), (2, 0), (2, 0), (3, 4), True),  # a shared end
    ((0, 0), (3, 0), (1, 0), (2, 0), True),  # collinear, one inside the other
    ((0, 0), (1, 0), (2, 0), (3, 0), False),  # collinear, apart
    ((0, 0), (1, 1), (0, 1), (1, 2), False),  # parallel
    ((0, 0), (1, 1), (2, 2), (3, 0), False),  # the lines cross, the segments do not
    ((0, 0), (4, 0), (1, 1), (3, 1), False),  # one above the other
]


@pytest.mark.parametrize(("p0", "p1", "q0", "q1", "expected"), HAND_CASES)
def test_segment_crossing_hand_cases(p0, p1, q0, q1, expected):
    assert bool(segments_cross(p0, p1, q0, q1)) is expected
    assert bool(segments_cross(q1, q0, p1, p0)) is expected  # order does not matter


def _on_segment(a, b, c) -> bool:
    """c on the closed segment [a, b], in rationals (a == b allowed)."""
    cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    inside = min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(
        a[1], b[1]
    )
    return cross == 0 and inside


def _cross_exact(p0, p1, q0, q1) -> bool:
    """Independent check in rational arithmetic: solve p0 + s (p1 - p0) = q0 + u (q1 - q0)
    for s, u in [0, 1]; parallel and point-like segments by point-on-segment tests."""
    p0, p1, q0, q1 = (tuple(Fraction(int(c)) for c in v) for v in (p0, p1, q0, q1))
    r = (p1[0] - p0[0], p1[1] - p0[1])
    d = (q1[0] - q0[0], q1[1] - q0[1])
    w = (q0[0] - p0[0], q0[1] - p0[1])
    den = r[0] * d[1] - r[1] * d[0]
    if den != 0:
        s = (w[0] * d[1] - w[1] * d[0]) / den
        u = (w[0] * r[1] - w[1] * r[0]) / den
        return 0 <= s <= 1 and 0 <= u <= 1
    # parallel (or a segment is a point): they meet iff an end lies on the other segment
    return (
        _on_segment(q0, q1, p0)
        or _on_segment(q0, q1, p1)
        or _on_segment(p0, p1, q0)
        or _on_segment(p0, p1, q1)
    )


@given(st.lists(st.integers(-4, 4), min_size=8, max_size=8))
def test_segment_crossing_agrees_with_rational_arithmetic(c):
    p0, p1, q0, q1 = (c[0], c[1]), (c[2], c[3]), (c[4], c[5]), (c[6], c[7])
    assert bool(segments_cross(p0, p1, q0, q1)) is _cross_exact(p0, p1, q0, q1)


def test_crossing_count_matches_a_loop_over_pairs():
    rng = np.random.default_rng(7)
    x0, x1 = rng.integers(-6, 7, (25, 2)), rng.integers(-6, 7, (25, 2))
    loop = sum(
        _cross_exact(x0[i], x1[i], x0[j], x1[j]) for i in range(25) for j in range(i + 1, 25)
    )
    assert crossing_pairs(x0, x1) == loop


@pytest.mark.parametrize("seed", range(6))
def test_crossing_count_by_tables_equals_the_count_by_pairs(seed):
    """The two counting paths (tables of turns up to 512 paths, gathered pairs beyond) agree,
    on integer grids full of touching and collinear paths and on random floats."""
    rng = np.random.default_rng(seed)
    grid = [rng.integers(-3, 4, (60, 2)).astype(float) for _ in range(2)]
    floats = [rng.standard_normal((200, 2)) for _ in range(2)]
    for x0, x1 in (grid, floats, (grid[0], grid[0])):
        assert fm._crossing_pairs_by_table(x0, x1) == fm._crossing_pairs_by_pairs(x0, x1)


def test_ot_pairs_cross_far_less_than_independent_ones():
    x0, x1, _, _ = make_clouds("moons", 128, seed=1)
    m = minibatch_ot_pairing(x0, x1, 128)
    assert crossing_pairs(x0, x1[m]) * 10 < crossing_pairs(x0, x1)


def test_optimal_pairs_can_still_cross_in_the_plane():
    """Monotone pairs meet at no common time, yet their segments can cross (prose claim):
    a = p - u, b = p + 10 u and c = p - 10 v, d = p + v through p = 0, with unit u, v at a
    small angle: <a - c, b - d> = -20 + 101 cos(angle) > 0, so the pairing is optimal."""
    v = np.array([np.cos(0.3), np.sin(0.3)])
    x0 = np.array([[-1.0, 0.0], -10 * v])
    x1 = np.array([[10.0, 0.0], v])
    assert minibatch_ot_pairing(x0, x1, 2).tolist() == [0, 1]
    assert crossing_pairs(x0, x1) == 1


# --- W2 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_empirical_w2_matches_pot(seed):
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((70, 2)), rng.standard_normal((70, 2)) * 2 + 1
    assert empirical_w2(X, Y) == pytest.approx(
        np.sqrt(ot.emd2(_uniform(70), _uniform(70), ot.dist(X, Y))), rel=1e-12
    )


# --- the velocity fit -------------------------------------------------------------------------


def test_ridge_fit_is_the_closed_form_solution():
    """Against the augmented least-squares problem [Phi; sqrt(lam N) I] beta = [Y; 0]."""
    x0, x1, _, _ = make_clouds("moons", 30, seed=2)
    fit = fit_velocity(x0, x1, seed=9, features=40, times=3)
    rng = np.random.default_rng([9, 2])
    t = rng.random(90)
    a, c = np.repeat(x0, 3, axis=0), np.repeat(x1, 3, axis=0)
    z = np.column_stack([(1 - t)[:, None] * a + t[:, None] * c, t])
    # the features built here from the stored frequencies and phases
    Phi = np.column_stack([np.ones(90), z, np.sqrt(2 / 40) * np.cos(z @ fit.W.T + fit.b)])
    lam = FIT_SETTINGS["ridge"] * 90
    A = np.vstack([Phi, np.sqrt(lam) * np.eye(Phi.shape[1])])
    rhs = np.vstack([c - a, np.zeros((Phi.shape[1], 2))])
    beta = np.linalg.lstsq(A, rhs, rcond=None)[0]
    np.testing.assert_allclose(fit.coef, beta, rtol=1e-6, atol=1e-8)
    assert fit.rows == 90


def test_a_constant_velocity_is_learned_and_euler_follows_it():
    x0 = np.random.default_rng(0).standard_normal((80, 2))
    fit = fit_velocity(x0, x0 + np.array([2.0, -1.0]))
    assert fit.unexplained < 1e-3
    np.testing.assert_allclose(euler(fit, x0, 5), x0 + np.array([2.0, -1.0]), atol=0.05)


def test_euler_takes_explicit_steps():
    x0, x1, z, _ = make_clouds("rings", 40, seed=3)
    fit = fit_velocity(x0, x1, features=50)
    x = z.copy()
    for j in range(3):
        x = x + fit.velocity(x, j / 3) / 3
    np.testing.assert_array_equal(euler(fit, z, 3), x)


def test_ot_pairing_leaves_less_unexplained_and_arrives_in_fewer_steps():
    x0, x1, z, _ = make_clouds("moons", 128, seed=1)
    runs = [
        flow_matching_run(x0, x1, z, m, k_max=10)
        for m in (np.arange(128), minibatch_ot_pairing(x0, x1, 128))
    ]
    independent, coupled = runs
    assert coupled.fit.unexplained < 0.5 * independent.fit.unexplained
    # one step: the coupled field is already near its best, the independent one is not
    assert coupled.w2[0] < 1.2 * coupled.w2.min()
    assert independent.w2[0] > 1.4 * independent.w2.min()
    for run in runs:
        for k in (1, 4, 10):
            assert run.w2[k - 1] == pytest.approx(empirical_w2(run.samples[k - 1], x1), rel=1e-12)


def test_progress_is_reported_in_order():
    x0, x1, z, _ = make_clouds("letter", 30, seed=1)
    seen = []
    flow_matching_run(x0, x1, z, np.arange(30), k_max=4, progress=lambda f, t: seen.append(f))
    assert seen == sorted(seen) and seen[0] == 0.0 and seen[-1] < 1.0


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x0", "x1", "match"),
    [
        ([[0.0, 0.0], [np.nan, 1.0]], [[0.0, 0.0], [1.0, 1.0]], "NaN"),
        ([[0.0, 0.0]], [[1.0, 1.0]], "single point"),
        ([[1.0, 1.0]] * 5, np.eye(5, 2), "coincide"),
        ([[0.0, 0.0], [1.0, 1.0]], [[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]], "expected"),
        ([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], [[0.0, 0.0], [1.0, 1.0]], "dimension"),
    ],
)
def test_degenerate_clouds_are_refused(x0, x1, match):
    with pytest.raises(InvalidInput, match=match):
        minibatch_ot_pairing(x0, x1, 2)
    with pytest.raises(InvalidInput, match=match):
        fit_velocity(x0, x1)


def test_bad_parameters_are_refused():
    x0, x1, z, _ = make_clouds("moons", 10, seed=0)
    with pytest.raises(InvalidInput, match="batch"):
        minibatch_ot_pairing(x0, x1, 0)
    with pytest.raises(InvalidInput, match="at least one Euler step"):
        euler(fit_velocity(x0, x1, features=10), z, 0)
    with pytest.raises(InvalidInput, match="positive"):
        fit_velocity(x0, x1, ridge=-1.0)
    with pytest.raises(InvalidInput, match="permutation"):
        flow_matching_run(x0, x1, z, np.zeros(10, dtype=int))
    with pytest.raises(InvalidInput, match="unknown target"):
        make_clouds("cube", 10)
    with pytest.raises(InvalidInput, match="between 2 and"):
        make_clouds("moons", 10**6)
    with pytest.raises(InvalidInput, match="noise"):
        make_clouds("moons", 10, noise=float("nan"))
