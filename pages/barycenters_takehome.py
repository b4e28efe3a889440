"""/barycenters, taken home: the code box and notebook of each view (numpy, POT, matplotlib).

Each view's cell rebuilds the page's inputs for the current link, recomputes its numbers in
another way than the page (POT where it has the verb) and prints them as the readouts do.
"""

from __future__ import annotations

import inspect

from pages import barycenters as page
from pages.takehome import TakeHome

_FMT = """def fmt(v):
    return f"{v:.6f}" if abs(v) >= 1e-3 else f"{v:.3e}"
"""

_LINE = '''import numpy as np
import ot

w = np.array({w!r})
H = np.array([{h1}, {h2}, {h3}])
n = H.shape[1]
x = (np.arange(n) + 0.5) / n  # bin centres
P = H / H.sum(axis=1, keepdims=True)
{fmt}

def barycenter(w):
    """Average the quantile functions: they are constant between consecutive CDF values."""
    F = np.cumsum(P, axis=1)
    F /= F[:, -1:]
    levels = np.unique(np.concatenate([[0.0, 1.0], F.ravel()]))
    levels = levels[np.concatenate([[True], np.diff(levels) > 1e-14])]
    levels[-1] = 1.0
    s = levels[1:]
    Q = np.array([x[np.minimum(np.searchsorted(Fk, s - 1e-13), n - 1)] for Fk in F])
    return w @ Q, np.diff(levels)


def objective(pos, mass):
    """sum_k w_k W2^2(nu, mu_k), each W2^2 from POT."""
    return sum(wk * ot.wasserstein_1d(pos, x, mass, Pk, p=2) for wk, Pk in zip(w, P))


pos, mass = barycenter(w)
best = objective(pos, mass)
print(f"objective of the barycenter = {{fmt(best)}}")
mean = pos @ mass
candidates = {{
    "Euclidean average": (x, w @ P),
    "shifted left": (pos - 1 / n, mass),
    "shifted right": (pos + 1 / n, mass),
    "stretched": (mean + {stretch!r} * (pos - mean), mass),
}}
for k in range(3):
    candidates[f"weights nudged toward mu{{k + 1}}"] = barycenter(
        (1 - {step!r}) * w + {step!r} * np.eye(3)[k]
    )
for name, (p, m) in candidates.items():
    value = objective(p, m)
    print(f"{{name}} = {{fmt(value)}} (+{{fmt(value - best)}})")
'''

_LINE_PLOT = """import matplotlib.pyplot as plt

fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), constrained_layout=True)
for k, Pk in enumerate(P):
    top.step(x, Pk, where="mid", label=f"mu{k + 1}")
top.legend()
idx = np.clip(np.rint(pos * n - 0.5).astype(int), 0, n - 1)
bottom.bar(x, np.bincount(idx, weights=mass, minlength=n), width=1 / n, color="#009E73",
           label="barycenter")
bottom.step(x, w @ P, where="mid", color="grey", linestyle="--", label="Euclidean average")
bottom.legend()
plt.show()
"""

_GRID = '''import numpy as np
import ot
from scipy.special import logsumexp

shapes, reg, w = {shapes!r}, {reg!r}, np.array({w!r})
n, k = {n}, len(w)  # grid side, number of shapes


def _bump(x, centre, width):
    return np.exp(-0.5 * ((x - centre) / width) ** 2)


{grid_shapes}

A = grid_shapes(shapes, n, k)
t = np.linspace(0, 1, n)
M = -((t[:, None] - t[None, :]) ** 2) / reg  # log of the 1-D kernel


def log_blur(L):
    """log(K exp(L) K^T), one axis at a time, in log-sum-exp form."""
    L = logsumexp(M[:, :, None] + L[..., None, :, :], axis=-2)
    L = logsumexp(M[:, :, None] + np.swapaxes(L, -1, -2)[..., None, :, :], axis=-2)
    return np.swapaxes(L, -1, -2)


with np.errstate(divide="ignore"):
    log_a = np.log(A)
log_v = np.zeros_like(A)
for sweep in range(1, 20001):  # iterated Bregman projections, in logs
    log_u = log_a - log_blur(log_v)
    log_Ku = log_blur(log_u)
    log_b = np.sum(w[:, None, None] * (log_v + log_Ku), axis=0)
    error = np.sum(w * np.abs(np.exp(log_v + log_Ku) - np.exp(log_b)).sum(axis=(1, 2)))
    log_v = log_b - log_Ku
    if error <= {tol!r}:
        break
bary = np.exp(log_b) / np.exp(log_b).sum()
y_up = 1 - t  # row 0 of an image is the top
print(f"converged: {{error <= {tol!r}}} after {{sweep}} sweeps (marginal error {{error:.1e}})")
print(f"centre of mass = ({{bary.sum(0) @ t:.3f}}, {{bary.sum(1) @ y_up:.3f}})")
'''

_GRID_POT = """if reg >= 0.004:  # POT's plain variant (its small-value floor drifts at smaller reg)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pot = ot.bregman.convolutional_barycenter2d(A, reg, w, stopThr=1e-10, numItermax=5000)
    gap = np.abs(bary - pot / pot.sum()).sum()
    print(f"L1 gap to POT's convolutional_barycenter2d = {gap:.1e}")
"""

