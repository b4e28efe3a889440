"""What the bench scripts share: serve.sh on a free loopback port, Debian Chromium through
Playwright with the offline flags, latency percentiles, and data -> pixel for drags.

The scripts are run as ``python bench/bench_x.py`` from the repository root, so this folder is
``sys.path[0]`` and ``import _browser`` finds this module.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only, on purpose

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Headless and offline: no GPU, no background downloads, updates, sync or first-run pages.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: Page pixel of data point (x, y) in the Bokeh plot whose model is named ``name``, from the
#: plot frame's own scales and its canvas's place on the page; null until the plot is drawn.
DATA_TO_PAGE = """([name, x, y]) => {
  for (const v of Bokeh.index.all_views()) {
    if (v.model.name === name && v.frame && v.canvas_view) {
      const r = v.canvas_view.el.getBoundingClientRect();
      return [r.left + v.frame.x_scale.compute(x), r.top + v.frame.y_scale.compute(y)];
    }
  }
  return null;
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(
    port: int | None = None, num_procs: int = 1, origins: str | None = None
) -> tuple[subprocess.Popen, str]:
    """Start this checkout's serve.sh on ``port`` (a free one by default) and wait until its
    /liveness answers; return the process and the base URL. Stop it with :func:`stop_server`."""
    port = free_port() if port is None else port
    env = dict(
        os.environ,
        PORT=str(port),
        ADDRESS=HOST,
        # A backend behind a proxy takes the proxy's origin instead of its own.
        ALLOWED_ORIGINS=origins or f"{HOST}:{port},localhost:{port}",
        NUM_PROCS=str(num_procs),
    )
    env.pop("BOKEH_SECRET_KEY", None)  # measure the plain setup, unsigned session ids
    proc = subprocess.Popen(
        ["bash", str(ROOT / "serve.sh")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # one process group: stopping it stops every worker
    )
    base = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/liveness", timeout=2):
                return proc, base
        except OSError:
            time.sleep(0.25)
    stop_server(proc)
    raise TimeoutError(f"serve.sh did not answer on {base}/liveness within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def serving(url: str | None = None) -> Iterator[str]:
    """The base URL of ``url`` (a running server) or of serve.sh started for the block."""
    if url is not None:
        yield url
        return
    proc, base = start_server()
    try:
        yield base
    finally:
        stop_server(proc)


@contextlib.contextmanager
def chromium():
    """A headless Debian Chromium (Playwright's sync API), closed at the end of the block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


#: A stand-in is served as every notebook page is (``pages/server_setup.py``): choice widgets
#: answered without Panel's 50 ms hold, small arrays inside the JSON, no per-load validation
#: and short collection pauses (this setup file, run once per server process), and Nagle's
#: algorithm off on its websocket (prepended to the app, per session, as ``pages.shell``
#: does), so a floor never carries a delay the pages do not have.
SERVED_SETUP = """from pages import compat
compat.serve_fast()
"""
SERVED_LIKE_A_PAGE = """import panel as _pn
from pages import compat as _compat
_pn.state.onload(lambda: _compat.set_nodelay(_pn.state.curdoc))
"""


@contextlib.contextmanager
def served_app(source: str, name: str = "echo") -> Iterator[str]:
    """A one-file Panel app (``source``, e.g. an echo floor) served on a free loopback port for
    the block, served like every notebook page (:data:`SERVED_SETUP`, :data:`SERVED_LIKE_A_PAGE`);
    yields its URL (it may take a few seconds to answer: see :func:`goto_when_up`)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / f"{name}.py"
        head, sep, body = source.partition("from __future__ import annotations\n")
        if not sep:
            head, body = "", source
        app.write_text(head + sep + SERVED_LIKE_A_PAGE + body)
        setup = Path(tmp) / "setup.py"
        setup.write_text(SERVED_SETUP)
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "panel", "serve", str(app), "--port", str(port),
             "--address", HOST, "--allow-websocket-origin", f"{HOST}:{port}",
             "--setup", str(setup)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            yield f"http://{HOST}:{port}/{name}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def goto_when_up(page, url: str, timeout: float = 60.0) -> None:
    """Open ``url`` in ``page``, retrying while its server is still starting."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            page.goto(url)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def page_and_echo(measure, path: str, echo_source: str, key: str = "page_drag_to_answer") -> dict:
    """``measure(page, url)`` on this checkout's page at ``path`` (serve.sh), then on the stand-in
    ``echo_source`` app in a fresh browser: the page's figures and the echo floor's, one run."""
    out = {}
    with serving() as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        out[key] = measure(page, base + path)
        page.close()
    with served_app(echo_source) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        goto_when_up(page, url)
        out["echo_floor_drag_to_answer"] = measure(page, url)
    return out


def data_to_page(page, name: str, x: float, y: float) -> list[float] | None:
    """Page pixel of data point (x, y) in the Bokeh plot named ``name`` (None if not drawn)."""
    return page.evaluate(DATA_TO_PAGE, [name, x, y])


def percentile(values: list[float], q: float, rule: str = "nearest") -> float:
    """The ``q`` quantile (0 <= q <= 1) of ``values``; NaN when there are none.

    The benches' published tables use different rules, kept so their figures stay comparable:
    ``"nearest"`` (the value at rank round(q (n - 1))), ``"lower"`` (rank floor(q (n - 1))) and
    ``"linear"`` (interpolated between the two neighbouring ranks).
    """
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = q * (len(ordered) - 1)
    if rule == "nearest":
        return ordered[min(len(ordered) - 1, round(k))]
    if rule == "lower":
        return ordered[int(k)]
    if rule == "linear":
        lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
        return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)
    raise ValueError(f"unknown percentile rule {rule!r}")


def load_average() -> float:
    """The 1-minute load average: other work on the machine shows up in every figure."""
    return os.getloadavg()[0]


#: Records, in the browser, when each points sync is sent and when its answer arrives.
POINTS_HOOKS = r"""
(name) => {
  const doc = Bokeh.documents[0];
  const moves = doc.get_model_by_name(name + "_moves");
  const answer = doc.get_model_by_name(name + "_answer");
  const rec = window.__bench = {sent: [], lat: []};
  moves.connect(moves.properties.data.change, () => rec.sent.push(performance.now()));
  answer.connect(answer.properties.data.change, () => {
    const t = rec.sent.shift();
    if (t !== undefined) rec.lat.push(performance.now() - t);
    rec.sent.length = 0;  // answers acknowledge the newest sync
  });
  return true;
}
"""


def drag_points(page, url: str, name: str, path, moves: int = 120, group: str | None = None):
    """Drag one point of the draggable-points figure ``name`` along ``path(t)`` (data
    coordinates, t in (0, 1]) in ``moves`` mouse moves 16 ms apart; the latencies from each
    points sync to its answer (median and p95, ms).

    The point dragged is the first one, or the first of ``group`` (a group label).
    """
    page.goto(url)
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0", timeout=30_000)
    page.wait_for_function(
        "(n) => Bokeh.documents[0].get_model_by_name(n + '_moves') !== null", arg=name
    )
    page.wait_for_function("(args) => (" + DATA_TO_PAGE + ")(args) !== null", arg=[name, 0, 0])
    page.evaluate(POINTS_HOOKS, name)
    start = page.evaluate(
        """([name, group]) => {
          const d = Bokeh.documents[0].get_model_by_name(name + '_points').data;
          const k = group === null ? 0 : Array.from(d.group).indexOf(group);
          return [d.x[k], d.y[k]];
        }""",
        [name, group],
    )
    page.mouse.move(*data_to_page(page, name, *start))
    page.mouse.down()
    for i in range(1, moves + 1):
        page.mouse.move(*data_to_page(page, name, *path(i / moves)))
        page.wait_for_timeout(16)
    page.mouse.up()
    page.wait_for_timeout(500)
    lat = page.evaluate("() => window.__bench.lat")
    return {
        "answers": len(lat),
        "median_ms": round(percentile(lat, 0.5, "linear"), 1),
        "p95_ms": round(percentile(lat, 0.95, "nearest"), 1),
    }
