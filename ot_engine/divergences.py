r"""Ways to compare two histograms on a common grid: KL, JS, TV, Hellinger, W_p, the W1 critic.

Conventions (stated once, used everywhere here):

* ``p`` and ``q`` are rescaled to unit mass first (``normalize=True``, the default);
  with ``normalize=False`` totals other than 1 raise :class:`InvalidInput`.
* Natural logarithms, so KL and JS are in nats; ``0 log 0 = 0``.
* ``kl(p, q) = inf`` when ``p`` has mass on a bar where ``q`` has none.
* ``tv = 1/2 sum |p - q|`` (1 for disjoint supports).
* ``js = 1/2 KL(p | m) + 1/2 KL(q | m)`` with ``m = (p + q)/2`` (``log 2`` when disjoint).
* ``hellinger = sqrt(1/2 sum (sqrt p - sqrt q)^2)`` (1 when disjoint).
* ``wasserstein_1d`` returns ``W_p`` itself (POT's ``ot.wasserstein_1d`` returns ``W_p^p``).
* The W1 critic ``f`` has slope ``-sign(F_p - F_q)`` between grid points and is anchored at
  ``f = 0`` on the leftmost grid point (see :func:`kantorovich_critic_1d`).

One formula per divergence: each is computed by one *row kernel* below (:func:`kl_rows`,
:func:`js_rows`, :func:`tv_rows`, :func:`hellinger_rows`, :func:`w1_rows`,
:func:`critic_from_cdfs`), which works on whole stacks of histograms at once (rows broadcast,
cells on the last axis).  The single-pair functions validate their input and call a kernel;
:mod:`ot_engine.shift_family` calls the same kernels on hundreds of shifted histograms, with
no validation (its histograms are built, not typed in).
"""

from __future__ import annotations

import numpy as np

from .exact import _cdf, _quantile_pieces
from .validation import InvalidInput, check_grid, check_histogram_pair, check_positive

__all__ = [
    "CDF_TIE",
    "MAX_ORDER",
    "critic_from_cdfs",
    "hellinger",
    "hellinger_rows",
    "js",
    "js_rows",
    "kantorovich_critic_1d",
    "kl",
    "kl_rows",
    "tv",
    "tv_rows",
    "w1_rows",
    "wasserstein_1d",
    "wasserstein_sorted",
]

#: Largest order accepted by :func:`wasserstein_1d`.  W_r grows with r towards the largest
#: displacement of the monotone plan (W_inf); at r = 100 it is within a factor
#: (smallest piece of mass)^(1/100) of it, and larger orders only add round-off.
MAX_ORDER = 100.0

#: Two CDFs closer than this count as equal (their difference is rounding noise): the critic
#: is flat there.  Cumulative sums of ~3000 masses carry ~1e-13 of rounding.
CDF_TIE = 1e-12

LOG2 = float(np.log(2.0))


# --- row kernels: the one formula of each divergence -------------------------------------


def _plogp_over_q(logp, logq):
    """``sum_i p_i (log p_i - log q_i)`` over the cells where ``p_i > 0`` (last axis)."""
    p = np.exp(logp)
    with np.errstate(invalid="ignore"):
        terms = np.where(p > 0, p * (logp - logq), 0.0)
    return terms.sum(axis=-1)


def kl_rows(logp, logq):
    r"""KL divergence of each row, from log masses: :math:`\sum_i p_i (\log p_i - \log q_i)`.

    Parameters
    ----------
    logp, logq : ndarray, shape (..., n)
        Natural logs of unit-mass histograms (``-inf`` for an empty cell); leading axes
        broadcast.  Logs, so that masses far below the smallest float (a Gaussian's tail)
        still count.

    Returns
    -------
    ndarray, shape (...)
        In nats, at least 0 (rounding below 0 is clipped); ``inf`` where some ``p_i > 0``
        has ``q_i = 0``.

    Examples
    --------
    >>> with np.errstate(divide="ignore"):
    ...     lp, lq = np.log([[0.5, 0.5], [1.0, 0.0]]), np.log([0.25, 0.75])
    >>> kl_rows(lp, lq).round(12)
    array([0.14384104, 1.38629436])
    """
    return np.maximum(_plogp_over_q(logp, logq), 0.0)


