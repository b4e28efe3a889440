"""The frame every page lives in: header, navigation, prose, notices, and the embed mode.

A page module builds its figure and controls and hands them to :func:`notebook_page`; with
``?embed=1`` in the URL only the figure and its controls are shown, sized to fill an iframe.
``?theme=dark`` switches Panel's dark theme on (Panel reads that key itself); the toggle in the
header reloads the page with it, keeping the rest of the query, so the view is not lost.

Everything here is built per session and reads only the session's own query.
"""

from __future__ import annotations

import html
from typing import Any

import panel as pn

from pages import compat, registry, theme
from pages.query import protect_location, session_query, url_search

#: The notebook's stylesheet, relative to the page so it also works behind a path prefix.
#: Served by ``panel serve --static-dirs assets=./assets``.
NOTEBOOK_CSS = "assets/css/notebook.css"

#: Panel's page template with a viewport for phones. Panel extends its own base template with
#: a template given as text, so this holds only the block it adds.
PAGE_TEMPLATE = """{% block postamble %}
<meta name="viewport" content="width=device-width, initial-scale=1">
{% endblock %}"""

#: The page script: links to boxes inside Panel's shadow roots, text alternatives for math
#: and sliders (same server).
PAGE_JS = "assets/js/notebook.js"

#: Widest the page frame grows; prose keeps its own narrower measure (see notebook.css).
PAGE_MAX_WIDTH = 1320


def extension() -> None:
    """Load Panel's extensions for a page (math renders offline through Bokeh's MathJax)."""
    protect_location()  # before anything can make Panel parse a hostile query
    doc = pn.state.curdoc
    if doc is not None and doc.session_context is not None:
        # Panel decodes ?theme= itself, as strict UTF-8: a link with ?theme=%ff gave HTTP 500.
        # Setting the session's theme from the checked query first means Panel never parses it.
        pn.config.theme = "dark" if session_query().get("theme") == "dark" else "default"
        # A phone lays the page out at its own width (without this: 980 px, shrunk to fit).
        doc.template = PAGE_TEMPLATE
    pn.extension("mathjax", sizing_mode="stretch_width", notifications=False)
    # Panel adds config.css_files to the page head and to every component's shadow root.
    if NOTEBOOK_CSS not in pn.config.css_files:
        pn.config.css_files = [*pn.config.css_files, NOTEBOOK_CSS]
    # Links to boxes in the prose (#thm-...) and text alternatives (assets/js/notebook.js).
    pn.config.js_files = {**pn.config.js_files, "ot_notebook": PAGE_JS}
    # Panel's themes colour the components but not the page around them. Inside a session
    # these config values are the session's own, so one student's theme is not another's.
    name = "dark" if is_dark() else "default"
    background, text = theme.PAGE_COLORS[name]
    focus = theme.FOCUS_COLOR_DARK if name == "dark" else theme.FOCUS_COLOR
    pn.config.global_css = [
        f"body {{ background-color: {background}; color: {text}; "
        f"color-scheme: {'dark' if name == 'dark' else 'light'}; "
        f"--ot-focus-theme: {focus}; }}"  # inherited into every shadow root (notebook.css)
    ]
    if doc is not None and doc.session_context is not None:
        _serve_panel_css_locally(doc)
        pn.state.onload(_send_without_delay)
    if doc is not None and name == "dark":
        # Panel themes a figure before it joins the document, and joining re-applies the
        # document's own (light) theme; setting it on the document first keeps figures dark.
        doc.theme = theme.dark_bokeh_theme()


def _serve_panel_css_locally(doc) -> None:
    """Point this session's Panel stylesheets at this server, never at Panel's CDN.

    Panel's components name their stylesheets by CDN URL and rewrite them to the server's own
    ``static/extensions/panel/`` only when a process renders the page's HTML (it then stores
    ``dist_url`` in the document's template variables). With ``panel serve --num-procs N`` a
    websocket may reach another process than the page did; that process builds a fresh session
    without rendering HTML, so its stylesheets kept the CDN URLs and the page went online.
    Setting ``dist_url`` before any model is built makes every process use local URLs
    (the value is the one Panel's HTML handler computes; relative, so PREFIX still works).
    """
    from panel.io.resources import LOCAL_DIST

    rel_path = pn.state.rel_path
    doc.template_variables.setdefault(
        "dist_url", f"{rel_path}/{LOCAL_DIST}" if rel_path else LOCAL_DIST
    )


def _send_without_delay() -> None:
    """Turn Nagle's algorithm off on this session's websocket (see :func:`compat.set_nodelay`)."""
    compat.set_nodelay(pn.state.curdoc)


def is_embed() -> bool:
    """True when the page was opened with ``?embed=1`` (an iframe in a course page)."""
    return session_query().get("embed") in ("1", "true")


