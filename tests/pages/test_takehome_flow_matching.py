"""Take it home: the flow-matching page's notebook runs and prints the page's numbers.

Built for the default view and two other deep links, executed with nbclient (as in
tests/pages/test_takehome.py); crossings, path lengths, W2 after k steps, the best W2, the
steps needed and the floor are compared with the page's readouts as shown.
"""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

from pages import flow_matching as fm
from pages import takehome


def _run(page) -> str:
    """Build the page's notebook, execute it, and return everything it printed."""
    nb = nbformat.reads(
        takehome.notebook_text(page.takehome(), page.slug, page.view_link()), as_version=4
    )
    nbformat.validate(nb)
    os.environ["MPLBACKEND"] = "Agg"  # the kernel inherits it: no window, no display needed
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    out = []
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            assert output.output_type != "error", output
            if output.output_type == "stream" and output.name == "stdout":
                out.append(output.text)
    return "".join(out)


VIEWS = [
    {},
    {"preset": "letter", "n": 64, "batch": 8, "k": 1, "seed": 3},
    {"preset": "rings", "n": 96, "noise": 0.0, "k": 7, "seed": 11},
]

NAMES = {"independent": 0, "minibatch OT": 1}


@pytest.mark.parametrize("view", VIEWS, ids=["default", "letter-small-batch", "rings-k7"])
def test_flow_matching_notebook_prints_the_page_numbers(view):
    page = fm.FlowMatchingPage(fm.FlowModel(**view), embed=False)
    shown = {row[0]: (row[3], row[4]) for row in page.readouts.rows}
    printed = _run(page)
    paths = re.findall(
        r"^(independent|minibatch OT): crossings = (\d+), mean squared path length = (\S+)$",
        printed,
        flags=re.M,
    )
    fits = re.findall(
        r"^(independent|minibatch OT): left unexplained = (\S+), W2 after k = \d+ steps = "
        r"(\S+), best = (\S+), within 10% from k = (\d+)$",
        printed,
        flags=re.M,
    )
    assert len(paths) == 2 and len(fits) == 2, printed
    for name, crossings, cost in paths:
        col = NAMES[name]
        assert (crossings, cost) == (shown["cross"][col], shown["cost"][col]), printed
    for name, unexplained, w2, best, steps in fits:
        col = NAMES[name]
        assert unexplained == shown["unexplained"][col]
        assert w2 == shown["w2"][col]
        assert best == shown["best"][col]
        assert steps == shown["steps"][col]
    floor = re.search(r"^W2 between two target draws \(reference\) = (\S+)$", printed, flags=re.M)
    assert floor.group(1) == shown["floor"][0]
