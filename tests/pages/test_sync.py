"""The shared latest-wins queue for browser events."""

from __future__ import annotations

from pages import sync


def test_latest_wins_queue_merges_pending_updates():
    applied = []

    class FakeDoc:
        def __init__(self):
            self.callbacks = []

        def add_next_tick_callback(self, cb):
            self.callbacks.append(cb)

    doc = FakeDoc()
    queue = sync.LatestWins(applied.append)
    for k in range(5):
        queue.submit(doc, p=k)
    queue.submit(doc, q="last")
    assert len(doc.callbacks) == 1  # one run scheduled, whatever arrived
    doc.callbacks.pop()()
    assert applied == [{"p": 4, "q": "last"}]


def test_socket_busy_is_false_outside_a_session():
    class Doc:
        session_context = None

    assert sync.socket_busy(Doc()) is False
