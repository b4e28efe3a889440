r"""Closed forms between Gaussians: Brenier potentials and maps, the Bures-Wasserstein W2.

Derivation used here (quadratic cost).  For ``p = N(m_p, S_p)`` and ``q = N(m_q, S_q)`` with
``S_p`` positive definite, the optimal map is affine, ``T(x) = m_q + A (x - m_p)`` with

.. math::  A = S_p^{-1/2} (S_p^{1/2} S_q S_p^{1/2})^{1/2} S_p^{-1/2},

the unique symmetric positive semi-definite matrix with ``A S_p A = S_q`` (so ``T`` pushes
``p`` onto ``q``).  A map that is the gradient of a convex function is optimal (Brenier), and
``T = grad phi`` for the convex quadratic

.. math::  \varphi(x) = \tfrac12 (x - m_p)^T A (x - m_p) + \langle m_q, x\rangle .

The additive constant of ``phi`` is fixed by this formula: ``phi(m_p) = <m_q, m_p>``.
For isotropic covariances ``S = sigma^2 I``, ``A = (sigma_q / sigma_p) I``.  Note that
``phi(x) = (sigma_q/(2 sigma_p))|x - m_p|^2 + <m_q - (sigma_q/sigma_p) m_p, x>`` (a version
sometimes printed) is *wrong*: its gradient is ``m_q + (sigma_q/sigma_p)(x - 2 m_p)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .validation import (
    InvalidInput,
    check_covariance,
    check_mean,
    check_positive,
)

__all__ = [
    "MongeAmpere",
    "brenier_map",
    "brenier_potential",
    "gaussian_brenier_conjugate",
    "gaussian_brenier_map",
    "gaussian_brenier_potential",
    "gaussian_density",
    "gaussian_map_matrix",
    "gaussian_w2",
    "monge_ampere",
    "sample_gaussian",
]

#: Largest number of samples :func:`sample_gaussian` draws.
MAX_SAMPLES = 1_000_000
#: Largest number of coordinates ``n * d`` :func:`sample_gaussian` returns (32 MB of
#: float64; the standard normal draw needs as much again).
MAX_SAMPLE_VALUES = 4_000_000
#: Largest dimension ``d`` of a mean accepted here: a ``(d, d)`` eigendecomposition takes
#: a fraction of a second at 1024 and grows like ``d^3``.
MAX_DIM = 1024


def _mean(name, value, dim=None):
    return check_mean(name, value, dim=dim, max_dim=MAX_DIM)


def _sqrtm_psd(S):
    w, V = np.linalg.eigh(S)
    w = np.clip(w, 0.0, None)
    return (V * np.sqrt(w)) @ V.T


def _points(x, d):
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"x must be an array of numbers ({exc})") from None
    if arr.ndim == 0 or arr.shape[-1] != d:
        raise InvalidInput(f"x must have shape (..., {d}) to match the means, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise InvalidInput("x contains NaN or infinite coordinates")
    return arr


def _isotropic_args(x, mean_p, sigma_p, mean_q, sigma_q):
    mp = _mean("mean_p", mean_p)
    mq = _mean("mean_q", mean_q, dim=mp.size)
    sp = check_positive("sigma_p", sigma_p)
    sq = check_positive("sigma_q", sigma_q)
    return _points(x, mp.size), mp, sp, mq, sq


def brenier_map(x, mean_p, sigma_p, mean_q, sigma_q) -> np.ndarray:
    r"""Optimal map between isotropic Gaussians, ``T(x) = m_q + (sigma_q/sigma_p)(x - m_p)``.

    Transports ``N(mean_p, sigma_p^2 I)`` onto ``N(mean_q, sigma_q^2 I)`` in ``R^d`` for the
    squared Euclidean cost; ``T = grad phi`` with ``phi`` from :func:`brenier_potential`.

    Parameters
    ----------
    x : array_like, shape (..., d)
        Points where the map is evaluated.
    mean_p, mean_q : array_like, shape (d,)
        Means of the source and target.
    sigma_p, sigma_q : float
        Positive standard deviations.

    Returns
    -------
    ndarray, shape (..., d)

    Raises
    ------
    InvalidInput
        Non-positive sigma, means of different lengths, ``x`` not ending in ``d``.

    Examples
    --------
    >>> brenier_map([[1.0, 1.0]], [0.0, 0.0], 1.0, [5.0, 0.0], 2.0)
    array([[7., 2.]])
    """
    x, mp, sp, mq, sq = _isotropic_args(x, mean_p, sigma_p, mean_q, sigma_q)
    return mq + (sq / sp) * (x - mp)


def brenier_potential(x, mean_p, sigma_p, mean_q, sigma_q) -> np.ndarray:
    r"""Convex Brenier potential between isotropic Gaussians.

    .. math::  \varphi(x) = \frac{\sigma_q}{2\sigma_p}\|x - m_p\|^2 + \langle m_q, x\rangle,

    so that :math:`\nabla\varphi = T` (:func:`brenier_map`).  The constant is fixed by
    ``phi(m_p) = <m_q, m_p>``.

    Parameters
    ----------
    x : array_like, shape (..., d)
    mean_p, mean_q : array_like, shape (d,)
    sigma_p, sigma_q : float
        Positive standard deviations.

    Returns
    -------
    ndarray, shape (...)

    Raises
    ------
    InvalidInput
        Non-positive sigma, mismatched dimensions.

    Examples
    --------
    >>> brenier_potential([[1.0, 1.0], [0.0, 0.0]], [0.0, 0.0], 1.0, [5.0, 0.0], 2.0)
    array([7., 0.])
    """
    x, mp, sp, mq, sq = _isotropic_args(x, mean_p, sigma_p, mean_q, sigma_q)
    diff = x - mp
    return 0.5 * (sq / sp) * np.sum(diff * diff, axis=-1) + x @ mq


def gaussian_map_matrix(cov_p, cov_q) -> np.ndarray:
    r"""Linear part ``A`` of the optimal map between ``N(., cov_p)`` and ``N(., cov_q)``.

    .. math::  A = S_p^{-1/2} (S_p^{1/2} S_q S_p^{1/2})^{1/2} S_p^{-1/2},

    symmetric positive semi-definite, with ``A S_p A = S_q``.

    Parameters
    ----------
    cov_p : array_like, shape (d, d)
        Source covariance, symmetric positive *definite*.
    cov_q : array_like, shape (d, d)
        Target covariance, symmetric positive semi-definite.

    Returns
    -------
    A : ndarray, shape (d, d)

    Raises
    ------
    InvalidInput
        Covariances not symmetric PSD, ``cov_p`` singular, or of different sizes.

    Examples
    --------
    >>> gaussian_map_matrix([[1.0, 0.0], [0.0, 4.0]], [[9.0, 0.0], [0.0, 1.0]])
    array([[3. , 0. ],
           [0. , 0.5]])
    """
    Sp = check_covariance("cov_p", cov_p, definite=True)
    Sq = check_covariance("cov_q", cov_q, dim=Sp.shape[0])
    w, V = np.linalg.eigh(Sp)
    Sp_half = (V * np.sqrt(w)) @ V.T
    Sp_inv_half = (V / np.sqrt(w)) @ V.T
    A = Sp_inv_half @ _sqrtm_psd(Sp_half @ Sq @ Sp_half) @ Sp_inv_half
    return 0.5 * (A + A.T)


def _general_args(x, mean_p, cov_p, mean_q, cov_q):
    mp = _mean("mean_p", mean_p)
    mq = _mean("mean_q", mean_q, dim=mp.size)
    Sp = check_covariance("cov_p", cov_p, dim=mp.size, definite=True)
    Sq = check_covariance("cov_q", cov_q, dim=mp.size)
    return _points(x, mp.size), mp, mq, gaussian_map_matrix(Sp, Sq)


def gaussian_brenier_map(x, mean_p, cov_p, mean_q, cov_q) -> np.ndarray:
    r"""Optimal map ``T(x) = m_q + A (x - m_p)`` between two Gaussians (any covariances).

    Parameters
    ----------
    x : array_like, shape (..., d)
    mean_p, mean_q : array_like, shape (d,)
    cov_p : array_like, shape (d, d)
        Symmetric positive definite.
    cov_q : array_like, shape (d, d)
        Symmetric positive semi-definite.

    Returns
    -------
    ndarray, shape (..., d)

    Raises
    ------
    InvalidInput
        See :func:`gaussian_map_matrix`; also mismatched dimensions.

    Examples
    --------
    >>> gaussian_brenier_map([[1.0, 1.0]], [0, 0], [[1, 0], [0, 4]], [1, 1], [[9, 0], [0, 1]])
    array([[4. , 1.5]])
    """
    x, mp, mq, A = _general_args(x, mean_p, cov_p, mean_q, cov_q)
    return mq + (x - mp) @ A


def gaussian_brenier_potential(x, mean_p, cov_p, mean_q, cov_q) -> np.ndarray:
    r"""Convex potential ``phi(x) = 1/2 (x - m_p)^T A (x - m_p) + <m_q, x>`` with grad = T.

    Parameters
    ----------
    x : array_like, shape (..., d)
    mean_p, mean_q : array_like, shape (d,)
    cov_p : array_like, shape (d, d)
        Symmetric positive definite.
    cov_q : array_like, shape (d, d)
        Symmetric positive semi-definite.

    Returns
    -------
    ndarray, shape (...)

    Raises
    ------
    InvalidInput
        See :func:`gaussian_map_matrix`; also mismatched dimensions.

    Examples
    --------
    >>> gaussian_brenier_potential([[1.0, 1.0]], [0, 0], [[1, 0], [0, 4]], [1, 1],
    ...                            [[9, 0], [0, 1]])
    array([3.75])
    """
    x, mp, mq, A = _general_args(x, mean_p, cov_p, mean_q, cov_q)
    diff = x - mp
    return 0.5 * np.einsum("...i,ij,...j->...", diff, A, diff) + x @ mq


def gaussian_w2(mean_p, cov_p, mean_q, cov_q) -> float:
    r"""Wasserstein-2 distance between two Gaussians (Bures-Wasserstein), not squared.

    .. math::

        W_2^2 = \|m_p - m_q\|^2
        + \operatorname{tr}\big(S_p + S_q - 2 (S_p^{1/2} S_q S_p^{1/2})^{1/2}\big).

    Parameters
    ----------
    mean_p, mean_q : array_like, shape (d,)
    cov_p, cov_q : array_like, shape (d, d)
        Symmetric positive semi-definite covariances (degenerate ones allowed).

    Returns
    -------
    float
        ``W2`` itself, as POT's ``ot.gaussian.bures_wasserstein_distance``.

    Raises
    ------
    InvalidInput
        Covariances not symmetric PSD, mismatched dimensions.

    Examples
    --------
    >>> gaussian_w2([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], [3.0, 4.0], [[4.0, 0.0], [0.0, 4.0]])
    5.196152422706632
    >>> 27 ** 0.5  # |m_p - m_q|^2 = 25, trace term 1 + 1 (sigma 1 vs 2 in each of 2 axes)
    5.196152422706632
    """
    mp = _mean("mean_p", mean_p)
    mq = _mean("mean_q", mean_q, dim=mp.size)
    Sp = check_covariance("cov_p", cov_p, dim=mp.size)
    Sq = check_covariance("cov_q", cov_q, dim=mp.size)
    Sp_half = _sqrtm_psd(Sp)
    cross = _sqrtm_psd(Sp_half @ Sq @ Sp_half)
    bures = float(np.trace(Sp) + np.trace(Sq) - 2.0 * np.trace(cross))
    return float(np.sqrt(float(np.sum((mp - mq) ** 2)) + max(bures, 0.0)))


def sample_gaussian(n, mean, cov, seed) -> np.ndarray:
    r"""``n`` deterministic samples of ``N(mean, cov)`` (same seed, same points).

    Parameters
    ----------
    n : int
        Number of samples, ``1 <= n <= 1_000_000`` and ``n * d <= MAX_SAMPLE_VALUES``
        (4 000 000).
    mean : array_like, shape (d,)
        ``d <= MAX_DIM`` (1024).
    cov : array_like, shape (d, d)
        Symmetric positive semi-definite covariance.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    X : ndarray, shape (n, d)
        ``mean + Z L^T`` with ``Z`` standard normal and ``L L^T = cov``.

    Raises
    ------
    InvalidInput
        Bad ``n`` or ``seed``, too many values, covariance not symmetric PSD, mismatched
        dimensions.

    Examples
    --------
    >>> X = sample_gaussian(20000, [1.0, -1.0], [[1.0, 0.5], [0.5, 2.0]], seed=0)
    >>> X.shape, bool(np.allclose(X.mean(0), [1, -1], atol=0.05))
    ((20000, 2), True)
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= MAX_SAMPLES:
        raise InvalidInput(f"n must be a whole number between 1 and {MAX_SAMPLES}, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidInput(f"seed must be a non-negative whole number, got {seed!r}")
    m = _mean("mean", mean)
    if int(n) * m.size > MAX_SAMPLE_VALUES:
        raise InvalidInput(
            f"{n} samples in dimension {m.size} would be {int(n) * m.size} values; at most "
            f"{MAX_SAMPLE_VALUES} are supported: draw fewer samples"
        )
    S = check_covariance("cov", cov, dim=m.size)
    w, V = np.linalg.eigh(S)
    L = V * np.sqrt(np.clip(w, 0.0, None))
    Z = np.random.default_rng(int(seed)).standard_normal((int(n), m.size))
    return m + Z @ L.T


def gaussian_density(x, mean, cov) -> np.ndarray:
    r"""Density of ``N(mean, cov)`` at the points ``x``.

    .. math::  \rho(x) = (2\pi)^{-d/2} \det(\Sigma)^{-1/2}
               \exp\big(-\tfrac12 (x - \mu)^\top \Sigma^{-1} (x - \mu)\big)

    Parameters
    ----------
    x : array_like, shape (..., d)
    mean : array_like, shape (d,)
    cov : array_like, shape (d, d)
        Symmetric positive definite.

    Returns
    -------
    ndarray, shape (...)

    Raises
    ------
    InvalidInput
        A singular or non-symmetric ``cov``, mismatched dimensions, NaN or infinite values.

    Examples
    --------
    >>> float(gaussian_density([0.0, 0.0], [0, 0], [[1, 0], [0, 1]]))  # 1 / (2 pi)
    0.15915494309189535
    """
    m = _mean("mean", mean)
    S = check_covariance("cov", cov, dim=m.size, definite=True)
    diff = _points(x, m.size) - m
    L = np.linalg.cholesky(S)
    # Solve L z = diff for every point: |z|^2 is the squared Mahalanobis distance.
    z = np.linalg.solve(L, diff.reshape(-1, m.size).T).T.reshape(diff.shape)
    log_norm = 0.5 * m.size * np.log(2 * np.pi) + np.log(np.diag(L)).sum()
    return np.exp(-0.5 * np.einsum("...i,...i->...", z, z) - log_norm)


def gaussian_brenier_conjugate(y, mean_p, cov_p, mean_q, cov_q) -> np.ndarray:
    r"""Convex conjugate ``phi*(y) = sup_x <x, y> - phi(x)`` of :func:`gaussian_brenier_potential`.

    With ``T(x) = m_q + A (x - m_p)`` the supremum is reached where ``T(x) = y``, which gives

    .. math::

        \varphi^*(y) = \tfrac12 (y - m_q)^\top A^{-1} (y - m_q) + \langle m_p, y - m_q\rangle .

    ``phi(x) + phi*(y) >= <x, y>`` for all ``x, y`` (Fenchel-Young), with equality exactly on the
    graph ``y = T(x)``: the complementary slackness behind Brenier's theorem.

    Parameters
    ----------
    y : array_like, shape (..., d)
    mean_p, mean_q : array_like, shape (d,)
    cov_p, cov_q : array_like, shape (d, d)
        Symmetric positive definite (``A`` must be invertible).

    Returns
    -------
    ndarray, shape (...)

    Raises
    ------
    InvalidInput
        A singular covariance, mismatched dimensions, NaN or infinite values.

    Examples
    --------
    >>> y = gaussian_brenier_map([[1.0, 1.0]], [0, 0], [[1, 0], [0, 4]], [1, 1], [[9, 0], [0, 1]])
    >>> phi = gaussian_brenier_potential([[1.0, 1.0]], [0, 0], [[1, 0], [0, 4]], [1, 1],
    ...                                  [[9, 0], [0, 1]])
    >>> phi_star = gaussian_brenier_conjugate(y, [0, 0], [[1, 0], [0, 4]], [1, 1],
    ...                                       [[9, 0], [0, 1]])
    >>> float((phi + phi_star - y @ [1.0, 1.0])[0])  # equality on the graph of T
    0.0
    """
    check_covariance("cov_q", cov_q, definite=True)
    y, mp, mq, A = _general_args(y, mean_p, cov_p, mean_q, cov_q)
    diff = y - mq
    u = np.linalg.solve(A, diff.reshape(-1, mp.size).T).T.reshape(diff.shape)
    return 0.5 * np.einsum("...i,...i->...", diff, u) + diff @ mp


@dataclass(frozen=True)
class MongeAmpere:
    """Both sides of ``p(x) = q(grad phi(x)) det D^2 phi(x)`` at one point.

    Attributes
    ----------
    x, tx : tuple of float
        The point and its image ``T(x) = grad phi(x)``.
    p_x : float
        The source density at ``x`` (left side).
    q_tx : float
        The target density at ``T(x)``.
    det_hessian : float
        ``det D^2 phi(x)``, the Jacobian of the map (constant for Gaussians).
    """

    x: tuple[float, ...]
    tx: tuple[float, ...]
    p_x: float
    q_tx: float
    det_hessian: float

    @property
    def rhs(self) -> float:
        """Right side, ``q(T(x)) det D^2 phi(x)``."""
        return self.q_tx * self.det_hessian

    @property
    def relative_gap(self) -> float:
        """``|p(x) - rhs| / p(x)`` (0 where both sides vanish)."""
        if self.p_x == 0.0:
            return 0.0 if self.rhs == 0.0 else float("inf")
        return abs(self.p_x - self.rhs) / self.p_x


def monge_ampere(x, mean_p, cov_p, mean_q, cov_q) -> MongeAmpere:
    r"""The Monge-Ampere identity of the Gaussian Brenier map, both sides computed apart.

    A map ``T`` pushes ``p`` onto ``q`` when mass is conserved in every small region, which for a
    smooth one-to-one ``T = grad phi`` reads (change of variables)

    .. math::  p(x) = q(\nabla\varphi(x)) \, \det D^2\varphi(x) .

    The left side is ``p``'s density at ``x``; the right side evaluates ``q``'s density at the
    mapped point and multiplies by the determinant of the Hessian ``D^2 phi = A``. Neither side
    uses the other, so their agreement checks the map.

    Parameters
    ----------
    x : array_like, shape (d,)
        One point.
    mean_p, mean_q : array_like, shape (d,)
    cov_p, cov_q : array_like, shape (d, d)
        Symmetric positive definite (both measures need a density).

    Returns
    -------
    MongeAmpere

    Raises
    ------
    InvalidInput
        ``x`` not one point of the means' dimension, a singular covariance, NaN or infinite
        values.

    Examples
    --------
    >>> s = monge_ampere([0.5, -0.2], [0, 0], [[1, 0], [0, 1]], [1, 0], [[4, 0], [0, 4]])
    >>> s.det_hessian, round(s.p_x, 6), round(s.rhs, 6)
    (4.0, 0.137673, 0.137673)

    References
    ----------
    .. [1] C. Villani, *Topics in Optimal Transportation*, AMS, 2003, chapter 4.
    """
    point = np.asarray(_points(x, np.size(mean_p)), dtype=np.float64)
    if point.ndim != 1:
        raise InvalidInput(f"x must be one point of shape (d,), got {point.shape}")
    check_covariance("cov_q", cov_q, definite=True)
    _, mp, mq, A = _general_args(point, mean_p, cov_p, mean_q, cov_q)
    tx = mq + A @ (point - mp)
    return MongeAmpere(
        x=tuple(float(v) for v in point),
        tx=tuple(float(v) for v in tx),
        p_x=float(gaussian_density(point, mean_p, cov_p)),
        q_tx=float(gaussian_density(tx, mean_q, cov_q)),
        det_hessian=float(np.linalg.det(A)),
    )
