"""The sliding-bump divergences against SciPy, POT, closed forms and finite differences."""

from __future__ import annotations

import math

import numpy as np
import ot
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy

from ot_engine import shift_family as sf

H = 2 * sf.DOMAIN / sf.N_CELLS  # grid cell width (0.01)
X = sf.grid_centres()
COMPACT = ("box", "tent", "epanechnikov", "cosine")


def hists(shape: str, width: float, shift: float) -> tuple[np.ndarray, np.ndarray]:
    p = np.exp(sf.bump_log_masses(sf.FIXED)[0])
    q = np.exp(sf.bump_log_masses(sf.Bump(shape, width), [shift])[0])
    return p, q


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
    # A shift of a tenth of a cell changes the histogram by a tenth-of-a-cell amount, not a jump.
    a = np.exp(sf.bump_log_masses(sf.Bump(shape, 0.3), [0.5])[0])
    b = np.exp(sf.bump_log_masses(sf.Bump(shape, 0.3), [0.5 + H / 10])[0])
    assert 0 < 0.5 * np.abs(a - b).sum() < 0.02


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
    assert values["hellinger"] == pytest.approx(hell, abs=1e-7)
    assert values["w1"] == pytest.approx(ot.wasserstein_1d(X, X, p, q, p=1), rel=1e-9)
    # W2 uses the continuous translation identity; the histograms' W2 differs by at most the
    # quantization (each side moved by at most h/2), so within h.
    w2_hist = math.sqrt(ot.wasserstein_1d(X, X, p, q, p=2))
    assert values["w2"] == pytest.approx(w2_hist, abs=H)


@pytest.mark.parametrize("shape", sf.SHAPES)
@pytest.mark.parametrize("shift", [-2.345, 0.0, 0.987, 4.5])
def test_translated_copy_has_w1_and_w2_equal_to_the_shift(shape, shift):
    # Make q a translated copy of the fixed tent only for the tent; for the others compare W2
    # against the translation identity.
    if shape != "tent":
        values, _ = sf.divergences_at(shape, 0.5, shift)
        d0 = sf.w2_at_zero(shape, 0.5)
        assert values["w2"] == pytest.approx(math.hypot(shift, d0), abs=1e-12)
        return
    values, _ = sf.divergences_at("tent", sf.FIXED.width, shift)
    # The histogram W1 is a trapezoid rule of the exact integral of |F_p - F_q|: O(h^2).
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
    # Binning merges mass inside a cell, which can only lower TV and JS, by at most the mass
    # of a partly covered edge cell on each side: h * peak.
    tol = H * sf.Bump(shape, width).peak
    assert sf.tv_distance(base, moved)[0] == pytest.approx(d / (2 * a), abs=tol)
    assert sf.js_divergence(base, moved)[0] == pytest.approx(d / (2 * a) * math.log(2), abs=tol)


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


#: Reference step for finite differences: five cells, so the ripple of period h that binning
#: puts on the box's curves averages out, while O(step^2 f''') stays below ~1e-3.
FD_STEP = 5 * H


def fd(shape, width, key, s, floor=0.0, step=FD_STEP):
    plus, _ = sf.divergences_at(shape, width, s + step, floor)
    minus, _ = sf.divergences_at(shape, width, s - step, floor)
    return (plus[key] - minus[key]) / (2 * step)


@pytest.mark.parametrize("shape", sf.SHAPES)
@pytest.mark.parametrize("s", [-1.13, 0.37, 1.91])
def test_derivatives_match_finite_differences(shape, s):
    width = 0.6
    _, slopes = sf.divergences_at(shape, width, s)
    c = sf.shift_curves(shape, width, 0.0)
    # W1 is analytic: it matches the central difference to that difference's O(step^2) error.
    assert slopes["w1"] == pytest.approx(fd(shape, width, "w1", s), abs=2e-3)
    # W2 comes from a smooth closed form in s, so a tiny step applies (no binning ripple).
    assert slopes["w2"] == pytest.approx(fd(shape, width, "w2", s, step=1e-5), abs=1e-8)
    # The others are central differences with step 0.02: they differ from the fine one by
    # O(0.02^2 f''') -- about 1e-3 on these curves, a bit more for the box's kinks.
    for key in ("js", "tv", "hellinger"):
        assert slopes[key] == pytest.approx(fd(shape, width, key, s), abs=1.5e-2)
    # The curve's slope column is the same formula as the marker's.
    i = int(np.argmin(np.abs(c.shifts - round(s / sf.SHIFT_STEP) * sf.SHIFT_STEP)))
    _, at_grid = sf.divergences_at(shape, width, float(c.shifts[i]))
    for key in ("js", "w1", "w2"):
        assert c.slopes[key][i] == pytest.approx(at_grid[key], abs=1e-10)


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


def test_critic_slope_gives_the_w1_derivative():
    # dW1/ds = -sum f'(x) q(x): the critic's average slope under the moving bump.
    shape, width, s = "tent", 0.7, 0.9
    p, q = hists(shape, width, s)
    f = sf.critic_1d(p, q).values
    slope = np.gradient(f, X)
    _, slopes = sf.divergences_at(shape, width, s)
    assert -np.sum(slope * q) == pytest.approx(slopes["w1"], abs=2e-2)


def test_overlap_density_is_the_pointwise_minimum():
    x = np.linspace(-9, 9, 1801)
    ox, oy = sf.overlap_density("tent", 0.8, 0.4, x)
    expected = np.minimum(sf.FIXED.density(ox), sf.Bump("tent", 0.8, 0.4).density(ox))
    assert np.allclose(oy, expected)
    assert sf.overlap_density("box", 0.3, 5.0, x)[0].size == 0


def test_cache_is_bounded_and_arrays_read_only():
    assert sf.shift_curves.cache_info().maxsize == 32
    c = sf.shift_curves("box", 0.5, 0.0)
    with pytest.raises(ValueError):
        c.values["w1"][0] = 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [(("blob", 0.5), "shape"), (("box", 0.0), "width"), (("box", float("nan")), "width")],
)
def test_bad_bumps_are_refused(args, message):
    with pytest.raises(ValueError, match=message):
        sf.Bump(*args)


def test_bad_floor_is_refused():
    with pytest.raises(ValueError, match="floor"):
        sf.divergences_at("box", 0.5, 0.0, floor=-1.0)


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
    # shift_family keeps its own log-space, all-shifts-at-once divergences for speed; they must
    # match ot_engine's single-pair functions on the same two histograms (compactly supported
    # shapes, so the cells that carry mass fit under the core's size cap).
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
    # The two critics may differ by a constant only: same W1 = sum f (p - q).
    f = kantorovich_critic_1d(x, p, q)
    assert float(np.sum(f * (p - q))) == pytest.approx(values["w1"], rel=1e-9, abs=1e-12)
