"""The domain adaptation page builds without a server, shows numbers that POT's ot.da classes
and scikit-learn reproduce, and keeps its last valid state under bad samples, hostile links
and syncs."""

from __future__ import annotations

import array
import math
from pathlib import Path

import numpy as np
import ot
import pytest
from sklearn.svm import SVC

from pages import domain_adaptation as page
from pages import registry
from pages.query import parse_query

ROOT = Path(__file__).resolve().parents[2]


def shown(view) -> dict[str, str]:
    return {row[0]: row[3] for row in view.readouts.rows}


def independent(Xs, ys, Xt, yt, method, eps, eta):
    """The page's readouts from POT's ot.da classes and a fresh SVC (not the engine)."""
    n = len(yt)

    def acc(X):
        clf = SVC(kernel="rbf", gamma=page.GAMMA, C=page.PENALTY).fit(X, ys)
        a = float(np.mean(clf.predict(Xt) == yt))
        return f"{a:.3f} ({round(a * n)}/{n})"

    das = {
        "exact": ot.da.EMDTransport(),
        "entropic": ot.da.SinkhornTransport(reg_e=eps, max_iter=100_000, tol=1e-12),
        "class": ot.da.SinkhornLpl1Transport(
            reg_e=eps, reg_cl=eta, max_iter=10, max_inner_iter=5000, tol=1e-11
        ),
    }
    out = {"acc_before": acc(Xs)}
    mapped = {}
    for key, da in das.items():
        da.fit(Xs=Xs, ys=ys, Xt=Xt)
        mapped[key] = da.transform(Xs=Xs)
        out[f"acc_{key}"] = acc(mapped[key])
    a, b = np.full(len(Xs), 1 / len(Xs)), np.full(n, 1 / n)
    out["w2_before"] = f"{math.sqrt(ot.emd2(a, b, ot.dist(Xs, Xt))):.4f}"
    out["w2_after"] = f"{math.sqrt(ot.emd2(a, b, ot.dist(mapped[method], Xt))):.4f}"
    out["cost"] = f"{np.sum(das[method].coupling_ * ot.dist(Xs, Xt)):.4f}"
    return out


def test_page_is_registered_in_chapter_four():
    info = registry.info("domain_adaptation")
    assert info.chapter == 4 and registry.page_class(info.slug) is page.DomainAdaptationPage


def test_page_builds_without_a_server():
    view = page.DomainAdaptationPage.create()
    view.__panel__()
    assert view.model.preset == "moons" and view.model.method == "class"
    assert list(shown(view))[:2] == ["acc_before", "acc_exact"]
    assert view.sweep is not None  # without a server the sweep runs in line


@pytest.mark.parametrize(
    "args",
    [
        {},
        {
            "preset": "blobs",
            "angle": -30.0,
            "scale": 0.6,
            "method": "entropic",
            "eps": 0.5,
            "eta": 0.1,
        },
        {"n": 40, "angle": 90.0, "dx": -1.0, "method": "exact", "eta": 5.0, "seed": 3},
    ],
)
def test_readouts_are_pot_da_and_sklearn(args):
    view = page.DomainAdaptationPage(page.DomainModel(**args), embed=False)
    m, v = view.model, view.view
    expected = independent(v.Xs, v.ys, v.Xt, v.yt, m.method, m.eps, m.eta)
    values = shown(view)
    for key, text in expected.items():
        assert values[key] == text, key
    assert float(values["marginal"]) < 1e-8


def test_the_prose_numbers_are_the_pages():
    prose = (ROOT / "assets" / "prose" / "domain_adaptation.md").read_text(encoding="utf-8")
    default = shown(page.DomainAdaptationPage(embed=False))
    turned = shown(page.DomainAdaptationPage(page.DomainModel(angle=90.0), embed=False))
    assert default["acc_before"].startswith("0.633") and "scores 0.633" in prose
    assert default["acc_class"].startswith("0.950") and "0.95 after the class" in prose
    assert turned["acc_exact"].startswith("0.583") and "scores 0.583" in prose
    assert turned["acc_before"].startswith("0.650") and "below\nthe 0.650" in prose


