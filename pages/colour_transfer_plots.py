"""The figures of /colour_transfer: palettes in a chroma plane, before/after, upload, thumbnails.

- :class:`ChromaFigure`: both palettes as points in an opponent-colour plane (each point drawn
  in its own colour) and, for some source colours, a line to where the method sends them;
- :class:`BeforeAfter`: the recoloured picture over the original, split by a slider that
  runs in the browser alone (``assets/js/colour_transfer_compare.js``);
- :class:`ImageUpload`: a native file input that checks size and type in the browser
  before sending anything (``assets/js/colour_transfer_upload.js``);
- :func:`thumbnails_html`: the four methods' results side by side.
"""

from __future__ import annotations

import html
import math

import numpy as np
import panel as pn
import param
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

from pages import compat, theme
from pages.colour_transfer_images import MAX_UPLOAD_BYTES
from pages.components import js

#: Lines drawn from source colours to their images (a fixed, spread subset of the palette).
MAX_LINES = 160
#: Points of each palette drawn (the palette itself can hold 2000).
MAX_POINTS = 1000


def chroma(colours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Opponent-colour coordinates of RGB colours: red against green, and yellow against
    blue; grey is the origin and the lightness axis is projected out.

    >>> [float(v[0]) for v in chroma(np.array([[0.5, 0.5, 0.5]]))]
    [0.0, 0.0]
    """
    r, g, b = colours[:, 0], colours[:, 1], colours[:, 2]
    return (r - g) / math.sqrt(2), (r + g - 2 * b) / math.sqrt(6)


def hex_colours(colours: np.ndarray) -> list[str]:
    """``#rrggbb`` of RGB colours in [0, 1].

    >>> hex_colours(np.array([[1.0, 0.5, 0.0]]))
    ['#ff8000']
    """
    c = (np.clip(colours, 0, 1) * 255 + 0.5).astype(int)
    return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in c]


def _fit(colours: np.ndarray, limit: float) -> tuple[float, float, float]:
    """Centre (x, y) and half-width of a square view holding the colours' chroma points
    (padded by 10 %, at least 0.15, at most the whole plane).

    >>> _fit(np.array([[0.5, 0.5, 0.5]]), 0.85)
    (0.0, 0.0, 0.15)
    """
    if len(colours) == 0:
        return 0.0, 0.0, limit
    x, y = chroma(colours)
    cx, cy = (x.min() + x.max()) / 2, (y.min() + y.max()) / 2
    half = 0.55 * max(x.max() - x.min(), y.max() - y.min())
    return float(cx), float(cy), float(min(max(half, 0.15), limit))


def _spread(n: int, k: int) -> np.ndarray:
    """``k`` indices spread evenly over ``range(n)`` (all of them if ``n <= k``)."""
    return np.arange(n) if n <= k else np.linspace(0, n - 1, k).round().astype(int)


class ChromaFigure:
    """Source and target palettes in the chroma plane, with lines x -> T(x)."""

    LIMIT = 0.85  # the RGB cube's chroma plane spans about +-0.82

    def __init__(self) -> None:
        fig = figure(
            tools="",
            toolbar_location=None,
            width=380,
            height=380,
            sizing_mode="scale_width",
            max_width=400,
            x_range=(-self.LIMIT, self.LIMIT),
            y_range=(-self.LIMIT, self.LIMIT),
            x_axis_label="red − green",
            y_axis_label="yellow − blue",
            title="Palettes: source ●, target ◆",
        )
        theme.style_figure(fig)
        self.lines = ColumnDataSource({"x0": [], "y0": [], "x1": [], "y1": []})
        self.source = ColumnDataSource({"x": [], "y": [], "c": []})
        self.target = ColumnDataSource({"x": [], "y": [], "c": []})
        fig.scatter("x", "y", source=self.target, marker="diamond", size=9, fill_color="c",
                    line_color=theme.TARGET_COLOR, line_width=0.6, fill_alpha=0.85)  # fmt: skip
        fig.scatter("x", "y", source=self.source, marker="circle", size=6, fill_color="c",
                    line_color=theme.SOURCE_COLOR, line_width=0.6, fill_alpha=0.85)  # fmt: skip
        fig.segment("x0", "y0", "x1", "y1", source=self.lines, line_color=theme.MUTED_COLOR,
                    line_width=1.2, line_alpha=0.7)  # fmt: skip
        self.figure = fig
        self._X = self._Y = self._TX = None

    def _zoom(self, colours: np.ndarray) -> None:
        cx, cy, half = _fit(colours, self.LIMIT)
        fig = self.figure
        fig.x_range.update(start=cx - half, end=cx + half)
        fig.y_range.update(start=cy - half, end=cy + half)

    def update(self, X: np.ndarray, Y: np.ndarray, TX: np.ndarray | None) -> None:
        """Draw palettes ``X``, ``Y`` and lines from some ``x_i`` to ``TX[i]`` (none if None).

        The palettes (up to 2 x 1000 coloured points) are sent only when they are new arrays:
        a method switch moves the lines alone.
        """
        if X is not self._X or Y is not self._Y:
            self._X, self._Y = X, Y
            self._palettes(X, Y)
            self._TX = None
        if TX is None or TX is not self._TX:  # a redraw of the same map sends nothing
            self._TX = TX
            self._lines(X, TX)

    def _palettes(self, X: np.ndarray, Y: np.ndarray) -> None:
        self._zoom(np.vstack([X, Y]) if len(X) + len(Y) else X)
        for src, P in ((self.source, X), (self.target, Y)):
            sub = P[_spread(len(P), MAX_POINTS)]
            x, y = chroma(sub)
            src.data = {"x": x.astype(np.float32), "y": y.astype(np.float32),
                        "c": hex_colours(sub)}  # fmt: skip

    def _lines(self, X: np.ndarray, TX: np.ndarray | None) -> None:
        if TX is None:
            self.lines.data = {"x0": [], "y0": [], "x1": [], "y1": []}
            return
        k = _spread(len(X), MAX_LINES)
        x0, y0 = chroma(X[k])
        x1, y1 = chroma(TX[k])
        self.lines.data = {"x0": x0, "y0": y0, "x1": x1, "y1": y1}


class BeforeAfter(pn.custom.JSComponent):
    """The original picture and its recoloured version, split by a slider in the browser."""

    before = param.String(default="", doc="data URI of the original (PNG)")
    after = param.String(default="", doc="data URI of the recoloured picture (PNG)")
    before_alt = param.String(default="the original picture")
    after_alt = param.String(default="the recoloured picture")
    aspect = param.Number(default=1.5, doc="width / height of the pictures")

    _esm = js.path("colour_transfer_compare.js")
    _stylesheets = [  # noqa: RUF012 (Panel's class attribute)
        """
.ct-compare { position: relative; width: 100%; max-width: 576px; background: #888; }
.ct-compare img { position: absolute; inset: 0; width: 100%; height: 100%; display: block; }
.ct-split { position: absolute; top: 0; bottom: 0; width: 2px; margin-left: -1px;
  background: #fff; box-shadow: 0 0 0 1px #000; pointer-events: none; }
.ct-range { width: 100%; max-width: 576px; margin: 8px 0 0 0; display: block; }
.ct-range:focus-visible { outline: 3px solid var(--ot-focus-theme, #c45200); outline-offset: 2px; }
"""
    ]


class ImageUpload(pn.custom.JSComponent):
    """A PNG/JPEG picker that sends the file (base64) only if the browser found it small
    enough; ``nonce`` counts the attempts (accepted or ``refused`` with a reason)."""

    label = param.String(default="Upload a picture", constant=True)
    max_bytes = param.Integer(default=MAX_UPLOAD_BYTES, constant=True)
    data = param.String(default="", doc="the file, base64 (browser-written)")
    filename = param.String(default="")
    refused = param.String(default="", doc="the browser's reason for not sending a file")
    nonce = param.Integer(default=0)

    _esm = js.path("colour_transfer_upload.js")
    _stylesheets = [  # noqa: RUF012 (Panel's class attribute)
        """
.ct-upload { display: flex; flex-direction: column; gap: 4px; font-size: 0.95rem; }
.ct-upload input { max-width: 100%; font-size: 0.9rem; }
.ct-upload input:focus-visible { outline: 3px solid var(--ot-focus-theme, #c45200);
  outline-offset: 2px; }
"""
    ]
    BROWSER_WRITABLE = ("data", "filename", "refused", "nonce")
    #: Items of the largest value the browser may send (base64 text counts 1 per 64 chars).
    MAX_ITEMS = (MAX_UPLOAD_BYTES * 4 // 3) // 64 + 16

    def _get_model(self, doc, root=None, parent=None, comm=None):
        model = super()._get_model(doc, root, parent, comm)
        compat.browser_writable(model.data, self.MAX_ITEMS, *self.BROWSER_WRITABLE)
        return model


def thumbnails_html(items: list[tuple[str, str, str, bool]]) -> str:
    """The methods side by side: (data URI or "", caption, alt text, selected) per method."""
    cells = []
    for uri, caption, alt, selected in items:
        picture = (
            f'<img src="{uri}" alt="{html.escape(alt)}">'
            if uri
            else '<div class="ct-wait">solving…</div>'
        )
        cls = "ct-thumb ct-selected" if selected else "ct-thumb"
        cells.append(
            f'<figure class="{cls}">{picture}<figcaption>{html.escape(caption)}</figcaption>'
            "</figure>"
        )
    return '<div class="ct-thumbs">' + "".join(cells) + "</div>"


def selected_thumb_css(index: int) -> str:
    """The frame around the ``index``-th thumbnail (the method shown): a small stylesheet, so
    a method switch does not send the thumbnails again."""
    return f".ct-thumb:nth-child({index + 1}) {{ border-color: var(--ot-focus-theme, #c45200); }}"


THUMBS_CSS = """
.ct-thumbs { display: grid; grid-template-columns: repeat(auto-fill, minmax(130px, 1fr));
  gap: 8px; width: 100%; }
.ct-thumb { margin: 0; padding: 3px; border: 2px solid transparent; border-radius: 4px; }
.ct-thumb.ct-selected { border-color: var(--ot-focus-theme, #c45200); }
.ct-thumb img { width: 100%; height: auto; display: block; }
.ct-thumb figcaption { font-size: 0.9rem; text-align: center; }
.ct-wait { aspect-ratio: 3 / 2; display: flex; align-items: center; justify-content: center;
  background: rgba(128, 128, 128, 0.15); }
"""
