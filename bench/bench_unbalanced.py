"""Benchmark for /unbalanced: ot_engine.sinkhorn_unbalanced against POT, and per-event time.

Run from the repository root (a few tens of seconds; ``--quick`` for fewer repeats):

    python3 bench/bench_unbalanced.py [--quick]

Part 1, solvers, on the page's problem (the default preset on a 128-bin grid of [0, 1],
squared cost, masses = heights / n, eps = 1e-3 max C, rho = 0.01, 0.1, 1 max C):

* the engine cold (from zero potentials) and warm (from the solution before a one-bar change,
  what a drag event gets), with the optimality residual it reports;
* POT's ``mm_unbalanced`` (majorization-minimization, with ``reg = eps``: the same problem)
  and ``sinkhorn_unbalanced`` with ``method="sinkhorn"`` and ``"sinkhorn_stabilized"``, each
  with the mass of its plan and the same residual measured by this script (a plan that is
  all zero, or off, shows there); ratios in the same run.

Part 3 (``--browser``), drag-to-repaint latency in headless Chromium on one served notebook:
the same 2.5 s mouse drag across p's bars on /unbalanced (128 bins, eps = 1e-3, rho = 0.1)
and on /transport_plan (128 bins, eps = 1e-3, the page whose budget this page keeps: median 33
ms, p95 50 ms), in the same run, with the ratio; measured as in
``bench_transport_plan_latency.py`` (pointer move to the first frame painted after the answer
to the sync that carried it).

Part 2, the page's server work per event without a browser: a drag of 40 events (one bar of p
changing a little each time, through the page's flow exactly as browser syncs arrive), and a
sweep of the rho slider over 40 positions; median and 95th percentile of the time from the
request to the redrawn figures and readouts, warm (the page as it is) and cold (the same
events with the warm start thrown away).  The CPU's SIMD flags are printed first.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import ot

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_engine import cpu_report  # noqa: E402

from ot_engine import cost_matrix, sinkhorn_unbalanced, uniform_grid  # noqa: E402
from ot_engine.unbalanced import UnbalancedResult  # noqa: E402
from pages import unbalanced as ub  # noqa: E402


def residual(P, a, b, C, eps, rho):
    """First-order optimality residual of any plan: the potentials are read off the plan's
    marginals (P 1 = a e^{-f/rho}), then the plan those potentials imply is compared."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        f = -rho * np.log(P.sum(1) / a)
        g = -rho * np.log(P.sum(0) / b)
        implied = np.outer(a, b) * np.exp((f[:, None] + g[None, :] - C) / eps)
    value = float(np.abs(implied - P).sum())
    return value if np.isfinite(value) else float("inf")


