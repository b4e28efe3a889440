"""Every page on a phone (390 x 844, touch, mobile) and a tablet (820 x 1180, touch).

- no sideways scrolling (the document is no wider than the screen);
- the text a student reads (paragraphs and list items) is at least 16 px;
- a finger dragging each draggable figure changes the server's state (the server writes its
  state into the page's URL: a changed query is the server's answer, not the browser's);
- a vertical swipe outside the figures scrolls the page.

Touches are real touch events (Chrome DevTools ``Input.dispatchTouchEvent``), so the browser
decides as on a phone whether a gesture scrolls the page or reaches the figure.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from pages import registry

pytestmark = pytest.mark.browser

DEVICES = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "has_touch": True,
        "is_mobile": True,
        "device_scale_factor": 2,
    },
    "tablet": {"viewport": {"width": 820, "height": 1180}, "has_touch": True},
}
PATHS = ["/", *(f"/{info.slug}" for info in registry.PAGES)]

#: JS: paragraphs and list items with text of their own in a font under 16 px (in every
#: shadow root).
SMALL_TEXT = """() => {
  const roots = [document], small = [];
  for (let k = 0; k < roots.length; k++) {
    for (const el of roots[k].querySelectorAll("*")) {
      if (el.shadowRoot) roots.push(el.shadowRoot);
      if (el.tagName !== "P" && el.tagName !== "LI") continue;
      const own = [...el.childNodes].some(
        (n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
      if (!own || el.getClientRects().length === 0) continue;
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (size < 16) small.push(`${size}px: ${el.textContent.trim().slice(0, 60)}`);
    }
  }
  return small;
}"""


@pytest.fixture(params=list(DEVICES))
def touch_page(request, open_watched_page):
    """A page on a touch device; fails the test on outside requests and console errors."""
    with open_watched_page(**DEVICES[request.param]) as pg:
        pg.device = request.param
        pg.cdp = pg.context.new_cdp_session(pg)
        yield pg


def _open(page, path: str) -> None:
    page.goto(page.base + path)
    page.wait_for_function(
        "() => window.Bokeh && Bokeh.index && Object.keys(Bokeh.index).length > 0",
        timeout=30_000,
    )
    page.wait_for_math()


def _touch(page, kind: str, x: float | None = None, y: float | None = None) -> None:
    points = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1}]
    page.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})


def _swipe(page, start: tuple[float, float], end: tuple[float, float], steps: int = 12) -> None:
    """One finger from ``start`` to ``end`` (page pixels), in ``steps`` moves, then lifted."""
    (x0, y0), (x1, y1) = start, end
    _touch(page, "touchStart", x0, y0)
    for k in range(1, steps + 1):
        _touch(page, "touchMove", x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps)
    _touch(page, "touchEnd")


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _wait_query_changes(page, key: str, before: list[str] | None) -> list[str]:
    """Wait until the server writes a new value of ``key`` into the URL; return it."""
    page.wait_for_function(
        """([key, before]) => {
             const now = new URL(window.location.href).searchParams.get(key);
             return now !== null && now !== before;
           }""",
        arg=[key, None if before is None else before[0]],
        timeout=15_000,
    )
    return _query(page)[key]


@pytest.mark.parametrize("path", PATHS)
def test_no_sideways_scrolling_and_readable_text(touch_page, path):
    page = touch_page
    _open(page, path)
    width = page.viewport_size["width"]
    try:  # the figures may still be laying out
        page.wait_for_function(
            f"() => document.documentElement.scrollWidth <= {width}", timeout=10_000
        )
    except Exception:
        pass
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    try:  # text styled by a stylesheet still loading on a busy machine has the default size
        page.wait_for_function(f"() => ({SMALL_TEXT})().length === 0", timeout=10_000)
    except Exception:
        pass
    assert page.evaluate(SMALL_TEXT) == []


def _scrolled(page) -> float:
    return page.evaluate("() => window.scrollY")


@pytest.mark.parametrize("path", PATHS)
def test_a_vertical_swipe_outside_the_figures_scrolls_the_page(touch_page, path):
    page = touch_page
    _open(page, path)
    box = page.locator(".ot-title h1").first.bounding_box()
    x, y = box["x"] + 20, box["y"] + box["height"] / 2
    assert _scrolled(page) == 0
    _swipe(page, (x, y), (x, y - 100 if y > 110 else 10))
    page.wait_for_function("() => window.scrollY > 20", timeout=10_000)


def _drag_bar(page, figure: str, key: str) -> None:
    before = _query(page).get(key)
    start = page.pixel(figure, 0.5, 0.05)
    end = page.pixel(figure, 0.5, 0.95)
    _swipe(page, tuple(start), tuple(end))
    _wait_query_changes(page, key, before)
    # the server's bars end where the finger was lifted (its first answers may be mid-drag)
    page.wait_for_function(
        """(key) => {
             const v = new URL(location.href).searchParams.get(key);
             return v !== null && Math.max(...v.split(",").map(Number)) > 0.92;
           }""",
        arg=key,
        timeout=15_000,
    )
    heights = [float(v) for v in _query(page)[key][0].split(",")]
    assert max(heights) == pytest.approx(0.95, abs=0.03)


def test_touch_drags_the_bars_of_both_histograms(touch_page):
    page = touch_page
    _open(page, "/transport_plan")
    page.locator(".bk-Figure").first.scroll_into_view_if_needed()
    _drag_bar(page, "tp_p_fig", "p")
    page.evaluate(
        "() => { for (const v of Bokeh.index.all_views()) if (v.model.name === 'tp_q_fig') "
        "v.el.scrollIntoView({block: 'center'}); }"
    )
    _drag_bar(page, "tp_q_fig", "q")


def test_touch_drags_the_bump(touch_page):
    page = touch_page
    _open(page, "/kl_vs_wasserstein?shift=0")
    start = page.pixel("kvw_top", 0.0, 0.2)
    end = page.pixel("kvw_top", 3.0, 0.2)
    _swipe(page, tuple(start), tuple(end), steps=20)
    # The URL follows the drag (and may show a shift on the way): wait for where the finger
    # stopped. A jump (the old bug: to -6, where the bump stayed) never gets there.
    page.wait_for_function(
        "() => Math.abs(Number(new URL(location.href).searchParams.get('shift')) - 3) <= 0.3",
        timeout=15_000,
    )
    shift = float(_query(page)["shift"][0])
    assert shift == pytest.approx(3.0, abs=0.3)  # followed the finger all the way, no jump


def test_touch_rotates_the_surface_and_drags_the_target(touch_page):
    page = touch_page
    _open(page, "/brenier")
    canvas = page.locator("canvas.brenier-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    # rotate: a horizontal drag away from the handle (the left quarter of the canvas)
    y = box["y"] + box["height"] * 0.8
    az = _query(page).get("az")
    _swipe(page, (box["x"] + 30, y), (box["x"] + 130, y))
    _wait_query_changes(page, "az", az)
    # the target's handle
    hx, hy = (float(v) for v in canvas.get_attribute("data-handle").split(","))
    dx = _query(page).get("dx")
    _swipe(page, (box["x"] + hx, box["y"] + hy), (box["x"] + hx + 40, box["y"] + hy + 30))
    _wait_query_changes(page, "dx", dx)
