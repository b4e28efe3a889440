"""Drag-to-repaint latency of /transport_plan in headless Chromium on loopback.

Measures, on the served page (serve.sh, one process) at n = 128 bins and ε = 1e-3 of the
largest cost:

* bar drag: from a pointer move that changes a bar of p to the plan heat map painted with a
  result that includes that move, over a continuous drag of about 2.5 s; and the catch-up
  after the pointer is released (pointer up to the final result painted);
* regularization slider: from a slider value change (the handle dragged with the mouse) to
  the heat map painted with a result for that value (or a later one), same statistics;
* bytes per update: websocket frames received by the browser (Chrome DevTools Protocol,
  ``Network.webSocketFrameReceived``; binary frames counted as decoded bytes) divided by the
  number of plan updates, and the bytes sent per bar sync.

"Painted" is the first ``requestAnimationFrame`` after the heat map's data source changed
(BokehJS re-renders in that same frame: its own frame request is queued first). A move is
matched to its result through the page's flow control: a bar sync is only sent once the
previous answer arrived, so the first plan after a sync is that sync's answer.

**Echo floor** in the same run (issue #16): the same two paths on a stand-in page served by
the same stack (``_browser.served_app``: Nagle off, small arrays inline) with the same
components and names (the draggable histogram ``tp_p`` on the same grid, the same ε slider
and its script, one flow answering both), whose server copies the bars into a second bar
plot, or answers the slider with its ε, and computes nothing. ``goals`` compares the page
with it: median <= floor + 10 ms, p95 <= 1.25 x floor, catch-up <= 50 ms.

Usage::

    python3 bench/bench_transport_plan_latency.py            # starts serve.sh on a free port
    python3 bench/bench_transport_plan_latency.py --url http://127.0.0.1:5081  # a running one
    python3 bench/bench_transport_plan_latency.py --repeat 3 --json out.json
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import time
from pathlib import Path

import _browser
import _measure

QUERY = "?n=128&eps=0.001&cost=2"

HOOKS = r"""
() => {
  const doc = Bokeh.documents[0];
  const rec = window.__bench = {moves: [], ups: [], syncs: [], paints: [], values: []};
  const p = doc.get_model_by_name("tp_p");
  const answer = doc.get_model_by_name("tp_answer");
  document.addEventListener("pointermove", (e) => {
    if (e.buttons) rec.moves.push(performance.now());
  }, true);
  document.addEventListener("pointerup", () => rec.ups.push(performance.now()), true);
  p.properties.data.change.connect(() => rec.syncs.push(performance.now()));
  // The answer (sequence number, ε) is the last change of each update, after the image.
  answer.properties.data.change.connect(() => {
    const eps = answer.data.eps[0];
    requestAnimationFrame(() => rec.paints.push([performance.now(), eps]));
  });
  for (const m of doc.all_models) {
    if (m.type === "Slider" && String(m.title).startsWith("ε")) {
      m.properties.value.change.connect(() => rec.values.push([performance.now(), m.value]));
    }
  }
  return true;
}
"""


def summary(latencies: list[float]) -> dict:
    return {
        "count": len(latencies),
        "median_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(_browser.percentile(latencies, 0.95, rule="linear"), 1),
        "max_ms": round(max(latencies), 1),
    }


class FrameCounter:
    """Bytes of websocket frames seen by the browser (CDP Network domain)."""

    def __init__(self, cdp) -> None:
        self.received = 0
        self.sent = 0
        self.sent_frames: list[int] = []
        cdp.send("Network.enable")
        cdp.on("Network.webSocketFrameReceived", lambda e: self._add(e, "received"))
        cdp.on("Network.webSocketFrameSent", lambda e: self._add(e, "sent"))

    @staticmethod
    def _size(event) -> int:
        resp = event["response"]
        data = resp.get("payloadData", "")
        if resp.get("opcode") == 2:  # binary frames arrive base64-encoded
            return len(base64.b64decode(data))
        return len(data.encode("utf-8"))

    def _add(self, event, kind: str) -> None:
        size = self._size(event)
        if kind == "received":
            self.received += size
        else:
            self.sent += size
            self.sent_frames.append(size)

    def reset(self) -> None:
        self.received = self.sent = 0
        self.sent_frames = []


def drag_bars(page, frames: FrameCounter, seconds: float) -> dict:
    """Drag across p's bars for ``seconds`` (heights following a wave), then release."""
    page.evaluate("() => { const r = window.__bench; for (const k in r) r[k].length = 0; }")
    frames.reset()
    pos = lambda x, y: _browser.data_to_page(page, "tp_p_fig", x, y)  # noqa: E731
    x0, y0 = pos(0.05, 0.3)
    x1, y_top = pos(0.95, 0.9)
    _, y_low = pos(0.95, 0.1)
    page.mouse.move(x0, y0)
    page.mouse.down()
    t_end = time.monotonic() + seconds
    k = 0
    while time.monotonic() < t_end:
        k += 1
        s = (k % 120) / 120  # sweep the bars back and forth
        frac = s * 2 if s < 0.5 else 2 - s * 2
        height = y_low + (y_top - y_low) * (0.5 + 0.5 * ((k // 7) % 2))
        page.mouse.move(x0 + frac * (x1 - x0), height)
        page.wait_for_timeout(12)
    page.mouse.up()
    page.wait_for_timeout(600)  # let the last answer arrive
    rec = page.evaluate("() => window.__bench")
    moves, syncs = rec["moves"], rec["syncs"]
    paints = [t for t, _ in rec["paints"]]
    latencies = []
    for t, next_move in zip(moves, [*moves[1:], float("inf")], strict=True):
        sync = next((s for s in syncs if s >= t), None)
        if sync is None or sync > next_move:
            continue  # the move changed no bar (back over bars already at that height)
        paint = next((p for p in paints if p > sync), None)
        if paint is not None:
            latencies.append(paint - t)
    # Catch-up: pointer up to the paint of the answer to the last sync (the final state).
    up = rec["ups"][-1]
    catch_up = max(paints[-1] - up, 0.0) if paints else float("nan")
    out = summary(latencies)
    out.update(
        moves=len(moves),
        syncs=len(syncs),
        updates=len(paints),
        catch_up_ms=round(catch_up, 1),
        bytes_per_update=round(frames.received / max(len(paints), 1)),
        bytes_per_sync_sent=round(frames.sent / max(len(syncs), 1)),
    )
    return out


def drag_slider(page, frames: FrameCounter, seconds: float) -> dict:
    """Drag the ε slider's handle for ``seconds`` (down, then up, at a steady pace)."""
    page.evaluate("() => { const r = window.__bench; for (const k in r) r[k].length = 0; }")
    frames.reset()
    handle = page.locator(".noUi-handle").first
    box = handle.bounding_box()
    track = page.locator(".noUi-base").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    left = track["x"] + 2
    t_start = time.monotonic()
    while time.monotonic() < t_start + seconds:
        s = ((time.monotonic() - t_start) / seconds) * 2
        frac = s if s < 1 else 2 - s  # to the left end (small ε) and back
        page.mouse.move(x + frac * (left - x), y)
        page.wait_for_timeout(12)
    page.mouse.up()
    page.wait_for_timeout(600)
    rec = page.evaluate("() => window.__bench")
    values = rec["values"]  # [time, log10 fraction]
    paints = [(t, float(f"{e:.3g}")) for t, e in rec["paints"]]
    wanted = [(t, float(f"{10**v:.3g}")) for t, v in values]
    latencies = []
    for idx, (t, _eps) in enumerate(wanted):
        # the first paint showing this value or one set after it
        later = {e for _, e in wanted[idx:]}
        paint = next((pt for pt, e in paints if pt > t and e in later), None)
        if paint is not None:
            latencies.append(paint - t)
    # Catch-up: pointer up to the paint of the final value (0 if it was painted before).
    # Neighbouring slider positions can round to the same ε; the first of them counts.
    up = rec["ups"][-1]
    final_t, final = wanted[-1] if wanted else (up, None)
    for t, e in reversed(wanted):
        if e != final:
            break
        final_t = t
    catch_up = next((pt for pt, e in paints if pt > final_t and e == final), None)
    out = summary(latencies)
    out.update(
        value_changes=len(values),
        updates=len(paints),
        catch_up_ms=round(max(catch_up - up, 0.0), 1) if catch_up is not None else None,
        final_value_painted=catch_up is not None,
        bytes_per_update=round(frames.received / max(len(paints), 1)),
    )
    return out


#: The echo floor: the page's components and names, a server that copies and computes nothing.
STAND_IN = """
import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource, Range1d, Slider
from bokeh.plotting import figure

from pages.components import js
from pages.components.flow import Flow, scalar_request
from pages.components.histogram import Histogram
from ot_engine.geometry import uniform_grid
from pages.transport_plan import _slider_eps
from pages.transport_plan_plots import YMAX

pn.extension()
x = uniform_grid(128)
heights = 0.2 + 0.6 * np.exp(-((x - 0.4) ** 2) / 0.02)
echo = ColumnDataSource({"x": x, "top": heights})


def apply(update):
    log_eps = update.pop("log_eps", None)
    if "p" in update:
        echo.data = {"x": x, "top": np.asarray(update["p"], dtype=float)}
    flow.answer(eps=_slider_eps(log_eps) if log_eps is not None else flow_eps[0])
    if log_eps is not None:
        flow_eps[0] = _slider_eps(log_eps)


flow_eps = [0.001]
flow = Flow(apply, name="tp_answer", eps=0.001)
p = Histogram(x, heights, flow=flow, key="p", ymax=YMAX, title="p", width=600, height=170,
              x_range=Range1d(0, 1, bounds=(0, 1)), name="tp_p")
copy = figure(width=600, height=170, x_range=Range1d(0, 1), tools="", toolbar_location=None)
copy.vbar(x="x", top="top", width=float(x[1] - x[0]), source=echo)
request = ColumnDataSource({"log_eps": [-3.0]}, name="tp_eps_request")
copy.tags = [flow.answer_source, request]
slider = Slider(title="ε / largest cost (log scale)", start=-4.0, end=0.0, step=0.01,
                value=-3.0, syncable=False, width=400)
slider.js_on_change("value", js.custom_js("transport_plan_eps.js", Flow.JS, request=request,
                                          answer=flow.answer_source))
flow.listen(request, lambda data: scalar_request(data, "log_eps", -4.0, 0.0))
pn.Column(pn.pane.Bokeh(slider), pn.pane.Bokeh(p.figure), pn.pane.Bokeh(copy)).servable()
"""


def goals(page: dict, floor: dict) -> dict:
    """Issue #16's goals for each path against the floor of the same run."""
    return {
        what: {
            **_measure.budget(page[what], floor[what]),
            "catch_up_ok": (page[what]["catch_up_ms"] or 0) <= 50,
        }
        for what in ("drag", "slider")
    }


def run(base: str, seconds: float, path: str = "/transport_plan" + QUERY) -> dict:
    with _browser.chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        cdp = page.context.new_cdp_session(page)
        frames = FrameCounter(cdp)
        _browser.goto_when_up(page, base + path)
        page.wait_for_function(
            "() => window.Bokeh && Bokeh.documents.length > 0 && "
            "Bokeh.documents[0].get_model_by_name('tp_answer') != null"
        )
        page.wait_for_timeout(1000)
        page.evaluate(HOOKS)
        drag = drag_bars(page, frames, seconds)
        slider = drag_slider(page, frames, seconds)
    return {"drag": drag, "slider": slider}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (default: start serve.sh)")
    parser.add_argument("--seconds", type=float, default=2.5, help="length of each drag")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    print(_measure.cpu_line())
    runs = []
    with _browser.serving(args.url) as base, _browser.served_app(STAND_IN) as echo:
        for _ in range(args.repeat):
            load_before = _browser.load_average()
            result = run(base, args.seconds)
            result["echo_floor"] = run(echo, args.seconds, "")
            result["goals"] = goals(result, result["echo_floor"])
            result["load_avg_1min"] = [round(load_before, 2), round(_browser.load_average(), 2)]
            runs.append(result)
    for k, r in enumerate(runs):
        print(f"run {k + 1} (load average before/after: {r['load_avg_1min']}):")
        for what in ("drag", "slider"):
            print(f"  {what:6s} page  {json.dumps(r[what])}")
            print(f"  {what:6s} floor {json.dumps(r['echo_floor'][what])}")
            print(f"  {what:6s} goals {json.dumps(r['goals'][what])}")
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=2))
    sys.exit(0)


if __name__ == "__main__":
    main()
