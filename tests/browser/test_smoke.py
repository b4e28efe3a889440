"""The quickest end-to-end check: the served notebook's front page renders offline.

(The full matrix, every page with and without ?embed=1, is in test_shell.py.)
"""

import pytest

pytestmark = pytest.mark.browser


def test_front_page_loads_offline(page):
    page.goto(page.base + "/")
    page.wait_for_bokeh()
    page.locator("h1").wait_for()
