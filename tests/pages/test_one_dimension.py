"""Page /one_dimension without a server: model, numbers shown, curves, deep links, bad input."""

from __future__ import annotations

import math
import re

import numpy as np
import ot
import pytest
import scipy.stats

from ot_engine import quantile_1d, transport_1d
from pages import histogram_pair as hp
from pages import one_dimension as od
from pages import one_dimension_plots as plots
from pages import prose
from pages.query import parse_query

ORDERS = [1, 2, 3, 10, math.inf]


def _grid(n: int) -> np.ndarray:
    return (np.arange(n) + 0.5) / n  # by hand, independent of ot_engine


def _same(text: str, value: float) -> bool:
    """``text`` is ``value`` shown to 6 significant digits (half a unit of the last digit)."""
    if value == 0:
        return float(text) == 0
    unit = 10.0 ** (math.floor(math.log10(abs(value))) - 5)
    return abs(float(text) - value) <= 0.51 * unit + 1e-15


def _shown(page) -> dict[str, str]:
    return {row[0]: row[3] for row in page.readouts.rows}


def _bottleneck_by_emd(x, a, b) -> float:
    """min over plans of the largest move, by scanning thresholds with POT's emd (0/1 cost)."""
    D = np.abs(x[:, None] - x[None, :])
    for t in np.unique(D[np.ix_(a > 0, b > 0)]):
        if ot.emd2(a, b, (D > t + 1e-12).astype(float)) < 1e-12:
            return float(t)
    raise AssertionError("unreachable")


@pytest.fixture
def page():
    return od.OneDimensionPage(od.OneDimension(n=32), embed=False)


# --- numbers shown against independent computations --------------------------------------


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("preset", ["bimodal to unimodal", "split atom"])
def test_readouts_match_pot_and_scipy(order, preset):
    page = od.OneDimensionPage(od.OneDimension(n=48, preset=preset, order=order), embed=False)
    shown = _shown(page)
    m = page.model
    x = _grid(48)
    a, b = m.p / m.p.sum(), m.q / m.q.sum()
    if order == math.inf:
        oracle = _bottleneck_by_emd(x, a, b)
    else:
        oracle = ot.wasserstein_1d(x, x, a, b, p=order) ** (1 / order)
        lp = ot.emd2(a, b, np.abs(x[:, None] - x[None, :]) ** order) ** (1 / order)
        assert _same(shown["lp"], lp)
    assert _same(shown["wp"], oracle)
    assert _same(shown["lp"], oracle)
    assert float(shown["diff"]) < 1e-12
    assert shown["lp_status"] == "yes" and float(shown["lp_error"]) < 1e-12
    assert _same(shown["w1"], scipy.stats.wasserstein_distance(x, x, a, b))
    assert _same(shown["winf"], _bottleneck_by_emd(x, a, b))
    assert not page.readouts.flagged()
    label = next(r[1] for r in page.readouts.rows if r[0] == "wp")
    assert label.startswith("W∞" if order == math.inf else f"W{order} ")


def test_the_inf_gap_segment_marks_a_largest_gap(page):
    page.model.order = math.inf
    data = page.figs.inf_gap.data
    gap = abs(data["y1"][0] - data["y0"][0])
    assert gap == pytest.approx(page.model.solution.transport.w_inf, abs=1e-15)
    s = data["s"][0]
    x = _grid(32)
    assert quantile_1d(x, page.model.p, s) == data["y0"][0]
    assert quantile_1d(x, page.model.q, s) == data["y1"][0]


def test_level_readout_names_the_matched_pair(page):
    m = page.model
    m.s = 0.3
    x = _grid(32)
    xf, xg = quantile_1d(x, m.p, 0.3), quantile_1d(x, m.q, 0.3)
    text = page.probe.object
    assert f"F⁻¹(s) = {xf:.4f}" in text and f"G⁻¹(s) = {xg:.4f}" in text
    assert "s = 0.300" in text
    # the browser's level marks are the same pair (pages/one_dimension_plots.py:level_marks)
    assert plots.level_marks(x, m.p, m.q, 0.3) == (xf, xg)


# --- the curves the browser draws (their Python twin) ----------------------------------------


