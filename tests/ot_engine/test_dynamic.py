"""ot_engine.dynamic: the Benamou-Brenier flow against POT, scipy and closed forms."""

import itertools

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from ot_engine import InvalidInput, gaussian_brenier_map, gaussian_w2
from ot_engine.dynamic import (
    density_flow_1d,
    flow_grid_1d,
    gaussian_box,
    gaussian_flow,
    gaussian_flow_grid,
)
from ot_engine.histograms import PRESETS, preset_pair


def _subdivided(h, m):
    """The density with bin masses ``h`` (on [0, 1]) as ``n * m`` equal-mass-per-bin atoms."""
    n = h.size
    x = (np.arange(n * m) + 0.5) / (n * m)
    return x, np.repeat(h / h.sum() / m, m)


@pytest.mark.parametrize("name", PRESETS)
def test_w2_squared_matches_pot_on_finely_split_bins(name):
    p, q = preset_pair(name, 32)
    d = density_flow_1d(p, q)
    x, a = _subdivided(p, 64)
    _, b = _subdivided(q, 64)
    ref = ot.wasserstein_1d(x, x, a, b, p=2)
    # splitting each bin in 64 atoms moves every point by at most half a sub-bin
    assert d.w2_squared == pytest.approx(ref, abs=2.0 / (32 * 64))


def test_w2_squared_matches_scipy_quadrature_of_the_quantiles():
    rng = np.random.default_rng(3)
    p, q = rng.random(12) + 0.1, rng.random(12) + 0.1
    edges = np.linspace(0, 1, 13)
    F = np.concatenate(([0], np.cumsum(p / p.sum())))
    G = np.concatenate(([0], np.cumsum(q / q.sum())))

    def gap2(s):
        return (np.interp(s, G, edges) - np.interp(s, F, edges)) ** 2

    ref, _ = integrate.quad(gap2, 0, 1, points=np.union1d(F, G)[1:-1], limit=200)
    assert density_flow_1d(p, q).w2_squared == pytest.approx(ref, rel=1e-9)


def test_frames_carry_unit_mass_and_start_and_end_at_the_densities():
    p, q = preset_pair("bimodal to unimodal", 40)
    p[5:9] = 0.0  # an empty stretch: the quantile jumps
    d = density_flow_1d(p, q)
    centres = (np.arange(40) + 0.5) / 40
    for t in np.linspace(0, 1, 11):
        f = d.frame(t)
        assert np.sum(f["rho"] * (f["right"] - f["left"])) == pytest.approx(1.0)
        assert np.all(f["left"][1:] >= f["right"][:-1] - 1e-12)  # pieces never overlap
    rho0, _ = d.density_flux(0.0, centres)
    rho1, _ = d.density_flux(1.0, centres)
    np.testing.assert_allclose(rho0, 40 * p / p.sum(), atol=1e-9)
    np.testing.assert_allclose(rho1, 40 * q / q.sum(), atol=1e-9)


def test_velocity_is_the_displacement_carried_along_the_particles():
    p, q = preset_pair("two Gaussians", 32)
    d = density_flow_1d(p, q)
    s = np.linspace(0.05, 0.95, 19)
    edges = np.linspace(0, 1, 33)
    Finv = np.interp(s, np.concatenate(([0], np.cumsum(p / p.sum()))), edges)
    Ginv = np.interp(s, np.concatenate(([0], np.cumsum(q / q.sum()))), edges)
    for t in (0.0, 0.3, 0.8):
        _, v = d.density_flux(t, (1 - t) * Finv + t * Ginv)
        np.testing.assert_allclose(v, Ginv - Finv, atol=1e-9)


def test_the_exact_flow_satisfies_the_continuity_equation_in_integrated_form():
    # d/dt H_t(y) = -rho_t(y) v_t(y), away from piece ends (central difference in t)
    p, q = preset_pair("two Gaussians", 32)
    d = density_flow_1d(p, q)
    y, t, h = np.array([0.31, 0.47, 0.66]), 0.4, 1e-6
    dH = (d.cdf(t + h, y) - d.cdf(t - h, y)) / (2 * h)
    rho, v = d.density_flux(t, y)
    np.testing.assert_allclose(dH, -rho * v, atol=1e-5)


@pytest.mark.parametrize("name", ["bimodal to unimodal", "uniform to spike", "split atom"])
def test_discretization_errors_shrink_as_the_grid_refines(name):
    p, q = preset_pair(name, 32)
    d = density_flow_1d(p, q)
    grids = [flow_grid_1d(d, 32 * 2**k, 16 * 2**k) for k in range(4)]
    errors = [g.energy_error for g in grids]
    residuals = [g.relative_residual for g in grids]
    assert all(g.exact == d.w2_squared for g in grids)
    # the residual halves with each doubling (first order, from the moving jumps)
    assert all(r1 <= 0.6 * r0 for r0, r1 in itertools.pairwise(residuals))
    # the energy's error may change sign between grids; over two doublings it shrinks
    assert all(e2 <= 0.5 * e0 for e0, e2 in zip(errors, errors[2:], strict=False))