def test_exact_plan_with_equal_sizes_lands_on_the_target():
    # The prose's second claim of prop-bary-cost: a permutation, so W2 after is 0.
    view = page.DomainAdaptationPage(page.DomainModel(method="exact"), embed=False)
    assert shown(view)["w2_after"] == "0.0000"
    v = view.view
    assert np.allclose(np.sort(v.shown.mapped, axis=0), np.sort(v.Xt, axis=0))


def test_boundary_layers_are_the_classifiers():
    view = page.DomainAdaptationPage(embed=False)
    v = view.view
    from pages.domain_adaptation_plots import grid_points

    G = grid_points()
    before = SVC(kernel="rbf", gamma=page.GAMMA, C=page.PENALTY).fit(v.Xs, v.ys)
    assert np.allclose(v.before_grid.ravel(), before.decision_function(G), atol=1e-8)
    after = SVC(kernel="rbf", gamma=page.GAMMA, C=page.PENALTY).fit(v.shown.mapped, v.ys)
    assert np.mean(v.after_grid.ravel() == after.predict(G)) > 0.999
    image = view.plot.regions.data["image"][0]
    assert image.dtype == np.int8 and image.shape == (page.GRID, page.GRID)


@pytest.mark.parametrize("preset", page.PRESETS)
@pytest.mark.parametrize("seed", [0, 7])
def test_decision_and_predict_are_scikit_learns(preset, seed):
    from pages.domain_adaptation_plots import grid_points

    Xs, ys, Xt, _ = page.make_clouds(preset, 40, seed, 30.0, 0.5, -0.2, 1.2)
    clf = SVC(kernel="rbf", gamma=page.GAMMA, C=page.PENALTY).fit(Xs, ys)
    for X in (grid_points(), Xt, Xs):
        ref = clf.decision_function(X)
        assert np.allclose(page.decision(clf, X), ref, atol=1e-9)
        away = np.abs(ref) > 1e-9  # the sign of an exact tie is the solver's to choose
        assert np.array_equal(page.predict(clf, X)[away], clf.predict(X)[away])


