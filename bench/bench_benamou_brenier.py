"""/benamou_brenier: per-event server time against POT, drag-to-repaint against an echo, play.

Three parts, measured in one run:

* server, in process (best of 5 x 3 calls), n = 64 bins, the page's default preset: the exact
  displacement (``ot_engine.density_flow_1d``, W2^2 by the quantile formula), the whole bar
  event as the page handles it (both grids, for each grid choice), and POT's
  ``ot.wasserstein_1d`` on the bins split into 64 atoms (what one would call to get the same
  W2^2 of the densities with POT); the Gaussians' update (closed form and two grids) against
  ``ot.gaussian.bures_wasserstein_distance``.
* browser (headless Chromium, serve.sh on loopback, default view: n = 64, grid 64): a
  continuous drag of p's bars; ``drag_to_repaint``: pointer move to the first frame after the
  server's answer to the sync that carried it. ``echo``: the same for the time slider's
  handle, whose requests the server answers without solving (it only reads the frame out):
  the floor of a round trip through the same flow and websocket.
* play: the browser alone draws every frame; frames drawn per second during a 4 s play, and
  the time requests sent to the server meanwhile (one, when the play ends).

Usage::

    python3 bench/bench_benamou_brenier.py                 # starts serve.sh on a free port
    python3 bench/bench_benamou_brenier.py --url http://127.0.0.1:5081 --json out.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import _browser
import _measure

sys.path.insert(0, str(_browser.ROOT))


def server_costs() -> dict:
    import numpy as np
    import ot

    from ot_engine.dynamic import density_flow_1d
    from pages import benamou_brenier as bb

    out: dict = {}
    model = bb.BenamouBrenier(n=64)
    p, q = model.p.copy(), model.q.copy()
    x = (np.arange(64 * 64) + 0.5) / (64 * 64)
    a, b = np.repeat(p / p.sum() / 64, 64), np.repeat(q / q.sum() / 64, 64)
    out["exact_displacement_ms"] = _measure.best_ms(lambda: density_flow_1d(p, q))
    out["pot_split_bins_ms"] = _measure.best_ms(lambda: ot.wasserstein_1d(x, x, a, b, p=2))
    for grid in bb.GRIDS:
        model.grid = grid
        count = [0]

        def event(count=count):
            count[0] += 1  # alternate one bar: every call is a new state
            h = p.copy()
            h[32] = 0.5 if count[0] % 2 else 0.25
            model.p = h

        out[f"bar_event_grid{grid}_ms"] = _measure.best_ms(event)
    out["bar_event_over_pot_grid64"] = round(
        out["bar_event_grid64_ms"] / out["pot_split_bins_ms"], 2
    )
    S0, S1 = 0.36 * np.eye(2), bb.target_covariance(1.2, 0.4, 30.0)
    m1 = np.array([2.0, 1.0])
    out["gauss_update_ms"] = _measure.best_ms(lambda: bb.solve_gauss(2.0, 1.0, 0.6, 1.2, 0.4, 30.0))
    out["pot_bures_ms"] = _measure.best_ms(
        lambda: ot.gaussian.bures_wasserstein_distance(np.zeros(2), m1, S0, S1)
    )
    return out


HOOKS = r"""
() => {
  const doc = Bokeh.documents[0];
  const rec = window.__bench = {moves: [], syncs: [], answers: [], times: [], frames: []};
  const p = doc.get_model_by_name("bb_p");
  const req = doc.get_model_by_name("bb_time");
  const answer = doc.get_model_by_name("bb_answer");
  const frame = doc.get_model_by_name("bb_frame");
  document.addEventListener("pointermove", (e) => {
    if (e.buttons) rec.moves.push(performance.now());
  }, true);
  p.properties.data.change.connect(() => rec.syncs.push(performance.now()));
  req.properties.data.change.connect(() => rec.times.push(performance.now()));
  frame.properties.data.change.connect(() => rec.frames.push(performance.now()));
  answer.properties.data.change.connect(() => {
    requestAnimationFrame(() => rec.answers.push(performance.now()));
  });
  return true;
}
"""
RESET = "() => { const r = window.__bench; for (const k in r) r[k].length = 0; }"


def _latencies(rec: dict, sent_key: str) -> list[float]:
    out = []
    for t in rec["moves"]:
        sent = _measure.first_after(rec[sent_key], t)
        a = _measure.first_after(rec["answers"], sent) if sent is not None else None
        if a is not None:
            out.append(a - t)
    return out


def _drag_bars(page, seconds: float) -> None:
    x0, y0 = _browser.data_to_page(page, "bb_p_fig", 0.05, 0.2)
    x1, y1 = _browser.data_to_page(page, "bb_p_fig", 0.95, 0.8)
    page.mouse.move(x0, y0)
    page.mouse.down()
    t_end = time.monotonic() + seconds
    k = 0
    while time.monotonic() < t_end:
        k += 1
        s = (k % 120) / 120
        frac = s * 2 if s < 0.5 else 2 - s * 2
        page.mouse.move(x0 + frac * (x1 - x0), y0 + (y1 - y0) * ((k // 7) % 2))
        page.wait_for_timeout(12)
    page.mouse.up()
    page.wait_for_timeout(600)


def _drag_time_handle(page, seconds: float) -> None:
    (hx, hy), (left, _right) = page.evaluate(
        """() => { for (const v of Bokeh.index.all_views())
             if (v.model.name === 'bb_time_slider') {
               const r = v.el.shadowRoot.querySelector('.noUi-handle').getBoundingClientRect();
               const b = v.el.shadowRoot.querySelector('.noUi-base').getBoundingClientRect();
               return [[r.x + r.width / 2, r.y + r.height / 2], [b.x, b.x + b.width]]; }
           return null; }"""
    )
    page.mouse.move(hx, hy)
    page.mouse.down()
    t0 = time.monotonic()
    while time.monotonic() < t0 + seconds:
        s = (time.monotonic() - t0) / seconds * 2
        frac = s if s < 1 else 2 - s
        page.mouse.move(hx + frac * (left + 2 - hx), hy)
        page.wait_for_timeout(12)
    page.mouse.up()
    page.wait_for_timeout(600)


def browser_latency(base: str, seconds: float) -> dict:
    with _browser.chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(base + "/benamou_brenier")
        page.wait_for_function(
            "() => window.Bokeh && Bokeh.documents.length > 0 && "
            "Bokeh.documents[0].get_model_by_name('bb_answer') != null"
        )
        page.wait_for_timeout(1000)
        page.evaluate(HOOKS)
        page.evaluate(RESET)
        _drag_bars(page, seconds)
        rec = page.evaluate("() => window.__bench")
        out = {
            "moves": len(rec["moves"]),
            "syncs": len(rec["syncs"]),
            "drag_to_repaint": _measure.latency_summary(_latencies(rec, "syncs")),
        }
        page.evaluate(RESET)
        _drag_time_handle(page, seconds)
        rec = page.evaluate("() => window.__bench")
        out["echo"] = _measure.latency_summary(_latencies(rec, "times"))
        med, floor = out["drag_to_repaint"].get("median_ms"), out["echo"].get("median_ms")
        if med and floor:
            out["drag_over_echo"] = round(med / floor, 2)
        # play: every frame drawn by the browser, no request until the end
        page.evaluate("() => { const s = [...Bokeh.index.all_views()].find("
                      "v => v.model.name === 'bb_time_slider'); s.model.value = 0; }")  # fmt: skip
        page.wait_for_timeout(500)
        page.evaluate(RESET)
        page.get_by_role("button", name="▶ Play").click()
        page.wait_for_timeout(4600)
        rec = page.evaluate("() => window.__bench")
        frames = rec["frames"]
        span = (frames[-1] - frames[0]) / 1000 if len(frames) > 1 else 0
        out["play"] = {
            "frames": len(frames),
            "frames_per_s": round((len(frames) - 1) / span, 1) if span else 0,
            "time_requests_sent": len(rec["times"]),
        }
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (default: start serve.sh)")
    parser.add_argument("--seconds", type=float, default=2.5, help="length of each drag")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    result = {"cpu": _measure.cpu(), "load_avg_1min_before": round(_browser.load_average(), 2)}
    result["server"] = server_costs()
    with _browser.serving(args.url) as base:
        result["browser"] = browser_latency(base, args.seconds)
    result["load_avg_1min_after"] = round(_browser.load_average(), 2)
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
