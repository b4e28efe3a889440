"""Every use of a library's private internals, in one place, each one tested.

Panel and Bokeh give no public way to do these few things the notebook needs for speed and
safety. Each hook reaches into internals of the pinned versions (requirements.txt); each has a
test in ``tests/pages/test_compat.py`` that fails if an upgrade removes what it relies on, so
a library upgrade cannot silently lose a latency fix or a safety net. Browser-side hooks are
listed in :data:`JS_HOOKS` and checked in the browser tests (``assets/js/compat.js``).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

import numpy as np
import panel as pn


def _connections(doc) -> tuple:
    """The websocket connections of a served document's session (none outside a server)."""
    session = getattr(getattr(doc, "session_context", None), "_session", None)
    return tuple(getattr(session, "_subscribed_connections", ()))


def set_nodelay(doc) -> int:
    """Turn Nagle's algorithm off on the session's websockets; returns how many were set.

    Bokeh leaves it on: an update written shortly after the server's reply to a browser change
    then waits for the browser's delayed TCP acknowledgement, ~40 ms on every drag step.
    Hook: ``session_context._session._subscribed_connections[*]._socket.set_nodelay``.
    """
    count = 0
    for connection in _connections(doc):
        socket = getattr(connection, "_socket", None)
        if socket is not None and hasattr(socket, "set_nodelay"):
            socket.set_nodelay(True)
            count += 1
    return count


def socket_busy(doc) -> bool:
    """True while one of the session's websockets is in the middle of a write.

    An update made while Bokeh's write lock is held is serialized by Panel and retried ~10 ms
    later; waiting a loop turn for the lock instead sends it at once.
    Hook: ``connection._socket.write_lock._block._value`` (a Tornado semaphore's count).
    """
    for connection in _connections(doc):
        lock = getattr(getattr(connection, "_socket", None), "write_lock", None)
        block = getattr(lock, "_block", None)
        if getattr(block, "_value", 1) == 0:
            return True
    return False


def install_location(doc, make_location) -> bool:
    """Make ``make_location()`` the session's Panel ``Location`` before Panel builds its own.

    Panel parses the query loosely when it builds its location (see :mod:`pages.query`); it
    reuses one it finds in ``pn.state._locations``. Returns False if one is there already.
    """
    locations = pn.state._locations
    if doc in locations:
        return False
    locations[doc] = make_location()
    return True


def set_debounce(widget_class: type, milliseconds: int) -> type:
    """A subclass of a Panel slider whose browser changes reach Python after ``milliseconds``.

    Panel holds slider changes for 50 ms (class attribute ``_debounce``); for a figure that
    recomputes in well under a millisecond a shorter window keeps it in step.
    """
    return type(widget_class.__name__, (widget_class,), {"_debounce": milliseconds})


#: Arrays up to this many bytes travel inside a message's JSON (base64), not as buffers.
INLINE_BYTES = 8192


def inline_small_buffers(limit: int = INLINE_BYTES) -> None:
    """Send small arrays inside the message's JSON text instead of as binary buffers.

    Bokeh sends every array of a server message as two more websocket frames (a header and
    the bytes), and Tornado's write of one frame costs ~70 µs of the event loop here: a drag
    answer of /wgan_critic (fields, clouds and arrows: 15 arrays) took 33 frames and 2-3 ms of
    writes. Inline, an array is gzipped and base64-encoded as in Bokeh's standalone documents
    (~40 µs for 1.6 KB), and BokehJS reads both forms. Hook:
    ``bokeh.core.serialization.Serializer._encode_bytes`` (``_deferred``: a server message,
    whose bytes would become buffers).
    """
    from bokeh.core.serialization import Buffer, BytesRep, Serializer
    from bokeh.util.serialization import make_id

    if getattr(Serializer._encode_bytes, "_ot_inline_limit", None) == limit:
        return
    encode = getattr(Serializer._encode_bytes, "_ot_original", Serializer._encode_bytes)

    def _encode_bytes(self, obj):
        size = obj.nbytes if isinstance(obj, memoryview) else len(obj)
        if self._deferred and size <= limit:
            return BytesRep(type="bytes", data=Buffer(make_id(), obj).to_base64())
        return encode(self, obj)

    _encode_bytes._ot_inline_limit = limit
    _encode_bytes._ot_original = encode
    Serializer._encode_bytes = _encode_bytes


