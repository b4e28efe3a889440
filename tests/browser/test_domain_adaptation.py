"""The domain adaptation page in Chromium: drag a sample, keyboard, deep link, embed.

Every wait is for a condition (a readout's text, the URL); nothing is timed.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from pages import domain_adaptation as da

pytestmark = pytest.mark.browser

PATH = "/domain_adaptation"

#: Data coordinates of a named Bokeh plot -> page pixels (its frame's scales + canvas offset).
TO_PIXELS = """([name, x, y]) => {
  let found = null;
  const walk = (v) => {
    if (!v || found) return;
    if (v.model && v.model.name === name) { found = v; return; }
    for (const c of (v.child_views ?? [])) walk(c);
  };
  for (const v of Object.values(Bokeh.index)) walk(v);
  if (!found) return null;
  const r = found.canvas_view.el.getBoundingClientRect();
  return [r.left + found.frame.x_scale.compute(x), r.top + found.frame.y_scale.compute(y)];
}"""
DRAWN = """() => {
  const p = Bokeh.documents[0].get_model_by_name("da_points_points").data;
  return {x: Array.from(p.x), y: Array.from(p.y), group: Array.from(p.group)};
}"""


def cell(page, key: str):
    return page.locator(f"table.da-readouts tr[data-key='{key}'] .da-value")


def open_page(page, query: str = "") -> None:
    page.goto(page.base + PATH + query)
    page.wait_for_bokeh()
    page.locator("table.da-readouts").wait_for()
    page.wait_for_function(f"(name) => ({TO_PIXELS})([name, 0, 0]) !== null", arg="da_points")


def expected(query: dict, xy=None, groups=None) -> dict[str, str]:
    """The readouts of a page built in this process for the same view."""
    view = da.DomainAdaptationPage(da.DomainModel(**query), embed=False)
    if xy is not None:
        view._on_points(np.asarray(xy), np.asarray(groups), True)
    return {row[0]: row[3] for row in view.readouts.rows}


def drawn_points(page):
    d = page.evaluate(DRAWN)
    return np.column_stack([d["x"], d["y"]]), np.array([int(g) for g in d["group"]])


def test_dragging_a_sample_recomputes_the_readouts_and_the_link(page):
    open_page(page)
    start = cell(page, "w2_before").inner_text()
    xy, g = drawn_points(page)
    k = int(np.flatnonzero(g == 2)[0])  # a target sample of class A
    a = page.evaluate(TO_PIXELS, ["da_points", *xy[k]])
    b = page.evaluate(TO_PIXELS, ["da_points", -2.5, 2.5])
    page.mouse.move(*a)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(a[0] + (b[0] - a[0]) * i / 10, a[1] + (b[1] - a[1]) * i / 10)
    page.mouse.up()
    page.wait_for_function(
        "() => (new URL(location.href).searchParams.get('pts') || '').length > 0"
    )
    xy, g = drawn_points(page)
    assert tuple(xy[k]) == pytest.approx((-2.5, 2.5), abs=0.06)
    want = expected({}, xy, g)
    expect(cell(page, "w2_before")).to_have_text(want["w2_before"])
    assert want["w2_before"] != start
    for key in ("acc_before", "acc_class", "cost"):
        expect(cell(page, key)).to_have_text(want[key])
    # Reloading the link shows the same view.
    open_page(page, page.evaluate("() => location.search"))
    expect(cell(page, "w2_before")).to_have_text(want["w2_before"])


def test_keyboard_moves_a_sample(page):
    open_page(page, "?n=20&method=exact")
    start = cell(page, "w2_before").inner_text()
    plot = page.locator("[aria-roledescription='draggable points']").first
    plot.focus()  # picks the first sample
    page.get_by_text("source, class A 1 of").first.wait_for(state="attached")
    for _ in range(4):
        page.keyboard.press("Shift+ArrowUp")
    page.wait_for_function(
        "() => (new URL(location.href).searchParams.get('pts') || '').length > 0"
    )
    xy, g = drawn_points(page)
    want = expected({"n": 20, "method": "exact"}, xy, g)
    expect(cell(page, "w2_before")).to_have_text(want["w2_before"])
    assert want["w2_before"] != start


def test_deep_link_restores_the_view(page):
    query = {"preset": "blobs", "angle": -30.0, "scale": 0.6, "method": "entropic", "eps": 0.5}
    open_page(page, "?preset=blobs&angle=-30&scale=0.6&method=entropic&eps=0.5")
    want = expected(query)
    for key in ("acc_before", "acc_exact", "acc_entropic", "w2_after", "cost"):
        expect(cell(page, key)).to_have_text(want[key])
    assert page.get_by_text("Ignored the link").count() == 0


def test_bad_link_and_embed(page):
    page.goto(
        page.base + PATH + "?embed=1&angle=nan&preset=%3Cb%3Ex%3C%2Fb%3E&eps=%ff&pts=0,0,0,1,1,2"
    )
    page.wait_for_bokeh()
    page.get_by_text("Ignored the link's 'angle'").wait_for()
    page.get_by_text("both classes").first.wait_for()
    # the embed leaves the table to the full page, linked with the view's (valid) keys
    link = page.get_by_role("link", name="open the full page")
    expect(link).to_have_attribute(
        "href", re.compile(r"^\./domain_adaptation\?preset=moons&.*angle=40&")
    )
    expect(link).to_have_attribute("target", "_blank")
    expect(page.locator("table.da-readouts")).to_have_count(0)
    assert page.locator("b", has_text="x").count() == 0
    assert page.get_by_text("A classifier trained in one place").count() == 0
