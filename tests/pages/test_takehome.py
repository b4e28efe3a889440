"""Take it home: every page's notebook runs top to bottom and prints the page's numbers.

Each page's notebook is built for the default view and two other deep links (the page model
built with those values), executed with nbclient on a local ipykernel (matplotlib's Agg
backend), and its printed numbers are parsed and compared with the page's own readouts,
parsed from what the page shows.
"""

from __future__ import annotations

import math
import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

import pages.brenier as br
import pages.kl_vs_wasserstein as kvw
import pages.transport_plan as tp
from pages import takehome


def _run(page) -> str:
    """Build the page's notebook, execute it, and return everything it printed."""
    th = page.takehome()
    text = takehome.notebook_text(th, page.slug, page.view_link())
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    os.environ["MPLBACKEND"] = "Agg"  # the kernel inherits it: no window, no display needed
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            assert output.output_type != "error", output
            if output.output_type == "stream" and output.name == "stdout":
                out.append(output.text)
    return "".join(out)


def _close(printed: float, shown: float, digits: int) -> bool:
    """Both rounded to ``digits`` decimals (or significant digits): one unit apart at most."""
    return abs(printed - shown) <= 1.01 * 10.0 ** (-digits) + 1e-9 * abs(shown)


def _sig_close(printed: float, shown: float) -> bool:
    if shown == 0:
        return abs(printed) < 1e-9
    unit = 10.0 ** (math.floor(math.log10(abs(shown))) - 5)
    return abs(printed - shown) <= 1.01 * unit + 1e-8 * abs(shown)


# --- /transport_plan --------------------------------------------------------------------------

TP_VIEWS = [
    {},
    {"preset": "bimodal to unimodal", "eps": 0.0, "cost": 1, "n": 32},
    {"preset": "shifted copy", "eps": 0.05, "cost": 2, "n": 48},
]


def _tp_shown(page) -> dict[str, str]:
    """The readout table as the page shows it: label -> value text (the shared table's rows)."""
    return {row[1]: row[3] for row in page.readouts.rows}


@pytest.mark.parametrize("view", TP_VIEWS, ids=["default", "exact-W1", "entropic-W2"])
def test_transport_plan_notebook_prints_the_page_numbers(view):
    model = tp.TransportPlan(**{k: v for k, v in view.items() if k in ("preset", "n")})
    model.param.update(**{k: v for k, v in view.items() if k not in ("preset", "n")})
    page = tp.TransportPlanPage(model, embed=False)
    shown = _tp_shown(page)
    assert shown, page.readouts.rows
    printed = _run(page)
    cost = float(re.search(r"transport cost <C, plan> = (\S+)", printed).group(1))
    w = float(re.search(r"= ([^ =\n]+)(  \(>= W\d\))?\n", printed.split("\n", 2)[2]).group(1))
    assert float(re.search(r"marginal error \(L1\) = (\S+)", printed).group(1)) <= 1e-8
    assert _sig_close(cost, float(shown["transport cost ⟨C, π⟩"])), (printed, shown)
    w_label = next(k for k in shown if "⟨C, π⟩" in k and k != "transport cost ⟨C, π⟩")
    assert _sig_close(w, float(shown[w_label])), (printed, shown)


# --- /kl_vs_wasserstein -----------------------------------------------------------------------

KVW_VIEWS = [
    {},
    {"shift": 2.5, "shape": "gaussian", "width": 0.5, "floor": 0.0},
    {"shift": -4.0, "shape": "box", "width": 0.3, "floor": 1e-6},
]
KVW_NAMES = {
    "kl_pq": "KL(p‖q)",
    "kl_qp": "KL(q‖p)",
    "js": "JS(p, q)",
    "tv": "TV(p, q)",
    "hellinger": "Hellinger(p, q)",
    "w1": "W1(p, q)",
    "w2": "W2(p, q)",
}


@pytest.mark.parametrize("view", KVW_VIEWS, ids=["default", "gaussian", "box-floor"])
def test_kl_vs_wasserstein_notebook_prints_the_page_numbers(view):
    page = kvw.KLvsWassersteinPage(kvw.ShiftModel(**view), embed=False)
    shown = {row[0]: row[3] for row in page.readouts.rows}
    printed = _run(page)
    for key, name in KVW_NAMES.items():
        value = re.search(rf"^{re.escape(name)} = (\S+)$", printed, flags=re.M).group(1)
        if shown[key] == "∞" or value == "∞":
            assert value == shown[key], (key, printed, shown)
        else:
            assert _close(float(value), float(shown[key]), 4), (key, value, shown[key])