def test_a_class_opening_the_same_view_sweeps_it_once(monkeypatch):
    calls = []
    real = page.sweep_accuracy
    monkeypatch.setattr(page, "sweep_accuracy", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = page.DomainAdaptationPage(embed=False)
    second = page.DomainAdaptationPage(embed=False)
    assert len(calls) == 1 and second.sweep is first.sweep
    second.model.eps = 0.5  # another view: swept for it
    assert len(calls) == 2


# --- drags, bad samples, hostile syncs -----------------------------------------------------


def feed(view, flat):
    pts = view.plot.points
    pts.flow.submit(**pts._parse_moves({"m": array.array("d", flat)}))


def sync(xy, groups, seq=1, settled=True):
    flat = [float(seq), 1.0 if settled else 0.0]
    for (x, y), g in zip(xy, groups, strict=True):
        flat += [float(x), float(y), float(g)]
    return flat


def test_a_drag_recomputes_every_number_and_the_link_follows_on_release():
    view = page.DomainAdaptationPage(embed=False)
    pts = view.plot.points
    xy, g = pts.xy, pts.groups
    xy[g == 2] += [0.4, -0.3]  # every target sample of class A moves
    before = shown(view)
    feed(view, sync(xy, g, settled=False))
    assert view.model.points is None  # mid-drag: the link waits
    after = shown(view)
    assert after != before
    xy = xy.round(2)
    Xs, ys, Xt, yt = xy[g < 2], g[g < 2], xy[g >= 2], g[g >= 2] - 2
    assert after == {**after, **independent(Xs, ys, Xt, yt, "class", 0.1, 1.0)}
    feed(view, sync(xy, g, seq=2, settled=True))
    assert view.model.points is not None
    link = view.view_query()
    values, notices = parse_query(link, page.QUERY_KEYS)
    assert notices == [] and len(link["pts"]) < 4000
    again = page.DomainAdaptationPage(page.DomainModel(**values), embed=False)
    # The same view, but for the last digits of the marginal error: the dragged view's
    # solves started from the last answer's, the reloaded one's from scratch.
    reloaded, dragged = shown(again), shown(view)
    assert {**reloaded, "marginal": ""} == {**dragged, "marginal": ""}
    assert float(reloaded["marginal"]) <= 1e-9 and float(dragged["marginal"]) <= 1e-9
    # A control moved: the generated samples come back, the link drops the dragged ones.
    view.model.angle = 10.0
    assert view.model.points is None and view.view_query()["pts"] == ""


def test_removing_a_whole_target_class_keeps_the_last_state_with_a_message():
    view = page.DomainAdaptationPage(embed=False)
    pts = view.plot.points
    xy, g = pts.xy, pts.groups
    before = shown(view)
    keep = g != 3  # every target sample of class B removed (double taps, or Delete)
    feed(view, sync(xy[keep], g[keep]))
    assert shown(view) == before
    assert "both classes" in view.message.object and "last valid" in view.message.object
    assert len(pts.xy) == len(xy)  # the refused samples are put back in the browser
    # A valid state clears the message.
    feed(view, sync(xy, g, seq=2))
    assert view.message.object == ""


def test_a_collapsed_target_keeps_the_last_state_with_a_message():
    view = page.DomainAdaptationPage(embed=False)
    xy, g = view.plot.points.xy, view.plot.points.groups
    before = shown(view)
    xy[g >= 2] = [1.0, 1.0]
    feed(view, sync(xy, g))
    assert shown(view) == before and "one point" in view.message.object


@pytest.mark.parametrize(
    "flat",
    [
        [1.0, 1.0, math.nan, 0.0, 0.0],
        [1.0, 1.0] + [9.0, 9.0, 0.0] * 20,  # out of bounds
        [1.0, 1.0] + [0.0, 0.0, 7.0] * 20,  # bad group
        [1.0, 2.0] + [0.0, 0.0, 0.0] * 20,  # bad header
        [1.0, 1.0] + [0.0, 0.0, 0.0] * 130,  # more samples than shown: adding is not allowed
    ],
)
def test_hostile_syncs_keep_the_last_valid_state(flat):
    view = page.DomainAdaptationPage(embed=False)
    before = shown(view)
    feed(view, flat)
    assert shown(view) == before
    assert view.plot.points.rejected == 1


def test_huge_sync_is_refused_before_any_work():
    view = page.DomainAdaptationPage(embed=False)
    before = shown(view)
    feed(view, [0.0] * 100_000)
    assert shown(view) == before and view.plot.points.rejected == 1
    assert view.plot.points.moves._ot_writable[1] < 3 * page.MAX_POINTS + 20


# --- links -----------------------------------------------------------------------------------


def test_query_keys_accept_good_values():
    values, notices = parse_query(
        {
            "preset": "blobs",
            "n": "40",
            "angle": "-45",
            "dx": "1.5",
            "dy": "-0.2",
            "scale": "0.5",
            "method": "entropic",
            "eps": "0.5",
            "eta": "5",
            "seed": "12",
        },
        page.QUERY_KEYS,
    )
    assert notices == []
    assert values == {
        "preset": "blobs",
        "n": 40,
        "angle": -45.0,
        "dx": 1.5,
        "dy": -0.2,
        "scale": 0.5,
        "method": "entropic",
        "eps": 0.5,
        "eta": 5.0,
        "seed": 12,
    }


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ({"preset": "<script>"}, "preset"),
        ({"n": "19"}, "n"),
        ({"n": "9" * 5000}, "n"),
        ({"n": "١٠"}, "n"),
        ({"angle": "nan"}, "angle"),
        ({"angle": "inf"}, "angle"),
        ({"angle": "91"}, "angle"),
        ({"dx": "1e308"}, "dx"),
        ({"scale": "0"}, "scale"),
        ({"method": "nearest"}, "method"),
        ({"eps": "0.3"}, "eps"),
        ({"eps": "-1"}, "eps"),
        ({"eta": "\ufffd\ufffd"}, "eta"),
        ({"seed": "1e3"}, "seed"),
        ({"pts": "1,2"}, "pts"),
        ({"pts": "0,0,4"}, "pts"),
        ({"pts": "0,0,0.5"}, "pts"),
        ({"pts": "0,5,0"}, "pts"),
        ({"pts": ",".join(["0,0,0"] * 200)}, "pts"),
    ],
)
def test_query_keys_refuse_bad_values_with_a_notice(query, key):
    values, notices = parse_query(query, page.QUERY_KEYS)
    assert values == {}
    assert len(notices) == 1 and f"'{key}'" in notices[0]
    assert "<script>" not in notices[0]


