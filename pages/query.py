"""Deep links: a page's state lives in its URL query, validated key by key.

Panel's own ``location.sync`` parses values loosely (``nan`` becomes a float, huge integers
raise, a batch is applied non-atomically), so every page declares its keys here instead: each
key has a parser that either returns a valid value or raises ``ValueError``. Good keys are
applied in one ``param.update``; bad ones are dropped with a short notice that never echoes
the raw value (it could be hostile, and it is never rendered as HTML anyway).
"""

from __future__ import annotations

import math
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import panel as pn
import param
from panel.io.location import Location
from panel.io.state import set_curdoc

from pages import compat

#: Longest raw query value we even look at; anything longer is refused unparsed.
MAX_VALUE_LENGTH = 4000

#: Longest reason from a parser that a notice repeats.
MAX_REASON_LENGTH = 80

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
        # ASCII digits with at most one sign: int() alone accepts other scripts' digits and
        # its error message would echo the raw value.
        digits = text[1:] if text[:1] in "+-" else text
        if not (digits.isascii() and digits.isdigit()) or len(text) > 10:
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


def parse_query(
    query: dict[str, str], keys: Sequence[QueryKey]
) -> tuple[dict[str, Any], list[str]]:
    """Validate ``query`` against ``keys``: returns ``(param values, notices)``.

    Pure function, so each page's validation is unit-tested without a server. Keys the page does
    not declare are ignored silently (they may belong to the shell or to a link tracker).

    >>> keys = [QueryKey("n", "bins", int_in(2, 512)), QueryKey("eps", "eps", float_in(1e-4, 1))]
    >>> parse_query({"n": "64", "eps": "nan", "<b>": "x"}, keys)
    ({'bins': 64}, ["Ignored the link's 'eps': not a finite number."])
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
        except (ValueError, TypeError, ArithmeticError) as err:
            notices.append(f"Ignored the link's '{spec.key}': {_short(str(err))}.")
    return values, notices


def _short(reason: str) -> str:
    """A parser's reason, cut short: a notice must stay one line even if a parser is chatty."""
    return reason if len(reason) <= MAX_REASON_LENGTH else reason[: MAX_REASON_LENGTH - 1] + "…"


def apply_values(model: param.Parameterized, values: dict[str, Any]) -> list[str]:
    """Set ``values`` on ``model``; a value the model refuses is skipped with a notice.

    ``param.update`` is not atomic (it keeps the values set before the one that raised), so on
    any refusal the model is restored and the values are applied one by one instead.
    """
    if not values:
        return []
    before = {name: getattr(model, name) for name in values}
    try:
        model.param.update(**values)
        return []
    except Exception:  # a page's own validation may raise anything: never crash a session
        model.param.update(**before)
    notices = []
    for name, value in values.items():
        try:
            model.param.update(**{name: value})
        except Exception:
            model.param.update(**{name: before[name]})
            notices.append(f"Ignored the link's value for '{name}': the page refused it.")
    return notices


def url_search(state: dict[str, str]) -> str:
    """The ``?...`` part of a URL for ``state`` (commas kept readable), or ``""`` if empty.

    >>> url_search({"eps": "0.1", "p": "1,2"})
    '?eps=0.1&p=1,2'
    """
    return "?" + urllib.parse.urlencode(state, safe=",") if state else ""


#: Runs in the browser whenever the hidden writer's value changes: swap the query in place.
#: ``replaceState`` (not Panel's ``location``, which calls ``pushState``) so moving a slider
#: does not fill the back button's history, and nothing reloads.
_REPLACE_QUERY_JS = """
const url = new URL(window.location.href);
url.search = cb_obj.value;
if (url.href !== window.location.href) {
  window.history.replaceState(window.history.state, "", url.href);
}
"""


def _url_writer() -> pn.widgets.TextInput:
    """A hidden widget whose value, set from Python, becomes the page's URL query."""
    writer = pn.widgets.TextInput(visible=False, sizing_mode="fixed", width=0, height=0, margin=0)
    writer.jscallback(value=_REPLACE_QUERY_JS)
    return writer


#: Fewest seconds between two rewrites of the URL. Chrome ignores ``history.replaceState``
#: beyond 200 calls in 10 s (its IPC flooding protection: "Throttling navigation to prevent the
#: browser from hanging"), so a page that rewrote its URL on every answer of a long drag left
#: the address bar at a stale state, and a copied link showed another view. One rewrite per
#: 0.1 s is half that limit.
URL_INTERVAL = 0.1


