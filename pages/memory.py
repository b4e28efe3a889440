"""Give the memory of closed sessions back to the system.

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
    """After sessions close: collect cycles, then trim the allocator (debounced).

    A full collection walks every object of every open session, on the event loop: ~180 ms
    with six /transport_plan sessions open (measured), a stall in every student's drag, every
    few seconds while a class comes and goes. So it runs only once no session is open (the
    class has left); while sessions are open the hook collects the young generations only
    (Python's own full collections still come, as the heap grows) and trims.
    """

    def __init__(self, interval: float = 5.0, trim=None) -> None:
        self.interval = interval
        self.trim = trim if trim is not None else _malloc_trim()
        self.pending = False
        self.runs = 0
        self.full_runs = 0
        self.open = 0  # sessions created and not yet destroyed

    def session_created(self, session_context) -> None:
        self.open += 1

    def session_closed(self, session_context) -> None:
        self.open = max(0, self.open - 1)
        if self.pending or self.trim is None:
            return
        self.pending = True
        from tornado.ioloop import IOLoop

        IOLoop.current().call_later(self.interval, self.run)

    def run(self) -> None:
        self.pending = False
        if self.open == 0:
            gc.collect()
            self.full_runs += 1
        else:
            gc.collect(1)
        self.trim()
        self.runs += 1


def install(interval: float = 5.0) -> MemoryReturn:
    """Run :class:`MemoryReturn` after every session of this server process closes."""
    import panel as pn

    hook = MemoryReturn(interval)
    pn.state.on_session_created(hook.session_created)
    pn.state.on_session_destroyed(hook.session_closed)
    if hook.trim is None:
        log.info("no malloc_trim here: closed sessions' memory stays with the allocator")
    return hook