def js_rows(logp, logq, q_tail=0.0):
    r"""Jensen-Shannon divergence of each row: :math:`\tfrac12 KL(p\|m) + \tfrac12 KL(q\|m)`.

    With :math:`m = (p + q)/2`, computed in logs as ``m = logaddexp(log p, log q) - log 2``.

    Parameters
    ----------
    logp, logq : ndarray, shape (..., n)
        Log masses (rows broadcast).
    q_tail : float or ndarray, shape (...), default 0
        Mass of ``q`` on cells left out of the arrays, where ``p`` is zero: each such cell
        adds :math:`\tfrac12 q_i \log 2` (there ``m = q/2``).  Lets a caller sum only where
        ``p`` lives.

    Returns
    -------
    ndarray, shape (...)
        In nats, between 0 and ``log 2`` (disjoint supports).

    Examples
    --------
    >>> with np.errstate(divide="ignore"):
    ...     lp, lq = np.log([1.0, 0.0]), np.log([0.0, 1.0])
    >>> bool(np.isclose(js_rows(lp, lq), np.log(2)))
    True
    >>> bool(np.isclose(js_rows(np.log([1.0]), np.log([0.5]), q_tail=0.5), js_rows(
    ...     np.log([1.0, 1e-300]), np.log([0.5, 0.5]))))
    True
    """
    logm = np.logaddexp(logp, logq) - LOG2
    value = 0.5 * (_plogp_over_q(logp, logm) + _plogp_over_q(logq, logm) + LOG2 * q_tail)
    return np.clip(value, 0.0, LOG2)


def tv_rows(p, q, q_tail=0.0):
    r"""Total variation of each row: :math:`\tfrac12 \sum_i |p_i - q_i|`.

    Parameters
    ----------
    p, q : ndarray, shape (..., n)
        Unit-mass histograms (rows broadcast).
    q_tail : float or ndarray, shape (...), default 0
        Mass of ``q`` on cells left out, where ``p`` is zero (adds ``q_tail / 2``).

    Returns
    -------
    ndarray, shape (...)
        Between 0 and 1.

    Examples
    --------
    >>> tv_rows(np.array([1.0, 0.0]), np.array([[0.0, 1.0], [0.5, 0.5]]))
    array([1. , 0.5])
    """
    return 0.5 * (np.abs(p - q).sum(axis=-1) + q_tail)


def hellinger_rows(p, q, q_tail=0.0):
    r"""Hellinger distance of each row: :math:`\sqrt{\tfrac12 \sum_i (\sqrt{p_i}-\sqrt{q_i})^2}`.

    The sum of squares, not ``1 - sum sqrt(p q)``: for nearly equal histograms the latter
    cancels to rounding noise (a distance of ~1e-8 where the true one is 0).

    Parameters
    ----------
    p, q : ndarray, shape (..., n)
        Unit-mass histograms (rows broadcast).
    q_tail : float or ndarray, shape (...), default 0
        Mass of ``q`` on cells left out, where ``p`` is zero (adds ``q_tail / 2`` under the
        root).

    Returns
    -------
    ndarray, shape (...)
        Between 0 and 1 (disjoint supports).

    Examples
    --------
    >>> hellinger_rows(np.array([1.0, 0.0]), np.array([[0.0, 1.0], [1.0, 0.0]]))
    array([1., 0.])
    """
    h2 = 0.5 * (((np.sqrt(p) - np.sqrt(q)) ** 2).sum(axis=-1) + q_tail)
    return np.sqrt(np.clip(h2, 0.0, 1.0))


def w1_rows(cdf_p, cdf_q, gaps):
    r"""W1 of each row from the CDFs at sorted points.

    .. math::  W_1(p, q) = \sum_i |F_p(x_i) - F_q(x_i)|\,(x_{i+1} - x_i),

    exact for histograms on the points ``x`` (the area between the two step CDFs).

    Parameters
    ----------
    cdf_p, cdf_q : ndarray, shape (..., n)
        Cumulative masses at sorted points ``x_0 <= ... <= x_{n-1}`` (rows broadcast); the
        last entry is not used (both CDFs reach 1 there).
    gaps : float or ndarray, shape (n - 1,)
        ``x_{i+1} - x_i`` (a float for a uniform grid).

    Returns
    -------
    ndarray, shape (...)

    Examples
    --------
    >>> float(w1_rows(np.array([1.0, 1.0, 1.0]), np.array([0.0, 0.0, 1.0]), 0.5))
    1.0
    """
    return (np.abs(cdf_p - cdf_q)[..., :-1] * gaps).sum(axis=-1)


