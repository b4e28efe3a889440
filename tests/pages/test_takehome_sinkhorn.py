"""/sinkhorn's notebook runs top to bottom (nbclient) and prints the page's numbers.

Three views: the default one, a small ε where the plain form breaks down (NaN), and another
preset, bin count and half-step. The printed numbers are compared with the page's readout
tables as the page shows them.
"""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

import pages.sinkhorn as sk
from pages import takehome

VIEWS = [
    {},
    {"eps": 1e-4, "step": 30},
    {"preset": "bimodal to unimodal", "n": 48, "eps": 0.003, "step": 11},
]


def _run(page) -> str:
    th = page.takehome()
    nb = nbformat.reads(takehome.notebook_text(th, page.slug, page.view_link()), as_version=4)
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


def _same(printed: str, shown: str) -> bool:
    """Two numbers as printed/shown to 4 significant digits (3 decimals of a mantissa)."""
    if shown == "NaN" or printed == "nan":
        return shown == "NaN" and printed == "nan"
    a, b = float(printed), float(shown)
    # Errors at rounding level (a marginal just matched) depend on the order of the sums.
    return abs(a - b) <= 2e-3 * abs(b) or max(abs(a), abs(b)) < 1e-12


@pytest.mark.parametrize("view", VIEWS, ids=["default", "plain-breaks", "bimodal-48"])
def test_sinkhorn_notebook_prints_the_page_numbers(view):
    model = sk.SinkhornModel(**{k: v for k, v in view.items() if k in ("preset", "n")})
    model.param.update(**{k: v for k, v in view.items() if k not in ("preset", "n")})
    page = sk.SinkhornPage(model, embed=False)
    shown = {r[0]: (r[3], r[4]) for r in page.readouts.rows}
    reference = {r[0]: r[3] for r in page.reference.rows}
    printed = _run(page)
    for name, col in (("plain", 0), ("log", 1)):
        line = re.search(
            rf"^{name}: row error = (\S+), column error = (\S+), distance to P\* = (\S+)$",
            printed,
            re.M,
        )
        assert line, printed
        for group, key in ((1, "row"), (2, "col"), (3, "dist")):
            assert _same(line.group(group), shown[key][col]), (name, key, printed, shown)
    cost = float(re.search(r"cost <C, P\*> = (\S+)", printed).group(1))
    assert abs(cost - float(reference["cost"])) <= 2e-6 * abs(cost)
    assert float(re.search(r"marginal error of P\* = (\S+)", printed).group(1)) <= 1e-8
    if view.get("eps") == 1e-4:
        assert shown["row"][0] == "NaN"  # the view that breaks the plain form, honestly
