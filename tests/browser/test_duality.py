"""/duality in headless Chromium: drag p and the sketch f with the mouse, keyboard on f, a
button, deep links (offline, no console errors: the watched page fixture).

The server's state is read from the address bar (the page writes its model there) and every
readout checked is recomputed here with POT and numpy, never with ot_engine.
"""

from __future__ import annotations

import math
import re
import time
import urllib.parse

import numpy as np
import ot
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

READY = (
    "() => window.Bokeh && Bokeh.documents.length > 0 && "
    "Bokeh.documents[0].get_model_by_name('du_answer') != null && "
    "[...Bokeh.index.all_views()].some(v => v.model.name === 'du_f_fig')"
)
ANSWERS = "() => Bokeh.documents[0].get_model_by_name('du_answer').data.seq[0]"
HEIGHTS = "(name) => Array.from(Bokeh.documents[0].get_model_by_name(name).data.top)"


def _open(page, query: str = "") -> None:
    page.goto(page.base + "/duality" + query)
    page.wait_for_function(READY, timeout=30_000)
    page.wait_for_selector("table.du-readouts tr[data-key='primal']")
    page.wait_for_selector("table.du-sketch-readouts tr[data-key='bound']")


def _query(page) -> dict[str, str]:
    return {k: v[0] for k, v in urllib.parse.parse_qs(page.url.split("?", 1)[-1]).items()}


def _wait_url(page, key: str, before: str | None) -> str:
    page.wait_for_function(
        """([key, before]) => {
             const now = new URL(location.href).searchParams.get(key);
             return now !== null && now !== before; }""",
        arg=[key, before],
        timeout=15_000,
    )
    return _query(page)[key]


def _wait_url_bars(page, key: str, start: int, stop: int, above: float) -> None:
    """Wait until the URL's bars ``start:stop`` of ``key`` are all above ``above``."""
    page.wait_for_function(
        """([key, start, stop, above]) => {
             const v = new URL(location.href).searchParams.get(key);
             if (v === null) return false;
             return v.split(",").slice(start, stop).every((h) => Number(h) > above); }""",
        arg=[key, start, stop, above],
        timeout=15_000,
    )


def _vec(text: str) -> np.ndarray:
    return np.array([float(v) for v in text.split(",")])


def _cell(page, table: str, key: str) -> str:
    return page.locator(f"table.{table} tr[data-key='{key}'] td.ot-readout-num").inner_text()


def _state(page):
    q = _query(page)
    n, power = int(q["n"]), int(q["cost"])
    p, qq, f = _vec(q["p"]), _vec(q["q"]), _vec(q["f"])
    x = (np.arange(n) + 0.5) / n
    C = np.abs(x[:, None] - x[None, :]) ** power
    return p / p.sum(), qq / qq.sum(), f, C


def _six(value: float) -> str:
    return f"{value:.6g}"


def _expected(page) -> dict[tuple[str, str], str]:
    """POT's and numpy's numbers for the state in the URL, as the tables print them."""
    a, b, f, C = _state(page)
    primal = ot.emd2(a, b, C)
    keep = a > 0
    fc = np.min(C[keep] - f[keep, None], axis=0)
    return {
        ("du-readouts", "primal"): _six(primal),
        ("du-readouts", "dual"): _six(primal),  # strong duality: the dual value is the same
        ("du-sketch-readouts", "bound"): _six(f @ a + fc @ b),
    }


def _expect_readouts_match_pot(page, timeout: float = 20.0) -> None:
    """Wait until the tables show the numbers of the state in the URL (the URL and the
    tables are written by the same server update, but reach the test one after the other)."""
    deadline = time.monotonic() + timeout
    while True:
        expected = _expected(page)
        shown = {key: _cell(page, *key) for key in expected}
        if shown == expected:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"readouts {shown} != POT's {expected}")
        page.wait_for_timeout(200)


SCROLL_TO = """(name) => { for (const v of Bokeh.index.all_views())
  if (v.model.name === name) v.el.scrollIntoView({block: 'center'}); }"""
IN_VIEW = """(name) => { for (const v of Bokeh.index.all_views()) if (v.model.name === name) {
  const r = v.el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }
  return false; }"""


def _scroll_to(page, figure: str) -> None:
    """Bring a figure into the viewport (a pointer outside it reaches nothing)."""
    page.evaluate(SCROLL_TO, figure)
    page.wait_for_function(IN_VIEW, arg=figure, timeout=10_000)


def _drag(page, figure: str, x0: float, y0: float, x1: float, y1: float) -> None:
    _scroll_to(page, figure)
    sx, sy = page.pixel(figure, x0, y0)
    ex, ey = page.pixel(figure, x1, y1)
    page.mouse.move(sx, sy)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(sx + (ex - sx) * k / 10, sy + (ey - sy) * k / 10)
    page.mouse.up()


