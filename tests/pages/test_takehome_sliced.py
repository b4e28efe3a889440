"""Take it home, /sliced: the notebook runs top to bottom and prints the page's numbers.

Built for the default view and two other deep links (and once after a drag), executed with
nbclient on a local ipykernel (matplotlib's Agg backend); its printed numbers are compared
with the page's readouts as shown.
"""

from __future__ import annotations

import os
import re

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

import pages.sliced as sl
from pages import takehome


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
    {"cloud": "ring", "n_proj": 300, "seed": 17, "direction": 12, "dim": 50},
    {"cloud": "clusters", "n_proj": 1, "seed": 3, "dim": 2},
]


def _check(page, printed: str) -> None:
    shown = {row[0]: row[3] for row in page.readouts.rows}
    dim = {row[0]: row[3] for row in page.dim_readouts.rows}
    n, k = page.model.n_proj, page.state.picked + 1
    assert _num(rf"sliced SW2 \(L = {n}\) = (\S+)", printed) == shown["sw"]
    assert _num(r"SW2\^2 estimate = (\S+)", printed) == shown["sw2"]
    if n > 1:
        assert _num(r"1.96 standard errors of SW2\^2 = (\S+)", printed) == shown["se"]
    assert _num(r"exact W2 \(LP\) = (\S+)", printed) == shown["w2"]
    assert _num(r"max-sliced = (\S+)", printed) == shown["max"]
    assert _num(rf"W2 along direction {k} = (\S+)", printed) == shown["picked"]
    assert "SW2 <= max-sliced <= W2: True" in printed
    assert _num(r"sampled SW2 = ([^,]+),", printed) == dim["dim_sw"]
    assert _num(r"sampled W2 = ([^,]+),", printed) == dim["dim_w2"]
    assert _num(r"ratio = ([^;]+);", printed) == dim["dim_ratio"]
    assert _num(r"Gaussians: SW2 = ([^,]+),", printed) == dim["dim_sw_closed"]


@pytest.mark.parametrize("view", VIEWS, ids=["default", "ring-300", "clusters-one-direction"])
def test_sliced_notebook_prints_the_page_numbers(view):
    page = sl.SlicedPage(sl.SlicedModel(**view), embed=False)
    _check(page, _run(page))


def test_sliced_notebook_after_a_drag_uses_the_dragged_points():
    page = sl.SlicedPage(sl.SlicedModel(cloud="shift", n_proj=40), embed=False)
    xy, g = page.clouds.points.xy, page.clouds.points.groups
    xy[:3] = [[1.23456789, -0.5], [1.9, 1.9], [-1.2, 0.7]]
    page._on_points(xy, g, True)
    assert np.allclose(page.X[:3], xy[:3], rtol=0, atol=5e-4)  # rounded as the link keeps it
    _check(page, _run(page))
