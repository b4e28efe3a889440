r"""Wasserstein barycenters: exact on the line, entropic on a 2-D grid, closed form for Gaussians.

The barycenter of measures :math:`\mu_1, \dots, \mu_K` with weights :math:`w` (non-negative,
summing to one) minimizes :math:`\sum_k w_k W_2^2(\nu, \mu_k)` over :math:`\nu`.

* :func:`barycenter_1d`: on the line the minimizer's quantile function is the weighted mean
  of the quantile functions (exact, a finite sum);
  :func:`barycenter_objective_1d` evaluates the objective of any candidate, so a page can
  show that every neighbour costs more.
* :func:`convolutional_barycenter_2d`: the entropic barycenter of images on an
  :math:`n \times n` grid of :math:`[0, 1]^2` by iterated Bregman projections, the Gaussian
  kernel applied as two :math:`n \times n` matrix products; every convolution is done on
  logarithms with a shift per row and column, so small ``reg`` neither overflows nor
  underflows, and it warm-starts from a previous solve.
* :func:`bures_barycenter`: the barycenter of Gaussians (mean: the weighted mean;
  covariance: the fixed point of :math:`S = \sum_k w_k (S^{1/2}\Sigma_k S^{1/2})^{1/2}`
  after conjugation, Alvarez-Esteban et al. 2016).

References: Agueh & Carlier (2011), Benamou et al. (2015), Solomon et al. (2015),
Alvarez-Esteban, del Barrio, Cuesta-Albertos & Matran (2016).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .results import frozen_array
from .validation import InvalidInput, check_histogram

#: Smallest entropic strength offered: below it exp(-1/reg) underflows in float64 on the
#: unit square's largest squared distance (1 along an axis), and the shifted convolution
#: could no longer keep every value positive.
MIN_REG = 1.5e-3
#: Largest grid side (the page uses 64).
MAX_GRID = 256


def check_weights(weights, k: int) -> tuple[np.ndarray, bool]:
    """``weights`` as a float array of ``k`` non-negative numbers summing to one, and whether
    they had to be rescaled to sum to one.

    >>> check_weights([1, 1, 2], 3)
    (array([0.25, 0.25, 0.5 ]), True)
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (k,):
        raise InvalidInput(f"need {k} weights, one per measure (got shape {w.shape})")
    if not np.isfinite(w).all():
        raise InvalidInput("the weights must be finite numbers")
    if (w < 0).any():
        raise InvalidInput("the weights must be non-negative")
    total = float(w.sum())
    if total <= 0:
        raise InvalidInput("the weights are all zero: give at least one a positive weight")
    rescaled = abs(total - 1.0) > 1e-9
    return w / total, rescaled


# --- one dimension ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Barycenter1D:
    """The exact W2 barycenter of histograms on the line (:func:`barycenter_1d`).

    Attributes
    ----------
    positions, masses : ndarray, shape (m,)
        Its atoms (non-decreasing positions) and their masses (summing to one).
    levels : ndarray, shape (m + 1,)
        The common refinement of the inputs' CDF values, from 0 to 1; atom ``j`` holds the
        levels ``(levels[j], levels[j + 1]]``.
    quantiles : ndarray, shape (K, m)
        Each input's quantile function on those pieces (constant on each).
    weights : ndarray, shape (K,)
        The weights used (summing to one).
    objective : float
        :math:`\\sum_k w_k W_2^2(\\text{bary}, \\mu_k)`.
    """

    positions: np.ndarray
    masses: np.ndarray
    levels: np.ndarray
    quantiles: np.ndarray
    weights: np.ndarray
    objective: float

    def on_grid(self, x: np.ndarray) -> np.ndarray:
        """Its mass binned to the nearest point of the uniform grid ``x`` (for drawing)."""
        return _bin_to_grid(self.positions, self.masses, x)


def _cdf_levels(hists: np.ndarray) -> np.ndarray:
    """The sorted union of every histogram's CDF values, with 0 and 1 (rounding merged)."""
    cdfs = np.cumsum(hists, axis=1)
    cdfs /= cdfs[:, -1:]
    levels = np.unique(np.concatenate(([0.0, 1.0], np.clip(cdfs.ravel(), 0.0, 1.0))))
    keep = np.concatenate(([True], np.diff(levels) > 1e-14))
    levels = levels[keep]
    levels[-1] = 1.0
    return levels


