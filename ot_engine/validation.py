"""Input checks for the engine: one function per kind of input.

Every public verb of :mod:`ot_engine` passes its arguments through the functions here, so
arrays are cast to float64 once, at the boundary, and every bad input raises
:class:`InvalidInput` with a message a student can act on.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "MAX_SIZE",
    "InvalidInput",
    "check_cost",
    "check_covariance",
    "check_eps",
    "check_grid",
    "check_histogram",
    "check_histogram_pair",
    "check_mean",
    "check_points",
    "check_positive",
]

#: Largest number of bins (or points) per side accepted by the dense solvers.
MAX_SIZE = 2048

#: Relative tolerance used to decide that two masses are equal, or that a mass is 1.
MASS_RTOL = 1e-9


class InvalidInput(ValueError):
    """Raised for any input the engine cannot work with; the message says how to fix it."""


def _as_float_array(name: str, value) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{name} must be an array of numbers ({exc})") from None
    return arr


def _check_finite(name: str, arr: np.ndarray) -> None:
    # One pass when all is well: a sum is finite only if every term is (NaN and inf spread
    # through a sum); finite entries whose sum overflows take the two exact passes below.
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(arr.sum()):
            return
    if np.isnan(arr).any():
        raise InvalidInput(f"{name} contains NaN (not a number): every entry needs a value")
    if not np.isfinite(arr).all():
        raise InvalidInput(f"{name} contains an infinite entry: use finite numbers only")


def check_histogram(name: str, value, *, max_size: int = MAX_SIZE) -> np.ndarray:
    """Return ``value`` as a 1D float64 array of non-negative, finite bars with positive mass.

    The histogram is not normalized here; see :func:`check_histogram_pair`.
    """
    arr = _as_float_array(name, value)
    if arr.ndim != 1:
        raise InvalidInput(f"{name} must be a 1D array of bar heights, got shape {arr.shape}")
    if arr.size == 0:
        raise InvalidInput(f"{name} is empty: it needs at least one bar")
    if arr.size > max_size:
        raise InvalidInput(f"{name} has {arr.size} bars; at most {max_size} are supported")
    _check_finite(name, arr)
    if (arr < 0).any():
        raise InvalidInput(f"{name} has a negative bar: masses must be zero or positive")
    with np.errstate(over="ignore"):  # an overflowing total is reported just below
        total = float(arr.sum())
    if not np.isfinite(total):
        raise InvalidInput(
            f"{name} has a total mass too large for floating point (each bar is finite but "
            f"their sum overflows): scale the bars down, e.g. divide by {arr.max():.3g}"
        )
    if total <= 0.0:
        raise InvalidInput(f"{name} has no mass: add some mass to at least one bar")
    return arr


def check_histogram_pair(a, b, *, normalize: bool = True, names=("a", "b")):
    """Validate two histograms and scale each to unit mass.

    Returns ``(a, b, mass_a, mass_b, renormalized)`` where ``mass_*`` are the original totals
    and ``renormalized`` tells whether either total differed from 1 (relative tolerance
    ``MASS_RTOL``).  With ``normalize=False`` a total that is not 1 raises
    :class:`InvalidInput` instead.
    """
    a = check_histogram(names[0], a)
    b = check_histogram(names[1], b)
    mass_a, mass_b = float(a.sum()), float(b.sum())
    off = abs(mass_a - 1.0) > MASS_RTOL or abs(mass_b - 1.0) > MASS_RTOL
    if off and not normalize:
        raise InvalidInput(
            f"{names[0]} sums to {mass_a:.6g} and {names[1]} to {mass_b:.6g}; both must sum to 1 "
            "(or pass normalize=True to rescale them)"
        )
    return a / mass_a, b / mass_b, mass_a, mass_b, off


def check_cost(C, n: int, m: int, *, name: str = "C") -> np.ndarray:
    """Return the cost matrix as a C-contiguous float64 array of shape ``(n, m)``."""
    arr = _as_float_array(name, C)
    if arr.ndim != 2:
        raise InvalidInput(f"{name} must be a 2D cost matrix, got shape {arr.shape}")
    if arr.shape != (n, m):
        raise InvalidInput(
            f"{name} has shape {arr.shape} but the histograms have {n} and {m} bars: "
            f"the cost matrix must be {n} x {m}"
        )
    _check_finite(name, arr)
    return np.ascontiguousarray(arr)


def check_positive(name: str, value, *, meaning: str = "") -> float:
    """Return a positive, finite scalar as a float; messages name the argument ``name``.

    ``meaning`` (e.g. ``"the regularization strength"``) is added to the message about the
    sign, for arguments whose role a student may not know by name.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real | np.ndarray):
        raise InvalidInput(f"{name} must be positive: a number above 0, got {value!r}")
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 0:
        raise InvalidInput(f"{name} must be positive: a single number, got shape {arr.shape}")
    number = float(arr)
    if not np.isfinite(number):
        raise InvalidInput(f"{name} must be positive and finite, got {number}")
    if number <= 0.0:
        role = f" ({meaning})" if meaning else ""
        raise InvalidInput(f"{name} must be positive{role}, got {number}")
    return number


