"""Page /benamou_brenier without a server: model, numbers shown, frames, deep links, bad input."""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import ot
import pytest

from ot_engine.dynamic import density_flow_1d
from pages import benamou_brenier as bb
from pages import benamou_brenier_plots as plots
from pages import histogram_pair as hp
from pages import prose
from pages.query import parse_query


def _shown(page) -> dict[str, str]:
    rows = page.readouts.rows + page.gauss_readouts.rows
    return {row[0]: row[3] for row in rows}


def _split_w2sq(p, q, m=64) -> float:
    """W2^2 of the bar densities by POT: every bin split into m equal atoms."""
    n = p.size
    x = (np.arange(n * m) + 0.5) / (n * m)
    a, b = np.repeat(p / p.sum() / m, m), np.repeat(q / q.sum() / m, m)
    return ot.wasserstein_1d(x, x, a, b, p=2)


def _bures_sq(m: bb.BenamouBrenier) -> float:
    S0 = m.gs0**2 * np.eye(2)
    a = math.radians(m.grot)
    R = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    S1 = R @ np.diag([m.gsx**2, m.gsy**2]) @ R.T
    return float(ot.gaussian.bures_wasserstein_distance(np.zeros(2), [m.gx, m.gy], S0, S1)) ** 2


@pytest.fixture
def page():
    return bb.BenamouBrenierPage(bb.BenamouBrenier(n=32, grid=32), embed=False)


# --- numbers shown against independent computations --------------------------------------------


@pytest.mark.parametrize("preset", ["bimodal to unimodal", "split atom", "shifted copy"])
def test_readouts_match_pot_and_closed_forms(preset):
    m = bb.BenamouBrenier(n=48, preset=preset, grid=32, gx=-1.5, gsy=1.7, grot=-20.0)
    page = bb.BenamouBrenierPage(m, embed=False)
    shown = _shown(page)
    w2 = float(shown["w2"])
    assert w2 == pytest.approx(_split_w2sq(m.p, m.q), abs=2.0 / (48 * 64))
    for grid, err in (("energy", "error"), ("energy_c", "error_c")):
        # the error shown is the distance of the energy shown from W2^2 shown
        assert abs(float(shown[grid]) - w2) == pytest.approx(float(shown[err]), rel=6e-3, abs=2e-6)
    # the error is computed, not claimed: it shrinks from the coarse grid to the fine one
    assert float(shown["error"]) < float(shown["error_c"])
    assert float(shown["res"]) < float(shown["res_c"])
    if preset != "split atom":  # its one-bin spikes are narrower than the coarse cells
        assert float(shown["res_c"]) < 0.2
    bures = _bures_sq(m)
    assert float(shown["gw2"]) == pytest.approx(bures, rel=1e-5)
    assert float(shown["genergy"]) == pytest.approx(bures, rel=1e-5)
    assert float(shown["gerror"]) < 1e-6
    assert float(shown["gres"]) < float(shown["gres_c"])


def test_frames_drawn_are_the_engines_flow(page):
    m = page.model
    d = density_flow_1d(m.p, m.q)
    cols = plots.pieces_columns(d)
    for t in (0.0, 0.35, 1.0):
        f = plots.frame_columns(cols, t)
        exact = d.frame(t)
        np.testing.assert_allclose(f["left"], exact["left"])
        np.testing.assert_allclose(f["rho"], exact["rho"])
        # each quad carries its piece's mass; together the unit mass
        widths = np.subtract(f["right"], f["left"])
        assert np.sum(np.multiply(f["rho"], widths)) == pytest.approx(1.0)
    assert page.figs.pieces.data["s_lo"] == cols["s_lo"]
    # the space-time image is the engine's grid: each row holds unit mass
    rho = page.figs.image.data["image"][0]
    assert rho.shape == (m.grid + 1, 2 * m.grid)
    np.testing.assert_allclose(rho.sum(axis=1) / (2 * m.grid), 1.0, rtol=1e-5)


