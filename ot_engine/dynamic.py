r"""Transport as a fluid: the Benamou-Brenier (dynamic) picture, on the line and for Gaussians.

Benamou and Brenier (2000) write the quadratic cost as the least kinetic energy of a flow
that carries the source density onto the target one:

.. math::

    W_2^2(\mu, \nu) = \min_{\rho, v} \int_0^1 \!\! \int \rho_t(x) |v_t(x)|^2 \,dx\,dt
    \quad\text{subject to}\quad \partial_t \rho + \nabla\cdot(\rho v) = 0,\;
    \rho_0 = \mu,\; \rho_1 = \nu.

The minimizer is the displacement interpolation: particles move on straight lines at constant
speed, ``X_t(x) = x + t (T(x) - x)`` with ``T`` the optimal map, so ``rho_t = (X_t)_# mu`` and
the Eulerian velocity is ``v_t(X_t(x)) = T(x) - x``, i.e. ``v_t = (T - I) o X_t^{-1}``.

On the line (:func:`density_flow_1d`) the histograms are read as densities, constant on each
of ``n`` equal bins of ``[0, 1]``. Their quantile functions are piecewise linear, and so is
``X_t`` along the level axis: on each level piece, ``rho_t`` is constant (the harmonic
interpolation of the matched densities) and ``v_t`` is linear, so every frame is exact.
:func:`flow_grid_1d` then samples ``rho`` and ``v`` on a space-time grid and computes, by
finite differences and quadrature, the continuity residual and the kinetic energy, whose
distance to the exact ``W_2^2`` is the discretization error (it shrinks as the grid refines).

For Gaussians (:func:`gaussian_flow`) everything is closed form: with ``T(x) = m_1 + A (x -
m_0)``, ``rho_t = N(m_t, S_t)`` where ``m_t = (1-t) m_0 + t m_1`` and ``S_t = A_t S_0 A_t``,
``A_t = (1-t) I + t A``, and ``v_t(x) = (m_1 - m_0) + (A - I) A_t^{-1} (x - m_t)``.
:func:`gaussian_flow_grid` integrates ``rho |v|^2`` on a box grid, beside the Bures formula.

References: J.-D. Benamou and Y. Brenier, Numer. Math. 84 (2000) 375-393; R. J. McCann,
Adv. Math. 128 (1997) 153-179 (displacement interpolation); F. Santambrogio, *Optimal
Transport for Applied Mathematicians* (2015), ch. 5 and 6.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .gaussian import gaussian_map_matrix, gaussian_w2
from .results import frozen_array
from .validation import InvalidInput, check_covariance, check_histogram, check_mean

__all__ = [
    "DensityFlow1D",
    "FlowGrid",
    "GaussianFlow",
    "density_flow_1d",
    "flow_grid_1d",
    "gaussian_box",
    "gaussian_flow",
    "gaussian_flow_grid",
]

#: Level pieces lighter than this are rounding slivers of two cumulative sums, not mass.
PIECE_TOL = 1e-12
#: Largest space or time grid a caller may ask for (memory: nt * nx values, a few MB).
MAX_GRID = 4096


def _check_grid_size(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidInput(f"{name} must be an integer")
    if not 2 <= int(value) <= MAX_GRID:
        raise InvalidInput(f"{name} must be between 2 and {MAX_GRID}; got {int(value)}")
    return int(value)


def _check_time(t) -> float:
    try:
        t = float(t)
    except (TypeError, ValueError):
        raise InvalidInput("t must be a number between 0 and 1") from None
    if not 0.0 <= t <= 1.0:  # also refuses NaN
        raise InvalidInput(f"t must be between 0 and 1; got {t}")
    return t


# --- on the line ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DensityFlow1D:
    """The displacement interpolation between two piecewise-constant densities on ``[0, 1]``.

    Level pieces ``(s_lo[k], s_hi[k])`` tile ``[0, 1]``; on piece ``k`` the source quantile
    runs linearly from ``src_lo[k]`` to ``src_hi[k]`` and the target one from ``tgt_lo[k]``
    to ``tgt_hi[k]`` (one-sided limits: a quantile jumps across an empty bin).

    Attributes
    ----------
    s_lo, s_hi, src_lo, src_hi, tgt_lo, tgt_hi : ndarray, shape (k,)
    w2_squared : float
        ``int_0^1 (G^{-1}(s) - F^{-1}(s))^2 ds``, integrated exactly piece by piece (the
        integrand is the square of a linear function on each).
    """

    s_lo: np.ndarray
    s_hi: np.ndarray
    src_lo: np.ndarray
    src_hi: np.ndarray
    tgt_lo: np.ndarray
    tgt_hi: np.ndarray
    w2_squared: float

    @property
    def mass(self) -> np.ndarray:
        return self.s_hi - self.s_lo

    def frame(self, t) -> dict[str, np.ndarray]:
        """The exact ``rho_t`` and ``v_t`` at time ``t``: per piece, the interval ``[left,
        right]`` it occupies, its constant density ``rho`` and the velocity at both ends
        (``v_lo``, ``v_hi``; linear in between). Outside the pieces ``rho_t = 0``.

        >>> d = density_flow_1d([1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0])
        >>> f = d.frame(0.5)
        >>> f["left"].tolist(), f["right"].tolist(), f["rho"].tolist()
        ([0.25, 0.5], [0.5, 0.75], [2.0, 2.0])
        """
        t = _check_time(t)
        left = (1 - t) * self.src_lo + t * self.tgt_lo
        right = (1 - t) * self.src_hi + t * self.tgt_hi
        return {
            "left": left,
            "right": right,
            "rho": self.mass / (right - left),
            "v_lo": self.tgt_lo - self.src_lo,
            "v_hi": self.tgt_hi - self.src_hi,
        }

    def cdf(self, t, y) -> np.ndarray:
        """``H_t(y)``: the mass of ``rho_t`` left of ``y`` (piecewise linear, exact)."""
        return self._fields(_check_time(t), y)[0]

    def density_flux(self, t, y) -> tuple[np.ndarray, np.ndarray]:
        """``rho_t(y)`` and ``v_t(y)`` at points ``y`` (``v = 0`` where ``rho = 0``)."""
        _, rho, v = self._fields(_check_time(t), y)
        return rho, v

    def _fields(self, t, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``H_t``, ``rho_t`` and ``v_t`` at points ``y`` (shape (m,)) for one time ``t`` (shape
        (m,) results) or an array of times (shape (len(t), m)): one search for all of them."""
        times = np.atleast_1d(np.asarray(t, dtype=np.float64))[:, None]
        y = np.atleast_1d(np.asarray(y, dtype=np.float64))
        left = (1 - times) * self.src_lo + times * self.tgt_lo  # (T, K)
        right = (1 - times) * self.src_hi + times * self.tgt_hi
        K = left.shape[1]
        xb = np.stack([left, right], axis=-1).reshape(times.shape[0], 2 * K)  # rows sorted
        # one sorted array for every time: row r shifted by r * gap, above any row before it
        gap = 2.0 * (1.0 + max(float(np.abs(xb).max()), float(np.abs(y).max(initial=0.0))))
        shift = gap * np.arange(times.shape[0])[:, None]
        k = np.searchsorted((xb + shift).ravel(), (y + shift).ravel(), side="right")
        k = k.reshape(times.shape[0], y.size) - 2 * K * np.arange(times.shape[0])[:, None]
        inside = (k % 2 == 1) & (k < 2 * K)
        piece = np.clip((k - 1) // 2, 0, K - 1)
        lo = np.take_along_axis(left, piece, axis=1)
        width = np.take_along_axis(right, piece, axis=1) - lo
        u = np.clip((y - lo) / width, 0.0, 1.0)
        s_lo, s_hi = self.s_lo[piece], self.s_hi[piece]
        # left of a piece's start (a gap, or before the first): all the mass of earlier pieces
        H = np.where(k == 0, 0.0, np.where(inside, s_lo + u * (s_hi - s_lo), s_hi))
        v_lo, v_hi = self.tgt_lo - self.src_lo, self.tgt_hi - self.src_hi
        v = np.where(inside, (1 - u) * v_lo[piece] + u * v_hi[piece], 0.0)
        rho = np.where(inside, (s_hi - s_lo) / width, 0.0)
        if np.ndim(t) == 0:
            return H[0], rho[0], v[0]
        return H, rho, v


def _quantile_ends(edges, w, s_lo, s_hi):
    """Values of the quantile of the density with bin masses ``w`` at both ends of each
    level piece (inside the piece: the bin holding its midpoint)."""
    F = np.concatenate(([0.0], np.cumsum(w)))
    F[-1] = 1.0
    mid = 0.5 * (s_lo + s_hi)
    i = np.clip(np.searchsorted(F, mid, side="right") - 1, 0, w.size - 1)
    h = edges[i + 1] - edges[i]
    lo = edges[i] + (s_lo - F[i]) / w[i] * h
    hi = edges[i] + (s_hi - F[i]) / w[i] * h
    # rounding can push an end a hair outside its bin
    return np.clip(lo, edges[i], edges[i + 1]), np.clip(hi, edges[i], edges[i + 1])


def density_flow_1d(p, q) -> DensityFlow1D:
    r"""Displacement interpolation between the densities with bar heights ``p`` and ``q``.

    Each histogram is read as a density constant on each of its ``n`` equal bins of
    ``[0, 1]`` (normalized to unit mass). The source CDF ``F`` and the target CDF ``G`` are
    piecewise linear; between consecutive values of either (the level pieces) both quantile
    functions are linear, hence so is ``X_t = (1 - t) F^{-1} + t G^{-1}``, and

    .. math::

        W_2^2 = \int_0^1 |G^{-1}(s) - F^{-1}(s)|^2 ds
              = \sum_k (s_{k+1} - s_k) \frac{d_k^2 + d_k d_k' + d_k'^2}{3},

    with ``d_k, d_k'`` the displacement at both ends of piece ``k``.

    Parameters
    ----------
    p, q : array_like, shape (n,)
        Non-negative bar heights with positive total, the same ``n`` (2 to 65536).

    Returns
    -------
    DensityFlow1D

    Raises
    ------
    InvalidInput
        Bad histograms (negative, NaN, empty mass) or different lengths.

    See Also
    --------
    ot_engine.interpolation.displacement_1d : the same geodesic with each bar read as an
        atom at its grid point (the /interpolation page's model).

    Examples
    --------
    Half the mass on the left half, moved to the right half: every particle moves by 1/2.

    >>> d = density_flow_1d([1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0])
    >>> round(d.w2_squared, 12)
    0.25
    """
    a = check_histogram("p", p)
    b = check_histogram("q", q)
    if a.size != b.size:
        raise InvalidInput(f"p and q must have the same number of bins; got {a.size} and {b.size}")
    a, b = a / a.sum(), b / b.sum()
    edges = np.linspace(0.0, 1.0, a.size + 1)
    levels = np.union1d(np.cumsum(a), np.cumsum(b))
    levels = np.concatenate(([0.0], levels[(levels > 0) & (levels < 1 - PIECE_TOL)], [1.0]))
    s_lo, s_hi = levels[:-1], levels[1:]
    keep = s_hi - s_lo > PIECE_TOL
    s_lo, s_hi = s_lo[keep], s_hi[keep]
    # consecutive kept pieces must tile [0, 1]: close the slivers dropped between them
    s_lo = np.concatenate(([0.0], s_hi[:-1]))
    src_lo, src_hi = _quantile_ends(edges, a, s_lo, s_hi)
    tgt_lo, tgt_hi = _quantile_ends(edges, b, s_lo, s_hi)
    d_lo, d_hi = tgt_lo - src_lo, tgt_hi - src_hi
    w2 = float(np.sum((s_hi - s_lo) * (d_lo**2 + d_lo * d_hi + d_hi**2) / 3.0))
    return DensityFlow1D(
        *(frozen_array(v) for v in (s_lo, s_hi, src_lo, src_hi, tgt_lo, tgt_hi)), w2_squared=w2
    )


@dataclass(frozen=True, eq=False)
class FlowGrid:
    """Fields of a flow sampled on a grid, and what the grid makes of the dynamic problem.

    Attributes
    ----------
    times : ndarray, shape (nt + 1,)
        ``0 = t_0 < ... < t_nt = 1``.
    rho : ndarray, shape (nt + 1, nx) (1-D) or (nt + 1, nx, nx) (Gaussians)
        The density on the grid's cells (1-D: cell averages, exact).
    energy : float
        The kinetic energy ``int_0^1 int rho |v|^2 dx dt`` by quadrature on the grid.
    exact : float
        ``W_2^2`` by the closed form (quantile or Bures formula).
    residual : float
        Size of the continuity residual ``d_t rho + div(rho v)`` by finite differences (1-D:
        integrated once in space, see :func:`flow_grid_1d`; Gaussians: its L1 norm over the
        box and time), relative to ``residual_scale``.
    residual_scale : float
        The same norm of the flux term alone (what the residual is small *compared with*).
    nx, nt : int
    compute_time : float
        Seconds.
    """

    times: np.ndarray
    rho: np.ndarray
    energy: float
    exact: float
    residual: float
    residual_scale: float
    nx: int
    nt: int
    compute_time: float

    @property
    def energy_error(self) -> float:
        """``|energy - exact|``: the discretization error of the quadrature, computed."""
        return abs(self.energy - self.exact)

    @property
    def relative_residual(self) -> float:
        return self.residual / self.residual_scale if self.residual_scale > 0 else 0.0


def _trapezoid_weights(nt: int) -> np.ndarray:
    w = np.full(nt + 1, 1.0 / nt)
    w[[0, -1]] *= 0.5
    return w


def flow_grid_1d(d: DensityFlow1D, nx: int, nt: int) -> FlowGrid:
    r"""Sample the flow ``d`` on ``nx`` cells of ``[0, 1]`` at ``nt + 1`` times, and check it.

    * ``rho[k, j]``: the exact mass of ``rho_{t_k}`` in cell ``j`` over its width;
    * the kinetic energy: ``sum_k w_k sum_j rho[k, j] v_{t_k}(c_j)^2 dx`` (trapezoid in time,
      midpoint in space at the cell centres ``c_j``);
    * the continuity residual by finite differences, ``r[k, j] = (rho[k+1, j] - rho[k, j]) /
      dt + (phi_{j+1} - phi_j) / dx`` with the flux ``phi = rho v`` at the cell faces averaged
      over the two times. ``rho_t`` is piecewise constant and its jumps move, so the pointwise
      residual does not shrink at a jump; its running sum over cells, ``R[k, J] = sum_{j<J}
      r[k, j] dx`` (the residual tested against steps, a weak norm), does. The reported size
      is ``sum_{k, J} |R[k, J]| dx dt``, beside ``residual_scale = sum |phi| dx dt``.

    The residual shrinks like the grid step (first order, from the jumps); the energy error
    at least as fast, and like its square on most histograms (the tests check that both shrink).

    Parameters
    ----------
    d : DensityFlow1D
    nx, nt : int
        Cells and time steps, 2 to ``MAX_GRID``.

    Returns
    -------
    FlowGrid

    Raises
    ------
    InvalidInput
        Grid sizes out of range.

    Examples
    --------
    >>> d = density_flow_1d([1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0])
    >>> g = flow_grid_1d(d, 64, 64)
    >>> round(g.exact, 12), round(g.energy_error, 6), round(g.relative_residual, 4)
    (0.25, 0.001953, 0.031)
    """
    if not isinstance(d, DensityFlow1D):
        raise InvalidInput("d must be a DensityFlow1D (from density_flow_1d)")
    nx, nt = _check_grid_size("nx", nx), _check_grid_size("nt", nt)
    started = time.perf_counter()
    faces = np.linspace(0.0, 1.0, nx + 1)
    centres = 0.5 * (faces[:-1] + faces[1:])
    dx, dt = 1.0 / nx, 1.0 / nt
    times = np.linspace(0.0, 1.0, nt + 1)
    Hp, rho_p, v_p = d._fields(times, np.concatenate([faces, centres]))  # (nt + 1, 2 nx + 1)
    H = Hp[:, : nx + 1]
    flux = rho_p[:, : nx + 1] * v_p[:, : nx + 1]
    kinetic = np.sum(np.diff(H, axis=1) * v_p[:, nx + 1 :] ** 2, axis=1)  # rho dx: cell mass
    rho = np.diff(H, axis=1) / dx
    energy = float(_trapezoid_weights(nt) @ kinetic)
    phi = 0.5 * (flux[1:] + flux[:-1])  # faces, between consecutive times
    # running sum of r dx over cells: (H[k+1] - H[k]) / dt + phi_J - phi_0 at face J
    running = (H[1:] - H[:-1]) / dt + phi - phi[:, :1]
    residual = float(np.abs(running).sum() * dx * dt)
    scale = float(np.abs(phi).sum() * dx * dt)
    return FlowGrid(
        times=frozen_array(times),
        rho=frozen_array(rho),
        energy=energy,
        exact=d.w2_squared,
        residual=residual,
        residual_scale=scale,
        nx=nx,
        nt=nt,
        compute_time=time.perf_counter() - started,
    )


# --- Gaussians --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GaussianFlow:
    """The displacement interpolation between ``N(m0, S0)`` and ``N(m1, S1)`` (closed form).

    Attributes
    ----------
    m0, m1 : ndarray, shape (d,)
    S0, S1 : ndarray, shape (d, d)
    A : ndarray, shape (d, d)
        Linear part of the optimal map ``T(x) = m1 + A (x - m0)``.
    w2_squared : float
        The Bures formula, :func:`ot_engine.gaussian_w2` squared.
    """

    m0: np.ndarray
    m1: np.ndarray
    S0: np.ndarray
    S1: np.ndarray
    A: np.ndarray
    w2_squared: float

    def _At(self, t: float) -> np.ndarray:
        return (1 - t) * np.eye(self.m0.size) + t * self.A

    def mean(self, t) -> np.ndarray:
        t = _check_time(t)
        return (1 - t) * self.m0 + t * self.m1

    def cov(self, t) -> np.ndarray:
        """``S_t = A_t S_0 A_t`` with ``A_t = (1 - t) I + t A``."""
        At = self._At(_check_time(t))
        return At @ self.S0 @ At

    def density(self, t, x) -> np.ndarray:
        """``rho_t(x)``, the density of ``N(m_t, S_t)``, at points ``x`` of shape (..., d)."""
        m, S = self.mean(t), self.cov(t)
        diff = np.asarray(x, dtype=np.float64) - m
        sol = np.linalg.solve(S, diff.reshape(-1, m.size).T).T.reshape(diff.shape)
        quad = np.sum(diff * sol, axis=-1)
        norm = np.sqrt((2 * np.pi) ** m.size * np.linalg.det(S))
        return np.exp(-0.5 * quad) / norm

    def velocity(self, t, x) -> np.ndarray:
        """``v_t(x) = (T - I)(X_t^{-1}(x)) = (m1 - m0) + (A - I) A_t^{-1} (x - m_t)``."""
        t = _check_time(t)
        m = self.mean(t)
        B = (self.A - np.eye(m.size)) @ np.linalg.inv(self._At(t))
        diff = np.asarray(x, dtype=np.float64) - m
        return (self.m1 - self.m0) + diff @ B.T

    def kinetic_energy(self) -> float:
        r"""``int rho_t |v_t|^2 dx = |m1 - m0|^2 + tr((A - I) S0 (A - I))`` (the same at
        every ``t``): equal to :attr:`w2_squared` because ``A S0 A = S1``."""
        B = self.A - np.eye(self.m0.size)
        return float(np.sum((self.m1 - self.m0) ** 2) + np.trace(B @ self.S0 @ B))


def gaussian_flow(m0, S0, m1, S1) -> GaussianFlow:
    r"""The dynamic picture between two Gaussians, from the map of :mod:`ot_engine.gaussian`.

    Parameters
    ----------
    m0, m1 : array_like, shape (d,)
    S0 : array_like, shape (d, d)
        Source covariance, symmetric positive definite.
    S1 : array_like, shape (d, d)
        Target covariance, symmetric positive definite (``A_t`` is then invertible for
        every ``t`` in ``[0, 1]``).

    Returns
    -------
    GaussianFlow

    Raises
    ------
    InvalidInput
        Bad means or covariances.

    Examples
    --------
    >>> I = [[1.0, 0.0], [0.0, 1.0]]
    >>> g = gaussian_flow([0.0, 0.0], I, [3.0, 0.0], [[4.0, 0.0], [0.0, 1.0]])
    >>> round(g.w2_squared, 12), round(g.kinetic_energy(), 12)
    (10.0, 10.0)
    >>> g.velocity(0.5, [[1.5, 0.0], [3.0, 0.0]]).round(6).tolist()
    [[3.0, 0.0], [4.0, 0.0]]
    """
    m0 = check_mean("m0", m0)
    m1 = check_mean("m1", m1, dim=m0.size)
    S0 = check_covariance("S0", S0, dim=m0.size, definite=True)
    S1 = check_covariance("S1", S1, dim=m0.size, definite=True)
    A = gaussian_map_matrix(S0, S1)
    w2 = gaussian_w2(m0, S0, m1, S1) ** 2
    return GaussianFlow(*(frozen_array(v) for v in (m0, m1, S0, S1, A)), w2_squared=w2)


def gaussian_flow_grid(g: GaussianFlow, nx: int, nt: int, *, box=None) -> FlowGrid:
    r"""Sample a 2-D Gaussian flow on an ``nx x nx`` grid of a box at ``nt + 1`` times.

    The kinetic energy is the midpoint rule in space (cell centres) and the trapezoid in
    time; the continuity residual ``d_t rho + div(rho v)`` is central differences in space
    and time at the interior nodes (``rho`` and ``v`` are smooth here), its L1 norm beside
    that of ``div(rho v)``. Both errors shrink as the grid refines (the box, 6 standard
    deviations around every ``rho_t``, makes truncation negligible).

    Parameters
    ----------
    g : GaussianFlow
        In two dimensions.
    nx, nt : int
    box : tuple of 4 floats, optional
        ``(x0, x1, y0, y1)``; by default it holds ``m_t +- 6 sqrt(max eigenvalue of S_t)``
        for every ``t``.

    Returns
    -------
    FlowGrid
        ``rho`` has shape ``(nt + 1, nx, nx)``, indexed ``[k, row (y), column (x)]``.

    Examples
    --------
    >>> I = [[1.0, 0.0], [0.0, 1.0]]
    >>> g = gaussian_flow([0.0, 0.0], I, [3.0, 0.0], [[4.0, 0.0], [0.0, 1.0]])
    >>> r = gaussian_flow_grid(g, 96, 16)
    >>> r.energy_error < 1e-6, r.relative_residual < 0.01
    (True, True)
    """
    if not isinstance(g, GaussianFlow) or g.m0.size != 2:
        raise InvalidInput("g must be a two-dimensional GaussianFlow (from gaussian_flow)")
    nx, nt = _check_grid_size("nx", nx), _check_grid_size("nt", nt)
    if nx > 1024:
        raise InvalidInput(f"nx must be at most 1024 in two dimensions; got {nx}")
    started = time.perf_counter()
    times = np.linspace(0.0, 1.0, nt + 1)
    if box is None:
        box = gaussian_box(g)
    x0, x1, y0, y1 = (float(v) for v in box)
    hx, hy = (x1 - x0) / nx, (y1 - y0) / nx
    xs = x0 + hx * (np.arange(nx) + 0.5)
    ys = y0 + hy * (np.arange(nx) + 0.5)
    X = np.stack(np.meshgrid(xs, ys), axis=-1)
    rho = np.empty((nt + 1, nx, nx))
    flux = np.empty((nt + 1, nx, nx, 2))
    kinetic = np.empty(nt + 1)
    for k, t in enumerate(times):
        rho[k] = g.density(t, X)
        v = g.velocity(t, X)
        flux[k] = rho[k][..., None] * v
        kinetic[k] = float(np.sum(rho[k] * np.sum(v * v, axis=-1)) * hx * hy)
    energy = float(_trapezoid_weights(nt) @ kinetic)
    dt = 1.0 / nt
    # central differences at interior nodes and interior times
    drho_dt = (rho[2:, 1:-1, 1:-1] - rho[:-2, 1:-1, 1:-1]) / (2 * dt)
    div = (flux[1:-1, 1:-1, 2:, 0] - flux[1:-1, 1:-1, :-2, 0]) / (2 * hx) + (
        flux[1:-1, 2:, 1:-1, 1] - flux[1:-1, :-2, 1:-1, 1]
    ) / (2 * hy)
    cell = hx * hy * dt
    residual = float(np.abs(drho_dt + div).sum() * cell)
    scale = float(np.abs(div).sum() * cell)
    return FlowGrid(
        times=frozen_array(times),
        rho=frozen_array(rho),
        energy=energy,
        exact=g.w2_squared,
        residual=residual,
        residual_scale=scale,
        nx=nx,
        nt=nt,
        compute_time=time.perf_counter() - started,
    )


def gaussian_box(g: GaussianFlow, spread: float = 6.0) -> tuple[float, float, float, float]:
    """A box holding ``m_t +- spread * sigma_max(t)`` for all ``t`` (checked at 33 times).

    >>> I = [[1.0, 0.0], [0.0, 1.0]]
    >>> g = gaussian_flow([0.0, 0.0], I, [3.0, 0.0], [[1.0, 0.0], [0.0, 1.0]])
    >>> gaussian_box(g)
    (-6.0, 9.0, -6.0, 6.0)
    """
    lo, hi = np.full(2, np.inf), np.full(2, -np.inf)
    for t in np.linspace(0.0, 1.0, 33):
        r = spread * np.sqrt(np.linalg.eigvalsh(g.cov(t)).max())
        m = g.mean(t)
        lo, hi = np.minimum(lo, m - r), np.maximum(hi, m + r)
    return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
