"""The WGAN critic page builds without a server, shows numbers an independent computation
reproduces (POT's emd2, scipy's Gaussian densities), and keeps its last valid state under
hostile links and syncs."""

from __future__ import annotations

import array
import math

import numpy as np
import ot
import pytest
from scipy.stats import multivariate_normal

from ot_engine import InvalidInput, train_gp_critic
from pages import wgan_critic as page
from pages.query import parse_query
from pages.wgan_critic_plots import GRID


def shown(view) -> dict[str, str]:
    return {row[0]: row[3] for row in view.readouts.rows}


def independent(preset, offset, h):
    """W1 by POT, its offset gradient by a finite difference of POT's value, and the JS
    minimax gradient from scipy's densities with a finite difference (not the engine)."""
    X, B = page.make_clouds(preset)
    Y = B + np.asarray(offset)
    n = len(X)
    a = np.full(n, 1 / n)

    def w1(o):
        return ot.emd2(a, a, ot.dist(X, B + o, metric="euclidean"))

    step = 1e-6
    o = np.asarray(offset, dtype=float)
    grad_w1 = [(w1(o + step * e) - w1(o - step * e)) / (2 * step) for e in np.eye(2)]

    def dens(P, Z):
        return np.mean([multivariate_normal(p, h * h * np.eye(2)).pdf(Z) for p in P], axis=0)

    pr, pg = dens(X, Y), dens(Y, Y)
    D = pr / (pr + pg)

    def minimax(shift):  # D held fixed: only the evaluation points move
        Z = Y + shift
        r, g = dens(X, Z), dens(Y, Z)
        return np.mean(np.log(g / (r + g)))

    grad_js = [(minimax(step * e) - minimax(-step * e)) / (2 * step) for e in np.eye(2)]
    return w1(o), np.hypot(*grad_w1), np.hypot(*grad_js), D.mean()


def test_page_builds_without_a_server():
    page.WganCriticPage(embed=True).__panel__()
    view = page.WganCriticPage.create()
    view.__panel__()
    assert view.model.offset == (1.5, 0.5) and view.model.lam == 10.0
    assert list(shown(view))[:2] == ["w1", "dual"]


@pytest.mark.parametrize(
    "args",
    [{}, {"preset": "ring", "offset": (0.5, -1.0), "h": 0.5}, {"preset": "stripes"}],
)
def test_readouts_match_pot_and_scipy(args):
    view = page.WganCriticPage(page.WganModel(**args), embed=False)
    m = view.model
    w1, g_w1, g_js, mean_d = independent(m.preset, m.offset, m.h)
    values = shown(view)
    assert values["w1"] == page.fmt(w1)
    assert float(values["dual"]) == pytest.approx(w1, rel=1e-5)
    assert float(values["gw1"]) == pytest.approx(g_w1, rel=1e-4)
    assert float(values["gjs"]) == pytest.approx(g_js, rel=1e-3, abs=1e-9)
    assert float(values["dfake"]) == pytest.approx(mean_d, rel=1e-3)
    assert float(values["lip"]) <= 1 + 1e-9
    assert float(values["dist"]) == pytest.approx(math.dist(m.offset, page.REAL_CENTRE), rel=1e-5)


def test_trained_critic_is_the_engines_and_its_estimate_is_shown():
    view = page.WganCriticPage(page.WganModel(lam=100.0, seed=3), embed=False)
    X, B = page.make_clouds("gaussians")
    direct = train_gp_critic(X, B + np.array([1.5, 0.5]), 100.0, steps=page.STEPS, seed=3)
    values = shown(view)
    assert values["gp"] == page.fmt(direct.estimate)
    X, Y = page.make_clouds("gaussians")[0], B + np.array([1.5, 0.5])
    w1 = ot.emd2(np.full(40, 1 / 40), np.full(40, 1 / 40), ot.dist(X, Y, metric="euclidean"))
    assert float(values["gpgap"]) == pytest.approx(direct.estimate - w1, rel=1e-5)
    # a strong penalty: close to the exact W1
    assert float(values["gp"]) == pytest.approx(float(values["w1"]), rel=0.1)


def test_gradient_sizes_w1_stays_js_dies():
    d, w1, js = page.norm_curve("gaussians", (1.0, 0.0), 0.3)
    far = d >= 4
    assert (w1[far] > 0.95).all()
    assert (js[far] < 1e-10).all() and js[d == 1.0][0] > 1e-3
    # W1's gradient grows to ~1 as the clouds separate; JS's falls after a peak
    assert w1[-1] > w1[0]


def feed(view, flat):
    pts = view.critic_fig.points
    pts.flow.submit(**pts._parse_moves({"m": array.array("d", flat)}))


def test_a_drag_recomputes_and_the_link_follows_on_release():
    view = page.WganCriticPage(embed=False)
    before = shown(view)
    feed(view, [1.0, 0.0, 3.0, -1.0, 0.0])  # moving
    during = shown(view)
    assert during["w1"] != before["w1"] and view.model.offset == (1.5, 0.5)
    w1, *_ = independent("gaussians", (3.0, -1.0), 0.3)
    assert during["w1"] == page.fmt(w1)
    feed(view, [2.0, 1.0, 3.0, -1.0, 0.0])  # released
    assert view.model.offset == (3.0, -1.0)
    assert (view.x_slider.value, view.y_slider.value) == (3.0, -1.0)
    assert view.norm_fig.now.location == pytest.approx(math.dist((3, -1), page.REAL_CENTRE))


