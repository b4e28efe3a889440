"""ot_engine.domain against POT's ot.da classes, an exact LP and small closed cases."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ot_engine import InvalidInput, empirical_w2, sinkhorn
from ot_engine.domain import barycentric_map, class_group_weights, map_all, map_to_target


def toy(n=40, m=36, seed=0):
    """Two labelled blobs, and a turned, shifted copy of fresh draws as the target."""
    rng = np.random.default_rng(seed)
    ys = np.arange(n) % 2
    Xs = rng.normal(scale=0.3, size=(n, 2)) + np.where(ys[:, None] == 0, [-0.8, 0], [0.8, 0])
    yt = np.arange(m) % 2
    Z = rng.normal(scale=0.3, size=(m, 2)) + np.where(yt[:, None] == 0, [-0.8, 0], [0.8, 0])
    t = 0.6
    R = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return Xs, ys, Z @ R.T + [0.5, 0.7], yt


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_matches_emd_transport(seed):
    Xs, _, Xt, _ = toy(seed=seed)
    ours = map_to_target(Xs, Xt, method="exact")
    da = ot.da.EMDTransport().fit(Xs=Xs, Xt=Xt)
    assert np.allclose(ours.mapped, da.transform(Xs=Xs), atol=1e-10)
    assert np.allclose(ours.plan, da.coupling_, atol=1e-12)
    assert ours.converged and ours.marginal_error < 1e-12
    # its cost is W2 squared (an independent LP through empirical_w2)
    assert ours.cost == pytest.approx(empirical_w2(Xs, Xt) ** 2, rel=1e-12)


@pytest.mark.parametrize("eps", [0.1, 1.0])
def test_entropic_matches_sinkhorn_transport(eps):
    Xs, _, Xt, _ = toy(seed=3)
    ours = map_to_target(Xs, Xt, method="entropic", eps=eps, tol=1e-11)
    da = ot.da.SinkhornTransport(reg_e=eps, max_iter=100_000, tol=1e-13).fit(Xs=Xs, Xt=Xt)
    assert ours.converged
    assert np.allclose(ours.plan, da.coupling_, atol=1e-9)
    assert np.allclose(ours.mapped, da.transform(Xs=Xs), atol=1e-7)
    C = ot.dist(Xs, Xt)
    assert ours.cost == pytest.approx(float(np.sum(da.coupling_ * C)), rel=1e-7)


# Cases where POT's own inner Sinkhorn (plain scaling) reaches its tolerance: elsewhere,
# e.g. eps = eta = 1 here, it stalls near 1e-7 and the oracle is the one off.
@pytest.mark.parametrize(("eps", "eta"), [(0.1, 0.05), (0.3, 0.1), (1.0, 0.3), (2.0, 0.5)])
def test_class_matches_sinkhorn_lpl1_transport(eps, eta):
    Xs, ys, Xt, _ = toy(seed=4)
    ours = map_to_target(Xs, Xt, method="class", labels=ys, eps=eps, eta=eta, tol=1e-12)
    # POT's inner Sinkhorn stops at 200 iterations by default: let it finish.
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a POT solve that did not converge is no oracle
        da = ot.da.SinkhornLpl1Transport(
            reg_e=eps, reg_cl=eta, max_iter=10, max_inner_iter=5000, tol=1e-11
        ).fit(Xs=Xs, ys=ys, Xt=Xt)
    assert ours.converged and ours.iterations == 10
    assert np.allclose(ours.plan, da.coupling_, atol=1e-9)
    assert np.allclose(ours.mapped, da.transform(Xs=Xs), atol=1e-7)


@pytest.mark.parametrize(("eps", "eta"), [(0.3, 0.5), (1.0, 1.0), (1.0, 2.0)])
def test_class_steps_stop_at_the_fixed_point_with_the_ten_step_plan(eps, eta):
    # With the default tol the steps stop once one moves the plan by at most 1e-9; the plan
    # is still the one of all ten steps, run here one by one as POT's sinkhorn_lpl1_mm does
    # (with log-domain inner solves: where the penalty reaches its fixed point early, POT's
    # own inner solves do not converge, even its log-domain ones within 20,000 iterations).
    Xs, ys, Xt, _ = toy(seed=4)
    ours = map_to_target(Xs, Xt, method="class", labels=ys, eps=eps, eta=eta)
    a, b, C = np.full(len(Xs), 1 / len(Xs)), np.full(len(Xt), 1 / len(Xt)), ot.dist(Xs, Xt)
    W = np.zeros_like(C)
    for _ in range(10):
        plan = sinkhorn(a, b, C + eta * W, eps, tol=1e-13).plan
        W = class_group_weights(plan, ys)
    assert ours.converged and ours.iterations < 10 and "fixed point" in ours.message
    assert np.abs(ours.plan - plan).sum() <= 1e-8
    assert ours.mapped == pytest.approx(barycentric_map(plan, Xt), abs=1e-8)


def test_class_penalty_separates_classes_more_than_plain_entropic():
    Xs, ys, Xt, _ = toy(seed=5)
    plain = map_to_target(Xs, Xt, method="entropic", eps=0.5)
    grouped = map_to_target(Xs, Xt, method="class", labels=ys, eps=0.5, eta=2.0)

    def mixing(P):  # mass of target samples that do not come from their main class
        per_class = np.stack([P[ys == c].sum(0) for c in (0, 1)])
        return float(per_class.min(0).sum())

    assert mixing(grouped.plan) < 0.5 * mixing(plain.plan)


def test_group_weights_match_a_loop():
    rng = np.random.default_rng(0)
    P = rng.random((7, 5))
    labels = np.array([2, 0, 2, 1, 0, 1, 2])
    W = class_group_weights(P, labels)
    for i in range(7):
        for j in range(5):
            s = P[labels == labels[i], j].sum()
            assert W[i, j] == pytest.approx(0.5 / np.sqrt(s + 1e-3))


def test_barycentric_map_of_a_permutation_is_the_assignment():
    Y = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    P = np.eye(3)[[2, 0, 1]] / 3
    assert np.array_equal(barycentric_map(P, Y), Y[[2, 0, 1]])


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["exact", "entropic", "class"]))
def test_mapped_points_stay_in_the_targets_bounding_box(seed, method):
    Xs, ys, Xt, _ = toy(n=12, m=10, seed=seed)
    res = map_to_target(Xs, Xt, method=method, labels=ys, eps=0.5, eta=0.5)
    lo, hi = Xt.min(0) - 1e-9, Xt.max(0) + 1e-9
    assert ((res.mapped >= lo) & (res.mapped <= hi)).all()
    assert res.marginal_error < 1e-8


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        (dict(method="nearest"), "method"),
        (dict(method="class"), "labels"),
        (dict(method="class", labels=[0, 1]), "one class per"),
        (dict(method="class", labels=np.zeros(12) + 0.5), "whole numbers"),
        (dict(method="entropic", eps=0.0), "positive"),
        (dict(method="class", labels=np.zeros(12, int), eta=-1), "positive"),
        (dict(method="class", labels=np.zeros(12, int), outer=0), "outer"),
    ],
)
def test_bad_arguments_say_what_is_wrong(kwargs, needle):
    Xs, _, Xt, _ = toy(n=12, m=10)
    with pytest.raises(InvalidInput, match=needle):
        map_to_target(Xs, Xt, **kwargs)


def test_bad_clouds_are_refused():
    Xs, _, Xt, _ = toy(n=12, m=10)
    with pytest.raises(InvalidInput):
        map_to_target(Xs, Xt[:, :1])
    bad = Xt.copy()
    bad[0, 0] = np.nan
    with pytest.raises(InvalidInput, match="NaN"):
        map_to_target(Xs, bad)
    with pytest.raises(InvalidInput, match="no mass"):
        barycentric_map(np.array([[0.0, 0.0], [0.5, 0.5]]), Xt[:2])


def test_coinciding_clouds_map_onto_themselves():
    Xs, _, _, _ = toy(n=10, m=10)
    res = map_to_target(Xs, Xs.copy())
    assert np.allclose(res.mapped, Xs) and res.cost == pytest.approx(0.0, abs=1e-14)


def test_map_all_gives_what_map_to_target_gives():
    Xs, ys, Xt, _ = toy(n=30, m=26, seed=6)
    every = map_all(Xs, Xt, ys, eps=0.2, eta=1.0)
    for key, res in every.items():
        one = map_to_target(Xs, Xt, method=key, labels=ys, eps=0.2, eta=1.0)
        assert res.method == key and res.converged
        assert np.allclose(res.plan, one.plan, atol=1e-9)
        assert np.allclose(res.mapped, one.mapped, atol=1e-7)
        assert res.cost == pytest.approx(one.cost, rel=1e-7)


@pytest.mark.parametrize(
    "move",
    [
        lambda Xs, Xt: (Xs, Xt + np.array([0.1, 0.0])),  # a slider step: the whole target shifts
        lambda Xs, Xt: (Xs, np.vstack([Xt[:3], Xt[3:4] + 0.05, Xt[4:]])),  # one sample dragged
        lambda Xs, Xt: (Xs, Xt[1:]),  # a sample removed: the sizes differ, a cold start
    ],
    ids=["shift", "drag", "removed"],
)
def test_a_start_from_nearby_samples_changes_the_work_not_the_answer(move):
    Xs, ys, Xt, _ = toy(n=30, m=26, seed=6)
    before = map_all(Xs, Xt, ys, eps=0.1, eta=1.0)
    Xs2, Xt2 = move(Xs, Xt)
    cold = map_all(Xs2, Xt2, ys, eps=0.1, eta=1.0)
    warm = map_all(Xs2, Xt2, ys, eps=0.1, eta=1.0, previous=before)
    for key in ("exact", "entropic", "class"):
        assert warm[key].converged and cold[key].converged
        assert np.allclose(warm[key].plan, cold[key].plan, atol=1e-9)
        assert warm[key].cost == pytest.approx(cold[key].cost, rel=1e-7)
    started = warm["entropic"].warm.warm_started
    assert started == (Xt2.shape == Xt.shape)
    if started:
        assert warm["entropic"].iterations < cold["entropic"].iterations
        assert warm["class"].warm.warm_started


def test_a_start_at_another_eps_or_eta_is_still_the_same_answer():
    Xs, ys, Xt, _ = toy(n=30, m=26, seed=6)
    before = map_all(Xs, Xt, ys, eps=0.5, eta=5.0)
    cold = map_all(Xs, Xt, ys, eps=0.1, eta=1.0)
    warm = map_all(Xs, Xt, ys, eps=0.1, eta=1.0, previous=before)
    for key in ("entropic", "class"):
        assert np.allclose(warm[key].plan, cold[key].plan, atol=1e-9)


def _class_objective(P, C, ys, eps, eta, floor=1e-3):
    per_class = np.stack([P[ys == c].sum(0) for c in np.unique(ys)])
    entropy = float(np.sum(P[P > 0] * np.log(P[P > 0])))
    return float(np.sum(P * C)) + eps * entropy + eta * float(np.sum(np.sqrt(per_class + floor)))


@pytest.mark.parametrize(("eps", "eta"), [(0.1, 1.0), (0.5, 5.0)])
def test_each_majorization_step_lowers_the_objective(eps, eta):
    # The prose's proposition "Each step lowers the objective" (prop-mm).
    Xs, ys, Xt, _ = toy(n=24, m=20, seed=7)
    C = ot.dist(Xs, Xt)
    values = [
        _class_objective(
            map_to_target(Xs, Xt, method="class", labels=ys, eps=eps, eta=eta, outer=k).plan,
            C,
            ys,
            eps,
            eta,
        )
        for k in range(1, 7)
    ]
    assert all(b <= a + 1e-8 for a, b in itertools.pairwise(values)), values
    assert values[-1] < values[0]


@pytest.mark.parametrize("method", ["exact", "entropic", "class"])
def test_moving_costs_no_more_than_the_plan(method):
    # The prose's proposition "Moving never costs more than the plan" (prop-bary-cost).
    Xs, ys, Xt, _ = toy(n=30, m=22, seed=8)
    res = map_to_target(Xs, Xt, method=method, labels=ys, eps=0.3, eta=1.0)
    a = res.plan.sum(1)
    moved = float(np.sum(a * np.sum((Xs - res.mapped) ** 2, axis=1)))
    assert moved <= res.cost + 1e-12
