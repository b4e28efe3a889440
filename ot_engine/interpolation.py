r"""Displacement (McCann) interpolation: moving the mass, against mixing the densities.

Between two measures :math:`\mu_0, \mu_1` with an optimal plan :math:`\pi`, McCann's
interpolant carries each pair :math:`(x, y) \sim \pi` along the segment between them:

.. math::  \mu_t = \big((1 - t)\,x + t\,y\big)_\# \pi, \qquad 0 \le t \le 1.

It is a constant-speed geodesic of :math:`W_2`: for all :math:`0 \le s \le t \le 1`,
:math:`W_2(\mu_s, \mu_t) = (t - s)\,W_2(\mu_0, \mu_1)`. The plan ``pi`` restricted to the
pairs gives :math:`W_2(\mu_0, \mu_t) \le t W_2(\mu_0, \mu_1)` and
:math:`W_2(\mu_t, \mu_1) \le (1 - t) W_2(\mu_0, \mu_1)`; the triangle inequality forces both
to be equalities. The linear mixture :math:`(1 - t)\mu_0 + t\mu_1` is a straight line in the
space of densities but not a geodesic: for a translated atom at distance ``d`` it is at
distance :math:`\sqrt{t}\,d` from :math:`\mu_0`.

Verbs:

- :func:`displacement_1d`: on the line the plan is the monotone one, so the interpolant is the
  law of :math:`(1 - t) F^{-1}(s) + t G^{-1}(s)`, :math:`s \sim U(0, 1)`: exactly a finite set
  of atoms (one per piece of :func:`ot_engine.transport_1d`), and its exact bin masses on the
  grid;
- :func:`mccann_2d`: two uniform clouds of equal size; the optimal plan is a permutation
  (exact assignment), and the interpolant moves each point along its straight segment;
- :func:`w2_lp`: ``W2`` between two weighted point sets by POT's network simplex (``ot.emd``
  through :func:`ot_engine.exact`): the independent check of the geodesic identities.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from .exact import exact
from .geometry import cost_matrix
from .one_d import transport_1d
from .results import frozen_array
from .validation import InvalidInput, check_grid, check_histogram_pair, check_points

__all__ = [
    "Displacement1D",
    "McCann2D",
    "W2Check",
    "displacement_1d",
    "mccann_2d",
    "mixture",
    "w2_lp",
]


def _check_time(t) -> float:
    """``t`` as a float in ``[0, 1]``."""
    if isinstance(t, bool) or not isinstance(t, int | float | np.integer | np.floating):
        raise InvalidInput("t must be a number between 0 and 1")
    value = float(t)
    if not 0.0 <= value <= 1.0:  # also refuses NaN
        raise InvalidInput(f"t must be between 0 and 1; got {value:g}")
    return value


def bin_masses(x, z, m) -> np.ndarray:
    """Masses of the atoms ``(z, m)`` in the bins of the sorted grid ``x``.

    Bin ``j`` is the half-open interval between the midpoints around ``x[j]``
    (``[(x[j-1] + x[j]) / 2, (x[j] + x[j+1]) / 2)``, unbounded at both ends): every atom
    counts once, in the bin that contains it.

    >>> bin_masses([0.0, 1.0, 2.0], [0.2, 0.5, 1.9, 7.0], [0.1, 0.2, 0.3, 0.4]).tolist()
    [0.1, 0.2, 0.7]
    """
    x = np.asarray(x, dtype=np.float64)
    edges = 0.5 * (x[1:] + x[:-1])
    k = np.searchsorted(edges, np.asarray(z, dtype=np.float64), side="right")
    return np.bincount(k, weights=np.asarray(m, dtype=np.float64), minlength=x.size)


@dataclass(frozen=True, eq=False)
class Displacement1D:
    """Outcome of :func:`displacement_1d`.

    Attributes
    ----------
    t : float
        The time.
    points : ndarray, shape (k,)
        The interpolant's atoms :math:`(1 - t) F^{-1}(s) + t G^{-1}(s)`, one per level piece
        (non-decreasing).
    mass : ndarray, shape (k,)
        Their masses (the pieces' lengths; sum 1).
    start, end : ndarray, shape (k,)
        Where each atom starts (``t = 0``) and ends (``t = 1``).
    heights : ndarray, shape (n,)
        The atoms' exact masses in the grid's bins (:func:`bin_masses`); at ``t = 0`` and
        ``t = 1`` these are ``a`` and ``b`` (normalized).
    w2 : float
        :math:`W_2(\\mu_0, \\mu_1)` by the quantile formula.
    solve_time : float
        Seconds.
    """

    t: float
    points: np.ndarray
    mass: np.ndarray
    start: np.ndarray
    end: np.ndarray
    heights: np.ndarray
    w2: float
    solve_time: float


def displacement_1d(x, a, b, t) -> Displacement1D:
    r"""McCann's interpolant between two histograms on the same grid, exactly.

    The quantile function of :math:`\mu_t` is :math:`(1 - t) F^{-1} + t G^{-1}` (a
    non-decreasing combination of non-decreasing functions is a quantile function). Both
    quantile functions are constant on each piece between consecutive CDF values, so
    :math:`\mu_t` is a finite sum of atoms

    .. math::  \mu_t = \sum_k (s_k - s_{k-1})\,\delta_{(1 - t) x_{r_k} + t x_{c_k}},

    with the pieces :math:`(r_k, c_k, s_k)` of the monotone plan (:func:`transport_1d`), and its
    histogram on the grid is the mass of these atoms in each bin (:func:`bin_masses`). Atoms
    between grid points are counted in their bin, not spread: the histogram is the exact law
    of :math:`\mu_t` seen at the grid's resolution.

    Parameters
    ----------
    x : array_like, shape (n,)
        Grid points, increasing.
    a, b : array_like, shape (n,)
        Source and target masses on the grid (rescaled to unit mass).
    t : float
        Time in ``[0, 1]``.

    Returns
    -------
    Displacement1D

    Raises
    ------
    InvalidInput
        Bad histograms (negative, NaN, no mass), a grid of another length or not increasing,
        ``t`` outside ``[0, 1]``.

    References
    ----------
    R. J. McCann, A convexity principle for interacting gases, *Adv. Math.* 128 (1997).
    F. Santambrogio, *Optimal Transport for Applied Mathematicians*, Birkhauser 2015, 5.4.

    Examples
    --------
    >>> x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    >>> res = displacement_1d(x, [1, 0, 0, 0, 0], [0, 0, 0, 0, 1], 0.5)
    >>> res.points.tolist(), res.heights.tolist(), res.w2
    ([2.0], [0.0, 0.0, 1.0, 0.0, 0.0], 4.0)
    """
    t0 = time.perf_counter()
    s = _check_time(t)
    a, b, _, _, _ = check_histogram_pair(a, b)
    x = check_grid("x", x, size=a.size)
    if np.any(np.diff(x) <= 0):
        raise InvalidInput("the grid x must be increasing")
    plan = transport_1d(x, a, x, b, order=2)
    start, end = np.asarray(plan.source), np.asarray(plan.target)
    points = (1.0 - s) * start + s * end
    return Displacement1D(
        t=s,
        points=frozen_array(points),
        mass=frozen_array(plan.mass),
        start=frozen_array(start),
        end=frozen_array(end),
        heights=frozen_array(bin_masses(x, points, plan.mass)),
        w2=plan.distance,
        solve_time=time.perf_counter() - t0,
    )


def mixture(a, b, t) -> np.ndarray:
    r"""The linear mixture :math:`(1 - t)\,a + t\,b` of two histograms (each at unit mass).

    >>> mixture([1, 0], [0, 3], 0.25).tolist()
    [0.75, 0.25]
    """
    s = _check_time(t)
    a, b, _, _, _ = check_histogram_pair(a, b)
    return (1.0 - s) * a + s * b


@dataclass(frozen=True, eq=False)
class W2Check:
    """Outcome of :func:`w2_lp`.

    Attributes
    ----------
    value : float
        ``W2`` (not squared).
    converged : bool
        The network simplex reached an optimal plan with marginal error below tolerance.
    marginal_error : float
        L1 error of the plan's marginals.
    """

    value: float
    converged: bool
    marginal_error: float


def w2_lp(X, a, Y, b) -> W2Check:
    r"""``W2`` between two weighted point sets, by the exact linear program (POT's ``ot.emd``).

    .. math::  W_2^2 = \min_{P \in \Pi(a, b)} \sum_{ij} P_{ij}\,\|X_i - Y_j\|^2.

    Parameters
    ----------
    X : array_like, shape (n,) or (n, d)
    a : array_like, shape (n,)
        Weights of ``X`` (rescaled to unit mass).
    Y : array_like, shape (m,) or (m, d)
    b : array_like, shape (m,)

    Returns
    -------
    W2Check

    Raises
    ------
    InvalidInput
        Bad points or weights.

    Examples
    --------
    >>> res = w2_lp([0.0, 1.0], [0.5, 0.5], [3.0], [1.0])
    >>> round(res.value ** 2, 12), res.converged
    (6.5, True)
    """
    X = check_points("X", X)
    Y = check_points("Y", Y, dim=X.shape[1])
    res = exact(a, b, cost_matrix(X, Y, power=2))
    return W2Check(
        value=float(np.sqrt(max(res.cost, 0.0))),
        converged=res.converged,
        marginal_error=res.marginal_error,
    )


@dataclass(frozen=True, eq=False)
class McCann2D:
    """Outcome of :func:`mccann_2d`.

    Attributes
    ----------
    t : float
    match : ndarray of int, shape (n,)
        ``X[i]`` goes to ``Y[match[i]]`` (an optimal assignment).
    points : ndarray, shape (n, 2)
        :math:`(1 - t) X_i + t\\,Y_{match(i)}`.
    w2 : float
        :math:`W_2(\\mu_0, \\mu_1) = (\\tfrac1n \\sum_i \\|X_i - Y_{match(i)}\\|^2)^{1/2}`.
    solve_time : float
    """

    t: float
    match: np.ndarray
    points: np.ndarray
    w2: float
    solve_time: float


def mccann_2d(X, Y, t) -> McCann2D:
    r"""McCann's interpolant between two uniform clouds of the same size, by exact assignment.

    With ``n`` points of mass ``1/n`` on each side, the optimal plans include a permutation
    (Birkhoff: the vertices of the polytope of plans are permutations), found exactly by the
    Hungarian method (``scipy.optimize.linear_sum_assignment`` on squared distances). Each
    point moves along its straight segment: :math:`Z_i(t) = (1 - t) X_i + t Y_{\sigma(i)}`.
    Segments of an optimal matching do not meet at the same time for ``0 < t < 1`` (cyclical
    monotonicity), so the ``n`` points stay distinct.

    Parameters
    ----------
    X, Y : array_like, shape (n, d)
        The clouds (same ``n`` and ``d``).
    t : float
        Time in ``[0, 1]``.

    Returns
    -------
    McCann2D

    Raises
    ------
    InvalidInput
        Bad or empty clouds, different sizes, ``t`` outside ``[0, 1]``.

    Examples
    --------
    >>> res = mccann_2d([[0.0, 0.0], [1.0, 0.0]], [[1.0, 2.0], [0.0, 2.0]], 0.5)
    >>> res.match.tolist(), res.points.tolist(), res.w2
    ([1, 0], [[0.0, 1.0], [1.0, 1.0]], 2.0)
    """
    t0 = time.perf_counter()
    s = _check_time(t)
    X = check_points("X", X)
    Y = check_points("Y", Y, dim=X.shape[1])
    if X.shape[0] != Y.shape[0]:
        raise InvalidInput(f"the clouds have {X.shape[0]} and {Y.shape[0]} points; need equal")
    C = cost_matrix(X, Y, power=2)
    _, match = linear_sum_assignment(C)
    points = (1.0 - s) * X + s * Y[match]
    w2 = float(np.sqrt(max(C[np.arange(X.shape[0]), match].mean(), 0.0)))
    out = np.array(match, dtype=np.intp)
    out.setflags(write=False)
    return McCann2D(
        t=s,
        match=out,
        points=frozen_array(points),
        w2=w2,
        solve_time=time.perf_counter() - t0,
    )
