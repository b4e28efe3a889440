"""/monge_kantorovich: links, browser syncs, and readouts against independent computations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import ot
import pytest
from bokeh.document import Document
from scipy.optimize import linear_sum_assignment

from pages import monge_kantorovich as page
from pages.query import parse_query


def brute_force_monge(a, b, C, tol=1e-9):
    """Every assignment of sources to targets: (number of maps, best cost)."""
    n, m = len(a), len(b)
    count, best = 0, math.inf
    for T in itertools.product(range(m), repeat=n):
        if np.all(np.abs(np.bincount(T, weights=a, minlength=m) - b) <= tol):
            count += 1
            best = min(best, float(np.sum(a * C[np.arange(n), T])))
    return count, best


def mk_preset(name):
    return page.PRESETS[name]


def shown(view) -> dict[str, str]:
    return {row[0]: row[3] for row in view.readouts.rows}


def independent(model):
    x, y = np.array(model.xs), np.array(model.yt)
    a, b = np.array(model.ms) / sum(model.ms), np.array(model.mt) / sum(model.mt)
    C = np.abs(x[:, None] - y[None, :]) ** model.p
    return a, b, C


# --- the page and its readouts ----------------------------------------------------------------


def test_page_builds_without_a_server():
    view = page.MongeKantorovichPage.create()
    view.__panel__()
    assert view.model.preset == "equal" and len(view.model.xs) == 4
    assert list(shown(view)) == [
        "kantorovich",
        "maps",
        "monge",
        "gap",
        "split",
        "totals",
        "lp_error",
    ]


@pytest.mark.parametrize("preset", [*page.PRESETS])
@pytest.mark.parametrize("p", [1, 2])
def test_readouts_are_pot_and_brute_force_numbers(preset, p):
    view = page.MongeKantorovichPage(page.AtomsModel(preset=preset, p=p), embed=False)
    a, b, C = independent(view.model)
    values = shown(view)
    assert float(values["kantorovich"]) == pytest.approx(ot.emd2(a, b, C), abs=5e-5)
    count, best = brute_force_monge(a, b, C)
    assert values["maps"] == str(count)
    if count:
        assert float(values["monge"]) == pytest.approx(best, abs=5e-5)
        assert float(values["gap"]) == pytest.approx(best - ot.emd2(a, b, C), abs=1e-4)
    else:
        assert values["monge"] == "∞ (no map)" and values["gap"] == "∞"
    assert float(values["lp_error"]) <= 1e-12


def test_equal_atoms_map_equals_plan_and_a_split_atom_breaks_it():
    """Birkhoff: n equal atoms, the best permutation (scipy) is an optimal plan; then change one
    mass and no map is left while the plan still exists."""
    view = page.MongeKantorovichPage(page.AtomsModel(preset="equal"), embed=False)
    a, _b, C = independent(view.model)
    rows, cols = linear_sum_assignment(C)
    sol = view.model.solution
    assert sol.monge.cost == pytest.approx(C[rows, cols].sum() / len(a), abs=1e-12)
    assert sol.monge.cost == pytest.approx(sol.kantorovich.cost, abs=1e-12)
    assert "Birkhoff" in sol.verdict() and sol.equal_atoms
    m = view.model
    view.model.set_atoms(m.xs, (0.55, *m.ms[1:]), m.yt, m.mt)
    sol = view.model.solution
    assert not sol.monge.exists and sol.split_sources >= 1
    assert "No Monge map" in view.verdict.object
    assert sol.kantorovich.converged


def test_split_preset_has_no_map_and_plan_splits_the_atom():
    view = page.MongeKantorovichPage(page.AtomsModel(preset="split"), embed=False)
    assert shown(view)["split"] == "1 of 1"
    assert len(view.plot.plan.data["mass"]) == 2
    assert np.allclose(view.plot.plan.data["mass"], 0.5)
    assert len(view.plot.map.data["mass"]) == 0  # no dashed map drawn


def test_unequal_totals_are_normalized_and_said():
    view = page.MongeKantorovichPage(page.AtomsModel(preset="unequal"), embed=False)
    view.model.set_atoms((0.2, 0.7), (1.0, 0.5), (0.4,), (0.3,))
    assert shown(view)["totals"] == "1.50 | 0.30"
    assert view.plot.atoms.data["share"] == ["0.667", "0.333", "1.000"]
    assert shown(view)["maps"] == "1"


def test_add_and_remove_atoms_keep_within_one_to_eight():
    view = page.MongeKantorovichPage(page.AtomsModel(preset="split"), embed=False)
    view._change_count("s", -1)  # the last source atom stays
    assert len(view.model.xs) == 1
    for _ in range(10):
        view._change_count("t", +1)
    assert len(view.model.yt) == page.MAX_ATOMS == len(view.model.mt)
    assert len(set(view.model.yt)) == page.MAX_ATOMS  # each new atom in a free spot
    assert view.model.preset == "custom"
    assert len(view.plot.atoms.data["x"]) == 1 + page.MAX_ATOMS


def test_caption_and_takehome_describe_the_view():
    view = page.MongeKantorovichPage(page.AtomsModel(preset="split"), embed=False)
    assert view.caption_lines()[0].startswith("No Monge map exists")
    code = view.takehome().code
    assert "xs = np.array([0.5])" in code and "ot.emd(a, b, C)" in code


# --- deep links --------------------------------------------------------------------------------


def test_query_keys_accept_good_values():
    values, notices = parse_query(
        {"xs": "0.1,0.9", "ms": "1,0.5", "yt": "0.5", "mt": "1", "p": "1", "preset": "custom"},
        page.QUERY_KEYS,
    )
    assert notices == []
    assert values == {
        "xs": (0.1, 0.9), "ms": (1.0, 0.5), "yt": (0.5,), "mt": (1.0,), "p": 1, "preset": "custom",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "key", "reason"),
    [
        ({"ms": "0,1"}, "ms", "positive"),
        ({"mt": "-0.5"}, "mt", "positive"),
        ({"ms": "nan"}, "ms", "finite"),
        ({"ms": "2"}, "ms", "0.05 to 1"),
        ({"xs": "abc"}, "xs", "not a number"),
        ({"xs": "1.5"}, "xs", "0 to 1"),
        ({"xs": ",".join(["0.5"] * 9)}, "xs", "1 to 8"),
        ({"yt": ""}, "yt", "1 to 8"),
        ({"xs": "1" * 5000}, "xs", "too long"),
        ({"p": "3"}, "p", "one of"),
        ({"preset": "<script>"}, "preset", "one of"),
        ({"mt": "\ufffd\ufffd"}, "mt", "not a number"),
    ],
)
def test_query_keys_refuse_bad_values_with_a_notice(query, key, reason):
    values, notices = parse_query(query, page.QUERY_KEYS)
    assert values == {}
    assert len(notices) == 1 and f"'{key}'" in notices[0] and reason in notices[0]
    assert "<script>" not in notices[0]


def test_link_with_masses_that_do_not_match_positions_is_fitted_and_said():
    model = page.AtomsModel()
    model.param.update(xs=(0.1, 0.2, 0.3), ms=(1.0,))
    notices = page.MongeKantorovichPage.link_notices(model, {"xs": "0.1,0.2,0.3", "ms": "1"})
    assert model.ms == (1.0, 0.5, 0.5) and model.preset == "custom"
    assert len(notices) == 1 and "'ms' has 1 masses for 3 atoms" in notices[0]
    assert model.solution.a.size == 3


def test_link_preset_sets_the_atoms():
    model = page.AtomsModel()
    model.param.update(preset="split")
    assert model.xs == (0.5,) and model.mt == (0.5, 0.5)


# --- browser syncs -----------------------------------------------------------------------------


class FakeDoc(Document):
    """A document whose next-tick callbacks wait until the test runs them (``ticks``)."""

    def __init__(self):
        super().__init__()
        self.ticks = []

    def add_next_tick_callback(self, cb):
        self.ticks.append(cb)


def _served(view, monkeypatch) -> FakeDoc:
    doc = FakeDoc()
    monkeypatch.setattr(type(view.flow), "document", property(lambda self: doc))
    return doc


def _sync(view, flat) -> None:
    """A sync as it arrives from the browser: Bokeh calls the moves source's on_change."""
    view.plot.moves.trigger("data", view.plot.moves.data, {"m": flat})


