"""The sliding-bump divergences against SciPy, POT, closed forms and finite differences."""

from __future__ import annotations

import math

import numpy as np
import ot
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr
from scipy.stats import entropy

from ot_engine import InvalidInput
from ot_engine import shift_family as sf

H = 2 * sf.DOMAIN / sf.N_CELLS  # grid cell width (0.01)
X = sf.grid_centres()
COMPACT = ("box", "tent", "epanechnikov", "cosine")


def hists(shape: str, width: float, shift: float) -> tuple[np.ndarray, np.ndarray]:
    p = np.exp(sf.bump_log_masses(sf.FIXED)[0])
    q = np.exp(sf.bump_log_masses(sf.Bump(shape, width), [shift])[0])
    return p, q


# --- an independent construction of the same histograms, from scipy.stats ------------------

EDGES = np.linspace(-sf.DOMAIN, sf.DOMAIN, sf.N_CELLS + 1)


def scipy_bump(shape: str, width: float, centre: float = 0.0):
    """The bump as a scipy.stats distribution of standard deviation ``width``."""
    if shape == "gaussian":
        return stats.norm(centre, width)
    if shape == "box":
        a = math.sqrt(3.0) * width
        return stats.uniform(centre - a, 2 * a)
    if shape == "tent":
        a = math.sqrt(6.0) * width
        return stats.triang(0.5, loc=centre - a, scale=2 * a)
    if shape == "epanechnikov":  # 3/(4a) (1 - z^2/a^2) is Beta(2, 2) stretched to [-a, a]
        a = math.sqrt(5.0) * width
        return stats.beta(2, 2, loc=centre - a, scale=2 * a)
    # Raised cosine: scipy's cosine lives on [-pi, pi] with variance pi^2/3 - 2.
    scale = width / math.sqrt(math.pi**2 / 3.0 - 2.0)
    return stats.cosine(loc=centre, scale=scale)


def scipy_hist(shape: str, width: float, centre: float = 0.0) -> np.ndarray:
    m = np.diff(scipy_bump(shape, width, centre).cdf(EDGES))
    return m / m.sum()


P_REF = scipy_hist("tent", sf.FIXED.width)


def reference_values(shape: str, width: float, shift: float) -> dict[str, float]:
    """Every divergence from scipy / numpy / POT on the scipy-built histograms."""
    q = scipy_hist(shape, width, shift)
    return {
        "kl_pq": float(rel_entr(P_REF, q).sum()),
        "kl_qp": float(rel_entr(q, P_REF).sum()),
        "js": float(jensenshannon(P_REF, q) ** 2),
        "tv": float(0.5 * np.abs(P_REF - q).sum()),
        "hellinger": float(np.linalg.norm(np.sqrt(P_REF) - np.sqrt(q)) / math.sqrt(2)),
        "w1": float(ot.wasserstein_1d(X, X, P_REF, q, p=1)),
        "w2": math.sqrt(ot.wasserstein_1d(X, X, P_REF, q, p=2)),
    }


def test_scipy_histograms_are_the_engine_histograms():
    # The reference construction is independent (scipy.stats CDFs) but must describe the same
    # distributions: same cell masses to rounding.
    np.testing.assert_allclose(P_REF, np.exp(sf.bump_log_masses(sf.FIXED)[0]), atol=1e-15)
    for shape in sf.SHAPES:
        _, q = hists(shape, 0.6, 0.37)
        np.testing.assert_allclose(scipy_hist(shape, 0.6, 0.37), q, atol=1e-14)


@pytest.mark.parametrize("shape", sf.SHAPES)
def test_cell_masses_sum_to_one_and_match_moments(shape):
    q = np.exp(sf.bump_log_masses(sf.Bump(shape, 0.7), [1.234])[0])
    assert q.sum() == pytest.approx(1.0, abs=1e-12)
    mean = np.sum(q * X)
    var = np.sum(q * (X - mean) ** 2)
    # Atoms at cell centres: a partly covered edge cell (mass <= h * peak) sits up to h/2 from its
    # own centroid, so the mean is off by at most h^2 * peak; the variance gains ~h^2/12.
    assert mean == pytest.approx(1.234, abs=H**2 * sf.Bump(shape, 0.7).peak)
    assert var == pytest.approx(0.7**2 + H**2 / 12, rel=1e-4)


