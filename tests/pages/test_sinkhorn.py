"""Page /sinkhorn without a server: model, numbers shown, stepping, deep links, bad input."""

from __future__ import annotations

import contextlib
import io
import re
import warnings

import numpy as np
import ot
import pytest

from pages import histogram_pair as hp
from pages import sinkhorn as sk
from pages import sinkhorn_plots as plots
from pages.query import parse_query

PROSE = "assets/prose/sinkhorn.md"


def _cost(n: int) -> np.ndarray:
    # Independent of ot_engine: bin centres on [0, 1] and |x - y|^2 by hand.
    x = (np.arange(n) + 0.5) / n
    return (x[:, None] - x[None, :]) ** 2


def _plain_numpy(a, b, C, eps, k):
    """Sinkhorn-Knopp written again here, row scaling first from v = 1."""
    K = np.exp(-C / eps)
    u, v = np.ones_like(a), np.ones_like(b)
    with np.errstate(all="ignore"):
        for s in range(1, k + 1):
            if s % 2:
                u = np.where(a > 0, a / (K @ v), 0.0)
            else:
                v = np.where(b > 0, b / (K.T @ u), 0.0)
    return u[:, None] * K * v[None, :]


def _pot_reference(a, b, C, eps):
    i, j = a > 0, b > 0
    P = np.zeros_like(C)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        P[np.ix_(i, j)] = ot.sinkhorn(
            a[i], b[j], C[np.ix_(i, j)], eps, method="sinkhorn_log", stopThr=1e-14,
            numItermax=200_000,
        )  # fmt: skip
    return P


def _shown(page) -> dict[str, tuple[str, str]]:
    return {r[0]: (r[3], r[4]) for r in page.readouts.rows}


@pytest.fixture
def page():
    return sk.SinkhornPage(sk.SinkhornModel(n=24, eps=0.02, step=7), embed=False)


def test_readouts_match_an_independent_iteration_and_pot(page):
    m = page.model
    a, b = m.p / m.p.sum(), m.q / m.q.sum()
    C = _cost(m.n)
    eps = m.eps * C.max()
    P = _plain_numpy(a, b, C, eps, 7)
    P_star = _pot_reference(a, b, C, eps)
    shown = _shown(page)
    row = np.abs(P.sum(1) - a).sum()
    col = np.abs(P.sum(0) - b).sum()
    for text in shown["row"]:
        assert float(text) == pytest.approx(row, abs=1e-12, rel=1e-3)
    for text in shown["col"]:
        assert float(text) == pytest.approx(col, rel=1e-3)
    for text in shown["dist"]:
        assert float(text) == pytest.approx(np.abs(P - P_star).sum(), rel=1e-3)
    ref = {r[0]: r[3] for r in page.reference.rows}
    assert float(ref["cost"]) == pytest.approx(np.sum(C * P_star), rel=1e-5)
    assert ref["converged"] == "yes"
    # The drawn plans are the iterates themselves.
    np.testing.assert_allclose(m.frame.log_plan, P, atol=1e-14)
    np.testing.assert_allclose(m.frame.plain_plan, P, atol=1e-14)
    assert "row scaling" in m.state_text() and "iteration 4" in m.state_text()