def timed(fn, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def solvers(repeat: int) -> None:
    n = 128
    x = uniform_grid(n)
    C = cost_matrix(x, x)
    p, q = ub.preset_heights(ub.PRESETS[0], n)
    a, b = p / n, q / n
    eps = 1e-3 * C.max()
    print(f"\n## Solvers: n = {n}, eps = 1e-3 max C, masses {a.sum():.4f} and {b.sum():.4f}")
    print(
        "| rho / max C | solver | time (ms) | mass moved | residual | vs engine warm |\n"
        "| --- | --- | ---: | ---: | ---: | ---: |"
    )
    i, j = a > 0, b > 0
    for rho_f in (0.01, 0.1, 1.0):
        rho = rho_f * C.max()
        t_cold, cold = timed(lambda rho=rho: sinkhorn_unbalanced(a, b, C, eps, rho), repeat)
        a2 = a.copy()
        a2[40] *= 1.05  # a drag event: one bar changes a little
        t_warm, warm = timed(
            lambda rho=rho, a2=a2, w=cold: sinkhorn_unbalanced(a2, b, C, eps, rho, warm_start=w),
            repeat,
        )
        rows = [
            ("engine, cold", t_cold, cold.plan, cold.marginal_error),
            ("engine, warm (one bar moved)", t_warm, warm.plan, warm.marginal_error),
        ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t, P = timed(
                lambda rho=rho: ot.unbalanced.mm_unbalanced(a, b, C, rho, reg=eps, div="kl"),
                repeat,
            )
            rows.append(("POT mm_unbalanced (reg = eps)", t, P, None))
            for method in ("sinkhorn", "sinkhorn_stabilized"):
                t, Ps = timed(
                    lambda rho=rho, method=method: ot.unbalanced.sinkhorn_unbalanced(
                        a[i], b[j], C[np.ix_(i, j)], eps, rho, method=method
                    ),
                    repeat,
                )
                P = np.zeros_like(C)
                P[np.ix_(i, j)] = Ps
                rows.append((f"POT sinkhorn_unbalanced {method}", t, P, None))
        for name, t, P, err in rows:
            if err is None:
                sub = np.ix_(i, j)
                err = residual(P[sub], a[i], b[j], C[sub], eps, rho)
            mass = float(np.nan_to_num(P).sum())
            print(
                f"| {rho_f:g} | {name} | {1000 * t:.1f} | {mass:.4f} | {err:.1e} | "
                f"{t / t_warm:.1f}x |"
            )


def page_events(count: int) -> None:
    print(f"\n## Per-event server time of the page (no browser), {count} events each")
    print("| events | start | median (ms) | p95 (ms) |\n| --- | --- | ---: | ---: |")
    for label, make_updates in (
        ("bar drag (p, one bar)", _drag_updates),
        ("ρ slider sweep", _rho_updates),
    ):
        for start in ("warm", "cold"):
            page = ub.UnbalancedPage(ub.Unbalanced(n=128), embed=False)
            times = []
            with _cold_solves(start == "cold"):
                for update in make_updates(page, count):
                    t0 = time.perf_counter()
                    page.flow.submit(**update)
                    times.append(1000 * (time.perf_counter() - t0))
            assert page.model.solution.result.converged
            med = statistics.median(times)
            p95 = sorted(times)[int(0.95 * (len(times) - 1))]
            print(f"| {label} | {start} | {med:.1f} | {p95:.1f} |")


def _drag_updates(page, count):
    p = page.model.p.copy()
    for k in range(count):
        p = p.copy()
        p[90 + k % 8] = round(0.1 + 0.02 * k, 4)
        yield {"p": p}


def _rho_updates(page, count):
    for k in range(count):
        yield {"log_rho": -2.0 + 2.5 * k / count}


@contextlib.contextmanager
def _cold_solves(cold: bool):
    """While active (if ``cold``), the page's solver ignores the warm start it is given."""
    original = ub.sinkhorn_unbalanced
    if cold:

        def solve_cold(*args, warm_start=None, **kwargs):
            return original(*args, **kwargs)

        ub.sinkhorn_unbalanced = solve_cold
    try:
        yield
    finally:
        ub.sinkhorn_unbalanced = original


def browser_drag(seconds: float) -> None:
    import _browser
    import bench_transport_plan_latency as tpl

    hooks = (
        tpl.HOOKS.replace('"tp_p"', '"ub_p"')
        .replace('"tp_answer"', '"ub_answer"')
        .replace("answer.data.eps[0]", "0")  # this page's answer carries no ε
    )
    print("\n## Drag-to-repaint in headless Chromium (one served notebook, same run)")
    print("| page | median (ms) | p95 (ms) | catch-up (ms) | syncs | bytes / update |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    results = {}
    with _browser.serving(None) as base, _browser.chromium() as browser:
        for slug, query, fig, answer, hook in (
            ("transport_plan", tpl.QUERY, "tp_p_fig", "tp_answer", tpl.HOOKS),
            ("unbalanced", "?n=128&eps=0.001&rho=0.1", "ub_p_fig", "ub_answer", hooks),
        ):
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            frames = tpl.FrameCounter(page.context.new_cdp_session(page))
            page.goto(base + "/" + slug + query)
            page.wait_for_function(
                "() => window.Bokeh && Bokeh.documents.length > 0 && "
                f"Bokeh.documents[0].get_model_by_name('{answer}') != null"
            )
            page.wait_for_timeout(1000)
            page.evaluate(hook)
            original = _browser.data_to_page
            # tpl.drag_bars drags tp_p_fig; point it at this page's histogram
            _browser.data_to_page = lambda pg, _n, x, y, f=fig, o=original: o(pg, f, x, y)
            try:
                out = tpl.drag_bars(page, frames, seconds)
            finally:
                _browser.data_to_page = original
            results[slug] = out
            print(
                f"| /{slug} | {out['median_ms']} | {out['p95_ms']} | {out['catch_up_ms']} | "
                f"{out['syncs']} | {out['bytes_per_update']} |"
            )
            page.close()
    ratio = results["unbalanced"]["median_ms"] / results["transport_plan"]["median_ms"]
    print(f"\nmedian ratio /unbalanced : /transport_plan = {ratio:.2f}")
    print(f"load average after: {_browser.load_average():.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and events")
    parser.add_argument("--browser", action="store_true", help="also the drag latency")
    args = parser.parse_args()
    cpu_report()
    import _browser

    print(f"# load average before: {_browser.load_average():.1f}")
    solvers(repeat=1 if args.quick else 7)
    page_events(20 if args.quick else 40)
    if args.browser:
        browser_drag(2.5)
    assert isinstance(ub.Unbalanced().solution.result, UnbalancedResult)


if __name__ == "__main__":
    main()
