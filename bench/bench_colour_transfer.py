"""Benchmark /colour_transfer: palette solves against POT's ot.da transports, the eps change
(warm start), a method switch, and the background mapping of a whole picture.

Run from the repository root (about a minute; POT's entropic fit dominates):

    python bench/bench_colour_transfer.py [--repeats 3]

Everything runs in one process, one BLAS thread (as serve.sh sets it), so the ratios compare
like with like; absolute times depend on the CPU (its flags are printed: numpy's exp is
several times slower without AVX-512).

- palette solves, n = 1000 and 2000 colours, on the default pair (sunset -> forest) and on
  a picture with no repeated colours (random noise): ot_engine.colour.palette_transport
  against ot.da.EMDTransport / SinkhornTransport / LinearTransport ``fit`` + ``transform``;
- "eps change": the page's entropic re-solve, warm-started from the previous eps;
- "method switch": the page's whole answer to a new method (draw + map the picture) with the
  solves reused, measured on the page object without a server (no network);
- "map a picture": map_colours on every pixel of a 1 megapixel upload (the largest allowed),
  in the background job's chunks.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import ot

from ot_engine.colour import map_colours, palette_transport, sample_palette
from pages.colour_transfer_images import bundled, to_colours


def cpu_flags() -> str:
    text = Path("/proc/cpuinfo").read_text()
    model = next((ln.split(":", 1)[1].strip() for ln in text.splitlines()
                  if ln.startswith("model name")), platform.processor())  # fmt: skip
    flags = sorted({w for w in text.split() if w.startswith("avx512")})
    return f"{model}; avx512: {' '.join(flags) or 'none'}; cores: {os.cpu_count()}"


def best(repeats: int, fn, *args, **kwargs) -> float:
    """Median wall time of ``repeats`` calls ``fn(*args, **kwargs)``, in ms."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(*args, **kwargs)
        times.append(1e3 * (time.perf_counter() - t))
    return statistics.median(times)


def palettes(kind: str, n: int):
    if kind == "noise":  # no repeated colours: the worst case for the solvers
        rng = np.random.default_rng(0)
        return rng.random((n, 3)), rng.random((n, 3)) ** 2
    S, T = to_colours(bundled("sunset")), to_colours(bundled("forest"))
    return sample_palette(S, n, 0), sample_palette(T, n, 1)


def pot_fit(cls, X, Y, **kw):
    return cls(**kw).fit(Xs=X, Xt=Y).transform(Xs=X)


def solves(repeats: int) -> None:
    print("\npalette solves (ms, median): engine vs POT ot.da fit + transform")
    print(f"{'palettes':<18}{'method':<22}{'engine':>9}{'POT':>10}{'POT/engine':>12}")
    for kind in ("sunset->forest", "noise"):
        for n in (1000, 2000):
            X, Y = palettes("noise" if kind == "noise" else "pictures", n)
            rows = [
                ("exact", {}, ot.da.EMDTransport, {}),
                ("linear", {}, ot.da.LinearTransport, {"reg": 1e-8}),
                ("entropic eps=0.1", {"eps": 0.1}, ot.da.SinkhornTransport, {"reg_e": 0.1}),
            ]
            if n == 1000:
                rows.append(("entropic eps=0.01", {"eps": 0.01}, None, {}))
            for label, kw, cls, pot_kw in rows:
                method = label.split()[0]
                r = 1 if (n == 2000 or cls is ot.da.SinkhornTransport) else repeats
                eng = best(r, palette_transport, X, Y, method, **kw)
                if cls is None or (n == 2000 and cls is ot.da.SinkhornTransport):
                    pot, ratio = float("nan"), "skipped"
                else:
                    pot = best(1, pot_fit, cls, X, Y, **pot_kw)
                    ratio = f"{pot / eng:.1f}x"
                print(f"{kind + f' n={n}':<18}{label:<22}{eng:>9.1f}{pot:>10.1f}{ratio:>12}")


def eps_change(repeats: int) -> None:
    X, Y = palettes("pictures", 1000)
    print("\neps change on sunset->forest, n = 1000 (ms, median): warm vs cold")
    prev = palette_transport(X, Y, "entropic", eps=0.01).plan_result
    for eps in (0.005, 0.02, 0.002):

        def solve(eps=eps, warm=None):
            return palette_transport(X, Y, "entropic", eps=eps, warm_start=warm)

        warm = best(repeats, solve, warm=prev)
        cold = best(repeats, solve)
        print(f"  0.01 -> {eps:<6g} warm {warm:8.1f}   cold {cold:8.1f}")


def method_switch(repeats: int) -> None:
    import pages.colour_transfer as ct

    view = ct.ColourTransferPage(ct.ColourModel(), embed=False)
    methods = ["linear", "histogram", "exact", "entropic"]
    times = []
    for k in range(4 * repeats):
        t = time.perf_counter()
        view.model.method = methods[k % 4]
        times.append(1e3 * (time.perf_counter() - t))
    print(
        "\nmethod switch, page without a server (draw + map 192 x 128 picture, ms): "
        f"median {statistics.median(times):.1f}, max {max(times):.1f}"
    )
    # what a served session does on the event path: redraw from the kept solves (the
    # picture is mapped by the background job)
    paint = best(4 * repeats, view._paint)
    print(f"  of which the event path (redraw, no mapping), median: {paint:.1f} ms")


def big_picture(repeats: int) -> None:
    rng = np.random.default_rng(3)
    Z = rng.random((1 << 20, 3))
    X, Y = palettes("pictures", 1000)
    print("\nmap a 1 megapixel picture (background job, ms, median)")
    for method, kw in (("exact", {}), ("linear", {}), ("histogram", {})):
        pm = palette_transport(X, Y, method, **kw)
        ms = best(max(1, repeats // 2), map_colours, pm, Z)
        print(f"  {method:<10} {ms:8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"CPU: {cpu_flags()}")
    print(f"numpy {np.__version__}, POT {ot.__version__}, Python {platform.python_version()}")
    solves(args.repeats)
    eps_change(args.repeats)
    method_switch(args.repeats)
    big_picture(args.repeats)


if __name__ == "__main__":
    main()
