"""Server CPU per page load and per reply, on every registered page, against floors in one run.

One server process serves every page exactly as ``serve.sh`` does (its own command, read with
``SERVE_DRY_RUN=1``) plus three bench-only routes in the same process:

* ``/floor_markdown``: a Panel page holding one Markdown pane (the page-load floor);
* ``/floor_echo``: a Panel slider whose every change is echoed into a one-row answer source
  shown by a one-glyph figure (the per-reply floor);
* ``/_profile``: ``?on=1`` starts cProfile on the server's event-loop thread, ``?off=<file>``
  stops it and writes the stats (used by ``--profile``; never part of the notebook).

Page load (``--loads K``): after one warming GET per route, K plain GETs in a row per route
(each GET builds a session, as a browser's page load does). Server CPU seconds are read from
``/proc/<pid>/stat`` before the first GET and once the process is quiet again after the last
(background work a page starts is counted), less the idle rate; also wall ms per GET, RSS growth
per session and HTML size. (The HTML does not hold the document: the number of Bokeh models
a page's session holds is counted in the browser, in the per-reply part.)

Per reply (``--replies N``): headless Chromium opens each page, waits until the server is quiet,
focuses the page's main control and presses its key N times (every page is operable by
keyboard; the keys are those of the page's browser test), then waits until quiet again. Replies
are the flow answers (the ``seq`` of every answer source, :class:`pages.components.flow.Flow`,
the busiest source's) or, on a page without one, the server's ``PATCH-DOC`` messages; CPU per
reply is the server's CPU-time delta (idle rate subtracted) over the replies, and CPU per key
over the key presses (comparable on every page). Chromium also gives the CPU of one whole
browser page load (GET, websocket, the document sent, onload and background work) and the
number of Bokeh models in the page's documents.

``--profile P1 P2 ...``: the same key presses under cProfile (the event-loop thread only: work
in :mod:`pages.workers`' thread is not seen), and self time split into numerics / page code /
param+Panel / Bokeh (models, serialization) / websocket / other, in percent (the profiler's
own overhead inflates the absolute times; the split is what it is for).

    python3 bench/bench_page_load.py --loads 5 --replies 12
    python3 bench/bench_page_load.py --loads 0 --replies 12 --profile kl_vs_wasserstein
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pstats
import re
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import _browser
import _measure

ROOT = _browser.ROOT
sys.path.insert(0, str(ROOT))

FLOOR_MARKDOWN = """import panel as pn
pn.extension()
pn.pane.Markdown("# Floor\\n\\nOne Markdown pane and nothing else.").servable(title="floor")
"""

FLOOR_ECHO = """import panel as pn
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure
pn.extension()
answer = ColumnDataSource({"x": [0.0], "seq": [0]}, name="echo_answer")
fig = figure(height=120, width=300, x_range=(0, 1), y_range=(0, 1), toolbar_location=None)
fig.scatter("x", 0.5, source=answer)
slider = pn.widgets.FloatSlider(name="echo", start=0, end=1, step=0.01, value=0.1)
def echo(event):
    answer.data = {"x": [event.new], "seq": [answer.data["seq"][0] + 1]}
slider.param.watch(echo, "value")
pn.Column(slider, pn.pane.Bokeh(fig)).servable(title="echo")
"""

#: cProfile's default clock is wall time: while the loop thread waits for the GIL (held by
#: the worker thread's numerics) the wait lands on whatever function runs. Thread CPU time
#: counts only the loop thread's own work.
PROFILE_ROUTE = """import cProfile, time, bokeh
import panel as pn
args = pn.state.session_args
if "on" in args:
    bokeh._bench_profiler = cProfile.Profile(time.thread_time)
    bokeh._bench_profiler.enable()
elif "off" in args and getattr(bokeh, "_bench_profiler", None) is not None:
    bokeh._bench_profiler.disable()
    bokeh._bench_profiler.dump_stats(args["off"][0].decode())
    bokeh._bench_profiler = None
