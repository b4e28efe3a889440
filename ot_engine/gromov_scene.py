"""The shapes of the Gromov-Wasserstein page: a curve in the plane and a curve in space.

Each preset gives a source curve ``X`` in the plane and a target curve ``Y`` in space, both
sampled at the same ``n`` parameters ``t`` in [0, 1] along the curve (the page colours by
it). The target's points are shuffled, so their order says nothing about which source point
matches which: only the coupling does. Pure numpy; the take-home notebook repeats this code.

>>> scene = make_scene("mirror", 12, noise=0.0, seed=3)
>>> scene.X.shape, scene.Y.shape
((12, 2), (12, 3))
>>> import numpy as np
>>> from ot_engine.gromov import distance_matrix
>>> # the mirror copy is an isometric copy: same distances once the order is undone
>>> back = np.argsort(scene.order)
>>> bool(np.allclose(distance_matrix(scene.Y)[np.ix_(back, back)], distance_matrix(scene.X)))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .validation import InvalidInput

__all__ = ["PRESETS", "Scene", "make_scene", "rotate", "rotation"]

#: Preset name -> what it shows (the page's menu).
PRESETS = {
    "spiral": "a spiral in the plane and the same spiral lifted into space",
    "mirror": "a spiral and its mirror image, turned in space (an isometric copy)",
    "ring_knot": "two different shapes: a ring in the plane and a trefoil knot in space",
}
#: Presets whose target is the source curve bent or moved, so t is a true correspondence.
CORRESPONDING = ("spiral", "mirror")
MIN_POINTS, MAX_POINTS = 10, 200
MAX_NOISE = 0.2


@dataclass(frozen=True, eq=False)
class Scene:
    """Two sampled curves: ``X`` (n, 2) with parameters ``s``, ``Y`` (n, 3) with ``t``.

    ``order[j]`` is the index of the sample of the target curve stored at row ``j`` of ``Y``
    (the rows are shuffled); ``t`` is already in row order.
    """

    X: np.ndarray
    s: np.ndarray
    Y: np.ndarray
    t: np.ndarray
    order: np.ndarray


def _spiral(u: np.ndarray) -> np.ndarray:
    angle = 0.5 * np.pi + 3.0 * np.pi * u
    r = 0.25 + 0.75 * u
    return np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)


def _ring(u: np.ndarray) -> np.ndarray:
    angle = 2.0 * np.pi * u
    return 0.9 * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def _trefoil(u: np.ndarray) -> np.ndarray:
    a = 2.0 * np.pi * u
    xyz = np.stack([np.sin(a) + 2 * np.sin(2 * a), np.cos(a) - 2 * np.cos(2 * a), -np.sin(3 * a)])
    return 0.3 * xyz.T


def _curves(preset: str, u: np.ndarray, v: np.ndarray):
    if preset == "spiral":
        lifted = _spiral(v)
        return _spiral(u), np.column_stack([lifted, 0.9 * v - 0.45])
    if preset == "mirror":
        flat = _spiral(v) * np.array([-1.0, 1.0])  # a reflection: no rotation of the plane
        return _spiral(u), np.column_stack([flat, np.zeros(v.size)])
    if preset == "ring_knot":
        return _ring(u), _trefoil(v)
    raise InvalidInput(f"unknown preset {preset!r}: choose one of {', '.join(PRESETS)}")


def _stratified(rng: np.random.Generator, n: int) -> np.ndarray:
    """n parameters in [0, 1], one per slice of width 1/n, jittered within half a slice."""
    return np.clip((np.arange(n) + 0.5 + 0.5 * (rng.random(n) - 0.5)) / n, 0.0, 1.0)


def make_scene(preset: str, n: int, *, noise: float = 0.0, seed: int = 0) -> Scene:
    """Sample the two curves of ``preset`` at ``n`` points each, with Gaussian ``noise``.

    Parameters
    ----------
    preset : str
        One of :data:`PRESETS`.
    n : int
        Points per curve, MIN_POINTS to MAX_POINTS.
    noise : float
        Standard deviation of the Gaussian noise added to every coordinate (0 to MAX_NOISE;
        the curves span about 2 units).
    seed : int
        Seed of the samples, the noise and the shuffle.

    Raises
    ------
    InvalidInput
        Unknown preset, ``n`` or ``noise`` out of range.
    """
    if preset not in PRESETS:
        raise InvalidInput(f"unknown preset {preset!r}: choose one of {', '.join(PRESETS)}")
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise InvalidInput(f"n must be a whole number, got {n!r}")
    if not MIN_POINTS <= n <= MAX_POINTS:
        raise InvalidInput(f"n = {n}: use {MIN_POINTS} to {MAX_POINTS} points per shape")
    noise = float(noise)
    if not np.isfinite(noise) or not 0.0 <= noise <= MAX_NOISE:
        raise InvalidInput(f"noise must lie in 0 to {MAX_NOISE}")
    rng = np.random.default_rng(int(seed))
    # Both curves at the same parameters: with no noise the mirror copy is isometric.
    s = _stratified(rng, n)
    v = s.copy()
    X, Y = _curves(preset, s, v)
    X = X + noise * rng.standard_normal(X.shape)
    Y = Y + noise * rng.standard_normal(Y.shape)
    order = rng.permutation(n)
    return Scene(X=X, s=s, Y=Y[order], t=v[order], order=order)


def rotation(yaw: float, pitch: float) -> np.ndarray:
    """The 3 x 3 rotation: turn by ``yaw`` degrees about the vertical axis z, then tilt by
    ``pitch`` degrees about the horizontal axis x.

    >>> R = rotation(30.0, -40.0)
    >>> bool(np.allclose(R @ R.T, np.eye(3))), round(float(np.linalg.det(R)), 12)
    (True, 1.0)
    """
    a, b = np.radians(yaw), np.radians(pitch)
    Rz = np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0], [0.0, 0.0, 1.0]])
    Rx = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(b), -np.sin(b)], [0.0, np.sin(b), np.cos(b)]])
    return Rx @ Rz


def rotate(Y: np.ndarray, yaw: float, pitch: float) -> np.ndarray:
    """The points ``Y`` (n, 3) turned by :func:`rotation` (about the origin)."""
    return np.asarray(Y) @ rotation(yaw, pitch).T
