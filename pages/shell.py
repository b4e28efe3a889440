"""The frame every page lives in: header, navigation, prose, notices, and the embed mode.

A page module builds its figure and controls and hands them to :func:`notebook_page`; with
``?embed=1`` in the URL only the figure and its controls are shown, sized to fill an iframe.
"""

from __future__ import annotations

from pathlib import Path

import panel as pn

from pages import contents
from pages.query import session_query

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def extension() -> None:
    """Load Panel's extensions once per page module (math renders offline via MathJax)."""
    pn.extension("mathjax", sizing_mode="stretch_width", notifications=False)


def is_embed() -> bool:
    """True when the page was opened with ``?embed=1`` (an iframe in a course page)."""
    return session_query().get("embed") in ("1", "true")


def prose(slug: str) -> pn.pane.Markdown:
    """The page's text, from ``assets/prose/<slug>.md`` (the one home of a page's prose)."""
    text = (ASSETS / "prose" / f"{slug}.md").read_text(encoding="utf-8")
    return pn.pane.Markdown(text, sizing_mode="stretch_width")


def notices_pane(notices: list[str]) -> pn.viewable.Viewable:
    """Plain-text notices (never HTML) about ignored link values and similar."""
    if not notices:
        return pn.Spacer(height=0)
    return pn.pane.Alert("\n\n".join(notices), alert_type="warning", sizing_mode="stretch_width")


def _nav(slug: str) -> pn.viewable.Viewable:
    prev_page, next_page = contents.neighbours(slug)
    links = [f"[Contents]({contents.url(contents.HOME.slug)})"]
    if prev_page is not None:
        links.insert(0, f"[← {prev_page.title}]({contents.url(prev_page.slug)})")
    if next_page is not None:
        links.append(f"[{next_page.title} →]({contents.url(next_page.slug)})")
    return pn.pane.Markdown(" · ".join(links), sizing_mode="stretch_width")


def notebook_page(
    slug: str,
    *,
    figure: pn.viewable.Viewable,
    controls: pn.viewable.Viewable,
    prose_pane: pn.viewable.Viewable | None = None,
    notices: list[str] | None = None,
) -> pn.viewable.Viewable:
    """Compose one page: full notebook frame, or figure + controls only in embed mode."""
    notice = notices_pane(notices or [])
    if is_embed():
        return pn.Row(controls, pn.Column(notice, figure), sizing_mode="stretch_both")
    info = next(p for p in (contents.HOME, *contents.PAGES) if p.slug == slug)
    header = pn.pane.Markdown(f"# {info.title}", sizing_mode="stretch_width")
    body = pn.Row(controls, pn.Column(notice, figure), sizing_mode="stretch_width")
    parts = [_nav(slug), header, body]
    if prose_pane is not None:
        parts.append(prose_pane)
    parts.append(_nav(slug))
    return pn.Column(*parts, sizing_mode="stretch_width", max_width=1400)
