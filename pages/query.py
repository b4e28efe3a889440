"""Deep links: a page's state lives in its URL query, validated key by key.

Panel's own ``location.sync`` parses values loosely (``nan`` becomes a float, huge integers
raise, a batch is applied non-atomically), so every page declares its keys here instead: each
key has a parser that either returns a valid value or raises ``ValueError``. Good keys are
applied in one ``param.update``; bad ones are dropped with a short notice that never echoes
the raw value (it could be hostile, and it is never rendered as HTML anyway).
"""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import panel as pn
import param

#: Longest raw query value we even look at; anything longer is refused unparsed.
MAX_VALUE_LENGTH = 4000

#: Keys the shell itself reads; pages must not reuse them.
SHELL_KEYS = ("embed", "theme")


@dataclass(frozen=True)
class QueryKey:
    """One URL query key bound to one parameter of a page model.

    ``parse`` turns the raw string into a valid value or raises ``ValueError`` with a short
    reason; ``format`` turns the parameter's value back into the string written to the URL.
    """

    key: str
    param: str
    parse: Callable[[str], Any]
    format: Callable[[Any], str] = str


# --- parsers: one per kind of value -------------------------------------------------------


def _finite_float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("not a number") from None
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def float_in(low: float, high: float) -> Callable[[str], float]:
    """Parser for a finite float in ``[low, high]``."""

    def parse(raw: str) -> float:
        value = _finite_float(raw)
        if not low <= value <= high:
            raise ValueError(f"outside {low:g} to {high:g}")
        return value

    return parse


def int_in(low: int, high: int) -> Callable[[str], int]:
    """Parser for an integer in ``[low, high]`` (written as digits, at most 9 of them)."""

    def parse(raw: str) -> int:
        text = raw.strip()
        if not text.lstrip("+-").isdigit() or len(text) > 10:
            raise ValueError("not a whole number")
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"outside {low} to {high}")
        return value

    return parse


def choice(*options: str) -> Callable[[str], str]:
    """Parser for one of a fixed set of words."""

    def parse(raw: str) -> str:
        if raw not in options:
            raise ValueError("not one of " + ", ".join(options))
        return raw

    return parse


def float_list(
    min_len: int, max_len: int, low: float, high: float
) -> Callable[[str], tuple[float, ...]]:
    """Parser for comma-separated finite floats, each in ``[low, high]``."""

    def parse(raw: str) -> tuple[float, ...]:
        parts = [p for p in raw.split(",") if p.strip()]
        if not min_len <= len(parts) <= max_len:
            raise ValueError(f"needs {min_len} to {max_len} numbers")
        values = tuple(_finite_float(p) for p in parts)
        if any(not low <= v <= high for v in values):
            raise ValueError(f"values must lie in {low:g} to {high:g}")
        return values

    return parse


def word_set(*options: str) -> Callable[[str], tuple[str, ...]]:
    """Parser for a comma-separated subset of fixed words (e.g. visible layers)."""

    def parse(raw: str) -> tuple[str, ...]:
        words = tuple(w for w in raw.split(",") if w)
        unknown = [w for w in words if w not in options]
        if unknown:
            raise ValueError("unknown entries")
        return tuple(dict.fromkeys(words))

    return parse


def format_float(value: float) -> str:
    """Short, exact-enough text for a float in a URL."""
    return f"{value:.6g}"


def format_list(values: Sequence[float]) -> str:
    return ",".join(f"{v:.4g}" for v in values)


def format_words(values: Sequence[str]) -> str:
    return ",".join(values)


# --- reading and writing the query --------------------------------------------------------


def session_query() -> dict[str, str]:
    """The current session's query as ``{key: first value}`` (empty outside a server)."""
    args = pn.state.session_args if pn.state.curdoc is not None else {}
    query: dict[str, str] = {}
    for key, values in (args or {}).items():
        if values:
            raw = values[0]
            query[key] = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return query


def parse_query(query: dict[str, str], keys: Sequence[QueryKey]) -> tuple[dict[str, Any], list[str]]:
    """Validate ``query`` against ``keys``: returns ``(param values, notices)``.

    Pure function, so each page's validation is unit-tested without a server.
    """
    values: dict[str, Any] = {}
    notices: list[str] = []
    for spec in keys:
        if spec.key not in query:
            continue
        raw = query[spec.key]
        if len(raw) > MAX_VALUE_LENGTH:
            notices.append(f"Ignored the link's '{spec.key}': the value is too long.")
            continue
        try:
            values[spec.param] = spec.parse(raw)
        except ValueError as err:
            notices.append(f"Ignored the link's '{spec.key}': {err}.")
    return values, notices


def bind_query(model: param.Parameterized, keys: Sequence[QueryKey]) -> list[str]:
    """Apply the session's query to ``model`` and keep the URL in step with it.

    Returns the notices for rejected keys (plain text, for the page to show). Outside a server
    session this does nothing and returns no notices.
    """
    query = session_query()
    values, notices = parse_query(query, keys)
    if values:
        try:
            model.param.update(**values)
        except (ValueError, TypeError):
            # A combination the model refuses (each value was fine alone): keep the defaults.
            notices.append("Ignored the link's settings: they do not fit together.")
    location = pn.state.location
    if location is None:
        return notices
    by_param = {spec.param: spec for spec in keys}
    kept = {k: v for k, v in query.items() if k in SHELL_KEYS and len(v) < 20}

    def write_url(*_events: Any) -> None:
        state = dict(kept)
        for spec in keys:
            state[spec.key] = spec.format(getattr(model, spec.param))
        location.search = "?" + urllib.parse.urlencode(state, safe=",")

    model.param.watch(write_url, list(by_param))
    return notices