def is_dark() -> bool:
    """True when the session uses the dark theme (``?theme=dark``, read by Panel itself)."""
    return pn.config.theme == "dark"


# --- Pieces of the frame --------------------------------------------------------------------


def notices_pane(notices: list[str]) -> pn.viewable.Viewable:
    """Plain-text notices (escaped, never HTML) about ignored link values and similar."""
    if not notices:
        return pn.Spacer(height=0, sizing_mode="fixed", width=0)
    paragraphs = "".join(f"<p>{html.escape(n)}</p>" for n in notices)
    return pn.pane.HTML(
        f'<div class="ot-notice" role="status">{paragraphs}</div>', sizing_mode="stretch_width"
    )


def page_href(slug: str) -> str:
    """Link to a page, keeping the dark theme if this session uses it."""
    return registry.url(slug) + ("?theme=dark" if is_dark() else "")


def full_page_link(slug: str, what: str = "", query: dict[str, str] | None = None) -> pn.pane.HTML:
    """Embed mode: "open the full page" (in a new tab) for what the embed leaves out (``what``,
    plain text), at the view ``query`` the page was built with. notebook.js points it at the
    current view whenever it is about to be used (the address's query, which the page keeps
    current, without ``embed``): no server update per change of the view.
    """
    more = f" ({html.escape(what)})" if what else ""
    state = dict(query or {})
    if is_dark():
        state.setdefault("theme", "dark")
    href = html.escape(registry.url(slug) + url_search(state))
    return pn.pane.HTML(
        f'<a class="ot-full-page" href="{href}" target="_blank" rel="noopener">'
        f"Open the full page{more} ↗</a>",
        sizing_mode="stretch_width",
        margin=(2, 5),
        css_classes=["ot-full-link"],
    )


def _link(info: registry.PageInfo, text: str, rel: str | None = None) -> str:
    rel_attr = f' rel="{rel}"' if rel else ""
    return f'<a href="{html.escape(page_href(info.slug))}"{rel_attr}>{html.escape(text)}</a>'


def _nav_links(slug: str) -> str:
    prev_page, next_page = registry.neighbours(slug)
    links = []
    if prev_page is not None:
        links.append(_link(prev_page, f"← {prev_page.title}", "prev"))
    if slug != registry.HOME.slug:
        links.append(_link(registry.HOME, "Contents"))
    if next_page is not None:
        links.append(_link(next_page, f"{next_page.title} →", "next"))
    return "".join(links)


_TOGGLE_JS = """
const url = new URL(window.location.href);
if (url.searchParams.get("theme") === "dark") { url.searchParams.delete("theme"); }
else { url.searchParams.set("theme", "dark"); }
window.location.assign(url.href);
"""


def theme_toggle() -> pn.widgets.Button:
    """Button that reloads the page in the other theme, keeping the rest of the query."""
    button = pn.widgets.Button(
        label="Light theme" if is_dark() else "Dark theme",
        sizing_mode="fixed",
        width=112,
        height=34,
        margin=(6, 0, 0, 8),
        description=None,
    )
    button.js_on_click(code=_TOGGLE_JS)
    return button


def _topbar(slug: str) -> pn.viewable.Viewable:
    brand = _link(registry.HOME, "Optimal transport notebook")
    brand = brand.replace("<a ", '<a class="ot-brand" ', 1)
    nav = f'<nav class="ot-nav" aria-label="Pages">{_nav_links(slug)}</nav>'
    bar = pn.pane.HTML(f'<header class="ot-topbar">{brand}{nav}</header>', margin=(0, 5))
    return pn.Row(bar, theme_toggle(), css_classes=["ot-topbar-row"], sizing_mode="stretch_width")


def _bottom_nav(slug: str) -> pn.viewable.Viewable:
    links = _nav_links(slug)
    nav = f'<nav class="ot-nav ot-nav-bottom" aria-label="Previous and next">{links}</nav>'
    return pn.pane.HTML(nav, sizing_mode="stretch_width", margin=(0, 5))


def _title(slug: str) -> pn.viewable.Viewable:
    info = registry.info(slug)
    return pn.pane.HTML(
        f'<div class="ot-title"><h1>{html.escape(info.title)}</h1>'
        f'<p class="ot-promise">{html.escape(info.promise)}</p></div>',
        sizing_mode="stretch_width",
        margin=(0, 5),
    )


def _is_empty(viewable: pn.viewable.Viewable | None) -> bool:
    return viewable is None or (isinstance(viewable, pn.layout.ListLike) and not viewable.objects)


def caption(text: str) -> pn.pane.Markdown:
    """A figure's caption: 16 px (readable on a phone), in a grey that keeps 4.5:1 contrast on
    either theme's page."""
    return pn.pane.Markdown(
        text,
        sizing_mode="stretch_width",
        styles={"color": theme.caption_color(is_dark()), "font-size": "1rem"},
    )


