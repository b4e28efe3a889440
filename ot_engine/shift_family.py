"""Divergences between a fixed bump and a sliding one, as functions of the shift.

The page "KL versus Wasserstein" compares a fixed distribution ``p`` with a bump
``q_s(x) = g((x - s))`` slid along the line by ``s``. This module computes, for one bump shape
and width, every divergence over a whole range of shifts (for the curves) and at one shift (for
the readouts), their derivatives with respect to the shift, and the optimal 1-Lipschitz critic of
the Kantorovich-Rubinstein dual.

Discretization
--------------
Both distributions live on one fine grid of ``N_CELLS`` cells on ``[-DOMAIN, DOMAIN]``. A cell's
mass is the exact mass the continuous density puts in it (a difference of the exact CDF at the
cell's edges), so the histogram of the sliding bump changes continuously with any real shift,
even for a box whose density jumps. A Gaussian is truncated to the domain and renormalized; the
masses are kept as logarithms so its far tail never underflows to a false zero.

Honesty about infinity: KL(p||q) is infinite exactly when ``p`` puts mass where ``q`` has none.
Whether that happens is decided from the continuous supports (intervals), not from the grid: a
sliver of ``p`` outside ``q`` thinner than a cell would otherwise give a huge *finite* histogram
value where the true value is infinite. When the supports nest, the value is the histogram's.

W1 is that of the two histograms (exact for them; the continuous value differs by O(h^2)).
W2 uses the translation identity ``W2(p, q_s)^2 = s^2 + W2(p, q_0)^2`` (both shapes are
symmetric about their centres, so the means differ by exactly ``s``), with ``W2(p, q_0)`` from the
histograms once per shape and width.

Speed: the curves' shifts step by whole cells, so :func:`shift_curves` computes the bump's cell
masses once on an extended lattice and sums cell by cell only where ``p`` is positive, with
closed forms and prefix sums elsewhere (see ``_lattice_values``; ~10 ms instead of ~200 ms per
family). :func:`divergences_at` works at any real shift and sums every cell directly; the two
agree to rounding (tested).

Derivatives: W1 and W2 analytically (for the continuous distributions); KL, JS, TV and
Hellinger by central differences with the curve's own shift step (the same formula for the
curve and for the current-shift marker).

One formula per divergence: every value here comes from the row kernels of
:mod:`ot_engine.divergences` (:func:`~ot_engine.divergences.kl_rows`,
:func:`~ot_engine.divergences.js_rows`, ...), the same code behind the single-pair
:func:`ot_engine.kl`, :func:`ot_engine.js`, ...; this module only decides which cells to feed
them (and adds the closed-form share of the cells where ``p`` is zero). The critic follows
:func:`ot_engine.kantorovich_critic_1d`'s convention (``f = 0`` at the grid's left end).

Errors: every bad argument raises :class:`ot_engine.InvalidInput` (a ``ValueError``).
"""

from __future__ import annotations

import functools
import math
import numbers
from dataclasses import dataclass

import numpy as np
from scipy.special import log_ndtr, ndtr

from .divergences import (
    CDF_TIE,
    critic_from_cdfs,
    hellinger_rows,
    js_rows,
    kl_rows,
    tv_rows,
    w1_rows,
    wasserstein_sorted,
)
from .validation import InvalidInput

__all__ = [
    "DIVERGENCES",
    "DOMAIN",
    "FIXED",
    "N_CELLS",
    "SHAPES",
    "SHIFT_RANGE",
    "SHIFT_STEP",
    "Bump",
    "Critic",
    "ShiftCurves",
    "bump_log_masses",
    "critic_1d",
    "divergences_at",
    "grid_centres",
    "grid_edges",
    "js_divergence",
    "kl_divergence",
    "overlap_density",
    "shift_curves",
    "w1_histograms",
    "w2_histograms",
]

#: Shapes a bump can take; all but the Gaussian have compact support.
SHAPES = ("gaussian", "box", "tent", "epanechnikov", "cosine")
#: Half-length of the grid's domain: wide enough that a Gaussian of width 1.5 shifted by 6 loses
#: under 1e-10 of its mass to truncation.
DOMAIN = 16.0
#: Number of grid cells (cell width h = 0.01).
N_CELLS = 3200
#: The shifts over which curves are drawn, and their step.
SHIFT_RANGE = (-6.0, 6.0)
SHIFT_STEP = 0.02
#: Divergence keys, in display order.
DIVERGENCES = ("kl_pq", "kl_qp", "js", "tv", "hellinger", "w1", "w2")
#: Grid cell width.
H = 2 * DOMAIN / N_CELLS


