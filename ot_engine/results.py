"""Immutable result records returned by the solvers.

Every record carries its own accuracy: the L1 error of both marginals of the plan it
returns (``marginal_error``) and whether the solver met its target (``converged``).  Array
fields are read-only views, so a page cannot change a result by accident.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

__all__ = ["ExactResult", "MonotonePlan", "SinkhornResult"]


def frozen_array(arr) -> np.ndarray:
    """Return a read-only float64 copy of ``arr`` (``arr`` itself if :func:`freeze` made it)."""
    if _frozen_own(arr):
        return arr
    out = np.array(arr, dtype=np.float64, copy=True)
    out.setflags(write=False)
    return out


def freeze(arr: np.ndarray) -> np.ndarray:
    """Make ``arr``, a float64 array the caller owns and hands over, read-only in place.

    A solver's plan is a fresh n x m array: a record can take it as it is instead of a copy.
    """
    arr.setflags(write=False)
    return arr


def _frozen_own(arr) -> bool:
    return (
        isinstance(arr, np.ndarray)
        and arr.dtype == np.float64
        and arr.base is None
        and not arr.flags.writeable
    )


def row_sums(K: np.ndarray) -> np.ndarray:
    """``K 1`` as a matrix-vector product.

    A BLAS product reads ``K`` once; ``K.sum(axis)`` took 2-3x longer at n = 256
    (bench/README.md, "Fixed costs of one solve"). Not ``np.vdot`` over all n x m entries,
    though: a long dot product wakes OpenBLAS's other threads, which then spin and made
    every later Sinkhorn iteration of the process about 2x dearer in CPU time.
    """
    return K @ np.ones(K.shape[1])


def col_sums(K: np.ndarray) -> np.ndarray:
    """``K^T 1`` as a matrix-vector product (see :func:`row_sums`)."""
    return np.ones(K.shape[0]) @ K


def sums(plan: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(plan 1, plan^T 1)``: what each bar sends and receives.

    >>> [v.tolist() for v in sums(np.array([[1.0, 2.0], [3.0, 4.0]]))]
    [[3.0, 7.0], [4.0, 6.0]]
    """
    return row_sums(plan), col_sums(plan)


