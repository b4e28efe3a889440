"""The Brenier page: its potential, map and W2 against independent checks; links; building."""

from __future__ import annotations

import numpy as np
import ot
import pytest

import pages.brenier as page
from pages import query

ISOTROPIC = {"sigma_p": 0.8, "sigma_q": 1.3, "dx": 1.5, "dy": 1.0}
ANISOTROPIC = {
    "sigma_p": 1.1,
    "dx": -2.0,
    "dy": 0.5,
    "anisotropic": True,
    "q_sx": 1.8,
    "q_sy": 0.4,
    "q_angle": 40.0,
}
CASES = [ISOTROPIC, ANISOTROPIC, {"sigma_p": 0.3, "sigma_q": 2.0, "dx": 3.5, "dy": -3.5}]


def model(**values) -> page.BrenierModel:
    m = page.BrenierModel()
    m.param.update(**values)
    return m


def probed_matrix(m: page.BrenierModel) -> np.ndarray:
    """The linear part of T, read off the map itself: column k is T(m_p + e_k) - T(m_p)."""
    base = m.transport_map(m.mean_p[None, :])[0]
    return np.stack([m.transport_map((m.mean_p + e)[None, :])[0] - base for e in np.eye(2)], 1)


@pytest.mark.parametrize("values", CASES)
def test_map_is_the_gradient_of_the_potential(values):
    m = model(**values)
    x = np.random.default_rng(0).uniform(-5, 5, size=(40, 2))
    h = 1e-5
    grad = np.stack(
        [(m.potential(x + h * e) - m.potential(x - h * e)) / (2 * h) for e in np.eye(2)], 1
    )
    # Central differences of a quadratic are exact up to rounding: values of phi are O(10)
    # and cancel in the difference, leaving ~1e-15 * 10 / 1e-5 = 1e-9.
    np.testing.assert_allclose(grad, m.transport_map(x), atol=1e-7)


@pytest.mark.parametrize("values", CASES)
def test_potential_is_convex_and_the_map_pushes_p_onto_q(values):
    m = model(**values)
    A = probed_matrix(m)
    # T sends the mean of p to the mean of q and cov p to A cov_p A^T = cov q.
    np.testing.assert_allclose(m.transport_map(m.mean_p[None, :])[0], m.mean_q, atol=1e-12)
    np.testing.assert_allclose(A @ m.cov_p @ A.T, m.cov_q, atol=1e-12)
    np.testing.assert_allclose(A, A.T, atol=1e-12)  # a gradient has a symmetric Jacobian
    assert np.linalg.eigvalsh(A).min() > 0  # the Hessian of phi: convex
    # ... and the page's readout matrix is that same A.
    np.testing.assert_allclose(m.map_matrix(), A, atol=1e-12)


@pytest.mark.parametrize("values", CASES)
def test_w2_matches_pot_and_the_cost_of_the_map(values):
    m = model(**values)
    w2 = m.closed_form_w2()
    pot = ot.gaussian.bures_wasserstein_distance(m.mean_p, m.mean_q, m.cov_p, m.cov_q)
    # Both evaluate the same closed form with matrix square roots: agree to ~1e-12.
    assert w2 == pytest.approx(float(pot), rel=1e-9)
    # A second route: the cost of the map, E|T(X) - X|^2 = |m_q - m_p|^2 + tr((A-I) S_p (A-I)).
    B = probed_matrix(m) - np.eye(2)
    cost = np.sum((m.mean_q - m.mean_p) ** 2) + np.trace(B @ m.cov_p @ B.T)
    assert w2 == pytest.approx(np.sqrt(cost), rel=1e-9)


def test_isotropic_closed_form_is_the_textbook_one():
    m = model(**ISOTROPIC)
    expected = np.sqrt(1.5**2 + 1.0**2 + 2 * (0.8 - 1.3) ** 2)
    assert m.closed_form_w2() == pytest.approx(expected, rel=1e-12)


