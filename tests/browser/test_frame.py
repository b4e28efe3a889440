"""The frame's shared pieces in headless Chromium: notebook boxes (links into shadow roots,
proofs opened by keyboard, deep links to a box) and the BokehJS internals pages/compat.py lists.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pages import compat

pytestmark = pytest.mark.browser

#: JS: the box with this id, searched through every shadow root, as a small description.
FIND_BOX = """(id) => {
  const roots = [document];
  while (roots.length) {
    const root = roots.pop();
    const el = root.querySelector("#" + CSS.escape(id));
    if (el) {
      const r = el.getBoundingClientRect();
      return {tag: el.tagName, open: !!el.open, top: r.top, text: el.textContent.slice(0, 80)};
    }
    for (const e of root.querySelectorAll("*")) if (e.shadowRoot) roots.push(e.shadowRoot);
  }
  return null;
}"""


def _open(page, path: str) -> None:
    page.goto(page.base + path)
    page.wait_for_bokeh()
    page.locator(".ot-box").first.wait_for(timeout=15_000)


def test_boxes_are_numbered_and_the_proof_opens_with_the_keyboard(page):
    _open(page, "/brenier")
    heads = page.locator(".ot-box-head").all_inner_texts()
    assert any(h.startswith("Theorem 2.") for h in heads), heads
    proof = page.locator("details.ot-proof").first
    assert proof.evaluate("el => el.open") is False
    proof.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(proof).to_have_attribute("open", "")
    card = page.locator('aside[aria-label="Concept card"]')
    expect(card).to_have_count(1)
    assert "key equation" in card.inner_text().lower()  # headings are set in capitals


def test_a_link_to_a_box_scrolls_it_into_view_and_keeps_the_query(page):
    _open(page, "/transport_plan?cost=1")
    page.wait_for_math()  # laid out: nothing above the box grows after the jump
    link = page.locator("a.ot-box-link").nth(1)
    anchor = link.get_attribute("href")
    # To the top at once (a wheel scroll is smooth and could land after the jump).
    page.evaluate("() => window.scrollTo({top: 0, behavior: 'instant'})")
    link.evaluate("el => el.click()")
    page.wait_for_function(f"() => location.hash === '{anchor}'")
    assert "cost=1" in page.url
    page.wait_for_function(
        f"() => {{ const b = ({FIND_BOX})('{anchor[1:]}'); "
        "return b && b.top >= -5 && b.top < 300; }",
        timeout=10_000,
    )


def test_a_deep_link_to_a_box_lands_on_it(page):
    page.goto(page.base + "/brenier#thm-brenier")
    page.wait_for_bokeh()
    page.wait_for_function(
        f"() => {{ const b = ({FIND_BOX})('thm-brenier'); return b && Math.abs(b.top) < 300; }}",
        timeout=20_000,
    )


def test_bokehjs_still_has_the_internals_compat_lists(page):
    page.goto(page.base + "/transport_plan")
    page.wait_for_function(
        "() => window.Bokeh && [...Bokeh.index.all_views()].some(v => v.canvas_view)"
    )
    # The figures' set-up (on layout) sets the press threshold.
    page.wait_for_function(
        "() => [...Bokeh.index.all_views()].some("
        "v => v.canvas_view?.ui_event_bus?.ui_gestures?.constructor.press_threshold > 1e9)"
    )
    found = page.evaluate(
        """() => {
          const views = [...Bokeh.index.all_views()];
          const plot = views.find((v) => v.canvas_view != null);
          return {
            "PlotView._invalidate_layout_if_needed":
              typeof Object.getPrototypeOf(plot)._invalidate_layout_if_needed === "function",
            "Document.views_manager": Bokeh.documents[0].views_manager != null,
            "CanvasView.events_el": plot.canvas_view.events_el instanceof HTMLElement,
            "UIEventBus.ui_gestures.constructor.press_threshold":
              plot.canvas_view.ui_event_bus.ui_gestures.constructor.press_threshold > 1e9,
            "core/dom InlineStyleSheet._update": (() => {
              const Sheet = Bokeh.require("core/dom").InlineStyleSheet;
              const sheet = new Sheet("a { color: red; }");
              const text = sheet.el.firstChild;
              sheet.replace("a { color: red; }");  // the same text: the node is kept
              const kept = sheet.el.firstChild === text;
              sheet.replace("a { color: blue; }");
              return Sheet.prototype._update.__otSameSkipped === true && kept &&
                sheet.css === "a { color: blue; }";
            })(),
          };
        }"""
    )
    # These five here; export.js's hooks in test_takehome.py.
    assert set(found) <= set(compat.JS_HOOKS) and all(found.values()), found


#: JS: count the page's URL rewrites (Chrome ignores those beyond 200 in 10 s).
COUNT_REWRITES = """() => {
  window.__rewrites = [];
  const replace = history.replaceState.bind(history);
  history.replaceState = (...args) => { window.__rewrites.push(performance.now());
                                        return replace(...args); };
}"""


def test_a_burst_of_changes_rewrites_the_url_a_few_times_and_ends_on_the_last_state(page):
    page.goto(page.base + "/unbalanced?n=16&mode=partial&m=0.3")
    page.wait_for_bokeh()
    expect(page.locator("table.ub-readouts")).to_contain_text("0.3 × min", timeout=15_000)
    page.evaluate(COUNT_REWRITES)
    handle = page.locator(".noUi-handle").nth(2)  # ρ, ε, then m
    handle.focus()
    for _ in range(30):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => location.search.includes('m=0.6')", timeout=15_000)
    page.wait_for_timeout(300)  # nothing is still queued
    times = page.evaluate("() => window.__rewrites")
    assert "m=0.6" in page.url
    span = (times[-1] - times[0]) / 1000 if times else 0.0
    # at most one rewrite per interval (the first at once), however many changes came
    assert 1 <= len(times) <= span / 0.1 + 2, (len(times), span)
