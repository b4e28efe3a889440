r"""Unbalanced optimal transport: :func:`sinkhorn_unbalanced` and :func:`partial_transport`.

Balanced transport insists that every gram of ``a`` arrives somewhere in ``b``: both marginals
are constraints.  Here they are penalties.  With the generalized Kullback-Leibler divergence
of two non-negative vectors (no unit mass needed),

.. math::

    \mathrm{KL}(x \,|\, y) = \sum_i x_i \log\frac{x_i}{y_i} - x_i + y_i \;\ge 0,

:func:`sinkhorn_unbalanced` solves (Chizat, Peyré, Schmitzer, Vialard 2018; Séjourné et al.)

.. math::

    \min_{P \ge 0}\ \langle C, P\rangle + \varepsilon\,\mathrm{KL}(P \,|\, a\otimes b)
    + \rho\,\mathrm{KL}(P\mathbf 1 \,|\, a) + \rho\,\mathrm{KL}(P^\top\mathbf 1 \,|\, b),

POT's ``ot.unbalanced.sinkhorn_unbalanced(a, b, C, reg=eps, reg_m=rho)`` objective.

Derivation of the scaling iteration (the code below follows it).  The dual is

.. math::

    \max_{f, g}\ -\rho\langle a, e^{-f/\rho} - 1\rangle - \rho\langle b, e^{-g/\rho} - 1\rangle
    - \varepsilon \langle a\otimes b, e^{(f\oplus g - C)/\varepsilon} - 1\rangle,

and the optimal plan is ``P_ij = a_i b_j exp((f_i + g_j - C_ij)/eps)``.  Setting the derivative
in ``f_i`` to zero gives ``a_i e^{-f_i/rho} = (P 1)_i = a_i e^{f_i/eps} S_i`` with
``S_i = sum_j b_j exp((g_j - C_ij)/eps)``, i.e. ``f_i (1/rho + 1/eps) = -log S_i``:

.. math::

    f_i = -\frac{\rho}{\rho + \varepsilon}\, \varepsilon
          \log \sum_j b_j\, e^{(g_j - C_{ij})/\varepsilon}
        = \tau \cdot \mathrm{softmin}_j (C_{ij} - g_j),
    \qquad \tau = \frac{\rho}{\rho+\varepsilon},

the balanced (soft c-transform) update damped by ``tau``; the same for ``g``.  At the optimum
``P 1 = a e^{-f/rho}``: the row marginal is ``a`` reweighted, and the first-order optimality
residual ``|P 1 - a e^{-f/rho}|_1 + |P^T 1 - b e^{-g/rho}|_1`` is this module's
``marginal_error`` (the marginals are not constraints, so ``|P 1 - a|`` measures nothing).

Each update is a ``tau``-contraction in the sup norm (a soft-min is 1-Lipschitz), so the
iteration converges globally; but when ``rho >> eps`` the translation ``(f + t, g - t)``,
which leaves the plan unchanged, is contracted only by ``tau^2`` per iteration.  After each
iteration the solver takes the best translation in closed form (the dual's ``eps`` term does
not change under it): ``t = (rho/2) log(<a, e^{-f/rho}> / <b, e^{-g/rho}>)`` (the idea of the
translation-invariant Sinkhorn of Séjourné, Vialard and Peyré 2022).  The rest is the
engine's Sinkhorn machinery (:mod:`ot_engine._sinkhorn_core`): ε-scaling by powers of two
from ``0.03 (max C - min C)`` (or from a warm start's ε), a stabilized kernel
``a b^T exp((f + g - C)/eps)`` with scalings absorbed into ``f, g`` before they drift far from
1, and a plan recomputed from the final potentials so that the reported residual is the
returned plan's.

:func:`partial_transport` is the other classical way to stop balancing: move exactly a mass
``m`` at least cost, each bar sending or receiving at most what it holds (Caffarelli and
McCann 2010; Figalli 2010), solved exactly as a balanced problem with one dummy bar on each
side (Chapel, Alaya, Gasso 2020).
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass

import numpy as np
import ot
from scipy.special import kl_div

from . import _sinkhorn_core as core
from ._support import block, complement, embed
from .results import frozen_array
from .validation import InvalidInput, check_cost, check_eps, check_histogram, check_positive

__all__ = [
    "DEFAULT_MAX_TIME",
    "PartialResult",
    "UnbalancedResult",
    "partial_transport",
    "sinkhorn_unbalanced",
]

#: Wall-clock budget in seconds when none is given; keeps a page responsive.
DEFAULT_MAX_TIME = 0.5
#: Iteration cap over all ε stages when ``max_iter=None``.
DEFAULT_MAX_ITER = 100_000
#: Residual (relative to the total mass) at which an intermediate ε stage hands over.
STAGE_TOL = 1e-4
#: Iteration cap of an intermediate ε stage.
STAGE_MAX_ITER = 300
#: Absorb the scalings into the potentials when one leaves ``[exp(-ABSORB_LOG), exp(ABSORB_LOG)]``.
ABSORB_LOG = 30.0
#: Over-relax the scalings (the factor of the balanced solver, ``core.stage_omega``).
OVER_RELAX = True
#: Measure the residual every this many iterations.
CHECK_EVERY = 2
#: Smallest total mass accepted (subnormal masses lose their digits in the scalings).
MIN_TOTAL = 1e-200
#: Bars holding at most this fraction of the larger total mass count as empty.
TINY_MASS = core.TINY_MASS
#: Cold ε-scaling starts at this fraction of max C - min C (or at the target ε if larger).
#: The balanced solver starts at 0.01 since Dec 1; this one keeps the value it was tuned with.
COLD_EPS_START = 0.03


# --- results ---------------------------------------------------------------------------------


class _MassBookkeeping:
    """Per-bar transported, created and destroyed mass, from ``a``, ``b`` and the plan.

    Think of the plan as moving ``a`` towards ``b``.  A source bar that sends less than it holds
    has mass *destroyed*; one that sends more has mass *created* at the source.  A target bar
    that receives less than it holds needs mass *created*; one that receives more has the
    excess *destroyed*.  Then ``mass_a + created - destroyed = mass_b`` exactly.
    """

    a: np.ndarray
    b: np.ndarray
    plan: np.ndarray

    @property
    def sent(self) -> np.ndarray:
        """``P 1``: mass each source bar sends."""
        return self.plan.sum(axis=1)

    @property
    def received(self) -> np.ndarray:
        """``P^T 1``: mass each target bar receives."""
        return self.plan.sum(axis=0)

    @property
    def transported(self) -> float:
        return float(self.plan.sum())

    @property
    def destroyed_a(self) -> np.ndarray:
        return np.maximum(self.a - self.sent, 0.0)

    @property
    def created_a(self) -> np.ndarray:
        return np.maximum(self.sent - self.a, 0.0)

    @property
    def created_b(self) -> np.ndarray:
        return np.maximum(self.b - self.received, 0.0)

    @property
    def destroyed_b(self) -> np.ndarray:
        return np.maximum(self.received - self.b, 0.0)

    @property
    def created(self) -> float:
        return float(self.created_a.sum() + self.created_b.sum())

    @property
    def destroyed(self) -> float:
        return float(self.destroyed_a.sum() + self.destroyed_b.sum())


@dataclass(frozen=True, eq=False)
class UnbalancedResult(_MassBookkeeping):
    """Outcome of :func:`sinkhorn_unbalanced`.

    Attributes
    ----------
    plan : ndarray, shape (n, m)
        ``P_ij = a_i b_j exp((f_i + g_j - C_ij)/eps)``; zero rows/columns on empty bars.
    a, b : ndarray
        The histograms as given (not normalized).
    f, g : ndarray, shape (n,) and (m,)
        Dual potentials in the units of ``C`` (finite on empty bars too).
    cost : float
        ``<C, P>``.
    entropy_term : float
        ``eps KL(P | a⊗b)`` (generalized KL).
    kl_a_term, kl_b_term : float
        ``rho KL(P 1 | a)`` and ``rho KL(P^T 1 | b)``.
    objective : float
        The sum of the four terms above: the value minimized.
    marginal_error : float
        First-order optimality residual ``|P 1 - a e^{-f/rho}|_1 + |P^T 1 - b e^{-g/rho}|_1``
        of the returned plan and potentials, in units of mass.
    converged : bool
        Whether ``marginal_error <= tol * (mass_a + mass_b)`` was reached within the caps.
    iterations : int
        Scaling iterations over all ε stages.
    error_trace : ndarray
        Residuals measured during the last ε stage, then the final one.
    eps, rho : float
        The parameters solved for.
    mass_a, mass_b : float
        Total masses of ``a`` and ``b``.
    solve_time : float
        Wall-clock seconds.
    warm_started : bool
        Whether a warm start was used.
    message : str
        A short human-readable status.

    The properties ``sent``, ``received``, ``transported``, ``created``, ``destroyed`` and
    the per-bar ``created_a``, ``destroyed_a``, ``created_b``, ``destroyed_b`` say where mass
    appears and disappears (see :class:`_MassBookkeeping`).
    """

    plan: np.ndarray
    a: np.ndarray
    b: np.ndarray
    f: np.ndarray
    g: np.ndarray
    cost: float
    entropy_term: float
    kl_a_term: float
    kl_b_term: float
    objective: float
    marginal_error: float
    converged: bool
    iterations: int
    error_trace: np.ndarray
    eps: float
    rho: float
    mass_a: float
    mass_b: float
    solve_time: float
    warm_started: bool
    message: str


@dataclass(frozen=True, eq=False)
class PartialResult(_MassBookkeeping):
    """Outcome of :func:`partial_transport` (exact).

    Attributes
    ----------
    plan : ndarray, shape (n, m)
        An optimal plan moving exactly ``mass`` with ``P 1 <= a`` and ``P^T 1 <= b``.
    a, b : ndarray
        The histograms as given.
    mass : float
        The mass moved (``fraction * min(mass_a, mass_b)``).
    fraction : float
        The fraction asked for.
    cost : float
        ``<C, P>``, the least cost of moving ``mass``.
    marginal_error : float
        Constraint violation of the returned plan: ``|sum P - mass|`` plus the L1 norms of
        ``(P 1 - a)_+`` and ``(P^T 1 - b)_+``.
    converged : bool
        Whether the network simplex reported an optimal solution.
    mass_a, mass_b : float
        Total masses of ``a`` and ``b``.
    solve_time : float
        Wall-clock seconds.
    message : str
        Status reported by the solver.
    """

    plan: np.ndarray
    a: np.ndarray
    b: np.ndarray
    mass: float
    fraction: float
    cost: float
    marginal_error: float
    converged: bool
    mass_a: float
    mass_b: float
    solve_time: float
    message: str


# --- input checks ----------------------------------------------------------------------------


def check_rho(rho) -> float:
    """The marginal penalty: positive and finite, with messages that say what 0 and ∞ mean."""
    if isinstance(rho, numbers.Real) and not isinstance(rho, bool):
        value = float(rho)
        if value == 0.0:
            raise InvalidInput(
                "rho = 0 makes the marginals free: nothing ties the plan to a and b (the "
                "optimal plan is then a⊗b·exp(-C/eps) whatever a and b hold); use rho > 0"
            )
        if value == math.inf:
            raise InvalidInput(
                "rho = inf enforces the marginals exactly: that is balanced transport, solved "
                "by ot_engine.sinkhorn (after rescaling a and b to the same mass); use a "
                "finite rho"
            )
    return check_positive("rho", rho, meaning="the marginal penalty")


def _histogram(name: str, value) -> tuple[np.ndarray, float]:
    try:
        arr = check_histogram(name, value)
    except InvalidInput as err:
        if "no mass" in str(err):
            raise InvalidInput(
                f"{name} has no mass (every bar is zero): unbalanced transport may create "
                f"mass, but it creates it in proportion to {name}, so {name} needs some mass "
                "somewhere"
            ) from None
        raise
    total = float(arr.sum())
    if total < MIN_TOTAL:
        raise InvalidInput(
            f"{name} holds a total mass of {total:.3g}, too small to compute with in floating "
            f"point (below {MIN_TOTAL:g}): scale both histograms up by the same factor"
        )
    return arr, total


def _check_max_iter(max_iter) -> int:
    if max_iter is None:
        return DEFAULT_MAX_ITER
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise InvalidInput(f"max_iter must be a positive whole number, got {max_iter!r}")
    return int(max_iter)


def _read_warm_start(warm_start, n, m):
    """``(f, g, eps)`` from a previous result or an ``(f, g)`` pair; None if unusable."""
    if warm_start is None:
        return None
    warm_eps = None
    if isinstance(warm_start, UnbalancedResult):
        f, g, warm_eps = warm_start.f, warm_start.g, warm_start.eps
    else:
        try:
            f, g = warm_start
            f = np.asarray(f, dtype=np.float64)
            g = np.asarray(g, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidInput(
                "warm_start must be a previous sinkhorn_unbalanced result or an (f, g) pair"
            ) from None
    if f.shape != (n,) or g.shape != (m,) or not (np.isfinite(f).all() and np.isfinite(g).all()):
        return None  # another grid: start cold
    return f, g, warm_eps


# --- the scaling iteration -------------------------------------------------------------------


def _residual(P, a, b, f, g, rho):
    """``|P 1 - a e^{-f/rho}|_1 + |P^T 1 - b e^{-g/rho}|_1``."""
    return float(
        np.abs(P.sum(1) - a * np.exp(-f / rho)).sum()
        + np.abs(P.sum(0) - b * np.exp(-g / rho)).sum()
    )


def _dual_shifts(log_sum_a, log_sum_b, plan_mass, rho, e):
    """Exact line searches of the dual along ``(t, -t)`` and then ``(s, s)``; returns ``(t, s)``.

    With ``A = <a, e^{-f/rho}>``, ``B = <b, e^{-g/rho}>`` (given as ``log A``, ``log B``) and
    ``M = sum P``, the dual along ``(f + t, g - t)`` is ``-rho A e^{-t/rho} - rho B e^{t/rho}``
    + const (the plan does not change), maximal at ``t = (rho/2) log(A/B)``, which makes both
    sums ``L = sqrt(A B)``.  Along ``(f + s, g + s)`` it is
    ``-2 rho L e^{-s/rho} - eps M e^{2s/eps}`` + const, maximal at
    ``s = log(L/M) / (1/rho + 2/eps)``.  These are the two directions that the alternate
    updates contract only by ``tau^2`` per iteration (the plan's position between a and b,
    and its total mass) when ``rho >> eps``.
    """
    t = 0.5 * rho * (log_sum_a - log_sum_b)
    s = (0.5 * (log_sum_a + log_sum_b) - math.log(plan_mass)) / (1.0 / rho + 2.0 / e)
    return t, s


class _Frame:
    """The stabilized kernel of potentials ``f, g`` at one ε, and the vectors derived once
    per absorption: ``K = a b^T exp((f + g - C)/e)``, the damping ``exp(-f/(rho + e))`` of the
    scaling update, and ``a e^{-f/rho}`` scaled to a largest entry of 1 (``log`` of the scale
    kept), so that ``<a, e^{-F/rho}> = <weights, u^{-e/rho}>`` costs one power and one dot."""

    def __init__(self, f, g, log_a, log_b, C, e, rho):
        self.f, self.g = f, g
        self.K = core._kernel(f, g, log_a, log_b, C, e)
        self.damp_a = np.exp(-f / (rho + e))
        self.damp_b = np.exp(-g / (rho + e))
        wa = log_a - f / rho
        wb = log_b - g / rho
        self.scale_a, self.scale_b = float(wa.max()), float(wb.max())
        self.weight_a = np.exp(wa - self.scale_a)
        self.weight_b = np.exp(wb - self.scale_b)


def _stage(f, g, a, b, log_a, log_b, C, e, rho, *, tol, cap, deadline, trace, w=1.0):
    """Scaling iterations at one ε; returns ``(f, g, err, iterations)``.

    Starts from exact log-domain updates (bounded kernel), then iterates on the stabilized
    kernel ``K = a b^T exp((f + g - C)/e)`` with scalings ``u, v``: the update
    ``F = tau softmin(C - G)`` with ``F = f + e log u`` reads
    ``u = (a / K v)^tau exp(-f / (rho + e))``.  After each iteration the exact dual line
    searches of :func:`_dual_shifts` rescale ``u`` and ``v`` (no new kernel).
    """
    tau = rho / (rho + e)
    kappa = -e / rho
    g = tau * core.softmin_cols(f, log_a, C, e)
    f = tau * core.softmin_rows(g, log_b, C, e)
    fr = _Frame(f, g, log_a, log_b, C, e, rho)
    u = np.ones(a.size)
    v = np.ones(b.size)
    it = 0
    err = np.inf
    errs: list[float] = []
    big = math.exp(ABSORB_LOG)
    while True:
        Kv = fr.K @ v
        u_new = (a / Kv) ** tau * fr.damp_a
        u = u_new if w == 1.0 else u ** (1.0 - w) * u_new**w
        KTu = fr.K.T @ u
        v_new = (b / KTu) ** tau * fr.damp_b
        v = v_new if w == 1.0 else v ** (1.0 - w) * v_new**w
        it += 1
        plan_mass = float(v @ KTu)
        if plan_mass > 0.0 and np.isfinite(plan_mass):
            log_sum_a = fr.scale_a + math.log(fr.weight_a @ u**kappa)
            log_sum_b = fr.scale_b + math.log(fr.weight_b @ v**kappa)
            t, s = _dual_shifts(log_sum_a, log_sum_b, plan_mass, rho, e)
            if abs(t) + abs(s) < ABSORB_LOG * e:
                u *= math.exp((t + s) / e)
                v *= math.exp((s - t) / e)
            elif np.isfinite(t) and np.isfinite(s):  # a large shift: a new kernel at once
                fr = _Frame(
                    fr.f + e * np.log(u) + t + s, fr.g + e * np.log(v) + s - t,
                    log_a, log_b, C, e, rho,
                )  # fmt: skip
                u = np.ones(a.size)
                v = np.ones(b.size)
        if it % CHECK_EVERY == 0 or it >= cap:
            F = fr.f + e * np.log(u)
            G = fr.g + e * np.log(v)
            err = float(
                np.abs(u * (fr.K @ v) - a * np.exp(-F / rho)).sum()
                + np.abs(v * (fr.K.T @ u) - b * np.exp(-G / rho)).sum()
            )
            if trace is not None:
                trace.append(err)
            if not np.isfinite(err):
                return fr.f, fr.g, np.inf, it
            errs.append(err)
            if w > 1.0 and len(errs) > 5 and err > 10.0 * min(errs):
                w = 1.0  # over-relaxation made it worse: plain scalings from here
            if err <= tol or it >= cap or time.perf_counter() > deadline:
                return F, G, err, it
        if u.max() > big or v.max() > big or u.min() * big < 1.0 or v.min() * big < 1.0:
            fr = _Frame(fr.f + e * np.log(u), fr.g + e * np.log(v), log_a, log_b, C, e, rho)
            u = np.ones(a.size)
            v = np.ones(b.size)


def _solve(a, b, C, eps, rho, f, g, *, tol, max_iter, deadline, warm_eps):
    """ε-scaling over :func:`_stage`; returns ``(f, g, iterations, trace)``."""
    log_a, log_b = np.log(a), np.log(b)
    spread = float(C.max() - C.min())
    if f is None:
        f = np.zeros(a.size)
        g = np.zeros(b.size)
        start = max(COLD_EPS_START * spread, eps)
    else:
        start = core.first_eps(eps, spread, warm_eps, COLD_EPS_START)
    stages = core.eps_schedule(start, eps)
    total = 0
    trace: list[float] = []
    scale = float(a.sum() + b.sum())
    for k, e in enumerate(stages):
        last = k == len(stages) - 1
        # The last stage aims a little below tol: the plan recomputed from the final
        # potentials is measured again.
        stage_tol = 0.5 * tol if last else max(tol, STAGE_TOL * scale)
        cap = max_iter - total if last else min(STAGE_MAX_ITER, max_iter - total)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
            f_s, g_s, err, it = _stage(
                f,
                g,
                a,
                b,
                log_a,
                log_b,
                C,
                e,
                rho,
                tol=stage_tol,
                cap=max(cap, 1),
                deadline=deadline,
                trace=trace if last else None,
                w=core.stage_omega(e, spread) if OVER_RELAX else 1.0,
            )
        total += it
        if np.isfinite(err) and np.isfinite(f_s).all() and np.isfinite(g_s).all():
            f, g = f_s, g_s
        if time.perf_counter() > deadline or total >= max_iter:
            if not last:  # out of budget mid-schedule: finish at the target ε, honestly
                trace.clear()
            break
    if len(stages) > 1 and (time.perf_counter() > deadline or total >= max_iter):
        # The potentials may belong to a larger ε: one exact update at the target keeps the
        # plan and its residual consistent (reported as not converged if still off).
        tau = rho / (rho + eps)
        g = tau * core.softmin_cols(f, log_a, C, eps)
        f = tau * core.softmin_rows(g, log_b, C, eps)
    return f, g, total, trace


# --- the verbs -------------------------------------------------------------------------------


def sinkhorn_unbalanced(
    a,
    b,
    C,
    eps,
    rho,
    *,
    warm_start=None,
    tol=1e-9,
    max_iter=None,
    max_time=DEFAULT_MAX_TIME,
) -> UnbalancedResult:
    r"""Entropic unbalanced optimal transport with KL marginal penalties.

    Solves

    .. math::

        \min_{P \ge 0}\ \langle C, P\rangle + \varepsilon\,\mathrm{KL}(P \,|\, a\otimes b)
        + \rho\,\mathrm{KL}(P\mathbf 1 \,|\, a) + \rho\,\mathrm{KL}(P^\top\mathbf 1 \,|\, b)

    with the generalized ``KL(x|y) = sum x log(x/y) - x + y``: POT's
    ``ot.unbalanced.sinkhorn_unbalanced(a, b, C, reg=eps, reg_m=rho)`` objective, solved in
    the log domain with ε-scaling and the optimal dual translation after each iteration (see
    the module's docstring for the derivation), so it stays right at ``eps = 1e-3 max C``
    where POT's ``method="sinkhorn_stabilized"`` returns an all-zero plan.  ``a`` and ``b``
    are *not* normalized: their totals may differ, and the plan creates and destroys mass.
    ``rho -> inf`` gives balanced transport (when the totals are equal), ``rho -> 0`` lets
    the marginals go.

    Parameters
    ----------
    a : array_like, shape (n,)
        Source histogram: non-negative, finite, some mass (zero bars allowed: they get zero
        rows of the plan).
    b : array_like, shape (m,)
        Target histogram, same rules.
    C : array_like, shape (n, m)
        Finite ground cost.
    eps : float
        Entropic regularization ``> 0``, in the units of ``C``.
    rho : float
        Marginal penalty ``> 0`` and finite, in the units of ``C``: across a cost ``c`` the
        plan keeps about ``exp(-c / (2 rho))`` of the mass it would move (exact for one bar
        against one bar at ``eps -> 0``).
    warm_start : UnbalancedResult or (f, g), optional
        Potentials of a previous solve (another ``rho`` or ``eps`` is fine); ignored when their
        shapes do not match.
    tol : float, default 1e-9
        Target residual, relative to ``mass_a + mass_b``.
    max_iter : int, optional
        Cap on scaling iterations over all ε stages (default 100000).
    max_time : float, default 0.5
        Wall-clock budget in seconds; when a cap is hit, ``converged`` is False and
        ``marginal_error`` says how far off the result is.

    Returns
    -------
    UnbalancedResult
        Frozen record: ``plan``, ``f``, ``g``, the objective's four terms, ``marginal_error``,
        ``converged``, per-bar created and destroyed mass, ...

    Raises
    ------
    InvalidInput
        Histograms empty, negative, NaN/inf or without mass; ``C`` of the wrong shape or not
        finite; ``eps`` not positive and finite; ``rho`` equal to 0 or infinity (the message
        says what those limits mean), negative or NaN; ``tol``, ``max_time`` not positive;
        a malformed ``warm_start``.

    References
    ----------
    .. [1] L. Chizat, G. Peyré, B. Schmitzer, F.-X. Vialard, "Scaling algorithms for
       unbalanced optimal transport problems", Math. Comp. 87 (2018), 2563-2609.
    .. [2] T. Séjourné, F.-X. Vialard, G. Peyré, "Faster unbalanced optimal transport:
       translation invariant Sinkhorn and 1-D Frank-Wolfe", AISTATS 2022.

    Examples
    --------
    >>> import numpy as np, ot
    >>> from ot_engine import sinkhorn_unbalanced, uniform_grid, cost_matrix
    >>> x = uniform_grid(5)
    >>> a = np.array([0.3, 0.3, 0.2, 0.1, 0.1])          # mass 1.0
    >>> b = np.array([0.1, 0.1, 0.2, 0.3, 0.8])          # mass 1.5: not balanced
    >>> C = cost_matrix(x, x)
    >>> res = sinkhorn_unbalanced(a, b, C, eps=0.05, rho=0.5)
    >>> bool(res.converged), res.marginal_error < 1e-8
    (True, True)
    >>> P = ot.unbalanced.sinkhorn_unbalanced(a, b, C, 0.05, 0.5, stopThr=1e-14,
    ...                                       numItermax=100_000)
    >>> bool(np.allclose(res.plan, P, atol=1e-10))      # POT's plan at a large eps
    True
    >>> round(res.mass_a + res.created - res.destroyed, 12)   # the books balance
    1.5
    >>> sinkhorn_unbalanced(a, b, C, eps=0.05, rho=float("inf"))
    Traceback (most recent call last):
    ...
    ot_engine.validation.InvalidInput: rho = inf enforces the marginals exactly: ...
    """
    t0 = time.perf_counter()
    a, mass_a = _histogram("a", a)
    b, mass_b = _histogram("b", b)
    n, m = a.size, b.size
    C = check_cost(C, n, m)
    eps = check_eps(eps)
    rho = check_rho(rho)
    tol = check_positive("tol", tol)
    max_time = check_positive("max_time", max_time)
    max_iter = _check_max_iter(max_iter)
    warm = _read_warm_start(warm_start, n, m)

    floor = TINY_MASS * max(mass_a, mass_b)
    ia = np.flatnonzero(a > floor)
    jb = np.flatnonzero(b > floor)
    for name, kept, total in (("a", ia, mass_a), ("b", jb, mass_b)):
        if kept.size == 0:
            raise InvalidInput(
                f"{name} holds {total:.3g}, less than {TINY_MASS:g} of the other side's mass: "
                "too little to compute with; give it some mass"
            )
    Cs = block(C, ia, jb)
    a_s, b_s = a[ia], b[jb]
    f0 = g0 = warm_eps = None
    if warm is not None:
        f0, g0, warm_eps = warm[0][ia], warm[1][jb], warm[2]
    f_s, g_s, iterations, trace = _solve(
        a_s,
        b_s,
        Cs,
        eps,
        rho,
        f0,
        g0,
        tol=tol * (mass_a + mass_b),
        max_iter=max_iter,
        deadline=t0 + max_time,
        warm_eps=warm_eps,
    )
    # The plan of the final potentials (one exp): what is reported is what is returned.
    with np.errstate(under="ignore"):
        P_s = core._kernel(f_s, g_s, np.log(a_s), np.log(b_s), Cs, eps)
    plan = embed(P_s, ia, jb, (n, m))
    tau = rho / (rho + eps)
    f = np.empty(n)
    g = np.empty(m)
    f[ia], g[jb] = f_s, g_s
    # Empty bars: the potentials' own update formula extends them (finite, for drawing).
    rest_a = complement(ia, n)
    rest_b = complement(jb, m)
    if rest_a.size:
        f[rest_a] = tau * core.softmin_rows(g_s, np.log(b_s), block(C, rest_a, jb), eps)
    if rest_b.size:
        g[rest_b] = tau * core.softmin_cols(f_s, np.log(a_s), C[np.ix_(ia, rest_b)], eps)

    err = _residual(P_s, a_s, b_s, f_s, g_s, rho)
    trace.append(err)
    converged = bool(np.isfinite(err) and err <= tol * (mass_a + mass_b))
    sent, received = plan.sum(1), plan.sum(0)
    cost = float(np.sum(plan * C))
    # eps KL(P | a⊗b): on the support log(P / ab) = (f + g - C)/eps exactly, so no log of a
    # tiny entry is needed.
    entropy = float(f_s @ P_s.sum(1) + g_s @ P_s.sum(0)) - float(np.sum(P_s * Cs))
    entropy_term = entropy - eps * float(P_s.sum()) + eps * mass_a * mass_b
    kl_a_term = rho * float(kl_div(sent, a).sum())
    kl_b_term = rho * float(kl_div(received, b).sum())
    if converged:
        message = f"converged: residual {err:.2e} after {iterations} iterations"
    else:
        message = (
            f"NOT converged: residual {err:.2e} > tol after {iterations} iterations "
            "(iteration or time cap reached)"
        )
    return UnbalancedResult(
        plan=frozen_array(plan),
        a=frozen_array(a),
        b=frozen_array(b),
        f=frozen_array(f),
        g=frozen_array(g),
        cost=cost,
        entropy_term=entropy_term,
        kl_a_term=kl_a_term,
        kl_b_term=kl_b_term,
        objective=cost + entropy_term + kl_a_term + kl_b_term,
        marginal_error=err,
        converged=converged,
        iterations=int(iterations),
        error_trace=frozen_array(trace),
        eps=eps,
        rho=rho,
        mass_a=mass_a,
        mass_b=mass_b,
        solve_time=time.perf_counter() - t0,
        warm_started=warm is not None,
        message=message,
    )


def partial_transport(a, b, C, fraction) -> PartialResult:
    r"""Exact partial optimal transport: move a given mass at least cost.

    Solves

    .. math::

        \min_{P \ge 0,\ P\mathbf 1 \le a,\ P^\top\mathbf 1 \le b,\
        \mathbf 1^\top P \mathbf 1 = m} \langle C, P\rangle,
        \qquad m = \text{fraction} \cdot \min(|a|, |b|),

    as a balanced problem with one dummy bar on each side: the dummy target takes the source
    mass left behind (``|a| - m``) and the dummy source fills the target mass left empty
    (``|b| - m``), both at cost 0; the dummy-to-dummy cell costs more than any real cell, so
    it stays empty (moving mass between dummies would move more than ``m`` between real bars).
    Solved with POT's network simplex (``ot.emd``); the same problem as
    ``ot.partial.partial_wasserstein(a, b, C, m)``.

    Parameters
    ----------
    a, b : array_like, shapes (n,) and (m,)
        Histograms (not normalized), non-negative with some mass.
    C : array_like, shape (n, m)
        Finite ground cost.
    fraction : float
        Share of the smaller total mass to move, in ``[0, 1]``.

    Returns
    -------
    PartialResult
        ``plan``, ``cost``, ``mass``, the per-bar created (unfilled target) and destroyed
        (unsent source) mass, ``marginal_error`` (constraint violation), ``converged``.

    Raises
    ------
    InvalidInput
        Bad histograms or cost (as :func:`sinkhorn_unbalanced`); ``fraction`` outside
        ``[0, 1]`` or not a number.

    References
    ----------
    .. [1] L. Chapel, M. Z. Alaya, G. Gasso, "Partial optimal transport with applications on
       positive-unlabeled learning", NeurIPS 2020.
    .. [2] A. Figalli, "The optimal partial transport problem", Arch. Ration. Mech. Anal.
       195 (2010), 533-560.

    Examples
    --------
    >>> import numpy as np, ot
    >>> from ot_engine import partial_transport
    >>> a = np.array([0.5, 0.5, 0.0])
    >>> b = np.array([0.0, 0.4, 0.8])
    >>> C = np.abs(np.arange(3)[:, None] - np.arange(3)[None, :]).astype(float)
    >>> res = partial_transport(a, b, C, 0.5)          # move half of min(1.0, 1.2)
    >>> res.mass, round(res.cost, 12)           # 0.4 stays in bin 1, 0.1 moves by 1
    (0.5, 0.1)
    >>> P = ot.partial.partial_wasserstein(a, b, C, m=0.5)
    >>> bool(np.isclose(res.cost, np.sum(P * C)))
    True
    """
    t0 = time.perf_counter()
    a, mass_a = _histogram("a", a)
    b, mass_b = _histogram("b", b)
    n, m_ = a.size, b.size
    C = check_cost(C, n, m_)
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real):
        raise InvalidInput(f"fraction must be a number in [0, 1], got {fraction!r}")
    fraction = float(fraction)
    if not 0.0 <= fraction <= 1.0:
        raise InvalidInput(
            f"fraction must lie in [0, 1] (the share of the smaller mass to move), got {fraction}"
        )
    mass = fraction * min(mass_a, mass_b)
    # Shift the cost to be non-negative: with exactly `mass` moved between real bars the shift
    # adds the same constant to every admissible plan.
    low = float(C.min())
    Cz = C - low
    big = float(Cz.max()) + 1.0
    M = np.zeros((n + 1, m_ + 1))
    M[:n, :m_] = Cz
    M[n, m_] = big
    a_ext = np.append(a, mass_b - mass)
    b_ext = np.append(b, mass_a - mass)
    # Both sides of the extended problem hold mass_a + mass_b - mass; round-off between the
    # two sums is moved onto the dummy target so that emd sees equal totals.
    b_ext[-1] += a_ext.sum() - b_ext.sum()
    P_ext, log = ot.emd(a_ext, b_ext, M, numItermax=1_000_000, log=True)
    plan = np.asarray(P_ext[:n, :m_], dtype=np.float64)
    ok = log.get("warning") is None and log.get("result_code", 1) == 1
    violation = (
        abs(float(plan.sum()) - mass)
        + float(np.maximum(plan.sum(1) - a, 0.0).sum())
        + float(np.maximum(plan.sum(0) - b, 0.0).sum())
    )
    converged = bool(ok and violation <= 1e-9 * (mass_a + mass_b))
    return PartialResult(
        plan=frozen_array(plan),
        a=frozen_array(a),
        b=frozen_array(b),
        mass=mass,
        fraction=fraction,
        cost=float(np.sum(plan * C)),
        marginal_error=violation,
        converged=converged,
        mass_a=mass_a,
        mass_b=mass_b,
        solve_time=time.perf_counter() - t0,
        message="optimal (network simplex)" if ok else f"simplex: {log.get('warning')}",
    )
