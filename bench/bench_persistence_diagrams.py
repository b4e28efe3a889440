"""/persistence_diagrams: the engine against GUDHI and persim, and drag-to-answer latency.

Part 1, in process (no browser), medians over ``--repeat`` calls, one run:

* ``ours_wp_ms`` (:func:`ot_engine.diagram_distance`, p = 2: one assignment with the diagonal
  reservoir) vs ``gudhi_wp_ms`` (``gudhi.wasserstein.wasserstein_distance``, ``internal_p=inf``,
  solved with POT's ``emd``), the same diagrams;
* ``ours_bottleneck_ms`` (exact: binary search + bipartite matching) vs
  ``persim_bottleneck_ms`` (exact) and ``gudhi_bottleneck_ms`` (geometric, see the page's
  remark on its accuracy); at 8 + 9 points (the page's default), 20 + 20 (its limit) and
  100 + 100;
* ``page_event_ms``: the page's whole answer to one moved point (both matchings, segments,
  readouts), built without a server.

Part 2, headless Chromium on loopback: the real mouse drags one point of D1 (a move every
~16 ms) and the browser records, per sync the points component sends, the time until the
server's answer arrives. The echo floor is the same drag on a stand-in page serving the same
component (15 points) with a callback that does nothing: transport, Panel and flow control
without the page's compute.

Usage::

    python3 bench/bench_persistence_diagrams.py                 # both parts
    python3 bench/bench_persistence_diagrams.py --no-browser    # part 1 only
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
import warnings

import _browser
import _measure
import numpy as np

sys.path.insert(0, str(_browser.ROOT))


def engine_part(repeat: int) -> dict:
    import gudhi
    import persim
    from gudhi.wasserstein import wasserstein_distance

    from ot_engine import diagram_distance

    warnings.simplefilter("ignore")
    out = {}
    rng = np.random.default_rng(0)
    for n, m in ((8, 9), (20, 20), (100, 100)):
        b1, b2 = rng.random(n), rng.random(m)
        A, B = np.c_[b1, b1 + 0.5 * rng.random(n)], np.c_[b2, b2 + 0.5 * rng.random(m)]
        reps = repeat if n <= 20 else max(3, repeat // 10)
        row = {
            "ours_wp_ms": _measure.median_ms(lambda A=A, B=B: diagram_distance(A, B, 2), reps),
            "gudhi_wp_ms": _measure.median_ms(
                lambda A=A, B=B: wasserstein_distance(A, B, order=2, internal_p=np.inf), reps
            ),
            "ours_bottleneck_ms": _measure.median_ms(
                lambda A=A, B=B: diagram_distance(A, B, math.inf), reps
            ),
            "persim_bottleneck_ms": _measure.median_ms(
                lambda A=A, B=B: persim.bottleneck(A, B), reps
            ),
            "gudhi_bottleneck_ms": _measure.median_ms(
                lambda A=A, B=B: gudhi.bottleneck_distance(A, B), reps
            ),
        }
        row["wp_ours_over_gudhi"] = round(row["ours_wp_ms"] / row["gudhi_wp_ms"], 2)
        row["bottleneck_ours_over_persim"] = round(
            row["ours_bottleneck_ms"] / row["persim_bottleneck_ms"], 2
        )
        out[f"{n}+{m}"] = row
    return out


def page_event_ms(repeat: int) -> float:
    from pages.persistence_diagrams import PersistencePage

    view = PersistencePage(embed=False)
    xy, g = view.diagram.points.xy, view.diagram.points.groups
    rng = np.random.default_rng(1)
    times = []
    for _ in range(repeat):
        b = rng.uniform(0.05, 0.45)
        xy[0] = [b, rng.uniform(b, 1.0)]
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
b = rng.uniform(0.1, 0.6, 15)
xy = np.c_[b, b + rng.uniform(0, 0.3, 15)]
pts = DraggablePoints(
    xy, [0] * 7 + [1] * 8, bounds=((0, 1), (0, 1)), group_names=("D1", "D2"),
    max_points=40, can_add=True, can_remove=True, on_change=lambda xy, g, settled: None,
    name="pd_diagram", height=420, width=420, sizing_mode="fixed",
)
pn.Column(pts.pane(sizing_mode="fixed")).servable()
"""


def drag(page, url: str, moves: int = 120) -> dict:
    return _browser.drag_points(
        page,
        url,
        "pd_diagram",
        lambda t: (0.05 + 0.4 * t, 0.75 + 0.2 * np.sin(2 * np.pi * t)),
        moves,  # the path stays above the diagonal
    )


def browser_part() -> dict:
    return _browser.page_and_echo(
        drag, "/persistence_diagrams", STAND_IN, key="page_drag_to_answer"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    result = {
        "cpu": _measure.cpu_line(),
        "load_average_before": _browser.load_average(),
        "engine": engine_part(args.repeat),
        "page_event_ms_median": page_event_ms(args.repeat),
    }
    if not args.no_browser:
        result.update(browser_part())
        s, e = result["page_drag_to_answer"], result["echo_floor_drag_to_answer"]
        result["drag_median_over_echo"] = round(s["median_ms"] / max(e["median_ms"], 1e-9), 2)
    result["load_average_after"] = _browser.load_average()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
