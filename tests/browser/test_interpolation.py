"""/interpolation in headless Chromium: a bar drag, play, keyboard, a point drag, a deep link.

The server's numbers are checked against POT for the bars and time the browser holds; the
points the browser moves are checked against the segments the server sent. Every check waits
for its condition (no timing assertions, no console errors, nothing from outside).
"""

from __future__ import annotations

import time

import numpy as np
import ot
import pytest

from pages.histogram_pair import round_heights

pytestmark = pytest.mark.browser

READY = (
    "() => window.Bokeh && Bokeh.documents.length > 0 && "
    "Bokeh.documents[0].get_model_by_name('interp_answer') != null && "
    "[...Bokeh.index.all_views()].some(v => v.model.name === 'interp_clouds')"
)
SLIDER = "() => Bokeh.documents[0].get_model_by_name('interp_t_slider').value"
ANSWERS = "() => Bokeh.documents[0].get_model_by_name('interp_answer').data.seq[0]"


def _open(page, query: str = "") -> None:
    page.goto(page.base + "/interpolation" + query)
    page.wait_for_function(READY, timeout=30_000)
    page.wait_for_selector("table.interp-readouts tbody tr[data-key='h_0t']")


def _row(page, key: str) -> list[str]:
    cells = page.locator(f"table.interp-readouts tbody tr[data-key='{key}'] td")
    return [c.strip() for c in cells.all_inner_texts()]


def _wait_until(check, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while True:
        try:
            check()
            return
        except AssertionError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)


def _w2(xs, u, ys, v) -> float:
    M = ot.dist(np.reshape(xs, (len(xs), -1)), np.reshape(ys, (len(ys), -1)))
    return float(np.sqrt(max(ot.emd2(u / u.sum(), v / v.sum(), M), 0.0)))


def _line_numbers_match_pot(page) -> None:
    """The shown W2(mu_0, mu_t) of the mixture and t W2(mu_0, mu_1), for the browser's bars
    and slider, recomputed with POT."""
    p = round_heights(page.source("interp_p")["top"])
    q = round_heights(page.source("interp_q")["top"])
    t = round(page.evaluate(SLIDER), 3)
    x = (np.arange(p.size) + 0.5) / p.size
    a, b = p / p.sum(), q / q.sum()
    w = _w2(x, a, x, b)
    mix = (1 - t) * a + t * b
    assert _row(page, "h_w01")[-2:] == [f"{w:.4f}"] * 2
    assert _row(page, "h_t_w")[-1] == f"{t * w:.4f}"
    assert _row(page, "h_0t")[-2:] == [f"{t * w:.4f}", f"{_w2(x, a, x, mix):.4f}"]


def _moving_points_are_on_their_segments(page) -> None:
    t = page.evaluate(SLIDER)
    paths, moving = page.source("interp_paths"), page.source("interp_moving")
    x0, x1 = np.array(paths["x0"]), np.array(paths["x1"])
    np.testing.assert_allclose(moving["x"], (1 - t) * x0 + t * x1, atol=1e-9)


def test_bar_drag_recomputes_and_the_server_agrees_with_pot(page):
    _open(page, "?n=32&t=0.4")
    seq = page.evaluate(ANSWERS)
    x0, y0 = page.pixel("interp_p_fig", 0.86, 0.05)
    x1, y1 = page.pixel("interp_p_fig", 0.95, 0.7)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10)
    page.mouse.up()
    page.wait_for_function(f"() => ({ANSWERS})() > {seq}", timeout=10_000)
    page.wait_for_function(f"() => ({page.source_js})('interp_p').top[30] > 0.5", timeout=10_000)
    _wait_until(lambda: _line_numbers_match_pot(page))
    assert _row(page, "h_geo")[-2:] == ["yes", "no"]


def test_play_runs_time_to_one_and_the_numbers_follow(page):
    _open(page, "?t=0.5")
    page.get_by_role("button", name="▶ Play").click()
    page.wait_for_function(f"() => ({SLIDER})() >= 1", timeout=30_000)
    page.get_by_role("button", name="▶ Play").wait_for(timeout=10_000)  # back to play
    _moving_points_are_on_their_segments(page)
    _wait_until(lambda: _line_numbers_match_pot(page))
    assert _row(page, "h_0t")[-2] == _row(page, "h_w01")[-2]  # at t = 1, mu_t = mu_1
    page.wait_for_function("() => window.location.search.includes('t=1')", timeout=10_000)


def test_keyboard_moves_time(page):
    _open(page, "?t=0.2&cloud=split")
    page.evaluate(
        """() => { for (const v of Bokeh.index.all_views())
             if (v.model.name === 'interp_t_slider')
               v.el.shadowRoot.querySelector('.noUi-handle').focus(); }"""
    )
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => Math.abs(({SLIDER})() - 0.25) < 1e-9", timeout=10_000)
    _wait_until(lambda: _line_numbers_match_pot(page))
    _moving_points_are_on_their_segments(page)


def test_point_drag_rematches_and_the_points_stay_on_their_segments(page):
    _open(page, "?t=0.5&cloud=shift")
    before = page.source("interp_paths")
    page.evaluate(
        """() => { for (const v of Bokeh.index.all_views())
             if (v.model.name === 'interp_clouds') v.el.scrollIntoView({block: 'center'}); }"""
    )
    src = page.source("interp_clouds_points")
    x, y = src["x"][0], src["y"][0]
    ax, ay = page.pixel("interp_clouds", x, y)
    bx, by = page.pixel("interp_clouds", 1.6, -1.6)
    page.mouse.move(ax, ay)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(ax + (bx - ax) * k / 10, ay + (by - ay) * k / 10)
        page.wait_for_timeout(30)  # one move a frame
    page.mouse.up()
    # the server's new segments start where the point was dropped
    page.wait_for_function(
        f"() => Math.abs(({page.source_js})('interp_paths').x0[0] - {x}) > 0.5", timeout=15_000
    )
    assert page.source("interp_paths")["x0"] != before["x0"]
    _moving_points_are_on_their_segments(page)
    page.wait_for_function("() => window.location.search.includes('pts=')", timeout=10_000)
    assert _row(page, "c_geo")[-2:] == ["yes", "no"]


def test_deep_link_sets_time_clouds_and_bins(page):
    _open(page, "?n=40&t=0.25&cloud=turn")
    assert page.evaluate(SLIDER) == 0.25
    assert len(page.source("interp_p")["top"]) == 40
    _line_numbers_match_pot(page)
    _moving_points_are_on_their_segments(page)
    assert _row(page, "c_geo")[-2:] == ["yes", "no"]
