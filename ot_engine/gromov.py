r"""Gromov-Wasserstein transport: matching two metric-measure spaces that share no coordinates.

Two spaces are given by their own distance matrices ``C1`` (n x n) and ``C2`` (m x m) and
weights ``p`` and ``q``; nothing relates a point of one to a point of the other.  A coupling
``T`` (n x m, marginals ``p`` and ``q``) is scored by how much it distorts distances:

.. math::

    \mathrm{GW}(T) = \sum_{i,k} \sum_{j,l} \big(C1_{ik} - C2_{jl}\big)^2 \, T_{ij} T_{kl} .

With the square loss the four-index sum costs O(n^2 m + n m^2), not O(n^2 m^2) [1]_: writing
:math:`(a - b)^2 = a^2 + b^2 - 2ab`, for ``T`` with marginals ``r = T 1`` and ``c = T^T 1``

.. math::

    \mathrm{GW}(T) = r^\top C1^{\odot 2} r + c^\top C2^{\odot 2} c
                     - 2 \langle C1\, T\, C2, T \rangle ,

where :math:`C^{\odot 2}` squares entry by entry.  On the couplings of ``p`` and ``q`` this is
``<L(T), T>`` with ``L(T) = u 1^T + 1 v^T - 2 C1 T C2`` (``u = C1^2 p``, ``v = C2^2 q``), a
quadratic, generally non-convex function of ``T``: the solvers below find a *local*
minimizer, which depends on where they start (:func:`gromov_multistart` tries several).

Verbs:

* :func:`gw_objective`: the value above for any non-negative ``T`` (its own marginals);
* :func:`gromov_wasserstein`: from one start, conditional gradient (``eps = 0``; each step
  solves an exact transport problem with POT's network simplex) or entropic projected mirror
  descent (``eps > 0``; each step is one :func:`ot_engine.sinkhorn` solve, warm-started);
* :func:`gromov_multistart`: the product coupling and a few random starts; the lowest value
  wins, and every start's value is kept.

References
----------
.. [1] G. Peyré, M. Cuturi, J. Solomon, "Gromov-Wasserstein averaging of kernel and distance
   matrices", ICML 2016.
.. [2] F. Mémoli, "Gromov-Wasserstein distances and the metric approach to object
   matching", Foundations of Computational Mathematics 11(4), 417-487, 2011.
.. [3] T. Vayer, L. Chapel, R. Flamary, R. Tavenard, N. Courty, "Optimal transport for
   structured data with application on graphs", ICML 2019 (the conditional gradient with an
   exact line search).
"""

from __future__ import annotations

import numbers
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import ot

from .results import frozen_array, marginal_error
from .sinkhorn import sinkhorn
from .validation import InvalidInput, check_eps, check_histogram_pair, check_positive

__all__ = [
    "MAX_POINTS",
    "GromovResult",
    "GromovStarts",
    "distance_matrix",
    "gromov_multistart",
    "gromov_wasserstein",
    "gw_objective",
    "random_coupling",
]

#: Most points per space: every iteration multiplies n x n by n x m matrices and solves an
#: n x m transport problem.
MAX_POINTS = 1000
#: Relative tolerance on the symmetry of a distance matrix.
SYMMETRY_RTOL = 1e-9
#: Default budget (seconds) of one solve; a capped solve says it did not converge.
DEFAULT_MAX_TIME = 10.0


