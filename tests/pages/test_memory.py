"""pages/memory.py: closed sessions' memory goes back to the system, debounced."""

from __future__ import annotations

import asyncio

from pages import memory


def test_closed_sessions_trim_once_per_interval(run_async):
    trims = []
    hook = memory.MemoryReturn(interval=0.05, trim=lambda: trims.append(1))

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
    hook = memory.MemoryReturn(interval=0.05, trim=lambda: None)

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
    hook = memory.MemoryReturn(trim=None)
    hook.trim = None
    hook.session_closed(None)
    assert not hook.pending