def skip_served_diagnostics() -> None:
    """Turn off two of Bokeh's development checks in a serving process (public settings).

    - Document validation: Bokeh validates every model of a new session's document, 10-64 ms
      of each page load here (/kl_vs_wasserstein the most). The tests validate every page's
      document instead (``tests/pages/test_compat.py``), so a served page has passed it.
    - Error diagnostics: reading a missing attribute of a model builds an error with difflib
      suggestions (Panel reads one, ``rows`` of the readout table, on every readout update:
      ~0.3 ms each), and every ``on_change`` inspects its callback's signature.
    """
    from bokeh.settings import settings

    settings.perform_document_validation.set_value(False)
    settings.perform_error_diagnostics.set_value(False)


def lazy_patch_trace() -> bool:
    """Format Bokeh's trace line of a browser patch only when TRACE logging is on.

    ``HasProps.set_from_json``, run for every property a browser message sets, builds
    ``f"Patching attribute {name!r} of {self!r} with {value!r}"`` before asking whether the
    line will be logged: a numpy repr of a synced histogram or of dragged points, on the event
    path of every drag (timed in ``bench/README_latency.md``). The replacement does the same
    work with the formatting left to the logger. Returns False if already installed.
    """
    from bokeh.core import has_props
    from bokeh.util.logconfig import TRACE

    if getattr(has_props.HasProps.set_from_json, "_ot_lazy", False):
        return False
    log = has_props.log

    def set_from_json(self, name: str, value, *, setter=None) -> None:
        if name in self.properties(_with_props=True):
            if log.isEnabledFor(TRACE):
                log.trace("Patching attribute %r of %r with %r", name, self, value)
            self.lookup(name).set_from_json(self, value, setter=setter)
        else:
            log.warning(
                "JSON had attr %r on obj %r, which is a client-only or invalid attribute that "
                "shouldn't have been sent",
                name,
                self,
            )

    set_from_json._ot_lazy = True
    set_from_json.__doc__ = has_props.HasProps.set_from_json.__doc__
    has_props.HasProps.set_from_json = set_from_json
    return True


#: Seconds a thread may hold Python's interpreter lock while another waits (Python: 0.005).
SWITCH_INTERVAL = 0.001


def switch_threads_often(seconds: float = SWITCH_INTERVAL) -> None:
    """Let a waiting thread take Python's interpreter lock after ``seconds``, not 5 ms.

    A background job (``pages.workers``: Brenier's sampled estimate, a barycenter, a fit) that
    runs Python code between its numpy calls keeps the event loop, which answers every
    session's events, waiting up to the switch interval each time it asks for the lock: a
    class on /brenier, where each change starts an estimate, got its answers about twice as
    fast at 1 ms (``bench/README_class_load.md``). Only a process with two busy threads pays
    the extra switches.
    """
    import sys

    sys.setswitchinterval(seconds)


def serve_fast() -> None:
    """The speed settings of a server process: every notebook server runs them
    (``pages/server_setup.py``) and so does every bench's echo floor (``bench/_browser.py``),
    so a floor never lacks a setting the pages have. Each is described where it is defined."""
    from pages import memory

    answer_choices_at_once()
    answer_sliders_sooner()
    inline_small_buffers()
    skip_served_diagnostics()
    lazy_patch_trace()
    switch_threads_often()
    memory.install()


#: Panel widgets whose browser change is one discrete choice: a click or a pick.
CHOICE_WIDGETS = (
    pn.widgets.Select,
    pn.widgets.RadioButtonGroup,
    pn.widgets.RadioBoxGroup,
    pn.widgets.CheckButtonGroup,
    pn.widgets.CheckBoxGroup,
    pn.widgets.Checkbox,
    pn.widgets.Toggle,
    pn.widgets.Switch,
)


def answer_choices_at_once() -> None:
    """Let every choice widget's browser change reach Python on the next loop turn.

    Panel holds each change for 50 ms (``_debounce``) to merge a burst of them, such as a
    slider drag. A click or a pick is one change, so the hold only delays the answer by 50 ms.
    Changes that arrive in one message are still handled together. This sets a class
    attribute once per process: every session gets the same setting.
    """
    for cls in CHOICE_WIDGETS:
        cls._debounce = 0


#: How long a slider's browser change is held before Python sees it (Panel's default: 50 ms).
SLIDER_HOLD_MS = 15


