"""Take it home, /persistence_diagrams: the notebook runs and prints the page's numbers.

Built for the default view and two other deep links, executed with nbclient on a local
ipykernel (matplotlib's Agg backend); its printed numbers are compared with the readouts.
"""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

import pages.persistence_diagrams as pd
from pages import query, takehome


def _run(page) -> str:
    text = takehome.notebook_text(page.takehome(), page.slug, page.view_link())
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    os.environ["MPLBACKEND"] = "Agg"
    NotebookClient(nb, timeout=90, kernel_name="python3").execute()
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            assert output.output_type != "error", output
            if output.output_type == "stream" and output.name == "stdout":
                out.append(output.text)
    return "".join(out)


def _num(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found, (pattern, text)
    return found.group(1)


VIEWS = [
    {},
    {"preset": "ripples", "delta": "0.08", "seed": "5", "order": "inf"},
    {"d1": "0.1:0.6,0.3:0.5,0.5:0.9", "d2": "0.15:0.7,0.6:0.85", "order": "1"},
]


@pytest.mark.parametrize("view", VIEWS, ids=["default", "ripples-bottleneck", "custom-w1"])
def test_persistence_notebook_prints_the_page_numbers(view):
    model = pd.DiagramsModel()
    values, notices = query.parse_query(view, pd.QUERY_KEYS)
    assert not notices
    query.apply_values(model, values)
    pd.PersistencePage.link_notices(model, view)
    page = pd.PersistencePage(model, embed=False)
    printed = _run(page)
    shown = {row[0]: row[3] for row in page.readouts.rows}
    assert _num(r"bottleneck d_B = (\S+)", printed) == shown["bottleneck"]
    if model.order == float("inf"):
        assert _num(r"W_inf = bottleneck = (\S+)", printed) == shown["wp"]
    else:
        assert _num(rf"W_{model.order} = (\S+)", printed) == shown["wp"]
        assert _num(r"longest segment of the W_\d+ matching = (\S+)", printed) == shown["longest"]
    if model.preset != "custom":
        assert _num(r"sup norm \|f - g\| = (\S+)", printed) == shown["sup"]
        assert "stability d_B <= |f - g|_inf: True" in printed
