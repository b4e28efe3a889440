r"""Sliced Wasserstein: many one-dimensional transport problems instead of one in ``d``.

For two measures :math:`\mu, \nu` on :math:`\mathbb{R}^d` and a unit vector :math:`\theta`,
:math:`P_\theta(x) = \langle \theta, x \rangle` projects them onto a line, where optimal
transport is solved by sorting. The page's (and POT's) definition is

.. math::

    SW_2(\mu, \nu)^2 = \mathbb{E}_{\theta \sim \mathcal{U}(S^{d-1})}
    \big[ W_2^2(P_{\theta\#}\mu, P_{\theta\#}\nu) \big],

estimated with ``L`` random directions; the estimate of :math:`SW_2^2` is a mean of ``L``
independent values, so its standard error is their standard deviation over
:math:`\sqrt{L}`. ``ot.sliced_wasserstein_distance`` returns the square root of that mean.

Directions: ``sphere_directions(d, L, seed)`` draws ``RandomState(seed).randn(L, d)`` and
normalizes the rows, so the first ``k`` directions of a longer draw are the draw for ``k``
(a running mean is the estimate for every ``k`` at once). POT's own ``seed=`` draws
``randn(d, L)`` instead (not nested in ``L``); pass our directions as ``projections=theta.T``
to get POT's number for the same directions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import ot

from .results import frozen_array
from .validation import InvalidInput, check_histogram, check_points

__all__ = [
    "MAX_PROJECTIONS",
    "DimensionGap",
    "MaxSlicedResult",
    "SlicedResult",
    "dimension_gap",
    "max_sliced_wasserstein",
    "projected_w2_squared",
    "sliced_wasserstein",
    "sphere_directions",
]

#: Most directions one estimate may draw (the page's curve goes to 1000).
MAX_PROJECTIONS = 10_000
#: Largest dimension accepted for the directions (the page's synthetic clouds go to 100).
MAX_DIM = 1000
#: Angles of the dense scan of max-sliced in 2D, over half a turn (theta and -theta give the
#: same projected distance). The refinement then zooms in around the best angle.
SCAN_ANGLES = 720
#: Zoom levels of the refinement and angles per level: each level spans the previous one's
#: spacing on both sides of its best angle (32x finer each time: 4 levels reach ~4e-9 rad).
ZOOM_LEVELS, ZOOM_ANGLES = 4, 65


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise InvalidInput(f"seed must be a whole number, got {seed!r}")
    if not 0 <= int(seed) < 2**32:
        raise InvalidInput(f"seed must lie in 0 to 2**32 - 1, got {seed}")
    return int(seed)


def _check_count(name: str, value, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidInput(f"{name} must be a whole number, got {value!r}")
    if not 1 <= int(value) <= high:
        raise InvalidInput(f"{name} must lie in 1 to {high}, got {value}")
    return int(value)


def sphere_directions(d: int, n_proj: int, seed: int = 0) -> np.ndarray:
    r"""``n_proj`` directions drawn uniformly on the unit sphere of :math:`\mathbb{R}^d`.

    Normalized standard Gaussian vectors, ``RandomState(seed).randn(n_proj, d)`` row by row:
    the first ``k`` rows of a longer draw equal the draw of ``k`` (nested).

    Parameters
    ----------
    d : int
        Dimension, 1 to 1000.
    n_proj : int
        Number of directions, 1 to 10000.
    seed : int, default 0
        Seed of the generator (0 to 2**32 - 1).

    Returns
    -------
    ndarray, shape (n_proj, d)
        Unit rows.

    Raises
    ------
    InvalidInput
        A dimension, count or seed that is not a whole number in range.

    Examples
    --------
    >>> theta = sphere_directions(2, 5, seed=1)
    >>> theta.shape, bool(np.allclose(np.linalg.norm(theta, axis=1), 1))
    ((5, 2), True)
    >>> bool(np.array_equal(sphere_directions(2, 3, seed=1), theta[:3]))  # nested
    True
    """
    d = _check_count("d", d, MAX_DIM)
    n_proj = _check_count("n_proj", n_proj, MAX_PROJECTIONS)
    g = np.random.RandomState(_check_seed(seed)).randn(n_proj, d)
    norms = np.linalg.norm(g, axis=1, keepdims=True)
    # A zero Gaussian vector has probability 0; guard anyway so no NaN can come out.
    g[norms[:, 0] == 0] = np.eye(1, d)
    return g / np.where(norms == 0, 1.0, norms)


def _check_pair(X, Y, a, b):
    X = check_points("X", X)
    Y = check_points("Y", Y, dim=X.shape[1])
    if a is not None:
        a = check_histogram("a", a)
        if a.size != X.shape[0]:
            raise InvalidInput(f"a has {a.size} weights but X has {X.shape[0]} points")
        a = a / a.sum()
    if b is not None:
        b = check_histogram("b", b)
        if b.size != Y.shape[0]:
            raise InvalidInput(f"b has {b.size} weights but Y has {Y.shape[0]} points")
        b = b / b.sum()
    return X, Y, a, b


def _check_directions(theta, d: int) -> np.ndarray:
    theta = np.asarray(theta, dtype=np.float64)
    if theta.ndim == 1:
        theta = theta[None, :]
    if theta.ndim != 2 or theta.shape[1] != d or not 1 <= theta.shape[0] <= MAX_PROJECTIONS:
        raise InvalidInput(
            f"directions must have shape (L, {d}) with 1 <= L <= {MAX_PROJECTIONS}, "
            f"got {theta.shape}"
        )
    if not np.isfinite(theta).all():
        raise InvalidInput("directions contain a NaN or infinite entry")
    norms = np.linalg.norm(theta, axis=1)
    if not np.allclose(norms, 1.0, rtol=0, atol=1e-9):
        raise InvalidInput("every direction must be a unit vector (norm 1)")
    return theta


def _projected(X, Y, a, b, theta) -> np.ndarray:
    """W2^2 of the projections on each row of ``theta`` (checked inputs)."""
    if a is None and b is None and X.shape[0] == Y.shape[0]:
        # Equal-size uniform clouds: the optimal matching pairs the sorted values. One row per
        # direction, so each sort runs over contiguous memory (a strided sort down the
        # columns was ~10x slower at 300 points).
        diff = np.sort(theta @ X.T, axis=1) - np.sort(theta @ Y.T, axis=1)
        return np.mean(diff * diff, axis=1)
    u, v = X @ theta.T, Y @ theta.T  # (n, L), (m, L): POT's layout
    n, m = X.shape[0], Y.shape[0]
    wa = np.full(n, 1.0 / n) if a is None else a
    wb = np.full(m, 1.0 / m) if b is None else b
    # Weighted quantile functions: POT's vectorized 1D solver (right and fast here).
    return np.maximum(np.asarray(ot.wasserstein_1d(u, v, wa, wb, p=2), dtype=np.float64), 0.0)


def projected_w2_squared(X, Y, theta, a=None, b=None) -> np.ndarray:
    r"""Squared W2 between the projections of two clouds on each direction.

    .. math:: w_\ell = W_2^2(P_{\theta_\ell\#}\hat\mu, P_{\theta_\ell\#}\hat\nu)

    Equal-size uniform clouds are matched by sorting (the ``k``-th smallest projection of X
    goes to the ``k``-th smallest of Y); otherwise the weighted quantile functions are
    compared (``ot.wasserstein_1d``).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Source points.
    Y : array_like, shape (m, d)
        Target points.
    theta : array_like, shape (L, d) or (d,)
        Unit directions.
    a, b : array_like, shape (n,) and (m,), optional
        Weights (uniform if omitted; rescaled to unit mass).

    Returns
    -------
    ndarray, shape (L,)
        Non-negative values, never NaN (equal clouds give zeros).

    Raises
    ------
    InvalidInput
        Empty, non-finite or mismatched clouds, bad weights, non-unit directions.

    Examples
    --------
    >>> X = [[0.0, 0.0], [1.0, 0.0]]
    >>> Y = [[0.0, 2.0], [1.0, 2.0]]
    >>> projected_w2_squared(X, Y, [[1.0, 0.0], [0.0, 1.0]])  # along x: no move; along y: 2^2
    array([0., 4.])
    """
    X, Y, a, b = _check_pair(X, Y, a, b)
    return _projected(X, Y, a, b, _check_directions(theta, X.shape[1]))


@dataclass(frozen=True, eq=False)
class SlicedResult:
    """A Monte Carlo estimate of :math:`SW_2` (see :func:`sliced_wasserstein`).

    Attributes
    ----------
    value : float
        :math:`SW_2` estimate: the square root of ``value_squared`` (POT's convention).
    value_squared : float
        Mean of ``per_direction``: the estimate of :math:`SW_2^2`.
    standard_error : float
        Standard error of ``value_squared``: sample standard deviation of ``per_direction``
        over :math:`\\sqrt{L}`; ``inf`` for a single direction (no spread to measure).
    band : tuple of float
        ``(low, high)``: :math:`SW_2` at ``value_squared`` minus / plus 1.96 standard errors
        (low clipped at 0), an approximate 95% interval.
    per_direction : ndarray, shape (L,)
        :math:`W_2^2` of the projections on each direction.
    directions : ndarray, shape (L, d)
        The unit directions.
    running : ndarray, shape (L,)
        :math:`SW_2` estimate from the first ``k`` directions, ``k = 1..L``.
    running_band : ndarray, shape (2, L)
        Its band (as ``band``); one direction has no spread to measure, so the first
        column repeats the estimate.
    """

    value: float
    value_squared: float
    standard_error: float
    band: tuple
    per_direction: np.ndarray
    directions: np.ndarray
    running: np.ndarray
    running_band: np.ndarray

    @property
    def n_proj(self) -> int:
        return int(self.per_direction.size)


def _running(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Running mean of ``w``, its standard error and the SW band, for k = 1..L."""
    k = np.arange(1, w.size + 1, dtype=np.float64)
    mean = np.cumsum(w) / k
    # Sum of squared deviations through sum (w - mean_k)^2 = sum w^2 - k mean_k^2, on values
    # shifted by w[0] (the difference then loses few digits), clipped at 0 against round-off.
    s = w - w[0]
    ss = np.cumsum(s * s) - k * (np.cumsum(s) / k) ** 2
    ss = np.maximum(ss, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(ss / np.maximum(k - 1, 1) / k)
    se[0] = math.inf
    half = 1.96 * np.where(np.isfinite(se), se, 0.0)
    band = np.vstack([np.sqrt(np.maximum(mean - half, 0.0)), np.sqrt(mean + half)])
    return mean, se, band


def sliced_wasserstein(X, Y, n_proj=100, seed=0, *, a=None, b=None, directions=None):
    r"""Monte Carlo sliced Wasserstein distance :math:`SW_2` with its standard error.

    .. math::

        \widehat{SW}_2^2 = \frac1L \sum_{\ell=1}^L
        W_2^2(P_{\theta_\ell\#}\hat\mu, P_{\theta_\ell\#}\hat\nu),\qquad
        \mathrm{se} = \frac{s_w}{\sqrt L}

    with :math:`\theta_\ell` uniform on the sphere and :math:`s_w` the sample standard
    deviation of the per-direction values. The estimate of :math:`SW_2^2` is unbiased; the
    error shrinks like :math:`1/\sqrt L` whatever the dimension.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Source points (at most 2048).
    Y : array_like, shape (m, d)
        Target points.
    n_proj : int, default 100
        Number of directions ``L`` (1 to 10000); ignored when ``directions`` is given.
    seed : int, default 0
        Seed of :func:`sphere_directions`.
    a, b : array_like, optional
        Weights of the points (uniform if omitted).
    directions : array_like, shape (L, d), optional
        Use these unit directions instead of drawing them.

    Returns
    -------
    SlicedResult

    Raises
    ------
    InvalidInput
        Bad clouds, weights, counts, seed or directions.

    References
    ----------
    Rabin, Peyré, Delon, Bernot, "Wasserstein barycenter and its application to texture
    mixing" (2011); Bonneel, Rabin, Peyré, Pfister, "Sliced and Radon Wasserstein
    barycenters of measures", JMIV 51 (2015).

    Examples
    --------
    >>> import numpy as np, ot
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(50, 2)), rng.normal(size=(50, 2)) + [1.0, 0.0]
    >>> res = sliced_wasserstein(X, Y, n_proj=200, seed=3)
    >>> pot = ot.sliced_wasserstein_distance(X, Y, projections=res.directions.T)
    >>> bool(np.isclose(res.value, pot))   # POT returns the square root of the mean
    True
    >>> res.standard_error < res.value_squared
    True
    >>> sliced_wasserstein([[1.0, 1.0]] * 3, [[1.0, 1.0]] * 3, n_proj=10).value  # equal clouds
    0.0
    """
    X, Y, a, b = _check_pair(X, Y, a, b)
    if directions is None:
        theta = sphere_directions(X.shape[1], n_proj, seed)
    else:
        theta = _check_directions(directions, X.shape[1])
    w = _projected(X, Y, a, b, theta)
    mean, se, band = _running(w)
    running = np.sqrt(mean)
    return SlicedResult(
        value=float(running[-1]),
        value_squared=float(mean[-1]),
        standard_error=float(se[-1]),
        band=(float(band[0, -1]), float(band[1, -1])),
        per_direction=frozen_array(w),
        directions=frozen_array(theta),
        running=frozen_array(running),
        running_band=frozen_array(band),
    )


@dataclass(frozen=True, eq=False)
class MaxSlicedResult:
    """The max-sliced distance in the plane (see :func:`max_sliced_wasserstein`).

    Attributes
    ----------
    value : float
        :math:`\\max_\\theta W_2(P_{\\theta\\#}\\mu, P_{\\theta\\#}\\nu)`.
    angle : float
        The maximizing direction's angle in radians, in ``[0, pi)``.
    direction : ndarray, shape (2,)
        ``(cos angle, sin angle)``.
    scan_value : float
        The best value of the dense scan alone (``value`` is at least this).
    """

    value: float
    angle: float
    direction: np.ndarray
    scan_value: float


def max_sliced_wasserstein(X, Y, *, a=None, b=None, n_angles=SCAN_ANGLES):
    r"""Max-sliced Wasserstein distance of two clouds in the plane.

    .. math:: \max\text{-}SW_2(\mu, \nu) = \max_{\|\theta\| = 1}
              W_2(P_{\theta\#}\mu, P_{\theta\#}\nu)

    In 2D a direction is an angle in :math:`[0, \pi)`: a dense scan of ``n_angles`` angles
    finds the best one to within a step, then four zoom levels of 65 angles each (one
    vectorized evaluation per level) search the two neighbouring steps, 32 times finer each
    level, down to ~4e-9 rad. The projected cost is piecewise smooth in the angle (it changes
    formula only where two projections swap order, where it may have a corner), so a grid
    search is safe where a derivative-based one is not; the value is never below the scan's
    best.

    Parameters
    ----------
    X, Y : array_like, shape (n, 2) and (m, 2)
        The clouds (2D only).
    a, b : array_like, optional
        Weights (uniform if omitted).
    n_angles : int, default 720
        Angles of the scan (8 to 100000).

    Returns
    -------
    MaxSlicedResult

    Raises
    ------
    InvalidInput
        Bad clouds or weights, clouds not in the plane, a scan out of range.

    References
    ----------
    Deshpande et al., "Max-sliced Wasserstein distance and its use for GANs", CVPR 2019.

    Examples
    --------
    >>> X = [[0.0, 0.0], [1.0, 0.0]]
    >>> Y = [[0.0, 2.0], [1.0, 2.0]]
    >>> res = max_sliced_wasserstein(X, Y)
    >>> round(res.value, 9), round(math.degrees(res.angle), 6)   # straight up, by 2
    (2.0, 90.0)
    """
    X, Y, a, b = _check_pair(X, Y, a, b)
    if X.shape[1] != 2:
        raise InvalidInput(f"max-sliced here works in the plane (d = 2), got d = {X.shape[1]}")
    n_angles = _check_count("n_angles", n_angles, 100_000)
    if n_angles < 8:
        raise InvalidInput("n_angles must be at least 8")
    angles = np.arange(n_angles) * (math.pi / n_angles)
    theta = np.column_stack([np.cos(angles), np.sin(angles)])
    w = _projected(X, Y, a, b, theta)
    k = int(np.argmax(w))
    best_angle, best = float(angles[k]), float(w[k])
    step = math.pi / n_angles
    for _ in range(ZOOM_LEVELS):
        local = best_angle + np.linspace(-step, step, ZOOM_ANGLES)
        t = np.column_stack([np.cos(local), np.sin(local)])
        wl = _projected(X, Y, a, b, t)
        j = int(np.argmax(wl))
        if wl[j] > best:
            best_angle, best = float(local[j]), float(wl[j])
        step = 2 * step / (ZOOM_ANGLES - 1)
    best_angle = best_angle % math.pi
    return MaxSlicedResult(
        value=math.sqrt(max(best, 0.0)),
        angle=best_angle,
        direction=frozen_array(np.array([math.cos(best_angle), math.sin(best_angle)])),
        scan_value=math.sqrt(max(float(w[k]), 0.0)),
    )


@dataclass(frozen=True, eq=False)
class DimensionGap:
    """SW versus W2 for two sampled Gaussians in dimension ``d`` (see :func:`dimension_gap`).

    Attributes
    ----------
    d, n : int
        Dimension and points per cloud.
    shift : float
        Length of the mean shift ``|m|``.
    sw, w2 : float
        Sampled clouds: the SW estimate and the exact W2 (LP).
    sw_standard_error : float
        Standard error of ``sw ** 2`` (:attr:`SlicedResult.standard_error`).
    sw_closed, w2_closed : float
        The Gaussians themselves: :math:`|m|/\\sqrt d` and :math:`|m|`.
    """

    d: int
    n: int
    shift: float
    sw: float
    w2: float
    sw_standard_error: float
    sw_closed: float
    w2_closed: float

    @property
    def ratio(self) -> float:
        """``sw / w2`` of the samples (0 when both are 0: the clouds coincide)."""
        return self.sw / self.w2 if self.w2 > 0 else 0.0

    @property
    def ratio_closed(self) -> float:
        """:math:`1/\\sqrt d`, the ratio for the Gaussians themselves."""
        return 1.0 / math.sqrt(self.d)


def dimension_gap(d, *, n=100, shift=2.0, seed=0, n_proj=200) -> DimensionGap:
    r"""Sample :math:`N(0, I_d)` and :math:`N(m, I_d)`, ``|m| = shift``, and compare SW with W2.

    For the Gaussians themselves :math:`W_2 = |m|` and the projection on :math:`\theta` moves
    :math:`N(0, 1)` to :math:`N(\langle\theta, m\rangle, 1)`, so
    :math:`SW_2^2 = \mathbb{E}\langle\theta, m\rangle^2 = |m|^2/d`: the ratio is
    :math:`1/\sqrt d`. For samples, W2 (an exact LP between the clouds) also carries the
    sampling error of ``n`` points in ``d`` dimensions, which grows with ``d``; SW's does not.

    Parameters
    ----------
    d : int
        Dimension, 1 to 1000.
    n : int, default 100
        Points per cloud (1 to 2048).
    shift : float, default 2
        ``|m|`` (finite, at least 0); ``m`` points along the first axis.
    seed : int, default 0
        Seed of the samples and of the directions.
    n_proj : int, default 200
        Directions of the SW estimate.

    Returns
    -------
    DimensionGap

    Raises
    ------
    InvalidInput
        Out-of-range dimension, size, shift or seed.

    Examples
    --------
    >>> gap = dimension_gap(50, n=60, shift=2.0, seed=1)
    >>> round(gap.sw_closed, 4), gap.w2_closed
    (0.2828, 2.0)
    >>> gap.sw < gap.w2     # SW <= W2 always
    True
    """
    from .exact import empirical_w2

    d = _check_count("d", d, MAX_DIM)
    n = _check_count("n", n, 2048)
    if not (isinstance(shift, int | float) and math.isfinite(shift) and shift >= 0):
        raise InvalidInput(f"shift must be a finite number >= 0, got {shift!r}")
    rng = np.random.RandomState(_check_seed(seed))
    X = rng.randn(n, d)
    Y = rng.randn(n, d)
    Y[:, 0] += shift
    res = sliced_wasserstein(X, Y, n_proj=n_proj, seed=seed)
    return DimensionGap(
        d=d,
        n=n,
        shift=float(shift),
        sw=res.value,
        w2=empirical_w2(X, Y),
        sw_standard_error=res.standard_error,
        sw_closed=float(shift) / math.sqrt(d),
        w2_closed=float(shift),
    )
