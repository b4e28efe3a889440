"""The notebook's one registry: chapters, pages, their order, and the class that serves each.

Everything that lists pages derives from here: the home page's contents, the previous/next
links, ``serve.sh``'s list of served routes (``python3 -m pages.registry``), and the server
tests. Adding a page means adding its module, its prose (``assets/prose/<slug>.md``) and one
:class:`PageInfo` below.

This module imports nothing heavy (no Panel): ``serve.sh`` reads it before starting a server.

>>> [info.slug for info in chapter_pages(1)][:2]
['monge_kantorovich', 'transport_plan']
>>> url("app"), url("brenier")
('./', './brenier')
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Chapter:
    number: int
    title: str
    promise: str


@dataclass(frozen=True)
class PageInfo:
    """One page: its URL, what it is called and promises, where it sits, what serves it."""

    slug: str  # the route (``/<slug>``): a public contract, never rename
    title: str
    promise: str
    chapter: int  # 0 for the home page
    page: str  # "module:Class" of the page (a :class:`pages.page.NotebookPage`), imported lazily


CHAPTERS: tuple[Chapter, ...] = (
    Chapter(1, "Foundations", "What a transport plan is, what it costs, and why it measures well."),
    Chapter(2, "Geometry", "Maps, potentials and the shape of the space of measures."),
    Chapter(3, "Variants", "Changing the problem to fit the data: sliced, unbalanced, Gromov."),
    Chapter(4, "Applications", "Colours, classifiers, shapes and generative models."),
)

HOME = PageInfo(
    "app",
    "Optimal transport, by hand",
    "What optimal transport is, and where to start.",
    0,
    "pages.home:HomePage",
)

#: Reading order: chapter by chapter, then as listed.
PAGES: tuple[PageInfo, ...] = (
    PageInfo(
        "monge_kantorovich",
        "Monge versus Kantorovich",
        "Split an atom and watch every map fail while a plan still succeeds.",
        1,
        "pages.monge_kantorovich:MongeKantorovichPage",
    ),
    PageInfo(
        "transport_plan",
        "Transport plans",
        "Drag two histograms and watch the optimal plan, exact or entropic, recompute.",
        1,
        "pages.transport_plan:TransportPlanPage",
    ),
    PageInfo(
        "one_dimension",
        "Transport in one dimension",
        "Drag two histograms: on the line, optimal transport sorts and matches quantiles.",
        1,
        "pages.one_dimension:OneDimensionPage",
    ),
    PageInfo(
        "duality",
        "Duality: prices instead of routes",
        "Drag two histograms and see the prices that certify the optimal cost.",
        1,
        "pages.duality:DualityPage",
    ),
    PageInfo(
        "sinkhorn",
        "Sinkhorn, step by step",
        "Step through Sinkhorn's scalings one half-step at a time, and watch small ε break them.",
        1,
        "pages.sinkhorn:SinkhornPage",
    ),
    PageInfo(
        "kl_vs_wasserstein",
        "KL versus Wasserstein",
        "Slide a bump away and see which divergences still tell you which way to move.",
        1,
        "pages.kl_vs_wasserstein:KLvsWassersteinPage",
    ),
    PageInfo(
        "brenier",
        "Brenier's potential",
        "Rotate the convex potential whose gradient carries one Gaussian onto another.",
        2,
        "pages.brenier:BrenierPage",
    ),
    PageInfo(
        "interpolation",
        "Moving mass versus mixing densities",
        "Slide a bump along the optimal path and watch the mixture fade it out instead.",
        2,
        "pages.interpolation:InterpolationPage",
    ),
    PageInfo(
        "benamou_brenier",
        "Transport as a fluid",
        "Play the flow that moves one density onto another with the least kinetic energy.",
        2,
        "pages.benamou_brenier:BenamouBrenierPage",
    ),
    PageInfo(
        "barycenters",
        "Barycenters",
        "Weigh two, three or four measures and average them the way transport does.",
        2,
        "pages.barycenters:BarycenterPage",
    ),
    PageInfo(
        "sliced",
        "Sliced Wasserstein",
        "Project two clouds on random lines, sort, average: cheap, and always below W2.",
        3,
        "pages.sliced:SlicedPage",
    ),
    PageInfo(
        "unbalanced",
        "Unbalanced transport",
        "Let the masses differ: watch a penalty decide what is moved, created or destroyed.",
        3,
        "pages.unbalanced:UnbalancedPage",
    ),
    PageInfo(
        "gromov_wasserstein",
        "Gromov-Wasserstein",
        "Match a curve in the plane with a curve in space by comparing distances within each.",
        3,
        "pages.gromov_wasserstein:GromovPage",
    ),
    PageInfo(
        "colour_transfer",
        "Colour transfer",
        "Recolour a picture with another's colours: exact, entropic, Gaussian, per channel.",
        4,
        "pages.colour_transfer:ColourTransferPage",
    ),
    PageInfo(
        "domain_adaptation",
        "Domain adaptation",
        "Turn the target away from the source, then let a transport plan carry the labels over.",
        4,
        "pages.domain_adaptation:DomainAdaptationPage",
    ),
    PageInfo(
        "persistence_diagrams",
        "Persistence diagrams",
        "Match two diagrams point to point or to the diagonal: Wasserstein and bottleneck.",
        4,
        "pages.persistence_diagrams:PersistencePage",
    ),
    PageInfo(
        "wgan_critic",
        "WGAN critics",
        "Drag a fake cloud away: the W₁ critic keeps pointing home while JS goes flat.",
        4,
        "pages.wgan_critic:WganCriticPage",
    ),
    PageInfo(
        "flow_matching",
        "Flow matching",
        "Pair noise with data by transport: straight paths, fewer steps to the target.",
        4,
        "pages.flow_matching:FlowMatchingPage",
    ),
)

ALL: tuple[PageInfo, ...] = (HOME, *PAGES)


def info(slug: str) -> PageInfo:
    """The registry entry of ``slug`` (``KeyError`` if there is none)."""
    for page in ALL:
        if page.slug == slug:
            return page
    raise KeyError(slug)


def chapter(number: int) -> Chapter:
    return next(c for c in CHAPTERS if c.number == number)


def chapter_pages(number: int) -> tuple[PageInfo, ...]:
    return tuple(p for p in PAGES if p.chapter == number)


def url(slug: str) -> str:
    """Relative URL of a page (``./`` for the home page), so links work behind a path prefix."""
    return "./" if slug == HOME.slug else f"./{slug}"


def neighbours(slug: str) -> tuple[PageInfo | None, PageInfo | None]:
    """The previous and next page in reading order (the home page comes first)."""
    order = sorted(ALL, key=lambda p: p.chapter)  # stable: keeps the listed order in a chapter
    i = next(k for k, page in enumerate(order) if page.slug == slug)
    return (order[i - 1] if i > 0 else None, order[i + 1] if i + 1 < len(order) else None)


def page_class(slug: str) -> type:
    """Import and return the class that serves ``slug``."""
    module, _, name = info(slug).page.partition(":")
    return getattr(importlib.import_module(module), name)


# --- served entry points ---------------------------------------------------------------------

_ENTRY_POINT = '''"""Served at /{slug}: written by pages/registry.py for serve.sh; do not edit."""
from pages.page import serve

serve("{slug}")
'''


def write_entry_points(folder: Path) -> list[Path]:
    """Write one tiny served file per page into ``folder`` (its stem is the route).

    ``panel serve`` names each route after its file, so the registry's slugs become the files
    ``serve.sh`` passes to it. The files hold no code of their own: the pages live in this
    importable package.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for page in ALL:
        path = folder / f"{page.slug}.py"
        path.write_text(_ENTRY_POINT.format(slug=page.slug), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="where to write the served entry points")
    args = parser.parse_args(argv)
    for path in write_entry_points(args.folder):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