def _finite_number(name: str, value) -> float:
    """``value`` as a float, or :class:`InvalidInput` unless it is a finite real number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidInput(f"{name} must be a finite number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidInput(f"{name} must be a finite number, got {number}")
    return number


def _cosine_variance_factor() -> float:
    # Raised cosine (1 + cos(pi z / a)) / (2a) on [-a, a] has variance a^2 (1/3 - 2/pi^2).
    return 1.0 / math.sqrt(1.0 / 3.0 - 2.0 / math.pi**2)


#: Half-support ``a`` of each compact shape for unit standard deviation.
_HALF_SUPPORT_PER_SIGMA = {
    "box": math.sqrt(3.0),  # uniform on [-a, a]: variance a^2 / 3
    "tent": math.sqrt(6.0),  # triangle on [-a, a]: variance a^2 / 6
    "epanechnikov": math.sqrt(5.0),  # 3/(4a) (1 - z^2/a^2): variance a^2 / 5
    "cosine": _cosine_variance_factor(),
}


@dataclass(frozen=True)
class Bump:
    """A symmetric bump: ``shape``, standard deviation ``width`` and centre ``centre``."""

    shape: str
    width: float
    centre: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.shape, str) or self.shape not in SHAPES:
            raise InvalidInput(f"shape must be one of {', '.join(SHAPES)}, got {self.shape!r}")
        width = _finite_number("width", self.width)
        if width <= 0:
            raise InvalidInput(f"width must be a positive number, got {width}")
        object.__setattr__(self, "width", width)
        object.__setattr__(self, "centre", _finite_number("centre", self.centre))

    @property
    def half_support(self) -> float:
        """Half-length of the support (``inf`` for the Gaussian)."""
        if self.shape == "gaussian":
            return math.inf
        return _HALF_SUPPORT_PER_SIGMA[self.shape] * self.width

    @property
    def peak(self) -> float:
        """The density's largest value (at the centre)."""
        return float(self.density(np.array([self.centre]))[0])

    def density(self, x: np.ndarray) -> np.ndarray:
        """The continuous density at ``x``."""
        z = np.asarray(x, dtype=np.float64) - self.centre
        if self.shape == "gaussian":
            s = self.width
            return np.exp(-0.5 * (z / s) ** 2) / (s * math.sqrt(2 * math.pi))
        a = self.half_support
        t = z / a
        inside = np.abs(t) < 1.0
        if self.shape == "box":
            d = np.full_like(t, 1.0 / (2 * a))
        elif self.shape == "tent":
            d = (1.0 - np.abs(t)) / a
        elif self.shape == "epanechnikov":
            d = 0.75 * (1.0 - t**2) / a
        else:  # cosine
            d = (1.0 + np.cos(np.pi * t)) / (2 * a)
        return np.where(inside, d, 0.0)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """The continuous CDF at ``x``."""
        z = np.asarray(x, dtype=np.float64) - self.centre
        if self.shape == "gaussian":
            return ndtr(z / self.width)
        return _std_cdf(self.shape, z / self.half_support)

    def outline(self, n: int = 241) -> tuple[np.ndarray, np.ndarray]:
        """Points ``(x - centre, density)`` tracing the bump, closed to zero at both ends."""
        if self.shape == "gaussian":
            z = np.linspace(-6 * self.width, 6 * self.width, n)
        else:
            a = self.half_support
            z = np.concatenate([[-a], np.linspace(-a, a, n), [a]])
        d = self.density(z + self.centre)
        if self.shape != "gaussian":
            d[0] = d[-1] = 0.0
        return z, d


def _std_cdf(shape: str, t: np.ndarray) -> np.ndarray:
    """CDF of a compact shape on ``[-1, 1]`` at ``t`` (clipped outside)."""
    t = np.clip(t, -1.0, 1.0)
    if shape == "box":
        return 0.5 * (t + 1.0)
    if shape == "tent":
        return np.where(t < 0, 0.5 * (1 + t) ** 2, 1.0 - 0.5 * (1 - t) ** 2)
    if shape == "epanechnikov":
        return 0.5 + 0.75 * (t - t**3 / 3.0)
    return 0.5 * (t + 1.0) + np.sin(np.pi * t) / (2 * np.pi)  # cosine


