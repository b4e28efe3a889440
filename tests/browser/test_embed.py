"""Every page's ``?embed=1`` in a course page's iframe (README "Putting one figure in a course
page"): at 700 x 600 the figure and all of its controls fit without scrolling; at 1000 px the
figure uses the width instead of leaving a third of the frame empty.

One page load per page: measured at 700 x 600, then the same page resized to 1000 px wide,
with the measure ``bench/measure_embeds.py`` prints for every page (``bench/_embed_layout.py``).
"""

from __future__ import annotations

import pytest

from bench._embed_layout import figure_span, settled_layout
from pages import registry

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("slug", [info.slug for info in registry.PAGES])
def test_embed_fits_a_700_by_600_iframe_and_fills_a_wider_one(page, slug):
    page.set_viewport_size({"width": 700, "height": 600})
    page.goto(f"{page.base}/{slug}?embed=1")
    page.wait_for_bokeh(timeout=30_000)
    narrow = settled_layout(page)
    assert narrow["scrollWidth"] <= 700, f"sideways scroll: {narrow['scrollWidth']} px wide"
    assert narrow["scrollHeight"] <= 600, f"vertical scroll: {narrow['scrollHeight']} px tall"
    # The controls and the plots a reader drags.
    plots = [d for d in narrow["drawn"] if d["kind"] == "plot"]
    outside = [
        f"{c['kind']} {c['name']}"
        for c in narrow["controls"] + plots
        if c["box"][2] > 700 or c["box"][3] > 600
    ]
    assert outside == [], f"controls outside the 700 x 600 frame: {outside}"

    page.set_viewport_size({"width": 1000, "height": 600})
    page.wait_for_function("() => document.documentElement.clientWidth === 1000")
    wide = settled_layout(page)
    assert wide["scrollWidth"] <= 1000
    span = figure_span(wide)
    assert span >= 0.9 * 1000, f"the figure spans {span} of 1000 px"


def test_the_full_page_link_opens_the_current_view_without_embed(page):
    """An embed that leaves parts to the full page links to it with the view's query, as the
    page keeps it in the address (here a link value and a default the page wrote)."""
    page.set_viewport_size({"width": 700, "height": 600})
    page.goto(f"{page.base}/unbalanced?embed=1&rho=0.3")
    page.wait_for_bokeh(timeout=30_000)
    link = page.locator("a.ot-full-page")
    link.wait_for(timeout=30_000)
    page.wait_for_function("() => location.search.includes('rho=0.3')")
    link.focus()
    page.wait_for_function(
        "(a) => a.href.includes('rho=0.3')", arg=link.element_handle(), timeout=10_000
    )
    href = link.get_attribute("href")
    assert "/unbalanced?" in href and "rho=0.3" in href and "embed" not in href
    assert link.get_attribute("target") == "_blank"
