"""/monge_kantorovich: solve time per event against POT's emd, and drag-to-repaint latency.

In-process (one run, same inputs, ratios measured side by side):

* ``pot_emd_us``: POT's network simplex alone (``ot.emd``) on the event's atoms;
* ``exact_us``: :func:`ot_engine.exact` (emd plus potentials, checks, record);
* ``monge_us``: :func:`ot_engine.monge_map` (the exact search over maps);
* ``solve_us``: the page's whole solve (both, plus costs);
* ``event_us``: the page's whole answer to an event (solve, curves, readouts, verdict), built
  without a server;

for the four presets and for random 8 x 8 atoms (equal masses: the most maps, 8! = 40 320;
masses on a 0.05 grid: the most subset sums to check).

In Chromium (``--drag``): Playwright drags the first source atom for ``--duration`` seconds (a
move every ~16 ms) and the page records, in the browser, the time from the pointer move that
produced a position to the first animation frame after the server's plan for that position
arrived (flow control, compute, websocket both ways, paint), and the atom's repaint (pointer
move to next frame; no round trip).

Usage::

    python3 bench/bench_monge_kantorovich.py            # in-process only (seconds)
    python3 bench/bench_monge_kantorovich.py --drag     # also the browser drag (starts serve.sh)
    python3 bench/bench_monge_kantorovich.py --drag --url http://127.0.0.1:5062
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import _browser
import _measure
import numpy as np

sys.path.insert(0, str(_browser.ROOT))


def _timed(fn, repeat: int) -> float:
    """Median microseconds of ``fn()`` over ``repeat`` calls (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e6)
    return statistics.median(times)


def cases() -> dict[str, tuple]:
    from pages.monge_kantorovich import PRESETS

    rng = np.random.default_rng(0)
    out = {name: tuple(map(np.array, atoms)) for name, atoms in PRESETS.items()}
    x, y = rng.random(8), rng.random(8)
    out["8x8 equal"] = (x, np.full(8, 0.5), y, np.full(8, 0.5))
    out["8x8 grid masses"] = (
        x,
        rng.integers(1, 21, 8) * 0.05,
        y,
        rng.integers(1, 21, 8) * 0.05,
    )
    return out


