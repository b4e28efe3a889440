"""The take-home code of /colour_transfer: the page's numbers recomputed with POT and numpy.

The notebook carries both pictures as PNG bytes (base64; the bundled ones are a few KB), so
it runs offline anywhere. It samples the same palettes, solves the four methods with POT's
``ot.da`` transports, ``ot.emd2`` and a short numpy Sinkhorn (POT's own Sinkhorn needs tens
of seconds on 1000 colours at the page's small eps), prints every cost the readouts show and
the mean colour of the recoloured picture, and draws the four results.
"""

from __future__ import annotations

import base64
import functools

from pages.colour_transfer_images import IMAGE_DIR
from pages.takehome import TakeHome

_SETUP = """import base64
import io

import numpy as np
import ot
from PIL import Image
from scipy.spatial import cKDTree
from scipy.stats import rankdata

method, eps, n, seed = {method!r}, {eps!r}, {n}, {seed}
# the two pictures: {source} and {target}
{source_line}
{target_line}


def picture(data):
    return np.asarray(Image.open(data).convert("RGB"))


src, tgt = picture(source_png), picture(target_png)
S, T = src.reshape(-1, 3) / 255, tgt.reshape(-1, 3) / 255  # colours in [0, 1]
X = S[np.random.default_rng(seed).choice(len(S), n, replace=len(S) < n)]  # palettes
Y = T[np.random.default_rng(seed + 1).choice(len(T), n, replace=len(T) < n)]
# copies of one colour: one atom with their total mass (the same optimal cost, the same
# entropic plan split evenly over the copies, and a much smaller problem)
Xu, inv, count_x = np.unique(X, axis=0, return_inverse=True, return_counts=True)
Yu, count_y = np.unique(Y, axis=0, return_counts=True)
a, b = count_x / count_x.sum(), count_y / count_y.sum()
# squared distances between colours, written out: ot.dist rounds differently, and the
# optimal plan need not be unique, so another rounding can pick another optimal plan
M = ((Xu[:, None, :] - Yu[None, :, :]) ** 2).sum(axis=2)
print(f"distinct colours: {{len(Xu)}} in the source palette, {{len(Yu)}} in the target's")
"""

_SOLVE = '''def sinkhorn(eps, tol=1e-9):
    """Entropic plan: scaling iterations on a kernel that absorbs the potentials f, g every
    50 steps (nothing overflows), with eps lowered from 1 in halves (warm starts)."""
    f, g = np.zeros(len(a)), np.zeros(len(b))
    for e in [*(s for s in 2.0 ** -np.arange(20) if s > eps), eps]:
        for _ in range(100_000):
            K = np.exp((f[:, None] + g[None, :] - M) / e) * a[:, None] * b[None, :]
            u, v = np.ones(len(a)), np.ones(len(b))
            for _ in range(50):
                v = b / (K.T @ u)
                u = a / (K @ v)
            f, g = f + e * np.log(u), g + e * np.log(v)
            P = u[:, None] * K * v[None, :]
            if e > eps or np.abs(P.sum(0) - b).sum() + np.abs(P.sum(1) - a).sum() < tol:
                break
    return P


def barycentric(P):
    """Each palette colour goes to the mean of where its atom's mass goes."""
    return ((P @ Yu) / P.sum(1, keepdims=True))[inv.ravel()]


def quantile_map(s_sorted, t_sorted, z):
    """1D quantile map: the k-th smallest of n values has rank (k + 1/2) / n, copies of one
    value share their mean rank; z gets the interpolated rank, then the target's value."""
    ranks = (rankdata(s_sorted) - 0.5) / n  # average ranks of ties
    u = np.interp(z, s_sorted, ranks)  # equal s_sorted entries carry equal ranks
    return np.interp(u, (np.arange(n) + 0.5) / n, t_sorted)


P_exact = ot.emd(a, b, M)
P_entropic = sinkhorn(eps)
linear = ot.da.LinearTransport(reg=1e-8).fit(Xs=X, Xt=Y)
Xs, Ys = np.sort(X, axis=0), np.sort(Y, axis=0)
mapped = {{
    "exact": barycentric(P_exact),
    "entropic": barycentric(P_entropic),
    "linear": linear.transform(Xs=X),
    "histogram": np.column_stack([quantile_map(Xs[:, c], Ys[:, c], X[:, c]) for c in range(3)]),
}}
cost = {{
    "exact": np.sum(P_exact * M),
    "entropic": np.sum(P_entropic * M),
    "linear": np.mean(np.sum((mapped["linear"] - X) ** 2, axis=1)),
    "histogram": np.mean(np.sum((mapped["histogram"] - X) ** 2, axis=1)),
}}
for name, label in [("exact", "exact OT"), ("entropic", f"entropic OT, eps = {{eps:g}}"),
                    ("linear", "Gaussian map"), ("histogram", "per channel")]:
    print(f"cost {{name}} ({{label}}) = {{cost[name]:.5f}}")
'''

