"""The Gromov-Wasserstein page in headless Chromium: turning the shape (mouse and keyboard)
keeps the value, deep links, a hostile link, the entropic solve in the background.

The ``page`` fixture fails any test that logs a console error or asks a host other than the
local server for anything. Every check waits for its condition (the solves run on the
server's worker thread, on a loaded machine).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pages import gromov_wasserstein as gw

pytestmark = pytest.mark.browser

YAW_HANDLE = 2  # the sliders, in order: points, noise, yaw, pitch


def cell(page, key: str):
    return page.locator(f"table.gw-readouts tr[data-key='{key}'] .gw-value")


def open_page(page, query: str = ""):
    page.goto(page.base + "/gromov_wasserstein" + query)
    page.wait_for_bokeh()
    # the solve has finished once the first start's value is shown
    expect(cell(page, "start0")).to_have_text(NUMBER, timeout=60_000)


NUMBER = re.compile(r"^(\d+\.\d{5}|\d\.\d\de[-+]\d\d)")


def url_param(page, key: str) -> str | None:
    return page.evaluate(f"() => new URL(location.href).searchParams.get('{key}')")


def expected_values(**values) -> list[str]:
    """Every start's value as the page formats it, from the page model without a server."""
    view = gw.GromovPage(gw.GromovModel(**values), embed=False)
    return [gw.fmt_value(r.value) for r in view.result.results]


def test_default_view_shows_every_start(page):
    open_page(page)
    expected = expected_values()
    for k, value in enumerate(expected):
        expect(cell(page, f"start{k}")).to_contain_text(value)
    expect(cell(page, "gw")).to_have_text(min(expected, key=float))
    expect(cell(page, "solver")).to_have_text("exact")


def test_mouse_drag_on_the_yaw_slider_turns_y_and_keeps_the_value(page):
    open_page(page)
    value, took = cell(page, "gw").inner_text(), cell(page, "time").inner_text()
    handle = page.locator(".noUi-handle").nth(YAW_HANDLE)
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "() => Number(new URL(location.href).searchParams.get('yaw')) > 40", timeout=20_000
    )
    # the distances moved by rounding only: same value, and no new solve (same solver time)
    expect(cell(page, "gw")).to_have_text(value)
    expect(cell(page, "time")).to_have_text(took)


def test_keyboard_turns_the_shape(page):
    open_page(page)
    value = cell(page, "gw").inner_text()
    handle = page.locator(".noUi-handle").nth(YAW_HANDLE)
    handle.focus()
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "() => Number(new URL(location.href).searchParams.get('yaw')) < 30", timeout=20_000
    )
    expect(cell(page, "gw")).to_have_text(value)


def test_deep_link_restores_the_mirror_copy_at_zero(page):
    open_page(page, "?preset=mirror&noise=0&yaw=-120&pitch=60&seed=5")
    expect(cell(page, "match")).to_have_text("0.000")
    expected = expected_values(preset="mirror", noise=0.0, yaw=-120.0, pitch=60.0, seed=5)
    expect(cell(page, "gw")).to_have_text(min(expected, key=float))
    assert float(cell(page, "gw").inner_text()) < 1e-10
    assert url_param(page, "preset") == "mirror"
    assert page.get_by_text("Ignored the link").count() == 0


def test_hostile_link_values_are_ignored_with_a_notice(page):
    open_page(page, "?n=%3Cb%3Ex%3C%2Fb%3E&eps=0.3&yaw=nan&preset=ring_knot")
    page.get_by_text("Ignored the link's 'n'").wait_for()
    assert page.locator("b", has_text="x").count() == 0  # never rendered as HTML
    # the address bar drops the ignored values once the page has loaded
    page.wait_for_function(
        "() => new URL(location.href).searchParams.get('n') === '60'", timeout=20_000
    )
    expected = expected_values(preset="ring_knot")
    expect(cell(page, "gw")).to_have_text(min(expected, key=float))


def test_entropy_runs_in_the_background_and_reports(page):
    open_page(page, "?n=30")
    page.get_by_label("Entropy").select_option(label="ε = 0.02")
    expect(cell(page, "solver")).to_have_text("entropic, ε = 0.02", timeout=60_000)
    expected = expected_values(n=30, eps=0.02)
    expect(cell(page, "gw")).to_have_text(min(expected, key=float), timeout=60_000)
    assert url_param(page, "eps") == "0.02"


def test_embed_shows_figure_and_controls_and_links_the_full_page(page):
    page.goto(page.base + "/gromov_wasserstein?embed=1&preset=ring_knot")
    page.wait_for_bokeh()
    assert page.get_by_text("When the two shapes live in different spaces").count() == 0
    expect(page.get_by_text("Turn Y about z")).to_have_count(1)
    # the table is left to the full page, linked with the view's keys, in a new tab
    expect(page.locator("table.gw-readouts")).to_have_count(0)
    link = page.get_by_role("link", name="open the full page")
    expect(link).to_have_attribute(
        "href", re.compile(r"^\./gromov_wasserstein\?.*preset=ring_knot")
    )
    expect(link).to_have_attribute("target", "_blank")


@pytest.mark.parametrize("kind", ["PNG", "SVG"])
def test_save_the_figure_downloads_the_four_plots_and_the_readouts(page, kind):
    open_page(page)
    name = "Save the figure (PNG)" if kind == "PNG" else "SVG"
    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name=name).click()
    download = info.value
    assert download.suggested_filename.endswith("." + kind.lower())
    data = open(download.path(), "rb").read()
    assert len(data) > 20_000
    if kind == "SVG":
        text = data.decode("utf-8")
        assert "GW value of the coupling shown" in text