class Throttle:
    """Run ``action`` at most once per ``interval`` seconds, the latest request winning.

    A request after a quiet spell runs at once; requests within ``interval`` of the last run
    are merged into one run at the end of the interval (``later(seconds, fn)`` schedules it),
    so the last request always runs. ``action`` reads the state when it runs, not when asked.

    >>> runs, queued, now = [], [], [0.0]
    >>> t = Throttle(lambda: runs.append(now[0]), 0.1, later=lambda s, fn: queued.append(fn),
    ...              clock=lambda: now[0])
    >>> t.request(); now[0] = 0.03; t.request(); now[0] = 0.06; t.request()
    >>> runs, len(queued)  # the first at once, the next two merged into one queued run
    ([0.0], 1)
    >>> now[0] = 0.1; queued.pop()(); runs
    [0.0, 0.1]
    """

    def __init__(
        self,
        action: Callable[[], None],
        interval: float,
        later: Callable[[float, Callable[[], None]], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._action = action
        self._interval = interval
        self._later = later
        self._clock = clock
        self._last = -math.inf
        self._queued = False

    def request(self, *_events: Any) -> None:
        if self._queued:
            return
        wait = self._last + self._interval - self._clock()
        if wait <= 0:
            self._run()
        else:
            self._queued = True
            self._later(wait, self._run)

    def _run(self) -> None:
        self._queued = False
        self._last = self._clock()
        self._action()


def _later_in(doc) -> Callable[[float, Callable[[], None]], None]:
    """Schedule ``fn`` on ``doc``'s session loop in ``seconds``, with ``doc`` as Panel's
    current document (so the widget it sets updates at once)."""

    def later(seconds: float, fn: Callable[[], None]) -> None:
        def run() -> None:
            with set_curdoc(doc):
                fn()

        doc.add_timeout_callback(run, max(1, round(seconds * 1000)))

    return later


class _RawLocation(Location):
    """Panel's ``Location`` without its loose query parsing.

    Panel builds a ``Location`` for every served page and parses the query whenever it changes:
    digits become ``int`` (a 5000-digit value raises and aborts the page's script), ``[...]``
    goes through ``ast.literal_eval``, and failures are logged with the whole value. This one
    returns the raw strings; pages read their values through :func:`parse_query` anyway.
    """

    @property
    def query_params(self) -> dict[str, Any]:
        try:
            return dict(urllib.parse.parse_qsl(self.search[1:], max_num_fields=MAX_KEYS))
        except ValueError:  # more than MAX_KEYS keys: treat the query as carrying none
            return {}


#: Most query keys Panel's location looks at (pages read theirs through parse_query).
MAX_KEYS = 200


def protect_location() -> None:
    """Give this session a :class:`_RawLocation` before Panel creates its own.

    Called by ``shell.extension()`` and :func:`bind_query`, i.e. before any ``.servable()``.
    Panel reuses a location it finds for the session (:func:`compat.install_location`).
    """
    doc = pn.state.curdoc
    if doc is None or doc.session_context is None:
        return
    compat.install_location(doc, lambda: _RawLocation.from_request(doc.session_context.request))


def bind_query(model: param.Parameterized, keys: Sequence[QueryKey]) -> list[str]:
    """Apply the session's query to ``model`` and keep the URL in step with it.

    Returns the notices for rejected keys (plain text, for the page to show). Outside a server
    session this does nothing and returns no notices. The URL is rewritten with
    ``history.replaceState`` (no reload, no new history entry) when a bound parameter changes,
    at most every :data:`URL_INTERVAL` seconds (the last change is always written), and once on
    load if the link carried values that were ignored.
    """
    if pn.state.curdoc is None or pn.state.curdoc.session_context is None:
        return []
    protect_location()
    query = session_query()
    values, notices = parse_query(query, keys)
    notices += apply_values(model, values)
    kept = {k: v for k, v in query.items() if k in SHELL_KEYS and len(v) < 20}
    writer = _url_writer()
    # Its own document root: the page layout need not know about it.
    writer.servable(location=False)

    def write_url(*_events: Any) -> None:
        state = dict(kept)
        for spec in keys:
            state[spec.key] = spec.format(getattr(model, spec.param))
        writer.value = url_search(state)

    throttle = Throttle(write_url, URL_INTERVAL, _later_in(pn.state.curdoc))
    model.param.watch(throttle.request, [spec.param for spec in keys])
    if notices:
        # Drop the ignored values from the address bar too, so a copied link is a clean one.
        pn.state.onload(write_url)
    return notices
