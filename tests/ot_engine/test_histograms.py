"""ot_engine.histograms: named starting shapes and mass-keeping rebinning."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ot_engine import InvalidInput
from ot_engine.histograms import PRESET_PEAK, PRESETS, preset_pair, rebin


@pytest.mark.parametrize("name", PRESETS)
@pytest.mark.parametrize("n", [16, 64, 256])
def test_presets_are_valid_histograms(name, n):
    p, q = preset_pair(name, n)
    for h in (p, q):
        assert h.shape == (n,)
        assert np.all(h >= 0) and h.max() == pytest.approx(PRESET_PEAK)


def test_shifted_copy_is_a_translate():
    p, q = preset_pair("shifted copy", 100)
    shift = 35  # 0.35 of the unit interval on 100 bins
    np.testing.assert_allclose(q[shift:], p[:-shift], atol=1e-3)


def test_unknown_preset_is_refused():
    with pytest.raises(InvalidInput):
        preset_pair("nope", 16)


@settings(max_examples=60, deadline=None)
@given(
    heights=st.lists(st.floats(0, 1), min_size=1, max_size=64).filter(lambda h: sum(h) > 1e-6),
    n=st.integers(1, 200),
)
def test_rebin_keeps_mass_and_never_grows_the_peak(heights, n):
    h = np.array(heights)
    out = rebin(h, n)
    # mass on [0, 1] is the mean height; rebinning moves it exactly (float round-off only)
    assert out.mean() == pytest.approx(h.mean(), rel=1e-9, abs=1e-12)
    assert out.max() <= h.max() + 1e-12 and out.min() >= 0


def test_rebin_keeps_the_centre_of_mass():
    x16 = (np.arange(16) + 0.5) / 16
    h = np.exp(-((x16 - 0.3) ** 2) / 0.01)
    out = rebin(h, 48)
    x48 = (np.arange(48) + 0.5) / 48
    # piecewise-constant density: the first moment is kept exactly by a refinement
    assert x48 @ out / out.sum() == pytest.approx(x16 @ h / h.sum(), rel=1e-12)


def test_rebin_refuses_empty_histograms():
    with pytest.raises(InvalidInput):
        rebin(np.zeros(8), 4)
