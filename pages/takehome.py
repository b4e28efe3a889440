"""Take it home: every page's view as code, as a runnable Jupyter notebook, and as an image.

A page implements one hook, :meth:`pages.page.NotebookPage.takehome`, returning a
:class:`TakeHome`: a few Markdown cells in the page's own words, the key equation, and code
cells that recompute the current view with numpy, scipy, POT and matplotlib and print the
page's numbers. From it the frame builds, for every page alike:

* the collapsible "Show the code" box (:class:`CodeBox`; its text is built only while open);
* the "Download as notebook" button (:func:`notebook_download`; the ``.ipynb`` is built with
  nbformat only when clicked), with a link back to the same view (:func:`view_link`);
* the "Save the figure" buttons (:class:`FigureExport`; PNG and SVG composed in the browser by
  ``assets/js/components/export.js``, with the page's readouts as a caption, from
  :meth:`pages.page.NotebookPage.caption_lines`).

Everything here runs per session; nothing is built on a model update unless a reader has the
code box open. User text never becomes HTML: the code box escapes its text, notebook cells are
Markdown built from validated model values, and the caption is drawn as canvas/SVG text.
"""

from __future__ import annotations

import html
import io
import logging
import re
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import panel as pn
import param

from pages import registry
from pages.components import js
from pages.query import QueryKey, url_search

log = logging.getLogger(__name__)

#: Kernel the notebooks name (any Python 3 kernel with numpy, scipy, POT and matplotlib).
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}
#: What a notebook needs installed (printed in its first cell).
REQUIREMENTS = "numpy scipy POT matplotlib"


@dataclass(frozen=True)
class TakeHome:
    """What a page hands the frame to show its code and write its notebook.

    ``intro`` and ``notes`` are Markdown cells (the page's own words, with ``$math$``),
    ``equation`` the key equation (LaTeX, shown as a display formula), ``cells`` the code
    cells in order: run top to bottom they recompute the current view and print its numbers.
    ``code_title`` names the code box ("Show the code (POT)").
    """

    title: str
    intro: str
    equation: str
    cells: tuple[str, ...]
    notes: tuple[str, ...] = ()
    code_title: str = "Show the code"

    @property
    def code(self) -> str:
        """All code cells as one script (the code box's text)."""
        return "\n\n".join(cell.strip("\n") for cell in self.cells)


@dataclass(frozen=True)
class ViewLink:
    """Where the notebook's view lives: ``url`` (absolute when the host is known)."""

    url: str
    absolute: bool
    query: dict[str, str] = field(default_factory=dict)


_HOST = re.compile(r"^[A-Za-z0-9.\-]{1,253}$")
_PORT = re.compile(r"^[0-9]{1,5}$")
_PATH = re.compile(r"^[A-Za-z0-9_./\-]{0,200}$")


def view_query(model: param.Parameterized, keys: Sequence[QueryKey]) -> dict[str, str]:
    """The deep-link query of the model's current values (as the page writes its URL)."""
    return {spec.key: spec.format(getattr(model, spec.param)) for spec in keys}


def view_link(slug: str, query: dict[str, str]) -> ViewLink:
    """A link back to this view: the session's own address when it looks sane, else relative.

    The address comes from the browser's location as Panel synced it (protocol, host, port,
    path); every part is checked against a strict pattern, so a forged value can at worst
    fall back to the relative link. The query is the model's, never the raw request's.
    """
    search = url_search(query)
    relative = registry.url(slug) + search
    loc = pn.state.location if pn.state.curdoc is not None else None
    try:
        protocol = str(getattr(loc, "protocol", "") or "")
        host = str(getattr(loc, "hostname", "") or "")
        port = str(getattr(loc, "port", "") or "")
        path = str(getattr(loc, "pathname", "") or "")
    except Exception:  # never let a link break the download
        return ViewLink(relative, False, query)
    if (
        protocol in ("http:", "https:")
        and _HOST.match(host)
        and (not port or _PORT.match(port))
        and _PATH.match(path)
        and path.rstrip("/").endswith("/" + slug)
    ):
        netloc = f"{host}:{port}" if port else host
        return ViewLink(f"{protocol}//{netloc}{path}{search}", True, query)
    return ViewLink(relative, False, query)


