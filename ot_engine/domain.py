r"""Domain adaptation by transport: move labelled source samples onto an unlabelled target.

A classifier trained on source samples ``Xs`` (labels ``ys``) often fails on target samples
``Xt`` drawn from a moved, turned or stretched distribution. Courty et al. [1]_ transport
the source onto the target first: an optimal plan ``P`` between the two uniform clouds
(squared Euclidean cost), then each source sample goes to the barycentre of where its mass
went,

.. math::

    \hat x_i = \frac{1}{a_i} \sum_j P_{ij}\, y_j = \frac{(P Y)_i}{(P \mathbf 1)_i},

and the classifier is trained on the moved samples ``\hat x_i`` with the source labels.

Three plans are offered (:func:`map_to_target`): the exact one, the entropic one, and the
entropic one with a class-based group penalty (POT's ``SinkhornLpl1Transport``), which
discourages a target sample from receiving mass from source samples of both classes.

The results agree with POT's ``ot.da.EMDTransport``, ``SinkhornTransport`` and
``SinkhornLpl1Transport`` (``transform`` of the training samples); the tests check it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .exact import exact
from .geometry import cost_matrix
from .results import frozen_array
from .sinkhorn import sinkhorn
from .validation import InvalidInput, check_eps, check_points, check_positive

__all__ = [
    "METHODS",
    "DomainMapping",
    "barycentric_map",
    "class_group_weights",
    "map_all",
    "map_to_target",
]

#: The plans :func:`map_to_target` computes.
METHODS = ("exact", "entropic", "class")
#: The group penalty's exponent and floor, as in POT's ``sinkhorn_lpl1_mm``: the penalty is
#: ``sum_{j, c} (sum_{i in class c} P_ij)^(1/2)``, linearized at ``P + floor``.
GROUP_POWER = 0.5
GROUP_FLOOR = 1e-3


@dataclass(frozen=True, eq=False)
class DomainMapping:
    """Outcome of :func:`map_to_target`.

    Attributes
    ----------
    method : str
        ``"exact"``, ``"entropic"`` or ``"class"`` (entropic with the class group penalty).
    plan : ndarray, shape (n, m)
        The coupling of the uniform source and target clouds.
    mapped : ndarray, shape (n, d)
        Each source sample moved to the barycentre of its mass's destinations.
    cost : float
        ``<C, plan>`` with the squared Euclidean cost (no regularization terms).
    marginal_error : float
        ``|plan 1 - a|_1 + |plan^T 1 - b|_1``.
    converged : bool
        The solver met its target (every inner solve, for ``"class"``).
    iterations : int
        Majorization steps taken (``"class"``), Sinkhorn iterations (``"entropic"``), 0
        for ``"exact"``.
    eps, eta : float
        Entropic and group strengths used (0 where not used).
    solve_time : float
        Wall-clock seconds.
    message : str
        A short status.
    warm : SinkhornResult or None
        The entropic solve a later :func:`map_all` may start from (``previous=``): the plain
        entropic solve, or the class-regularized one's first penalized step. Not part of the
        answer: a start, never a result.
    """

    method: str
    plan: np.ndarray
    mapped: np.ndarray
    cost: float
    marginal_error: float
    converged: bool
    iterations: int
    eps: float
    eta: float
    solve_time: float
    message: str
    warm: object = None


def barycentric_map(plan, Y) -> np.ndarray:
    r"""Move each source sample to the barycentre of the target samples its mass goes to.

    .. math:: \hat x_i = \sum_j \frac{P_{ij}}{\sum_k P_{ik}}\, y_j

    Parameters
    ----------
    plan : array_like, shape (n, m)
        A non-negative coupling; every row needs positive mass.
    Y : array_like, shape (m, d)
        Target samples.

    Returns
    -------
    ndarray, shape (n, d)

    Raises
    ------
    InvalidInput
        Shapes that do not fit, negative or non-finite entries, a row without mass.

    Examples
    --------
    >>> P = np.array([[0.25, 0.25], [0.0, 0.5]])
    >>> barycentric_map(P, [[0.0, 0.0], [2.0, 4.0]]).tolist()
    [[1.0, 2.0], [2.0, 4.0]]
    """
    P = np.asarray(plan, dtype=np.float64)
    Y = check_points("Y", Y)
    if P.ndim != 2 or P.shape[1] != Y.shape[0]:
        raise InvalidInput(f"plan of shape {P.shape} does not fit {Y.shape[0]} target samples")
    if not np.isfinite(P).all() or (P < 0).any():
        raise InvalidInput("plan must be finite and non-negative")
    rows = P.sum(axis=1)
    if (rows <= 0).any():
        raise InvalidInput("a source sample sends no mass: its barycentre is undefined")
    return (P @ Y) / rows[:, None]


def class_group_weights(plan, labels, *, power=GROUP_POWER, floor=GROUP_FLOOR) -> np.ndarray:
    r"""Linearization of the class group penalty at ``plan`` (one majorization step).

    The penalty :math:`\Omega(P) = \sum_j \sum_c (\sum_{i \in I_c} P_{ij} + \delta)^{p}`
    with ``p = 1/2`` is concave in ``P``, so it lies below its tangent: the next plan solves
    an entropic problem with cost ``C + eta W`` where
    ``W_ij = p (sum_{i' in class(i)} P_{i'j} + delta)^(p - 1)``.

    Parameters
    ----------
    plan : ndarray, shape (n, m)
    labels : array_like of int, shape (n,)
        The class of each source sample.

    Returns
    -------
    ndarray, shape (n, m)

    Examples
    --------
    >>> W = class_group_weights(np.array([[0.5, 0.0], [0.0, 0.5]]), [0, 1], floor=0.0)
    >>> bool(np.isinf(W[0, 1])), float(W[0, 0])
    (True, 0.7071067811865476)
    """
    P = np.asarray(plan, dtype=np.float64)
    _, k = np.unique(np.asarray(labels), return_inverse=True)
    onehot = np.eye(k.max() + 1)[k]  # (n, classes)
    per_class = onehot.T @ P  # (classes, m): mass each class sends to each target sample
    with np.errstate(divide="ignore"):
        return power * (per_class[k] + floor) ** (power - 1)


def _check_labels(labels, n: int) -> np.ndarray:
    arr = np.asarray(labels)
    if arr.shape != (n,):
        raise InvalidInput(f"labels must give one class per source sample ({n}), got {arr.shape}")
    if arr.dtype.kind not in "iub":
        raise InvalidInput("labels must be whole numbers (class indices)")
    return arr.astype(np.int64)


def map_to_target(
    Xs,
    Xt,
    *,
    method: str = "exact",
    labels=None,
    eps: float = 1.0,
    eta: float = 0.1,
    outer: int = 10,
    tol: float = 1e-9,
    max_time: float = 0.5,
) -> DomainMapping:
    r"""Couple the uniform clouds ``Xs`` and ``Xt`` and move the source onto the target.

    The cost is ``C_ij = |x_i - y_j|^2``; the weights are uniform. By ``method``:

    - ``"exact"``: the optimal plan of the linear program (network simplex);
    - ``"entropic"``: :math:`\min_P \langle C, P\rangle + \varepsilon \sum P \log P` over
      couplings, solved by :func:`ot_engine.sinkhorn` (POT's ``reg_e`` is ``eps``);
    - ``"class"``: the same plus :math:`\eta \sum_j \sum_c (\sum_{i \in I_c} P_{ij})^{1/2}`,
      a group penalty over the source classes ``I_c`` ([1]_, section 4), minimized as POT's
      ``sinkhorn_lpl1_mm`` does: ``outer`` majorization steps (the first from the plain
      entropic problem), each an entropic solve with cost ``C + eta W``
      (:func:`class_group_weights`), fewer once a step moves the plan by at most ``tol``.
      The penalty is not convex: the steps reach a stationary plan, not a certified minimum.

    Parameters
    ----------
    Xs : array_like, shape (n, d)
        Source samples.
    Xt : array_like, shape (m, d)
        Target samples.
    method : {"exact", "entropic", "class"}
    labels : array_like of int, shape (n,), optional
        Source classes; required for ``"class"``.
    eps : float, default 1.0
        Entropic strength, in the units of ``C`` (squared distances).
    eta : float, default 0.1
        Group strength (``"class"`` only), in the units of ``C``.
    outer : int, default 10
        Majorization steps (``"class"``), at most: they stop once one moves the plan by at
        most ``tol`` (L1), a fixed point to the solves' accuracy.
    tol : float, default 1e-9
        Marginal error each entropic solve aims for.
    max_time : float, default 0.5
        Wall-clock budget of each entropic solve, seconds.

    Returns
    -------
    DomainMapping

    Raises
    ------
    InvalidInput
        Empty, non-finite or mismatched clouds; an unknown method; ``eps``/``eta`` not
        positive; ``"class"`` without one label per source sample.

    References
    ----------
    .. [1] N. Courty, R. Flamary, D. Tuia, A. Rakotomamonjy, "Optimal transport for domain
       adaptation", IEEE Trans. Pattern Anal. Mach. Intell. 39(9), 1853-1865, 2017.
    .. [2] R. Flamary, N. Courty et al., "POT: Python Optimal Transport", JMLR 22(78), 2021.

    Examples
    --------
    >>> Xs = np.array([[0.0, 0.0], [1.0, 0.0]])
    >>> Xt = Xs + [0.0, 3.0]
    >>> res = map_to_target(Xs, Xt)
    >>> res.mapped.tolist(), res.cost, bool(res.converged)
    ([[0.0, 3.0], [1.0, 3.0]], 9.0, True)
    >>> import ot
    >>> da = ot.da.SinkhornLpl1Transport(reg_e=1.0, reg_cl=0.1, max_inner_iter=5000, tol=1e-12)
    >>> ys = np.array([0, 1])
    >>> ours = map_to_target(Xs, Xt, method="class", labels=ys, eps=1.0, eta=0.1)
    >>> bool(np.allclose(ours.mapped, da.fit(Xs, ys, Xt).transform(Xs), atol=1e-7))
    True
    """
    t0 = time.perf_counter()
    Xs = check_points("Xs", Xs)
    Xt = check_points("Xt", Xt, dim=Xs.shape[1])
    if method not in METHODS:
        raise InvalidInput(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    n, m = Xs.shape[0], Xt.shape[0]
    a, b = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
    C = cost_matrix(Xs, Xt, power=2)
    if method == "exact":
        res = exact(a, b, C)
        plan, err, ok, its, msg = res.plan, res.marginal_error, res.converged, 0, res.message
        eps = eta = 0.0
    elif method == "entropic":
        eps = check_eps(eps)
        res = sinkhorn(a, b, C, eps, tol=tol, max_time=max_time)
        plan, err, ok, its = res.plan, res.marginal_error, res.converged, res.iterations
        msg = res.message
        eta = 0.0
    else:
        eps = check_eps(eps)
        eta = check_positive("eta", eta, meaning="the class penalty's strength")
        if labels is None:
            raise InvalidInput("the class-regularized plan needs the source labels")
        ys = _check_labels(labels, n)
        if isinstance(outer, bool) or not isinstance(outer, int) or outer < 1:
            raise InvalidInput(f"outer must be a positive whole number, got {outer!r}")
        plan, err, ok, msg, _, its = _class_regularized(a, b, C, ys, eps, eta, outer, tol, max_time)
    return _record(method, plan, Xt, C, err, ok, its, eps, eta, t0, msg)


def _class_regularized(a, b, C, ys, eps, eta, outer, tol, max_time, first=None, warm=None):
    """Majorization-minimization of the group penalty (POT's ``sinkhorn_lpl1_mm``); its
    first step (``W = 0``) is the plain entropic problem, whose result ``first`` may be.

    Returns ``(plan, error, converged, message, penalized, steps)``, ``penalized`` the first
    penalized step's solve. That step moves the plan furthest (the penalty appears), so the
    entropic plan is a poor start for it; ``warm``, the same step of nearby samples (the
    last answer during a drag), is a good one. The later steps start from the step before.

    The steps stop before ``outer`` once one moves the plan by at most ``tol`` (L1): the
    iteration has reached its fixed point to the solves' accuracy, and each step left would
    move the plan less again (measured on the page's toys: 1e-10 to 1e-12 per step, one
    Sinkhorn iteration each, about a third of the page's answer).
    """
    res = first
    penalized = None
    all_ok = True
    steps = outer
    for step in range(outer):
        if step > 0 or res is None:
            W = class_group_weights(res.plan, ys) if step > 0 else np.zeros_like(C)
            start = warm if step == 1 and warm is not None else res
            before = res
            res = sinkhorn(a, b, C + eta * W, eps, warm_start=start, tol=tol, max_time=max_time)
            if step == 1:
                penalized = res
        all_ok = all_ok and res.converged
        if step >= 2 and all_ok and np.abs(res.plan - before.plan).sum() <= tol:
            steps = step + 1
            break
    if not all_ok:
        message = f"an inner entropic solve did not converge: {res.message}"
    elif steps < outer:
        message = (
            f"{steps} majorization steps (the last moved the plan by at most {tol:.0e}: "
            f"a fixed point), last marginal error {res.marginal_error:.1e}"
        )
    else:
        message = f"{outer} majorization steps, last marginal error {res.marginal_error:.1e}"
    return res.plan, res.marginal_error, all_ok, message, penalized, steps


def map_all(
    Xs,
    Xt,
    labels,
    *,
    eps: float = 1.0,
    eta: float = 0.1,
    outer: int = 10,
    tol=1e-9,
    max_time: float = 0.5,
    previous: dict[str, DomainMapping] | None = None,
) -> dict[str, DomainMapping]:
    """:func:`map_to_target` for every method at once, sharing the cost matrix and the
    entropic solve (the first step of the class-regularized one).

    Returns ``{"exact": ..., "entropic": ..., "class": ...}``, each the same as
    ``map_to_target(Xs, Xt, method=key, labels=labels, eps=eps, eta=eta, ...)`` would give
    (to the solves' tolerance ``tol``).

    ``previous``: an earlier result of this function, for samples near these (a drag, a
    small move of the target). Its entropic solves are the starts of these ones (a cold
    start where the sizes differ), which changes the work, not the answer.

    Examples
    --------
    >>> Xs = np.array([[0.0, 0.0], [1.0, 0.0]])
    >>> res = map_all(Xs, Xs + [0.0, 3.0], [0, 1], eps=1.0, eta=0.1)
    >>> ref = map_to_target(Xs, Xs + [0.0, 3.0], method="class", labels=[0, 1], eps=1.0)
    >>> sorted(res), bool(np.allclose(res["class"].plan, ref.plan, atol=1e-12))
    (['class', 'entropic', 'exact'], True)
    """
    Xs = check_points("Xs", Xs)
    Xt = check_points("Xt", Xt, dim=Xs.shape[1])
    eps = check_eps(eps)
    eta = check_positive("eta", eta, meaning="the class penalty's strength")
    n, m = Xs.shape[0], Xt.shape[0]
    ys = _check_labels(labels, n)
    if isinstance(outer, bool) or not isinstance(outer, int) or outer < 1:
        raise InvalidInput(f"outer must be a positive whole number, got {outer!r}")
    a, b = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
    C = cost_matrix(Xs, Xt, power=2)
    out = {}
    t = time.perf_counter()
    ex = exact(a, b, C)
    out["exact"] = _record(
        "exact", ex.plan, Xt, C, ex.marginal_error, ex.converged, 0, 0.0, 0.0, t, ex.message
    )
    t = time.perf_counter()
    warm = previous if isinstance(previous, dict) else {}
    start = getattr(warm.get("entropic"), "warm", None)
    en = sinkhorn(a, b, C, eps, warm_start=start, tol=tol, max_time=max_time)
    out["entropic"] = _record(
        "entropic",
        en.plan,
        Xt,
        C,
        en.marginal_error,
        en.converged,
        en.iterations,
        eps,
        0.0,
        t,
        en.message,
        warm=en,
    )
    t = time.perf_counter()
    start = getattr(warm.get("class"), "warm", None)
    plan, err, ok, msg, penalized, steps = _class_regularized(
        a, b, C, ys, eps, eta, outer, tol, max_time, en, warm=start
    )
    out["class"] = _record(
        "class", plan, Xt, C, err, ok, steps, eps, eta, t - en.solve_time, msg, warm=penalized
    )
    return out


def _record(
    method, plan, Xt, C, err, ok, its, eps, eta, started, message, warm=None
) -> DomainMapping:
    return DomainMapping(
        method=method,
        plan=frozen_array(plan),
        mapped=frozen_array(barycentric_map(plan, Xt)),
        cost=float(np.sum(plan * C)),
        marginal_error=float(err),
        converged=bool(ok),
        iterations=int(its),
        eps=float(eps),
        eta=float(eta),
        solve_time=time.perf_counter() - started,
        message=message,
        warm=warm,
    )
