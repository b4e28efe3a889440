"""One worker pool for the background work of every session, and a per-session job helper.

Long computations (a 2-D barycenter, fitting a field, Brenier's sampled estimate) run off the
session's event loop so a slider moved meanwhile is answered at once. :data:`POOL` is shared
by all sessions of the process and has ONE thread: on a 2-core machine the other core must
stay free for the event loop (numpy and POT's solvers release the GIL while they work). Its
queue holds at most one job per session (below), so it stays bounded by the sessions.

:class:`Job` is what a page holds, one per kind of background result:

- ``submit(fn)`` asks for a new result; the newest request wins: a queued job it supersedes
  is cancelled before it starts, and a running one's result is dropped (by generation);
- ``delay_ms`` waits for the controls to rest before starting (a slider drag submits often);
- ``defer_under_load``, for work whose result is secondary on its page (a trained critic, a
  sweep, an estimate): the rest it waits for grows with the other jobs of the process still
  waiting for their results, ``delay_ms`` per job, up to ``LOADED_REST_MS``. A class changing
  its views twice a second would otherwise start jobs faster than the one worker finishes
  them, each superseded before it ends, and the worker would take the interpreter lock from
  the loop that answers every session (bench/README_class_load.md, "Background work under
  load"); a student who pauses still gets the result;
- a job may take a ``progress`` keyword: calling ``progress(fraction, text)`` on the worker
  reports to ``on_progress`` on the session's loop (coalesced: the latest report wins, at
  most one every ``PROGRESS_INTERVAL`` seconds, none after the result), and raises
  :class:`Superseded` once the job is stale, so a cooperative job stops early;
- ``on_result`` / ``on_error`` run on the session's loop (Bokeh models must never be touched
  from a worker thread); an error becomes a short message, never a crashed session;
- ``submit(fn, key=...)``, for a pure ``fn``: its value is shared by every session of the
  process (the latest :data:`SHARED_KEPT` kept). A class opening the same view asks for the
  same sweep, training or solve thirty times; the first request computes it, the queued ones
  find it (the one worker runs them in turn), and later ones get it at once. Never keyed: what
  depends on a student's own data (an upload), which must not outlive the session;
- ``result`` keeps the last finished result, to show while a new one runs;
- nothing is delivered, and nothing queued starts, once the session is destroyed.

Without a served session (unit tests, a notebook) ``submit`` runs the job at once, in line.
"""

from __future__ import annotations

import inspect
import logging
import math
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

log = logging.getLogger(__name__)

#: The process's one background thread (see the module docstring for why one).
POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ot-worker")
#: Seconds between two progress reports shown by one job: each redraws a bar and a status line
#: on the session's loop, which a class of 30 training at once would otherwise spend a large
#: part of its time on (bench/README_class_load.md, "Progress reports").
PROGRESS_INTERVAL = 0.2
#: Longest wait for the controls to rest of a job that defers to load (``defer_under_load``).
LOADED_REST_MS = 2000
#: The jobs of the process waiting for a result (``Job.busy``), kept by each job as its state
#: changes, all on the event loop: counting them reads the set's size, never iterates it.
_BUSY: weakref.WeakSet = weakref.WeakSet()
#: Values of keyed jobs kept for every session of the process (``Job.submit(key=...)``): the
#: pages' background results are small (a sweep's curves, a trained network, palettes).
SHARED_KEPT = 32
#: Longest error text shown to the student.
MESSAGE_LIMIT = 160


class Superseded(Exception):
    """Raised inside a job by ``progress()`` once a newer request (or session end) made it
    stale."""


def short_message(err: BaseException) -> str:
    """One line of at most MESSAGE_LIMIT characters saying what went wrong.

    >>> short_message(ValueError("bad input\\nwith details"))
    'bad input'
    >>> short_message(ZeroDivisionError())
    'ZeroDivisionError'
    """
    lines = str(err).strip().splitlines()
    text = lines[0].strip() if lines else ""
    if not text:
        text = type(err).__name__
    if len(text) > MESSAGE_LIMIT:
        text = text[: MESSAGE_LIMIT - 1] + "…"
    return text


def _served(doc) -> bool:
    return doc is not None and getattr(doc, "session_context", None) is not None


def _alive(doc) -> bool:
    context = getattr(doc, "session_context", None)
    return context is not None and not getattr(context, "destroyed", False)


