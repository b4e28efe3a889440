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
import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _browser
import _measure
import numpy as np
import ot

from ot_engine.colour import map_colours, palette_transport, sample_palette
from pages.colour_transfer_images import bundled, to_colours


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


# --- part 2: headless Chromium -----------------------------------------------------------

#: In the browser: pick a method (the RadioButtonGroup's model), time until the chroma plane's
#: lines arrive from the server (and, with ``full``, until the recoloured picture does).
SWITCH_METHOD = """async ([index, full]) => {
  const all = [...Bokeh.documents[0].all_models];
  const group = all.find(m => Array.isArray(m.labels) && m.labels.includes('exact OT'));
  const lines = all.find(m => m.data && 'x1' in m.data && 'x0' in m.data);
  const pic = all.find(m => typeof m.after === 'string' && 'before_alt' in m);
  const old = lines.data.x1, oldPic = pic ? pic.after : null;
  const start = performance.now();
  group.active = index;
  let answer = -1, progress = 0, lastProgress = null;
  while (performance.now() - start < 60000) {
    if (answer < 0 && lines.data.x1 !== old) {
      answer = performance.now() - start;
      if (!full) return [answer, -1, 0];
    }
    const bar = document.querySelector('progress') ||
      [...document.querySelectorAll('*')].map(e => e.shadowRoot && deepProgress(e.shadowRoot))
        .find(Boolean);
    if (bar && bar.value !== lastProgress) { lastProgress = bar.value; progress += 1; }
    if (answer >= 0 && pic && pic.after !== oldPic) {
      return [answer, performance.now() - start, progress];
    }
    await new Promise(r => setTimeout(r, 1));
  }
  return [answer, -1, progress];
  function deepProgress(root) {
    const p = root.querySelector('progress');
    if (p) return p;
    for (const e of root.querySelectorAll('*')) {
      if (e.shadowRoot) { const q = deepProgress(e.shadowRoot); if (q) return q; }
    }
    return null;
  }
}"""

#: In the browser: pick a method and time until the first frame after the chroma plane's new
#: lines arrived from the server (a change listener: polling the page would take the main
#: thread from the very work it times, and more on the real page than on the small floor).
SWITCH_TO_PAINT = """async (index) => {
  const all = [...Bokeh.documents[0].all_models];
  const group = all.find(m => Array.isArray(m.labels) && m.labels.includes('exact OT'));
  const lines = all.find(m => m.data && 'x1' in m.data && 'x0' in m.data);
  return await new Promise((resolve) => {
    let waiting = true;
    const timer = setTimeout(() => { waiting = false; resolve(-1); }, 30000);
    lines.connect(lines.properties.data.change, () => {
      if (!waiting) return;
      waiting = false;
      requestAnimationFrame(() => { clearTimeout(timer); resolve(performance.now() - start); });
    });
    const start = performance.now();
    group.active = index;
  });
}"""

#: Move the eps slider (the DiscreteSlider's Bokeh slider: start 0, end 6, an index) and time
#: until the first frame after a thumbnail caption says the new eps (the entropic plan
#: re-solved and drawn), with a change listener as above.
SET_EPS = """async ([index, label]) => {
  const all = [...Bokeh.documents[0].all_models];
  const slider = all.find(
    m => m.start === 0 && m.end === 6 && m.step === 1 && 'value_throttled' in m);
  const html = all.find(m => typeof m.text === 'string' && m.text.includes('ct-thumbs'));
  // Panel sends the pane's HTML escaped
  const says = (t) => t.includes('ε = ' + label + '<') || t.includes('ε = ' + label + '&lt;');
  return await new Promise((resolve) => {
    let waiting = true;
    const timer = setTimeout(() => { waiting = false; resolve(-1); }, 30000);
    html.connect(html.properties.text.change, () => {
      if (!waiting || !says(html.text)) return;
      waiting = false;
      requestAnimationFrame(() => { clearTimeout(timer); resolve(performance.now() - start); });
    });
    const start = performance.now();
    slider.value = index;
    slider.value_throttled = index;
  });
}"""