def answer_sliders_sooner(milliseconds: int = SLIDER_HOLD_MS) -> None:
    """Hold a Panel slider's browser changes ``milliseconds`` instead of Panel's 50 ms.

    The hold merges a burst of changes (a drag's, or a key press's ``value`` and
    ``value_throttled``) into one; it is not restarted by each change, so it is pure delay on
    every answer (a class on /kl_vs_wasserstein or /sliced waited mostly for it:
    ``bench/README_class_load.md``). 15 ms still merges a key press's two messages; a drag
    is answered every 15 ms plus its compute, latest value winning. Sliders that set their own
    hold (``set_debounce``: /flow_matching's k, which the browser answers itself) keep it. A
    class attribute, once per process.
    """
    pn.widgets.slider._SliderBase._debounce = milliseconds


def answer_at_once(widget) -> None:
    """The same for one widget (for a ``DiscreteSlider``, the slider it is built on): for a
    control with a few stops whose work is coalesced anyway (a background job, newest wins)."""
    inner = getattr(widget, "_slider", None)
    (inner if inner is not None else widget)._debounce = 0


class AttributedColumn(pn.Column):
    """A Column whose Bokeh model carries extra HTML attributes (``role``, ``aria-label``).

    Panel has no parameter for a layout's ``html_attributes``; the hook is ``_get_model``.
    """

    def __init__(self, *objects: Any, html_attributes: dict[str, str], **params: Any) -> None:
        self._html_attributes = dict(html_attributes)
        super().__init__(*objects, **params)

    def _get_model(self, doc, root=None, parent=None, comm=None):
        model = super()._get_model(doc, root, parent, comm)
        model.html_attributes = {**model.html_attributes, **self._html_attributes}
        return model


#: Browser-side internals, used from assets/js (name -> what relies on it). Checked by
#: the browser tests (tests/browser/test_frame.py, test_takehome.py) on the pinned BokehJS.
JS_HOOKS = {
    "PlotView._invalidate_layout_if_needed": "kl_vs_wasserstein_drag.js: skip text measures "
    "while the bump is dragged",
    "Document.views_manager": "components/bokeh_compat.js (ot_figure_view, used by the "
    "histograms, points, the KL bump and the plan's keys): find a figure's view",
    "CanvasView.events_el": "components/bokeh_compat.js: the plot's event layer (out of the Tab "
    "order, touch-action)",
    "UIEventBus.ui_gestures.constructor.press_threshold": "components/bokeh_compat.js: no "
    "press gesture, so a drag may start after the pointer rested on a bar or point",
    "ViewManager.query": "components/export.js: every plot view of the page (Save the figure)",
    "PlotView.export": "components/export.js: repaint a plot into a new PNG or SVG layer",
    "CanvasLayer.ctx.get_svg": "components/export.js: the SVG element of an SVG export layer",
    "core/dom InlineStyleSheet._update": "notebook.js: a stylesheet rewritten with the same "
    "text is left alone, so a repaint does not restyle the plot",
    "window.devicePixelRatio (replaceable)": "components/export.js: BokehJS and the Brenier "
    "canvas paint at 2x while the figure is saved",
}


# --- what a browser may change: one guard in front of Bokeh's PATCH-DOC ----------------------

#: Properties of models no page declared (Panel's widgets, Location, layout sizes, ranges):
#: what BokehJS and Panel's browser code write back, small values only. Everything else (a
#: source's data, ``tags``, ``name``, children, callbacks) must be declared by the page with
#: :func:`browser_writable`, or the patch is refused.
GENERIC_WRITABLE = frozenset(
    {
        # widgets
        "value", "value_throttled", "value_input", "active", "clicks", "collapsed",
        # Panel's Location and BrowserInfo
        "href", "hostname", "pathname", "protocol", "port", "search", "hash", "reload",
        "dark_mode", "device_pixel_ratio", "language", "timezone", "timezone_offset", "webgl",
        "webdriver",
        "notifications",
        # sizes BokehJS reports after layout, ranges it computes, a selection (keyboard cursor)
        "inner_width", "inner_height", "outer_width", "outer_height", "width", "height",
        "start", "end", "reset_start", "reset_end", "indices", "line_indices",
        "multiline_indices", "image_indices", "selected_glyphs", "visible",
    }
)  # fmt: skip
#: Per event, at most this many items (list entries, dict entries, string characters / 64) in a
#: generic property's new value; per declared property the page sets its own bound.
GENERIC_MAX_ITEMS = 256
#: Events in one PATCH-DOC (a browser sends one to a few; Panel batches a handful).
MAX_EVENTS = 64
#: Nesting depth of any value (the notebook's deepest is a list of rows: 3).
MAX_DEPTH = 8
#: Characters of a refused patch's reason in the server log (never the sender's values).
LOG_CHARS = 160
#: The one text a refused or failed message is answered with.
REFUSED = "message refused"

