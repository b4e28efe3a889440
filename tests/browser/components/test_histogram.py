"""The draggable histogram component in headless Chromium, on a small stand-in page.

The stand-in (served from a temporary file) shows one :class:`Histogram` whose page callback
takes a little compute time and writes the heights it received into a source the test reads
(``received``), plus a button that sends new heights from the server. Checked: mouse drag,
touch drag, keyboard, the flow control (a burst of moves keeps at most one request in flight
and the final heights arrive; a lost answer is given up after the timeout), server updates,
and, through the ``page`` fixture, no console errors and no outside requests.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

pytestmark = pytest.mark.browser

N = 16
#: The stand-in's flow timeout: long, so that in these tests a resend can only come from a
#: lost answer (the lost-answer test waits it out once), even on a loaded machine where an
#: answer may take over a second.
TIMEOUT_MS = 4000

STAND_IN = textwrap.dedent(
    f"""
    import time

    import numpy as np
    import panel as pn
    from bokeh.models import ColumnDataSource

    from pages.components import flow, js

    # The browser half reads the constant, which flow.py defined on import: redefine it
    # before any figure's code is built.
    flow.TIMEOUT_MS = {TIMEOUT_MS}
    js.define("FLOW_TIMEOUT_MS", {TIMEOUT_MS})
    from pages.components.histogram import Histogram

    pn.extension()
    x = (np.arange({N}) + 0.5) / {N}
    received = ColumnDataSource({{"top": np.full({N}, 0.5)}}, name="received")


    def on_heights(heights):
        time.sleep(0.03)  # slower than the pointer: requests must not pile up
        received.data = {{"top": heights}}


    hist = Histogram(
        x, np.full({N}, 0.5), on_heights=on_heights, title="drag the bars",
        label="stand-in histogram", name="h", width=400, height=250,
    )
    hist.flow.answer_source.name = "answer"
    hist.figure.tags = [received]  # in the document, so the browser sees it
    button = pn.widgets.Button(name="server heights")
    button.on_click(lambda _e: hist.update(np.linspace(0.1, 0.9, {N})))
    pn.Column(pn.pane.Bokeh(hist.figure), button).servable()
    """
)


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory, serving):
    app = tmp_path_factory.mktemp("histogram") / "histogram.py"
    app.write_text(STAND_IN)
    port = serving.free_port()
    env = dict(serving.serve_env(port), PYTHONPATH=str(serving.root))
    command = [sys.executable, "-m", "panel", "serve", str(app), "--port", str(port),
               "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}",
               "--liveness"]  # fmt: skip
    with serving.serve_process(command, port, env=env, log_name="histogram.log") as base:
        yield base + "/histogram"


#: Hooks: every forced sync of the bars (a request) and every answer, in order; requests sent
#: while another was unanswered and younger than the flow's timeout ("early").
HOOKS = """() => {
  const doc = Bokeh.documents[0];
  const source = doc.get_model_by_name("h");
  const answer = doc.get_model_by_name("answer");
  const rec = window.__rec = {sent: 0, answered: 0, early: 0, last_sent: 0, data: source.data};
  const setv = source.setv.bind(source);
  source.setv = (attrs, opts) => {
    if (opts && opts.check_eq === false && opts.sync !== false) {  // not a server patch
      // A second request while one is unanswered is allowed only after the flow's timeout
      // (an answer taken for lost: on a loaded machine answers can take that long). Checked
      // once the current task is over: a request released by an answer is written from the
      // answer's own change handlers, which may run before the hook below counts the answer.
      const now = performance.now(), before = rec.sent, previous = rec.last_sent;
      rec.sent += 1;
      rec.last_sent = now;
      queueMicrotask(() => {
        if (before > rec.answered && now - previous < __TIMEOUT__ - 5) rec.early += 1;
      });
    }
    return setv(attrs, opts);
  };
  answer.connect(answer.properties.data.change, () => { rec.answered += 1; });
  return true;
}""".replace("__TIMEOUT__", str(TIMEOUT_MS))
PIXEL = """([x, y]) => {
  for (const v of Bokeh.index.all_views()) {
    if (v.model.name === "h_fig" && v.frame && v.canvas_view) {
      const r = v.canvas_view.el.getBoundingClientRect();
      return [r.left + v.frame.x_scale.compute(x), r.top + v.frame.y_scale.compute(y)];
    }
  }
  return null;
}"""
SHOWN = "() => Array.from(Bokeh.documents[0].get_model_by_name('h').data.top)"
RECEIVED = "() => Array.from(Bokeh.documents[0].get_model_by_name('received').data.top)"
REC = "() => ({...window.__rec, data: undefined})"
#: True once the server's heights equal the browser's and nothing waits for an answer.
SETTLED = f"""() => {{
  const shown = ({SHOWN})(), got = ({RECEIVED})(), rec = window.__rec;
  return rec.sent === rec.answered && shown.length === got.length
    && shown.every((v, k) => Math.abs(v - got[k]) < 1e-12);
}}"""


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function(f"() => window.Bokeh && ({PIXEL})([0, 0]) !== null", timeout=30_000)
    page.evaluate(HOOKS)


def _pixel(page, x: float, y: float) -> tuple[float, float]:
    return tuple(page.evaluate(PIXEL, [x, y]))


def _bin(k: int) -> float:
    return (k + 0.5) / N


def test_mouse_drag_sets_the_bars_under_the_pointer_and_the_server_gets_them(page, stand_in):
    _open(page, stand_in)
    x0, y0 = _pixel(page, _bin(2), 0.2)
    x1, y1 = _pixel(page, _bin(6), 0.8)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 41):  # small steps: the pan starts at the first one
        page.mouse.move(x0 + (x1 - x0) * i / 40, y0 + (y1 - y0) * i / 40)
    page.mouse.up()
    page.wait_for_function(SETTLED, timeout=15_000)
    shown = page.evaluate(SHOWN)
    # Bars 2..6 follow the pointer up to 0.8 (the pan starts a few pixels after the press, a
    # little above 0.2), rising along its straight line; the others are untouched.
    assert 0.2 <= shown[2] < 0.4 and shown[6] == pytest.approx(0.8, abs=0.03)
    assert shown[2] < shown[3] < shown[4] < shown[5] < shown[6]
    assert shown[:2] == [0.5, 0.5] and shown[7:] == [0.5] * (N - 7)
    assert page.evaluate(RECEIVED) == pytest.approx(shown, abs=1e-12)
    # The server never wrote into the source being dragged (a write replaces its data).
    assert page.evaluate("() => Bokeh.documents[0].get_model_by_name('h').data === __rec.data")


def test_touch_drag_moves_the_bars_like_the_mouse(page, stand_in):
    _open(page, stand_in)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1})
    x0, y0 = _pixel(page, _bin(9), 0.9)
    x1, y1 = _pixel(page, _bin(12), 0.3)

    def touch(kind: str, x: float, y: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", x0, y0)
    for i in range(1, 31):
        touch("touchMove", x0 + (x1 - x0) * i / 30, y0 + (y1 - y0) * i / 30)
    touch("touchEnd", x1, y1)
    page.wait_for_function(SETTLED, timeout=15_000)
    shown = page.evaluate(SHOWN)
    # (The pan starts some pixels after the touch, a little below 0.9.) The page did not scroll
    # the gesture away (pointercancel): it reached bar 12, and no bar outside 9..12 moved.
    assert 0.7 < shown[9] <= 0.9 and shown[12] == pytest.approx(0.3, abs=0.03)
    assert shown[9] > shown[10] > shown[11] > shown[12]
    assert shown[:9] == [0.5] * 9
    assert page.evaluate(RECEIVED) == pytest.approx(shown, abs=1e-12)


def test_a_finger_resting_on_a_bar_before_the_drag_still_drags(page, stand_in):
    # Bokeh would turn a pointer resting for 300 ms into a "press" and ignore its moves.
    _open(page, stand_in)
    page.wait_for_function(  # the figure is set up (keys, touch, no press gesture)
        "() => [...Bokeh.index.all_views()].some("
        "v => v.canvas_view?.ui_event_bus?.ui_gestures?.constructor.press_threshold > 1e9)"
    )
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1})
    x0, y0 = _pixel(page, _bin(4), 0.5)
    x1, y1 = _pixel(page, _bin(4), 0.9)

    def touch(kind: str, x: float, y: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", x0, y0)
    page.wait_for_timeout(600)  # the finger rests on the bar first
    for i in range(1, 21):
        touch("touchMove", x0 + (x1 - x0) * i / 20, y0 + (y1 - y0) * i / 20)
    touch("touchEnd", x1, y1)
    page.wait_for_function(SETTLED, timeout=15_000)
    assert page.evaluate(SHOWN)[4] == pytest.approx(0.9, abs=0.03)


def test_keyboard_picks_a_bar_and_changes_its_height(page, stand_in):
    _open(page, stand_in)
    _focus(page)
    label = page.evaluate(
        """() => { for (const v of Bokeh.index.all_views())
                     if (v.model.name === 'h_fig') return v.el.getAttribute('aria-label'); }"""
    )
    assert label.startswith("stand-in histogram: Left and Right pick a bar")
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Shift+ArrowUp")
    page.keyboard.press("End")
    page.keyboard.press("ArrowDown")
    page.wait_for_function(SETTLED, timeout=15_000)
    shown = page.evaluate(SHOWN)
    assert shown[1] == pytest.approx(0.5 + 0.02 + 0.1)
    assert shown[N - 1] == pytest.approx(0.5 - 0.02)
    assert shown[0] == 0.5 and shown[2 : N - 1] == [0.5] * (N - 3)
    assert page.evaluate(RECEIVED) == pytest.approx(shown, abs=1e-12)
    selected = "() => Bokeh.documents[0].get_model_by_name('h').selected.indices"
    assert page.evaluate(selected) == [N - 1]


def test_a_burst_keeps_one_request_in_flight_and_the_last_heights_arrive(page, stand_in):
    _open(page, stand_in)
    x0, y0 = _pixel(page, _bin(0), 0.1)
    x1, _ = _pixel(page, _bin(N - 1), 0.1)
    _, y_top = _pixel(page, 0, 0.9)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 61):  # 60 moves dispatched as fast as the browser takes them
        page.mouse.move(x0 + (x1 - x0) * (i % 30) / 30, y0 + (y_top - y0) * i / 60)
    page.mouse.up()
    page.wait_for_function(SETTLED, timeout=15_000)
    rec = page.evaluate(REC)
    assert rec["early"] == 0  # one request in flight, but for answers taken for lost
    # Coalesced: far fewer requests than moves, and every one answered.
    assert 1 <= rec["sent"] < 60 and rec["answered"] == rec["sent"]
    assert page.evaluate(RECEIVED) == pytest.approx(page.evaluate(SHOWN), abs=1e-12)


FLOW = (
    "() => { const st = Bokeh.documents[0].get_model_by_name('h').__ot_flow; "
    "return {inflight: st.inflight, pending: st.pending != null}; }"
)


def _focus(page) -> None:
    page.evaluate(
        """() => { for (const v of Bokeh.index.all_views())
                     if (v.model.name === 'h_fig') v.el.focus({focusVisible: true}); }"""
    )


def test_a_value_the_server_has_is_not_sent(page, stand_in):
    _open(page, stand_in)
    _focus(page)
    page.keyboard.press("Home")
    for _ in range(6):
        page.keyboard.press("Shift+ArrowUp")  # 0.5 + 0.6, held at the top: 1
    page.wait_for_function(SETTLED, timeout=15_000)
    sent = page.evaluate("() => __rec.sent")
    assert page.evaluate(RECEIVED)[0] == 1.0
    page.keyboard.press("ArrowUp")  # still 1: the server has it, and would not answer
    assert page.evaluate("() => __rec.sent") == sent
    assert page.evaluate(FLOW) == {"inflight": False, "pending": False}


def test_a_lost_answer_is_given_up_after_the_timeout(page, stand_in):
    _open(page, stand_in)
    # Answers no longer reach the flow (its registry of requests is a dead end): "lost".
    page.evaluate(
        """() => { Bokeh.documents[0].get_model_by_name('answer').__ot_flows =
                     {add() {}, * [Symbol.iterator]() {}}; }"""
    )
    x, y = _pixel(page, _bin(4), 0.7)
    page.mouse.click(x, y)
    page.wait_for_function(f"() => Math.abs(({RECEIVED})()[4] - ({SHOWN})()[4]) < 1e-12")
    assert page.evaluate("() => __rec.sent") == 1
    _focus(page)  # a key press changes the bars synchronously (a tap comes a little later)
    page.keyboard.press("End")
    page.keyboard.press("Shift+ArrowDown")
    # Held: the first request still counts as in flight ...
    assert page.evaluate("() => __rec.sent") == 1
    assert page.evaluate(FLOW) == {"inflight": True, "pending": True}
    # ... until the timeout gives its answer up and the newest heights go out.
    page.wait_for_function(SETTLED, timeout=10 * TIMEOUT_MS)
    assert page.evaluate("() => __rec.sent") == 2
    assert page.evaluate(RECEIVED)[N - 1] == pytest.approx(0.4)


def test_server_heights_are_drawn_and_a_drag_starts_from_them(page, stand_in):
    _open(page, stand_in)
    page.get_by_role("button", name="server heights").click()
    page.wait_for_function(f"() => Math.abs(({SHOWN})()[0] - 0.1) < 1e-9")
    shown = page.evaluate(SHOWN)
    assert shown == pytest.approx([0.1 + 0.8 * k / (N - 1) for k in range(N)])
    assert page.evaluate("() => __rec.sent") == 0  # the server's write is not echoed back
    x, y = _pixel(page, _bin(3), 0.95)
    page.mouse.click(x, y)
    page.wait_for_function(SETTLED, timeout=15_000)
    received = page.evaluate(RECEIVED)
    assert received[3] == pytest.approx(0.95, abs=0.03)
    assert received[0] == pytest.approx(0.1) and received[N - 1] == pytest.approx(0.9)


def test_stand_in_app_file_is_valid_python():
    compile(STAND_IN, "histogram.py", "exec")
