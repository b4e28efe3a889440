"""Entropic optimal transport: the :func:`sinkhorn` verb."""

from __future__ import annotations

import functools
import numbers
import time

import numpy as np

from . import _sinkhorn_core as core
from ._support import block, complement, embed
from .results import SinkhornResult, freeze, frozen_array, marginal_gap, solver_record, sums
from .validation import (
    InvalidInput,
    check_cost,
    check_eps,
    check_histogram_pair,
    check_positive,
)

__all__ = ["DEFAULT_MAX_ITER", "DEFAULT_MAX_TIME", "TINY_MASS", "sinkhorn"]

#: Bars holding at most this fraction of their histogram's mass are treated as empty.
TINY_MASS = core.TINY_MASS

#: Iteration cap (over all ε stages) when ``max_iter=None``.
DEFAULT_MAX_ITER = 100_000
#: Wall-clock budget in seconds when none is given; keeps a page responsive.
DEFAULT_MAX_TIME = 0.5


def cost_fingerprint(C):
    """Two weighted sums of ``C`` (fixed pseudo-random weights): tells a changed cost apart.

    A warm start reuses the previous plan as its kernel only for the same cost; comparing
    the fingerprints costs two matrix-vector products instead of keeping a copy of ``C``.
    """
    u, v = _fingerprint_weights(*C.shape)
    return (float(u @ (C @ v)), float(C.sum()))


@functools.lru_cache(maxsize=8)
def _fingerprint_weights(n, m):
    rng = np.random.default_rng(20261130)
    u, v = rng.standard_normal(n), rng.standard_normal(m)
    u.setflags(write=False)
    v.setflags(write=False)
    return u, v


