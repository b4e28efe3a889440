"""The Gromov-Wasserstein page builds without a server and shows numbers POT confirms."""

from __future__ import annotations

import numpy as np
import ot
import pytest

from ot_engine.gromov import distance_matrix, random_coupling
from ot_engine.gromov_scene import make_scene, rotate
from pages import gromov_wasserstein as gw
from pages import registry
from pages.query import parse_query


def _shown(view) -> dict[str, str]:
    return {row[0]: row[3] for row in view.readouts.rows}


def _flags(view) -> dict[str, str]:
    return view.readouts.flagged()


def _pot_values(model: gw.GromovModel) -> list[float]:
    """Every start's value, recomputed from scratch with POT's conditional gradient."""
    scene = make_scene(model.preset, model.n, noise=model.noise, seed=model.seed)
    C1 = distance_matrix(scene.X)
    C2 = distance_matrix(rotate(scene.Y, model.yaw, model.pitch))
    p = np.full(model.n, 1 / model.n)
    values = []
    for k in range(gw.STARTS):
        G0 = np.outer(p, p) if k == 0 else random_coupling(p, p, model.seed + k)
        _, log = ot.gromov.gromov_wasserstein(C1, C2, p, p, G0=G0, log=True)
        values.append(float(log["gw_dist"]))
    return values


def test_page_is_registered_in_chapter_three():
    assert registry.info("gromov_wasserstein").chapter == 3
    assert registry.page_class("gromov_wasserstein") is gw.GromovPage


def test_page_builds_without_a_server():
    view = gw.GromovPage.create()
    view.__panel__()
    assert view.result is not None  # without a server the solve runs in line
    assert _shown(view)["solver"] == "exact"


@pytest.mark.parametrize(
    "values",
    [{}, {"preset": "ring_knot", "n": 40, "seed": 3}, {"preset": "mirror", "noise": 0.05}],
)
def test_every_start_value_matches_pot(values):
    model = gw.GromovModel(**values)
    view = gw.GromovPage(model, embed=False)
    shown = _shown(view)
    pot = _pot_values(model)
    for k, value in enumerate(pot):
        assert shown[f"start{k}"].split(" ")[0] == gw.fmt_value(value), (k, shown, pot)
    assert shown["gw"] == gw.fmt_value(min(pot))
    labels = {row[0]: row[1] for row in view.readouts.rows}
    assert labels[f"start{view.result.best}"].endswith("(shown)")
    assert sum(label.endswith("(shown)") for label in labels.values()) == 1
    assert "gw" not in _flags(view)


def test_rotation_keeps_value_and_colours_without_a_new_solve(monkeypatch):
    view = gw.GromovPage(gw.GromovModel(), embed=False)
    before = dict(_shown(view))
    colours = np.array(view.matched())
    submitted = []
    monkeypatch.setattr(view._job, "submit", lambda fn, **_: submitted.append(fn))
    view.model.param.update(yaw=-140.0, pitch=70.0)
    after = _shown(view)
    assert submitted == []
    assert {k: v for k, v in after.items() if k != "rot"} == {
        k: v for k, v in before.items() if k != "rot"
    }
    assert view.rotation_change < 1e-12
    np.testing.assert_array_equal(view.matched(), colours)
    # the drawn target did turn
    xs = np.sort(view.target_fig.points.data["x"])
    assert not np.allclose(xs, np.sort(rotate(view.model.geometry()[0].Y, 30.0, 25.0)[:, 0]))


def test_resolving_after_a_turn_gives_the_same_numbers():
    turned = gw.GromovPage(gw.GromovModel(yaw=-140.0, pitch=70.0), embed=False)
    plain = gw.GromovPage(gw.GromovModel(), embed=False)
    for key in ("gw", "start0", "start1", "start2", "start3", "match"):
        assert _shown(turned)[key] == _shown(plain)[key]


def test_isometric_copy_reaches_zero_and_the_right_matching():
    view = gw.GromovPage(gw.GromovModel(preset="mirror", noise=0.0), embed=False)
    best = view.result.result
    assert best.value < 1e-12 and best.converged
    scene = view.model.geometry()[0]
    np.testing.assert_allclose(view.matched(), scene.t, atol=1e-12)
    assert _shown(view)["match"] == "0.000"
    # the reordered target matrix is the source matrix
    C1 = view.model.geometry()[1]
    image = view.c2_fig.source.data["image"][0]
    np.testing.assert_allclose(
        image, C1[np.ix_(np.argsort(scene.s), np.argsort(scene.s))], atol=1e-6
    )


def test_entropic_setting_changes_solver_and_raises_the_value():
    view = gw.GromovPage(gw.GromovModel(n=30), embed=False)
    exact = float(_shown(view)["gw"])
    view.model.eps = 0.02
    shown = _shown(view)
    assert shown["solver"] == "entropic, ε = 0.02"
    assert float(shown["gw"]) > exact
    assert view.result.result.converged


