"""/wgan_critic: server work per drag event against POT, training time, drag-to-answer.

Part 1, in process (no browser), median of ``--repeat`` calls after a warm-up:

* ``w1_critic_ms``: the exact critic (LP with certificates, lower extension, plan gradients)
  at the page's 40 + 40 points, against ``pot_emd_log_ms`` (``ot.emd(..., log=True)`` on the
  Euclidean cost: the LP and its raw duals only);
* ``critic_field_ms`` and ``js_field_ms``: both fields on the 40 x 40 grid;
* ``page_event``: the page's whole answer to one drag sync without a websocket, part by part:
  the numbers (``compute_view``), the rest of the page (figures, readouts, param), Bokeh's
  serialization of the changes and the message's size; ``curve_ms``: the gradient-size curve
  (29 LPs, after a release);
* ``train_ms``: the WGAN-GP training the page runs in the background (1500 Adam steps).

Part 2, headless Chromium on loopback: the real mouse drags the offset handle along most of a
loop (150 moves, one every ~16 ms) and releases it. Per pointer move the browser records
what a student sees: ``cloud_repaint``, the first frame after the fake cloud moved (the
browser moves it itself), and ``answer_repaint``, the first frame after the server's answer
to the first sync sent at or after the move arrived (fields, arrows, readouts; one sync in
flight, so the next answer is that sync's); ``sync_to_answer_arrival`` is that answer's round
trip without the paint; ``catch_up_ms``: pointer up to the last answer painted;
``curve_after_release_ms``: pointer up to the curve painted (it follows the release's answer
in a message of its own); ``bytes_per_answer``: websocket bytes received per answer.
**Echo floor** in the same run: the same drag on a stand-in page serving the same component
(one point, the same names, bounds and flow control; Nagle off, as ``_browser.served_app``
serves every stand-in)
whose server copies the point into a second plot; its ``cloud_repaint`` is the handle's own
repaint. ``goals`` compares both paths with the floor (issue #16: median <= floor + 10 ms,
p95 <= 1.25 x floor, catch-up <= 50 ms).

Usage::

    python3 bench/bench_wgan_critic.py                 # both parts (starts its own servers)
    python3 bench/bench_wgan_critic.py --no-browser    # part 1 only
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

sys.path.insert(0, str(_browser.ROOT))

import numpy as np
import ot
import panel as pn

from ot_engine import js_discriminator, train_gp_critic, w1_critic


def engine_part(repeat: int) -> dict:
    from pages.wgan_critic import compute_view, make_clouds, norm_curve
    from pages.wgan_critic_plots import grid_points

    X, B = make_clouds("gaussians")
    Y = B + np.array([1.5, 0.5])
    n = len(X)
    a = np.full(n, 1 / n)
    _, Z = grid_points()
    critic = w1_critic(X, Y)
    row = {
        "w1_critic_ms": _measure.median_ms(lambda: w1_critic(X, Y), repeat),
        "pot_emd_log_ms": _measure.median_ms(
            lambda: ot.emd(a, a, ot.dist(X, Y, metric="euclidean"), log=True), repeat
        ),
        "critic_field_ms": _measure.median_ms(lambda: critic(Z), repeat),
        "js_field_ms": _measure.median_ms(lambda: js_discriminator(X, Y, 0.3, Z), repeat),
        "compute_view_ms": _measure.median_ms(
            lambda: compute_view("gaussians", (1.5, 0.5), 0.3), repeat
        ),
    }
    row["w1_critic_over_pot"] = round(row["w1_critic_ms"] / row["pot_emd_log_ms"], 2)
    t0 = time.perf_counter()
    norm_curve.cache_clear()
    norm_curve("gaussians", (1.0, 0.0), 0.3)
    row["curve_ms"] = round((time.perf_counter() - t0) * 1e3, 1)
    times = []
    for seed in range(3):
        t0 = time.perf_counter()
        train_gp_critic(X, Y, 10.0, steps=1500, seed=seed)
        times.append((time.perf_counter() - t0) * 1e3)
    row["train_ms_median_of_3"] = round(statistics.median(times), 1)
    return row


def page_event(repeat: int) -> dict:
    """The page's answer to one drag sync, in process, part by part (median ms): the numbers
    (``compute_view``), the rest of the page's work (figures, readouts, param), and Bokeh
    turning the changes into the websocket message (and its size)."""
    from bokeh.document import Document
    from bokeh.protocol import Protocol

    from pages import wgan_critic as wc

    view = wc.WganCriticPage(embed=False)
    doc = Document()
    doc.add_root(pn.Column(view.figure(), view.side_readouts()).get_root(doc))
    events = []
    doc.on_change(events.append)
    protocol = Protocol()
    rng = np.random.default_rng(1)
    whole, numbers, serialize, sizes = [], [], [], []
    for _ in range(repeat + 1):
        xy = rng.uniform(-3.5, 3.5, size=(1, 2))
        events.clear()
        t0 = time.perf_counter()
        wc.compute_view(view.model.preset, tuple(np.round(xy[0], 2)), view.model.h)
        t1 = time.perf_counter()
        view._on_handle(xy, np.zeros(1, int), False)
        t2 = time.perf_counter()
        msg = protocol.create("PATCH-DOC", list(events))
        size = len(msg.header_json) + len(msg.metadata_json) + len(msg.content_json)
        size += sum(len(b.to_bytes()) for b in msg.buffers)
        t3 = time.perf_counter()
        numbers.append((t1 - t0) * 1e3)
        whole.append((t2 - t1) * 1e3)
        serialize.append((t3 - t2) * 1e3)
        sizes.append(size)
    med = lambda v: round(statistics.median(v[1:]), 3)  # noqa: E731 (the first warms up)
    return {
        "answer_ms": med(whole),
        "numbers_ms": med(numbers),
        "page_rest_ms": round(med(whole) - med(numbers), 3),
        "serialize_ms": med(serialize),
        "message_bytes": int(statistics.median(sizes[1:])),
        "changed_models": len(events),
    }


HOOKS = r"""
() => {
  const doc = Bokeh.documents[0];
  const named = (n) => doc.get_model_by_name(n);
  const moves = named("wgan_handle_moves");
  const answer = named("wgan_handle_answer");
  // What moves in the browser at once: the fake cloud on the page, the handle on the floor.
  const cloud = named("wgan_fake") || named("wgan_handle_points");
  const curve = named("wgan_curve");
  const rec = window.__bench = {moves: [], ups: [], syncs: [], cloud: [], answers: [], curve: [],
                              arrivals: []};
  const frame = (list) => requestAnimationFrame(() => list.push(performance.now()));
  document.addEventListener("pointermove", (e) => {
    if (e.buttons) rec.moves.push(performance.now());
  }, true);
  document.addEventListener("pointerup", () => rec.ups.push(performance.now()), true);
  moves.connect(moves.properties.data.change, () => rec.syncs.push(performance.now()));
  // BokehJS repaints in the first animation frame after a change (its request comes first).
  cloud.connect(cloud.change, () => frame(rec.cloud));
  answer.connect(answer.properties.data.change, () => {
    rec.arrivals.push(performance.now());
    frame(rec.answers);
  });
  if (curve) curve.connect(curve.properties.data.change, () => frame(rec.curve));
  return true;
}
"""

#: The echo floor: the page's draggable-points component (one point, the same names and
#: bounds, the same flow control) on a page whose server copies the point into a second plot
#: and does nothing else; Nagle's algorithm off on its websocket, as on every notebook page.
STAND_IN = """
import panel as pn
from bokeh.models import ColumnDataSource

