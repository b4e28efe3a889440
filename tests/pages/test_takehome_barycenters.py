"""Take it home, /barycenters: each view's notebook runs and prints the page's numbers.

Three notebooks (the default view on the line, a grid view, a Gaussian view), executed with
nbclient on a local ipykernel (matplotlib's Agg backend); their printed numbers are compared
with the readouts the page shows. The code of K = 4 Gaussians and of K = 2 shapes runs in this
process (no kernel start: cheap) and prints the page's numbers too.
"""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

import pages.barycenters as bc
from pages import takehome


def _run(page) -> str:
    text = takehome.notebook_text(page.takehome(), page.slug, page.view_link())
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    os.environ["MPLBACKEND"] = "Agg"
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    out = []
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            assert output.output_type != "error", output
            if output.output_type == "stream" and output.name == "stdout":
                out.append(output.text)
    return "".join(out)


def _num(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found, (pattern, text)
    return found.group(1)


def _rows(page) -> dict[str, str]:
    return {row[0]: row[3] for row in page.readouts.rows}


def test_line_notebook_prints_the_page_numbers():
    page = bc.BarycenterPage(bc.BarycenterModel(), embed=False)
    printed = _run(page)
    rows = _rows(page)
    assert _num(r"objective of the barycenter = (\S+)", printed) == rows["bary"]
    assert _num(r"Euclidean average = (.+)\n", printed) == rows["euclid"]
    assert _num(r"shifted left = (.+)\n", printed) == rows["left"]
    assert _num(r"stretched = (.+)\n", printed) == rows["stretch"]
    assert _num(r"weights nudged toward mu2 = (.+)\n", printed) == rows["toward2"]


def test_grid_notebook_prints_the_page_numbers():
    page = bc.BarycenterPage(
        bc.BarycenterModel(view="grid", shapes="bar_cross_l", w=(0.6, 0.3, 0.1), reg=0.008),
        embed=False,
    )
    printed = _run(page)
    rows = _rows(page)
    assert "converged: True" in printed
    assert _num(r"centre of mass = (\(.+\))", printed) == rows["gcom"]
    assert float(_num(r"POT's convolutional_barycenter2d = (\S+)", printed)) < 1e-3


def test_gauss_notebook_prints_the_page_numbers():
    page = bc.BarycenterPage(
        bc.BarycenterModel(view="gauss", gauss="apart", w=(0.1, 0.2, 0.7)), embed=False
    )
    printed = _run(page)
    rows = _rows(page)
    assert _num(r"objective of the Bures barycenter = (\S+)", printed) == rows["gobj"]
    assert _num(r"same mean, averaged covariance = (.+)\n", printed) == rows["geuc"]
    assert _num(r"mean = (\(.+\))", printed) == rows["gmean"]
    assert _num(r"covariance = (\[.+\])", printed) == rows["gcov"]


@pytest.mark.parametrize("view", ["line", "grid", "gauss"])
def test_code_box_is_cheap_text(view):
    page = bc.BarycenterPage(bc.BarycenterModel(view=view), embed=False)
    code = page.takehome().code
    assert "import numpy as np" in code and "print(" in code


def _exec_cells(page, skip_plots: bool = True) -> str:
    """Run the code box's cells in this process (no kernel: cheap), return what they print."""
    import contextlib
    import io

    out = io.StringIO()
    scope: dict = {}
    with contextlib.redirect_stdout(out):
        for cell in page.takehome().cells:
            if skip_plots and "matplotlib" in cell:
                continue
            exec(compile(cell, "<takehome>", "exec"), scope)
    return out.getvalue()


def test_four_gaussians_code_prints_the_page_numbers():
    page = bc.BarycenterPage(
        bc.BarycenterModel(view="gauss", gauss="sizes", k=4, w4=(0.1, 0.2, 0.3, 0.4)),
        embed=False,
    )
    printed = _exec_cells(page)
    rows = _rows(page)
    assert _num(r"objective of the Bures barycenter = (\S+)", printed) == rows["gobj"]
    assert _num(r"same mean, averaged covariance = (.+)\n", printed) == rows["geuc"]
    assert _num(r"mean = (\(.+\))", printed) == rows["gmean"]
    assert _num(r"covariance = (\[.+\])", printed) == rows["gcov"]


def test_two_shapes_code_prints_the_page_numbers():
    page = bc.BarycenterPage(
        bc.BarycenterModel(view="grid", shapes="blobs", k=2, w2=(0.3, 0.7), reg=0.016),
        embed=False,
    )
    printed = _exec_cells(page)
    assert "converged: True" in printed
    assert _num(r"centre of mass = (\(.+\))", printed) == _rows(page)["gcom"]