def _packed(settled, xs, ws, ys, vs):
    return [float(settled), len(xs), len(ys), *xs, *ws, *ys, *vs]


def test_syncs_coalesce_latest_wins_and_leave_dragged_atoms_alone(monkeypatch):
    view = page.MongeKantorovichPage(page.AtomsModel(preset="split"), embed=False)
    doc = _served(view, monkeypatch)
    atoms = dict(view.plot.atoms.data)
    seq = view.flow.answer_source.data["seq"][0]
    for x in (0.3, 0.35, 0.4):
        _sync(view, _packed(0, [x], [1.0], [0.2, 0.8], [0.5, 0.5]))
    assert len(doc.ticks) == 1  # one run for three syncs
    doc.ticks.pop()()
    assert view.model.xs == (0.4,) and view.model.preset == "custom"
    assert view.plot.atoms.data == atoms  # the browser drew them; never pulled back
    assert view.flow.answer_source.data["seq"][0] == seq + 1
    # Nor on release: a key pressed while the sync was in flight must not be undone.
    _sync(view, _packed(1, [0.45], [1.0], [0.2, 0.8], [0.5, 0.5]))
    doc.ticks.pop()()
    assert view.model.xs == (0.45,) and view.plot.atoms.data == atoms
    assert list(view.plot.plan.data["x0"]) == [0.45, 0.45]  # the curves are the server's
    # A server-side change (a preset) redraws them.
    view.model.preset = "equal"
    assert list(view.plot.atoms.data["x"]) == [*mk_preset("equal")[0], *mk_preset("equal")[2]]


