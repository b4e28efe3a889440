r"""Flow matching with straight paths: couplings, crossings, a fitted velocity, Euler steps.

A coupling of source samples ``x0`` (Gaussian noise) with target samples ``x1`` gives straight
paths :math:`x_t = (1 - t)\,x_0 + t\,x_1`, each moving at the constant velocity
:math:`x_1 - x_0`. Flow matching regresses a field :math:`v(x, t)` on those velocities and
carries fresh noise along it. Two couplings are compared:

* ``independent``: ``x0[i]`` with ``x1[i]``, the samples being drawn independently;
* ``ot``: within each minibatch of ``batch`` consecutive samples, the permutation minimizing
  the total squared distance (an exact assignment, :func:`minibatch_ot_pairing`).

The regression is a ridge regression on random Fourier features of ``(x, t)``, solved in
closed form (:func:`fit_velocity`); the generated samples after ``k`` Euler steps are
compared with the target by the exact W2 (:func:`empirical_w2`). Pure numpy and SciPy; the
page's take-home notebook repeats this code.

>>> rng = np.random.default_rng(0)
>>> x0, x1 = rng.standard_normal((6, 2)), rng.standard_normal((6, 2)) + 3.0
>>> m = minibatch_ot_pairing(x0, x1, batch=6)
>>> sorted(m.tolist()) == list(range(6))
True
>>> bool(squared_cost(x0, x1[m]) <= squared_cost(x0, x1) + 1e-12)
True
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.optimize import linear_sum_assignment

from .exact import empirical_w2
from .validation import InvalidInput, check_points

__all__ = [
    "FIT_SETTINGS",
    "PRESETS",
    "FlowRun",
    "VelocityFit",
    "crossing_pairs",
    "euler",
    "fit_velocity",
    "flow_matching_run",
    "make_clouds",
    "minibatch_ot_pairing",
    "segments_cross",
    "squared_cost",
]

#: Preset name -> what the target looks like (the page's menu).
PRESETS = {
    "moons": "two interleaved half circles",
    "rings": "two concentric rings",
    "letter": "the letter A, drawn with three strokes",
}
#: The three strokes of the letter A (start and end of each).
_STROKES = np.array(
    [[[-1.1, -1.6], [0.0, 1.6]], [[0.0, 1.6], [1.1, -1.6]], [[-0.55, 0.0], [0.55, 0.0]]]
)
#: Random Fourier features: how many, the length scales in x and in t, the ridge weight, and
#: how many times t are drawn on each path (the regression has n * times rows).
FIT_SETTINGS = {"features": 300, "scale_x": 0.4, "scale_t": 0.3, "ridge": 1e-4, "times": 16}
#: Largest number of points one cloud may have (the assignments are dense n x n).
MAX_CLOUD = 1024
#: A cloud whose coordinates spread less than this (standard deviation) is one point.
MIN_SPREAD = 1e-9


def _stream(seed: int, purpose: int) -> np.random.Generator:
    """One independent random stream per purpose (0 source, 1 target, 2 fit, 3 fresh noise,
    4 a second target draw), so changing one never shifts another."""
    return np.random.default_rng([int(seed), purpose])


def target_cloud(preset: str, n: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` points of a target preset, blurred by Gaussian noise of standard deviation
    ``noise``.

    >>> target_cloud("rings", 9, 0.0, np.random.default_rng(1)).shape
    (9, 2)
    """
    if preset == "moons":
        u = np.pi * rng.random(n)
        upper = np.arange(n) < n // 2
        x = np.where(upper, np.cos(u), 1.0 - np.cos(u))
        y = np.where(upper, np.sin(u), 0.5 - np.sin(u))
        points = 1.4 * (np.column_stack([x, y]) - [0.5, 0.25])
    elif preset == "rings":
        r = np.where(np.arange(n) < n // 3, 0.7, 1.6)
        a = 2.0 * np.pi * rng.random(n)
        points = r[:, None] * np.column_stack([np.cos(a), np.sin(a)])
    elif preset == "letter":
        length = np.linalg.norm(_STROKES[:, 1] - _STROKES[:, 0], axis=1)
        stroke = rng.choice(len(_STROKES), size=n, p=length / length.sum())
        u = rng.random(n)[:, None]
        points = _STROKES[stroke, 0] + u * (_STROKES[stroke, 1] - _STROKES[stroke, 0])
    else:
        raise InvalidInput(f"unknown target {preset!r}: choose one of {', '.join(PRESETS)}")
    return points + noise * rng.standard_normal((n, 2))


def make_clouds(preset: str, n: int, *, noise: float = 0.05, seed: int = 0):
    """Source noise, target samples, fresh noise to integrate, and a second target draw.

    Returns ``(x0, x1, z, y)``, each of shape ``(n, 2)``: ``x0`` and ``z`` standard normal,
    ``x1`` and ``y`` independent draws of the target (``y`` measures the sampling floor: the
    W2 between two draws of the same distribution).

    Raises
    ------
    InvalidInput
        Unknown preset, ``n`` outside ``[2, MAX_CLOUD]``, or a negative or non-finite noise.

    >>> x0, x1, z, y = make_clouds("moons", 8, seed=2)
    >>> x0.shape, x1.shape, bool(np.allclose(x0, z))
    ((8, 2), (8, 2), False)
    """
    if not 2 <= int(n) <= MAX_CLOUD:
        raise InvalidInput(f"n = {n}: a cloud needs between 2 and {MAX_CLOUD} points")
    if not np.isfinite(noise) or noise < 0:
        raise InvalidInput(f"noise = {noise}: use a finite, non-negative spread")
    n = int(n)
    x0 = _stream(seed, 0).standard_normal((n, 2))
    x1 = target_cloud(preset, n, noise, _stream(seed, 1))
    z = _stream(seed, 3).standard_normal((n, 2))
    y = target_cloud(preset, n, noise, _stream(seed, 4))
    return x0, x1, z, y


def _check_cloud(name: str, value, n: int | None = None) -> np.ndarray:
    arr = check_points(name, value, dim=2)
    if n is not None and arr.shape[0] != n:
        raise InvalidInput(f"{name} has {arr.shape[0]} points but {n} were expected")
    if arr.shape[0] < 2:
        raise InvalidInput(f"{name} has a single point: a cloud needs at least two")
    if float(arr.std(axis=0).max()) < MIN_SPREAD:
        raise InvalidInput(f"{name} is degenerate: all its points coincide")
    return arr


def squared_cost(x0, x1) -> float:
    """Mean squared length of the paths ``x0[i] -> x1[i]``: the pairing's transport cost.

    >>> squared_cost([[0.0, 0.0], [1.0, 1.0]], [[3.0, 4.0], [1.0, 1.0]])
    12.5
    """
    d = np.asarray(x1, dtype=float) - np.asarray(x0, dtype=float)
    return float(np.mean(np.sum(d * d, axis=1)))


def minibatch_ot_pairing(x0, x1, batch: int) -> np.ndarray:
    r"""Pair the samples optimally within each minibatch: returns ``m`` with ``x0[i]`` paired
    to ``x1[m[i]]``.

    The rows are cut into consecutive minibatches of ``batch`` samples (the last one may be
    shorter). Within a minibatch :math:`B` the permutation :math:`\sigma` minimizes
    :math:`\sum_{i \in B} \|x_0^i - x_1^{\sigma(i)}\|^2`; with equal weights this is the
    exact optimal transport between the two minibatches (the optimum of the linear program
    is reached at a permutation, by Birkhoff's theorem), solved by the Jonker-Volgenant
    assignment algorithm (``scipy.optimize.linear_sum_assignment``).

    Raises
    ------
    InvalidInput
        Clouds of different sizes, not 2D, non-finite, degenerate, or ``batch < 1``.

    >>> minibatch_ot_pairing([[0.0, 0.0], [1.0, 0.0]], [[1.1, 0.0], [0.1, 0.0]], 2).tolist()
    [1, 0]
    >>> minibatch_ot_pairing([[0.0, 0.0], [1.0, 0.0]], [[1.1, 0.0], [0.1, 0.0]], 1).tolist()
    [0, 1]
    """
    x0 = _check_cloud("x0", x0)
    x1 = _check_cloud("x1", x1, x0.shape[0])
    if int(batch) < 1:
        raise InvalidInput(f"batch = {batch}: a minibatch needs at least one sample")
    n, batch = x0.shape[0], int(batch)
    pairing = np.arange(n)
    for start in range(0, n, batch):
        stop = min(start + batch, n)
        diff = x0[start:stop, None, :] - x1[None, start:stop, :]
        rows, cols = linear_sum_assignment(np.einsum("ijk,ijk->ij", diff, diff))
        pairing[start + rows] = start + cols
    return pairing


def _orientation(a, b, c) -> np.ndarray:
    """Sign of the turn a -> b -> c (twice the signed area of the triangle)."""
    return np.sign(
        (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1])
        - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0])
    )


