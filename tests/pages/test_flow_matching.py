"""The flow-matching page builds without a server and shows numbers POT and plain loops confirm."""

from __future__ import annotations

import numpy as np
import ot
import pytest

from ot_engine.flow_matching import make_clouds
from pages import flow_matching as fm
from pages import registry
from pages.query import parse_query


def _shown(view) -> dict[str, tuple[str, str]]:
    return {row[0]: (row[3], row[4]) for row in view.readouts.rows}


def _emd_w2(X, Y) -> float:
    u = np.full(len(X), 1 / len(X))
    return float(np.sqrt(ot.emd2(u, u, ot.dist(X, Y))))


def _crossings_by_loop(a, b) -> int:
    """Crossings by solving for the meeting point of every pair (floats; generic data)."""
    count = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            r, d, w = b[i] - a[i], b[j] - a[j], a[j] - a[i]
            den = r[0] * d[1] - r[1] * d[0]
            s = (w[0] * d[1] - w[1] * d[0]) / den
            u = (w[0] * r[1] - w[1] * r[0]) / den
            count += 0 <= s <= 1 and 0 <= u <= 1
    return count


@pytest.fixture(scope="module")
def default_view():
    return fm.FlowMatchingPage(fm.FlowModel(), embed=False)


def test_page_is_registered_in_chapter_four():
    assert registry.info("flow_matching").chapter == 4
    assert registry.page_class("flow_matching") is fm.FlowMatchingPage


def test_page_builds_without_a_server():
    view = fm.FlowMatchingPage.create()
    view.__panel__()
    assert view.fits is not None  # without a server the fit runs in line
    assert view.fits_key == view.model.scene_key


@pytest.mark.parametrize(
    "values", [{"n": 32, "batch": 256}, {"n": 32, "preset": "letter", "batch": 8, "seed": 4}]
)
def test_path_readouts_match_independent_computations(values):
    view = fm.FlowMatchingPage(fm.FlowModel(**values), embed=False)
    shown = _shown(view)
    x0, x1, _, _ = make_clouds(view.model.preset, 32, noise=view.model.noise, seed=view.model.seed)
    assert shown["cross"][0] == str(_crossings_by_loop(x0, x1))
    m = view.model.paths().pairing["ot"]
    assert shown["cross"][1] == str(_crossings_by_loop(x0, x1[m]))
    u = np.full(32, 1 / 32)
    assert shown["cost"][0] == f"{np.mean(np.sum((x1 - x0) ** 2, axis=1)):.4f}"
    if view.model.batch >= 32:  # one minibatch: the exact transport cost
        assert shown["cost"][1] == f"{ot.emd2(u, u, ot.dist(x0, x1)):.4f}"
    else:  # each minibatch is exact on its own
        for lo in range(0, 32, 8):
            sl = slice(lo, lo + 8)
            v = np.full(8, 1 / 8)
            cost = np.mean(np.sum((x1[m][sl] - x0[sl]) ** 2, axis=1))
            assert cost == pytest.approx(ot.emd2(v, v, ot.dist(x0[sl], x1[sl])), rel=1e-10)


def test_w2_readouts_match_pot(default_view):
    view = default_view
    shown = _shown(view)
    k = view.model.k
    paths = view.model.paths()
    for col, name in enumerate(fm.PAIRINGS):
        run = view.fits.runs[name]
        assert shown["w2"][col] == fm.fmt_w2(_emd_w2(run.samples[k - 1], paths.x1))
        assert shown["best"][col] == fm.fmt_w2(min(_emd_w2(s, paths.x1) for s in run.samples))
        assert shown["steps"][col] == str(fm.arrived(run.w2))
        assert shown["unexplained"][col] == f"{run.fit.unexplained:.1%}"
    assert shown["floor"][0] == fm.fmt_w2(_emd_w2(paths.y, paths.x1))


def test_transport_pairs_cross_less_and_arrive_sooner(default_view):
    shown = _shown(default_view)
    assert int(shown["cross"][1]) * 10 < int(shown["cross"][0])
    assert int(shown["steps"][1]) < int(shown["steps"][0])
    assert float(shown["unexplained"][1][:-1]) < float(shown["unexplained"][0][:-1]) / 4


