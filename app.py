"""The notebook's home page: what optimal transport is, and the contents (served at ``/``)."""

from __future__ import annotations

import panel as pn

from pages import contents, shell


def create_page() -> pn.viewable.Viewable:
    """The introduction (assets/prose/app.md) and the table of contents, in the page frame."""
    return shell.text_page(
        contents.HOME.slug, shell.prose(contents.HOME.slug), shell.contents_list()
    )


if __name__.startswith("bokeh_app"):
    shell.extension()
    create_page().servable(title=contents.HOME.title)
