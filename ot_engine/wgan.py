r"""Critics of generative models: the exact W1 critic, the optimal JS discriminator, WGAN-GP.

A generator moves a cloud of fake points ``Y`` towards a cloud of real points ``X``; a critic
tells it which way. Three critics live here, for two clouds in the plane:

* the exact Kantorovich-Rubinstein critic (:func:`w1_critic`). For the ground cost
  :math:`|x - y|`,

  .. math:: W_1(\mu, \nu) = \max_{\mathrm{Lip}(\varphi) \le 1}
            \textstyle\int \varphi\, d\mu - \int \varphi\, d\nu .

  The transport LP between the two empirical measures gives a c-concave pair ``(f, g)``
  (:func:`ot_engine.kantorovich_potentials`); ``f`` is 1-Lipschitz on ``X`` and
  ``f_i + g_j = |x_i - y_j|`` on the plan's support. The *lower* extension

  .. math:: \varphi(z) = \max_i \big(f_i - |z - x_i|\big)

  is 1-Lipschitz on the whole plane, equals ``f`` on ``X`` and ``-g`` on ``Y`` (below it
  by feasibility, reached at a matched ``x_i``), so it is an optimal critic. The *upper*
  extension :math:`\min_i (f_i + |z - x_i|)` is 1-Lipschitz too but lies above ``-g`` on
  ``Y`` and in general is not optimal (:func:`upper_extension`, kept to show that). At a
  fake point, :math:`\nabla\varphi(y_j)` is the unit vector from ``y_j`` to its argmax
  ``x_i``: the generator's gradient never fades, whatever the distance;
* the optimal discriminator of the JS-GAN on Gaussian-smoothed densities
  (:func:`js_discriminator`), :math:`D = p_r / (p_r + p_g)`, with the minimax generator loss
  :math:`\log(1 - D)`, whose gradient :math:`D\,(\nabla \log p_g - \nabla \log p_r)` dies
  with :math:`D(y_j) \le m\, e^{-\delta_j^2/(2h^2)}` (:math:`\delta_j` the distance from
  ``y_j`` to the nearest real point) once the clouds separate;
* a one-hidden-layer tanh critic trained with the gradient penalty of WGAN-GP
  (:func:`gp_critic_loss`, :func:`train_gp_critic`), gradients by hand (the penalty needs
  the derivative of the input gradient with respect to the weights).

References
----------
M. Arjovsky, S. Chintala and L. Bottou, *Wasserstein generative adversarial networks*, 2017.
I. Gulrajani, F. Ahmed, M. Arjovsky, V. Dumoulin and A. Courville, *Improved training of
Wasserstein GANs*, 2017.
E. J. McShane, *Extension of range of functions*, 1934.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .duality import kantorovich_potentials
from .geometry import cost_matrix
from .results import frozen_array
from .validation import InvalidInput, check_points, check_positive

__all__ = [
    "GPCritic",
    "JSDiscriminator",
    "MLPParams",
    "SmoothedDensity",
    "W1Critic",
    "gp_critic_loss",
    "js_discriminator",
    "mlp_input_gradient",
    "mlp_value",
    "smoothed_density",
    "train_gp_critic",
    "upper_extension",
    "w1_critic",
]

#: Most points per cloud (the LP is solved on every drag event).
MAX_CLOUD = 400


def _cloud(name: str, value) -> np.ndarray:
    arr = check_points(name, value, dim=2)
    if arr.shape[0] > MAX_CLOUD:
        raise InvalidInput(f"{name} has {arr.shape[0]} points; at most {MAX_CLOUD} are supported")
    return arr


def _pair(X, Y) -> tuple[np.ndarray, np.ndarray]:
    return _cloud("X", X), _cloud("Y", Y)


def _distances(Z: np.ndarray, X: np.ndarray) -> np.ndarray:
    # differences, not |z|^2 + |x|^2 - 2 z.x: exact near 0, where the critic's cones meet
    dx = Z[:, None, 0] - X[None, :, 0]
    dy = Z[:, None, 1] - X[None, :, 1]
    return np.sqrt(dx * dx + dy * dy)


# --- the exact critic ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class W1Critic:
    r"""Outcome of :func:`w1_critic`: the optimal 1-Lipschitz critic and its certificates.

    Attributes
    ----------
    X : ndarray, shape (n, 2)
        The real points.
    f : ndarray, shape (n,)
        The critic on ``X`` (c-concave, centred: ``max f + min f = 0``).
    on_fake : ndarray, shape (m,)
        The critic at the fake points, :math:`\varphi(y_j)` (equals ``-g``).
    fake_gradient : ndarray, shape (m, 2)
        Per fake point, the plan's mean of the unit vectors towards the real points it is
        sent to: :math:`\sum_i (P_{ij}/b_j)\,(x_i - y_j)/|x_i - y_j|`. It is a gradient of
        the critic at ``y_j`` (of the cone the plan uses where two cones meet) and, by
        Danskin's theorem, ``-m`` times the derivative of :math:`W_1` in ``y_j``.
    w1 : float
        The LP's optimal value :math:`W_1`.
    dual_value : float
        ``mean f(X) - mean phi(Y)`` (equals ``w1`` up to round-off).
    plan : ndarray, shape (n, m)
        An optimal plan.
    marginal_error : float
        L1 error of the plan's marginals.
    converged : bool
        The LP's certificates hold and the extension reproduces ``-g`` on ``Y``.
    message : str
    """

    X: np.ndarray
    f: np.ndarray
    on_fake: np.ndarray
    fake_gradient: np.ndarray
    w1: float
    dual_value: float
    plan: np.ndarray
    marginal_error: float
    converged: bool
    message: str

    def __call__(self, Z) -> np.ndarray:
        r"""The critic :math:`\varphi(z) = \max_i (f_i - |z - x_i|)` at the rows of ``Z``."""
        return self.value_and_gradient(Z)[0]

    def value_and_gradient(self, Z) -> tuple[np.ndarray, np.ndarray]:
        r""":math:`\varphi` and its gradient :math:`(x_{i^*} - z)/|x_{i^*} - z|` at ``Z``.

        At a real point itself (the apex of its cone) the gradient is set to 0, a
        subgradient there.
        """
        Z = check_points("Z", Z, dim=2)
        if len(Z) > BLOCK:
            parts = [self.value_and_gradient(Z[i : i + BLOCK]) for i in range(0, len(Z), BLOCK)]
            return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        d = _distances(Z, self.X)
        scores = self.f[None, :] - d
        k = scores.argmax(axis=1)
        rows = np.arange(len(Z))
        toward = self.X[k] - Z
        dist = d[rows, k]
        safe = np.where(dist > 0, dist, 1.0)
        grad = np.where((dist > 0)[:, None], toward / safe[:, None], 0.0)
        return scores[rows, k], grad


def w1_critic(X, Y) -> W1Critic:
    r"""The exact optimal critic of :math:`W_1` between two clouds of equal weights.

    Parameters
    ----------
    X : array_like, shape (n, 2)
        Real points (each of mass 1/n).
    Y : array_like, shape (m, 2)
        Fake points (each of mass 1/m).

    Returns
    -------
    W1Critic
        Call it on points to evaluate the critic, or use ``value_and_gradient``.

    Raises
    ------
    InvalidInput
        Empty, non-finite or oversized clouds, or not in the plane.

    Examples
    --------
    >>> c = w1_critic([[0.0, 0.0], [0.0, 1.0]], [[3.0, 0.0], [3.0, 1.0]])
    >>> round(c.w1, 12), round(c.dual_value, 12), c.converged
    (3.0, 3.0, True)
    >>> c.fake_gradient.round(12).tolist()  # unit length, towards the real cloud
    [[-1.0, 0.0], [-1.0, 0.0]]
    """
    X, Y = _pair(X, Y)
    n, m = len(X), len(Y)
    C = _distances(X, Y)
    duals = kantorovich_potentials(np.full(n, 1.0 / n), np.full(m, 1.0 / m), C)
    f = np.asarray(duals.f)
    critic = W1Critic(
        X=frozen_array(X),
        f=frozen_array(f),
        on_fake=frozen_array(np.zeros(m)),
        fake_gradient=frozen_array(np.zeros((m, 2))),
        w1=float(duals.primal),
        dual_value=0.0,
        plan=duals.plan,
        marginal_error=float(duals.marginal_error),
        converged=False,
        message="",
    )
    on_fake = critic(Y)
    plan = np.asarray(duals.plan)
    safe = np.where(C > 0, C, 1.0)
    unit = np.where((C > 0)[..., None], (X[:, None, :] - Y[None, :, :]) / safe[..., None], 0.0)
    fake_gradient = np.einsum("ij,ijd->jd", plan * m, unit)
    dual = float(f.mean() - on_fake.mean())
    scale = max(1.0, float(C.max()))
    checks = [
        (duals.converged, duals.message),
        (
            np.allclose(on_fake, -np.asarray(duals.g), atol=1e-9 * scale, rtol=0.0),
            "the extension misses -g on the fake points",
        ),
        (abs(dual - duals.primal) <= 1e-9 * scale, f"duality gap {duals.primal - dual:.2e}"),
    ]
    failed = [msg for ok, msg in checks if not ok]
    return W1Critic(
        X=critic.X,
        f=critic.f,
        on_fake=frozen_array(on_fake),
        fake_gradient=frozen_array(fake_gradient),
        w1=critic.w1,
        dual_value=dual,
        plan=critic.plan,
        marginal_error=critic.marginal_error,
        converged=not failed,
        message="optimal" if not failed else "; ".join(failed),
    )


def upper_extension(X, f, Z) -> np.ndarray:
    r"""The other 1-Lipschitz extension, :math:`\min_i (f_i + |z - x_i|)` (McShane's).

    It agrees with the critic on ``X`` but lies above it elsewhere, so on the fake points
    it gives a smaller dual value than :math:`W_1` in general.

    >>> upper_extension([[0.0, 0.0]], [1.0], [[0.0, 2.0]]).tolist()
    [3.0]
    """
    X = _cloud("X", X)
    f = np.asarray(f, dtype=np.float64).reshape(-1)
    if f.shape != (len(X),) or not np.isfinite(f).all():
        raise InvalidInput(f"f needs {len(X)} finite values, one per point of X")
    Z = check_points("Z", Z, dim=2)
    return (f[None, :] + _distances(Z, X)).min(axis=1)


# --- the optimal JS discriminator ------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class JSDiscriminator:
    r"""The optimal discriminator :math:`D = p_r/(p_r + p_g)` at points ``Z``, and the
    per-point gradients of the two generator losses.

    Attributes
    ----------
    log_pr, log_pg : ndarray, shape (k,)
        Logs of the smoothed densities (Gaussian kernels of width ``h``).
    D : ndarray, shape (k,)
    grad_minimax : ndarray, shape (k, 2)
        :math:`\nabla_z \log(1 - D(z)) = D (\nabla \log p_g - \nabla \log p_r)` (``D`` held
        fixed), the gradient of the minimax generator loss.
    grad_nonsaturating : ndarray, shape (k, 2)
        :math:`\nabla_z (-\log D(z)) = (1 - D)(\nabla \log p_g - \nabla \log p_r)`.
    """

    log_pr: np.ndarray
    log_pg: np.ndarray
    D: np.ndarray
    grad_minimax: np.ndarray
    grad_nonsaturating: np.ndarray


#: Query points per block: blocks of 256 x n float64 stay under glibc's mmap threshold
#: (128 KB) for the page's 40-point clouds, so no block costs fresh pages (measured: the
#: 1640-point field in one block took 2 to 10 times as long as in blocks).
BLOCK = 256


def _log_kde(Z: np.ndarray, P: np.ndarray, h: float) -> tuple[np.ndarray, np.ndarray]:
    """log of the mean of N(p, h^2 I) densities at Z, and its gradient (stable)."""
    if len(Z) > BLOCK:
        parts = [_log_kde(Z[i : i + BLOCK], P, h) for i in range(0, len(Z), BLOCK)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    sq = cost_matrix(Z, P, power=2)
    logits = sq * (-0.5 / (h * h))
    top = logits.max(axis=1)
    # The largest term is 1: no 0/0. Terms below e^-600 (relative to it) are floored there:
    # they change nothing in float64, and exp is ~100 times slower where it gives subnormals.
    e = np.exp(np.maximum(logits - top[:, None], -600.0))
    total = e.sum(axis=1)
    log_p = top + np.log(total) - np.log(len(P)) - np.log(2 * np.pi * h * h)
    grad = ((e @ P) / total[:, None] - Z) / (h * h)
    return log_p, grad


@dataclass(frozen=True, eq=False)
class SmoothedDensity:
    r"""A cloud convolved with :math:`N(0, h^2 I)`, at the rows of some points ``Z``.

    Attributes
    ----------
    log_p : ndarray, shape (k,)
        :math:`\log p(z)`.
    grad_log_p : ndarray, shape (k, 2)
        :math:`\nabla_z \log p(z)`.
    """

    log_p: np.ndarray
    grad_log_p: np.ndarray

    def __len__(self) -> int:
        return len(self.log_p)


def smoothed_density(P, h, Z) -> SmoothedDensity:
    r"""The cloud ``P`` convolved with :math:`N(0, h^2 I)`: its log-density and gradient at ``Z``.

    The mean of the Gaussian densities centred at the rows of ``P``, by log-sum-exp (far
    from the cloud nothing underflows to ``log 0``).

    Raises
    ------
    InvalidInput
        A bad cloud or bad points, or ``h`` not positive and finite.

    Examples
    --------
    >>> d = smoothed_density([[0.0, 0.0]], 1.0, [[0.0, 0.0], [1.0, 0.0]])
    >>> bool(np.isclose(d.log_p[0], -np.log(2 * np.pi))), d.grad_log_p.tolist()
    (True, [[0.0, 0.0], [-1.0, 0.0]])
    """
    P = _cloud("P", P)
    h = check_positive("h", h, meaning="the smoothing width")
    Z = check_points("Z", Z, dim=2)
    log_p, grad = _log_kde(Z, P, h)
    return SmoothedDensity(log_p=frozen_array(log_p), grad_log_p=frozen_array(grad))


def js_discriminator(X, Y, h, Z, *, real: SmoothedDensity | None = None) -> JSDiscriminator:
    r"""The JS-GAN's optimal discriminator on smoothed densities, at the rows of ``Z``.

    :math:`p_r` and :math:`p_g` are the clouds ``X`` and ``Y`` convolved with
    :math:`N(0, h^2 I)`; logs and ratios are formed by log-sum-exp, so far from both clouds
    nothing underflows to 0/0.

    ``real``: ``smoothed_density(X, h, Z)`` if already known (it does not depend on ``Y``:
    a page moving the generated cloud over a fixed grid computes it once).

    Raises
    ------
    InvalidInput
        Bad clouds or points, ``h`` not positive and finite, or ``real`` not of ``len(Z)``
        points.

    Examples
    --------
    >>> js = js_discriminator([[0.0, 0.0]], [[0.0, 0.0]], 1.0, [[5.0, 1.0]])
    >>> js.D.round(12).tolist(), js.grad_minimax.tolist()
    ([0.5], [[0.0, 0.0]])
    """
    X, Y = _pair(X, Y)
    h = check_positive("h", h, meaning="the smoothing width")
    Z = check_points("Z", Z, dim=2)
    if real is None:
        log_pr, g_r = _log_kde(Z, X, h)
    elif len(real) != len(Z):
        raise InvalidInput(f"real has the density at {len(real)} points, Z has {len(Z)}")
    else:
        log_pr, g_r = np.asarray(real.log_p), np.asarray(real.grad_log_p)
    log_pg, g_g = _log_kde(Z, Y, h)
    log_total = np.logaddexp(log_pr, log_pg)
    D = np.exp(log_pr - log_total)
    one_minus = np.exp(log_pg - log_total)
    diff = g_g - g_r
    return JSDiscriminator(
        log_pr=frozen_array(log_pr),
        log_pg=frozen_array(log_pg),
        D=frozen_array(D),
        grad_minimax=frozen_array(D[:, None] * diff),
        grad_nonsaturating=frozen_array(one_minus[:, None] * diff),
    )


# --- WGAN-GP: a small tanh critic with hand-written gradients ---------------------------------


@dataclass(frozen=True, eq=False)
class MLPParams:
    r"""A critic :math:`f(z) = w \cdot \tanh(W z + b) + c` with ``H`` hidden units.

    ``W`` (H, 2), ``b`` (H,), ``w`` (H,), ``c`` a float.
    """

    W: np.ndarray
    b: np.ndarray
    w: np.ndarray
    c: float

    @staticmethod
    def init(hidden: int, seed: int, scale: float = 1.0) -> MLPParams:
        rng = np.random.default_rng(seed)
        return MLPParams(
            W=rng.normal(0.0, scale, (hidden, 2)),
            b=rng.normal(0.0, scale, hidden),
            w=rng.normal(0.0, 1.0 / np.sqrt(hidden), hidden),
            c=0.0,
        )

    def flat(self) -> np.ndarray:
        return np.concatenate([self.W.ravel(), self.b, self.w, [self.c]])

    @staticmethod
    def unflat(theta: np.ndarray) -> MLPParams:
        H = (len(theta) - 1) // 4
        return MLPParams(
            W=theta[: 2 * H].reshape(H, 2),
            b=theta[2 * H : 3 * H],
            w=theta[3 * H : 4 * H],
            c=float(theta[-1]),
        )


def mlp_value(p: MLPParams, Z) -> np.ndarray:
    """The critic at the rows of ``Z``, shape (k,)."""
    Z = np.asarray(Z, dtype=np.float64)
    return np.tanh(Z @ p.W.T + p.b) @ p.w + p.c


def mlp_input_gradient(p: MLPParams, Z) -> np.ndarray:
    r""":math:`\nabla_z f = W^\top (w \odot (1 - \tanh^2(Wz + b)))`, shape (k, 2)."""
    Z = np.asarray(Z, dtype=np.float64)
    T = np.tanh(Z @ p.W.T + p.b)
    return (p.w * (1.0 - T * T)) @ p.W


def gp_critic_loss(p: MLPParams, X, Y, lam: float, alpha) -> tuple[float, MLPParams]:
    r"""The WGAN-GP critic loss and its gradient with respect to the weights.

    .. math::

        L = \frac1n\sum_k f(y_k) - \frac1n\sum_k f(x_k)
            + \lambda \frac1n \sum_k \big(|\nabla f(\hat z_k)| - 1\big)^2,
        \qquad \hat z_k = \alpha_k x_k + (1 - \alpha_k) y_k .

    The critic minimizes ``L``, so ``-L`` without the penalty estimates :math:`W_1`. The
    penalty's weight gradient is written out: with :math:`u = w \odot s`,
    :math:`s = 1 - \tanh^2(W\hat z + b)`, :math:`G = W^\top u` and
    :math:`e = \partial L / \partial G`, :math:`v = W e`, one gets
    :math:`\partial_W = u e^\top + \delta \hat z^\top`, :math:`\partial_b = \delta`,
    :math:`\partial_w = v \odot s` with :math:`\delta = -2\, v \odot w \odot \tanh \odot s`.

    Parameters
    ----------
    X, Y : array_like, shape (n, 2)
        Real and fake points, paired row by row.
    lam : float
        Weight of the penalty (>= 0).
    alpha : array_like, shape (n,)
        Where on each segment from ``y_k`` to ``x_k`` the penalty looks.

    Returns
    -------
    (float, MLPParams)
        The loss, and its gradient in the shape of the weights.

    Examples
    --------
    >>> p = MLPParams(W=np.eye(2), b=np.zeros(2), w=np.ones(2), c=0.0)
    >>> loss, grad = gp_critic_loss(p, [[1.0, 0.0]], [[0.0, 0.0]], 0.0, [0.5])
    >>> round(loss, 12)  # f(0) - f(x) = -tanh(1)
    -0.761594155956
    """
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    alpha = np.asarray(alpha, dtype=np.float64).reshape(-1, 1)
    n = len(X)
    if Y.shape != X.shape or alpha.shape[0] != n:
        raise InvalidInput("X, Y and alpha must pair up row by row")
    # the W1 part: mean f(Y) - mean f(X)
    both = np.vstack([X, Y])
    sign = np.concatenate([np.full(n, -1.0 / n), np.full(n, 1.0 / n)])
    T = np.tanh(both @ p.W.T + p.b)
    S = 1.0 - T * T
    loss = float(sign @ (T @ p.w))
    dA = sign[:, None] * (S * p.w)
    gW = dA.T @ both
    gb = dA.sum(axis=0)
    gw = T.T @ sign
    # the penalty at the interpolates
    Zh = alpha * X + (1.0 - alpha) * Y
    Th = np.tanh(Zh @ p.W.T + p.b)
    Sh = 1.0 - Th * Th
    U = p.w * Sh
    G = U @ p.W
    N = np.linalg.norm(G, axis=1)
    loss += float(lam * np.mean((N - 1.0) ** 2))
    E = (2.0 * lam / n) * ((N - 1.0) / np.where(N > 0, N, 1.0))[:, None] * G
    V = E @ p.W.T
    delta = -2.0 * V * p.w * Th * Sh
    gW = gW + U.T @ E + delta.T @ Zh
    gb = gb + delta.sum(axis=0)
    gw = gw + (V * Sh).sum(axis=0)
    return loss, MLPParams(W=gW, b=gb, w=gw, c=0.0)


@dataclass(frozen=True, eq=False)
class GPCritic:
    """Outcome of :func:`train_gp_critic`.

    Attributes
    ----------
    params : MLPParams
        The trained critic.
    estimate : float
        ``mean f(X) - mean f(Y)``: the critic's estimate of :math:`W_1`.
    losses : ndarray
        The loss every ``record_every`` steps.
    steps : int
    lam : float
    """

    params: MLPParams
    estimate: float
    losses: np.ndarray
    steps: int
    lam: float

    def __call__(self, Z) -> np.ndarray:
        return mlp_value(self.params, Z)

    def gradient(self, Z) -> np.ndarray:
        return mlp_input_gradient(self.params, Z)


def train_gp_critic(
    X,
    Y,
    lam: float,
    *,
    steps: int = 1500,
    hidden: int = 32,
    lr: float = 0.01,
    seed: int = 0,
    record_every: int = 50,
    progress: Callable[[float, str], None] | None = None,
) -> GPCritic:
    r"""Train the tanh critic on :func:`gp_critic_loss` with Adam (full batch, a new
    :math:`\alpha` every step), from a seeded start; deterministic for a given seed.

    ``progress(fraction, text)`` is called every ``record_every`` steps (it may raise to stop).

    Raises
    ------
    InvalidInput
        Clouds of different sizes, a negative or non-finite ``lam``, absurd ``steps``.

    Examples
    --------
    >>> X = [[0.0, 0.0], [0.0, 1.0]]
    >>> r = train_gp_critic(X, [[2.0, 0.0], [2.0, 1.0]], 10.0, steps=400, seed=1)
    >>> 2.0 < r.estimate < 2.5  # W1 = 2: a soft penalty lets the critic overshoot
    True
    """
    X, Y = _pair(X, Y)
    if X.shape != Y.shape:
        raise InvalidInput("the gradient penalty pairs real and fake points: use equal sizes")
    lam = float(lam)
    if not np.isfinite(lam) or lam < 0 or lam > 1e4:
        raise InvalidInput("the penalty weight must be a number between 0 and 10000")
    if not 1 <= int(steps) <= 100_000:
        raise InvalidInput("steps must be between 1 and 100000")
    steps = int(steps)
    rng = np.random.default_rng(seed)
    spread = float(np.vstack([X, Y]).std()) or 1.0
    theta = MLPParams.init(hidden, seed, scale=1.0 / spread).flat()
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    beta1, beta2, tiny = 0.5, 0.9, 1e-8  # the WGAN-GP paper's Adam settings
    losses = []
    for t in range(1, steps + 1):
        alpha = rng.random(len(X))
        loss, grad = gp_critic_loss(MLPParams.unflat(theta), X, Y, lam, alpha)
        gflat = grad.flat()
        m = beta1 * m + (1 - beta1) * gflat
        v = beta2 * v + (1 - beta2) * gflat * gflat
        theta = theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + tiny)
        if t % record_every == 0 or t == steps:
            losses.append(loss)
            if progress is not None:
                progress(t / steps, f"step {t} of {steps}, loss {loss:.3f}")
    params = MLPParams.unflat(theta)
    estimate = float(mlp_value(params, X).mean() - mlp_value(params, Y).mean())
    return GPCritic(
        params=params, estimate=estimate, losses=frozen_array(losses), steps=steps, lam=lam
    )