def _within(a, b, c) -> np.ndarray:
    """Whether c (known to be on the line ab) lies in the bounding box of the segment ab."""
    return (
        (np.minimum(a[..., 0], b[..., 0]) <= c[..., 0])
        & (c[..., 0] <= np.maximum(a[..., 0], b[..., 0]))
        & (np.minimum(a[..., 1], b[..., 1]) <= c[..., 1])
        & (c[..., 1] <= np.maximum(a[..., 1], b[..., 1]))
    )


def segments_cross(p0, p1, q0, q1) -> np.ndarray:
    """Whether the closed plane segments ``[p0, p1]`` and ``[q0, q1]`` share a point.

    Arrays broadcast over leading axes (last axis: the two coordinates). Touching (an end on
    the other segment) and overlapping collinear segments count. The orientation tests are
    exact for integer coordinates and for floats whose products are exact; for random
    floats a wrong answer needs four points collinear to rounding, which has probability 0.

    >>> segments_cross([0, 0], [2, 2], [0, 2], [2, 0]).item()  # an X
    True
    >>> segments_cross([0, 0], [1, 1], [2, 2], [3, 0]).item()  # apart
    False
    >>> segments_cross([0, 0], [2, 0], [1, 0], [1, 5]).item()  # a T: touching counts
    True
    >>> segments_cross([0, 0], [1, 0], [2, 0], [3, 0]).item()  # collinear, apart
    False
    """
    p0, p1, q0, q1 = (np.asarray(v, dtype=float) for v in (p0, p1, q0, q1))
    d1, d2 = _orientation(q0, q1, p0), _orientation(q0, q1, p1)
    d3, d4 = _orientation(p0, p1, q0), _orientation(p0, p1, q1)
    proper = (d1 * d2 < 0) & (d3 * d4 < 0)
    touch = (
        ((d1 == 0) & _within(q0, q1, p0))
        | ((d2 == 0) & _within(q0, q1, p1))
        | ((d3 == 0) & _within(p0, p1, q0))
        | ((d4 == 0) & _within(p0, p1, q1))
    )
    return proper | touch


