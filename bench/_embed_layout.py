"""An embed view's layout as the browser lays it out: one measure for
``bench/measure_embeds.py`` (which prints it for every page) and
``tests/browser/test_embed.py`` (which checks it), so the two never measure differently.

No imports: the bench scripts find it as ``_embed_layout`` (bench/ is their ``sys.path[0]``),
the tests as ``bench._embed_layout`` (like ``bench._browser``).
"""

from __future__ import annotations

#: JS: the layout facts of the embed view, every shadow root searched: the document's scroll
#: size, the boxes of the interactive controls (inputs, buttons, selects, sliders, links,
#: anything focusable) and of the drawn figure parts (Bokeh plots, other canvases, images).
MEASURE = """() => {
  const roots = [document], all = [];
  for (let k = 0; k < roots.length; k++) {
    for (const el of roots[k].querySelectorAll("*")) {
      if (el.shadowRoot) roots.push(el.shadowRoot);
      all.push(el);
    }
  }
  const shown = (el) => {
    if (el.getClientRects().length === 0) return null;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return null;
    const s = getComputedStyle(el);
    if (s.visibility === "hidden" || s.display === "none") return null;
    return r;
  };
  const sx = window.scrollX, sy = window.scrollY;
  const box = (r) => [r.left + sx, r.top + sy, r.right + sx, r.bottom + sy].map(Math.round);
  const CONTROL = 'input:not([type=hidden]), button, select, textarea, [role=slider], ' +
                  '[role=button], [role=radio], [role=checkbox], a[href], ' +
                  '[tabindex]:not([tabindex="-1"])';
  const controls = [];
  for (const el of all) {
    if (!el.matches(CONTROL)) continue;
    const r = shown(el);
    if (!r) continue;
    const name = (el.getAttribute("aria-label") || el.textContent || el.value || "")
      .trim().replace(/\\s+/g, " ").slice(0, 40);
    controls.push({kind: el.tagName.toLowerCase() + (el.type ? ":" + el.type : ""),
                   name, box: box(r)});
  }
  // Drawn figure parts: Bokeh plots and other canvases (a Canvas-2D component).
  const drawn = [];
  const plotViews = [...Bokeh.index.all_views()].filter((v) => v.canvas_view && v.frame);
  for (const v of plotViews) {
    const r = shown(v.el);
    if (r) drawn.push({kind: "plot", name: v.model.name || v.model.type, box: box(r)});
  }
  for (const el of all) {
    if (el.tagName !== "CANVAS" || el.classList.contains("bk-layer")) continue;
    const r = shown(el);
    if (r && r.width > 60) drawn.push({kind: "canvas", name: el.className, box: box(r)});
  }
  for (const el of all) {
    if (el.tagName !== "IMG") continue;
    const r = shown(el);
    if (r && r.width > 60) drawn.push({kind: "img", name: el.alt || "", box: box(r)});
  }
  const de = document.documentElement;
  return {scrollWidth: de.scrollWidth, scrollHeight: de.scrollHeight,
          innerWidth: window.innerWidth, innerHeight: window.innerHeight, controls, drawn};
}"""

#: JS: true once the layout measured twice in a row (polls 300 ms apart) is the same and shows
#: a drawn part: the figures are drawn and nothing is still moving (late fonts, math, images,
#: a worker's first result).
SETTLED = (
    "() => { const now = JSON.stringify((" + MEASURE + ")());"
    " const same = window.__otLastLayout === now; window.__otLastLayout = now;"
    " return same && JSON.parse(now).drawn.length > 0; }"
)


def settled_layout(page, timeout: float = 30_000) -> dict:
    """The layout facts (``MEASURE``) of a Playwright ``page`` once they stop changing."""
    page.evaluate("() => { window.__otLastLayout = null; }")
    page.wait_for_function(SETTLED, timeout=timeout, polling=300)
    return page.evaluate(MEASURE)


def figure_span(facts: dict) -> int:
    """How many pixels of the width the drawn parts span, from the leftmost to the rightmost
    (0: nothing drawn)."""
    boxes = [d["box"] for d in facts["drawn"]]
    if not boxes:
        return 0
    return max(b[2] for b in boxes) - min(b[0] for b in boxes)
