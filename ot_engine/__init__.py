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
  :func:`gaussian_brenier_conjugate`, :func:`gaussian_density`, :func:`monge_ampere`,
  :func:`sample_gaussian`
* comparisons of histograms: :func:`kl`, :func:`js`, :func:`tv`, :func:`hellinger`,
  :func:`wasserstein_1d`, :func:`kantorovich_critic_1d`, :func:`gw_objective`
* geodesics and the fluid picture: :func:`displacement_1d`, :func:`mixture`,
  :func:`mccann_2d`, :func:`w2_lp`, :func:`density_flow_1d`, :func:`flow_grid_1d`,
  :func:`gaussian_flow`, :func:`gaussian_flow_grid`
* barycenters: :func:`barycenter_1d`, :func:`barycenter_objective_1d`,
  :func:`convolutional_barycenter_2d`, :func:`bures_barycenter`
* applications: :func:`palette_transport`, :func:`map_colours`, :func:`extend_displacement`,
  :func:`sample_palette` (colours); :func:`map_to_target`, :func:`barycentric_map` (domain
  adaptation); :func:`diagram_distance`, :func:`sublevel_diagram`, :func:`check_diagram`
  (persistence diagrams); :func:`flow_matching_run`, :func:`minibatch_ot_pairing`,
  :func:`fit_velocity`, :func:`euler`, :func:`crossing_pairs` (flow matching);
  :func:`w1_critic`, :func:`js_discriminator`, :func:`smoothed_density`, :func:`gp_critic_loss`,
  :func:`train_gp_critic` (the WGAN critic)
"""

from .barycenter import (
    Barycenter1D,
    Barycenter2D,
    GaussianBarycenter,
    barycenter_1d,
    barycenter_objective_1d,
    bures_barycenter,
    convolutional_barycenter_2d,
)
from .colour import PaletteMap, extend_displacement, map_colours, palette_transport, sample_palette
from .divergences import hellinger, js, kantorovich_critic_1d, kl, tv, wasserstein_1d
from .domain import DomainMapping, barycentric_map, map_to_target
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
from .dynamic import (
    DensityFlow1D,
    FlowGrid,
    GaussianFlow,
    density_flow_1d,
    flow_grid_1d,
    gaussian_flow,
    gaussian_flow_grid,
)
from .exact import empirical_w2, exact, monotone_plan_1d
from .flow_matching import (
    FlowRun,
    VelocityFit,
    crossing_pairs,
    euler,
    fit_velocity,
    flow_matching_run,
    minibatch_ot_pairing,
)
from .gaussian import (
    MongeAmpere,
    brenier_map,
    brenier_potential,
    gaussian_brenier_conjugate,
    gaussian_brenier_map,
    gaussian_brenier_potential,
    gaussian_density,
    gaussian_map_matrix,
    gaussian_w2,
    monge_ampere,
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
from .interpolation import (
    Displacement1D,
    McCann2D,
    W2Check,
    displacement_1d,
    mccann_2d,
    mixture,
    w2_lp,
)
from .monge import MongeResult, monge_map
from .one_d import BottleneckResult, OneDTransport, bottleneck_lp, quantile_1d, transport_1d
from .persistence import DiagramMatching, check_diagram, diagram_distance, sublevel_diagram
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
from .wgan import (
    GPCritic,
    JSDiscriminator,
    SmoothedDensity,
    W1Critic,
    gp_critic_loss,
    js_discriminator,
    smoothed_density,
    train_gp_critic,
    w1_critic,
)

__all__ = [
    "MAX_SIZE",
    "Barycenter1D",
    "Barycenter2D",
    "BottleneckResult",
    "DensityFlow1D",
    "DiagramMatching",
    "DimensionGap",
    "Displacement1D",
    "DomainMapping",
    "ExactResult",
    "FlowGrid",
    "FlowRun",
    "GPCritic",
    "GaussianBarycenter",
    "GaussianFlow",
    "GromovResult",
    "GromovStarts",
    "InvalidInput",
    "JSDiscriminator",
    "KantorovichDuals",
    "MaxSlicedResult",
    "McCann2D",
    "MongeAmpere",
    "MongeResult",
    "MonotonePlan",
    "OneDTransport",
    "PaletteMap",
    "PartialResult",
    "SinkhornResult",
    "SinkhornSteps",
    "SlicedResult",
    "SmoothedDensity",
    "UnbalancedResult",
    "VelocityFit",
    "W1Critic",
    "W2Check",
    "barycenter_1d",
    "barycenter_objective_1d",
    "barycentric_map",
    "bottleneck_lp",
    "brenier_map",
    "brenier_potential",
    "bures_barycenter",
    "c_transform",
    "check_diagram",
    "convolutional_barycenter_2d",
    "cost_matrix",
    "crossing_pairs",
    "density_flow_1d",
    "diagram_distance",
    "dimension_gap",
    "displacement_1d",
    "distance_matrix",
    "dual_value",
    "empirical_w2",
    "entropic_dual_value",
    "entropic_plan_2x2",
    "euler",
    "exact",
    "extend_displacement",
    "fit_velocity",
    "flow_grid_1d",
    "flow_matching_run",
    "gaussian_brenier_conjugate",
    "gaussian_brenier_map",
    "gaussian_brenier_potential",
    "gaussian_density",
    "gaussian_flow",
    "gaussian_flow_grid",
    "gaussian_map_matrix",
    "gaussian_w2",
    "gp_critic_loss",
    "gromov_multistart",
    "gromov_wasserstein",
    "gw_objective",
    "hellinger",
    "js",
    "js_discriminator",
    "kantorovich_critic_1d",
    "kantorovich_potentials",
    "kl",
    "lipschitz_constant",
    "map_colours",
    "map_to_target",
    "max_sliced_wasserstein",
    "mccann_2d",
    "minibatch_ot_pairing",
    "mixture",
    "monge_ampere",
    "monge_map",
    "monotone_plan_1d",
    "palette_transport",
    "partial_transport",
    "projected_w2_squared",
    "quantile_1d",
    "sample_gaussian",
    "sample_palette",
    "sinkhorn",
    "sinkhorn_steps",
    "sinkhorn_unbalanced",
    "slack",
    "sliced_wasserstein",
    "smoothed_density",
    "soft_c_transform",
    "sphere_directions",
    "sublevel_diagram",
    "train_gp_critic",
    "transport_1d",
    "tv",
    "uniform_grid",
    "w1_critic",
    "w2_lp",
    "wasserstein_1d",
]