def crossing_pairs(x0, x1) -> int:
    """How many pairs ``i < j`` of straight paths ``[x0[i], x1[i]]``, ``[x0[j], x1[j]]``
    cross in the plane (as segments, whatever the times at which they pass the common point).

    Every pair is tested (``n (n - 1) / 2`` tests, vectorized).

    >>> crossing_pairs([[0, 0], [0, 2], [5, 5]], [[2, 2], [2, 0], [6, 5]])
    1
    """
    x0 = check_points("x0", x0, dim=2)
    x1 = check_points("x1", x1, dim=2)
    if x1.shape != x0.shape:
        raise InvalidInput(f"x0 and x1 must have the same shape, got {x0.shape} and {x1.shape}")
    if x0.shape[0] <= _TABLE_MAX:
        return _crossing_pairs_by_table(x0, x1)
    return _crossing_pairs_by_pairs(x0, x1)


#: Up to this many paths the turns are tabulated (4 n x n tables of 8 bytes: 8 MB at 512).
_TABLE_MAX = 512


def _crossing_pairs_by_pairs(x0: np.ndarray, x1: np.ndarray) -> int:
    """Every pair gathered and tested, in bounded chunks (large clouds)."""
    i, j = np.triu_indices(x0.shape[0], k=1)
    count = 0
    for lo in range(0, i.size, 1 << 18):  # bounded memory for the largest clouds
        a, b = i[lo : lo + (1 << 18)], j[lo : lo + (1 << 18)]
        count += int(segments_cross(x0[a], x1[a], x0[b], x1[b]).sum())
    return count


def _crossing_pairs_by_table(x0: np.ndarray, x1: np.ndarray) -> int:
    """The same count from two n x n tables of turns (no gathers; 2-4x faster at n = 256).

    ``start[i, j]`` is the turn of path j's segment towards ``x0[i]``, ``end[i, j]`` towards
    ``x1[i]``, by the same arithmetic as :func:`segments_cross` (so the same signs). Pairs
    with no zero turn cross exactly when each segment's ends lie on both sides of the other;
    the rare pairs with a zero turn (touching, collinear) go through :func:`segments_cross`.
    """
    start = _orientation(x0[None], x1[None], x0[:, None])
    end = _orientation(x0[None], x1[None], x1[:, None])
    apart = start * end < 0
    zero = (start == 0) | (end == 0)
    zero |= zero.T
    upper = np.triu(np.ones(zero.shape, dtype=bool), k=1)
    count = int(np.count_nonzero(apart & apart.T & ~zero & upper))
    i, j = np.nonzero(zero & upper)
    if i.size:
        count += int(segments_cross(x0[i], x1[i], x0[j], x1[j]).sum())
    return count