pn.pane.Markdown("profile").servable()
"""

FLOORS = {"floor_markdown": FLOOR_MARKDOWN, "floor_echo": FLOOR_ECHO, "_profile": PROFILE_ROUTE}

#: slug -> (query, how to focus the main control, setup keys, the key pressed N times).
#: Focus: ("handle", i) = the i-th noUi slider handle; ("named", name) = the noUi handle of the
#: Panel slider named ``name``; ("view", name) = the Bokeh view of the model named ``name``;
#: ("css", selector) and ("button", label).
INTERACTIONS: dict[str, tuple[str, tuple, tuple[str, ...], str]] = {
    "floor_markdown": ("", None, (), ""),  # page load only
    "floor_echo": ("", ("handle", 0), (), "ArrowRight"),
    "monge_kantorovich": ("", ("button", "Remove target"), ("Tab", "Tab"), "ArrowRight"),
    "transport_plan": ("", ("view", "tp_q_fig"), ("Home",), "Shift+ArrowUp"),
    "one_dimension": ("", ("named", "od_level_slider"), (), "ArrowRight"),
    "duality": ("", ("view", "du_f_fig"), ("Home",), "Shift+ArrowUp"),
    "sinkhorn": ("", ("button", "Forward ▶"), (), "Enter"),
    "kl_vs_wasserstein": ("", ("handle", 0), (), "ArrowRight"),
    "brenier": ("", ("handle", 0), (), "ArrowRight"),
    "interpolation": ("", ("named", "interp_t_slider"), (), "ArrowRight"),
    "benamou_brenier": ("", ("named", "bb_time_slider"), (), "ArrowRight"),
    "barycenters": ("", ("css", "[role=group][aria-label*='Weights']"), (), "ArrowRight"),
    "sliced": ("", ("handle", 1), (), "ArrowRight"),
    "unbalanced": ("", ("handle", 0), (), "ArrowRight"),
    "gromov_wasserstein": ("", ("handle", 2), (), "ArrowLeft"),
    "colour_transfer": ("", ("handle", 0), (), "ArrowRight"),
    "domain_adaptation": (
        "?n=20&method=exact",
        ("css", "[aria-roledescription='draggable points']"),
        (),
        "Shift+ArrowUp",
    ),
    "persistence_diagrams": (
        "?preset=custom&order=inf",
        ("css", "[aria-roledescription='draggable points']"),
        ("Home",),
        "ArrowUp",
    ),
    "wgan_critic": ("", ("handle", 0), (), "ArrowRight"),
    "flow_matching": ("", ("handle", 2), (), "ArrowRight"),
}

#: The flow answers' sequence numbers in the page (every ``Flow`` answer source has a one-row
#: ``seq`` column that grows by one per answer), in document order.
ANSWER_SEQ = """() => {
  const seqs = [];
  for (const doc of Bokeh.documents)
    for (const m of doc.all_models) {
      const d = m.data;
      if (d && typeof d.get !== "function" && d.seq !== undefined && d.seq.length === 1)
        seqs.push(Number(d.seq[0]));
    }
  return seqs;
}"""

PATCH_HEADER = re.compile(r'\{"msgid": ?"[^"]*", ?"msgtype": ?"PATCH-DOC"')
MODELS = "() => Bokeh.documents.reduce((n, d) => n + d.all_models.size, 0)"

FOCUS = """([kind, arg]) => {
  const handles = [];
  for (const v of Bokeh.index.all_views()) {
    const root = v.el && v.el.shadowRoot;
    if (kind === "view" && v.model.name === arg) { v.el.focus({focusVisible: true}); return true; }
    if (kind === "named" && v.model.name === arg && root) {
      root.querySelector('.noUi-handle').focus(); return true;
    }
  }
  return false;
}"""


# --- the server ------------------------------------------------------------------------------


def serve_command(port: int, folder: Path) -> list[str]:
    """serve.sh's own ``panel serve`` command, its routes written into ``folder``."""
    env = dict(
        os.environ,
        PORT=str(port),
        ADDRESS=_browser.HOST,
        SERVE_DRY_RUN="1",
        ALLOWED_ORIGINS=f"{_browser.HOST}:{port},localhost:{port}",
    )
    env.pop("BOKEH_SECRET_KEY", None)
    line = subprocess.run(
        ["bash", str(ROOT / "serve.sh")], cwd=ROOT, env=env, check=True, capture_output=True,
        text=True,
    ).stdout  # fmt: skip
    args = shlex.split(line)
    from pages import registry

    registry.write_entry_points(folder)
    floors = []
    for name, source in FLOORS.items():
        (folder / f"{name}.py").write_text(source)
        floors.append(str(folder / f"{name}.py"))
    # The dry run's entry-point folder is already gone: use ours (same files).
    args = [str(folder / Path(a).name) if a.endswith(".py") and "/tmp/" in a else a for a in args]
    i = args.index("serve") + 1
    return args[:i] + floors + args[i:]


