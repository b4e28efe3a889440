"""Speed of the Brenier page in headless Chromium: rotation frames and slider-to-surface latency.

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
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, PORT=str(port), ADDRESS="127.0.0.1", ALLOWED_ORIGINS=f"127.0.0.1:{port}")
    proc = subprocess.Popen(
        ["bash", str(ROOT / "serve.sh")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/liveness", timeout=2):
                return proc, base
        except OSError:
            if time.monotonic() > deadline:
                proc.terminate()
                raise
            time.sleep(0.25)


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(values):.1f} | {p95:.1f} | {max(values):.1f} | {len(values)}"


def run(base: str, drag_steps: int, repeats: int) -> list[tuple[str, str]]:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/brenier")
        page.wait_for_function("() => window.brenierFrameTimes && brenierFrameTimes.length > 0")
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
        browser.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="base URL of a running server (default: start one)")
    parser.add_argument("--drag-steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()
    proc = None
    base = args.url
    if base is None:
        proc, base = start_server()
    try:
        rows = run(base.rstrip("/"), args.drag_steps, args.repeats)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
    print("| measure | median | p95 | max | n |")
    print("| --- | --- | --- | --- | --- |")
    for name, stats in rows:
        print(f"| {name} | {stats} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