_PICTURE = '''def recolour(name, Z):
    """Every pixel: moved like its 4 nearest palette colours (weights 1 / distance) for a
    plan; the affine and per-channel maps apply to any colour directly."""
    if name == "linear":
        out = linear.transform(Xs=Z)
    elif name == "histogram":
        out = np.column_stack([quantile_map(Xs[:, c], Ys[:, c], Z[:, c]) for c in range(3)])
    else:
        # copies of one colour in the palette: one point, the mean of their moves
        Xu, inv = np.unique(X, axis=0, return_inverse=True)
        D = np.zeros_like(Xu)
        np.add.at(D, inv.ravel(), mapped[name] - X)
        D /= np.bincount(inv.ravel())[:, None]
        d, i = cKDTree(Xu).query(Z, k=4)
        w = 1 / np.maximum(d, 1e-12)
        w /= w.sum(1, keepdims=True)
        out = Z + np.einsum("nk,nkd->nd", w, D[i])
        hit = d[:, 0] <= 1e-12  # a pixel on a palette colour moves exactly as it does
        out[hit] = Z[hit] + D[i[hit, 0]]
    return np.clip(out, 0, 1)


result = recolour(method, S)
print(f"mean RGB of the picture ({{method}}) = " + ", ".join(f"{{v:.3f}}" for v in result.mean(0)))
'''

_PLOT = """import matplotlib.pyplot as plt

fig, ax = plt.subplots(1, 5, figsize=(16, 3), constrained_layout=True)
ax[0].imshow(src)
ax[0].set_title("source")
for k, name in enumerate(["exact", "entropic", "linear", "histogram"], start=1):
    ax[k].imshow(recolour(name, S).reshape(src.shape))
    ax[k].set_title(name)
for a_ in ax:
    a_.axis("off")
plt.show()
"""


@functools.lru_cache(maxsize=8)
def _bundled_base64(name: str) -> str:
    return base64.b64encode((IMAGE_DIR / f"{name}.png").read_bytes()).decode("ascii")


def _picture_line(var: str, name: str, upload_name: str) -> tuple[str, str]:
    """The code line that gives the picture (PNG bytes inline; an upload by its file name),
    and the picture's name in words."""
    from pages.colour_transfer_images import BUNDLED

    if name in BUNDLED:
        line = f'{var} = io.BytesIO(base64.b64decode("{_bundled_base64(name)}"))'
        return line, BUNDLED[name]
    file = upload_name or "your_picture.png"
    return f"{var} = {file!r}  # your upload: put the file beside this notebook", "your upload"


def takehome(m, upload_names: dict | None = None) -> TakeHome:
    """The notebook of the current view (bundled pictures inline; an upload by file name)."""
    upload_names = upload_names or {}
    texts = {
        role: _picture_line(f"{role}_png", getattr(m, role), upload_names.get(role, ""))
        for role in ("source", "target")
    }
    return TakeHome(
        title="Colour transfer by optimal transport",
        intro=(
            f"Recolour *{texts['source'][1]}* with the colours of *{texts['target'][1]}*. "
            f"Each picture gives a palette of {m.n} colours (seeds {m.seed} and {m.seed + 1}); "
            "the palettes are paired four ways (exact OT, entropic OT at "
            f"$\\varepsilon = {m.eps:g}$, the Gaussian map, per-channel quantiles) and every "
            "pixel moves like its nearest palette colours. The code prints the costs in the "
            "page's readouts and the mean colour of the recoloured picture "
            f"({m.method})."
        ),
        equation=r"T(x_i) = \frac{1}{a_i} \sum_j P_{ij}\, y_j",
        cells=(
            _SETUP.format(
                method=m.method,
                eps=float(m.eps),
                n=int(m.n),
                seed=int(m.seed),
                source=texts["source"][1],
                target=texts["target"][1],
                source_line=texts["source"][0],
                target_line=texts["target"][0],
            ),
            _SOLVE.format(),
            _PICTURE.format(),
            _PLOT,
        ),
        notes=(
            "For a plan the cost is $\\langle C, P\\rangle$; for the two maps it is the mean "
            "squared move $\\frac1n \\sum_i |T(x_i) - x_i|^2$.",
            "POT's own `ot.sinkhorn` reaches the same plan, but needs tens of seconds on "
            "1000 colours at small $\\varepsilon$; the short solver above lowers $\\varepsilon$ "
            "in halves and starts each stage from the last one's potentials.",
        ),
    )
