"""The shared readout table in headless Chromium, on a stand-in page: text updates rewrite
only cells, flagged rows are marked by more than colour, page text is never rendered as HTML.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

APP = """
import panel as pn

from pages.components.readouts import ReadoutTable, readout

pn.extension()
HOSTILE = '<img src="http://example.com/x.png" onerror="alert(1)"><b>bold</b>'
table = ReadoutTable(
    columns=[["val", "value"], ["err", "error"]],
    label_header="quantity",
    caption="Stand-in readouts",
    rows=[readout("cost", "cost", "1.0000", "1e-9"), readout("iters", "iterations", "12", "")],
)


def step(_):
    table.rows = [
        readout("cost", "cost", "2.0000", "1e-9"),
        readout("iters", "iterations", "13", ""),
    ]


def flag(_):
    table.rows = [
        readout("cost", "cost", "2.5000", "0.3", flag="did not converge"),
        readout("iters", "iterations", "10000", ""),
    ]


def hostile(_):
    table.rows = [
        readout("x", HOSTILE, HOSTILE, HOSTILE, colour="red;background:url(http://example.com/y)",
                flag=HOSTILE),
    ]


buttons = [pn.widgets.Button(name=n) for n in ("step", "flag", "hostile")]
for b, f in zip(buttons, (step, flag, hostile)):
    b.on_click(f)
pn.Column(*buttons, table, width=500).servable()
"""

HOSTILE = '<img src="http://example.com/x.png" onerror="alert(1)"><b>bold</b>'


def cell(page, key: str, col: str):
    return page.locator(f"table.ot-readouts tr[data-key='{key}'] td.{col}")


@pytest.fixture
def opened(page, stand_in):
    page.goto(stand_in("readouts_app", APP))
    page.wait_for_bokeh()
    page.locator("table.ot-readouts").wait_for()
    return page


def test_table_is_accessible_and_updates_only_cell_text(opened):
    page = opened
    table = page.locator("table.ot-readouts")
    assert table.locator("caption").inner_text() == "Stand-in readouts"
    assert table.locator("thead th[scope='col']").all_inner_texts() == [
        "quantity",
        "value",
        "error",
    ]
    assert table.locator("tbody th[scope='row']").all_inner_texts() == ["cost", "iterations"]
    assert cell(page, "cost", "val").inner_text() == "1.0000"
    # Mark the cell: a text update must keep the same element (no rebuild, no re-layout).
    cell(page, "cost", "val").evaluate("td => { td.__kept = true; }")
    page.get_by_role("button", name="step").click()
    cell(page, "cost", "val").filter(has_text="2.0000").wait_for()
    assert cell(page, "iters", "val").inner_text() == "13"
    assert cell(page, "cost", "val").evaluate("td => td.__kept === true")


def test_flagged_row_is_marked_in_words_not_only_colour(opened):
    page = opened
    page.get_by_role("button", name="flag").click()
    row = page.locator("table.ot-readouts tr.ot-flagged[data-key='cost']")
    row.wait_for()
    assert row.locator("th").inner_text().startswith("⚠")
    note = page.locator("table.ot-readouts tr.ot-flag-note[data-flag-for='cost']")
    assert note.inner_text() == "did not converge"
    assert page.locator("table.ot-readouts tr.ot-flagged").count() == 1
    assert cell(page, "cost", "val").inner_text() == "2.5000"
    weight = cell(page, "cost", "val").evaluate("td => getComputedStyle(td).fontWeight")
    assert int(weight) >= 700


def test_page_text_is_never_rendered_as_html(opened):
    page = opened
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.get_by_role("button", name="hostile").click()
    page.locator("table.ot-readouts tr[data-key='x']").wait_for()
    assert cell(page, "x", "val").inner_text() == HOSTILE
    assert page.locator("table.ot-readouts tr[data-key='x'] th").inner_text() == "⚠ " + HOSTILE
    assert page.locator("table.ot-readouts img, table.ot-readouts b").count() == 0
    assert not dialogs  # and the page fixture saw no request to example.com