def test_the_printed_potential_is_wrong_and_ours_is_not():
    """A potential often printed, s/(2) |x - m_p|^2 + (m_q - s m_p).x, misplaces the centre."""
    mp, mq, sp, sq = np.array([1.0, -2.0]), np.array([3.0, 0.5]), 0.7, 1.6
    s = sq / sp

    def printed(x):
        return 0.5 * s * np.sum((x - mp) ** 2, axis=-1) + x @ (mq - s * mp)

    import ot_engine as oe

    h = 1e-5
    grad_printed = [(printed(mp + h * e) - printed(mp - h * e)) / (2 * h) for e in np.eye(2)]
    assert not np.allclose(grad_printed, mq, atol=1e-3)  # it sends m_p to m_q - s m_p
    np.testing.assert_allclose(grad_printed, mq - s * mp, atol=1e-6)
    ours = [
        (
            oe.brenier_potential(mp + h * e, mp, sp, mq, sq)
            - oe.brenier_potential(mp - h * e, mp, sp, mq, sq)
        )
        / (2 * h)
        for e in np.eye(2)
    ]
    np.testing.assert_allclose(ours, mq, atol=1e-6)


@pytest.mark.parametrize("values", CASES)
def test_drawn_target_contours_are_contours_of_q(values):
    m = model(**values)
    rings = m.source_rings()
    images = m.transport_map(rings)
    d = images - m.mean_q
    radius2 = np.einsum("ni,ij,nj->n", d, np.linalg.inv(m.cov_q), d)
    expected = np.repeat(np.array(page.RING_LEVELS) ** 2, page.RING_SIZE)
    np.testing.assert_allclose(radius2, expected, rtol=1e-10)