log = logging.getLogger("pages.compat")
_EVENT_KINDS = {"ModelChanged", "ColumnDataChanged", "MessageSent"}


class PatchRefused(ValueError):
    """A browser's PATCH-DOC that the guard refuses (the reason is the guard's own text)."""


def browser_writable(model, max_items: int, *attrs: str):
    """Declare that the browser may set ``attrs`` of the Bokeh ``model`` (values of at most
    ``max_items`` items); returns the model. For a ColumnDataSource, ``"data"``.

    Stored on the model itself (``model._ot_writable``), so it goes with the session's models.
    """
    model._ot_writable = (frozenset(attrs), int(max_items))
    return model


def _size(value, budget: int, depth: int = 0) -> int:
    """Items in a decoded JSON value, counting stops past ``budget``; raises past MAX_DEPTH.

    Cheap by construction: it stops as soon as the budget is spent.
    """
    if depth > MAX_DEPTH:
        raise PatchRefused("nested too deeply")
    if isinstance(value, str):
        return 1 + len(value) // 64
    if isinstance(value, dict):
        if value.get("type") in ("ndarray", "bytes") and "shape" in value:
            # a typed array: {"type": "ndarray", "array": {...buffer or base64}, "shape": [n]}
            shape = value.get("shape")
            if not isinstance(shape, list) or len(shape) > 3:
                raise PatchRefused("bad array shape")
            n = 1
            for s in shape:
                if not isinstance(s, int) or s < 0:
                    raise PatchRefused("bad array shape")
                n *= s
            return n
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return 1
    total = 1
    for _key, item in items:
        total += _size(item, budget - total, depth + 1)
        if total > budget:
            return total
    return total


def check_patch(document, content: dict) -> None:
    """Raise :class:`PatchRefused` unless every event of a browser's PATCH-DOC ``content``
    (decoded JSON, before Bokeh deserializes anything) changes a property the page declared
    browser-writable (or a generic one) with a value within its size bound."""
    events = content.get("events") if isinstance(content, dict) else None
    if not isinstance(events, list) or len(events) > MAX_EVENTS:
        raise PatchRefused("not a list of events, or too many")
    for event in events:
        if not isinstance(event, dict) or event.get("kind") not in _EVENT_KINDS:
            raise PatchRefused("event kind not accepted")
        kind = event["kind"]
        if kind == "MessageSent":  # a UI event (button click, plot event): small
            if _size(event.get("msg_data"), GENERIC_MAX_ITEMS) > GENERIC_MAX_ITEMS:
                raise PatchRefused("event too large")
            continue
        ref = event.get("model")
        model_id = ref.get("id") if isinstance(ref, dict) else None
        model = document.models.get_by_id(model_id) if isinstance(model_id, str) else None
        if model is None:
            raise PatchRefused("unknown model")
        if kind == "ColumnDataChanged":
            attr, value = "data", event.get("data")
        else:
            attr, value = event.get("attr"), event.get("new")
        declared = getattr(model, "_ot_writable", None)
        if declared is not None and attr in declared[0]:
            limit = declared[1]
        elif kind == "ModelChanged" and attr in GENERIC_WRITABLE:
            limit = GENERIC_MAX_ITEMS
        else:
            raise PatchRefused(f"{type(model).__name__}.{str(attr)[:40]} is not browser-writable")
        if _size(value, limit) > limit:
            raise PatchRefused(f"{type(model).__name__}.{attr}: value too large")


_refusals = [0]


def _refuse(connection, message, reason: str):
    """The fixed reply; the log gets the first 10 refusals, then one in 100 (with the count)."""
    _refusals[0] += 1
    n = _refusals[0]
    if n <= 10 or n % 100 == 0:
        log.warning("refused a browser message (%d so far): %s", n, reason[:LOG_CHARS])
    return connection.error(message, REFUSED)


