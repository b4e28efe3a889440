"""The one loader for the browser code under ``assets/js``.

Pages and components ask here for a file's text (a CustomJS body) or its path (a
JSComponent's ``_esm``). A CustomJS body cannot import a module, so :func:`custom_js` puts the
shared modules it names (e.g. ``components/flow.js``) in front of the body: every figure runs
the same protocol code, kept in one file.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from bokeh.models import CustomJS

JS_DIR = Path(__file__).resolve().parent.parent.parent / "assets" / "js"


def path(name: str) -> Path:
    """The file ``assets/js/<name>`` (e.g. for a JSComponent's ``_esm``)."""
    return JS_DIR / name


@functools.cache
def read(name: str) -> str:
    """The text of ``assets/js/<name>``, read once per process."""
    text = path(name).read_text(encoding="utf-8")
    if name == "components/flow.js":  # its one constant comes from Python (flow.py)
        from pages.components.flow import TIMEOUT_MS

        text = text.replace("__FLOW_TIMEOUT_MS__", str(TIMEOUT_MS))
    return text


@functools.cache
def _compact(name: str) -> str:
    """A shared module without its comments and blank lines: it is repeated in every body
    that uses it, so each page would otherwise carry its comments several times over. (The
    shared modules keep ``//`` out of their strings for this.)"""
    lines = (re.sub(r"\s*//.*$", "", line) for line in read(name).splitlines())
    return "\n".join(line for line in lines if line.strip())


def code(body: str, *modules: str) -> str:
    """``body`` (a file name or JS text) after the shared ``modules``, as one CustomJS code."""
    text = read(body) if body.endswith(".js") else body
    return "\n".join([*(_compact(m) for m in modules), text])


def custom_js(body: str, *modules: str, **args) -> CustomJS:
    """A CustomJS running ``body`` with ``modules`` prepended and ``args`` bound."""
    return CustomJS(args=args, code=code(body, *modules))
