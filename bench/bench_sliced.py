"""/sliced: server work per drag event against POT and the LP, and drag-to-answer latency.

Part 1, in process (no browser):

* ``event_ms``: the page's whole answer to one moved point (engine + Bokeh model updates:
  the 1000-direction curve, the estimate at L, max-sliced, the exact LP, readouts, lines);
* the engine's pieces against POT on the same clouds and the same directions:
  ``sliced_1000_ms`` (ours: per-direction values, running mean and band) vs
  ``pot_sliced_1000_ms`` (``ot.sliced_wasserstein_distance(..., projections=...)``, the final
  value only); ``max_sliced_ms`` (720-angle scan + refinement) vs ``pot_max_sliced_720_ms``
  (``ot.max_sliced_wasserstein_distance`` over 720 random directions: a lower bound only);
  ``lp_ms`` (``ot.emd2`` on the squared cost), at the page's 24 + 24 points and at 300 + 300.

Part 2, headless Chromium on loopback: the real mouse drags one point (a move every ~16 ms)
and the browser records, per sync the points component sends, the time until the server's
answer arrives (``drag_to_answer``). The echo floor is the same drag on a stand-in page that
serves the same component (48 points) with a page callback that does nothing: the transport,
Panel and the flow control without the page's compute.

Usage::

    python3 bench/bench_sliced.py                 # both parts (starts its own servers)
    python3 bench/bench_sliced.py --no-browser    # part 1 only
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import _browser
import _measure

sys.path.insert(0, str(_browser.ROOT))

import numpy as np
import ot

from ot_engine.sliced import (
    max_sliced_wasserstein,
    sliced_wasserstein,
    sphere_directions,
)


def engine_row(X: np.ndarray, Y: np.ndarray, repeat: int) -> dict:
    n = len(X)
    theta = sphere_directions(2, 1000, seed=0)
    a = b = np.full(n, 1.0 / n)
    row = {
        "sliced_1000_ms": _measure.median_ms(lambda: sliced_wasserstein(X, Y, 1000, 0), repeat),
        "pot_sliced_1000_ms": _measure.median_ms(
            lambda: ot.sliced_wasserstein_distance(X, Y, projections=theta.T), repeat
        ),
        "max_sliced_ms": _measure.median_ms(lambda: max_sliced_wasserstein(X, Y), repeat),
        "pot_max_sliced_720_ms": _measure.median_ms(
            lambda: ot.max_sliced_wasserstein_distance(X, Y, n_projections=720, seed=0), repeat
        ),
        "lp_ms": _measure.median_ms(lambda: ot.emd2(a, b, ot.dist(X, Y)), repeat),
    }
    row = {k: round(v, 3) for k, v in row.items()}
    row["ours_over_pot_sliced"] = round(row["sliced_1000_ms"] / row["pot_sliced_1000_ms"], 3)
    return row


def engine_part(repeat: int) -> dict:
    out = {}
    for n in (24, 300):
        rng = np.random.default_rng(0)
        X, Y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) * [1.5, 0.5] + 0.3
        out[f"{n}+{n} points"] = engine_row(X, Y, repeat)
    return out


def page_event_ms(repeat: int) -> float:
    """The page's answer to one moved point, in process (no document: updates apply)."""
    from pages.sliced import SlicedPage

    view = SlicedPage(embed=False)
    xy, g = view.clouds.points.xy, view.clouds.points.groups
    rng = np.random.default_rng(1)
    times = []
    for _ in range(repeat):
        xy[0] = rng.uniform(-1.5, 1.5, size=2)
        t0 = time.perf_counter()
        view._on_points(xy, g, False)
        times.append((time.perf_counter() - t0) * 1e3)
    return round(statistics.median(times), 3)


STAND_IN = """
import numpy as np
import panel as pn

from pages.components.points import DraggablePoints

pn.extension()
rng = np.random.default_rng(7)
xy = np.clip(rng.normal(size=(48, 2)) * 0.6, -2, 2)
pts = DraggablePoints(
    xy, [0] * 24 + [1] * 24, bounds=((-2, 2), (-2, 2)), group_names=("source", "target"),
    max_points=48, min_points=48, on_change=lambda xy, g, settled: None, name="sliced_clouds",
    height=400, width=400, sizing_mode="fixed",
)
pn.Column(pts.pane(sizing_mode="fixed")).servable()
"""


def drag(page, url: str, moves: int = 120) -> dict:
    return _browser.drag_points(
        page, url, "sliced_clouds", lambda t: (-1.5 + 3.0 * t, 1.2 * np.sin(2 * np.pi * t)), moves
    )


def browser_part() -> dict:
    return _browser.page_and_echo(drag, "/sliced", STAND_IN, key="sliced_drag_to_answer")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = {
        "cpu": _measure.cpu_line(),
        "load_average_before": _browser.load_average(),
        "engine": engine_part(args.repeat),
        "page_event_ms_median": page_event_ms(args.repeat),
    }
    if not args.no_browser:
        result.update(browser_part())
        s, e = result["sliced_drag_to_answer"], result["echo_floor_drag_to_answer"]
        result["drag_median_over_echo"] = round(s["median_ms"] / max(e["median_ms"], 1e-9), 2)
    result["load_average_after"] = _browser.load_average()
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
