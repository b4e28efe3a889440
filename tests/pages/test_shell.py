"""The page frame, without a server: math in Markdown, navigation, notices, embed mode."""

from __future__ import annotations

import html
import re

import panel as pn
import pytest
from bokeh.document import Document

from pages import prose, registry, shell
from pages.page import NotebookPage

ALL = (registry.HOME, *registry.PAGES)


def render(text: str) -> str:
    return prose.parser().render(text)


def build(viewable) -> None:
    """Turn a Panel object into Bokeh models, as serving it would."""
    viewable.get_root(Document())


# --- math ------------------------------------------------------------------------------------


def test_inline_and_display_math_reach_mathjax_in_its_delimiters():
    out = render("Cost $c(x, y)$ and\n\n$$\\int c\\,d\\gamma$$\n")
    assert r"\(c(x, y)\)" in out
    assert r"$$\int c\,d\gamma$$" in out  # the thin space survives Markdown


def test_double_dollars_inside_a_paragraph_are_display_math():
    out = render("so $$W_p^p = \\int_0^1 |F^{-1}(s)|^p ds$$ holds")
    assert r"$$W_p^p = \int_0^1 |F^{-1}(s)|^p ds$$" in out


def test_markdown_does_not_touch_tex_backslashes_or_underscores():
    out = render(r"$\{x_i\}_{i=1}^n$ and $a_1 * b_2 * c$")
    assert r"\(\{x_i\}_{i=1}^n\)" in out
    assert r"\(a_1 * b_2 * c\)" in out  # no <em> from the stars


def test_less_than_in_math_cannot_open_a_tag():
    out = render("$a<b$ and $$x>y$$")
    assert "<b" not in out.replace("<p>", "").replace("</p>", "")
    assert r"\lt" in out and r"\gt" in out


def test_a_lone_dollar_stays_text():
    assert "$" in render("It costs 5$ to ship.")
    assert r"\(" not in render("It costs 5$ to ship.")


@pytest.mark.parametrize("slug", [info.slug for info in ALL])
def test_every_prose_file_has_only_balanced_math(slug):
    out = render(prose.numbered_source(slug))
    # Every $ must have become a MathJax delimiter: what is left is display $$ pairs only.
    stripped = re.sub(r"\$\$.+?\$\$", "", out, flags=re.S)
    assert "$" not in stripped, f"unmatched $ in {slug}.md"
    assert out.count(r"\(") == out.count(r"\)")


def test_markdown_helper_and_prose_are_markdown_panes_with_the_plugins():
    pane = prose.markdown_pane("$x$")
    assert isinstance(pane, pn.pane.Markdown)
    assert prose.math_plugin in pane.plugins and prose.box_plugin in pane.plugins
    text = prose.prose_pane(registry.HOME.slug)
    assert "ot-prose" in text.css_classes
    build(text)


# --- frame, navigation, notices --------------------------------------------------------------


def test_nav_links_follow_reading_order():
    first = registry.PAGES[0]
    links = shell._nav_links(first.slug)
    assert 'href="./"' in links and html.escape(registry.HOME.title) in links
    assert f'href="./{registry.PAGES[1].slug}"' in links and 'rel="next"' in links
    last = shell._nav_links(registry.PAGES[-1].slug)
    assert 'rel="next"' not in last and 'rel="prev"' in last
    home = shell._nav_links(registry.HOME.slug)
    assert 'rel="prev"' not in home and ">Contents<" not in home


def test_notices_are_escaped_text():
    pane = shell.notices_pane(["Ignored the link's 'eps': <b>bad</b>"])
    assert "<b>bad</b>" not in pane.object
    assert "&lt;b&gt;bad&lt;/b&gt;" in pane.object
    assert 'role="status"' in pane.object


def test_notebook_page_builds_with_figure_label_and_nav():
    page = shell.notebook_page(
        registry.PAGES[0].slug,
        figure=pn.pane.Markdown("figure"),
        controls=pn.Column(pn.widgets.FloatSlider(label="eps")),
        prose_pane=prose.prose_pane(registry.HOME.slug),
        notices=["a notice"],
        figure_label="A test figure",
    )
    root = page.get_root(Document())

    def roles(role):
        return [
            m for m in root.references() if getattr(m, "html_attributes", {}).get("role") == role
        ]

    assert [m.html_attributes["aria-label"] for m in roles("figure")] == ["A test figure"]
    assert len(roles("main")) == 1  # the page's content is its main landmark
    navs = [p for p in page.select(pn.pane.HTML) if "<nav" in str(p.object)]
    assert len(navs) == 2  # top and bottom


def test_embed_mode_shows_only_figure_and_controls(monkeypatch):
    monkeypatch.setattr(shell, "session_query", lambda: {"embed": "1"})
    page = shell.notebook_page(
        registry.PAGES[0].slug,
        figure=pn.pane.Markdown("figure"),
        controls=pn.Column(pn.widgets.FloatSlider(label="eps")),
        prose_pane=prose.prose_pane(registry.HOME.slug),
    )
    texts = " ".join(str(p.object) for p in page.select(pn.pane.HTML))
    assert "<nav" not in texts and "<h1" not in texts
    assert not [p for p in page.select(pn.pane.Markdown) if "ot-prose" in p.css_classes]
    assert "ot-embed" in page.css_classes
    build(page)


def test_empty_controls_leave_the_figure_the_whole_width():
    page = shell.notebook_page(
        registry.PAGES[0].slug, figure=pn.pane.Markdown("f"), controls=pn.Column()
    )
    rows = [r for r in page.select(pn.Row) if "ot-body" in r.css_classes]
    assert len(rows) == 1 and "ot-no-controls" in rows[0].css_classes


def test_theme_toggle_keeps_the_query_and_swaps_only_the_theme():
    button = shell.theme_toggle()
    assert button.label == "Dark theme"
    build(button)
    # It edits only the theme key of the current URL (which holds the page's state) and reloads.
    assert 'searchParams.set("theme", "dark")' in shell._TOGGLE_JS
    assert 'searchParams.delete("theme")' in shell._TOGGLE_JS
    assert "location.assign(url.href)" in shell._TOGGLE_JS


def test_contents_list_links_every_page_with_its_promise():
    toc = shell.contents_list().object
    for info in registry.PAGES:
        assert f'href="./{info.slug}"' in toc
        assert html.escape(info.promise) in toc


# --- the page registry -----------------------------------------------------------------------


@pytest.mark.parametrize("info", registry.ALL, ids=lambda info: info.slug)
def test_every_registry_entry_names_a_notebook_page_of_that_slug(info):
    cls = registry.page_class(info.slug)
    assert issubclass(cls, NotebookPage) and cls.slug == info.slug
    assert prose.source(info.slug).strip()  # and it has its prose


def test_contents_slugs_are_unique_and_routes_relative():
    slugs = [info.slug for info in ALL]
    assert len(set(slugs)) == len(slugs)
    assert registry.url(registry.HOME.slug) == "./"
    assert all(registry.url(s) == f"./{s}" for s in slugs[1:])
