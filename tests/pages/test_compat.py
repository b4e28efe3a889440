"""Each private library hook in pages/compat.py still finds what it relies on.

These tests pin internals of the versions in requirements.txt: one failing after an upgrade
says which latency fix or safety net the upgrade would silently lose.
"""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import panel as pn
import tornado.locks
from bokeh.document import Document
from bokeh.server.connection import ServerConnection
from bokeh.server.session import ServerSession
from bokeh.server.views.ws import WSHandler

from pages import compat


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


def test_attributed_column_puts_attributes_on_its_model():
    column = compat.AttributedColumn(
        pn.pane.Markdown("x"), html_attributes={"role": "figure", "aria-label": "A figure"}
    )
    model = column.get_root(Document())
    assert model.html_attributes["role"] == "figure"
    assert model.html_attributes["aria-label"] == "A figure"