def in_process(repeat: int) -> dict:
    import ot

    from ot_engine import cost_matrix, exact, monge_map
    from pages import monge_kantorovich as mk

    rows = {}
    for name, (x, w, y, v) in cases().items():
        a, b = w / w.sum(), v / v.sum()
        C = cost_matrix(x, y, power=2)
        view = mk.MongeKantorovichPage(mk.AtomsModel(preset="custom"), embed=False)
        flip = [0]

        def event(view=view, x=x, w=w, y=y, v=v, flip=flip):
            # Alternate two positions so every call really solves.
            flip[0] ^= 1
            xs = tuple(np.clip(x + 0.001 * flip[0], 0, 1))
            view.model.set_atoms(xs, tuple(w), tuple(y), tuple(v))

        row = {
            "pot_emd_us": _timed(lambda a=a, b=b, C=C: ot.emd(a, b, C), repeat),
            "exact_us": _timed(lambda a=a, b=b, C=C: exact(a, b, C), repeat),
            "monge_us": _timed(lambda a=a, b=b, C=C: monge_map(a, b, C), repeat),
            "solve_us": _timed(lambda x=x, w=w, y=y, v=v: mk.solve(x, w, y, v, 2), repeat),
            "event_us": _timed(event, max(20, repeat // 10)),
            "maps": monge_map(a, b, C).n_maps,
        }
        row["solve_over_pot_emd"] = row["solve_us"] / row["pot_emd_us"]
        rows[name] = {k: round(val, 2) if isinstance(val, float) else val for k, val in row.items()}
    return rows


HOOKS = r"""
() => {
  const doc = Bokeh.documents[0];
  const rec = window.__bench = {moves: [], paints: [], up: null};
  const atoms = doc.get_model_by_name("mk_atoms");
  const plan = doc.get_model_by_name("mk_plan");
  const answer = doc.get_model_by_name("mk_answer");
  document.addEventListener("pointermove", (e) => {
    if (!(e.buttons & 1)) return;
    const t = performance.now();
    setTimeout(() => {  // after Bokeh's own handler moved the atom
      const move = {t, x: atoms.data.x[0], frame: null};
      rec.moves.push(move);
      requestAnimationFrame(() => { move.frame = performance.now(); });
    }, 0);
  }, true);
  document.addEventListener("pointerup", () => { rec.up = performance.now(); }, true);
  answer.connect(answer.change, () => {
    // The server's plan, written before its answer: the position it was solved for.
    const k = Array.from(plan.data.src).indexOf(0);
    const x = k >= 0 ? plan.data.x0[k] : null;
    requestAnimationFrame(() => rec.paints.push({t: performance.now(), x}));
  });
}
"""


def one_drag(browser, base: str, duration_s: float) -> dict:
    from pages.monge_kantorovich_plots import BASE_S, HEIGHT

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(base + "/monge_kantorovich?preset=equal")
    page.wait_for_function(
        "() => window.Bokeh && Bokeh.documents.length > 0 && "
        "Bokeh.documents[0].get_model_by_name('mk_answer')"
    )
    page.wait_for_function(f"() => ({_browser.DATA_TO_PAGE})(['mk_figure', 0, 0]) !== null")
    time.sleep(1.0)
    page.evaluate(HOOKS)
    x0, y0 = _browser.data_to_page(page, "mk_figure", 0.1, BASE_S + HEIGHT * 0.5)
    x1, _ = _browser.data_to_page(page, "mk_figure", 0.9, 0)
    page.mouse.move(x0, y0)
    page.mouse.down()
    n = max(2, int(duration_s / 0.016))
    t_start = time.perf_counter()
    for i in range(1, n + 1):
        page.mouse.move(x0 + (x1 - x0) * i / n, y0)
        while time.perf_counter() < t_start + i * 0.016:
            time.sleep(0.001)
    page.mouse.up()
    time.sleep(1.0)
    rec = page.evaluate("() => window.__bench")
    page.close()
    moves, paints = rec["moves"], rec["paints"]
    first_move = {}
    for m in moves:
        first_move.setdefault(round(m["x"], 3), m["t"])
    latencies, seen = [], set()
    for p in paints:
        key = None if p["x"] is None else round(p["x"], 3)
        if key in first_move and key not in seen:
            seen.add(key)
            latencies.append(p["t"] - first_move[key])
    return {
        "moves": len(moves),
        "answers": len(paints),
        "atom_repaint_ms": [m["frame"] - m["t"] for m in moves if m["frame"] is not None],
        "drag_to_repaint_ms": latencies,
        "console_errors": errors,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=200, help="calls per in-process timing")
    ap.add_argument("--drag", action="store_true", help="also drag in Chromium")
    ap.add_argument("--url", help="a running server (default: start serve.sh)")
    ap.add_argument("--runs", type=int, default=2, help="drags")
    ap.add_argument("--duration", type=float, default=2.0, help="seconds per drag")
    args = ap.parse_args()
    out = {
        "cpu": _measure.cpu(),
        "load_before": os.getloadavg(),
        "in_process": in_process(args.repeat),
    }
    if args.drag:
        with _browser.serving(args.url) as base, _browser.chromium() as browser:
            runs = [one_drag(browser, base, args.duration) for _ in range(args.runs)]
        lat = [v for r in runs for v in r["drag_to_repaint_ms"]]
        rep = [v for r in runs for v in r["atom_repaint_ms"]]
        out["drag"] = {
            "drag_to_repaint_median_ms": round(statistics.median(lat), 1),
            "drag_to_repaint_p95_ms": round(_browser.percentile(lat, 0.95, rule="lower"), 1),
            "atom_repaint_median_ms": round(statistics.median(rep), 1),
            "moves_answers_per_drag": [(r["moves"], r["answers"]) for r in runs],
            "console_errors": [e for r in runs for e in r["console_errors"]],
        }
    out["load_after"] = os.getloadavg()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
