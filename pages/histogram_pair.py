"""Two histograms p and q on a uniform grid: the bar heights and the model plumbing around them.

Shared by the pages whose two draggable histograms come from a named preset
(/transport_plan, /one_dimension, /duality, /sinkhorn, /unbalanced). The helpers keep bar
heights as these pages keep them (in [0, ``YMAX``], ``HEIGHT_DIGITS`` significant digits), so a
link and the code box reproduce the view exactly. :class:`HistogramPair` is the part of a
page's model that holds ``preset``, ``n``, ``p`` and ``q``: it fills p and q from the preset
when they are not given and resets them when a preset is chosen.
"""

from __future__ import annotations

import numpy as np
import param

from ot_engine.histograms import PRESETS, preset_pair, rebin
from pages import theme
from pages.components.flow import Flow
from pages.components.histogram import Histogram
from pages.query import float_list
from pages.transport_plan_plots import YMAX

#: Bins when a link does not say (/transport_plan's default).
DEFAULT_N = 64
DEFAULT_PRESET = PRESETS[0]
#: Heights are kept to this many significant digits, so that a link and the code box
#: reproduce the view exactly (the URL writes heights with the same precision).
HEIGHT_DIGITS = 4
#: Preset bars below this height are set to zero (short links, true empty bins).
PRESET_FLOOR = 1e-3


def round_heights(h) -> np.ndarray:
    """Heights as the pages keep them: in [0, 1], ``HEIGHT_DIGITS`` significant digits.

    >>> round_heights([0.123456, -1.0, float("nan"), 2.0]).tolist()
    [0.1235, 0.0, 0.0, 1.0]
    """
    h = np.clip(np.nan_to_num(np.asarray(h, dtype=np.float64), nan=0.0), 0.0, YMAX)
    return np.array([float(f"{v:.{HEIGHT_DIGITS}g}") for v in h])


def preset_heights(name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Bar heights of the :mod:`ot_engine.histograms` preset ``name`` on ``n`` bins, rounded
    (bars below ``PRESET_FLOOR`` set to zero).

    >>> p, q = preset_heights(PRESETS[0], 16)
    >>> p.size, q.size, bool(p.max() <= 1.0)
    (16, 16, True)
    """
    p, q = preset_pair(name, n)
    p[p < PRESET_FLOOR] = 0.0
    q[q < PRESET_FLOOR] = 0.0
    return round_heights(p), round_heights(q)


def fit_heights(h: np.ndarray, n: int) -> np.ndarray:
    """``h`` on ``n`` bins (rebinned, mass kept); an empty histogram stays empty.

    >>> fit_heights(np.zeros(4), 2).tolist()
    [0.0, 0.0]
    """
    if h.size == n:
        return h
    if not h.any():
        return np.zeros(n)
    return round_heights(rebin(h, n))


def parse_heights(raw: str) -> np.ndarray:
    """The value of a ``p`` or ``q`` query key: 2 to 1024 comma-separated heights in [0, 1],
    not all zero, rounded as the pages keep them.

    >>> parse_heights("0.5,0.123456").tolist()
    [0.5, 0.1235]
    """
    values = np.asarray(float_list(2, 1024, 0.0, YMAX)(raw))
    if not values.any():
        raise ValueError("it has no mass (every bar is zero)")
    return round_heights(values)


def rebinned_notices(values: dict, n: int) -> list[str]:
    """What a page says when a link's ``p`` or ``q`` (``values`` as parsed) had not ``n`` bars.

    >>> rebinned_notices({"p": np.ones(3), "q": np.ones(4)}, 4)
    ["The link's 'p' had 3 bars; it was rebinned to 4 bins (n decides the number of bins)."]
    """
    return [
        f"The link's '{name}' had {values[name].size} bars; it was rebinned to "
        f"{n} bins (n decides the number of bins)."
        for name in ("p", "q")
        if name in values and values[name].size != n
    ]


class HistogramPair(param.Parameterized):
    """A model's ``preset``, ``n`` and the two histograms ``p`` and ``q`` on ``n`` bins.

    p and q not given to the constructor are the preset's; :meth:`apply_preset` (and choosing
    a ``preset``) sets them to a preset's on the current ``n``. A page with its own presets
    redeclares ``preset`` and overrides :meth:`preset_heights`; a page with another bin count
    redeclares ``n``.
    """

    preset = param.Selector(default=DEFAULT_PRESET, objects=list(PRESETS), label="Preset")
    n = param.Integer(DEFAULT_N, bounds=(16, 256), label="Bins")
    p = param.Array(default=None, label="Source heights")
    q = param.Array(default=None, label="Target heights")

    #: True while apply_preset runs (a model may skip its warm start then).
    _applying_preset = False

    @staticmethod
    def preset_heights(name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The heights of p and q for the preset ``name`` on ``n`` bins (the hook)."""
        return preset_heights(name, n)

    def __init__(self, **params):
        cls = type(self)
        p, q = self.preset_heights(
            params.get("preset", cls.param["preset"].default),
            params.get("n", cls.param["n"].default),
        )
        params["p"] = p if params.get("p") is None else params["p"]
        params["q"] = q if params.get("q") is None else params["q"]
        super().__init__(**params)

    def apply_preset(self, name: str) -> None:
        """Set ``preset`` to ``name`` and p and q to its heights on ``n`` bins, in one update."""
        p, q = self.preset_heights(name, self.n)
        self._applying_preset = True
        try:
            self.param.update(preset=name, p=p, q=q)
        finally:
            self._applying_preset = False

    @param.depends("preset", watch=True)
    def _preset_chosen(self) -> None:
        if not self._applying_preset:  # else apply_preset set it along with p and q
            self.apply_preset(self.preset)


def source_and_target(
    x: np.ndarray,
    model: HistogramPair,
    flow: Flow,
    *,
    prefix: str,
    width: int,
    height: int,
    x_range=None,
    ymax: float = 1.0,
    notes: tuple[str, str] = ("", ""),
) -> dict[str, Histogram]:
    """The model's source ``p`` and target ``q`` as draggable histograms on the grid ``x``.

    Both answer through ``flow`` (their syncs carry the keys ``p`` and ``q``), round what the
    browser sends like the model does (:func:`round_heights`) and share ``x_range``. Titles
    read "source p: drag the bars", with ``notes`` added after the names (e.g. " (t = 0)");
    the Bokeh models are named ``<prefix>_p`` and ``<prefix>_q``.
    """
    return {
        name: Histogram(
            x,
            getattr(model, name),
            flow=flow,
            key=name,
            normalize=round_heights,
            ymax=ymax,
            title=f"{role} {name}{note}: drag the bars",
            label=f"{role} histogram {name}",
            color=color,
            width=width,
            height=height,
            x_range=x_range,
            name=f"{prefix}_{name}",
        )
        for name, role, note, color in (
            ("p", "source", notes[0], theme.SOURCE_COLOR),
            ("q", "target", notes[1], theme.TARGET_COLOR),
        )
    }