def random_pairs(m: page.BrenierModel, count: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of points over the drawn square: half far apart, half very close together."""
    rng = np.random.default_rng(1)
    x = rng.uniform(-page.HALF_WIDTH, page.HALF_WIDTH, size=(count, 2))
    far = rng.uniform(-page.HALF_WIDTH, page.HALF_WIDTH, size=(count // 2, 2))
    near = x[count // 2 :] + 1e-3 * rng.normal(size=(count - count // 2, 2))
    return x, np.concatenate([far, near])


def monotonicity(transport, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(T(x) - T(y)).(x - y) / |x - y|^2 for each pair: never negative for a monotone map."""
    d = x - y
    return np.sum((transport(x) - transport(y)) * d, axis=1) / np.sum(d * d, axis=1)


def cyclic_gain(transport, cycles: np.ndarray) -> np.ndarray:
    """sum_i T(x_i).(x_{i+1} - x_i) around each cycle (shape (count, k, 2)).

    A map is the gradient of a convex function exactly when this is <= 0 for every cycle
    (cyclical monotonicity, Rockafellar); pairs (k = 2) only test plain monotonicity.
    """
    tx = transport(cycles.reshape(-1, 2)).reshape(cycles.shape)
    step = np.roll(cycles, -1, axis=1) - cycles
    return np.sum(tx * step, axis=(1, 2))


def reflected_map(m: page.BrenierModel):
    """A map that also pushes round p onto round q but is not optimal: the point reflection
    x -> m_q - (s_q / s_p)(x - m_p) (a round Gaussian is symmetric about its mean)."""
    return lambda x: m.mean_q - (m.sigma_q / m.sigma_p) * (x - m.mean_p)


def rotated_map(m: page.BrenierModel, degrees: float = 60.0):
    """Also pushes round p onto round q; its Jacobian is not symmetric, so it is no gradient."""
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    rotation = (m.sigma_q / m.sigma_p) * np.array([[c, -s], [s, c]])
    return lambda x: m.mean_q + (x - m.mean_p) @ rotation.T


@pytest.mark.parametrize("values", CASES)
def test_the_map_is_monotone_and_the_motion_never_folds(values):
    m = model(**values)
    x, y = random_pairs(m)
    # The page's map, probed on pairs far apart and 1e-3 apart. Its ratio is a Rayleigh
    # quotient of A, at least A's smallest eigenvalue (0.36 in the anisotropic case): the
    # 0.1 floor is far above rounding (~1e-10 for pairs 1e-3 apart) and far below A.
    assert monotonicity(m.transport_map, x, y).min() > 0.1
    # The motion x -> (1-t) x + t T(x) keeps every pair apart for t < 1:
    # (x_t - y_t).(x - y) >= (1 - t) |x - y|^2 follows from monotonicity, checked on the points.
    for t in np.linspace(0.0, 0.99, 12):

        def moved(z, t=t):
            return (1 - t) * z + t * m.transport_map(z)

        assert monotonicity(moved, x, y).min() >= (1 - t) - 1e-9


@pytest.mark.parametrize("values", CASES)
def test_the_map_is_cyclically_monotone_and_other_maps_are_not(values):
    """Negative controls: maps that push p onto q too, but are not gradients of convex
    functions, fail the same checks that the page's map passes."""
    m = model(**values)
    rng = np.random.default_rng(2)
    for k in (2, 3, 5):
        cycles = rng.uniform(-page.HALF_WIDTH, page.HALF_WIDTH, size=(400, k, 2))
        # sum T(x_i).(x_{i+1} - x_i) = -(1/2) sum (x_{i+1} - x_i)^T A (x_{i+1} - x_i) < 0:
        # strictly negative, of order -|steps|^2, so a 1e-9 margin covers rounding only.
        assert cyclic_gain(m.transport_map, cycles).max() < -1e-9
    if m.anisotropic:
        return  # the two controls below push round Gaussians only
    x, y = random_pairs(m)
    reflected = reflected_map(m)
    np.testing.assert_allclose(reflected(m.mean_p[None, :])[0], m.mean_q)  # a valid push
    assert monotonicity(reflected, x, y).max() < 0  # pushes every pair past each other
    half_way = monotonicity(lambda z: 0.5 * z + 0.5 * reflected(z), x, y)
    assert half_way.min() <= 0  # ... and its motion folds the cloud by t = 1/2
    # A rotation by 60 degrees keeps pairs monotone, cos 60 > 0, yet is no gradient: walked
    # round a circle in one of the two directions, a cycle gains (the rotation's share grows
    # with the enclosed area, the symmetric share only with the squared steps, small for 24
    # steps). The page's map loses round the same circles, both ways.
    rotated = rotated_map(m)
    assert monotonicity(rotated, x, y).min() > 0
    angles = 2 * np.pi * np.arange(24) / 24
    circle = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    both_ways = np.stack([circle, circle[::-1]])
    assert cyclic_gain(rotated, both_ways).max() > 1.0
    assert cyclic_gain(m.transport_map, both_ways).max() < 0


def test_isotropic_arrows_lie_on_rays_from_one_centre():
    m = model(**ISOTROPIC)
    x = m.arrow_starts()
    disp = m.transport_map(x) - x
    c = m.sigma_q / m.sigma_p
    centre = (m.mean_q - c * m.mean_p) / (1 - c)  # the fixed point of T
    cross = disp[:, 0] * (x - centre)[:, 1] - disp[:, 1] * (x - centre)[:, 0]
    np.testing.assert_allclose(cross, 0.0, atol=1e-12)  # parallel: no two arrows cross


def test_anisotropic_arrows_can_cross_but_not_at_the_same_time():
    """What the prose claims: segments may cross, the grains get there at different times."""
    m = model(**ANISOTROPIC)
    A = probed_matrix(m)
    s, u = 0.2, 0.8
    x2 = m.mean_p + np.array([0.5, -0.3])
    # The point reached at time u from x2 is reached at time s from x1 (solve for x1).
    meet = (1 - u) * x2 + u * m.transport_map(x2[None, :])[0]
    x1 = np.linalg.solve((1 - s) * np.eye(2) + s * A, meet - s * (m.mean_q - A @ m.mean_p))
    d1 = m.transport_map(x1[None, :])[0] - x1
    d2 = m.transport_map(x2[None, :])[0] - x2
    np.testing.assert_allclose((1 - s) * x1 + s * (x1 + d1), meet, atol=1e-12)
    assert abs(d1[0] * d2[1] - d1[1] * d2[0]) > 0.1  # not parallel: a real crossing


def test_sampled_estimate_is_honest_and_near_the_closed_form():
    m = model(**ISOTROPIC, n_samples=1000)
    est = m.estimate()
    assert est.converged and len(est.draws) == page.REPEATS[1000]
    assert all(d.n == 1000 for d in est.draws)
    # Deterministic seeds. One draw at n = 1000 spreads by ~0.045 and sits ~0.011 high on
    # average (400 draws measured): the mean of 3 draws lies within 0.1 of the closed form.
    assert est.mean == pytest.approx(m.closed_form_w2(), abs=0.1)
    np.testing.assert_array_equal(est.draws[0].source, m.source_samples())  # the drawn dots


def test_new_draws_change_the_samples_and_every_draw_is_independent():
    m = model(**ISOTROPIC, n_samples=30)
    first = m.estimate()
    m.draw = 1
    second = m.estimate()
    np.testing.assert_array_equal(second.draws[0].source, m.source_samples())
    seen = [d.source for d in first.draws + second.draws]
    # No two draws (of one press or of two presses) share their samples.
    for i in range(len(seen)):
        for j in range(i):
            assert not np.allclose(seen[i], seen[j])


def test_readout_says_the_estimate_is_random_and_biased():
    p = page.BrenierPage()
    p.model.n_samples = 30
    est = p.model.estimate()
    text = p.readout.object
    se = est.sd / np.sqrt(len(est.draws))
    assert f"mean {est.mean:.3f} ± {se:.3f}" in text  # a standard error, not the spread
    assert f"one draw spreads by {est.sd:.3f}" in text
    assert f"draw 1: {est.draws[0].w2:.3f}" in text
    assert f"{page.REPEATS[30]} independent draws of n = 30" in text
    assert "random" in text and "too large" in text and "converged on every draw" in text
    before = p.surface.samples.copy()
    p.new_draws()
    assert p.model.draw == 1 and not np.array_equal(before, p.surface.samples)
    assert f"mean {p.model.estimate().mean:.3f}" in p.readout.object


# --- deep links ---------------------------------------------------------------------------


def test_good_link_values_are_applied():
    raw = {
        "sigma_p": "1.2",
        "sigma_q": "0.5",
        "dx": "-2",
        "dy": "0.25",
        "t": "0.4",
        "layers": "surface,arrows",
        "az": "120",
        "el": "70",
        "n": "1000",
        "draw": "12",
        "aniso": "1",
        "q_sx": "1.5",
        "q_sy": "0.35",
        "q_rot": "-45",
        "mx": "-2.5",
        "my": "4",
    }
    values, notices = query.parse_query(raw, page.QUERY_KEYS)
    assert notices == []
    m = page.BrenierModel()
    m.param.update(**values)
    assert (m.sigma_p, m.sigma_q, m.dx, m.dy, m.t) == (1.2, 0.5, -2.0, 0.25, 0.4)
    assert m.layers == ["surface", "arrows"] and (m.az, m.el) == (120.0, 70.0)
    assert m.n_samples == 1000 and m.draw == 12 and m.anisotropic and m.q_angle == -45.0
    assert (m.mx, m.my) == (-2.5, 4.0)


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("sigma_p", "0"),
        ("sigma_p", "-1"),
        ("sigma_q", "nan"),
        ("sigma_q", "1e308"),
        ("dx", "inf"),
        ("dy", "99"),
        ("t", "2"),
        ("el", "0"),
        ("az", "x"),
        ("n", "7"),
        ("n", "50"),
        ("draw", "-1"),
        ("draw", "1e9"),
        ("layers", "surface,<script>"),
        ("aniso", "yes"),
        ("q_rot", "360"),
        ("sigma_p", "9" * 400),
        ("mx", "5.5"),
        ("my", "nan"),
        ("layers", "probe,probe2"),
    ],
)
def test_bad_link_values_are_ignored_with_a_notice(key, raw):
    values, notices = query.parse_query({key: raw}, page.QUERY_KEYS)
    assert values == {}
    assert len(notices) == 1 and key in notices[0] and "<script>" not in notices[0]