@pytest.mark.parametrize("shape", sf.SHAPES)
def test_masses_move_continuously_with_sub_cell_shifts(shape):
    # A shift by delta = a tenth of a cell moves mass delta * q(edge) across each cell edge, so
    # the histograms differ in TV by delta/2 * sum over edges |q(e_i) - q(e_(i+1))| = delta * peak
    # for a unimodal bump (the centre 0.5 sits on an edge): a tenth-of-a-cell change, not a jump.
    # First order in delta: the tent's kink at the peak costs it 7e-4 relative, the rest ~2e-6.
    bump = sf.Bump(shape, 0.3)
    delta = H / 10
    a = np.exp(sf.bump_log_masses(bump, [0.5])[0])
    b = np.exp(sf.bump_log_masses(bump, [0.5 + delta])[0])
    assert 0.5 * np.abs(a - b).sum() == pytest.approx(delta * bump.peak, rel=2e-3)


@pytest.mark.parametrize(
    ("shape", "width", "shift"),
    [("gaussian", 0.8, 0.4), ("gaussian", 0.5, 2.0), ("tent", 0.8, 0.3), ("cosine", 1.2, -0.5)],
)
def test_values_match_scipy_and_pot_on_the_histograms(shape, width, shift):
    p, q = hists(shape, width, shift)
    values, _ = sf.divergences_at(shape, width, shift)
    # Same histograms, same formulas up to summation order: agreement to rounding.
    assert values["kl_pq"] == pytest.approx(entropy(p, q), rel=1e-10)
    assert values["js"] == pytest.approx(jensenshannon(p, q) ** 2, rel=1e-9, abs=1e-12)
    assert values["tv"] == pytest.approx(0.5 * np.abs(p - q).sum(), abs=1e-12)
    hell = np.linalg.norm(np.sqrt(p) - np.sqrt(q)) / math.sqrt(2)
    # The sum-of-squares form (no 1 - sum sqrt(p q) cancellation): agreement to rounding.
    assert values["hellinger"] == pytest.approx(hell, rel=1e-12)
    assert values["w1"] == pytest.approx(ot.wasserstein_1d(X, X, p, q, p=1), rel=1e-9)
    # W2 uses the continuous translation identity; the histograms' W2 differs by at most the
    # quantization (each side moved by at most h/2), so within h.
    w2_hist = math.sqrt(ot.wasserstein_1d(X, X, p, q, p=2))
    assert values["w2"] == pytest.approx(w2_hist, abs=H)


