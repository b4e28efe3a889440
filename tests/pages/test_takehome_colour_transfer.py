"""Take it home, /colour_transfer: the notebook runs top to bottom and prints the page's
numbers (every method's palette cost and the mean colour of the picture shown).

Built for the default view and two other deep links, executed with nbclient on a local
ipykernel (matplotlib's Agg backend). The notebook solves with POT and its own short numpy
Sinkhorn, independently of ot_engine.
"""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

import pages.colour_transfer as ct
from pages import takehome


def _run(page) -> str:
    text = takehome.notebook_text(page.takehome(), page.slug, page.view_link())
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    os.environ["MPLBACKEND"] = "Agg"
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
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
    {"source": "blobs", "target": "sunset", "method": "entropic", "eps": 0.05, "n": 250},
    {"source": "ocean", "target": "forest", "method": "histogram", "n": 300, "seed": 7},
]


@pytest.mark.parametrize("view", VIEWS, ids=["default", "blobs-entropic", "ocean-histogram"])
def test_colour_notebook_prints_the_page_numbers(view):
    page = ct.ColourTransferPage(ct.ColourModel(**view), embed=False)
    rows = {row[0]: row[3:7] for row in page.readouts.rows}
    printed = _run(page)
    for k, method in enumerate(ct.METHODS):
        assert _num(rf"cost {method} \([^)]*\) = (\S+)", printed) == rows["cost"][k], method
    distinct = _num(r"distinct colours: (\d+) in the source palette, (\d+)", printed)
    assert rows["atoms"][0].startswith(distinct + " / ")
    shown = rows["pic"][ct.METHODS.index(page.model.method)]
    assert _num(r"mean RGB of the picture \(\w+\) = (.+)", printed).strip() == shown
