"""Numerical kernel of the Sinkhorn solver (no validation here; see ``sinkhorn.py``).

Scheme: ε-scaling from ``COLD_EPS_START * (max C - min C)`` down to the target (from a
warm start: from the ε of the warm start when it was larger, capped at the same value; see
:func:`first_eps`); within each stage, Sinkhorn scaling iterations on a
*stabilized kernel* ``M = a b^T exp((f + g - C)/ε)`` (plain matrix-vector products) with
over-relaxation, and absorption of the scalings into the potentials ``f, g`` whenever they
drift far from 1 (Schmitzer 2019, "Stabilized sparse scaling algorithms for entropy
regularized transport problems").  Each stage starts from soft c-transforms (columns, then
rows), which bound the kernel and keep it from overflowing.

Few exponentials: without AVX-512, numpy's float64 ``exp`` is scalar code (~8 ns an entry,
~40 matrix-vector products for one n x n kernel), so the kernel is rarely recomputed:

- a stage's first kernel comes with the column c-transform from one ``exp``
  (:func:`column_exact_kernel`); the rows are then made exact by rescaling
  (:func:`make_rows_exact`);
- stages are powers of two apart, so the next stage's kernel is the square of the current
  plan over ``a b^T`` (:func:`square_kernel`), no ``exp`` at all;
- absorptions multiply the kernel by the scalings instead of recomputing it;
- a cold solve on a Toeplitz cost (a uniform grid) builds its first kernel from ``2n - 1``
  exponentials (:func:`toeplitz_kernel`), and a warm start at the same ε and cost takes the
  previous plan as its kernel (``warm_kernel`` of :func:`solve`): no ``exp`` at all.

Entries below ``exp(FLUSH_LOG)`` of their column's largest are 0 in the kernel, and stay 0
under rescaling; ``DRIFT_MAX``, ``SQUARE_MAX_DRIFT`` and ``SQUARE_MIN_LOG_MASS`` bound how
much the rescalings may have grown them since: a dropped entry always stands for a plan
entry below ``1e-100`` (a truncation with a guaranteed bound, as in Schmitzer's sparse
scheme); past those bounds the kernel is recomputed with ``exp``.  The marginal error is
always measured on the returned plan itself.

Far from the solution (a warm start from another ε), over-relaxed scalings can still
overflow.  A stage whose scalings blow up is run again from its starting potentials with
plain Sinkhorn (``omega = 1``) and absorption at every check; if that blows up too, the
solve restarts cold with what is left of the budget.  Whatever happens, the returned matrix
is a finite non-negative plan whose error is measured, never an overflowed kernel.

Sinkhorn alone crawls when the plan is made of weakly coupled blocks (mass on both sides
of a gap, noisy histograms under the ``|x - y|`` cost at small ε): its error then shrinks
by a factor close to 1 per iteration.  When the rate observed over a window predicts more
than ``NEWTON_AFTER`` further iterations, the stage switches to damped Newton steps on the
dual (:func:`newton_step`), which converge in a handful of steps there.  Warm stages, and
the last stage of cold solves at small ε, start with Newton steps on the scalings of the
fixed kernel instead (:func:`scaled_newton`: conjugate gradients, no ``exp``), which take a
warm start after a small change of the histograms to the target in a few steps where
over-relaxed Sinkhorn needs a hundred iterations or more at 1e-4 max C.  The choice of
every constant was measured with ``python bench/bench_engine.py --stress``.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse
from scipy.sparse import linalg as sparse_linalg

from .results import col_sums, marginal_error, row_sums

#: Geometric factor between two successive ε stages.
EPS_FACTOR = 0.5
#: Marginal error at which an intermediate stage hands over to the next one.
STAGE_TOL = 1e-3
#: Iteration cap per intermediate stage (the last stage runs to tol or the caps).
STAGE_MAX_ITER = 200
#: Absorb the scalings into the potentials when |log u| or |log v| exceeds this.
ABSORB_LOG = 30.0
#: Over-relaxation parameter; None picks it per stage from ε (see ``stage_omega``).
OMEGA = None
#: Constant of the per-stage over-relaxation rule.
OMEGA_C = 4.0
#: Largest over-relaxation picked from ε alone at the start of a stage.
OMEGA_MAX = 1.95
#: Largest over-relaxation reached by the in-stage adaptation.
OMEGA_MAX_ADAPTIVE = 1.95
#: Number of error checks between two adaptations of the over-relaxation.
ADAPT_WINDOW = 10
#: Measure the marginal error every this many iterations.
CHECK_EVERY = 2
#: Largest change of f_i + g_j, in units of eps, that one Newton step may make.
NEWTON_MAX_EXPONENT = 20.0
#: Sufficient increase of the dual (Armijo constant) for accepting a Newton step.
NEWTON_ARMIJO = 1e-4
#: Largest number of halvings of a Newton step before it is given up.
NEWTON_BACKTRACK = 12
#: Switch from Sinkhorn to Newton steps when more iterations than this are predicted.  A
#: Newton phase costs more than its work count says (a sparse factorization of a plan with
#: a few % nonzeros takes as long as ~100 iterations at n = 256), so only long crawls pay.
NEWTON_AFTER = 500
#: Newton steps per Newton phase, and Newton phases per ε stage, at most.
NEWTON_MAX_STEPS = 20
NEWTON_ROUNDS = 2
#: A cold start begins the ε-scaling at this fraction of max C - min C (or at the target ε
#: if larger).  Sinkhorn from zero potentials converges in a few tens of iterations at
#: ε >= 0.01 max C, so larger stages are wasted work: starting at 0.03 took 1.2-2.6x the
#: time at targets 0.01-0.003 and no case converged faster (bench/README.md, Dec 1).
COLD_EPS_START = 0.01
#: Off-diagonal plan entries below this fraction of their row mass are dropped (sparse Newton).
SPARSE_DROP = 1e-12
#: Use the sparse direct Newton solve only when at most this fraction of entries is kept.
SPARSE_MAX_DENSITY = 0.2
#: Work of one sparse Newton solve counted in matrix-vector product pairs (measured roughly).
SPARSE_WORK = 10
#: Relative residual at which the conjugate gradients of a Newton step stop.
NEWTON_CG_RTOL = 1e-2
#: Cap on conjugate-gradient iterations per Newton step.
NEWTON_CG_MAX_ITER = 300
#: Newton steps on the scalings at the start of a warm stage (:func:`scaled_newton`), at
#: most, and the relative residual at which their conjugate gradients stop.
SCALED_NEWTON_STEPS = 12
SCALED_NEWTON_CG_RTOL = 3e-2
#: Trust region of those steps (as ``NEWTON_MAX_EXPONENT``): wider, since a rejected trial
#: costs one matrix-vector product here, not an ``exp`` (the spike-over-dust warm start at
#: 1e-4 max C: 146 -> 111 iterations).
SCALED_NEWTON_MAX_EXPONENT = 60.0
#: Work (matrix-vector product pairs) of one run of :func:`scaled_newton`, at most.
SCALED_NEWTON_MAX_WORK = 300
#: The last ε stage of a cold solve also starts with :func:`scaled_newton` when ε is at most
#: this fraction of max C - min C (above it, Sinkhorn needs few enough iterations that the
#: conjugate gradients do not pay: measured with ``bench/bench_engine.py --hard``).
SCALED_NEWTON_LAST_EPS = 2e-3
#: Log-domain steps that a stage rerun after a blow-up starts with, at most.
SAFE_LOG_STEPS = 30
#: Column error at which those log-domain steps hand over to scaling iterations.
SAFE_LOG_TOL = 1e-2
#: Work of one log-domain step, counted in matrix-vector product pairs (measured roughly).
LOG_STEP_WORK = 10
#: Kernel entries below ``exp(FLUSH_LOG)`` times their column's largest are set to 0 instead
#: of computed: without AVX-512, ``exp`` of such arguments takes the slow subnormal path (and
#: subnormal entries slow the products down); a flushed entry is below ``1e-307 b_j``.
FLUSH_LOG = -708.0
#: Absorptions multiply the kernel by the scalings instead of recomputing it with ``exp``;
#: when the product of the factors applied since the last ``exp`` may exceed ``exp(DRIFT_MAX)``,
#: the kernel is recomputed.  A flushed entry then stands for a plan entry below
#: ``exp(FLUSH_LOG + DRIFT_MAX + 2 ABSORB_LOG) < 1e-100``: the truncation changes no digit.
DRIFT_MAX = 400.0
#: A stage's kernel is the square of the previous one (no ``exp``) only when the factors
#: applied to it since its last ``exp`` stay below ``exp(SQUARE_MAX_DRIFT)`` and every
#: product ``a_i b_j`` is above ``exp(-SQUARE_MIN_LOG_MASS)``: an entry flushed (or lost to
#: underflow) then stands for a plan entry below ``exp(-700)`` after squaring (see
#: :func:`square_kernel`).
SQUARE_MAX_DRIFT = 100.0
SQUARE_MIN_LOG_MASS = 200.0
#: Rows whose sum the column-exact kernel gets wrong by more than ``exp(ROW_FIX_LOG)`` are
#: recomputed in the log domain (a few rows at most; the rest are rescaled, see DRIFT_MAX).
ROW_FIX_LOG = 200.0
#: A warm start at the same ε reuses the previous plan as its kernel (no ``exp``) when no row
#: or column of it has to grow by more than ``exp(WARM_KERNEL_MAX_LOG)`` (rows that must grow
#: more are recomputed in the log domain, columns make the whole kernel recomputed).  The
#: previous plan's zeros stood for entries below ``exp(FLUSH_LOG + DRIFT_MAX + 2 ABSORB_LOG)``
#: of their column's largest; after such growth they still stand for less than ``1e-100``.
#: Its drift starts at ``DRIFT_MAX``, so the first absorption that grows it recomputes.
WARM_KERNEL_MAX_LOG = 5.0
#: A cost matrix whose entries match a Toeplitz matrix (``C_ij = c(i - j)``: a translation
#: invariant cost on a uniform grid) to this relative precision (a few ulps) gets its cold kernel
#: from the ``2n - 1`` exponentials of ``c`` instead of ``n^2`` (C changed by ``1e-15 max|C|``).
TOEPLITZ_RTOL = 1e-15
#: Masses (of a unit-mass histogram) at or below this are treated as empty bars by
#: :func:`ot_engine.sinkhorn`: they change no printed digit, and subnormal floats (below
#: ~2.2e-308) carry too few bits for ``a / (K v)`` to be computed reliably.
TINY_MASS = 1e-300


def softmin_rows(g, log_b, C, eps):
    """``f_i = -eps log sum_j b_j exp((g_j - C_ij)/eps)`` (soft c-transform of g)."""
    Z = (g + eps * log_b)[None, :] - C
    mx = Z.max(axis=1)
    Z -= mx[:, None]
    Z *= 1.0 / eps
    np.exp(Z, out=Z)
    return -(mx + eps * np.log(Z.sum(axis=1)))


def softmin_cols(f, log_a, C, eps):
    """``g_j = -eps log sum_i a_i exp((f_i - C_ij)/eps)``."""
    Z = (f + eps * log_a)[:, None] - C
    mx = Z.max(axis=0)
    Z -= mx[None, :]
    Z *= 1.0 / eps
    np.exp(Z, out=Z)
    return -(mx + eps * np.log(Z.sum(axis=0)))


def _kernel(f, g, log_a, log_b, C, eps):
    M = np.add.outer(f + eps * log_a, g + eps * log_b)
    M -= C
    M *= 1.0 / eps
    np.exp(M, out=M)
    return M


class Workspace:
    """Preallocated ``(n, m)`` buffers: the kernel, a scratch array and a mask.

    Reused across ε stages and absorptions: allocating a fresh n x m array each time cost more
    than the arithmetic on it (page faults on freshly mapped memory).
    """

    def __init__(self, n, m):
        self.K = np.empty((n, m))
        self.W = np.empty((n, m))
        self.mask = np.empty((n, m), dtype=bool)


def column_exact_kernel(f, log_a, b, C, e, ws):
    """Kernel of ``f`` and its soft c-transform ``g``, with one ``exp``; returns ``g``.

    Writes ``ws.K = a b^T exp((f + g - C)/e)`` with
    ``g_j = -e log sum_i a_i exp((f_i - C_ij)/e)``, so that every column sums to ``b_j``
    exactly: ``K_ij = b_j exp(W_ij - mx_j) / s_j`` with ``W_ij = log a_i + (f_i - C_ij)/e``,
    ``mx_j = max_i W_ij`` and ``s_j >= 1`` the column sum of the exponentials.  Entries below
    ``exp(FLUSH_LOG)`` of their column's largest are set to 0 (see ``FLUSH_LOG``).
    """
    W, K, mask = ws.W, ws.K, ws.mask
    np.multiply(C, -1.0 / e, out=W)
    W += (f / e + log_a)[:, None]
    mx = W.max(axis=0)
    W -= mx[None, :]
    np.greater(W, FLUSH_LOG, out=mask)
    K.fill(0.0)
    np.exp(W, out=K, where=mask)
    s = col_sums(K)
    K *= (b / s)[None, :]
    return -e * (mx + np.log(s))


def toeplitz_values(C):
    """``c`` (length ``2n - 1``) with ``C_ij = c[n - 1 + j - i]`` up to ``TOEPLITZ_RTOL``, or None.

    A translation-invariant cost on a uniform grid is Toeplitz; its kernel then needs only
    ``2n - 1`` exponentials (:func:`toeplitz_kernel`).  The check costs three n x n passes.
    """
    n, m = C.shape
    if n != m or n < 2:
        return None
    c = np.concatenate((C[::-1, 0], C[0, 1:]))
    T = np.lib.stride_tricks.sliding_window_view(c, n)[::-1]
    scale = float(np.abs(c).max())
    D = np.subtract(T, C)
    np.abs(D, out=D)  # in place: a second n x m temporary cost ~10x more here (page faults)
    if not D.max() <= TOEPLITZ_RTOL * max(scale, 1e-300):
        return None
    return c


def toeplitz_kernel(c, ia, jb, a, b, e, ws):
    """:func:`column_exact_kernel` of ``f = 0`` for a Toeplitz cost, from ``2n - 1`` exponentials.

    ``ws.K = a_i exp(-C_ij / e) b_j / s_j`` (rows ``ia``, columns ``jb`` of the full grid);
    returns ``g_j = -e log s_j`` with ``s_j = sum_i a_i exp(-C_ij / e)``, or None when some
    entry would fall below ``exp(FLUSH_LOG)`` of its column's largest (the general path
    flushes those; here none is dropped).
    """
    low = float(c.min())
    if np.log(a.max() / a.min()) + (float(c.max()) - low) / e > -FLUSH_LOG - 8.0:
        return None
    n = (c.size + 1) // 2
    h = np.exp((low - c) / e)
    E = np.lib.stride_tricks.sliding_window_view(h, n)[::-1]
    if ia is not None:
        E = E[np.ix_(ia, jb)]
    K = ws.K
    np.multiply(E, a[:, None], out=K)
    s = col_sums(K)
    K *= (b / s)[None, :]
    return low - e * np.log(s)


def square_kernel(K, u, v, a, b):
    """Kernel at ε/2 from the plan ``P = u K v`` at ε, in place: ``P_ij^2 / (a_i b_j)``.

    ``a b^T exp((f + g - C)/(ε/2)) = (a b^T exp((f + g - C)/ε))^2 / (a b^T)`` with the
    potentials ``f + ε log u, g + ε log v`` of ``P``: no ``exp`` needed.  Rounding errors
    double at each squaring (about 1e-13 relative after a dozen stages, i.e. ``C`` off by
    1e-13 ε).  An entry below ``exp(-708 + SQUARE_MAX_DRIFT)`` of the plan before squaring
    (flushed or not) is below ``exp(-1216) / (a_i b_j) < exp(-1016)`` after it.
    """
    np.multiply(K, K, out=K)
    K *= (u * u / a)[:, None]  # |log u|, |log v| <= ABSORB_LOG: the squares cannot overflow
    K *= (v * v / b)[None, :]


def make_rows_exact(f, g, a, log_a, log_b, C, e, K, fix_log=ROW_FIX_LOG):
    """Soft c-transform of ``g`` for the rows, applied to ``f`` and ``K`` in place.

    Returns the largest factor (log) by which a row of ``K`` was multiplied (0 if none).
    Rows off by at most ``exp(fix_log)`` are rescaled; the others (and empty rows) are
    recomputed in the log domain, which needs no flushed entry to be right.
    """
    with np.errstate(divide="ignore"):
        factor = log_a - np.log(row_sums(K))
    bad = ~(factor <= fix_log)
    if bad.any():
        rows = np.flatnonzero(bad)
        Z = (g + e * log_b)[None, :] - C[rows]
        Z *= 1.0 / e
        mx = Z.max(axis=1)
        Z -= mx[:, None]
        E = np.exp(np.maximum(Z, FLUSH_LOG))
        E[Z <= FLUSH_LOG] = 0.0
        t = E.sum(axis=1)
        f[rows] = -e * (mx + np.log(t))
        K[rows] = (a[rows] / t)[:, None] * E
        factor[rows] = 0.0
    f += e * factor
    K *= np.exp(factor)[:, None]
    return max(float(factor.max()), 0.0)


def stage_omega(eps, spread):
    """Over-relaxation for a stage: ``2 / (1 + c sqrt(eps / spread))``, clipped to [1, max].

    Plain Sinkhorn contracts at a rate ``1 - kappa`` with ``kappa`` roughly proportional to
    ``eps / spread``; the optimal over-relaxation for such a rate is ``2 / (1 + sqrt(kappa))``.
    The constant was tuned on 1D grids (see bench/README.md).
    """
    if spread <= 0.0:
        return 1.0
    return float(min(OMEGA_MAX, max(1.0, 2.0 / (1.0 + OMEGA_C * np.sqrt(eps / spread)))))


def relax(u, u_new, w):
    """Over-relaxed scaling ``u (u_new / u)^w``.

    As ``exp(w log(.))``: numpy's float64 ``power`` is scalar code without AVX-512 (~5 µs for
    256 entries, against ~2.6 µs for ``log`` and ``exp`` together).
    """
    t = u_new / u
    np.log(t, out=t)
    t *= w
    np.exp(t, out=t)
    t *= u
    return t


def adapt_omega(w, err_before, err_now, err_best):
    """Update the over-relaxation from the contraction observed over the last window.

    For over-relaxed alternating scalings, an observed rate ``rho`` at relaxation ``w`` (below
    the optimum) corresponds to a plain Sinkhorn rate ``kappa = (rho + w - 1)^2 / (rho w^2)``
    (Young's SOR relation); the best relaxation for it is ``2 / (1 + sqrt(1 - kappa))``.
    Only increases ``w``; falls back to plain Sinkhorn if the error grows.
    """
    if not (np.isfinite(err_now) and err_before > 0.0 and err_now > 0.0):
        return w
    if err_now > 10.0 * err_best:
        return 1.0
    rho = (err_now / err_before) ** (1.0 / (ADAPT_WINDOW * CHECK_EVERY))
    if not (0.5 < rho < 1.0) or rho <= (w - 1.0) * 1.05:
        return w  # fast already, or in the oscillating regime where rho ~ w - 1
    kappa = min((rho + w - 1.0) ** 2 / (rho * w * w), 1.0 - 1e-12)
    w_new = min(OMEGA_MAX_ADAPTIVE, 2.0 / (1.0 + np.sqrt(1.0 - kappa)))
    return w_new if w_new > w + 0.005 else w


def conjugate_gradient(apply, rhs, inv_diag, *, rtol, max_iter):
    """Jacobi-preconditioned conjugate gradients for ``apply(x) = rhs`` (``apply`` SPD).

    Written out instead of ``scipy.sparse.linalg.cg`` to keep the per-iteration cost at two
    matrix-vector products (these systems are small and solved to a loose tolerance).
    """
    x = np.zeros_like(rhs)
    res = rhs.copy()
    z = inv_diag * res
    d = z.copy()
    rz = res @ z
    stop = (rtol * np.linalg.norm(rhs)) ** 2
    it = 0
    while it < max_iter:
        it += 1
        Ad = apply(d)
        dAd = d @ Ad
        if not dAd > 0.0:
            break
        step = rz / dAd
        x += step * d
        res -= step * Ad
        if res @ res <= stop:
            break
        z = inv_diag * res
        rz_new = res @ z
        d = z + (rz_new / rz) * d
        rz = rz_new
    return x, it


def cg_newton_direction(P, r, a, b, eps):
    """``df`` of the Newton system by conjugate gradients; returns ``(df, iterations)``.

    Scaled by ``diag(r)^{-1/2}`` on both sides, the Schur complement becomes ``I - Q Q^T``
    with eigenvalues in [0, 1] and kernel ``sqrt(r)``; adding ``sqrt(r) sqrt(r)^T`` makes it
    definite without changing the solution (the right side is orthogonal to that kernel).
    Matrix-vector products only: a dense Cholesky (threaded BLAS-3) stalled for 100+ ms on
    the shared machine.
    """
    root_r = np.sqrt(r)
    Q = P * (1.0 / root_r)[:, None] * (1.0 / np.sqrt(b))[None, :]
    diag = 1.0 - np.einsum("ij,ij->i", Q, Q) + r
    y, iterations = conjugate_gradient(
        lambda y: y - Q @ (Q.T @ y) + root_r * (root_r @ y),
        eps * (a - r) / root_r,
        1.0 / np.maximum(diag, 1e-3),
        rtol=NEWTON_CG_RTOL,
        max_iter=NEWTON_CG_MAX_ITER,
    )
    return y / root_r, iterations


def sparse_newton_direction(P, r, a, b, eps):
    """``df`` of the Newton system by a sparse direct solve, or ``(None, 0)`` if P is dense.

    At small ε the plan is numerically sparse (entries fall off like ``exp(-dC/ε)`` away
    from the optimal support).  Entries below ``SPARSE_DROP`` times their row's mass are
    dropped from the off-diagonal part of the Schur complement (the diagonal keeps the
    exact row sums), the gauge is fixed by pinning ``df`` at the heaviest row to 0, and
    SuperLU solves the rest.  The dropped entries perturb the Hessian by about
    ``SPARSE_DROP`` relative, so Newton keeps converging, just not exactly quadratically.
    """
    keep = P > SPARSE_DROP * r[:, None]
    if np.count_nonzero(keep) > SPARSE_MAX_DENSITY * P.size:
        return None, 0
    Ps = sparse.csr_array(np.where(keep, P, 0.0))
    S = (sparse.diags_array(r) - Ps @ sparse.diags_array(1.0 / b) @ Ps.T).tocsc()
    pin = int(np.argmax(a))
    rest = np.delete(np.arange(a.size), pin)
    df = np.zeros(a.size)
    try:
        df[rest] = sparse_linalg.splu(S[rest][:, rest]).solve(eps * (a - r)[rest])
    except RuntimeError:  # exactly singular (a block of the plan cut off entirely)
        return None, 0
    if not np.isfinite(df).all():
        return None, 0
    # Work in matrix-vector product pairs: forming and factoring costs about this much.
    return df, SPARSE_WORK


def newton_step(f, g, a, b, log_a, log_b, C, eps):
    """One damped Newton step on the dual potentials.

    Returns ``(f, g, plan, work)``: the new potentials, their plan, and the work done counted
    in matrix-vector product pairs (the unit of a Sinkhorn iteration).

    First ``g`` is made exact for the columns (a soft c-transform, so ``P^T 1 = b``).  With
    ``r = P 1`` the Newton system of the dual ``<f, a> + <g, b> - eps sum P`` is

        [[diag(r), P], [P^T, diag(b)]] [df; dg] = eps [a - r; 0].

    Eliminating ``dg = -P^T df / b`` leaves the Schur complement ``S = diag(r) - P diag(1/b)
    P^T``, symmetric positive semi-definite with the constant vector in its kernel (the gauge
    ``f + c, g - c``); it is solved sparsely (:func:`sparse_newton_direction`) or, for a
    dense plan, by conjugate gradients (:func:`cg_newton_direction`).  The step moves weakly
    coupled blocks of the plan (clusters of mass separated by a gap, nearly flat directions
    of the dual) against each other in one go: the mode plain Sinkhorn crawls along.  It is
    damped by a trust region and backtracking on the (concave) dual, which never decreases.
    """
    g = softmin_cols(f, log_a, C, eps)
    P = _kernel(f, g, log_a, log_b, C, eps)
    r = np.maximum(P.sum(1), 1e-300)
    value = f @ a + g @ b - eps * P.sum()
    df, work = sparse_newton_direction(P, r, a, b, eps)
    if df is None:
        df, work = cg_newton_direction(P, r, a, b, eps)
    dg = -(P.T @ df) / b
    if not (np.isfinite(df).all() and np.isfinite(dg).all()):
        return f, g, P, work
    slope = df @ (a - r)  # directional derivative of the dual along (df, dg), >= 0
    # Trust region: a nearly flat direction of the dual (two blocks of the plan coupled by
    # almost no mass) gets a huge Newton step that the quadratic model does not justify.
    # Cap the largest change of an exponent (f_i + g_j) / eps at NEWTON_MAX_EXPONENT: every
    # plan entry then changes by a bounded factor, and the following steps walk on.
    largest = max(abs(df.max() + dg.max()), abs(df.min() + dg.min()))
    t = min(1.0, NEWTON_MAX_EXPONENT * eps / largest) if largest > 0 else 1.0
    for trial in range(NEWTON_BACKTRACK):
        f_t, g_t = f + t * df, g + t * dg
        P_t = _kernel(f_t, g_t, log_a, log_b, C, eps)
        value_t = f_t @ a + g_t @ b - eps * P_t.sum()
        if np.isfinite(value_t) and value_t >= value + NEWTON_ARMIJO * t * slope:
            return f_t, g_t, P_t, work + trial + 2
        t *= 0.5
    return f, g, P, work + NEWTON_BACKTRACK + 1


def scaled_newton(M, a, b, e, *, tol, max_work, deadline, trace, M2):
    """Damped Newton steps on the scalings ``u, v`` of the fixed kernel ``M`` (no ``exp``).

    The plan is ``P = diag(u) M diag(v)``; ``v = b / (M^T u)`` keeps the columns exact (the
    soft c-transform, in the scaling domain), which leaves the Newton system of the dual in
    ``f = e log u`` alone: ``S df = e (a - r)`` with ``r = P 1`` and the Schur complement
    ``S = diag(r) - P diag(1/b) P^T``, solved by Jacobi-preconditioned conjugate gradients
    (matrix-vector products with ``M`` and ``M^T`` only; ``M2 = M * M`` gives the diagonal).
    A trial step multiplies ``u`` by ``exp(t df / e)``, with ``t`` capped so that no
    ``f_i + g_j`` moves by more than ``SCALED_NEWTON_MAX_EXPONENT e`` and halved until the dual
    rises (Armijo).  This is the step a warm start after a small change needs: Sinkhorn's
    error shrinks by a constant factor per iteration, Newton's much faster once close.

    Returns ``(u, v, err, work)`` with ``work`` in matrix-vector product pairs; stops at
    ``tol``, ``max_work``, ``deadline``, after ``SCALED_NEWTON_STEPS`` steps or when a step
    no longer halves the error (the caller goes on with Sinkhorn iterations).
    """
    u = np.ones(a.size)
    v = b / (M.T @ u)
    r = u * (M @ v)
    err = float(np.abs(r - a).sum())
    work = 1
    slow_steps = 0
    for _ in range(SCALED_NEWTON_STEPS):
        if err <= tol or work >= max_work or time.perf_counter() > deadline:
            break
        v2b = v * v / b
        diag = np.maximum(r - u * u * (M2 @ v2b), 1e-3 * r)
        df, cg_steps = conjugate_gradient(
            lambda y, r=r, u=u, v2b=v2b: r * y - u * (M @ (v2b * (M.T @ (u * y)))),
            e * (a - r),
            1.0 / diag,
            # Inexact Newton: the error after the step is about rtol times the error now, so
            # the last step (close to tol) needs far fewer conjugate-gradient steps.
            rtol=min(0.5, max(SCALED_NEWTON_CG_RTOL, 0.3 * tol / err)),
            max_iter=max(1, min(NEWTON_CG_MAX_ITER, max_work - work)),
        )
        dg = -v * (M.T @ (u * df)) / b
        work += cg_steps + 2  # (the diagonal and the row sums: one more pair)
        if not (np.isfinite(df).all() and np.isfinite(dg).all()):
            break
        slope = df @ (a - r)  # directional derivative of the dual, >= 0
        largest = max(abs(df.max() + dg.max()), abs(df.min() + dg.min()))
        t = min(1.0, SCALED_NEWTON_MAX_EXPONENT * e / largest) if largest > 0 else 1.0
        accepted = False
        for _ in range(NEWTON_BACKTRACK):
            u_t = u * np.exp((t / e) * df)
            v_t = b / (M.T @ u_t)
            work += 1
            # Dual change with exact columns (sum P = 1 before and after).
            gain = t * (df @ a) + e * (np.log(v_t / v) @ b)
            if np.isfinite(gain) and gain >= NEWTON_ARMIJO * t * slope:
                accepted = True
                break
            t *= 0.5
        if not accepted:
            break
        u, v = u_t, v_t
        r = u * (M @ v)
        err_new = float(np.abs(r - a).sum())
        if trace is not None:
            trace.append(err_new)
        slow_steps = slow_steps + 1 if err_new > 0.5 * err else 0
        err = err_new
        if slow_steps >= 2:
            break
    return u, v, err, work


def slow(err_before, err_now, tol):
    """Whether the Sinkhorn rate seen over the last window needs many more iterations.

    True when the error did not shrink, or when extrapolating its geometric decrease over
    the window predicts more than ``NEWTON_AFTER`` further iterations to reach ``tol``.
    """
    if not err_now < err_before:
        return True
    per_iteration = np.log(err_now / err_before) / (ADAPT_WINDOW * CHECK_EVERY)
    return np.log(tol / err_now) / per_iteration > NEWTON_AFTER


def eps_schedule(eps_start, eps):
    """``eps / EPS_FACTOR^k`` for ``k = K, ..., 0``, the first one at least ``eps_start``.

    Exact powers of two apart (EPS_FACTOR = 0.5), so that each stage's kernel can be the
    square of the last one's (:func:`square_kernel`).
    """
    k = 0
    while eps / EPS_FACTOR**k < eps_start * (1.0 - 1e-12):
        k += 1
    return [eps / EPS_FACTOR**i for i in range(k, -1, -1)]


def newton_phase(f, g, a, b, log_a, log_b, C, eps, *, tol, max_work, deadline, trace):
    """Newton steps until the marginal error is below ``tol`` or progress stops.

    Returns ``(f, g, plan, error, work)``.
    """
    work = 0
    P = None
    err = np.inf
    for _ in range(NEWTON_MAX_STEPS):
        # Trial steps may overflow (rejected by the line search); subnormal masses may make
        # the direction non-finite (the step is then skipped): no warnings for those.
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            f_new, g_new, P, step_work = newton_step(f, g, a, b, log_a, log_b, C, eps)
        work += step_work
        stalled = f_new is f  # every trial step was rejected
        f, g = f_new, g_new
        err = marginal_error(P, a, b)
        if trace is not None:
            trace.append(err)
        if stalled or err <= tol or work >= max_work or time.perf_counter() > deadline:
            break
    return f, g, P, err, work


def first_eps(eps, spread, warm_eps, start=COLD_EPS_START):
    """First ε of the schedule.

    Cold (``warm_eps`` is ``None`` and no potentials): ``max(eps, start * spread)``.
    Warm from a solve at ``warm_eps``: ``max(eps, min(warm_eps, start * spread))``,
    i.e. the target itself when ε grew or stayed, and a short annealing from the old ε when it
    dropped (jumping straight to a much smaller ε from far-off potentials overflows or
    crawls).  Potentials of unknown ε (an ``(f, g)`` tuple) start at the target.
    """
    cold = max(start * spread, eps)
    if warm_eps is None:
        return eps
    return max(eps, min(float(warm_eps), cold))


def log_domain_steps(f, g, a, log_a, log_b, C, e, *, steps, tol, deadline):
    """Sinkhorn in the log domain: alternate soft c-transforms (never overflows).

    Each step costs two exponentials of the whole cost matrix (about ten matrix-vector
    product pairs), so it is only used to bring far-off potentials (after a blow-up) close
    enough for the scaling iterations.  Returns ``(f, g, err, work)``; the plan of ``f, g``
    has exact row sums and column error ``err``.
    """
    err = np.inf
    work = 0
    for _ in range(steps):
        g = softmin_cols(f, log_a, C, e)
        f = softmin_rows(g, log_b, C, e)
        work += LOG_STEP_WORK
        err = marginal_error(_kernel(f, g, log_a, log_b, C, e), a, np.exp(log_b))
        if err <= tol or time.perf_counter() > deadline:
            break
    return f, g, err, work


def run_stage(
    f,
    g,
    a,
    b,
    log_a,
    log_b,
    C,
    e,
    ws,
    *,
    w,
    adaptive,
    tol,
    cap,
    deadline,
    trace,
    reuse=False,
    reuse_max_log=ROW_FIX_LOG,
    drift0=0.0,
    toeplitz=None,
    newton_first=False,
):
    """Sinkhorn (and Newton) iterations at one ε until ``tol``, ``cap`` or ``deadline``.

    Starts from the soft c-transforms of ``f`` (``g`` is only returned back on a blow-up
    before the first iteration) or, with ``reuse``, from ``ws.K`` already holding the kernel
    of ``f, g`` (made exact for the columns, then the rows, by rescaling).  Returns
    ``(f, g, M, u, v, err, it, drift)`` with the plan
    ``u M v`` (``M`` the stabilized kernel of ``f, g``, held in ``ws.K``).  If the scalings
    blew up, ``err`` is ``inf`` and ``f, g, M`` are the last finite potentials and their
    kernel; ``drift`` is the log of the largest factor applied to ``M`` since its last
    ``exp``.  ``adaptive=False`` keeps ``w`` fixed and checks (and absorbs) at every
    iteration: the safe mode used to rerun a stage that blew up.

    One ``exp`` of the n x m cost per stage: absorptions of the scalings into ``f, g``
    rescale the kernel (two products) instead of recomputing it, until the accumulated
    factor reaches ``DRIFT_MAX`` (see there for the truncation bound).  With ``reuse``, a
    column (row) of ``ws.K`` that must grow by more than ``exp(reuse_max_log)`` makes the
    kernel (that row) recomputed, and ``drift0`` is the drift ``ws.K`` comes with.  ``toeplitz``
    ``(c, ia, jb)`` (cold first stage, ``f = 0``): see :func:`toeplitz_kernel`.
    ``newton_first``: start with :func:`scaled_newton` (a warm start at the target ε).
    """
    check_every = CHECK_EVERY if adaptive else 1  # (ADAPT_WINDOW counts checks)
    f = f.copy()
    M = ws.K
    col = None
    if reuse:
        with np.errstate(divide="ignore"):
            col = log_b - np.log(col_sums(M))
        if not col.max() <= reuse_max_log:  # a column lost to underflow: recompute
            col = None
    fix_log = ROW_FIX_LOG
    if col is None:
        g = None
        if toeplitz is not None:
            g = toeplitz_kernel(*toeplitz, a, b, e, ws)
        if g is None:
            g = column_exact_kernel(f, log_a, b, C, e, ws)
        drift = 0.0
    else:
        g = g + e * col
        M *= np.exp(col)[None, :]
        drift = drift0 + max(float(col.max()), 0.0)
        fix_log = reuse_max_log
    drift += make_rows_exact(f, g, a, log_a, log_b, C, e, M, fix_log)
    u = np.ones(a.size)
    v = np.ones(b.size)
    it = 0
    err = np.inf
    if newton_first:
        np.multiply(M, M, out=ws.W)
        u, v, err, it = scaled_newton(
            M,
            a,
            b,
            e,
            tol=tol,
            max_work=min(cap, SCALED_NEWTON_MAX_WORK),
            deadline=deadline,
            trace=trace,
            M2=ws.W,
        )
        if not np.isfinite(err):
            return f, g, M, np.ones(a.size), np.ones(b.size), np.inf, it, drift
        if err <= tol or it >= cap or time.perf_counter() > deadline:
            return f, g, M, u, v, err, it, drift
    Mv = M @ v
    newton_rounds = 0
    errs: list[float] = []
    while True:
        u_new = a / Mv
        u = u_new if w == 1.0 else relax(u, u_new, w)
        MTu = M.T @ u
        it += 1
        if it % check_every == 0 or it >= cap:
            err = float(np.abs(u * Mv - a).sum() + np.abs(v * MTu - b).sum())
            if trace is not None:
                trace.append(err)
            errs.append(err)
            if not np.isfinite(err):
                return f, g, M, np.ones(a.size), np.ones(b.size), np.inf, it, drift
            if err <= tol or it >= cap or time.perf_counter() > deadline:
                break
            if adaptive and len(errs) % ADAPT_WINDOW == 0 and len(errs) > ADAPT_WINDOW:
                w_old = w
                w = adapt_omega(w, errs[-1 - ADAPT_WINDOW], err, min(errs))
                if (
                    w == w_old
                    and newton_rounds < NEWTON_ROUNDS
                    and slow(errs[-1 - ADAPT_WINDOW], err, tol)
                ):
                    # Sinkhorn is crawling along a flat direction: Newton steps instead.
                    newton_rounds += 1
                    f, g, P, err, work = newton_phase(
                        f + e * np.log(u),
                        g + e * np.log(v),
                        a,
                        b,
                        log_a,
                        log_b,
                        C,
                        e,
                        tol=tol,
                        max_work=cap - it,
                        deadline=deadline,
                        trace=trace,
                    )
                    np.copyto(M, P)
                    drift = 0.0
                    it += work
                    u = np.ones(a.size)
                    v = np.ones(b.size)
                    Mv = M @ v
                    if err <= tol or it >= cap:
                        break
                    errs = [err]
                    continue
            # |log u| > ABSORB_LOG without the logarithms (four reductions instead of six calls).
            big = np.exp(ABSORB_LOG)
            if u.max() > big or v.max() > big or u.min() * big < 1.0 or v.min() * big < 1.0:
                f_abs = f + e * np.log(u)
                g_abs = g + e * np.log(v)
                if not (np.isfinite(f_abs).all() and np.isfinite(g_abs).all()):
                    return f, g, M, np.ones(a.size), np.ones(b.size), np.inf, it, drift
                drift += max(float(np.log(u.max())), 0.0) + max(float(np.log(v.max())), 0.0)
                if drift > DRIFT_MAX:
                    f = f_abs
                    g = column_exact_kernel(f, log_a, b, C, e, ws)
                    drift = make_rows_exact(f, g, a, log_a, log_b, C, e, M)
                else:
                    f, g = f_abs, g_abs
                    M *= u[:, None]
                    M *= v[None, :]
                u = np.ones(a.size)
                v = np.ones(b.size)
                Mv = M @ v
                continue
        v_new = b / MTu
        v = v_new if w == 1.0 else relax(v, v_new, w)
        Mv = M @ v
    return f, g, M, u, v, err, it, drift


def solve(
    a,
    b,
    C,
    eps,
    f,
    g,
    *,
    tol,
    max_iter,
    deadline,
    omega=None,
    warm_eps=None,
    warm_kernel=None,
    toeplitz=None,
):
    """Run the solver on strictly positive ``a``, ``b``.

    ``f, g`` are warm-start potentials (or ``None``), computed at ``warm_eps`` when known.
    ``warm_kernel``: the plan of ``f, g`` at ``eps`` for these ``a, b`` up to row and column
    factors (the previous plan), used as the first kernel instead of an ``exp`` when the
    solve starts at ``eps``.  ``toeplitz``: ``(c, ia, jb)`` when ``C`` is the ``ia, jb`` block
    of a Toeplitz cost with values ``c`` (see :func:`toeplitz_values`), for the cold kernel.
    Returns ``(plan, f, g, iterations, trace)``; ``iterations`` counts Sinkhorn iterations
    plus the matrix-vector product pairs of the Newton phases (same cost each).
    """
    if omega is None:
        omega = OMEGA
    log_a, log_b = np.log(a), np.log(b)
    spread = float(C.max() - C.min())
    cold = f is None or g is None
    if cold:
        f = np.zeros(a.size)
        g = np.zeros(b.size)
        eps_start = max(COLD_EPS_START * spread, eps)
    else:
        eps_start = first_eps(eps, spread, warm_eps)
    stages = eps_schedule(eps_start, eps)
    total = 0
    trace: list[float] = []
    err = np.inf
    u = np.ones(a.size)
    v = np.ones(b.size)
    M = None
    ws = Workspace(a.size, b.size)
    # The squared kernel needs every a_i b_j above exp(-SQUARE_MIN_LOG_MASS).
    squarable = EPS_FACTOR == 0.5 and log_a.min() + log_b.min() >= -SQUARE_MIN_LOG_MASS
    reuse = False
    from_plan = not cold and warm_kernel is not None and stages == [eps]
    if from_plan:
        np.copyto(ws.K, warm_kernel)
        reuse = True
    k = 0
    # Attempt at stage k: 0 normal; 1 after a blow-up (log-domain steps, then scalings that
    # start unrelaxed); 2 after a second one (log-domain steps, then plain Sinkhorn checked
    # at every iteration).
    attempt = 0
    while k < len(stages):
        e = stages[k]
        last = k == len(stages) - 1
        stage_tol = tol if last else max(tol, STAGE_TOL)
        stage_cap = max_iter - total if last else min(STAGE_MAX_ITER, max_iter - total)
        if attempt > 0:
            # Far-off potentials: log-domain steps first, then unrelaxed scalings.
            with np.errstate(under="ignore"):
                f, g, _, work = log_domain_steps(
                    f,
                    g,
                    a,
                    log_a,
                    log_b,
                    C,
                    e,
                    steps=SAFE_LOG_STEPS,
                    tol=max(stage_tol, SAFE_LOG_TOL),
                    deadline=deadline,
                )
            total += work
            stage_cap = max(stage_cap - work, 1)
            w, adaptive = 1.0, (attempt == 1 and omega is None)
        else:
            w = stage_omega(e, spread) if omega is None else omega
            adaptive = omega is None
        # Scalings that overflow or underflow (a blow-up) are expected far from the solution;
        # they are detected and handled below, so no warnings for them.
        with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
            f_s, g_s, M, u, v, err, it, drift = run_stage(
                f,
                g,
                a,
                b,
                log_a,
                log_b,
                C,
                e,
                ws,
                w=w,
                adaptive=adaptive,
                tol=stage_tol,
                cap=stage_cap,
                deadline=deadline,
                trace=trace if last else None,
                reuse=reuse,
                reuse_max_log=WARM_KERNEL_MAX_LOG if from_plan else ROW_FIX_LOG,
                drift0=DRIFT_MAX if from_plan else 0.0,
                toeplitz=toeplitz if cold and k == 0 and attempt == 0 else None,
                newton_first=attempt == 0
                and omega is None
                and (
                    (not cold and len(stages) == 1)
                    or (last and k > 0 and e <= SCALED_NEWTON_LAST_EPS * spread)
                ),
            )
        reuse = from_plan = False
        total += it
        out_of_budget = time.perf_counter() > deadline or total >= max_iter
        if np.isfinite(err):
            with np.errstate(divide="ignore"):  # a scaling that underflowed to 0
                f_new = f_s + e * np.log(u)
                g_new = g_s + e * np.log(v)
            if not (np.isfinite(f_new).all() and np.isfinite(g_new).all()):
                err = np.inf
                u = np.ones(a.size)
                v = np.ones(b.size)
        if not np.isfinite(err):
            if out_of_budget:
                f, g = f_s, g_s
                break
            if attempt < 2:
                # Rerun the stage from where it started, more carefully.
                attempt += 1
                continue
            if not cold:
                # Plain Sinkhorn blew up too: the warm start is useless; start cold.
                cold, attempt, k = True, 0, 0
                f = np.zeros(a.size)
                g = np.zeros(b.size)
                stages = eps_schedule(max(COLD_EPS_START * spread, eps), eps)
                continue
            f, g = f_s, g_s
            break
        attempt = 0
        f, g = f_new, g_new
        if not last and not out_of_budget and squarable and drift <= SQUARE_MAX_DRIFT:
            square_kernel(M, u, v, a, b)
            reuse = True
        if out_of_budget:
            if not last:
                # Out of budget before the target ε: fall back to the target kernel.
                err = np.inf
            break
        k += 1
    if not np.isfinite(err) or e != eps:
        # No usable scalings at the target ε (blow-up, or out of budget in an earlier stage):
        # return the plan of the soft c-transforms at the target.  Its rows are exact and it
        # is finite and non-negative; its column error is measured by the caller.
        with np.errstate(under="ignore"):
            g = softmin_cols(f, log_a, C, eps)
            f = softmin_rows(g, log_b, C, eps)
            M = _kernel(f, g, log_a, log_b, C, eps)
        u = np.ones(a.size)
        v = np.ones(b.size)
        trace.append(marginal_error(M, a, b))
    M *= u[:, None]  # in place: M is the workspace's kernel (or a fresh one) and not used again
    M *= v[None, :]
    return M, f, g, total, trace
