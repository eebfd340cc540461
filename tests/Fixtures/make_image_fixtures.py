#!/usr/bin/python3
"""Writes small PNG and JPEG files with PIL and PIL's own decoding of each, for Axon.Imaging's ImageFile
(tests/Axon.Imaging.Tests/ImageFileTests.cs): the decoder must give PIL's pixels (exactly for PNG, within a JPEG
decoder's rounding for JPEG).

Run once with Debian's interpreter (python3-pil, python3-numpy, python3-torch; no pip):

    /usr/bin/python3 tests/Fixtures/make_image_fixtures.py

It writes into tests/Fixtures/images/:

  rgb.png      23x17 RGB          grey.png     23x17 L (8-bit grey)
  rgba.png     23x17 RGBA, alpha from 0 to 255 (colour kept under alpha 0)
  la.png       23x17 LA (grey and alpha)      palette.png  23x17 P (16-colour palette)
  rgb.jpg      32x24 RGB, quality 90, 4:2:0 chroma subsampling (PIL's default)
  rgb444.jpg   32x24 RGB, quality 95, no subsampling
  grey.jpg     32x24 L, quality 90
  exif6.jpg    32x24 RGB with EXIF orientation 6 ("rotate 90° clockwise to display"), which PIL's open ignores
  pil.safetensors: for each file {f} (its name without extension, e.g. "rgb_jpg"), int64 tensors
    {f}.rgb   [3, H, W] = Image.open(f).convert("RGB"), channels first
    {f}.grey  [1, H, W] = Image.open(f).convert("L")
  __metadata__: "pil" (the version).
"""

import os
import sys

import numpy as np
import PIL
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "images")
sys.path.insert(0, HERE)
from make_safetensors_fixture import save_safetensors  # noqa: E402  (the minimal safetensors writer)


def photo_like(h, w, seed):
    """Smooth colour gradients with some noise and a sharp edge: what JPEG is made for, with detail to lose."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 100 * np.sin(x / 5.0 + y / 9.0)
    g = 40 + 180 * (y / h)
    b = 200 - 150 * (x / w)
    img = np.stack([r, g, b], axis=-1) + rng.normal(0, 12, (h, w, 3))
    img[h // 2:, : w // 3] = (250, 20, 30)  # a red block
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def main():
    os.makedirs(OUT, exist_ok=True)
    small = photo_like(17, 23, 1)
    big = photo_like(24, 32, 2)
    files = {}

    files["rgb.png"] = Image.fromarray(small, "RGB")
    files["grey.png"] = Image.fromarray(small, "RGB").convert("L")
    alpha = np.linspace(0, 255, 17 * 23).reshape(17, 23).astype(np.uint8)
    files["rgba.png"] = Image.fromarray(np.dstack([small, alpha]), "RGBA")
    files["la.png"] = Image.fromarray(np.dstack([np.asarray(files["grey.png"]), alpha[::-1]]), "LA")
    files["palette.png"] = Image.fromarray(small, "RGB").quantize(16)
    for name, img in files.items():
        img.save(os.path.join(OUT, name), optimize=False)

    Image.fromarray(big, "RGB").save(os.path.join(OUT, "rgb.jpg"), quality=90)
    Image.fromarray(big, "RGB").save(os.path.join(OUT, "rgb444.jpg"), quality=95, subsampling=0)
    Image.fromarray(big, "RGB").convert("L").save(os.path.join(OUT, "grey.jpg"), quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    Image.fromarray(big, "RGB").save(os.path.join(OUT, "exif6.jpg"), quality=90, exif=exif.tobytes())

    tensors = {}
    for name in sorted(os.listdir(OUT)):
        if not name.endswith((".png", ".jpg")):
            continue
        key = name.replace(".", "_")
        with Image.open(os.path.join(OUT, name)) as img:
            rgb = np.asarray(img.convert("RGB")).transpose(2, 0, 1)
            grey = np.asarray(img.convert("L"))[None]
        tensors[key + ".rgb"] = torch.from_numpy(rgb.astype(np.int64)).contiguous()
        tensors[key + ".grey"] = torch.from_numpy(grey.astype(np.int64)).contiguous()
    path = os.path.join(OUT, "pil.safetensors")
    save_safetensors(path, tensors, {"pil": PIL.__version__})
    print(path, os.path.getsize(path), "bytes,", len(tensors) // 2, "files")


if __name__ == "__main__":
    main()
