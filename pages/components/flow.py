"""One flow-control protocol for every draggable figure (server half).

The browser half is ``assets/js/components/flow.js``: per request model, at most one write in
flight; the newest change waits for the server's answer (or :data:`TIMEOUT_MS`). The server
half here:

* coalesces: requests are merged into one pending update (latest wins per key) and one run is
  scheduled on the session's loop, so a slow compute never builds a backlog;
* waits (a few loop turns at most) for the websocket's write lock (``compat.socket_busy``), so
  the result goes out at once instead of in Panel's ~10 ms retry;
* always answers: every run writes the answer model at least once, even when the request
  changed nothing or was invalid, because the browser holds its next change until it does.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from bokeh.models import ColumnDataSource

from pages.compat import browser_writable, socket_busy
from pages.components import js

#: Milliseconds the browser waits for an answer before it takes it for lost and sends its
#: newest change anyway. Normally the answer releases the next change, so this only bounds the
#: stall after a lost answer. 250 ms is above what an answer takes on a busy server (a class of
#: 50 at 2 changes/s measured p95 78 ms; a 256-bin solve tens of ms), so it does not fire while
#: the server works (a resend then would only add load), and short enough that a lost answer
#: costs one visible hitch. It replaces 250 ms (transport plan), 100 ms (KL) and Brenier's
#: 80 ms throttle; with answers flowing, none of them fired in the benches.
TIMEOUT_MS = 250
js.define("FLOW_TIMEOUT_MS", TIMEOUT_MS)


def scalar_request(data: dict, key: str, lo: float, hi: float, digits: int | None = None) -> dict:
    """One number a request model carries, as ``{key: value}`` clamped to ``[lo, hi]``.

    The browser sends ``{key: [value]}`` (a one-row source); anything else, including a
    non-finite value, gives ``{}``: invalid, but still answered (see :class:`Flow`), so the
    browser's next change is not held back. ``digits`` rounds the value, so nearby requests
    share cached results.

    >>> scalar_request({"t": [0.12345]}, "t", 0.0, 1.0, digits=3)
    {'t': 0.123}
    >>> scalar_request({"t": [7.0]}, "t", 0.0, 1.0), scalar_request({"t": ["nan"]}, "t", 0, 1)
    ({'t': 1.0}, {})
    >>> scalar_request({"t": ["x"]}, "t", 0, 1), scalar_request({}, "t", 0, 1)
    ({}, {})
    """
    try:
        value = float(data[key][0])
    except (KeyError, IndexError, TypeError, ValueError):
        return {}
    if not math.isfinite(value):
        return {}
    value = min(float(hi), max(float(lo), value))
    return {key: value if digits is None else round(value, digits)}


class Flow:
    """Latest-wins requests from the browser, each run answered on ``answer_source``.

    ``apply(update)`` receives the merged dict of the pending requests' values. Request models
    are wired with :meth:`listen`; the page writes extra answer fields with :meth:`answer`
    (e.g. the ε it solved for); a run that wrote none is answered with the last fields.
    """

    #: Event-loop turns a run may wait for the socket (a reply write takes one or two).
    MAX_DEFERRALS = 20
    #: The browser half (CustomJS bodies that send requests prepend it).
    JS = "components/flow.js"

    def __init__(
        self, apply: Callable[[dict], None], name: str | None = None, **fields: float
    ) -> None:
        self._apply = apply
        self._fields = {"seq": 0, **fields}
        self.answers = 0
        self.answer_source = ColumnDataSource({k: [v] for k, v in self._fields.items()}, name=name)
        # Any change of the answer releases the requests waiting on it (flow.js).
        self.answer_source.js_on_change("data", js.custom_js("flow_ack(cb_obj);", self.JS))
        self._pending: dict = {}
        self._scheduled = False
        self._deferrals = 0

    @property
    def document(self):
        """The served session's document, or None (not served: updates apply at once).

        The one way pages find their session: the document the answer model belongs to
        (set once the page's root is built; ``session_context`` only when served).
        """
        doc = self.answer_source.document
        return doc if doc is not None and doc.session_context is not None else None

    def listen(self, request, parse: Callable[[dict], dict | None], max_items: int = 64) -> None:
        """Feed ``request``'s browser writes, turned into updates by ``parse(data)``, to the
        queue. ``parse`` returns None for the server's own write (Bokeh reports those too:
        ignored) and ``{}`` for an invalid one (answered all the same, so the browser sends
        its next).

        ``request``'s data becomes browser-writable (:func:`pages.compat.browser_writable`),
        in messages of at most ``max_items`` values: anything larger is refused before Bokeh
        decodes it, so ``parse`` only ever sees small data."""
        browser_writable(request, max_items, "data")

        def on_change(_attr, _old, new) -> None:
            update = parse(new)
            if update is not None:
                self.submit(**update)

        request.on_change("data", on_change)

    def submit(self, **update) -> None:
        """Merge ``update`` into the pending one and schedule a run (one at most)."""
        self._pending.update(update)
        doc = self.document
        if doc is None:  # no server (tests, notebooks): apply at once
            self._run()
        elif not self._scheduled:
            self._scheduled = True
            doc.add_next_tick_callback(lambda: self._run(doc))

    def answer(self, **fields: float) -> None:
        """Write the answer (a new sequence number and ``fields``); the browser releases its
        next request on it. Write it last in a held update: it acknowledges what came before."""
        self.answers += 1
        self._fields.update(fields, seq=self.answers)
        self.answer_source.data = {k: [v] for k, v in self._fields.items()}

    def _run(self, doc=None) -> None:
        if doc is not None and self._deferrals < self.MAX_DEFERRALS and socket_busy(doc):
            self._deferrals += 1
            doc.add_next_tick_callback(lambda: self._run(doc))
            return
        self._deferrals = 0
        self._scheduled = False
        update, self._pending = self._pending, {}
        answers = self.answers
        try:
            if update:
                self._apply(update)
        finally:
            if self.answers == answers:  # nothing was answered: answer anyway
                self.answer()