def _quantiles_at(x: np.ndarray, hists: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Quantile function of each histogram (rows) at levels s in (0, 1]: the first grid point
    whose CDF reaches s (the same rule as :func:`ot_engine.quantile_1d`)."""
    out = np.empty((hists.shape[0], s.size))
    for k, h in enumerate(hists):
        F = np.cumsum(h)
        F /= F[-1]
        F[-1] = 1.0
        idx = np.searchsorted(F, s - 1e-13, side="left")
        out[k] = x[np.minimum(idx, x.size - 1)]
    return out


def _check_hists(x, hists) -> tuple[np.ndarray, np.ndarray]:
    H = np.asarray(hists, dtype=np.float64)
    if H.ndim != 2 or H.shape[0] < 1:
        raise InvalidInput("histograms must be a (K, n) array, one row per measure")
    for k, h in enumerate(H):
        check_histogram(f"histogram {k + 1}", h)
    x = np.asarray(x, dtype=np.float64)
    if x.shape != (H.shape[1],) or not np.isfinite(x).all() or (np.diff(x) <= 0).any():
        raise InvalidInput("x must be increasing finite points, one per bin")
    return x, H / H.sum(axis=1, keepdims=True)


def barycenter_1d(x, hists, weights) -> Barycenter1D:
    r"""The exact W2 barycenter of histograms on the line, by averaging quantile functions.

    .. math::  Q_\nu(s) = \sum_k w_k Q_{\mu_k}(s), \qquad s \in (0, 1]

    (Agueh & Carlier 2011, §6). Every :math:`Q_{\mu_k}` is constant between consecutive
    values of the inputs' CDFs, so the barycenter is a finite set of atoms and its objective
    :math:`\sum_k w_k \int_0^1 (Q_\nu - Q_{\mu_k})^2\,ds` a finite sum.

    Parameters
    ----------
    x : array_like, shape (n,)
        Increasing grid points shared by the histograms.
    hists : array_like, shape (K, n)
        Non-negative histograms with positive mass (rescaled to one each).
    weights : array_like, shape (K,)
        Non-negative weights (rescaled to sum to one).

    Returns
    -------
    Barycenter1D

    Raises
    ------
    InvalidInput
        A histogram empty or not finite, weights of the wrong size, negative or all zero.

    Examples
    --------
    >>> bary = barycenter_1d([0.0, 1.0], [[1.0, 0.0], [0.0, 1.0]], [0.25, 0.75])
    >>> bary.positions.tolist(), bary.masses.tolist(), round(bary.objective, 6)
    ([0.75], [1.0], 0.1875)
    """
    x, H = _check_hists(x, hists)
    w, _ = check_weights(weights, H.shape[0])
    levels = _cdf_levels(H)
    Q = _quantiles_at(x, H, levels[1:])
    positions = w @ Q
    masses = np.diff(levels)
    objective = float(w @ (((Q - positions) ** 2) @ masses))
    return Barycenter1D(
        positions=frozen_array(positions),
        masses=frozen_array(masses),
        levels=frozen_array(levels),
        quantiles=frozen_array(Q),
        weights=frozen_array(w),
        objective=objective,
    )


def w2_squared_atoms(xa, a, xb, b) -> float:
    """W2 squared between two measures of atoms on the line (each rescaled to mass one), by
    matching quantiles on the union of their CDF values.

    >>> w2_squared_atoms([0.0], [1.0], [0.5, 1.5], [0.5, 0.5])
    1.25
    """
    xa, a, xb, b = (np.asarray(v, dtype=np.float64) for v in (xa, a, xb, b))
    ia, ib = np.argsort(xa, kind="stable"), np.argsort(xb, kind="stable")
    xa, a, xb, b = xa[ia], a[ia] / a.sum(), xb[ib], b[ib] / b.sum()
    Fa, Fb = np.cumsum(a), np.cumsum(b)
    Fa[-1] = Fb[-1] = 1.0
    levels = np.unique(np.concatenate(([0.0], Fa, Fb)))
    s = levels[1:]
    qa = xa[np.minimum(np.searchsorted(Fa, s - 1e-13), xa.size - 1)]
    qb = xb[np.minimum(np.searchsorted(Fb, s - 1e-13), xb.size - 1)]
    return float(np.diff(levels) @ (qa - qb) ** 2)


def barycenter_objective_1d(positions, masses, x, hists, weights) -> float:
    r""":math:`\sum_k w_k W_2^2(\nu, \mu_k)` for a candidate :math:`\nu` (atoms at
    ``positions`` with ``masses``) and histograms ``hists`` on the grid ``x``.

    >>> barycenter_objective_1d([0.5], [1.0], [0.0, 1.0], [[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5])
    0.25
    """
    x, H = _check_hists(x, hists)
    w, _ = check_weights(weights, H.shape[0])
    return float(
        sum(wk * w2_squared_atoms(positions, masses, x, h) for wk, h in zip(w, H, strict=True))
    )


def _bin_to_grid(positions, masses, x) -> np.ndarray:
    idx = np.clip(np.rint((positions - x[0]) / (x[1] - x[0])).astype(int), 0, x.size - 1)
    return np.bincount(idx, weights=masses, minlength=x.size)


# --- two dimensions: the convolutional (entropic) barycenter ---------------------------------


@dataclass(frozen=True, eq=False)
class Barycenter2D:
    """An entropic barycenter of images (:func:`convolutional_barycenter_2d`).

    Attributes
    ----------
    image : ndarray, shape (n, n)
        The barycenter, mass one.
    log_v : ndarray, shape (K, n, n)
        The log-scalings on the barycenter's side (a warm start for the next solve).
    weights : ndarray, shape (K,)
        The weights used (summing to one).
    reg : float
        The entropic strength (in units of the squared side of the unit square).
    iterations : int
        Bregman projection sweeps done.
    marginal_error : float
        :math:`\\sum_k w_k \\lVert P_k^\\top 1 - \\text{bary}\\rVert_1`: how far each plan's
        second marginal is from the barycenter (its first marginal is exact).
    converged : bool
        ``marginal_error <= tol`` within the caps.
    warm_started : bool
        Whether a given warm start was used.
    solve_time : float
        Wall-clock seconds.
    """

    image: np.ndarray
    log_v: np.ndarray
    weights: np.ndarray
    reg: float
    iterations: int
    marginal_error: float
    converged: bool
    warm_started: bool
    solve_time: float


def _log_kernel(n: int, reg: float) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)
    return -((t[:, None] - t[None, :]) ** 2) / reg


def _shifted_exp(L: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """exp(L - max along axis) and that max (0 where a whole line is -inf)."""
    top = L.max(axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return np.exp(L - top), top


def log_convolve(L: np.ndarray, K: np.ndarray) -> np.ndarray:
    r"""log of the Gaussian blur of ``exp(L)`` for images ``L`` of shape (..., n, n):
    :math:`\log (K\, e^{L} K^\top)` with ``K = exp(log_kernel)``, done as two matrix products,
    each after shifting by the maximum of the line it sums (so nothing overflows, and with
    ``reg >= MIN_REG`` nothing that should be positive underflows).

    >>> L = np.log(np.eye(3)[None] + 1.0)
    >>> K = np.exp(_log_kernel(3, 0.5))
    >>> bool(np.allclose(log_convolve(L, K), np.log(K @ np.exp(L) @ K.T)))
    True
    """
    E, top = _shifted_exp(L, axis=-2)  # per column: sum over rows first
    with np.errstate(divide="ignore"):
        L1 = np.log(K @ E) + top
    E, top = _shifted_exp(L1, axis=-1)  # per row: then over columns
    with np.errstate(divide="ignore"):
        return np.log(E @ K.T) + top


def convolutional_barycenter_2d(
    images,
    weights,
    reg: float,
    *,
    tol: float = 1e-4,
    max_iter: int = 3000,
    warm_start=None,
    check_every: int = 10,
    max_time: float | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> Barycenter2D:
    r"""Entropic W2 barycenter of images on the grid :math:`\{0, \frac{1}{n-1}, \dots, 1\}^2`.

    Iterated Bregman projections (Benamou et al. 2015) with the separable kernel
    :math:`K = e^{-|x - y|^2/\mathrm{reg}}` (Solomon et al. 2015), in log-scalings:

    .. math::
        \log u_k = \log a_k - \log K v_k, \quad
        \log b = \sum_k w_k (\log v_k + \log K u_k), \quad
        \log v_k = \log b - \log K u_k .

    Every :math:`\log K(\cdot)` is :func:`log_convolve` (shifted exponentials and two
    matrix products), so it stays stable at small ``reg`` and costs :math:`O(n^3)`
    multiply-adds but only :math:`O(n^2)` exponentials. Same fixed point as POT's
    ``ot.bregman.convolutional_barycenter2d`` (same kernel and grid).

    Parameters
    ----------
    images : array_like, shape (K, n, n)
        Non-negative images with positive mass (rescaled to one each).
    weights : array_like, shape (K,)
        Non-negative weights (rescaled to sum to one).
    reg : float
        Entropic strength, at least :data:`MIN_REG`.
    tol : float
        Stop when the marginal error (see :class:`Barycenter2D`) is at most this.
    max_iter, max_time : caps on sweeps and seconds (not converged when hit).
    warm_start : ndarray, shape (K, n, n), optional
        ``log_v`` of a previous result (ignored when the shape differs).
    check_every : int
        Sweeps between two error checks (and progress reports).
    progress : callable, optional
        ``progress(fraction, text)`` after each check; it may raise to stop the solve.

    Returns
    -------
    Barycenter2D

    Raises
    ------
    InvalidInput
        Images not (K, n, n), empty, negative or not finite; bad weights; reg too small.

    Examples
    --------
    >>> A = np.zeros((2, 16, 16)); A[0, 4, 4] = A[1, 11, 11] = 1.0
    >>> bary = convolutional_barycenter_2d(A, [0.5, 0.5], 0.01)
    >>> bary.converged, np.unravel_index(bary.image.argmax(), (16, 16))
    (True, (np.int64(7), np.int64(7)))
    """
    started = time.perf_counter()
    A = np.asarray(images, dtype=np.float64)
    if A.ndim != 3 or A.shape[1] != A.shape[2] or not 2 <= A.shape[1] <= MAX_GRID:
        raise InvalidInput(f"images must be (K, n, n) with 2 <= n <= {MAX_GRID}")
    if not np.isfinite(A).all() or (A < 0).any():
        raise InvalidInput("images must be finite and non-negative")
    mass = A.sum(axis=(1, 2))
    if (mass <= 0).any():
        raise InvalidInput(f"image {int(np.argmin(mass)) + 1} is empty (no mass)")
    w, _ = check_weights(weights, A.shape[0])
    reg = float(reg)
    if not np.isfinite(reg) or reg < MIN_REG:
        raise InvalidInput(f"reg must be at least {MIN_REG:g}")
    n = A.shape[1]
    K = np.exp(_log_kernel(n, reg))
    with np.errstate(divide="ignore"):
        log_a = np.log(A / mass[:, None, None])
    warm = warm_start is not None and np.shape(warm_start) == A.shape
    log_v = np.array(warm_start, dtype=np.float64) if warm else np.zeros(A.shape)
    if warm and not np.isfinite(log_v).all():
        log_v, warm = np.zeros(A.shape), False
    wk = w[:, None, None]
    # The sweeps keep sum_k w_k log v_k fixed, and the barycenter's optimality needs it zero
    # (the dual potentials balance): a start from other weights is centred first.
    log_v -= np.sum(wk * log_v, axis=0)
    error, it, converged = np.inf, 0, False
    first_error = None
    while it < max_iter:
        log_u = log_a - log_convolve(log_v, K)
        log_Ku = log_convolve(log_u, K)
        log_b = np.sum(wk * (log_v + log_Ku), axis=0)
        it += 1
        if it % check_every == 0 or it == max_iter:
            b = np.exp(log_b)
            error = float(w @ np.abs(np.exp(log_v + log_Ku) - b).sum(axis=(1, 2)))
            if error <= tol:
                converged = True
                log_v = log_b - log_Ku
                break
            first_error = first_error or error
            if progress is not None:
                progress(_fraction(first_error, error, tol), f"sweep {it}, error {error:.1e}")
            if max_time is not None and time.perf_counter() - started > max_time:
                log_v = log_b - log_Ku
                break
        log_v = log_b - log_Ku
    image = np.exp(log_b)
    image /= image.sum()
    return Barycenter2D(
        image=frozen_array(image),
        log_v=frozen_array(log_v),
        weights=frozen_array(w),
        reg=reg,
        iterations=it,
        marginal_error=error,
        converged=converged,
        warm_started=warm,
        solve_time=time.perf_counter() - started,
    )


def _fraction(first: float, error: float, tol: float) -> float:
    """Progress as the share of the way from the first error to tol, on a log scale."""
    if first <= tol:
        return 1.0
    return float(np.clip(np.log(first / error) / np.log(first / tol), 0.0, 0.99))


# --- Gaussians: the Bures-Wasserstein barycenter ----------------------------------------------


@dataclass(frozen=True, eq=False)
class GaussianBarycenter:
    """The W2 barycenter of Gaussians (:func:`bures_barycenter`).

    Attributes
    ----------
    mean : ndarray, shape (d,)
    cov : ndarray, shape (d, d)
    weights : ndarray, shape (K,)
    iterations : int
        Fixed-point steps done.
    residual : float
        Frobenius norm of the last step's change of the covariance.
    converged : bool
        ``residual <= tol`` within ``max_iter``.
    objective : float
        :math:`\\sum_k w_k W_2^2(\\text{bary}, N(m_k, \\Sigma_k))`.
    """

    mean: np.ndarray
    cov: np.ndarray
    weights: np.ndarray
    iterations: int
    residual: float
    converged: bool
    objective: float


def _sqrtm_sym(S: np.ndarray) -> np.ndarray:
    """Square root of a symmetric PSD matrix, or of each one of a stack (..., d, d)."""
    S = (S + np.swapaxes(S, -1, -2)) / 2
    vals, vecs = np.linalg.eigh(S)
    return (vecs * np.sqrt(np.clip(vals, 0.0, None))[..., None, :]) @ np.swapaxes(vecs, -1, -2)


def bures_w2_squared(m1, S1, m2, S2) -> float:
    r"""W2 squared between two Gaussians:
    :math:`|m_1 - m_2|^2 + \operatorname{tr}(S_1 + S_2 - 2 (S_1^{1/2} S_2 S_1^{1/2})^{1/2})`.

    >>> bures_w2_squared([0, 0], np.eye(2), [1, 0], 4 * np.eye(2))
    3.0
    """
    m1, m2 = np.asarray(m1, dtype=np.float64), np.asarray(m2, dtype=np.float64)
    S1, S2 = np.asarray(S1, dtype=np.float64), np.asarray(S2, dtype=np.float64)
    r = _sqrtm_sym(S1)
    cross = _sqrtm_sym(r @ S2 @ r)
    return float(max(np.sum((m1 - m2) ** 2) + np.trace(S1 + S2 - 2 * cross), 0.0))


def bures_barycenter(means, covs, weights, *, tol: float = 1e-10, max_iter: int = 500):
    r"""The W2 barycenter of Gaussians :math:`N(m_k, \Sigma_k)`: a Gaussian with mean
    :math:`\sum_k w_k m_k` and the covariance :math:`S` fixed by

    .. math::  S \leftarrow S^{-1/2} \Big(\sum_k w_k (S^{1/2} \Sigma_k S^{1/2})^{1/2}\Big)^2
               S^{-1/2}

    (Alvarez-Esteban et al. 2016, Theorem 4.2: it converges from any positive definite start
    when the :math:`\Sigma_k` are positive definite).

    Parameters
    ----------
    means : array_like, shape (K, d)
    covs : array_like, shape (K, d, d)
        Symmetric positive definite.
    weights : array_like, shape (K,)
        Non-negative (rescaled to sum to one).
    tol, max_iter : stop when a step changes S by at most ``tol`` (Frobenius), or after
        ``max_iter`` steps (not converged).

    Returns
    -------
    GaussianBarycenter

    Raises
    ------
    InvalidInput
        Shapes that disagree, a covariance not symmetric positive definite, bad weights.

    Examples
    --------
    >>> bary = bures_barycenter([[0, 0], [2, 0]], [np.eye(2), 9 * np.eye(2)], [0.5, 0.5])
    >>> bary.mean.tolist(), np.round(bary.cov, 9).tolist(), bary.converged
    ([1.0, 0.0], [[4.0, 0.0], [0.0, 4.0]], True)
    """
    M = np.asarray(means, dtype=np.float64)
    C = np.asarray(covs, dtype=np.float64)
    if M.ndim != 2 or C.shape != (M.shape[0], M.shape[1], M.shape[1]):
        raise InvalidInput("means must be (K, d) and covariances (K, d, d)")
    if not (np.isfinite(M).all() and np.isfinite(C).all()):
        raise InvalidInput("means and covariances must be finite")
    for k, S in enumerate(C):
        if not np.allclose(S, S.T, atol=1e-12) or np.linalg.eigvalsh(S).min() <= 0:
            raise InvalidInput(f"covariance {k + 1} must be symmetric positive definite")
    w, _ = check_weights(weights, M.shape[0])
    mean = w @ M
    S = np.einsum("k,kij->ij", w, C)
    residual, converged, it = np.inf, False, 0
    while it < max_iter:
        it += 1
        vals, vecs = np.linalg.eigh(S)
        root = np.sqrt(np.clip(vals, 0.0, None))
        r = (vecs * root) @ vecs.T
        r_inv = (vecs / root) @ vecs.T
        T = np.einsum("k,kij->ij", w, _sqrtm_sym(r @ C @ r))  # all K roots in one batch
        S_new = r_inv @ T @ T @ r_inv
        S_new = (S_new + S_new.T) / 2
        residual = float(np.linalg.norm(S_new - S))
        S = S_new
        if residual <= tol:
            converged = True
            break
    objective = float(
        sum(wk * bures_w2_squared(mean, S, m, Ck) for wk, m, Ck in zip(w, M, C, strict=True))
    )
    return GaussianBarycenter(
        mean=frozen_array(mean),
        cov=frozen_array(S),
        weights=frozen_array(w),
        iterations=it,
        residual=residual,
        converged=converged,
        objective=objective,
    )