def test_linked_samples_with_one_target_class_fall_back_with_a_notice():
    pts = "0,0,0,1,0,1,0.5,0.5,2,1,1,2"  # the target holds class A only
    values, notices = parse_query({"pts": pts}, page.QUERY_KEYS)
    assert notices == []
    view = page.DomainAdaptationPage(page.DomainModel(**values), embed=False)
    assert view.model.points is None
    assert any("both classes" in n for n in view.notices)
    assert shown(view) == shown(page.DomainAdaptationPage(embed=False))


def test_settings_recompute_and_caption_lines_are_the_readouts():
    view = page.DomainAdaptationPage(embed=False)
    view.model.method = "exact"
    assert shown(view)["w2_after"] == "0.0000"
    view.model.eps = 1.0
    assert "entropic" in view.readouts.rows[2][1]
    assert view.caption_lines()[0].startswith("accuracy on target, no adaptation: ")


def test_sweep_matches_single_views():
    view = page.DomainAdaptationPage(embed=False)
    sweep = view.sweep
    k = page.SWEEP_ANGLES.index(90)
    turned = page.DomainAdaptationPage(page.DomainModel(angle=90.0), embed=False).view
    for key in ("before", "exact", "entropic", "class"):
        assert sweep.accuracy[key][k] == pytest.approx(turned.accuracy[key])
    assert view.sweep_plot.source.data["angle"].tolist() == list(page.SWEEP_ANGLES)


def test_sweep_progress_and_failure_keep_the_last_sweep():
    view = page.DomainAdaptationPage(embed=False)
    last = view.sweep
    view._sweep_progress(0.5, "rotation 0°")
    assert view.progress.visible and 'value="50"' in view.progress.object
    view._sweep_failed("boom <b>")
    assert view.sweep is last and "&lt;b&gt;" in view.status.object
    assert not view.progress.visible


def test_takehome_code_names_the_current_view():
    view = page.DomainAdaptationPage(page.DomainModel(method="entropic", eps=0.2), embed=False)
    code = view.takehome().code
    assert 'shown = "entropic"' in code and "eps, eta = 0.2, 1" in code
    assert "SinkhornTransport" in code and "SVC" in code


def test_a_target_drag_reuses_the_source_classifier_and_sends_only_what_changed():
    view = page.DomainAdaptationPage(embed=False)
    xy, g = view.plot.points.xy, view.plot.points.groups
    k = int(np.flatnonzero(g == 2)[0])
    view._on_points(xy, g, False)  # the first sync rounds every sample (the link's digits)
    old = view.view
    image, colours = view.plot.regions.data["image"][0], view.plot.moved.data["colour"]
    xy[k] += [0.05, -0.05]
    view._on_points(xy, g, False)
    new = view.view
    assert new.before_clf is old.before_clf and new.before_grid is old.before_grid
    fresh = page.compute_view(new.Xs, new.ys, new.Xt, new.yt, "class", 0.1, 1.0)
    assert fresh.accuracy == new.accuracy and np.array_equal(fresh.before_grid, new.before_grid)
    assert np.array_equal(fresh.after_grid, new.after_grid)
    assert view.plot.moved.data["colour"] is colours  # the classes did not change
    if np.array_equal(new.after_grid, old.after_grid):
        assert view.plot.regions.data["image"][0] is image
    assert sorted(view.plot.links.data) == sorted(view.plot.LINK_COLUMNS)
    # a source sample moved: the source-only classifier is fitted again
    j = int(np.flatnonzero(g == 0)[0])
    xy[j] += [0.3, 0.3]
    view._on_points(xy, g, False)
    assert view.view.before_clf is not new.before_clf
