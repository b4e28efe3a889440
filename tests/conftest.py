"""Shared fixtures: a served notebook and a headless Chromium that must stay offline.

The browser fixtures start ``serve.sh`` (the README's serve command) once per test run on a free
loopback port and drive Debian's ``chromium`` through Playwright. Every request to a host other
than the server is aborted and fails the test; so does any console error or page error.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
from hypothesis import HealthCheck, settings

from bench._browser import DATA_TO_PAGE

# The README's test command must pass every time, on a loaded 2-core machine too: hypothesis
# replays the same examples on every run (a red run means a change broke something, not that
# a new random example was drawn), with no deadline and no timing health checks. A random
# search for new examples is opt-in: `python3 -m pytest --hypothesis-profile=explore`.
_steady = {
    "derandomize": True,
    "deadline": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much],
}
settings.register_profile("default", **_steady)
settings.register_profile("ci", **_steady)
settings.register_profile("explore", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"server did not answer {url}")
        time.sleep(0.25)


@contextmanager
def serve_process(
    command: list[str], port: int, env: dict[str, str] | None = None, log_name: str = "server.log"
) -> Iterator[str]:
    """Run a notebook server command until the block ends; yields its base URL."""
    log = (ROOT / ".pytest_cache").joinpath(log_name)
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env or dict(os.environ), stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_http(base + "/liveness", timeout=60)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def serve_env(port: int, **extra: str) -> dict[str, str]:
    """serve.sh's environment for a loopback test server on ``port`` (no secret key)."""
    env = dict(
        os.environ,
        PORT=str(port),
        ADDRESS="127.0.0.1",
        ALLOWED_ORIGINS=f"127.0.0.1:{port},localhost:{port}",
        **extra,
    )
    if "BOKEH_SECRET_KEY" not in extra:
        env.pop("BOKEH_SECRET_KEY", None)
    return env


@pytest.fixture(scope="session")
def serving() -> SimpleNamespace:
    """Helpers for tests that start their own server (test modules cannot import conftest
    under pytest's importlib import mode): ``root``, ``free_port()``, ``serve_process(...)``,
    ``serve_env(port, **extra)``, ``deep_text(page)``."""
    return SimpleNamespace(
        root=ROOT,
        free_port=_free_port,
        serve_process=serve_process,
        serve_env=serve_env,
        deep_text=deep_text,
    )


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """Base URL of the notebook served by ``serve.sh`` (as the README says) on a free port."""
    port = _free_port()
    with serve_process(["bash", str(ROOT / "serve.sh")], port, serve_env(port)) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageWatch:
    """What a test page did that it should not have: outside requests, console errors."""

    def __init__(self) -> None:
        self.outside_requests: list[str] = []
        self.console_errors: list[str] = []


#: JS: true once every typeset formula has its text alternative and every display formula
#: wider than its box is focusable (assets/js/notebook.js has swept: rendered and laid out).
MATH_READY_JS = """() => {
  const roots = [document];
  let boxes = 0, named = 0;
  for (let k = 0; k < roots.length; k++) {
    for (const el of roots[k].querySelectorAll("*")) if (el.shadowRoot) roots.push(el.shadowRoot);
    for (const m of roots[k].querySelectorAll("mjx-container")) {
      boxes += 1;
      const wide = m.getAttribute("display") === "true" && m.scrollWidth > m.clientWidth + 1;
      if (m.hasAttribute("aria-label") && (!wide || m.hasAttribute("tabindex"))) named += 1;
    }
  }
  return boxes > 0 && boxes === named;
}"""


#: JS: ([selector, n]) => true once at least n elements match, shadow roots included.
DEEP_COUNT_JS = """([selector, n]) => {
  const roots = [document];
  let count = 0;
  for (let k = 0; k < roots.length; k++) {
    for (const el of roots[k].querySelectorAll("*")) if (el.shadowRoot) roots.push(el.shadowRoot);
    count += roots[k].querySelectorAll(selector).length;
  }
  return count >= n;
}"""