@pytest.mark.parametrize("shape", sf.SHAPES)
def test_w2_at_zero_is_pots_w2_of_the_histograms(shape):
    # The one histogram W2 the translation identity rests on, against POT's W2^2 (its
    # wasserstein_1d returns W_p^p) on the same two histograms: same number to rounding.
    p, q = hists(shape, 0.5, 0.0)
    pot = math.sqrt(ot.wasserstein_1d(X, X, p, q, p=2))
    assert sf.w2_at_zero(shape, 0.5) == pytest.approx(pot, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("shape", sf.SHAPES)
@pytest.mark.parametrize("shift", [-2.345, 0.0, 0.987, 4.5])
def test_w1_and_w2_match_pot_at_every_shift(shape, shift):
    # Every case against POT on the same histograms (ot.wasserstein_1d returns W_p^p).
    p, q = hists(shape, 0.5, shift)
    values, _ = sf.divergences_at(shape, 0.5, shift)
    assert values["w1"] == pytest.approx(ot.wasserstein_1d(X, X, p, q, p=1), rel=1e-9, abs=1e-12)
    # W2 comes from the translation identity sqrt(s^2 + W2(p, q_0)^2), exact for the
    # continuous bumps. The histogram of q_s is a translate of q_0's only when s is a whole
    # number of cells; otherwise its W2 differs by quantization, observed at most 5.3e-6
    # (box, s = 0.987). 2e-5 keeps a margin and still fails a doubled W2(p, q_0), which moves
    # these values by 6e-4 or more.
    pot_w2 = math.sqrt(ot.wasserstein_1d(X, X, p, q, p=2))
    assert values["w2"] == pytest.approx(pot_w2, abs=2e-5)
    if shape == "tent":
        # q is then a translated copy of p: W1 = W2 = |s| in closed form. The histogram W1
        # is a trapezoid rule of the exact integral of |F_p - F_q|: O(h^2).
        assert values["w1"] == pytest.approx(abs(shift), abs=1e-4)
        assert values["w2"] == pytest.approx(abs(shift), abs=1e-12)


@pytest.mark.parametrize("shape", sf.SHAPES)
def test_disjoint_supports_saturate(shape):
    shift = 5.5 if shape != "gaussian" else 5.9
    values, slopes = sf.divergences_at(shape, 0.3, shift)
    assert math.isinf(values["kl_qp"])
    if shape == "gaussian":
        # A Gaussian covers the tent, so KL(p||q) stays finite (and grows like s^2).
        assert math.isfinite(values["kl_pq"])
        # Its tails overlap p by a relative 1e-80 or so: JS is log 2 to rounding.
    else:
        assert math.isinf(values["kl_pq"])
        assert math.isnan(slopes["kl_pq"])
    assert values["js"] == pytest.approx(math.log(2), abs=1e-12)
    assert values["tv"] == pytest.approx(1.0, abs=1e-12)
    assert values["hellinger"] == pytest.approx(1.0, abs=1e-12)
    for key in ("js", "tv", "hellinger"):
        assert slopes[key] == pytest.approx(0.0, abs=1e-9)
    assert slopes["w1"] == pytest.approx(1.0, abs=1e-9)


def test_kl_is_infinite_for_any_nonzero_shift_of_an_equal_compact_bump():
    # A sliver of p thinner than one cell sits outside q: still infinite, never "large finite".
    for shift in (H / 3, 0.05, -0.2):
        values, _ = sf.divergences_at("tent", sf.FIXED.width, shift)
        assert math.isinf(values["kl_pq"]) and math.isinf(values["kl_qp"])
    values, _ = sf.divergences_at("tent", sf.FIXED.width, 0.0)
    assert values["kl_pq"] == pytest.approx(0.0, abs=1e-12)


def test_kl_finite_exactly_while_q_covers_p():
    a_p = sf.FIXED.half_support
    a_q = sf.Bump("box", 0.8).half_support
    inside = a_q - a_p - 1e-3
    v_in, _ = sf.divergences_at("box", 0.8, inside)
    v_out, _ = sf.divergences_at("box", 0.8, inside + 2e-3)
    p, q = hists("box", 0.8, inside)
    assert v_in["kl_pq"] == pytest.approx(entropy(p, q), rel=1e-10)
    assert math.isinf(v_out["kl_pq"])


@pytest.mark.parametrize("shift", [0.0, 0.7, 2.5])
def test_kl_tent_to_gaussian_matches_closed_form(shift):
    # KL(p || N(s, sig^2)) = -h(p) + log(sig sqrt(2 pi)) + (var_p + s^2) / (2 sig^2), with the
    # differential entropy of a tent of half-width a equal to 1/2 + log a.
    sig = 0.8
    a = sf.FIXED.half_support
    exact = -(0.5 + math.log(a)) + math.log(sig * math.sqrt(2 * math.pi))
    exact += (sf.FIXED.width**2 + shift**2) / (2 * sig**2)
    values, slopes = sf.divergences_at("gaussian", sig, shift)
    # Histogram vs continuous: O(h^2) quadrature error of a kinked integrand, ~1e-5 here.
    assert values["kl_pq"] == pytest.approx(exact, abs=2e-4)
    # d/ds = s / sig^2. The central difference is exact for a quadratic in s, but the binned
    # Gaussian has variance sig^2 + h^2/12: relative error h^2 / (12 sig^2) ~ 1.3e-5.
    assert slopes["kl_pq"] == pytest.approx(shift / sig**2, rel=1e-4, abs=1e-12)


def test_js_and_tv_closed_form_for_box_translates():
    # Two boxes of half-width a, offset d < 2a: TV = d / (2a) and JS = (d / 2a) log 2.
    shape, width = "box", 0.6
    a = sf.Bump(shape, width).half_support
    # Compare the bump with itself moved: use a box-vs-box pair built from masses directly.
    base = sf.bump_log_masses(sf.Bump(shape, width), [0.0])
    moved = sf.bump_log_masses(sf.Bump(shape, width), [0.4])
    d = 0.4
    # d is 40 whole cells, so the two histograms are exact translates: the mass that q has
    # and p lacks is one partial edge cell, 39 full cells and the complementary partial cell,
    # i.e. exactly 40 cells' worth, and TV is the closed form to rounding.
    assert sf.tv_distance(base, moved)[0] == pytest.approx(d / (2 * a), rel=1e-12)
    # JS is not linear in the masses: binning merges mass inside the two partial edge cells,
    # which can only lower it, by at most the mass of such a cell on each side (h * peak).
    tol = H * sf.Bump(shape, width).peak
    js_value = sf.js_divergence(base, moved)[0]
    assert d / (2 * a) * math.log(2) - tol <= js_value <= d / (2 * a) * math.log(2) + 1e-12
    # And exactly scipy's JS of the same two histograms.
    ref = jensenshannon(np.exp(base[0]), np.exp(moved[0])) ** 2
    assert js_value == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize("shape", sf.SHAPES)
def test_curves_agree_with_pointwise_values(shape):
    c = sf.shift_curves(shape, 0.6, 0.0)
    for i in (0, 137, 300, 444, len(c.shifts) - 1):
        values, _ = sf.divergences_at(shape, 0.6, float(c.shifts[i]))
        for key in sf.DIVERGENCES:
            got = c.values[key][i]
            assert got == pytest.approx(values[key], rel=1e-12, abs=1e-13) or (
                math.isinf(got) and math.isinf(values[key])
            )


def reference_slopes(shape: str, width: float, s: float) -> dict[str, float]:
    """Shift-derivatives of :func:`reference_values`: central differences, Richardson-extrapolated.

    Steps of 2 and 4 cells: a whole number of cells, so the ripple of period h that binning
    puts on the values cancels in each difference; Richardson's (4 D(2h) - D(4h)) / 3 removes
    the O(step^2) term, leaving O(h^4) (steps 1h/2h and 2h/4h agree to ~6e-5 relative in the
    worst case here, the cosine's KL).
    """
    steps = (2 * H, 4 * H)
    vals = {d: [reference_values(shape, width, s + k * d) for k in (1, -1)] for d in steps}

    def central(key, d):
        return (vals[d][0][key] - vals[d][1][key]) / (2 * d)

    return {
        key: (4 * central(key, steps[0]) - central(key, steps[1])) / 3 for key in vals[steps[0]][0]
    }


def kink_shifts(shape: str, width: float) -> list[float]:
    """Shifts where a divergence of p and the compact bump is not smooth in s.

    There a support edge of q_s meets one of p (+-a_q +-a_p), and, for the box whose density
    jumps at its edges, TV also kinks where an edge of q_s crosses a point with p = q's height
    (the sign of p - q under the jump flips). The Gaussian has none.
    """
    if shape == "gaussian":
        return []
    a_p, a_q = sf.FIXED.half_support, sf.Bump(shape, width).half_support
    out = [sign * (a_q + side * a_p) for sign in (1, -1) for side in (1, -1)]
    if shape == "box":
        height = 1.0 / (2 * a_q)
        x = a_p * (1.0 - height * a_p)  # |x| where the tent's density equals the box's
        out += [sx * x + se * a_q for sx in (1, -1) for se in (1, -1)]
    return out


@pytest.mark.parametrize("shape", sf.SHAPES)
@pytest.mark.parametrize("s", [-1.13, 0.37, 1.91])
def test_derivatives_match_an_independent_finite_difference(shape, s):
    width = 0.6
    # The test points stay over 5 cells away from every kink: the widest stencil here spans
    # 4 cells either side, and a difference across a kink measures neither one-sided slope.
    # (Closest: the cosine at 0.37, 6.5 cells before its left edge meets p's, where KL(p||q)
    # turns infinite -- steep, hence the largest finite-difference error below.)
    assert min((abs(s - k) for k in kink_shifts(shape, width)), default=1.0) > 5 * H
    _, slopes = sf.divergences_at(shape, width, s)
    ref = reference_slopes(shape, width, s)
    # KL, JS, TV and Hellinger: the engine's central difference with the curve's step 0.02 has
    # an O(0.02^2 * third derivative) error, observed at most 4e-4 relative (1.2e-3 for the
    # cosine's KL); rel 2e-3 fails a 1% error.
    for key in ("kl_pq", "kl_qp", "js", "tv", "hellinger"):
        if not math.isfinite(ref[key]):  # KL infinite around s
            assert math.isnan(slopes[key]), key
            continue
        assert slopes[key] == pytest.approx(ref[key], rel=2e-3), key
    # W1's slope is analytic for the continuous bumps; the histograms' differs by O(h^2):
    # observed 2e-5. W2's comes from the translation identity: observed 1.2e-6.
    assert slopes["w1"] == pytest.approx(ref["w1"], rel=1e-4)
    assert slopes["w2"] == pytest.approx(ref["w2"], rel=1e-5)
    # The curve's slope column is the same formula as the marker's.
    c = sf.shift_curves(shape, width, 0.0)
    i = int(np.argmin(np.abs(c.shifts - round(s / sf.SHIFT_STEP) * sf.SHIFT_STEP)))
    _, at_grid = sf.divergences_at(shape, width, float(c.shifts[i]))
    for key in sf.DIVERGENCES:
        assert c.slopes[key][i] == pytest.approx(at_grid[key], rel=1e-9, abs=1e-10) or (
            math.isnan(c.slopes[key][i]) and math.isnan(at_grid[key])
        )


def test_w1_slope_matches_a_fine_difference_of_the_exact_integral():
    # Continuous W1 = integral |F_p - F_q| on a 10x finer grid of exact CDFs, differenced with a
    # small step: the analytic slope is the continuous one (no binning ripple).
    x = np.linspace(-sf.DOMAIN, sf.DOMAIN, 10 * sf.N_CELLS + 1)
    bump = sf.Bump("box", 0.3)

    def w1(s):
        return np.trapezoid(np.abs(sf.FIXED.cdf(x) - bump.cdf(x - s)), x)

    for s in (0.21, 0.83, 2.2):
        _, slopes = sf.divergences_at("box", 0.3, s)
        assert slopes["w1"] == pytest.approx((w1(s + 1e-3) - w1(s - 1e-3)) / 2e-3, abs=1e-3)


def test_w1_slope_is_plus_or_minus_one_once_apart():
    c = sf.shift_curves("cosine", 0.4, 0.0)
    far = np.abs(c.shifts) > sf.FIXED.half_support + sf.Bump("cosine", 0.4).half_support + 0.05
    assert np.allclose(c.slopes["w1"][far], np.sign(c.shifts[far]), atol=1e-9)
    assert np.allclose(c.slopes["js"][far][1:-1], 0.0, atol=1e-9)


def test_floor_makes_kl_finite_and_flat_once_apart():
    c = sf.shift_curves("tent", 0.5, 1e-6)
    assert np.isfinite(c.values["kl_pq"]).all()
    far = c.shifts > 3.0
    plateau = c.values["kl_pq"][far]
    # Saturates: the same value at every disjoint shift (cell masses of a translate differ
    # only by rounding when the shift is a multiple of h), near log(1/eps) + a constant.
    assert np.ptp(plateau) < 1e-6
    assert 10 < plateau[0] < 20
    assert np.nanmax(np.abs(c.slopes["kl_pq"][far][1:-1])) < 1e-4
    # No floor: the same stretch is infinite.
    assert np.isinf(sf.shift_curves("tent", 0.5, 0.0).values["kl_pq"][far]).all()


def test_critic_is_optimal_and_one_lipschitz():
    p, q = hists("epanechnikov", 0.9, 1.7)
    crit = sf.critic_1d(p, q)
    w1 = ot.wasserstein_1d(X, X, p, q, p=1)
    # Dual value equals the primal W1 from POT: the critic is optimal.
    assert np.sum(crit.values * (p - q)) == pytest.approx(w1, rel=1e-9)
    assert np.max(np.abs(np.diff(crit.values))) <= H * (1 + 1e-9)
    # The polyline corners reproduce the full critic by linear interpolation.
    assert np.allclose(np.interp(X, crit.x, crit.f), crit.values, atol=1e-9)
    assert len(crit.x) < 12


@pytest.mark.parametrize(
    ("shape", "width", "s"), [("tent", 1.2, 0.3), ("gaussian", 1.0, 0.2), ("cosine", 0.9, -0.25)]
)
def test_critic_slope_gives_the_w1_derivative(shape, width, s):
    # dW1/ds = -integral f'(x) q_s(x) dx: the critic's average slope under the moving bump.
    # Cases where the CDFs cross (so the slope is not simply +-1: observed 0.32 to -0.42).
    p, q = hists(shape, width, s)
    crit = sf.critic_1d(p, q)
    _, slopes = sf.divergences_at(shape, width, s)
    assert abs(slopes["w1"]) < 0.5
    # The histogram critic turns at a cell centre while the true crossing lies anywhere within
    # the cell: each turn misplaces up to h of slope 2 under a density of at most q's peak.
    turns = len(crit.x) - 2
    tol = turns * 2 * H * sf.Bump(shape, width).peak
    assert -np.sum(np.gradient(crit.values, X) * q) == pytest.approx(slopes["w1"], abs=tol)


def test_critic_is_zero_left_of_both_distributions():
    # One convention (that of ot_engine.kantorovich_critic_1d): f = 0 at the grid's left end,
    # hence f = 0 until either distribution starts. With q wholly right of p, F_p > F_q from
    # p's left end to q's right end, where f falls with slope -1, then stays flat: at
    # -(3 + a_q + a_p), to within the cell width (atoms sit at cell centres).
    a_p, a_q = sf.FIXED.half_support, sf.Bump("box", 0.2).half_support
    p, q = hists("box", 0.2, 3.0)
    crit = sf.critic_1d(p, q)
    assert np.all(crit.values[X < -a_p - H] == 0.0)
    right = X > 3.0 + a_q + H
    np.testing.assert_allclose(crit.values[right], -(3.0 + a_q + a_p), atol=H)
    assert np.ptp(crit.values[right]) == 0.0


def test_overlap_density_is_the_pointwise_minimum():
    x = np.linspace(-9, 9, 1801)
    ox, oy = sf.overlap_density("tent", 0.8, 0.4, x)
    expected = np.minimum(sf.FIXED.density(ox), sf.Bump("tent", 0.8, 0.4).density(ox))
    assert np.allclose(oy, expected)
    assert sf.overlap_density("box", 0.3, 5.0, x)[0].size == 0


def test_cache_is_bounded_and_arrays_read_only():
    assert sf.shift_curves.cache_info().maxsize == 32
    c = sf.shift_curves("box", 0.5, 0.0)
    assert sf.shift_curves("box", np.float64(0.5), 0) is c  # one entry per (shape, width, floor)
    with pytest.raises(ValueError, match="read-only"):  # numpy's own error, not the engine's
        c.values["w1"][0] = 1.0


def test_invalid_input_is_a_value_error():
    # One error contract: ot_engine.InvalidInput everywhere, still caught by ValueError.
    assert issubclass(InvalidInput, ValueError)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("blob", 0.5), "shape"),
        ((3, 0.5), "shape"),
        (("box", 0.0), "width"),
        (("box", -1.0), "width"),
        (("box", float("nan")), "width"),
        (("box", float("inf")), "width"),
        (("box", "wide"), "width"),
        (("box", [0.5]), "width"),
        (("box", True), "width"),
        (("box", 0.5, float("inf")), "centre"),
        (("box", 0.5, "left"), "centre"),
    ],
)
def test_bad_bumps_are_refused(args, message):
    with pytest.raises(InvalidInput, match=message):
        sf.Bump(*args)


