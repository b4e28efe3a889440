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
from _embed_layout import figure_span, settled_layout

sys.path.insert(0, str(_browser.ROOT))
from pages import registry


def measure(page, base: str, slug: str, width: int, height: int, shots: Path | None) -> dict:
    page.set_viewport_size({"width": width, "height": height})
    _browser.goto_when_up(page, f"{base}/{slug}?embed=1")
    page.wait_for_function(
        "() => window.Bokeh && Bokeh.index && Object.keys(Bokeh.index).length > 0",
        timeout=60_000,
    )
    facts = settled_layout(page, timeout=60_000)  # late layout (math, fonts, images) done
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"{slug}_{width}.png"), full_page=True)
    facts["figure_span"] = figure_span(facts)
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
