"""Numerical kernel of the Sinkhorn solver (no validation here; see ``sinkhorn.py``).

Scheme: ε-scaling from a large ε down to the target; within each stage, Sinkhorn scaling
iterations on a *stabilized kernel* ``M = a b^T exp((f + g - C)/ε)`` (plain matrix-vector
products) with over-relaxation, and absorption of the scalings into the potentials
``f, g`` whenever they drift far from 1 (Schmitzer 2016).  Each stage starts from a soft
c-transform in the log domain, which bounds the kernel and keeps it from overflowing.
"""

from __future__ import annotations

import time

import numpy as np

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
#: When warm started, first ε stage is this multiple of the target ε.
WARM_EPS_MULTIPLE = 1.0


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


def stage_omega(eps, spread):
    """Over-relaxation for a stage: ``2 / (1 + c sqrt(eps / spread))``, clipped to [1, max].

    Plain Sinkhorn contracts at a rate ``1 - kappa`` with ``kappa`` roughly proportional to
    ``eps / spread``; the optimal over-relaxation for such a rate is ``2 / (1 + sqrt(kappa))``.
    The constant was tuned on 1D grids (see bench/README.md).
    """
    if spread <= 0.0:
        return 1.0
    return float(min(OMEGA_MAX, max(1.0, 2.0 / (1.0 + OMEGA_C * np.sqrt(eps / spread)))))


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


def eps_schedule(eps_start, eps):
    stages = []
    e = eps_start
    while e > eps * (1.0 + 1e-12):
        stages.append(e)
        e *= EPS_FACTOR
    stages.append(eps)
    return stages


def solve(a, b, C, eps, f, g, *, tol, max_iter, deadline, omega=None):
    """Run the solver on strictly positive ``a``, ``b``.

    Returns ``(plan, f, g, iterations, error, trace, reached)``.
    """
    if omega is None:
        omega = OMEGA
    log_a, log_b = np.log(a), np.log(b)
    spread = float(C.max() - C.min())
    if f is None or g is None:
        f = np.zeros(a.size)
        g = np.zeros(b.size)
        eps_start = max(spread, eps)
    else:
        eps_start = eps * WARM_EPS_MULTIPLE
    stages = eps_schedule(eps_start, eps)
    total = 0
    trace: list[float] = []
    err = np.inf
    u = v = None
    M = None
    for k, e in enumerate(stages):
        last = k == len(stages) - 1
        w = stage_omega(e, spread) if omega is None else omega
        stage_tol = tol if last else max(tol, STAGE_TOL)
        stage_cap = max_iter - total if last else min(STAGE_MAX_ITER, max_iter - total)
        g = softmin_cols(f, log_a, C, e)
        f = softmin_rows(g, log_b, C, e)
        M = _kernel(f, g, log_a, log_b, C, e)
        u = np.ones(a.size)
        v = np.ones(b.size)
        Mv = M @ v
        it = 0
        errs: list[float] = []
        while True:
            u_new = a / Mv
            u = u_new if w == 1.0 else u * (u_new / u) ** w
            MTu = M.T @ u
            it += 1
            if it % CHECK_EVERY == 0 or it >= stage_cap:
                err = float(np.abs(u * Mv - a).sum() + np.abs(v * MTu - b).sum())
                if last:
                    trace.append(err)
                errs.append(err)
                if omega is None and len(errs) % ADAPT_WINDOW == 0 and len(errs) > ADAPT_WINDOW:
                    w = adapt_omega(w, errs[-1 - ADAPT_WINDOW], err, min(errs))
                if not np.isfinite(err):
                    # A scaling blew up: restart the stage from the log domain.
                    break
                if err <= stage_tol or it >= stage_cap or time.perf_counter() > deadline:
                    break
                lu = np.abs(np.log(u)).max()
                lv = np.abs(np.log(v)).max()
                if lu > ABSORB_LOG or lv > ABSORB_LOG:
                    f = f + e * np.log(u)
                    g = g + e * np.log(v)
                    M = _kernel(f, g, log_a, log_b, C, e)
                    u = np.ones(a.size)
                    v = np.ones(b.size)
                    Mv = M @ v
                    continue
            v_new = b / MTu
            v = v_new if w == 1.0 else v * (v_new / v) ** w
            Mv = M @ v
        total += it
        if not np.isfinite(err):
            # Drop the scalings that blew up: the potentials f, g and kernel M stay
            # consistent (plan = M), and the next stage starts from a soft c-transform.
            u = np.ones(a.size)
            v = np.ones(b.size)
            continue
        f = f + e * np.log(u)
        g = g + e * np.log(v)
        if time.perf_counter() > deadline or total >= max_iter:
            if not last:
                # Out of budget before the target ε: fall back to the target kernel.
                g = softmin_cols(f, log_a, C, eps)
                f = softmin_rows(g, log_b, C, eps)
                M = _kernel(f, g, log_a, log_b, C, eps)
                u = np.ones(a.size)
                v = np.ones(b.size)
                err = float(np.abs(M.sum(1) - a).sum() + np.abs(M.sum(0) - b).sum())
                trace.append(err)
            break
    plan = u[:, None] * M * v[None, :]
    return plan, f, g, total, trace
