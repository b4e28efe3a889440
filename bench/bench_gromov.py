"""Speed of the Gromov-Wasserstein engine and page, measured in one run.

Usage::

    python3 bench/bench_gromov.py              # about a minute on a quiet 2-core machine
    python3 bench/bench_gromov.py --repeats 3

What it measures (median of ``--repeats`` runs, milliseconds):

* **Engine vs POT, exact.** ``ot_engine.gromov_wasserstein`` (conditional gradient) against
  POT's ``ot.gromov.gromov_wasserstein`` from the same start (the product coupling) on the
  page's spiral preset at n = 50, 100, 200; the two values are printed (they agree).
* **Engine vs POT, entropic** (eps = 0.02): the engine's mirror descent (one warm-started
  ``ot_engine.sinkhorn`` per step) against POT's ``entropic_gromov_wasserstein`` (``solver=
  "PGD"``, its own Sinkhorn, default tolerances), same start.
* **Page, per event** (server side, no browser): a turn of the 3D shape (yaw slider: turned
  points, distance check, repaint, readouts) and a new scene (n slider: new shapes, repaint;
  the solve itself is queued for the worker and not counted here); and the **background
  solve** (all 4 starts) that follows a new scene.

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

from ot_engine.gromov import distance_matrix, gromov_multistart, gromov_wasserstein
from ot_engine.gromov_scene import make_scene


def timed(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(1e3 * (time.perf_counter() - t0))
    return statistics.median(times), out


def engine_vs_pot(repeats: int) -> None:
    print("\n| n | engine exact (ms) | POT exact (ms) | ratio | engine GW | POT GW |")
    print("| --- | --- | --- | --- | --- | --- |")
    for n in (50, 100, 200):
        scene = make_scene("spiral", n, noise=0.02, seed=1)
        C1, C2 = distance_matrix(scene.X), distance_matrix(scene.Y)
        p = np.full(n, 1 / n)
        te, res = timed(lambda C1=C1, C2=C2: gromov_wasserstein(C1, C2), repeats)
        tp, log = timed(
            lambda C1=C1, C2=C2, p=p: ot.gromov.gromov_wasserstein(C1, C2, p, p, log=True)[1],
            repeats,
        )
        print(
            f"| {n} | {te:.1f} | {tp:.1f} | {tp / te:.1f}x | {res.value:.6f} | "
            f"{log['gw_dist']:.6f} |"
        )
    eps = 0.02
    print(f"\n| n | engine entropic eps={eps} (ms) | POT entropic PGD (ms) | ratio | engine GW |")
    print("| --- | --- | --- | --- | --- |")
    for n in (50, 100, 200):
        scene = make_scene("spiral", n, noise=0.02, seed=1)
        C1, C2 = distance_matrix(scene.X), distance_matrix(scene.Y)
        p = np.full(n, 1 / n)
        te, res = timed(lambda C1=C1, C2=C2: gromov_wasserstein(C1, C2, eps=eps), repeats)

        def pot(C1=C1, C2=C2, p=p):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return ot.gromov.entropic_gromov_wasserstein(
                    C1, C2, p, p, "square_loss", epsilon=eps, solver="PGD"
                )

        tp, _ = timed(pot, 1 if n == 200 else repeats)
        print(f"| {n} | {te:.1f} | {tp:.1f} | {tp / te:.1f}x | {res.value:.6f} |")


def page_events(repeats: int) -> None:
    from pages import gromov_wasserstein as gw

    view = gw.GromovPage(gw.GromovModel(), embed=False)
    queued = []
    view._job.submit = lambda fn: queued.append(fn) or 0  # the worker's part, timed below

    turns = []
    for k in range(40):
        t0 = time.perf_counter()
        view.model.yaw = -180.0 + 9.0 * (k % 40)
        turns.append(1e3 * (time.perf_counter() - t0))
    print("\n| event (server side, n = 60 unless said) | median (ms) | max (ms) | runs |")
    print("| --- | --- | --- | --- |")
    print(f"| turn the 3D shape (yaw) | {statistics.median(turns):.2f} | {max(turns):.2f} | 40 |")
    for n in (60, 120, 200):
        scenes = []
        for seed in range(2, 2 + repeats + 1):
            t0 = time.perf_counter()
            view.model.param.update(n=n, seed=seed)
            scenes.append(1e3 * (time.perf_counter() - t0))
        print(
            f"| new scene, n = {n} (solve queued) | {statistics.median(scenes):.2f} | "
            f"{max(scenes):.2f} | {len(scenes)} |"
        )
    print("\n| background solve, 4 starts | n | eps | median (ms) |")
    print("| --- | --- | --- | --- |")
    for preset in ("spiral", "ring_knot"):
        for n, eps in ((60, 0.0), (120, 0.0), (200, 0.0), (60, 0.02), (120, 0.02)):
            scene = make_scene(preset, n, noise=0.02, seed=1)
            C1, C2 = distance_matrix(scene.X), distance_matrix(scene.Y)
            t, _ = timed(
                lambda C1=C1, C2=C2, eps=eps: gromov_multistart(C1, C2, eps=eps, starts=4, seed=1),
                1 if eps else repeats,
            )
            print(f"| {preset} | {n} | {eps:g} | {t:.0f} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"CPU: {_measure.cpu_line()}")
    print(f"load average: {os.getloadavg()[0]:.1f}")
    # OpenBLAS's second thread costs more than it gives on a loaded 2-core machine (a 200 x 200
    # product: ~1 ms with one thread, ~60 ms with two at a load of 13): report which was used.
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    engine_vs_pot(args.repeats)
    page_events(args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
