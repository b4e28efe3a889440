"""Page /interpolation without a server: model, numbers shown, deep links, bad input."""

from __future__ import annotations

import numpy as np
import ot
import pytest
from scipy.optimize import linear_sum_assignment

from pages import interpolation as ip
from pages import prose
from pages.components.points import HEAD
from pages.query import parse_query


def _grid(n: int) -> np.ndarray:
    return (np.arange(n) + 0.5) / n  # by hand, independent of ot_engine


def _w2(xs, u, ys, v) -> float:
    """W2 by POT's LP called directly (emd2 gives W2 squared for a squared cost)."""
    M = ot.dist(np.reshape(xs, (len(xs), -1)), np.reshape(ys, (len(ys), -1)))
    return float(np.sqrt(max(ot.emd2(u / u.sum(), v / v.sum(), M), 0.0)))


def _shown(rows) -> dict[str, tuple[str, str]]:
    return {row[0]: (row[3], row[4]) for row in rows}


def _mccann_by_hand(a, b, x, t):
    """McCann on the line from scratch: the monotone coupling as a north-west corner walk."""
    i = j = 0
    ra, rb = a[0], b[0]
    atoms, mass = [], []
    while i < len(a) and j < len(b):
        m = min(ra, rb)
        if m > 0:
            atoms.append((1 - t) * x[i] + t * x[j])
            mass.append(m)
        ra, rb = ra - m, rb - m
        if ra <= 1e-15:
            i += 1
            ra = a[i] if i < len(a) else 0
        if rb <= 1e-15:
            j += 1
            rb = b[j] if j < len(b) else 0
    return np.array(atoms), np.array(mass)


@pytest.fixture
def page():
    return ip.InterpolationPage(ip.Interpolation(n=32), embed=False)


def _sync(page, name, heights):
    hist = page.histograms[name]
    hist.source.trigger("data", {}, {"x": list(hist.x), "top": list(heights)})


@pytest.mark.parametrize("t", [0.0, 0.3, 0.5, 1.0])
@pytest.mark.parametrize("preset", ip.HIST_PRESETS)
def test_line_readouts_match_pot_and_a_hand_built_interpolant(preset, t):
    page = ip.InterpolationPage(ip.Interpolation(n=48, preset=preset, t=t), embed=False)
    m = page.model
    x = _grid(48)
    a, b = m.p / m.p.sum(), m.q / m.q.sum()
    atoms, mass = _mccann_by_hand(a, b, x, t)
    w = _w2(x, a, x, b)
    mix = (1 - t) * a + t * b
    shown = _shown(page.readouts.rows)
    assert shown["h_w01"] == (f"{w:.4f}", f"{w:.4f}")
    assert shown["h_build"][0] == f"{np.sqrt(ot.wasserstein_1d(x, x, a, b, p=2)):.4f}"
    assert shown["h_0t"] == (f"{_w2(x, a, atoms, mass):.4f}", f"{_w2(x, a, x, mix):.4f}")
    assert shown["h_t1"] == (f"{_w2(atoms, mass, x, b):.4f}", f"{_w2(x, mix, x, b):.4f}")
    assert shown["h_t_w"][0] == f"{t * w:.4f}"
    assert shown["h_geo"][0] == "yes" and shown["h_lp"] == ("yes", "yes")
    if 0 < t < 1:
        assert shown["h_geo"][1] == "no"  # the mixture fails the identities
    # the bars drawn: the hand-built atoms' mass per bin, and the mixture. On the page's own
    # grid: an atom can sit exactly on a bin edge (0.3 * 5 bins = 1.5), where the last bit of
    # a grid point decides the side.
    xs = m.solution.x
    atoms, mass = _mccann_by_hand(a, b, xs, t)
    edges = (xs[1:] + xs[:-1]) / 2
    bars = np.bincount(np.searchsorted(edges, atoms, side="right"), mass, minlength=48)
    assert np.allclose(page.bars.displacement.data["top"], bars, atol=1e-12)
    assert np.allclose(page.bars.mixture.data["top"], mix, atol=1e-15)


def test_plane_readouts_match_pot_and_scipy():
    page = ip.InterpolationPage(ip.Interpolation(cloud="split", t=0.3), embed=False)
    X, Y = ip.preset_clouds("split")
    _, match = linear_sum_assignment(ot.dist(X, Y))
    Z = 0.7 * X + 0.3 * Y[match]
    u = np.full(len(X), 1 / len(X))
    both, mix = np.vstack([X, Y]), np.r_[0.7 * u, 0.3 * u]
    w = _w2(X, u, Y, u)
    shown = _shown(page.cloud_readouts.rows)
    assert shown["c_w01"][0] == f"{w:.4f}"
    assert shown["c_0t"] == (f"{_w2(X, u, Z, u):.4f}", f"{_w2(X, u, both, mix):.4f}")
    assert shown["c_t1"] == (f"{_w2(Z, u, Y, u):.4f}", f"{_w2(both, mix, Y, u):.4f}")
    assert shown["c_geo"] == ("yes", "no")
    # the segments drawn are the matching's; the browser's start points are McCann's at t
    d = page.clouds.paths.data
    assert np.allclose(np.c_[d["x1"], d["y1"]], Y[match])
    assert np.allclose(np.c_[page.clouds.moving.data["x"], page.clouds.moving.data["y"]], Z)


