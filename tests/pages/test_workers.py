"""The shared worker pool and the per-session job helper, with a fake served document.

The fake document queues what the job helper schedules on "the session's loop"; the test
thread plays that loop (``pump``), so the tests can check which thread runs each callback.
"""

from __future__ import annotations

import gc
import queue
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from types import SimpleNamespace

import pytest

from pages import workers
from pages.workers import Job, Superseded, short_message

WAIT = 10.0  # seconds: generous bounds for a loaded machine; never the thing under test


class FakeDoc:
    """What Job uses of a served Bokeh document."""

    def __init__(self) -> None:
        self.session_context = SimpleNamespace(destroyed=False)
        self.ticks: queue.Queue = queue.Queue()
        self.timeouts: list = []
        self.timeout_ms: list = []
        self.destroyed_callbacks: list = []

    def add_next_tick_callback(self, callback) -> None:  # thread-safe, as Bokeh's is
        self.ticks.put(callback)

    def add_timeout_callback(self, callback, ms) -> None:
        self.timeouts.append(callback)
        self.timeout_ms.append(ms)

    def on_session_destroyed(self, callback) -> None:
        self.destroyed_callbacks.append(callback)

    def fire_timeouts(self) -> None:
        due, self.timeouts = self.timeouts, []
        for callback in due:
            callback()

    def pump(self, until, timeout: float = WAIT) -> None:
        """Run queued loop callbacks on this thread until ``until()`` holds."""
        deadline = time.monotonic() + timeout
        while not until():
            try:
                self.ticks.get(timeout=0.01)()
            except queue.Empty:
                pass
            assert time.monotonic() < deadline, "condition not reached"

    def drain(self) -> None:
        while True:
            try:
                self.ticks.get_nowait()()
            except queue.Empty:
                return

    def destroy(self) -> None:
        self.session_context.destroyed = True
        for callback in self.destroyed_callbacks:
            callback(self.session_context)


@pytest.fixture
def pool():
    with ThreadPoolExecutor(max_workers=1) as executor:
        yield executor


class Recorder:
    def __init__(self) -> None:
        self.results: list = []
        self.errors: list[str] = []
        self.progress: list[tuple[float, str]] = []
        self.threads: set[int] = set()

    def result(self, value) -> None:
        self.threads.add(threading.get_ident())
        self.results.append(value)

    def error(self, message: str) -> None:
        self.threads.add(threading.get_ident())
        self.errors.append(message)

    def on_progress(self, fraction: float, text: str) -> None:
        self.threads.add(threading.get_ident())
        self.progress.append((fraction, text))


def make_job(pool, doc=None, **kwargs):
    rec = Recorder()
    doc = doc or FakeDoc()
    job = Job(
        rec.result, on_error=rec.error, on_progress=rec.on_progress, doc=doc, pool=pool, **kwargs
    )
    return job, doc, rec


def blocked(gate: threading.Event, started: threading.Event, value):
    started.set()
    assert gate.wait(WAIT)
    return value


def test_the_process_pool_leaves_a_core_for_the_event_loop():
    assert workers.POOL._max_workers in (1, 2)


def test_newest_wins_queued_job_is_cancelled_running_result_dropped(pool):
    job, doc, rec = make_job(pool)
    gate, started = threading.Event(), threading.Event()
    ran = []
    job.submit(partial(blocked, gate, started, "first"))
    assert started.wait(WAIT)
    job.submit(lambda: ran.append("second") or "second")  # queued behind the first
    job.submit(lambda: ran.append("third") or "third")  # supersedes the queued one
    assert job.busy
    gate.set()
    doc.pump(lambda: rec.results)
    pool.submit(lambda: None).result(WAIT)  # every job has finished
    doc.drain()
    assert rec.results == ["third"]  # the first's result was dropped
    assert ran == ["third"]  # the second never started
    assert job.result == "third" and not job.busy
    assert rec.threads == {threading.get_ident()}  # delivered on the loop


def test_last_result_is_kept_while_a_new_one_runs(pool):
    job, doc, rec = make_job(pool)
    job.submit(lambda: 1)
    doc.pump(lambda: rec.results == [1])
    gate, started = threading.Event(), threading.Event()
    job.submit(partial(blocked, gate, started, 2))
    assert started.wait(WAIT)
    assert job.result == 1 and job.busy
    gate.set()
    doc.pump(lambda: rec.results == [1, 2])
    assert job.result == 2


