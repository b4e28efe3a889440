"""Short garbage-collection pauses, and the memory of closed sessions back to the system.

A session of a page holds a few MB (its Bokeh models and arrays). When it closes, Python frees
the objects, but glibc's allocator keeps the freed pages in the process: after a class opens and
leaves a page, the server stayed ~60 MB above its earlier size, burst after burst (measured:
bench/README_class_load.md). ``malloc_trim`` returns the free pages at the top of each arena.
It runs after sessions close, at most once per ``interval`` seconds, off the critical moment
(a timer, not inside Bokeh's cleanup); on a system without glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

log = logging.getLogger(__name__)


def _malloc_trim():
    """glibc's ``malloc_trim`` as a callable of no arguments, or None where there is none."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None
    if trim is None:
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


class MemoryReturn:
    """Keep Python's full collections short, and give closed sessions' memory back.

    **Short pauses.** Python's own full collection walks every object of every open session
    on the event loop, a stall in every student's drag: 80-180 ms with a few /transport_plan
    sessions open (bench/README_latency.md). So, once a page has been built, the objects alive
    are frozen (``gc.freeze``): the collector leaves them alone and later collections walk
    only what came after them. A closed session's cyclic garbage is then frozen too, so it is
    thawed and collected in full once no session is open (the class has left), or once as many
    sessions closed since the last thaw as are open (and at least ``thaw_after``): the garbage
    kept frozen stays below the live sessions' own memory.

    **Memory back to the system.** After sessions close (debounced, at most once per
    ``interval`` seconds, on a timer rather than inside Bokeh's cleanup) the young generations
    are collected and glibc's free pages returned (``malloc_trim``).
    """

    def __init__(
        self,
        interval: float = 5.0,
        trim=None,
        freeze: bool = True,
        settle: float = 1.0,
        thaw_after: int = 20,
    ) -> None:
        self.interval = interval
        self.trim = trim if trim is not None else _malloc_trim()
        self.freeze = freeze
        self.settle = settle  # seconds after a session is created: its page is built by then
        self.thaw_after = thaw_after
        self.pending = False
        self.freeze_pending = False
        self.runs = 0
        self.full_runs = 0
        self.freezes = 0
        self.open = 0  # sessions created and not yet destroyed
        self.closed_since_thaw = 0

    def start(self) -> None:
        """At server start: collect once, and freeze what the imports built."""
        if self.freeze:
            gc.collect()
            self._freeze_now()

    def session_created(self, session_context) -> None:
        self.open += 1
        if self.freeze and not self.freeze_pending:
            self.freeze_pending = True
            _call_later(self.settle, self._freeze_later)

    def session_closed(self, session_context) -> None:
        self.open = max(0, self.open - 1)
        self.closed_since_thaw += 1
        if self.pending or (self.trim is None and not self.freeze):
            return
        self.pending = True
        _call_later(self.interval, self.run)

    def run(self) -> None:
        self.pending = False
        if self.open == 0 or (
            self.freeze and self.closed_since_thaw >= max(self.thaw_after, self.open)
        ):
            if self.freeze:
                gc.unfreeze()
            gc.collect()
            self.closed_since_thaw = 0
            self.full_runs += 1
            if self.freeze:
                self._freeze_now()
        else:
            gc.collect(1)
        if self.trim is not None:
            self.trim()
        self.runs += 1

    def _freeze_later(self) -> None:
        self.freeze_pending = False
        gc.collect(1)  # the build's young garbage is not worth freezing
        self._freeze_now()

    def _freeze_now(self) -> None:
        gc.freeze()
        self.freezes += 1


def _call_later(seconds: float, callback) -> None:
    from tornado.ioloop import IOLoop

    IOLoop.current().call_later(seconds, callback)


_installed: MemoryReturn | None = None


def install(interval: float = 5.0) -> MemoryReturn:
    """Run :class:`MemoryReturn` in this server process (once: later calls return the same)."""
    global _installed
    if _installed is not None:
        return _installed
    import panel as pn

    hook = _installed = MemoryReturn(interval)
    pn.state.on_session_created(hook.session_created)
    pn.state.on_session_destroyed(hook.session_closed)
    hook.start()
    if hook.trim is None:
        log.info("no malloc_trim here: closed sessions' memory stays with the allocator")
    return hook