@contextmanager
def watched_page(browser, server: str, **context_options):
    """A fresh browser page on the served notebook (``context_options`` as Playwright's
    ``new_context``: viewport, touch...). Fails on any outside request or console error once
    the block ends. ``page.watch`` holds what was seen; ``page.base`` is the server URL."""
    context = browser.new_context(**context_options)
    pg = context.new_page()
    watch = PageWatch()

    def route(route_obj):
        host = urlparse(route_obj.request.url).hostname or ""
        if route_obj.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route_obj.continue_()
        else:
            watch.outside_requests.append(route_obj.request.url)
            route_obj.abort()

    pg.route("**/*", route)
    pg.on("console", lambda m: m.type == "error" and watch.console_errors.append(m.text))
    pg.on("pageerror", lambda e: watch.console_errors.append(str(e)))
    pg.watch = watch
    pg.base = server
    pg.wait_for_bokeh = lambda timeout=20_000: wait_for_bokeh(pg, timeout)
    pg.wait_for_math = lambda timeout=30_000: pg.wait_for_function(MATH_READY_JS, timeout=timeout)
    pg.deep_text = lambda: deep_text(pg)
    # Bokeh plots and sources by model name: where data point (x, y) is drawn on the page
    # (None until drawn), waiting until a plot is drawn, and a source's columns.
    pg.pixel = lambda name, x, y: pg.evaluate(PIXEL_JS, [name, x, y])
    pg.wait_for_plot = lambda name, timeout=30_000: pg.wait_for_function(
        f"(name) => ({PIXEL_JS})([name, 0, 0]) !== null", arg=name, timeout=timeout
    )
    pg.source = lambda name: pg.evaluate(SOURCE_JS, name)
    pg.source_js = SOURCE_JS
    # Waits until at least n elements match (what renders progressively, e.g. typeset math).
    pg.wait_for_count = lambda selector, n, timeout=30_000: pg.wait_for_function(
        DEEP_COUNT_JS, arg=[selector, n], timeout=timeout
    )
    try:
        yield pg
    finally:
        context.close()
    assert not watch.outside_requests, f"requests to other hosts: {watch.outside_requests}"
    assert not watch.console_errors, f"console errors: {watch.console_errors}"


@pytest.fixture
def page(browser, server):
    """A desktop-sized :func:`watched_page`."""
    with watched_page(browser, server, viewport={"width": 1280, "height": 900}) as pg:
        yield pg


@pytest.fixture
def open_watched_page(browser, server):
    """``open_watched_page(**context_options)``: a :func:`watched_page` context of another
    kind (a phone with touch, a tablet)."""
    return lambda **options: watched_page(browser, server, **options)


#: JS: all text of the page, including text inside (nested) shadow roots, where Panel renders.
DEEP_TEXT_JS = """() => {
  const parts = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.shadowRoot) walk(el.shadowRoot);
      for (const node of el.childNodes) {
        if (node.nodeType === Node.TEXT_NODE && el.tagName !== "STYLE" && el.tagName !== "SCRIPT")
          parts.push(node.textContent);
      }
    }
  };
  walk(document);
  return parts.join(" ");
}"""


#: Page pixel of data point (x, y) in the Bokeh plot named ``name`` (null until drawn): the
#: benches' own snippet, so tests and benches drag at the same pixels.
PIXEL_JS = DATA_TO_PAGE
#: The columns of the data source named ``name``, as plain arrays.
SOURCE_JS = """(name) => { const d = Bokeh.documents[0].get_model_by_name(name).data;
  const out = {}; for (const k of Object.keys(d)) out[k] = Array.from(d[k]); return out; }"""


def deep_text(pg) -> str:
    """The visible text of the page, shadow roots included (Panel renders into them)."""
    return pg.evaluate(DEEP_TEXT_JS)


def wait_for_bokeh(pg, timeout: float = 20_000) -> None:
    """Wait until Bokeh has rendered the document's views."""
    pg.wait_for_function(
        "() => window.Bokeh && Bokeh.index && Object.keys(Bokeh.index).length > 0",
        timeout=timeout,
    )


@pytest.fixture
def run_async():
    """``run_async(make_coroutine, timeout=120)``: run a coroutine to its end on a thread of its
    own. Playwright's sync API keeps an event loop running on the test thread once a browser
    test has run, and ``asyncio.run`` refuses to start a second loop there."""

    def run(make_coroutine, timeout: float = 120):
        out = {}

        def target():
            try:
                out["value"] = asyncio.run(make_coroutine())
            except BaseException as err:  # re-raised on the test's thread
                out["error"] = err

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(f"coroutine still running after {timeout} s")
        if "error" in out:
            raise out["error"]
        return out["value"]

    return run


@pytest.fixture(autouse=True)
def _no_shared_background_values(monkeypatch):
    """Each test starts with an empty store of shared background values (``pages.workers``,
    ``Job.submit(key=...)``): a value an earlier test's page computed never stands in for
    this test's (patched) work."""
    from pages import workers

    monkeypatch.setattr(workers, "_SHARED", workers.OrderedDict())