def install_patch_guard() -> bool:
    """Put :func:`check_patch` in front of every PATCH-DOC a session applies, refuse PUSH-DOC
    (a browser never replaces the document), and answer failures with :data:`REFUSED` only.

    Bokeh applies a browser's PATCH-DOC in ``ServerSession._handle_patch`` (under the document
    lock, on the event loop) and, when it fails, logs the whole message and sends the exception
    text (the sender's input and model ids) back. The wrapper checks the decoded content first,
    logs a bounded reason and answers with a fixed text. Returns False if already installed.
    Hooks: ``ServerSession._handle_patch`` / ``_handle_push`` (wrapped by
    ``_needs_document_lock``: the wrapper is placed outside it, so a refused patch does not
    even take the lock).
    """
    from bokeh.server.session import ServerSession

    if getattr(ServerSession, "_ot_guarded", False):
        return False
    original = ServerSession.patch.__func__

    def patch(cls, message, connection):
        try:
            check_patch(connection.session.document, message.content)
        except PatchRefused as err:
            return _async(_refuse(connection, message, str(err)))
        return _guarded(original(cls, message, connection), connection, message)

    def push(cls, message, connection):
        return _async(_refuse(connection, message, "PUSH-DOC from a browser"))

    ServerSession.patch = classmethod(patch)
    ServerSession.push = classmethod(push)
    ServerSession._ot_guarded = True
    return True


async def _async(value):
    return value


async def _guarded(work, connection, message):
    """Await Bokeh's own handling; an exception becomes the fixed reply and one bounded log
    line (Bokeh's handler would log the whole message and echo the exception's text)."""
    try:
        return await work
    except Exception as err:  # any failure of a browser's patch
        return _refuse(connection, message, f"{type(err).__name__}: {str(err)[:100]}")


#: Binary buffers one browser message may carry (the notebook sends none or one).
MAX_BUFFERS = 4


def install_buffer_cap(max_buffers: int = MAX_BUFFERS) -> bool:
    """Refuse a message whose header announces more than ``max_buffers`` binary buffers.

    Bokeh collects a message's buffers (each its own websocket frame, each up to the frame
    limit) until the number its header announced has arrived: without a cap one forged header
    makes the server hold any number of frames. A ProtocolError closes that connection.
    Hook: ``bokeh.protocol.message.Message.assemble_buffer``. False if already installed.
    """
    from bokeh.protocol.exceptions import ProtocolError
    from bokeh.protocol.message import Message

    if getattr(Message, "_ot_capped", False):
        return False
    original = Message.assemble_buffer

    def assemble_buffer(self, buf_header, buf_payload):
        if self.header.get("num_buffers", 0) > max_buffers:
            raise ProtocolError("too many buffers")
        return original(self, buf_header, buf_payload)

    Message.assemble_buffer = assemble_buffer
    Message._ot_capped = True
    return True


def hide_server_header() -> bool:
    """No ``Server: TornadoServer/x.y`` on any response (it names the exact version).

    Tornado sets it in ``RequestHandler.clear()`` (run for every request and before an error
    page); the hook removes it right after, for every handler class. False if installed.
    """
    import tornado.web

    handler = tornado.web.RequestHandler
    if getattr(handler, "_ot_no_server", False):
        return False
    original = handler.clear

    def clear(self) -> None:
        original(self)
        self._headers.pop("Server", None)

    handler.clear = clear
    handler._ot_no_server = True
    return True


def install_event_hold() -> bool:
    """Answer each browser event of a Panel component in one message: its effects held.

    Panel applies a widget change (``Reactive._change_event``, after its debounce) and a Bokeh
    UI event such as a button click (``Reactive._process_bokeh_event``) without holding the
    document, so every model the page's watchers change goes out as its own PATCH-DOC (8 per
    Forward step on /sinkhorn, 5-9 per key on /wgan_critic, bench/README_class_load.md). The
    hooks run both inside ``panel.io.document.hold`` (policy ``combine``): one message per
    event, as Panel itself does for its notebook path (``_schedule_change``) and as the flow
    runs already do. A page's own hold inside nests. False if already installed.
    Hooks: ``panel.reactive.Reactive._change_event`` / ``_process_bokeh_event``.
    """
    from panel.io.document import hold
    from panel.reactive import Reactive

    if getattr(Reactive, "_ot_held", False):
        return False
    change_event, bokeh_event = Reactive._change_event, Reactive._process_bokeh_event

    def _change_event(self, doc) -> None:
        with hold(doc):
            change_event(self, doc)

    def _process_bokeh_event(self, doc, event) -> None:
        with hold(doc):
            bokeh_event(self, doc, event)

    Reactive._change_event = _change_event
    Reactive._process_bokeh_event = _process_bokeh_event
    Reactive._ot_held = True
    return True


