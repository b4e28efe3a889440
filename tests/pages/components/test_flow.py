"""The server half of the flow-control protocol (pages/components/flow.py).

What the browser half relies on: requests coalesce latest-wins into one run (never a backlog),
a run waits for the socket's write lock only a bounded number of turns, and every run answers
(a new sequence number on the answer model) even when the request changed nothing, was
invalid, or the page's apply failed.
"""

from __future__ import annotations

import pytest
from bokeh.document import Document
from bokeh.models import ColumnDataSource

from pages.components import flow as flow_module
from pages.components import js
from pages.components.flow import TIMEOUT_MS, Flow


class ServedDoc(Document):
    """A document whose next-tick callbacks wait until the test runs them."""

    def __init__(self):
        super().__init__()
        self.ticks = []

    def add_next_tick_callback(self, cb):
        self.ticks.append(cb)


@pytest.fixture
def served(monkeypatch):
    doc = ServedDoc()
    monkeypatch.setattr(Flow, "document", property(lambda self: doc))
    return doc


def _seq(flow: Flow) -> int:
    return flow.answer_source.data["seq"][0]


def test_requests_coalesce_latest_wins_into_one_run(served):
    applied = []
    flow = Flow(applied.append)
    for k in range(5):
        flow.submit(p=k)
    flow.submit(q="last")
    assert len(served.ticks) == 1  # one run scheduled, whatever arrived
    served.ticks.pop()()
    assert applied == [{"p": 4, "q": "last"}]
    # The next request schedules a new run.
    flow.submit(p=9)
    assert len(served.ticks) == 1
    served.ticks.pop()()
    assert applied[-1] == {"p": 9}


def test_every_run_is_answered_once_even_if_apply_writes_nothing():
    flow = Flow(lambda update: None, name="answer", eps=0.5)
    assert flow.answer_source.data == {"seq": [0], "eps": [0.5]}
    flow.submit(p=1)
    assert flow.answer_source.data == {"seq": [1], "eps": [0.5]}  # last fields kept
    flow.submit()  # an invalid request (parsed to nothing) is answered too
    assert _seq(flow) == 2


def test_a_run_that_answers_itself_is_not_answered_twice():
    flow = Flow(lambda update: flow.answer(eps=update["eps"]), eps=0.0)
    flow.submit(eps=0.25)
    assert flow.answer_source.data == {"seq": [1], "eps": [0.25]}
    assert flow.answers == 1


def test_a_failing_apply_still_answers():
    def boom(update):
        raise RuntimeError("compute failed")

    flow = Flow(boom)
    with pytest.raises(RuntimeError):
        flow.submit(p=1)
    assert _seq(flow) == 1  # the browser is not left waiting for the timeout


def test_listen_parses_browser_writes_and_ignores_the_servers_own():
    applied = []
    flow = Flow(applied.append)
    request = ColumnDataSource({"v": [0.0]})
    own = {"v": [3.0]}

    def parse(data):
        if data is own:
            return None  # the server's own write: not a request, not answered
        value = data["v"][0]
        return {"v": value} if isinstance(value, float) else {}

    flow.listen(request, parse)
    request.trigger("data", request.data, {"v": [1.5]})  # as Bokeh reports a browser write
    assert applied == [{"v": 1.5}] and _seq(flow) == 1
    request.trigger("data", request.data, {"v": ["garbage"]})
    assert applied == [{"v": 1.5}] and _seq(flow) == 2  # not applied, but answered
    request.trigger("data", request.data, own)
    assert _seq(flow) == 2


def test_a_run_waits_for_the_socket_a_bounded_number_of_turns(served, monkeypatch):
    busy = {"value": True}
    monkeypatch.setattr(flow_module, "socket_busy", lambda doc: busy["value"])
    applied = []
    flow = Flow(applied.append)
    flow.submit(p=1)
    served.ticks.pop()()
    assert applied == [] and len(served.ticks) == 1  # deferred one turn
    flow.submit(p=2)  # arrives meanwhile: merged, no second run
    assert len(served.ticks) == 1
    busy["value"] = False
    served.ticks.pop()()
    assert applied == [{"p": 2}] and not served.ticks
    # A lock that never frees does not hold a run forever.
    busy["value"] = True
    flow.submit(p=3)
    for _ in range(Flow.MAX_DEFERRALS + 1):
        served.ticks.pop()()
    assert applied[-1] == {"p": 3} and not served.ticks


def test_document_is_none_outside_a_server():
    flow = Flow(lambda update: None)
    assert flow.document is None
    Document().add_root(flow.answer_source)
    assert flow.document is None  # a document, but no session: not served


def test_the_browser_half_is_one_file_with_the_one_timeout():
    code = js.code("flow_ack(cb_obj);", Flow.JS)
    assert f"const FLOW_TIMEOUT_MS = {TIMEOUT_MS};" in code
    assert "__FLOW_TIMEOUT_MS__" not in code
    for name in ("flow_request", "flow_known", "flow_ack", "flow_send"):
        assert f"function {name}(" in code
    # The answer model's only callback is the ack, with the shared code in front.
    (callback,) = Flow(lambda update: None).answer_source.js_property_callbacks["change:data"]
    assert callback.code.endswith("flow_ack(cb_obj);") and "function flow_send(" in callback.code


def test_one_loader_for_every_asset():
    assert js.path("components/flow.js").is_file()
    assert js.read("components/histogram.js") is js.read("components/histogram.js")
