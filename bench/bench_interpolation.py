"""/interpolation: per-event server time against POT, and time-slider drag against an echo.

Two parts, measured in one run:

* server, in process, at n = 64, 128, 256 bins: McCann's interpolant on the grid
  (``displacement_1d``), one exact LP on the interpolant (``w2_lp``), one POT ``ot.emd2`` on
  the grid, and the whole model update for a new time ``t`` (the interpolant, the mixture and
  the five LPs of the readouts, plus the clouds' matching and four LPs), and for a bar event.
  Ratio: model update / one ``ot.emd2``.
* browser (headless Chromium, serve.sh on loopback, default view): a continuous drag of the
  time slider. ``drag_to_repaint``: pointer move to the first frame after the server's answer
  to the request that carried it (bars and readouts). ``clouds_repaint``: pointer move to the
  first frame after the browser moved the points (no round trip). ``echo``: requests the
  server answers without computing anything (an invalid time, refused by the parser), sent
  back to back: the floor of a round trip through the same flow and websocket.

Usage::

    python3 bench/bench_interpolation.py                 # starts serve.sh on a free port
    python3 bench/bench_interpolation.py --url http://127.0.0.1:5081 --json out.json
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path

import _browser
import _measure

sys.path.insert(0, str(_browser.ROOT))

# This bench's published figures are best of 15 runs of 1 call(s).
_best_ms = functools.partial(_measure.best_ms, repeat=15, number=1)


def server_costs() -> dict:
    import ot

    from ot_engine import cost_matrix, displacement_1d, uniform_grid, w2_lp
    from pages import interpolation as ip

    out = {}
    for n in (64, 128, 256):
        model = ip.Interpolation(n=n, preset="narrow to wide")
        x = uniform_grid(n)
        a, b = model.p / model.p.sum(), model.q / model.q.sum()
        C2 = cost_matrix(x, x, power=2)
        disp = displacement_1d(x, a, b, 0.37)
        row = {
            "atoms": int(disp.points.size),
            "displacement_1d_ms": _best_ms(lambda: displacement_1d(x, a, b, 0.37)),  # noqa: B023
            "lp_on_interpolant_ms": _best_ms(
                lambda: w2_lp(x, a, disp.points, disp.mass)  # noqa: B023
            ),
            "pot_emd2_grid_ms": _best_ms(lambda: ot.emd2(a, b, C2)),  # noqa: B023
        }

        def time_event(model=model, count=[0]):  # noqa: B006
            count[0] += 1
            model.t = 0.25 if count[0] % 2 else 0.75

        def bar_event(model=model, k=n // 2, count=[0]):  # noqa: B006
            count[0] += 1
            h = model.p.copy()
            h[k] = 0.5 if count[0] % 2 else 0.25
            model.p = h

        row["model_time_event_ms"] = _best_ms(time_event)
        row["model_bar_event_ms"] = _best_ms(bar_event)
        row["time_event_over_one_emd2"] = round(
            row["model_time_event_ms"] / row["pot_emd2_grid_ms"], 1
        )
        out[n] = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}
    return out


HOOKS = r"""
() => {
  const doc = Bokeh.documents[0];
  const rec = window.__bench = {moves: [], sends: [], moved: [], answers: []};
  const request = doc.get_model_by_name("interp_t");
  const moving = doc.get_model_by_name("interp_moving");
  const answer = doc.get_model_by_name("interp_answer");
  document.addEventListener("pointermove", (e) => {
    if (e.buttons) rec.moves.push(performance.now());
  }, true);
  request.properties.data.change.connect(() => rec.sends.push(performance.now()));
  moving.properties.data.change.connect(() => {
    requestAnimationFrame(() => rec.moved.push(performance.now()));
  });
  answer.properties.data.change.connect(() => {
    requestAnimationFrame(() => rec.answers.push(performance.now()));
  });
  return true;
}
"""
RESET = "() => { const r = window.__bench; for (const k in r) r[k].length = 0; }"
ECHO = r"""
async (count) => {
  const doc = Bokeh.documents[0];
  const request = doc.get_model_by_name("interp_t");
  const answer = doc.get_model_by_name("interp_answer");
  const out = [];
  for (let k = 0; k < count; k++) {
    const seq = answer.data.seq[0];
    const t0 = performance.now();
    request.data = {t: ["echo" + k]};  // refused by the parser: answered with no work
    while (answer.data.seq[0] === seq) { await new Promise((r) => setTimeout(r, 1)); }
    await new Promise((r) => requestAnimationFrame(r));
    out.push(performance.now() - t0);
  }
  return out;
}
"""


def browser_latency(base: str, seconds: float) -> dict:
    with _browser.chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(base + "/interpolation")
        page.wait_for_function(
            "() => window.Bokeh && Bokeh.documents.length > 0 && "
            "Bokeh.documents[0].get_model_by_name('interp_answer') != null"
        )
        page.wait_for_timeout(1500)
        page.evaluate(HOOKS)
        (hx, hy), (left, _right) = page.evaluate(
            """() => { for (const v of Bokeh.index.all_views())
                 if (v.model.name === 'interp_t_slider') {
                   const r = v.el.shadowRoot.querySelector('.noUi-handle').getBoundingClientRect();
                   const b = v.el.shadowRoot.querySelector('.noUi-base').getBoundingClientRect();
                   return [[r.x + r.width / 2, r.y + r.height / 2], [b.x, b.x + b.width]]; }
               return null; }"""
        )
        page.evaluate(RESET)
        page.mouse.move(hx, hy)
        page.mouse.down()
        t0 = time.monotonic()
        while time.monotonic() < t0 + seconds:
            s = (time.monotonic() - t0) / seconds * 2
            frac = s if s < 1 else 2 - s  # to the left end and back
            page.mouse.move(hx + frac * (left + 2 - hx), hy)
            page.wait_for_timeout(12)
        page.mouse.up()
        page.wait_for_timeout(800)
        rec = page.evaluate("() => window.__bench")
        moved, answers = [], []
        for t in rec["moves"]:
            m = _measure.first_after(rec["moved"], t)
            if m is not None:
                moved.append(m - t)
            sent = _measure.first_after(rec["sends"], t)
            a = _measure.first_after(rec["answers"], sent) if sent is not None else None
            if a is not None:
                answers.append(a - t)
        out = {
            "moves": len(rec["moves"]),
            "requests": len(rec["sends"]),
            "clouds_repaint": _measure.latency_summary(moved),
            "drag_to_repaint": _measure.latency_summary(answers),
            "echo": _measure.latency_summary(page.evaluate(ECHO, 60)),
        }
        med = out["drag_to_repaint"].get("median_ms")
        floor = out["echo"].get("median_ms")
        if med and floor:
            out["drag_over_echo"] = round(med / floor, 2)
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (default: start serve.sh)")
    parser.add_argument("--seconds", type=float, default=2.5, help="length of the drag")
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
