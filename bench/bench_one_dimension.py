"""/one_dimension: per-event server time against the LP, and drag-to-repaint against an echo.

Two parts, measured in one run:

* server, in process: the work of one bar event at n = 64, 128, 256 bins, for orders 2 and
  inf: the quantile formula (``ot_engine.transport_1d``), the LP the page shows beside it
  (``ot_engine.exact``, or ``bottleneck_lp`` for inf), POT (``ot.emd2``, ``ot.wasserstein_1d``)
  and the whole model update (both, as the page does). Ratios: LP / quantile formula.
* browser (headless Chromium, serve.sh on loopback, n = 128, order 2): a continuous drag of
  p's bars. ``curves_repaint``: pointer move to the first frame after the browser redrew its
  CDFs (no round trip). ``drag_to_repaint``: pointer move to the first frame after the server's
  answer to the sync that carried it (readouts). ``echo``: the same measure for the level
  slider's requests, which the server answers without solving anything (a readout line): the
  floor of a round trip through the same flow and websocket.

Usage::

    python3 bench/bench_one_dimension.py                 # starts serve.sh on a free port
    python3 bench/bench_one_dimension.py --url http://127.0.0.1:5081 --json out.json
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import sys
import time
from pathlib import Path

import _browser
import _measure

sys.path.insert(0, str(_browser.ROOT))

# This bench's published figures are best of 7 runs of 5 call(s).
_best_ms = functools.partial(_measure.best_ms, repeat=7, number=5)

QUERY = "?n=128&order=2"


def server_costs() -> dict:
    import ot

    from ot_engine import bottleneck_lp, cost_matrix, exact, transport_1d, uniform_grid
    from pages import one_dimension as od

    out = {}
    for n in (64, 128, 256):
        model = od.OneDimension(n=n)
        x = uniform_grid(n)
        p, q = model.p, model.q
        a, b = p / p.sum(), q / q.sum()
        D = cost_matrix(x, x, power=1)
        C2 = D**2
        w_inf = transport_1d(x, p, x, q, order=math.inf).w_inf
        row = {
            "quantile_w2_ms": _best_ms(lambda: transport_1d(x, p, x, q, order=2)),  # noqa: B023
            "lp_w2_ms": _best_ms(lambda: exact(a, b, C2)),  # noqa: B023
            "pot_emd2_ms": _best_ms(lambda: ot.emd2(a, b, C2)),  # noqa: B023
            "pot_wasserstein_1d_ms": _best_ms(
                lambda: ot.wasserstein_1d(x, x, a, b, p=2)  # noqa: B023
            ),
            "quantile_inf_ms": _best_ms(
                lambda: transport_1d(x, p, x, q, order=math.inf)  # noqa: B023
            ),
            "lp_inf_ms": _best_ms(
                lambda: bottleneck_lp(a, b, D, hint=w_inf),  # noqa: B023
                repeat=3,
            ),
        }

        def event(model=model, p=p, k=n // 2, count=[0]):  # noqa: B006
            # alternate one bar between two heights: every call is a new state
            count[0] += 1
            h = p.copy()
            h[k] = 0.5 if count[0] % 2 else 0.25
            model.p = h

        row["model_update_w2_ms"] = _best_ms(event)
        row["lp_over_quantile_w2"] = round(row["lp_w2_ms"] / row["quantile_w2_ms"], 1)
        row["lp_over_quantile_inf"] = round(row["lp_inf_ms"] / row["quantile_inf_ms"], 1)
        out[n] = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}
    return out


HOOKS = r"""
() => {
  const doc = Bokeh.documents[0];
  const rec = window.__bench = {moves: [], syncs: [], curves: [], answers: [], levels: []};
  const p = doc.get_model_by_name("od_p");
  const cdf = doc.get_model_by_name("od_cdf");
  const level = doc.get_model_by_name("od_level");
  const answer = doc.get_model_by_name("od_answer");
  document.addEventListener("pointermove", (e) => {
    if (e.buttons) rec.moves.push(performance.now());
  }, true);
  p.properties.data.change.connect(() => rec.syncs.push(performance.now()));
  level.properties.data.change.connect(() => rec.levels.push(performance.now()));
  cdf.properties.data.change.connect(() => {
    requestAnimationFrame(() => rec.curves.push(performance.now()));
  });
  answer.properties.data.change.connect(() => {
    requestAnimationFrame(() => rec.answers.push(performance.now()));
  });
  return true;
}
"""
RESET = "() => { const r = window.__bench; for (const k in r) r[k].length = 0; }"


def _drag(page, figure: str, seconds: float, y_lo: float, y_hi: float) -> None:
    x0, y0 = _browser.data_to_page(page, figure, 0.05, y_lo)
    x1, y1 = _browser.data_to_page(page, figure, 0.95, y_hi)
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


def browser_latency(base: str, seconds: float) -> dict:
    with _browser.chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(base + "/one_dimension" + QUERY)
        page.wait_for_function(
            "() => window.Bokeh && Bokeh.documents.length > 0 && "
            "Bokeh.documents[0].get_model_by_name('od_answer') != null"
        )
        page.wait_for_timeout(1000)
        page.evaluate(HOOKS)
        # bars: pointer move -> browser curves painted, and -> server answer painted
        page.evaluate(RESET)
        _drag(page, "od_p_fig", seconds, 0.2, 0.8)
        rec = page.evaluate("() => window.__bench")
        curves, answers = [], []
        for t in rec["moves"]:
            c = _measure.first_after(rec["curves"], t)
            if c is not None:
                curves.append(c - t)
            sync = _measure.first_after(rec["syncs"], t)
            a = _measure.first_after(rec["answers"], sync) if sync is not None else None
            if a is not None:
                answers.append(a - t)
        drag = {
            "moves": len(rec["moves"]),
            "syncs": len(rec["syncs"]),
            "curves_repaint": _measure.latency_summary(curves),
            "drag_to_repaint": _measure.latency_summary(answers),
        }
        # echo floor: the level slider's requests are answered without a solve
        page.evaluate(RESET)
        (hx, hy), (left, _right) = page.evaluate(
            """() => { for (const v of Bokeh.index.all_views())
                 if (v.model.name === 'od_level_slider') {
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
        rec = page.evaluate("() => window.__bench")
        echo = []
        for t in rec["moves"]:
            sent = _measure.first_after(rec["levels"], t)
            a = _measure.first_after(rec["answers"], sent) if sent is not None else None
            if a is not None:
                echo.append(a - t)
        drag["echo"] = _measure.latency_summary(echo)
        med = drag["drag_to_repaint"].get("median_ms")
        floor = drag["echo"].get("median_ms")
        if med and floor:
            drag["drag_over_echo"] = round(med / floor, 2)
        return drag


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
