"""/benamou_brenier in headless Chromium: drag, deep link, keyboard and play (offline, no errors).

The browser draws each frame from the flow the server sent (its level pieces); the tests
compare that drawing with the Python twin (pages/benamou_brenier_plots.py:frame_columns) and
the server's numbers with POT for the bars the browser holds. Every check waits for its
condition.
"""

from __future__ import annotations

import math
import time

import numpy as np
import ot
import pytest
from playwright.sync_api import expect

from pages import benamou_brenier_plots as plots
from pages.histogram_pair import round_heights

pytestmark = pytest.mark.browser

READY = (
    "() => window.Bokeh && Bokeh.documents.length > 0 && "
    "Bokeh.documents[0].get_model_by_name('bb_answer') != null && "
    "[...Bokeh.index.all_views()].some(v => v.model.name === 'bb_frame_fig')"
)
ANSWERS = "() => Bokeh.documents[0].get_model_by_name('bb_answer').data.seq[0]"
SLIDER = """() => { for (const v of Bokeh.index.all_views())
  if (v.model.name === 'bb_time_slider') return v.model.value; return null; }"""


def _open(page, query: str = "") -> None:
    page.goto(page.base + "/benamou_brenier" + query)
    page.wait_for_function(READY, timeout=30_000)
    page.wait_for_selector("table.bb-readouts tbody tr[data-key]")


def _shown(page) -> dict[str, str]:
    rows = page.locator("table.bb-readouts tbody tr[data-key]").all_inner_texts()
    return dict(row.split("\t", 1) for row in rows)


def _wait_until(check, timeout: float = 15.0) -> None:
    end = time.monotonic() + timeout
    while True:
        try:
            check()
            return
        except AssertionError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)


def _frame_matches(page, t: float) -> None:
    """The browser's frame is the Python twin's, for the pieces it holds, at ``t``."""
    got = page.source("bb_frame")
    want = plots.frame_columns(page.source("bb_pieces"), t)
    for c in ("left", "right", "rho", "v"):
        np.testing.assert_allclose(got[c], want[c], atol=1e-9, err_msg=c)


def _split_w2sq(p, q, m=64) -> float:
    p, q = round_heights(p), round_heights(q)
    n = p.size
    x = (np.arange(n * m) + 0.5) / (n * m)
    a, b = np.repeat(p / p.sum() / m, m), np.repeat(q / q.sum() / m, m)
    return ot.wasserstein_1d(x, x, a, b, p=2)


def test_drag_recomputes_the_flow_and_the_server_agrees_with_pot(page):
    _open(page, "?n=32&grid=16")
    _frame_matches(page, page.evaluate(SLIDER))
    seq = page.evaluate(ANSWERS)
    x0, y0 = page.pixel("bb_p_fig", 0.86, 0.1)
    x1, y1 = page.pixel("bb_p_fig", 0.95, 0.8)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10)
    page.mouse.up()
    page.wait_for_function(f"() => ({ANSWERS})() > {seq}", timeout=10_000)

    def server_caught_up():
        p = np.array(page.source("bb_p")["top"])
        q = np.array(page.source("bb_q")["top"])
        assert p[30] == pytest.approx(0.8, abs=0.05)
        w2 = float(_shown(page)["W2² (quantile formula, exact)"])
        assert w2 == pytest.approx(_split_w2sq(p, q), abs=2.0 / (32 * 64) + 1e-6)
        _frame_matches(page, page.evaluate(SLIDER))

    _wait_until(server_caught_up)


def test_deep_link_sets_time_grid_and_gaussians(page):
    _open(page, "?n=32&t=0.8&grid=16&gx=-1&gsx=0.5")
    page.wait_for_function(f"() => ({SLIDER})() === 0.8")
    _frame_matches(page, 0.8)
    expect(page.locator("table.bb-readouts")).to_contain_text("on 32 cells × 16 steps")
    expect(page.get_by_text("At t = 0.800")).to_be_visible()
    gauss = page.source("bb_gauss")["p"]
    assert gauss[2] == -1.0  # the target mean, x1


def test_keyboard_moves_time_and_play_runs_to_the_end(page):
    _open(page, "?n=32&t=0.2")
    page.evaluate(
        """() => { for (const v of Bokeh.index.all_views())
             if (v.model.name === 'bb_time_slider')
               v.el.shadowRoot.querySelector('.noUi-handle').focus(); }"""
    )
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => ({SLIDER})() > 0.2")
    t = page.evaluate(SLIDER)
    _frame_matches(page, t)
    # the server hears the new time (the link and the readout under the figure)
    expect(page.get_by_text(f"At t = {t:.3f}")).to_be_visible()
    # Play, by keyboard: runs to t = 1 in the browser, then tells the server
    play = page.get_by_role("button", name="▶ Play")
    play.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => ({SLIDER})() === 1", timeout=20_000)
    _frame_matches(page, 1.0)
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible()
    expect(page.get_by_text("At t = 1.000")).to_be_visible()
    assert math.isclose(page.source("bb_now")["t"][0], 1.0)
