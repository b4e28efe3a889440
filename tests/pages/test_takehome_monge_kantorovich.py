"""/monge_kantorovich's notebook runs top to bottom and prints the page's numbers (default view
and two other deep links), executed with nbclient as in tests/pages/test_takehome.py."""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

from pages import monge_kantorovich as mk
from pages import takehome

VIEWS = [
    {},
    {"preset": "split", "p": 1},
    {"preset": "custom", "xs": (0.1, 0.4, 0.9), "ms": (1.0, 0.5, 0.5), "yt": (0.3, 0.7),
     "mt": (0.6, 0.2), "p": 2},
]  # fmt: skip


def _run(page) -> str:
    text = takehome.notebook_text(page.takehome(), page.slug, page.view_link())
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    os.environ["MPLBACKEND"] = "Agg"
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    out = []
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            assert output.output_type != "error", output
            if output.output_type == "stream" and output.name == "stdout":
                out.append(output.text)
    return "".join(out)


@pytest.mark.parametrize("view", VIEWS, ids=["default", "split-W1", "custom-unequal"])
def test_notebook_prints_the_page_numbers(view):
    page = mk.MongeKantorovichPage(mk.AtomsModel(**view), embed=False)
    shown = {row[0]: row[3] for row in page.readouts.rows}
    printed = _run(page)

    def num(label: str) -> str:
        return re.search(rf"^{re.escape(label)} = (\S+)", printed, flags=re.M).group(1)

    assert num("Kantorovich cost") == shown["kantorovich"], printed
    assert num("Monge maps that exist") == shown["maps"], printed
    if shown["maps"] == "0":
        assert num("best Monge map cost") == "inf" and shown["monge"] == "∞ (no map)"
    else:
        assert num("best Monge map cost") == shown["monge"], printed
        assert num("map cost - plan cost") == shown["gap"], printed
    assert float(num("plan's marginal error")) <= 1e-12
