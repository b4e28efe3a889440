"""The public surface page authors code against: names, signatures, no web imports."""

import inspect
import subprocess
import sys

import ot_engine


def test_no_web_framework_is_imported():
    code = (
        "import sys, ot_engine; "
        "bad = [m for m in ('panel', 'bokeh', 'param', 'holoviews') if m in sys.modules]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_signatures_are_stable():
    expected = {
        "sinkhorn": "(a, b, C, eps, *, warm_start=None, tol=1e-09, max_iter=None, "
        "max_time=0.5, normalize=True)",
        "exact": "(a, b, C, *, normalize=True)",
        "brenier_potential": "(x, mean_p, sigma_p, mean_q, sigma_q)",
        "brenier_map": "(x, mean_p, sigma_p, mean_q, sigma_q)",
        "gaussian_map_matrix": "(cov_p, cov_q)",
        "gaussian_brenier_potential": "(x, mean_p, cov_p, mean_q, cov_q)",
        "gaussian_brenier_map": "(x, mean_p, cov_p, mean_q, cov_q)",
        "gaussian_w2": "(mean_p, cov_p, mean_q, cov_q)",
        "wasserstein_1d": "(x, p, q, order=1, *, normalize=True)",
        "cost_matrix": "(x, y, power: float = 2.0)",
        "uniform_grid": "(n: int, low: float = 0.0, high: float = 1.0)",
        "sample_gaussian": "(n, mean, cov, seed)",
        "empirical_w2": "(X, Y)",
    }
    for name, sig in expected.items():
        got = str(inspect.signature(getattr(ot_engine, name))).split(" ->")[0].replace("'", "")
        assert got == sig, name
    for name in ("kl", "js", "tv", "hellinger"):
        assert list(inspect.signature(getattr(ot_engine, name)).parameters)[:2] == ["p", "q"]


def test_everything_exported_has_a_docstring_with_an_example():
    for name in ot_engine.__all__:
        obj = getattr(ot_engine, name)
        if callable(obj) and inspect.isfunction(obj):
            assert ">>>" in (obj.__doc__ or ""), name
