"""Persistence diagrams: matching with the diagonal, exactly (Wasserstein and bottleneck).

A persistence diagram is a finite set of points ``(b, d)`` with ``d >= b`` (birth, death). Two
diagrams of different sizes are compared by matching each point either to a point of the other
diagram or to the diagonal ``{b = d}``, whichever is cheaper overall; the diagonal has room for
every point. The ground metric is the sup norm ``||x - y||_inf`` (as in GUDHI's and persim's
bottleneck, and GUDHI's ``internal_p=inf``): the distance of ``(b, d)`` to the diagonal is
then ``(d - b) / 2``, half its persistence, reached at its orthogonal projection
``((b + d) / 2, (b + d) / 2)``; and the stability theorem reads
``d_B(Dgm f, Dgm g) <= ||f - g||_inf`` with exactly this metric.

* :func:`diagram_distance` (order ``p >= 1``): one square linear assignment of size ``n + m``
  (each diagram augmented with the other's diagonal projections; diagonal to diagonal costs 0),
  solved exactly by :func:`scipy.optimize.linear_sum_assignment`.
* :func:`diagram_distance` (order ``inf``): the bottleneck distance, exactly: a binary search
  over the sorted candidate edge lengths with a perfect-matching check
  (:func:`scipy.sparse.csgraph.maximum_bipartite_matching`); not a large-``p`` limit.
* :func:`sublevel_diagram`: the 0-dimensional sublevel-set persistence of a function sampled
  on a path (a union-find over the sorted values, elder rule).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from .results import frozen_array
from .validation import InvalidInput

__all__ = [
    "MAX_DIAGRAM_POINTS",
    "DiagramMatching",
    "check_diagram",
    "diagram_distance",
    "sublevel_diagram",
]

#: Points per diagram the engine accepts (the assignment is cubic in n + m).
MAX_DIAGRAM_POINTS = 200
#: A point this far below the diagonal is refused (rounding may put one on it a hair below).
_BELOW_TOL = 1e-12


def check_diagram(name: str, D) -> np.ndarray:
    """``D`` as a read-only float array of shape (n, 2), checked; raises InvalidInput.

    Empty diagrams are valid (shape (0, 2)). Every point needs finite birth and death with
    death >= birth: an infinite death (an essential class) is refused, since matching it
    is a separate problem (essential classes only match each other).

    >>> check_diagram("D", [[0.1, 0.5]]).shape
    (1, 2)
    >>> check_diagram("D", [[0.5, 0.1]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ot_engine.validation.InvalidInput: D: point 1 (0.5, 0.1) lies below the diagonal ...
    """
    try:
        arr = np.array(D, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a list of (birth, death) pairs") from None
    if arr.size == 0:
        return frozen_array(np.zeros((0, 2)))
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InvalidInput(f"{name} must have shape (n, 2): one (birth, death) per row")
    if arr.shape[0] > MAX_DIAGRAM_POINTS:
        raise InvalidInput(f"{name} has more than {MAX_DIAGRAM_POINTS} points")
    if np.isnan(arr).any():
        raise InvalidInput(f"{name} contains NaN")
    if np.isinf(arr).any():
        raise InvalidInput(
            f"{name} has an infinite birth or death (an essential class): give finite pairs"
        )
    below = np.nonzero(arr[:, 1] < arr[:, 0] - _BELOW_TOL)[0]
    if below.size:
        k = int(below[0])
        raise InvalidInput(
            f"{name}: point {k + 1} ({arr[k, 0]:g}, {arr[k, 1]:g}) lies below the diagonal "
            "(death before birth)"
        )
    return frozen_array(arr)


@dataclass(frozen=True, eq=False)
class DiagramMatching:
    """An optimal matching of two persistence diagrams, and its cost.

    Attributes
    ----------
    distance : float
        ``W_p`` (``(sum of matched lengths ** p) ** (1/p)``) or, for ``order = inf``, the
        bottleneck distance (the longest matched length).
    order : float
        ``p``, a float ``>= 1`` or ``math.inf``.
    pairs : ndarray, shape (k, 2), int
        ``(i, j)``: point ``i`` of ``D1`` matched to point ``j`` of ``D2``.
    diagonal1, diagonal2 : ndarray of int
        Points of ``D1`` (of ``D2``) matched to the diagonal.
    lengths_pairs, lengths_diagonal1, lengths_diagonal2 : ndarray
        The sup-norm length of each matched segment, in the same order.
    longest : float
        The longest matched length (the bottleneck cost of this matching).
    longest_edge : tuple
        ``("pair", k)``, ``("diag1", k)`` or ``("diag2", k)``: the row of a longest segment
        (``None`` when nothing is matched).
    solve_time : float
        Seconds.
    """

    distance: float
    order: float
    pairs: np.ndarray
    diagonal1: np.ndarray
    diagonal2: np.ndarray
    lengths_pairs: np.ndarray
    lengths_diagonal1: np.ndarray
    lengths_diagonal2: np.ndarray
    longest: float
    longest_edge: tuple | None
    solve_time: float

    @property
    def n_segments(self) -> int:
        return len(self.pairs) + len(self.diagonal1) + len(self.diagonal2)


def _augmented_cost(D1: np.ndarray, D2: np.ndarray) -> np.ndarray:
    """Sup-norm lengths of the augmented problem, shape (n + m, n + m).

    Rows: the points of D1, then the diagonal copies of D2's points; columns: D2's points,
    then the diagonal copies of D1's points. Point i of D1 may go to its own diagonal copy
    (column m + i) at half its persistence, point j of D2 likewise (row n + j); diagonal to
    diagonal costs 0; everything else is forbidden (inf).
    """
    n, m = len(D1), len(D2)
    C = np.full((n + m, n + m), np.inf)
    if n and m:
        C[:n, :m] = np.abs(D1[:, None, :] - D2[None, :, :]).max(axis=2)
    C[np.arange(n), m + np.arange(n)] = 0.5 * (D1[:, 1] - D1[:, 0])
    C[n + np.arange(m), np.arange(m)] = 0.5 * (D2[:, 1] - D2[:, 0])
    C[n:, m:] = 0.0
    return C


def _perfect_under(C: np.ndarray, t: float) -> np.ndarray | None:
    """A perfect matching using only entries ``C <= t`` (column of each row), or None."""
    graph = csr_matrix((C <= t).astype(np.int8))
    match = maximum_bipartite_matching(graph, perm_type="column")
    return None if (match < 0).any() else match


def _bottleneck_assignment(C: np.ndarray) -> np.ndarray:
    """Column per row of a perfect matching minimizing the largest entry used (exact)."""
    candidates = np.unique(C[np.isfinite(C)])  # sorted; the optimum is one of them
    lo, hi = 0, len(candidates) - 1
    best = _perfect_under(C, candidates[hi])  # every point to the diagonal: always feasible
    while lo < hi:
        mid = (lo + hi) // 2
        match = _perfect_under(C, candidates[mid])
        if match is None:
            lo = mid + 1
        else:
            hi, best = mid, match
    return best


def diagram_distance(D1, D2, order: float = 2.0) -> DiagramMatching:
    """The ``W_p`` (or bottleneck, ``order = inf``) distance of two diagrams, with its matching.

    .. math::

        W_p(D_1, D_2) = \\Big(\\min_{\\gamma} \\sum_{x \\in D_1 \\cup \\Delta}
            \\|x - \\gamma(x)\\|_\\infty^p\\Big)^{1/p}, \\qquad
        d_B(D_1, D_2) = \\min_{\\gamma} \\max_x \\|x - \\gamma(x)\\|_\\infty

    over bijections ``gamma`` of ``D1`` plus the diagonal onto ``D2`` plus the diagonal.

    Parameters
    ----------
    D1, D2 : array_like, shape (n, 2) and (m, 2)
        Finite ``(birth, death)`` pairs with ``death >= birth``; either may be empty.
    order : float
        ``p >= 1`` or ``math.inf`` (the bottleneck distance).

    Returns
    -------
    DiagramMatching

    Raises
    ------
    InvalidInput
        A point below the diagonal, NaN or infinite coordinates, a wrong shape, too many
        points, or an order below 1.

    References
    ----------
    Cohen-Steiner, Edelsbrunner, Harer, "Stability of persistence diagrams", DCG 2007.
    Kerber, Morozov, Nigmetov, "Geometry helps to compare persistence diagrams", JEA 2017.

    Examples
    --------
    >>> r = diagram_distance([[0.0, 1.0]], [[0.0, 1.2]], order=math.inf)
    >>> round(r.distance, 6), r.pairs.tolist()
    (0.2, [[0, 0]])
    >>> round(diagram_distance([[0.0, 1.0]], [], order=1).distance, 6)
    0.5
    """
    t0 = time.perf_counter()
    A, B = check_diagram("D1", D1), check_diagram("D2", D2)
    try:
        p = float(order)
    except (TypeError, ValueError):
        raise InvalidInput("order must be a number >= 1 or inf") from None
    if math.isnan(p) or p < 1:
        raise InvalidInput("order must be a number >= 1 or inf")
    n, m = len(A), len(B)
    C = _augmented_cost(A, B)
    if n + m == 0:
        rows = cols = np.zeros(0, dtype=np.int64)
    elif math.isinf(p):
        rows = np.arange(n + m)
        cols = _bottleneck_assignment(C)
    else:
        # Scale by the largest length before the power: no overflow for large p.
        scale = float(C[np.isfinite(C)].max()) or 1.0
        rows, cols = linear_sum_assignment(np.where(np.isfinite(C), (C / scale) ** p, np.inf))
    pairs = np.array([(i, j) for i, j in zip(rows, cols, strict=True) if i < n and j < m])
    pairs = pairs.reshape(-1, 2).astype(np.int64)
    diag1 = np.array([i for i, j in zip(rows, cols, strict=True) if i < n and j >= m], np.int64)
    diag2 = np.array([j for i, j in zip(rows, cols, strict=True) if i >= n and j < m], np.int64)
    lp = C[pairs[:, 0], pairs[:, 1]] if len(pairs) else np.zeros(0)
    l1 = 0.5 * (A[diag1, 1] - A[diag1, 0]) if len(diag1) else np.zeros(0)
    l2 = 0.5 * (B[diag2, 1] - B[diag2, 0]) if len(diag2) else np.zeros(0)
    everything = np.concatenate([lp, l1, l2])
    longest, edge = 0.0, None
    if everything.size:
        k = int(np.argmax(everything))
        longest = float(everything[k])
        if k < len(lp):
            edge = ("pair", k)
        elif k < len(lp) + len(l1):
            edge = ("diag1", k - len(lp))
        else:
            edge = ("diag2", k - len(lp) - len(l1))
    if math.isinf(p):
        distance = longest
    else:
        distance = float(np.sum(everything**p) ** (1.0 / p)) if everything.size else 0.0
    return DiagramMatching(
        distance=distance,
        order=p,
        pairs=_frozen_int(pairs),
        diagonal1=_frozen_int(diag1),
        diagonal2=_frozen_int(diag2),
        lengths_pairs=frozen_array(lp),
        lengths_diagonal1=frozen_array(l1),
        lengths_diagonal2=frozen_array(l2),
        longest=longest,
        longest_edge=edge,
        solve_time=time.perf_counter() - t0,
    )


def _frozen_int(arr: np.ndarray) -> np.ndarray:
    out = np.array(arr, dtype=np.int64)
    out.setflags(write=False)
    return out


def sublevel_diagram(f, keep_essential: bool = False) -> np.ndarray:
    """0-dimensional sublevel-set persistence of ``f`` sampled on a path ``0 - 1 - ... - n-1``.

    Sweep the values upwards; a sample below both neighbours starts a component (born at its
    value); when a sample joins two components, the younger one (larger birth) dies at that
    value (the elder rule). Pairs with death = birth are dropped. The global minimum's
    component never dies: it is left out, or returned with death ``inf`` if
    ``keep_essential``.

    Parameters
    ----------
    f : array_like, shape (n,)
        Finite values, ``n >= 1``.

    Returns
    -------
    ndarray, shape (k, 2)
        ``(birth, death)`` pairs, by increasing birth.

    Raises
    ------
    InvalidInput
        Empty, not one-dimensional, or not finite.

    Examples
    --------
    >>> sublevel_diagram([0.0, 2.0, 1.0, 3.0]).tolist()
    [[1.0, 2.0]]
    >>> sublevel_diagram([0.0, 2.0, 1.0, 3.0], keep_essential=True).tolist()
    [[0.0, inf], [1.0, 2.0]]
    """
    try:
        v = np.asarray(f, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInput("f must be an array of numbers") from None
    if v.ndim != 1 or v.size == 0:
        raise InvalidInput("f must be a non-empty one-dimensional array")
    if not np.isfinite(v).all():
        raise InvalidInput("f must be finite")
    n = v.size
    parent = np.full(n, -1, dtype=np.int64)  # -1: not swept yet
    birth = np.zeros(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]  # path halving
            i = int(parent[i])
        return i

    pairs = []
    for i in np.argsort(v, kind="stable"):
        i = int(i)
        parent[i], birth[i] = i, v[i]
        for k in (i - 1, i + 1):
            if 0 <= k < n and parent[k] >= 0:
                ri, rk = root(i), root(k)
                if ri == rk:
                    continue
                # The younger root dies now; the elder one absorbs it.
                young, old = (ri, rk) if birth[ri] > birth[rk] else (rk, ri)
                if birth[young] < v[i]:
                    pairs.append((birth[young], v[i]))
                parent[young] = old
    out = sorted(pairs)
    if keep_essential:
        out = [(float(v.min()), math.inf), *out]
    return np.array(out, dtype=np.float64).reshape(-1, 2)