_GRID_PLOT = """import matplotlib.pyplot as plt

fig, ax = plt.subplots(1, len(A) + 1, figsize=(3 * len(A) + 3, 3), constrained_layout=True)
for j, img in enumerate([*A, bary]):
    ax[j].imshow(img, cmap="viridis")
    ax[j].set_title(f"mu{j + 1}" if j < len(A) else "barycenter")
    ax[j].axis("off")
plt.show()
"""

_GAUSS = """import numpy as np
import ot

w = np.array({w!r})
means = np.array({means})
covs = np.array({covs})
{fmt}

def w2sq(m1, S1, m2, S2):
    return ot.gaussian.bures_wasserstein_distance(m1, m2, S1, S2) ** 2


mean, cov = ot.gaussian.bures_wasserstein_barycenter(means, covs, w, eps=1e-12, num_iter=2000)
best = sum(wk * w2sq(mean, cov, m, S) for wk, m, S in zip(w, means, covs))
euclid = np.einsum("k,kij->ij", w, covs)
other = sum(wk * w2sq(mean, euclid, m, S) for wk, m, S in zip(w, means, covs))
print(f"objective of the Bures barycenter = {{fmt(best)}}")
print(f"same mean, averaged covariance = {{fmt(other)}} (+{{fmt(other - best)}})")
print(f"mean = ({{round(mean[0], 4) + 0.0:.4f}}, {{round(mean[1], 4) + 0.0:.4f}})")
rows = ", ".join("[" + ", ".join(f"{{v:.4f}}" for v in row) + "]" for row in cov)
print(f"covariance = [{{rows}}]")
"""

_GAUSS_PLOT = """import matplotlib.pyplot as plt


def ellipse(m, S, scale=2.0):
    vals, vecs = np.linalg.eigh(S)
    t = np.linspace(0, 2 * np.pi, 100)
    return m[:, None] + scale * (vecs * np.sqrt(vals)) @ vecs.T @ np.vstack([np.cos(t), np.sin(t)])


fig, ax = plt.subplots(figsize=(5, 5))
for k, (m, S) in enumerate(zip(means, covs)):
    ax.plot(*ellipse(m, S), label=f"mu{k + 1}")
ax.plot(*ellipse(mean, cov), color="#009E73", linewidth=3, label="barycenter")
ax.plot(*ellipse(mean, euclid), color="grey", linestyle="--", label="averaged covariance")
ax.set_aspect("equal")
ax.legend()
plt.show()
"""


_WORDS = {2: "two", 3: "three", 4: "four"}


def _list(a) -> str:
    return "[" + ", ".join(f"{v:g}" for v in a) + "]"


def _grid_shapes_source() -> str:
    src = inspect.getsource(page.grid_shapes)
    return src.replace("n: int = N_GRID", "n").split('    """')[0] + src.split('"""')[2].lstrip(
        "\n"
    )


def takehome(m) -> TakeHome:
    w = [float(v) for v in m.weights]
    count = _WORDS[m.count]
    if m.view == "line":
        return TakeHome(
            title="The barycenter of three histograms on the line",
            intro=(
                "Three histograms on [0, 1] and weights $w$. On the line the W2 barycenter's "
                "quantile function is the weighted average of theirs; the code computes it "
                "exactly, then evaluates the objective (with POT's `wasserstein_1d`) for it "
                "and for its neighbours: each one costs more."
            ),
            equation=r"Q_{\nu^*}(s) = \sum_k w_k Q_{\mu_k}(s)",
            cells=(
                _LINE.format(
                    w=w,
                    h1=_list(m.h1),
                    h2=_list(m.h2),
                    h3=_list(m.h3),
                    fmt=_FMT,
                    stretch=page.STRETCH,
                    step=page.WEIGHT_STEP,
                ),
                _LINE_PLOT,
            ),
            code_title="Show the code (numpy + POT)",
        )
    if m.view == "grid":
        return TakeHome(
            title=f"The entropic barycenter of {count} shapes on a grid",
            intro=(
                f"{count.capitalize()} shapes on a {page.N_GRID} x {page.N_GRID} grid of the "
                "unit square, "
                f"weights $w$, entropy reg = {m.reg:g}. Iterated Bregman projections with a "
                "Gaussian kernel, every blur done in log-sum-exp form (slower than the page's "
                "solver, same fixed point), compared with POT's `convolutional_barycenter2d`."
            ),
            equation=r"\nu^* = \arg\min_\nu \sum_k w_k W_{\mathrm{reg}}(\nu, \mu_k)",
            cells=(
                _GRID.format(
                    shapes=m.shapes,
                    reg=float(m.reg),
                    w=w,
                    n=page.N_GRID,
                    tol=page.GRID_TOL,
                    grid_shapes=_grid_shapes_source(),
                ),
                _GRID_POT,
                _GRID_PLOT,
            ),
            code_title="Show the code (numpy + POT)",
        )
    means, covs = page.gauss_preset(m.gauss, m.count)
    return TakeHome(
        title=f"The barycenter of {count} Gaussians",
        intro=(
            f"{count.capitalize()} Gaussians in the plane and weights $w$: their W2 "
            "barycenter is Gaussian, "
            "its mean the weighted mean, its covariance the fixed point below (POT's "
            "`bures_wasserstein_barycenter`)."
        ),
        equation=r"S = \sum_k w_k \left(S^{1/2} \Sigma_k S^{1/2}\right)^{1/2}",
        cells=(
            _GAUSS.format(
                w=w,
                means=repr(means.round(15).tolist()),
                covs=repr(covs.tolist()),
                fmt=_FMT,
            ),
            _GAUSS_PLOT,
        ),
        code_title="Show the code (POT)",
    )
