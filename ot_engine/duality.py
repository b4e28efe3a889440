r"""Kantorovich duality on histograms: c-transforms, dual values, normalized exact potentials.

The dual of the transport linear program prices mass instead of routing it:

.. math::

    \min_{P \in \Pi(a, b)} \langle C, P \rangle
    = \max_{f_i + g_j \le C_{ij}} \langle f, a \rangle + \langle g, b \rangle .

Conventions (stated once, used everywhere here):

* ``C`` has shape ``(n, m)``; ``f`` lives on the rows (sources, ``x``), ``g`` on the columns
  (targets, ``y``); ``a`` and ``b`` are rescaled to unit mass (``InvalidInput`` as elsewhere).
* The hard c-transform is :math:`f^c_j = \min_i (C_{ij} - f_i)`, the minimum taken over the
  support of ``a`` when ``a`` is given (zero bars are no constraint there), else over every
  row. The soft one at :math:`\varepsilon > 0` is
  :math:`f^{c,\varepsilon}_j = -\varepsilon \log \sum_i a_i e^{(f_i - C_{ij})/\varepsilon}`,
  computed by a stable log-sum-exp; it is the Sinkhorn update of ``g`` and tends to the hard
  one from above as :math:`\varepsilon \to 0`, with
  :math:`0 \le f^{c,\varepsilon}_j - f^c_j \le \varepsilon \log(1/\min_{a_i > 0} a_i)`.
* Exact potentials are not unique: POT's network-simplex duals are defined up to a constant
  shift ``(f + t, g - t)`` and are arbitrary on empty bars. :func:`kantorovich_potentials`
  returns one canonical optimal pair: the c-concave pair ``f = g^c``, ``g = f^c`` (over every
  row and column, so it is finite and feasible on empty bars too), shifted so that the range
  of ``f`` is centred on 0 (``max f + min f = 0``). Any c-concave ``f`` varies by at most
  ``max C - min C``, so this ``f`` lies in ``[-(max C - min C)/2, (max C - min C)/2]``.

References
----------
G. Peyré and M. Cuturi, *Computational Optimal Transport*, 2019, chapters 2.5, 3 and 5.
C. Villani, *Optimal Transport, Old and New*, 2009, chapter 5.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from .exact import exact
from .results import frozen_array
from .validation import (
    InvalidInput,
    _as_float_array,
    _check_finite,
    check_cost,
    check_eps,
    check_histogram,
    check_histogram_pair,
)

__all__ = [
    "KantorovichDuals",
    "c_transform",
    "dual_value",
    "entropic_dual_value",
    "kantorovich_potentials",
    "lipschitz_constant",
    "slack",
    "soft_c_transform",
]

#: Slack above which a cell counts as violated, or on the support as "not tight" (float64
#: round-off on O(1) costs).
SLACK_TOL = 1e-9


def _potential(name: str, value, size: int) -> np.ndarray:
    arr = _as_float_array(name, value)
    if arr.ndim != 1 or arr.size != size:
        raise InvalidInput(f"{name} must be a 1D array of {size} values, got shape {arr.shape}")
    _check_finite(name, arr)
    return arr


def _cost_for(f_name: str, f, C):
    """``(f, C)`` validated: ``C`` a finite 2D matrix, ``f`` one value per row."""
    C_arr = _as_float_array("C", C)
    if C_arr.ndim != 2:
        raise InvalidInput(f"C must be a 2D cost matrix, got shape {C_arr.shape}")
    _check_finite("C", C_arr)
    return _potential(f_name, f, C_arr.shape[0]), C_arr


def _weights(a, n: int) -> np.ndarray:
    a = check_histogram("a", a)
    if a.size != n:
        raise InvalidInput(f"a has {a.size} bars but C has {n} rows")
    return a / a.sum()


def c_transform(f, C, a=None) -> np.ndarray:
    r"""Hard c-transform :math:`f^c_j = \min_i (C_{ij} - f_i)`.

    The largest ``g`` with ``f_i + g_j <= C_ij`` for every row ``i`` considered: every row,
    or only the rows where ``a`` has mass. For any ``f``,
    :math:`\langle f, a\rangle + \langle f^c, b\rangle` is a lower bound of the optimal
    transport cost (weak duality), and it is the best bound ``f`` can certify.

    Parameters
    ----------
    f : array_like, shape (n,)
        Finite potential on the rows of ``C``.
    C : array_like, shape (n, m)
        Finite ground cost.
    a : array_like, shape (n,), optional
        Source histogram: the minimum runs over its support only (empty bars constrain
        nothing). Default: over every row.

    Returns
    -------
    ndarray, shape (m,)

    Raises
    ------
    InvalidInput
        Shapes that do not fit, non-finite values, a histogram with no mass.

    Examples
    --------
    >>> C = 1.0 - np.eye(2)  # moving costs 1, staying 0
    >>> c_transform([0.0, 0.5], C)
    array([ 0. , -0.5])
    >>> c_transform([0.0, 0.5], C, a=[1.0, 0.0])  # only the first row has mass
    array([0., 1.])
    """
    f, C = _cost_for("f", f, C)
    h = C - f[:, None]
    if a is not None:
        h = h[_weights(a, C.shape[0]) > 0]
    return h.min(axis=0)


def soft_c_transform(f, C, eps, a) -> np.ndarray:
    r"""Soft (entropic) c-transform at ``eps``, weighted by ``a``.

    .. math::

        f^{c,\varepsilon}_j = -\varepsilon \log \sum_i a_i\,
        \exp\!\Big(\frac{f_i - C_{ij}}{\varepsilon}\Big)

    A smooth minimum: with ``a`` normalized to unit mass,
    :math:`f^c_j \le f^{c,\varepsilon}_j \le f^c_j + \varepsilon \log(1/\min_{a_i>0} a_i)`
    (``f^c`` over the support of ``a``), so it tends to the hard transform as ``eps -> 0``.
    It is one Sinkhorn half-step: the ``g`` that makes the columns of
    :math:`a_i b_j e^{(f_i + g_j - C_{ij})/\varepsilon}` sum to ``b``. Computed with a
    log-sum-exp (no underflow at small ``eps``); empty bars of ``a`` drop out.

    Parameters
    ----------
    f : array_like, shape (n,)
    C : array_like, shape (n, m)
    eps : float
        Positive temperature, in the units of ``C``.
    a : array_like, shape (n,)
        Source histogram (rescaled to unit mass).

    Returns
    -------
    ndarray, shape (m,)

    Raises
    ------
    InvalidInput
        Bad shapes, non-finite values, ``eps <= 0``, a histogram with no mass.

    Examples
    --------
    >>> C = 1.0 - np.eye(2)  # moving costs 1, staying 0
    >>> g = soft_c_transform([0.0, 0.0], C, 1e-3, [0.5, 0.5])
    >>> bool(np.allclose(g, c_transform([0.0, 0.0], C), atol=1e-3 * np.log(2) + 1e-12))
    True
    >>> soft_c_transform([0.0, 0.0], C, 1.0, [0.5, 0.5]).round(6)  # -log((1 + e^-1) / 2)
    array([0.379885, 0.379885])
    """
    f, C = _cost_for("f", f, C)
    eps = check_eps(eps)
    w = _weights(a, C.shape[0])
    keep = w > 0
    z = (f[keep, None] - C[keep]) / eps
    return -eps * logsumexp(z, axis=0, b=w[keep, None])


def dual_value(f, g, a, b) -> float:
    r"""The dual objective :math:`\langle f, a\rangle + \langle g, b\rangle` (unit masses).

    A lower bound of the optimal transport cost whenever ``f_i + g_j <= C_ij`` on the
    supports (weak duality); equal to it for optimal potentials.

    Examples
    --------
    >>> dual_value([1.0, 0.0], [0.0, -1.0], [1, 1], [1, 3])
    -0.25
    """
    a, b, _, _, _ = check_histogram_pair(a, b)
    f = _potential("f", f, a.size)
    g = _potential("g", g, b.size)
    return float(f @ a + g @ b)


def entropic_dual_value(f, g, a, b, C, eps) -> float:
    r"""The entropic dual objective, a lower bound of the entropic transport value.

    .. math::

        D_\varepsilon(f, g) = \langle f, a\rangle + \langle g, b\rangle
        - \varepsilon \sum_{ij} a_i b_j \big(e^{(f_i + g_j - C_{ij})/\varepsilon} - 1\big)
        \le \min_{P \in \Pi(a,b)} \langle C, P\rangle
        + \varepsilon\,\mathrm{KL}(\pi \,\|\, a \otimes b)

    for every ``f, g`` (Fenchel-Young), with equality at the Sinkhorn fixed point. With
    ``g = soft_c_transform(f, C, eps, a)`` the last sum is zero: the bound is
    ``<f, a> + <g, b>``. Computed in the log domain where it can overflow.

    Examples
    --------
    >>> C = 1.0 - np.eye(2)  # moving costs 1, staying 0
    >>> a = b = [0.5, 0.5]
    >>> g = soft_c_transform([0.0, 0.0], C, 0.5, a)
    >>> round(entropic_dual_value([0.0, 0.0], g, a, b, C, 0.5) - dual_value([0, 0], g, a, b), 12)
    0.0
    """
    a, b, _, _, _ = check_histogram_pair(a, b)
    C = check_cost(C, a.size, b.size)
    f = _potential("f", f, a.size)
    g = _potential("g", g, b.size)
    eps = check_eps(eps)
    keep = np.outer(a, b) > 0
    with np.errstate(divide="ignore"):
        log_w = np.log(np.outer(a, b))
    z = np.where(keep, (f[:, None] + g[None, :] - C) / eps + log_w, -np.inf)
    mass = float(np.exp(logsumexp(z)))  # sum a_i b_j e^{...}, overflow-safe up to the exp
    return float(f @ a + g @ b - eps * (mass - 1.0))


def slack(f, g, C) -> np.ndarray:
    r"""The reduced cost :math:`C_{ij} - f_i - g_j`: >= 0 for a feasible pair, and 0 on the
    support of an optimal plan when the pair is optimal (complementary slackness).

    Examples
    --------
    >>> slack([0.0, 1.0], [0.0, -1.0], 1.0 - np.eye(2))
    array([[0., 2.],
           [0., 0.]])
    """
    f, C = _cost_for("f", f, C)
    g = _potential("g", g, C.shape[1])
    return C - f[:, None] - g[None, :]


def lipschitz_constant(f, x) -> float:
    r"""The smallest ``L`` with :math:`|f_i - f_k| \le L |x_i - x_k|` on a 1D grid.

    On the line the largest slope is between neighbours once the points are sorted.
    Distinct points only (two values at one point have no finite constant).

    Examples
    --------
    >>> lipschitz_constant([0.0, 0.5, 0.25], [0.0, 0.25, 0.5])
    2.0
    """
    x = _potential("x", x, np.asarray(x).size)
    f = _potential("f", f, x.size)
    if x.size < 2:
        return 0.0
    order = np.argsort(x, kind="stable")
    dx = np.diff(x[order])
    if (dx <= 0).any():
        raise InvalidInput("x has repeated points: a Lipschitz constant needs distinct points")
    return float(np.max(np.abs(np.diff(f[order])) / dx))


@dataclass(frozen=True, eq=False)
class KantorovichDuals:
    """Outcome of :func:`kantorovich_potentials`: an optimal plan and a canonical optimal
    pair of potentials, with the numbers that certify them.

    Attributes
    ----------
    plan : ndarray, shape (n, m)
        An optimal plan (network simplex).
    f, g : ndarray, shape (n,) and (m,)
        The c-concave optimal pair (``f = g^c``, ``g = f^c`` over all rows and columns),
        centred: ``max f + min f = 0``. Finite everywhere, empty bars included.
    primal : float
        ``<C, plan>``, the optimal cost.
    dual : float
        ``<f, a> + <g, b>``.
    min_slack : float
        Smallest ``C_ij - f_i - g_j`` over every cell (>= ``-SLACK_TOL``: feasible).
    support_slack : float
        Largest ``|C_ij - f_i - g_j|`` over the cells where the plan has mass (0 up to
        round-off: complementary slackness).
    marginal_error : float
        L1 error of the plan's marginals.
    converged : bool
        Optimal simplex, admissible plan, feasible pair, equal values and tight support.
    message : str
        What the simplex reported, or which check failed.
    """

    plan: np.ndarray
    f: np.ndarray
    g: np.ndarray
    primal: float
    dual: float
    min_slack: float
    support_slack: float
    marginal_error: float
    converged: bool
    message: str

    @property
    def gap(self) -> float:
        """``primal - dual`` (0 up to round-off: strong duality)."""
        return self.primal - self.dual


def kantorovich_potentials(a, b, C) -> KantorovichDuals:
    r"""Exact optimal transport with one canonical optimal pair of dual potentials.

    Solves the linear program with :func:`ot_engine.exact` (POT's network simplex), then
    makes its duals canonical: ``f <- g^c``, ``g <- f^c`` over every row and column (each
    step keeps the pair feasible and can only raise the dual value, so the pair stays
    optimal), then shifts ``(f + t, g - t)`` so that ``max f + min f = 0``.

    .. math::

        \min_{P \in \Pi(a,b)} \langle C, P\rangle
        = \langle f, a\rangle + \langle g, b\rangle, \qquad
        C_{ij} - f_i - g_j \ge 0, \quad = 0 \text{ where } \pi_{ij} > 0 .

    Parameters
    ----------
    a : array_like, shape (n,)
        Source histogram (zero bars allowed; rescaled to unit mass).
    b : array_like, shape (m,)
        Target histogram.
    C : array_like, shape (n, m)
        Finite ground cost.

    Returns
    -------
    KantorovichDuals

    Raises
    ------
    InvalidInput
        Bad histograms or cost matrix (as :func:`ot_engine.exact`).

    Examples
    --------
    >>> from ot_engine import cost_matrix, uniform_grid
    >>> x = uniform_grid(4)
    >>> d = kantorovich_potentials([1, 1, 0, 0], [0, 0, 1, 1], cost_matrix(x, x, power=1))
    >>> d.primal, round(d.dual, 12), d.converged
    (0.5, 0.5, True)
    >>> d.f  # the 1-Lipschitz critic of W1, centred
    array([ 0.375,  0.125, -0.125, -0.375])
    >>> bool(np.allclose(d.g, -d.f))  # for |x - y|: g = f^c = -f
    True
    """
    res = exact(a, b, C)
    a_n, b_n, _, _, _ = check_histogram_pair(a, b)
    C = check_cost(C, a_n.size, b_n.size)
    f = (C - res.g[None, :]).min(axis=1)  # g^c over every column
    g = (C - f[:, None]).min(axis=0)  # f^c over every row
    t = -0.5 * (f.max() + f.min())
    f, g = f + t, g - t
    s = C - f[:, None] - g[None, :]
    plan = np.asarray(res.plan)
    on_support = plan > 0
    min_slack = float(s.min())
    support_slack = float(np.abs(s[on_support]).max()) if on_support.any() else 0.0
    primal = float(res.cost)
    dual = float(f @ a_n + g @ b_n)
    scale = max(1.0, float(np.abs(C).max()))
    checks = [
        (res.converged, res.message),
        (min_slack >= -SLACK_TOL * scale, f"infeasible potentials (min slack {min_slack:.2e})"),
        (abs(primal - dual) <= SLACK_TOL * scale, f"duality gap {primal - dual:.2e}"),
        (support_slack <= SLACK_TOL * scale, f"support slack {support_slack:.2e}"),
    ]
    failed = [msg for ok, msg in checks if not ok]
    return KantorovichDuals(
        plan=frozen_array(plan),
        f=frozen_array(f),
        g=frozen_array(g),
        primal=primal,
        dual=dual,
        min_slack=min_slack,
        support_slack=support_slack,
        marginal_error=float(res.marginal_error),
        converged=not failed,
        message="optimal" if not failed else "; ".join(failed),
    )