def marginal_gap(sent: np.ndarray, received: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """``|sent - a|_1 + |received - b|_1``: the marginal error of a plan from its :func:`sums`."""
    return float(np.abs(sent - a).sum() + np.abs(received - b).sum())


def marginal_error(plan: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """``|plan 1 - a|_1 + |plan^T 1 - b|_1``."""
    return marginal_gap(*sums(plan), a, b)


def solver_record(cls, *, plan, C, f, g, started, masses, **fields):
    """Build a :class:`SinkhornResult` or :class:`ExactResult` from a solver's arrays.

    The fields both records share are derived here, once: read-only ``plan``, ``f``,
    ``g``; ``cost = <C, plan>``; ``solve_time`` since the ``time.perf_counter()`` value
    ``started``; ``mass_a, mass_b, renormalized`` from ``masses`` (as returned by
    ``check_histogram_pair``).  ``fields`` are the record's own (``marginal_error``,
    ``converged``, ``message``, ...).
    """
    mass_a, mass_b, renormalized = masses
    return cls(
        plan=frozen_array(plan),
        cost=float(np.einsum("ij,ij->", plan, C)),  # no n x m temporary; np.vdot: see row_sums
        f=frozen_array(f),
        g=frozen_array(g),
        solve_time=time.perf_counter() - started,
        renormalized=renormalized,
        mass_a=mass_a,
        mass_b=mass_b,
        **fields,
    )


@dataclass(frozen=True, eq=False)
class SinkhornResult:
    """Outcome of :func:`ot_engine.sinkhorn`.

    Attributes
    ----------
    plan : ndarray, shape (n, m)
        Entropic transport plan; rows of ``a`` with zero mass (columns of ``b``) are zero.
    cost : float
        Transport cost ``<C, plan>`` (without the entropic term).
    f, g : ndarray, shape (n,) and (m,)
        Dual potentials in the units of ``C``, such that
        ``plan = a[:, None] * b[None, :] * exp((f[:, None] + g[None, :] - C) / eps)``
        (up to the final marginal error).  They are finite on empty bins too (soft
        c-transforms), which lets a page draw them over the whole grid.
    iterations : int
        Work done over all ε stages, in Sinkhorn iterations: each Sinkhorn iteration counts
        one, and a Newton step counts its matrix-vector product pairs (conjugate-gradient
        steps, kernel evaluations; a sparse factorization counts as a fixed few).
    marginal_error : float
        ``|plan 1 - a|_1 + |plan^T 1 - b|_1`` of the returned plan, with ``a`` and ``b``
        normalized to unit mass.
    converged : bool
        Whether ``marginal_error <= tol`` was reached within the iteration and time caps.
    error_trace : ndarray
        Marginal error measured at each check during the last ε stage (every few
        iterations), then the final value.
    eps : float
        The regularization actually used (the target one).
    objective : float
        Regularized value ``<C, P> + eps KL(P | a⊗b)`` of the returned plan.
    solve_time : float
        Wall-clock seconds spent in the solver.
    renormalized : bool
        True when the inputs did not sum to 1 and were rescaled to unit mass.
    mass_a, mass_b : float
        Total masses of the histograms as given.
    warm_started : bool
        Whether the given warm start was used (False when absent or of the wrong size).
    message : str
        A short human-readable status.
    warm_state : tuple or None
        Internal: the unit-mass ``a`` and ``b`` the plan is for and a fingerprint of ``C``,
        so that a warm start at the same ``eps`` and cost can reuse the plan as its kernel.
    """

    plan: np.ndarray
    cost: float
    f: np.ndarray
    g: np.ndarray
    iterations: int
    marginal_error: float
    converged: bool
    error_trace: np.ndarray
    eps: float
    objective: float
    solve_time: float
    renormalized: bool
    mass_a: float
    mass_b: float
    warm_started: bool
    message: str
    warm_state: tuple | None = field(default=None, repr=False)


@dataclass(frozen=True, eq=False)
class ExactResult:
    """Outcome of :func:`ot_engine.exact` (unregularized optimal transport).

    Attributes
    ----------
    plan : ndarray, shape (n, m)
        An optimal plan (a vertex of the transport polytope, so at most n + m - 1 nonzeros).
    cost : float
        Optimal cost ``<C, plan>``.
    f, g : ndarray, shape (n,) and (m,)
        Kantorovich potentials with ``f_i + g_j <= C_ij`` and equality on the support of
        the plan; on empty bins they are c-transforms of the other potential.
    marginal_error : float
        ``|plan 1 - a|_1 + |plan^T 1 - b|_1`` with unit-mass ``a`` and ``b``.
    converged : bool
        Whether the network simplex reported an optimal solution.
    solve_time : float
        Wall-clock seconds.
    renormalized : bool
        True when the inputs did not sum to 1 and were rescaled.
    mass_a, mass_b : float
        Total masses as given.
    message : str
        Status reported by the solver.
    """

    plan: np.ndarray
    cost: float
    f: np.ndarray
    g: np.ndarray
    marginal_error: float
    converged: bool
    solve_time: float
    renormalized: bool
    mass_a: float
    mass_b: float
    message: str


@dataclass(frozen=True, eq=False)
class MonotonePlan:
    """The monotone (north-west corner, quantile) coupling of two 1D histograms.

    Attributes
    ----------
    rows, cols : ndarray of int, shape (k,)
        Indices into the *given* ``x`` and ``y`` of each moved piece of mass.
    mass : ndarray, shape (k,)
        Mass moved from ``x[rows[t]]`` to ``y[cols[t]]``.
    cost : float
        ``sum(mass * |x[rows] - y[cols]|^power)``.
    shape : tuple of int
        ``(n, m)``, the shape of the dense plan.
    renormalized : bool
        True when the inputs did not sum to 1 and were rescaled.
    """

    rows: np.ndarray
    cols: np.ndarray
    mass: np.ndarray
    cost: float
    shape: tuple
    renormalized: bool

    def to_dense(self) -> np.ndarray:
        """Return the plan as a dense ``(n, m)`` array."""
        plan = np.zeros(self.shape)
        np.add.at(plan, (self.rows, self.cols), self.mass)
        return plan