def test_mouse_drag_on_p_recomputes_prices_and_readouts(page):
    _open(page, "?n=24&cost=2")
    before = _query(page).get("p")
    primal_before = _cell(page, "du-readouts", "primal")
    _drag(page, "du_p_fig", 0.8, 0.1, 0.95, 0.8)  # paint bars on the right, empty before
    _wait_url(page, "p", before)
    _wait_url_bars(page, "p", 22, 23, 0.77)  # the last answers land after the release
    after = _vec(_query(page)["p"])
    # one stroke painted a ramp where the default preset has nothing
    assert after[19:23].min() > 0.1 and after[22] == pytest.approx(0.8, abs=0.05)
    expect(
        page.locator("table.du-readouts tr[data-key='primal'] td.ot-readout-num")
    ).not_to_have_text(primal_before)
    _expect_readouts_match_pot(page)
    gap = float(_cell(page, "du-readouts", "gap"))
    assert abs(gap) <= 1e-12 and float(_cell(page, "du-readouts", "min_slack")) >= -1e-12


def test_mouse_drag_on_the_sketch_changes_its_bound(page):
    _open(page, "?n=24&cost=1")
    before = _query(page).get("f")
    _drag(page, "du_f_fig", 0.15, 0.75, 0.4, 0.9)  # raise f on the left
    _wait_url(page, "f", before)
    _wait_url_bars(page, "f", 4, 9, 0.2)  # heights 0.6 to 0.9 are f = 0.1 to 0.4
    f = _vec(_query(page)["f"])
    assert f[4:9].min() > 0.2
    _expect_readouts_match_pot(page)
    assert page.locator("table.du-sketch-readouts tr[data-key='lip']").count() == 1


def test_keyboard_raises_a_bar_of_the_sketch(page):
    _open(page, "?n=16&cost=2")
    before = _query(page).get("f")
    heights = page.evaluate(HEIGHTS, "du_f")
    page.evaluate(
        """() => { for (const v of Bokeh.index.all_views())
                     if (v.model.name === 'du_f_fig') v.el.focus({focusVisible: true}); }"""
    )
    page.keyboard.press("Home")
    page.keyboard.press("Shift+ArrowUp")
    page.keyboard.press("Shift+ArrowUp")
    assert page.evaluate(HEIGHTS, "du_f")[0] == pytest.approx(heights[0] + 0.2, abs=1e-9)
    _wait_url(page, "f", before)
    page.wait_for_function(
        "() => Math.abs(Number(new URL(location.href).searchParams.get('f').split(',')[0])"
        " - 0.2) < 1e-9",
        timeout=15_000,
    )
    f = _vec(_query(page)["f"])
    assert f[0] == pytest.approx(0.2, abs=1e-9) and not f[1:].any()
    _expect_readouts_match_pot(page)


def test_optimal_button_closes_the_gap(page):
    _open(page, "?n=16&cost=2&eps=0.01")
    page.get_by_role("button", name="f ← the LP's f (optimal)").click()
    page.wait_for_function(
        "() => (new URL(location.href).searchParams.get('f') || '0').split(',')"
        ".some(v => Number(v) != 0)",
        timeout=15_000,
    )
    _expect_readouts_match_pot(page)
    # what the six-decimal bars leave out: at most ~1e-6
    tiny = re.compile(r"^-?[0-9.]+e-(0[6-9]|[1-9][0-9])$|^0$")
    gap = page.locator("table.du-sketch-readouts tr[data-key='gap'] td.ot-readout-num")
    expect(gap).to_have_text(tiny)


def test_deep_link_restores_the_view_and_bad_values_get_a_notice(page):
    f = np.round(np.linspace(-0.3, 0.3, 16), 6)
    _open(page, "?n=16&cost=1&eps=0.2&f=" + ",".join(f"{v:g}" for v in f) + "&q=1,banana")
    assert page.evaluate(HEIGHTS, "du_f") == pytest.approx(list(f + 0.5), abs=1e-9)
    expect(page.get_by_text("Ignored the link's 'q'")).to_be_visible()
    expect(page.locator("table.du-sketch-readouts tr[data-key='eps'] th")).to_contain_text("0.2")
    _expect_readouts_match_pot(page)
    assert math.isclose(float(_query(page)["eps"]), 0.2)


PHONE = {
    "viewport": {"width": 390, "height": 844},
    "has_touch": True,
    "is_mobile": True,
    "device_scale_factor": 2,
}


def test_a_finger_drags_the_sketch_on_a_phone(open_watched_page):
    with open_watched_page(**PHONE) as page:
        cdp = page.context.new_cdp_session(page)
        _open(page, "?n=16&cost=1")
        _scroll_to(page, "du_f_fig")
        x0, y0 = page.pixel("du_f_fig", 0.5, 0.55)
        x1, y1 = page.pixel("du_f_fig", 0.5, 0.95)

        def touch(kind, x=None, y=None):
            points = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1}]
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

        touch("touchStart", x0, y0)
        for k in range(1, 13):
            touch("touchMove", x0 + (x1 - x0) * k / 12, y0 + (y1 - y0) * k / 12)
        touch("touchEnd")
        # bar 7 or 8 (x = 0.5 is their border) ends near height 0.95, that is f = 0.45
        page.wait_for_function(
            """() => { const v = new URL(location.href).searchParams.get('f');
                 return v !== null && Math.max(...v.split(',').map(Number)) > 0.42; }""",
            timeout=15_000,
        )
        _expect_readouts_match_pot(page)
