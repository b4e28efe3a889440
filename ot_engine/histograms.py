"""Histograms on the unit interval for the interactive pages: named shapes and rebinning.

A page shows a histogram as bar *heights* on ``n`` equal bins of ``[0, 1]`` (the grid of
:func:`ot_engine.uniform_grid`).  Heights are a density up to a constant factor: the solvers
normalize them to unit mass.  This module makes the named starting shapes and moves a
histogram from one bin count to another without losing or inventing mass.
"""

from __future__ import annotations

import numpy as np

from .geometry import uniform_grid
from .validation import InvalidInput, check_histogram

__all__ = ["PRESETS", "preset_pair", "rebin"]

#: Tallest bar a preset draws (pages plot heights on a fixed axis from 0 to 1).
PRESET_PEAK = 0.9

#: Names of the starting shapes, in the order a page lists them.
PRESETS = (
    "two Gaussians",
    "bimodal to unimodal",
    "uniform to spike",
    "shifted copy",
    "split atom",
)


def _bump(x: np.ndarray, center: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - center) / width) ** 2)


def _atom(x: np.ndarray, where: float) -> np.ndarray:
    """All of the height on the single bin whose center is nearest ``where``."""
    out = np.zeros_like(x)
    out[int(np.argmin(np.abs(x - where)))] = 1.0
    return out


def _scaled(h: np.ndarray) -> np.ndarray:
    return PRESET_PEAK * h / h.max()


def preset_pair(name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Source and target bar heights of a named starting shape on ``n`` bins of ``[0, 1]``.

    Parameters
    ----------
    name : str
        One of :data:`PRESETS`.
    n : int
        Number of bins (``1 <= n <= 2048``).

    Returns
    -------
    p, q : ndarray, shape (n,)
        Non-negative heights whose largest bar is ``PRESET_PEAK`` (0.9).

    Raises
    ------
    InvalidInput
        For an unknown name or a bad ``n``.

    Examples
    --------
    >>> p, q = preset_pair("split atom", 16)
    >>> int((p > 0).sum()), int((q > 0).sum())
    (1, 2)
    """
    x = uniform_grid(n)
    if name == "two Gaussians":
        p, q = _bump(x, 0.3, 0.08), _bump(x, 0.7, 0.08)
    elif name == "bimodal to unimodal":
        p, q = _bump(x, 0.2, 0.06) + _bump(x, 0.8, 0.06), _bump(x, 0.5, 0.1)
    elif name == "uniform to spike":
        p, q = np.ones(n), _bump(x, 0.6, 0.015)
    elif name == "shifted copy":

        def shape(s):
            return _bump(x, 0.2 + s, 0.05) + 0.5 * _bump(x, 0.38 + s, 0.04)

        p, q = shape(0.0), shape(0.35)
    elif name == "split atom":
        p, q = _atom(x, 0.5), _atom(x, 0.2) + _atom(x, 0.8)
    else:
        raise InvalidInput(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
    return _scaled(p), _scaled(q)


def rebin(heights, n: int) -> np.ndarray:
    """Move bar heights on equal bins of ``[0, 1]`` to ``n`` equal bins, keeping the mass.

    The histogram is read as a piecewise-constant density; each new bar is the average of
    that density over its bin.  Total mass (``heights.mean()``, the integral over ``[0, 1]``)
    is kept, and the tallest bar never grows, so heights stay on a page's fixed axis.

    Parameters
    ----------
    heights : array_like, shape (m,)
        Non-negative, finite heights with positive total.
    n : int
        New number of bins, ``1 <= n <= 2048``.

    Returns
    -------
    ndarray, shape (n,)

    Raises
    ------
    InvalidInput
        For negative, non-finite or massless heights, or a bad ``n``.

    Examples
    --------
    >>> rebin([0.0, 1.0], 4)
    array([0., 0., 1., 1.])
    >>> rebin([1.0, 0.0, 0.0, 1.0], 2)
    array([0.5, 0.5])
    """
    h = check_histogram("heights", heights)
    new_edges = np.linspace(0.0, 1.0, uniform_grid(n).size + 1)
    old_edges = np.linspace(0.0, 1.0, h.size + 1)
    # The cumulative mass is piecewise linear between the old edges: interpolate it exactly.
    cumulative = np.concatenate(([0.0], np.cumsum(h) / h.size))
    mass = np.diff(np.interp(new_edges, old_edges, cumulative))
    return np.clip(mass * n, 0.0, h.max())
