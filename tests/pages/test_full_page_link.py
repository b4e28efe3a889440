"""The embed's "open the full page" link (NotebookPage.full_page_link): the same view, with the
model's URL keys, in a new tab, kept current as the view changes."""

from __future__ import annotations

from pages import gromov_wasserstein as gw


def test_the_link_carries_the_views_keys_and_follows_the_model():
    view = gw.GromovPage(gw.GromovModel(preset="ring_knot"), embed=True)
    link = view.full_page_link("the table")
    assert link.object.startswith('<a href="./gromov_wasserstein?preset=ring_knot&amp;')
    assert 'target="_blank" rel="noopener">open the full page</a> (the table)' in link.object
    view.model.yaw = 45.0
    assert "yaw=45" in link.object
    assert "embed" not in link.object


def test_the_words_beside_the_link_are_escaped():
    view = gw.GromovPage(gw.GromovModel(), embed=True)
    assert "&lt;b&gt;" in view.full_page_link("<b>").object
