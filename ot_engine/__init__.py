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
from .sinkhorn_steps import SinkhornSteps, entropic_plan_2x2, sinkhorn_steps
from .validation import MAX_SIZE, InvalidInput

__all__ = [
    "MAX_SIZE",
    "ExactResult",
    "InvalidInput",
    "MonotonePlan",
    "SinkhornResult",
    "SinkhornSteps",
    "brenier_map",
    "brenier_potential",
    "cost_matrix",
    "empirical_w2",
    "entropic_plan_2x2",
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
    "sinkhorn_steps",
    "tv",
    "uniform_grid",
    "wasserstein_1d",
]

# Monge's problem between atoms (exact search over maps)
from .monge import MongeResult, monge_map

__all__ += ["MongeResult", "monge_map"]

# Transport on the line: quantiles, the monotone plan, W_p for every order
from .one_d import BottleneckResult, OneDTransport, bottleneck_lp, quantile_1d, transport_1d

__all__ += ["BottleneckResult", "OneDTransport", "bottleneck_lp", "quantile_1d", "transport_1d"]

# Kantorovich duality: potentials, c-transforms, dual values
from .duality import (
    KantorovichDuals,
    c_transform,
    dual_value,
    entropic_dual_value,
    kantorovich_potentials,
    lipschitz_constant,
    slack,
    soft_c_transform,
)

__all__ += [
    "KantorovichDuals",
    "c_transform",
    "dual_value",
    "entropic_dual_value",
    "kantorovich_potentials",
    "lipschitz_constant",
    "slack",
    "soft_c_transform",
]

# Sliced transport: random directions, sorting, max-sliced
from .sliced import (
    DimensionGap,
    MaxSlicedResult,
    SlicedResult,
    dimension_gap,
    max_sliced_wasserstein,
    projected_w2_squared,
    sliced_wasserstein,
    sphere_directions,
)

__all__ += [
    "DimensionGap",
    "MaxSlicedResult",
    "SlicedResult",
    "dimension_gap",
    "max_sliced_wasserstein",
    "projected_w2_squared",
    "sliced_wasserstein",
    "sphere_directions",
]

# Unbalanced and partial transport
from .unbalanced import PartialResult, UnbalancedResult, partial_transport, sinkhorn_unbalanced

__all__ += ["PartialResult", "UnbalancedResult", "partial_transport", "sinkhorn_unbalanced"]

# Gromov-Wasserstein
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
