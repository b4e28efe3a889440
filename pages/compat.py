"""Every use of a library's private internals, in one place, each one tested.

Panel and Bokeh give no public way to do these few things the notebook needs for speed and
safety. Each hook reaches into internals of the pinned versions (requirements.txt); each has a
test in ``tests/pages/test_compat.py`` that fails if an upgrade removes what it relies on, so
a library upgrade cannot silently lose a latency fix or a safety net. Browser-side hooks are
listed in :data:`JS_HOOKS` and checked in the browser tests (``assets/js/compat.js``).
"""

from __future__ import annotations

from typing import Any

import panel as pn


def _connections(doc) -> tuple:
    """The websocket connections of a served document's session (none outside a server)."""
    session = getattr(getattr(doc, "session_context", None), "_session", None)
    return tuple(getattr(session, "_subscribed_connections", ()))


def set_nodelay(doc) -> int:
    """Turn Nagle's algorithm off on the session's websockets; returns how many were set.

    Bokeh leaves it on: an update written shortly after the server's reply to a browser change
    then waits for the browser's delayed TCP acknowledgement, ~40 ms on every drag step.
    Hook: ``session_context._session._subscribed_connections[*]._socket.set_nodelay``.
    """
    count = 0
    for connection in _connections(doc):
        socket = getattr(connection, "_socket", None)
        if socket is not None and hasattr(socket, "set_nodelay"):
            socket.set_nodelay(True)
            count += 1
    return count


def socket_busy(doc) -> bool:
    """True while one of the session's websockets is in the middle of a write.

    An update made while Bokeh's write lock is held is serialized by Panel and retried ~10 ms
    later; waiting a loop turn for the lock instead sends it at once.
    Hook: ``connection._socket.write_lock._block._value`` (a Tornado semaphore's count).
    """
    for connection in _connections(doc):
        lock = getattr(getattr(connection, "_socket", None), "write_lock", None)
        block = getattr(lock, "_block", None)
        if getattr(block, "_value", 1) == 0:
            return True
    return False


def install_location(doc, make_location) -> bool:
    """Make ``make_location()`` the session's Panel ``Location`` before Panel builds its own.

    Panel parses the query loosely when it builds its location (see :mod:`pages.query`); it
    reuses one it finds in ``pn.state._locations``. Returns False if one is there already.
    """
    locations = pn.state._locations
    if doc in locations:
        return False
    locations[doc] = make_location()
    return True


def set_debounce(widget_class: type, milliseconds: int) -> type:
    """A subclass of a Panel slider whose browser changes reach Python after ``milliseconds``.

    Panel holds slider changes for 50 ms (class attribute ``_debounce``); for a figure that
    recomputes in well under a millisecond a shorter window keeps it in step.
    """
    return type(widget_class.__name__, (widget_class,), {"_debounce": milliseconds})


class AttributedColumn(pn.Column):
    """A Column whose Bokeh model carries extra HTML attributes (``role``, ``aria-label``).

    Panel has no parameter for a layout's ``html_attributes``; the hook is ``_get_model``.
    """

    def __init__(self, *objects: Any, html_attributes: dict[str, str], **params: Any) -> None:
        self._html_attributes = dict(html_attributes)
        super().__init__(*objects, **params)

    def _get_model(self, doc, root=None, parent=None, comm=None):
        model = super()._get_model(doc, root, parent, comm)
        model.html_attributes = {**model.html_attributes, **self._html_attributes}
        return model


#: Browser-side internals, used from assets/js (name -> what relies on it). Checked by
#: ``tests/browser/test_compat.py`` on the pinned BokehJS.
JS_HOOKS = {
    "PlotView._invalidate_layout_if_needed": "kl_vs_wasserstein_drag.js: skip text measures "
    "while the bump is dragged",
    "Document.views_manager": "components/histogram.js, components/points.js, "
    "kl_vs_wasserstein_drag.js, transport_plan_hover.js: find a figure's view",
    "CanvasView.events_el": "components/histogram.js, components/points.js, "
    "kl_vs_wasserstein_drag.js, transport_plan_hover.js: the plot's event layer (focus, keys, "
    "touch-action)",
}
