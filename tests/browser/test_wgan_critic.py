"""The WGAN critic page in Chromium: drag the fake cloud, keyboard, deep link, training.

Every wait is for a condition (a readout's text, the URL); nothing is timed. Console errors
fail every test (the ``page`` fixture).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pages import wgan_critic as wc

pytestmark = pytest.mark.browser

PATH = "/wgan_critic"

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


def cell(page, key: str):
    return page.locator(f"table.wgan-readouts tr[data-key='{key}'] .wgan-value")


def open_page(page, query: str = "") -> None:
    page.goto(page.base + PATH + query)
    page.wait_for_bokeh()
    page.locator("table.wgan-readouts").wait_for()
    page.wait_for_function(f"(name) => ({TO_PIXELS})([name, 0, 0]) !== null", arg="wgan_handle")


def expected(**query) -> dict[str, str]:
    view = wc.WganCriticPage(wc.WganModel(**query), embed=False)
    return {row[0]: row[3] for row in view.readouts.rows}


#: The fake cloud as drawn in the browser (the critic figure's copy, the one that follows the
#: handle): its centre (the generator's base cloud is centred, so the mean of the fake points
#: is the offset) and the handle's position.
DRAWN = """() => {
  const doc = Bokeh.documents[0];
  const handle = doc.get_model_by_name("wgan_handle_points");
  const drawn = doc.get_model_by_name("wgan_drawn");
  const fake = doc.get_model_by_name("wgan_fake");
  const mean = (a) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
  return {cloud: [mean(fake.data.x), mean(fake.data.y)],
          handle: [handle.data.x[0], handle.data.y[0]],
          server: [drawn.data.x[0], drawn.data.y[0]]};
}"""


def test_dragging_the_fake_cloud_recomputes_and_keeps_the_link(page):
    open_page(page)
    # the trained critic arrives from the background worker
    expect(cell(page, "gp")).to_have_text(expected()["gp"], timeout=30_000)
    # the browser alone moves the cloud: a move of the handle that reaches no server (an edit
    # in place) moves the drawn cloud within the same task, and moving back restores it
    moved = page.evaluate(
        """async () => {
          const handle = Bokeh.documents[0].get_model_by_name("wgan_handle_points");
          const step = async (dx) => {
            handle.data.x[0] += dx;
            handle.change.emit();
            await Promise.resolve();  // the translation runs once the task's changes are in
            return ("""
        + DRAWN
        + """)();
          };
          return [await step(0.5), await step(-0.5)];
        }"""
    )
    for d, x in zip(moved, (2.0, 1.5), strict=True):
        assert d["cloud"] == pytest.approx([x, 0.5], abs=1e-3) and d["server"] == [1.5, 0.5]
    a = page.evaluate(TO_PIXELS, ["wgan_handle", 1.5, 0.5])
    b = page.evaluate(TO_PIXELS, ["wgan_handle", 3.0, -1.0])
    page.mouse.move(*a)
    page.mouse.down()
    for i in range(1, 13):
        page.mouse.move(a[0] + (b[0] - a[0]) * i / 12, a[1] + (b[1] - a[1]) * i / 12)
        page.wait_for_timeout(16)  # one sync per frame, like a hand
    # still held: the cloud is drawn where the handle is (moved in the browser), whatever the
    # server has answered so far
    page.wait_for_function(
        "() => { const d = (" + DRAWN + ")(); return d.handle[0] > 2.9 && "
        "Math.hypot(d.cloud[0] - d.handle[0], d.cloud[1] - d.handle[1]) < 1e-3; }"
    )
    page.mouse.up()
    page.wait_for_function("() => (new URL(location.href).searchParams.get('offset') || '') !== ''")
    offset = page.evaluate("() => new URL(location.href).searchParams.get('offset')")
    x, y = (float(v) for v in offset.split(","))
    assert (x, y) == pytest.approx((3.0, -1.0), abs=0.1)
    want = expected(offset=(x, y))
    # released: the server drew the cloud at the final offset, and the browser's matches it
    page.wait_for_function(
        "([x, y]) => { const d = (" + DRAWN + ")(); return d.server[0] === x && "
        "d.server[1] === y && Math.hypot(d.cloud[0] - x, d.cloud[1] - y) < 1e-3; }",
        arg=[x, y],
    )
    expect(cell(page, "w1")).to_have_text(want["w1"])
    expect(cell(page, "gjs")).to_have_text(want["gjs"])
    # training for the new position runs in the background, then shows its estimate
    expect(cell(page, "gp")).to_have_text(want["gp"], timeout=30_000)


def test_keyboard_moves_the_fake_cloud(page):
    open_page(page, "?offset=1,0")
    slider = page.locator(".noUi-handle").first
    slider.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => new URL(location.href).searchParams.get('offset') === '1.5,0'")
    expect(cell(page, "w1")).to_have_text(expected(offset=(1.5, 0.0))["w1"])


def test_deep_link_restores_the_view_and_bad_values_get_a_notice(page):
    open_page(page, "?preset=ring&offset=3.2,-2&h=0.5&lam=1&seed=4&x=%ff")
    want = expected(preset="ring", offset=(3.2, -2.0), h=0.5, lam=1.0, seed=4)
    for key in ("w1", "gw1", "gjs", "dfake"):
        expect(cell(page, key)).to_have_text(want[key])
    expect(cell(page, "gp")).to_have_text(want["gp"], timeout=30_000)
    open_page(page, "?offset=nan,1&lam=3&h=%ff")
    page.get_by_text("Ignored the link's 'offset'").wait_for()
    expect(cell(page, "w1")).to_have_text(expected()["w1"])
