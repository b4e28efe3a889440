"""Browser-to-server event coalescing shared by the draggable figures.

Drags and slider moves can arrive faster than a page recomputes. Each page feeds them to a
:class:`LatestWins` queue: only the newest pending update is applied, and never more than one
run is queued, so the figure never falls behind the pointer.
"""

from __future__ import annotations

from pages.compat import socket_busy


class LatestWins:
    """Apply only the newest pending update; never queue more than one run.

    Bar syncs arrive from the browser while a solve may still be running. ``submit`` merges
    the update into one pending dict and schedules a single run on the session's event loop;
    whatever arrived meanwhile is merged, so a slow solve never builds a backlog. A run waits
    (a few event-loop turns at most) for the websocket to finish its current write, so that
    its result goes out at once instead of in Panel's 10 ms retry.
    """

    #: Event-loop turns a run may wait for the socket (a reply write takes one or two).
    MAX_DEFERRALS = 20

    def __init__(self, apply) -> None:
        self._apply = apply
        self._pending: dict = {}
        self._scheduled = False
        self._deferrals = 0

    def submit(self, doc, **update) -> None:
        self._pending.update(update)
        if doc is None:  # no server (tests): apply at once
            self._run()
        elif not self._scheduled:
            self._scheduled = True
            doc.add_next_tick_callback(lambda: self._run(doc))

    def _run(self, doc=None) -> None:
        if doc is not None and self._deferrals < self.MAX_DEFERRALS and socket_busy(doc):
            self._deferrals += 1
            doc.add_next_tick_callback(lambda: self._run(doc))
            return
        self._deferrals = 0
        self._scheduled = False
        update, self._pending = self._pending, {}
        if update:
            self._apply(update)
