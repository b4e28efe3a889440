"""The one page base: a Viewer over a param model, with query keys, figure, controls, prose.

Every page of the notebook is a :class:`NotebookPage`. A page class names its registry slug,
its model class and its deep-link keys, and builds its figure and controls; this base applies
the link's query to the model (validated key by key), keeps the URL in step, and composes the
frame (full notebook page, or figure and controls only with ``?embed=1``) in one place,
:meth:`NotebookPage.__panel__`.

:func:`serve` is what each served entry point calls (see :mod:`pages.registry`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import panel as pn
import param

from pages import prose, registry, shell
from pages.query import QueryKey, bind_query, session_query


class NotebookPage(pn.viewable.Viewer):
    """Base of every page: subclasses set the class attributes and build figure and controls.

    Subclasses set ``slug`` (the registry entry), ``model_class`` (a ``param.Parameterized``
    holding all the state a link can carry) and ``query_keys``; they implement
    :meth:`figure` and :meth:`controls`, and may override :meth:`prose` and
    :meth:`link_notices`. Build a served page with :meth:`create` (reads the session's query);
    tests build one directly from a model: ``Page(Model(...))``.
    """

    slug: ClassVar[str] = ""
    model_class: ClassVar[type[param.Parameterized] | None] = None
    query_keys: ClassVar[tuple[QueryKey, ...]] = ()

    model = param.Parameter(default=None, doc="The page's state (an instance of model_class).")

    def __init__(
        self,
        model: param.Parameterized | None = None,
        *,
        notices: list[str] | None = None,
        embed: bool | None = None,
        **params: Any,
    ) -> None:
        if model is None and self.model_class is not None:
            model = self.model_class()
        super().__init__(model=model, **params)
        #: Plain-text messages shown above the figure (ignored link values and the like).
        self.notices = list(notices or [])
        #: ``?embed=1``: figure and controls only, sized for an iframe.
        self.embed = shell.is_embed() if embed is None else embed

    @classmethod
    def create(cls) -> NotebookPage:
        """This session's page: a fresh model with the link's values applied and bound."""
        model = cls.model_class() if cls.model_class is not None else None
        notices: list[str] = []
        if model is not None:
            notices = bind_query(model, cls.query_keys)
            notices += cls.link_notices(model, session_query())
        return cls(model, notices=notices)

    @classmethod
    def link_notices(cls, model: param.Parameterized, query: dict[str, str]) -> list[str]:
        """Extra notices about how the link's values were applied (none by default)."""
        return []

    @property
    def info(self) -> registry.PageInfo:
        return registry.info(self.slug)

    # --- what a page builds ---------------------------------------------------------------

    def figure(self) -> pn.viewable.Viewable:
        raise NotImplementedError

    def controls(self) -> pn.viewable.Viewable | None:
        return None

    def side_readouts(self) -> pn.viewable.Viewable | None:
        """Readouts shown under the controls (beside the figure; they print, the controls do
        not). None when the page keeps its readouts in the figure."""
        return None

    def prose(self) -> pn.viewable.Viewable | None:
        return prose.prose_pane(self.slug)

    figure_label: ClassVar[str | None] = None
    #: A figure that needs about 700 px: its controls go below it up to 1100 px wide
    #: (shell._body), so it never stacks its own parts beside a controls column.
    wide_figure: ClassVar[bool] = False

    # --- take it home (pages.takehome) ----------------------------------------------------

    #: Whether the figure can be saved as SVG (Bokeh plots only; a Canvas-2D component is
    #: a raster, so its page offers PNG alone).
    figure_svg: ClassVar[bool] = True

    def takehome(self):
        """The current view as code and notes (a :class:`pages.takehome.TakeHome`), or None.

        Implement it to get the "Show the code" box and the "Download as notebook" button.
        It must be cheap (text only): the open code box calls it on every change.
        """
        return None

    def caption_lines(self) -> list[str]:
        """The readouts as plain lines, drawn under a saved figure (none by default)."""
        return []

    def view_query(self) -> dict[str, str]:
        """The deep-link query of the current view (as written to the address bar)."""
        from pages import takehome

        return takehome.view_query(self.model, self.query_keys) if self.model else {}

    def view_link(self):
        """A link back to the current view (:class:`pages.takehome.ViewLink`)."""
        from pages import takehome

        return takehome.view_link(self.slug, self.view_query())

    def full_page_link(self, left_out: str = "") -> pn.pane.HTML:
        """Embed mode: a visible "open the full page" link to this view in a new tab
        (:func:`shell.full_page_link`); ``left_out`` says what only the full page shows."""
        return shell.full_page_link(self.slug, left_out, self.view_query())

    #: Embed mode (``?embed=1``): each Bokeh plot's height is scaled by this, so the figure
    #: and its controls fit a 700 x 600 iframe; plots and their containers stretch to the
    #: iframe's width (:func:`fit_embed`). None: the page lays out its embed view itself.
    embed_height_scale: ClassVar[float | None] = 0.6

    def __panel__(self) -> pn.viewable.Viewable:
        figure, controls = self.figure(), self.controls()
        if self.embed and self.embed_height_scale is not None:
            fit_embed(figure, self.embed_height_scale)
        strip = None
        if not self.embed:
            from pages import takehome

            strip = takehome.takehome_strip(self)
        return shell.notebook_page(
            self.slug,
            figure=figure,
            controls=controls,
            readouts=self.side_readouts(),
            prose_pane=None if self.embed else self.prose(),
            notices=self.notices,
            figure_label=self.figure_label,
            embed=self.embed,
            takehome=strip,
            wide_figure=self.wide_figure,
        )


#: Smallest height a plot is scaled to in embed mode (its axes and title still fit).
EMBED_MIN_PLOT_HEIGHT = 110


def fit_embed(viewable: Any, scale: float, keep_width: bool = False) -> None:
    """Embed mode: lower every Bokeh plot under ``viewable`` to ``scale`` of its height and let
    plots and fixed-width containers stretch to the iframe's width.

    The parts of a wrapping row (a ``FlexBox``) keep their widths (``keep_width``): stretched,
    each would take a whole line. A plot that keeps its aspect (``match_aspect``: points in the
    plane, where a stretched axis would mislead) is scaled in both directions.
    """
    from bokeh.models import LayoutDOM, Plot

    if isinstance(viewable, pn.pane.Bokeh):
        root = viewable.object
        for model in root.references() if root is not None else ():
            if isinstance(model, Plot):
                _fit_plot(model, scale, keep_width)
            elif isinstance(model, LayoutDOM) and not keep_width:
                if model.sizing_mode in (None, "fixed"):
                    model.update(sizing_mode="stretch_width", width=None)
        if not keep_width:
            viewable.param.update(sizing_mode="stretch_width", width=None)
        return
    if isinstance(viewable, pn.layout.Panel | pn.layout.FlexBox):
        if not keep_width and viewable.sizing_mode in (None, "fixed"):
            viewable.param.update(sizing_mode="stretch_width", width=None)
        inner = keep_width or isinstance(viewable, pn.layout.FlexBox)
        for child in viewable.objects:
            fit_embed(child, scale, inner)


def _fit_plot(plot, scale: float, keep_width: bool) -> None:
    fixed = plot.sizing_mode in (None, "fixed")
    if plot.height is not None and plot.sizing_mode not in ("stretch_height", "stretch_both"):
        plot.height = max(EMBED_MIN_PLOT_HEIGHT, round(plot.height * scale))
    if getattr(plot, "match_aspect", False):
        # Scaled both ways and fixed: a stretched width would distort fixed ranges.
        width = plot.width if plot.width is not None else plot.height
        plot.update(width=max(EMBED_MIN_PLOT_HEIGHT, round(width * scale)), sizing_mode="fixed")
    elif fixed and not keep_width:
        plot.update(sizing_mode="stretch_width", width=None)


def serve(slug: str) -> None:
    """Build this session's page for ``slug`` and make it the document (served entry points)."""
    shell.extension()
    page = registry.page_class(slug).create()
    page.servable(title=registry.info(slug).title)
