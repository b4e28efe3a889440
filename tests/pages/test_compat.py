"""Each private library hook in pages/compat.py still finds what it relies on.

These tests pin internals of the versions in requirements.txt: one failing after an upgrade
says which latency fix or safety net the upgrade would silently lose.
"""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import panel as pn
import pytest
import tornado.locks
from bokeh.document import Document
from bokeh.server.connection import ServerConnection
from bokeh.server.session import ServerSession
from bokeh.server.views.ws import WSHandler

from pages import compat, registry


def _doc_with_socket(socket) -> SimpleNamespace:
    connection = SimpleNamespace(_socket=socket)
    session = SimpleNamespace(_subscribed_connections=[connection])
    return SimpleNamespace(session_context=SimpleNamespace(_session=session))


def test_bokeh_keeps_sessions_connections_and_sockets_where_the_hooks_look():
    assert "self._subscribed_connections = set()" in inspect.getsource(ServerSession.__init__)
    assert "self._socket = socket" in inspect.getsource(ServerConnection.__init__)
    assert "self.write_lock = locks.Lock()" in inspect.getsource(WSHandler)
    assert callable(WSHandler.set_nodelay)


def test_set_nodelay_reaches_every_socket_and_is_harmless_without_a_server():
    calls = []
    socket = SimpleNamespace(set_nodelay=calls.append)
    assert compat.set_nodelay(_doc_with_socket(socket)) == 1
    assert calls == [True]
    assert compat.set_nodelay(SimpleNamespace(session_context=None)) == 0


def test_socket_busy_reads_tornados_lock_count():
    lock = tornado.locks.Lock()
    doc = _doc_with_socket(SimpleNamespace(write_lock=lock))
    assert lock._block._value == 1 and not compat.socket_busy(doc)
    lock._block._value = 0  # what acquire() leaves while a write runs
    assert compat.socket_busy(doc)


def test_panel_keeps_one_location_per_document_and_reuses_it():
    assert "_locations" in vars(type(pn.state)) or hasattr(pn.state, "_locations")
    source = inspect.getsource(type(pn.state).location.fget)
    assert "_locations" in source
    doc = Document()
    made = []
    assert compat.install_location(doc, lambda: made.append(1) or "loc")
    assert not compat.install_location(doc, lambda: made.append(2) or "other")
    assert pn.state._locations[doc] == "loc" and made == [1]
    del pn.state._locations[doc]


def test_slider_debounce_is_the_window_panel_waits_for_browser_changes():
    from panel.reactive import Syncable

    assert pn.widgets.FloatSlider._debounce == 50
    # Panel schedules a browser change's processing after self._debounce milliseconds.
    assert "add_timeout_callback(cb, self._debounce)" in inspect.getsource(Syncable)
    fast = compat.set_debounce(pn.widgets.FloatSlider, 15)
    assert fast._debounce == 15 and issubclass(fast, pn.widgets.FloatSlider)
    assert pn.widgets.FloatSlider._debounce == 50  # the stock slider is untouched


def test_choice_widgets_answer_at_once(monkeypatch):
    from panel.reactive import Syncable

    assert "add_timeout_callback(cb, self._debounce)" in inspect.getsource(Syncable)
    for cls in compat.CHOICE_WIDGETS:  # restored after the test
        monkeypatch.setattr(cls, "_debounce", cls._debounce)
    compat.answer_choices_at_once()
    assert all(cls._debounce == 0 for cls in compat.CHOICE_WIDGETS)
    assert pn.widgets.FloatSlider._debounce == 50  # sliders keep Panel's hold


def test_answer_at_once_reaches_a_discrete_sliders_own_slider():
    slider = pn.widgets.DiscreteSlider(options=[0.1, 0.2, 0.5], value=0.2)
    assert isinstance(slider._slider, pn.widgets.IntSlider)
    compat.answer_at_once(slider)
    assert slider._slider._debounce == 0
    assert pn.widgets.IntSlider._debounce == 50
    select = pn.widgets.Select(options=["a", "b"])
    compat.answer_at_once(select)
    assert select._debounce == 0


