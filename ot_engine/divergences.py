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
"""

from __future__ import annotations

import numpy as np

from .exact import _cdf, _quantile_pieces
from .validation import InvalidInput, check_grid, check_histogram_pair, check_positive

__all__ = ["MAX_ORDER", "hellinger", "js", "kantorovich_critic_1d", "kl", "tv", "wasserstein_1d"]

#: Largest order accepted by :func:`wasserstein_1d`.  W_r grows with r towards the largest
#: displacement of the monotone plan (W_inf); at r = 100 it is within a factor
#: (smallest piece of mass)^(1/100) of it, and larger orders only add round-off.
MAX_ORDER = 100.0


def _pair(p, q, normalize):
    p, q, _, _, _ = check_histogram_pair(p, q, normalize=normalize, names=("p", "q"))
    if p.size != q.size:
        raise InvalidInput(
            f"p has {p.size} bars and q has {q.size}: they must live on the same grid"
        )
    return p, q


def _kl(p, q):
    support = p > 0
    if np.any(q[support] == 0):
        return float("inf")
    return float(max(np.sum(p[support] * (np.log(p[support]) - np.log(q[support]))), 0.0))


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
    return _kl(*_pair(p, q, normalize))


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
    p, q = _pair(p, q, normalize)
    m = 0.5 * (p + q)
    return float(min(0.5 * _kl(p, m) + 0.5 * _kl(q, m), np.log(2.0)))


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
    p, q = _pair(p, q, normalize)
    return float(0.5 * np.abs(p - q).sum())


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
    p, q = _pair(p, q, normalize)
    h2 = 0.5 * np.sum((np.sqrt(p) - np.sqrt(q)) ** 2)
    return float(np.sqrt(min(max(h2, 0.0), 1.0)))


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
    xs = x[ox]
    rows, cols, mass = _quantile_pieces(_cdf(p[ox]), _cdf(q[ox]))
    moved = np.abs(xs[rows] - xs[cols])
    largest = float(moved.max())
    if largest == 0.0:
        return 0.0
    # W_r = D (sum m (d / D)^r)^(1/r) with D the largest displacement: every power is in
    # [0, 1] and the sum is at least the mass moved by D, so nothing overflows, and the
    # result cannot underflow unless D itself is tiny.
    total = float(np.sum(mass * (moved / largest) ** r))
    return float(largest * total ** (1.0 / r))


def kantorovich_critic_1d(x, p, q, *, normalize=True) -> np.ndarray:
    r"""Optimal 1-Lipschitz critic ``f`` of the Kantorovich-Rubinstein dual of W1 on a grid.

    .. math::  W_1(p, q) = \max_{\mathrm{Lip}(f) \le 1} \sum_i f(x_i)\,(p_i - q_i).

    Summation by parts gives ``sum f (p - q) = -sum_i (F_p - F_q)(x_i) (f(x_{i+1}) - f(x_i))``
    with cumulative sums ``F``, so the maximizer has slope ``f' = -sign(F_p - F_q)`` between
    grid points: ``f`` goes down where ``p`` is ahead of ``q`` (mass must move right) and up
    where it is behind.  The additive constant is fixed by centering, ``max f = -min f``.

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
    (array([ 1.,  0., -1.]), 2.0)
    """
    p, q = _pair(p, q, normalize)
    x = check_grid("x", x, size=p.size)
    ox = np.argsort(x, kind="stable")
    xs = x[ox]
    D = np.cumsum(p[ox] - q[ox])[:-1]
    steps = -np.sign(np.where(np.abs(D) <= 1e-15, 0.0, D)) * np.diff(xs)
    fs = np.concatenate(([0.0], np.cumsum(steps)))
    fs -= 0.5 * (fs.max() + fs.min())
    f = np.empty_like(fs)
    f[ox] = fs
    return f
