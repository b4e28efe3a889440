"""The shared readout table: rows, flags, and how light it is."""

from __future__ import annotations

from bokeh.document import Document

from pages.components.readouts import JS, ReadoutTable, readout


def test_readout_builds_a_row_with_an_optional_flag():
    assert readout("w1", "W₁", "0.5000", "1.0000", colour="#123456") == [
        "w1",
        "W₁",
        "#123456",
        "0.5000",
        "1.0000",
        "",
    ]
    assert readout("cost", "cost", "1.0", flag="did not converge")[-1] == "did not converge"


def test_flagged_lists_only_rows_with_a_flag_text():
    table = ReadoutTable(
        columns=[["v", "value"]],
        rows=[
            readout("a", "A", "1"),
            readout("b", "B", "2", flag="did not converge"),
            ["c", "C", "", "3"],  # no flag element at all
        ],
    )
    assert table.flagged() == {"b": "did not converge"}


def test_one_component_adds_few_bokeh_models():
    table = ReadoutTable(rows=[readout("a", "A", "1")])
    root = table.get_root(Document())
    # The component, its data model and style sheets: no Div, no layout of its own.
    assert len(list(root.references())) <= 6


def test_js_writes_text_only_and_marks_tables_accessibly():
    code = JS.read_text(encoding="utf-8")
    assert "innerHTML" not in code and "insertAdjacentHTML" not in code
    assert 'scope = "row"' in code and 'scope = "col"' in code
    assert "createCaption" in code
