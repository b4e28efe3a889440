"""/barycenters in Chromium: drag the weight point, the keyboard, deep links (the grid solve in
the background, the Gaussians), a hostile link. Every check waits for its condition.
"""

from __future__ import annotations

import functools
import re
import time

import pytest
from playwright.sync_api import expect

from pages import barycenters as bc
from pages.barycenters_plots import point_from_weights

pytestmark = pytest.mark.browser

PATH = "/barycenters"

#: Data coordinates of a named Bokeh plot -> page pixels (its frame's scales + canvas offset).


def cell(page, key: str):
    return page.locator(f"table.bary-readouts tr[data-key='{key}'] .bary-value")


def open_page(page, query: str = "", first: str = "bary") -> None:
    page.goto(page.base + PATH + query)
    page.wait_for_bokeh()
    expect(cell(page, first)).to_have_text(re.compile(r"\d"), timeout=60_000)
    page.wait_for_plot("bary_weights")


def url_weights(page) -> list[float]:
    raw = page.evaluate("() => new URL(location.href).searchParams.get('w') || ''")
    return [float(v) for v in raw.split(",") if v]


def expected(**values) -> dict[str, str]:
    view = bc.BarycenterPage(bc.BarycenterModel(**values), embed=False)
    return {row[0]: row[3] for row in view.readouts.rows}


@functools.lru_cache(maxsize=64)
def _bary_for(w: tuple) -> str:
    return expected(w=w)["bary"]


def test_dragging_the_weight_point_recomputes_the_barycenter(page):
    open_page(page)
    start = cell(page, "bary").inner_text()
    a = page.pixel("bary_weights", 0.5, point_from_weights(bc.DEFAULT_W)[1])
    # past the corner of mu2: the browser clamps the point to (1, 0), all weight on mu2
    b = page.pixel("bary_weights", 1.05, -0.05)
    page.mouse.move(*a)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(a[0] + (b[0] - a[0]) * i / 10, a[1] + (b[1] - a[1]) * i / 10)
    page.mouse.up()
    page.wait_for_function("() => new URL(location.href).searchParams.get('w') === '0,1,0'")
    want = expected(w=(0.0, 1.0, 0.0))
    expect(cell(page, "bary")).to_have_text(want["bary"])
    assert want["bary"] != start
    expect(page.get_by_text("weights: μ₁ 0.000, μ₂ 1.000, μ₃ 0.000")).to_be_visible()


def test_keyboard_moves_the_weight_point(page):
    open_page(page)
    before = url_weights(page)
    page.get_by_role("group", name=re.compile("Weights of the three measures")).focus()
    for _ in range(2):  # Shift: ten steps at a time
        page.keyboard.press("Shift+ArrowRight")
    page.wait_for_function(
        "(w1) => Number((new URL(location.href).searchParams.get('w') || '0,0').split(',')[1])"
        " > w1 + 0.1",
        arg=before[1] if before else 0.333,
    )
    # the readout settles on the value for the weights the link ends with
    deadline = time.monotonic() + 60
    while True:
        w = tuple(url_weights(page))
        want = _bary_for(w)
        if cell(page, "bary").inner_text() == want and tuple(url_weights(page)) == w:
            break
        assert time.monotonic() < deadline, (w, want, cell(page, "bary").inner_text())
        page.wait_for_timeout(200)


def test_grid_deep_link_solves_in_the_background(page):
    query = {"view": "grid", "shapes": "bar_cross_l", "w": (0.6, 0.3, 0.1), "reg": 0.008}
    open_page(page, "?view=grid&shapes=bar_cross_l&w=0.6,0.3,0.1&reg=0.008", first="gcom")
    want = expected(**query)
    expect(cell(page, "gcom")).to_have_text(want["gcom"])
    expect(cell(page, "gconv")).to_have_text("yes")


def test_gauss_deep_link_and_hostile_values(page):
    open_page(page, "?view=gauss&gauss=apart&w=2,1,1&reg=%00nan", first="gobj")
    want = expected(view="gauss", gauss="apart", w=(0.5, 0.25, 0.25))
    expect(cell(page, "gobj")).to_have_text(want["gobj"])
    expect(page.get_by_text("rescaled to sum to one")).to_be_visible()
    expect(page.get_by_text("Ignored the link's 'reg'")).to_be_visible()


def test_four_measures_link_and_the_keyboard_on_a_weight_slider(page):
    page.goto(page.base + PATH + "?view=gauss&gauss=apart&k=4&w4=0.1,0.2,0.3,0.4")
    page.wait_for_bokeh()
    want = expected(view="gauss", gauss="apart", k=4, w4=(0.1, 0.2, 0.3, 0.4))
    expect(cell(page, "gobj")).to_have_text(want["gobj"], timeout=60_000)
    expect(page.get_by_text("weights: μ₁ 0.100, μ₂ 0.200, μ₃ 0.300, μ₄ 0.400")).to_be_visible()
    handle = page.get_by_role("slider").nth(3)  # the weight of mu4 (the page's only sliders)
    handle.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => Number((new URL(location.href).searchParams.get('w4') || '0,0,0,0')"
        ".split(',')[3]) > 0.401"
    )
    deadline = time.monotonic() + 60
    while True:  # the readout settles on the weights the link ends with
        raw = page.evaluate("() => new URL(location.href).searchParams.get('w4')")
        w4 = tuple(float(v) for v in raw.split(","))
        want = expected(view="gauss", gauss="apart", k=4, w4=w4)["gobj"]
        if cell(page, "gobj").inner_text() == want:
            break
        assert time.monotonic() < deadline, (w4, want, cell(page, "gobj").inner_text())
        page.wait_for_timeout(200)
    assert abs(sum(w4) - 1) < 1e-9