@dataclass(frozen=True, eq=False)
class VelocityFit:
    r"""A velocity field :math:`v(x, t) = \beta^\top \varphi(x, t)` on an affine part and
    random Fourier features, :math:`\varphi(z) = (1, z, \sqrt{2/D}\,\cos(W z + b))`,
    :math:`z = (x, t)`.

    Attributes
    ----------
    W : ndarray, shape (D, 3)
        Frequencies (rows drawn from a Gaussian with standard deviations ``1/scale``).
    b : ndarray, shape (D,)
        Phases, uniform on :math:`[0, 2\pi)`.
    coef : ndarray, shape (D + 4, 2)
        Ridge coefficients :math:`\beta`.
    unexplained : float
        Relative residual of the fit on its own training rows,
        :math:`\sum \|v(x_t, t) - (x_1 - x_0)\|^2 / \sum \|x_1 - x_0\|^2`. Independent
        pairs leave much unexplained: paths through one point at one time disagree, and a
        field can only give their mean.
    rows : int
        Training rows (pairs times drawn times).
    fit_time : float
        Seconds spent building features and solving.
    """

    W: np.ndarray
    b: np.ndarray
    coef: np.ndarray
    unexplained: float
    rows: int
    fit_time: float

    def velocity(self, x: np.ndarray, t: float) -> np.ndarray:
        """The field at points ``x`` (shape (n, 2)) and time ``t``."""
        z = np.column_stack([x, np.full(x.shape[0], float(t))])
        return _features(z, self.W, self.b) @ self.coef


