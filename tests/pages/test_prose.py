"""Prose rendering: math, notebook boxes numbered per chapter, proofs, the concept card."""

from __future__ import annotations

import re

import pytest

from pages import prose, registry

BOXES = """Some text.

::: definition Transport plan {#def-plan}
A plan $\\pi$ with marginals $a, b$.
:::

::: theorem {#thm-x}
Statement.
:::

::: proof
Because $1 < 2$.
:::

::: example <b>bold</b>
Example body.
:::

::: concept
#### Key equation
$$W_p$$
:::
"""


def test_numbered_boxes_count_per_chapter_from_the_given_start():
    html = prose.render(BOXES, chapter=2, first=4)
    assert "Definition 2.4" in html and "Theorem 2.5" in html and "Example 2.6" in html
    assert "Proof" in html and "2.7" not in html  # proofs and the card are not numbered


def test_boxes_are_linkable_sections_with_their_kind_as_a_class():
    html = prose.render(BOXES, chapter=1)
    assert '<section class="ot-box ot-definition" id="def-plan">' in html
    assert '<a class="ot-box-link" href="#def-plan">Definition 1.1</a>' in html
    assert "(Transport plan)" in html
    assert 'id="thm-x"' in html


def test_a_proof_is_a_closed_details_element_keyboard_operable_by_the_browser():
    html = prose.render(BOXES, chapter=1)
    proof = re.search(r"<details class=\"ot-box ot-proof\">(.*?)</details>", html, re.S)
    assert proof is not None and " open" not in proof.group(0).split(">")[0]
    assert "<summary>Proof</summary>" in proof.group(1)
    assert r"\(1 \lt  2\)" in proof.group(1)  # math inside a box still reaches MathJax


def test_titles_are_text_never_html():
    html = prose.render(BOXES, chapter=1)
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html


def test_the_concept_card_is_a_labelled_aside():
    html = prose.render(BOXES, chapter=1)
    assert '<aside class="ot-box ot-concept" aria-label="Concept card">' in html
    assert "<h4>Key equation</h4>" in html and "$$W_p$$" in html


def test_unknown_kinds_and_unclosed_text_stay_plain():
    html = prose.render("::: lemma\nx\n:::\n", chapter=1)
    assert "ot-box" not in html


def test_numbering_continues_across_the_pages_of_a_chapter():
    for chapter in registry.CHAPTERS:
        expected = 1
        for info in registry.chapter_pages(chapter.number):
            numbers = re.findall(r"::: \w+ \[(\d+)\.(\d+)\]", prose.numbered_source(info.slug))
            for chap, k in numbers:
                assert int(chap) == chapter.number and int(k) == expected
                expected += 1


@pytest.mark.parametrize("info", registry.ALL, ids=lambda i: i.slug)
def test_box_anchors_are_unique_across_the_notebook(info):
    anchors = [
        a for page in registry.ALL for a in re.findall(r"\{#([\w-]+)\}", prose.source(page.slug))
    ]
    assert len(anchors) == len(set(anchors))
    for line in re.findall(r"^:::[ \t]+(\w+)", prose.source(info.slug), re.M):
        assert line in prose.KINDS, f"unknown box kind {line!r} in {info.slug}.md"
