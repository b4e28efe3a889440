"""/transport_plan in headless Chromium: drag, keyboard, hover, deep link (offline, no errors)."""

from __future__ import annotations

import csv
import math
import re
import warnings

import numpy as np
import ot
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

READY = (
    "() => window.Bokeh && Bokeh.documents.length > 0 && "
    "Bokeh.documents[0].get_model_by_name('tp_answer') != null && "
    "[...Bokeh.index.all_views()].some(v => v.model.name === 'tp_p_fig')"
)
# Page pixel of data point (x, y) in a named figure, from Bokeh's own frame scales.
MODEL = "(name) => Bokeh.documents[0].get_model_by_name(name)"
ANSWERS = "() => Bokeh.documents[0].get_model_by_name('tp_answer').data.seq[0]"
HEIGHTS = "(name) => Array.from(Bokeh.documents[0].get_model_by_name(name).data.top)"
IMAGE = "() => Array.from(Bokeh.documents[0].get_model_by_name('tp_image').data.image[0])"


def _open(page, query: str = "") -> None:
    page.goto(page.base + "/transport_plan" + query)
    page.wait_for_function(READY, timeout=30_000)
    page.wait_for_selector("table.tp-readouts")


def _readouts(page) -> str:
    return page.locator("table.tp-readouts").inner_text()


def _wait_answer_after(page, seq: int) -> None:
    page.wait_for_function(f"() => ({ANSWERS})() > {seq}", timeout=10_000)


# --- the server's state and independent numbers ---------------------------------------------
# The code box is written by the server from its model (p, q, cost, ε) and the CSV download is
# the server's plan: together they are the server-side state a test can read. The reference
# numbers come from POT, never from ot_engine.

# Text of the code box (Panel renders it inside shadow roots).
CODE = """() => { const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.tagName === 'CODE' && el.textContent.includes('p = np.array')) return el.textContent;
      if (el.shadowRoot) { const t = walk(el.shadowRoot); if (t) return t; }
    }
    return null; };
  return walk(document); }"""
# True once the code box holds the browser's bars (as the server keeps them: 4 digits).
CODE_HAS_BARS = (
    "() => { const text = ("
    + CODE
    + r""")(); if (text == null) return false;
  const doc = Bokeh.documents[0];
  const found = {p: text.match(/\np = np\.array\(\[([^\]]*)\]/),
                 q: text.match(/\nq = np\.array\(\[([^\]]*)\]/)};
  for (const name of ['p', 'q']) {
    const server = found[name][1].split(',').map(Number);
    const shown = Array.from(doc.get_model_by_name('tp_' + name).data.top);
    if (server.length !== shown.length) return false;
    for (let k = 0; k < shown.length; k++)
      if (Math.abs(Number(shown[k].toPrecision(4)) - server[k]) > 1e-12) return false;
  }
  return true; }"""
)


def _open_code(page) -> None:
    page.get_by_text("Show the code (POT)").click()
    page.wait_for_function(f"() => ({CODE})() != null", timeout=10_000)


def _server_state(page) -> dict:
    """p, q, cost power and ε fraction of the server's model, read from its code box."""
    page.wait_for_function(CODE_HAS_BARS, timeout=10_000)
    text = page.evaluate(CODE)

    def vec(name):
        body = re.search(rf"\n{name} = np\.array\(\[([^\]]*)\]\)", text).group(1)
        return np.array([float(v) for v in body.split(",")])

    reg = re.search(r"\nreg = (\S+) \* C\.max\(\)", text)
    return {
        "p": vec("p"),
        "q": vec("q"),
        "power": int(re.search(r"\*\* (\d)\n", text).group(1)),
        "eps": float(reg.group(1)) if reg else 0.0,
    }


def _shown(page) -> dict[str, str]:
    rows = page.locator("table.tp-readouts tbody tr[data-key]").all_inner_texts()
    return dict(row.split("\t", 1) for row in rows)


def _server_plan(page, n: int) -> np.ndarray:
    """The server's plan, through the page's CSV download."""
    with page.expect_download() as info:
        page.get_by_text("Download the plan (CSV)").click()
    plan = np.zeros((n, n))
    with open(info.value.path(), newline="") as f:
        for row in csv.DictReader(f):
            plan[int(row["source_bin"]), int(row["target_bin"])] = float(row["mass"])
    return plan


