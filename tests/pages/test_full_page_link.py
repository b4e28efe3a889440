"""The embed's "open the full page" link (NotebookPage.full_page_link, shell.full_page_link):
the same view, with the model's URL keys, in a new tab. notebook.js keeps it pointed at the
current view in the browser (tests/browser/test_embed.py follows it there)."""

from __future__ import annotations

from pages import gromov_wasserstein as gw


def test_the_link_carries_the_views_keys_and_opens_a_new_tab():
    view = gw.GromovPage(gw.GromovModel(preset="ring_knot", yaw=45.0), embed=True)
    link = view.full_page_link("the table")
    assert link.object.startswith('<a class="ot-full-page" href="./gromov_wasserstein?')
    assert "preset=ring_knot" in link.object and "yaw=45" in link.object
    assert 'target="_blank" rel="noopener">Open the full page (the table) ↗</a>' in link.object
    assert "embed" not in link.object.split('"')[3]


def test_the_words_beside_the_link_are_escaped():
    view = gw.GromovPage(gw.GromovModel(), embed=True)
    assert "&lt;b&gt;" in view.full_page_link("<b>").object