@dataclass(frozen=True, eq=False)
class GromovResult:
    """Outcome of :func:`gromov_wasserstein` from one start.

    Attributes
    ----------
    plan : ndarray, shape (n, m)
        The coupling found (a local minimizer; read-only).
    value : float
        ``GW(plan)``, the square-loss objective of :func:`gw_objective` (without entropy).
    converged : bool
        Whether the stopping test was met within the caps (and, for ``eps > 0``, every inner
        Sinkhorn solve converged).
    iterations : int
        Outer iterations (linearizations) done.
    marginal_error : float
        ``|plan 1 - p|_1 + |plan^T 1 - q|_1`` with unit-mass ``p`` and ``q``.
    gap : float
        Stationarity measure of the returned plan: for ``eps = 0`` the Frank-Wolfe gap
        ``<grad, plan - S>`` to the best vertex ``S`` (0 at a stationary point); for
        ``eps > 0`` the last change ``|T_k - T_{k-1}|_F`` of the mirror-descent iterates.
    eps : float
        Entropic regularization used (0 for the conditional gradient).
    method : str
        ``"conditional gradient"`` or ``"entropic mirror descent"``.
    solve_time : float
        Wall-clock seconds.
    message : str
        A short human-readable status.
    """

    plan: np.ndarray
    value: float
    converged: bool
    iterations: int
    marginal_error: float
    gap: float
    eps: float
    method: str
    solve_time: float
    message: str


@dataclass(frozen=True, eq=False)
class GromovStarts:
    """Outcome of :func:`gromov_multistart`: every start's result and the best one.

    Attributes
    ----------
    results : tuple of GromovResult
        One per start, in the order of ``labels``.
    labels : tuple of str
        ``"product"`` for the product coupling ``p q^T``, ``"random k"`` for the others.
    best : int
        Index of the lowest ``value`` (ties: the earliest start).
    """

    results: tuple
    labels: tuple
    best: int

    @property
    def result(self) -> GromovResult:
        """The best start's result."""
        return self.results[self.best]

    @property
    def values(self) -> np.ndarray:
        return np.array([r.value for r in self.results])


# --- inputs -----------------------------------------------------------------------------------