@pytest.mark.parametrize(
    "flat",
    [
        "nope",
        {"not": "a list"},
        [1, 1],
        [1, 1, 1, 0.5, float("nan"), 0.5, 1.0],
        [1, 1, 1, 0.5, 0.0, 0.5, 1.0],  # zero mass
        [1, 1, 1, 0.5, -1.0, 0.5, 1.0],  # negative mass
        [1, 1, 1, 0.5, 1.0, 2.5, 1.0],  # position out of range
        [1, 9, 1, *([0.5] * 20)],  # too many atoms
        [1, 1, 1, 0.5, 1.0, 0.5],  # too short for its header
        [0.5, 1, 1, 0.5, 1.0, 0.5, 1.0],  # bad settled flag
        [1, 1.5, 1, 0.5, 1.0, 0.5, 1.0],  # fractional count
        [1, 1, 1, "0.5", 1.0, 0.5, 1.0],  # a string among numbers
        [1.0] * 10_000,  # huge
    ],
)
def test_hostile_syncs_are_refused_and_the_last_valid_state_kept(flat):
    view = page.MongeKantorovichPage(page.AtomsModel(preset="unequal"), embed=False)
    before = (view.model.xs, view.model.ms, view.model.yt, view.model.mt)
    rows = view.readouts.rows
    seq = view.flow.answer_source.data["seq"][0]
    _sync(view, flat)
    assert (view.model.xs, view.model.ms, view.model.yt, view.model.mt) == before
    assert view.readouts.rows == rows and view.rejected == 1
    assert view.flow.answer_source.data["seq"][0] == seq + 1  # answered all the same
    assert list(view.plot.atoms.data["x"]) == [*before[0], *before[2]]


def test_parse_sync_accepts_a_typed_array():
    import array

    flat = array.array("d", _packed(1, [0.1, 0.2], [0.5, 0.5], [0.9], [1.0]))
    xs, _ms, _yt, mt, settled = page.parse_sync({"m": flat})
    assert xs == (0.1, 0.2) and mt == (1.0,) and settled


def test_a_solver_failure_keeps_the_last_solution_and_says_why(monkeypatch):
    view = page.MongeKantorovichPage(page.AtomsModel(preset="equal"), embed=False)
    rows = view.readouts.rows

    def boom(*args, **kwargs):
        raise page.InvalidInput("the solver refused these atoms.")

    monkeypatch.setattr(page, "solve", boom)
    view.model.set_atoms((0.2,), (1.0,), (0.3,), (1.0,))
    assert view.readouts.rows == rows
    assert "refused" in view.problem_note.object and "last valid" in view.problem_note.object