def test_progress_is_delivered_on_the_loop_and_coalesced(pool):
    job, doc, rec = make_job(pool)
    worker_threads = set()

    def work(progress):
        worker_threads.add(threading.get_ident())
        for i in range(1, 201):
            progress(i / 200, f"step {i}")
        return "done"

    job.submit(work)
    doc.pump(lambda: rec.results == ["done"])
    doc.drain()
    doc.fire_timeouts()  # a report held back by the interval: the result came first
    doc.drain()
    assert rec.progress, "no progress delivered"
    assert rec.progress == sorted(rec.progress)  # in order, each the latest at its time
    assert len(rec.progress) <= 2  # the first at once, then one per interval at most
    assert rec.threads == {threading.get_ident()}
    assert threading.get_ident() not in worker_threads


def test_progress_is_shown_at_most_once_per_interval_the_latest_last(pool):
    job, doc, rec = make_job(pool)
    gate, started = threading.Event(), threading.Event()
    reports = []

    def work(progress):
        for i in range(1, 4):
            progress(i / 4, f"step {i}")
            reports.append(i)
        started.set()
        assert gate.wait(WAIT)
        return "done"

    job.submit(work)
    assert started.wait(WAIT)
    doc.pump(lambda: rec.progress)
    assert rec.progress == [(0.75, "step 3")]  # three quick reports: the latest, at once
    job._report(job.generation, 0.8, "later")  # what the worker reports next...
    job._report(job.generation, 0.9, "latest")
    doc.drain()
    assert rec.progress == [(0.75, "step 3")]  # ...waits for the interval's end
    assert len(doc.timeouts) == 1  # one delivery waits, however many reports come
    time.sleep(workers.PROGRESS_INTERVAL)
    doc.fire_timeouts()
    assert rec.progress == [(0.75, "step 3"), (0.9, "latest")]
    gate.set()
    doc.pump(lambda: rec.results == ["done"])


def test_no_progress_is_shown_after_the_result(pool):
    job, doc, rec = make_job(pool)
    job._progress_shown_at = time.monotonic()  # a report was just shown
    job.submit(lambda progress: progress(0.99, "almost") or "done")
    doc.pump(lambda: rec.results == ["done"])
    time.sleep(workers.PROGRESS_INTERVAL)
    doc.fire_timeouts()
    doc.drain()
    assert rec.progress == []  # the held report came after the result: dropped


def test_a_superseded_job_stops_at_its_next_progress_call(pool):
    job, doc, rec = make_job(pool)
    gate, started, stopped = threading.Event(), threading.Event(), threading.Event()

    def long(progress):
        started.set()
        assert gate.wait(WAIT)
        try:
            progress(0.5, "half")
        except Superseded:
            stopped.set()
            raise
        return "stale"

    job.submit(long)
    assert started.wait(WAIT)
    job.submit(lambda: "fresh")
    gate.set()
    doc.pump(lambda: rec.results == ["fresh"])
    assert stopped.is_set()
    assert rec.errors == [] and rec.progress == []


def test_errors_become_a_short_message_and_the_job_goes_on(pool):
    job, doc, rec = make_job(pool)

    def broken():
        raise ValueError("covariance is not positive definite\nTraceback-like detail")

    job.submit(broken)
    doc.pump(lambda: rec.errors)
    assert rec.errors == ["covariance is not positive definite"]
    assert not job.busy and job.result is None
    job.submit(lambda: 42)
    doc.pump(lambda: rec.results == [42])


def test_a_failing_result_callback_is_reported_not_raised(pool):
    doc = FakeDoc()
    errors = []
    job = Job(lambda v: 1 / 0, on_error=errors.append, doc=doc, pool=pool)
    job.submit(lambda: 1)
    doc.pump(lambda: errors)
    assert errors == ["division by zero"]


def test_short_message_is_one_bounded_line():
    assert short_message(RuntimeError("x" * 1000)).endswith("…")
    assert len(short_message(RuntimeError("x" * 1000))) == workers.MESSAGE_LIMIT
    assert short_message(KeyError()) == "KeyError"


