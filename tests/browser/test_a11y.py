"""axe-core on every page, light and dark, at desktop and phone size: no violation of any rule
at "serious" or "critical" impact (the accessibility floor every page, new ones included, keeps).

axe-core comes from npm (package.json, installed by install.sh); without it these tests are
skipped, or fail when ``CI`` is set.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pages import registry

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PATHS = ["/", *(f"/{info.slug}" for info in registry.PAGES)]

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}, ${v.nodes.length}): ` +
                v.nodes.slice(0, 3).map((n) => n.target.join(" > ")).join(" | "));
}"""


#: True once every slider handle (shadow roots included) has its accessible name, and no new
#: handle appeared since the last poll (a tab's sliders are drawn after the first ones).
SLIDERS_NAMED = """() => {
  const roots = [document], handles = [];
  for (let k = 0; k < roots.length; k++) {
    for (const el of roots[k].querySelectorAll("*")) if (el.shadowRoot) roots.push(el.shadowRoot);
    handles.push(...roots[k].querySelectorAll('[role="slider"]'));
  }
  const named = handles.every((h) => h.hasAttribute("aria-label") ||
                                     h.hasAttribute("aria-labelledby"));
  const same = window.__otSliderCount === handles.length;
  window.__otSliderCount = handles.length;
  return named && same;
}"""

#: Jump every running CSS transition or animation to its end (infinite ones cannot: kept).
FINISH_TRANSITIONS = """() => {
  for (const a of document.getAnimations()) {
    try { a.finish(); } catch (e) { /* an infinite animation */ }
  }
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail("axe-core is not installed (install.sh runs npm ci)")
        pytest.skip("axe-core not installed (bash install.sh)")
    return AXE.read_text(encoding="utf-8")


#: Window sizes: the desktop the page fixture opens, and a phone.
SIZES = {"desktop": None, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("path", PATHS)
def test_no_serious_or_critical_violations(page, axe_source, path, theme, size):
    if SIZES[size] is not None:
        page.set_viewport_size(SIZES[size])
    page.goto(page.base + path + ("?theme=dark" if theme == "dark" else ""))
    page.wait_for_bokeh()
    page.wait_for_math()
    assert _violations(page, axe_source) == []


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("slug", [info.slug for info in registry.PAGES])
def test_embeds_have_no_serious_or_critical_violations(page, axe_source, slug, theme):
    """The ``?embed=1`` view (its own layout: tabs, compact tables, a full-page link) in the
    700 x 600 iframe a course page gives it."""
    page.set_viewport_size({"width": 700, "height": 600})
    page.goto(f"{page.base}/{slug}?embed=1" + ("&theme=dark" if theme == "dark" else ""))
    page.wait_for_bokeh(timeout=30_000)
    # notebook.js names each slider once it is drawn (the full pages' test waits for the math,
    # which comes later): wait for that, or axe may run between the two.
    page.wait_for_function(SLIDERS_NAMED, timeout=30_000, polling=500)
    assert _violations(page, axe_source) == []


def _violations(page, axe_source: str) -> list[str]:
    # Colours are checked as they settle: a CSS transition caught half way (a button fading
    # in as the theme applies) failed contrast once in a CI run.
    page.evaluate(FINISH_TRANSITIONS)
    page.add_script_tag(content=axe_source)
    return page.evaluate(RUN_AXE)
