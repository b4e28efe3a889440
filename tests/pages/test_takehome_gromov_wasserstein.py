"""Take it home: the GW page's notebook runs and prints the page's numbers.

Built for the default view and two other deep links, executed with nbclient (as in
tests/pages/test_takehome.py); every start's value, the value shown and the matching error
are compared with the page's readouts as shown.
"""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

from pages import gromov_wasserstein as gw
from pages import takehome


def _run(page) -> str:
    """Build the page's notebook, execute it, and return everything it printed."""
    nb = nbformat.reads(
        takehome.notebook_text(page.takehome(), page.slug, page.view_link()), as_version=4
    )
    nbformat.validate(nb)
    os.environ["MPLBACKEND"] = "Agg"  # the kernel inherits it: no window, no display needed
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
    {"preset": "mirror", "noise": 0.0, "yaw": -120.0, "pitch": 60.0, "seed": 5},
    {"preset": "ring_knot", "n": 30, "seed": 2},
    {"n": 40, "eps": 0.02, "colour": "argmax"},
]


@pytest.mark.parametrize("view", VIEWS, ids=["default", "mirror-turned", "knot", "entropic"])
def test_gromov_notebook_prints_the_page_numbers(view):
    page = gw.GromovPage(gw.GromovModel(**view), embed=False)
    shown = {row[0]: row[3] for row in page.readouts.rows}
    printed = _run(page)
    starts = re.findall(r"^start (product|random \d): GW = (\S+)$", printed, flags=re.M)
    assert len(starts) == gw.STARTS, printed
    for k, (_label, value) in enumerate(starts):
        assert value == shown[f"start{k}"].split(" ")[0], (k, printed, shown)
    best = re.search(r"^GW value of the coupling shown = (\S+)$", printed, flags=re.M).group(1)
    assert best == shown["gw"]
    assert float(re.search(r"^marginal error = (\S+)$", printed, flags=re.M).group(1)) < 1e-8
    if "match" in shown:
        match = re.search(r"^mean \|matched place - true place\| = (\S+)$", printed, flags=re.M)
        assert match.group(1) == shown["match"]
