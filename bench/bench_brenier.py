"""Speed of the Brenier page in headless Chromium: rotation frames, slider-to-surface latency
and the sampled estimate.

Usage::

    python3 bench/bench_brenier.py            # starts serve.sh on a free port
    python3 bench/bench_brenier.py --url http://127.0.0.1:5091   # an already running server

What it measures:

* **Rotation.** A mouse drag of ``--drag-steps`` moves across the canvas; the page's own timer
  (``window.brenierFrameTimes``, the milliseconds of each full redraw at the default 41 x 41
  mesh with every layer on) gives the draw time per frame during the drag.
* **Slider -> surface.** ``--repeats`` times, the sigma_q slider's model is set in the
  browser (as a slider drag does) and the clock runs until the new surface sent back by the
  server has been drawn (``window.brenierHeightsDrawnAt``): browser -> Python -> browser ->
  canvas, on loopback.
* **Slider -> estimate shown.** ``--estimate-repeats`` times at n = 300 and at n = 1000: the
  same slider change, and the clock runs until the readout shows the new sampled estimate
  (150 ms rest, then the repeated exact solves on the worker thread, then the text).
* **Slider -> surface while the estimate solves.** At n = 1000, each slider change comes
  0.25 s after the previous one, when that one's ~0.5 s of solves has started: the surface must
  still come back at once (the solves run off the session's event loop).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import _browser

SET_SLIDER_AND_WAIT = """async (value) => {
  const slider = [...Bokeh.documents[0].all_models].find(
    m => typeof m.title === 'string' && m.title.startsWith('Target spread σ_q'));
  const start = performance.now();
  slider.value = value;
  while (!(window.brenierHeightsDrawnAt > start)) {
    if (performance.now() - start > 5000) return -1;
    await new Promise(r => setTimeout(r, 1));
  }
  return window.brenierHeightsDrawnAt - start;
}"""


SET_SLIDER_AND_WAIT_ESTIMATE = """async (value) => {
  const all = [...Bokeh.documents[0].all_models];
  const slider = all.find(
    m => typeof m.title === 'string' && m.title.startsWith('Target spread σ_q'));
  const readout = all.find(m => typeof m.text === 'string' && m.text.includes('From samples'));
  const before = readout.text;
  const start = performance.now();
  slider.value = value;
  while (!(readout.text !== before && readout.text.includes('converged on every draw'))) {
    if (performance.now() - start > 20000) return -1;
    await new Promise(r => setTimeout(r, 2));
  }
  return performance.now() - start;
}"""


def summary(values: list[float]) -> str:
    p95 = _browser.percentile(values, 0.95)
    return f"{statistics.median(values):.1f} | {p95:.1f} | {max(values):.1f} | {len(values)}"


def slider_rounds(page, script: str, repeats: int, pause: float) -> list[float]:
    """Alternate the sigma_q slider between two values; the script returns ms or -1."""
    current = page.evaluate(
        """() => [...Bokeh.documents[0].all_models].find(
             m => typeof m.title === 'string' && m.title.startsWith('Target spread σ_q')).value"""
    )
    values = (1.3, 0.5) if current == 0.5 else (0.5, 1.3)  # every change is a real change
    latencies = []
    for k in range(repeats):
        ms = page.evaluate(script, values[k % 2])
        if ms < 0:
            raise RuntimeError("the page did not answer in time")
        latencies.append(ms)
        time.sleep(pause)
    return latencies


def open_brenier(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    page.wait_for_function("() => window.brenierFrameTimes && brenierFrameTimes.length > 0")
    page.get_by_text("converged on every draw").wait_for(timeout=20_000)
    return page


def run(base: str, drag_steps: int, repeats: int, estimate_repeats: int) -> list[tuple[str, str]]:
    rows = []
    with _browser.chromium() as browser:
        page = open_brenier(browser, base + "/brenier")
        time.sleep(1.0)
        canvas = page.locator("canvas.brenier-canvas")
        box = canvas.bounding_box()

        # Rotation: one long drag, every pointer move drawn by the browser.
        page.evaluate("() => { window.brenierFrameTimes.length = 0; }")
        x, y = box["x"] + 0.1 * box["width"], box["y"] + 0.1 * box["height"]
        page.mouse.move(x, y)
        page.mouse.down()
        for k in range(drag_steps):
            page.mouse.move(x + 2 * k % 400, y + (k % 120))
        page.mouse.up()
        time.sleep(0.2)
        draws = page.evaluate("() => window.brenierFrameTimes.slice()")
        rows.append(("rotation: draw time per frame, 41x41 mesh, all layers (ms)", summary(draws)))

        # Slider -> repainted surface, alternating between two values.
        latencies = []
        for k in range(repeats):
            value = 0.5 if k % 2 == 0 else 1.3
            ms = page.evaluate(SET_SLIDER_AND_WAIT, value)
            if ms < 0:
                raise RuntimeError("the surface did not repaint within 5 s")
            latencies.append(ms)
            time.sleep(0.15)
        rows.append(("slider sigma_q -> surface drawn, loopback (ms)", summary(latencies)))

        for n in (300, 1000):
            page = open_brenier(browser, f"{base}/brenier?n={n}")
            shown = slider_rounds(page, SET_SLIDER_AND_WAIT_ESTIMATE, estimate_repeats, 0.1)
            rows.append((f"slider sigma_q -> estimate shown, n = {n} (ms)", summary(shown)))
        # The n = 1000 page is open: slider changes that land while its solves run.
        busy = slider_rounds(page, SET_SLIDER_AND_WAIT, repeats, 0.25)
        rows.append(("slider -> surface drawn while n = 1000 solves run (ms)", summary(busy)))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="base URL of a running server (default: start one)")
    parser.add_argument("--drag-steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--estimate-repeats", type=int, default=10)
    args = parser.parse_args()
    load_before = _browser.load_average()
    with _browser.serving(args.url) as base:
        rows = run(base.rstrip("/"), args.drag_steps, args.repeats, args.estimate_repeats)
    print(f"load average (1 min): {load_before:.1f} before, {_browser.load_average():.1f} after")
    print("| measure | median | p95 | max | n |")
    print("| --- | --- | --- | --- | --- |")
    for name, stats in rows:
        print(f"| {name} | {stats} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
