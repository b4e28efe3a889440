"""The notebook's home page: what optimal transport is, and the contents (served at ``/``)."""

from __future__ import annotations

import panel as pn

from pages import contents, shell


def create_home() -> pn.viewable.Viewable:
    toc = "\n".join(
        f"- [{info.title}]({contents.url(info.slug)}): {info.promise}" for info in contents.PAGES
    )
    return pn.Column(
        pn.pane.Markdown(f"# {contents.HOME.title}"),
        shell.prose(contents.HOME.slug),
        pn.pane.Markdown("## Contents\n\n" + toc),
        sizing_mode="stretch_width",
        max_width=900,
    )


if __name__.startswith("bokeh_app"):
    shell.extension()
    create_home().servable(title=contents.HOME.title)
