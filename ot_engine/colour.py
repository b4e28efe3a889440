r"""Colour transfer: transport between two colour palettes, extended to every pixel.

An image is a cloud of colours in the RGB cube ``[0, 1]^3``. Transfer samples a palette of
``n`` colours from each image (uniform weights), transports one palette onto the other with
the squared Euclidean cost, and sends every pixel of the source image where its palette is
sent. Four ways to pair the palettes, from the most to the least faithful to the joint
distribution:

* ``"exact"``: the optimal plan :math:`P` of the linear program (:func:`ot_engine.exact`);
* ``"entropic"``: the entropic plan at strength ``eps`` (:func:`ot_engine.sinkhorn`);
* ``"linear"``: the optimal map between the two Gaussians with the palettes' means and
  covariances, :math:`T(x) = m_t + A (x - m_s)` (:func:`ot_engine.gaussian_map_matrix`);
* ``"histogram"``: each channel alone, matched by its 1D quantiles; it ignores how the
  channels vary together, which is what the joint transports add.

A plan becomes a map by its barycentric projection :math:`T(x_i) = \sum_j P_{ij} y_j / a_i`
(:func:`~ot_engine.domain.barycentric_map`), and a palette map reaches every pixel by moving
each pixel as its nearest palette colours move (:func:`extend_displacement`); the affine and
per-channel maps apply to any colour directly. :func:`map_colours` does this for a
:class:`PaletteMap`, chunk by chunk, with a progress hook.

References
----------
.. [1] J. Rabin, G. Peyré, J. Delon, M. Bernot, "Wasserstein barycenter and its application
   to texture mixing", SSVM 2011.
.. [2] S. Ferradans, N. Papadakis, G. Peyré, J.-F. Aujol, "Regularized discrete optimal
   transport", SIAM J. Imaging Sciences 7(3), 2014.
.. [3] F. Pitié, A. Kokaram, R. Dahyot, "N-dimensional probability density function transfer
   and its application to colour transfer", ICCV 2005.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .domain import barycentric_map
from .exact import exact
from .gaussian import gaussian_map_matrix
from .results import frozen_array
from .sinkhorn import sinkhorn
from .validation import InvalidInput

METHODS = ("exact", "entropic", "linear", "histogram")
#: Largest palette (the plan is n x n float64: 2000 colours hold 32 MB while solving).
MAX_PALETTE = 2000
MIN_PALETTE = 8
#: Covariance ridge of the Gaussian fit: an image whose colours lie on a plane (a grey
#: ramp, two colours) still gets an invertible covariance (POT's LinearTransport uses 1e-8).
COV_RIDGE = 1e-8
#: Pixels mapped per chunk (progress is reported between chunks).
CHUNK = 65536


@dataclass(frozen=True, eq=False)
class PaletteMap:
    """Where each colour of a source palette goes, and how that was computed.

    Attributes
    ----------
    method : str
        One of ``METHODS``.
    source : ndarray, shape (n, 3)
        The source palette ``x_i``.
    mapped : ndarray, shape (n, 3)
        Its image ``T(x_i)`` (barycentric projection for a plan).
    cost : float
        Mean squared displacement ``sum_i a_i |T(x_i) - x_i|^2`` for a map; for a plan, its
        transport cost ``<C, P>`` (the displacement of the projection is at most that).
    marginal_error : float
        ``|P 1 - a|_1 + |P^T 1 - b|_1`` of the plan (0 for the linear and per-channel maps,
        which are maps, not plans).
    converged : bool
        Whether the solver reached its tolerance (always True for the closed forms).
    solve_time : float
        Wall-clock seconds.
    eps : float or None
        The entropic strength (``"entropic"`` only).
    A, mean_s, mean_t : ndarray or None
        The affine map (``"linear"`` only): ``T(x) = mean_t + (x - mean_s) @ A``.
    sorted_s, sorted_t : ndarray or None, shape (n, 3) and (m, 3)
        Each channel of each palette sorted (``"histogram"`` only).
    plan_result : object
        The solver's record (``ExactResult`` or ``SinkhornResult``) on the distinct colours
        (copies merged, with their total mass), or None.
    distinct : tuple of int or None
        Distinct colours in the source and target palettes (plans only).
    """

    method: str
    source: np.ndarray
    mapped: np.ndarray
    cost: float
    marginal_error: float
    converged: bool
    solve_time: float
    eps: float | None = None
    A: np.ndarray | None = None
    mean_s: np.ndarray | None = None
    mean_t: np.ndarray | None = None
    sorted_s: np.ndarray | None = None
    sorted_t: np.ndarray | None = None
    plan_result: object = None
    distinct: tuple[int, int] | None = None


def check_colours(name: str, value, *, max_rows: int | None = None) -> np.ndarray:
    """``value`` as a float array of shape (n, 3) with finite entries, n >= 1.

    >>> check_colours("X", [[0, 0.5, 1]]).shape
    (1, 3)
    >>> check_colours("X", [[0, 1]])
    Traceback (most recent call last):
    ...
    ot_engine.validation.InvalidInput: X must have shape (n, 3) (RGB colours), got (1, 2)
    """
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as err:
        raise InvalidInput(f"{name} must be an array of RGB colours") from err
    if arr.ndim != 2 or arr.shape[1] != 3 or arr.shape[0] < 1:
        raise InvalidInput(f"{name} must have shape (n, 3) (RGB colours), got {arr.shape}")
    if max_rows is not None and arr.shape[0] > max_rows:
        raise InvalidInput(f"{name} has {arr.shape[0]} colours, at most {max_rows} allowed")
    if not np.isfinite(arr).all():
        raise InvalidInput(f"{name} contains NaN or infinite values")
    return arr


def sample_palette(pixels, n: int, seed: int) -> np.ndarray:
    """``n`` colours drawn at random from ``pixels`` (without replacement when there are
    enough, so a palette is a faithful sample of the image's colour distribution).

    Parameters
    ----------
    pixels : array_like, shape (N, 3)
        The image's colours (any real range; pages use [0, 1]).
    n : int
        Palette size, ``MIN_PALETTE <= n <= MAX_PALETTE``.
    seed : int
        Seed of the draw.

    Returns
    -------
    ndarray, shape (n, 3)

    Raises
    ------
    InvalidInput
        Bad shape, NaN, or ``n`` out of range.

    Examples
    --------
    >>> px = np.array([[0, 0, 0], [1, 1, 1]] * 8, dtype=float)
    >>> sample_palette(px, 8, seed=0).shape
    (8, 3)
    """
    X = check_colours("pixels", pixels)
    if not MIN_PALETTE <= int(n) <= MAX_PALETTE:
        raise InvalidInput(f"palette size must be {MIN_PALETTE} to {MAX_PALETTE}, got {n}")
    rng = np.random.default_rng(int(seed))
    idx = rng.choice(X.shape[0], size=int(n), replace=X.shape[0] < int(n))
    return X[idx]


def extend_displacement(X, TX, Z, *, k: int = 4, tree: cKDTree | None = None) -> np.ndarray:
    r"""Extend a map known on points ``X`` to new points ``Z`` by moving each like its
    nearest known points: :math:`T(z) = z + \sum_l w_l (T(x_l) - x_l)` over its ``k``
    nearest ``x_l``, with weights :math:`w_l \propto 1 / |z - x_l|` (a point on some
    ``x_l`` moves exactly as it does).

    Copies of one colour in ``X`` are merged first, with the mean of their displacements (a
    plan may send the copies apart; the map at that colour is their average), so the result
    does not depend on which copy a tie picks. Without copies and with ``k = 1`` this is the
    out-of-sample rule of POT's ``ot.da`` transports (move as the nearest source sample does
    [2]_).

    Parameters
    ----------
    X, TX : array_like, shape (n, d)
        Known points and their images.
    Z : array_like, shape (N, d)
        Points to map.
    k : int, default 4
        Neighbours averaged (clipped to ``n``).
    tree : scipy.spatial.cKDTree, optional
        A tree over ``merge_duplicates(X, ...)[0]`` (reuse it across chunks).

    Returns
    -------
    ndarray, shape (N, d)

    Examples
    --------
    >>> X = np.array([[0.0], [1.0]]); TX = X + [[0.5], [0.1]]
    >>> extend_displacement(X, TX, [[0.0], [0.5]], k=2).round(3).tolist()
    [[0.5], [0.8]]
    """
    X, D = merge_duplicates(X, np.asarray(TX, dtype=float) - np.asarray(X, dtype=float))
    Z = np.asarray(Z, dtype=float)
    k = max(1, min(int(k), X.shape[0]))
    tree = tree if tree is not None else cKDTree(X)
    dist, idx = tree.query(Z, k=k)
    if k == 1:
        return Z + D[idx]
    exact_hit = dist[:, 0] <= 1e-12
    w = 1.0 / np.maximum(dist, 1e-12)
    w /= w.sum(axis=1, keepdims=True)
    out = Z + np.einsum("nk,nkd->nd", w, D[idx])
    out[exact_hit] = Z[exact_hit] + D[idx[exact_hit, 0]]
    return out


def merge_duplicates(X, D) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``X`` and, for each, the mean of the rows of ``D`` at its copies.

    >>> Xu, Du = merge_duplicates([[0.0], [1.0], [0.0]], [[1.0], [5.0], [3.0]])
    >>> Xu.tolist(), Du.tolist()
    ([[0.0], [1.0]], [[2.0], [5.0]])
    """
    X = np.asarray(X, dtype=float)
    D = np.asarray(D, dtype=float)
    Xu, inverse, counts = np.unique(X, axis=0, return_inverse=True, return_counts=True)
    if len(Xu) == len(X):
        return X, D
    Du = np.zeros((len(Xu), D.shape[1]))
    np.add.at(Du, inverse.ravel(), D)
    return Xu, Du / counts[:, None]