def _link_cell(slug: str, link: ViewLink) -> str:
    title = registry.info(slug).title
    target = urllib.parse.quote(link.url, safe=":/?&=,.%-_~+")
    if link.absolute:
        where = f"[{title}]({target})"
        note = "Open it to see the same view, live."
    else:
        where = f"`{link.url}`"
        note = (
            "The notebook's server address was not known when this file was made, so the "
            "link is relative: put it after the address of the Optimal Transport Notebook "
            "you downloaded it from (for example `http://localhost:5006/`)."
        )
    return f"**This view on the page:** {where}  \n{note}"


def build_notebook(takehome: TakeHome, slug: str, link: ViewLink):
    """The ``.ipynb`` (an nbformat v4 notebook) for ``takehome``."""
    import nbformat
    from nbformat import v4

    cells = [
        v4.new_markdown_cell(f"# {takehome.title}\n\n{takehome.intro}"),
        v4.new_markdown_cell(_link_cell(slug, link)),
        v4.new_markdown_cell(f"The key equation:\n\n$$\n{takehome.equation}\n$$"),
        v4.new_markdown_cell(
            f"Runs offline with `{REQUIREMENTS}` installed "
            f"(`pip install {REQUIREMENTS}`). Run the cells from top to bottom: the printed "
            "numbers are the ones the page showed for this view."
        ),
    ]
    notes = list(takehome.notes)
    for k, code in enumerate(takehome.cells):
        cells.append(v4.new_code_cell(code.strip("\n")))
        if k < len(notes):
            cells.append(v4.new_markdown_cell(notes[k]))
    cells += [v4.new_markdown_cell(note) for note in notes[len(takehome.cells) :]]
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNEL)
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    return nb


def notebook_text(takehome: TakeHome, slug: str, link: ViewLink) -> str:
    import nbformat

    return nbformat.writes(build_notebook(takehome, slug, link))


# --- the frame's pieces -----------------------------------------------------------------------


def code_html(code: str) -> str:
    """Code as an escaped ``<pre>`` block (it contains ``<`` and ``>``)."""
    return f"<pre style='margin:0'><code>{html.escape(code)}</code></pre>"


class CodeBox(pn.viewable.Viewer):
    """The collapsible "Show the code" box: its text is built only while it is open.

    ``takehome`` builds the current :class:`TakeHome`; ``watch`` is the model and the
    parameter names whose change makes the shown code stale.
    """

    def __init__(
        self,
        takehome: Callable[[], TakeHome | None],
        model: param.Parameterized | None = None,
        watch: Sequence[str] = (),
        title: str = "Show the code",
    ) -> None:
        super().__init__()
        self._takehome = takehome
        self.code = pn.pane.HTML(
            "",
            sizing_mode="stretch_width",
            styles={"font-size": "12px", "max-height": "320px", "overflow": "auto"},
        )
        # The title is an h2 (Panel's own card title is an h3, a skipped level after the page's
        # h1), styled as Panel's; the text is ours, escaped.
        self.card = pn.Card(
            self.code,
            header=pn.pane.HTML(
                f'<h2 style="font-size:1rem;margin:0;font-weight:600">{html.escape(title)}</h2>',
                margin=(0, 5),
            ),
            collapsed=True,
            sizing_mode="stretch_width",
            css_classes=["ot-code-box"],
        )
        self.card.param.watch(lambda *_e: self.refresh(), "collapsed")
        if model is not None and watch:
            model.param.watch(lambda *_e: self.refresh(), list(watch))

    def refresh(self) -> None:
        if self.card.collapsed:  # only build the text someone looks at
            return
        try:
            th = self._takehome()
            text = th.code if th is not None else ""
        except Exception:  # never crash a session over its code box
            log.exception("code box")
            text = "# The code for this view could not be written."
        self.code.object = code_html(text)

    def __panel__(self) -> pn.viewable.Viewable:
        return self.card


