"""Measure every registered page's ``?embed=1`` view as a course page's iframe shows it.

For each page, at 700 x 600 and at 1000 x 600 (the iframe's own viewport): the document's
scroll width and height, how much of the width the figure's drawn parts (Bokeh plots and
canvases) span, and every interactive control (inputs, buttons, selects, sliders, focusable
elements, draggable plots) that lies outside the frame. Optionally a screenshot per page.

    python bench/measure_embeds.py                     # serve.sh on a free port, every page
    python bench/measure_embeds.py --url http://127.0.0.1:5006 --shots /tmp/embeds sliced

Not a timing bench: it prints sizes (pixels), which do not depend on the machine's load.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import _browser

sys.path.insert(0, str(_browser.ROOT))
from pages import registry

#: JS: the layout facts of the embed view (every shadow root searched).
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


def measure(page, base: str, slug: str, width: int, height: int, shots: Path | None) -> dict:
    page.set_viewport_size({"width": width, "height": height})
    _browser.goto_when_up(page, f"{base}/{slug}?embed=1")
    page.wait_for_function(
        "() => window.Bokeh && Bokeh.index && Object.keys(Bokeh.index).length > 0",
        timeout=60_000,
    )
    page.wait_for_timeout(1500)  # let late layout (math, fonts, images) settle
    facts = page.evaluate(MEASURE)
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"{slug}_{width}.png"), full_page=True)
    drawn = [d["box"] for d in facts["drawn"]]
    left = min((b[0] for b in drawn), default=0)
    right = max((b[2] for b in drawn), default=0)
    facts["figure_span"] = right - left
    facts["outside"] = [
        c for c in facts["controls"] if c["box"][2] > width + 1 or c["box"][3] > height + 1
    ]
    facts["drawn_outside"] = [
        d for d in facts["drawn"] if d["box"][2] > width + 1 or d["box"][3] > height + 1
    ]
    return facts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("slugs", nargs="*", help="pages to measure (all registered by default)")
    parser.add_argument("--url", help="a running server's base URL (default: start serve.sh)")
    parser.add_argument("--shots", type=Path, help="folder for full-page screenshots")
    parser.add_argument("--verbose", action="store_true", help="list the controls outside")
    args = parser.parse_args(argv)
    slugs = args.slugs or [info.slug for info in registry.PAGES]
    print("page                     700: w x h  span  out    1000: w x h  span")
    with _browser.serving(args.url) as base, _browser.chromium() as browser:
        page = browser.new_page()
        for slug in slugs:
            narrow = measure(page, base, slug, 700, 600, args.shots)
            wide = measure(page, base, slug, 1000, 600, args.shots)
            out = len(narrow["outside"]) + len(narrow["drawn_outside"])
            print(
                f"{slug:22} {narrow['scrollWidth']:>5} x {narrow['scrollHeight']:<5}"
                f" {narrow['figure_span']:>5} {out:>4}   "
                f"{wide['scrollWidth']:>5} x {wide['scrollHeight']:<5} {wide['figure_span']:>5}",
                flush=True,
            )
            if args.verbose:
                for c in narrow["outside"] + narrow["drawn_outside"]:
                    print(f"    outside: {c['kind']} {c['name']!r} {c['box']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
