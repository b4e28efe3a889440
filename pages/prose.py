"""The notebook's prose: Markdown with math, notebook boxes, and the concept card.

A page's text lives in ``assets/prose/<slug>.md``. Besides Markdown and ``$...$`` /
``$$...$$`` math (rendered offline by Bokeh's MathJax), it may hold boxes, written as
Markdown containers::

    ::: theorem Brenier {#thm-brenier}
    For every ... there is a convex $\\varphi$ with ...
    :::

    ::: proof
    ...
    :::

Kinds: ``definition``, ``theorem``, ``proposition``, ``remark``, ``example``, ``keyidea``
(numbered per chapter, in reading order across the chapter's pages: Theorem 2.3), and
``proof`` (collapsible, closed by default), ``reading`` (further reading) and ``concept``
(the page's concept card), which are not numbered. The title after the kind and the
``{#id}`` anchor are optional; an anchor makes the box linkable (``#thm-brenier``).

>>> html = render("::: theorem Monotone {#thm-mono}\\nBody $x$.\\n:::\\n", chapter=2, first=3)
>>> 'id="thm-mono"' in html and "Theorem 2.3" in html and "(Monotone)" in html
True
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

from pages import registry

ASSETS = Path(__file__).resolve().parent.parent / "assets"

#: Numbered kinds and how a box of that kind is headed.
NUMBERED = {
    "definition": "Definition",
    "theorem": "Theorem",
    "proposition": "Proposition",
    "remark": "Remark",
    "example": "Example",
    "keyidea": "Key idea",
}
UNNUMBERED = {"proof": "Proof", "reading": "Further reading", "concept": "Concept card"}
KINDS = {**NUMBERED, **UNNUMBERED}

_BOX_LINE = re.compile(r"^:::[ \t]+(\w+)(.*)$", re.M)
_ANCHOR = re.compile(r"\{#([A-Za-z][\w-]{0,60})\}\s*$")
_NUMBER = re.compile(r"^\[(\d+(?:\.\d+)?)\]\s*")


# --- math -----------------------------------------------------------------------------------


def _mathjax_source(tex: str, options: dict[str, Any]) -> str:
    """Hand math to Bokeh's MathJax in the two delimiters it looks for: ``$$..$$``, ``\\(..\\)``.

    The TeX arrives untouched by Markdown (so ``\\,`` and ``\\{`` survive). ``<`` and ``>`` are
    spelled as TeX macros because this text sits inside HTML until MathJax replaces it.
    """
    tex = tex.strip().replace("<", r"\lt ").replace(">", r"\gt ")
    return f"$${tex}$$" if options.get("display_mode") else rf"\({tex}\)"


def math_plugin(md: MarkdownIt) -> None:
    """markdown-it plugin: ``$...$`` inline and ``$$...$$`` display math, for MathJax.

    Each formula's wrapper keeps its TeX in ``data-tex``: MathJax replaces the text with an
    SVG that has no text alternative, and the page script (``assets/js/notebook.js``) gives
    it the TeX as its accessible name, so a screen reader still reads the mathematics.
    """
    dollarmath_plugin(
        md,
        allow_labels=False,
        allow_digits=False,  # "costs 5$" is not math
        double_inline=True,  # $$...$$ inside a paragraph is display math too
        renderer=_mathjax_source,
    )

    def rule(tag: str, css: str, display: bool):
        def render(self, tokens, idx, options, env) -> str:
            tex = str(tokens[idx].content).strip()
            source = _mathjax_source(tex, {"display_mode": display})
            label = html.escape(" ".join(tex.split()))
            return f'<{tag} class="{css}" data-tex="{label}">{source}</{tag}>' + (
                "\n" if tag == "div" else ""
            )

        return render

    md.add_render_rule("math_inline", rule("span", "math inline", False))
    md.add_render_rule("math_inline_double", rule("div", "math inline", True))
    md.add_render_rule("math_block", rule("div", "math block", True))


# --- boxes ----------------------------------------------------------------------------------


def number_boxes(text: str, chapter: int, first: int = 1) -> tuple[str, int]:
    """Write each numbered box's number into its opening line: ``::: theorem [2.3] ...``.

    Returns the text and the number the next box would get. Pure, so numbering is tested
    without a renderer.

    >>> number_boxes("::: remark\\n:::\\n::: proof\\n:::\\n::: example Two\\n:::", 1)
    ('::: remark [1.1]\\n:::\\n::: proof\\n:::\\n::: example [1.2] Two\\n:::', 3)
    """
    counter = first

    def numbered(match: re.Match) -> str:
        nonlocal counter
        kind, rest = match.group(1), match.group(2)
        if kind not in NUMBERED:
            return match.group(0)
        # The introduction (chapter 0) numbers its boxes plainly: Definition 2.
        label = f"[{chapter}.{counter}]" if chapter else f"[{counter}]"
        counter += 1
        return f"::: {kind} {label}{rest}"

    return _BOX_LINE.sub(numbered, text), counter


def _parse_info(info: str) -> tuple[str, str | None, str, str | None]:
    """``theorem [2.3] Brenier {#thm-b}`` -> ``("theorem", "2.3", "Brenier", "thm-b")``."""
    kind, _, rest = info.strip().partition(" ")
    rest = rest.strip()
    number = None
    if match := _NUMBER.match(rest):
        number, rest = match.group(1), rest[match.end() :]
    anchor = None
    if match := _ANCHOR.search(rest):
        anchor, rest = match.group(1), rest[: match.start()]
    return kind, number, rest.strip(), anchor


_INLINE_MATH = re.compile(r"\$([^$]+)\$")


def _title_html(title: str) -> str:
    """A box title as HTML: plain text (escaped) with ``$...$`` math handed to MathJax.

    >>> print(_title_html("Plans for $p < 2$ & more"))
    Plans for <span class="math inline" data-tex="p &lt; 2">\\(p \\lt  2\\)</span> &amp; more
    """
    parts = _INLINE_MATH.split(title)  # even: text, odd: TeX
    return "".join(
        f'<span class="math inline" data-tex="{html.escape(part)}">'
        f"{html.escape(_mathjax_source(part, {}), quote=False)}</span>"
        if k % 2
        else html.escape(part)
        for k, part in enumerate(parts)
    )


def _box_heading(kind: str, number: str | None, title: str, anchor: str | None) -> str:
    name = KINDS[kind] + (f" {number}" if number else "")
    if anchor:
        name = f'<a class="ot-box-link" href="#{anchor}">{name}</a>'
    title_html = f" <span class='ot-box-title'>({_title_html(title)})</span>" if title else ""
    return f"<span class='ot-box-name'>{name}</span>{title_html}"


def _render_box(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    if token.nesting == -1:
        kind = token.type.removeprefix("container_").removesuffix("_close")
        return {"proof": "</div></details>\n", "concept": "</div></aside>\n"}.get(
            kind, "</div></section>\n"
        )
    kind, number, title, anchor = _parse_info(token.info)
    id_attr = f' id="{anchor}"' if anchor else ""
    if kind == "proof":
        label = html.escape(title) if title else "Proof"
        return (
            f'<details class="ot-box ot-proof"{id_attr}><summary>{label}</summary>'
            '<div class="ot-box-body">\n'
        )
    if kind == "concept":
        return (
            f'<aside class="ot-box ot-concept"{id_attr} aria-label="Concept card">'
            '<p class="ot-box-head"><span class="ot-box-name">Concept card</span></p>'
            '<div class="ot-box-body">\n'
        )
    heading = _box_heading(kind, number, title, anchor)
    return (
        f'<section class="ot-box ot-{kind}"{id_attr}>'
        f'<p class="ot-box-head">{heading}</p><div class="ot-box-body">\n'
    )


def box_plugin(md: MarkdownIt) -> None:
    """markdown-it plugin: one container rule per box kind (see the module docstring)."""
    for kind in KINDS:
        container_plugin(md, kind, render=_render_box)


def parser() -> MarkdownIt:
    """The prose renderer as Panel's Markdown pane builds it, with our two plugins (tests)."""
    return MarkdownIt().use(math_plugin).use(box_plugin)


def render(text: str, chapter: int = 0, first: int = 1) -> str:
    """Prose to HTML as the page shows it (for tests and exports)."""
    return parser().render(number_boxes(text, chapter, first)[0])


# --- the page's text ------------------------------------------------------------------------


@cache
def source(slug: str) -> str:
    """The raw prose of a page (bounded cache: one entry per page file)."""
    return (ASSETS / "prose" / f"{slug}.md").read_text(encoding="utf-8")


@cache
def numbered_source(slug: str) -> str:
    """A page's prose with its boxes numbered after those of the chapter's earlier pages."""
    info = registry.info(slug)
    first = 1
    for page in registry.chapter_pages(info.chapter):
        text, after = number_boxes(source(page.slug), info.chapter, first)
        if page.slug == slug:
            return text
        first = after
    return number_boxes(source(slug), info.chapter, first)[0]  # the home page (chapter 0)


def markdown_pane(text: str, **params: Any):
    """A Markdown pane in which math and boxes render (Panel's markdown-it renderer)."""
    import panel as pn

    params.setdefault("sizing_mode", "stretch_width")
    params["css_classes"] = ["ot-math", *params.get("css_classes", [])]
    return pn.pane.Markdown(
        text,
        renderer="markdown-it",
        plugins=[math_plugin, box_plugin],
        disable_anchors=True,
        **params,
    )


def prose_pane(slug: str, **params: Any):
    """The page's text, from ``assets/prose/<slug>.md`` (the one home of a page's prose)."""
    params["css_classes"] = ["ot-prose", *params.get("css_classes", [])]
    return markdown_pane(numbered_source(slug), **params)