@pytest.mark.parametrize("preset", ["two Gaussians", "split atom", "uniform to spike"])
def test_curves_agree_with_the_engine(preset):
    m = od.OneDimension(n=40, preset=preset)
    x = _grid(40)
    c = plots.curves(x, m.p, m.q)
    res = transport_1d(x, m.p, x, m.q, order=1)
    # CDFs: step values at the bin centres, from 0 to 1
    F = np.cumsum(m.p) / m.p.sum()
    assert np.allclose(c["cdf"]["F"][2:-1:2], F)
    assert c["cdf"]["F"][0] == 0 and c["cdf"]["F"][-1] == 1
    # the shaded area between them is W1
    t, Fs, Gs = (np.asarray(c["cdf"][k]) for k in ("t", "F", "G"))
    area = np.sum(np.abs(Fs - Gs)[:-1] * np.diff(t))
    assert area == pytest.approx(res.w1_area, rel=1e-12)
    # the browser's pieces are the engine's monotone plan
    pc = c["pieces"]
    # (the engine also lists rounding slivers of ~1e-17 levels: no mass, nothing to draw)
    real = res.mass > 1e-12
    assert np.allclose(pc["hi"], res.levels[1:][real]) and np.allclose(pc["mass"], res.mass[real])
    assert np.array_equal(pc["xs"], res.source[real])
    assert np.array_equal(pc["ys"], res.target[real])
    # quantile steps: flat at x_i on each atom's levels
    q = c["qf"]
    mids = (np.asarray(q["s"][0::2]) + np.asarray(q["s"][1::2])) / 2
    assert np.array_equal(quantile_1d(x, m.p, mids), np.asarray(q["x"][0::2]))
    # the map T = G^-1(F(x)) at the source's support (levels equal up to rounding are one)
    k = np.flatnonzero(m.p > 0)
    levels = np.clip(F[k] - plots.LEVEL_EPS, 0, 1)
    assert np.array_equal(np.asarray(c["tmap"]["y"][0::2]), quantile_1d(x, m.q, levels))


# --- recomputation and bad input --------------------------------------------------------------


def _browser_sync(page, name: str, top) -> None:
    """A histogram's bars as a browser sync arrives: Bokeh calls the source's on_change."""
    source = page.histograms[name].source
    source.trigger("data", source.data, {"x": source.data["x"], "top": top})


def test_a_drag_recomputes(page):
    before = page.model.solution
    p = page.model.p.copy()
    p[3] = 0.9
    _browser_sync(page, "p", list(p))
    after = page.model.solution
    assert after is not before and after.a[3] == pytest.approx(0.9 / p.sum())


def test_all_mass_removed_keeps_the_last_numbers(page):
    before = page.model.solution
    _browser_sync(page, "q", [0.0] * 32)
    assert page.model.solution is before
    assert "Add some mass to q" in page.model.problem
    assert page.problem_note.visible and 'role="alert"' in page.problem_note.object
    _browser_sync(page, "q", [0.5] * 32)
    assert page.model.problem == "" and page.model.solution is not before
    assert not page.problem_note.visible


def test_hostile_syncs_are_refused_or_cleaned(page):
    before = page.model.solution
    _browser_sync(page, "p", [float("nan")] * 16 + [-3.0] * 8 + [1e300] * 8)
    p = page.model.p
    assert np.all(np.isfinite(p)) and p.min() >= 0 and p.max() <= 1
    # wrong length: refused, the bars are put back
    _browser_sync(page, "q", [0.5] * 7)
    assert page.model.q.size == 32
    assert page.model.solution is not before  # the cleaned p was solved
    # levels: invalid ones are answered and ignored, out of range ones clipped
    answers = page.flow.answers
    for bad in ({"s": ["x"]}, {"s": []}, {}, {"s": [float("nan")]}, {"s": [float("inf")]}):
        page.figs.level.trigger("data", {}, bad)
    assert page.model.s == 0.5 and page.flow.answers >= answers + 5
    page.figs.level.trigger("data", {}, {"s": [7.0]})
    assert page.model.s == 1.0
    page.figs.level.trigger("data", {}, {"s": [0.12345]})
    assert page.model.s == 0.123


def test_burst_of_events_ends_in_the_last_state(page):
    p = page.model.p.copy()
    for k in range(50):
        p[k % 32] = (k % 10) / 10
        page.flow.submit(p=p.copy(), s=k / 50)
    assert np.array_equal(page.model.p, hp.round_heights(p))
    assert page.model.s == pytest.approx(49 / 50)
    x = _grid(32)
    a, b = page.model.p / page.model.p.sum(), page.model.q / page.model.q.sum()
    assert page.model.solution.distance == pytest.approx(
        ot.wasserstein_1d(x, x, a, b, p=2) ** 0.5, rel=1e-9
    )


def test_bins_and_presets(page):
    m = page.model
    m.n = 64
    assert m.p.size == 64 and m.solution.x.size == 64
    assert page.histograms["p"].source.data["x"].size == 64
    m.preset = "shifted copy"
    assert m.solution.transport.w1_area == pytest.approx(0.35, abs=0.01)
    m.p = np.zeros(64)
    m.reset(m)
    assert m.p.any() and not m.problem


# --- deep links -------------------------------------------------------------------------------


def test_order_parser():
    assert [od.parse_order(v) for v in ("1", "10", "inf", "∞", "Infinity")] == [
        1,
        10,
        math.inf,
        math.inf,
        math.inf,
    ]
    for bad in ("0", "11", "2.5", "-1", "nan", "1e9", "", "٣", "inf" * 100):
        with pytest.raises(ValueError):
            od.parse_order(bad)


