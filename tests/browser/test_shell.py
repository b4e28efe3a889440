"""The notebook frame in headless Chromium: every page loads offline, math renders, navigation,
embed mode, hostile links, deep links written back with replaceState, theme, narrow layout, and
the README's iframe snippet.

The ``page`` fixture fails any test that logs a console error or asks another host for anything.
Deep-link write-back is checked on a small stand-in page (served from a temporary file) so it
does not depend on any figure page's own keys.
"""

from __future__ import annotations

import re
import sys
import textwrap

import pytest
from playwright.sync_api import expect

from pages import registry

pytestmark = pytest.mark.browser

PATHS = ["/", *(f"/{info.slug}" for info in registry.PAGES)]
HOSTILE = "<script>alert(1)</script>"


def open_page(page, path: str) -> None:
    page.goto(page.base + path)
    page.wait_for_bokeh()


@pytest.mark.parametrize("embed", [False, True], ids=["full", "embed"])
@pytest.mark.parametrize("path", PATHS)
def test_every_page_loads_offline_without_errors(page, path, embed):
    open_page(page, path + ("?embed=1" if embed else ""))
    page.wait_for_load_state("networkidle")
    # Rendered before anything is counted (count() does not wait): the figure, or the
    # home page's text.
    shown = '[role="figure"]' if path != "/" else ".ot-prose"
    page.locator(shown).first.wait_for(timeout=30_000)
    navs = page.locator('nav[aria-label="Pages"], nav[aria-label="Previous and next"]')
    if embed:
        assert navs.count() == 0, "embed mode must hide the navigation"
        assert page.locator("header").count() == 0
        assert page.locator("h1").count() == 0
        if path != "/":  # the home page has no figure: embedded, it is its text alone
            assert page.locator(".ot-prose").count() == 0, "embed mode must hide the prose"
    else:
        expect(navs).to_have_count(2)
        expect(page.locator("h1")).to_have_count(1)


@pytest.mark.parametrize("path", PATHS)
def test_every_page_typesets_its_math(page, path):
    open_page(page, path)
    # MathJax typesets progressively: wait for the counts (every page carries dozens).
    page.wait_for_count("mjx-container", 21)
    page.wait_for_count('mjx-container[display="true"]', 3)
    text = page.deep_text()
    if path == "/":
        assert "Kantorovich" in text
    assert "$$" not in text and "\\(" not in text and "\\int" not in text and "\\frac" not in text


def test_navigation_links_land_on_the_right_urls(page):
    first, second = registry.PAGES[0], registry.PAGES[1]
    open_page(page, "/")
    page.locator(f'nav[aria-label="Contents"] a[href="./{first.slug}"]').click()
    page.wait_for_url(f"**/{first.slug}")
    page.wait_for_bokeh()
    page.locator('nav[aria-label="Pages"] a[rel="next"]').click()
    page.wait_for_url(f"**/{second.slug}")
    page.wait_for_bokeh()
    page.locator('nav[aria-label="Previous and next"] a[rel="prev"]').click()
    page.wait_for_url(f"**/{first.slug}")
    page.wait_for_bokeh()
    page.locator('nav[aria-label="Pages"] a', has_text="Contents").click()
    page.wait_for_url(page.base + "/")
    page.wait_for_bokeh()
    # expect() retries: the old page's h1 may still be in the DOM for a moment.
    expect(page.locator("h1")).to_have_text(registry.HOME.title)


