"""Benchmark: ot_engine.sinkhorn against POT's Sinkhorn variants on 1D grids.

Run from the repository root:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_engine.py [--quick]

With ``--hard`` it runs the hard-histogram comparison (:func:`hard`) twice, in two
subprocesses: once with numpy's AVX-512 kernels disabled (``NPY_DISABLE_CPU_FEATURES``, which
emulates an AVX2-only CPU, where float64 ``exp`` falls back to scalar code) and once natively;
each prints the CPU flags and the kernels numpy dispatched to.  ``--engine-root DIR`` imports
``ot_engine`` from another checkout (e.g. the main branch, for a before/after in one run).
``--cpu-time`` times ours and POT's solves (and POT's budget) in process CPU time instead of
wall time, for a loaded machine; ``--avx2-only`` skips the native run.

With ``--stress`` it instead runs the stress suite (:func:`stress`): page-like histograms with
empty bars, gaps, spikes, shifted copies and noise, both costs, n = 128 and 256, eps / max C
from 1 down to 1e-4, and prints iterations, time and error of a cold solve for each; then
warm starts across large changes of eps on the page presets (:func:`warm_jumps`).

Problems: two smooth two-bump histograms on a uniform grid of [0, 1] with squared cost
(max C ~ 1), n = 64, 128, 256, 512 bins, eps / max C in 1e-1 ... 1e-4; target marginal
error (L1, both marginals) 1e-6.  For every solver the achieved error is measured on the
returned plan.  POT's methods are given an iteration cap worth about ``--pot-budget``
seconds (measured per problem), so hopeless cases stop and are reported as not reaching
the target instead of running for minutes.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import ot


def _engine_root():
    """``--engine-root DIR`` (read before ``ot_engine`` is imported), else this checkout."""
    if "--engine-root" in sys.argv:
        return Path(sys.argv[sys.argv.index("--engine-root") + 1]).resolve()
    return Path(__file__).resolve().parents[1]


sys.path.insert(0, str(_engine_root()))

from ot_engine import cost_matrix, sinkhorn, uniform_grid  # noqa: E402
from ot_engine.histograms import PRESETS, preset_pair  # noqa: E402

TARGET = 1e-6
POT_METHODS = ("sinkhorn", "sinkhorn_log", "sinkhorn_stabilized", "sinkhorn_epsilon_scaling")


def problem(n):
    x = uniform_grid(n)
    a = np.exp(-((x - 0.3) ** 2) / 0.01) + 0.5 * np.exp(-((x - 0.7) ** 2) / 0.005) + 1e-3
    b = np.exp(-((x - 0.6) ** 2) / 0.02) + 0.3 * np.exp(-((x - 0.2) ** 2) / 0.002) + 1e-3
    return x, a / a.sum(), b / b.sum(), cost_matrix(x, x, power=2)


def l1_error(P, a, b):
    if not np.isfinite(P).all():
        return float("inf")
    return float(np.abs(P.sum(1) - a).sum() + np.abs(P.sum(0) - b).sum())


def run_pot(method, a, b, C, eps, budget):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        ot.sinkhorn(a, b, C, eps, method=method, numItermax=20, stopThr=0.0)
        per_iter = (time.perf_counter() - t) / 20
        cap = int(max(50, budget / max(per_iter, 1e-7)))
        if method == "sinkhorn_epsilon_scaling":
            cap = max(cap // 10, 20)  # its numItermax counts outer loops of ~10 iterations
        times = []
        for _ in range(3):
            t = time.perf_counter()
            P = ot.sinkhorn(a, b, C, eps, method=method, numItermax=cap, stopThr=1e-7)
            times.append(time.perf_counter() - t)
            if times[-1] > 0.3:
                break
    return float(np.median(times)), l1_error(P, a, b), cap


def run_ours(a, b, C, eps, repeats, tol=TARGET):
    times, warm_times = [], []
    res = None
    for _ in range(repeats):
        res = sinkhorn(a, b, C, eps, tol=tol, max_time=5.0)
        times.append(res.solve_time)
    a2 = a.copy()
    a2[int(np.argmax(a))] *= 1.1  # a small change to one bar
    warm = None
    for _ in range(repeats):
        warm = sinkhorn(a2, b, C, eps, tol=tol, max_time=5.0, warm_start=res)
        warm_times.append(warm.solve_time)
    return res, float(np.median(times)), warm, float(np.median(warm_times))


def fmt(seconds, err):
    mark = "" if err <= TARGET else " ✗"
    return f"{seconds * 1e3:.1f} ({err:.0e}){mark}"


STRESS_RELS = (1.0, 1e-1, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4)


def _bump(x, center, width):
    return np.exp(-0.5 * ((x - center) / width) ** 2)


def stress_cases(n):
    """Histogram pairs (bar heights, unnormalized) a student can produce on n bins of [0, 1]."""
    x = uniform_grid(n)
    rng = np.random.default_rng(n)
    two = _bump(x, 0.3, 0.07) + 0.5 * _bump(x, 0.7, 0.05) + 0.01
    one = _bump(x, 0.55, 0.12) + 0.01
    gap = two.copy()
    gap[(x > 0.35) & (x < 0.65)] = 0.0  # bars dragged to zero, leaving a gap
    left = (x < 0.25) / np.sum(x < 0.25)
    right = (x > 0.75) / np.sum(x > 0.75)
    spike = 0.002 * rng.random(n)
    spike[n // 3] = 1.0
    noisy_zeros = [rng.random(n) * (rng.random(n) > 0.3) for _ in range(2)]
    cases = {
        "gap (bars dragged to 0)": (gap, one),
        "clusters 60/40 -> 40/60": (0.6 * left + 0.4 * right, 0.4 * left + 0.6 * right),
        "spike + dust": (spike, one),
        **{f"preset: {name}": preset_pair(name, n) for name in PRESETS},
        "noisy": (rng.random(n), rng.random(n)),
        "noisy, 30% zero bars": tuple(noisy_zeros),
    }
    return x, cases


def stress(sizes=(128, 256), repeats=3, tol=TARGET):
    """Cold solves of :func:`stress_cases`; returns the number of solves that did not converge.

    A cell is ``wall ms (CPU ms) / iterations`` of the run with the least wall time out of
    ``repeats`` (the machine is shared: that run is the least disturbed one; the process CPU
    time, at 1-10 ms resolution, shows how much of the wall time was waiting for a core);
    ``iterations`` counts matrix-vector product pairs (Sinkhorn and Newton); ``✗ error``
    marks a solve that stopped at the 0.5 s default time cap (the page's budget) without
    reaching ``tol``.
    """
    print(f"\nstress suite: cold solves, cost |x-y|^p, tol {tol:g}; wall ms (CPU ms) / iters")
    header = ["n", "p", "case", *(f"{rel:g}" for rel in STRESS_RELS)]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    failures, worst = 0, 0.0
    for n in sizes:
        x, cases = stress_cases(n)
        for power in (1, 2):
            C = cost_matrix(x, x, power=power)
            for name, (a, b) in cases.items():
                cells = [str(n), str(power), name]
                for rel in STRESS_RELS:
                    runs = []
                    for _ in range(repeats):
                        cpu = time.process_time()
                        res = sinkhorn(a, b, C, rel * C.max(), tol=tol)
                        runs.append((res.solve_time, time.process_time() - cpu, res))
                    wall, cpu, res = min(runs, key=lambda run: run[0])
                    worst = max(worst, wall)
                    cell = f"{wall * 1e3:.1f} ({cpu * 1e3:.0f}) / {res.iterations}"
                    if not res.converged:
                        failures += 1
                        cell += f" ✗ {res.marginal_error:.0e}"
                    cells.append(cell)
                print("| " + " | ".join(cells) + " |", flush=True)
    print(f"\nnot converged: {failures}; slowest best-of-{repeats} solve: {worst * 1e3:.1f} ms")
    return failures


WARM_JUMPS = ((0.5, 1e-4), (1e-1, 1e-4), (1e-3, 1e-4), (1e-4, 1e-3), (1e-4, 0.5))


def warm_jumps(n=256, repeats=3, tol=1e-9):
    """Warm starts across changes of ε (a page's ε slider dragged far): returns failures.

    For each page preset and cost, solve at ε_prev, then at ε_new warm-started from that
    result, and cold at ε_new; tolerance 1e-9 as on the page, default 0.5 s cap.  A cell is
    ``warm ms / iterations (cold ms / iterations)``, best wall time of ``repeats``;
    ``✗ error`` marks a warm solve that did not converge.
    """
    print(f"\nwarm starts across eps changes, n = {n}, tol {tol:g}: warm ms / iters (cold)")
    header = ["p", "preset", *(f"{prev:g} -> {new:g}" for prev, new in WARM_JUMPS)]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    x = uniform_grid(n)
    failures = 0
    for power in (1, 2):
        C = cost_matrix(x, x, power=power)
        for name in PRESETS:
            a, b = preset_pair(name, n)
            cells = [str(power), name]
            for prev_rel, new_rel in WARM_JUMPS:
                prev = sinkhorn(a, b, C, prev_rel * C.max(), tol=tol)
                warm = min(
                    (
                        sinkhorn(a, b, C, new_rel * C.max(), tol=tol, warm_start=prev)
                        for _ in range(repeats)
                    ),
                    key=lambda res: res.solve_time,
                )
                cold = min(
                    (sinkhorn(a, b, C, new_rel * C.max(), tol=tol) for _ in range(repeats)),
                    key=lambda res: res.solve_time,
                )
                cell = (
                    f"{warm.solve_time * 1e3:.1f} / {warm.iterations} "
                    f"({cold.solve_time * 1e3:.1f} / {cold.iterations})"
                )
                if not warm.converged:
                    failures += 1
                    cell += f" ✗ {warm.marginal_error:.0e}"
                cells.append(cell)
            print("| " + " | ".join(cells) + " |", flush=True)
    print(f"\nwarm solves not converged: {failures}")
    return failures


# --- Hard histograms, emulated AVX2 and native (``--hard``) ----------------------------------

#: numpy's AVX-512 dispatch targets; disabling them emulates an AVX2-only CPU.
AVX512_TARGETS = "AVX512F AVX512_SKX AVX512_ICL AVX512_SPR X86_V4"
HARD_RELS = (1e-2, 1e-3, 1e-4)
#: POT methods that stay finite at small eps (the default one is silently wrong there).
POT_ACCURATE = ("sinkhorn_log", "sinkhorn_stabilized", "sinkhorn_epsilon_scaling")
#: Clock of the hard comparison: wall time, or with ``--cpu-time`` this process's CPU time
#: (``time.process_time``), which a loaded machine disturbs much less (the budget of POT's
#: runs is then CPU time too).
hard_clock = time.perf_counter


def run_ours_hard(a, b, C, eps, repeats, tol=TARGET):
    """:func:`run_ours` timed with ``hard_clock``."""
    times, warm_times = [], []
    res = warm = None
    for _ in range(repeats):
        t = hard_clock()
        res = sinkhorn(a, b, C, eps, tol=tol, max_time=20.0)
        times.append(hard_clock() - t)
    a2 = a.copy()
    a2[int(np.argmax(a))] *= 1.1  # a small change to one bar
    for _ in range(repeats):
        t = hard_clock()
        warm = sinkhorn(a2, b, C, eps, tol=tol, max_time=20.0, warm_start=res)
        warm_times.append(hard_clock() - t)
    return res, float(np.median(times)), warm, float(np.median(warm_times))


def hard_cases(n):
    """Histograms (bar heights) that make Sinkhorn slow: narrow peaks, floors, gaps, spikes."""
    x = uniform_grid(n)
    rng = np.random.default_rng(n)
    gap = _bump(x, 0.3, 0.04) + 0.5 * _bump(x, 0.7, 0.03) + 1e-3
    gap[(x > 0.4) & (x < 0.6)] = 0.0  # bars dragged to zero
    spike = 2e-3 * rng.random(n)
    spike[n // 3] = 1.0
    return x, {
        "narrow peaks, floor 1e-3": (
            _bump(x, 0.25, 0.02) + 0.6 * _bump(x, 0.7, 0.015) + 1e-3,
            _bump(x, 0.45, 0.02) + 0.8 * _bump(x, 0.85, 0.01) + 1e-3,
        ),
        "narrow peaks, floor 1e-6": (
            _bump(x, 0.2, 0.015) + _bump(x, 0.6, 0.02) + 1e-6,
            _bump(x, 0.4, 0.015) + 0.5 * _bump(x, 0.9, 0.01) + 1e-6,
        ),
        "gap (bars at 0)": (gap, _bump(x, 0.55, 0.05) + 1e-3),
        "spike over dust": (spike, _bump(x, 0.55, 0.1) + 1e-3),
    }


def cpu_report():
    """CPU model and SIMD flags, and the kernels numpy dispatches to."""
    from numpy._core import _multiarray_umath as umath

    model, flags = platform.processor() or "?", set()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name") and model in ("?", ""):
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    simd = sorted(f for f in flags if f.startswith(("avx", "fma", "sse4")))
    enabled = sorted(k for k, v in umath.__cpu_features__.items() if v and k.startswith("AVX"))
    disabled = os.environ.get("NPY_DISABLE_CPU_FEATURES", "(none)")
    print(f"# CPU: {model}; flags: {' '.join(simd)}")
    print(f"# NPY_DISABLE_CPU_FEATURES: {disabled}")
    print(f"# numpy __cpu_features__ enabled (AVX*): {' '.join(enabled)}")
    print(f"# numpy __cpu_dispatch__: {' '.join(umath.__cpu_dispatch__)}")


def pot_dropping_zeros(method, a, b, C, eps, cap):
    """POT on the bars with mass (its log-domain methods take log 0), plan embedded back."""
    ia, jb = a > 0, b > 0
    P = np.zeros_like(C)
    P[np.ix_(ia, jb)] = ot.sinkhorn(
        a[ia], b[jb], C[np.ix_(ia, jb)], eps, method=method, numItermax=cap, stopThr=1e-8
    )
    return P


def run_pot_hard(method, a, b, C, eps, budget, tol=TARGET):
    """Time and error of POT's ``method`` at the smallest iteration cap that reaches ``tol``.

    Caps double from 100 (``sinkhorn_epsilon_scaling`` counts outer loops: from 2) until
    the plan's L1 marginal error is within ``tol``, a run takes longer than ``budget``
    seconds, or doubling the cap twice no longer lowers the error (POT stops by itself).  Then
    two bisection steps lower the cap as far as ``tol`` is still reached, so POT does at
    most ~25 % more iterations than it needs (it also stops by itself at ``stopThr`` = 1e-8,
    its own error measure).  The time is the median of up to 3 runs at that cap.
    """
    cap = 2 if method == "sinkhorn_epsilon_scaling" else 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        err, elapsed, stuck = np.inf, np.inf, 0
        while True:
            t = hard_clock()
            P = pot_dropping_zeros(method, a, b, C, eps, cap)
            elapsed, elapsed_before = hard_clock() - t, elapsed
            err, err_before = l1_error(P, a, b), err
            # POT stopped by itself short of tol: twice the cap neither took longer nor helped,
            # twice in a row (sinkhorn_stabilized returns error 2 at small caps, noisily timed).
            stuck = (
                stuck + 1 if not err < 0.99 * err_before and elapsed < 1.5 * elapsed_before else 0
            )
            if err <= tol or elapsed > budget or stuck >= 2:
                break
            cap *= 2
        if err <= tol and cap > 4:
            low = cap // 2  # known not to reach tol (or the first cap)
            for _ in range(2):
                mid = (low + cap) // 2
                t = hard_clock()
                P_mid = pot_dropping_zeros(method, a, b, C, eps, mid)
                elapsed_mid = hard_clock() - t
                err_mid = l1_error(P_mid, a, b)
                if err_mid <= tol:
                    cap, elapsed, err = mid, elapsed_mid, err_mid
                else:
                    low = mid
        times = [elapsed]
        while err <= tol and len(times) < 3 and sum(times) < 1.0:
            t = hard_clock()
            pot_dropping_zeros(method, a, b, C, eps, cap)
            times.append(hard_clock() - t)
    return float(np.median(times)), err


def hard(n=256, repeats=7, budget=2.0, tol=TARGET):
    """Cold and warm solves of :func:`hard_cases` against POT's accurate methods."""
    cpu_report()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"# python {platform.python_version()}, numpy {np.__version__}, POT {ot.__version__}, "
        f"engine from {_engine_root()}, load avg at start {load}"
    )
    print(
        f"\nn = {n}, cost (x-y)^2, tol {tol:g}; ms (L1 marginal error) / iterations, median of "
        f"{repeats}, {'process CPU time' if hard_clock is time.process_time else 'wall time'}; "
        f"warm = after the largest bar of a is raised by 10 %, warm-started from the "
        f"cold result; POT: at the smallest doubling iteration cap that reaches {tol:g} "
        f"(median of up to 3 runs), given up after a run of more than {budget:g} s, "
        f"✗ = did not reach {tol:g}; x POT = fastest accurate POT time / ours\n"
    )
    header = ["case", "eps/maxC", "ours cold", "ours warm", "warm/cold"]
    header += [*POT_ACCURATE, "x POT (cold)", "x POT (warm)"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    x, cases = hard_cases(n)
    C = cost_matrix(x, x, power=2)
    for name, (a, b) in cases.items():
        a, b = a / a.sum(), b / b.sum()
        for rel in HARD_RELS:
            eps = rel * C.max()
            res, t_cold, warm, t_warm = run_ours_hard(a, b, C, eps, repeats, tol=tol)
            cells = [
                name,
                f"{rel:g}",
                fmt(t_cold, res.marginal_error) + f" / {res.iterations}",
                fmt(t_warm, warm.marginal_error) + f" / {warm.iterations}",
                f"{t_warm / t_cold:.2f}",
            ]
            best = None
            for method in POT_ACCURATE:
                t, err = run_pot_hard(method, a, b, C, eps, budget)
                cells.append(fmt(t, err))
                if err <= tol and (best is None or t < best):
                    best = t
            if best is None:
                cells += ["n/a (none reached)"] * 2
            else:
                cells += [f"{best / t_cold:.1f}", f"{best / t_warm:.1f}"]
            print("| " + " | ".join(cells) + " |", flush=True)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n# load avg at end {load}")


def hard_both(argv, native=True):
    """Run :func:`hard` under emulated AVX2 and (``native``) natively, one subprocess each."""
    import subprocess

    runs = [("emulated AVX2 (AVX-512 disabled)", AVX512_TARGETS), ("native", "")]
    for label, disable in runs if native else runs[:1]:
        env = dict(os.environ)
        env.pop("NPY_DISABLE_CPU_FEATURES", None)
        if disable:
            env["NPY_DISABLE_CPU_FEATURES"] = disable
        print(f"\n## {label}\n", flush=True)
        subprocess.run([sys.executable, __file__, "--hard-child", *argv], env=env, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n in (64, 256) and short budgets")
    parser.add_argument("--pot-budget", type=float, default=None, help="seconds per POT solve")
    parser.add_argument("--stress", action="store_true", help="run the stress suite only")
    parser.add_argument("--hard", action="store_true", help="hard histograms, AVX2 and native")
    parser.add_argument("--hard-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--engine-root", default=None, help="import ot_engine from this checkout")
    parser.add_argument(
        "--cpu-time", action="store_true", help="--hard: time with process CPU time"
    )
    parser.add_argument(
        "--avx2-only", action="store_true", help="--hard: only the emulated AVX2 run"
    )
    args = parser.parse_args()
    if args.hard or args.hard_child:
        global hard_clock
        budget = args.pot_budget or 2.0
        repeats = 3 if args.quick else 7
        if args.hard_child:
            if args.cpu_time:
                hard_clock = time.process_time
            hard(repeats=repeats, budget=budget)
            return
        child = ["--pot-budget", str(budget)] + (["--quick"] if args.quick else [])
        child += ["--cpu-time"] if args.cpu_time else []
        if args.engine_root:
            child += ["--engine-root", args.engine_root]
        hard_both(child, native=not args.avx2_only)
        return
    if args.stress:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"# python {platform.python_version()}, numpy {np.__version__}, load avg {load}")
        stress()
        warm_jumps()
        return
    sizes = (64, 256) if args.quick else (64, 128, 256, 512)
    budget = args.pot_budget or (0.5 if args.quick else 3.0)
    repeats = 5 if args.quick else 11
    rels = (1e-1, 1e-2, 1e-3, 1e-4)
    print(
        f"# python {platform.python_version()}, numpy {np.__version__}, POT {ot.__version__}, "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
        f"POT budget {budget:g} s per solve"
    )
    print(
        "\ntimes in ms (achieved L1 marginal error); ✗ = did not reach 1e-6; "
        "ratio = ours cold / fastest POT method that reached 1e-6\n"
    )
    header = ["n", "eps/maxC", "ours cold", "iters", "ours warm", *POT_METHODS, "ratio"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for n in sizes:
        _, a, b, C = problem(n)
        for rel in rels:
            eps = rel * C.max()
            res, t_cold, warm, t_warm = run_ours(a, b, C, eps, repeats)
            cells = [
                str(n),
                f"{rel:g}",
                fmt(t_cold, l1_error(res.plan, a, b)),
                str(res.iterations),
                fmt(t_warm, warm.marginal_error),
            ]
            best = None
            for method in POT_METHODS:
                t, err, _cap = run_pot(method, a, b, C, eps, budget)
                cells.append(fmt(t, err))
                if err <= TARGET and (best is None or t < best):
                    best = t
            cells.append("n/a (none reached)" if best is None else f"{t_cold / best:.3f}")
            print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
