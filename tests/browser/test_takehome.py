"""Take it home in the browser: Save the figure (PNG, SVG), Download as notebook, and print.

Also checks the private BokehJS hooks export.js relies on (pages/compat.py JS_HOOKS).
"""

from __future__ import annotations

import io
import re

import nbformat
import numpy as np
import pytest

pytestmark = pytest.mark.browser

FIGURE_BOX = """() => {
  const roots = [document];
  for (let k = 0; k < roots.length; k++)
    for (const el of roots[k].querySelectorAll('*')) if (el.shadowRoot) roots.push(el.shadowRoot);
  for (const r of roots) { const f = r.querySelector('[role="figure"]');
    if (f) { const b = f.getBoundingClientRect(); return [b.width, b.height]; } }
  return null; }"""


def _open(page, path: str) -> None:
    page.goto(page.base + path)
    page.wait_for_bokeh()
    page.get_by_role("button", name="Save the figure (PNG)").wait_for(timeout=30_000)
    page.wait_for_timeout(1500)  # let the plots paint


def _png(data: bytes) -> np.ndarray:
    import matplotlib.image

    return matplotlib.image.imread(io.BytesIO(data), format="png")


@pytest.mark.parametrize("path", ["/transport_plan", "/brenier?t=0.5"])
def test_save_the_figure_downloads_a_sharp_png_with_its_numbers(page, path):
    _open(page, path)
    width, height = page.evaluate(FIGURE_BOX)
    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name="Save the figure (PNG)").click()
    download = info.value
    assert download.suggested_filename.endswith(".png")
    data = open(download.path(), "rb").read()
    assert len(data) > 20_000
    image = _png(data)
    assert image.shape[1] >= 2 * width - 2 and image.shape[0] >= 2 * height - 2
    assert image[..., :3].std() > 0.05  # not blank
    # the plots were painted into it, not only the background and the caption
    top = image[: image.shape[0] // 2, :, :3]
    assert (np.abs(top - top[0, 0]).sum(axis=-1) > 0.1).mean() > 0.02


def test_save_the_figure_as_svg_keeps_plots_and_caption_as_text(page):
    _open(page, "/kl_vs_wasserstein?shift=2")
    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name="SVG").click()
    text = open(info.value.path(), encoding="utf-8").read()
    assert text.startswith("<svg") and text.count("<svg") >= 3
    assert "shift s = 2" in text and "<script" not in text


def test_download_as_notebook_is_valid_for_the_current_deep_link(page):
    _open(page, "/kl_vs_wasserstein?shift=1.5&shape=box&width=0.4")
    with page.expect_download(timeout=30_000) as info:
        page.get_by_text("Download as notebook").click()
    download = info.value
    assert download.suggested_filename == "kl_vs_wasserstein.ipynb"
    nb = nbformat.read(download.path(), as_version=4)
    nbformat.validate(nb)
    link = nb.cells[1].source
    url = re.search(r"\((http://[^)]+)\)", link).group(1)
    assert url.startswith(page.base + "/kl_vs_wasserstein?")
    assert "shift=1.5" in url and "shape=box" in url and "width=0.4" in url
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "shift, shape, width, floor = 1.5, 'box', 0.4, 0.0" in code


PRINT_STATE = """() => {
  const roots = [document];
  for (let k = 0; k < roots.length; k++)
    for (const el of roots[k].querySelectorAll('*')) if (el.shadowRoot) roots.push(el.shadowRoot);
  const shown = (el) => { const b = el.getBoundingClientRect();
    return b.width > 0 && b.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
  let details = 0, closed = 0, controls = 0, navs = 0, canvases = 0;
  for (const r of roots) {
    for (const d of r.querySelectorAll('details')) { details++; if (!d.open) closed++; }
    for (const c of r.querySelectorAll('button, input, select, .noUi-target'))
      if (shown(c)) controls++;
    for (const n of r.querySelectorAll('nav')) if (shown(n)) navs++;
    for (const c of r.querySelectorAll('canvas')) if (shown(c)) canvases++;
  }
  return {details, closed, controls, navs, canvases}; }"""


def test_print_shows_figure_and_proofs_without_controls_or_navigation(page):
    _open(page, "/brenier")
    before = page.evaluate(PRINT_STATE)
    assert before["controls"] > 0 and before["navs"] > 0 and before["closed"] > 0
    page.emulate_media(media="print")
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    during = page.evaluate(PRINT_STATE)
    assert during["controls"] == 0, during
    assert during["navs"] == 0, during
    assert during["closed"] == 0 and during["details"] == before["details"], during
    assert during["canvases"] >= 1
    page.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
    page.emulate_media(media="screen")
    assert page.evaluate(PRINT_STATE)["closed"] == before["closed"]


def test_export_hooks_exist_on_the_pinned_bokehjs(page):
    _open(page, "/transport_plan")
    found = page.evaluate(
        """() => {
          const views = Bokeh.documents[0].views_manager;
          const plots = [...views.query((v) => v.canvas_view != null)];
          const layer = plots[0].export("svg", true);
          const own = Object.getOwnPropertyDescriptor(window, "devicePixelRatio");
          Object.defineProperty(window, "devicePixelRatio", {value: 3, configurable: true});
          const ratio = plots[0].export("png", true).pixel_ratio;
          if (own) Object.defineProperty(window, "devicePixelRatio", own);
          else delete window.devicePixelRatio;
          return {n: plots.length, svg: layer.ctx.get_svg().tagName, ratio,
                  restored: window.devicePixelRatio};
        }"""
    )
    assert found["n"] >= 3 and found["svg"].lower() == "svg"
    assert found["ratio"] == 3 and found["restored"] == 1
