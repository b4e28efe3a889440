"""/colour_transfer builds without a server, shows numbers POT confirms, and refuses bad input
(uploads and links) with a message while keeping the last valid state."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import numpy as np
import ot
import pytest
from PIL import Image
from scipy.stats import rankdata

from ot_engine.colour import sample_palette
from pages import colour_transfer as ct
from pages import registry
from pages.colour_transfer_images import (
    MAX_UPLOAD_BYTES,
    UploadRefused,
    bundled,
    decode_upload,
    to_colours,
)
from pages.query import parse_query


def _shown(view) -> dict[str, list[str]]:
    return {row[0]: row[3:7] for row in view.readouts.rows}


def _png(arr: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(arr.astype(np.uint8)).save(out, format="PNG")
    return out.getvalue()


def _upload(view, role: str, data: bytes, name: str = "mine.png") -> None:
    widget = view.uploads_widgets[role]
    widget.param.update(filename=name, refused="", data=base64.b64encode(data).decode())
    widget.nonce += 1


def test_page_is_registered_first_in_chapter_four():
    assert registry.chapter_pages(4)[0].slug == "colour_transfer"
    assert registry.page_class("colour_transfer") is ct.ColourTransferPage


def test_page_builds_without_a_server():
    view = ct.ColourTransferPage.create()
    view.__panel__()
    assert view.solved is not None and view.rendered is not None  # in line without a server
    assert _shown(view)["conv"] == ["yes"] * 4


@pytest.mark.parametrize(
    "values",
    [{}, {"source": "ocean", "target": "blobs", "eps": 0.002, "n": 500, "seed": 4}],
)
def test_palette_costs_match_pot(values):
    model = ct.ColourModel(**values)
    view = ct.ColourTransferPage(model, embed=False)
    shown = _shown(view)["cost"]
    X = sample_palette(to_colours(bundled(model.source)), model.n, model.seed)
    Y = sample_palette(to_colours(bundled(model.target)), model.n, model.seed + 1)
    a = np.full(model.n, 1 / model.n)
    M = ot.dist(X, Y)
    assert shown[0] == f"{ot.emd2(a, a, M):.5f}"
    # POT's Sinkhorn on the merged atoms (its default method converges there; the full
    # 1000 x 1000 problem takes it tens of seconds)
    Xu, cx = np.unique(X, axis=0, return_counts=True)
    Yu, cy = np.unique(Y, axis=0, return_counts=True)
    P = ot.sinkhorn(cx / cx.sum(), cy / cy.sum(), ot.dist(Xu, Yu), model.eps,
                    method="sinkhorn_log", stopThr=1e-11, numItermax=200000)  # fmt: skip
    assert float(shown[1]) == pytest.approx(np.sum(P * ot.dist(Xu, Yu)), abs=2e-5)
    lin = ot.da.LinearTransport(reg=1e-8).fit(Xs=X, Xt=Y).transform(Xs=X)
    assert shown[2] == f"{np.mean(np.sum((lin - X) ** 2, axis=1)):.5f}"
    per = np.empty_like(X)
    for c in range(3):  # quantile map per channel, ties at their average rank (scipy)
        u = (rankdata(X[:, c]) - 0.5) / model.n
        per[:, c] = np.interp(u, (np.arange(model.n) + 0.5) / model.n, np.sort(Y[:, c]))
    assert shown[3] == f"{np.mean(np.sum((per - X) ** 2, axis=1)):.5f}"


def test_the_picture_mean_matches_an_independent_linear_map():
    view = ct.ColourTransferPage(ct.ColourModel(method="linear"), embed=False)
    m = view.model
    X = sample_palette(to_colours(bundled(m.source)), m.n, m.seed)
    Y = sample_palette(to_colours(bundled(m.target)), m.n, m.seed + 1)
    da = ot.da.LinearTransport(reg=1e-8).fit(Xs=X, Xt=Y)
    mean = np.clip(da.transform(Xs=to_colours(bundled(m.source))), 0, 1).mean(0)
    assert _shown(view)["pic"][2] == ", ".join(f"{v:.3f}" for v in mean)


def test_method_switch_reuses_the_solves_and_eps_resolves_only_the_entropic_one():
    view = ct.ColourTransferPage(ct.ColourModel(n=250), embed=False)
    solved = view.solved
    view.model.method = "histogram"
    assert view.solved is solved and view.rendered.key[1] == "histogram"
    exact = solved.maps["exact"]
    view.model.eps = 0.05
    assert view.solved is not solved
    assert view.solved.maps["exact"] is exact
    assert view.solved.maps["entropic"].eps == 0.05
    assert "ε = 0.05" in view.thumbs.object


def test_an_eps_move_keeps_the_palettes_and_sends_no_lines_of_another_method():
    from bokeh.document import Document

    view = ct.ColourTransferPage(ct.ColourModel(n=250, method="exact"), embed=False)
    doc = Document()
    doc.add_root(view.figure().get_root(doc))
    X, Y = view.solved.X, view.solved.Y
    changed = []
    doc.on_change(lambda e: changed.append(getattr(e, "model", None)))
    view.model.eps = 0.05
    assert view.solved.key[1] == 0.05
    assert view.solved.X is X and view.solved.Y is Y  # kept, not drawn again
    sent = set(map(id, changed))
    for quiet in (view.chroma.source, view.chroma.target, view.chroma.lines):
        assert id(quiet) not in sent


def test_larger_eps_pulls_the_entropic_colours_towards_the_target_mean():
    spread = []
    for eps in (0.001, 0.01, 0.1):
        view = ct.ColourTransferPage(ct.ColourModel(n=250, eps=eps), embed=False)
        spread.append(float(view.solved.maps["entropic"].mapped.std(axis=0).sum()))
    assert spread[0] > spread[1] > spread[2]


def test_a_good_upload_becomes_the_source():
    view = ct.ColourTransferPage(ct.ColourModel(n=250), embed=False)
    rng = np.random.default_rng(0)
    picture = (rng.random((40, 60, 3)) * 255).astype(np.uint8)
    _upload(view, "source", _png(picture))
    assert view.model.source == ct.UPLOAD
    assert "Uploaded mine.png (60 x 40)" in view.message.object
    assert view.rendered.picture.shape == (40, 60, 3)
    assert view.uploads_widgets["source"].data == ""  # the bytes are not kept as text


def test_bundled_solves_are_shared_between_sessions_and_uploads_never():
    from pages import workers

    first = ct.ColourTransferPage(ct.ColourModel(n=250), embed=False)
    second = ct.ColourTransferPage(ct.ColourModel(n=250), embed=False)
    assert second.solved is first.solved  # the second student's view was solved once
    rng = np.random.default_rng(1)
    picture = (rng.random((30, 40, 3)) * 255).astype(np.uint8)
    _upload(second, "source", _png(picture))
    assert second.model.source == ct.UPLOAD and second.solved is not first.solved
    solved = [v for k, v in workers._SHARED.items() if k[0] == "colour_transfer.solve"]
    assert solved and all(second.solved is not v for v in solved)  # not kept for others


def _huge_header_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height (a decompression bomb's first bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + \
        chunk(b"IEND", b"")  # fmt: skip


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"GIF89a" + bytes(100), "not a PNG or JPEG"),
        (b"%PDF-1.4 hello", "not a PNG or JPEG"),
        (_huge_header_png(20000, 20000), "more than 1,048,576 pixels"),  # Pillow's guard
        (_huge_header_png(2000, 2000), "2000 x 2000 pixels"),  # ours, before decoding
        (b"\x89PNG\r\n\x1a\n" + bytes(50), "not a readable PNG"),
        (b"\xff\xd8\xff" + bytes(50), "not a readable JPEG"),
        (_png(np.full((30, 30, 3), 77)), "one colour only"),
        (bytes(MAX_UPLOAD_BYTES + 1), "the limit is"),
    ],
)
def test_bad_uploads_are_refused_and_the_last_picture_kept(data, words):
    with pytest.raises(UploadRefused, match=words):
        decode_upload(data)
    view = ct.ColourTransferPage(ct.ColourModel(n=250), embed=False)
    solved = view.solved
    _upload(view, "target", data)
    assert "Upload refused" in view.message.object and view.model.target == "forest"
    assert view.solved is solved


def test_the_browser_refusal_is_shown():
    view = ct.ColourTransferPage(ct.ColourModel(n=250), embed=False)
    widget = view.uploads_widgets["source"]
    widget.param.update(refused="big.jpg is 3000 KB; the limit is 180 KB")
    widget.nonce += 1
    assert "big.jpg is 3000 KB" in view.message.object and view.model.source == "sunset"


def test_picking_upload_without_one_keeps_the_last_picture():
    view = ct.ColourTransferPage(ct.ColourModel(n=250), embed=False)
    view.model.target = ct.UPLOAD
    assert view.model.target == "forest"
    assert "No target picture uploaded yet" in view.message.object


def test_query_keys_accept_good_values():
    values, notices = parse_query(
        {"src": "ocean", "tgt": "blobs", "method": "linear", "eps": "0.002", "n": "1500",
         "seed": "12"},
        ct.QUERY_KEYS,
    )  # fmt: skip
    assert notices == []
    assert values == {"source": "ocean", "target": "blobs", "method": "linear", "eps": 0.002,
                      "n": 1500, "seed": 12}  # fmt: skip


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ({"src": "<script>alert(1)</script>"}, "src"),
        ({"src": "upload"}, "src"),
        ({"tgt": "../../etc/passwd"}, "tgt"),
        ({"method": "magic"}, "method"),
        ({"eps": "nan"}, "eps"),
        ({"eps": "0.003"}, "eps"),
        ({"eps": "\udcff"}, "eps"),
        ({"n": "9" * 5000}, "n"),
        ({"n": "100"}, "n"),
        ({"n": "2001"}, "n"),
        ({"seed": "-1"}, "seed"),
    ],
)
def test_query_keys_refuse_bad_values_with_a_notice(query, key):
    values, notices = parse_query(query, ct.QUERY_KEYS)
    assert values == {}
    assert len(notices) == 1 and f"'{key}'" in notices[0]
    assert "<script>" not in notices[0]


def test_a_failed_solve_says_so_and_keeps_the_last_result():
    view = ct.ColourTransferPage(ct.ColourModel(n=250), embed=False)
    solved = view.solved
    view._show_problem("solve", "out of memory")
    assert "Could not solve" in view.status.object and view.solved is solved


def test_an_unconverged_entropic_solve_is_flagged():
    view = ct.ColourTransferPage(ct.ColourModel(n=250), embed=False)
    s = view.solved
    capped = ct.palette_transport(s.X, s.Y, "entropic", eps=0.001, max_time=1e-4)
    assert not capped.converged
    view._show_solved(ct.Solved(s.key, s.X, s.Y, {**s.maps, "entropic": capped}, s.thumbs))
    assert "did not converge" in view.readouts.flagged()["marg"]


def test_takehome_and_caption_are_text():
    view = ct.ColourTransferPage(ct.ColourModel(n=250), embed=False)
    assert "ot.emd(a, b, M)" in view.takehome().code
    assert any(line.startswith("cost") for line in view.caption_lines())


def test_new_palettes_button_draws_with_the_next_seed():
    view = ct.ColourTransferPage(ct.ColourModel(n=250, seed=ct.MAX_SEED), embed=False)
    view.new_palettes.clicks += 1
    assert view.model.seed == 0 and view.new_palettes.label == "New palettes (seed 0)"
    assert view.solved.key[0][3] == 0


def test_a_method_switch_sends_only_the_lines_and_the_frame():
    view = ct.ColourTransferPage(ct.ColourModel(), embed=False)
    palette, thumbs = view.chroma.source.data, view.thumbs.object
    lines = view.chroma.lines.data["x1"]
    view.model.method = "linear"
    assert view.chroma.source.data is palette  # the palettes were not sent again
    assert view.chroma.lines.data["x1"] is not lines
    assert view.thumbs.object == thumbs
    assert view.thumbs.stylesheets[-1] == ct.selected_thumb_css(ct.METHODS.index("linear"))


def test_the_picture_is_mapped_in_steps_that_give_the_worker_back(monkeypatch):
    monkeypatch.setattr(ct, "RENDER_STEP", 5000)  # 192 x 128 pixels: five steps
    view = ct.ColourTransferPage(ct.ColourModel(method="histogram"), embed=False)
    source = view.picture("source")
    pm = view.solved.maps["histogram"]
    whole = ct.render_picture(source, pm, "k")
    part, steps = ct.render_step(source, pm, "k"), 1
    while isinstance(part, ct.RenderPart):
        assert part.done == 5000 * steps
        part, steps = ct.render_step(source, pm, "k", part), steps + 1
    assert steps == 5 and np.array_equal(part.picture, whole.picture)
    assert np.array_equal(view.rendered.picture, whole.picture)  # the page went through steps


def test_an_eps_move_maps_the_picture_again_only_for_the_entropic_map():
    view = ct.ColourTransferPage(ct.ColourModel(method="exact"), embed=False)
    shown = view.rendered
    view.model.eps = 0.05
    assert view.solved.key[1] == 0.05 and view.rendered is shown
    view.model.method = "entropic"
    assert view.rendered.key == ct.render_key(view.solved, "entropic")
    entropic = view.rendered
    view.model.eps = 0.1
    assert view.rendered is not entropic and view.rendered.key[2] == 0.1