def _features(z: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The affine part ``(1, x, t)`` (so far from the data the field tends to an affine one,
    not to zero) followed by the cosines."""
    return np.hstack([np.ones((z.shape[0], 1)), z, np.sqrt(2.0 / b.size) * np.cos(z @ W.T + b)])


def fit_velocity(x0, x1, *, seed: int = 0, **settings) -> VelocityFit:
    r"""Regress a velocity field on the straight paths of the pairs ``(x0[i], x1[i])``.

    Each pair gives ``times`` rows :math:`(x_t, t) \mapsto x_1 - x_0` with
    :math:`x_t = (1 - t) x_0 + t x_1` and :math:`t` uniform on [0, 1]. The coefficients solve
    the ridge problem
    :math:`\min_\beta \|\Phi\beta - Y\|^2 + \lambda\, N \|\beta\|^2` (``N`` rows) in closed
    form, :math:`\beta = (\Phi^\top\Phi + \lambda N I)^{-1}\Phi^\top Y`, by a Cholesky solve.

    Parameters
    ----------
    x0, x1 : array_like, shape (n, 2)
        The pairs, row by row.
    seed : int
        Seeds the times and the features.
    **settings
        Overrides of :data:`FIT_SETTINGS` (``features``, ``scale_x``, ``scale_t``, ``ridge``,
        ``times``).

    Raises
    ------
    InvalidInput
        Bad clouds (see :func:`minibatch_ot_pairing`), non-positive settings, or a singular
        system.

    >>> x0 = np.random.default_rng(0).standard_normal((50, 2))
    >>> fit = fit_velocity(x0, x0 + [1.0, 0.0], features=100)
    >>> bool(np.allclose(fit.velocity(x0, 0.5), [1.0, 0.0], atol=0.1))
    True
    """
    started = time.perf_counter()
    x0 = _check_cloud("x0", x0)
    x1 = _check_cloud("x1", x1, x0.shape[0])
    s = {**FIT_SETTINGS, **settings}
    if min(s.values()) <= 0 or not all(np.isfinite(list(s.values()))):
        raise InvalidInput(f"fit settings must be positive and finite, got {s}")
    rng = _stream(seed, 2)
    times = int(s["times"])
    t = rng.random(x0.shape[0] * times)
    a, c = np.repeat(x0, times, axis=0), np.repeat(x1, times, axis=0)
    z = np.column_stack([(1.0 - t)[:, None] * a + t[:, None] * c, t])
    Y = c - a
    scale = np.array([s["scale_x"], s["scale_x"], s["scale_t"]])
    W = rng.standard_normal((int(s["features"]), 3)) / scale
    b = rng.uniform(0.0, 2.0 * np.pi, int(s["features"]))
    F = _features(z, W, b)
    A = F.T @ F
    A[np.diag_indices_from(A)] += s["ridge"] * z.shape[0]
    try:
        coef = cho_solve(cho_factor(A), F.T @ Y)
    except LinAlgError as err:
        raise InvalidInput(f"the ridge system is singular ({err}): raise the ridge") from None
    residual = float(np.sum((F @ coef - Y) ** 2))
    energy = float(np.sum(Y**2))
    for arr in (W, b, coef):
        arr.setflags(write=False)
    return VelocityFit(
        W=W,
        b=b,
        coef=coef,
        unexplained=residual / energy if energy > 0 else 0.0,
        rows=int(z.shape[0]),
        fit_time=time.perf_counter() - started,
    )


def euler(fit: VelocityFit, z, k: int) -> np.ndarray:
    """Carry the points ``z`` from t = 0 to t = 1 with ``k`` explicit Euler steps of size
    ``1/k``: ``z <- z + v(z, j/k) / k`` for ``j = 0, ..., k - 1``.

    >>> x0 = np.zeros((4, 2)) + np.arange(4)[:, None]
    >>> fit = fit_velocity(x0, x0 + 1.0, features=60)
    >>> bool(np.allclose(euler(fit, x0, 4), x0 + 1.0, atol=0.1))
    True
    """
    if int(k) < 1:
        raise InvalidInput(f"k = {k}: take at least one Euler step")
    x = check_points("z", z, dim=2)
    k = int(k)
    for j in range(k):
        x = x + fit.velocity(x, j / k) / k
    return x


@dataclass(frozen=True, eq=False)
class FlowRun:
    """One coupling, fitted and integrated: what the page shows for it.

    Attributes
    ----------
    pairing : ndarray, shape (n,)
        ``x0[i]`` is paired with ``x1[pairing[i]]``.
    crossings : int
        Pairs of straight paths that cross in the plane (:func:`crossing_pairs`).
    cost : float
        Mean squared path length (:func:`squared_cost`).
    fit : VelocityFit
    samples : ndarray, shape (k_max, n, 2)
        ``samples[k - 1]``: the fresh noise after ``k`` Euler steps.
    w2 : ndarray, shape (k_max,)
        ``w2[k - 1]``: exact W2 of ``samples[k - 1]`` to the target cloud.
    """

    pairing: np.ndarray
    crossings: int
    cost: float
    fit: VelocityFit
    samples: np.ndarray
    w2: np.ndarray


def flow_matching_run(
    x0,
    x1,
    z,
    pairing,
    *,
    k_max: int = 20,
    seed: int = 0,
    progress: Callable[[float, str], None] | None = None,
) -> FlowRun:
    """Fit the field of one pairing, integrate ``z`` with 1 to ``k_max`` Euler steps, and
    measure each result's W2 to ``x1``. ``progress(fraction, text)`` is called between steps.

    >>> x0, x1, z, _ = make_clouds("letter", 40, seed=1)
    >>> run = flow_matching_run(x0, x1, z, minibatch_ot_pairing(x0, x1, 40), k_max=3)
    >>> run.samples.shape, run.w2.shape
    ((3, 40, 2), (3,))
    """
    x0 = _check_cloud("x0", x0)
    x1 = _check_cloud("x1", x1, x0.shape[0])
    pairing = np.array(pairing, dtype=np.intp, copy=True)
    n = x0.shape[0]
    if pairing.shape != (n,) or not np.array_equal(np.sort(pairing), np.arange(n)):
        raise InvalidInput("pairing must be a permutation of the rows of x1")
    report = progress or (lambda _f, _t: None)
    report(0.0, "fitting the velocity field")
    paired = x1[pairing]
    fit = fit_velocity(x0, paired, seed=seed)
    samples, w2 = [], []
    for k in range(1, k_max + 1):
        report(0.3 + 0.7 * (k - 1) / k_max, f"{k} Euler steps")
        samples.append(euler(fit, z, k))
        w2.append(empirical_w2(samples[-1], x1))
    samples_arr, w2_arr = np.array(samples), np.array(w2)
    for arr in (samples_arr, w2_arr, pairing):
        arr.setflags(write=False)
    return FlowRun(
        pairing=pairing,
        crossings=crossing_pairs(x0, paired),
        cost=squared_cost(x0, paired),
        fit=fit,
        samples=samples_arr,
        w2=w2_arr,
    )