@contextlib.contextmanager
def server(**extra_env: str):
    """(pid, base URL) of one server process with every page and the floors."""
    port = _browser.free_port()
    with tempfile.TemporaryDirectory() as tmp:
        command = serve_command(port, Path(tmp))
        env = dict(os.environ, PAGE_LOADS=os.environ.get("PAGE_LOADS", "8"), **extra_env)
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, "1")  # as serve.sh exports them
        env.pop("BOKEH_SECRET_KEY", None)
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        base = f"http://{_browser.HOST}:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with urllib.request.urlopen(base + "/liveness", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise TimeoutError("the server did not start") from None
                    time.sleep(0.25)
            yield proc.pid, base
        finally:
            _browser.stop_server(proc)


def cpu_seconds(pid: int) -> float:
    """CPU time of every thread of ``pid`` so far, in seconds, to the nanosecond.

    ``/proc/<pid>/stat``'s utime + stime are sampled at clock ticks (10 ms): over a run of
    twenty replies of a few ms each that was +-30 % from one run to the next. The scheduler's
    own count (``schedstat``: time on a CPU, per thread) is exact."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that just ended
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def idle_rate(pid: int, seconds: float = 2.0) -> float:
    """Server CPU seconds per second while nothing is asked of it (session checks and the like)."""
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - c0) / (time.monotonic() - t0)


def wait_quiet(pid: int, rate: float, window: float = 0.5, timeout: float = 60.0) -> None:
    """Until the server spends no more than its idle rate (+5 ms) over ``window`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        c0 = cpu_seconds(pid)
        time.sleep(window)
        if cpu_seconds(pid) - c0 <= rate * window + 0.005:
            return


def loads() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


# --- page load -------------------------------------------------------------------------------


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.read().decode("utf-8", "replace")


def page_loads(pid: int, base: str, routes: list[str], k: int, rate: float) -> list[dict]:
    rows = []
    for route in routes:
        url = f"{base}/{route}"
        html = get(url)  # warm: imports, caches, first-session costs
        wait_quiet(pid, rate)
        rss0, c0, t0 = rss_mb(pid), cpu_seconds(pid), time.monotonic()
        walls = []
        for _ in range(k):
            t = time.perf_counter()
            get(url)
            walls.append(1e3 * (time.perf_counter() - t))
        rss1 = rss_mb(pid)
        wait_quiet(pid, rate)  # background work the page started counts too
        cpu = cpu_seconds(pid) - c0 - rate * (time.monotonic() - t0)
        rows.append(
            {
                "route": route,
                "cpu_ms_per_get": 1e3 * cpu / k,
                "wall_ms_per_get": sum(walls) / k,
                "rss_mb_per_session": (rss1 - rss0) / k,
                "html_kb": len(html.encode()) / 1024,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


# --- per reply -------------------------------------------------------------------------------


def focus(page, how: tuple) -> None:
    kind, arg = how
    if kind == "handle":
        page.locator(".noUi-handle").nth(arg).focus()
    elif kind == "button":
        page.get_by_role("button", name=arg).first.focus()
    elif kind == "css":
        page.locator(arg).first.focus()
    elif not page.evaluate(FOCUS, [kind, arg]):
        raise RuntimeError(f"nothing to focus for {how}")


def replies(browser, pid: int, base: str, route: str, n: int, rate: float, prof=None) -> dict:
    query, how, setup, key = INTERACTIONS[route]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    patches = {"n": 0}

    def on_ws(ws) -> None:
        def frame(payload) -> None:
            if isinstance(payload, str) and PATCH_HEADER.match(payload):
                patches["n"] += 1

        ws.on("framereceived", frame)

    page.on("websocket", on_ws)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    load0, t_load = cpu_seconds(pid), time.monotonic()
    page.goto(f"{base}/{route}{query}")
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0", timeout=90_000)
    time.sleep(1.0)
    wait_quiet(pid, rate, window=1.0, timeout=90)
    # The whole browser load: GET (session built), websocket, PULL-DOC (document serialized),
    # the page's onload work and any background work it starts; quiet windows excluded.
    load_cpu = cpu_seconds(pid) - load0 - rate * (time.monotonic() - t_load)
    models = page.evaluate(MODELS)
    if how is None:
        page.close()
        row = {"route": route, "models": models, "browser_load_cpu_ms": 1e3 * load_cpu}
        print(json.dumps(row), flush=True)
        return row
    focus(page, how)
    for k in setup:
        page.keyboard.press(k)
    time.sleep(0.5)
    wait_quiet(pid, rate, window=1.0)
    seq0 = page.evaluate(ANSWER_SEQ)
    p0, c0, t0 = patches["n"], cpu_seconds(pid), time.monotonic()
    if prof:
        get(f"{base}/_profile?on=1")
    for _ in range(n):
        page.keyboard.press(key)
        time.sleep(0.15)  # a student pressing a key ~6 times a second
    time.sleep(0.5)
    wait_quiet(pid, rate, window=1.0)
    if prof:
        get(f"{base}/_profile?off={prof}")
    cpu = cpu_seconds(pid) - c0 - rate * (time.monotonic() - t0)
    seq1 = page.evaluate(ANSWER_SEQ)
    page.close()
    # One reply may answer on several sources (a page with one flow per figure): the busiest
    # source's answers count. No answers at all (no Flow): the server's PATCH-DOC messages.
    answers = max((b - a for a, b in zip(seq0, seq1, strict=False)), default=0)
    messages = patches["n"] - p0
    counted = answers or messages
    row = {
        "route": route,
        "keys": n,
        "models": models,
        "browser_load_cpu_ms": 1e3 * load_cpu,
        "answer_sources": len(seq0),
        "flow_answers": answers,
        "patch_messages": messages,
        "cpu_ms": 1e3 * cpu,
        "replies": counted,
        "cpu_ms_per_reply": 1e3 * cpu / counted if counted else None,
        "cpu_ms_per_key": 1e3 * cpu / n,
        "page_errors": errors[:2],
    }
    print(json.dumps(row), flush=True)
    return row


# --- profile breakdown -----------------------------------------------------------------------

CATEGORIES = (
    ("numerics", ("/numpy/", "/scipy/", "/ot/", "/ot_engine/", "numpy.", "method 'reduce'")),
    ("page code", ("/pages/",)),
    ("param+Panel", ("/param/", "/panel/")),
    ("Bokeh serialization", ("bokeh/core/serialization", "bokeh/protocol", "/json/", "json.")),
    ("Bokeh models", ("/bokeh/",)),
    ("websocket", ("/tornado/", "_socket.socket")),
)


#: The event loop waiting for work: not CPU, left out of the split.
IDLE = ("'poll' of 'select.epoll'", "'select' of 'select", "time.sleep", "'acquire' of")


def breakdown(stats_file: str) -> dict:
    """Self time (ms) per category from a cProfile dump, the loop's waiting left out."""
    stats = pstats.Stats(stats_file).stats
    out = {name: 0.0 for name, _ in CATEGORIES} | {"other": 0.0}
    for (path, _line, func), (_cc, _nc, tottime, _ct, _callers) in stats.items():
        where = f"{path} {func}"
        if any(m in where for m in IDLE):
            continue
        for name, marks in CATEGORIES:
            if any(m in where for m in marks):
                out[name] += 1e3 * tottime
                break
        else:
            out["other"] += 1e3 * tottime
    return out


def compare_hold(slugs: list[str], n: int) -> dict:
    """Per-reply CPU without and with the event hold, each page on both servers in turn."""
    rows: dict[str, list] = {"without": [], "with": []}
    with server(HOLD_EVENTS="0") as a, server(HOLD_EVENTS="1") as b, _browser.chromium() as br:
        rates = {"without": idle_rate(a[0]), "with": idle_rate(b[0])}
        for slug in ["floor_echo", *[s for s in slugs if s in INTERACTIONS]]:
            for label, (pid, base) in (("without", a), ("with", b)):
                row = replies(br, pid, base, slug, n, rates[label])
                rows[label].append(row)
                print(label, slug, f"{row['cpu_ms_per_key']:.1f} ms per key", flush=True)
    return rows


def tables(out: dict) -> str:
    """The README's tables (Markdown) from a run's results."""
    lines = []
    loads = {r["route"]: r for r in out.get("loads", [])}
    browser = {r["route"]: r for r in out.get("replies", [])}
    if loads:
        floor = loads["floor_markdown"]["cpu_ms_per_get"]
        bfloor = browser.get("floor_markdown", {}).get("browser_load_cpu_ms")
        lines += [
            "| page | CPU ms per GET | x floor | wall ms per GET | RSS MB per session "
            "| browser load CPU ms | Bokeh models |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for route, r in loads.items():
            b = browser.get(route, {})
            bl = b.get("browser_load_cpu_ms")
            lines.append(
                f"| {route} | {r['cpu_ms_per_get']:.0f} | {r['cpu_ms_per_get'] / floor:.1f} | "
                f"{r['wall_ms_per_get']:.0f} | {r['rss_mb_per_session']:.2f} | "
                f"{'' if bl is None else f'{bl:.0f}'}"
                f"{'' if bl is None or not bfloor else f' ({bl / bfloor:.1f}x)'} | "
                f"{b.get('models', '')} |"
            )
        lines.append("")
    rows = [r for r in out.get("replies", []) if "keys" in r]
    if rows:
        lines += [
            "| page | keys | flow answers | PATCH-DOC msgs | replies | CPU ms per reply "
            "| CPU ms per key |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in rows:
            per = r["cpu_ms_per_reply"]
            lines.append(
                f"| {r['route']} | {r['keys']} | {r['flow_answers']} | {r['patch_messages']} | "
                f"{r['replies']} | {'' if per is None else f'{per:.1f}'} | "
                f"{r['cpu_ms_per_key']:.1f} |"
            )
        lines.append("")
    compare = out.get("compare_hold")
    if compare:
        lines += [
            "| page | PATCH-DOC msgs without / with | replies without / with "
            "| CPU ms per key without | with |",
            "| --- | --- | --- | --- | --- |",
        ]
        for a, b in zip(compare["without"], compare["with"], strict=True):
            lines.append(
                f"| {a['route']} | {a['patch_messages']} / {b['patch_messages']} | "
                f"{a['replies']} / {b['replies']} | {a['cpu_ms_per_key']:.1f} | "
                f"{b['cpu_ms_per_key']:.1f} |"
            )
        lines.append("")
    profiles = out.get("profiles") or {}
    if profiles:
        names = [name for name, _ in CATEGORIES] + ["other"]
        lines += [
            "| page (profiled) | " + " | ".join(names) + " |",
            "| --- " * (1 + len(names)) + "|",
        ]
        for slug, p in profiles.items():
            lines.append(
                f"| {slug} | " + " | ".join(f"{p['percent'][n]:.0f} %" for n in names) + " |"
            )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loads", type=int, default=5, help="GETs per route (0: skip)")
    ap.add_argument("--replies", type=int, default=12, help="key presses per page (0: skip)")
    ap.add_argument("--pages", nargs="*", help="slugs (default: every registered page)")
    ap.add_argument("--profile", nargs="*", default=[], help="slugs to profile per reply")
    ap.add_argument("--json", help="write every row here")
    ap.add_argument(
        "--compare-hold",
        action="store_true",
        help="per reply only: HOLD_EVENTS=0 vs 1 (pages/server_setup.py), two servers, "
        "page by page in turn",
    )
    ap.add_argument("--report", help="print the tables of an earlier run's --json and stop")
    args = ap.parse_args()
    if args.report:
        print(tables(json.loads(Path(args.report).read_text())))
        return 0
    from pages import registry

    slugs = args.pages or [p.slug for p in registry.ALL]
    print(_measure.cpu_line())
    print(f"load average at start: {loads()}", flush=True)
    out: dict = {"cpu": _measure.cpu_line(), "load_start": loads()}
    if args.compare_hold:
        out["compare_hold"] = compare_hold(slugs, args.replies)
        out["load_end"] = loads()
        print(f"load average at end: {loads()}")
        if args.json:
            Path(args.json).write_text(json.dumps(out, indent=2))
        return 0
    with server() as (pid, base):
        rate = idle_rate(pid)
        out["idle_cpu_ms_per_s"] = 1e3 * rate
        print(f"server idle CPU: {1e3 * rate:.1f} ms/s", flush=True)
        if args.loads:
            out["loads"] = page_loads(pid, base, ["floor_markdown", *slugs], args.loads, rate)
        if args.replies or args.profile:
            interactive = [s for s in slugs if s in INTERACTIONS]
            with _browser.chromium() as browser:
                if args.replies:
                    out["replies"] = [
                        replies(browser, pid, base, s, args.replies, rate)
                        for s in ["floor_markdown", "floor_echo", *interactive]
                    ]
                out["profiles"] = {}
                for slug in args.profile:
                    with tempfile.TemporaryDirectory() as tmp:
                        keep = args.json and Path(args.json).with_suffix(f".{slug}.prof")
                        stats = str(keep or Path(tmp) / "reply.prof")
                        row = replies(browser, pid, base, slug, max(args.replies, 12), rate, stats)
                        split = breakdown(stats)
                        total = sum(split.values()) or 1.0
                        share = {k: round(100 * v / total, 1) for k, v in split.items()}
                        out["profiles"][slug] = {"row": row, "percent": share}
                        print(slug, "% of profiled CPU:", json.dumps(share), flush=True)
    out["load_end"] = loads()
    print(f"load average at end: {loads()}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    print(tables(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