@pytest.mark.parametrize("floor", [-1.0, 1.0, 2.0, float("nan"), float("inf"), "1e-3", None])
def test_bad_floor_is_refused(floor):
    with pytest.raises(InvalidInput, match="floor"):
        sf.divergences_at("box", 0.5, 0.0, floor=floor)
    with pytest.raises(InvalidInput, match="floor"):
        sf.shift_curves("box", 0.5, floor)


@pytest.mark.parametrize("shift", [float("nan"), float("inf"), "1.0", None, [0.5]])
def test_bad_shift_is_refused(shift):
    for call in (sf.divergences_at, sf.critic_at):
        with pytest.raises(InvalidInput, match="shift"):
            call("box", 0.5, shift)
    with pytest.raises(InvalidInput):
        sf.overlap_density("box", 0.5, shift, np.linspace(-1, 1, 5))


@pytest.mark.parametrize(("shape", "width"), [("blob", 0.5), ("box", 0.0), ("box", [0.5])])
def test_bad_curve_requests_are_refused_not_cached(shape, width):
    # Validated before the cache: an unhashable width is InvalidInput, not a TypeError.
    with pytest.raises(InvalidInput):
        sf.shift_curves(shape, width)


@pytest.mark.parametrize(
    "shifts", [np.array([0.0]), np.array([0.0, 0.015]), np.array([0.0, 0.02, 0.05]), [0.005, 0.025]]
)
def test_lattice_path_refuses_off_lattice_shifts(shifts):
    with pytest.raises(InvalidInput, match="shifts"):
        sf._lattice_values(sf.Bump("box", 0.5), np.asarray(shifts, dtype=float), 0.0)


