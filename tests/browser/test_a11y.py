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

#: JS: true once every typeset formula has its text alternative and every too-wide display
#: formula is focusable (the page script's sweep and its resize watch).
MATH_NAMED = """() => {
  const roots = [document];
  let boxes = 0, named = 0;
  for (let k = 0; k < roots.length; k++) {
    for (const el of roots[k].querySelectorAll("*")) if (el.shadowRoot) roots.push(el.shadowRoot);
    for (const m of roots[k].querySelectorAll("mjx-container")) {
      boxes += 1;
      // named, and a display formula wider than its box is focusable (it scrolls)
      const wide = m.getAttribute("display") === "true" && m.scrollWidth > m.clientWidth + 1;
      if (m.hasAttribute("aria-label") && (!wide || m.hasAttribute("tabindex"))) named += 1;
    }
  }
  return boxes > 0 && boxes === named;
}"""

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}, ${v.nodes.length}): ` +
                v.nodes.slice(0, 3).map((n) => n.target.join(" > ")).join(" | "));
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
    page.wait_for_function(MATH_NAMED, timeout=30_000)
    page.add_script_tag(content=axe_source)
    violations = page.evaluate(RUN_AXE)
    assert violations == []