def test_query_round_trip_and_hostile_values():
    query = {"n": "32", "p": ",".join(["0.5"] * 32), "order": "inf", "s": "0.25"}
    values, notices = parse_query(query, od.QUERY_KEYS)
    assert not notices and values["order"] == math.inf and values["s"] == 0.25
    model = od.OneDimension(**values)
    assert model.solution.order == math.inf
    shown = {spec.key: spec.format(getattr(model, spec.param)) for spec in od.QUERY_KEYS}
    assert shown["order"] == "inf" and shown["s"] == "0.25" and shown["n"] == "32"
    hostile = {
        "order": "1e999",
        "s": "nan",
        "n": "9" * 40,
        "p": "a,b,c",
        "q": "\udcff\udcfe",
    }
    values, notices = parse_query(hostile, od.QUERY_KEYS)
    assert values == {} and len(notices) == 5
    for notice in notices:
        assert "\udcff" not in notice and "1e999" not in notice


def test_link_notice_when_bars_are_rebinned():
    query = {"n": "32", "p": ",".join(["0.5"] * 20)}
    values, _ = parse_query(query, od.QUERY_KEYS)
    model = od.OneDimension(**values)
    assert model.p.size == 32
    notices = od.OneDimensionPage.link_notices(model, query)
    assert notices and "rebinned to 32" in notices[0]


# --- prose and take-home ----------------------------------------------------------------------


def test_prose_renders_with_boxes_proofs_and_a_concept_card():
    text = (prose.ASSETS / "prose" / "one_dimension.md").read_text(encoding="utf-8")
    for anchor in (
        "thm-monotone",
        "thm-quantile-formula",
        "prop-w1-area",
        "def-winf",
        "rem-convexity",
    ):
        assert "{#" + anchor + "}" in text
    assert text.count("::: proof") >= 3 and "::: concept" in text
    pane = od.OneDimensionPage(embed=False).prose()
    assert pane is not None


def test_prose_claims():
    # the convexity remark: mu = (d0 + d1)/2, nu = (d1 + d2)/2
    x = np.array([0.0, 1.0, 2.0])
    a, b = np.array([0.5, 0.5, 0]), np.array([0, 0.5, 0.5])
    for power, monotone, other in ((1, 1, 1), (2, 1, 2), (0.5, 1, 0.5 * math.sqrt(2))):
        C = np.abs(x[:, None] - x[None, :]) ** power
        P_mon = np.array([[0, 0.5, 0], [0, 0, 0.5], [0, 0, 0]])
        P_other = np.array([[0, 0, 0.5], [0, 0.5, 0], [0, 0, 0]])
        assert np.sum(C * P_mon) == pytest.approx(monotone)
        assert np.sum(C * P_other) == pytest.approx(other)
        assert ot.emd2(a, b, C) == pytest.approx(min(monotone, other))
    # the example: W_p = eps^(1/p), W_inf = 1
    for eps in (0.1, 1e-3):
        for p in (1, 2, 3):
            got = transport_1d([0, 1], [1, 0], [0, 1], [1 - eps, eps], order=p).distance
            assert got == pytest.approx(eps ** (1 / p))
        assert transport_1d([0, 1], [1, 0], [0, 1], [1 - eps, eps], order=math.inf).w_inf == 1
    # "Try next": shifted copy, raise the rightmost target bar to 0.02
    m = od.OneDimension(n=64, preset="shifted copy")
    x = _grid(64)
    wp = [transport_1d(x, m.p, x, m.q, order=p).distance for p in (1, 2, 10, math.inf)]
    assert max(wp) - min(wp) < 0.015 and round(wp[-1], 2) == 0.36
    q = m.q.copy()
    q[-1] = 0.02
    w1 = transport_1d(x, m.p, x, q, order=1).distance
    w_inf = transport_1d(x, m.p, x, q, order=math.inf).distance
    assert round(w_inf, 2) == 0.52 and abs(w1 - wp[0]) < 0.001


@pytest.mark.parametrize("order", [2, math.inf])
def test_takehome_code_runs_and_prints_the_page_numbers(order, capsys):
    page = od.OneDimensionPage(od.OneDimension(n=24, order=order), embed=False)
    th = page.takehome()
    exec(compile(th.cells[0], "<takehome>", "exec"), {})
    out = capsys.readouterr().out
    shown = _shown(page)
    w1 = float(re.search(r"W1 = area between F and G = (\S+)", out).group(1))
    w_inf = float(re.search(r"W_inf = largest quantile gap = (\S+)", out).group(1))
    assert w1 == pytest.approx(float(shown["w1"]), rel=1e-5)
    assert w_inf == pytest.approx(float(shown["winf"]), rel=1e-5)
    if order == math.inf:
        at, under = re.search(r"forbidden mass (\S+); just below: (\S+)", out).groups()
        assert float(at) < 1e-12 < float(under)
    else:
        for label in ("quantile formula", "from the LP", "from ot.wasserstein_1d"):
            value = float(re.search(rf"W2 \(?{label}\)? = (\S+)", out).group(1))
            assert value == pytest.approx(float(shown["wp"]), rel=1e-5), label
    assert page.caption_lines() and all("compute time" not in line for line in page.caption_lines())
