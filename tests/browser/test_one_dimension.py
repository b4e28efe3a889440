"""/one_dimension in headless Chromium: drag, hover, keyboard, deep link (offline, no errors).

The browser draws the CDFs, quantile functions and plan from its own bars; the tests compare
that drawing with the Python twin (pages/one_dimension_plots.py:curves) and the server's
numbers with POT, for the bars the browser holds. Every check waits for its condition.
"""

from __future__ import annotations

import math
import time

import numpy as np
import ot
import pytest
from playwright.sync_api import expect

from pages import one_dimension_plots as plots
from pages.histogram_pair import round_heights

pytestmark = pytest.mark.browser

READY = (
    "() => window.Bokeh && Bokeh.documents.length > 0 && "
    "Bokeh.documents[0].get_model_by_name('od_answer') != null && "
    "[...Bokeh.index.all_views()].some(v => v.model.name === 'od_cdf_fig')"
)
ANSWERS = "() => Bokeh.documents[0].get_model_by_name('od_answer').data.seq[0]"


def _open(page, query: str = "") -> None:
    page.goto(page.base + "/one_dimension" + query)
    page.wait_for_function(READY, timeout=30_000)
    page.wait_for_selector("table.od-readouts tbody tr[data-key]")


def _shown(page) -> dict[str, str]:
    rows = page.locator("table.od-readouts tbody tr[data-key]").all_inner_texts()
    return dict(row.split("\t", 1) for row in rows)


def _close(shown: str, value: float) -> bool:
    if value == 0:
        return abs(float(shown)) <= 1e-12
    unit = 10.0 ** (math.floor(math.log10(abs(value))) - 5)
    return abs(float(shown) - value) <= 0.51 * unit + 1e-12


def _bars(page):
    p = np.array(page.source("od_p")["top"])
    q = np.array(page.source("od_q")["top"])
    return p, q


def _pot_w(p, q, order) -> float:
    """W_order by POT for the bars as the server keeps them (4 significant digits)."""
    p, q = round_heights(p), round_heights(q)
    n = p.size
    x = (np.arange(n) + 0.5) / n
    a, b = p / p.sum(), q / q.sum()
    return ot.wasserstein_1d(x, x, a, b, p=order) ** (1 / order)


def _wait_until(check, timeout: float = 15.0) -> None:
    """Poll ``check()`` (Python side: POT) until it holds; fail with its last error."""
    end = time.monotonic() + timeout
    while True:
        try:
            check()
            return
        except AssertionError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)


def _drawing_matches_the_bars(page) -> None:
    """The browser's curves are the Python twin's for the bars it holds."""
    p, q = _bars(page)
    x = np.array(page.source("od_p")["x"])
    want = plots.curves(x, p, q)
    for name, columns in (("od_cdf", ("t", "F", "G")), ("od_pieces", ("lo", "hi", "xs", "ys"))):
        got = page.source(name)
        key = name.removeprefix("od_")
        for c in columns:
            np.testing.assert_allclose(got[c], want[key][c], atol=1e-9, err_msg=f"{name}.{c}")


def test_drag_redraws_in_the_browser_and_the_server_agrees_with_pot(page):
    _open(page, "?n=32&order=2")
    _drawing_matches_the_bars(page)
    before = page.source("od_cdf")["F"]
    seq = page.evaluate(ANSWERS)
    # Paint bars 27..30 of p (x = 0.86..0.95) up to 0.8 in one stroke.
    x0, y0 = page.pixel("od_p_fig", 0.86, 0.1)
    x1, y1 = page.pixel("od_p_fig", 0.95, 0.8)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10)
    page.mouse.up()
    page.wait_for_function(f"() => ({ANSWERS})() > {seq}", timeout=10_000)
    p, _ = _bars(page)
    assert p[30] == pytest.approx(0.8, abs=0.05)
    # the browser redrew its CDF from its own bars
    page.wait_for_function(
        f"() => JSON.stringify(({page.source_js})('od_cdf').F) !== {before!r}".replace("'", '"'),
        timeout=10_000,
    )
    _drawing_matches_the_bars(page)

    def server_caught_up():
        p, q = _bars(page)
        shown = _shown(page)
        w = _pot_w(p, q, 2)
        assert _close(shown["W2 (quantile formula, exact)"], w), (shown, w)
        assert _close(shown["W2 from the LP, cost |x−y|^2"], w), (shown, w)

    _wait_until(server_caught_up)