def test_nothing_runs_or_is_delivered_after_the_session_ends(pool):
    job, doc, rec = make_job(pool)
    gate, started = threading.Event(), threading.Event()
    ran = []
    job.submit(partial(blocked, gate, started, "running"))
    assert started.wait(WAIT)
    job.submit(lambda: ran.append("queued") or "queued")
    doc.destroy()
    gate.set()
    pool.submit(lambda: None).result(WAIT)
    doc.drain()
    assert ran == [] and rec.results == [] and rec.errors == []
    assert doc.ticks.empty()
    job.submit(lambda: ran.append("late"))  # a late event from the page: ignored
    pool.submit(lambda: None).result(WAIT)
    assert ran == [] and job.closed


def test_destroyed_session_registers_its_cleanup():
    doc = FakeDoc()
    Job(lambda v: None, doc=doc)
    assert len(doc.destroyed_callbacks) == 1


def test_delay_starts_only_the_request_made_last(pool):
    job, doc, rec = make_job(pool, delay_ms=150)
    ran = []
    for i in range(3):
        job.submit(partial(lambda i: ran.append(i) or i, i))
    assert ran == []  # nothing starts before the controls rest
    doc.fire_timeouts()
    doc.pump(lambda: rec.results == [2])
    assert ran == [2]


def test_if_still_busy_runs_only_for_the_request_still_running(pool):
    job, doc, rec = make_job(pool)
    gate, started = threading.Event(), threading.Event()
    job.submit(partial(blocked, gate, started, "slow"))
    assert started.wait(WAIT)
    calls = []
    job.if_still_busy(0.25, lambda: calls.append("slow"))
    doc.fire_timeouts()  # still running: the callback runs
    assert calls == ["slow"]
    job.if_still_busy(0.25, lambda: calls.append("late"))
    gate.set()
    doc.pump(lambda: rec.results == ["slow"])
    doc.fire_timeouts()  # finished before its time: nothing
    assert calls == ["slow"]
    job.if_still_busy(0.25, lambda: calls.append("idle"))  # nothing running: not scheduled
    assert doc.timeouts == []


def test_without_a_server_the_job_runs_in_line():
    rec = Recorder()
    job = Job(rec.result, on_error=rec.error, on_progress=rec.on_progress, doc=None)
    assert job.doc is None  # no session here (pn.state.curdoc is None outside a server)

    def work(progress):
        progress(0.5, "half")
        return "now"

    job.submit(work)
    assert rec.results == ["now"] and rec.progress == [(0.5, "half")]
    job.submit(lambda: 1 / 0)
    assert rec.errors == ["division by zero"]


def test_a_deferring_job_waits_longer_while_other_sessions_wait_for_theirs(pool):
    gc.collect()  # jobs other tests left waiting
    before = len(workers._BUSY)
    waiting = [make_job(pool, delay_ms=100)[0] for _ in range(3)]
    for job in waiting:
        job.submit(lambda: None)  # each waits for its controls to rest: busy
    deferring, doc, _ = make_job(pool, delay_ms=150, defer_under_load=True)
    assert deferring.rest_ms() == 150 * (4 + before)  # once more per waiting job
    deferring.submit(lambda: None)
    assert doc.timeout_ms == [150 * (4 + before)]
    plain, plain_doc, _ = make_job(pool, delay_ms=150)
    plain.submit(lambda: None)
    assert plain_doc.timeout_ms == [150]  # a page's main result never waits for others
    more = [make_job(pool, delay_ms=100)[0] for _ in range(40)]
    for job in more:
        job.submit(lambda: None)
    assert deferring.rest_ms() == workers.LOADED_REST_MS  # bounded
    for job in [*waiting, *more, plain]:
        job.cancel()
    assert deferring.rest_ms() == 150 * (1 + before)  # its own request does not count


