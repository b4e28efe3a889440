"""What every bench script reports and how it times: the CPU (with the kernels numpy dispatches
to, since float64 ``exp`` is ~3x slower without AVX-512), medians of repeated calls, and
latency summaries of browser timestamps.

The scripts are run as ``python bench/bench_x.py`` from the repository root, so this folder is
``sys.path[0]`` and ``import _measure`` finds this module.
"""

from __future__ import annotations

import math
import os
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _browser import percentile


def cpu() -> dict:
    """The CPU model, its SIMD flags, the core count and numpy's enabled AVX dispatch targets.

    ``numpy_avx`` is what numpy will use after ``NPY_DISABLE_CPU_FEATURES`` (set to emulate an
    AVX2-only CPU, see bench/README.md), so a table says which kind of CPU produced it.
    """
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        text = ""
    model = re.search(r"model name\s*:\s*(.*)", text)
    flags = sorted(set(re.findall(r"\b(avx512\w*|avx2|fma)\b", text)))
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # numpy < 2
        features = {}
    return {
        "model": model.group(1).strip() if model else "?",
        "cores": os.cpu_count(),
        "flags": flags,
        "numpy_avx": sorted(k for k, on in features.items() if on and k.startswith("AVX")),
        "npy_disable_cpu_features": os.environ.get("NPY_DISABLE_CPU_FEATURES", ""),
    }


def cpu_line() -> str:
    """:func:`cpu` on one line, for a bench's printed header."""
    c = cpu()
    # numpy reports AVX512F even when disabled; AVX512_SKX is what vectorizes float64 exp
    numpy_avx512 = "AVX512_SKX" in c["numpy_avx"]
    return (
        f"{c['model']}; {c['cores']} cores; flags: {' '.join(c['flags']) or 'none'}; "
        f"numpy AVX-512 kernels: {'on' if numpy_avx512 else 'off'}"
        + (
            f" (NPY_DISABLE_CPU_FEATURES={c['npy_disable_cpu_features']})"
            if c["npy_disable_cpu_features"]
            else ""
        )
    )


def median_ms(fn: Callable[[], Any], repeat: int, warmup: bool = True) -> float:
    """Median wall milliseconds of ``fn()`` over ``repeat`` calls (after one warm-up call)."""
    return statistics.median(times_ms(fn, repeat, warmup)[0])


def times_ms(fn: Callable[[], Any], repeat: int, warmup: bool = False) -> tuple[list[float], Any]:
    """Wall milliseconds of each of ``repeat`` calls of ``fn()``, and the last call's result."""
    if warmup:
        fn()
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(1e3 * (time.perf_counter() - t0))
    return times, out


def best_ms(fn: Callable[[], Any], repeat: int = 5, number: int = 3) -> float:
    """Best of ``repeat`` runs of the mean milliseconds over ``number`` calls (``timeit``'s
    rule: the least disturbed run by other work on a shared machine)."""
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return round(1000 * best, 3)


def latency_summary(values: list[float]) -> dict:
    """Count, median and p95 (interpolated) of latencies in ms, rounded to 0.1 ms."""
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "median_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 0.95, rule="linear"), 1),
    }


def first_after(times: list[float], t: float) -> float | None:
    """The first of the sorted timestamps ``times`` at or after ``t`` (None if none is).

    >>> first_after([1.0, 2.0, 3.0], 1.5), first_after([1.0], 2.0)
    (2.0, None)
    """
    return next((u for u in times if u >= t), None)


def budget(page: dict, floor: dict) -> dict:
    """Issue #16's budget for one path: the page's ``median_ms`` at most the floor's + 10 ms
    and its ``p95_ms`` at most 1.25 x the floor's (both measured in the same run).

    >>> budget({"median_ms": 30.0, "p95_ms": 40.0}, {"median_ms": 25.0, "p95_ms": 30.0})
    {'median_ok': True, 'p95_ok': False, 'median_over_floor_ms': 5.0, 'p95_over_floor': 1.33}
    """
    return {
        "median_ok": page["median_ms"] <= floor["median_ms"] + 10,
        "p95_ok": page["p95_ms"] <= 1.25 * floor["p95_ms"],
        "median_over_floor_ms": round(page["median_ms"] - floor["median_ms"], 1),
        "p95_over_floor": round(page["p95_ms"] / max(floor["p95_ms"], 1e-9), 2),
    }