def quantile_match(sorted_s: np.ndarray, sorted_t: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The 1D quantile map between two samples, applied to ``z``: the rank of ``z`` among
    the source values (interpolated between them), then the target's value at that rank.

    The k-th smallest of ``n`` values has rank ``(k + 1/2) / n``; copies of one value share
    the mean of their ranks, so equal colours stay equal. Between equal-size samples without
    copies it sends the k-th smallest source value to the k-th smallest target value, the
    optimal 1D map for any convex cost.

    >>> quantile_match(np.array([0.0, 1.0, 2.0]), np.array([10.0, 20.0, 40.0]),
    ...                np.array([0.5, 2.0, 9.0])).tolist()
    [15.0, 40.0, 40.0]
    >>> quantile_match(np.array([0.0, 0.0, 1.0]), np.array([10.0, 20.0, 40.0]),
    ...                np.array([0.0])).tolist()
    [15.0]
    """
    values, counts = np.unique(sorted_s, return_counts=True)
    ranks = (np.cumsum(counts) - counts / 2) / sorted_s.size  # mean rank of each value
    u_t = (np.arange(sorted_t.size) + 0.5) / sorted_t.size
    u = np.interp(z, values, ranks)
    return np.interp(u, u_t, sorted_t)


def palette_transport(X, Y, method: str, *, eps: float | None = None, warm_start=None,
                      max_time: float = 10.0) -> PaletteMap:  # fmt: skip
    r"""Transport the source palette ``X`` onto the target palette ``Y`` (uniform weights,
    cost :math:`|x - y|^2`) by ``method`` and return where each ``x_i`` goes.

    Parameters
    ----------
    X : array_like, shape (n, 3)
    Y : array_like, shape (m, 3)
    method : {"exact", "entropic", "linear", "histogram"}
    eps : float, optional
        Entropic strength (``"entropic"``, required), in the units of the cost.
    warm_start : SinkhornResult, optional
        A previous entropic solve on the same palettes (a changed ``eps`` starts from it).
    max_time : float, default 10
        Entropic solver's budget in seconds (not converged past it, and said so).

    Returns
    -------
    PaletteMap

    Raises
    ------
    InvalidInput
        Bad palettes (shape, NaN, more than ``MAX_PALETTE`` colours), unknown method,
        missing or non-positive ``eps``.

    Examples
    --------
    >>> X = np.array([[0.0, 0, 0], [1, 1, 1]]); Y = np.array([[0.9, 0.9, 0.9], [0.1, 0, 0]])
    >>> palette_transport(X, Y, "exact").mapped.tolist()
    [[0.1, 0.0, 0.0], [0.9, 0.9, 0.9]]
    >>> palette_transport(X, Y, "histogram").mapped.round(12).tolist()
    [[0.1, 0.0, 0.0], [0.9, 0.9, 0.9]]
    """
    X = check_colours("source palette", X, max_rows=MAX_PALETTE)
    Y = check_colours("target palette", Y, max_rows=MAX_PALETTE)
    if method not in METHODS:
        raise InvalidInput(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    started = time.perf_counter()
    if method in ("exact", "entropic"):
        # Copies of one colour are one atom with their total mass: the same optimal cost and
        # (entropic) the same plan, split evenly over the copies, on a much smaller problem
        # (a drawn picture's palette of 1000 holds ~100 distinct colours).
        Xu, inv, count_x = np.unique(X, axis=0, return_inverse=True, return_counts=True)
        Yu, count_y = np.unique(Y, axis=0, return_counts=True)
        a, b = count_x / count_x.sum(), count_y / count_y.sum()
        C = ((Xu[:, None, :] - Yu[None, :, :]) ** 2).sum(axis=2)
        if method == "exact":
            result = exact(a, b, C)
        else:
            if eps is None:
                raise InvalidInput("the entropic method needs eps")
            result = sinkhorn(a, b, C, eps, warm_start=warm_start, max_time=max_time)
        mapped = barycentric_map(result.plan, Yu)[inv.ravel()]
        return PaletteMap(
            method,
            frozen_array(X),
            frozen_array(mapped),
            float(result.cost),
            float(result.marginal_error),
            bool(result.converged),
            time.perf_counter() - started,
            eps=None if method == "exact" else float(result.eps),
            plan_result=result,
            distinct=(len(Xu), len(Yu)),
        )
    if method == "linear":
        ms, mt = X.mean(axis=0), Y.mean(axis=0)
        ridge = COV_RIDGE * np.eye(3)
        Cs = np.cov(X, rowvar=False, bias=True) + ridge
        Ct = np.cov(Y, rowvar=False, bias=True) + ridge
        A = gaussian_map_matrix(Cs, Ct)
        mapped = mt + (X - ms) @ A
        extra = {"A": frozen_array(A), "mean_s": frozen_array(ms), "mean_t": frozen_array(mt)}
    else:
        sorted_s, sorted_t = np.sort(X, axis=0), np.sort(Y, axis=0)
        mapped = np.column_stack(
            [quantile_match(sorted_s[:, c], sorted_t[:, c], X[:, c]) for c in range(3)]
        )
        extra = {"sorted_s": frozen_array(sorted_s), "sorted_t": frozen_array(sorted_t)}
    cost = float(((mapped - X) ** 2).sum(axis=1).mean())
    return PaletteMap(
        method,
        frozen_array(X),
        frozen_array(mapped),
        cost,
        0.0,
        True,
        time.perf_counter() - started,
        **extra,
    )


def map_colours(
    pm: PaletteMap,
    Z,
    *,
    k: int = 4,
    chunk: int = CHUNK,
    progress: Callable[[float, str], None] | None = None,
) -> np.ndarray:
    """Send the colours ``Z`` (e.g. every pixel of the source image) through a palette map,
    clipped to the RGB cube.

    The affine (``"linear"``) and per-channel (``"histogram"``) maps apply to any colour as
    they are; a plan's map is extended from the palette by :func:`extend_displacement`.
    Works in chunks of ``chunk`` colours and calls ``progress(fraction, text)`` after each
    (a page's background job stops early by raising from it).

    Parameters
    ----------
    pm : PaletteMap
    Z : array_like, shape (N, 3)
    k : int, default 4
        Neighbours of the extension (plans only).

    Returns
    -------
    ndarray, shape (N, 3), values in [0, 1]

    Examples
    --------
    >>> X = np.array([[0.0, 0, 0], [1, 1, 1]]); Y = np.array([[0.9, 0.9, 0.9], [0.1, 0, 0]])
    >>> pm = palette_transport(X, Y, "exact")
    >>> map_colours(pm, [[0.0, 0.0, 0.1]], k=1).tolist()
    [[0.1, 0.0, 0.1]]
    """
    Z = check_colours("colours", Z)
    out = np.empty_like(Z)
    tree = None
    if pm.method in ("exact", "entropic"):
        tree = cKDTree(merge_duplicates(pm.source, pm.mapped - pm.source)[0])
    total = Z.shape[0]
    for start in range(0, total, max(1, int(chunk))):
        part = Z[start : start + chunk]
        if pm.method == "linear":
            mapped = pm.mean_t + (part - pm.mean_s) @ pm.A
        elif pm.method == "histogram":
            mapped = np.column_stack(
                [quantile_match(pm.sorted_s[:, c], pm.sorted_t[:, c], part[:, c]) for c in range(3)]
            )
        else:
            mapped = extend_displacement(pm.source, pm.mapped, part, k=k, tree=tree)
        out[start : start + chunk] = np.clip(mapped, 0.0, 1.0)
        if progress is not None:
            done = min(start + chunk, total)
            progress(done / total, f"{done:,} of {total:,} pixels")
    return out