class PageGate:
    """At most ``limit`` page GETs in progress at once; the others get a quick 503.

    Each page GET builds a whole session (tens to hundreds of ms of CPU on the one event loop,
    and memory until the session expires). Past the limit a request is answered at once with
    503 and ``Retry-After``: a burst costs a few bytes per extra request instead of a session,
    and the sessions already connected keep their answers flowing.
    """

    def __init__(self, limit: int, retry_after: int = 2) -> None:
        self.limit, self.retry_after = int(limit), int(retry_after)
        self.active = 0
        self.refused = 0
        self.queue_pause = 0.01  # s: see gated_get

    def wrap(self, get):
        gate = self

        async def gated_get(handler, *args, **kwargs):
            if gate.active >= gate.limit:
                gate.refused += 1
                handler.set_status(503)
                handler.set_header("Retry-After", str(gate.retry_after))
                # Browsers ignore Retry-After; Refresh (header and meta) reloads the page itself.
                handler.set_header("Refresh", str(gate.retry_after))
                handler.set_header("Content-Type", "text/html; charset=utf-8")
                handler.finish(BUSY_PAGE.format(seconds=gate.retry_after))
                return
            gate.active += 1
            try:
                # Building a session blocks the event loop, so without a pause here requests
                # would only ever run one after another and never be counted together: the
                # pause lets the requests waiting in the socket reach the gate and queue (at
                # most `limit`); the rest are refused at once.
                await asyncio.sleep(gate.queue_pause)
                result = get(handler, *args, **kwargs)  # a coroutine (None after a redirect)
                return (await result) if inspect.isawaitable(result) else result
            finally:
                gate.active -= 1

        gated_get._ot_gate = gate
        return gated_get


#: What a page load past the gate gets: a page that tries again by itself.
BUSY_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<meta http-equiv="refresh" content="{seconds}"><title>One moment</title></head>'
    "<body><p>Many students are opening the notebook right now. This page reloads by itself "
    "in a moment.</p></body></html>"
)


def install_page_gate(limit: int, retry_after: int = 2) -> PageGate | None:
    """Put a :class:`PageGate` in front of Panel's page handlers (``DocHandler.get`` and the
    index's ``RootHandler.get``); returns it, or None if one is installed already."""
    from panel.io import server

    if hasattr(server.DocHandler.get, "_ot_gate"):
        return None
    gate = PageGate(limit, retry_after)
    for handler in (server.DocHandler, server.RootHandler):
        handler.get = gate.wrap(handler.get)
    return gate


def __getattr__(name: str):
    # TwoClassSVC is built on first use: importing scikit-learn takes ~1 s and ~30 MB, which
    # only a process serving /domain_adaptation needs.
    if name == "TwoClassSVC":
        cls = globals()["TwoClassSVC"] = _two_class_svc()
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _two_class_svc() -> type:
    from sklearn.svm import SVC

    class TwoClassSVC(SVC):
        """scikit-learn's ``SVC`` for targets its caller has checked: two classes, no weights.

        ``SVC.fit`` checks its targets generically (``type_of_target``, which asks narwhals
        whether they are a dataframe column): half of a fit of 60 samples here, 0.25 of
        0.5 ms, and /domain_adaptation fits three classifiers per answer and 52 per sweep.
        This class computes what that check returns for two classes of plain labels and
        leaves the rest to scikit-learn; with class weights asked for, or not exactly two
        classes, it is ``SVC``. Hook: ``sklearn.svm.SVC._validate_targets`` (sets
        ``classes_`` and ``class_weight_``, returns the class indices as float64).
        """

        def _validate_targets(self, y):
            y = np.asarray(y)
            if self.class_weight is not None or y.ndim != 1:
                return super()._validate_targets(y)
            classes, index = np.unique(y, return_inverse=True)
            if classes.size != 2:
                return super()._validate_targets(y)
            self.classes_ = classes
            self.class_weight_ = np.ones(2)
            return np.asarray(index, dtype=np.float64, order="C")

    TwoClassSVC.__module__ = __name__
    TwoClassSVC.__qualname__ = "TwoClassSVC"
    return TwoClassSVC
