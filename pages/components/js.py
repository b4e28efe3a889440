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

#: Constants the browser code takes from Python, written into a file's ``__NAME__`` placeholders
#: (e.g. flow.py's timeout into components/flow.js). The module that owns a constant defines
#: it when imported (:func:`define`), so this loader imports no component.
CONSTANTS: dict[str, str] = {}
_PLACEHOLDER = re.compile(r"__([A-Z][A-Z0-9_]*)__")


def define(name: str, value: float | int | str) -> None:
    """Give the placeholder ``__name__`` of the browser code its value (before it is read)."""
    CONSTANTS[name] = str(value)


#: The shared module holding every use of BokehJS internals by a figure's set-up
#: (``ot_figure_view``); pages/compat.py lists the hooks.
BOKEH_COMPAT = "components/bokeh_compat.js"


def path(name: str) -> Path:
    """The file ``assets/js/<name>`` (e.g. for a JSComponent's ``_esm``)."""
    return JS_DIR / name


@functools.cache
def read(name: str) -> str:
    """The text of ``assets/js/<name>``, read once per process."""
    text = path(name).read_text(encoding="utf-8")

    def value(match: re.Match) -> str:
        if match.group(1) not in CONSTANTS:
            raise KeyError(f"{name} needs {match.group(0)}: define it before reading the file")
        return CONSTANTS[match.group(1)]

    return _PLACEHOLDER.sub(value, text)


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
