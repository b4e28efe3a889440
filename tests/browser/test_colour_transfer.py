"""/colour_transfer in headless Chromium: the before/after split dragged with the mouse and
moved with the keys, a method picked with the keyboard, a deep link, a hostile link, and
uploads (a picture, and a file that is not one).

The ``page`` fixture fails any test that logs a console error or asks a host other than the
local server for anything. Every check waits for its condition (the solves run on the
server's worker thread, on a loaded machine).
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from pages import colour_transfer as ct

pytestmark = pytest.mark.browser

NUMBER = re.compile(r"^\d+\.\d{5}$")


def cell(page, key: str, method: str):
    return page.locator(f"table.ct-readouts tr[data-key='{key}'] .ct-{method}")


def open_page(page, query: str = ""):
    page.goto(page.base + "/colour_transfer" + query)
    page.wait_for_bokeh()
    expect(cell(page, "cost", "entropic")).to_have_text(NUMBER, timeout=60_000)


def expected_costs(**values) -> list[str]:
    view = ct.ColourTransferPage(ct.ColourModel(**values), embed=False)
    return next(row[3:7] for row in view.readouts.rows if row[0] == "cost")


def clip(page) -> str:
    return page.locator(".ct-after").evaluate("el => el.style.clipPath")


def test_mouse_drag_moves_the_split_and_the_costs_are_the_models(page):
    open_page(page)
    for method, value in zip(ct.METHODS, expected_costs(), strict=True):
        expect(cell(page, "cost", method)).to_have_text(value)
    expect(page.locator(".ct-after")).to_have_attribute("src", re.compile("^data:image/png"))
    assert clip(page) == "inset(0px 0px 0px 50%)"
    box = page.locator(".ct-range").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.2, y, steps=6)
    page.mouse.up()
    expect(page.locator(".ct-after")).to_have_css(
        "clip-path", re.compile(r"inset\(0px 0px 0px [12]\d%\)")
    )


def test_keyboard_moves_the_split_and_picks_a_method(page):
    open_page(page)
    page.locator(".ct-range").focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    expect(page.locator(".ct-after")).to_have_css("clip-path", "inset(0px 0px 0px 55%)")
    button = page.get_by_role("button", name="per channel")
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => new URL(location.href).searchParams.get('method') === 'histogram'",
        timeout=20_000,
    )
    expect(cell(page, "pic", "histogram")).to_have_text(re.compile(r"^\d\.\d{3}, "))


def test_deep_link_and_hostile_link(page):
    open_page(page, "?src=ocean&tgt=blobs&method=linear&n=250&seed=3")
    for method, value in zip(
        ct.METHODS,
        expected_costs(source="ocean", target="blobs", method="linear", n=250, seed=3),
        strict=True,
    ):
        expect(cell(page, "cost", method)).to_have_text(value)
    expect(cell(page, "pic", "linear")).to_have_text(re.compile(r"^\d\.\d{3}, "))
    open_page(page, "?eps=nan&n=99999999999&src=%3Cscript%3E")
    notice = page.locator(".ot-notice")
    expect(notice).to_contain_text("'eps'")
    expect(notice).to_contain_text("'n'")
    expect(notice).to_contain_text("'src'")
    expect(cell(page, "cost", "exact")).to_have_text(expected_costs()[0])


def _png_bytes() -> bytes:
    rng = np.random.default_rng(1)
    out = io.BytesIO()
    Image.fromarray((rng.random((30, 45, 3)) * 255).astype(np.uint8)).save(out, format="PNG")
    return out.getvalue()


def test_uploads_a_picture_and_refuses_a_text_file(page):
    open_page(page, "?n=250")
    inputs = page.locator(".ct-upload input[type=file]")
    inputs.nth(1).set_input_files(
        {"name": "notes.png", "mimeType": "image/png", "buffer": b"this is not a picture"}
    )
    expect(page.get_by_text("Upload refused: not a PNG or JPEG picture")).to_be_visible(
        timeout=20_000
    )
    inputs.nth(0).set_input_files(
        {"name": "noise.png", "mimeType": "image/png", "buffer": _png_bytes()}
    )
    expect(page.get_by_text("Uploaded noise.png (45 x 30) as the source.")).to_be_visible(
        timeout=20_000
    )
    expect(cell(page, "px", "exact")).to_contain_text("1,350 in", timeout=60_000)
