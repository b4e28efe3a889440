"""Draw the bundled pictures of /colour_transfer (run once; the PNGs are committed).

Every picture is drawn here from a few shapes and gradients with a fixed seed, so the project
owns them (licence: CC0, see LICENSE.txt beside them) and the page works offline.

    python3 assets/colour_transfer/make_images.py
"""

from pathlib import Path

import numpy as np
from PIL import Image

W, H = 192, 128
HERE = Path(__file__).resolve().parent


def _grid():
    y, x = np.mgrid[0:H, 0:W]
    return x / (W - 1), y / (H - 1)


def _mix(c0, c1, t):
    t = np.clip(t, 0, 1)[..., None]
    return np.asarray(c0, float) * (1 - t) + np.asarray(c1, float) * t


def sunset(rng):
    x, y = _grid()
    img = _mix([0.98, 0.78, 0.35], [0.35, 0.12, 0.45], 1 - y / 0.62)
    sun = (x - 0.62) ** 2 + ((y - 0.5) * H / W) ** 2 < 0.012
    img[sun] = [1.0, 0.93, 0.6]
    sea = y > 0.62
    img[sea] = _mix([0.55, 0.22, 0.3], [0.08, 0.05, 0.18], (y[sea] - 0.62) / 0.38)
    glint = sea & (np.abs(x - 0.62) < 0.05 * (1.2 - y)) & (rng.random((H, W)) < 0.35)
    img[glint] = [1.0, 0.75, 0.4]
    return img


def forest(rng):
    x, y = _grid()
    img = _mix([0.75, 0.88, 0.98], [0.45, 0.7, 0.9], y / 0.5)
    ground = y > 0.8
    img[ground] = _mix([0.35, 0.27, 0.12], [0.2, 0.15, 0.07], (y[ground] - 0.8) / 0.2)
    for _ in range(26):
        cx, top, half = rng.uniform(0, 1), rng.uniform(0.15, 0.5), rng.uniform(0.05, 0.1)
        green = np.array([0.08, rng.uniform(0.3, 0.55), rng.uniform(0.1, 0.25)])
        tree = (y > top) & (y < 0.85) & (np.abs(x - cx) < half * (y - top) / (0.85 - top))
        img[tree] = green * (0.8 + 0.4 * rng.random())
        trunk = (np.abs(x - cx) < 0.008) & (y >= 0.85) & (y < 0.92)
        img[trunk] = [0.3, 0.18, 0.08]
    return img


def ocean(rng):
    x, y = _grid()
    img = _mix([0.6, 0.85, 0.95], [0.2, 0.5, 0.8], y / 0.35)
    water = y > 0.35
    wave = 0.5 + 0.5 * np.sin(40 * x + 9 * np.sin(6 * y) + 25 * y)
    img[water] = _mix([0.02, 0.35, 0.5], [0.1, 0.6, 0.65], wave[water] * (1.3 - y[water]))
    foam = water & (wave > 0.93) & (rng.random((H, W)) < 0.6)
    img[foam] = [0.92, 0.97, 1.0]
    sand = y > 0.82 + 0.04 * np.sin(9 * x)
    img[sand] = _mix([0.93, 0.84, 0.6], [0.8, 0.68, 0.45], rng.random(sand.sum()) * 0.6)
    return img


def blobs(rng):
    x, y = _grid()
    img = np.ones((H, W, 3)) * [0.95, 0.93, 0.88]
    paints = [[0.85, 0.1, 0.15], [0.1, 0.3, 0.8], [0.98, 0.8, 0.1], [0.1, 0.6, 0.3],
              [0.55, 0.2, 0.65], [0.95, 0.45, 0.1]]  # fmt: skip
    for k in range(14):
        cx, cy = rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.95)
        r = rng.uniform(0.06, 0.16)
        angle = np.arctan2(y - cy, (x - cx) * W / H)
        edge = r * (1 + 0.25 * np.sin(3 * angle + rng.uniform(0, 6)))
        blob = np.hypot((x - cx) * W / H, y - cy) < edge
        shade = 0.85 + 0.3 * (1 - np.hypot((x - cx) * W / H, y - cy) / (edge + 1e-9))
        img[blob] = np.clip(np.asarray(paints[k % len(paints)]) * shade[blob, None], 0, 1)
    return img


SCENES = {"sunset": sunset, "forest": forest, "ocean": ocean, "blobs": blobs}

if __name__ == "__main__":
    for k, (name, draw) in enumerate(SCENES.items()):
        img = draw(np.random.default_rng(k))
        path = HERE / f"{name}.png"
        pixels = (np.clip(img, 0, 1) * 255).round().astype(np.uint8)
        Image.fromarray(pixels).save(path, optimize=True)
        print(path, path.stat().st_size)