def critic_from_cdfs(cdf_p, cdf_q, gaps):
    r"""The optimal W1 critic on sorted points, anchored at ``f(x_0) = 0``.

    .. math::  f(x_0) = 0, \qquad f(x_{i+1}) = f(x_i) - \operatorname{sign}(F_p - F_q)(x_i)\,
               (x_{i+1} - x_i),

    with the sign taken as 0 where ``|F_p - F_q| < CDF_TIE`` (there any slope in [-1, 1] is
    optimal; 0 keeps the critic flat left and right of both histograms).  Summation by parts
    gives :math:`\sum_i f(x_i)(p_i - q_i) = \sum_i |F_p - F_q|(x_i)(x_{i+1} - x_i) = W_1`.

    Parameters
    ----------
    cdf_p, cdf_q : ndarray, shape (n,)
        Cumulative masses at the sorted points.
    gaps : float or ndarray, shape (n - 1,)
        ``x_{i+1} - x_i``.

    Returns
    -------
    f : ndarray, shape (n,)

    Examples
    --------
    >>> critic_from_cdfs(np.array([1.0, 1.0, 1.0]), np.array([0.0, 0.0, 1.0]), 1.0)
    array([ 0., -1., -2.])
    """
    d = (cdf_p - cdf_q)[:-1]
    slope = -np.where(np.abs(d) < CDF_TIE, 0.0, np.sign(d))
    return np.concatenate(([0.0], np.cumsum(slope * gaps)))


def wasserstein_sorted(xs, p, q, order):
    r"""``W_order`` between unit-mass histograms on sorted points (no input checks).

    ``order == 1`` is :func:`w1_rows` on the cumulative sums; other orders integrate the
    quantile (monotone) coupling, :math:`W_r^r = \int_0^1 |F_p^{-1}(t) - F_q^{-1}(t)|^r dt`.

    Parameters
    ----------
    xs : ndarray, shape (n,)
        Sorted points.
    p, q : ndarray, shape (n,)
        Unit-mass histograms on ``xs``.
    order : float
        ``r >= 1``.

    Returns
    -------
    float
        ``W_r`` itself.

    Examples
    --------
    >>> xs, p, q = np.array([0.0, 1.0, 2.0]), np.array([1.0, 0, 0]), np.array([0, 0.5, 0.5])
    >>> wasserstein_sorted(xs, p, q, 1), round(wasserstein_sorted(xs, p, q, 2) ** 2, 12)
    (1.5, 2.5)
    """
    if order == 1:
        return float(w1_rows(_cdf(p), _cdf(q), np.diff(xs)))
    rows, cols, mass = _quantile_pieces(_cdf(p), _cdf(q))
    moved = np.abs(xs[rows] - xs[cols])
    largest = float(moved.max())
    if largest == 0.0:
        return 0.0
    # W_r = D (sum m (d / D)^r)^(1/r) with D the largest displacement: every power is in
    # [0, 1] and the sum is at least the mass moved by D, so nothing overflows, and the
    # result cannot underflow unless D itself is tiny.
    total = float(np.sum(mass * (moved / largest) ** order))
    return float(largest * total ** (1.0 / order))


# --- single pairs: validate, then call a kernel --------------------------------------------


def _pair(p, q, normalize):
    p, q, _, _, _ = check_histogram_pair(p, q, normalize=normalize, names=("p", "q"))
    if p.size != q.size:
        raise InvalidInput(
            f"p has {p.size} bars and q has {q.size}: they must live on the same grid"
        )
    return p, q


def _logs(p, q):
    with np.errstate(divide="ignore"):
        return np.log(p), np.log(q)


def kl(p, q, *, normalize=True) -> float:
    r"""Kullback-Leibler divergence :math:`\mathrm{KL}(p\|q) = \sum_i p_i \log(p_i / q_i)`.

    Parameters
    ----------
    p, q : array_like, shape (n,)
        Histograms on the same grid (non-negative, positive total).
    normalize : bool, default True
        Rescale to unit mass first.

    Returns
    -------
    float
        In nats; ``inf`` when ``p`` puts mass where ``q`` has none (a feature: KL cannot
        compare distributions whose supports do not overlap).

    Raises
    ------
    InvalidInput
        Bad histograms or different lengths.

    Examples
    --------
    >>> round(kl([0.5, 0.5], [0.25, 0.75]), 12)  # 0.5 log 2 + 0.5 log(2/3)
    0.143841036226
    >>> kl([1, 0], [0, 1])
    inf
    """
    return float(kl_rows(*_logs(*_pair(p, q, normalize))))


def js(p, q, *, normalize=True) -> float:
    r"""Jensen-Shannon divergence ``1/2 KL(p|m) + 1/2 KL(q|m)``, ``m = (p + q)/2``, in nats.

    Parameters
    ----------
    p, q : array_like, shape (n,)
    normalize : bool, default True

    Returns
    -------
    float
        Between 0 and ``log 2`` (reached for disjoint supports).

    Raises
    ------
    InvalidInput
        Bad histograms or different lengths.

    Examples
    --------
    >>> import math
    >>> math.isclose(js([1, 0], [0, 1]), math.log(2))
    True
    """
    return float(js_rows(*_logs(*_pair(p, q, normalize))))


