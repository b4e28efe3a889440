"""Unit tests of pages.histogram_pair: the bar-height helpers and the HistogramPair model."""

from __future__ import annotations

import numpy as np
import param
import pytest

from ot_engine.histograms import preset_pair
from pages import histogram_pair as hp
from pages import sinkhorn as sk
from pages import unbalanced as ub


def test_round_heights_clips_to_the_axis_and_keeps_four_digits():
    got = hp.round_heights([0.123456, -0.5, np.nan, 3.0, 1e-7])
    assert got.tolist() == [0.1235, 0.0, 0.0, hp.YMAX, 1e-7]
    assert got.dtype == np.float64


def test_preset_heights_floors_and_rounds_the_engine_preset():
    for name in hp.PRESETS:
        p, q = hp.preset_heights(name, 40)
        raw_p, raw_q = preset_pair(name, 40)
        raw_p[raw_p < hp.PRESET_FLOOR] = 0.0
        raw_q[raw_q < hp.PRESET_FLOOR] = 0.0
        assert np.array_equal(p, hp.round_heights(raw_p))
        assert np.array_equal(q, hp.round_heights(raw_q))
        assert not np.any((p > 0) & (p < hp.PRESET_FLOOR))


def test_fit_heights_keeps_size_rebins_and_keeps_empty_empty():
    h = hp.preset_heights(hp.DEFAULT_PRESET, 64)[0]
    assert hp.fit_heights(h, 64) is h
    fitted = hp.fit_heights(h, 32)
    assert fitted.size == 32
    assert np.array_equal(fitted, hp.round_heights(fitted))
    assert np.array_equal(hp.fit_heights(np.zeros(10), 20), np.zeros(20))


def test_parse_heights_reads_a_query_value():
    assert hp.parse_heights("0.5, 0.123456,0").tolist() == [0.5, 0.1235, 0.0]
    with pytest.raises(ValueError, match="no mass"):
        hp.parse_heights("0,0,0")
    with pytest.raises(ValueError):
        hp.parse_heights("0.5")  # fewer than two bars
    with pytest.raises(ValueError):
        hp.parse_heights("0.5,2")  # above the axis


class Counting(hp.HistogramPair):
    """A minimal model: counts the updates of p and q it sees."""

    seen = param.List(default=[])

    @param.depends("p", "q", watch=True)
    def _bars_changed(self):
        self.seen = [*self.seen, self._applying_preset]


def test_missing_bars_come_from_the_preset_on_n_bins():
    m = Counting(preset=hp.PRESETS[1], n=20)
    p, q = hp.preset_heights(hp.PRESETS[1], 20)
    assert np.array_equal(m.p, p) and np.array_equal(m.q, q)
    default = Counting()
    assert default.preset == hp.DEFAULT_PRESET and default.n == hp.DEFAULT_N == 64
    assert np.array_equal(default.p, hp.preset_heights(hp.DEFAULT_PRESET, 64)[0])


def test_given_bars_are_kept():
    p = np.array([0.1, 0.2, 0.3])
    m = Counting(n=16, p=p)
    assert m.p is p
    assert np.array_equal(m.q, hp.preset_heights(hp.DEFAULT_PRESET, 16)[1])


def test_apply_preset_sets_all_three_in_one_update_with_the_flag_up():
    m = Counting(n=24)
    m.apply_preset(hp.PRESETS[2])
    p, q = hp.preset_heights(hp.PRESETS[2], 24)
    assert m.preset == hp.PRESETS[2]
    assert np.array_equal(m.p, p) and np.array_equal(m.q, q)
    assert m.seen == [True]  # one update (p and q together), during apply_preset
    assert m._applying_preset is False


def test_choosing_a_preset_resets_the_bars():
    m = Counting(n=24)
    m.p = np.zeros(24)
    m.seen = []
    m.preset = hp.PRESETS[3]
    p, q = hp.preset_heights(hp.PRESETS[3], 24)
    assert np.array_equal(m.p, p) and np.array_equal(m.q, q)
    assert m.seen == [True]


def test_a_page_with_its_own_presets_uses_its_hook():
    m = ub.Unbalanced(preset=ub.PRESETS[1], n=32)
    assert np.array_equal(m.p, ub.preset_heights(ub.PRESETS[1], 32)[0])
    m.preset = ub.PRESETS[2]
    assert np.array_equal(m.q, ub.preset_heights(ub.PRESETS[2], 32)[1])


def test_sinkhorn_keeps_its_watcher_no_new_bars_when_they_already_match():
    m = sk.SinkhornModel(n=16)
    run = m.run
    m.preset = hp.PRESETS[1]
    assert np.array_equal(m.p, hp.preset_heights(hp.PRESETS[1], 16)[0])
    assert m.run is not run
    m.p = np.zeros(16)
    m.preset = hp.PRESETS[2]
    m.preset = hp.PRESETS[1]  # its own watcher: the preset's bars again
    assert np.array_equal(m.p, hp.preset_heights(hp.PRESETS[1], 16)[0])


def test_rebinned_notices_name_each_bar_list_of_another_length():
    values = {"p": np.ones(3), "q": np.ones(16), "eps": 0.1}
    assert hp.rebinned_notices(values, 16) == [
        "The link's 'p' had 3 bars; it was rebinned to 16 bins (n decides the number of bins)."
    ]
    assert hp.rebinned_notices({}, 16) == []
