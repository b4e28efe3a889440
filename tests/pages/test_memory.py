"""pages/memory.py: short collection pauses (frozen pages), and closed sessions' memory
goes back to the system, debounced."""

from __future__ import annotations

import asyncio
import gc
import time
import weakref

import pytest

from pages import memory


def test_closed_sessions_trim_once_per_interval(run_async):
    trims = []
    hook = memory.MemoryReturn(interval=0.05, trim=lambda: trims.append(1), freeze=False)

    async def scenario():
        for _ in range(5):  # a class leaving at once: one trim
            hook.session_closed(None)
        await asyncio.sleep(0.2)
        hook.session_closed(None)  # later: another
        await asyncio.sleep(0.2)

    run_async(scenario)
    assert trims == [1, 1] and hook.runs == 2 and not hook.pending


def test_a_full_collection_waits_until_no_session_is_open(run_async):
    """While students are on the server the hook never walks every object (a stall of every
    session's loop); once the last session closed it does."""
    hook = memory.MemoryReturn(interval=0.05, trim=lambda: None, freeze=False)

    async def scenario():
        for _ in range(3):
            hook.session_created(None)
        hook.session_closed(None)  # one leaves, two stay
        await asyncio.sleep(0.2)
        assert hook.runs == 1 and hook.full_runs == 0
        hook.session_closed(None)
        hook.session_closed(None)  # the class has left
        await asyncio.sleep(0.2)

    run_async(scenario)
    assert hook.runs == 2 and hook.full_runs == 1 and hook.open == 0


def test_the_trim_of_this_system_runs():
    trim = memory._malloc_trim()
    if trim is not None:  # glibc
        assert trim() in (0, 1)


def test_without_a_trim_nothing_is_scheduled():
    hook = memory.MemoryReturn(trim=None, freeze=False)
    hook.trim = None
    hook.session_closed(None)
    assert not hook.pending


@pytest.fixture
def thawed():
    """The freezing tests freeze this test process's objects: thaw them afterwards."""
    yield
    gc.unfreeze()


class Session:
    """A stand-in for one session's page: objects in reference cycles, as Bokeh's models are."""

    def __init__(self, size: int) -> None:
        self.parts = [[self] for _ in range(size)]


def test_a_built_page_is_frozen_so_full_collections_skip_it(run_async, thawed):
    hook = memory.MemoryReturn(interval=0.05, trim=lambda: None, settle=0.05)
    hook.start()
    pages = []

    async def scenario():
        pages.extend(Session(200_000) for _ in range(2))
        hook.session_created(None)
        hook.session_created(None)  # a burst of loads: one freeze after it
        await asyncio.sleep(0.2)

    run_async(scenario)
    assert hook.freezes == 2 and gc.get_freeze_count() > 400_000
    start = time.perf_counter()
    gc.collect()
    frozen_ms = (time.perf_counter() - start) * 1e3
    gc.unfreeze()
    start = time.perf_counter()
    gc.collect()
    thawed_ms = (time.perf_counter() - start) * 1e3
    assert frozen_ms < thawed_ms / 3, (frozen_ms, thawed_ms)


def test_closed_sessions_garbage_is_thawed_and_collected_when_the_class_leaves(run_async, thawed):
    hook = memory.MemoryReturn(interval=0.05, trim=lambda: None, settle=0.05)
    hook.start()
    left = []

    async def scenario():
        for _ in range(3):
            left.append(Session(1000))
            hook.session_created(None)
        await asyncio.sleep(0.2)  # frozen
        for _ in range(3):
            hook.session_closed(None)
        await asyncio.sleep(0.2)

    probe = Session(10)
    gone = weakref.ref(probe)
    left.append(probe)
    run_async(scenario)
    left.clear()
    del probe
    assert gone() is not None  # frozen cyclic garbage waits for the thaw
    hook.run()  # no session open: thaw, collect, freeze again
    assert gone() is None and hook.full_runs == 2 and hook.closed_since_thaw == 0


def test_while_a_class_stays_the_thaw_waits_for_as_many_closes_as_open_sessions(run_async, thawed):
    hook = memory.MemoryReturn(interval=0.01, trim=lambda: None, settle=0.01, thaw_after=2)

    async def scenario():
        for _ in range(6):
            hook.session_created(None)
        await asyncio.sleep(0.05)
        hook.session_closed(None)  # 5 open, 1 closed: young generations only
        await asyncio.sleep(0.05)
        assert hook.full_runs == 0
        for _ in range(2):
            hook.session_closed(None)  # 3 open, 3 closed since the thaw: thaw
        await asyncio.sleep(0.05)

    run_async(scenario)
    assert hook.full_runs == 1 and hook.open == 3 and hook.closed_since_thaw == 0
