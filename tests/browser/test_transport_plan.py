"""/transport_plan in headless Chromium: drag, keyboard, hover, deep link (offline, no errors)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

READY = (
    "() => window.Bokeh && Bokeh.documents.length > 0 && "
    "Bokeh.documents[0].get_model_by_name('tp_answer') != null && "
    "[...Bokeh.index.all_views()].some(v => v.model.name === 'tp_p_fig')"
)
# Page pixel of data point (x, y) in a named figure, from Bokeh's own frame scales.
PIXEL = """
([name, x, y]) => {
  for (const v of Bokeh.index.all_views()) {
    if (v.model.name === name) {
      const r = v.el.getBoundingClientRect();
      return [r.left + v.frame.x_scale.compute(x), r.top + v.frame.y_scale.compute(y)];
    }
  }
  return null;
}
"""
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


def test_mouse_drag_changes_the_histogram_on_the_server_and_the_plan(page):
    _open(page, "?n=32&eps=0.01&cost=2")
    before_readouts = _readouts(page)
    before_image = page.evaluate(IMAGE)
    seq = page.evaluate(ANSWERS)
    # Drag across bars 26..30 of p (x = 0.83..0.95, empty in the default preset) up to 0.8.
    x0, y0 = page.evaluate(PIXEL, ["tp_p_fig", 0.83, 0.1])
    x1, y1 = page.evaluate(PIXEL, ["tp_p_fig", 0.95, 0.8])
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


def test_keyboard_changes_a_bar(page):
    _open(page, "?n=16&eps=0.05")
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


def test_hover_a_cell_names_the_bars_and_the_amount(page):
    _open(page, "?n=16&eps=0.05")
    x, y = page.evaluate(PIXEL, ["tp_heat", 0.72, 0.3])  # near the default plan's peak
    page.mouse.move(x, y)
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('tp_probe').data.i[0] === 4")
    page.get_by_text("π[4, 11]").wait_for()
    marked = page.evaluate(
        """() => { const m = Bokeh.documents[0].all_models;
                   return [...m].filter(x => x.type === 'ColumnDataSource' && x.data.top
                     && x.data.top.length === 1).length; }"""
    )
    assert marked == 2  # one source bar and one target bar lit


def test_slider_drag_recomputes_through_flow_control(page):
    _open(page, "?n=32&eps=0.001")
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


def test_mouse_click_leaves_no_focus_outline(page):
    _open(page, "?n=16&eps=0.05")
    x, y = page.evaluate(PIXEL, ["tp_p_fig", 0.5, 0.2])
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