def test_changing_k_is_a_lookup_with_no_new_fit(monkeypatch):
    view = fm.FlowMatchingPage(fm.FlowModel(), embed=False)
    submitted = []
    monkeypatch.setattr(view._job, "submit", lambda fn, **_: submitted.append(fn))
    for k in (1, 7, 20):
        view.model.k = k
        run = view.fits.runs["ot"]
        np.testing.assert_array_equal(
            view.sample_figs["ot"].samples.data["x"], run.samples[k - 1][:, 0].astype(np.float32)
        )
        assert _shown(view)["w2"][1] == fm.fmt_w2(run.w2[k - 1])
        assert view.curve.now.location == k
    assert submitted == []


def test_a_new_setting_redraws_paths_at_once_and_keeps_the_last_fit(monkeypatch):
    view = fm.FlowMatchingPage(fm.FlowModel(), embed=False)
    submitted = []
    monkeypatch.setattr(view._job, "submit", lambda fn, **_: submitted.append(fn))
    view.model.batch = 8
    assert len(submitted) == 1
    shown = _shown(view)
    paths = view.model.paths()
    assert shown["cross"][1] == str(paths.crossings["ot"])
    assert "(previous setting)" in {r[0]: r[1] for r in view.readouts.rows}["w2"]
    assert view.sample_figs["ot"].figure.title.text.endswith("previous setting")
    # its result arrives
    view._show_fits(submitted[0]())
    assert "(previous setting)" not in {r[0]: r[1] for r in view.readouts.rows}["w2"]


def test_a_failed_fit_keeps_the_last_result_with_a_message(default_view):
    view = fm.FlowMatchingPage(fm.FlowModel(), embed=False)
    before = _shown(view)["w2"]
    view._show_problem("the ridge system is singular")
    assert "singular" in view.status.object and "last result is kept" in view.status.object
    assert _shown(view)["w2"] == before


def test_progress_is_shown_and_reported_in_order():
    view = fm.FlowMatchingPage(fm.FlowModel(n=32), embed=False)
    view._show_progress(0.4, "independent pairs, 3 Euler steps")
    assert view.progress.visible and 'value="40"' in view.progress.object
    assert "3 Euler steps" in view.status.object
    seen = []
    fm.fit_both(("rings", 32, 0.0, 77, 32), progress=lambda f, t: seen.append((f, t)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] < 1.0
    assert seen[0][1].startswith("independent") and seen[-1][1].startswith("minibatch OT")


def test_fits_are_shared_between_sessions(monkeypatch):
    calls = []
    real = fm.fit_both
    monkeypatch.setattr(fm, "fit_both", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = fm.FlowMatchingPage(fm.FlowModel(n=32, seed=5), embed=False)
    second = fm.FlowMatchingPage(fm.FlowModel(n=32, seed=5), embed=False)
    assert len(calls) == 1 and second._job.result is first._job.result


def test_query_keys_accept_good_values():
    values, notices = parse_query(
        {"preset": "letter", "n": "64", "noise": "0.1", "batch": "32", "k": "5", "seed": "42"},
        fm.QUERY_KEYS,
    )
    assert notices == []
    assert values == {
        "preset": "letter",
        "n": 64,
        "noise": 0.1,
        "batch": 32,
        "k": 5,
        "seed": 42,
    }


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ({"preset": "<script>alert(1)</script>"}, "preset"),
        ({"n": "8"}, "n"),
        ({"n": "9" * 5000}, "n"),
        ({"n": "1e3"}, "n"),
        ({"noise": "nan"}, "noise"),
        ({"noise": "-0.1"}, "noise"),
        ({"noise": "inf"}, "noise"),
        ({"batch": "7"}, "batch"),
        ({"batch": "\udcff"}, "batch"),
        ({"k": "0"}, "k"),
        ({"k": "21"}, "k"),
        ({"k": "2.5"}, "k"),
        ({"seed": "-1"}, "seed"),
    ],
)
def test_query_keys_refuse_bad_values_with_a_notice(query, key):
    values, notices = parse_query(query, fm.QUERY_KEYS)
    assert values == {}
    assert len(notices) == 1 and f"'{key}'" in notices[0]
    assert "<script>" not in notices[0]