def test_no_bare_value_error_is_raised_in_the_engine():
    # The contract, checked at the source: every raise in ot_engine is InvalidInput (or a
    # subclass); a bare ValueError / TypeError would escape the pages' error handling.
    import pathlib
    import re

    import ot_engine

    root = pathlib.Path(ot_engine.__file__).parent
    for path in sorted(root.glob("*.py")):
        raised = re.findall(r"raise (\w+)\(", path.read_text(encoding="utf-8"))
        assert set(raised) <= {"InvalidInput"}, (path.name, raised)


@pytest.mark.parametrize("shape", sf.SHAPES)
@pytest.mark.parametrize("floor", [0.0, 1e-6])
def test_lattice_curves_equal_the_direct_computation_everywhere(shape, floor):
    # The curves use window and prefix-sum shortcuts; the direct path sums every cell of every
    # row. Same numbers up to rounding: cell masses from lattice edges vs. edges minus shift
    # differ in the last bits (relative ~1e-13 on a mass), and sums of ~3200 terms add a few
    # more ulps, hence rel 1e-11 (observed worst 2e-12), and 1e-11 absolute for the W1 slope.
    width = 0.6123
    c = sf.shift_curves(shape, width, floor)
    bump = sf.Bump(shape, width)
    direct, logq = sf._values_at(bump, c.shifts, floor)
    for key in sf.DIVERGENCES:
        got, want = c.values[key], direct[key]
        np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
        fin = np.isfinite(want)
        np.testing.assert_allclose(got[fin], want[fin], rtol=1e-11, atol=1e-13)
    slope = sf._w1_derivative(bump, c.shifts, logq)
    np.testing.assert_allclose(c.slopes["w1"], slope, rtol=0, atol=1e-11)