def test_deep_link_with_order_inf_and_level(page):
    _open(page, "?n=32&order=inf&s=0.25")
    expect(page.locator("table.od-readouts")).to_contain_text("W∞ (quantile formula, exact)")
    page.wait_for_function(
        "() => Bokeh.documents[0].get_model_by_name('od_lvl').data.s[0] === 0.25"
    )
    expect(page.get_by_text("Level s = 0.250")).to_be_visible()
    shown = _shown(page)
    assert shown["W∞ (quantile formula, exact)"] == shown["W∞ from LPs (bottleneck, 2 solves)"]
    gap = page.source("od_inf_gap")
    assert abs(gap["y1"][0] - gap["y0"][0]) == pytest.approx(
        float(shown["W∞ = largest quantile gap"]), abs=1e-6
    )


def test_hover_sets_the_level_and_the_server_reads_it_out(page):
    _open(page, "?n=32")
    px, py = page.pixel("od_cdf_fig", 0.5, 0.8)
    page.mouse.move(px, py)
    page.wait_for_function(
        "() => Math.abs(Bokeh.documents[0].get_model_by_name('od_lvl').data.s[0] - 0.8) < 0.01"
    )
    lvl = page.source("od_lvl")
    p, q = _bars(page)
    x = np.array(page.source("od_p")["x"])
    s = lvl["s"][0]
    assert tuple(lvl["x"]) == pytest.approx(plots.level_marks(x, p, q, s))
    expect(page.get_by_text(f"Level s = {s:.3f}")).to_be_visible()
    # on the quantile figure the pointer's x is the level
    px, py = page.pixel("od_quantile_fig", 0.3, 0.5)
    page.mouse.move(px, py)
    expect(page.get_by_text("Level s = 0.3")).to_be_visible()


def test_keyboard_moves_the_level_and_changes_the_order(page):
    _open(page, "?n=32&s=0.5")
    page.evaluate(
        """() => { for (const v of Bokeh.index.all_views())
             if (v.model.name === 'od_level_slider')
               v.el.shadowRoot.querySelector('.noUi-handle').focus(); }"""
    )
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('od_lvl').data.s[0] > 0.5")
    s = page.source("od_lvl")["s"][0]
    expect(page.get_by_text(f"Level s = {s:.3f}")).to_be_visible()
    # the order select, by keyboard
    select = page.get_by_label("Order p of W_p")
    select.focus()
    select.select_option(label="∞")
    expect(page.locator("table.od-readouts")).to_contain_text("W∞ (quantile formula, exact)")


def test_new_bars_from_the_server_are_redrawn_in_the_browser(page):
    _open(page, "?n=32")
    before = page.source("od_cdf")["F"]
    page.get_by_label("Preset").select_option("split atom")
    page.wait_for_function(
        f"() => JSON.stringify(({page.source_js})('od_cdf').F) !== {before!r}".replace("'", '"'),
        timeout=10_000,
    )

    def redrawn():
        _drawing_matches_the_bars(page)
        p, _ = _bars(page)
        assert np.count_nonzero(p) == 1  # the split atom's source: one bar

    _wait_until(redrawn)


def test_a_tap_on_a_phone_sets_the_level(open_watched_page):
    phone = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
    with open_watched_page(**phone) as page:
        _open(page, "?n=32")
        page.evaluate(
            """() => { for (const v of Bokeh.index.all_views())
                 if (v.model.name === 'od_quantile_fig') v.el.scrollIntoView(); }"""
        )
        px, py = page.pixel("od_quantile_fig", 0.8, 0.5)
        page.touchscreen.tap(px, py)
        page.wait_for_function(
            "() => Math.abs(Bokeh.documents[0].get_model_by_name('od_lvl').data.s[0] - 0.8) < 0.01"
        )
        expect(page.get_by_text("Level s = 0.8")).to_be_visible()
