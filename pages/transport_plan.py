"""Placeholder page (being built)."""

import panel as pn

from pages import shell

if __name__.startswith("bokeh_app"):
    shell.extension()
    shell.notebook_page(
        "transport_plan", figure=pn.pane.Markdown("Figure coming."), controls=pn.Column()
    ).servable()
