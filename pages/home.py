"""The home page (``/``): what optimal transport is, and the contents by chapter."""

from __future__ import annotations

import panel as pn

from pages import registry, shell
from pages.page import NotebookPage


class HomePage(NotebookPage):
    """The introduction (``assets/prose/app.md``) and the table of contents; no figure."""

    slug = registry.HOME.slug

    def __panel__(self) -> pn.viewable.Viewable:
        return shell.text_page(self.slug, self.prose(), shell.contents_list(), embed=self.embed)