def progress_bar(fraction: float, label: str) -> str:
    """A native progress bar named ``label`` for screen readers, ``fraction`` clamped to
    [0, 1] (a number the page computed; ``label`` is the page's own text, never user input).

    >>> progress_bar(0.426, "progress of the fit")[:40]
    '<progress max="100" value="43" aria-labe'
    """
    value = round(100 * min(max(float(fraction), 0.0), 1.0))
    return (
        f'<progress max="100" value="{value}" aria-label="{label}" '
        'style="width: 100%; height: 10px"></progress>'
    )


def live_status(*objects: pn.viewable.Viewable) -> pn.viewable.Viewable:
    """What a background job is doing (message, status, progress bar), announced by screen
    readers as it changes; a fixed minimum height, so the page below does not jump."""
    return compat.AttributedColumn(
        *objects,
        html_attributes={"aria-live": "polite"},
        sizing_mode="stretch_width",
        min_height=40,
    )


def embed_split(
    squares: list[Any], *side: pn.viewable.Viewable, full: tuple = ()
) -> pn.viewable.Viewable:
    """An embed view of (nearly) square Bokeh plots and their controls (``ot-embed-split``,
    notebook.css): two by two beside the ``side`` column in a 700 px frame, four in a row
    with the controls in rows under them from 900 px. The plots keep their shape (width :
    height) at the width they get; the ``full`` parts of ``side`` take a whole line of those
    rows."""
    for fig in squares:
        square = fig.width is None or fig.height is None
        fig.update(sizing_mode="scale_width", aspect_ratio=1 if square else fig.width / fig.height)
    plots = pn.Column(
        *(pn.pane.Bokeh(fig, sizing_mode="stretch_width") for fig in squares),
        css_classes=["ot-embed-squares"],
        sizing_mode="stretch_width",
    )
    for part in full:
        part.css_classes = [*part.css_classes, "ot-embed-full"]
    column = pn.Column(*side, css_classes=["ot-embed-side"], sizing_mode="stretch_width")
    return pn.Column(plots, column, css_classes=["ot-embed-split"], sizing_mode="stretch_width")


def embed_row(
    first: pn.viewable.Viewable, *second: pn.viewable.Viewable, second_width: int | None = None
) -> pn.viewable.Viewable:
    """An embed view's two parts side by side (``ot-embed-row``, notebook.css), one above the
    other on a phone: ``first`` beside a column of ``second`` (one part goes in as it is),
    that column ``second_width`` px wide from 600 px, or the two sharing the width equally
    (``ot-embed-halves``) with no width."""
    side = second[0] if len(second) == 1 else pn.Column(*second, sizing_mode="stretch_width")
    if second_width is None:
        layout = {"css_classes": ["ot-embed-row", "ot-embed-halves"]}
    else:
        css = (
            "@media (min-width: 600px) { :host(.ot-embed-row) "
            f"{{ grid-template-columns: minmax(0, 1fr) {second_width}px !important; }} }}"
        )
        layout = {"css_classes": ["ot-embed-row"], "stylesheets": [css]}
    return pn.Column(first, side, sizing_mode="stretch_width", **layout)


def embed_small_type(*tables: pn.viewable.Viewable) -> None:
    """Embed mode: these readout tables (``ReadoutTable``) in 12 px type, to fit the iframe."""
    for table in tables:
        css = f"table.{table.table_class} {{ font-size: 12px; }}"
        table.stylesheets = [*table.stylesheets, css]


def embed_tabs(*tabs: tuple[str, pn.viewable.Viewable]) -> pn.Tabs:
    """An embed view in tabs, ``(title, part)`` each, as wide as the frame; every tab stays in
    the document (``dynamic=False``), so a hidden tab keeps up with the model."""
    return pn.Tabs(*tabs, dynamic=False, sizing_mode="stretch_width")


def _body(
    controls: pn.viewable.Viewable | None,
    figure: pn.viewable.Viewable,
    figure_label: str,
    readouts: pn.viewable.Viewable | None = None,
    wide_figure: bool = False,
    embed: bool = False,
    **params: Any,
) -> pn.viewable.Viewable:
    """Controls beside the figure; below it in a narrow window, figure first (notebook.css).

    ``readouts`` go under the controls in the same column; a printed page keeps them and
    drops the controls (``ot-control-widgets``, notebook.css). A ``wide_figure`` (one that
    needs about 700 px) puts its controls below it up to a wider window (1100 px), so that
    between 820 and 1100 px the figure keeps its whole width instead of stacking its parts.
    ``embed``: the figure takes the whole width at any size, controls in rows below it.
    """
    labelled = compat.AttributedColumn(
        figure,
        html_attributes={"role": "figure", "aria-label": figure_label},
        sizing_mode="stretch_width",
    )
    if _is_empty(controls) and readouts is None:
        return pn.Row(labelled, css_classes=["ot-body", "ot-no-controls"], **params)
    side = (
        []
        if _is_empty(controls)
        else [pn.Column(controls, css_classes=["ot-control-widgets"], sizing_mode="stretch_width")]
    )
    if readouts is not None and embed and type(readouts) is pn.Column:
        side.extend(readouts.objects)  # several tables: each a cell of the rows (notebook.css)
    elif readouts is not None:
        side.append(readouts)
    panel_classes = ["ot-controls", "ot-embed-controls"] if embed else ["ot-controls"]
    panel = pn.Column(*side, css_classes=panel_classes, sizing_mode="stretch_width")
    classes = ["ot-body", "ot-wide-figure"] if wide_figure else ["ot-body"]
    if embed:
        classes.append("ot-embed-body")
    return pn.Row(panel, labelled, css_classes=classes, **params)


