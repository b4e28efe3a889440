"""Speed of the flow-matching engine and page, measured in one run.

Usage::

    OPENBLAS_NUM_THREADS=1 python3 bench/bench_flow_matching.py            # ~2 minutes
    OPENBLAS_NUM_THREADS=1 python3 bench/bench_flow_matching.py --no-browser

What it measures (median of ``--repeats`` runs, milliseconds):

* **Engine vs POT.** The minibatch OT pairing with one minibatch (``linear_sum_assignment``)
  against ``ot.emd`` on uniform weights, and ``empirical_w2`` against ``ot.emd2``, at the
  page's sizes; the costs are printed (they agree).
* **Crossings**: every pair of paths tested, at n = 128 and 256.
* **Page, per event** (server side, no browser): a new k (a lookup: samples, curve marker,
  readouts) and a new setting (clouds, OT pairing, crossings, repaint of the paths; the fit
  is queued for the worker and not counted); and the **background fit** of both pairings
  (two ridge fits, 2 x 20 Euler integrations and 2 x 20 exact W2) that follows a new setting.
* **Browser** (headless Chromium, serve.sh on loopback): a key press on the k slider to the
  samples repainted with the new k (the browser's own answer, from every k's samples sent
  once per fit), against the echo floor of the same event: the key press to the address bar
  rewritten by the server (a round trip that does no work, after the slider's debounce,
  ``K_DEBOUNCE_MS``; printed with and without it).

Prints the CPU's vector flags and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _measure
import numpy as np
import ot

from ot_engine.exact import empirical_w2
from ot_engine.flow_matching import crossing_pairs, make_clouds, minibatch_ot_pairing


def timed(fn, repeats: int) -> tuple[float, float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(1e3 * (time.perf_counter() - t0))
    return statistics.median(times), max(times), out


def engine(repeats: int) -> None:
    print("\n## Engine against POT (moons, one minibatch)")
    print("| n | pairing: assignment (ms) | ot.emd (ms) | ratio | cost | POT cost |")
    for n in (64, 128, 256):
        x0, x1, _, _ = make_clouds("moons", n, seed=1)
        u = np.full(n, 1 / n)
        t_ours, _, m = timed(lambda: minibatch_ot_pairing(x0, x1, n), repeats)  # noqa: B023
        t_pot, _, _ = timed(lambda: ot.emd(u, u, ot.dist(x0, x1)), repeats)  # noqa: B023
        cost = np.mean(np.sum((x1[m] - x0) ** 2, axis=1))
        pot = ot.emd2(u, u, ot.dist(x0, x1))
        print(
            f"| {n} | {t_ours:.2f} | {t_pot:.2f} | {t_pot / t_ours:.1f}x | {cost:.6f} | {pot:.6f} |"
        )
    print("\n| n | empirical_w2 (ms) | ot.emd2 (ms) | ratio | W2 | POT W2 |")
    for n in (128, 256):
        x0, x1, _, y = make_clouds("letter", n, seed=2)
        u = np.full(n, 1 / n)
        t_ours, _, w = timed(lambda: empirical_w2(y, x1), repeats)  # noqa: B023
        t_pot, _, p = timed(lambda: np.sqrt(ot.emd2(u, u, ot.dist(y, x1))), repeats)  # noqa: B023
        print(f"| {n} | {t_ours:.2f} | {t_pot:.2f} | {t_pot / t_ours:.1f}x | {w:.6f} | {p:.6f} |")
    print("\n| n | crossings, all pairs (ms) | independent | OT |")
    for n in (128, 256):
        x0, x1, _, _ = make_clouds("moons", n, seed=1)
        m = minibatch_ot_pairing(x0, x1, n)
        t, _, c = timed(lambda: crossing_pairs(x0, x1[m]), repeats)  # noqa: B023
        print(f"| {n} | {t:.2f} | {crossing_pairs(x0, x1)} | {c} |")


def page_events(repeats: int) -> None:
    from pages import flow_matching as fm

    print("\n## The page, server side")
    print("| event | median (ms) | max (ms) | runs |")
    for n in (128, 256):
        view = fm.FlowMatchingPage(fm.FlowModel(n=n), embed=False)
        ks = [1 + (i * 7) % fm.K_MAX for i in range(4 * repeats)]
        times = []
        for k in ks:
            t0 = time.perf_counter()
            view.model.k = k
            times.append(1e3 * (time.perf_counter() - t0))
        print(
            f"| new k, n = {n} (lookup, repaint, readouts) | {statistics.median(times):.2f} "
            f"| {max(times):.2f} | {len(times)} |"
        )
        view._job.submit = lambda fn: None  # the fit is the worker's: not counted here
        times = []
        for seed in range(100, 100 + 2 * repeats):  # new seeds: no cached clouds or pairings
            t0 = time.perf_counter()
            view.model.seed = seed
            times.append(1e3 * (time.perf_counter() - t0))
        print(
            f"| new setting, n = {n} (clouds, OT pairing, crossings, paths) | "
            f"{statistics.median(times):.2f} | {max(times):.2f} | {len(times)} |"
        )
    for n in (128, 256):
        times = []
        for seed in range(200, 200 + repeats):
            key = fm.FlowModel(n=n, seed=seed).scene_key
            fm._paths(*key)
            t0 = time.perf_counter()
            fm.fit_both(key)
            times.append(1e3 * (time.perf_counter() - t0))
        print(
            f"| background fit of both pairings, n = {n} | {statistics.median(times):.0f} "
            f"| {max(times):.0f} | {len(times)} |"
        )


HOOKS = r"""
() => {
  const doc = Bokeh.documents[0];
  const rec = window.__bench = {keys: [], paints: [], urls: []};
  const src = doc.get_model_by_name("fm_samples_ot_src");
  document.addEventListener("keydown", () => rec.keys.push(performance.now()), true);
  // the first repaint after each key (the browser's own; the server's echo repaints again)
  let waiting = false;
  src.change.connect(() => {
    if (waiting || rec.paints.length >= rec.keys.length) { return; }
    waiting = true;
    requestAnimationFrame(() => { rec.paints.push(performance.now()); waiting = false; });
  });
  let last = location.search;
  const poll = () => {
    if (location.search !== last) { last = location.search; rec.urls.push(performance.now()); }
    requestAnimationFrame(poll);
  };
  poll();
}
"""


def browser(presses: int) -> None:
    import _browser

    with _browser.serving() as base, _browser.chromium() as chrome:
        page = chrome.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(base + "/flow_matching")
        page.wait_for_function(
            "() => window.Bokeh && Bokeh.documents.length > 0 && "
            "Bokeh.documents[0].get_model_by_name('fm_samples_ot_src') != null "
            "&& Bokeh.documents[0].get_model_by_name('fm_samples_ot_src').data.x.length > 0",
            timeout=120_000,
        )
        page.wait_for_timeout(1000)
        page.evaluate(HOOKS)
        handle = page.locator(".noUi-handle").nth(2)
        handle.focus()
        for i in range(presses):
            page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
            page.wait_for_function(
                f"() => window.__bench.paints.length > {i} && window.__bench.urls.length > {i}",
                timeout=20_000,
            )
            page.wait_for_timeout(60)
        rec = page.evaluate("() => window.__bench")
    paint = [p - k for k, p in zip(rec["keys"], rec["paints"], strict=False)]
    echo = [u - k for k, u in zip(rec["keys"], rec["urls"], strict=False)]
    pm, em = statistics.median(paint), statistics.median(echo)
    print("\n## Browser: k slider, key press to repaint")
    print("| measure | median (ms) | p90 (ms) | runs |")
    print(
        f"| key press -> samples repainted | {pm:.1f} | {_browser.percentile(paint, 0.9):.1f} "
        f"| {len(paint)} |"
    )
    print(
        f"| key press -> address bar rewritten (echo floor) | {em:.1f} | "
        f"{_browser.percentile(echo, 0.9):.1f} | {len(echo)} |"
    )
    print(f"ratio repaint / echo floor: {pm / em:.2f}")
    from pages.flow_matching import K_DEBOUNCE_MS

    floor = em - K_DEBOUNCE_MS
    print(f"echo floor less the {K_DEBOUNCE_MS} ms debounce: {floor:.1f}; ratio {pm / floor:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--presses", type=int, default=30)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--browser-only", action="store_true")
    args = parser.parse_args()
    print(f"CPU: {_measure.cpu_line()}")
    print(
        f"load average (1 min) before: {os.getloadavg()[0]:.2f}; "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}"
    )
    if not args.browser_only:
        engine(args.repeats)
        page_events(args.repeats)
    if not args.no_browser:
        browser(args.presses)
    print(f"\nload average (1 min) after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
