r"""Sinkhorn's iteration one half-step at a time, in the plain and in the log domain.

:func:`sinkhorn_steps` records a bounded run of Sinkhorn's alternating scalings so that a page
can step forward and back through it: the marginal errors after every half-step (row scaling,
then column scaling) are stored, the scalings themselves only every ``CHECKPOINT_EVERY``
half-steps, and :meth:`SinkhornSteps.plan` recomputes any state from its checkpoint (a few
matrix-vector products).  It is a teaching instrument, not a solver: the converged reference
is :func:`ot_engine.sinkhorn`.

Two forms of the same iteration, both started from ``v = 1`` (``g = 0``):

* plain (scaling): ``K = exp(-C / eps)``, ``u <- a / (K v)`` then ``v <- b / (K^T u)``, plan
  ``diag(u) K diag(v)``.  At small ``eps`` the kernel underflows (``exp(-745)`` is the last
  positive double); ``K v`` can then be exactly 0 and ``u = a / 0 = inf``, after which the plan
  holds NaN.  The record says where (``breakdown``) and how many kernel entries are 0; it never
  hands back a NaN without saying so.
* log domain: potentials ``f = eps log u``, ``g = eps log v``, updated with a stabilized
  log-sum-exp, ``f_i <- eps log a_i - eps LSE_j((g_j - C_ij) / eps)``; nothing underflows that
  matters, the plan ``exp((f_i + g_j - C_ij) / eps)`` is exact to rounding.

Mathematically both produce the same iterates; only floating point tells them apart.

:func:`entropic_plan_2x2` is the closed form of the entropic plan between two 2-bin histograms,
the oracle for the worked example of the page /sinkhorn.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from .results import frozen_array
from .validation import InvalidInput, check_cost, check_eps, check_histogram_pair, check_positive

__all__ = [
    "CHECKPOINT_EVERY",
    "MAX_HALF_STEPS",
    "SinkhornSteps",
    "entropic_plan_2x2",
    "sinkhorn_steps",
]

#: Largest number of half-steps one record may hold (bounds time and memory).
MAX_HALF_STEPS = 20_000
#: Scalings are kept every this many half-steps; other states are recomputed from the nearest.
CHECKPOINT_EVERY = 16
#: Largest histogram size a record accepts (the page uses at most 64 bins).
MAX_STEP_SIZE = 512

DOMAINS = ("plain", "log")


def _lse_rows(M: np.ndarray) -> np.ndarray:
    """``log sum_j exp(M_ij)`` per row, stabilized by the row's largest entry.

    Every row has a finite entry (the columns of the other histogram's bars with mass), so
    the shift is finite; callers silence the warnings of ``-inf`` entries once, around loops.
    """
    top = M.max(axis=1)
    return top + np.log(np.exp(M - top[:, None]).sum(axis=1))


def _l1(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.abs(x - y).sum())


@dataclass(frozen=True, eq=False)
class SinkhornSteps:
    """A recorded run of :func:`sinkhorn_steps` (frozen; arrays read-only).

    State ``k`` (``0 <= k <= half_steps``) is the iterate after ``k`` half-steps: odd ``k`` just
    scaled the rows (so ``P 1 = a``), even ``k > 0`` just scaled the columns (``P^T 1 = b``);
    state 0 is the kernel itself (``u = v = 1``).

    Attributes
    ----------
    domain : str
        ``"plain"`` or ``"log"``.
    a, b : ndarray, shape (n,) and (m,)
        The histograms, normalized to unit mass.
    C : ndarray, shape (n, m)
        The cost.
    eps : float
        Regularization, in the units of ``C``.
    half_steps : int
        Number of half-steps recorded (fewer than asked when the run reached ``tol`` or, plain
        domain only, broke down).
    row_error, col_error : ndarray, shape (half_steps + 1,)
        ``|P_k 1 - a|_1`` and ``|P_k^T 1 - b|_1`` of every state; NaN once the plain iteration
        has broken down (its plan holds NaN or inf).
    kernel_zeros : int
        Entries of ``exp(-C / eps)`` that are exactly 0 in floating point (plain domain; the
        log domain never forms that kernel and reports 0).
    breakdown : int or None
        First state whose scalings or plan are not finite (plain domain only), else None.
    breakdown_reason : str
        What went wrong at ``breakdown`` (empty when it did not break down).
    tol : float
        Target marginal error; ``converged_at`` is the first state at or below it.
    converged_at : int or None
        First ``k`` with ``row_error[k] + col_error[k] <= tol``, or None.
    """

    domain: str
    a: np.ndarray
    b: np.ndarray
    C: np.ndarray
    eps: float
    half_steps: int
    row_error: np.ndarray
    col_error: np.ndarray
    kernel_zeros: int
    breakdown: int | None
    breakdown_reason: str
    tol: float
    converged_at: int | None
    _checkpoints: tuple

    @property
    def marginal_error(self) -> np.ndarray:
        """``row_error + col_error`` of every state."""
        return self.row_error + self.col_error

    @property
    def iterations_to_tol(self) -> int | None:
        """Full iterations (row + column scaling) until the error first met ``tol``, or None."""
        return None if self.converged_at is None else (self.converged_at + 1) // 2

    def scalings(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(u, v)`` (plain) or ``(f, g)`` (log domain) of state ``k``, recomputed from the
        nearest checkpoint at or before it.

        Raises
        ------
        InvalidInput
            If ``k`` is not a whole number in ``[0, half_steps]``.
        """
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise InvalidInput(f"k must be a whole number of half-steps, got {k!r}")
        k = int(k)
        if not 0 <= k <= self.half_steps:
            raise InvalidInput(f"k must be between 0 and {self.half_steps}, got {k}")
        x, y = self._state(k)
        if self.domain == "log":
            return self.eps * x, self.eps * y
        return x, y

    def _state(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """State ``k`` as the stepper holds it (log domain: potentials over ``eps``)."""
        start = min(k // CHECKPOINT_EVERY, len(self._checkpoints) - 1)
        x, y = (s.copy() for s in self._checkpoints[start])
        step = _stepper(self.domain, self.a, self.b, self.C, self.eps)
        pre = None
        with np.errstate(all="ignore"):
            for j in range(start * CHECKPOINT_EVERY + 1, k + 1):
                x, y, _, _, pre = step(j, x, y, pre)
        return x, y

    def plan(self, k: int) -> np.ndarray:
        """The plan of state ``k`` as the iteration computes it (NaN/inf kept as they are: see
        ``breakdown``)."""
        self.scalings(k)  # checks k
        x, y = self._state(k)
        return _plan(self.domain, x, y, self.C, self.eps)


def _plan(domain, x, y, C, eps) -> np.ndarray:
    """The plan of scalings ``(u, v)`` (plain) or of potentials in units of ``eps``,
    ``(f / eps, g / eps)`` (log domain, as the stepper holds them)."""
    with np.errstate(all="ignore"):
        if domain == "plain":
            return x[:, None] * np.exp(-C / eps) * y[None, :]
        return np.exp(x[:, None] + y[None, :] - C / eps)


def _stepper(domain, a, b, C, eps):
    """``step(k, x, y, pre) -> (x, y, rows, cols, pre)``: half-step ``k`` (odd: rows).

    ``pre`` carries the product the next half-step needs (``K^T u`` after a row scaling,
    ``K v`` after a column one; their log-sum-exp forms in the log domain): each half-step
    then costs one product with the kernel, which also gives the other side's sums. The log
    domain works with ``F = f / eps``, ``G = g / eps`` (one division of ``C`` in all). Call it
    under ``np.errstate(all="ignore")``: the plain form's failures are detected by the caller.
    """
    empty_a, empty_b = a == 0, b == 0
    if domain == "plain":
        with np.errstate(under="ignore"):
            K = np.exp(-C / eps)
        Kt = np.ascontiguousarray(K.T)

        def plain(k, u, v, pre=None):
            if k % 2:
                Kv = K @ v if pre is None else pre
                u = a / Kv
                u[empty_a] = 0.0  # an empty bar gets no mass (0 / 0 would be NaN)
                after = Kt @ u
                return u, v, u * Kv, v * after, after
            Ktu = Kt @ u if pre is None else pre
            v = b / Ktu
            v[empty_b] = 0.0
            after = K @ v
            return u, v, u * after, v * Ktu, after

        return plain

    with np.errstate(divide="ignore"):
        log_a, log_b = np.log(a), np.log(b)
    Cn = C / eps
    Cnt = np.ascontiguousarray(Cn.T)

    def log(k, F, G, pre=None):
        if k % 2:
            r = _lse_rows(G[None, :] - Cn) if pre is None else pre
            F = log_a - r
            after = _lse_rows(F[None, :] - Cnt)
            return F, G, np.exp(F + r), np.exp(G + after), after
        c = _lse_rows(F[None, :] - Cnt) if pre is None else pre
        G = log_b - c
        after = _lse_rows(G[None, :] - Cn)
        return F, G, np.exp(F + after), np.exp(G + c), after

    return log


def sinkhorn_steps(
    a,
    b,
    C,
    eps,
    *,
    domain: str = "log",
    half_steps: int = 200,
    tol: float = 1e-9,
    stop_at_tol: bool = False,
) -> SinkhornSteps:
    r"""Run Sinkhorn's iteration for ``half_steps`` half-steps and record every state.

    The entropic plan ``P = diag(u) K diag(v)``, ``K = exp(-C / eps)``, is the limit of the
    alternating scalings (Sinkhorn-Knopp [1]_; Bregman/KL projections onto the two marginal
    constraints, see [2]_)

    .. math::

        u^{(l+1)} = \frac{a}{K v^{(l)}}, \qquad v^{(l+1)} = \frac{b}{K^\top u^{(l+1)}},

    started from ``v = 1``.  Half-step ``2l + 1`` is the row scaling, ``2l + 2`` the column
    scaling.  The log domain runs the same iteration on ``f = eps log u``, ``g = eps log v``.
    This minimizer is the one of POT's ``ot.sinkhorn(a, b, C, reg=eps)``.

    Parameters
    ----------
    a, b : array_like, shapes (n,) and (m,)
        Non-negative histograms with positive mass (normalized to unit mass; zero bars allowed,
        their scalings are 0 and their potentials ``-inf``).
    C : array_like, shape (n, m)
        Finite cost.
    eps : float
        Regularization ``> 0`` in the units of ``C``.
    domain : {"log", "plain"}
        Which form of the iteration to run.
    half_steps : int, default 200
        How many half-steps to record, ``1 <= half_steps <= MAX_HALF_STEPS`` (20000).
    tol : float, default 1e-9
        Marginal error ``|P 1 - a|_1 + |P^T 1 - b|_1`` that counts as converged
        (``converged_at``).
    stop_at_tol : bool, default False
        Stop recording at the first state that meets ``tol``.

    Returns
    -------
    SinkhornSteps
        Marginal errors of every state, scalings at checkpoints, ``plan(k)`` on demand; for the
        plain domain the number of kernel entries that underflowed to 0 and the first state
        that is not finite (``breakdown``), after which the run stops.

    Raises
    ------
    InvalidInput
        Bad histograms, a cost of the wrong shape or not finite, ``eps`` or ``tol`` not
        positive, ``half_steps`` out of range, an unknown ``domain``, more than 512 bars.

    References
    ----------
    .. [1] R. Sinkhorn and P. Knopp, "Concerning nonnegative matrices and doubly stochastic
       matrices", Pacific J. Math. 21(2), 1967.
    .. [2] G. Peyré and M. Cuturi, "Computational Optimal Transport", Found. Trends Mach.
       Learn. 11(5-6), 2019, sections 4.2 and 4.4.

    Examples
    --------
    >>> import numpy as np, ot
    >>> a, b = np.array([0.5, 0.5]), np.array([0.1, 0.9])
    >>> C = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> run = sinkhorn_steps(a, b, C, 1.0, domain="plain", half_steps=60)
    >>> np.round(run.plan(60), 4)
    array([[0.0863, 0.4137],
           [0.0137, 0.4863]])
    >>> bool(np.allclose(run.plan(60), ot.sinkhorn(a, b, C, 1.0, stopThr=1e-14)))
    True
    >>> bool(run.row_error[1] < 1e-15), round(float(run.col_error[1]), 4)   # after the row scaling
    (True, 0.8)

    At a tiny ``eps`` the plain kernel underflows and the plain iteration breaks down; the log
    domain does not:

    >>> x = np.linspace(0, 1, 8)
    >>> C = (x[:, None] - x[None, :]) ** 2
    >>> p, q = np.r_[1.0, np.zeros(7)], np.r_[np.zeros(7), 1.0]
    >>> plain = sinkhorn_steps(p, q, C, 1e-3, domain="plain", half_steps=10)
    >>> plain.breakdown, plain.kernel_zeros > 0, bool(np.isnan(plain.plan(2)).any())
    (2, True, True)
    >>> plain.breakdown_reason[:52]
    'half-step 2 (column scaling): v = b / (Kᵀ u) divided'
    >>> log = sinkhorn_steps(p, q, C, 1e-3, domain="log", half_steps=10)
    >>> log.breakdown, float(log.plan(10)[0, 7])
    (None, 1.0)
    """
    if domain not in DOMAINS:
        raise InvalidInput(f"domain must be 'plain' or 'log', got {domain!r}")
    a, b, _, _, _ = check_histogram_pair(a, b)
    if max(a.size, b.size) > MAX_STEP_SIZE:
        raise InvalidInput(f"at most {MAX_STEP_SIZE} bars per histogram are supported here")
    C = check_cost(C, a.size, b.size)
    eps = check_eps(eps)
    tol = check_positive("tol", tol)
    if (
        isinstance(half_steps, bool)
        or not isinstance(half_steps, numbers.Integral)
        or not 1 <= half_steps <= MAX_HALF_STEPS
    ):
        raise InvalidInput(
            f"half_steps must be a whole number from 1 to {MAX_HALF_STEPS}, got {half_steps!r}"
        )
    half_steps = int(half_steps)

    step = _stepper(domain, a, b, C, eps)
    kernel_zeros = 0
    # State 0 is the kernel itself (u = v = 1, f = g = 0).
    with np.errstate(under="ignore"):
        K = np.exp(-C / eps)
    rows, cols = K.sum(1), K.sum(0)
    if domain == "plain":
        kernel_zeros = int(np.count_nonzero(K == 0.0))
        x, y = np.ones(a.size), np.ones(b.size)
    else:
        x, y = np.zeros(a.size), np.zeros(b.size)
    row_err, col_err = [_l1(rows, a)], [_l1(cols, b)]
    checkpoints = [(x.copy(), y.copy())]
    breakdown, reason, converged_at = None, "", None
    if row_err[0] + col_err[0] <= tol:
        converged_at = 0
    pre = None
    with np.errstate(all="ignore"):  # the plain form's failures are detected below
        for k in range(1, half_steps + 1):
            if stop_at_tol and converged_at is not None:
                break
            x, y, rows, cols, pre = step(k, x, y, pre)
            # NaN and inf propagate through a sum: one scalar check per half-step.
            if not math.isfinite(float(rows.sum() + cols.sum())):
                row_err.append(math.nan)
                col_err.append(math.nan)
                breakdown = k
                reason = _why_not_finite(k, x, y, a, b, C, eps)
                if k % CHECKPOINT_EVERY == 0:
                    checkpoints.append((x.copy(), y.copy()))
                break
            row_err.append(_l1(rows, a))
            col_err.append(_l1(cols, b))
            if converged_at is None and row_err[-1] + col_err[-1] <= tol:
                converged_at = k
            if k % CHECKPOINT_EVERY == 0:
                checkpoints.append((x.copy(), y.copy()))
    return SinkhornSteps(
        domain=domain,
        a=frozen_array(a),
        b=frozen_array(b),
        C=frozen_array(C),
        eps=eps,
        half_steps=len(row_err) - 1,
        row_error=frozen_array(row_err),
        col_error=frozen_array(col_err),
        kernel_zeros=kernel_zeros,
        breakdown=breakdown,
        breakdown_reason=reason,
        tol=tol,
        converged_at=converged_at,
        _checkpoints=tuple(tuple(frozen_array(s) for s in c) for c in checkpoints),
    )


def _why_not_finite(k, u, v, a, b, C, eps) -> str:
    """One sentence on why the plain iteration's state ``k`` is not finite."""
    side, scaling, mass, name = ("row", u, a, "u = a / (K v)") if k % 2 else ("column", v, b, "v")
    if not k % 2:
        name = "v = b / (Kᵀ u)"
    bad = int(np.count_nonzero(~np.isfinite(scaling) & (mass > 0)))
    if bad:
        return (
            f"half-step {k} ({side} scaling): {name} divided by 0 or by an underflowed number "
            f"in {bad} {side}(s): the scaling is inf, so the plan holds inf·0 = NaN"
        )
    return (
        f"half-step {k} ({side} scaling): the scalings overflowed (exp(-C/ε) underflows for "
        f"C/ε > 745, here max C/ε = {float(C.max()) / eps:.3g}), so the plan is not finite"
    )


def entropic_plan_2x2(a, b, C, eps) -> np.ndarray:
    r"""Closed form of the entropic plan between two 2-bin histograms.

    A 2 x 2 coupling of ``a`` and ``b`` has one free entry, ``P = [[x, a_1 - x],
    [b_1 - x, a_2 - b_1 + x]]``.  The entropic plan is ``diag(u) K diag(v)``, so its cross
    ratio is the kernel's: ``P_11 P_22 / (P_12 P_21) = kappa = exp(-(C_11 + C_22 - C_12 -
    C_21) / eps)``, i.e. the quadratic

    .. math::

        (1 - \kappa) x^2 + (a_2 - b_1 + \kappa (a_1 + b_1)) x - \kappa a_1 b_1 = 0,

    whose root in the feasible interval ``[max(0, b_1 - a_2), min(a_1, b_1)]`` is ``x``.

    Parameters
    ----------
    a, b : array_like, shape (2,)
        Histograms with positive mass (normalized to unit mass).
    C : array_like, shape (2, 2)
        Cost.
    eps : float
        Regularization ``> 0``.

    Returns
    -------
    ndarray, shape (2, 2)

    Raises
    ------
    InvalidInput
        Histograms not of 2 bars, bad cost or ``eps``.

    Examples
    --------
    >>> P = entropic_plan_2x2([0.5, 0.5], [0.1, 0.9], [[0, 1], [1, 0]], 1.0)
    >>> np.round(P, 6)
    array([[0.086276, 0.413724],
           [0.013724, 0.486276]])
    """
    a, b, _, _, _ = check_histogram_pair(a, b)
    if a.size != 2 or b.size != 2:
        raise InvalidInput("entropic_plan_2x2 needs two histograms of exactly 2 bars")
    C = check_cost(C, 2, 2)
    eps = check_eps(eps)
    lo, hi = max(0.0, b[0] - a[1]), min(a[0], b[0])
    d = a[1] - b[0]

    # The cross ratio condition x (d + x) - kappa (a1 - x)(b1 - x) = 0, written with
    # kappa = exp(-s) and divided through so that no exponential overflows.
    s = (C[0, 0] + C[1, 1] - C[0, 1] - C[1, 0]) / eps

    def residual(x: float) -> float:
        if s >= 0:
            return math.exp(-s) * (a[0] - x) * (b[0] - x) - x * (d + x)
        return (a[0] - x) * (b[0] - x) - math.exp(s) * x * (d + x)

    # residual(lo) >= 0 >= residual(hi) and it is monotone between: bisection cannot fail.
    x_lo, x_hi = lo, hi
    for _ in range(200):
        mid = 0.5 * (x_lo + x_hi)
        if residual(mid) > 0:
            x_lo = mid
        else:
            x_hi = mid
        if x_hi - x_lo <= 1e-17:
            break
    x = 0.5 * (x_lo + x_hi)
    return np.array([[x, a[0] - x], [b[0] - x, a[1] - b[0] + x]])