def test_iterations_to_tolerance_match_an_independent_count(page):
    m = page.model
    a, b = m.p / m.p.sum(), m.q / m.q.sum()
    C = _cost(m.n)
    eps = m.eps * C.max()
    K = np.exp(-C / eps)
    v = np.ones_like(b)
    count = None
    for it in range(1, sk.MAX_STEPS // 2 + 1):
        u = a / (K @ v)
        v = b / (K.T @ u)
        P = u[:, None] * K * v[None, :]
        if np.abs(P.sum(1) - a).sum() + np.abs(P.sum(0) - b).sum() <= sk.TOL:
            count = it
            break
    assert count is not None
    assert _shown(page)["tol"] == (str(count), str(count))


def test_stepping_forward_back_and_playing(page):
    m = page.model
    page.move(+1)
    assert m.step == 8 and m.frame.k == 8
    assert "column scaling" in m.state_text()
    page.move(-10)
    assert m.step == 0
    np.testing.assert_allclose(m.frame.log_plan, np.exp(-_cost(m.n) / (m.eps * _cost(m.n).max())))
    page.step_slider.value = 33
    assert m.frame.k == 33 and page.errors.cursor.location == 16.5
    # The error plot: one point per iteration, at its iteration number.
    curve = page.errors.log.data
    assert curve["it"][-1] == m.run.log.half_steps // 2
    assert curve["err"][10] == max(m.run.log.marginal_error[20], plots.ERROR_FLOOR)
    page.play_toggle.value = True  # no server: no timer, ticks are driven here
    assert page.play_toggle.label.startswith("⏸")
    page.tick()
    assert m.step == 34
    m.step = sk.MAX_STEPS
    page.tick()
    assert not page.play_toggle.value and m.step == sk.MAX_STEPS


def test_small_eps_breaks_the_plain_form_and_says_so():
    m = sk.SinkhornModel(n=32, eps=1e-4, step=60)
    page = sk.SinkhornPage(m, embed=False)
    run = m.run
    assert run.plain.breakdown is not None and run.plain.kernel_zeros > 0
    shown = _shown(page)
    assert shown["row"][0] == "NaN" and shown["dist"][0] == "NaN"
    flags = page.readouts.flagged()
    assert "divided by 0" in flags["row"] or "overflowed" in flags["row"]
    assert "underflowed" in flags["zeros"]
    assert not np.isfinite(m.frame.plain_plan).all()
    assert np.isfinite(m.frame.log_plan).all()
    assert page.plain_heat.note.visible and "NaN" in page.plain_heat.note.text
    codes = page.plain_heat.source.data["image"][0]
    assert (codes == plots.NAN_CODE).sum() == (~np.isfinite(m.frame.plain_plan)).sum()
    # What the plain form really returns: the from-scratch loop gives NaN too.
    a, b = m.p / m.p.sum(), m.q / m.q.sum()
    C = _cost(32)
    assert np.isnan(_plain_numpy(a, b, C, 1e-4 * C.max(), run.plain.breakdown)).any()


def test_bar_changes_go_through_the_flow_and_bad_ones_keep_the_last_state(page):
    m = page.model
    before = m.run
    p = m.p.copy()
    p[3] = 0.6
    page.flow.submit(p=p)
    assert m.run is not before and m.p[3] == 0.6
    good = m.run
    page.flow.submit(p=np.zeros(m.n))
    assert m.run is good and "add some mass to p" in m.problem.lower()
    assert page.problem_note.visible
    page.flow.submit(q=np.ones(m.n + 3))  # a sync from another bin count: ignored
    assert m.q.size == m.n
    page.flow.submit(p=p)
    assert not m.problem


def test_sweep_curves_and_counts():
    sweep = sk.run_sweep(*hp.preset_heights(hp.PRESETS[0], 16), 16)
    assert len(sweep.traces) == len(sk.SWEEP_EPS)
    reached = [c for c in sweep.counts if c is not None]
    assert reached == sorted(reached)  # smaller ε, more iterations
    for trace, count in zip(sweep.traces, sweep.counts, strict=True):
        if count is not None:
            assert trace[count] <= sweep.tol < trace[count - 1]
    points = plots.count_points(sweep)
    assert len(points["plain"]["eps"]) + len(points["plain_capped"]["eps"]) == len(sk.SWEEP_EPS)


def test_parse_query_good_and_hostile_values():
    good, notices = parse_query({"n": "48", "eps": "0.003", "step": "12"}, sk.QUERY_KEYS)
    assert good == {"n": 48, "eps": 0.003, "step": 12} and not notices
    hostile = {
        "n": "1e9",
        "eps": "nan",
        "step": "-3",
        "p": "a,b,c",
        "q": "0,0,0",
    }
    values, notices = parse_query(hostile, sk.QUERY_KEYS)
    assert values == {} and len(notices) == 5
    values, notices = parse_query({"eps": "1" * 5000, "step": "\ufffd\ufffd"}, sk.QUERY_KEYS)
    assert values == {} and len(notices) == 2
    values, _ = parse_query({"n": "65"}, sk.QUERY_KEYS)
    assert values == {}


def test_link_bars_of_another_length_are_rebinned_with_a_notice():
    query = {"n": "16", "p": ",".join(["0.5"] * 32)}
    values, _ = parse_query(query, sk.QUERY_KEYS)
    model = sk.SinkhornModel(**values)
    assert model.p.size == 16 and model.run is not None
    notices = sk.SinkhornPage.link_notices(model, query)
    assert notices and "rebinned" in notices[0]


def test_snippet_prints_the_page_numbers():
    """The code box's code, run here (the notebook test runs it in a kernel too)."""
    m = sk.SinkhornModel(n=16, eps=0.05, step=5)
    page = sk.SinkhornPage(m, embed=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(m.snippet(), "snippet", "exec"), {"__name__": "snippet"})
    printed = out.getvalue()
    shown = _shown(page)
    for name, col in (("plain", 0), ("log", 1)):
        line = re.search(
            rf"^{name}: row error = (\S+), column error = (\S+), distance to P\* = (\S+)$",
            printed,
            re.M,
        )
        assert float(line.group(1)) == pytest.approx(float(shown["row"][col]), abs=1e-12, rel=2e-3)
        assert float(line.group(2)) == pytest.approx(float(shown["col"][col]), abs=1e-12, rel=2e-3)
        assert float(line.group(3)) == pytest.approx(float(shown["dist"][col]), rel=2e-3)
    ref = {r[0]: r[3] for r in page.reference.rows}
    cost = float(re.search(r"cost <C, P\*> = (\S+)", printed).group(1))
    assert cost == pytest.approx(float(ref["cost"]), rel=2e-6)


def test_the_prose_2x2_numbers_are_right():
    text = open(PROSE, encoding="utf-8").read()
    a, b = np.array([0.5, 0.5]), np.array([0.1, 0.9])
    C = np.array([[0.0, 1.0], [1.0, 0.0]])
    from ot_engine import entropic_plan_2x2, sinkhorn_steps

    numbers = [float(v) for v in re.findall(r"\d+\.\d+", text)]

    def written(value, digits=5):
        return any(abs(v - value) <= 0.51 * 10.0**-digits for v in numbers)

    run = sinkhorn_steps(a, b, C, 1.0, domain="plain", half_steps=100)
    for k in (1, 2, 3, 4):
        u, v = run.scalings(k)
        P = run.plan(k)
        sums = P.sum(0) if k % 2 else P.sum(1)
        for value in (*(u if k % 2 else v), *P.ravel(), *sums):
            assert written(value), (k, value)
    P = entropic_plan_2x2(a, b, C, 1.0)
    np.testing.assert_allclose(P, ot.sinkhorn(a, b, C, 1.0, stopThr=1e-15), atol=1e-12)
    np.testing.assert_allclose(run.plan(100), P, atol=1e-12)
    for value in P.ravel():
        assert f"{value:.6f}" in text
    assert f"{np.sum(C * P):.6f}" in text
    assert f"{P[0, 0] + P[1, 1]:.4f}" in text  # the diagonal's mass
    assert f"{2 * (P[0, 1] - 0.4):.4f}" in text  # the extra cost over the exact plan
    exact = ot.emd(a, b, C)
    np.testing.assert_allclose(exact, [[0.1, 0.4], [0.0, 0.5]], atol=1e-12)
    assert "**balanced**" in text


def test_takehome_and_caption_describe_the_view(page):
    th = page.takehome()
    assert "k = 7" in th.code and "eps = 0.02 * C.max()" in th.code
    lines = page.caption_lines()
    assert lines[0].startswith("Half-step 7")
    assert any(line.startswith("cost ⟨C, π*⟩") for line in lines)


def test_the_code_box_sinkhorn_matches_ot_engine_and_pot_when_run_to_convergence():
    """Both from-scratch forms of the code box, run long, give the plan of ot_engine.sinkhorn
    and of POT's 'sinkhorn' and 'sinkhorn_log' methods."""
    from ot_engine import sinkhorn

    m = sk.SinkhornModel(n=16, eps=0.05, step=2)
    namespace: dict = {"__name__": "snippet"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(m.snippet(), "snippet", "exec"), namespace)
    a, b, C, eps = (namespace[k] for k in ("a", "b", "C", "eps"))
    keep_a, keep_b = a > 0, b > 0
    ref = sinkhorn(a, b, C, eps, tol=1e-12).plan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for method in ("sinkhorn", "sinkhorn_log"):
            P = np.zeros_like(C)
            P[np.ix_(keep_a, keep_b)] = ot.sinkhorn(
                a[keep_a], b[keep_b], C[np.ix_(keep_a, keep_b)], eps, method=method,
                stopThr=1e-15, numItermax=100_000,
            )  # fmt: skip
            np.testing.assert_allclose(P, ref, atol=1e-10)
    for name in ("sinkhorn_plain", "sinkhorn_log"):
        P = namespace[name](a, b, C, eps, 3000)
        np.testing.assert_allclose(P, ref, atol=1e-10)


def test_embed_view_builds_with_the_controls_in_the_figure():
    page = sk.SinkhornPage(sk.SinkhornModel(n=16), embed=True)
    assert page.controls() is None
    view = page.figure()
    assert page.control_panel in view.objects


def test_the_event_path_records_only_what_it_shows_and_the_full_run_replaces_it():
    m = sk.SinkhornModel(n=32, eps=1e-3, step=5)  # no page: no worker, the quick record stays
    assert m.run.requested == sk.QUICK_STEPS and not m.run.complete
    assert m.run.log.half_steps == sk.QUICK_STEPS
    quick = m.run
    full_job = m.full_run()
    m.step = 100  # past the quick record: the full one is computed at once
    assert m.run.complete and m.frame.k == 100 and m.frame.log_k == 100
    full = full_job()
    np.testing.assert_allclose(full.log.plan(5), quick.log.plan(5), atol=1e-15)
    # A full run of another problem (the bars moved meanwhile) is not shown.
    p = m.p.copy()
    p[0] = 0.5
    m.p = p
    current = m.run
    m.accept_run(full)
    assert m.run is current
