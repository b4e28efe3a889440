"""Every page's ``?embed=1`` in a course page's iframe (README "Putting one figure in a course
page"): at 700 x 600 the figure and all of its controls fit without scrolling; at 1000 px the
figure uses the width instead of leaving a third of the frame empty.

One page load per page: measured at 700 x 600, then the same page resized to 1000 px wide.
(``bench/measure_embeds.py`` prints the same measures for every page, with screenshots.)
"""

from __future__ import annotations

import pytest

from pages import registry

pytestmark = pytest.mark.browser

#: JS: the embed view's layout, every shadow root searched: the document's scroll size, the
#: boxes of the interactive controls (inputs, buttons, selects, sliders, anything focusable,
#: the Bokeh plots a reader drags) and the span of the drawn figure (plots, canvases, images).
LAYOUT = """() => {
  const roots = [document], all = [];
  for (let k = 0; k < roots.length; k++) {
    for (const el of roots[k].querySelectorAll("*")) {
      if (el.shadowRoot) roots.push(el.shadowRoot);
      all.push(el);
    }
  }
  const box = (el) => {
    if (el.getClientRects().length === 0) return null;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || getComputedStyle(el).visibility === "hidden") return null;
    return [r.left + scrollX, r.top + scrollY, r.right + scrollX, r.bottom + scrollY]
      .map(Math.round);
  };
  const CONTROL = 'input:not([type=hidden]), button, select, textarea, [role=slider], ' +
                  '[role=button], [role=radio], [role=checkbox], a[href], ' +
                  '[tabindex]:not([tabindex="-1"])';
  const controls = [], drawn = [];
  for (const el of all) {
    if (!el.matches(CONTROL)) continue;
    const b = box(el);
    const name = (el.getAttribute("aria-label") || el.textContent || "").trim().slice(0, 40);
    if (b) controls.push([el.tagName.toLowerCase() + " " + name, b]);
  }
  for (const v of Bokeh.index.all_views()) {
    if (!(v.canvas_view && v.frame)) continue;
    const b = box(v.el);
    if (b) { drawn.push(b); controls.push(["plot " + (v.model.name || v.model.type), b]); }
  }
  for (const el of all) {
    const own = (el.tagName === "CANVAS" && !el.classList.contains("bk-layer")) ||
                el.tagName === "IMG";
    const b = own ? box(el) : null;
    if (b && b[2] - b[0] > 60) drawn.push(b);
  }
  const de = document.documentElement;
  return {width: de.scrollWidth, height: de.scrollHeight, controls,
          span: drawn.length ? Math.max(...drawn.map((b) => b[2])) -
                               Math.min(...drawn.map((b) => b[0])) : 0,
          plots: drawn.length};
}"""

#: JS: true once the layout measured twice in a row (polls 300 ms apart) is the same: the
#: figures are drawn and nothing is still moving (late fonts, math, a worker's first result).
SETTLED = (
    "() => { const now = JSON.stringify((" + LAYOUT + ")());"
    " const same = window.__otLastLayout === now; window.__otLastLayout = now;"
    " return same && JSON.parse(now).plots > 0; }"
)


def _settled_layout(page) -> dict:
    page.evaluate("() => { window.__otLastLayout = null; }")
    page.wait_for_function(SETTLED, timeout=30_000, polling=300)
    return page.evaluate(LAYOUT)


@pytest.mark.parametrize("slug", [info.slug for info in registry.PAGES])
def test_embed_fits_a_700_by_600_iframe_and_fills_a_wider_one(page, slug):
    page.set_viewport_size({"width": 700, "height": 600})
    page.goto(f"{page.base}/{slug}?embed=1")
    page.wait_for_bokeh(timeout=30_000)
    narrow = _settled_layout(page)
    assert narrow["width"] <= 700, f"sideways scroll: {narrow['width']} px wide"
    assert narrow["height"] <= 600, f"vertical scroll: {narrow['height']} px tall"
    outside = [name for name, (_l, _t, r, b) in narrow["controls"] if r > 700 or b > 600]
    assert outside == [], f"controls outside the 700 x 600 frame: {outside}"

    page.set_viewport_size({"width": 1000, "height": 600})
    page.wait_for_function("() => document.documentElement.clientWidth === 1000")
    wide = _settled_layout(page)
    assert wide["width"] <= 1000
    assert wide["span"] >= 0.9 * 1000, f"the figure spans {wide['span']} of 1000 px"


def test_the_full_page_link_opens_the_current_view_without_embed(page):
    """An embed that leaves parts to the full page links to it with the view's query, as the
    page keeps it in the address (here a link value and a default the page wrote)."""
    page.set_viewport_size({"width": 700, "height": 600})
    page.goto(f"{page.base}/unbalanced?embed=1&rho=0.3")
    page.wait_for_bokeh(timeout=30_000)
    link = page.locator("a.ot-full-page")
    link.wait_for(timeout=30_000)
    page.wait_for_function("() => location.search.includes('rho=0.3')")
    link.focus()
    page.wait_for_function(
        "(a) => a.href.includes('rho=0.3')", arg=link.element_handle(), timeout=10_000
    )
    href = link.get_attribute("href")
    assert "/unbalanced?" in href and "rho=0.3" in href and "embed" not in href
    assert link.get_attribute("target") == "_blank"
