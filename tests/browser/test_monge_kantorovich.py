"""/monge_kantorovich in Chromium: drag an atom, keyboard, deep links, bad links, embed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pages import monge_kantorovich as mk
from pages.monge_kantorovich_plots import BASE_S, HEIGHT

pytestmark = pytest.mark.browser

PATH = "/monge_kantorovich"

#: Data coordinates of the atoms figure -> page pixels (its frame's scales + canvas offset).

#: The atoms as the browser holds them.
ATOMS = """() => {
  for (const doc of Bokeh.documents) {
    const m = doc.get_model_by_name("mk_atoms");
    if (m) return {x: Array.from(m.data.x), w: Array.from(m.data.w), side: m.data.side};
  }
  return null;
}"""

#: The figure's live text (inside its shadow root).
LIVE = """() => {
  const find = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.classList.contains("mk-live")) return el;
      if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; }
    }
    return null;
  };
  const live = find(document);
  return live ? live.textContent : null;
}"""


def readout(page, key: str):
    return page.locator(f"table.mk-readouts tr[data-key='{key}'] .ot-readout-value")


def open_page(page, query: str = "") -> None:
    page.goto(page.base + PATH + query)
    page.wait_for_bokeh()
    page.locator("table.mk-readouts").wait_for()
    page.wait_for_plot("mk_figure")


def expected(preset: str, **atoms):
    """The readouts the page should show (solved here, outside the browser)."""
    model = mk.AtomsModel(preset=preset, **atoms)
    return {row[0]: row[3] for row in model.solution.readout_rows()}


def test_dragging_an_atoms_mass_breaks_the_map(page):
    open_page(page)
    expect(readout(page, "maps")).to_have_text("24")
    # The first source atom's head: x 0.1, mass 0.5 drawn at base + height * 0.5.
    x0, y0 = page.pixel("mk_figure", 0.1, BASE_S + HEIGHT * 0.5)
    x1, y1 = page.pixel("mk_figure", 0.2, BASE_S + HEIGHT * 0.9)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * i / 10, y0 + (y1 - y0) * i / 10)
    page.mouse.up()
    page.wait_for_function(
        f"() => {{ const a = ({ATOMS})(); return Math.abs(a.x[0] - 0.2) < 0.02 "
        "&& Math.abs(a.w[0] - 0.9) < 0.03; }"
    )
    atoms = page.evaluate(ATOMS)
    page.wait_for_function(
        "(w) => new URL(location.href).searchParams.get('ms') === w",
        arg=",".join(f"{v:.4g}" for v in atoms["w"][:4]),
    )
    expect(readout(page, "maps")).to_have_text("0")
    expect(readout(page, "monge")).to_have_text("∞ (no map)")
    want = expected(
        xs=tuple(atoms["x"][:4]), ms=tuple(atoms["w"][:4]), yt=(0.2, 0.45, 0.7, 0.95),
        mt=(0.5,) * 4, preset="custom",
    )  # fmt: skip
    expect(readout(page, "kantorovich")).to_have_text(want["kantorovich"])
    page.get_by_text("No Monge map exists").wait_for()
    page.wait_for_function("() => location.search.includes('preset=custom')")


def test_keyboard_picks_an_atom_and_changes_its_mass(page):
    open_page(page, "?preset=split")
    expect(readout(page, "maps")).to_have_text("0")
    page.get_by_role("button", name="Remove target").focus()
    page.keyboard.press("Tab")  # into the figure: the first atom is picked
    page.wait_for_function(f"() => ({LIVE})()?.startsWith('source atom 1 of 1')")
    page.keyboard.press("Tab")
    page.wait_for_function(f"() => ({LIVE})()?.startsWith('target atom 1 of 2')")
    page.keyboard.press("ArrowUp")  # 0.5 -> 0.55: unequal halves, still no map
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"() => ({LIVE})()?.includes('mass 0.55')")
    page.wait_for_function("() => new URL(location.href).searchParams.get('mt') === '0.55,0.5'")
    want = expected(xs=(0.5,), ms=(1.0,), yt=(0.19, 0.8), mt=(0.55, 0.5), preset="custom")
    expect(readout(page, "kantorovich")).to_have_text(want["kantorovich"])
    # Past the last atom, Tab leaves the figure (no keyboard trap).
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.wait_for_function(
        "() => !(document.activeElement?.shadowRoot?.activeElement?.getAttribute?.("
        "'aria-roledescription') === 'draggable atoms')"
    )


def test_deep_link_restores_the_atoms(page):
    open_page(page, "?xs=0.1,0.9&ms=1,0.5&yt=0.5&mt=1&p=1")
    want = expected("custom", xs=(0.1, 0.9), ms=(1.0, 0.5), yt=(0.5,), mt=(1.0,), p=1)
    for key in ("kantorovich", "maps", "monge", "totals"):
        expect(readout(page, key)).to_have_text(want[key])
    assert page.evaluate(ATOMS)["x"] == pytest.approx([0.1, 0.9, 0.5])
    assert page.get_by_text("Ignored the link").count() == 0


def test_bad_link_values_fall_back_with_a_notice(page):
    open_page(page, "?ms=0,1&xs=abc&preset=%3Cb%3Ex%3C%2Fb%3E")
    page.get_by_text("Ignored the link's 'ms'").wait_for()
    page.get_by_text("Ignored the link's 'xs'").wait_for()
    expect(readout(page, "maps")).to_have_text(expected("equal")["maps"])
    assert page.locator("b", has_text="x").count() == 0  # never rendered as HTML


def test_preset_and_cost_controls(page):
    open_page(page)
    page.get_by_role("combobox", name="Preset").select_option(label="unequal masses")
    expect(readout(page, "maps")).to_have_text("2")
    page.get_by_role("button", name="|x − y|", exact=True).click()
    page.wait_for_function("() => new URL(location.href).searchParams.get('p') === '1'")
    want = expected("unequal", p=1)
    expect(readout(page, "monge")).to_have_text(want["monge"])


def test_embed_shows_figure_and_controls_only(page):
    open_page(page, "?embed=1")
    assert page.get_by_text("What the figure shows").count() == 0
    expect(page.locator("table.mk-readouts")).to_have_count(1)


NEXT_FRAME = "() => new Promise((r) => requestAnimationFrame(() => r()))"


def test_touch_drag_moves_an_atom(page):
    open_page(page, "?preset=split")
    x0, y0 = page.pixel("mk_figure", 0.5, BASE_S + HEIGHT * 1.0)
    x1, y1 = page.pixel("mk_figure", 0.3, BASE_S + HEIGHT * 0.6)
    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]}
    )
    for i in range(1, 11):
        page.evaluate(NEXT_FRAME)
        point = {"x": x0 + (x1 - x0) * i / 10, "y": y0 + (y1 - y0) * i / 10}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_function(
        "() => { const q = new URL(location.href).searchParams;"
        " return Math.abs(Number(q.get('xs')) - 0.3) < 0.02"
        " && Math.abs(Number(q.get('ms')) - 0.6) < 0.03; }"
    )
    # One atom still cannot be split into halves, wherever it sits and whatever it weighs.
    expect(readout(page, "maps")).to_have_text("0")


def test_dragging_a_stem_moves_the_atom_and_keeps_its_mass(page):
    open_page(page, "?preset=unequal")
    # The first source atom (x 0.1, mass 1.0 as drawn): grab its stem halfway up.
    x0, y0 = page.pixel("mk_figure", 0.1, BASE_S + HEIGHT * 0.5)
    x1, y1 = page.pixel("mk_figure", 0.3, BASE_S + HEIGHT * 0.2)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 9):
        page.mouse.move(x0 + (x1 - x0) * i / 8, y0 + (y1 - y0) * i / 8)
    page.mouse.up()
    page.wait_for_function("() => new URL(location.href).searchParams.get('xs')?.startsWith('0.3')")
    atoms = page.evaluate(ATOMS)
    assert atoms["w"][0] == 1.0 and atoms["x"][0] == pytest.approx(0.3, abs=0.01)
    assert "ms=1,0.5,0.5" in page.url