def notebook_download(
    takehome: Callable[[], TakeHome | None], slug: str, link: Callable[[], ViewLink]
) -> pn.widgets.FileDownload:
    """The "Download as notebook" button: the ``.ipynb`` is written only when clicked."""

    def callback() -> io.StringIO:
        try:
            th = takehome()
            if th is None:
                raise ValueError("no take-home for this page")
            return io.StringIO(notebook_text(th, slug, link()))
        except Exception:  # never crash: hand back a notebook that says so
            log.exception("notebook download")
            from nbformat import v4, writes

            nb = v4.new_notebook(
                cells=[v4.new_markdown_cell("This view could not be written as a notebook.")]
            )
            return io.StringIO(writes(nb))

    return pn.widgets.FileDownload(
        callback=callback,
        filename=f"{slug}.ipynb",
        label="Download as notebook",
        embed=False,
        sizing_mode="fixed",
        width=200,
        height=40,  # fixed sizing needs both (Bokeh warns W-1005 otherwise), as the save row
        css_classes=["ot-takehome-button"],
    )


class FigureExport(pn.custom.JSComponent):
    """The "Save the figure" buttons: the browser composes the page's figure into one image.

    A click asks Python for the caption (the page's readouts as plain lines); the answer
    (``request`` counted up) makes the browser compose every plot and canvas inside the
    page's ``role="figure"`` element at ``scale`` times the device pixel ratio (at least 2x),
    draw the caption under it, and download it (``assets/js/components/export.js``).
    """

    caption = param.List(default=[], doc="Plain-text lines drawn under the image.")
    format = param.Selector(default="png", objects=["png", "svg"])
    request = param.Integer(default=0, doc="Counted up by Python: compose and download now.")
    filename = param.String(default="figure", doc="Download name without extension.")
    svg = param.Boolean(default=True, doc="Offer SVG too (Bokeh plots draw as vectors).")

    _esm = js.path("components/export.js")
    _stylesheets: ClassVar[list[str]] = [
        ".ot-export { display: flex; flex-wrap: wrap; gap: 6px; }"
        ".ot-export button { font: inherit; font-size: 13px; padding: 5px 10px; cursor: pointer;"
        " border: 1px solid var(--ot-rule, #b8bec6); border-radius: 4px;"
        " background: var(--ot-surface, #f5f6f8); color: inherit; }"
        ".ot-export .ot-export-status { font-size: 12px; align-self: center; }"
    ]

    def __init__(self, caption: Callable[[], list[str]] | None = None, **params: Any) -> None:
        super().__init__(**params)
        self._caption_of = caption

    def _handle_msg(self, msg: Any) -> None:
        fmt = "svg" if isinstance(msg, dict) and msg.get("format") == "svg" and self.svg else "png"
        try:
            lines = [str(line)[:300] for line in (self._caption_of() if self._caption_of else [])]
        except Exception:  # the image is still worth having without its caption
            log.exception("figure caption")
            lines = []
        self.param.update(caption=lines[:40], format=fmt, request=self.request + 1)


def takehome_strip(page) -> pn.viewable.Viewable:
    """The buttons and the code box a page shows under its figure (``page``: a NotebookPage)."""
    parts: list[pn.viewable.Viewable] = []
    figure_export = FigureExport(
        caption=page.caption_lines,
        filename=page.slug,
        svg=page.figure_svg,
        sizing_mode="fixed",
        width=330,
        height=40,
        css_classes=["ot-takehome-button"],
    )
    page.figure_export = figure_export
    parts.append(figure_export)
    first = page.takehome()
    code_box = None
    if first is not None:
        page.notebook_button = notebook_download(page.takehome, page.slug, page.view_link)
        parts.append(page.notebook_button)
        code_box = CodeBox(
            page.takehome,
            page.model,
            [spec.param for spec in page.query_keys],
            title=first.code_title,
        )
        page.code_box = code_box
    buttons = pn.FlexBox(*parts, gap="0 10px", align_items="center", sizing_mode="stretch_width")
    column = pn.Column(buttons, css_classes=["ot-takehome"], sizing_mode="stretch_width")
    if code_box is not None:
        column.append(code_box)
    return column
