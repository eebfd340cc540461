#!/usr/bin/python3
"""Builds the reference HOG descriptors for Axon's Hog (tests/Axon.Tests/Data/HogTests.cs).

Run once with Debian's interpreter and scikit-image (no pip, no torch needed):

    apt-get install -y python3-skimage
    /usr/bin/python3 tests/Fixtures/hog/make_hog_fixture.py

It writes hog.safetensors next to this script. For each case NAME it holds, as float32:

  NAME.image     [H, W]  the grey image (float32, so that scikit-image takes its gradients in float32 as Axon does)
  NAME.features  [D]     skimage.feature.hog(image, ..., feature_vector=True) with the case's settings

__metadata__["cases"] is a JSON list of the cases' settings (name, orientations, cell, block, norm, sqrt);
__metadata__ also holds the scikit-image and numpy versions and the seed. The cases cover the block norms, cell
sizes that do and do not divide the image, 7 bins (edges that are not whole degrees), 12 bins (edges at 45 and 90
degrees, where the axis-aligned and diagonal gradients of the drawn shapes fall), pixels quantised to k/255 as
Fashion-MNIST's, flat regions, and the square-root compression.
"""

import json
import os
import struct

import numpy as np
import skimage
from skimage.feature import hog

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261205


def save_f32_safetensors(path, tensors, metadata):
    """A minimal safetensors writer for float32 numpy arrays (sorted by name); Debian has no safetensors package."""
    header = {"__metadata__": metadata}
    chunks, offset = [], 0
    for name in sorted(tensors, key=lambda k: k.encode("utf-8")):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        data = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def shapes(h, w, rng):
    """A garment-like picture: a filled rectangle, a disc and a diagonal bar on a flat background, quantised to k/255."""
    img = np.zeros((h, w), dtype=np.float64)
    img[h // 5: 4 * h // 5, w // 4: 3 * w // 4] = 0.6
    yy, xx = np.mgrid[0:h, 0:w]
    img[(yy - h / 2) ** 2 + (xx - w / 3) ** 2 < (min(h, w) / 5) ** 2] = 0.9
    img[np.abs((yy - xx)) < 2] = 0.3
    img += rng.integers(0, 20, size=(h, w)) / 255.0 * (img > 0)
    return (np.round(np.clip(img, 0, 1) * 255) / 255).astype(np.float32)


def main():
    rng = np.random.default_rng(SEED)
    cases = [
        # name, image, orientations, cell, block, norm, sqrt
        ("fashion_c4_b2", shapes(28, 28, rng), 9, 4, 2, "L2-Hys", False),
        ("fashion_c7_b2_o12", shapes(28, 28, rng), 12, 7, 2, "L2-Hys", False),
        ("fashion_c7_b2_o7_l2", shapes(28, 28, rng), 7, 7, 2, "L2", False),
        ("random_17x23_c3_b3_l1", rng.random((17, 23)).astype(np.float32), 9, 3, 3, "L1", False),
        ("random_20x20_c5_b1_l1sqrt", rng.standard_normal((20, 20)).astype(np.float32), 12, 5, 1, "L1-sqrt", False),
        ("shapes_33x30_c4_b2_sqrt", shapes(33, 30, rng), 9, 4, 2, "L2-Hys", True),
        ("flat_8x8_c4_b2", np.full((8, 8), 0.5, dtype=np.float32), 9, 4, 2, "L2-Hys", False),
        ("random_12x9_c1_b2_o4", rng.random((12, 9)).astype(np.float32), 4, 1, 2, "L2-Hys", False),
    ]
    tensors, meta = {}, []
    for name, image, orientations, cell, block, norm, sqrt in cases:
        features = hog(image, orientations=orientations, pixels_per_cell=(cell, cell), cells_per_block=(block, block),
                       block_norm=norm, transform_sqrt=sqrt, feature_vector=True)
        assert features.dtype == np.float32, features.dtype
        tensors[name + ".image"] = image
        tensors[name + ".features"] = features
        meta.append({"name": name, "orientations": orientations, "cell": cell, "block": block, "norm": norm, "sqrt": sqrt})
    metadata = {"cases": json.dumps(meta), "skimage": skimage.__version__, "numpy": np.__version__, "seed": str(SEED)}
    path = os.path.join(HERE, "hog.safetensors")
    save_f32_safetensors(path, tensors, metadata)
    print(f"wrote {path}: {len(cases)} cases")


if __name__ == "__main__":
    main()
