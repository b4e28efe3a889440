r"""Optimal transport on the line: sort and match.

In one dimension the optimal plan for any convex cost ``h(y - x)`` is the monotone
(north-west corner) coupling: the mass at level ``s`` of the source's cumulative distribution
goes to level ``s`` of the target's. Everything follows from the quantile functions

.. math::  F^{-1}(s) = \min\{x : F(x) \ge s\}, \qquad s \in (0, 1],

of the two measures: the plan couples :math:`(F^{-1}(s), G^{-1}(s))_{s \in (0, 1]}`, and

.. math::

    W_p(\mu, \nu)^p = \int_0^1 |F^{-1}(s) - G^{-1}(s)|^p\,ds, \qquad
    W_1(\mu, \nu) = \int |F(t) - G(t)|\,dt, \qquad
    W_\infty(\mu, \nu) = \operatorname*{ess\,sup}_{s \in (0, 1)} |F^{-1}(s) - G^{-1}(s)|.

Verbs: :func:`quantile_1d`, :func:`transport_1d` (the matched pieces, ``W_p`` for
``1 <= p <= inf``, ``W_1`` as the area between the CDFs) and :func:`bottleneck_lp` (the
smallest largest displacement over all plans, by linear programs: an independent check of
``W_inf``). The monotone plan's pieces are the ones of :func:`ot_engine.monotone_plan_1d`
(one home: ``exact._quantile_pieces``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .divergences import MAX_ORDER
from .exact import EXACT_TOL, _cdf, _quantile_pieces, exact
from .results import frozen_array
from .validation import InvalidInput, check_cost, check_grid, check_histogram, check_histogram_pair

__all__ = ["BottleneckResult", "OneDTransport", "bottleneck_lp", "quantile_1d", "transport_1d"]

#: Level intervals shorter than this are rounding slivers, not mass: two cumulative sums that
#: should meet at the same level (0.1 + 0.2 against 0.3) differ by ~1e-16 per bar, and the
#: sliver between them has measure zero. ``W_inf`` is an essential supremum, so they must not
#: count (a sliver can pair far-apart points). 1e-12 is far above the rounding of 2048 bars
#: and far below any mass a page shows.
LEVEL_TOL = 1e-12


def _check_order(order) -> float:
    """``order`` as a float in ``[1, MAX_ORDER]`` or ``inf``."""
    if isinstance(order, bool) or not isinstance(order, int | float | np.integer | np.floating):
        raise InvalidInput(f"order must be a number between 1 and {MAX_ORDER:g}, or inf")
    r = float(order)
    if math.isnan(r) or not (1.0 <= r <= MAX_ORDER or r == math.inf):
        raise InvalidInput(f"order must be between 1 and {MAX_ORDER:g}, or inf; got {r:g}")
    return r


def _sorted_support(x, a):
    """Points with mass, sorted, and their CDF values (the last exactly 1)."""
    keep = a > 0
    xs, ws = x[keep], a[keep]
    order = np.argsort(xs, kind="stable")
    return xs[order], _cdf(ws[order])


def quantile_1d(x, a, s, *, normalize=True) -> np.ndarray:
    r"""The quantile function (generalized inverse of the CDF) of a histogram on the line.

    .. math::  F^{-1}(s) = \min\{x_i : F(x_i) \ge s\}, \qquad F(t) = \sum_{x_i \le t} a_i,

    for levels ``0 < s <= 1``; at ``s = 0`` the convention is the leftmost point with mass.
    It is left-continuous and non-decreasing; it jumps over empty bars and is flat over each
    atom's level interval :math:`(F(x_i^-), F(x_i)]`.

    Parameters
    ----------
    x : array_like, shape (n,)
        Points (any order).
    a : array_like, shape (n,)
        Masses (non-negative, positive total; rescaled to 1 when ``normalize``).
    s : array_like
        Levels in ``[0, 1]``, any shape.

    Returns
    -------
    ndarray, same shape as ``s``

    Raises
    ------
    InvalidInput
        Bad histogram or grid, levels outside ``[0, 1]`` or not finite.

    Examples
    --------
    >>> quantile_1d([0.0, 1.0, 2.0], [0.25, 0.0, 0.75], [0.0, 0.25, 0.26, 1.0])
    array([0., 0., 2., 2.])
    """
    a = check_histogram("a", a)
    if normalize:
        a = a / a.sum()
    elif abs(a.sum() - 1.0) > 1e-9:
        raise InvalidInput(f"a sums to {a.sum():.6g}; it must sum to 1 (or normalize=True)")
    x = check_grid("x", x, size=a.size)
    s = np.asarray(s, dtype=np.float64)
    if not np.isfinite(s).all() or (s < 0).any() or (s > 1).any():
        raise InvalidInput("levels s must be numbers between 0 and 1")
    xs, F = _sorted_support(x, a)
    k = np.searchsorted(F, s, side="left")
    return xs[np.minimum(k, xs.size - 1)]


@dataclass(frozen=True, eq=False)
class OneDTransport:
    """Outcome of :func:`transport_1d`: the monotone plan as level pieces, and distances.

    Attributes
    ----------
    levels : ndarray, shape (k + 1,)
        Breakpoints ``0 = s_0 < s_1 < ... < s_k = 1`` of the level axis (union of both CDFs'
        values).
    rows, cols : ndarray of int, shape (k,)
        Indices into the given ``x`` and ``y`` of the pair matched on ``(s_{i-1}, s_i]``.
    source, target : ndarray, shape (k,)
        Those points: ``F^{-1}(s)`` and ``G^{-1}(s)`` on the piece.
    mass : ndarray, shape (k,)
        ``s_i - s_{i-1}``: the mass the plan moves from ``source`` to ``target`` (sums to 1).
    order : float
        ``p`` in ``[1, inf]``.
    distance : float
        ``W_p`` by the quantile formula (``p = inf``: :attr:`w_inf`).
    w1_area : float
        ``W_1`` as the area between the CDFs, ``int |F - G| dt``.
    w_inf : float
        Largest gap ``|F^{-1} - G^{-1}|`` over pieces of positive mass (``> LEVEL_TOL``).
    inf_piece : int
        Index of a piece attaining :attr:`w_inf` (the heaviest among ties).
    renormalized : bool
        Whether either input was rescaled to unit mass.
    solve_time : float
        Seconds.
    """

    levels: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    source: np.ndarray
    target: np.ndarray
    mass: np.ndarray
    order: float
    distance: float
    w1_area: float
    w_inf: float
    inf_piece: int
    renormalized: bool
    solve_time: float

    @property
    def cost(self) -> float:
        """``W_p^p = sum mass |source - target|^p`` (``W_inf`` itself when ``p = inf``)."""
        if self.order == math.inf:
            return self.w_inf
        return float(np.sum(self.mass * np.abs(self.source - self.target) ** self.order))

    def to_dense(self) -> np.ndarray:
        """The plan as an ``(n, m)`` matrix (entries summed over pieces of the same pair)."""
        n, m = self._shape
        plan = np.zeros((n, m))
        np.add.at(plan, (self.rows, self.cols), self.mass)
        return plan

    _shape: tuple[int, int] = (0, 0)


def _power_mean(gaps: np.ndarray, mass: np.ndarray, r: float) -> float:
    """``(sum mass gaps^r)^(1/r)`` without overflow or underflow (scaled by the largest gap)."""
    largest = float(gaps.max()) if gaps.size else 0.0
    if largest == 0.0:
        return 0.0
    return float(largest * float(np.sum(mass * (gaps / largest) ** r)) ** (1.0 / r))


def _cdf_area(x, a, y, b) -> float:
    """``int |F - G| dt`` over the merged sorted points (F, G right-continuous steps)."""
    z = np.union1d(x[a > 0], y[b > 0])
    ox, oy = np.argsort(x, kind="stable"), np.argsort(y, kind="stable")
    Fx = np.concatenate(([0.0], _cdf(a[ox])))
    Gy = np.concatenate(([0.0], _cdf(b[oy])))
    F = Fx[np.searchsorted(x[ox], z, side="right")]
    G = Gy[np.searchsorted(y[oy], z, side="right")]
    return float(np.sum(np.abs(F - G)[:-1] * np.diff(z)))


def transport_1d(x, a, y, b, *, order=1.0, normalize=True) -> OneDTransport:
    r"""Sort and match: the monotone plan between two histograms on the line, and ``W_p``.

    The plan moves the mass at level ``s`` from :math:`F^{-1}(s)` to :math:`G^{-1}(s)`; it
    is optimal for every cost ``|x - y|^p`` with ``p >= 1`` (uniquely for ``p > 1``), so

    .. math::

        W_p^p = \int_0^1 |F^{-1}(s) - G^{-1}(s)|^p\,ds
              = \sum_i (s_i - s_{i-1})\,|F^{-1}(s_i) - G^{-1}(s_i)|^p,

    exact (a finite sum over the pieces between consecutive CDF values). ``W_inf`` is the
    essential supremum of the gap: the largest over pieces of positive mass, never over a
    single level (at a level where both CDFs jump the two quantiles may be far apart on a
    set of measure zero) and never over rounding slivers (see :data:`LEVEL_TOL`).

    Parameters
    ----------
    x : array_like, shape (n,)
        Source points (any order).
    a : array_like, shape (n,)
        Source masses.
    y : array_like, shape (m,)
        Target points (any order).
    b : array_like, shape (m,)
        Target masses.
    order : float, default 1
        ``p`` in ``[1, 100]`` or ``math.inf``.
    normalize : bool, default True
        Rescale ``a`` and ``b`` to unit mass (otherwise totals other than 1 raise).

    Returns
    -------
    OneDTransport
        Frozen record: ``levels``, ``rows``, ``cols``, ``source``, ``target``, ``mass``,
        ``distance`` (``W_p`` itself, not ``W_p^p``), ``w1_area``, ``w_inf``, ``inf_piece``.

    Raises
    ------
    InvalidInput
        Bad histograms or grids (negative, NaN, no mass, more than 2048 bars), grids of
        another length than their histograms, ``order`` below 1, above 100 and finite, or NaN.

    References
    ----------
    F. Santambrogio, *Optimal Transport for Applied Mathematicians*, Birkhauser 2015,
    ch. 2 (one dimension) and ch. 3 (``W_inf``).

    Examples
    --------
    >>> import math
    >>> res = transport_1d([0.0, 1.0], [0.5, 0.5], [0.0, 1.0, 3.0], [0.25, 0.25, 0.5], order=2)
    >>> res.levels.tolist(), res.source.tolist(), res.target.tolist()
    ([0.0, 0.25, 0.5, 1.0], [0.0, 0.0, 1.0], [0.0, 1.0, 3.0])
    >>> res.distance ** 2, res.w1_area, res.w_inf   # 0.25 * 1 + 0.5 * 4; 0.25 + 1
    (2.25, 1.25, 2.0)
    >>> transport_1d([0.0, 1.0], [1, 0], [0.0, 1.0], [0.999, 0.001], order=math.inf).distance
    1.0
    """
    t0 = time.perf_counter()
    r = _check_order(order)
    a, b, _, _, renormalized = check_histogram_pair(a, b, normalize=normalize)
    x = check_grid("x", x, size=a.size)
    y = check_grid("y", y, size=b.size)
    ox = np.argsort(x, kind="stable")
    oy = np.argsort(y, kind="stable")
    Fa, Gb = _cdf(a[ox]), _cdf(b[oy])
    r_idx, c_idx, mass = _quantile_pieces(Fa, Gb)
    rows, cols = ox[r_idx], oy[c_idx]
    source, target = x[rows], y[cols]
    levels = np.concatenate(([0.0], np.cumsum(mass)))
    levels[-1] = 1.0
    gaps = np.abs(source - target)
    real = mass > LEVEL_TOL
    # The largest gap on a real piece; among equal gaps the heaviest piece (to mark it).
    w_inf = float(gaps[real].max())
    ties = np.flatnonzero(real & (gaps == w_inf))
    inf_piece = int(ties[np.argmax(mass[ties])])
    distance = w_inf if r == math.inf else _power_mean(gaps, mass, r)
    return OneDTransport(
        levels=frozen_array(levels),
        rows=_frozen_index(rows),
        cols=_frozen_index(cols),
        source=frozen_array(source),
        target=frozen_array(target),
        mass=frozen_array(mass),
        order=r,
        distance=distance,
        w1_area=_cdf_area(x, a, y, b),
        w_inf=w_inf,
        inf_piece=inf_piece,
        renormalized=renormalized,
        solve_time=time.perf_counter() - t0,
        _shape=(a.size, b.size),
    )


def _frozen_index(idx: np.ndarray) -> np.ndarray:
    out = np.array(idx, dtype=np.intp, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class BottleneckResult:
    """Outcome of :func:`bottleneck_lp`.

    Attributes
    ----------
    value : float
        The smallest ``t`` such that some plan moves mass only between points at distance
        ``<= t`` (``min_plan max_{support} D``).
    plan : ndarray, shape (n, m)
        A plan achieving it (from the LP at ``t = value``).
    solves : int
        Linear programs solved.
    converged : bool
        Every LP was optimal, the plan is feasible within ``EXACT_TOL`` and the one just
        below ``value`` (if any) was infeasible by more than ``EXACT_TOL``.
    marginal_error : float
        L1 error of the plan's marginals.
    """

    value: float
    plan: np.ndarray
    solves: int
    converged: bool
    marginal_error: float


def bottleneck_lp(a, b, D, *, hint=None) -> BottleneckResult:
    r"""The bottleneck value ``min over plans of the largest D on the plan's support``, by LPs.

    For a threshold ``t`` the LP :math:`\min_{\pi \in \Pi(a, b)} \langle 1[D > t], \pi\rangle`
    is 0 exactly when a plan exists that uses only pairs with ``D <= t``; feasibility grows
    with ``t``, so a bisection over the distinct values of ``D`` finds the smallest feasible
    one. With ``D = |x - y|`` on the line this is ``W_inf`` (:func:`transport_1d`), computed
    without quantiles: an independent check. A ``hint`` (a candidate value, e.g. the quantile
    formula's) is tried first: feasible there and infeasible one value below settles it in
    two solves; the answer does not depend on the hint.

    Parameters
    ----------
    a : array_like, shape (n,)
    b : array_like, shape (m,)
        Histograms (rescaled to unit mass).
    D : array_like, shape (n, m)
        Finite distances.
    hint : float, optional

    Returns
    -------
    BottleneckResult

    Raises
    ------
    InvalidInput
        Bad histograms or ``D``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([0.0, 1.0, 2.0])
    >>> res = bottleneck_lp([0.5, 0.5, 0], [0, 0.5, 0.5], np.abs(x[:, None] - x[None, :]))
    >>> res.value, res.solves <= 3, res.converged
    (1.0, True, True)
    """
    a, b, _, _, _ = check_histogram_pair(a, b)
    D = check_cost(D, a.size, b.size, name="D")
    # Only pairs between points with mass matter.
    values = np.unique(D[np.ix_(a > 0, b > 0)])
    solves = 0
    optimal = True

    def feasible(k: int):
        nonlocal solves, optimal
        solves += 1
        res = exact(a, b, (D > values[k]).astype(np.float64))
        optimal = optimal and res.converged
        return res.cost <= EXACT_TOL, res

    lo, hi = -1, values.size - 1  # infeasible below lo + 1 (or nothing), feasible at hi
    best = None
    if hint is not None and np.isfinite(hint):
        k = int(np.clip(np.searchsorted(values, hint, side="left"), 0, values.size - 1))
        ok, res = feasible(k)
        if ok:
            hi, best = k, res
            if k > 0:
                ok_below, res_below = feasible(k - 1)
                if ok_below:
                    hi, best = k - 1, res_below
                else:
                    lo = k - 1
        else:
            lo = k
    while hi - lo > 1:
        mid = (lo + hi) // 2
        ok, res = feasible(mid)
        if ok:
            hi, best = mid, res
        else:
            lo = mid
    if best is None:  # the largest value is always feasible (every pair allowed)
        _, best = feasible(hi)
    return BottleneckResult(
        value=float(values[hi]),
        plan=best.plan,
        solves=solves,
        converged=bool(optimal and best.converged),
        marginal_error=best.marginal_error,
    )
