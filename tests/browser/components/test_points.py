"""Draggable points in headless Chromium, on a stand-in page: mouse and touch drags, keyboard,
add and remove, clamping to the bounds, server updates, and hostile syncs from the browser.

The stand-in page shows the server's accepted state as JSON in a <pre>; the tests wait for it
(no sleeps, no timing asserts).
"""

from __future__ import annotations

import json
import time

import pytest

pytestmark = pytest.mark.browser

APP = """
import json

import panel as pn

from pages.components.points import DraggablePoints

pn.extension()
status = pn.pane.Str("")
calls = []


def show():
    status.object = json.dumps({
        "xy": pts.xy.round(4).tolist(), "groups": pts.groups.tolist(), "calls": len(calls),
        "settled": calls[-1] if calls else None, "rejected": pts.rejected,
        "dragging": pts.dragging,
    })


def changed(xy, groups, settled):
    calls.append(settled)
    show()


pts = DraggablePoints(
    [[0, 0], [0.5, 0.5], [-0.5, -0.5]], [0, 1, 1], group_names=("source", "target"),
    can_add=True, can_remove=True, max_points=5, min_points=1, on_change=changed, name="pts",
    label="Stand-in points", height=400, width=400, sizing_mode="fixed",
)
button = pn.widgets.Button(name="server update")


def server_update(_):
    pts.update([[0.9, 0.9], [-0.9, 0.9]], [1, 0])
    show()


button.on_click(server_update)
# A rejected sync writes the server's points back into the source: show the count then too.
pts.source.on_change("data", lambda attr, old, new: show())
show()
pn.Column(button, pts.pane(sizing_mode="fixed"), status).servable()
"""

#: Data coordinates of the named plot -> page pixels (its frame's scales + canvas offset).
TO_PIXELS = """([name, x, y]) => {
  let found = null;
  const walk = (v) => {
    if (!v || found) return;
    if (v.model && v.model.name === name) { found = v; return; }
    for (const c of (v.child_views ?? [])) walk(c);
  };
  for (const v of Object.values(Bokeh.index)) walk(v);
  if (!found) return null;
  const r = found.canvas_view.el.getBoundingClientRect();
  return [r.left + found.frame.x_scale.compute(x), r.top + found.frame.y_scale.compute(y)];
}"""
#: Page pixels -> data coordinates of the named plot, with its layout as it is now.
TO_DATA = TO_PIXELS.replace(
    "return [r.left + found.frame.x_scale.compute(x), r.top + found.frame.y_scale.compute(y)];",
    "return [found.frame.x_scale.invert(x - r.left), found.frame.y_scale.invert(y - r.top)];",
)
assert TO_DATA != TO_PIXELS
#: The points as the browser draws them, and the picked one.
DRAWN = """() => {
  const s = Bokeh.documents[0].get_model_by_name("pts_points");
  return {x: Array.from(s.data.x), y: Array.from(s.data.y), group: Array.from(s.data.group),
          picked: Array.from(s.selected.indices)};
}"""
#: The live text of the plot (inside its shadow root).
LIVE = """() => {
  const find = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.classList.contains("ot-points-live")) return el;
      const inner = el.shadowRoot && find(el.shadowRoot);
      if (inner) return inner;
    }
    return null;
  };
  const live = find(document);
  return live && [live.textContent, live.getAttribute("aria-live")];
}"""
NEXT_FRAME = "() => new Promise((r) => requestAnimationFrame(() => r()))"


def status(page) -> dict | None:
    """The server's state as the page shows it (None while Panel swaps the text)."""
    try:
        return json.loads(page.locator("pre").inner_text())
    except ValueError:
        return None


