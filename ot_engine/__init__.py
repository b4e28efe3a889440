"""ot_engine: the numerical core of the optimal transport explainer.

Arrays in, frozen result records out; no web framework imports.  Every solver result carries
its own accuracy (``marginal_error``, ``converged``).  Every bad input raises
:class:`InvalidInput` (a ``ValueError``) with a message a student can act on.

Layout (geometry / problem / solver):

* geometry: :func:`uniform_grid`, :func:`cost_matrix`
* solvers: :func:`sinkhorn` (entropic), :func:`exact` (network simplex),
  :func:`monotone_plan_1d` (1D quantile coupling), :func:`empirical_w2`
* closed forms: :func:`brenier_potential`, :func:`brenier_map`, :func:`gaussian_map_matrix`,
  :func:`gaussian_brenier_potential`, :func:`gaussian_brenier_map`, :func:`gaussian_w2`,
  :func:`sample_gaussian`
* comparisons of histograms: :func:`kl`, :func:`js`, :func:`tv`, :func:`hellinger`,
  :func:`wasserstein_1d`, :func:`kantorovich_critic_1d`
"""

from .divergences import hellinger, js, kantorovich_critic_1d, kl, tv, wasserstein_1d
from .exact import empirical_w2, exact, monotone_plan_1d
from .gaussian import (
    brenier_map,
    brenier_potential,
    gaussian_brenier_map,
    gaussian_brenier_potential,
    gaussian_map_matrix,
    gaussian_w2,
    sample_gaussian,
)
from .geometry import cost_matrix, uniform_grid
from .results import ExactResult, MonotonePlan, SinkhornResult
from .sinkhorn import sinkhorn
from .validation import MAX_SIZE, InvalidInput

__all__ = [
    "MAX_SIZE",
    "ExactResult",
    "InvalidInput",
    "MonotonePlan",
    "SinkhornResult",
    "brenier_map",
    "brenier_potential",
    "cost_matrix",
    "empirical_w2",
    "exact",
    "gaussian_brenier_map",
    "gaussian_brenier_potential",
    "gaussian_map_matrix",
    "gaussian_w2",
    "hellinger",
    "js",
    "kantorovich_critic_1d",
    "kl",
    "monotone_plan_1d",
    "sample_gaussian",
    "sinkhorn",
    "tv",
    "uniform_grid",
    "wasserstein_1d",
]

# Gromov-Wasserstein (chapter 3, /gromov_wasserstein)
from .gromov import (
    GromovResult,
    GromovStarts,
    distance_matrix,
    gromov_multistart,
    gromov_wasserstein,
    gw_objective,
)

__all__ += [
    "GromovResult",
    "GromovStarts",
    "distance_matrix",
    "gromov_multistart",
    "gromov_wasserstein",
    "gw_objective",
]
