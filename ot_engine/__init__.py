"""ot_engine: the numerical core of the optimal transport explainer.

Arrays in, frozen result records out; no web framework imports.  Every solver result carries
its own accuracy (``marginal_error``, ``converged``).  Every bad input raises
:class:`InvalidInput` (a ``ValueError``) with a message a student can act on.

Layout (geometry / problem / solver):

* geometry: :func:`uniform_grid`, :func:`cost_matrix`, :func:`distance_matrix`
* solvers: :func:`sinkhorn` (entropic), :func:`exact` (network simplex),
  :func:`monotone_plan_1d` (1D quantile coupling), :func:`empirical_w2`,
  :func:`sinkhorn_unbalanced` (KL-relaxed marginals), :func:`partial_transport`,
  :func:`gromov_wasserstein`, :func:`gromov_multistart`
* step by step: :func:`sinkhorn_steps` (plain and log-domain half-steps),
  :func:`entropic_plan_2x2`
* Monge's problem: :func:`monge_map` (every map between atoms, the best one)
* one dimension: :func:`transport_1d` (W_p for every order), :func:`quantile_1d`,
  :func:`bottleneck_lp`
* duality: :func:`kantorovich_potentials`, :func:`c_transform`, :func:`soft_c_transform`,
  :func:`dual_value`, :func:`entropic_dual_value`, :func:`slack`, :func:`lipschitz_constant`
* sliced: :func:`sliced_wasserstein`, :func:`max_sliced_wasserstein`,
  :func:`sphere_directions`, :func:`projected_w2_squared`, :func:`dimension_gap`
* closed forms: :func:`brenier_potential`, :func:`brenier_map`, :func:`gaussian_map_matrix`,
  :func:`gaussian_brenier_potential`, :func:`gaussian_brenier_map`, :func:`gaussian_w2`,
  :func:`sample_gaussian`
* comparisons of histograms: :func:`kl`, :func:`js`, :func:`tv`, :func:`hellinger`,
  :func:`wasserstein_1d`, :func:`kantorovich_critic_1d`, :func:`gw_objective`
"""

from .divergences import hellinger, js, kantorovich_critic_1d, kl, tv, wasserstein_1d
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
from .gromov import (
    GromovResult,
    GromovStarts,
    distance_matrix,
    gromov_multistart,
    gromov_wasserstein,
    gw_objective,
)
from .monge import MongeResult, monge_map
from .one_d import BottleneckResult, OneDTransport, bottleneck_lp, quantile_1d, transport_1d
from .results import ExactResult, MonotonePlan, SinkhornResult
from .sinkhorn import sinkhorn
from .sinkhorn_steps import SinkhornSteps, entropic_plan_2x2, sinkhorn_steps
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
from .unbalanced import PartialResult, UnbalancedResult, partial_transport, sinkhorn_unbalanced
from .validation import MAX_SIZE, InvalidInput

__all__ = [
    "MAX_SIZE",
    "BottleneckResult",
    "DimensionGap",
    "ExactResult",
    "GromovResult",
    "GromovStarts",
    "InvalidInput",
    "KantorovichDuals",
    "MaxSlicedResult",
    "MongeResult",
    "MonotonePlan",
    "OneDTransport",
    "PartialResult",
    "SinkhornResult",
    "SinkhornSteps",
    "SlicedResult",
    "UnbalancedResult",
    "bottleneck_lp",
    "brenier_map",
    "brenier_potential",
    "c_transform",
    "cost_matrix",
    "dimension_gap",
    "distance_matrix",
    "dual_value",
    "empirical_w2",
    "entropic_dual_value",
    "entropic_plan_2x2",
    "exact",
    "gaussian_brenier_map",
    "gaussian_brenier_potential",
    "gaussian_map_matrix",
    "gaussian_w2",
    "gromov_multistart",
    "gromov_wasserstein",
    "gw_objective",
    "hellinger",
    "js",
    "kantorovich_critic_1d",
    "kantorovich_potentials",
    "kl",
    "lipschitz_constant",
    "max_sliced_wasserstein",
    "monge_map",
    "monotone_plan_1d",
    "partial_transport",
    "projected_w2_squared",
    "quantile_1d",
    "sample_gaussian",
    "sinkhorn",
    "sinkhorn_steps",
    "sinkhorn_unbalanced",
    "slack",
    "sliced_wasserstein",
    "soft_c_transform",
    "sphere_directions",
    "transport_1d",
    "tv",
    "uniform_grid",
    "wasserstein_1d",
]

# WGAN critics (the /wgan_critic page): exact W1 critic, JS discriminator, WGAN-GP.
from .wgan import (
    GPCritic,
    JSDiscriminator,
    W1Critic,
    gp_critic_loss,
    js_discriminator,
    train_gp_critic,
    w1_critic,
)

__all__ += [
    "GPCritic",
    "JSDiscriminator",
    "W1Critic",
    "gp_critic_loss",
    "js_discriminator",
    "train_gp_critic",
    "w1_critic",
]
