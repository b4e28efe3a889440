"""One readout table for every page: labelled numbers beside a figure, flagged when not honest.

A row is ``[key, label, colour, value_1, ..., value_k]`` (the colour is drawn as a swatch before
the label, the text keeps the theme's colour) with one value text per column of
``columns``, optionally followed by a flag text (``""``: not flagged), e.g. "did not
converge". :func:`readout` builds one. The page formats every text; the browser writes them
with ``textContent`` (never parsed as HTML), and an update that keeps the keys, labels,
colours and flags rewrites only the text of the cells that changed, in cells of fixed width:
nothing else on the page is laid out again. (A Bokeh ``Div`` whose text changes re-lays out
the whole page, every plot's axes included: ~14 ms per update.)

A flagged row is marked by more than colour: a "⚠" before its label, bold, and the flag's
text on a line of its own under the row. The table is a real ``<table>`` with a caption
(visually hidden unless ``show_caption``), ``th scope="col"`` headers and a ``th
scope="row"`` per label. It is one Bokeh model (plus its data model and style sheet).
"""

from __future__ import annotations

from typing import ClassVar

import panel as pn
import param

from pages import theme
from pages.components import js

JS = js.path("components/readouts.js")

#: Fixed layout and tabular digits, so a new number never changes the size of anything.
CSS = f"""
table.ot-readouts {{ width: 100%; table-layout: fixed; border-collapse: collapse;
  font-size: 14px; font-variant-numeric: tabular-nums; }}
table.ot-readouts caption {{ text-align: left; font-weight: 600; padding-bottom: 2px; }}
table.ot-readouts caption.ot-sr-only {{ position: absolute; width: 1px; height: 1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }}
table.ot-readouts th, table.ot-readouts td {{ padding: 1px 0; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; font-weight: normal; }}
table.ot-readouts thead th {{ opacity: 0.8; }}
table.ot-readouts .ot-readout-label {{ text-align: left; }}
table.ot-readouts .ot-readout-num {{ text-align: right; }}
table.ot-readouts .ot-swatch {{ display: inline-block; width: 0.9em; height: 0.35em;
  margin: 0 0.35em 0.2em 0; border-radius: 1px; vertical-align: middle; }}
table.ot-readouts tr.ot-flagged > * {{ font-weight: 700; }}
table.ot-readouts tr.ot-flagged .ot-readout-num {{ color: {theme.WARNING_COLOR}; }}
table.ot-readouts tr.ot-flag-note td {{ color: {theme.WARNING_COLOR}; font-weight: 600;
  white-space: normal; padding: 0 0 3px 1.2em; }}
"""


def readout(key: str, label: str, *values: str, colour: str = "", flag: str = "") -> list[str]:
    """One row of a :class:`ReadoutTable` (values formatted by the page).

    >>> readout("cost", "transport cost", "0.1234", flag="did not converge")
    ['cost', 'transport cost', '', '0.1234', 'did not converge']
    """
    return [key, label, colour, *values, flag]


class ReadoutTable(pn.custom.JSComponent):
    """A table of labelled readouts; an update rewrites only the text that changed."""

    rows = param.List(
        default=[], doc="[key, label, colour, value text per column, (flag text)] per row"
    )
    columns = param.List(
        default=[["ot-readout-value", "value"]],
        doc="[key, header] per value column; the key is also the class of the column's cells",
    )
    label_header = param.String(default="quantity", doc="Header of the label column.")
    label_width = param.String(default="46%", doc="CSS width of the label column.")
    caption = param.String(default="Readouts", doc="What the table holds (its caption).")
    show_caption = param.Boolean(default=False, doc="Show the caption (else screen readers only).")
    table_class = param.String(default="", doc="An extra class on the <table> (page styles).")

    _esm = JS
    _stylesheets: ClassVar[list[str]] = [CSS]

    def flagged(self) -> dict[str, str]:
        """Key -> flag text of every flagged row."""
        n = len(self.columns)
        return {r[0]: r[3 + n] for r in self.rows if len(r) > 3 + n and r[3 + n]}