#: The distribution that stays put: a tent of standard deviation 0.5 centred at 0.
FIXED = Bump("tent", 0.5, 0.0)


def grid_edges() -> np.ndarray:
    """The ``N_CELLS + 1`` cell edges of the grid."""
    return np.linspace(-DOMAIN, DOMAIN, N_CELLS + 1)


def grid_centres() -> np.ndarray:
    """The ``N_CELLS`` cell centres (where a histogram's atoms sit)."""
    e = grid_edges()
    return 0.5 * (e[:-1] + e[1:])


def _log_gauss_cell(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """log(Phi(hi) - Phi(lo)) for ``lo < hi``, accurate in both tails."""
    out = np.empty(np.broadcast(lo, hi).shape)
    lo, hi = np.broadcast_arrays(lo, hi)
    right = lo > 0  # whole cell in the right tail: use the survival side
    left = hi < 0
    mid = ~(right | left)
    a, b = -hi[right], -lo[right]  # Phi(-lo) - Phi(-hi)
    la, lb = log_ndtr(a), log_ndtr(b)
    out[right] = lb + np.log1p(-np.exp(la - lb))
    la, lb = log_ndtr(lo[left]), log_ndtr(hi[left])
    out[left] = lb + np.log1p(-np.exp(la - lb))
    out[mid] = np.log1p(-(ndtr(lo[mid]) + ndtr(-hi[mid])))
    return out


def bump_log_masses(bump: Bump, shifts=None) -> np.ndarray:
    """Log of the normalized cell masses of ``bump`` moved by each shift (``-inf`` = empty cell).

    Parameters
    ----------
    bump : Bump
        The bump at shift zero.
    shifts : array_like, optional
        Shifts added to the bump's centre; default a single zero shift.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(shifts), N_CELLS)``; each row's exponentials sum to one.
    """
    shifts = np.atleast_1d(np.asarray(0.0 if shifts is None else shifts, dtype=np.float64))
    edges = grid_edges()
    lo = edges[None, :-1] - bump.centre - shifts[:, None]
    hi = edges[None, 1:] - bump.centre - shifts[:, None]
    if bump.shape == "gaussian":
        logm = _log_gauss_cell(lo / bump.width, hi / bump.width)
    else:
        a = bump.half_support
        # Mass in the left half from the CDF, in the right half from the mirrored CDF, so
        # cells at either edge keep their tiny positive mass instead of rounding 1 - (1 - x).
        left = (lo + hi) < 0
        m_left = _std_cdf(bump.shape, hi / a) - _std_cdf(bump.shape, lo / a)
        m_right = _std_cdf(bump.shape, -lo / a) - _std_cdf(bump.shape, -hi / a)
        mass = np.where(left, m_left, m_right)
        with np.errstate(divide="ignore"):
            logm = np.log(np.maximum(mass, 0.0))
    # Renormalize each row (a Gaussian loses a sliver to truncation).
    top = logm.max(axis=1, keepdims=True)
    total = top + np.log(np.exp(logm - top).sum(axis=1, keepdims=True))
    return logm - total


# --- divergences between histograms (rows broadcast): ot_engine.divergences' kernels ------


def kl_divergence(logp: np.ndarray, logq: np.ndarray) -> np.ndarray:
    """KL(p||q) in nats between histograms given by their log masses (rows broadcast).

    :func:`ot_engine.divergences.kl_rows`.

    Examples
    --------
    >>> from ot_engine import kl
    >>> float(kl_divergence(np.log([0.5, 0.5]), np.log([0.25, 0.75]))) == kl([1, 1], [1, 3])
    True
    """
    return kl_rows(logp, logq)


def js_divergence(logp: np.ndarray, logq: np.ndarray) -> np.ndarray:
    """Jensen-Shannon divergence in nats (at most log 2), not its square root.

    :func:`ot_engine.divergences.js_rows`.
    """
    return js_rows(logp, logq)


def tv_distance(logp: np.ndarray, logq: np.ndarray) -> np.ndarray:
    """Total variation: half the L1 distance between the histograms (at most 1).

    :func:`ot_engine.divergences.tv_rows`.
    """
    return tv_rows(np.exp(logp), np.exp(logq))


def hellinger_distance(logp: np.ndarray, logq: np.ndarray) -> np.ndarray:
    """Hellinger distance ``sqrt(1/2 sum (sqrt p - sqrt q)^2)`` (at most 1).

    :func:`ot_engine.divergences.hellinger_rows`.
    """
    return hellinger_rows(np.exp(logp), np.exp(logq))


def w1_histograms(logp: np.ndarray, logq: np.ndarray) -> np.ndarray:
    """W1 between two histograms on the grid: h * sum |P - Q| over the CDFs at the cell edges.

    :func:`ot_engine.divergences.w1_rows`.
    """
    return w1_rows(np.cumsum(np.exp(logp), axis=-1), np.cumsum(np.exp(logq), axis=-1), H)


def w2_histograms(p: np.ndarray, q: np.ndarray) -> float:
    """W2 between two 1D histograms on the grid centres, from their quantile functions.

    :func:`ot_engine.divergences.wasserstein_sorted` with order 2.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    return wasserstein_sorted(grid_centres(), p / p.sum(), q / q.sum(), 2)


def _kl_support_finite(inner: Bump, outer: Bump, shifts_outer: np.ndarray) -> np.ndarray:
    """True where KL(inner || outer shifted) is finite: supp(inner) inside supp(outer)."""
    if outer.shape == "gaussian":
        return np.ones(shifts_outer.shape, dtype=bool)
    if inner.shape == "gaussian":
        return np.zeros(shifts_outer.shape, dtype=bool)
    lo_in, hi_in = inner.centre - inner.half_support, inner.centre + inner.half_support
    c = outer.centre + shifts_outer
    return (c - outer.half_support <= lo_in) & (hi_in <= c + outer.half_support)


def _floored(logm: np.ndarray, floor: float) -> np.ndarray:
    """Log masses of ``(1 - floor) * m + floor * uniform`` (the smoothing trick)."""
    if floor <= 0:
        return logm
    return np.logaddexp(logm + math.log1p(-floor), math.log(floor / N_CELLS))


def _values(logp, logq, finite_pq, finite_qp, floor: float) -> dict[str, np.ndarray]:
    lp_f, lq_f = _floored(logp, floor), _floored(logq, floor)
    kl_pq = kl_rows(lp_f, lq_f)
    kl_qp = kl_rows(lq_f, lp_f)
    if floor <= 0:
        kl_pq = np.where(finite_pq, kl_pq, np.inf)
        kl_qp = np.where(finite_qp, kl_qp, np.inf)
    p, q = np.exp(logp), np.exp(logq)
    return {
        "kl_pq": kl_pq,
        "kl_qp": kl_qp,
        "js": js_rows(logp, logq),
        "tv": tv_rows(p, q),
        "hellinger": hellinger_rows(p, q),
        "w1": w1_rows(np.cumsum(p, axis=-1), np.cumsum(q, axis=-1), H),
    }


@functools.lru_cache(maxsize=64)
def _logp_fixed() -> np.ndarray:
    out = bump_log_masses(FIXED)[0]
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=64)
def w2_at_zero(shape: str, width: float) -> float:
    """W2 between the fixed distribution and the bump at shift zero (from the histograms)."""
    logq = bump_log_masses(Bump(shape, width))[0]
    return w2_histograms(np.exp(_logp_fixed()), np.exp(logq))


def _w1_derivative(bump: Bump, shifts: np.ndarray, logq: np.ndarray) -> np.ndarray:
    """dW1/ds = integral of sign(F_p - F_q) q_s dx, integrated exactly between sign changes.

    This is the continuous derivative (envelope theorem on the Kantorovich-Rubinstein dual:
    minus the critic's average slope under q_s). The sign of ``F_p - F_q`` is read at the grid
    edges; where it changes inside a cell the crossing is placed by linear interpolation
    (error O(h^2)), and the mass of q_s on each piece is an exact CDF difference. Differentiating
    the histogram W1 instead would add a ripple of relative size h * peak density (about 1% for
    a narrow box) that belongs to the binning, not to the distributions.
    """
    edges = grid_edges()
    cp = np.concatenate([[0.0], np.cumsum(np.exp(_logp_fixed()))])
    zeros = np.zeros((logq.shape[0], 1))
    cq = np.concatenate([zeros, np.cumsum(np.exp(logq), axis=-1)], axis=1)
    diff = cp[None, :] - cq
    sign = np.where(np.abs(diff) < CDF_TIE, 0.0, np.sign(diff))
    lo, hi = edges[None, :-1] - shifts[:, None], edges[None, 1:] - shifts[:, None]
    d_lo, d_hi = diff[:, :-1], diff[:, 1:]
    s_lo, s_hi = sign[:, :-1], sign[:, 1:]
    changes = s_lo != s_hi
    denom = np.where(changes & (d_lo != d_hi), d_lo - d_hi, 1.0)
    frac = np.clip(np.where(changes, d_lo / denom, 1.0), 0.0, 1.0)
    mid = lo + frac * (hi - lo)
    g_lo, g_mid, g_hi = bump.cdf(lo), bump.cdf(mid), bump.cdf(hi)
    return (s_lo * (g_mid - g_lo) + s_hi * (g_hi - g_mid)).sum(axis=-1)


def _shift_grid() -> np.ndarray:
    lo, hi = SHIFT_RANGE
    return np.linspace(lo, hi, round((hi - lo) / SHIFT_STEP) + 1)


@dataclass(frozen=True)
class ShiftCurves:
    """Every divergence and its shift-derivative over the shift grid (read-only arrays).

    ``values[k]`` and ``slopes[k]`` for ``k`` in :data:`DIVERGENCES`; KL entries are ``inf``
    where KL is infinite, and a slope is ``nan`` where it is undefined (at or next to an
    infinite value).
    """

    shape: str
    width: float
    floor: float
    shifts: np.ndarray
    values: dict
    slopes: dict


def _values_at(bump: Bump, shifts: np.ndarray, floor: float) -> tuple[dict, np.ndarray]:
    logq = bump_log_masses(bump, shifts)
    logp = _logp_fixed()[None, :]
    finite_pq = _kl_support_finite(FIXED, bump, shifts)
    # KL(q_s || p): q_s inside p  <=>  p shifted by -s contains q.
    finite_qp = _kl_support_finite(bump, FIXED, -shifts)
    vals = _values(logp, logq, finite_pq, finite_qp, floor)
    d0 = w2_at_zero(bump.shape, bump.width)
    vals["w2"] = np.sqrt(shifts**2 + d0**2)
    return vals, logq


def _central(values_plus: np.ndarray, values_minus: np.ndarray, step: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        out = (values_plus - values_minus) / (2 * step)
    return np.where(np.isfinite(values_plus) & np.isfinite(values_minus), out, np.nan)


_CENTRAL_KEYS = ("kl_pq", "kl_qp", "js", "tv", "hellinger")


def _lattice_values(bump: Bump, shifts: np.ndarray, floor: float) -> tuple[dict, np.ndarray]:
    """Values and the W1 slope on a shift grid that steps by whole cells (the curves' grid).

    Same quantities as :func:`_values_at` plus :func:`_w1_derivative`, computed in a fraction of
    the time with two facts:

    * A shift by a whole number of cells moves every cell mass by whole cells, so the bump's
      masses are computed once on an extended lattice and each shift reads a window of it
      (only the Gaussian's row normalization, for its truncated tail, differs per row).
    * ``p`` is zero outside its own few hundred cells ``W``. Outside ``W`` every term is known in
      closed form (KL(p||q): nothing; JS: ``q log 2 / 2``; TV and Hellinger^2: ``q / 2``;
      W1: the CDF of ``p`` is 0 or 1 there), and KL(q||p) is finite only when ``q`` lives
      inside ``W``. So only ``W`` is summed cell by cell, plus prefix sums of ``q``'s masses.

    With a floor, KL needs every cell (the floor makes ``p`` positive everywhere): those two
    sums run over the full windows. Agrees with the direct computation to rounding (tested).
    """
    h = H
    cells_per_step = np.rint(np.diff(shifts) / h)
    if shifts.size < 2 or not np.allclose(np.diff(shifts) / h, cells_per_step, atol=1e-9):
        raise InvalidInput("shifts must step by a whole number of cells")
    step = int(cells_per_step[0])
    if not np.all(cells_per_step == step):
        raise InvalidInput("shifts must be evenly spaced")
    first = int(np.rint(shifts[0] / h))
    if not math.isclose(first * h, shifts[0], abs_tol=1e-9):
        raise InvalidInput("shifts must lie on the cell lattice")
    n_shift = shifts.size
    # Row k's cell j is lattice cell u = j + offset_k, offset_k = span - first - step*k, where
    # the extended lattice starts at the grid's left edge minus the largest shift.
    span = max(0, first + step * (n_shift - 1))
    low_extra = max(0, -first)
    n_ext = N_CELLS + span + low_extra
    ext_edges = -DOMAIN - span * h + h * np.arange(n_ext + 1)
    offsets = span - first - step * np.arange(n_shift)
    lo, hi = ext_edges[:-1] - bump.centre, ext_edges[1:] - bump.centre
    if bump.shape == "gaussian":
        ext_log = _log_gauss_cell(lo / bump.width, hi / bump.width)
    else:
        a = bump.half_support
        left = (lo + hi) < 0
        m_left = _std_cdf(bump.shape, hi / a) - _std_cdf(bump.shape, lo / a)
        m_right = _std_cdf(bump.shape, -lo / a) - _std_cdf(bump.shape, -hi / a)
        with np.errstate(divide="ignore"):
            ext_log = np.log(np.maximum(np.where(left, m_left, m_right), 0.0))
    ext_mass = np.exp(ext_log)
    cum = np.concatenate([[0.0], np.cumsum(ext_mass)])  # mass left of each lattice edge
    cum2 = np.concatenate([[0.0], np.cumsum(cum)])  # prefix sums of that
    total = cum[offsets + N_CELLS] - cum[offsets]  # row normalizers (1 for compact shapes)
    log_total = np.log(total)

    logp = _logp_fixed()
    inside = np.flatnonzero(np.isfinite(logp))
    wa, wb = int(inside[0]), int(inside[-1]) + 1  # W = cells wa..wb-1 (p > 0 only there)
    lp = logp[wa:wb][None, :]
    p_w = np.exp(lp)
    idx = offsets[:, None] + np.arange(wa, wb)[None, :]
    lq = ext_log[idx] - log_total[:, None]
    q_w = np.exp(lq)
    q_in = q_w.sum(axis=1)
    q_out = np.clip(1.0 - q_in, 0.0, None)

    finite_pq = _kl_support_finite(FIXED, bump, shifts)
    finite_qp = _kl_support_finite(bump, FIXED, -shifts)
    if floor > 0:
        full = ext_log[offsets[:, None] + np.arange(N_CELLS)[None, :]] - log_total[:, None]
        logp_full = logp[None, :]
        lp_f, lq_f = _floored(logp_full, floor), _floored(full, floor)
        kl_pq = kl_rows(lp_f, lq_f)
        kl_qp = kl_rows(lq_f, lp_f)
    else:
        kl_pq = np.where(finite_pq, kl_rows(lp, lq), np.inf)
        kl_qp = np.where(finite_qp, kl_rows(lq, lp), np.inf)
    # Outside W, p = 0: the kernels add q's mass there in closed form (``q_tail``).
    js = js_rows(lp, lq, q_tail=q_out)
    tv = tv_rows(p_w, q_w, q_tail=q_out)
    hellinger = hellinger_rows(p_w, q_w, q_tail=q_out)

    # W1 = h * sum over the inner edges 1..N-1 of |P - Q| (P, Q: CDFs of the histograms at the
    # edges). Left of W, P = 0; from W's right edge on, P = 1; in between, cell by cell.
    def q_cdf(edge):  # Q at grid edge(s) ``edge`` for every row (broadcasts)
        return (cum[offsets[:, None] + edge] - cum[offsets][:, None]) / total[:, None]

    def q_cdf_sum(e0, e1):  # sum of Q over grid edges e0..e1-1, every row
        rows = cum2[offsets + e1] - cum2[offsets + e0] - (e1 - e0) * cum[offsets]
        return rows / total

    cp_edges = np.concatenate([[0.0], np.cumsum(np.exp(logp))])
    # Edges wa+1..wb-1 through the kernel (it skips the last point it is given, edge wb).
    mid_edges = np.arange(wa + 1, wb + 1)
    middle = w1_rows(cp_edges[mid_edges][None, :], q_cdf(mid_edges), h)
    left_sum = q_cdf_sum(1, wa + 1)
    right_sum = (N_CELLS - wb) - q_cdf_sum(wb, N_CELLS)
    w1 = middle + h * (left_sum + right_sum)

    # dW1/ds: the cell-by-cell integral of sign(P - Q) q_s on W's edges, as _w1_derivative; left
    # of W the sign is -1 and right of it +1 wherever q_s has mass, giving its CDF there.
    edges = grid_edges()
    w_edges = np.arange(wa, wb + 1)
    diff = cp_edges[w_edges][None, :] - q_cdf(w_edges)
    diff[:, -1] = 1.0 - q_cdf(np.array([wb]))[:, 0]
    sign = np.where(np.abs(diff) < CDF_TIE, 0.0, np.sign(diff))
    x_lo = edges[None, wa:wb] - shifts[:, None]
    x_hi = edges[None, wa + 1 : wb + 1] - shifts[:, None]
    d_lo, d_hi = diff[:, :-1], diff[:, 1:]
    s_lo, s_hi = sign[:, :-1], sign[:, 1:]
    changes = s_lo != s_hi
    g_lo, g_hi = bump.cdf(x_lo), bump.cdf(x_hi)
    w1_slope = (s_lo * (g_hi - g_lo)).sum(axis=1)
    rows, cols = np.nonzero(changes)
    if rows.size:
        dl, dh = d_lo[rows, cols], d_hi[rows, cols]
        denom = np.where(dl != dh, dl - dh, 1.0)
        frac = np.clip(dl / denom, 0.0, 1.0)
        xm = x_lo[rows, cols] + frac * (x_hi[rows, cols] - x_lo[rows, cols])
        extra = (s_hi[rows, cols] - s_lo[rows, cols]) * (g_hi[rows, cols] - bump.cdf(xm))
        np.add.at(w1_slope, rows, extra)
    outside_left = bump.cdf(edges[wa] - shifts)
    outside_right = 1.0 - bump.cdf(edges[wb] - shifts)
    w1_slope += -outside_left + outside_right

    vals = {"kl_pq": kl_pq, "kl_qp": kl_qp, "js": js, "tv": tv, "hellinger": hellinger, "w1": w1}
    vals["w2"] = np.sqrt(shifts**2 + w2_at_zero(bump.shape, bump.width) ** 2)
    return vals, w1_slope


def shift_curves(shape: str, width: float, floor: float = 0.0) -> ShiftCurves:
    """All divergences and their derivatives over the shift grid, for one bump.

    Parameters
    ----------
    shape : str
        One of :data:`SHAPES`.
    width : float
        The bump's standard deviation (positive).
    floor : float
        Smoothing floor for KL only: the fraction of mass spread uniformly over the domain
        before KL is taken (0 for none, then KL is ``inf`` where it is infinite).

    Returns
    -------
    ShiftCurves
        Cached per ``(shape, width, floor)`` (bounded cache, 32 entries:
        ``shift_curves.cache_info()`` / ``shift_curves.cache_clear()``); arrays are read-only.

    Raises
    ------
    InvalidInput
        Unknown shape, width not a positive number, floor outside [0, 1).

    Examples
    --------
    >>> c = shift_curves("tent", 0.5)
    >>> i = int(abs(c.shifts - 4.0).argmin())
    >>> round(float(c.values["w1"][i]), 6), round(float(c.values["js"][i]), 6)
    (4.0, 0.693147)
    """
    bump = Bump(shape, width)
    return _shift_curves_cached(bump.shape, bump.width, _check_floor(floor))


@functools.lru_cache(maxsize=32)
def _shift_curves_cached(shape: str, width: float, floor: float) -> ShiftCurves:
    bump = Bump(shape, width)
    shifts = _shift_grid()
    vals, w1_slope = _lattice_values(bump, shifts, floor)
    slopes = {}
    for k in _CENTRAL_KEYS:
        v = vals[k]
        s = np.full_like(v, np.nan)
        s[1:-1] = _central(v[2:], v[:-2], SHIFT_STEP)
        # One-sided at the two ends of the range.
        s[0] = _central(v[1:2], v[0:1], SHIFT_STEP / 2)[0]
        s[-1] = _central(v[-1:], v[-2:-1], SHIFT_STEP / 2)[0]
        slopes[k] = s
    slopes["w1"] = w1_slope
    slopes["w2"] = _w2_slope(shifts, vals["w2"])
    for arr in (*vals.values(), *slopes.values(), shifts):
        arr.flags.writeable = False
    return ShiftCurves(shape, float(width), floor, shifts, vals, slopes)


shift_curves.cache_info = _shift_curves_cached.cache_info
shift_curves.cache_clear = _shift_curves_cached.cache_clear


def _w2_slope(shifts: np.ndarray, w2: np.ndarray) -> np.ndarray:
    # d/ds sqrt(s^2 + D^2) = s / W2; at W2 = 0 (s = 0, D = 0) W2 = |s| has a corner: report 0.
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(w2 > 0, shifts / np.where(w2 > 0, w2, 1.0), 0.0)


def _check_floor(floor: float) -> float:
    if isinstance(floor, bool) or not isinstance(floor, numbers.Real):
        raise InvalidInput(f"floor must be a number in [0, 1), got {floor!r}")
    floor = float(floor)
    if not (math.isfinite(floor) and 0.0 <= floor < 1.0):
        raise InvalidInput(f"floor must lie in [0, 1), got {floor}")
    return floor


def divergences_at(
    shape: str, width: float, shift: float, floor: float = 0.0
) -> tuple[dict[str, float], dict[str, float]]:
    """Values and shift-derivatives of every divergence at one shift.

    Uses the same formulas as :func:`shift_curves` (central differences with the curve's step
    for KL, JS, TV and Hellinger), so the current-shift marker sits on the curves.

    Returns
    -------
    (dict, dict)
        ``values`` and ``slopes``, keyed by :data:`DIVERGENCES`; ``inf`` marks an infinite KL
        and ``nan`` an undefined slope.

    Raises
    ------
    InvalidInput
        Unknown shape, width not a positive number, shift not finite, floor outside [0, 1).

    Examples
    --------
    >>> values, slopes = divergences_at("tent", 0.5, 2.0)  # a translate of the fixed tent
    >>> round(values["w2"], 12), round(slopes["w2"], 12), values["kl_pq"]
    (2.0, 1.0, inf)
    """
    bump = Bump(shape, width)
    floor = _check_floor(floor)
    s = _finite_number("shift", shift)
    shifts = np.array([s - SHIFT_STEP, s, s + SHIFT_STEP])
    vals, logq = _values_at(bump, shifts, floor)
    values = {k: float(v[1]) for k, v in vals.items()}
    slopes = {k: float(_central(vals[k][2:3], vals[k][0:1], SHIFT_STEP)[0]) for k in _CENTRAL_KEYS}
    slopes["w1"] = float(_w1_derivative(bump, shifts[1:2], logq[1:2])[0])
    slopes["w2"] = float(_w2_slope(shifts[1:2], vals["w2"][1:2])[0])
    return values, slopes


@dataclass(frozen=True)
class Critic:
    """The optimal 1-Lipschitz critic f of the Kantorovich-Rubinstein dual, as a polyline.

    ``W1(p, q) = sum_i f(x_i) (p_i - q_i)``; f has slope ``sign(Q - P)`` (``-1``, ``0`` or
    ``1``, with 0 where the CDFs agree, where any slope in [-1, 1] is optimal) and ``f = 0`` at the
    left end of the grid (the convention of :func:`ot_engine.kantorovich_critic_1d`, computed
    by the same :func:`ot_engine.divergences.critic_from_cdfs`). ``x``/``f`` are the
    polyline's corners; ``values`` is f at every grid centre.
    """

    x: np.ndarray
    f: np.ndarray
    values: np.ndarray


def critic_1d(p: np.ndarray, q: np.ndarray) -> Critic:
    """Optimal critic for two histograms on the grid centres (see :class:`Critic`)."""
    x = grid_centres()
    f = critic_from_cdfs(np.cumsum(p), np.cumsum(q), H)
    slope = np.sign(np.diff(f))  # -1, 0 or 1: steps are whole multiples of h, exact in sign
    # Corners: the ends and every centre where the slope changes.
    change = np.flatnonzero(np.diff(slope) != 0) + 1
    keep = np.unique(np.concatenate([[0], change, [len(x) - 1]]))
    return Critic(x[keep], f[keep], f)


def critic_at(shape: str, width: float, shift: float) -> Critic:
    """The critic for the fixed distribution and the bump moved by ``shift``.

    Raises
    ------
    InvalidInput
        Unknown shape, width not a positive number, shift not finite.
    """
    logq = bump_log_masses(Bump(shape, width), [_finite_number("shift", shift)])[0]
    return critic_1d(np.exp(_logp_fixed()), np.exp(logq))


def overlap_density(
    shape: str, width: float, shift: float, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``min(p, q_s)`` on ``x``, kept only where positive (plus one zero on each side)."""
    q = Bump(shape, width, shift)
    m = np.minimum(FIXED.density(x), q.density(x))
    idx = np.flatnonzero(m > 0)
    if idx.size == 0:
        return np.empty(0), np.empty(0)
    lo, hi = max(idx[0] - 1, 0), min(idx[-1] + 1, len(x) - 1)
    return x[lo : hi + 1], m[lo : hi + 1]