def test_the_sliding_bump_closed_form():
    """Same bump shifted by 0.5: W2 = 0.5; McCann's bump is the translate by t/2; the
    mixture is sqrt(t)-ish, not t."""
    m = ip.Interpolation(n=64, preset="sliding bump", t=0.25)
    assert m.solution.w2_quantiles == pytest.approx(0.5, abs=1e-12)
    n = m.solution.numbers
    assert n.disp_0t.value == pytest.approx(0.125, abs=1e-9)
    assert n.mix_0t.value > 0.125 + 0.05


def test_time_requests_are_parsed_clamped_and_answered(page):
    answers = page.flow.answers
    for bad in ({"t": ["x"]}, {"t": []}, {}, {"t": [float("nan")]}, {"t": [float("inf")]}):
        page.time.request.trigger("data", {}, bad)
    assert page.model.t == 0.5 and page.flow.answers >= answers + 5
    page.time.request.trigger("data", {}, {"t": [7.0]})
    assert page.model.t == 1.0
    page.time.request.trigger("data", {}, {"t": [0.12345]})
    assert page.model.t == 0.123
    assert page.model.solution.numbers.t == 0.123
    assert page.model.cloud_solution.numbers.t == 0.123


def test_a_drag_recomputes_and_empty_mass_keeps_the_last_numbers(page):
    before = page.model.solution
    p = page.model.p.copy()
    p[3] = 0.9
    _sync(page, "p", p)
    after = page.model.solution
    assert after is not before and after.a[3] == pytest.approx(0.9 / p.sum())
    _sync(page, "q", [0.0] * 32)
    assert page.model.solution is after and "Add some mass to q" in page.model.problem
    assert page.problem_note.visible
    _sync(page, "q", [0.5] * 32)
    assert not page.model.problem and page.model.solution is not after


def test_hostile_bar_syncs_are_cleaned_or_refused(page):
    _sync(page, "p", [float("nan")] * 16 + [-3.0] * 8 + [1e300] * 8)
    p = page.model.p
    assert np.all(np.isfinite(p)) and p.min() >= 0 and p.max() <= 1
    _sync(page, "q", [0.5] * 7)
    assert page.model.q.size == 32
    assert all("nan" not in v for r in page.readouts.rows for v in r[3:5])


def test_burst_of_events_ends_in_the_last_state(page):
    p = page.model.p.copy()
    for k in range(40):
        p[k % 32] = (k % 10) / 10
        page.flow.submit(p=p.copy(), t=k / 40)
    assert page.model.t == pytest.approx(39 / 40)
    x = _grid(32)
    a, b = page.model.p / page.model.p.sum(), page.model.q / page.model.q.sum()
    assert page.model.solution.numbers.w01.value == pytest.approx(_w2(x, a, x, b), abs=1e-12)


def _moves(xy, g, settled=1.0):
    body = np.c_[xy, g].ravel()
    return {"m": [3.0, settled, *body.tolist()]}


def test_dragged_points_go_into_the_link_on_release_and_back():
    view = ip.InterpolationPage(embed=False)
    pts = view.clouds.points
    xy, g = pts.xy, pts.groups
    xy[0] = [1.23456, -0.98765]
    view._on_points(xy, g, False)  # mid-drag: numbers follow, the link waits
    assert view.model.points is None
    assert view.model.cloud_solution.X[0].tolist() == [1.235, -0.988]
    assert view.clouds.paths.data["x0"][0] == 1.235
    view._on_points(xy, g, True)
    assert view.model.points[:2] == (1.235, -0.988)
    link = view.view_query()
    values, notices = parse_query(link, ip.QUERY_KEYS)
    assert notices == []
    again = ip.InterpolationPage(ip.Interpolation(**values), embed=False)
    assert again.cloud_readouts.rows == view.cloud_readouts.rows
    view.model.cloud = "turn"
    assert view.model.points is None and view.view_query()["pts"] == ""
    assert np.allclose(view.clouds.points.xy[:16], ip.preset_clouds("turn")[0])


