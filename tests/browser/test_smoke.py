import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["/", "/transport_plan", "/brenier", "/kl_vs_wasserstein"])
def test_page_loads_offline(page, path):
    page.goto(page.base + path)
    page.wait_for_bokeh()
