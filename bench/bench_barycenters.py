"""Speed of /barycenters, measured in one run.

Usage::

    OPENBLAS_NUM_THREADS=1 python3 bench/bench_barycenters.py            # ~1 minute
    OPENBLAS_NUM_THREADS=1 python3 bench/bench_barycenters.py --repeats 5

What it measures (median of ``--repeats`` runs, milliseconds):

* **2-D engine vs POT** on the page's 64 x 64 shapes (three of them, weights 0.2/0.3/0.5):
  ``ot_engine.convolutional_barycenter_2d`` to marginal error 1e-5 (the page's tolerance),
  cold and warm-started after a weight nudge of 0.05, against POT's plain
  ``convolutional_barycenter2d`` (default stopThr) and, on a 32 x 32 grid, POT's
  ``method="sinkhorn_log"`` (its 64 x 64 run takes tens of seconds). The L1 gap between the
  images is printed beside.
* **Page, per event** (server side, no browser): a weight change on the line (exact
  barycenter, eight neighbours' objectives, repaint, readouts), a bar drag on the line, a
  weight change for the Gaussians (fixed point, POT check, repaint); against an **echo floor**:
  the same page answering an event that changes nothing it draws (the readout table rewrite).

Prints the CPU's vector flags (numpy's exp is slower without AVX-512).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _measure
import numpy as np
import ot

import pages.barycenters as bc
from ot_engine import convolutional_barycenter_2d


def timed(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(1e3 * (time.perf_counter() - t0))
    return statistics.median(times), out


def bench_grid(repeats: int) -> None:
    w = np.array([0.2, 0.3, 0.5])
    nudged = np.array([0.25, 0.3, 0.45])
    print(
        "| shapes | reg | engine cold (ms, sweeps) | engine warm (ms, sweeps) | POT plain (ms) "
        "| POT / engine cold | L1 gap to POT |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for shapes in ("disk_diamond_ring", "blobs"):
        A = bc.grid_shapes(shapes)
        for reg in (0.004, 0.002):
            t_cold, cold = timed(
                lambda A=A, reg=reg: convolutional_barycenter_2d(A, w, reg, tol=1e-5), repeats
            )
            t_warm, warm = timed(
                lambda A=A, reg=reg, cold=cold: convolutional_barycenter_2d(
                    A, nudged, reg, tol=1e-5, warm_start=cold.log_v
                ),
                repeats,
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t_pot, pot = timed(
                    lambda A=A, reg=reg: ot.bregman.convolutional_barycenter2d(A, reg, w), repeats
                )
            gap = np.abs(cold.image - pot / pot.sum()).sum()
            print(
                f"| {shapes} | {reg:g} | {t_cold:.1f} ({cold.iterations}) | "
                f"{t_warm:.1f} ({warm.iterations}) | {t_pot:.1f} | {t_pot / t_cold:.1f}x | "
                f"{gap:.1e} |"
            )
    A = bc.grid_shapes("disk_diamond_ring", 32)
    t_eng, eng = timed(lambda: convolutional_barycenter_2d(A, w, 0.004, tol=1e-5), repeats)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_log, log = timed(
            lambda: np.asarray(
                ot.bregman.convolutional_barycenter2d(A, 0.004, w, method="sinkhorn_log")
            ),
            1,
        )
    print(
        f"\n32 x 32, reg 0.004: engine {t_eng:.1f} ms, POT sinkhorn_log {t_log:.0f} ms "
        f"({t_log / t_eng:.0f}x), L1 gap {np.abs(eng.image - log / log.sum()).sum():.1e}"
    )


def bench_page(repeats: int) -> None:
    page = bc.BarycenterPage(bc.BarycenterModel(), embed=False)
    weights = [(0.2, 0.3, 0.5), (0.3, 0.3, 0.4)]
    k = iter(range(10**6))

    def weight_event():
        page.model.w = weights[next(k) % 2]

    h = page.model.h1.copy()

    def bar_event():
        h[10] = 0.5 if h[10] != 0.5 else 0.25
        page.flow.submit(h1=h.copy())

    def echo():
        page.readouts.rows = [list(r) for r in page.readouts.rows]
        page.flow.answer()

    t_echo, _ = timed(echo, repeats * 20)
    t_w, _ = timed(weight_event, repeats * 20)
    t_bar, _ = timed(bar_event, repeats * 20)
    gauss = bc.BarycenterPage(bc.BarycenterModel(view="gauss"), embed=False)

    def gauss_event():
        gauss.model.w = weights[next(k) % 2]

    t_g, _ = timed(gauss_event, repeats * 20)
    print("\n| event (server side) | median ms | / echo floor |")
    print("| --- | --- | --- |")
    for name, t in (
        ("echo floor (rewrite readouts, answer)", t_echo),
        ("line: weight change", t_w),
        ("line: bar drag", t_bar),
        ("Gaussians: weight change", t_g),
    ):
        print(f"| {name} | {t:.2f} | {t / t_echo:.1f}x |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"CPU: {_measure.cpu_line()}")
    print(
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, "
        f"load average {os.getloadavg()[0]:.1f}\n"
    )
    bench_grid(args.repeats)
    bench_page(args.repeats)


if __name__ == "__main__":
    main()
