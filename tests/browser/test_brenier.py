"""The Brenier page in headless Chromium: rotation, sliders, the handle, deep links, math,
hostile links, the sampled estimate, offline.

The ``page`` fixture fails any test that logs a console error or asks a host other than the
local server for anything.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from pages.brenier import LAYERS

pytestmark = pytest.mark.browser

CANVAS = "canvas.brenier-canvas"
DEFAULT_VIEW = ("-30.0", "30.0")
#: JS: the figure's canvas, wherever it sits among Panel's (nested) shadow roots.
FIND_CANVAS_JS = """
  const find = (root) => {
    const hit = root.querySelector("canvas.brenier-canvas");
    if (hit) return hit;
    for (const el of root.querySelectorAll("*")) {
      const inner = el.shadowRoot && find(el.shadowRoot);
      if (inner) return inner;
    }
    return null;
  };
"""


def slider_value(page, title_start: str) -> float:
    return page.evaluate(
        """(start) => [...Bokeh.documents[0].all_models].find(
             m => typeof m.title === 'string' && m.title.startsWith(start)).value""",
        title_start,
    )


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
    before, frames_before = pixels(canvas), int(canvas.get_attribute("data-frames"))
    box = canvas.bounding_box()
    x, y = box["x"] + 0.15 * box["width"], box["y"] + 0.15 * box["height"]
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 80, y + 30, steps=10)  # every step is drawn in the browser
    page.mouse.up()
    # Frames are drawn at animation frames, not inside the mouse events: wait until the
    # canvas has drawn since the drag began and its pixels differ from the starting view.
    page.wait_for_function(
        "([framesBefore, before]) => {"
        + FIND_CANVAS_JS
        + """  const c = find(document);
          return Number(c.dataset.frames) > framesBefore && c.toDataURL() !== before;
        }""",
        arg=[frames_before, before],
        timeout=10_000,
    )
    az, el = canvas.get_attribute("data-az"), canvas.get_attribute("data-el")
    assert (az, el) != DEFAULT_VIEW
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


def test_hovering_the_plane_moves_the_monge_ampere_point(page):
    canvas = open_page(page, "?el=90&az=0")  # seen from above: the plane fills the middle
    box = canvas.bounding_box()
    page.get_by_text("Monge–Ampère at x = (1.00, 0.50)").wait_for()
    page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.5 * box["height"], steps=4)
    # The browser sends the hovered point (rounded to 0.05) through the flow control; the
    # server answers with both sides at that point and writes it into the URL.
    page.wait_for_function("() => location.search.includes('mx=')")
    asked = canvas.get_attribute("data-probe")
    mx = float(asked.split(",")[0])
    assert mx < 0  # left of the centre, seen from above
    page.get_by_text(f"Monge–Ampère at x = ({mx:.2f}".replace("-", "−")).or_(
        page.get_by_text(f"Monge–Ampère at x = ({mx:.2f}")
    ).first.wait_for()
    assert canvas.get_attribute("data-az") == "0.0"  # hovering does not rotate


def test_deep_link_restores_view_and_shape(page):
    canvas = open_page(page, "?az=120&el=70&sigma_p=1.5&layers=surface,levels&t=0.25")
    assert canvas.get_attribute("data-az") == "120.0"
    assert canvas.get_attribute("data-el") == "70.0"
    assert slider_value(page, "Source spread") == 1.5
    page.get_by_text("What the surface is").wait_for()  # the page's text is in
    # Panel renders into shadow roots, which page.content() does not see: read the deep text.
    # (The bad-link test below shows that this text does hold the notices.)
    assert "Ignored" not in page.deep_text()


def test_bad_link_values_fall_back_with_a_notice(page):
    canvas = open_page(page, "?sigma_p=0&sigma_q=nan&el=-5")
    text = page.deep_text()
    assert "Ignored the link's 'sigma_p'" in text and "Ignored the link's 'el'" in text
    assert canvas.get_attribute("data-el") == "30.0"  # the default view


def test_hostile_link_leaves_the_page_working_at_defaults(page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    hostile = "%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    canvas = open_page(page, f"?sigma_p=nan&az=1e999&layers={hostile}&t={'9' * 10_000}")
    page.wait_for_load_state("networkidle")
    assert not dialogs
    expect(page.locator("h1")).to_have_count(1)  # rendered, not in embed mode
    text = page.deep_text()
    for key in ("sigma_p", "az", "layers", "t"):
        assert f"Ignored the link's '{key}'" in text
    assert "<script>" not in text and "9" * 100 not in text  # nothing echoed back in full
    # Every hostile value fell back to its default.
    assert (canvas.get_attribute("data-az"), canvas.get_attribute("data-el")) == DEFAULT_VIEW
    assert slider_value(page, "Source spread") == 0.8
    assert slider_value(page, "Time t") == 0.0
    layers_on = page.evaluate(
        """() => [...Bokeh.documents[0].all_models].find(
             m => Array.isArray(m.labels) && m.labels.includes('arrows')).active.length"""
    )
    assert layers_on == len(LAYERS)  # all layers on


def test_math_is_typeset(page):
    open_page(page)
    mathjax = page.locator("mjx-container")
    mathjax.first.wait_for(timeout=15_000)
    page.wait_for_count("mjx-container", 21)  # MathJax typesets progressively
    page.wait_for_count('mjx-container[display="true"]', 5)
    text = page.deep_text()
    assert "Brenier" in text
    assert "$$" not in text and "\\(" not in text and "\\nabla" not in text


def test_estimate_shows_its_spread_and_new_draws_replace_it(page):
    open_page(page)
    page.get_by_text("converged on every draw").wait_for()
    text = page.deep_text()
    assert "8 independent draws of n = 300" in text and "±" in text
    assert "too large" in text
    dots = pixels(page.locator(CANVAS))
    page.get_by_role("button", name="New random draws").click()
    page.wait_for_function("() => location.search.includes('draw=1')")
    page.get_by_text("converged on every draw").wait_for()
    wait_until(lambda: pixels(page.locator(CANVAS)) != dots)  # new dots


def test_embed_shows_the_figure_only(page):
    canvas = open_page(page, "?embed=1&t=0.5")
    assert canvas.count() == 1
    assert page.get_by_text("What the surface is").count() == 0
    # the secondary controls are left to the full page, linked with the view's keys
    link = page.get_by_role("link", name="open the full page")
    expect(link).to_have_attribute("href", re.compile(r"^\./brenier\?.*t=0\.5"))
    expect(link).to_have_attribute("target", "_blank")
    assert page.get_by_text("Layers").count() == 0
