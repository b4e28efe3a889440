"""The table of contents: one home for every page's route, title and one-line promise."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    slug: str  # the module name, and so the URL path: a public contract, never rename
    title: str
    promise: str


HOME = PageInfo(
    "app", "Optimal transport, by hand", "What optimal transport is, and where to start."
)

PAGES: tuple[PageInfo, ...] = (
    PageInfo(
        "transport_plan",
        "Transport plans",
        "Drag two histograms and watch the optimal plan, exact or entropic, recompute.",
    ),
    PageInfo(
        "brenier",
        "Brenier's potential",
        "Rotate the convex potential whose gradient carries one Gaussian onto another.",
    ),
    PageInfo(
        "kl_vs_wasserstein",
        "KL versus Wasserstein",
        "Slide a bump away and see which divergences still tell you which way to move.",
    ),
)


def url(slug: str) -> str:
    """Relative URL of a page (``/`` for the home page), so links work behind a path prefix."""
    return "./" if slug == HOME.slug else f"./{slug}"


def neighbours(slug: str) -> tuple[PageInfo | None, PageInfo | None]:
    """The previous and next page in reading order (the home page comes first)."""
    order = (HOME, *PAGES)
    i = next(k for k, info in enumerate(order) if info.slug == slug)
    return (order[i - 1] if i > 0 else None, order[i + 1] if i + 1 < len(order) else None)