# --- the page -----------------------------------------------------------------------------


def test_page_builds_without_a_server_and_sends_compact_data():
    p = page.BrenierPage()
    p.__panel__()
    s, m = p.surface, p.model
    assert s.heights.dtype == np.float32 and s.heights.size == page.GRID_N**2
    expected = m.potential(m.base_grid()).ravel()
    np.testing.assert_allclose(s.heights, expected, rtol=1e-6)  # float32 rounding
    assert s.samples.size == 4 * m.n_samples and s.samples.dtype == np.float32
    assert f"{m.closed_form_w2():.4f}" in p.readout.object
    assert "converged on every draw" in p.readout.object


def test_page_follows_the_model_and_the_view():
    p = page.BrenierPage()
    before = p.surface.heights.copy()
    p.model.sigma_q = 0.5
    assert not np.allclose(before, p.surface.heights)
    # The browser reports angles and a dragged separation; out-of-range values are clamped.
    p.surface.param.update(az=75.0, el=1.0, dx=9.0)
    assert (p.model.az, p.model.el, p.model.dx) == (75.0, page.EL_MIN, page.SEPARATION_LIMIT)
    assert p.surface.mean_q == [page.SEPARATION_LIMIT, p.model.dy]
    p.model.layers = ["surface"]
    assert p.surface.layers == ["surface"]