def check_eps(eps, *, name: str = "eps") -> float:
    """Return a positive, finite regularization strength as a float."""
    return check_positive(name, eps, meaning="the regularization strength")


def check_grid(name: str, value, *, size: int | None = None) -> np.ndarray:
    """Return a 1D float64 grid of finite points, in any order.

    Points need not be distinct: bars at the same point simply hold mass at one location
    (the 1D solvers sort the points and treat them as the support of a discrete measure).
    """
    arr = _as_float_array(name, value)
    if arr.ndim != 1:
        raise InvalidInput(f"{name} must be a 1D array of grid points, got shape {arr.shape}")
    if arr.size == 0:
        raise InvalidInput(f"{name} is empty: the grid needs at least one point")
    if arr.size > MAX_SIZE:
        raise InvalidInput(f"{name} has {arr.size} points; at most {MAX_SIZE} are supported")
    _check_finite(name, arr)
    if size is not None and arr.size != size:
        raise InvalidInput(f"{name} has {arr.size} points but the histogram has {size} bars")
    return arr


def check_points(name: str, value, *, dim: int | None = None) -> np.ndarray:
    """Return a point cloud as a float64 array of shape ``(n, d)``; 1D input means ``d = 1``."""
    arr = _as_float_array(name, value)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise InvalidInput(f"{name} must have shape (n, d), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InvalidInput(f"{name} is empty: it needs at least one point")
    if arr.shape[0] > MAX_SIZE:
        raise InvalidInput(f"{name} has {arr.shape[0]} points; at most {MAX_SIZE} are supported")
    _check_finite(name, arr)
    if dim is not None and arr.shape[1] != dim:
        raise InvalidInput(f"{name} lives in dimension {arr.shape[1]} but {dim} was expected")
    return arr


def check_mean(
    name: str, value, *, dim: int | None = None, max_dim: int | None = None
) -> np.ndarray:
    """Return a mean vector as a 1D float64 array of length ``dim`` (at most ``max_dim``)."""
    arr = _as_float_array(name, value)
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidInput(f"{name} must be a 1D vector of coordinates, got shape {arr.shape}")
    if max_dim is not None and arr.size > max_dim:
        raise InvalidInput(
            f"{name} has {arr.size} coordinates; at most {max_dim} dimensions are supported"
        )
    _check_finite(name, arr)
    if dim is not None and arr.size != dim:
        raise InvalidInput(f"{name} has {arr.size} coordinates but {dim} were expected")
    return arr


def check_covariance(name: str, value, *, dim: int | None = None, definite: bool = False):
    """Return a symmetric positive semi-definite ``(d, d)`` matrix as float64.

    Symmetry is checked to a relative tolerance of 1e-10 and the smallest eigenvalue must be
    at least ``-1e-10 * max|eigenvalue|``.  With ``definite=True`` it must be positive.
    """
    arr = _as_float_array(name, value)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise InvalidInput(f"{name} must be a square (d, d) covariance matrix, got {arr.shape}")
    _check_finite(name, arr)
    if dim is not None and arr.shape[0] != dim:
        raise InvalidInput(f"{name} is {arr.shape[0]} x {arr.shape[0]} but d = {dim}")
    scale = float(np.abs(arr).max())
    if np.abs(arr - arr.T).max() > 1e-10 * max(scale, 1e-300):
        raise InvalidInput(f"{name} is not symmetric: a covariance equals its transpose")
    arr = 0.5 * (arr + arr.T)
    eig = np.linalg.eigvalsh(arr)
    if eig[0] < -1e-10 * max(scale, 1e-300):
        raise InvalidInput(
            f"{name} has a negative eigenvalue ({eig[0]:.3g}): a covariance must be "
            "positive semi-definite"
        )
    if definite and eig[0] <= 1e-12 * max(scale, 1e-300):
        raise InvalidInput(
            f"{name} is singular (flat in some direction): this needs a positive definite "
            "covariance"
        )
    return arr
