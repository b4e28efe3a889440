"""/sinkhorn: server time per event, half-step recompute time, engine against POT, and the
drag-to-repaint latency in headless Chromium beside /transport_plan's (same run, same server).

Run from the repository root:

    python3 bench/bench_sinkhorn_steps.py              # everything (starts serve.sh itself)
    python3 bench/bench_sinkhorn_steps.py --no-browser # in-process figures only

In-process (no server; the page's own objects, answers included):

* ``bar event``: one bar change through the page's flow (both iterations up to the half-step
  shown, at least 24, the converged reference warm-started, every figure and table updated),
  median over repeats;
* ``records``: the worker's job after it: both records of 400 half-steps (fewer once
  converged to 1e-13) for the error curve and the iteration count;
* ``step event``: one half-step forward (plans of that state recomputed from the nearest
  checkpoint, both heat maps and the table updated);
* ``sweep``: the worker's job after a bar change (six ε, up to 1000 iterations each);
* engine against POT on the same problem: 400 half-steps recorded by ``sinkhorn_steps``
  (log, plain) against 200 iterations of POT's ``sinkhorn_log`` / ``sinkhorn``
  (``stopThr=0``: exactly 200 iterations, no recording).

In the browser: a 2.5 s mouse drag over p's bars (a move every ~16 ms). For each server answer,
the time from the first pointer move it answers to the next animation frame after it arrived;
the same drag on /transport_plan (128 bins, ε = 1e-3) in the same run is the budget.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from functools import partial

import _browser
import _measure
import numpy as np

sys.path.insert(0, str(_browser.ROOT))

import ot

from ot_engine import cost_matrix, uniform_grid
from ot_engine.sinkhorn_steps import sinkhorn_steps


def timed(fn, repeat: int) -> float:
    """Median CPU time of ``fn()`` in ms (this process; on the shared 2-core machine the wall
    time mostly measures the other work waiting for a core)."""
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(1000 * (time.process_time() - t0))
    return statistics.median(times)


def _bar_event(page, rng) -> None:
    p = page.model.p.copy()
    p[rng.integers(p.size)] = float(f"{rng.random():.4g}")
    page.flow.submit(p=p)


def _step_event(page, max_steps: int) -> None:
    page.move(+1 if page.model.step < max_steps else -max_steps)


def in_process(repeat: int) -> None:
    import pages.sinkhorn as sk

    print("\n== in-process, per event (median CPU ms) ==")
    print(
        f"{'n':>4} {'eps/maxC':>9} {'bar event':>10} {'step event':>11} {'records':>9} "
        f"{'sweep':>8}   (records and sweep: worker jobs)"
    )
    for n in (32, 64):
        for eps in (0.01, 1e-3, 1e-4):
            page = sk.SinkhornPage(sk.SinkhornModel(n=n, eps=eps, step=5), embed=False)
            # The worker's jobs are timed on their own, below.
            page._sweep.submit = page._records.submit = lambda fn: None
            m = page.model
            bar = timed(partial(_bar_event, page, np.random.default_rng(0)), repeat)
            records = timed(m.full_run(), repeat)
            sweep = timed(partial(sk.run_sweep, m.p, m.q, n), max(1, repeat // 3))
            m.accept_run(m.full_run()())
            step = timed(partial(_step_event, page, sk.MAX_STEPS), 5 * repeat)
            print(f"{n:>4} {eps:>9.0e} {bar:>10.1f} {step:>11.2f} {records:>9.1f} {sweep:>8.0f}")


def transport_plan_budget(repeat: int) -> None:
    """The same bar event on /transport_plan (its default 64 bins and 128), in this run: the
    budget the issue sets."""
    import pages.transport_plan as tp

    print("\n== /transport_plan, in-process bar event (median CPU ms), the budget ==")
    for n in (64, 128):
        page = tp.TransportPlanPage(tp.TransportPlan(n=n, eps=1e-3), embed=False)
        bar = timed(partial(_bar_event, page, np.random.default_rng(0)), repeat)
        print(f"{n:>4} {1e-3:>9.0e} {bar:>10.1f}")


def against_pot(repeat: int) -> None:
    from ot_engine.histograms import preset_pair

    print("\n== engine against POT: 400 half-steps recorded vs 200 POT iterations (CPU ms) ==")
    print(f"{'n':>4} {'eps/maxC':>9} {'steps log':>10} {'POT log':>8} {'ratio':>6} "
          f"{'steps plain':>12} {'POT plain':>10} {'ratio':>6}")  # fmt: skip
    for n in (32, 64):
        p, q = preset_pair("two Gaussians", n)
        a, b = p / p.sum() + 1e-12, q / q.sum() + 1e-12  # POT's log of 0 would be -inf
        a, b = a / a.sum(), b / b.sum()
        x = uniform_grid(n)
        C = cost_matrix(x, x)
        for eps in (0.01, 1e-3):
            reg = eps * C.max()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s_log = timed(partial(sinkhorn_steps, a, b, C, reg, half_steps=400), repeat)
                p_log = timed(
                    partial(
                        ot.sinkhorn, a, b, C, reg, method="sinkhorn_log", numItermax=200,
                        stopThr=0.0,
                    ),
                    repeat,
                )  # fmt: skip
                s_pl = timed(
                    partial(sinkhorn_steps, a, b, C, reg, domain="plain", half_steps=400), repeat
                )
                p_pl = timed(
                    partial(ot.sinkhorn, a, b, C, reg, numItermax=200, stopThr=0.0), repeat
                )
            print(f"{n:>4} {eps:>9.0e} {s_log:>10.1f} {p_log:>8.1f} {s_log / p_log:>6.2f} "
                  f"{s_pl:>12.1f} {p_pl:>10.1f} {s_pl / p_pl:>6.2f}")  # fmt: skip


HOOKS = r"""
([answer_name]) => {
  const rec = window.__bench = {moves: [], answers: []};
  window.addEventListener("pointermove", () => rec.moves.push(performance.now()), true);
  const answer = Bokeh.documents[0].get_model_by_name(answer_name);
  answer.connect(answer.change, () => {
    const t = performance.now();
    requestAnimationFrame(() => rec.answers.push([t, performance.now()]));
  });
}
"""


def one_drag(browser, base: str, path: str, answer: str, fig: str, duration_s: float) -> list:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base + path)
    page.wait_for_function(
        f"() => window.Bokeh && Bokeh.documents.length && "
        f"Bokeh.documents[0].get_model_by_name('{answer}') != null",
        timeout=60_000,
    )
    page.wait_for_function(
        f"() => [...Bokeh.index.all_views()].some(v => v.model.name === '{fig}' && v.frame)"
    )
    # Let the page settle: the first sweep (a worker job) and, on a loaded machine, the
    # histograms' browser code (set up once the figure has a size).
    page.wait_for_timeout(4000)
    page.evaluate(HOOKS, [answer])
    x0, y0 = _browser.data_to_page(page, fig, 0.05, 0.2)
    x1, _ = _browser.data_to_page(page, fig, 0.95, 0.2)
    _, ytop = _browser.data_to_page(page, fig, 0.5, 0.9)
    page.mouse.move(x0, y0)
    page.mouse.down()
    moves = int(duration_s / 0.016)
    for k in range(moves):
        t = k / moves
        page.mouse.move(x0 + (x1 - x0) * t, y0 + (ytop - y0) * (0.5 + 0.5 * np.sin(12 * t)))
        page.wait_for_timeout(16)
    page.mouse.up()
    page.wait_for_timeout(1500)
    rec = page.evaluate("() => window.__bench")
    page.close()
    # Each answer answers the pointer moves since the previous answer's arrival: latency from
    # the first of them to the frame after the answer.
    lat, last = [], -1.0
    for arrived, painted in rec["answers"]:
        pending = [t for t in rec["moves"] if last < t < arrived]
        if pending:
            lat.append(painted - pending[0])
        last = arrived
    return lat


def browser_drag(repeat: int, url: str | None) -> None:
    print("\n== browser: drag-to-repaint per answer (ms) ==")
    with _browser.serving(url) as base, _browser.chromium() as browser:
        for path, answer, fig in (
            ("/sinkhorn?n=32&eps=0.01&step=5", "sk_answer", "sk_p_fig"),
            ("/sinkhorn?n=64&eps=0.001&step=5", "sk_answer", "sk_p_fig"),
            ("/transport_plan?n=128&eps=0.001", "tp_answer", "tp_p_fig"),
        ):
            lat = []
            for _ in range(repeat):
                lat += one_drag(browser, base, path, answer, fig, 2.5)
            med = statistics.median(lat) if lat else float("nan")
            p95 = _browser.percentile(lat, 0.95) if lat else float("nan")
            print(f"{path:<36} answers {len(lat):>4}  median {med:6.1f}  p95 {p95:6.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--browser-only", action="store_true")
    parser.add_argument("--url", help="an already running server (else serve.sh is started)")
    args = parser.parse_args()
    print("CPU:", _measure.cpu_line())
    print("numpy", np.__version__, "POT", ot.__version__, "load average", os.getloadavg())
    if not args.browser_only:
        in_process(args.repeat)
        transport_plan_budget(args.repeat)
        against_pot(args.repeat)
    if not args.no_browser:
        browser_drag(max(1, args.repeat // 9), args.url)
    print("load average after", os.getloadavg())


if __name__ == "__main__":
    main()