def _close(shown: str, value: float) -> bool:
    """A readout printed to 6 significant digits is ``value`` (1e-8 relative for solvers)."""
    printed = float(shown)
    if value == 0:
        return abs(printed) <= 1e-12
    unit = 10.0 ** (math.floor(math.log10(abs(value))) - 5)
    return abs(printed - value) <= 0.5 * unit + 1e-8 * abs(value)


def _check_readouts_against_pot(page) -> dict:
    """Every number in the readout table against POT, for the server's current state."""
    state = _server_state(page)
    shown = _shown(page)
    p, q, power, eps = state["p"], state["q"], state["power"], state["eps"]
    n = p.size
    x = (np.arange(n) + 0.5) / n
    C = np.abs(x[:, None] - x[None, :]) ** power
    a, b = p / p.sum(), q / q.sum()
    w_exact = ot.emd2(a, b, C) ** (1 / power)  # W_p^p from the LP, then the root
    root = "" if power == 1 else "√"
    if eps == 0:
        plan = ot.emd(a, b, C)
        cost = float(np.sum(C * plan))
        objective = cost
        w_label = f"W{power} = {root}⟨C, π⟩"
    else:
        reg = eps * C.max()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # log(0) on empty bars
            plan = ot.sinkhorn(
                a, b, C, reg, method="sinkhorn_log", stopThr=1e-13, numItermax=200_000
            )
        cost = float(np.sum(C * plan))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(plan > 0, plan / np.outer(a, b), 1.0)
        objective = cost + reg * float(np.sum(plan * np.log(ratio)))
        w_label = f"{root}⟨C, π⟩ (≥ W{power})"
        assert shown["ε"] == f"{eps:.3g} × max C = {reg:.3g}"
    assert _close(shown["transport cost ⟨C, π⟩"], cost), (shown, cost)
    assert _close(shown[w_label], cost ** (1 / power)), (shown, cost)
    assert _close(shown[f"W{power} exact (1-D formula)"], w_exact), (shown, w_exact)
    assert _close(shown["regularized objective"], objective), (shown, objective)
    # the plan itself (CSV, 10 digits): POT's, with the marginal error the page reports
    served = _server_plan(page, n)
    np.testing.assert_allclose(served, plan, atol=5e-9)
    error = np.abs(served.sum(1) - a).sum() + np.abs(served.sum(0) - b).sum()
    assert float(shown["marginal error (L1)"]) <= 1e-9
    assert abs(float(shown["marginal error (L1)"]) - error) <= 2e-9  # CSV rounding
    assert shown["converged"] == "yes"
    return state | {"plan": served}


def test_mouse_drag_changes_the_histogram_on_the_server_and_the_plan(page):
    _open(page, "?n=32&eps=0.01&cost=2")
    _open_code(page)
    before = _server_state(page)
    before_readouts = _readouts(page)
    before_image = page.evaluate(IMAGE)
    seq = page.evaluate(ANSWERS)
    # Drag across bars 26..30 of p (x = 0.83..0.95, empty in the default preset) up to 0.8.
    x0, y0 = page.pixel("tp_p_fig", 0.83, 0.1)
    x1, y1 = page.pixel("tp_p_fig", 0.95, 0.8)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10)
    page.mouse.up()
    _wait_answer_after(page, seq)
    heights = page.evaluate(HEIGHTS, "tp_p")
    assert heights[30] == pytest.approx(0.8, abs=0.05)  # the bar followed the pointer
    assert all(h > 0.05 for h in heights[27:31])  # one stroke painted several bars
    # the server recomputed from the new bars: new numbers and a new heat map
    expect(page.locator("table.tp-readouts")).not_to_have_text(before_readouts)
    assert page.evaluate(IMAGE) != before_image
    # the server holds the dragged bars (the code box waits for them) and every readout is
    # POT's number for them
    after = _check_readouts_against_pot(page)
    assert after["p"][30] == pytest.approx(heights[30], abs=1e-4)
    assert np.all(after["p"][27:31] > 0.05) and not np.any(before["p"][27:31])
    assert np.array_equal(after["q"], before["q"])


