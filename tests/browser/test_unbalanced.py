"""/unbalanced in headless Chromium: drag, deep link, keyboard (offline, no console errors).

The reference numbers come from POT (on the bars the browser holds), never from ot_engine.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import ot
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

READY = (
    "() => window.Bokeh && Bokeh.documents.length > 0 && "
    "Bokeh.documents[0].get_model_by_name('ub_answer') != null && "
    "[...Bokeh.index.all_views()].some(v => v.model.name === 'ub_p_fig')"
)
ANSWERS = "() => Bokeh.documents[0].get_model_by_name('ub_answer').data.seq[0]"
HEIGHTS = "(name) => Array.from(Bokeh.documents[0].get_model_by_name(name).data.top)"
COLUMN = "([name, col]) => Array.from(Bokeh.documents[0].get_model_by_name(name).data[col])"


def _open(page, query: str = "") -> None:
    page.goto(page.base + "/unbalanced" + query)
    page.wait_for_function(READY, timeout=30_000)
    page.wait_for_selector("table.ub-readouts")


def _shown(page) -> dict[str, str]:
    """Readout key -> the value cell's text."""
    return page.locator("table.ub-readouts tbody tr[data-key]").evaluate_all(
        "rows => Object.fromEntries(rows.map("
        "r => [r.dataset.key, r.querySelector('td').textContent.trim()]))"
    )


def _cost(n):
    x = (np.arange(n) + 0.5) / n
    return (x[:, None] - x[None, :]) ** 2


def _books(P, a, b):
    sent, received = P.sum(1), P.sum(0)
    destroyed = np.maximum(a - sent, 0).sum() + np.maximum(received - b, 0).sum()
    created = np.maximum(sent - a, 0).sum() + np.maximum(b - received, 0).sum()
    return P.sum(), destroyed, created


def _close(shown: str, value: float) -> bool:
    printed = float(shown)
    unit = 10.0 ** (math.floor(math.log10(abs(value))) - 5)
    return abs(printed - value) <= 1.01 * unit + 1e-8 * abs(value)


def _heights(page, name):
    return np.array([float(f"{h:.4g}") for h in page.evaluate(HEIGHTS, name)])


def test_mouse_drag_reaches_the_server_and_redraws_the_overlays(page):
    _open(page, "?n=32&rho=1&eps=0.05")
    seq = page.evaluate(ANSWERS)
    before = page.locator("table.ub-readouts").inner_text()
    # Drag across p at x = 0.83..0.95 (empty in the default preset) up to 0.8.
    x0, y0 = page.pixel("ub_p_fig", 0.83, 0.1)
    x1, y1 = page.pixel("ub_p_fig", 0.95, 0.8)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10)
    page.mouse.up()
    page.wait_for_function(f"() => ({ANSWERS})() > {seq}", timeout=10_000)
    expect(page.locator("table.ub-readouts")).not_to_have_text(before)
    p = _heights(page, "ub_p")
    assert p[30] == pytest.approx(0.8, abs=0.05) and np.all(p[27:31] > 0.05)
    # wait until the server has solved for these very bars (its mass of p is theirs)
    expect(page.locator("table.ub-readouts tr[data-key='mass_p']")).to_contain_text(
        f"{p.sum() / 32:.6g}"
    )
    # the crossed-out part of every p bar is drawn from its new height
    page.wait_for_function(
        "([h]) => { const t = Array.from(Bokeh.documents[0].get_model_by_name('ub_p_parts')"
        ".data.lost_top); return Math.abs(t[30] - h) < 1e-6; }",
        arg=[float(p[30])],
    )
    # and the numbers are POT's for the bars the browser holds
    q = _heights(page, "ub_q")
    a, b, C = p / 32, q / 32, _cost(32)
    i, j = a > 0, b > 0  # POT's scalings go wrong on empty bars: leave them out for it
    P = np.zeros_like(C)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        P[np.ix_(i, j)] = ot.unbalanced.sinkhorn_unbalanced(
            a[i], b[j], C[np.ix_(i, j)], 0.05 * C.max(), C.max(), stopThr=1e-15,
            numItermax=100_000,
        )  # fmt: skip
    shown = _shown(page)
    transported, destroyed, created = _books(P, a, b)
    assert _close(shown["transported"], transported)
    assert _close(shown["destroyed"], destroyed)
    assert _close(shown["created"], created)
    assert _close(shown["cost"], float(np.sum(C * P)))
    assert shown["converged"] == "yes"


def test_deep_link_to_partial_and_the_keyboard_moves_its_slider(page):
    _open(page, "?n=16&mode=partial&m=0.3")
    expect(page.locator("table.ub-readouts")).to_contain_text("0.3 × min")
    seq = page.evaluate(ANSWERS)
    handle = page.locator(".noUi-handle").nth(2)  # ρ, ε, then m
    handle.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => ({ANSWERS})() > {seq}", timeout=10_000)
    expect(page.locator("table.ub-readouts")).to_contain_text("0.35 × min", timeout=10_000)
    p, q = _heights(page, "ub_p"), _heights(page, "ub_q")
    a, b, C = p / 16, q / 16, _cost(16)
    P = ot.partial.partial_wasserstein(a, b, C, m=0.35 * min(a.sum(), b.sum()))
    shown = _shown(page)
    assert _close(shown["transported"], float(P.sum()))
    if np.sum(C * P) > 0:
        assert _close(shown["cost"], float(np.sum(C * P)))
    # the address bar follows
    page.wait_for_function("() => window.location.search.includes('m=0.35')", timeout=10_000)
    # the keyboard cursor on q reads its bar out in a live region
    page.evaluate(
        """() => { for (const v of Bokeh.index.all_views())
                     if (v.model.name === 'ub_q_fig') v.el.focus({focusVisible: true}); }"""
    )
    page.keyboard.press("Home")
    expect(page.get_by_text("q, bar 0 at x = 0.031")).to_be_visible(timeout=10_000)
