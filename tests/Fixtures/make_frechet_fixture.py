#!/usr/bin/python3
"""Builds the reference Fréchet distance for Axon's (tests/Axon.Models.Tests/FrechetDistanceTests.cs).

Run once with Debian's interpreter, numpy and scipy (no pip, no torch needed):

    apt-get install -y python3-scipy
    /usr/bin/python3 tests/Fixtures/make_frechet_fixture.py

It writes frechet.safetensors next to this script, all float64:

  a      [300, 16]  feature vectors: standard normals times a random 16x16 mixing matrix plus a random mean,
                    so the covariance is full and far from diagonal
  b      [250, 16]  the same with another mixing matrix and mean
  fid    [1]        ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 sqrtm(S_a S_b)), the way pytorch-fid computes it: numpy means,
                    np.cov (N - 1), scipy.linalg.sqrtm of the product and the real part of its trace
  fid_ab_small [1]  the same for the first 20 rows of a and b (N > d but barely: a noisier, worse-conditioned case)

__metadata__ holds the numpy and scipy versions and the seed.
"""

import json
import os
import struct

import numpy as np
import scipy
import scipy.linalg

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261205


def save_f64_safetensors(path, tensors, metadata):
    """The minimal safetensors writer of make_safetensors_fixture.py, for float64 numpy arrays (sorted by name)."""
    header = {"__metadata__": metadata}
    chunks, offset = [], 0
    for name in sorted(tensors, key=lambda k: k.encode("utf-8")):
        a = np.ascontiguousarray(tensors[name], dtype="<f8")
        data = a.tobytes()
        header[name] = {"dtype": "F64", "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def fid(x, y):
    mu1, mu2 = x.mean(axis=0), y.mean(axis=0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    covmean = covmean.real
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def main():
    rng = np.random.default_rng(SEED)
    d = 16
    a = rng.standard_normal((300, d)) @ rng.standard_normal((d, d)) + rng.standard_normal(d)
    b = rng.standard_normal((250, d)) @ (0.7 * rng.standard_normal((d, d))) + 0.5 * rng.standard_normal(d)
    tensors = {
        "a": a,
        "b": b,
        "fid": np.array([fid(a, b)]),
        "fid_ab_small": np.array([fid(a[:20], b[:20])]),
    }
    meta = {"numpy": np.__version__, "scipy": scipy.__version__, "seed": str(SEED)}
    path = os.path.join(HERE, "frechet.safetensors")
    save_f64_safetensors(path, tensors, meta)
    print(path, os.path.getsize(path), "bytes, fid", tensors["fid"][0], "small", tensors["fid_ab_small"][0])


if __name__ == "__main__":
    main()
