"""Stand-in pages for the shared components, each served from a temporary file.

``stand_in(name, code)`` writes ``code`` to ``<tmp>/<name>.py``, serves it with ``panel serve``
on a free loopback port (the assets folder as static files, as serve.sh does) and returns its
URL; each server stops at the end of the test run. The ``page`` fixture (tests/conftest.py)
still fails a test on console errors and outside requests.
"""

from __future__ import annotations

import sys
import textwrap
from contextlib import ExitStack

import pytest


@pytest.fixture(scope="session")
def stand_in(tmp_path_factory, serving):
    urls: dict[str, str] = {}
    with ExitStack() as stack:

        def serve(name: str, code: str) -> str:
            if name in urls:
                return urls[name]
            code = textwrap.dedent(code)
            compile(code, f"{name}.py", "exec")  # a syntax error would look like a timeout
            app = tmp_path_factory.mktemp("components") / f"{name}.py"
            app.write_text(code)
            port = serving.free_port()
            command = [
                *(sys.executable, "-m", "panel", "serve", str(app), "--port", str(port)),
                *("--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}"),
                *("--static-dirs", f"assets={serving.root / 'assets'}", "--liveness"),
            ]
            base = stack.enter_context(serving.serve_process(command, port, log_name=f"{name}.log"))
            urls[name] = f"{base}/{name}"
            return urls[name]

        yield serve