def _read_warm_start(warm_start, n, m):
    """Return ``(f, g, eps, previous)`` (arrays of shapes (n,), (m,); ``eps`` the regularization
    they were computed at, ``None`` if unknown; ``previous`` the result they come from, if
    any), or ``None`` if unusable."""
    if warm_start is None:
        return None
    warm_eps = previous = None
    if isinstance(warm_start, SinkhornResult):
        f, g, warm_eps, previous = warm_start.f, warm_start.g, warm_start.eps, warm_start
    else:
        try:
            f, g = warm_start
        except (TypeError, ValueError):
            raise InvalidInput(
                "warm_start must be a previous sinkhorn result or an (f, g) pair"
            ) from None
    try:
        f = np.asarray(f, dtype=np.float64)
        g = np.asarray(g, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInput("warm_start potentials must be arrays of numbers") from None
    if f.shape != (n,) or g.shape != (m,):
        return None  # the grid changed size: start cold
    if not (np.isfinite(f).all() and np.isfinite(g).all()):
        return None
    return f, g, warm_eps, previous


def _warm_kernel(previous, a, b, ia, jb, f0, g0, eps, key):
    """The previous plan as the first kernel, with ``f0, g0`` made consistent, or None.

    Usable when ``previous`` was solved at the same ``eps`` on the same cost (``key``) with
    the same empty bars: its plan is ``a' b'^T exp((f' + g' - C)/eps)`` for its own unit-mass
    ``a', b'``, i.e. the kernel of ``f' + eps log(a'/a), g' + eps log(b'/b)`` for the new ones.
    Returns ``(kernel, f0, g0)``; the kernel is a read-only view or a copy of the plan.
    """
    state = previous.warm_state
    if state is None or previous.eps != eps or state[2] != key:
        return None
    a_old, b_old = state[0], state[1]
    if a_old.shape != a.shape or b_old.shape != b.shape:
        return None
    if ia.size != np.count_nonzero(a_old > TINY_MASS) or not (a_old[ia] > TINY_MASS).all():
        return None
    if jb.size != np.count_nonzero(b_old > TINY_MASS) or not (b_old[jb] > TINY_MASS).all():
        return None
    kernel = block(previous.plan, ia, jb)
    f0 = f0 + eps * np.log(a_old[ia] / a[ia])
    g0 = g0 + eps * np.log(b_old[jb] / b[jb])
    return kernel, f0, g0


def sinkhorn(
    a,
    b,
    C,
    eps,
    *,
    warm_start=None,
    tol=1e-9,
    max_iter=None,
    max_time=DEFAULT_MAX_TIME,
    normalize=True,
) -> SinkhornResult:
    r"""Entropy-regularized optimal transport between two histograms.

    Solves

    .. math::

        \min_{P \ge 0,\ P 1 = a,\ P^T 1 = b} \langle C, P\rangle
        + \varepsilon\, \mathrm{KL}(P \,\|\, a \otimes b),
        \qquad \mathrm{KL}(P\|Q) = \sum_{ij} P_{ij} \log \frac{P_{ij}}{Q_{ij}} .

    On the set of couplings, ``KL(P | a⊗b) = sum P log P + const``, so the minimizer is the
    same plan as POT's ``ot.sinkhorn(a, b, C, reg=eps)`` (objective
    ``<C, P> + reg sum P log P``): ``eps`` has POT's ``reg`` meaning and the units of ``C``.
    The plan is ``P_ij = a_i b_j exp((f_i + g_j - C_ij) / eps)``; POT's scalings relate to
    these potentials by ``eps log u_i = f_i + eps log a_i`` (+ a constant).

    The solver runs Sinkhorn's scaling iterations [1]_ (matrix-vector products) on a
    stabilized kernel with ε-scaling, over-relaxation and log-domain absorption [2]_, so it
    stays correct down to ``eps = 1e-4 max(C)`` and below, where POT's default method
    silently fails.  It evaluates ``exp`` of the n x m cost about once per solve (later ε
    stages square the kernel, absorptions rescale it; on a uniform grid the cost is Toeplitz
    and ``2n - 1`` exponentials do; a warm start at the same ``eps`` and cost reuses the last
    plan), which matters on CPUs without AVX-512.  Warm starts, and the last ε stage at small
    ``eps``, begin with Newton steps on the dual (conjugate gradients on matrix-vector
    products).  Where Sinkhorn's own convergence crawls (clusters of mass separated by a gap,
    noisy histograms with the ``|x - y|`` cost at small ``eps``) it
    switches to damped Newton steps on the dual potentials.  Bars with zero mass are removed
    before solving and get zero rows/columns in the plan; so are bars holding at most
    ``TINY_MASS`` (1e-300) of their histogram's mass (subnormal floats cannot be divided
    reliably, and such a bar changes no printed digit; its mass still counts in
    ``marginal_error``).

    Parameters
    ----------
    a : array_like, shape (n,)
        Source histogram, non-negative with positive total (zero bars are allowed).
    b : array_like, shape (m,)
        Target histogram, same rules.
    C : array_like, shape (n, m)
        Finite ground cost.
    eps : float
        Regularization strength ``ε > 0``, in the units of ``C``.
    warm_start : SinkhornResult or (f, g) tuple, optional
        Potentials from a previous solve (e.g. the last widget event).  Ignored when their
        shapes do not match ``(n,)`` and ``(m,)``, so a page may pass it unconditionally.
        From a result, whose ``eps`` is known, a drop of ε is bridged by a short ε-scaling
        from the old value (at most from ``0.01 (max C - min C)``, where cold starts begin);
        a tuple starts at the target ε.  If the scalings blow up from a far-off start, the
        stage is rerun from a log-domain restart and, failing that, the solve starts cold
        within the remaining budget.
    tol : float, default 1e-9
        Target marginal error ``|P 1 - a|_1 + |P^T 1 - b|_1`` (on unit-mass histograms).
    max_iter : int, optional
        Cap on the total number of iterations (see ``SinkhornResult.iterations``); default
        ``DEFAULT_MAX_ITER`` (100000).
    max_time : float, default 0.5
        Wall-clock budget in seconds.  When a cap is hit the result has
        ``converged=False`` and its ``marginal_error`` says how far off it is.
    normalize : bool, default True
        Rescale ``a`` and ``b`` to unit mass (recorded as ``renormalized=True`` with the
        original masses).  With ``False``, totals other than 1 raise ``InvalidInput``.

    Returns
    -------
    SinkhornResult
        Frozen record with ``plan``, ``cost = <C, plan>``, ``f``, ``g``, ``iterations``,
        ``marginal_error``, ``converged``, ``error_trace``, ``eps``, ``objective``,
        ``solve_time``, ``renormalized``, ``mass_a``, ``mass_b``.

    Raises
    ------
    InvalidInput
        Empty, negative, NaN/inf or massless histograms; ``C`` not of shape ``(n, m)`` or
        not finite; ``eps``, ``tol`` or ``max_time`` not positive and finite; sizes above
        ``MAX_SIZE`` (2048); a malformed ``warm_start``.

    References
    ----------
    .. [1] M. Cuturi, "Sinkhorn distances: lightspeed computation of optimal transport",
       NeurIPS 2013.
    .. [2] B. Schmitzer, "Stabilized sparse scaling algorithms for entropy regularized
       transport problems", SIAM J. Sci. Comput. 41(3), A1443-A1481, 2019.

    Examples
    --------
    >>> import numpy as np, ot
    >>> from ot_engine import sinkhorn, uniform_grid, cost_matrix
    >>> x = uniform_grid(5)
    >>> a = np.array([0.3, 0.3, 0.2, 0.1, 0.1])
    >>> b = np.array([0.1, 0.1, 0.2, 0.3, 0.3])
    >>> C = cost_matrix(x, x)
    >>> res = sinkhorn(a, b, C, eps=0.01)
    >>> bool(res.converged), res.marginal_error < 1e-9
    (True, True)
    >>> P_pot = ot.sinkhorn(a, b, C, 0.01, method="sinkhorn_log", stopThr=1e-13)
    >>> bool(np.allclose(res.plan, P_pot, atol=1e-9))      # same plan as POT's reg=eps
    True
    >>> empty = sinkhorn([0.5, 0.5, 0.0, 0.0, 0.0], b, C, eps=0.01)   # empty bars are fine
    >>> float(empty.plan[2:].sum()), bool(np.isfinite(empty.f).all())
    (0.0, True)
    """
    t0 = time.perf_counter()
    a, b, mass_a, mass_b, renormalized = check_histogram_pair(a, b, normalize=normalize)
    n, m = a.size, b.size
    C = check_cost(C, n, m)
    eps = check_eps(eps)
    tol = check_positive("tol", tol)
    max_time = check_positive("max_time", max_time)
    if max_iter is None:
        max_iter = DEFAULT_MAX_ITER
    elif isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise InvalidInput(f"max_iter must be a positive whole number, got {max_iter!r}")
    max_iter = int(max_iter)
    warm = _read_warm_start(warm_start, n, m)

    # Bars with at most TINY_MASS (1e-300) of the unit mass count as empty (see the core).
    ia = np.flatnonzero(a > TINY_MASS)
    jb = np.flatnonzero(b > TINY_MASS)
    full = ia.size == n and jb.size == m
    Cs = block(C, ia, jb)
    a_s, b_s = a[ia], b[jb]
    f0 = g0 = warm_eps = kernel = None
    key = cost_fingerprint(C)
    if warm is not None:
        f0, g0, warm_eps = warm[0][ia], warm[1][jb], warm[2]
        if warm[3] is not None:
            reused = _warm_kernel(warm[3], a, b, ia, jb, f0, g0, eps, key)
            if reused is not None:
                kernel, f0, g0 = reused
    toeplitz = None
    if warm is None:
        c = core.toeplitz_values(C)
        if c is not None:
            toeplitz = (c, None, None) if full else (c, ia, jb)
    plan_s, f_s, g_s, iterations, trace = core.solve(
        a_s,
        b_s,
        Cs,
        eps,
        f0,
        g0,
        tol=tol,
        max_iter=max_iter,
        deadline=t0 + max_time,
        warm_eps=warm_eps,
        warm_kernel=kernel,
        toeplitz=toeplitz,
    )

    plan = embed(plan_s, ia, jb, (n, m))
    if full:
        f, g = f_s, g_s
    else:
        f = np.empty(n)
        g = np.empty(m)
        f[ia], g[jb] = f_s, g_s
        # Empty bars: extend the potentials by soft c-transforms of the other side.
        if ia.size < n:
            rest = complement(ia, n)
            f[rest] = core.softmin_rows(g_s, np.log(b_s), block(C, rest, jb), eps)
        if jb.size < m:
            rest = complement(jb, m)
            g[rest] = core.softmin_cols(f_s, np.log(a_s), C[np.ix_(ia, rest)], eps)

    sent, received = sums(plan)
    err = marginal_gap(sent, received, a, b)
    trace.append(err)
    converged = bool(err <= tol)
    if converged:
        message = f"converged: marginal error {err:.2e} after {iterations} iterations"
    else:
        message = (
            f"NOT converged: marginal error {err:.2e} > tol {tol:.1e} after {iterations} "
            "iterations (iteration or time cap reached)"
        )
    return solver_record(
        SinkhornResult,
        plan=freeze(plan),  # the solver's own array: frozen, not copied
        C=C,
        f=f,
        g=g,
        started=t0,
        masses=(mass_a, mass_b, renormalized),
        iterations=int(iterations),
        marginal_error=err,
        converged=converged,
        error_trace=frozen_array(trace),
        eps=eps,
        objective=float(f @ sent + g @ received),
        warm_started=warm is not None,
        message=message,
        warm_state=(frozen_array(a), frozen_array(b), key),
    )
