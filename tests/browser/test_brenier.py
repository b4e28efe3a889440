"""The Brenier page in headless Chromium: rotation, sliders, the handle, deep links, offline.

The ``page`` fixture fails any test that logs a console error or asks a host other than the
local server for anything.
"""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.browser

CANVAS = "canvas.brenier-canvas"


def open_page(page, query: str = ""):
    page.goto(page.base + "/brenier" + query)
    page.wait_for_bokeh()
    canvas = page.locator(CANVAS)
    page.wait_for_function("() => window.brenierFrameTimes && window.brenierFrameTimes.length > 0")
    return canvas


def pixels(canvas) -> str:
    return canvas.evaluate("c => c.toDataURL()")


def wait_until(condition, timeout: float = 10.0) -> None:
    """Poll ``condition`` (a canvas inside nested shadow roots is awkward to reach from JS)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.02)


def test_drag_rotates_the_view_and_the_angles_reach_the_server(page):
    canvas = open_page(page)
    before = pixels(canvas)
    box = canvas.bounding_box()
    x, y = box["x"] + 0.15 * box["width"], box["y"] + 0.15 * box["height"]
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 80, y + 30, steps=10)  # every step is drawn in the browser
    page.mouse.up()
    assert pixels(canvas) != before
    az, el = canvas.get_attribute("data-az"), canvas.get_attribute("data-el")
    assert (az, el) != ("-30.0", "30.0")
    # On release the browser reports the angles; the server writes them into the URL.
    page.wait_for_function(
        "([az, el]) => location.search.includes('az=' + az + '&')"
        " && location.search.includes('el=' + el + '&')",
        arg=[str(float(az)).removesuffix(".0"), str(float(el)).removesuffix(".0")],
    )


def test_slider_change_repaints_the_surface(page):
    canvas = open_page(page, "?layers=surface")  # only the surface is drawn: it must change
    before = pixels(canvas)
    # Move the sigma_q slider as the browser would (its Bokeh model), then wait for the
    # server's new heights to be drawn.
    page.evaluate(
        """() => {
          const doc = Bokeh.documents[0];
          const slider = [...doc.all_models].find(
            m => typeof m.title === 'string' && m.title.startsWith('Target spread σ_q'));
          slider.value = 0.4;
        }"""
    )
    page.wait_for_function("() => location.search.includes('sigma_q=0.4')")
    wait_until(lambda: pixels(canvas) != before)
    # The sampled estimate follows once the controls rest, with the solver's verdict.
    page.get_by_text("solver converged").wait_for()


def test_dragging_the_target_handle_moves_the_separation(page):
    canvas = open_page(page)
    box = canvas.bounding_box()
    hx, hy = map(float, canvas.get_attribute("data-handle").split(","))
    page.mouse.move(box["x"] + hx, box["y"] + hy)
    page.mouse.down()
    page.mouse.move(box["x"] + hx + 60, box["y"] + hy + 25, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "() => location.search.includes('dx=') && !location.search.includes('dx=1.5&')"
    )
    # The view did not rotate: the drag started on the handle.
    assert canvas.get_attribute("data-az") == "-30.0"


def test_deep_link_restores_view_and_shape(page):
    canvas = open_page(page, "?az=120&el=70&sigma_p=1.5&layers=surface,levels&t=0.25")
    assert canvas.get_attribute("data-az") == "120.0"
    assert canvas.get_attribute("data-el") == "70.0"
    value = page.evaluate(
        """() => [...Bokeh.documents[0].all_models].find(
             m => typeof m.title === 'string' && m.title.startsWith('Source spread')).value"""
    )
    assert value == 1.5
    assert "Ignored" not in page.content()


def test_bad_link_values_fall_back_with_a_notice(page):
    canvas = open_page(page, "?sigma_p=0&sigma_q=nan&el=-5")
    assert page.get_by_text("Ignored the link's 'sigma_p'").count() == 1
    assert canvas.get_attribute("data-el") == "30.0"  # the default view


def test_embed_shows_the_figure_only(page):
    canvas = open_page(page, "?embed=1")
    assert canvas.count() == 1
    assert page.get_by_text("What the surface is").count() == 0