@pytest.mark.parametrize("path", PATHS)
def test_hostile_query_leaves_the_page_working(page, path):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    hostile = "%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    many_keys = "&".join(f"k{i}=[[{i}" for i in range(250))  # past Panel's field limit
    query = (
        f"?eps=nan&n=1e999&p={'9' * 10_000}&embed=%3Cb%3E&theme={hostile}&{hostile}={hostile}"
        f"&{many_keys}"
    )
    open_page(page, path + query)
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_have_count(1)  # rendered, and not in embed mode
    assert not dialogs
    injected = page.evaluate(
        """() => {
          let found = 0;
          const walk = (root) => {
            for (const el of root.querySelectorAll("*")) {
              if (el.shadowRoot) walk(el.shadowRoot);
              if ((el.tagName === "SCRIPT" || el.tagName === "B") && /alert/.test(el.textContent))
                found += 1;
            }
          };
          walk(document);
          return found;
        }"""
    )
    assert injected == 0
    assert HOSTILE not in page.deep_text()


def test_theme_toggle_reloads_dark_and_back_keeping_the_query(page):
    slug = registry.PAGES[1].slug
    open_page(page, f"/{slug}?embed=0")
    page.get_by_role("button", name="Dark theme").click()
    page.wait_for_url(re.compile(r"theme=dark"))
    page.wait_for_bokeh()
    assert "embed=0" in page.url
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(33, 37, 41)"
    # Links carry the theme on to the next page.
    assert "theme=dark" in page.locator('nav[aria-label="Pages"] a[rel="next"]').get_attribute(
        "href"
    )
    page.get_by_role("button", name="Light theme").click()
    page.wait_for_url(lambda url: "theme=dark" not in url)
    page.wait_for_bokeh()
    assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == (
        "rgb(255, 255, 255)"
    )


def test_keyboard_reaches_the_navigation_with_a_visible_focus_ring(page):
    open_page(page, f"/{registry.PAGES[0].slug}")
    page.locator('nav[aria-label="Pages"] a').first.wait_for()
    focused = []
    for _ in range(4):
        page.keyboard.press("Tab")
        focused.append(
            page.evaluate(
                """() => {
                  let a = document.activeElement;
                  while (a && a.shadowRoot && a.shadowRoot.activeElement)
                    a = a.shadowRoot.activeElement;
                  const s = getComputedStyle(a);
                  return {tag: a.tagName, text: a.textContent.trim(), outline: s.outlineStyle,
                          width: parseFloat(s.outlineWidth)};
                }"""
            )
        )
    links = [f for f in focused if f["tag"] == "A"]
    assert [f["text"] for f in links[:2]] == [
        "Optimal transport notebook",
        f"← {registry.HOME.title}",
    ]
    assert all(f["outline"] == "solid" and f["width"] >= 2 for f in links)


# --- deep links and layout on a stand-in page ------------------------------------------------

STAND_IN = textwrap.dedent(
    """
    import panel as pn
    import param
    from bokeh.plotting import figure

    from pages import query, shell

    KEYS = [
        query.QueryKey("eps", "eps", query.float_in(0.01, 1.0), query.format_float),
        query.QueryKey("n", "bins", query.int_in(2, 64)),
    ]


    class Model(param.Parameterized):
        eps = param.Number(0.5, bounds=(0.01, 1.0), step=0.01)
        bins = param.Integer(32, bounds=(2, 64))


    model = Model()
    notices = query.bind_query(model, KEYS)
    fig = figure(height=300, sizing_mode="stretch_width", tools="", toolbar_location=None)
    fig.line([0, 1], [0, 1])
    controls = pn.Column(
        pn.widgets.IntSlider.from_param(model.param.bins, width=250),
        pn.widgets.FloatSlider.from_param(model.param.eps, width=250),
    )
    shell.extension()
    shell.notebook_page(
        "transport_plan", figure=pn.pane.Bokeh(fig), controls=controls, notices=notices,
        figure_label="Stand-in figure",
    ).servable()
    """
)


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory, serving):
    app = tmp_path_factory.mktemp("stand_in") / "stand_in.py"
    app.write_text(STAND_IN)
    port = serving.free_port()
    command = [sys.executable, "-m", "panel", "serve", str(app), "--port", str(port),
               "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}",
               "--static-dirs", f"assets={serving.root / 'assets'}", "--liveness"]  # fmt: skip
    with serving.serve_process(command, port, log_name="stand_in.log") as base:
        yield base + "/stand_in"


def test_deep_link_is_applied_validated_and_written_back_with_replace_state(page, stand_in):
    page.goto(stand_in + "?n=40&eps=nan&embed=0")
    page.wait_for_bokeh()
    page.locator(".ot-notice").wait_for()
    assert "Ignored the link's 'eps': not a finite number." in page.deep_text()
    # The ignored value is dropped from the address bar, without a reload or a history entry.
    page.wait_for_url(re.compile(r"\?embed=0&eps=0\.5&n=40$"))
    length = page.evaluate("() => history.length")
    page.evaluate("() => { window.__still_here = true; }")

    handle = page.locator(".noUi-handle").first
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r"n=41$"))
    assert page.evaluate("() => history.length") == length
    assert page.evaluate("() => window.__still_here === true")

    page.reload()
    page.wait_for_bokeh()
    page.locator(".noUi-handle").first.wait_for()
    assert page.locator(".ot-notice").count() == 0
    assert page.locator(".noUi-handle").first.get_attribute("aria-valuenow").startswith("41")


def test_narrow_window_puts_the_figure_first_then_its_controls(page, stand_in):
    page.set_viewport_size({"width": 700, "height": 900})
    page.goto(stand_in + "?embed=1")
    page.wait_for_bokeh()
    page.locator(".ot-controls").wait_for()
    controls = page.locator(".ot-controls").bounding_box()
    figure = page.locator('[role="figure"]').bounding_box()
    # Figure first: a 700 px iframe opens on the picture, the controls follow right below.
    assert figure["y"] + figure["height"] <= controls["y"] + 1
    assert figure["width"] > 600  # the figure takes the whole iframe width
    assert page.locator('[role="figure"]').get_attribute("aria-label") == "Stand-in figure"
    page.set_viewport_size({"width": 1280, "height": 900})
    # Wider, an embed still opens on the figure, across the whole width, the controls in rows
    # under it (README "Putting one figure in a course page"; poll rather than sleep).
    page.wait_for_function(
        """() => {
          const find = (root, sel) => {
            const hit = root.querySelector(sel);
            if (hit) return hit;
            for (const el of root.querySelectorAll("*"))
              if (el.shadowRoot) { const h = find(el.shadowRoot, sel); if (h) return h; }
            return null;
          };
          const c = find(document, ".ot-controls").getBoundingClientRect();
          const f = find(document, '[role="figure"]').getBoundingClientRect();
          return f.width > 1100 && f.bottom <= c.top + 1;
        }"""
    )


def test_readme_iframe_snippet_shows_one_figure(page, serving):
    readme = (serving.root / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"<iframe[^>]*>\s*</iframe>", readme, flags=re.S)
    assert snippet, "README must hold an <iframe> snippet"
    html = snippet.group(0).replace("https://ot.example.edu", page.base)
    page.set_content(f"<!doctype html><title>course</title><h1>Lecture 3</h1>{html}")
    frame = page.frame_locator("iframe")
    frame.locator('[role="figure"]').first.wait_for(timeout=30_000)
    assert frame.locator("nav").count() == 0
    box = page.locator("iframe").bounding_box()
    assert box["width"] >= 600 and box["height"] >= 400


def test_stand_in_app_file_is_valid_python():
    # A syntax error in the stand-in would surface as a confusing server timeout.
    compile(STAND_IN, "stand_in.py", "exec")
