"""Drag-to-repaint latency of /kl_vs_wasserstein in headless Chromium on loopback.

Playwright moves the real mouse over the top plot in a continuous drag (one move every
~16 ms, like a 60 Hz pointer) and the page records, in the browser:

* bump repaint: from a pointer move to the next animation frame (the bump and the curve
  markers move in the browser with no round trip);
* drag-to-repaint: from the pointer move that produced a shift to the first animation frame
  after the server's answer for that shift (readouts, critic, overlap) arrived (this includes
  waiting for the previous answer, the flow control, and the server's compute);
* paint time: milliseconds the browser spends in Bokeh's plot paints, per pointer move and
  per server answer (all plots together);
* release catch-up: pointer up to the markers of the final shift painted;
* bytes per update: websocket frames received by the browser (Chrome DevTools Protocol)
  divided by the number of marker updates.

It also times the server-side work per shift in-process (engine + Bokeh model updates) and
the cold computation of all curves for one (shape, width, floor).

Usage::

    python3 bench/bench_kl_vs_wasserstein.py                    # starts serve.sh on a free port
    python3 bench/bench_kl_vs_wasserstein.py --url http://127.0.0.1:5062
    python3 bench/bench_kl_vs_wasserstein.py --repeat 3 --json out.json
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import time
from pathlib import Path

import _browser

sys.path.insert(0, str(_browser.ROOT))

HOOKS = r"""
() => {
  const doc = Bokeh.documents[0];
  const rec = window.__bench = {moves: [], paints: [], up: null, paint_ms: 0};
  const bump = doc.get_model_by_name("kvw_bump");
  const answer = doc.get_model_by_name("kvw_answer");
  const seen = new Set();
  const wrap = (v) => {
    if (!v || seen.has(v)) return;
    seen.add(v);
    if (v.frame && v.paint) {
      const paint = v.paint.bind(v);
      v.paint = (...a) => {
        const t0 = performance.now();
        const out = paint(...a);
        rec.paint_ms += performance.now() - t0;
        return out;
      };
    }
    for (const c of (v.child_views ?? [])) wrap(c);
  };
  for (const v of Object.values(Bokeh.index)) wrap(v);
  const centre = Math.floor(bump.data.x.length / 2);  // the ends may be clamped to the axis
  const shiftNow = () => bump.data.x[centre] - bump.data.x0[centre];
  document.addEventListener("pointermove", (e) => {
    if (!(e.buttons & 1)) return;
    const t = performance.now();
    // Bokeh's own handler runs after this capture listener; read the shift it set.
    setTimeout(() => {
      const move = {t, s: shiftNow(), frame: null};
      rec.moves.push(move);
      requestAnimationFrame(() => { move.frame = performance.now(); });
    }, 0);
  }, true);
  document.addEventListener("pointerup", () => { rec.up = performance.now(); }, true);
  answer.connect(answer.change, () => {
    const s = answer.data.shift[0];
    requestAnimationFrame(() => rec.paints.push({t: performance.now(), s}));
  });
}
"""


def one_drag(browser, base: str, duration_s: float) -> dict:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    received = {"bytes": 0}

    def on_frame(ev):
        data = ev["response"]["payloadData"]
        received["bytes"] += (
            len(base64.b64decode(data)) if ev["response"]["opcode"] == 2 else len(data.encode())
        )

    cdp.on("Network.webSocketFrameReceived", on_frame)
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/kl_vs_wasserstein?shift=-4&width=0.8&shape=tent&floor=0")
    page.wait_for_function(
        "() => window.Bokeh && Bokeh.documents.length > 0 && "
        "Bokeh.documents[0].get_model_by_name('kvw_answer')"
    )
    page.wait_for_function(f"() => ({_browser.DATA_TO_PAGE})(['kvw_top', 0, 0]) !== null")
    time.sleep(1.0)
    page.evaluate(HOOKS)
    x0, y0 = _browser.data_to_page(page, "kvw_top", -4.0, 0.15)
    x1, _ = _browser.data_to_page(page, "kvw_top", 4.0, 0.15)
    received["bytes"] = 0
    page.mouse.move(x0, y0)
    page.mouse.down()
    n = max(2, int(duration_s / 0.016))
    t_start = time.perf_counter()
    for i in range(1, n + 1):
        page.mouse.move(x0 + (x1 - x0) * i / n, y0)
        target = t_start + i * 0.016
        while time.perf_counter() < target:
            time.sleep(0.001)
    page.mouse.up()
    time.sleep(1.0)
    rec = page.evaluate("() => window.__bench")
    page.close()

    moves, paints = rec["moves"], rec["paints"]
    repaint = [m["frame"] - m["t"] for m in moves if m["frame"] is not None]
    # First move that produced each shift, and the first paint carrying it.
    first_move = {}
    for m in moves:
        first_move.setdefault(round(m["s"], 3), m["t"])
    latencies = []
    seen = set()
    for p in paints:
        key = round(p["s"], 3)
        if key in first_move and key not in seen:
            seen.add(key)
            latencies.append(p["t"] - first_move[key])
    final = round(moves[-1]["s"], 3) if moves else None
    catch_up = [p["t"] - rec["up"] for p in paints if round(p["s"], 3) == final and rec["up"]]
    return {
        "moves": len(moves),
        "updates": len(paints),
        "bump_repaint_ms": repaint,
        "drag_to_repaint_ms": latencies,
        "release_catch_up_ms": max(min(catch_up), 0.0) if catch_up else None,
        "bytes_per_update": received["bytes"] / max(1, len(paints)),
        "paint_ms_per_move": rec["paint_ms"] / max(1, len(moves)),
        "console_errors": errors,
    }


def server_side_costs() -> dict:
    """In-process: per-shift update (engine + Bokeh models) and a cold curve family."""
    from ot_engine import shift_family as sf
    from pages.kl_vs_wasserstein import KLvsWassersteinPage

    view = KLvsWassersteinPage()
    times = []
    for i in range(200):
        t = time.perf_counter()
        view.model.shift = -4 + 8 * i / 199
        times.append((time.perf_counter() - t) * 1e3)
    cold = {}
    for shape in sf.SHAPES:
        sf.shift_curves.cache_clear()
        t = time.perf_counter()
        sf.shift_curves(shape, 0.8123, 0.0)
        cold[shape] = (time.perf_counter() - t) * 1e3
    return {"shift_update_ms_median": statistics.median(times), "curves_cold_ms": cold}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", help="a running server (default: start serve.sh)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--duration", type=float, default=2.5, help="seconds per drag")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    load_before = os.getloadavg()
    with _browser.serving(args.url) as base, _browser.chromium() as browser:
        runs = [one_drag(browser, base, args.duration) for _ in range(args.repeat)]

    def pooled(key):
        return [v for r in runs for v in r[key]]

    lat = pooled("drag_to_repaint_ms")
    rep = pooled("bump_repaint_ms")
    summary = {
        "drag_to_repaint_median_ms": statistics.median(lat),
        "drag_to_repaint_p95_ms": _browser.percentile(lat, 0.95, rule="lower"),
        "bump_repaint_median_ms": statistics.median(rep),
        "release_catch_up_ms": [r["release_catch_up_ms"] for r in runs],
        "updates_per_drag": [r["updates"] for r in runs],
        "moves_per_drag": [r["moves"] for r in runs],
        "bytes_per_update": statistics.median(r["bytes_per_update"] for r in runs),
        "paint_ms_per_move": statistics.median(r["paint_ms_per_move"] for r in runs),
        "console_errors": [e for r in runs for e in r["console_errors"]],
        **server_side_costs(),
        "load_average_1_5_15_before_after": [load_before, os.getloadavg()],
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