def _frame(slug: str, *parts: pn.viewable.Viewable) -> pn.viewable.Viewable:
    # The page's own content is the main landmark, between the header and the bottom links.
    main = compat.AttributedColumn(
        *parts, html_attributes={"role": "main"}, sizing_mode="stretch_width"
    )
    return pn.Column(
        _topbar(slug),
        main,
        _bottom_nav(slug),
        css_classes=["ot-page"],
        sizing_mode="stretch_width",
        max_width=PAGE_MAX_WIDTH,
    )


def notebook_page(
    slug: str,
    *,
    figure: pn.viewable.Viewable,
    controls: pn.viewable.Viewable,
    prose_pane: pn.viewable.Viewable | None = None,
    notices: list[str] | None = None,
    figure_label: str | None = None,
    embed: bool | None = None,
    takehome: pn.viewable.Viewable | None = None,
    readouts: pn.viewable.Viewable | None = None,
    wide_figure: bool = False,
) -> pn.viewable.Viewable:
    """Compose one page: full notebook frame, or figure + controls only in embed mode.

    ``figure_label`` is what a screen reader announces for the figure (defaults to the page's
    one-line promise); ``notices`` are plain-text messages shown above the figure;
    ``takehome`` (save the figure, download as notebook, show the code: see
    :mod:`pages.takehome`) goes under the figure on the full page.
    """
    info = registry.info(slug)
    label = figure_label or f"{info.title}: {info.promise}"
    notice = notices_pane(notices or [])
    if is_embed() if embed is None else embed:
        # Width fills the iframe; height is the figure's own (stretch_both needs a sized parent
        # and left stretch_width figures at their default width). The figure takes the whole
        # width at any size; controls and readouts go below it in rows (ot-embed, notebook.css).
        if isinstance(controls, pn.layout.ListLike):
            controls.css_classes = [*controls.css_classes, "ot-embed-controls"]
        body = _body(controls, figure, label, readouts, embed=True, sizing_mode="stretch_width")
        return pn.Column(notice, body, css_classes=["ot-embed"], sizing_mode="stretch_width")
    body = _body(controls, figure, label, readouts, wide_figure, sizing_mode="stretch_width")
    parts = [_title(slug), notice, body]
    if takehome is not None:
        parts.append(takehome)
    if prose_pane is not None:
        parts.append(prose_pane)
    return _frame(slug, *parts)


def text_page(
    slug: str, *parts: pn.viewable.Viewable, embed: bool | None = None
) -> pn.viewable.Viewable:
    """A page of text only (the home page): the frame without a figure.

    In embed mode the text alone is shown, without header and navigation.
    """
    if is_embed() if embed is None else embed:
        return pn.Column(*parts, css_classes=["ot-embed"], sizing_mode="stretch_width")
    return _frame(slug, _title(slug), *parts)


def contents_list() -> pn.viewable.Viewable:
    """The table of contents by chapter: each page's title as a link, and its promise.

    Chapters without pages yet are left out (the registry lists all four).
    """
    chapters = []
    for chapter in registry.CHAPTERS:
        pages = registry.chapter_pages(chapter.number)
        if not pages:
            continue
        items = "".join(
            f"<li>{_link(info, info.title)}"
            f'<span class="ot-promise">{html.escape(info.promise)}</span></li>'
            for info in pages
        )
        chapters.append(
            f'<li class="ot-toc-chapter"><h3>Chapter {chapter.number}: '
            f"{html.escape(chapter.title)}</h3>"
            f'<p class="ot-promise">{html.escape(chapter.promise)}</p>'
            f'<ol class="ot-toc">{items}</ol></li>'
        )
    return pn.pane.HTML(
        f'<nav aria-label="Contents"><h2 class="ot-toc-title">Contents</h2>'
        f'<ol class="ot-toc-chapters">{"".join(chapters)}</ol></nav>',
        sizing_mode="stretch_width",
        margin=(0, 5),
    )
