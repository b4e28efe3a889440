"""Take it home, /wgan_critic: the notebook runs top to bottom and prints the page's numbers.

Built for the default view and two other deep links, executed with nbclient on a local
ipykernel (matplotlib's Agg backend); its printed numbers (exact critic, JS gradients, and the
WGAN-GP critic it trains with its own numpy code) are compared with the page's readouts.
"""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

import pages.wgan_critic as wc
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
    return found.group(1)


VIEWS = [
    {},
    {"preset": "ring", "offset": (3.2, -2.0), "h": 0.5, "lam": 1.0, "seed": 4},
    {"preset": "stripes", "offset": (-1.0, 0.3), "h": 0.2, "lam": 100.0, "seed": 11},
]


@pytest.mark.parametrize("view", VIEWS, ids=["default", "ring-far", "stripes-near"])
def test_notebook_prints_the_page_numbers(view):
    page = wc.WganCriticPage(wc.WganModel(**view), embed=False)
    shown = {row[0]: row[3] for row in page.readouts.rows}
    printed = _run(page)
    assert _num(r"W1 \(exact LP\) = (\S+)", printed) == shown["w1"]
    assert _num(r"mean phi\(real\) - mean phi\(fake\) = (\S+)", printed) == shown["dual"]
    assert _num(r"\|generator gradient\|, W1 critic = (\S+)", printed) == shown["gw1"]
    assert _num(r"\|generator gradient\|, JS minimax = (\S+)", printed) == shown["gjs"]
    assert _num(r"JS non-saturating = (\S+)", printed) == shown["gns"]
    assert _num(r"mean D at the fake points = (\S+)", printed) == shown["dfake"]
    assert _num(r"WGAN-GP estimate of W1 = (\S+)", printed) == shown["gp"]
    assert _num(r"WGAN-GP final loss = (\S+)", printed) == shown["gpl"]