def test_small_arrays_travel_inside_the_json(monkeypatch):
    import numpy as np
    from bokeh.core.serialization import Deserializer, Serializer

    source = inspect.getsource(Serializer._encode_bytes)
    assert "self._buffers.append(buffer)" in source and "buffer.to_base64()" in source
    monkeypatch.setattr(Serializer, "_encode_bytes", Serializer._encode_bytes)  # restored
    compat.inline_small_buffers(64)
    compat.inline_small_buffers(64)  # once is enough: not wrapped twice
    small, large = np.arange(8, dtype=np.float64), np.arange(9, dtype=np.float64)
    serializer = Serializer(deferred=True)
    rep = serializer.encode({"small": small, "large": large})
    assert len(serializer.buffers) == 1  # the 72-byte array only
    assert isinstance(rep["entries"][0][1]["array"]["data"], str)
    decoded = Deserializer().decode(rep, serializer.buffers)
    assert np.array_equal(decoded["small"], small) and np.array_equal(decoded["large"], large)


def test_attributed_column_puts_attributes_on_its_model():
    column = compat.AttributedColumn(
        pn.pane.Markdown("x"), html_attributes={"role": "figure", "aria-label": "A figure"}
    )
    model = column.get_root(Document())
    assert model.html_attributes["role"] == "figure"
    assert model.html_attributes["aria-label"] == "A figure"


# --- the PATCH-DOC guard and the server hooks ---------------------------------------------


def _doc_with_source():
    from bokeh.models import ColumnDataSource, Slider

    doc = Document()
    source = compat.browser_writable(ColumnDataSource({"top": [0.0] * 4}), 16, "data")
    slider = Slider(start=0, end=1, value=0.5)
    doc.add_root(source)
    doc.add_root(slider)
    return doc, source, slider


def _change(model, attr, new):
    event = {"kind": "ModelChanged", "model": {"id": model.id}, "attr": attr, "new": new}
    return {"events": [event]}


def test_check_patch_takes_declared_and_generic_small_values_only():
    doc, source, slider = _doc_with_source()
    compat.check_patch(doc, _change(source, "data", {"type": "map", "entries": [["top", [1] * 4]]}))
    compat.check_patch(doc, _change(slider, "value", 0.3))
    refused = [
        _change(source, "data", {"type": "map", "entries": [["top", [1.0] * 1000]]}),  # too big
        _change(slider, "tags", ["x"] * 10),  # not browser-writable
        _change(source, "tags", []),  # declared for data only
        _change(slider, "value", list(range(1000))),  # generic, too big
        _change(slider, "value", [[[[[[[[[[[1]]]]]]]]]]]),  # too deep
        {"events": [{"kind": "ModelChanged", "model": {"id": "nope"}, "attr": "value", "new": 1}]},
        {"events": [{"kind": "RootAdded", "model": {"id": slider.id}}]},
        {"events": [{}] * (compat.MAX_EVENTS + 1)},
        {"events": "x"},
        {"events": [{"kind": "MessageSent", "msg_data": list(range(10_000))}]},
    ]
    for content in refused:
        with pytest.raises(compat.PatchRefused):
            compat.check_patch(doc, content)


def test_check_patch_counts_a_typed_array_by_its_shape_without_decoding_it():
    doc, source, _ = _doc_with_source()
    arr = {"type": "ndarray", "array": {"type": "ref", "id": "1"}, "shape": [10**6], "dtype": "f8"}
    with pytest.raises(compat.PatchRefused):
        compat.check_patch(doc, _change(source, "data", {"type": "map", "entries": [["top", arr]]}))


def test_the_guard_hooks_still_find_what_they_wrap():
    from bokeh.protocol.message import Message

    source = inspect.getsource(ServerSession)
    assert "def patch(cls, message" in source and "def push(cls, message" in source
    assert "message.apply_to_document(self.document, self)" in source
    assert "num_buffers" in inspect.getsource(Message.assemble_buffer)
    import tornado.web

    assert '"Server"' in inspect.getsource(tornado.web.RequestHandler.clear)
    from panel.io import server

    assert inspect.iscoroutinefunction(inspect.unwrap(server.DocHandler.get))
    assert inspect.iscoroutinefunction(inspect.unwrap(server.RootHandler.get))


