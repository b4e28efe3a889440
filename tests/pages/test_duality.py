"""Page /duality without a server: model, numbers shown vs independent computations, links,
bad input."""

from __future__ import annotations

import itertools
import re
import warnings

import numpy as np
import ot
import pytest
from scipy.optimize import linprog
from scipy.special import logsumexp

from pages import duality as du
from pages import duality_plots as plots
from pages.query import parse_query


def _grid(n: int, power: int):
    # Independent of ot_engine: bin centres on [0, 1] and |x - y|^power by hand.
    x = (np.arange(n) + 0.5) / n
    return x, np.abs(x[:, None] - x[None, :]) ** power


def _dual_lp(a, b, C) -> float:
    n, m = C.shape
    A = np.zeros((n * m, n + m))
    r = np.arange(n * m)
    A[r, r // m] = 1.0
    A[r, n + r % m] = 1.0
    res = linprog(-np.concatenate([a, b]), A_ub=A, b_ub=C.ravel(), bounds=(None, None))
    assert res.status == 0
    return -res.fun


def _shown(table) -> dict[str, str]:
    return {row[0]: row[3] for row in table.rows}


def _flags(table) -> dict[str, str]:
    return {row[0]: row[4] for row in table.rows if row[4]}


def _close6(text: str, value: float) -> bool:
    """A readout printed with 6 significant digits is ``value``."""
    return float(text) == pytest.approx(value, rel=6e-6, abs=1e-12)


@pytest.fixture
def page():
    return du.DualityPage(du.Duality(n=16, preset="bimodal to unimodal"), embed=False)


def _browser_sync(hist, top) -> None:
    """A histogram's bars as a browser sync arrives (Bokeh calls the source's on_change)."""
    hist.source.trigger("data", hist.source.data, {"x": hist.source.data["x"], "top": top})


# --- the exact LP and its prices ---------------------------------------------------------------


@pytest.mark.parametrize("cost", [1, 2])
def test_primal_and_dual_readouts_against_pot_and_linprog(page, cost):
    m = page.model
    m.cost = cost
    x, C = _grid(16, cost)
    a, b = m.p / m.p.sum(), m.q / m.q.sum()
    shown = _shown(page.exact_table)
    primal = ot.emd2(a, b, C)
    assert _close6(shown["primal"], primal)
    assert _close6(shown["dual"], _dual_lp(a, b, C))
    assert abs(float(shown["gap"])) <= 1e-12
    assert _close6(shown["w"], primal ** (1 / cost))
    d = m.exact.duals
    s = C - d.f[:, None] - d.g[None, :]
    assert s.min() >= -1e-12 and float(shown["min_slack"]) >= -1e-12
    assert np.abs(s[d.plan > 0]).max() <= 1e-12
    assert shown["solver"] == "optimal" and not _flags(page.exact_table)
    # what is drawn: the potentials, and the slack (0 on the support, the largest = 255)
    np.testing.assert_allclose(page.potentials.source.data["f"], d.f, atol=1e-6)
    codes = page.slack.image_source.data["image"][0]
    assert codes.dtype == np.uint8 and codes.max() == 255
    i, j = np.nonzero(d.plan > 0)
    assert (codes[i, j] == 0).all()
    support = page.slack.support_source.data
    assert sorted(zip(support["y"], support["x"], strict=True)) == sorted(
        zip(x[i].astype(np.float32), x[j].astype(np.float32), strict=True)
    )


def test_w1_prices_are_a_critic(page):
    m = page.model
    m.cost = 1
    d = m.exact.duals
    np.testing.assert_allclose(d.g, -d.f, atol=1e-14)
    x, _ = _grid(16, 1)
    assert np.abs(np.diff(d.f) / np.diff(x)).max() <= 1 + 1e-9
    a, b = m.p / m.p.sum(), m.q / m.q.sum()
    w1 = ot.wasserstein_1d(x, x, a, b, p=1)
    assert _close6(_shown(page.exact_table)["critic"], w1)  # Kantorovich-Rubinstein
    m.set_optimal()
    shown = _shown(page.sketch_table)
    assert float(shown["kr"]) == pytest.approx(ot.wasserstein_1d(x, x, a, b, p=1), abs=1e-5)
    assert "kr" not in _flags(page.sketch_table)


# --- the sketch --------------------------------------------------------------------------------


def _independent_bounds(f, a, b, C, eps):
    keep = a > 0
    fc = np.min(C[keep] - f[keep, None], axis=0)
    soft = -eps * logsumexp((f[keep, None] - C[keep]) / eps, axis=0, b=a[keep, None])
    return f @ a + fc @ b, f @ a + soft @ b, fc, soft


@pytest.mark.parametrize("cost", [1, 2])
def test_sketch_readouts_against_an_independent_computation(page, cost):
    m = page.model
    m.param.update(cost=cost, eps=0.02)
    f = du.round_f(0.3 * np.sin(7 * np.arange(16) / 16))
    _browser_sync(page.f_hist, f + 0.5)  # as the browser's green bars arrive
    np.testing.assert_allclose(m.f, f, atol=1e-12)
    _x, C = _grid(16, cost)
    a, b = m.p / m.p.sum(), m.q / m.q.sum()
    eps = 0.02 * C.max()
    bound, soft_bound, fc, soft = _independent_bounds(m.f, a, b, C, eps)
    shown = _shown(page.sketch_table)
    assert _close6(shown["bound"], bound) and _close6(shown["soft_bound"], soft_bound)
    assert float(shown["gap"]) >= 0 and float(shown["gap"]) == pytest.approx(
        ot.emd2(a, b, C) - bound, rel=5e-3
    )
    i, j = a > 0, b > 0  # POT's log of an empty bar is -inf: solve on the supports
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        P = ot.sinkhorn(
            a[i], b[j], C[np.ix_(i, j)], eps, method="sinkhorn_log", stopThr=1e-13,
            numItermax=100_000,
        )  # fmt: skip
    ot_eps = np.sum(C[np.ix_(i, j)] * P) + eps * np.sum(P * np.log(P / np.outer(a[i], b[j])))
    assert _close6(shown["ot_eps"], ot_eps)
    assert soft_bound <= ot_eps + 1e-9 and bound <= ot.emd2(a, b, C) + 1e-12
    excess, limit = (float(v) for v in shown["excess"].split(" ≤ "))
    assert excess == pytest.approx(np.max(soft - fc), rel=5e-3) and excess <= limit
    drawn = page.transforms.source.data
    np.testing.assert_allclose(drawn["fc"], fc, atol=1e-6)
    np.testing.assert_allclose(drawn["soft"], soft, atol=1e-6)


def test_optimal_sketch_closes_the_gap_and_tighten_never_hurts(page):
    m = page.model
    rng = np.random.default_rng(0)
    m.f = du.round_f(0.2 * rng.standard_normal(16))
    before = m.sketch.bound
    m.tighten()
    assert m.sketch.bound >= before - 2e-6  # f^cc is kept to six decimals too
    again = m.f.copy()
    m.tighten()
    np.testing.assert_allclose(m.f, again, atol=2e-6)  # f^cccc = f^cc (up to rounding)
    m.set_optimal()
    assert m.exact.duals.primal - m.sketch.bound <= 2e-6  # six-decimal bars
    m.clear_f()
    assert not m.f.any()


def test_soft_transform_converges_as_eps_shrinks(page):
    m = page.model
    m.f = du.round_f(0.2 * np.cos(np.arange(16)))
    excess = []
    for eps in (1.0, 0.1, 0.01, 0.001):
        m.eps = eps
        excess.append(m.sketch.excess)
        assert m.sketch.excess <= m.sketch.excess_limit + 1e-12
        assert m.entropic.result.converged
    assert all(later < earlier for earlier, later in itertools.pairwise(excess))


def test_tightened_sketch_is_1_lipschitz_for_the_distance_cost(page):
    m = page.model
    m.cost = 1
    m.f = du.round_f(0.45 * np.sin(np.arange(16) * 2.0))
    assert "kr" in _flags(page.sketch_table)  # a wild sketch bounds nothing
    m.tighten()
    assert m.sketch.lipschitz <= 1 + du.LIP_SLACK
    assert "kr" not in _flags(page.sketch_table)
    assert m.sketch.kr <= ot.emd2(m.exact.a, m.exact.b, m.exact.C) * (1 + du.LIP_SLACK) + 1e-9


# --- links and bad input -----------------------------------------------------------------------


def test_query_keys_share_transport_plan_parsers_and_check_the_rest():
    values, notices = parse_query(
        {
            "n": "32",
            "p": "0,1,0.5",
            "cost": "1",
            "eps": "0.02",
            "f": "0.1,-0.2,0.3",
        },
        du.QUERY_KEYS,
    )
    assert values["n"] == 32 and values["cost"] == 1 and values["eps"] == 0.02
    np.testing.assert_allclose(values["f"], [0.1, -0.2, 0.3])
    assert notices == []
    hostile = {
        "n": "9" * 5000,
        "p": "nan,1",
        "q": "0,0,0",
        "cost": "3",
        "eps": "0.03",
        "f": "0.6,0.1",
    }
    values, notices = parse_query(hostile, du.QUERY_KEYS)
    assert values == {} and len(notices) == 6
    for bad in ("abc", "\udcff\udcfe", "1e999,0", ",".join(["0.1"] * 300), ""):
        values, notices = parse_query({"f": bad, "eps": bad}, du.QUERY_KEYS)
        assert values == {} and len(notices) == 2


def test_a_sketch_of_another_length_is_interpolated_and_bars_rebinned():
    m = du.Duality(n=32, f=np.linspace(-0.4, 0.4, 5))
    assert m.f.size == m.p.size == m.q.size == 32
    assert m.f[0] == pytest.approx(-0.4) and m.f[-1] == pytest.approx(0.4)
    assert m.sketch is not None and m.sketch.f.size == 32
    m.n = 64
    assert m.f.size == 64 and m.exact.x.size == 64 and m.sketch.f.size == 64


def test_removing_all_mass_keeps_the_last_valid_state(page):
    m = page.model
    before = m.exact
    _browser_sync(page.histograms["p"], np.zeros(16))
    assert m.exact is before and "add some mass to p" in m.problem.lower()
    assert page.problem_note.visible and 'role="alert"' in page.problem_note.object
    caption = page.caption_lines()
    assert caption[0] == m.problem
    _browser_sync(page.histograms["p"], np.ones(16) * 0.3)
    assert m.problem == "" and m.exact is not before


def test_hostile_browser_syncs_are_answered_and_ignored(page):
    m = page.model
    f, answers = m.f.copy(), page.flow.answers
    for top in (
        np.full(16, np.nan),
        np.full(17, 0.5),
        ["x"] * 16,
        np.full(16, np.inf),
        np.full(16, -5.0),
    ):
        _browser_sync(page.f_hist, top)
    assert page.flow.answers > answers
    assert np.isfinite(m.f).all() and (np.abs(m.f) <= 0.5).all()
    assert m.f.size == f.size == 16


def test_takehome_and_caption_describe_the_view(page):
    th = page.takehome()
    assert "ot.emd(" in th.code and "logsumexp" in th.code and th.equation
    assert re.search(r"^f = np\.array\(\[", th.code, flags=re.M)
    lines = page.caption_lines()
    assert any(line.startswith("primal") for line in lines)
    assert not any("compute time" in line for line in lines)


def test_slack_codes_and_f_rounding():
    assert plots.slack_codes(np.zeros((2, 2))).max() == 0
    assert du.round_f([0.5000004, -0.7]).tolist() == [0.5, -0.5]
    assert du.fit_f(np.zeros(16), 16) is not None


def test_code_box_rebuilds_the_pages_potentials(page):
    """The snippet's normal form is the engine's: same f*, g* (run in-process, quietly)."""
    import contextlib
    import io

    m = page.model
    m.p = np.where(np.arange(16) % 5 == 0, 0.0, m.p)  # empty bars on the source side too
    scope: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(du.snippet(m), scope)  # our own generated code
    np.testing.assert_allclose(scope["f_star"], m.exact.duals.f, atol=1e-12)
    np.testing.assert_allclose(scope["g_star"], m.exact.duals.g, atol=1e-12)


# --- the prose and its claims ------------------------------------------------------------------


def test_prose_boxes_card_and_no_copied_runs():
    """The checks tests/test_prose.py makes of every page, run for this one."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "test_prose.py"
    spec = importlib.util.spec_from_file_location("_prose_checks", path)
    checks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checks)
    checks.PAGES = (*checks.PAGES, "duality")
    checks.FILES = ("duality",)
    checks.test_boxes_are_well_formed("duality")
    checks.test_boxes_render_and_the_math_stays_balanced("duality")
    checks.test_each_page_ends_with_a_concept_card("duality")
    checks.test_no_long_runs_copied_from_the_seed_texts()


def test_prose_example_split_atom_prices():
    m = du.Duality(preset="split atom", cost=2)
    d = m.exact.duals
    rows, cols = np.nonzero(d.plan > 0)
    assert len(set(rows)) == 1 and len(cols) == 2  # two cells in one row
    assert np.abs(m.exact.slack[rows, cols]).max() <= 1e-12


def test_prose_example_a_rough_line_certifies_the_shift():
    m = du.Duality(preset="shifted copy", cost=1)
    x = m.exact.x
    w1 = ot.wasserstein_1d(x, x, m.exact.a, m.exact.b, p=1)
    assert w1 == pytest.approx(0.35, abs=0.01)
    rough = 0.5 - x + 0.03 * np.sin(40 * x)  # a hand-drawn line
    m.f = du.round_f(rough)
    m.tighten()
    assert m.sketch.lipschitz <= 1 + du.LIP_SLACK
    assert m.sketch.kr == pytest.approx(w1, abs=0.03)
    m.tighten()  # the second press changes nothing (f^cccc = f^cc, up to rounding)
    before = m.f.copy()
    m.tighten()
    np.testing.assert_allclose(m.f, before, atol=2e-6)


def test_link_notices_name_refitted_values():
    m = du.Duality(n=16)
    notices = du.DualityPage.link_notices(m, {"n": "16", "f": "0.1,0.2", "p": "1,1,1"})
    assert any("'f' had 2 values; it was interpolated to 16 bins" in n for n in notices)
    assert any("'p' had 3 values; it was rebinned" in n for n in notices)


def test_bin_change_redraws_every_figure_at_the_new_size(page):
    page.model.n = 24
    assert page.f_hist.source.data["x"].size == 24
    assert page.histograms["q"].source.data["x"].size == 24
    assert page.slack.image_source.data["image"][0].shape == (24, 24)
    assert page.transforms.source.data["fc"].size == 24
    _browser_sync(page.f_hist, np.full(16, 0.5))  # a stale sync of the old size: ignored
    assert page.model.f.size == 24