def test_argmax_colouring_uses_main_source():
    view = gw.GromovPage(gw.GromovModel(n=30, eps=0.02), embed=False)
    plan = np.asarray(view.result.result.plan)
    s = view.model.geometry()[0].s
    view.model.colour = "argmax"
    np.testing.assert_array_equal(view.matched(), s[plan.argmax(0)])
    np.testing.assert_array_equal(view.target_fig.points.data["c"].size, 30)


def test_a_failed_solve_keeps_the_last_result_with_a_message():
    view = gw.GromovPage(gw.GromovModel(), embed=False)
    before = _shown(view)["gw"]
    view._show_problem("solver exploded")
    assert "solver exploded" in view.status.object and "last result is kept" in view.status.object
    assert _shown(view)["gw"] == before


def test_a_new_scene_waits_for_its_solve_in_grey(monkeypatch):
    view = gw.GromovPage(gw.GromovModel(), embed=False)
    monkeypatch.setattr(view._job, "submit", lambda fn, **_: None)
    view.model.n = 80
    assert view.matched() is None
    assert np.isnan(view.target_fig.points.data["c"]).all()
    assert _shown(view)["gw"] == "solving…"


def test_not_converged_is_flagged():
    view = gw.GromovPage(gw.GromovModel(n=20), embed=False)
    from ot_engine.gromov import gromov_multistart

    _, C1, C2 = view.model.geometry()
    capped = gromov_multistart(C1, C2, eps=0.02, starts=gw.STARTS, max_iter=1)
    view._pending = (view.model.solve_key, view.model.turned()[2])
    view._show_result(capped)
    assert "did not converge" in _flags(view)["gw"]


def test_query_keys_accept_good_values():
    values, notices = parse_query(
        {
            "preset": "ring_knot",
            "n": "120",
            "noise": "0.1",
            "yaw": "-45",
            "pitch": "80",
            "eps": "0.01",
            "seed": "42",
            "colour": "argmax",
        },
        gw.QUERY_KEYS,
    )
    assert notices == []
    assert values == {
        "preset": "ring_knot",
        "n": 120,
        "noise": 0.1,
        "yaw": -45.0,
        "pitch": 80.0,
        "eps": 0.01,
        "seed": 42,
        "colour": "argmax",
    }


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ({"preset": "<script>alert(1)</script>"}, "preset"),
        ({"n": "5"}, "n"),
        ({"n": "9" * 5000}, "n"),
        ({"n": "1e3"}, "n"),
        ({"noise": "nan"}, "noise"),
        ({"noise": "-0.1"}, "noise"),
        ({"yaw": "inf"}, "yaw"),
        ({"pitch": "91"}, "pitch"),
        ({"eps": "0.003"}, "eps"),
        ({"eps": "\udcff"}, "eps"),
        ({"seed": "-1"}, "seed"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_query_keys_refuse_bad_values_with_a_notice(query, key):
    values, notices = parse_query(query, gw.QUERY_KEYS)
    assert values == {}
    assert len(notices) == 1 and f"'{key}'" in notices[0]
    assert "<script>" not in notices[0]


def test_model_bounds_refuse_absurd_values():
    model = gw.GromovModel()
    for name, value in (("n", 100_000), ("noise", 5.0), ("eps", 0.3), ("preset", "cube")):
        with pytest.raises(ValueError):
            setattr(model, name, value)
    assert model.n == 60


def test_caption_lines_are_the_readouts():
    view = gw.GromovPage(gw.GromovModel(), embed=False)
    lines = view.caption_lines()
    assert lines[0].startswith("GW value of the coupling shown: ")


def test_new_samples_button_moves_to_the_next_seed():
    view = gw.GromovPage(gw.GromovModel(seed=gw.MAX_SEED - 1), embed=False)
    view._next_seed()
    assert view.model.seed == gw.MAX_SEED
    assert view.new_samples.label == f"New random samples (seed {gw.MAX_SEED})"
    view._next_seed()
    assert view.model.seed == 0
    assert view.result_key == view.model.solve_key


def test_turning_while_a_solve_runs_does_not_restart_it(monkeypatch):
    view = gw.GromovPage(gw.GromovModel(), embed=False)
    submitted = []
    monkeypatch.setattr(view._job, "submit", lambda fn, **_: submitted.append(fn))
    monkeypatch.setattr(type(view._job), "busy", property(lambda self: bool(submitted)))
    view.model.eps = 0.01  # a new setting: one solve requested, still running
    assert len(submitted) == 1
    for yaw in (40.0, 50.0, 60.0):
        view.model.yaw = yaw
    assert len(submitted) == 1
    # its result arrives: shown, with how far the shape turned since it was asked for
    view._show_result(submitted[0]())
    assert _shown(view)["solver"] == "entropic, ε = 0.01"
    assert view.rotation_change < 1e-12