def test_the_busy_set_follows_every_way_a_job_stops_waiting(pool):
    finished, doc, rec = make_job(pool)
    finished.submit(lambda: "done")
    assert finished in workers._BUSY
    doc.pump(lambda: rec.results == ["done"])
    assert finished not in workers._BUSY
    failed, doc, rec = make_job(pool)
    failed.submit(lambda: 1 / 0)
    doc.pump(lambda: rec.errors)
    assert failed not in workers._BUSY
    cancelled, closed = make_job(pool, delay_ms=100)[0], make_job(pool, delay_ms=100)[0]
    cancelled.submit(lambda: None)
    closed.submit(lambda: None)
    assert {cancelled, closed} <= set(workers._BUSY)
    cancelled.cancel()
    closed.close()
    assert cancelled not in workers._BUSY and closed not in workers._BUSY
    dropped = make_job(pool, delay_ms=100)[0]
    dropped.submit(lambda: None)
    gone = weakref.ref(dropped)
    del dropped  # a session that went away without closing its job: not kept, not counted
    gc.collect()
    assert gone() is None


def test_a_report_that_cannot_be_held_back_is_shown_at_once(pool):
    job, doc, rec = make_job(pool)

    def refuse(_callback, _ms):
        raise RuntimeError("the loop is going away")

    doc.add_timeout_callback = refuse
    gate, started = threading.Event(), threading.Event()

    def work(progress):
        progress(0.5, "half")
        started.set()
        assert gate.wait(WAIT)
        return "done"

    job._progress_shown_at = time.monotonic()  # a report was just shown
    job.submit(work)
    assert started.wait(WAIT)
    doc.pump(lambda: rec.progress)
    assert rec.progress == [(0.5, "half")]  # not left pending for ever
    gate.set()
    doc.pump(lambda: rec.results == ["done"])


# --- values shared by every session (Job.submit(key=...)) ------------------------------------


def test_a_keyed_value_computed_once_is_delivered_to_another_session_at_once(pool):
    calls = []

    def work(progress):
        calls.append(1)
        progress(0.5, "half")
        return "value"

    first, doc, rec = make_job(pool, delay_ms=150)
    first.submit(work, key=("test", 1))
    doc.fire_timeouts()
    doc.pump(lambda: rec.results == ["value"])
    other, other_doc, other_rec = make_job(pool, delay_ms=150)
    other.submit(work, key=("test", 1))
    assert other_rec.results == ["value"] and not other.busy  # no rest, no worker
    assert other_doc.timeouts == [] and calls == [1]
    other.submit(work, key=("test", 2))  # another key: computed
    assert other.busy and other_doc.timeout_ms == [150]


def test_queued_requests_for_one_key_compute_it_once(pool):
    gate, started = threading.Event(), threading.Event()
    calls = []

    def slow():
        calls.append(1)
        started.set()
        assert gate.wait(WAIT)
        return 42

    jobs = [make_job(pool) for _ in range(3)]
    for job, _, _ in jobs:
        job.submit(slow, key=("test", "slow"))  # the first runs, the others queue behind it
    assert started.wait(WAIT)
    gate.set()
    for _job, doc, rec in jobs:
        doc.pump(lambda rec=rec: rec.results == [42])
    assert calls == [1]


def test_errors_and_superseded_runs_are_not_shared(pool):
    job, doc, rec = make_job(pool)
    job.submit(lambda: 1 / 0, key=("test", "bad"))
    doc.pump(lambda: rec.errors)
    assert workers.shared_value(("test", "bad")) is workers._MISSING
    job.submit(lambda: "fine", key=("test", "bad"))  # asked again: computed again
    doc.pump(lambda: rec.results == ["fine"])
    assert workers.shared_value(("test", "bad")) == "fine"


def test_the_shared_store_keeps_the_latest_used_values_only(pool, monkeypatch):
    monkeypatch.setattr(workers, "SHARED_KEPT", 2)
    job, doc, rec = make_job(pool)
    for k in range(3):
        job.submit(lambda k=k: k, key=("test", k))
        doc.pump(lambda k=k: rec.results[-1:] == [k])
    assert workers.shared_value(("test", 0)) is workers._MISSING
    assert workers.shared_value(("test", 1)) == 1 and workers.shared_value(("test", 2)) == 2


def test_without_a_server_a_keyed_job_runs_in_line_and_is_shared():
    rec = Recorder()
    job = Job(rec.result)
    job.submit(lambda: "inline", key=("test", "inline"))
    assert rec.results == ["inline"]
    assert workers.shared_value(("test", "inline")) == "inline"
