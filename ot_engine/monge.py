"""Monge's problem between a few atoms: does a map exist, and which one is best?

A Monge map sends every source atom *whole* to one target atom. Between discrete measures
this is an exact partition problem (which sources fill which target), so a map may not exist
at all: one atom of mass 1 can never be split into two halves. For at most
:data:`MAX_ATOMS` atoms per side the search here is exact: a dynamic program over the subsets
of source atoms (``m * 3^n`` steps at most, 52 488 for 8 x 8), never a heuristic.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .results import frozen_array
from .validation import InvalidInput, check_cost, check_histogram_pair

__all__ = ["MAX_ATOMS", "MONGE_ATOL", "MongeResult", "monge_map"]

#: Most atoms per side: the search keeps a table over the 2^n subsets of source atoms.
MAX_ATOMS = 12
#: Default tolerance (on unit-mass masses) for "these source atoms fill this target exactly".
MONGE_ATOL = 1e-9


@dataclass(frozen=True, eq=False)
class MongeResult:
    """Outcome of :func:`monge_map`.

    Attributes
    ----------
    exists : bool
        Whether any Monge map exists (an assignment of each source atom to one target atom
        whose masses fill every target exactly, within ``atol``).
    assignment : ndarray of int, shape (n,)
        ``T(i)``: the target index of source atom ``i`` in the best map; all ``-1`` when no
        map exists.
    plan : ndarray, shape (n, m)
        The best map as a plan (``plan[i, T(i)] = a_i``); zeros when no map exists.
    cost : float
        ``sum_i a_i C[i, T(i)]`` of the best map, ``inf`` when none exists (the minimum over
        an empty set), never NaN.
    n_maps : int
        How many Monge maps exist (assignments that fill every target exactly).
    marginal_error : float
        ``|plan 1 - a|_1 + |plan^T 1 - b|_1`` of the best map (``inf`` when none exists).
    atol : float
        The mass tolerance used.
    solve_time : float
        Wall-clock seconds.
    renormalized : bool
        True when the inputs did not sum to 1 and were rescaled.
    mass_a, mass_b : float
        Total masses as given.
    message : str
        A short human-readable status.
    """

    exists: bool
    assignment: np.ndarray
    plan: np.ndarray
    cost: float
    n_maps: int
    marginal_error: float
    atol: float
    solve_time: float
    renormalized: bool
    mass_a: float
    mass_b: float
    message: str


def _subset_sums(values: np.ndarray) -> np.ndarray:
    """``out[mask] = sum(values[i] for i in mask)`` for every bit mask of ``len(values)``."""
    out = np.zeros(1 << values.size)
    for i, v in enumerate(values):
        out[1 << i : 1 << (i + 1)] = out[: 1 << i] + v
    return out


def monge_map(a, b, C, *, atol=MONGE_ATOL, normalize=True) -> MongeResult:
    r"""The best Monge map between two discrete measures, or the proof that none exists.

    Among maps :math:`T : \{1..n\} \to \{1..m\}` that push :math:`a` forward to :math:`b`,

    .. math::

        \sum_{i : T(i) = j} a_i = b_j \quad (j = 1..m),

    find one minimizing :math:`\sum_i a_i\, C_{i T(i)}`. A dynamic program over subsets of
    source atoms fills the targets one after another: ``best[j][S]`` is the cheapest way to
    fill targets ``0..j-1`` exactly with the atoms in ``S``. Its cost is at least the
    Kantorovich cost (:func:`ot_engine.exact`): a map is a plan.

    Parameters
    ----------
    a : array_like, shape (n,)
        Source masses, all positive, ``n <= 12``.
    b : array_like, shape (m,)
        Target masses, all positive, ``m <= 12``.
    C : array_like, shape (n, m)
        Finite ground cost.
    atol : float, default 1e-9
        Two masses (after normalization to unit totals) count as equal within ``atol``.
    normalize : bool, default True
        Rescale ``a`` and ``b`` to unit mass; with ``False`` a total other than 1 raises.

    Returns
    -------
    MongeResult
        Frozen record: ``exists``, ``assignment``, ``plan``, ``cost`` (``inf`` if no map),
        ``n_maps``, ``marginal_error``.

    Raises
    ------
    InvalidInput
        Empty, negative, zero or non-finite masses, more than 12 atoms a side, a cost matrix of
        the wrong shape, a tolerance that is not in ``[0, 0.01]``.

    Notes
    -----
    With ``n = m`` and equal masses every Monge map is a permutation, and by Birkhoff's
    theorem (the extreme points of the doubly stochastic matrices are the permutation
    matrices) the best one is also an optimal plan: ``cost`` then equals the Kantorovich
    cost.

    References
    ----------
    G. Monge, *Mémoire sur la théorie des déblais et des remblais*, 1781.
    F. Santambrogio, *Optimal Transport for Applied Mathematicians*, Birkhäuser 2015, §1.1-1.4.

    Examples
    --------
    One atom cannot be split into two halves:

    >>> import numpy as np
    >>> monge_map([1.0], [0.5, 0.5], [[0.0, 1.0]]).exists
    False
    >>> monge_map([1.0], [0.5, 0.5], [[0.0, 1.0]]).cost
    inf

    Two equal atoms onto two: a permutation, as cheap as the best plan.

    >>> x, y = np.array([0.0, 1.0]), np.array([0.5, 2.0])
    >>> res = monge_map([0.5, 0.5], [0.5, 0.5], (x[:, None] - y[None, :]) ** 2)
    >>> res.assignment.tolist(), round(res.cost, 12), res.n_maps
    ([0, 1], 0.625, 2)
    """
    t0 = time.perf_counter()
    if isinstance(atol, bool) or not isinstance(atol, int | float) or not 0 <= atol <= 0.01:
        raise InvalidInput(f"atol must be a number in [0, 0.01], got {atol!r}")
    a, b, mass_a, mass_b, renormalized = check_histogram_pair(a, b, normalize=normalize)
    n, m = a.size, b.size
    if n > MAX_ATOMS or m > MAX_ATOMS:
        raise InvalidInput(f"at most {MAX_ATOMS} atoms a side, got {n} and {m}")
    if (a <= 0).any() or (b <= 0).any():
        raise InvalidInput("every atom needs a positive mass: remove the atoms of mass 0")
    C = check_cost(C, n, m)
    full = (1 << n) - 1
    sums = _subset_sums(a)
    # best[S]: cheapest exact filling of the targets so far with the atoms in S (inf: none);
    # count[S]: how many fillings; choice[j][S]: the subset given to target j on the best one.
    best = np.full(full + 1, np.inf)
    best[0] = 0.0
    count = np.zeros(full + 1, dtype=np.int64)
    count[0] = 1
    choices = []
    for j in range(m):
        fits = np.flatnonzero(np.abs(sums - b[j]) <= atol)
        fits = fits[fits > 0]
        costs = _subset_sums(a * C[:, j])
        new_best = np.full(full + 1, np.inf)
        new_count = np.zeros(full + 1, dtype=np.int64)
        choice = np.zeros(full + 1, dtype=np.int64)
        reached = np.flatnonzero(count > 0)
        for s in fits:
            src = reached[(reached & s) == 0]
            if src.size == 0:
                continue
            dst = src | s
            cand = best[src] + costs[s]
            np.add.at(new_count, dst, count[src])
            better = cand < new_best[dst]
            new_best[dst[better]] = cand[better]
            choice[dst[better]] = s
        best, count = new_best, new_count
        choices.append(choice)
    n_maps = int(count[full])
    assignment = np.full(n, -1, dtype=np.int64)
    plan = np.zeros((n, m))
    if n_maps > 0:
        mask = full
        for j in range(m - 1, -1, -1):
            s = int(choices[j][mask])
            for i in range(n):
                if s >> i & 1:
                    assignment[i] = j
            mask ^= s
        plan[np.arange(n), assignment] = a
        cost = float(np.sum(a * C[np.arange(n), assignment]))
        err = float(np.abs(plan.sum(1) - a).sum() + np.abs(plan.sum(0) - b).sum())
        message = f"{n_maps} Monge map{'s' if n_maps > 1 else ''} exist; the best is returned"
    else:
        cost, err = math.inf, math.inf
        message = "no Monge map exists: no way to send each atom whole fills every target"
    assignment.setflags(write=False)
    return MongeResult(
        exists=n_maps > 0,
        assignment=assignment,
        plan=frozen_array(plan),
        cost=cost,
        n_maps=n_maps,
        marginal_error=err,
        atol=float(atol),
        solve_time=time.perf_counter() - t0,
        renormalized=renormalized,
        mass_a=mass_a,
        mass_b=mass_b,
        message=message,
    )