from pages.components.points import DraggablePoints

pn.extension()
echo = ColumnDataSource({"x": [1.5], "y": [0.5]})


def copy(xy, _groups, _settled):
    echo.data = {"x": [float(xy[0, 0])], "y": [float(xy[0, 1])]}


pts = DraggablePoints(
    [[1.5, 0.5]], [0], bounds=((-4, 4), (-4, 4)), group_names=("handle",),
    max_points=1, min_points=1, on_change=copy, name="wgan_handle",
    height=380, width=400, sizing_mode="fixed",
)
pts.figure.scatter("x", "y", source=echo, size=10, color="#D55E00", marker="square")
pn.Column(pts.pane(sizing_mode="fixed")).servable()
"""

NAME = "wgan_handle"
#: True once no training is running (the page's status line no longer says so); the floor
#: has none.
TRAINED = """() => ![...Bokeh.documents[0].all_models].some(
  (m) => typeof m.text === "string" && m.text.includes("Training the WGAN-GP critic"))"""


def summary(latencies: list[float]) -> dict:
    return {
        "count": len(latencies),
        "median_ms": round(_browser.percentile(latencies, 0.5, "linear"), 1),
        "p95_ms": round(_browser.percentile(latencies, 0.95, "linear"), 1),
    }


class FrameBytes:
    """Bytes of websocket frames the browser receives (Chrome DevTools Protocol)."""

    def __init__(self, page) -> None:
        self.received = 0
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.webSocketFrameReceived", self._add)

    def _add(self, event) -> None:
        resp = event["response"]
        data = resp.get("payloadData", "")
        self.received += len(base64.b64decode(data)) if resp.get("opcode") == 2 else len(data)


def drag(page, url: str, moves: int = 150) -> dict:
    """A 2.5 s drag of the handle along most of a loop, then release; per pointer move: the frame
    that draws the moved cloud, and the frame that draws the server's answer to the first
    sync sent at or after the move (one sync in flight: the next answer is that sync's)."""
    frames = FrameBytes(page)
    page.goto(url)
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0", timeout=30_000)
    page.wait_for_function(
        "(n) => Bokeh.documents[0].get_model_by_name(n + '_moves') !== null", arg=NAME
    )
    page.wait_for_function(
        "(args) => (" + _browser.DATA_TO_PAGE + ")(args) !== null", arg=[NAME, 0, 0]
    )
    # The drag is measured alone: the first training (a background job) has finished. (A
    # training thread competes with the event loop for the GIL on every websocket write.)
    page.wait_for_timeout(1000)
    page.wait_for_function(TRAINED, timeout=60_000)
    page.wait_for_timeout(300)
    page.evaluate(HOOKS)
    frames.received = 0
    # pixels first: no page script runs between the moves but the page's own
    path = []
    for i in range(moves + 1):
        t = 0.9 * i / moves  # most of a loop: the release lands away from the start
        x, y = 1.5 + 2.0 * np.sin(2 * np.pi * t), 0.5 + 2.5 * np.sin(np.pi * t)
        path.append(_browser.data_to_page(page, NAME, x, y))
    page.mouse.move(*path[0])
    page.mouse.down()
    for xy in path[1:]:
        page.mouse.move(*xy)
        page.wait_for_timeout(16)
    page.mouse.up()
    page.wait_for_timeout(2500)  # the answer to the release, then the curve, land
    rec = page.evaluate("() => window.__bench")
    up = rec["ups"][-1]
    drag_moves = [t for t in rec["moves"] if t < up]
    cloud, answered, round_trip = [], [], []
    for t in drag_moves:
        paint = next((p for p in rec["cloud"] if p >= t), None)
        if paint is not None:
            cloud.append(paint - t)
        sync = next((s for s in rec["syncs"] if s >= t), None)
        paint = next((p for p in rec["answers"] if sync is not None and p > sync), None)
        if paint is not None:
            answered.append(paint - t)
        arrival = next((a for a in rec["arrivals"] if sync is not None and a > sync), None)
        if arrival is not None and sync is not None:
            round_trip.append(arrival - sync)
    after = [p for p in rec["answers"] if p > up]
    curve = [p for p in rec["curve"] if p > up]
    return {
        "moves": len(drag_moves),
        "syncs": len(rec["syncs"]),
        "answers": len(rec["answers"]),
        "cloud_repaint": summary(cloud),
        "answer_repaint": summary(answered),
        "sync_to_answer_arrival": summary(round_trip),
        "catch_up_ms": round(after[-1] - up, 1) if after else 0.0,
        "curve_after_release_ms": round(curve[-1] - up, 1) if curve else None,
        "bytes_per_answer": round(frames.received / max(len(rec["answers"]), 1)),
    }


def browser_part() -> dict:
    return _browser.page_and_echo(drag, "/wgan_critic", STAND_IN, key="wgan_drag")


def goals(page: dict, floor: dict) -> dict:
    """Issue #16's goals against the floor of the same run: median <= floor + 10 ms, p95 <=
    1.25 x floor, catch-up <= 50 ms (the floor's answer paths are compared with the page's)."""
    out = {
        what: _measure.budget(page[what], floor[what])
        for what in ("cloud_repaint", "answer_repaint")
    }
    out["catch_up_ok"] = page["catch_up_ms"] <= 50
    return out


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
        "page_event": page_event(args.repeat),
    }
    if not args.no_browser:
        result.update(browser_part())
        w, e = result["wgan_drag"], result["echo_floor_drag_to_answer"]
        result["goals"] = goals(w, e)
    result["load_average_after"] = _browser.load_average()
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