@pytest.mark.parametrize("query", ["?n=16&eps=0.05", "?n=16&eps=0&cost=1"])
def test_keyboard_changes_a_bar(page, query):
    _open(page, query)
    _open_code(page)
    server_before = _server_state(page)
    before = page.evaluate(HEIGHTS, "tp_q")
    readouts = _readouts(page)
    seq = page.evaluate(ANSWERS)
    page.evaluate(
        """() => { for (const v of Bokeh.index.all_views())
                     if (v.model.name === 'tp_q_fig') v.el.focus({focusVisible: true}); }"""
    )
    page.keyboard.press("Home")  # bar 0, empty in the default preset
    for _ in range(3):
        page.keyboard.press("Shift+ArrowUp")
    after = page.evaluate(HEIGHTS, "tp_q")
    assert after[0] == pytest.approx(before[0] + 0.3, abs=1e-9)
    assert after[1:] == before[1:]
    _wait_answer_after(page, seq)
    expect(page.locator("table.tp-readouts")).not_to_have_text(readouts)
    # on the server: bar 0 of q rose by the three key steps, nothing else moved, and the
    # readouts are POT's numbers for the new bars
    server = _check_readouts_against_pot(page)
    assert server["q"][0] == pytest.approx(server_before["q"][0] + 0.3, abs=1e-12)
    assert np.array_equal(server["q"][1:], server_before["q"][1:])
    assert np.array_equal(server["p"], server_before["p"])
    assert server["eps"] == server_before["eps"]


def test_preset_readouts_describe_the_solve_that_made_the_plan(page):
    from ot_engine import sinkhorn  # the engine itself, started cold, for the count

    _open(page, "?n=64&eps=0.001&cost=2")
    _open_code(page)
    seq = page.evaluate(ANSWERS)
    preset = page.locator("select", has=page.locator("option", has_text="bimodal to unimodal"))
    preset.select_option("bimodal to unimodal")
    _wait_answer_after(page, seq)
    state = _server_state(page)  # waits for the preset's bars in the browser and on the server
    # One more round trip (the plan's hover probe) so that anything the server had queued
    # behind the preset, such as a second solve of the same bars, has been sent by now.
    x, y = page.pixel("tp_heat", 0.5, 0.2)
    page.mouse.move(x, y)
    page.get_by_text(re.compile(r"π\[\d+, \d+\] = ")).wait_for()
    assert page.evaluate(ANSWERS) == seq + 1  # one result for one choice
    x = (np.arange(64) + 0.5) / 64
    C = np.abs(x[:, None] - x[None, :]) ** 2
    cold = sinkhorn(state["p"], state["q"], C, 0.001 * C.max(), tol=1e-9)
    shown = _shown(page)
    assert int(shown["iterations"]) == cold.iterations
    assert cold.iterations > 20
    _check_readouts_against_pot(page)


def test_deep_link_restores_p_q_and_eps(page):
    p = [0.0] * 4 + [0.9] * 8 + [0.0] * 4
    q = [0.25] * 16
    _open(page, "?n=16&p=" + ",".join(map(str, p)) + "&q=" + ",".join(map(str, q)) + "&eps=0.02")
    assert page.evaluate(HEIGHTS, "tp_p") == pytest.approx(p)
    assert page.evaluate(HEIGHTS, "tp_q") == pytest.approx(q)
    text = _readouts(page)
    assert "0.02 × max C" in text
    assert "Sinkhorn" in text


def test_bad_link_value_falls_back_with_a_notice(page):
    _open(page, "?p=1,2,banana")
    expect(page.get_by_text("Ignored the link's 'p'")).to_be_visible()
    heights = page.evaluate(HEIGHTS, "tp_p")
    assert len(heights) == 64 and max(heights) == pytest.approx(0.9)  # the default preset


PROBE = re.compile(
    r"π\[(\d+), (\d+)\] = (\S+): from x = (\S+) \(p holds (\S+)\) "
    r"to y = (\S+) \(q holds (\S+)\)"
)