def wait_status(page, condition=lambda s: True, timeout: float = 15.0) -> dict:
    """Poll the server's state (shown on the page) until ``condition(state)`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        state = status(page)
        if state is not None and condition(state):
            return state
        if time.monotonic() > deadline:
            raise TimeoutError(f"server state never matched: {state}")
        page.wait_for_timeout(30)


def px(page, x: float, y: float) -> tuple[float, float]:
    return page.evaluate(TO_PIXELS, ["pts", x, y])


def close(a, b, tol=1e-6) -> bool:
    return all(abs(u - v) <= tol for u, v in zip(a, b, strict=True))


@pytest.fixture
def opened(page, stand_in):
    page.goto(stand_in("points_app", APP))
    page.wait_for_bokeh()
    page.wait_for_function(f"() => {{ try {{ return ({TO_PIXELS})(['pts', 0, 0]) != null; }}"
                           " catch (e) { return false; } }")  # fmt: skip
    # The keyboard is set up once the plot is laid out.
    page.wait_for_function(f"() => ({LIVE})() != null")
    # Fonts loaded and the plot where it stays: a late font moved it by a few pixels in CI,
    # between the pixels a drag aims at and the drag itself.
    page.evaluate("() => document.fonts.ready.then(() => true)")
    last, still = None, 0
    for _ in range(200):
        page.evaluate(NEXT_FRAME)
        now = px(page, 0, 0)
        still = still + 1 if now == last else 0
        if still >= 3:
            break
        last = now
    return page


def test_mouse_drag_follows_in_the_browser_and_clamps_to_the_bounds(opened):
    page = opened
    x0, y0 = px(page, 0.5, 0.5)
    x1, y1 = px(page, 1.06, 0.2)  # past the right bound (1.0), inside the plot's margin
    # Where the pointer lands is exact to a pixel: allow two, in data units.
    tol = max(0.01, 2 * 0.5 / abs(px(page, 0, 0.5)[1] - px(page, 0, 0)[1]))
    page.mouse.move(x0, y0)
    page.evaluate(NEXT_FRAME)
    page.mouse.down()
    for i in range(1, 13):  # one move a frame, as a real mouse's moves arrive
        page.evaluate(NEXT_FRAME)
        page.mouse.move(x0 + (x1 - x0) * i / 12, y0 + (y1 - y0) * i / 12)
    # Still held: the point follows in the browser, clamped (Chromium may deliver the last
    # pointer moves with the next frame, so wait for the last one rather than read at once:
    # x is clamped to 1.0 a move before the end, so wait for y too).
    # The pointer's last position, in data units as the plot lies now.
    y_end = page.evaluate(TO_DATA, ["pts", x1, y1])[1]
    assert abs(y_end - 0.2) < 0.05  # the plot did not move far under the pointer
    deadline = time.monotonic() + 20
    while True:
        drawn = page.evaluate(DRAWN)
        if drawn["x"][1] == 1.0 and abs(drawn["y"][1] - y_end) < tol:
            break
        assert time.monotonic() < deadline, f"the point did not follow: {drawn} {status(page)}"
        page.wait_for_timeout(50)
    page.mouse.up()
    state = wait_status(
        page,
        lambda s: s["settled"] and s["xy"][1][0] == 1.0 and abs(s["xy"][1][1] - y_end) < tol,
    )
    assert abs(state["xy"][1][1] - y_end) < tol
    assert state["xy"][0] == [0.0, 0.0] and state["xy"][2] == [-0.5, -0.5]
    assert not state["dragging"] and state["rejected"] == 0
    # Syncs were throttled to animation frames: never more than one per pointer move.
    assert state["calls"] <= 13


def test_a_point_held_still_before_the_drag_still_follows(opened):
    # Bokeh would turn a pointer resting for 300 ms into a "press" and ignore its moves.
    page = opened
    x0, y0 = px(page, -0.5, -0.5)
    x1, y1 = px(page, -0.2, 0.4)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.wait_for_timeout(600)  # the student rests on the point first
    for i in range(1, 9):
        page.mouse.move(x0 + (x1 - x0) * i / 8, y0 + (y1 - y0) * i / 8)
    page.mouse.up()
    state = wait_status(page, lambda s: s["settled"] and s["calls"] > 0)
    assert close(state["xy"][2], [-0.2, 0.4], tol=0.01)


def test_touch_drag_moves_a_point(opened):
    page = opened
    x0, y0 = px(page, -0.5, -0.5)
    x1, y1 = px(page, -0.8, 0.3)
    cdp = page.context.new_cdp_session(page)
    start = {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]}
    cdp.send("Input.dispatchTouchEvent", start)
    for i in range(1, 11):
        page.evaluate(NEXT_FRAME)
        point = {"x": x0 + (x1 - x0) * i / 10, "y": y0 + (y1 - y0) * i / 10}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    state = wait_status(page, lambda s: s["settled"] and s["calls"] > 0)
    assert close(state["xy"][2], [-0.8, 0.3], tol=0.01)
    assert state["xy"][:2] == [[0.0, 0.0], [0.5, 0.5]]


def test_keyboard_picks_moves_removes_and_adds(opened):
    page = opened
    page.get_by_role("button", name="server update").focus()
    page.keyboard.press("Tab")  # into the plot: the first point is picked
    page.wait_for_function(f"() => ({LIVE})()[0].startsWith('source 1 of 3')")
    assert page.evaluate(LIVE)[1] == "polite"
    assert page.evaluate(DRAWN)["picked"] == [0]  # drawn with a ring
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    state = wait_status(page, lambda s: s["xy"][0][0] > 0.05)
    assert close(state["xy"][0], [0.06, 0.0])
    assert page.evaluate(LIVE)[0] == "source 1 of 3: x 0.06, y 0.00"
    page.keyboard.press("Tab")  # the next point
    assert page.evaluate(DRAWN)["picked"] == [1]
    page.keyboard.press("Shift+ArrowUp")  # ten steps: 0.5 + 0.2, clamped at 1.0 after three
    page.keyboard.press("Shift+ArrowUp")
    page.keyboard.press("Shift+ArrowUp")
    state = wait_status(page, lambda s: s["xy"][1][1] == 1.0)
    assert page.evaluate(LIVE)[0] == "target 2 of 3: x 0.50, y 1.00"
    page.keyboard.press("Delete")
    state = wait_status(page, lambda s: len(s["xy"]) == 2)
    assert state["xy"] == [[0.06, 0.0], [-0.5, -0.5]]
    assert page.evaluate(LIVE)[0].startswith("removed target 2 of 3")
    page.keyboard.press("Insert")
    state = wait_status(page, lambda s: len(s["xy"]) == 3)
    assert state["xy"][2] == [0.0, 0.0] and state["groups"] == [0, 1, 0]
    # Tab past the last point leaves the plot (no keyboard trap).
    page.keyboard.press("Tab")
    assert page.evaluate(f"() => ({LIVE})()[0]") == ""
    assert page.evaluate(DRAWN)["picked"] == []


def test_tap_adds_up_to_the_most_points_and_double_tap_removes(opened):
    page = opened
    for i, (x, y) in enumerate([(-0.6, 0.6), (0.6, -0.6), (0.2, 0.8)]):
        # BokehJS takes a second tap within 300 ms (event timestamps) as a double tap.
        page.wait_for_timeout(350)
        page.mouse.click(*px(page, x, y))
        n = min(3 + i + 1, 5)
        wait_status(page, lambda s, n=n: len(s["xy"]) == n)
    state = wait_status(page)
    assert len(state["xy"]) == 5  # the third tap found the limit: nothing added
    assert state["xy"][3] == [-0.6, 0.6] and state["groups"][3] == 0
    page.wait_for_timeout(350)  # else its first click pairs with the last tap
    page.mouse.dblclick(*px(page, 0.5, 0.5))
    state = wait_status(page, lambda s: len(s["xy"]) == 4)
    assert [0.5, 0.5] not in state["xy"]


def test_server_update_reaches_the_browser(opened):
    page = opened
    page.get_by_role("button", name="server update").click()
    page.wait_for_function(f"() => ({DRAWN})().x.length === 2")
    drawn = page.evaluate(DRAWN)
    assert drawn["x"] == [0.9, -0.9] and drawn["group"] == ["1", "0"]


HOSTILE_JS = """(payload) => {
  const moves = Bokeh.documents[0].get_model_by_name("pts_moves");
  moves.setv({data: {m: payload === "huge" ? new Float64Array(100000) : payload}},
             {check_eq: false});
}"""


@pytest.mark.parametrize(
    "payload",
    [
        [1, 1, 5.0, 5.0, 0, 0.5, 0.5, 1, -0.5, -0.5, 1],  # out of bounds
        [1, 1, 0, 0, 0, 0.5, 0.5, 1, -0.5, -0.5],  # not whole points
        [1, 1, 0, 0, 9, 0.5, 0.5, 1, -0.5, -0.5, 1],  # no such group
        [1, 1, 0, 0, "0", 0.5, 0.5, 1, -0.5, -0.5, 1],  # not a number
        [1, 1, *([0.1, 0.1, 0] * 9)],  # more points than allowed
        "huge",
    ],
    ids=["bounds", "shape", "group", "text", "count", "huge"],
)
def test_hostile_syncs_are_rejected_without_breaking_the_page(opened, payload):
    page = opened
    # Move a point in the browser only, then send garbage: the server keeps its points and
    # puts the browser back to them.
    page.evaluate("""() => {
      const s = Bokeh.documents[0].get_model_by_name("pts_points");
      s.data.x[0] = 0.3; s.change.emit();
    }""")
    page.evaluate(HOSTILE_JS, payload)
    state = wait_status(page, lambda s: s["rejected"] == 1)
    assert state["xy"] == [[0.0, 0.0], [0.5, 0.5], [-0.5, -0.5]] and state["calls"] == 0
    page.wait_for_function(f"() => ({DRAWN})().x[0] === 0")
    # And the page still works: a drag after the garbage is accepted.
    x0, y0 = px(page, 0.5, 0.5)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(*px(page, 0.4, 0.4))
    page.mouse.move(*px(page, 0.3, 0.3))
    page.mouse.up()
    state = wait_status(page, lambda s: s["settled"] and s["calls"] > 0)
    assert close(state["xy"][1], [0.3, 0.3], tol=0.01)
