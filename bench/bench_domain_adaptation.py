"""/domain_adaptation: server work per drag event against POT's ot.da, the background
sweep, and drag-to-answer latency against an echo floor.

Part 1, in process (no browser):

* the engine's three plans and barycentric maps (``ot_engine.domain.map_all``) against POT's
  ``ot.da.EMDTransport`` + ``SinkhornTransport`` + ``SinkhornLpl1Transport`` fitted and
  applied (``transform``) on the same samples, at the page's default 60 + 60 and at 80 + 80;
* ``view_ms``: the whole view of one set of samples (the three plans, four SVC fits, the two
  grids, W2 after), and ``page_event_ms``: the page's answer to one moved sample (the view
  plus every Bokeh model update), without a websocket;
* ``sweep_ms``: the background job (13 rotations, every method).

Part 2, headless Chromium on loopback: the real mouse drags one target sample (a move every
~16 ms); the browser records, per sync the points component sends, the time until the
server's answer arrives. The echo floor is the same drag on a stand-in page serving the same
component (120 samples, four groups) with a callback that does nothing.

Usage::

    python3 bench/bench_domain_adaptation.py                 # both parts
    python3 bench/bench_domain_adaptation.py --no-browser    # part 1 only
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import _browser
import _measure

sys.path.insert(0, str(_browser.ROOT))

import numpy as np
import ot

from ot_engine.domain import map_all

NAME = "da_points"


def pot_all(Xs, ys, Xt, eps, eta):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # POT's inner Sinkhorn often stops at its cap
        out = []
        for da in (
            ot.da.EMDTransport(),
            ot.da.SinkhornTransport(reg_e=eps, tol=1e-9),
            ot.da.SinkhornLpl1Transport(reg_e=eps, reg_cl=eta),
        ):
            out.append(da.fit(Xs=Xs, ys=ys, Xt=Xt).transform(Xs=Xs))
        return out


def engine_row(n: int, repeat: int) -> dict:
    from pages import domain_adaptation as page

    m = page.DomainModel(n=n)
    Xs, ys, Xt, yt = m.samples()
    eps, eta = m.eps, m.eta
    row = {
        "ours_map_all_ms": _measure.median_ms(
            lambda: map_all(Xs, Xt, ys, eps=eps, eta=eta), repeat
        ),
        "pot_da_three_ms": _measure.median_ms(lambda: pot_all(Xs, ys, Xt, eps, eta), repeat),
        "view_ms": _measure.median_ms(
            lambda: page.compute_view(Xs, ys, Xt, yt, m.method, eps, eta), repeat
        ),
    }
    row = {k: round(v, 2) for k, v in row.items()}
    row["ours_over_pot"] = round(row["ours_map_all_ms"] / row["pot_da_three_ms"], 3)
    return row


def engine_part(repeat: int) -> dict:
    return {f"{n}+{n} samples": engine_row(n, repeat) for n in (60, 80)}


def page_event_ms(repeat: int) -> float:
    """The page's answer to one moved sample, in process (no document: updates apply)."""
    from pages.domain_adaptation import DomainAdaptationPage

    view = DomainAdaptationPage(embed=False)
    xy, g = view.plot.points.xy, view.plot.points.groups
    k = int(np.flatnonzero(g == 2)[0])
    rng = np.random.default_rng(1)
    times = []
    for _ in range(repeat):
        xy[k] = rng.uniform(-1.5, 1.5, size=2)
        t0 = time.perf_counter()
        view._on_points(xy, g, False)
        times.append((time.perf_counter() - t0) * 1e3)
    return round(statistics.median(times), 2)


def sweep_ms(repeat: int) -> float:
    from pages import domain_adaptation as page

    key = page.DomainModel().sweep_key
    return round(_measure.median_ms(lambda: page.sweep_accuracy(key), max(3, repeat // 10)), 1)


STAND_IN = """
import numpy as np
import panel as pn

from pages.components.points import DraggablePoints

pn.extension()
rng = np.random.default_rng(7)
xy = np.clip(rng.normal(size=(120, 2)), -3, 3)
pts = DraggablePoints(
    xy, np.arange(120) % 4, bounds=((-3, 3), (-3, 3)),
    group_names=("a", "b", "c", "d"), max_points=160, can_remove=True,
    on_change=lambda xy, g, settled: None, name="da_points",
    height=460, width=460, sizing_mode="fixed",
)
pn.Column(pts.pane(sizing_mode="fixed")).servable()
"""


def drag(page, url: str, moves: int = 120) -> dict:
    return _browser.drag_points(
        page, url, NAME, lambda t: (-2.0 + 4.0 * t, 1.5 * np.sin(2 * np.pi * t)), moves, group="2"
    )


def browser_part() -> dict:
    return _browser.page_and_echo(drag, "/domain_adaptation", STAND_IN)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = {
        "cpu": _measure.cpu_line(),
        "load_average_before": _browser.load_average(),
        "engine": engine_part(args.repeat),
        "page_event_ms_median": page_event_ms(args.repeat),
        "sweep_ms_median": sweep_ms(args.repeat),
    }
    if not args.no_browser:
        result.update(browser_part())
        s, e = result["page_drag_to_answer"], result["echo_floor_drag_to_answer"]
        result["drag_median_over_echo"] = round(s["median_ms"] / max(e["median_ms"], 1e-9), 2)
    result["load_average_after"] = _browser.load_average()
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
