"""/persistence_diagrams in Chromium: a real drag, the keyboard, a deep link, embed.

Every wait is for a condition (a readout's text, the URL); nothing is timed. The fixture fails
a test on any console error.
"""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

import pages.persistence_diagrams as pd
from pages import query

pytestmark = pytest.mark.browser

PATH = "/persistence_diagrams"

DRAWN = """() => {
  const p = Bokeh.documents[0].get_model_by_name("pd_diagram_points").data;
  return {x: Array.from(p.x), y: Array.from(p.y), group: Array.from(p.group)};
}"""


def cell(page, key: str):
    return page.locator(f"table.pd-readouts tr[data-key='{key}'] .pd-value")


def open_page(page, q: str = "") -> None:
    page.goto(page.base + PATH + q)
    page.wait_for_bokeh()
    page.locator("table.pd-readouts").wait_for()
    page.wait_for_plot("pd_diagram")


def expected(view: dict, xy=None, groups=None) -> dict[str, str]:
    """The readouts of a page built in this process for the same view (and points)."""
    model = pd.DiagramsModel()
    values, _ = query.parse_query(view, pd.QUERY_KEYS)
    query.apply_values(model, values)
    pd.PersistencePage.link_notices(model, view)
    built = pd.PersistencePage(model, embed=False)
    if xy is not None:
        built._on_points(np.asarray(xy, float), np.asarray(groups, int), True)
    return {row[0]: row[3] for row in built.readouts.rows}


def settled_pixel(page, x: float, y: float):
    """The plot's pixel of (x, y) once the page's layout holds still (a reflow while the
    page settles, e.g. a late scroll bar or typeset prose, moves the plot under the mouse)."""
    last = None
    for _ in range(40):
        now = page.pixel("pd_diagram", x, y)
        if now == last:
            return now
        last = now
        page.wait_for_timeout(100)
    return last


def test_dragging_a_point_recomputes_the_matching(page):
    open_page(page, "?preset=custom")
    start = cell(page, "wp").inner_text()
    drawn = page.evaluate(DRAWN)
    k = 5  # D2's third point (0.2, 0.25), near the diagonal
    a = settled_pixel(page, drawn["x"][k], drawn["y"][k])
    b = settled_pixel(page, 0.3, 0.9)
    page.mouse.move(*a)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(a[0] + (b[0] - a[0]) * i / 10, a[1] + (b[1] - a[1]) * i / 10)
        page.evaluate("() => new Promise(requestAnimationFrame)")
    page.mouse.up()
    page.wait_for_function(
        "() => (new URL(location.href).searchParams.get('d2') || '').split(',').length === 3"
        " && !(new URL(location.href).searchParams.get('d2')).includes('0.2:0.25')"
    )
    drawn = page.evaluate(DRAWN)
    assert drawn["x"][k] == pytest.approx(0.3, abs=0.05)
    assert drawn["y"][k] == pytest.approx(0.9, abs=0.05)
    xy = np.column_stack([drawn["x"], drawn["y"]])
    want = expected({"preset": "custom"}, xy, [int(g) for g in drawn["group"]])
    expect(cell(page, "wp")).to_have_text(want["wp"])
    expect(cell(page, "bottleneck")).to_have_text(want["bottleneck"])
    assert want["wp"] != start


def test_keyboard_moves_and_adds_points(page):
    open_page(page, "?preset=custom&order=inf")
    plot = page.locator("[aria-roledescription='draggable points']")
    plot.focus()
    page.keyboard.press("Home")  # picks the first point: D1's (0.1, 0.6)
    for _ in range(5):
        page.keyboard.press("ArrowUp")  # 5 x 0.01 up
    page.wait_for_function(
        "() => (new URL(location.href).searchParams.get('d1') || '').startsWith('0.1:0.65')"
    )
    d1 = [[0.1, 0.65], [0.3, 0.5], [0.5, 0.9]]
    want = expected({"d1": pd.format_diagram(d1), "d2": pd.format_diagram(pd.CUSTOM_D2)})
    expect(cell(page, "bottleneck")).to_have_text(want["bottleneck"])
    page.keyboard.press("Insert")  # a new D1 point, on the diagonal at (0.5, 0.5)
    expect(cell(page, "points")).to_have_text("4 | 3")


def test_deep_link_and_bad_values(page):
    open_page(page, "?preset=ripples&delta=0.08&seed=3&order=1&d1=0.5:0.1")
    page.get_by_text("Ignored the link's 'd1'").wait_for()
    want = expected({"preset": "ripples", "delta": "0.08", "seed": "3", "order": "1"})
    for key in ("wp", "bottleneck", "sup", "bound"):
        expect(cell(page, key)).to_have_text(want[key])


def test_embed_shows_figure_and_controls_only(page):
    open_page(page, "?embed=1&order=inf")
    assert page.get_by_text("Shapes summarized as points").count() == 0
    expect(page.locator("table.pd-readouts")).to_have_count(1)
    expect(cell(page, "wp")).to_have_text(expected({"order": "inf"})["wp"])


def test_tap_picks_and_the_buttons_remove_and_add(page):
    open_page(page, "?preset=custom")
    drawn = page.evaluate(DRAWN)
    page.mouse.click(*page.pixel("pd_diagram", drawn["x"][1], drawn["y"][1]))
    page.get_by_role("button", name="Remove picked point").click()
    expect(cell(page, "points")).to_have_text("2 | 3")
    page.wait_for_function(
        "() => new URL(location.href).searchParams.get('d1') === '0.1:0.6,0.5:0.9'"
    )
    page.get_by_role("button", name="Add a point to D2").click()
    expect(cell(page, "points")).to_have_text("2 | 4")