def test_grid_cells_hold_the_exact_masses():
    p, q = preset_pair("shifted copy", 16)
    g = flow_grid_1d(density_flow_1d(p, q), 64, 8)
    np.testing.assert_allclose(g.rho.sum(axis=1) / 64, 1.0)
    np.testing.assert_allclose(g.rho[0], np.repeat(16 * p / p.sum(), 4), atol=1e-9)
    # every time level of the grid (one search for all) is the single-time CDF's
    d = density_flow_1d(p, q)
    faces = np.linspace(0, 1, 65)
    for k in (1, 3, 8):
        np.testing.assert_allclose(g.rho[k], np.diff(d.cdf(k / 8, faces)) * 64, atol=1e-12)


@pytest.mark.parametrize(
    "bad",
    [
        ([1.0, -1.0], [1.0, 1.0]),
        ([0.0, 0.0], [1.0, 1.0]),
        ([1.0, np.nan], [1.0, 1.0]),
        ([1.0, 1.0, 1.0], [1.0, 1.0]),
    ],
)
def test_bad_histograms_are_refused(bad):
    with pytest.raises(InvalidInput):
        density_flow_1d(*bad)


@pytest.mark.parametrize("nx, nt", [(1, 4), (4, 0), (10**6, 4), (4.5, 4), (True, 4)])
def test_bad_grids_are_refused(nx, nt):
    d = density_flow_1d([1.0, 1.0], [1.0, 2.0])
    with pytest.raises(InvalidInput):
        flow_grid_1d(d, nx, nt)


@pytest.mark.parametrize("t", [-0.1, 1.5, float("nan"), "x"])
def test_times_outside_unit_interval_are_refused(t):
    with pytest.raises(InvalidInput):
        density_flow_1d([1.0, 1.0], [1.0, 2.0]).frame(t)


# --- Gaussians ----------------------------------------------------------------------------------


def _spd(seed):
    B = np.random.default_rng(seed).normal(size=(2, 2))
    return B @ B.T + 0.2 * np.eye(2)


@pytest.mark.parametrize("seed", range(4))
def test_gaussian_energy_equals_pot_bures(seed):
    rng = np.random.default_rng(seed)
    m0, m1, S0, S1 = rng.normal(size=2), rng.normal(size=2), _spd(10 + seed), _spd(20 + seed)
    g = gaussian_flow(m0, S0, m1, S1)
    ref = float(ot.gaussian.bures_wasserstein_distance(m0, m1, S0, S1)) ** 2
    assert g.w2_squared == pytest.approx(ref, rel=1e-9)
    assert g.kinetic_energy() == pytest.approx(ref, rel=1e-9)
    np.testing.assert_allclose(g.cov(1.0), S1, atol=1e-9)
    np.testing.assert_allclose(g.cov(0.0), S0, atol=1e-12)
    # along a particle, the Eulerian velocity is T(x) - x
    x = rng.normal(size=(5, 2))
    T = gaussian_brenier_map(x, m0, S0, m1, S1)
    for t in (0.0, 0.5, 0.9):
        np.testing.assert_allclose(g.velocity(t, x + t * (T - x)), T - x, atol=1e-9)
    # W2 of the path's ends through time t is t * W2 (a constant-speed geodesic)
    assert gaussian_w2(g.m0, g.S0, g.mean(0.4), g.cov(0.4)) ** 2 == pytest.approx(0.16 * ref)


def test_gaussian_grid_energy_and_residual_converge():
    g = gaussian_flow([0.0, 0.0], np.eye(2), [2.0, 1.0], [[2.0, 0.5], [0.5, 0.4]])
    grids = [gaussian_flow_grid(g, nx, nt) for nx, nt in ((24, 6), (48, 12), (96, 24))]
    assert all(r.energy_error < 1e-6 * r.exact for r in grids[1:])
    res = [r.relative_residual for r in grids]
    assert res[1] < 0.4 * res[0] and res[2] < 0.4 * res[1]  # second order: about a quarter
    # each frame of the grid holds (almost) unit mass
    r = grids[-1]
    x0, x1, y0, y1 = gaussian_box(g)
    cell = (x1 - x0) * (y1 - y0) / 96**2
    np.testing.assert_allclose(r.rho.sum(axis=(1, 2)) * cell, 1.0, atol=1e-8)


def test_gaussian_inputs_are_checked():
    with pytest.raises(InvalidInput):
        gaussian_flow([0.0, 0.0], [[1.0, 0.0], [0.0, 0.0]], [1.0, 0.0], np.eye(2))
    with pytest.raises(InvalidInput):
        gaussian_flow([0.0, np.nan], np.eye(2), [1.0, 0.0], np.eye(2))
    g3 = gaussian_flow(np.zeros(3), np.eye(3), np.ones(3), np.eye(3))
    with pytest.raises(InvalidInput):
        gaussian_flow_grid(g3, 8, 4)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=3, max_size=24).filter(lambda h: sum(h) > 1e-3),
    st.lists(st.floats(0.0, 1.0), min_size=3, max_size=24).filter(lambda h: sum(h) > 1e-3),
)
def test_w2_squared_matches_pot_for_any_bars(p, q):
    n = min(len(p), len(q))
    p, q = np.array(p[:n]), np.array(q[:n])
    if p.sum() < 1e-3 or q.sum() < 1e-3:
        return
    d = density_flow_1d(p, q)
    x, a = _subdivided(p, 32)
    _, b = _subdivided(q, 32)
    assert d.w2_squared == pytest.approx(ot.wasserstein_1d(x, x, a, b, p=2), abs=2.0 / (n * 32))
    f = d.frame(0.5)
    assert np.sum(f["rho"] * (f["right"] - f["left"])) == pytest.approx(1.0)
