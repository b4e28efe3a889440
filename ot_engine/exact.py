"""Unregularized optimal transport: network simplex, 1D monotone coupling, point clouds."""

from __future__ import annotations

import time
import warnings

import numpy as np
import ot

from ._support import block, embed
from .geometry import cost_matrix
from .results import ExactResult, MonotonePlan, frozen_array, marginal_error, solver_record
from .validation import (
    InvalidInput,
    check_cost,
    check_grid,
    check_histogram_pair,
    check_points,
    check_positive,
)

__all__ = ["empirical_w2", "exact", "monotone_plan_1d"]

#: Marginal error below which an exact plan counts as feasible (float64 round-off).
EXACT_TOL = 1e-9
#: Pivot cap of the network simplex (far above what MAX_SIZE bars need; a solve that hits
#: it is reported, never passed off as optimal).
EMD_MAX_ITER = 10_000_000


def _network_simplex(a, b, C):
    """``ot.emd`` with its potentials; returns ``(plan, f, g, optimal, message)``.

    POT signals an iteration cap or an infeasible problem with a ``UserWarning`` and a
    result code; the code is read here and the warning, now redundant, silenced.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plan, log = ot.emd(a, b, C, numItermax=EMD_MAX_ITER, log=True)
    code = int(log.get("result_code", 1))
    optimal = code == 1
    if optimal:
        message = "optimal"
    elif code == 3:  # POT's MAX_ITER_REACHED
        message = f"NOT optimal: stopped at the iteration cap ({EMD_MAX_ITER} pivots)"
    else:
        message = f"NOT optimal: {log.get('warning') or 'network simplex failed'}"
    f = np.asarray(log["u"], dtype=np.float64)
    g = np.asarray(log["v"], dtype=np.float64)
    return plan, f, g, optimal, message


def exact(a, b, C, *, normalize=True) -> ExactResult:
    r"""Exact (unregularized) optimal transport between two histograms.

    Solves the linear program

    .. math::

        \min_{P \ge 0,\ P 1 = a,\ P^T 1 = b} \langle C, P \rangle
        = \max_{f_i + g_j \le C_{ij}} \langle f, a\rangle + \langle g, b\rangle

    with POT's network simplex (``ot.emd(..., log=True)``) and returns the plan together
    with the dual (Kantorovich) potentials.

    Parameters
    ----------
    a : array_like, shape (n,)
        Source histogram (non-negative, positive total, zero bars allowed).
    b : array_like, shape (m,)
        Target histogram.
    C : array_like, shape (n, m)
        Finite ground cost.
    normalize : bool, default True
        Rescale ``a`` and ``b`` to unit mass; with ``False`` a total other than 1 raises.

    Returns
    -------
    ExactResult
        Frozen record with ``plan``, ``cost``, ``f``, ``g``, ``marginal_error``,
        ``converged``.  On empty bars ``f``/``g`` are the c-transform of the other potential,
        so ``f_i + g_j <= C_ij`` everywhere.

    Raises
    ------
    InvalidInput
        Bad histograms, a cost matrix of the wrong shape or not finite, sizes above 2048.

    Examples
    --------
    >>> import numpy as np, ot
    >>> from ot_engine import exact, cost_matrix, uniform_grid
    >>> x = uniform_grid(4)
    >>> a, b = np.array([0.5, 0.5, 0, 0]), np.array([0, 0, 0.5, 0.5])
    >>> res = exact(a, b, cost_matrix(x, x, power=1))
    >>> round(res.cost, 12), bool(res.converged)
    (0.5, True)
    >>> bool(np.isclose(res.cost, ot.emd2(a, b, cost_matrix(x, x, power=1))))
    True
    >>> bool(np.isclose(res.f @ a + res.g @ b, res.cost))   # strong duality
    True
    """
    t0 = time.perf_counter()
    a, b, mass_a, mass_b, renormalized = check_histogram_pair(a, b, normalize=normalize)
    n, m = a.size, b.size
    C = check_cost(C, n, m)
    ia = np.flatnonzero(a > 0)
    jb = np.flatnonzero(b > 0)
    Cs = block(C, ia, jb)
    a_s = a[ia] / a[ia].sum()
    b_s = b[jb] / b[jb].sum()
    plan_s, f_s, g_s, optimal, message = _network_simplex(a_s, b_s, Cs)
    plan = embed(plan_s, ia, jb, (n, m))
    # Extend the potentials to empty bars by (hard) c-transforms: first f on the empty rows
    # against the columns with mass, then g on the empty columns against *every* row, so
    # that f_i + g_j <= C_ij also holds when row i and column j are both empty.
    f = (C[:, jb] - g_s[None, :]).min(axis=1)
    f[ia] = f_s
    g = (C - f[:, None]).min(axis=0)
    g[jb] = g_s
    err = marginal_error(plan, a, b)
    return solver_record(
        ExactResult,
        plan=plan,
        C=C,
        f=f,
        g=g,
        started=t0,
        masses=(mass_a, mass_b, renormalized),
        marginal_error=err,
        converged=bool(optimal and err <= EXACT_TOL),
        message=message,
    )


def _quantile_pieces(Fa, Fb):
    """Split [0, 1] at the breakpoints of two CDFs; return (row, col, mass) of each piece."""
    t = np.union1d(Fa, Fb)
    t = t[(t > 0.0) & (t <= 1.0)]
    t[-1] = 1.0
    lo = np.concatenate(([0.0], t[:-1]))
    mass = t - lo
    keep = mass > 0.0
    mid = 0.5 * (lo + t)[keep]
    rows = np.minimum(np.searchsorted(Fa, mid, side="left"), Fa.size - 1)
    cols = np.minimum(np.searchsorted(Fb, mid, side="left"), Fb.size - 1)
    return rows, cols, mass[keep]


def _cdf(w):
    F = np.cumsum(w)
    F /= F[-1]
    F[-1] = 1.0
    return F


def monotone_plan_1d(x, a, y, b, *, power=2.0, normalize=True) -> MonotonePlan:
    r"""The monotone (north-west corner / quantile) coupling of two histograms on the line.

    Mass leaves ``x`` in increasing order and arrives at ``y`` in increasing order:
    the plan couples the quantile functions, :math:`(F_a^{-1}(t), F_b^{-1}(t))_{t \in [0,1]}`.
    For any convex cost ``h(y - x)`` (e.g. ``|y - x|^p``, ``p >= 1``) this plan is optimal.

    Parameters
    ----------
    x : array_like, shape (n,)
        Source locations (any order).
    a : array_like, shape (n,)
        Source masses.
    y : array_like, shape (m,)
        Target locations (any order).
    b : array_like, shape (m,)
        Target masses.
    power : float, default 2
        Exponent ``>= 1`` of the cost ``|x - y|^power`` used for the reported ``cost``
        (below 1 the cost is concave and the monotone plan is not optimal).
    normalize : bool, default True
        Rescale ``a``, ``b`` to unit mass (otherwise totals other than 1 raise).

    Returns
    -------
    MonotonePlan
        Sparse triplets ``rows``, ``cols``, ``mass`` (at most ``n + m - 1`` of them) indexing
        the given ``x`` and ``y``, the ``cost``, and ``to_dense()``.

    Raises
    ------
    InvalidInput
        Bad histograms or grids, grids and histograms of different lengths, ``power < 1``.

    Examples
    --------
    >>> plan = monotone_plan_1d([0.0, 1.0], [0.5, 0.5], [0.0, 2.0, 3.0], [0.25, 0.25, 0.5])
    >>> plan.to_dense()
    array([[0.25, 0.25, 0.  ],
           [0.  , 0.  , 0.5 ]])
    >>> float(plan.cost)  # 0.25 * 0 + 0.25 * 4 + 0.5 * 4
    3.0
    """
    a, b, _, _, renormalized = check_histogram_pair(a, b, normalize=normalize)
    x = check_grid("x", x, size=a.size)
    y = check_grid("y", y, size=b.size)
    p = check_positive("power", power)
    if p < 1.0:
        raise InvalidInput(
            f"power must be at least 1, got {p}: for |x - y|^p with p < 1 the cost is concave "
            "and the monotone coupling is no longer optimal (use exact() instead)"
        )
    ox = np.argsort(x, kind="stable")
    oy = np.argsort(y, kind="stable")
    r, c, mass = _quantile_pieces(_cdf(a[ox]), _cdf(b[oy]))
    rows, cols = ox[r], oy[c]
    cost = float(np.sum(mass * np.abs(x[rows] - y[cols]) ** p))
    rows.setflags(write=False)
    cols.setflags(write=False)
    return MonotonePlan(
        rows=rows,
        cols=cols,
        mass=frozen_array(mass),
        cost=cost,
        shape=(a.size, b.size),
        renormalized=renormalized,
    )


def empirical_w2(X, Y) -> float:
    r"""W2 between two uniform point clouds, by an exact optimal transport solve.

    .. math::

        W_2(\hat\mu, \hat\nu) = \Big(\min_{P \in \Pi(1/n, 1/m)}
        \sum_{ij} P_{ij} \|X_i - Y_j\|^2\Big)^{1/2}

    Parameters
    ----------
    X : array_like, shape (n, d) or (n,)
        Source samples, each of weight ``1/n``.
    Y : array_like, shape (m, d) or (m,)
        Target samples, each of weight ``1/m``, same dimension ``d``.

    Returns
    -------
    float
        ``W2`` itself (not squared).

    Raises
    ------
    InvalidInput
        Empty, non-finite or too large (more than 2048 points) clouds, or different ``d``;
        also if the network simplex stops at its iteration cap before optimality (then no
        number is returned rather than a wrong one).

    Examples
    --------
    >>> empirical_w2([[0.0, 0.0], [1.0, 0.0]], [[0.0, 3.0], [1.0, 3.0]])
    3.0
    """
    X = check_points("X", X)
    Y = check_points("Y", Y, dim=X.shape[1])
    C = cost_matrix(X, Y, power=2)
    a = np.full(X.shape[0], 1.0 / X.shape[0])
    b = np.full(Y.shape[0], 1.0 / Y.shape[0])
    plan, _, _, optimal, message = _network_simplex(a, b, C)
    if not optimal:
        raise InvalidInput(f"the exact solver gave no answer ({message}): compare fewer points")
    value = float(np.sum(plan * C))
    if not np.isfinite(value):
        raise InvalidInput("the point clouds could not be compared (non-finite cost)")
    return float(np.sqrt(max(value, 0.0)))
