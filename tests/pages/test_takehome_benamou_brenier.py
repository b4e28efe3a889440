"""Take it home, /benamou_brenier: the notebook runs top to bottom and prints the page's numbers.

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

from pages import benamou_brenier as bb
from pages import takehome

VIEWS = [
    {},
    {"preset": "split atom", "grid": 16, "n": 32, "t": 0.8},
    {"preset": "uniform to spike", "grid": 32, "n": 48, "gx": -2.0, "grot": 60.0},
]


def _run(page) -> str:
    """Build the page's notebook, execute it, and return everything it printed."""
    text = takehome.notebook_text(page.takehome(), page.slug, page.view_link())
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    os.environ["MPLBACKEND"] = "Agg"  # the kernel inherits it: no window, no display needed
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


def _sig_close(printed: float, shown: str, digits: int = 6) -> bool:
    """``printed`` and the page's text (``digits`` significant) are one unit apart at most."""
    value = float(shown)
    if value == 0:
        return abs(printed) < 1e-12
    unit = 10.0 ** (math.floor(math.log10(abs(value))) - digits + 1)
    return abs(printed - value) <= 1.01 * unit


@pytest.mark.parametrize("view", VIEWS, ids=["default", "split-atom-coarse", "spike-gauss"])
def test_benamou_brenier_notebook_prints_the_page_numbers(view):
    page = bb.BenamouBrenierPage(bb.BenamouBrenier(**view), embed=False)
    rows = page.readouts.rows + page.gauss_readouts.rows
    shown = {row[0]: row[3] for row in rows}
    printed = _run(page)

    def num(pattern):
        return float(re.search(pattern, printed).group(1))

    nt = page.model.grid
    assert _sig_close(num(r"W2\^2 \(quantile formula\) = (\S+)"), shown["w2"]), printed
    assert _sig_close(num(rf"{2 * nt} x {nt}: energy = (\S+),"), shown["energy"]), printed
    assert _sig_close(num(rf"{nt} x {nt // 2}: energy = (\S+),"), shown["energy_c"]), printed
    fine = num(rf"{2 * nt} x {nt}: .*\|energy - W2\^2\| = (\S+),")
    assert _sig_close(fine, shown["error"], digits=3), printed
    assert _sig_close(num(rf"{2 * nt} x {nt}: .*residual = (\S+)"), shown["res"], 3), printed
    assert _sig_close(num(r"W2\^2 \(Bures, POT\) = (\S+)"), shown["gw2"]), printed
    # the link back carries the view
    link = (
        nbformat.reads(
            takehome.notebook_text(page.takehome(), page.slug, page.view_link()), as_version=4
        )
        .cells[1]
        .source
    )
    assert "./benamou_brenier?" in link and f"grid={nt}" in link