def test_hover_a_cell_names_the_bars_and_the_amount(page):
    _open(page, "?n=16&eps=0.05")
    _open_code(page)
    state = _server_state(page)
    x, y = page.pixel("tp_heat", 0.72, 0.3)  # near the default plan's peak
    page.mouse.move(x, y)
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('tp_probe').data.i[0] === 4")
    probe = page.get_by_text("π[4, 11]")
    probe.wait_for()
    i, j, mass, xi, pa, yj, qb = PROBE.search(probe.inner_text()).groups()
    assert (int(i), int(j)) == (4, 11)  # x = 0.3 is source bin 4, y = 0.72 target bin 11
    assert float(xi) == pytest.approx((4 + 0.5) / 16, abs=5e-4)  # bin centres, by hand
    assert float(yj) == pytest.approx((11 + 0.5) / 16, abs=5e-4)
    marked = page.evaluate(
        """() => { const m = Bokeh.documents[0].all_models;
                   return [...m].filter(x => x.type === 'ColumnDataSource' && x.data.top
                     && x.data.top.length === 1).length; }"""
    )
    assert marked == 2  # one source bar and one target bar lit
    # (the download click below moves the pointer off the plan)
    plan = _server_plan(page, 16)  # the amount is the server's plan entry
    assert float(mass) == pytest.approx(plan[4, 11], rel=5e-4)
    assert plan[4, 11] > 0.01
    assert float(pa) == pytest.approx(state["p"][4] / state["p"].sum(), rel=5e-4)
    assert float(qb) == pytest.approx(state["q"][11] / state["q"].sum(), rel=5e-4)


def test_slider_drag_recomputes_through_flow_control(page):
    _open(page, "?n=32&eps=0.001")
    _open_code(page)
    seq = page.evaluate(ANSWERS)
    handle = page.locator(".noUi-handle").first  # the ε slider comes first
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for k in range(1, 16):
        page.mouse.move(x + 6 * k, y)  # towards larger ε
    page.mouse.up()
    _wait_answer_after(page, seq)
    # the final position is computed: the last answer carries the slider's ε
    page.wait_for_function(
        """() => { const d = Bokeh.documents[0];
                   const s = d.get_model_by_name('tp_eps_slider');
                   const e = d.get_model_by_name('tp_answer').data.eps[0];
                   return Math.abs(Math.log10(e) - s.value) < 0.01; }""",
        timeout=10_000,
    )
    eps = page.evaluate("() => Bokeh.documents[0].get_model_by_name('tp_answer').data.eps[0]")
    assert eps > 0.002
    expect(page.locator("table.tp-readouts")).to_contain_text(f"{eps:.3g} × max C")
    page.wait_for_function(
        f"() => ({CODE})().includes('reg = {eps:.6g} * C.max()')", timeout=10_000
    )
    assert _check_readouts_against_pot(page)["eps"] == pytest.approx(eps, rel=1e-12)


def test_mouse_click_leaves_no_focus_outline(page):
    _open(page, "?n=16&eps=0.05")
    x, y = page.pixel("tp_p_fig", 0.5, 0.2)
    page.mouse.click(x, y)
    outline = page.evaluate(
        """() => { let a = document.activeElement; const seen = [];
                   while (a) { const s = getComputedStyle(a);
                     if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
                       seen.push(a.className);
                     a = a.shadowRoot ? a.shadowRoot.activeElement : null; }
                   return seen; }"""
    )
    assert outline == []


@pytest.mark.parametrize("height", [600, 900])
def test_embed_fits_a_700_px_iframe(page, height):
    page.set_viewport_size({"width": 700, "height": height})
    _open(page, "?embed=1")
    page.wait_for_timeout(300)  # let the layout settle
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 700  # no sideways scrolling
    boxes = page.evaluate(
        """() => Object.fromEntries([...Bokeh.index.all_views()]
             .filter(v => ['tp_p_fig', 'tp_q_fig', 'tp_heat'].includes(v.model.name))
             .map(v => { const r = v.el.getBoundingClientRect();
                         return [v.model.name, [r.left, r.top, r.right, r.bottom]]; }))"""
    )
    assert set(boxes) == {"tp_p_fig", "tp_q_fig", "tp_heat"}
    for left, top, right, bottom in boxes.values():  # both histograms and the plan in view
        assert left >= 0 and top >= 0 and right <= 700 and bottom <= height
    readouts = page.locator("table.tp-readouts").bounding_box()
    assert readouts["y"] + readouts["height"] <= height
    if height == 900:  # everything, controls included
        assert page.evaluate("() => document.documentElement.scrollHeight") <= 900