#: Move the before/after split (a native range input): the time to the next painted frame,
#: and the websocket messages the page sent meanwhile (none expected: browser work only).
MOVE_SPLIT = """async (value) => {
  const range = document.querySelector('.ct-range') ||
    [...document.querySelectorAll('*')].map(e => e.shadowRoot && find(e.shadowRoot)).find(Boolean);
  const sent = window.__wsSent;
  const start = performance.now();
  range.value = String(value);
  range.dispatchEvent(new Event('input', {bubbles: true}));
  await new Promise(r => requestAnimationFrame(() => r()));
  return [performance.now() - start, window.__wsSent - sent];
  function find(root) {
    const r = root.querySelector('.ct-range');
    if (r) return r;
    for (const e of root.querySelectorAll('*')) {
      if (e.shadowRoot) { const q = find(e.shadowRoot); if (q) return q; }
    }
    return null;
  }
}"""

#: Counts the websocket messages the page sends (for the before/after split).
COUNT_SENDS = """
window.__wsSent = 0;
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (...args) {
  window.__wsSent += 1;
  return send.apply(this, args);
};
"""

#: The echo floor: the same two widgets (same Bokeh models), a server callback that only
#: copies the new value into a small line source or an HTML text, no computation.
STAND_IN = """
import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

pn.extension()
LABELS = {"exact OT": "exact", "entropic OT": "entropic", "Gaussian map": "linear",
          "per channel": "histogram"}
EPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1)
method = pn.widgets.RadioButtonGroup(options=LABELS, value="exact", orientation="vertical")
eps = pn.widgets.DiscreteSlider(options={f"{e:g}": e for e in EPS}, value=0.01, name="Entropic ε")
_compat.answer_at_once(eps)  # as the page's
lines = ColumnDataSource({"x0": [0.0], "y0": [0.0], "x1": [0.0], "y1": [0.0]})
fig = figure(width=300, height=300, tools="", toolbar_location=None)
fig.segment("x0", "y0", "x1", "y1", source=lines)
text = pn.pane.HTML('<div class="ct-thumbs">ε = 0.01</div>')
method.param.watch(lambda e: setattr(lines, "data", {"x0": [0.0], "y0": [0.0],
    "x1": [float(len(e.new))], "y1": [1.0]}), "value")
eps.param.watch(
    lambda e: setattr(text, "object", f'<div class="ct-thumbs">ε = {e.new:g}</div>'), "value")
pn.Row(pn.Column(method, eps), pn.pane.Bokeh(fig), text).servable()
"""

ORDER = ("exact", "entropic", "linear", "histogram")  # the radio buttons' order (METHODS)


def _stats(values: list[float]) -> dict:
    values = [v for v in values if v >= 0]
    return {
        "n": len(values),
        "median_ms": round(_browser.percentile(values, 0.5, "linear"), 1),
        "p95_ms": round(_browser.percentile(values, 0.95, "nearest"), 1),
    }


def _ready(page, url: str, real: bool) -> None:
    _browser.goto_when_up(page, url)
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0", timeout=60_000)
    if real:  # the first solves and picture are in
        page.wait_for_function(
            "() => [...Bokeh.documents[0].all_models].some(m => typeof m.text === 'string'"
            " && m.text.includes('ε = 0.01&lt;'))",
            timeout=60_000,
        )
    page.wait_for_timeout(300)


def interactions(page, url: str, rounds: int, real: bool = True) -> dict:
    """Method switches and eps moves, alternating, ``rounds`` of each."""
    _ready(page, url, real)
    methods, eps = [], []
    for k in range(rounds):
        # to a method and back, so every switch changes the lines
        index = 1 + k % 3
        for i in (index, 0):
            methods.append(page.evaluate(SWITCH_TO_PAINT, i))
            page.wait_for_timeout(150)
        for i, label in ((4 + k % 2, ("0.02", "0.05")[k % 2]), (3, "0.01")):
            eps.append(page.evaluate(SET_EPS, [i, label]))
            page.wait_for_timeout(150)
    out = {"method_switch": _stats(methods), "eps_move": _stats(eps)}
    if real:
        split = [page.evaluate(MOVE_SPLIT, v) for v in range(10, 91, 4)]
        out["split_to_frame"] = _stats([t for t, _ in split])
        out["split_messages_sent"] = sum(n for _, n in split)
    return out