def test_event_hold_wraps_what_panel_runs_for_a_browser_event(monkeypatch):
    from panel.reactive import Reactive

    # The hook patches Panel's class: undone after this test (servers install it at setup).
    for name in ("_change_event", "_process_bokeh_event"):
        monkeypatch.setattr(Reactive, name, getattr(Reactive, name))
    monkeypatch.setattr(Reactive, "_ot_held", False, raising=False)

    # Panel's server path calls exactly these two for a widget change and a UI event.
    assert "self._change_event(doc)" in inspect.getsource(Reactive._change_coroutine)
    assert "self._process_bokeh_event(doc, event)" in inspect.getsource(Reactive._event_coroutine)
    compat.install_event_hold()
    assert compat.install_event_hold() is False  # once
    held = []
    doc = Document()
    slider = pn.widgets.IntSlider(start=0, end=9)
    slider.param.watch(lambda _e: held.append(doc.callbacks.hold_value), "value")
    slider.get_root(doc)
    slider._events = {"value": 3}
    slider._change_event(doc)
    assert slider.value == 3 and held == ["combine"]  # the watcher ran inside the hold
    assert doc.callbacks.hold_value is None  # released after


def test_page_gate_answers_503_past_its_limit(run_async):
    import asyncio

    gate = compat.PageGate(limit=1, retry_after=3)
    release = asyncio.Event()

    async def slow_get(handler):
        await release.wait()
        return "page"

    class Handler:
        def __init__(self):
            self.status, self.headers, self.body = 200, {}, None

        def set_status(self, status):
            self.status = status

        def set_header(self, name, value):
            self.headers[name] = value

        def finish(self, body):
            self.body = body

    async def run():
        get = gate.wrap(slow_get)
        first = asyncio.ensure_future(get(Handler()))
        await asyncio.sleep(0)
        second = Handler()
        await get(second)
        release.set()
        return await first, second

    result, refused = run_async(run)
    assert result == "page" and gate.active == 0
    assert refused.status == 503 and refused.headers["Retry-After"] == "3"
    # A browser reloads it by itself (it ignores Retry-After).
    assert refused.headers["Refresh"] == "3"
    assert '<meta http-equiv="refresh" content="3">' in refused.body


def test_served_diagnostics_are_switched_off_by_public_settings():
    from bokeh.settings import settings

    try:
        compat.skip_served_diagnostics()
        assert settings.perform_document_validation() is False
        assert settings.perform_error_diagnostics() is False
    finally:  # this test process keeps Bokeh's checks
        settings.perform_document_validation.unset_value()
        settings.perform_error_diagnostics.unset_value()
    assert settings.perform_document_validation() and settings.perform_error_diagnostics()


@pytest.mark.parametrize("embed", [False, True], ids=["full", "embed"])
@pytest.mark.parametrize("slug", [p.slug for p in registry.ALL])
def test_every_page_document_passes_bokehs_validation(slug, embed):
    """What a served session no longer checks at each load (``skip_served_diagnostics``)."""
    from bokeh.core.validation import check_integrity

    doc = Document()
    doc.add_root(registry.page_class(slug)(embed=embed).__panel__().get_root(doc))
    issues = check_integrity(doc.models)
    assert not issues.error, [(e.code, e.name, e.text) for e in issues.error]
    # Fixed-size layouts of fixed-size children are what the pages mean; nothing else.
    assert {w.name for w in issues.warning} <= {"FIXED_SIZING_MODE"}, issues.warning


class _CountingList(list):
    """A list that counts how often it is formatted."""

    reprs = 0

    def __repr__(self) -> str:
        type(self).reprs += 1
        return super().__repr__()


@pytest.fixture
def lazy_trace():
    from bokeh.core import has_props

    original = has_props.HasProps.set_from_json
    yield original
    has_props.HasProps.set_from_json = original  # other tests see Bokeh's own method