def tv(p, q, *, normalize=True) -> float:
    r"""Total variation distance ``1/2 sum |p_i - q_i|`` (between 0 and 1).

    Parameters
    ----------
    p, q : array_like, shape (n,)
    normalize : bool, default True

    Returns
    -------
    float

    Raises
    ------
    InvalidInput
        Bad histograms or different lengths.

    Examples
    --------
    >>> tv([1, 0, 0], [0, 0, 1])
    1.0
    """
    return float(tv_rows(*_pair(p, q, normalize)))


def hellinger(p, q, *, normalize=True) -> float:
    r"""Hellinger distance ``sqrt(1/2 sum (sqrt p_i - sqrt q_i)^2)`` (between 0 and 1).

    Parameters
    ----------
    p, q : array_like, shape (n,)
    normalize : bool, default True

    Returns
    -------
    float

    Raises
    ------
    InvalidInput
        Bad histograms or different lengths.

    Examples
    --------
    >>> hellinger([1, 0], [0, 1]), hellinger([0.5, 0.5], [0.5, 0.5])
    (1.0, 0.0)
    """
    return float(hellinger_rows(*_pair(p, q, normalize)))


def wasserstein_1d(x, p, q, order=1, *, normalize=True) -> float:
    r"""Wasserstein distance ``W_order`` between two histograms on a common 1D grid.

    .. math::  W_r(p, q) = \Big(\int_0^1 |F_p^{-1}(t) - F_q^{-1}(t)|^r\,dt\Big)^{1/r},

    computed exactly from the quantile (monotone) coupling.

    Parameters
    ----------
    x : array_like, shape (n,)
        Grid points (any order).
    p, q : array_like, shape (n,)
        Masses on the grid.
    order : float, default 1
        ``1 <= r <= MAX_ORDER`` (100).
    normalize : bool, default True

    Returns
    -------
    float
        ``W_r`` itself, not ``W_r^r`` (POT's ``ot.wasserstein_1d`` returns ``W_r^r``).

    Raises
    ------
    InvalidInput
        Bad histograms or grid, different lengths, ``order`` below 1 or above 100.

    Examples
    --------
    >>> wasserstein_1d([0.0, 1.0, 2.0], [1, 0, 0], [0, 0, 1], order=2)
    2.0
    """
    p, q = _pair(p, q, normalize)
    x = check_grid("x", x, size=p.size)
    r = check_positive("order", order)
    if not 1.0 <= r <= MAX_ORDER:
        raise InvalidInput(f"order must be between 1 and {MAX_ORDER:g}, got {r:g}")
    ox = np.argsort(x, kind="stable")
    return wasserstein_sorted(x[ox], p[ox], q[ox], r)


def kantorovich_critic_1d(x, p, q, *, normalize=True) -> np.ndarray:
    r"""Optimal 1-Lipschitz critic ``f`` of the Kantorovich-Rubinstein dual of W1 on a grid.

    .. math::  W_1(p, q) = \max_{\mathrm{Lip}(f) \le 1} \sum_i f(x_i)\,(p_i - q_i).

    Summation by parts gives ``sum f (p - q) = -sum_i (F_p - F_q)(x_i) (f(x_{i+1}) - f(x_i))``
    with cumulative sums ``F``, so the maximizer has slope ``f' = -sign(F_p - F_q)`` between
    grid points: ``f`` goes down where ``p`` is ahead of ``q`` (mass must move right) and up
    where it is behind; it is flat where the CDFs agree (within :data:`CDF_TIE`).

    The critic is defined up to an additive constant; the convention here (and in
    :mod:`ot_engine.shift_family`) is ``f = 0`` at the leftmost grid point, so ``f`` is 0 to
    the left of both histograms.  See :func:`critic_from_cdfs`.

    Parameters
    ----------
    x : array_like, shape (n,)
        Grid points (any order; the result follows the given order).
    p, q : array_like, shape (n,)
    normalize : bool, default True

    Returns
    -------
    f : ndarray, shape (n,)
        Values of the critic on the grid, with ``sum f (p - q) = W1(p, q)``.

    Raises
    ------
    InvalidInput
        Bad histograms or grid, different lengths.

    Examples
    --------
    >>> x, p, q = [0.0, 1.0, 2.0], [1, 0, 0], [0, 0, 1]
    >>> f = kantorovich_critic_1d(x, p, q)
    >>> f, float(f @ (np.array(p) - np.array(q)))
    (array([ 0., -1., -2.]), 2.0)
    """
    p, q = _pair(p, q, normalize)
    x = check_grid("x", x, size=p.size)
    ox = np.argsort(x, kind="stable")
    xs = x[ox]
    fs = critic_from_cdfs(np.cumsum(p[ox]), np.cumsum(q[ox]), np.diff(xs))
    f = np.empty_like(fs)
    f[ox] = fs
    return f