@pytest.mark.parametrize(("shape", "width", "shift"), [("box", 0.5, 6.0), ("tent", 0.8, 0.3)])
def test_floored_kl_matches_scipy_on_independently_floored_histograms(shape, width, shift):
    # The floor mixes each histogram with the uniform one: (1 - floor) * m + floor / N, a unit
    # mass again. Built here from the scipy.stats histograms and scored by scipy's rel_entr.
    # At floor 1e-3 dropping the (1 - floor) factor moves KL by ~1e-3 relative (the masses no
    # longer sum to 1); rel 1e-9 is far below that.
    floor = 1e-3
    p = (1 - floor) * P_REF + floor / sf.N_CELLS
    q = (1 - floor) * scipy_hist(shape, width, shift) + floor / sf.N_CELLS
    assert p.sum() == pytest.approx(1.0, abs=1e-14)
    values, _ = sf.divergences_at(shape, width, shift, floor)
    assert values["kl_pq"] == pytest.approx(rel_entr(p, q).sum(), rel=1e-9)
    assert values["kl_qp"] == pytest.approx(rel_entr(q, p).sum(), rel=1e-9)
    # The curves (lattice path) use the same floored histograms.
    c = sf.shift_curves(shape, width, floor)
    i = int(np.argmin(np.abs(c.shifts - shift)))
    assert c.shifts[i] == pytest.approx(shift, abs=1e-12)
    assert c.values["kl_pq"][i] == pytest.approx(rel_entr(p, q).sum(), rel=1e-9)
    assert c.values["kl_qp"][i] == pytest.approx(rel_entr(q, p).sum(), rel=1e-9)