def test_a_browser_patch_is_not_formatted_for_a_trace_line_nobody_logs(lazy_trace, caplog):
    import inspect
    import logging

    from bokeh.models import ColumnDataSource
    from bokeh.util.logconfig import TRACE

    # The method replaced: Bokeh's, which formats its trace line before checking the level.
    assert 'log.trace(f"Patching attribute' in inspect.getsource(lazy_trace)
    model = ColumnDataSource()
    _CountingList.reprs = 0
    model.set_from_json("tags", _CountingList([1, 2]))
    assert _CountingList.reprs == 1  # Bokeh's own: formatted, then dropped
    assert compat.lazy_patch_trace() and not compat.lazy_patch_trace()
    _CountingList.reprs = 0
    model.set_from_json("tags", _CountingList([3, 4]))
    assert model.tags == [3, 4] and _CountingList.reprs == 0
    # Same behaviour otherwise: TRACE still logs the line, an unknown attribute still warns.
    with caplog.at_level(TRACE, logger="bokeh.core.has_props"):
        model.set_from_json("tags", _CountingList([5]))
    assert any("Patching attribute 'tags'" in r.getMessage() for r in caplog.records)
    with caplog.at_level(logging.WARNING, logger="bokeh.core.has_props"):
        model.set_from_json("not_a_property", 1)
    assert any("invalid attribute" in r.getMessage() for r in caplog.records)


def test_sliders_are_held_15_ms_and_a_page_own_hold_is_kept():
    base = pn.widgets.slider._SliderBase
    before = base.__dict__["_debounce"] if "_debounce" in base.__dict__ else None
    own = compat.set_debounce(pn.widgets.IntSlider, 100)
    try:
        compat.answer_sliders_sooner()
        for cls in (pn.widgets.FloatSlider, pn.widgets.IntSlider, pn.widgets.DiscreteSlider):
            assert cls._debounce == compat.SLIDER_HOLD_MS == 15
        assert own._debounce == 100
        assert pn.widgets.Select._debounce != 15  # choices are another setting
    finally:  # this test process keeps Panel's default
        if before is None:
            del base._debounce
        else:
            base._debounce = before
    assert pn.widgets.FloatSlider._debounce == 50


def test_threads_switch_every_millisecond_in_a_served_process():
    import sys

    before = sys.getswitchinterval()
    try:
        compat.switch_threads_often()
        assert sys.getswitchinterval() == pytest.approx(compat.SWITCH_INTERVAL) == 0.001
    finally:  # this test process keeps Python's default
        sys.setswitchinterval(before)


@pytest.mark.parametrize("labels", [(0, 1), (3, 7)])
def test_two_class_svc_fits_what_svc_fits(labels):
    import numpy as np
    from sklearn.svm import SVC

    assert callable(getattr(SVC, "_validate_targets", None))  # the hook this class replaces
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 2))
    y = np.where(X[:, 0] + 0.3 * rng.normal(size=60) > 0, *labels[::-1])
    calls = []

    class Spy(compat.TwoClassSVC):
        def _validate_targets(self, y):
            calls.append(len(y))
            return super()._validate_targets(y)

    ours = Spy(kernel="rbf", gamma=2.0, C=10.0).fit(X, y)
    assert calls == [60]  # scikit-learn still goes through the hook
    ref = SVC(kernel="rbf", gamma=2.0, C=10.0).fit(X, y)
    for name in ("classes_", "class_weight_", "support_", "dual_coef_", "intercept_"):
        np.testing.assert_array_equal(getattr(ours, name), getattr(ref, name))
    Z = rng.normal(size=(200, 2))
    np.testing.assert_array_equal(ours.predict(Z), ref.predict(Z))


def test_two_class_svc_leaves_other_targets_to_svc():
    import numpy as np

    X = np.random.default_rng(3).normal(size=(30, 2))
    with pytest.raises(ValueError, match="greater than one"):
        compat.TwoClassSVC().fit(X, np.zeros(30, int))
    three = compat.TwoClassSVC().fit(X, np.arange(30) % 3)
    assert three.classes_.tolist() == [0, 1, 2]
