"""Page /transport_plan without a server: model, numbers shown, deep links, bad input."""

from __future__ import annotations

import contextlib
import io
import math
import re
import warnings

import numpy as np
import ot
import pytest

from pages import histogram_pair as hp
from pages import transport_plan as tp
from pages import transport_plan_plots as plots
from pages.query import parse_query


def _grid_cost(n: int, power: int) -> np.ndarray:
    # Independent of ot_engine: bin centres on [0, 1] and |x - y|^power by hand.
    x = (np.arange(n) + 0.5) / n
    return np.abs(x[:, None] - x[None, :]) ** power


def _pot_sinkhorn(a, b, C, reg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # POT warns about log(0) on empty bars
        return ot.sinkhorn(a, b, C, reg, method="sinkhorn_log", stopThr=1e-13, numItermax=200_000)


def _shown(page) -> dict[str, str]:
    sol = page.model.solution
    return {label: value for label, value, _ in sol.readout_rows()}


def _browser_sync(page, name: str, top) -> None:
    """A histogram's bars as a browser sync arrives: Bokeh calls the source's on_change."""
    source = page.histograms[name].source
    source.trigger("data", source.data, {"x": source.data["x"], "top": top})


@pytest.fixture
def page():
    return tp.TransportPlanPage(tp.TransportPlan(n=32, eps=0.05))


# --- recomputation ---------------------------------------------------------------------------


def test_bar_change_recomputes_through_the_engine(page):
    before = page.model.solution
    p = page.model.p.copy()
    p[5] = 0.7
    page.flow.submit(p=p)  # as a browser sync arrives (no server: applied at once)
    after = page.model.solution
    assert after is not before
    assert after.a[5] == pytest.approx(0.7 / p.sum(), rel=1e-12)
    assert after.result.converged
    # the heat map and the lines were redrawn from the new plan
    codes = page.plan.image_source.data["image"][0]
    assert codes.dtype == np.uint8 and codes.shape == (32, 32)
    assert np.array_equal(codes, plots.plan_codes(after.result.plan, False))


def test_eps_change_recomputes_and_warm_starts(page):
    first = page.model.solution
    page.model.eps = 0.02
    second = page.model.solution
    assert second.eps == pytest.approx(0.02 * second.C.max())
    assert second.result.warm_started and second.result.converged
    assert second.result.cost < first.result.cost  # less blur, cheaper plan


def test_cost_change_recomputes(page):
    page.model.cost = 1
    sol = page.model.solution
    assert sol.power == 1
    np.testing.assert_allclose(sol.C, _grid_cost(32, 1), rtol=0, atol=1e-15)


def test_bin_change_rebins_and_keeps_the_shape(page):
    page.model.n = 48
    sol = page.model.solution
    assert page.model.p.size == page.model.q.size == 48 == sol.x.size
    assert page.histograms["p"].source.data["x"].size == 48
    # mass stays where it was: the mean position of p barely moves
    assert sol.x @ sol.a == pytest.approx(0.3, abs=0.01)


# --- one solve per user action, and the readouts describe it ------------------------------


@pytest.fixture
def solves(monkeypatch):
    """Every engine call the page makes, as (solver name, result)."""
    calls: list[tuple[str, object]] = []

    def counted(name, solver):
        def call(*args, **kwargs):
            result = solver(*args, **kwargs)
            calls.append((name, result))
            return result

        return call

    monkeypatch.setattr(tp, "sinkhorn", counted("sinkhorn", tp.sinkhorn))
    monkeypatch.setattr(tp, "exact", counted("exact", tp.exact))
    return calls


def _cold_iterations(model) -> int:
    # the engine directly, no warm start: what a fresh solve of the shown state costs
    from ot_engine import sinkhorn

    C = _grid_cost(model.n, model.cost)
    return sinkhorn(model.p, model.q, C, model.eps * C.max(), tol=tp.SINKHORN_TOL).iterations


@pytest.mark.parametrize(
    "action",
    [
        lambda page: setattr(page.preset_select, "value", "bimodal to unimodal"),  # the widget
        lambda page: page.model.apply_preset("uniform to spike"),
        lambda page: setattr(page.model, "n", 96),
        lambda page: page.model.reset(page.model),  # the Reset button, after a preset
    ],
    ids=["preset widget", "preset", "bins", "reset"],
)
def test_one_user_action_solves_once_and_shows_that_solve(action, solves):
    page = tp.TransportPlanPage(tp.TransportPlan(n=64, eps=1e-3, cost=2))
    page.model.p = np.where(np.arange(64) == 40, 0.5, page.model.p)  # a dragged bar first
    solves.clear()
    action(page)
    assert [name for name, _ in solves] == ["sinkhorn"]
    result = solves[0][1]
    sol = page.model.solution
    assert sol.result is result
    assert not result.warm_started  # new histograms: the old potentials do not apply
    shown = _shown(page)
    assert int(shown["iterations"]) == result.iterations == _cold_iterations(page.model)
    assert result.iterations > 20  # a real solve, not a 2-iteration re-solve of itself
    shown_rows = {row[0]: row[3] for row in page.readouts.rows}
    assert shown_rows["iterations"] == str(result.iterations)


def test_exact_mode_preset_solves_once(solves):
    page = tp.TransportPlanPage(tp.TransportPlan(n=48, eps=0.0))
    solves.clear()
    page.preset_select.value = "shifted copy"
    assert [name for name, _ in solves] == ["exact"]
    assert page.model.solution.result is solves[0][1]


def test_a_bar_sync_solves_once_warm(page, solves):
    p = page.model.p.copy()
    p[7] = 0.6
    _browser_sync(page, "p", p)
    assert [name for name, _ in solves] == ["sinkhorn"]
    assert solves[0][1].warm_started  # a drag step starts from the previous plan


# --- every displayed number against POT -------------------------------------------------------

STATES = [
    # (preset, n, eps fraction, cost power)
    ("two Gaussians", 32, 0.05, 2),
    ("bimodal to unimodal", 48, 0.01, 1),
    ("uniform to spike", 40, 0.02, 2),
    ("split atom", 24, 0.0, 1),
    ("shifted copy", 64, 0.0, 2),
]


@pytest.mark.parametrize(("preset", "n", "eps", "power"), STATES)
def test_readouts_match_pot(preset, n, eps, power):
    model = tp.TransportPlan(preset=preset, n=n, eps=eps, cost=power)
    page = tp.TransportPlanPage(model)
    sol = model.solution
    shown = _shown(page)
    a, b = model.p / model.p.sum(), model.q / model.q.sum()
    C = _grid_cost(n, power)
    if eps == 0:
        cost = ot.emd2(a, b, C)
        # emd2 is exact up to the simplex's round-off (~1e-15 relative)
        assert sol.result.cost == pytest.approx(cost, rel=1e-10, abs=1e-14)
        root = "" if power == 1 else "√"
        assert shown[f"W{power} = {root}⟨C, π⟩"] == f"{cost ** (1 / power):.6g}"
        assert shown["regularized objective"] == f"{cost:.6g}"
    else:
        reg = eps * C.max()
        plan = _pot_sinkhorn(a, b, C, reg)
        cost = float(np.sum(C * plan))
        # Both solvers stop at marginal errors <= 1e-9, which bounds the plan difference by
        # ~1e-9 in L1, so costs (C <= 1) agree to ~1e-9.
        assert sol.result.cost == pytest.approx(cost, abs=5e-9)
        np.testing.assert_allclose(sol.result.plan, plan, atol=5e-9)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(plan > 0, plan / np.outer(a, b), 1.0)
        kl = float(np.sum(plan * np.log(ratio)))
        objective = cost + reg * kl
        assert sol.result.objective == pytest.approx(objective, abs=1e-8)
        assert shown["regularized objective"] == f"{objective:.6g}"
        root = "" if power == 1 else "√"
        bound = cost ** (1 / power)
        assert shown[f"{root}⟨C, π⟩ (≥ W{power})"] == f"{bound:.6g}"
        # an upper bound: the entropic plan is admissible, the exact one is the cheapest
        assert bound >= ot.emd2(a, b, C) ** (1 / power) - 1e-9
        assert shown["ε"] == f"{eps:.3g} × max C = {reg:.3g}"
        assert int(shown["iterations"]) == sol.result.iterations
    assert shown["transport cost ⟨C, π⟩"] == f"{cost:.6g}"
    # the exact distance, from POT's linear program (not the 1-D formula the page uses)
    w_exact = ot.emd2(a, b, C) ** (1 / power)
    assert sol.exact_distance == pytest.approx(w_exact, rel=1e-9, abs=1e-12)
    assert shown[f"W{power} exact (1-D formula)"] == f"{w_exact:.6g}"
    # the marginal error shown is the plan's own, recomputed here
    err = np.abs(sol.result.plan.sum(1) - a).sum() + np.abs(sol.result.plan.sum(0) - b).sum()
    assert float(shown["marginal error (L1)"]) == pytest.approx(err, rel=0.01, abs=1e-15)
    assert shown["converged"] == "yes"


PROBE = re.compile(
    r"π\[(\d+), (\d+)\] = (\S+): from x = (\S+) \(p holds (\S+)\) "
    r"to y = (\S+) \(q holds (\S+)\)"
)


def parse_probe(text: str) -> dict[str, float]:
    i, j, mass, x, pa, y, qb = PROBE.fullmatch(text).groups()
    return {"i": int(i), "j": int(j), "mass": float(mass), "x": float(x), "y": float(y),
            "a": float(pa), "b": float(qb)}  # fmt: skip


@pytest.mark.parametrize(("i", "j"), [(9, 20), (0, 31), (12, 12)])
def test_probe_reports_the_cell_under_the_pointer(page, i, j):
    page.marks.probe.data = {"i": [i], "j": [j]}
    sol = page.model.solution
    probe = parse_probe(page.probe.object)
    assert (probe["i"], probe["j"]) == (i, j)
    # bin centres on [0, 1], by hand; the amount and the bars' masses from the model
    assert probe["x"] == pytest.approx((i + 0.5) / 32, abs=5e-4)
    assert probe["y"] == pytest.approx((j + 0.5) / 32, abs=5e-4)
    assert probe["mass"] == pytest.approx(sol.result.plan[i, j], rel=5e-4, abs=1e-300)
    assert probe["a"] == pytest.approx(page.model.p[i] / page.model.p.sum(), rel=5e-4)
    assert probe["b"] == pytest.approx(page.model.q[j] / page.model.q.sum(), rel=5e-4)


def test_not_converged_is_shown_with_the_error(page):
    sol = page.model.solution
    forced = tp.Solution(**{**sol.__dict__, "result": _unconverged(sol.result)})
    rows = {label: (value, warn) for label, value, warn in forced.readout_rows()}
    value, warn = rows["converged"]
    assert value.startswith("NO: marginal error") and warn
    table = {row[0]: row for row in plots.readout_table_rows(forced.readout_rows())}
    assert table["converged"][4]  # flagged in the shared table (⚠, bold, a note under it)
    assert table["marginal_error"][4]
    assert not table["cost"][4]


def _unconverged(result):
    from dataclasses import replace

    return replace(result, converged=False, marginal_error=3.2e-4)


# --- exports ---------------------------------------------------------------------------------


def _run_snippet(code: str) -> dict[str, float]:
    """Run the code box's text as a student would (fresh namespace); the printed numbers."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("error")  # the snippet itself must keep its output clean
        exec(compile(code, "<snippet>", "exec"), {})
    lines = out.getvalue().strip().split("\n")
    assert len(lines) == 3, lines
    assert lines[0].startswith("marginal error (L1) = ")
    assert lines[1].startswith("transport cost <C, plan> = ")
    # the last line holds W_p (exact) or <C, plan>^(1/p) (entropic): its number follows "= "
    w_text = re.search(r"= ([^ =]+)(  \(>= W\d\))?$", lines[2]).group(1)
    return {
        "error": float(lines[0].rsplit("= ", 1)[1]),
        "cost": float(lines[1].rsplit("= ", 1)[1]),
        "W": float(w_text),
        "w_line": lines[2],
    }


def _matches_printed(printed: float, value: float, units: float = 0.5) -> bool:
    """``printed`` is ``value`` to the 6 significant digits printed, within ``units`` of the
    last digit (0.5: rounding; 1 when ``value`` is itself a rounded readout). The solvers'
    tolerances (~1e-9) may move a value on a rounding boundary: 1e-8 relative on top."""
    if value == 0:
        return abs(printed) <= 1e-9
    unit = 10.0 ** (math.floor(math.log10(abs(value))) - 5)
    return abs(printed - value) <= units * unit + 1e-8 * abs(value)


def _check_snippet(model) -> None:
    sol = model.solution
    printed = _run_snippet(model.snippet())
    assert printed["error"] <= 1e-8
    assert _matches_printed(printed["cost"], sol.result.cost), (printed, sol.result.cost)
    # W_p is the p-th root of the cost: printing cost ** p (or the cost itself) fails here
    assert _matches_printed(printed["W"], sol.distance), (printed, sol.distance)
    assert _matches_printed(printed["W"], sol.result.cost ** (1 / sol.power))
    shown = _shown_rows(sol)
    root = "" if sol.power == 1 else "√"
    label = (
        f"W{sol.power} = {root}⟨C, π⟩"
        if sol.eps_fraction == 0
        else f"{root}⟨C, π⟩ (≥ W{sol.power})"
    )
    # and against the readouts as the page prints them (both rounded: one unit apart at most)
    assert _matches_printed(printed["W"], float(shown[label]), units=1)
    assert _matches_printed(printed["cost"], float(shown["transport cost ⟨C, π⟩"]), units=1)
    exact_lp = sol.eps_fraction == 0
    assert printed["w_line"].startswith(f"W{sol.power} = ") == exact_lp


def _shown_rows(sol) -> dict[str, str]:
    return {label: value for label, value, _ in sol.readout_rows()}


SNIPPET_EPS = [0.0, 1e-4, 1e-3, 1e-2, 0.1, 1.0]


@pytest.mark.parametrize("eps", SNIPPET_EPS)
@pytest.mark.parametrize("power", [1, 2])
@pytest.mark.parametrize("preset", hp.PRESETS)
def test_code_snippet_reproduces_every_preset(preset, power, eps):
    # every slider end and decade, both costs: the code a student copies prints the page's
    # numbers (POT's stabilized method returned NaN here at eps 1e-4 for every preset)
    _check_snippet(tp.TransportPlan(preset=preset, n=64, eps=eps, cost=power))


def _gappy_pair(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    p = rng.random(n)
    p[rng.random(n) < 0.4] = 0.0  # scattered empty bins
    q = rng.random(n) ** 4
    q[: n // 3] = 0.0  # a block of empty bins
    return hp.round_heights(p), hp.round_heights(q)


@pytest.mark.parametrize("eps", [0.0, 1e-4, 1e-2])
@pytest.mark.parametrize("power", [1, 2])
def test_code_snippet_reproduces_histograms_with_empty_bins(power, eps):
    p, q = _gappy_pair(64)
    model = tp.TransportPlan(n=64, p=p, q=q, eps=eps, cost=power)
    assert (model.p == 0).sum() > 10 and (model.q == 0).sum() > 10
    _check_snippet(model)


def test_code_snippet_reproduces_256_bins_at_the_smallest_eps():
    _check_snippet(tp.TransportPlan(preset="shifted copy", n=256, eps=1e-4, cost=2))


def test_code_snippet_check_catches_a_wrong_root():
    # the check above must fail on a snippet that prints cost ** p as "W"
    model = tp.TransportPlan(n=32, eps=0.0, cost=2)
    wrong = model.snippet().replace("W = cost ** (1 / 2)", "W = cost ** 2")
    assert wrong != model.snippet()
    printed = _run_snippet(wrong)
    assert not _matches_printed(printed["W"], model.solution.distance)


def test_csv_holds_the_plan(page):
    text = page._csv().getvalue()
    rows = text.strip().split("\n")
    assert rows[0] == "source_bin,target_bin,source_x,target_y,mass"
    plan = page.model.solution.result.plan
    assert len(rows) - 1 == np.count_nonzero(plan)
    total = sum(float(r.split(",")[-1]) for r in rows[1:])
    assert total == pytest.approx(1.0, abs=1e-8)
    i, j, _, _, mass = rows[1].split(",")
    assert float(mass) == pytest.approx(plan[int(i), int(j)], rel=1e-9)


# --- deep links ------------------------------------------------------------------------------


def test_query_keys_good_values_applied():
    query = {
        "n": "16",
        "p": ",".join(["0.5"] * 16),
        "q": ",".join(["0", "1"] * 8),
        "eps": "0.01",
        "cost": "1",
    }
    values, notices = parse_query(query, tp.QUERY_KEYS)
    assert notices == []
    model = tp.TransportPlan()
    model.param.update(**values)
    assert model.n == 16 and model.cost == 1 and model.eps == 0.01
    assert np.array_equal(model.p, np.full(16, 0.5))
    assert model.solution.x.size == 16


def test_query_eps_zero_means_exact():
    values, notices = parse_query({"eps": "0"}, tp.QUERY_KEYS)
    assert values == {"eps": 0.0} and notices == []


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("p", "0.1,abc,0.3"),
        ("p", "0,0,0,0"),  # no mass
        ("p", "0.5,-1,0.2"),
        ("q", "0.2,nan,0.1"),
        ("eps", "1e-7"),
        ("eps", "inf"),
        ("cost", "3"),
        ("n", "4096"),
        ("n", "12"),
    ],
)
def test_query_bad_values_ignored_with_notice(key, raw):
    values, notices = parse_query({key: raw}, tp.QUERY_KEYS)
    assert key not in values
    assert len(notices) == 1 and f"'{key}'" in notices[0]
    assert raw not in notices[0]  # the raw value is never echoed


def test_query_p_of_another_length_is_rebinned():
    values, _ = parse_query({"p": "0,1,1,0"}, tp.QUERY_KEYS)
    model = tp.TransportPlan(n=16)
    model.param.update(**values)
    assert model.p.size == 16
    assert np.array_equal(model.p[:4], np.zeros(4)) and np.all(model.p[4:12] == 1.0)


def test_query_round_trip_reproduces_the_state():
    model = tp.TransportPlan(preset="bimodal to unimodal", n=40, eps=0.003, cost=1)
    query = {spec.key: spec.format(getattr(model, spec.param)) for spec in tp.QUERY_KEYS}
    values, notices = parse_query(query, tp.QUERY_KEYS)
    assert notices == []
    other = tp.TransportPlan()
    other.param.update(**values)
    assert np.array_equal(other.p, model.p) and np.array_equal(other.q, model.q)
    assert other.solution.result.cost == pytest.approx(model.solution.result.cost, abs=1e-9)


# --- bad input -------------------------------------------------------------------------------


def test_zero_mass_keeps_the_last_plan_and_says_so(page):
    last = page.model.solution
    page.flow.submit(p=np.zeros(32))
    assert page.model.solution is last
    assert "add some mass to p" in page.model.problem.lower()
    assert page.plan.image_renderer.glyph.global_alpha < 1  # greyed
    assert "add some mass to p" in page.problem_note.object.lower()
    assert page.problem_note.visible
    # adding mass back recovers
    p = np.zeros(32)
    p[3] = 0.4
    page.flow.submit(p=p)
    assert page.model.problem == ""
    assert page.model.solution is not last
    assert page.plan.image_renderer.glyph.global_alpha == 1


def test_stale_sync_from_before_a_bin_change_is_dropped(page):
    page.model.n = 40
    before = page.model.solution
    page.flow.submit(p=np.full(32, 0.5))  # 32 bars: sent before the change
    assert page.model.solution is before


def test_browser_sync_is_not_echoed_back(page):
    p = page.model.p.copy()
    p[2] = 0.9
    source = page.histograms["p"].source
    before = source.data
    _browser_sync(page, "p", p)
    assert source.data is before  # the dragged source is never written by the server
    assert page.model.p[2] == 0.9


def test_preset_and_reset_push_bars_to_the_browser(page):
    page.model.preset = "split atom"
    top = page.histograms["p"].source.data["top"]
    assert np.count_nonzero(top) == 1
    p = page.model.p.copy()
    p[0] = 0.5
    page.model.p = p
    page.model.reset(page.model)  # what the Reset button calls
    assert np.count_nonzero(page.histograms["p"].source.data["top"]) == 1


# --- drawing data ----------------------------------------------------------------------------


def test_plan_codes_linear_and_log():
    plan = np.array([[1.0, 0.5], [1e-3, 0.0]])
    lin = plots.plan_codes(plan, log_scale=False)
    assert lin.tolist() == [[255, 128], [0, 0]]
    log = plots.plan_codes(plan, log_scale=True)
    # log10 of 1, 0.5, 1e-3 over 6 decades: 1, 0.9498, 0.5 of the palette
    assert log.tolist() == [[255, 242], [128, 0]]


def test_lines_keep_the_heaviest_entries_only():
    rng = np.random.default_rng(0)
    plan = rng.random((64, 64)) ** 8
    x = (np.arange(64) + 0.5) / 64
    lines = plots.line_data(plan, x)
    assert lines["mass"].size == plots.MAX_LINES
    assert lines["mass"].dtype == np.float32
    assert lines["mass"].min() >= np.sort(plan.ravel())[-plots.MAX_LINES] * (1 - 1e-6)
    k = int(np.argmax(lines["mass"]))
    assert plan[lines["i"][k], lines["j"][k]] == pytest.approx(plan.max(), rel=1e-6)


def test_exact_support_overlay(page):
    page.model.show_exact_support = True
    sol = page.model.solution
    assert sol.exact_plan is not None
    support = page.plan.support_source.data
    assert len(support["x"]) == np.count_nonzero(sol.exact_plan)
    assert len(support["x"]) <= 2 * 32 - 1  # a vertex of the transport polytope


def test_page_builds_without_a_server():
    page = tp.TransportPlanPage.create()
    layout = page.__panel__()
    assert layout is not None
    assert page.model.solution.result.converged


def test_slider_request_is_not_pushed_back_to_the_slider(page):
    slider = page.eps_slider
    assert not slider.syncable  # its moves arrive as requests (flow-controlled in the browser)
    seq = page.flow.answer_source.data["seq"][0]
    page.eps_request.data = {"log_eps": [-2.2345]}  # between two 3-digit ε values
    assert page.model.eps == float(f"{10**-2.2345:.3g}")
    assert slider.value == pytest.approx(np.log10(0.05))  # untouched: it is under the pointer
    assert page.flow.answer_source.data["seq"][0] == seq + 1
    page.model.eps = 0.3  # from elsewhere (a link): the slider follows
    assert slider.value == pytest.approx(np.log10(0.3))
    page.exact_box.value = True
    assert page.model.eps == 0 and slider.disabled
    page.exact_box.value = False
    assert page.model.eps == 0.3


def test_an_unchanged_request_is_still_answered(page):
    # the browser sends nothing more until an answer arrives: one must come every time
    seq = page.flow.answer_source.data["seq"][0]
    page.eps_request.data = {"log_eps": [np.log10(0.05) + 1e-4]}  # shows ε = 0.05 too
    assert page.flow.answer_source.data["seq"][0] == seq + 1
    page.exact_box.value = True
    seq = page.flow.answer_source.data["seq"][0]
    page.eps_request.data = {"log_eps": [-1.0]}  # exact mode: ε stays 0
    assert page.model.eps == 0
    assert page.flow.answer_source.data["seq"][0] == seq + 1


def test_bars_pushed_under_a_document_hold_are_not_taken_for_syncs(solves):
    # Served, updates run under the document's hold, and Bokeh calls on_change for the
    # server's own writes only when the hold ends: the page must still recognize them.
    from bokeh.document import Document

    page = tp.TransportPlanPage(tp.TransportPlan(n=32, eps=0.01))
    doc = Document()
    doc.add_root(page.histograms["p"].source)
    doc.add_root(page.histograms["q"].source)
    submitted = []
    page.flow.submit = lambda **update: submitted.append(update)
    solves.clear()
    doc.hold("combine")
    page.model.apply_preset("split atom")
    doc.unhold()
    assert [name for name, _ in solves] == ["sinkhorn"]
    assert submitted == []
    assert np.array_equal(page.histograms["p"].source.data["top"], page.model.p)


def test_support_toggle_adds_the_exact_plan_without_solving_again(solves):
    page = tp.TransportPlanPage(tp.TransportPlan(n=32, eps=0.01))
    shown = page.model.solution.result
    solves.clear()
    page.support_box.value = True
    assert [name for name, _ in solves] == ["exact"]
    sol = page.model.solution
    assert sol.result is shown  # the readouts still describe the solve of the plan shown
    a, b = page.model.p / page.model.p.sum(), page.model.q / page.model.q.sum()
    assert np.sum(sol.exact_plan * _grid_cost(32, 2)) == pytest.approx(
        ot.emd2(a, b, _grid_cost(32, 2)), rel=1e-10
    )
    assert len(page.plan.support_source.data["x"]) == np.count_nonzero(sol.exact_plan)
    solves.clear()
    page.support_box.value = False
    assert solves == [] and page.model.solution.exact_plan is None
    assert len(page.plan.support_source.data["x"]) == 0
    # while the support is shown, a change of the bars solves both again, once each
    page.support_box.value = True
    solves.clear()
    page.model.p = np.where(np.arange(32) == 3, 0.5, page.model.p)
    assert sorted(name for name, _ in solves) == ["exact", "sinkhorn"]
    assert len(page.plan.support_source.data["x"]) == np.count_nonzero(
        page.model.solution.exact_plan
    )


def test_support_toggle_in_exact_mode_marks_the_plan_itself(solves):
    page = tp.TransportPlanPage(tp.TransportPlan(n=24, eps=0.0))
    solves.clear()
    page.support_box.value = True
    assert solves == []
    plan = page.model.solution.result.plan
    assert len(page.plan.support_source.data["x"]) == np.count_nonzero(plan) > 0
    page.support_box.value = False
    assert len(page.plan.support_source.data["x"]) == 0