def test_every_separation_from_the_browser_is_answered_once():
    # The handle's drag uses the shared flow control: the browser sends its next separation
    # only once ``ack`` moves, so every one is answered, changed, clamped or not.
    p = page.BrenierPage()
    assert p.surface.ack == 0
    p.surface.dx = 1.0
    assert (p.model.dx, p.surface.ack) == (1.0, 1)
    p.surface.param.update(dx=2.0, dy=0.5)  # one message with both: one answer
    assert (p.model.dx, p.model.dy, p.surface.ack) == (2.0, 0.5, 2)
    p.surface.dy = float("nan")  # ignored, answered all the same
    assert (p.model.dy, p.surface.ack) == (0.5, 3)
    p.surface.az = 10.0  # angles come on release, outside the flow: no answer
    assert p.surface.ack == 3
    assert "function flow_request(" in page.BrenierSurface._esm  # the shared browser half


def test_every_point_from_the_browser_is_answered_and_clamped():
    # Hovering the plane asks for a Monge-Ampere point through the same flow as the handle.
    p = page.BrenierPage()
    p.surface.param.update(mx=-2.0, my=3.0)
    assert (p.model.mx, p.model.my, p.surface.ack) == (-2.0, 3.0, 1)
    assert p.surface.probe[:2] == [-2.0, 3.0]
    assert "x = (−2.00, 3.00)" in p.monge_ampere_readout.object.replace("-", "−")
    p.surface.mx = 1e9  # clamped to the plane, answered
    assert (p.model.mx, p.surface.ack) == (page.HALF_WIDTH, 2)
    p.surface.my = float("inf")  # ignored, answered
    assert (p.model.my, p.surface.ack) == (3.0, 3)


# --- the readouts, parsed and checked against independent computations --------------------

NUMBER = r"([-+−]?\d+\.\d+)"


def independent_w2(m: page.BrenierModel) -> float:
    """W2 from the Bures-Wasserstein formula with SciPy's matrix square root (not ot_engine)."""
    from scipy.linalg import sqrtm

    sp, sq = m.cov_p, m.cov_q
    root = np.real(sqrtm(sp))
    cross = np.real(sqrtm(root @ sq @ root))
    w2sq = np.sum((m.mean_p - m.mean_q) ** 2) + np.trace(sp + sq - 2 * cross)
    return float(np.sqrt(w2sq))


def independent_map_matrix(m: page.BrenierModel) -> np.ndarray:
    from scipy.linalg import inv, sqrtm

    root = np.real(sqrtm(m.cov_p))
    inv_root = inv(root)
    return inv_root @ np.real(sqrtm(root @ m.cov_q @ root)) @ inv_root


def parse_readout(text: str) -> dict[str, float]:
    import re

    def grab(pattern: str) -> float:
        found = re.search(pattern, text)
        assert found, f"{pattern!r} not in {text!r}"
        return float(found.group(1).replace("−", "-"))

    return {
        "closed": grab(r"closed form:\*\* " + NUMBER),
        "mean": grab(r"mean " + NUMBER + " ±"),
        "se": grab(r"mean \d+\.\d+ ± " + NUMBER),
        "sd": grab(r"one draw spreads by " + NUMBER),
        "diff": grab(NUMBER + " from the closed form"),
    }


@pytest.mark.parametrize("values", CASES)
def test_readout_closed_form_matches_scipy_and_pot(values):
    p = page.BrenierPage()
    p.model.param.update(**values, n_samples=30)
    shown = parse_readout(p.readout.object)
    pot = float(
        ot.gaussian.bures_wasserstein_distance(
            p.model.mean_p, p.model.mean_q, p.model.cov_p, p.model.cov_q
        )
    )
    assert shown["closed"] == pytest.approx(independent_w2(p.model), abs=5e-5)
    assert shown["closed"] == pytest.approx(pot, abs=5e-5)


