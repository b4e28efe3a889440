"""Pictures for /colour_transfer: the bundled ones, uploads checked and decoded in memory, PNGs.

Nothing here touches the disk except reading the bundled PNGs under
``assets/colour_transfer`` (drawn by the project, CC0). An upload is bytes in memory: its
size, its signature and its header's dimensions are checked before any pixel is decoded
(a small PNG can claim a huge canvas), then Pillow's ``verify`` checks the file's structure
and a fresh ``open`` decodes it (``verify`` leaves the image unusable). Every refusal is an
:class:`UploadRefused` with a short sentence for the student.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

IMAGE_DIR = Path(__file__).resolve().parent.parent / "assets" / "colour_transfer"
BUNDLED = {
    "sunset": "sunset over the sea",
    "forest": "pine forest",
    "ocean": "waves on a beach",
    "blobs": "painted blobs",
}
#: Largest upload, bytes. Base64 makes it 4/3 larger on the websocket, which must stay under
#: serve.sh's WS_MAX_MESSAGE (262144 bytes): 180 KB -> 240 KB.
MAX_UPLOAD_BYTES = 180_000
#: Largest picture, pixels (checked on the header, before decoding): one megapixel, so a
#: session holds at most a few MB of pictures.
MAX_PIXELS = 1 << 20
MAX_SIDE = 4096
#: The before/after view and the method thumbnails are drawn at most this wide or high.
DISPLAY_SIDE = 384
THUMB_SIDE = 120
_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}


class UploadRefused(ValueError):
    """An upload that is not a usable picture (the message says why, in a short sentence)."""


@functools.lru_cache(maxsize=len(BUNDLED))
def bundled(name: str) -> np.ndarray:
    """The bundled picture ``name`` as a read-only uint8 array (H, W, 3).

    >>> bundled("sunset").shape
    (128, 192, 3)
    """
    if name not in BUNDLED:
        raise KeyError(name)
    with Image.open(IMAGE_DIR / f"{name}.png") as im:
        arr = np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
    arr.setflags(write=False)
    return arr


def decode_base64(text: str) -> bytes:
    """The bytes of a base64 text (an upload as the browser sends it).

    >>> decode_base64("aGk=")
    b'hi'
    >>> decode_base64("not base64!")
    Traceback (most recent call last):
    ...
    pages.colour_transfer_images.UploadRefused: the upload arrived damaged (not base64)
    """
    if len(text) > (MAX_UPLOAD_BYTES * 4) // 3 + 8:
        raise UploadRefused(f"the file is larger than {MAX_UPLOAD_BYTES // 1000} KB")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise UploadRefused("the upload arrived damaged (not base64)") from None


def decode_upload(data: bytes) -> np.ndarray:
    """Decode an uploaded PNG or JPEG into a uint8 array (H, W, 3), or refuse it.

    Raises
    ------
    UploadRefused
        Empty or too large a file, not a PNG or JPEG, more than ``MAX_PIXELS`` pixels (read
        from the header, before decoding), a damaged file, or a picture of one colour only.

    Examples
    --------
    >>> decode_upload(b"GIF89a...")
    Traceback (most recent call last):
    ...
    pages.colour_transfer_images.UploadRefused: not a PNG or JPEG picture
    """
    if not data:
        raise UploadRefused("the file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRefused(
            f"the file is {len(data) // 1000} KB; the limit is {MAX_UPLOAD_BYTES // 1000} KB"
        )
    kind = next((k for sig, k in _SIGNATURES.items() if data.startswith(sig)), None)
    if kind is None:
        raise UploadRefused("not a PNG or JPEG picture")
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb guard warns past MAX_IMAGE_PIXELS; ours is stricter anyway.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as im:
                w, h = im.size  # from the header: nothing decoded yet
                if w < 1 or h < 1 or max(w, h) > MAX_SIDE or w * h > MAX_PIXELS:
                    raise UploadRefused(
                        f"the picture is {w} x {h} pixels; the limit is {MAX_PIXELS:,} pixels "
                        f"(e.g. 1024 x 1024)"
                    )
                im.verify()
            with Image.open(io.BytesIO(data), formats=[kind]) as im:
                arr = np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
    except UploadRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRefused(f"the picture has more than {MAX_PIXELS:,} pixels") from None
    except Exception:  # Pillow raises many kinds for a damaged or truncated file
        raise UploadRefused(f"the file is not a readable {kind} picture (damaged?)") from None
    check_colourful(arr)
    arr.setflags(write=False)
    return arr


def check_colourful(arr: np.ndarray) -> None:
    """Refuse a picture of a single colour: there is no distribution to transport.

    >>> check_colourful(np.zeros((4, 4, 3), dtype=np.uint8))
    Traceback (most recent call last):
    ...
    pages.colour_transfer_images.UploadRefused: the picture has one colour only: nothing to transfer
    """
    flat = arr.reshape(-1, 3)
    if (flat == flat[0]).all():
        raise UploadRefused("the picture has one colour only: nothing to transfer")


def downscale(arr: np.ndarray, side: int) -> np.ndarray:
    """``arr`` shrunk (area averaging) so that neither side exceeds ``side``; as is if it fits.

    >>> downscale(np.zeros((100, 50, 3), dtype=np.uint8), 20).shape
    (20, 10, 3)
    """
    h, w = arr.shape[:2]
    scale = side / max(h, w)
    if scale >= 1:
        return arr
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(arr).resize(size, Image.Resampling.BOX), dtype=np.uint8)


def png_bytes(arr: np.ndarray) -> bytes:
    """A uint8 (H, W, 3) array as PNG bytes."""
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(arr, dtype=np.uint8)).save(out, format="PNG")
    return out.getvalue()


def png_data_uri(arr: np.ndarray) -> str:
    """A uint8 (H, W, 3) array as a ``data:image/png;base64,...`` URI (no file, no request)."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(arr)).decode("ascii")


def to_colours(arr: np.ndarray) -> np.ndarray:
    """Pixels of a uint8 picture as float colours in [0, 1], shape (H * W, 3)."""
    return arr.reshape(-1, 3).astype(np.float64) / 255.0


def to_picture(colours: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Float colours in [0, 1] back to a uint8 picture of ``shape`` (rounded).

    >>> to_picture(np.array([[0.0, 0.5, 1.0]]), (1, 1, 3)).tolist()
    [[[0, 128, 255]]]
    """
    return (np.clip(colours, 0, 1) * 255 + 0.5).astype(np.uint8).reshape(shape)
