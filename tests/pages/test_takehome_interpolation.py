"""Take it home, /interpolation: the notebook runs top to bottom and prints the page's numbers.

Built for the default view and two other deep links, executed with nbclient on a local
ipykernel (matplotlib's Agg backend); every printed distance is compared with the page's
readouts as shown.
"""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

import pages.interpolation as ip
from pages import takehome
from pages.query import parse_query


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
    {"n": "40", "t": "0.25", "cloud": "split"},
    {"n": "96", "t": "0.8", "cloud": "turn", "p": ",".join(["0", "0.5"] * 48)},
]


def _check(page, printed: str) -> None:
    for dim, rows in (("1D", page.readouts.rows), ("2D", page.cloud_readouts.rows)):
        shown = {row[0]: (row[3], row[4]) for row in rows}
        k = "h_" if dim == "1D" else "c_"
        for col, path in ((0, "displacement"), (1, "mixture")):
            name = f"{dim} {path}"
            assert _num(rf"{name}: W2\(mu0, mu1\) = (\S+)", printed) == shown[k + "w01"][col]
            assert _num(rf"{name}: W2\(mu0, mut\) = (\S+)", printed) == shown[k + "0t"][col]
            assert _num(rf"{name}: W2\(mut, mu1\) = (\S+)", printed) == shown[k + "t1"][col]
            assert (
                _num(rf"{name}: W2\(mu0, mut\) = \S+ against t W = (\S+)", printed)
                == (shown[k + "t_w"][col])
            )
        assert _num(r"W2 by quantiles = (\S+)", printed) == page.readouts.rows[1][3]
        assert _num(r"W2 by the matching = (\S+)", printed) == page.cloud_readouts.rows[1][3]


@pytest.mark.parametrize("view", VIEWS, ids=["default", "split-quarter", "turn-96-bins"])
def test_interpolation_notebook_prints_the_page_numbers(view):
    values, notices = parse_query(view, ip.QUERY_KEYS)
    assert not notices
    page = ip.InterpolationPage(ip.Interpolation(**values), embed=False)
    _check(page, _run(page))
