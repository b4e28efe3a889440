"""The flow-matching page in headless Chromium: the fits arrive from the background, a mouse
drag and the keyboard move k (a lookup: numbers change at once), deep links, a hostile link.

The ``page`` fixture fails any test that logs a console error or asks a host other than the
local server for anything. Every check waits for its condition (the fits run on the server's
worker thread, on a loaded machine).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pages import flow_matching as fm

pytestmark = pytest.mark.browser

K_HANDLE = 2  # the sliders, in order: samples, blur, k
NUMBER = re.compile(r"^\d+\.\d{4}$")


def cell(page, key: str, column: str = "fm-ot"):
    return page.locator(f"table.fm-readouts tr[data-key='{key}'] .{column}")


def open_page(page, query: str = ""):
    page.goto(page.base + "/flow_matching" + query)
    page.wait_for_bokeh()
    # the fits have arrived once the best W2 is shown
    expect(cell(page, "best")).to_have_text(NUMBER, timeout=90_000)


def url_param(page, key: str) -> str | None:
    return page.evaluate(f"() => new URL(location.href).searchParams.get('{key}')")


def expected(**values) -> dict[str, tuple[str, str]]:
    """The readouts as the page model computes them without a server."""
    view = fm.FlowMatchingPage(fm.FlowModel(**values), embed=False)
    return {row[0]: (row[3], row[4]) for row in view.readouts.rows}


def check_w2(page, **values):
    shown = expected(**values)
    for column, i in (("fm-ind", 0), ("fm-ot", 1)):
        expect(cell(page, "w2", column)).to_have_text(shown["w2"][i], timeout=20_000)
        expect(cell(page, "cross", column)).to_have_text(shown["cross"][i])


def test_default_view_fits_in_the_background_and_shows_its_numbers(page):
    open_page(page)
    check_w2(page)
    expect(cell(page, "steps")).to_have_text(expected()["steps"][1])


def test_mouse_drag_on_the_k_slider_changes_the_samples(page):
    open_page(page)
    handle = page.locator(".noUi-handle").nth(K_HANDLE)
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 80, y, steps=8)
    page.mouse.up()
    # the URL follows the drag: wait until the shown W2 is the one of the k in the URL
    # (and k moved), whatever k the drag settled on
    view = fm.FlowMatchingPage(fm.FlowModel(), embed=False)
    by_k = {k: fm.fmt_w2(view.fits.runs["ot"].w2[k - 1]) for k in range(1, fm.K_MAX + 1)}
    for _ in range(100):  # up to ~20 s; the table lives in a shadow root: poll from here
        k = int(url_param(page, "k") or 0)
        if k > 2 and cell(page, "w2").inner_text().strip() == by_k.get(k):
            break
        page.wait_for_timeout(200)
    else:
        raise AssertionError(
            f"k = {url_param(page, 'k')}, W2 shown {cell(page, 'w2').inner_text()}"
        )
    check_w2(page, k=int(url_param(page, "k")))


def test_keyboard_moves_k(page):
    open_page(page)
    handle = page.locator(".noUi-handle").nth(K_HANDLE)
    handle.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "() => new URL(location.href).searchParams.get('k') === '1'", timeout=20_000
    )
    check_w2(page, k=1)


def test_deep_link_restores_a_view_and_hostile_values_are_ignored(page):
    open_page(page, "?preset=letter&n=64&batch=8&k=1&seed=3&noise=%3Cb%3Ex%3C%2Fb%3E")
    page.get_by_text("Ignored the link's 'noise'").wait_for()
    assert page.locator("b", has_text="x").count() == 0  # never rendered as HTML
    check_w2(page, preset="letter", n=64, batch=8, k=1, seed=3)
    assert url_param(page, "batch") == "8"


def test_keyboard_k_is_answered_in_the_browser_with_the_servers_numbers(page):
    """With the browser's messages to the server held back, the arrow keys still change the
    samples, the W2 readout and its label to the engine's values; let through again, the
    server learns k and the link follows."""
    held = {"on": False}

    def relay(ws):
        server = ws.connect_to_server()
        ws.on_message(lambda message: None if held["on"] else server.send(message))

    page.route_web_socket(re.compile(r".*/flow_matching/ws.*"), relay)
    open_page(page)
    view = fm.FlowMatchingPage(fm.FlowModel(), embed=False)
    runs = view.fits.runs
    # the data the browser holds: every k's W2 as the server prints it
    lines = page.evaluate(
        "() => { const d = Bokeh.documents[0].get_model_by_name('fm_w2_lines').data;"
        " return [Array.from(d.independent_text), Array.from(d.ot_text)]; }"
    )
    assert lines == [[fm.fmt_w2(v) for v in runs[name].w2] for name in fm.PAIRINGS]
    held["on"] = True
    handle = page.locator(".noUi-handle").nth(K_HANDLE)
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    shown = expected(k=4)
    for column, i in (("fm-ind", 0), ("fm-ot", 1)):
        expect(cell(page, "w2", column)).to_have_text(shown["w2"][i], timeout=20_000)
    expect(page.get_by_text("W2 to the target, k = 4")).to_have_count(1)
    # the samples drawn are the engine's for k = 4 (float32, as sent)
    for name, fig in (("independent", "fm_samples_ind_src"), ("ot", "fm_samples_ot_src")):
        xs = page.evaluate(
            f"() => Array.from(Bokeh.documents[0].get_model_by_name('{fig}').data.x)"
        )
        assert xs == [float(v) for v in runs[name].samples[3][:, 0].astype("float32")]
    assert url_param(page, "k") in (None, "2")  # the server has heard nothing
    held["on"] = False
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => new URL(location.href).searchParams.get('k') === '5'", timeout=20_000
    )
    check_w2(page, k=5)


def test_a_late_echo_of_the_server_does_not_bring_back_a_k_already_left(page):
    """The server hears k = 3 while the browser is already at 5: its reply (samples, marker,
    readouts of k = 3) is put right by the browser, which keeps showing k = 5."""
    queue, held = [], {"on": False}

    def relay(ws):
        server = ws.connect_to_server()
        ws.on_message(lambda m: queue.append(m) if held["on"] else server.send(m))
        relay.server = server

    page.route_web_socket(re.compile(r".*/flow_matching/ws.*"), relay)
    open_page(page)
    held["on"] = True
    handle = page.locator(".noUi-handle").nth(K_HANDLE)
    handle.focus()
    page.keyboard.press("ArrowRight")  # k = 3
    page.wait_for_timeout(50)
    first = len(queue)  # the frames of the k = 3 message
    for _ in range(2):
        page.keyboard.press("ArrowRight")  # k = 5
    shown = expected(k=5)
    expect(cell(page, "w2")).to_have_text(shown["w2"][1], timeout=20_000)
    page.evaluate(
        "() => { window.__fm_echo = 0; Bokeh.documents[0].get_model_by_name("
        "'fm_samples_ot_src').change.connect(() => { window.__fm_echo += 1; }); }"
    )
    for message in queue[:first]:
        relay.server.send(message)
    page.wait_for_function(
        "() => new URL(location.href).searchParams.get('k') === '3'", timeout=20_000
    )
    # the server's samples of k = 3 have landed (the last of its reply), and were put right
    page.wait_for_function("() => window.__fm_echo >= 1", timeout=20_000)
    expect(cell(page, "w2")).to_have_text(shown["w2"][1])
    expect(page.get_by_text("W2 to the target, k = 5")).to_have_count(1)
    held["on"] = False
    for message in queue[first:]:
        relay.server.send(message)
    page.wait_for_function(
        "() => new URL(location.href).searchParams.get('k') === '5'", timeout=20_000
    )
    check_w2(page, k=5)