def test_gaussian_drawing_is_the_closed_form(page):
    sol = page.model.gauss
    params = plots.gaussian_params(sol.g)
    t = 0.4
    cols = plots.gaussian_columns(params, t, sol.box)
    St, mt = sol.g.cov(t), sol.g.mean(t)
    for r, (xs, ys) in zip((1, 2), zip(*cols["ellipses"].values(), strict=True), strict=True):
        d = np.column_stack([xs, ys]) - mt
        quad = np.sum(d * np.linalg.solve(St, d.T).T, axis=1)
        np.testing.assert_allclose(quad, r * r, rtol=1e-9)
    a = cols["arrows"]
    start = np.column_stack([a["x0"], a["y0"]])
    v = (np.column_stack([a["x1"], a["y1"]]) - start) / plots.ARROW_SCALE
    np.testing.assert_allclose(v, sol.g.velocity(t, start), atol=1e-9)


def test_probe_reads_the_frame_at_t(page):
    page.model.t = 0.8
    f = page.model.line.d.frame(0.8)
    assert "t = 0.800" in page.probe.object
    assert f"{float(np.max(f['rho'])):.3g}" in page.probe.object


# --- browser events -------------------------------------------------------------------------------


def _browser_sync(page, name: str, top) -> None:
    source = page.histograms[name].source
    source.trigger("data", source.data, {"x": source.data["x"], "top": top})


def test_a_drag_recomputes(page):
    before = page.model.line
    p = page.model.p.copy()
    p[3] = 0.9
    _browser_sync(page, "p", list(p))
    after = page.model.line
    assert after is not before
    assert after.d.w2_squared == pytest.approx(_split_w2sq(page.model.p, page.model.q), abs=1e-3)


def test_all_mass_removed_keeps_the_last_numbers(page):
    before = page.model.line
    _browser_sync(page, "q", [0.0] * 32)
    assert page.model.line is before
    assert "Add some mass to q" in page.model.problem
    assert page.problem_note.visible and 'role="alert"' in page.problem_note.object
    _browser_sync(page, "q", [0.5] * 32)
    assert page.model.problem == "" and page.model.line is not before


def test_hostile_syncs_are_refused_or_cleaned(page):
    _browser_sync(page, "p", [float("nan")] * 16 + [-3.0] * 8 + [1e300] * 8)
    p = page.model.p
    assert np.all(np.isfinite(p)) and p.min() >= 0 and p.max() <= 1
    _browser_sync(page, "q", [0.5] * 7)
    assert page.model.q.size == 32
    answers = page.flow.answers
    request = page.figs.time_request
    for bad in ({"t": ["x"]}, {"t": []}, {}, {"t": [float("nan")]}, {"t": [float("inf")]}):
        request.trigger("data", {}, bad)
    assert page.model.t == 0.35 and page.flow.answers >= answers + 5
    request.trigger("data", {}, {"t": [7.0]})
    assert page.model.t == 1.0
    request.trigger("data", {}, {"t": [0.12345]})
    assert page.model.t == 0.123


def test_burst_of_events_ends_in_the_last_state(page):
    p = page.model.p.copy()
    for k in range(40):
        p[k % 32] = (k % 10) / 10
        page.flow.submit(p=p.copy(), t=k / 40)
    assert np.array_equal(page.model.p, hp.round_heights(p))
    assert page.model.t == pytest.approx(39 / 40)
    assert page.model.line.d.w2_squared == pytest.approx(
        _split_w2sq(page.model.p, page.model.q), abs=1e-3
    )


def test_grid_bins_and_gaussians(page):
    m = page.model
    m.grid = 16
    assert m.line.grid.nx == 32 and m.line.coarse.nt == 8
    m.n = 64
    assert m.p.size == 64 and page.histograms["p"].source.data["x"].size == 64
    m.gx = -2.5
    assert float(_shown(page)["gw2"]) == pytest.approx(_bures_sq(m), rel=1e-5)
    with pytest.raises(ValueError):
        m.gs0 = 0.0  # the bounds refuse it; the last valid state stays
    assert m.gs0 == 0.6


# --- deep links -----------------------------------------------------------------------------------


def test_query_round_trip_and_hostile_values():
    query = {"n": "32", "p": ",".join(["0.5"] * 32), "t": "0.25", "grid": "16", "grot": "-45"}
    values, notices = parse_query(query, bb.QUERY_KEYS)
    assert not notices
    model = bb.BenamouBrenier(**values)
    assert model.t == 0.25 and model.grid == 16 and model.grot == -45
    shown = {spec.key: spec.format(getattr(model, spec.param)) for spec in bb.QUERY_KEYS}
    assert shown["t"] == "0.25" and shown["grid"] == "16" and shown["n"] == "32"
    hostile = {
        "t": "1e999",
        "grid": "65",
        "n": "9" * 40,
        "p": "a,b,c",
        "q": "\udcff\udcfe",
        "gx": "nan",
        "gs0": "0",
        "grot": "inf",
    }
    values, notices = parse_query(hostile, bb.QUERY_KEYS)
    assert values == {} and len(notices) == len(hostile)
    for notice in notices:
        assert "\udcff" not in notice and "1e999" not in notice


