"""What the Brenier figure needs beyond the Gaussian closed forms of :mod:`ot_engine.gaussian`.

Helpers: a planar covariance from the controls a student sees (two axis spreads and a
rotation), the points of a Gaussian density contour, and W2 estimated from samples with an
exact solve (reported with the solver's converged flag and marginal error, so a page can be
honest about it), once or over several independent draws with their mean and spread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .exact import exact
from .gaussian import sample_gaussian
from .geometry import cost_matrix
from .validation import MAX_SIZE, InvalidInput, check_covariance, check_mean, check_positive

__all__ = [
    "SampledW2",
    "SampledW2Spread",
    "covariance_from_axes",
    "density_contour",
    "sampled_w2",
    "sampled_w2_spread",
]


def covariance_from_axes(spread_1: float, spread_2: float, angle_deg: float) -> np.ndarray:
    """Covariance of a planar Gaussian with given axis spreads, rotated by an angle.

    Parameters
    ----------
    spread_1, spread_2 : float
        Standard deviations along the two principal axes (positive).
    angle_deg : float
        Counter-clockwise rotation of the first axis from the x1 axis, in degrees.

    Returns
    -------
    cov : ndarray, shape (2, 2)
        ``R diag(spread_1**2, spread_2**2) R^T`` with ``R`` the rotation by ``angle_deg``.

    Raises
    ------
    InvalidInput
        If a spread is not positive and finite, or the angle is not finite.

    Examples
    --------
    >>> covariance_from_axes(2.0, 1.0, 0.0)
    array([[4., 0.],
           [0., 1.]])
    >>> np.round(covariance_from_axes(2.0, 1.0, 90.0), 12)
    array([[1., 0.],
           [0., 4.]])
    """
    s1 = check_positive("spread_1", spread_1)
    s2 = check_positive("spread_2", spread_2)
    angle = float(angle_deg)
    if not np.isfinite(angle):
        raise InvalidInput(f"angle_deg must be a finite number of degrees, got {angle_deg!r}")
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    rotation = np.array([[c, -s], [s, c]])
    cov = rotation @ np.diag([s1**2, s2**2]) @ rotation.T
    return 0.5 * (cov + cov.T)


def density_contour(mean, cov, level: float, size: int = 64) -> np.ndarray:
    """Points of the density contour ``{x : (x - m)^T cov^{-1} (x - m) = level^2}``.

    Parameters
    ----------
    mean : array_like, shape (2,)
        Centre of the Gaussian.
    cov : array_like, shape (2, 2)
        Positive definite covariance.
    level : float
        Mahalanobis radius of the contour (1 is the "one standard deviation" ellipse).
    size : int
        Number of points on the closed curve (the last one does not repeat the first).

    Returns
    -------
    points : ndarray, shape (size, 2)

    Examples
    --------
    >>> pts = density_contour([0.0, 0.0], [[4.0, 0.0], [0.0, 1.0]], 1.0, size=4)
    >>> np.round(pts, 12) + 0.0
    array([[ 2.,  0.],
           [ 0.,  1.],
           [-2.,  0.],
           [ 0., -1.]])
    """
    m = check_mean("mean", mean, dim=2)
    c = check_covariance("cov", cov, dim=2, definite=True)
    r = check_positive("level", level)
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or not 3 <= size <= 4096:
        raise InvalidInput(f"size must be a whole number of points from 3 to 4096, got {size!r}")
    angles = 2.0 * np.pi * np.arange(size) / size
    circle = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    # Any square root of cov maps the unit circle onto the unit Mahalanobis ellipse.
    return m + r * circle @ np.linalg.cholesky(c).T


@dataclass(frozen=True, eq=False)
class SampledW2:
    """W2 between two Gaussians estimated from ``n`` samples of each.

    Attributes
    ----------
    w2 : float
        W2 (not squared) between the two uniform point clouds, from an exact solve.
    n : int
        Samples per distribution.
    source, target : ndarray, shape (n, d)
        The samples (deterministic for a given seed).
    converged : bool
        Whether the exact solver reported an optimal plan with its marginals met.
    marginal_error : float
        ``|P 1 - a|_1 + |P^T 1 - b|_1`` of the plan found.
    solve_time : float
        Wall-clock seconds of the exact solve.
    """

    w2: float
    n: int
    source: np.ndarray
    target: np.ndarray
    converged: bool
    marginal_error: float
    solve_time: float


def sampled_w2(n: int, mean_p, cov_p, mean_q, cov_q, seed: int = 0) -> SampledW2:
    """Estimate W2 between ``N(mean_p, cov_p)`` and ``N(mean_q, cov_q)`` from ``n`` samples each.

    Draws ``n`` points of each Gaussian (seeds ``seed`` and ``seed + 1``) and solves the exact
    optimal transport problem between the two uniform clouds for the squared distance. The
    estimate is biased upwards for small ``n`` and tends to the closed form
    (:func:`ot_engine.gaussian_w2`) as ``n`` grows.

    Parameters
    ----------
    n : int
        Samples per distribution, ``1 <= n <= 2048`` (the exact solver's limit).
    mean_p, mean_q : array_like, shape (d,)
    cov_p, cov_q : array_like, shape (d, d)
        Symmetric positive semi-definite covariances.
    seed : int
        Non-negative seed; the same seed gives the same samples.

    Returns
    -------
    SampledW2

    Raises
    ------
    InvalidInput
        Bad ``n`` or ``seed``, or a covariance that is not symmetric PSD.

    Examples
    --------
    >>> est = sampled_w2(200, [0.0, 0.0], np.eye(2), [3.0, 0.0], np.eye(2), seed=0)
    >>> est.converged, est.source.shape, bool(abs(est.w2 - 3.0) < 0.3)
    (True, (200, 2), True)
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= MAX_SIZE:
        raise InvalidInput(f"n must be a whole number of samples from 1 to {MAX_SIZE}, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidInput(f"seed must be a non-negative whole number, got {seed!r}")
    X = sample_gaussian(int(n), mean_p, cov_p, int(seed))
    Y = sample_gaussian(int(n), mean_q, cov_q, int(seed) + 1)
    weights = np.full(int(n), 1.0 / int(n))
    result = exact(weights, weights, cost_matrix(X, Y, power=2))
    return SampledW2(
        w2=float(np.sqrt(max(result.cost, 0.0))),
        n=int(n),
        source=X,
        target=Y,
        converged=bool(result.converged),
        marginal_error=float(result.marginal_error),
        solve_time=float(result.solve_time),
    )


@dataclass(frozen=True, eq=False)
class SampledW2Spread:
    """Several independent sampled estimates of W2 between the same two Gaussians.

    Attributes
    ----------
    draws : tuple of SampledW2
        One estimate per independent draw, in seed order (``draws[0]`` is the first draw).
    mean : float
        Mean of the estimates.
    sd : float
        Sample standard deviation of one estimate (``ddof=1``); NaN for a single draw.
    converged : bool
        Whether the exact solver converged on every draw.
    marginal_error : float
        Largest marginal error over the draws.
    solve_time : float
        Wall-clock seconds of all the exact solves together.
    """

    draws: tuple[SampledW2, ...]
    mean: float
    sd: float
    converged: bool
    marginal_error: float
    solve_time: float


def sampled_w2_spread(
    n: int, mean_p, cov_p, mean_q, cov_q, *, repeats: int = 5, seed: int = 0
) -> SampledW2Spread:
    """Estimate W2 from ``repeats`` independent draws of ``n`` samples of each Gaussian.

    Draw ``r`` uses seeds ``seed + 2 r`` (source) and ``seed + 2 r + 1`` (target) in
    :func:`sampled_w2`. The seeds do not depend on ``n``, and a larger ``n`` extends the same
    clouds (the first ``n`` points of a draw of ``n' > n`` are the draw of ``n``): raising
    ``n`` adds points instead of drawing afresh.

    One estimate is random; its mean over draws is biased upwards: ``W2^2`` is jointly convex
    in the two measures and the empirical measures average to ``p`` and ``q``, so by Jensen's
    inequality ``E[W2^2(p_n, q_n)] >= W2^2(p, q)`` for every ``n``. Bias and spread shrink as
    ``n`` grows.

    Parameters
    ----------
    n : int
        Samples per distribution and draw (see :func:`sampled_w2`).
    mean_p, cov_p, mean_q, cov_q
        The two Gaussians (see :func:`sampled_w2`).
    repeats : int
        Number of independent draws, 1 to 256.
    seed : int
        Non-negative base seed.

    Returns
    -------
    SampledW2Spread

    Raises
    ------
    InvalidInput
        Bad ``repeats`` or anything :func:`sampled_w2` refuses.

    Examples
    --------
    >>> spread = sampled_w2_spread(50, [0.0, 0.0], np.eye(2), [3.0, 0.0], np.eye(2), repeats=4)
    >>> len(spread.draws), spread.converged, bool(spread.sd > 0)
    (4, True, True)
    >>> spread.draws[1].w2 == sampled_w2(50, [0.0, 0.0], np.eye(2), [3.0, 0.0], np.eye(2), 2).w2
    True
    """
    if (
        isinstance(repeats, bool)
        or not isinstance(repeats, int | np.integer)
        or not 1 <= repeats <= 256
    ):
        raise InvalidInput(f"repeats must be a whole number from 1 to 256, got {repeats!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidInput(f"seed must be a non-negative whole number, got {seed!r}")
    draws = tuple(
        sampled_w2(n, mean_p, cov_p, mean_q, cov_q, seed=int(seed) + 2 * r)
        for r in range(int(repeats))
    )
    values = np.array([d.w2 for d in draws])
    return SampledW2Spread(
        draws=draws,
        mean=float(values.mean()),
        sd=float(values.std(ddof=1)) if values.size > 1 else float("nan"),
        converged=all(d.converged for d in draws),
        marginal_error=max(d.marginal_error for d in draws),
        solve_time=sum(d.solve_time for d in draws),
    )