@pytest.mark.parametrize("floor", [1e-3, 1e-6])
def test_floored_kl_plateau_matches_the_prose(floor):
    # The prose: once disjoint, floored KL(p||q) sits near log(L / floor) - h(p), with L = 32
    # the domain length and h(tent) = 1/2 + log(a), a = 0.5 * sqrt(6) the tent's half-width.
    # The gap comes from the floor's own share of p's mass, O(floor * log(1/floor)), and h(p)
    # on 0.01-wide cells: 0.0105 at floor 1e-3, 6e-5 at 1e-6, so 0.02 is tight enough to catch
    # a wrong formula (log(1/floor) alone is off by 2.76).
    values, _ = sf.divergences_at("box", 0.5, 6.0, floor)
    tent_entropy = 0.5 + math.log(0.5 * math.sqrt(6.0))
    assert values["kl_pq"] == pytest.approx(math.log(32.0 / floor) - tent_entropy, abs=0.02)


@pytest.mark.parametrize(
    "shape, width, shift", [("box", 0.8, 1.3), ("tent", 0.5, 0.37), ("cosine", 1.2, -2.05)]
)
def test_batched_divergences_agree_with_the_core_ones(shape, width, shift):
    # shift_family feeds ot_engine.divergences' row kernels only the cells where p lives (and
    # adds q's mass elsewhere in closed form); the single-pair functions feed them every cell.
    # Same numbers on the same two histograms (compactly supported shapes, so the cells that
    # carry mass fit under the core's size cap).
    from ot_engine import hellinger, js, kantorovich_critic_1d, kl, tv, wasserstein_1d

    x = sf.grid_centres()
    p = np.exp(sf.bump_log_masses(sf.FIXED)[0])
    q = np.exp(sf.bump_log_masses(sf.Bump(shape, width, 0.0), [shift])[0])
    cells = np.flatnonzero((p > 0) | (q > 0))
    window = slice(cells[0], cells[-1] + 1)
    x, p, q = x[window], p[window], q[window]
    values, _ = sf.divergences_at(shape, width, shift)
    # Same sums in another order (log-space vs linear): agreement to ~1e-12 relative.
    core = {
        "kl_pq": kl(p, q),
        "kl_qp": kl(q, p),
        "js": js(p, q),
        "tv": tv(p, q),
        "hellinger": hellinger(p, q),
        "w1": wasserstein_1d(x, p, q, order=1),
        "w2": wasserstein_1d(x, p, q, order=2),
    }
    for name, value in core.items():
        assert values[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
    # One critic convention (f = 0 at the left end; shift_family's is 0 up to the window's
    # first cell): the same values, not just the same W1 = sum f (p - q).
    f = kantorovich_critic_1d(x, p, q)
    full = sf.critic_at(shape, width, shift).values[window]
    np.testing.assert_allclose(f, full, rtol=0, atol=1e-12)
    assert float(np.sum(f * (p - q))) == pytest.approx(values["w1"], rel=1e-9, abs=1e-12)