@pytest.mark.parametrize("draw", [0, 1, 2, 5])
def test_readout_mean_standard_error_and_bias_are_the_draws(draw):
    """Mean, standard error, spread and the signed gap are recomputed from the draws
    themselves; a flipped sign or a standard deviation passed off as an error fails."""
    p = page.BrenierPage()
    p.model.param.update(n_samples=30, draw=draw)
    est = p.model.estimate()
    w = np.array([d.w2 for d in est.draws])
    shown = parse_readout(p.readout.object)
    se = w.std(ddof=1) / np.sqrt(w.size)
    assert shown["mean"] == pytest.approx(w.mean(), abs=5e-4)
    assert shown["se"] == pytest.approx(se, abs=5e-4)
    assert shown["sd"] == pytest.approx(w.std(ddof=1), abs=5e-4)
    diff = w.mean() - independent_w2(p.model)
    assert shown["diff"] == pytest.approx(diff, abs=5e-4)
    # The words match the numbers: within or beyond two standard errors, on the right side.
    text = p.readout.object
    if abs(diff) <= 2 * se:
        assert "within 2 standard errors" in text
    elif diff > 0:
        assert "more than 2 standard errors above" in text
    else:
        assert "more than 2 standard errors below" in text


def test_bias_sentence_covers_every_case():
    assert "within 2 standard errors" in page._bias_sentence(-0.051, 0.04)
    assert "above" in page._bias_sentence(0.09, 0.04)
    below = page._bias_sentence(-0.051, 0.02)
    assert "below" in below and "-0.051" in below and "chance" in below
    assert "no standard error" in page._bias_sentence(0.1, float("nan"))


@pytest.mark.parametrize("values", CASES)
def test_map_text_matches_an_independent_map_matrix(values):
    import re

    p = page.BrenierPage()
    p.model.param.update(**values)
    text = p.map_readout.object
    num = r"(-?\d+\.\d+)"
    mq = re.search(rf"μ_q = \({num}, {num}\)", text)
    a = re.search(rf"A = \[\[{num}, {num}\], \[{num}, {num}\]\]", text)
    assert mq and a, text
    shown_mq = np.array([float(v) for v in mq.groups()])
    shown_a = np.array([float(v) for v in a.groups()]).reshape(2, 2)
    expected_mq = np.array(page.MEAN_P) + np.array([values["dx"], values["dy"]])
    np.testing.assert_allclose(shown_mq, expected_mq, atol=5e-3)
    np.testing.assert_allclose(shown_a, independent_map_matrix(p.model), atol=5e-4)
    # ... and the shown matrix (3 decimals) pushes cov p onto cov q up to that rounding.
    np.testing.assert_allclose(shown_a @ p.model.cov_p @ shown_a, p.model.cov_q, atol=1e-2)


def test_caption_says_the_drawn_slope_is_proportional_to_the_map():
    p = page.BrenierPage()
    figure = p.figure()
    captions = [
        o.object for o in figure.objects if hasattr(o, "object") and "slope" in str(o.object)
    ]
    assert captions and "proportional to T(x)" in captions[0]


@pytest.mark.parametrize("values", CASES)
def test_monge_ampere_readout_matches_scipy_at_the_point(values):
    import re

    from scipy.stats import multivariate_normal

    p = page.BrenierPage()
    p.model.param.update(**values, mx=-0.7, my=1.3)
    text = p.monge_ampere_readout.object
    x = np.array([-0.7, 1.3])
    A = independent_map_matrix(p.model)
    tx = p.model.mean_q + A @ (x - p.model.mean_p)
    left = multivariate_normal(p.model.mean_p, p.model.cov_p).pdf(x)
    q_tx = multivariate_normal(p.model.mean_q, p.model.cov_q).pdf(tx)
    shown = re.search(r"p\(x\) = (\S+); .* = (\S+) × (\S+) = (\S+) \(", text).groups()
    assert float(shown[0]) == pytest.approx(left, rel=1e-4)
    assert float(shown[1]) == pytest.approx(q_tx, rel=1e-4)
    assert float(shown[2]) == pytest.approx(np.linalg.det(A), abs=1e-4)
    assert float(shown[3]) == pytest.approx(q_tx * np.linalg.det(A), rel=1e-4)
    assert float(shown[3]) == pytest.approx(left, rel=1e-4)