@pytest.mark.parametrize(
    "flat",
    [
        [1.0, 1.0, float("nan"), 0.0, 0.0],
        [1.0, 1.0] + [0.0, 0.0, 0.0] * 10,
        [1.0, 1.0] + [9.0, 9.0, 0.0] * 32,
        [1.0, 1.0] + [0.0, 0.0, 5.0] * 32,
        [0.0] * 100_000,
    ],
)
def test_hostile_point_syncs_keep_the_last_valid_state(flat):
    view = ip.InterpolationPage(embed=False)
    before = view.cloud_readouts.rows
    view.clouds.points.moves.trigger("data", {}, {"m": flat})
    assert view.cloud_readouts.rows == before and view.clouds.points.rejected == 1


def test_browser_writable_models_are_declared_small(page):
    assert page.time.request._ot_writable == (frozenset({"data"}), 16)
    assert page.clouds.points.moves._ot_writable[1] < HEAD + 3 * 32 + 20


def test_query_round_trip_and_hostile_values():
    query = {"n": "32", "p": ",".join(["0.5"] * 32), "t": "0.25", "cloud": "spread"}
    values, notices = parse_query(query, ip.QUERY_KEYS)
    assert not notices and values["t"] == 0.25
    model = ip.Interpolation(**values)
    assert model.solution.numbers.t == 0.25 and model.cloud == "spread"
    hostile = {
        "t": "nan",
        "n": "9" * 40,
        "p": "a,b,c",
        "q": "\udcff\udcfe",
        "cloud": "<script>",
        "pts": "1,2,3",
    }
    values, notices = parse_query(hostile, ip.QUERY_KEYS)
    assert values == {} and len(notices) == 6
    for raw in ("-0.1", "1.5", "1e999", "inf"):
        with pytest.raises(ValueError):
            ip.parse_time(raw)


def test_link_notice_when_bars_are_rebinned():
    query = {"n": "32", "p": ",".join(["0.5"] * 20)}
    values, _ = parse_query(query, ip.QUERY_KEYS)
    model = ip.Interpolation(**values)
    assert model.p.size == 32
    notices = ip.InterpolationPage.link_notices(model, query)
    assert notices and "rebinned to 32" in notices[0]


def test_presets_and_bins(page):
    m = page.model
    m.n = 64
    assert m.p.size == 64 and m.solution.x.size == 64
    assert page.bars.displacement.data["x"].size == 64
    m.preset = "one bump to two"
    assert m.solution.numbers.disp_0t.value == pytest.approx(0.5 * m.solution.w2_quantiles)
    m.p = np.zeros(64)
    m.reset(m)
    assert m.p.any() and not m.problem


def test_embed_view_builds():
    view = ip.InterpolationPage(embed=True)
    assert view.controls() is None and view.figure() is not None


def test_prose_renders_with_boxes_and_a_concept_card():
    text = (prose.ASSETS / "prose" / "interpolation.md").read_text(encoding="utf-8")
    for anchor in ("def-mccann", "thm-geodesic", "prop-mixture", "rem-w1", "prop-quantile"):
        assert "{#" + anchor + "}" in text
    assert text.count("::: proof") >= 3 and "::: concept" in text
    assert ip.InterpolationPage(embed=False).prose() is not None


def test_prose_mixture_claim_two_atoms():
    """W2(delta_a, (1 - t) delta_a + t delta_b) = sqrt(t) |a - b|; half way at t = 1/4."""
    x = _grid(16)
    a, b = np.eye(16)[2], np.eye(16)[12]
    w = _w2(x, a, x, b)
    assert _w2(x, a, x, 0.75 * a + 0.25 * b) == pytest.approx(0.5 * w)


def test_prose_w1_remark_holds():
    """The prose says the mixture is a W1 geodesic (and not a W2 one)."""
    x = _grid(40)
    m = ip.Interpolation(n=40, preset="narrow to wide")
    a, b = m.p / m.p.sum(), m.q / m.q.sum()
    D = np.abs(x[:, None] - x[None, :])
    w1 = ot.emd2(a, b, D)
    for t in (0.2, 0.6):
        assert ot.emd2(a, (1 - t) * a + t * b, D) == pytest.approx(t * w1, abs=1e-12)


def test_takehome_code_runs_and_prints_the_page_numbers(page, capsys):
    exec(compile(page.model.snippet(), "<takehome>", "exec"), {})
    out = capsys.readouterr().out
    shown = _shown(page.readouts.rows)
    assert f"1D displacement: W2(mu0, mut) = {shown['h_0t'][0]}" in out
    assert f"1D mixture: W2(mu0, mut) = {shown['h_0t'][1]}" in out
    cloud = _shown(page.cloud_readouts.rows)
    assert f"2D mixture: W2(mut, mu1) = {cloud['c_t1'][1]}" in out