def big_upload_png() -> bytes:
    """A 1024 x 1024 picture (the largest allowed) that compresses below the upload limit."""
    from PIL import Image

    x = np.linspace(0.0, 1.0, 1024)
    X, Y = np.meshgrid(x, x)
    rgb = np.stack([X, Y, (1 - X) * Y], -1) * 255
    out = io.BytesIO()
    Image.fromarray(rgb.astype(np.uint8)).save(out, format="PNG", optimize=True)
    return out.getvalue()


#: Run SWITCH_METHOD without waiting for it; the result lands in ``window.__switch``.
START_SWITCH = """([src, args]) => {
  window.__switch = null;
  eval('(' + src + ')')(args).then(r => { window.__switch = r; });
}"""


def background(base: str, browser, rounds: int) -> dict:
    """Session A uploads a 1-megapixel source and switches methods: the picture is mapped in
    the background (time to the new picture, progress reports seen). Session B, on the
    default pictures, switches methods meanwhile: its event path must stay interactive, and
    its own (small) picture's mapping shares the worker thread with A's."""
    a = browser.new_page(viewport={"width": 1280, "height": 900})
    b = browser.new_page(viewport={"width": 1280, "height": 900})
    for page in (a, b):
        _ready(page, base + "/colour_transfer", True)
    a.locator(".ct-upload input[type=file]").nth(0).set_input_files(
        {"name": "big.png", "mimeType": "image/png", "buffer": big_upload_png()}
    )
    a.wait_for_function(
        "() => [...Bokeh.documents[0].all_models].some(m => typeof m.after === 'string'"
        " && m.after_alt.includes('big.png'))",
        timeout=180_000,
    )
    a.wait_for_timeout(500)
    full, reports, during, b_full = [], [], [], []
    for k in range(rounds):
        # A: exact <-> per channel, each a full mapping of the megapixel picture
        a.evaluate(START_SWITCH, [SWITCH_METHOD, [(3, 0)[k % 2], True]])
        b.wait_for_timeout(200)  # B acts while A's picture is being mapped
        for i in (1 + k % 3, 0):
            answer, picture, _ = b.evaluate(SWITCH_METHOD, [i, True])
            during.append(answer)
            b_full.append(picture)
        a.wait_for_function("() => window.__switch !== null", timeout=120_000)
        _, picture, progress = a.evaluate("() => window.__switch")
        full.append(picture)
        reports.append(progress)
    a.close()
    b.close()
    return {
        "A_1MP_switch_to_picture": _stats(full),
        "A_progress_values_seen_per_picture": statistics.median(reports) if reports else 0,
        "B_switch_answer_while_A_maps": _stats(during),
        "B_switch_to_own_picture_while_A_maps": _stats(b_full),
    }


def browser_part(rounds: int, background_part: bool = True) -> dict:
    def measure(page, url):
        real = "/colour_transfer" in url
        if real:
            page.add_init_script(COUNT_SENDS)
        return interactions(page, url, rounds, real)

    out = _browser.page_and_echo(measure, "/colour_transfer", STAND_IN, key="page")
    out["echo_floor"] = out.pop("echo_floor_drag_to_answer")
    if background_part:
        with _browser.serving() as base, _browser.chromium() as browser:
            out["background"] = background(base, browser, max(2, rounds // 3))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=10, help="browser rounds of each action")
    parser.add_argument("--no-browser", action="store_true", help="part 1 only")
    parser.add_argument("--browser-only", action="store_true", help="part 2 only")
    parser.add_argument(
        "--no-background", action="store_true", help="part 2 without the two-session run"
    )
    args = parser.parse_args()
    print(f"CPU: {_measure.cpu_line()}")
    print(f"numpy {np.__version__}, POT {ot.__version__}, Python {platform.python_version()}")
    print(f"load average (1 min) before: {_browser.load_average():.2f}")
    if not args.browser_only:
        solves(args.repeats)
        eps_change(args.repeats)
        method_switch(args.repeats)
        big_picture(args.repeats)
    if not args.no_browser:
        print("\nheadless Chromium, loopback (ms; page and echo floor in one run):")
        print(
            json.dumps(
                browser_part(args.rounds, not args.no_background), indent=2, ensure_ascii=False
            )
        )
    print(f"load average (1 min) after: {_browser.load_average():.2f}")


if __name__ == "__main__":
    main()
