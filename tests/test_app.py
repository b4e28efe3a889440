"""The home page builds without a server, and its module is what serve.sh serves at /."""

from __future__ import annotations

import panel as pn
from bokeh.document import Document

import app
from pages import contents, shell


def test_home_page_builds_with_intro_contents_and_nav():
    page = app.create_page()
    page.get_root(Document())
    prose = [p for p in page.select(pn.pane.Markdown) if "ot-prose" in p.css_classes]
    assert len(prose) == 1 and "Kantorovich" in prose[0].object
    html = " ".join(str(p.object) for p in page.select(pn.pane.HTML))
    for info in contents.PAGES:
        assert f'href="./{info.slug}"' in html
    assert 'rel="next"' in html


def test_home_page_in_embed_mode_is_text_only(monkeypatch):
    monkeypatch.setattr(shell, "session_query", lambda: {"embed": "1"})
    page = app.create_page()
    html = " ".join(str(p.object) for p in page.select(pn.pane.HTML))
    assert "<header" not in html and 'rel="next"' not in html
    page.get_root(Document())


def test_introduction_covers_monge_kantorovich_and_wp():
    text = (shell.ASSETS / "prose" / "app.md").read_text(encoding="utf-8")
    for needle in ["T_\\#\\mu = \\nu", "\\Pi(\\mu, \\nu)", "W_p(\\mu, \\nu)", "## Why it matters"]:
        assert needle in text
