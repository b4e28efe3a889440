"""The home page builds without a server, from the registry's contents by chapter."""

from __future__ import annotations

import panel as pn
from bokeh.document import Document

from pages import prose, registry, shell
from pages.home import HomePage


def _html(page) -> str:
    return " ".join(str(p.object) for p in page.select(pn.pane.HTML))


def test_home_page_builds_with_intro_contents_and_nav():
    page = HomePage(embed=False).__panel__()
    page.get_root(Document())
    texts = [p for p in page.select(pn.pane.Markdown) if "ot-prose" in p.css_classes]
    assert len(texts) == 1 and "Kantorovich" in texts[0].object
    html = _html(page)
    for info in registry.PAGES:
        assert f'href="./{info.slug}"' in html
    assert 'rel="next"' in html


def test_contents_list_pages_under_their_chapters_in_reading_order():
    html = _html(shell.contents_list())
    positions = [html.index(f'href="./{info.slug}"') for info in registry.PAGES]
    assert positions == sorted(positions)
    for chapter in registry.CHAPTERS:
        heading = f"Chapter {chapter.number}: {chapter.title}"
        assert (heading in html) == bool(registry.chapter_pages(chapter.number))
        for info in registry.chapter_pages(chapter.number):
            assert html.index(heading) < html.index(f'href="./{info.slug}"')


def test_home_page_in_embed_mode_is_text_only():
    page = HomePage(embed=True)
    html = _html(page.__panel__())
    assert "<header" not in html and 'rel="next"' not in html
    page.__panel__().get_root(Document())


def test_introduction_covers_monge_kantorovich_and_wp():
    text = prose.source(registry.HOME.slug)
    for needle in ["T_\\#\\mu = \\nu", "\\Pi(\\mu, \\nu)", "W_p(\\mu, \\nu)"]:
        assert needle in text