def _check_distances(name: str, C) -> np.ndarray:
    try:
        C = np.asarray(C, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a square matrix of numbers") from None
    if C.ndim != 2 or C.shape[0] != C.shape[1]:
        raise InvalidInput(f"{name} must be a square (n, n) distance matrix, got {C.shape}")
    n = C.shape[0]
    if n < 2:
        raise InvalidInput(f"{name} describes {n} point(s): a shape needs at least 2 points")
    if n > MAX_POINTS:
        raise InvalidInput(f"{name} describes {n} points; at most {MAX_POINTS} are supported")
    if not np.isfinite(C).all():
        raise InvalidInput(f"{name} contains NaN or infinite entries: use finite distances")
    if (C < 0).any():
        raise InvalidInput(f"{name} has a negative entry: distances are zero or positive")
    scale = float(C.max())
    if scale == 0.0:
        raise InvalidInput(
            f"all points of {name} coincide (every distance is 0): such a shape has no "
            "geometry to match; spread the points out"
        )
    if np.abs(C - C.T).max() > SYMMETRY_RTOL * scale:
        raise InvalidInput(f"{name} is not symmetric: the distance from i to k is that from k to i")
    return np.ascontiguousarray(0.5 * (C + C.T))


def _check_inputs(C1, C2, p, q):
    C1 = _check_distances("C1", C1)
    C2 = _check_distances("C2", C2)
    n, m = C1.shape[0], C2.shape[0]
    p = np.full(n, 1.0 / n) if p is None else p
    q = np.full(m, 1.0 / m) if q is None else q
    p, q, *_ = check_histogram_pair(p, q, names=("p", "q"))
    if p.size != n or q.size != m:
        raise InvalidInput(
            f"p has {p.size} weights and q {q.size}, but C1 and C2 describe {n} and {m} points"
        )
    return C1, C2, p, q


def _check_plan(T, n: int, m: int, name: str = "G0") -> np.ndarray:
    try:
        T = np.asarray(T, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be an (n, m) array of numbers") from None
    if T.shape != (n, m):
        raise InvalidInput(f"{name} has shape {T.shape}; the coupling must be {n} x {m}")
    if not np.isfinite(T).all() or (T < 0).any():
        raise InvalidInput(f"{name} must be finite and non-negative")
    return T


def distance_matrix(X) -> np.ndarray:
    """Euclidean distances between the rows of ``X`` (shape (n, d)), exactly symmetric.

    >>> distance_matrix([[0.0, 0.0], [3.0, 4.0]])
    array([[0., 5.],
           [5., 0.]])
    """
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInput("points must be an (n, d) array of numbers") from None
    if X.ndim != 2 or X.shape[0] == 0:
        raise InvalidInput(f"points must have shape (n, d), got {X.shape}")
    if X.shape[0] > MAX_POINTS:
        raise InvalidInput(f"{X.shape[0]} points; at most {MAX_POINTS} are supported")
    if not np.isfinite(X).all():
        raise InvalidInput("points contain NaN or infinite coordinates")
    D = np.sqrt(np.maximum(ot.dist(X, X, metric="sqeuclidean"), 0.0))
    D = 0.5 * (D + D.T)
    np.fill_diagonal(D, 0.0)
    return D


# --- the objective ----------------------------------------------------------------------------


def _value(C1sq, C2sq, C1, C2, T) -> float:
    r, c = T.sum(1), T.sum(0)
    return float(r @ C1sq @ r + c @ C2sq @ c - 2.0 * np.sum((C1 @ T @ C2) * T))


def gw_objective(C1, C2, T) -> float:
    r"""The square-loss Gromov-Wasserstein value of a coupling ``T``.

    .. math::

        \sum_{i,k,j,l} (C1_{ik} - C2_{jl})^2 T_{ij} T_{kl}
        = r^\top C1^{\odot 2} r + c^\top C2^{\odot 2} c - 2\langle C1 T C2, T\rangle,
        \quad r = T 1,\ c = T^\top 1 ,

    computed with the right-hand side (O(n^2 m + n m^2) instead of O(n^2 m^2)).

    Parameters
    ----------
    C1 : array_like, shape (n, n)
        Symmetric, non-negative distances within the first space.
    C2 : array_like, shape (m, m)
        Same, in the second space.
    T : array_like, shape (n, m)
        A non-negative coupling (its own marginals are used).

    Returns
    -------
    float
        At least 0 up to rounding.

    Raises
    ------
    InvalidInput
        Malformed, non-symmetric, negative or all-zero distances; ``T`` of the wrong shape.

    Examples
    --------
    >>> import numpy as np
    >>> C = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> T = np.eye(2) / 2
    >>> gw_objective(C, C, T)               # the identity matches the two copies exactly
    0.0
    >>> gw_objective(C, 2 * C, T)           # doubling distances: (1 - 2)^2 on 2 of 4 pairs
    0.5
    """
    C1 = _check_distances("C1", C1)
    C2 = _check_distances("C2", C2)
    T = _check_plan(T, C1.shape[0], C2.shape[0], "T")
    return _value(C1 * C1, C2 * C2, C1, C2, T)


# --- starts -----------------------------------------------------------------------------------


def random_coupling(p, q, seed) -> np.ndarray:
    """A random vertex of the couplings of ``p`` and ``q`` (an exact plan for a random cost).

    With uniform weights and ``n = m`` it is a random permutation divided by ``n``.

    >>> T = random_coupling([0.5, 0.5], [0.5, 0.5], seed=0)
    >>> sorted(T.ravel().tolist())
    [0.0, 0.0, 0.5, 0.5]
    """
    p, q, *_ = check_histogram_pair(p, q, names=("p", "q"))
    cost = np.random.default_rng(seed).random((p.size, q.size))
    return np.asarray(ot.emd(p, q, cost))


# --- solvers ----------------------------------------------------------------------------------


def _line_step(b: float, c: float) -> float:
    """argmin over a in [0, 1] of c a^2 + b a (the objective along a Frank-Wolfe direction)."""
    if c > 0:
        return float(min(1.0, max(0.0, -b / (2.0 * c))))
    return 1.0 if c + b < 0 else 0.0


def _conditional_gradient(C1, C2, p, q, T, tol, max_iter, deadline):
    """Frank-Wolfe with an exact line search on GW(T) = <u 1' + 1 v', T> - 2 <C1 T C2, T>."""
    const = (C1 * C1) @ p[:, None] + ((C2 * C2) @ q)[None, :]
    C1T2 = C1 @ T @ C2
    f = float(np.sum(const * T) - 2.0 * np.sum(C1T2 * T))
    gap, it, capped = np.inf, 0, False
    while it < max_iter:
        if time.perf_counter() > deadline:
            capped = True
            break
        it += 1
        grad = 2.0 * const - 4.0 * C1T2  # gradient of <const, T> - 2 <C1 T C2, T>, times 2
        S = np.asarray(ot.emd(p, q, grad, numItermax=1_000_000))
        D = S - T
        gap = float(-np.sum(grad * D)) / 2.0
        C1D2 = C1 @ D @ C2
        b = float(np.sum(const * D) - 4.0 * np.sum(C1T2 * D))
        c = float(-2.0 * np.sum(C1D2 * D))
        a = _line_step(b, c)
        T = T + a * D
        C1T2 = C1T2 + a * C1D2
        f_new = float(np.sum(const * T) - 2.0 * np.sum(C1T2 * T))
        change = abs(f - f_new)
        f = f_new
        if a == 0.0 or gap <= tol * max(1.0, abs(f)) or change <= tol * max(1.0, abs(f)):
            return T, it, max(gap, 0.0), True
    return T, it, max(gap, 0.0), not capped and gap <= tol * max(1.0, abs(f))


def _mirror_descent(C1, C2, p, q, T, eps, tol, max_iter, deadline):
    """T <- Sinkhorn(p, q, grad GW(T), eps): projected mirror descent in the KL geometry."""
    const = (C1 * C1) @ p[:, None] + ((C2 * C2) @ q)[None, :]
    warm = None
    change, it, inner_ok, capped = np.inf, 0, True, False
    while it < max_iter:
        left = deadline - time.perf_counter()
        if left <= 0:
            capped = True
            break
        it += 1
        grad = 2.0 * (const - 2.0 * C1 @ T @ C2)
        res = sinkhorn(p, q, grad, eps, warm_start=warm, tol=1e-9, max_time=max(left, 1e-3))
        warm = res
        inner_ok = bool(res.converged)
        change = float(np.linalg.norm(res.plan - T))
        T = np.array(res.plan)
        if change <= tol:
            break
    converged = (not capped) and change <= tol and inner_ok
    return T, it, change, converged, inner_ok


def gromov_wasserstein(
    C1,
    C2,
    p=None,
    q=None,
    *,
    eps=0.0,
    G0=None,
    tol=1e-9,
    max_iter=None,
    max_time=DEFAULT_MAX_TIME,
) -> GromovResult:
    r"""A local minimizer of the square-loss Gromov-Wasserstein problem, from one start.

    Minimizes :func:`gw_objective` over couplings ``T`` of ``p`` and ``q`` (plus
    ``eps * sum T log T`` when ``eps > 0``).

    * ``eps = 0``: conditional gradient (Frank-Wolfe) [3]_. Each step linearizes GW at ``T``,
      solves the exact transport problem with that gradient as cost (POT's network simplex)
      to get a vertex ``S``, and moves to the best point of the segment ``[T, S]`` (the
      objective is quadratic along it, so the step is exact). Stops when the Frank-Wolfe
      gap ``<grad, T - S> / 2`` or the change of the value falls below ``tol`` (relative to
      ``max(1, GW)``) or the step is 0. Same iterates as POT's ``ot.gromov.
      gromov_wasserstein`` from the same ``G0``.
    * ``eps > 0``: projected mirror descent [1]_: ``T <- argmin <grad GW(T), T> + eps
      sum T log T``, one :func:`ot_engine.sinkhorn` solve per step, warm-started from the
      previous step's potentials. Same iterates as POT's ``entropic_gromov_wasserstein``
      (``solver="PGD"``), far faster. Stops when ``|T_k - T_{k-1}|_F <= tol``.

    The problem is not convex: the answer depends on ``G0``.

    Parameters
    ----------
    C1 : array_like, shape (n, n)
        Symmetric non-negative distances within the first space (2 <= n <= MAX_POINTS).
    C2 : array_like, shape (m, m)
        Same within the second space.
    p, q : array_like, shape (n,) and (m,), optional
        Weights of the points (default uniform); rescaled to unit mass.
    eps : float, default 0
        Entropic regularization, in the units of ``C1**2``; 0 for the exact problem.
    G0 : array_like, shape (n, m), optional
        Starting coupling (default the product ``p q^T``). Used as given: a start whose
        marginals are off leaves its error in the first steps' convex combinations.
    tol : float, default 1e-9
        Stopping tolerance (see above).
    max_iter : int, optional
        Cap on outer iterations (default 1000 for ``eps = 0``, 2000 for ``eps > 0``).
    max_time : float, default 10
        Wall-clock budget in seconds; a capped solve has ``converged=False``.

    Returns
    -------
    GromovResult
        Frozen record with ``plan``, ``value``, ``converged``, ``iterations``,
        ``marginal_error``, ``gap``, ``eps``, ``method``, ``solve_time``, ``message``.

    Raises
    ------
    InvalidInput
        Distance matrices that are not square, symmetric, finite and non-negative, that
        describe fewer than 2 or more than ``MAX_POINTS`` points, or whose points all
        coincide; bad weights; ``eps`` negative or not finite; a malformed ``G0``.

    References
    ----------
    See the module's references [1]_ and [3]_.

    Examples
    --------
    Four corners of a unit square, and the same square turned and numbered differently. From
    the product coupling the solver stops at a local minimum (the square's symmetry traps
    it: POT's solver stops at the same one); started from the right matching it stays there,
    where GW is 0.

    >>> import numpy as np
    >>> from ot_engine import distance_matrix, gromov_wasserstein
    >>> X = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=float)
    >>> Y = X[[2, 3, 0, 1]] @ np.array([[0, -1], [1, 0]])
    >>> D1, D2 = distance_matrix(X), distance_matrix(Y)
    >>> res = gromov_wasserstein(D1, D2)
    >>> bool(res.converged), round(res.value, 6), res.marginal_error < 1e-12
    (True, 0.085786, True)
    >>> P = np.eye(4)[[2, 3, 0, 1]]         # point i of X is point P[i].argmax() of Y
    >>> round(gromov_wasserstein(D1, D2, G0=P / 4).value, 12)
    0.0
    """
    t0 = time.perf_counter()
    C1, C2, p, q = _check_inputs(C1, C2, p, q)
    n, m = p.size, q.size
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real | np.ndarray):
        raise InvalidInput(f"eps must be a number (0 for exact GW), got {eps!r}")
    eps = float(eps)
    if eps != 0.0:
        eps = check_eps(eps)
    tol = check_positive("tol", tol)
    max_time = check_positive("max_time", max_time)
    if max_iter is None:
        max_iter = 1000 if eps == 0.0 else 2000
    elif isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise InvalidInput(f"max_iter must be a positive whole number, got {max_iter!r}")
    T = np.outer(p, q) if G0 is None else _check_plan(G0, n, m).copy()
    deadline = t0 + max_time
    if eps == 0.0:
        method = "conditional gradient"
        T, it, gap, converged = _conditional_gradient(C1, C2, p, q, T, tol, int(max_iter), deadline)
        why = "" if converged else " (iteration or time cap reached)"
        inner = ""
    else:
        method = "entropic mirror descent"
        T, it, gap, converged, inner_ok = _mirror_descent(
            C1, C2, p, q, T, eps, tol, int(max_iter), deadline
        )
        why = "" if converged else " (iteration or time cap reached)"
        inner = "" if inner_ok else "; the last Sinkhorn solve did not converge"
    err = marginal_error(T, p, q)
    value = _value(C1 * C1, C2 * C2, C1, C2, T)
    state = "converged" if converged else "NOT converged"
    message = f"{state}{why}: {method}, {it} iterations, GW {value:.6g}{inner}"
    return GromovResult(
        plan=frozen_array(T),
        value=value,
        converged=bool(converged),
        iterations=int(it),
        marginal_error=float(err),
        gap=float(gap),
        eps=eps,
        method=method,
        solve_time=time.perf_counter() - t0,
        message=message,
    )


def gromov_multistart(
    C1,
    C2,
    p=None,
    q=None,
    *,
    eps=0.0,
    starts=4,
    seed=0,
    max_time=DEFAULT_MAX_TIME,
    progress: Callable[[float, str], None] | None = None,
    **options,
) -> GromovStarts:
    """:func:`gromov_wasserstein` from several starts; the lowest value is the answer.

    The first start is the product coupling ``p q^T``; start ``k >= 1`` is
    :func:`random_coupling` with seed ``seed + k`` (a random vertex: a permutation for equal
    uniform weights). GW is not convex, so starts can end at different local minima; all
    values are kept, which shows whether they agree.

    Parameters
    ----------
    C1, C2, p, q, eps
        As in :func:`gromov_wasserstein`.
    starts : int, default 4
        Number of starts (1 to 32).
    seed : int, default 0
        Seed of the random starts.
    max_time : float, default 10
        Budget in seconds for all starts together: each start gets an equal share of what
        the earlier ones left.
    progress : callable, optional
        Called as ``progress(fraction_done, text)`` before each start and at the end (a page
        shows it; it may raise to stop early).
    **options
        ``tol`` and ``max_iter``, passed on.

    Returns
    -------
    GromovStarts

    Raises
    ------
    InvalidInput
        As :func:`gromov_wasserstein`; ``starts`` outside 1 to 32.

    Examples
    --------
    >>> import numpy as np
    >>> from ot_engine import distance_matrix, gromov_multistart
    >>> t = np.linspace(0, 1, 12)
    >>> X = np.stack([t, t**2], axis=1)                     # a bent curve in the plane
    >>> Y = np.stack([t, np.zeros(12), t**2], axis=1)[::-1]  # the same curve in space
    >>> out = gromov_multistart(distance_matrix(X), distance_matrix(Y), starts=3, seed=1)
    >>> out.labels
    ('product', 'random 1', 'random 2')
    >>> round(out.result.value, 9)
    0.0
    """
    C1, C2, p, q = _check_inputs(C1, C2, p, q)
    if (
        isinstance(starts, bool)
        or not isinstance(starts, numbers.Integral)
        or not (1 <= starts <= 32)
    ):
        raise InvalidInput(f"starts must be a whole number from 1 to 32, got {starts!r}")
    max_time = check_positive("max_time", max_time)
    deadline = time.perf_counter() + max_time
    results, labels = [], []
    for k in range(int(starts)):
        if progress is not None:
            progress(k / starts, f"start {k + 1} of {starts}")
        G0 = np.outer(p, q) if k == 0 else random_coupling(p, q, seed + k)
        # an equal share of what is left, so one slow start cannot starve the others
        left = max((deadline - time.perf_counter()) / (starts - k), 1e-3)
        results.append(gromov_wasserstein(C1, C2, p, q, eps=eps, G0=G0, max_time=left, **options))
        labels.append("product" if k == 0 else f"random {k}")
    if progress is not None:
        progress(1.0, "done")
    values = [r.value for r in results]
    return GromovStarts(results=tuple(results), labels=tuple(labels), best=int(np.argmin(values)))
