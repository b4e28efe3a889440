"""Geometry: where the mass lives and what moving it costs."""

from __future__ import annotations

import numpy as np

from .validation import MAX_SIZE, InvalidInput, check_points, check_positive

__all__ = ["cost_matrix", "uniform_grid"]


def uniform_grid(n: int, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """Centers of ``n`` equal bins that tile the interval ``[low, high]``.

    Parameters
    ----------
    n : int
        Number of bins, ``1 <= n <= MAX_SIZE`` (2048).
    low, high : float
        Ends of the interval, ``low < high``.

    Returns
    -------
    x : ndarray, shape (n,)
        ``x[i] = low + (i + 1/2) (high - low) / n``.

    Raises
    ------
    InvalidInput
        If ``n`` is not a whole number in range or the interval is empty or not finite.

    Examples
    --------
    >>> uniform_grid(4)
    array([0.125, 0.375, 0.625, 0.875])
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= MAX_SIZE:
        raise InvalidInput(f"n must be a whole number of bins between 1 and {MAX_SIZE}, got {n!r}")
    lo, hi = float(low), float(high)
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        raise InvalidInput(f"the interval must satisfy low < high (finite), got [{lo}, {hi}]")
    width = (hi - lo) / n
    return lo + width * (np.arange(n, dtype=np.float64) + 0.5)


def cost_matrix(x, y, power: float = 2.0) -> np.ndarray:
    """Ground cost ``C[i, j] = |x_i - y_j|^power`` between two sets of points.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
        Source points; a 1D array is read as ``n`` points on the line.
    y : array_like, shape (m,) or (m, d)
        Target points, in the same dimension as ``x``.
    power : float, default 2
        Exponent ``p > 0`` applied to the Euclidean distance; ``p = 2`` is the squared
        distance used for W2, ``p = 1`` the distance used for W1.

    Returns
    -------
    C : ndarray, shape (n, m)
        Non-negative float64 costs.

    Raises
    ------
    InvalidInput
        If the point sets are empty, too large, not finite, of different dimension, or the
        power is not positive.

    Examples
    --------
    >>> cost_matrix([0.0, 1.0], [0.0, 0.5, 2.0], power=2)
    array([[0.  , 0.25, 4.  ],
           [1.  , 0.25, 1.  ]])
    """
    X = check_points("x", x)
    Y = check_points("y", y, dim=X.shape[1])
    p = check_positive("power", power)
    if X.shape[1] == 1:
        dist = np.abs(X[:, 0][:, None] - Y[:, 0][None, :])
    else:
        sq = (X * X).sum(1)[:, None] + (Y * Y).sum(1)[None, :] - 2.0 * X @ Y.T
        np.maximum(sq, 0.0, out=sq)
        if p == 2.0:
            return sq
        dist = np.sqrt(sq)
    if p == 1.0:
        return dist
    if p == 2.0:
        return dist * dist
    return dist**p
