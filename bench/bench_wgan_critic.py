"""/wgan_critic: server work per drag event against POT, training time, drag-to-answer.

Part 1, in process (no browser), median of ``--repeat`` calls after a warm-up:

* ``w1_critic_ms``: the exact critic (LP with certificates, lower extension, plan gradients)
  at the page's 40 + 40 points, against ``pot_emd_log_ms`` (``ot.emd(..., log=True)`` on the
  Euclidean cost: the LP and its raw duals only);
* ``critic_field_ms`` and ``js_field_ms``: both fields on the 40 x 40 grid;
* ``page_event_ms``: the page's whole answer to one drag sync (engine + Bokeh model updates
  + readouts), without a websocket; ``curve_ms``: the gradient-size curve (29 LPs, on release);
* ``train_ms``: the WGAN-GP training the page runs in the background (1500 Adam steps).

Part 2, headless Chromium on loopback: the real mouse drags the offset handle (a move every
~16 ms) and the browser records, per sync the points component sends, the time until the
server's answer arrives. Echo floor: the same drag on a stand-in page serving the same
component (one point, the same name and bounds) whose callback does nothing.

Usage::

    python3 bench/bench_wgan_critic.py                 # both parts (starts its own servers)
    python3 bench/bench_wgan_critic.py --no-browser    # part 1 only
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import _browser

sys.path.insert(0, str(_browser.ROOT))

import numpy as np
import ot

from ot_engine import js_discriminator, train_gp_critic, w1_critic


def cpu_flags() -> str:
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next(
        (ln.split(":", 1)[1].strip() for ln in text.splitlines() if "model name" in ln), "?"
    )
    avx512 = sorted({w for w in text.split() if w.startswith("avx512")})
    return f"{model}; avx2={'avx2' in text.split()}; avx512={' '.join(avx512) or 'none'}"


def timed(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return round(statistics.median(times), 3)


def engine_part(repeat: int) -> dict:
    from pages.wgan_critic import compute_view, make_clouds, norm_curve
    from pages.wgan_critic_plots import grid_points

    X, B = make_clouds("gaussians")
    Y = B + np.array([1.5, 0.5])
    n = len(X)
    a = np.full(n, 1 / n)
    _, Z = grid_points()
    critic = w1_critic(X, Y)
    row = {
        "w1_critic_ms": timed(lambda: w1_critic(X, Y), repeat),
        "pot_emd_log_ms": timed(
            lambda: ot.emd(a, a, ot.dist(X, Y, metric="euclidean"), log=True), repeat
        ),
        "critic_field_ms": timed(lambda: critic(Z), repeat),
        "js_field_ms": timed(lambda: js_discriminator(X, Y, 0.3, Z), repeat),
        "compute_view_ms": timed(lambda: compute_view("gaussians", (1.5, 0.5), 0.3), repeat),
    }
    row["w1_critic_over_pot"] = round(row["w1_critic_ms"] / row["pot_emd_log_ms"], 2)
    t0 = time.perf_counter()
    norm_curve.cache_clear()
    norm_curve("gaussians", (1.0, 0.0), 0.3)
    row["curve_ms"] = round((time.perf_counter() - t0) * 1e3, 1)
    times = []
    for seed in range(3):
        t0 = time.perf_counter()
        train_gp_critic(X, Y, 10.0, steps=1500, seed=seed)
        times.append((time.perf_counter() - t0) * 1e3)
    row["train_ms_median_of_3"] = round(statistics.median(times), 1)
    return row


def page_event_ms(repeat: int) -> float:
    from pages.wgan_critic import WganCriticPage

    view = WganCriticPage(embed=False)
    rng = np.random.default_rng(1)
    times = []
    for _ in range(repeat):
        xy = rng.uniform(-3.5, 3.5, size=(1, 2))
        t0 = time.perf_counter()
        view._on_handle(xy, np.zeros(1, int), False)
        times.append((time.perf_counter() - t0) * 1e3)
    return round(statistics.median(times), 3)


HOOKS = r"""
(name) => {
  const doc = Bokeh.documents[0];
  const moves = doc.get_model_by_name(name + "_moves");
  const answer = doc.get_model_by_name(name + "_answer");
  const rec = window.__bench = {sent: [], lat: []};
  moves.connect(moves.properties.data.change, () => rec.sent.push(performance.now()));
  answer.connect(answer.properties.data.change, () => {
    const t = rec.sent.shift();
    if (t !== undefined) rec.lat.push(performance.now() - t);
    rec.sent.length = 0;  // answers acknowledge the newest sync
  });
  return true;
}
"""

STAND_IN = """
import panel as pn

from pages.components.points import DraggablePoints

pn.extension()
pts = DraggablePoints(
    [[1.5, 0.5]], [0], bounds=((-4, 4), (-4, 4)), group_names=("handle",),
    max_points=1, min_points=1, on_change=lambda xy, g, settled: None, name="wgan_handle",
    height=380, width=400, sizing_mode="fixed",
)
pn.Column(pts.pane(sizing_mode="fixed")).servable()
"""

NAME = "wgan_handle"


def drag(page, url: str, moves: int = 120) -> dict:
    page.goto(url)
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0", timeout=30_000)
    page.wait_for_function(
        "(n) => Bokeh.documents[0].get_model_by_name(n + '_moves') !== null", arg=NAME
    )
    page.wait_for_function(
        "(args) => (" + _browser.DATA_TO_PAGE + ")(args) !== null", arg=[NAME, 0, 0]
    )
    page.wait_for_timeout(1500)  # let the first training finish: the drag is measured alone
    page.evaluate(HOOKS, NAME)
    start = _browser.data_to_page(page, NAME, 1.5, 0.5)
    page.mouse.move(*start)
    page.mouse.down()
    for i in range(1, moves + 1):
        t = i / moves
        x, y = 1.5 + 2.0 * np.sin(2 * np.pi * t), 0.5 + 2.5 * np.sin(np.pi * t)
        page.mouse.move(*_browser.data_to_page(page, NAME, x, y))
        page.wait_for_timeout(16)
    page.mouse.up()
    page.wait_for_timeout(500)
    lat = page.evaluate("() => window.__bench.lat")
    return {
        "answers": len(lat),
        "median_ms": round(_browser.percentile(lat, 0.5, "linear"), 1),
        "p95_ms": round(_browser.percentile(lat, 0.95, "nearest"), 1),
    }


def browser_part() -> dict:
    return _browser.page_and_echo(drag, "/wgan_critic", STAND_IN, key="wgan_drag_to_answer")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = {
        "cpu": cpu_flags(),
        "load_average_before": _browser.load_average(),
        "engine": engine_part(args.repeat),
        "page_event_ms_median": page_event_ms(args.repeat),
    }
    if not args.no_browser:
        result.update(browser_part())
        w, e = result["wgan_drag_to_answer"], result["echo_floor_drag_to_answer"]
        result["drag_median_over_echo"] = round(w["median_ms"] / max(e["median_ms"], 1e-9), 2)
    result["load_average_after"] = _browser.load_average()
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
