"""/duality: server time per widget event against POT's ``ot.emd``, and drag-to-repaint latency.

Two parts, ratios taken within one run (absolute times are not portable between CPUs):

* **server** (in-process, no browser): the page built as a session builds it, then bar syncs
  fed to its flow exactly as the browser's arrive. Per event: a drag of p (exact LP with its
  canonical potentials, entropic value by Sinkhorn warm-started from the last event, the
  sketch's transforms, every figure's and table's new data) and a drag of the sketched f
  (transforms and bounds only), against ``ot.emd`` alone on the same problem.
* **browser** (``--browser``; serve.sh on a free port, headless Chromium): a 2.5 s mouse drag
  across p's bars and across f's bars; for each pointer move that changes a bar, the time to
  the first animation frame after the answer to the sync carrying it (the page's flow
  control sends a sync only once the previous one is answered, so the first answer after a
  sync is that sync's), as in bench/bench_transport_plan_latency.py; split into sync to
  answer applied and answer to painted; bytes per update (CDP websocket frames).

Usage::

    python3 bench/bench_duality.py                      # server part, n = 64, 128, 256
    python3 bench/bench_duality.py --browser            # and the browser drags (n = 128)
    python3 bench/bench_duality.py --browser --url http://127.0.0.1:5006
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

import _browser
import _measure
import ot
from bench_transport_plan_latency import FrameCounter

from pages import duality as du


def _median_ms(times: list[float]) -> float:
    return round(1000 * statistics.median(times), 2)


def server_events(n: int, cost: int, events: int) -> dict:
    """Median server time of a p drag event, an f drag event and ``ot.emd`` at ``n`` bins."""
    page = du.DualityPage(du.Duality(n=n, cost=cost), embed=False)
    m = page.model
    rng = np.random.default_rng(0)
    base_p = m.p.copy()
    p_times, f_times, emd_times = [], [], []
    for k in range(events):
        p = base_p.copy()
        p[(7 * k) % n] = float(f"{rng.uniform(0.05, 0.9):.4g}")  # one bar moves, as in a drag
        t0 = time.perf_counter()
        page.flow.submit(p=p)
        p_times.append(time.perf_counter() - t0)
        heights = du._round_bar(0.5 + 0.3 * np.sin(np.linspace(0, 6, n) + k / 5))
        t0 = time.perf_counter()
        page.flow.submit(f=heights)
        f_times.append(time.perf_counter() - t0)
        ex = m.exact
        t0 = time.perf_counter()
        ot.emd(ex.a, ex.b, ex.C)
        emd_times.append(time.perf_counter() - t0)
        assert m.exact.duals.converged and not m.problem
    emd = statistics.median(emd_times)
    return {
        "n": n,
        "cost": cost,
        "events": events,
        "p_drag_ms": _median_ms(p_times),
        "f_drag_ms": _median_ms(f_times),
        "pot_emd_ms": _median_ms(emd_times),
        "p_drag_over_emd": round(statistics.median(p_times) / emd, 1),
        "f_drag_over_emd": round(statistics.median(f_times) / emd, 2),
        "sinkhorn_converged": bool(m.entropic.result.converged),
    }


HOOKS = r"""
() => {
  const doc = Bokeh.documents[0];
  const rec = window.__bench = {moves: [], ups: [], syncs: [], answers: [], paints: []};
  document.addEventListener("pointermove", (e) => {
    if (e.buttons) rec.moves.push(performance.now());
  }, true);
  document.addEventListener("pointerup", () => rec.ups.push(performance.now()), true);
  for (const name of ["du_p", "du_f"]) {
    doc.get_model_by_name(name).properties.data.change.connect(
      () => rec.syncs.push(performance.now()));
  }
  const answer = doc.get_model_by_name("du_answer");
  answer.properties.data.change.connect(() => {
    rec.answers.push(performance.now());
    requestAnimationFrame(() => rec.paints.push(performance.now()));
  });
  return true;
}
"""


def browser_drag(page, frames, figure: str, seconds: float) -> dict:
    page.evaluate("() => { const r = window.__bench; for (const k in r) r[k].length = 0; }")
    frames.reset()
    x0, y0 = _browser.data_to_page(page, figure, 0.05, 0.3)
    x1, y_top = _browser.data_to_page(page, figure, 0.95, 0.9)
    _, y_low = _browser.data_to_page(page, figure, 0.95, 0.1)
    page.mouse.move(x0, y0)
    page.mouse.down()
    t_end, k = time.monotonic() + seconds, 0
    while time.monotonic() < t_end:
        k += 1
        s = (k % 120) / 120
        frac = s * 2 if s < 0.5 else 2 - s * 2
        page.mouse.move(x0 + frac * (x1 - x0), y_low + (y_top - y_low) * ((k // 7) % 2))
        page.wait_for_timeout(12)
    page.mouse.up()
    page.wait_for_timeout(800)
    rec = page.evaluate("() => window.__bench")
    latencies = []
    for t in rec["moves"]:
        sync = next((s for s in rec["syncs"] if s >= t), None)
        paint = next((p for p in rec["paints"] if sync is not None and p > sync), None)
        if paint is not None:
            latencies.append(paint - t)
    # Where a round trip goes: sync sent -> its answer applied (network, server, decoding),
    # and answer applied -> the next frame painted (BokehJS re-rendering the figures).
    trips = [
        next(a for a in rec["answers"] if a > t) - t
        for t in rec["syncs"]
        if any(a > t for a in rec["answers"])
    ]
    renders = [
        next(p for p in rec["paints"] if p >= a) - a
        for a in rec["answers"]
        if any(p >= a for p in rec["paints"])
    ]
    up = rec["ups"][-1]
    return {
        "sync_to_answer_median_ms": round(statistics.median(trips), 1) if trips else None,
        "answer_to_paint_median_ms": round(statistics.median(renders), 1) if renders else None,
        "count": len(latencies),
        "median_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(_browser.percentile(latencies, 0.95, rule="linear"), 1),
        "max_ms": round(max(latencies), 1),
        "syncs": len(rec["syncs"]),
        "catch_up_ms": round(max(rec["paints"][-1] - up, 0.0), 1),
        "bytes_per_update": round(frames.received / max(len(rec["paints"]), 1)),
        "bytes_per_sync_sent": round(frames.sent / max(len(rec["syncs"]), 1)),
    }


def browser_part(url: str | None, n: int, seconds: float) -> dict:
    with _browser.serving(url) as base, _browser.chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        frames = FrameCounter(page.context.new_cdp_session(page))
        page.goto(f"{base}/duality?n={n}&cost=2&eps=0.01")
        page.wait_for_function(
            "() => window.Bokeh && Bokeh.documents.length > 0 && "
            "Bokeh.documents[0].get_model_by_name('du_answer') != null && "
            "[...Bokeh.index.all_views()].some(v => v.model.name === 'du_f_fig')",
            timeout=60_000,
        )
        page.wait_for_timeout(1000)
        page.evaluate(HOOKS)
        return {
            "p_drag": browser_drag(page, frames, "du_p_fig", seconds),
            "f_drag": browser_drag(page, frames, "du_f_fig", seconds),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=30, help="events per size (server part)")
    parser.add_argument("--browser", action="store_true", help="also time drags in Chromium")
    parser.add_argument("--url", help="a running server for the browser part")
    parser.add_argument("--seconds", type=float, default=2.5)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    print(_measure.cpu_line())
    print(f"load average (1 min) before: {_browser.load_average():.2f}")
    results: dict = {"cpu": _measure.cpu_line(), "server": []}
    for n in (64, 128, 256):
        for cost in (1, 2):
            row = server_events(n, cost, args.events)
            results["server"].append(row)
            print(json.dumps(row))
    if args.browser:
        results["browser"] = browser_part(args.url, 128, args.seconds)
        for what, row in results["browser"].items():
            print(f"browser {what}: {json.dumps(row)}")
    print(f"load average (1 min) after: {_browser.load_average():.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
