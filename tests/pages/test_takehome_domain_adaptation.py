"""Take it home, /domain_adaptation: the notebook runs top to bottom and prints the page's
numbers.

Built for the default view and two other deep links (one after a drag), executed with
nbclient on a local ipykernel (matplotlib's Agg backend). The notebook uses POT's ot.da
classes and scikit-learn, not the engine; its printed numbers are compared with the page's
readouts as shown.
"""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

import pages.domain_adaptation as da
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
    return found.group(1).strip()


def _check(page, printed: str) -> None:
    shown = {row[0]: row[3] for row in page.readouts.rows}
    assert _num(r"no adaptation = (.+)", printed) == shown["acc_before"]
    assert _num(r"after exact OT = (.+)", printed) == shown["acc_exact"]
    assert _num(r"after entropic OT = (.+)", printed) == shown["acc_entropic"]
    assert _num(r"after class-regularized OT = (.+)", printed) == shown["acc_class"]
    assert _num(r"W2\(source, target\) = (\S+)", printed) == shown["w2_before"]
    assert _num(r"W2\(transported source, target\) = (\S+)", printed) == shown["w2_after"]
    assert _num(r"plan's cost <C, P> = (\S+)", printed) == shown["cost"]


def test_default_view_notebook_prints_the_page_numbers():
    page = da.DomainAdaptationPage(embed=False)
    printed = _run(page)
    _check(page, printed)
    assert float(_num(r"class-regularized plan: marginal error (\S+)", printed)) < 1e-8


def test_linked_view_notebook_prints_the_page_numbers():
    view = {"preset": "blobs", "angle": 90.0, "scale": 0.6, "method": "class", "eps": 0.2}
    page = da.DomainAdaptationPage(da.DomainModel(**view), embed=False)
    _check(page, _run(page))


def test_notebook_after_a_drag_uses_the_dragged_samples():
    page = da.DomainAdaptationPage(da.DomainModel(n=40, method="exact", eta=0.5), embed=False)
    xy, g = page.plot.points.xy, page.plot.points.groups
    xy[g == 3] += [0.3, -0.4]
    page._on_points(xy, g, True)
    assert page.model.points is not None
    _check(page, _run(page))


@pytest.mark.parametrize("method", ["exact", "class"])
def test_code_box_names_the_plan_shown(method):
    page = da.DomainAdaptationPage(da.DomainModel(method=method), embed=False)
    assert f'shown = "{method}"' in page.takehome().code