def test_model_bounds_refuse_absurd_values():
    model = fm.FlowModel()
    for name, value in (("n", 100_000), ("noise", 5.0), ("batch", 3), ("k", 0), ("preset", "x")):
        with pytest.raises(ValueError):
            setattr(model, name, value)
    assert model.n == 128


def test_caption_lines_are_the_readouts(default_view):
    lines = default_view.caption_lines()
    assert lines[0].startswith("path pairs that cross in the plane: ")


def test_new_samples_button_moves_to_the_next_seed(monkeypatch):
    view = fm.FlowMatchingPage(fm.FlowModel(n=32, seed=fm.MAX_SEED), embed=False)
    monkeypatch.setattr(view._job, "submit", lambda fn, **_: None)
    view._next_seed()
    assert view.model.seed == 0
    assert view.new_samples.label == "New random samples (seed 0)"


def test_embed_view_builds_without_prose_or_takehome():
    view = fm.FlowMatchingPage(fm.FlowModel(n=32), embed=True)
    layout = view.__panel__()
    text = repr(layout)
    assert "Generating data by moving noise" not in text
    assert view.takehome().title.startswith("Flow matching")


def _browser_side(view, k: int) -> dict:
    """What flow_matching_steps.js shows at ``k``, from the data the browser holds."""
    steps, lines = view.steps.data, view.curve.lines.data
    n = len(steps["ot_x"]) // fm.K_MAX
    lo, hi = (k - 1) * n, k * n
    return {
        "independent": (steps["ind_x"][lo:hi], steps["ind_y"][lo:hi]),
        "ot": (steps["ot_x"][lo:hi], steps["ot_y"][lo:hi]),
        "w2": (lines["independent_text"][k - 1], lines["ot_text"][k - 1]),
    }


def test_the_browser_holds_every_k_and_shows_what_the_server_shows():
    view = fm.FlowMatchingPage(fm.FlowModel(n=64, seed=3), embed=False)
    assert all(v.dtype == np.float32 for v in view.steps.data.values())
    assert len(view.steps.data["ot_x"]) == fm.K_MAX * 64
    # 20 sets x 64 points x 2 coordinates x 2 pairings, float32: 20 kB (82 kB at n = 256)
    assert sum(v.nbytes for v in view.steps.data.values()) == fm.K_MAX * 64 * 2 * 2 * 4
    # the readouts' W2 texts, the samples and the marker: equal for every k
    for k in range(1, fm.K_MAX + 1):
        view.model.k = k
        browser = _browser_side(view, k)
        assert browser["w2"] == _shown(view)["w2"]
        for name in fm.PAIRINGS:
            data = view.sample_figs[name].samples.data
            np.testing.assert_array_equal(browser[name][0], data["x"])
            np.testing.assert_array_equal(browser[name][1], data["y"])
            np.testing.assert_array_equal(
                browser[name][0], view.fits.runs[name].samples[k - 1][:, 0].astype(np.float32)
            )
        assert view.curve.now.location == k


def test_models_the_browser_writes_are_never_sent_back():
    view = fm.FlowMatchingPage(fm.FlowModel(n=32), embed=False)
    # the browser rewrites these at a new k: not synced, so nothing for the server to refuse
    assert not view.curve.now.syncable
    assert not any(fig.samples.syncable for fig in view.sample_figs.values())


def test_all_steps_are_sent_once_per_fit(monkeypatch):
    view = fm.FlowMatchingPage(fm.FlowModel(n=32), embed=False)
    sent = []
    view.steps.on_change("data", lambda attr, old, new: sent.append(1))
    monkeypatch.setattr(view._job, "submit", lambda fn, **_: None)
    for k in (1, 5, 20):
        view.model.k = k
    view.model.seed = 9  # a new setting: the previous fit's steps stay until its own arrives
    assert sent == []
    view._show_fits(fm.fit_both(view.model.scene_key))
    assert len(sent) == 1