class Job:
    """Background results for one session: newest wins, progress, errors, session end.

    ``on_result(value)``, ``on_error(message)`` and ``on_progress(fraction, text)`` run on the
    session's event loop (in line, without a server).
    """

    def __init__(
        self,
        on_result: Callable[[Any], None],
        *,
        on_error: Callable[[str], None] | None = None,
        on_progress: Callable[[float, str], None] | None = None,
        delay_ms: int = 0,
        defer_under_load: bool = False,
        doc=None,
        pool: ThreadPoolExecutor | None = None,
    ) -> None:
        self.on_result = on_result
        self.on_error = on_error
        self.on_progress = on_progress
        self.delay_ms = int(delay_ms)
        self.defer_under_load = bool(defer_under_load)
        self.pool = pool or POOL
        self.doc = doc
        if doc is None:
            import panel as pn

            self.doc = pn.state.curdoc
        #: The last finished result (kept while a newer one runs), and its generation.
        self.result: Any = None
        self.result_generation = 0
        self.generation = 0
        self.closed = False
        self._future: Future | None = None
        self._lock = threading.Lock()  # guards the pending progress report
        self._progress: tuple[int, float, str] | None = None
        self._progress_shown_at = -math.inf  # time.monotonic() of the last report shown
        if _served(self.doc):
            self.doc.on_session_destroyed(self._on_destroyed)

    # --- the page's side ------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """A request is waiting or running whose result has not been delivered yet."""
        return self.result_generation != self.generation and not self.closed

    def submit(self, fn: Callable[..., Any], *, key: Hashable | None = None) -> int:
        """Ask for ``fn()`` (or ``fn(progress=...)``); returns the request's generation.

        ``fn`` must read nothing that changes meanwhile: a ``functools.partial`` of copies.

        ``key``: for a pure ``fn``, everything its value depends on, unique in the process
        (start it with the page's slug). Values are then shared by every session of the
        process (:data:`SHARED_KEPT` of them, the latest used kept): a value already known is
        delivered at once, without a rest or the worker, and a queued request finds the value
        another session's request has just computed. A class opening the same view asks for
        the same background work thirty times; it is done once. Never for what depends on a
        student's own data (an upload): it would outlive the session.
        """
        if self.closed:
            return self.generation
        self.generation += 1
        generation = self.generation
        self._cancel_queued()
        self._note_busy()
        if key is not None:
            known = shared_value(key)
            if known is not _MISSING:
                self._succeed(generation, known)
                return generation
            fn = _sharing(key, fn)
        if not _served(self.doc):
            self._run_inline(generation, fn)
        elif self.delay_ms > 0:
            self.doc.add_timeout_callback(partial(self._start, generation, fn), self.rest_ms())
        else:
            self._start(generation, fn)
        return generation

    def rest_ms(self) -> int:
        """How long the controls must rest before a request made now starts (milliseconds)."""
        if not self.defer_under_load or self.delay_ms <= 0:
            return self.delay_ms
        others = len(_BUSY) - (self in _BUSY)
        return min(self.delay_ms * (1 + others), max(self.delay_ms, LOADED_REST_MS))

    def if_still_busy(self, seconds: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the session's loop after ``seconds`` if the request made last is
        still running then (e.g. a "working…" state that would only flicker for quick work).
        Nothing without a served session: there the job has already run in line."""
        if not self.busy or not _served(self.doc):
            return
        generation = self.generation

        def later() -> None:
            if self.busy and self.generation == generation:
                callback()

        self.doc.add_timeout_callback(later, round(seconds * 1000))

    def cancel(self) -> None:
        """Drop every request made so far (the last finished result stays)."""
        self.generation += 1
        self.result_generation = self.generation
        self._cancel_queued()
        self._note_busy()

    def close(self) -> None:
        """The session is over: nothing more starts or is delivered."""
        self.closed = True
        self.cancel()

    def _note_busy(self) -> None:
        """Keep :data:`_BUSY` in step with ``busy`` (called wherever it may change)."""
        if self.busy:
            _BUSY.add(self)
        else:
            _BUSY.discard(self)

    # --- running ----------------------------------------------------------------------------

    def _cancel_queued(self) -> None:
        if self._future is not None:
            self._future.cancel()  # only stops a job that has not started yet
            self._future = None

    def _call(self, generation: int, fn: Callable[..., Any]) -> Any:
        if _wants_progress(fn):
            return fn(progress=partial(self._report, generation))
        return fn()

    def _run_inline(self, generation: int, fn: Callable[..., Any]) -> None:
        self._deliver(generation, partial(self._call, generation, fn))

    def _start(self, generation: int, fn: Callable[..., Any]) -> None:
        if generation != self.generation or self.closed or not _alive(self.doc):
            return  # superseded while it waited for the controls to rest
        self._cancel_queued()
        future = self.pool.submit(self._call, generation, fn)
        self._future = future
        doc = self.doc

        def done(fut: Future) -> None:  # on the worker thread (or here, if cancelled)
            if fut.cancelled() or generation != self.generation or not _alive(doc):
                return
            try:
                doc.add_next_tick_callback(partial(self._finish, generation, fut))
            except Exception:  # the session went away between the check and the call
                log.debug("session gone before a job's result was delivered", exc_info=True)

        future.add_done_callback(done)

    def _finish(self, generation: int, future: Future) -> None:
        if self._future is future:
            self._future = None
        self._deliver(generation, future.result)

    def _deliver(self, generation: int, get_value: Callable[[], Any]) -> None:
        """Hand the job's value (or its error, in words) to the page; drop a superseded job."""
        try:
            value = get_value()
        except Superseded:
            return
        except Exception as err:
            self._fail(generation, err)
            return
        self._succeed(generation, value)

    def _succeed(self, generation: int, value: Any) -> None:
        if generation != self.generation or self.closed:
            return  # a newer request is on its way: this result is stale
        self.result, self.result_generation = value, generation
        self._note_busy()
        try:
            self.on_result(value)
        except Exception as err:  # the page's own callback: report it, keep the session
            log.exception("a job's result callback failed")
            self._report_error(err)

    def _fail(self, generation: int, err: Exception) -> None:
        if generation != self.generation or self.closed:
            return
        self.result_generation = generation
        self._note_busy()
        log.warning("background job failed: %s", short_message(err), exc_info=err)
        self._report_error(err)

    def _report_error(self, err: BaseException) -> None:
        if self.on_error is None:
            return
        try:
            self.on_error(short_message(err))
        except Exception:
            log.exception("a job's error callback failed")

    # --- progress: called on the worker thread, delivered on the loop ------------------------

    def _report(self, generation: int, fraction: float, text: str = "") -> None:
        if generation != self.generation or self.closed:
            raise Superseded
        if self.on_progress is None:
            return
        with self._lock:
            pending = self._progress is not None
            self._progress = (generation, float(fraction), str(text))
        if not _served(self.doc):
            self._deliver_progress()
        elif not pending and _alive(self.doc):  # one delivery in flight at most: latest wins
            self.doc.add_next_tick_callback(self._deliver_progress)

    def _deliver_progress(self) -> None:
        if _served(self.doc):
            if not _alive(self.doc):
                return
            wait = self._progress_shown_at + PROGRESS_INTERVAL - time.monotonic()
            if wait > 0:  # shown a moment ago: the latest report waits (still pending)
                try:
                    self.doc.add_timeout_callback(self._deliver_progress, max(1, round(wait * 1e3)))
                    return
                except Exception:  # never leave a report pending with no delivery coming
                    log.debug("could not hold back a progress report", exc_info=True)
        with self._lock:
            report, self._progress = self._progress, None
        generation = report[0] if report is not None else None
        if generation != self.generation or generation == self.result_generation or self.closed:
            return  # stale, or the result (which ends the progress) is already shown
        self._progress_shown_at = time.monotonic()
        try:
            self.on_progress(report[1], report[2])
        except Exception:
            log.exception("a job's progress callback failed")

    def _on_destroyed(self, _session_context) -> None:
        self.close()


_MISSING = object()
_SHARED: OrderedDict = OrderedDict()
_SHARED_LOCK = threading.Lock()  # the worker stores, the loop reads


def shared_value(key: Hashable) -> Any:
    """The value computed for ``key`` (``Job.submit(..., key=...)``), or ``_MISSING``."""
    with _SHARED_LOCK:
        value = _SHARED.get(key, _MISSING)
        if value is not _MISSING:
            _SHARED.move_to_end(key)
        return value


def _share(key: Hashable, value: Any) -> None:
    with _SHARED_LOCK:
        _SHARED[key] = value
        _SHARED.move_to_end(key)
        while len(_SHARED) > SHARED_KEPT:
            _SHARED.popitem(last=False)


def _sharing(key: Hashable, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` looking for its value among the shared ones first and sharing what it computes
    (errors and superseded runs are not shared)."""
    wants = _wants_progress(fn)

    def call(progress):
        known = shared_value(key)
        if known is not _MISSING:
            return known
        value = fn(progress=progress) if wants else fn()
        _share(key, value)
        return value

    return call


def _wants_progress(fn: Callable[..., Any]) -> bool:
    """True when ``fn`` takes a ``progress`` keyword (and it is not already bound)."""
    if isinstance(fn, partial) and "progress" in fn.keywords:
        return False
    try:
        return "progress" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
