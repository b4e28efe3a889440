"""Take it home, /unbalanced: the notebook runs top to bottom and prints the page's numbers.

The notebook is built for the default view and two other deep links (one with another ρ and ε,
one in partial-transport mode), executed with nbclient on a local ipykernel, and every number
it prints is compared with the page's readout table. Its solver is written out in the
notebook (plain log-domain iterations with scipy's logsumexp; partial transport with POT),
independently of ot_engine.
"""

from __future__ import annotations

import math
import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

import pages.unbalanced as ub
from pages import takehome

VIEWS = [
    {},
    {"preset": "far apart", "rho": 0.35, "eps": 0.01, "n": 48},
    {"preset": "q has an extra bump", "mode": "partial", "m": 0.6, "n": 32},
]

#: Printed name -> readout key.
PRINTED = {
    "transported": "transported",
    "destroyed": "destroyed",
    "created": "created",
    "cost <C, P>": "cost",
    "eps KL(P | a x b)": "entropy",
    "rho KL(P1 | a)": "kl_a",
    "rho KL(P^T 1 | b)": "kl_b",
    "objective": "objective",
}


def _run(page) -> str:
    text = takehome.notebook_text(page.takehome(), page.slug, page.view_link())
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    os.environ["MPLBACKEND"] = "Agg"  # the kernel inherits it: no window, no display needed
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


def _sig_close(printed: float, shown: float) -> bool:
    """Both printed with 6 significant digits: one unit of the last digit apart at most."""
    if shown == 0:
        return abs(printed) < 1e-12
    unit = 10.0 ** (math.floor(math.log10(abs(shown))) - 5)
    return abs(printed - shown) <= 1.01 * unit + 1e-8 * abs(shown)


@pytest.mark.parametrize("view", VIEWS, ids=["default", "far-apart", "partial"])
def test_unbalanced_notebook_prints_the_page_numbers(view):
    model = ub.Unbalanced(**{k: v for k, v in view.items() if k in ("preset", "n")})
    model.param.update(**{k: v for k, v in view.items() if k not in ("preset", "n")})
    page = ub.UnbalancedPage(model, embed=False)
    shown = {row[0]: row[3] for row in page.readouts.rows}
    printed = _run(page)
    masses = re.search(r"mass of p = (\S+), mass of q = (\S+)", printed)
    assert _sig_close(float(masses.group(1)), float(shown["mass_p"]))
    assert _sig_close(float(masses.group(2)), float(shown["mass_q"]))
    compared = 0
    for name, key in PRINTED.items():
        found = re.search(rf"^{re.escape(name)} = (\S+)$", printed, flags=re.M)
        if key not in shown:  # partial mode has no entropy or KL terms
            assert found is None, name
            continue
        assert _sig_close(float(found.group(1)), float(shown[key])), (name, printed, shown)
        compared += 1
    assert compared == (4 if view.get("mode") == "partial" else 8)
    if view.get("mode") != "partial":
        residual = float(re.search(r"optimality residual \(L1\) = (\S+)", printed).group(1))
        assert residual <= 1e-9
