"""/duality's notebook runs top to bottom and prints the page's numbers (default view and two
other deep links), executed with nbclient on a local ipykernel."""

from __future__ import annotations

import math
import os
import re

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from pages import duality as du
from pages import takehome

VIEWS = [
    {},
    {"preset": "shifted copy", "n": 32, "cost": 1, "eps": 0.01, "f": "optimal"},
    {"preset": "bimodal to unimodal", "n": 40, "cost": 2, "eps": 0.2, "f": "wave"},
]


def _run(page) -> str:
    text = takehome.notebook_text(page.takehome(), page.slug, page.view_link())
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    os.environ["MPLBACKEND"] = "Agg"  # the kernel inherits it: no window
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    out = []
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            assert output.output_type != "error", output
            if output.output_type == "stream" and output.name == "stdout":
                out.append(output.text)
    return "".join(out)


def _sig_close(printed: float, shown: float) -> bool:
    """Both printed with 6 significant digits: at most one unit of the last digit apart."""
    if shown == 0:
        return abs(printed) < 1e-9
    unit = 10.0 ** (math.floor(math.log10(abs(shown))) - 5)
    return abs(printed - shown) <= 1.01 * unit + 1e-8 * abs(shown)


@pytest.mark.parametrize("view", VIEWS, ids=["default", "W1-optimal-f", "W2-wave"])
def test_duality_notebook_prints_the_page_numbers(view):
    view = dict(view)
    sketch = view.pop("f", None)
    model = du.Duality(**{k: v for k, v in view.items() if k in ("preset", "n")})
    model.param.update(**{k: v for k, v in view.items() if k not in ("preset", "n")})
    if sketch == "optimal":
        model.set_optimal()
    elif sketch == "wave":
        model.f = du.round_f(0.3 * np.sin(np.linspace(0, 9, model.n)))
    page = du.DualityPage(model, embed=False)
    exact = {row[0]: row[3] for row in page.exact_table.rows}
    sketch_rows = {row[0]: row[3] for row in page.sketch_table.rows}
    printed = _run(page)

    def num(label: str) -> float:
        return float(re.search(rf"^{re.escape(label)} = (\S+)$", printed, flags=re.M).group(1))

    assert _sig_close(num("primal cost"), float(exact["primal"])), printed
    assert _sig_close(num("dual value"), float(exact["dual"])), printed
    assert _sig_close(num("bound <f, a> + <f^c, b>"), float(sketch_rows["bound"])), printed
    soft = num("entropic bound <f, a> + <f^c,eps, b>")
    assert _sig_close(soft, float(sketch_rows["soft_bound"])), printed
    assert _sig_close(num("entropic value OT_eps"), float(sketch_rows["ot_eps"])), printed
    slack = re.search(r"smallest slack = (\S+), .* = (\S+)\n", printed)
    assert float(slack.group(1)) >= -1e-12 and float(slack.group(2)) <= 1e-12
