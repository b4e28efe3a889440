"""Take it home, /one_dimension: the notebook runs top to bottom and prints the page's numbers.

Built for the default view and two other deep links, executed with nbclient on a local
ipykernel (matplotlib's Agg backend); its printed numbers are compared with the page's
readouts as the page shows them.
"""

from __future__ import annotations

import math
import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

from pages import one_dimension as od
from pages import takehome

VIEWS = [
    {},
    {"preset": "split atom", "order": math.inf, "n": 32, "s": 0.2},
    {"preset": "uniform to spike", "order": 1, "n": 48},
]


def _run(page) -> str:
    """Build the page's notebook, execute it, and return everything it printed."""
    text = takehome.notebook_text(page.takehome(), page.slug, page.view_link())
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    os.environ["MPLBACKEND"] = "Agg"  # the kernel inherits it: no window, no display needed
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            assert output.output_type != "error", output
            if output.output_type == "stream" and output.name == "stdout":
                out.append(output.text)
    return "".join(out)


def _sig_close(printed: float, shown: str) -> bool:
    """``printed`` (6 significant digits) and the page's text are one unit apart at most."""
    value = float(shown)
    if value == 0:
        return abs(printed) < 1e-12
    unit = 10.0 ** (math.floor(math.log10(abs(value))) - 5)
    return abs(printed - value) <= 1.01 * unit


@pytest.mark.parametrize("view", VIEWS, ids=["default", "split-atom-Winf", "spike-W1"])
def test_one_dimension_notebook_prints_the_page_numbers(view):
    page = od.OneDimensionPage(od.OneDimension(**view), embed=False)
    shown = {row[0]: row[3] for row in page.readouts.rows}
    printed = _run(page)

    def num(pattern):
        return float(re.search(pattern, printed).group(1))

    assert _sig_close(num(r"W1 = area between F and G = (\S+)"), shown["w1"]), printed
    assert _sig_close(num(r"W_inf = largest quantile gap = (\S+)"), shown["winf"]), printed
    order = page.model.order
    if order == math.inf:
        at, under = re.search(r"forbidden mass (\S+); just below: (\S+)", printed).groups()
        assert float(at) < 1e-12 < float(under)
    else:
        w = od.order_label(order)
        for label in (r"\(quantile formula\)", "from the LP", "from ot.wasserstein_1d"):
            assert _sig_close(num(rf"{w} {label} = (\S+)"), shown["wp"]), (label, printed)
    # the link back carries the view
    link = (
        nbformat.reads(
            takehome.notebook_text(page.takehome(), page.slug, page.view_link()), as_version=4
        )
        .cells[1]
        .source
    )
    assert "./one_dimension?" in link and f"order={od.format_order(order)}" in link