# --- /brenier ---------------------------------------------------------------------------------

BR_VIEWS = [
    {},
    {"sigma_p": 0.5, "dx": -2.0, "dy": 0.5, "n_samples": 100, "draw": 3, "mx": -1.5, "my": 2.0},
    {"anisotropic": True, "q_sx": 1.8, "q_sy": 0.4, "q_angle": -20.0, "n_samples": 30},
]


@pytest.mark.parametrize("view", BR_VIEWS, ids=["default", "moved-draw3", "anisotropic"])
def test_brenier_notebook_prints_the_page_numbers(view):
    page = br.BrenierPage(br.BrenierModel(**view), embed=False)
    shown = page.map_readout.object + "\n" + page.readout.object
    printed = _run(page)

    def num(pattern, text):
        return re.search(pattern, text).group(1)

    assert num(r"closed form = (\S+)", printed) == num(r"closed form:\*\* (\S+)", shown)
    assert num(r"mu_q = (\(.*?\))", printed) == num(r"μ_q = (\(.*?\))", shown)
    assert num(r"A = (\[\[.*?\]\])", printed) == num(r"A =\s+(\[\[.*?\]\])", shown)
    assert num(r"mean (\S+ ± \S+)", printed) == num(r"mean (\S+ ± \S+)\*\*", shown)
    assert num(r"spreads by (\d\.\d+)", printed) == num(r"spreads by (\d\.\d+)", shown)
    assert num(r"draw 1 \(the dots on the page\): (\S+)\n", printed) == num(
        r"draw 1: (\d+\.\d+)", shown
    )
    sides = page.monge_ampere_readout.object
    assert num(r"p\(x\) = (\S+)\n", printed) == num(r"p\(x\) = ([\d.e-]+);", sides)
    assert num(r"det A = (.*)\n", printed).replace(" * ", " × ") == num(
        r"det D²φ\(x\) = (.*?) \(", sides
    )


# --- the notebook itself ----------------------------------------------------------------------


def test_notebook_links_back_to_the_same_view_relative_without_a_host():
    page = kvw.KLvsWassersteinPage(kvw.ShiftModel(shift=1.5, shape="box"), embed=False)
    nb = nbformat.reads(
        takehome.notebook_text(page.takehome(), page.slug, page.view_link()), as_version=4
    )
    link = nb.cells[1].source
    assert "./kl_vs_wasserstein?shift=1.5" in link and "shape=box" in link
    assert "relative" in link
    assert nb.metadata.kernelspec.name == "python3"


def test_view_link_is_absolute_only_for_a_sane_location(monkeypatch):
    class Loc:
        protocol, hostname, port, pathname = "https:", "ot.example.edu", "", "/ot/brenier"

    class Doc:
        pass

    monkeypatch.setattr(takehome.pn.state, "_curdoc", None, raising=False)
    monkeypatch.setattr(type(takehome.pn.state), "curdoc", property(lambda s: Doc()))
    monkeypatch.setattr(type(takehome.pn.state), "location", property(lambda s: Loc()))
    link = takehome.view_link("brenier", {"dx": "1"})
    assert link.absolute and link.url == "https://ot.example.edu/ot/brenier?dx=1"
    Loc.hostname = "evil.example<script>"
    assert takehome.view_link("brenier", {"dx": "1"}).url == "./brenier?dx=1"


def test_every_registered_page_offers_a_takehome():
    from pages import registry

    for info in registry.PAGES:
        page = registry.page_class(info.slug)(embed=False)
        th = page.takehome()
        assert th is not None and th.cells and th.equation
        assert page.caption_lines()


def test_code_box_builds_its_text_only_while_open():
    page = tp.TransportPlanPage(tp.TransportPlan(), embed=False)
    strip = takehome.takehome_strip(page)
    assert strip is not None
    box = page.code_box
    assert box.code.object == ""
    box.card.collapsed = False
    assert "p = np.array([" in box.code.object and "&lt;C, plan&gt;" in box.code.object
    page.model.cost = 1
    assert "** 1\n" in box.code.object
    assert ">Show the code (POT)</h2>" in box.card.header.object