@pytest.mark.parametrize(
    "flat",
    [
        [1.0, 1.0, math.nan, 0.0, 0.0],
        [1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0],  # two points
        [1.0, 1.0, 9.0, 9.0, 0.0],  # out of bounds
        [1.0, 1.0, 0.0, 0.0, 3.0],  # bad group
        [0.0] * 100_000,  # huge
    ],
)
def test_hostile_syncs_keep_the_last_valid_state(flat):
    view = page.WganCriticPage(embed=False)
    before = shown(view)
    feed(view, flat)
    assert shown(view) == before and view.model.offset == (1.5, 0.5)
    assert view.critic_fig.points.rejected == 1


def test_browser_writable_sync_is_small():
    view = page.WganCriticPage(embed=False)
    assert view.critic_fig.points.moves._ot_writable[1] < 16


def test_query_keys_accept_good_values():
    values, notices = parse_query(
        {"preset": "ring", "offset": "2.5,-1", "h": "0.45", "lam": "100", "seed": "12"},
        page.QUERY_KEYS,
    )
    assert notices == []
    assert values == {"preset": "ring", "offset": (2.5, -1.0), "h": 0.45, "lam": 100.0, "seed": 12}


@pytest.mark.parametrize(
    "query, key",
    [
        ({"offset": "nan,1"}, "offset"),
        ({"offset": "1"}, "offset"),
        ({"offset": "1,2,3"}, "offset"),
        ({"offset": "1e308,0"}, "offset"),
        ({"offset": "x" * 5000}, "offset"),
        ({"h": "0"}, "h"),
        ({"h": "inf"}, "h"),
        ({"lam": "3"}, "lam"),
        ({"lam": "-1"}, "lam"),
        ({"seed": "1" * 40}, "seed"),
        ({"preset": "<script>"}, "preset"),
        ({"preset": "\udcff"}, "preset"),
    ],
)
def test_query_keys_refuse_bad_values_with_a_notice(query, key):
    values, notices = parse_query(query, page.QUERY_KEYS)
    assert values == {} and len(notices) == 1 and f"'{key}'" in notices[0]


def test_offsets_are_clamped_and_rounded():
    m = page.WganModel(offset=(1.23456, -9.0))
    assert m.offset == (1.23, -4.0)


def test_an_engine_failure_keeps_the_last_view_with_a_message(monkeypatch):
    view = page.WganCriticPage(embed=False)
    before = shown(view)

    def broken(*_a, **_k):
        raise InvalidInput("Y has a point that is not finite")

    monkeypatch.setattr(page, "compute_view", broken)
    view.model.offset = (2.0, 2.0)
    assert view.message.visible and "not finite" in view.message.object
    assert shown(view)["w1"] == before["w1"]


def test_a_training_error_is_a_message_and_the_last_result_stays():
    view = page.WganCriticPage(embed=False)
    kept = view.trained
    view._job.submit(lambda: (_ for _ in ()).throw(InvalidInput("no good")))
    assert "no good" in view.status.object and view.trained is kept


def test_payloads_are_small():
    view = page.WganCriticPage(embed=False)
    img = view.critic_fig.layers.image.data["image"][0]
    assert img.dtype == np.uint8 and img.shape == (GRID, GRID)
    assert view.clouds.fake.data["x"].dtype == np.float32
    # one pair of cloud sources for the three field figures
    assert view.js_fig.layers.clouds is view.clouds is view.gp_fig.layers.clouds


def test_a_drag_answer_sends_only_what_changed():
    """A drag sync's answer: both fields, the arrows, the fake cloud and where it was drawn;
    not the real cloud, the trained field, the handle (the browser holds it), the curve or
    its marker."""
    from bokeh.document import Document

    view = page.WganCriticPage(embed=False)
    doc = Document()
    doc.add_root(view.figure_pane.get_root(doc))
    changed = []
    doc.on_change(lambda e: changed.append(getattr(e, "model", None)))
    feed(view, [1.0, 0.0, 1.6, 0.5, 0.0])  # a small move while dragging
    assert view.clouds.drawn.data == {"x": [1.6], "y": [0.5]}
    sent = set(map(id, changed))
    assert id(view.clouds.fake) in sent and id(view.critic_fig.layers.image) in sent
    for quiet in (
        view.clouds.real,
        view.gp_fig.layers.image,
        view.critic_fig.points.source,
        view.norm_fig.curve,
        view.norm_fig.now,  # the curve and its marker follow on release
        view.critic_fig.mapper,  # the colour range moves in steps
    ):
        assert id(quiet) not in sent


def test_takehome_is_text_and_names_the_view():
    view = page.WganCriticPage(page.WganModel(preset="ring", lam=1.0), embed=False)
    th = view.takehome()
    assert "preset, offset, h, lam, seed = 'ring'" in th.code
    assert "ot.emd(a, b, C, log=True)" in th.code


def test_sliders_and_model_stay_in_step():
    view = page.WganCriticPage(embed=False)
    view.model.offset = (-2.0, 3.0)
    assert (view.x_slider.value, view.y_slider.value) == (-2.0, 3.0)
    assert view.model.offset == (-2.0, 3.0)
    view.y_slider.value = 1.0
    assert view.model.offset == (-2.0, 1.0)
    assert shown(view)["dist"] == page.fmt(math.dist((-2.0, 1.0), page.REAL_CENTRE))


def test_a_slider_step_with_float_noise_is_answered_once(monkeypatch):
    view = page.WganCriticPage(embed=False)
    refreshes = []
    refresh = view._refresh
    monkeypatch.setattr(view, "_refresh", lambda **kw: refreshes.append(kw) or refresh(**kw))
    view.x_slider.value = 1.5 + 0.1 + 0.1  # what a browser slider sends: 1.7000000000000002
    assert view.model.offset == (1.7, 0.5)
    assert len(refreshes) == 1  # not once for the raw value and again for the clamped one