def test_link_notice_when_bars_are_rebinned():
    query = {"n": "32", "p": ",".join(["0.5"] * 20)}
    values, _ = parse_query(query, bb.QUERY_KEYS)
    model = bb.BenamouBrenier(**values)
    notices = bb.BenamouBrenierPage.link_notices(model, query)
    assert model.p.size == 32 and notices and "rebinned to 32" in notices[0]


# --- prose and take-home --------------------------------------------------------------------------


def test_prose_renders_with_boxes_and_a_concept_card():
    text = (prose.ASSETS / "prose" / "benamou_brenier.md").read_text(encoding="utf-8")
    for anchor in (
        "def-views",
        "thm-benamou-brenier",
        "rem-continuity-residual",
        "ex-gaussian-flow",
    ):
        assert "{#" + anchor + "}" in text
    assert "::: proof" in text and "::: concept" in text
    assert bb.BenamouBrenierPage(embed=False).prose() is not None


def test_prose_claims():
    # "halves when the grid doubles" (1-D weak residual), "about four" (Gaussians)
    m = bb.BenamouBrenier(n=32)
    d = density_flow_1d(m.p, m.q)
    from ot_engine.dynamic import flow_grid_1d, gaussian_flow_grid

    r = [flow_grid_1d(d, 2 * nt, nt).relative_residual for nt in (16, 32, 64)]
    assert all(0.4 < b / a < 0.6 for a, b in itertools.pairwise(r))
    g = m.gauss.g
    gr = [gaussian_flow_grid(g, nx, nx // 4).relative_residual for nx in (32, 64)]
    assert 3.0 < gr[0] / gr[1] < 5.0
    # the rigid shift: the action is the shift squared
    p = np.zeros(40)
    p[5:15] = 1.0
    q = np.roll(p, 8)
    assert density_flow_1d(p, q).w2_squared == pytest.approx((8 / 40) ** 2)


@pytest.mark.parametrize("view", [{}, {"preset": "split atom", "grid": 16, "gx": -1.0}])
def test_takehome_code_runs_and_prints_the_page_numbers(view, capsys):
    page = bb.BenamouBrenierPage(bb.BenamouBrenier(n=24, **view), embed=False)
    exec(compile(page.takehome().cells[0], "<takehome>", "exec"), {})
    out = capsys.readouterr().out
    shown = _shown(page)

    def num(pattern):
        return float(re.search(pattern, out).group(1))

    assert num(r"W2\^2 \(quantile formula\) = (\S+)") == pytest.approx(float(shown["w2"]), 1e-5)
    assert num(r"W2\^2 \(POT, split bins\) = (\S+)") == pytest.approx(
        float(shown["w2"]), abs=2.0 / (24 * 64)
    )
    nt = page.model.grid
    energy = num(rf"{2 * nt} x {nt}: energy = (\S+),")
    assert energy == pytest.approx(float(shown["energy"]), rel=1e-5)
    res = num(rf"{nt} x {nt // 2}: .* relative residual = (\S+)")
    assert res == pytest.approx(float(shown["res_c"]), rel=1e-2)
    assert num(r"W2\^2 \(Bures, POT\) = (\S+)") == pytest.approx(float(shown["gw2"]), rel=1e-5)
    assert num(r"kinetic energy \(closed form\) = (\S+)") == pytest.approx(
        float(shown["gw2"]), rel=1e-5
    )
    lines = page.caption_lines()
    assert lines and all("compute time" not in line for line in lines)


@pytest.mark.parametrize("preset", ["split atom", "uniform to spike", "two Gaussians"])
def test_the_density_axis_holds_every_frame(preset):
    page = bb.BenamouBrenierPage(bb.BenamouBrenier(n=32, preset=preset, grid=16), embed=False)
    d = page.model.line.d
    top = page.figs.frame_fig.y_range.end
    for t in np.linspace(0, 1, 41):
        assert float(np.max(d.frame(t)["rho"])) <= top
