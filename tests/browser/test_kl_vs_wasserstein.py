"""The KL-versus-Wasserstein page in Chromium: drag the bump, deep links, embed, keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ot_engine import shift_family as sf
from pages.kl_vs_wasserstein import format_value

pytestmark = pytest.mark.browser

PATH = "/kl_vs_wasserstein"

#: Data coordinates of a named Bokeh plot -> page pixels (its frame's scales + canvas offset).

#: The sliding bump's current centre, read from its data source in the browser.
BUMP_SHIFT = """() => {
  for (const doc of Bokeh.documents) {
    for (const m of doc.all_models) {
      const d = m.data;
      if (d && d.x0 && d.x && d.x.length) {
        const c = Math.floor(d.x.length / 2);  // the centre (the ends may be clamped)
        return d.x[c] - d.x0[c];
      }
    }
  }
  return null;
}"""


def readout(page, key: str) -> str:
    return page.locator(f"table.kvw-readouts tr[data-key='{key}'] .kvw-value").inner_text()


def open_page(page, query: str = "") -> None:
    page.goto(page.base + PATH + query)
    page.wait_for_bokeh()
    page.locator("table.kvw-readouts").wait_for()
    page.wait_for_plot("kvw_top")


def test_dragging_the_bump_moves_it_and_updates_readouts(page):
    open_page(page)
    assert readout(page, "kl_pq") != "∞"  # default: q covers p, KL finite
    x0, y0 = page.pixel("kvw_top", 0.4, 0.15)
    x1, _ = page.pixel("kvw_top", 4.0, 0.15)
    page.mouse.move(x0, y0)
    page.mouse.down()
    steps = 12
    for i in range(1, steps + 1):
        page.mouse.move(x0 + (x1 - x0) * i / steps, y0)
    page.mouse.up()
    # The bump followed the pointer in the browser, and the server answered with readouts.
    assert page.evaluate(BUMP_SHIFT) == pytest.approx(4.0, abs=0.05)
    # The URL follows the server's answers; earlier answers (mid-drag positions) may be there
    # first, so wait for the final one.
    page.wait_for_function(
        "() => Math.abs(Number(new URL(location.href).searchParams.get('shift')) - 4) < 0.05"
    )
    shift = float(page.evaluate("() => new URL(location.href).searchParams.get('shift')"))
    values, _ = sf.divergences_at("tent", 0.8, shift)
    w1 = page.locator("table.kvw-readouts tr[data-key='w1'] .kvw-value")
    w1.filter(has_text=format_value(values["w1"])).wait_for()
    # Supports are apart now: both KL directions read ∞, JS reads log 2.
    assert readout(page, "kl_pq") == "∞"
    assert readout(page, "kl_qp") == "∞"
    assert readout(page, "js") == "0.6931"
    assert readout(page, "tv") == "1.0000"


def test_deep_link_restores_the_state(page):
    open_page(page, "?shift=-2.5&width=0.3&shape=box&floor=1e-06")
    values, _ = sf.divergences_at("box", 0.3, -2.5, 1e-6)
    assert readout(page, "w1") == format_value(values["w1"])
    assert readout(page, "kl_pq") == format_value(values["kl_pq"])  # finite: a floor is set
    assert page.evaluate(BUMP_SHIFT) == pytest.approx(-2.5, abs=1e-6)
    assert page.get_by_text("Ignored the link").count() == 0


def test_bad_link_values_fall_back_with_a_notice(page):
    open_page(page, "?width=0&shape=%3Cb%3Ex%3C%2Fb%3E&shift=nan")
    page.get_by_text("Ignored the link's 'width'").wait_for()
    values, _ = sf.divergences_at("tent", 0.8, 0.4)
    assert readout(page, "w1") == format_value(values["w1"])
    assert page.locator("b", has_text="x").count() == 0  # never rendered as HTML


def test_embed_shows_figure_and_controls_only(page):
    open_page(page, "?embed=1")
    assert page.get_by_text("What the figure shows").count() == 0
    expect(page.locator("table.kvw-readouts")).to_have_count(1)


def test_keyboard_moves_the_bump(page):
    open_page(page)
    handle = page.locator(".noUi-handle").first
    handle.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => Math.abs(({BUMP_SHIFT})() - 0.4) > 0.02")
    assert page.evaluate(BUMP_SHIFT) > 0.4


#: The current-shift markers as the browser holds them (x, y, dy per divergence).
MARKERS = """() => {
  for (const doc of Bokeh.documents) {
    const m = doc.get_model_by_name("kvw_markers");
    if (m) return {x: Array.from(m.data.x), y: Array.from(m.data.y), dy: Array.from(m.data.dy)};
  }
  return null;
}"""


def test_markers_follow_the_drag_on_the_drawn_curves(page):
    open_page(page, "?shift=-1&shape=tent&width=0.8")
    x0, y0 = page.pixel("kvw_top", -1.0, 0.15)
    x1, _ = page.pixel("kvw_top", 2.0, 0.15)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 9):
        page.mouse.move(x0 + (x1 - x0) * i / 8, y0)
    # Still held: the markers moved in the browser with the bump, before any release.
    shift = page.evaluate(BUMP_SHIFT)
    marks = page.evaluate(MARKERS)
    page.mouse.up()
    assert shift == pytest.approx(2.0, abs=0.05)
    assert marks["x"] == pytest.approx([shift] * len(sf.DIVERGENCES), abs=1e-9)
    values, slopes = sf.divergences_at("tent", 0.8, shift)
    shown = dict(zip(sf.DIVERGENCES, marks["y"], strict=True))
    # On the curve as drawn: straight between samples 0.02 apart. W1, W2, JS, TV and
    # Hellinger are smooth here, so that is within 1e-3 of the exact value (curvature
    # * 0.02^2 / 8, plus float32 rounding).
    for key in ("js", "tv", "hellinger", "w1", "w2"):
        assert shown[key] == pytest.approx(values[key], abs=1e-3)
    slope_w1 = dict(zip(sf.DIVERGENCES, marks["dy"], strict=True))["w1"]
    assert slope_w1 == pytest.approx(slopes["w1"], abs=1e-3)


#: Names of the plots whose axis/legend re-measure is held (count of views so patched).
HELD_PLOTS = """() => {
  let held = 0;
  const walk = (v) => {
    if (!v) return;
    if (Object.prototype.hasOwnProperty.call(v, "_kvw_measure")) held += 1;
    for (const c of (v.child_views ?? [])) walk(c);
  };
  for (const v of Object.values(Bokeh.index)) walk(v);
  return held;
}"""


def test_text_measures_are_held_only_while_dragging(page):
    open_page(page, "?shift=-1")
    assert page.evaluate(HELD_PLOTS) == 0
    x0, y0 = page.pixel("kvw_top", -1.0, 0.15)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 5):
        page.mouse.move(x0 + 10 * i, y0)
    # All eight plots (top, critic, six curve panels).
    assert page.evaluate(HELD_PLOTS) == 8
    page.mouse.up()
    page.wait_for_function(f"() => ({HELD_PLOTS})() === 0")
