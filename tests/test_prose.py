"""The prose files: notebook-box syntax, concept cards, and the claims they make, checked.

Boxes are markdown-it container blocks, ``::: kind Optional title {#anchor}`` ... ``:::``.
The claims the text makes about the figures (spreads, biases, plateaus, blurs) are recomputed
here with the engine or with SciPy, so a wrong number in the prose fails a test.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

from pages import registry

ROOT = Path(__file__).resolve().parent.parent
PROSE = ROOT / "assets" / "prose"
SEEDS = Path("/work/shared/seeds")
PAGES = tuple(info.slug for info in registry.PAGES)
FILES = ("app", *PAGES)
KINDS = (
    "definition",
    "theorem",
    "proposition",
    "remark",
    "example",
    "keyidea",
    "proof",
    "reading",
    "concept",
)
PREFIX = {
    "definition": "def-",
    "theorem": "thm-",
    "proposition": "prop-",
    "remark": "rem-",
    "example": "ex-",
    "keyidea": "key-",
}
CARD_HEADINGS = (
    "Key equation",
    "Why it matters",
    "What tutorials skip",
    "Canonical references",
    "Connections",
    "Try next",
)
OPENER = re.compile(r"^::: ?(\w+)(.*)$")


def text(name: str) -> str:
    return (PROSE / f"{name}.md").read_text(encoding="utf-8")


def boxes(source: str) -> list[tuple[str, str, str | None, str]]:
    """(kind, title, anchor, body) of every top-level box, in order; fails on bad nesting."""
    found, current, body = [], None, []
    for line in source.splitlines():
        if current is None:
            m = OPENER.match(line)
            if m:
                rest = m.group(2).strip()
                anchor = re.search(r"\{#([\w-]+)\}\s*$", rest)
                title = rest[: anchor.start()].strip() if anchor else rest
                current, body = (m.group(1), title, anchor.group(1) if anchor else None), []
            else:
                assert not line.startswith(":::"), f"stray closing fence: {line!r}"
        elif line.strip() == ":::":
            found.append((*current, "\n".join(body)))
            current = None
        else:
            assert not OPENER.match(line), f"nested box inside {current[0]}: {line!r}"
            body.append(line)
    assert current is None, f"box {current} never closed"
    return found


def render(source: str) -> str:
    md = MarkdownIt("commonmark").use(dollarmath_plugin, double_inline=True)
    for kind in KINDS:
        md.use(container_plugin, name=kind)
    return md.render(source)


# --- syntax ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_boxes_are_well_formed(name):
    found = boxes(text(name))
    assert len(found) >= 4
    anchors = [a for _, _, a, _ in found if a]
    assert len(anchors) == len(set(anchors)), "duplicate anchors"
    previous = None
    for kind, title, anchor, body in found:
        assert kind in KINDS, kind
        assert body.strip(), f"empty {kind} box"
        # The renderer numbers boxes; the text never does.
        assert not re.match(r"^\d", title) and not re.search(r"\b\d+\.\d+\b", title), title
        if anchor:
            assert kind in PREFIX and anchor.startswith(PREFIX[kind]), (kind, anchor)
        if kind == "proof":
            assert previous in ("theorem", "proposition"), "a proof follows what it proves"
            assert not title and not anchor
        previous = kind


@pytest.mark.parametrize("name", FILES)
def test_boxes_render_and_the_math_stays_balanced(name):
    html = render(text(name))
    assert ":::" not in html
    for kind in {k for k, *_ in boxes(text(name))}:
        assert f'class="{kind}"' in html
    # markdown-it's dollarmath marks every $...$ it understood; no stray $ may be left over.
    stripped = re.sub(r'<(span|div) class="math[^"]*">.*?</\1>', "", html, flags=re.S)
    assert "$" not in stripped


@pytest.mark.parametrize("name", PAGES)
def test_each_page_ends_with_a_concept_card(name):
    found = boxes(text(name))
    kind, _, _, body = found[-1]
    assert kind == "concept" and [k for k, *_ in found].count("concept") == 1
    assert text(name).rstrip().endswith(":::")
    headings = re.findall(r"^### (.+)$", body, flags=re.M)
    assert headings == list(CARD_HEADINGS)
    sections = dict(zip(headings, re.split(r"^### .+$", body, flags=re.M)[1:], strict=True))
    assert "$$" in sections["Key equation"]
    refs = re.findall(r"^- .+", sections["Canonical references"], flags=re.M)
    assert 2 <= len(refs) <= 3
    years = re.findall(r"\b(1[5-9]\d\d|20[0-2]\d)\.\s*$", sections["Canonical references"], re.M)
    assert len(years) == len(refs), "every reference ends with its year"
    links = re.findall(r"\]\(\./(\w+)\)", sections["Connections"])
    assert set(links) <= set(PAGES) - {name}, "links to other pages, by their slugs"
    assert len(set(links)) >= 2, "connects to at least two other pages"


def test_home_page_has_no_concept_card_but_keeps_its_sections():
    kinds = [k for k, *_ in boxes(text("app"))]
    assert "concept" not in kinds and "reading" in kinds
    assert "## Why it matters" in text("app")


def test_no_long_runs_copied_from_the_seed_texts():
    if not SEEDS.is_dir():
        pytest.skip("seed texts not present")

    def words(s: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", s.lower())

    def runs(ws: list[str], k: int = 10) -> set[tuple[str, ...]]:
        return {tuple(ws[i : i + k]) for i in range(len(ws) - k + 1)}

    seeds = set()
    for path in SEEDS.glob("*.txt"):
        seeds |= runs(words(path.read_text(encoding="utf-8", errors="replace")))
    for name in FILES:
        shared = runs(words(text(name))) & seeds
        assert not shared, f"{name}.md shares 10-word runs with the seeds: {sorted(shared)[:3]}"


# --- the claims, recomputed ----------------------------------------------------------------


def test_home_page_one_dimensional_claims():
    """The monotone plan is optimal for every p >= 1, unique only for p > 1."""
    body = dict((a, b) for _, _, a, b in boxes(text("app")))
    assert "For every $p \\ge 1$ the monotone plan is optimal" in body["thm-quantile"]
    assert "For $p > 1$ it is the only optimal plan" in body["thm-quantile"]
    # The example: mu = (d0 + d1)/2, nu = (d1 + d2)/2; monotone versus crossed pairing.
    for p, monotone, crossed in ((1, 1.0, 1.0), (2, 1.0, 2.0)):
        cost_monotone = 0.5 * abs(0 - 1) ** p + 0.5 * abs(1 - 2) ** p
        cost_crossed = 0.5 * abs(0 - 2) ** p + 0.5 * abs(1 - 1) ** p
        assert (cost_monotone, cost_crossed) == (monotone, crossed)
    import ot

    a = np.array([0.5, 0.5])
    x, y = np.array([0.0, 1.0]), np.array([1.0, 2.0])
    assert ot.emd2(a, a, np.abs(x[:, None] - y[None, :])) == pytest.approx(1.0)
    assert ot.emd2(a, a, (x[:, None] - y[None, :]) ** 2) == pytest.approx(1.0)


def conditional_spread(name: str, n: int, power: int, fraction: float) -> float:
    """sqrt(E Var(y | x)) of the page's entropic plan: how far one bin's mass is spread."""
    from ot_engine import cost_matrix, sinkhorn, uniform_grid
    from pages.histogram_pair import preset_heights

    p, q = preset_heights(name, n)
    a, b = p / p.sum(), q / q.sum()
    x = uniform_grid(n)
    C = cost_matrix(x, x, power=power)
    P = sinkhorn(a, b, C, fraction * float(C.max()), tol=1e-9).plan
    rows = P.sum(axis=1)
    mean = (P @ x) / np.where(rows > 0, rows, 1.0)
    return float(np.sqrt(np.sum(P * (x[None, :] - mean[:, None]) ** 2)))


def test_transport_plan_blur_depends_on_the_cost_not_on_the_bin_count():
    prose = text("transport_plan")
    assert "whichever cost" not in prose
    assert "does **not** give the same blur for both costs" in prose
    squared = [conditional_spread("two Gaussians", n, 2, 1e-3) for n in (32, 64, 128)]
    linear = [conditional_spread("two Gaussians", n, 1, 1e-3) for n in (32, 64, 128)]
    # The numbers the prose quotes: about 0.02 (squared) and 0.08 (linear) for every n.
    assert max(squared) - min(squared) < 0.002 and all(abs(s - 0.02) < 0.003 for s in squared)
    assert all(abs(s - 0.08) < 0.005 for s in linear)
    # 0.08 is the whole spread of q: with |x - y| every rightward plan is optimal.
    from ot_engine import uniform_grid
    from pages.histogram_pair import preset_heights

    _, q = preset_heights("two Gaussians", 64)
    b, x = q / q.sum(), uniform_grid(64)
    assert linear[1] == pytest.approx(math.sqrt(b @ x**2 - (b @ x) ** 2), abs=2e-3)


def test_brenier_spreads_and_bias_quoted_in_the_prose():
    """The cheap sizes are recomputed here (400 draws at n = 30, 60 at n = 300); n = 1000 was
    measured once with 400 draws (sd 0.045, W2 bias +0.011 +- 0.003, W2^2 +0.045 +- 0.009)."""
    import pages.brenier as page
    from ot_engine.brenier_scene import sampled_w2

    prose = text("brenier")
    for quoted in ("about $0.27$ at $n = 30$, $0.08$ at", "$n = 300$ and $0.05$ at $n = 1000$"):
        assert quoted in prose
    assert "0.07 at $n = 1000$" not in prose and "a few hundredths" not in prose
    m = page.BrenierModel()
    w2 = m.closed_form_w2()
    assert f"$W_2 = {w2:.3f}$" in prose
    draws = np.array([sampled_w2(30, *m.gaussians(), seed=7 + 2 * r).w2 for r in range(400)])
    assert draws.std(ddof=1) == pytest.approx(0.27, abs=0.02)
    assert draws.mean() - w2 == pytest.approx(0.15, abs=0.04)  # "about 0.15 at n = 30"
    draws = np.array([sampled_w2(300, *m.gaussians(), seed=7 + 2 * r).w2 for r in range(60)])
    assert draws.std(ddof=1) == pytest.approx(0.08, abs=0.02)


def test_brenier_bias_is_proved_for_the_square_only():
    body = dict((a, b) for _, _, a, b in boxes(text("brenier")))
    assert "W_2^2(p_n, q_n)" in body["prop-bias"]
    assert "concave" in body["rem-bias-w2"] and "measurement" in body["rem-bias-w2"]
    assert "proportional to $T(x)$" in text("brenier")


def test_kl_prose_plateaus_match_the_engine():
    from ot_engine import shift_family as sf

    prose = text("kl_vs_wasserstein")
    assert "Five of the seven" in prose and "Four of the seven" not in prose
    body = dict((a, b) for _, _, a, b in boxes(prose))
    assert r"\log\frac{L}{\varepsilon} - h(p)" in body["prop-plateau"]
    assert r"\log\frac{L}{\varepsilon} - h(q)" in body["prop-plateau"]
    assert "$[-1, 1]$" in body["prop-critic"]
    assert "undefined" in body["rem-corner"]
    # "levels off near 9.66 for eps = 1e-3" and the tent's entropy "about 0.70".
    tent_h = 0.5 + math.log(0.5 * math.sqrt(6.0))
    assert tent_h == pytest.approx(0.70, abs=0.005)
    values, _ = sf.divergences_at("box", 0.3, 6.0, 1e-3)
    assert values["kl_pq"] == pytest.approx(9.66, abs=0.005)
    # The reverse direction's level carries h(q): for a box of width 0.3, log(2 sqrt(3) 0.3).
    box_h = math.log(2 * math.sqrt(3.0) * 0.3)
    assert values["kl_qp"] == pytest.approx(math.log(32 / 1e-3) - box_h, abs=0.02)
