"""The sliced page in Chromium: drag a point, tap a line, keyboard, deep links, embed.

Every wait is for a condition (a readout's text, the URL); nothing is timed.
"""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

from pages import sliced as sl

pytestmark = pytest.mark.browser

PATH = "/sliced"

#: Data coordinates of a named Bokeh plot -> page pixels (its frame's scales + canvas offset).
#: The points and the direction lines as the browser holds them.
DRAWN = """() => {
  const doc = Bokeh.documents[0];
  const p = doc.get_model_by_name("sliced_clouds_points").data;
  const l = doc.get_model_by_name("sliced_lines").data;
  return {x: Array.from(p.x), y: Array.from(p.y), group: Array.from(p.group),
          cx: l.cx[0], cy: l.cy[0], tx: Array.from(l.tx), ty: Array.from(l.ty)};
}"""


def readout(page, key: str) -> str:
    return page.locator(f"table.sliced-readouts tr[data-key='{key}'] .sliced-value").inner_text()


def open_page(page, query: str = "") -> None:
    page.goto(page.base + PATH + query)
    page.wait_for_bokeh()
    page.locator("table.sliced-readouts").wait_for()
    page.wait_for_plot("sliced_clouds")


def expected(query: dict, X=None, Y=None) -> dict[str, str]:
    """The readouts of a page built in this process for the same view."""
    view = sl.SlicedPage(sl.SlicedModel(**query), embed=False)
    if X is not None:
        xy = np.vstack([X, Y])
        view._on_points(xy, np.r_[np.zeros(len(X), int), np.ones(len(Y), int)], True)
    return {row[0]: row[3] for row in view.readouts.rows}


def test_dragging_a_point_recomputes_the_readouts(page):
    open_page(page)
    start = readout(page, "w2")
    drawn = page.evaluate(DRAWN)
    x0, y0 = drawn["x"][0], drawn["y"][0]
    a = page.pixel("sliced_clouds", x0, y0)
    b = page.pixel("sliced_clouds", 1.5, 1.5)
    page.mouse.move(*a)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(a[0] + (b[0] - a[0]) * i / 10, a[1] + (b[1] - a[1]) * i / 10)
    page.mouse.up()
    drawn = page.evaluate(DRAWN)
    assert drawn["x"][0] == pytest.approx(1.5, abs=0.05)
    assert drawn["y"][0] == pytest.approx(1.5, abs=0.05)
    xy = np.column_stack([drawn["x"], drawn["y"]])
    g = np.array([int(v) for v in drawn["group"]])
    want = expected({}, xy[g == 0], xy[g == 1])
    cell = page.locator("table.sliced-readouts tr[data-key='w2'] .sliced-value")
    expect(cell).to_have_text(want["w2"])
    assert want["w2"] != start
    expect(page.locator("table.sliced-readouts tr[data-key='sw'] .sliced-value")).to_have_text(
        want["sw"]
    )
    # The link keeps the dragged points (on release): reloading it shows the same view.
    page.wait_for_function(
        "() => { const p = (new URL(location.href).searchParams.get('pts') || '').split(',');"
        " return p.length === 96 && Math.abs(p[0] - 1.5) < 0.05 && Math.abs(p[1] - 1.5) < 0.05; }"
    )
    pts = page.evaluate("() => new URL(location.href).searchParams.get('pts').split(',')")
    open_page(page, page.evaluate("() => location.search"))
    expect(cell).to_have_text(want["w2"])
    drawn = page.evaluate(DRAWN)
    assert (drawn["x"][0], drawn["y"][0]) == pytest.approx((float(pts[0]), float(pts[1])))


def test_tapping_a_line_picks_its_direction(page):
    open_page(page, "?n_proj=8&seed=3")
    drawn = page.evaluate(DRAWN)
    k = 5  # 0-based: the sixth line
    r = 1.6
    x = drawn["cx"] + r * drawn["tx"][k]
    y = drawn["cy"] + r * drawn["ty"][k]
    page.mouse.click(*page.pixel("sliced_clouds", x, y))
    page.wait_for_function("() => new URL(location.href).searchParams.get('dir') === '6'")
    expect(page.locator("table.sliced-readouts tr[data-key='picked']")).to_contain_text("line 6")


def test_keyboard_picks_the_next_direction(page):
    open_page(page, "?n_proj=30")
    handle = page.get_by_role("slider", name="picked direction k")
    if handle.count() == 0:  # Panel's sliders: the noUi handle carries the role
        handle = page.locator(".noUi-handle").nth(1)
    handle.first.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => new URL(location.href).searchParams.get('dir') === '4'")
    expect(page.locator("table.sliced-readouts tr[data-key='picked']")).to_contain_text("line 4")


def test_deep_link_restores_the_view(page):
    query = {"cloud": "ring", "n_proj": 200, "seed": 5, "direction": 7, "dim": 50}
    open_page(page, "?cloud=ring&n_proj=200&seed=5&dir=7&dim=50")
    want = expected(query)
    for key in ("sw", "w2", "max", "picked"):
        expect(
            page.locator(f"table.sliced-readouts tr[data-key='{key}'] .sliced-value")
        ).to_have_text(want[key])
    dim = page.locator("table.sliced-dim-readouts tr[data-key='d'] .sliced-dim-value")
    expect(dim).to_have_text("50")
    assert page.get_by_text("Ignored the link").count() == 0


def test_bad_link_values_fall_back_with_a_notice(page):
    open_page(page, "?n_proj=abc&cloud=%3Cb%3Ex%3C%2Fb%3E&seed=%ff&dim=1e9")
    page.get_by_text("Ignored the link's 'n_proj'").wait_for()
    want = expected({})
    expect(page.locator("table.sliced-readouts tr[data-key='sw'] .sliced-value")).to_have_text(
        want["sw"]
    )
    assert page.locator("b", has_text="x").count() == 0  # never rendered as HTML


def test_embed_shows_figure_and_controls_only(page):
    open_page(page, "?embed=1")
    assert page.get_by_text("Transport on a line is a sort").count() == 0
    expect(page.locator("table.sliced-readouts")).to_have_count(1)
